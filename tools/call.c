/* nbdocaml-call call: run a plugin's callbacks in order, as a server
 * would, and print their results.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * The plugin is set up the way nbdkit sets it up (load, one config per
 * KEY=VALUE, config_complete), then the operations after "--" run one by
 * one.  The whole list is parsed before anything runs, so that a typing
 * mistake is reported before the plugin has done anything.  Each
 * operation is dispatched on the kind of its callback, taken from the
 * NBDOCAML_CALLBACKS X-macro through tool_callbacks: a new callback of a
 * known kind needs no change here, a new kind needs one case in
 * parse_op and one in run_op.  The tool answers the plugin's questions
 * about the client (NBDKit.export_name ...) as tools/client.c says.
 */
#include <config.h>

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "tool.h"

struct op {
  const struct tool_callback *cb;
  const char *word;          /* as written on the command line */
  int readonly;              /* --readonly (open and the negotiation calls) */
  int is_tls;                /* --tls (open, list_exports, default_export) */
  const char *export;        /* open --export=NAME */
  uint32_t flags;            /* NBDOCAML_FLAG_* */
  uint32_t count;
  uint64_t offset;
  const char *key, *value;   /* config KEY=VALUE */
  const char *data;          /* pwrite DATA or @FILE */
};

struct session {
  nbdocaml_module *m;
  nbdocaml_conn *c;
  gboolean hexdump;
};

static int
parse_u64 (const char *what, const char *s, uint64_t max, uint64_t *out)
{
  char *end;
  unsigned long long v;

  errno = 0;
  v = strtoull (s, &end, 0);
  if (*s == '\0' || *s == '-' || *s == '+' || *end != '\0' || errno != 0 ||
      v > max)
    return tool_usage_error ("%s: '%s' is not a number from 0 to %" PRIu64,
                             what, s, max);
  *out = v;
  return 0;
}

/* The request flags an operation may be given. */
static const struct { const char *option; uint32_t bit; } flag_options[] = {
  { "--may-trim", NBDOCAML_FLAG_MAY_TRIM },
  { "--fua", NBDOCAML_FLAG_FUA },
  { "--req-one", NBDOCAML_FLAG_REQ_ONE },
  { "--fast-zero", NBDOCAML_FLAG_FAST_ZERO },
};

static int
takes_flags (enum tool_kind k)
{
  return k == TOOL_KIND_pread || k == TOOL_KIND_pwrite ||
    k == TOOL_KIND_flush || k == TOOL_KIND_range || k == TOOL_KIND_extents;
}

/* open, preconnect, list_exports and default_export take --readonly,
 * the last two --tls as well (what nbdkit passes them); open takes --tls
 * and --export=NAME, which set what the plugin's NBDKit.is_tls and
 * NBDKit.export_name report during the connection. */
static int
takes_readonly (enum tool_kind k)
{
  return k == TOOL_KIND_open || k == TOOL_KIND_preconnect ||
    k == TOOL_KIND_list_exports || k == TOOL_KIND_default_export;
}

static int
takes_tls (enum tool_kind k)
{
  return k == TOOL_KIND_open || k == TOOL_KIND_list_exports ||
    k == TOOL_KIND_default_export;
}

/* How many arguments follow an operation of kind k. */
static int
nargs (enum tool_kind k)
{
  switch (k) {
  case TOOL_KIND_config:
    return 1;
  case TOOL_KIND_pread: case TOOL_KIND_pwrite: case TOOL_KIND_range:
  case TOOL_KIND_extents:
    return 2;
  case TOOL_KIND_module_void: case TOOL_KIND_thread_model:
  case TOOL_KIND_open: case TOOL_KIND_close: case TOOL_KIND_get_size:
  case TOOL_KIND_conn_bool: case TOOL_KIND_conn_fua:
  case TOOL_KIND_conn_cache: case TOOL_KIND_flush:
  case TOOL_KIND_preconnect: case TOOL_KIND_list_exports:
  case TOOL_KIND_default_export: case TOOL_KIND_conn_string:
  case TOOL_KIND_block_size:
    return 0;
  }
  abort ();
}

/* Does kind k act on a connection (1), open one (2) or close it (3)? */
static int
conn_role (enum tool_kind k)
{
  switch (k) {
  case TOOL_KIND_open:
    return 2;
  case TOOL_KIND_close:
    return 3;
  case TOOL_KIND_module_void: case TOOL_KIND_config:
  case TOOL_KIND_thread_model: case TOOL_KIND_preconnect:
  case TOOL_KIND_list_exports: case TOOL_KIND_default_export:
    return 0;
  case TOOL_KIND_get_size: case TOOL_KIND_conn_bool:
  case TOOL_KIND_conn_fua: case TOOL_KIND_conn_cache:
  case TOOL_KIND_pread: case TOOL_KIND_pwrite: case TOOL_KIND_flush:
  case TOOL_KIND_range: case TOOL_KIND_extents: case TOOL_KIND_conn_string:
  case TOOL_KIND_block_size:
    return 1;
  }
  abort ();
}

