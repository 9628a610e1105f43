/* libnbdocaml tests: opening and closing modules leaves the process sound.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * A server may load and unload plugins for as long as it runs, so each
 * cycle must give back its memory and its signal handlers, and closing
 * must work in any order and from any thread.
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test-common.h"

static long
rss_kib (void)
{
  FILE *fp = fopen ("/proc/self/status", "r");
  char line[256];
  long kib = -1;

  g_assert_nonnull (fp);
  while (fgets (line, sizeof line, fp))
    if (strncmp (line, "VmRSS:", 6) == 0)
      kib = atol (line + 6);
  fclose (fp);
  return kib;
}

/* How many more pthread keys the process could create.  There are only
 * PTHREAD_KEYS_MAX (1024) in all, and systhreads makes some at every
 * start: a cycle that leaks one exhausts them within 1000 cycles. */
static int
free_pthread_keys (void)
{
  pthread_key_t keys[PTHREAD_KEYS_MAX];
  int n = 0, i;

  while (n < PTHREAD_KEYS_MAX && pthread_key_create (&keys[n], NULL) == 0)
    n++;
  for (i = 0; i < n; ++i)
    pthread_key_delete (keys[i]);
  return n;
}

/* Open, use and close the same module many times: the RSS may grow by
 * less than 10 MiB over 1000 cycles.  Under valgrind, whose own memory use
 * swamps the figure, 50 cycles run and its leak check is the judge; under
 * ASan, whose quarantine keeps freed memory (the whole OCaml heap of every
 * cycle) for a while, the figure is only reported.  The process's
 * pthread keys must not run out either. */
static void
cycle (const char *plugin)
{
  int valgrind = under_valgrind ();
  int cycles = valgrind ? 50 : 1000;
#ifdef __SANITIZE_ADDRESS__
  int judge_rss = 0;
#else
  int judge_rss = !valgrind;
#endif
  long before = 0, growth;
  int keys_before = 0, keys_after;
  char buf[4096];
  int i;

  for (i = 0; i < cycles; ++i) {
    nbdocaml_module *m = open_plugin (plugin);
    nbdocaml_conn *c = open_conn (m, 0);
    g_assert_cmpint (nbdocaml_call_pwrite (c, "cycle", 5, 0, 0), ==, 0);
    g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
    g_assert_cmpmem (buf, 5, "cycle", 5);
    nbdocaml_module_close (m);
    /* Measure from the 10th cycle, once libc's and GLib's caches are warm. */
    if (i == 9) {
      before = rss_kib ();
      keys_before = free_pthread_keys ();
    }
  }
  growth = rss_kib () - before;
  keys_after = free_pthread_keys ();
  g_test_message ("%s: pthread keys free before: %d, after: %d", plugin,
                  keys_before, keys_after);
  /* A few for GLib's lazily made keys; a leak per cycle is hundreds. */
  g_assert_cmpint (keys_after, >=, keys_before - 4);
  g_test_message ("%s: RSS growth over %d open/close cycles: %ld KiB",
                  plugin, cycles - 10, growth);
  if (judge_rss)
    g_assert_cmpint (growth, <, 10 * 1024);
}

static void test_cycle (void) { cycle ("loaddisk"); }
static void test_cycle_threads (void) { cycle ("threads_loaddisk"); }

static void
host_segv_handler (int sig)
{
  (void) sig;
  _exit (3);
}

/* OCaml 4 installs a SIGSEGV handler at startup and never removes it;
 * after the module is unloaded it would point at unmapped code.  The
 * host's own handler must be back after close, whatever the order in which
 * several modules close.  (OCaml 5 installs none: there the host's handler
 * simply stays.) */
static void
test_sigsegv_restored (void)
{
  struct sigaction host = { .sa_handler = host_segv_handler }, now;
  nbdocaml_module *a, *b;

  sigemptyset (&host.sa_mask);
  g_assert_cmpint (sigaction (SIGSEGV, &host, NULL), ==, 0);

  a = open_plugin ("loaddisk");
  sigaction (SIGSEGV, NULL, &now);
  if (ocaml_major () == 4)
    g_assert_true (now.sa_handler != host_segv_handler);    /* OCaml's */
  else
    g_assert_true (now.sa_handler == host_segv_handler);
  nbdocaml_module_close (a);
  sigaction (SIGSEGV, NULL, &now);
  g_assert_true (now.sa_handler == host_segv_handler);

  /* Opened a then b, closed a first: b's handler stays until b closes. */
  a = open_plugin ("loaddisk");
  b = open_plugin ("threads_loaddisk");
  nbdocaml_module_close (a);
  sigaction (SIGSEGV, NULL, &now);
  if (ocaml_major () == 4)
    g_assert_true (now.sa_handler != host_segv_handler);
  nbdocaml_module_close (b);
  sigaction (SIGSEGV, NULL, &now);
  g_assert_true (now.sa_handler == host_segv_handler);

  /* And closed in the other order. */
  a = open_plugin ("loaddisk");
  b = open_plugin ("threads_loaddisk");
  nbdocaml_module_close (b);
  nbdocaml_module_close (a);
  sigaction (SIGSEGV, NULL, &now);
  g_assert_true (now.sa_handler == host_segv_handler);

  signal (SIGSEGV, SIG_DFL);
}

