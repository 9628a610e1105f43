#!/usr/bin/python3
"""Differential test: the same seeded random sequence of pwrite, pread,
trim, zero and flush against two NBD servers, comparing every read.

Usage: differential.py SEED OPS URI_A URI_B
Sizes run from 1 byte to 4 MiB (log-uniform, so most are small and every
scale is covered) at unaligned offsets.  Prints the seed first so that a
failure can be reproduced, and the first divergence if there is one."""

import random
import sys

import nbd

MAX = 4 * 1024 * 1024


def main():
    seed, ops, uri_a, uri_b = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4]
    print("# seed %d, %d operations" % (seed, ops), flush=True)
    rng = random.Random(seed)
    a, b = nbd.NBD(), nbd.NBD()
    a.connect_uri(uri_a)
    b.connect_uri(uri_b)
    size = a.get_size()
    assert size == b.get_size(), "sizes differ"
    counts = {}
    checked = 0
    for i in range(ops):
        n = min(int(2 ** rng.uniform(0, 22)), MAX)
        off = rng.randrange(0, size - n + 1)
        op = rng.choices(["pwrite", "pread", "trim", "zero", "flush"],
                         weights=[35, 45, 8, 8, 4])[0]
        counts[op] = counts.get(op, 0) + 1
        if op == "pwrite":
            data = rng.randbytes(n)
            a.pwrite(data, off)
            b.pwrite(data, off)
        elif op == "pread":
            da, db = a.pread(n, off), b.pread(n, off)
            checked += n
            if da != db:
                first = next(j for j in range(n) if da[j] != db[j])
                print("not ok - op %d: pread %d+%d differs at byte %d "
                      "(seed %d)" % (i, off, n, off + first, seed))
                return 1
        elif op == "trim":
            a.trim(n, off)
            b.trim(n, off)
        elif op == "zero":
            a.zero(n, off)
            b.zero(n, off)
        else:
            a.flush()
            b.flush()
    # A last full comparison, in 4 MiB pieces.
    for off in range(0, size, MAX):
        n = min(MAX, size - off)
        if a.pread(n, off) != b.pread(n, off):
            print("not ok - final comparison differs in %d+%d (seed %d)"
                  % (off, n, seed))
            return 1
        checked += n
    print("# %s; %d bytes compared, 0 divergences" %
          (", ".join("%s %d" % kv for kv in sorted(counts.items())), checked))
    a.shutdown()
    b.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
