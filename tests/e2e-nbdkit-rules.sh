#!/usr/bin/env bash
# NBDKit.parse_size, parse_bool and read_password follow nbdkit's rules,
# with nbdkit itself as the judge: the same values go to nbdkit's own
# nbdkit_parse_size, nbdkit_parse_bool and nbdkit_read_password (the C
# plugin tests/plugins/nbdkit_rules.c under the real nbdkit) and to
# NBDKit's (tests/plugins/rules.ml), both under nbdkit, where NBDKit calls
# nbdkit's functions, and in a host that is not nbdkit (nbdocaml-call),
# where NBDKit has its own implementation of the rules.  Each prints one
# verdict per value; the three transcripts must be the same.  A few lines
# of nbdkit's are also checked by value, so that a broken oracle cannot
# pass for agreement.  read_password's "-" (the terminal, echo off) is
# tried on a pseudo-terminal made by script(1).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin rules
oracle=$PLUGINS/nbdkit_rules.so
tool=$top_builddir/tools/nbdocaml-call
[ -f "$oracle" ] || { echo "Bail out! $oracle was not built"; exit 1; }

plan 17

sizes=(0 1 512 1b 1B 4k 4K 3M 2g 1T 1P 1E 7E 8E 1s 2S 0s
       18014398509481983s 18014398509481984s +1 +1M -0 -0k -1 ' 1' ' +2k'
       '1 ' '' k 0x10 010 1kb 12Q 1.5M 9223372036854775807
       9223372036854775808 -9223372036854775809 1e 1Z)
bools=(1 0 true false t f yes no y n on off TRUE No oFF '' 2 yess of
       truefalse ' 1' '1 ')
# -3 and -4 are descriptors opened on files below (each is read once and
# closed: the second -3 fails), 5 is closed, 0 to 2 are refused.
passwords=(literal '' ' -3' -abc -3 -3 -0x4 -- -0 -1 -2 -5 -99 --3 '-3 '
           "+$tmp/pw" "+$tmp/nonl" "+$tmp/empty" "+$tmp/missing" '+' - 
           'with=equals')
printf 'from-a-file\nsecond line\n' > "$tmp/pw"
printf 'no-newline' > "$tmp/nonl"
: > "$tmp/empty"
printf 'from-fd-3\nnot this\n' > "$tmp/fd3"
printf 'from-fd-4\n' > "$tmp/fd4"

args=()
for v in "${sizes[@]}"; do args+=("size=$v"); done
for v in "${bools[@]}"; do args+=("bool=$v"); done
for v in "${passwords[@]}"; do args+=("password=$v"); done
n=${#args[@]}

# Each run with the same descriptors: 3 and 4 on their files, 5 closed,
# stdin not a terminal.
with_fds () { "$@" 3< "$tmp/fd3" 4< "$tmp/fd4" 5<&- < /dev/null; }

with_fds t nbdkit -U - "$oracle" "${args[@]}" --run true \
  > "$tmp/nbdkit.out" 2> "$tmp/nbdkit.err"
is "nbdkit's own functions judged all $n values" \
  "$(wc -l < "$tmp/nbdkit.out")" "$n" || diag "$tmp/nbdkit.out" "$tmp/nbdkit.err"
with_fds t nbdkit -U - "$(plugin rules)" "${args[@]}" --run true \
  > "$tmp/under-nbdkit.out" 2> "$tmp/under-nbdkit.err"
with_fds t "$tool" call "$(plugin rules)" "${args[@]}" \
  > "$tmp/outside.out" 2> "$tmp/outside.err"

agree ()  # DESC FILE
{
  if cmp -s "$tmp/nbdkit.out" "$2"; then
    pass "$1"
  else
    fail "$1"
    diff "$tmp/nbdkit.out" "$2" | comment
    diag "${2%.out}.err"
    return 1
  fi
}
agree "NBDKit under nbdkit agrees with nbdkit on every value" \
  "$tmp/under-nbdkit.out"
agree "NBDKit outside nbdkit agrees with nbdkit on every value" \
  "$tmp/outside.out"

# Some of nbdkit's verdicts by value (nbdkit 1.32's documented rules).
o=$tmp/nbdkit.out
like "nbdkit: 1s is one 512-byte sector" "$o" '^size \[1s\] 512$'
like "nbdkit: a sign is allowed (+1M)" "$o" '^size \[\+1M\] 1048576$'
like "nbdkit: -0 is 0" "$o" '^size \[-0\] 0$'
like "nbdkit: -1 is refused" "$o" '^size \[-1\] error$'
like "nbdkit: 8E overflows" "$o" '^size \[8E\] error$'
like "nbdkit: a trailing space is an unknown suffix" "$o" '^size \[1 \] error$'
like "nbdkit: parse_bool TRUE" "$o" '^bool \[TRUE\] true$'
like "nbdkit: -abc is not a literal password" "$o" '^password \[-abc\] error$'
like "nbdkit: -3 reads a line from descriptor 3" "$o" \
  '^password \[-3\] \[from-fd-3\]$'
like "nbdkit: ... and closes it: -3 again fails" "$o" \
  '^password \[-3\] error$'
like "nbdkit: -0x4 is descriptor 4" "$o" '^password \[-0x4\] \[from-fd-4\]$'
like "nbdkit: - needs a terminal" "$o" '^password \[-\] error$'

# "-" on a terminal: script(1) gives each a pseudo-terminal, and the
# password is typed only once the prompt is there.  The transcripts
# (prompt, newline, verdict) must be the same, with nothing echoed.
on_tty ()  # OUT COMMAND
{
  local out=$1 fifo=$tmp/fifo-${1##*/} pid i
  mkfifo "$fifo"
  t script -qec "$2" /dev/null < "$fifo" > "$out" 2>&1 &
  pid=$!
  exec 7> "$fifo"
  for i in $(seq 1 600); do
    grep -q 'password: ' "$out" 2>/dev/null && break
    sleep 0.1
  done
  # In a subshell: if the command is gone, SIGPIPE ends only that.
  ( printf 'typed-secret\n' >&7 ) 2> /dev/null
  exec 7>&-
  wait "$pid"
}
on_tty "$tmp/tty-nbdkit" "nbdkit -U - $oracle password=- --run true"
on_tty "$tmp/tty-outside" "$tool call $(plugin rules) password=-"
on_tty "$tmp/tty-under" "nbdkit -U - $(plugin rules) password=- --run true"
like "nbdkit reads - from the terminal, not echoed" "$tmp/tty-nbdkit" \
  '^password \[-\] \[typed-secret\]'
if cmp -s "$tmp/tty-nbdkit" "$tmp/tty-outside" &&
   cmp -s "$tmp/tty-nbdkit" "$tmp/tty-under"; then
  pass "NBDKit reads - from the terminal as nbdkit does, in and out of nbdkit"
else
  fail "NBDKit reads - from the terminal as nbdkit does, in and out of nbdkit"
  for f in tty-nbdkit tty-outside tty-under; do
    echo "# --- $f"; od -c "$tmp/$f" | comment
  done
fi

e2e_done
