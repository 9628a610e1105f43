/* libnbdocaml tests: every nbdocaml_call_* function, with its data.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Most tests drive full.ml, which reports the arguments of each call
 * through NBDKit.debug ("pwrite 512 1024 fua"): comparing those messages
 * with what the test passed checks that counts, offsets, flags and
 * booleans arrive in OCaml unchanged.  Results are compared with what
 * full.ml (or the other test plugins) returns.
 */
#include <config.h>

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include "test-common.h"

/* full.ml's disk size when size= is not given. */
#define FULL_SIZE 1048576

struct fixture {
  struct collector col;
  nbdocaml_module *m;
};

static void
fixture_open (struct fixture *f, const char *plugin)
{
  collector_init (&f->col);
  f->m = open_plugin_copy (plugin);
  collector_attach (&f->col, f->m);
}

static void
fixture_close (struct fixture *f)
{
  nbdocaml_module_close (f->m);
  collector_free (&f->col);
}

/* -- module-level callbacks ------------------------------------------ */

static void
test_load_unload (void)
{
  struct fixture f;

  fixture_open (&f, "full");
  g_assert_cmpint (nbdocaml_call_load (f.m), ==, 0);
  assert_last_debug (&f.col, "load");
  g_assert_cmpint (nbdocaml_call_unload (f.m), ==, 0);
  assert_last_debug (&f.col, "unload");
  g_assert_cmpuint (f.col.msgs->len, ==, 2);
  fixture_close (&f);
}

static void
test_config (void)
{
  struct fixture f;

  fixture_open (&f, "full");
  /* The key and value arrive as given ... */
  g_assert_cmpint (nbdocaml_call_config (f.m, "debug", "hello world"), ==, 0);
  g_assert_cmpuint (collector_count (&f.col, "config debug=hello world"), ==,
                    1);
  /* ... and NBDKit.debug formats like Printf. */
  assert_last_debug (&f.col, "debug message: hello world 42");

  /* size= changes what get_size returns, through NBDKit.parse_size. */
  g_assert_cmpint (nbdocaml_call_config (f.m, "size", "2M"), ==, 0);
  {
    nbdocaml_conn *c = open_conn (f.m, 0);
    g_assert_cmpint (nbdocaml_call_get_size (c), ==, 2 * 1024 * 1024);
    g_assert_cmpint (nbdocaml_call_close (c), ==, 0);
  }

  g_assert_cmpint (nbdocaml_call_config_complete (f.m), ==, 0);
  assert_last_debug (&f.col, "config_complete");
  fixture_close (&f);
}

static void
test_config_parse_size (void)
{
  static const struct { const char *in, *out; } cases[] = {
    { "0", "parse_size=0" },
    { "512", "parse_size=512" },
    { "1b", "parse_size=1" },
    { "4k", "parse_size=4096" },
    { "4K", "parse_size=4096" },
    { "3M", "parse_size=3145728" },
    { "2G", "parse_size=2147483648" },
    { "1T", "parse_size=1099511627776" },
    { "1P", "parse_size=1125899906842624" },
    { "1E", "parse_size=1152921504606846976" },
    { "9223372036854775807", "parse_size=9223372036854775807" },
  };
  static const char *const bad[] = {
    "", "k", "-1", "12Q", "1kb", "8E", "9223372036854775808",
  };
  struct fixture f;
  size_t i;

  fixture_open (&f, "full");
  for (i = 0; i < G_N_ELEMENTS (cases); ++i) {
    g_assert_cmpint (nbdocaml_call_config (f.m, "parse_size", cases[i].in),
                     ==, 0);
    assert_last_debug (&f.col, cases[i].out);
  }
  /* What nbdkit_parse_size rejects raises Invalid_argument, which fails
   * the config call like any exception. */
  for (i = 0; i < G_N_ELEMENTS (bad); ++i) {
    g_assert_cmpint (nbdocaml_call_config (f.m, "parse_size", bad[i]), ==, -1);
    assert_error (EIO, "config: Invalid_argument(\"NBDKit.parse_size: ");
  }
  fixture_close (&f);
}

static void
test_config_parse_bool (void)
{
  static const char *const yes[] = { "1", "true", "t", "yes", "y", "on",
                                     "TRUE", "Yes", "ON" };
  static const char *const no[] = { "0", "false", "f", "no", "n", "off",
                                    "FALSE", "No", "oFF" };
  static const char *const bad[] = { "", "2", "yess", "of", "truefalse" };
  struct fixture f;
  size_t i;

  fixture_open (&f, "full");
  for (i = 0; i < G_N_ELEMENTS (yes); ++i) {
    g_assert_cmpint (nbdocaml_call_config (f.m, "bool", yes[i]), ==, 0);
    assert_last_debug (&f.col, "bool=true");
  }
  for (i = 0; i < G_N_ELEMENTS (no); ++i) {
    g_assert_cmpint (nbdocaml_call_config (f.m, "bool", no[i]), ==, 0);
    assert_last_debug (&f.col, "bool=false");
  }
  for (i = 0; i < G_N_ELEMENTS (bad); ++i) {
    g_assert_cmpint (nbdocaml_call_config (f.m, "bool", bad[i]), ==, -1);
    assert_error (EIO, "config: Invalid_argument(\"NBDKit.parse_bool: ");
  }
  fixture_close (&f);
}

