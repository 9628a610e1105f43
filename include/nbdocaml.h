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
 * thread run a given module's OCaml code at a time (the OCaml 4 runtime is
 * not reentrant), registers each calling thread with the runtime when the
 * plugin links threads.cmxa, and releases the runtime whenever the OCaml
 * code blocks (Unix.sleepf, Unix.read ...) in that case, so a slow callback
 * does not stall the other threads.  Without threads.cmxa a callback holds
 * the module for its whole duration.  Different modules never block each
 * other.  (With threads.cmxa, a thread's first call into a module waits
 * until no other call to it is in flight, because registering a thread
 * with the OCaml runtime is not safe while OCaml code runs: a callback
 * that waits for another thread's very first call would deadlock.)  The
 * library may be used across fork(): the forking thread takes each
 * module's runtime first (with threads.cmxa, it waits for the calls in
 * flight), so the child starts with every module idle and usable.  The
 * library reports the plugin's thread model
 * (nbdocaml_call_thread_model) but does not impose it: serialising requests
 * or connections is the host's job, as it is nbdkit's.
 *
 * ERRORS.  Functions returning a pointer return NULL on error; functions
 * returning int or int64_t return -1.  The cause is kept per thread:
 * nbdocaml_get_error () gives a message prefixed with the API or callback
 * name (for example "pread: Failure(\"boom\")") and nbdocaml_get_errno () the
 * errno.  When a plugin callback raises, the errno is the one the plugin set
 * with NBDKit.set_error during that call, else EIO.  Calling a callback the
 * plugin did not register fails with ENOTSUP.  Successful calls leave the
 * last error unchanged.
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
 *   X (ENUM, ocaml_field, c_name, kind, record_index)
 * in the order of the fields of NBDKit.plugin.  ENUM names the
 * NBDOCAML_CB_* constant, ocaml_field the OCaml record field (what
 * nbdocaml_callback_name returns), c_name the nbdocaml_call_* function, kind
 * its C signature (see NBDOCAML_PROTO_* below) and record_index the field's
 * position in the OCaml record.  Rows are only ever appended: the enum
 * values are part of the ABI.
 */
#define NBDOCAML_CALLBACKS(X)                                                \
  X (LOAD,            load,            load,            module_void,  4)    \
  X (UNLOAD,          unload,          unload,          module_void,  5)    \
  X (CONFIG,          config,          config,          config,       6)    \
  X (CONFIG_COMPLETE, config_complete, config_complete, module_void,  7)    \
  X (OPEN_CONNECTION, open_connection, open,            open,         9)    \
  X (CLOSE,           close,           close,           close,       10)    \
  X (GET_SIZE,        get_size,        get_size,        get_size,    11)    \
  X (CAN_WRITE,       can_write,       can_write,       conn_bool,   12)    \
  X (CAN_FLUSH,       can_flush,       can_flush,       conn_bool,   13)    \
  X (IS_ROTATIONAL,   is_rotational,   is_rotational,   conn_bool,   14)    \
  X (CAN_TRIM,        can_trim,        can_trim,        conn_bool,   15)    \
  X (DUMP_PLUGIN,     dump_plugin,     dump_plugin,     module_void, 16)    \
  X (CAN_ZERO,        can_zero,        can_zero,        conn_bool,   17)    \
  X (CAN_FUA,         can_fua,         can_fua,         conn_fua,    18)    \
  X (PREAD,           pread,           pread,           pread,       19)    \
  X (PWRITE,          pwrite,          pwrite,          pwrite,      20)    \
  X (FLUSH,           flush,           flush,           flush,       21)    \
  X (TRIM,            trim,            trim,            range,       22)    \
  X (ZERO,            zero,            zero,            range,       23)    \
  X (CAN_MULTI_CONN,  can_multi_conn,  can_multi_conn,  conn_bool,   24)    \
  X (CAN_EXTENTS,     can_extents,     can_extents,     conn_bool,   25)    \
  X (EXTENTS,         extents,         extents,         extents,     26)    \
  X (CAN_CACHE,       can_cache,       can_cache,       conn_cache,  27)    \
  X (CACHE,           cache,           cache,           range,       28)    \
  X (THREAD_MODEL,    thread_model,    thread_model,    thread_model, 29)   \
  X (CAN_FAST_ZERO,   can_fast_zero,   can_fast_zero,   conn_bool,   30)    \
  X (PREAD_BUF,       pread_buf,       pread_buf,       pread,       31)    \
  X (PWRITE_BUF,      pwrite_buf,      pwrite_buf,      pwrite,      32)

