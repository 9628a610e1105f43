(* A test plugin that registers every callback of the 1.16 interface.
   Its disk is a Bytes buffer shared by all connections.  Each callback
   reports what it was called with through NBDKit.debug ("pread 512 4096
   fua"), so tests can check the arguments that arrived.  Keys: size=SIZE;
   fail=CALLBACK makes that callback raise Failure "boom in CALLBACK",
   after NBDKit.set_error with errno=NAME if given. *)

let size = ref 1048576L
let disk = ref (Bytes.make 1048576 '\000')
let fail_cb = ref ""
let fail_errno = ref None

let note fmt = NBDKit.debug fmt

let errno_of_name = function
  | "EPERM" -> Unix.EPERM | "EIO" -> Unix.EIO | "ENOMEM" -> Unix.ENOMEM
  | "EINVAL" -> Unix.EINVAL | "ENOSPC" -> Unix.ENOSPC
  | "ESHUTDOWN" -> Unix.ESHUTDOWN | "EOVERFLOW" -> Unix.EOVERFLOW
  | "EOPNOTSUPP" -> Unix.EOPNOTSUPP | "EROFS" -> Unix.EROFS
  | "EFBIG" -> Unix.EFBIG | "EACCES" -> Unix.EACCES
  | s -> Unix.EUNKNOWNERR (int_of_string s)

let maybe_fail name =
  if !fail_cb = name then begin
    (match !fail_errno with Some e -> NBDKit.set_error e | None -> ());
    failwith ("boom in " ^ name)
  end

let flags_str flags =
  String.concat "," (List.map (function
    | NBDKit.May_trim -> "may_trim" | NBDKit.FUA -> "fua"
    | NBDKit.Req_one -> "req_one") flags)

type h = { id : int; readonly : bool }
let next_id = ref 0

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "full";
  longname = "every callback";
  version = "1.2.3";
  description = "a test plugin that registers every callback";
  config_help = "size=SIZE fail=CALLBACK errno=NAME";
  load = Some (fun () -> note "load");
  unload = Some (fun () -> note "unload");
  config = Some (fun k v ->
    note "config %s=%s" k v;
    match k with
    | "size" -> size := NBDKit.parse_size v;
                disk := Bytes.make (Int64.to_int !size) '\000'
    | "fail" -> fail_cb := v
    | "errno" -> fail_errno := Some (errno_of_name v)
    | "bool" -> note "bool=%b" (NBDKit.parse_bool v)
    | "parse_size" -> note "parse_size=%Ld" (NBDKit.parse_size v)
    | "password" -> note "password=%s" (NBDKit.read_password v)
    | "debug" -> NBDKit.debug "debug message: %s %d" v 42
    | _ -> failwith ("unknown parameter: " ^ k));
  config_complete = Some (fun () -> note "config_complete"; maybe_fail "config_complete");
  open_connection = Some (fun readonly ->
    maybe_fail "open_connection";
    incr next_id; note "open %b" readonly; { id = !next_id; readonly });
  close = Some (fun h -> note "close %d" h.id; maybe_fail "close");
  get_size = Some (fun _ -> maybe_fail "get_size"; !size);
  can_write = Some (fun h -> maybe_fail "can_write"; not h.readonly);
  can_flush = Some (fun _ -> true);
  is_rotational = Some (fun _ -> false);
  can_trim = Some (fun _ -> true);
  (* print_string does not flush: the library must (print_endline would). *)
  dump_plugin = Some (fun () -> print_string "full_dump=yes\n");
  can_zero = Some (fun _ -> true);
  can_fua = Some (fun _ -> NBDKit.FuaNative);
  pread = Some (fun _ count offset flags ->
    maybe_fail "pread";
    note "pread %ld %Ld %s" count offset (flags_str flags);
    Bytes.sub_string !disk (Int64.to_int offset) (Int32.to_int count));
  pwrite = Some (fun _ data offset flags ->
    maybe_fail "pwrite";
    note "pwrite %d %Ld %s" (String.length data) offset (flags_str flags);
    Bytes.blit_string data 0 !disk (Int64.to_int offset) (String.length data));
  flush = Some (fun _ flags -> maybe_fail "flush"; note "flush %s" (flags_str flags));
  trim = Some (fun _ count offset flags ->
    maybe_fail "trim";
    note "trim %ld %Ld %s" count offset (flags_str flags);
    Bytes.fill !disk (Int64.to_int offset) (Int32.to_int count) '\000');
  zero = Some (fun _ count offset flags ->
    maybe_fail "zero";
    note "zero %ld %Ld %s" count offset (flags_str flags);
    Bytes.fill !disk (Int64.to_int offset) (Int32.to_int count) '\000');
  can_multi_conn = Some (fun _ -> true);
  can_extents = Some (fun _ -> true);
  extents = Some (fun _ count offset flags ->
    maybe_fail "extents";
    note "extents %ld %Ld %s" count offset (flags_str flags);
    (* First half data, second half a zero hole. *)
    let half = Int64.div !size 2L in
    [ { NBDKit.offset = 0L; length = half; is_hole = false; is_zero = false };
      { NBDKit.offset = half; length = half; is_hole = true; is_zero = true } ]);
  can_cache = Some (fun _ -> NBDKit.CacheNop);
  cache = Some (fun _ count offset flags ->
    maybe_fail "cache"; note "cache %ld %Ld %s" count offset (flags_str flags));
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_SERIALIZE_REQUESTS);
  can_fast_zero = Some (fun _ -> true);
}

let () = NBDKit.register_plugin plugin
