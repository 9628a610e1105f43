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
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>

#include "host.h"

/* Ample for OCaml's handler, which only redirects the faulting thread. */
#define ALTSTACK_SIZE (64 * 1024)

static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static pthread_key_t key;
static int have_key;

__thread int nbdocaml_internal_thread_ready;

static void
thread_exit (void *stack)
{
  stack_t ss;

  if (sigaltstack (NULL, &ss) == 0 && ss.ss_sp == stack &&
      !(ss.ss_flags & SS_DISABLE)) {
    ss.ss_flags = SS_DISABLE;
    sigaltstack (&ss, NULL);
  }
  free (stack);
}

static void
make_key (void)
{
  have_key = pthread_key_create (&key, thread_exit) == 0;
}

/* If this library is unloaded, the destructor would dangle: threads then
 * keep their stacks. */
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
  stack_t ss;
  void *stack;

  nbdocaml_internal_thread_ready = 1;
  if (sigaltstack (NULL, &ss) == -1 || !(ss.ss_flags & SS_DISABLE))
    return;
  pthread_once (&key_once, make_key);
  if (!have_key || (stack = malloc (ALTSTACK_SIZE)) == NULL)
    return;
  ss.ss_sp = stack;
  ss.ss_size = ALTSTACK_SIZE;
  ss.ss_flags = 0;
  if (sigaltstack (&ss, NULL) == -1 || pthread_setspecific (key, stack) != 0) {
    ss.ss_flags = SS_DISABLE;
    sigaltstack (&ss, NULL);
    free (stack);
  }
}
