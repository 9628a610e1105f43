#!/bin/bash
# After "make install", or after installing the Debian packages: a plugin
# built by the recipe in nbdkit-ocaml-plugin(3), verbatim, against the installed NBDKit.cmx
# and libnbdkitocaml.a; the same plugin built by ocamlfind with the
# installed META, and one built by dune; a C program outside the tree
# built with pkg-config against the installed library; the man pages
# found by name; the installed tool reading the plugin's first sector
# with no server; the labelled module by nbdkit 1.32's recipe and by
# ocamlfind.  Prints TAP.  Needs srcdir, libdir and nbdkitplugindir in the
# environment (bindir too, when it is not on PATH).  make installcheck
# also passes OCAML_BINDIR, the directory of the compiler configure found,
# which then comes first on PATH (with OCaml 5 built apart, that compiler's
# library directory is where make install put the files), and
# OCAMLFIND_CONF, ocamlfind's configuration for that compiler, and
# ocamllibdir, where the META file went: it is put first on OCAMLPATH,
# because Debian's dune searches only the directories it was built with
# (/usr/lib/ocaml) and OCAMLPATH, whichever compiler is on PATH.
set -u
export PATH=${bindir:+$bindir:}${OCAML_BINDIR:+$OCAML_BINDIR:}/usr/bin:$PATH
if [ -n "${ocamllibdir-}" ]; then
  export OCAMLPATH=$ocamllibdir${OCAMLPATH:+:$OCAMLPATH}
fi
export PKG_CONFIG_PATH="$libdir/pkgconfig${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
export DUNE_CACHE=disabled
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache
n=0; failed=0
ok () { n=$((n+1)); echo "ok $n - $1"; }
not_ok () { n=$((n+1)); failed=1; echo "not ok $n - $1"; }
check () { local d="$1"; shift; if "$@" >"$tmp/out" 2>&1; then ok "$d"; else not_ok "$d"; awk '{ print "# " $0 }' "$tmp/out"; fi; }
# expect DESC EXPECTED COMMAND...: the command's output is EXPECTED.
expect () {
  local d="$1" want="$2"; shift 2
  local got; got=$("$@" 2>"$tmp/err")
  if [ "$got" = "$want" ]; then ok "$d"; else
    not_ok "$d"; echo "#   got: '$got'"; echo "#   expected: '$want'"; awk '{ print "# " $0 }' "$tmp/err"; fi
}

echo "1..24"
cp "$srcdir/examples/ramdisk.ml" "$srcdir/examples/host.c" \
  "$srcdir/tests/plugins/l132_testplugin.ml" "$tmp/"
cp -r "$srcdir/examples/dune-plugin" "$tmp/dune"
chmod -R u+w "$tmp/dune"
cd "$tmp"
check "the recipe in nbdkit-ocaml-plugin(3), verbatim, builds a plugin from the installed NBDKit.cmx" \
  ocamlopt.opt -output-obj -runtime-variant _pic \
    -o nbdkit-ramdisk-plugin.so NBDKit.cmx ramdisk.ml -cclib -lnbdkitocaml
check "a C host builds with pkg-config --cflags --libs nbdocaml" \
  bash -c 'cc -Wall -Werror host.c -o host $(pkg-config --cflags --libs nbdocaml) -lpthread'
check "the C host opens the plugin and drives it from 4 threads" \
  ./host ./nbdkit-ramdisk-plugin.so size=1M
grep -q "4 threads x 500 write+read rounds: ok" out && ok "the host's data checks passed" || not_ok "the host's data checks passed"
grep -q "cache: cache: the plugin did not register this callback (errno 95)" out \
  && ok "a missing callback gives ENOTSUP through the installed library" \
  || { not_ok "a missing callback gives ENOTSUP through the installed library"; awk '{ print "# " $0 }' out; }
check "nbdkit serves the same .so by path" \
  nbdkit -U - ./nbdkit-ramdisk-plugin.so size=1M --run 'nbdinfo --size "$uri"'
cp nbdkit-ramdisk-plugin.so "$nbdkitplugindir/nbdkit-ramdisk-plugin.so"
check "nbdkit serves it by name from \$plugindir" \
  nbdkit -U - ramdisk size=2M --run 'test "$(nbdinfo --size "$uri")" = 2097152'
