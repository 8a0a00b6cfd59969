#!/usr/bin/env bash
# End to end for `flyt compare`, as a planner would use it: a base and
# variants of the default scenario, the table and the JSON, the HDF5 file
# read by h5dump and h5py, a scenario compared with itself (differences
# exactly zero), and bad input (exit 2, file:line, nothing written).
# Usage: e2e_compare.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
have_h5py() { test -x "$PY" && "$PY" -c 'import h5py, numpy' 2>/dev/null; }

BASE=$SRC/scenarios/trondheim-baseline.cfg
SHORT=(--set run.horizon_days=200 --set run.warmup_days=40 -r 4 --no-progress)

# Variants written as a planner would: a copy of the base with one change.
sed -e 's/^name = .*/name = "more-beds";/' -e 's/capacity = 125;/capacity = 135;/' "$BASE" >"$tmp/beds.cfg"
sed -e 's/^name = .*/name = "fast-decision";/' \
    -e 's/delay_days = { dist = "lognormal"; mean = 1.2; sd = 0.8; };/delay_days = { dist = "lognormal"; mean = 0.8; sd = 0.5; };/' \
    "$BASE" >"$tmp/fast.cfg"
check "variant files carry their change" bash -c "grep -q 'capacity = 135;' '$tmp/beds.cfg' && grep -q 'mean = 0.8; sd = 0.5;' '$tmp/fast.cfg'"

check "compare --help exits 0" bash -c "'$FLYT' compare --help | grep -q 'Usage: flyt compare BASE VARIANT'"
check "flyt --help lists compare" bash -c "'$FLYT' --help | grep -q '^  compare'"
"$FLYT" compare "$BASE" 2>/dev/null >/dev/null
check "one scenario only exits 2" test $? -eq 2
"$FLYT" compare "$BASE" "$tmp/beds.cfg" --bogus 2>/dev/null >/dev/null
check "unknown option exits 2" test $? -eq 2
"$FLYT" compare "$BASE" "$tmp/beds.cfg" --format xml 2>/dev/null >/dev/null
check "bad --format exits 2" test $? -eq 2

# Table.
"$FLYT" compare "$BASE" "$tmp/beds.cfg" "$tmp/fast.cfg" "${SHORT[@]}" -t 2 \
  -o "$tmp/c.h5" >"$tmp/c.txt" 2>"$tmp/c.err"
check "compare exits 0" test $? -eq 0
check "table has a section per variant" bash -c "grep -q \"variant 1 'more-beds'\" '$tmp/c.txt' && grep -q \"variant 2 'fast-decision'\" '$tmp/c.txt'"
check "table has paired and unpaired columns" grep -q "paired 95% CI .*unpaired" "$tmp/c.txt"
check "faster decision: shorter UKP wait, marked" bash -c "awk '/fast-decision/{f=1} f && \$1==\"ukp_wait_mean\"' '$tmp/c.txt' | grep -q -- ' -[0-9.]*\\*  \\['"
check "same settings: no note, no settings block" bash -c "! grep -q 'note:' '$tmp/c.err' && ! grep -q 'SETTINGS DIFFER\\|settings differ' '$tmp/c.txt'"
check "same settings: the table says every scenario runs with the base's" grep -q "every scenario\$" "$tmp/c.txt"
check "output file written" test -s "$tmp/c.h5"
check "no partial file left" no_partial "$tmp/c.h5"
check "h5dump reads the differences" bash -c "h5dump -d /differences/2_fast-decision/per_replication '$tmp/c.h5' | grep -q 'DATASPACE  SIMPLE { ( 4, [0-9]* ) / ( 4, [0-9]* ) }'"
check "h5dump reads a scenario's run data" bash -c "h5dump -d /scenarios/1_more-beds/replications '$tmp/c.h5' | grep -q 'DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }'"

