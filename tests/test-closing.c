/* libnbdocaml tests: closing connections and modules while calls run.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The header's contract (CLOSING WHILE CALLS RUN): a close waits for the
 * calls in flight on its object, calls that start meanwhile fail with
 * ESHUTDOWN, and the plugin's close and unload run only after, in nbdkit's
 * order, with every error reported.  The slow test plugin sleeps in pread
 * (NBDKit.nanosleep, which releases the runtime with threads.cmxa) and
 * reports its callbacks with NBDKit.debug, so the tests see the order.
 * Each case runs with and without threads.cmxa, on a private copy of the
 * plugin so that its connections are numbered from 1.
 */
#include <config.h>

#include <pthread.h>
#include <unistd.h>

#include "test-common.h"

/* The position of msg among the collected messages, or -1. */
static int
position (struct collector *col, const char *msg)
{
  guint i;
  int r = -1;

  g_mutex_lock (&col->lock);
  for (i = 0; i < col->msgs->len && r == -1; ++i)
    if (strcmp (g_ptr_array_index (col->msgs, i), msg) == 0)
      r = (int) i;
  g_mutex_unlock (&col->lock);
  return r;
}

/* The plugin for this case, opened fresh, with its messages collected. */
static nbdocaml_module *
open_slow (const char *plugin, struct collector *col, int delay_ms)
{
  nbdocaml_module *m = open_plugin_copy (plugin);
  char *ms = g_strdup_printf ("%d", delay_ms);

  collector_init (col);
  collector_attach (col, m);
  g_assert_cmpint (nbdocaml_call_config (m, "delay_ms", ms), ==, 0);
  g_free (ms);
  return m;
}

struct reader {
  nbdocaml_conn *c;
  int r, errnum;
};

static void *
slow_read (void *p)
{
  struct reader *rd = p;
  char buf[512];

  rd->r = nbdocaml_call_pread (rd->c, buf, sizeof buf, 0, 0);
  rd->errnum = rd->r == -1 ? nbdocaml_get_errno () : 0;
  return NULL;
}

/* Start a slow pread on c in a thread of its own and return once the
 * plugin says it is sleeping in it. */
static pthread_t
start_slow_read (struct collector *col, struct reader *rd, nbdocaml_conn *c)
{
  pthread_t t;

  rd->c = c;
  g_assert_cmpint (pthread_create (&t, NULL, slow_read, rd), ==, 0);
  g_assert_true (collector_wait_for (col, "pread: sleeping", 30));
  return t;
}

/* nbdocaml_call_close waits for the pread in flight on the connection;
 * the plugin's close runs after that pread woke, and the pread succeeded. */
