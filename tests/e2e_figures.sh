#!/usr/bin/env bash
# The figure-by-figure tables of scenarios/README.md (between the
# `<!-- figures:LABEL begin/end -->` markers) against a fresh run: each
# Trondheim file is run as the tables were made (its own seed and
# replications), scenarios/figures/tables.py recomputes every modelled
# figure, and every committed number must lie within the fresh run's 95 %
# interval (with the same seed the run is bit-identical, so a failure means
# the model or the file changed, or a number was edited by hand). The
# checker must notice a number moved out of its interval, and the two KPIs
# that the figures added (ukp_dead_365, units.<id>.admissions_from_home) are
# recounted from the event log of the fitted 2022 file.
# Usage: e2e_figures.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_figures: /usr/bin/python3 with h5py and numpy is not installed"
  exit 0
fi
S="$SRC/scenarios"
TABLES=("$PY" "$S/figures/tables.py")
FIG="$S/figures/trondheim.csv"

# LABEL:YEAR[:FIT.json], as scenarios/figures/make-tables.sh writes them
runs=(trondheim-2022:2022 trondheim-2025:2025
      "trondheim-2022-fitted:2022:$S/figures/trondheim-2022-fit.json"
      trondheim-2025-predicted:2025)
args=()
for r in "${runs[@]}"; do
  IFS=: read -r label year fit <<<"$r"
  "$FLYT" run "$S/$label.cfg" -t 2 --no-progress -o "$tmp/$label.h5" >/dev/null 2>"$tmp/$label.err"
  check "$label: runs" test $? -eq 0
  args+=("$label:$year:$tmp/$label.h5${fit:+:$fit}")
done

"${TABLES[@]}" check "$S/README.md" "$FIG" "${args[@]}" >"$tmp/check.txt"
check "every committed figure lies within the fresh run's interval" test $? -eq 0
cat "$tmp/check.txt"

# the checker fails on a table that a fresh run does not give: the first
# modelled mean of the fitted 2022 table doubled
awk '/<!-- figures:trondheim-2022-fitted begin -->/ { on = 1 }
     on && !done && /\| [0-9.,]+ \[/ {
       match($0, /\| [0-9.,]+ \[/); v = substr($0, RSTART + 2, RLENGTH - 4); gsub(",", "", v)
       $0 = substr($0, 1, RSTART + 1) (2 * v + 1) substr($0, RSTART + RLENGTH - 2); done = 1 }
     { print }' "$S/README.md" >"$tmp/README.md"
"${TABLES[@]}" check "$tmp/README.md" "$FIG" "${args[@]}" >"$tmp/bad.txt"
check "a number outside its interval is caught" test $? -eq 1
grep -q "trondheim-2022-fitted: .* outside the fresh run's 95 % CI" "$tmp/bad.txt"
check "and named" test $? -eq 0

"$FLYT" run "$S/trondheim-2022-fitted.cfg" -r 2 -t 2 --no-progress --events --patients \
  -o "$tmp/events.h5" >/dev/null 2>&1
check "fitted 2022 with the event log: runs" test $? -eq 0
"$PY" "$SRC/tests/check_warmup_counts.py" "$tmp/events.h5" >"$tmp/recount.txt"
check "every KPI of the fitted 2022 file (the new ones too) equals its recount" test $? -eq 0
tail -1 "$tmp/recount.txt"

echo "e2e_figures: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
