#!/usr/bin/env bash
# Checkpoints of flyt run and flyt compare: a run stopped by SIGTERM (a
# Slurm time limit) at random points, or killed with SIGKILL mid-write,
# resumed with --resume until it completes, gives the same datasets as an
# uninterrupted run; the journal is refused without --resume or when it is
# another run's, and removed once the file is written. Where the signal
# lands is random, but every check holds wherever it lands.
# Usage: e2e_checkpoint.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
cd "$tmp" || exit 1
COORD=$SRC/scenarios/trondheim-2025-coordinator.cfg
BASE=$SRC/scenarios/trondheim-2025.cfg
# about 0.03 s per replication on one core (more under the sanitizers)
Q=(--no-progress -t 2 --set run.horizon_days=500 --set run.warmup_days=60)

# same NAME A B: the two files hold the same datasets, bit for bit
# (attributes such as the command line and wall time differ by nature)
same() {
  if "$PY" - "$2" "$3" <<'PYEOF'; then ok "$1"; else bad "$1"; fi
import sys, h5py
def content(o):  # strings by value, numbers by their bytes
    v = o[()]
    return str(v.tolist()) if o.dtype.kind == "O" else v.tobytes()
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o.shape, content(o)))
                     if isinstance(o, h5py.Dataset) else None)
    return out
a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
bad = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
for k in bad:
    print("  differs:", k)
sys.exit(1 if bad or not a else 0)
PYEOF
}

# stop_and_resume NAME OUT CMD...: SIGTERM after a random 0.3-1.5 s, then
# again on each --resume, until a run completes (at most 40 rounds).
# Prints the number of rounds stopped by SIGTERM and that resumed.
stop_and_resume() {
  local out=$1 rounds=0 stopped=0 resumed=0 rc pid extra=()
  shift
  # at most 6 stops at random points, then the run is let finish (a slow
  # sanitizer build would otherwise never get to the end)
  while [ $rounds -lt 7 ]; do
    rounds=$((rounds + 1))
    "$@" -o "$out" "${extra[@]}" >/dev/null 2>"$out.err" &
    pid=$!
    if [ $rounds -lt 7 ]; then
      sleep "$(awk -v r="$RANDOM" 'BEGIN { printf "%.2f", 0.3 + (r % 120) / 100 }')"
      kill -TERM $pid 2>/dev/null
    fi
    wait $pid
    rc=$?
    grep -q "resuming: " "$out.err" && resumed=$((resumed + 1))
    [ $rc -eq 0 ] && break
    if [ $rc -ne 143 ]; then
      echo "  unexpected exit $rc:" >&2 && cat "$out.err" >&2
      break
    fi
    stopped=$((stopped + 1))
    grep -q "no output written" "$out.err" || { echo "  no 'no output written'" >&2; cat "$out.err" >&2; }
    extra=(--resume)
  done
  echo "$stopped $resumed $rc"
}

# --- flyt run ---------------------------------------------------------------
"$FLYT" run "$COORD" "${Q[@]}" -r 960 -o full.h5 >/dev/null 2>full.err
check "uninterrupted run exits 0" test $? -eq 0
check "a finished run leaves no journal" test ! -e full.h5.journal

read -r stopped resumed rc < <(stop_and_resume part.h5 "$FLYT" run "$COORD" "${Q[@]}" -r 960)
echo "  run: stopped $stopped times, resumed $resumed times"
check "run stopped by SIGTERM, resumed until done: exit 0" test "$rc" -eq 0
check "run was stopped at least once" test "$stopped" -ge 1
check "a resumed run loaded the journal" test "$resumed" -ge 1
same "stopped + resumed run vs uninterrupted: identical datasets" full.h5 part.h5
check "journal removed once the file is written" test ! -e part.h5.journal

# The message names the kept replications and the command to go on.
"$FLYT" run "$COORD" "${Q[@]}" -r 400 -o msg.h5 >/dev/null 2>msg.err &
pid=$!
for _ in $(seq 100); do [ -s msg.h5.journal ] && break; sleep 0.1; done
kill -TERM $pid
wait $pid
check "SIGTERM: exit 143" test $? -eq 143
check "SIGTERM: says where the finished replications are" \
  grep -q "finished replications are kept in 'msg.h5.journal': run the same command with --resume" msg.err
"$FLYT" run "$COORD" "${Q[@]}" -r 400 -o msg.h5 >/dev/null 2>again.err
check "journal without --resume: exit 2" test $? -eq 2
check "journal without --resume: says add --resume or delete it" \
  grep -q "msg.h5.journal' holds the finished replications of an interrupted run: add --resume" again.err