/* Parse the operation at argv[*i], advancing *i past it.  *open tracks
 * whether a connection is open at this point of the list. */
static int
parse_op (int argc, char **argv, int *i, int *open, struct op *op)
{
  const char *w = argv[(*i)++];
  enum tool_kind k;
  size_t f;
  int n, role;

  memset (op, 0, sizeof *op);
  op->word = w;
  op->cb = tool_find_callback (w);
  if (op->cb == NULL)
    return tool_usage_error ("unknown operation '%s'", w);
  k = op->cb->kind;

  while (*i < argc && strncmp (argv[*i], "--", 2) == 0) {
    const char *o = argv[*i];
    int known = 0;
    if (takes_readonly (k) && strcmp (o, "--readonly") == 0)
      op->readonly = known = 1;
    if (takes_tls (k) && strcmp (o, "--tls") == 0)
      op->is_tls = known = 1;
    if (k == TOOL_KIND_open && strncmp (o, "--export=", 9) == 0) {
      op->export = o + 9;
      known = 1;
    }
    for (f = 0; takes_flags (k) && f < G_N_ELEMENTS (flag_options); ++f)
      if (strcmp (o, flag_options[f].option) == 0) {
        op->flags |= flag_options[f].bit;
        known = 1;
      }
    if (!known)
      return tool_usage_error ("%s: unknown option '%s'", w, o);
    ++*i;
  }

  n = nargs (k);
  if (argc - *i < n)
    return tool_usage_error ("%s: %d argument%s needed", w, n,
                             n == 1 ? "" : "s");
  switch (k) {
  case TOOL_KIND_config: {
    char *eq = strchr (argv[*i], '=');
    if (eq == NULL)
      return tool_usage_error ("%s: KEY=VALUE expected, not '%s'", w,
                               argv[*i]);
    *eq = '\0';
    op->key = argv[*i];
    op->value = eq + 1;
    break;
  }
  case TOOL_KIND_pread: case TOOL_KIND_range: case TOOL_KIND_extents: {
    uint64_t count;
    if (parse_u64 (w, argv[*i], UINT32_MAX, &count) ||
        parse_u64 (w, argv[*i + 1], UINT64_MAX, &op->offset))
      return TOOL_EXIT_USAGE;
    op->count = count;
    break;
  }
  case TOOL_KIND_pwrite:
    if (parse_u64 (w, argv[*i], UINT64_MAX, &op->offset))
      return TOOL_EXIT_USAGE;
    op->data = argv[*i + 1];
    break;
  default:
    break;
  }
  *i += n;

  role = conn_role (k);
  if (role == 1 && !*open)
    return tool_usage_error ("%s: no connection is open (use open first)", w);
  if (role == 2 && *open)
    return tool_usage_error ("%s: a connection is already open", w);
  if (role == 3 && !*open)
    return tool_usage_error ("%s: no connection is open", w);
  if (role == 2)
    *open = 1;
  if (role == 3)
    *open = 0;
  return 0;
}

static int
print_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  static const char *names[] = { "data", "hole", "zero", "hole,zero" };

  printf ("%" PRIu64 " %" PRIu64 " %s\n", offset, length, names[type & 3]);
  return 0;
}

static int
run_pread (struct session *s, const struct op *op)
{
  unsigned char *buf = malloc (op->count ? op->count : 1);

  if (buf == NULL) {
    fprintf (stderr, "nbdocaml-call: %s: cannot allocate %" PRIu32
             " bytes\n", op->word, op->count);
    return TOOL_EXIT_ERROR;
  }
  if (op->cb->fn.pread (s->c, buf, op->count, op->offset, op->flags) == -1) {
    free (buf);
    return tool_library_error ();
  }
  if (s->hexdump)
    tool_hexdump (buf, op->count, op->offset);
  else
    fwrite (buf, 1, op->count, stdout);
  free (buf);
  return 0;
}

static int
run_pwrite (struct session *s, const struct op *op)
{
  gchar *contents = NULL;
  const char *data = op->data;
  gsize len = strlen (data);
  GError *err = NULL;
  int r = 0;

  if (data[0] == '@') {
    if (!g_file_get_contents (data + 1, &contents, &len, &err)) {
      fprintf (stderr, "nbdocaml-call: %s: %s\n", op->word, err->message);
      g_error_free (err);
      return TOOL_EXIT_ERROR;
    }
    data = contents;
  }
  if (len > UINT32_MAX)
    r = tool_usage_error ("%s: %s is too large", op->word, op->data);
  else if (op->cb->fn.pwrite (s->c, data, len, op->offset, op->flags) == -1)
    r = tool_library_error ();
  g_free (contents);
  return r;
}

