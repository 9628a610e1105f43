(* End-to-end test plugin whose pread returns the wrong number of bytes.
   The disk (1M of 'x') is split in quarters by what pread returns:
     [0, 256K)     exactly count bytes           -> fine
     [256K, 512K)  count - 1 bytes (short)       -> must be an error
     [512K, 768K)  the empty string              -> must be an error
     [768K, 1M)    count + 100 bytes (too long)  -> fine, extra ignored
   NBDKit.mli: "Fewer bytes is an error; bytes past [count] are ignored". *)

let size = 1048576
let quarter = size / 4

let pread () count offset _flags =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  match offset / quarter with
  | 0 -> String.make count 'x'
  | 1 -> String.make (max 0 (count - 1)) 'x'
  | 2 -> ""
  | _ -> String.make (count + 100) 'x'

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "e2e-short";
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> Int64.of_int size);
  pread = Some pread;
}

let () = NBDKit.register_plugin plugin
