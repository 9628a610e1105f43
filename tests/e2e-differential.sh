#!/bin/bash
# Differential test: an OCaml RAM disk (tests/plugins/loaddisk.ml) served by
# nbdkit against nbdkit's own C memory plugin, the same seeded random
# sequence of 100,000 operations through libnbd on each, every read
# compared.  NBDOCAML_DIFF_SEED and NBDOCAML_DIFF_OPS override the seed
# and the count (to reproduce a failure).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin loaddisk

seed=${NBDOCAML_DIFF_SEED:-$(date +%s)}
ops=${NBDOCAML_DIFF_OPS:-100000}
[ "${NBDOCAML_VALGRIND:-0}" = 1 ] && ops=${NBDOCAML_DIFF_OPS:-2000}

plan 2
nbdkit -f -U "$tmp/ocaml.sock" "$(plugin loaddisk)" size=64M &
e2e_pids+=($!)
# The reference server is never run under valgrind: Debian's memory plugin
# is not ours to check (and leaks 24 bytes at load).
"${vg_real:-nbdkit}" -f -U "$tmp/c.sock" memory 64M allocator=malloc &
e2e_pids+=($!)
check "both servers are up" \
  wait_for test -S "$tmp/ocaml.sock" -a -S "$tmp/c.sock" || { e2e_done; exit; }

if timeout 900 python3 "$top_srcdir/tests/differential.py" "$seed" "$ops" \
     "nbd+unix:///?socket=$tmp/ocaml.sock" "nbd+unix:///?socket=$tmp/c.sock" \
     > "$tmp/out" 2>&1; then
  cat "$tmp/out"
  pass "$ops random operations (seed $seed): OCaml plugin and C memory plugin agree"
else
  sed 's/^not ok/# not ok/' "$tmp/out"
  fail "$ops random operations (seed $seed) diverged or failed"
fi

e2e_done