static int
print_export (void *opaque, const char *name, const char *description)
{
  (void) opaque;
  if (description)
    printf ("%s\t%s\n", name, description);
  else
    printf ("%s\n", name);
  return 0;
}

/* A string the library returned with malloc, printed on a line. */
static int
print_string (char *str)
{
  if (str == NULL)
    return tool_library_error ();
  printf ("%s\n", str);
  free (str);
  return 0;
}

static const char *
level_name (int v)
{
  /* NBDOCAML_FUA_* and NBDOCAML_CACHE_* share their values. */
  static const char *names[] = { "none", "emulate", "native" };
  return v >= 0 && v <= 2 ? names[v] : "unknown";
}

static int
run_op (struct session *s, const struct op *op)
{
  const union tool_fn *fn = &op->cb->fn;
  int64_t size;
  int v;

  switch (op->cb->kind) {
  case TOOL_KIND_module_void:
    if (op->cb->cb == NBDOCAML_CB_DUMP_PLUGIN)
      fflush (stdout);
    return fn->module_void (s->m) == -1 ? tool_library_error () : 0;
  case TOOL_KIND_config:
    return fn->config (s->m, op->key, op->value) == -1
      ? tool_library_error () : 0;
  case TOOL_KIND_thread_model:
    v = fn->thread_model (s->m);
    if (v == -1)
      return tool_library_error ();
    printf ("%s\n", tool_thread_model_name (v) ? tool_thread_model_name (v)
            : "unknown");
    return 0;
  case TOOL_KIND_open:
    tool_client_set (op->export, op->is_tls);
    s->c = fn->open (s->m, op->readonly);
    return s->c == NULL ? tool_library_error () : 0;
  case TOOL_KIND_close: {
    /* close always frees the connection, even when the plugin fails. */
    nbdocaml_conn *c = s->c;
    s->c = NULL;
    return fn->close (c) == -1 ? tool_library_error () : 0;
  }
  case TOOL_KIND_get_size:
    size = fn->get_size (s->c);
    if (size == -1)
      return tool_library_error ();
    printf ("%" PRIi64 "\n", size);
    return 0;
  case TOOL_KIND_conn_bool:
    v = fn->conn_bool (s->c);
    if (v == -1)
      return tool_library_error ();
    printf ("%s\n", v ? "true" : "false");
    return 0;
  case TOOL_KIND_conn_fua:
  case TOOL_KIND_conn_cache:
    v = op->cb->kind == TOOL_KIND_conn_fua ? fn->conn_fua (s->c)
      : fn->conn_cache (s->c);
    if (v == -1)
      return tool_library_error ();
    printf ("%s\n", level_name (v));
    return 0;
  case TOOL_KIND_pread:
    return run_pread (s, op);
  case TOOL_KIND_pwrite:
    return run_pwrite (s, op);
  case TOOL_KIND_flush:
    return fn->flush (s->c, op->flags) == -1 ? tool_library_error () : 0;
  case TOOL_KIND_range:
    return fn->range (s->c, op->count, op->offset, op->flags) == -1
      ? tool_library_error () : 0;
  case TOOL_KIND_extents:
    return fn->extents (s->c, op->count, op->offset, op->flags,
                        print_extent, NULL) == -1
      ? tool_library_error () : 0;
  case TOOL_KIND_preconnect:
    return fn->preconnect (s->m, op->readonly) == -1
      ? tool_library_error () : 0;
  case TOOL_KIND_list_exports:
    tool_client_set (NULL, op->is_tls);
    return fn->list_exports (s->m, op->readonly, op->is_tls, print_export,
                             NULL) == -1
      ? tool_library_error () : 0;
  case TOOL_KIND_default_export:
    tool_client_set (NULL, op->is_tls);
    return print_string (fn->default_export (s->m, op->readonly,
                                             op->is_tls));
  case TOOL_KIND_conn_string:
    return print_string (fn->conn_string (s->c));
  case TOOL_KIND_block_size: {
    struct nbdocaml_block_size bs;
    if (fn->block_size (s->c, &bs) == -1)
      return tool_library_error ();
    printf ("%" PRIu32 " %" PRIu32 " %" PRIu32 "\n", bs.minimum,
            bs.preferred, bs.maximum);
    return 0;
  }
  }
  abort ();
}

static void
debug_to_stderr (void *opaque, const nbdocaml_module *m, const char *msg)
{
  fprintf (stderr, "%s: debug: %s\n", nbdocaml_module_name (m), msg);
}

