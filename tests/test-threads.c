/* libnbdocaml tests: calling one module from many threads.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The header promises that every function may be called from any thread,
 * concurrently, on the same module or connection; that a plugin linked
 * with threads.cmxa gets each calling thread registered with its runtime;
 * and that such a plugin releases the runtime while it blocks.
 */
#include <config.h>

#include <malloc.h>
#include <stdio.h>

#include "test-common.h"

#define THREADS 8
#define ITERATIONS 2000
#define REGION 65536            /* each thread's part of the 1 MiB disk */
#define DISK_SIZE 1048576       /* loaddisk's default size */

/* A start gate, so that the threads really run at the same time. */
struct gate {
  GMutex lock;
  GCond cond;
  gboolean open;
};

static void
gate_wait (struct gate *g)
{
  g_mutex_lock (&g->lock);
  while (!g->open)
    g_cond_wait (&g->cond, &g->lock);
  g_mutex_unlock (&g->lock);
}

static void
gate_open (struct gate *g)
{
  g_mutex_lock (&g->lock);
  g->open = TRUE;
  g_cond_broadcast (&g->cond);
  g_mutex_unlock (&g->lock);
}

/* -- many threads, many calls ------------------------------------------ */

struct worker {
  struct gate *gate;
  nbdocaml_conn *c;
  int id;
  guint8 last[REGION];          /* what the thread wrote last, whole region */
};

/* The byte a thread writes at position i of iteration iter: distinct per
 * thread and per iteration, so stale or foreign data never matches. */
static guint8
pattern (int id, int iter, size_t i)
{
  return (guint8) (id * 31 + iter * 7 + i * 13 + (i >> 8));
}

static gpointer
worker_thread (gpointer data)
{
  struct worker *w = data;
  GRand *rand = g_rand_new_with_seed (w->id);
  guint8 *buf = g_malloc (REGION), *back = g_malloc (REGION);
  uint64_t base = (uint64_t) w->id * REGION;
  int iter;

  gate_wait (w->gate);
  for (iter = 0; iter < ITERATIONS; ++iter) {
    /* A random request inside this thread's region; the last one covers
     * the whole region, for the final check by the main thread. */
    uint32_t count = iter == ITERATIONS - 1
      ? REGION : (uint32_t) g_rand_int_range (rand, 1, 4097);
    uint32_t off = (uint32_t) g_rand_int_range (rand, 0, REGION - count + 1);
    size_t i;

    for (i = 0; i < count; ++i)
      buf[i] = pattern (w->id, iter, i);
    if (nbdocaml_call_pwrite (w->c, buf, count, base + off, 0) != 0)
      g_error ("thread %d: pwrite: %s", w->id, nbdocaml_get_error ());
    memset (back, 0, count);
    if (nbdocaml_call_pread (w->c, back, count, base + off, 0) != 0)
      g_error ("thread %d: pread: %s", w->id, nbdocaml_get_error ());
    for (i = 0; i < count; ++i)
      if (back[i] != buf[i])
        g_error ("thread %d iteration %d: byte %zu of %u at %" G_GUINT64_FORMAT
                 " is %u, wrote %u", w->id, iter, i, count, base + off,
                 back[i], buf[i]);
    if (nbdocaml_call_get_size (w->c) != DISK_SIZE)
      g_error ("thread %d: get_size: %s", w->id, nbdocaml_get_error ());
    if (nbdocaml_call_can_write (w->c) != 1)
      g_error ("thread %d: can_write: %s", w->id, nbdocaml_get_error ());
  }
  memcpy (w->last, buf, REGION);
  g_free (back);
  g_free (buf);
  g_rand_free (rand);
  return NULL;
}

