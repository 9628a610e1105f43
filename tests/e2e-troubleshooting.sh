#!/usr/bin/env bash
# The README's "Troubleshooting": each mistake made for real, with the key
# words of the message the README quotes, on the compiler configure found
# (OCaml 4 or 5).  The recipe is nbdkit-ocaml-plugin(3)'s, with -I for the
# build tree's NBDKit.cmx and libnbdkitocaml.a (and -I +unix on OCaml 5),
# less the piece each mistake forgets.
. "$(dirname "$0")/e2e-lib.sh"

plan 19

tool=$top_builddir/tools/nbdocaml-call
src=$top_srcdir/examples/ramdisk.ml
inc=(-I "$top_builddir/ocaml" -I "$top_builddir/lib")
[ "${OCAML_MAJOR:-4}" -ge 5 ] && inc+=(-I +unix)
cd "$tmp" || exit 1
cp "$src" .

# -- without -runtime-variant _pic --------------------------------------------
ocamlopt.opt -output-obj "${inc[@]}" -o nbdkit-nopic-plugin.so \
  NBDKit.cmx ramdisk.ml -cclib -lnbdkitocaml > nopic.err 2>&1
rc=$?
check "without -runtime-variant _pic the link fails (status $rc)" [ $rc -ne 0 ]
like "... and the linker says: recompile with -fPIC" nopic.err \
  'libasmrun\.a.*can not be used when making a shared object; recompile with -fPIC'

# -- without -cclib -lnbdkitocaml ---------------------------------------------
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-nolib-plugin.so NBDKit.cmx ramdisk.ml > nolib.err 2>&1
check "without -cclib -lnbdkitocaml the link succeeds" [ -f nbdkit-nolib-plugin.so ] ||
  diag nolib.err
serve_run ./nbdkit-nolib-plugin.so -- true > out 2> nolib.log
like "... and nbdkit cannot load it: undefined symbol: nbdocaml_glue_..." nolib.log \
  "cannot open plugin '\./nbdkit-nolib-plugin\.so': .*undefined symbol: nbdocaml_glue_"
t "$tool" info ./nbdkit-nolib-plugin.so > out 2> nolib.api
like "... the C API (nbdocaml-call info) names the missing -cclib -lnbdkitocaml" \
  nolib.api 'undefined symbol: nbdocaml_glue_[a-z_]+ \(the plugin was linked without -cclib -lnbdkitocaml'

# -- without -output-obj ------------------------------------------------------
ocamlopt.opt -runtime-variant _pic "${inc[@]}" -o nbdkit-noobj-plugin.so \
  NBDKit.cmx ramdisk.ml -cclib -lnbdkitocaml > noobj.err 2>&1
check "without -output-obj the link succeeds (a program)" [ -x nbdkit-noobj-plugin.so ] ||
  diag noobj.err
serve_run ./nbdkit-noobj-plugin.so -- true > out 2> noobj.log
like "... and nbdkit says: cannot dynamically load position-independent executable" \
  noobj.log 'cannot dynamically load position-independent executable'
t "$tool" info ./nbdkit-noobj-plugin.so > out 2> noobj.api
like "... the C API says it was linked without -output-obj" noobj.api \
  'position-independent executable \(the plugin was linked without -output-obj'

# -- a plugin in the labelled style, built against the record module ----------
cat > labelled.ml <<'EOF'
let () =
  NBDKit.register_plugin ~name:"labelled" ~open_connection:(fun _ -> ())
    ~get_size:(fun () -> 0L) ~pread:(fun () _ _ _ -> "") ()
EOF
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-labelled-plugin.so NBDKit.cmx labelled.ml -cclib -lnbdkitocaml \
  > labelled.err 2>&1
rc=$?
check "a labelled-style plugin without -I +nbdkit-labelled does not compile (status $rc)" \
  [ $rc -ne 0 ]
like "... It is applied to too many arguments" labelled.err \
  'It is applied to too many arguments'
ocamlopt.opt -output-obj -runtime-variant _pic -I "$top_builddir/ocaml/labelled" \
  -I "$top_builddir/lib" "${inc[@]:4}" -o nbdkit-labelled-plugin.so \
  NBDKit.cmx labelled.ml -cclib -lnbdkitocaml > labelled.err 2>&1
check "... and compiles with the labelled module's directory" \
  [ -f nbdkit-labelled-plugin.so ] || diag labelled.err

# -- a name nbdkit refuses ------------------------------------------------------
sed 's/NBDKit.name = "ramdisk"/NBDKit.name = "my_disk"/' ramdisk.ml > badname.ml
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-badname-plugin.so NBDKit.cmx badname.ml -cclib -lnbdkitocaml \
  > badname.err 2>&1 || diag badname.err
