#!/usr/bin/env bash
# QEMU's NBD client against an OCaml RAM disk: qemu-img info, convert in
# and out (data compared), compare, and qemu-io writes and pattern-checked
# reads, cross-checked with libnbd.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_ramdisk

plan 9

t head -c 16M /dev/urandom > "$tmp/in.img"

cat > "$tmp/run.sh" <<'SH'
cd "$tmp" || exit 1
qemu-img info -f raw --output=json "$uri" > info.json 2>&1
echo "info=$?"
qemu-img convert -n -f raw -O raw in.img "$uri" > convert-in.log 2>&1
echo "convert_in=$?"
qemu-img convert -f raw -O raw "$uri" out.img > convert-out.log 2>&1
echo "convert_out=$?"
qemu-img compare -f raw -F raw "$uri" in.img > compare.log 2>&1
echo "compare=$?"
qemu-io -f raw -c 'write -P 0x5a 1M 64k' -c 'read -P 0x5a 1M 64k' "$uri" > io.log 2>&1
echo "io=$?"
# A pattern that is not there must be reported.
qemu-io -f raw -c 'read -P 0xa5 1M 64k' "$uri" > io-bad.log 2>&1
nbdsh -u "$uri" -c 'print("nbdsh_sees_pattern=%s" % (h.pread(65536, 1048576) == b"\x5a" * 65536))'
SH

serve_run "$(plugin e2e_ramdisk)" size=16M -- \
  'tmp='"$tmp"' uri="$uri" bash '"$tmp"'/run.sh' > "$tmp/out" 2> "$tmp/err"

size=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["virtual-size"])' \
       "$tmp/info.json" 2>/dev/null)
is "qemu-img info: virtual size 16M" "$size" 16777216
like "qemu-img convert file -> plugin succeeds" "$tmp/out" '^convert_in=0$'
like "qemu-img convert plugin -> file succeeds" "$tmp/out" '^convert_out=0$'
check "the converted-out image equals the converted-in one" cmp -s "$tmp/in.img" "$tmp/out.img"
like "qemu-img compare finds the plugin identical to the source" "$tmp/out" '^compare=0$'
like "qemu-io write + pattern read succeed" "$tmp/io.log" '^read 65536/65536 bytes at offset 1048576'
unlike "qemu-io pattern verification passes" "$tmp/io.log" 'Pattern verification failed'
like "qemu-io detects a wrong pattern (the check can fail)" "$tmp/io-bad.log" 'Pattern verification failed'
like "libnbd reads what qemu-io wrote" "$tmp/out" '^nbdsh_sees_pattern=True$'

e2e_done
