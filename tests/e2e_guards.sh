#!/usr/bin/env bash
# Runs that used to hang, ignore signals or blow up memory: a signal stops
# a replication in hand and the initial fill (exit 128 + signal, nothing
# written); a runaway during the initial fill names the unit that grows;
# a long working-day delay runs in closed form; a gridlock stops a run,
# a compare and a sweep's tasks. `timeout` here only turns a
# hang into a failure: nothing is timed.
# Usage: e2e_guards.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

# signal_stops NAME SIG WANT_RC flyt-args...: start, wait, signal, expect
# the exit status and no output file.
signal_stops() {
  local name=$1 sig=$2 want=$3; shift 3
  set -m
  "$FLYT" run --no-progress -o "$tmp/sig.h5" "$@" >"$tmp/sig.out" 2>"$tmp/sig.err" &
  local pid=$!
  set +m
  sleep "${DELAY:-3}"
  kill -s "$sig" $pid
  wait $pid
  local rc=$?
  check "$name: exit $want after SIG$sig (got $rc)" test $rc -eq "$want"
  check "$name: says it stopped" grep -q "stopped by SIG$sig" "$tmp/sig.err"
  check "$name: no output" test ! -e "$tmp/sig.h5"
  check "$name: no .partial left" no_partial "$tmp/sig.h5"
}

# A single replication of a thousand simulated years of PF1 at four times its
# size (arrivals and every capacity; no growth, so no runaway; about ten
# seconds here): a signal after one second must stop it inside the
# replication, not after.
DELAY=1 signal_stops "one long replication" TERM 143 "$SRC/scenarios/bench/pf1.cfg" -r 1 -t 1 \
  --set run.horizon_days=365000 --set run.warmup_days=100 \
  --set population.admissions_per_day=109.6 --set units.short_term.capacity=480 \
  --set units.nursing_home.capacity=4000 --set units.home_care.capacity=800
# The initial fill of ten million beds (allowed up to a billion patients):
# the fill itself honours the signal.
signal_stops "initial fill" TERM 143 -r 1 -t 1 --set run.max_patients=1000000000 \
  --set units.short_term.capacity=10000000 --set units.short_term.initial_occupancy=1.0
signal_stops "initial fill, SIGINT" INT 130 -r 1 -t 1 --set run.max_patients=1000000000 \
  --set units.short_term.capacity=10000000 --set units.short_term.initial_occupancy=1.0

# Ten million short-term beds under the default guard (2,000,000
# patients): stops during the fill, names the short-term unit by its id.
timeout -s KILL 120 "$FLYT" run --no-progress -r 1 -o "$tmp/big.h5" \
  --set units.short_term.capacity=10000000 >"$tmp/big.out" 2>"$tmp/big.err"
rc=$?
check "ten million beds: exit 1 (got $rc)" test $rc -eq 1
if grep -q "initial occupancy needs more than .* in short_term so far" "$tmp/big.err"; then ok "ten million beds: names short_term"; else
  bad "ten million beds: message does not name short_term:"; cat "$tmp/big.err"; fi
check "ten million beds: no output" test ! -e "$tmp/big.h5"

# A decision delay of a million working days: each delay in closed form
# (it used to count day by day).
timeout -s KILL 120 "$FLYT" run --no-progress -r 2 -o "$tmp/delay.h5" \
  --set decision.delay_days.mean=1e6 --set decision.delay_days.sd=1.0 \
  --set decision.working_days_only=true >"$tmp/delay.out" 2>"$tmp/delay.err"
rc=$?
check "delay of 1e6 working days: runs (exit $rc)" test $rc -eq 0

# A shift shorter than a minute is refused before anything runs.
"$FLYT" validate "$SRC/scenarios/validation/bad/shift-under-a-minute.cfg" >/dev/null 2>"$tmp/shift.err"
rc=$?
check "shift under a minute: exit 2 (got $rc)" test $rc -eq 2

# Started as several MPI ranks, a command that cannot share its work
# refuses before it reads anything (each rank would write the same file);
# one rank, or a command that only prints, goes on.
for cmd in run compare calibrate forecast merge; do
  OMPI_COMM_WORLD_SIZE=4 "$FLYT" $cmd -o "$tmp/ranks.h5" >"$tmp/ranks.out" 2>"$tmp/ranks.err"
  rc=$?
  check "4 MPI ranks: flyt $cmd exits 2 (got $rc)" test $rc -eq 2
  check "4 MPI ranks: flyt $cmd says why" grep -q "started as 4 MPI ranks (OMPI_COMM_WORLD_SIZE=4)" "$tmp/ranks.err"
  check "4 MPI ranks: flyt $cmd writes nothing" test ! -e "$tmp/ranks.h5"
