/* libnbdocaml tests: what a module reports about itself.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The metadata strings, the callback names and indexes, which callbacks a
 * plugin registered, the library version and whether a plugin links
 * threads.cmxa.
 */
#include <config.h>

#include <stdio.h>

#include "test-common.h"

/* The fields of NBDKit.plugin as ocaml/NBDKit.mli declares them, in
 * order: the callback names must be exactly its option-typed fields, and
 * each callback's record index (the fifth column of NBDOCAML_CALLBACKS)
 * must be the position of its field.  Reading the .mli rather than
 * copying the list here is what makes the test catch a header that
 * drifted from the OCaml side. */
struct mli_fields {
  GPtrArray *all;               /* every field name, in order */
  GPtrArray *callbacks;         /* the fields of type ... option */
};

static void
read_mli_fields (struct mli_fields *f)
{
  const char *srcdir = g_getenv ("top_srcdir");
  char *path = g_build_filename (srcdir ? srcdir : ".", "ocaml", "NBDKit.mli",
                                 NULL);
  char *text, *start, *end;
  GError *error = NULL;
  GRegex *re;
  GMatchInfo *mi;

  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("%s: %s", path, error->message);
  start = strstr (text, "type 'a plugin = {");
  g_assert_nonnull (start);
  end = strstr (start, "\n}");
  g_assert_nonnull (end);
  *end = '\0';

  f->all = g_ptr_array_new_with_free_func (g_free);
  f->callbacks = g_ptr_array_new_with_free_func (g_free);
  re = g_regex_new ("^  ([a-z_]+) : ([^;]*);", G_REGEX_MULTILINE, 0, NULL);
  g_regex_match (re, start, 0, &mi);
  while (g_match_info_matches (mi)) {
    char *name = g_match_info_fetch (mi, 1);
    char *type = g_match_info_fetch (mi, 2);

    g_ptr_array_add (f->all, g_strdup (name));
    if (g_str_has_suffix (g_strstrip (type), "option"))
      g_ptr_array_add (f->callbacks, g_strdup (name));
    g_free (name);
    g_free (type);
    g_match_info_next (mi, NULL);
  }
  g_match_info_free (mi);
  g_regex_unref (re);
  g_free (text);
  g_free (path);
}

static void
free_mli_fields (struct mli_fields *f)
{
  g_ptr_array_unref (f->all);
  g_ptr_array_unref (f->callbacks);
}

/* The record index of each callback, from the X-macro. */
static const int record_index[] = {
#define INDEX_(E, f, c, k, i, n) [NBDOCAML_CB_##E] = i,
  NBDOCAML_CALLBACKS (INDEX_)
#undef INDEX_
};

static void
test_callback_names (void)
{
  struct mli_fields f;
  int cb;

  read_mli_fields (&f);
  g_assert_cmpint (f.callbacks->len, ==, NBDOCAML_CB_COUNT);
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb) {
    const char *name = nbdocaml_callback_name (cb);

    g_assert_cmpstr (name, ==, g_ptr_array_index (f.callbacks, cb));
    g_assert_cmpint (record_index[cb], <, f.all->len);
    g_assert_cmpstr (g_ptr_array_index (f.all, record_index[cb]), ==, name);
  }
  free_mli_fields (&f);
}

/* The labelled module registers a private record through the same
 * primitive: its fields must be the record API's, in the same order, each
 * with a t_ prefix, or the glue would read the wrong closures. */
static void
test_labelled_record_layout (void)
{
  const char *srcdir = g_getenv ("top_srcdir");
  char *path = g_build_filename (srcdir ? srcdir : ".", "ocaml", "labelled",
                                 "NBDKit.ml", NULL);
  struct mli_fields f;
  char *text, *start, *end;
  GError *error = NULL;
  GRegex *re;
  GMatchInfo *mi;
  guint n = 0;

  read_mli_fields (&f);
  if (!g_file_get_contents (path, &text, NULL, &error))
    g_error ("%s: %s", path, error->message);
  start = strstr (text, "type 'a table = {");
  g_assert_nonnull (start);
  end = strstr (start, "\n}");
  g_assert_nonnull (end);
  *end = '\0';
  re = g_regex_new ("^  t_([a-z_]+) : ", G_REGEX_MULTILINE, 0, NULL);
  g_regex_match (re, start, 0, &mi);
  while (g_match_info_matches (mi)) {
    char *name = g_match_info_fetch (mi, 1);

    g_assert_cmpuint (n, <, f.all->len);
    g_assert_cmpstr (name, ==, g_ptr_array_index (f.all, n));
    n++;
    g_free (name);
    g_match_info_next (mi, NULL);
  }
  g_assert_cmpuint (n, ==, f.all->len);
  g_match_info_free (mi);
  g_regex_unref (re);
  g_free (text);
  g_free (path);
  free_mli_fields (&f);
}

