# Sourced by the end-to-end tests.  Under "make check-valgrind"
# (NBDOCAML_VALGRIND=1) it puts a wrapper called nbdkit first on PATH that
# runs the real nbdkit under memcheck, so the plugins (the glue, the
# adapter, the OCaml runtime) are checked in the real server.
#
# nbdkit often serves from a forked child: in daemon mode (no -f) the
# parent exits once the child is set up, and with --run the parent runs
# the command while the child serves.  memcheck follows those children
# (--child-silent-after-fork=no) but not the programs they exec, such as
# the --run command's shell (--trace-children=no).  Each process writes a
# log of its own, nbdkit.PID.log in $NBDOCAML_VALGRIND_LOGS (valgrind
# opens a new one in a forked child, because of %p), which
# tests/valgrind-verdict.sh judges once the suite has run: a server is
# often stopped with a signal, so its exit status cannot carry the
# verdict.  (--max-stackframe: see tests/run-test.in.)
if [ "${NBDOCAML_VALGRIND:-0}" = 1 ]; then
  vg_bin=$(mktemp -d "${TMPDIR:-/tmp}/nbdocaml-vg.XXXXXX")
  vg_real=$(PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v nbdkit)
  vg_logs=${NBDOCAML_VALGRIND_LOGS:-${TMPDIR:-/tmp}}
  cat > "$vg_bin/nbdkit" <<VGEOF
#!/bin/sh
exec valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite \\
  --show-leak-kinds=definite --keep-debuginfo=yes --trace-children=no \\
  --max-stackframe=65536 \\
  --child-silent-after-fork=no \\
  --suppressions="$top_srcdir/tests/valgrind.supp" \\
  --log-file="$vg_logs/nbdkit.%p.log" "$vg_real" "\$@"
VGEOF
  chmod +x "$vg_bin/nbdkit"
  export PATH="$vg_bin:$PATH"
fi
