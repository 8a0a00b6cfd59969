#!/usr/bin/env bash
# End to end for flyt calibrate: help, bad specs (exit 2, file:line, nothing
# simulated or written), a tiny fit that writes a fitted scenario which
# `flyt validate` accepts and `flyt run` reproduces, and a fit that runs out
# of evaluations (exit 1, best point printed, nothing written).
# Usage: e2e_calibrate.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

check "calibrate --help exits 0" "$FLYT" calibrate --help
check "calibrate --help names the spec format" bash -c "'$FLYT' calibrate --help | grep -q 'docs/calibration.md'"
check "flyt --help lists calibrate" bash -c "'$FLYT' --help | grep -q '^  calibrate SPEC'"
"$FLYT" calibrate 2>/dev/null; check "no spec exits 2" test $? -eq 2
"$FLYT" calibrate x.calib --bogus 2>/dev/null; check "unknown option exits 2" test $? -eq 2

# A tiny fit: the embedded default, 200 days, 4 replications, one parameter.
cat >"$tmp/tiny.calib" <<'EOF'
set = ["run.horizon_days=200", "run.warmup_days=50"];
replications = 4; seed = 5;
parameters = ( { key = "decision.delay_days.mean"; min = 0.5; max = 4.0; start = 1.0; } );
targets = ( { kpi = "ukp_wait_mean"; value = 2.5; tolerance = 0.05; } );
max_evaluations = 60;
EOF

