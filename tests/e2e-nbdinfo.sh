#!/usr/bin/env bash
# nbdinfo against OCaml plugins: the size, the extents map of full.ml, and
# every capability flag both ways (e2e_flags makes each can_* callback
# return what its command line says), plus nbdkit's defaults for a plugin
# that has no can_* callbacks at all (e2e_ramdisk).
. "$(dirname "$0")/e2e-lib.sh"
require_plugin full e2e_flags e2e_ramdisk e2e_short

plan 31

full=$(plugin full)
flags=$(plugin e2e_flags)

# -- size ----------------------------------------------------------------
out=$(serve_run "$full" size=3M -- 'nbdinfo --size "$uri"')
is "nbdinfo --size shows get_size (3M)" "$out" 3145728

# -- map: full.ml returns [0,half) data and [half,size) hole+zero ------------
serve_run "$full" size=2M -- 'nbdinfo --map "$uri"' > "$tmp/map" 2>"$tmp/map.err"
awk '{print $1, $2, $3, $4}' "$tmp/map" > "$tmp/map.fields"
printf '%s\n' "0 1048576 0 data" "1048576 1048576 3 hole,zero" > "$tmp/map.expected"
if cmp -s "$tmp/map.fields" "$tmp/map.expected"; then
  pass "nbdinfo --map shows the two extents of full.ml"
else
  fail "nbdinfo --map shows the two extents of full.ml"; diag "$tmp/map" "$tmp/map.err"
fi

# -- capabilities: all on, then all off ------------------------------------
json_field ()  # FILE FIELD: the field of the first export, as true/false/value
{
  python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
v = d["exports"][0][sys.argv[2]]
print(str(v).lower() if isinstance(v, bool) else v)' "$1" "$2" 2>/dev/null
}

serve_run "$flags" true=write,flush,trim,zero,multi_conn,extents,fast_zero,rotational \
  fua=native cache=nop -- 'nbdinfo --json "$uri"' > "$tmp/on.json" 2>"$tmp/on.err"
# is_read_only is the opposite of can_write.
for f in is_read_only:false can_flush:true can_trim:true can_zero:true \
         can_fua:true can_multi_conn:true can_cache:true can_fast_zero:true \
         is_rotational:true; do
  is "all callbacks true: --json ${f%%:*}" "$(json_field "$tmp/on.json" "${f%%:*}")" "${f#*:}"
done

# Only can_write true.  Zero stays advertised: nbdkit emulates it with
# pwrite when .can_zero is false (nbdkit-plugin(3), .can_zero).
serve_run "$flags" true=write -- 'nbdinfo --json "$uri"' > "$tmp/off.json" 2>"$tmp/off.err"
for f in is_read_only:false can_flush:false can_trim:false can_zero:true \
         can_fua:false can_multi_conn:false can_cache:false can_fast_zero:false \
         is_rotational:false; do
  is "only can_write true: --json ${f%%:*}" "$(json_field "$tmp/off.json" "${f%%:*}")" "${f#*:}"
done

# FuaEmulate and CacheEmulate are advertised too.
serve_run "$flags" true=write,flush fua=emulate cache=emulate -- \
  'nbdinfo --can fua "$uri" && nbdinfo --can cache "$uri"'
check "can_fua FuaEmulate and can_cache CacheEmulate are advertised" [ $? -eq 0 ]

# nbdinfo --can/--is exit 0 for true and 2 for false.
serve_run "$flags" true=write,rotational fua=none -- \
  'nbdinfo --can write "$uri"; echo "write=$?"
   nbdinfo --is rotational "$uri"; echo "rotational=$?"
   nbdinfo --can fua "$uri"; echo "fua=$?"
   nbdinfo --can trim "$uri"; echo "trim=$?"' > "$tmp/can" 2>&1
is "nbdinfo --can/--is reflect the callbacks" "$(grep = "$tmp/can" | tr '\n' ' ')" \
  "write=0 rotational=0 fua=2 trim=2 "

# can_extents: true uses the plugin's extents (all hole+zero here); false
# makes nbdkit report the whole disk as data without calling extents.
out=$(serve_run "$flags" true=extents -- 'nbdinfo --map "$uri"' | awk '{print $1, $2, $3, $4}')
is "can_extents true: --map shows the plugin's extents" "$out" "0 1048576 3 hole,zero"
out=$(serve_run "$flags" -- 'nbdinfo --map "$uri"' | awk '{print $1, $2, $3, $4}')
is "can_extents false: --map shows nbdkit's all-data default" "$out" "0 1048576 0 data"

# -- nbdkit's defaults when the plugin has no can_* callbacks ----------------
# e2e_ramdisk has pwrite, flush, trim and zero: writable, flush and trim
# advertised, FUA emulated through flush; no cache; not rotational.
serve_run "$(plugin e2e_ramdisk)" -- 'nbdinfo --json "$uri"' > "$tmp/def.json" 2>"$tmp/def.err"
for f in is_read_only:false can_flush:true can_trim:true can_fua:true \
         can_cache:false is_rotational:false; do
  is "defaults (e2e_ramdisk): --json ${f%%:*}" "$(json_field "$tmp/def.json" "${f%%:*}")" "${f#*:}"
done

# e2e_short has only pread: read only, nothing else.
serve_run "$(plugin e2e_short)" -- 'nbdinfo --can write "$uri"; echo "write=$?"
   nbdinfo --can flush "$uri"; echo "flush=$?"' > "$tmp/ro" 2>&1
is "a plugin without pwrite is read-only, without flush has no flush" \
  "$(grep = "$tmp/ro" | tr '\n' ' ')" "write=2 flush=2 "

e2e_done
