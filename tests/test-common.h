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
};

static inline void
collector_init (struct collector *col)
{
  g_mutex_init (&col->lock);
  g_cond_init (&col->added);
  col->msgs = g_ptr_array_new_with_free_func (g_free);
}

static inline void
collector_clear (struct collector *col)
{
  g_mutex_lock (&col->lock);
  g_ptr_array_set_size (col->msgs, 0);
  g_mutex_unlock (&col->lock);
}

static inline void
collector_free (struct collector *col)
{
  g_ptr_array_unref (col->msgs);
  g_cond_clear (&col->added);
  g_mutex_clear (&col->lock);
}

static void
collector_handler (void *opaque, const nbdocaml_module *m, const char *msg)
{
  struct collector *col = opaque;

  (void) m;
  g_mutex_lock (&col->lock);
  g_ptr_array_add (col->msgs, g_strdup (msg));
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

#endif /* NBDOCAML_TEST_COMMON_H */
