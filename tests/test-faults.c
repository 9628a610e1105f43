/* libnbdocaml tests: callbacks that misbehave give errors, never crashes.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * tests/plugins/faults.ml misbehaves in the way its "mode" config key
 * says.  Each case switches the mode on an open connection, checks the
 * error (callback name, exception text, errno), then switches back to "ok"
 * and checks that the same connection still works: a raising callback
 * must leave the module and the connection usable.  Every case runs on
 * the plugin without threads.cmxa and on the one with it, and the stack
 * overflow case also on a thread the runtime has never seen.
 */
#include <config.h>

#include <pthread.h>

#include "test-common.h"

struct fault_case {
  const char *mode;
  const char *message;          /* expected nbdocaml_get_error (), exactly */
  int errnum;
};

/* The exception as Printexc.to_string prints it ("Out of memory", "Stack
 * overflow").  Its constructor is qualified by the plugin's module name,
 * which differs between the two builds; {M} stands for it. */
static const struct fault_case pread_cases[] = {
  { "failure", "pread: Failure(\"boom\")", EIO },
  { "not_found", "pread: Not_found", EIO },
  { "invalid_argument", "pread: Invalid_argument(\"bad argument\")", EIO },
  { "user_exn", "pread: {M}.Custom(\"custom\", 42)", EIO },
  { "out_of_memory", "pread: Out of memory", EIO },
  { "stack_overflow", "pread: Stack overflow", EIO },
  { "exit", "pread: Stdlib.Exit", EIO },
  { "short", "pread: the plugin returned 4095 bytes, 4096 were requested", EIO },
};

static char *
expected_message (const char *plugin, const char *pattern)
{
  char *module = g_strdup (plugin);
  char **parts;
  char *r;

  module[0] = g_ascii_toupper (module[0]);
  parts = g_strsplit (pattern, "{M}", -1);
  r = g_strjoinv (module, parts);
  g_strfreev (parts);
  g_free (module);
  return r;
}

static void
set_mode (nbdocaml_module *m, const char *mode)
{
  g_assert_cmpint (nbdocaml_call_config (m, "mode", mode), ==, 0);
}

/* The connection is healthy: a pread of the "ok" mode returns 'c's. */
static void
assert_usable (nbdocaml_conn *c)
{
  char buf[4096];

  set_mode (nbdocaml_conn_module (c), "ok");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
  g_assert_cmpint (buf[0], ==, 'c');
  g_assert_cmpint (buf[sizeof buf - 1], ==, 'c');
}

static void
check_pread_cases (const char *plugin)
{
  nbdocaml_module *m = open_plugin (plugin);
  nbdocaml_conn *c = open_conn (m, 0);
  char buf[4096];
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (pread_cases); ++i) {
    char *want;

    want = expected_message (plugin, pread_cases[i].message);
    set_mode (m, pread_cases[i].mode);
    g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, -1);
    g_assert_cmpstr (nbdocaml_get_error (), ==, want);
    g_assert_cmpint (nbdocaml_get_errno (), ==, pread_cases[i].errnum);
    g_free (want);
    assert_usable (c);
  }

  /* More bytes than asked for is accepted, as nbdkit 1.16 did. */
  set_mode (m, "long");
  memset (buf, 0, sizeof buf);
  g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, 0);
  g_assert_cmpint (buf[0], ==, 'b');
  g_assert_cmpint (buf[sizeof buf - 1], ==, 'b');

  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static void test_pread_faults (void) { check_pread_cases ("faults"); }
static void test_pread_faults_threads (void) { check_pread_cases ("threads_faults"); }

/* valgrind cannot follow OCaml's recovery from a stack overflow (it
 * runs the guest's signal handler on a stack of its own making): the
 * cases below are reported as skipped under "make check-valgrind". */
static gboolean
skip_overflow_under_valgrind (void)
{
  if (!under_valgrind ())
    return FALSE;
  test_skip ("valgrind cannot follow OCaml's recovery from a stack "
             "overflow");
  return TRUE;
}

/* Stack_overflow on the thread that started the runtime, then the
 * connection is still usable. */
static void
check_overflow (const char *plugin)
{
  nbdocaml_module *m;
  nbdocaml_conn *c;
  char buf[4096];

  if (skip_overflow_under_valgrind ())
    return;
  m = open_plugin (plugin);
  c = open_conn (m, 0);
  set_mode (m, "stack_overflow");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, sizeof buf, 0, 0), ==, -1);
  assert_error (EIO, "pread: Stack overflow");
  g_assert_cmpstr (nbdocaml_get_error (), ==, "pread: Stack overflow");
  assert_usable (c);
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static void test_overflow (void) { check_overflow ("faults"); }
static void test_overflow_threads_cmxa (void) { check_overflow ("threads_faults"); }

