/* libnbdocaml glue: the C primitives behind the NBDKit module.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * These are the "external"s of ocaml/NBDKit.ml.  Because NBDKit.cmx refers
 * to them, this object is always pulled out of libnbdkitocaml.a when a
 * plugin is linked; the anchors at the end make sure the members the
 * plugin does not refer to by itself (the host's entry point and nbdkit's
 * plugin_init) come along with it.
 */
#define CAML_NAME_SPACE
#include <config.h>

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <caml/alloc.h>
#include <caml/bigarray.h>
#include <caml/fail.h>
#include <caml/memory.h>
#include <caml/mlvalues.h>

#include "glue.h"

__thread int nbdocaml_internal_set_errno;
int nbdocaml_internal_register_errno;

/* NBDKit.register_plugin of both modules: validate, then keep the record.
 * api is NBDOCAML_OCAML_API_RECORD or _LABELLED; the labelled module
 * passes a private record of the same layout as NBDKit.plugin, whose
 * counts are int64 (int for pread) instead of int32. */
value nbdocaml_glue_register_plugin (value api, value plugin, value flush);
value
nbdocaml_glue_register_plugin (value api, value plugin, value flush)
{
  static const struct { int cb; const char *name; } required[] = {
    { NBDOCAML_CB_OPEN_CONNECTION, "open_connection" },
    { NBDOCAML_CB_GET_SIZE, "get_size" },
  };
  CAMLparam3 (api, plugin, flush);
  char msg[160];
  size_t i;

  /* Only a mismatched NBDKit.cmx and libnbdkitocaml.a could get this
   * wrong; refuse rather than read fields that are not there. */
  if (Wosize_val (plugin) != NBDOCAML_RECORD_FIELDS ||
      (Long_val (api) != NBDOCAML_OCAML_API_RECORD &&
       Long_val (api) != NBDOCAML_OCAML_API_LABELLED)) {
    nbdocaml_internal_register_errno = EPROTO;
    caml_failwith ("NBDKit.register_plugin: this NBDKit module does not "
                   "match libnbdkitocaml.a (install them together)");
  }
  if (nbdocaml_internal_is_registered ()) {
    nbdocaml_internal_register_errno = EEXIST;
    caml_failwith ("NBDKit.register_plugin: called more than once");
  }
  if (caml_string_length (Field (plugin, 0)) == 0) {
    nbdocaml_internal_register_errno = EINVAL;
    caml_invalid_argument ("NBDKit.register_plugin: the required field "
                           "'name' is empty");
  }
  for (i = 0; i < sizeof required / sizeof required[0]; ++i) {
    if (!nbdocaml_internal_has_field (plugin, required[i].cb)) {
      nbdocaml_internal_register_errno = EINVAL;
      snprintf (msg, sizeof msg, "NBDKit.register_plugin: the required "
                "callback '%s' is None", required[i].name);
      caml_invalid_argument (msg);
    }
  }
  /* Either read callback will do. */
  if (!nbdocaml_internal_has_field (plugin, NBDOCAML_CB_PREAD) &&
      !nbdocaml_internal_has_field (plugin, NBDOCAML_CB_PREAD_BUF)) {
    nbdocaml_internal_register_errno = EINVAL;
    caml_invalid_argument ("NBDKit.register_plugin: the required callback "
                           "'pread' (or 'pread_buf') is None");
  }
  if (nbdocaml_internal_set_plugin (plugin, flush) == -1) {
    nbdocaml_internal_register_errno = ENOMEM;
    caml_raise_out_of_memory ();
  }
  nbdocaml_internal_table.ocaml_api = (int) Long_val (api);
  CAMLreturn (Val_unit);
}

/* The errno comes from the same table as an uncaught Unix.Unix_error's
 * (unix-error.c). */
value nbdocaml_glue_set_error (value err);
value
nbdocaml_glue_set_error (value err)
{
  nbdocaml_internal_set_errno = nbdocaml_internal_errno_of_unix_error (err);
  return Val_unit;
}

value nbdocaml_glue_debug (value msg);
value
nbdocaml_glue_debug (value msg)
{
  nbdocaml_internal_debug (String_val (msg));
  return Val_unit;
}

