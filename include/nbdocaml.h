/* libnbdocaml: run nbdkit plugins written in OCaml from C.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * An OCaml plugin is a shared object built with
 *
 *   ocamlopt.opt -output-obj -runtime-variant _pic \
 *     -o nbdkit-myplugin-plugin.so NBDKit.cmx myplugin.ml -cclib -lnbdkitocaml
 *
 * Each such object carries its own OCaml runtime.  This library opens it,
 * starts that runtime, tells you which callbacks the plugin registered with
 * NBDKit.register_plugin and invokes them.
 *
 * THREADS.  Every function here may be called from any thread, concurrently,
 * including on the same module or connection.  The library lets at most one
 * thread run a given module's OCaml code at a time (the OCaml runtime is
 * not reentrant; OCaml 5's domain runs one thread at a time too),
 * registers each calling thread with the runtime when the plugin links
 * threads.cmxa, and releases the runtime whenever the OCaml code blocks
 * (Unix.sleepf, Unix.read, NBDKit.nanosleep ...) in that case, so a slow
 * callback does not stall the other threads.  Without threads.cmxa a
 * callback holds the module for its whole duration.  Different modules
 * never block each other.  (OCaml 4 and 5.1 with threads.cmxa only: a
 * thread's first call into a module waits until no other call to it is in
 * flight, because registering a thread with those runtimes is not safe
 * while OCaml code runs: a callback that waits for another thread's very
 * first call would deadlock.)  The library may be used across fork(): the
 * forking thread takes each module's runtime first (with threads.cmxa on
 * OCaml 4, it waits for the calls in flight), so the child starts with
 * every module idle and usable.  The library reports the plugin's thread
 * model (nbdocaml_call_thread_model) but does not impose it: serialising
 * requests or connections is the host's job, as it is nbdkit's.
 *
 * COST PER CALL.  What a trivial callback (can_write returning true) costs
 * over a direct C function call, measured by make bench (bench/RESULTS.md,
 * 2 vCPUs, 2026-12-02): OCaml 4.13, about 32 ns without threads.cmxa and
 * 88 ns with it; OCaml 5.3, about 65 ns without threads.cmxa (the
 * module's mutex and the domain lock) and 97 ns with it (systhreads'
 * master lock and the domain lock).  Of these, the OCaml runtime's own
 * release-and-take-again pair, which every call must pay, is 62 ns
 * (4.13 with threads.cmxa), 29 ns and 77 ns (5.3).
 *
 * CLOSING WHILE CALLS RUN.  Closing a connection (nbdocaml_call_close) or a
 * module (nbdocaml_module_shutdown, nbdocaml_module_close) while other
 * threads' calls on it are in flight is allowed and has one outcome: the
 * close waits until those calls have returned, calls that start while it
 * waits fail with ESHUTDOWN, and only then does the plugin's close or
 * unload run.  Calls made on a connection or module after its close has
 * returned are undefined behaviour, as with free(3).
 *
 * ERRORS.  Functions returning a pointer return NULL on error; functions
 * returning int or int64_t return -1.  The cause is kept per thread:
 * nbdocaml_get_error () gives a message prefixed with the API or callback
 * name (for example "pread: Failure(\"boom\")") and nbdocaml_get_errno () the
 * errno.  When a plugin callback raises, the message gives the exception as
 * OCaml's Printexc.to_string prints it (the plugin's registered printers
 * included), and the errno is the one the plugin set with NBDKit.set_error
 * during that call, else e for an uncaught Unix.Unix_error (e, _, _) (since
 * 0.2), else EIO.  When the plugin records backtraces
 * (Printexc.record_backtrace, OCAMLRUNPARAM=b), the exception's backtrace
 * goes to the module's debug handler first, one "CALLBACK: backtrace: ..."
 * message per line (since 0.2).  Calling a callback the plugin did not
 * register fails with ENOTSUP.  Successful calls leave the last error
 * unchanged.
 *
 * CALLBACKS THAT RE-ENTER.  A debug handler runs while the module's runtime
 * is held: it must not call back into the same module.
 */
