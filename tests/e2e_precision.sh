#!/usr/bin/env bash
# flyt run -r auto --precision P: replications are added in rounds until
# the 95 % CI half-width of the named KPIs is within P of the mean; the
# final count and the precision reached are under the table and in JSON,
# and the figures and the file are those of a plain run with -r <count>.
# The maximum reached first is a warning, not an error. The stopping rule
# itself: test_precision.c.
# Usage: e2e_precision.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

# An M/G/inf hospital (scenarios/validation/mginf.cfg, shorter).
sed -e 's/horizon_days = 3850.0;.*/horizon_days = 300.0;/' \
    -e 's/warmup_days = 200.0;.*/warmup_days = 100.0;/' \
    -e 's/replications = 20;.*/replications = 4;/' \
    "$SRC/scenarios/validation/mginf.cfg" >"$tmp/m.cfg"
K=(--precision-kpi occ_hospital_treatment,arrivals)

"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.003 "${K[@]}" --format json --no-progress \
  -o "$tmp/a.h5" >"$tmp/j" 2>"$tmp/e"
check "-r auto: exit 0" test $? -eq 0
n=$(sed -n 's/.*"replications_auto": {"target": 0.0030000000000000001, "replications": \([0-9]*\), "max_replications": 1000, "rounds": [0-9]*, "met": true.*/\1/p' "$tmp/j")
check "-r auto: met, with the count ($n)" test -n "$n"
check "-r auto: the count is the run's" grep -q "\"replications\": $n, \"seed\"" "$tmp/j"
check "-r auto: the precision reached per KPI" grep -q '"precision": {"occ_hospital_treatment": 0.00[0-2][0-9]*, "arrivals": 0.00' "$tmp/j"
check "-r auto: more than the first round of 10" test "${n:-0}" -gt 10
check "-r auto: no warning" bash -c "! grep -q warning '$tmp/e'"

"$FLYT" run "$tmp/m.cfg" -r "${n:-1}" --format json --no-progress -o "$tmp/p.h5" >"$tmp/jp" 2>/dev/null
check "-r auto equals -r $n: every figure" bash -c "diff <(grep -v replications_auto '$tmp/j' | sed 's/\"roles\": {},\$/\"roles\": {}}/') '$tmp/jp' >/dev/null"
if command -v h5diff >/dev/null; then
  check "-r auto equals -r $n: the file's replications, series and units" bash -c \
    "h5diff '$tmp/a.h5' '$tmp/p.h5' /replications /replications && h5diff '$tmp/a.h5' '$tmp/p.h5' /series /series && h5diff '$tmp/a.h5' '$tmp/p.h5' /units /units"
fi
"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.003 "${K[@]}" --series reduced --no-progress -o "$tmp/r.h5" >"$tmp/t" 2>/dev/null
check "-r auto, table: the count and 'was reached'" grep -q "^replications: $n (-r auto, [0-9]* rounds): the 95% CI half-width of every KPI within 0.3% of the mean was reached" "$tmp/t"
"$FLYT" run "$tmp/m.cfg" -r "${n:-1}" --series reduced --no-progress -o "$tmp/rp.h5" >/dev/null 2>&1
if command -v h5diff >/dev/null; then
  check "-r auto --series reduced equals -r $n --series reduced" h5diff "$tmp/r.h5" "$tmp/rp.h5" /series /series
fi

"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.0001 "${K[@]}" --max-replications 20 --no-progress -o "$tmp/x.h5" >"$tmp/t" 2>"$tmp/e"
check "maximum first: exit 0" test $? -eq 0
check "maximum first: a warning" grep -q "flyt run: warning: -r auto: the maximum of 20 replications was reached before" "$tmp/e"
check "maximum first: NOT reached under the table" grep -q "^replications: 20 (-r auto, 2 rounds): .* was NOT reached" "$tmp/t"

"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.05 --no-progress -o "$tmp/u.h5" >/dev/null 2>"$tmp/e"
check "a KPI never measured (no UKP here, the default ukp_wait_mean): exit 0" test $? -eq 0
check "a KPI never measured: one round, a warning" grep -q "warning: -r auto: 'ukp_wait_mean' had nothing to measure in any of the 10 replications" "$tmp/e"

