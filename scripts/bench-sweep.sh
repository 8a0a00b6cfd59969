#!/usr/bin/env bash
# Sweep throughput: tasks per second on 1, 2, ... processes and the
# parallel efficiency (rate on p / (p x rate on 1)), for threads, for shard
# processes run side by side (as a job array would), and for Open MPI ranks
# when an MPI build exists. Prints figures; passes or fails nothing. Other
# load on the machine lowers the figures: say so when quoting them.
#   scripts/bench-sweep.sh [FLYT] [FLYT_MPI] [SWEEP.cfg]
set -euo pipefail
cd "$(dirname "$0")/.."
FLYT=${1:-build/flyt}
FLYT_MPI=${2:-build-mpi/flyt}
SWEEP=${3:-scenarios/sweeps/bench.cfg}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none
cpus=$(nproc)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tasks=$("$FLYT" sweep "$SWEEP" --dry-run --no-slurm | sed -n 's/.* = \([0-9]*\) tasks$/\1/p')
now() { date +%s.%N; }
rate() { awk -v n="$tasks" -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", n / (b - a) }'; }
eff() { awk -v r="$1" -v r1="$2" -v p="$3" 'BEGIN { printf "%.0f", 100 * r / (p * r1) }'; }
counts="1 2"
for p in 4 8 16; do [ "$p" -le "$cpus" ] && counts="$counts $p"; done
echo "flyt sweep benchmark: $SWEEP, $tasks tasks, $cpus CPUs, $(date -u +%FT%TZ)"
echo "(wall time includes start-up and writing the file; load: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-28s %10s %10s\n' "how" "tasks/s" "efficiency"

base=""
for p in $counts; do
  t0=$(now); "$FLYT" sweep "$SWEEP" --no-slurm --no-progress -t "$p" -o "$tmp/t.h5" >/dev/null 2>&1; t1=$(now)
  r=$(rate "$t0" "$t1"); base=${base:-$r}
  printf '%-28s %10s %9s%%\n' "threads: -t $p" "$r" "$(eff "$r" "$base" "$p")"
done

base=""
for p in $counts; do
  rm -rf "$tmp/sh" && mkdir "$tmp/sh"
  t0=$(now)
  for i in $(seq 0 $((p - 1))); do
    "$FLYT" sweep "$SWEEP" --shard "$i/$p" -t 1 --no-progress -o "$tmp/sh" >/dev/null 2>&1 &
  done
  wait
  "$FLYT" merge "$tmp"/sh/*.h5 -o "$tmp/m.h5" >/dev/null 2>&1
  t1=$(now)
  r=$(rate "$t0" "$t1"); base=${base:-$r}
  printf '%-28s %10s %9s%%\n' "shards: $p processes + merge" "$r" "$(eff "$r" "$base" "$p")"
done

if [ -x "$FLYT_MPI" ] && command -v mpirun >/dev/null; then
  base=""
  for p in $counts; do
    t0=$(now); mpirun --oversubscribe -np "$p" "$FLYT_MPI" sweep "$SWEEP" --no-progress -o "$tmp/mpi.h5" >/dev/null 2>&1; t1=$(now)
    r=$(rate "$t0" "$t1"); base=${base:-$r}
    printf '%-28s %10s %9s%%\n' "mpirun -np $p" "$r" "$(eff "$r" "$base" "$p")"
  done
else
  echo "(no MPI build at $FLYT_MPI: cmake -S . -B build-mpi -DFLYT_MPI=ON && cmake --build build-mpi)"
fi
