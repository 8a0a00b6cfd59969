#!/usr/bin/env bash
# analysis/report.py on a region run file (docs/region.md, docs/reports.md):
# a three-municipality region with two hospital sites, made here (short
# horizon, 3 replications), gets the per-municipality table (a row per
# municipality id in the file's order and a region row with /summary's
# mean), the small-multiples figure of ukp_wait_mean (a PNG, a panel per
# municipality) and the table of UKP bed-days per hospital site by home
# municipality with exactly the nonzero (site, municipality) pairs of
# /municipalities/site_ukp_days. A plain run file (the embedded default
# scenario) gets no municipality section. Then it shows that the check
# fails when it should: a page with a municipality's row removed, one
# whose site table lists an extra pair, and the plain page held against
# the region file are each refused.
# Skips (exit 77) without Debian's python3-h5py/numpy/matplotlib.
# Usage: e2e_report_region.sh FLYT SOURCE_DIR
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

# Three municipalities: alpha sends its patients to both sites, beta to
# site_a only, gamma_3 to site_b only.
cat >"$tmp/tiny.cfg" <<'EOF'
name = "tiny-region";
description = "Three municipalities, two hospital sites (report test).";
run: { start_date = "2025-01-01"; horizon_days = 100; warmup_days = 20; replications = 3;
       seed = 7L; };
population: { age_bands = ["67-79", "80+"]; age_mix = [0.5, 0.5];
  cfs_mix = [0.05, 0.10, 0.12, 0.19, 0.20, 0.18, 0.10, 0.05, 0.01]; };
groups = ( { name = "all"; cfs = [1, 9]; } );
hospital: {
  los_days = { all = { dist = "lognormal"; mean = 5.0; sd = 3.0; }; };
  ukp_probability = { all = 0.5; };
  death_probability = { all = 0.03; };
};
decision: {
  delay_days = { dist = "exponential"; mean = 1.5; };
  destination = { all = { home = 0.2; short_term = 0.8; }; };
};
shared_units = (
  { id = "site_a"; name = "Site A"; kind = "unlimited"; hospital = true; },
  { id = "site_b"; name = "Site B"; kind = "unlimited"; hospital = true; }
);
municipalities = (
  { id = "alpha"; name = "Alphaby";
    population = { admissions_per_day = 3.0; };
    hospital_sites = { site_a = 0.7; site_b = 0.3; };
    units = ( { id = "short_term"; name = "Short-term beds"; kind = "beds"; capacity = 8;
                los_days = { dist = "lognormal"; mean = 10.0; sd = 6.0; };
                outcome = { home = 0.9; death = 0.1; }; } );
  },
  { id = "beta"; name = "Betavik";
    population = { admissions_per_day = 1.0; };
    hospital_sites = { site_a = 1.0; };
    units = ( { id = "short_term"; name = "Short-term beds"; kind = "beds"; capacity = 2;
                los_days = { dist = "lognormal"; mean = 10.0; sd = 6.0; };
                outcome = { home = 0.9; death = 0.1; }; } );
  },
  { id = "gamma_3"; name = "Gammadal";
    population = { admissions_per_day = 0.5; };
    hospital_sites = { site_b = 1.0; };
    units = ( { id = "short_term"; name = "Short-term beds"; kind = "beds"; capacity = 2;
                los_days = { dist = "lognormal"; mean = 10.0; sd = 6.0; };
                outcome = { home = 0.9; death = 0.1; }; } );
  }
);
EOF
"$FLYT" run "$tmp/tiny.cfg" -r 3 --no-progress -o "$tmp/region.h5" >/dev/null 2>&1
check "region run exits 0" test $? -eq 0
"$FLYT" run -r 2 --no-progress -o "$tmp/plain.h5" >/dev/null 2>&1
check "plain run (embedded default) exits 0" test $? -eq 0
check "the region file has /municipalities, the plain one not" "$PY" -c "
import h5py, sys
sys.exit(not ('municipalities' in h5py.File(sys.argv[1], 'r')
              and 'municipalities' not in h5py.File(sys.argv[2], 'r')))" \
  "$tmp/region.h5" "$tmp/plain.h5"

# check_region.py FILE.h5 PAGE.html: the page's municipality section against
# the file; one FAIL line per problem, exit 1. A file without
# /municipalities: the page must have no such section.
cat >"$tmp/check_region.py" <<'PYEOF'
import base64, html, re, sys
import h5py
import numpy as np
sys.path.insert(0, sys.argv[3])
import report  # noqa: E402  (its number format)

f = h5py.File(sys.argv[1], "r")
page = open(sys.argv[2], encoding="utf-8").read()
problems = []
kinds = ("municipalities", "municipality-waits", "site-ukp-days")


def element(tag, kind):
    m = re.findall(r'<%s data-kind="%s".*?</%s>' % (tag, kind, tag), page, re.S)
    if len(m) != 1:
        problems.append("%d <%s data-kind=%s> on the page, want 1" % (len(m), tag, kind))
        return ""
    return m[0]


def rows(t):
    return [re.findall(r"<td[^>]*>(.*?)</td>", r) for r in re.findall(r"<tr>(.*?)</tr>", t)[1:]]


