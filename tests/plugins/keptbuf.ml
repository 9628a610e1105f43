(* A test plugin that keeps the buffers lent to pread_buf past the call,
   as a plugin must not, so that tests can check each rule NBDKit.mli
   gives for them.  Every pread_buf first tries each documented operation
   on the buffer the previous pread_buf kept, and reports what happened
   with NBDKit.debug ("get: Invalid_argument", "fill: done" ...); then it
   fills its own buffer with 'r' and keeps it, with a sub-array of its
   first 4 bytes.  With the key write_through_sub=1 it also writes "KEPT"
   through the previous call's sub-array, into memory that its caller has
   reused by then.  A zero-length pread_buf reports "empty: dim 0, string
   \"\"" about its own, valid, buffer. *)

open Bigarray

let kept : NBDKit.buf option ref = ref None
let kept_sub : NBDKit.buf option ref = ref None
let write_through_sub = ref false

let report name f =
  match f () with
  | s -> NBDKit.debug "%s: %s" name s
  | exception Invalid_argument msg -> NBDKit.debug "%s: Invalid_argument %s" name msg
  | exception e -> NBDKit.debug "%s: %s" name (Printexc.to_string e)

let probe b =
  report "dim" (fun () -> string_of_int (Array1.dim b));
  report "get" (fun () -> String.make 1 (Array1.get b 0));
  report "set" (fun () -> Array1.set b 0 'x'; "done");
  report "sub" (fun () -> ignore (Array1.sub b 0 1); "done");
  report "fill" (fun () -> Array1.fill b 'x'; "done");
  report "blit from a non-empty array"
    (fun () -> Array1.blit (Array1.create char c_layout 1) b; "done");
  report "blit_from_string" (fun () -> NBDKit.blit_from_string "x" 0 b 0 0; "done");
  report "blit_from_bytes"
    (fun () -> NBDKit.blit_from_bytes (Bytes.of_string "x") 0 b 0 0; "done");
  report "blit_to_bytes" (fun () -> NBDKit.blit_to_bytes b 0 Bytes.empty 0 0; "done");
  report "buf_to_string" (fun () -> Printf.sprintf "%S" (NBDKit.buf_to_string b))

let pread_buf () buf _offset _flags =
  if Array1.dim buf = 0 then
    NBDKit.debug "empty: dim %d, string %S" (Array1.dim buf)
      (NBDKit.buf_to_string buf)
  else begin
    Option.iter probe !kept;
    (match !kept_sub with
     | Some s when !write_through_sub -> NBDKit.blit_from_string "KEPT" 0 s 0 4
     | _ -> ());
    Array1.fill buf 'r';
    kept := Some buf;
    kept_sub := Some (Array1.sub buf 0 4)
  end

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "keptbuf";
    config = Some (fun k v ->
      if k = "write_through_sub" then write_through_sub := v = "1"
      else failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> 1048576L);
    pread_buf = Some pread_buf;
  }
