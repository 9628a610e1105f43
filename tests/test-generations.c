/* libnbdocaml tests: the callbacks of nbdkit 1.17 - 1.30 and the counts
 * of both OCaml APIs, through the C API.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * r128_testplugin.ml (the record API of nbdkit 1.28) and
 * l132_testplugin.ml (the labelled API of nbdkit 1.32) register the same
 * callbacks and report each call through NBDKit.debug, so every test of a
 * new callback runs on both.  sparse.ml and l132_sparse.ml, 8 GiB sparse
 * disks, show how trim, zero, cache and extents of 2 GiB and more reach
 * each API.  The test plugins' open_connection asks for the export name
 * and the client's credentials, which a C host supplies with hooks: this
 * program installs some (test-hooks covers them in detail).
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>

#include "test-common.h"

#define GiB (UINT32_C (1) << 30)

static const char *
hook_export_name (void *opaque, const nbdocaml_module *m)
{
  (void) opaque; (void) m;
  return "disk2";
}

static int
hook_is_tls (void *opaque, const nbdocaml_module *m)
{
  (void) opaque; (void) m;
  return 0;
}

static int64_t
hook_peer (void *opaque, const nbdocaml_module *m)
{
  (void) opaque; (void) m;
  return 7;
}

static void
install_hooks (void)
{
  struct nbdocaml_host_hooks h = {
    .size = sizeof h,
    .export_name = hook_export_name,
    .is_tls = hook_is_tls,
    .peer_pid = hook_peer, .peer_uid = hook_peer, .peer_gid = hook_peer,
  };

  g_assert_cmpint (nbdocaml_set_host_hooks (&h, NULL), ==, 0);
}

struct fixture {
  struct collector col;
  nbdocaml_module *m;
};

static void
fixture_open (struct fixture *f, const char *plugin)
{
  collector_init (&f->col);
  f->m = open_plugin (plugin);
  collector_attach (&f->col, f->m);
}

static void
fixture_close (struct fixture *f)
{
  nbdocaml_module_close (f->m);
  collector_free (&f->col);
}

/* The two generations of the same test plugin. */
static const char *const testplugins[] = { "r128_testplugin",
                                           "l132_testplugin" };

/* -- the lifecycle callbacks ------------------------------------------- */

static void
test_lifecycle (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (testplugins); ++i) {
    struct fixture f;

    fixture_open (&f, testplugins[i]);
    g_assert_cmpint (nbdocaml_call_get_ready (f.m), ==, 0);
    assert_last_debug (&f.col, "get_ready");
    /* No fork happened between the two: the plugin sees the same pid. */
    g_assert_cmpint (nbdocaml_call_after_fork (f.m), ==, 0);
    assert_last_debug (&f.col, "after_fork forked=false");
    g_assert_cmpint (nbdocaml_call_cleanup (f.m), ==, 0);
    assert_last_debug (&f.col, "cleanup");
    g_assert_cmpuint (f.col.msgs->len, ==, 3);
    fixture_close (&f);
  }
}

static void
test_preconnect (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (testplugins); ++i) {
    struct fixture f;

    fixture_open (&f, testplugins[i]);
    g_assert_cmpint (nbdocaml_call_preconnect (f.m, 1), ==, 0);
    assert_last_debug (&f.col, "preconnect readonly=true");
    /* Refusing is raising: the errno the plugin set, and its message. */
    g_assert_cmpint (nbdocaml_call_config (f.m, "refuse", "true"), ==, 0);
    g_assert_cmpint (nbdocaml_call_preconnect (f.m, 0), ==, -1);
    assert_error (EACCES, "preconnect: Failure(\"this client is refused "
                  "by preconnect\")");
    assert_last_debug (&f.col, "preconnect readonly=false");
    fixture_close (&f);
  }
}

/* -- exports ------------------------------------------------------------ */

struct exports {
  GPtrArray *names, *descriptions;      /* "(none)" for NULL */
  int fail_at;                          /* add fails at this index, or -1 */
};

static int
collect_export (void *opaque, const char *name, const char *description)
{
  struct exports *e = opaque;

  if ((int) e->names->len == e->fail_at) {
    errno = ENOSPC;
    return -1;
  }
  g_ptr_array_add (e->names, g_strdup (name));
  g_ptr_array_add (e->descriptions,
                   g_strdup (description ? description : "(none)"));
  return 0;
}

static void
exports_init (struct exports *e, int fail_at)
{
  e->names = g_ptr_array_new_with_free_func (g_free);
  e->descriptions = g_ptr_array_new_with_free_func (g_free);
  e->fail_at = fail_at;
}

