#!/usr/bin/env bash
# flyt export: a run, a compare, a sweep and a forecast file exported as
# .xlsx and as CSV (en and nb) hold the same numbers as h5py reads from the
# HDF5 file (tests/check_export.py); per-unit and per-municipality key
# figures are exported when a file has them; bad input exits 2 (an input
# or a foreign file is never replaced), a damaged flyt file or a missing
# libxlsxwriter exits 1, and nothing half-written is left.
# Usage: e2e_export.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_export: /usr/bin/python3 with h5py and numpy is not installed"
  exit 0
fi
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
CHK="$SRC/tests/check_export.py"
CO="$SRC/scenarios/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=200 --set run.warmup_days=30 -r 3 --no-progress)
cd "$tmp" || exit 1

"$FLYT" run "$CO" "${SHORT[@]}" -o run.h5 >/dev/null 2>&1
"$FLYT" compare "$CO" "$CO" "$SRC/scenarios/trondheim-2025.cfg" "${SHORT[@]}" -o cmp.h5 \
  >/dev/null 2>&1
"$FLYT" sweep "$SRC/scenarios/sweeps/test/grid.cfg" -o sw.h5 >/dev/null 2>&1
"$FLYT" sweep "$SRC/scenarios/sweeps/test/list.cfg" -o list.h5 >/dev/null 2>&1
"$FLYT" forecast "$SRC/scenarios/trondheim-2025.cfg" --census "$SRC/scenarios/census-example.csv" \
  --days 14 -r 10 --no-progress -o fc.h5 >/dev/null 2>&1
check "the files to export are written" test -f run.h5 -a -f cmp.h5 -a -f sw.h5 -a -f list.h5 -a -f fc.h5

for k in run cmp sw list fc; do
  "$FLYT" export $k.h5 >$k.out 2>$k.err
  check "$k: export to xlsx exits 0" test $? -eq 0
  check "$k: the xlsx holds the HDF5 file's numbers" "$PY" "$CHK" $k.h5 xlsx $k.xlsx
  "$FLYT" export $k.h5 --format csv -o en/$k.csv >/dev/null 2>$k.err ||
    { mkdir -p en && "$FLYT" export $k.h5 --format csv -o en/$k.csv >/dev/null 2>$k.err; }
  check "$k: export to csv exits 0" test $? -eq 0
  check "$k: the csv files hold the HDF5 file's numbers" "$PY" "$CHK" $k.h5 csv en/$k en
  "$FLYT" export $k.h5 --format csv --locale nb -o nb/ >/dev/null 2>$k.err ||
    { mkdir -p nb && "$FLYT" export $k.h5 --format csv --locale nb -o nb/ >/dev/null 2>$k.err; }
  check "$k: export to csv --locale nb exits 0" test $? -eq 0
  check "$k: --locale nb read with ',' decimals and ';' gives the same numbers" \
    "$PY" "$CHK" $k.h5 csv nb/$k nb
done
# the checker notices a changed number, and a '.' where nb has ','
mkdir -p tamper && cp en/run-*.csv tamper/
"$PY" - tamper/run-kpi.csv <<'PY'
import sys
p = sys.argv[1]; lines = open(p, newline="").read().split("\r\n")
cells = lines[1].split(","); cells[5] = str(float(cells[5]) * (1 + 1e-9)); lines[1] = ",".join(cells)
open(p, "w", newline="").write("\r\n".join(lines))
PY
"$PY" "$CHK" run.h5 csv tamper/run en >/dev/null
check "the checker catches a number changed in the 10th digit" test $? -eq 1
mkdir -p tamper-nb && cp nb/run-*.csv tamper-nb/
sed -i '2s/,/./' tamper-nb/run-kpi.csv
"$PY" "$CHK" run.h5 csv tamper-nb/run nb >/dev/null
check "the checker catches a '.' decimal in an nb file" test $? -eq 1
check "xlsx: the written path is printed" grep -qx "run.xlsx" run.out
check "nb: a decimal comma and ';' between fields" grep -q ';[0-9]*,[0-9]' nb/run-kpi.csv
check "the sheets of a compare file" bash -c "unzip -p cmp.xlsx xl/workbook.xml | grep -o 'name=\"[a-z_]*\"' | tr '\n' ' ' | grep -q 'kpi.*replications.*series.*differences.*about'"
"$FLYT" export run.h5 >/dev/null 2>&1
check "an export replaces its own earlier workbook" test $? -eq 0
"$FLYT" export run.h5 --format csv -o en/run.csv >/dev/null 2>&1
check "an export replaces its own earlier csv files" test $? -eq 0