# JSON.
"$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" --format json -o "$tmp/j.h5" >"$tmp/j.json" 2>/dev/null
check "json exits 0" test $? -eq 0
check "json parses and has the figures" $PY -c "
import json, sys
def no_nan(c): raise ValueError('not JSON: ' + c)
d = json.load(open('$tmp/j.json'), parse_constant=no_nan)
assert d['replications'] == 4 and d['seed'] == 20251231, d
v = d['variants'][0]
assert v['name'] == 'fast-decision' and v['index'] == 1
k = v['kpis']['ukp_wait_mean']
assert k['n'] == 4 and k['units'] == 'days'
assert k['diff_mean'] < 0 and k['excludes_zero'] is True
lo, hi = k['diff_ci95']
assert lo <= k['diff_mean'] <= hi and hi < 0
assert k['unpaired_half'] > (hi - lo) / 2
assert abs(k['variant_mean'] - k['base_mean'] - k['diff_mean']) < 1e-9
assert isinstance(v['roles'], dict)
assert v['units']['short_term']['in_base'] and 'los_mean' in v['units']['short_term']['kpis']
"

if have_h5py; then
  cat >"$tmp/read.py" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "flyt" and f.attrs["kind"] == "compare"
assert int(f.attrs["replications"]) == 4 and int(f.attrs["seed"]) == 20251231
assert list(f["scenarios"].keys()) == ["0_trondheim-baseline", "1_more-beds", "2_fast-decision"]
for name, g in f["scenarios"].items():
    assert int(g.attrs["seed"]) == 20251231, name
    assert g["replications"]["ukp_wait_mean"].shape == (4,)
    assert g["units/series/census"].shape[:2] == (4, 4)  # replication, unit
    assert list(g["units/ids"].asstr()[:]) == ["hospital", "short_term", "nursing_home", "home_care"]
    assert "mean" in g["summary"]
d = f["differences/2_fast-decision"]
assert d.attrs["base"] == "/scenarios/0_trondheim-baseline"
kpis = list(d["summary/kpi"].asstr()[:])
k = kpis.index("ukp_wait_mean")
per = d["per_replication"][:]
b = f["scenarios/0_trondheim-baseline/replications"]["ukp_wait_mean"]
v = f["scenarios/2_fast-decision/replications"]["ukp_wait_mean"]
assert np.array_equal(per[:, k], v - b), (per[:, k], v - b)
assert abs(d["summary/mean"][k] - (v - b).mean()) < 1e-12
assert d["summary/ci_low"][k] < d["summary/mean"][k] < d["summary/ci_high"][k] < 0
assert d["summary/unpaired_half"][k] > 0
assert 0 < d["summary/variance_reduction"][k] <= 1
for name in ["per_replication", "summary/mean", "summary/ci_low", "summary/variance_reduction"]:
    assert "units" in d[name].attrs and "description" in d[name].attrs, name
pr = d["per_replication"]  # compact when small (docs/hdf5-layout.md), else deflated
assert (pr.id.get_create_plist().get_layout() == h5py.h5d.COMPACT) == (pr.size * 8 <= 8192)
assert pr.size * 8 <= 8192 or pr.compression == "gzip"
a = kpis.index("arrivals")
assert np.all(per[:, a] == 0), per[:, a]  # same patients
# per unit, matched by id: the more-beds variant's short-term capacity is 135
u = f["differences/1_more-beds/units/short_term"]
uk = list(u["summary/kpi"].asstr()[:])
c = uk.index("capacity")
assert abs(u["summary/mean"][c] - 10) < 1e-9 and u["summary/base_mean"][c] == 125
ukpi = list(f["units"].attrs["kpi"]) if "units" in f else list(
    f["scenarios/0_trondheim-baseline/units"].attrs["kpi"])
st = 1  # short_term in /units/ids
b = f["scenarios/0_trondheim-baseline/units/kpis"][:, st, ukpi.index("los_mean")]
v = f["scenarios/1_more-beds/units/kpis"][:, st, ukpi.index("los_mean")]
assert np.allclose(u["per_replication"][:, uk.index("los_mean")], v - b, equal_nan=True)
print("h5py ok")
PYEOF
  check "h5py reads scenarios and differences" $PY "$tmp/read.py" "$tmp/c.h5"
