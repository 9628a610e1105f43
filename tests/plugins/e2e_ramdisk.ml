(* End-to-end test plugin: a RAM disk in one Bytes buffer shared by all
   connections.  size=SIZE (default 1M, up to 1G and beyond: the buffer is
   allocated once, in config_complete).

   It deliberately has no thread_model callback, so nbdkit must run it
   with the documented default, THREAD_MODEL_PARALLEL.  Requests from
   different connections touch different bytes of the buffer (the tests
   make sure of it) or are ordered by the client, and each callback only
   calls OCaml primitives that do not yield, so no lock is needed even when
   the plugin is linked with threads.cmxa (threads_e2e_ramdisk). *)

let size = ref 1048576L
let disk = ref Bytes.empty

let config key value =
  match key with
  | "size" -> size := NBDKit.parse_size value
  | _ -> failwith (Printf.sprintf "unknown parameter: %s" key)

let config_complete () =
  if !size > Int64.of_int Sys.max_string_length then
    failwith "size too large";
  disk := Bytes.make (Int64.to_int !size) '\000';
  NBDKit.debug "e2e_ramdisk: %Ld bytes" !size

let range count offset =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  if offset < 0 || count < 0 || offset + count > Bytes.length !disk then begin
    NBDKit.set_error Unix.EINVAL;
    invalid_arg "e2e_ramdisk: request out of range"
  end;
  count, offset

let pread () count offset _flags =
  let count, offset = range count offset in
  Bytes.sub_string !disk offset count

let pwrite () data offset _flags =
  let _, offset = range (Int32.of_int (String.length data)) offset in
  Bytes.blit_string data 0 !disk offset (String.length data)

let fill () count offset _flags =
  let count, offset = range count offset in
  Bytes.fill !disk offset count '\000'

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "e2e-ramdisk";
  version = "1.0";
  longname = "end-to-end test RAM disk";
  description = "A RAM disk for the end-to-end tests";
  config = Some config;
  config_complete = Some config_complete;
  config_help = "size=<SIZE>  the size of the RAM disk";
  open_connection = Some (fun _readonly -> ());
  get_size = Some (fun () -> Int64.of_int (Bytes.length !disk));
  pread = Some pread;
  pwrite = Some pwrite;
  flush = Some (fun () _ -> ());
  trim = Some fill;
  zero = Some fill;
  can_multi_conn = Some (fun () -> true);
}

let () = NBDKit.register_plugin plugin