if "municipalities" not in f:
    for k in kinds:
        if 'data-kind="%s"' % k in page:
            problems.append("a file without /municipalities, but the page has %s" % k)
    if 'id="municipalities"' in page or 'id="sites"' in page:
        problems.append("a file without /municipalities, but the page has its section")
else:
    m = f["municipalities"]
    ids = list(m["ids"].asstr()[:])
    names = list(m["names"].asstr()[:])
    t = rows(element("table", "municipalities"))
    got = [re.sub(r"</?code>", "", r[1]) for r in t[:-1]] if t else []
    if got != ids:
        problems.append("municipality table ids %s, the file has %s" % (got, ids))
    if t and [html.unescape(r[0]) for r in t[:-1]] != names:
        problems.append("municipality table names differ from /municipalities/names")
    s = f["summary"]
    want = report.num(s["mean"][list(s["kpi"].asstr()[:]).index("ukp_wait_mean")])
    if not t or "region" not in t[-1][0] or re.sub(r"</?b>", "", t[-1][2]) != want:
        problems.append("no region row with /summary's ukp_wait_mean %s" % want)
    kpi = [str(k) for k in m.attrs["kpi"]]
    k = kpi.index("ukp_wait_mean")
    for j, r in enumerate(t[:-1]):
        w = report.num(m["summary"][j, k, 0])
        if r[2] != w:
            problems.append("%s: ukp_wait_mean %s, the file's %s" % (ids[j], r[2], w))
    fig = element("figure", "municipality-waits")
    png = re.search(r'src="data:image/png;base64,([^"]+)"', fig)
    if not png or not base64.b64decode(png.group(1)).startswith(b"\x89PNG\r\n\x1a\n"):
        problems.append("the small-multiples figure has no PNG image")
    if "/municipalities/kpis" not in fig or "/municipalities/summary" not in fig:
        problems.append("the small-multiples caption does not name its HDF5 paths")
    d = m["site_ukp_days"]
    sites = [x.decode() if isinstance(x, bytes) else str(x) for x in d.attrs["sites"]]
    mean = np.nanmean(d[:], axis=0)
    want = sorted((sites[s], ids[j]) for j in range(len(ids)) for s in range(len(sites))
                  if mean[j, s] > 0)
    got = sorted((re.search(r"<code>(.*?)</code>", r[0]).group(1), re.sub(r"</?code>", "", r[2]))
                 for r in rows(element("table", "site-ukp-days")) if r[2])
    if got != want:
        problems.append("site table pairs %s, the file's nonzero pairs %s" % (got, want))
    if "/municipalities/site_ukp_days" not in page:
        problems.append("the site table does not name /municipalities/site_ukp_days")
for p in problems:
    print("FAIL " + p)
sys.exit(1 if problems else 0)
PYEOF

for k in region plain; do
  "$PY" "$A/report.py" "$tmp/$k.h5" -o "$tmp/$k.html" >/dev/null
  check "report.py writes the $k page" test -s "$tmp/$k.html"
done
check "the region page: municipality table (every id, region row), small multiples, site table" \
  "$PY" "$tmp/check_region.py" "$tmp/region.h5" "$tmp/region.html" "$A"
check "the plain page has no municipality section" \
  "$PY" "$tmp/check_region.py" "$tmp/plain.h5" "$tmp/plain.html" "$A"
check "the region page's section is in the navigation" \
  grep -q '<a href="#municipalities">Municipalities</a>' "$tmp/region.html"

# The check must fail when it should.
"$PY" - "$tmp/region.html" "$tmp" <<'PYEOF'
import re, sys
page, d = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
row = re.search(r"<tr><td>Gammadal</td>.*?</tr>\n?", page)
open(d + "/bad-row.html", "w").write(page[:row.start()] + page[row.end():])
site = re.search(r'(<table data-kind="site-ukp-days">.*?</th></tr>)', page, re.S)
extra = ('<tr><td>Site B <code>site_b</code></td><td>Betavik</td><td><code>beta</code></td>'
         '<td class="n">1</td><td class="n">1</td></tr>')
open(d + "/bad-site.html", "w").write(page[:site.end()] + extra + page[site.end():])
PYEOF
for b in bad-row bad-site; do
  "$PY" "$tmp/check_region.py" "$tmp/region.h5" "$tmp/$b.html" "$A" >"$tmp/$b.out" 2>&1
  check "a page with $b is refused" test $? -eq 1
done
check "the missing municipality is named" grep -q "gamma_3" "$tmp/bad-row.out"
check "the extra site pair is named" grep -q "site table pairs" "$tmp/bad-site.out"
"$PY" "$tmp/check_region.py" "$tmp/region.h5" "$tmp/plain.html" "$A" >"$tmp/swap.out" 2>&1
check "the plain page held against the region file is refused" test $? -eq 1
"$PY" "$tmp/check_region.py" "$tmp/plain.h5" "$tmp/region.html" "$A" >"$tmp/swap2.out" 2>&1
check "the region page held against the plain file is refused" test $? -eq 1

echo "e2e_report_region: $pass passed, $fail failed"
test "$fail" -eq 0
