(* Benchmark plugin: a RAM disk through the zero-copy _buf API.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   The disk is a char Bigarray; pread_buf and pwrite_buf blit between a
   sub-array of it and the buffer nbdkit lends (Array1.blit of
   Array1.sub): one memmove per request, as in nbdkit's C memory plugin.
   Default thread model (PARALLEL), no threads.cmxa, can_multi_conn true:
   see bench/run.py. *)

open Bigarray

let size = ref 1048576
let disk = ref (Array1.create char c_layout 0)

let config key value =
  match key with
  | "size" -> size := Int64.to_int (NBDKit.parse_size value)
  | _ -> failwith ("unknown parameter: " ^ key)

let config_complete () =
  disk := Array1.create char c_layout !size;
  Array1.fill !disk '\000'

let pread_buf () buf offset _flags =
  Array1.blit (Array1.sub !disk (Int64.to_int offset) (Array1.dim buf)) buf

let pwrite_buf () buf offset _flags =
  Array1.blit buf (Array1.sub !disk (Int64.to_int offset) (Array1.dim buf))

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "ram-buf";
  version = "1.0";
  config = Some config;
  config_complete = Some config_complete;
  config_help = "size=<SIZE>  the size of the disk (default 1M)";
  open_connection = Some (fun _readonly -> ());
  get_size = Some (fun () -> Int64.of_int (Array1.dim !disk));
  can_write = Some (fun () -> true);
  can_multi_conn = Some (fun () -> true);
  pread_buf = Some pread_buf;
  pwrite_buf = Some pwrite_buf;
}

let () = NBDKit.register_plugin plugin
