/* libnbdocaml tests: several modules in one process.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Each plugin file carries its own OCaml runtime: different files must
 * keep apart (state, threads, locks), while handles of the same file
 * share one runtime that lives until the last of them is closed.
 */
#include <config.h>

#include <unistd.h>

#include <glib/gstdio.h>

#include "test-common.h"

/* -- different plugins -------------------------------------------------- */

static void
test_separate_state (void)
{
  /* loaddisk and threads_loaddisk are built from the same source:
   * only separate runtimes keep their disks apart. */
  static const char *const names[] = {
    "full", "loaddisk", "threads_loaddisk", "bufdisk",
  };
  enum { N = G_N_ELEMENTS (names) };
  nbdocaml_module *m[N];
  nbdocaml_conn *c[N];
  guint8 data[N][4096], back[4096];
  GRand *rand = g_rand_new ();
  int i;

  for (i = 0; i < N; ++i) {
    m[i] = open_plugin (names[i]);
    g_assert_cmpstr (nbdocaml_module_name (m[i]), ==,
                     i == 2 ? "loaddisk" : names[i]);
  }
  /* bufdisk's disk is created by config_complete. */
  g_assert_cmpint (nbdocaml_call_config_complete (m[3]), ==, 0);
  for (i = 0; i < N; ++i)
    c[i] = open_conn (m[i], 0);

  /* The same offset in each, different data. */
  for (i = 0; i < N; ++i) {
    fill_random (rand, data[i], sizeof data[i]);
    g_assert_cmpint (nbdocaml_call_pwrite (c[i], data[i], sizeof data[i],
                                           8192, 0), ==, 0);
  }
  for (i = 0; i < N; ++i) {
    g_assert_cmpint (nbdocaml_call_pread (c[i], back, sizeof back, 8192, 0),
                     ==, 0);
    g_assert_cmpmem (back, sizeof back, data[i], sizeof data[i]);
  }
  /* Each keeps its own registration too. */
  g_assert_cmpint (nbdocaml_module_has (m[0], NBDOCAML_CB_EXTENTS), ==, 1);
  g_assert_cmpint (nbdocaml_module_has (m[1], NBDOCAML_CB_EXTENTS), ==, 0);
  g_assert_cmpint (nbdocaml_module_has_threads (m[1]), ==, 0);
  g_assert_cmpint (nbdocaml_module_has_threads (m[2]), ==, 1);

  /* Closing one leaves the others working. */
  nbdocaml_module_close (m[1]);
  for (i = 0; i < N; ++i) {
    if (i == 1)
      continue;
    g_assert_cmpint (nbdocaml_call_pread (c[i], back, sizeof back, 8192, 0),
                     ==, 0);
    g_assert_cmpmem (back, sizeof back, data[i], sizeof data[i]);
  }
  for (i = 0; i < N; ++i)
    if (i != 1)
      nbdocaml_module_close (m[i]);
  g_rand_free (rand);
}

#define PER_MODULE 4
#define ITERATIONS 300

struct driver {
  nbdocaml_conn *c;
  int id;                       /* region of the disk */
  guint seed;
};

static gpointer
driver_thread (gpointer data)
{
  struct driver *d = data;
  GRand *rand = g_rand_new_with_seed (d->seed);
  guint8 buf[4096], back[4096];
  uint64_t base = (uint64_t) d->id * 65536;
  int i;

  for (i = 0; i < ITERATIONS; ++i) {
    uint32_t count = g_rand_int_range (rand, 1, sizeof buf + 1);
    uint64_t off = base + g_rand_int_range (rand, 0, 65536 - count + 1);

    fill_random (rand, buf, count);
    if (nbdocaml_call_pwrite (d->c, buf, count, off, 0) != 0 ||
        nbdocaml_call_pread (d->c, back, count, off, 0) != 0)
      g_error ("%s: %s",
               nbdocaml_module_name (nbdocaml_conn_module (d->c)),
               nbdocaml_get_error ());
    if (memcmp (back, buf, count) != 0)
      g_error ("%s: thread %d: read back different data",
               nbdocaml_module_name (nbdocaml_conn_module (d->c)), d->id);
  }
  g_rand_free (rand);
  return NULL;
}