static void
hammer (const char *plugin, int expect_threads)
{
  nbdocaml_module *m = open_plugin (plugin);
  struct gate gate = { .open = FALSE };
  struct worker *w = g_new0 (struct worker, THREADS);
  GThread *th[THREADS];
  nbdocaml_conn *shared;
  guint8 *back = g_malloc (REGION);
  int i;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  g_assert_cmpint (nbdocaml_module_has_threads (m), ==, expect_threads);
  /* PARALLEL because the plugin does not say otherwise: the library
   * must cope with any concurrency. */
  g_assert_cmpint (nbdocaml_call_thread_model (m), ==,
                   NBDOCAML_THREAD_MODEL_PARALLEL);

  /* Even threads share one connection, odd ones have their own. */
  shared = open_conn (m, 0);
  for (i = 0; i < THREADS; ++i) {
    w[i].gate = &gate;
    w[i].id = i;
    w[i].c = i % 2 == 0 ? shared : open_conn (m, 0);
    th[i] = g_thread_new ("worker", worker_thread, &w[i]);
  }
  gate_open (&gate);
  for (i = 0; i < THREADS; ++i)
    g_thread_join (th[i]);

  /* Every region holds exactly what its thread wrote last: no request
   * strayed into another thread's region. */
  for (i = 0; i < THREADS; ++i) {
    g_assert_cmpint (nbdocaml_call_pread (shared, back, REGION,
                                          (uint64_t) i * REGION, 0), ==, 0);
    g_assert_cmpmem (back, REGION, w[i].last, REGION);
  }

  for (i = 0; i < THREADS; ++i)
    if (w[i].c != shared)
      g_assert_cmpint (nbdocaml_call_close (w[i].c), ==, 0);
  g_assert_cmpint (nbdocaml_call_close (shared), ==, 0);
  nbdocaml_module_close (m);
  g_cond_clear (&gate.cond);
  g_mutex_clear (&gate.lock);
  g_free (back);
  g_free (w);
}

static void
test_parallel_no_threads_cmxa (void)
{
  hammer ("loaddisk", 0);
}

static void
test_parallel_threads_cmxa (void)
{
  hammer ("threads_loaddisk", 1);
}

/* -- blocking releases the runtime ------------------------------------ */

#define SLEEPERS 8
#define SLEEP_MS 200

struct sleeper {
  struct gate *gate;
  nbdocaml_conn *c;
  char data[16];
  int r;
};

static gpointer
sleeper_thread (gpointer data)
{
  struct sleeper *s = data;

  gate_wait (s->gate);
  s->r = nbdocaml_call_pread (s->c, s->data, sizeof s->data, 0, 0);
  return NULL;
}

static void
test_blocking_releases_runtime (void)
{
  nbdocaml_module *m = open_plugin ("threads_api_sleep");
  nbdocaml_conn *c;
  struct gate gate = { .open = FALSE };
  struct sleeper s[SLEEPERS];
  GThread *th[SLEEPERS];
  char *ms = g_strdup_printf ("%d", SLEEP_MS);
  gint64 start, elapsed;
  int i, j;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  g_assert_cmpint (nbdocaml_module_has_threads (m), ==, 1);
  g_assert_cmpint (nbdocaml_call_config (m, "sleep_ms", ms), ==, 0);
  c = open_conn (m, 1);

  for (i = 0; i < SLEEPERS; ++i) {
    s[i].gate = &gate;
    s[i].c = c;
    s[i].r = -2;
    th[i] = g_thread_new ("sleeper", sleeper_thread, &s[i]);
  }
  start = g_get_monotonic_time ();
  gate_open (&gate);
  for (i = 0; i < SLEEPERS; ++i)
    g_thread_join (th[i]);
  elapsed = g_get_monotonic_time () - start;
  g_test_message ("%d preads of %d ms took %" G_GINT64_FORMAT " ms",
                  SLEEPERS, SLEEP_MS, elapsed / 1000);

  for (i = 0; i < SLEEPERS; ++i) {
    g_assert_cmpint (s[i].r, ==, 0);
    for (j = 0; j < (int) sizeof s[i].data; ++j)
      g_assert_cmpint (s[i].data[j], ==, 'S');
  }
  /* The plugin counts the preads in progress at once: more than one
   * means that a thread entered pread while another slept in it, which
   * only the runtime being released during Unix.sleepf allows.  (That is
   * the proof; how long the sleeps took is only reported, since a loaded
   * machine can stretch any time.) */
  g_assert_cmpint (nbdocaml_call_get_size (c), >=, 2);

  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
  g_free (ms);
  g_cond_clear (&gate.cond);
  g_mutex_clear (&gate.lock);
}

/* -- connections and modules change threads --------------------------- */

struct handoff {
  const char *plugin;
  nbdocaml_module *m;
  nbdocaml_conn *c;
  guint8 data[4096];
};

static gpointer
open_module_thread (gpointer data)
{
  struct handoff *h = data;

  h->m = open_plugin (h->plugin);
  return NULL;
}

