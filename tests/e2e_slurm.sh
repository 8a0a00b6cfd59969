#!/usr/bin/env bash
# The shipped Slurm scripts on a real one-node Slurm cluster, started here:
# munged and slurmctld/slurmd run as root from a configuration in a
# temporary folder (SLURM_CONF, 127.0.0.1, free ports, no cgroups:
# proctrack/linuxproc, task/none) and are stopped when the test ends, also
# when it fails. The scripts are submitted as the docs tell a user to, from
# a project folder with build/flyt:
#   - scripts/slurm/submit-sweep.sh (job array + merge job, afterok);
#   - sbatch --array=0-2 scripts/slurm/sweep-array.sbatch by hand in a folder
#     with no shards/ yet, then the merge job with --dependency=afterok;
#   - an array task requeued while it runs resumes its shard's journal;
#   - scripts/slurm/run.sbatch for flyt run and flyt compare, given the
#     time-limit warning (USR1 to the batch shell, as --signal=B:USR1@120
#     sends it): flyt checkpoints, the job requeues itself and resumes;
#     then a real --time=1 limit: the same, from Slurm's own signal;
#   - scripts/slurm/sweep-mpi.sbatch (mpirun inside the allocation) when
#     flyt is an Open MPI build.
# Every merged or resumed file must hold the same datasets as one process.
# Where Slurm cannot start, the test prints "skipped: REASON" and exits 77
# (CTest's SKIP_RETURN_CODE, tests/CMakeLists.txt): skipped, never passed.
# Usage: e2e_slurm.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$(realpath "$1")
SRC=$(realpath "$2")
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
PY=/usr/bin/python3
SKIP=77
T=$tmp/slurm
daemons=()

skip() {
  echo "skipped: $*"
  exit $SKIP
}