else
  echo "skip h5py checks (h5py or numpy not importable by $PY)"
fi

# A scenario against itself: every difference exactly zero.
"$FLYT" compare "$BASE" "$BASE" "${SHORT[@]}" -o "$tmp/self.h5" >"$tmp/self.txt" 2>/dev/null
check "self comparison exits 0" test $? -eq 0
check "self comparison marks nothing" bash -c "! grep -q '\\*  \\[' '$tmp/self.txt'"
if have_h5py; then
  check "self comparison: differences all zero in the file" $PY -c "
import h5py, numpy as np
f = h5py.File('$tmp/self.h5', 'r')
d = f['differences/1_trondheim-baseline/per_replication'][:]
b = np.stack([f['scenarios/0_trondheim-baseline/replications'][k]
              for k in f['differences/1_trondheim-baseline/summary/kpi'].asstr()[:]], axis=1)
fin = np.isfinite(b)
assert fin.sum() > b.shape[1]
assert np.all(d[fin] == 0.0) and np.all(np.isnan(d[~fin]))
"
else
  check "self comparison: differences all zero in the file" bash -c "h5dump -d /differences/1_trondheim-baseline/summary/mean '$tmp/self.h5' | grep -q '(0): 0, 0, 0'"
fi

# Coordinator roles pair by name; a role only in the variant has its own
# figures and no difference.
PLAIN=$SRC/scenarios/trondheim-2025.cfg
COORD=$SRC/scenarios/trondheim-2025-coordinator.cfg
if [ -f "$PLAIN" ] && [ -f "$COORD" ]; then
  "$FLYT" compare "$PLAIN" "$COORD" "${SHORT[@]}" -o "$tmp/r.h5" >"$tmp/r.txt" 2>/dev/null
  check "role comparison exits 0" test $? -eq 0
  check "a role only in the variant is named as such" grep -q "coordinator role '.*' (only in the variant" "$tmp/r.txt"
  "$FLYT" compare "$PLAIN" "$COORD" "${SHORT[@]}" --format json -o "$tmp/r.h5" >"$tmp/r.json" 2>/dev/null
  check "json: variant-only role has its own interval and no difference" $PY -c "
import json
roles = json.load(open('$tmp/r.json'))['variants'][0]['roles']
assert roles, roles
for name, r in roles.items():
    assert r['in_variant'] and not r['in_base'], name
    k = r['kpis']['cases_offered']
    assert k['diff_mean'] is None and k['base_mean'] is None and k['n'] == 0
    lo, hi = k['variant_ci95']
    assert lo <= k['variant_mean'] <= hi and k['variant_mean'] > 0
"
  "$FLYT" compare "$COORD" "$COORD" "${SHORT[@]}" --format json -o "$tmp/rr.h5" >"$tmp/rr.json" 2>/dev/null
  check "json: a role in both is paired, and differs from itself by 0" $PY -c "
import json
roles = json.load(open('$tmp/rr.json'))['variants'][0]['roles']
assert roles
for name, r in roles.items():
    assert r['in_variant'] and r['in_base'], name
    for k, v in r['kpis'].items():
        assert v['diff_mean'] in (0, None), (name, k, v)
"
  if have_h5py; then
    check "h5: a role in both has per-replication differences, all 0" $PY -c "
import h5py, numpy as np
f = h5py.File('$tmp/rr.h5', 'r')
roles = f['differences/1_trondheim-2025-coordinator/roles']
assert len(roles) > 0
for name, g in roles.items():
    d = g['per_replication'][:]
    assert d.shape[0] == 4 and np.all(d[np.isfinite(d)] == 0.0), (name, d)
    assert list(g['summary/kpi'].asstr()[:])[0] == 'cases_offered'
"
  fi
else
  echo "skip role checks (no coordinator scenario in $SRC/scenarios)"
fi