#ifndef NBDOCAML_H
#define NBDOCAML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(NBDOCAML_BUILDING_SHARED) && defined(__GNUC__)
#define NBDOCAML_API __attribute__((__visibility__("default")))
#else
#define NBDOCAML_API
#endif

#define NBDOCAML_VERSION_MAJOR 0
#define NBDOCAML_VERSION_MINOR 2
#define NBDOCAML_VERSION_MICRO 0

/* "MAJOR.MINOR.MICRO" of the library actually loaded. */
NBDOCAML_API const char *nbdocaml_version (void);

NBDOCAML_API const char *nbdocaml_get_error (void);
NBDOCAML_API int nbdocaml_get_errno (void);

/* Request flags (same bits as nbdkit's NBDKIT_FLAG_*). */
#define NBDOCAML_FLAG_MAY_TRIM  (1u << 0)
#define NBDOCAML_FLAG_FUA       (1u << 1)
#define NBDOCAML_FLAG_REQ_ONE   (1u << 2)
#define NBDOCAML_FLAG_FAST_ZERO (1u << 3)

/* Extent types passed to the extents callback (nbdkit's values). */
#define NBDOCAML_EXTENT_HOLE (1u << 0)
#define NBDOCAML_EXTENT_ZERO (1u << 1)

/* Results of can_fua and can_cache (nbdkit's values).  NBDKit.CacheNop is
 * reported as NBDOCAML_CACHE_NATIVE, as nbdkit did for OCaml plugins. */
#define NBDOCAML_FUA_NONE      0
#define NBDOCAML_FUA_EMULATE   1
#define NBDOCAML_FUA_NATIVE    2
#define NBDOCAML_CACHE_NONE    0
#define NBDOCAML_CACHE_EMULATE 1
#define NBDOCAML_CACHE_NATIVE  2

/* Thread models, in the order of NBDKit.thread_model (nbdkit's values). */
#define NBDOCAML_THREAD_MODEL_SERIALIZE_CONNECTIONS  0
#define NBDOCAML_THREAD_MODEL_SERIALIZE_ALL_REQUESTS 1
#define NBDOCAML_THREAD_MODEL_SERIALIZE_REQUESTS     2
#define NBDOCAML_THREAD_MODEL_PARALLEL               3

/* The callbacks, once.  Each row is
 *   X (ENUM, ocaml_field, c_name, kind, record_index, nbdkit_field)
 * in the order of the fields of NBDKit.plugin.  ENUM names the
 * NBDOCAML_CB_* constant, ocaml_field the OCaml record field (what
 * nbdocaml_callback_name returns; the labelled API's argument has the same
 * name), c_name the nbdocaml_call_* function, kind its C signature (see
 * NBDOCAML_PROTO_* below), record_index the field's position in the OCaml
 * record and nbdkit_field the field of nbdkit's struct nbdkit_plugin that
 * the nbdkit adapter wires the callback to.  Rows are only ever appended:
 * the enum values are part of the ABI.  The last column came in 0.2.0.
 *
 * The rows from GET_READY on came with 0.2.0: the callbacks nbdkit 1.17 to
 * 1.30 added (nbdkit's release is in NBDKit.mli for each).
 */
