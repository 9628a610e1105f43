/* libnbdocaml tests: how failures are reported.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Exceptions raised by callbacks and the errno chosen with
 * NBDKit.set_error, short reads, the per-thread error state, and modules
 * that cannot be opened, each with the errno the header documents.
 */
#include <config.h>

#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "test-common.h"

/* -- exceptions from callbacks ---------------------------------------- */

/* Make full.ml's callback cb raise, call it, and check the message and
 * errno.  errname is the errno= value to configure, or NULL. */
static void
check_failing_callback (const char *cb, const char *errname, int errnum)
{
  nbdocaml_module *m = open_plugin_copy ("full");
  nbdocaml_conn *c = NULL;
  char buf[512];
  char *expected;
  int r;

  g_test_message ("fail=%s errno=%s", cb, errname ? errname : "(none)");
  g_assert_cmpint (nbdocaml_call_config (m, "fail", cb), ==, 0);
  if (errname)
    g_assert_cmpint (nbdocaml_call_config (m, "errno", errname), ==, 0);
  if (strcmp (cb, "open_connection") != 0 &&
      strcmp (cb, "config_complete") != 0)
    c = open_conn (m, 0);

  if (strcmp (cb, "config_complete") == 0)
    r = nbdocaml_call_config_complete (m);
  else if (strcmp (cb, "open_connection") == 0)
    r = nbdocaml_call_open (m, 0) == NULL ? -1 : 0;
  else if (strcmp (cb, "close") == 0) {
    r = nbdocaml_call_close (c);
    c = NULL;                   /* freed even though close raised */
  }
  else if (strcmp (cb, "get_size") == 0)
    r = (int) nbdocaml_call_get_size (c);
  else if (strcmp (cb, "can_write") == 0)
    r = nbdocaml_call_can_write (c);
  else if (strcmp (cb, "pread") == 0)
    r = nbdocaml_call_pread (c, buf, sizeof buf, 0, 0);
  else if (strcmp (cb, "pwrite") == 0)
    r = nbdocaml_call_pwrite (c, buf, sizeof buf, 0, 0);
  else if (strcmp (cb, "flush") == 0)
    r = nbdocaml_call_flush (c, 0);
  else if (strcmp (cb, "trim") == 0)
    r = nbdocaml_call_trim (c, 512, 0, 0);
  else if (strcmp (cb, "zero") == 0)
    r = nbdocaml_call_zero (c, 512, 0, 0);
  else if (strcmp (cb, "cache") == 0)
    r = nbdocaml_call_cache (c, 512, 0, 0);
  else
    g_assert_not_reached ();
  g_assert_cmpint (r, ==, -1);

  /* "CALLBACK: " then the exception as Printexc prints it. */
  expected = g_strdup_printf ("%s: Failure(\"boom in %s\")", cb, cb);
  g_assert_cmpstr (nbdocaml_get_error (), ==, expected);
  g_assert_cmpint (nbdocaml_get_errno (), ==, errnum);
  g_free (expected);

  if (c)
    nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static int
extents_ignore (void *opaque, uint64_t offset, uint64_t length, uint32_t t)
{
  return 0;
}

static void
test_exception_default_eio (void)
{
  /* Every callback of full.ml that can be made to fail. */
  static const char *const cbs[] = {
    "config_complete", "open_connection", "close", "get_size", "can_write",
    "pread", "pwrite", "flush", "trim", "zero", "cache",
  };
  size_t i;

  for (i = 0; i < G_N_ELEMENTS (cbs); ++i)
    check_failing_callback (cbs[i], NULL, EIO);

  /* extents takes an add function, so it is done here. */
  {
    nbdocaml_module *m = open_plugin_copy ("full");
    nbdocaml_conn *c = open_conn (m, 0);

    g_assert_cmpint (nbdocaml_call_config (m, "fail", "extents"), ==, 0);
    g_assert_cmpint (nbdocaml_call_extents (c, 512, 0, 0, extents_ignore,
                                            NULL), ==, -1);
    g_assert_cmpstr (nbdocaml_get_error (), ==,
                     "extents: Failure(\"boom in extents\")");
    g_assert_cmpint (nbdocaml_get_errno (), ==, EIO);
    nbdocaml_call_close (c);
    nbdocaml_module_close (m);
  }
}

static void
test_set_error_errnos (void)
{
  static const struct { const char *name; int errnum; } cases[] = {
    { "EPERM", EPERM }, { "ENOSPC", ENOSPC }, { "ESHUTDOWN", ESHUTDOWN },
    { "EROFS", EROFS }, { "EFBIG", EFBIG }, { "EOPNOTSUPP", EOPNOTSUPP },
    { "EIO", EIO }, { "ENOMEM", ENOMEM }, { "EINVAL", EINVAL },
    { "EOVERFLOW", EOVERFLOW }, { "EACCES", EACCES },
  };
  nbdocaml_module *m = open_plugin_copy ("full");
  nbdocaml_conn *c = open_conn (m, 0);
  char buf[512];
  char *unknown;
  size_t i;

  /* Each Unix.error constructor maps to its C errno ... */
  g_assert_cmpint (nbdocaml_call_config (m, "fail", "pread"), ==, 0);
  for (i = 0; i < G_N_ELEMENTS (cases); ++i) {
    g_assert_cmpint (nbdocaml_call_config (m, "errno", cases[i].name), ==, 0);
    g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0, 0), ==, -1);
    g_assert_cmpstr (nbdocaml_get_error (), ==,
                     "pread: Failure(\"boom in pread\")");
    g_test_message ("errno=%s", cases[i].name);
    g_assert_cmpint (nbdocaml_get_errno (), ==, cases[i].errnum);
  }

  /* ... and EUNKNOWNERR n is errno n, here one Unix.error has no
   * constructor for. */
  unknown = g_strdup_printf ("%d", ENOTRECOVERABLE);
  g_assert_cmpint (nbdocaml_call_config (m, "errno", unknown), ==, 0);
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0, 0), ==, -1);
  g_assert_cmpint (nbdocaml_get_errno (), ==, ENOTRECOVERABLE);
  g_free (unknown);

  /* The same applies to callbacks that are not on a connection. */
  g_assert_cmpint (nbdocaml_call_config (m, "errno", "EROFS"), ==, 0);
  g_assert_cmpint (nbdocaml_call_config (m, "fail", "open_connection"), ==, 0);
  g_assert_null (nbdocaml_call_open (m, 0));
  assert_error (EROFS, "open_connection: Failure(");

  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* Every constructor of Unix.error: the errno the library reports is the
 * one OCaml's Unix library maps it to, which is what nbdkit's OCaml plugin
 * passes to nbdkit_set_error.  r128_errnos.ml raises with the constructor's
 * name and OCaml's Unix.error_message for it, and strerror of the errno
 * the library reports must be that very text. */