static void
test_config_read_password (void)
{
  struct fixture f;
  GError *error = NULL;
  char *file, *arg, *missing;
  int fd;

  fixture_open (&f, "full");
  /* A literal is the password itself. */
  g_assert_cmpint (nbdocaml_call_config (f.m, "password", "s3cret"), ==, 0);
  assert_last_debug (&f.col, "password=s3cret");

  /* +FILE reads the first line of FILE, without its newline. */
  fd = g_file_open_tmp ("nbdocaml-password-XXXXXX", &file, &error);
  g_assert_no_error (error);
  g_assert_cmpint (write (fd, "from a file\nsecond line\n", 24), ==, 24);
  close (fd);
  arg = g_strconcat ("+", file, NULL);
  g_assert_cmpint (nbdocaml_call_config (f.m, "password", arg), ==, 0);
  assert_last_debug (&f.col, "password=from a file");

  /* A file that cannot be read is an error. */
  g_assert_cmpint (unlink (file), ==, 0);
  g_assert_cmpint (nbdocaml_call_config (f.m, "password", arg), ==, -1);
  assert_error (EIO, "config: Invalid_argument(\"NBDKit.read_password: ");
  missing = g_strdup (nbdocaml_get_error ());
  g_assert_nonnull (strstr (missing, "No such file"));

  g_free (missing);
  g_free (arg);
  g_free (file);
  fixture_close (&f);
}

static void
test_thread_model (void)
{
  nbdocaml_module *full = open_plugin ("full");
  nbdocaml_module *minimal = open_plugin ("api_minimal");

  /* full.ml returns THREAD_MODEL_SERIALIZE_REQUESTS, the third
   * constructor. */
  g_assert_cmpint (nbdocaml_call_thread_model (full), ==,
                   NBDOCAML_THREAD_MODEL_SERIALIZE_REQUESTS);
  g_assert_cmpint (NBDOCAML_THREAD_MODEL_SERIALIZE_REQUESTS, ==, 2);
  /* Without thread_model the plugin gets nbdkit's default. */
  g_assert_cmpint (nbdocaml_call_thread_model (minimal), ==,
                   NBDOCAML_THREAD_MODEL_PARALLEL);
  g_assert_cmpint (NBDOCAML_THREAD_MODEL_PARALLEL, ==, 3);
  nbdocaml_module_close (minimal);
  nbdocaml_module_close (full);
}

static void
test_dump_plugin (void)
{
  struct fixture f;
  char *file, *text = NULL;
  GError *error = NULL;
  int fd, saved;

  /* dump_plugin prints on OCaml's stdout (full.ml with print_string,
   * which does not flush).  Send stdout to a file for the call: the
   * library flushes C's stdout first, so what the host printed before
   * comes first, and OCaml's buffer before returning, so the plugin's
   * line is in the file as soon as the call is over. */
  fixture_open (&f, "full");
  fd = g_file_open_tmp ("nbdocaml-dump-XXXXXX", &file, &error);
  g_assert_no_error (error);
  fflush (stdout);
  saved = dup (STDOUT_FILENO);
  g_assert_cmpint (saved, >=, 0);
  g_assert_cmpint (dup2 (fd, STDOUT_FILENO), ==, STDOUT_FILENO);
  fputs ("the host's line\n", stdout);        /* buffered: a file */
  g_assert_cmpint (nbdocaml_call_dump_plugin (f.m), ==, 0);
  g_assert_true (g_file_get_contents (file, &text, NULL, &error));
  g_assert_cmpint (dup2 (saved, STDOUT_FILENO), ==, STDOUT_FILENO);
  close (saved);
  close (fd);

  g_assert_no_error (error);
  g_assert_cmpstr (text, ==, "the host's line\nfull_dump=yes\n");
  unlink (file);
  g_free (text);
  g_free (file);
  fixture_close (&f);
}

/* -- connections ------------------------------------------------------ */

static void
test_open_readonly (void)
{
  struct fixture f;
  nbdocaml_conn *ro, *rw;

  fixture_open (&f, "full");
  /* The readonly flag reaches open_connection as an OCaml bool, and the
   * handle it returns reaches can_write: full.ml says it can write
   * exactly when the connection is not read-only. */
  ro = open_conn (f.m, 1);
  assert_last_debug (&f.col, "open true");
  rw = open_conn (f.m, 42);
  assert_last_debug (&f.col, "open true");
  g_assert_cmpint (nbdocaml_call_can_write (ro), ==, 0);
  g_assert_cmpint (nbdocaml_call_can_write (rw), ==, 0);
  nbdocaml_call_close (rw);
  rw = open_conn (f.m, 0);
  assert_last_debug (&f.col, "open false");
  g_assert_cmpint (nbdocaml_call_can_write (rw), ==, 1);

  g_assert_true (nbdocaml_conn_module (ro) == f.m);
  g_assert_true (nbdocaml_conn_module (rw) == f.m);
  nbdocaml_call_close (ro);
  nbdocaml_call_close (rw);
  fixture_close (&f);
}