#define NBDOCAML_CALLBACKS(X)                                               \
  X (LOAD, load, load, module_void, 4, load)                                \
  X (UNLOAD, unload, unload, module_void, 5, unload)                        \
  X (CONFIG, config, config, config, 6, config)                             \
  X (CONFIG_COMPLETE, config_complete, config_complete,                     \
     module_void, 7, config_complete)                                       \
  X (OPEN_CONNECTION, open_connection, open, open, 9, open)                 \
  X (CLOSE, close, close, close, 10, close)                                 \
  X (GET_SIZE, get_size, get_size, get_size, 11, get_size)                  \
  X (CAN_WRITE, can_write, can_write, conn_bool, 12, can_write)             \
  X (CAN_FLUSH, can_flush, can_flush, conn_bool, 13, can_flush)             \
  X (IS_ROTATIONAL, is_rotational, is_rotational,                           \
     conn_bool, 14, is_rotational)                                          \
  X (CAN_TRIM, can_trim, can_trim, conn_bool, 15, can_trim)                 \
  X (DUMP_PLUGIN, dump_plugin, dump_plugin, module_void, 16, dump_plugin)   \
  X (CAN_ZERO, can_zero, can_zero, conn_bool, 17, can_zero)                 \
  X (CAN_FUA, can_fua, can_fua, conn_fua, 18, can_fua)                      \
  X (PREAD, pread, pread, pread, 19, pread)                                 \
  X (PWRITE, pwrite, pwrite, pwrite, 20, pwrite)                            \
  X (FLUSH, flush, flush, flush, 21, flush)                                 \
  X (TRIM, trim, trim, range, 22, trim)                                     \
  X (ZERO, zero, zero, range, 23, zero)                                     \
  X (CAN_MULTI_CONN, can_multi_conn, can_multi_conn,                        \
     conn_bool, 24, can_multi_conn)                                         \
  X (CAN_EXTENTS, can_extents, can_extents, conn_bool, 25, can_extents)     \
  X (EXTENTS, extents, extents, extents, 26, extents)                       \
  X (CAN_CACHE, can_cache, can_cache, conn_cache, 27, can_cache)            \
  X (CACHE, cache, cache, range, 28, cache)                                 \
  X (THREAD_MODEL, thread_model, thread_model,                              \
     thread_model, 29, thread_model)                                        \
  X (CAN_FAST_ZERO, can_fast_zero, can_fast_zero,                           \
     conn_bool, 30, can_fast_zero)                                          \
  X (PREAD_BUF, pread_buf, pread_buf, pread, 31, pread)                     \
  X (PWRITE_BUF, pwrite_buf, pwrite_buf, pwrite, 32, pwrite)                \
  X (GET_READY, get_ready, get_ready, module_void, 33, get_ready)           \
  X (AFTER_FORK, after_fork, after_fork, module_void, 34, after_fork)       \
  X (CLEANUP, cleanup, cleanup, module_void, 35, cleanup)                   \
  X (PRECONNECT, preconnect, preconnect, preconnect, 36, preconnect)        \
  X (LIST_EXPORTS, list_exports, list_exports,                              \
     list_exports, 37, list_exports)                                        \
  X (DEFAULT_EXPORT, default_export, default_export,                        \
     default_export, 38, default_export)                                    \
  X (EXPORT_DESCRIPTION, export_description, export_description,            \
     conn_string, 39, export_description)                                   \
  X (BLOCK_SIZE, block_size, block_size, block_size, 40, block_size)

enum nbdocaml_callback {
#define NBDOCAML_ENUM_(E, f, c, k, i, n) NBDOCAML_CB_##E,
  NBDOCAML_CALLBACKS (NBDOCAML_ENUM_)
#undef NBDOCAML_ENUM_
  NBDOCAML_CB_COUNT
};

/* The OCaml field name of callback cb ("open_connection"), or NULL when cb
 * is out of range. */
NBDOCAML_API const char *nbdocaml_callback_name (int cb);

/* Modules. */
typedef struct nbdocaml_module nbdocaml_module;
typedef struct nbdocaml_conn nbdocaml_conn;

