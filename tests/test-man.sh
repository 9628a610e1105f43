#!/bin/bash
# libnbdocaml tests: the manual pages.
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
# Prints TAP.  Every page renders with "man --warnings" and no warning,
# has a NAME line that whatis can read, and its POD source passes
# podchecker; nbdocaml(3) documents every function the header declares
# (the generated nbdocaml_call_* included) in an entry of its own;
# nbdocaml-call(1) names every operation and option; NBDKit(3o) every
# value of ocaml/NBDKit.mli and NBDKit-labelled(3o) every value of
# ocaml/labelled/NBDKit.mli.  A function, callback or value added without
# documentation fails here.
set -u
top_srcdir=${top_srcdir:-.}
top_builddir=${top_builddir:-.}
CC=${CC:-cc}
export LC_ALL=C.UTF-8 MANWIDTH=80
pages="docs/nbdocaml.3 docs/nbdkit-ocaml-plugin.3 docs/NBDKit.3o docs/NBDKit-labelled.3o docs/nbdocaml-call.1"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
ok () {
  local what=$1; shift
  n=$((n + 1))
  if "$@" >"$tmp/out" 2>&1; then echo "ok $n - $what"; else echo "not ok $n - $what"; fi
  awk '{ print "# " $0 }' "$tmp/out"
}

renders_cleanly () {
  local page=$top_builddir/$1
  man --warnings -l "$page" > "$tmp/text" 2> "$tmp/warnings" || return 1
  echo "$(wc -l < "$tmp/text") lines"
  cat "$tmp/warnings"
  [ -s "$tmp/text" ] && [ ! -s "$tmp/warnings" ]
}

whatis_line () {
  lexgrog "$top_builddir/$1" | grep -E ": \"[^ ]+ - .+\"$"
}

pod_clean () {
  local f bad=0
  for f in "$top_srcdir"/docs/*.pod; do
    podchecker -warnings "$f" > "$tmp/pod" 2>&1 || bad=1
    grep -E 'WARNING|ERROR' "$tmp/pod" && bad=1
  done
  [ "$bad" = 0 ]
}

# The functions the header declares, the X-macro's expanded.
header_functions () {
  $CC -E -P -I"$top_srcdir/include" "$top_srcdir/include/nbdocaml.h" |
    grep -o '\bnbdocaml_[a-z0-9_]* *(' | sed 's/ *($//' | sort -u
}

every_function_documented () {
  local f missing=0
  header_functions > "$tmp/functions"
  for f in $(cat "$tmp/functions"); do
    # An =item of its own in the POD, and the name in the built page.
    grep -Eq "^=item .*B<$f> \(" "$top_srcdir/docs/nbdocaml.pod" ||
      { echo "$f has no =item in docs/nbdocaml.pod"; missing=1; }
    grep -q "$f" "$top_builddir/docs/nbdocaml.3" ||
      { echo "$f is not in docs/nbdocaml.3"; missing=1; }
  done
  echo "$(wc -l < "$tmp/functions") functions"
  [ "$missing" = 0 ] && [ -s "$tmp/functions" ]
}

every_operation_documented () {
  local op missing=0
  for op in $(header_functions | sed -n 's/^nbdocaml_call_//p') \
            --json --hexdump --debug --readonly --fua --may-trim --req-one \
            --fast-zero --tls --export --version --help; do
    grep -Eq "B<$op>" "$top_srcdir/docs/nbdocaml-call.pod" ||
      { echo "$op is not in docs/nbdocaml-call.pod"; missing=1; }
  done
  [ "$missing" = 0 ]
}

# every_value_documented MLI PAGE
every_value_documented () {
  local v missing=0 count=0
  man -l "$top_builddir/$2" | sed 's/^ *//' > "$tmp/values"
  for v in $(sed -n 's/^val \([a-z_]*\) .*/\1/p' "$top_srcdir/$1"); do
    count=$((count + 1))
    grep -q "^val $v " "$tmp/values" ||
      { echo "val $v is not in $2"; missing=1; }
  done
  echo "$count values"
  [ "$missing" = 0 ] && [ "$count" -gt 0 ]
}

echo "1..15"
for p in $pages; do
  ok "$p renders with man --warnings and no warning" renders_cleanly "$p"
done
for p in $pages; do
  ok "$p has a NAME line whatis reads" whatis_line "$p"
done
ok "the POD sources pass podchecker -warnings" pod_clean
ok "nbdocaml(3) documents every function of nbdocaml.h" every_function_documented
ok "nbdocaml-call(1) documents every operation and option" every_operation_documented
ok "NBDKit(3o) documents every value of NBDKit.mli" \
  every_value_documented ocaml/NBDKit.mli docs/NBDKit.3o
ok "NBDKit-labelled(3o) documents every value of the labelled NBDKit.mli" \
  every_value_documented ocaml/labelled/NBDKit.mli docs/NBDKit-labelled.3o
