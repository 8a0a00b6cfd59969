#!/usr/bin/env bash
# End to end, as a planner would use flyt forecast: the example census, the
# HDF5 file read with h5py, determinism across threads, bad rows reported
# with their row number (exit 2, nothing written), identifying columns
# refused unless ignored and never leaked, a census above capacity
# accepted with a warning, SIGINT/SIGTERM (exit 130/143, nothing written),
# --dump-census, and the fan-chart script.
# Usage: e2e_forecast.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
SCN="$SRC/scenarios/trondheim-2025.cfg"
EX="$SRC/scenarios/census-example.csv"
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

check "forecast --help exits 0" "$FLYT" forecast --help
check "flyt --help lists forecast" bash -c "'$FLYT' --help | grep -q forecast"
"$FLYT" forecast "$SCN" -o "$tmp/x.h5" 2>"$tmp/nocensus.err" >/dev/null
check "no --census exits 2" test $? -eq 2
check "no --census is explained" grep -q -- "--census FILE is required" "$tmp/nocensus.err"
"$FLYT" forecast "$SCN" --census "$EX" --bogus 2>/dev/null >/dev/null
check "unknown option exits 2" test $? -eq 2

# The example census, small.
"$FLYT" forecast "$SCN" --census "$EX" --days 14 -r 40 -t 2 --no-progress -o "$tmp/a.h5" \
  >"$tmp/a.txt" 2>"$tmp/a.err"
check "example forecast exits 0" test $? -eq 0
check "output file exists" test -s "$tmp/a.h5"
check "no partial file left" no_partial "$tmp/a.h5"
# a table for the whole system and one per unit (short_term, nursing_home, home_care)
check "tables have a row per day" bash -c "grep -cE '^ *[0-9]+ 2025-1[12]-[0-9]{2} ' '$tmp/a.txt' | grep -qx 60"
check "a table per unit" bash -c "grep -q '^short_term (Short-term beds, beds)' '$tmp/a.txt' && grep -q '^home_care (Home care, caseload' '$tmp/a.txt' && grep -q '^nursing_home (' '$tmp/a.txt'"
check "table lists UKP patients by census row" grep -q "census-example.csv row" "$tmp/a.txt"
check "h5dump reads the file" bash -c "h5dump -H '$tmp/a.h5' >/dev/null"

cat >"$tmp/read.py" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert f.attrs["format"] == "flyt" and f.attrs["kind"] == "forecast"
assert f.attrs["census_date"] == "2025-11-19", f.attrs["census_date"]
assert f.attrs["start_date"] == "2025-11-19"
assert int(f.attrs["replications"]) == 40
fc = f["forecast"]
assert list(fc["day"][:]) == list(range(15))
assert fc["date"].asstr()[0] == "2025-11-19" and fc["date"].asstr()[14] == "2025-12-03"
for name in ("ukp_waiting", "hospital_treatment", "ukp_days", "ukp_days_cum"):
    g = fc[name]
    assert "units" in g.attrs, name
    q = [g[k][:] for k in ("p05", "p25", "median", "p75", "p95")]
    for lo, hi in zip(q, q[1:]):
        assert np.all(lo <= hi + 1e-9), name
    assert f["replications"][name].shape == (40, 15)
units = list(fc["units/ids"].asstr()[:])
assert units == ["short_term", "nursing_home", "home_care"], units
for u in units:
    g = fc["units"][u]
    figs = ("census", "queue", "hours") if u == "home_care" else ("census", "queue")
    assert sorted(k for k in g if isinstance(g[k], h5py.Group)) == sorted(figs), list(g)
    for name in figs:
        q = [g[name][k][:] for k in ("p05", "p25", "median", "p75", "p95")]
        for lo, hi in zip(q, q[1:]):
            assert np.all(lo <= hi + 1e-9), (u, name)
        assert f["replications/units"][u][name].shape == (40, 15)
    p = g["p_full"][:]
    assert p.shape == (15,) and np.all((p >= 0) & (p <= 1))
    assert "units" in g["capacity"].attrs
    assert f["replications/units"][u]["full"].shape == (40, 15)
