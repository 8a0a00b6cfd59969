#!/usr/bin/env bash
# The reviewers' scripts in analysis/ on small files made here: each draws a
# non-empty PNG (run, compare, a real sweep and a synthetic sweep file),
# report.py writes one self-contained page for every kind, and a real
# browser (headless chromium) renders it: the screenshot is not blank and
# every <img> is a data: URI that decodes as PNG.
# Usage: e2e_analysis.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
A="$SRC/analysis"
if ! "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
  echo "SKIP e2e_analysis: /usr/bin/python3 with h5py, numpy and matplotlib is not installed"
  exit 0
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
is_png() { test -s "$1" && test "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a; }

CO="$SRC/scenarios/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=200 --set run.warmup_days=30 -r 3 --no-progress)
"$FLYT" run "$CO" "${SHORT[@]}" --patients -o "$tmp/run.h5" >/dev/null 2>&1
check "run exits 0" test $? -eq 0
"$FLYT" compare "$SRC/scenarios/trondheim-2025.cfg" "$CO" "${SHORT[@]}" -o "$tmp/cmp.h5" >/dev/null 2>&1
check "compare exits 0" test $? -eq 0
"$FLYT" sweep "$SRC/scenarios/sweeps/test/grid.cfg" --no-progress -o "$tmp/sweep.h5" >/dev/null 2>&1 ||
  echo "note: flyt sweep failed; the synthetic sweep file still tests the plot"

# A sweep file as sim/output/h5/h5_sweep.c lays it out, made by hand: one
# parameter on its own and two on a grid.
"$PY" - "$tmp/synthetic.h5" <<'PYEOF'
import sys, h5py, numpy as np
s = h5py.string_dtype()
with h5py.File(sys.argv[1], "w") as f:
    f.attrs.update(format="flyt", format_version=1, kind="sweep", sweep_name="synthetic",
                   replications=5, seed=1)
    beds = np.repeat([100.0, 120.0, 140.0], 2)
    delay = np.tile([1.0, 2.0], 3)
    f["parameters/key"] = np.array(["units.short_term.beds", "decision.delay_days.mean"], dtype=s)
    f["points/point"] = np.arange(6)
    f["points/units.short_term.beds"] = beds
    f["points/decision.delay_days.mean"] = delay
    f["points/set"] = np.array(["beds=%g delay=%g" % p for p in zip(beds, delay)], dtype=s)
    f["summary/kpi"] = np.array(["ukp_wait_mean", "st_los_mean"], dtype=s)
    f["summary/units"] = np.array(["days", "days"], dtype=s)
    m = np.stack([3.0 - beds / 100 + delay, 14 + 0 * beds], axis=1)
    f["summary/mean"], f["summary/sd"] = m, 0.1 + 0 * m
    f["summary/ci95_low"], f["summary/ci95_high"] = m - 0.2, m + 0.2
    f["summary/n"] = 5 + 0 * m
PYEOF

for s in occupancy_fan ukp_waits compare_forest sweep_plot report reaggregate; do
  check "$s.py --help exits 0" bash -c "'$PY' '$A/$s.py' --help >/dev/null"
done
"$PY" "$A/occupancy_fan.py" "$tmp/run.h5" -o "$tmp/occ.png" >/dev/null
check "occupancy fan chart of a run" is_png "$tmp/occ.png"
"$PY" "$A/occupancy_fan.py" "$tmp/cmp.h5" -o "$tmp/occ-cmp.png" >/dev/null
check "occupancy fan chart of a compare file" is_png "$tmp/occ-cmp.png"
"$PY" "$A/ukp_waits.py" "$tmp/run.h5" -o "$tmp/ukp.png" >/dev/null
check "UKP waiting-days plot from --patients" is_png "$tmp/ukp.png"
"$PY" "$A/ukp_waits.py" "$tmp/cmp.h5" -o "$tmp/none.png" >/dev/null 2>&1
check "UKP plot without a patient log exits 2" test $? -eq 2
"$PY" "$A/compare_forest.py" "$tmp/cmp.h5" -o "$tmp/forest.png" >/dev/null
check "forest plot of a compare file" is_png "$tmp/forest.png"
"$PY" "$A/sweep_plot.py" "$tmp/synthetic.h5" --x units.short_term.beds -o "$tmp/heat.png" >/dev/null
check "sweep heat map (synthetic file)" is_png "$tmp/heat.png"
"$PY" "$A/sweep_plot.py" "$tmp/synthetic.h5" --kpi st_los_mean --x decision.delay_days.mean \
  --y units.short_term.beds -o "$tmp/heat2.png" >/dev/null
check "sweep heat map, other KPI and axes" is_png "$tmp/heat2.png"
if [ -s "$tmp/sweep.h5" ]; then
  "$PY" "$A/sweep_plot.py" "$tmp/sweep.h5" -o "$tmp/sweep.png" >/dev/null
  check "sweep plot of a real sweep file" is_png "$tmp/sweep.png"
fi
echo not-hdf5 >"$tmp/bogus.h5"
"$PY" "$A/report.py" "$tmp/bogus.h5" -o "$tmp/bogus.html" >/dev/null 2>&1
check "report.py refuses a file that is not flyt output (exit 2)" test $? -eq 2

for k in run cmp synthetic sweep; do
  [ -s "$tmp/$k.h5" ] || continue
  "$PY" "$A/report.py" "$tmp/$k.h5" -o "$tmp/$k.html" >/dev/null
  check "report.html of the $k file" test -s "$tmp/$k.html"
done

# Every <img> is a data: URI holding a PNG, and there are as many as the
# file has plots (run: occupancy and UKP; compare: occupancy and forest).
cat >"$tmp/imgs.py" <<'PYEOF'
import base64, re, sys
page = open(sys.argv[1], encoding="utf-8").read()
tags = re.findall(r"<img\b[^>]*>", page)
assert len(tags) >= int(sys.argv[2]), (len(tags), sys.argv[2])
for t in tags:
    m = re.search(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', t)
    assert m, "img without a PNG data URI: " + t[:80]
    assert base64.b64decode(m.group(1)).startswith(b"\x89PNG\r\n\x1a\n"), "not PNG"
assert "http://" not in page and "https://" not in page, "the page loads something"
PYEOF
check "run page: images are embedded PNGs" "$PY" "$tmp/imgs.py" "$tmp/run.html" 2
check "compare page: images are embedded PNGs" "$PY" "$tmp/imgs.py" "$tmp/cmp.html" 2
check "sweep page: images are embedded PNGs" "$PY" "$tmp/imgs.py" "$tmp/synthetic.html" 1

CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "SKIP browser check: chromium is not installed"
else
  timeout 120 "$CHROME" --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --user-data-dir="$tmp/chrome" --window-size=1280,2000 \
    --screenshot="$tmp/shot.png" "file://$tmp/run.html" >/dev/null 2>&1
  check "chromium renders report.html" is_png "$tmp/shot.png"
  check "the rendered page is not blank (plots drawn)" "$PY" -c "
import sys, matplotlib.image as mpimg, numpy as np
a = mpimg.imread(sys.argv[1])[..., :3]
dark = (a.sum(axis=2) < 2.7).mean()
colour = (a.max(axis=2) - a.min(axis=2) > 0.2).mean()
print('  non-white share %.3f, coloured share %.3f' % (dark, colour))
assert dark > 0.05 and colour > 0.005
" "$tmp/shot.png"
fi

echo "e2e_analysis: $pass passed, $fail failed"
test "$fail" -eq 0