static void
exports_free (struct exports *e)
{
  g_ptr_array_unref (e->names);
  g_ptr_array_unref (e->descriptions);
}

static void
test_list_exports (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (testplugins); ++i) {
    struct fixture f;
    struct exports e;

    fixture_open (&f, testplugins[i]);
    exports_init (&e, -1);
    g_assert_cmpint (nbdocaml_call_list_exports (f.m, 0, 1, collect_export,
                                                 &e), ==, 0);
    assert_last_debug (&f.col, "list_exports readonly=false tls=true");
    g_assert_cmpuint (e.names->len, ==, 2);
    g_assert_cmpstr (g_ptr_array_index (e.names, 0), ==, "disk1");
    g_assert_cmpstr (g_ptr_array_index (e.descriptions, 0), ==,
                     "the first disk");
    g_assert_cmpstr (g_ptr_array_index (e.names, 1), ==, "disk2");
    g_assert_cmpstr (g_ptr_array_index (e.descriptions, 1), ==, "(none)");
    exports_free (&e);

    /* The host's add failing stops the list and fails the call with its
     * errno. */
    exports_init (&e, 1);
    g_assert_cmpint (nbdocaml_call_list_exports (f.m, 0, 0, collect_export,
                                                 &e), ==, -1);
    assert_error (ENOSPC, "list_exports: the host rejected the export "
                  "'disk2'");
    g_assert_cmpuint (e.names->len, ==, 1);
    exports_free (&e);

    g_assert_cmpint (nbdocaml_call_list_exports (f.m, 0, 0, NULL, NULL),
                     ==, -1);
    assert_error (EINVAL, "list_exports: ");
    fixture_close (&f);
  }
}

static void
test_default_export_and_description (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (testplugins); ++i) {
    struct fixture f;
    nbdocaml_conn *c;
    char *s, *expected;

    fixture_open (&f, testplugins[i]);
    s = nbdocaml_call_default_export (f.m, 0, 0);
    g_assert_cmpstr (s, ==, "disk1");
    free (s);

    /* The export name comes from this program's hook; the description
     * from the plugin, which includes it. */
    c = open_conn (f.m, 0);
    assert_last_debug (&f.col, "peer pid=7 uid=7 gid=7");
    g_assert_cmpuint (collector_count (&f.col, "open readonly=false "
                                       "export=disk2 tls=false"), ==, 1);
    s = nbdocaml_call_export_description (c);
    expected = g_strdup_printf ("export disk2 of %.4s", testplugins[i]);
    g_assert_cmpstr (s, ==, expected);
    g_free (expected);
    free (s);
    g_assert_null (nbdocaml_call_export_description (NULL));
    assert_error (EINVAL, "export_description: ");
    nbdocaml_call_close (c);
    fixture_close (&f);
  }
}

/* A string with a NUL byte cannot be a C string: EINVAL, not a silently
 * shortened name. */
static void
test_strings_with_nul (void)
{
  struct fixture f;
  struct exports e;
  nbdocaml_conn *c;

  fixture_open (&f, "r128_testplugin");
  g_assert_cmpint (nbdocaml_call_config (f.m, "nul", "true"), ==, 0);
  g_assert_null (nbdocaml_call_default_export (f.m, 0, 0));
  assert_error (EINVAL, "default_export: returned a name that contains a "
                "NUL byte");
  exports_init (&e, -1);
  g_assert_cmpint (nbdocaml_call_list_exports (f.m, 0, 0, collect_export,
                                               &e), ==, -1);
  assert_error (EINVAL, "list_exports: returned an export name that "
                "contains a NUL byte");
  g_assert_cmpuint (e.names->len, ==, 1);
  exports_free (&e);
  c = open_conn (f.m, 0);
  g_assert_null (nbdocaml_call_export_description (c));
  assert_error (EINVAL, "export_description: returned a description that "
                "contains a NUL byte");
  nbdocaml_call_close (c);
  fixture_close (&f);
}

/* -- block sizes -------------------------------------------------------- */

static void
test_block_size (void)
{
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (testplugins); ++i) {
    struct fixture f;
    struct nbdocaml_block_size bs = { 0, 0, 0 };
    nbdocaml_conn *c;

    fixture_open (&f, testplugins[i]);
    c = open_conn (f.m, 0);
    g_assert_cmpint (nbdocaml_call_block_size (c, &bs), ==, 0);
    g_assert_cmpuint (bs.minimum, ==, 512);
    g_assert_cmpuint (bs.preferred, ==, 65536);
    g_assert_cmpuint (bs.maximum, ==, 33554432);
    g_assert_cmpint (nbdocaml_call_block_size (c, NULL), ==, -1);
    assert_error (EINVAL, "block_size: ");
    nbdocaml_call_close (c);
    fixture_close (&f);
  }
}