enum nbdocaml_callback {
#define NBDOCAML_ENUM_(E, f, c, k, i) NBDOCAML_CB_##E,
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
 * OCaml plugin linked with -lnbdkitocaml), EPROTO (built against an
 * incompatible libnbdkitocaml), ECANCELED (the module's top-level code
 * raised), ESRCH (NBDKit.register_plugin was never called), EEXIST (called
 * twice), EINVAL (a required field - name, open_connection, get_size,
 * pread - is missing, or bad flags), EBUSY (this copy of the runtime was
 * already shut down and cannot be restarted in this process), ENOMEM. */
NBDOCAML_API nbdocaml_module *nbdocaml_module_open (const char *path,
                                                    unsigned flags);

/* Close connections still open on this handle (calling the plugin's close
 * for each), call unload if load was called through this handle and unload
 * was not, and release the handle.  NULL is a no-op.  Must not race with
 * other calls on the same handle or its connections. */
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

/* Invocation.  The signature of each nbdocaml_call_* follows its kind:
 *
 *   module_void   int nbdocaml_call_X (nbdocaml_module *m)
 *                 load, unload, config_complete, dump_plugin.  0 or -1.
 *                 dump_plugin flushes C's and OCaml's stdout around the call
 *                 so its output lands in order.
 *   config        int nbdocaml_call_config (m, const char *key,
 *                                          const char *value)
 *   thread_model  int nbdocaml_call_thread_model (m): NBDOCAML_THREAD_MODEL_*,
 *                 PARALLEL when the plugin did not register thread_model.
 *   open          nbdocaml_conn *nbdocaml_call_open (m, int readonly)
 *   close         int nbdocaml_call_close (nbdocaml_conn *c): always frees c,
 *                 even when the plugin's close raises (then -1); without a
 *                 registered close it just frees c and returns 0.
 *   get_size      int64_t nbdocaml_call_get_size (c)
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
 *                 calls add once per extent the plugin returned, in order;
 *                 add returning -1 stops and fails the call (errno kept).
 *                 As nbdkit does, it fails with EINVAL when the plugin
 *                 returns no extents, a negative offset or length, or an
 *                 extent that does not start where the previous one ended;
 *                 empty extents are skipped.  Extents past the requested
 *                 range or the end of the disk are passed on as they are.
 *
 * Offsets above INT64_MAX and counts above INT32_MAX (OCaml's int32/int64
 * arguments are signed) fail with EINVAL.  Flags the OCaml API cannot
 * express (FAST_ZERO) are not passed on.  Connection calls made after the
 * connection was closed are undefined behaviour, as with free(3).
 */
typedef int (*nbdocaml_extent_fn) (void *opaque, uint64_t offset,
                                   uint64_t length, uint32_t type);

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

#define NBDOCAML_PROTO_(E, f, c, kind, i) NBDOCAML_PROTO_##kind (c)
NBDOCAML_CALLBACKS (NBDOCAML_PROTO_)
#undef NBDOCAML_PROTO_

/* The module a connection belongs to. */
NBDOCAML_API nbdocaml_module *nbdocaml_conn_module (const nbdocaml_conn *c);

#ifdef __cplusplus
}
#endif

#endif /* NBDOCAML_H */
