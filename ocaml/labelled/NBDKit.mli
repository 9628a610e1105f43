(* libnbdocaml: the NBDKit module of nbdkit >= 1.30 (labelled arguments).
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE. *)

(** Write nbdkit plugins in OCaml: the labelled API of nbdkit 1.30 and
    later.

    This is the interface of nbdkit 1.32's [NBDKit] module (the one its
    nbdkit-ocaml-plugin(3) describes), plus libnbdocaml's zero-copy
    [?pread_buf] and [?pwrite_buf] and a few more helpers.  Select it by
    adding [-I +nbdkit-labelled] to nbdkit's own recipe:

    {v
ocamlopt.opt -output-obj -runtime-variant _pic \
  -o nbdkit-myplugin-plugin.so \
  -I +nbdkit-labelled -I +unix -I +threads unix.cmxa threads.cmxa \
  NBDKit.cmx myplugin.ml -cclib -lnbdkitocaml
    v}

    ([-I +unix] is needed by OCaml 5 and harmless before; [unix.cmxa] and
    [threads.cmxa] are optional, as in nbdkit.)  The same
    [libnbdkitocaml.a] serves this module and the record one of nbdkit
    1.16 to 1.28, which the recipe without [-I +nbdkit-labelled] selects.

    Each function and argument below says the nbdkit release whose OCaml
    module introduced it.  This module as a whole, [register_plugin] with
    labelled arguments, [int64] counts and an [int] count for [pread],
    came with nbdkit 1.30; arguments that existed before as fields of
    the record API give the release of that field.

    {b Errors.}  Callbacks report errors by raising an exception; call
    {!set_error} before raising to choose the errno the client sees;
    failing that an uncaught [Unix.Unix_error (e, _, _)] gives [e], and
    anything else [EIO].  The exception is logged as [Printexc.to_string]
    prints it (registered printers included) after the callback's name,
    and, when the plugin records backtraces ([Printexc.record_backtrace
    true] or [OCAMLRUNPARAM=b]), its backtrace goes to the debug log
    line by line (shown by [nbdkit -v]; build with [-g] for file names
    and lines).  (libnbdocaml 0.2)

    {b Threads.}  The runtime lets one thread at a time run OCaml code.
    With [threads.cmxa] linked, a callback that blocks in the [Unix] or
    [Thread] modules, or in {!nanosleep}, lets other requests run
    meanwhile. *)

type flags = flag list
and flag = May_trim | FUA | Req_one
(** Flags passed with a request: [May_trim] (a zero request may punch a
    hole), [FUA] (force unit access: the data must be on stable storage
    when the call returns), [Req_one] (an extents request wants only the
    first extent).  A list holds each flag at most once, in the order
    nbdkit's own OCaml plugin has always used: [[Req_one; FUA;
    May_trim]].  (nbdkit 1.16) *)

type fua_flag = FuaNone | FuaEmulate | FuaNative
(** What [?can_fua] returns: no FUA support, emulate it with a flush, or
    handle the [FUA] flag natively.  (nbdkit 1.16) *)

type cache_flag = CacheNone | CacheEmulate | CacheNop
(** What [?can_cache] returns: no cache support, emulate it with reads,
    or accept cache requests and do nothing.  (nbdkit 1.16) *)

type extent = {
  offset : int64;
  length : int64;
  is_hole : bool;  (** the range is not allocated *)
  is_zero : bool;  (** the range reads as zeroes *)
}
(** One extent returned by [?extents].  (nbdkit 1.16) *)

type export = {
  name : string;  (** the export name a client connects to *)
  description : string option;  (** shown by clients such as [nbdinfo] *)
}
(** One export returned by [?list_exports].  (nbdkit 1.24) *)

type thread_model =
  | THREAD_MODEL_SERIALIZE_CONNECTIONS
  | THREAD_MODEL_SERIALIZE_ALL_REQUESTS
  | THREAD_MODEL_SERIALIZE_REQUESTS
  | THREAD_MODEL_PARALLEL
(** How much concurrency the plugin accepts; see THREADS in
    nbdkit-plugin(3).  The default is [THREAD_MODEL_PARALLEL].
    (nbdkit 1.16) *)