static void
test_block_size_rules (void)
{
  /* nbdkit-plugin(3): all 0, or 1 <= min <= pref <= max <= 0xffffffff. */
  static const struct { const char *sizes; int ok; } cases[] = {
    { "0,0,0", 1 },
    { "1,1,1", 1 },
    { "1,4096,4294967295", 1 },
    { "0,512,4096", 0 },
    { "4096,512,65536", 0 },
    { "512,4096,1024", 0 },
    { "512,4096,4294967296", 0 },
    { "-1,512,4096", 0 },
    { "512,4096,-1", 0 },
  };
  struct fixture f;
  size_t i;

  fixture_open (&f, "r128_testplugin");
  for (i = 0; i < G_N_ELEMENTS (cases); ++i) {
    struct nbdocaml_block_size bs = { 1, 2, 3 };
    nbdocaml_conn *c;

    g_test_message ("block sizes %s", cases[i].sizes);
    g_assert_cmpint (nbdocaml_call_config (f.m, "block_size",
                                           cases[i].sizes), ==, 0);
    c = open_conn (f.m, 0);
    if (cases[i].ok) {
      char *got;
      g_assert_cmpint (nbdocaml_call_block_size (c, &bs), ==, 0);
      got = g_strdup_printf ("%" PRIu32 ",%" PRIu32 ",%" PRIu32,
                             bs.minimum, bs.preferred, bs.maximum);
      g_assert_cmpstr (got, ==, cases[i].sizes);
      g_free (got);
    }
    else {
      g_assert_cmpint (nbdocaml_call_block_size (c, &bs), ==, -1);
      assert_error (EINVAL, "block_size: returned (");
    }
    nbdocaml_call_close (c);
  }
  fixture_close (&f);
}

/* -- counts of 2 GiB and more -------------------------------------------- */

static void
assert_messages (struct collector *col, const char *const *expected)
{
  guint i;

  for (i = 0; expected[i]; ++i) {
    g_assert_cmpuint (i, <, col->msgs->len);
    g_assert_cmpstr (g_ptr_array_index (col->msgs, i), ==, expected[i]);
  }
  g_assert_cmpuint (col->msgs->len, ==, i);
  collector_clear (col);
}

struct extent { uint64_t offset, length; uint32_t type; };

static int
add_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  GArray *a = opaque;
  struct extent e = { offset, length, type };

  g_array_append_val (a, e);
  return 0;
}

static void
test_record_splits_large_requests (void)
{
  static const char *const zero3g[] = {
    "zero 1073741824 0", "zero 1073741824 1073741824",
    "zero 1073741824 2147483648", NULL
  };
  static const char *const trim2g[] = {
    "trim 1073741824 4294967296", "trim 1073741824 5368709120", NULL
  };
  static const char *const cache_max[] = {
    "cache 1073741824 0", "cache 1073741824 1073741824",
    "cache 1073741824 2147483648", "cache 1073741823 3221225472", NULL
  };
  static const char *const zero_max31[] = { "zero 2147483647 0", NULL };
  struct fixture f;
  nbdocaml_conn *c;

  fixture_open (&f, "sparse");
  c = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_module_ocaml_api (f.m), ==,
                   NBDOCAML_OCAML_API_RECORD);

  /* Above INT32_MAX: pieces of 1 GiB, in order, the last one the rest. */
  g_assert_cmpint (nbdocaml_call_zero (c, 3 * GiB, 0, 0), ==, 0);
  assert_messages (&f.col, zero3g);
  g_assert_cmpint (nbdocaml_call_trim (c, 2 * GiB, 4 * (uint64_t) GiB, 0),
                   ==, 0);
  assert_messages (&f.col, trim2g);
  g_assert_cmpint (nbdocaml_call_cache (c, UINT32_MAX, 0, 0), ==, 0);
  assert_messages (&f.col, cache_max);
  /* INT32_MAX itself fits int32: one call, as before. */
  g_assert_cmpint (nbdocaml_call_zero (c, INT32_MAX, 0, 0), ==, 0);
  assert_messages (&f.col, zero_max31);

  /* Pieces whose offsets would not fit OCaml's int64: refused whole. */
  g_assert_cmpint (nbdocaml_call_zero (c, 3 * GiB,
                                       (uint64_t) INT64_MAX - GiB, 0), ==, -1);
  assert_error (EINVAL, "zero: offset + count does not fit");
  g_assert_cmpuint (f.col.msgs->len, ==, 0);
  nbdocaml_call_close (c);
  fixture_close (&f);

  /* The first failing piece stops the call: r128_testplugin's 1 MiB disk
   * rejects the first 1 GiB piece, and no second piece is tried. */
  fixture_open (&f, "r128_testplugin");
  c = open_conn (f.m, 0);
  collector_clear (&f.col);
  g_assert_cmpint (nbdocaml_call_zero (c, 3 * GiB, 0, 0), ==, -1);
  assert_error (EIO, "zero: Invalid_argument(");
  g_assert_cmpuint (collector_count (&f.col, "zero 1073741824 0"), ==, 1);
  g_assert_cmpuint (f.col.msgs->len, ==, 1);
  nbdocaml_call_close (c);
  fixture_close (&f);
}

