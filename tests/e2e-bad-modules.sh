#!/usr/bin/env bash
# Plugins that cannot work: one raising in its top-level code, one never
# registering, one missing the required pread, one with an empty name,
# one registering twice; and files that are no plugin at all (missing, a
# directory, empty, not ELF, a shared object without plugin_init), which
# nbdkit itself rejects.  nbdkit must refuse each: exit with a failure
# status (not killed by a signal, so < 128), a message in stderr that says
# what is wrong, the --run command never started, no core dump.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin e2e_raise_at_load e2e_noregister e2e_nopread e2e_noname e2e_twice

plan 32

mkdir "$tmp/cwd"
cd "$tmp/cwd" || exit 1
ulimit -c unlimited 2>/dev/null

bad ()  # NAME ERE [PATH]
{
  local name=$1 ere=$2 path=${3:-$(plugin "$1")} rc
  serve_run "$path" -- 'echo command ran' > "$tmp/$name.out" 2> "$tmp/$name.err"
  rc=$?
  check "$name: nbdkit fails cleanly (exit status $rc)" [ $rc -ne 0 -a $rc -lt 128 ]
  like "$name: stderr says why" "$tmp/$name.err" "$ere"
  unlike "$name: the --run command did not run" "$tmp/$name.out" 'command ran'
}

bad e2e_raise_at_load \
  'module initialisation raised: Failure\("e2e_raise_at_load: deliberate failure at module load"\)'
bad e2e_noregister 'never called NBDKit\.register_plugin'
bad e2e_nopread "register_plugin: the required callback 'pread'"
bad e2e_noname "register_plugin: the required field 'name' is empty"
bad e2e_twice 'register_plugin: called more than once'

mkdir "$tmp/adir.so"
: > "$tmp/empty.so"
echo "not a plugin" > "$tmp/text.so"
bad missing-file 'missing\.so' "$tmp/missing.so"
bad directory 'adir\.so' "$tmp/adir.so"
bad empty-file 'empty\.so' "$tmp/empty.so"
bad text-file 'text\.so' "$tmp/text.so"
bad c-library 'api_notocaml\.so' "$PLUGINS/api_notocaml.so"

t nbdkit --dump-plugin "$(plugin e2e_raise_at_load)" > "$tmp/dump.out" 2> "$tmp/dump.err"
rc=$?
check "--dump-plugin of a module that raises at load fails cleanly (status $rc)" \
  [ $rc -ne 0 -a $rc -lt 128 ]
cores=$(find "$tmp/cwd" -name 'core*' | wc -l)
is "no core file was left behind" "$cores" 0

e2e_done
