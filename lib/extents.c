/* libnbdocaml host library: nbdkit's rules for the extents a plugin
 * returns.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * An OCaml plugin's extents must be accepted or refused exactly as nbdkit
 * 1.32 accepts or refuses the same extents from a C plugin through
 * nbdkit_add_extent (nbdkit-plugin(3), "Extents list"), so that an OCaml
 * plugin is no stricter and no laxer than a C one, under nbdkit and in any
 * other host.  The glue hands every extent over unchecked, its int64s read
 * as uint64s, as a C plugin would pass them; this file checks them, with
 * nbdkit's arithmetic, before the host's add function sees them:
 *
 * - each extent must start where the previous one ended, empty ones
 *   included (ERANGE); the one after an extent whose end overflows int64
 *   is not checked, as nbdkit keeps that end in an int64;
 * - empty extents are dropped, and so are the extents that end before
 *   the requested offset, until one covers it;
 * - that first covering extent must not start after the offset (ERANGE),
 *   and is cut to start exactly at it;
 * - at least one extent must cover the offset (EINVAL).
 *
 * Extents past the end of the range or of the disk are passed on: nbdkit
 * cuts them to the disk's size, which only the host knows.  nbdkit gives
 * the client EINVAL for ERANGE as for EINVAL.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include "host.h"

struct rules {
  nbdocaml_extent_fn add;       /* the host's */
  void *opaque;
  uint64_t start;               /* the requested offset */
  int64_t next;                 /* where the next extent must start, or -1 */
  int covered;                  /* an extent covering start was passed on */
  int errnum;                   /* a rule was broken: the call's errno */
  char msg[200];
};

static int __attribute__((format (printf, 3, 4)))
refuse (struct rules *r, int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (r->msg, sizeof r->msg, fmt, ap);
  va_end (ap);
  r->errnum = errnum;
  errno = errnum;
  return -1;
}

static int
check_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  struct rules *r = opaque;

  if (r->next >= 0 && (uint64_t) r->next != offset)
    return refuse (r, ERANGE, "extents must be contiguous and in "
                   "ascending order: one starts at %" PRIu64 ", the previous "
                   "one ended at %" PRIu64, offset, (uint64_t) r->next);
  r->next = (int64_t) (offset + length);
  if (length == 0)
    return 0;
  if (!r->covered) {
    if (offset + length <= r->start)
      return 0;
    if (offset > r->start)
      return refuse (r, ERANGE, "the first extent starts at %" PRIu64
                     ", after the requested offset %" PRIu64,
                     offset, r->start);
    length -= r->start - offset;
    offset = r->start;
    r->covered = 1;
  }
  return r->add (r->opaque, offset, length, type);
}

int
nbdocaml_internal_extents (nbdocaml_conn *c, uint32_t count, uint64_t offset,
                           uint32_t flags, nbdocaml_extent_fn add,
                           void *opaque)
{
  struct rules r = { add, opaque, offset, -1, 0, 0, "" };
  int ret;

  ret = c->m->g->extents (c->gc, count, offset, flags, check_extent, &r,
                          nbdocaml_internal_error ());
  if (ret == -1 && r.errnum) {
    nbdocaml_internal_set_error (r.errnum, "extents: %s", r.msg);
    return -1;
  }
  if (ret == 0 && !r.covered) {
    nbdocaml_internal_set_error (EINVAL, "extents: the plugin returned no "
                                 "extent covering the requested offset %"
                                 PRIu64, offset);
    return -1;
  }
  return ret;
}
