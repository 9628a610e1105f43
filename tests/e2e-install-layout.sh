#!/usr/bin/env bash
# The installed layout selects the generation: "make install" (here into
# a DESTDIR, laid over a copy of the OCaml library directory that OCAMLLIB
# points the compiler at) puts the record NBDKit module in the OCaml
# library directory and the labelled one in its nbdkit-labelled
# subdirectory.  Then each era's recipe, verbatim, builds a plugin that
# nbdkit serves: nbdkit 1.16's (the seed's), 1.28's (unix.cmxa) and
# 1.32's with the one documented addition, -I +nbdkit-labelled.
. "$(dirname "$0")/e2e-lib.sh"

plan 8

where=$(ocamlopt.opt -where)
t make -s -C "$top_builddir" install DESTDIR="$tmp/dest" \
  > "$tmp/install.log" 2>&1
check "make install DESTDIR=... succeeds" [ $? -eq 0 ] || diag "$tmp/install.log"
# A copy of the compiler's library directory made of symbolic links, with
# the installed files laid over it (never through the links).
cp -rs "$where" "$tmp/ocaml"
cp -r --remove-destination "$tmp/dest$where/." "$tmp/ocaml/"
export OCAMLLIB=$tmp/ocaml
is "the labelled module is installed in nbdkit-labelled/" \
  "$(cd "$tmp/dest$where" && ls NBDKit.* nbdkit-labelled/* | tr '\n' ' ')" \
  "NBDKit.cmi NBDKit.cmx NBDKit.mli NBDKit.o nbdkit-labelled/NBDKit.cmi nbdkit-labelled/NBDKit.cmx nbdkit-labelled/NBDKit.mli nbdkit-labelled/NBDKit.o "

cp "$top_srcdir/tests/plugins/e2e_ramdisk.ml" \
   "$top_srcdir/tests/plugins/r128_testplugin.ml" \
   "$top_srcdir/tests/plugins/l132_testplugin.ml" "$tmp/"
cd "$tmp" || exit 1
check "nbdkit 1.16's recipe builds a 1.16 plugin" \
  ocamlopt.opt -output-obj -runtime-variant _pic \
    -o nbdkit-e116-plugin.so NBDKit.cmx e2e_ramdisk.ml -cclib -lnbdkitocaml
check "nbdkit 1.28's recipe builds a 1.28 plugin" \
  ocamlopt.opt -output-obj -runtime-variant _pic \
    -o nbdkit-r128-plugin.so unix.cmxa NBDKit.cmx r128_testplugin.ml \
    -cclib -lnbdkitocaml
check "nbdkit 1.32's recipe with -I +nbdkit-labelled builds a 1.32 plugin" \
  ocamlopt.opt -output-obj -runtime-variant _pic \
    -o nbdkit-l132-plugin.so -I +nbdkit-labelled -I +unix -I +threads \
    unix.cmxa threads.cmxa NBDKit.cmx l132_testplugin.ml -cclib -lnbdkitocaml
unset OCAMLLIB

for p in e116 r128 l132; do
  out=$(serve_run "./nbdkit-$p-plugin.so" size=3M -- 'nbdinfo --size "$uri"' 2>&1)
  is "nbdkit serves the $p plugin built from the installed files" "$out" 3145728
done

e2e_done
