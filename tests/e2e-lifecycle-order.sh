#!/usr/bin/env bash
# get_ready, after_fork and cleanup under the real nbdkit, for a plugin of
# each generation: in a daemonized server (no -f) every module-level
# callback runs once, in nbdkit's order (load, config_complete,
# get_ready, after_fork in the forked child, the clients, cleanup before
# unload); in the foreground (-f) after_fork still runs, in the same
# process as get_ready.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin r128_testplugin l132_testplugin

plan 10

E2E_TIMEOUT=30

# The module-level callbacks and preconnect, in the order they logged.
order ()
{
  grep -oE 'debug: (load|config_complete|get_ready|after_fork.*|preconnect.*|cleanup|unload)$' "$1" |
    sed 's/^debug: //' | tr '\n' ' '
}

for p in r128_testplugin l132_testplugin; do
  d=$tmp/$p
  mkdir "$d"
  # Without -f nbdkit forks, and the parent exits once the child serves.
  t nbdkit -v -U "$d/sock" -P "$d/pid" "$(plugin "$p")" 2> "$d/log"
  if [ $? -eq 0 ] && wait_for test -s "$d/pid" && wait_for test -S "$d/sock"; then
    pid=$(cat "$d/pid"); e2e_pids+=("$pid")
    pass "$p: nbdkit daemonized"
  else
    fail "$p: nbdkit daemonized"; diag "$d/log"
    continue
  fi
  is "$p: the daemon serves a client" \
    "$(t nbdinfo --size "nbd+unix:///?socket=$d/sock" 2>&1)" 1048576
  kill "$pid"
  check "$p: the daemon exits on SIGTERM" wait_for pid_gone "$pid"
  is "$p: each callback once, in nbdkit's order, after_fork in the child" \
    "$(order "$d/log")" \
    "load config_complete get_ready after_fork forked=true preconnect readonly=false cleanup unload "

  # In the foreground: no fork, but after_fork is still called.
  nbdkit -f -v -U "$d/fsock" "$(plugin "$p")" 2> "$d/flog" &
  server=$!
  e2e_pids+=("$server")
  wait_for test -S "$d/fsock"
  t nbdinfo --size "nbd+unix:///?socket=$d/fsock" > /dev/null 2>&1
  kill "$server"
  wait_for pid_gone "$server"
  is "$p: with -f, after_fork runs in the process that ran get_ready" \
    "$(order "$d/flog")" \
    "load config_complete get_ready after_fork forked=false preconnect readonly=false cleanup unload "
done

e2e_done
