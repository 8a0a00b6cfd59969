#!/usr/bin/env bash
# flyt fit (docs/fit.md): the round trip that matters. A scenario with known
# parameters (scenarios/validation/fit-roundtrip.cfg) is run with three
# seeds, each run's logs exported as records (stays still open at the end:
# censoring) and fitted back:
#   - every 95 % interval in the fit files covers the value the records were
#     drawn from as often as it claims (tests/check_fit.py coverage);
#   - the fitted scenarios' KPIs equal the original's: the paired differences
#     (flyt compare), averaged over the three fits, within their t-interval
#     of 0 (tests/check_fit.py kpis);
#   - records from another family (uniform short-term stays) are noticed by
#     the goodness-of-fit test: no family is written, the Kaplan-Meier is;
#   - the same records and options give the same file; the report page draws;
#   - bad uses exit 2 and write nothing.
# Usage: e2e_fit.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

CFG="$SRC/scenarios/validation/fit-roundtrip.cfg"
# records CFG SEED RUN PREFIX: runs CFG (SEED empty: the scenario's own) with
# its logs into RUN.h5 and exports them as records PREFIX-*.csv.
records() {
  "$FLYT" run "$1" ${2:+--seed "$2"} -t 1 --no-progress --patients --events \
    -o "$tmp/$3.h5" >/dev/null 2>&1 &&
    "$FLYT" export "$tmp/$3.h5" --records -o "$tmp/$4" >/dev/null 2>&1
}
FIT=(--units "$tmp/r1-units.csv" --scenario "$CFG" --bootstrap 40)
fitted=()
for seed in 1 2 3; do
  records "$CFG" "$seed" "run$seed" "r$seed"
  check "seed $seed: run and export --records" test $? -eq 0
  "$FLYT" fit "$tmp/r$seed-stays.csv" "$tmp/r$seed-ready.csv" "${FIT[@]}" \
    -o "$tmp/fit$seed.cfg" >"$tmp/fit$seed.out" 2>"$tmp/fit$seed.err"
  check "seed $seed: flyt fit exits 0" test $? -eq 0
  check "seed $seed: the fitted scenario validates" \
    bash -c "'$FLYT' validate '$tmp/fit$seed.cfg' >/dev/null 2>&1"
  fitted+=("$tmp/fit$seed.cfg")
done
check "open stays are censored, not dropped (some 'still running')" \
  grep -q "([ ]*[1-9][0-9]* open)" "$tmp/fit1.out"
check "every fitted value is commented with its records" \
  bash -c "grep -c '# n = ' '$tmp/fit1.cfg' | awk '\$1 >= 10 {ok=1} END {exit !ok}'"
check "the base's own comments are kept" grep -q "Capacities are ample" "$tmp/fit1.cfg"

