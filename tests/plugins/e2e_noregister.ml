(* End-to-end test plugin: builds a plugin record but never calls
   NBDKit.register_plugin.  nbdkit must refuse it with a clear message. *)

let _plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "e2e-noregister";
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> 0L);
  pread = Some (fun () _ _ _ -> "");
}