/* Open the plugin at path, start its OCaml runtime (which runs the module's
 * top-level code, and so NBDKit.register_plugin) and return a handle.  A
 * path without '/' is taken relative to the current directory, never
 * searched for.  flags must be 0.
 *
 * Opening a file that is already open in this process (by any path) shares
 * its runtime and registration: the plugin's top-level code runs once, and
 * every handle sees the same OCaml state.  With OCaml 4 the runtime is shut
 * down (running the plugin's at_exit functions) and the file unloaded when
 * the last handle is closed; a later open starts afresh.  OCaml 5's runtime
 * can be neither shut down nor started twice in a process, so there the
 * last close only flushes OCaml's stdout and stderr and the runtime stays
 * up, with its state, until the process exits: a later open of the same
 * file shares it like a concurrent one (its top-level code does not run
 * again).  nbdocaml_module_ocaml_version tells which applies.
 *
 * Errors: ENOENT, EACCES, EISDIR (path is a directory), ENOEXEC (empty or
 * not an ELF file), ELIBBAD (the dynamic loader rejected it, or it is not an
 * OCaml plugin linked with -lnbdkitocaml; since 0.2 the message names a
 * missing -cclib -lnbdkitocaml or -output-obj after the loader's), EPROTO (built against an
 * incompatible libnbdkitocaml), ECANCELED (the module's top-level code
 * raised), ESRCH (NBDKit.register_plugin was never called), EEXIST (called
 * twice), EINVAL (a required field - name, open_connection, get_size,
 * pread - is missing, or bad flags), EBUSY (this copy of the runtime was
 * already shut down and cannot be restarted in this process), ENOMEM. */
NBDOCAML_API nbdocaml_module *nbdocaml_module_open (const char *path,
                                                    unsigned flags);

/* What nbdocaml_module_shutdown does with each error: errnum and the
 * message, which names the callback as nbdocaml_get_error does
 * ("close: Failure(\"boom\")").  (0.2.0) */
typedef void (*nbdocaml_error_fn) (void *opaque, int errnum,
                                   const char *msg);

/* End the plugin's use through this handle in nbdkit's order, and keep the
 * handle: wait until no call runs on the module or its connections (calls
 * that start meanwhile or later fail with ESHUTDOWN), call the plugin's
 * close for each connection still open, oldest first, then unload if load
 * was called through this handle and succeeded and unload was not, or with
 * NBDOCAML_SHUTDOWN_UNLOAD in flags if unload was not called at all (as
 * nbdkit does: unload is due even to a plugin without load).  flags is 0
 * or NBDOCAML_SHUTDOWN_UNLOAD.  No callback ever runs after unload.  Each error (an exception from close or unload) is
 * passed to report, or, when report is NULL, to the module's debug handler
 * as "error: MESSAGE"; the function still goes on to the end.  Returns 0,
 * or -1 when there was an error (the thread's last error is the last
 * one).  The connections stay valid until nbdocaml_call_close (which then
 * only frees them and returns 0) or nbdocaml_module_close.  A second call,
 * or one racing the first, waits for the first to finish and returns 0.
 * Errors: EINVAL (m is NULL, or unknown flags).  (0.2.0) */
#define NBDOCAML_SHUTDOWN_UNLOAD (1u << 0)
NBDOCAML_API int nbdocaml_module_shutdown (nbdocaml_module *m, unsigned flags,
                                           nbdocaml_error_fn report,
                                           void *opaque);

/* nbdocaml_module_shutdown (m, 0, NULL, NULL) unless already done, then free
 * the connections still open on this handle and release the handle (with
 * the last handle, OCaml 4's runtime is shut down, OCaml 5's parked: see
 * nbdocaml_module_open).  NULL is a no-op.  Calls on the module or its
 * connections that are in flight are waited for. */
NBDOCAML_API void nbdocaml_module_close (nbdocaml_module *m);

/* Metadata the plugin registered; "" when not set.  Valid until close. */
NBDOCAML_API const char *nbdocaml_module_name (const nbdocaml_module *m);
NBDOCAML_API const char *nbdocaml_module_longname (const nbdocaml_module *m);
NBDOCAML_API const char *nbdocaml_module_version (const nbdocaml_module *m);
NBDOCAML_API const char *nbdocaml_module_description (const nbdocaml_module *m);
NBDOCAML_API const char *nbdocaml_module_config_help (const nbdocaml_module *m);
/* The path the module was opened with. */
NBDOCAML_API const char *nbdocaml_module_path (const nbdocaml_module *m);
/* 1 if the plugin links threads.cmxa (its runtime lock is used), else 0. */
NBDOCAML_API int nbdocaml_module_has_threads (const nbdocaml_module *m);
/* The version of the OCaml compiler and runtime the plugin was built with,
 * such as "4.13.1" or "5.3.0"; "" for NULL.  Since 0.2. */
