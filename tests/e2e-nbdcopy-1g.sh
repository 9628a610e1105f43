#!/usr/bin/env bash
# A 1 GiB round trip through an OCaml RAM disk: random data copied in from
# a file with nbdcopy (several connections in parallel, since the plugin
# allows multi-conn), copied out again into another file, and both files'
# SHA-256 compared.  The plugin holds the disk in one 1 GiB Bytes buffer.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_ramdisk

plan 5

size=1G
bytes=1073741824
# memcheck makes the server some 30 times slower.
if [ "${NBDOCAML_VALGRIND:-0}" = 1 ]; then size=64M; bytes=67108864; fi

# Random data that is not all-zero anywhere, so nbdcopy cannot skip parts.
t head -c "$bytes" /dev/urandom > "$tmp/in.img"
check "made a $size random source file" [ "$(stat -c %s "$tmp/in.img")" -eq "$bytes" ]
sum_in=$(sha256sum < "$tmp/in.img" | cut -d' ' -f1)

serve_run "$(plugin e2e_ramdisk)" size=$size -- '
  nbdinfo --size "$uri" > '"$tmp"'/size &&
  s=$(date +%s%N) &&
  nbdcopy --flush '"$tmp"'/in.img "$uri" &&
  m=$(date +%s%N) &&
  nbdcopy "$uri" '"$tmp"'/out.img &&
  e=$(date +%s%N) &&
  echo "$(( (m - s) / 1000000 )) $(( (e - m) / 1000000 ))" > '"$tmp"'/times' \
  > "$tmp/log" 2>&1
rc=$?
check "nbdcopy in and out succeed" [ $rc -eq 0 ] || diag "$tmp/log"
read -r ms_in ms_out < "$tmp/times" 2>/dev/null
echo "# nbdcopy $size file -> plugin: ${ms_in:-?} ms, plugin -> file: ${ms_out:-?} ms"

is "the server reported $size" "$(cat "$tmp/size" 2>/dev/null)" "$bytes"
check "the copied-out file is $size" [ "$(stat -c %s "$tmp/out.img" 2>/dev/null)" = "$bytes" ]
sum_out=$(sha256sum < "$tmp/out.img" 2>/dev/null | cut -d' ' -f1)
is "SHA-256 of the data read back equals the data written" "$sum_out" "$sum_in"
rm -f "$tmp/in.img" "$tmp/out.img"

e2e_done
