#!/usr/bin/env bash
# End to end for flyt sweep and flyt merge: dry run, bad sweep files,
# bit-identical results from 1 thread, 2 threads, 3 shards + merge and a
# Slurm job array's variables, merge refusing a missing or foreign shard,
# the HDF5 layout through h5py, and a run killed with SIGKILL midway and
# resumed, compared with an uninterrupted one.
# Usage: e2e_sweep.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
SW=$SRC/scenarios/sweeps/test
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
same() { # same NAME A B: the result groups are identical, bit for bit
  local name=$1 a=$2 b=$3 g r=0
  for g in /tasks /points /parameters /summary /units; do
    h5diff "$a" "$b" $g $g >/dev/null 2>&1 || { echo "  $g differs"; r=1; }
  done
  if [ $r -eq 0 ]; then ok "$name"; else bad "$name"; fi
}
cd "$tmp" || exit 1

"$FLYT" sweep --help >/dev/null; check "sweep --help exits 0" test $? -eq 0
"$FLYT" merge --help >/dev/null; check "merge --help exits 0" test $? -eq 0
"$FLYT" sweep 2>/dev/null; check "sweep without a file exits 2" test $? -eq 2

# Dry run: the points and the task count, nothing written.
"$FLYT" sweep "$SW/grid.cfg" --dry-run >dry.txt 2>&1
check "dry run exits 0" test $? -eq 0
check "dry run prints the task count" grep -q "6 points x 3 replications = 18 tasks" dry.txt
check "dry run prints the points" grep -Eq "^5 +140 +2.0$" dry.txt
check "dry run writes nothing" test ! -e flyt-sweep.h5 -a ! -e flyt-sweep.h5.journal
"$FLYT" sweep "$SW/grid.cfg" --dry-run --shard 1/4 | grep -q "shard 1/4: 5 tasks"
check "dry run counts a shard's tasks" test $? -eq 0

# Bad sweep files: exit 2, file:line, before any work.
cat >bad.cfg <<EOF
base = "$SRC/scenarios/trondheim-2025.cfg";
design = "grid";
parameters = (
  { key = "units.short_term.bedz"; values = [100, 120]; }
);
EOF
"$FLYT" sweep bad.cfg -o bad.h5 2>bad.err
check "unknown key path exits 2" test $? -eq 2
check "unknown key path names the sweep file's line" grep -q "^bad.cfg:4: error: units.short_term.bedz: unknown key" bad.err
check "bad sweep writes nothing" test ! -e bad.h5 -a ! -e bad.h5.journal
printf 'base = "%s/scenarios/trondheim-2025.cfg";\ndesign = "sobol";\nn = 0;\nparameters = ( { key = "units.short_term.capacity"; min = 100; max = 90; } );\n' "$SRC" >bad2.cfg
"$FLYT" sweep bad2.cfg --dry-run 2>bad2.err
check "bad range and n < 1 exit 2" test $? -eq 2
check "n < 1 is reported at its line" grep -q "^bad2.cfg:3: error: n: must be between 1" bad2.err
check "a bad range is reported at its line" grep -q "^bad2.cfg:4: error: parameters\[0\]: bad range" bad2.err

