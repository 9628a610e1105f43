/* libnbdocaml tests: a C nbdkit plugin that returns the extents it is
 * told to, for tests/e2e-extents-rules.sh, which compares nbdkit's
 * verdict on them with its verdict on the same extents from an OCaml
 * plugin (extents_ml.ml).  extents=OFF:LEN:TYPE,... gives the list, each
 * number a decimal int64 (negative allowed) or "max" (INT64_MAX), passed
 * to nbdkit_add_extent as uint64, whatever the request.  The disk is 1 MiB
 * of zeroes.  It preserves errno, so that a list nbdkit refuses gives the
 * client nbdkit's errno for it.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define NBDKIT_API_VERSION 2
#include <nbdkit-plugin.h>

#define THREAD_MODEL NBDKIT_THREAD_MODEL_PARALLEL

static char *spec;

static int
ex_config (const char *key, const char *value)
{
  if (strcmp (key, "extents") != 0) {
    nbdkit_error ("unknown parameter: %s", key);
    return -1;
  }
  free (spec);
  spec = strdup (value);
  return spec ? 0 : -1;
}

static void
ex_unload (void)
{
  free (spec);
}

static void *
ex_open (int readonly)
{
  return NBDKIT_HANDLE_NOT_NEEDED;
}

static int64_t
ex_get_size (void *h)
{
  return 1048576;
}

static int
ex_pread (void *h, void *buf, uint32_t count, uint64_t offset, uint32_t flags)
{
  memset (buf, 0, count);
  return 0;
}

static int
ex_can_extents (void *h)
{
  return 1;
}

static uint64_t
number (const char *s)
{
  return strcmp (s, "max") == 0 ? (uint64_t) INT64_MAX
                                : (uint64_t) strtoll (s, NULL, 10);
}

static int
ex_extents (void *h, uint32_t count, uint64_t offset, uint32_t flags,
            struct nbdkit_extents *extents)
{
  char *copy, *item, *save = NULL;

  if (spec == NULL || *spec == '\0')
    return 0;
  copy = strdup (spec);
  if (copy == NULL)
    return -1;
  for (item = strtok_r (copy, ",", &save); item;
       item = strtok_r (NULL, ",", &save)) {
    char *len = strchr (item, ':'), *type;
    if (len == NULL || (type = strchr (len + 1, ':')) == NULL) {
      nbdkit_error ("bad extent: %s", item);
      free (copy);
      return -1;
    }
    *len++ = '\0';
    *type++ = '\0';
    if (nbdkit_add_extent (extents, number (item), number (len),
                           (uint32_t) atoi (type)) == -1) {
      /* As a plugin that returns at once would: nbdkit takes the call's
       * error from errno. */
      int err = errno;
      free (copy);
      errno = err;
      return -1;
    }
  }
  free (copy);
  return 0;
}

/* errno_is_preserved: nbdkit takes a failed call's error from errno, as
 * libnbdocaml passes nbdkit the errno of an OCaml plugin's failure. */
static struct nbdkit_plugin plugin = {
  .name = "extents-c",
  .errno_is_preserved = 1,
  .config = ex_config,
  .unload = ex_unload,
  .open = ex_open,
  .get_size = ex_get_size,
  .pread = ex_pread,
  .can_extents = ex_can_extents,
  .extents = ex_extents,
};

NBDKIT_REGISTER_PLUGIN (plugin)
