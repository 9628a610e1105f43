# Tests of the C API: GLib g_test programs (tests/test-*.c) and a shell
# script checking the header and the exported symbols, all speaking TAP.
# Included from tests/local.mk.

api_programs = tests/test-registry tests/test-calls tests/test-errors \
	tests/test-threads tests/test-multi-module tests/test-debug
check_PROGRAMS = $(api_programs)
TESTS += $(api_programs) tests/test-header.sh
EXTRA_DIST += tests/test-header.sh

api_cflags = $(AM_CFLAGS) $(GLIB_CFLAGS)
api_ldadd = lib/libnbdocaml.la $(GLIB_LIBS)
# -no-install: link the real program (with an rpath to lib/.libs) rather
# than a libtool wrapper script, so that tests/run-test's valgrind, gdb or
# a developer runs the test itself and not the shell.
api_ldflags = $(AM_LDFLAGS) -no-install

tests_test_registry_SOURCES = tests/test-registry.c tests/test-common.h
tests_test_registry_CFLAGS = $(api_cflags)
tests_test_registry_LDADD = $(api_ldadd)
tests_test_registry_LDFLAGS = $(api_ldflags)

tests_test_calls_SOURCES = tests/test-calls.c tests/test-common.h
tests_test_calls_CFLAGS = $(api_cflags)
tests_test_calls_LDADD = $(api_ldadd)
tests_test_calls_LDFLAGS = $(api_ldflags)

tests_test_errors_SOURCES = tests/test-errors.c tests/test-common.h
tests_test_errors_CFLAGS = $(api_cflags)
tests_test_errors_LDADD = $(api_ldadd)
tests_test_errors_LDFLAGS = $(api_ldflags)

tests_test_threads_SOURCES = tests/test-threads.c tests/test-common.h
tests_test_threads_CFLAGS = $(api_cflags)
tests_test_threads_LDADD = $(api_ldadd)
tests_test_threads_LDFLAGS = $(api_ldflags)

tests_test_debug_SOURCES = tests/test-debug.c tests/test-common.h
tests_test_debug_CFLAGS = $(api_cflags)
tests_test_debug_LDADD = $(api_ldadd)
tests_test_debug_LDFLAGS = $(api_ldflags)

tests_test_multi_module_SOURCES = tests/test-multi-module.c \
	tests/test-common.h
tests_test_multi_module_CFLAGS = $(api_cflags)
tests_test_multi_module_LDADD = $(api_ldadd)
tests_test_multi_module_LDFLAGS = $(api_ldflags)

# The header test compiles include/nbdocaml.h and reads the symbol tables
# of the built library and plugins with the tools configure found.
AM_TESTS_ENVIRONMENT += CC='$(CC)' CXX='$(CXX)'; export CC CXX;

# The OCaml test plugins of the API tests (they also use loaddisk, see
# tests/reliability.mk).  threads_api_errors.ml is a copy of api_errors.ml
# (see tests/local.mk); threads_api_sleep.ml is a source of its own
# because it uses Unix and Mutex, which need threads.cmxa.
api_plugins = minimal subset short errors counter \
	noregister twice raise noname noopen nosize nopread
api_threads_plugins = errors sleep
# bufdisk.ml (the zero-copy pread_buf/pwrite_buf plugin) came with those
# callbacks; test-calls uses it.
check_DATA += $(api_plugins:%=tests/plugins/nbdkit-api_%-plugin.so) \
	tests/plugins/nbdkit-bufdisk-plugin.so \
	tests/plugins/nbdkit-keptbuf-plugin.so \
	tests/plugins/nbdkit-blits-plugin.so \
	tests/plugins/nbdkit-r128_errnos-plugin.so \
	$(api_threads_plugins:%=tests/plugins/nbdkit-threads_api_%-plugin.so) \
	tests/plugins/api_notocaml.so tests/plugins/api_oldabi.so
EXTRA_DIST += $(api_plugins:%=tests/plugins/api_%.ml) \
	tests/plugins/threads_api_sleep.ml tests/plugins/api_notocaml.c \
	tests/plugins/api_oldabi.c \
	tests/plugins/bufdisk.ml tests/plugins/keptbuf.ml tests/plugins/blits.ml \
	tests/plugins/r128_errnos.ml
CLEANFILES += tests/plugins/threads_api_errors.ml tests/plugins/api_notocaml.so \
	tests/plugins/api_oldabi.so

# A shared object that the dynamic loader accepts but that is not an OCaml
# plugin.  Built directly: it must not go through libtool, which would
# hide it in .libs.
tests/plugins/api_notocaml.so: tests/plugins/api_notocaml.c
	$(AM_V_CC)$(CC) $(CFLAGS) -shared -fPIC -o $@ $<
tests/plugins/api_oldabi.so: tests/plugins/api_oldabi.c
	$(AM_V_CC)$(CC) $(CFLAGS) -shared -fPIC -o $@ $<
