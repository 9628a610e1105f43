/* libnbdocaml glue: the OCaml values that C holds between calls.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Two kinds of value outlive a single call: the plugin record passed to
 * NBDKit.register_plugin (with its closures) and each connection's handle,
 * returned by open_connection.  Both are kept in generational global roots:
 * they are cheap to keep, scanned by the major GC only once promoted, and
 * updated in place by the GC when it moves the value.  A root's address
 * must never change while registered, so a connection's root lives in its
 * own malloc'd block, and every root is removed before its memory is
 * freed.  Roots are not thread-safe: all of this runs with the runtime
 * held.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include <caml/memory.h>
#include <caml/mlvalues.h>

#include "glue.h"

/* Indexes of the string fields of NBDKit.plugin. */
static const int string_field[NBDOCAML_STR_COUNT] = {
  [NBDOCAML_STR_NAME] = 0,
  [NBDOCAML_STR_LONGNAME] = 1,
  [NBDOCAML_STR_VERSION] = 2,
  [NBDOCAML_STR_DESCRIPTION] = 3,
  [NBDOCAML_STR_CONFIG_HELP] = 8,
  [NBDOCAML_STR_MAGIC_CONFIG_KEY] = 41,
};

/* Index of each callback's field in NBDKit.plugin. */
static const int callback_field[NBDOCAML_CB_COUNT] = {
#define FIELD_(E, f, c, k, i, n) [NBDOCAML_CB_##E] = i,
  NBDOCAML_CALLBACKS (FIELD_)
#undef FIELD_
};

static struct {
  int registered;
  value plugin;                 /* the record, a generational root */
  value flush;                  /* unit -> unit, a generational root */
  /* Copies of the strings: C callers read them without the runtime. */
  char *strings[NBDOCAML_STR_COUNT];
} roots = { 0, Val_unit, Val_unit, { NULL } };

int
nbdocaml_internal_has_field (value plugin, int cb)
{
  return Is_block (Field (plugin, callback_field[cb]));
}

/* Record the plugin (already validated by the caller).  Returns 0, or -1
 * when out of memory. */
int
nbdocaml_internal_set_plugin (value plugin, value flush)
{
  uint64_t bits = 0;
  int i;

  for (i = 0; i < NBDOCAML_CB_COUNT; ++i)
    if (nbdocaml_internal_has_field (plugin, i))
      bits |= UINT64_C (1) << i;

  for (i = 0; i < NBDOCAML_STR_COUNT; ++i) {
    value s = Field (plugin, string_field[i]);
    roots.strings[i] = strndup (String_val (s), caml_string_length (s));
    if (roots.strings[i] == NULL) {
      while (i-- > 0) {
        free (roots.strings[i]);
        roots.strings[i] = NULL;
      }
      return -1;
    }
  }

  roots.plugin = plugin;
  caml_register_generational_global_root (&roots.plugin);
  roots.flush = flush;
  caml_register_generational_global_root (&roots.flush);
  nbdocaml_internal_table.registered = bits;
  roots.registered = 1;
  return 0;
}

void
nbdocaml_internal_clear_plugin (void)
{
  int i;

  if (!roots.registered)
    return;
  caml_remove_generational_global_root (&roots.plugin);
  caml_remove_generational_global_root (&roots.flush);
  roots.plugin = roots.flush = Val_unit;
  for (i = 0; i < NBDOCAML_STR_COUNT; ++i) {
    free (roots.strings[i]);
    roots.strings[i] = NULL;
  }
  nbdocaml_internal_table.registered = 0;
  roots.registered = 0;
}

int
nbdocaml_internal_is_registered (void)
{
  return roots.registered;
}

value
nbdocaml_internal_closure (int cb)
{
  return Field (Field (roots.plugin, callback_field[cb]), 0);
}

value
nbdocaml_internal_flush_closure (void)
{
  return roots.flush;
}

const char *
nbdocaml_internal_string (int which)
{
  if (which < 0 || which >= NBDOCAML_STR_COUNT || !roots.strings[which])
    return "";
  return roots.strings[which];
}

struct glue_conn *
nbdocaml_internal_conn_new (value handle)
{
  struct glue_conn *c = malloc (sizeof *c);

  if (c == NULL)
    return NULL;
  c->handle = handle;
  caml_register_generational_global_root (&c->handle);
  return c;
}

void
nbdocaml_internal_conn_free (struct glue_conn *c)
{
  if (c == NULL)
    return;
  caml_remove_generational_global_root (&c->handle);
  free (c);
}
