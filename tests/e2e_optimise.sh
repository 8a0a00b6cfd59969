#!/usr/bin/env bash
# End to end for flyt optimise: help, bad specs (exit 2, file:line, nothing
# simulated or written), a small M/M/c grid that picks the right capacity
# and writes its file, the same file datasets for -t 1 and -t 2, and a
# limit nobody meets (exit 1, the file still says why).
# Usage: e2e_optimise.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

check "optimise --help exits 0" "$FLYT" optimise --help
check "optimise --help names the spec format" bash -c "'$FLYT' optimise --help | grep -q 'docs/optimise.md'"
check "flyt --help lists optimise" bash -c "'$FLYT' --help | grep -q '^  optimise SPEC'"
"$FLYT" optimise 2>/dev/null; check "no spec exits 2" test $? -eq 2
"$FLYT" optimise x.opt --bogus 2>/dev/null; check "unknown option exits 2" test $? -eq 2

# lambda 7, mu 1: Erlang C gives Wq 0.64, 0.19, 0.074 for c = 8, 9, 10.
cat >"$tmp/mmc.opt" <<EOT
scenario = "$SRC/scenarios/validation/mmc-rho070.cfg";
set = [ "run.horizon_days=600.0", "run.warmup_days=100.0",
        "cost.units.short_term.place_year_nok=1000.0", "cost.units.short_term.bed_day_nok=10.0" ];
replications = 8;
seed = 5;
variables = ( { key = "units.short_term.capacity"; min = 8; max = 12; } );
objective_indifference = 200.0;
constraints = ( { kpi = "ukp_wait_mean"; max = 0.15; tolerance = 0.03; } );
EOT