static void
check_errno_text (nbdocaml_conn *c, const char *what)
{
  char buf[512];
  const char *msg, *bar;
  char *text;

  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0, 0), ==, -1);
  msg = nbdocaml_get_error ();
  g_test_message ("%s: %s -> errno %d", what, msg, nbdocaml_get_errno ());
  g_assert_true (g_str_has_prefix (msg, "pread: Failure(\""));
  bar = strchr (msg, '|');
  g_assert_nonnull (bar);
  text = g_strndup (bar + 1, strlen (bar + 1) - 2);     /* without ") */
  g_assert_cmpint (nbdocaml_get_errno (), >, 0);
  g_assert_cmpstr (text, ==, strerror (nbdocaml_get_errno ()));
  g_free (text);
}

static void
test_set_error_every_unix_error (void)
{
  nbdocaml_module *m = open_plugin_copy ("r128_errnos");
  nbdocaml_conn *c = open_conn (m, 0);
  int64_t count = nbdocaml_call_get_size (c);
  static const int unknown[] = { 1234, ENOTRECOVERABLE, EHWPOISON };
  int64_t i;
  size_t j;

  /* As many as OCaml's type has (the plugin's compiler checks that). */
  g_assert_cmpint (count, >=, 68);
  for (i = 0; i < count; ++i) {
    char *n = g_strdup_printf ("%" G_GINT64_FORMAT, i);
    g_assert_cmpint (nbdocaml_call_config (m, "error", n), ==, 0);
    check_errno_text (c, n);
    g_free (n);
  }
  for (j = 0; j < G_N_ELEMENTS (unknown); ++j) {
    char *n = g_strdup_printf ("%d", unknown[j]);
    g_assert_cmpint (nbdocaml_call_config (m, "unknown", n), ==, 0);
    check_errno_text (c, n);
    g_assert_cmpint (nbdocaml_get_errno (), ==, unknown[j]);
    g_free (n);
  }
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static void
test_errno_does_not_leak (void)
{
  nbdocaml_module *m = open_plugin_copy ("full");
  nbdocaml_module *e = open_plugin ("api_errors");
  nbdocaml_conn *c = open_conn (m, 0), *ec = open_conn (e, 0);
  char buf[512];

  /* A call that set EPERM and raised ... */
  g_assert_cmpint (nbdocaml_call_config (m, "fail", "pread"), ==, 0);
  g_assert_cmpint (nbdocaml_call_config (m, "errno", "EPERM"), ==, 0);
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0, 0), ==, -1);
  assert_error (EPERM, "pread: ");
  /* ... does not choose the errno of the next call that raises without
   * set_error (full.ml's config, given an unknown key). */
  g_assert_cmpint (nbdocaml_call_config (m, "nosuchkey", "1"), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==,
                   "config: Failure(\"unknown parameter: nosuchkey\")");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EIO);

  /* Nor does a set_error in a call that then returned normally
   * (api_errors' flush sets EROFS and succeeds; its zero raises
   * Not_found). */
  g_assert_cmpint (nbdocaml_call_flush (ec, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_zero (ec, 512, 0, 0), ==, -1);
  g_assert_cmpstr (nbdocaml_get_error (), ==, "zero: Not_found");
  g_assert_cmpint (nbdocaml_get_errno (), ==, EIO);

  nbdocaml_call_close (ec);
  nbdocaml_call_close (c);
  nbdocaml_module_close (e);
  nbdocaml_module_close (m);
}

