# Tests: GLib g_test programs and shell scripts, all speaking TAP.
TESTS =
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
LOG_COMPILER = $(top_builddir)/tests/run-test
SH_LOG_COMPILER = $(LOG_COMPILER)
AM_TESTS_ENVIRONMENT = top_builddir=$(abs_top_builddir) \
	top_srcdir=$(abs_top_srcdir) \
	PLUGINS=$(abs_top_builddir)/tests/plugins \
	OCAML_MAJOR=$(OCAML_MAJOR) OCAML_VERSION=$(OCAML_VERSION) \
	OCAML_BINDIR='$(OCAML_BINDIR)' ; \
	export top_builddir top_srcdir PLUGINS OCAML_MAJOR OCAML_VERSION \
	OCAML_BINDIR ;

EXTRA_DIST += tests/run-test.in
# Built before the tests run, so that an edited run-test.in is taken up
# (config.status remakes it) instead of an older copy running the tests.
check_SCRIPTS = tests/run-test

# Test plugins, built by the seed's recipe.  tests/plugins/NAME.ml gives
# tests/plugins/nbdkit-NAME-plugin.so.  A plugin whose source is named
# threads_NAME.ml is linked with threads.cmxa; threads_NAME.ml is copied
# from NAME.ml when only NAME.ml exists, so one source serves both builds.
# (build_plugin adds -I +unix on OCaml 5, which unix.cmxa needs there.)
THREADS_LINK = -I +threads unix.cmxa threads.cmxa

tests/plugins/nbdkit-%-plugin.so: tests/plugins/%.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_plugin,nbdkit-$*-plugin.so,,$*.ml)

tests/plugins/nbdkit-threads_%-plugin.so: tests/plugins/threads_%.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_plugin,nbdkit-threads_$*-plugin.so,$(THREADS_LINK),threads_$*.ml)

tests/plugins/threads_%.ml: tests/plugins/%.ml
	$(AM_V_GEN)cp $< $@

# The later eras' recipes: a source named r128_NAME.ml is built by nbdkit
# 1.28's (unix.cmxa before NBDKit.cmx, the record module), one named
# l132_NAME.ml by nbdkit 1.32's with the labelled module's directory.
tests/plugins/nbdkit-r128_%-plugin.so: tests/plugins/r128_%.ml $(PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_plugin,nbdkit-r128_$*-plugin.so,unix.cmxa,r128_$*.ml)

tests/plugins/nbdkit-l132_%-plugin.so: tests/plugins/l132_%.ml \
		$(LABELLED_PLUGIN_DEPS)
	$(AM_V_GEN)cd tests/plugins && \
	  $(call build_labelled_plugin,nbdkit-l132_$*-plugin.so,l132_$*.ml)

CLEANFILES += tests/plugins/threads_full.ml
check_DATA += tests/plugins/nbdkit-full-plugin.so \
	tests/plugins/nbdkit-threads_full-plugin.so
EXTRA_DIST += tests/plugins/full.ml

include tests/api.mk
include tests/e2e.mk
include tests/generations.mk
include tests/plugin-authors.mk
include tests/contract.mk