# Run settings that differ from the base's: refused (exit 2), each key
# named at the variant's line with both values, nothing written; -r, --seed
# and --set apply to all alike; --allow-different-settings runs each with its
# own horizon and says so before the results.
sed -e 's/^name = .*/name = "longer";/' -e 's/horizon_days = 485;/horizon_days = 300;/' \
    -e 's/seed = [0-9]*L;/seed = 7L;/' -e '/warmup_days = /d' "$BASE" >"$tmp/longer.cfg"
check "the differing variant has its changes" bash -c "grep -q 'horizon_days = 300;' '$tmp/longer.cfg' && ! grep -q warmup_days '$tmp/longer.cfg'"
"$FLYT" compare "$BASE" "$tmp/longer.cfg" -r 2 --no-progress -o "$tmp/diff.h5" >"$tmp/diff.out" 2>"$tmp/diff.err"
check "different settings exit 2" test $? -eq 2
check "different horizon named at the variant's line with both values" grep -q "longer.cfg:11: error: run.horizon_days: 300 here, but 485 in the base (.*trondheim-baseline.cfg:11)" "$tmp/diff.err"
check "different seed named" grep -q "longer.cfg:[0-9]*: error: run.seed: 7 here, but 20251231 in the base" "$tmp/diff.err"
check "a default that differs is named as the default" grep -q "longer.cfg: error: run.warmup_days: 0 here (the default: the file does not set it), but 120 in the base" "$tmp/diff.err"
check "the summary names the keys and the flag" grep -q "base's settings (run.horizon_days, run.warmup_days, run.seed).*--allow-different-settings.*nothing was run" "$tmp/diff.err"
check "different settings write nothing" test ! -e "$tmp/diff.h5"
check "different settings print nothing on stdout" test ! -s "$tmp/diff.out"
sed -e 's/seed = [0-9]*L;/seed = 7L;/' "$BASE" >"$tmp/seed7.cfg"
"$FLYT" compare "$BASE" "$tmp/seed7.cfg" "${SHORT[@]}" -o "$tmp/s7.h5" >/dev/null 2>"$tmp/s7.err"
check "a variant's own seed alone is refused" test $? -eq 2
check "... naming it, writing nothing" bash -c "grep -q 'seed7.cfg:14: error: run.seed: 7 here' '$tmp/s7.err' && test ! -e '$tmp/s7.h5'"
"$FLYT" compare "$BASE" "$tmp/seed7.cfg" "${SHORT[@]}" --seed 5 -o "$tmp/s5.h5" >/dev/null 2>"$tmp/s5.err"
check "--seed on the command line applies to all: no difference" test $? -eq 0
"$FLYT" compare "$BASE" "$tmp/longer.cfg" --set run.horizon_days=150 --set run.warmup_days=20 --seed 3 -r 2 --no-progress -o "$tmp/sets.h5" >/dev/null 2>"$tmp/sets.err"
check "--set of the differing keys applies to all: no difference" test $? -eq 0
"$FLYT" compare "$BASE" "$tmp/longer.cfg" -r 2 --no-progress --allow-different-settings -o "$tmp/allow.h5" >"$tmp/allow.txt" 2>"$tmp/allow.err"
check "--allow-different-settings runs" test $? -eq 0
check "--allow-different-settings: seed and replications stay the base's, with a note" grep -q "note: .*longer.cfg.*seed 20251231, 2 replications" "$tmp/allow.err"
check "--allow-different-settings: a line per scenario before the results" bash -c "head -6 '$tmp/allow.txt' | grep -q \"base .*'trondheim-baseline': start 2025-01-01, horizon 485 days, warm-up 120 days\" && head -6 '$tmp/allow.txt' | grep -q \"variant 1 'longer': start 2025-01-01, horizon 300 days, warm-up 0 days\""
check "--allow-different-settings: the table is marked" bash -c "grep -q '^SETTINGS DIFFER' '$tmp/allow.txt' && grep -q \"variant 1 'longer' vs base 'trondheim-baseline' \\[settings differ\\]\" '$tmp/allow.txt'"
"$FLYT" compare "$BASE" "$tmp/longer.cfg" -r 2 --no-progress --allow-different-settings --format json -o "$tmp/allow.h5" >"$tmp/allow.json" 2>/dev/null
check "--allow-different-settings: json has each variant's settings" $PY -c "
import json
d = json.load(open('$tmp/allow.json'))
assert d['horizon_days'] == 485 and d['warmup_days'] == 120 and d['start_date'] == '2025-01-01', d
v = d['variants'][0]
assert v['settings_differ'] is True and v['horizon_days'] == 300 and v['warmup_days'] == 0, v
"
if have_h5py; then
  check "--allow-different-settings: each scenario's horizon in the file" $PY -c "