# The values fit-roundtrip.cfg draws from: scenario inputs, not results.
# The arrival rate is the window's first day's (day 180: 24 x 1.04^(180/365)).
cat >"$tmp/truth.json" <<'JSON'
{
 "hospital.los_days|fit|mean": 5.0, "hospital.los_days|fit|sd": 4.0,
 "hospital.los_days|frail|mean": 9.0, "hospital.los_days|frail|sd": 6.0,
 "decision.delay_days|fit+frail|mean": 1.5, "decision.delay_days|fit+frail|sd": 1.0,
 "decision.complex_placement_days|fit+frail|mean": 20.0,
 "decision.complex_placement_days|fit+frail|sd": 15.0,
 "units.short_term.los_days|fit|mean": 12.0, "units.short_term.los_days|fit|sd": 8.0,
 "units.short_term.los_days|frail|mean": 16.0, "units.short_term.los_days|frail|sd": 11.0,
 "units.nursing_home.los_days|fit|mean": 640.0, "units.nursing_home.los_days|fit|sd": 680.0,
 "units.nursing_home.los_days|frail|mean": 640.0, "units.nursing_home.los_days|frail|sd": 680.0,
 "hospital.death_probability|fit|death": 0.02, "hospital.death_probability|frail|death": 0.08,
 "hospital.ukp_probability|fit|ukp": 0.30, "hospital.ukp_probability|frail|ukp": 0.55,
 "population.cfs_mix|fit+frail|1": 0.05, "population.cfs_mix|fit+frail|2": 0.10,
 "population.cfs_mix|fit+frail|3": 0.15, "population.cfs_mix|fit+frail|4": 0.20,
 "population.cfs_mix|fit+frail|5": 0.20, "population.cfs_mix|fit+frail|6": 0.15,
 "population.cfs_mix|fit+frail|7": 0.10, "population.cfs_mix|fit+frail|8": 0.04,
 "population.cfs_mix|fit+frail|9": 0.01,
 "population.age_mix|fit+frail|67-79": 0.55, "population.age_mix|fit+frail|80+": 0.45,
 "population.complex_share|fit+frail|complex": 0.01,
 "decision.destination|fit|home": 0.05, "decision.destination|fit|home_care": 0.65,
 "decision.destination|fit|short_term": 0.25, "decision.destination|fit|nursing_home": 0.05,
 "decision.destination|frail|home": 0.02, "decision.destination|frail|home_care": 0.50,
 "decision.destination|frail|short_term": 0.35, "decision.destination|frail|nursing_home": 0.13,
 "units.short_term.outcome|fit|home": 0.10, "units.short_term.outcome|fit|home_care": 0.75,
 "units.short_term.outcome|fit|nursing_home": 0.05, "units.short_term.outcome|fit|hospital": 0.07,
 "units.short_term.outcome|fit|death": 0.03,
 "units.short_term.outcome|frail|home": 0.05, "units.short_term.outcome|frail|home_care": 0.65,
 "units.short_term.outcome|frail|nursing_home": 0.15,
 "units.short_term.outcome|frail|hospital": 0.09, "units.short_term.outcome|frail|death": 0.06,
 "units.home_care.rates_per_year|fit|hospital": 0.7,
 "units.home_care.rates_per_year|fit|nursing_home": 0.04,
 "units.home_care.rates_per_year|fit|death": 0.06, "units.home_care.rates_per_year|fit|home": 1.5,
 "units.home_care.rates_per_year|frail|hospital": 1.1,
 "units.home_care.rates_per_year|frail|nursing_home": 0.10,
 "units.home_care.rates_per_year|frail|death": 0.20,
 "units.home_care.rates_per_year|frail|home": 0.8,
 "population||admissions_per_day": 24.4738, "population||growth_per_year": 0.04,
 "population||month_factor.0": 1.20, "population||month_factor.1": 1.15,
 "population||month_factor.2": 1.05, "population||month_factor.3": 1.0,
 "population||month_factor.4": 0.95, "population||month_factor.5": 0.90,
 "population||month_factor.6": 0.80, "population||month_factor.7": 0.85,
 "population||month_factor.8": 0.95, "population||month_factor.9": 1.0,
 "population||month_factor.10": 1.05, "population||month_factor.11": 1.10,
 "population||weekday_factor.0": 1.15, "population||weekday_factor.1": 1.10,
 "population||weekday_factor.2": 1.0, "population||weekday_factor.3": 1.0,
 "population||weekday_factor.4": 1.0, "population||weekday_factor.5": 0.85,
 "population||weekday_factor.6": 0.90
}
JSON
$PY "$SRC/tests/check_fit.py" coverage "$tmp/truth.json" "$tmp"/fit[123].h5 >"$tmp/cov.out"
check "the intervals cover the true values as often as they claim" test $? -eq 0
cat "$tmp/cov.out"

# Six fits (three more records, no bootstrap: the family test does not move
# the estimates), each compared with the original under its own seed, so
# that the fits share no random numbers.
for seed in 4 5 6; do
  records "$CFG" "$seed" "run$seed" "r$seed" &&
    "$FLYT" fit "$tmp/r$seed-stays.csv" "$tmp/r$seed-ready.csv" --units "$tmp/r1-units.csv" \
      --scenario "$CFG" --bootstrap 0 -o "$tmp/fit$seed.cfg" >/dev/null 2>&1
  check "seed $seed: run, export, fit" test $? -eq 0
done
for seed in 1 2 3 4 5 6; do
  "$FLYT" compare "$CFG" "$tmp/fit$seed.cfg" -r 6 -t 2 --seed $((seed * 1000)) --no-progress \
    -o "$tmp/cmp$seed.h5" --format json >"$tmp/cmp$seed.json" 2>/dev/null
  check "compare original and fit $seed exits 0" test $? -eq 0
done
$PY "$SRC/tests/check_fit.py" kpis "$tmp"/cmp[1-6].json >"$tmp/kpis.out"
check "the fitted scenarios' KPIs equal the original's (paired, no bias)" test $? -eq 0
cat "$tmp/kpis.out"

# Another family: uniform short-term stays. No family of the four fits them.
sed 's|dist = "weibull"; mean = 12.0; sd = 8.0;|dist = "uniform"; min = 2.0; max = 30.0;|; s|dist = "weibull"; mean = 16.0; sd = 11.0;|dist = "uniform"; min = 2.0; max = 30.0;|' \
  "$CFG" >"$tmp/uniform.cfg"
