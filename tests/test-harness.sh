#!/usr/bin/env bash
# The test harness itself: tests/run-test and tests/test-common.h report
# every failed case of a GLib program (a failed assertion, a crash, a case
# that hangs past its bound), run the cases after it, report skips as
# skips, and stop a whole program or script that hangs past its bound
# with a "Bail out!" line; and the TAP helpers of tests/e2e-lib.sh never
# run a diagnostic into the next TAP line.  tests/harness-selftest is the
# program that misbehaves on purpose.
. "$(dirname "$0")/e2e-lib.sh"
selftest=$top_builddir/tests/harness-selftest
runtest=$top_builddir/tests/run-test
[ -x "$selftest" ] || { echo "Bail out! $selftest was not built"; exit 1; }

plan 20

# Every line is TAP: a result, a plan, a comment, "Bail out!" or empty.
all_tap () { ! grep -Ev '^(ok |not ok |1\.\.[0-9]+$|#|Bail out!|$)' "$1"; }

# -- every case, whatever the earlier ones did ------------------------------
# In the sanitizer build ASan would catch the crash and abort (SIGABRT,
# with CI's abort_on_error=1): handle_segv=0 lets the SIGSEGV kill the
# case, as in every other build.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}handle_segv=0 \
NBDOCAML_VALGRIND=0 NBDOCAML_TEST_TIMEOUT=120 NBDOCAML_CASE_TIMEOUT=3 \
  "$runtest" "$selftest" > "$tmp/cases.out" 2> "$tmp/cases.err"
rc=$?
check "a program with failed cases exits non-zero (status $rc)" [ $rc -ne 0 ]
like "the plan counts all 7 cases" "$tmp/cases.out" '^1\.\.7$'
like "a failed assertion fails its case" "$tmp/cases.out" \
  '^not ok 1 /selftest/1-fails-an-assertion$'
like "... with the assertion's message" "$tmp/cases.out" \
  '^# .*assertion failed \(1 \+ 1 == 3\)'
like "the case after it runs and passes" "$tmp/cases.out" '^ok 2 /selftest/2-passes$'
like "a crash fails its case" "$tmp/cases.out" '^not ok 3 /selftest/3-crashes$'
like "... saying so" "$tmp/cases.out" '^# child process .*killed by signal 11'
like "the case after it runs and passes" "$tmp/cases.out" '^ok 4 /selftest/4-passes$'
like "a case that hangs fails at its bound" "$tmp/cases.out" \
  '^not ok 5 /selftest/5-hangs$'
like "... saying so" "$tmp/cases.out" '^# the case did not finish within 3 s$'
like "a skip is a skip, with its reason" "$tmp/cases.out" \
  '^ok 6 /selftest/6-skips # SKIP this case does not apply here$'
like "the last case runs and passes" "$tmp/cases.out" '^ok 7 /selftest/7-passes$'
check "the output is TAP, line by line" all_tap "$tmp/cases.out" ||
  diag "$tmp/cases.out"

# -- a whole program or script past its bound -------------------------------
start=$(date +%s)
NBDOCAML_VALGRIND=0 NBDOCAML_TEST_TIMEOUT=3 \
  "$runtest" "$selftest" --hang-before-cases > "$tmp/hang.out" 2> /dev/null
rc=$?
elapsed=$(( $(date +%s) - start ))
check "a program that hangs is stopped (status $rc after $elapsed s)" \
  test $rc -eq 124 -a $elapsed -lt 60
like "... with a Bail out! line" "$tmp/hang.out" \
  '^Bail out! .*did not finish within 3 s'

# The sleep's length is this run's own (GNU sleep takes fractions), so
# that another run of this test beside it (make check in two trees) is
# never taken for this one.
naptime=1000.$$
printf 'echo 1..1\nsleep %s &\nwait\n' "$naptime" > "$tmp/hang.sh"
start=$(date +%s)
NBDOCAML_TEST_TIMEOUT=3 "$runtest" "$tmp/hang.sh" > "$tmp/hangsh.out" 2> /dev/null
rc=$?
elapsed=$(( $(date +%s) - start ))
check "a script that hangs is stopped (status $rc after $elapsed s)" \
  test $rc -eq 124 -a $elapsed -lt 60
no_nap () { [ -z "$(pgrep -fx "sleep $naptime")" ]; }
check "... and what it started" wait_for no_nap

# -- e2e-lib's diagnostics --------------------------------------------------
# A file without a final newline, and values with several lines, between
# two test points: every line of the output must still be TAP.
printf 'first line\nok 99 - not a result, no newline' > "$tmp/nonl"
(
  e2e_n=0
  diag "$tmp/nonl"
  pass "after diag"
  is "two-line values" "$(printf 'a\nok 98')" "$(printf 'b\nnot ok 97')"
  like "a pattern that does not match" "$tmp/nonl" 'nothing like this'
  pass "the end"
) > "$tmp/diag.out"
like "diagnostics never run into the next TAP line" "$tmp/diag.out" \
  '^ok 1 - after diag$' || diag "$tmp/diag.out"
is "... nor make a line of theirs look like one" \
  "$(grep -cE '^(ok|not ok) ' "$tmp/diag.out")" 4 || diag "$tmp/diag.out"
check "... every line is TAP" all_tap "$tmp/diag.out" || diag "$tmp/diag.out"

e2e_done
