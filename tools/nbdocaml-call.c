/* nbdocaml-call: run the callbacks of an OCaml nbdkit plugin without a
 * server.  Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * This file holds the entry point, which picks a subcommand, and what
 * the subcommands share: the table of callbacks and error reporting.
 * See nbdocaml-call(1).
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool.h"

/* One row per callback, straight from the X-macro.  The designated
 * member .kind makes the compiler check that nbdocaml_call_X has the
 * signature the tool will call it with. */
#define TOOL_ROW_(E, f, c, k, i, n)                                        \
  [NBDOCAML_CB_##E] = { #c, #f, NBDOCAML_CB_##E, TOOL_KIND_##k,            \
                        { .k = nbdocaml_call_##c } },
const struct tool_callback tool_callbacks[NBDOCAML_CB_COUNT] = {
  NBDOCAML_CALLBACKS (TOOL_ROW_)
};
#undef TOOL_ROW_

const struct tool_callback *
tool_find_callback (const char *name)
{
  int i;

  for (i = 0; i < NBDOCAML_CB_COUNT; ++i)
    if (strcmp (tool_callbacks[i].c_name, name) == 0 ||
        strcmp (tool_callbacks[i].ocaml_name, name) == 0)
      return &tool_callbacks[i];
  return NULL;
}

int
tool_library_error (void)
{
  int err = nbdocaml_get_errno ();
  const char *name = strerrorname_np (err);

  /* The message first, unchanged, so that scripts can compare it with
   * what nbdocaml_get_error returns to a C host. */
  fprintf (stderr, "%s\n", nbdocaml_get_error ());
  fprintf (stderr, "nbdocaml-call: errno %s (%d): %s\n",
           name ? name : "?", err, strerror (err));
  return TOOL_EXIT_ERROR;
}

int
tool_usage_error (const char *fmt, ...)
{
  va_list ap;

  fputs ("nbdocaml-call: ", stderr);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputs ("\nTry 'nbdocaml-call --help'.\n", stderr);
  return TOOL_EXIT_USAGE;
}

const char *
tool_thread_model_name (int model)
{
  switch (model) {
  case NBDOCAML_THREAD_MODEL_SERIALIZE_CONNECTIONS:
    return "serialize_connections";
  case NBDOCAML_THREAD_MODEL_SERIALIZE_ALL_REQUESTS:
    return "serialize_all_requests";
  case NBDOCAML_THREAD_MODEL_SERIALIZE_REQUESTS:
    return "serialize_requests";
  case NBDOCAML_THREAD_MODEL_PARALLEL:
    return "parallel";
  default:
    return NULL;
  }
}

static void
usage (FILE *fp)
{
  fprintf (fp,
"Usage:\n"
"  nbdocaml-call info [--json] PLUGIN.so\n"
"  nbdocaml-call call [--hexdump] [--debug] PLUGIN.so [KEY=VALUE|VALUE ...]\n"
"                     [-- OPERATION [ARGS] ...]\n"
"  nbdocaml-call --version | --help\n"
"\n"
"Run the callbacks of an nbdkit plugin written in OCaml without a server.\n"
"OPERATION is a callback name (open, get_size, pread COUNT OFFSET, close ...).\n"
"See nbdocaml-call(1).\n");
}

int
main (int argc, char **argv)
{
  if (argc < 2)
    return tool_usage_error ("a subcommand is needed: info or call");
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0) {
    usage (stdout);
    return 0;
  }
  if (strcmp (argv[1], "--version") == 0 || strcmp (argv[1], "-V") == 0) {
    /* The tool's version and the version of the library it runs with:
     * they differ when an older tool runs with a newer library. */
    printf ("nbdocaml-call %s\nlibnbdocaml %s\n", PACKAGE_VERSION,
            nbdocaml_version ());
    return 0;
  }
  if (strcmp (argv[1], "info") == 0)
    return tool_info (argc - 1, argv + 1);
  if (strcmp (argv[1], "call") == 0)
    return tool_call (argc - 1, argv + 1);
  return tool_usage_error ("unknown subcommand '%s'", argv[1]);
}
