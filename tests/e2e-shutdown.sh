#!/usr/bin/env bash
# How nbdkit ends a server, with and without threads.cmxa, on whichever
# OCaml the plugins were built with: serving one connection on stdin and
# stdout (-s), losing its parent (--exit-with-parent), and SIGTERM while a
# client's request is in flight.  Each time nbdkit must exit by itself,
# with status 0, no fatal error or crash in its log, and the plugin's
# callbacks in nbdkit's order: the connection's close before unload (or
# no close at all), nothing after unload.  Public reports describe OCaml 5
# runtimes crashing in exactly these places.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin slow threads_slow threads_worker

plan 25

E2E_TIMEOUT=60

# clean_log NAME LOG: nothing in the log says the server crashed.
clean_log ()
{
  unlike "$1: no fatal error, crash or assertion in the log" "$2" \
    'Fatal error|Segmentation|Aborted|core dumped|assertion|double free|SIG(SEGV|ABRT)'
}

# order_ok LOG: "unload" is the last callback message, once, and a
# connection's close (if there is one) comes before it.
order_ok ()
{
  local log=$1
  grep -E 'debug: (load|open [0-9]+|close [0-9]+|unload|pread: (sleeping|woke))$' \
    "$log" | sed -E 's/.*debug: //' > "$log.order"
  [ "$(grep -c '^unload$' "$log.order")" = 1 ] &&
    [ "$(tail -n1 "$log.order")" = unload ]
}

# -- nbdkit -s: one connection on stdin/stdout ----------------------------
# libnbd talks to the server over a socket pair; the script waits for
# nbdkit to exit and prints its status.
cat > "$tmp/single.py" <<'PY'
import os, socket, subprocess, sys
import nbd
plugin, log = sys.argv[1], sys.argv[2]
a, b = socket.socketpair()
p = subprocess.Popen(["nbdkit", "-s", "-v", plugin, "delay_ms=100"],
                     stdin=b.fileno(), stdout=b.fileno(),
                     stderr=open(log, "w"))
b.close()
h = nbd.NBD()
h.connect_socket(a.fileno())
data = os.urandom(65536)
h.pwrite(data, 4096)
ok = h.pread(65536, 4096) == data
h.shutdown()
print("roundtrip=%s status=%d" % (ok, p.wait(timeout=60)))
PY
for p in slow threads_slow; do
  out=$(t python3 "$tmp/single.py" "$(plugin "$p")" "$tmp/single-$p.log" 2>&1)
  is "$p: nbdkit -s serves one connection and exits 0" "$out" \
    "roundtrip=True status=0" || diag "$tmp/single-$p.log"
  clean_log "$p -s" "$tmp/single-$p.log"
  check "$p -s: close 1 before unload, nothing after" order_ok "$tmp/single-$p.log" ||
    diag "$tmp/single-$p.log.order"
done

# -- --exit-with-parent: the parent dies -----------------------------------
# A shell starts nbdkit with --exit-with-parent; a client reads and leaves;
# then the shell is killed and nbdkit must exit on its own.  (With a client
# still connected nbdkit 1.32 stays up when its parent dies, its own C
# plugins included, so the client leaves first.)
for p in slow threads_slow; do
  d="$tmp/ewp-$p"; mkdir "$d"
  # The shell writes its own pid (setsid may fork, so $! could be
  # setsid's) and waits for nbdkit; it holds none of our output open.
  setsid bash -c 'echo $$ > "$1/shell"; nbdkit -f -v --exit-with-parent \
      -U "$1/sock" -P "$1/pid" "$2" 2> "$1/log" & wait' _ "$d" "$(plugin "$p")" \
      < /dev/null > /dev/null 2>&1 &
  if wait_for test -s "$d/shell" && wait_for test -S "$d/sock" &&
     wait_for test -s "$d/pid"; then
    shell=$(cat "$d/shell"); e2e_pids+=("$shell")
    pid=$(cat "$d/pid"); e2e_pids+=("$pid")
    t nbdsh -u "nbd+unix:///?socket=$d/sock" -c 'h.pread(512, 0)' > /dev/null 2>&1
    wait_for grep -q 'debug: close 1$' "$d/log"
    kill -9 "$shell"
    check "$p: --exit-with-parent: nbdkit exits when its parent dies" \
      wait_for pid_gone "$pid"
    clean_log "$p --exit-with-parent" "$d/log"
    check "$p --exit-with-parent: unload last, no callback after it" order_ok "$d/log" ||
      diag "$d/log.order"
  else
    fail "$p: --exit-with-parent: nbdkit started"; diag "$d/log"
    fail "$p --exit-with-parent: (no server)"; fail "$p --exit-with-parent: (no server)"
  fi
