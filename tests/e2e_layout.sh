#!/usr/bin/env bash
# docs/hdf5-layout.md and the files agree: a run file and a compare file
# (with coordinator roles), sweep files (complete, with --series and string
# values, a shard), a forecast file and optimise files (with and without
# constraints) are checked by tests/check_layout.py
# in both directions, and h5dump reads every dataset; the scenario's SHA-256
# in the file is sha256sum's.
# Usage: e2e_layout.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_layout: /usr/bin/python3 with h5py and numpy is not installed"
  exit 0
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

DOC="$SRC/docs/hdf5-layout.md"
CO="$SRC/scenarios/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=200 --set run.warmup_days=30 -r 2 --no-progress)

"$FLYT" run "$CO" "${SHORT[@]}" -o "$tmp/run.h5" >/dev/null 2>&1
check "run with roles exits 0" test $? -eq 0
check "run file matches the layout document" "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/run.h5" run
check "h5dump reads the whole run file" bash -c "h5dump '$tmp/run.h5' >/dev/null"
"$FLYT" run "$CO" "${SHORT[@]}" --series reduced -o "$tmp/run-reduced.h5" >/dev/null 2>&1
check "run --series reduced exits 0" test $? -eq 0
check "run file with reduced series matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/run-reduced.h5" run
want=$(sha256sum "$CO" | cut -d' ' -f1)
got=$("$PY" -c "import h5py,sys; print(h5py.File(sys.argv[1]).attrs['scenario_sha256'])" \
  "$tmp/run.h5" 2>/dev/null)
check "scenario_sha256 is the file's SHA-256" test "$want" = "$got"
check "root attributes name the libraries" "$PY" -c "
import h5py, sys
a = h5py.File(sys.argv[1]).attrs
assert a['kind'] == 'run' and a['libconfig_version'].startswith('1.')
assert a['hdf5_version'] and a['gsl_version'] and a['created_utc'].endswith('Z')
assert '--set run.horizon_days=200' in a['command_line']
" "$tmp/run.h5"

# Base and a variant both with the role (so /differences/*/roles is filled),
# and a third without roles.
"$FLYT" compare "$CO" "$CO" "$SRC/scenarios/trondheim-2025.cfg" "${SHORT[@]}" \
  -o "$tmp/cmp.h5" >/dev/null 2>&1
check "compare exits 0" test $? -eq 0
check "compare file matches the layout document" "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/cmp.h5" compare
check "h5dump reads the whole compare file" bash -c "h5dump '$tmp/cmp.h5' >/dev/null"
"$FLYT" compare "$CO" "$CO" "$SRC/scenarios/trondheim-2025.cfg" "${SHORT[@]}" --series reduced \
  -o "$tmp/cmp-reduced.h5" >/dev/null 2>&1
check "compare --series reduced exits 0" test $? -eq 0
check "compare file with reduced series matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/cmp-reduced.h5" compare

# A region: /municipalities in a run file, /differences/*/municipalities in
# a compare file.
RG="$tmp/region.cfg"
cat >"$RG" <<'EOF'
name = "layout-region";
run: { horizon_days = 200.0; warmup_days = 30.0; replications = 2; };
population: { cfs_mix = [0.1, 0.1, 0.1, 0.1, 0.2, 0.2, 0.1, 0.05, 0.05]; };
hospital: { los_days = { dist = "exponential"; mean = 5.0; }; ukp_probability = 0.4; };
decision: { delay_days = 1.0; destination = { home = 0.5; short_term = 0.5; }; };
shared_units = (
  { id = "site_a"; kind = "unlimited"; hospital = true; },
  { id = "site_b"; kind = "unlimited"; hospital = true; }
);
municipalities = (
  { id = "east"; population = { admissions_per_day = 3.0; };
    hospital_sites = { site_a = 0.7; site_b = 0.3; };
    units = ( { id = "short_term"; kind = "beds"; capacity = 8;
      los_days = { dist = "exponential"; mean = 6.0; }; outcome = "home"; } );
    coordinators = ( { name = "coordinator"; headcount = 1; cases = "ukp"; work_hours = 1.0;
      effects = { decision_delay_days = 0.5; }; } ); },
  { id = "west"; population = { admissions_per_day = 1.0; };
    hospital_sites = { site_b = 1.0; };
    units = ( { id = "short_term"; kind = "beds"; capacity = 3;
      los_days = { dist = "exponential"; mean = 6.0; }; outcome = "home"; } ); }
);
EOF
"$FLYT" run "$RG" --no-progress -o "$tmp/region.h5" >/dev/null 2>&1
check "region run exits 0" test $? -eq 0
check "region run file matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/region.h5" run
"$FLYT" compare "$RG" "$RG" --no-progress -o "$tmp/region-cmp.h5" >/dev/null 2>&1
check "region compare exits 0" test $? -eq 0
check "region compare file matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/region-cmp.h5" compare

# Sweeps: a complete grid; a list with a string parameter and --series; a
# shard of a Latin hypercube (no /summary). Each takes well under a second.
SW="$SRC/scenarios/sweeps/test"
"$FLYT" sweep "$SW/grid.cfg" -t 2 --no-slurm --no-progress -o "$tmp/sweep.h5" >/dev/null 2>&1
check "sweep exits 0" test $? -eq 0
check "sweep file matches the layout document" "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/sweep.h5" sweep
check "h5dump reads the whole sweep file" bash -c "h5dump '$tmp/sweep.h5' >/dev/null"
"$FLYT" sweep "$SW/list.cfg" --series -t 2 --no-slurm --no-progress -o "$tmp/sweep-series.h5" \
  >/dev/null 2>&1
