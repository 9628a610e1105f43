#!/usr/bin/env bash
# A built plugin is one self-contained .so: copied anywhere (here a
# temporary directory whose name has a space) as nbdkit-NAME-plugin.so it
# is served by path, finds itself there, and needs nothing from the build
# tree.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_ramdisk threads_e2e_ramdisk

plan 9

dir="$tmp/installed plugins"
mkdir "$dir"
cp "$(plugin e2e_ramdisk)" "$dir/nbdkit-myram-plugin.so"
cp "$(plugin threads_e2e_ramdisk)" "$dir/nbdkit-mythreadedram-plugin.so"
so="$dir/nbdkit-myram-plugin.so"

# No run-time dependency on anything in the build tree.
ldd "$so" > "$tmp/ldd" 2>&1
unlike "the plugin needs no library from the build tree" "$tmp/ldd" \
  "$top_builddir|libnbdocaml|not found"

t nbdkit --dump-plugin "$so" > "$tmp/dump" 2>&1
like "--dump-plugin by path: path= is the copy" "$tmp/dump" "^path=$so\$"
like "--dump-plugin by path: name= is the plugin's own name" "$tmp/dump" '^name=e2e-ramdisk$'

cat > "$tmp/rw.py" <<'PY'
import os
data = os.urandom(100000)
h.pwrite(data, 12345)
print("size=%d roundtrip=%s" % (h.get_size(), h.pread(100000, 12345) == data))
PY

# Run from another directory, with the build tree's PLUGINS out of the way.
cd "$tmp" || exit 1
out=$(PLUGINS=/nonexistent serve_run "$so" size=2M -- \
      'nbdsh -u "$uri" -c "$(cat '"'$tmp'"'/rw.py)"' 2>"$tmp/err")
is "the copied plugin serves data" "$out" "size=2097152 roundtrip=True" || diag "$tmp/err"

out=$(serve_run "$dir/nbdkit-mythreadedram-plugin.so" size=2M -- \
      'nbdsh -u "$uri" -c "$(cat '"'$tmp'"'/rw.py)"' 2>"$tmp/err")
is "the copied threads.cmxa plugin serves data" "$out" "size=2097152 roundtrip=True" ||
  diag "$tmp/err"

# Two copies of the same plugin served at once: separate processes,
# separate disks.
cp "$so" "$dir/nbdkit-myram2-plugin.so"
out=$(serve_run "$so" size=1M -- \
  'u1="$uri"; nbdkit -U - --exit-with-parent "'"$dir"'/nbdkit-myram2-plugin.so" size=3M \
     --run "nbdinfo --size \"$u1\"; nbdinfo --size \"\$uri\""' 2>"$tmp/err")
is "two copies serve at once, each with its own disk" "$(echo $out)" "1048576 3145728" ||
  diag "$tmp/err"

# A relative path: the plugin must still find its own file (it opens
# itself through the public API, by the path dladdr reports).
mkdir "$tmp/other"
cp "$so" "$tmp/other/nbdkit-x-plugin.so"
out=$(cd "$tmp/other" && serve_run ./nbdkit-x-plugin.so -- 'nbdinfo --size "$uri"' 2>"$tmp/err")
is "a relative path (./nbdkit-x-plugin.so) works too" "$out" 1048576 || diag "$tmp/err"

# nbdkit refuses a plugin path that does not exist, with a clear message.
serve_run "$dir/nbdkit-missing-plugin.so" -- true > /dev/null 2> "$tmp/err"
rc=$?
check "a missing plugin file fails cleanly (status $rc)" [ $rc -ne 0 -a $rc -lt 128 ]
like "... naming the file" "$tmp/err" 'nbdkit-missing-plugin\.so'

e2e_done
