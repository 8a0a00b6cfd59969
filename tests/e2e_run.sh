#!/usr/bin/env bash
# End to end, as a planner and a reviewer would use flyt: run the default
# scenario, read the HDF5 with h5py and h5dump, check determinism across
# thread counts, and check that bad input gets exit 2 and writes nothing.
# Usage: e2e_run.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

check "help exits 0" "$FLYT" --help
check "version exits 0" "$FLYT" --version
check "run --help exits 0" "$FLYT" run --help
"$FLYT" nosuchcommand 2>/dev/null; check "unknown command exits 2" test $? -eq 2
"$FLYT" run --bogus 2>/dev/null; check "unknown option exits 2" test $? -eq 2

# The default scenario, short: 4 replications.
"$FLYT" run -r 4 --threads 2 --no-progress -o "$tmp/a.h5" >"$tmp/a.txt" 2>"$tmp/a.err"
check "default run exits 0" test $? -eq 0
check "table names the key figures" grep -q "ukp_wait_mean .*days" "$tmp/a.txt"
check "table shows confidence intervals" grep -q "95% CI" "$tmp/a.txt"
check "output file exists" test -s "$tmp/a.h5"
check "no partial file left" no_partial "$tmp/a.h5"
check "h5dump reads the header" bash -c "h5dump -H '$tmp/a.h5' >/dev/null"
check "h5dump reads the replications table" bash -c "h5dump -d /replications '$tmp/a.h5' | grep -q 'DATASPACE  SIMPLE { ( 4 ) / ( 4 ) }'"
check "... whose rows name the KPIs" bash -c "h5dump -H -d /replications '$tmp/a.h5' | grep -q 'H5T_IEEE_F64LE \"ukp_wait_mean\"'"

cat >"$tmp/read.py" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "flyt", f.attrs["format"]
assert int(f.attrs["format_version"]) >= 1
assert "trondheim" in f.attrs["scenario_text"]
assert int(f.attrs["seed"]) == 20251231
assert int(f.attrs["replications"]) == 4
r = f["replications"]  # a table: a row per replication, a field per KPI
w = r["ukp_wait_mean"]
assert w.shape == (4,) and np.all(np.isfinite(w)) and np.all(w > 0), w
fields = list(r.dtype.names)
assert fields[:5] == ["replication", "status", "status_detail", "model_events", "engine_events"]
assert r.attrs["units"][fields.index("ukp_wait_mean")] == "days"
s = f["series/hospital_treatment"]
assert s.shape[0] == 4 and s.shape[1] == 365, s.shape
assert np.all(s[:] >= 0) and np.all(s[:] == np.floor(s[:]))
# a unit's census (beds 125): [replication x unit x day]
st = list(f["units/ids"].asstr()[:]).index("short_term")
u = f["units/series/census"][:, st, :]
assert u.shape == s.shape and np.all(u >= 0) and np.all(u <= 125) and u.max() > 0
kpis = list(f["summary/kpi"].asstr()[:])
i = kpis.index("ukp_wait_mean")
assert abs(f["summary/mean"][i] - w.mean()) < 1e-9 * max(1, abs(w.mean()))
assert fields[5:] == kpis, fields  # every KPI, in the summary's order
assert len(r.attrs["units"]) == len(fields) == len(r.attrs["description"])
# conservation, replication by replication
assert np.array_equal(r["patients_initial"][:] + r["patients_in"][:],
                      r["patients_out"][:] + r["patients_at_end"][:])
print("h5py ok")
PYEOF
check "h5py reads datasets, attributes and series" $PY "$tmp/read.py" "$tmp/a.h5"

check "analysis/summary.py reads the output" bash -c "$PY '$SRC/analysis/summary.py' '$tmp/a.h5' | grep -q '^ukp_wait_mean'"
echo "not hdf5" >"$tmp/not.h5"
$PY "$SRC/analysis/summary.py" "$tmp/not.h5" >/dev/null 2>&1
check "analysis/summary.py refuses a file that is not flyt output" test $? -ne 0

