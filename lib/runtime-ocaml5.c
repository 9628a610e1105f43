/* libnbdocaml glue: which thread may run this plugin's OCaml code (OCaml 5).
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * OCaml 5 keeps the runtime's state per thread: Caml_state is a
 * thread-local pointer to the state of the domain the thread runs in, and
 * a thread may run OCaml code only while it holds that domain's lock.  A
 * thread the runtime has never seen has neither, which is why a foreign
 * thread calling back into OCaml dies with "no domain lock held".  All our
 * calls run in domain 0, the domain caml_startup created.
 *
 * - The plugin links threads.cmxa.  systhreads then does what we need:
 *   caml_c_thread_register attaches a foreign thread to domain 0 and gives
 *   it a thread descriptor, and the blocking-section hooks swap threads in
 *   and out of the domain, so a callback blocked in Unix lets others run.
 *   Unlike OCaml 4's, registration takes the runtime lock before it
 *   touches the runtime, so no gate is needed around it.
 *
 * - It does not.  The domain has one OCaml stack and one set of local
 *   roots, so two callbacks must never interleave: a mutex of our own
 *   covers each call from start to end, as on OCaml 4.  Inside it the
 *   thread attaches itself to domain 0 (caml_init_domain_self, what
 *   systhreads and the runtime's own threads use) and takes the domain
 *   lock.  The domain lock is an error-checking mutex, so it is always
 *   released by the thread that took it: each call takes and releases it.
 *   When the OCaml code enters a blocking section the domain lock is let
 *   go, but our mutex is not, so nothing else runs on the domain's stack.
 *
 * Measured cost per call (bench/RESULTS.md): the lock and unlock pair
 * above, about the same as OCaml 4's.
 *
 * A started runtime is never shut down (see runtime.c for why): it stays
 * up until the process exits.
 *
 * Signals: releasing uses caml_enter_blocking_section_no_pending, so a
 * pending OCaml signal handler never runs (and never raises) outside a
 * callback; it runs at the next poll point inside OCaml code instead.
 */
#define CAML_NAME_SPACE
#define CAML_INTERNALS          /* caml_init_domain_self, caml_atfork_hook */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include <caml/mlvalues.h>
#include <caml/domain.h>
#include <caml/signals.h>
/* For OCAML_VERSION_MINOR; config.h's OCAML_VERSION (a string, unused
 * here) would clash with the one of caml/version.h. */
#undef OCAML_VERSION
#include <caml/version.h>

#include "glue.h"

const int nbdocaml_internal_runtime_parks = 1;

/* OCaml 5 raises Stack_overflow when an OCaml stack, which it allocates
 * and grows itself, reaches its limit: no signal handler is involved. */
void
nbdocaml_internal_after_startup (void)
{
}

/* OCaml 5.1's systhreads (ocaml/ocaml#12834 fixed it in 5.2) registers
 * and unregisters a foreign thread without putting the runtime state of
 * the domain in order first: it allocates the thread's descriptor on the
 * OCaml heap while the domain still holds the state of whichever thread
 * ran last, and a collection then can leave a thread's saved local roots
 * pointing into a dead C frame.  Measured here: 8 clients connecting at
 * once to a threads.cmxa plugin under nbdkit crash it in the minor GC
 * (caml_thread_scan_roots) about one run in five.  Before 5.2, therefore,
 * a thread (un)registers only while no callback is in flight, as on OCaml
 * 4: a reader-writer gate, writers preferred, that every call holds as a
 * reader.  5.2 and later need none, and take no gate at all. */
#define NEED_REGISTRATION_GATE \
  (OCAML_VERSION_MAJOR == 5 && OCAML_VERSION_MINOR < 2)

static struct {
  int threads;                          /* threads.cmxa is linked */
  int (*thread_register) (void);
  int (*thread_unregister) (void);
  pthread_mutex_t lock;                 /* used when !threads */
  int gated;                            /* threads && NEED_REGISTRATION_GATE */
  pthread_rwlock_t gate;                /* used when gated */
} st = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* systhreads gives each thread it registers an alternate signal stack of
 * its own (caml_init_signal_stack) and frees it when the thread
 * unregisters.  After a fork, though, its reinitialisation forgets the
 * threads left behind without freeing their stacks (OCaml 5.3's
 * caml_thread_free_info does not): a host that forks with registered
 * threads alive would lose one per thread in every child.  So we note each
 * registered thread's stack, and the child frees those of the threads it
 * does not have, with the runtime's own function. */
