#!/usr/bin/env python3
# libnbdocaml benchmark driver: "make bench" runs it.
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
# Prints ONE table, every number measured in this run: the OCaml plugins
# (string API and zero-copy _buf API) against nbdkit's C memory plugin
# (allocator=malloc, at its own PARALLEL model and serialised with
# --filter=noparallel serialize=all-requests; the better of the two per row
# is "best C"), Python and Lua.  Same nbdkit, same clients, same number of
# connections, and can_multi_conn true for every server (checked with
# nbdinfo).  Each number is the median of BENCH_RUNS runs; the servers
# all run at once and are measured round-robin, one run each per round, so
# that changes in the machine's load bias no ratio.  Only the
# standard library: it runs under any python3 (it never imports nbd).
#
# The targets of issue 6 are printed next to each row with PASS or MISS;
# a miss never makes the run fail (exit status 0 unless a tool broke).

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time


def env_size(name, default):
    v = os.environ.get(name, "").strip()
    return v or default


def parse_size(s):
    scale = {"K": 10, "k": 10, "M": 20, "G": 30, "T": 40}
    if s[-1] in scale:
        return int(s[:-1]) << scale[s[-1]]
    return int(s)


QUICK = os.environ.get("BENCH_QUICK", "0") not in ("", "0")
SIZE = env_size("BENCH_SIZE", "256M" if QUICK else "1G")
RUNS = int(env_size("BENCH_RUNS", "1" if QUICK else "3"))
FIO_RUNTIME = int(env_size("BENCH_FIO_RUNTIME", "2" if QUICK else "5"))
ONLY = set(filter(None, os.environ.get("BENCH_ONLY", "").split(","))) or \
    {"bw", "iops", "calls", "threads", "file"}
JSON_OUT = os.environ.get("BENCH_JSON", "")
# A subset of the servers (c_par,c_ser,ml_str,ml_buf,py,lua), for
# development: the table then lacks the others' columns.
SERVERS = set(filter(None, os.environ.get("BENCH_SERVERS", "").split(",")))

# The OCaml the plugins are built with (make bench passes it).
OCAML_VERSION = os.environ.get("OCAML_VERSION", "?")

# The clients, as the issue fixes them.
NBDCOPY = ["nbdcopy", "--no-extents", "-C", "4", "--request-size=2097152"]
FIO_BASE = ["fio", "--ioengine=nbd", "--bs=4k", "--numjobs=1",
            "--time_based", "--output-format=json", "--name=bench"]