records "$tmp/uniform.cfg" "" u u &&
  "$FLYT" fit "$tmp/u-stays.csv" "$tmp/u-ready.csv" --units "$tmp/u-units.csv" \
    --scenario "$tmp/uniform.cfg" --bootstrap 100 -o "$tmp/u-fit.cfg" >"$tmp/u.out" 2>&1
check "uniform stays: fit exits 0" test $? -eq 0
check "uniform stays: the goodness-of-fit test rejects every family (empirical written)" \
  bash -c "grep 'units.short_term.los_days' '$tmp/u.out' | grep -c 'no family fits' | grep -qx 2"
check "uniform stays: the other estimates still take a family" \
  bash -c "grep 'hospital.los_days' '$tmp/u.out' | grep -qv 'no family fits'"
check "the empirical distribution validates" \
  bash -c "'$FLYT' validate '$tmp/u-fit.cfg' >/dev/null 2>&1"

# The arrivals as the records' own table (population.arrivals_table).
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" --arrivals table \
  -o "$tmp/tab.cfg" >"$tmp/tab.out" 2>&1
check "--arrivals table exits 0 and writes the table beside the scenario" \
  bash -c "test -s '$tmp/tab-arrivals.csv' && grep -q 'arrivals_table = \"tab-arrivals.csv\"' '$tmp/tab.cfg'"
check "  the table holds every admission from the community the fit counted" bash -c \
  "test \"\$(awk -F, '/^[0-9]/ { s += \$2 } END { print s }' '$tmp/tab-arrivals.csv')\" = \
   \"\$(sed -n 's/^arrivals: \([0-9]*\) admissions.*/\1/p' '$tmp/tab.out')\""
check "  and the scenario runs from it" \
  bash -c "'$FLYT' run '$tmp/tab.cfg' -r 1 -t 1 --no-progress -o '$tmp/tab-run.h5' >/dev/null 2>&1"
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" --arrivals table \
  -o "$tmp/tab.cfg" >/dev/null 2>&1
check "  a second fit replaces its own table" test $? -eq 0
echo "date,rate" >"$tmp/mine-arrivals.csv"
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" --arrivals table \
  -o "$tmp/mine.cfg" >/dev/null 2>&1
check "  but never a table a person wrote (exit 2)" test $? -eq 2
check "  which is left as it was, nothing else written" \
  bash -c "test \"\$(cat '$tmp/mine-arrivals.csv')\" = date,rate && test ! -e '$tmp/mine.cfg'"

# Same records, same options: the same file (but for the header's time).
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" -o "$tmp/again.cfg" \
  --estimates "$tmp/again.h5" >/dev/null 2>&1
check "a second fit of the same records gives the same scenario" \
  bash -c "diff <(tail -n +3 '$tmp/fit1.cfg') <(tail -n +3 '$tmp/again.cfg')"

"$FLYT" report "$tmp/fit1.h5" >"$tmp/rep.out" 2>&1
check "flyt report prints a fit file's durations, shares and hazards" \
  bash -c "grep -q '^durations' '$tmp/rep.out' && grep -q '^shares' '$tmp/rep.out' && grep -q '^hazards' '$tmp/rep.out' && grep -q 'units.short_term.los_days' '$tmp/rep.out'"
"$FLYT" report "$tmp/fit1.h5" --format json >"$tmp/rep.json" 2>/dev/null
check "  and valid JSON with --format json" "$PY" -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['kind'] == 'fit' and len(d['tables']) == 5" "$tmp/rep.json"
check "the fit file matches docs/hdf5-layout.md" \
  "$PY" "$SRC/tests/check_layout.py" "$SRC/docs/hdf5-layout.md" "$tmp/fit1.h5" fit
check "h5dump reads the whole fit file" bash -c "h5dump '$tmp/fit1.h5' >/dev/null"
check "no value of a record in the fit file (keys, times)" bash -c \
  "! h5dump '$tmp/fit1.h5' | grep -q '\"p[0-9]*-[0-9]\\|T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\"'"
$PY "$SRC/analysis/report.py" "$tmp/fit1.h5" -o "$tmp/fit1.html" >/dev/null 2>&1
check "report page of a fit file" \
  bash -c "grep -c 'data-kind=\"fit-survival\"' '$tmp/fit1.html' | awk '\$1 >= 6 {ok=1} END {exit !ok}'"

mkdir -p "$tmp/ex" && "$FLYT" export "$tmp/fit1.h5" --format csv -o "$tmp/ex/" >/dev/null 2>&1
check "flyt export of a fit file writes its tables" bash -c \
  "ls '$tmp/ex/' | grep -c 'fit1-fit_\(durations\|shares\|hazards\|arrivals\)\.csv' | grep -qx 4"
