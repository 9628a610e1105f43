# Tests: GLib g_test programs and shell scripts, all speaking TAP.
TEST_EXTENSIONS = .sh
LOG_DRIVER = env AM_TAP_AWK='$(AWK)' $(SHELL) $(top_srcdir)/build-aux/tap-driver.sh
SH_LOG_DRIVER = $(LOG_DRIVER)
LOG_COMPILER = $(top_builddir)/tests/run-test
SH_LOG_COMPILER = $(LOG_COMPILER)
AM_TESTS_ENVIRONMENT = top_builddir=$(abs_top_builddir) \
	top_srcdir=$(abs_top_srcdir) \
	PLUGINS=$(abs_top_builddir)/tests/plugins ; export top_builddir \
	top_srcdir PLUGINS ;

EXTRA_DIST += tests/run-test.in
