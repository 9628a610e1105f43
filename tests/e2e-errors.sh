#!/usr/bin/env bash
# Errors raised by OCaml callbacks, as an NBD client (libnbd's Python
# binding) sees them, and as nbdkit logs them.
#
# full.ml's fail=CALLBACK errno=NAME makes CALLBACK call NBDKit.set_error
# NAME and then raise Failure "boom in CALLBACK".  nbdkit 1.32 turns the
# errno into an NBD error code (server/protocol.c, nbd_errno), which
# libnbd turns back into an errno:
#
#   EPERM, EROFS          -> NBD_EPERM     -> EPERM
#   EIO                   -> NBD_EIO       -> EIO
#   ENOMEM                -> NBD_ENOMEM    -> ENOMEM
#   EINVAL                -> NBD_EINVAL    -> EINVAL
#   ENOSPC, EFBIG, EDQUOT -> NBD_ENOSPC    -> ENOSPC
#   ESHUTDOWN             -> NBD_ESHUTDOWN -> ESHUTDOWN
#   EOVERFLOW             -> NBD_EOVERFLOW only for a read with the DF
#                            flag, NBD_EINVAL otherwise
#   ENOTSUP/EOPNOTSUPP    -> NBD_ENOTSUP only for a fast zero request,
#                            NBD_EINVAL otherwise; and for a plain zero
#                            request nbdkit does not fail at all but falls
#                            back to writing zeroes with pwrite
#   anything else         -> NBD_EINVAL
#
# and a callback that raises without NBDKit.set_error reports EIO
# (nbdkit-ocaml-plugin(3), NBDKit.mli).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full

plan 36

cat > "$tmp/op.py" <<'PY'
import os, errno
op = os.environ["OP"]
def run():
    if op == "pread":       h.pread(512, 0)
    elif op == "pread_df":  h.pread_structured(512, 0, lambda *a: 0, nbd.CMD_FLAG_DF)
    elif op == "pwrite":    h.pwrite(b"a" * 512, 0)
    elif op == "flush":     h.flush()
    elif op == "trim":      h.trim(512, 0)
    elif op == "zero":      h.zero(512, 0)
    elif op == "zero_fast": h.zero(512, 0, nbd.CMD_FLAG_FAST_ZERO)
    elif op == "cache":     h.cache(512, 0)
    elif op == "extents":   h.block_status(512, 0, lambda *a: 0)
    else: raise Exception("unknown op " + op)
if op != "pwrite":
    h.pwrite(b"z" * 1024, 0)   # 1024: not to be confused with a 512 pwrite
try:
    run()
    print("ERRNO none")
except nbd.Error as ex:
    print("ERRNO %s" % ex.errno)
# The connection and the server survive the error.
try:
    h.get_size()
    h.pread(512, 1024) if op != "pread" else h.pwrite(b"b" * 512, 1024)
    print("ALIVE yes")
except nbd.Error as ex:
    print("ALIVE no: %s" % ex)
# What the first sector holds now (for the zero fallback).
if op != "pread":
    print("SECTOR0 %s" % ("zero" if h.pread(512, 0) == bytes(512) else "data"))
PY

# errcase CALLBACK OP ERRNO|- EXPECTED [DESC]: one server, one client.
errcase ()
{
  local cb=$1 op=$2 e=$3 expected=$4 args=(fail="$1")
  [ "$e" != - ] && args+=(errno="$e")
  serve_run -v "$(plugin full)" "${args[@]}" -- \
    'OP='"$op"' nbdsh --base-allocation -u "$uri" -c "$(cat '"$tmp"'/op.py)"' \
    > "$tmp/out" 2> "$tmp/log"
  local got
  got=$(sed -n 's/^ERRNO //p' "$tmp/out")
  is "${cb} with set_error ${e/#-/(none)}: client sees $expected" "$got" "$expected" ||
    diag "$tmp/out"
}

