#!/bin/bash
# What a `flyt run` costs before any simulation matters: PF1 for two simulated
# days, one replication, one thread, the output overwritten in place (so the
# check of what it overwrites is paid too). Binaries side by side, alternating,
# so that both see the same machine; prints CPU time (task-clock), wall time
# and page faults per run (perf stat), and instructions (callgrind) when
# valgrind is installed. docs/performance.md, section Start-up, has the figures.
#
#   scripts/bench-startup.sh NEW_FLYT NEW_PF1_CFG [OLD_FLYT OLD_PF1_CFG] [-r RUNS] [-o DIR]
#
# An older flyt reads the scenario format of its own commit: give each binary
# the pf1.cfg of its checkout (git worktree add /tmp/old c70c46f, build there).
set -euo pipefail
runs=40 rounds=2 dir=${TMPDIR:-/tmp}/flyt-bench-startup
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    -r) runs=$2; shift 2 ;;
    -o) dir=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) args+=("$1"); shift ;;
  esac
done
if [ ${#args[@]} -ne 2 ] && [ ${#args[@]} -ne 4 ]; then
  echo "usage: $0 NEW_FLYT NEW_PF1_CFG [OLD_FLYT OLD_PF1_CFG] [-r RUNS] [-o DIR]" >&2
  exit 2
fi
command -v perf >/dev/null || { echo "$0: needs perf (apt-get install linux-perf)" >&2; exit 2; }
mkdir -p "$dir"

cmd() { # BIN CFG OUT
  echo "$1" run "$2" --set run.horizon_days=2 --set run.warmup_days=1 -r 1 -t 1 \
    --no-progress -o "$3"
}

measure() { # LABEL BIN CFG
  local out="$dir/$1.h5" s
  # shellcheck disable=SC2046
  $(cmd "$2" "$3" "$out") >/dev/null 2>&1 # the file it will overwrite
  s=$(perf stat -x, -r "$runs" -e task-clock,page-faults $(cmd "$2" "$3" "$out") 2>&1 >/dev/null)
  local cpu faults wall
  cpu=$(echo "$s" | awk -F, '/task-clock/ {printf "%.2f", $1}')
  faults=$(echo "$s" | awk -F, '/page-faults/ {printf "%d", $1}')
  # perf -x prints no elapsed time: take it from a second, plain run
  wall=$(perf stat -r "$runs" $(cmd "$2" "$3" "$out") 2>&1 >/dev/null |
    awk '/seconds time elapsed/ {printf "%.2f", $1 * 1000}')
  printf '%-4s cpu %6s ms  wall %6s ms  page faults %5s\n' "$1" "$cpu" "$wall" "$faults"
  echo "$1 $cpu $wall" >>"$dir/figures"
}

: >"$dir/figures"
for _ in $(seq "$rounds"); do
  measure new "${args[0]}" "${args[1]}"
  [ ${#args[@]} -eq 4 ] && measure old "${args[2]}" "${args[3]}"
done
if command -v valgrind >/dev/null; then
  for who in new old; do
    [ "$who" = old ] && [ ${#args[@]} -ne 4 ] && continue
    b=${args[0]} c=${args[1]}
    [ "$who" = old ] && b=${args[2]} c=${args[3]}
    # shellcheck disable=SC2046
    n=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null $(cmd "$b" "$c" "$dir/$who.h5") \
      2>&1 >/dev/null | awk '/Collected/ {print $4}')
    printf '%-4s instructions %s\n' "$who" "$n"
  done
fi
if [ ${#args[@]} -eq 4 ]; then
  awk '{cpu[$1] += $2; wall[$1] += $3}
       END {printf "new/old: cpu %.2f, wall %.2f\n", cpu["new"] / cpu["old"], wall["new"] / wall["old"]}' \
    "$dir/figures"
fi
