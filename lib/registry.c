/* libnbdocaml host library: opening modules and what they registered.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * A "runtime" is one loaded plugin file with its started OCaml runtime;
 * a module handle is one nbdocaml_module_open of it.  The dynamic loader
 * returns the same handle for a file that is already loaded, and a
 * runtime cannot be started twice, so handles of the same file share one
 * runtime, reference-counted.  The list of runtimes is the only
 * process-wide state, and it holds no OCaml value.
 *
 * An OCaml 4 runtime is shut down and its file unloaded when the last
 * handle closes.  An OCaml 5 runtime cannot be (see lib/runtime.c): it is
 * parked, staying on the list with no handle, and the next open of the
 * same file takes it up again.
 */
#include <config.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host.h"

struct runtime {
  struct runtime *next;
  void *dl;
  struct nbdocaml_glue *g;
  unsigned refs;
  /* Exiting threads telling this runtime they are gone (thread_exit),
   * which they do without runtimes_lock held: it must not stop before
   * they are done. */
  unsigned exiting;
  /* A last close is waiting for those exits, to unload the runtime
   * after them unless an open takes it up meanwhile: no other close may
   * unload it then. */
  int unloading;
  /* OCaml installs a SIGSEGV handler (for Stack_overflow) at startup and
   * never removes it; after dlclose it would point at unmapped code.  We
   * remember what was there before and what OCaml put there. */
  struct sigaction saved_segv, ocaml_segv;
};

static pthread_mutex_t runtimes_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exits_done = PTHREAD_COND_INITIALIZER;
static struct runtime *runtimes;

/* After fork only the forking thread is left: the other threads' exits
 * in progress will never finish, and runtimes_lock may have been taken by
 * one of them. */
static void
fork_child (void)
{
  struct runtime *rt;

  pthread_mutex_init (&runtimes_lock, NULL);
  pthread_cond_init (&exits_done, NULL);
  for (rt = runtimes; rt; rt = rt->next)
    rt->exiting = 0;
}

static pthread_once_t fork_once = PTHREAD_ONCE_INIT;

static void
install_fork_handler (void)
{
  pthread_atfork (NULL, NULL, fork_child);
}

static int
same_handler (const struct sigaction *a, const struct sigaction *b)
{
  return a->sa_sigaction == b->sa_sigaction &&
         (a->sa_flags & SA_SIGINFO) == (b->sa_flags & SA_SIGINFO);
}

/* Give SIGSEGV back when rt's runtime goes.  If rt's handler is still
 * current, restore what preceded it; if a later runtime replaced it, that
 * runtime saved rt's handler and must restore what rt saved instead. */
static void
restore_segv (struct runtime *rt)
{
  struct sigaction now;
  struct runtime *r;

  sigaction (SIGSEGV, NULL, &now);
  if (same_handler (&now, &rt->ocaml_segv)) {
    sigaction (SIGSEGV, &rt->saved_segv, NULL);
    return;
  }
  for (r = runtimes; r; r = r->next)
    if (r != rt && same_handler (&r->saved_segv, &rt->ocaml_segv))
      r->saved_segv = rt->saved_segv;
}

/* Check the file before dlopen, whose messages do not say which of the
 * many possible causes it was. */
static int
check_file (const char *path)
{
  struct stat st;
  unsigned char magic[4];
  ssize_t n;
  int fd;

  if (stat (path, &st) == -1) {
    nbdocaml_internal_set_error (errno, "nbdocaml_module_open: %s: %s",
                                 path, strerror (errno));
    return -1;
  }
  if (S_ISDIR (st.st_mode)) {
    nbdocaml_internal_set_error (EISDIR, "nbdocaml_module_open: %s: is a "
                                 "directory, not a plugin", path);
    return -1;
  }
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd == -1) {
    nbdocaml_internal_set_error (errno, "nbdocaml_module_open: %s: %s",
                                 path, strerror (errno));
    return -1;
  }
  n = read (fd, magic, sizeof magic);
  close (fd);
  if (n == 0) {
    nbdocaml_internal_set_error (ENOEXEC, "nbdocaml_module_open: %s: the "
                                 "file is empty", path);
    return -1;
  }
  if (n != 4 || memcmp (magic, "\177ELF", 4) != 0) {
    nbdocaml_internal_set_error (ENOEXEC, "nbdocaml_module_open: %s: not an "
                                 "ELF shared object", path);
    return -1;
  }
  return 0;
}

/* The two build mistakes that still give a loadable-looking file, named
 * after dlopen's message (which does not point to them): the README's
 * "Troubleshooting" lists both, with nbdkit's wording of the same
 * messages. */
static const char *
build_mistake (const char *dlmsg)
{
  if (strstr (dlmsg, "undefined symbol: nbdocaml_glue_"))
    return " (the plugin was linked without -cclib -lnbdkitocaml: see the "
      "recipe in nbdkit-ocaml-plugin(3))";
  if (strstr (dlmsg, "cannot dynamically load position-independent "
              "executable"))
    return " (the plugin was linked without -output-obj, as a program: "
      "see the recipe in nbdkit-ocaml-plugin(3))";
  return "";
}

