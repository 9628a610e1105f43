/* libnbdocaml host library: alternate signal stacks for calling threads.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * OCaml turns a stack overflow into the exception Stack_overflow from its
 * SIGSEGV handler, which can only run on an alternate signal stack: the
 * thread's own stack is exhausted.  The runtime gives one only to the
 * thread that starts it (and leaks it at shutdown), so every other thread
 * that calls into OCaml would crash instead.  We give each calling thread
 * that has none an alternate stack, owned by this library, which outlives
 * any plugin, and take it back when the thread exits.  A thread that
 * already has one (the host's own) keeps it.
 *
 * The same thread-exit handler, which lives here in the host library and
 * so outlives every plugin, also tells each runtime that the thread is
 * gone (registry.c), so that a runtime that registered the thread with
 * systhreads unregisters it.  The plugin's own code cannot do that from a
 * destructor of its own: the plugin may be unloaded while a thread runs
 * that destructor.  Every thread that prepares here gets the handler, with
 * a stack of ours or without one.
 *
 * Every stack we hand out is also on a list, with the thread that owns
 * it.  A thread's key destructor gives its stack back when the thread
 * exits, but after fork() only the forking thread exists in the child:
 * the other threads' stacks could never be freed there, and memcheck
 * reports them as lost whenever no pointer to them happens to survive on
 * the child's stacks.  The atfork child handler walks the list and frees
 * every stack whose owner is not the thread that forked.
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "host.h"

/* Ample for OCaml's handler, which only redirects the faulting thread. */
#define ALTSTACK_SIZE (64 * 1024)

/* One allocation per thread: this header, then the stack itself. */
struct altstack {
  struct altstack *prev, *next;
  pthread_t owner;
};
#define STACK_OF(a) ((void *) ((a) + 1))

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int have_key;

static pthread_mutex_t list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct altstack *stacks;        /* every live stack, under list_lock */

__thread int nbdocaml_internal_thread_ready;

static void
unlink_stack (struct altstack *a)
{
  if (a->prev)
    a->prev->next = a->next;
  else
    stacks = a->next;
  if (a->next)
    a->next->prev = a->prev;
}

/* The key's value for a thread that kept its own alternate stack. */
static const char no_stack_of_ours;

static void
thread_exit (void *p)
{
  struct altstack *a = p;
  stack_t ss;

  nbdocaml_internal_leave_runtimes ();
  if (p == &no_stack_of_ours)
    return;
  if (sigaltstack (NULL, &ss) == 0 && ss.ss_sp == STACK_OF (a) &&
      !(ss.ss_flags & SS_DISABLE)) {
    ss.ss_flags = SS_DISABLE;
    sigaltstack (&ss, NULL);
  }
  pthread_mutex_lock (&list_lock);
  unlink_stack (a);
  pthread_mutex_unlock (&list_lock);
  free (a);
}

/* fork: the list must not be in the middle of a change when the child's
 * copy is taken, so the forking thread holds its lock across fork. */
static void
fork_prepare (void)
{
  pthread_mutex_lock (&list_lock);
}

static void
fork_parent (void)
{
  pthread_mutex_unlock (&list_lock);
}

/* In the child only the forking thread is left: free the others' stacks.
 * The lock is re-created rather than unlocked, since the child's thread
 * has a new thread ID and glibc's locks remember their owner's. */
static void
fork_child (void)
{
  pthread_t self = pthread_self ();
  struct altstack *a, *next;

  for (a = stacks; a; a = next) {
    next = a->next;
    if (!pthread_equal (a->owner, self)) {
      unlink_stack (a);
      free (a);
    }
  }
  pthread_mutex_init (&list_lock, NULL);
}

static void
make_key (void)
{
  have_key = pthread_key_create (&key, thread_exit) == 0;
  if (have_key && pthread_atfork (fork_prepare, fork_parent, fork_child) != 0) {
    pthread_key_delete (key);
    have_key = 0;
  }
}

/* If this library is unloaded, the destructor would dangle: threads then
 * keep their stacks.  (glibc drops the atfork handlers of an unloaded
 * object by itself.) */
static void __attribute__((destructor))
drop_key (void)
{
  if (have_key)
    pthread_key_delete (key);
  have_key = 0;
}

void
nbdocaml_internal_prepare_thread_slow (void)
{
  struct altstack *a;
  stack_t ss;

  nbdocaml_internal_thread_ready = 1;
  pthread_once (&key_once, make_key);
  if (!have_key)
    return;
  if (sigaltstack (NULL, &ss) == -1 || !(ss.ss_flags & SS_DISABLE) ||
      (a = malloc (sizeof *a + ALTSTACK_SIZE)) == NULL) {
    pthread_setspecific (key, (void *) &no_stack_of_ours);
    return;
  }
  a->owner = pthread_self ();
  ss.ss_sp = STACK_OF (a);
  ss.ss_size = ALTSTACK_SIZE;
  ss.ss_flags = 0;
  if (sigaltstack (&ss, NULL) == -1) {
    free (a);
    return;
  }
  pthread_mutex_lock (&list_lock);
  a->prev = NULL;
  a->next = stacks;
  if (stacks)
    stacks->prev = a;
  stacks = a;
  pthread_mutex_unlock (&list_lock);
  if (pthread_setspecific (key, a) != 0) {
    pthread_setspecific (key, (void *) &no_stack_of_ours);
    ss.ss_flags = SS_DISABLE;
    sigaltstack (&ss, NULL);
    pthread_mutex_lock (&list_lock);
    unlink_stack (a);
    pthread_mutex_unlock (&list_lock);
    free (a);
  }
}