static void __attribute__((noreturn))
invalid (const char *fn, const char *what, const char *str)
{
  char msg[256];

  snprintf (msg, sizeof msg, "NBDKit.%s: %s: %.160s", fn, what, str);
  caml_invalid_argument (msg);
}

/* Under nbdkit, parse_size, parse_bool and read_password use nbdkit's own
 * functions, so that an OCaml plugin reads its parameters exactly as
 * every other plugin of that nbdkit does (they also report the details
 * with nbdkit_error).  In any other host the implementations below follow
 * the rules nbdkit documents.  The functions are looked up in the process
 * at run time: the plugin must not refer to them directly, or it would
 * not load outside nbdkit. */
static struct {
  int64_t (*parse_size) (const char *);
  int (*parse_bool) (const char *);
  int (*read_password) (const char *, char **);
} nbdkit;
static pthread_once_t nbdkit_once = PTHREAD_ONCE_INIT;

static void
find_nbdkit (void)
{
  nbdkit.parse_size = (int64_t (*) (const char *))
    dlsym (RTLD_DEFAULT, "nbdkit_parse_size");
  nbdkit.parse_bool = (int (*) (const char *))
    dlsym (RTLD_DEFAULT, "nbdkit_parse_bool");
  nbdkit.read_password = (int (*) (const char *, char **))
    dlsym (RTLD_DEFAULT, "nbdkit_read_password");
}

/* OCaml strings may contain NUL bytes; C parsers would stop there. */
static void
check_no_nul (const char *fn, value strv)
{
  if (strlen (String_val (strv)) != caml_string_length (strv))
    invalid (fn, "the string contains a NUL byte", String_val (strv));
}

/* Sizes as nbdkit_parse_size reads them: what strtoimax takes in base 10
 * (leading white space and a sign, so " 1", "+1" and "-0" are sizes, and
 * anything negative is refused), then at most one suffix letter: b, k, m,
 * g, t, p or e, powers of 1024, or s, sectors of 512 bytes, in either
 * case.  tests/e2e-nbdkit-rules.sh compares this with nbdkit's own
 * function on the same strings. */
value nbdocaml_glue_parse_size (value strv);
value
nbdocaml_glue_parse_size (value strv)
{
  CAMLparam1 (strv);
  const char *str = String_val (strv);
  static const char powers[] = "bkmgtpe";
  const char *p;
  char *end;
  intmax_t n;
  int64_t scale = 1;

  check_no_nul ("parse_size", strv);
  pthread_once (&nbdkit_once, find_nbdkit);
  if (nbdkit.parse_size) {
    int64_t r = nbdkit.parse_size (str);
    if (r == -1)
      invalid ("parse_size", "could not parse size", str);
    CAMLreturn (caml_copy_int64 (r));
  }
  errno = 0;
  n = strtoimax (str, &end, 10);
  if (end == str)
    invalid ("parse_size", "could not parse size string", str);
  if (n < 0)
    invalid ("parse_size", "size cannot be negative", str);
  if (errno != 0 || n > INT64_MAX)
    invalid ("parse_size", "size exceeds maximum value", str);
  if (*end != '\0') {
    if (end[1] != '\0')
      invalid ("parse_size", "could not parse size: unknown suffix", str);
    if (*end == 's' || *end == 'S')
      scale = 512;
    else if ((p = strchr (powers, tolower ((unsigned char) *end))) != NULL)
      scale = INT64_C (1) << (10 * (p - powers));
    else
      invalid ("parse_size", "could not parse size: unknown suffix", str);
  }
  if (n > INT64_MAX / scale)
    invalid ("parse_size", "overflow computing size", str);
  CAMLreturn (caml_copy_int64 ((int64_t) n * scale));
}

