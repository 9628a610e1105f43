/* libnbdocaml tests: the NBDKit helpers outside nbdkit, and host hooks.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * r128_helpers.ml calls the helper named by "call=NAME" from its config
 * callback and reports "NAME=RESULT" through NBDKit.debug, or lets the
 * helper's exception fail the config call.  This program is not nbdkit,
 * so export_name and the others that ask the server work only through
 * the hooks it installs with nbdocaml_set_host_hooks; realpath,
 * nanosleep, version and api_version work without any.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "test-common.h"

/* What the hooks saw and answer.  The tests run one after another on the
 * main thread, so plain globals do. */
static struct {
  const nbdocaml_module *m;     /* the module the last hook was given */
  void *opaque;                 /* the opaque pointer it was given */
  int shutdowns, disconnects, last_force;
  int fail;                     /* every hook fails with EPERM */
  int inet;                     /* peer_name answers AF_INET, else AF_UNIX */
} seen;

#define SAW(m_, opaque_) (seen.m = (m_), seen.opaque = (opaque_))

static const char *
h_export_name (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return NULL; }
  return "from-the-hook";
}

static int
h_is_tls (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return -1; }
  return 1;
}

static int64_t
h_peer_pid (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return -1; }
  return 4242;
}

static int64_t
h_peer_uid (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  return 1000;
}

static int64_t
h_peer_gid (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  return 100;
}

static int
h_peer_name (void *opaque, const nbdocaml_module *m, struct sockaddr *addr,
             size_t *addrlen)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return -1; }
  if (seen.inet) {
    struct sockaddr_in in = { .sin_family = AF_INET,
                              .sin_port = htons (10809) };
    inet_pton (AF_INET, "192.0.2.7", &in.sin_addr);
    g_assert_cmpuint (*addrlen, >=, sizeof in);
    memcpy (addr, &in, sizeof in);
    *addrlen = sizeof in;
  }
  else {
    struct sockaddr_un un = { .sun_family = AF_UNIX };
    strcpy (un.sun_path, "/run/test.sock");
    g_assert_cmpuint (*addrlen, >=, sizeof un);
    memcpy (addr, &un, sizeof un);
    *addrlen = offsetof (struct sockaddr_un, sun_path) +
      strlen (un.sun_path) + 1;
  }
  return 0;
}

static int
h_shutdown (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return -1; }
  seen.shutdowns++;
  return 0;
}

static int
h_disconnect (void *opaque, const nbdocaml_module *m, int force)
{
  SAW (m, opaque);
  if (seen.fail) { errno = EPERM; return -1; }
  seen.disconnects++;
  seen.last_force = force;
  return 0;
}

static int
h_stdio_safe (void *opaque, const nbdocaml_module *m)
{
  SAW (m, opaque);
  return 0;
}

static const struct nbdocaml_host_hooks all_hooks = {
  .size = sizeof (struct nbdocaml_host_hooks),
  .export_name = h_export_name, .is_tls = h_is_tls,
  .peer_pid = h_peer_pid, .peer_uid = h_peer_uid, .peer_gid = h_peer_gid,
  .peer_name = h_peer_name, .shutdown = h_shutdown,
  .disconnect = h_disconnect, .stdio_safe = h_stdio_safe,
};

/* The helpers that need a host. */
static const char *const host_helpers[] = {
  "export_name", "is_tls", "peer_pid", "peer_uid", "peer_gid", "peer_name",
  "shutdown", "disconnect", "stdio_safe",
};

/* Call helper NAME in the plugin; 0 or -1 as nbdocaml_call_config. */
static int
call (nbdocaml_module *m, const char *name)
{
  return nbdocaml_call_config (m, "call", name);
}

static void
test_without_hooks (void)
{
  struct collector col;
  nbdocaml_module *m;
  size_t i;

  g_assert_cmpint (nbdocaml_set_host_hooks (NULL, NULL), ==, 0);
  collector_init (&col);
  m = open_plugin ("r128_helpers");
  collector_attach (&col, m);
  /* Not nbdkit and no hook: a clear Failure naming the helper and what
   * is missing, which fails the callback that called it. */
  for (i = 0; i < G_N_ELEMENTS (host_helpers); ++i) {
    char *prefix = g_strdup_printf ("config: Failure(\"NBDKit.%s: not "
                                    "available: this host is not nbdkit "
                                    "and installed no %s hook",
                                    host_helpers[i], host_helpers[i]);
    /* disconnect's hook serves disconnect_force too. */
    g_test_message ("calling %s", host_helpers[i]);
    g_assert_cmpint (call (m, host_helpers[i]), ==, -1);
    assert_error (EIO, prefix);
    g_free (prefix);
  }
  g_assert_cmpuint (col.msgs->len, ==, 0);
  nbdocaml_module_close (m);
  collector_free (&col);
}

