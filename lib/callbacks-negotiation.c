/* libnbdocaml glue: the callbacks around a client's handshake.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * preconnect, list_exports, default_export, export_description and
 * block_size came to nbdkit between 1.17 and 1.30.  They have the shape of
 * every entry of callbacks.c (take the runtime, CAMLparam, invoke,
 * exception to error, CAMLreturn, release) and share its invoke and
 * result_error; what is new is the data they return: strings, which C
 * gets as malloc'd copies, an export list and a block size triple.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <caml/alloc.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>

#include "glue.h"

/* An OCaml string as a C string: NUL bytes inside would silently cut it
 * short, so they are an error.  Returns a malloc'd copy or NULL with err
 * set. */
static char *
copy_string (int cb, const char *what, value s, struct nbdocaml_error_buf *err)
{
  size_t len = caml_string_length (s);
  char *r;

  if (memchr (String_val (s), '\0', len) != NULL) {
    nbdocaml_internal_result_error (cb, EINVAL, err, "returned %s that "
                                    "contains a NUL byte", what);
    return NULL;
  }
  r = malloc (len + 1);
  if (r == NULL) {
    nbdocaml_internal_result_error (cb, ENOMEM, err, "out of memory");
    return NULL;
  }
  memcpy (r, String_val (s), len + 1);
  return r;
}

static int
preconnect_locked (int readonly, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { Val_bool (readonly) };

  rv = nbdocaml_internal_invoke (NBDOCAML_CB_PRECONNECT, 1, args, err);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_preconnect (int readonly, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return preconnect_locked (readonly, err);
}

/* NBDKit.export is { name : string; description : string option }. */
static int
list_exports_locked (int readonly, int is_tls, nbdocaml_export_fn add,
                     void *opaque, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal3 (rv, e, d);
  value args[2] = { Val_bool (readonly), Val_bool (is_tls) };

  rv = nbdocaml_internal_invoke (NBDOCAML_CB_LIST_EXPORTS, 2, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);

  /* add is host code that runs no OCaml code, so the list cannot move
   * while it is walked; the strings are copied only to check them and
   * add a terminating NUL the host can rely on. */
  for (; rv != Val_emptylist; rv = Field (rv, 1)) {
    char *name, *desc = NULL;
    int r;

    e = Field (rv, 0);
    d = Field (e, 1);
    name = copy_string (NBDOCAML_CB_LIST_EXPORTS, "an export name",
                        Field (e, 0), err);
    if (name == NULL)
      CAMLreturnT (int, -1);
    if (Is_block (d)) {
      desc = copy_string (NBDOCAML_CB_LIST_EXPORTS, "an export description",
                          Field (d, 0), err);
      if (desc == NULL) {
        free (name);
        CAMLreturnT (int, -1);
      }
    }
    errno = 0;
    r = add (opaque, name, desc);
    if (r == -1)
      nbdocaml_internal_result_error (NBDOCAML_CB_LIST_EXPORTS,
                                      errno ? errno : EINVAL, err,
                                      "the host rejected the export '%s'",
                                      name);
    free (name);
    free (desc);
    if (r == -1)
      CAMLreturnT (int, -1);
  }
  CAMLreturnT (int, 0);
}

static int
glue_list_exports (int readonly, int is_tls, nbdocaml_export_fn add,
                   void *opaque, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return list_exports_locked (readonly, is_tls, add, opaque, err);
}

static char *
default_export_locked (int readonly, int is_tls,
                       struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[2] = { Val_bool (readonly), Val_bool (is_tls) };

  rv = nbdocaml_internal_invoke (NBDOCAML_CB_DEFAULT_EXPORT, 2, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (char *, NULL);
  CAMLreturnT (char *, copy_string (NBDOCAML_CB_DEFAULT_EXPORT, "a name",
                                    rv, err));
}

static char *
glue_default_export (int readonly, int is_tls, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return default_export_locked (readonly, is_tls, err);
}

static char *
export_description_locked (struct glue_conn *c, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { c->handle };

  rv = nbdocaml_internal_invoke (NBDOCAML_CB_EXPORT_DESCRIPTION, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (char *, NULL);
  CAMLreturnT (char *, copy_string (NBDOCAML_CB_EXPORT_DESCRIPTION,
                                    "a description", rv, err));
}

static char *
glue_export_description (void *gc, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return export_description_locked (gc, err);
}

/* block_size returns int * int * int64: minimum, preferred, maximum.
 * nbdkit-plugin(3)'s rule: all zero, or 1 <= minimum <= preferred <=
 * maximum <= 0xffffffff. */
static int
block_size_locked (struct glue_conn *c, struct nbdocaml_block_size *bs,
                   struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { c->handle };
  intnat min, pref;
  int64_t max;

  rv = nbdocaml_internal_invoke (NBDOCAML_CB_BLOCK_SIZE, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);
  min = Long_val (Field (rv, 0));
  pref = Long_val (Field (rv, 1));
  max = Int64_val (Field (rv, 2));
  if (!(min == 0 && pref == 0 && max == 0) &&
      !(1 <= min && min <= pref && pref <= max && max <= UINT32_MAX)) {
    nbdocaml_internal_result_error (NBDOCAML_CB_BLOCK_SIZE, EINVAL, err,
                                    "returned (%ld, %ld, %" PRIi64 "): "
                                    "wanted 1 <= minimum <= preferred <= "
                                    "maximum <= 0xffffffff, or all 0",
                                    (long) min, (long) pref, max);
    CAMLreturnT (int, -1);
  }
  bs->minimum = (uint32_t) min;
  bs->preferred = (uint32_t) pref;
  bs->maximum = (uint32_t) max;
  CAMLreturnT (int, 0);
}

static int
glue_block_size (void *gc, struct nbdocaml_block_size *bs,
                 struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return block_size_locked (gc, bs, err);
}

void
nbdocaml_internal_fill_negotiation (struct nbdocaml_glue *t)
{
  t->preconnect = glue_preconnect;
  t->list_exports = glue_list_exports;
  t->default_export = glue_default_export;
  t->export_description = glue_export_description;
  t->block_size = glue_block_size;
}
