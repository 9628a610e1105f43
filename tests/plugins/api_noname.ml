(* A test plugin that leaves the required field name empty: opening it
   must fail with EINVAL, naming the field. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 0L);
    pread = Some (fun () _ _ _ -> "");
  }
