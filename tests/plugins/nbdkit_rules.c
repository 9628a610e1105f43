/* libnbdocaml tests: nbdkit's own parsers, as the reference.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * A C plugin for the real nbdkit whose config callback hands each value
 * to nbdkit's nbdkit_parse_size (key size), nbdkit_parse_bool (bool) or
 * nbdkit_read_password (password) and prints the verdict on stdout, one
 * line per value, in the format of tests/plugins/rules.ml, which does the
 * same with NBDKit.parse_size, parse_bool and read_password:
 *
 *   size [VALUE] RESULT|error
 *   bool [VALUE] true|false|error
 *   password [VALUE] [PASSWORD]|error
 *
 * tests/e2e-nbdkit-rules.sh compares the two.  It never fails config, so
 * that every value is tried.
 */
#include <config.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBDKIT_API_VERSION 2
#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL
#include <nbdkit-plugin.h>

static int
rules_config (const char *key, const char *value)
{
  if (strcmp (key, "size") == 0) {
    int64_t r = nbdkit_parse_size (value);
    if (r == -1)
      printf ("size [%s] error\n", value);
    else
      printf ("size [%s] %" PRIi64 "\n", value, r);
  }
  else if (strcmp (key, "bool") == 0) {
    int r = nbdkit_parse_bool (value);
    printf ("bool [%s] %s\n", value,
            r == -1 ? "error" : r ? "true" : "false");
  }
  else if (strcmp (key, "password") == 0) {
    char *pw;
    if (nbdkit_read_password (value, &pw) == -1)
      printf ("password [%s] error\n", value);
    else {
      printf ("password [%s] [%s]\n", value, pw);
      free (pw);
    }
  }
  else {
    nbdkit_error ("unknown parameter: %s", key);
    return -1;
  }
  fflush (stdout);
  return 0;
}

static void *
rules_open (int readonly)
{
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static int64_t
rules_get_size (void *handle)
{
  return 0;
}

static int
rules_pread (void *handle, void *buf, uint32_t count, uint64_t offset,
             uint32_t flags)
{
  memset (buf, 0, count);
  return 0;
}

static struct nbdkit_plugin plugin = {
  .name = "nbdkit-rules",
  .config = rules_config,
  .open = rules_open,
  .get_size = rules_get_size,
  .pread = rules_pread,
};

NBDKIT_REGISTER_PLUGIN (plugin)
