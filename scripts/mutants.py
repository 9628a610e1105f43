#!/usr/bin/env python3
# libnbdocaml: mutation testing ("make check-mutants").
# Copyright (C) 2026 the libnbdocaml authors.  BSD-3-Clause, see LICENSE.
#
#   python3 scripts/mutants.py [--list FILE] [--only ID,...] [--scratch DIR]
#                              [--keep] [--jobs N] [--dry-run]
#
# Each mutant of tests/mutants.txt is a one-line change to the source that
# breaks one promise of the documentation.  They are applied one at a time
# to a scratch copy of the source tree (the files git knows, as they are
# in the working tree), which is built once; after each change the copy is
# rebuilt and the mutant's tests run ("make check TESTS=...", or "make
# check-valgrind TESTS=..."): a mutant is killed when they fail.  A mutant
# that survives, that no longer matches the source ("stale": its line is
# gone or ambiguous) or that does not build is reported, and the exit
# status is 1 if there is any.  The unmutated copy must pass the tests of
# every mutant first.
#
# A mutant names its line by content, not number, so that it survives
# unrelated edits: "line:" must equal exactly one line of the file, leading
# and trailing white space aside (or the "nth:" one of several), which is
# replaced by "becomes:" with the original indentation.  Mutants marked
# "ocaml: 4" or "ocaml: 5" need that major version of OCaml: they run in a
# second scratch copy configured with the other compiler (Debian's in
# /usr/bin for 4, scripts/install-ocaml.sh 5.3.0 for 5) when the one on
# PATH is not that version.
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

FIELDS = ("mutant", "file", "line", "nth", "becomes", "promise", "tests",
          "make", "ocaml")


def parse(path):
    """The mutants of the list, as dicts; raises ValueError on a bad one."""
    mutants, cur = [], None
    with open(path) as f:
        for n, raw in enumerate(f, 1):
            line = raw.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            m = re.match(r"^([a-z]+):(?: (.*))?$", line)
            if not m or m.group(1) not in FIELDS:
                raise ValueError("%s:%d: not FIELD: VALUE: %r" % (path, n, line))
            key, value = m.group(1), m.group(2) or ""
            if key == "mutant":
                cur = {"mutant": value.strip(), "where": "%s:%d" % (path, n)}
                mutants.append(cur)
            elif cur is None:
                raise ValueError("%s:%d: %s before any mutant:" % (path, n, key))
            elif key == "promise" and "promise" in cur:
                cur["promise"] += " " + value.strip()
            else:
                cur[key] = value
    seen = set()
    for m in mutants:
        for k in ("file", "line", "becomes", "promise", "tests"):
            if k not in m:
                raise ValueError("%s: mutant %s has no %s:" % (m["where"], m["mutant"], k))
        if m["mutant"] in seen:
            raise ValueError("%s: mutant %s twice" % (m["where"], m["mutant"]))
        seen.add(m["mutant"])
        m["file"] = m["file"].strip()
        m["tests"] = m["tests"].split()
        m["make"] = m.get("make", "check").strip()
        m["nth"] = int(m["nth"]) if "nth" in m else None
        m["ocaml"] = m.get("ocaml", "").strip()
    return mutants


def locate(text, m):
    """The index of the mutant's line in text's lines, or why there is none."""
    want = m["line"].strip()
    hits = [i for i, l in enumerate(text.split("\n")) if l.strip() == want]
    if not hits:
        return "the line is not in the file"
    if m["nth"] is not None:
        if len(hits) < m["nth"]:
            return "nth: %d, but the line occurs %d times" % (m["nth"], len(hits))
        return hits[m["nth"] - 1]
    if len(hits) > 1:
        return "the line occurs %d times: say which with nth:" % len(hits)
    return hits[0]


def mutate(text, m):
    lines = text.split("\n")
    i = locate(text, m)
    indent = re.match(r"^\s*", lines[i]).group(0)
    lines[i] = indent + m["becomes"].strip()
    return "\n".join(lines)


def run(cmd, cwd, log, env=None, timeout=None):
    with open(log, "a") as f:
        f.write("\n$ %s\n" % " ".join(cmd))
        f.flush()
        try:
            return subprocess.run(cmd, cwd=cwd, stdout=f, stderr=subprocess.STDOUT,
                                  env=env, timeout=timeout).returncode
        except subprocess.TimeoutExpired:
            f.write("(timed out after %s s)\n" % timeout)
            return 124


