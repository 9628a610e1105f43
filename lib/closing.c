/* libnbdocaml host library: closing connections and modules while other
 * threads may still be calling them.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Closing an object that a call is still running on would free what that
 * call uses and, for the last handle on an OCaml 4 runtime, unload the
 * code it runs in: the sleeping callback resumes in unmapped memory.  So
 * every call counts itself in flight on its object (host.h), and closing
 * is in two steps: first the object is marked closing, which makes new
 * calls fail with ESHUTDOWN, then the closer waits until the count of
 * calls in flight is 0.  Only then does the plugin's close (or unload)
 * run, and the memory go.
 *
 * A module ends in nbdkit's order: its connections are closed first (the
 * plugin's close for each, oldest first), then unload, never a callback
 * after unload.  Every error on the way is reported, to the caller's
 * function or else to the debug handler, never dropped.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "host.h"

void
nbdocaml_internal_wake (nbdocaml_module *m)
{
  pthread_mutex_lock (&m->lock);
  pthread_cond_broadcast (&m->idle);
  pthread_mutex_unlock (&m->lock);
}

/* Whether no call runs on m or on any connection still on its list.
 * Called with m->lock held. */
static int
idle (nbdocaml_module *m)
{
  nbdocaml_conn *c;

  if (atomic_load (&m->calls) != 0)
    return 0;
  for (c = m->conns; c; c = c->next)
    if (atomic_load (&c->calls) != 0)
      return 0;
  return 1;
}

void
nbdocaml_internal_link_conn (nbdocaml_module *m, nbdocaml_conn *c)
{
  atomic_init (&c->calls, 0);
  atomic_init (&c->closing, 0);
  pthread_mutex_lock (&m->lock);
  c->prev = NULL;
  c->next = m->conns;
  if (m->conns)
    m->conns->prev = c;
  m->conns = c;
  pthread_mutex_unlock (&m->lock);
}

/* Called with m->lock held. */
static void
unlink_conn (nbdocaml_module *m, nbdocaml_conn *c)
{
  if (c->prev)
    c->prev->next = c->next;
  else
    m->conns = c->next;
  if (c->next)
    c->next->prev = c->prev;
}

static int
fail (int cb, int errnum, const char *why)
{
  nbdocaml_internal_set_error (errnum, "%s: %s", nbdocaml_callback_name (cb),
                               why);
  return -1;
}

int
nbdocaml_internal_close_conn (nbdocaml_conn *c, int cb)
{
  nbdocaml_module *m;
  int r = 0;

  if (c == NULL)
    return fail (cb, EINVAL, "the connection handle is NULL");
  m = c->m;

  if (nbdocaml_internal_enter (&m->calls, &m->closing) == -1)
    goto shut_down;
  if (atomic_exchange (&c->closing, 1)) {
    nbdocaml_internal_leave (m, &m->calls, &m->closing);
    if (atomic_load (&m->closing))
      goto shut_down;
    return fail (cb, EBUSY, "the connection is already being closed");
  }

  /* Off the list, so that a module shutdown starting now leaves it to us
   * (and waits for us: we count as a call in flight on the module). */
  pthread_mutex_lock (&m->lock);
  unlink_conn (m, c);
  while (atomic_load (&c->calls) != 0)
    pthread_cond_wait (&m->idle, &m->lock);
  pthread_mutex_unlock (&m->lock);

  nbdocaml_internal_current = m;
  nbdocaml_internal_prepare_thread ();
  r = m->g->close (c->gc, nbdocaml_internal_error ());
  free (c);
  nbdocaml_internal_leave (m, &m->calls, &m->closing);
  return r;

 shut_down:
  /* The module is being shut down, or was: its shutdown closes this
   * connection in the plugin if it has not already.  Wait for it to
   * finish, then only free the connection. */
  pthread_mutex_lock (&m->lock);
  while (!m->shut)
    pthread_cond_wait (&m->idle, &m->lock);
  unlink_conn (m, c);
  pthread_mutex_unlock (&m->lock);
  free (c);
  return 0;
}

/* Report the error just made (in this thread's error buffer). */
static void
report_error (nbdocaml_module *m, nbdocaml_error_fn report, void *opaque)
{
  const char *msg = nbdocaml_get_error ();
  char line[NBDOCAML_ERROR_MAX + 16];

  if (report) {
    report (opaque, nbdocaml_get_errno (), msg);
    return;
  }
  snprintf (line, sizeof line, "error: %s", msg);
  nbdocaml_internal_debug_message (m, line);
}

NBDOCAML_API int
nbdocaml_module_shutdown (nbdocaml_module *m, unsigned flags,
                          nbdocaml_error_fn report, void *opaque)
{
  struct nbdocaml_error_buf *err = nbdocaml_internal_error ();
  nbdocaml_conn *c, *last;
  int r = 0, unload;

  if (m == NULL || (flags & ~NBDOCAML_SHUTDOWN_UNLOAD)) {
    nbdocaml_internal_set_error (EINVAL, "nbdocaml_module_shutdown: %s",
                                 m ? "unknown flags"
                                 : "the module handle is NULL");
    return -1;
  }

  /* Once: a second shutdown (or one racing the first) waits for the
   * first to be done. */
  pthread_mutex_lock (&m->lock);
  if (atomic_exchange (&m->closing, 1)) {
    while (!m->shut)
      pthread_cond_wait (&m->idle, &m->lock);
    pthread_mutex_unlock (&m->lock);
    return 0;
  }
  for (c = m->conns; c; c = c->next)
    atomic_store (&c->closing, 1);
  while (!idle (m))
    pthread_cond_wait (&m->idle, &m->lock);
  unload = (m->loaded || ((flags & NBDOCAML_SHUTDOWN_UNLOAD) &&
                          !m->unloaded)) &&
    nbdocaml_module_has (m, NBDOCAML_CB_UNLOAD);
  m->loaded = 0;
  pthread_mutex_unlock (&m->lock);

  /* Nothing runs on m now and nothing can start: the list is ours.  The
   * plugin's close for each connection, oldest first, then unload. */
  nbdocaml_internal_current = m;
  nbdocaml_internal_prepare_thread ();
  for (last = m->conns; last && last->next; last = last->next)
    ;
  for (c = last; c; c = c->prev) {
    if (c->gc && m->g->close (c->gc, err) == -1) {
      report_error (m, report, opaque);
      r = -1;
    }
    c->gc = NULL;
  }
  if (unload && m->g->module_void (NBDOCAML_CB_UNLOAD, err) == -1) {
    report_error (m, report, opaque);
    r = -1;
  }

  pthread_mutex_lock (&m->lock);
  m->shut = 1;
  pthread_cond_broadcast (&m->idle);
  pthread_mutex_unlock (&m->lock);
  return r;
}

void
nbdocaml_internal_end_module (nbdocaml_module *m)
{
  nbdocaml_conn *c;

  nbdocaml_module_shutdown (m, 0, NULL, NULL);
  while ((c = m->conns) != NULL) {
    m->conns = c->next;
    free (c);
  }
}
