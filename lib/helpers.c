/* libnbdocaml glue: the NBDKit helpers that ask the server or the system.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * realpath, nanosleep, export_name, is_tls, peer_pid/uid/gid, peer_name,
 * shutdown, disconnect, stdio_safe, version and api_version, the
 * "external"s of both NBDKit modules.  Under nbdkit each calls nbdkit's
 * own function, looked up in the process at run time (as parse_size is in
 * primitives.c): the plugin must not refer to nbdkit's symbols directly,
 * or it would not load in other hosts.  Elsewhere the ones that need no
 * server use the C library, and the others go to the host library's
 * services (set_host), which call the hooks the host installed with
 * nbdocaml_set_host_hooks or report that there are none.  Every failure
 * raises Failure "NBDKit.NAME: reason", as nbdkit's own bindings raise
 * Failure.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

#include <caml/alloc.h>
#include <caml/fail.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>
#include <caml/signals.h>

/* For NBDKIT_VERSION_STRING (NBDKit.version is the nbdkit this library
 * was built against, as nbdkit's own binding reports the one it was built
 * with) and NBDKIT_API_VERSION, the one the adapter speaks.  Nothing here
 * calls the functions this header declares. */
#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include "glue.h"

static const struct nbdocaml_glue_host *host;

void
nbdocaml_internal_set_host (const struct nbdocaml_glue_host *h)
{
  host = h;
}

static struct {
  char *(*realpath) (const char *);
  int (*nanosleep) (unsigned, unsigned);
  const char *(*export_name) (void);
  int (*is_tls) (void);
  int64_t (*peer_id[3]) (void);
  int (*peer_name) (struct sockaddr *, socklen_t *);
  void (*shutdown) (void);
  void (*disconnect) (int);
  int (*stdio_safe) (void);
} nbdkit;
static pthread_once_t nbdkit_once = PTHREAD_ONCE_INIT;

static void
find_nbdkit (void)
{
#define FIND(field, name) \
  *(void **) &nbdkit.field = dlsym (RTLD_DEFAULT, name)
  FIND (realpath, "nbdkit_realpath");
  FIND (nanosleep, "nbdkit_nanosleep");
  FIND (export_name, "nbdkit_export_name");
  FIND (is_tls, "nbdkit_is_tls");
  FIND (peer_id[0], "nbdkit_peer_pid");
  FIND (peer_id[1], "nbdkit_peer_uid");
  FIND (peer_id[2], "nbdkit_peer_gid");
  FIND (peer_name, "nbdkit_peer_name");
  FIND (shutdown, "nbdkit_shutdown");
  /* nbdkit 1.34 and later; NULL under 1.32. */
  FIND (disconnect, "nbdkit_disconnect");
  FIND (stdio_safe, "nbdkit_stdio_safe");
#undef FIND
}

/* Whether we run under nbdkit at all: nbdkit_export_name is in every
 * nbdkit this library supports. */
static int
under_nbdkit (void)
{
  pthread_once (&nbdkit_once, find_nbdkit);
  return nbdkit.export_name != NULL;
}

static void __attribute__((noreturn))
fail (const char *fn, const char *reason)
{
  char msg[NBDOCAML_ERROR_MAX + 64];

  snprintf (msg, sizeof msg, "NBDKit.%s: %s", fn, reason);
  caml_failwith (msg);
}

/* nbdkit's functions log their own reason with nbdkit_error; most do not
 * document errno, so it is not repeated here. */
static void __attribute__((noreturn))
fail_nbdkit (const char *fn, const char *nbdkit_fn)
{
  char reason[128];

  snprintf (reason, sizeof reason, "%s failed (nbdkit logged why)",
            nbdkit_fn);
  fail (fn, reason);
}

/* The host's services, when a host library set them; the reason
 * otherwise. */
static const struct nbdocaml_glue_host *
need_host (const char *fn)
{
  if (host == NULL)
    fail (fn, "not available: this host is not nbdkit");
  return host;
}

static void
check_no_nul (const char *fn, value strv)
{
  char msg[64];

  if (strlen (String_val (strv)) != caml_string_length (strv)) {
    snprintf (msg, sizeof msg, "NBDKit.%s: the string contains a NUL byte",
              fn);
    caml_invalid_argument (msg);
  }
}