static void
test_record_bounds_extents (void)
{
  static const char *const asked[] = { "extents 1073741824 0", NULL };
  struct fixture f;
  nbdocaml_conn *c;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (struct extent));
  struct extent *e;

  fixture_open (&f, "sparse");
  c = open_conn (f.m, 0);
  /* The plugin is asked for 1 GiB and answers for 1 GiB: less than the
   * caller asked, which nbdkit allows (the client asks again). */
  g_assert_cmpint (nbdocaml_call_extents (c, UINT32_MAX, 0, 0, add_extent,
                                          a), ==, 0);
  assert_messages (&f.col, asked);
  g_assert_cmpuint (a->len, ==, 1);
  e = &g_array_index (a, struct extent, 0);
  g_assert_cmpuint (e->offset, ==, 0);
  g_assert_cmpuint (e->length, ==, GiB);
  g_assert_cmpuint (e->type, ==, NBDOCAML_EXTENT_HOLE | NBDOCAML_EXTENT_ZERO);
  nbdocaml_call_close (c);
  fixture_close (&f);
  g_array_unref (a);
}

static void
test_labelled_takes_whole_counts (void)
{
  static const char *const whole[] = {
    "zero 3221225472 0", "trim 4294967295 4294967296",
    "cache 2147483648 0", "extents 4294967295 0", NULL
  };
  struct fixture f;
  nbdocaml_conn *c;
  GArray *a = g_array_new (FALSE, FALSE, sizeof (struct extent));
  char data[4096], back[4096];
  GRand *rand = g_rand_new_with_seed (10);

  fixture_open (&f, "l132_sparse");
  c = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_module_ocaml_api (f.m), ==,
                   NBDOCAML_OCAML_API_LABELLED);
  g_assert_cmpint (nbdocaml_call_zero (c, 3 * GiB, 0, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_trim (c, UINT32_MAX, 4 * (uint64_t) GiB,
                                       0), ==, 0);
  g_assert_cmpint (nbdocaml_call_cache (c, 2 * GiB, 0, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_extents (c, UINT32_MAX, 0, 0, add_extent,
                                          a), ==, 0);
  assert_messages (&f.col, whole);
  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpuint (g_array_index (a, struct extent, 0).length, ==,
                    UINT32_MAX);

  /* pread's count is an OCaml int in this API: a round trip above 4 GiB
   * checks the offsets too. */
  fill_random (rand, data, sizeof data);
  g_assert_cmpint (nbdocaml_call_pwrite (c, data, sizeof data,
                                         5 * (uint64_t) GiB + 17, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_pread (c, back, sizeof back,
                                        5 * (uint64_t) GiB + 17, 0), ==, 0);
  g_assert_cmpmem (data, sizeof data, back, sizeof back);
  nbdocaml_call_close (c);
  fixture_close (&f);
  g_array_unref (a);
  g_rand_free (rand);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  install_hooks ();
  test_add ("/generations/get-ready-after-fork-cleanup",
            test_lifecycle);
  test_add ("/generations/preconnect-accepts-and-refuses",
            test_preconnect);
  test_add ("/generations/list-exports", test_list_exports);
  test_add ("/generations/default-export-and-description",
            test_default_export_and_description);
  test_add ("/generations/strings-with-nul-einval",
            test_strings_with_nul);
  test_add ("/generations/block-size", test_block_size);
  test_add ("/generations/block-size-rules", test_block_size_rules);
  test_add ("/generations/record-splits-trim-zero-cache-over-2g",
            test_record_splits_large_requests);
  test_add ("/generations/record-bounds-extents-over-2g",
            test_record_bounds_extents);
  test_add ("/generations/labelled-takes-whole-counts",
            test_labelled_takes_whole_counts);
  return g_test_run ();
}