import h5py
f = h5py.File('$tmp/allow.h5', 'r')
a = f['scenarios/1_longer'].attrs
assert a['horizon_days'] == 300 and a['warmup_days'] == 0 and a['seed'] == 20251231, dict(a)
assert f['scenarios/0_trondheim-baseline'].attrs['horizon_days'] == 485
"
fi

# Bad variant: exit 2, its file:line, nothing run or written, old file kept.
printf 'name = "x";\nrun: { horizon_days = 100; replicatons = 3; };\n' >"$tmp/bad.cfg"
"$FLYT" compare "$BASE" "$tmp/bad.cfg" "${SHORT[@]}" -o "$tmp/none.h5" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad variant exits 2" test $? -eq 2
check "bad variant names file:line and key" grep -q "bad.cfg:2: error: run.replicatons: unknown key" "$tmp/bad.err"
check "bad variant writes nothing" test ! -e "$tmp/none.h5"
check "bad variant prints nothing on stdout" test ! -s "$tmp/bad.out"
echo "precious" >"$tmp/keep.h5"
"$FLYT" compare "$BASE" "$tmp/bad.cfg" "${SHORT[@]}" -o "$tmp/keep.h5" >/dev/null 2>&1
check "bad variant leaves the old output untouched" grep -qx precious "$tmp/keep.h5"
"$FLYT" compare "$BASE" "$tmp/beds.cfg" "${SHORT[@]}" --set units.short_term.beds=-1 -o "$tmp/none.h5" >/dev/null 2>"$tmp/set.err"
check "bad --set exits 2" test $? -eq 2
check "bad --set is reported as --set" grep -q "^--set:[0-9]*: error: units.short_term.beds" "$tmp/set.err"
check "the same problem in every scenario is reported once" test "$(grep -c '^--set:' "$tmp/set.err")" -eq 1
"$FLYT" compare "$BASE" "$tmp/nosuch.cfg" "${SHORT[@]}" -o "$tmp/none.h5" >/dev/null 2>&1
check "missing variant file exits 2" test $? -eq 2
check "nothing written for bad input" test ! -e "$tmp/none.h5"

# Failures after loading: exit 1, existing output kept.
"$FLYT" compare "$BASE" "$tmp/beds.cfg" "${SHORT[@]}" -o "$tmp/no/such/dir/x.h5" >/dev/null 2>"$tmp/dir.err"
check "missing output directory exits 1" test $? -eq 1
check "missing output directory is named" grep -q "no/such/dir" "$tmp/dir.err"
# keep.h5 must be a flyt output: anything else is refused (e2e_outputs.sh)
rm -f "$tmp/keep.h5"
"$FLYT" run -r 1 --no-progress -o "$tmp/keep.h5" >/dev/null 2>&1
cp "$tmp/keep.h5" "$tmp/keep.orig"
(ulimit -f 16; exec "$FLYT" compare "$BASE" "$tmp/beds.cfg" "${SHORT[@]}" -o "$tmp/keep.h5" >/dev/null 2>"$tmp/w.err")
check "write failure exits 1" test $? -eq 1
check "write failure keeps the old output" cmp -s "$tmp/keep.h5" "$tmp/keep.orig"
"$FLYT" compare "$BASE" "$tmp/beds.cfg" "${SHORT[@]}" --set run.max_patients=500 -o "$tmp/keep.h5" >/dev/null 2>"$tmp/run.err"
check "runaway exits 1" test $? -eq 1
check "runaway names the cause" grep -q "stopped early" "$tmp/run.err"
check "runaway keeps the old output" cmp -s "$tmp/keep.h5" "$tmp/keep.orig"

