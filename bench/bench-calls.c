/* libnbdocaml benchmark: the cost of one nbdocaml_call_* in process.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 *   bench-calls STRING_PLUGIN BUF_PLUGIN THREADS_PLUGIN [BATCHES [CASE]]
 *
 * STRING_PLUGIN is bench/nbdkit-ram_string-plugin.so (string pread),
 * BUF_PLUGIN bench/nbdkit-ram_buf-plugin.so (pread_buf), THREADS_PLUGIN
 * bench/nbdkit-ram_string_threads-plugin.so (the same as STRING_PLUGIN,
 * linked with threads.cmxa).  For each case it
 * runs BATCHES batches of many calls, takes ns/call per batch from
 * CLOCK_MONOTONIC and prints the median, as one JSON object on stdout:
 *
 *   direct_call       a C function returning 1, through a function pointer
 *                     (what nbdkit does for a C plugin's can_write)
 *   can_write         nbdocaml_call_can_write (the OCaml closure returns true)
 *   can_write_threads the same on THREADS_PLUGIN: the runtime lock is
 *                     systhreads' (and on OCaml 5 the domain lock)
 *   memcpy_4k/1m      memcpy of that size, the work a C RAM disk's pread does
 *   pread_string_4k/1m nbdocaml_call_pread on the string plugin
 *   pread_buf_4k/1m   nbdocaml_call_pread on the _buf plugin
 *
 * With CASE, only the cases whose name starts with CASE run (for
 * profiling one of them under perf or callgrind); the copies run as one
 * round of three, so "pread" or "memcpy" selects the round of both sizes
 * and "pread_4k" or "pread_1m" the round of one size.
 *
 * The copies read consecutive offsets of an 8 MiB disk (the same offsets
 * for C and OCaml), which stays in this machine's L3 cache: this measures
 * the cost of the call, not DRAM bandwidth (the nbdcopy rows of bench/run.py
 * do that).  From DRAM, 1 MiB memcpys vary by ~10% with the placement of
 * the source buffer alone, which would hide the binding's cost.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nbdocaml.h"

#define DISK (8u << 20)

static double
now_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static int batches = 15;
static const char *only = "";


static double
median (double *v)
{
  qsort (v, batches, sizeof v[0], cmp_double);
  return v[batches / 2];
}

/* What a case does once; i is the iteration number. */
typedef void (*op_fn) (void *ctx, uint64_t i);

/* Median over batches of the ns per call of op, iters calls per batch,
 * after one untimed warm-up batch. */
static double
measure (op_fn op, void *ctx, uint64_t iters)
{
  double per[64];
  int b;
  uint64_t i;

  for (i = 0; i < iters; ++i)
    op (ctx, i);
  for (b = 0; b < batches; ++b) {
    double t0 = now_ns ();
    for (i = 0; i < iters; ++i)
      op (ctx, i);
    per[b] = (now_ns () - t0) / iters;
  }
  return median (per);
}

/* Measure and print one case as a JSON member, unless CASE excludes it. */
static void
report (const char *name, op_fn op, void *ctx, uint64_t iters)
{
  if (strncmp (name, only, strlen (only)) != 0)
    return;
  printf (",\n  \"%s\": %.2f", name, measure (op, ctx, iters));
  fflush (stdout);
}

static void
die (const char *what)
{
  fprintf (stderr, "bench-calls: %s: %s\n", what,
           nbdocaml_get_error () ? nbdocaml_get_error () : "failed");
  exit (1);
}

/* -- the cases ---------------------------------------------------------- */

static int __attribute__((noinline))
direct_can_write (void *h)
{
  (void) h;
  return 1;
}
/* volatile: the compiler must call through the pointer every time. */
static int (*volatile direct_fn) (void *) = direct_can_write;
static volatile int sink;

static void
op_direct (void *ctx, uint64_t i)
{
  (void) i;
  sink = direct_fn (ctx);
}

static void
op_can_write (void *ctx, uint64_t i)
{
  (void) i;
  if ((sink = nbdocaml_call_can_write (ctx)) != 1)
    die ("can_write");
}

struct copy {
  nbdocaml_conn *c;             /* NULL: plain memcpy from src */
  char *src;                    /* DISK bytes */
  char *dst;
  uint32_t size;
};

static void
op_copy (void *ctx, uint64_t i)
{
  struct copy *k = ctx;
  uint64_t off = (i * k->size) % DISK;

  if (k->c == NULL) {
    memcpy (k->dst, k->src + off, k->size);
    /* Keep the copy: the compiler may not drop it. */
    __asm__ volatile ("" : : "r" (k->dst) : "memory");
  }
  else if (nbdocaml_call_pread (k->c, k->dst, k->size, off, 0) == -1)
    die ("pread");
}

