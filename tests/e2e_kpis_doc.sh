#!/usr/bin/env bash
# docs/kpis.md names every KPI of include/flyt/result.h (FLYT_KPI_LIST,
# FLYT_ROLE_KPI_LIST and FLYT_UNIT_KPI_LIST) with the code's units, and no KPI the code lacks
# (tests/check_kpis_doc.py); and the checker notices each kind of drift, on
# altered copies of the page and of the header.
# Usage: e2e_kpis_doc.sh FLYT SOURCE_DIR
set -uo pipefail
SRC=$2
PY=/usr/bin/python3
if ! [ -x "$PY" ]; then
  echo "SKIP e2e_kpis_doc: /usr/bin/python3 is not installed"
  exit 0
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

H="$SRC/include/flyt/result.h"
DOC="$SRC/docs/kpis.md"
CHK="$SRC/tests/check_kpis_doc.py"

"$PY" "$CHK" "$H" "$DOC" >"$tmp/out.txt" 2>&1
check "docs/kpis.md agrees with result.h" test $? -eq 0
cat "$tmp/out.txt"

# a row with the wrong units
sed 's/^| `ukp_patients` | patients |/| `ukp_patients` | beds |/' "$DOC" >"$tmp/units.md"
"$PY" "$CHK" "$H" "$tmp/units.md" >"$tmp/out.txt" 2>&1
check "catches a row with other units than the code" \
  grep -q "ukp_patients\` has units 'beds' here, 'patients' in the code" "$tmp/out.txt"

# a row for a KPI the code does not have
sed 's/^| `arrivals` |/| `arrivals`, `arrivals_per_day` |/' "$DOC" >"$tmp/extra.md"
"$PY" "$CHK" "$H" "$tmp/extra.md" >"$tmp/out.txt" 2>&1
check "catches a row naming a KPI not in the code" \
  grep -q "\`arrivals_per_day\` is not a KPI in FLYT_KPI_LIST" "$tmp/out.txt"

# a KPI missing from the page, by the shorthand too
sed 's/^| `los_mean`, `_median` |/| `los_mean` |/' "$DOC" >"$tmp/missing.md"
"$PY" "$CHK" "$H" "$tmp/missing.md" >"$tmp/out.txt" 2>&1
check "catches a KPI of the code with no row" \
  grep -q "no row for unit KPI \`los_median\`" "$tmp/out.txt"

# a KPI added to the code only
sed 's/^    X(arrivals, "patients",/    X(new_kpi, "days", "new") X(arrivals, "patients",/' "$H" >"$tmp/result.h"
"$PY" "$CHK" "$tmp/result.h" "$DOC" >"$tmp/out.txt" 2>&1
check "catches a KPI added to the code and not the page" \
  grep -q "no row for KPI \`new_kpi\` (units 'days')" "$tmp/out.txt"

# a role KPI with other units
sed 's/^| `work_hours` | hours |/| `work_hours` | days |/' "$DOC" >"$tmp/role.md"
"$PY" "$CHK" "$H" "$tmp/role.md" >"$tmp/out.txt" 2>&1
check "checks the role KPIs too" grep -q "work_hours\` has units 'days'" "$tmp/out.txt"

# a per-unit KPI with other units
sed 's/^| `blocked_days` | days |/| `blocked_days` | hours |/' "$DOC" >"$tmp/unit.md"
"$PY" "$CHK" "$H" "$tmp/unit.md" >"$tmp/out.txt" 2>&1
check "checks the per-unit KPIs too" grep -q "blocked_days\` has units 'hours'" "$tmp/out.txt"

echo "e2e_kpis_doc: $pass passed, $fail failed"
test "$fail" -eq 0
