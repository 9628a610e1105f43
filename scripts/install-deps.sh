#!/bin/sh
# Install what libnbdocaml needs to build, test and benchmark on Debian 12,
# and to build, check and use its Debian packages: JSON-GLib (the tool),
# pod2man and man (the man pages), hexdump (the tool's tests), odoc
# (NBDKit(3o)), dune (examples/dune-plugin), dpkg-dev, debhelper, dh-ocaml
# and lintian (scripts/build-debs.sh).
# Run as root.  Safe to run again.
set -e
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
  build-essential pkg-config autoconf automake libtool autoconf-archive \
  ocaml-nox ocaml-findlib \
  nbdkit nbdkit-plugin-dev libnbd-bin libnbd-dev python3-libnbd \
  libglib2.0-dev valgrind qemu-utils fio hyperfine \
  nbdkit-plugin-python nbdkit-plugin-lua \
  curl libjson-glib-dev perl man-db bsdextrautils ocaml-odoc ocaml-dune \
  dpkg-dev debhelper dh-ocaml lintian git \
  >/dev/null