static void
test_success_keeps_last_error (void)
{
  nbdocaml_module *m = open_plugin ("api_errors");
  nbdocaml_conn *c = open_conn (m, 0);
  char buf[16];

  /* api_errors' pread fails at odd offsets and succeeds at even ones. */
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 16, 1, 0), ==, -1);
  assert_error (EIO, "pread: Failure(\"boom in pread\")");
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 16, 2, 0), ==, 0);
  g_assert_cmpint (nbdocaml_call_get_size (c), ==, 1048576);
  /* The header: successful calls leave the last error unchanged. */
  assert_error (EIO, "pread: Failure(\"boom in pread\")");
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* -- errors are per thread -------------------------------------------- */

struct thread_error {
  nbdocaml_conn *c;
  char *msg;                    /* what the thread saw first */
  int errnum;
};

static gpointer
fresh_thread (gpointer data)
{
  struct thread_error *t = data;

  /* Nothing failed on this thread yet. */
  t->msg = g_strdup (nbdocaml_get_error ());
  t->errnum = nbdocaml_get_errno ();
  /* Fail here with a different errno. */
  g_assert_cmpint (nbdocaml_call_trim (t->c, 77, 0, 0), ==, -1);
  assert_error (77, "trim: Failure(\"trim 77\")");
  return NULL;
}

static void
test_errors_per_thread (void)
{
  nbdocaml_module *m = open_plugin ("api_errors");
  struct thread_error t = { open_conn (m, 0), NULL, -1 };
  GThread *thread;

  g_assert_cmpint (nbdocaml_call_trim (t.c, 55, 0, 0), ==, -1);
  assert_error (55, "trim: Failure(\"trim 55\")");

  thread = g_thread_new ("fresh", fresh_thread, &t);
  g_thread_join (thread);
  g_assert_null (t.msg);
  g_assert_cmpint (t.errnum, ==, 0);
  /* The other thread's failure did not replace this thread's error. */
  assert_error (55, "trim: Failure(\"trim 55\")");

  nbdocaml_call_close (t.c);
  nbdocaml_module_close (m);
}

#define ERR_THREADS 8
#define ERR_CALLS 300

struct racer {
  nbdocaml_conn *c;
  int id;
};

/* Each thread fails trim with errnos (from EUNKNOWNERR count) of its own,
 * and checks that it gets back exactly its own: the errno chosen by
 * set_error, and the error buffer, must be per thread even while other
 * threads fail in the same plugin at the same time. */