"$FLYT" run -r 3 --format json --no-progress -o "$tmp/j.h5" >"$tmp/j.json" 2>/dev/null
check "json output parses" $PY -c "import json,sys; d=json.load(open('$tmp/j.json')); assert d['kpis']['ukp_wait_mean']['n']==3"

# Determinism: the same scenario and seed give identical datasets whatever
# the thread count.
"$FLYT" run -r 5 --threads 1 --no-progress -o "$tmp/t1.h5" >/dev/null 2>&1
"$FLYT" run -r 5 --threads 3 --no-progress -o "$tmp/t3.h5" >/dev/null 2>&1
for g in /replications /summary /series; do
  check "threads 1 vs 3: $g identical" h5diff "$tmp/t1.h5" "$tmp/t3.h5" $g $g
done
"$FLYT" run -r 5 --seed 7 --no-progress -o "$tmp/s7.h5" >/dev/null 2>&1
h5diff -q "$tmp/t1.h5" "$tmp/s7.h5" /replications /replications >/dev/null 2>&1
check "another seed gives other results" test $? -ne 0

# Bad input: exit 2, file:line message, and nothing written or touched.
printf 'name = "x";\nrun: { horizon_days = 100; replicatons = 3; };\n' >"$tmp/bad.cfg"
echo "precious" >"$tmp/keep.h5"
"$FLYT" run "$tmp/bad.cfg" -o "$tmp/keep.h5" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad scenario exits 2" test $? -eq 2
check "bad scenario names file:line and key" grep -q "bad.cfg:2: error: run.replicatons: unknown key" "$tmp/bad.err"
check "bad scenario leaves the old output untouched" grep -qx precious "$tmp/keep.h5"
check "bad scenario prints nothing on stdout" test ! -s "$tmp/bad.out"
"$FLYT" run --set units.short_term.capacity=-1 -o "$tmp/none.h5" 2>"$tmp/set.err" >/dev/null
check "bad --set exits 2" test $? -eq 2
check "bad --set is reported as --set:1" grep -q "^--set:1: error: units.short_term.capacity" "$tmp/set.err"
check "bad --set writes nothing" test ! -e "$tmp/none.h5"
"$FLYT" validate "$SRC/scenarios/trondheim-baseline.cfg" >/dev/null
check "validate accepts the baseline file" test $? -eq 0
"$FLYT" validate "$tmp/bad.cfg" >/dev/null 2>&1
check "validate rejects a bad file with exit 2" test $? -eq 2

"$FLYT" run -r 1 --no-progress -o "$tmp/no/such/dir/x.h5" >/dev/null 2>"$tmp/dir.err"
check "missing output directory exits 1 before running" test $? -eq 1
check "missing output directory is named" grep -q "no/such/dir" "$tmp/dir.err"

# A runaway model stops with exit 1 and presents no result.
"$FLYT" run -r 1 --set run.max_patients=500 --no-progress -o "$tmp/run.h5" >/dev/null 2>"$tmp/run.err"
check "runaway run exits 1" test $? -eq 1
check "runaway names the cause" grep -q "stopped early" "$tmp/run.err"
check "runaway writes no output" test ! -e "$tmp/run.h5"

# The embedded default and the file in scenarios/ are the same scenario.
"$FLYT" run "$SRC/scenarios/trondheim-baseline.cfg" -r 2 --no-progress -o "$tmp/f.h5" >/dev/null 2>&1
"$FLYT" run -r 2 --no-progress -o "$tmp/e.h5" >/dev/null 2>&1
check "embedded default equals scenarios/trondheim-baseline.cfg" h5diff "$tmp/f.h5" "$tmp/e.h5" /replications /replications

echo "e2e_run: $pass passed, $fail failed"
test "$fail" -eq 0