static void
test_get_size_and_can (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  nbdocaml_module *s;
  nbdocaml_conn *sc;

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, FULL_SIZE);
  /* The constants full.ml returns. */
  g_assert_cmpint (nbdocaml_call_can_write (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_can_flush (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_is_rotational (c), ==, 0);
  g_assert_cmpint (nbdocaml_call_can_trim (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_can_zero (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_can_fua (c), ==, NBDOCAML_FUA_NATIVE);
  g_assert_cmpint (nbdocaml_call_can_multi_conn (c), ==, 1);
  g_assert_cmpint (nbdocaml_call_can_extents (c), ==, 1);
  /* NBDKit.CacheNop is reported as native caching, as nbdkit did. */
  g_assert_cmpint (nbdocaml_call_can_cache (c), ==, NBDOCAML_CACHE_NATIVE);
  g_assert_cmpint (nbdocaml_call_can_fast_zero (c), ==, 1);
  nbdocaml_call_close (c);

  /* api_subset returns the middle constructors, FuaEmulate and
   * CacheEmulate, so every mapping is checked by one of the plugins. */
  s = open_plugin ("api_subset");
  sc = open_conn (s, 0);
  g_assert_cmpint (nbdocaml_call_can_fua (sc), ==, NBDOCAML_FUA_EMULATE);
  g_assert_cmpint (nbdocaml_call_can_cache (sc), ==, NBDOCAML_CACHE_EMULATE);
  g_assert_cmpint (nbdocaml_call_get_size (sc), ==, 4096);
  nbdocaml_call_close (sc);
  nbdocaml_module_close (s);
  fixture_close (&f);
}

static void
test_close (void)
{
  struct fixture f;
  nbdocaml_conn *a, *b;
  nbdocaml_module *minimal;

  fixture_open (&f, "full");
  /* Each close reaches the plugin with its own handle: full.ml numbers
   * its connections 1, 2 ... in the order they were opened. */
  a = open_conn (f.m, 0);
  b = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_call_close (b), ==, 0);
  assert_last_debug (&f.col, "close 2");
  g_assert_cmpint (nbdocaml_call_close (a), ==, 0);
  assert_last_debug (&f.col, "close 1");
  g_assert_cmpuint (collector_count (&f.col, "close 1"), ==, 1);
  fixture_close (&f);

  /* Without a registered close, closing just frees the connection. */
  minimal = open_plugin ("api_minimal");
  a = open_conn (minimal, 0);
  g_assert_cmpint (nbdocaml_call_close (a), ==, 0);
  nbdocaml_module_close (minimal);
}

/* -- data ----------------------------------------------------------- */

static void
test_pwrite_pread_round_trip (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  GRand *rand = g_rand_new ();
  guint8 *data = g_malloc (65536), *back = g_malloc (65536);
  static const struct { uint32_t count; uint64_t offset; } reqs[] = {
    { 512, 1024 }, { 1, 0 }, { 4096, 4096 }, { 65536, FULL_SIZE - 65536 },
    { 7, 12345 },
  };
  size_t i;

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);
  for (i = 0; i < G_N_ELEMENTS (reqs); ++i) {
    char *expected;

    fill_random (rand, data, reqs[i].count);
    memset (back, 0, reqs[i].count);
    g_assert_cmpint (nbdocaml_call_pwrite (c, data, reqs[i].count,
                                           reqs[i].offset, 0), ==, 0);
    expected = g_strdup_printf ("pwrite %" G_GUINT32_FORMAT " %"
                                G_GUINT64_FORMAT " ", reqs[i].count,
                                reqs[i].offset);
    assert_last_debug (&f.col, expected);
    g_free (expected);

    g_assert_cmpint (nbdocaml_call_pread (c, back, reqs[i].count,
                                          reqs[i].offset, 0), ==, 0);
    expected = g_strdup_printf ("pread %" G_GUINT32_FORMAT " %"
                                G_GUINT64_FORMAT " ", reqs[i].count,
                                reqs[i].offset);
    assert_last_debug (&f.col, expected);
    g_free (expected);
    g_assert_cmpmem (back, reqs[i].count, data, reqs[i].count);
  }

  /* The data is the plugin's, not the connection's: another connection
   * reads what the first one wrote last. */
  {
    nbdocaml_conn *c2 = open_conn (f.m, 1);
    memset (back, 0, 7);
    g_assert_cmpint (nbdocaml_call_pread (c2, back, 7, 12345, 0), ==, 0);
    g_assert_cmpmem (back, 7, data, 7);
    nbdocaml_call_close (c2);
  }

  /* A zero-length request passes through too, with no buffer needed. */
  g_assert_cmpint (nbdocaml_call_pread (c, NULL, 0, 0, 0), ==, 0);
  assert_last_debug (&f.col, "pread 0 0 ");

  nbdocaml_call_close (c);
  fixture_close (&f);
  g_free (data);
  g_free (back);
  g_rand_free (rand);
}

static void
test_flags (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  char buf[512] = { 0 };

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);

  /* Each NBDOCAML_FLAG_* becomes its NBDKit.flag constructor, listed in
   * the order nbdkit's OCaml plugin has always built the list, 1.16 to
   * 1.32 (plugins/ocaml: May_trim consed on first, then FUA, then
   * Req_one): [Req_one; FUA; May_trim], whatever the order of the bits.
   * full.ml prints the list as it came. */
  g_assert_cmpint (nbdocaml_call_pwrite (c, buf, 512, 1024,
                                         NBDOCAML_FLAG_FUA), ==, 0);
  assert_last_debug (&f.col, "pwrite 512 1024 fua");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 1024,
                                        NBDOCAML_FLAG_REQ_ONE |
                                        NBDOCAML_FLAG_MAY_TRIM), ==, 0);
  assert_last_debug (&f.col, "pread 512 1024 req_one,may_trim");
  g_assert_cmpint (nbdocaml_call_flush (c, 0), ==, 0);
  assert_last_debug (&f.col, "flush ");
  g_assert_cmpint (nbdocaml_call_flush (c, NBDOCAML_FLAG_FUA), ==, 0);
  assert_last_debug (&f.col, "flush fua");
  g_assert_cmpint (nbdocaml_call_trim (c, 512, 2048, NBDOCAML_FLAG_FUA),
                   ==, 0);
  assert_last_debug (&f.col, "trim 512 2048 fua");
  /* FAST_ZERO has no OCaml constructor and is dropped. */
  g_assert_cmpint (nbdocaml_call_zero (c, 512, 1024,
                                       NBDOCAML_FLAG_MAY_TRIM |
                                       NBDOCAML_FLAG_FUA |
                                       NBDOCAML_FLAG_FAST_ZERO), ==, 0);
  assert_last_debug (&f.col, "zero 512 1024 fua,may_trim");
  g_assert_cmpint (nbdocaml_call_zero (c, 512, 1024,
                                       NBDOCAML_FLAG_FAST_ZERO), ==, 0);
  assert_last_debug (&f.col, "zero 512 1024 ");
  g_assert_cmpint (nbdocaml_call_cache (c, 4096, 8192, 0), ==, 0);
  assert_last_debug (&f.col, "cache 4096 8192 ");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0,
                                        NBDOCAML_FLAG_MAY_TRIM |
                                        NBDOCAML_FLAG_FUA |
                                        NBDOCAML_FLAG_REQ_ONE), ==, 0);
  assert_last_debug (&f.col, "pread 512 0 req_one,fua,may_trim");

  nbdocaml_call_close (c);
  fixture_close (&f);
}