struct signal_stack {
  struct signal_stack *next;
  pthread_t owner;
  void *stack;
};
static pthread_mutex_t stacks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct signal_stack *stacks;

static __thread struct {
  int ready;                    /* attached to domain 0 */
  int registered;               /* caml_c_thread_register said 1 */
  int holding;                  /* holds the runtime now */
  struct signal_stack *stack;   /* systhreads' stack for this thread */
} self;

/* The thread's alternate signal stack now, or NULL. */
static void *
current_signal_stack (void)
{
  stack_t ss;

  if (sigaltstack (NULL, &ss) == -1 || (ss.ss_flags & SS_DISABLE))
    return NULL;
  return ss.ss_sp;
}

/* Note the stack registration gave this thread, if it gave one: before
 * is the thread's stack before registering.  OCaml 5.1.0's systhreads
 * gives none, and the stack the thread has then is another's (the host
 * library's, see altstack.c), not ours to free. */
static void
note_signal_stack (void *before)
{
  stack_t ss;
  struct signal_stack *n;

  if (sigaltstack (NULL, &ss) == -1 || (ss.ss_flags & SS_DISABLE) ||
      ss.ss_sp == before || (n = malloc (sizeof *n)) == NULL)
    return;
  n->owner = pthread_self ();
  n->stack = ss.ss_sp;
  pthread_mutex_lock (&stacks_lock);
  n->next = stacks;
  stacks = n;
  pthread_mutex_unlock (&stacks_lock);
  self.stack = n;
}

static void
forget_signal_stack (void)
{
  struct signal_stack **pp;

  if (self.stack == NULL)
    return;
  pthread_mutex_lock (&stacks_lock);
  for (pp = &stacks; *pp && *pp != self.stack; pp = &(*pp)->next)
    ;
  if (*pp)
    *pp = self.stack->next;
  pthread_mutex_unlock (&stacks_lock);
  free (self.stack);
  self.stack = NULL;
}

/* A thread that called into this runtime exits (the host calls this from
 * its own thread-exit handler, runtime list locked): systhreads wants it
 * unregistered, without the runtime held (caml_c_thread_unregister takes
 * it itself), and frees its signal stack then. */
void
nbdocaml_internal_thread_exit (void)
{
  if (self.registered && st.thread_unregister) {
    forget_signal_stack ();
    if (st.gated)
      pthread_rwlock_wrlock (&st.gate);
    st.thread_unregister ();
    if (st.gated)
      pthread_rwlock_unlock (&st.gate);
  }
  self.registered = 0;
  self.ready = 0;
}

static void
prepare_thread (void)
{
  if (st.threads) {
    void *before = current_signal_stack ();

    /* 0 for a thread systhreads already knows (made by Thread.create). */
    if (st.gated)
      pthread_rwlock_wrlock (&st.gate);
    self.registered = st.thread_register ();
    if (st.gated)
      pthread_rwlock_unlock (&st.gate);
    if (self.registered)
      note_signal_stack (before);
  }
  else
    caml_init_domain_self (0);
  self.ready = 1;
}

int
nbdocaml_internal_threads_init (void)
{
  st.thread_register =
    (int (*) (void)) nbdocaml_internal_own_symbol ("caml_c_thread_register");
  st.thread_unregister =
    (int (*) (void)) nbdocaml_internal_own_symbol ("caml_c_thread_unregister");
  st.threads = st.thread_register && st.thread_unregister;
  st.gated = st.threads && NEED_REGISTRATION_GATE;
  if (st.gated && nbdocaml_internal_init_gate (&st.gate) == -1)
    return -1;
  return st.threads;
}

