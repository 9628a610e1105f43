/* libnbdocaml benchmark: the OCaml runtime's own lock pair, in a plugin.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Linked into a shared object by the plugins' recipe (-output-obj
 * -runtime-variant _pic), with or without threads.cmxa, but without the
 * glue: bench/bench-runtime-floor.c loads it, starts its runtime and calls
 * this function on the thread that started it, which holds the runtime.
 *
 * Every call into a plugin has to give the runtime back and take it again
 * (caml_enter_blocking_section and caml_leave_blocking_section, which are
 * what caml_release_runtime_system and caml_acquire_runtime_system are):
 * with threads.cmxa that is systhreads' master lock, and on OCaml 5 also
 * the domain lock, each taken the way the runtime's protocol requires.
 * The pair measured here is that part alone, in the same kind of object
 * (position-independent code, thread-local storage reached through
 * __tls_get_addr) as a real plugin, so that bench-calls' figures can be
 * split into what the runtime costs and what this library adds.
 */
#define CAML_NAME_SPACE
#include <time.h>

#include <caml/callback.h>
#include <caml/mlvalues.h>
#include <caml/signals.h>

void nbdocaml_bench_runtime_start (char **argv);
double nbdocaml_bench_runtime_pairs (long iters);

/* Start the runtime.  (Referring to caml_startup here is also what pulls
 * it out of the runtime's archive into the object.) */
void
nbdocaml_bench_runtime_start (char **argv)
{
  caml_startup (argv);
}

/* Nanoseconds per release-and-take-again pair, over iters pairs. */
double
nbdocaml_bench_runtime_pairs (long iters)
{
  struct timespec a, b;
  long i;

  clock_gettime (CLOCK_MONOTONIC, &a);
  for (i = 0; i < iters; ++i) {
    caml_enter_blocking_section ();
    caml_leave_blocking_section ();
  }
  clock_gettime (CLOCK_MONOTONIC, &b);
  return ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / iters;
}