static void
conn_close_waits (gconstpointer plugin)
{
  struct collector col;
  nbdocaml_module *m = open_slow (plugin, &col, 400);
  nbdocaml_conn *c = open_conn (m, 0);
  struct reader rd;
  pthread_t t = start_slow_read (&col, &rd, c);

  g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  g_assert_cmpint (position (&col, "pread: woke"), >=, 0);
  g_assert_cmpint (position (&col, "pread: woke"), <,
                   position (&col, "close 1"));
  pthread_join (t, NULL);
  g_assert_cmpint (rd.r, ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* nbdocaml_module_close on another thread than the caller's, while a
 * pread sleeps: it waits, then closes the connection, then unloads. */
static void
module_close_waits (gconstpointer plugin)
{
  struct collector col;
  nbdocaml_module *m = open_slow (plugin, &col, 400);
  struct reader rd;
  pthread_t t;

  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  t = start_slow_read (&col, &rd, open_conn (m, 0));
  nbdocaml_module_close (m);
  g_assert_cmpint (position (&col, "pread: woke"), >=, 0);
  g_assert_cmpint (position (&col, "pread: woke"), <,
                   position (&col, "close 1"));
  g_assert_cmpint (position (&col, "close 1"), <, position (&col, "unload"));
  pthread_join (t, NULL);
  g_assert_cmpint (rd.r, ==, 0);
  collector_free (&col);
}

struct shutdown_thread {
  nbdocaml_module *m;
  int r;
};

static void *
do_shutdown (void *p)
{
  struct shutdown_thread *s = p;

  s->r = nbdocaml_module_shutdown (s->m, 0, NULL, NULL);
  return NULL;
}

/* While nbdocaml_module_shutdown waits for a call in flight, and after it,
 * new calls fail with ESHUTDOWN; the connections stay valid until closed,
 * and their close then only frees them. */
static void
shutdown_refuses_new_calls (gconstpointer plugin)
{
  struct collector col;
  nbdocaml_module *m = open_slow (plugin, &col, 1500);
  nbdocaml_conn *c, *idle;
  struct shutdown_thread s = { m, 0 };
  struct reader rd;
  pthread_t t, st;
  gint64 deadline;
  int refused = 0;

  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  c = open_conn (m, 0);
  idle = open_conn (m, 1);
  t = start_slow_read (&col, &rd, c);
  g_assert_cmpint (pthread_create (&st, NULL, do_shutdown, &s), ==, 0);
  /* The shutdown marks everything closing at once; the pread sleeps on.
   * The probe is a callback slow does not register: ENOTSUP until then,
   * without waiting for the runtime (which the sleeping pread holds when
   * threads.cmxa is not linked), ESHUTDOWN after. */
  deadline = g_get_monotonic_time () + 10 * G_TIME_SPAN_SECOND;
  while (!refused && g_get_monotonic_time () < deadline) {
    if (nbdocaml_call_can_zero (idle) == -1 &&
        nbdocaml_get_errno () == ESHUTDOWN) {
      assert_error (ESHUTDOWN, "can_zero: ");
      refused = 1;
    }
    else {
      assert_error (ENOTSUP, "can_zero: ");
      g_usleep (1000);
    }
  }
  g_assert_true (refused);
  g_assert_cmpint (position (&col, "pread: woke"), ==, -1);
  g_assert_null (nbdocaml_call_open (m, 0));
  assert_error (ESHUTDOWN, "open_connection: ");
  pthread_join (st, NULL);
  pthread_join (t, NULL);
  g_assert_cmpint (s.r, ==, 0);
  g_assert_cmpint (rd.r, ==, 0);

  /* Oldest connection first, unload last; nothing after unload. */
  g_assert_cmpint (position (&col, "pread: woke"), <,
                   position (&col, "close 1"));
  g_assert_cmpint (position (&col, "close 1"), <, position (&col, "close 2"));
  g_assert_cmpint (position (&col, "close 2"), <, position (&col, "unload"));
  assert_last_debug (&col, "unload");

  /* Still refused afterwards, and a second shutdown does nothing. */
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, -1);
  assert_error (ESHUTDOWN, "get_size: ");
  g_assert_cmpint (nbdocaml_call_get_size (idle), ==, -1);
  assert_error (ESHUTDOWN, "get_size: ");
  g_assert_cmpint (nbdocaml_module_shutdown (m, 0, NULL, NULL), ==, 0);
  g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  g_assert_cmpint (nbdocaml_call_close (idle), ==, 0);
  g_assert_cmpuint (collector_count (&col, "close 1"), ==, 1);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  nbdocaml_module_close (m);
  collector_free (&col);
}

struct reported {
  int n, errnum;
  char *msg;
};

static void
report (void *opaque, int errnum, const char *msg)
{
  struct reported *r = opaque;

  r->n++;
  r->errnum = errnum;
  g_free (r->msg);
  r->msg = g_strdup (msg);
}

/* An exception from close during a shutdown is reported, to the given
 * function or else to the debug handler, and the shutdown goes on to the
 * next connection and to unload. */
static void
shutdown_reports_errors (gconstpointer plugin)
{
  struct collector col;
  struct reported r = { 0, 0, NULL };
  nbdocaml_module *m = open_slow (plugin, &col, 0);

  g_assert_cmpint (nbdocaml_call_config (m, "fail_close", "2"), ==, 0);
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  open_conn (m, 0);
  open_conn (m, 0);
  open_conn (m, 0);
  g_assert_cmpint (nbdocaml_module_shutdown (m, 0, report, &r), ==, -1);
  g_assert_cmpint (r.n, ==, 1);
  g_assert_cmpint (r.errnum, ==, EIO);
  g_assert_cmpstr (r.msg, ==, "close: Failure(\"boom in close 2\")");
  g_assert_cmpuint (collector_count (&col, "close 3"), ==, 1);
  assert_last_debug (&col, "unload");
  nbdocaml_module_close (m);
  collector_free (&col);
  g_free (r.msg);

  /* Without a function, the debug handler gets it. */
  m = open_slow (plugin, &col, 0);
  g_assert_cmpint (nbdocaml_call_config (m, "fail_close", "1"), ==, 0);
  open_conn (m, 0);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col,
                                     "error: close: Failure(\"boom in close 1\")"),
                    ==, 1);
  collector_free (&col);
}

