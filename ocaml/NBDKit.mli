(* libnbdocaml: the NBDKit module for nbdkit plugins written in OCaml.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE. *)

(** Write nbdkit plugins in OCaml.

    This is the plugin interface of nbdkit 1.16.  Build a plugin with

    {v
ocamlopt.opt -output-obj -runtime-variant _pic \
  -o nbdkit-myplugin-plugin.so NBDKit.cmx myplugin.ml -cclib -lnbdkitocaml
    v}

    and serve it with [nbdkit ./nbdkit-myplugin-plugin.so], or open it from
    C with [nbdocaml_module_open] (see [nbdocaml.h]).

    The plugin's top-level code must call {!register_plugin} exactly once.
    Callbacks report errors by raising an exception; call {!set_error}
    before raising to choose the errno the client sees (EIO otherwise).

    {b Threads.}  The runtime lets one thread at a time run OCaml code.  If
    the plugin links [threads.cmxa] ([-I +threads unix.cmxa threads.cmxa]
    before the plugin's own files), a callback that blocks in the [Unix]
    or [Thread] modules lets other requests run meanwhile, so any state
    shared between callbacks then needs a [Mutex]. *)

type flag = May_trim | FUA | Req_one
(** Flags passed with a request: [May_trim] (a zero request may punch a
    hole), [FUA] (force unit access: the data must be on stable storage
    when the call returns), [Req_one] (an extents request wants only the
    first extent). *)

type flags = flag list

type fua_flag = FuaNone | FuaEmulate | FuaNative
(** What {!field-can_fua} returns: no FUA support, emulate it with a flush,
    or handle the [FUA] flag natively. *)

type cache_flag = CacheNone | CacheEmulate | CacheNop
(** What {!field-can_cache} returns: no cache support, emulate it with
    reads, or accept cache requests and do nothing. *)

type extent = {
  offset : int64;
  length : int64;
  is_hole : bool;  (** the range is not allocated *)
  is_zero : bool;  (** the range reads as zeroes *)
}
(** One extent returned by {!field-extents}. *)

type buf = (char, Bigarray.int8_unsigned_elt, Bigarray.c_layout) Bigarray.Array1.t
(** The caller's memory, lent to {!field-pread_buf} and {!field-pwrite_buf}
    without a copy.  It is valid only during the call: afterwards its
    length becomes 0, so a kept reference raises [Invalid_argument] on any
    checked access.  Unchecked accesses ([unsafe_get], [unsafe_set]) and
    sub-arrays ([Bigarray.Array1.sub]) taken during the call still point at
    the old memory: never use them after returning. *)

type thread_model =
  | THREAD_MODEL_SERIALIZE_CONNECTIONS
  | THREAD_MODEL_SERIALIZE_ALL_REQUESTS
  | THREAD_MODEL_SERIALIZE_REQUESTS
  | THREAD_MODEL_PARALLEL
(** How much concurrency the plugin accepts; see THREADS in
    nbdkit-plugin(3).  The default is [THREAD_MODEL_PARALLEL]. *)

type 'a plugin = {
  name : string;                (** required: the plugin's short name *)
  longname : string;
  version : string;
  description : string;

  load : (unit -> unit) option;   (** once, when the plugin is loaded *)
  unload : (unit -> unit) option; (** once, before the plugin is unloaded *)

  config : (string -> string -> unit) option;
  (** [config key value], once per [key=value] on the command line *)
  config_complete : (unit -> unit) option;
  (** after the last [config] *)
  config_help : string;
  (** the plugin's [key=value] parameters, for [nbdkit PLUGIN --help] *)

  open_connection : (bool -> 'a) option;
  (** required: [open_connection readonly] returns the connection handle *)
  close : ('a -> unit) option;

  get_size : ('a -> int64) option;  (** required: the size in bytes *)

  can_write : ('a -> bool) option;
  can_flush : ('a -> bool) option;
  is_rotational : ('a -> bool) option;
  can_trim : ('a -> bool) option;

  dump_plugin : (unit -> unit) option;
  (** print [key=value] lines on stdout for [nbdkit PLUGIN --dump-plugin] *)

  can_zero : ('a -> bool) option;
  can_fua : ('a -> fua_flag) option;

  pread : ('a -> int32 -> int64 -> flags -> string) option;
  (** required (or [pread_buf]): [pread h count offset flags] returns [count] bytes read at
      [offset].  Fewer bytes is an error; bytes past [count] are ignored. *)
  pwrite : ('a -> string -> int64 -> flags -> unit) option;
  (** [pwrite h data offset flags] writes all of [data] at [offset] *)
  flush : ('a -> flags -> unit) option;
  trim : ('a -> int32 -> int64 -> flags -> unit) option;
  (** [trim h count offset flags] *)
  zero : ('a -> int32 -> int64 -> flags -> unit) option;
  (** [zero h count offset flags] *)

  can_multi_conn : ('a -> bool) option;

  can_extents : ('a -> bool) option;
  extents : ('a -> int32 -> int64 -> flags -> extent list) option;
  (** [extents h count offset flags]: the extents from [offset], covering
      at least the first byte *)

  can_cache : ('a -> cache_flag) option;
  cache : ('a -> int32 -> int64 -> flags -> unit) option;

  thread_model : (unit -> thread_model) option;

  can_fast_zero : ('a -> bool) option;

  pread_buf : ('a -> buf -> int64 -> flags -> unit) option;
  (** Zero-copy read: [pread_buf h buf offset flags] fills all of [buf]
      (its length is the count) with the data at [offset].  Used instead of
      [pread] when both are set.  Not part of nbdkit 1.16. *)
  pwrite_buf : ('a -> buf -> int64 -> flags -> unit) option;
  (** Zero-copy write: [pwrite_buf h buf offset flags] writes all of [buf]
      at [offset]; it must not modify [buf].  Used instead of [pwrite] when
      both are set.  Not part of nbdkit 1.16. *)
}
(** The plugin's fields and callbacks.  ['a] is the type of the
    connection handle that [open_connection] returns and every
    per-connection callback receives. *)

val default_callbacks : 'a plugin
(** Every callback [None] and every string [""]: start from it with
    [{ NBDKit.default_callbacks with name = "myplugin"; ... }]. *)

val register_plugin : 'a plugin -> unit
(** Register the plugin.  Call it exactly once, from the plugin's top-level
    code.  [name], [open_connection], [get_size] and [pread] (or
    [pread_buf]) are required:
    without one of them this raises [Invalid_argument], and a second call
    raises [Failure]; either way the plugin fails to load. *)

val set_error : Unix.error -> unit
(** Choose the errno reported for the exception the current callback is
    about to raise.  It applies to the current callback on the current
    thread only; without it a raising callback reports [EIO].
    ([EUNKNOWNERR n] sets errno [n].) *)

(** {2 Parsing parameters}

    Under nbdkit these three call nbdkit's own [nbdkit_parse_size],
    [nbdkit_parse_bool] and [nbdkit_read_password] (which also log the
    reason for a failure); in other hosts an implementation of the same
    rules. *)

val parse_size : string -> int64
(** Parse a size as nbdkit does: a decimal number optionally followed by a
    scale suffix [b], [k]/[K], [M], [G], [T], [P] or [E] (powers of 1024).
    Raises [Invalid_argument] on anything else, negative sizes or
    overflow. *)

val parse_bool : string -> bool
(** Parse a boolean as nbdkit does: [1], [true], [t], [yes], [y], [on] and
    [0], [false], [f], [no], [n], [off], in any case.  Raises
    [Invalid_argument] otherwise. *)

val read_password : string -> string
(** Read a password as nbdkit does: ["-"] reads a line from the terminal
    with echo off, ["-N"] reads it from file descriptor [N], ["+FILE"] reads
    it from [FILE], and anything else is the password itself.  Raises
    [Invalid_argument] when it cannot be read. *)

(** {2 Copying between buffers and strings}

    Bounds-checked [memcpy]s for the [_buf] callbacks; each raises
    [Invalid_argument] when a range does not fit. *)

val blit_from_string : string -> int -> buf -> int -> int -> unit
(** [blit_from_string src srcoff dst dstoff len] *)

val blit_from_bytes : bytes -> int -> buf -> int -> int -> unit
(** [blit_from_bytes src srcoff dst dstoff len] *)

val blit_to_bytes : buf -> int -> bytes -> int -> int -> unit
(** [blit_to_bytes src srcoff dst dstoff len] *)

val buf_to_string : buf -> string
(** A copy of the whole buffer. *)

val debug : ('a, unit, string, unit) format4 -> 'a
(** [debug fmt ...] formats like [Printf.printf] and sends the message to
    the host's debug log: under nbdkit, [nbdkit_debug] (shown with [-v]). *)
