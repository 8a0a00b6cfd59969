#!/usr/bin/env bash
# Open MPI end to end (registered only for a -DFLYT_MPI=ON build):
# `mpirun -np 4` over two cores gives the same datasets as one process,
# with and without --series, and resumes from a journal like a plain run.
# Usage: e2e_sweep_mpi.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
SW=$SRC/scenarios/sweeps/test
# CI runs as root; Open MPI refuses that unless told twice.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No network probing for a one-host run.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN=(mpirun --oversubscribe)
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
same() {
  local name=$1 a=$2 b=$3 g r=0
  shift 3
  for g in /tasks /points /parameters /summary /units "$@"; do
    h5diff "$a" "$b" $g $g >/dev/null 2>&1 || { echo "  $g differs"; r=1; }
  done
  if [ $r -eq 0 ]; then ok "$name"; else bad "$name"; fi
}
cd "$tmp" || exit 1

"$FLYT" sweep "$SW/grid.cfg" -t 1 -o one.h5 >/dev/null 2>&1
check "plain run of the MPI build exits 0 (no mpirun needed)" test $? -eq 0
"${MPIRUN[@]}" -np 4 "$FLYT" sweep "$SW/grid.cfg" -o mpi4.h5 >mpi4.txt 2>mpi4.err
check "mpirun -np 4 exits 0" test $? -eq 0
check "one summary table, from rank 0" test "$(grep -c '^point.*ukp_wait_mean' mpi4.txt)" -eq 1
check "one table of unit utilisation, from rank 0" test "$(grep -c '^units.<id>.utilisation' mpi4.txt)" -eq 1
same "mpirun -np 4 vs 1 process: identical" one.h5 mpi4.h5
"${MPIRUN[@]}" -np 1 "$FLYT" sweep "$SW/grid.cfg" -o mpi1.h5 >/dev/null 2>&1
same "mpirun -np 1 vs 1 process: identical" one.h5 mpi1.h5

# The national region: one process vs four ranks.
"$FLYT" sweep "$SW/region.cfg" -t 1 -o r1.h5 >/dev/null 2>&1
"${MPIRUN[@]}" -np 4 "$FLYT" sweep "$SW/region.cfg" -o r4.h5 >/dev/null 2>&1
check "region sweep under mpirun -np 4 exits 0" test $? -eq 0
same "region: mpirun -np 4 vs 1 process: identical" r1.h5 r4.h5

"$FLYT" sweep "$SW/list.cfg" --series -t 1 -o s1.h5 >/dev/null 2>&1
"${MPIRUN[@]}" -np 3 "$FLYT" sweep "$SW/list.cfg" --series -o s3.h5 >/dev/null 2>&1
check "mpirun -np 3 --series exits 0" test $? -eq 0
same "--series over 3 ranks vs 1 process: identical" s1.h5 s3.h5 /series

printf 'base = "%s/scenarios/trondheim-2025.cfg";\ndesign = "grdi";\n' "$SRC" >bad.cfg
"${MPIRUN[@]}" -np 2 "$FLYT" sweep bad.cfg -o bad.h5 >/dev/null 2>bad.err
check "bad sweep under mpirun fails" test $? -ne 0
check "bad sweep under mpirun: one message per problem" test "$(grep -c 'bad.cfg:2: error: design' bad.err)" -eq 1
"${MPIRUN[@]}" -np 2 "$FLYT" sweep "$SW/grid.cfg" --shard 0/2 -o x.h5 >/dev/null 2>&1
check "--shard under mpirun is refused" test $? -ne 0

# Resume: a journal from a killed single-process run, finished over MPI.
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o full.h5 >/dev/null 2>&1
"$FLYT" sweep "$SW/slow.cfg" -t 2 -o k.h5 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 1000); do
  [ "$(stat -c %s k.h5.journal 2>/dev/null || echo 0)" -ge 2700 ] && break
  sleep 0.01
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
"${MPIRUN[@]}" -np 3 "$FLYT" sweep "$SW/slow.cfg" -o k.h5 --resume >/dev/null 2>resume.err
check "resume over mpirun exits 0" test $? -eq 0
check "resume over mpirun skipped finished tasks" grep -Eq "resuming: [1-9][0-9]* of 80" resume.err
same "killed + resumed over MPI vs uninterrupted: identical" full.h5 k.h5

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
