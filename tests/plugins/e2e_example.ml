(* A compatibility check: a plugin written the way nbdkit 1.16's
   plugins/ocaml/example.ml and nbdkit-ocaml-plugin(3) write one.  A RAM
   disk with a "size" parameter parsed by NBDKit.parse_size, a handle
   record with an id that the callbacks print with printf-style
   NBDKit.debug, load/unload/dump_plugin hooks, and the
   SERIALIZE_CONNECTIONS thread model.  Written for these tests; it only
   mirrors the API usage of that example.

   Serve it with:  nbdkit -f -v ./nbdkit-e2e_example-plugin.so size=100M *)

open Printf

(* The disk, 1M unless size= says otherwise. *)
let disk = ref (Bytes.make (1024 * 1024) '\000')

let example_load () =
  NBDKit.debug "e2e example plugin loaded"

let example_unload () =
  NBDKit.debug "e2e example plugin unloaded"

(* Extra lines for nbdkit --dump-plugin. *)
let example_dump_plugin () =
  printf "e2e_example_answer=42\n";
  flush stdout

let example_config key value =
  match key with
  | "size" ->
    let size = NBDKit.parse_size value in
    disk := Bytes.make (Int64.to_int size) '\000'
  | _ ->
    failwith (sprintf "unknown parameter: %s" key)

let example_config_complete () =
  NBDKit.debug "e2e example plugin: disk is %d bytes" (Bytes.length !disk)

(* Any type can be the per-connection handle: a record with an id here. *)
type handle = {
  h_id : int;
  h_readonly : bool;
}

let next_id = ref 0

let example_open readonly =
  incr next_id;
  NBDKit.debug "e2e example plugin: open handle id=%d readonly=%b"
    !next_id readonly;
  { h_id = !next_id; h_readonly = readonly }

let example_close h =
  NBDKit.debug "e2e example plugin: close handle id=%d" h.h_id

let example_get_size h =
  NBDKit.debug "e2e example plugin: get_size handle id=%d" h.h_id;
  Int64.of_int (Bytes.length !disk)

let example_can_write h = not h.h_readonly

let example_pread h count offset _flags =
  NBDKit.debug "e2e example plugin: pread handle id=%d count=%ld offset=%Ld"
    h.h_id count offset;
  let count = Int32.to_int count in
  let buf = Bytes.create count in
  Bytes.blit !disk (Int64.to_int offset) buf 0 count;
  Bytes.to_string buf

let example_pwrite h data offset _flags =
  NBDKit.debug "e2e example plugin: pwrite handle id=%d count=%d offset=%Ld"
    h.h_id (String.length data) offset;
  String.blit data 0 !disk (Int64.to_int offset) (String.length data)

let example_thread_model () =
  NBDKit.THREAD_MODEL_SERIALIZE_CONNECTIONS

let plugin = {
  NBDKit.default_callbacks with
    NBDKit.name     = "e2eexample";
    version         = "1.0";
    load            = Some example_load;
    unload          = Some example_unload;
    dump_plugin     = Some example_dump_plugin;
    config          = Some example_config;
    config_complete = Some example_config_complete;
    config_help     = "size=<SIZE>  size of the RAM disk";
    open_connection = Some example_open;
    close           = Some example_close;
    get_size        = Some example_get_size;
    can_write       = Some example_can_write;
    pread           = Some example_pread;
    pwrite          = Some example_pwrite;
    thread_model    = Some example_thread_model;
}

let () = NBDKit.register_plugin plugin
