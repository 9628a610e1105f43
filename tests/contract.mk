# The harness's own tests, and the mutants that the suite must kill
# ("make check-mutants", see tests/mutants/README).  Included from
# tests/local.mk.

# A GLib program that misbehaves on purpose, run by tests/test-harness.sh
# (not a test itself).
check_PROGRAMS += tests/harness-selftest
tests_harness_selftest_SOURCES = tests/harness-selftest.c tests/test-common.h
tests_harness_selftest_CFLAGS = $(api_cflags)
tests_harness_selftest_LDADD = $(api_ldadd)
tests_harness_selftest_LDFLAGS = $(api_ldflags)

TESTS += tests/test-harness.sh
EXTRA_DIST += tests/test-harness.sh

# Mutation testing: every mutant of tests/mutants.txt, applied one at a
# time to a scratch copy of the source tree, must make its tests fail
# (scripts/mutants.py says how).  It takes an hour or more, so it is not
# part of "make check" or .ci/run.  MUTANTS_ARGS passes options, such as
# --only NAME,NAME, --keep or --scratch DIR (to reuse a copy).
EXTRA_DIST += tests/mutants.txt scripts/mutants.py
check-mutants:
	python3 $(srcdir)/scripts/mutants.py --srcdir $(abs_srcdir) $(MUTANTS_ARGS)
.PHONY: check-mutants
