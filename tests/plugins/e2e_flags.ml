(* End-to-end test plugin whose capability callbacks return what the
   command line says, so that tests can check both answers of each reach
   the client.  Keys:
     true=LIST    comma-separated names among write, flush, trim, zero,
                  multi_conn, extents, fast_zero, rotational: these
                  callbacks return true, all others false (default: none)
     fua=none|emulate|native      (default none)
     cache=none|emulate|nop       (default none)
   Every data callback is registered, so nbdkit asks the can_* callbacks
   instead of deriving defaults.  The disk is 1M of zeroes, read only in
   effect (writes are accepted and dropped). *)

let on = ref []
let fua = ref NBDKit.FuaNone
let cache = ref NBDKit.CacheNone
let is_on name = List.mem name !on

let config key value =
  match key with
  | "true" -> on := String.split_on_char ',' value
  | "fua" ->
    fua := (match value with
            | "none" -> NBDKit.FuaNone | "emulate" -> NBDKit.FuaEmulate
            | "native" -> NBDKit.FuaNative
            | _ -> invalid_arg ("fua=" ^ value))
  | "cache" ->
    cache := (match value with
              | "none" -> NBDKit.CacheNone | "emulate" -> NBDKit.CacheEmulate
              | "nop" -> NBDKit.CacheNop
              | _ -> invalid_arg ("cache=" ^ value))
  | _ -> failwith (Printf.sprintf "unknown parameter: %s" key)

let size = 1048576L
let nothing4 () _ _ _ = ()

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "e2e-flags";
  config = Some config;
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> size);
  can_write = Some (fun () -> is_on "write");
  can_flush = Some (fun () -> is_on "flush");
  is_rotational = Some (fun () -> is_on "rotational");
  can_trim = Some (fun () -> is_on "trim");
  can_zero = Some (fun () -> is_on "zero");
  can_fua = Some (fun () -> !fua);
  can_multi_conn = Some (fun () -> is_on "multi_conn");
  can_extents = Some (fun () -> is_on "extents");
  can_cache = Some (fun () -> !cache);
  can_fast_zero = Some (fun () -> is_on "fast_zero");
  pread = Some (fun () count _ _ -> String.make (Int32.to_int count) '\000');
  pwrite = Some (fun () _ _ _ -> ());
  flush = Some (fun () _ -> ());
  trim = Some nothing4;
  zero = Some nothing4;
  cache = Some nothing4;
  extents = Some (fun () _ _ _ ->
    [ { NBDKit.offset = 0L; length = size; is_hole = true; is_zero = true } ]);
}

let () = NBDKit.register_plugin plugin
