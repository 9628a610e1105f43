/* nbdocaml-call info: what a plugin registered.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * Opening the plugin runs its top-level code (and so
 * NBDKit.register_plugin) and nothing else; the thread model is the one
 * callback info calls, because the plugin's answer is the thread model.
 * The callbacks are listed by walking the library's enumeration
 * (nbdocaml_callback_name over NBDOCAML_CB_COUNT), so callbacks added to
 * the library appear with no change here.  JSON is written by JSON-GLib,
 * which does the escaping.  Besides the metadata, info shows what decides
 * how the plugin is driven: its OCaml API (record or labelled, which
 * decides how large requests reach it), its magic_config_key and the
 * OCaml it was built with (which decides what its last close does).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <json-glib/json-glib.h>

#include "tool.h"

struct info {
  nbdocaml_module *m;
  const char *thread_model;
};

/* The generation of nbdkit's OCaml interface the plugin was compiled
 * against, as info prints it: "record" or "labelled", the names the
 * documentation uses. */
static const char *
ocaml_api_name (int api)
{
  switch (api) {
  case NBDOCAML_OCAML_API_RECORD: return "record";
  case NBDOCAML_OCAML_API_LABELLED: return "labelled";
  default: return "unknown";
  }
}

/* The nbdkit releases whose OCaml module had that interface. */
static const char *
ocaml_api_releases (int api)
{
  switch (api) {
  case NBDOCAML_OCAML_API_RECORD: return "nbdkit 1.16 - 1.28";
  case NBDOCAML_OCAML_API_LABELLED: return "nbdkit >= 1.30";
  default: return "?";
  }
}

static void
add_string (JsonBuilder *b, const char *key, const char *value)
{
  json_builder_set_member_name (b, key);
  json_builder_add_string_value (b, value);
}

static int
print_json (const struct info *in)
{
  nbdocaml_module *m = in->m;
  JsonBuilder *b = json_builder_new ();
  JsonGenerator *gen;
  JsonNode *root;
  gchar *text;
  int cb;

  json_builder_begin_object (b);
  add_string (b, "path", nbdocaml_module_path (m));
  add_string (b, "name", nbdocaml_module_name (m));
  add_string (b, "longname", nbdocaml_module_longname (m));
  add_string (b, "version", nbdocaml_module_version (m));
  add_string (b, "description", nbdocaml_module_description (m));
  add_string (b, "config_help", nbdocaml_module_config_help (m));
  json_builder_set_member_name (b, "threads");
  json_builder_add_boolean_value (b, nbdocaml_module_has_threads (m));
  add_string (b, "thread_model", in->thread_model);
  add_string (b, "magic_config_key", nbdocaml_module_magic_config_key (m));
  add_string (b, "ocaml_api",
              ocaml_api_name (nbdocaml_module_ocaml_api (m)));
  add_string (b, "ocaml_version", nbdocaml_module_ocaml_version (m));
  add_string (b, "library_version", nbdocaml_version ());
  json_builder_set_member_name (b, "callbacks");
  json_builder_begin_array (b);
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb)
    if (nbdocaml_module_has (m, cb))
      json_builder_add_string_value (b, nbdocaml_callback_name (cb));
  json_builder_end_array (b);
  json_builder_end_object (b);

  root = json_builder_get_root (b);
  gen = json_generator_new ();
  json_generator_set_pretty (gen, TRUE);
  json_generator_set_root (gen, root);
  text = json_generator_to_data (gen, NULL);
  printf ("%s\n", text);
  g_free (text);
  json_node_unref (root);
  g_object_unref (gen);
  g_object_unref (b);
  return 0;
}

/* "key: value", values aligned in a column wide enough for the longest
 * key ("magic_config_key:"), continuation lines of a multi-line value
 * indented to it. */
#define FIELD_WIDTH 18

static void
print_field (const char *key, const char *value)
{
  const char *p;

  printf ("%-*s", FIELD_WIDTH, key);
  for (p = value; *p; ++p) {
    putchar (*p);
    if (*p == '\n' && p[1] != '\0')
      printf ("%-*s", FIELD_WIDTH, "");
  }
  if (p == value || p[-1] != '\n')
    putchar ('\n');
}

static int
print_text (const struct info *in)
{
  nbdocaml_module *m = in->m;
  gchar *api_text;
  int cb, api;

  print_field ("path:", nbdocaml_module_path (m));
  print_field ("name:", nbdocaml_module_name (m));
  print_field ("longname:", nbdocaml_module_longname (m));
  print_field ("version:", nbdocaml_module_version (m));
  print_field ("description:", nbdocaml_module_description (m));
  print_field ("config_help:", nbdocaml_module_config_help (m));
  print_field ("threads:", nbdocaml_module_has_threads (m)
               ? "yes (links threads.cmxa)" : "no");
  print_field ("thread_model:", in->thread_model);
  print_field ("magic_config_key:", nbdocaml_module_magic_config_key (m));
  api = nbdocaml_module_ocaml_api (m);
  api_text = g_strdup_printf ("%s (%s)", ocaml_api_name (api),
                              ocaml_api_releases (api));
  print_field ("ocaml_api:", api_text);
  g_free (api_text);
  print_field ("ocaml_version:", nbdocaml_module_ocaml_version (m));
  print_field ("library:", nbdocaml_version ());
  printf ("callbacks:\n");
  for (cb = 0; cb < NBDOCAML_CB_COUNT; ++cb)
    if (nbdocaml_module_has (m, cb))
      printf ("  %-18s nbdocaml_call_%s\n", nbdocaml_callback_name (cb),
              tool_callbacks[cb].c_name);
  return 0;
}

int
tool_info (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      "Print JSON instead of text", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  GOptionContext *ctx = g_option_context_new ("PLUGIN.so");
  GError *err = NULL;
  struct info in;
  int model, r;

  g_set_prgname ("nbdocaml-call info");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "Print what an OCaml nbdkit plugin registered.");
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    r = tool_usage_error ("info: %s", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return r;
  }
  g_option_context_free (ctx);
  if (argc != 2)
    return tool_usage_error ("info: exactly one PLUGIN.so is needed");

  in.m = nbdocaml_module_open (argv[1], 0);
  if (in.m == NULL)
    return tool_library_error ();
  model = nbdocaml_call_thread_model (in.m);
  if (model == -1) {
    r = tool_library_error ();
    nbdocaml_module_close (in.m);
    return r;
  }
  in.thread_model = tool_thread_model_name (model);
  if (in.thread_model == NULL)
    in.thread_model = "unknown";
  r = json ? print_json (&in) : print_text (&in);
  nbdocaml_module_close (in.m);
  return r;
}
