/* libnbdocaml glue: invoking the plugin's OCaml callbacks from C.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Every entry here has the same shape: an outer function takes the runtime
 * (GLUE_HOLD_RUNTIME, released by scope cleanup on every path) and calls an
 * inner function that does CAMLparam ... caml_callback*_exn ... CAMLreturn.
 * The split matters: the runtime must stay held until CAMLreturn has
 * restored the local roots, which is only guaranteed once the inner
 * function has returned.  Exceptions never escape: each becomes an error
 * message prefixed with the callback's name, and an errno.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <caml/alloc.h>
#include <caml/bigarray.h>
#include <caml/callback.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>

#include "glue.h"

static const char *const callback_name[NBDOCAML_CB_COUNT] = {
#define NAME_(E, f, c, k, i, n) [NBDOCAML_CB_##E] = #f,
  NBDOCAML_CALLBACKS (NAME_)
#undef NAME_
};

/* callbacks-negotiation.c shares these two. */
#define result_error nbdocaml_internal_result_error
#define invoke nbdocaml_internal_invoke

void
result_error (int cb, int errnum, struct nbdocaml_error_buf *err,
              const char *fmt, ...)
{
  va_list ap;
  int n = snprintf (err->msg, sizeof err->msg, "%s: ", callback_name[cb]);

  va_start (ap, fmt);
  vsnprintf (err->msg + n, sizeof err->msg - n, fmt, ap);
  va_end (ap);
  err->errnum = errnum;
}

/* Call callback cb with nargs arguments.  Returns the result, or an
 * exception result after filling err.  Clears the thread's set_error
 * state first, so only errnos set during this call count. */
value
invoke (int cb, int nargs, value *args, struct nbdocaml_error_buf *err)
{
  value rv;

  nbdocaml_internal_set_errno = 0;
  rv = caml_callbackN_exn (nbdocaml_internal_closure (cb), nargs, args);
  if (Is_exception_result (rv))
    nbdocaml_internal_exception_error (Extract_exception (rv),
                                       callback_name[cb], err);
  return rv;
}

/* NBDKit.flag is May_trim | FUA | Req_one: constant constructors 0, 1, 2,
 * the same order as the low three NBDOCAML_FLAG_* bits.  FAST_ZERO has no
 * OCaml constructor and is dropped.  The list is in the order nbdkit's own
 * OCaml plugin has always built it (1.16 to 1.32: each flag consed on in
 * bit order), [Req_one; FUA; May_trim], since a plugin matching a whole
 * list sees the order. */
static value
flags_to_list (uint32_t flags)
{
  CAMLparam0 ();
  CAMLlocal2 (list, cell);
  int bit;

  list = Val_emptylist;
  for (bit = 0; bit <= 2; ++bit) {
    if (flags & (UINT32_C (1) << bit)) {
      cell = caml_alloc_small (2, Tag_cons);
      Field (cell, 0) = Val_int (bit);
      Field (cell, 1) = list;
      list = cell;
    }
  }
  CAMLreturn (list);
}

/* A count as the plugin's API types it: int32 in the record API (nbdkit
 * 1.16 - 1.28), int64 in the labelled one (nbdkit >= 1.30).  The host
 * library never passes the record API a count above INT32_MAX. */
static value
count_value (uint32_t count)
{
  if (nbdocaml_internal_table.ocaml_api == NBDOCAML_OCAML_API_LABELLED)
    return caml_copy_int64 ((int64_t) count);
  return caml_copy_int32 ((int32_t) count);
}

/* -- module-level callbacks ---------------------------------------------- */

