(* A test plugin without the required callback get_size: opening it must
   fail with EINVAL, naming the field. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_nosize";
    open_connection = Some (fun _ -> ());
    pread = Some (fun () _ _ _ -> "");
  }
