#!/usr/bin/env bash
# Requests of 2 GiB and more on an 8 GiB disk, compared with nbdkit's C
# memory plugin (memory 8G) in the same test: nbdinfo --map, a zero of
# 3 GiB, a trim of 2 GiB and a cache of 3 GiB.  sparse.ml uses the record
# API (int32 counts): the library splits zero/trim/cache into 1 GiB pieces
# and asks extents for at most 1 GiB.  l132_sparse.ml uses the labelled
# API (int64 counts) and gets each request whole.  Both keep only the
# blocks written, so the 8 GiB cost a few MiB.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin sparse l132_sparse

plan 18

GiB=1073741824

cat > "$tmp/write.py" <<'PY'
import random
rng = random.Random(20260101)
M, G = 1 << 20, 1 << 30
for off in (0, G, 3*G + 5*M, 5*G, 6*G + M, 7*G + 7*M, 8*G - M):
    h.pwrite(rng.randbytes(M), off)
print("written")
PY
cat > "$tmp/big.py" <<'PY'
G = 1 << 30
h.zero(3*G, 2*G)
h.trim(2*G, 6*G)
if h.can_cache():
    h.cache(3*G, 0)
print("zeroed 3G, trimmed 2G, cached 3G")
PY
cat > "$tmp/read.py" <<'PY'
import hashlib
M, G = 1 << 20, 1 << 30
for off in (0, G, 3*G + 5*M, 5*G, 6*G + M, 7*G + 7*M, 8*G - M, 2*G - M // 2):
    print(off, hashlib.sha256(h.pread(M, off)).hexdigest()[:16])
PY

# run_steps NAME SERVER-ARGS...: the same client steps against one server;
# outputs in $tmp/NAME.*.
run_steps ()
{
  local name=$1; shift
  serve_run -v "$@" -- '
    nbdsh -u "$uri" -c "$(cat '"$tmp"'/write.py)" &&
    nbdinfo --map "$uri" > '"$tmp/$name"'.map1 &&
    nbdsh -u "$uri" -c "$(cat '"$tmp"'/big.py)" &&
    nbdinfo --map "$uri" > '"$tmp/$name"'.map2 &&
    nbdsh -u "$uri" -c "$(cat '"$tmp"'/read.py)" > '"$tmp/$name"'.read' \
    > "$tmp/$name.out" 2> "$tmp/$name.log"
}

# The reference is never run under valgrind (as in e2e-differential.sh).
PATH=/usr/bin:$PATH run_steps memory memory 8G
check "nbdkit's memory 8G: the client steps succeed" [ $? -eq 0 ] ||
  diag "$tmp/memory.out" "$tmp/memory.log"
# The steps change the map: data before the zero and trim, fewer data
# extents after.
check "the memory plugin's map has data and holes, and zero/trim change it" \
  [ "$(grep -c data "$tmp/memory.map1")" -gt "$(grep -c data "$tmp/memory.map2")" ] ||
  diag "$tmp/memory.map1" "$tmp/memory.map2"

for p in sparse l132_sparse; do
  run_steps "$p" "$(plugin "$p")"
  check "$p: the client steps succeed (3 GiB zero, 2 GiB trim, 3 GiB cache, map)" \
    [ $? -eq 0 ] || diag "$tmp/$p.out" "$tmp/$p.log"
  check "$p: nbdinfo --map after the writes is the memory plugin's" \
    cmp -s "$tmp/memory.map1" "$tmp/$p.map1" || diag "$tmp/memory.map1" "$tmp/$p.map1"
  check "$p: nbdinfo --map after zero and trim is the memory plugin's" \
    cmp -s "$tmp/memory.map2" "$tmp/$p.map2" || diag "$tmp/memory.map2" "$tmp/$p.map2"
  check "$p: the data read back is the memory plugin's" \
    cmp -s "$tmp/memory.read" "$tmp/$p.read" || diag "$tmp/memory.read" "$tmp/$p.read"
  unlike "$p: no count was refused" "$tmp/$p.log" "does not fit|EINVAL"
done

# How the requests reached each plugin.
log=$tmp/sparse.log
is "record API: the 3 GiB zero arrives as three 1 GiB pieces, in order" \
  "$(grep -oE 'debug: zero .*' "$log" | tr '\n' ' ')" \
  "debug: zero $GiB $((2*GiB)) debug: zero $GiB $((3*GiB)) debug: zero $GiB $((4*GiB)) "
is "record API: the 2 GiB trim arrives as two 1 GiB pieces" \
  "$(grep -oE 'debug: trim .*' "$log" | tr '\n' ' ')" \
  "debug: trim $GiB $((6*GiB)) debug: trim $GiB $((7*GiB)) "
is "record API: the 3 GiB cache arrives as three pieces" \
  "$(grep -cE 'debug: cache '"$GiB"' ' "$log")" 3
is "record API: extents is never asked for more than 1 GiB" \
  "$(grep -oE 'debug: extents [0-9]+' "$log" | awk -v g=$GiB '$3 > g' | wc -l)" 0
log=$tmp/l132_sparse.log
is "labelled API: the 3 GiB zero and 2 GiB trim arrive whole" \
  "$(grep -oE 'debug: (zero|trim) .*' "$log" | tr '\n' ' ')" \
  "debug: zero $((3*GiB)) $((2*GiB)) debug: trim $((2*GiB)) $((6*GiB)) "
like "labelled API: extents is asked for more than 2 GiB at once" "$log" \
  'debug: extents (2[2-9]|[3-4][0-9])[0-9]{8} '

e2e_done