# Bad specs: one mistake each, at a known line.
sed 's/units.short_term.capacity/units.short_term.capacty/' "$tmp/mmc.opt" >"$tmp/badkey.opt"
sed 's/min = 8; max = 12/min = 12; max = 8/' "$tmp/mmc.opt" >"$tmp/badrange.opt"
sed 's/"ukp_wait_mean"/"ukp_wait_average"/' "$tmp/mmc.opt" >"$tmp/badkpi.opt"
sed 's/^seed = 5;/seed = 5; colour = 2;/' "$tmp/mmc.opt" >"$tmp/unknown.opt"
sed 's/min = 8; max = 12/min = 1; max = 900/; s/^seed = 5;/seed = 5; search = "grid";/' "$tmp/mmc.opt" >"$tmp/toomany.opt"
sed 's/min = 8; max = 12/min = 8.0; max = 12/' "$tmp/mmc.opt" >"$tmp/float.opt"
for c in "badkey:6:variables\[0\]: at min = 8 the scenario rejects it: .*unknown key 'capacty'" \
         "badrange:6:variables\[0\]\.max: empty range" \
         "badkpi:8:constraints\[0\]\.kpi: unknown KPI 'ukp_wait_average'" \
         "unknown:5:colour: unknown key" \
         "toomany:6:variables: the grid has 900 configurations, more than max_configurations (500)" \
         "float:6:variables\[0\]: at min = 8.0 the scenario rejects it: .*expected an integer"; do
  name=${c%%:*}; rest=${c#*:}; line=${rest%%:*}; msg=${rest#*:}
  "$FLYT" optimise "$tmp/$name.opt" -o "$tmp/$name.h5" >"$tmp/$name.out" 2>"$tmp/$name.err"
  check "$name spec exits 2" test $? -eq 2
  check "$name spec names file:line" grep -q "^$tmp/$name.opt:$line: error: $msg" "$tmp/$name.err"
  check "$name spec writes nothing" test ! -e "$tmp/$name.h5" -a ! -s "$tmp/$name.out"
  check "$name spec leaves no partial" no_partial "$tmp/$name.h5"
done

"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/t1.h5" -t 1 >"$tmp/t1.txt" 2>"$tmp/t1.err"
check "optimise exits 0 when a configuration is chosen" test $? -eq 0
check "optimise picks c = 10 (Erlang C)" grep -q "^chosen: #3 units.short_term.capacity=10 " "$tmp/t1.txt"
check "optimise says why c = 9 was dropped" grep -Eq "^ +2 .*infeasible: violates ukp_wait_mean <= 0.15" "$tmp/t1.txt"
check "optimise says who eliminated c = 11" grep -Eq "^ +4 .*eliminated by #3" "$tmp/t1.txt"
check "optimise wrote its file" test -s "$tmp/t1.h5"
"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/p.h5" --progress >/dev/null 2>"$tmp/p.err"
check "--progress shows the phases on stderr" grep -q "optimise: selection" "$tmp/p.err"
"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/t2.h5" -t 2 --format json >"$tmp/t2.json" 2>/dev/null
check "optimise -t 2 exits 0" test $? -eq 0
check "json parses and names the pick" /usr/bin/python3 -c "
import json, sys
d = json.load(open('$tmp/t2.json'))
sys.exit(0 if d['chosen'] == 3 and d['list'][1]['decision'] == 'infeasible' else 1)"
same=1
for ds in values replications replications_feasibility replications_selection decision \
          constraint by objective constraint_kpi bound tolerance upper; do
  h5dump -d "/optimise/$ds" "$tmp/t1.h5" | tail -n +2 >"$tmp/a.txt"
  h5dump -d "/optimise/$ds" "$tmp/t2.h5" | tail -n +2 >"$tmp/b.txt"
  cmp -s "$tmp/a.txt" "$tmp/b.txt" && grep -q DATA "$tmp/a.txt" || { same=0; echo "differs: $ds"; }
done
check "-t 1 and -t 2 write the same datasets" test $same -eq 1
check "the file keeps the spec's text" bash -c "h5dump -a /optimise/spec_text '$tmp/t1.h5' | grep -q 'objective_indifference = 200.0'"

sed 's/max = 0.15; tolerance = 0.03/max = 0.01; tolerance = 0.005/' "$tmp/mmc.opt" >"$tmp/none.opt"
"$FLYT" optimise "$tmp/none.opt" -o "$tmp/none.h5" >"$tmp/none.txt" 2>/dev/null
check "no feasible configuration exits 1" test $? -eq 1
check "no feasible configuration is said" grep -q "^no configuration is feasible" "$tmp/none.txt"
check "no feasible configuration still writes the file" test -s "$tmp/none.h5"
# the nearest is the largest unit (its wait is the shortest)
check "no feasible configuration names the nearest" \
  grep -A1 "^no configuration is feasible; nearest" "$tmp/none.txt"
nearest=$(grep -A1 "^no configuration is feasible; nearest" "$tmp/none.txt" | tail -1)
last=$(grep -E "^ +[0-9]+ " "$tmp/none.txt" | tail -1 | awk '{print $1}')
check "the nearest is the largest unit (#$last): '$nearest'" \
  bash -c "echo '$nearest' | grep -q '^  #$last '"

# The shipped example specs load and choose, except those whose "# expect:
# exit 1" line says nothing on their grid is feasible (a finding, reported).
for spec in "$SRC"/scenarios/optimise/*.opt; do
  "$FLYT" optimise "$spec" -t 2 --no-progress -o "$tmp/shipped.h5" >"$tmp/shipped.out" 2>"$tmp/shipped.err"
  rc=$?
  if grep -q '^# expect: exit 1' "$spec"; then
    check "$(basename "$spec"): runs, nothing feasible (exit 1, got $rc)" test $rc -eq 1
    check "$(basename "$spec"): says so" grep -q "^no configuration is feasible" "$tmp/shipped.out"
    continue
  fi
  check "$(basename "$spec"): runs and chooses (exit 0, got $rc)" test $rc -eq 0
  check "$(basename "$spec"): names the chosen configuration" grep -q "^chosen: #" "$tmp/shipped.out"
done

# --write-scenario: the base scenario with the pick's values, a header that
# says what chose it; never over an existing file; nothing when none chosen.
"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/ws.h5" --write-scenario "$tmp/ws.cfg" >/dev/null 2>&1
check "--write-scenario exits 0" test $? -eq 0
check "--write-scenario's header names the chooser" grep -q "^# Chosen by flyt optimise $tmp/mmc.opt" "$tmp/ws.cfg"
check "--write-scenario's header names the procedure and confidence" grep -q "^# Procedure: grid search .*confidence 95 %" "$tmp/ws.cfg"
check "--write-scenario sets the chosen capacity" grep -Eq "^ +capacity = 10;" "$tmp/ws.cfg"
check "--write-scenario keeps the spec's fixed changes" grep -Eq "^ +horizon_days = 600\.0;" "$tmp/ws.cfg"
"$FLYT" run "$tmp/ws.cfg" -r 2 -o "$tmp/ws-run.h5" >/dev/null 2>&1
check "the written scenario runs" test $? -eq 0
"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/ws2.h5" --write-scenario "$tmp/ws.cfg" >/dev/null 2>"$tmp/ws2.err"
check "--write-scenario over an existing file exits 2" test $? -eq 2
check "--write-scenario over an existing file runs nothing" test ! -e "$tmp/ws2.h5"
"$FLYT" optimise "$tmp/none.opt" -o "$tmp/nws.h5" --write-scenario "$tmp/nws.cfg" >/dev/null 2>&1
check "no pick: exit 1" test $? -eq 1
check "no pick: no scenario written" test ! -e "$tmp/nws.cfg"
check "no pick: no partial scenario" no_partial "$tmp/nws.cfg"

# A space beyond max_configurations: the local search by default, and the
# file says so.
cat >"$tmp/local.opt" <<EOT
scenario = "$SRC/scenarios/validation/mmc-rho070.cfg";
set = [ "run.horizon_days=1100.0", "run.warmup_days=100.0",
        "cost.units.short_term.place_year_nok=1000.0", "cost.units.short_term.bed_day_nok=10.0" ];
replications = 10;
seed = 11;
variables = ( { key = "units.short_term.capacity"; min = 8; max = 40; },
  { key = "cost.units.short_term.overflow_bed_day_nok"; min = 0.0; max = 10.0; step = 0.5; } );
objective_indifference = 200.0;
constraints = ( { kpi = "ukp_wait_mean"; max = 0.15; tolerance = 0.03; } );
max_configurations = 200;
EOT
"$FLYT" optimise "$tmp/local.opt" -o "$tmp/local.h5" >"$tmp/local.txt" 2>/dev/null
check "local search exits 0" test $? -eq 0
check "local search is said" grep -q "^local search of 693 configurations" "$tmp/local.txt"
check "local search picks c = 10" grep -Eq "^chosen: #[0-9]+ units.short_term.capacity=10 " "$tmp/local.txt"
check "a fractional variable is shown with its point" grep -Eq "overflow_bed_day_nok=[0-9]+\.[05]" "$tmp/local.txt"
check "the file says local" bash -c "h5dump -a /optimise/search '$tmp/local.h5' | grep -q '\"local\"'"
check "the file has each configuration's round" bash -c "h5dump -d /optimise/round '$tmp/local.h5' | grep -q DATA"

# Resume after SIGKILL: a journal next to the output; --resume on another
# thread count writes the same datasets as an uninterrupted run.
sed 's/run.horizon_days=600.0/run.horizon_days=20000.0/' "$tmp/mmc.opt" >"$tmp/long.opt"
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/full.h5" -t 1 >/dev/null 2>&1
check "uninterrupted long run exits 0" test $? -eq 0
check "a finished run leaves no journal" test ! -e "$tmp/full.h5.journal"
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/killed.h5" -t 2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ "$(stat -c %s "$tmp/killed.h5.journal" 2>/dev/null || echo 0)" -gt 600 ] && break; sleep 0.05; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "SIGKILL left the journal" test -s "$tmp/killed.h5.journal"
check "SIGKILL left no output" test ! -e "$tmp/killed.h5"
printf 'FYOR\x10\x02' >>"$tmp/killed.h5.journal" # a torn record, as a kill mid-write leaves
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/killed.h5" -t 2 >/dev/null 2>"$tmp/again.err"
check "a journal without --resume exits 2" test $? -eq 2
check "a journal without --resume says --resume" grep -q "add --resume" "$tmp/again.err"
"$FLYT" optimise "$tmp/mmc.opt" -o "$tmp/killed.h5" --resume >/dev/null 2>"$tmp/other.err"
check "another spec's journal exits 2" test $? -eq 2
check "another spec's journal is named" grep -q "journal of another optimisation spec" "$tmp/other.err"
check "another spec's journal writes nothing" test ! -e "$tmp/killed.h5"
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/killed.h5" -t 2 --resume >/dev/null 2>"$tmp/resume.err"
check "--resume exits 0" test $? -eq 0
check "--resume read replications back" grep -q "resumed: [1-9][0-9]* of" "$tmp/resume.err"
check "--resume removes the journal" test ! -e "$tmp/killed.h5.journal"
check "killed + resumed (-t 2) vs uninterrupted (-t 1): identical /optimise" h5diff "$tmp/full.h5" "$tmp/killed.h5" /optimise /optimise
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/term.h5" -t 2 >/dev/null 2>"$tmp/term.err" &
pid=$!
for _ in $(seq 300); do [ "$(stat -c %s "$tmp/term.h5.journal" 2>/dev/null || echo 0)" -gt 600 ] && break; sleep 0.05; done
kill -TERM $pid 2>/dev/null
wait $pid
check "SIGTERM exits 143" test $? -eq 143
check "SIGTERM says how to go on" grep -q "add --resume to go on" "$tmp/term.err"
"$FLYT" optimise "$tmp/long.opt" -o "$tmp/term.h5" -t 1 --resume >/dev/null 2>&1
check "stopped + resumed (-t 1) vs uninterrupted: identical /optimise" h5diff "$tmp/full.h5" "$tmp/term.h5" /optimise /optimise

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