# Stops what this test started, by pid, then removes the folder.
stop_cluster() {
  local p
  # jobs first (every job on this private cluster is the test's), so that
  # no slurmstepd or flyt outlives the daemons
  if [ -n "${SLURM_CONF:-}" ] && [ -n "${daemons[*]}" ]; then
    squeue -h -o %A 2>/dev/null | xargs -r scancel 2>/dev/null
    for _ in $(seq 100); do
      [ -z "$(squeue -h 2>/dev/null)" ] && [ -z "$(scontrol listpids 2>/dev/null | tail -n +2)" ] && break
      sleep 0.2
    done
  fi
  # munged writes its seed file as it exits: wait for it too
  [ -s "$T/munged.pid" ] && daemons+=("$(cat "$T/munged.pid")")
  for p in "${daemons[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${daemons[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive = 0 ] && break
    sleep 0.1
  done
  for p in "${daemons[@]}"; do kill -KILL "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap stop_cluster EXIT

tail_logs() { tail -n 5 "$T"/log/* 2>/dev/null | sed 's/^/  /'; }

# A TCP port nobody listens on, from a range that depends on the pid.
free_port() {
  local p
  for i in $(seq 0 200); do
    p=$((20000 + ($$ * 7 + i * 13 + $1) % 40000))
    (exec 3<>/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return 0; }
  done
  return 1
}

# --- start a one-node cluster -------------------------------------------
for c in munged munge slurmctld slurmd sbatch scontrol squeue scancel; do
  command -v $c >/dev/null 2>&1 ||
    skip "'$c' is not installed (Debian: apt-get install slurm-wlm munge; scripts/install-deps.sh does)"
done
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root to start jobs; run the suite as root (CI does)"
mkdir -p "$T/state" "$T/spool" "$T/log" && chmod 700 "$T" "$tmp" || skip "cannot make $T"
head -c 1024 /dev/urandom >"$T/munge.key" && chmod 400 "$T/munge.key"
munged --force --key-file="$T/munge.key" --socket="$T/munge.sock" --pid-file="$T/munged.pid" \
  --log-file="$T/log/munged.log" --seed-file="$T/munged.seed" >"$T/log/munged.out" 2>&1 ||
  { tail_logs; skip "munged did not start (see its log above)"; }
munge -S "$T/munge.sock" -n | unmunge -S "$T/munge.sock" >/dev/null 2>&1 ||
  { tail_logs; skip "munge cannot encode and decode a credential with its own key"; }
HOST=$(hostname -s)
ctld_port=$(free_port 0) && d_port=$(free_port 1) && [ "$ctld_port" != "$d_port" ] ||
  skip "no free TCP port for slurmctld and slurmd"
# cred_expire: a requeued job waits this long before it starts again
# (Slurm's default 120 s would make the test slow, not different).
cat >"$T/slurm.conf" <<EOF
ClusterName=flyt-e2e
SlurmctldHost=$HOST(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$T/munge.sock,cred_expire=10
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$T/state
SlurmdSpoolDir=$T/spool
SlurmctldPidFile=$T/slurmctld.pid
SlurmdPidFile=$T/slurmd.pid
SlurmctldLogFile=$T/log/slurmctld.log
SlurmdLogFile=$T/log/slurmd.log
PlugStackConfig=$T/plugstack.conf
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=none
SwitchType=switch/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
ReturnToService=2
SlurmdParameters=config_overrides
KillWait=5
MinJobAge=600
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=e2e Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
EOF
: >"$T/plugstack.conf"
export SLURM_CONF=$T/slurm.conf
slurmctld -D -c >"$T/log/slurmctld.out" 2>&1 &
daemons+=($!)
slurmd -D -N "$HOST" >"$T/log/slurmd.out" 2>&1 &
daemons+=($!)
up=0
for _ in $(seq 150); do
  sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle' && { up=1; break; }
  sleep 0.2
done
[ $up = 1 ] || { tail_logs; skip "slurmctld/slurmd did not bring the node up within 30 s (logs above)"; }
echo "cluster up: $HOST, slurmctld :$ctld_port, slurmd :$d_port"

# OpenMPI as root, one host, for the MPI job (passed on by sbatch).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl=self,vader OMPI_MCA_btl_vader_single_copy_mechanism=none

# --- helpers ----------------------------------------------------------------
# wait_job ID [SECONDS]: until Slurm no longer has the job (or array)
# pending or running; false on timeout.
wait_job() {
  local id=$1 limit=${2:-120} i
  for i in $(seq $((limit * 5))); do
    [ -z "$(squeue -h -j "$id" 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  echo "  job $id still queued after $limit s:" && squeue && tail_logs
  return 1
}
state() { scontrol show job "$1" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort -u | tr '\n' ' '; }

# same NAME A B: the same datasets, bit for bit
same() {
  if "$PY" - "$2" "$3" <<'PYEOF'; then ok "$1"; else bad "$1"; fi
import sys, h5py
def content(o):
    v = o[()]
    return str(v.tolist()) if o.dtype.kind == "O" else v.tobytes()
def datasets(path):
    out = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda n, o: out.__setitem__(n, (o.dtype.str, o.shape, content(o)))
                     if isinstance(o, h5py.Dataset) else None)
    return out
try:
    a, b = datasets(sys.argv[1]), datasets(sys.argv[2])
except OSError as e:
    print("  ", e)
    sys.exit(1)
bad = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
for k in bad:
    print("  differs:", k)
sys.exit(1 if bad or not a else 0)
PYEOF
}

# A project folder as a user has it: scripts/, scenarios/, build/flyt.
project() {
  mkdir -p "$1/build"
  ln -s "$SRC/scripts" "$1/scripts"
  ln -s "$SRC/scenarios" "$1/scenarios"
  ln -s "$FLYT" "$1/build/flyt"
}
unset SLURM_ARRAY_TASK_ID SLURM_ARRAY_TASK_COUNT SLURM_ARRAY_TASK_MIN

# --- submit-sweep.sh: array + merge job --------------------------------------
project "$tmp/p1" && cd "$tmp/p1" || exit 1
build/flyt sweep scenarios/sweeps/test/grid.cfg -o ref-grid.h5 --no-slurm --no-progress >/dev/null 2>&1
check "reference sweep in one process" test -s ref-grid.h5
scripts/slurm/submit-sweep.sh scenarios/sweeps/test/grid.cfg 3 grid.h5 >submit.out 2>&1
check "submit-sweep.sh submits" test $? -eq 0
merge=$(sed -n 's/.*merge job \([0-9]*\).*/\1/p' submit.out)
array=$(sed -n 's/^array job \([0-9]*\).*/\1/p' submit.out)
[ -n "$merge" ] && wait_job "$merge" 120
check "merge job COMPLETED (got $(state "$merge"))" test "$(state "$merge")" = "JobState=COMPLETED "
check "every array task COMPLETED (got $(state "$array"))" test "$(state "$array")" = "JobState=COMPLETED "
check "array tasks log to flyt-sweep-JOB_TASK.log" test -s "flyt-sweep-${array}_2.log"
same "submit-sweep.sh: merged shards = one process" ref-grid.h5 grid.h5

# --- sbatch --array by hand, as the script's header shows --------------------
project "$tmp/p2" && cd "$tmp/p2" || exit 1
build/flyt sweep scenarios/sweeps/test/list.cfg -o ref-list.h5 --no-slurm --no-progress >/dev/null 2>&1
name=$(sed -n 's/^name *= *"\(.*\)";.*/\1/p' scenarios/sweeps/test/list.cfg)
array=$(sbatch --parsable --array=0-2 scripts/slurm/sweep-array.sbatch scenarios/sweeps/test/list.cfg)
merge=$(sbatch --parsable --dependency=afterok:"$array" scripts/slurm/sweep-merge.sbatch "$name" list.h5)
wait_job "$merge" 120
check "by hand, no shards/ beforehand: every array task COMPLETED (got $(state "$array"))" \
  test "$(state "$array")" = "JobState=COMPLETED "
check "by hand: merge job COMPLETED (got $(state "$merge"))" test "$(state "$merge")" = "JobState=COMPLETED "
same "by hand: merged shards = one process" ref-list.h5 list.h5

# --- a requeued array task resumes its shard -------------------------------
project "$tmp/p3" && cd "$tmp/p3" || exit 1
cat >long.cfg <<EOF
name = "long";
base = "$SRC/scenarios/trondheim-2025.cfg";
replications = 10;
set = [ "run.horizon_days=1000", "run.warmup_days=30" ];
design = "grid";
parameters = ( { key = "units.short_term.capacity"; values = [105, 125, 145, 165]; } );
EOF
build/flyt sweep long.cfg -o ref-long.h5 --no-slurm --no-progress >/dev/null 2>&1
array=$(sbatch --parsable --array=0-1 scripts/slurm/sweep-array.sbatch long.cfg)
# requeue task 0 once its journal holds a finished task (header: 56 bytes)
for _ in $(seq 300); do
  [ "$(stat -c %s shards/long.shard-0-of-2.h5.journal 2>/dev/null || echo 0)" -gt 56 ] && break
  sleep 0.1
done
scontrol requeue "${array}_0"
check "scontrol requeue of a running array task" test $? -eq 0
merge=$(sbatch --parsable --dependency=afterok:"$array" scripts/slurm/sweep-merge.sbatch long long.h5)
wait_job "$merge" 150
check "requeued task: merge COMPLETED (got $(state "$merge"))" test "$(state "$merge")" = "JobState=COMPLETED "
log0=$(ls flyt-sweep-"${array}"_0.log 2>/dev/null)
check "requeued task ran twice into one log" grep -q "start 1" "$log0"
check "requeued task resumed its shard" grep -q "flyt sweep: resuming: [1-9][0-9]* of 20 tasks already done" "$log0"
same "requeued + resumed shard, merged = one process" ref-long.h5 long.h5

# --- run.sbatch: the time-limit warning, checkpoint, requeue, resume --------
project "$tmp/p4" && cd "$tmp/p4" || exit 1
RUN=(scenarios/trondheim-2025-coordinator.cfg -r 60 --set run.horizon_days=1000 --set run.warmup_days=60)
build/flyt run "${RUN[@]}" -o ref-run.h5 --no-progress >/dev/null 2>&1
job=$(sbatch --parsable scripts/slurm/run.sbatch run "${RUN[@]}" -o run.h5)
for _ in $(seq 300); do [ -s run.h5.journal ] && break; sleep 0.1; done
# what --signal=B:USR1@120 does 120 s before the time limit
scancel --batch --signal=USR1 "$job"
wait_job "$job" 150
check "run.sbatch after the time-limit warning: COMPLETED (got $(state "$job"))" \
  test "$(state "$job")" = "JobState=COMPLETED "
check "run.sbatch: flyt stopped with its replications kept" \
  grep -q "finished replications are kept in 'run.h5.journal'" "flyt-run-$job.log"
check "run.sbatch: the job requeued itself" grep -q "requeueing $job to resume" "flyt-run-$job.log"
check "run.sbatch: the requeued job resumed" \
  grep -q "flyt run: resuming: [1-9][0-9]* of 60 replications already done" "flyt-run-$job.log"
same "run.sbatch stopped, requeued, resumed = uninterrupted run" ref-run.h5 run.h5
check "run.sbatch: no journal left" test ! -e run.h5.journal

CMP=(scenarios/trondheim-2025.cfg scenarios/trondheim-2025-coordinator.cfg -r 30
  --set run.horizon_days=1000 --set run.warmup_days=60)
build/flyt compare "${CMP[@]}" -o ref-cmp.h5 --no-progress >/dev/null 2>&1
job=$(sbatch --parsable scripts/slurm/run.sbatch compare "${CMP[@]}" -o cmp.h5)
for _ in $(seq 300); do [ -s cmp.h5.journal ] && break; sleep 0.1; done
scancel --batch --signal=USR1 "$job"
wait_job "$job" 150
check "compare job after the warning: COMPLETED (got $(state "$job"))" \
  test "$(state "$job")" = "JobState=COMPLETED "
check "compare job resumed" grep -q "flyt compare: resuming: " "flyt-run-$job.log"
same "compare stopped, requeued, resumed = uninterrupted compare" ref-cmp.h5 cmp.h5

# scancel is not the time limit: no requeue.
job=$(sbatch --parsable scripts/slurm/run.sbatch run "${RUN[@]}" -o cancelled.h5)
for _ in $(seq 300); do [ -s cancelled.h5.journal ] && break; sleep 0.1; done
scancel "$job"
wait_job "$job" 60
check "scancel: CANCELLED, not requeued (got $(state "$job"))" test "$(state "$job")" = "JobState=CANCELLED "

# --- a real time limit -------------------------------------------------------
# --time=1 with the script's --signal=B:USR1@120: the warning is due at
# once and comes at Slurm's next time-limit check (about 30 s). The run is
# far too long to finish; what counts is that nothing finished is lost.
job=$(sbatch --parsable --time=1 scripts/slurm/run.sbatch run scenarios/trondheim-2025.cfg \
  -r 100000 -o limit.h5)
for _ in $(seq 600); do
  grep -q "resuming: " "flyt-run-$job.log" 2>/dev/null && break
  sleep 0.2
done
check "time limit: flyt stopped, its replications kept" \
  grep -q "finished replications are kept in 'limit.h5.journal'" "flyt-run-$job.log"
check "time limit: the job requeued itself" grep -q "requeueing $job to resume" "flyt-run-$job.log"
check "time limit: the requeued job resumed" \
  grep -q "flyt run: resuming: [1-9][0-9]* of 100000 replications already done" "flyt-run-$job.log"
# A --time=1 job gets its warning again at once on each start (at most
# FLYT_MAX_REQUEUE requeues): cancel until Slurm has let it go.
for _ in $(seq 30); do
  scancel "$job" 2>/dev/null
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done

# --- MPI: mpirun inside the allocation --------------------------------------
if ! ldd "$FLYT" 2>/dev/null | grep -q libmpi; then
  echo "skip MPI job: $FLYT is not an Open MPI build (-DFLYT_MPI=ON; scripts/test.sh runs this test in build-mpi too)"
elif ! command -v mpirun >/dev/null 2>&1; then
  echo "skip MPI job: mpirun is not installed"
else
  project "$tmp/p5" && cd "$tmp/p5" || exit 1
  build/flyt sweep scenarios/sweeps/test/grid.cfg -o ref-grid.h5 --no-progress >/dev/null 2>&1
  job=$(sbatch --parsable --ntasks=3 --mem-per-cpu=200M scripts/slurm/sweep-mpi.sbatch \
    scenarios/sweeps/test/grid.cfg mpi.h5 build/flyt)
  wait_job "$job" 120
  check "MPI job (3 ranks through mpirun in the allocation): COMPLETED (got $(state "$job"))" \
    test "$(state "$job")" = "JobState=COMPLETED "
  same "MPI job = one process" ref-grid.h5 mpi.h5
  [ "$(state "$job")" = "JobState=COMPLETED " ] || tail -n 20 "flyt-sweep-mpi-$job.log"
fi

echo "e2e_slurm: $pass passed, $fail failed"
test "$fail" -eq 0