value nbdocaml_glue_parse_bool (value strv);
value
nbdocaml_glue_parse_bool (value strv)
{
  static const char *const yes[] = { "1", "true", "t", "yes", "y", "on" };
  static const char *const no[] = { "0", "false", "f", "no", "n", "off" };
  const char *str = String_val (strv);
  size_t i;

  check_no_nul ("parse_bool", strv);
  pthread_once (&nbdkit_once, find_nbdkit);
  if (nbdkit.parse_bool) {
    int r = nbdkit.parse_bool (str);
    if (r == -1)
      invalid ("parse_bool", "could not decipher boolean", str);
    return Val_bool (r);
  }
  for (i = 0; i < sizeof yes / sizeof yes[0]; ++i) {
    if (strcasecmp (str, yes[i]) == 0)
      return Val_true;
    if (strcasecmp (str, no[i]) == 0)
      return Val_false;
  }
  invalid ("parse_bool", "could not decipher boolean", str);
}

/* Read one line from fd, without its newline, and close fd, as nbdkit
 * does with a password's file descriptor or file: an empty file gives an
 * empty password.  Returns a malloc'd string, or NULL with errno set. */
static char *
read_line_fd (int fd)
{
  FILE *fp = fdopen (fd, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int saved;

  if (fp == NULL) {
    saved = errno;
    close (fd);
    errno = saved;
    return NULL;
  }
  errno = 0;
  len = getline (&line, &cap, fp);
  saved = errno;
  fclose (fp);
  if (len == -1) {
    free (line);
    if (saved != 0) {
      errno = saved;
      return NULL;
    }
    return strdup ("");
  }
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  return line;
}

/* Read the password from the terminal with echo off, as nbdkit does:
 * only from a terminal, and only while stdin is the plugin's (a host
 * whose stdio_safe hook says otherwise is serving on it).  Echo goes off
 * before the prompt appears, so nothing typed after the prompt shows.
 * Sets *why on failure. */
static char *
read_tty_password (const char **why)
{
  struct termios old, quiet;
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  int saved, echo_off = 0;

  if (!nbdocaml_internal_host_stdio_safe ()) {
    *why = "stdin is not available for reading password";
    return NULL;
  }
  if (!isatty (STDIN_FILENO)) {
    *why = "stdin is not a tty, cannot read password interactively";
    return NULL;
  }
  if (tcgetattr (STDIN_FILENO, &old) == 0) {
    quiet = old;
    quiet.c_lflag &= ~ECHO;
    echo_off = tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
  }
  fputs ("password: ", stdout);
  fflush (stdout);
  errno = 0;
  len = getline (&line, &cap, stdin);
  saved = errno;
  if (echo_off)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &old);
  fputc ('\n', stdout);
  fflush (stdout);
  if (len == -1) {
    free (line);
    if (saved != 0) {
      errno = saved;
      *why = NULL;
      return NULL;
    }
    return strdup ("");
  }
  if (len > 0 && line[len - 1] == '\n')
    line[len - 1] = '\0';
  return line;
}

/* "-N": N as nbdkit_parse_int reads it (strtol in base 0, so "-0x3" is
 * descriptor 3, and nothing else after it), never stdin, stdout or
 * stderr. */
static char *
read_fd_password (const char *str, const char **why)
{
  char *end;
  long fd;

  errno = 0;
  fd = strtol (str + 1, &end, 0);
  if (end == str + 1) {
    *why = "password file descriptor: empty string where we expected a "
      "number";
    return NULL;
  }
  if (errno != 0 || fd < INT_MIN || fd > INT_MAX || *end != '\0') {
    *why = "password file descriptor: could not parse number";
    return NULL;
  }
  if (fd == STDIN_FILENO || fd == STDOUT_FILENO || fd == STDERR_FILENO) {
    *why = "cannot use password -FD for stdin/stdout/stderr";
    return NULL;
  }
  *why = NULL;
  return read_line_fd ((int) fd);
}

value nbdocaml_glue_read_password (value strv);
value
nbdocaml_glue_read_password (value strv)
{
  CAMLparam1 (strv);
  CAMLlocal1 (rv);
  const char *str = String_val (strv);
  const char *why = NULL;
  char *pw = NULL;

  check_no_nul ("read_password", strv);
  pthread_once (&nbdkit_once, find_nbdkit);
  if (nbdkit.read_password) {
    if (nbdkit.read_password (str, &pw) == -1)
      invalid ("read_password", "could not read password", str);
  }
  else if (strcmp (str, "-") == 0)
    pw = read_tty_password (&why);
  else if (str[0] == '-')
    pw = read_fd_password (str, &why);
  else if (str[0] == '+') {
    int fd = open (str + 1, O_RDONLY | O_CLOEXEC);
    if (fd >= 0)
      pw = read_line_fd (fd);
  }
  else
    pw = strdup (str);

  if (pw == NULL) {
    char what[160];
    snprintf (what, sizeof what, "could not read password: %s",
              why ? why : strerror (errno));
    invalid ("read_password", what, str);
  }
  rv = caml_copy_string (pw);
  free (pw);
  CAMLreturn (rv);
}

