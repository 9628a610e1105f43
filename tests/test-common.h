/* libnbdocaml tests: helpers shared by the g_test programs.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Everything is static so that each test program includes its own copy.
 */
#ifndef NBDOCAML_TEST_COMMON_H
#define NBDOCAML_TEST_COMMON_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "nbdocaml.h"

/* The path of the test plugin NAME, tests/plugins/nbdkit-NAME-plugin.so.
 * make check sets PLUGINS to the absolute directory; without it (running
 * a test by hand from the top build directory) the relative one is used,
 * with a "./" because module_open never searches for a bare name. */
static inline char *
plugin_path (const char *name)
{
  const char *dir = g_getenv ("PLUGINS");
  char *file = g_strdup_printf ("nbdkit-%s-plugin.so", name);
  char *path = g_build_filename (dir ? dir : "./tests/plugins", file, NULL);

  g_free (file);
  return path;
}

/* A file in the plugin directory that is not named like a plugin. */
static inline char *
plugins_file (const char *file)
{
  const char *dir = g_getenv ("PLUGINS");

  return g_build_filename (dir ? dir : "./tests/plugins", file, NULL);
}

/* Open the test plugin NAME, failing the test with the library's message
 * if it does not open. */
static inline nbdocaml_module *
open_plugin (const char *name)
{
  char *path = plugin_path (name);
  nbdocaml_module *m = nbdocaml_module_open (path, 0);

  if (m == NULL)
    g_error ("nbdocaml_module_open (%s): %s (errno %d)", path,
             nbdocaml_get_error (), nbdocaml_get_errno ());
  g_free (path);
  return m;
}

/* A private copy of the test plugin NAME: the same code in a file of its
 * own, so a runtime of its own in its initial state whatever this process
 * opened before.  A test that configures a plugin or counts on its initial
 * state needs one, because an OCaml 5 runtime outlives its last handle
 * (see nbdocaml_module_open): the next open of the same file finds the
 * state the previous test left.  Returns the copy's path (free it; unlink
 * the file once it is open). */
static inline char *
plugin_copy (const char *name)
{
  static int serial;
  char *path = plugin_path (name);
  char *copy = g_strdup_printf ("%s.copy-%d-%d.so", path, (int) getpid (),
                                g_atomic_int_add (&serial, 1));
  gchar *data;
  gsize len;

  if (!g_file_get_contents (path, &data, &len, NULL) ||
      !g_file_set_contents (copy, data, len, NULL))
    g_error ("cannot copy %s to %s", path, copy);
  g_free (data);
  g_free (path);
  return copy;
}

/* Open a private copy of the test plugin NAME (see plugin_copy). */
static inline nbdocaml_module *
open_plugin_copy (const char *name)
{
  char *copy = plugin_copy (name);
  nbdocaml_module *m = nbdocaml_module_open (copy, 0);

  if (m == NULL)
    g_error ("nbdocaml_module_open (%s): %s (errno %d)", copy,
             nbdocaml_get_error (), nbdocaml_get_errno ());
  g_unlink (copy);
  g_free (copy);
  return m;
}

/* Open a connection, failing the test with the library's message if the
 * plugin refuses. */
static inline nbdocaml_conn *
open_conn (nbdocaml_module *m, int readonly)
{
  nbdocaml_conn *c = nbdocaml_call_open (m, readonly);

  if (c == NULL)
    g_error ("nbdocaml_call_open (%s): %s (errno %d)",
             nbdocaml_module_name (m), nbdocaml_get_error (),
             nbdocaml_get_errno ());
  return c;
}

/* Assert that the last call on this thread failed with errno ERRNUM and a
 * message starting with PREFIX. */
#define assert_error(errnum, prefix)                                        \
  G_STMT_START {                                                            \
    const char *msg_ = nbdocaml_get_error ();                               \
    g_assert_nonnull (msg_);                                                \
    g_assert_true (g_str_has_prefix (msg_, (prefix)));                      \
    g_assert_cmpint (nbdocaml_get_errno (), ==, (errnum));                  \
  } G_STMT_END

/* Collects the NBDKit.debug messages of the modules it is attached to, so
 * that tests can check what arguments reached the OCaml callbacks.  The
 * plugins' debug handlers may run on any thread, hence the mutex. */
struct collector {
  GMutex lock;
  GCond added;                  /* signalled on every new message */
  GPtrArray *msgs;              /* of char * */
  GPtrArray *mods;              /* the module each message came with */
};