assert fc["units/short_term/census"].attrs["units"] == "beds"
assert fc["units/short_term/capacity"][0] == 125
# day 0 is the census itself (queued patients for whom there is room move at
# 00:00: the example's nursing-home applicants)
c = f["census"]
loc = c["location"].asstr()[:]
dest = c["destination"].asstr()[:]
assert fc["hospital_treatment"]["median"][0] == np.sum(loc == "hospital")
assert fc["ukp_waiting"]["median"][0] == np.sum(loc == "ukp") - np.sum((loc == "ukp") & (dest != ""))
assert fc["units/nursing_home/census"]["median"][0] == np.sum(loc == "nursing_home") + np.sum(dest == "nursing_home")
hc = fc["units/home_care/census"]
assert hc["p05"][0] == hc["p95"][0] == np.sum((loc == "home_care") & (dest == ""))
rows = c["row"][:]
still = f["ukp_still_waiting"]
assert set(still["row"][:]) == set(rows[loc == "ukp"])
p = still["probability"][:]
assert np.all(np.diff(p) <= 0) and np.all((p >= 0) & (p <= 1))
assert f["ukp_still_waiting"].attrs["check_day"] == 7
print("h5py ok")
PYEOF
check "h5py reads bands, probabilities, census rows" $PY "$tmp/read.py" "$tmp/a.h5"

"$FLYT" forecast "$SCN" --census "$EX" --days 10 -r 12 -t 1 --no-progress -o "$tmp/t1.h5" >/dev/null 2>&1
"$FLYT" forecast "$SCN" --census "$EX" --days 10 -r 12 -t 2 --no-progress -o "$tmp/t2.h5" >/dev/null 2>&1
for g in /forecast /replications /ukp_still_waiting; do
  check "threads 1 vs 2: $g identical" h5diff "$tmp/t1.h5" "$tmp/t2.h5" $g $g
done

# The census date from --date overrides the file's.
"$FLYT" forecast "$SCN" --census "$EX" --date 2025-11-20 --days 3 -r 4 --no-progress \
  -o "$tmp/d.h5" >/dev/null 2>&1
check "--date sets day 0" $PY -c "import h5py; assert h5py.File('$tmp/d.h5')['forecast/date'].asstr()[0] == '2025-11-20'"

# Bad rows: every one with its row and column, exit 2, nothing written.
cat >"$tmp/bad.csv" <<'EOF'
# census_date: 2025-03-14
location,since,destination,queued_since,cfs,age_band,complex,hours_per_week
hospital,2025-03-10,,,5,,,
attic,2025-03-10,,,5,,,
hospital,2025-04-01,,,5,,,
hospital,2025-03-10,,,12,,,
hospital,10/03/2025,,,5,,,
EOF
echo precious >"$tmp/keep.h5"
"$FLYT" forecast "$SCN" --census "$tmp/bad.csv" -r 2 -o "$tmp/keep.h5" >"$tmp/bad.out" 2>"$tmp/bad.err"
check "bad census exits 2" test $? -eq 2
check "unknown location named by row" grep -q "bad.csv:4: error: column location: unknown location" "$tmp/bad.err"
check "future date named by row" grep -q "bad.csv:5: error: column since: .*after the census date" "$tmp/bad.err"
check "CFS 12 named by row" grep -q "bad.csv:6: error: column cfs: must be a whole number from 1 to 9" "$tmp/bad.err"
check "unparseable date named by row" grep -q "bad.csv:7: error: column since: not a date" "$tmp/bad.err"
check "bad census leaves the old output untouched" grep -qx precious "$tmp/keep.h5"
check "bad census prints nothing on stdout" test ! -s "$tmp/bad.out"

