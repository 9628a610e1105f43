/* libnbdocaml: the interface between the host library and the glue.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The library comes in two halves.  The glue (runtime.c, gc_roots.c,
 * callbacks.c, primitives.c) is archived into libnbdkitocaml.a and linked
 * into every plugin .so, because only code inside that .so can safely use
 * the .so's own copy of the OCaml runtime.  The host library (registry.c,
 * dispatch.c, errors.c) never touches an OCaml value: it finds the glue's
 * entry table with dlsym and calls through it.  This header is the whole
 * contract between the halves, and the ABI number below must change
 * whenever the table does.
 */
#ifndef NBDOCAML_GLUE_ABI_H
#define NBDOCAML_GLUE_ABI_H

#include <stdint.h>
#include "nbdocaml.h"

/* ABI 2 (0.2.0): the OCaml API generation, magic_config_key, the host
 * services, the callbacks of nbdkit 1.17 - 1.30, and the OCaml version
 * and whether its runtime parks (OCaml 5).  The entry point keeps its name
 * so that a plugin of another ABI is told apart by the abi field (EPROTO
 * with both numbers) rather than not found. */
#define NBDOCAML_GLUE_ABI 2
#define NBDOCAML_GLUE_ENTRY "nbdocaml_glue_entry_v1"

/* A call's error: the message (callback name included) and errno.  The
 * host passes its per-thread buffer, so the glue writes it only on error
 * and the success path costs nothing. */
#define NBDOCAML_ERROR_MAX 1024
struct nbdocaml_error_buf {
  int errnum;
  char msg[NBDOCAML_ERROR_MAX];
};

/* Metadata strings, indexes for the string entry. */
enum nbdocaml_glue_string {
  NBDOCAML_STR_NAME, NBDOCAML_STR_LONGNAME, NBDOCAML_STR_VERSION,
  NBDOCAML_STR_DESCRIPTION, NBDOCAML_STR_CONFIG_HELP,
  NBDOCAML_STR_MAGIC_CONFIG_KEY, NBDOCAML_STR_COUNT
};

/* What the glue asks of the host library: the NBDKit helpers that need a
 * server (see struct nbdocaml_host_hooks in nbdocaml.h), for hosts other
 * than nbdkit.  Each returns 0 (or the 0/1 answer), or -1 with err set
 * when the host has no hook for it or the hook failed; err->msg is the
 * reason without the helper's name.  They run with the runtime held. */
struct nbdocaml_glue_host {
  uint32_t size;                /* sizeof (struct nbdocaml_glue_host) */
  /* *name is malloc'd; the glue frees it. */
  int (*export_name) (char **name, struct nbdocaml_error_buf *err);
  int (*is_tls) (struct nbdocaml_error_buf *err);
  /* which: 0 pid, 1 uid, 2 gid. */
  int (*peer_id) (int which, int64_t *id, struct nbdocaml_error_buf *err);
  /* addr points to a struct sockaddr_storage, *addrlen its size. */
  int (*peer_name) (void *addr, size_t *addrlen,
                    struct nbdocaml_error_buf *err);
  int (*shutdown) (struct nbdocaml_error_buf *err);
  int (*disconnect) (int force, struct nbdocaml_error_buf *err);
  int (*stdio_safe) (struct nbdocaml_error_buf *err);
};

typedef void (*nbdocaml_glue_debug_fn) (const char *msg);

struct nbdocaml_error_buf;

/* One entry per kind of callback (see NBDOCAML_PROTO_* in nbdocaml.h); the
 * cb argument says which callback of that kind.  gc is the glue's
 * connection handle returned by open. */
struct nbdocaml_glue {
  uint32_t abi;                 /* NBDOCAML_GLUE_ABI */
  uint32_t size;                /* sizeof (struct nbdocaml_glue) */

