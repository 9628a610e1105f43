#!/usr/bin/env bash
# Compatibility: a plugin written like nbdkit 1.16's OCaml example
# (tests/plugins/e2e_example.ml) works unchanged: size=100M, data through
# nbdsh and qemu-img, its printf-style debug only with -v, its thread
# model in --dump-plugin, and its "unknown parameter" error.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_example

plan 17

ex=$(plugin e2e_example)
M=1048576

# A sparse 100M image with random data in a few places.
truncate -s 100M "$tmp/in.img"
for off in 0 7 50 99; do
  head -c 65536 /dev/urandom | dd of="$tmp/in.img" bs=64k seek=$((off * 16)) \
    conv=notrunc status=none
done

cat > "$tmp/rw.py" <<'PY'
import os
size = h.get_size()
a = os.urandom(4096); b = os.urandom(4096)
h.pwrite(a, 0)
h.pwrite(b, size - 4096)
print("size=%d roundtrip=%s" % (size, h.pread(4096, 0) == a and h.pread(4096, size - 4096) == b))
PY

serve_run -v "$ex" size=100M -- '
  nbdinfo --size "$uri"
  nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"
  qemu-img convert -n -f raw -O raw '"$tmp"'/in.img "$uri" && echo convert_in=ok
  qemu-img convert -f raw -O raw "$uri" '"$tmp"'/out.img && echo convert_out=ok' \
  > "$tmp/out" 2> "$tmp/log"
check "served with size=100M, the clients all finished" [ $? -eq 0 ] || diag "$tmp/out" "$tmp/log"
like "nbdinfo: 100M" "$tmp/out" '^104857600$'
like "nbdsh: data round-trips at both ends of the disk" "$tmp/out" '^size=104857600 roundtrip=True$'
like "qemu-img convert into the plugin" "$tmp/out" '^convert_in=ok$'
like "qemu-img convert out of the plugin" "$tmp/out" '^convert_out=ok$'
check "the image read back equals the image written" cmp -s "$tmp/in.img" "$tmp/out.img"

# -v: the debug lines with the handle id, a new id per connection.
like "-v: load debug line" "$tmp/log" 'debug: e2e example plugin loaded$'
like "-v: get_size prints the handle id" "$tmp/log" \
  'debug: e2e example plugin: get_size handle id=1$'
like "-v: the second connection gets handle id 2" "$tmp/log" \
  'debug: e2e example plugin: open handle id=2 readonly=false$'

serve_run "$ex" size=100M -- 'nbdinfo --size "$uri" && nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"' \
  > "$tmp/out" 2> "$tmp/quiet"
like "without -v the plugin works" "$tmp/out" '^size=104857600 roundtrip=True$'
unlike "without -v none of its debug lines appear" "$tmp/quiet" 'e2e example plugin'

t nbdkit --dump-plugin "$ex" > "$tmp/dump" 2>&1
like "--dump-plugin: thread_model=serialize_connections" "$tmp/dump" \
  '^thread_model=serialize_connections$'
is "--dump-plugin: its own line comes last" "$(tail -1 "$tmp/dump")" e2e_example_answer=42

serve_run "$ex" foo=bar -- 'echo should not run' > "$tmp/out" 2> "$tmp/err"
rc=$?
check "an unknown key makes nbdkit fail (status $rc)" [ $rc -ne 0 -a $rc -lt 128 ]
like "... with the plugin's message" "$tmp/err" 'unknown parameter: foo'

serve_run "$ex" size=lots -- 'echo should not run' > "$tmp/out" 2> "$tmp/err"
rc=$?
check "a bad size (NBDKit.parse_size raises) fails cleanly (status $rc)" \
  [ $rc -ne 0 -a $rc -lt 128 ]
like "... with the exception from parse_size" "$tmp/err" 'config: Invalid_argument'

e2e_done
