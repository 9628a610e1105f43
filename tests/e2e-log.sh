#!/usr/bin/env bash
# What nbdkit prints about an OCaml plugin: NBDKit.debug messages only
# with -v, --dump-plugin (nbdkit's keys with the plugin's thread model,
# then the plugin's own dump_plugin lines), --help (config_help) and
# --version (the plugin's version).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full threads_full e2e_ramdisk

plan 25

full=$(plugin full)

# -- NBDKit.debug ----------------------------------------------------------
serve_run "$full" debug=hello -- 'nbdinfo --size "$uri"' > "$tmp/out" 2> "$tmp/quiet"
is "without -v the server runs normally" "$(cat "$tmp/out")" 1048576
unlike "without -v no NBDKit.debug message appears" "$tmp/quiet" 'debug message|open false|load$'
unlike "without -v there are no debug lines at all" "$tmp/quiet" 'debug:'

serve_run -v "$full" debug=hello -- 'nbdinfo --size "$uri"' > "$tmp/out" 2> "$tmp/verbose"
like "with -v NBDKit.debug formats and shows its message (from config)" \
  "$tmp/verbose" '^nbdkit: debug: debug message: hello 42$'
like "with -v the load callback's debug line appears" "$tmp/verbose" '^nbdkit: debug: load$'
like "with -v per-connection debug lines carry the connection" \
  "$tmp/verbose" '^nbdkit: full\[1\]: debug: open false$'
like "with -v the unload callback runs at exit" "$tmp/verbose" '^nbdkit: debug: unload$'

# The message is data, never a format string for nbdkit.
serve_run -v "$full" 'debug=100%s%n%d' -- 'nbdinfo --size "$uri"' > /dev/null 2> "$tmp/pct"
like "with -v a message containing % signs arrives verbatim" "$tmp/pct" \
  '^nbdkit: debug: debug message: 100%s%n%d 42$'

# nbdkit -r: open_connection gets readonly=true, and the export is read-only.
serve_run -v -r "$full" -- 'nbdinfo --can write "$uri"; echo "can_write=$?"' \
  > "$tmp/out" 2> "$tmp/ro"
like "nbdkit -r: open_connection receives readonly=true" "$tmp/ro" \
  '^nbdkit: full\[1\]: debug: open true$'
is "nbdkit -r: the client sees a read-only export" "$(cat "$tmp/out")" can_write=2

# -- --dump-plugin ---------------------------------------------------------
t nbdkit --dump-plugin "$full" > "$tmp/dump" 2> "$tmp/dump.err"
check "--dump-plugin exits 0" [ $? -eq 0 ] || diag "$tmp/dump.err"
like "--dump-plugin: path=" "$tmp/dump" "^path=$full\$"
like "--dump-plugin: name=full" "$tmp/dump" '^name=full$'
like "--dump-plugin: version=1.2.3" "$tmp/dump" '^version=1\.2\.3$'
like "--dump-plugin: api_version=2" "$tmp/dump" '^api_version=2$'
like "--dump-plugin: has_pread=1 and friends" "$tmp/dump" '^has_extents=1$'
like "--dump-plugin: full.ml's thread model, serialize_requests" "$tmp/dump" \
  '^thread_model=serialize_requests$'
# The plugin's own lines come after all of nbdkit's (OCaml's stdout
# buffer is not C's; the output here goes to a file, fully buffered).
last_key=$(grep -n -E '^(path|name|version|api_version|struct_size|max_thread_model|thread_model|errno_is_preserved|has_[a-z_]+)=' \
           "$tmp/dump" | tail -1 | cut -d: -f1)
plugin_line=$(grep -n '^full_dump=yes$' "$tmp/dump" | cut -d: -f1)
check "--dump-plugin: the plugin's full_dump=yes comes after nbdkit's keys" \
  [ "${plugin_line:-0}" -gt "${last_key:-999}" ] || diag "$tmp/dump"
# Same through a pipe.
out=$(t nbdkit --dump-plugin "$full" | tail -1)
is "--dump-plugin through a pipe: full_dump=yes is the last line" "$out" full_dump=yes
out=$(t nbdkit --dump-plugin "$(plugin threads_full)" | grep -E '^thread_model=|^full_dump=' | tr '\n' ' ')
is "--dump-plugin with threads.cmxa: same model, same plugin line" "$out" \
  "thread_model=serialize_requests full_dump=yes "
out=$(t nbdkit --dump-plugin "$(plugin e2e_ramdisk)" | grep '^thread_model=')
is "--dump-plugin: a plugin without thread_model is parallel" "$out" thread_model=parallel

# -- --help and --version ----------------------------------------------------
t nbdkit "$full" --help > "$tmp/help" 2>&1
check "nbdkit PLUGIN --help exits 0" [ $? -eq 0 ]
like "--help shows the plugin's config_help" "$tmp/help" '^size=SIZE fail=CALLBACK errno=NAME$'
like "--help shows the plugin's name and longname" "$tmp/help" '^plugin: full \(every callback\)$'
out=$(t nbdkit "$full" --version 2>&1 | tail -1)
is "nbdkit PLUGIN --version shows the plugin's version" "$out" "full 1.2.3"

e2e_done