done
# flyt optimise shares its replications across ranks in a -DFLYT_MPI=ON
# build (e2e_optimise_mpi.sh); without MPI it refuses and says so. (No spec:
# an MPI build stops at its options, before MPI starts.)
OMPI_COMM_WORLD_SIZE=4 "$FLYT" optimise -o "$tmp/ranks.h5" >"$tmp/ranks.out" 2>"$tmp/ranks.err"
rc=$?
check "4 MPI ranks: flyt optimise exits 2 (got $rc)" test $rc -eq 2
check "4 MPI ranks: flyt optimise writes nothing" test ! -e "$tmp/ranks.h5"
if grep -q "started as 4 MPI ranks" "$tmp/ranks.err"; then
  check "4 MPI ranks, no MPI in this build: flyt optimise says so" grep -q "this flyt was built without MPI" "$tmp/ranks.err"
else
  check "4 MPI ranks, an MPI build: flyt optimise is not refused" grep -q "name an optimisation spec" "$tmp/ranks.err"
fi
PMI_SIZE=2 "$FLYT" run -o "$tmp/ranks.h5" >/dev/null 2>"$tmp/ranks.err"
check "PMI_SIZE=2: flyt run refused" test $? -eq 2
OMPI_COMM_WORLD_SIZE=1 "$FLYT" run -r 2 --no-progress -o "$tmp/one.h5" --set run.horizon_days=200 >/dev/null 2>&1
check "one MPI rank: flyt run runs" test $? -eq 0
OMPI_COMM_WORLD_SIZE=4 "$FLYT" validate "$SRC/scenarios/trondheim-2025.cfg" >/dev/null 2>&1
check "4 MPI ranks: flyt validate still runs" test $? -eq 0

# Gridlock: patients waiting for places that can never free up stop the
# replication (exit 1, nothing written) with the day and the units; a
# closure that a later schedule ends runs to the horizon.
V=$SRC/scenarios/validation
"$FLYT" run --no-progress -o "$tmp/gl.h5" "$V/gridlock-closure.cfg" >/dev/null 2>"$tmp/gl.err"
rc=$?
check "closed for good: exit 1 (got $rc)" test $rc -eq 1
if grep -q "stopped early: gridlock on day 50: .*nursing_home (closed)" "$tmp/gl.err"; then
  ok "closed for good: names the day and nursing_home"; else
  bad "closed for good: message:"; cat "$tmp/gl.err"; fi
check "closed for good: no output" test ! -e "$tmp/gl.h5"
"$FLYT" run --no-progress -o "$tmp/gl.h5" "$V/gridlock-cycle.cfg" >/dev/null 2>"$tmp/gl.err"
rc=$?
check "cycle: exit 1 (got $rc)" test $rc -eq 1
if grep -q "gridlock on day [0-9]*: .*short_term (full, waits for rehab), rehab (full, waits for short_term)" "$tmp/gl.err"; then
  ok "cycle: names both units"; else
  bad "cycle: message:"; cat "$tmp/gl.err"; fi
"$FLYT" run -r 1 --no-progress -o "$tmp/gl.h5" --set units.home_care.capacity=1e-300 \
  >/dev/null 2>"$tmp/gl.err"
rc=$?
check "strict FIFO caseload whose first applicant never fits: exit 1 (got $rc)" test $rc -eq 1
check "... named, with the hours asked and open" grep -q "gridlock on day [0-9]*: .*home_care (strict FIFO, head asks [0-9.e+-]* h/week > 1e-300 ever open)" "$tmp/gl.err"
"$FLYT" run --no-progress -o "$tmp/gl.h5" "$V/near-gridlock.cfg" >/dev/null 2>"$tmp/gl.err"
rc=$?
check "closure that reopens: exit 0 (got $rc)" test $rc -eq 0
check "closure that reopens: no gridlock" test "$(grep -c "gridlock on day" "$tmp/gl.err")" -eq 0
"$FLYT" compare --no-progress -o "$tmp/glc.h5" "$V/near-gridlock.cfg" "$V/gridlock-closure.cfg" \
  >/dev/null 2>"$tmp/gl.err"
rc=$?
check "compare with a gridlock: exit 1 (got $rc)" test $rc -eq 1
check "compare with a gridlock: names the scenario" \
  grep -q "scenario 'gridlock-closure': replication 0 stopped early: gridlock on day 50" "$tmp/gl.err"
# A sweep keeps its gridlocked tasks (status 5) as results, says so and
# exits 1; the file it writes reads back.
cat >"$tmp/gl-sweep.cfg" <<EOF
name = "gridlock-sweep";
base = "$(cd "$V" && pwd)/gridlock-closure.cfg";
replications = 2;
design = "grid";
parameters = ( { key = "units.short_term.capacity"; values = [20, 25]; } );
EOF
"$FLYT" sweep "$tmp/gl-sweep.cfg" -t 1 --no-slurm --no-progress -o "$tmp/gls.h5" \
  >/dev/null 2>"$tmp/gl.err"
rc=$?
check "sweep with gridlocks: exit 1 (got $rc)" test $rc -eq 1
check "sweep with gridlocks: one line for all four" \
  grep -q "stopped early: gridlock on day 50: .*(and 3 more tasks stopped the same way)" "$tmp/gl.err"
"$FLYT" report "$tmp/gls.h5" >/dev/null 2>"$tmp/gl-report.err"
rc=$?
check "sweep with gridlocks: its file reads back (got $rc)" test $rc -eq 0

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
