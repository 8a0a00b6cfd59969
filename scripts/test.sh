#!/usr/bin/env bash
# The whole test suite: a normal build with -Werror, then the same suite
# built with AddressSanitizer + UndefinedBehaviorSanitizer (leaks included);
# the sweep tests in an Open MPI build (when Open MPI is installed);
# then, where the tools are installed, static analysis (scripts/lint.sh)
# and 30 s of fuzzing per libFuzzer target (tests/fuzz).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)

# Tests that exercise plumbing rather than flyt's memory (a one-node Slurm,
# a build from a fresh clone, stopping and resuming whole runs; the journal
# code itself is in test_checkpoint, which ASan does run) run once: the
# Slurm test in the Open MPI build when there is one (it also runs the MPI
# job there), else here.
have_mpi=false
if command -v mpicc >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1; then have_mpi=true; fi
# e2e_optimise runs the shipped Trondheim specs (about 90 s): once, in the
# release build; the optimise C tests still run under the sanitizers
once='e2e_slurm$|e2e_provenance|e2e_checkpoint|e2e_optimise'

echo "== build and test (release, -Werror)"
cmake -S . -B build-test -DFLYT_WERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build-test -j"$jobs"
if $have_mpi; then
  (cd build-test && ctest -j"$jobs" --output-on-failure -E 'e2e_slurm$')
else
  (cd build-test && ctest -j"$jobs" --output-on-failure)
fi

echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DFLYT_SANITIZE=ON -DFLYT_WERROR=ON -DBUILD_TESTING=ON \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   LSAN_OPTIONS=suppressions=$root/tests/lsan.supp ctest -j"$jobs" --output-on-failure -E "$once")

# flyt sweep over Open MPI (-DFLYT_MPI=ON), when Open MPI is installed:
# the MPI end-to-end test and the sweep tests in that build.
if $have_mpi; then
  echo "== build and test the Open MPI build (flyt sweep under mpirun)"
  cmake -S . -B build-mpi -DFLYT_MPI=ON -DFLYT_WERROR=ON -DBUILD_TESTING=ON >/dev/null
  cmake --build build-mpi -j"$jobs" --target flyt test_sweep
  (cd build-mpi && ctest -j"$jobs" --output-on-failure -R 'sweep')
  (cd build-mpi && ctest --output-on-failure -R 'e2e_slurm$') # the MPI job on a one-node Slurm
fi

# Static analysis, when the tools are installed (scripts/install-deps.sh
# installs them); uses the compile database of the release build.
if command -v cppcheck >/dev/null 2>&1 || command -v clang-tidy >/dev/null 2>&1; then
  echo "== static analysis (cppcheck, clang-tidy)"
  scripts/lint.sh build-test
fi

# A short fuzzing run of each libFuzzer target (tests/fuzz), when clang has
# libFuzzer. The committed corpus is only read; new inputs go to a temp dir.
if command -v clang >/dev/null 2>&1 &&
   echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }' |
     clang -x c -fsanitize=fuzzer -o /dev/null - >/dev/null 2>&1; then
  echo "== fuzz (30 s per target)"
  CC=clang cmake -S . -B build-fuzz-test -DFLYT_FUZZ=ON -DFLYT_WERROR=ON -DBUILD_TESTING=ON >/dev/null
  cmake --build build-fuzz-test --target fuzz_load fuzz_set fuzz_run fuzz_merge fuzz_census fuzz_fit -j"$jobs"
  fuzz_tmp=$(mktemp -d)
  trap 'rm -rf "$fuzz_tmp"' EXIT
  mkdir -p "$fuzz_tmp/load" "$fuzz_tmp/set" "$fuzz_tmp/run" "$fuzz_tmp/merge" "$fuzz_tmp/census" "$fuzz_tmp/fit" "$fuzz_tmp/seeds"
  find scenarios -name '*.cfg' -exec cp {} "$fuzz_tmp/seeds/" \;
  for t in load set run merge census fit; do
    seeds=(tests/fuzz/corpus/$t tests/fuzz/regressions/$t)
    # scenario files seed the targets that read scenarios
    if [ $t = load ] || [ $t = run ]; then seeds+=("$fuzz_tmp/seeds"); fi
    # leaks per input are left to the ASan replay above (a leak check per
    # input would slow fuzzing twentyfold); libconfig's own at exit are known
    set +e
    LSAN_OPTIONS=suppressions=$root/tests/lsan.supp \
      build-fuzz-test/tests/fuzz/fuzz_$t "$fuzz_tmp/$t" "${seeds[@]}" \
      -dict=tests/fuzz/libconfig.dict -max_total_time=30 -rss_limit_mb=2048 -timeout=10 \
      -detect_leaks=0 -artifact_prefix="$fuzz_tmp/" -print_final_stats=1 >"$fuzz_tmp/log" 2>&1
    rc=$?
    set -e
    echo "fuzz_$t: $(grep -E '^stat::number_of_executed_units' "$fuzz_tmp/log" | tr -dc 0-9) inputs in 30 s"
    if [ "$rc" -ne 0 ]; then
      grep -A 30 -m 1 'ERROR' "$fuzz_tmp/log" >&2 || tail -n 30 "$fuzz_tmp/log" >&2
      echo "fuzz_$t failed; any input it saved is now in tests/fuzz/regressions/$t/: fix the cause and keep it there" >&2
      mkdir -p tests/fuzz/regressions/$t
      cp "$fuzz_tmp"/crash-* "$fuzz_tmp"/timeout-* "$fuzz_tmp"/oom-* tests/fuzz/regressions/$t/ 2>/dev/null || true
      exit 1
    fi
  done
fi
echo "== all tests passed"
