(* A test plugin whose pread does not return the number of bytes asked
   for.  A read at offset 0 returns one byte too few, which the library
   must turn into an error; a read anywhere else returns 16 bytes too
   many, which the library must ignore.  The bytes follow the pattern
   (offset + i) mod 251, so a test can tell which ones it received. *)

let byte_at pos = Char.chr (pos mod 251)

let pread () count offset _flags =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  let n = if offset = 0 then count - 1 else count + 16 in
  String.init (max n 0) (fun i -> byte_at (offset + i))

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_short";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 1048576L);
    pread = Some pread;
  }