/* Blits between Bigarrays and strings or bytes, for the _buf callbacks.
 * A buffer kept past the call that lent it has no data (callbacks.c):
 * refused with a message that says so.  Bounds are checked against the
 * array's current dimension. */
void
nbdocaml_internal_check_live (const char *fn, value ba)
{
  if (Caml_ba_array_val (ba)->data == NULL) {
    char msg[160];
    snprintf (msg, sizeof msg, "NBDKit.%s: the buffer is no longer valid "
              "(it was kept past the call that lent it)", fn);
    caml_invalid_argument (msg);
  }
}

static void
check_blit (const char *fn, intnat srclen, intnat srcoff, intnat dstlen,
            intnat dstoff, intnat len)
{
  if (len < 0 || srcoff < 0 || dstoff < 0 || srcoff > srclen - len ||
      dstoff > dstlen - len) {
    char msg[64];
    snprintf (msg, sizeof msg, "NBDKit.%s", fn);
    caml_invalid_argument (msg);
  }
}

static value
blit_in (const char *fn, value src, value srcoff, value dst, value dstoff,
         value len)
{
  struct caml_ba_array *ba = Caml_ba_array_val (dst);

  nbdocaml_internal_check_live (fn, dst);
  check_blit (fn, caml_string_length (src), Long_val (srcoff),
              ba->dim[0], Long_val (dstoff), Long_val (len));
  memcpy ((char *) ba->data + Long_val (dstoff),
          String_val (src) + Long_val (srcoff), Long_val (len));
  return Val_unit;
}

value nbdocaml_glue_blit_from_string (value src, value srcoff, value dst,
                                      value dstoff, value len);
value
nbdocaml_glue_blit_from_string (value src, value srcoff, value dst,
                                value dstoff, value len)
{
  return blit_in ("blit_from_string", src, srcoff, dst, dstoff, len);
}

/* Bytes and strings have the same representation. */
value nbdocaml_glue_blit_from_bytes (value src, value srcoff, value dst,
                                     value dstoff, value len);
value
nbdocaml_glue_blit_from_bytes (value src, value srcoff, value dst,
                               value dstoff, value len)
{
  return blit_in ("blit_from_bytes", src, srcoff, dst, dstoff, len);
}

value nbdocaml_glue_blit_to_bytes (value src, value srcoff, value dst,
                                   value dstoff, value len);
value
nbdocaml_glue_blit_to_bytes (value src, value srcoff, value dst,
                             value dstoff, value len)
{
  struct caml_ba_array *ba = Caml_ba_array_val (src);

  nbdocaml_internal_check_live ("blit_to_bytes", src);
  check_blit ("blit_to_bytes", ba->dim[0], Long_val (srcoff),
              caml_string_length (dst), Long_val (dstoff), Long_val (len));
  memcpy (Bytes_val (dst) + Long_val (dstoff),
          (char *) ba->data + Long_val (srcoff), Long_val (len));
  return Val_unit;
}

value nbdocaml_glue_buf_to_string (value buf);
value
nbdocaml_glue_buf_to_string (value buf)
{
  struct caml_ba_array *ba = Caml_ba_array_val (buf);

  nbdocaml_internal_check_live ("buf_to_string", buf);
  return caml_alloc_initialized_string (ba->dim[0], ba->data);
}

/* The anchors: referring to these symbols from this object pulls their
 * archive members into every plugin, which otherwise would be left out
 * because nothing in the plugin calls them. */
extern struct nbdocaml_glue *nbdocaml_glue_entry_v1 (void);
extern void *plugin_init (void);
__attribute__((used)) static void *const anchors[] = {
  (void *) &nbdocaml_glue_entry_v1,
  (void *) &plugin_init,
};
