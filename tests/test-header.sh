#!/bin/bash
# libnbdocaml tests: the public header and the exported symbols.
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
# Prints TAP.  The header must compile on its own as strict C99 and as
# C++; libnbdocaml.so must export exactly the functions the header
# declares (including every nbdocaml_call_* that the NBDOCAML_CALLBACKS
# X-macro generates), each in the version node of lib/libnbdocaml.syms
# that lists it (NBDOCAML_0.1, NBDOCAML_0.2 ...); and a plugin must
# export the two entry points the host library and nbdkit look for, while
# keeping its hidden copy of the host library hidden.  The header also
# compiles in every C standard from C89 and C++ from C++98, its version
# macros are configure.ac's, and a C++ program links with the library.
# (The committed list of exports is tests/test-abi.sh's.)

set -u
# sort and join must agree on the order.
export LC_ALL=C
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
PLUGINS=${PLUGINS:-$top_builddir/tests/plugins}
CC=${CC:-cc}
CXX=${CXX:-c++}
NM=${NM:-nm}
header=$top_srcdir/include/nbdocaml.h
syms=$top_srcdir/lib/libnbdocaml.syms
lib=$top_builddir/lib/.libs/libnbdocaml.so
plugins="$PLUGINS/nbdkit-full-plugin.so $PLUGINS/nbdkit-threads_full-plugin.so"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
failed=0
# ok DESCRIPTION COMMAND...: one test point, its output kept as comments.
ok () {
  local what=$1; shift
  n=$((n + 1))
  if "$@" >"$tmp/out" 2>&1; then
    echo "ok $n - $what"
  else
    echo "not ok $n - $what"
    failed=1
  fi
  awk '{ print "# " $0 }' "$tmp/out"
}

# The functions the header declares: preprocess it (which expands the
# X-macro) and take every nbdocaml_* name followed by a parameter list.
header_functions () {
  $CC -E -P -I"$top_srcdir/include" "$header" |
    grep -o '\bnbdocaml_[a-z0-9_]* *(' | sed 's/ *($//' | sort -u
}

# Each symbol of the version script with its node: "NAME NODE".
syms_nodes () {
  awk '/^NBDOCAML_[0-9.]+ *\{/ { node = $1 }
       /^ +nbdocaml_[a-z0-9_]+;/ { gsub (/[ ;]/, ""); print $0, node }' \
    "$top_srcdir/lib/libnbdocaml.syms" | sort -u
}

# The header's functions as they must be exported: NAME@@NODE.
expected_exports () {
  header_functions > "$tmp/functions" || return 1
  syms_nodes > "$tmp/nodes" || return 1
  join -a 1 "$tmp/functions" "$tmp/nodes" |
    awk '{ print $1 "@@" ($2 == "" ? "NO_VERSION_NODE" : $2) }'
}

# The defined dynamic symbols of $1, as NAME@@VERSION or NAME.
exported () {
  $NM -D --defined-only "$1" | awk '{ print $3 }' | sort -u
}

compiles_c99 () {
  $CC -std=c99 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c "$header"
}

compiles_cxx () {
  $CXX -std=c++11 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c++ \
    "$header"
}

# Compiling the header as the library does changes NBDOCAML_API.
compiles_building_shared () {
  $CC -std=c99 -pedantic -Wall -Werror -fsyntax-only \
    -DNBDOCAML_BUILDING_SHARED -x c "$header"
}

header_lists_every_callback () {
  header_functions > "$tmp/functions" || return 1
  # One nbdocaml_call_* per row of NBDOCAML_CALLBACKS: count the rows.
  local rows calls
  rows=$(grep -c '^  X (' "$header")
  calls=$(grep -c '^nbdocaml_call_' "$tmp/functions")
  echo "$rows callbacks, $calls nbdocaml_call_* functions"
  [ "$rows" -gt 0 ] && [ "$rows" -eq "$calls" ]
}

library_exports_header () {
  expected_exports > "$tmp/expected" || return 1
  exported "$lib" > "$tmp/exported" || return 1
  local f missing=0
  for f in $(cat "$tmp/expected"); do
    if ! grep -qx "$f" "$tmp/exported"; then
      echo "${f%@@*} is not exported as $f (is it in lib/libnbdocaml.syms?)"
      missing=1
    fi
  done
  [ "$missing" = 0 ] && [ -s "$tmp/expected" ]
}

library_exports_nothing_else () {
  expected_exports > "$tmp/expected" || return 1
  # Each version node itself shows up as an absolute symbol.
  awk '/^NBDOCAML_[0-9.]+ *\{/ { print $1 }' \
    "$top_srcdir/lib/libnbdocaml.syms" >> "$tmp/expected"
  sort -u -o "$tmp/expected" "$tmp/expected"
  exported "$lib" > "$tmp/exported" || return 1
  if ! diff "$tmp/expected" "$tmp/exported"; then
    echo "lines with > are exported but not declared in the header"
    return 1
  fi
}