NBDOCAML_API const char *nbdocaml_module_ocaml_version (const nbdocaml_module *m);

/* Which OCaml API the plugin was written against: NBDOCAML_OCAML_API_RECORD
 * (NBDKit.register_plugin of a record, nbdkit 1.16 - 1.28, int32 counts)
 * or NBDOCAML_OCAML_API_LABELLED (labelled arguments, nbdkit >= 1.30, int64
 * counts); 0 for NULL.  See COUNTS below.  (0.2.0) */
#define NBDOCAML_OCAML_API_RECORD   1
#define NBDOCAML_OCAML_API_LABELLED 2
NBDOCAML_API int nbdocaml_module_ocaml_api (const nbdocaml_module *m);

/* The plugin's magic_config_key: the key under which nbdkit passes a bare
 * command line parameter (nbdkit plugin.so 1M) to config; "" when not set.
 * Valid until close.  (0.2.0) */
NBDOCAML_API const char *nbdocaml_module_magic_config_key (
  const nbdocaml_module *m);

/* 1 if the plugin registered callback cb, 0 if not or cb is out of range. */
NBDOCAML_API int nbdocaml_module_has (const nbdocaml_module *m, int cb);

/* Where NBDKit.debug goes.  The handler receives opaque, the module whose
 * code produced the message (during nbdocaml_module_open, the handle being
 * opened, whose metadata may still be empty) and the formatted message
 * without a trailing newline.  It runs on the thread that called into the
 * plugin, with the module's runtime held: it must not call into the same
 * module.
 *
 * nbdocaml_set_debug_handler sets the process-wide default, used by every
 * module without a handler of its own, including while nbdocaml_module_open
 * runs the module's top-level code.  nbdocaml_module_set_debug_handler sets
 * one module's.  Passing NULL restores the default: the built-in default
 * writes "nbdocaml: NAME: debug: MESSAGE" to stderr when the environment
 * variable LIBNBDOCAML_DEBUG is set to a non-empty value other than "0",
 * and drops the message otherwise. */
typedef void (*nbdocaml_debug_fn) (void *opaque, const nbdocaml_module *m,
                                   const char *msg);
NBDOCAML_API void nbdocaml_set_debug_handler (nbdocaml_debug_fn fn,
                                              void *opaque);
NBDOCAML_API void nbdocaml_module_set_debug_handler (nbdocaml_module *m,
                                                     nbdocaml_debug_fn fn,
                                                     void *opaque);

/* Host hooks (0.2.0).  Some helpers of the NBDKit module ask the server
 * about the current connection: NBDKit.export_name, is_tls, peer_pid,
 * peer_uid, peer_gid, peer_name, and shutdown, disconnect and stdio_safe.
 * Under nbdkit they call nbdkit's own functions (nbdkit_export_name ...).
 * In any other host they call the hook the host installed here, and
 * raise Failure "NBDKit.NAME: ..." when it installed none (or NULL for
 * that helper).  (NBDKit.realpath, nanosleep, version and api_version need
 * no host and work everywhere.)
 *
 * Set size to sizeof (struct nbdocaml_host_hooks); members the host does
 * not provide are NULL.  Each hook receives opaque and the module whose
 * plugin called the helper, on the thread that called into the plugin,
 * with the module's runtime held: like a debug handler it must not call
 * into the same module.  A host that serves several connections at once
 * keeps track of which connection a thread serves itself (for example in
 * a thread-local variable set around its nbdocaml_call_* calls).
 *
 *   export_name   the export name the client asked for, valid until the
 *                 hook is called again on this thread, or NULL on error
 *   is_tls        1 if the client completed TLS, 0 if not, -1 on error
 *   peer_pid/uid/gid  the client's credentials, -1 on error
 *   peer_name     fill addr (at most *addrlen bytes, an AF_UNIX, AF_INET
 *                 or AF_INET6 address) and set *addrlen; 0 or -1
 *   shutdown      ask the server to shut down; 0 or -1
 *   disconnect    drop the current client (force: at once, else after the
 *                 requests in flight); 0 or -1
 *   stdio_safe    1 if the plugin may use stdin and stdout, 0 if not, -1 on
 *                 error
 *
 * A hook failing (errno set, or not) makes the helper raise Failure with
 * the errno's text.  nbdocaml_set_host_hooks copies the structure, takes
 * effect for every module at once, may be called at any time from any
 * thread, and NULL removes the hooks.  It returns 0, or -1 with EINVAL
 * when size is larger than this library's structure (hooks it does not
 * know) or smaller than the size field itself. */
