/* libnbdocaml: serve OCaml plugins with nbdkit.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Every plugin built with -cclib -lnbdkitocaml carries this file, so the
 * plugin .so is an ordinary nbdkit plugin: nbdkit calls plugin_init, which
 * opens the very .so it lives in through the public libnbdocaml API and
 * wires each callback the OCaml code registered into nbdkit's plugin
 * struct.  Nothing here touches OCaml: it is the library's first user.
 *
 * The same .so must also load in hosts that are not nbdkit, so it may not
 * refer to nbdkit's functions directly (they would be unresolved symbols
 * there).  plugin_init looks them up in the process instead.
 */
#include <config.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nbdocaml.h"

/* nbdkit's functions, found at run time. */
static struct {
  void (*error) (const char *fs, ...);
  void (*debug) (const char *fs, ...);
  void (*set_error) (int err);
  int (*add_extent) (struct nbdkit_extents *, uint64_t, uint64_t, uint32_t);
  int (*add_export) (struct nbdkit_exports *, const char *, const char *);
  const char *(*strdup_intern) (const char *);
} nbdkit;

/* nbdkit loads one plugin per process, and its plugin-level callbacks
 * carry no opaque pointer, so the module lives here.  It is NULL once
 * unload has run.  nbdkit may still close a connection after that (its
 * connection threads are not joined before unload), so close and unload
 * are serialised by a lock, and a close after unload does nothing: unload
 * already closed every connection, in the plugin and in libnbdocaml. */
static nbdocaml_module *mod;
static pthread_mutex_t closing_lock = PTHREAD_MUTEX_INITIALIZER;
static struct nbdkit_plugin plugin;

/* Pass the last libnbdocaml error to nbdkit: the message (which names the
 * callback) for the log, the errno for the client. */
static void
report (void)
{
  int err = nbdocaml_get_errno ();

  nbdkit.error ("%s", nbdocaml_get_error ());
  nbdkit.set_error (err ? err : EIO);
  errno = err ? err : EIO;
}

/* For the callbacks nbdkit gives no way to fail: log only. */
static void
log_error (void)
{
  nbdkit.error ("%s", nbdocaml_get_error ());
}

#define CHECKED(expr) do { if ((expr) == -1) { report (); return -1; } } while (0)

static void
debug_to_nbdkit (void *opaque, const nbdocaml_module *m, const char *msg)
{
  (void) opaque; (void) m;
  nbdkit.debug ("%s", msg);
}

/* nbdkit validates each extent (order, overlap, range) and reports
 * through nbdkit_error; its errno becomes the call's. */
static int
add_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  return nbdkit.add_extent (opaque, offset, length, type);
}

/* Likewise nbdkit checks the names (length, uniqueness). */
static int
add_export (void *opaque, const char *name, const char *description)
{
  return nbdkit.add_export (opaque, name, description);
}

/* nbdkit keeps the strings that default_export and export_description
 * return: an interned copy lives as long as nbdkit needs it. */
static const char *
interned (char *s)
{
  const char *r;

  if (s == NULL) {
    /* Not an error in the protocol (nbdkit then offers no name or
     * description), but the plugin's exception is worth a log line. */
    log_error ();
    return NULL;
  }
  r = nbdkit.strdup_intern (s);
  free (s);
  return r;
}

/* -- one adapter function per callback, generated -----------------------
 *
 * For each row of NBDOCAML_CALLBACKS, DEF_<kind> defines ad_<c_name> with
 * the signature of nbdkit's field, calling nbdocaml_call_<c_name>, and
 * SET_<kind> wires it into that field of nbdkit's struct.  A callback is
 * wired only when the plugin registered it, so that nbdkit's defaults
 * (can_write from pwrite, can_fua from flush ...) apply as for a C plugin;
 * open, close and thread_model are always wired (libnbdocaml's connection
 * object needs them; thread_model reports the default when the plugin has
 * none).  nbdocaml_call_pread/pwrite pick the _buf variant when it is
 * registered, and the _buf rows wire nbdkit's pread/pwrite to the _buf
 * calls directly, so either way the zero-copy callback is used. */

#define HAS(E) nbdocaml_module_has (mod, NBDOCAML_CB_##E)
#define SET_IF(E, c, n) if (HAS (E)) plugin.n = ad_##c;
#define SET_ALWAYS(E, c, n) plugin.n = ad_##c;

/* nbdkit's fields for module-level callbacks return int (config_complete,
 * get_ready, after_fork: they can fail) or void (load, unload,
 * dump_plugin, cleanup: nbdkit logs and goes on).  Both adapters are
 * defined and the field's own type picks one. */
