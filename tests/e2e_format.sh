#!/usr/bin/env bash
# Every C source and header is formatted as .clang-format says.
# Usage: e2e_format.sh FLYT SOURCE_DIR (FLYT unused)
set -uo pipefail
SRC=$2
if ! command -v clang-format >/dev/null 2>&1; then
  echo "e2e_format: clang-format not installed; skipped"
  exit 0
fi
cd "$SRC"
mapfile -t files < <(find include sim tests -name '*.c' -o -name '*.h' | sort)
bad=0
for f in "${files[@]}"; do
  if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
    echo "not formatted: $f (run clang-format -i $f)"
    bad=$((bad + 1))
  fi
done
echo "e2e_format: $(( ${#files[@]} - bad )) passed, $bad failed"
test "$bad" -eq 0