struct sockaddr;
struct nbdocaml_host_hooks {
  size_t size;
  const char *(*export_name) (void *opaque, const nbdocaml_module *m);
  int (*is_tls) (void *opaque, const nbdocaml_module *m);
  int64_t (*peer_pid) (void *opaque, const nbdocaml_module *m);
  int64_t (*peer_uid) (void *opaque, const nbdocaml_module *m);
  int64_t (*peer_gid) (void *opaque, const nbdocaml_module *m);
  int (*peer_name) (void *opaque, const nbdocaml_module *m,
                    struct sockaddr *addr, size_t *addrlen);
  int (*shutdown) (void *opaque, const nbdocaml_module *m);
  int (*disconnect) (void *opaque, const nbdocaml_module *m, int force);
  int (*stdio_safe) (void *opaque, const nbdocaml_module *m);
};
NBDOCAML_API int nbdocaml_set_host_hooks (
  const struct nbdocaml_host_hooks *hooks, void *opaque);

/* Invocation.  The signature of each nbdocaml_call_* follows its kind:
 *
 *   module_void   int nbdocaml_call_X (nbdocaml_module *m)
 *                 load, unload, config_complete, dump_plugin, get_ready,
 *                 after_fork, cleanup.  0 or -1.  dump_plugin flushes C's
 *                 and OCaml's stdout around the call so its output lands in
 *                 order.  The library imposes no order between them: a host
 *                 that mimics nbdkit calls load, config..., config_complete,
 *                 get_ready, after_fork (after forking, or not), serves
 *                 connections, then cleanup and unload.
 *   config        int nbdocaml_call_config (m, const char *key,
 *                                          const char *value)
 *   thread_model  int nbdocaml_call_thread_model (m): NBDOCAML_THREAD_MODEL_*,
 *                 PARALLEL when the plugin did not register thread_model.
 *   preconnect    int nbdocaml_call_preconnect (m, int readonly)
 *                 before a client's handshake; -1 refuses the client.
 *   list_exports  int nbdocaml_call_list_exports (m, int readonly,
 *                         int is_tls, nbdocaml_export_fn add, void *opaque)
 *                 calls add once per export the plugin listed, in order,
 *                 with its name and its description (NULL for None); add
 *                 returning -1 stops and fails the call (errno kept).  A
 *                 name or description containing a NUL byte fails the
 *                 call with EINVAL.
 *   default_export char *nbdocaml_call_default_export (m, int readonly,
 *                                                       int is_tls)
 *                 the canonical name of the default export "", as a
 *                 malloc'd string the caller frees; NULL on error.
 *   open          nbdocaml_conn *nbdocaml_call_open (m, int readonly)
 *   close         int nbdocaml_call_close (nbdocaml_conn *c): always frees c,
 *                 even when the plugin's close raises (then -1); without a
 *                 registered close it just frees c and returns 0.  It
 *                 waits for the calls in flight on c first (see CLOSING
 *                 WHILE CALLS RUN); a second close racing the first fails
 *                 with EBUSY.  After nbdocaml_module_shutdown it only
 *                 frees c and returns 0.
 *   get_size      int64_t nbdocaml_call_get_size (c)
 *   conn_string   char *nbdocaml_call_export_description (c): a malloc'd
 *                 string the caller frees; NULL on error.
 *   block_size    int nbdocaml_call_block_size (c,
 *                                     struct nbdocaml_block_size *bs)
 *                 fills bs (bytes).  As nbdkit-plugin(3) requires, either
 *                 all three are 0 (no constraints) or 1 <= minimum <=
 *                 preferred <= maximum <= 0xffffffff; anything else fails
 *                 with EINVAL.  (nbdkit itself also wants powers of two.)
 *   conn_bool     int nbdocaml_call_X (c): 1 or 0 (can_write, can_flush,
 *                 is_rotational, can_trim, can_zero, can_multi_conn,
 *                 can_extents, can_fast_zero)
 *   conn_fua      int nbdocaml_call_can_fua (c): NBDOCAML_FUA_*
 *   conn_cache    int nbdocaml_call_can_cache (c): NBDOCAML_CACHE_*
 *   pread         int nbdocaml_call_pread (c, void *buf, uint32_t count,
 *                                          uint64_t offset, uint32_t flags)
 *                 fills exactly count bytes.  A plugin returning fewer bytes
 *                 is an error (EIO); extra bytes are ignored.
 *                 nbdocaml_call_pread_buf calls the zero-copy pread_buf
 *                 (the plugin fills buf in place).  nbdocaml_call_pread
 *                 calls pread_buf when the plugin registered it, else
 *                 pread, so it works for every plugin.
 *   pwrite        int nbdocaml_call_pwrite (c, const void *buf,
 *                                   uint32_t count, uint64_t offset,
 *                                   uint32_t flags)
 *                 likewise nbdocaml_call_pwrite_buf / pwrite_buf.
 *   flush         int nbdocaml_call_flush (c, uint32_t flags)
 *   range         int nbdocaml_call_X (c, uint32_t count, uint64_t offset,
 *                                      uint32_t flags)  (trim, zero, cache)
 *   extents       int nbdocaml_call_extents (c, count, offset, flags,
 *                                      nbdocaml_extent_fn add, void *opaque)
 *                 calls add once per extent the plugin returned, in order,
 *                 offsets and lengths in bytes (the plugin's int64s read
 *                 as uint64s, as a C plugin passes them); add returning -1
 *                 stops and fails the call (errno kept).  It accepts and
 *                 refuses exactly what nbdkit 1.32's nbdkit_add_extent
 *                 does for a C plugin: each extent must start where the
 *                 previous one ended, empty ones included (else ERANGE);
 *                 empty extents, and those ending before offset, are not
 *                 passed on; the first one covering offset must not start
 *                 after it (else ERANGE) and is passed on cut to start at
 *                 offset; without one covering offset the call fails with
 *                 EINVAL.  Extents past the requested range or the end of
 *                 the disk are passed on as they are (nbdkit cuts them to
 *                 the disk).
 *
 * COUNTS.  Every count up to UINT32_MAX is accepted, whatever the OCaml API
 * of the plugin (nbdocaml_module_ocaml_api).  The labelled API (nbdkit >=
 * 1.30) receives counts as OCaml int64 (int for pread) and gets each call
 * as it is.  The record API (nbdkit 1.16 - 1.28) types counts as int32:
 * there a trim, zero or cache above INT32_MAX is split into pieces of at
 * most NBDOCAML_RECORD_MAX_PIECE bytes, called in order with the same
 * flags (the first failure stops and fails the call), and extents is asked
 * for at most NBDOCAML_RECORD_MAX_PIECE bytes (its reply may cover less
 * than was asked, as nbdkit allows); a pread or pwrite above INT32_MAX
 * fails with EINVAL (NBD clients never send one: nbdkit refuses reads and
 * writes above 64 MiB).  (Before 0.2.0 every count above INT32_MAX failed
 * with EINVAL.)  Offsets above INT64_MAX fail with EINVAL.  Flags the
 * OCaml API cannot express (FAST_ZERO) are not passed on.  Connection
 * calls made after the connection was closed are undefined behaviour, as
 * with free(3).
 */