# Key figures per unit (every run file has /units) and per municipality,
# when a file has them: a run file given a /municipalities/<m>/summary group.
cp run.h5 units.h5
"$PY" - units.h5 <<'PY'
import h5py, sys
f = h5py.File(sys.argv[1], "r+")
f.copy("summary", "municipalities/trondheim/summary")
PY
"$FLYT" export units.h5 >/dev/null 2>&1
check "a file with per-unit figures exports" test $? -eq 0
check "per-unit and per-municipality rows hold the file's numbers" "$PY" "$CHK" units.h5 xlsx units.xlsx
"$FLYT" export units.h5 --format csv -o units.csv >/dev/null 2>&1
check "per-unit rows in the csv" grep -q '^trondheim-2025-coordinator,unit,short_term,los_mean,' units-kpi.csv
check "a row per unit and replication in the csv" \
  grep -q '^trondheim-2025-coordinator,nursing_home,2,' units-unit_replications.csv
check "per-municipality rows in the csv" grep -q ',municipality,trondheim,ukp_wait_mean,' units-kpi.csv

# Bad input: exit 2, nothing written, inputs and foreign files untouched.
sum() { sha256sum "$@" | cut -d' ' -f1; }
"$FLYT" export --help >/dev/null; check "export --help exits 0" test $? -eq 0
"$FLYT" export 2>/dev/null; check "no file: exit 2" test $? -eq 2
"$FLYT" export nosuch.h5 2>e.txt; check "a missing file: exit 2" test $? -eq 2
check "  says it cannot open it" grep -q "cannot open 'nosuch.h5'" e.txt
"$FLYT" export "$CO" -o x.xlsx 2>e.txt; check "a scenario file: exit 2" test $? -eq 2
check "  says it is not HDF5" grep -q "not a flyt output file (not HDF5)" e.txt
"$PY" -c "import h5py; h5py.File('foreign.h5','w').create_dataset('x', data=[1.0])"
"$FLYT" export foreign.h5 2>e.txt; check "HDF5 that flyt did not write: exit 2" test $? -eq 2
check "  says format = flyt is missing" grep -q 'no root attribute format = "flyt"' e.txt
cp run.h5 future.h5
"$PY" -c "import h5py; h5py.File('future.h5','r+').attrs['kind'] = 'hologram'"
"$FLYT" export future.h5 2>e.txt; check "a kind flyt does not know: exit 2" test $? -eq 2
check "  names the kind" grep -q "of kind 'hologram', which this flyt cannot export" e.txt
before=$(sum run.h5)
"$FLYT" export run.h5 -o run.h5 2>e.txt; check "-o the input: exit 2" test $? -eq 2
check "  the input is untouched" test "$(sum run.h5)" = "$before"
ln -f run.h5 hard.xlsx
"$FLYT" export run.h5 -o hard.xlsx 2>e.txt; check "-o a hard link of the input: exit 2" test $? -eq 2
"$FLYT" export run.h5 --format csv -o run.h5.csv 2>/dev/null >/dev/null
check "csv beside the input is fine" test -f run.h5-kpi.csv
echo "my notes" >notes.xlsx
"$FLYT" export run.h5 -o notes.xlsx 2>e.txt; check "-o a foreign file: exit 2" test $? -eq 2
check "  the foreign file is untouched" grep -qx "my notes" notes.xlsx
echo "a,b" >foreign-kpi.csv
"$FLYT" export run.h5 --format csv -o foreign 2>e.txt >/dev/null
check "csv over a foreign csv: exit 2" test $? -eq 2
check "  nothing else of that export is written" test ! -e foreign-about.csv -a ! -e foreign-series.csv
check "  the foreign csv is untouched" grep -qx "a,b" foreign-kpi.csv
mkdir -p dir.xlsx
"$FLYT" export run.h5 -o dir.xlsx 2>/dev/null; check "-o a folder for xlsx: exit 2" test $? -eq 2
"$FLYT" export run.h5 --format ods 2>/dev/null; check "--format ods: exit 2" test $? -eq 2
"$FLYT" export run.h5 --locale de --format csv 2>/dev/null; check "--locale de: exit 2" test $? -eq 2
"$FLYT" export run.h5 --locale nb 2>e.txt; check "--locale with xlsx: exit 2" test $? -eq 2
"$FLYT" export run.h5 --format csv -o x.xlsx 2>/dev/null; check "csv to an .xlsx name: exit 2" test $? -eq 2
"$FLYT" export run.h5 -o x.csv --format xlsx 2>/dev/null; check "xlsx to a .csv name: exit 2" test $? -eq 2
"$FLYT" export run.h5 cmp.h5 2>/dev/null; check "two files: exit 2" test $? -eq 2
"$FLYT" export run.h5 --bogus 2>/dev/null; check "unknown option: exit 2" test $? -eq 2
"$FLYT" export run.h5 -o 2>/dev/null; check "-o without a value: exit 2" test $? -eq 2
"$FLYT" export run.h5 -o "" 2>/dev/null; check "-o '': exit 2" test $? -eq 2
"$FLYT" export run.h5 -o nodir/x.xlsx 2>/dev/null; check "-o in a missing folder: exit 1" test $? -eq 1