static gpointer
racer_thread (gpointer data)
{
  struct racer *r = data;
  int i;

  for (i = 0; i < ERR_CALLS; ++i) {
    uint32_t count = 1000 + r->id * 100 + i % 100;
    char *expected = g_strdup_printf ("trim: Failure(\"trim %" G_GUINT32_FORMAT
                                      "\")", count);

    g_assert_cmpint (nbdocaml_call_trim (r->c, count, 0, 0), ==, -1);
    g_assert_cmpstr (nbdocaml_get_error (), ==, expected);
    g_assert_cmpint (nbdocaml_get_errno (), ==, (int) count);
    g_free (expected);
  }
  return NULL;
}

static void
run_racers (const char *plugin)
{
  nbdocaml_module *m = open_plugin (plugin);
  nbdocaml_conn *c = open_conn (m, 0);
  struct racer r[ERR_THREADS];
  GThread *th[ERR_THREADS];
  int i;

  for (i = 0; i < ERR_THREADS; ++i) {
    r[i].c = c;
    r[i].id = i;
    th[i] = g_thread_new ("racer", racer_thread, &r[i]);
  }
  for (i = 0; i < ERR_THREADS; ++i)
    g_thread_join (th[i]);
  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

static void
test_errnos_concurrent (void)
{
  run_racers ("api_errors");
}

static void
test_errnos_concurrent_threads_cmxa (void)
{
  run_racers ("threads_api_errors");
}

/* -- short and long reads --------------------------------------------- */

static void
test_short_read (void)
{
  nbdocaml_module *m = open_plugin ("api_short");
  nbdocaml_conn *c = open_conn (m, 0);
  guint8 buf[512 + 16];
  size_t i;

  /* api_short returns one byte too few at offset 0. */
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 0, 0), ==, -1);
  assert_error (EIO, "pread: ");
  g_assert_nonnull (strstr (nbdocaml_get_error (), "511"));

  /* Elsewhere it returns 16 bytes too many: the call succeeds with the
   * first count of them, and the caller's memory past count is not
   * touched. */
  memset (buf, 0xaa, sizeof buf);
  g_assert_cmpint (nbdocaml_call_pread (c, buf, 512, 1000, 0), ==, 0);
  for (i = 0; i < 512; ++i)
    g_assert_cmpuint (buf[i], ==, (1000 + i) % 251);
  for (; i < sizeof buf; ++i)
    g_assert_cmpuint (buf[i], ==, 0xaa);

  nbdocaml_call_close (c);
  nbdocaml_module_close (m);
}

/* -- modules that cannot be opened ------------------------------------ */

/* Check that opening path fails with errnum and a message that names the
 * path and contains what (if not NULL); twice, because a failed open
 * must not leave anything behind that changes the second answer.  Then
 * check that a good module still opens. */
static void
check_open_fails (const char *path, int errnum, const char *what)
{
  int round;

  for (round = 0; round < 2; ++round) {
    const char *msg;

    g_test_message ("open %s, round %d", path, round);
    g_assert_null (nbdocaml_module_open (path, 0));
    msg = nbdocaml_get_error ();
    g_assert_nonnull (msg);
    g_test_message ("error: %s", msg);
    g_assert_true (g_str_has_prefix (msg, "nbdocaml_module_open: "));
    g_assert_nonnull (strstr (msg, path));
    if (what)
      g_assert_nonnull (strstr (msg, what));
    g_assert_cmpint (nbdocaml_get_errno (), ==, errnum);
  }
  nbdocaml_module_close (open_plugin ("api_minimal"));
}

static void
check_plugin_fails (const char *name, int errnum, const char *what)
{
  char *path = plugin_path (name);

  check_open_fails (path, errnum, what);
  g_free (path);
}

/* A temporary file holding len bytes of data. */
static char *
temp_file (const void *data, gssize len)
{
  GError *error = NULL;
  char *path;
  int fd = g_file_open_tmp ("nbdocaml-bad-XXXXXX.so", &path, &error);

  g_assert_no_error (error);
  if (len > 0)
    g_assert_cmpint (write (fd, data, len), ==, len);
  close (fd);
  return path;
}

static void
test_open_missing (void)
{
  char *dir = g_dir_make_tmp ("nbdocaml-XXXXXX", NULL);
  char *path = g_build_filename (dir, "nbdkit-missing-plugin.so", NULL);

  check_open_fails (path, ENOENT, NULL);
  g_rmdir (dir);
  g_free (path);
  g_free (dir);
}