/* Check that a range of the disk reads as the byte c. */
static void
assert_disk_bytes (nbdocaml_conn *c, uint32_t count, uint64_t offset,
                   guint8 byte)
{
  guint8 *buf = g_malloc (count);
  uint32_t i;

  g_assert_cmpint (nbdocaml_call_pread (c, buf, count, offset, 0), ==, 0);
  for (i = 0; i < count; ++i)
    if (buf[i] != byte)
      g_error ("byte %" G_GUINT64_FORMAT " is %u, expected %u",
               offset + i, buf[i], byte);
  g_free (buf);
}

static void
test_trim_zero_cache (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  guint8 ones[8192];

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);
  memset (ones, 0xff, sizeof ones);
  g_assert_cmpint (nbdocaml_call_pwrite (c, ones, sizeof ones, 0, 0), ==, 0);

  /* full.ml's trim and zero clear exactly the range asked for: the
   * bytes on either side keep the data. */
  g_assert_cmpint (nbdocaml_call_trim (c, 1000, 100, 0), ==, 0);
  assert_last_debug (&f.col, "trim 1000 100 ");
  assert_disk_bytes (c, 100, 0, 0xff);
  assert_disk_bytes (c, 1000, 100, 0);
  assert_disk_bytes (c, 100, 1100, 0xff);

  g_assert_cmpint (nbdocaml_call_zero (c, 2048, 4096, 0), ==, 0);
  assert_last_debug (&f.col, "zero 2048 4096 ");
  assert_disk_bytes (c, 1, 4095, 0xff);
  assert_disk_bytes (c, 2048, 4096, 0);
  assert_disk_bytes (c, 1, 6144, 0xff);

  /* cache does not change the data. */
  g_assert_cmpint (nbdocaml_call_cache (c, 8192, 0, 0), ==, 0);
  assert_last_debug (&f.col, "cache 8192 0 ");
  assert_disk_bytes (c, 100, 0, 0xff);

  nbdocaml_call_close (c);
  fixture_close (&f);
}

struct extent { uint64_t offset, length; uint32_t type; };

struct extents {
  GArray *list;
  int fail_at;          /* return -1 from the n-th call; -1: never */
};

static int
add_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  struct extents *e = opaque;
  struct extent x = { offset, length, type };

  if ((int) e->list->len == e->fail_at) {
    errno = ERANGE;
    return -1;
  }
  g_array_append_val (e->list, x);
  return 0;
}

static void
test_extents (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  struct extents e = { g_array_new (FALSE, FALSE, sizeof (struct extent)),
                       -1 };
  struct extent *x;

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_call_extents (c, 512, 0, NBDOCAML_FLAG_REQ_ONE,
                                          add_extent, &e), ==, 0);
  assert_last_debug (&f.col, "extents 512 0 req_one");

  /* full.ml returns two extents: the first half of the disk as data, the
   * second as a hole that reads as zeroes. */
  g_assert_cmpuint (e.list->len, ==, 2);
  x = &g_array_index (e.list, struct extent, 0);
  g_assert_cmpuint (x->offset, ==, 0);
  g_assert_cmpuint (x->length, ==, FULL_SIZE / 2);
  g_assert_cmpuint (x->type, ==, 0);
  x = &g_array_index (e.list, struct extent, 1);
  g_assert_cmpuint (x->offset, ==, FULL_SIZE / 2);
  g_assert_cmpuint (x->length, ==, FULL_SIZE / 2);
  g_assert_cmpuint (x->type, ==, NBDOCAML_EXTENT_HOLE | NBDOCAML_EXTENT_ZERO);

  /* An add function returning -1 stops the walk at once and fails the
   * call with the errno it set. */
  g_array_set_size (e.list, 0);
  e.fail_at = 1;
  g_assert_cmpint (nbdocaml_call_extents (c, 4096, 1024, 0, add_extent, &e),
                   ==, -1);
  assert_error (ERANGE, "extents: ");
  g_assert_cmpuint (e.list->len, ==, 1);

  nbdocaml_call_close (c);
  fixture_close (&f);
  g_array_free (e.list, TRUE);
}

/* -- the zero-copy callbacks ------------------------------------------ */