#define NBDOCAML_RECORD_MAX_PIECE (UINT32_C (1) << 30)
typedef int (*nbdocaml_extent_fn) (void *opaque, uint64_t offset,
                                   uint64_t length, uint32_t type);

/* One export of list_exports: its name and its description, or NULL when
 * the plugin gave none.  Both strings are valid during the call only.
 * (0.2.0) */
typedef int (*nbdocaml_export_fn) (void *opaque, const char *name,
                                   const char *description);

/* The block size constraints of block_size, in bytes.  (0.2.0) */
struct nbdocaml_block_size {
  uint32_t minimum;
  uint32_t preferred;
  uint32_t maximum;
};

#define NBDOCAML_PROTO_module_void(c)                                       \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m);
#define NBDOCAML_PROTO_config(c)                                            \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, const char *key,  \
                                      const char *value);
#define NBDOCAML_PROTO_thread_model(c)                                      \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m);
#define NBDOCAML_PROTO_open(c)                                              \
  NBDOCAML_API nbdocaml_conn *nbdocaml_call_##c (nbdocaml_module *m,        \
                                                 int readonly);
#define NBDOCAML_PROTO_close(c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn);
#define NBDOCAML_PROTO_get_size(c)                                          \
  NBDOCAML_API int64_t nbdocaml_call_##c (nbdocaml_conn *conn);
