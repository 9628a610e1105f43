# Shared helpers for the end-to-end tests (tests/e2e-*.sh): real nbdkit,
# real NBD clients, the plugins built in tests/plugins.  Source it first:
#
#   . "$top_srcdir/tests/e2e-lib.sh"   (or the directory of the script)
#
# It gives TAP output helpers, a private temporary directory ($tmp) that is
# removed on exit, a list of server pids that are killed on exit, and
# wrappers that never hang (everything runs under timeout).

set -u

# The OCaml compiler configure found comes first, so that the recipes the
# tests run by name (ocamlopt.opt) use it and not another one on PATH
# (tests/local.mk exports OCAML_BINDIR).  This happens before the valgrind
# wrapper below puts itself first.
export PATH=${OCAML_BINDIR:+$OCAML_BINDIR:}$PATH
export LC_ALL=C

: "${PLUGINS:?PLUGINS must name the absolute tests/plugins directory}"
: "${top_builddir:?top_builddir must be set}"

# Under make check-valgrind, nbdkit runs under memcheck.
. "$top_srcdir/tests/valgrind-nbdkit.sh"

# Never use a leftover debug setting from the caller's environment.
unset LIBNBD_DEBUG

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbdocaml-e2e.XXXXXX")
e2e_pids=()

# nbdsh runs the first python3 on PATH, which must be the system one that
# has libnbd's module (a pyenv Python may come first).  Only python3 is put
# first, not all of /usr/bin: the OCaml compiler on PATH (OCaml 5 built by
# scripts/install-ocaml.sh, say) must stay the one configure found.
mkdir "$tmp/python-bin"
ln -s /usr/bin/python3 "$tmp/python-bin/python3"
export PATH="$tmp/python-bin:$PATH"


e2e_cleanup ()
{
  local p
  for p in "${e2e_pids[@]}"; do
    kill "$p" 2>/dev/null
  done
  # Give them a moment, then make sure.
  for p in "${e2e_pids[@]}"; do
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 "$p" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$p" 2>/dev/null
  done
  rm -rf "$tmp" ${vg_bin:+"$vg_bin"}
}
trap e2e_cleanup EXIT
trap 'exit 130' INT TERM HUP

# -- TAP -------------------------------------------------------------------
e2e_n=0
e2e_failed=0

plan () { echo "1..$1"; }
pass () { e2e_n=$((e2e_n + 1)); echo "ok $e2e_n - $1"; }
fail ()
{
  e2e_n=$((e2e_n + 1)); e2e_failed=$((e2e_failed + 1))
  echo "not ok $e2e_n - $1"
}
# comment: copy stdin to stdout as TAP comments, every line prefixed with
# "#   " and ended with a newline, even the last one of a file without a
# final newline (or cut short), so that no diagnostic ever runs into the
# next TAP line.
comment () { awk '{ print "#   " $0 }'; }

# diag FILE...: show files as TAP comments (for failures).
diag ()
{
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    echo "# --- $f"
    head -c 4000 "$f" | comment
  done
}

# The test-point functions below return 0 when the point passed and 1
# when it failed, so "check ... || diag FILE" shows details on failure.

# check DESC COMMAND...: a test point that passes when COMMAND succeeds.
check ()
{
  local desc=$1; shift
  if "$@"; then pass "$desc"; else fail "$desc"; return 1; fi
}

# is DESC GOT EXPECTED
is ()
{
  if [ "$2" = "$3" ]; then
    pass "$1"
  else
    fail "$1"
    printf "got:      '%s'\n" "$2" | comment
    printf "expected: '%s'\n" "$3" | comment
    return 1
  fi
}

# like DESC FILE ERE: FILE has a line matching the extended regexp.
like ()
{
  if grep -Eq -e "$3" "$2"; then
    pass "$1"
  else
    fail "$1"
    printf 'no line of %s matches: %s\n' "$2" "$3" | comment
    diag "$2"
    return 1
  fi
}

# unlike DESC FILE ERE: no line of FILE matches.
unlike ()
{
  if ! grep -Eq -e "$3" "$2"; then
    pass "$1"
  else
    fail "$1"
    printf 'a line of %s matches: %s\n' "$2" "$3" | comment
    grep -E -e "$3" "$2" | head -5 | comment
    return 1
  fi
}

# e2e_done: the exit status of the script.
e2e_done ()
{
  [ "$e2e_failed" -eq 0 ]
}

# -- running things --------------------------------------------------------

# Upper bound for any single server or client run, in seconds.
E2E_TIMEOUT=${E2E_TIMEOUT:-120}

# t CMD...: run with a timeout (SIGTERM, then SIGKILL 5s later).
t () { timeout -k 5 "$E2E_TIMEOUT" "$@"; }

# plugin NAME: the path of tests/plugins/nbdkit-NAME-plugin.so.
plugin () { echo "$PLUGINS/nbdkit-$1-plugin.so"; }

# require_plugin NAME...: bail out of the whole script when one is missing
# (the Makefile builds them as check_DATA, so this is a build problem).
require_plugin ()
{
  local n
  for n in "$@"; do
    if [ ! -f "$(plugin "$n")" ]; then
      echo "Bail out! $(plugin "$n") was not built"
      exit 1
    fi
  done
}

# serve_run ARGS... -- COMMAND: nbdkit -U - ARGS --run COMMAND in the
# foreground with a timeout.  COMMAND sees $uri, $unixsocket ... as shell
# variables (not exported: write "$uri" in COMMAND itself).
serve_run ()
{
  local args=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  shift
  t nbdkit -U - --exit-with-parent "${args[@]}" --run "$*"
}

# nbdsh_script URI FILE: run a python script in nbdsh connected to URI.
nbdsh_py () { t nbdsh -u "$1" -c "$(cat "$2")"; }

# wait_for COND-COMMAND...: poll (up to 10s) until it succeeds.
wait_for ()
{
  local i
  for i in $(seq 1 100); do
    "$@" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}

# pid_gone PID: the process has exited (for a process that is not ours):
# gone, or a zombie waiting for a reaper that may not exist in a container.
pid_gone ()
{
  ! kill -0 "$1" 2>/dev/null ||
    grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null
}
