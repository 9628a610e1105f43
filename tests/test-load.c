/* libnbdocaml tests: many threads, many calls, several runtimes at once.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * 16 threads each make 100,000 mixed calls (pwrite, pread, zero, trim,
 * flush, get_size, can_write) on one of four modules: two different
 * plugin files without threads.cmxa and two with it, so four OCaml
 * runtimes run side by side.  Each thread owns a 1 MiB region of its
 * module's disk and keeps a shadow copy of it; every byte read must match
 * the shadow.  Under valgrind the number of calls is cut to 1,000.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>

#include "test-common.h"

#define THREADS 16
#define MODULES 4
#define REGION (1024 * 1024)
#define MAX_IO 4096

static const char *const plugins[MODULES] = {
  "loaddisk", "loaddisk2", "threads_loaddisk", "threads_loaddisk2",
};
static nbdocaml_module *modules[MODULES];
static int calls_per_thread;

struct worker {
  int id;
  unsigned long calls, bytes_checked;
  char *failure;                /* NULL, or what went wrong */
};

#define FAIL(w, ...) do { (w)->failure = g_strdup_printf (__VA_ARGS__); goto out; } while (0)

static void *
work (void *arg)
{
  struct worker *w = arg;
  nbdocaml_module *m = modules[w->id % MODULES];
  uint64_t base = (uint64_t) (w->id / MODULES) * REGION;
  unsigned char *shadow = g_malloc0 (REGION);
  unsigned char *buf = g_malloc (MAX_IO);
  GRand *rand = g_rand_new_with_seed (1000 + w->id);
  nbdocaml_conn *c = nbdocaml_call_open (m, 0);
  int i;

  if (c == NULL)
    FAIL (w, "open: %s", nbdocaml_get_error ());
  /* The region starts zeroed, like the shadow. */
  for (i = 0; i < REGION / MAX_IO; ++i)
    if (nbdocaml_call_zero (c, MAX_IO, base + (uint64_t) i * MAX_IO, 0) == -1)
      FAIL (w, "zero: %s", nbdocaml_get_error ());

  for (i = 0; i < calls_per_thread; ++i, w->calls++) {
    uint32_t len = g_rand_int_range (rand, 1, MAX_IO + 1);
    uint32_t off = g_rand_int_range (rand, 0, REGION - len + 1);
    int op = g_rand_int_range (rand, 0, 10);

    switch (op) {
    case 0: case 1: case 2:     /* pwrite */
      fill_random (rand, shadow + off, len);
      if (nbdocaml_call_pwrite (c, shadow + off, len, base + off, 0) == -1)
        FAIL (w, "pwrite: %s", nbdocaml_get_error ());
      break;
    case 3: case 4: case 5:     /* pread, checked */
      if (nbdocaml_call_pread (c, buf, len, base + off, 0) == -1)
        FAIL (w, "pread: %s", nbdocaml_get_error ());
      if (memcmp (buf, shadow + off, len) != 0)
        FAIL (w, "pread at %" G_GUINT64_FORMAT "+%u: data differs",
              base + off, len);
      w->bytes_checked += len;
      break;
    case 6:
      memset (shadow + off, 0, len);
      if (nbdocaml_call_zero (c, len, base + off, NBDOCAML_FLAG_MAY_TRIM) == -1)
        FAIL (w, "zero: %s", nbdocaml_get_error ());
      break;
    case 7:
      memset (shadow + off, 0, len);
      if (nbdocaml_call_trim (c, len, base + off, 0) == -1)
        FAIL (w, "trim: %s", nbdocaml_get_error ());
      break;
    case 8:
      if (nbdocaml_call_get_size (c) != 64 * 1024 * 1024)
        FAIL (w, "get_size: %s", nbdocaml_get_error ());
      break;
    default:
      if (nbdocaml_call_can_write (c) != 1 || nbdocaml_call_flush (c, 0) == -1)
        FAIL (w, "can_write/flush: %s", nbdocaml_get_error ());
    }
  }
  /* A final full read of the region. */
  for (i = 0; i < REGION / MAX_IO; ++i) {
    if (nbdocaml_call_pread (c, buf, MAX_IO, base + (uint64_t) i * MAX_IO, 0) == -1)
      FAIL (w, "pread: %s", nbdocaml_get_error ());
    if (memcmp (buf, shadow + i * MAX_IO, MAX_IO) != 0)
      FAIL (w, "final read of block %d: data differs", i);
    w->bytes_checked += MAX_IO;
  }

 out:
  if (c)
    nbdocaml_call_close (c);
  g_rand_free (rand);
  g_free (buf);
  g_free (shadow);
  return NULL;
}

static void
test_load (void)
{
  struct worker workers[THREADS];
  pthread_t threads[THREADS];
  unsigned long calls = 0, checked = 0;
  gint64 start;
  int i;

  calls_per_thread =
    under_valgrind () ? 1000 : 100000;
  for (i = 0; i < MODULES; ++i) {
    modules[i] = open_plugin (plugins[i]);
    g_assert_cmpint (nbdocaml_call_config (modules[i], "size", "64M"), ==, 0);
  }
  g_assert_cmpint (nbdocaml_module_has_threads (modules[0]), ==, 0);
  g_assert_cmpint (nbdocaml_module_has_threads (modules[2]), ==, 1);

  start = g_get_monotonic_time ();
  for (i = 0; i < THREADS; ++i) {
    workers[i] = (struct worker) { .id = i };
    g_assert_cmpint (pthread_create (&threads[i], NULL, work, &workers[i]), ==, 0);
  }
  for (i = 0; i < THREADS; ++i) {
    pthread_join (threads[i], NULL);
    if (workers[i].failure)
      g_error ("thread %d (%s) after %lu calls: %s", i,
               plugins[i % MODULES], workers[i].calls, workers[i].failure);
    calls += workers[i].calls;
    checked += workers[i].bytes_checked;
  }
  g_test_message ("%lu calls from %d threads over %d modules, %lu bytes verified, "
          "%.1f s", calls, THREADS, MODULES, checked,
          (g_get_monotonic_time () - start) / 1e6);
  g_assert_cmpuint (calls, ==, (unsigned long) THREADS * calls_per_thread);

  for (i = 0; i < MODULES; ++i)
    nbdocaml_module_close (modules[i]);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  test_add ("/load/16-threads-4-runtimes", test_load);
  return g_test_run ();
}
