#!/usr/bin/env bash
# The NBDKit helpers under nbdkit call nbdkit's own functions: what they
# answer is what nbdkit knows about the real client (the export name it
# asked for, its pid and uid over the Unix socket), and what nbdkit's
# functions do (stdio_safe depends on -s, nanosleep sleeps, shutdown stops
# the server).  r128_helpers.ml reports each as "NAME=RESULT" or "NAME
# raised MESSAGE".
. "$(dirname "$0")/e2e-lib.sh"
require_plugin r128_helpers

plan 16

p=$(plugin r128_helpers)
calls=export_name,peer_pid,peer_uid,peer_gid,peer_name,is_tls,version
calls=$calls,api_version,realpath:/usr/bin/../bin,nanosleep:0:200000000
calls=$calls,disconnect

# The client prints its own pid: nbdkit_peer_pid must find it.
serve_run -v "$p" on_open=$calls -- \
  'nbdsh -u "nbd+unix:///the-export?socket=$unixsocket" \
     -c "import os; print(os.getpid()); h.pread(512, 0)"' \
  > "$tmp/out" 2> "$tmp/log"
check "a client connects, and reads, with every helper called in open" \
  [ $? -eq 0 ] || diag "$tmp/out" "$tmp/log"
client_pid=$(head -1 "$tmp/out")
like "export_name is what the client asked for" "$tmp/log" \
  'debug: export_name=the-export$'
like "peer_pid is the client's pid ($client_pid)" "$tmp/log" \
  "debug: peer_pid=$client_pid\$"
like "peer_uid is the client's uid" "$tmp/log" "debug: peer_uid=$(id -u)\$"
like "peer_gid is the client's gid" "$tmp/log" "debug: peer_gid=$(id -g)\$"
like "peer_name is a Unix socket address" "$tmp/log" 'debug: peer_name=unix:'
like "is_tls is false without TLS" "$tmp/log" 'debug: is_tls=false$'
like "version is the nbdkit the library was built against" "$tmp/log" \
  "debug: version=$(pkg-config --modversion nbdkit)\$"
like "api_version is 2" "$tmp/log" 'debug: api_version=2$'
like "realpath is nbdkit_realpath" "$tmp/log" \
  'debug: realpath:/usr/bin/\.\./bin=/usr/bin$'
like "nanosleep sleeps (nbdkit_nanosleep)" "$tmp/log" \
  'debug: nanosleep:0:200000000=slept 0\.[2-9]'
like "disconnect raises clearly under nbdkit 1.32, which has no nbdkit_disconnect" \
  "$tmp/log" 'debug: disconnect raised NBDKit.disconnect: this nbdkit has no nbdkit_disconnect'

# stdio_safe in the configuration phase: true with -U, false when nbdkit
# serves on stdin (-s).
serve_run -v "$p" call=stdio_safe -- true 2> "$tmp/log1"
nbdkit -v -s "$p" call=stdio_safe < /dev/null > /dev/null 2> "$tmp/log2"
is "stdio_safe is nbdkit_stdio_safe: true with -U, false with -s" \
  "$(grep -ho 'stdio_safe=.*' "$tmp/log1" "$tmp/log2" | tr '\n' ' ')" \
  "stdio_safe=true stdio_safe=false "

# shutdown: the server, started without --run, stops by itself after the
# first client.  Never under valgrind: nbdkit 1.32 itself leaks the
# connection (280 bytes, all in nbdkit's frames) when any plugin, a C one
# too, calls nbdkit_shutdown in open.
"${vg_real:-nbdkit}" -f -v -U "$tmp/sock" -P "$tmp/pid" "$p" on_open=shutdown \
  2> "$tmp/log3" &
e2e_pids+=($!)
server=$!
wait_for test -S "$tmp/sock"
out=$(t nbdinfo --size "nbd+unix:///?socket=$tmp/sock" 2>&1)
is "a client is served before the shutdown" "$out" 1048576
check "NBDKit.shutdown stops nbdkit" wait_for pid_gone "$server" ||
  diag "$tmp/log3"
like "... as the plugin asked" "$tmp/log3" 'debug: shutdown=done$'

e2e_done