static nbdocaml_conn *
open_plugin (const char *path)
{
  nbdocaml_module *m = nbdocaml_module_open (path, 0);
  nbdocaml_conn *c;
  char size[32];

  if (m == NULL)
    die (path);
  snprintf (size, sizeof size, "%u", DISK);
  if (nbdocaml_call_config (m, "size", size) == -1 ||
      nbdocaml_call_config_complete (m) == -1)
    die ("config");
  c = nbdocaml_call_open (m, 0);
  if (c == NULL)
    die ("open");
  return c;
}

int
main (int argc, char **argv)
{
  nbdocaml_conn *cs, *cb, *ct;
  static const uint32_t sizes[2] = { 4096, 1048576 };
  static const char *const names[2] = { "4k", "1m" };
  char *src, *dst;
  int s;

  if (argc < 4) {
    fprintf (stderr, "usage: %s STRING_PLUGIN BUF_PLUGIN THREADS_PLUGIN "
             "[BATCHES [CASE]]\n", argv[0]);
    return 2;
  }
  if (argc > 4)
    batches = atoi (argv[4]);
  if (batches < 1 || batches > 64)
    batches = 15;
  if (argc > 5)
    only = argv[5];

  cs = open_plugin (argv[1]);
  cb = open_plugin (argv[2]);
  ct = open_plugin (argv[3]);
  if (!nbdocaml_module_has_threads (nbdocaml_conn_module (ct))) {
    fprintf (stderr, "bench-calls: the third plugin must link threads.cmxa\n");
    return 2;
  }
  if (nbdocaml_module_has (nbdocaml_conn_module (cs), NBDOCAML_CB_PREAD_BUF) ||
      !nbdocaml_module_has (nbdocaml_conn_module (cb), NBDOCAML_CB_PREAD_BUF)) {
    fprintf (stderr, "bench-calls: the first plugin must have only pread, "
             "the second pread_buf\n");
    return 2;
  }
  src = malloc (DISK);
  dst = malloc (1 << 20);
  if (!src || !dst)
    return 1;
  memset (src, 1, DISK);
  memset (dst, 0, 1 << 20);

  printf ("{\n  \"batches\": %d", batches);
  printf (",\n  \"ocaml_version\": \"%s\"",
          nbdocaml_module_ocaml_version (nbdocaml_conn_module (cs)));
  report ("direct_call", op_direct, NULL, 2000000);
  report ("can_write", op_can_write, cs, 500000);
  report ("can_write_threads", op_can_write, ct, 500000);
  for (s = 0; s < 2; ++s) {
    uint64_t iters = sizes[s] == 4096 ? 50000 : 400;
    struct copy k[3] = { { NULL, src, dst, sizes[s] },
                         { cs, NULL, dst, sizes[s] },
                         { cb, NULL, dst, sizes[s] } };
    static const char *const what[3] = { "memcpy", "pread_string",
                                         "pread_buf" };
    double per[3][64], over[3][64];
    int b, j;

    /* CASE "pread", "pread_4k", "memcpy_1m" ... select these rounds. */
    if (*only && strncmp (only, "pread", 5) != 0 &&
        strncmp (only, "memcpy", 6) != 0)
      continue;
    if ((strstr (only, "_4k") && s != 0) || (strstr (only, "_1m") && s != 1))
      continue;
    /* The three cases take turns, batch by batch, so that a change in
     * machine load or memory bandwidth hits all of them alike; the
     * overheads are the medians of the per-round differences. */
    for (j = 0; j < 3; ++j)
      for (uint64_t i = 0; i < iters; ++i)
        op_copy (&k[j], i);
    for (b = 0; b < batches; ++b) {
      for (j = 0; j < 3; ++j) {
        double t0 = now_ns ();
        for (uint64_t i = 0; i < iters; ++i)
          op_copy (&k[j], i);
        per[j][b] = (now_ns () - t0) / iters;
      }
      for (j = 0; j < 3; ++j)
        over[j][b] = per[j][b] - per[0][b];
    }
    for (j = 0; j < 3; ++j) {
      printf (",\n  \"%s_%s\": %.2f", what[j], names[s],
              median (per[j]));
      if (j > 0)
        printf (",\n  \"%s_%s_over\": %.2f", what[j], names[s],
                median (over[j]));
    }
  }
  printf ("\n}\n");

  nbdocaml_module_close (nbdocaml_conn_module (cs));
  nbdocaml_module_close (nbdocaml_conn_module (cb));
  nbdocaml_module_close (nbdocaml_conn_module (ct));
  free (src);
  free (dst);
  return 0;
}