serve_run ./nbdkit-badname-plugin.so -- true > out 2> badname.log
like "name = \"my_disk\": nbdkit wants letters, digits and dashes" badname.log \
  "plugin\.name \('my_disk'\) field must contain only ASCII alphanumeric or dash characters"

# -- a relative file name, in the background ----------------------------------
# A plugin that opens file= as given, once a client connects.  nbdkit has
# changed directory to / by then (it daemonizes between config and the
# first client), so the name no longer points to the file.
cat > naive.ml <<'EOF'
let file = ref ""
let () = NBDKit.register_plugin {
  NBDKit.default_callbacks with
  NBDKit.name = "naive";
  config = Some (fun k v -> if k = "file" then file := v else failwith k);
  open_connection = Some (fun _ -> Unix.openfile !file [Unix.O_RDONLY] 0);
  get_size = Some (fun fd -> (Unix.LargeFile.fstat fd).Unix.LargeFile.st_size);
  pread = Some (fun _ n _ _ -> String.make (Int32.to_int n) '\000');
}
EOF
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-naive-plugin.so unix.cmxa NBDKit.cmx naive.ml -cclib -lnbdkitocaml \
  > naive.err 2>&1 || diag naive.err
truncate -s 1M disk.img
# -v --log=stderr keeps the background server's errors on stderr.
t nbdkit -v --log=stderr -U "$tmp/naive.sock" -P "$tmp/naive.pid" \
  ./nbdkit-naive-plugin.so file=disk.img > naive.log 2>&1
wait_for test -s naive.pid
pid=$(cat naive.pid 2>/dev/null) && e2e_pids+=("$pid")
t nbdinfo --size "nbd+unix:///?socket=$tmp/naive.sock" > out 2> naive.client
like "background, relative file=: the client sees No such file or directory" \
  naive.client 'No such file or directory'
[ -n "${pid-}" ] && kill "$pid" && wait_for pid_gone "$pid"
like "... and nbdkit logs the plugin's Unix_error with the name it was given" \
  naive.log 'error: open_connection: Unix\.Unix_error\(Unix\.ENOENT, "open", "disk\.img"\)'
serve_run ./nbdkit-naive-plugin.so file=disk.img -- 'nbdinfo --size "$uri"' \
  > out 2> naive.fg
is "... while in the foreground (--run) the same name works" "$(cat out)" 1048576

# The fix: the name made absolute at config time (NBDKit.realpath).
sed 's/file := v/file := NBDKit.realpath v/' naive.ml > fixed.ml
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-fixed-plugin.so unix.cmxa NBDKit.cmx fixed.ml -cclib -lnbdkitocaml \
  > fixed.err 2>&1 || diag fixed.err
t nbdkit -U "$tmp/fixed.sock" -P "$tmp/fixed.pid" ./nbdkit-fixed-plugin.so \
  file=disk.img > fixed.log 2>&1
wait_for test -s fixed.pid
pid=$(cat fixed.pid 2>/dev/null) && e2e_pids+=("$pid")
is "the fix, NBDKit.realpath in config: the background server serves the file" \
  "$(t nbdinfo --size "nbd+unix:///?socket=$tmp/fixed.sock" 2>&1)" 1048576
[ -n "${pid-}" ] && kill "$pid"

# -- no backtrace without -g ----------------------------------------------------
cp "$top_srcdir/tests/plugins/r128_exceptions.ml" .
ocamlopt.opt -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-nog-plugin.so unix.cmxa NBDKit.cmx r128_exceptions.ml \
  -cclib -lnbdkitocaml > nog.err 2>&1 || diag nog.err
OCAMLRUNPARAM=b serve_run -v ./nbdkit-nog-plugin.so raise=erofs -- \
  'nbdsh -u "$uri" -c "h.pread(512, 0)"' > out 2> nog.log
like "without -g: the error is logged ..." nog.log \
  'error: pread: Unix\.Unix_error\(Unix\.EROFS'
unlike "... but OCAMLRUNPARAM=b gives no backtrace for the plugin's raise" \
  nog.log 'backtrace:'
ocamlopt.opt -g -output-obj -runtime-variant _pic "${inc[@]}" \
  -o nbdkit-g-plugin.so unix.cmxa NBDKit.cmx r128_exceptions.ml \
  -cclib -lnbdkitocaml > g.err 2>&1 || diag g.err
OCAMLRUNPARAM=b serve_run -v ./nbdkit-g-plugin.so raise=erofs -- \
  'nbdsh -u "$uri" -c "h.pread(512, 0)"' > out 2> g.log
like "with -g it does" g.log \
  'debug: pread: backtrace: Raised at .*r128_exceptions\.ml'

e2e_done
