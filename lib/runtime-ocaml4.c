/* libnbdocaml glue: which thread may run this plugin's OCaml code (OCaml 4).
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
 *   cannot refer to the systhreads functions directly (a plugin without
 *   threads.cmxa does not have them), so we look them up in our own .so.
 *
 * - It does not.  Then caml_enter/leave_blocking_section do not lock at
 *   all and we use a mutex of our own for the whole call.
 *
 * Registering a thread is the delicate part.  caml_c_thread_register and
 * caml_c_thread_unregister allocate and free the thread's descriptor with
 * caml_stat_alloc *before* taking the master lock, and in the pooled
 * runtime (which we start so that shutdown frees everything) that links
 * the block into a list that OCaml code holding the lock changes too, with
 * no lock of its own.  So a gate, a reader-writer lock with writers
 * preferred, surrounds every call into OCaml as a reader, and a thread
 * (un)registers as the writer: only when no callback is in flight.  The
 * cost is one uncontended read lock per call, and a new thread's first
 * call waits for the calls in flight to finish.  (A plugin whose callback
 * waits for another thread's very first call would deadlock; OCaml code
 * started with Thread.create is outside the gate.)
 *
 * (Calling threads get an alternate signal stack from the host library,
 * lib/altstack.c, so that Stack_overflow works on them.)
 *
 * __thread variables here are per thread and, since every plugin has its
 * own copy of this file, per runtime too.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <caml/mlvalues.h>
#include <caml/signals.h>

#include "glue.h"

const int nbdocaml_internal_runtime_parks = 0;

/* In the runtime of every OCaml 4, declared by 4.14's headers only. */
extern void caml_init_signals (void);

/* OCaml 4.14's caml_startup turns stack overflow detection off again
 * before it returns (it resets SIGSEGV to its default and frees the
 * alternate stack): it is made for programs that run entirely inside
 * caml_main, not for a runtime that callbacks enter afterwards, where a
 * deep recursion would then kill the process instead of raising
 * Stack_overflow.  4.13 leaves it on.  So when the handler is gone, it is
 * put back, as 4.13 has it. */
void
nbdocaml_internal_after_startup (void)
{
  struct sigaction sa;

  if (sigaction (SIGSEGV, NULL, &sa) == 0 && !(sa.sa_flags & SA_SIGINFO) &&
      sa.sa_handler == SIG_DFL)
    caml_init_signals ();
}