static void
test_buf_callbacks (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  GRand *rand = g_rand_new ();
  guint8 data[4096], back[4096];

  fixture_open (&f, "bufdisk");
  g_assert_cmpint (nbdocaml_call_config (f.m, "size", "64k"), ==, 0);
  g_assert_cmpint (nbdocaml_call_config_complete (f.m), ==, 0);
  c = open_conn (f.m, 0);
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, 65536);

  /* The _buf functions call pread_buf / pwrite_buf on the caller's
   * memory. */
  fill_random (rand, data, sizeof data);
  g_assert_cmpint (nbdocaml_call_pwrite_buf (c, data, sizeof data, 8192, 0),
                   ==, 0);
  memset (back, 0, sizeof back);
  g_assert_cmpint (nbdocaml_call_pread_buf (c, back, sizeof back, 8192, 0),
                   ==, 0);
  g_assert_cmpmem (back, sizeof back, data, sizeof data);

  /* The plain functions prefer them too: bufdisk's string pread would
   * fail, and pwrite is only registered as pwrite_buf. */
  fill_random (rand, data, sizeof data);
  g_assert_cmpint (nbdocaml_call_pwrite (c, data, 100, 100, 0), ==, 0);
  memset (back, 0, sizeof back);
  g_assert_cmpint (nbdocaml_call_pread (c, back, 100, 100, 0), ==, 0);
  g_assert_cmpmem (back, 100, data, 100);

  /* bufdisk keeps the buffer of each pread_buf and tries it in the next
   * one (here the second): once its call is over, the buffer must be
   * unusable, both for Bigarray.Array1.get and for NBDKit's blits. */
  g_assert_cmpuint (collector_count (&f.col, "stale buffer: readable"), ==, 0);
  g_assert_cmpuint (collector_count (&f.col, "stale buffer: writable"), ==, 0);
  g_assert_cmpuint (collector_count (&f.col,
                                     "stale buffer: Invalid_argument"), ==, 1);
  g_assert_cmpuint (collector_count (&f.col,
                                     "stale buffer: blit Invalid_argument"),
                    ==, 1);
  /* pwrite_buf's buffer too: the pread_buf after each of the two
   * pwrites above found it emptied. */
  g_assert_cmpuint (collector_count (&f.col, "stale write buffer: readable"),
                    ==, 0);
  g_assert_cmpuint (collector_count (&f.col,
                                     "stale write buffer: Invalid_argument"),
                    ==, 2);
  g_assert_cmpuint (collector_count (&f.col,
                                     "stale write buffer: copy Invalid_argument"),
                    ==, 2);

  nbdocaml_call_close (c);
  fixture_close (&f);
  g_rand_free (rand);
}

/* Each rule NBDKit.mli gives for a buffer kept past its call, tried by
 * keptbuf's next pread_buf on the buffer of the one before. */
static void
test_kept_buffer_rules (void)
{
  static const char *const expected[] = {
    "dim: 0",
    "get: Invalid_argument index out of bounds",
    "set: Invalid_argument index out of bounds",
    "sub: Invalid_argument Bigarray.sub: bad sub-array",
    "fill: done",
    "blit from a non-empty array: Invalid_argument Bigarray.blit: dimension mismatch",
    "blit_from_string: Invalid_argument NBDKit.blit_from_string: the buffer "
    "is no longer valid (it was kept past the call that lent it)",
    "blit_from_bytes: Invalid_argument NBDKit.blit_from_bytes: the buffer "
    "is no longer valid (it was kept past the call that lent it)",
    "blit_to_bytes: Invalid_argument NBDKit.blit_to_bytes: the buffer "
    "is no longer valid (it was kept past the call that lent it)",
    "buf_to_string: Invalid_argument NBDKit.buf_to_string: the buffer "
    "is no longer valid (it was kept past the call that lent it)",
  };
  struct fixture f;
  nbdocaml_conn *c;
  char first[16], second[16], empty[1];
  size_t i;

  fixture_open (&f, "keptbuf");
  g_assert_cmpint (nbdocaml_call_config (f.m, "write_through_sub", "1"), ==, 0);
  c = open_conn (f.m, 0);
  memset (first, '-', sizeof first);
  g_assert_cmpint (nbdocaml_call_pread_buf (c, first, sizeof first, 0, 0), ==, 0);
  g_assert_cmpmem (first, 4, "rrrr", 4);
  memset (second, '-', sizeof second);
  collector_clear (&f.col);
  g_assert_cmpint (nbdocaml_call_pread_buf (c, second, sizeof second, 0, 0), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (expected); ++i)
    if (collector_count (&f.col, expected[i]) != 1)
      g_error ("missing debug message: %s", expected[i]);
  /* fill on the kept buffer did nothing: the first buffer is intact but
   * for what went through the kept sub-array, which still points at it. */
  g_assert_cmpmem (first, 8, "KEPTrrrr", 8);
  g_assert_cmpmem (second, 4, "rrrr", 4);

  /* A zero-length read lends a valid, empty buffer. */
  collector_clear (&f.col);
  g_assert_cmpint (nbdocaml_call_pread_buf (c, empty, 0, 0, 0), ==, 0);
  g_assert_cmpuint (collector_count (&f.col, "empty: dim 0, string \"\""),
                    ==, 1);
  g_assert_cmpint (nbdocaml_call_pread_buf (c, NULL, 0, 0, 0), ==, 0);
  g_assert_cmpuint (collector_count (&f.col, "empty: dim 0, string \"\""),
                    ==, 2);
  nbdocaml_call_close (c);
  fixture_close (&f);
}

/* NBDKit.blit_from_string, blit_from_bytes, blit_to_bytes and
 * buf_to_string on the buffer lent to pread_buf and pwrite_buf: the data
 * goes through them unchanged, at every offset, and each copy that does
 * not fit the buffer raises Invalid_argument while the ones that just fit
 * work (blits.ml counts them).  blits.ml registers pread_buf without a
 * string pread, which the record API accepts: nbdocaml_call_pread uses
 * pread_buf. */
