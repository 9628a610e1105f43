(* A test plugin without the required callback pread: opening it must
   fail with EINVAL, naming the field. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_nopread";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
  }
