#!/usr/bin/env bash
# Daily series reduced across replications (flyt run --series): the same
# bits for 1, 2 and 3 threads, the whole series' mean/sd/min/max and
# quantiles (exact for whole-number series), chosen by
# auto above the memory budget, read by the analysis scripts; and a run
# whose replications all stop says so once, not once per replication.
# Usage: e2e_series.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

SHORT=(--set run.horizon_days=80 --set run.warmup_days=10 -r 24 --no-progress)

"$FLYT" run "${SHORT[@]}" -t 1 --series reduced -o "$tmp/r1.h5" >/dev/null 2>&1
check "--series reduced exits 0" test $? -eq 0
"$FLYT" run "${SHORT[@]}" -t 3 --series reduced -o "$tmp/r3.h5" >/dev/null 2>&1
check "reduced series are identical for 1 and 3 threads" h5diff "$tmp/r1.h5" "$tmp/r3.h5" /series
check "reduced unit series are identical for 1 and 3 threads" \
  h5diff "$tmp/r1.h5" "$tmp/r3.h5" /units/series
"$FLYT" run "${SHORT[@]}" -t 2 -o "$tmp/auto.h5" >/dev/null 2>"$tmp/auto.err"
"$FLYT" run "${SHORT[@]}" -t 2 --series=whole -o "$tmp/w.h5" >/dev/null 2>&1
check "--series=whole exits 0" test $? -eq 0
check "a small run keeps the series whole by default, without a note" \
  bash -c "h5diff '$tmp/auto.h5' '$tmp/w.h5' /series && ! grep -q note '$tmp/auto.err'"

if "$PY" -c "import h5py, numpy" 2>/dev/null; then
  check "reduced figures are the whole series' mean, sd, min, max, n and quantiles" "$PY" -c "
import h5py, numpy as np, sys
w, r = h5py.File(sys.argv[1]), h5py.File(sys.argv[2])
assert w['series'].attrs['layout'] == 'whole' and r['series'].attrs['layout'] == 'reduced'
for k in w['series']:
    x, g = w['series'][k][:], r['series'][k]
    assert x.shape == (24, 70), x.shape
    assert np.allclose(g['mean'][:], x.mean(0), rtol=0, atol=1e-6), k
    assert np.allclose(g['sd'][:], x.std(0, ddof=1), rtol=1e-9, atol=1e-6), k
    assert (g['min'][:] == x.min(0)).all() and (g['max'][:] == x.max(0)).all(), k
    assert (g['n'][:] == 24).all(), k
    assert g.attrs['units'] and g['mean'].attrs['description']
# Quantiles as gsl_stats_quantile_from_sorted_data defines them, term for
# term (numpy's linear rounds differently in the last bit): exact for the
# whole-number series, within a bin ((max - min) / 2047) for the others.
def gsl_q(x, p):
    x = np.sort(x[np.isfinite(x)])
    i = p * (len(x) - 1)
    lhs = int(i)
    d = i - lhs
    return x[lhs] if lhs == len(x) - 1 else (1 - d) * x[lhs] + d * x[lhs + 1]
Q = [('p05', .05), ('p25', .25), ('p50', .5), ('p75', .75), ('p95', .95)]
for k in w['series']:
    x, g = w['series'][k][:], r['series'][k]
    for name, p in Q:
        want = np.array([gsl_q(x[:, j], p) for j in range(x.shape[1])])
        assert (g[name][:] == want).all(), (k, name)
rows = r['units/series/census'].attrs['rows'].split(',')
assert rows[:5] == ['mean', 'sd', 'min', 'max', 'n'] and rows[5:] == [q for q, _ in Q], rows
exact = 0
for k in w['units/series']:
    x, y = w['units/series'][k][:], r['units/series'][k][:]
    for u in range(x.shape[1]):
        for name, p in Q:
            got = y[rows.index(name), u]
            for j in range(x.shape[2]):
                col = x[:, u, j]
                if not np.isfinite(col).any():
                    assert np.isnan(got[j]), (k, u, name)
                    continue
                want = gsl_q(col, p)
                if (col == np.floor(col)).all() and np.ptp(col) < 4096:
                    assert got[j] == want, (k, u, name, j, got[j], want)
                    exact += 1
                else:
                    assert abs(got[j] - want) <= np.ptp(col) / 2047, (k, u, name, j)
