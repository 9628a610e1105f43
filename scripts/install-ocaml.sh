#!/bin/sh
# Build and install an OCaml compiler that Debian 12 does not package.
#
#   sh scripts/install-ocaml.sh VERSION [PREFIX]
#
# VERSION is one of the npm registry's versions of the package "ocaml"
# (5.3.0, 5.1.4, 4.14.0), which is the compiler's own source tree.  PREFIX
# defaults to $NBDOCAML_OCAML_CACHE/VERSION, and NBDOCAML_OCAML_CACHE to
# ~/.cache/libnbdocaml/ocaml, outside any clone.  The build (about 11
# minutes on 2 vCPUs) happens once: a second run finds the stamp
# PREFIX/.npm-version naming VERSION and returns at once.  The npm package's
# version is not always the compiler's: ocaml@5.1.4 holds OCaml 5.1.0, so the
# compiler is checked against its own source tree's VERSION file instead.  The last line printed is PREFIX/bin,
# to put first on PATH:
#
#   PATH=$(sh scripts/install-ocaml.sh 5.3.0 | tail -n1):$PATH
#
# Needs npm, or else curl or wget, and a C compiler and make.
set -eu

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: $0 VERSION [PREFIX]" >&2
  exit 2
fi
version=$1
cache=${NBDOCAML_OCAML_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/libnbdocaml/ocaml}
prefix=${2:-$cache/$version}
say () { echo "install-ocaml: $*" >&2; }

stamp=$prefix/.npm-version
if [ -x "$prefix/bin/ocamlopt.opt" ] &&
   { [ "$(cat "$stamp" 2>/dev/null)" = "$version" ] ||
     [ "$("$prefix/bin/ocamlopt.opt" -version)" = "$version" ]; }; then
  say "OCaml $version already in $prefix"
  echo "$prefix/bin"
  exit 0
fi

src=$cache/src
mkdir -p "$src"
tarball=$src/ocaml-$version.tgz
if [ ! -s "$tarball" ]; then
  say "fetching ocaml@$version from the npm registry"
  if command -v npm >/dev/null; then
    (cd "$src" && npm pack --silent "ocaml@$version" >/dev/null)
  else
    # The registry's own address for the package, without npm.
    url=https://registry.npmjs.org/ocaml/-/ocaml-$version.tgz
    if command -v curl >/dev/null; then
      curl -fsSL -o "$tarball.part" "$url" && mv "$tarball.part" "$tarball"
    elif command -v wget >/dev/null; then
      wget -q -O "$tarball.part" "$url" && mv "$tarball.part" "$tarball"
    else
      say "neither npm nor curl nor wget found"; exit 1
    fi
  fi
fi
[ -s "$tarball" ] || { say "npm pack gave no $tarball"; exit 1; }

# A scratch tree per run, so an interrupted build never poisons the cache.
work=$(mktemp -d "${TMPDIR:-/tmp}/install-ocaml.XXXXXX")
trap 'rm -rf "$work"' EXIT
tar -xzf "$tarball" -C "$work"
cd "$work/package"
jobs=$(nproc 2>/dev/null || echo 2)
log=$work/build.log
say "configuring OCaml $version for $prefix (log: $log)"
./configure --prefix="$prefix" >"$log" 2>&1 ||
  { tail -n 40 "$log" >&2; say "configure failed"; exit 1; }
say "building with make -j$jobs (about 11 minutes on 2 vCPUs)"
make -j"$jobs" >>"$log" 2>&1 || { tail -n 40 "$log" >&2; say "make failed"; exit 1; }
say "installing into $prefix"
make install >>"$log" 2>&1 || { tail -n 40 "$log" >&2; say "make install failed"; exit 1; }
source_version=$(head -n1 VERSION)
reported=$("$prefix/bin/ocamlopt.opt" -version)
[ "$reported" = "$source_version" ] ||
  { say "the installed compiler reports $reported, its source says $source_version"; exit 1; }
echo "$version" > "$stamp"
[ "$reported" = "$version" ] ||
  say "note: the npm package ocaml@$version is OCaml $reported"
say "OCaml $reported installed in $prefix"
echo "$prefix/bin"