static void
test_concurrent_modules (void)
{
  static const char *const names[] = {
    "full", "loaddisk", "threads_loaddisk", "threads_full",
  };
  enum { N = G_N_ELEMENTS (names) };
  nbdocaml_module *m[N];
  struct driver d[N][PER_MODULE];
  GThread *th[N][PER_MODULE];
  int i, j;

  /* Four threads per module, all modules at once: a module's lock or
   * runtime must not be confused with another's. */
  for (i = 0; i < N; ++i)
    m[i] = open_plugin (names[i]);
  for (i = 0; i < N; ++i)
    for (j = 0; j < PER_MODULE; ++j) {
      d[i][j].c = open_conn (m[i], 0);
      d[i][j].id = j;
      d[i][j].seed = i * 100 + j;
      th[i][j] = g_thread_new ("driver", driver_thread, &d[i][j]);
    }
  for (i = 0; i < N; ++i)
    for (j = 0; j < PER_MODULE; ++j)
      g_thread_join (th[i][j]);

  /* Each module kept what its own threads wrote last and nothing from
   * the other modules: replay each thread's generator to find its last
   * request. */
  for (i = 0; i < N; ++i)
    for (j = 0; j < PER_MODULE; ++j) {
      GRand *rand = g_rand_new_with_seed (d[i][j].seed);
      guint8 buf[4096], back[4096];
      uint32_t count = 0;
      uint64_t off = 0;
      int k;

      for (k = 0; k < ITERATIONS; ++k) {
        count = g_rand_int_range (rand, 1, sizeof buf + 1);
        off = (uint64_t) j * 65536 + g_rand_int_range (rand, 0,
                                                       65536 - count + 1);
        fill_random (rand, buf, count);
      }
      g_assert_cmpint (nbdocaml_call_pread (d[i][j].c, back, count, off, 0),
                       ==, 0);
      /* Later requests of the same thread may have overwritten part of
       * an earlier one, but the last one is intact. */
      g_assert_cmpmem (back, count, buf, count);
      g_rand_free (rand);
    }

  for (i = 0; i < N; ++i)
    nbdocaml_module_close (m[i]);     /* closes the connections too */
}

/* -- the same file, opened more than once ----------------------------- */

#define TOPLEVEL "api_counter: top-level"

static void
test_same_file_shares_runtime (void)
{
  struct collector col;
  nbdocaml_module *a, *b, *c;
  nbdocaml_conn *ca, *cb, *cc;
  char *path = plugin_path ("api_counter");
  char *dir = g_dir_make_tmp ("nbdocaml-XXXXXX", NULL);
  char *link = g_build_filename (dir, "link.so", NULL);

  /* The top-level code's debug message is sent while module_open runs,
   * before the handle exists, so it goes to the process-wide handler. */
  collector_init (&col);
  nbdocaml_set_debug_handler (collector_handler, &col);

  a = open_plugin ("api_counter");
  g_assert_cmpuint (collector_count (&col, TOPLEVEL), ==, 1);
  b = open_plugin ("api_counter");
  /* Through a symbolic link, the file is still the same one. */
  g_assert_cmpint (symlink (path, link), ==, 0);
  c = nbdocaml_module_open (link, 0);
  g_assert_nonnull (c);
  g_assert_cmpstr (nbdocaml_module_path (c), ==, link);
  /* The top-level code ran once for the three handles. */
  g_assert_cmpuint (collector_count (&col, TOPLEVEL), ==, 1);
  g_assert_true (a != b && b != c);

  /* api_counter's get_size is the number of connections opened in its
   * runtime: each handle sees those of the others. */
  ca = open_conn (a, 0);
  g_assert_cmpint (nbdocaml_call_get_size (ca), ==, 1);
  cb = open_conn (b, 0);
  g_assert_cmpint (nbdocaml_call_get_size (cb), ==, 2);
  cc = open_conn (c, 0);
  g_assert_cmpint (nbdocaml_call_get_size (ca), ==, 3);

  /* Closing one handle (and its connection) leaves the runtime to the
   * others, state included. */
  nbdocaml_module_close (a);
  g_assert_cmpint (nbdocaml_call_get_size (cb), ==, 3);
  nbdocaml_call_close (cb);
  cb = open_conn (b, 0);
  g_assert_cmpint (nbdocaml_call_get_size (cc), ==, 4);

  /* Closing the last handles shuts an OCaml 4 runtime down; opening
   * again starts a fresh one: the top-level code runs again and the count
   * starts from zero.  An OCaml 5 runtime is parked instead: opening again
   * finds it as it was, like a concurrent open. */
  nbdocaml_module_close (b);
  nbdocaml_module_close (c);
  a = open_plugin ("api_counter");
  ca = open_conn (a, 0);
  if (ocaml_major () == 4) {
    g_assert_cmpuint (collector_count (&col, TOPLEVEL), ==, 2);
    g_assert_cmpint (nbdocaml_call_get_size (ca), ==, 1);
  }
  else {
    g_assert_cmpuint (collector_count (&col, TOPLEVEL), ==, 1);
    g_assert_cmpint (nbdocaml_call_get_size (ca), ==, 5);
  }
  nbdocaml_module_close (a);

  nbdocaml_set_debug_handler (NULL, NULL);
  collector_free (&col);
  g_unlink (link);
  g_rmdir (dir);
  g_free (link);
  g_free (dir);
  g_free (path);
}

