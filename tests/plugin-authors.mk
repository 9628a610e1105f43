# What plugin authors meet (issue 13, and the backtraces of issue 11):
# exceptions as OCaml prints them, backtraces, the file-backed example,
# the troubleshooting guide's mistakes, and plugin code in an ordinary
# test executable.  Included from tests/local.mk.

# -g, as the README advises for backtraces: without it ocamlopt compiles
# the plugin's own raises without recording a backtrace (frames in the
# standard library, built with it, still show).
tests/plugins/nbdkit-r128_exceptions-plugin.so: \
		tests/plugins/r128_exceptions.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_plugin,nbdkit-r128_exceptions-plugin.so,-g unix.cmxa,r128_exceptions.ml)
tests/plugins/nbdkit-l132_exceptions-plugin.so: \
		tests/plugins/l132_exceptions.ml $(LABELLED_PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_labelled_plugin,nbdkit-l132_exceptions-plugin.so,-g l132_exceptions.ml)

author_plugins = r128_exceptions l132_exceptions
check_DATA += $(author_plugins:%=tests/plugins/nbdkit-%-plugin.so)
EXTRA_DIST += $(author_plugins:%=tests/plugins/%.ml)

author_programs = tests/test-exceptions
check_PROGRAMS += $(author_programs)
TESTS += $(author_programs)

tests_test_exceptions_SOURCES = tests/test-exceptions.c tests/test-common.h
tests_test_exceptions_CFLAGS = $(api_cflags)
tests_test_exceptions_LDADD = $(api_ldadd)
tests_test_exceptions_LDFLAGS = $(api_ldflags)

author_e2e_tests = tests/e2e-exceptions.sh tests/e2e-file-example.sh \
	tests/test-plugin-unit.sh tests/e2e-troubleshooting.sh
TESTS += $(author_e2e_tests)
EXTRA_DIST += $(author_e2e_tests) tests/plugin-unit/test_filedisk.ml

# make install-example into a copy of the staged install (never the
# system's directories), then make uninstall: the example plugins found
# after each are listed for tests/test-install-example.sh.
tests/install-example.stamp: $(example_plugins) tests/stage/.stamp
	$(AM_V_GEN)rm -rf tests/stage-ex && cp -a tests/stage tests/stage-ex && \
	$(MAKE) $(AM_MAKEFLAGS) install-example \
	  DESTDIR=$(abs_top_builddir)/tests/stage-ex > /dev/null && \
	(cd tests/stage-ex && find . -name 'nbdkit-*disk-plugin.so') \
	  > tests/install-example-installed && \
	$(MAKE) $(AM_MAKEFLAGS) uninstall \
	  DESTDIR=$(abs_top_builddir)/tests/stage-ex > /dev/null && \
	(cd tests/stage-ex && find . -name 'nbdkit-*disk-plugin.so') \
	  > tests/install-example-left && \
	rm -rf tests/stage-ex && touch $@
check_DATA += tests/install-example.stamp
CLEANFILES += tests/install-example.stamp tests/install-example-installed \
	tests/install-example-left
AM_TESTS_ENVIRONMENT += nbdkitplugindir='$(nbdkitplugindir)'; \
	export nbdkitplugindir;
TESTS += tests/test-install-example.sh
EXTRA_DIST += tests/test-install-example.sh
