/* libnbdocaml glue: starting and stopping this plugin's OCaml runtime.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The host calls start once, when the first handle on this file is
 * opened, and stop when the last one is closed.  In between, the module's
 * top-level code has run and registered the plugin.  A runtime that was
 * shut down cannot be started again in the same loaded copy of the .so
 * (the OCaml runtime forbids it), so stop is final.
 *
 * On OCaml 5 stop does not shut down at all.  Its caml_shutdown frees
 * neither the heap nor the domain (measured: 1.3 MB of RSS lost per
 * open/close cycle with shutdown and dlclose, 1.2 GB over 1000 cycles), so
 * the runtime is parked instead: channels flushed, everything kept, and
 * the next open of the file finds it running.  A module whose start
 * fails is still shut down, since the host unloads it.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <caml/callback.h>
#include <caml/mlvalues.h>
#include <caml/signals.h>

#include "glue.h"

/* Writers first, or a thread waiting to register could wait forever
 * while calls keep coming. */
int
nbdocaml_internal_init_gate (pthread_rwlock_t *gate)
{
  pthread_rwlockattr_t attr;
  int r;

  pthread_rwlockattr_init (&attr);
  pthread_rwlockattr_setkind_np (&attr,
                                 PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
  r = pthread_rwlock_init (gate, &attr);
  pthread_rwlockattr_destroy (&attr);
  return r == 0 ? 0 : -1;
}

static struct {
  int started, stopped;
  nbdocaml_glue_debug_fn debug;
} rt;

/* Undo a start.  Right after caml_startup the starting thread still
 * holds the runtime; otherwise take it as any call does. */
static void
shutdown_runtime (int starting)
{
  if (!starting)
    nbdocaml_internal_acquire ();
  nbdocaml_internal_threads_live (0);
  nbdocaml_internal_clear_plugin ();
  /* Runs at_exit (flushing OCaml's channels), stops systhreads' tick
   * thread and, thanks to pooling, frees the heap. */
  caml_shutdown ();
  rt.stopped = 1;
  nbdocaml_internal_release_at_shutdown ();
  nbdocaml_internal_threads_fini ();
  nbdocaml_internal_delete_keys ();
}

static int
glue_start (nbdocaml_glue_debug_fn debug, struct nbdocaml_error_buf *err)
{
  static char arg0[] = "nbdocaml";
  static char *argv[] = { arg0, NULL };
  stack_t before, after;
  int threads;
  value res;

  if (rt.stopped || rt.started) {
    err->errnum = EBUSY;
    snprintf (err->msg, sizeof err->msg,
              "this copy of the OCaml runtime was already started and "
              "cannot be started again while the file stays loaded");
    return -1;
  }
  rt.debug = debug;
  nbdocaml_internal_track_keys ();
  threads = nbdocaml_internal_threads_init ();
  if (threads == -1) {
    err->errnum = EAGAIN;
    snprintf (err->msg, sizeof err->msg, "cannot create the lock that serialises thread registration");
    return -1;
  }
  nbdocaml_internal_table.has_threads = threads;

  /* caml_startup gives this thread an alternate signal stack of its own.
   * OCaml 4 leaves it installed and never frees it: the host made sure the
   * thread had one already, so put that one back and free the runtime's,
   * or every open/close cycle would leak it.  OCaml 5 frees its own before
   * returning but leaves the thread with none: put the host's back. */
  sigaltstack (NULL, &before);
  /* The pooled variant lets caml_shutdown free the whole heap, which is
   * what makes repeated open/close cycles leak-free.  (The pool has no
   * lock of its own: see the gate in runtime-ocaml4.c.) */
  res = caml_startup_pooled_exn (argv);
  nbdocaml_internal_after_startup ();
  if (!(before.ss_flags & SS_DISABLE) && sigaltstack (NULL, &after) == 0) {
    if (after.ss_flags & SS_DISABLE)
      sigaltstack (&before, NULL);
    else if (after.ss_sp != before.ss_sp && sigaltstack (&before, NULL) == 0)
      free (after.ss_sp);
  }
  rt.started = 1;
  /* From here this thread holds the runtime as after any acquire. */
  nbdocaml_internal_threads_started ();

  if (Is_exception_result (res)) {
    int why = nbdocaml_internal_register_errno;
    nbdocaml_internal_exception_error (Extract_exception (res),
                                       "module initialisation raised", err);
    err->errnum = why ? why : ECANCELED;
    shutdown_runtime (1);
    return -1;
  }
  if (!nbdocaml_internal_is_registered ()) {
    err->errnum = ESRCH;
    snprintf (err->msg, sizeof err->msg,
              "the module never called NBDKit.register_plugin");
    shutdown_runtime (1);
    return -1;
  }

  nbdocaml_internal_threads_live (1);
  /* With systhreads the starting thread holds the master lock after
   * caml_startup; every other thread would wait for it forever. */
  nbdocaml_internal_release (NULL);
  return 0;
}

static void glue_flush (void);

static void
glue_stop (void)
{
  if (!rt.started || rt.stopped)
    return;
  if (nbdocaml_internal_runtime_parks)
    glue_flush ();
  else
    shutdown_runtime (0);
}

static void
glue_flush (void)
{
  value f;

  if (!rt.started || rt.stopped)
    return;
  GLUE_HOLD_RUNTIME;
  f = nbdocaml_internal_flush_closure ();
  if (f != Val_unit)
    caml_callback_exn (f, Val_unit);
}

/* A process may exit with the module still open: nobody calls
 * caml_shutdown then, and whatever the plugin printed would stay in
 * OCaml's buffers.  This runs as the .so is finalised at exit (and at
 * dlclose, when the runtime is already stopped and there is nothing to
 * do). */
static void __attribute__((destructor))
flush_at_exit (void)
{
  glue_flush ();
}

void *
nbdocaml_internal_own_symbol (const char *name)
{
  Dl_info info;
  void *handle, *sym;

  /* dlsym on this .so's own handle, not RTLD_DEFAULT, so that another
   * plugin's runtime in the same process is never picked up. */
  if (dladdr ((void *) &nbdocaml_internal_own_symbol, &info) == 0 ||
      !info.dli_fname)
    return NULL;
  handle = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!handle)
    return NULL;
  sym = dlsym (handle, name);
  dlclose (handle);
  return sym;
}