# Personal data: identifying columns are refused, and once ignored, never
# leak into output, stdout or stderr.
cat >"$tmp/pd.csv" <<'EOF'
# census_date: 2025-03-14
location,since,fødselsnummer,Navn,Adresse,cfs,kommentar
hospital,2025-03-10,01017012345,Kari Nordmann,Storgata 7,5,SECRETNOTE42
ukp,2025-03-12,02027054321,Ola Hansen,Munkegata 3,7,ring datter
nursing_home,2023-06-01,03037099887,Per Olsen,Kongens gate 1,,
EOF
"$FLYT" forecast "$SCN" --census "$tmp/pd.csv" -r 3 --days 5 -o "$tmp/pd.h5" >"$tmp/pd1.out" 2>"$tmp/pd1.err"
check "identifying columns exit 2" test $? -eq 2
check "fødselsnummer column refused by name" grep -q "pd.csv:2: error: column fødselsnummer: looks like a national identity number" "$tmp/pd1.err"
check "name column refused" grep -q "column Navn: looks like a name" "$tmp/pd1.err"
check "address column refused" grep -q "column Adresse: looks like an address" "$tmp/pd1.err"
check "refusal says how to ignore" grep -q -- "--ignore-column" "$tmp/pd1.err"
check "refused: no output written" test ! -e "$tmp/pd.h5"
"$FLYT" forecast "$SCN" --census "$tmp/pd.csv" -r 3 --days 5 -o "$tmp/pd.h5" \
  --ignore-column fødselsnummer --ignore-column navn --ignore-column ADRESSE \
  >"$tmp/pd2.out" 2>"$tmp/pd2.err"
check "ignored identifying columns: exit 0" test $? -eq 0
check "unused column is warned about" grep -q "column 'kommentar' is not used by flyt" "$tmp/pd2.err"
leak=0
for v in 01017012345 02027054321 03037099887 Nordmann Hansen Olsen Storgata Munkegata "Kongens gate" SECRETNOTE42 "ring datter"; do
  for f in "$tmp/pd.h5" "$tmp/pd1.out" "$tmp/pd1.err" "$tmp/pd2.out" "$tmp/pd2.err"; do
    if grep -aqF "$v" "$f"; then echo "  leaked '$v' into $f"; leak=1; fi
  done
done
check "no census value of an ignored or unused column is in the output, stdout or stderr" test $leak -eq 0
# h5dump decompresses every dataset: the values must not be there either.
h5dump "$tmp/pd.h5" >"$tmp/pd.dump" 2>/dev/null
check "nor in the decompressed datasets" bash -c "! grep -aqE 'Nordmann|01017012345|Storgata|SECRETNOTE42' '$tmp/pd.dump'"
printf '# census_date: 2025-03-14\nlocation,since,note\nhospital,2025-03-10,0101701 2345\n' >"$tmp/fnr.csv"
"$FLYT" forecast "$SCN" --census "$tmp/fnr.csv" -r 2 -o "$tmp/fnr.h5" >/dev/null 2>"$tmp/fnr.err"
check "an identity-number value in any column exits 2" test $? -eq 2
check "the value is named by row and column only" bash -c "grep -q 'fnr.csv:3: error: column note: a value looks like a national identity number' '$tmp/fnr.err' && ! grep -q '2345' '$tmp/fnr.err'"

# Above capacity: accepted, with a warning.
{
  echo "# census_date: 2025-03-14"
  echo "location,since"
  for i in $(seq 1 140); do echo "short_term,2025-03-01"; done
} >"$tmp/full.csv"
"$FLYT" forecast "$SCN" --census "$tmp/full.csv" -r 4 --days 5 --no-progress -o "$tmp/full.h5" \
  >"$tmp/full.out" 2>"$tmp/full.err"
