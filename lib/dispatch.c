/* libnbdocaml host library: the nbdocaml_call_* functions.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Each checks its arguments and that the plugin registered the callback,
 * then goes through the glue's table, handing it this thread's error
 * buffer.  The functions themselves are generated from NBDOCAML_CALLBACKS,
 * one per row, from a definition per kind.  Nothing here allocates or
 * takes a lock on the data path; the glue takes the runtime lock.  Each
 * call counts itself in flight on its module or connection from its checks
 * to its return (ENTER_MODULE, ENTER_CONN), for closing.c.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "host.h"

static int
fail (int cb, int errnum, const char *why)
{
  nbdocaml_internal_set_error (errnum, "%s: %s", nbdocaml_callback_name (cb),
                               why);
  return -1;
}

/* What this thread needs before it runs m's OCaml code: m as the target
 * of debug messages, and an alternate signal stack. */
static inline void
enter_module (const nbdocaml_module *m)
{
  nbdocaml_internal_current = (nbdocaml_module *) m;
  nbdocaml_internal_prepare_thread ();
}

static inline int
check_registered (const nbdocaml_module *m, int cb)
{
  if (!((m->registered >> cb) & 1))
    return fail (cb, ENOTSUP, "the plugin did not register this callback");
  return 0;
}

/* The checks every module-level call starts with; the call counts itself
 * in flight on m first, so that a closing module refuses every call with
 * ESHUTDOWN, registered or not.  Returns 0 when the call may go on. */
static inline int
check_module (nbdocaml_module *m, int cb)
{
  if (m == NULL)
    return fail (cb, EINVAL, "the module handle is NULL");
  if (nbdocaml_internal_enter (&m->calls, &m->closing) == -1)
    return fail (cb, ESHUTDOWN, "the module is being shut down");
  if (check_registered (m, cb) == -1) {
    nbdocaml_internal_leave (m, &m->calls, &m->closing);
    return -1;
  }
  enter_module (m);
  return 0;
}

static inline int
check_conn (nbdocaml_conn *c, int cb)
{
  if (c == NULL)
    return fail (cb, EINVAL, "the connection handle is NULL");
  if (nbdocaml_internal_enter (&c->calls, &c->closing) == -1)
    return fail (cb, ESHUTDOWN, "the connection is being closed");
  if (check_registered (c->m, cb) == -1) {
    nbdocaml_internal_leave (c->m, &c->calls, &c->closing);
    return -1;
  }
  enter_module (c->m);
  return 0;
}

static inline void
leave_module_ (nbdocaml_module **m)
{
  nbdocaml_internal_leave (*m, &(*m)->calls, &(*m)->closing);
}

static inline void
leave_conn_ (nbdocaml_conn **c)
{
  nbdocaml_internal_leave ((*c)->m, &(*c)->calls, &(*c)->closing);
}

/* Start a call on module m (on connection c) as callback cb, or return
 * failval; the call counts as in flight until the enclosing scope ends. */
#define ENTER_MODULE(m, cb, failval)                                        \
  if (check_module ((m), (cb)) == -1)                                       \
    return (failval);                                                       \
  __attribute__((cleanup (leave_module_))) nbdocaml_module *module_guard_ = (m)
#define ENTER_CONN(c, cb, failval)                                          \
  if (check_conn ((c), (cb)) == -1)                                         \
    return (failval);                                                       \
  __attribute__((cleanup (leave_conn_))) nbdocaml_conn *conn_guard_ = (c)

/* OCaml receives offsets as int64, which is signed. */
static inline int
check_offset (int cb, uint64_t offset)
{
  if (offset > INT64_MAX)
    return fail (cb, EINVAL, "offset does not fit OCaml's int64");
  return 0;
}

/* The largest count the plugin's OCaml API can take in one call: the
 * record API (nbdkit 1.16 - 1.28) types counts as int32, the labelled one
 * (nbdkit >= 1.30) as int64 (int for pread). */
static inline uint32_t
max_count (const nbdocaml_module *m)
{
  return m->g->ocaml_api == NBDOCAML_OCAML_API_LABELLED ? UINT32_MAX
    : INT32_MAX;
}

/* pread and pwrite: a buffer above 2 GiB is never split (no NBD client
 * sends one; nbdkit refuses reads and writes above 64 MiB). */