/* Load and start a runtime that is not yet in the list.  runtimes_lock
 * is held. */
static struct runtime *
start_runtime (void *dl, const char *path)
{
  struct nbdocaml_glue *(*entry) (void);
  struct nbdocaml_error_buf *err = nbdocaml_internal_error ();
  struct runtime *rt;

  entry = (struct nbdocaml_glue *(*) (void)) dlsym (dl, NBDOCAML_GLUE_ENTRY);
  if (entry == NULL) {
    nbdocaml_internal_set_error (ELIBBAD, "nbdocaml_module_open: %s: not an "
                                 "OCaml plugin (no %s; was it linked with "
                                 "-cclib -lnbdkitocaml?)", path,
                                 NBDOCAML_GLUE_ENTRY);
    return NULL;
  }
  rt = calloc (1, sizeof *rt);
  if (rt == NULL) {
    nbdocaml_internal_set_error (ENOMEM, "nbdocaml_module_open: %s",
                                 strerror (ENOMEM));
    return NULL;
  }
  rt->dl = dl;
  rt->g = entry ();
  if (rt->g->abi != NBDOCAML_GLUE_ABI ||
      rt->g->size < sizeof (struct nbdocaml_glue)) {
    nbdocaml_internal_set_error (EPROTO, "nbdocaml_module_open: %s: built "
                                 "against libnbdkitocaml ABI %u, this "
                                 "library speaks ABI %u", path,
                                 (unsigned) rt->g->abi, NBDOCAML_GLUE_ABI);
    free (rt);
    return NULL;
  }

  rt->g->set_host (&nbdocaml_internal_host);
  sigaction (SIGSEGV, NULL, &rt->saved_segv);
  nbdocaml_internal_prepare_thread ();
  if (rt->g->start (nbdocaml_internal_debug_trampoline, err) == -1) {
    char reason[NBDOCAML_ERROR_MAX];
    memcpy (reason, err->msg, sizeof reason);
    nbdocaml_internal_set_error (err->errnum, "nbdocaml_module_open: %s: %s",
                                 path, reason);
    sigaction (SIGSEGV, &rt->saved_segv, NULL);
    free (rt);
    return NULL;
  }
  sigaction (SIGSEGV, NULL, &rt->ocaml_segv);

  rt->next = runtimes;
  runtimes = rt;
  return rt;
}

