/* libnbdocaml glue: the pthread keys that this plugin's code creates.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * OCaml's thread library creates pthread keys when it starts (two on
 * OCaml 4, one on OCaml 5) and never deletes them, and so may any C stub
 * linked into the plugin.  A process has only PTHREAD_KEYS_MAX (1024) of
 * them, so a host that opens and closes a threads.cmxa plugin some 500
 * times runs out, and systhreads, which ignores the failure, then writes
 * its thread descriptors into key 0, someone else's key (a GLib thread's
 * exit crashed in a test).  A key whose destructor lives in an unloaded
 * plugin is a crash waiting for the next thread exit as well.
 *
 * So this file defines pthread_key_create for the plugin .so itself: the
 * linker binds every call made from inside the plugin (the OCaml runtime,
 * systhreads, our glue, the plugin's C stubs) to this definition, which is
 * hidden and so never seen by the rest of the process.  It creates the
 * key with the C library's function and, from the moment the runtime
 * starts, remembers it; once the runtime is shut down for good,
 * nbdocaml_internal_delete_keys deletes them all.  (Keys made before the
 * start belong to the copy of the host library that the nbdkit adapter
 * uses, which lives as long as the .so: they are left alone.)
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "glue.h"

typedef int (*key_create_fn) (pthread_key_t *, void (*) (void *));

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static key_create_fn real_create;
static pthread_key_t *keys;             /* every key made here, live */
static size_t nkeys, cap;
static int tracking;

GLUE_HIDDEN int pthread_key_create (pthread_key_t *key,
                                    void (*destructor) (void *));

int
pthread_key_create (pthread_key_t *key, void (*destructor) (void *))
{
  int r;

  pthread_mutex_lock (&lock);
  if (real_create == NULL)
    real_create = (key_create_fn) dlsym (RTLD_NEXT, "pthread_key_create");
  if (real_create == NULL) {
    pthread_mutex_unlock (&lock);
    return EAGAIN;
  }
  if (nkeys == cap) {
    size_t ncap = cap ? 2 * cap : 8;
    pthread_key_t *n = realloc (keys, ncap * sizeof *n);
    if (n == NULL) {
      pthread_mutex_unlock (&lock);
      return ENOMEM;
    }
    keys = n;
    cap = ncap;
  }
  r = real_create (key, destructor);
  if (r == 0 && tracking)
    keys[nkeys++] = *key;
  pthread_mutex_unlock (&lock);
  return r;
}

void
nbdocaml_internal_track_keys (void)
{
  pthread_mutex_lock (&lock);
  tracking = 1;
  pthread_mutex_unlock (&lock);
}

void
nbdocaml_internal_delete_keys (void)
{
  size_t i;

  pthread_mutex_lock (&lock);
  for (i = 0; i < nkeys; ++i)
    pthread_key_delete (keys[i]);
  free (keys);
  keys = NULL;
  nkeys = cap = 0;
  tracking = 0;
  pthread_mutex_unlock (&lock);
}
