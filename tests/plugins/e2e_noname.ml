(* End-to-end test plugin: registers without the required name (it is
   left as the empty string of default_callbacks).  nbdkit must refuse the
   plugin with a clear message. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
    pread = Some (fun () _ _ _ -> "");
  }
