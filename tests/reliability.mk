# Reliability tests: misbehaving callbacks, module lifecycle, load, and a
# differential test against nbdkit's own memory plugin.

reliability_programs = tests/test-faults tests/test-lifecycle tests/test-load \
	tests/test-closing
check_PROGRAMS += $(reliability_programs)
TESTS += $(reliability_programs) tests/e2e-differential.sh
EXTRA_DIST += tests/e2e-differential.sh tests/differential.py tests/e2e-buf.sh \
	tests/plugins/faults.ml tests/plugins/loaddisk.ml \
	tests/plugins/printer.ml tests/plugins/slow.ml \
	tests/plugins/threads_worker.ml

reliability_cflags = $(AM_CFLAGS) $(GLIB_CFLAGS) -pthread
reliability_ldadd = lib/libnbdocaml.la $(GLIB_LIBS)
reliability_ldflags = $(AM_LDFLAGS) -no-install

tests_test_faults_SOURCES = tests/test-faults.c tests/test-common.h
tests_test_faults_CFLAGS = $(reliability_cflags)
tests_test_faults_LDADD = $(reliability_ldadd)
tests_test_faults_LDFLAGS = $(reliability_ldflags)

tests_test_lifecycle_SOURCES = tests/test-lifecycle.c tests/test-common.h
tests_test_lifecycle_CFLAGS = $(reliability_cflags)
tests_test_lifecycle_LDADD = $(reliability_ldadd)
tests_test_lifecycle_LDFLAGS = $(reliability_ldflags)

tests_test_closing_SOURCES = tests/test-closing.c tests/test-common.h
tests_test_closing_CFLAGS = $(reliability_cflags)
tests_test_closing_LDADD = $(reliability_ldadd)
tests_test_closing_LDFLAGS = $(reliability_ldflags)

tests_test_load_SOURCES = tests/test-load.c tests/test-common.h
tests_test_load_CFLAGS = $(reliability_cflags)
tests_test_load_LDADD = $(reliability_ldadd)
tests_test_load_LDFLAGS = $(reliability_ldflags)

# A second plugin file with the same code: a fourth, separate runtime.
tests/plugins/loaddisk2.ml: tests/plugins/loaddisk.ml
	$(AM_V_GEN)cp $< $@
CLEANFILES += tests/plugins/loaddisk2.ml tests/plugins/threads_loaddisk.ml \
	tests/plugins/threads_loaddisk2.ml tests/plugins/threads_faults.ml \
	tests/plugins/threads_slow.ml

check_DATA += tests/plugins/nbdkit-faults-plugin.so \
	tests/plugins/nbdkit-threads_faults-plugin.so \
	tests/plugins/nbdkit-loaddisk-plugin.so \
	tests/plugins/nbdkit-loaddisk2-plugin.so \
	tests/plugins/nbdkit-threads_loaddisk-plugin.so \
	tests/plugins/nbdkit-threads_loaddisk2-plugin.so \
	tests/plugins/nbdkit-printer-plugin.so \
	tests/plugins/nbdkit-slow-plugin.so \
	tests/plugins/nbdkit-threads_slow-plugin.so \
	tests/plugins/nbdkit-threads_worker-plugin.so
TESTS += tests/e2e-buf.sh
