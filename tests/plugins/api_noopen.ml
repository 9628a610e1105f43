(* A test plugin without the required callback open_connection: opening
   it must fail with EINVAL, naming the field. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_noopen";
    get_size = Some (fun () -> 0L);
    pread = Some (fun () _ _ _ -> "");
  }
