(* A test plugin that registers only what NBDKit.register_plugin requires:
   name, open_connection, get_size and pread.  Every other field keeps the
   value of NBDKit.default_callbacks, so the tests can check that the
   library reports exactly these four callbacks, "" for the unset strings,
   and ENOTSUP for every callback that is missing.  The disk reads as the
   byte sequence 0, 1, 2 ... 255, 0, 1 ... so that a read can be checked. *)

let size = 65536L

let pread () count offset _flags =
  String.init (Int32.to_int count)
    (fun i -> Char.chr ((Int64.to_int offset + i) land 255))

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_minimal";
    open_connection = Some (fun _readonly -> ());
    get_size = Some (fun () -> size);
    pread = Some pread;
  }
