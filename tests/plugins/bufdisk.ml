(* A RAM disk using the zero-copy callbacks pread_buf and pwrite_buf, and
   also the string pread, so tests can see that the _buf one is preferred.
   Every pread_buf also checks that the buffers lent to the previous
   pread_buf and pwrite_buf can no longer be used: touching them must raise
   Invalid_argument, which is reported through NBDKit.debug ("stale
   buffer: Invalid_argument", "stale write buffer: Invalid_argument"). *)

open Bigarray

let size = ref 1048576
let disk = ref (Array1.create char c_layout 0)
let kept : NBDKit.buf option ref = ref None
let kept_write : NBDKit.buf option ref = ref None

let check_stale () =
  (match !kept with
   | None -> ()
   | Some b ->
      (try
         ignore (Array1.get b 0);
         NBDKit.debug "stale buffer: readable"
       with Invalid_argument _ -> NBDKit.debug "stale buffer: Invalid_argument");
      (try
         NBDKit.blit_from_string "x" 0 b 0 1;
         NBDKit.debug "stale buffer: writable"
       with Invalid_argument _ -> NBDKit.debug "stale buffer: blit Invalid_argument"));
  match !kept_write with
  | None -> ()
  | Some b ->
     kept_write := None;
     (try
        ignore (Array1.get b 0);
        NBDKit.debug "stale write buffer: readable"
      with Invalid_argument _ ->
        NBDKit.debug "stale write buffer: Invalid_argument");
     (try
        ignore (NBDKit.buf_to_string b);
        NBDKit.debug "stale write buffer: copied"
      with Invalid_argument _ ->
        NBDKit.debug "stale write buffer: copy Invalid_argument")

let pread_buf () buf offset _flags =
  check_stale ();
  let n = Array1.dim buf and off = Int64.to_int offset in
  Array1.blit (Array1.sub !disk off n) buf;
  kept := Some buf

let pwrite_buf () buf offset _flags =
  let n = Array1.dim buf and off = Int64.to_int offset in
  Array1.blit buf (Array1.sub !disk off n);
  kept_write := Some buf

(* Never called while pread_buf is registered. *)
let pread () _ _ _ = failwith "the string pread was called"

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "bufdisk";
  config = Some (fun k v ->
    match k with
    | "size" -> size := Int64.to_int (NBDKit.parse_size v)
    | _ -> failwith ("unknown parameter: " ^ k));
  config_complete = Some (fun () ->
    disk := Array1.create char c_layout !size;
    Array1.fill !disk '\000');
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> Int64.of_int (Array1.dim !disk));
  pread = Some pread;
  pread_buf = Some pread_buf;
  pwrite_buf = Some pwrite_buf;
  can_multi_conn = Some (fun () -> true);
}

let () = NBDKit.register_plugin plugin
