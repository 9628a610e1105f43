/* libnbdocaml host library: declarations shared by its files.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The host library never touches an OCaml value: it reaches a plugin's
 * runtime only through the glue's entry table (glue-abi.h).  It is built
 * twice, as libnbdocaml.so for hosts and, hidden, into libnbdkitocaml.a for
 * the nbdkit adapter that every plugin carries.
 */
#ifndef NBDOCAML_HOST_H
#define NBDOCAML_HOST_H

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include "nbdocaml.h"
#include "glue-abi.h"

#define HOST_INTERNAL __attribute__((__visibility__("hidden")))

struct runtime;                 /* one per loaded plugin file (registry.c) */

/* Every call counts itself in flight on its object (the module for
 * module-level calls, the connection for the others) for its whole
 * duration, so that closing an object can wait until no call on it runs
 * (closing.c).  A closing object refuses new calls with ESHUTDOWN. */
struct nbdocaml_module {
  struct runtime *rt;
  const struct nbdocaml_glue *g;        /* rt's table, for the hot path */
  uint64_t registered;                  /* g->registered, copied */
  char *path;
  pthread_mutex_t lock;                 /* protects conns, loaded, shut */
  pthread_cond_t idle;                  /* a count below dropped to 0 */
  struct nbdocaml_conn *conns;          /* open connections, newest first */
  int loaded;                           /* load called, unload not yet */
  int unloaded;                         /* unload was called */
  int shut;                             /* nbdocaml_module_shutdown done */
  atomic_uint calls;                    /* module-level calls in flight */
  atomic_int closing;                   /* shutdown has begun */
  nbdocaml_debug_fn debug;
  void *debug_opaque;
};

struct nbdocaml_conn {
  nbdocaml_module *m;
  void *gc;                             /* the glue's connection; NULL once
                                         * the plugin closed it */
  struct nbdocaml_conn *prev, *next;
  atomic_uint calls;                    /* calls in flight */
  atomic_int closing;                   /* being closed, or closed */
};

/* closing.c */
/* Count a call in flight on an object; 0, or -1 when the object is
 * closing (the call must then fail).  Sequentially consistent: either the
 * closer sees the count or the caller sees the flag. */
static inline int
nbdocaml_internal_enter (atomic_uint *calls, atomic_int *closing)
{
  atomic_fetch_add (calls, 1);
  if (__builtin_expect (atomic_load (closing), 0)) {
    atomic_fetch_sub (calls, 1);
    return -1;
  }
  return 0;
}
HOST_INTERNAL void nbdocaml_internal_wake (nbdocaml_module *m);
static inline void
nbdocaml_internal_leave (nbdocaml_module *m, atomic_uint *calls,
                         atomic_int *closing)
{
  if (atomic_fetch_sub (calls, 1) == 1 &&
      __builtin_expect (atomic_load (closing), 0))
    nbdocaml_internal_wake (m);
}
/* Add a new connection to m's list. */
HOST_INTERNAL void nbdocaml_internal_link_conn (nbdocaml_module *m,
                                                nbdocaml_conn *c);
/* nbdocaml_call_close's work. */
HOST_INTERNAL int nbdocaml_internal_close_conn (nbdocaml_conn *c, int cb);
/* nbdocaml_module_close's first half: shut down, then free the
 * connections. */
HOST_INTERNAL void nbdocaml_internal_end_module (nbdocaml_module *m);

/* errors.c */
/* This thread's error buffer, which the glue fills on failure. */
HOST_INTERNAL struct nbdocaml_error_buf *nbdocaml_internal_error (void);
HOST_INTERNAL void nbdocaml_internal_set_error (int errnum, const char *fmt,
                                                ...)
  __attribute__((format (printf, 2, 3)));
/* The module whose code this thread is running, for the debug handler. */
HOST_INTERNAL extern __thread nbdocaml_module *nbdocaml_internal_current;
HOST_INTERNAL void nbdocaml_internal_debug_trampoline (const char *msg);
/* Send msg to m's debug handler (or the default one). */
HOST_INTERNAL void nbdocaml_internal_debug_message (nbdocaml_module *m,
                                                    const char *msg);

/* hooks.c: the services the glue's NBDKit helpers call outside nbdkit. */
HOST_INTERNAL extern const struct nbdocaml_glue_host nbdocaml_internal_host;

/* extents.c: the glue's extents call, with nbdkit's rules applied to
 * what the plugin returned before add sees it. */
HOST_INTERNAL int nbdocaml_internal_extents (nbdocaml_conn *c, uint32_t count,
                                             uint64_t offset, uint32_t flags,
                                             nbdocaml_extent_fn add,
                                             void *opaque);

/* registry.c: the calling thread exits; every runtime forgets it. */
HOST_INTERNAL void nbdocaml_internal_leave_runtimes (void);

/* altstack.c: make sure the calling thread has an alternate signal stack
 * before it runs OCaml code, and that the runtimes hear of its exit;
 * cheap after the first call. */
HOST_INTERNAL extern __thread int nbdocaml_internal_thread_ready;
HOST_INTERNAL void nbdocaml_internal_prepare_thread_slow (void);
static inline void
nbdocaml_internal_prepare_thread (void)
{
  if (__builtin_expect (!nbdocaml_internal_thread_ready, 0))
    nbdocaml_internal_prepare_thread_slow ();
}

#endif /* NBDOCAML_HOST_H */
