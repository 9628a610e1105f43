(* A RAM disk for the load and differential tests: pread, pwrite, trim and
   zero (both zero the range, like nbdkit's memory plugin), flush, at the
   default PARALLEL thread model.  size=SIZE (default 64M). *)

let disk = ref (Bytes.make (64 * 1024 * 1024) '\000')

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
