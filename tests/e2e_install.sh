#!/usr/bin/env bash
# `cmake --install` of the build under test into a temporary prefix puts
# flyt, the analysis scripts and the docs in place, and the man page (built
# from --help by help2man, when installed) is valid groff that man renders.
# Usage: e2e_install.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
BUILD=$(dirname "$FLYT")
P="$tmp/prefix"

cmake --install "$BUILD" --prefix "$P" >"$tmp/install.log" 2>&1
check "cmake --install into a temporary prefix" test $? -eq 0
check "bin/flyt is installed and runs" "$P/bin/flyt" --version
for f in "$SRC"/analysis/*.py; do
  check "analysis script $(basename "$f") installed, executable" \
    test -x "$P/share/flyt/analysis/$(basename "$f")"
done
check "the docs are installed" test -f "$P/share/doc/flyt/README.md" -a -f "$P/share/doc/flyt/hdf5-layout.md"
if [ -x /usr/bin/python3 ]; then
  /usr/bin/python3 "$P/share/flyt/analysis/reaggregate.py" --help >/dev/null 2>&1
  check "an installed analysis script finds its module (flytio)" test $? -eq 0
fi

MAN="$P/share/man/man1/flyt.1"
if ! command -v help2man >/dev/null 2>&1; then
  echo "SKIP man page: help2man is not installed (Debian: help2man)"
else
  check "the man page is installed" test -s "$MAN"
  check "the man page has a .TH line" grep -q '^\.TH FLYT "1"' "$MAN"
  check "the man page lists the commands" grep -q 'compare BASE VARIANT' "$MAN"
  if command -v groff >/dev/null 2>&1; then
    groff -man -Tutf8 -z -ww "$MAN" >"$tmp/groff.txt" 2>&1
    check "groff reads the man page without a warning" test $? -eq 0 -a ! -s "$tmp/groff.txt"
    cat "$tmp/groff.txt"
  fi
  if command -v man >/dev/null 2>&1; then
    MANWIDTH=80 man -l "$MAN" 2>/dev/null | col -b >"$tmp/man.txt"
    check "man -l renders it" grep -q "flyt <command> \[options\]" "$tmp/man.txt"
  fi
fi

echo "e2e_install: $pass passed, $fail failed"
test "$fail" -eq 0