  /* Start the runtime, running the module's top-level code.  debug
   * receives NBDKit.debug messages from then on.  0, or -1 with err set. */
  int (*start) (nbdocaml_glue_debug_fn debug, struct nbdocaml_error_buf *err);
  /* The last handle is closing.  When parks is 0 (OCaml 4) this shuts
   * the runtime down for good (it cannot be started again in this copy
   * of the .so, which the host then unloads).  When parks is 1 (OCaml 5,
   * whose runtime frees neither its heap nor its domain at shutdown and
   * cannot start again) it flushes OCaml's channels and the runtime stays
   * up, loaded, for the next open of the same file. */
  void (*stop) (void);
  int parks;
  /* The calling thread is exiting: unregister it from this runtime if it
   * registered itself on a call (threads.cmxa), and forget it.  A no-op
   * for a thread that never called.  The host calls it from its own
   * thread-exit handler for every runtime it has, with its list of
   * runtimes locked, so that none stops (and is unloaded) meanwhile: the
   * plugin's own code must not hold a pthread key destructor. */
  void (*thread_exit) (void);
  /* The OCaml version the plugin was built with, "5.3.0". */
  const char *ocaml_version;
  /* Flush OCaml's stdout and stderr buffers. */
  void (*flush) (void);

  /* What register_plugin recorded; valid between start and stop. */
  const char *(*string) (int which);
  uint64_t registered;          /* bit cb set when callback cb is Some _ */
  int has_threads;              /* threads.cmxa is linked */
  int ocaml_api;                /* NBDOCAML_OCAML_API_*, set by registration */

  /* Called once before start: the host's services, which must stay valid
   * until stop. */
  void (*set_host) (const struct nbdocaml_glue_host *host);

  int (*module_void) (int cb, struct nbdocaml_error_buf *err);
  int (*config) (const char *key, const char *value,
                 struct nbdocaml_error_buf *err);
  int (*thread_model) (struct nbdocaml_error_buf *err);
  void *(*open) (int readonly, struct nbdocaml_error_buf *err);
  int (*close) (void *gc, struct nbdocaml_error_buf *err);
  int64_t (*get_size) (void *gc, struct nbdocaml_error_buf *err);
  /* conn_bool, conn_fua and conn_cache: the result is validated. */
  int (*conn_int) (int cb, void *gc, struct nbdocaml_error_buf *err);
  /* cb is PREAD or PREAD_BUF (PWRITE or PWRITE_BUF): the string or the
   * zero-copy Bigarray callback. */
  int (*pread) (int cb, void *gc, void *buf, uint32_t count, uint64_t offset,
                uint32_t flags, struct nbdocaml_error_buf *err);
  int (*pwrite) (int cb, void *gc, const void *buf, uint32_t count,
                 uint64_t offset, uint32_t flags,
                 struct nbdocaml_error_buf *err);
  int (*flush_conn) (void *gc, uint32_t flags,
                     struct nbdocaml_error_buf *err);
  int (*range) (int cb, void *gc, uint32_t count, uint64_t offset,
                uint32_t flags, struct nbdocaml_error_buf *err);
  int (*extents) (void *gc, uint32_t count, uint64_t offset, uint32_t flags,
                  nbdocaml_extent_fn add, void *opaque,
                  struct nbdocaml_error_buf *err);

  /* ABI 2: the callbacks of nbdkit 1.17 - 1.30 (module_void serves
   * get_ready, after_fork and cleanup).  The strings returned are
   * malloc'd; the host frees them. */
  int (*preconnect) (int readonly, struct nbdocaml_error_buf *err);
  int (*list_exports) (int readonly, int is_tls, nbdocaml_export_fn add,
                       void *opaque, struct nbdocaml_error_buf *err);
  char *(*default_export) (int readonly, int is_tls,
                           struct nbdocaml_error_buf *err);
  char *(*export_description) (void *gc, struct nbdocaml_error_buf *err);
  int (*block_size) (void *gc, struct nbdocaml_block_size *bs,
                     struct nbdocaml_error_buf *err);
};

#endif /* NBDOCAML_GLUE_ABI_H */
