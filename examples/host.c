/* An example C host for OCaml nbdkit plugins, using libnbdocaml.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 *   cc host.c -o host $(pkg-config --cflags --libs nbdocaml) -lpthread
 *   ./host ./nbdkit-ramdisk-plugin.so size=1M
 *
 * It lists what the plugin registered, passes the key=value arguments to
 * its config callback, opens one connection and then has four threads
 * write, read back and check their own region of the disk at the same
 * time, prints the disk's extents and closes everything.  Exit status 0
 * means every check passed.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbdocaml.h>

#define THREADS 4
#define ROUNDS 500
#define BLOCK 4096

static nbdocaml_conn *conn;

static void *
worker (void *arg)
{
  uintptr_t id = (uintptr_t) arg;
  unsigned char out[BLOCK], in[BLOCK];
  uint64_t offset = id * BLOCK;
  int i;

  for (i = 0; i < ROUNDS; ++i) {
    memset (out, (int) (id * 31 + i) & 0xff, sizeof out);
    if (nbdocaml_call_pwrite (conn, out, BLOCK, offset, 0) == -1 ||
        nbdocaml_call_pread (conn, in, BLOCK, offset, 0) == -1) {
      fprintf (stderr, "thread %" PRIuPTR ": %s\n", id, nbdocaml_get_error ());
      return (void *) 1;
    }
    if (memcmp (in, out, BLOCK) != 0) {
      fprintf (stderr, "thread %" PRIuPTR ": data mismatch\n", id);
      return (void *) 1;
    }
  }
  return NULL;
}

static int
print_extent (void *opaque, uint64_t offset, uint64_t length, uint32_t type)
{
  printf ("  extent %" PRIu64 "+%" PRIu64 "%s%s\n", offset, length,
          type & NBDOCAML_EXTENT_HOLE ? " hole" : "",
          type & NBDOCAML_EXTENT_ZERO ? " zero" : "");
  return 0;
}

int
main (int argc, char **argv)
{
  nbdocaml_module *m;
  pthread_t threads[THREADS];
  int i, failed = 0;

  if (argc < 2) {
    fprintf (stderr, "usage: %s PLUGIN.so [KEY=VALUE...]\n", argv[0]);
    return 2;
  }
  m = nbdocaml_module_open (argv[1], 0);
  if (m == NULL) {
    fprintf (stderr, "%s (errno %d)\n", nbdocaml_get_error (),
             nbdocaml_get_errno ());
    return 1;
  }
  printf ("libnbdocaml %s, plugin %s %s%s\n", nbdocaml_version (),
          nbdocaml_module_name (m), nbdocaml_module_version (m),
          nbdocaml_module_has_threads (m) ? " (threads.cmxa)" : "");
  printf ("callbacks:");
  for (i = 0; i < NBDOCAML_CB_COUNT; ++i)
    if (nbdocaml_module_has (m, i))
      printf (" %s", nbdocaml_callback_name (i));
  printf ("\n");

  for (i = 2; i < argc; ++i) {
    char *key = strdup (argv[i]), *value = strchr (key, '=');
    if (value == NULL || nbdocaml_call_config (m, key, (*value++ = '\0', value)) == -1) {
      fprintf (stderr, "%s: %s\n", argv[i],
               value ? nbdocaml_get_error () : "expected KEY=VALUE");
      free (key);
      nbdocaml_module_close (m);
      return 1;
    }
    free (key);
  }
  if (nbdocaml_module_has (m, NBDOCAML_CB_CONFIG_COMPLETE) &&
      nbdocaml_call_config_complete (m) == -1)
    goto error;

  conn = nbdocaml_call_open (m, 0);
  if (conn == NULL)
    goto error;
  printf ("size: %" PRIi64 ", thread model %d\n",
          nbdocaml_call_get_size (conn), nbdocaml_call_thread_model (m));

  for (i = 0; i < THREADS; ++i)
    pthread_create (&threads[i], NULL, worker, (void *) (uintptr_t) i);
  for (i = 0; i < THREADS; ++i) {
    void *r;
    pthread_join (threads[i], &r);
    failed |= r != NULL;
  }
  printf ("%d threads x %d write+read rounds: %s\n", THREADS, ROUNDS,
          failed ? "FAILED" : "ok");

  if (nbdocaml_module_has (m, NBDOCAML_CB_EXTENTS)) {
    printf ("extents:\n");
    if (nbdocaml_call_extents (conn, BLOCK, 0, 0, print_extent, NULL) == -1)
      goto error;
  }
  /* A callback the plugin lacks is an error, not a crash. */
  if (!nbdocaml_module_has (m, NBDOCAML_CB_CACHE) &&
      nbdocaml_call_cache (conn, 1, 0, 0) == -1)
    printf ("cache: %s (errno %d)\n", nbdocaml_get_error (),
            nbdocaml_get_errno ());

  if (nbdocaml_call_close (conn) == -1)
    goto error;
  nbdocaml_module_close (m);
  return failed;

 error:
  fprintf (stderr, "%s (errno %d)\n", nbdocaml_get_error (),
           nbdocaml_get_errno ());
  nbdocaml_module_close (m);
  return 1;
}
