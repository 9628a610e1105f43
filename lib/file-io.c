/* libnbdocaml glue: file I/O on an NBDKit.buf, for file-backed plugins.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * NBDKit.pread_fd, pwrite_fd, fdatasync, punch_hole and zero_range.  A
 * plugin that serves a file wants to read and write straight between the
 * file and the caller's buffer that pread_buf and pwrite_buf lend it, at
 * an offset, without a shared file position, and with the runtime released
 * while the system call blocks.  OCaml's Unix library has no pread, pwrite
 * or fdatasync in OCaml 4 (and none on a Bigarray in OCaml 5), and no
 * fallocate at all.  Debian packages ExtUnix, which has the first three on
 * Bigarrays, but built for one compiler only (4.13 in Debian 12, so not
 * for OCaml 5) and with posix_fallocate only, not the hole punching and
 * zeroing of Linux's fallocate(2): hence these few functions here, which
 * work with every OCaml this library supports and need no other package.
 *
 * Errors raise Unix.Unix_error like the Unix library's own functions, so
 * an uncaught one gives the client its errno (see exceptions.c).  The
 * file descriptor is a Unix.file_descr: an int on Unix.
 */
#define CAML_NAME_SPACE
#include <config.h>               /* _GNU_SOURCE: fallocate, FALLOC_FL_* */

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include <caml/bigarray.h>
#include <caml/fail.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>
#include <caml/signals.h>

#include "glue.h"

/* The memory of buf, checked: a buf kept past the call that lent it has
 * been emptied (no data), and using it must not pass silently. */
static void
buf_region (const char *fn, value buf, char **data, size_t *len)
{
  struct caml_ba_array *ba = Caml_ba_array_val (buf);

  nbdocaml_internal_check_live (fn, buf);
  *data = ba->data;
  *len = (size_t) ba->dim[0];
}

static int64_t
check_offset (const char *fn, value offset)
{
  int64_t off = Int64_val (offset);

  if (off < 0) {
    char msg[128];
    snprintf (msg, sizeof msg, "NBDKit.%s: negative offset %" PRIi64,
              fn, off);
    caml_invalid_argument (msg);
  }
  return off;
}

/* Read or write all of len bytes at off, retrying short transfers and
 * EINTR.  Returns 0, -1 with errno set, or 1 at end of file (reads). */
static int
transfer (int writing, int fd, char *data, size_t len, int64_t off)
{
  while (len > 0) {
    ssize_t r = writing ? pwrite (fd, data, len, off)
                      : pread (fd, data, len, off);
    if (r == -1) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    if (r == 0)
      return writing ? (errno = EIO, -1) : 1;
    data += r;
    len -= (size_t) r;
    off += r;
  }
  return 0;
}

/* 0 until preadv2 (fd, ..., RWF_NOWAIT) has been found not to work on
 * some file (an old kernel, or a file system without it, such as tmpfs):
 * the fast path is then skipped for good.  A race between threads only
 * costs one more failed try. */
static int nowait_unsupported;

/* Reads up to this size try the page cache first (read_cached).  Above
 * it the copy itself takes longer than handing the runtime over, and
 * other threads should run OCaml code while it is done. */
#define CACHED_READ_MAX (64 * 1024)

/* Read what the page cache already holds, without blocking and so without
 * letting the runtime go.  Letting it go and taking it back costs two
 * hand-overs of the runtime lock when other threads wait for it (with
 * threads.cmxa and nbdkit's parallel workers), which for a 4 KiB read
 * from the cache costs more than the read (bench/RESULTS.md).  Returns
 * how many bytes it read (maybe none); the rest is read the blocking
 * way. */