static void *
close_module (void *m)
{
  nbdocaml_module_close (m);
  return NULL;
}

/* A module opened (and its runtime started) on this thread and closed on
 * another, with two connections still open and load called: close must
 * call the plugin's close for each, then unload. */
static void
test_close_elsewhere (void)
{
  struct collector col;
  nbdocaml_module *m;
  nbdocaml_conn *c;
  pthread_t t;
  int i;

  for (i = 0; i < 2; ++i) {
    m = open_plugin (i ? "threads_full" : "full");
    collector_init (&col);
    collector_attach (&col, m);
    c = open_conn (m, 0);
    (void) open_conn (m, 1);
    g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
    g_assert_cmpint (nbdocaml_call_get_size (c), >, 0);
    g_assert_cmpint (pthread_create (&t, NULL, close_module, m), ==, 0);
    pthread_join (t, NULL);
    g_assert_cmpuint (collector_count (&col, "close 1"), ==, 1);
    g_assert_cmpuint (collector_count (&col, "close 2"), ==, 1);
    g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
    collector_free (&col);
  }
}

static void *
slow_pread (void *conn)
{
  char buf[512];

  g_assert_cmpint (nbdocaml_call_pread (conn, buf, sizeof buf, 0, 0), ==, 0);
  return NULL;
}

/* fork while another thread is inside a threads.cmxa plugin's callback,
 * blocked in Unix.sleepf (so it does not hold OCaml's lock).  The child
 * must still be able to call the plugin, from a new thread that has to
 * register with the runtime first.  The plugin says when its pread is
 * about to sleep, so the fork is known to happen with the call in flight.
 * A watchdog turns a hang into a failure. */
