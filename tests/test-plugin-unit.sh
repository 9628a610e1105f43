#!/usr/bin/env bash
# Unit-testing plugin code (README, "Unit-testing plugin code"): the OCaml
# code of examples/filedisk.ml and a test of it
# (tests/plugin-unit/test_filedisk.ml) linked into an ordinary executable
# against the staged install, by ocamlfind and by plain ocamlopt, without
# -output-obj; the executable runs with no nbdkit and no host, and
# NBDKit.debug reaches stderr only with LIBNBDOCAML_DEBUG=1.
. "$(dirname "$0")/e2e-lib.sh"
: "${STAGE:?}" "${ocamllibdir:?}" "${OCAMLFIND_CONF:?}"
ocamldir=$STAGE$ocamllibdir
[ -f "$STAGE/.stamp" ] || { echo "Bail out! $STAGE was not staged"; exit 1; }

plan 8
export OCAMLPATH=$ocamldir

mkdir "$tmp/f" "$tmp/o"
for d in f o; do
  cp "$top_srcdir/examples/filedisk.ml" \
    "$top_srcdir/tests/plugin-unit/test_filedisk.ml" "$tmp/$d/"
done

# The README's commands: the plugin's files, then the test's.
(cd "$tmp/f" && ocamlfind ocamlopt -package nbdkit,nbdkit.threads -linkpkg \
   filedisk.ml test_filedisk.ml -o test_filedisk) > "$tmp/f.log" 2>&1
check "ocamlfind -package nbdkit,nbdkit.threads links an ordinary executable" \
  [ -x "$tmp/f/test_filedisk" ] || diag "$tmp/f.log"
unix_inc=
[ "${OCAML_MAJOR:-4}" -ge 5 ] && unix_inc="-I +unix"
# shellcheck disable=SC2086
(cd "$tmp/o" && ocamlopt.opt -I "$ocamldir" $unix_inc -I +threads \
   unix.cmxa threads.cmxa NBDKit.cmx filedisk.ml test_filedisk.ml \
   -cclib -lnbdkitocaml -o test_filedisk) > "$tmp/o.log" 2>&1
check "... and so does ocamlopt with NBDKit.cmx and -cclib -lnbdkitocaml" \
  [ -x "$tmp/o/test_filedisk" ] || diag "$tmp/o.log"
check "it is a program, not a shared object" \
  bash -c "file -L '$tmp/o/test_filedisk' | grep -q 'executable'"

for d in f o; do
  t "$tmp/$d/test_filedisk" > "$tmp/$d.tap" 2> "$tmp/$d.err"
  rc=$?
  passed=$(grep -c '^ok ' "$tmp/$d.tap")
  is "the unit tests pass ($d build: $passed of 16, status $rc)" \
    "$rc $passed $(grep -c '^not ok' "$tmp/$d.tap")" "0 16 0" ||
    diag "$tmp/$d.tap" "$tmp/$d.err"
done
unlike "NBDKit.debug writes nothing by default" "$tmp/o.err" 'debug'

LIBNBDOCAML_DEBUG=1 t "$tmp/o/test_filedisk" > /dev/null 2> "$tmp/debug.err"
like "LIBNBDOCAML_DEBUG=1: NBDKit.debug goes to stderr" "$tmp/debug.err" \
  '^nbdocaml: debug: unit test says 42$'
like "... the plugin's own debug lines too" "$tmp/debug.err" \
  '^nbdocaml: debug: filedisk: opened .*unit-[0-9]+\.img \(65536 bytes, read-write\)$'

e2e_done
