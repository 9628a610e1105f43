#!/usr/bin/env bash
# 8 clients at once against a PARALLEL plugin (e2e_ramdisk has no
# thread_model, so the default applies), with and without threads.cmxa.
# Each client writes random data to its own 1 MiB region in 64 KiB
# requests, reads it back and checks it; afterwards one more client checks
# every region, so a request that landed in the wrong place or a lost
# write shows up.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_ramdisk threads_e2e_ramdisk

plan 12

N=8
for i in $(seq 0 $((N - 1))); do
  head -c 1M /dev/urandom > "$tmp/region$i"
done

cat > "$tmp/client.py" <<'PY'
import os, sys
i = int(os.environ["I"])
data = open(os.environ["TMP"] + "/region%d" % i, "rb").read()
base = i * 1048576
chunk = 65536
# Connected: say so, then wait until all clients are, so that all the
# connections are open at once and the requests below overlap.
import time
open(os.environ["TMP"] + "/ready%d" % i, "w").close()
deadline = time.time() + 60
while not os.path.exists(os.environ["TMP"] + "/go"):
    if time.time() > deadline:
        print("client %d: no go" % i); sys.exit(1)
    time.sleep(0.01)
# Three passes so that the clients really overlap in time.
for p in range(3):
    for off in range(0, len(data), chunk):
        piece = data[off:off + chunk] if p == 2 else os.urandom(chunk)
        h.pwrite(piece, base + off, nbd.CMD_FLAG_FUA if off % (4 * chunk) == 0 else 0)
        if h.pread(chunk, base + off) != piece:
            print("client %d: mismatch at %d" % (i, off)); sys.exit(1)
print("client %d ok" % i)
PY

cat > "$tmp/verify.py" <<'PY'
import os
n = int(os.environ["N"])
bad = [i for i in range(n)
       if h.pread(1048576, i * 1048576) !=
          open(os.environ["TMP"] + "/region%d" % i, "rb").read()]
print("verify bad=%s" % bad)
PY

cat > "$tmp/clients.sh" <<'SH'
pids=
for i in $(seq 0 $((N - 1))); do
  I=$i nbdsh -u "$uri" -c "$(cat "$TMP/client.py")" > "$TMP/client$i.out" 2>&1 &
  pids="$pids $!"
done
# Start them together once all are connected.
for _ in $(seq 1 600); do
  [ "$(ls "$TMP"/ready* 2>/dev/null | wc -l)" -eq "$N" ] && break
  sleep 0.1
done
touch "$TMP/go"
rc=0
for p in $pids; do wait $p || rc=1; done
nbdsh -u "$uri" -c "$(cat "$TMP/verify.py")"
exit $rc
SH

for p in e2e_ramdisk threads_e2e_ramdisk; do
  serve_run -v "$(plugin "$p")" size=8M -- \
    'N='"$N"' TMP='"$tmp"' uri="$uri" bash '"$tmp"'/clients.sh' > "$tmp/out" 2> "$tmp/log"
  rc=$?
  check "$p: $N concurrent clients all succeed" [ $rc -eq 0 ] ||
    diag "$tmp/out" "$tmp"/client*.out
  okc=$(cat "$tmp"/client*.out | grep -c '^client [0-9]* ok$')
  is "$p: every client read back what it wrote" "$okc" "$N"
  like "$p: afterwards every region holds its client's data" "$tmp/out" '^verify bad=\[\]$'
  like "$p: nbdkit ran the plugin in parallel mode" "$tmp/log" \
    'debug: using thread model: parallel$'
  like "$p: nbdkit served $N + 1 connections" "$tmp/log" 'e2e-ramdisk\[9\]'
  # The clients waited for each other, so connection 8 opened before
  # connection 1 closed.
  first8=$(grep -n 'e2e-ramdisk\[8\]' "$tmp/log" | head -1 | cut -d: -f1)
  last1=$(grep -n 'e2e-ramdisk\[1\]' "$tmp/log" | tail -1 | cut -d: -f1)
  check "$p: the $N connections were open at the same time" \
    [ "${first8:-999999}" -lt "${last1:-0}" ]
  rm -f "$tmp"/client*.out "$tmp"/ready* "$tmp/go"
done

e2e_done
