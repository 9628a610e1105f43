#!/usr/bin/env bash
# The file-backed example (examples/filedisk.ml, threads.cmxa, pread_buf
# and pwrite_buf on the NBDKit file helpers) served by nbdkit and checked
# by real clients: a relative file= in background mode (nbdkit changes
# directory to /), nbdcopy checksums, qemu-img convert both ways, nbdsh
# writes visible in the file, FUA and flush, zero and trim on ext4 and on
# tmpfs (which has no zero-range: the fallback), and readonly refusal.
. "$(dirname "$0")/e2e-lib.sh"

ex=$top_builddir/examples/nbdkit-filedisk-plugin.so
[ -f "$ex" ] || { echo "Bail out! $ex was not built"; exit 1; }

plan 27

M=1048576
disk=$tmp/disk.img
head -c $((64 * M)) /dev/urandom > "$disk"

# -- background mode with a relative file name ------------------------------
# nbdkit forks into the background and changes directory to / before the
# first client: the plugin made file= absolute at config time.
(cd "$tmp" && t nbdkit -U "$tmp/bg.sock" -P "$tmp/bg.pid" "$ex" file=disk.img) \
  > "$tmp/bg.out" 2>&1
check "nbdkit goes into the background with file=disk.img" \
  wait_for test -s "$tmp/bg.pid" || diag "$tmp/bg.out"
bgpid=$(cat "$tmp/bg.pid" 2>/dev/null)
[ -n "$bgpid" ] && e2e_pids+=("$bgpid")
out=$(t nbdinfo --size "nbd+unix:///?socket=$tmp/bg.sock" 2>&1)
is "... and serves the file, though it changed directory to /" "$out" $((64 * M))
[ -n "$bgpid" ] && kill "$bgpid"
check "... and stops on SIGTERM" wait_for pid_gone "$bgpid"

# -- reading and writing with real clients ------------------------------------
sum=$(sha256sum < "$disk" | cut -d' ' -f1)
serve_run "$ex" file="$disk" -- \
  'nbdinfo --json "$uri" > '"$tmp"'/info.json &&
   nbdcopy "$uri" - | sha256sum | cut -d" " -f1' > "$tmp/out" 2> "$tmp/log"
is "nbdcopy reads the file: same sha256" "$(cat "$tmp/out")" "$sum" ||
  diag "$tmp/log"
for f in can_multi_conn can_fua can_flush can_trim can_zero; do
  like "nbdinfo: $f" "$tmp/info.json" "\"$f\": true"
done
like "nbdinfo: writable" "$tmp/info.json" '"is_read_only": false'

head -c $((64 * M)) /dev/urandom > "$tmp/in.img"
serve_run "$ex" file="$disk" -- \
  'qemu-img convert -n -f raw -O raw '"$tmp"'/in.img "$uri" &&
   qemu-img convert -f raw -O raw "$uri" '"$tmp"'/out.img' \
  > "$tmp/out" 2> "$tmp/log"
check "qemu-img convert into the plugin: the file equals the image" \
  cmp -s "$tmp/in.img" "$disk" || diag "$tmp/log"
check "qemu-img convert out of the plugin: the image equals the file" \
  cmp -s "$disk" "$tmp/out.img"

# nbdsh: an unaligned write with FUA, a flush, a zero and a trim; each
# checked in the file itself afterwards.
cat > "$tmp/rw.py" <<'PY'
import os
data = os.urandom(5000)
open(os.environ["TMPF"] + "/written", "wb").write(data)
h.pwrite(data, 1048576 + 7, nbd.CMD_FLAG_FUA)
h.flush()
h.zero(65536, 2 * 1048576)
h.trim(8 * 1048576, 4 * 1048576)   # count, offset
print("read back:", h.pread(5000, 1048576 + 7) == data)
PY
blocks_before=$(stat -c %b "$disk")
TMPF=$tmp serve_run "$ex" file="$disk" -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"' \
  > "$tmp/out" 2> "$tmp/log"