static void
test_open_bare_name_not_searched (void)
{
  char *dir = g_dir_make_tmp ("nbdocaml-XXXXXX", NULL);
  char *old = g_get_current_dir ();

  /* A name without '/' is relative to the current directory: the
   * library the dynamic loader would find for it in its search path is
   * not used. */
  g_assert_cmpint (chdir (dir), ==, 0);
  check_open_fails ("libc.so.6", ENOENT, NULL);
  g_assert_cmpint (chdir (old), ==, 0);

  /* And a bare name in the current directory is found there. */
  {
    char *pdir = plugins_file ("");
    nbdocaml_module *m;

    g_assert_cmpint (chdir (pdir), ==, 0);
    m = nbdocaml_module_open ("nbdkit-api_minimal-plugin.so", 0);
    g_assert_cmpint (chdir (old), ==, 0);
    g_assert_nonnull (m);
    g_assert_cmpstr (nbdocaml_module_name (m), ==, "api_minimal");
    g_assert_cmpstr (nbdocaml_module_path (m), ==,
                     "nbdkit-api_minimal-plugin.so");
    nbdocaml_module_close (m);
    g_free (pdir);
  }
  g_rmdir (dir);
  g_free (old);
  g_free (dir);
}

static void
test_open_directory (void)
{
  char *dir = plugins_file ("");

  check_open_fails (dir, EISDIR, NULL);
  g_free (dir);
}

static void
test_open_empty (void)
{
  char *path = temp_file ("", 0);

  check_open_fails (path, ENOEXEC, NULL);
  unlink (path);
  g_free (path);
}

static void
test_open_text (void)
{
  static const char text[] = "This is not a shared object.\n";
  char *path = temp_file (text, sizeof text - 1);
  char *tiny = temp_file ("ab", 2);

  check_open_fails (path, ENOEXEC, NULL);
  /* Shorter than the ELF magic number. */
  check_open_fails (tiny, ENOEXEC, NULL);
  unlink (tiny);
  unlink (path);
  g_free (tiny);
  g_free (path);
}

static void
test_open_truncated_elf (void)
{
  char *plugin = plugin_path ("api_minimal");
  char *contents, *path;
  gsize len;

  /* A file that starts like an ELF object but that the dynamic loader
   * rejects. */
  g_assert_true (g_file_get_contents (plugin, &contents, &len, NULL));
  g_assert_cmpuint (len, >, 200);
  path = temp_file (contents, 200);
  check_open_fails (path, ELIBBAD, NULL);
  unlink (path);
  g_free (path);
  g_free (contents);
  g_free (plugin);
}

static void
test_open_not_ocaml (void)
{
  char *path = plugins_file ("api_notocaml.so");

  /* A good shared object, but no nbdocaml_glue_entry_v1 in it. */
  check_open_fails (path, ELIBBAD, "nbdocaml_glue_entry_v1");
  g_free (path);
}

static void
test_open_other_abi (void)
{
  char *path = plugins_file ("api_oldabi.so");

  /* An entry point whose table says glue ABI 1: both numbers named. */
  check_open_fails (path, EPROTO, "libnbdkitocaml ABI 1,");
  g_free (path);
}

/* As an unprivileged user, since root reads a file of mode 000 anyway:
 * a test run as root (CI runs as root) checks it in a child that has
 * given up root for the user and group nobody (65534), as runuser(1)
 * would, rather than skipping it. */
static void
check_unreadable (const char *path)
{
  int round;

  for (round = 0; round < 2; ++round) {
    g_assert_null (nbdocaml_module_open (path, 0));
    g_test_message ("error: %s", nbdocaml_get_error ());
    assert_error (EACCES, "nbdocaml_module_open: ");
    g_assert_nonnull (strstr (nbdocaml_get_error (), path));
    g_assert_nonnull (strstr (nbdocaml_get_error (), "Permission denied"));
  }
}