static int
module_void_locked (int cb, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { Val_unit };

  rv = invoke (cb, 1, args, err);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_module_void (int cb, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return module_void_locked (cb, err);
}

static int
config_locked (const char *key, const char *val, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal3 (k, v, rv);
  value args[2];

  k = caml_copy_string (key);
  v = caml_copy_string (val);
  args[0] = k;
  args[1] = v;
  rv = invoke (NBDOCAML_CB_CONFIG, 2, args, err);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_config (const char *key, const char *val, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return config_locked (key, val, err);
}

/* Constant constructors come back as immediate ints; anything else (a
 * plugin cheating with Obj.magic) is rejected rather than trusted. */
static int
enum_result (int cb, value rv, int max, struct nbdocaml_error_buf *err)
{
  if (!Is_long (rv) || Long_val (rv) < 0 || Long_val (rv) > max) {
    if (Is_long (rv))
      result_error (cb, EINVAL, err, "returned an out of range value %ld",
                    (long) Long_val (rv));
    else
      result_error (cb, EINVAL, err, "returned a block, not a constant");
    return -1;
  }
  return (int) Long_val (rv);
}

static int
thread_model_locked (struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { Val_unit };

  rv = invoke (NBDOCAML_CB_THREAD_MODEL, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);
  CAMLreturnT (int, enum_result (NBDOCAML_CB_THREAD_MODEL, rv,
                                 NBDOCAML_THREAD_MODEL_PARALLEL, err));
}

static int
glue_thread_model (struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return thread_model_locked (err);
}

/* -- connections ------------------------------------------------------- */

static void *
open_locked (int readonly, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { Val_bool (readonly) };
  struct glue_conn *c;

  rv = invoke (NBDOCAML_CB_OPEN_CONNECTION, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (void *, NULL);
  c = nbdocaml_internal_conn_new (rv);
  if (c == NULL)
    result_error (NBDOCAML_CB_OPEN_CONNECTION, ENOMEM, err,
                  "out of memory");
  CAMLreturnT (void *, c);
}

static void *
glue_open (int readonly, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return open_locked (readonly, err);
}

static int
close_locked (struct glue_conn *c, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  int r = 0;

  if (nbdocaml_internal_table.registered & (UINT64_C (1) << NBDOCAML_CB_CLOSE)) {
    value args[1] = { c->handle };
    rv = invoke (NBDOCAML_CB_CLOSE, 1, args, err);
    r = Is_exception_result (rv) ? -1 : 0;
  }
  nbdocaml_internal_conn_free (c);
  CAMLreturnT (int, r);
}

static int
glue_close (void *gc, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return close_locked (gc, err);
}

static int64_t
get_size_locked (struct glue_conn *c, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { c->handle };
  int64_t size;

  rv = invoke (NBDOCAML_CB_GET_SIZE, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int64_t, -1);
  size = Int64_val (rv);
  if (size < 0) {
    result_error (NBDOCAML_CB_GET_SIZE, EINVAL, err,
                  "returned a negative size %" PRIi64, size);
    size = -1;
  }
  CAMLreturnT (int64_t, size);
}

static int64_t
glue_get_size (void *gc, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return get_size_locked (gc, err);
}

/* can_* and is_rotational: a bool, or a fua_flag / cache_flag whose
 * constructors are numbered like NBDOCAML_FUA_* / NBDOCAML_CACHE_*. */
static int
conn_int_locked (int cb, struct glue_conn *c, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal1 (rv);
  value args[1] = { c->handle };
  int max = (cb == NBDOCAML_CB_CAN_FUA || cb == NBDOCAML_CB_CAN_CACHE) ? 2 : 1;

  rv = invoke (cb, 1, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);
  CAMLreturnT (int, enum_result (cb, rv, max, err));
}

static int
glue_conn_int (int cb, void *gc, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return conn_int_locked (cb, gc, err);
}

/* -- data ------------------------------------------------------------ */

/* The zero-copy callbacks get a Bigarray wrapping the caller's buffer.
 * The plugin may keep a reference past the call, so afterwards the array
 * is emptied: dimension 0 and no data, which makes every bounds-checked
 * access raise Invalid_argument instead of touching memory the caller has
 * reused, and NBDKit's own functions on buffers refuse a NULL data pointer
 * (primitives.c).  A lent buffer is never NULL, even when empty, so that
 * NULL always means "kept past its call".  (Unchecked accesses and
 * sub-arrays taken during the call are not covered; NBDKit.mli says
 * what happens to them.) */
static char empty_buffer[1];

static value
wrap_buffer (void *buf, uint32_t count)
{
  return caml_ba_alloc_dims (CAML_BA_CHAR | CAML_BA_C_LAYOUT, 1,
                             count ? buf : empty_buffer, (intnat) count);
}

static void
invalidate_buffer (value ba)
{
  Caml_ba_array_val (ba)->dim[0] = 0;
  Caml_ba_array_val (ba)->data = NULL;
}

static int
pread_locked (int cb, struct glue_conn *c, void *buf, uint32_t count,
              uint64_t offset, uint32_t flags, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal5 (n, off, fl, rv, ba);
  value args[4];

  off = caml_copy_int64 ((int64_t) offset);
  fl = flags_to_list (flags);
  if (cb == NBDOCAML_CB_PREAD_BUF) {
    ba = wrap_buffer (buf, count);
    args[0] = c->handle; args[1] = ba; args[2] = off; args[3] = fl;
    rv = invoke (cb, 4, args, err);
    invalidate_buffer (ba);
    CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
  }

  /* The labelled API's pread takes its count as an int. */
  n = nbdocaml_internal_table.ocaml_api == NBDOCAML_OCAML_API_LABELLED
    ? Val_long (count) : caml_copy_int32 ((int32_t) count);
  args[0] = c->handle; args[1] = n; args[2] = off; args[3] = fl;
  rv = invoke (cb, 4, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);
  if (caml_string_length (rv) < count) {
    result_error (cb, EIO, err,
                  "the plugin returned %zu bytes, %" PRIu32 " were requested",
                  (size_t) caml_string_length (rv), count);
    CAMLreturnT (int, -1);
  }
  /* The one copy of the string API. */
  memcpy (buf, String_val (rv), count);
  CAMLreturnT (int, 0);
}

static int
glue_pread (int cb, void *gc, void *buf, uint32_t count, uint64_t offset,
            uint32_t flags, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return pread_locked (cb, gc, buf, count, offset, flags, err);
}

static int
pwrite_locked (int cb, struct glue_conn *c, const void *buf, uint32_t count,
               uint64_t offset, uint32_t flags, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal4 (data, off, fl, rv);
  value args[4];

  /* The Bigarray is not read-only to OCaml, but pwrite_buf is documented
   * to only read it; the string API copies once, into a fresh string. */
  data = cb == NBDOCAML_CB_PWRITE_BUF
    ? wrap_buffer ((void *) buf, count)
    : caml_alloc_initialized_string (count, buf);
  off = caml_copy_int64 ((int64_t) offset);
  fl = flags_to_list (flags);
  args[0] = c->handle; args[1] = data; args[2] = off; args[3] = fl;
  rv = invoke (cb, 4, args, err);
  if (cb == NBDOCAML_CB_PWRITE_BUF)
    invalidate_buffer (data);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_pwrite (int cb, void *gc, const void *buf, uint32_t count,
             uint64_t offset, uint32_t flags, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return pwrite_locked (cb, gc, buf, count, offset, flags, err);
}

static int
flush_locked (struct glue_conn *c, uint32_t flags,
              struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal2 (fl, rv);
  value args[2];

  fl = flags_to_list (flags);
  args[0] = c->handle; args[1] = fl;
  rv = invoke (NBDOCAML_CB_FLUSH, 2, args, err);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_flush_conn (void *gc, uint32_t flags, struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return flush_locked (gc, flags, err);
}

/* trim, zero, cache: handle, count, offset, flags. */
static int
range_locked (int cb, struct glue_conn *c, uint32_t count, uint64_t offset,
              uint32_t flags, struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal4 (n, off, fl, rv);
  value args[4];

  n = count_value (count);
  off = caml_copy_int64 ((int64_t) offset);
  fl = flags_to_list (flags);
  args[0] = c->handle; args[1] = n; args[2] = off; args[3] = fl;
  rv = invoke (cb, 4, args, err);
  CAMLreturnT (int, Is_exception_result (rv) ? -1 : 0);
}

static int
glue_range (int cb, void *gc, uint32_t count, uint64_t offset, uint32_t flags,
            struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return range_locked (cb, gc, count, offset, flags, err);
}

static int
extents_locked (struct glue_conn *c, uint32_t count, uint64_t offset,
                uint32_t flags, nbdocaml_extent_fn add, void *opaque,
                struct nbdocaml_error_buf *err)
{
  CAMLparam0 ();
  CAMLlocal5 (n, off, fl, rv, e);
  value args[4];

  n = count_value (count);
  off = caml_copy_int64 ((int64_t) offset);
  fl = flags_to_list (flags);
  args[0] = c->handle; args[1] = n; args[2] = off; args[3] = fl;
  rv = invoke (NBDOCAML_CB_EXTENTS, 4, args, err);
  if (Is_exception_result (rv))
    CAMLreturnT (int, -1);

  /* Every extent goes to the host as the plugin returned it, its int64s
   * read as the uint64s a C plugin would pass to nbdkit_add_extent, even
   * empty ones: the host library applies nbdkit's rules (dispatch.c), and
   * nbdkit itself applies them again.  add is host code: it must not call
   * back into this module, but it runs no OCaml code, so walking the list
   * around it is safe. */
  for (; rv != Val_emptylist; rv = Field (rv, 1)) {
    uint64_t eoff, elen;
    uint32_t type;

    e = Field (rv, 0);
    eoff = (uint64_t) Int64_val (Field (e, 0));
    elen = (uint64_t) Int64_val (Field (e, 1));
    type = (Bool_val (Field (e, 2)) ? NBDOCAML_EXTENT_HOLE : 0) |
           (Bool_val (Field (e, 3)) ? NBDOCAML_EXTENT_ZERO : 0);
    errno = 0;
    if (add (opaque, eoff, elen, type) == -1) {
      result_error (NBDOCAML_CB_EXTENTS, errno ? errno : EINVAL, err,
                    "the host rejected the extent at offset %" PRIu64
                    " length %" PRIu64, eoff, elen);
      CAMLreturnT (int, -1);
    }
  }
  CAMLreturnT (int, 0);
}

static int
glue_extents (void *gc, uint32_t count, uint64_t offset, uint32_t flags,
              nbdocaml_extent_fn add, void *opaque,
              struct nbdocaml_error_buf *err)
{
  GLUE_HOLD_RUNTIME;
  return extents_locked (gc, count, offset, flags, add, opaque, err);
}

void
nbdocaml_internal_fill_calls (struct nbdocaml_glue *t)
{
  t->module_void = glue_module_void;
  t->config = glue_config;
  t->thread_model = glue_thread_model;
  t->open = glue_open;
  t->close = glue_close;
  t->get_size = glue_get_size;
  t->conn_int = glue_conn_int;
  t->pread = glue_pread;
  t->pwrite = glue_pwrite;
  t->flush_conn = glue_flush_conn;
  t->range = glue_range;
  t->extents = glue_extents;
  t->set_host = nbdocaml_internal_set_host;
  nbdocaml_internal_fill_negotiation (t);
}