# Bad specs: one mistake each, at a known line.
sed 's/decision.delay_days.mean/decision.delay_dayz.mean/' "$tmp/tiny.calib" >"$tmp/badkey.calib"
sed 's/min = 0.5; max = 4.0/min = 4.0; max = 0.5/' "$tmp/tiny.calib" >"$tmp/badrange.calib"
sed 's/"ukp_wait_mean"/"ukp_wait_average"/' "$tmp/tiny.calib" >"$tmp/badkpi.calib"
printf 'replications = 4;\nparameters = ( { key = "x"; min = 0.0; max = 1.0; }\n' >"$tmp/syntax.calib"
for c in "badkey:3:parameters\[0\]: .*unknown key 'delay_dayz'" \
         "badrange:3:parameters\[0\]\.max: empty range" \
         "badkpi:4:targets\[0\]\.kpi: unknown KPI 'ukp_wait_average'" \
         "syntax:3:syntax"; do
  name=${c%%:*}; rest=${c#*:}; line=${rest%%:*}; msg=${rest#*:}
  "$FLYT" calibrate "$tmp/$name.calib" -o "$tmp/$name-fitted.cfg" >"$tmp/$name.out" 2>"$tmp/$name.err"
  check "$name spec exits 2" test $? -eq 2
  check "$name spec names file:line" grep -q "^$tmp/$name.calib:$line: error: $msg" "$tmp/$name.err"
  check "$name spec simulates nothing, prints nothing on stdout" test ! -s "$tmp/$name.out"
  check "$name spec writes nothing" test ! -e "$tmp/$name-fitted.cfg"
done
check "a bad spec counts its errors" grep -q "1 error; nothing simulated" "$tmp/badkey.err"

"$FLYT" calibrate "$tmp/tiny.calib" -t 2 -o "$tmp/fitted.cfg" --progress >"$tmp/fit.txt" 2>"$tmp/fit.err"
check "tiny fit exits 0" test $? -eq 0
check "tiny fit prints one progress line per evaluation" grep -q "^calibrate eval   1: decision.delay_days.mean=1 -> ukp_wait_mean" "$tmp/fit.err"
check "tiny fit table shows fitted value and CI" grep -q "^decision.delay_days.mean .*\[" "$tmp/fit.txt"
check "tiny fit table shows the target within tolerance" grep -q "^ukp_wait_mean .* yes$" "$tmp/fit.txt"
check "fitted file written" test -s "$tmp/fitted.cfg"
check "no partial file left" no_partial "$tmp/fitted.cfg"
check "fitted file says what it was fitted to" bash -c "head -1 '$tmp/fitted.cfg' | grep -q '^# Fitted by flyt calibrate $tmp/tiny.calib on '"
check "fitted file names the target and what it achieved" grep -q "^#   ukp_wait_mean = 2.5 +- 0.05: " "$tmp/fitted.cfg"
check "flyt validate accepts the fitted file" "$FLYT" validate "$tmp/fitted.cfg"

# The fitted file, run with the fit's seed and replications, gives the
# achieved mean exactly (common random numbers, same patients).
"$FLYT" calibrate "$tmp/tiny.calib" -t 1 -o "$tmp/fitted1.cfg" --format json --no-progress >"$tmp/fit.json" 2>/dev/null
check "json fit exits 0" test $? -eq 0
"$FLYT" run "$tmp/fitted.cfg" -r 4 --seed 5 --format json --no-progress -o "$tmp/f.h5" >"$tmp/run.json" 2>/dev/null
cat >"$tmp/cmp.py" <<'PYEOF'
import json, sys
fit = json.load(open(sys.argv[1]))
run = json.load(open(sys.argv[2]))
assert fit["converged"] is True and fit["status"] == "converged", fit["status"]
p = fit["parameters"][0]
assert p["name"] == "decision.delay_days.mean" and 0.5 < p["fitted"] < 4.0, p
lo, hi = p["ci95"]
assert lo < p["fitted"] < hi, p
t = fit["targets"][0]
assert t["kpi"] == "ukp_wait_mean" and t["within"] is True and t["n"] == 4, t
assert abs(t["mean"] - 2.5) <= 0.05, t
achieved = run["kpis"]["ukp_wait_mean"]["mean"]
assert abs(achieved - t["mean"]) < 1e-9, (achieved, t["mean"])
print("json ok")
PYEOF
check "json has fitted values, CIs and the target; flyt run reproduces it" $PY "$tmp/cmp.py" "$tmp/fit.json" "$tmp/run.json"
cat >"$tmp/threads.py" <<'PYEOF'
import json, sys
a = json.load(open(sys.argv[1]))["parameters"][0]["fitted"]
line = [l for l in open(sys.argv[2]) if l.startswith("#   decision.delay_days.mean = ")][0]
b = float(line.split()[3])
assert abs(a - b) <= 1e-5 * abs(a), (a, b)
PYEOF
check "1 and 2 threads fit the same value" $PY "$tmp/threads.py" "$tmp/fit.json" "$tmp/fitted.cfg"

# Out of evaluations: exit 1, the best point, nothing written.
sed 's/max_evaluations = 60/max_evaluations = 3/' "$tmp/tiny.calib" >"$tmp/short.calib"
"$FLYT" calibrate "$tmp/short.calib" -o "$tmp/short-fitted.cfg" --no-progress >"$tmp/short.txt" 2>"$tmp/short.err"
check "non-converging fit exits 1" test $? -eq 1
check "non-converging fit says so" grep -q "not converged in 3 evaluations" "$tmp/short.err"
check "non-converging fit prints the best point" grep -q "best point found: --set decision.delay_days.mean=" "$tmp/short.err"
check "non-converging fit still prints the table" grep -q "^NOT converged after 3 evaluations" "$tmp/short.txt"
check "non-converging fit writes nothing" test ! -e "$tmp/short-fitted.cfg"
"$FLYT" calibrate "$tmp/tiny.calib" --max-evals 2 -o "$tmp/short2.cfg" --no-progress >/dev/null 2>"$tmp/short2.err"
check "--max-evals overrides the spec" bash -c "test $? -eq 1 && grep -q 'not converged in 2 evaluations' '$tmp/short2.err'"

# The shipped specs load (their scenarios and keys are valid); no fit run.
for spec in "$SRC"/scenarios/calibration/*.calib; do
  [ -e "$spec" ] || continue
  "$FLYT" calibrate "$spec" --max-evals 1 --no-intervals -t 2 --no-progress -o "$tmp/ship.cfg" >/dev/null 2>"$tmp/ship.err"
  rc=$?
  check "$(basename "$spec") loads (one evaluation, exit 1: not converged)" bash -c "test $rc -eq 1 && grep -q 'not converged in 1 evaluations' '$tmp/ship.err'"
done

echo "e2e_calibrate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
