(* A RAM disk for the thread tests: 1 MiB (key size=SIZE changes it),
   shared by all connections, with the default thread model (PARALLEL,
   because thread_model is not registered).

   The same source is also built with threads.cmxa (as
   threads_api_ramdisk).  Then callbacks of several threads can interleave
   wherever OCaml code allocates or blocks, so the shared state must stay
   consistent at every such point.  It does without a Mutex (which only
   exists with threads.cmxa): the disk is only replaced by config, before
   any connection exists, and every access to it is a single call of a
   Bytes primitive (blit, sub), during which no other OCaml code runs.
   Overlapping requests from different threads may then mix, as they may
   on a real disk; the tests give each thread its own region. *)

let disk = ref (Bytes.make 1048576 '\000')

let check count offset =
  let count = Int32.to_int count and offset = Int64.to_int offset in
  if offset < 0 || count < 0 || offset + count > Bytes.length !disk then begin
    NBDKit.set_error Unix.EINVAL;
    invalid_arg "api_ramdisk: request out of range"
  end;
  count, offset

let () =
  NBDKit.register_plugin {
    NBDKit.default_callbacks with
    NBDKit.name = "api_ramdisk";
    config = Some (fun k v ->
      match k with
      | "size" -> disk := Bytes.make (Int64.to_int (NBDKit.parse_size v)) '\000'
      | _ -> failwith ("unknown parameter: " ^ k));
    open_connection = Some (fun _ -> ());
    get_size = Some (fun () -> Int64.of_int (Bytes.length !disk));
    can_write = Some (fun () -> true);
    pread = Some (fun () count offset _ ->
      let count, offset = check count offset in
      Bytes.sub_string !disk offset count);
    pwrite = Some (fun () data offset _ ->
      let _, offset = check (Int32.of_int (String.length data)) offset in
      Bytes.blit_string data 0 !disk offset (String.length data));
  }