static void
test_callback_names_out_of_range (void)
{
  /* Every index outside the enum has no name, including the sentinel
   * NBDOCAML_CB_COUNT itself. */
  g_assert_null (nbdocaml_callback_name (-1));
  g_assert_null (nbdocaml_callback_name (NBDOCAML_CB_COUNT));
  g_assert_null (nbdocaml_callback_name (NBDOCAML_CB_COUNT + 1));
  g_assert_null (nbdocaml_callback_name (G_MININT));
  g_assert_null (nbdocaml_callback_name (G_MAXINT));
}

static void
test_version (void)
{
  char *expected = g_strdup_printf ("%d.%d.%d", NBDOCAML_VERSION_MAJOR,
                                    NBDOCAML_VERSION_MINOR,
                                    NBDOCAML_VERSION_MICRO);

  /* The library that was loaded must be the one this test was compiled
   * against. */
  g_assert_cmpstr (nbdocaml_version (), ==, expected);
  g_free (expected);
}

static void
test_metadata_full (void)
{
  nbdocaml_module *m = open_plugin ("full");
  char *path = plugin_path ("full");

  /* The strings full.ml sets in its record. */
  g_assert_cmpstr (nbdocaml_module_name (m), ==, "full");
  g_assert_cmpstr (nbdocaml_module_longname (m), ==, "every callback");
  g_assert_cmpstr (nbdocaml_module_version (m), ==, "1.2.3");
  g_assert_cmpstr (nbdocaml_module_description (m), ==,
                   "a test plugin that registers every callback");
  g_assert_cmpstr (nbdocaml_module_config_help (m), ==,
                   "size=SIZE fail=CALLBACK errno=NAME");
  g_assert_cmpstr (nbdocaml_module_path (m), ==, path);
  g_free (path);
  nbdocaml_module_close (m);
}

static void
test_metadata_unset (void)
{
  nbdocaml_module *m = open_plugin ("api_minimal");
  nbdocaml_module *s = open_plugin ("api_subset");

  /* api_minimal sets only its name: the other strings are "", not NULL. */
  g_assert_cmpstr (nbdocaml_module_name (m), ==, "api_minimal");
  g_assert_cmpstr (nbdocaml_module_longname (m), ==, "");
  g_assert_cmpstr (nbdocaml_module_version (m), ==, "");
  g_assert_cmpstr (nbdocaml_module_description (m), ==, "");
  g_assert_cmpstr (nbdocaml_module_config_help (m), ==, "");

  /* api_subset sets longname and description but not version and
   * config_help, so each string comes from its own field. */
  g_assert_cmpstr (nbdocaml_module_name (s), ==, "api_subset");
  g_assert_cmpstr (nbdocaml_module_longname (s), ==,
                   "a subset of the callbacks");
  g_assert_cmpstr (nbdocaml_module_version (s), ==, "");
  g_assert_true (g_str_has_prefix (nbdocaml_module_description (s),
                                   "registers config, close"));
  g_assert_cmpstr (nbdocaml_module_config_help (s), ==, "");
  nbdocaml_module_close (s);
  nbdocaml_module_close (m);
}

/* Check that m registered exactly the callbacks in expected (terminated
 * by -1), and nothing out of range. */
static void
assert_registered (nbdocaml_module *m, const int *expected)
{
  gboolean want[NBDOCAML_CB_COUNT] = { FALSE };
  int cb;

  for (; *expected != -1; ++expected)
    want[*expected] = TRUE;
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb) {
    if (nbdocaml_module_has (m, cb) != want[cb])
      g_error ("%s: nbdocaml_module_has (%s) is %d, expected %d",
               nbdocaml_module_name (m), nbdocaml_callback_name (cb),
               nbdocaml_module_has (m, cb), want[cb]);
  }
  g_assert_cmpint (nbdocaml_module_has (m, -1), ==, 0);
  g_assert_cmpint (nbdocaml_module_has (m, NBDOCAML_CB_COUNT), ==, 0);
  g_assert_cmpint (nbdocaml_module_has (m, 63), ==, 0);
  g_assert_cmpint (nbdocaml_module_has (m, 64), ==, 0);
}