static void
test_with_hooks (void)
{
  static const struct { const char *call, *debug; } cases[] = {
    { "export_name", "export_name=from-the-hook" },
    { "is_tls", "is_tls=true" },
    { "peer_pid", "peer_pid=4242" },
    { "peer_uid", "peer_uid=1000" },
    { "peer_gid", "peer_gid=100" },
    { "stdio_safe", "stdio_safe=false" },
  };
  struct collector col;
  nbdocaml_module *m;
  int token;
  size_t i;

  memset (&seen, 0, sizeof seen);
  g_assert_cmpint (nbdocaml_set_host_hooks (&all_hooks, &token), ==, 0);
  collector_init (&col);
  m = open_plugin ("r128_helpers");
  collector_attach (&col, m);
  for (i = 0; i < G_N_ELEMENTS (cases); ++i) {
    seen.m = NULL;
    g_assert_cmpint (call (m, cases[i].call), ==, 0);
    assert_last_debug (&col, cases[i].debug);
    /* Each hook is told which module asked, and gets the opaque. */
    g_assert_true (seen.m == m);
    g_assert_true (seen.opaque == &token);
  }

  /* peer_name becomes a Unix.sockaddr of either kind. */
  seen.inet = 1;
  g_assert_cmpint (call (m, "peer_name"), ==, 0);
  assert_last_debug (&col, "peer_name=inet:192.0.2.7:10809");
  seen.inet = 0;
  g_assert_cmpint (call (m, "peer_name"), ==, 0);
  assert_last_debug (&col, "peer_name=unix:/run/test.sock");

  g_assert_cmpint (call (m, "shutdown"), ==, 0);
  g_assert_cmpint (seen.shutdowns, ==, 1);
  g_assert_cmpint (call (m, "disconnect"), ==, 0);
  g_assert_cmpint (seen.last_force, ==, 0);
  g_assert_cmpint (call (m, "disconnect_force"), ==, 0);
  g_assert_cmpint (seen.last_force, ==, 1);
  g_assert_cmpint (seen.disconnects, ==, 2);
  assert_last_debug (&col, "disconnect_force=done");

  /* A hook that fails: the helper raises with the hook's errno. */
  seen.fail = 1;
  g_assert_cmpint (call (m, "export_name"), ==, -1);
  assert_error (EIO, "config: Failure(\"NBDKit.export_name: the host's "
                "export_name hook failed: Operation not permitted\")");
  g_assert_cmpint (call (m, "peer_pid"), ==, -1);
  assert_error (EIO, "config: Failure(\"NBDKit.peer_pid: the host's "
                "peer_pid hook failed: Operation not permitted\")");
  g_assert_cmpint (call (m, "is_tls"), ==, -1);
  assert_error (EIO, "config: Failure(\"NBDKit.is_tls: the host's is_tls "
                "hook failed");
  seen.fail = 0;

  nbdocaml_module_close (m);
  collector_free (&col);
  g_assert_cmpint (nbdocaml_set_host_hooks (NULL, NULL), ==, 0);
}

static void
test_hooks_size (void)
{
  struct nbdocaml_host_hooks h = all_hooks;
  nbdocaml_module *m;

  /* Larger than this library's structure: hooks it does not know. */
  h.size = sizeof h + 8;
  g_assert_cmpint (nbdocaml_set_host_hooks (&h, NULL), ==, -1);
  assert_error (EINVAL, "nbdocaml_set_host_hooks: size is ");
  h.size = 0;
  g_assert_cmpint (nbdocaml_set_host_hooks (&h, NULL), ==, -1);
  assert_error (EINVAL, "nbdocaml_set_host_hooks: size is 0");

  /* A host built against a header that knew only export_name: the hooks
   * past its size stay unset. */
  h.size = offsetof (struct nbdocaml_host_hooks, is_tls);
  g_assert_cmpint (nbdocaml_set_host_hooks (&h, NULL), ==, 0);
  m = open_plugin ("r128_helpers");
  g_assert_cmpint (call (m, "export_name"), ==, 0);
  g_assert_cmpint (call (m, "is_tls"), ==, -1);
  assert_error (EIO, "config: Failure(\"NBDKit.is_tls: not available");
  nbdocaml_module_close (m);
  g_assert_cmpint (nbdocaml_set_host_hooks (NULL, NULL), ==, 0);
}