type buf = (char, Bigarray.int8_unsigned_elt, Bigarray.c_layout) Bigarray.Array1.t
(** The caller's memory, lent to [?pread_buf] and [?pwrite_buf] without a
    copy (an empty buffer when the count is 0).
    It is valid only during the call.  Afterwards, a reference the plugin
    kept sees a buffer of length 0 with no memory behind it:
    - [Bigarray.Array1.dim] is 0;
    - checked accesses ([get], [set], [.{i}], [sub] of a non-empty range,
      [blit] with a non-empty source or destination) raise
      [Invalid_argument], as on any empty array;
    - [fill], and [blit] between empty arrays, do nothing;
    - {!blit_from_string}, {!blit_from_bytes}, {!blit_to_bytes} and
      {!buf_to_string} raise [Invalid_argument] saying that the buffer is
      no longer valid;
    - unchecked accesses ([unsafe_get], [unsafe_set]) are out of bounds:
      undefined behaviour, as on any array (in practice the server
      crashes);
    - a sub-array taken during the call ([Bigarray.Array1.sub]) is a
      separate array that still points at the caller's memory, which the
      caller has reused by then: reading or writing it after the call
      returns touches someone else's data.  Never keep one. 
    (libnbdocaml 0.1; the rules for kept buffers 0.2) *)

