#!/bin/bash
# After "make check-valgrind": every nbdkit process that the end-to-end
# tests ran under memcheck left a log in DIR, the forked ones that serve
# in daemon mode and with --run included (tests/valgrind-nbdkit.sh).
# valgrind runs with --quiet, so a log is empty unless memcheck found
# something (an error, or a definite leak not covered by
# tests/valgrind.supp).  Print a TAP line for the lot and fail if any log
# is not empty.
dir=$1
logs=$(ls "$dir"/nbdkit.*.log 2>/dev/null | wc -l)
bad=$(find "$dir" -name 'nbdkit.*.log' -size +0 2>/dev/null)
echo "1..1"
if [ "$logs" -gt 0 ] && [ -z "$bad" ]; then
  echo "ok 1 - $logs nbdkit processes ran under memcheck with no errors"
else
  echo "not ok 1 - memcheck errors in nbdkit ($logs logs)"
  for f in $bad; do echo "# --- $f"; head -60 "$f" | awk '{ print "#   " $0 }'; done
  exit 1
fi