void
nbdocaml_internal_threads_started (void)
{
  /* caml_startup ran on this thread: it is domain 0's first thread and
   * holds the domain lock (and, with systhreads, their master lock). */
  self.ready = 1;
  self.holding = 1;
  if (!st.threads)
    pthread_mutex_lock (&st.lock);
  else if (st.gated)
    pthread_rwlock_rdlock (&st.gate);
}

void
nbdocaml_internal_threads_fini (void)
{
  /* Nothing: an OCaml 5 runtime is only ever shut down when its start
   * failed, and then the .so goes away with all of this. */
}

void
nbdocaml_internal_acquire (void)
{
  if (!self.ready)
    prepare_thread ();
  if (!st.threads)
    pthread_mutex_lock (&st.lock);
  else if (st.gated)
    pthread_rwlock_rdlock (&st.gate);
  /* The domain lock, or with systhreads the master lock and then the
   * domain lock, and this thread's Caml_state. */
  caml_leave_blocking_section ();
  self.holding = 1;
}

void
nbdocaml_internal_release (int *unused)
{
  (void) unused;
  self.holding = 0;
  caml_enter_blocking_section_no_pending ();
  if (!st.threads)
    pthread_mutex_unlock (&st.lock);
  else if (st.gated)
    pthread_rwlock_unlock (&st.gate);
}

void
nbdocaml_internal_release_at_shutdown (void)
{
  /* OCaml 5 runtimes are shut down only when their start failed, just
   * before the host unloads the .so: the locks go with it. */
}

/* fork.  OCaml 5 re-creates its locks in the child only when the fork
 * comes from Unix.fork, which calls caml_atfork_hook there (systhreads
 * sets it to its own reinitialisation).  A fork by the host, such as
 * nbdkit daemonizing, gets none of that, and the child would inherit a
 * domain lock owned by a thread ID that no longer exists: the first
 * release aborts with "Fatal error during unlock".  So the forking thread
 * takes the runtime first, and the child runs the same hook Unix.fork
 * would, on the thread that now owns everything, then releases as after
 * any call.  A thread forking from inside a callback (Unix.fork) already
 * holds the runtime, and Unix.fork runs the hook itself.  Calls in flight
 * on other threads do not matter: those threads do not exist in the
 * child, and the hook forgets them. */
static int runtime_live;
static __thread int fork_took_runtime;

static void
fork_prepare (void)
{
  fork_took_runtime = runtime_live && !self.holding;
  if (fork_took_runtime)
    nbdocaml_internal_acquire ();
  pthread_mutex_lock (&stacks_lock);
}

static void
fork_parent (void)
{
  pthread_mutex_unlock (&stacks_lock);
  if (fork_took_runtime) {
    fork_took_runtime = 0;
    nbdocaml_internal_release (NULL);
  }
}

static void
free_stacks_left_behind (void)
{
  pthread_t me = pthread_self ();
  struct signal_stack **pp = &stacks, *n;

  while ((n = *pp) != NULL) {
    if (pthread_equal (n->owner, me))
      pp = &n->next;
    else {
      *pp = n->next;
      /* Disables this thread's stack for a moment, frees the other's and
       * puts this thread's back. */
      caml_free_signal_stack (n->stack);
      free (n);
    }
  }
  pthread_mutex_init (&stacks_lock, NULL);
}

static void
fork_child (void)
{
  free_stacks_left_behind ();
  /* The gate's readers in the parent were calls in flight on threads the
   * child does not have: a fresh gate, held as a reader again only by
   * this thread if it holds the runtime (it forked from a callback, or
   * took the runtime to fork). */
  if (st.gated) {
    nbdocaml_internal_init_gate (&st.gate);
    if (fork_took_runtime || self.holding)
      pthread_rwlock_rdlock (&st.gate);
  }
  if (!fork_took_runtime)
    return;
  fork_took_runtime = 0;
  /* Our mutex is held by the parent's thread ID: start afresh, held. */
  if (!st.threads) {
    pthread_mutex_init (&st.lock, NULL);
    pthread_mutex_lock (&st.lock);
  }
  /* Resets the domain lock and takes it for this thread; with systhreads
   * also their master lock, and it forgets the threads left behind. */
  caml_atfork_hook ();
  nbdocaml_internal_release (NULL);
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