static void
test_fork_with_call_in_flight (void)
{
  nbdocaml_module *m = open_plugin ("threads_api_sleep");
  nbdocaml_conn *c = open_conn (m, 0);
  struct collector col;
  pthread_t t;
  pid_t pid;
  int status;

  collector_init (&col);
  collector_attach (&col, m);
  g_assert_cmpint (nbdocaml_call_config (m, "sleep_ms", "300"), ==, 0);
  g_assert_cmpint (pthread_create (&t, NULL, slow_pread, c), ==, 0);
  g_assert_true (collector_wait_for (&col, "pread: sleeping", 30));

  pid = fork ();
  g_assert_cmpint (pid, !=, -1);
  if (pid == 0) {
    pthread_t t2;
    alarm (10);
    if (pthread_create (&t2, NULL, slow_pread, c) != 0)
      _exit (2);
    pthread_join (t2, NULL);
    _exit (0);
  }
  pthread_join (t, NULL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFEXITED (status))
    g_test_message ("child killed by signal %d", WTERMSIG (status));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* fork while another thread's call holds the runtime of a plugin
 * without threads.cmxa (slow.ml's pread sleeping: without systhreads the
 * library's lock is held for the whole call).  The forking thread must
 * take the runtime first, waiting for that call to end, or the child
 * would inherit a held lock that no thread of its own can release and
 * its first call would never return (alarm turns that into a failure).
 * The plugin says when its pread is about to sleep, so the fork is known
 * to start with the call in flight. */
static void
test_fork_while_a_call_holds_the_runtime (void)
{
  nbdocaml_module *m = open_plugin_copy ("slow");
  nbdocaml_conn *c = open_conn (m, 0);
  struct collector col;
  pthread_t t;
  pid_t pid;
  int status;

  collector_init (&col);
  collector_attach (&col, m);
  g_assert_cmpint (nbdocaml_module_has_threads (m), ==, 0);
  /* The first NBDKit.nanosleep looks nbdkit's functions up with dlsym,
   * and outside nbdkit glibc keeps the failed lookups' message in a
   * buffer of the calling thread, which a child forked while that thread
   * lives never gets back (memcheck calls it lost).  So the first sleep
   * is this thread's. */
  g_assert_cmpint (nbdocaml_call_config (m, "delay_ms", "1"), ==, 0);
  g_assert_cmpint (nbdocaml_call_pread (c, (char [512]) { 0 }, 512, 0, 0),
                   ==, 0);
  g_assert_cmpint (nbdocaml_call_config (m, "delay_ms", "1500"), ==, 0);
  /* That call's "sleeping" and "woke" must not be taken for the slow
   * call's. */
  collector_clear (&col);
  g_assert_cmpint (pthread_create (&t, NULL, slow_pread, c), ==, 0);
  g_assert_true (collector_wait_for (&col, "pread: sleeping", 30));

  pid = fork ();
  g_assert_cmpint (pid, !=, -1);
  if (pid == 0) {
    char buf[512];
    alarm (20);
    /* The call in flight finished before the fork. */
    if (collector_count (&col, "pread: woke") != 1)
      _exit (3);
    if (nbdocaml_call_config (m, "delay_ms", "0") != 0 ||
        nbdocaml_call_pread (c, buf, sizeof buf, 0, 0) != 0)
      _exit (2);
    _exit (0);
  }
  pthread_join (t, NULL);
  g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
  if (!WIFEXITED (status))
    g_test_message ("child killed by signal %d", WTERMSIG (status));
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* Threads that have called into a module and are still alive when the
 * process forks.  Each has an alternate signal stack from the library; in
 * the child they do not exist, so the child must free their stacks (under
 * memcheck a child that loses one exits with valgrind's error status).
 * Every child also calls the plugin, and exits 0 only when that works. */
#define FORK_THREADS 8
#define FORKS 50

struct idler {
  nbdocaml_conn *c;
  GMutex *lock;
  GCond *cond;
  int *ready, *quit;
};

static void *
idle_after_call (void *p)
{
  struct idler *id = p;
  char buf[512];

  g_assert_cmpint (nbdocaml_call_pread (id->c, buf, sizeof buf, 0, 0), ==, 0);
  g_mutex_lock (id->lock);
  (*id->ready)++;
  g_cond_broadcast (id->cond);
  while (!*id->quit)
    g_cond_wait (id->cond, id->lock);
  g_mutex_unlock (id->lock);
  return NULL;
}

static void
fork_with_threads_alive (const char *plugin)
{
  nbdocaml_module *m = open_plugin (plugin);
  nbdocaml_conn *c = open_conn (m, 0);
  struct idler id[FORK_THREADS];
  pthread_t th[FORK_THREADS];
  GMutex lock;
  GCond cond;
  int ready = 0, quit = 0, i, status;

  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (i = 0; i < FORK_THREADS; ++i) {
    id[i] = (struct idler) { c, &lock, &cond, &ready, &quit };
    g_assert_cmpint (pthread_create (&th[i], NULL, idle_after_call, &id[i]),
                     ==, 0);
  }
  g_mutex_lock (&lock);
  while (ready < FORK_THREADS)
    g_cond_wait (&cond, &lock);
  g_mutex_unlock (&lock);

  for (i = 0; i < FORKS; ++i) {
    pid_t pid = fork ();
    g_assert_cmpint (pid, !=, -1);
    if (pid == 0) {
      char buf[512];
      alarm (60);
      _exit (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0) == 0 ? 0 : 2);
    }
    g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
    if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
      g_test_message ("%s: child %d: %s %d", plugin, i,
                      WIFEXITED (status) ? "exit status" : "signal",
                      WIFEXITED (status) ? WEXITSTATUS (status)
                                         : WTERMSIG (status));
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  }

  g_mutex_lock (&lock);
  quit = 1;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);
  for (i = 0; i < FORK_THREADS; ++i)
    pthread_join (th[i], NULL);
  nbdocaml_module_close (m);
  g_cond_clear (&cond);
  g_mutex_clear (&lock);
}

static void test_fork_threads_alive (void)
{ fork_with_threads_alive ("loaddisk"); }
static void test_fork_threads_alive_threads (void)
{ fork_with_threads_alive ("threads_loaddisk"); }

/* The process exits with the module open: what the plugin printed (into
 * OCaml's buffer) still reaches stdout, and exit does not crash. */
static void
test_exit_flushes (void)
{
  if (g_test_subprocess ()) {
    nbdocaml_module *m = open_plugin ("printer");
    (void) open_conn (m, 0);
    exit (0);
  }
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*printed by the plugin, never flushed by it*");
}

/* The same when the module is closed. */
static void
test_close_flushes (void)
{
  if (g_test_subprocess ()) {
    nbdocaml_module_close (open_plugin ("printer"));
    fflush (stdout);
    _exit (0);
  }
  g_test_trap_subprocess (NULL, 0, 0);
  g_test_trap_assert_passed ();
  g_test_trap_assert_stdout ("*printed by the plugin, never flushed by it*");
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  test_add ("/lifecycle/open-close-1000/no-threads", test_cycle);
  test_add ("/lifecycle/open-close-1000/threads-cmxa", test_cycle_threads);
  test_add ("/lifecycle/sigsegv-restored", test_sigsegv_restored);
  test_add ("/lifecycle/close-on-another-thread", test_close_elsewhere);
  test_add ("/lifecycle/fork-with-a-call-in-flight", test_fork_with_call_in_flight);
  test_add ("/lifecycle/fork-while-a-call-holds-the-runtime/no-threads",
            test_fork_while_a_call_holds_the_runtime);
  test_add ("/lifecycle/fork-50-with-8-threads-alive/no-threads",
            test_fork_threads_alive);
  test_add ("/lifecycle/fork-50-with-8-threads-alive/threads-cmxa",
            test_fork_threads_alive_threads);
  g_test_add_func ("/lifecycle/exit-with-module-open-flushes", test_exit_flushes);
  g_test_add_func ("/lifecycle/close-flushes", test_close_flushes);
  return g_test_run ();
}
