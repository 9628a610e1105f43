#!/usr/bin/env bash
# nbdsh (libnbd's Python binding) against full.ml under nbdkit -v: random
# data written and read back, flush, trim, zero, cache and block status,
# and the request flags (FUA, may_trim, req_one) as the plugin received
# them, read from its NBDKit.debug lines in nbdkit's verbose log.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full

plan 22

cat > "$tmp/script.py" <<'PY'
import os
def res(name, cond):
    print("RESULT %s %s" % (name, "yes" if cond else "no"))

# Random data, written and read back.
data = os.urandom(65536)
h.pwrite(data, 4096)
res("random_64k", h.pread(65536, 4096) == data)
small = os.urandom(512)
h.pwrite(small, 0, nbd.CMD_FLAG_FUA)
res("fua_write_readback", h.pread(512, 0) == small)
# Unaligned and odd sizes.
odd = os.urandom(777)
h.pwrite(odd, 100001)
res("odd_size_offset", h.pread(777, 100001) == odd)

h.flush()

# trim (full.ml zeroes the range) with FUA.
h.trim(4096, 8192, nbd.CMD_FLAG_FUA)
res("trim_zeroes", h.pread(4096, 8192) == bytes(4096))
res("trim_leaves_rest", h.pread(4096, 12288) == data[8192:12288])

# zero, once allowing holes (nbdkit passes may_trim), once with NO_HOLE+FUA.
h.zero(4096, 65536)
h.zero(4096, 32768, nbd.CMD_FLAG_NO_HOLE | nbd.CMD_FLAG_FUA)
# And with FUA but no NO_HOLE: two flags in one list.
h.zero(4096, 131072, nbd.CMD_FLAG_FUA)
res("zero_zeroes", h.pread(4096, 65536) == bytes(4096) and
                   h.pread(4096, 32768) == bytes(4096))

h.cache(4096, 0)

# Block status with REQ_ONE: full.ml reports the first half as data.
seen = []
def cb(metacontext, offset, entries, err):
    seen.append((metacontext, offset, list(entries)))
h.block_status(65536, 0, cb, nbd.CMD_FLAG_REQ_ONE)
res("block_status", len(seen) == 1 and seen[0][0] == "base:allocation"
    and seen[0][2][1] == 0 and seen[0][2][0] >= 65536)

# What the client sees of the server.
res("size", h.get_size() == 1048576)
res("can_fua", h.can_fua())
PY

serve_run -v "$(plugin full)" -- 'nbdsh --base-allocation -u "$uri" -c "$(cat '"$tmp"'/script.py)"' \
  > "$tmp/out" 2> "$tmp/log"
check "nbdkit --run nbdsh exits 0" [ $? -eq 0 ] || diag "$tmp/out" "$tmp/log"

for r in random_64k fua_write_readback odd_size_offset trim_zeroes trim_leaves_rest \
         zero_zeroes block_status size can_fua; do
  like "nbdsh: $r" "$tmp/out" "^RESULT $r yes\$"
done

# The plugin's debug lines (nbdkit -v prefixes them "nbdkit: full[N]: debug: ").
d='^nbdkit: full\[[0-9]+\]: debug: '
like "FUA reaches the plugin: pwrite 512 0 fua"      "$tmp/log" "${d}pwrite 512 0 fua\$"
like "a plain pwrite has no flags"                   "$tmp/log" "${d}pwrite 65536 4096 ?\$"
like "pwrite at an odd offset arrives unchanged"     "$tmp/log" "${d}pwrite 777 100001 ?\$"
like "pread arrives with count and offset"           "$tmp/log" "${d}pread 65536 4096 ?\$"
like "flush reaches the plugin"                      "$tmp/log" "${d}flush ?\$"
like "trim with FUA: trim 4096 8192 fua"             "$tmp/log" "${d}trim 4096 8192 fua\$"
like "zero without NO_HOLE has may_trim"             "$tmp/log" "${d}zero 4096 65536 may_trim\$"
like "zero with NO_HOLE|FUA has fua only"            "$tmp/log" "${d}zero 4096 32768 fua\$"
# nbdkit's OCaml plugin lists the flags as [Req_one; FUA; May_trim] (1.16
# to 1.32 build the list by consing May_trim, then FUA, then Req_one).
like "zero with FUA: [FUA; May_trim], nbdkit's order" "$tmp/log" "${d}zero 4096 131072 fua,may_trim\$"
like "cache reaches the plugin"                      "$tmp/log" "${d}cache 4096 0 ?\$"
like "block status with REQ_ONE: extents ... req_one" "$tmp/log" "${d}extents [0-9]+ 0 req_one\$"

# Requests of nbdkit's maximum size (32M for a single pwrite/pread from
# libnbd) go through the OCaml strings in one piece.
serve_run -v "$(plugin e2e_ramdisk)" size=64M -- 'nbdsh -u "$uri" -c "
import os
data = os.urandom(32 * 1024 * 1024)
h.pwrite(data, 4096)
print(\"big roundtrip=%s\" % (h.pread(len(data), 4096) == data))
"' > "$tmp/out" 2> "$tmp/log"
like "a 32 MiB pwrite and pread round-trip" "$tmp/out" '^big roundtrip=True$' ||
  diag "$tmp/log"

e2e_done
