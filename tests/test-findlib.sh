#!/usr/bin/env bash
# The installed ocamlfind package "nbdkit" and examples/dune-plugin,
# against the staged install (tests/stage, made by tests/packaging.mk):
# ocamlfind builds the same plugin as the recipe in nbdkit-ocaml-plugin(3), byte for byte;
# the threads sub-package adds threads.cmxa; the labelled sub-package
# resolves to $(ocamllibdir)/nbdkit-labelled; dune builds a plugin; and
# every plugin built here is served by nbdkit and read by a real client.
# ocamlfind and dune run with OCAMLFIND_CONF, the findlib configuration of
# the compiler configure found (tests/findlib.conf.in), and that compiler
# comes first on PATH (e2e-lib.sh).
. "$(dirname "$0")/e2e-lib.sh"
: "${STAGE:?}" "${ocamllibdir:?}" "${OCAMLFIND_CONF:?}"
tool=$top_builddir/tools/nbdocaml-call
ocamldir=$STAGE$ocamllibdir
[ -f "$STAGE/.stamp" ] || { echo "Bail out! $STAGE was not staged"; exit 1; }

plan 16

# The staged packages come first; the system's (threads, unix) after.
export OCAMLPATH=$ocamldir
export DUNE_CACHE=disabled XDG_CACHE_HOME=$tmp/cache

ocamlfind list > "$tmp/list" 2>&1
like "ocamlfind lists nbdkit with configure's version" "$tmp/list" \
  "^nbdkit +\(version: $PACKAGE_VERSION\)"
like "... and nbdkit.threads" "$tmp/list" "^nbdkit\.threads "
is "ocamlfind query nbdkit: the directory of NBDKit.cmx" \
  "$(cd "$(ocamlfind query nbdkit)" && pwd -P)" "$(cd "$ocamldir" && pwd -P)"

# The recipe in nbdkit-ocaml-plugin(3) (with -I because the files are staged, not in the
# standard library directory) and the ocamlfind command of the README.
mkdir "$tmp/seed" "$tmp/findlib"
cp "$top_srcdir/examples/ramdisk.ml" "$tmp/seed/"
cp "$top_srcdir/examples/ramdisk.ml" "$tmp/findlib/"
(cd "$tmp/seed" && ocamlopt.opt -I "$ocamldir" -output-obj -runtime-variant _pic \
   -o nbdkit-ramdisk-plugin.so NBDKit.cmx ramdisk.ml -cclib -lnbdkitocaml) > "$tmp/seed.err" 2>&1
(cd "$tmp/findlib" && ocamlfind ocamlopt -package nbdkit -linkpkg \
   -output-obj -runtime-variant _pic -o nbdkit-ramdisk-plugin.so ramdisk.ml) > "$tmp/findlib.log" 2>&1
check "ocamlfind -package nbdkit builds the same plugin as the recipe in nbdkit-ocaml-plugin(3)" \
  cmp "$tmp/seed/nbdkit-ramdisk-plugin.so" "$tmp/findlib/nbdkit-ramdisk-plugin.so" ||
  diag "$tmp/seed.err" "$tmp/findlib.log"
out=$(serve_run "$tmp/findlib/nbdkit-ramdisk-plugin.so" size=2M -- \
        'nbdinfo --size "$uri"; nbdcopy "$uri" - | head -c 45' 2>"$tmp/err")
is "nbdkit serves it and nbdcopy reads it" "$out" "2097152
Hello from an nbdkit plugin written in OCaml!" || diag "$tmp/err"

# threads.cmxa through the sub-package.
mkdir "$tmp/threads"
cp "$top_srcdir/examples/ramdisk.ml" "$tmp/threads/"
(cd "$tmp/threads" && ocamlfind ocamlopt -package nbdkit,nbdkit.threads -linkpkg \
   -output-obj -runtime-variant _pic -o nbdkit-ramdisk-plugin.so ramdisk.ml) > "$tmp/threads.log" 2>&1
out=$(t "$tool" info --json "$tmp/threads/nbdkit-ramdisk-plugin.so" 2>&1 |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["threads"])' 2>&1)
is "-package nbdkit,nbdkit.threads links threads.cmxa" "$out" True || diag "$tmp/threads.log"
out=$(serve_run "$tmp/threads/nbdkit-ramdisk-plugin.so" -- 'nbdinfo --size "$uri"' 2>"$tmp/err")
is "... and nbdkit serves that plugin" "$out" 1048576 || diag "$tmp/err"