# compare: the paired differences. A variant with 10 % more admissions.
sed 's/admissions_per_day = 40.0;/admissions_per_day = 44.0;/' "$tmp/m.cfg" >"$tmp/m2.cfg"
"$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r auto --precision 0.02 "${K[@]}" --format json \
  --no-progress -o "$tmp/c.h5" >"$tmp/cj" 2>"$tmp/e"
check "compare -r auto: exit 0" test $? -eq 0
cn=$(sed -n 's/.*"replications_auto": {"target": 0.02, "replications": \([0-9]*\), .*"met": true, "paired": true, "precision": {"mginf: occ_hospital_treatment": 0.0[01][0-9]*, "mginf: arrivals": 0.0[01].*/\1/p' "$tmp/cj")
check "compare -r auto: met on both differences, with the count ($cn)" test -n "$cn"
"$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r "${cn:-1}" --format json --no-progress -o "$tmp/c2.h5" >"$tmp/cj2" 2>/dev/null
check "compare -r auto equals -r $cn: every figure" bash -c "diff <(grep -v replications_auto '$tmp/cj' | sed 's/],\$/]}/') '$tmp/cj2' >/dev/null"
if command -v h5diff >/dev/null; then
  check "compare -r auto equals -r $cn: the file's differences" h5diff "$tmp/c.h5" "$tmp/c2.h5" /differences /differences
fi
if command -v h5diff >/dev/null; then
  # Reduced series are folded once the count is known: those of -r N.
  "$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r auto --precision 0.02 "${K[@]}" --series reduced \
    --no-progress -o "$tmp/cr.h5" >/dev/null 2>&1
  "$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r "${cn:-1}" --series reduced --no-progress \
    -o "$tmp/cr2.h5" >/dev/null 2>&1
  check "compare -r auto --series reduced equals -r $cn --series reduced" \
    bash -c "for s in \$(h5ls '$tmp/cr.h5/scenarios' | cut -d' ' -f1); do for g in series units/series; do
      h5diff '$tmp/cr.h5' '$tmp/cr2.h5' /scenarios/\$s/\$g /scenarios/\$s/\$g || exit 1; done; done"
fi
"$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r auto --precision 0.02 "${K[@]}" --no-progress -o "$tmp/c3.h5" >"$tmp/t" 2>/dev/null
check "compare -r auto, table: every paired difference, reached" grep -q "^replications: $cn (-r auto, [0-9]* rounds): the 95% CI half-width of every paired difference within 2% of |mean difference| (of |base mean| where its CI includes 0) was reached" "$tmp/t"
"$FLYT" compare "$tmp/m.cfg" "$tmp/m2.cfg" -r auto --no-progress -o "$tmp/c4.h5" >/dev/null 2>"$tmp/e"
check "compare -r auto without --precision: exit 2" test $? -eq 2

bad_input() {
  local name=$1; shift
  "$FLYT" run "$tmp/m.cfg" --no-progress -o "$tmp/b.h5" "$@" >/dev/null 2>"$tmp/e"
  check "$name: exit 2" test $? -eq 2
}
bad_input "-r auto without --precision" -r auto
bad_input "--precision without -r auto" --precision 0.05
bad_input "--precision 1.5" -r auto --precision 1.5
bad_input "--precision abc" -r auto --precision abc
bad_input "--precision-kpi nosuch" -r auto --precision 0.05 --precision-kpi nosuch
check "--precision-kpi nosuch: named" grep -q "no KPI 'nosuch'" "$tmp/e"
check "nothing written for bad input" test ! -e "$tmp/b.h5"

# -r auto with the logs: the final count is run again with them on, the
# same replications as without (resume with -r auto: e2e_checkpoint).
"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.05 --format json --no-progress -o "$tmp/l0.h5" \
  >"$tmp/l0.json" 2>/dev/null
"$FLYT" run "$tmp/m.cfg" -r auto --precision 0.05 --patients --events --format json \
  --no-progress -o "$tmp/l1.h5" >"$tmp/l1.json" 2>"$tmp/e"
check "-r auto --patients --events: exit 0" test $? -eq 0
check "-r auto with logs: the same figures as without" cmp -s "$tmp/l0.json" "$tmp/l1.json"
if command -v h5ls >/dev/null; then
  check "-r auto with logs: the logs are written" bash -c "h5ls '$tmp/l1.h5/patients' | grep -q . && h5ls '$tmp/l1.h5/events' | grep -q ."
fi

echo "e2e_precision: $pass passed, $fail failed"
test "$fail" -eq 0
