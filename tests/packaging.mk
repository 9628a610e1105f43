# Tests of what users get from "make install" and the Debian packages:
# the ABI guard, the man pages, the command-line tool, and the installed
# ocamlfind package and dune example, run against a staged install.

# SANITIZER_CFLAGS: programs the tests compile against the library must
# be built with the same sanitizers (./configure --enable-sanitizers).
AM_TESTS_ENVIRONMENT += PACKAGE_VERSION='$(PACKAGE_VERSION)' \
	SANITIZER_CFLAGS='$(SANITIZER_CFLAGS)'; \
	export PACKAGE_VERSION SANITIZER_CFLAGS;

# The tool against the test plugins and the example (no nbdkit).
TESTS += tests/test-tool.sh
EXTRA_DIST += tests/test-tool.sh

# The ABI guard: the exports against lib/libnbdocaml.exports and the
# Debian symbols file; "make update-abi" regenerates both after a
# deliberate change of the exported symbols.
TESTS += tests/test-abi.sh
EXTRA_DIST += tests/test-abi.sh scripts/abi.sh lib/libnbdocaml.exports
update-abi: lib/libnbdocaml.la
	bash $(srcdir)/scripts/abi.sh update lib/.libs/libnbdocaml.so $(srcdir)
.PHONY: update-abi

# The manual pages: rendering, NAME lines, and nothing undocumented.
TESTS += tests/test-man.sh
EXTRA_DIST += tests/test-man.sh

# A staged "make install" (DESTDIR=tests/stage) for the tests of the
# installed files, which must never touch the system's directories.  A
# copy of it is uninstalled again, and what "make uninstall" leaves
# behind (files, and our two directories in the OCaml library directory)
# is listed in tests/stage-leftovers for test-staged-install.sh.
STAGE = $(abs_top_builddir)/tests/stage
tests/stage/.stamp: $(lib_LTLIBRARIES) $(bin_PROGRAMS) $(ocamllib_LIBRARIES) \
		$(ocamllib_DATA) $(ocamllabelled_DATA) $(findlibmeta_DATA) \
		$(man1_MANS) $(man3_MANS) $(include_HEADERS) $(pkgconfig_DATA)
	$(AM_V_GEN)rm -rf tests/stage tests/stage-u tests/stage-leftovers && \
	$(MAKE) $(AM_MAKEFLAGS) install DESTDIR=$(STAGE) > /dev/null && \
	cp -a tests/stage tests/stage-u && \
	$(MAKE) $(AM_MAKEFLAGS) uninstall DESTDIR=$(abs_top_builddir)/tests/stage-u \
	  > /dev/null && \
	(cd tests/stage-u && find . ! -type d && \
	  find . -type d \( -name nbdkit -o -name nbdkit-labelled \)) \
	  > tests/stage-leftovers && \
	rm -rf tests/stage-u && touch $@
check_DATA += tests/stage/.stamp
CLEANFILES += tests/stage-leftovers

# ocamlfind and dune run with tests/findlib.conf (made by configure), the
# configuration of the compiler configure found.
AM_TESTS_ENVIRONMENT += STAGE='$(STAGE)' prefix='$(prefix)' \
	libdir='$(libdir)' bindir='$(bindir)' includedir='$(includedir)' \
	mandir='$(mandir)' ocamllibdir='$(ocamllibdir)' \
	LABELLED_EXAMPLE='$(LABELLED_EXAMPLE)' \
	OCAMLFIND_CONF='$(abs_top_builddir)/tests/findlib.conf'; \
	export STAGE prefix libdir bindir includedir mandir ocamllibdir \
	LABELLED_EXAMPLE OCAMLFIND_CONF;

# A plugin source written against the labelled NBDKit module (nbdkit >=
# 1.30's API), which make install puts in $(ocamllibdir)/nbdkit-labelled:
# tests/test-findlib.sh builds it with "-package nbdkit.labelled" (and
# fails while this is unset).
LABELLED_EXAMPLE = $(abs_top_srcdir)/tests/plugins/l132_testplugin.ml

# What "make install" puts where, and that "make uninstall" removes it.
# ocamlfind and dune against the staged install, examples/dune-plugin.
TESTS += tests/test-staged-install.sh tests/test-findlib.sh
EXTRA_DIST += tests/test-staged-install.sh tests/test-findlib.sh \
	tests/findlib.conf.in \
	examples/dune-plugin/dune-project examples/dune-plugin/dune \
	examples/dune-plugin/pattern.ml

# Made by configure for an OCaml 4 without ocamlfind META files of its own.
distclean-local: distclean-findlib-stdlib
distclean-findlib-stdlib:
	-rm -rf tests/findlib-stdlib
.PHONY: distclean-findlib-stdlib
