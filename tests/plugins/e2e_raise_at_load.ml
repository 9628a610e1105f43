(* End-to-end test plugin: the module's top-level code raises before it
   registers anything.  nbdkit must refuse the plugin with a clear
   message, not crash. *)

let () = failwith "e2e_raise_at_load: deliberate failure at module load"

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "e2e-raise-at-load";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
    pread = Some (fun () _ _ _ -> "");
  }