value nbdocaml_glue_realpath (value pathv);
value
nbdocaml_glue_realpath (value pathv)
{
  CAMLparam1 (pathv);
  CAMLlocal1 (rv);
  char *r;

  check_no_nul ("realpath", pathv);
  if (under_nbdkit () && nbdkit.realpath) {
    r = nbdkit.realpath (String_val (pathv));
    if (r == NULL)
      fail_nbdkit ("realpath", "nbdkit_realpath");
  }
  else if ((r = realpath (String_val (pathv), NULL)) == NULL) {
    char reason[PATH_MAX + 64];
    snprintf (reason, sizeof reason, "%s: %s", String_val (pathv),
              strerror (errno));
    fail ("realpath", reason);
  }
  rv = caml_copy_string (r);
  free (r);
  CAMLreturn (rv);
}

/* The runtime is released while the thread sleeps (with threads.cmxa,
 * other threads may run OCaml code meanwhile). */
value nbdocaml_glue_nanosleep (value secv, value nsecv);
value
nbdocaml_glue_nanosleep (value secv, value nsecv)
{
  CAMLparam2 (secv, nsecv);
  intnat sec = Long_val (secv), nsec = Long_val (nsecv);
  int r, saved;

  if (sec < 0 || nsec < 0 || nsec >= 1000000000 || sec > UINT_MAX)
    caml_invalid_argument ("NBDKit.nanosleep: wanted 0 <= seconds and "
                           "0 <= nanoseconds < 1000000000");
  under_nbdkit ();
  caml_enter_blocking_section ();
  if (nbdkit.nanosleep)
    /* Returns early, failing, when the server shuts down or the client
     * goes: the plugin should give up then. */
    r = nbdkit.nanosleep ((unsigned) sec, (unsigned) nsec);
  else {
    struct timespec ts = { (time_t) sec, (long) nsec };
    while ((r = nanosleep (&ts, &ts)) == -1 && errno == EINTR)
      ;
  }
  saved = errno;
  caml_leave_blocking_section ();
  if (r == -1) {
    errno = saved;
    if (nbdkit.nanosleep)
      fail_nbdkit ("nanosleep", "nbdkit_nanosleep");
    fail ("nanosleep", strerror (saved));
  }
  CAMLreturn (Val_unit);
}

value nbdocaml_glue_export_name (value unitv);
value
nbdocaml_glue_export_name (value unitv)
{
  CAMLparam1 (unitv);
  CAMLlocal1 (rv);
  struct nbdocaml_error_buf err;
  char *name;

  if (under_nbdkit ()) {
    /* NULL outside a connection. */
    const char *n = nbdkit.export_name ();
    if (n == NULL)
      fail_nbdkit ("export_name", "nbdkit_export_name");
    CAMLreturn (caml_copy_string (n));
  }
  if (need_host ("export_name")->export_name (&name, &err) == -1)
    fail ("export_name", err.msg);
  rv = caml_copy_string (name);
  free (name);
  CAMLreturn (rv);
}

/* is_tls and stdio_safe: a boolean from nbdkit or the host. */
value nbdocaml_glue_is_tls (value unitv);
value
nbdocaml_glue_is_tls (value unitv)
{
  struct nbdocaml_error_buf err;
  int r;

  if (under_nbdkit () && nbdkit.is_tls) {
    if ((r = nbdkit.is_tls ()) == -1)
      fail_nbdkit ("is_tls", "nbdkit_is_tls");
    return Val_bool (r);
  }
  if ((r = need_host ("is_tls")->is_tls (&err)) == -1)
    fail ("is_tls", err.msg);
  return Val_bool (r);
}

int
nbdocaml_internal_host_stdio_safe (void)
{
  struct nbdocaml_error_buf err;

  return host == NULL || host->stdio_safe (&err) != 0;
}

value nbdocaml_glue_stdio_safe (value unitv);
value
nbdocaml_glue_stdio_safe (value unitv)
{
  struct nbdocaml_error_buf err;
  int r;

  if (under_nbdkit () && nbdkit.stdio_safe)
    return Val_bool (nbdkit.stdio_safe ());
  if ((r = need_host ("stdio_safe")->stdio_safe (&err)) == -1)
    fail ("stdio_safe", err.msg);
  return Val_bool (r);
}

static value
peer_id (int which, const char *fn, const char *nbdkit_fn)
{
  struct nbdocaml_error_buf err;
  int64_t id;

  if (under_nbdkit () && nbdkit.peer_id[which]) {
    if ((id = nbdkit.peer_id[which] ()) == -1)
      fail_nbdkit (fn, nbdkit_fn);
    return caml_copy_int64 (id);
  }
  if (need_host (fn)->peer_id (which, &id, &err) == -1)
    fail (fn, err.msg);
  return caml_copy_int64 (id);
}