# 0.2.0 added a node: the functions 0.1 exported keep their node, so
# programs linked against 0.1 still find them.
version_nodes_kept () {
  exported "$lib" > "$tmp/exported" || return 1
  grep -qx 'nbdocaml_module_open@@NBDOCAML_0.1' "$tmp/exported" &&
    grep -qx 'nbdocaml_call_pwrite_buf@@NBDOCAML_0.1' "$tmp/exported" &&
    grep -qx 'nbdocaml_call_block_size@@NBDOCAML_0.2' "$tmp/exported" &&
    grep -qx 'nbdocaml_set_host_hooks@@NBDOCAML_0.2' "$tmp/exported"
}

plugin_exports_entry_points () {
  local p bad=0
  for p in $plugins; do
    exported "$p" > "$tmp/plugin" || return 1
    grep -qx nbdocaml_glue_entry_v1 "$tmp/plugin" ||
      { echo "$p: no nbdocaml_glue_entry_v1"; bad=1; }
    grep -qx plugin_init "$tmp/plugin" ||
      { echo "$p: no plugin_init"; bad=1; }
  done
  [ "$bad" = 0 ]
}

plugin_hides_host_copy () {
  local p bad=0
  for p in $plugins; do
    exported "$p" | grep '^nbdocaml_' | grep -vx nbdocaml_glue_entry_v1 \
      > "$tmp/extra"
    if [ -s "$tmp/extra" ]; then
      echo "$p exports:"; cat "$tmp/extra"; bad=1
    fi
  done
  [ "$bad" = 0 ]
}

# The header in every C and C++ standard a user might compile with.
compiles_every_standard () {
  local std bad=0
  for std in c89 c99 c11 c17; do
    $CC -std=$std -pedantic -Wall -Wextra -Wstrict-prototypes \
      -Wmissing-prototypes -Werror -fsyntax-only -x c "$header" ||
      { echo "fails as $std"; bad=1; }
  done
  for std in c++98 c++11 c++17 c++20; do
    $CXX -std=$std -pedantic -Wall -Wextra -Werror -fsyntax-only \
      -x c++ "$header" || { echo "fails as $std"; bad=1; }
  done
  [ "$bad" = 0 ]
}

# NBDOCAML_VERSION_* and what nbdocaml_version () returns at run time are
# configure.ac's version (PACKAGE_VERSION, from the environment).
version_macros_match () {
  local v
  v=$(printf '#include <nbdocaml.h>\nNBDOCAML_VERSION_MAJOR.NBDOCAML_VERSION_MINOR.NBDOCAML_VERSION_MICRO\n' |
      $CC -E -P -I"$top_srcdir/include" -x c - | tail -1 | tr -d ' ')
  echo "header: $v, configure.ac: $PACKAGE_VERSION"
  [ -n "$PACKAGE_VERSION" ] && [ "$v" = "$PACKAGE_VERSION" ]
}

# A C++ program calls the library through the header: extern "C" gives
# the names the library exports, and the runtime version is configure's.
cxx_program_links () {
  cat > "$tmp/prog.cc" <<'CXX'
#include <nbdocaml.h>
#include <cstdio>
#include <cstring>
int main ()
{
  std::printf ("%s\n", nbdocaml_version ());
  return nbdocaml_callback_name (NBDOCAML_CB_PREAD) == 0 ||
    std::strcmp (nbdocaml_callback_name (NBDOCAML_CB_PREAD), "pread") != 0;
}
CXX
  $CXX -std=c++11 -Wall -Werror ${SANITIZER_CFLAGS-} -I"$top_srcdir/include" "$tmp/prog.cc" \
    -o "$tmp/prog" -L"$top_builddir/lib/.libs" -lnbdocaml \
    -Wl,-rpath,"$top_builddir/lib/.libs" || return 1
  local v
  v=$("$tmp/prog") || return 1
  echo "nbdocaml_version () = $v"
  [ "$v" = "$PACKAGE_VERSION" ]
}

echo "1..12"
ok "nbdocaml.h compiles alone as C99 with -pedantic -Werror" compiles_c99
ok "nbdocaml.h compiles alone as C++11" compiles_cxx
ok "nbdocaml.h compiles with NBDOCAML_BUILDING_SHARED" compiles_building_shared
ok "the header declares one nbdocaml_call_* per callback" \
  header_lists_every_callback
ok "libnbdocaml.so exports every header function in its version node" \
  library_exports_header
ok "libnbdocaml.so exports exactly the header's functions, in the script's nodes" \
  library_exports_nothing_else
ok "0.1's functions stay in NBDOCAML_0.1, 0.2's are in NBDOCAML_0.2" \
  version_nodes_kept
ok "plugins export nbdocaml_glue_entry_v1 and plugin_init" \
  plugin_exports_entry_points
ok "plugins export no other nbdocaml_ symbol" plugin_hides_host_copy
ok "nbdocaml.h compiles alone as C89/99/11/17 and C++98/11/17/20, -pedantic -Werror" \
  compiles_every_standard
ok "NBDOCAML_VERSION_* is configure.ac's version" version_macros_match
ok "a C++ program links with libnbdocaml; nbdocaml_version () is configure.ac's" \
  cxx_program_links
exit 0