check "census above capacity exits 0" test $? -eq 0
check "census above capacity is flagged" grep -q "warning: the census needs 140 beds of short_term.*above the scenario's 125" "$tmp/full.err"
check "and the unit is full on day 0" $PY -c "import h5py; assert h5py.File('$tmp/full.h5')['forecast/units/short_term/p_full'][0] == 1.0"

# Any network: a census names the scenario's own units (rehabilitation,
# kad), old names and Norwegian aliases only where the scenario has that
# unit, and an unknown unit is refused with the list of the valid ids.
NET="$SRC/scenarios/trondheim-2025-network.cfg"
cat >"$tmp/net.csv" <<'EOF'
# census_date: 2025-03-14
location,since,destination,queued_since,cfs,age_band,complex,hours_per_week
hospital,2025-03-10,,,5,,,
ukp,2025-03-12,rehabilitation,,6,,,
ukp,2025-03-12,home_care,,6,,,4.5
rehabilitation,2025-03-01,,,6,,,
rehabilitation,2025-02-20,nursing_home,2025-03-10,7,,,
kad,2025-03-13,,,4,,,
korttid,2025-03-01,hjemmetjenester,2025-03-12,6,,,
sykehjem,2020-05-01,,,8,,,
home_care,2024-01-01,rehabilitation,2025-03-13,5,,,6
EOF
"$FLYT" forecast "$NET" --census "$tmp/net.csv" --days 6 -r 8 -t 2 --no-progress -o "$tmp/net.h5" \
  >"$tmp/net.txt" 2>"$tmp/net.err"
check "a census naming the network's own units forecasts" test $? -eq 0
check "a table for rehabilitation" grep -q "^rehabilitation (" "$tmp/net.txt"
cat >"$tmp/net.py" <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
ids = list(f["forecast/units/ids"].asstr()[:])
assert ids == ["short_term", "rehabilitation", "kad", "nursing_home", "home_care"], ids
c = f["census"]
assert list(c["location"].asstr()[:]) == ["hospital", "ukp", "ukp", "rehabilitation", "rehabilitation",
                                          "kad", "short_term", "nursing_home", "home_care"]
assert list(c["destination"].asstr()[:]) == ["", "rehabilitation", "home_care", "", "nursing_home",
                                             "", "home_care", "", "rehabilitation"]
u = f["forecast/units"]
# at 00:00 of day 0 the two applicants to rehabilitation move in (it has room),
# and the short-term patient waiting for home care moves home
assert u["rehabilitation/census/median"][0] == 4 and u["kad/census/median"][0] == 1
assert u["short_term/census/median"][0] == 0 and u["home_care/census/median"][0] == 2
assert u["rehabilitation"].attrs["kind"] == "beds" and u["home_care"].attrs["kind"] == "caseload"
assert f["forecast/hospital_treatment/median"][0] == 1
print("network census ok")
PYEOF
check "h5py: the network's units are placed and reported" $PY "$tmp/net.py" "$tmp/net.h5"
check "a network forecast file matches the layout document" \
  $PY "$SRC/tests/check_layout.py" "$SRC/docs/hdf5-layout.md" "$tmp/net.h5" forecast
printf '# census_date: 2025-03-14\nlocation,since,destination\nrehabilitation,2025-03-10,\nukp,2025-03-10,kad\nkorttid,2025-03-10,\n' >"$tmp/classic.csv"
"$FLYT" forecast "$SCN" --census "$tmp/classic.csv" -r 2 --days 2 --no-progress -o "$tmp/classic.h5" \
  >/dev/null 2>"$tmp/classic.err"
check "a unit the scenario does not have exits 2" test $? -eq 2
check "an unknown location lists the scenario's units" grep -qF "classic.csv:3: error: column location: unknown location, got 'rehabilitation'; expected hospital, ukp or a unit of the scenario (short_term, nursing_home, home_care)" "$tmp/classic.err"
check "an unknown destination lists them too" grep -qF "classic.csv:4: error: column destination: unknown destination, got 'kad'; expected a unit of the scenario (short_term, nursing_home, home_care), or empty" "$tmp/classic.err"
check "an alias of a unit the scenario has is read" bash -c "! grep -q 'classic.csv:5:' '$tmp/classic.err'"

