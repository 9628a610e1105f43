#!/usr/bin/env bash
# make install-example puts both example plugins in nbdkit's plugin
# directory, and make uninstall removes them (tests/plugin-authors.mk ran
# both into a scratch DESTDIR and listed what each left).
. "$(dirname "$0")/e2e-lib.sh"
: "${nbdkitplugindir:?}"
installed=$top_builddir/tests/install-example-installed
left=$top_builddir/tests/install-example-left
[ -f "$installed" ] && [ -f "$left" ] ||
  { echo "Bail out! tests/install-example.stamp was not made"; exit 1; }

plan 2
is "install-example installs the two example plugins in nbdkit's plugin directory" \
  "$(sort "$installed" | tr '\n' ' ')" \
  ".$nbdkitplugindir/nbdkit-filedisk-plugin.so .$nbdkitplugindir/nbdkit-ramdisk-plugin.so "
is "make uninstall removes them" "$(cat "$left")" ""
e2e_done