rm -f "$nbdkitplugindir/nbdkit-ramdisk-plugin.so"

# The installed tool, with no server at all.
expect "nbdocaml-call info: the plugin's name" "name:             ramdisk" \
  bash -c 'nbdocaml-call info ./nbdkit-ramdisk-plugin.so | grep "^name:"'
expect "nbdocaml-call reads the first sector with no nbdkit" \
  "Hello from an nbdkit plugin written in OCaml!" \
  bash -c 'nbdocaml-call call ./nbdkit-ramdisk-plugin.so -- open --readonly pread 512 0 | head -c 45'

# The man pages, by name, through man's own search path.
for page in nbdocaml nbdkit-ocaml-plugin NBDKit NBDKit-labelled nbdocaml-call; do
  check "man $page" bash -c "MANWIDTH=80 man --warnings $page 2>&1 >/dev/null | grep . && exit 1; man $page | grep -qix name"
done

# ocamlfind with the installed META: the same plugin as the recipe.
mkdir findlib && cp ramdisk.ml findlib/
check "ocamlfind -package nbdkit builds the same plugin as the seed's recipe" \
  bash -c 'cd findlib && ocamlfind ocamlopt -package nbdkit -linkpkg -output-obj -runtime-variant _pic -o nbdkit-ramdisk-plugin.so ramdisk.ml 2>&1 | tee ../findlib.log && cmp nbdkit-ramdisk-plugin.so ../nbdkit-ramdisk-plugin.so'
check "dune builds examples/dune-plugin and nbdkit serves it" \
  bash -c 'cd dune && dune build --root . && nbdkit -U - ./_build/default/nbdkit-pattern-plugin.so --run "test \"\$(nbdinfo --size \"\$uri\")\" = 1048576"'

# The labelled API of nbdkit >= 1.30: nbdkit 1.32's recipe verbatim, plus
# the one include directory that selects the installed labelled module.
check "the labelled module is installed in +nbdkit-labelled" \
  test -f "$(ocamlopt.opt -where)/nbdkit-labelled/NBDKit.cmx"
check "nbdkit 1.32's recipe with -I +nbdkit-labelled builds a labelled plugin" \
  ocamlopt.opt -output-obj -runtime-variant _pic \
    -o nbdkit-l132-plugin.so -I +nbdkit-labelled -I +unix -I +threads \
    unix.cmxa threads.cmxa NBDKit.cmx l132_testplugin.ml -cclib -lnbdkitocaml
check "nbdkit serves it, with its magic_config_key" \
  nbdkit -U - ./nbdkit-l132-plugin.so 2M --run 'test "$(nbdinfo --size "$uri")" = 2097152'
expect "nbdocaml-call info: the labelled API, its magic_config_key" \
  "labelled size" \
  bash -c 'nbdocaml-call info --json ./nbdkit-l132-plugin.so | python3 -c "import json, sys; d = json.load(sys.stdin); print(d[\"ocaml_api\"], d[\"magic_config_key\"])"'
expect "... and the OCaml it was built with is the installed compiler's" \
  "$(ocamlopt.opt -version)" \
  bash -c 'nbdocaml-call info --json ./nbdkit-l132-plugin.so | python3 -c "import json, sys; print(json.load(sys.stdin)[\"ocaml_version\"])"'
mkdir labelled && cp l132_testplugin.ml labelled/
check "ocamlfind -package nbdkit.labelled,nbdkit.threads builds the labelled plugin" \
  bash -c 'cd labelled && ocamlfind ocamlopt -package nbdkit.labelled,nbdkit.threads -linkpkg -output-obj -runtime-variant _pic -o nbdkit-l132-plugin.so l132_testplugin.ml 2>&1 | tee ../labelled.log && test -f nbdkit-l132-plugin.so'
check "nbdkit serves the plugin ocamlfind built" \
  nbdkit -U - ./labelled/nbdkit-l132-plugin.so size=3M --run 'test "$(nbdinfo --size "$uri")" = 3145728'
check "no build through ocamlfind printed OCaml 5's ocaml_deprecated_auto_include alert" \
  bash -c '! grep ocaml_deprecated_auto_include findlib.log labelled.log'
exit $failed