/* In a host, the host's debug handler.  In an ordinary executable (plugin
 * code linked into a unit test, where no host started the runtime)
 * stderr, when LIBNBDOCAML_DEBUG asks for it as it does of the C API's
 * default handler; otherwise nothing. */
void
nbdocaml_internal_debug (const char *msg)
{
  const char *e;

  if (rt.debug)
    rt.debug (msg);
  else if (!rt.started && (e = getenv ("LIBNBDOCAML_DEBUG")) != NULL &&
           *e && strcmp (e, "0") != 0) {
    size_t len = strlen (msg);

    if (len > 0 && msg[len - 1] == '\n')
      len--;
    fprintf (stderr, "nbdocaml: debug: %.*s\n", (int) len, msg);
  }
}

struct nbdocaml_glue nbdocaml_internal_table = {
  .abi = NBDOCAML_GLUE_ABI,
  .size = sizeof (struct nbdocaml_glue),
  .start = glue_start,
  .stop = glue_stop,
  .thread_exit = nbdocaml_internal_thread_exit,
  .ocaml_version = OCAML_VERSION,
  .flush = glue_flush,
  .string = nbdocaml_internal_string,
};

/* The one symbol the host looks for.  It is a function rather than the
 * table itself so that the call entries are filled in before anyone sees
 * them. */
__attribute__((__visibility__("default")))
struct nbdocaml_glue *nbdocaml_glue_entry_v1 (void);

struct nbdocaml_glue *
nbdocaml_glue_entry_v1 (void)
{
  nbdocaml_internal_table.parks = nbdocaml_internal_runtime_parks;
  nbdocaml_internal_fill_calls (&nbdocaml_internal_table);
  return &nbdocaml_internal_table;
}
