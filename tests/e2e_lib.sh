# Sourced by the tests/e2e_*.sh scripts, not a test itself: a temporary
# folder ($tmp) removed on exit, the pass/fail counters, and the helpers
#   ok NAME, bad NAME   count and print one result
#   check NAME CMD...   ok when CMD succeeds, bad otherwise
# shellcheck shell=bash
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { local name=$1; shift; if "$@"; then ok "$name"; else bad "$name"; fi; }
# no_partial FILE: no temporary (FILE.partial.XXXXXX) or lock file of
# FILE is left behind.
no_partial() { ! compgen -G "$1.partial*" >/dev/null && [ ! -e "$1.lock" ]; }