#define DEF_module_void(E, c, n)                                            \
  static __attribute__((unused)) int ad_##c (void)                          \
  { CHECKED (nbdocaml_call_##c (mod)); return 0; }                          \
  static __attribute__((unused)) void ad_##c##_void (void)                  \
  { if (nbdocaml_call_##c (mod) == -1) log_error (); }
#define SET_module_void(E, c, n)                                            \
  if (HAS (E))                                                              \
    plugin.n = _Generic (plugin.n, void (*) (void): ad_##c##_void,          \
                         default: ad_##c);

#define DEF_config(E, c, n)                                                 \
  static int ad_##c (const char *k, const char *v)                          \
  { CHECKED (nbdocaml_call_##c (mod, k, v)); return 0; }
#define SET_config SET_IF

#define DEF_thread_model(E, c, n)                                           \
  static int ad_##c (void)                                                  \
  { int r = nbdocaml_call_##c (mod); if (r == -1) report (); return r; }
#define SET_thread_model SET_ALWAYS

#define DEF_open(E, c, n)                                                   \
  static void *ad_##c (int readonly)                                        \
  {                                                                         \
    nbdocaml_conn *conn = nbdocaml_call_##c (mod, readonly);                \
    if (conn == NULL)                                                       \
      report ();                                                            \
    return conn;                                                            \
  }
#define SET_open SET_ALWAYS

#define DEF_close(E, c, n)                                                  \
  static void ad_##c (void *h)                                              \
  {                                                                         \
    pthread_mutex_lock (&closing_lock);                                     \
    if (mod && nbdocaml_call_##c (h) == -1)                                 \
      log_error ();                                                         \
    pthread_mutex_unlock (&closing_lock);                                   \
  }
#define SET_close SET_ALWAYS

#define DEF_get_size(E, c, n)                                               \
  static int64_t ad_##c (void *h)                                           \
  { int64_t r = nbdocaml_call_##c (h); if (r == -1) report (); return r; }
#define SET_get_size SET_IF

#define DEF_conn_bool(E, c, n)                                              \
  static int ad_##c (void *h)                                               \
  { int r = nbdocaml_call_##c (h); if (r == -1) report (); return r; }
#define SET_conn_bool SET_IF
#define DEF_conn_fua DEF_conn_bool
#define SET_conn_fua SET_IF
#define DEF_conn_cache DEF_conn_bool
#define SET_conn_cache SET_IF

#define DEF_pread(E, c, n)                                                  \
  static int ad_##c (void *h, void *buf, uint32_t count, uint64_t offset,   \
                     uint32_t flags)                                        \
  { CHECKED (nbdocaml_call_##c (h, buf, count, offset, flags)); return 0; }
#define SET_pread SET_IF

#define DEF_pwrite(E, c, n)                                                 \
  static int ad_##c (void *h, const void *buf, uint32_t count,              \
                     uint64_t offset, uint32_t flags)                       \
  { CHECKED (nbdocaml_call_##c (h, buf, count, offset, flags)); return 0; }
#define SET_pwrite SET_IF

#define DEF_flush(E, c, n)                                                  \
  static int ad_##c (void *h, uint32_t flags)                               \
  { CHECKED (nbdocaml_call_##c (h, flags)); return 0; }
#define SET_flush SET_IF

#define DEF_range(E, c, n)                                                  \
  static int ad_##c (void *h, uint32_t count, uint64_t offset,              \
                     uint32_t flags)                                        \
  { CHECKED (nbdocaml_call_##c (h, count, offset, flags)); return 0; }
#define SET_range SET_IF

#define DEF_extents(E, c, n)                                                \
  static int ad_##c (void *h, uint32_t count, uint64_t offset,              \
                     uint32_t flags, struct nbdkit_extents *extents)        \
  {                                                                         \
    CHECKED (nbdocaml_call_##c (h, count, offset, flags, add_extent,        \
                                extents));                                  \
    return 0;                                                               \
  }
#define SET_extents SET_IF

#define DEF_preconnect(E, c, n)                                             \
  static int ad_##c (int readonly)                                          \
  { CHECKED (nbdocaml_call_##c (mod, readonly)); return 0; }
#define SET_preconnect SET_IF

#define DEF_list_exports(E, c, n)                                           \
  static int ad_##c (int readonly, int is_tls,                              \
                     struct nbdkit_exports *exports)                        \
  {                                                                         \
    CHECKED (nbdocaml_call_##c (mod, readonly, is_tls, add_export,          \
                                exports));                                  \
    return 0;                                                               \
  }
#define SET_list_exports SET_IF

#define DEF_default_export(E, c, n)                                         \
  static const char *ad_##c (int readonly, int is_tls)                      \
  { return interned (nbdocaml_call_##c (mod, readonly, is_tls)); }
#define SET_default_export SET_IF

#define DEF_conn_string(E, c, n)                                            \
  static const char *ad_##c (void *h)                                       \
  { return interned (nbdocaml_call_##c (h)); }
#define SET_conn_string SET_IF

#define DEF_block_size(E, c, n)                                             \
  static int ad_##c (void *h, uint32_t *minimum, uint32_t *preferred,       \
                     uint32_t *maximum)                                     \
  {                                                                         \
    struct nbdocaml_block_size bs;                                          \
    CHECKED (nbdocaml_call_##c (h, &bs));                                   \
    *minimum = bs.minimum;                                                  \
    *preferred = bs.preferred;                                              \
    *maximum = bs.maximum;                                                  \
    return 0;                                                               \
  }
#define SET_block_size SET_IF

#define DEF_(E, f, c, kind, i, n) DEF_##kind (E, c, n)
NBDOCAML_CALLBACKS (DEF_)
#undef DEF_

static void
report_shutdown_error (void *opaque, int errnum, const char *msg)
{
  (void) opaque; (void) errnum;
  nbdkit.error ("%s", msg);
}

/* nbdkit's unload is always wired.  nbdkit calls it while connections may
 * still be open and even have a request in flight (on SIGTERM it does not
 * wait for its connection threads).  nbdocaml_module_shutdown keeps
 * nbdkit's order regardless: it waits for the calls in flight, closes the
 * connections still open, then runs the plugin's unload, and every error
 * goes to nbdkit's log.  Closing the module then shuts the runtime down
 * (or parks it) and flushes the plugin's stdout. */
static void
ad_unload_and_close (void)
{
  pthread_mutex_lock (&closing_lock);
  /* nbdkit calls unload whether or not the plugin has a load. */
  nbdocaml_module_shutdown (mod, NBDOCAML_SHUTDOWN_UNLOAD,
                            report_shutdown_error, NULL);
  nbdocaml_module_close (mod);
  mod = NULL;
  pthread_mutex_unlock (&closing_lock);
}

static const char *
or_null (const char *s)
{
  return s && *s ? s : NULL;
}

static int
find_nbdkit (void)
{
#define FIND(field, name) *(void **) &nbdkit.field = dlsym (RTLD_DEFAULT, name)
  FIND (error, "nbdkit_error");
  FIND (debug, "nbdkit_debug");
  FIND (set_error, "nbdkit_set_error");
  FIND (add_extent, "nbdkit_add_extent");
  FIND (add_export, "nbdkit_add_export");
  FIND (strdup_intern, "nbdkit_strdup_intern");
#undef FIND
  return nbdkit.error && nbdkit.debug && nbdkit.set_error &&
    nbdkit.add_extent && nbdkit.add_export && nbdkit.strdup_intern ? 0 : -1;
}

__attribute__((__visibility__("default"))) struct nbdkit_plugin *plugin_init (void);

/* Which file this adapter is in.  Not plugin_init: it is exported, and
 * taking its address from inside the .so gives the first plugin_init of
 * the process, which is another plugin's when this one is loaded by
 * another (nbdkit's cc plugin loads the .so it compiles and calls its
 * plugin_init).  A static object is this .so's and no one else's. */
static const char self_marker;

struct nbdkit_plugin *
plugin_init (void)
{
  Dl_info self;

  if (find_nbdkit () == -1) {
    fprintf (stderr, "libnbdocaml: plugin_init called outside nbdkit "
             "(nbdkit_error and friends not found)\n");
    return NULL;
  }
  if (dladdr (&self_marker, &self) == 0 || self.dli_fname == NULL) {
    nbdkit.error ("ocaml: cannot find the path of this plugin");
    return NULL;
  }

  nbdocaml_set_debug_handler (debug_to_nbdkit, NULL);
  mod = nbdocaml_module_open (self.dli_fname, 0);
  if (mod == NULL) {
    nbdkit.error ("%s", nbdocaml_get_error ());
    return NULL;
  }

  memset (&plugin, 0, sizeof plugin);
  plugin._struct_size = sizeof plugin;
  plugin._api_version = NBDKIT_API_VERSION;
  /* The model the OCaml code asks for comes from thread_model below;
   * nbdkit uses the stricter of the two. */
  plugin._thread_model = NBDKIT_THREAD_MODEL_PARALLEL;
  plugin.name = nbdocaml_module_name (mod);
  plugin.longname = or_null (nbdocaml_module_longname (mod));
  plugin.version = or_null (nbdocaml_module_version (mod));
  plugin.description = or_null (nbdocaml_module_description (mod));
  plugin.config_help = or_null (nbdocaml_module_config_help (mod));
  plugin.magic_config_key = or_null (nbdocaml_module_magic_config_key (mod));

#define SET_(E, f, c, kind, i, n) SET_##kind (E, c, n)
  NBDOCAML_CALLBACKS (SET_)
#undef SET_
  plugin.unload = ad_unload_and_close;
  return &plugin;
}
