(* A test plugin whose top-level code raises before it registers anything:
   opening it must fail with ECANCELED and report the exception. *)

let () = failwith "api_raise: top-level code failed"

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_raise";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
    pread = Some (fun () _ _ _ -> "");
  }
