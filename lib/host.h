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

#include "nbdocaml.h"
#include "glue-abi.h"

#define HOST_INTERNAL __attribute__((__visibility__("hidden")))

struct runtime;                 /* one per loaded plugin file (registry.c) */

struct nbdocaml_module {
  struct runtime *rt;
  const struct nbdocaml_glue *g;        /* rt's table, for the hot path */
  uint64_t registered;                  /* g->registered, copied */
  char *path;
  pthread_mutex_t lock;                 /* protects conns, loaded */
  struct nbdocaml_conn *conns;          /* open connections, a list */
  int loaded;                           /* load called, unload not yet */
  nbdocaml_debug_fn debug;
  void *debug_opaque;
};

struct nbdocaml_conn {
  nbdocaml_module *m;
  void *gc;                             /* the glue's connection */
  struct nbdocaml_conn *prev, *next;
};

/* errors.c */
/* This thread's error buffer, which the glue fills on failure. */
HOST_INTERNAL struct nbdocaml_error_buf *nbdocaml_internal_error (void);
HOST_INTERNAL void nbdocaml_internal_set_error (int errnum, const char *fmt,
                                                ...)
  __attribute__((format (printf, 2, 3)));
/* The module whose code this thread is running, for the debug handler. */
HOST_INTERNAL extern __thread nbdocaml_module *nbdocaml_internal_current;
HOST_INTERNAL void nbdocaml_internal_debug_trampoline (const char *msg);

/* hooks.c: the services the glue's NBDKit helpers call outside nbdkit. */
HOST_INTERNAL extern const struct nbdocaml_glue_host nbdocaml_internal_host;

/* altstack.c: make sure the calling thread has an alternate signal stack
 * before it runs OCaml code; cheap after the first call. */
HOST_INTERNAL extern __thread int nbdocaml_internal_thread_ready;
HOST_INTERNAL void nbdocaml_internal_prepare_thread_slow (void);
static inline void
nbdocaml_internal_prepare_thread (void)
{
  if (__builtin_expect (!nbdocaml_internal_thread_ready, 0))
    nbdocaml_internal_prepare_thread_slow ();
}

#endif /* NBDOCAML_HOST_H */