check "sweep --series exits 0" test $? -eq 0
check "sweep file with series and strings matches the document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/sweep-series.h5" sweep
"$FLYT" sweep "$SW/lhs.cfg" --shard 1/3 -t 2 --no-slurm --no-progress -o "$tmp/shard.h5" \
  >/dev/null 2>&1
check "sweep --shard exits 0" test $? -eq 0
check "shard file matches the layout document" "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/shard.h5" sweep
check "the shard file is a sweep-shard" "$PY" -c "
import h5py, sys
a = h5py.File(sys.argv[1]).attrs
assert a['kind'] == b'sweep-shard' and a['shard_index'] == 1 and a['shard_count'] == 3
" "$tmp/shard.h5"

# A forecast from the example census: a few replications of a few days.
"$FLYT" forecast --census "$SRC/scenarios/census-example.csv" --days 8 -r 4 -t 2 --no-progress \
  -o "$tmp/forecast.h5" >/dev/null 2>&1
check "forecast exits 0" test $? -eq 0
check "forecast file matches the layout document" "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/forecast.h5" forecast
check "h5dump reads the whole forecast file" bash -c "h5dump '$tmp/forecast.h5' >/dev/null"

# Optimise: a tiny grid on the M/M/c validation scenario (4 capacities x a
# variable the model never reads, so two configurations tie; the smallest
# capacity is infeasible), and the same grid without constraints. Each takes
# well under a second.
cat >"$tmp/opt.opt" <<EOT
scenario = "$SRC/scenarios/validation/mmc-rho070.cfg";
set = [ "run.horizon_days=600.0", "run.warmup_days=50.0",
        "cost.units.short_term.place_year_nok=1000.0", "cost.units.short_term.bed_day_nok=10.0" ];
replications = 5;
max_replications = 40;
seed = 5;
variables = ( { key = "units.short_term.capacity"; min = 8; max = 11; },
  { key = "cost.units.short_term.overflow_bed_day_nok"; min = 0; max = 1; } );
objective_indifference = 200.0;
constraints = ( { kpi = "ukp_wait_mean"; max = 0.3; tolerance = 0.1; } );
EOT
"$FLYT" optimise "$tmp/opt.opt" -t 2 --no-progress -o "$tmp/opt.h5" >/dev/null 2>&1
check "optimise exits 0" test $? -eq 0
check "optimise file matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/opt.h5" optimise
check "h5dump reads the whole optimise file" bash -c "h5dump '$tmp/opt.h5' >/dev/null"
grep -v '^constraints' "$tmp/opt.opt" >"$tmp/opt-free.opt"
"$FLYT" optimise "$tmp/opt-free.opt" -t 2 --no-progress -o "$tmp/opt-free.h5" >/dev/null 2>&1
check "optimise without constraints exits 0" test $? -eq 0
check "optimise file without constraints matches the layout document" \
  "$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/opt-free.h5" optimise
check "the file without constraints has no [constraint] dataset" "$PY" -c "
import h5py, sys
g = h5py.File(sys.argv[1])['optimise']
assert not any(k in g for k in ('bound', 'tolerance', 'upper', 'constraint_kpi'))
assert 'constraints' not in g.attrs
" "$tmp/opt-free.h5"
# ... and the checker catches a missing /optimise dataset, an undocumented
# /optimise attribute and an optimise file checked as a run file.
cp "$tmp/opt.h5" "$tmp/opt-bad.h5"
"$PY" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    del f['optimise/by']
    f['optimise'].attrs['stray'] = 1
" "$tmp/opt-bad.h5"
"$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/opt-bad.h5" optimise >"$tmp/opt-bad.txt" 2>&1
check "checker refuses the damaged optimise file" test $? -eq 1
check "checker catches a missing /optimise dataset" \
  grep -q "^layout: /optimise/by: in the document, not in the file" "$tmp/opt-bad.txt"
check "checker catches an undocumented /optimise attribute" \
  grep -q "^layout: /optimise attribute stray: in the file, not in the document" "$tmp/opt-bad.txt"
"$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/opt.h5" run >"$tmp/opt-run.txt" 2>&1
check "checker refuses an optimise file checked as a run file" \
  grep -q "root attribute kind is optimise, checked as run" "$tmp/opt-run.txt"

# The checker itself: an undocumented dataset is caught.
cp "$tmp/run.h5" "$tmp/extra.h5"
"$PY" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    f['summary/stray'] = [1.0]
" "$tmp/extra.h5"
"$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/extra.h5" run >"$tmp/extra.txt" 2>&1
check "checker catches an undocumented dataset" grep -q "summary/stray.*not in the document" "$tmp/extra.txt"

# ... and so is a documented one that is missing, and an undocumented
# root attribute of a sweep file.
cp "$tmp/forecast.h5" "$tmp/short.h5"
"$PY" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    del f['forecast/units/home_care/p_full']
" "$tmp/short.h5"
"$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/short.h5" forecast >"$tmp/short.txt" 2>&1
check "checker catches a documented dataset that is missing" \
  grep -q "/forecast/units/home_care/p_full (of /forecast/units/<unit>/p_full): in the document, not in the file" "$tmp/short.txt"
cp "$tmp/sweep.h5" "$tmp/attr.h5"
"$PY" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'a') as f:
    f.attrs['stray'] = 1
" "$tmp/attr.h5"
"$PY" "$SRC/tests/check_layout.py" "$DOC" "$tmp/attr.h5" sweep >"$tmp/attr.txt" 2>&1
check "checker catches an undocumented root attribute" \
  grep -q "root attribute stray: in the file, not in the document" "$tmp/attr.txt"

echo "e2e_layout: $pass passed, $fail failed"
test "$fail" -eq 0