static gpointer
open_and_write_thread (gpointer data)
{
  struct handoff *h = data;
  GRand *rand = g_rand_new ();

  h->c = open_conn (h->m, 0);
  fill_random (rand, h->data, sizeof h->data);
  g_assert_cmpint (nbdocaml_call_pwrite (h->c, h->data, sizeof h->data, 512,
                                         0), ==, 0);
  g_rand_free (rand);
  return NULL;
}

static gpointer
read_thread (gpointer data)
{
  struct handoff *h = data;
  guint8 back[4096];

  g_assert_cmpint (nbdocaml_call_pread (h->c, back, sizeof back, 512, 0), ==,
                   0);
  g_assert_cmpmem (back, sizeof back, h->data, sizeof h->data);
  return NULL;
}

static gpointer
close_thread (gpointer data)
{
  struct handoff *h = data;

  g_assert_cmpint (nbdocaml_call_close (h->c), ==, 0);
  h->c = NULL;
  return NULL;
}

/* Each step on a thread of its own, which has exited before the next
 * step starts: the module is opened (its runtime started) on one thread,
 * the connection opened and written on a second, read on a third, closed
 * on a fourth, and the module closed on the main thread. */
static void
handoff (const char *plugin)
{
  struct handoff h = { plugin, NULL, NULL, { 0 } };

  g_thread_join (g_thread_new ("open-module", open_module_thread, &h));
  g_assert_nonnull (h.m);
  g_thread_join (g_thread_new ("open-write", open_and_write_thread, &h));
  g_assert_nonnull (h.c);
  g_thread_join (g_thread_new ("read", read_thread, &h));
  g_thread_join (g_thread_new ("read-again", read_thread, &h));
  /* The main thread can use it too. */
  read_thread (&h);
  g_thread_join (g_thread_new ("close", close_thread, &h));
  g_assert_null (h.c);
  nbdocaml_module_close (h.m);
}

static void
test_handoff_no_threads_cmxa (void)
{
  handoff ("loaddisk");
}

static void
test_handoff_threads_cmxa (void)
{
  handoff ("threads_loaddisk");
}

/* -- without threads.cmxa a callback holds the module ------------------ */

static gpointer
slow_pread_thread (gpointer conn)
{
  char buf[512];

  g_assert_cmpint (nbdocaml_call_pread (conn, buf, sizeof buf, 0, 0), ==, 0);
  return NULL;
}

/* slow.ml (no threads.cmxa) sleeps in pread with NBDKit.nanosleep, which
 * lets the runtime go.  Another thread's call must still wait until that
 * pread has returned (nbdocaml.h: "Without threads.cmxa a callback holds
 * the module for its whole duration"): the module has one OCaml stack,
 * on OCaml 5 the domain's, which two interleaved callbacks would share.
 * The second call is made once the plugin has said it sleeps, and when
 * it returns the first must have woken. */