/* realpath, nanosleep, version and api_version need no host. */
static void
test_host_free_helpers (void)
{
  struct collector col;
  nbdocaml_module *m;
  char *cwd = g_get_current_dir (), *expected, *last;
  gint64 t0;

  g_assert_cmpint (nbdocaml_set_host_hooks (NULL, NULL), ==, 0);
  collector_init (&col);
  m = open_plugin ("r128_helpers");
  collector_attach (&col, m);

  g_assert_cmpint (call (m, "realpath:."), ==, 0);
  expected = g_strdup_printf ("realpath:.=%s", cwd);
  assert_last_debug (&col, expected);
  g_free (expected);
  g_assert_cmpint (call (m, "realpath:/nonexistent/dir"), ==, -1);
  assert_error (EIO, "config: Failure(\"NBDKit.realpath: /nonexistent/dir: "
                "No such file or directory\")");

  t0 = g_get_monotonic_time ();
  g_assert_cmpint (call (m, "nanosleep:0:300000000"), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, 300000);
  last = collector_last (&col);
  g_assert_true (g_regex_match_simple ("^nanosleep:0:300000000=slept "
                                       "0\\.[3-9]", last, 0, 0));
  g_free (last);
  g_assert_cmpint (call (m, "nanosleep:0:1000000000"), ==, -1);
  assert_error (EIO, "config: Invalid_argument(\"NBDKit.nanosleep: ");
  g_assert_cmpint (call (m, "nanosleep:-1:0"), ==, -1);
  assert_error (EIO, "config: Invalid_argument(\"NBDKit.nanosleep: ");

  g_assert_cmpint (call (m, "api_version"), ==, 0);
  assert_last_debug (&col, "api_version=2");
  g_assert_cmpint (call (m, "version"), ==, 0);
  last = collector_last (&col);
  g_assert_true (g_regex_match_simple ("^version=1\\.[0-9]+\\.[0-9]+$", last,
                                       0, 0));
  g_free (last);

  nbdocaml_module_close (m);
  collector_free (&col);
  g_free (cwd);
}

/* With threads.cmxa, nanosleep gives the runtime up while it sleeps: a
 * second thread's call completes meanwhile. */
struct sleeper {
  nbdocaml_module *m;
  int r;
};

/* Memcheck slows every call down: sleep longer there. */
#define SLEEP_SECONDS (under_valgrind () ? 8 : 2)

static gpointer
sleep_thread (gpointer data)
{
  struct sleeper *s = data;
  char *spec = g_strdup_printf ("nanosleep:%d:0", SLEEP_SECONDS);

  s->r = call (s->m, spec);
  g_free (spec);
  return NULL;
}

static void
test_nanosleep_releases_runtime (void)
{
  struct collector col;
  struct sleeper s;
  GThread *t;
  gint64 t0, took;

  collector_init (&col);
  s.m = open_plugin ("threads_r128_helpers");
  collector_attach (&col, s.m);
  g_assert_cmpint (nbdocaml_module_has_threads (s.m), ==, 1);
  /* This thread's first call registers it with the runtime, which must
   * happen while no call is in flight. */
  g_assert_cmpint (call (s.m, "api_version"), ==, 0);

  t = g_thread_new ("sleeper", sleep_thread, &s);
  g_assert_true (collector_wait_for (&col, "nanosleep start", 10));
  t0 = g_get_monotonic_time ();
  g_assert_cmpint (call (s.m, "version"), ==, 0);
  took = g_get_monotonic_time () - t0;
  /* Done long before the sleeper wakes up. */
  g_assert_cmpint (took, <, SLEEP_SECONDS * G_USEC_PER_SEC / 2);
  /* The sleeper has not reported yet: the last message is ours. */
  {
    char *last = collector_last (&col);
    g_assert_true (g_str_has_prefix (last, "version="));
    g_free (last);
  }
  g_thread_join (t);
  g_assert_cmpint (s.r, ==, 0);
  nbdocaml_module_close (s.m);
  collector_free (&col);
}

int
main (int argc, char *argv[])
{
  test_init (&argc, &argv);
  test_add ("/hooks/without-hooks-helpers-raise",
            test_without_hooks);
  test_add ("/hooks/installed-hooks-answer", test_with_hooks);
  test_add ("/hooks/size-checked-and-older-hosts", test_hooks_size);
  test_add ("/hooks/realpath-nanosleep-version-need-no-host",
            test_host_free_helpers);
  test_add ("/hooks/nanosleep-releases-the-runtime",
            test_nanosleep_releases_runtime);
  return g_test_run ();
}
