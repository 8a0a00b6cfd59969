#!/usr/bin/env bash
# Plausibility warnings as a planner sees them: flyt validate and flyt run
# print "FILE:LINE: warning: KEY: ..." on stderr for values that load but
# are probably not meant (weeks typed as days, 1 for 1 %, a decimal comma,
# a nursing home left empty), and the exit status stays what it was. No
# shipped scenario warns. Each threshold on both sides: test_plausible.c.
# Usage: e2e_plausible.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
BASE=$SRC/scenarios/trondheim-baseline.cfg

for f in "$SRC"/scenarios/*.cfg "$SRC"/scenarios/bench/*.cfg; do
  "$FLYT" validate "$f" >/dev/null 2>"$tmp/e"
  check "$(basename "$f"): valid, no warning" bash -c "test $? -eq 0 && test ! -s '$tmp/e'"
done
"$FLYT" validate >/dev/null 2>"$tmp/e"
check "the embedded default: no warning" test ! -s "$tmp/e"

# The planner who types weeks as days.
"$FLYT" validate "$BASE" --set run.horizon_days=52 --set run.warmup_days=17 >"$tmp/o" 2>"$tmp/e"
check "weeks as days: still valid (exit 0)" test $? -eq 0
check "weeks as days: ok on stdout" grep -q ": ok: scenario" "$tmp/o"
check "weeks as days: the window is named at its --set" grep -q "^--set:1: warning: run.horizon_days: the measured window (horizon 52 - warm-up 17 = 35 days) is shorter than the mean stay in 'nursing_home' (700 days" "$tmp/e"

# 1 meaning 1 %, in a file: its line.
sed 's/growth_per_year = 0.03;/growth_per_year = 1;/' "$BASE" >"$tmp/growth.cfg"
line=$(grep -n "growth_per_year = 1;" "$tmp/growth.cfg" | cut -d: -f1)
"$FLYT" validate "$tmp/growth.cfg" >/dev/null 2>"$tmp/e"
check "growth of 100 %: exit 0" test $? -eq 0
check "growth of 100 %: file:line and key" grep -q "growth.cfg:$line: warning: population.growth_per_year: 1 is 100 % a year" "$tmp/e"

# flyt run prints them too, and runs as before.
"$FLYT" run "$tmp/growth.cfg" -r 1 --set run.horizon_days=200 --set run.warmup_days=40 --no-progress -o "$tmp/g.h5" >"$tmp/o" 2>"$tmp/e"
check "run with a warning: exit 0, output written" bash -c "test $? -eq 0 && test -s '$tmp/g.h5'"
check "run with a warning: on stderr" grep -q "growth.cfg:$line: warning: population.growth_per_year" "$tmp/e"
check "run with a warning: not on stdout" bash -c "! grep -q 'warning: population' '$tmp/o'"

# flyt compare too, once for a warning every scenario shares.
"$FLYT" compare "$BASE" "$BASE" -r 1 --set run.horizon_days=52 --set run.warmup_days=17 --no-progress -o "$tmp/c.h5" >/dev/null 2>"$tmp/e"
check "compare with a warning: exit 0" test $? -eq 0
check "compare: the shared warning once" test "$(grep -c 'warning: run.horizon_days' "$tmp/e")" -eq 1

# flyt forecast, calibrate and sweep print them too, once.
"$FLYT" forecast "$tmp/growth.cfg" --census "$SRC/scenarios/census-example.csv" -r 2 --days 2 \
  -t 1 --no-progress -o "$tmp/f.h5" >/dev/null 2>"$tmp/e"
check "forecast with a warning: exit 0" test $? -eq 0
check "forecast: the warning once" test "$(grep -c "growth.cfg:$line: warning: population.growth_per_year" "$tmp/e")" -eq 1
cat >"$tmp/g.calib" <<EOF
scenario = "growth.cfg";
replications = 2;
set = [ "run.horizon_days=60", "run.warmup_days=10" ];
parameters = ( { key = "decision.delay_days.mean"; min = 0.5; max = 2.0; start = 1.0; } );
targets = ( { kpi = "ukp_wait_mean"; value = 1.5; tolerance = 0.5; } );
EOF
"$FLYT" calibrate "$tmp/g.calib" --max-evals 2 --no-intervals -t 1 --no-progress \
  -o "$tmp/fitted.cfg" >/dev/null 2>"$tmp/e"
check "calibrate: the scenario's warning once" test "$(grep -c "growth.cfg:$line: warning: population.growth_per_year" "$tmp/e")" -eq 1
cat >"$tmp/g.sweep" <<EOF
base = "growth.cfg";
design = "grid";
replications = 1;
parameters = ( { key = "decision.delay_days.mean"; values = [0.8, 1.2, 1.6]; } );
EOF
"$FLYT" sweep "$tmp/g.sweep" --dry-run >/dev/null 2>"$tmp/e"
check "sweep --dry-run with a warning: exit 0" test $? -eq 0
check "sweep: the base's warning once" test "$(grep -c "growth.cfg:$line: warning: population.growth_per_year" "$tmp/e")" -eq 1

# Nursing homes left empty at the start.
"$FLYT" validate "$BASE" --set units.nursing_home.initial_occupancy=0 >/dev/null 2>"$tmp/e"
check "empty nursing homes: warned" grep -q "warning: units.nursing_home.initial_occupancy: 'nursing_home' starts empty, but its mean stay is 700 days" "$tmp/e"

# A decimal comma: with the error it causes, the warning says why.
sed 's/cfs_mix = \[[^]]*\]/cfs_mix = [0,05, 0,10, 0,12, 0,19, 0,20, 0,18, 0,10, 0,05, 0,01]/' "$BASE" >"$tmp/comma.cfg"
"$FLYT" validate "$tmp/comma.cfg" >/dev/null 2>"$tmp/e"
check "decimal comma in shares: exit 2 (18 numbers)" test $? -eq 2
check "decimal comma in shares: the warning" grep -q "comma.cfg:[0-9]*: warning: population.cfs_mix: elements 1 and 2 are the whole numbers 0 and 5: if 0,5 was meant as 0.5" "$tmp/e"
check "decimal comma in shares: the error" grep -q "comma.cfg:[0-9]*: error: population.cfs_mix: expected exactly 9 numbers, got 18" "$tmp/e"

echo "e2e_plausible: $pass passed, $fail failed"
test "$fail" -eq 0