like "nbdsh: the write reads back through the plugin" "$tmp/out" '^read back: True$' ||
  diag "$tmp/log"
check "the FUA write is in the file at its offset" \
  cmp -s "$tmp/written" <(tail -c +$((M + 8)) "$disk" | head -c 5000)
check "zero: the range reads as zeroes in the file" \
  cmp -s <(head -c 65536 /dev/zero) <(tail -c +$((2 * M + 1)) "$disk" | head -c 65536)
# At least 7 of the 8 MiB: splitting an extent may cost the file system a
# block or two of metadata.
blocks_after=$(stat -c %b "$disk")
check "trim punched a hole: 8 MiB less allocated (fallocate punch-hole)" \
  [ $(( blocks_after * 512 )) -le $(( blocks_before * 512 - 7 * M )) ] ||
  echo "# allocated before: $((blocks_before / 2)) KiB, after: $((blocks_after / 2)) KiB"
check "... which reads as zeroes" \
  cmp -s <(head -c $((8 * M)) /dev/zero) <(tail -c +$((4 * M + 1)) "$disk" | head -c $((8 * M)))

# tmpfs has hole punching but no zero-range: zero falls back to writing
# zeroes (without May_trim), or punches a hole (with it).
shm=$(mktemp /dev/shm/nbdocaml-file.XXXXXX)
head -c $((4 * M)) /dev/urandom > "$shm"
cat > "$tmp/zero.py" <<'PY'
h.zero(65536, 0, nbd.CMD_FLAG_NO_HOLE)
h.zero(65536, 1048576)
print("zeroes:", h.pread(65536, 0) == bytes(65536) and h.pread(65536, 1048576) == bytes(65536))
PY
serve_run -v "$ex" file="$shm" -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/zero.py)"' \
  > "$tmp/out" 2> "$tmp/log"
like "tmpfs: zero without zero-range still zeroes (the fallback)" "$tmp/out" '^zeroes: True$' ||
  diag "$tmp/log"
check "... in the file too" \
  cmp -s <(head -c 65536 /dev/zero) <(head -c 65536 "$shm")
unlike "... and no error was logged" "$tmp/log" 'error:'
rm -f "$shm"

# -- read-only ----------------------------------------------------------------
cp "$disk" "$tmp/before.img"
cat > "$tmp/ro.py" <<'PY'
print("read_only:", h.is_read_only())
try:
    h.pwrite(b"x" * 512, 0)
    print("write: accepted")
except nbd.Error as e:
    print("write:", errno.errorcode.get(e.errno, e.errno))
PY
sed -i '1i import errno' "$tmp/ro.py"
serve_run "$ex" file="$disk" readonly=true -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/ro.py)"' \
  > "$tmp/out" 2> "$tmp/log"
like "readonly=true: the export is read-only" "$tmp/out" '^read_only: True$' ||
  diag "$tmp/log"
like "readonly=true: a write is refused with EPERM" "$tmp/out" '^write: EPERM$'
check "... and the file is unchanged" cmp -s "$tmp/before.img" "$disk"
serve_run -r "$ex" "$disk" -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/ro.py)"' \
  > "$tmp/out" 2> "$tmp/log"
like "nbdkit -r and a bare file name (magic_config_key): read-only too" \
  "$tmp/out" '^write: EPERM$'

# -- configuration errors -----------------------------------------------------
serve_run "$ex" file="$tmp/gone.img" -- true > "$tmp/out" 2> "$tmp/err"
like "a missing file fails at config, naming it" "$tmp/err" \
  'gone\.img: No such file or directory'
serve_run "$ex" -- true > "$tmp/out" 2> "$tmp/err"
like "no file= at all: config_complete says it is required" "$tmp/err" \
  'config_complete: Failure\("file=<FILENAME> is required"\)'

t nbdkit --dump-plugin "$ex" > "$tmp/dump" 2>&1
like "--dump-plugin: thread_model=parallel" "$tmp/dump" '^thread_model=parallel$'

e2e_done