def ocaml_major(env):
    out = subprocess.run(["ocamlopt.opt", "-version"], env=env, capture_output=True,
                         text=True)
    return out.stdout.strip().split(".")[0] if out.returncode == 0 else None


class Scratch:
    """A copy of the source tree, configured and built with one OCaml."""

    def __init__(self, srcdir, root, name, env, jobs, configure_args):
        self.dir = os.path.join(root, name)
        self.log = os.path.join(root, name + ".log")
        self.env, self.jobs = env, jobs
        self.configure_args = configure_args
        self.srcdir = srcdir

    def sync(self):
        """Copy the source tree's files (those git knows, as they are in the
        working tree) that the copy lacks or has with other contents, so
        that a reused copy tests today's sources and tests."""
        files = subprocess.run(
            ["git", "-C", self.srcdir, "ls-files", "-z", "--cached", "--others",
             "--exclude-standard"], capture_output=True, check=True).stdout
        for rel in sorted(set(files.decode().split("\0")) - {""}):
            src = os.path.join(self.srcdir, rel)
            if not os.path.isfile(src):
                continue          # deleted in the working tree
            dst = os.path.join(self.dir, rel)
            if os.path.isfile(dst):
                with open(src, "rb") as a, open(dst, "rb") as b:
                    if a.read() == b.read():
                        continue
            os.makedirs(os.path.dirname(dst), exist_ok=True)
            # A new modification time, so that make rebuilds from it even
            # when the copy's build is newer than the source's edit.
            shutil.copy(src, dst)

    def prepare(self):
        if os.path.exists(os.path.join(self.dir, "config.status")):
            say("reusing %s (its sources brought up to date)" % self.dir)
            self.sync()
        else:
            self.sync()
            say("building %s (log: %s)" % (self.dir, self.log))
            if (run(["autoreconf", "-fi"], self.dir, self.log, self.env) or
                    run(["./configure"] + self.configure_args, self.dir, self.log,
                        self.env)):
                die("cannot configure the scratch copy: see %s" % self.log)
        if self.build() != 0:
            die("cannot build the scratch copy: see %s" % self.log)

    def build(self):
        """make all, then what the tests need.  Two invocations: "make all
        check" would run two recursive makes at once, racing on the same
        files (the glue archive, rebuilt by both)."""
        return self.make(["all"]) or self.make(["check", "TESTS="])

    def make(self, args, env_extra=None, timeout=None):
        env = dict(self.env)
        env.update(env_extra or {})
        return run(["make", "-j%d" % self.jobs] + args, self.dir, self.log, env,
                   timeout)

    def check(self, m_make, tests):
        """Run tests; returns (status, the tests that failed)."""
        for f in tests:
            base = os.path.join(self.dir, re.sub(r"\.sh$", "", f))
            for ext in (".log", ".trs"):
                if os.path.exists(base + ext):
                    os.unlink(base + ext)
        # Hangs end as failures, and sooner than in "make check".
        extra = {"NBDOCAML_TEST_TIMEOUT": "600", "NBDOCAML_CASE_TIMEOUT": "120"}
        target = "check-valgrind" if m_make == "check-valgrind" else "check"
        st = self.make([target, "TESTS=" + " ".join(tests)], extra, timeout=3600)
        failed = []
        for f in tests:
            trs = os.path.join(self.dir, re.sub(r"\.sh$", "", f) + ".trs")
            try:
                with open(trs) as t:
                    res = t.read()
            except OSError:
                failed.append(f + " (did not run)")
                continue
            if re.search(r"^:test-result: (FAIL|ERROR|XPASS)", res, re.M):
                n = len(re.findall(r"^:test-result: (?:FAIL|ERROR|XPASS)", res, re.M))
                failed.append("%s (%d)" % (f, n))
        if target == "check-valgrind" and st != 0 and not failed:
            failed.append("valgrind verdict")
        return st, failed


def say(msg):
    print("mutants: " + msg, flush=True)


