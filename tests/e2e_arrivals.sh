#!/usr/bin/env bash
# End to end for population.arrivals_table through the command line: a
# scenario whose table sits beside it runs from any working folder; the
# HDF5 output's scenario_resolved holds the table's rates; flyt calibrate's
# fitted file, written in another folder, still finds the table; a bad
# table and --set population.admissions_per_day exit 2 with file:line and
# write nothing.
# Usage: e2e_arrivals.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

mkdir -p "$tmp/a/tables" "$tmp/b" "$tmp/c"
cat >"$tmp/a/s.cfg" <<'EOF'
name = "table";
run: { start_date = "2025-01-01"; horizon_days = 60.0; warmup_days = 10.0; replications = 2; };
population: {
  arrivals_table = "tables/arrivals.csv";
  cfs_mix = [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];
};
hospital: { los_days = 5.0; ukp_probability = 0.4; };
decision: { delay_days = 1.0; destination = { home = 0.5; short_term = 0.5; }; };
units = (
  { id = "hospital"; kind = "unlimited"; hospital = true; },
  { id = "short_term"; kind = "beds"; capacity = 10; los_days = 14.0; outcome = { home = 1.0; }; }
);
EOF
{
  printf '\xEF\xBB\xBF# made up for the test\r\ndate;rate\r\n'
  for d in $(seq 0 69); do
    printf '%s;%s\r\n' "$(date -u -d "2025-01-01 + $d days" +%F)" "$((4 + d % 3)),25"
  done
} >"$tmp/a/tables/arrivals.csv"

(cd "$tmp/c" && "$FLYT" validate ../a/s.cfg >/dev/null 2>&1)
check "a table beside the scenario loads from another working folder" test $? -eq 0
"$FLYT" run "$tmp/a/s.cfg" -o "$tmp/b/out.h5" >/dev/null 2>&1
check "flyt run with a table exits 0" test $? -eq 0
if command -v h5dump >/dev/null 2>&1; then
  h5dump -a scenario_resolved "$tmp/b/out.h5" >"$tmp/resolved.txt" 2>/dev/null
  check "scenario_resolved holds the table's absolute path" \
    grep -qF "arrivals_table = \"$tmp/a/tables/arrivals.csv\"" "$tmp/resolved.txt"
  check "scenario_resolved holds the rates used" grep -qF "#   2025-01-01 4.25 5.25 6.25 4.25" "$tmp/resolved.txt"
fi

cat >"$tmp/a/fit.calib" <<'EOF'
scenario = "s.cfg";
replications = 2; seed = 5;
parameters = ( { key = "hospital.ukp_probability"; min = 0.2; max = 0.6; start = 0.4; } );
targets = ( { kpi = "ukp_wait_mean"; value = 2.0; tolerance = 10.0; } );
max_evaluations = 80;
EOF
"$FLYT" calibrate "$tmp/a/fit.calib" -o "$tmp/b/fitted.cfg" >"$tmp/fit.out" 2>"$tmp/fit.err"
check "calibrate on a table scenario exits 0" test $? -eq 0
(cd "$tmp/c" && "$FLYT" validate ../b/fitted.cfg >/dev/null 2>"$tmp/fitted.err")
check "the fitted file in another folder finds the table" test $? -eq 0

sed -i 's/^2025-01-20;.*$/2025-01-20;n\/a\r/' "$tmp/a/tables/arrivals.csv"
"$FLYT" run "$tmp/a/s.cfg" -o "$tmp/b/bad.h5" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "a bad rate exits 2" test $? -eq 2
check "a bad rate is named at its file:line and column" \
  grep -qF "$tmp/a/tables/arrivals.csv:22: error: column rate: expected a number of admissions per day, got \"n/a\" (population.arrivals_table at $tmp/a/s.cfg:4)" "$tmp/bad.err"
check "a bad table prints nothing on stdout and writes nothing" \
  bash -c "test ! -s '$tmp/bad.out' && test ! -e '$tmp/b/bad.h5'"

"$FLYT" validate "$tmp/b/fitted.cfg" --set population.admissions_per_day=3 >/dev/null 2>"$tmp/set.err"
check "--set population.admissions_per_day on a table exits 2" test $? -eq 2
check "and says why" grep -qF -- "--set:1: error: population.admissions_per_day: not together with population.arrivals_table" "$tmp/set.err"

[ "$fail" -eq 0 ] || cat "$tmp/fit.err" "$tmp/set.err" >&2
echo "e2e_arrivals: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
