(* libnbdocaml: the NBDKit module for nbdkit plugins written in OCaml.
   Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE. *)

(** Write nbdkit plugins in OCaml: the record API of nbdkit 1.16 to 1.28.

    This is the plugin interface of nbdkit 1.16, grown to every field and
    helper nbdkit's record had up to 1.28, plus what later nbdkit added
    only to its labelled API ({!field-magic_config_key},
    {!field-block_size}).  Build a plugin with

    {v
ocamlopt.opt -output-obj -runtime-variant _pic \
  -o nbdkit-myplugin-plugin.so NBDKit.cmx myplugin.ml -cclib -lnbdkitocaml
    v}

    (nbdkit 1.28's recipe, with [unix.cmxa] before [NBDKit.cmx], works
    too) and serve it with [nbdkit ./nbdkit-myplugin-plugin.so], or open
    it from C with [nbdocaml_module_open] (see [nbdocaml.h]).  Plugins
    written for nbdkit >= 1.30's labelled [NBDKit.register_plugin ~name
    ...] use the other [NBDKit] module, selected with [-I +nbdkit-labelled]
    (see the README's "Which API?").

    Each field and function below says the nbdkit release whose OCaml
    module introduced it; "nbdkit 1.16" means it was already in the 1.16
    interface this library started from.

    The plugin's top-level code must call {!register_plugin} exactly once.
    Callbacks report errors by raising an exception; call {!set_error}
    before raising to choose the errno the client sees (EIO otherwise).

    {b Errors.}  A raised exception is logged (under nbdkit with
    [nbdkit_error]; through the C API as the error message) as
    [Printexc.to_string] prints it, after the callback's name:
    [pread: Failure("boom")], and with the printers registered with
    [Printexc.register_printer], so an uncaught [Unix.Unix_error] reads
    [Unix.Unix_error(Unix.ENOENT, "open", "disk.img")].  The client gets
    the errno chosen with {!set_error} during the call; failing that, an
    uncaught [Unix.Unix_error (e, _, _)] gives [e]; anything else gives
    [EIO].  When the plugin records backtraces
    ([Printexc.record_backtrace true], or [OCAMLRUNPARAM=b] in nbdkit's
    environment), the exception's backtrace goes line by line to the
    debug log ([pread: backtrace: Raised at ...], shown by [nbdkit -v]);
    build with [-g] for file names and lines.  (Printing as OCaml does,
    the [Unix_error] errno and backtraces: libnbdocaml 0.2.)

    {b Counts.}  This API types the byte counts of [pread], [trim], [zero],
    [extents] and [cache] as [int32], as nbdkit's did.  NBD requests of
    2 GiB and more are valid for [trim], [zero] and [cache]: the library
    splits them into pieces of 1 GiB, called in order with the request's
    flags, and asks [extents] for at most 1 GiB (a reply may cover less
    than the client asked, as nbdkit allows).  [pread] and [pwrite] never
    exceed 64 MiB under nbdkit.

    {b Threads.}  The runtime lets one thread at a time run OCaml code.  If
    the plugin links [threads.cmxa] ([-I +threads unix.cmxa threads.cmxa]
    before the plugin's own files), a callback that blocks in the [Unix]
    or [Thread] modules, or in {!nanosleep}, lets other requests run
    meanwhile, so any state shared between callbacks then needs a
    [Mutex]. *)

type flag = May_trim | FUA | Req_one
(** Flags passed with a request: [May_trim] (a zero request may punch a
    hole), [FUA] (force unit access: the data must be on stable storage
    when the call returns), [Req_one] (an extents request wants only the
    first extent).  A list holds each flag at most once, in the order
    nbdkit's own OCaml plugin has always used: [[Req_one; FUA;
    May_trim]].  (nbdkit 1.16) *)

type flags = flag list
(** (nbdkit 1.16) *)

type fua_flag = FuaNone | FuaEmulate | FuaNative
(** What {!field-can_fua} returns: no FUA support, emulate it with a flush,
    or handle the [FUA] flag natively.  (nbdkit 1.16) *)

type cache_flag = CacheNone | CacheEmulate | CacheNop
(** What {!field-can_cache} returns: no cache support, emulate it with
    reads, or accept cache requests and do nothing.  (nbdkit 1.16) *)

type extent = {
  offset : int64;
  length : int64;
  is_hole : bool;  (** the range is not allocated *)
  is_zero : bool;  (** the range reads as zeroes *)
}
(** One extent returned by {!field-extents}.  (nbdkit 1.16) *)

type export = {
  name : string;  (** the export name a client connects to *)
  description : string option;  (** shown by clients such as [nbdinfo] *)
}
(** One export returned by {!field-list_exports} (nbdkit 1.24).  Declared
    before {!plugin}, as in nbdkit, so that a record expression with just
    [name] and [description] is an [export] and one starting from
    [default_callbacks] is a [plugin]. *)

