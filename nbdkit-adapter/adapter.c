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
#include <stdio.h>
#include <string.h>

#include "nbdocaml.h"

/* nbdkit's functions, found at run time. */
static struct {
  void (*error) (const char *fs, ...);
  void (*debug) (const char *fs, ...);
  void (*set_error) (int err);
  int (*add_extent) (struct nbdkit_extents *, uint64_t, uint64_t, uint32_t);
} nbdkit;

/* nbdkit loads one plugin per process, and its plugin-level callbacks
 * carry no opaque pointer, so the module lives here. */
static nbdocaml_module *mod;
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

#define CHECKED(expr) do { if ((expr) == -1) { report (); return -1; } } while (0)

static void
debug_to_nbdkit (void *opaque, const nbdocaml_module *m, const char *msg)
{
  (void) opaque; (void) m;
  nbdkit.debug ("%s", msg);
}

static void
ad_load (void)
{
  /* nbdkit's load cannot fail; a raising load is reported, as nbdkit
   * reports other plugin errors, and the server goes on. */
  if (nbdocaml_call_load (mod) == -1)
    nbdkit.error ("%s", nbdocaml_get_error ());
}

static void
ad_unload (void)
{
  if (nbdocaml_module_has (mod, NBDOCAML_CB_UNLOAD) &&
      nbdocaml_call_unload (mod) == -1)
    nbdkit.error ("%s", nbdocaml_get_error ());
  /* Shuts the runtime down, flushing the plugin's stdout. */
  nbdocaml_module_close (mod);
  mod = NULL;
}

static int ad_config (const char *k, const char *v)
{ CHECKED (nbdocaml_call_config (mod, k, v)); return 0; }
static int ad_config_complete (void)
{ CHECKED (nbdocaml_call_config_complete (mod)); return 0; }

static void
ad_dump_plugin (void)
{
  if (nbdocaml_call_dump_plugin (mod) == -1)
    nbdkit.error ("%s", nbdocaml_get_error ());
}

static int
ad_thread_model (void)
{
  int r = nbdocaml_call_thread_model (mod);
  if (r == -1)
    report ();
  return r;
}

static void *
ad_open (int readonly)
{
  nbdocaml_conn *c = nbdocaml_call_open (mod, readonly);
  if (c == NULL)
    report ();
  return c;
}

static void
ad_close (void *h)
{
  if (nbdocaml_call_close (h) == -1)
    nbdkit.error ("%s", nbdocaml_get_error ());
}

static int64_t
ad_get_size (void *h)
{
  int64_t r = nbdocaml_call_get_size (h);
  if (r == -1)
    report ();
  return r;
}

