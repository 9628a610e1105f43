(* Benchmark plugin: a RAM disk through the string API.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   The disk is one Bytes; pread returns a fresh string (Bytes.sub_string),
   pwrite blits the string it is given.  That is one allocation and two
   copies per read (OCaml's, then the glue's into nbdkit's buffer) and one
   allocation and two copies per write.  Default thread model (PARALLEL),
   no threads.cmxa, can_multi_conn true: see bench/run.py. *)

let size = ref 1048576
let disk = ref Bytes.empty

let config key value =
  match key with
  | "size" -> size := Int64.to_int (NBDKit.parse_size value)
  | _ -> failwith ("unknown parameter: " ^ key)

let config_complete () = disk := Bytes.make !size '\000'

let pread () count offset _flags =
  Bytes.sub_string !disk (Int64.to_int offset) (Int32.to_int count)

let pwrite () data offset _flags =
  Bytes.blit_string data 0 !disk (Int64.to_int offset) (String.length data)

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "ram-string";
  version = "1.0";
  config = Some config;
  config_complete = Some config_complete;
  config_help = "size=<SIZE>  the size of the disk (default 1M)";
  open_connection = Some (fun _readonly -> ());
  get_size = Some (fun () -> Int64.of_int (Bytes.length !disk));
  can_write = Some (fun () -> true);
  can_multi_conn = Some (fun () -> true);
  pread = Some pread;
  pwrite = Some pwrite;
}

let () = NBDKit.register_plugin plugin