# nbdsh, nbdinfo and nbdkit's python plugin need the system python, not a
# pyenv one that may come first on PATH.
ENV = dict(os.environ, PATH="/usr/bin:" + os.environ.get("PATH", ""))


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, env=ENV, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed (%d):\n%s%s" % (
            " ".join(cmd), r.returncode, r.stdout[-2000:], r.stderr[-2000:]))
    return r.stdout


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Server:
    """One nbdkit in the foreground on a Unix socket, ready when it has
    written its pidfile."""

    def __init__(self, tmp, name, args):
        self.sock = os.path.join(tmp, name + ".sock")
        self.pidfile = os.path.join(tmp, name + ".pid")
        self.errlog = open(os.path.join(tmp, name + ".log"), "w")
        for f in (self.sock, self.pidfile):
            if os.path.exists(f):
                os.unlink(f)
        cmd = ["nbdkit", "-f", "-U", self.sock, "-P", self.pidfile] + args
        self.proc = subprocess.Popen(cmd, env=ENV, stdout=self.errlog,
                                     stderr=self.errlog)
        deadline = time.time() + 60
        while not (os.path.exists(self.pidfile) and
                   os.path.getsize(self.pidfile) > 0):
            if self.proc.poll() is not None or time.time() > deadline:
                self.errlog.flush()
                raise RuntimeError("nbdkit %s did not start: %s" % (
                    " ".join(args), open(self.errlog.name).read()[-2000:]))
            time.sleep(0.05)
        self.uri = "nbd+unix:///?socket=" + self.sock

    def status(self, key):
        """A line of /proc/PID/status, in KiB."""
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
        return 0

    def cpu_seconds(self):
        """User and system CPU time used so far by the server (all its
        threads), from /proc/PID/stat."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / \
            os.sysconf("SC_CLK_TCK")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.errlog.close()


def can_multi_conn(uri):
    info = json.loads(run(["nbdinfo", "--json", uri]))
    return info["exports"][0].get("can_multi_conn")


def nbdcopy_bandwidth(uris, tmp, size, rnd):
    """One round of nbdcopy URI null: against every server, back to back,
    timed by hyperfine: {key: MiB/s}."""
    out = os.path.join(tmp, "hyperfine.json")
    keys = list(uris)
    run(["hyperfine", "-N", "--style", "none", "--runs", "1",
         "--export-json", out] +
        [" ".join(NBDCOPY + [uris[k], "null:"]) for k in keys])
    with open(out) as f:
        res = json.load(f)["results"]
    return {k: size / 2**20 / r["times"][0] for k, r in zip(keys, res)}


def fio_iops(uri, rw, iodepth, numjobs=1, ios=None):
    """IOPS (all jobs summed) of one fio run; with ios (a list), append
    the number of requests done to it."""
    cmd = FIO_BASE + ["--uri=" + uri, "--rw=" + rw,
                      "--iodepth=%d" % iodepth,
                      "--runtime=%d" % FIO_RUNTIME,
                      "--group_reporting"]
    cmd[cmd.index("--numjobs=1")] = "--numjobs=%d" % numjobs
    out = run(cmd)
    # fio may print warnings before the JSON.
    data = json.loads(out[out.index("{"):])
    key = "read" if "read" in rw else "write"
    if ios is not None:
        ios.append(sum(j[key]["total_ios"] for j in data["jobs"]))
    return sum(j[key]["iops"] for j in data["jobs"])


# -- the servers ---------------------------------------------------------

def servers(b, s, size):
    mem = ["memory", "size=" + size, "allocator=malloc"]
    return [
        ("c_par", "C memory (parallel)", mem),
        ("c_ser", "C memory (serialised)",
         ["--filter=noparallel"] + mem + ["serialize=all-requests"]),
        ("ml_str", "OCaml string",
         [os.path.join(b, "bench/nbdkit-ram_string-plugin.so"),
          "size=" + size]),
        ("ml_buf", "OCaml _buf",
         [os.path.join(b, "bench/nbdkit-ram_buf-plugin.so"),
          "size=" + size]),
        # Not a competitor: the _buf plugin with nbdkit serialising every
        # request, to show what the PARALLEL model costs a plugin whose
        # runtime serialises its callbacks anyway (see bench/RESULTS.md).
        ("ml_buf_ser", "OCaml _buf, serialised (info)",
         ["--filter=noparallel",
          os.path.join(b, "bench/nbdkit-ram_buf-plugin.so"),
          "size=" + size, "serialize=all-requests"]),
        ("py", "Python",
         ["python", os.path.join(s, "bench/ram.py"), "size=" + size]),
        # nbdkit-lua-plugin has no can_multi_conn: the filter advertises it.
        ("lua", "Lua",
         ["--filter=multi-conn", "lua", os.path.join(s, "bench/ram.lua"),
          "size=" + size, "multi-conn-mode=unsafe"]),
    ]


IOPS_CASES = [("randread", 1), ("randread", 16),
              ("randwrite", 1), ("randwrite", 16)]


def bench_servers(b, s, tmp, R):
    """All the servers run side by side (idle ones cost nothing) and every
    measurement goes round-robin, one run per server per round, so that a
    change in the machine's load (other users, a noisy neighbour) hits
    every server alike instead of biasing the ratios."""
    size = SIZE
    nbytes = parse_size(size)
    srv, S = {}, R.setdefault("servers", {})
    try:
        for key, label, args in servers(b, s, size):
            if SERVERS and key not in SERVERS:
                continue
            srv[key] = Server(tmp, key, args)
            S[key] = {"label": label,
                      "can_multi_conn": can_multi_conn(srv[key].uri)}
            # Fill the whole disk through the plugin's pwrite, so that
            # every page holds real data (a never-written malloc'ed page
            # would read as the shared zero page, unfairly fast).
            t0 = time.time()
            run(["nbdcopy", "--", "[", "nbdkit", "pattern",
                 "size=" + size, "]", srv[key].uri])
            S[key]["fill_s"] = time.time() - t0
            log("== %s: filled %s in %.1f s" % (label, size,
                                                S[key]["fill_s"]))
        uris = {k: v.uri for k, v in srv.items()}
        if "bw" in ONLY:
            if not QUICK:
                nbdcopy_bandwidth(uris, tmp, nbytes, -1)    # warm-up round
            runs = {k: [] for k in srv}
            for rnd in range(RUNS):
                for k, v in nbdcopy_bandwidth(uris, tmp, nbytes, rnd).items():
                    runs[k].append(v)
                log("bandwidth round %d: %s" % (rnd + 1, ", ".join(
                    "%s %.0f" % (k, runs[k][-1]) for k in srv)))
            for k in srv:
                S[k]["bw"] = {"mib_s": median(runs[k]), "runs": runs[k]}
                S[k]["rss_kib"] = srv[k].status("VmRSS")
                S[k]["hwm_kib"] = srv[k].status("VmHWM")
        if "iops" in ONLY:
            for rw, qd in IOPS_CASES:
                name = "%s_qd%d" % (rw, qd)
                runs = {k: [] for k in srv}
                for rnd in range(RUNS):
                    for k in srv:
                        runs[k].append(fio_iops(uris[k], rw, qd))
                    log("%s round %d: %s" % (name, rnd + 1, ", ".join(
                        "%s %.0f" % (k, runs[k][-1]) for k in srv)))
                for k in srv:
                    S[k][name] = {"iops": median(runs[k]), "runs": runs[k]}
    finally:
        for v in srv.values():
            v.stop()


# -- the file plugins ----------------------------------------------------

FILE_CASES = [("randread", 16), ("randwrite", 16)]


def file_servers(b, path):
    """nbdkit's C file plugin and examples/filedisk.ml on the same file,
    each at its own model (PARALLEL) and serialised."""
    c = ["file", "file=" + path]
    ml = [os.path.join(b, "examples/nbdkit-filedisk-plugin.so"),
          "file=" + path]
    ser = ["serialize=all-requests"]
    return [
        ("c_par", "C file (parallel)", c),
        ("c_ser", "C file (serialised)", ["--filter=noparallel"] + c + ser),
        ("ml_par", "OCaml filedisk (parallel)", ml),
        ("ml_ser", "OCaml filedisk (serialised)",
         ["--filter=noparallel"] + ml + ser),
    ]


def bench_file(b, tmp, R):
    """The file-backed example against nbdkit's C file plugin, serving the
    same file with the page cache warm, round-robin like bench_servers."""
    size = SIZE
    nbytes = parse_size(size)
    path = os.path.join(tmp, "file.img")
    # Real data in every block, then read once so that it is all cached.
    run(["nbdkit", "-U", "-", "pattern", "size=" + size, "--run",
         "nbdcopy \"$uri\" " + path])
    with open(path, "rb") as f:
        while f.read(1 << 24):
            pass
    out = R.setdefault("file", {})
    srv = {}
    try:
        for key, label, args in file_servers(b, path):
            srv[key] = Server(tmp, "file_" + key, args)
            out[key] = {"label": label,
                        "can_multi_conn": can_multi_conn(srv[key].uri)}
        uris = {k: v.uri for k, v in srv.items()}
        if not QUICK:
            nbdcopy_bandwidth(uris, tmp, nbytes, -1)        # warm-up round
        runs = {k: [] for k in srv}
        for rnd in range(RUNS):
            for k, v in nbdcopy_bandwidth(uris, tmp, nbytes, rnd).items():
                runs[k].append(v)
            log("file bandwidth round %d: %s" % (rnd + 1, ", ".join(
                "%s %.0f" % (k, runs[k][-1]) for k in srv)))
        for k in srv:
            out[k]["bw"] = {"mib_s": median(runs[k]), "runs": runs[k]}
        for rw, qd in FILE_CASES:
            name = "%s_qd%d" % (rw, qd)
            runs = {k: [] for k in srv}
            # The server's CPU time per request: what the plugin costs,
            # less sensitive than IOPS to other users of a shared machine.
            cpu = {k: [] for k in srv}
            for rnd in range(RUNS):
                for k in srv:
                    ios = []
                    t0 = srv[k].cpu_seconds()
                    runs[k].append(fio_iops(uris[k], rw, qd, ios=ios))
                    cpu[k].append((srv[k].cpu_seconds() - t0) * 1e6 /
                                  max(ios[0], 1))
                log("file %s round %d: %s" % (name, rnd + 1, ", ".join(
                    "%s %.0f (%.1f us CPU)" % (k, runs[k][-1], cpu[k][-1])
                    for k in srv)))
            for k in srv:
                out[k][name] = {"iops": median(runs[k]), "runs": runs[k],
                                "cpu_us": median(cpu[k]),
                                "cpu_us_runs": cpu[k]}
    finally:
        for v in srv.values():
            v.stop()


def file_table(F):
    """One row per measurement: each server, the best of each plugin
    (its better thread model) and OCaml's best over C's best."""
    rows = []
    metrics = [("bandwidth nbdcopy -C 4 2M -> null:, %s" % SIZE, "MiB/s",
                lambda r: r["bw"]["mib_s"])]
    metrics += [("IOPS fio 4K %s qd%d" % (rw, qd), "IOPS",
                 (lambda k: lambda r: r[k]["iops"])("%s_qd%d" % (rw, qd)))
                for rw, qd in FILE_CASES]
    for name, unit, get in metrics:
        v = {k: get(F[k]) for k in ("c_par", "c_ser", "ml_par", "ml_ser")}
        best_c = max(v["c_par"], v["c_ser"])
        best_ml = max(v["ml_par"], v["ml_ser"])
        ratio = best_ml / best_c
        rows.append([name, unit, fmt(v["c_par"]), fmt(v["c_ser"]),
                     fmt(best_c), fmt(v["ml_par"]), fmt(v["ml_ser"]),
                     fmt(best_ml), "%.2fx" % ratio, ">= 0.9x",
                     verdict(ratio >= 0.9)])
    # Lower is better: ratios are C's best (lowest) over OCaml's.
    for rw, qd in FILE_CASES:
        k = "%s_qd%d" % (rw, qd)
        v = {s: F[s][k]["cpu_us"] for s in ("c_par", "c_ser", "ml_par",
                                            "ml_ser")}
        best_c = min(v["c_par"], v["c_ser"])
        best_ml = min(v["ml_par"], v["ml_ser"])
        rows.append(["server CPU per request, %s qd%d" % (rw, qd), "us",
                     fmt(v["c_par"]), fmt(v["c_ser"]), fmt(best_c),
                     fmt(v["ml_par"]), fmt(v["ml_ser"]), fmt(best_ml),
                     "%.2fx" % (best_c / best_ml),
                     "(no target; lower is better)", "info"])
    head = ["metric", "unit", "C file par", "C file ser", "best C",
            "OCaml file par", "OCaml file ser", "best OCaml", "ratio",
            "target", "result"]
    widths = [max(len(str(r[i])) for r in rows + [head])
              for i in range(len(head))]

    def line(r):
        return "| " + " | ".join(str(c).ljust(w)
                                 for c, w in zip(r, widths)) + " |"
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def bench_threads(b, tmp, R):
    out = R.setdefault("threads", {})
    for key, so in (("threads", "nbdkit-sleepy-plugin.so"),
                    ("nothreads", "nbdkit-sleepy_nothreads-plugin.so")):
        log("== sleepy (%s)" % key)
        srv = Server(tmp, "sleepy_" + key,
                     [os.path.join(b, "bench", so), "size=64M"])
        try:
            # 16 clients: 16 fio jobs (processes), one NBD connection each,
            # one request in flight each; 1 client: one such job.  The two
            # alternate, run by run.
            one, many = [], []
            for _ in range(RUNS):
                one.append(fio_iops(srv.uri, "randread", 1, numjobs=1))
                many.append(fio_iops(srv.uri, "randread", 1, numjobs=16))
            out[key] = {"iops_1": {"iops": median(one), "runs": one},
                        "iops_16": {"iops": median(many), "runs": many}}
            out[key]["speedup"] = median(many) / median(one)
            log("   1 client %.0f IOPS, 16 clients %.0f IOPS: %.1fx" % (
                median(one), median(many), out[key]["speedup"]))
        finally:
            srv.stop()


def bench_calls(b, R):
    log("== in-process calls (bench-calls)")
    exe = os.path.join(b, "bench/bench-calls")
    runs = []
    for _ in range(RUNS):
        runs.append(json.loads(run([
            exe, os.path.join(b, "bench/nbdkit-ram_string-plugin.so"),
            os.path.join(b, "bench/nbdkit-ram_buf-plugin.so"),
            os.path.join(b, "bench/nbdkit-ram_string_threads-plugin.so")])))
    # The runtime's own lock pair, in an object built like a plugin but
    # without this library: the floor under the trivial call.
    floor = os.path.join(b, "bench/bench-runtime-floor")
    for r in runs:
        r.update(json.loads(run([
            floor, os.path.join(b, "bench/runtime-floor.so"),
            os.path.join(b, "bench/runtime-floor-threads.so")])))
    for r in runs:
        r.pop("ocaml_version", None)
    R["calls"] = {k: median([r[k] for r in runs]) for k in runs[0]}
    R["calls"]["runs"] = runs


# -- the table -------------------------------------------------------------

def fmt(x, unit=""):
    if x is None:
        return "-"
    if abs(x) >= 100:
        return "%.0f%s" % (x, unit)
    if abs(x) >= 10:
        return "%.1f%s" % (x, unit)
    return "%.2f%s" % (x, unit)


def sfmt(x):
    """fmt with an explicit sign."""
    return ("+" if x >= 0 else "") + fmt(x)


def verdict(ok):
    return "PASS" if ok else "MISS"


def table(R):
    # metric, unit, C par, C ser, best C, str, buf, py, lua, buf ser,
    # target, result
    rows = []
    S = R.get("servers", {})

    def val(key, getter):
        try:
            return getter(S[key])
        except (KeyError, TypeError):
            return None

    def cells(getter, higher_better=True):
        v = {k: val(k, getter) for k in
             ("c_par", "c_ser", "ml_str", "ml_buf", "py", "lua",
              "ml_buf_ser")}
        cs = [x for x in (v["c_par"], v["c_ser"]) if x is not None]
        best = (max(cs) if higher_better else min(cs)) if cs else None
        ratio = {k: (v[k] / best if best and v[k] is not None else None)
                 for k in v}

        def c(k):
            if v[k] is None:
                return "-"
            return "%s (%.2fx)" % (fmt(v[k]), ratio[k])
        return v, best, ratio, [fmt(v["c_par"]), fmt(v["c_ser"]),
                                fmt(best), c("ml_str"), c("ml_buf"),
                                c("py"), c("lua"), c("ml_buf_ser")]

    if "bw" in ONLY and S:
        v, best, ratio, cl = cells(lambda r: r["bw"]["mib_s"])
        ok_buf = ratio["ml_buf"] is not None and ratio["ml_buf"] >= 0.95
        ok_str = (ratio["ml_str"] is not None and ratio["ml_str"] >= 0.85
                  and v["py"] is not None and v["ml_str"] > v["py"])
        rows.append(["bandwidth nbdcopy -C 4 2M -> null:, %s" % SIZE,
                     "MiB/s"] + cl + [
            "_buf >= 0.95x; string >= 0.85x and > Python",
            "_buf %s, string %s" % (verdict(ok_buf), verdict(ok_str))])
    for rw, qd in IOPS_CASES if "iops" in ONLY and S else []:
        k = "%s_qd%d" % (rw, qd)
        v, best, ratio, cl = cells(lambda r: r[k]["iops"])
        if qd == 16:
            ok = all(ratio[p] is not None and ratio[p] >= 0.9
                     for p in ("ml_str", "ml_buf"))
            tgt, res = "string and _buf >= 0.9x", verdict(ok)
            if not ok:
                res += " (%s)" % ", ".join(
                    "%s %.2fx" % (n, ratio[p]) for p, n in
                    (("ml_str", "string"), ("ml_buf", "_buf"))
                    if ratio[p] is not None and ratio[p] < 0.9)
        else:
            tgt, res = "(no target)", "info"
        rows.append(["IOPS fio 4K %s qd%d" % (rw, qd), "IOPS"] + cl +
                    [tgt, res])
    if "bw" in ONLY and S:
        # Smaller is better: ratios are RSS / C's RSS.
        for what, key in (("RSS after bandwidth", "rss_kib"),
                          ("peak RSS (VmHWM)", "hwm_kib")):
            v, best, ratio, cl = cells(lambda r: r[key] / 1024.0,
                                       higher_better=False)
            rows.append(["server %s" % what, "MiB"] + cl +
                         ["(no target; lower is better)", "info"])

    C = R.get("calls")
    if C:
        over = C["can_write"] - C["direct_call"]
        rows.append(["in-process trivial call (can_write)", "ns/call",
                     "-", "-", "%s (direct)" % fmt(C["direct_call"]),
                     "%s (%s)" % (fmt(C["can_write"]), sfmt(over)),
                     "(same)", "-", "-", "-",
                     "<= 100 ns over the direct C call",
                     "%s (+%.0f ns)" % (verdict(over <= 100), over)])
        over_t = C["can_write_threads"] - C["direct_call"]
        rows.append(["  ... with threads.cmxa", "ns/call",
                     "-", "-", "%s (direct)" % fmt(C["direct_call"]),
                     "%s (%s)" % (fmt(C["can_write_threads"]), sfmt(over_t)),
                     "(same)", "-", "-", "-",
                     "<= 100 ns over the direct C call",
                     "%s (+%.0f ns)" % (verdict(over_t <= 100), over_t)])
        if "runtime_pair_threads" in C:
            # What the OCaml runtime itself charges for giving the runtime
            # back and taking it again, which every call must do; the rest
            # of the trivial call's cost over a direct call is ours.  On
            # OCaml 4 without threads.cmxa the library takes a mutex of its
            # own instead of that pair: no floor to show there.
            pairs = [("with threads.cmxa", "runtime_pair_threads",
                      "can_write_threads")]
            if not OCAML_VERSION.startswith("4."):
                pairs.insert(0, ("without threads.cmxa", "runtime_pair",
                                 "can_write"))
            for label, pair, total in pairs:
                ours = C[total] - C["direct_call"] - C[pair]
                rows.append(["  runtime's own lock pair, %s" % label,
                             "ns/call", "-", "-", "-",
                             "%s (library: %s)" % (fmt(C[pair]), sfmt(ours)),
                             "-", "-", "-", "-",
                             "(the floor; library = call - direct - pair)",
                             "info"])
        for sz in ("4k", "1m"):
            m = C["memcpy_" + sz]
            rows.append(["in-process pread %s (+ = over memcpy)" % sz.upper(),
                         "ns/call", "-", "-", "%s (memcpy)" % fmt(m),
                         "%s (%s)" % (fmt(C["pread_string_" + sz]),
                                      sfmt(C["pread_string_%s_over" % sz])),
                         "%s (%s)" % (fmt(C["pread_buf_" + sz]),
                                      sfmt(C["pread_buf_%s_over" % sz])),
                         "-", "-", "-", "", ""])
        o4, o1 = C["pread_buf_4k_over"], C["pread_buf_1m_over"]
        slack = 0.10 * C["memcpy_1m"]
        rows[-1][-2] = ("_buf cost over memcpy independent of size: "
                        "over(1M) - over(4K) <= 10% of memcpy(1M)")
        rows[-1][-1] = "%s (%+.0f ns, limit %.0f)" % (
            verdict(o1 - o4 <= slack), o1 - o4, slack)
        rows[-2][-2] = "(no target)"
        rows[-2][-1] = "info"

    T = R.get("threads")
    if T and "threads" in T:
        t = T["threads"]
        n = T.get("nothreads")
        rows.append(["concurrency: 5 ms pread, 16 clients vs 1 (threads.cmxa)",
                     "x", "-", "-", "-",
                     "%s/%s IOPS = %.1fx" % (fmt(t["iops_16"]["iops"]),
                                             fmt(t["iops_1"]["iops"]),
                                             t["speedup"]),
                     "-", "-", "-", "-", ">= 8x at 16 clients",
                     verdict(t["speedup"] >= 8)])
        if n:
            rows.append(["  control: same plugin without threads.cmxa",
                         "x", "-", "-", "-",
                         "%s/%s IOPS = %.1fx" % (fmt(n["iops_16"]["iops"]),
                                                 fmt(n["iops_1"]["iops"]),
                                                 n["speedup"]),
                         "-", "-", "-", "-", "(expected ~1x)", "info"])

    head = ["metric", "unit", "C par", "C ser", "best C", "OCaml string",
            "OCaml _buf", "Python", "Lua", "(info) _buf ser", "target",
            "result"]
    widths = [max(len(str(r[i])) for r in rows + [head])
              for i in range(len(head))]

    def line(r):
        return "| " + " | ".join(str(c).ljust(w)
                                 for c, w in zip(r, widths)) + " |"
    out = [line(head), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--builddir", default=".")
    ap.add_argument("--srcdir", default=".")
    a = ap.parse_args()
    b, s = os.path.abspath(a.builddir), os.path.abspath(a.srcdir)
    for tool in ("nbdkit", "nbdcopy", "nbdinfo", "fio", "hyperfine"):
        if shutil.which(tool, path=ENV["PATH"]) is None:
            sys.exit("bench: %s not found" % tool)

    R = {"date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
         "size": SIZE, "runs": RUNS, "fio_runtime": FIO_RUNTIME,
         "quick": QUICK}
    with open("/proc/loadavg") as f:
        R["load_before"] = " ".join(f.read().split()[:3])
    with tempfile.TemporaryDirectory(prefix="nbdocaml-bench.") as tmp:
        if {"bw", "iops"} & ONLY:
            bench_servers(b, s, tmp, R)
        if "calls" in ONLY:
            bench_calls(b, R)
        if "threads" in ONLY:
            bench_threads(b, tmp, R)
        if "file" in ONLY:
            bench_file(b, tmp, R)
    with open("/proc/loadavg") as f:
        R["load_after"] = " ".join(f.read().split()[:3])

    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mc = {k: v.get("can_multi_conn") for k, v in R.get("servers", {}).items()}
    print()
    print("libnbdocaml benchmark, %s" % R["date"])
    print("machine: %d CPUs, %s; load average before %s, after %s" % (
        os.cpu_count(), cpu, R["load_before"], R["load_after"]))
    print("nbdkit: %s; OCaml %s; disk %s; median of %d run(s); fio %d s "
          "per run%s" % (
        run(["nbdkit", "--version"]).strip(), OCAML_VERSION, SIZE, RUNS,
        FIO_RUNTIME, " (BENCH_QUICK)" if QUICK else ""))
    if R.get("servers") or R.get("calls") or R.get("threads"):
        if mc:
            print("can_multi_conn (nbdinfo): %s" % ", ".join(
                "%s=%s" % kv for kv in mc.items()))
        print("ratios are against best C, the better of C par and C ser on "
              "each row (for RSS: the lower)")
        print("C par: nbdkit memory allocator=malloc; C ser: the same with "
              "--filter=noparallel serialize=all-requests;")
        print("(info) _buf ser: OCaml _buf with that filter too, not a "
              "target, see bench/RESULTS.md")
        print()
        print(table(R))
    if R.get("file"):
        print()
        print("file plugins: nbdkit's C file plugin and examples/filedisk.ml "
              "(threads.cmxa, pread_buf/pwrite_buf)")
        print("on the same %s file, page cache warm; ser = with "
              "--filter=noparallel serialize=all-requests;" % SIZE)
        print("ratio = best OCaml / best C, each at its better thread model "
              "(for CPU per request: best C / best OCaml)")
        print("can_multi_conn (nbdinfo): %s" % ", ".join(
            "%s=%s" % (k, v["can_multi_conn"]) for k, v in R["file"].items()))
        print()
        print(file_table(R["file"]))
    if JSON_OUT:
        R["ocaml_version"] = OCAML_VERSION
        with open(JSON_OUT, "w") as f:
            json.dump(R, f, indent=1)
    if mc and len(set(mc.values())) != 1:
        print("\nWARNING: can_multi_conn differs between servers")


if __name__ == "__main__":
    main()