"$FLYT" run "$COORD" "${Q[@]}" -r 400 --seed 5 -o msg.h5 --resume >/dev/null 2>other.err
check "another run's journal (other seed): exit 2" test $? -eq 2
check "another run's journal: says so" grep -q "holds the replications of another run" other.err
check "another run's journal is left alone" test -s msg.h5.journal
"$FLYT" run "$COORD" "${Q[@]}" -r 400 -o msg.h5 --resume --patients >/dev/null 2>logs.err
check "--resume with --patients: exit 2" test $? -eq 2
check "--resume with --patients: says why" grep -q "cannot be used with --patients" logs.err
rm -f msg.h5.journal

# SIGKILL (after Slurm's KillWait) mid-write: a torn record is cut off.
"$FLYT" run "$COORD" "${Q[@]}" -r 960 -o killed.h5 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 100); do [ "$(stat -c %s killed.h5.journal 2>/dev/null || echo 0)" -gt 100000 ] && break; sleep 0.1; done
kill -KILL $pid
wait $pid 2>/dev/null
check "SIGKILL left the journal" test -s killed.h5.journal
check "SIGKILL left no output" test ! -e killed.h5
printf 'FYCP\x10\x02\x00' >>killed.h5.journal # a torn record, as a kill mid-write leaves
"$FLYT" run "$COORD" "${Q[@]}" -r 960 -o killed.h5 --resume >/dev/null 2>killed.err
check "resume after SIGKILL and a torn record: exit 0" test $? -eq 0
same "killed + resumed run vs uninterrupted: identical datasets" full.h5 killed.h5

# --resume with no journal is a plain run; a stop before any replication
# finished leaves no journal behind.
"$FLYT" run "$COORD" "${Q[@]}" -r 3 -o fresh.h5 --resume >/dev/null 2>&1
check "--resume without a journal: a plain run" test $? -eq 0
"$FLYT" run "$COORD" --no-progress -r 1 -t 1 --set run.horizon_days=365000 \
  --set run.warmup_days=100 -o early.h5 >/dev/null 2>&1 &
pid=$!
sleep 1
kill -TERM $pid
wait $pid
check "stopped inside the first replication: exit 143" test $? -eq 143
check "stopped before any replication finished: no journal" test ! -e early.h5.journal

# --- flyt compare -----------------------------------------------------------
"$FLYT" compare "$BASE" "$COORD" "${Q[@]}" -r 400 -o cfull.h5 >/dev/null 2>cfull.err
check "uninterrupted compare exits 0" test $? -eq 0
read -r stopped resumed rc < <(stop_and_resume cpart.h5 "$FLYT" compare "$BASE" "$COORD" "${Q[@]}" -r 400)
echo "  compare: stopped $stopped times, resumed $resumed times"
check "compare stopped by SIGTERM, resumed until done: exit 0" test "$rc" -eq 0
check "compare was stopped at least once" test "$stopped" -ge 1
check "a resumed compare loaded the journal" test "$resumed" -ge 1
same "stopped + resumed compare vs uninterrupted: identical datasets" cfull.h5 cpart.h5
check "compare journal removed once the file is written" test ! -e cpart.h5.journal

# -r auto: the rounds resume where they stopped (the journal holds up to
# --max-replications), and end at the count and figures of an
# uninterrupted run.
A=(-r auto --precision 0.01 --max-replications 300)
"$FLYT" run "$COORD" "${Q[@]}" "${A[@]}" -o afull.h5 >/dev/null 2>afull.err
check "-r auto run exits 0" test $? -eq 0
read -r stopped resumed rc < <(stop_and_resume apart.h5 "$FLYT" run "$COORD" "${Q[@]}" "${A[@]}")
echo "  run -r auto: stopped $stopped times, resumed $resumed times"
check "-r auto run stopped and resumed until done: exit 0" test "$rc" -eq 0
same "-r auto run: stopped + resumed vs uninterrupted: identical datasets" afull.h5 apart.h5
check "-r auto run: journal removed once the file is written" test ! -e apart.h5.journal
"$FLYT" compare "$BASE" "$COORD" "${Q[@]}" -r auto --precision 0.05 -o acfull.h5 >/dev/null 2>acfull.err
check "-r auto compare exits 0" test $? -eq 0
read -r stopped resumed rc < <(stop_and_resume acpart.h5 "$FLYT" compare "$BASE" "$COORD" "${Q[@]}" -r auto --precision 0.05)
echo "  compare -r auto: stopped $stopped times, resumed $resumed times"
check "-r auto compare stopped and resumed until done: exit 0" test "$rc" -eq 0
same "-r auto compare: stopped + resumed vs uninterrupted: identical datasets" acfull.h5 acpart.h5

check "compare --help documents --resume" bash -c "'$FLYT' compare --help | grep -q -- '--resume'"
check "no temporary or lock file left" bash -c "! ls -a | grep -Eq '\.partial\.|\.lock$'"

echo "e2e_checkpoint: $pass passed, $fail failed"
test "$fail" -eq 0