static inline int
check_range (const nbdocaml_conn *c, int cb, uint32_t count, uint64_t offset)
{
  if (count > max_count (c->m))
    return fail (cb, EINVAL, "count does not fit OCaml's int32 (the "
                 "plugin uses the record API of nbdkit 1.16 - 1.28)");
  return check_offset (cb, offset);
}

/* -- one generic implementation per kind ------------------------------- */

static int
call_module_void (nbdocaml_module *m, int cb)
{
  int r;

  ENTER_MODULE (m, cb, -1);
  /* dump_plugin prints to OCaml's stdout, which buffers apart from C's. */
  if (cb == NBDOCAML_CB_DUMP_PLUGIN)
    fflush (stdout);
  r = m->g->module_void (cb, nbdocaml_internal_error ());
  if (cb == NBDOCAML_CB_DUMP_PLUGIN)
    m->g->flush ();
  if (cb == NBDOCAML_CB_LOAD || cb == NBDOCAML_CB_UNLOAD) {
    pthread_mutex_lock (&m->lock);
    m->loaded = cb == NBDOCAML_CB_LOAD && r == 0;
    if (cb == NBDOCAML_CB_UNLOAD)
      m->unloaded = 1;
    pthread_mutex_unlock (&m->lock);
  }
  return r;
}

static int
call_config (nbdocaml_module *m, int cb, const char *key, const char *value)
{
  ENTER_MODULE (m, cb, -1);
  if (key == NULL || value == NULL)
    return fail (cb, EINVAL, "key or value is NULL");
  return m->g->config (key, value, nbdocaml_internal_error ());
}

static int
call_thread_model (nbdocaml_module *m, int cb)
{
  if (m && !nbdocaml_module_has (m, cb))
    return NBDOCAML_THREAD_MODEL_PARALLEL;
  ENTER_MODULE (m, cb, -1);
  return m->g->thread_model (nbdocaml_internal_error ());
}

static nbdocaml_conn *
call_open (nbdocaml_module *m, int cb, int readonly)
{
  nbdocaml_conn *c;

  ENTER_MODULE (m, cb, NULL);
  c = malloc (sizeof *c);
  if (c == NULL) {
    fail (cb, ENOMEM, "out of memory");
    return NULL;
  }
  c->m = m;
  c->gc = m->g->open (readonly != 0, nbdocaml_internal_error ());
  if (c->gc == NULL) {
    free (c);
    return NULL;
  }
  /* Still in flight on m: a shutdown starting now waits for this call,
   * then finds the connection on the list. */
  nbdocaml_internal_link_conn (m, c);
  return c;
}

/* Closing frees the connection whatever the plugin's close does, so it
 * skips the "registered" check: without close there is nothing to call.
 * (closing.c: it waits for the calls in flight on c.) */
static int
call_close (nbdocaml_conn *c, int cb)
{
  return nbdocaml_internal_close_conn (c, cb);
}

static int64_t
call_get_size (nbdocaml_conn *c, int cb)
{
  ENTER_CONN (c, cb, -1);
  return c->m->g->get_size (c->gc, nbdocaml_internal_error ());
}

static int
call_conn_int (nbdocaml_conn *c, int cb)
{
  ENTER_CONN (c, cb, -1);
  return c->m->g->conn_int (cb, c->gc, nbdocaml_internal_error ());
}

/* nbdocaml_call_pread and _pwrite prefer the zero-copy callback when the
 * plugin has it; the _buf functions call exactly that one. */
static inline int
prefer_buf (const nbdocaml_conn *c, int cb, int buf_cb)
{
  return c && cb != buf_cb && ((c->m->registered >> buf_cb) & 1) ? buf_cb : cb;
}

static int
call_pread (nbdocaml_conn *c, int cb, void *buf, uint32_t count,
            uint64_t offset, uint32_t flags)
{
  cb = prefer_buf (c, cb, NBDOCAML_CB_PREAD_BUF);
  ENTER_CONN (c, cb, -1);
  if (check_range (c, cb, count, offset) == -1)
    return -1;
  if (buf == NULL && count > 0)
    return fail (cb, EINVAL, "buf is NULL");
  return c->m->g->pread (cb, c->gc, buf, count, offset, flags,
                         nbdocaml_internal_error ());
}

