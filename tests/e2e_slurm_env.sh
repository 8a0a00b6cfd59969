#!/usr/bin/env bash
# The Slurm job array's variables as flyt sweep reads them, without a
# cluster: a partial set names the variable that is missing, a value that
# is not a number names its variable, and a complete set picks the shard.
# Usage: e2e_slurm_env.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
SW=$SRC/scenarios/sweeps/test
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
cd "$tmp" || exit 1
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN

# partial NAME EXPECTED VAR=VALUE...: exit 2 and the message on stderr
partial() {
  local name=$1 want=$2
  shift 2
  env "$@" "$FLYT" sweep "$SW/grid.cfg" --dry-run >/dev/null 2>err.txt
  check "$name: exit 2 (got $?)" test $? -eq 2
  if grep -qF -- "$want" err.txt; then ok "$name: says '$want'"; else bad "$name: says '$want'" && cat err.txt; fi
}
partial "only SLURM_ARRAY_TASK_ID" \
  "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is missing" SLURM_ARRAY_TASK_ID=3
partial "only SLURM_ARRAY_TASK_COUNT" \
  "SLURM_ARRAY_TASK_COUNT is set but SLURM_ARRAY_TASK_ID is missing" SLURM_ARRAY_TASK_COUNT=4
partial "only SLURM_ARRAY_TASK_MIN" \
  "SLURM_ARRAY_TASK_MIN is set but SLURM_ARRAY_TASK_ID is missing" SLURM_ARRAY_TASK_MIN=0
partial "ID and MIN, no COUNT" "SLURM_ARRAY_TASK_COUNT is missing" \
  SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0
partial "COUNT not a number" "SLURM_ARRAY_TASK_COUNT='four' is not a whole number" \
  SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_COUNT=four
partial "ID empty" "SLURM_ARRAY_TASK_ID='' is not a whole number" \
  SLURM_ARRAY_TASK_ID= SLURM_ARRAY_TASK_COUNT=4
partial "the message says what to do" "give --shard I/N, or --no-slurm" SLURM_ARRAY_TASK_ID=3

# A complete set picks the shard; --no-slurm ignores a partial one.
SLURM_ARRAY_TASK_ID=2 SLURM_ARRAY_TASK_COUNT=4 SLURM_ARRAY_TASK_MIN=1 \
  "$FLYT" sweep "$SW/grid.cfg" --dry-run >ok.txt 2>&1
check "complete set: exit 0" test $? -eq 0
check "complete set: shard 1/4" grep -q "shard 1/4" ok.txt
SLURM_ARRAY_TASK_ID=3 "$FLYT" sweep "$SW/grid.cfg" --dry-run --no-slurm >/dev/null 2>&1
check "--no-slurm ignores a partial set" test $? -eq 0

echo "e2e_slurm_env: $pass passed, $fail failed"
test "$fail" -eq 0
