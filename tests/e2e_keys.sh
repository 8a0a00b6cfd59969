#!/usr/bin/env bash
# The scenario reference and the loader agree, and the shipped scenarios behave:
#   1. the first-column keys of the tables in docs/scenario-reference.md are exactly
#      the keys `flyt validate --list-keys` prints, each in one row;
#   2. every scenarios/**/*.cfg outside validation/bad/, sweeps/ and calibration/
#      (sweep and calibration specs, not scenarios) validates;
#   3. every scenarios/validation/bad/*.cfg exits 2 with its `# expect:` text on
#      stderr and nothing on stdout;
#   4. the reference's complete minimal example validates.
# Usage: bash tests/e2e_keys.sh PATH-TO-FLYT SOURCE-DIR
set -u
flyt=${1:?usage: e2e_keys.sh FLYT SOURCE-DIR}
src=${2:?usage: e2e_keys.sh FLYT SOURCE-DIR}
doc="$src/docs/scenario-reference.md"
export LC_ALL=C

tmp=$(mktemp -d "${TMPDIR:-/tmp}/flyt-e2e-keys.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

passed=0
failed=0
ok() {
    passed=$((passed + 1))
}
fail() {
    failed=$((failed + 1))
    echo "FAIL: $*" >&2
}

# 1. documented keys == loader keys, each documented once
if [ ! -f "$doc" ]; then
    fail "$doc is missing"
else
    grep '^| `' "$doc" | sed -E 's/^\| `([^`]*)`.*/\1/' | sort > "$tmp/doc-all"
    sort -u "$tmp/doc-all" > "$tmp/doc"
    if "$flyt" validate --list-keys | sort > "$tmp/loader"; then
        if diff -u "$tmp/loader" "$tmp/doc" > "$tmp/keys.diff"; then
            ok
        else
            fail "keys differ between flyt validate --list-keys (-) and $doc (+):"
            cat "$tmp/keys.diff" >&2
        fi
    else
        fail "flyt validate --list-keys failed"
    fi
    dups=$(uniq -d "$tmp/doc-all")
    if [ -z "$dups" ]; then
        ok
    else
        fail "keys in more than one table row of $doc: $(echo "$dups" | tr '\n' ' ')"
    fi
fi

# 2. every shipped scenario validates
while IFS= read -r f; do
    if "$flyt" validate "$f" > "$tmp/out" 2> "$tmp/err"; then
        ok
    else
        fail "$f does not validate:"
        cat "$tmp/err" >&2
    fi
done < <(find -H "$src/scenarios" -name '*.cfg' -not -path '*/validation/bad/*' -not -path '*/sweeps/*' -not -path '*/calibration/*' | sort)

# 3. every bad scenario fails with its expected message
n_bad=0
for f in "$src"/scenarios/validation/bad/*.cfg; do
    [ -e "$f" ] || continue
    n_bad=$((n_bad + 1))
    expect=$(head -n 1 "$f" | sed -n 's/^# expect: //p')
    if [ -z "$expect" ]; then
        fail "$f: the first line is not '# expect: <text>'"
        continue
    fi
    "$flyt" validate "$f" > "$tmp/out" 2> "$tmp/err"
    rc=$?
    if [ "$rc" -ne 2 ]; then
        fail "$f: exit status $rc, expected 2"
    elif [ -s "$tmp/out" ]; then
        fail "$f: wrote to stdout: $(cat "$tmp/out")"
    elif ! grep -qF -- "$expect" "$tmp/err"; then
        fail "$f: stderr lacks '$expect'; it was:"
        cat "$tmp/err" >&2
    else
        ok
    fi
done
if [ "$n_bad" -lt 14 ]; then
    fail "only $n_bad files in scenarios/validation/bad/ (at least 14 expected)"
fi

# 4. the minimal example in the reference validates
if [ -f "$doc" ]; then
    awk '/<!-- example:begin -->/ { f = 1; next } /<!-- example:end -->/ { f = 0 } f' "$doc" |
        grep -v '^```' > "$tmp/example.cfg"
    if [ ! -s "$tmp/example.cfg" ]; then
        fail "no <!-- example:begin --> block in $doc"
    elif "$flyt" validate "$tmp/example.cfg" > /dev/null 2> "$tmp/err"; then
        ok
    else
        fail "the minimal example in $doc does not validate:"
        cat "$tmp/err" >&2
    fi
fi

echo "e2e_keys: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