static int
call_pwrite (nbdocaml_conn *c, int cb, const void *buf, uint32_t count,
             uint64_t offset, uint32_t flags)
{
  cb = prefer_buf (c, cb, NBDOCAML_CB_PWRITE_BUF);
  ENTER_CONN (c, cb, -1);
  if (check_range (c, cb, count, offset) == -1)
    return -1;
  if (buf == NULL && count > 0)
    return fail (cb, EINVAL, "buf is NULL");
  return c->m->g->pwrite (cb, c->gc, buf, count, offset, flags,
                          nbdocaml_internal_error ());
}

static int
call_flush (nbdocaml_conn *c, int cb, uint32_t flags)
{
  ENTER_CONN (c, cb, -1);
  return c->m->g->flush_conn (c->gc, flags, nbdocaml_internal_error ());
}

/* trim, zero and cache.  A count the plugin's API cannot take in one call
 * (a valid NBD request of 2 GiB or more to a record API plugin) is split
 * into pieces of NBDOCAML_RECORD_MAX_PIECE, in order, each with the
 * request's flags, since the whole request honours FUA only if each piece
 * does. */
static int
call_range (nbdocaml_conn *c, int cb, uint32_t count, uint64_t offset,
            uint32_t flags)
{
  const struct nbdocaml_glue *g;
  struct nbdocaml_error_buf *err = nbdocaml_internal_error ();

  ENTER_CONN (c, cb, -1);
  if (check_offset (cb, offset) == -1)
    return -1;
  g = c->m->g;
  if (count <= max_count (c->m))
    return g->range (cb, c->gc, count, offset, flags, err);
  if (offset > (uint64_t) INT64_MAX - count)
    return fail (cb, EINVAL, "offset + count does not fit OCaml's int64");
  while (count > 0) {
    uint32_t n = count < NBDOCAML_RECORD_MAX_PIECE ? count
      : NBDOCAML_RECORD_MAX_PIECE;
    if (g->range (cb, c->gc, n, offset, flags, err) == -1)
      return -1;
    offset += n;
    count -= n;
  }
  return 0;
}

/* extents: a record API plugin is asked for at most
 * NBDOCAML_RECORD_MAX_PIECE bytes; its reply may cover less than the
 * caller asked, as nbdkit allows (the client asks again for the rest). */
static int
call_extents (nbdocaml_conn *c, int cb, uint32_t count, uint64_t offset,
              uint32_t flags, nbdocaml_extent_fn add, void *opaque)
{
  ENTER_CONN (c, cb, -1);
  if (check_offset (cb, offset) == -1)
    return -1;
  if (add == NULL)
    return fail (cb, EINVAL, "the add function is NULL");
  if (count > max_count (c->m))
    count = NBDOCAML_RECORD_MAX_PIECE;
  return nbdocaml_internal_extents (c, count, offset, flags, add, opaque);
}

/* -- the callbacks around a client's handshake (0.2.0) ----------------- */

static int
call_preconnect (nbdocaml_module *m, int cb, int readonly)
{
  ENTER_MODULE (m, cb, -1);
  return m->g->preconnect (readonly != 0, nbdocaml_internal_error ());
}

static int
call_list_exports (nbdocaml_module *m, int cb, int readonly, int is_tls,
                   nbdocaml_export_fn add, void *opaque)
{
  ENTER_MODULE (m, cb, -1);
  if (add == NULL)
    return fail (cb, EINVAL, "the add function is NULL");
  return m->g->list_exports (readonly != 0, is_tls != 0, add, opaque,
                             nbdocaml_internal_error ());
}

static char *
call_default_export (nbdocaml_module *m, int cb, int readonly, int is_tls)
{
  ENTER_MODULE (m, cb, NULL);
  return m->g->default_export (readonly != 0, is_tls != 0,
                               nbdocaml_internal_error ());
}

static char *
call_conn_string (nbdocaml_conn *c, int cb)
{
  ENTER_CONN (c, cb, NULL);
  return c->m->g->export_description (c->gc, nbdocaml_internal_error ());
}

static int
call_block_size (nbdocaml_conn *c, int cb, struct nbdocaml_block_size *bs)
{
  ENTER_CONN (c, cb, -1);
  if (bs == NULL)
    return fail (cb, EINVAL, "the block size pointer is NULL");
  return c->m->g->block_size (c->gc, bs, nbdocaml_internal_error ());
}

