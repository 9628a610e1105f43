#!/usr/bin/env bash
# nbdocaml-call, the command-line tool, against real test plugins: no
# nbdkit and no NBD client anywhere.  What it prints is checked against
# what the plugins are known to register and return, and its error
# messages against the library's own (the strings tests/test-errors.c
# asserts for a C host).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full threads_full api_minimal api_errors r128_testplugin \
  l132_testplugin
tool=$top_builddir/tools/nbdocaml-call
example=$top_builddir/examples/nbdkit-ramdisk-plugin.so
notocaml=$PLUGINS/api_notocaml.so
full=$(plugin full)

plan 62

# -- info ------------------------------------------------------------------
t "$tool" info "$example" > "$tmp/info" 2>&1
like "info: the example's name" "$tmp/info" '^name: +ramdisk$'
like "info: its thread model" "$tmp/info" '^thread_model: +parallel$'
like "info: its config_help" "$tmp/info" '^config_help: +size=<SIZE>'
like "info: no threads.cmxa" "$tmp/info" '^threads: +no$'
like "info: pread with its C function" "$tmp/info" '^  pread +nbdocaml_call_pread$'
unlike "info: no callback it did not register" "$tmp/info" '^  (trim|flush|extents) '

# The JSON form, read back by a JSON parser.
t "$tool" info --json "$full" > "$tmp/full.json" 2>&1
out=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["name"], d["version"], d["threads"], d["thread_model"], len(d["callbacks"]),
      d["callbacks"][0], d["callbacks"][-1])' "$tmp/full.json" 2>&1)
is "info --json: the full plugin's fields and its 26 callbacks, in record order" \
  "$out" "full 1.2.3 False serialize_requests 26 load can_fast_zero" || diag "$tmp/full.json"
out=$(t "$tool" info --json "$(plugin threads_full)" |
      python3 -c 'import json, sys; print(json.load(sys.stdin)["threads"])')
is "info --json: a threads.cmxa plugin says so" "$out" True
out=$(t "$tool" info --json "$(plugin api_minimal)" |
      python3 -c 'import json, sys; d = json.load(sys.stdin); print(d["longname"] == "", " ".join(d["callbacks"]))')
is "info --json: exactly the callbacks of a minimal plugin" "$out" \
  "True open_connection get_size pread"

# Every callback of the library is listed for the full plugin except the
# two zero-copy ones it does not register: the count comes from the
# library's own enumeration, not from a list in the tool.
n=$(grep -c '^  [a-z_]* *nbdocaml_call_' "$tmp/info" )
check "info lists what the example registered ($n callbacks)" [ "$n" -eq 9 ]

# What decides how a plugin is driven: its OCaml API, magic_config_key and
# the OCaml it was built with (configure's, exported by tests/local.mk).
: "${OCAML_VERSION:?}"
t "$tool" info "$(plugin r128_testplugin)" > "$tmp/r128.info" 2>&1
like "info: a 1.28 plugin uses the record API" "$tmp/r128.info" \
  '^ocaml_api: +record \(nbdkit 1\.16 - 1\.28\)$'
like "info: its magic_config_key" "$tmp/r128.info" '^magic_config_key: size$'
like "info: the OCaml it was built with" "$tmp/r128.info" \
  "^ocaml_version: +${OCAML_VERSION//./\\.}\$"
like "info: the callbacks of nbdkit 1.22 - 1.30 with their C functions" \
  "$tmp/r128.info" '^  export_description nbdocaml_call_export_description$'