NBDOCAML_API nbdocaml_module *
nbdocaml_module_open (const char *path, unsigned flags)
{
  nbdocaml_module *m;
  struct runtime *rt;
  char *dlpath;
  void *dl;

  if (path == NULL || flags != 0) {
    nbdocaml_internal_set_error (EINVAL, "nbdocaml_module_open: %s",
                                 path ? "flags must be 0" : "path is NULL");
    return NULL;
  }

  m = calloc (1, sizeof *m);
  /* dlopen searches the library path for a name without '/'. */
  dlpath = malloc (strlen (path) + 3);
  if (m == NULL || dlpath == NULL || (m->path = strdup (path)) == NULL) {
    nbdocaml_internal_set_error (ENOMEM, "nbdocaml_module_open: %s",
                                 strerror (ENOMEM));
    goto fail;
  }
  strcpy (dlpath, strchr (path, '/') ? "" : "./");
  strcat (dlpath, path);
  pthread_mutex_init (&m->lock, NULL);
  pthread_cond_init (&m->idle, NULL);
  atomic_init (&m->calls, 0);
  atomic_init (&m->closing, 0);

  pthread_once (&fork_once, install_fork_handler);
  pthread_mutex_lock (&runtimes_lock);
  /* An object that is already loaded under this name is used as it is,
   * even if its file is gone since (nbdkit's cc plugin deletes the .so it
   * compiled once it has loaded it).  Anything else is checked first,
   * because dlopen's messages do not say which of many causes it was.
   * RTLD_LOCAL: each plugin's caml_* symbols stay its own, so several
   * plugins (several runtimes) can live in one process. */
  dl = dlopen (dlpath, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
  if (dl == NULL) {
    if (check_file (path) == -1) {
      pthread_mutex_unlock (&runtimes_lock);
      goto fail;
    }
    dl = dlopen (dlpath, RTLD_NOW | RTLD_LOCAL);
  }
  if (dl == NULL) {
    const char *why = dlerror ();
    nbdocaml_internal_set_error (ELIBBAD, "nbdocaml_module_open: %s%s",
                                 why, build_mistake (why));
    pthread_mutex_unlock (&runtimes_lock);
    goto fail;
  }
  for (rt = runtimes; rt; rt = rt->next)
    if (rt->dl == dl)
      break;
  if (rt)
    dlclose (dl);               /* the runtime keeps its own reference */
  else {
    /* Messages from the module's top-level code go to this handle. */
    nbdocaml_module *outer = nbdocaml_internal_current;
    nbdocaml_internal_current = m;
    rt = start_runtime (dl, path);
    nbdocaml_internal_current = outer;
    if (rt == NULL) {
      dlclose (dl);
      pthread_mutex_unlock (&runtimes_lock);
      goto fail;
    }
  }
  rt->refs++;
  pthread_mutex_unlock (&runtimes_lock);

  free (dlpath);
  m->rt = rt;
  m->g = rt->g;
  m->registered = rt->g->registered;
  return m;

 fail:
  free (dlpath);
  if (m) {
    free (m->path);
    free (m);
  }
  return NULL;
}

/* Take rt off the list, stop its runtime and unload its file: its last
 * handle is closed and no thread is still leaving it.  runtimes_lock is
 * held. */
static void
unload_runtime (struct runtime *rt)
{
  struct runtime **pp;

  for (pp = &runtimes; *pp != rt; pp = &(*pp)->next)
    ;
  *pp = rt->next;
  rt->g->stop ();
  restore_segv (rt);
  dlclose (rt->dl);
  free (rt);
}

NBDOCAML_API void
nbdocaml_module_close (nbdocaml_module *m)
{
  struct runtime *rt;

  if (m == NULL)
    return;
  /* Waits for the calls in flight, closes the connections, unloads. */
  nbdocaml_internal_end_module (m);

  rt = m->rt;
  nbdocaml_internal_prepare_thread ();
  pthread_mutex_lock (&runtimes_lock);
  if (--rt->refs == 0 && rt->g->parks)
    rt->g->stop ();             /* flushes; the runtime stays listed */
  else if (rt->refs == 0 && !rt->unloading) {
    /* Waiting lets go of runtimes_lock while the runtime is still listed,
     * so another thread may open the same file meanwhile and take the
     * runtime up again: then it is that handle's to close, not ours.  If
     * that handle is closed while we still wait, its close leaves the
     * unloading to us (rt->unloading), so that only one close ever
     * unloads a runtime. */
    rt->unloading = 1;
    while (rt->exiting > 0 && rt->refs == 0)
      pthread_cond_wait (&exits_done, &runtimes_lock);
    rt->unloading = 0;
    if (rt->refs == 0)
      unload_runtime (rt);
  }
  pthread_mutex_unlock (&runtimes_lock);

  pthread_cond_destroy (&m->idle);
  pthread_mutex_destroy (&m->lock);
  free (m->path);
  free (m);
}

/* The glue keeps C copies of the strings for as long as its runtime is
 * up, which is at least as long as any handle on it. */
void
nbdocaml_internal_leave_runtimes (void)
{
  struct runtime *first, *rt;

  /* Each runtime is marked as having an exit in progress, so that it does
   * not stop (and its .so go) while its thread_exit runs; the lock itself
   * is not held meanwhile, because unregistering a thread may wait for
   * the calls in flight, and a fork or a close must not wait for that.
   * Runtimes are only ever added at the head of the list, and a marked one
   * is never removed, so the list from first on stays as it was. */
  pthread_mutex_lock (&runtimes_lock);
  first = runtimes;
  for (rt = first; rt; rt = rt->next)
    rt->exiting++;
  pthread_mutex_unlock (&runtimes_lock);
  for (rt = first; rt; rt = rt->next)
    rt->g->thread_exit ();
  pthread_mutex_lock (&runtimes_lock);
  for (rt = first; rt; rt = rt->next)
    rt->exiting--;
  pthread_cond_broadcast (&exits_done);
  pthread_mutex_unlock (&runtimes_lock);
}

static const char *
module_string (const nbdocaml_module *m, int which)
{
  return m ? m->g->string (which) : "";
}

NBDOCAML_API const char *
nbdocaml_module_name (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_NAME);
}

NBDOCAML_API const char *
nbdocaml_module_longname (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_LONGNAME);
}

NBDOCAML_API const char *
nbdocaml_module_version (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_VERSION);
}

NBDOCAML_API const char *
nbdocaml_module_description (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_DESCRIPTION);
}

NBDOCAML_API const char *
nbdocaml_module_config_help (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_CONFIG_HELP);
}

NBDOCAML_API const char *
nbdocaml_module_magic_config_key (const nbdocaml_module *m)
{
  return module_string (m, NBDOCAML_STR_MAGIC_CONFIG_KEY);
}

NBDOCAML_API int
nbdocaml_module_ocaml_api (const nbdocaml_module *m)
{
  return m ? m->g->ocaml_api : 0;
}

NBDOCAML_API const char *
nbdocaml_module_path (const nbdocaml_module *m)
{
  return m ? m->path : "";
}

NBDOCAML_API const char *
nbdocaml_module_ocaml_version (const nbdocaml_module *m)
{
  return m ? m->g->ocaml_version : "";
}

NBDOCAML_API int
nbdocaml_module_has_threads (const nbdocaml_module *m)
{
  return m ? m->g->has_threads : 0;
}

NBDOCAML_API int
nbdocaml_module_has (const nbdocaml_module *m, int cb)
{
  if (m == NULL || cb < 0 || cb >= NBDOCAML_CB_COUNT)
    return 0;
  return (m->registered >> cb) & 1;
}