static void
test_has_full (void)
{
  nbdocaml_module *m = open_plugin ("full");
  int all[NBDOCAML_CB_COUNT + 1];
  int cb;

  /* full.ml registers every callback of the nbdkit 1.16 interface, that
   * is all the rows before the zero-copy pread_buf and pwrite_buf (which
   * are not part of it) and the callbacks of later nbdkit. */
  int n = 0;

  for (cb = 0; cb < NBDOCAML_CB_PREAD_BUF; ++cb)
    all[n++] = cb;
  all[n] = -1;
  assert_registered (m, all);
  nbdocaml_module_close (m);
}

static void
test_has_minimal (void)
{
  static const int expected[] = {
    NBDOCAML_CB_OPEN_CONNECTION, NBDOCAML_CB_GET_SIZE, NBDOCAML_CB_PREAD, -1
  };
  nbdocaml_module *m = open_plugin ("api_minimal");

  assert_registered (m, expected);
  nbdocaml_module_close (m);
}

static void
test_has_subset (void)
{
  /* The list in the comment at the top of api_subset.ml. */
  static const int expected[] = {
    NBDOCAML_CB_CONFIG, NBDOCAML_CB_OPEN_CONNECTION, NBDOCAML_CB_CLOSE,
    NBDOCAML_CB_GET_SIZE, NBDOCAML_CB_CAN_WRITE, NBDOCAML_CB_PREAD,
    NBDOCAML_CB_PWRITE, NBDOCAML_CB_FLUSH, NBDOCAML_CB_CAN_FUA,
    NBDOCAML_CB_CAN_CACHE, -1
  };
  nbdocaml_module *m = open_plugin ("api_subset");

  assert_registered (m, expected);
  nbdocaml_module_close (m);
}

static void
test_has_bufdisk (void)
{
  /* The zero-copy callbacks have their own bits: bufdisk.ml registers
   * both, and the string pread besides them. */
  static const int expected[] = {
    NBDOCAML_CB_CONFIG, NBDOCAML_CB_CONFIG_COMPLETE,
    NBDOCAML_CB_OPEN_CONNECTION, NBDOCAML_CB_GET_SIZE, NBDOCAML_CB_PREAD,
    NBDOCAML_CB_CAN_MULTI_CONN, NBDOCAML_CB_PREAD_BUF,
    NBDOCAML_CB_PWRITE_BUF, -1
  };
  nbdocaml_module *m = open_plugin ("bufdisk");

  assert_registered (m, expected);
  nbdocaml_module_close (m);
}

/* The OCaml version each plugin was built with is the one configure
 * found (make check passes it), and NULL gives "". */
static void
test_ocaml_version (void)
{
  nbdocaml_module *plain = open_plugin ("full");
  nbdocaml_module *threads = open_plugin ("threads_full");
  const char *expected = g_getenv ("OCAML_VERSION");

  g_assert_nonnull (expected);
  g_assert_cmpstr (nbdocaml_module_ocaml_version (plain), ==, expected);
  g_assert_cmpstr (nbdocaml_module_ocaml_version (threads), ==, expected);
  g_assert_cmpstr (nbdocaml_module_ocaml_version (NULL), ==, "");
  g_assert_cmpint (atoi (expected), ==, ocaml_major ());
  nbdocaml_module_close (threads);
  nbdocaml_module_close (plain);
}

/* The 1.28 record plugin and the 1.32 labelled one register the same
 * callbacks; what differs is the API they report and so the types of
 * their counts. */
