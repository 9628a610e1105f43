/* libnbdocaml host library: the host hooks behind the NBDKit helpers.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * NBDKit.export_name and the other helpers that ask the server about the
 * current client call nbdkit's own functions under nbdkit.  In any other
 * host the glue (lib/helpers.c) calls the services below, which call the
 * hooks the host installed with nbdocaml_set_host_hooks and turn their
 * failures, or their absence, into an error message the helper raises.
 * The hooks are process-wide, like the default debug handler, and are
 * copied under a lock so that a host may change them at any time.
 */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "host.h"

static pthread_mutex_t hooks_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nbdocaml_host_hooks hooks;
static void *hooks_opaque;

NBDOCAML_API int
nbdocaml_set_host_hooks (const struct nbdocaml_host_hooks *h, void *opaque)
{
  struct nbdocaml_host_hooks copy;

  memset (&copy, 0, sizeof copy);
  if (h) {
    if (h->size < sizeof h->size || h->size > sizeof copy) {
      nbdocaml_internal_set_error (EINVAL, "nbdocaml_set_host_hooks: size "
                                   "is %zu, this library knows sizes from "
                                   "%zu to %zu", h->size, sizeof h->size,
                                   sizeof copy);
      return -1;
    }
    /* A host built against an older header gives fewer hooks: the rest
     * stay NULL. */
    memcpy (&copy, h, h->size);
    copy.size = sizeof copy;
  }
  pthread_mutex_lock (&hooks_lock);
  hooks = copy;
  hooks_opaque = h ? opaque : NULL;
  pthread_mutex_unlock (&hooks_lock);
  return 0;
}

/* A copy of the hooks, so that none is called with the lock held. */
static struct nbdocaml_host_hooks
snapshot (void **opaque)
{
  struct nbdocaml_host_hooks h;

  pthread_mutex_lock (&hooks_lock);
  h = hooks;
  *opaque = hooks_opaque;
  pthread_mutex_unlock (&hooks_lock);
  return h;
}

static int
missing (struct nbdocaml_error_buf *err, const char *hook)
{
  err->errnum = ENOTSUP;
  snprintf (err->msg, sizeof err->msg, "not available: this host is not "
            "nbdkit and installed no %s hook (nbdocaml_set_host_hooks)",
            hook);
  return -1;
}

static int
failed (struct nbdocaml_error_buf *err, const char *hook, int errnum)
{
  err->errnum = errnum ? errnum : EIO;
  snprintf (err->msg, sizeof err->msg, "the host's %s hook failed: %s",
            hook, errnum ? strerror (errnum) : "no reason given");
  return -1;
}

static int
host_export_name (char **name, struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);
  const char *n;

  if (h.export_name == NULL)
    return missing (err, "export_name");
  errno = 0;
  n = h.export_name (opaque, nbdocaml_internal_current);
  if (n == NULL)
    return failed (err, "export_name", errno);
  if ((*name = strdup (n)) == NULL)
    return failed (err, "export_name", ENOMEM);
  return 0;
}

static int
host_is_tls (struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);
  int r;

  if (h.is_tls == NULL)
    return missing (err, "is_tls");
  errno = 0;
  r = h.is_tls (opaque, nbdocaml_internal_current);
  return r == -1 ? failed (err, "is_tls", errno) : r != 0;
}

static int
host_stdio_safe (struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);
  int r;

  if (h.stdio_safe == NULL)
    return missing (err, "stdio_safe");
  errno = 0;
  r = h.stdio_safe (opaque, nbdocaml_internal_current);
  return r == -1 ? failed (err, "stdio_safe", errno) : r != 0;
}

static int
host_peer_id (int which, int64_t *id, struct nbdocaml_error_buf *err)
{
  static const char *const names[] = { "peer_pid", "peer_uid", "peer_gid" };
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);
  int64_t (*fn) (void *, const nbdocaml_module *) =
    which == 0 ? h.peer_pid : which == 1 ? h.peer_uid : h.peer_gid;

  if (fn == NULL)
    return missing (err, names[which]);
  errno = 0;
  *id = fn (opaque, nbdocaml_internal_current);
  return *id == -1 ? failed (err, names[which], errno) : 0;
}

static int
host_peer_name (void *addr, size_t *addrlen, struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);

  if (h.peer_name == NULL)
    return missing (err, "peer_name");
  errno = 0;
  if (h.peer_name (opaque, nbdocaml_internal_current, addr, addrlen) == -1)
    return failed (err, "peer_name", errno);
  return 0;
}

static int
host_shutdown (struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);

  if (h.shutdown == NULL)
    return missing (err, "shutdown");
  errno = 0;
  if (h.shutdown (opaque, nbdocaml_internal_current) == -1)
    return failed (err, "shutdown", errno);
  return 0;
}

static int
host_disconnect (int force, struct nbdocaml_error_buf *err)
{
  void *opaque;
  struct nbdocaml_host_hooks h = snapshot (&opaque);

  if (h.disconnect == NULL)
    return missing (err, "disconnect");
  errno = 0;
  if (h.disconnect (opaque, nbdocaml_internal_current, force) == -1)
    return failed (err, "disconnect", errno);
  return 0;
}

const struct nbdocaml_glue_host nbdocaml_internal_host = {
  .size = sizeof (struct nbdocaml_glue_host),
  .export_name = host_export_name,
  .is_tls = host_is_tls,
  .peer_id = host_peer_id,
  .peer_name = host_peer_name,
  .shutdown = host_shutdown,
  .disconnect = host_disconnect,
  .stdio_safe = host_stdio_safe,
};
