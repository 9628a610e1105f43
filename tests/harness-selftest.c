/* libnbdocaml tests: a test program that misbehaves on purpose, for
 * tests/test-harness.sh, which checks that the harness reports it.
 * Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
 *
 * Run by itself (not in TESTS).  Its cases fail in every way a real case
 * can: a failed assertion, a crash, a hang; one skips; the others pass,
 * and each comes after a failing one, so that a harness that stops at the
 * first failure is caught.  With the argument --hang-before-cases it
 * hangs before running any case, for the harness's bound on the whole
 * program.
 */
#include <config.h>

#include <signal.h>
#include <string.h>

#include "test-common.h"

static void
fails_an_assertion (void)
{
  g_test_message ("about to fail");
  g_assert_cmpint (1 + 1, ==, 3);
}

static void
passes (void)
{
  g_assert_cmpint (1 + 1, ==, 2);
}

static void
crashes (void)
{
  raise (SIGSEGV);
}

static void
hangs (void)
{
  for (;;)
    g_usleep (G_USEC_PER_SEC);
}

static void
skips (void)
{
  test_skip ("this case does not apply here");
}

int
main (int argc, char *argv[])
{
  int i;

  for (i = 1; i < argc; ++i)
    if (strcmp (argv[i], "--hang-before-cases") == 0)
      hangs ();
  test_init (&argc, &argv);
  test_add ("/selftest/1-fails-an-assertion", fails_an_assertion);
  test_add ("/selftest/2-passes", passes);
  test_add ("/selftest/3-crashes", crashes);
  test_add ("/selftest/4-passes", passes);
  test_add ("/selftest/5-hangs", hangs);
  test_add ("/selftest/6-skips", skips);
  test_add ("/selftest/7-passes", passes);
  return g_test_run ();
}