static void
test_blits_on_live_buffers (void)
{
  static const struct { uint32_t count; uint64_t offset; } reqs[] = {
    { 4096, 0 }, { 777, 1001 }, { 1, 65535 }, { 65536, 0 }, { 16, 100 },
  };
  struct fixture f;
  nbdocaml_conn *c;
  GRand *rand = g_rand_new ();
  guint8 *data = g_malloc (65536), *back = g_malloc (65536);
  size_t i;

  fixture_open (&f, "blits");
  g_assert_true (nbdocaml_module_has (f.m, NBDOCAML_CB_PREAD_BUF));
  g_assert_false (nbdocaml_module_has (f.m, NBDOCAML_CB_PREAD));
  c = open_conn (f.m, 0);
  for (i = 0; i < G_N_ELEMENTS (reqs); ++i) {
    g_test_message ("%" G_GUINT32_FORMAT " bytes at %" G_GUINT64_FORMAT,
                    reqs[i].count, reqs[i].offset);
    fill_random (rand, data, reqs[i].count);
    collector_clear (&f.col);
    g_assert_cmpint (nbdocaml_call_pwrite_buf (c, data, reqs[i].count,
                                               reqs[i].offset, 0), ==, 0);
    assert_last_debug (&f.col, "bounds: 9 of 9 refused, edges ok");
    memset (back, 0, reqs[i].count);
    g_assert_cmpint (nbdocaml_call_pread (c, back, reqs[i].count,
                                          reqs[i].offset, 0), ==, 0);
    assert_last_debug (&f.col, "bounds: 9 of 9 refused, edges ok");
    g_assert_cmpmem (back, reqs[i].count, data, reqs[i].count);
  }
  /* The zero-copy pread is the one there is. */
  g_assert_cmpint (nbdocaml_call_pread_buf (c, back, 16, 100, 0), ==, 0);
  g_assert_cmpmem (back, 16, data, 16);
  nbdocaml_call_close (c);
  fixture_close (&f);
  g_free (data);
  g_free (back);
  g_rand_free (rand);
}

