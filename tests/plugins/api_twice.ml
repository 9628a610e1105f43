(* A test plugin that calls NBDKit.register_plugin twice: opening it must
   fail with EEXIST. *)

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "api_twice";
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> 0L);
  pread = Some (fun () _ _ _ -> "");
}

let () = NBDKit.register_plugin plugin
let () = NBDKit.register_plugin plugin
