#!/usr/bin/env bash
# flyt optimise over Open MPI (registered only for a -DFLYT_MPI=ON build):
# rank 0 runs the procedure and shares each configuration's replications
# with the other ranks; `mpirun -np 3` (and -np 2) over two cores writes
# the same /optimise datasets, picks the same line and exits the same as
# one process with -t 1; nothing feasible is exit 1 under MPI too; a
# journal left by a killed run is finished over MPI.
# Usage: e2e_optimise_mpi.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
# CI runs as root; Open MPI refuses that unless told twice.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# No network probing for a one-host run.
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
MPIRUN=(mpirun --oversubscribe)
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
cd "$tmp" || exit 1

# Every dataset under /optimise, dumped one at a time (the attributes hold
# the command line and the wall time, which differ).
same() {
  local name=$1 a=$2 b=$3 ds r=0 n=0
  for ds in $(h5ls "$a/optimise" | awk '$2 == "Dataset" {print $1}'); do
    n=$((n + 1))
    h5dump -d "/optimise/$ds" "$a" | tail -n +2 >a.txt
    h5dump -d "/optimise/$ds" "$b" | tail -n +2 >b.txt
    cmp -s a.txt b.txt && grep -q DATA a.txt || { echo "  $ds differs"; r=1; }
  done
  [ $n -ge 10 ] || { echo "  only $n datasets"; r=1; }
  if [ $r -eq 0 ]; then ok "$name"; else bad "$name"; fi
}

# The M/M/c grid of e2e_optimise.sh: lambda 7, mu 1, c = 8..12.
cat >mmc.opt <<EOT
scenario = "$SRC/scenarios/validation/mmc-rho070.cfg";
set = [ "run.horizon_days=600.0", "run.warmup_days=100.0",
        "cost.units.short_term.place_year_nok=1000.0", "cost.units.short_term.bed_day_nok=10.0" ];
replications = 8;
seed = 5;
variables = ( { key = "units.short_term.capacity"; min = 8; max = 12; } );
objective_indifference = 200.0;
constraints = ( { kpi = "ukp_wait_mean"; max = 0.15; tolerance = 0.03; } );
EOT

"$FLYT" optimise mmc.opt -t 1 -o one.h5 >one.txt 2>one.err
rc1=$?
check "one process exits 0" test $rc1 -eq 0
"${MPIRUN[@]}" -np 3 "$FLYT" optimise mmc.opt -o mpi3.h5 >mpi3.txt 2>mpi3.err
rc3=$?
check "mpirun -np 3 exits as one process does (0, got $rc3)" test $rc3 -eq $rc1
check "mpirun -np 3: one table, from rank 0" test "$(grep -c '^chosen:' mpi3.txt)" -eq 1
check "mpirun -np 3: the same chosen line" \
  test "$(grep '^chosen:' one.txt)" = "$(grep '^chosen:' mpi3.txt)" -a -n "$(grep '^chosen:' one.txt)"
check "mpirun -np 3: the same table" cmp -s one.txt mpi3.txt
same "mpirun -np 3 vs 1 process: identical /optimise datasets" one.h5 mpi3.h5
check "mpirun -np 3: no journal left" test ! -e mpi3.h5.journal
"${MPIRUN[@]}" -np 2 "$FLYT" optimise mmc.opt -t 2 -o mpi2.h5 >mpi2.txt 2>/dev/null
check "mpirun -np 2 -t 2 exits 0" test $? -eq 0
same "mpirun -np 2 -t 2 vs 1 process: identical /optimise datasets" one.h5 mpi2.h5

# A local search over the same space.
sed 's/^seed = 5;/seed = 5; search = "local";/' mmc.opt >local.opt
"$FLYT" optimise local.opt -t 1 -o l1.h5 >l1.txt 2>/dev/null
rcl=$?
"${MPIRUN[@]}" -np 3 "$FLYT" optimise local.opt -o l3.h5 >l3.txt 2>/dev/null
check "local search under mpirun -np 3 exits as one process does" test $? -eq $rcl
same "local search: mpirun -np 3 vs 1 process: identical" l1.h5 l3.h5

# Nothing feasible: exit 1 under MPI too, with the file written.
sed 's/max = 0.15; tolerance = 0.03/max = 0.01; tolerance = 0.005/' mmc.opt >none.opt
"$FLYT" optimise none.opt -t 1 -o none1.h5 >none1.txt 2>/dev/null
check "no feasible configuration, one process: exit 1" test $? -eq 1
"${MPIRUN[@]}" -np 3 "$FLYT" optimise none.opt -o none3.h5 >none3.txt 2>/dev/null
check "no feasible configuration under mpirun -np 3: exit 1" test $? -eq 1
check "no feasible configuration under mpirun: said once" \
  test "$(grep -c '^no configuration is feasible' none3.txt)" -eq 1
same "no feasible configuration: mpirun -np 3 vs 1 process: identical" none1.h5 none3.h5

# A bad spec: exit 2, one message (rank 0's), nothing written.
sed 's/"ukp_wait_mean"/"ukp_wait_average"/' mmc.opt >bad.opt
"${MPIRUN[@]}" -np 3 "$FLYT" optimise bad.opt -o bad.h5 >/dev/null 2>bad.err
check "bad spec under mpirun -np 3: exit 2" test $? -eq 2
check "bad spec under mpirun: one message" test "$(grep -c "unknown KPI 'ukp_wait_average'" bad.err)" -eq 1
check "bad spec under mpirun: nothing written" test ! -e bad.h5

# Resume: a journal from a killed one-process run, finished over MPI (rank
# 0 reads it back; the workers run only what it lacks).
sed 's/run.horizon_days=600.0/run.horizon_days=8000.0/' mmc.opt >long.opt
"$FLYT" optimise long.opt -o full.h5 -t 1 >/dev/null 2>&1
"$FLYT" optimise long.opt -o k.h5 -t 2 >/dev/null 2>&1 &
pid=$!
for _ in $(seq 300); do [ "$(stat -c %s k.h5.journal 2>/dev/null || echo 0)" -gt 600 ] && break; sleep 0.05; done
kill -KILL $pid 2>/dev/null
wait $pid 2>/dev/null
check "SIGKILL left the journal" test -s k.h5.journal
"${MPIRUN[@]}" -np 3 "$FLYT" optimise long.opt -o k.h5 --resume >/dev/null 2>resume.err
check "--resume under mpirun -np 3 exits 0" test $? -eq 0
check "--resume under mpirun read replications back" grep -q "resumed: [1-9][0-9]* of" resume.err
check "--resume under mpirun removes the journal" test ! -e k.h5.journal
same "killed + resumed over MPI vs uninterrupted: identical" full.h5 k.h5

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