static void
test_same_file_per_handle (void)
{
  struct collector ca, cb;
  nbdocaml_module *a, *b;
  nbdocaml_conn *c1, *c2;
  char buf[512];

  char *copy = plugin_copy ("full");

  collector_init (&ca);
  collector_init (&cb);
  /* A fresh copy, so that connections are numbered from 1; opened twice,
   * so the two handles share its runtime. */
  a = nbdocaml_module_open (copy, 0);
  b = nbdocaml_module_open (copy, 0);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_unlink (copy);
  g_free (copy);
  collector_attach (&ca, a);
  collector_attach (&cb, b);

  /* Debug messages go to the handler of the handle the call came
   * through, although both share one runtime. */
  c1 = open_conn (a, 0);
  c2 = open_conn (b, 1);
  g_assert_cmpuint (collector_count (&ca, "open false"), ==, 1);
  g_assert_cmpuint (collector_count (&cb, "open true"), ==, 1);
  g_assert_cmpuint (ca.msgs->len, ==, 1);
  g_assert_cmpuint (cb.msgs->len, ==, 1);

  /* full.ml's disk is one OCaml value: what goes in through one handle
   * comes out through the other. */
  memset (buf, 'a', sizeof buf);
  g_assert_cmpint (nbdocaml_call_pwrite (c1, buf, sizeof buf, 0, 0), ==, 0);
  memset (buf, 0, sizeof buf);
  g_assert_cmpint (nbdocaml_call_pread (c2, buf, sizeof buf, 0, 0), ==, 0);
  g_assert_cmpint (buf[0], ==, 'a');
  g_assert_cmpint (buf[511], ==, 'a');

  /* load through a only: closing a calls unload (and closes a's
   * connection), closing b does not call unload again. */
  g_assert_cmpint (nbdocaml_call_load (a), ==, 0);
  nbdocaml_module_close (a);
  g_assert_cmpuint (collector_count (&ca, "close 1"), ==, 1);
  g_assert_cmpuint (collector_count (&ca, "unload"), ==, 1);
  g_assert_cmpint (nbdocaml_call_pread (c2, buf, sizeof buf, 0, 0), ==, 0);
  g_assert_cmpint (buf[0], ==, 'a');
  nbdocaml_module_close (b);
  g_assert_cmpuint (collector_count (&cb, "close 2"), ==, 1);
  g_assert_cmpuint (collector_count (&cb, "unload"), ==, 0);

  collector_free (&ca);
  collector_free (&cb);
}

static void
test_reopen_cycles (void)
{
  static const char *const names[] = { "loaddisk", "threads_loaddisk" };
  size_t n;
  int round;

  /* With OCaml 4 every open after the last close starts the runtime
   * again, with the plugin's initial state: data written in one round is
   * gone in the next.  Runtimes with systhreads (a tick thread, a master
   * lock) must survive this as well as plain ones.  With OCaml 5 the
   * runtime was parked at the last close, and the next open finds the
   * data of the round before. */
  for (n = 0; n < G_N_ELEMENTS (names); ++n)
    for (round = 0; round < 5; ++round) {
      nbdocaml_module *m = open_plugin (names[n]);
      nbdocaml_conn *c = open_conn (m, 0);
      char buf[8] = { 0 }, expected[8] = { 0 };

      if (ocaml_major () > 4 && round > 0)
        snprintf (expected, sizeof expected, "round%d", round - 1);
      g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
      g_assert_cmpmem (buf, sizeof buf, expected, sizeof expected);
      snprintf (buf, sizeof buf, "round%d", round);
      g_assert_cmpint (nbdocaml_call_pwrite (c, buf, 8, 0, 0), ==, 0);
      memset (buf, 0, sizeof buf);
      g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
      snprintf (expected, sizeof expected, "round%d", round);
      g_assert_cmpmem (buf, sizeof buf, expected, sizeof expected);
      nbdocaml_module_close (m);
    }
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/multi-module/separate-state", test_separate_state);
  test_add ("/multi-module/concurrent-modules",
            test_concurrent_modules);
  test_add ("/multi-module/same-file-shares-runtime",
            test_same_file_shares_runtime);
  test_add ("/multi-module/same-file-per-handle-debug-and-unload",
            test_same_file_per_handle);
  test_add ("/multi-module/reopen-cycles-fresh-or-parked-runtime",
            test_reopen_cycles);
  return g_test_run ();
}
