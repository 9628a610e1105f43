(* A test plugin that registers a few callbacks beyond the required ones
   (config, close, can_write, pwrite, flush, can_fua, can_cache) and some
   of the metadata strings but not all: longname and description are set,
   version and config_help are left empty.  The tests compare
   nbdocaml_module_has with exactly this list, so a library that reported
   a callback by the wrong index would fail.  It keeps no data: pread
   returns zeroes and pwrite discards what it is given. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_subset";
    longname = "a subset of the callbacks";
    description = "registers config, close, can_write, pwrite, flush, \
                   can_fua and can_cache";
    config = Some (fun k v -> NBDKit.debug "config %s=%s" k v);
    open_connection = Some (fun readonly -> readonly);
    close = Some (fun _ -> NBDKit.debug "close");
    get_size = Some (fun _ -> 4096L);
    can_write = Some (fun readonly -> not readonly);
    pread = Some (fun _ count _ _ -> String.make (Int32.to_int count) '\000');
    pwrite = Some (fun _ _ _ _ -> ());
    flush = Some (fun _ _ -> ());
    can_fua = Some (fun _ -> NBDKit.FuaEmulate);
    can_cache = Some (fun _ -> NBDKit.CacheEmulate);
  }
