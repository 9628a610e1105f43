#!/usr/bin/env bash
# What "make install" installs (staged in tests/stage by tests/packaging.mk,
# never in the system's directories): each file where the documentation
# and the Debian packages expect it, every file claimed by one package,
# the man pages found by name, the header, library and .pc usable by a C
# program, the tool runnable, and nothing left by "make uninstall".
. "$(dirname "$0")/e2e-lib.sh"
: "${STAGE:?}" "${prefix:?}" "${ocamllibdir:?}"
require_plugin e2e_ramdisk

plan 8
s=$STAGE
[ -f "$s/.stamp" ] || { echo "Bail out! $s was not staged"; exit 1; }

missing=()
for f in "$libdir/libnbdocaml.so.0" "$libdir/libnbdocaml.so" \
         "$libdir/pkgconfig/nbdocaml.pc" "$includedir/nbdocaml.h" \
         "$bindir/nbdocaml-call" \
         "$ocamllibdir/NBDKit.cmi" "$ocamllibdir/NBDKit.cmx" \
         "$ocamllibdir/NBDKit.o" "$ocamllibdir/NBDKit.mli" \
         "$ocamllibdir/libnbdkitocaml.a" "$ocamllibdir/nbdkit/META" \
         "$ocamllibdir/nbdkit-labelled/NBDKit.cmi" \
         "$ocamllibdir/nbdkit-labelled/NBDKit.cmx" \
         "$ocamllibdir/nbdkit-labelled/NBDKit.o" \
         "$ocamllibdir/nbdkit-labelled/NBDKit.mli" \
         "$mandir/man1/nbdocaml-call.1" "$mandir/man3/nbdocaml.3" \
         "$mandir/man3/nbdkit-ocaml-plugin.3" "$mandir/man3/NBDKit.3o" \
         "$mandir/man3/NBDKit-labelled.3o"; do
  [ -e "$s$f" ] || missing+=("$f")
done
is "every documented file is installed where it is documented" "${missing[*]-}" ""

# Each installed file matches a line of exactly one debian/*.install (or
# debian/not-installed), once the staged prefixes are mapped onto
# Debian's: a file the packages would not ship fails here, before a
# package build would.
patterns=$tmp/patterns
for f in "$top_srcdir"/debian/*.install "$top_srcdir"/debian/*.install.in \
         "$top_srcdir"/debian/not-installed; do
  # During a package build dh_ocamlinit makes X.install from X.install.in.
  [ -f "$f.in" ] && continue
  grep -v '^#' "$f" | sed -e 's|@OCamlStdlibDir@|usr/lib/ocaml|' -e "s|^|$(basename "$f") |"
done > "$patterns"
unclaimed=()
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
while read -r f; do
  f=${f#.}
  case $f in
    "$ocamllibdir"/*) d=usr/lib/ocaml/${f#"$ocamllibdir"/} ;;
    "$libdir"/*) d=usr/lib/$multiarch/${f#"$libdir"/} ;;
    "$prefix"/*) d=usr/${f#"$prefix"/} ;;
    *) d=$f ;;
  esac
  claims=0
  while read -r pkg pat; do
    # shellcheck disable=SC2053
    [[ $d == $pat ]] && claims=$((claims + 1))
  done < "$patterns"
  [ "$claims" -eq 1 ] || unclaimed+=("$d($claims)")
done < <(cd "$s" && find . ! -type d ! -name .stamp)
is "each installed file is claimed by exactly one Debian package" "${unclaimed[*]-}" ""

out=$(for p in nbdocaml nbdkit-ocaml-plugin NBDKit NBDKit-labelled nbdocaml-call; do
        man -M "$s$mandir" -w "$p" 2>&1 | sed "s|^$s$mandir/||"
      done | tr '\n' ' ')
is "man finds each page by name" "$out" \
  "man3/nbdocaml.3 man3/nbdkit-ocaml-plugin.3 man3/NBDKit.3o man3/NBDKit-labelled.3o man1/nbdocaml-call.1 "

# The staged .pc, header and library, with pkg-config's sysroot support.
cp "$top_srcdir/examples/host.c" "$tmp/"
export PKG_CONFIG_SYSROOT_DIR=$s PKG_CONFIG_PATH=$s$libdir/pkgconfig
check "a C host builds with pkg-config against the staged files" \
  bash -c "cc -Wall -Werror ${SANITIZER_CFLAGS-} '$tmp/host.c' -o '$tmp/host' \$(pkg-config --cflags --libs nbdocaml) -lpthread"
LD_LIBRARY_PATH=$s$libdir t "$tmp/host" "$(plugin e2e_ramdisk)" size=1M > "$tmp/host.out" 2>&1
like "... and drives a plugin from 4 threads" "$tmp/host.out" "4 threads x 500 write\+read rounds: ok"
unset PKG_CONFIG_SYSROOT_DIR PKG_CONFIG_PATH

out=$(LD_LIBRARY_PATH=$s$libdir t "$s$bindir/nbdocaml-call" --version 2>&1)
is "the installed tool runs with the installed library" "$out" \
  "nbdocaml-call $PACKAGE_VERSION
libnbdocaml $PACKAGE_VERSION"
out=$(LD_LIBRARY_PATH=$s$libdir t "$s$bindir/nbdocaml-call" call "$(plugin e2e_ramdisk)" -- open get_size 2>&1)
is "... and calls a plugin" "$out" 1048576

is "make uninstall removes every file make install installed, and our directories" \
  "$(cat "$top_builddir/tests/stage-leftovers" 2>&1)" ""

e2e_done
