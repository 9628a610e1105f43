/* libnbdocaml glue: declarations shared by the files linked into plugins.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Everything declared here lives inside one plugin .so and so belongs to
 * exactly one OCaml runtime.  That is why the glue may keep its state in
 * file-level variables: a second plugin has a second copy of them, just as
 * it has a second copy of the runtime.
 */
#ifndef NBDOCAML_GLUE_H
#define NBDOCAML_GLUE_H

#include <pthread.h>
#include <stdint.h>
/* Only the caml_-prefixed names of the runtime's headers: without this,
 * OCaml 4 defines old unprefixed names as macros (4.14 even "flush"). */
#ifndef CAML_NAME_SPACE
#define CAML_NAME_SPACE
#endif
#include <caml/mlvalues.h>
#include "glue-abi.h"

#define GLUE_HIDDEN __attribute__((__visibility__("hidden")))

/* runtime-ocaml4.c or runtime-ocaml5.c, chosen by configure: the runtime
 * lock and the threads that take it. */

/* Take the runtime for the calling thread, preparing the thread first if
 * it is new; and give it back.  Use GLUE_HOLD_RUNTIME in a scope instead
 * of calling these by hand. */
GLUE_HIDDEN void nbdocaml_internal_acquire (void);
GLUE_HIDDEN void nbdocaml_internal_release (int *unused);
#define GLUE_HOLD_RUNTIME                                                   \
  __attribute__((cleanup (nbdocaml_internal_release))) int glue_held_ =     \
    (nbdocaml_internal_acquire (), 1)
/* Before caml_startup: find systhreads.  Returns 1 if the plugin has
 * them, 0 if not, -1 on failure. */
GLUE_HIDDEN int nbdocaml_internal_threads_init (void);
/* Right after caml_startup returns, on the thread that ran it: whatever
 * the runtime's startup undid that callbacks need. */
GLUE_HIDDEN void nbdocaml_internal_after_startup (void);
/* After caml_startup, on the thread that ran it: from then on that thread
 * holds the runtime exactly as after nbdocaml_internal_acquire. */
GLUE_HIDDEN void nbdocaml_internal_threads_started (void);
/* runtime.c: initialise the registration gate of runtime-ocaml4.c (and
 * of runtime-ocaml5.c before OCaml 5.2), a reader-writer lock with
 * writers preferred.  0, or -1 if it cannot be made. */
GLUE_HIDDEN int nbdocaml_internal_init_gate (pthread_rwlock_t *gate);
/* Whether the runtime is up (fork handlers take it only then). */
GLUE_HIDDEN void nbdocaml_internal_threads_live (int live);
/* 1 when this runtime is never shut down once started (OCaml 5): see
 * parks in glue-abi.h. */
GLUE_HIDDEN extern const int nbdocaml_internal_runtime_parks;
/* The calling thread exits: unregister it if it registered itself with
 * this runtime (the table's thread_exit). */
GLUE_HIDDEN void nbdocaml_internal_thread_exit (void);
/* After caml_shutdown. */
GLUE_HIDDEN void nbdocaml_internal_release_at_shutdown (void);
GLUE_HIDDEN void nbdocaml_internal_threads_fini (void);

/* keys.c: pthread keys made by the plugin's code from the runtime's start
 * on, deleted once it has stopped for good. */
GLUE_HIDDEN void nbdocaml_internal_track_keys (void);
GLUE_HIDDEN void nbdocaml_internal_delete_keys (void);

/* runtime.c: startup and shutdown. */

/* A symbol of this plugin .so itself (dlsym on its own handle, so never
 * another plugin's), or NULL. */
GLUE_HIDDEN void *nbdocaml_internal_own_symbol (const char *name);

/* Forward a debug message to the host (runtime held). */
GLUE_HIDDEN void nbdocaml_internal_debug (const char *msg);

/* The table the host finds with dlsym. */
GLUE_HIDDEN extern struct nbdocaml_glue nbdocaml_internal_table;

/* gc_roots.c: OCaml values that C keeps between calls. */
/* The number of fields of NBDKit.plugin (and of the labelled module's
 * private record of the same layout): the callbacks' indexes come from
 * NBDOCAML_CALLBACKS, the strings' from gc_roots.c. */