# One process, two threads, three shards + merge: identical datasets.
"$FLYT" sweep "$SW/grid.cfg" -t 1 -o one.h5 >one.txt 2>one.err
check "1-thread sweep exits 0" test $? -eq 0
check "no journal left after a finished run" test ! -e one.h5.journal
check "summary table printed" grep -q "ukp_wait_mean" one.txt
check "the units' utilisation printed per point" grep -Eq "^units.<id>.utilisation \(fraction\)$" one.txt
check "short_term's utilisation is a column" grep -Eq "^point +short_term +nursing_home" one.txt
"$FLYT" sweep "$SW/grid.cfg" -t 2 -o two.h5 >/dev/null 2>&1
check "2-thread sweep exits 0" test $? -eq 0
same "1 thread vs 2 threads: identical" one.h5 two.h5
mkdir shards
for i in 0 1 2; do "$FLYT" sweep "$SW/grid.cfg" --shard $i/3 -t 1 -o shards >/dev/null 2>&1 || bad "shard $i/3"; done
check "shard files named by default" test -s shards/test-grid.shard-2-of-3.h5
"$FLYT" merge shards/*.h5 -o merged.h5 >/dev/null 2>merge.err
check "merge exits 0" test $? -eq 0
same "1 thread vs 3 shards merged: identical" one.h5 merged.h5
mkdir slurm
for id in 1 2 3 4; do
  SLURM_ARRAY_TASK_ID=$id SLURM_ARRAY_TASK_MIN=1 SLURM_ARRAY_TASK_COUNT=4 \
    "$FLYT" sweep "$SW/grid.cfg" -o slurm >/dev/null 2>&1 || bad "array task $id"
done
check "job array names shards 0..3" test -s slurm/test-grid.shard-3-of-4.h5
"$FLYT" merge slurm/*.h5 -o slurm.h5 >/dev/null 2>&1
same "1 thread vs a 4-task job array merged: identical" one.h5 slurm.h5

# The national region (357 municipalities, 1092 units, a 660 KB scenario
# text): 1 thread, 2 threads and 3 shards + merge, bit for bit.
"$FLYT" sweep "$SW/region.cfg" -t 1 -o r1.h5 >/dev/null 2>r1.err
check "region sweep, 1 thread, exits 0" test $? -eq 0
"$FLYT" sweep "$SW/region.cfg" -t 2 -o r2.h5 >/dev/null 2>&1
same "region: 1 thread vs 2 threads: identical" r1.h5 r2.h5
mkdir rshards
for i in 0 1 2; do "$FLYT" sweep "$SW/region.cfg" --shard $i/3 -t 1 -o rshards >/dev/null 2>&1 || bad "region shard $i/3"; done
"$FLYT" merge rshards/*.h5 -o rmerged.h5 >/dev/null 2>&1
check "region merge exits 0" test $? -eq 0
same "region: 1 thread vs 3 shards merged: identical" r1.h5 rmerged.h5

# Merge refuses what is not one complete sweep, writing nothing.
"$FLYT" merge shards/test-grid.shard-0-of-3.h5 shards/test-grid.shard-2-of-3.h5 -o m.h5 2>m.err
check "missing shard exits 2" test $? -eq 2
check "missing shard is named" grep -q "shard 1/3 (by default test-grid.shard-1-of-3.h5) is missing" m.err
check "missing shard: nothing written" test ! -e m.h5
"$FLYT" sweep "$SW/list.cfg" --shard 0/3 -o other.h5 >/dev/null 2>&1
"$FLYT" merge shards/*.h5 other.h5 -o m.h5 2>m2.err
check "shard of another sweep exits 2" test $? -eq 2
check "shard of another sweep is named" grep -q "'other.h5' comes from another sweep file" m2.err
"$FLYT" merge shards/*.h5 shards/test-grid.shard-1-of-3.h5 -o m.h5 2>m3.err
check "a task twice exits 2" test $? -eq 2
check "a task twice is named" grep -q "task 1 (point 0, replication 1) is in both" m3.err
"$FLYT" merge one.txt -o m.h5 2>/dev/null
check "merge refuses a file that is not HDF5" test $? -eq 2

# The layout, read as a reviewer would.
"$FLYT" sweep "$SW/list.cfg" --series -o series.h5 >/dev/null 2>&1
cat >read.py <<'PYEOF'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
# root attributes are fixed-length strings (format version 3): bytes in h5py
assert f.attrs["format"] == b"flyt" and f.attrs["kind"] == b"sweep"
assert int(f.attrs["format_version"]) == 3
assert "units.short_term.capacity" in f.attrs["sweep_text"].decode()
assert "trondheim" in f.attrs["base_text"].decode()
assert len(f.attrs["sweep_hash"]) == 16
assert int(f.attrs["n_tasks"]) == 18 and int(f.attrs["replications"]) == 3
assert list(f["parameters/key"].asstr()[:]) == ["units.short_term.capacity", "decision.delay_days.mean"]
beds = f["points/units.short_term.capacity"][:]
assert list(beds) == [110, 110, 125, 125, 140, 140], beds
assert f["points/set"].asstr()[1] == "units.short_term.capacity=110 decision.delay_days.mean=2.0"
t = f["tasks"]
assert list(t["point"][:]) == [p for p in range(6) for _ in range(3)]
assert list(t["replication"][:]) == [0, 1, 2] * 6
w = t["ukp_wait_mean"][:]
assert t["ukp_wait_mean"].attrs["units"] == "days"
kpis = list(f["summary/kpi"].asstr()[:])
k = kpis.index("ukp_wait_mean")
m = f["summary/mean"][:]
assert m.shape == (6, len(kpis))
for p in range(6):
    assert abs(m[p, k] - w[3 * p:3 * p + 3].mean()) < 1e-9
    assert f["summary/ci95_low"][p, k] < m[p, k] < f["summary/ci95_high"][p, k]
# common random numbers: replication r has the same arrivals at every point
a = t["arrivals"][:].reshape(6, 3)
assert (a == a[0]).all(), a
# a longer decision delay means longer waits, at every bed count
assert all(m[2 * i + 1, k] > m[2 * i, k] for i in range(3))
assert "series" not in f
# per unit: a [task x kpi] table and a [point x kpi x statistic] summary
ids = list(f["units/ids"].asstr()[:])
assert ids == ["hospital", "short_term", "nursing_home", "home_care"], ids
uk = [k.decode() for k in f["units"].attrs["kpi"]]
assert len(f["units"].attrs["kpi_units"]) == len(uk)
c, occ = uk.index("capacity"), uk.index("occupancy")
st = f["units/short_term/kpis"][:]
assert st.shape == (18, len(uk)) and f["units/short_term/kpis"].attrs["dimensions"] == "task, kpi"
assert list(st[:, c]) == [b for b in (110, 125, 140) for _ in range(6)], st[:, c]
us = f["units/short_term/summary"]
assert us.shape == (6, len(uk), 5) and us.attrs["columns"] == "mean,sd,ci95_low,ci95_high,n"
for p in range(6):
    assert abs(us[p, occ, 0] - st[3 * p:3 * p + 3, occ].mean()) < 1e-9
    assert us[p, occ, 2] < us[p, occ, 0] < us[p, occ, 3] and us[p, occ, 4] == 3
# the hospital has no capacity: NaN, and n = 0 in its summary
assert np.isnan(f["units/hospital/kpis"][:, c]).all() and (f["units/hospital/summary"][:, c, 4] == 0).all()
s = h5py.File(sys.argv[2], "r")
assert s["series/ukp_waiting"].shape == (6, 90), s["series/ukp_waiting"].shape
assert list(s["points/units.home_care.queue"].asstr()[:]) == ['"strict_fifo"', '"first_fit"', '"strict_fifo"']
print("h5py ok")
PYEOF
check "h5py reads the sweep layout" $PY read.py one.h5 series.h5

# Killed with SIGKILL midway, then resumed: the same file as a run that
# was never interrupted.
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o full.h5 >/dev/null 2>&1
check "uninterrupted slow sweep exits 0" test $? -eq 0
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o killed.h5 >/dev/null 2>&1 &
pid=$!
# Kill once a few tasks are journalled (header 56 bytes, about 1000 per task).
for _ in $(seq 1 1000); do
  size=$(stat -c %s killed.h5.journal 2>/dev/null || echo 0)
  [ "$size" -ge 2700 ] && break
  sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
check "killed run left no output" test ! -e killed.h5
check "killed run left its journal" test -s killed.h5.journal
printf 'FYTR\x10\x02\x00' >>killed.h5.journal # a torn record, as a crash mid-write leaves
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o killed.h5 >/dev/null 2>again.err
check "rerun without --resume refuses to throw work away" test $? -eq 2
check "and says --resume" grep -q -- "--resume" again.err
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o killed.h5 --resume >/dev/null 2>resume.err
check "resumed run exits 0" test $? -eq 0
check "resumed run skipped finished tasks" grep -Eq "resuming: [1-9][0-9]* of 80 tasks already done" resume.err
same "killed + resumed vs uninterrupted: identical" full.h5 killed.h5
check "journal removed once the file is written" test ! -e killed.h5.journal
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o killed.h5 --resume >/dev/null 2>done.err
check "resuming a finished run does nothing" grep -q "nothing to do" done.err

# SIGTERM (Slurm's time limit): no new task starts, the finished ones stay
# in the journal, exit 143, and --resume completes the same file.
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o termed.h5 >/dev/null 2>term.err &
pid=$!
for _ in $(seq 1 1000); do
  size=$(stat -c %s termed.h5.journal 2>/dev/null || echo 0)
  [ "$size" -ge 2700 ] && break
  sleep 0.01
done
kill -TERM $pid 2>/dev/null
wait $pid
rc=$?
if [ -e termed.h5 ]; then
  check "SIGTERM after the last task: the file is complete" test "$rc" -eq 0
else
  check "SIGTERM stops the sweep with exit 143" test "$rc" -eq 143
  check "and says how to resume" grep -q -- "--resume" term.err
  check "SIGTERM kept the journal" test -s termed.h5.journal
  "$FLYT" sweep "$SW/slow.cfg" -t 2 -o termed.h5 --resume >/dev/null 2>/dev/null
  check "resumed after SIGTERM exits 0" test $? -eq 0
fi
same "stopped by SIGTERM + resumed vs uninterrupted: identical" full.h5 termed.h5

# A sweep too large for memory names the limit it hit and its size, at
# once, before any work (under ulimit -v; a sanitizer build, which needs
# more address space than that, skips it).
printf 'base = "%s/scenarios/trondheim-2025.cfg";\nreplications = 1000000;\ndesign = "grid";\nparameters = ( { key = "units.short_term.capacity"; values = [100, 110, 120, 130, 140, 150, 160, 170, 180, 190]; } );\n' "$SRC" >huge.cfg
if (ulimit -v 2000000 && "$FLYT" --help >/dev/null 2>&1); then
  (ulimit -v 2000000 && "$FLYT" sweep huge.cfg -o huge.h5 >/dev/null 2>huge.err)
  check "a sweep too large for memory exits 1" test $? -eq 1
  check "and says how many tasks and how much memory" \
    grep -q "out of memory for the results of 10000000 tasks (10 points x 1000000 replications, [0-9.]* GB)" huge.err
  check "and writes nothing" test ! -e huge.h5 -a ! -e huge.h5.journal
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