like "info: the example has no magic_config_key" "$tmp/info" '^magic_config_key: *$'
out=$(t "$tool" info --json "$(plugin l132_testplugin)" | python3 -c '
import json, sys
d = json.load(sys.stdin)
print(d["ocaml_api"], d["magic_config_key"], d["ocaml_version"], d["threads"],
      " ".join(d["callbacks"][13:]))' 2>&1)
is "info --json: a 1.32 plugin: labelled API, magic key, OCaml version, new callbacks" \
  "$out" "labelled size $OCAML_VERSION True get_ready after_fork cleanup preconnect list_exports default_export export_description block_size"
out=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print(d["ocaml_api"], repr(d["magic_config_key"]), d["ocaml_version"])' "$tmp/full.json" 2>&1)
is "info --json: the seed's API for a 1.16 plugin, no magic key" "$out" \
  "record '' $OCAML_VERSION"

# -- call: the callbacks nbdkit 1.17 to 1.30 added -------------------------
# Both generations' test plugins, which log each callback with its
# arguments: nbdkit's order of start-up, handshake and shut-down, a bare
# parameter passed under magic_config_key, and the client the tool plays
# (open --export=NAME --tls) as NBDKit.export_name and is_tls see it.
for p in r128 l132; do
  t "$tool" call --debug "$(plugin ${p}_testplugin)" 2M -- get_ready after_fork \
    preconnect --readonly list_exports --tls default_export \
    open --readonly --tls --export=disk2 export_description block_size \
    get_size close cleanup > "$tmp/$p.out" 2> "$tmp/$p.debug"
  is "$p: list_exports, default_export, export_description, block_size print their results" \
    "$(cat "$tmp/$p.out")" "disk1	the first disk
disk2
disk1
export disk2 of $p
512 65536 33554432
2097152" || diag "$tmp/$p.debug"
  out=$(sed -n "s/^$p-testplugin: debug: //p" "$tmp/$p.debug" | grep -v '^peer ' | tr '\n' ';')
  is "$p: nbdkit's order, the bare parameter as size=, readonly, tls and the export name" \
    "$out" "load;config size=2M;config_complete;get_ready;after_fork forked=false;preconnect readonly=true;list_exports readonly=false tls=true;open readonly=true export=disk2 tls=true;close 1;cleanup;unload;"
  like "$p: the peer is the tool itself: its uid and gid" "$tmp/$p.debug" \
    "debug: peer pid=[0-9]+ uid=$(id -u) gid=$(id -g)\$"
done
out=$(t "$tool" call "$(plugin r128_testplugin)" -- open export_description 2>&1)
is "open without --export: the default export name \"\"" "$out" "export  of r128"

# Counts over 2 GiB: a record API plugin is asked about 1 GiB, a labelled
# one about the whole range (nbdocaml(3), COUNTS).
for p in r128:1073741824 l132:4294967295; do
  out=$(t "$tool" call --debug "$(plugin ${p%:*}_testplugin)" -- \
          open extents 4294967295 0 2>&1 | sed -n 's/^.*debug: extents //p')
  is "${p%:*}: extents of 4 GiB - 1 reaches the plugin as ${p#*:} bytes" "$out" "${p#*:} 0"
done

# The new callbacks' errors, as the library reports them.
t "$tool" call "$(plugin r128_testplugin)" refuse=true -- preconnect \
  > /dev/null 2> "$tmp/err"
rc=$?
is "preconnect refusing a client: the plugin's exception and errno, exit 1" \
  "$(cat "$tmp/err"; echo "rc=$rc")" 'preconnect: Failure("this client is refused by preconnect")
nbdocaml-call: errno EACCES (13): Permission denied
rc=1'
t "$tool" call "$(plugin r128_testplugin)" nul=true -- list_exports > "$tmp/out" 2> "$tmp/err"
rc=$?
is "list_exports with a NUL byte in a name: EINVAL, exit 1, the exports before it printed" \
  "$(cat "$tmp/out" "$tmp/err"; echo "rc=$rc")" "disk1	the first disk
list_exports: returned an export name that contains a NUL byte
nbdocaml-call: errno EINVAL (22): Invalid argument
rc=1"
t "$tool" call "$(plugin r128_testplugin)" nul=true -- default_export > "$tmp/out" 2> "$tmp/err"
is "default_export with a NUL byte: EINVAL" "$(head -1 "$tmp/err")" \
  "default_export: returned a name that contains a NUL byte"
t "$tool" call "$(plugin r128_testplugin)" block_size=4096,512,65536 -- open block_size \
  > "$tmp/out" 2> "$tmp/err"
is "block_size with minimum > preferred: EINVAL and nothing printed" \
  "$(cat "$tmp/out" "$tmp/err")" "block_size: returned (4096, 512, 65536): wanted 1 <= minimum <= preferred <= maximum <= 0xffffffff, or all 0
nbdocaml-call: errno EINVAL (22): Invalid argument"
out=$(t "$tool" call "$(plugin r128_testplugin)" block_size=0,0,0 -- open block_size 2>&1)
is "block_size all 0 (no constraints) is valid" "$out" "0 0 0"
t "$tool" call --debug "$full" 1M -- open > /dev/null 2> "$tmp/err"
rc=$?
is "a bare parameter to a plugin without magic_config_key: exit 2" "$rc" 2
like "... saying so" "$tmp/err" "'1M' is not KEY=VALUE, and .* has no magic_config_key"
unlike "... before load ran" "$tmp/err" "debug: load"
t "$tool" call "$full" -- list_exports --export=x > /dev/null 2> "$tmp/err"
like "--export= belongs to open only" "$tmp/err" "list_exports: unknown option '--export=x'"

# -- call: reading and writing -------------------------------------------
t "$tool" call "$example" size=1M -- open --readonly pread 512 0 > "$tmp/sector" 2>"$tmp/err"
is "call pread: 512 bytes on stdout" "$(stat -c %s "$tmp/sector")" 512 || diag "$tmp/err"
is "... starting with the example's greeting" "$(head -c 45 "$tmp/sector")" \
  "Hello from an nbdkit plugin written in OCaml!"
check "... and zeroes after it" cmp -s <(tail -c +47 "$tmp/sector") <(head -c 466 /dev/zero)

t "$tool" call --hexdump "$example" -- open pread 512 0 > "$tmp/hex" 2>"$tmp/err"
hexdump -C "$tmp/sector" > "$tmp/hex.expected"
check "call --hexdump prints what hexdump -C prints" diff "$tmp/hex.expected" "$tmp/hex" ||
  diag "$tmp/hex" "$tmp/err"
t "$tool" call -x "$example" -- open pread 20 4096 > "$tmp/hex2" 2>&1
like "--hexdump addresses are disk offsets" "$tmp/hex2" '^00001000  00 00 '
like "... and the last line is the end offset" "$tmp/hex2" '^00001014$'

out=$(t "$tool" call "$example" size=2M -- open get_size pwrite 1000 hello pread 5 1000 close 2>&1)
is "call: config, get_size, pwrite then pread read back" "$out" "2097152
hello"
head -c 3000 /dev/urandom > "$tmp/data"
t "$tool" call "$example" -- open pwrite 0x1000 "@$tmp/data" pread 3000 4096 > "$tmp/back" 2>&1
check "pwrite @FILE writes the file, at a hexadecimal offset" cmp "$tmp/data" "$tmp/back"

out=$(t "$tool" call "$full" size=64K -- open can_write can_fua can_cache extents 512 0 thread_model 2>&1)
is "call: queries and extents print one value a line" "$out" "true
native
native
0 32768 data
32768 32768 hole,zero
serialize_requests"
out=$(t "$tool" call "$full" -- open --readonly can_write 2>&1)
is "open --readonly reaches the plugin" "$out" false

# The debug messages show the callbacks in nbdkit's order, with the flags.
t "$tool" call --debug "$full" size=64K -- open pwrite --fua 100 hi \
  zero --may-trim 8 0 pread_buf 2 100 > "$tmp/out" 2> "$tmp/debug"
out=$(sed -n 's/^full: debug: //p' "$tmp/debug" | tr '\n' ';')
is "call sets up like nbdkit, passes flags, closes and unloads" "$out" \
  "load;config size=64K;config_complete;open false;pwrite 2 100 fua;zero 8 0 may_trim;close 1;unload;"
# full has no pread_buf: the call is an error, after which the tool still
# closes the connection and unloads (seen above).
like "an unregistered callback: the library's message" "$tmp/debug" \
  '^pread_buf: the plugin did not register this callback$'
like "... and its errno" "$tmp/debug" '^nbdocaml-call: errno EOPNOTSUPP \(95\)'

out=$(t "$tool" call "$full" -- dump_plugin 2>&1)
is "call dump_plugin: the plugin's output" "$out" "full_dump=yes"

# -- errors, exactly as the library reports them -------------------------
t "$tool" call "$(plugin api_errors)" -- open pread 1 1 > "$tmp/out" 2> "$tmp/err"
rc=$?
is "a raising callback: exit status 1" "$rc" 1
is "... first line exactly the library's message" "$(head -1 "$tmp/err")" \
  'pread: Failure("boom in pread")'
is "... second line the errno (EIO without set_error)" "$(sed -n 2p "$tmp/err")" \
  "nbdocaml-call: errno EIO (5): Input/output error"
t "$tool" call "$full" fail=trim errno=ENOSPC -- open trim 512 0 > /dev/null 2> "$tmp/err"
is "the errno the plugin chose with set_error" "$(cat "$tmp/err")" \
  'trim: Failure("boom in trim")
nbdocaml-call: errno ENOSPC (28): No space left on device'
t "$tool" call "$full" nosuchkey=1 > /dev/null 2> "$tmp/err"
is "a config error stops the set-up" "$(head -1 "$tmp/err")" \
  'config: Failure("unknown parameter: nosuchkey")'
t "$tool" info "$notocaml" > /dev/null 2> "$tmp/err"
rc=$?
like "a .so that is no OCaml plugin: ELIBBAD" "$tmp/err" 'errno ELIBBAD'
is "... exit status 1" "$rc" 1
t "$tool" info "$tmp/missing.so" > /dev/null 2> "$tmp/err"
like "a missing file: the library's message and ENOENT" "$tmp/err" \
  "^nbdocaml_module_open: .*missing\.so.*|errno ENOENT"

# -- command-line mistakes: exit 2 and nothing runs ------------------------
t "$tool" call --debug "$full" -- open pread 512 > /dev/null 2> "$tmp/err"
rc=$?
is "pread without OFFSET: exit status 2" "$rc" 2
unlike "... before the plugin ran any callback" "$tmp/err" "debug: (load|open)"
t "$tool" call "$full" -- get_size > /dev/null 2> "$tmp/err"
like "a connection callback before open is refused" "$tmp/err" "get_size: no connection is open"
t "$tool" call "$full" -- open frobnicate > /dev/null 2> "$tmp/err"
is "an unknown operation: exit status 2" "$?" 2
out=$(t "$tool" --version)
is "--version: the tool's and the library's versions" "$out" \
  "nbdocaml-call $PACKAGE_VERSION
libnbdocaml $PACKAGE_VERSION"

e2e_done
