#!/usr/bin/env bash
# flyt upgrade (issue 14): every scenario and spec under scenarios/ converts,
# keeps every value under its new key and every comment in order
# (tests/check_upgrade.py), and a second run leaves the result as it is;
# converted/ is what scripts/upgrade-tree.sh makes now; a bad scenario is
# refused as flyt validate refuses it; -o never writes over a file; @include
# is named in a note; --key and --kpi.
# Usage: e2e_upgrade.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
export LC_ALL=C

have_py=1
[ -x "$PY" ] || have_py=0
[ $have_py = 1 ] || echo "note: $PY is missing: the value and comment checks are skipped"

cd "$SRC" || exit 1
while IFS= read -r f; do
    out="$tmp/new/$f"
    mkdir -p "$(dirname "$out")"
    "$FLYT" upgrade "$f" >"$out" 2>"$tmp/err"
    check "$f converts" test $? -eq 0
    if [ $have_py = 1 ]; then
        if "$PY" tests/check_upgrade.py "$FLYT" "$f" "$out" >"$tmp/check"; then
            ok "$f: values under their new keys, comments in order"
        else
            bad "$f: values under their new keys, comments in order"
            cat "$tmp/check"
        fi
    fi
    "$FLYT" upgrade "$out" >"$tmp/twice" 2>"$tmp/err2"
    check "$f: a second upgrade exits 0" test $? -eq 0
    check "$f: a second upgrade changes nothing" cmp -s "$out" "$tmp/twice"
    case $f in
    *.calib | scenarios/sweeps/*) ;;
    *) check "$f: a second upgrade says the file is new already" \
        grep -q "already in the network form" "$tmp/err2" ;;
    esac
done < <(find scenarios \( -name '*.cfg' -o -name '*.calib' \) -not -path '*/bad/*' | sort)

if [ -d converted ]; then
    bash scripts/upgrade-tree.sh "$FLYT" . "$tmp/tree" >/dev/null 2>&1
    check "converted/ is what scripts/upgrade-tree.sh makes now" \
        diff -r -x TESTS.md -x make-TESTS.py converted "$tmp/tree"
fi

# a bad scenario: validate's words, nothing on stdout
"$FLYT" upgrade scenarios/validation/bad/negative-beds.cfg >"$tmp/out" 2>"$tmp/err"
check "a bad scenario exits 2" test $? -eq 2
check "a bad scenario prints nothing on stdout" test ! -s "$tmp/out"
check "a bad scenario is reported as file:line" \
    grep -q "negative-beds.cfg:22: error: units.short_term.beds: must be between" "$tmp/err"
"$FLYT" upgrade --no-check scenarios/validation/bad/negative-beds.cfg >"$tmp/out" 2>"$tmp/err"
check "--no-check converts it" grep -q "capacity = -10;" "$tmp/out"

# -o: a new file only, never the input
F=scenarios/validation/tandem-blocking.cfg
"$FLYT" upgrade "$F" -o "$tmp/o.cfg"
check "-o writes the file" test $? -eq 0
"$FLYT" upgrade "$F" | cmp -s - "$tmp/o.cfg"
check "-o writes what stdout gets" test $? -eq 0
check "-o leaves no temporary or lock file" no_partial "$tmp/o.cfg"
"$FLYT" upgrade "$F" -o "$tmp/o.cfg" 2>"$tmp/err"
check "-o refuses an existing file" test $? -eq 2
check "-o says why" grep -q "cannot write '$tmp/o.cfg': the file exists" "$tmp/err"
cp "$F" "$tmp/in.cfg"
"$FLYT" upgrade "$tmp/in.cfg" -o "$tmp/in.cfg" 2>"$tmp/err"
check "-o refuses the input" test $? -eq 2
check "the input is left as it was" cmp -s "$F" "$tmp/in.cfg"

# @include: the main file only, with a note
mkdir -p "$tmp/inc"
sed -n '/^run:/,/^};/p' scenarios/validation/tandem-blocking.cfg >"$tmp/inc/run.cfg"
sed '/^run:/,/^};/d' scenarios/validation/tandem-blocking.cfg >"$tmp/inc/main.cfg"
echo '@include "run.cfg"' >>"$tmp/inc/main.cfg"
"$FLYT" upgrade "$tmp/inc/main.cfg" >"$tmp/out" 2>"$tmp/err"
check "a file with @include converts" test $? -eq 0
check "the @include is named in a note" grep -q "main.cfg:[0-9]*: note: @include left as it is" "$tmp/err"
check "the @include line stays" grep -q '^@include "run.cfg"$' "$tmp/out"

check "--key renames a unit key" test "$("$FLYT" upgrade --key units.short_term.beds)" = units.short_term.capacity
check "--key renames a home-care route" \
    test "$("$FLYT" upgrade --key units.home_care.rates_per_year.fit.end)" = units.home_care.rates_per_year.fit.home
check "--key leaves other keys" test "$("$FLYT" upgrade --key run.seed)" = run.seed
"$FLYT" upgrade --key decision.admissions_on_weekends >/dev/null 2>&1
check "--key refuses a key with no counterpart" test $? -eq 2
check "--kpi renames a KPI" test "$("$FLYT" upgrade --kpi nh_wait_mean)" = units.nursing_home.wait_mean

echo "e2e_upgrade: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
