(* NBDKit's copies between a live buffer and strings or bytes: a RAM disk
   of 64 KiB (a Bytes.t) whose pread_buf fills the first half of the
   buffer with blit_from_string and the rest with blit_from_bytes, and
   whose pwrite_buf copies the buffer with buf_to_string and again, in two
   halves, with blit_to_bytes, and fails unless both copies agree.  Every
   call also tries copies that fit exactly (the last 16 bytes, an empty
   copy at the end) and copies that do not (past either end, negative
   offsets or lengths), and reports how many of the latter raised
   Invalid_argument: "bounds: 9 of 9 refused, edges ok".  It registers no
   string pread: pread_buf alone is enough for the record API. *)

open Bigarray

let disk = Bytes.make 65536 '\000'

let refused f = try f (); false with Invalid_argument _ -> true

let try_bounds buf =
  let n = Array1.dim buf in
  let s = String.make 16 'z' and b = Bytes.make 16 'z' in
  let bad = [
    (fun () -> NBDKit.blit_from_string s 0 buf (n - 1) 2);
    (fun () -> NBDKit.blit_from_string s 15 buf 0 2);
    (fun () -> NBDKit.blit_from_string s (-1) buf 0 1);
    (fun () -> NBDKit.blit_from_bytes b 0 buf 0 (-1));
    (fun () -> NBDKit.blit_from_bytes b 0 buf (n + 1) 0);
    (fun () -> NBDKit.blit_from_bytes b 0 buf (-1) 1);
    (fun () -> NBDKit.blit_to_bytes buf (n - 1) b 0 2);
    (fun () -> NBDKit.blit_to_bytes buf 0 b 15 2);
    (fun () -> NBDKit.blit_to_bytes buf 0 b 0 17);
  ] in
  (* Within bounds: written back as they were, so the data is kept. *)
  let edges () =
    if n >= 16 then begin
      let saved = Bytes.create 16 in
      NBDKit.blit_to_bytes buf (n - 16) saved 0 16;
      NBDKit.blit_from_bytes saved 0 buf (n - 16) 16
    end;
    NBDKit.blit_from_string s 16 buf n 0;
    NBDKit.blit_to_bytes buf n b 16 0
  in
  let r = List.length (List.filter refused bad) in
  NBDKit.debug "bounds: %d of %d refused, edges %s" r (List.length bad)
    (if refused edges then "refused" else "ok")

let pread_buf () buf offset _flags =
  try_bounds buf;
  let n = Array1.dim buf and off = Int64.to_int offset in
  let half = n / 2 in
  NBDKit.blit_from_string (Bytes.unsafe_to_string disk) off buf 0 half;
  NBDKit.blit_from_bytes disk (off + half) buf half (n - half)

let pwrite_buf () buf offset _flags =
  try_bounds buf;
  let n = Array1.dim buf and off = Int64.to_int offset in
  let half = n / 2 in
  let whole = NBDKit.buf_to_string buf in
  if String.length whole <> n then failwith "buf_to_string: wrong length";
  NBDKit.blit_to_bytes buf 0 disk off half;
  NBDKit.blit_to_bytes buf half disk (off + half) (n - half);
  if Bytes.sub_string disk off n <> whole then
    failwith "buf_to_string and blit_to_bytes disagree"

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "blits";
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> Int64.of_int (Bytes.length disk));
    pread_buf = Some pread_buf;
    pwrite_buf = Some pwrite_buf;
  }