/* unload runs at shutdown when load was called through the handle, or
 * with NBDOCAML_SHUTDOWN_UNLOAD (nbdkit's way) when it was not called at
 * all; never twice. */
static void
shutdown_unload_rules (gconstpointer plugin)
{
  struct collector col;
  nbdocaml_module *m = open_slow (plugin, &col, 0);

  g_assert_cmpint (nbdocaml_module_shutdown (m, 0, NULL, NULL), ==, 0);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);

  m = open_slow (plugin, &col, 0);
  g_assert_cmpint (nbdocaml_module_shutdown (m, 2, NULL, NULL), ==, -1);
  assert_error (EINVAL, "nbdocaml_module_shutdown: ");
  g_assert_cmpint (nbdocaml_module_shutdown (m, NBDOCAML_SHUTDOWN_UNLOAD,
                                             NULL, NULL), ==, 0);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  collector_free (&col);

  m = open_slow (plugin, &col, 0);
  g_assert_cmpint (nbdocaml_call_unload (m), ==, 0);
  g_assert_cmpint (nbdocaml_module_shutdown (m, NBDOCAML_SHUTDOWN_UNLOAD,
                                             NULL, NULL), ==, 0);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  nbdocaml_module_close (m);
  collector_free (&col);

  g_assert_cmpint (nbdocaml_module_shutdown (NULL, 0, NULL, NULL), ==, -1);
  assert_error (EINVAL, "nbdocaml_module_shutdown: ");
}

/* Threads that called the module and are still alive when it is closed,
 * and that exit only afterwards: nothing of the closed module may run on
 * their way out (with threads.cmxa they were registered with the runtime,
 * which on OCaml 4 is gone by then). */
#define ALIVE 4
struct alive {
  nbdocaml_conn *c;
  GMutex *lock;
  GCond *cond;
  int *ready, *quit;
};

static void *
call_then_wait (void *p)
{
  struct alive *a = p;
  char buf[512];

  g_assert_cmpint (nbdocaml_call_pread (a->c, buf, sizeof buf, 0, 0), ==, 0);
  g_mutex_lock (a->lock);
  (*a->ready)++;
  g_cond_broadcast (a->cond);
  while (!*a->quit)
    g_cond_wait (a->cond, a->lock);
  g_mutex_unlock (a->lock);
  return NULL;
}

