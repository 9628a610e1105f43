(* A plugin written against nbdkit 1.28's record API and built by 1.28's
   recipe (unix.cmxa before NBDKit.cmx): every field 1.28 added since
   1.16, the helpers of its NBDKit module, and the two fields libnbdocaml
   adds to the record (magic_config_key, block_size).  Each callback
   reports itself through NBDKit.debug, so that tests can check what ran,
   in which order and with which arguments.  Its twin written for the
   labelled API is l132_testplugin.ml.

   Keys: size=SIZE (also as a bare parameter: magic_config_key),
   refuse=true makes preconnect refuse every client; for the C API's
   tests of bad results, block_size=MIN,PREF,MAX sets what block_size
   returns and nul=true makes default_export, export_description and
   list_exports return names with a NUL byte. *)

let size = ref 1048576L
let disk = ref (Bytes.make 1048576 '\000')
let refuse = ref false
let ready_pid = ref 0
let sizes = ref (512, 65536, 33554432L)
let nul = ref false
let with_nul s = if !nul then s ^ "\000tail" else s

(* What nbdkit 1.28's own test plugin checks at load time: the parsers
   and realpath answer at top level, before registration. *)
let () =
  assert (NBDKit.parse_size "1M" = 1048576L);
  assert (NBDKit.parse_bool "true");
  assert (not (NBDKit.parse_bool "0"));
  assert (Sys.is_directory (NBDKit.realpath "."))

type handle = { id : int; export : string }
let next_id = ref 0

let config k v =
  NBDKit.debug "config %s=%s" k v;
  match k with
  | "size" ->
    size := NBDKit.parse_size v;
    disk := Bytes.make (Int64.to_int !size) '\000'
  | "refuse" -> refuse := NBDKit.parse_bool v
  | "block_size" ->
    Scanf.sscanf v "%d,%d,%Ld" (fun a b c -> sizes := (a, b, c))
  | "nul" -> nul := NBDKit.parse_bool v
  | _ -> failwith ("unknown parameter: " ^ k)

let get_ready () =
  ready_pid := Unix.getpid ();
  NBDKit.debug "get_ready"

let after_fork () =
  NBDKit.debug "after_fork forked=%b" (Unix.getpid () <> !ready_pid)

let preconnect readonly =
  NBDKit.debug "preconnect readonly=%b" readonly;
  if !refuse then begin
    NBDKit.set_error Unix.EACCES;
    failwith "this client is refused by preconnect"
  end

let open_connection readonly =
  let export = NBDKit.export_name () in
  incr next_id;
  NBDKit.debug "open readonly=%b export=%s tls=%b" readonly export
    (NBDKit.is_tls ());
  NBDKit.debug "peer pid=%Ld uid=%Ld gid=%Ld"
    (NBDKit.peer_pid ()) (NBDKit.peer_uid ()) (NBDKit.peer_gid ());
  { id = !next_id; export }

let plugin = {
  NBDKit.default_callbacks with
  NBDKit.name = "r128-testplugin";
  version = NBDKit.version ();
  magic_config_key = "size";
  load = Some (fun () -> NBDKit.debug "load");
  unload = Some (fun () -> NBDKit.debug "unload");
  config = Some config;
  config_complete = Some (fun () -> NBDKit.debug "config_complete");
  get_ready = Some get_ready;
  after_fork = Some after_fork;
  cleanup = Some (fun () -> NBDKit.debug "cleanup");
  thread_model = Some (fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS);
  preconnect = Some preconnect;
  list_exports = Some (fun readonly is_tls ->
    NBDKit.debug "list_exports readonly=%b tls=%b" readonly is_tls;
    [ { NBDKit.name = "disk1"; description = Some "the first disk" };
      { name = with_nul "disk2"; description = None } ]);
  default_export = Some (fun _ _ -> with_nul "disk1");
  open_connection = Some open_connection;
  close = Some (fun h -> NBDKit.debug "close %d" h.id);
  get_size = Some (fun _ -> !size);
  export_description = Some (fun h ->
    with_nul ("export " ^ h.export ^ " of r128"));
  block_size = Some (fun _ -> !sizes);
  pread = Some (fun _ count offset _ ->
    Bytes.sub_string !disk (Int64.to_int offset) (Int32.to_int count));
  pwrite = Some (fun _ data offset _ ->
    Bytes.blit_string data 0 !disk (Int64.to_int offset) (String.length data));
  zero = Some (fun _ count offset _ ->
    NBDKit.debug "zero %ld %Ld" count offset;
    Bytes.fill !disk (Int64.to_int offset) (Int32.to_int count) '\000');
  extents = Some (fun _ count offset _ ->
    NBDKit.debug "extents %ld %Ld" count offset;
    [ { NBDKit.offset = 0L; length = !size; is_hole = false;
        is_zero = false } ]);
  dump_plugin = Some (fun () -> print_endline "r128_dump=yes");
}

let () = NBDKit.register_plugin plugin