# --series as flyt run's: reduced across replications as they finish, the
# same bits for any thread count, and auto reduces above the budget (every
# scenario's series together), so a huge -r does not hold them all.
"$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" -t 1 --series reduced -o "$tmp/cr1.h5" \
  >/dev/null 2>&1
check "compare --series reduced exits 0" test $? -eq 0
"$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" -t 2 --series reduced -o "$tmp/cr2.h5" \
  >/dev/null 2>&1
# (a scenario's attributes threads and wall_seconds differ: not results)
same_series() {
  for s in 0_trondheim-baseline 1_fast-decision; do
    for g in series units/series; do
      h5diff "$1" "$2" "/scenarios/$s/$g" "/scenarios/$s/$g" || return 1
    done
  done
}
check "compare's reduced series are identical for 1 and 2 threads" \
  same_series "$tmp/cr1.h5" "$tmp/cr2.h5"
FLYT_SERIES_BUDGET_MIB=0.01 "$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" -t 2 \
  -o "$tmp/cra.h5" >/dev/null 2>"$tmp/cra.err"
check "compare: auto above the budget reduces, as --series reduced does" \
  same_series "$tmp/cra.h5" "$tmp/cr1.h5"
check "compare: auto above the budget says so once" \
  test "$(grep -c 'compare: note: the daily series are reduced.*--series whole' "$tmp/cra.err")" -eq 1
"$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" -t 2 --series=whole -o "$tmp/cw.h5" \
  >/dev/null 2>"$tmp/cw.err"
check "compare: a small run keeps the series whole, without a note" \
  bash -c "! grep -q note '$tmp/cw.err'"
"$FLYT" compare "$BASE" "$tmp/fast.cfg" "${SHORT[@]}" --series some -o "$tmp/cx.h5" \
  >/dev/null 2>"$tmp/cx.err"
check "compare: a bad --series value exits 2" test $? -eq 2
check "compare: a bad --series value is explained" \
  grep -q "flyt compare: error: --series takes whole, reduced or auto, got 'some'" "$tmp/cx.err"
if have_h5py; then
  check "compare's reduced figures are the whole series' (quantiles exact for counts)" "$PY" -c "
import sys, h5py, numpy as np
w, r = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
def gsl_q(x, p):
    x = np.sort(x)
    i = p * (len(x) - 1)
    lhs = int(i)
    d = i - lhs
    return x[lhs] if lhs == len(x) - 1 else (1 - d) * x[lhs] + d * x[lhs + 1]
for name in w['scenarios']:
    ws, rs = w['scenarios'][name], r['scenarios'][name]
    assert ws['series'].attrs['layout'] == 'whole' and rs['series'].attrs['layout'] == 'reduced'
    assert rs['units/series'].attrs['layout'] == 'reduced'
    for k in ws['series']:
        x, g = ws['series'][k][:], rs['series'][k]
        assert np.allclose(g['mean'][:], x.mean(0), rtol=0, atol=1e-6), (name, k)
        for q, p in [('p05', .05), ('p50', .5), ('p95', .95)]:
            want = [gsl_q(x[:, j], p) for j in range(x.shape[1])]
            assert (g[q][:] == want).all(), (name, k, q)
    rows = rs['units/series/census'].attrs['rows'].split(',')
    x, y = ws['units/series/census'][:], rs['units/series/census'][:]
    assert (y[rows.index('p50')] == np.median(x, axis=0)).all(), name
    assert (y[rows.index('n')] == 4).all(), name
    assert (ws['replications']['ukp_wait_mean'] == rs['replications']['ukp_wait_mean']).all()
assert np.array_equal(w['differences/1_fast-decision/per_replication'][:],
                      r['differences/1_fast-decision/per_replication'][:], equal_nan=True)
" "$tmp/cw.h5" "$tmp/cr1.h5"
fi

echo "e2e_compare: $pass passed, $fail failed"
test "$fail" -eq 0