static void
test_callback_holds_module_no_threads_cmxa (void)
{
  nbdocaml_module *m = open_plugin_copy ("slow");
  nbdocaml_conn *c = open_conn (m, 0), *c2 = open_conn (m, 0);
  struct collector col;
  GThread *t;

  g_assert_cmpint (nbdocaml_module_has_threads (m), ==, 0);
  collector_init (&col);
  collector_attach (&col, m);
  g_assert_cmpint (nbdocaml_call_config (m, "delay_ms", "500"), ==, 0);
  t = g_thread_new ("slow", slow_pread_thread, c);
  g_assert_true (collector_wait_for (&col, "pread: sleeping", 30));
  g_assert_cmpint (nbdocaml_call_can_write (c2), ==, 1);
  g_assert_cmpuint (collector_count (&col, "pread: woke"), ==, 1);
  g_thread_join (t);
  nbdocaml_call_close (c);
  nbdocaml_call_close (c2);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* -- a thread the plugin starts itself ------------------------------- */

#define WORKER_CALLERS 4
#define WORKER_WRITES 200

struct worker_caller {
  nbdocaml_conn *c;
  int id;
};

static gpointer
worker_caller_thread (gpointer data)
{
  struct worker_caller *w = data;
  guint8 buf[512], back[512];
  int i;

  for (i = 0; i < WORKER_WRITES; ++i) {
    memset (buf, (w->id * 61 + i) & 0xff, sizeof buf);
    g_assert_cmpint (nbdocaml_call_pwrite (w->c, buf, sizeof buf,
                                           w->id * 4096, 0), ==, 0);
    g_assert_cmpint (nbdocaml_call_pread (w->c, back, sizeof back,
                                          w->id * 4096, 0), ==, 0);
    g_assert_cmpmem (buf, sizeof buf, back, sizeof back);
  }
  return NULL;
}

/* threads_worker starts an OCaml thread with Thread.create and has it
 * apply every write, while the callers wait in Condition.wait: every write
 * goes from a C thread to the plugin's own thread and back.  The count of
 * writes it applied comes back with each write: each write's own number,
 * since two writes applied together wake their callers in either order.
 * unload joins the thread. */
static void
test_thread_create_in_plugin (void)
{
  struct collector col;
  nbdocaml_module *m = open_plugin_copy ("threads_worker");
  struct worker_caller w[WORKER_CALLERS];
  GThread *th[WORKER_CALLERS];
  char *last;
  int i;

  collector_init (&col);
  collector_attach (&col, m);
  for (i = 0; i < WORKER_CALLERS; ++i) {
    w[i] = (struct worker_caller) { open_conn (m, 0), i };
    th[i] = g_thread_new ("caller", worker_caller_thread, &w[i]);
  }
  for (i = 0; i < WORKER_CALLERS; ++i)
    g_thread_join (th[i]);
  for (i = 1; i <= WORKER_CALLERS * WORKER_WRITES; ++i) {
    last = g_strdup_printf ("worker: applied write %d", i);
    g_assert_cmpuint (collector_count (&col, last), ==, 1);
    g_free (last);
  }
  /* The plugin has no load; unload is due nonetheless, as under nbdkit,
   * and it joins the worker. */
  g_assert_cmpint (nbdocaml_module_shutdown (m, NBDOCAML_SHUTDOWN_UNLOAD,
                                             NULL, NULL), ==, 0);
  assert_last_debug (&col, "worker: stopped");
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* -- threads that come and go ----------------------------------------- */

#define CHURN_THREADS 200

static gpointer
short_lived_thread (gpointer data)
{
  nbdocaml_conn *c = data;
  char buf[512];                /* a small string, in the minor heap */

  g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
  return NULL;
}

/* Many threads call a module once and exit while it stays open, as the
 * connection threads of a server do.  Each exit must be heard by the
 * runtime: with threads.cmxa a thread the runtime still took for alive
 * would have the garbage collector scan a stack that is gone.  The
 * main thread then makes the plugin allocate (and so collect) a lot, and
 * the module must still work. */
static void
churn (const char *plugin)
{
  nbdocaml_module *m = open_plugin (plugin);
  nbdocaml_conn *c = open_conn (m, 0);
  char *buf = g_malloc (65536);
  int i;

  ssize_t before, growth;

  /* What the C heap holds (malloc'd bytes, every arena: the runtime's
   * own blocks are malloc'd too) after a full collection, which also
   * frees what OCaml frees only when it collects (a thread's Thread.t
   * has a finaliser), before and after 2000 more threads. */
  for (i = 0; i < CHURN_THREADS; ++i)
    g_thread_join (g_thread_new ("short-lived", short_lived_thread, c));
  g_assert_cmpint (nbdocaml_call_config (m, "gc", "1"), ==, 0);
  before = (ssize_t) mallinfo2 ().uordblks;
  for (i = 0; i < 10 * CHURN_THREADS; ++i)
    g_thread_join (g_thread_new ("short-lived", short_lived_thread, c));
  g_assert_cmpint (nbdocaml_call_config (m, "gc", "1"), ==, 0);
  growth = (ssize_t) mallinfo2 ().uordblks - before;
  g_test_message ("%s: %d threads: malloc'd bytes in use grew by %zd",
                  plugin, 10 * CHURN_THREADS, growth);
  /* systhreads keeps close to 300 bytes for each thread it believes alive
   * (measured with OCaml 4.13), so a runtime that never heard of the
   * exits grows by that much a thread.  When it heard of them, less than
   * 160 bytes a thread remain: with OCaml 4.13, 96 bytes a thread that
   * its caml_c_thread_unregister does not give back while the runtime
   * lives.  (valgrind's allocator keeps no mallinfo2 figures.) */
  if (!under_valgrind ())
    g_assert_cmpint (growth, <, 160 * 10 * CHURN_THREADS);
  for (i = 0; i < 2000; ++i)
    g_assert_cmpint (nbdocaml_call_pread (c, buf, 65536, 0, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  nbdocaml_module_close (m);
  g_free (buf);
}

static void test_churn (void) { churn ("loaddisk"); }
static void test_churn_threads (void) { churn ("threads_loaddisk"); }

/* -- modules opened and closed on many threads at once ------------------ */

#define OPENERS 6
#define OPEN_ROUNDS 15

struct opener {
  struct gate *gate;
  int id;
};

/* Each thread opens, uses and closes modules over and over, at the same
 * time as the others: the same files (so handles share runtimes, and a
 * runtime's last close races with another thread's open of the same
 * file), and different files (separate runtimes), with and without
 * threads.cmxa.  Every open must succeed and every module must work. */
static gpointer
opener_thread (gpointer data)
{
  static const char *const names[] = {
    "loaddisk", "threads_loaddisk", "loaddisk2", "threads_loaddisk2",
  };
  struct opener *o = data;
  int round;

  gate_wait (o->gate);
  for (round = 0; round < OPEN_ROUNDS; ++round) {
    const char *name = names[(o->id + round) % G_N_ELEMENTS (names)];
    char *path = plugin_path (name);
    nbdocaml_module *m = nbdocaml_module_open (path, 0);
    nbdocaml_conn *c;
    char buf[16] = { 0 }, back[16];

    if (m == NULL)
      g_error ("thread %d round %d: %s: %s", o->id, round, name,
               nbdocaml_get_error ());
    g_assert_cmpstr (nbdocaml_module_path (m), ==, path);
    c = open_conn (m, 0);
    snprintf (buf, sizeof buf, "t%d r%d", o->id, round);
    /* Each thread its own 16 bytes: the disk may be shared with other
     * handles of the same runtime. */
    g_assert_cmpint (nbdocaml_call_pwrite (c, buf, sizeof buf, o->id * 4096,
                                           0), ==, 0);
    g_assert_cmpint (nbdocaml_call_pread (c, back, sizeof back, o->id * 4096,
                                          0), ==, 0);
    g_assert_cmpmem (back, sizeof back, buf, sizeof buf);
    if (round % 2)
      g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
    nbdocaml_module_close (m);  /* closes c when it is still open */
    g_free (path);
  }
  return NULL;
}

static void
test_open_close_on_many_threads (void)
{
  struct gate gate = { .open = FALSE };
  struct opener o[OPENERS];
  GThread *th[OPENERS];
  int i;

  g_mutex_init (&gate.lock);
  g_cond_init (&gate.cond);
  for (i = 0; i < OPENERS; ++i) {
    o[i] = (struct opener) { &gate, i };
    th[i] = g_thread_new ("opener", opener_thread, &o[i]);
  }
  gate_open (&gate);
  for (i = 0; i < OPENERS; ++i)
    g_thread_join (th[i]);
  g_cond_clear (&gate.cond);
  g_mutex_clear (&gate.lock);

  /* Afterwards the files open as usual. */
  nbdocaml_module_close (open_plugin ("loaddisk"));
  nbdocaml_module_close (open_plugin ("threads_loaddisk"));
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/threads/parallel-calls-no-threads-cmxa",
            test_parallel_no_threads_cmxa);
  test_add ("/threads/parallel-calls-threads-cmxa",
            test_parallel_threads_cmxa);
  test_add ("/threads/blocking-releases-runtime",
            test_blocking_releases_runtime);
  test_add ("/threads/callback-holds-the-module-no-threads-cmxa",
            test_callback_holds_module_no_threads_cmxa);
  test_add ("/threads/handoff-between-threads-no-threads-cmxa",
            test_handoff_no_threads_cmxa);
  test_add ("/threads/handoff-between-threads-threads-cmxa",
            test_handoff_threads_cmxa);
  test_add ("/threads/threads-come-and-go/no-threads", test_churn);
  test_add ("/threads/threads-come-and-go/threads-cmxa", test_churn_threads);
  test_add ("/threads/open-and-close-modules-on-many-threads",
            test_open_close_on_many_threads);
  test_add ("/threads/thread-create-in-plugin",
            test_thread_create_in_plugin);
  return g_test_run ();
}
