#!/usr/bin/env bash
# The callbacks around a client's handshake, seen by real clients, for a
# plugin of each generation: r128_testplugin (nbdkit 1.28's record API,
# 1.28's recipe) and l132_testplugin (1.32's labelled API, 1.32's recipe).
# nbdinfo --list --json shows list_exports with the descriptions, nbdinfo
# --json the default export, export_description and block_size;
# export_name is what the client asked for; magic_config_key takes a bare
# "nbdkit x.so 1M"; a client refused by preconnect sees the failure.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin r128_testplugin l132_testplugin

plan 22

# json FILE EXPR: a value from nbdinfo's JSON, printed with Python.
json ()
{
  python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(eval(sys.argv[2]))' "$1" "$2" 2>&1
}

for p in r128_testplugin l132_testplugin; do
  so=$(plugin "$p")
  short=${p%%_*}

  # magic_config_key: the bare 3M is config "size" "3M".
  serve_run -v "$so" 3M -- '
    nbdinfo --list --json "$uri" > '"$tmp/$p.list"' &&
    nbdinfo --json "$uri" > '"$tmp/$p.json"' &&
    nbdinfo --json "nbd+unix:///disk2?socket=$unixsocket" > '"$tmp/$p.disk2"'' \
    > "$tmp/$p.out" 2> "$tmp/$p.log"
  check "$p: nbdinfo --list and --json succeed" [ $? -eq 0 ] ||
    diag "$tmp/$p.out" "$tmp/$p.log"
  is "$p: --list shows list_exports' names and descriptions" \
    "$(json "$tmp/$p.list" '[(e["export-name"], e.get("description")) for e in d["exports"]]')" \
    "[('disk1', 'the first disk'), ('disk2', None)]"
  is "$p: a bare parameter is the magic_config_key (size 3M)" \
    "$(json "$tmp/$p.json" 'd["exports"][0]["export-size"]')" 3145728
  is "$p: the default export \"\" is default_export's disk1" \
    "$(json "$tmp/$p.json" 'd["exports"][0]["export-name"]')" disk1
  is "$p: export_description, with export_name inside" \
    "$(json "$tmp/$p.json" 'd["exports"][0]["description"]')" "export disk1 of $short"
  is "$p: block_size reaches the client" \
    "$(json "$tmp/$p.json" '[d["exports"][0]["block_size_" + k] for k in ("minimum", "preferred", "maximum")]')" \
    "[512, 65536, 33554432]"
  is "$p: export_name is the name the client asked for" \
    "$(json "$tmp/$p.disk2" 'd["exports"][0]["description"]')" "export disk2 of $short"
  like "$p: ... as the plugin logged it" "$tmp/$p.log" \
    'debug: open readonly=false export=disk2 tls=false$'

  # preconnect refusing: the client fails, nbdkit logs the plugin's reason.
  serve_run -v "$so" refuse=true -- 'nbdinfo --size "$uri"' \
    > "$tmp/$p.refused" 2> "$tmp/$p.rlog"
  rc=$?
  check "$p: a client refused by preconnect fails (status $rc)" \
    [ $rc -ne 0 ] && [ ! -s "$tmp/$p.refused" ]
  like "$p: ... and nbdkit logs preconnect's exception" "$tmp/$p.rlog" \
    'preconnect: Failure\("this client is refused by preconnect"\)'
  unlike "$p: ... and the plugin never opened a connection" "$tmp/$p.rlog" \
    'debug: open readonly'
done

e2e_done
