# The generations of nbdkit's OCaml API: plugins written for nbdkit 1.16
# (the seed's record API), 1.28 (the grown record API, r128_*.ml, built by
# 1.28's recipe) and 1.32 (the labelled API, l132_*.ml, built by 1.32's
# recipe), the callbacks and helpers they brought, and requests of 2 GiB
# and more.  Included from tests/local.mk.

gen_plugins = r128_testplugin l132_testplugin r128_helpers sparse l132_sparse
# threads_r128_helpers.ml is a copy of r128_helpers.ml, linked with
# threads.cmxa (see tests/local.mk).
check_DATA += $(gen_plugins:%=tests/plugins/nbdkit-%-plugin.so) \
	tests/plugins/nbdkit-threads_r128_helpers-plugin.so
EXTRA_DIST += $(gen_plugins:%=tests/plugins/%.ml)
CLEANFILES += tests/plugins/threads_r128_helpers.ml

gen_e2e_tests = tests/e2e-requests-over-2g.sh tests/e2e-helpers.sh \
	tests/e2e-negotiation.sh tests/e2e-generations.sh \
	tests/e2e-lifecycle-order.sh tests/e2e-install-layout.sh
TESTS += $(gen_e2e_tests)
EXTRA_DIST += $(gen_e2e_tests)

# The C API: the new callbacks, counts of 2 GiB and more, host hooks.
gen_programs = tests/test-generations tests/test-hooks
check_PROGRAMS += $(gen_programs)
TESTS += $(gen_programs)

tests_test_hooks_SOURCES = tests/test-hooks.c tests/test-common.h
tests_test_hooks_CFLAGS = $(api_cflags)
tests_test_hooks_LDADD = $(api_ldadd)
tests_test_hooks_LDFLAGS = $(api_ldflags)

tests_test_generations_SOURCES = tests/test-generations.c tests/test-common.h
tests_test_generations_CFLAGS = $(api_cflags)
tests_test_generations_LDADD = $(api_ldadd)
tests_test_generations_LDFLAGS = $(api_ldflags)