check "  the exported hazards are the file's" "$PY" -c "
import csv, h5py, sys
rows = list(csv.reader(open(sys.argv[1])))[1:]
v = h5py.File(sys.argv[2])['fit/hazards/values'][:]
assert len(rows) == len(v)
for r, x in zip(rows, v):
    assert abs(float(r[5]) - x[2]) <= 1e-12 * max(1.0, abs(x[2])), (r, x)
" "$tmp/ex/fit1-fit_hazards.csv" "$tmp/fit1.h5"

# Bad uses: exit 2, nothing written.
"$FLYT" fit "$tmp/r1-stays.csv" -o "$tmp/none.cfg" >/dev/null 2>"$tmp/e1"
check "no --units is bad usage (exit 2)" test $? -eq 2
check "  and says what the map is" grep -q "units MAP.csv is required" "$tmp/e1"
"$FLYT" fit "$tmp/r1-stays.csv" --units "$tmp/r1-units.csv" \
  --scenario "$SRC/scenarios/region/troms-ofoten.cfg" -o "$tmp/none.cfg" >/dev/null 2>"$tmp/e2"
check "a region as the base is refused (exit 2)" test $? -eq 2
head -n 12 "$tmp/r1-stays.csv" >"$tmp/few-stays.csv"
"$FLYT" fit "$tmp/few-stays.csv" "${FIT[@]}" -o "$tmp/none.cfg" >/dev/null 2>"$tmp/e3"
check "too few records for any fit (exit 2)" test $? -eq 2
check "  says so" grep -q "too few records for any fit" "$tmp/e3"
awk -F, -v OFS=, 'NR == 6 { $2 = "attic" } { print }' "$tmp/r1-stays.csv" >"$tmp/bad-stays.csv"
"$FLYT" fit "$tmp/bad-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" -o "$tmp/none.cfg" \
  >/dev/null 2>"$tmp/e4"
check "an unknown unit in the records (exit 2)" test $? -eq 2
check "  named by its row, the value not shown" \
  bash -c "grep -q 'bad-stays.csv:6:' '$tmp/e4' && ! grep -q attic '$tmp/e4'"
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" -o "$tmp/r1-ready.csv" \
  >/dev/null 2>&1
check "the output may not be an input (exit 2)" test $? -eq 2
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" "${FIT[@]}" -o "$tmp/none.cfg" \
  --estimates "$tmp/none.cfg" >/dev/null 2>&1
check "the scenario and the estimates may not be one file (exit 2)" test $? -eq 2
# A base that keeps the nursing home closed and routes nobody there, against
# records in which patients go there: the fitted routes would be refused.
sed -e 's/nursing_home = 0.05; };/};/; s/short_term = 0.35; nursing_home = 0.13; };/short_term = 0.35; };/' \
    -e 's/home = 0.05; home_care = 0.65; short_term = 0.25;/home = 0.10; home_care = 0.65; short_term = 0.25;/' \
    -e 's/home = 0.02; home_care = 0.50; short_term = 0.35;/home = 0.15; home_care = 0.50; short_term = 0.35;/' \
    -e 's/home = 0.10; home_care = 0.75; nursing_home = 0.05;/home = 0.15; home_care = 0.75;/' \
    -e 's/home = 0.05; home_care = 0.65; nursing_home = 0.15;/home = 0.20; home_care = 0.65;/' \
    -e 's/nursing_home = 0.04; //; s/nursing_home = 0.10; //' \
    -e 's/capacity = 20000; initial_occupancy = 0.05;/capacity = 0;/' "$CFG" >"$tmp/closed.cfg"
check "  (that base is itself valid)" bash -c "'$FLYT' validate '$tmp/closed.cfg' >/dev/null 2>&1"
"$FLYT" fit "$tmp/r1-stays.csv" "$tmp/r1-ready.csv" --units "$tmp/r1-units.csv" \
  --scenario "$tmp/closed.cfg" --bootstrap 0 -o "$tmp/none.cfg" >/dev/null 2>"$tmp/e5"
check "records routing into a unit the base keeps closed (exit 2)" test $? -eq 2
check "  says the base's structure does not fit, with the loader's reason" \
  bash -c "grep -q 'do not fit the base' '$tmp/e5' && grep -q 'nursing_home' '$tmp/e5'"
check "nothing written by the refused fits" \
  bash -c "test ! -e '$tmp/none.cfg' && test ! -e '$tmp/none.h5' && ! compgen -G '$tmp/none.*' >/dev/null"
check "the input is untouched" bash -c "head -1 '$tmp/r1-ready.csv' | grep -q 'flyt export --records'"

echo "e2e_fit: $pass passed, $fail failed"
test "$fail" -eq 0
