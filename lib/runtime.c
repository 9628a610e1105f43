/* libnbdocaml glue: starting, stopping and locking this plugin's runtime.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The OCaml 4 runtime keeps all its state in one process-wide Caml_state
 * and is not reentrant, so at most one thread may run OCaml code of this
 * plugin at a time, from before CAMLparam to after CAMLreturn.  Two cases:
 *
 * - The plugin links threads.cmxa.  Then systhreads' master lock is the
 *   runtime lock: a foreign thread must be registered with
 *   caml_c_thread_register before it takes the lock, and OCaml code that
 *   blocks (Unix.sleepf ...) releases it so other callbacks can run.  We
 *   cannot reference the systhreads functions directly (a plugin without
 *   threads.cmxa does not have them), so we look them up in our own .so.
 *
 * - It does not.  Then caml_enter/leave_blocking_section do not lock at all
 *   and we use a mutex of our own for the whole call.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <caml/callback.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>
#include <caml/signals.h>

#include "glue.h"

/* Values of our thread-specific marker. */
#define THREAD_REGISTERED_BY_US ((void *) 1) /* unregister at thread exit */
#define THREAD_ALREADY_KNOWN    ((void *) 2) /* the startup thread */

static struct {
  int started, stopped;
  int threads;                          /* threads.cmxa is linked */
  int (*thread_register) (void);
  int (*thread_unregister) (void);
  pthread_key_t key;                    /* valid when threads */
  pthread_mutex_t lock;                 /* used when !threads */
  nbdocaml_glue_debug_fn debug;
} rt = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Runs when a thread we registered exits: systhreads wants every
 * registered thread unregistered, without the runtime held. */
static void
unregister_thread (void *marker)
{
  if (marker == THREAD_REGISTERED_BY_US && rt.thread_unregister)
    rt.thread_unregister ();
}

/* Whether this thread holds this runtime: fork from inside a callback
 * (Unix.fork) must not make the fork handlers take it a second time. */
static __thread int holding;

void
nbdocaml_internal_acquire (void)
{
  if (rt.threads) {
    if (pthread_getspecific (rt.key) == NULL) {
      /* caml_c_thread_register returns 0 for a thread systhreads already
       * knows (one that started the runtime or was created by OCaml). */
      int ours = rt.thread_register ();
      pthread_setspecific (rt.key, ours ? THREAD_REGISTERED_BY_US
                                        : THREAD_ALREADY_KNOWN);
    }
    caml_leave_blocking_section ();
  }
  else
    pthread_mutex_lock (&rt.lock);
  holding = 1;
}

void
nbdocaml_internal_release (int *unused)
{
  (void) unused;
  holding = 0;
  if (rt.threads)
    caml_enter_blocking_section ();
  else
    pthread_mutex_unlock (&rt.lock);
}

/* Fork while another thread runs OCaml code and the child inherits a held
 * lock it can never release.  With systhreads it is worse: its child
 * handler re-creates the master lock as held by the forking thread, so a
 * forking thread that did not hold the runtime (nbdkit's main thread when
 * it daemonizes) leaves the child hanging on its first callback.  Holding
 * the runtime across fork on the forking thread makes both cases sound.
 * Our handlers are registered after systhreads' (which are installed by
 * caml_startup), so our prepare runs before its prepare and our child
 * handler after its child handler, as glibc orders them.  glibc removes
 * the handlers of a dlclosed object. */
static int atfork_installed;
static __thread int fork_took_runtime;

static void
fork_prepare (void)
{
  fork_took_runtime = rt.started && !rt.stopped && !holding;
  if (fork_took_runtime)
    nbdocaml_internal_acquire ();
}

static void
fork_after (void)
{
  if (fork_took_runtime) {
    fork_took_runtime = 0;
    nbdocaml_internal_release (NULL);
  }
}

/* Find the systhreads entry points in this .so, if it has them.  dlsym on
 * our own handle, not RTLD_DEFAULT, so that another plugin's runtime in
 * the same process is never picked up. */
static void
detect_threads (void)
{
  Dl_info info;
  void *self;

  if (dladdr ((void *) &detect_threads, &info) == 0 || !info.dli_fname)
    return;
  self = dlopen (info.dli_fname, RTLD_LAZY | RTLD_NOLOAD);
  if (!self)
    return;
  rt.thread_register = (int (*) (void)) dlsym (self, "caml_c_thread_register");
  rt.thread_unregister = (int (*) (void)) dlsym (self, "caml_c_thread_unregister");
  rt.threads = rt.thread_register && rt.thread_unregister;
  dlclose (self);
}

static void shutdown_runtime (int starting);

static int
glue_start (nbdocaml_glue_debug_fn debug, struct nbdocaml_error_buf *err)
{
  static char arg0[] = "nbdocaml";
  static char *argv[] = { arg0, NULL };
  value res;

  if (rt.stopped) {
    err->errnum = EBUSY;
    snprintf (err->msg, sizeof err->msg,
              "this copy of the OCaml runtime was shut down and cannot be "
              "started again while the file stays loaded");
    return -1;
  }
  rt.debug = debug;
  detect_threads ();
  nbdocaml_internal_table.has_threads = rt.threads;
  if (rt.threads && pthread_key_create (&rt.key, unregister_thread) != 0) {
    err->errnum = EAGAIN;
    snprintf (err->msg, sizeof err->msg, "pthread_key_create failed");
    return -1;
  }
  if (!atfork_installed &&
      pthread_atfork (fork_prepare, fork_after, fork_after) == 0)
    atfork_installed = 1;

  /* The pooled variant lets caml_shutdown free the whole heap, which is
   * what makes repeated open/close cycles leak-free. */
  res = caml_startup_pooled_exn (argv);
  rt.started = 1;
  if (rt.threads)
    pthread_setspecific (rt.key, THREAD_ALREADY_KNOWN);

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

  /* With systhreads the thread that ran caml_startup now holds the runtime
   * lock; every other thread would wait for it forever. */
  if (rt.threads)
    caml_enter_blocking_section ();
  return 0;
}

static void
glue_stop (void)
{
  if (rt.started && !rt.stopped)
    shutdown_runtime (0);
}

static void
shutdown_runtime (int starting)
{
  /* Right after caml_startup the starting thread still holds systhreads'
   * lock; otherwise take the runtime as any call does. */
  if (!(starting && rt.threads))
    nbdocaml_internal_acquire ();
  nbdocaml_internal_clear_plugin ();
  /* Runs at_exit (flushing OCaml's channels), stops systhreads' tick
   * thread and frees the pooled heap. */
  caml_shutdown ();
  rt.stopped = 1;
  /* systhreads' lock died with the runtime; ours did not. */
  if (rt.threads)
    pthread_key_delete (rt.key);
  else
    pthread_mutex_unlock (&rt.lock);
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

void
nbdocaml_internal_debug (const char *msg)
{
  if (rt.debug)
    rt.debug (msg);
}

struct nbdocaml_glue nbdocaml_internal_table = {
  .abi = NBDOCAML_GLUE_ABI,
  .size = sizeof (struct nbdocaml_glue),
  .start = glue_start,
  .stop = glue_stop,
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
  nbdocaml_internal_fill_calls (&nbdocaml_internal_table);
  return &nbdocaml_internal_table;
}
