#!/usr/bin/env bash
# Counts at the warm-up boundary: every count KPI (and the means the logs
# allow) recomputed from the event log by tests/check_warmup_counts.py with
# the rules of docs/kpis.md, on scenarios whose units are full with queues at
# the warm-up, and with the warm-up moved to 0 and into the middle of a day.
# The checker itself must notice a count that is off by one.
# Usage: e2e_warmup_counts.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_warmup_counts: /usr/bin/python3 with h5py and numpy is not installed"
  exit 0
fi
CHECK=("$PY" "$SRC/tests/check_warmup_counts.py")
V="$SRC/scenarios/validation"

# run NAME SCENARIO CHECKER-OPTIONS -- FLYT-OPTIONS
run() {
  local name=$1 cfg=$2; shift 2
  local opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do opts+=("$1"); shift; done
  shift
  "$FLYT" run "$cfg" "$@" -t 2 --no-progress --events --patients -o "$tmp/$name.h5" \
    >/dev/null 2>"$tmp/$name.err"
  check "$name: run exits 0" test $? -eq 0
  "${CHECK[@]}" "$tmp/$name.h5" "${opts[@]}" >"$tmp/$name.txt"
  check "$name: every checked KPI equals its recount from the event log" test $? -eq 0
  grep -v 'values differ over' "$tmp/$name.txt" | head -20
  tail -1 "$tmp/$name.txt"
}

run nh-queue "$V/warmup-nh-queue.cfg" --
run nh-queue-no-warmup "$V/warmup-nh-queue.cfg" -- \
  --set run.warmup_days=0
run nh-queue-late-warmup "$V/warmup-nh-queue.cfg" -- \
  --set run.warmup_days=41.3
# the window shorter than the readmission window: no discharge counts (NaN)
run nh-queue-short-window "$V/warmup-nh-queue.cfg" -- \
  --set run.warmup_days=51.7
run rich "$V/warmup-rich.cfg" --
run rich-no-warmup "$V/warmup-rich.cfg" -- --set run.warmup_days=0
run coordinator "$SRC/scenarios/trondheim-2025-coordinator.cfg" -- \
  --set run.horizon_days=200 --set run.warmup_days=30 -r 2
run rett-hjem "$SRC/scenarios/trondheim-2025-rett-hjem.cfg" -- \
  --set run.horizon_days=200 --set run.warmup_days=30 -r 2

check "nh-queue: the issue's case, admissions = deaths in full nursing homes" "$PY" -c "
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1])
k = list(f['units'].attrs['kpi'])
u = list(f['units/ids'].asstr()[:]).index('nursing_home')
nh = f['units/kpis'][:, u, :]
adm, dead = nh[:, k.index('admissions')], nh[:, k.index('deaths')]
assert np.array_equal(adm, dead), (adm, dead)
" "$tmp/nh-queue.h5"

# The checker must be able to fail: one admission more in one replication.
cp "$tmp/nh-queue.h5" "$tmp/tampered.h5"
"$PY" -c "
import h5py, sys
with h5py.File(sys.argv[1], 'r+') as f:
    k = list(f['units'].attrs['kpi']).index('admissions')
    u = list(f['units/ids'].asstr()[:]).index('nursing_home')
    f['units/kpis'][2, u, k] += 1
" "$tmp/tampered.h5"
"${CHECK[@]}" "$tmp/tampered.h5" >"$tmp/tampered.txt"
check "the checker fails (exit 1) on a count that is off by one" test $? -eq 1
check "... and names the KPI and replication" grep -q 'replication 2: units.nursing_home.admissions' \
  "$tmp/tampered.txt"
"$FLYT" run "$V/warmup-nh-queue.cfg" --no-progress -o "$tmp/nolog.h5" >/dev/null 2>&1
"${CHECK[@]}" "$tmp/nolog.h5" >/dev/null 2>&1
check "the checker refuses a file without logs (exit 2)" test $? -eq 2

echo "e2e_warmup_counts: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