val register_plugin :
  name: string ->
  ?longname: string ->
  ?version: string ->
  ?description: string ->

  ?load: (unit -> unit) ->
  ?get_ready: (unit -> unit) ->
  ?after_fork: (unit -> unit) ->
  ?cleanup: (unit -> unit) ->
  ?unload: (unit -> unit) ->

  ?config: (string -> string -> unit) ->
  ?config_complete: (unit -> unit) ->
  ?config_help: string ->
  ?thread_model: (unit -> thread_model) ->
  ?magic_config_key: string ->

  ?preconnect: (bool -> unit) ->
  open_connection: (bool -> 'a) ->
  ?close: ('a -> unit) ->

  get_size: ('a -> int64) ->
  ?block_size: ('a -> int * int * int64) ->
  ?can_cache: ('a -> cache_flag) ->
  ?can_extents: ('a -> bool) ->
  ?can_fast_zero: ('a -> bool) ->
  ?can_flush: ('a -> bool) ->
  ?can_fua: ('a -> fua_flag) ->
  ?can_multi_conn: ('a -> bool) ->
  ?can_trim: ('a -> bool) ->
  ?can_write: ('a -> bool) ->
  ?can_zero: ('a -> bool) ->
  ?is_rotational: ('a -> bool) ->

  pread: ('a -> int -> int64 -> flags -> string) ->
  ?pwrite: ('a -> string -> int64 -> flags -> unit) ->
  ?flush: ('a -> flags -> unit) ->
  ?trim: ('a -> int64 -> int64 -> flags -> unit) ->
  ?zero: ('a -> int64 -> int64 -> flags -> unit) ->
  ?extents: ('a -> int64 -> int64 -> flags -> extent list) ->
  ?cache: ('a -> int64 -> int64 -> flags -> unit) ->
  ?pread_buf: ('a -> buf -> int64 -> flags -> unit) ->
  ?pwrite_buf: ('a -> buf -> int64 -> flags -> unit) ->

  ?dump_plugin: (unit -> unit) ->
  ?list_exports: (bool -> bool -> export list) ->
  ?default_export: (bool -> bool -> string) ->
  ?export_description: ('a -> string) ->

  unit ->
  unit
(** Register the plugin (nbdkit 1.30).  Call it exactly once, from the
    plugin's top-level code, ending with [()].  ['a] is the type of the
    connection handle that [open_connection] returns and every
    per-connection callback receives.  A second call raises [Failure],
    an empty [name] [Invalid_argument]; either way the plugin fails to
    load.  The arguments, in the order nbdkit calls them:

    - [name] the plugin's short name; [longname], [version],
      [description] (nbdkit 1.16 as record fields).
    - [load] once at load; [unload] once, last (nbdkit 1.16).
    - [config key value] once per [key=value] on the command line,
      [config_complete] after the last one, [config_help] the text of
      [nbdkit PLUGIN --help], [thread_model] (nbdkit 1.16).
      [magic_config_key]: a bare parameter ([nbdkit plugin.so 1M]) is
      passed to [config] under this key (nbdkit 1.30).
    - [get_ready] after [config_complete], before the server forks
      (nbdkit 1.22); [after_fork] after it forked into the background,
      or not with [-f]: start threads here (nbdkit 1.22).
    - [preconnect readonly] when a client connects, before the NBD
      handshake: raise to refuse it (nbdkit 1.18).
    - [list_exports readonly is_tls] the exports [nbdinfo --list] sees;
      [default_export readonly is_tls] the canonical name of [""] (nbdkit
      1.24).
    - [open_connection readonly] returns the handle ({!export_name} tells
      which export the client asked for); [close h] (nbdkit 1.16).
    - [get_size h] in bytes (nbdkit 1.16); [export_description h] (nbdkit
      1.24); [block_size h] is [(minimum, preferred, maximum)] in bytes:
      all 0, or 1 <= minimum <= preferred <= maximum <= 0xffffffff, and
      nbdkit also wants powers of two (nbdkit 1.30); [can_*] and
      [is_rotational] (nbdkit 1.16; [can_fast_zero] 1.16).
    - [pread h count offset flags] returns [count] bytes read at [offset]
      (fewer is an error, more are ignored); [pwrite h data offset flags]
      writes all of [data]; [flush h flags]; [trim], [zero], [cache h
      count offset flags]; [extents h count offset flags] the extents
      from [offset], covering at least the first byte (nbdkit 1.16 as
      record fields; the [int64] counts and [pread]'s [int] count are
      nbdkit 1.30's).  Counts are up to 4 GiB - 1 and arrive whole.
    - [pread_buf h buf offset flags] fills all of [buf] in place and
      [pwrite_buf h buf offset flags] writes all of [buf] (which it must
      not modify), without copying; each is used instead of [pread] /
      [pwrite] when given ([pread] is still required).  Not part of
      nbdkit: libnbdocaml 0.2.
    - [dump_plugin ()] prints [key=value] lines for [nbdkit PLUGIN
      --dump-plugin] (nbdkit 1.16).
    - [cleanup] after the last connection closed, before [unload] (nbdkit
      1.28). *)

val set_error : Unix.error -> unit
(** Choose the errno reported for the exception the current callback is
    about to raise, on the current thread; without it a raising callback
    reports the errno of an uncaught [Unix.Unix_error], else [EIO].
    (nbdkit 1.16) *)

(** {2 Parsing parameters}

    Under nbdkit nbdkit's own [nbdkit_parse_size], [nbdkit_parse_bool]
    and [nbdkit_read_password]; elsewhere the same rules.  They raise
    [Invalid_argument] on bad input. *)

val parse_size : string -> int64
(** A size with an optional suffix ([b], [k], [M], [G], [T], [P], [E],
    powers of 1024, or [s], 512-byte sectors), as nbdkit reads it: leading
    white space and a sign are allowed, negative sizes are not.  (nbdkit
    1.16) *)

val parse_bool : string -> bool
(** [1], [true], [t], [yes], [y], [on] and their opposites, in any case.
    (nbdkit 1.16) *)

val read_password : string -> string
(** ["-"] from the terminal (echo off), ["-N"] a line from file descriptor
    [N] (not 0, 1 or 2), which is then closed, ["+FILE"] the first line of
    a file, any other string starting with [-] an error, else the string
    itself.  (nbdkit 1.16) *)

(** {2 Asking the server}

    Under nbdkit these call nbdkit's own functions, found at run time; in
    another host the hooks it installed with [nbdocaml_set_host_hooks],
    raising [Failure "NBDKit.NAME: ..."] when there is none.  They raise
    [Failure] when the server fails them. *)

val export_name : unit -> string
(** The export name the client asked for; only during a connection.
    (nbdkit 1.24) *)

val is_tls : unit -> bool
(** Whether the client completed TLS.  ([nbdkit_is_tls]; not in nbdkit's
    OCaml module up to 1.32: libnbdocaml 0.2) *)

val peer_pid : unit -> int64
(** The client's process ID, over a Unix domain socket.  (nbdkit 1.24) *)

val peer_uid : unit -> int64
(** The client's user ID, over a Unix domain socket.  (nbdkit 1.24) *)

val peer_gid : unit -> int64
(** The client's group ID, over a Unix domain socket.  (nbdkit 1.24) *)

val peer_name : unit -> Unix.sockaddr
(** The client's address.  ([nbdkit_peer_name]; not in nbdkit's OCaml
    module up to 1.32: libnbdocaml 0.2) *)

val shutdown : unit -> unit
(** Ask the server to shut down.  (nbdkit 1.24) *)

val disconnect : bool -> unit
(** [disconnect force]: drop the current client.  nbdkit's
    [nbdkit_disconnect] came with nbdkit 1.34; under an older nbdkit this
    raises [Failure].  (libnbdocaml 0.2) *)

val stdio_safe : unit -> bool
(** Whether the plugin may use stdin and stdout during configuration.
    ([nbdkit_stdio_safe]; libnbdocaml 0.2) *)

(** {2 Other helpers} *)

val realpath : string -> string
(** The canonical absolute path of an existing file ([nbdkit_realpath]
    under nbdkit, realpath(3) elsewhere); [Failure] if it does not
    exist.  (nbdkit 1.24) *)

val nanosleep : int -> int -> unit
(** [nanosleep seconds nanoseconds], releasing the runtime meanwhile;
    under nbdkit it raises [Failure] early when the server shuts down or
    the client goes.  [Invalid_argument] unless [0 <= seconds] and
    [0 <= nanoseconds < 1_000_000_000].  (nbdkit 1.24) *)

val version : unit -> string
(** The version of nbdkit the library was built against.  (nbdkit
    1.24) *)

val api_version : unit -> int
(** The nbdkit plugin API version of the adapter (2).  (nbdkit 1.30) *)

val debug : ('a, unit, string, unit) format4 -> 'a
(** [debug fmt ...] formats like [Printf.printf] and logs through
    [nbdkit_debug] (shown with [-v]).  (nbdkit 1.16) *)

(** {2 Copying between buffers and strings}

    Bounds-checked copies for [?pread_buf] and [?pwrite_buf]; each raises
    [Invalid_argument] when a range does not fit, or when the buffer was
    kept past the call that lent it.  (libnbdocaml 0.1) *)

val blit_from_string : string -> int -> buf -> int -> int -> unit
(** [blit_from_string src srcoff dst dstoff len] *)

val blit_from_bytes : bytes -> int -> buf -> int -> int -> unit
(** [blit_from_bytes src srcoff dst dstoff len] *)

val blit_to_bytes : buf -> int -> bytes -> int -> int -> unit
(** [blit_to_bytes src srcoff dst dstoff len] *)

val buf_to_string : buf -> string
(** A copy of the whole buffer.  Raises [Invalid_argument] for a buffer
    kept past its call (see {!type-buf}). *)

(** {2 File I/O on a buffer}

    For plugins that serve a file: the data goes between the file and a
    {!buf} (the caller's memory that [pread_buf] and [pwrite_buf] lend)
    in system calls at an offset, so no file position is shared between
    connections or threads, and the OCaml runtime is released while the
    call blocks (other requests run meanwhile when the plugin links
    [threads.cmxa]).  [fd] is a [Unix.file_descr], from [Unix.openfile]:
    the plugin links [unix.cmxa].  Failures raise
    [Unix.Unix_error (e, syscall, "")] like the [Unix] module's functions,
    so an uncaught one gives the client [e] (see [set_error]).  A
    negative offset or length raises [Invalid_argument], and so does a
    [buf] kept past the call that lent it.  [examples/filedisk.ml] uses
    them all.  Not part of nbdkit: libnbdocaml 0.2. *)

val pread_fd : Unix.file_descr -> buf -> int64 -> unit
(** [pread_fd fd buf offset] fills all of [buf] from the file at byte
    [offset] (pread(2), repeated until done).  Raises [End_of_file] when
    the file ends first. *)

val pwrite_fd : Unix.file_descr -> buf -> int64 -> unit
(** [pwrite_fd fd buf offset] writes all of [buf] to the file at byte
    [offset] (pwrite(2), repeated until done). *)

val fdatasync : Unix.file_descr -> unit
(** Flush the file's data to stable storage (fdatasync(2)): what a
    [flush] callback, or a write with the [FUA] flag, needs. *)

val punch_hole : Unix.file_descr -> int64 -> int64 -> unit
(** [punch_hole fd offset length] deallocates the byte range, which then
    reads as zeroes; the file's size does not change (fallocate(2) with
    [FALLOC_FL_PUNCH_HOLE]).  File systems without it raise
    [Unix_error (EOPNOTSUPP, "fallocate", "")]: a [trim] may then do
    nothing, a [zero] must write zeroes. *)

val zero_range : Unix.file_descr -> int64 -> int64 -> unit
(** [zero_range fd offset length] makes the byte range read as zeroes
    without writing them, keeping it allocated and the file's size
    unchanged (fallocate(2) with [FALLOC_FL_ZERO_RANGE]).  File systems
    without it (tmpfs, for one) raise [Unix_error (EOPNOTSUPP, ...)]. *)
