#!/usr/bin/env bash
# Exceptions under nbdkit as OCaml prints them (Printexc.to_string:
# registered printers, the Unix library's for Unix_error included, and
# escaped strings), the errno of an uncaught Unix.Unix_error reaching the
# client, and backtraces as debug lines under nbdkit -v when the plugin
# records them (OCAMLRUNPARAM=b or Printexc.record_backtrace), for both
# OCaml APIs.  tests/test-exceptions.c checks the same through the C API.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin r128_exceptions l132_exceptions

plan 16

ex=$(plugin r128_exceptions)

cat > "$tmp/read.py" <<'PY'
try:
    h.pread(512, 0)
    print("ERRNO none")
except nbd.Error as e:
    print("ERRNO %s" % errno.errorcode.get(e.errno, e.errno))
PY
sed -i '1i import errno' "$tmp/read.py"

# read ARGS...: serve ARGS, read once, the client's errno in $tmp/out and
# nbdkit's log in $tmp/log.
read_once ()
{
  serve_run -f "$@" -- 'nbdsh -u "$uri" -c "$(cat '"$tmp"'/read.py)"' \
    > "$tmp/out" 2> "$tmp/log"
}

read_once "$ex" raise=erofs
like "Unix_error is logged with its constructor, not a number" "$tmp/log" \
  'error: pread: Unix\.Unix_error\(Unix\.EROFS, "write", "disk\.img"\)$'
like "... and the client gets EROFS's NBD error (EPERM), not EIO" \
  "$tmp/out" '^ERRNO EPERM$'

read_once "$ex" raise=set_error
like "set_error before a Unix_error wins: ENOSPC" "$tmp/out" '^ERRNO ENOSPC$'

read_once "$ex" raise=unix
like "Unix.openfile of a missing file: ENOENT in the log" "$tmp/log" \
  'error: pread: Unix\.Unix_error\(Unix\.ENOENT, "open", "gone\.img"\)$'

read_once "$ex" raise=quote
like "a Failure's quotes and newline are escaped" "$tmp/log" \
  'error: pread: Failure\("say \\"hi\\"\\nand go"\)$'

read_once "$ex" raise=printer
like "the plugin's registered printer is used" "$tmp/log" \
  'error: pread: the disk is on fire \(451 degrees\)$'

# Backtraces.
read_once "$ex" raise=nested
unlike "no backtrace unless the plugin records them" "$tmp/log" 'backtrace:'

OCAMLRUNPARAM=b read_once -v "$ex" raise=nested
like "OCAMLRUNPARAM=b, -v: the raise point as a debug line" "$tmp/log" \
  'debug: pread: backtrace: Raised at .*failwith'
like "... the plugin's frames, with its file and line" "$tmp/log" \
  'debug: pread: backtrace: Called from .*middle in file "r128_exceptions\.ml", line [0-9]+'
like "... and the error itself" "$tmp/log" 'error: pread: Failure\("deep down"\)$'
OCAMLRUNPARAM=b read_once "$ex" raise=nested
unlike "without -v, OCAMLRUNPARAM=b logs no backtrace" "$tmp/log" 'backtrace:'

read_once -v "$ex" raise=nested backtrace=true
like "Printexc.record_backtrace true (backtrace=true) works as well" "$tmp/log" \
  'debug: pread: backtrace: Called from .*pread in file "r128_exceptions\.ml"'

# The labelled module.
OCAMLRUNPARAM=b read_once -v "$(plugin l132_exceptions)"
like "labelled API: Unix_error printed by its printer" "$tmp/log" \
  'error: pread: Unix\.Unix_error\(Unix\.EROFS, "write", "labelled\.img"\)$'
like "labelled API: its errno reaches the client" "$tmp/out" '^ERRNO EPERM$'
like "labelled API: the backtrace names the helper" "$tmp/log" \
  'debug: pread: backtrace: Raised at .*refuse in file "l132_exceptions\.ml"'

# An exception at load: module initialisation raising Unix_error.
serve_run -f "$ex" raise=nested backtrace=maybe -- true > "$tmp/out" 2> "$tmp/log"
like "config: the exception from parse_bool, escaped" "$tmp/log" \
  'config: Invalid_argument\("NBDKit\.parse_bool: could not decipher boolean: maybe"\)'

e2e_done
