#!/usr/bin/env bash
# analysis/report.py's pages in a real browser: a run file (and one with
# reduced series), a compare file whose scenarios both have a coordinator
# role, a sweep file and a forecast file, each made small here, each page
# loaded by headless chromium with a script injected into a copy that counts
# broken images (naturalWidth 0), script errors and the figures and tables
# per kind; tests/check_report_page.py compares them with what the file
# holds (one occupancy figure per unit with capacity, a role table per role,
# a forest plot per variant, ...), the title with the scenario's name, every
# key figure's description and units, the provenance. Then it shows that the
# check fails when it should: a page with a corrupted image, one with a
# script error and one with a figure removed must each be refused.
# Skips (exit 77) without chromium or Debian's python3-h5py/numpy/matplotlib.
# Usage: e2e_report_browser.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
A="$SRC/analysis"
CHECK="$SRC/tests/check_report_page.py"
if ! "$PY" -c "import h5py, numpy, matplotlib" 2>/dev/null; then
  echo "skipped: /usr/bin/python3 with h5py, numpy and matplotlib is not installed"
  exit 77
fi
CHROME=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROME" ]; then
  echo "skipped: chromium is not installed (Debian package chromium)"
  exit 77
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

S="$SRC/scenarios"
CO="$S/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=120 --set run.warmup_days=20 -r 3 -t 2 --no-progress)
"$FLYT" run "$CO" "${SHORT[@]}" -o "$tmp/run.h5" >/dev/null 2>&1
check "run exits 0" test $? -eq 0
"$FLYT" run "$S/trondheim-2025.cfg" "${SHORT[@]}" --series reduced -o "$tmp/reduced.h5" \
  >/dev/null 2>&1
check "run --series reduced exits 0" test $? -eq 0
# a variant with two coordinators, so that both scenarios have the role
sed -e 's/^name = "trondheim-2025-coordinator";/name = "two-coordinators";/' \
  -e 's/^    headcount = 1; /    headcount = 2; /' "$CO" >"$tmp/two.cfg"
check "variant scenario made" grep -q '^    headcount = 2;' "$tmp/two.cfg"
"$FLYT" compare "$CO" "$tmp/two.cfg" "${SHORT[@]}" -o "$tmp/cmp.h5" >/dev/null 2>&1
check "compare exits 0" test $? -eq 0
"$FLYT" sweep "$S/sweeps/test/grid.cfg" -t 2 --no-progress -o "$tmp/sweep.h5" >/dev/null 2>&1
check "sweep exits 0" test $? -eq 0
"$FLYT" forecast "$S/trondheim-2025.cfg" --census "$S/census-example.csv" --days 10 -r 8 -t 2 \
  --no-progress -o "$tmp/fc.h5" >/dev/null 2>&1
check "forecast exits 0" test $? -eq 0

# The script the browser runs in a copy of each page: it writes what it
# counted into the DOM, which --dump-dom prints.
cat >"$tmp/inject.html" <<'EOF'
<script>
window.__flytErrors = 0;
window.onerror = function () { window.__flytErrors++; };
window.addEventListener("unhandledrejection", function () { window.__flytErrors++; });
window.addEventListener("load", function () {
  var imgs = document.images, broken = 0, counts = {};
  for (var i = 0; i < imgs.length; i++)
    if (!imgs[i].complete || imgs[i].naturalWidth === 0) broken++;
  document.querySelectorAll("figure[data-kind], table[data-kind]").forEach(function (e) {
    var k = e.tagName.toLowerCase() + ":" + e.getAttribute("data-kind");
    counts[k] = (counts[k] || 0) + 1;
  });
  var h1 = document.querySelector("h1");
  var out = document.createElement("pre");
  out.textContent = "FLYTCHECK " + JSON.stringify({images: imgs.length, broken: broken,
    errors: window.__flytErrors, counts: counts, h1: h1 ? h1.textContent : null,
    title: document.title}) + " ENDCHECK";
  document.body.appendChild(out);
});
</script>
EOF
# browse PAGE: the injected copy's DOM after load, in PAGE.dom
browse() {
  "$PY" - "$1" "$tmp/inject.html" "$1.check.html" <<'PYEOF'
import sys
page, js = open(sys.argv[1], encoding="utf-8").read(), open(sys.argv[2]).read()
open(sys.argv[3], "w", encoding="utf-8").write(page.replace("<head>", "<head>" + js, 1))
PYEOF
  timeout 60 "$CHROME" --headless --disable-gpu --no-sandbox --user-data-dir="$tmp/chrome" \
    --virtual-time-budget=5000 --dump-dom "file://$1.check.html" >"$1.dom" 2>/dev/null
}

for k in run reduced cmp sweep fc; do
  [ -s "$tmp/$k.h5" ] || continue
  "$PY" "$A/report.py" "$tmp/$k.h5" -o "$tmp/$k.html" >/dev/null
  check "report.py writes the $k page" test -s "$tmp/$k.html"
  browse "$tmp/$k.html"
  check "the $k page in chromium: no broken image or script error, figures and tables as in the file" \
    "$PY" "$CHECK" "$tmp/$k.h5" "$tmp/$k.html" "$tmp/$k.html.dom"
done
check "the run page has a figure per unit with capacity (3 here)" \
  grep -q '"figure:occupancy":3' "$tmp/run.html.dom"
check "the compare page has role tables for both scenarios and their difference" \
  bash -c "grep -q '\"table:role\":2' '$tmp/cmp.html.dom' && grep -q '\"table:role-difference\":1' '$tmp/cmp.html.dom'"

# The check must fail when it should.
if [ -s "$tmp/run.html" ]; then
  "$PY" - "$tmp/run.html" "$tmp" <<'PYEOF'
import re, sys
page, d = open(sys.argv[1], encoding="utf-8").read(), sys.argv[2]
# an image whose data is not a PNG: it loads with naturalWidth 0
open(d + "/bad-img.html", "w").write(page.replace("base64,iVBOR", "base64,AAAAiVBOR", 1))
open(d + "/bad-js.html", "w").write(page.replace("</body>", "<script>no_such();</script></body>"))
# one occupancy figure fewer than the file has units with capacity
m = re.search(r'<figure data-kind="occupancy".*?</figure>', page, re.S)
open(d + "/bad-count.html", "w").write(page[:m.start()] + page[m.end():])
PYEOF
  for b in bad-img bad-js bad-count; do
    browse "$tmp/$b.html"
    "$PY" "$CHECK" "$tmp/run.h5" "$tmp/$b.html" "$tmp/$b.html.dom" >"$tmp/$b.out" 2>&1
    check "a page with $b is refused" test $? -eq 1
  done
  check "the broken image is named" grep -q "images broken" "$tmp/bad-img.out"
  check "the script error is named" grep -q "script errors" "$tmp/bad-js.out"
  check "the missing figure is named" grep -q "figure:occupancy: 2 on the page, the file holds 3" \
    "$tmp/bad-count.out"
fi

echo "e2e_report_browser: $pass passed, $fail failed"
test "$fail" -eq 0