static void
close_with_threads_alive (gconstpointer plugin)
{
  struct collector col;
  nbdocaml_module *m = open_slow (plugin, &col, 0);
  nbdocaml_conn *c = open_conn (m, 0);
  struct alive a[ALIVE];
  pthread_t t[ALIVE];
  GMutex lock;
  GCond cond;
  int ready = 0, quit = 0, i;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (i = 0; i < ALIVE; ++i) {
    a[i] = (struct alive) { c, &lock, &cond, &ready, &quit };
    g_assert_cmpint (pthread_create (&t[i], NULL, call_then_wait, &a[i]),
                     ==, 0);
  }
  g_mutex_lock (&lock);
  while (ready < ALIVE)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);

  nbdocaml_module_close (m);
  g_mutex_lock (&lock);
  quit = 1;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  for (i = 0; i < ALIVE; ++i)
    pthread_join (t[i], NULL);
  g_assert_cmpuint (collector_count (&col, "close 1"), ==, 1);
  collector_free (&col);
  g_cond_clear (&cond);
  g_mutex_clear (&lock);
}

/* A file that is gone since another handle opened it still opens: the
 * object is loaded, and it is the same runtime. */
static void
open_deleted_file (gconstpointer plugin)
{
  char *copy = plugin_copy (plugin);
  nbdocaml_module *a = nbdocaml_module_open (copy, 0), *b;
  nbdocaml_conn *ca, *cb;
  char buf[4];

  g_assert_nonnull (a);
  g_assert_cmpint (g_unlink (copy), ==, 0);
  b = nbdocaml_module_open (copy, 0);
  if (b == NULL)
    g_error ("%s", nbdocaml_get_error ());
  ca = open_conn (a, 0);
  cb = open_conn (b, 0);
  g_assert_cmpint (nbdocaml_call_pwrite (ca, "same", 4, 0, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_pread (cb, buf, 4, 0, 0), ==, 0);
  g_assert_cmpmem (buf, 4, "same", 4);
  nbdocaml_module_close (a);
  nbdocaml_module_close (b);
  /* Once unloaded (OCaml 4) the file is really gone; OCaml 5 keeps the
   * object loaded, so there it still opens. */
  a = nbdocaml_module_open (copy, 0);
  if (ocaml_major () == 4) {
    g_assert_null (a);
    assert_error (ENOENT, "nbdocaml_module_open: ");
  }
  else {
    g_assert_nonnull (a);
    nbdocaml_module_close (a);
  }
  g_free (copy);
}

/* The last close of an OCaml 4 runtime waits while a thread that called
 * into the process's runtimes is still leaving them (its thread-exit
 * handler runs in their code), and waiting lets go of the list of
 * runtimes: another thread may open the same file meanwhile and take the
 * runtime up again.  That runtime must stay loaded for the new handle.
 *
 * The exit is made to last: thread A called a threads.cmxa plugin X, and
 * exits while B's call to X sleeps; unregistering A from X waits for B's
 * call.  Meanwhile M closes the only handle on plugin Y, and this thread
 * opens Y again.  (OCaml 5 parks a runtime at its last close instead of
 * waiting, so there only the outcome is checked.) */
struct leaver {
  nbdocaml_conn *c;
  GMutex *lock;
  GCond *cond;
  int called, leave;
};

static void *
call_then_leave (void *p)
{
  struct leaver *l = p;

  g_assert_cmpint (nbdocaml_call_get_size (l->c), >, 0);
  g_mutex_lock (l->lock);
  l->called = 1;
  g_cond_broadcast (l->cond);
  while (!l->leave)
    g_cond_wait (l->cond, l->lock);
  g_mutex_unlock (l->lock);
  return NULL;                  /* the thread-exit handler runs now */
}

static void *
close_and_say (void *p)
{
  void **args = p;

  nbdocaml_module_close (args[0]);
  g_atomic_int_set ((gint *) args[1], 1);
  return NULL;
}

static void
test_open_during_last_close (void)
{
  struct collector col;
  nbdocaml_module *x = open_slow ("threads_slow", &col, 0), *y, *y2, *y3;
  nbdocaml_conn *cx = open_conn (x, 0), *cy;
  char *ypath = plugin_copy ("slow");
  struct reader rd = { cx, 0, 0 };
  struct leaver a;
  GMutex lock;
  GCond cond;
  pthread_t ta, tb, tm;
  gint closed = 0;
  void *margs[2];

  g_mutex_init (&lock);
  g_cond_init (&cond);
  a = (struct leaver) { cx, &lock, &cond, 0, 0 };
  g_assert_cmpint (pthread_create (&ta, NULL, call_then_leave, &a), ==, 0);
  g_mutex_lock (&lock);
  while (!a.called)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);

  /* Y is open before A leaves, so A's exit handler leaves Y too. */
  y = nbdocaml_module_open (ypath, 0);
  g_assert_nonnull (y);
  g_assert_cmpint (nbdocaml_call_config (x, "delay_ms", "5000"), ==, 0);
  g_assert_cmpint (pthread_create (&tb, NULL, slow_read, &rd), ==, 0);
  g_assert_true (collector_wait_for (&col, "pread: sleeping", 30));
  g_mutex_lock (&lock);
  a.leave = 1;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  g_usleep (300 * 1000);        /* A is in its exit handler, waiting */

  margs[0] = y;
  margs[1] = &closed;
  g_assert_cmpint (pthread_create (&tm, NULL, close_and_say, margs), ==, 0);
  g_usleep (300 * 1000);        /* M is in the last close, waiting */
  /* A handle opened and closed while M waits: its close is a last close
   * too, and must leave the unloading to M, or the runtime would be
   * unloaded twice.  Then one that stays open past M's wait. */
  y3 = nbdocaml_module_open (ypath, 0);
  if (y3 == NULL)
    g_error ("%s", nbdocaml_get_error ());
  nbdocaml_module_close (y3);
  y2 = nbdocaml_module_open (ypath, 0);
  if (y2 == NULL)
    g_error ("%s", nbdocaml_get_error ());
  /* The interleaving happened: B's call, and so A's exit, still lasts,
   * and on OCaml 4 M's close waits for it. */
  g_assert_cmpuint (collector_count (&col, "pread: woke"), ==, 0);
  if (ocaml_major () == 4)
    g_assert_cmpint (g_atomic_int_get (&closed), ==, 0);

  pthread_join (tb, NULL);
  g_assert_cmpint (rd.r, ==, 0);
  pthread_join (ta, NULL);
  pthread_join (tm, NULL);
  g_assert_cmpint (g_atomic_int_get (&closed), ==, 1);
  /* y2's runtime is still there. */
  cy = open_conn (y2, 0);
  g_assert_cmpint (nbdocaml_call_get_size (cy), ==, 1024 * 1024);
  nbdocaml_module_close (y2);
  nbdocaml_module_close (x);
  g_unlink (ypath);
  g_free (ypath);
  collector_free (&col);
  g_cond_clear (&cond);
  g_mutex_clear (&lock);
}

static void
add (const char *name, GTestDataFunc fn)
{
  char *p1 = g_strdup_printf ("/closing/%s/no-threads", name);
  char *p2 = g_strdup_printf ("/closing/%s/threads-cmxa", name);

  test_add_data (p1, "slow", fn);
  test_add_data (p2, "threads_slow", fn);
  g_free (p1);
  g_free (p2);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  add ("conn-close-waits-for-the-call-in-flight", conn_close_waits);
  add ("module-close-waits-then-closes-then-unloads", module_close_waits);
  add ("shutdown-refuses-new-calls-with-eshutdown", shutdown_refuses_new_calls);
  add ("shutdown-reports-every-error", shutdown_reports_errors);
  add ("shutdown-unload-rules", shutdown_unload_rules);
  add ("module-close-with-threads-alive", close_with_threads_alive);
  add ("open-a-loaded-file-that-was-deleted", open_deleted_file);
  test_add ("/closing/open-during-the-last-close-keeps-the-runtime",
            test_open_during_last_close);
  return g_test_run ();
}