def die(msg):
    say(msg)
    sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--srcdir", default=os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))
    ap.add_argument("--list")
    ap.add_argument("--only", default="")
    ap.add_argument("--scratch")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--configure-args", default="")
    ap.add_argument("--dry-run", action="store_true",
                    help="only check that every mutant matches the source")
    a = ap.parse_args()
    srcdir = os.path.abspath(a.srcdir)
    listfile = a.list or os.path.join(srcdir, "tests", "mutants.txt")
    try:
        mutants = parse(listfile)
    except ValueError as e:
        die(str(e))
    if a.only:
        only = set(a.only.split(","))
        unknown = only - {m["mutant"] for m in mutants}
        if unknown:
            die("no such mutant: %s" % ", ".join(sorted(unknown)))
        mutants = [m for m in mutants if m["mutant"] in only]

    # Every mutant must still match the source before anything is built.
    results = {}
    for m in mutants:
        path = os.path.join(srcdir, m["file"])
        try:
            with open(path) as f:
                where = locate(f.read(), m)
        except OSError as e:
            where = str(e)
        if isinstance(where, str):
            results[m["mutant"]] = ("STALE", where)
        else:
            m["lineno"] = where + 1

    if a.dry_run:
        for m in mutants:
            st = results.get(m["mutant"], ("ok", "%s:%d" % (m["file"], m.get("lineno", 0))))
            print("%-40s %-6s %s" % (m["mutant"], st[0], st[1]))
        return 1 if results else 0

    root = a.scratch or tempfile.mkdtemp(prefix="nbdocaml-mutants.")
    os.makedirs(root, exist_ok=True)
    env = dict(os.environ)
    for k in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "TESTS"):
        env.pop(k, None)
    here = ocaml_major(env)
    if here is None:
        die("ocamlopt.opt is not on PATH")
    cfg = a.configure_args.split()
    scratches = {}

    def scratch_for(major):
        if major not in scratches:
            e = dict(env)
            if major != here:
                if major == "4":
                    e["PATH"] = "/usr/bin:" + e["PATH"]
                else:
                    out = subprocess.run(
                        ["sh", os.path.join(srcdir, "scripts", "install-ocaml.sh"),
                         "5.3.0"], capture_output=True, text=True)
                    if out.returncode != 0:
                        die("no OCaml 5: %s" % out.stderr.strip())
                    e["PATH"] = out.stdout.strip().split("\n")[-1] + ":" + e["PATH"]
                if ocaml_major(e) != major:
                    die("cannot find OCaml %s" % major)
            s = Scratch(srcdir, root, "ocaml%s" % major, e, a.jobs, cfg)
            s.prepare()
            # The unmutated copy must pass every test the mutants use.
            group = [m for m in mutants if (m["ocaml"] or here) == major
                     and m["mutant"] not in results]
            for kind in ("check", "check-valgrind"):
                tests = sorted({t for m in group if m["make"] == kind
                                for t in m["tests"]})
                if tests:
                    say("OCaml %s, unmutated: make %s of %d tests"
                        % (major, kind, len(tests)))
                    st, failed = s.check(kind, tests)
                    if st != 0:
                        die("the unmutated copy fails %s: see %s"
                            % (", ".join(failed) or kind, s.log))
            scratches[major] = s
        return scratches[major]

    start = time.time()
    todo = [m for m in mutants if m["mutant"] not in results]
    for k, m in enumerate(todo, 1):
        s = scratch_for(m["ocaml"] or here)
        path = os.path.join(s.dir, m["file"])
        with open(path) as f:
            original = f.read()
        say("[%d/%d] %s: %s:%d" % (k, len(todo), m["mutant"], m["file"],
                                   m["lineno"]))
        with open(s.log, "a") as f:
            f.write("\n=== mutant %s\n" % m["mutant"])
        try:
            with open(path, "w") as f:
                f.write(mutate(original, m))
            if s.build() != 0:
                results[m["mutant"]] = ("BROKEN", "does not build: see " + s.log)
            else:
                st, failed = s.check(m["make"], m["tests"])
                if st != 0:
                    results[m["mutant"]] = ("killed", ", ".join(failed) or
                                            "make %s failed" % m["make"])
                else:
                    results[m["mutant"]] = ("SURVIVED", " ".join(m["tests"]))
        finally:
            with open(path, "w") as f:
                f.write(original)
            # Newer than anything built from the mutant.
            os.utime(path, None)
        say("    %s: %s" % results[m["mutant"]])

    # The report.
    bad = 0
    lines = []
    for m in mutants:
        status, detail = results.get(m["mutant"], ("NOT RUN", ""))
        if status != "killed":
            bad += 1
        lines.append("%-40s %-8s %s" % (m["mutant"], status, detail))
    report = os.path.join(root, "report.txt")
    with open(report, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    killed = sum(1 for v in results.values() if v[0] == "killed")
    say("%d mutants: %d killed, %d not (%d s); report: %s"
        % (len(mutants), killed, bad, time.time() - start, report))
    if not a.keep and not a.scratch and bad == 0:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