static void
test_open_unreadable (void)
{
  char *plugin = plugin_path ("api_minimal");
  char *contents, *path;
  gsize len;

  g_assert_true (g_file_get_contents (plugin, &contents, &len, NULL));
  path = temp_file (contents, len);
  g_assert_cmpint (chmod (path, 0), ==, 0);
  if (geteuid () != 0)
    check_unreadable (path);
  else {
    const gid_t nobody = 65534;
    pid_t pid = fork ();
    int status;

    g_assert_cmpint (pid, !=, -1);
    if (pid == 0) {
      if (setgroups (0, NULL) == -1 ||
          setresgid (nobody, nobody, nobody) == -1 ||
          setresuid (nobody, nobody, nobody) == -1) {
        perror ("dropping root");
        _exit (2);
      }
      check_unreadable (path);
      /* memcheck checks this child for leaks as well. */
      g_free (path);
      g_free (contents);
      g_free (plugin);
      _exit (0);
    }
    g_assert_cmpint (waitpid (pid, &status, 0), ==, pid);
    g_assert_true (WIFEXITED (status));
    g_assert_cmpint (WEXITSTATUS (status), ==, 0);
  }
  unlink (path);
  g_free (path);
  g_free (contents);
  g_free (plugin);
}

static void
test_open_noregister (void)
{
  check_plugin_fails ("api_noregister", ESRCH, "register_plugin");
}

static void
test_open_twice (void)
{
  check_plugin_fails ("api_twice", EEXIST, "more than once");
}

static void
test_open_raise (void)
{
  check_plugin_fails ("api_raise", ECANCELED,
                      "Failure(\"api_raise: top-level code failed\")");
}

static void
test_open_missing_required (void)
{
  check_plugin_fails ("api_noname", EINVAL, "'name'");
  check_plugin_fails ("api_noopen", EINVAL, "'open_connection'");
  check_plugin_fails ("api_nosize", EINVAL, "'get_size'");
  check_plugin_fails ("api_nopread", EINVAL, "'pread'");
}

static void
test_open_bad_arguments (void)
{
  char *path = plugin_path ("api_minimal");

  g_assert_null (nbdocaml_module_open (path, 1));
  assert_error (EINVAL, "nbdocaml_module_open: ");
  g_assert_null (nbdocaml_module_open (path, ~0u));
  assert_error (EINVAL, "nbdocaml_module_open: ");
  g_assert_null (nbdocaml_module_open (NULL, 0));
  assert_error (EINVAL, "nbdocaml_module_open: ");
  /* The same path with flags 0 is fine. */
  nbdocaml_module_close (open_plugin ("api_minimal"));
  g_free (path);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/errors/exception-message-and-default-eio",
            test_exception_default_eio);
  test_add ("/errors/set-error-chooses-errno", test_set_error_errnos);
  test_add ("/errors/set-error-every-unix-error",
            test_set_error_every_unix_error);
  test_add ("/errors/errno-does-not-leak-to-next-call",
            test_errno_does_not_leak);
  test_add ("/errors/success-keeps-last-error",
            test_success_keeps_last_error);
  test_add ("/errors/per-thread", test_errors_per_thread);
  test_add ("/errors/errnos-concurrent", test_errnos_concurrent);
  test_add ("/errors/errnos-concurrent-threads-cmxa",
            test_errnos_concurrent_threads_cmxa);
  test_add ("/errors/short-read-eio-long-read-truncated",
            test_short_read);
  test_add ("/errors/open/missing-enoent", test_open_missing);
  test_add ("/errors/open/bare-name-not-searched",
            test_open_bare_name_not_searched);
  test_add ("/errors/open/directory-eisdir", test_open_directory);
  test_add ("/errors/open/empty-enoexec", test_open_empty);
  test_add ("/errors/open/text-enoexec", test_open_text);
  test_add ("/errors/open/truncated-elf-elibbad",
            test_open_truncated_elf);
  test_add ("/errors/open/not-ocaml-elibbad", test_open_not_ocaml);
  test_add ("/errors/open/other-glue-abi-eproto", test_open_other_abi);
  test_add ("/errors/open/unreadable-eacces", test_open_unreadable);
  test_add ("/errors/open/noregister-esrch", test_open_noregister);
  test_add ("/errors/open/register-twice-eexist", test_open_twice);
  test_add ("/errors/open/toplevel-raises-ecanceled", test_open_raise);
  test_add ("/errors/open/missing-required-einval",
            test_open_missing_required);
  test_add ("/errors/open/bad-arguments-einval",
            test_open_bad_arguments);
  return g_test_run ();
}
