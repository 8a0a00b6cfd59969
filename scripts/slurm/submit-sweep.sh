#!/usr/bin/env bash
# Submits a sweep as a Slurm job array of N shards plus a merge job that
# runs when every shard has finished (--dependency=afterok), from the
# folder that holds build/ and the sweep file:
#   scripts/slurm/submit-sweep.sh scenarios/sweeps/beds-x-delay.cfg 16 beds-x-delay.h5
# Shards go to shards/, logs to flyt-sweep-JOB_TASK.log and
# flyt-merge-JOB.log. Check the sweep first: build/flyt sweep SWEEP.cfg --dry-run
set -euo pipefail
SWEEP=${1:?usage: submit-sweep.sh SWEEP.cfg N_SHARDS OUT.h5 [FLYT]}
N=${2:?usage: submit-sweep.sh SWEEP.cfg N_SHARDS OUT.h5 [FLYT]}
OUT=${3:?usage: submit-sweep.sh SWEEP.cfg N_SHARDS OUT.h5 [FLYT]}
FLYT=${4:-build/flyt}
here=$(dirname "$0")
case "$N" in
'' | *[!0-9]* | 0)
  echo "submit-sweep.sh: N_SHARDS must be a whole number from 1, got '$N'" >&2
  exit 2
  ;;
esac
"$FLYT" sweep "$SWEEP" --dry-run --no-slurm | tail -1 # fails (exit 2) on a bad sweep file
name=$(sed -n 's/^name *= *"\(.*\)";.*/\1/p' "$SWEEP" | head -1)
name=${name:-$(basename "$SWEEP" .cfg)}
array=$(sbatch --parsable --array=0-$((N - 1)) "$here/sweep-array.sbatch" "$SWEEP" "$FLYT")
array=${array%%;*} # --parsable gives ID or ID;CLUSTER
# a shard that fails for good cancels the merge instead of leaving it pending
merge=$(sbatch --parsable --dependency=afterok:"$array" --kill-on-invalid-dep=yes \
  "$here/sweep-merge.sbatch" "$name" "$OUT" "$FLYT")
merge=${merge%%;*}
echo "array job $array ($N shards), merge job $merge -> $OUT"
