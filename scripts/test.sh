#!/usr/bin/env bash
# The whole test suite: a normal build with -Werror, then the same suite
# built with AddressSanitizer + UndefinedBehaviorSanitizer (leaks included).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs=$(nproc 2>/dev/null || echo 2)

echo "== build and test (release, -Werror)"
cmake -S . -B build-test -DFLYT_WERROR=ON -DBUILD_TESTING=ON >/dev/null
cmake --build build-test -j"$jobs"
(cd build-test && ctest -j"$jobs" --output-on-failure)

echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
cmake -S . -B build-asan -DFLYT_SANITIZE=ON -DFLYT_WERROR=ON -DBUILD_TESTING=ON \
      -DCMAKE_BUILD_TYPE=Debug >/dev/null
cmake --build build-asan -j"$jobs"
(cd build-asan && ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
   ctest -j"$jobs" --output-on-failure)
