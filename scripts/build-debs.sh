#!/bin/bash
# Build the Debian packages from the files git tracks, in a scratch copy
# of the tree (so that the build neither needs nor disturbs a configured
# tree), then run lintian on the result.
#
#   scripts/build-debs.sh [OUTDIR]
#
# OUTDIR (default: ./debs) receives the .deb files, the .changes file and
# lintian.log.  DEB_BUILD_OPTIONS is passed through (nocheck skips
# "make check" during the build).  Exits non-zero when the build fails or
# lintian reports an error or a warning that debian/ does not explain.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-debs}" && cd "${1:-debs}" && pwd)
version=$(dpkg-parsechangelog -l "$src/debian/changelog" -S Version)
work=$(mktemp -d "${TMPDIR:-/tmp}/nbdocaml-debs.XXXXXX")
trap 'rm -rf "$work"' EXIT

tree=$work/libnbdocaml-$version
mkdir "$tree"
# The files git tracks or would track, as they are in the working tree.
(cd "$src" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -c) | tar -x -C "$tree"

(cd "$tree" && dpkg-buildpackage -us -uc -b)
# lintian, on the whole upload: errors and warnings fail; info and
# pedantic tags are shown.  Those that remain are explained in
# debian/lintian-notes.
lintian --info --display-info --pedantic "$work"/*.changes > "$work/lintian.log" 2>&1 || true

rm -rf "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo "$out"/dbgsym
# The debug symbols go to a directory of their own, so that
# "apt-get install ./*.deb" in OUTDIR installs the four packages only.
mkdir "$out/dbgsym"
mv "$work"/*-dbgsym_*.deb "$out/dbgsym/"
cp "$work"/*.deb "$work"/*.changes "$work"/*.buildinfo "$work/lintian.log" "$out"/
ls -l "$out"

cat "$out/lintian.log"
if grep -q 'No packages selected\|^Skipping' "$out/lintian.log"; then
  echo "lintian did not check the packages" >&2
  exit 1
fi
if grep -E '^(E|W): ' "$out/lintian.log" |
   grep -v -F -f <(sed -n 's/^tag: //p' "$src/debian/lintian-notes") |
   grep -q .; then
  echo "lintian: errors or warnings not explained in debian/lintian-notes" >&2
  exit 1
fi