#define NBDOCAML_RECORD_FIELDS 42
/* Whether the record sets callback cb (Some _). */
GLUE_HIDDEN int nbdocaml_internal_has_field (value plugin, int cb);
GLUE_HIDDEN int nbdocaml_internal_set_plugin (value plugin, value flush);
GLUE_HIDDEN void nbdocaml_internal_clear_plugin (void);
GLUE_HIDDEN int nbdocaml_internal_is_registered (void);
/* The closure of callback cb: Some f in the record gives f.  Only valid
 * when the callback is registered (bit set in the table). */
GLUE_HIDDEN value nbdocaml_internal_closure (int cb);
GLUE_HIDDEN value nbdocaml_internal_flush_closure (void);
GLUE_HIDDEN const char *nbdocaml_internal_string (int which);

/* A connection: the OCaml handle, kept alive by a generational root. */
struct glue_conn {
  value handle;
};
GLUE_HIDDEN struct glue_conn *nbdocaml_internal_conn_new (value handle);
GLUE_HIDDEN void nbdocaml_internal_conn_free (struct glue_conn *c);

/* primitives.c: the errno chosen by NBDKit.set_error on this thread during
 * the current callback, 0 if none. */
GLUE_HIDDEN extern __thread int nbdocaml_internal_set_errno;
/* Why registration failed (EEXIST, EINVAL), 0 if it did not. */
GLUE_HIDDEN extern int nbdocaml_internal_register_errno;

/* unix-error.c: Unix.error values and errnos.  The errno of a Unix.error
 * value (EIO for nonsense); the errno of exn when it is Unix.Unix_error,
 * else 0; and raising Unix.Unix_error (e, fn, arg) (Failure when the
 * plugin does not link the Unix library). */
GLUE_HIDDEN int nbdocaml_internal_errno_of_unix_error (value err);
GLUE_HIDDEN int nbdocaml_internal_unix_error_errno (value exn);
GLUE_HIDDEN void nbdocaml_internal_raise_unix_error (int e, const char *fn,
                                                     const char *arg)
  __attribute__((noreturn));

/* callbacks.c: the call entries of the table. */
GLUE_HIDDEN void nbdocaml_internal_fill_calls (struct nbdocaml_glue *t);
/* exceptions.c: fill err with "WHAT: " and exn as Printexc.to_string
 * prints it, and the errno (set_error's, else an uncaught Unix_error's,
 * else EIO); send exn's backtrace, when the plugin records backtraces, to
 * the debug log.  Call it right after the exception, runtime held, before
 * any other OCaml code runs on this thread. */
GLUE_HIDDEN void nbdocaml_internal_exception_error (value exn,
                                                    const char *what,
                                                    struct nbdocaml_error_buf *);
/* Call callback cb with nargs arguments (runtime held, inside CAMLparam):
 * the result, or an exception result after filling err. */
GLUE_HIDDEN value nbdocaml_internal_invoke (int cb, int nargs, value *args,
                                            struct nbdocaml_error_buf *err);
/* Fill err with "CALLBACK: " and the formatted reason. */
GLUE_HIDDEN void nbdocaml_internal_result_error (int cb, int errnum,
                                                 struct nbdocaml_error_buf *err,
                                                 const char *fmt, ...)
  __attribute__((format (printf, 4, 5)));

/* callbacks-negotiation.c: preconnect, list_exports, default_export,
 * export_description and block_size. */
GLUE_HIDDEN void nbdocaml_internal_fill_negotiation (struct nbdocaml_glue *t);

/* helpers.c: the NBDKit helpers (export_name ...) and the host services
 * they fall back on outside nbdkit. */
GLUE_HIDDEN void nbdocaml_internal_set_host (const struct nbdocaml_glue_host *);
/* primitives.c: raises Invalid_argument, naming NBDKit.fn, when the
 * Bigarray ba is a buffer kept past the call that lent it (its data is
 * NULL then, see callbacks.c). */
GLUE_HIDDEN void nbdocaml_internal_check_live (const char *fn, value ba);
/* Outside nbdkit: 0 when the host's stdio_safe hook says the plugin may
 * not use stdin and stdout, else 1 (also when there is no such hook). */
GLUE_HIDDEN int nbdocaml_internal_host_stdio_safe (void);

#endif /* NBDOCAML_GLUE_H */
