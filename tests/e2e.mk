# End-to-end tests: the test plugins served by the real nbdkit and driven
# by real NBD clients (nbdinfo, nbdsh, nbdcopy, qemu-img, qemu-io).  Each
# tests/e2e-*.sh prints TAP; tests/e2e-lib.sh holds their shared helpers.
# The plugins are built by the pattern rules of tests/local.mk.

E2E_PLUGINS = extents_ml e2e_ramdisk e2e_short e2e_flags e2e_example e2e_raise_at_load \
	e2e_noregister e2e_nopread e2e_noname e2e_twice rules

check_DATA += $(E2E_PLUGINS:%=tests/plugins/nbdkit-%-plugin.so) \
	tests/plugins/nbdkit-threads_e2e_ramdisk-plugin.so
CLEANFILES += tests/plugins/threads_e2e_ramdisk.ml
EXTRA_DIST += $(E2E_PLUGINS:%=tests/plugins/%.ml) tests/e2e-lib.sh

# The 1 GiB nbdcopy round trip comes first: it is the longest (about 15 s;
# it needs 1 GiB of RAM and 2 GiB in $TMPDIR) and the others, a few
# seconds each, run beside it under make -j2.
E2E_TESTS = \
	tests/e2e-nbdcopy-1g.sh \
	tests/e2e-nbdinfo.sh \
	tests/e2e-nbdsh.sh \
	tests/e2e-qemu.sh \
	tests/e2e-errors.sh \
	tests/e2e-log.sh \
	tests/e2e-short-read.sh \
	tests/e2e-bad-modules.sh \
	tests/e2e-fork.sh \
	tests/e2e-concurrent.sh \
	tests/e2e-install.sh \
	tests/e2e-example.sh \
	tests/e2e-parse.sh \
	tests/e2e-nbdkit-rules.sh \
	tests/e2e-shutdown.sh \
	tests/e2e-cc.sh \
	tests/e2e-extents-rules.sh

# nbdkit's own parsers as the reference for NBDKit's: a C plugin for the
# real nbdkit, built directly (not through libtool, which would hide it in
# .libs), as nbdkit's documentation builds plugins.
check_DATA += tests/plugins/nbdkit_rules.so
EXTRA_DIST += tests/plugins/nbdkit_rules.c
CLEANFILES += tests/plugins/nbdkit_rules.so
tests/plugins/nbdkit_rules.so: tests/plugins/nbdkit_rules.c config.h
	$(AM_V_CC)$(CC) $(CFLAGS) $(NBDKIT_CFLAGS) -I$(top_builddir) -shared -fPIC \
	  -o $@ $(srcdir)/tests/plugins/nbdkit_rules.c

TESTS += $(E2E_TESTS)
EXTRA_DIST += $(E2E_TESTS)


# The C twin of extents_ml.ml, an ordinary nbdkit plugin (not through
# libtool, which would hide it in .libs).
check_DATA += tests/plugins/nbdkit-extents_c-plugin.so
EXTRA_DIST += tests/plugins/extents_c.c
CLEANFILES += tests/plugins/nbdkit-extents_c-plugin.so
tests/plugins/nbdkit-extents_c-plugin.so: tests/plugins/extents_c.c
	$(AM_V_CC)$(CC) $(CFLAGS) $(NBDKIT_CFLAGS) -Wall -shared -fPIC -o $@ $<