/* -- the public functions, one per row of NBDOCAML_CALLBACKS ---------- */

#define DEFINE_module_void(E, c)                                            \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m)                   \
  { return call_module_void (m, NBDOCAML_CB_##E); }
#define DEFINE_config(E, c)                                                 \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, const char *key,  \
                                      const char *value)                    \
  { return call_config (m, NBDOCAML_CB_##E, key, value); }
#define DEFINE_thread_model(E, c)                                           \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m)                   \
  { return call_thread_model (m, NBDOCAML_CB_##E); }
#define DEFINE_open(E, c)                                                   \
  NBDOCAML_API nbdocaml_conn *nbdocaml_call_##c (nbdocaml_module *m,        \
                                                 int readonly)              \
  { return call_open (m, NBDOCAML_CB_##E, readonly); }
#define DEFINE_close(E, c)                                                  \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn)                  \
  { return call_close (conn, NBDOCAML_CB_##E); }
#define DEFINE_get_size(E, c)                                               \
  NBDOCAML_API int64_t nbdocaml_call_##c (nbdocaml_conn *conn)              \
  { return call_get_size (conn, NBDOCAML_CB_##E); }
#define DEFINE_conn_bool(E, c)                                              \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn)                  \
  { return call_conn_int (conn, NBDOCAML_CB_##E); }
#define DEFINE_conn_fua(E, c) DEFINE_conn_bool (E, c)
#define DEFINE_conn_cache(E, c) DEFINE_conn_bool (E, c)
#define DEFINE_pread(E, c)                                                  \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, void *buf,       \
                                      uint32_t count, uint64_t offset,      \
                                      uint32_t flags)                       \
  { return call_pread (conn, NBDOCAML_CB_##E, buf, count, offset, flags); }
#define DEFINE_pwrite(E, c)                                                 \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, const void *buf, \
                                      uint32_t count, uint64_t offset,      \
                                      uint32_t flags)                       \
  { return call_pwrite (conn, NBDOCAML_CB_##E, buf, count, offset, flags); }
#define DEFINE_flush(E, c)                                                  \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t flags)  \
  { return call_flush (conn, NBDOCAML_CB_##E, flags); }
#define DEFINE_range(E, c)                                                  \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t count,  \
                                      uint64_t offset, uint32_t flags)      \
  { return call_range (conn, NBDOCAML_CB_##E, count, offset, flags); }
#define DEFINE_extents(E, c)                                                \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn, uint32_t count,  \
                                      uint64_t offset, uint32_t flags,      \
                                      nbdocaml_extent_fn add, void *opaque) \
  { return call_extents (conn, NBDOCAML_CB_##E, count, offset, flags,       \
                         add, opaque); }

#define DEFINE_preconnect(E, c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, int readonly)     \
  { return call_preconnect (m, NBDOCAML_CB_##E, readonly); }
#define DEFINE_list_exports(E, c)                                           \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_module *m, int readonly,     \
                                      int is_tls, nbdocaml_export_fn add,   \
                                      void *opaque)                         \
  { return call_list_exports (m, NBDOCAML_CB_##E, readonly, is_tls, add,    \
                              opaque); }
#define DEFINE_default_export(E, c)                                         \
  NBDOCAML_API char *nbdocaml_call_##c (nbdocaml_module *m, int readonly,   \
                                        int is_tls)                         \
  { return call_default_export (m, NBDOCAML_CB_##E, readonly, is_tls); }
#define DEFINE_conn_string(E, c)                                            \
  NBDOCAML_API char *nbdocaml_call_##c (nbdocaml_conn *conn)                \
  { return call_conn_string (conn, NBDOCAML_CB_##E); }
#define DEFINE_block_size(E, c)                                             \
  NBDOCAML_API int nbdocaml_call_##c (nbdocaml_conn *conn,                  \
                                      struct nbdocaml_block_size *bs)       \
  { return call_block_size (conn, NBDOCAML_CB_##E, bs); }

#define DEFINE_(E, f, c, kind, i, n) DEFINE_##kind (E, c)
NBDOCAML_CALLBACKS (DEFINE_)
#undef DEFINE_

NBDOCAML_API nbdocaml_module *
nbdocaml_conn_module (const nbdocaml_conn *c)
{
  return c ? c->m : NULL;
}
