#!/usr/bin/env python3
# libnbdocaml: two "make bench" runs side by side, as a Markdown table.
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
#   python3 bench/compare.py A.json B.json
#
# A.json and B.json are the BENCH_JSON files of two runs of "make bench",
# typically the same machine with two OCaml compilers (the OCaml 4.13 vs
# 5.3 table of bench/RESULTS.md).  Each run's numbers are its own, ratios
# against nbdkit's C plugin measured in that same run, so the two columns
# compare what each runtime costs relative to C, even when the runs were
# made at different times.  The last column is B's ratio over A's for the
# rows with a ratio (the target of issue 9: >= 0.9 at the same thread
# model), and B's overhead minus A's for the per-call rows.

import json
import sys


def load(path):
    with open(path) as f:
        return json.load(f)


def metrics(S):
    """(label, per-server value) for the bandwidth and IOPS rows."""
    out = [("bandwidth, nbdcopy 2 MiB, MiB/s",
            {k: v["bw"]["mib_s"] for k, v in S.items() if "bw" in v})]
    for rw in ("randread", "randwrite"):
        for qd in (1, 16):
            name = "%s_qd%d" % (rw, qd)
            out.append(("IOPS fio 4K %s qd%d" % (rw, qd),
                        {k: v[name]["iops"] for k, v in S.items()
                         if name in v}))
    return out


def ratio_rows(R):
    """(label, value, ratio to the C plugin at the same thread model) for
    the OCaml servers: ml_str and ml_buf against C par (nbdkit's default
    PARALLEL), ml_buf_ser against C ser (serialised)."""
    out = []
    for label, vals in metrics(R.get("servers", {})):
        for srv, ref in (("ml_str", "c_par"), ("ml_buf", "c_par"),
                         ("ml_buf_ser", "c_ser")):
            if srv in vals and vals.get(ref):
                out.append(("%s: %s / %s" % (label, srv, ref), vals[srv],
                            vals[srv] / vals[ref]))
    return out


def call_rows(R):
    C = R.get("calls", {})
    out = []
    for key, label in (("can_write", "trivial call over direct C, ns"),
                       ("can_write_threads",
                        "trivial call over direct C, threads.cmxa, ns")):
        if key in C and "direct_call" in C:
            out.append((label, C[key] - C["direct_call"]))
    # The runtime's own lock pair (bench/bench-runtime-floor.c), the part
    # of the threads.cmxa call that is the runtime's, not this library's.
    if "runtime_pair_threads" in C:
        out.append(("runtime's own lock pair, threads.cmxa, ns",
                    C["runtime_pair_threads"]))
    for sz in ("4k", "1m"):
        k = "pread_buf_%s_over" % sz
        if k in C:
            out.append(("pread_buf %s over memcpy, ns" % sz.upper(), C[k]))
    return out


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: compare.py A.json B.json")
    a, b = load(sys.argv[1]), load(sys.argv[2])
    va, vb = a.get("ocaml_version", "A"), b.get("ocaml_version", "B")
    print("| row | OCaml %s | OCaml %s | %s vs %s |" % (va, vb, vb, va))
    print("|---|---|---|---|")
    ca, cb = dict((r[0], r[1]) for r in call_rows(a)), \
        dict((r[0], r[1]) for r in call_rows(b))
    for label in ca:
        if label in cb:
            print("| %s | %+.0f | %+.0f | %+.0f ns |" % (
                label, ca[label], cb[label], cb[label] - ca[label]))
    ra = dict((r[0], r[1:]) for r in ratio_rows(a))
    rb = dict((r[0], r[1:]) for r in ratio_rows(b))
    for label in ra:
        if label in rb:
            print("| %s | %.0f (%.2fx C) | %.0f (%.2fx C) | %.2fx |" % (
                label, ra[label][0], ra[label][1], rb[label][0],
                rb[label][1], rb[label][1] / ra[label][1]))


if __name__ == "__main__":
    main()