/* nbdkit's start-up sequence: load, config for each KEY=VALUE,
 * config_complete.  Callbacks the plugin lacks are skipped, except
 * config: a parameter given to a plugin that takes none is an error.  As
 * with nbdkit, a parameter without '=' is the value of the plugin's
 * magic_config_key; the plugin must have one (checked before load runs,
 * since it is a mistake on the command line). */
static int
set_up (struct session *s, int nparams, char **params)
{
  const char *magic = nbdocaml_module_magic_config_key (s->m);
  int i;

  for (i = 0; i < nparams; ++i)
    if (strchr (params[i], '=') == NULL && magic[0] == '\0')
      return tool_usage_error ("call: '%s' is not KEY=VALUE, and %s has "
                               "no magic_config_key", params[i],
                               nbdocaml_module_path (s->m));
  if (nbdocaml_module_has (s->m, NBDOCAML_CB_LOAD) &&
      nbdocaml_call_load (s->m) == -1)
    return tool_library_error ();
  for (i = 0; i < nparams; ++i) {
    char *eq = strchr (params[i], '=');
    const char *key = magic, *value = params[i];
    if (eq != NULL) {
      *eq = '\0';
      key = params[i];
      value = eq + 1;
    }
    if (nbdocaml_call_config (s->m, key, value) == -1)
      return tool_library_error ();
  }
  if (nbdocaml_module_has (s->m, NBDOCAML_CB_CONFIG_COMPLETE) &&
      nbdocaml_call_config_complete (s->m) == -1)
    return tool_library_error ();
  return 0;
}

int
tool_call (int argc, char **argv)
{
  gboolean hexdump = FALSE, debug = FALSE;
  GOptionEntry entries[] = {
    { "hexdump", 'x', 0, G_OPTION_ARG_NONE, &hexdump,
      "Show data read by pread as \"hexdump -C\" does", NULL },
    { "debug", 'd', 0, G_OPTION_ARG_NONE, &debug,
      "Show the plugin's NBDKit.debug messages on stderr", NULL },
    { NULL, 0, 0, 0, NULL, NULL, NULL }
  };
  GOptionContext *ctx = g_option_context_new
    ("PLUGIN.so [KEY=VALUE|VALUE ...] [-- OPERATION [ARGS] ...]");
  GError *err = NULL;
  struct session s = { NULL, NULL, FALSE };
  struct op *ops;
  int nparams, nops = 0, i, open = 0, r = 0;

  g_set_prgname ("nbdocaml-call call");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_summary (ctx,
    "Set up an OCaml nbdkit plugin as nbdkit does and run callbacks.");
  /* Stop at PLUGIN.so: what follows belongs to the operations. */
  g_option_context_set_strict_posix (ctx, TRUE);
  if (!g_option_context_parse (ctx, &argc, &argv, &err)) {
    r = tool_usage_error ("call: %s", err->message);
    g_error_free (err);
    g_option_context_free (ctx);
    return r;
  }
  g_option_context_free (ctx);
  if (argc < 2)
    return tool_usage_error ("call: PLUGIN.so is needed");

  /* argv[2 .. 2+nparams) are KEY=VALUE, then "--" and the operations. */
  for (nparams = 0; 2 + nparams < argc; ++nparams) {
    const char *a = argv[2 + nparams];
    if (strcmp (a, "--") == 0)
      break;
    if (a[0] == '=')
      return tool_usage_error ("call: KEY=VALUE expected, not '%s'", a);
  }
  ops = g_new0 (struct op, argc);
  for (i = 2 + nparams + 1; i < argc; ) {
    r = parse_op (argc, argv, &i, &open, &ops[nops++]);
    if (r != 0) {
      g_free (ops);
      return r;
    }
  }

  if (debug)
    nbdocaml_set_debug_handler (debug_to_stderr, NULL);
  if (tool_client_install () == -1) {
    g_free (ops);
    return tool_library_error ();
  }
  s.hexdump = hexdump;
  s.m = nbdocaml_module_open (argv[1], 0);
  if (s.m == NULL) {
    g_free (ops);
    return tool_library_error ();
  }
  r = set_up (&s, nparams, argv + 2);
  for (i = 0; r == 0 && i < nops; ++i)
    r = run_op (&s, &ops[i]);

  /* Like a client that disconnects: the plugin's close runs for a
   * connection left open, then unload when the module is closed. */
  if (s.c != NULL && nbdocaml_call_close (s.c) == -1 && r == 0)
    r = tool_library_error ();
  if (fflush (stdout) == EOF && r == 0) {
    perror ("nbdocaml-call: stdout");
    r = TOOL_EXIT_ERROR;
  }
  nbdocaml_module_close (s.m);
  g_free (ops);
  return r;
}
