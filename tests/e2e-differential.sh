#!/bin/bash
# Differential test: an OCaml RAM disk (tests/plugins/loaddisk.ml) served by
# nbdkit against nbdkit's own C memory plugin, the same seeded random
# sequence of 100,000 operations through libnbd on each, every read
# compared.  NBDOCAML_DIFF_SEED and NBDOCAML_DIFF_OPS override the seed
# and the count (to reproduce a failure).
set -u
export PATH=/usr/bin:$PATH
. "$top_srcdir/tests/valgrind-nbdkit.sh"
tmp=$(mktemp -d)
cleanup () { kill $pids 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp" ${vg_bin:+"$vg_bin"}; }
trap cleanup EXIT
pids=

seed=${NBDOCAML_DIFF_SEED:-$(date +%s)}
ops=${NBDOCAML_DIFF_OPS:-100000}
[ "${NBDOCAML_VALGRIND:-0}" = 1 ] && ops=${NBDOCAML_DIFF_OPS:-2000}

echo "1..2"
nbdkit -f -U "$tmp/ocaml.sock" "$PLUGINS/nbdkit-loaddisk-plugin.so" size=64M &
pids="$pids $!"
# The reference server is never run under valgrind: Debian's memory plugin
# is not ours to check (and leaks 24 bytes at load).
"${vg_real:-nbdkit}" -f -U "$tmp/c.sock" memory 64M allocator=malloc &
pids="$pids $!"
for s in ocaml c; do
  for i in $(seq 100); do [ -S "$tmp/$s.sock" ] && break; sleep 0.1; done
done
if [ -S "$tmp/ocaml.sock" ] && [ -S "$tmp/c.sock" ]; then
  echo "ok 1 - both servers are up"
else
  echo "not ok 1 - both servers are up"; exit 1
fi

if timeout 900 python3 "$top_srcdir/tests/differential.py" "$seed" "$ops" \
     "nbd+unix:///?socket=$tmp/ocaml.sock" "nbd+unix:///?socket=$tmp/c.sock" \
     > "$tmp/out" 2>&1; then
  cat "$tmp/out"
  echo "ok 2 - $ops random operations (seed $seed): OCaml plugin and C memory plugin agree"
else
  sed 's/^not ok/# not ok/' "$tmp/out"
  echo "not ok 2 - $ops random operations (seed $seed) diverged or failed"
fi
