(* A plugin written against nbdkit 1.32's labelled API and built by
   1.32's recipe (-I +unix -I +threads unix.cmxa threads.cmxa NBDKit.cmx,
   with the labelled module's directory): the surface of nbdkit 1.32's
   own test plugin and example (version, labelled arguments, int64
   counts, an int count for pread, block_size, magic_config_key) and the
   callbacks it shares with r128_testplugin.ml, whose debug messages it
   repeats so that one test script checks both.

   Keys: size=SIZE (also as a bare parameter: magic_config_key),
   refuse=true makes preconnect refuse every client. *)

let size = ref 1048576L
let disk = ref (Bytes.make 1048576 '\000')
let refuse = ref false
let ready_pid = ref 0
let lock = Mutex.create ()

let () =
  assert (NBDKit.parse_size "1M" = 1048576L);
  assert (NBDKit.parse_bool "true");
  assert (Sys.is_directory (NBDKit.realpath "."));
  assert (NBDKit.api_version () = 2)

type handle = { id : int; export : string }
let next_id = ref 0

let config k v =
  NBDKit.debug "config %s=%s" k v;
  match k with
  | "size" ->
    size := NBDKit.parse_size v;
    disk := Bytes.make (Int64.to_int !size) '\000'
  | "refuse" -> refuse := NBDKit.parse_bool v
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
  let id = Mutex.lock lock; incr next_id; let id = !next_id in
    Mutex.unlock lock; id in
  NBDKit.debug "open readonly=%b export=%s tls=%b" readonly export
    (NBDKit.is_tls ());
  NBDKit.debug "peer pid=%Ld uid=%Ld gid=%Ld"
    (NBDKit.peer_pid ()) (NBDKit.peer_uid ()) (NBDKit.peer_gid ());
  { id; export }

let list_exports readonly is_tls =
  NBDKit.debug "list_exports readonly=%b tls=%b" readonly is_tls;
  [ { NBDKit.name = "disk1"; description = Some "the first disk" };
    { name = "disk2"; description = None } ]

(* The disk is shared by all connections; the thread model serialises
   requests, so no lock is needed around it. *)
let pread _ count offset _ =
  Bytes.sub_string !disk (Int64.to_int offset) count

let pwrite _ data offset _ =
  Bytes.blit_string data 0 !disk (Int64.to_int offset) (String.length data)

let zero _ count offset _ =
  NBDKit.debug "zero %Ld %Ld" count offset;
  Bytes.fill !disk (Int64.to_int offset) (Int64.to_int count) '\000'

let extents _ count offset _ =
  NBDKit.debug "extents %Ld %Ld" count offset;
  [ { NBDKit.offset = 0L; length = !size; is_hole = false; is_zero = false } ]

let () =
  NBDKit.register_plugin
    ~name:"l132-testplugin"
    ~version:(NBDKit.version ())
    ~magic_config_key:"size"
    ~load:(fun () -> NBDKit.debug "load")
    ~unload:(fun () -> NBDKit.debug "unload")
    ~config
    ~config_complete:(fun () -> NBDKit.debug "config_complete")
    ~get_ready ~after_fork
    ~cleanup:(fun () -> NBDKit.debug "cleanup")
    ~thread_model:(fun () -> NBDKit.THREAD_MODEL_SERIALIZE_ALL_REQUESTS)
    ~preconnect
    ~list_exports
    ~default_export:(fun _ _ -> "disk1")
    ~open_connection
    ~close:(fun h -> NBDKit.debug "close %d" h.id)
    ~get_size:(fun _ -> !size)
    ~export_description:(fun h -> "export " ^ h.export ^ " of l132")
    ~block_size:(fun _ -> (512, 65536, 33554432L))
    ~pread ~pwrite ~zero ~extents
    ~dump_plugin:(fun () -> print_endline "l132_dump=yes")
    ()