type buf = (char, Bigarray.int8_unsigned_elt, Bigarray.c_layout) Bigarray.Array1.t
(** The caller's memory, lent to {!field-pread_buf} and {!field-pwrite_buf}
    without a copy (an empty buffer when the count is 0).
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

type thread_model =
  | THREAD_MODEL_SERIALIZE_CONNECTIONS
  | THREAD_MODEL_SERIALIZE_ALL_REQUESTS
  | THREAD_MODEL_SERIALIZE_REQUESTS
  | THREAD_MODEL_PARALLEL
(** How much concurrency the plugin accepts; see THREADS in
    nbdkit-plugin(3).  The default is [THREAD_MODEL_PARALLEL].
    (nbdkit 1.16) *)

type 'a plugin = {
  name : string;
  (** required: the plugin's short name (nbdkit 1.16) *)
  longname : string;  (** (nbdkit 1.16) *)
  version : string;  (** the plugin's own version (nbdkit 1.16) *)
  description : string;  (** (nbdkit 1.16) *)

  load : (unit -> unit) option;
  (** once, when the plugin is loaded (nbdkit 1.16) *)
  unload : (unit -> unit) option;
  (** once, last, before the plugin is unloaded (nbdkit 1.16) *)

  config : (string -> string -> unit) option;
  (** [config key value], once per [key=value] on the command line
      (nbdkit 1.16) *)
  config_complete : (unit -> unit) option;
  (** after the last [config] (nbdkit 1.16) *)
  config_help : string;
  (** the plugin's [key=value] parameters, for [nbdkit PLUGIN --help]
      (nbdkit 1.16) *)

  open_connection : (bool -> 'a) option;
  (** required: [open_connection readonly] returns the connection handle;
      {!export_name} tells which export the client asked for
      (nbdkit 1.16) *)
  close : ('a -> unit) option;  (** (nbdkit 1.16) *)

  get_size : ('a -> int64) option;
  (** required: the size in bytes (nbdkit 1.16) *)

  can_write : ('a -> bool) option;  (** (nbdkit 1.16) *)
  can_flush : ('a -> bool) option;  (** (nbdkit 1.16) *)
  is_rotational : ('a -> bool) option;  (** (nbdkit 1.16) *)
  can_trim : ('a -> bool) option;  (** (nbdkit 1.16) *)

  dump_plugin : (unit -> unit) option;
  (** print [key=value] lines on stdout for [nbdkit PLUGIN --dump-plugin]
      (nbdkit 1.16) *)

  can_zero : ('a -> bool) option;  (** (nbdkit 1.16) *)
  can_fua : ('a -> fua_flag) option;  (** (nbdkit 1.16) *)

  pread : ('a -> int32 -> int64 -> flags -> string) option;
  (** required (or [pread_buf]): [pread h count offset flags] returns
      [count] bytes read at [offset].  Fewer bytes is an error; bytes past
      [count] are ignored (nbdkit 1.16) *)
  pwrite : ('a -> string -> int64 -> flags -> unit) option;
  (** [pwrite h data offset flags] writes all of [data] at [offset]
      (nbdkit 1.16) *)
  flush : ('a -> flags -> unit) option;  (** (nbdkit 1.16) *)
  trim : ('a -> int32 -> int64 -> flags -> unit) option;
  (** [trim h count offset flags]; requests of 2 GiB and more arrive in
      pieces (nbdkit 1.16) *)
  zero : ('a -> int32 -> int64 -> flags -> unit) option;
  (** [zero h count offset flags]; requests of 2 GiB and more arrive in
      pieces (nbdkit 1.16) *)

  can_multi_conn : ('a -> bool) option;  (** (nbdkit 1.16) *)

  can_extents : ('a -> bool) option;  (** (nbdkit 1.16) *)
  extents : ('a -> int32 -> int64 -> flags -> extent list) option;
  (** [extents h count offset flags]: the extents from [offset], covering
      at least the first byte; [count] is at most 1 GiB when the client
      asked for 2 GiB or more (nbdkit 1.16) *)

  can_cache : ('a -> cache_flag) option;  (** (nbdkit 1.16) *)
  cache : ('a -> int32 -> int64 -> flags -> unit) option;
  (** requests of 2 GiB and more arrive in pieces (nbdkit 1.16) *)

  thread_model : (unit -> thread_model) option;  (** (nbdkit 1.16) *)

  can_fast_zero : ('a -> bool) option;  (** (nbdkit 1.16) *)

  pread_buf : ('a -> buf -> int64 -> flags -> unit) option;
  (** Zero-copy read: [pread_buf h buf offset flags] fills all of [buf]
      (its length is the count) with the data at [offset].  Used instead of
      [pread] when both are set.  Not part of nbdkit: libnbdocaml 0.1. *)
  pwrite_buf : ('a -> buf -> int64 -> flags -> unit) option;
  (** Zero-copy write: [pwrite_buf h buf offset flags] writes all of [buf]
      at [offset]; it must not modify [buf].  Used instead of [pwrite] when
      both are set.  Not part of nbdkit: libnbdocaml 0.1. *)

  get_ready : (unit -> unit) option;
  (** once, after [config_complete] and before the server forks: the last
      place for preparation whose errors the user should see (nbdkit
      1.22) *)
  after_fork : (unit -> unit) option;
  (** once, after the server forked into the background (also called
      when it does not fork, with [-f]): start background threads here
      (nbdkit 1.22) *)
  cleanup : (unit -> unit) option;
  (** once, after the last connection closed and before [unload] (nbdkit
      1.28) *)
  preconnect : (bool -> unit) option;
  (** [preconnect readonly], when a client connects, before the NBD
      handshake: raise to refuse the client (nbdkit 1.18) *)
  list_exports : (bool -> bool -> export list) option;
  (** [list_exports readonly is_tls]: the exports a client listing them
      ([nbdinfo --list]) sees (nbdkit 1.24) *)
  default_export : (bool -> bool -> string) option;
  (** [default_export readonly is_tls]: the canonical name of the default
      export [""] (nbdkit 1.24) *)
  export_description : ('a -> string) option;
  (** the description of the connection's export, for clients that ask
      (nbdkit 1.24) *)
  block_size : ('a -> int * int * int64) option;
  (** [(minimum, preferred, maximum)] block sizes in bytes, advertised to
      clients: either all 0, or 1 <= minimum <= preferred <= maximum <=
      0xffffffff (nbdkit also wants powers of two).  nbdkit 1.30 has it
      only in its labelled API: libnbdocaml 0.2. *)
  magic_config_key : string;
  (** when not [""], a bare parameter on nbdkit's command line ([nbdkit
      plugin.so 1M]) is passed to [config] under this key.  nbdkit 1.30
      has it only in its labelled API: libnbdocaml 0.2. *)
}
(** The plugin's fields and callbacks.  ['a] is the type of the
    connection handle that [open_connection] returns and every
    per-connection callback receives.  Under nbdkit the module-level
    callbacks run in the order load, config..., config_complete,
    get_ready, after_fork, (preconnect, open_connection ... close) per
    client, cleanup, unload. *)

val default_callbacks : 'a plugin
(** Every callback [None] and every string [""]: start from it with
    [{ NBDKit.default_callbacks with name = "myplugin"; ... }]
    (nbdkit 1.16). *)

val register_plugin : 'a plugin -> unit
(** Register the plugin.  Call it exactly once, from the plugin's top-level
    code.  [name], [open_connection], [get_size] and [pread] (or
    [pread_buf]) are required:
    without one of them this raises [Invalid_argument], and a second call
    raises [Failure]; either way the plugin fails to load (nbdkit 1.16). *)

val set_error : Unix.error -> unit
(** Choose the errno reported for the exception the current callback is
    about to raise.  It applies to the current callback on the current
    thread only; without it a raising callback reports the errno of an
    uncaught [Unix.Unix_error], else [EIO].  ([EUNKNOWNERR n] sets errno
    [n].)  (nbdkit 1.16) *)

(** {2 Parsing parameters}

    Under nbdkit these three call nbdkit's own [nbdkit_parse_size],
    [nbdkit_parse_bool] and [nbdkit_read_password] (which also log the
    reason for a failure); in other hosts an implementation of the same
    rules. *)

val parse_size : string -> int64
(** Parse a size as nbdkit does: a decimal number (leading white space
    and a sign allowed, so [" 1"], ["+1"] and ["-0"] are sizes) optionally
    followed by one scale suffix, [b], [k], [M], [G], [T], [P] or [E]
    (powers of 1024) or [s] (512-byte sectors), in either case.  Raises
    [Invalid_argument] on anything else, negative sizes or overflow
    (nbdkit 1.16). *)

val parse_bool : string -> bool
(** Parse a boolean as nbdkit does: [1], [true], [t], [yes], [y], [on] and
    [0], [false], [f], [no], [n], [off], in any case.  Raises
    [Invalid_argument] otherwise (nbdkit 1.16). *)

val read_password : string -> string
(** Read a password as nbdkit does: ["-"] reads a line from the terminal
    (stdin must be one) with echo off, ["-N"] reads a line from file
    descriptor [N] (a number as C reads it, [0x] and [0] prefixes
    included; not 0, 1 or 2) and closes it, ["+FILE"] reads the first line
    of [FILE] ([""] when it is empty), any other string starting with [-]
    (such as ["-abc"]) is an error, and anything else is the password
    itself.
    Raises [Invalid_argument] when it cannot be read (nbdkit 1.16). *)

(** {2 Asking the server}

    Under nbdkit these call nbdkit's own functions ([nbdkit_export_name]
    ...), found at run time.  In another host (a program using
    [nbdocaml.h]) they call the hooks the host installed with
    [nbdocaml_set_host_hooks], and raise [Failure "NBDKit.NAME: ..."]
    when it installed none.  All of them raise [Failure] when the server
    fails them (for example [peer_pid] on a TCP connection). *)

val export_name : unit -> string
(** The export name the client asked for (after [default_export]'s
    mapping of [""]); only during a connection (nbdkit 1.24). *)

val is_tls : unit -> bool
(** Whether the client completed TLS (nbdkit's [nbdkit_is_tls], nbdkit
    1.22; not in nbdkit's OCaml module up to 1.32: libnbdocaml 0.2). *)

val peer_pid : unit -> int64
(** The client's process ID, over a Unix domain socket only (nbdkit
    1.24). *)

val peer_uid : unit -> int64
(** The client's user ID, over a Unix domain socket only (nbdkit 1.24). *)

val peer_gid : unit -> int64
(** The client's group ID, over a Unix domain socket only (nbdkit 1.24). *)

val peer_name : unit -> Unix.sockaddr
(** The client's address: [ADDR_UNIX] or [ADDR_INET] (nbdkit's
    [nbdkit_peer_name]; not in nbdkit's OCaml module up to 1.32:
    libnbdocaml 0.2).  Needs only [unix.cmi] to compile; use
    [unix.cmxa] to do anything with the address. *)

val shutdown : unit -> unit
(** Ask the server to shut down once the current requests are done
    (nbdkit 1.24). *)

val disconnect : bool -> unit
(** [disconnect force]: drop the current client, at once when [force].
    nbdkit's [nbdkit_disconnect] came with nbdkit 1.34: under an older
    nbdkit (such as Debian 12's 1.32) this raises [Failure] (libnbdocaml
    0.2). *)

val stdio_safe : unit -> bool
(** Whether the plugin may read stdin and write stdout during
    configuration (not when nbdkit serves on them with [-s], for
    example).  nbdkit's [nbdkit_stdio_safe]; libnbdocaml 0.2. *)

(** {2 Other helpers} *)

val realpath : string -> string
(** The canonical absolute path of an existing file: under nbdkit
    [nbdkit_realpath] (relative to the directory nbdkit started in, even
    after it changed directory), elsewhere realpath(3).  Raises [Failure]
    when the path does not exist (nbdkit 1.24). *)

val nanosleep : int -> int -> unit
(** [nanosleep seconds nanoseconds] sleeps, releasing the runtime so that
    other threads run OCaml code meanwhile (with [threads.cmxa]).  Under
    nbdkit it returns early by raising [Failure] when the server shuts
    down or the client disconnects.  Raises [Invalid_argument] unless
    [0 <= seconds] and [0 <= nanoseconds < 1_000_000_000] (nbdkit 1.24). *)

val version : unit -> string
(** The version of nbdkit this library was built against, such as
    ["1.32.5"] (nbdkit 1.24). *)

val api_version : unit -> int
(** The nbdkit plugin API version the library's nbdkit adapter uses
    ([NBDKIT_API_VERSION], 2) (nbdkit 1.30). *)

(** {2 Copying between buffers and strings}

    Bounds-checked [memcpy]s for the [_buf] callbacks; each raises
    [Invalid_argument] when a range does not fit, or when the buffer was
    kept past the call that lent it.  Not part of nbdkit:
    libnbdocaml 0.1. *)

val blit_from_string : string -> int -> buf -> int -> int -> unit
(** [blit_from_string src srcoff dst dstoff len] *)

val blit_from_bytes : bytes -> int -> buf -> int -> int -> unit
(** [blit_from_bytes src srcoff dst dstoff len] *)

val blit_to_bytes : buf -> int -> bytes -> int -> int -> unit
(** [blit_to_bytes src srcoff dst dstoff len] *)

val buf_to_string : buf -> string
(** A copy of the whole buffer.  Raises [Invalid_argument] for a buffer
    kept past its call (see {!type-buf}). *)

val debug : ('a, unit, string, unit) format4 -> 'a
(** [debug fmt ...] formats like [Printf.printf] and sends the message to
    the host's debug log: under nbdkit, [nbdkit_debug] (shown with [-v])
    (nbdkit 1.16). *)

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
