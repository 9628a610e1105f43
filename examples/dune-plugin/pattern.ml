(* An example nbdkit plugin built with dune: a read-only disk whose every
   byte is the low byte of its offset (00 01 02 ... ff 00 01 ...).
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE. *)

let size = ref 1048576L

let config key value =
  match key with
  | "size" -> size := NBDKit.parse_size value
  | _ -> failwith (Printf.sprintf "unknown parameter: %s" key)

let pread () count offset _flags =
  String.init (Int32.to_int count)
    (fun i -> Char.unsafe_chr ((Int64.to_int offset + i) land 0xff))

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "pattern";
    version = "1.0";
    description = "A read-only disk of 00 01 02 ... ff, built with dune";
    config = Some config;
    config_help = "size=<SIZE>  the size of the disk (default 1M)";
    open_connection = Some (fun _readonly -> ());
    get_size = Some (fun () -> !size);
    can_write = Some (fun () -> false);
    pread = Some pread;
    thread_model =
      Some (fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS);
  }
