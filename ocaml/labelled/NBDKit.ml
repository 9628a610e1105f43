(* libnbdocaml: the NBDKit module of nbdkit >= 1.30 (labelled arguments).
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   A second, self-contained module named NBDKit: the recipes link only
   NBDKit.cmx, so it shares nothing with ../NBDKit.ml except the C
   primitives of libnbdkitocaml.a.  register_plugin packs its arguments
   into a private record of exactly the layout of the record API's
   NBDKit.plugin (see NBDOCAML_CALLBACKS in include/nbdocaml.h) and
   registers it through the same primitive, telling the glue it is the
   labelled API, so that the glue passes counts as int64 (int for pread)
   straight to these closures: no wrapper on the data path.  Like the
   record module, it uses no value of the Unix library. *)

type flag = May_trim | FUA | Req_one
type flags = flag list
type fua_flag = FuaNone | FuaEmulate | FuaNative
type cache_flag = CacheNone | CacheEmulate | CacheNop

type extent = {
  offset : int64;
  length : int64;
  is_hole : bool;
  is_zero : bool;
}

type export = {
  name : string;
  description : string option;
}

type thread_model =
  | THREAD_MODEL_SERIALIZE_CONNECTIONS
  | THREAD_MODEL_SERIALIZE_ALL_REQUESTS
  | THREAD_MODEL_SERIALIZE_REQUESTS
  | THREAD_MODEL_PARALLEL

type buf = (char, Bigarray.int8_unsigned_elt, Bigarray.c_layout) Bigarray.Array1.t

(* Field for field the layout of the record API's 'a plugin; only the
   count types differ.  Not exported. *)
