#!/bin/bash
# libnbdocaml tests: the ABI guard.
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
# Prints TAP.  The symbols libnbdocaml.so exports, with their version
# nodes, must be exactly the committed lib/libnbdocaml.exports, and the
# Debian symbols file exactly what scripts/abi.sh makes of it: a change of
# the exports fails here until "make update-abi" has rewritten both files
# and the change is committed.  The version nodes, the SONAME, the Debian
# package of the library and debian/changelog must agree with
# configure.ac's version.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
lib=$top_builddir/lib/.libs/libnbdocaml.so
abi="$top_srcdir/scripts/abi.sh"
list=$top_srcdir/lib/libnbdocaml.exports
export LC_ALL=C

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok () {
  local what=$1; shift
  n=$((n + 1))
  if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; fi
  awk '{ print "# " $0 }' "$tmp/out"
}

exports_match () {
  bash "$abi" exports "$lib" > "$tmp/exports" || return 1
  if ! diff -u "$list" "$tmp/exports"; then
    echo "the library's exports changed: run 'make update-abi', review, commit"
    return 1
  fi
}

debian_symbols_match () {
  local pkg
  pkg=$(bash "$abi" package "$list") || return 1
  bash "$abi" debian-symbols "$list" > "$tmp/symbols" || return 1
  if ! diff -u "$top_srcdir/debian/$pkg.symbols" "$tmp/symbols"; then
    echo "debian/$pkg.symbols is stale: run 'make update-abi'"
    return 1
  fi
}

# Every node is one of the version script's, and none is newer than the
# release being built (a node is named after the release that adds it).
nodes_fit_version () {
  local node v bad=0
  for node in $(awk '!/^#/ && $1 != "soname" { print $2 }' "$list" | sort -u); do
    grep -q "^$node {" "$top_srcdir/lib/libnbdocaml.syms" ||
      { echo "$node is not a node of lib/libnbdocaml.syms"; bad=1; }
    v=${node#NBDOCAML_}.0
    dpkg --compare-versions "$v" le "$PACKAGE_VERSION" ||
      { echo "$node is newer than the release $PACKAGE_VERSION"; bad=1; }
    echo "$node: release $v"
  done
  [ "$bad" = 0 ]
}

# The SONAME is the one committed, and debian/control has the library
# package named after it (libnbdocaml.so.0 -> libnbdocaml0).
soname_and_package () {
  local soname pkg
  soname=$(objdump -p "$lib" | awk '$1 == "SONAME" { print $2 }')
  pkg=$(bash "$abi" package "$list") || return 1
  echo "SONAME $soname, package $pkg"
  grep -qx "soname $soname" "$list" &&
    grep -qx "Package: $pkg" "$top_srcdir/debian/control" &&
    grep -q "^usr/lib/\*/$soname" "$top_srcdir/debian/$pkg.install"
}

changelog_version () {
  local v
  v=$(dpkg-parsechangelog -l "$top_srcdir/debian/changelog" -S Version) || return 1
  echo "debian/changelog: $v, configure.ac: $PACKAGE_VERSION"
  [ "${v%-*}" = "$PACKAGE_VERSION" ]
}

echo "1..5"
ok "libnbdocaml.so exports exactly lib/libnbdocaml.exports" exports_match
ok "the Debian symbols file is generated from lib/libnbdocaml.exports" \
  debian_symbols_match
ok "every version node is in the version script and no newer than the release" \
  nodes_fit_version
ok "the SONAME matches the committed list and the Debian library package" \
  soname_and_package
ok "debian/changelog's version is configure.ac's" changelog_version
