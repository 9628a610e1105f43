#!/usr/bin/env bash
# The zero-copy callbacks through nbdkit: tests/plugins/bufdisk.ml serves a
# Bigarray RAM disk with pread_buf/pwrite_buf (and a string pread that
# must never be called).  Random data written with nbdsh reads back
# exactly; a buffer the plugin kept from an earlier call raises
# Invalid_argument instead of touching freed memory (the plugin says so
# with NBDKit.debug, shown by nbdkit -v); the server survives.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin bufdisk

plan 6

cat > "$tmp/rw.py" <<'PY'
import os
data = os.urandom(3 * 1024 * 1024 + 17)
h.pwrite(data, 4097)
assert h.pread(len(data), 4097) == data, "data differs"
small = os.urandom(1)
h.pwrite(small, 0)
assert h.pread(1, 0) == small
for i in range(200):
    off = (i * 7919) % (8 * 1024 * 1024)
    n = 1 + (i * 104729) % 65536
    buf = os.urandom(n)
    h.pwrite(buf, off)
    assert h.pread(n, off) == buf, "round %d differs" % i
print("bufdisk round trips ok")
PY

serve_run -v "$(plugin bufdisk)" size=16M -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"' \
  > "$tmp/out" 2> "$tmp/log"
check "nbdsh writes and reads back random data through pwrite_buf/pread_buf" \
  [ $? -eq 0 ] || diag "$tmp/out" "$tmp/log"
like "the reads all went through pread_buf, not the string pread" "$tmp/out" \
  'bufdisk round trips ok'
unlike "the string pread was never called" "$tmp/log" 'string pread was called'
like "a kept buffer raises Invalid_argument on access" "$tmp/log" \
  'debug: stale buffer: Invalid_argument'
like "and on a blit" "$tmp/log" 'debug: stale buffer: blit Invalid_argument'
unlike "a kept buffer is never readable or writable" "$tmp/log" \
  'stale buffer: (readable|writable)'

e2e_done
