#!/usr/bin/env bash
# Static analysis of sim/: cppcheck (warning, performance, portability) and
# clang-tidy (the checks in .clang-tidy). Exits non-zero on any finding.
# Each tool is skipped with a note when it is not installed.
# Usage: scripts/lint.sh [BUILD_DIR]   (BUILD_DIR has compile_commands.json;
#        default build-lint, configured here when missing)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-lint}
jobs=$(nproc 2>/dev/null || echo 2)
status=0

if command -v cppcheck >/dev/null 2>&1; then
  echo "== cppcheck"
  if ! cppcheck --enable=warning,performance,portability --std=c11 --quiet --error-exitcode=1 \
         --inline-suppr --suppressions-list=.cppcheck-suppressions \
         -I include -I sim -D_POSIX_C_SOURCE=200809L -DFLYT_VERSION='"lint"' \
         -DFLYT_GIT_COMMIT='"lint"' -j "$jobs" sim; then
    status=1
  fi
else
  echo "lint: cppcheck not installed; skipped"
fi

if command -v clang-tidy >/dev/null 2>&1; then
  echo "== clang-tidy"
  if [ ! -f "$build/compile_commands.json" ]; then
    cmake -S . -B "$build" -DBUILD_TESTING=OFF >/dev/null
    # the embedded scenarios are generated sources that the database names
    cmake --build "$build" --target flyt_lib -j"$jobs" >/dev/null
  fi
  # the files this configuration compiles (sim/sweep/mpi.c only with MPI);
  # clang knows not GCC's LTO flags (-ffat-lto-objects): not a finding
  mapfile -t files < <(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1])):
    f = e["file"]
    if "/sim/" in f: print(f)' "$build/compile_commands.json" | sort -u)
  if ! printf '%s\0' "${files[@]}" |
       xargs -0 -n 4 -P "$jobs" clang-tidy -p "$build" --quiet \
         --extra-arg=-Wno-ignored-optimization-argument 2>/dev/null; then
    status=1
  fi
else
  echo "lint: clang-tidy not installed; skipped"
fi

if [ "$status" -eq 0 ]; then echo "lint: clean"; else echo "lint: findings above"; fi
exit "$status"
