# Tests of what users get from "make install" and the Debian packages:
# the ABI guard, the man pages, the command-line tool, and the installed
# ocamlfind package and dune example, run against a staged install.

AM_TESTS_ENVIRONMENT += PACKAGE_VERSION='$(PACKAGE_VERSION)'; \
	export PACKAGE_VERSION;

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
