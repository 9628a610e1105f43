/* libnbdocaml tests: where NBDKit.debug messages go.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * nbdocaml.h: a handler receives the module whose code produced the
 * message (during nbdocaml_module_open, the handle being opened); a
 * module's own handler wins over the process-wide default, and NULL
 * restores the default; without any handler the built-in default writes
 * "nbdocaml: NAME: debug: MESSAGE" to stderr when LIBNBDOCAML_DEBUG is set
 * to a non-empty value other than "0", and nothing otherwise.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "test-common.h"

/* A module's own handler gets every message of that module with the
 * module itself, through whichever of two handles sharing one runtime the
 * call came. */
static void
test_handler_gets_the_module (void)
{
  struct collector ca, cb;
  char *copy = plugin_copy ("full");
  nbdocaml_module *a, *b;
  nbdocaml_conn *c;

  collector_init (&ca);
  collector_init (&cb);
  a = nbdocaml_module_open (copy, 0);
  b = nbdocaml_module_open (copy, 0);
  g_assert_nonnull (a);
  g_assert_nonnull (b);
  g_unlink (copy);
  collector_attach (&ca, a);
  collector_attach (&cb, b);
  g_assert_cmpint (nbdocaml_call_load (a), ==, 0);
  g_assert_cmpint (nbdocaml_call_config (b, "debug", "x"), ==, 0);
  c = open_conn (a, 0);
  g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  g_assert_cmpuint (ca.msgs->len, ==, 3);      /* load, open, close */
  g_assert_cmpuint (cb.msgs->len, ==, 2);      /* config, debug message */
  g_assert_cmpuint (collector_count_not_from (&ca, a), ==, 0);
  g_assert_cmpuint (collector_count_not_from (&cb, b), ==, 0);
  nbdocaml_module_close (b);
  nbdocaml_module_close (a);
  collector_free (&ca);
  collector_free (&cb);
  g_free (copy);
}

/* The process-wide handler serves modules without a handler of their
 * own, including the module being opened while its top-level code runs
 * (api_counter says "api_counter: top-level" there); a module's own
 * handler takes over, and NULL gives the default back. */
static void
test_default_handler (void)
{
  struct collector def, own;
  char *copy = plugin_copy ("api_counter");
  nbdocaml_module *m;
  nbdocaml_conn *c;

  collector_init (&def);
  collector_init (&own);
  nbdocaml_set_debug_handler (collector_handler, &def);
  m = nbdocaml_module_open (copy, 0);
  g_assert_nonnull (m);
  g_unlink (copy);
  g_assert_cmpuint (collector_count (&def, "api_counter: top-level"), ==, 1);
  g_assert_cmpuint (def.msgs->len, ==, 1);
  /* The handle that nbdocaml_module_open then returned. */
  g_assert_true (g_ptr_array_index (def.mods, 0) == m);

  /* full.ml's messages, first to the default, then to its own. */
  nbdocaml_module_close (m);
  g_free (copy);
  copy = plugin_copy ("full");
  m = nbdocaml_module_open (copy, 0);
  g_assert_nonnull (m);
  g_unlink (copy);
  collector_clear (&def);
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  g_assert_cmpuint (collector_count (&def, "load"), ==, 1);
  g_assert_cmpuint (collector_count_not_from (&def, m), ==, 0);
  collector_attach (&own, m);
  c = open_conn (m, 1);
  g_assert_cmpuint (collector_count (&own, "open true"), ==, 1);
  g_assert_cmpuint (collector_count (&def, "open true"), ==, 0);
  g_assert_cmpuint (collector_count_not_from (&own, m), ==, 0);
  nbdocaml_module_set_debug_handler (m, NULL, NULL);
  g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  g_assert_cmpuint (collector_count (&def, "close 1"), ==, 1);
  g_assert_cmpuint (collector_count (&own, "close 1"), ==, 0);
  g_assert_cmpuint (collector_count_not_from (&def, m), ==, 0);

  /* And NULL for the process-wide one leaves the built-in default (which
   * writes nothing here: see the next test). */
  nbdocaml_set_debug_handler (NULL, NULL);
  collector_clear (&def);
  g_assert_cmpint (nbdocaml_call_unload (m), ==, 0);
  g_assert_cmpuint (def.msgs->len, ==, 0);
  nbdocaml_module_close (m);
  collector_free (&def);
  collector_free (&own);
  g_free (copy);
}

/* Run load on a fresh copy of full.ml with no handler at all and
 * LIBNBDOCAML_DEBUG set to value (NULL: unset); what it wrote to stderr. */
static char *
stderr_of_load (const char *value)
{
  char *copy = plugin_copy ("full"), *file, *text = NULL;
  nbdocaml_module *m;
  int fd, saved;

  if (value)
    g_setenv ("LIBNBDOCAML_DEBUG", value, TRUE);
  else
    g_unsetenv ("LIBNBDOCAML_DEBUG");
  fd = g_file_open_tmp ("nbdocaml-stderr-XXXXXX", &file, NULL);
  g_assert_cmpint (fd, >=, 0);
  m = nbdocaml_module_open (copy, 0);
  g_assert_nonnull (m);
  g_unlink (copy);
  fflush (stderr);
  saved = dup (STDERR_FILENO);
  g_assert_cmpint (dup2 (fd, STDERR_FILENO), ==, STDERR_FILENO);
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  g_assert_cmpint (nbdocaml_call_config (m, "debug", "ho"), ==, 0);
  fflush (stderr);
  g_assert_cmpint (dup2 (saved, STDERR_FILENO), ==, STDERR_FILENO);
  close (saved);
  close (fd);
  nbdocaml_module_close (m);
  g_assert_true (g_file_get_contents (file, &text, NULL, NULL));
  g_unlink (file);
  g_free (file);
  g_free (copy);
  g_unsetenv ("LIBNBDOCAML_DEBUG");
  return text;
}

static void
test_env_default (void)
{
  static const char *const quiet[] = { NULL, "", "0" };
  static const char *const loud[] = { "1", "yes", "00" };
  size_t i;

  nbdocaml_set_debug_handler (NULL, NULL);
  for (i = 0; i < G_N_ELEMENTS (quiet); ++i) {
    char *text = stderr_of_load (quiet[i]);
    g_test_message ("LIBNBDOCAML_DEBUG=%s", quiet[i] ? quiet[i] : "(unset)");
    g_assert_cmpstr (text, ==, "");
    g_free (text);
  }
  for (i = 0; i < G_N_ELEMENTS (loud); ++i) {
    char *text = stderr_of_load (loud[i]);
    g_test_message ("LIBNBDOCAML_DEBUG=%s", loud[i]);
    g_assert_cmpstr (text, ==,
                     "nbdocaml: full: debug: load\n"
                     "nbdocaml: full: debug: config debug=ho\n"
                     "nbdocaml: full: debug: debug message: ho 42\n");
    g_free (text);
  }
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/debug/handler-gets-the-module", test_handler_gets_the_module);
  test_add ("/debug/default-handler-and-module-handler",
            test_default_handler);
  test_add ("/debug/LIBNBDOCAML_DEBUG-without-handlers", test_env_default);
  return g_test_run ();
}