static void
test_buf_not_registered (void)
{
  nbdocaml_module *m = open_plugin ("full");
  nbdocaml_conn *c = open_conn (m, 0);
  char buf[16] = "0123456789abcdef";

  /* Asking for the zero-copy callback explicitly does not fall back to
   * the string one. */
  g_assert_cmpint (nbdocaml_call_pwrite_buf (c, buf, 16, 0, 0), ==, -1);
  assert_error (ENOTSUP, "pwrite_buf: ");
  g_assert_cmpint (nbdocaml_call_pread_buf (c, buf, 16, 0, 0), ==, -1);
  assert_error (ENOTSUP, "pread_buf: ");
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* -- calls the library refuses --------------------------------------- */

/* Call callback cb with harmless arguments and return its result as an
 * int (-1 for a NULL connection). */
static int
ignore_export (void *opaque, const char *name, const char *description)
{
  (void) opaque; (void) name; (void) description;
  return 0;
}

/* The callbacks that return a malloc'd string: 0 or -1 like the others. */
static int
string_result (char *s)
{
  int r = s ? 0 : -1;

  free (s);
  return r;
}

static int
call_any (int cb, nbdocaml_module *m, nbdocaml_conn *c)
{
  char buf[512] = { 0 };
  struct extents e = { NULL, 0 };

  switch (cb) {
  case NBDOCAML_CB_LOAD: return nbdocaml_call_load (m);
  case NBDOCAML_CB_UNLOAD: return nbdocaml_call_unload (m);
  case NBDOCAML_CB_CONFIG: return nbdocaml_call_config (m, "k", "v");
  case NBDOCAML_CB_CONFIG_COMPLETE: return nbdocaml_call_config_complete (m);
  case NBDOCAML_CB_OPEN_CONNECTION:
    {
      nbdocaml_conn *o = nbdocaml_call_open (m, 0);
      if (o == NULL)
        return -1;
      nbdocaml_call_close (o);
      return 0;
    }
  case NBDOCAML_CB_CLOSE: return nbdocaml_call_close (c);
  case NBDOCAML_CB_GET_SIZE: return (int) nbdocaml_call_get_size (c);
  case NBDOCAML_CB_CAN_WRITE: return nbdocaml_call_can_write (c);
  case NBDOCAML_CB_CAN_FLUSH: return nbdocaml_call_can_flush (c);
  case NBDOCAML_CB_IS_ROTATIONAL: return nbdocaml_call_is_rotational (c);
  case NBDOCAML_CB_CAN_TRIM: return nbdocaml_call_can_trim (c);
  case NBDOCAML_CB_DUMP_PLUGIN: return nbdocaml_call_dump_plugin (m);
  case NBDOCAML_CB_CAN_ZERO: return nbdocaml_call_can_zero (c);
  case NBDOCAML_CB_CAN_FUA: return nbdocaml_call_can_fua (c);
  case NBDOCAML_CB_PREAD: return nbdocaml_call_pread (c, buf, 512, 0, 0);
  case NBDOCAML_CB_PWRITE: return nbdocaml_call_pwrite (c, buf, 512, 0, 0);
  case NBDOCAML_CB_FLUSH: return nbdocaml_call_flush (c, 0);
  case NBDOCAML_CB_TRIM: return nbdocaml_call_trim (c, 512, 0, 0);
  case NBDOCAML_CB_ZERO: return nbdocaml_call_zero (c, 512, 0, 0);
  case NBDOCAML_CB_CAN_MULTI_CONN: return nbdocaml_call_can_multi_conn (c);
  case NBDOCAML_CB_CAN_EXTENTS: return nbdocaml_call_can_extents (c);
  case NBDOCAML_CB_EXTENTS:
    return nbdocaml_call_extents (c, 512, 0, 0, add_extent, &e);
  case NBDOCAML_CB_CAN_CACHE: return nbdocaml_call_can_cache (c);
  case NBDOCAML_CB_CACHE: return nbdocaml_call_cache (c, 512, 0, 0);
  case NBDOCAML_CB_THREAD_MODEL: return nbdocaml_call_thread_model (m);
  case NBDOCAML_CB_CAN_FAST_ZERO: return nbdocaml_call_can_fast_zero (c);
  case NBDOCAML_CB_PREAD_BUF:
    return nbdocaml_call_pread_buf (c, buf, 512, 0, 0);
  case NBDOCAML_CB_PWRITE_BUF:
    return nbdocaml_call_pwrite_buf (c, buf, 512, 0, 0);
  case NBDOCAML_CB_GET_READY: return nbdocaml_call_get_ready (m);
  case NBDOCAML_CB_AFTER_FORK: return nbdocaml_call_after_fork (m);
  case NBDOCAML_CB_CLEANUP: return nbdocaml_call_cleanup (m);
  case NBDOCAML_CB_PRECONNECT: return nbdocaml_call_preconnect (m, 0);
  case NBDOCAML_CB_LIST_EXPORTS:
    return nbdocaml_call_list_exports (m, 0, 0, ignore_export, NULL);
  case NBDOCAML_CB_DEFAULT_EXPORT:
    return string_result (nbdocaml_call_default_export (m, 0, 0));
  case NBDOCAML_CB_EXPORT_DESCRIPTION:
    return string_result (nbdocaml_call_export_description (c));
  case NBDOCAML_CB_BLOCK_SIZE:
    {
      struct nbdocaml_block_size bs;
      return nbdocaml_call_block_size (c, &bs);
    }
  }
  g_error ("call_any: callback %d has no case: add it", cb);
}

static void
test_unregistered_enotsup (void)
{
  nbdocaml_module *m = open_plugin ("api_minimal");
  nbdocaml_conn *c = open_conn (m, 0);
  int cb, refused = 0;

  /* Every callback api_minimal did not register fails with ENOTSUP and a
   * message naming it, except the two that have a documented default:
   * thread_model (PARALLEL) and close (just frees). */
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb) {
    char *prefix;

    if (nbdocaml_module_has (m, cb) || cb == NBDOCAML_CB_CLOSE ||
        cb == NBDOCAML_CB_THREAD_MODEL)
      continue;
    g_test_message ("calling %s", nbdocaml_callback_name (cb));
    g_assert_cmpint (call_any (cb, m, c), ==, -1);
    prefix = g_strconcat (nbdocaml_callback_name (cb), ": ", NULL);
    assert_error (ENOTSUP, prefix);
    g_free (prefix);
    refused++;
  }
  /* All callbacks but the 3 registered and the 2 with defaults. */
  g_assert_cmpint (refused, ==, NBDOCAML_CB_COUNT - 5);

  /* The registered ones still work after all those refusals. */
  g_assert_cmpint (call_any (NBDOCAML_CB_PREAD, m, c), ==, 0);
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static gboolean
is_module_callback (int cb)
{
  switch (cb) {
  case NBDOCAML_CB_LOAD: case NBDOCAML_CB_UNLOAD: case NBDOCAML_CB_CONFIG:
  case NBDOCAML_CB_CONFIG_COMPLETE: case NBDOCAML_CB_OPEN_CONNECTION:
  case NBDOCAML_CB_DUMP_PLUGIN: case NBDOCAML_CB_THREAD_MODEL:
  case NBDOCAML_CB_GET_READY: case NBDOCAML_CB_AFTER_FORK:
  case NBDOCAML_CB_CLEANUP: case NBDOCAML_CB_PRECONNECT:
  case NBDOCAML_CB_LIST_EXPORTS: case NBDOCAML_CB_DEFAULT_EXPORT:
    return TRUE;
  default:
    return FALSE;
  }
}

static void
test_null_handles_einval (void)
{
  nbdocaml_module *m = open_plugin ("full");
  int cb;

  /* Every call given a NULL module or connection fails with EINVAL and
   * names the callback: none of them may crash. */
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb) {
    char *prefix = g_strconcat (nbdocaml_callback_name (cb), ": ", NULL);

    g_test_message ("calling %s", nbdocaml_callback_name (cb));
    if (is_module_callback (cb))
      g_assert_cmpint (call_any (cb, NULL, NULL), ==, -1);
    else
      g_assert_cmpint (call_any (cb, m, NULL), ==, -1);
    assert_error (EINVAL, prefix);
    g_free (prefix);
  }
  g_assert_null (nbdocaml_call_open (NULL, 0));
  assert_error (EINVAL, "open_connection: ");

  /* NULL key, value, buffer or add function are refused the same way. */
  g_assert_cmpint (nbdocaml_call_config (m, NULL, "v"), ==, -1);
  assert_error (EINVAL, "config: ");
  g_assert_cmpint (nbdocaml_call_config (m, "k", NULL), ==, -1);
  assert_error (EINVAL, "config: ");
  {
    nbdocaml_conn *c = open_conn (m, 0);

    g_assert_cmpint (nbdocaml_call_pread (c, NULL, 1, 0, 0), ==, -1);
    assert_error (EINVAL, "pread: ");
    g_assert_cmpint (nbdocaml_call_pwrite (c, NULL, 1, 0, 0), ==, -1);
    assert_error (EINVAL, "pwrite: ");
    g_assert_cmpint (nbdocaml_call_extents (c, 1, 0, 0, NULL, NULL), ==, -1);
    assert_error (EINVAL, "extents: ");
    nbdocaml_call_close (c);
  }
  nbdocaml_module_close (m);
}