static inline void
collector_init (struct collector *col)
{
  g_mutex_init (&col->lock);
  g_cond_init (&col->added);
  col->msgs = g_ptr_array_new_with_free_func (g_free);
  col->mods = g_ptr_array_new ();
}

static inline void
collector_clear (struct collector *col)
{
  g_mutex_lock (&col->lock);
  g_ptr_array_set_size (col->msgs, 0);
  g_ptr_array_set_size (col->mods, 0);
  g_mutex_unlock (&col->lock);
}

static inline void
collector_free (struct collector *col)
{
  g_ptr_array_unref (col->msgs);
  g_ptr_array_unref (col->mods);
  g_cond_clear (&col->added);
  g_mutex_clear (&col->lock);
}

static void
collector_handler (void *opaque, const nbdocaml_module *m, const char *msg)
{
  struct collector *col = opaque;

  g_mutex_lock (&col->lock);
  g_ptr_array_add (col->msgs, g_strdup (msg));
  g_ptr_array_add (col->mods, (gpointer) m);
  g_cond_broadcast (&col->added);
  g_mutex_unlock (&col->lock);
}

/* Route m's debug messages to col. */
static inline void
collector_attach (struct collector *col, nbdocaml_module *m)
{
  nbdocaml_module_set_debug_handler (m, collector_handler, col);
}

/* How many collected messages equal msg. */
static inline guint
collector_count (struct collector *col, const char *msg)
{
  guint i, n = 0;

  g_mutex_lock (&col->lock);
  for (i = 0; i < col->msgs->len; ++i)
    if (strcmp (g_ptr_array_index (col->msgs, i), msg) == 0)
      n++;
  g_mutex_unlock (&col->lock);
  return n;
}

/* Wait until a message equal to msg has been collected, for at most
 * seconds; TRUE if it was.  Tests use it to know that a plugin reached a
 * point (it says so with NBDKit.debug) instead of sleeping and hoping. */
static inline gboolean
collector_wait_for (struct collector *col, const char *msg, int seconds)
{
  gint64 deadline = g_get_monotonic_time () + seconds * G_TIME_SPAN_SECOND;
  gboolean found = FALSE;
  guint seen = 0;

  g_mutex_lock (&col->lock);
  while (!found) {
    for (; seen < col->msgs->len && !found; ++seen)
      found = strcmp (g_ptr_array_index (col->msgs, seen), msg) == 0;
    if (!found && !g_cond_wait_until (&col->added, &col->lock, deadline))
      break;
  }
  g_mutex_unlock (&col->lock);
  return found;
}

/* How many collected messages came with a module other than m. */
static inline guint
collector_count_not_from (struct collector *col, const nbdocaml_module *m)
{
  guint i, n = 0;

  g_mutex_lock (&col->lock);
  for (i = 0; i < col->mods->len; ++i)
    if (g_ptr_array_index (col->mods, i) != m)
      n++;
  g_mutex_unlock (&col->lock);
  return n;
}

/* The last collected message (a copy, to be freed), or NULL. */
static inline char *
collector_last (struct collector *col)
{
  char *r = NULL;

  g_mutex_lock (&col->lock);
  if (col->msgs->len > 0)
    r = g_strdup (g_ptr_array_index (col->msgs, col->msgs->len - 1));
  g_mutex_unlock (&col->lock);
  return r;
}

/* Assert that the last debug message was exactly expected. */
#define assert_last_debug(col, expected)                                    \
  G_STMT_START {                                                            \
    char *last_ = collector_last (col);                                     \
    g_assert_cmpstr (last_, ==, (expected));                                \
    g_free (last_);                                                         \
  } G_STMT_END

/* Fill buf with bytes from a generator seeded by seed, so that every test
 * run and every thread writes data of its own. */
static inline void
fill_random (GRand *rand, void *buf, size_t len)
{
  unsigned char *p = buf;
  size_t i;

  for (i = 0; i < len; ++i)
    p[i] = (unsigned char) g_rand_int_range (rand, 0, 256);
}

/* Whether the test runs under "make check-valgrind", where tests that
 * count or time things scale down and valgrind's own memory use hides
 * RSS figures. */
static inline int
under_valgrind (void)
{
  return g_strcmp0 (g_getenv ("NBDOCAML_VALGRIND"), "1") == 0;
}

/* The major version of the OCaml the plugins were built with (make check
 * says; 4 when run by hand without it). */
static inline int
ocaml_major (void)
{
  const char *v = g_getenv ("OCAML_MAJOR");
  return v ? atoi (v) : 4;
}