# Every errno the brief lists, through pread.
for pair in EPERM:EPERM EIO:EIO ENOMEM:ENOMEM EINVAL:EINVAL ENOSPC:ENOSPC \
            ESHUTDOWN:ESHUTDOWN EOVERFLOW:EINVAL EOPNOTSUPP:EINVAL \
            EROFS:EPERM EFBIG:ENOSPC; do
  errcase pread pread "${pair%%:*}" "${pair#*:}"
done
errcase pread pread - EIO
like "the server stays up and the connection usable after a failed pread" \
  "$tmp/out" '^ALIVE yes$'
# The log names the callback and shows the exception.
like "nbdkit logs the callback name and the exception text" "$tmp/log" \
  '^nbdkit: full\[1\]: error: pread: Failure\("boom in pread"\)$'

# EOVERFLOW is passed through for a read with the DF flag.
errcase pread pread_df EOVERFLOW EOVERFLOW
# EOPNOTSUPP: ENOTSUP for a fast zero ...
errcase zero zero_fast EOPNOTSUPP ENOTSUP
# ... while for a plain zero nbdkit falls back to pwrite and succeeds.
errcase zero zero EOPNOTSUPP none
like "zero failing with EOPNOTSUPP: nbdkit writes zeroes with pwrite instead" \
  "$tmp/log" '^nbdkit: full\[1\]: debug: pwrite 512 0 ?$'
like "... and the sector reads back as zeroes" "$tmp/out" '^SECTOR0 zero$'

# Other data callbacks carry their errno the same way.
errcase pwrite pwrite ENOSPC ENOSPC
like "the log names pwrite and its exception" "$tmp/log" \
  'error: pwrite: Failure\("boom in pwrite"\)'
like "the failed pwrite did not write (the disk is still zero)" "$tmp/out" '^SECTOR0 zero$'
errcase flush flush EROFS EPERM
like "the log names flush" "$tmp/log" 'error: flush: Failure\("boom in flush"\)'
errcase trim trim ENOMEM ENOMEM
errcase zero zero EIO EIO
errcase cache cache EPERM EPERM
errcase extents extents EINVAL EINVAL
like "the log names extents" "$tmp/log" 'error: extents: Failure\("boom in extents"\)'
errcase pwrite pwrite - EIO

# A raising open_connection refuses the connection and is logged.
serve_run "$(plugin full)" fail=open_connection -- 'nbdinfo --size "$uri"' \
  > "$tmp/out" 2> "$tmp/log"
check "open_connection raising: the client's connection fails" [ $? -ne 0 ]
like "open_connection raising: the log has the callback and exception" "$tmp/log" \
  'error: open_connection: Failure\("boom in open_connection"\)'

# A raising close is logged; the server goes on serving new connections.
# (nbdkit does not call close for connections still open when it shuts
# down, so wait, inside --run, for the first connection's close error.)
serve_run "$(plugin full)" fail=close -- \
  'nbdinfo --size "$uri" && nbdinfo --size "$uri" &&
   for i in $(seq 100); do
     grep -q "error: close: Failure" '"$tmp"'/log && break; sleep 0.1
   done' > "$tmp/out" 2> "$tmp/log"
is "close raising: two connections in a row are served" "$(echo $(cat "$tmp/out"))" \
  "1048576 1048576"
like "close raising: the log has the callback and exception" "$tmp/log" \
  '^nbdkit: full\[1\]: error: close: Failure\("boom in close"\)$'

# A raising config_complete stops nbdkit with the message.
serve_run "$(plugin full)" fail=config_complete -- 'echo should not run' \
  > "$tmp/out" 2> "$tmp/log"
rc=$?
check "config_complete raising: nbdkit exits with an error (status $rc)" \
  [ $rc -ne 0 -a $rc -lt 128 ]
like "config_complete raising: the message names it" "$tmp/log" \
  'config_complete: Failure\("boom in config_complete"\)'
unlike "config_complete raising: --run never ran" "$tmp/out" 'should not run'

e2e_done
