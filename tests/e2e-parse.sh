#!/usr/bin/env bash
# NBDKit.parse_size, parse_bool and read_password under nbdkit are
# nbdkit's own (nbdkit_parse_size ...): the values a plugin gets, and the
# error messages a user sees, are those of every other nbdkit plugin.
# full.ml reports what it parsed through NBDKit.debug.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full

plan 10

printf 'from-a-file\n' > "$tmp/pw"
serve_run -v "$(plugin full)" parse_size=1K parse_size=3M parse_size=2E \
  bool=on bool=FALSE password=literal "password=+$tmp/pw" -- true \
  > "$tmp/out" 2> "$tmp/log"
check "nbdkit accepts the keys" [ $? -eq 0 ] || diag "$tmp/log"
like "parse_size 1K" "$tmp/log" 'debug: parse_size=1024$'
like "parse_size 3M" "$tmp/log" 'debug: parse_size=3145728$'
like "parse_size 2E" "$tmp/log" 'debug: parse_size=2305843009213693952$'
like "parse_bool on" "$tmp/log" 'debug: bool=true$'
like "parse_bool FALSE" "$tmp/log" 'debug: bool=false$'
like "read_password: a literal" "$tmp/log" 'debug: password=literal$'
like "read_password: +FILE" "$tmp/log" 'debug: password=from-a-file$'

serve_run "$(plugin full)" parse_size=1Z -- true > "$tmp/out" 2> "$tmp/log"
rc=$?
check "a bad size makes nbdkit fail (status $rc)" [ $rc -ne 0 ] && [ $rc -lt 128 ]
# The first line is nbdkit_parse_size's own message, the second ours.
like "nbdkit's own parser reported it" "$tmp/log" \
  "^nbdkit: error: could not parse size: unknown suffix 'Z'"

e2e_done
