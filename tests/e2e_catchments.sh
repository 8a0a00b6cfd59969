#!/usr/bin/env bash
# The national region cut into its catchments (docs/region.md, "Scale";
# scenarios/region/make_region.py catchments). First, the committed region
# files are what the script writes (so nobody edited one by hand). Then
# every municipality of norway.cfg is in exactly one catchment, and the
# superposition at the country's size: a short run of each catchment gives
# every one of its municipalities, units and hospital sites (their rows by
# home municipality) exactly (JSON, to the last digit) the figures of the
# same run of norway.cfg, because the catchments share no unit and the
# streams are keyed by municipality. And
# the check fails when it should: a catchment with one municipality's
# admissions changed no longer matches.
# Usage: e2e_catchments.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
R="$SRC/scenarios/region"
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

same_bytes=1
for r in norway troms-ofoten st-olavs trondheim; do
  if ! "$PY" "$R/make_region.py" "$r" 2>/dev/null | cmp -s - "$R/$r.cfg"; then
    echo "  $r.cfg is not what make_region.py $r writes"
    same_bytes=0
  fi
done
check "the committed region files are what make_region.py writes" test "$same_bytes" -eq 1

"$PY" "$R/make_region.py" catchments --outdir "$tmp/c" 2>"$tmp/make.err"
check "make_region.py catchments writes the catchments" test $? -eq 0
"$PY" "$R/make_region.py" catchments 2>/dev/null
check "catchments without --outdir is refused (it would write beside the sources)" test $? -eq 2
"$PY" "$R/make_region.py" catchments --outdir "$R/../region/." 2>/dev/null
check "... and so is the sources' folder by another name" test $? -eq 2
touch "$tmp/a_file"
"$PY" "$R/make_region.py" catchments --outdir "$tmp/a_file" 2>"$tmp/file.err"
check "an --outdir that is a file is refused with a message" \
  test $? -eq 2 -a -n "$(grep "is not a folder" "$tmp/file.err")"
check "... and left as it was" test ! -s "$tmp/a_file"

SET=(--set run.horizon_days=90 --set run.warmup_days=10 -r 2 -t 2 --format json)
"$FLYT" run "$R/norway.cfg" "${SET[@]}" -o "$tmp/n.h5" >"$tmp/n.json" 2>"$tmp/n.err"
check "norway.cfg runs" test $? -eq 0
for f in "$tmp"/c/catchment-*.cfg; do
  b=$(basename "$f" .cfg)
  if ! "$FLYT" run "$f" "${SET[@]}" -o "$tmp/$b.h5" >"$tmp/$b.json" 2>"$tmp/$b.err"; then
    echo "  $b failed: $(tail -1 "$tmp/$b.err")"
  fi
done

cat >"$tmp/cmp.py" <<'EOF'
import glob, json, sys
whole = json.load(open(sys.argv[1]))
parts = {p: json.load(open(p)) for p in sys.argv[2:]}
seen, bad = {}, 0
for p, j in parts.items():
    for m, v in j["municipalities"].items():
        seen[m] = seen.get(m, 0) + 1
        if v != whole["municipalities"].get(m):
            print("  municipality %s of %s differs from norway.cfg" % (m, p)); bad += 1
    for sect in ("units", "hospital_sites"):
        for u, v in j[sect].items():
            if sect == "units" and u not in whole[sect]:
                print("  %s %s of %s is not in norway.cfg" % (sect, u, p)); bad += 1
            elif sect == "units" and v != whole[sect][u]:
                print("  %s %s of %s differs from norway.cfg" % (sect, u, p)); bad += 1
            elif sect == "hospital_sites":
                # norway.cfg's site table has a row for every municipality
                # (zero for those of other catchments)
                w = whole[sect].get(u, {})
                for k, rows in v.items():
                    others = {m: r for m, r in w.get(k, {}).items() if m not in rows}
                    mine = {m: r for m, r in w.get(k, {}).items() if m in rows}
                    if mine != rows or any(r["mean"] != 0 for r in others.values()):
                        print("  site %s (%s) of %s differs from norway.cfg" % (u, k, p))
                        bad += 1
missing = set(whole["municipalities"]) - set(seen)
twice = [m for m, n in seen.items() if n > 1]
print("%d catchments, %d municipalities (%d in norway.cfg), %d missing, %d twice, %d differ"
      % (len(parts), len(seen), len(whole["municipalities"]), len(missing), len(twice), bad))
sys.exit(0 if not missing and not twice and bad == 0 else 1)
EOF
"$PY" "$tmp/cmp.py" "$tmp/n.json" "$tmp"/catchment-*.json
check "each catchment's municipalities, units and sites match norway.cfg exactly" test $? -eq 0

# The comparison can fail: one municipality's admissions higher (ten more
# a day), the other catchments as they were.
cs=("$tmp"/c/catchment-*.cfg)
v=${cs[-1]}
b=$(basename "$v" .cfg)
sed -i '0,/admissions_per_day = \([0-9.]*\);/s//admissions_per_day = 1\1;/' "$v"
"$FLYT" run "$v" "${SET[@]}" -o "$tmp/$b.h5" >"$tmp/$b.json" 2>"$tmp/$b.err"
"$PY" "$tmp/cmp.py" "$tmp/n.json" "$tmp"/catchment-*.json >"$tmp/mut.out"
rc=$?
check "a catchment with one municipality changed no longer matches" \
  test $rc -eq 1 -a -n "$(grep "of $tmp/$b.json differs" "$tmp/mut.out")"

echo "e2e_catchments: $pass passed, $fail failed"
test "$fail" -eq 0
