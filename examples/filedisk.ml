(* An example nbdkit plugin in OCaml: serve a file (or a block device).
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   Build it with the recipe of nbdkit-ocaml-plugin(3) plus the threads
   library (on OCaml 5, add -I +unix before unix.cmxa):

     ocamlopt.opt -output-obj -runtime-variant _pic \
       -o nbdkit-filedisk-plugin.so -I +threads unix.cmxa threads.cmxa \
       NBDKit.cmx filedisk.ml -cclib -lnbdkitocaml

   and serve a file:  nbdkit ./nbdkit-filedisk-plugin.so file=disk.img
   (readonly=true serves it read-only, as nbdkit -r does.)

   What it shows:
   - file= is made absolute in config: nbdkit changes directory to / when
     it goes into the background, after config but before the first
     client, so a relative name would then point elsewhere.
   - threads.cmxa, so that a request blocked in the kernel lets the
     others run: the NBDKit file helpers release the OCaml runtime while
     they wait.
   - pread_buf and pwrite_buf, with NBDKit.pread_fd and pwrite_fd: the
     data goes between the file and the client's buffer in one system
     call, with no copy through an OCaml string.  They read and write at
     an offset, so connections and threads share no file position.
   - flush with fdatasync, FUA handled natively, trim by punching a hole,
     zero with fallocate's zero-range, each with a fallback where the file
     system lacks it.
   - An uncaught Unix.Unix_error (say, EROFS or ENOSPC from the file
     system) reaches the client with its own errno. *)

let file = ref ""
let readonly = ref false

let config key value =
  match key with
  | "file" -> file := NBDKit.realpath value     (* raises if it is missing *)
  | "readonly" -> readonly := NBDKit.parse_bool value
  | _ -> failwith (Printf.sprintf "unknown parameter: %s" key)

let config_complete () =
  if !file = "" then failwith "file=<FILENAME> is required"

(* One file descriptor per connection, read-only when the client or the
   configuration asks for that. *)
type handle = { fd : Unix.file_descr; size : int64; writable : bool }

let open_connection client_readonly =
  let writable = not (client_readonly || !readonly) in
  let mode = if writable then Unix.O_RDWR else Unix.O_RDONLY in
  let fd = Unix.openfile !file [mode; Unix.O_CLOEXEC] 0 in
  (* lseek rather than fstat: it gives a block device's size too. *)
  let size = Unix.LargeFile.lseek fd 0L Unix.SEEK_END in
  NBDKit.debug "filedisk: opened %s (%Ld bytes, %s)" !file size
    (if writable then "read-write" else "read-only");
  { fd; size; writable }

let close h = Unix.close h.fd
let get_size h = h.size
let can_write h = h.writable

let pread_buf h buf offset _flags = NBDKit.pread_fd h.fd buf offset

let pwrite_buf h buf offset flags =
  NBDKit.pwrite_fd h.fd buf offset;
  if List.mem NBDKit.FUA flags then NBDKit.fdatasync h.fd

let flush h _flags = NBDKit.fdatasync h.fd

(* Whether the file system has been found to lack hole punching or
   zero-range, so that later requests go straight to the fallback.  Plain
   booleans are safe: only one thread runs OCaml code at a time. *)
let no_punch = ref false
let no_zero_range = ref false

let unsupported = function
  | Unix.EOPNOTSUPP | Unix.ENOSYS | Unix.ENODEV -> true
  | _ -> false

(* Returns true when the hole was punched. *)
let try_punch h count offset =
  not !no_punch &&
  match NBDKit.punch_hole h.fd offset count with
  | () -> true
  | exception Unix.Unix_error (e, _, _) when unsupported e ->
    no_punch := true; false

(* A trim is only advice: without hole punching, do nothing. *)
let trim h count offset flags =
  ignore (try_punch h (Int64.of_int32 count) offset);
  if List.mem NBDKit.FUA flags then NBDKit.fdatasync h.fd

(* The fallback for zeroing: write zeroes from a buffer that is never
   written to, so all threads can share it. *)
let zeroes =
  let b = Bigarray.(Array1.create char c_layout (1024 * 1024)) in
  Bigarray.Array1.fill b '\000';
  b

let write_zeroes h count offset =
  let rec loop count offset =
    if count > 0L then (
      let n = min count (Int64.of_int (Bigarray.Array1.dim zeroes)) in
      NBDKit.pwrite_fd h.fd (Bigarray.Array1.sub zeroes 0 (Int64.to_int n))
        offset;
      loop (Int64.sub count n) (Int64.add offset n)) in
  loop count offset

let try_zero_range h count offset =
  not !no_zero_range &&
  match NBDKit.zero_range h.fd offset count with
  | () -> true
  | exception Unix.Unix_error (e, _, _) when unsupported e ->
    no_zero_range := true; false

(* Zero-range keeps the blocks allocated; with May_trim a punched hole
   reads as zeroes as well; otherwise write them. *)
let zero h count offset flags =
  let count = Int64.of_int32 count in
  if not (try_zero_range h count offset ||
          (List.mem NBDKit.May_trim flags && try_punch h count offset)) then
    write_zeroes h count offset;
  if List.mem NBDKit.FUA flags then NBDKit.fdatasync h.fd

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "filedisk";
  version = "1.0";
  longname = "OCaml file example";
  description = "Serve a file or block device, written in OCaml";
  config = Some config;
  config_complete = Some config_complete;
  config_help = "file=<FILENAME>  the file to serve (required)\n\
                 readonly=<BOOL>  serve it read-only";
  magic_config_key = "file";
  open_connection = Some open_connection;
  close = Some close;
  get_size = Some get_size;
  can_write = Some can_write;
  can_flush = Some (fun _ -> true);
  can_trim = Some can_write;
  can_zero = Some can_write;
  can_fua = Some (fun _ -> NBDKit.FuaNative);
  (* Every connection reads and writes the same file through the kernel's
     page cache, and flush syncs the whole file. *)
  can_multi_conn = Some (fun _ -> true);
  pread_buf = Some pread_buf;
  pwrite_buf = Some pwrite_buf;
  flush = Some flush;
  trim = Some trim;
  zero = Some zero;
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_PARALLEL);
}

let () = NBDKit.register_plugin plugin
