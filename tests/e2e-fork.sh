#!/usr/bin/env bash
# Fork safety.  nbdkit loads the plugin (starting its OCaml runtime) and
# then forks: to daemonize (no -f) and to start the --run command.  The
# served child must answer requests, with and without threads.cmxa (where
# systhreads' master lock must survive the fork), and shut down on SIGTERM.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full threads_full e2e_ramdisk threads_e2e_ramdisk

plan 24

cat > "$tmp/rw.py" <<'PY'
import os
data = os.urandom(262144)
h.pwrite(data, 65536)
h.flush() if h.can_flush() else None
print("roundtrip=%s" % (h.pread(262144, 65536) == data))
PY

E2E_TIMEOUT=30

daemon_test ()  # PLUGIN
{
  local p=$1 d="$tmp/$1" pid
  mkdir "$d"
  # Without -f nbdkit forks and the parent exits once the child is set up.
  # -v keeps the debug log on stderr in the background.
  t nbdkit -v -U "$d/sock" -P "$d/pid" "$(plugin "$p")" size=4M 2> "$d/log"
  local rc=$?
  if [ $rc -eq 0 ] && wait_for test -s "$d/pid" && wait_for test -S "$d/sock"; then
    pid=$(cat "$d/pid")
    e2e_pids+=("$pid")
    pass "$p: nbdkit daemonized (pid $pid)"
  else
    fail "$p: nbdkit daemonized (status $rc)"; diag "$d/log"
    for _ in 1 2 3 4; do fail "$p: (skipped, no daemon)"; done
    return
  fi
  local uri="nbd+unix:///?socket=$d/sock"
  is "$p: the daemon serves nbdinfo" "$(t nbdinfo --size "$uri" 2>&1)" 4194304
  out=$(t nbdsh -u "$uri" -c "$(cat "$tmp/rw.py")" 2>&1)
  is "$p: the daemon round-trips random data (2nd connection)" "$out" roundtrip=True
  kill "$pid"
  check "$p: the daemon exits on SIGTERM" wait_for pid_gone "$pid"
  like "$p: the plugin's unload ran in the daemon" "$d/log" '^nbdkit: debug: unload$'
}

daemon_test full
daemon_test threads_full

# e2e_ramdisk has no unload callback: check its data instead.
daemon_test_ramdisk ()
{
  local p=$1 d="$tmp/$1" pid
  mkdir "$d"
  t nbdkit -U "$d/sock" -P "$d/pid" "$(plugin "$p")" size=4M 2> "$d/log"
  local rc=$?
  if [ $rc -eq 0 ] && wait_for test -s "$d/pid" && wait_for test -S "$d/sock"; then
    pid=$(cat "$d/pid"); e2e_pids+=("$pid")
    pass "$p: nbdkit daemonized without -v"
  else
    fail "$p: nbdkit daemonized without -v (status $rc)"; diag "$d/log"
    for _ in 1 2 3; do fail "$p: (skipped, no daemon)"; done
    return
  fi
  local uri="nbd+unix:///?socket=$d/sock"
  is "$p: the daemon serves nbdinfo" "$(t nbdinfo --size "$uri" 2>&1)" 4194304
  out=$(t nbdsh -u "$uri" -c "$(cat "$tmp/rw.py")" 2>&1)
  is "$p: the daemon round-trips random data" "$out" roundtrip=True
  kill "$pid"
  check "$p: the daemon exits on SIGTERM" wait_for pid_gone "$pid"
}

daemon_test_ramdisk e2e_ramdisk
daemon_test_ramdisk threads_e2e_ramdisk

# --run: nbdkit forks the command; the server keeps running the plugin.
for p in full threads_full e2e_ramdisk threads_e2e_ramdisk; do
  out=$(serve_run "$(plugin "$p")" size=4M -- \
        'nbdinfo --size "$uri" && nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"' 2>&1)
  is "$p: --run serves the forked command" "$(echo $out)" "4194304 roundtrip=True"
done

# A second --run on the threaded plugin with two clients in a row and -v,
# checking the debug log still flows after the fork.
serve_run -v "$(plugin threads_full)" -- \
  'nbdinfo --size "$uri" >/dev/null && nbdinfo --size "$uri"' > "$tmp/out" 2> "$tmp/log"
is "threads_full: --run, two connections in a row" "$(cat "$tmp/out")" 1048576
like "threads_full: NBDKit.debug from the second connection reaches the log" \
  "$tmp/log" '^nbdkit: full\[2\]: debug: open (true|false)$'

e2e_done
