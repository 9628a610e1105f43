(* An example nbdkit plugin in OCaml: a RAM disk.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   Build it with the recipe of nbdkit-ocaml-plugin(3):

     ocamlopt.opt -output-obj -runtime-variant _pic \
       -o nbdkit-ramdisk-plugin.so NBDKit.cmx ramdisk.ml -cclib -lnbdkitocaml

   and serve it:  nbdkit ./nbdkit-ramdisk-plugin.so size=64M

   All connections share one disk.  The plugin does not link threads.cmxa,
   so its callbacks never run concurrently and need no lock. *)

let size = ref 1048576L
let disk = ref Bytes.empty

(* The first sector says hello, so that reading the disk shows something. *)
let greeting = "Hello from an nbdkit plugin written in OCaml!\n"

let config key value =
  match key with
  | "size" -> size := NBDKit.parse_size value
  | _ -> failwith (Printf.sprintf "unknown parameter: %s" key)

let config_complete () =
  if !size > Int64.of_int Sys.max_string_length then
    failwith "size is too large for this example";
  disk := Bytes.make (Int64.to_int !size) '\000';
  let n = min (String.length greeting) (Bytes.length !disk) in
  Bytes.blit_string greeting 0 !disk 0 n;
  NBDKit.debug "ramdisk: %Ld bytes" !size

let open_connection readonly =
  NBDKit.debug "ramdisk: new connection (readonly=%b)" readonly;
  ()

let get_size () = Int64.of_int (Bytes.length !disk)

(* Requests are within the size nbdkit announced, but check anyway. *)
let check count offset =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  if offset < 0 || count < 0 || offset + count > Bytes.length !disk then (
    NBDKit.set_error Unix.EINVAL;
    invalid_arg "request out of range");
  count, offset

let pread () count offset _flags =
  let count, offset = check count offset in
  Bytes.sub_string !disk offset count

let pwrite () data offset _flags =
  let _, offset = check (Int32.of_int (String.length data)) offset in
  Bytes.blit_string data 0 !disk offset (String.length data)

let zero () count offset _flags =
  let count, offset = check count offset in
  Bytes.fill !disk offset count '\000'

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "ramdisk";
  version = "1.0";
  longname = "OCaml RAM disk example";
  description = "A RAM disk written in OCaml";
  config = Some config;
  config_complete = Some config_complete;
  config_help = "size=<SIZE>  the size of the disk (default 1M)";
  open_connection = Some open_connection;
  get_size = Some get_size;
  pread = Some pread;
  pwrite = Some pwrite;
  zero = Some zero;
  can_multi_conn = Some (fun () -> true);
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_PARALLEL);
}

let () = NBDKit.register_plugin plugin
