#!/bin/sh
# Install what libnbdocaml needs to build, test and benchmark on Debian 12.
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
  >/dev/null
