#!/usr/bin/env bash
# --warmup auto and run.warmup_days = "auto": a pilot run from day 0 and
# MSER-5 on its replication-averaged daily series choose the warm-up; the
# choice is on stdout (table and JSON), on stderr and in the file, and the
# run is then exactly a plain run with that warm-up. A given warm-up that
# MSER-5 finds clearly too short is warned about; bad values are refused
# with file:line. The model is an M/G/inf hospital that starts empty and
# fills over its 30-day mean stay. MSER-5 itself: test_stat_mser.c.
# Usage: e2e_warmup_auto.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
PY=/usr/bin/python3

sed -e 's/horizon_days = 3850.0;.*/horizon_days = 400.0;/' \
    -e 's/warmup_days = 200.0;.*/warmup_days = "auto";/' \
    -e 's/replications = 20;.*/replications = 6;/' \
    -e 's/mean = 7.0; sd = 7.0;/mean = 30.0; sd = 15.0;/' \
    "$SRC/scenarios/validation/mginf.cfg" >"$tmp/auto.cfg"
sed 's/warmup_days = "auto";/warmup_days = 0.0;/' "$tmp/auto.cfg" >"$tmp/zero.cfg"

"$FLYT" run "$tmp/zero.cfg" --warmup auto --no-progress -o "$tmp/a.h5" >"$tmp/o" 2>"$tmp/e"
check "--warmup auto: exit 0" test $? -eq 0
days=$(sed -n 's/^warm-up: \([0-9]*\) days, chosen by MSER-5.*/\1/p' "$tmp/o")
check "--warmup auto: the choice under the table, > 0 days ($days)" test "${days:-0}" -gt 0
check "--warmup auto: the choice is the table's warm-up" grep -q "warm-up $days days$" "$tmp/o"
check "--warmup auto: per-series truncations listed" grep -q "^  units.hospital.census  *$days days" "$tmp/o"
check "--warmup auto: the choice on stderr" grep -q "flyt run: warm-up auto: $days days (MSER-5 over 5 daily series)" "$tmp/e"
check "--warmup auto: no warning for the warm-up it chose" bash -c "! grep -q 'may be too short' '$tmp/e'"

"$FLYT" run "$tmp/auto.cfg" --format json --no-progress -o "$tmp/f.h5" >"$tmp/j" 2>"$tmp/e"
check "run.warmup_days = \"auto\" in a file: exit 0" test $? -eq 0
check "the file's auto chooses as --warmup auto" grep -q "\"warmup_days\": $days, \"few_replications\"" "$tmp/j"
check "JSON: the MSER-5 block" grep -q "\"warmup_auto\": {\"method\": \"MSER-5\", \"warmup_days\": $days, \"pilot_days\": 400" "$tmp/j"

# The run after the pilot is a plain run with the chosen warm-up.
"$FLYT" run "$tmp/zero.cfg" --warmup "$days" --format json --no-progress -o "$tmp/p.h5" >"$tmp/jp" 2>/dev/null
sed -n '/"kpis"/,/"roles"\|^}/p' "$tmp/j" | sed '/warmup_auto/,$d' >"$tmp/k1"
sed -n '/"kpis"/,/"roles"\|^}/p' "$tmp/jp" >"$tmp/k2"
check "auto equals a plain run with --warmup $days, every figure" bash -c "test -s '$tmp/k1' && head -c -2 '$tmp/k2' | cmp -s - <(head -c -2 '$tmp/k1')"

if "$PY" -c "import h5py, numpy" 2>/dev/null; then
  check "HDF5: warmup_auto, warmup_days and the per-series truncations" "$PY" - "$tmp/a.h5" "$days" <<'PYEOF'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
d = float(sys.argv[2])
a = f.attrs
names = [n.decode() if isinstance(n, bytes) else n for n in a["warmup_mser_series"]]
ok = (a["warmup_auto"] == 1 and a["warmup_days"] == d and a["warmup_pilot_days"] == 400
      and max(a["warmup_mser_days"]) == d and len(names) == len(a["warmup_mser_days"])
      and names[:2] == ["hospital_treatment", "ukp_waiting"]
      and "units.hospital.census" in names)
sys.exit(0 if ok else 1)
PYEOF
  # a network with coordinator roles, as e2e_layout.sh checks every run file
  "$FLYT" run "$SRC/scenarios/trondheim-2025-coordinator.cfg" --set run.horizon_days=200 -r 2 \
    --warmup auto --no-progress -o "$tmp/co.h5" >/dev/null 2>&1
  check "HDF5: an auto file with roles and units matches the layout document" \
    "$PY" "$SRC/tests/check_layout.py" "$SRC/docs/hdf5-layout.md" "$tmp/co.h5" run
  check "HDF5: a plain run has no warmup_auto" \
    "$PY" -c "import sys, h5py; sys.exit('warmup_auto' in h5py.File(sys.argv[1], 'r').attrs)" "$tmp/p.h5"
