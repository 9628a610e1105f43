(* libnbdocaml: the NBDKit module for nbdkit plugins written in OCaml.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.

   Only the record type and thin wrappers live here: validation,
   registration and errno mapping are done in C (lib/primitives.c) so that
   the host sees exactly what was registered.  This module must not use any
   value of the Unix library: the seed's recipe links no unix.cmxa.  Using
   the type Unix.error is fine, it needs only unix.cmi. *)

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

(* Defined before plugin, as nbdkit 1.28 does, so that plugin's name and
   description stay the labels a record expression finds by default. *)
type export = {
  name : string;
  description : string option;
}

type buf = (char, Bigarray.int8_unsigned_elt, Bigarray.c_layout) Bigarray.Array1.t

type thread_model =
  | THREAD_MODEL_SERIALIZE_CONNECTIONS
  | THREAD_MODEL_SERIALIZE_ALL_REQUESTS
  | THREAD_MODEL_SERIALIZE_REQUESTS
  | THREAD_MODEL_PARALLEL

(* The field order is the ABI with lib/: see NBDOCAML_CALLBACKS in
   include/nbdocaml.h, which names each callback's index in this record,
   and lib/gc_roots.c for the strings.  New fields are appended;
   ocaml/labelled/NBDKit.ml has a private record of the same layout. *)
type 'a plugin = {
  name : string;
  longname : string;
  version : string;
  description : string;
  load : (unit -> unit) option;
  unload : (unit -> unit) option;
  config : (string -> string -> unit) option;
  config_complete : (unit -> unit) option;
  config_help : string;
  open_connection : (bool -> 'a) option;
  close : ('a -> unit) option;
  get_size : ('a -> int64) option;
  can_write : ('a -> bool) option;
  can_flush : ('a -> bool) option;
  is_rotational : ('a -> bool) option;
  can_trim : ('a -> bool) option;
  dump_plugin : (unit -> unit) option;
  can_zero : ('a -> bool) option;
  can_fua : ('a -> fua_flag) option;
  pread : ('a -> int32 -> int64 -> flags -> string) option;
  pwrite : ('a -> string -> int64 -> flags -> unit) option;
  flush : ('a -> flags -> unit) option;
  trim : ('a -> int32 -> int64 -> flags -> unit) option;
  zero : ('a -> int32 -> int64 -> flags -> unit) option;
  can_multi_conn : ('a -> bool) option;
  can_extents : ('a -> bool) option;
  extents : ('a -> int32 -> int64 -> flags -> extent list) option;
  can_cache : ('a -> cache_flag) option;
  cache : ('a -> int32 -> int64 -> flags -> unit) option;
  thread_model : (unit -> thread_model) option;
  can_fast_zero : ('a -> bool) option;
  pread_buf : ('a -> buf -> int64 -> flags -> unit) option;
  pwrite_buf : ('a -> buf -> int64 -> flags -> unit) option;
  get_ready : (unit -> unit) option;
  after_fork : (unit -> unit) option;
  cleanup : (unit -> unit) option;
  preconnect : (bool -> unit) option;
  list_exports : (bool -> bool -> export list) option;
  default_export : (bool -> bool -> string) option;
  export_description : ('a -> string) option;
  block_size : ('a -> int * int * int64) option;
  magic_config_key : string;
}

let default_callbacks = {
  name = ""; longname = ""; version = ""; description = "";
  load = None; unload = None;
  config = None; config_complete = None; config_help = "";
  open_connection = None; close = None;
  get_size = None;
  can_write = None; can_flush = None; is_rotational = None; can_trim = None;
  dump_plugin = None;
  can_zero = None; can_fua = None;
  pread = None; pwrite = None; flush = None; trim = None; zero = None;
  can_multi_conn = None;
  can_extents = None; extents = None;
  can_cache = None; cache = None;
  thread_model = None;
  can_fast_zero = None;
  pread_buf = None; pwrite_buf = None;
  get_ready = None; after_fork = None; cleanup = None;
  preconnect = None; list_exports = None; default_export = None;
  export_description = None; block_size = None;
  magic_config_key = "";
}

(* 1 is NBDOCAML_OCAML_API_RECORD: counts are int32. *)
external register_c : int -> 'a plugin -> (unit -> unit) -> unit
  = "nbdocaml_glue_register_plugin"
external set_error : Unix.error -> unit = "nbdocaml_glue_set_error"
external parse_size : string -> int64 = "nbdocaml_glue_parse_size"
external parse_bool : string -> bool = "nbdocaml_glue_parse_bool"
external read_password : string -> string = "nbdocaml_glue_read_password"
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

(* The flush function lets the host put dump_plugin's output in order with
   its own, since OCaml's stdout buffer is separate from C's. *)
let register_plugin p = register_c 1 p (fun () -> flush stdout; flush stderr)

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
