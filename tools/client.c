/* nbdocaml-call call: the tool plays the NBD client.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * Under nbdkit, NBDKit.export_name, is_tls, peer_pid, peer_uid, peer_gid
 * and peer_name ask nbdkit about the client being served.  The tool has
 * no client and no socket, so it answers for one through the library's
 * host hooks (nbdocaml_set_host_hooks): the export name and TLS state
 * are the ones the operations were given (open --export=NAME --tls), and
 * the client's credentials are the tool's own, as they would be for a
 * client on the same machine connected over a Unix domain socket, whose
 * address is unnamed.  shutdown, disconnect and stdio_safe are left out:
 * the tool serves no one, so a plugin calling them gets the library's
 * "not available" Failure rather than an answer that means nothing.
 *
 * The tool runs its operations on one thread, one at a time, so the
 * current client is a plain static variable.
 */
#include <config.h>

#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

#include "tool.h"

static struct {
  const char *export;   /* what NBDKit.export_name returns */
  int tls;              /* what NBDKit.is_tls returns */
} client = { "", 0 };

void
tool_client_set (const char *export, int tls)
{
  client.export = export ? export : "";
  client.tls = tls != 0;
}

static const char *
client_export_name (void *opaque, const nbdocaml_module *m)
{
  return client.export;
}

static int
client_is_tls (void *opaque, const nbdocaml_module *m)
{
  return client.tls;
}

static int64_t
client_pid (void *opaque, const nbdocaml_module *m)
{
  return getpid ();
}

static int64_t
client_uid (void *opaque, const nbdocaml_module *m)
{
  return getuid ();
}

static int64_t
client_gid (void *opaque, const nbdocaml_module *m)
{
  return getgid ();
}

/* An unnamed AF_UNIX address: just the family, as getpeername(2) gives
 * for a client that did not bind its socket. */
static int
client_peer_name (void *opaque, const nbdocaml_module *m,
                  struct sockaddr *addr, size_t *addrlen)
{
  struct sockaddr_un sun;
  size_t len = offsetof (struct sockaddr_un, sun_path);

  memset (&sun, 0, sizeof sun);
  sun.sun_family = AF_UNIX;
  if (*addrlen < len)
    len = *addrlen;
  memcpy (addr, &sun, len);
  *addrlen = offsetof (struct sockaddr_un, sun_path);
  return 0;
}

int
tool_client_install (void)
{
  struct nbdocaml_host_hooks hooks;

  memset (&hooks, 0, sizeof hooks);
  hooks.size = sizeof hooks;
  hooks.export_name = client_export_name;
  hooks.is_tls = client_is_tls;
  hooks.peer_pid = client_pid;
  hooks.peer_uid = client_uid;
  hooks.peer_gid = client_gid;
  hooks.peer_name = client_peer_name;
  return nbdocaml_set_host_hooks (&hooks, NULL);
}
