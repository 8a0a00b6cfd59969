#!/usr/bin/env bash
# A census file read strictly by flyt forecast, from the outside: a quote
# left open in an unused column is refused with its row (it used to read
# 320 rows as 1 patient, exit 0) without showing the value; CR-only and
# CRLF line ends and a BOM before the census date read as LF does.
# Usage: e2e_census.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
SCN="$SRC/scenarios/trondheim-2025.cfg"
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
RUN=(-r 2 --days 3 -t 2 --no-progress)

{
  echo "# census_date: 2025-03-14"
  echo "location,since,note"
  for i in $(seq 1 320); do
    if [ "$i" -eq 3 ]; then echo 'hospital,2025-03-10,"Kari Nordmann said'; else echo "hospital,2025-03-10,ok"; fi
  done
} >"$tmp/open.csv"
"$FLYT" forecast "$SCN" --census "$tmp/open.csv" "${RUN[@]}" -o "$tmp/open.h5" >"$tmp/open.out" \
  2>"$tmp/open.err"
check "an open quote exits 2" test $? -eq 2
check "an open quote is named by row and column" \
  grep -q "open.csv:5: error: column note: a quoted value is not closed on its line" "$tmp/open.err"
check "the open quote's value is not shown" bash -c "! grep -q Nordmann '$tmp/open.err'"
check "an open quote writes nothing" test ! -e "$tmp/open.h5"
check "an open quote prints nothing on stdout" test ! -s "$tmp/open.out"

printf '# census_date: 2025-03-14\nlocation,since,cfs\nhospital,2025-03-10,5\nukp,2025-03-11,\nnursing_home,2024-01-01,7\n' \
  >"$tmp/lf.csv"
tr '\n' '\r' <"$tmp/lf.csv" >"$tmp/cr.csv"
sed 's/$/\r/' "$tmp/lf.csv" >"$tmp/crlf.csv"
{ printf '\xEF\xBB\xBF'; cat "$tmp/lf.csv"; } >"$tmp/bom.csv"
"$FLYT" forecast "$SCN" --census "$tmp/lf.csv" "${RUN[@]}" -o "$tmp/lf.h5" >/dev/null 2>&1
check "an LF census runs" test $? -eq 0
for v in cr crlf bom; do
  "$FLYT" forecast "$SCN" --census "$tmp/$v.csv" "${RUN[@]}" -o "$tmp/$v.h5" >/dev/null \
    2>"$tmp/$v.err"
  check "a $v census runs" test $? -eq 0
  check "a $v census gives the LF census's forecast" h5diff "$tmp/lf.h5" "$tmp/$v.h5" /forecast /forecast
  check "a $v census places the same rows" h5diff "$tmp/lf.h5" "$tmp/$v.h5" /census /census
done

echo "e2e_census: $pass passed, $fail failed"
test "$fail" -eq 0
