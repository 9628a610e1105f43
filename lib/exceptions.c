/* libnbdocaml glue: an exception raised by the plugin as an error message,
 * an errno and (when the plugin records them) a backtrace.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * The message is the exception as OCaml itself prints it, with
 * Printexc.to_string: printers registered with Printexc.register_printer
 * apply (the Unix library registers one, so an uncaught Unix_error reads
 * Unix.Unix_error(Unix.ENOENT, "open", "x") rather than a bare number),
 * strings are escaped, and nothing is cut short before the error buffer
 * ends.  The runtime's caml_format_exception does none of that, so the
 * NBDKit module registers an OCaml function that does it (under a name
 * private to this plugin's runtime, since every plugin has its own) and
 * the C side calls it.  caml_format_exception remains the fallback when
 * that function is missing or itself raises (Out_of_memory, a printer
 * that fails).
 *
 * The backtrace has to be read before any other exception is raised on
 * this thread, so the same OCaml function reads it first thing, and this
 * code calls it straight after the callback returned with the exception,
 * still holding the runtime.  It belongs to the exception only if the
 * runtime recorded that raise: code built without -g raises without
 * recording, and the buffer then still holds the trace of some earlier,
 * caught exception, which must not be shown as this one's.  The runtime
 * notes which exception its buffer is for (backtrace_last_exn, kept per
 * thread by systhreads).  Each line goes to the host's debug log, which
 * is nbdkit_debug under nbdkit (shown with -v), as nbdkit's Python plugin
 * logs tracebacks.
 *
 * The caller's copy of the exception result may be moved by the GC while
 * the function runs: callers only test it with Is_exception_result.
 */
#define CAML_NAME_SPACE
#define CAML_INTERNALS          /* caml_backtrace_last_exn */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <caml/backtrace.h>
#include <caml/callback.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>
#include <caml/printexc.h>

#include "glue.h"

/* The name the NBDKit modules register their formatter under
 * (ocaml/NBDKit.ml, ocaml/labelled/NBDKit.ml): exn -> message * backtrace,
 * the backtrace "" unless recorded. */
#define FORMATTER "nbdocaml.format_exception"

static void
fallback_message (value exn, const char *what, struct nbdocaml_error_buf *err)
{
  char *text = caml_format_exception (exn);

  snprintf (err->msg, sizeof err->msg, "%s: %s", what,
            text ? text : "(exception could not be printed)");
  if (text)
    caml_stat_free (text);
}

/* One debug line per line of the backtrace, each "WHAT: backtrace: ...". */
static void
debug_backtrace (const char *what, const char *bt, size_t len)
{
  char line[NBDOCAML_ERROR_MAX];
  const char *end = bt + len;

  while (bt < end) {
    const char *nl = memchr (bt, '\n', end - bt);
    size_t n = nl ? (size_t) (nl - bt) : (size_t) (end - bt);

    if (n > 0) {
      snprintf (line, sizeof line, "%s: backtrace: %.*s", what, (int) n, bt);
      nbdocaml_internal_debug (line);
    }
    bt += n + 1;
  }
}

void
nbdocaml_internal_exception_error (value exn, const char *what,
                                   struct nbdocaml_error_buf *err)
{
  CAMLparam1 (exn);
  CAMLlocal1 (res);
  const value *formatter;
  /* Read before any OCaml code runs: a registered printer could call
   * set_error too. */
  int errnum = nbdocaml_internal_set_errno;
  int recorded = caml_backtrace_active && caml_backtrace_last_exn == exn;

  if (errnum == 0)
    errnum = nbdocaml_internal_unix_error_errno (exn);
  if (errnum == 0)
    errnum = EIO;

  formatter = caml_named_value (FORMATTER);
  res = formatter ? caml_callback_exn (*formatter, exn) : Val_unit;
  if (formatter && !Is_exception_result (res)) {
    value msg = Field (res, 0), bt = Field (res, 1);

    snprintf (err->msg, sizeof err->msg, "%s: %.*s", what,
              (int) caml_string_length (msg), String_val (msg));
    if (recorded)
      debug_backtrace (what, String_val (bt), caml_string_length (bt));
  }
  else
    fallback_message (exn, what, err);
  err->errnum = errnum;
  CAMLreturn0;
}
