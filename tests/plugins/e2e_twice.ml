(* End-to-end test plugin: calls NBDKit.register_plugin twice, which the
   manual forbids ("exactly once").  The second call raises Failure and
   nbdkit must refuse the plugin with a clear message. *)

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "e2e-twice";
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> 0L);
  pread = Some (fun () _ _ _ -> "");
}

let () = NBDKit.register_plugin plugin
let () = NBDKit.register_plugin plugin