done

# -- SIGTERM with a request in flight --------------------------------------
# The plugin's pread sleeps 3 s; nbdkit gets SIGTERM in the middle of it.
# nbdkit wakes the sleep early (nbdkit_nanosleep), so the request may fail,
# but the server must end cleanly, and unload only after the call.  This
# nbdkit never runs under memcheck: nbdkit 1.32 itself loses its
# connection object (280 bytes) when it exits with a request in flight, its
# own plugins included (measured with nbdkit --filter=delay memory); the
# library's side of it, a shutdown with calls in flight, is checked under
# memcheck by tests/test-closing.
real_nbdkit=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v nbdkit)
for p in slow threads_slow; do
  d="$tmp/term-$p"; mkdir "$d"
  "$real_nbdkit" -f -v -U "$d/sock" -P "$d/pid" "$(plugin "$p")" delay_ms=3000 \
    2> "$d/log" &
  nbd_pid=$!
  e2e_pids+=("$nbd_pid")
  if wait_for test -S "$d/sock"; then
    nbdsh -u "nbd+unix:///?socket=$d/sock" -c 'h.pread(512, 0)' \
      > "$d/client.out" 2>&1 &
    client=$!
    wait_for grep -q 'debug: pread: sleeping$' "$d/log"
    kill -TERM "$nbd_pid"
    wait "$nbd_pid"; rc=$?
    is "$p: SIGTERM with a request in flight: nbdkit exits 0" "$rc" 0 || diag "$d/log"
    wait "$client" 2>/dev/null
    clean_log "$p SIGTERM" "$d/log"
    check "$p SIGTERM: the call in flight ended before unload" \
      eval "grep -n 'pread: woke\$' '$d/log' | head -1 | cut -d: -f1 |
        { read w; [ -n \"\$w\" ] && [ \"\$w\" -lt \"\$(grep -n 'debug: unload\$' '$d/log' | cut -d: -f1)\" ]; }" ||
      diag "$d/log"
    check "$p SIGTERM: close 1 before unload, nothing after" order_ok "$d/log" ||
      diag "$d/log.order"
  else
    fail "$p: SIGTERM: nbdkit started"; diag "$d/log"
    for _ in 1 2 3; do fail "$p SIGTERM: (no server)"; done
  fi
done

# -- a plugin's own OCaml thread, in a daemonized server ------------------
# threads_worker starts a thread with Thread.create at its first
# connection: after nbdkit forked to daemonize, so the thread lives in the
# serving process.  Every write goes through it; unload joins it.
d="$tmp/worker"; mkdir "$d"
t nbdkit -v -U "$d/sock" -P "$d/pid" "$(plugin threads_worker)" 2> "$d/log"
if wait_for test -s "$d/pid" && wait_for test -S "$d/sock"; then
  pid=$(cat "$d/pid"); e2e_pids+=("$pid")
  out=$(nbdsh -u "nbd+unix:///?socket=$d/sock" -c '
import os
ok = True
for i in range(50):
    data = os.urandom(4096)
    h.pwrite(data, i * 4096)
    ok = ok and h.pread(4096, i * 4096) == data
print("ok=%s" % ok)' 2>&1)
  is "threads_worker: writes applied by the plugin's own thread read back" "$out" ok=True
  like "threads_worker: the worker counted every write" "$d/log" 'debug: worker: applied write 50$'
  kill "$pid"
  check "threads_worker: the daemon exits on SIGTERM" wait_for pid_gone "$pid"
  like "threads_worker: unload joined the worker" "$d/log" 'debug: worker: stopped$'
  clean_log "threads_worker" "$d/log"
else
  fail "threads_worker: the daemon started"; diag "$d/log"
  for _ in 1 2 3 4; do fail "threads_worker: (no daemon)"; done
fi

e2e_done