/* Stack_overflow on threads that did not start the runtime: OCaml only
 * sets up overflow detection on the thread that called caml_startup. */
static void *
overflow_thread (void *conn)
{
  char buf[16];
  int r = nbdocaml_call_pread (conn, buf, sizeof buf, 0, 0);

  g_assert_cmpint (r, ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "pread: Stack overflow");
  return NULL;
}

static void
check_overflow_on_threads (const char *plugin)
{
  nbdocaml_module *m;
  nbdocaml_conn *c;
  pthread_t t[4];
  int i;

  if (skip_overflow_under_valgrind ())
    return;
  m = open_plugin (plugin);
  c = open_conn (m, 0);
  set_mode (m, "stack_overflow");
  for (i = 0; i < 4; ++i)
    g_assert_cmpint (pthread_create (&t[i], NULL, overflow_thread, c), ==, 0);
  for (i = 0; i < 4; ++i)
    pthread_join (t[i], NULL);
  assert_usable (c);
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static void test_overflow_threads (void) { check_overflow_on_threads ("faults"); }
static void test_overflow_threads_threads (void) { check_overflow_on_threads ("threads_faults"); }

struct extent_log {
  int n;
  uint64_t offset[8], length[8];
};

static int
log_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  struct extent_log *log = opaque;

  if (log->n < 8) {
    log->offset[log->n] = offset;
    log->length[log->n] = length;
  }
  log->n++;
  return 0;
}

/* nbdkit's rules for extents, applied by the library for every host
 * (tests/e2e-extents-rules.sh checks them against nbdkit itself). */
static void
test_extents (void)
{
  nbdocaml_module *m = open_plugin ("faults");
  nbdocaml_conn *c = open_conn (m, 0);
  struct extent_log log = { 0 };

  set_mode (m, "extents_empty");
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 0, 0, log_extent, &log), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "extents: the plugin returned "
                   "no extent covering the requested offset 0");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);

  /* Two extents at the same offset: the first is passed on, the second
   * overlaps it. */
  memset (&log, 0, sizeof log);
  set_mode (m, "extents_overlap");
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 8192, 0, log_extent, &log), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "extents: extents must be "
                   "contiguous and in ascending order: one starts at 8192, "
                   "the previous one ended at 12288");
  g_assert_cmpint (nbdocaml_get_errno (), ==, ERANGE);
  g_assert_cmpint (log.n, ==, 1);

  /* Only a zero-length extent: skipped, so none remain. */
  set_mode (m, "extents_zero_length");
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 0, 0, log_extent, &log), ==, -1);
  assert_error (EINVAL, "extents: the plugin returned no extent covering");

  /* An empty extent between two others: contiguous, so accepted, and not
   * passed on (nbdocaml.h: "empty extents ... are not passed on"). */
  memset (&log, 0, sizeof log);
  set_mode (m, "extents_empty_inside");
  g_assert_cmpint (nbdocaml_call_extents (c, 8192, 0, 0, log_extent, &log), ==, 0);
  g_assert_cmpint (log.n, ==, 2);
  g_assert_cmpuint (log.offset[1], ==, 4096);
  g_assert_cmpuint (log.length[1], ==, 4096);

  /* One extent, but it starts after the requested offset. */
  memset (&log, 0, sizeof log);
  set_mode (m, "extents_range");
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 0, 0, log_extent, &log), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "extents: the first extent "
                   "starts at 1052672, after the requested offset 0");
  g_assert_cmpint (nbdocaml_get_errno (), ==, ERANGE);
  g_assert_cmpint (log.n, ==, 0);

  /* Negative and overflowing extents are judged by nbdkit itself, against
   * a C plugin returning the same list: tests/e2e-extents-rules.sh. */

  memset (&log, 0, sizeof log);
  set_mode (m, "ok");
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 512, 0, log_extent, &log), ==, 0);
  g_assert_cmpint (log.n, ==, 1);
  g_assert_cmpuint (log.offset[0], ==, 512);
  g_assert_cmpuint (log.length[0], ==, 4096);

  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* Values outside the OCaml type (made with Obj.magic) are refused. */
