#!/usr/bin/env bash
# analysis/report.py on an optimise file (docs/optimise.md, docs/reports.md):
# a tiny grid on the M/M/c validation scenario (4 capacities x a variable the
# model never reads, so configurations tie; the smallest capacity is
# infeasible), made here in well under a second, gets a page whose table of
# every configuration has a row per configuration of /optimise in order (its
# values, objective and constraint means as the file holds them, its
# decision and the reason from /optimise/by and /optimise/constraint), the
# chosen configuration marked (the one /optimise attribute `chosen` names,
# and no other), the configurations not distinguishable from it named, and
# one frontier figure per constraint whose image is a PNG and whose caption
# names its HDF5 paths and the non-dominated configurations. Then it shows
# that the check fails when it should: a page with a configuration's row
# removed, one with the chosen mark on another row, one with a broken
# frontier image, and a page of another optimise file (no configuration
# feasible) are each refused.
# Skips (exit 77) without Debian's python3-h5py/numpy/matplotlib.
# Usage: e2e_report_optimise.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
A="$SRC/analysis"
if ! "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
  echo "skipped: /usr/bin/python3 with h5py, numpy and matplotlib is not installed"
  exit 77
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

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
# Nobody meets this bound: exit 1, the file still written, chosen = -1.
sed 's/max = 0.3; tolerance = 0.1/max = 0.001; tolerance = 0.0005/' "$tmp/opt.opt" >"$tmp/none.opt"
"$FLYT" optimise "$tmp/none.opt" -t 2 --no-progress -o "$tmp/none.h5" >/dev/null 2>&1
check "optimise with no feasible configuration exits 1" test $? -eq 1
check "the files are what the test needs (a pick with a tie and an infeasible one; none)" \
  "$PY" -c "
import h5py, sys
g = h5py.File(sys.argv[1], 'r')['optimise']
d = list(g['decision'].asstr()[:])
assert g.attrs['chosen'] >= 0 and 'not distinguishable' in d and 'infeasible' in d, d
assert h5py.File(sys.argv[2], 'r')['optimise'].attrs['chosen'] == -1
" "$tmp/opt.h5" "$tmp/none.h5"

# check_optimise.py FILE.h5 PAGE.html ANALYSIS_DIR: the page's optimise
# sections against the file; one FAIL line per problem, exit 1.
cat >"$tmp/check_optimise.py" <<'PYEOF'
import base64, html, re, struct, sys, zlib
import h5py
import numpy as np
sys.path.insert(0, sys.argv[3])
import report  # noqa: E402  (its number format)

f = h5py.File(sys.argv[1], "r")
page = open(sys.argv[2], encoding="utf-8").read()
problems = []
g = f["optimise"]
dec = list(g["decision"].asstr()[:])
k = len(dec)
chosen = int(g.attrs["chosen"])
values, obj = g["values"][:], g["objective"][:]
cons = [str(c) for c in g.attrs.get("constraints", [])]
ckpi = g["constraint_kpi"][:] if cons else np.zeros((k, 0, 3))
by, cidx = g["by"][:], g["constraint"][:]


def elements(tag, kind):
    return re.findall(r'<%s data-kind="%s".*?</%s>' % (tag, kind, tag), page, re.S)