else
  echo "skip HDF5 checks: /usr/bin/python3 with h5py and numpy is not installed"
fi

# A given warm-up: clearly short warns, long enough does not.
"$FLYT" run "$tmp/zero.cfg" --no-progress -o "$tmp/z.h5" >/dev/null 2>"$tmp/e"
check "warm-up 0: exit 0" test $? -eq 0
check "warm-up 0: 'may be too short' names the series" grep -q "flyt run: warning: warm-up may be too short: the daily series '[a-z_.]*' still trends for ~[0-9]* days after it (MSER-5" "$tmp/e"
"$FLYT" run "$tmp/zero.cfg" --warmup 150 --no-progress -o "$tmp/z.h5" >/dev/null 2>"$tmp/e"
check "warm-up 150: no warning" bash -c "! grep -q 'may be too short' '$tmp/e'"
"$FLYT" run "$tmp/zero.cfg" --no-progress -o "$tmp/z.h5" --set population.growth_per_year=0.02 >/dev/null 2>"$tmp/e"
check "growth 2 % (the calendar drives demand): the start from empty still warns" grep -q "warm-up may be too short: the daily series 'hospital_treatment'" "$tmp/e"
"$FLYT" run "$tmp/zero.cfg" --warmup 150 --no-progress -o "$tmp/z.h5" --set population.growth_per_year=0.02 >/dev/null 2>"$tmp/e"
check "growth 2 %, warm-up 150: no warning (growth is not a transient)" bash -c "! grep -q 'may be too short' '$tmp/e'"
# Seasons and growth (Trondheim 2025): the seasons are not a trend, but a
# nursing home started empty fills through the whole window.
T25=$SRC/scenarios/trondheim-2025.cfg
"$FLYT" run "$T25" -r 4 -t 2 --no-progress -o "$tmp/t.h5" >/dev/null 2>"$tmp/e"
check "calendar-driven, as shipped: no MSER warning" bash -c "! grep -q 'may be too short' '$tmp/e'"
"$FLYT" run "$T25" -r 4 -t 2 --no-progress -o "$tmp/t.h5" \
  --set units.nursing_home.initial_occupancy=0 >/dev/null 2>"$tmp/e"
check "calendar-driven, nursing home started empty: the MSER warning names it" grep -q "flyt run: warning: warm-up may be too short: the daily series 'units.nursing_home.census' still trends through the measured window" "$tmp/e"

"$FLYT" validate "$tmp/auto.cfg" >/dev/null 2>"$tmp/e"
check "validate: \"auto\" is valid" test $? -eq 0

# compare shares one warm-up across scenarios: auto is refused there.
"$FLYT" compare "$tmp/auto.cfg" "$tmp/zero.cfg" --no-progress -o "$tmp/c.h5" >/dev/null 2>"$tmp/e"
check "compare: \"auto\" refused (exit 2)" bash -c "test $? -eq 2 && grep -q 'auto.cfg: error: run.warmup_days: \"auto\" is for flyt run only' '$tmp/e'"

# Bad values, with file:line.
sed 's/warmup_days = "auto";/warmup_days = "autox";/' "$tmp/auto.cfg" >"$tmp/bad.cfg"
line=$(grep -n 'warmup_days = "autox";' "$tmp/bad.cfg" | cut -d: -f1)
"$FLYT" run "$tmp/bad.cfg" --no-progress -o "$tmp/b.h5" >/dev/null 2>"$tmp/e"
check "\"autox\": exit 2" test $? -eq 2
check "\"autox\": file:line and the key" grep -q "bad.cfg:$line: error: run.warmup_days: expected a number of days or \"auto\", got \"autox\"" "$tmp/e"
sed 's/warmup_days = "auto";/warmup_days = -5.0;/' "$tmp/auto.cfg" >"$tmp/neg.cfg"
"$FLYT" run "$tmp/neg.cfg" --no-progress -o "$tmp/b.h5" >/dev/null 2>"$tmp/e"
check "negative: exit 2" test $? -eq 2
check "negative: file:line and the key" grep -q "neg.cfg:$line: error: run.warmup_days" "$tmp/e"
"$FLYT" run "$tmp/zero.cfg" --warmup autox --no-progress -o "$tmp/b.h5" >/dev/null 2>"$tmp/e"
check "--warmup autox: exit 2, the key named" bash -c "test $? -eq 2 && grep -q 'run.warmup_days' '$tmp/e'"
check "nothing written for bad input" test ! -e "$tmp/b.h5"

echo "e2e_warmup_auto: $pass passed, $fail failed"
test "$fail" -eq 0