# No libxlsxwriter to load (flyt loads it only to write a workbook): exit 1,
# one line naming the library and the package, nothing written, not even a
# lock file; CSV needs no library. Not where the build links an archive
# (tests/CMakeLists.txt says which).
if [ "${FLYT_TEST_XLSX_DLOPEN:-1}" = 1 ]; then
  check "libxlsxwriter is not loaded at start-up" bash -c "! ldd '$FLYT' | grep -q xlsxwriter"
  nolib=$tmp/nosuch/libxlsxwriter.so
  FLYT_XLSXWRITER_LIB=$nolib "$FLYT" export run.h5 -o nolib.xlsx >o.txt 2>e.txt
  check "no libxlsxwriter: exit 1" test $? -eq 1
  check "  one line on stderr, nothing on stdout" test "$(wc -l <e.txt)" -eq 1 -a ! -s o.txt
  check "  names the library" grep -q "cannot load libxlsxwriter ($nolib), which writes .xlsx workbooks" e.txt
  check "  names the package" grep -q "(apt-get install libxlsxwriter[0-9a-z.-]*)" e.txt
  check "  nothing written, no lock or temporary file" test -z "$(compgen -G 'nolib.xlsx*')"
  FLYT_XLSXWRITER_LIB=$nolib "$FLYT" export run.h5 --format csv -o nolib.csv >/dev/null 2>e.txt
  check "  csv needs no libxlsxwriter" test $? -eq 0 -a -f nolib-kpi.csv
fi

# A damaged flyt file: exit 1, nothing written.
cp run.h5 broken.h5
"$PY" -c "import h5py; del h5py.File('broken.h5','r+')['summary/mean']"
"$FLYT" export broken.h5 2>e.txt; check "a flyt file missing a dataset: exit 1" test $? -eq 1
check "  names what is missing" grep -q "mean" e.txt
check "  nothing written" test ! -e broken.xlsx
cp sw.h5 broken-sw.h5
"$PY" -c "import h5py; f=h5py.File('broken-sw.h5','r+'); del f['points/set']; f['points/set']=['a']"
"$FLYT" export broken-sw.h5 2>e.txt; check "a sweep file with a short column: exit 1" test $? -eq 1
cp list.h5 broken-list.h5
"$PY" -c "import h5py; f=h5py.File('broken-list.h5','r+'); k='points/units.home_care.queue'; del f[k]; f[k]=['a']"
"$FLYT" export broken-list.h5 2>e.txt; check "a sweep file with a short text parameter: exit 1" test $? -eq 1
cp list.h5 broken-list2.h5
"$PY" -c "import h5py; f=h5py.File('broken-list2.h5','r+'); k='points/units.short_term.capacity'; del f[k]; f[k]=[1.0]"
"$FLYT" export broken-list2.h5 2>e.txt; check "a sweep file with a short number parameter: exit 1" test $? -eq 1
cp fc.h5 broken-fc.h5
"$PY" -c "import h5py; f=h5py.File('broken-fc.h5','r+'); del f['forecast/date']; f['forecast/date']=['2025-01-01']"
"$FLYT" export broken-fc.h5 2>e.txt; check "a forecast file with a short date column: exit 1" test $? -eq 1
cp cmp.h5 broken-cmp.h5
"$PY" -c "import h5py; f=h5py.File('broken-cmp.h5','r+'); g=f['differences']; n=list(g)[0]; del g[n+'/summary/ci_low']"
"$FLYT" export broken-cmp.h5 2>e.txt; check "a compare file missing a difference column: exit 1" test $? -eq 1
cp run.h5 broken-empty.h5
"$PY" -c "import h5py, numpy; f=h5py.File('broken-empty.h5','r+'); del f['replications']; f['replications']=numpy.zeros((3,0))"
"$FLYT" export broken-empty.h5 2>e.txt; check "a replications table of shape [3 x 0]: exit 1" test $? -eq 1
check "... named in the message" grep -q "field 'replication' of '/replications'" e.txt
cp run.h5 broken-fields.h5
"$PY" -c "
import h5py, numpy
f = h5py.File('broken-fields.h5', 'r+')
r = f['replications'][:]
del f['replications']
f['replications'] = r[['replication', 'status']]  # the KPI fields gone
"
"$FLYT" export broken-fields.h5 2>e.txt; check "a replications table without its KPI fields: exit 1" test $? -eq 1
check "... names the missing field" grep -q "cannot read the field 'arrivals' of '/replications'" e.txt
check "no temporary files left" bash -c "! ls | grep -q partial"
check "no lock files left" bash -c "! ls | grep -q '\.lock$'"

echo "e2e_export: $pass passed, $fail failed"
test "$fail" -eq 0
