/* libnbdocaml tests: exceptions as OCaml prints them, through the C API.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The message of a raising callback is Printexc.to_string's (registered
 * printers, escaped strings, not cut at 256 bytes); an uncaught
 * Unix.Unix_error gives its errno unless the callback called
 * NBDKit.set_error; and a backtrace, when the plugin records them
 * (Printexc.record_backtrace or OCAMLRUNPARAM=b), reaches the module's
 * debug handler line by line.  The plugin is r128_exceptions.ml (built
 * with -g), one private copy per test so that each starts afresh.
 */
#include <config.h>

#include <stdio.h>

#include "test-common.h"

/* Configure raise=KIND (and backtrace=), call pread, and return the
 * module so that the caller can look at the debug messages. */
static nbdocaml_module *
pread_raising (const char *kind, const char *backtrace,
               struct collector *col)
{
  nbdocaml_module *m = open_plugin_copy ("r128_exceptions");
  nbdocaml_conn *c;
  char buf[512];

  if (col)
    collector_attach (col, m);
  g_assert_cmpint (nbdocaml_call_config (m, "raise", kind), ==, 0);
  if (backtrace)
    g_assert_cmpint (nbdocaml_call_config (m, "backtrace", backtrace), ==, 0);
  c = open_conn (m, 0);
  g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, -1);
  /* Keep the error: close succeeds and leaves it alone. */
  nbdocaml_call_close (c);
  return m;
}

static void
check_message (const char *kind, const char *expected, int errnum)
{
  nbdocaml_module *m = pread_raising (kind, NULL, NULL);

  g_assert_cmpstr (nbdocaml_get_error (), ==, expected);
  g_assert_cmpint (nbdocaml_get_errno (), ==, errnum);
  nbdocaml_module_close (m);
}

static void
test_unix_error_enoent (void)
{
  check_message ("unix",
                 "pread: Unix.Unix_error(Unix.ENOENT, \"open\", \"gone.img\")",
                 ENOENT);
}

static void
test_unix_error_erofs (void)
{
  check_message ("erofs",
                 "pread: Unix.Unix_error(Unix.EROFS, \"write\", \"disk.img\")",
                 EROFS);
}

static void
test_set_error_wins (void)
{
  check_message ("set_error",
                 "pread: Unix.Unix_error(Unix.EROFS, \"write\", \"disk.img\")",
                 ENOSPC);
}

static void
test_unknown_errno (void)
{
  check_message ("unknown",
                 "pread: Unix.Unix_error(Unix.EUNKNOWNERR 200, \"ioctl\", \"\")",
                 200);
}

static void
test_escaped_string (void)
{
  check_message ("quote", "pread: Failure(\"say \\\"hi\\\"\\nand go\")", EIO);
}

static void
test_registered_printer (void)
{
  check_message ("printer", "pread: the disk is on fire (451 degrees)", EIO);
}

/* caml_format_exception stopped at 256 bytes; now only the error buffer
 * (1024 bytes with the prefix) limits the message. */
static void
test_long_message (void)
{
  nbdocaml_module *m = pread_raising ("long", NULL, NULL);
  const char *msg = nbdocaml_get_error ();

  g_assert_true (g_str_has_prefix (msg, "pread: Failure(\"xxxx"));
  g_assert_cmpuint (strlen (msg), >, 1000);
  nbdocaml_module_close (m);
}

/* How many collected messages start with prefix and contain needle. */
static guint
count_lines (struct collector *col, const char *prefix, const char *needle)
{
  guint i, n = 0;

  g_mutex_lock (&col->lock);
  for (i = 0; i < col->msgs->len; ++i) {
    const char *msg = g_ptr_array_index (col->msgs, i);
    if (g_str_has_prefix (msg, prefix) && (!needle || strstr (msg, needle)))
      n++;
  }
  g_mutex_unlock (&col->lock);
  return n;
}

/* With Printexc.record_backtrace true: one debug line per frame, the
 * innermost first, naming the plugin's source. */
static void
test_backtrace_recorded (void)
{
  struct collector col;
  nbdocaml_module *m;

  collector_init (&col);
  m = pread_raising ("nested", "true", &col);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "pread: Failure(\"deep down\")");
  g_assert_cmpuint (count_lines (&col, "pread: backtrace: Raised at", NULL),
                    ==, 1);
  g_assert_cmpuint (count_lines (&col, "pread: backtrace: Called from",
                                 "\"r128_exceptions.ml\""), >=, 2);
  g_assert_cmpuint (count_lines (&col, "pread: backtrace: ", "middle"), >=, 1);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* Without it, nothing. */
static void
test_no_backtrace_by_default (void)
{
  struct collector col;
  nbdocaml_module *m;

  collector_init (&col);
  m = pread_raising ("nested", NULL, &col);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "pread: Failure(\"deep down\")");
  g_assert_cmpuint (count_lines (&col, "pread: backtrace:", NULL), ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);
}

/* OCAMLRUNPARAM=b, read by the runtime when it starts. */
static void
test_backtrace_ocamlrunparam (void)
{
  struct collector col;
  nbdocaml_module *m;

  collector_init (&col);
  g_setenv ("OCAMLRUNPARAM", "b", TRUE);
  m = pread_raising ("unix", NULL, &col);
  g_unsetenv ("OCAMLRUNPARAM");
  g_assert_cmpint (nbdocaml_get_errno (), ==, ENOENT);
  g_assert_cmpuint (count_lines (&col, "pread: backtrace: ",
                                 "\"r128_exceptions.ml\""), >=, 1);
  nbdocaml_module_close (m);
  collector_free (&col);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  g_unsetenv ("OCAMLRUNPARAM");
  test_add ("/exceptions/unix-error-enoent", test_unix_error_enoent);
  test_add ("/exceptions/unix-error-erofs", test_unix_error_erofs);
  test_add ("/exceptions/set-error-wins-over-unix-error",
            test_set_error_wins);
  test_add ("/exceptions/unix-error-eunknownerr", test_unknown_errno);
  test_add ("/exceptions/strings-escaped", test_escaped_string);
  test_add ("/exceptions/registered-printer", test_registered_printer);
  test_add ("/exceptions/long-message-not-cut-at-256",
            test_long_message);
  test_add ("/exceptions/backtrace/record-backtrace",
            test_backtrace_recorded);
  test_add ("/exceptions/backtrace/none-by-default",
            test_no_backtrace_by_default);
  test_add ("/exceptions/backtrace/ocamlrunparam-b",
            test_backtrace_ocamlrunparam);
  return g_test_run ();
}
