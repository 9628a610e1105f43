#!/bin/sh
# Install what libnbdocaml needs to build, test and benchmark on Debian 12,
# and to build, check and use its Debian packages: JSON-GLib (the tool),
# pod2man and man (the man pages), hexdump (the tool's tests), file (the
# unit-test example's test), odoc (NBDKit(3o)), dune (examples/dune-plugin),
# dpkg-dev, debhelper, dh-ocaml and lintian (scripts/build-debs.sh).
# Run as root.  Safe to run again.  It says what it is doing: on a fresh
# machine the download and installation take several minutes, and apt
# prints a line per package as it goes.
set -e
export DEBIAN_FRONTEND=noninteractive
packages="build-essential pkg-config autoconf automake libtool autoconf-archive
  ocaml-nox ocaml-findlib
  nbdkit nbdkit-plugin-dev libnbd-bin libnbd-dev python3-libnbd
  libglib2.0-dev valgrind qemu-utils fio hyperfine
  nbdkit-plugin-python nbdkit-plugin-lua
  curl libjson-glib-dev perl man-db bsdextrautils file ocaml-odoc ocaml-dune
  dpkg-dev debhelper dh-ocaml lintian git"

say () { echo "install-deps: $*"; }

say "updating the package lists (apt-get update) ..."
apt-get update -q
# shellcheck disable=SC2086
set -- $packages
say "installing $# packages and what they need; apt lists each one as it" \
  "is downloaded (Get:) and installed (Setting up) ..."
apt-get install -y -q --no-install-recommends "$@"
say "done: every package is installed."