static void
test_out_of_range_einval (void)
{
  struct fixture f;
  nbdocaml_conn *c;
  char buf[1] = { 0 };
  struct extents e = { NULL, 0 };
  guint before;
  const uint32_t big = (uint32_t) INT32_MAX + 1;
  const uint64_t far = (uint64_t) INT64_MAX + 1;

  fixture_open (&f, "full");
  c = open_conn (f.m, 0);
  before = f.col.msgs->len;

  /* A read or write above INT32_MAX cannot be passed to the record API's
   * int32 and is never split (no NBD client sends one): EINVAL, and the
   * plugin is never called (no debug message).  The buffer is not
   * touched either, which is why a one-byte one is enough.  (trim, zero,
   * cache and extents of that size are split or bounded instead: see
   * test-generations.)  An offset above INT64_MAX cannot be passed as
   * OCaml's int64 at all. */
  g_assert_cmpint (nbdocaml_call_pread (c, buf, big, 0, 0), ==, -1);
  assert_error (EINVAL, "pread: ");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, UINT32_MAX, 0, 0), ==, -1);
  assert_error (EINVAL, "pread: ");
  g_assert_cmpint (nbdocaml_call_pwrite (c, buf, big, 0, 0), ==, -1);
  assert_error (EINVAL, "pwrite: ");

  g_assert_cmpint (nbdocaml_call_pread (c, buf, 1, far, 0), ==, -1);
  assert_error (EINVAL, "pread: ");
  g_assert_cmpint (nbdocaml_call_pwrite (c, buf, 1, UINT64_MAX, 0), ==, -1);
  assert_error (EINVAL, "pwrite: ");
  g_assert_cmpint (nbdocaml_call_trim (c, 1, far, 0), ==, -1);
  assert_error (EINVAL, "trim: ");
  g_assert_cmpint (nbdocaml_call_zero (c, 1, far, 0), ==, -1);
  assert_error (EINVAL, "zero: ");
  g_assert_cmpint (nbdocaml_call_cache (c, 1, far, 0), ==, -1);
  assert_error (EINVAL, "cache: ");
  g_assert_cmpint (nbdocaml_call_extents (c, 1, far, 0, add_extent, &e), ==,
                   -1);
  assert_error (EINVAL, "extents: ");

  g_assert_cmpuint (f.col.msgs->len, ==, before);

  /* INT32_MAX itself is a valid count: it reaches the plugin (full.ml's
   * cache only reports it). */
  g_assert_cmpint (nbdocaml_call_cache (c, INT32_MAX, 0, 0), ==, 0);
  assert_last_debug (&f.col, "cache 2147483647 0 ");

  nbdocaml_call_close (c);
  fixture_close (&f);
}

/* -- closing a module with work left ---------------------------------- */

static void
test_module_close_closes_connections (void)
{
  struct collector col;
  nbdocaml_module *m;
  int i;

  collector_init (&col);
  m = open_plugin_copy ("full");
  collector_attach (&col, m);
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  for (i = 0; i < 3; ++i)
    open_conn (m, 0);
  collector_clear (&col);

  /* Closing the module calls the plugin's close for each connection
   * still open, then unload because load was called. */
  nbdocaml_module_close (m);
  g_assert_cmpuint (col.msgs->len, ==, 4);
  g_assert_cmpuint (collector_count (&col, "close 1"), ==, 1);
  g_assert_cmpuint (collector_count (&col, "close 2"), ==, 1);
  g_assert_cmpuint (collector_count (&col, "close 3"), ==, 1);
  assert_last_debug (&col, "unload");
  collector_free (&col);
}

static void
test_module_close_unload_once (void)
{
  struct collector col;
  nbdocaml_module *m;

  collector_init (&col);

  /* Without load, module_close does not call unload. */
  m = open_plugin_copy ("full");
  collector_attach (&col, m);
  open_conn (m, 1);
  nbdocaml_module_close (m);
  g_assert_cmpuint (col.msgs->len, ==, 2);
  g_assert_cmpuint (collector_count (&col, "open true"), ==, 1);
  g_assert_cmpuint (collector_count (&col, "close 1"), ==, 1);

  /* After an explicit unload, module_close does not call it again. */
  collector_clear (&col);
  m = open_plugin_copy ("full");
  collector_attach (&col, m);
  g_assert_cmpint (nbdocaml_call_load (m), ==, 0);
  g_assert_cmpint (nbdocaml_call_unload (m), ==, 0);
  nbdocaml_module_close (m);
  g_assert_cmpuint (collector_count (&col, "unload"), ==, 1);
  collector_free (&col);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/calls/load-unload", test_load_unload);
  test_add ("/calls/config-and-config-complete", test_config);
  test_add ("/calls/config-parse-size", test_config_parse_size);
  test_add ("/calls/config-parse-bool", test_config_parse_bool);
  test_add ("/calls/config-read-password", test_config_read_password);
  test_add ("/calls/thread-model", test_thread_model);
  test_add ("/calls/dump-plugin-prints-on-stdout", test_dump_plugin);
  test_add ("/calls/open-passes-readonly", test_open_readonly);
  test_add ("/calls/get-size-and-can", test_get_size_and_can);
  test_add ("/calls/close-passes-the-handle", test_close);
  test_add ("/calls/pwrite-pread-round-trip",
            test_pwrite_pread_round_trip);
  test_add ("/calls/flags-arrive-as-ocaml-flags", test_flags);
  test_add ("/calls/trim-zero-cache", test_trim_zero_cache);
  test_add ("/calls/extents", test_extents);
  test_add ("/calls/buf-callbacks", test_buf_callbacks);
  test_add ("/calls/blits-on-live-buffers", test_blits_on_live_buffers);
  test_add ("/calls/kept-buffer-rules", test_kept_buffer_rules);
  test_add ("/calls/buf-not-registered-enotsup",
            test_buf_not_registered);
  test_add ("/calls/unregistered-enotsup", test_unregistered_enotsup);
  test_add ("/calls/null-handles-einval", test_null_handles_einval);
  test_add ("/calls/out-of-range-einval", test_out_of_range_einval);
  test_add ("/calls/module-close-closes-connections",
            test_module_close_closes_connections);
  test_add ("/calls/module-close-unloads-once",
            test_module_close_unload_once);
  return g_test_run ();
}