# A model's day as a census, and a forecast from it.
"$FLYT" forecast "$SCN" --dump-census "$tmp/dump.csv" --day 200 --seed 5 2>"$tmp/dump.err"
check "--dump-census exits 0" test $? -eq 0
check "--dump-census writes the census date" bash -c "head -1 '$tmp/dump.csv' | grep -qx '# census_date: 2025-07-20'"
check "--dump-census names what it wrote" grep -q "patients (census date 2025-07-20)" "$tmp/dump.err"
"$FLYT" forecast "$SCN" --census "$tmp/dump.csv" -r 4 --days 3 --no-progress -o "$tmp/dump.h5" >/dev/null 2>&1
check "a dumped census forecasts" test $? -eq 0
"$FLYT" forecast "$NET" --dump-census "$tmp/netdump.csv" --day 120 --seed 5 2>/dev/null
check "a network's day as a census names its units" bash -c "cut -d, -f1 '$tmp/netdump.csv' | grep -qx rehabilitation && cut -d, -f1 '$tmp/netdump.csv' | grep -qx kad"
"$FLYT" forecast "$NET" --census "$tmp/netdump.csv" -r 4 --days 3 --no-progress -o "$tmp/netdump.h5" >/dev/null 2>&1
check "and forecasts" test $? -eq 0

# SIGINT and SIGTERM: no replication starts after the signal, nothing is
# written, an existing output stays as it was, exit 128 + signal (as flyt run).
cp "$tmp/a.h5" "$tmp/a.orig"
for sig in INT TERM; do
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  # A background job ignores SIGINT unless job control is on: set -m.
  set -m
  "$FLYT" forecast "$SCN" --census "$EX" --days 28 -r 20000 -t 2 --no-progress \
    -o "$tmp/a.h5" >"$tmp/sig.out" 2>"$tmp/sig.err" &
  pid=$!
  set +m
  sleep 2 # loading and the census take well under a second; sanitizer builds more
  kill -s $sig $pid
  wait $pid
  rc=$?
  check "SIG$sig: forecast exits $want (got $rc)" test $rc -eq $want
  check "SIG$sig: says it stopped" grep -q "flyt forecast: stopped by SIG$sig after .* of 20000 replications; no output written" "$tmp/sig.err"
  check "SIG$sig: no .partial left" no_partial "$tmp/a.h5"
  check "SIG$sig: existing output intact" cmp -s "$tmp/a.h5" "$tmp/a.orig"
  check "SIG$sig: no table printed" test ! -s "$tmp/sig.out"
done
check "forecast --help documents exit 130 and 143" bash -c "'$FLYT' forecast --help | grep -q '130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM'"

# The fan charts.
check "forecast_fan.py --help exits 0" $PY "$SRC/analysis/forecast_fan.py" --help
if $PY -c "import h5py, matplotlib" 2>/dev/null; then
  $PY "$SRC/analysis/forecast_fan.py" "$tmp/a.h5" -o "$tmp/fan.png" >/dev/null
  check "forecast_fan.py draws a non-empty PNG" bash -c "test -s '$tmp/fan.png' && head -c 8 '$tmp/fan.png' | grep -q PNG"
  $PY "$SRC/analysis/forecast_fan.py" "$tmp/keep.h5" -o "$tmp/no.png" >/dev/null 2>&1
  check "forecast_fan.py refuses a file that is not a forecast" test $? -ne 0
else
  echo "skip forecast_fan.py PNG: python3-h5py or python3-matplotlib missing"
fi

echo "e2e_forecast: $pass passed, $fail failed"
test "$fail" -eq 0
