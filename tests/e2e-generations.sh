#!/usr/bin/env bash
# A plugin of each generation of nbdkit's OCaml API, each built by its own
# era's recipe (see tests/local.mk), serves reads and writes under the
# same libnbdkitocaml: e2e_ramdisk.ml (nbdkit 1.16's record API, the
# seed's recipe), r128_testplugin.ml (1.28's record API, 1.28's recipe
# with unix.cmxa) and l132_testplugin.ml (1.32's labelled API, 1.32's
# recipe with -I +unix -I +threads unix.cmxa threads.cmxa and the labelled
# module's directory).  nbdkit --dump-plugin shows that the adapter wired
# exactly the callbacks each registered.  And a plugin compiled against
# the other generation's module fails with the messages the README quotes.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_ramdisk r128_testplugin l132_testplugin e2e_short

plan 13

cat > "$tmp/rw.py" <<'PY'
import os
# Aligned: the test plugins advertise a 512-byte minimum block size,
# which libnbd enforces.
data = os.urandom(262144)
h.pwrite(data, 131072)
print("size=%d roundtrip=%s" % (h.get_size(), h.pread(262144, 131072) == data))
PY

for p in e2e_ramdisk r128_testplugin l132_testplugin; do
  out=$(serve_run "$(plugin "$p")" size=2M -- \
        'nbdsh -u "$uri" -c "$(cat '"$tmp"'/rw.py)"' 2> "$tmp/$p.err")
  is "$p: serves reads and writes" "$out" "size=2097152 roundtrip=True" ||
    diag "$tmp/$p.err"
done

# has_* of --dump-plugin: the nbdkit fields the adapter set.  open, close,
# unload and thread_model are always set; the others exactly when the
# plugin registered the callback.
has_fields ()
{
  t nbdkit --dump-plugin "$(plugin "$1")" | sed -n 's/^has_\(.*\)=1$/\1/p' |
    sort | tr '\n' ' '
}
both="after_fork block_size cleanup close config config_complete default_export"
both="$both dump_plugin export_description extents get_ready get_size"
both="$both list_exports load open pread preconnect pwrite thread_model unload zero "
is "r128_testplugin: the adapter wires exactly its callbacks" \
  "$(has_fields r128_testplugin)" "$both"
is "l132_testplugin: the adapter wires exactly its callbacks" \
  "$(has_fields l132_testplugin)" "$both"
is "e2e_short (only the required callbacks): the adapter wires only those and its own" \
  "$(has_fields e2e_short)" "close get_size open pread thread_model unload "
like "l132_testplugin: --dump-plugin shows magic_config_key" \
  <(t nbdkit --dump-plugin "$(plugin l132_testplugin)") '^magic_config_key=size$'
like "l132_testplugin: --dump-plugin runs the plugin's dump_plugin" \
  <(t nbdkit --dump-plugin "$(plugin l132_testplugin)") '^l132_dump=yes$'

# The other generation's module: the compiler's messages, as quoted in
# the README (OCaml 5.3 quotes names and words the second one "The
# function ... has type"; both forms are accepted).  The recipes, with the
# build tree's directories.
cp "$top_srcdir/tests/plugins/e2e_ramdisk.ml" \
   "$top_srcdir/tests/plugins/l132_testplugin.ml" "$tmp/"
cd "$tmp" || exit 1
ocamlopt.opt -output-obj -runtime-variant _pic -o nbdkit-x-plugin.so \
  -I "$top_builddir/ocaml/labelled" -I "$top_builddir/lib" \
  NBDKit.cmx e2e_ramdisk.ml -cclib -lnbdkitocaml > record.err 2>&1
check "a 1.16 plugin built against the labelled module fails" [ $? -ne 0 ]
like "... with: Unbound value NBDKit.default_callbacks" record.err \
  '^Error: Unbound value "?NBDKit\.default_callbacks"?$'
ocamlopt.opt -output-obj -runtime-variant _pic -o nbdkit-y-plugin.so \
  -I "$top_builddir/ocaml" -I "$top_builddir/lib" -I +unix -I +threads \
  unix.cmxa threads.cmxa NBDKit.cmx l132_testplugin.ml -cclib -lnbdkitocaml \
  > labelled.err 2>&1
check "a 1.32 plugin built against the record module fails" [ $? -ne 0 ]
like "... with: This function has type 'a NBDKit.plugin -> unit" labelled.err \
  "^Error: (This function|The function [\"']NBDKit\.register_plugin[\"']) has type( 'a NBDKit\.plugin -> unit)?\$"
like "... It is applied to too many arguments" labelled.err \
  'It is applied to too many arguments'

e2e_done
