(* A test plugin for how errors and errnos reach the host.
   - trim raises after NBDKit.set_error (EUNKNOWNERR count), so every call
     chooses its own errno: threads running it at once can check that each
     sees the errno it asked for and not another thread's.
   - flush calls NBDKit.set_error EROFS and then returns normally, and
     zero raises Not_found without calling set_error: a zero after a flush
     must report EIO, because set_error applies only to the call that made
     it.
   - pread fails with "boom in pread" when the offset is odd, without
     set_error, and otherwise returns zeroes. *)

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_errors";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 1048576L);
    pread = Some (fun () count offset _ ->
      if Int64.rem offset 2L = 1L then failwith "boom in pread";
      String.make (Int32.to_int count) '\000');
    trim = Some (fun () count _ _ ->
      NBDKit.set_error (Unix.EUNKNOWNERR (Int32.to_int count));
      failwith (Printf.sprintf "trim %ld" count));
    flush = Some (fun () _ -> NBDKit.set_error Unix.EROFS);
    zero = Some (fun () _ _ _ -> raise Not_found);
  }
