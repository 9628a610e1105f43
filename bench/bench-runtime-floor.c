/* libnbdocaml benchmark: what the OCaml runtime's own lock pair costs.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 *   bench-runtime-floor FLOOR.so FLOOR_THREADS.so [BATCHES]
 *
 * FLOOR.so and FLOOR_THREADS.so are bench/runtime_floor.ml and
 * bench/runtime-floor-stubs.c linked by the plugins' recipe, without and
 * with threads.cmxa.  Each is loaded as nbdocaml_module_open loads a
 * plugin (dlopen, RTLD_LOCAL), its runtime started (caml_startup), and
 * the runtime given back and taken again many times on that thread.
 * Prints the median ns per pair over BATCHES batches as one JSON object:
 *
 *   runtime_pair          without threads.cmxa (OCaml 4: no lock at all,
 *                         only the signal checks; OCaml 5: the domain lock)
 *   runtime_pair_threads  with threads.cmxa (systhreads' master lock, and
 *                         on OCaml 5 the domain lock too)
 *
 * bench-calls' trivial call costs at least this much over a direct C
 * call; the rest is this library's (bench/run.py prints both).
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#define ITERS 200000

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
measure (const char *path, int batches)
{
  char *argv[] = { (char *) "runtime-floor", NULL };
  void (*startup) (char **);
  double (*pairs) (long);
  double per[64];
  void *dl;
  int b;

  dl = dlopen (path, RTLD_NOW | RTLD_LOCAL);
  if (dl == NULL) {
    fprintf (stderr, "bench-runtime-floor: %s\n", dlerror ());
    exit (1);
  }
  *(void **) &startup = dlsym (dl, "nbdocaml_bench_runtime_start");
  *(void **) &pairs = dlsym (dl, "nbdocaml_bench_runtime_pairs");
  if (startup == NULL || pairs == NULL) {
    fprintf (stderr, "bench-runtime-floor: %s: not built from "
             "bench/runtime-floor-stubs.c\n", path);
    exit (1);
  }
  startup (argv);
  (void) pairs (ITERS);                 /* warm-up */
  for (b = 0; b < batches; ++b)
    per[b] = pairs (ITERS);
  qsort (per, batches, sizeof per[0], cmp_double);
  /* The runtime stays up: OCaml 5's cannot be shut down and unloaded. */
  return per[batches / 2];
}

int
main (int argc, char **argv)
{
  int batches = argc > 3 ? atoi (argv[3]) : 15;

  if (argc < 3 || batches < 1 || batches > 64) {
    fprintf (stderr, "usage: bench-runtime-floor FLOOR.so FLOOR_THREADS.so "
             "[BATCHES (1-64)]\n");
    return 2;
  }
  printf ("{\n  \"runtime_pair\": %.2f,\n", measure (argv[1], batches));
  printf ("  \"runtime_pair_threads\": %.2f\n}\n", measure (argv[2], batches));
  return 0;
}