/* The can_* and is_rotational callbacks share one shape. */
#define AD_INT(name)                                                        \
  static int ad_##name (void *h)                                            \
  { int r = nbdocaml_call_##name (h); if (r == -1) report (); return r; }
AD_INT (can_write)
AD_INT (can_flush)
AD_INT (is_rotational)
AD_INT (can_trim)
AD_INT (can_zero)
AD_INT (can_fua)
AD_INT (can_multi_conn)
AD_INT (can_extents)
AD_INT (can_cache)
AD_INT (can_fast_zero)

static int
ad_pread (void *h, void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{ CHECKED (nbdocaml_call_pread (h, buf, count, offset, flags)); return 0; }
static int
ad_pwrite (void *h, const void *buf, uint32_t count, uint64_t offset,
           uint32_t flags)
{ CHECKED (nbdocaml_call_pwrite (h, buf, count, offset, flags)); return 0; }
static int
ad_flush (void *h, uint32_t flags)
{ CHECKED (nbdocaml_call_flush (h, flags)); return 0; }
static int
ad_trim (void *h, uint32_t count, uint64_t offset, uint32_t flags)
{ CHECKED (nbdocaml_call_trim (h, count, offset, flags)); return 0; }
static int
ad_zero (void *h, uint32_t count, uint64_t offset, uint32_t flags)
{ CHECKED (nbdocaml_call_zero (h, count, offset, flags)); return 0; }
static int
ad_cache (void *h, uint32_t count, uint64_t offset, uint32_t flags)
{ CHECKED (nbdocaml_call_cache (h, count, offset, flags)); return 0; }

/* nbdkit validates each extent (order, overlap, range) and reports
 * through nbdkit_error; its errno becomes the call's. */
static int
add_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  return nbdkit.add_extent (opaque, offset, length, type);
}

static int
ad_extents (void *h, uint32_t count, uint64_t offset, uint32_t flags,
            struct nbdkit_extents *extents)
{
  CHECKED (nbdocaml_call_extents (h, count, offset, flags, add_extent,
                                  extents));
  return 0;
}

static const char *
or_null (const char *s)
{
  return s && *s ? s : NULL;
}

static int
find_nbdkit (void)
{
  nbdkit.error = (void (*) (const char *, ...)) dlsym (RTLD_DEFAULT, "nbdkit_error");
  nbdkit.debug = (void (*) (const char *, ...)) dlsym (RTLD_DEFAULT, "nbdkit_debug");
  nbdkit.set_error = (void (*) (int)) dlsym (RTLD_DEFAULT, "nbdkit_set_error");
  nbdkit.add_extent = (int (*) (struct nbdkit_extents *, uint64_t, uint64_t,
                                uint32_t)) dlsym (RTLD_DEFAULT, "nbdkit_add_extent");
  return nbdkit.error && nbdkit.debug && nbdkit.set_error && nbdkit.add_extent
    ? 0 : -1;
}

__attribute__((__visibility__("default"))) struct nbdkit_plugin *plugin_init (void);

struct nbdkit_plugin *
plugin_init (void)
{
  Dl_info self;

  if (find_nbdkit () == -1) {
    fprintf (stderr, "libnbdocaml: plugin_init called outside nbdkit "
             "(nbdkit_error and friends not found)\n");
    return NULL;
  }
  if (dladdr ((void *) &plugin_init, &self) == 0 || self.dli_fname == NULL) {
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

  /* Always present: open and close manage libnbdocaml's connection
   * object, unload closes the module and thread_model reports the
   * default when the plugin has none. */
  plugin.open = ad_open;
  plugin.close = ad_close;
  plugin.unload = ad_unload;
  plugin.thread_model = ad_thread_model;

  /* The rest only when registered, so that nbdkit's defaults (can_write
   * from pwrite, can_fua from flush ...) apply as for a C plugin. */
#define WIRE(cb, field, fn)                                                 \
  if (nbdocaml_module_has (mod, NBDOCAML_CB_##cb)) plugin.field = fn
  WIRE (LOAD, load, ad_load);
  WIRE (CONFIG, config, ad_config);
  WIRE (CONFIG_COMPLETE, config_complete, ad_config_complete);
  WIRE (GET_SIZE, get_size, ad_get_size);
  WIRE (CAN_WRITE, can_write, ad_can_write);
  WIRE (CAN_FLUSH, can_flush, ad_can_flush);
  WIRE (IS_ROTATIONAL, is_rotational, ad_is_rotational);
  WIRE (CAN_TRIM, can_trim, ad_can_trim);
  WIRE (DUMP_PLUGIN, dump_plugin, ad_dump_plugin);
  WIRE (CAN_ZERO, can_zero, ad_can_zero);
  WIRE (CAN_FUA, can_fua, ad_can_fua);
  /* nbdocaml_call_pread/pwrite pick the _buf variant when registered. */
  WIRE (PREAD, pread, ad_pread);
  WIRE (PREAD_BUF, pread, ad_pread);
  WIRE (PWRITE, pwrite, ad_pwrite);
  WIRE (PWRITE_BUF, pwrite, ad_pwrite);
  WIRE (FLUSH, flush, ad_flush);
  WIRE (TRIM, trim, ad_trim);
  WIRE (ZERO, zero, ad_zero);
  WIRE (CAN_MULTI_CONN, can_multi_conn, ad_can_multi_conn);
  WIRE (CAN_EXTENTS, can_extents, ad_can_extents);
  WIRE (EXTENTS, extents, ad_extents);
  WIRE (CAN_CACHE, can_cache, ad_can_cache);
  WIRE (CACHE, cache, ad_cache);
  WIRE (CAN_FAST_ZERO, can_fast_zero, ad_can_fast_zero);
#undef WIRE
  return &plugin;
}
