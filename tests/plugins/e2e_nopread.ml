(* End-to-end test plugin: registers without the required pread field.
   register_plugin raises Invalid_argument; nbdkit must refuse the plugin
   with a message that names the missing field. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "e2e-nopread";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
  }
