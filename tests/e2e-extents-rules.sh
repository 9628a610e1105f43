#!/usr/bin/env bash
# The extents an OCaml plugin returns are accepted or refused exactly as
# nbdkit 1.32 accepts or refuses the same extents from a C plugin: the
# same lists are returned by extents_c.c (through nbdkit_add_extent) and by
# extents_ml.ml (through libnbdocaml), both served by the real nbdkit, and
# a client's block status request must get the same answer from both -
# the same extents, or an error with the same errno.  The expected
# outcomes come from nbdkit, not from a table.
. "$(dirname "$0")/e2e-lib.sh"
require_plugin extents_ml
c_plugin="$PLUGINS/nbdkit-extents_c-plugin.so"
[ -f "$c_plugin" ] || { echo "Bail out! $c_plugin was not built"; exit 1; }

tool=$top_builddir/tools/nbdocaml-call
[ -x "$tool" ] || { echo "Bail out! $tool was not built"; exit 1; }

# Each case: extents spec (OFF:LEN:TYPE,...), request offset, count.
cases=(
  "0:1048576:0|0|65536"                      # one extent, the whole disk
  "4096:max:0|4096|65536"                    # INT64_MAX long, from 4096
  "0:4096:0,4096:4096:3,8192:1040384:0|0|65536"  # three, contiguous
  "0:4096:0,4096:8192:1|4096|8192"           # the first ends at offset
  "0:4096:0,8192:4096:0|0|65536"             # a gap
  "0:8192:0,4096:4096:0|0|65536"             # overlapping
  "0:4096:0,0:4096:0|0|65536"                # going backwards
  "8192:4096:0|4096|8192"                    # first starts after offset
  "0:4096:0|8192|4096"                       # all before offset
  "|0|4096"                                  # no extents at all
  "0:0:0,0:1048576:2|0|65536"                # an empty one first
  "0:0:0|0|4096"                             # only an empty one
  "0:0:0,4096:4096:0|0|65536"                # empty, then not contiguous
  "0:1048576:0,1048576:1048576:3|0|65536"    # past the end of the disk
  "2097152:4096:0|0|4096"                    # entirely past the end
  "-1:4096:0|0|4096"                         # negative offset
  "0:-1:0|0|4096"                            # negative length
  "0:-4096:0,-4096:4096:0|0|4096"            # length wraps around
  "0:max:0,max:10:0|0|4096"                  # end overflowing int64
  "4096:max:0,8192:4096:0|4096|65536"        # not contiguous after that
  "0:4096:1,4096:4096:2,8192:4096:3|0|12288" # every type
)

cat > "$tmp/bs.py" <<'PY'
import errno, os, sys
offset, count = int(os.environ["OFF"]), int(os.environ["CNT"])
got = []
def cb(metacontext, off, entries, err):
    if metacontext == nbd.CONTEXT_BASE_ALLOCATION:
        got.extend(entries)
    return 0
try:
    h.block_status(count, offset, cb)
    print("ok " + " ".join("%d/%d" % (got[i], got[i + 1])
                           for i in range(0, len(got), 2)))
except nbd.Error as e:
    print("error " + errno.errorcode.get(e.errno, str(e.errno)))
PY

plan $((${#cases[@]} * 2 + 3))

# The same list through the C API, outside nbdkit (nbdocaml-call): refused
# with ERANGE or EINVAL where nbdkit refuses the C plugin's (its client
# sees EINVAL for both), accepted where nbdkit accepts it, the first
# extent of the same type.
api_answer ()  # SPEC OFF CNT
{
  local out rc
  out=$("$tool" call "$(plugin extents_ml)" extents="$1" -- \
          open extents "$3" "$2" close 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    case "$out" in
      *"errno ERANGE"*|*"errno EINVAL"*) echo "error EINVAL" ;;
      *) echo "error: $out" ;;
    esac
  else
    # "OFFSET LENGTH TYPE" lines; TYPE as nbdkit's flags.
    echo "$out" | awk 'NR == 1 { t = 0; if ($3 ~ /hole/) t += 1;
                                 if ($3 ~ /zero/) t += 2; print "ok " t }'
  fi
}
first_type ()  # nbdkit's answer: "ok LEN/TYPE ..." -> "ok TYPE"
{
  case "$1" in
    ok*) set -- ${1#ok }; echo "ok ${1#*/}" ;;
    *) echo "$1" ;;
  esac
}

answer ()  # PLUGIN SPEC OFF CNT
{
  OFF=$3 CNT=$4 t nbdkit -U - "$1" extents="$2" \
    --run 'nbdsh --base-allocation -u "$uri" -c "$(cat '"$tmp"'/bs.py)"' \
    2>> "$tmp/log"
}

answers=
for c in "${cases[@]}"; do
  IFS='|' read -r spec off cnt <<< "$c"
  want=$(OFF=$off CNT=$cnt answer "$c_plugin" "$spec" "$off" "$cnt")
  answers="$answers${want%% *} "

  got=$(OFF=$off CNT=$cnt answer "$(plugin extents_ml)" "$spec" "$off" "$cnt")
  is "extents [$spec] at $off+$cnt: as nbdkit answers for a C plugin ($want)" \
    "$got" "$want" || diag "$tmp/log"
  is "... and through the C API, outside nbdkit" \
    "$(api_answer "$spec" "$off" "$cnt")" "$(first_type "$want")"
done

# The comparison means something only if nbdkit accepted some lists and
# refused others.
like "nbdkit accepted some of the lists and refused others" \
  <(echo $answers | xargs -n1 | sort -u | xargs) '^error ok$'

# The case of the report: an extent of length INT64_MAX from offset 4096
# is one extent in nbdinfo --map, from either plugin.
map ()
{
  t nbdkit -U - "$1" extents="0:4096:0,4096:max:3" \
    --run 'nbdinfo --map "$uri"' 2>> "$tmp/log" | awk '{ print $1, $2, $3 }'
}
want=$(map "$c_plugin")
is "nbdinfo --map of an INT64_MAX extent: as for the C plugin" \
  "$(map "$(plugin extents_ml)")" "$want"
is "... which is two extents, the second cut to the disk" \
  "$(echo "$want" | tr '\n' ';')" "0 4096 0;4096 1044480 3;"

e2e_done
