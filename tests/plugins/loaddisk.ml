(* A RAM disk for the thread, load, lifecycle and differential tests:
   pread, pwrite, trim and zero (both zero the range, like nbdkit's memory
   plugin), flush, at the default PARALLEL thread model (thread_model is
   not registered).  size=SIZE (default 1M) replaces the disk; call it
   before any connection exists.  gc=1 runs a full collection and
   compaction, which also runs the finalisers of what became garbage.

   The same source is also built with threads.cmxa (threads_loaddisk).
   Then callbacks of several threads can interleave wherever OCaml code
   allocates or blocks, so the shared state must stay consistent at every
   such point.  It does without a Mutex (which only exists with
   threads.cmxa): every access to the disk is a single call of a Bytes
   primitive (blit, sub, fill), during which no other OCaml code runs.
   Overlapping requests from different threads may then mix, as they may on
   a real disk; the tests give each thread its own region. *)

let disk = ref (Bytes.make (1024 * 1024) '\000')

let range count offset =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  if offset < 0 || count < 0 || offset > Bytes.length !disk - count then begin
    NBDKit.set_error Unix.EINVAL;
    invalid_arg (Printf.sprintf "out of range: %d+%d" offset count)
  end;
  offset, count

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "loaddisk";
  config = Some (fun k v ->
    match k with
    | "size" -> disk := Bytes.make (Int64.to_int (NBDKit.parse_size v)) '\000'
    | "gc" -> Gc.compact ()
    | _ -> failwith ("unknown parameter: " ^ k));
  open_connection = Some (fun _ -> ());
  get_size = Some (fun () -> Int64.of_int (Bytes.length !disk));
  can_write = Some (fun () -> true);
  can_flush = Some (fun () -> true);
  can_trim = Some (fun () -> true);
  can_zero = Some (fun () -> true);
  can_multi_conn = Some (fun () -> true);
  pread = Some (fun () count offset _ ->
    let offset, count = range count offset in
    Bytes.sub_string !disk offset count);
  pwrite = Some (fun () data offset _ ->
    let offset, count = range (Int32.of_int (String.length data)) offset in
    Bytes.blit_string data 0 !disk offset count);
  trim = Some (fun () count offset _ ->
    let offset, count = range count offset in
    Bytes.fill !disk offset count '\000');
  zero = Some (fun () count offset _ ->
    let offset, count = range count offset in
    Bytes.fill !disk offset count '\000');
  flush = Some (fun () _ -> ());
}

let () = NBDKit.register_plugin plugin