assert exact > 0
# The KPIs do not depend on the series layout.
assert (w['replications']['ukp_wait_mean'] == r['replications']['ukp_wait_mean']).all()
" "$tmp/w.h5" "$tmp/r1.h5"
fi

# flyt export takes a reduced file's stored mean: the whole file's mean.
"$FLYT" export "$tmp/r1.h5" --format csv -o "$tmp/xr" >/dev/null 2>&1
check "export reads a reduced file" test -s "$tmp/xr-series.csv"
"$FLYT" export "$tmp/w.h5" --format csv -o "$tmp/xw" >/dev/null 2>&1
check "a reduced file exports the whole file's daily means" \
  "$PY" -c "
import csv, sys
a, b = (list(csv.reader(open(p))) for p in sys.argv[1:])
assert a[0] == b[0] and len(a) == len(b) > 2
for x, y in zip(a[1:], b[1:]):
    assert x[:3] == y[:3] and all(abs(float(u) - float(v)) < 1e-6 for u, v in zip(x[3:], y[3:]))
" "$tmp/xr-series.csv" "$tmp/xw-series.csv"

# auto above the budget: reduced, with one note naming --series whole.
FLYT_SERIES_BUDGET_MIB=0.1 "$FLYT" run "${SHORT[@]}" -t 2 -o "$tmp/big.h5" >/dev/null \
  2>"$tmp/big.err"
check "auto above the budget exits 0" test $? -eq 0
check "auto above the budget reduces, as --series reduced does" \
  h5diff "$tmp/big.h5" "$tmp/r1.h5" /series
check "reduced unit series are identical for 1 and 2 threads" \
  h5diff "$tmp/big.h5" "$tmp/r1.h5" /units/series
check "auto above the budget says so once" \
  test "$(grep -c 'note: the daily series are reduced.*--series whole' "$tmp/big.err")" -eq 1

"$FLYT" run "${SHORT[@]}" --series medium -o "$tmp/x.h5" >/dev/null 2>"$tmp/bad.err"
check "a bad --series value exits 2" test $? -eq 2
check "a bad --series value is explained" grep -q "takes whole, reduced or auto" "$tmp/bad.err"
check "a bad --series value writes nothing" test ! -e "$tmp/x.h5"

if "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
  check "occupancy_fan.py draws a reduced file" \
    "$PY" "$SRC/analysis/occupancy_fan.py" "$tmp/r1.h5" -o "$tmp/fan.png"
  check "report.py reads a reduced file" "$PY" "$SRC/analysis/report.py" "$tmp/r1.h5" \
    -o "$tmp/report.html"
fi

# Every replication stops (the runaway guard): one line per kind of stop,
# counting the rest, instead of one line per replication.
"$FLYT" run --set run.max_patients=50 -r 40 -t 2 --no-progress -o "$tmp/stop.h5" \
  >/dev/null 2>"$tmp/stop.err"
check "stopped replications exit 1" test $? -eq 1
check "stopped replications are reported in one line" \
  test "$(grep -c 'stopped early' "$tmp/stop.err")" -eq 1
check "the line counts the others" grep -q "and 39 more replications stopped the same way" \
  "$tmp/stop.err"

# The same for the tasks of a sweep (its base named by an absolute path).
SRC_ABS=$(cd "$SRC" && pwd)
sed "s#\"run.warmup_days=30\" \]#\"run.warmup_days=30\", \"run.max_patients=50\" ]#; s#\"../../trondheim-2025.cfg\"#\"$SRC_ABS/scenarios/trondheim-2025.cfg\"#" \
  "$SRC/scenarios/sweeps/test/grid.cfg" >"$tmp/stop-grid.cfg"
"$FLYT" sweep "$tmp/stop-grid.cfg" -t 2 --no-slurm --no-progress -o "$tmp/stop-grid.h5" \
  >/dev/null 2>"$tmp/sweep-stop.err"
check "stopped sweep tasks exit 1" test $? -eq 1
check "stopped sweep tasks are reported in one line" \
  test "$(grep -c 'stopped early' "$tmp/sweep-stop.err")" -eq 1
check "the sweep line counts the others" grep -q "and 17 more tasks stopped the same way" \
  "$tmp/sweep-stop.err"

echo "e2e_series: $pass passed, $fail failed"
test "$fail" -eq 0