static struct {
  int threads;                          /* threads.cmxa is linked */
  int (*thread_register) (void);
  int (*thread_unregister) (void);
  pthread_mutex_t lock;                 /* used when !threads */
  pthread_rwlock_t gate;                /* used when threads */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

static __thread struct {
  int ready;                    /* prepared (or the starting thread) */
  int registered;               /* caml_c_thread_register said 1 */
  int holding;                  /* holds the runtime now */
} self;

/* Find the systhreads entry points in this .so, if it has them. */
static void
detect_threads (void)
{
  st.thread_register =
    (int (*) (void)) nbdocaml_internal_own_symbol ("caml_c_thread_register");
  st.thread_unregister =
    (int (*) (void)) nbdocaml_internal_own_symbol ("caml_c_thread_unregister");
  st.threads = st.thread_register && st.thread_unregister;
}

/* A thread that called into this runtime exits (the host calls this from
 * its own thread-exit handler, runtime list locked, so the runtime cannot
 * stop meanwhile): systhreads wants it unregistered, without the runtime
 * held. */
void
nbdocaml_internal_thread_exit (void)
{
  if (self.registered && st.thread_unregister) {
    pthread_rwlock_wrlock (&st.gate);
    st.thread_unregister ();
    pthread_rwlock_unlock (&st.gate);
  }
  self.registered = 0;
  self.ready = 0;
}

/* With systhreads, the gate must be held as the writer. */
static void
register_thread (void)
{
  /* caml_c_thread_register returns 0 for a thread systhreads already
   * knows, such as one created by Thread.create. */
  if (st.threads)
    self.registered = st.thread_register ();
  self.ready = 1;
}

static void
prepare_thread (void)
{
  if (st.threads) {
    pthread_rwlock_wrlock (&st.gate);
    register_thread ();
    pthread_rwlock_unlock (&st.gate);
  }
  else
    register_thread ();
}

int
nbdocaml_internal_threads_init (void)
{
  detect_threads ();
  if (st.threads && nbdocaml_internal_init_gate (&st.gate) == -1)
    return -1;
  return st.threads;
}

void
nbdocaml_internal_threads_started (void)
{
  /* caml_startup ran on this thread: the runtime knows it, it has OCaml's
   * alternate stack, and with systhreads it now holds the master lock.
   * Make the rest of "holding the runtime" true as well, so that
   * releasing it is the same as after any call. */
  self.ready = 1;
  self.holding = 1;
  if (st.threads)
    pthread_rwlock_rdlock (&st.gate);
  else
    pthread_mutex_lock (&st.lock);
}

void
nbdocaml_internal_threads_fini (void)
{
  if (st.threads)
    pthread_rwlock_destroy (&st.gate);
}

void
nbdocaml_internal_acquire (void)
{
  if (!self.ready)
    prepare_thread ();
  if (st.threads) {
    pthread_rwlock_rdlock (&st.gate);
    caml_leave_blocking_section ();
  }
  else
    pthread_mutex_lock (&st.lock);
  self.holding = 1;
}

void
nbdocaml_internal_release (int *unused)
{
  (void) unused;
  self.holding = 0;
  if (st.threads) {
    caml_enter_blocking_section ();
    pthread_rwlock_unlock (&st.gate);
  }
  else
    pthread_mutex_unlock (&st.lock);
}

void
nbdocaml_internal_release_at_shutdown (void)
{
  /* systhreads' lock goes with the runtime; ours do not. */
  self.holding = 0;
  if (st.threads)
    pthread_rwlock_unlock (&st.gate);
  else
    pthread_mutex_unlock (&st.lock);
}

/* Fork while another thread runs OCaml code and the child inherits a held
 * lock it can never release.  With systhreads it is worse: its child
 * handler re-creates the master lock as held by the forking thread, so a
 * forking thread that did not hold the runtime (nbdkit's main thread when
 * it daemonizes) leaves the child hanging on its first callback.  Holding
 * the runtime across fork on the forking thread makes both cases sound.
 * These handlers are registered after systhreads' (installed during
 * caml_startup), so glibc runs our prepare before its prepare and our
 * child handler after its child handler.  glibc drops the handlers of a
 * dlclosed object.  A thread forking from inside a callback (Unix.fork)
 * already holds the runtime and must not take it again.
 *
 * With systhreads the forking thread takes the gate as the writer, which
 * waits for the calls in flight, even those blocked in Unix: a call still
 * in flight would leave the child a reader that never leaves, and the
 * child's next new thread could never register. */
static int runtime_live;
static __thread int fork_took_runtime;

static void
fork_prepare (void)
{
  fork_took_runtime = runtime_live && !self.holding;
  if (!fork_took_runtime)
    return;
  if (st.threads) {
    pthread_rwlock_wrlock (&st.gate);
    if (!self.ready)
      register_thread ();
    caml_leave_blocking_section ();
    self.holding = 1;
  }
  else
    nbdocaml_internal_acquire ();
}

static void
fork_parent (void)
{
  if (fork_took_runtime) {
    fork_took_runtime = 0;
    nbdocaml_internal_release (NULL);
  }
}

/* The child has one thread, the one that forked, but it has a new thread
 * ID, and glibc's locks remember their owner by thread ID: unlocking them
 * here would be taken for another thread's unlock.  So the child gives
 * back OCaml's lock and starts with fresh locks of its own. */
static void
fork_child (void)
{
  if (!fork_took_runtime)
    return;
  fork_took_runtime = 0;
  self.holding = 0;
  if (st.threads) {
    caml_enter_blocking_section ();
    nbdocaml_internal_init_gate (&st.gate);
  }
  else
    pthread_mutex_init (&st.lock, NULL);
}

void
nbdocaml_internal_threads_live (int live)
{
  static int installed;

  runtime_live = live;
  if (live && !installed &&
      pthread_atfork (fork_prepare, fork_parent, fork_child) == 0)
    installed = 1;
}