type 'a table = {
  t_name : string;
  t_longname : string;
  t_version : string;
  t_description : string;
  t_load : (unit -> unit) option;
  t_unload : (unit -> unit) option;
  t_config : (string -> string -> unit) option;
  t_config_complete : (unit -> unit) option;
  t_config_help : string;
  t_open_connection : (bool -> 'a) option;
  t_close : ('a -> unit) option;
  t_get_size : ('a -> int64) option;
  t_can_write : ('a -> bool) option;
  t_can_flush : ('a -> bool) option;
  t_is_rotational : ('a -> bool) option;
  t_can_trim : ('a -> bool) option;
  t_dump_plugin : (unit -> unit) option;
  t_can_zero : ('a -> bool) option;
  t_can_fua : ('a -> fua_flag) option;
  t_pread : ('a -> int -> int64 -> flags -> string) option;
  t_pwrite : ('a -> string -> int64 -> flags -> unit) option;
  t_flush : ('a -> flags -> unit) option;
  t_trim : ('a -> int64 -> int64 -> flags -> unit) option;
  t_zero : ('a -> int64 -> int64 -> flags -> unit) option;
  t_can_multi_conn : ('a -> bool) option;
  t_can_extents : ('a -> bool) option;
  t_extents : ('a -> int64 -> int64 -> flags -> extent list) option;
  t_can_cache : ('a -> cache_flag) option;
  t_cache : ('a -> int64 -> int64 -> flags -> unit) option;
  t_thread_model : (unit -> thread_model) option;
  t_can_fast_zero : ('a -> bool) option;
  t_pread_buf : ('a -> buf -> int64 -> flags -> unit) option;
  t_pwrite_buf : ('a -> buf -> int64 -> flags -> unit) option;
  t_get_ready : (unit -> unit) option;
  t_after_fork : (unit -> unit) option;
  t_cleanup : (unit -> unit) option;
  t_preconnect : (bool -> unit) option;
  t_list_exports : (bool -> bool -> export list) option;
  t_default_export : (bool -> bool -> string) option;
  t_export_description : ('a -> string) option;
  t_block_size : ('a -> int * int * int64) option;
  t_magic_config_key : string;
}
(* Only C reads the fields. *)
[@@warning "-69"]

(* 2 is NBDOCAML_OCAML_API_LABELLED: counts are int64, pread's an int. *)
external register_c : int -> 'a table -> (unit -> unit) -> unit
  = "nbdocaml_glue_register_plugin"

let register_plugin ~name ?(longname = "") ?(version = "") ?(description = "")
    ?load ?get_ready ?after_fork ?cleanup ?unload
    ?config ?config_complete ?(config_help = "") ?thread_model
    ?(magic_config_key = "")
    ?preconnect ~open_connection ?close
    ~get_size ?block_size ?can_cache ?can_extents ?can_fast_zero ?can_flush
    ?can_fua ?can_multi_conn ?can_trim ?can_write ?can_zero ?is_rotational
    ~pread ?pwrite ?flush ?trim ?zero ?extents ?cache
    ?pread_buf ?pwrite_buf
    ?dump_plugin ?list_exports ?default_export ?export_description
    () =
  register_c 2 {
    t_name = name; t_longname = longname; t_version = version;
    t_description = description;
    t_load = load; t_unload = unload;
    t_config = config; t_config_complete = config_complete;
    t_config_help = config_help;
    t_open_connection = Some open_connection; t_close = close;
    t_get_size = Some get_size;
    t_can_write = can_write; t_can_flush = can_flush;
    t_is_rotational = is_rotational; t_can_trim = can_trim;
    t_dump_plugin = dump_plugin;
    t_can_zero = can_zero; t_can_fua = can_fua;
    t_pread = Some pread; t_pwrite = pwrite; t_flush = flush;
    t_trim = trim; t_zero = zero;
    t_can_multi_conn = can_multi_conn;
    t_can_extents = can_extents; t_extents = extents;
    t_can_cache = can_cache; t_cache = cache;
    t_thread_model = thread_model;
    t_can_fast_zero = can_fast_zero;
    t_pread_buf = pread_buf; t_pwrite_buf = pwrite_buf;
    t_get_ready = get_ready; t_after_fork = after_fork; t_cleanup = cleanup;
    t_preconnect = preconnect; t_list_exports = list_exports;
    t_default_export = default_export;
    t_export_description = export_description;
    t_block_size = block_size;
    t_magic_config_key = magic_config_key;
  } (fun () -> Stdlib.flush stdout; Stdlib.flush stderr)

external set_error : Unix.error -> unit = "nbdocaml_glue_set_error"
external parse_size : string -> int64 = "nbdocaml_glue_parse_size"
external parse_bool : string -> bool = "nbdocaml_glue_parse_bool"
external read_password : string -> string = "nbdocaml_glue_read_password"
external realpath : string -> string = "nbdocaml_glue_realpath"
external nanosleep : int -> int -> unit = "nbdocaml_glue_nanosleep"
external export_name : unit -> string = "nbdocaml_glue_export_name"
external is_tls : unit -> bool = "nbdocaml_glue_is_tls"
external stdio_safe : unit -> bool = "nbdocaml_glue_stdio_safe"
external shutdown : unit -> unit = "nbdocaml_glue_shutdown"
external disconnect : bool -> unit = "nbdocaml_glue_disconnect"
external peer_pid : unit -> int64 = "nbdocaml_glue_peer_pid"
external peer_uid : unit -> int64 = "nbdocaml_glue_peer_uid"
external peer_gid : unit -> int64 = "nbdocaml_glue_peer_gid"
external peer_name : unit -> Unix.sockaddr = "nbdocaml_glue_peer_name"
external version : unit -> string = "nbdocaml_glue_version"
external api_version : unit -> int = "nbdocaml_glue_api_version"
external blit_from_string : string -> int -> buf -> int -> int -> unit
  = "nbdocaml_glue_blit_from_string"
external blit_to_bytes : buf -> int -> bytes -> int -> int -> unit
  = "nbdocaml_glue_blit_to_bytes"
external debug_c : string -> unit = "nbdocaml_glue_debug"
external pread_fd : Unix.file_descr -> buf -> int64 -> unit
  = "nbdocaml_glue_pread_fd"
external pwrite_fd : Unix.file_descr -> buf -> int64 -> unit
  = "nbdocaml_glue_pwrite_fd"
external fdatasync : Unix.file_descr -> unit = "nbdocaml_glue_fdatasync"
external punch_hole : Unix.file_descr -> int64 -> int64 -> unit
  = "nbdocaml_glue_punch_hole"
external zero_range : Unix.file_descr -> int64 -> int64 -> unit
  = "nbdocaml_glue_zero_range"

external blit_from_bytes : bytes -> int -> buf -> int -> int -> unit
  = "nbdocaml_glue_blit_from_bytes"
external buf_to_string : buf -> string = "nbdocaml_glue_buf_to_string"

let debug fmt = Printf.ksprintf debug_c fmt

(* How the glue prints an exception a callback raised (lib/exceptions.c):
   as OCaml does, registered printers included, with the backtrace when
   the plugin records backtraces.  The glue calls this straight after the
   exception, so the backtrace read first is still the exception's.  The
   name is private to this plugin's runtime. *)
let format_exception exn =
  let bt = Printexc.get_raw_backtrace () in
  let msg = Printexc.to_string exn in
  let bt =
    if Printexc.backtrace_status () then Printexc.raw_backtrace_to_string bt
    else "" in
  msg, bt

let () = Callback.register "nbdocaml.format_exception" format_exception
