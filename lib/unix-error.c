/* libnbdocaml glue: Unix.error values and errnos, both ways.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Three places need the mapping: NBDKit.set_error (an OCaml Unix.error
 * to the errno the client sees), an uncaught Unix.Unix_error (the same,
 * when the callback chose no errno itself) and the file helpers of
 * file-io.c (a failed system call raised as Unix.Unix_error).  None of
 * them may use the Unix library's C code: a plugin built by the recipe of
 * nbdkit-ocaml-plugin(3) links no unix.cmxa, so the glue must not refer to
 * its symbols.  The exception itself is found by the name the Unix module
 * registers it under when it is linked.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <caml/alloc.h>
#include <caml/callback.h>
#include <caml/fail.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>

#include "glue.h"

/* The constant constructors of Unix.error, in the order unix.mli declares
 * them (the same in OCaml 4 and 5); EUNKNOWNERR of int is the one
 * non-constant one. */
static const int unix_error_errno[] = {
  E2BIG, EACCES, EAGAIN, EBADF, EBUSY, ECHILD, EDEADLK, EDOM, EEXIST,
  EFAULT, EFBIG, EINTR, EINVAL, EIO, EISDIR, EMFILE, EMLINK, ENAMETOOLONG,
  ENFILE, ENODEV, ENOENT, ENOEXEC, ENOLCK, ENOMEM, ENOSPC, ENOSYS, ENOTDIR,
  ENOTEMPTY, ENOTTY, ENXIO, EPERM, EPIPE, ERANGE, EROFS, ESPIPE, ESRCH,
  EXDEV, EWOULDBLOCK, EINPROGRESS, EALREADY, ENOTSOCK, EDESTADDRREQ,
  EMSGSIZE, EPROTOTYPE, ENOPROTOOPT, EPROTONOSUPPORT, ESOCKTNOSUPPORT,
  EOPNOTSUPP, EPFNOSUPPORT, EAFNOSUPPORT, EADDRINUSE, EADDRNOTAVAIL,
  ENETDOWN, ENETUNREACH, ENETRESET, ECONNABORTED, ECONNRESET, ENOBUFS,
  EISCONN, ENOTCONN, ESHUTDOWN, ETOOMANYREFS, ETIMEDOUT, ECONNREFUSED,
  EHOSTDOWN, EHOSTUNREACH, ELOOP, EOVERFLOW,
};
#define N_UNIX_ERRORS (sizeof unix_error_errno / sizeof unix_error_errno[0])

int
nbdocaml_internal_errno_of_unix_error (value err)
{
  int e = EIO;

  if (Is_block (err))                   /* EUNKNOWNERR n */
    e = Int_val (Field (err, 0));
  else if (Int_val (err) >= 0 && (size_t) Int_val (err) < N_UNIX_ERRORS)
    e = unix_error_errno[Int_val (err)];
  return e > 0 ? e : EIO;
}

int
nbdocaml_internal_unix_error_errno (value exn)
{
  const value *unix_error = caml_named_value ("Unix.Unix_error");

  /* Unix_error (e, fn, arg) is a block of tag 0 whose first field is the
   * exception's constructor, the value Unix registered (with
   * Callback.register_exception). */
  if (unix_error == NULL || !Is_block (exn) || Tag_val (exn) != 0 ||
      Wosize_val (exn) != 4 || Field (exn, 0) != *unix_error)
    return 0;
  return nbdocaml_internal_errno_of_unix_error (Field (exn, 1));
}

/* The Unix.error value of errno e: its constant constructor, or
 * EUNKNOWNERR e. */
static value
unix_error_of_errno (int e)
{
  value v;
  size_t i;

  /* EAGAIN and EWOULDBLOCK are the same number on Linux: the first wins,
   * as in the Unix library. */
  for (i = 0; i < N_UNIX_ERRORS; ++i)
    if (unix_error_errno[i] == e)
      return Val_int (i);
  v = caml_alloc_small (1, 0);
  Field (v, 0) = Val_int (e);
  return v;
}

void
nbdocaml_internal_raise_unix_error (int e, const char *fn, const char *arg)
{
  CAMLparam0 ();
  CAMLlocal4 (err, fnv, argv, exn);
  const value *unix_error = caml_named_value ("Unix.Unix_error");
  char msg[256];

  if (unix_error == NULL) {
    /* Only a plugin that made a Unix.file_descr without the Unix library
     * gets here. */
    snprintf (msg, sizeof msg, "%s: %s%s%s", fn, strerror (e),
              *arg ? ": " : "", arg);
    caml_failwith (msg);
  }
  err = unix_error_of_errno (e);
  fnv = caml_copy_string (fn);
  argv = caml_copy_string (arg);
  exn = caml_alloc_small (4, 0);
  Field (exn, 0) = *unix_error;
  Field (exn, 1) = err;
  Field (exn, 2) = fnv;
  Field (exn, 3) = argv;
  caml_raise (exn);
  CAMLnoreturn;
}