static void
test_out_of_range_enums (void)
{
  nbdocaml_module *m = open_plugin ("faults");
  nbdocaml_conn *c = open_conn (m, 0);

  set_mode (m, "fua_out_of_range");
  g_assert_cmpint (nbdocaml_call_can_fua (c), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "can_fua: returned an out of range value 7");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);

  set_mode (m, "cache_out_of_range");
  g_assert_cmpint (nbdocaml_call_can_cache (c), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "can_cache: returned an out of range value 9");

  /* A bool is 0 or 1: anything else made with Obj.magic is refused. */
  set_mode (m, "bool_out_of_range");
  g_assert_cmpint (nbdocaml_call_can_write (c), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "can_write: returned an out of range value 2");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);

  /* A size is never negative. */
  set_mode (m, "negative_size");
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "get_size: returned a negative size -1");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);

  set_mode (m, "ok");
  g_assert_cmpint (nbdocaml_call_can_fua (c), ==, NBDOCAML_FUA_NONE);
  g_assert_cmpint (nbdocaml_call_can_cache (c), ==, NBDOCAML_CACHE_NONE);
  g_assert_cmpint (nbdocaml_call_can_write (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, 1048576);
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* A raising close still frees the connection (valgrind checks that); a
 * raising open gives no connection; a raising unload does not stop the
 * module from closing. */
static void
test_lifecycle_callbacks_raise (void)
{
  nbdocaml_module *m = open_plugin ("faults");
  nbdocaml_conn *c = open_conn (m, 0);

  set_mode (m, "close_raises");
  g_assert_cmpint (nbdocaml_call_close (c), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "close: Failure(\"close failed\")");

  set_mode (m, "open_raises");
  g_assert_null (nbdocaml_call_open (m, 0));
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "open_connection: Failure(\"open failed\")");

  set_mode (m, "unload_raises");
  g_assert_cmpint (nbdocaml_call_unload (m), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "unload: Failure(\"unload failed\")");

  /* Still usable after all that. */
  set_mode (m, "ok");
  c = open_conn (m, 1);
  assert_usable (c);
  nbdocaml_module_close (m);    /* closes c too */
}

/* A load that raised did not load the plugin: nothing is unloaded at
 * the end unless the host asks for nbdkit's rule (unload is due even
 * without a load), and a load that worked is unloaded once. */
static void
test_failed_load_is_not_unloaded (void)
{
  struct collector col;
  nbdocaml_module *m;

  collector_init (&col);
  m = open_plugin_copy ("faults");
  collector_attach (&col, m);
  set_mode (m, "load_raises");
  g_assert_cmpint (nbdocaml_call_load (m), ==, -1);
  assert_error (EIO, "load: Failure(\"load failed\")");
  g_assert_cmpint (nbdocaml_module_shutdown (m, 0, NULL, NULL), ==, 0);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col, "load"), ==, 1);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 0);

  /* A load that failed, then one that worked: unloaded once. */
  collector_clear (&col);
  m = open_plugin_copy ("faults");
  collector_attach (&col, m);
  set_mode (m, "load_raises");
  g_assert_cmpint (nbdocaml_call_load (m), ==, -1);
  set_mode (m, "ok");
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);

  /* With NBDOCAML_SHUTDOWN_UNLOAD, as nbdkit does it: unload is due even
   * after a failed load. */
  collector_clear (&col);
  m = open_plugin_copy ("faults");
  collector_attach (&col, m);
  set_mode (m, "load_raises");
  g_assert_cmpint (nbdocaml_call_load (m), ==, -1);
  g_assert_cmpint (nbdocaml_module_shutdown (m, NBDOCAML_SHUTDOWN_UNLOAD,
                                             NULL, NULL), ==, 0);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  collector_free (&col);
}

int
main (int argc, char **argv)
{
  test_init (&argc, &argv);
  test_add ("/faults/pread/exceptions", test_pread_faults);
  test_add ("/faults/pread/exceptions-threads-cmxa", test_pread_faults_threads);
  test_add ("/faults/stack-overflow/starting-thread", test_overflow);
  test_add ("/faults/stack-overflow/starting-thread-threads-cmxa",
            test_overflow_threads_cmxa);
  test_add ("/faults/stack-overflow/host-threads", test_overflow_threads);
  test_add ("/faults/stack-overflow/host-threads-threads-cmxa",
            test_overflow_threads_threads);
  test_add ("/faults/extents/rules", test_extents);
  test_add ("/faults/enums/out-of-range", test_out_of_range_enums);
  test_add ("/faults/lifecycle-callbacks-raise", test_lifecycle_callbacks_raise);
  test_add ("/faults/failed-load-is-not-unloaded",
            test_failed_load_is_not_unloaded);
  return g_test_run ();
}