static void
test_generations (void)
{
  static const int expected[] = {
    NBDOCAML_CB_LOAD, NBDOCAML_CB_UNLOAD, NBDOCAML_CB_CONFIG,
    NBDOCAML_CB_CONFIG_COMPLETE, NBDOCAML_CB_OPEN_CONNECTION,
    NBDOCAML_CB_CLOSE, NBDOCAML_CB_GET_SIZE, NBDOCAML_CB_DUMP_PLUGIN,
    NBDOCAML_CB_PREAD, NBDOCAML_CB_PWRITE, NBDOCAML_CB_ZERO,
    NBDOCAML_CB_EXTENTS, NBDOCAML_CB_THREAD_MODEL, NBDOCAML_CB_GET_READY,
    NBDOCAML_CB_AFTER_FORK, NBDOCAML_CB_CLEANUP, NBDOCAML_CB_PRECONNECT,
    NBDOCAML_CB_LIST_EXPORTS, NBDOCAML_CB_DEFAULT_EXPORT,
    NBDOCAML_CB_EXPORT_DESCRIPTION, NBDOCAML_CB_BLOCK_SIZE, -1
  };
  nbdocaml_module *r128 = open_plugin ("r128_testplugin");
  nbdocaml_module *l132 = open_plugin ("l132_testplugin");
  nbdocaml_module *full = open_plugin ("full");

  assert_registered (r128, expected);
  assert_registered (l132, expected);
  g_assert_cmpint (nbdocaml_module_ocaml_api (r128), ==,
                   NBDOCAML_OCAML_API_RECORD);
  g_assert_cmpint (nbdocaml_module_ocaml_api (full), ==,
                   NBDOCAML_OCAML_API_RECORD);
  g_assert_cmpint (nbdocaml_module_ocaml_api (l132), ==,
                   NBDOCAML_OCAML_API_LABELLED);
  g_assert_cmpint (nbdocaml_module_ocaml_api (NULL), ==, 0);

  /* magic_config_key is a string like the others: "" when unset. */
  g_assert_cmpstr (nbdocaml_module_magic_config_key (r128), ==, "size");
  g_assert_cmpstr (nbdocaml_module_magic_config_key (l132), ==, "size");
  g_assert_cmpstr (nbdocaml_module_magic_config_key (full), ==, "");
  g_assert_cmpstr (nbdocaml_module_magic_config_key (NULL), ==, "");
  g_assert_cmpstr (nbdocaml_module_name (l132), ==, "l132-testplugin");
  nbdocaml_module_close (full);
  nbdocaml_module_close (l132);
  nbdocaml_module_close (r128);
}

static void
test_has_threads (void)
{
  nbdocaml_module *plain = open_plugin ("full");
  nbdocaml_module *threads = open_plugin ("threads_full");
  nbdocaml_module *sleep = open_plugin ("threads_api_sleep");

  /* Built from the same source, only the threads_ one links
   * threads.cmxa. */
  g_assert_cmpint (nbdocaml_module_has_threads (plain), ==, 0);
  g_assert_cmpint (nbdocaml_module_has_threads (threads), ==, 1);
  g_assert_cmpint (nbdocaml_module_has_threads (sleep), ==, 1);
  /* Linking threads.cmxa changes nothing about what is registered. */
  g_assert_cmpstr (nbdocaml_module_name (threads), ==, "full");
  g_assert_cmpint (nbdocaml_module_has (threads, NBDOCAML_CB_CAN_FAST_ZERO),
                   ==, 1);
  nbdocaml_module_close (sleep);
  nbdocaml_module_close (threads);
  nbdocaml_module_close (plain);
}

static void
test_null_module (void)
{
  nbdocaml_module *m;

  /* Closing NULL is documented as a no-op, and a NULL module has no
   * callbacks.  The error state is left alone by both. */
  g_assert_null (nbdocaml_module_open ("x", 1));
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);
  nbdocaml_module_close (NULL);
  g_assert_cmpint (nbdocaml_module_has (NULL, NBDOCAML_CB_PREAD), ==, 0);
  g_assert_cmpint (nbdocaml_get_errno (), ==, EINVAL);

  /* ... and leaves the library working. */
  m = open_plugin ("api_minimal");
  g_assert_cmpstr (nbdocaml_module_name (m), ==, "api_minimal");
  nbdocaml_module_close (m);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/registry/callback-names-match-nbdkit-mli",
            test_callback_names);
  test_add ("/registry/generations-record-and-labelled",
            test_generations);
  test_add ("/registry/labelled-record-layout-matches",
            test_labelled_record_layout);
  test_add ("/registry/callback-name-out-of-range-is-null",
            test_callback_names_out_of_range);
  test_add ("/registry/version-matches-header", test_version);
  test_add ("/registry/metadata-of-full", test_metadata_full);
  test_add ("/registry/metadata-unset-is-empty", test_metadata_unset);
  test_add ("/registry/has-every-callback-of-full", test_has_full);
  test_add ("/registry/has-only-required-of-minimal", test_has_minimal);
  test_add ("/registry/has-exactly-subset", test_has_subset);
  test_add ("/registry/has-exactly-bufdisk", test_has_bufdisk);
  test_add ("/registry/has-threads", test_has_threads);
  test_add ("/registry/ocaml-version", test_ocaml_version);
  test_add ("/registry/null-module", test_null_module);
  return g_test_run ();
}