# The labelled sub-package.  Before the labelled module is installed, it
# is hidden (exists_if).  Its paths are then checked with a copy of the
# staged directory in which the record module's compiled files stand at
# nbdkit-labelled's place: the point is META's directory and archive
# lines, not the module.  Once make install installs the real labelled
# module, LABELLED_EXAMPLE (tests/packaging.mk) names a plugin written
# against it and that one is built instead.
# The labelled example (l132_testplugin.ml, nbdkit 1.32's test plugin)
# uses Unix and Mutex, which nbdkit's recipe links with unix.cmxa and
# threads.cmxa: here nbdkit.threads.
labelled_pkgs=nbdkit.labelled,nbdkit.threads
if [ -f "$ocamldir/nbdkit-labelled/NBDKit.cmx" ]; then
  labdir=$ocamldir
  labelled_src=${LABELLED_EXAMPLE:?the labelled module is installed: set LABELLED_EXAMPLE in tests/packaging.mk}
  like "the labelled sub-package is listed once its module is installed" \
    "$tmp/list" "^nbdkit\.labelled +\(version: $PACKAGE_VERSION\)"
else
  unlike "the labelled sub-package is hidden while its module is not installed" \
    "$tmp/list" "^nbdkit\.labelled "
  labdir=$tmp/ocaml
  cp -a "$ocamldir" "$labdir"
  mkdir "$labdir/nbdkit-labelled"
  cp "$ocamldir"/NBDKit.cm[ix] "$ocamldir"/NBDKit.o "$labdir/nbdkit-labelled/"
  labelled_src=$top_srcdir/examples/ramdisk.ml
  labelled_pkgs=nbdkit.labelled
fi
is "ocamlfind query nbdkit.labelled: \$(ocamllibdir)/nbdkit-labelled" \
  "$(cd "$(OCAMLPATH=$labdir ocamlfind query nbdkit.labelled)" && pwd -P)" \
  "$(cd "$labdir/nbdkit-labelled" && pwd -P)"
mkdir "$tmp/labelled"
cp "$labelled_src" "$tmp/labelled/plugin.ml"
(cd "$tmp/labelled" && OCAMLPATH=$labdir ocamlfind ocamlopt -verbose \
   -package "$labelled_pkgs" -linkpkg -output-obj -runtime-variant _pic \
   -o nbdkit-labelled-plugin.so plugin.ml) > "$tmp/labelled.log" 2>&1
like "-package nbdkit.labelled compiles against nbdkit-labelled/NBDKit.cmx" \
  "$tmp/labelled.log" "-I [^ ]*nbdkit-labelled .*nbdkit-labelled/NBDKit\.cmx"
like "... and links libnbdkitocaml.a from the main package's directory" \
  "$tmp/labelled.log" "nbdkit/\.\./libnbdkitocaml\.a"
out=$(serve_run "$tmp/labelled/nbdkit-labelled-plugin.so" -- 'nbdinfo --size "$uri"' 2>"$tmp/err")
is "... and nbdkit serves the plugin it built" "$out" 1048576 || diag "$tmp/labelled.log" "$tmp/err"

# examples/dune-plugin, copied out of the source tree.
cp -r "$top_srcdir/examples/dune-plugin" "$tmp/dune"
chmod -R u+w "$tmp/dune"
(cd "$tmp/dune" && t dune build --root . 2>&1) > "$tmp/dune.log"
so=$tmp/dune/_build/default/nbdkit-pattern-plugin.so
check "dune build gives nbdkit-pattern-plugin.so" test -f "$so" || diag "$tmp/dune.log"
out=$(serve_run "$so" size=64K -- \
        'nbdinfo --size "$uri"; nbdinfo --can write "$uri" || echo read-only; nbdcopy "$uri" - | od -An -tx1 -j 254 -N 4' \
        2>"$tmp/err")
is "nbdkit serves the dune-built plugin: size, read-only, data" "$(echo $out)" \
  "65536 read-only fe ff 00 01" || diag "$tmp/err"
out=$(t "$tool" info --json "$so" | python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["name"], d["thread_model"])')
is "nbdocaml-call info reads the dune-built plugin" "$out" \
  "pattern serialize_all_requests"

# The META file gives every directory the compiler needs, -I +unix on
# OCaml 5 included (ramdisk.ml uses Unix.EINVAL; l132_testplugin.ml
# Unix.getpid and Mutex), so no build above relied on the compiler
# finding unix.cmi by itself.
cat "$tmp/findlib.log" "$tmp/threads.log" "$tmp/labelled.log" "$tmp/dune.log" \
  > "$tmp/all.log"
unlike "no alert ocaml_deprecated_auto_include from ocamlfind or dune (OCaml $OCAML_VERSION)" \
  "$tmp/all.log" "ocaml_deprecated_auto_include"

e2e_done