def cells(row):
    return [re.sub(r"<br>.*", "", c, flags=re.S) for c in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def png_ok(b64):
    """A real PNG: the signature, an IHDR chunk with a nonzero size and a
    valid CRC, and an IEND chunk."""
    try:
        b = base64.b64decode(b64, validate=True)
    except ValueError:
        return False
    if not b.startswith(b"\x89PNG\r\n\x1a\n") or b[12:16] != b"IHDR" or b"IEND" not in b[-12:]:
        return False
    w, h = struct.unpack(">II", b[16:24])
    crc = struct.unpack(">I", b[29:33])[0]
    return w > 0 and h > 0 and crc == zlib.crc32(b[12:29]) & 0xFFFFFFFF


t = elements("table", "optimise-configurations")
if len(t) != 1:
    problems.append("%d tables of every configuration, want 1" % len(t))
rows = re.findall(r"<tr([^>]*)>(.*?)</tr>", t[0], re.S)[1:] if t else []
if len(rows) != k:
    problems.append("%d rows in the table of every configuration, the file has %d" % (len(rows), k))
marked = []
for i, (attrs, row) in enumerate(rows):
    m = re.search(r'data-config="(\d+)"', attrs)
    no = int(m.group(1)) if m else -1
    if no != i + 1:
        problems.append("row %d is configuration #%d, want #%d" % (i + 1, no, i + 1))
        continue
    c = cells(row)
    want = [report.plain(v) for v in values[i]] + [None, report.num(obj[i, 0])] + \
        [report.num(ckpi[i, l, 0]) for l in range(len(cons))]
    got = c[1:1 + len(want)]
    for j, w in enumerate(want):
        if w is not None and (j >= len(got) or got[j] != w):
            problems.append("#%d: column %d is %s, the file's %s" % (no, j + 2, got[j:j + 1], w))
    if len(c) < 2 or html.unescape(c[-2]) != dec[i]:
        problems.append("#%d: decision %s, the file's %s" % (no, c[-2:-1], dec[i]))
    reason = html.unescape(c[-1]) if c else ""
    if dec[i] in ("eliminated", "not distinguishable") and "#%d" % (by[i] + 1) not in reason:
        problems.append("#%d: reason '%s' does not name #%d" % (no, reason, by[i] + 1))
    if dec[i] in ("infeasible", "undecided"):
        kpi = cons[cidx[i]].split()[0]
        if kpi not in reason:
            problems.append("#%d: reason '%s' does not name %s" % (no, reason, kpi))
    if 'class="chosen"' in attrs or "&#9733;" in c[0]:
        marked.append(no)
want_marked = [chosen + 1] if chosen >= 0 else []
if marked != want_marked:
    problems.append("rows marked chosen: %s, the file's chosen is %s" % (marked, want_marked))
choice = elements("table", "optimise-choice")
if chosen >= 0:
    tied = [i + 1 for i in range(k) if dec[i] == "not distinguishable" and by[i] == chosen]
    m = re.search(r"Chosen: <b>#(\d+)</b>.*?Not distinguishable from it: (.*?)\.</p>", page, re.S)
    if not m or int(m.group(1)) != chosen + 1:
        problems.append("the page does not say the chosen one is #%d" % (chosen + 1))
    elif sorted(int(x) for x in re.findall(r"#(\d+) \(", m.group(2))) != tied:
        problems.append("not distinguishable: the page says %s, the file %s" % (m.group(2), tied))
    if len(choice) != 1 or "Configuration #%d" % (chosen + 1) not in choice[0]:
        problems.append("no table of the chosen configuration #%d" % (chosen + 1))
    elif report.num(obj[chosen, 0]) not in choice[0]:
        problems.append("the chosen configuration's objective %s is not in its table"
                        % report.num(obj[chosen, 0]))
elif "No configuration is feasible" not in page or choice:
    problems.append("the file has no pick, the page does not say so")
figs = elements("figure", "optimise-frontier")
if len(figs) != len(cons):
    problems.append("%d frontier figures, the file has %d constraints" % (len(figs), len(cons)))
for l, fig in enumerate(figs):
    png = re.search(r'src="data:image/png;base64,([^"]+)"', fig)
    cap = re.search(r"<figcaption>(.*?)</figcaption>", fig, re.S)
    fig = cap.group(1) if cap else ""  # the caption (the image's alt text repeats it)
    if not png or not png_ok(png.group(1)):
        problems.append("frontier figure %d: its image is not a PNG" % (l + 1))
    for p in ("/optimise/constraint_kpi[:, %d, 0]" % l, "/optimise/objective[:, 0]",
              "/optimise/bound[%d]" % l, "/optimise/decision"):
        if p not in fig:
            problems.append("frontier figure %d: the caption does not name %s" % (l + 1, p))
    if chosen >= 0 and "chosen</code>), #%d." % (chosen + 1) not in fig:
        problems.append("frontier figure %d: the caption does not name the chosen #%d"
                        % (l + 1, chosen + 1))
    # the non-dominated configurations, computed here: lower objective, and
    # a lower KPI for a max bound (higher for a min)
    up = int(g["upper"][l])
    x, y = ckpi[:, l, 0] * (1 if up else -1), obj[:, 0]
    nd = sorted(i + 1 for i in range(k) if not any(
        x[j] <= x[i] and y[j] <= y[i] and (x[j] < x[i] or y[j] < y[i]) for j in range(k)))
    m = re.search(r"on both axes \([^)]*\): (.*?)\.$", fig, re.S)
    got = sorted(int(v) for v in re.findall(r"#(\d+)", m.group(1))) if m else None
    if got != nd:
        problems.append("frontier figure %d: non-dominated %s, computed from the file %s"
                        % (l + 1, got, nd))
for a, title in (("choice", "The choice"), ("configurations", "Every configuration")):
    if '<a href="#%s">%s</a>' % (a, title) not in page:
        problems.append("the navigation has no link to %s" % title)
for p in problems:
    print("FAIL " + p)
sys.exit(1 if problems else 0)
PYEOF

for k in opt none; do
  "$PY" "$A/report.py" "$tmp/$k.h5" -o "$tmp/$k.html" >/dev/null
  check "report.py writes the $k page" test -s "$tmp/$k.html"
  check "the $k page: every configuration, the choice, the frontier" \
    "$PY" "$tmp/check_optimise.py" "$tmp/$k.h5" "$tmp/$k.html" "$A"
done
check "the page's title is the scenario's" grep -q "<h1>mmc-rho070: the cheapest configuration</h1>" \
  "$tmp/opt.html"
check "the page shows the spec's text" grep -q "Spec file as given" "$tmp/opt.html"

# The check must fail when it should.
"$PY" - "$tmp/opt.html" "$tmp" <<'PYEOF'
import re, sys
page, d = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
row = re.search(r'<tr data-config="5">.*?</tr>\n?', page, re.S)
open(d + "/bad-row.html", "w").write(page[:row.start()] + page[row.end():])
moved = page.replace('<tr data-config="3" class="chosen">', '<tr data-config="3">')
moved = moved.replace('<tr data-config="5">', '<tr data-config="5" class="chosen">')
open(d + "/bad-mark.html", "w").write(moved)
png = re.search(r'(<figure data-kind="optimise-frontier".*?base64,)([^"]+)', page, re.S)
broken = png.group(2)[:40] + "AAAA" * 20
open(d + "/bad-png.html", "w").write(page[:png.start(2)] + broken + page[png.end(2):])
PYEOF
check "the chosen row of the good page is #3 (what the broken pages assume)" \
  grep -q '<tr data-config="3" class="chosen">' "$tmp/opt.html"
for b in bad-row bad-mark bad-png; do
  "$PY" "$tmp/check_optimise.py" "$tmp/opt.h5" "$tmp/$b.html" "$A" >"$tmp/$b.out" 2>&1
  check "a page with $b is refused" test $? -eq 1
done
check "the missing row is named" grep -q "rows in the table of every configuration" "$tmp/bad-row.out"
check "the moved mark is named" grep -q "rows marked chosen: \[3, 5\]\|rows marked chosen: \[5\]" \
  "$tmp/bad-mark.out"
check "the broken image is named" grep -q "its image is not a PNG" "$tmp/bad-png.out"
"$PY" "$tmp/check_optimise.py" "$tmp/opt.h5" "$tmp/none.html" "$A" >"$tmp/swap.out" 2>&1
check "the other file's page held against this file is refused" test $? -eq 1

echo "e2e_report_optimise: $pass passed, $fail failed"
test "$fail" -eq 0