static size_t
read_cached (int fd, char *data, size_t len, int64_t off)
{
  size_t done = 0;

  if (len > CACHED_READ_MAX)
    return 0;
  while (done < len && !nowait_unsupported) {
    struct iovec iov = { data + done, len - done };
    ssize_t r = preadv2 (fd, &iov, 1, off + (int64_t) done, RWF_NOWAIT);

    if (r > 0)
      done += (size_t) r;
    else if (r == -1 && errno == EINTR)
      continue;
    else {
      if (r == -1 && (errno == EOPNOTSUPP || errno == ENOSYS ||
                      errno == EINVAL))
        nowait_unsupported = 1;
      break;                    /* EAGAIN: not cached; 0: end of file */
    }
  }
  return done;
}

static value
pread_pwrite (int writing, value fd, value buf, value offset)
{
  CAMLparam3 (fd, buf, offset);
  const char *fn = writing ? "pwrite_fd" : "pread_fd";
  char *data;
  size_t len, done;
  int64_t off = check_offset (fn, offset);
  int r, e;

  buf_region (fn, buf, &data, &len);
  if (!writing) {
    done = read_cached (Int_val (fd), data, len, off);
    if (done == len)
      CAMLreturn (Val_unit);
    data += done;
    len -= done;
    off += (int64_t) done;
  }
  /* The Bigarray's memory never moves, and buf stays alive as a
   * parameter, so the runtime can be let go meanwhile. */
  caml_enter_blocking_section ();
  r = transfer (writing, Int_val (fd), data, len, off);
  e = errno;
  caml_leave_blocking_section ();
  if (r == 1)
    caml_raise_end_of_file ();
  if (r == -1)
    nbdocaml_internal_raise_unix_error (e, writing ? "pwrite" : "pread", "");
  CAMLreturn (Val_unit);
}

value nbdocaml_glue_pread_fd (value fd, value buf, value offset);
value
nbdocaml_glue_pread_fd (value fd, value buf, value offset)
{
  return pread_pwrite (0, fd, buf, offset);
}

value nbdocaml_glue_pwrite_fd (value fd, value buf, value offset);
value
nbdocaml_glue_pwrite_fd (value fd, value buf, value offset)
{
  return pread_pwrite (1, fd, buf, offset);
}

value nbdocaml_glue_fdatasync (value fd);
value
nbdocaml_glue_fdatasync (value fd)
{
  CAMLparam1 (fd);
  int r, e;

  caml_enter_blocking_section ();
  r = fdatasync (Int_val (fd));
  e = errno;
  caml_leave_blocking_section ();
  if (r == -1)
    nbdocaml_internal_raise_unix_error (e, "fdatasync", "");
  CAMLreturn (Val_unit);
}

static value
do_fallocate (const char *fn, int mode, value fd, value offset, value len)
{
  CAMLparam3 (fd, offset, len);
  int64_t off = check_offset (fn, offset), n = Int64_val (len);
  int r, e;

  if (n < 0) {
    char msg[128];
    snprintf (msg, sizeof msg, "NBDKit.%s: negative length %" PRIi64, fn, n);
    caml_invalid_argument (msg);
  }
  if (n == 0)
    CAMLreturn (Val_unit);
  caml_enter_blocking_section ();
  do
    r = fallocate (Int_val (fd), mode, off, n);
  while (r == -1 && errno == EINTR);
  e = errno;
  caml_leave_blocking_section ();
  if (r == -1)
    nbdocaml_internal_raise_unix_error (e, "fallocate", "");
  CAMLreturn (Val_unit);
}

/* KEEP_SIZE with both: a range that reaches past the end of the file
 * must not make it longer. */
value nbdocaml_glue_punch_hole (value fd, value offset, value len);
value
nbdocaml_glue_punch_hole (value fd, value offset, value len)
{
  return do_fallocate ("punch_hole",
                       FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                       fd, offset, len);
}

value nbdocaml_glue_zero_range (value fd, value offset, value len);
value
nbdocaml_glue_zero_range (value fd, value offset, value len)
{
  return do_fallocate ("zero_range",
                       FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
                       fd, offset, len);
}
