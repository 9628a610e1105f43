#!/usr/bin/env bash
# An OCaml plugin loaded through another plugin, as nbdkit-cc-plugin(3)
# documents it: nbdkit's cc plugin compiles the .ml with ocamlopt into a
# temporary .so, loads it, calls its plugin_init and deletes the file.  The
# plugin must find itself (not the cc plugin) and open an object whose file
# is gone.  Both ways the manual gives: "nbdkit cc x.ml CC=ocamlopt
# CFLAGS=...", and an executable OCaml script that starts nbdkit cc on
# itself.  CFLAGS is the manual's, plus -I for this build tree (the
# manual's assumes NBDKit.cmx and libnbdkitocaml.a are installed) and, on
# OCaml 5, -I +unix before unix.cmxa.
. "$(dirname "$0")/e2e-lib.sh"

plan 8

unix_inc=
[ "${OCAML_MAJOR:-4}" -ge 5 ] && unix_inc="-I +unix"
cflags="-output-obj -runtime-variant _pic -I $top_builddir/ocaml -I $top_builddir/lib $unix_inc unix.cmxa NBDKit.cmx -cclib -lnbdkitocaml"

cat > "$tmp/rw.py" <<'PY'
import os
data = os.urandom(100000)
h.pwrite(data, 4096)
print("size=%d roundtrip=%s" % (h.get_size(), h.pread(100000, 4096) == data))
PY

# -- nbdkit cc FILE.ml ------------------------------------------------------
cp "$top_srcdir/examples/ramdisk.ml" "$tmp/ramdisk.ml"
out=$(cd "$tmp" && t nbdkit -U - -v cc ./ramdisk.ml CC=ocamlopt CFLAGS="$cflags" \
      size=2M --run 'nbdsh -u "$uri" -c "$(cat rw.py)"' 2> cc.log)
is "nbdkit cc compiles and serves an OCaml source" "$out" \
  "size=2097152 roundtrip=True" || diag "$tmp/cc.log"
unlike "nbdkit cc: the plugin found itself, not the cc plugin" "$tmp/cc.log" \
  'not an OCaml plugin|no nbdocaml_glue_entry'
like "nbdkit cc: it is the OCaml plugin's callbacks that ran" "$tmp/cc.log" \
  'debug: cc: config_complete'
like "nbdkit cc: the plugin unloaded at the end" "$tmp/cc.log" \
  'debug: cc: unload plugin'

# -- an executable OCaml script ---------------------------------------------
# The first line is a shell command in an OCaml comment; the shell runs the
# second, which execs nbdkit cc on the script itself.
{
  echo '(*/.)>/dev/null 2>&1'
  echo "exec nbdkit cc \"\$0\" CC=ocamlopt CFLAGS=\"$cflags\" \"\$@\""
  echo '*)'
  cat "$top_srcdir/examples/ramdisk.ml"
} > "$tmp/script.ml"
chmod +x "$tmp/script.ml"
out=$(cd "$tmp" && t ./script.ml -U - -v size=3M \
      --run 'nbdsh -u "$uri" -c "$(cat rw.py)"' 2> script.log)
is "an OCaml plugin script starts nbdkit cc on itself and is served" "$out" \
  "size=3145728 roundtrip=True" || diag "$tmp/script.log"
unlike "the script: no error from the OCaml plugin" "$tmp/script.log" \
  'error:'
like "the script: it is the OCaml plugin's callbacks that ran" "$tmp/script.log" \
  'debug: cc: config_complete'

# The compiled .so was deleted by the cc plugin: nothing of it is left.
check "nbdkit cc left no compiled plugin behind in the directory" \
  test -z "$(ls "$tmp"/*.so 2>/dev/null)"

e2e_done
