/* libnbdocaml host library: per-thread errors, version, debug routing.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

/* Thread-local, so no thread sees another's error and nothing needs
 * freeing when a thread exits.  errnum 0 means no error yet. */
static __thread struct nbdocaml_error_buf last_error;

__thread nbdocaml_module *nbdocaml_internal_current;

struct nbdocaml_error_buf *
nbdocaml_internal_error (void)
{
  return &last_error;
}

void
nbdocaml_internal_set_error (int errnum, const char *fmt, ...)
{
  va_list ap;

  va_start (ap, fmt);
  vsnprintf (last_error.msg, sizeof last_error.msg, fmt, ap);
  va_end (ap);
  last_error.errnum = errnum;
}

NBDOCAML_API const char *
nbdocaml_get_error (void)
{
  return last_error.errnum ? last_error.msg : NULL;
}

NBDOCAML_API int
nbdocaml_get_errno (void)
{
  return last_error.errnum;
}

#define STR_(x) #x
#define STR(x) STR_ (x)
NBDOCAML_API const char *
nbdocaml_version (void)
{
  return STR (NBDOCAML_VERSION_MAJOR) "." STR (NBDOCAML_VERSION_MINOR) "."
    STR (NBDOCAML_VERSION_MICRO);
}

static const char *const callback_names[NBDOCAML_CB_COUNT] = {
#define NAME_(E, f, c, k, i, n) [NBDOCAML_CB_##E] = #f,
  NBDOCAML_CALLBACKS (NAME_)
#undef NAME_
};

NBDOCAML_API const char *
nbdocaml_callback_name (int cb)
{
  if (cb < 0 || cb >= NBDOCAML_CB_COUNT)
    return NULL;
  return callback_names[cb];
}

/* The process-wide debug handler.  The function and its opaque pointer
 * change together, so both are read and written under a lock, which
 * debug messages can afford. */
static pthread_mutex_t debug_lock = PTHREAD_MUTEX_INITIALIZER;
static nbdocaml_debug_fn default_debug;
static void *default_debug_opaque;

NBDOCAML_API void
nbdocaml_set_debug_handler (nbdocaml_debug_fn fn, void *opaque)
{
  pthread_mutex_lock (&debug_lock);
  default_debug = fn;
  default_debug_opaque = opaque;
  pthread_mutex_unlock (&debug_lock);
}

NBDOCAML_API void
nbdocaml_module_set_debug_handler (nbdocaml_module *m, nbdocaml_debug_fn fn,
                                   void *opaque)
{
  if (m == NULL)
    return;
  pthread_mutex_lock (&debug_lock);
  m->debug = fn;
  m->debug_opaque = opaque;
  pthread_mutex_unlock (&debug_lock);
}

static int
env_debug_enabled (void)
{
  const char *e = getenv ("LIBNBDOCAML_DEBUG");
  return e && *e && strcmp (e, "0") != 0;
}

/* Called by the glue, with the module's runtime held, for NBDKit.debug. */
void
nbdocaml_internal_debug_trampoline (const char *msg)
{
  nbdocaml_internal_debug_message (nbdocaml_internal_current, msg);
}

void
nbdocaml_internal_debug_message (nbdocaml_module *m, const char *msg)
{
  nbdocaml_debug_fn fn;
  void *opaque;
  size_t len = strlen (msg);
  char *copy = NULL;

  /* Messages conventionally carry no trailing newline; drop one if the
   * plugin added it, so handlers see one line. */
  if (len > 0 && msg[len - 1] == '\n' && (copy = strndup (msg, len - 1)))
    msg = copy;

  pthread_mutex_lock (&debug_lock);
  fn = m && m->debug ? m->debug : default_debug;
  opaque = m && m->debug ? m->debug_opaque : default_debug_opaque;
  pthread_mutex_unlock (&debug_lock);

  if (fn)
    fn (opaque, m, msg);
  else if (env_debug_enabled ())
    fprintf (stderr, "nbdocaml: %s: debug: %s\n",
             m ? nbdocaml_module_name (m) : "?", msg);
  free (copy);
}