#define NBDOCAML_PROTO_conn_bool(c)                                         \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn);
#define NBDOCAML_PROTO_conn_fua(c) NBDOCAML_PROTO_conn_bool (c)
#define NBDOCAML_PROTO_conn_cache(c) NBDOCAML_PROTO_conn_bool (c)
#define NBDOCAML_PROTO_pread(c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, void *buf,       \
                                      uint32_t count, uint64_t offset,      \
                                      uint32_t flags);
#define NBDOCAML_PROTO_pwrite(c)                                            \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, const void *buf, \
                                      uint32_t count, uint64_t offset,      \
                                      uint32_t flags);
#define NBDOCAML_PROTO_flush(c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t flags);
#define NBDOCAML_PROTO_range(c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t count,  \
                                      uint64_t offset, uint32_t flags);
#define NBDOCAML_PROTO_extents(c)                                           \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t count,  \
                                      uint64_t offset, uint32_t flags,      \
                                      nbdocaml_extent_fn add, void *opaque);

#define NBDOCAML_PROTO_preconnect(c)                                        \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, int readonly);
#define NBDOCAML_PROTO_list_exports(c)                                      \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, int readonly,     \
                                      int is_tls, nbdocaml_export_fn add,   \
                                      void *opaque);
#define NBDOCAML_PROTO_default_export(c)                                    \
  NBDOCAML_API char *nbdocaml_call_##c (nbdocaml_module *m, int readonly,   \
                                        int is_tls);
#define NBDOCAML_PROTO_conn_string(c)                                       \
  NBDOCAML_API char *nbdocaml_call_##c (nbdocaml_conn *conn);
#define NBDOCAML_PROTO_block_size(c)                                        \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn,                  \
                                      struct nbdocaml_block_size *bs);

#define NBDOCAML_PROTO_(E, f, c, kind, i, n) NBDOCAML_PROTO_##kind (c)
NBDOCAML_CALLBACKS (NBDOCAML_PROTO_)
#undef NBDOCAML_PROTO_

/* The module a connection belongs to. */
NBDOCAML_API nbdocaml_module *nbdocaml_conn_module (const nbdocaml_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* NBDOCAML_H */