/* -- every case in a process of its own -------------------------------
 *
 * A failed assertion aborts the process, and a crash or a deadlock ends
 * or stalls it: run in one process, the first failed case would hide
 * every later one.  So each case registered with test_add runs in a
 * subprocess of its own (GLib's g_test_trap_subprocess: the test program
 * runs itself with -p PATH), under a timeout, and the parent, whose
 * assertions are non-fatal, reports it as failed and goes on with the
 * next case.  The child's stderr (GLib's message for a failed assertion,
 * or valgrind's report) is shown as TAP comments of the failed case.
 *
 * A case that cannot apply calls test_skip, which tells the parent
 * through a file named in the environment, so that it is reported as a
 * skip rather than a failure.  Cases that run g_test_trap_subprocess
 * themselves are registered with g_test_add_func instead. */

/* The most one case may take, in seconds: tests/run-test passes half its
 * own bound for the whole program (NBDOCAML_CASE_TIMEOUT). */
static inline guint64
case_timeout_usec (void)
{
  const char *s = g_getenv ("NBDOCAML_CASE_TIMEOUT");
  guint64 sec = s ? g_ascii_strtoull (s, NULL, 10) : 0;

  return (sec ? sec : 600) * G_USEC_PER_SEC;
}

struct test_case {
  void (*fn) (void);
  void (*data_fn) (gconstpointer);
  gconstpointer data;
};

/* The cases, in static storage: GLib keeps the pointer it is given. */
#define MAX_CASES 256
static struct test_case test_cases[MAX_CASES];
static int n_test_cases;

/* Where a case's subprocess writes why it skipped (the parent's). */
static char *skip_file;

/* Report the current case as skipped, with the reason. */
static inline void
test_skip (const char *why)
{
  const char *file = g_getenv ("NBDOCAML_TEST_SKIP_FILE");

  if (g_test_subprocess () && file)
    g_file_set_contents (file, why, -1, NULL);
  g_test_skip (why);
}

static void
run_case (gconstpointer data)
{
  const struct test_case *tc = data;
  char *why = NULL;

  if (g_test_subprocess ()) {
    if (tc->fn)
      tc->fn ();
    else
      tc->data_fn (tc->data);
    return;
  }
  g_assert_true (g_file_set_contents (skip_file, "", 0, NULL));
  g_test_trap_subprocess (NULL, case_timeout_usec (),
                          G_TEST_SUBPROCESS_DEFAULT);
  if (g_file_get_contents (skip_file, &why, NULL, NULL) && why[0] != '\0')
    g_test_skip (why);
  else {
    if (g_test_trap_reached_timeout ())
      g_test_message ("the case did not finish within %" G_GUINT64_FORMAT
                      " s", case_timeout_usec () / G_USEC_PER_SEC);
    g_test_trap_assert_passed ();
  }
  g_free (why);
}

static inline struct test_case *
new_case (void)
{
  if (n_test_cases == MAX_CASES)
    g_error ("more than %d test cases: raise MAX_CASES", MAX_CASES);
  return &test_cases[n_test_cases++];
}

/* Register fn as the case path, run in a subprocess of its own. */
static inline void
test_add (const char *path, void (*fn) (void))
{
  struct test_case *tc = new_case ();

  tc->fn = fn;
  g_test_add_data_func (path, tc, run_case);
}

/* The same for fn (data). */
static inline void
test_add_data (const char *path, gconstpointer data,
               void (*fn) (gconstpointer))
{
  struct test_case *tc = new_case ();

  tc->data_fn = fn;
  tc->data = data;
  g_test_add_data_func (path, tc, run_case);
}

static void
remove_skip_file (void)
{
  if (skip_file) {
    g_unlink (skip_file);
    g_free (skip_file);
    skip_file = NULL;
  }
}

/* g_test_init; then, in the parent, which only judges its subprocesses,
 * non-fatal assertions (a failed case must not stop the next ones) and
 * the skip file, named in the environment before any thread exists. */
static inline void
test_init (int *argc, char ***argv)
{
  int fd;

  g_test_init (argc, argv, NULL);
  if (g_test_subprocess ())
    return;
  g_test_set_nonfatal_assertions ();
  fd = g_file_open_tmp ("nbdocaml-skip-XXXXXX", &skip_file, NULL);
  if (fd == -1)
    g_error ("cannot create a temporary file");
  close (fd);
  g_setenv ("NBDOCAML_TEST_SKIP_FILE", skip_file, TRUE);
  atexit (remove_skip_file);
}

#endif /* NBDOCAML_TEST_COMMON_H */