value nbdocaml_glue_peer_pid (value unitv);
value
nbdocaml_glue_peer_pid (value unitv)
{
  return peer_id (0, "peer_pid", "nbdkit_peer_pid");
}

value nbdocaml_glue_peer_uid (value unitv);
value
nbdocaml_glue_peer_uid (value unitv)
{
  return peer_id (1, "peer_uid", "nbdkit_peer_uid");
}

value nbdocaml_glue_peer_gid (value unitv);
value
nbdocaml_glue_peer_gid (value unitv)
{
  return peer_id (2, "peer_gid", "nbdkit_peer_gid");
}

/* Unix.sockaddr is ADDR_UNIX of string (tag 0) | ADDR_INET of inet_addr
 * * int (tag 1), and a Unix.inet_addr is a string of the 4 or 16 address
 * bytes.  Building it here needs only the type, not unix.cmxa. */
static value
sockaddr_value (const struct sockaddr_storage *ss, size_t len)
{
  CAMLparam0 ();
  CAMLlocal2 (rv, s);

  switch (ss->ss_family) {
  case AF_UNIX: {
    const struct sockaddr_un *un = (const struct sockaddr_un *) ss;
    size_t n = len > offsetof (struct sockaddr_un, sun_path)
      ? strnlen (un->sun_path, len - offsetof (struct sockaddr_un, sun_path))
      : 0;
    s = caml_alloc_initialized_string (n, un->sun_path);
    rv = caml_alloc_small (1, 0);
    Field (rv, 0) = s;
    break;
  }
  case AF_INET: {
    const struct sockaddr_in *in = (const struct sockaddr_in *) ss;
    s = caml_alloc_initialized_string (4, (const char *) &in->sin_addr);
    rv = caml_alloc_small (2, 1);
    Field (rv, 0) = s;
    Field (rv, 1) = Val_int (ntohs (in->sin_port));
    break;
  }
  case AF_INET6: {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *) ss;
    s = caml_alloc_initialized_string (16, (const char *) &in6->sin6_addr);
    rv = caml_alloc_small (2, 1);
    Field (rv, 0) = s;
    Field (rv, 1) = Val_int (ntohs (in6->sin6_port));
    break;
  }
  default: {
    char reason[64];
    snprintf (reason, sizeof reason, "address family %d has no "
              "Unix.sockaddr", (int) ss->ss_family);
    fail ("peer_name", reason);
  }
  }
  CAMLreturn (rv);
}

value nbdocaml_glue_peer_name (value unitv);
value
nbdocaml_glue_peer_name (value unitv)
{
  struct sockaddr_storage ss;
  struct nbdocaml_error_buf err;
  size_t len = sizeof ss;

  memset (&ss, 0, sizeof ss);
  if (under_nbdkit () && nbdkit.peer_name) {
    socklen_t slen = sizeof ss;
    if (nbdkit.peer_name ((struct sockaddr *) &ss, &slen) == -1)
      fail_nbdkit ("peer_name", "nbdkit_peer_name");
    len = slen;
  }
  else if (need_host ("peer_name")->peer_name (&ss, &len, &err) == -1)
    fail ("peer_name", err.msg);
  return sockaddr_value (&ss, len);
}

value nbdocaml_glue_shutdown (value unitv);
value
nbdocaml_glue_shutdown (value unitv)
{
  struct nbdocaml_error_buf err;

  if (under_nbdkit () && nbdkit.shutdown)
    nbdkit.shutdown ();
  else if (need_host ("shutdown")->shutdown (&err) == -1)
    fail ("shutdown", err.msg);
  return Val_unit;
}

value nbdocaml_glue_disconnect (value forcev);
value
nbdocaml_glue_disconnect (value forcev)
{
  struct nbdocaml_error_buf err;

  if (under_nbdkit ()) {
    if (nbdkit.disconnect == NULL)
      fail ("disconnect", "this nbdkit has no nbdkit_disconnect (it came "
            "with nbdkit 1.34)");
    nbdkit.disconnect (Bool_val (forcev));
  }
  else if (need_host ("disconnect")->disconnect (Bool_val (forcev),
                                                 &err) == -1)
    fail ("disconnect", err.msg);
  return Val_unit;
}

value nbdocaml_glue_version (value unitv);
value
nbdocaml_glue_version (value unitv)
{
  return caml_copy_string (NBDKIT_VERSION_STRING);
}

value nbdocaml_glue_api_version (value unitv);
value
nbdocaml_glue_api_version (value unitv)
{
  return Val_int (NBDKIT_API_VERSION);
}
