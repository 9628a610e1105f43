/* nbdocaml-call: run the callbacks of an OCaml nbdkit plugin without a
 * server.  Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause.
 *
 * The tool is a client of the public C API only (<nbdocaml.h>, linked
 * with libnbdocaml.so): what it can do, any host program can do.  Its
 * table of callbacks is generated from the NBDOCAML_CALLBACKS X-macro, so
 * a callback added there appears here with no change, as long as its kind
 * (its C signature) is one the tool already knows; a new kind fails to
 * compile until it gets a member in union tool_fn and a case in call.c.
 */
#ifndef NBDOCAML_TOOL_H
#define NBDOCAML_TOOL_H

#include <stddef.h>
#include <stdint.h>

#include <nbdocaml.h>

/* Exit statuses: 1 when the library or the plugin reported an error, 2
 * for a command line the tool does not understand. */
#define TOOL_EXIT_ERROR 1
#define TOOL_EXIT_USAGE 2

/* The kinds of NBDOCAML_CALLBACKS, one per C signature (see the
 * "Invocation" comment in nbdocaml.h). */
enum tool_kind {
  TOOL_KIND_module_void,
  TOOL_KIND_config,
  TOOL_KIND_thread_model,
  TOOL_KIND_open,
  TOOL_KIND_close,
  TOOL_KIND_get_size,
  TOOL_KIND_conn_bool,
  TOOL_KIND_conn_fua,
  TOOL_KIND_conn_cache,
  TOOL_KIND_pread,
  TOOL_KIND_pwrite,
  TOOL_KIND_flush,
  TOOL_KIND_range,
  TOOL_KIND_extents,
  TOOL_KIND_preconnect,
  TOOL_KIND_list_exports,
  TOOL_KIND_default_export,
  TOOL_KIND_conn_string,
  TOOL_KIND_block_size,
};

/* The nbdocaml_call_* function of a callback, typed by its kind: the
 * table initialises the member named after the kind, so the compiler
 * checks each function against the signature the tool calls it with. */
union tool_fn {
  int (*module_void) (nbdocaml_module *);
  int (*config) (nbdocaml_module *, const char *, const char *);
  int (*thread_model) (nbdocaml_module *);
  nbdocaml_conn *(*open) (nbdocaml_module *, int);
  int (*close) (nbdocaml_conn *);
  int64_t (*get_size) (nbdocaml_conn *);
  int (*conn_bool) (nbdocaml_conn *);
  int (*conn_fua) (nbdocaml_conn *);
  int (*conn_cache) (nbdocaml_conn *);
  int (*pread) (nbdocaml_conn *, void *, uint32_t, uint64_t, uint32_t);
  int (*pwrite) (nbdocaml_conn *, const void *, uint32_t, uint64_t,
                 uint32_t);
  int (*flush) (nbdocaml_conn *, uint32_t);
  int (*range) (nbdocaml_conn *, uint32_t, uint64_t, uint32_t);
  int (*extents) (nbdocaml_conn *, uint32_t, uint64_t, uint32_t,
                  nbdocaml_extent_fn, void *);
  int (*preconnect) (nbdocaml_module *, int);
  int (*list_exports) (nbdocaml_module *, int, int, nbdocaml_export_fn,
                       void *);
  char *(*default_export) (nbdocaml_module *, int, int);
  char *(*conn_string) (nbdocaml_conn *);
  int (*block_size) (nbdocaml_conn *, struct nbdocaml_block_size *);
};

struct tool_callback {
  const char *c_name;      /* "open": nbdocaml_call_open */
  const char *ocaml_name;  /* "open_connection": the NBDKit.plugin field */
  int cb;                  /* NBDOCAML_CB_* */
  enum tool_kind kind;
  union tool_fn fn;
};

/* One entry per row of NBDOCAML_CALLBACKS, indexed by NBDOCAML_CB_*. */
extern const struct tool_callback tool_callbacks[NBDOCAML_CB_COUNT];

/* The entry whose C or OCaml name is name, or NULL. */
const struct tool_callback *tool_find_callback (const char *name);

/* Print the library's last error on stderr exactly as nbdocaml_get_error
 * gives it, then its errno on a line of its own, and return
 * TOOL_EXIT_ERROR. */
int tool_library_error (void);

/* Report a command-line mistake and return TOOL_EXIT_USAGE. */
int tool_usage_error (const char *fmt, ...)
  __attribute__ ((__format__ (__printf__, 1, 2)));

/* The name nbdkit gives a thread model ("parallel"), or NULL. */
const char *tool_thread_model_name (int model);

/* Write len bytes in "hexdump -C" format, the first at address base. */
void tool_hexdump (const unsigned char *data, size_t len, uint64_t base);

/* The client the tool plays (tools/client.c): tool_client_install
 * installs the host hooks that answer NBDKit.export_name, is_tls and the
 * peer_* helpers (0 or -1); tool_client_set sets the export name (a
 * string that must outlive the calls) and TLS state they report. */
int tool_client_install (void);
void tool_client_set (const char *export, int tls);

/* The subcommands: argv[0] is the subcommand's name. */
int tool_info (int argc, char **argv);
int tool_call (int argc, char **argv);

#endif /* NBDOCAML_TOOL_H */
