#!/usr/bin/env bash
# flyt run --patients / --events: the logs are in the file as
# docs/hdf5-layout.md says, identical for 1 and 2 threads, leave every
# result as a run without them gives, re-aggregate to the KPIs flyt
# reported (analysis/reaggregate.py, within 1e-9), and memory stays flat
# when the horizon grows tenfold (peak RSS from /usr/bin/time -v).
# Usage: e2e_logs.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

CO="$SRC/scenarios/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=200 --set run.warmup_days=30 -r 3 --no-progress)
"$FLYT" run "$CO" "${SHORT[@]}" -t 1 --patients --events -o "$tmp/t1.h5" >/dev/null 2>&1
check "run --patients --events exits 0" test $? -eq 0
check "no partial file left" no_partial "$tmp/t1.h5"
"$FLYT" run "$CO" "${SHORT[@]}" -t 2 --patients --events -o "$tmp/t2.h5" >/dev/null 2>&1
"$FLYT" run "$CO" "${SHORT[@]}" -t 2 -o "$tmp/plain.h5" >/dev/null 2>&1
for g in /patients /events; do
  check "$g identical for 1 and 2 threads" h5diff "$tmp/t1.h5" "$tmp/t2.h5" $g $g
done
for g in /replications /summary /series /roles; do
  check "$g unchanged by logging" h5diff "$tmp/plain.h5" "$tmp/t1.h5" $g $g
done
check "h5dump reads the logs (enum names shown)" bash -c \
  "h5dump -d /patients/exit_reason '$tmp/t1.h5' | grep -q 'in_system'"
"$FLYT" run "$CO" "${SHORT[@]}" --events -o "$tmp/ev.h5" >/dev/null 2>&1
check "--events alone writes /events, no /patients" "$PY" -c "
import h5py, sys
f = h5py.File(sys.argv[1])
assert 'events' in f and 'patients' not in f and f.attrs['events_log'] == 1
" "$tmp/ev.h5"
"$FLYT" run "$CO" "${SHORT[@]}" --patients -o "$tmp/none/x.h5" >/dev/null 2>&1
check "an unwritable output fails before running (exit 1)" test $? -eq 1

if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_logs python checks: /usr/bin/python3 with h5py and numpy is not installed"
else
  check "logs match the layout document" "$PY" "$SRC/tests/check_layout.py" \
    "$SRC/docs/hdf5-layout.md" "$tmp/t1.h5" run --logs
  "$PY" "$SRC/analysis/reaggregate.py" "$tmp/t1.h5" --check >"$tmp/re.txt"
  check "reaggregate.py gives flyt's KPIs per replication" test $? -eq 0
  tail -1 "$tmp/re.txt"
  check "every episode is closed once; events and patients agree" "$PY" -c "
import h5py, sys, numpy as np
f = h5py.File(sys.argv[1])
p, e = f['patients'], f['events']
key = np.stack([p['replication'][:], p['patient'][:], p['episode'][:]], axis=1)
assert len(np.unique(key, axis=0)) == len(key), 'an episode twice'
ev = e['event'][:]
n_exit, n_readm = np.sum(ev == 9), np.sum(ev == 2)
reason = p['exit_reason'][:]
assert np.sum(reason != 5) == n_exit + n_readm, (np.sum(reason != 5), n_exit, n_readm)
t = e['t'][:]; r = e['replication'][:]
assert np.all(np.diff(r) >= 0), 'replications out of order'
for rep in np.unique(r):
    tt = t[(r == rep) & (ev != 0)]
    assert np.all(np.diff(tt) >= 0), 'events out of time order'
" "$tmp/t1.h5"
fi

# Peak memory at two horizons, 1 thread: logging streams, so a tenfold
# horizon (tenfold rows) must not mean much more memory. Without the
# scenario's demographic growth: 3 % a year puts a third more patients in
# the system after eleven years, and memory rightly follows patients.
# AddressSanitizer's quarantine holds freed memory, so RSS says nothing there.
if ldd "$FLYT" 2>/dev/null | grep -q libasan || grep -qa __asan_init "$FLYT"; then
  echo "SKIP memory check: flyt is built with AddressSanitizer"
elif [ -x /usr/bin/time ]; then
  rss() {
    /usr/bin/time -v "$FLYT" run "$CO" --set run.horizon_days="$1" --set run.warmup_days=30 \
      --set population.growth_per_year=0.0 \
      -r 2 -t 1 --no-progress --patients --events -o "$tmp/h$1.h5" 2>&1 >/dev/null |
      awk '/Maximum resident/ {print $NF}'
  }
  a=$(rss 400)
  b=$(rss 4000)
  rows_a=$("$PY" -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['events/t']))" "$tmp/h400.h5" 2>/dev/null || echo ?)
  rows_b=$("$PY" -c "import h5py,sys; print(len(h5py.File(sys.argv[1])['events/t']))" "$tmp/h4000.h5" 2>/dev/null || echo ?)
  echo "  peak RSS: horizon 400 d: ${a} kB ($rows_a events); 4000 d: ${b} kB ($rows_b events)"
  check "peak memory does not grow with the horizon (< 1.5x for 10x rows)" \
    test "$((b * 2))" -lt "$((a * 3))"
else
  echo "SKIP memory check: /usr/bin/time is not installed"
fi

echo "e2e_logs: $pass passed, $fail failed"
test "$fail" -eq 0
