#!/usr/bin/env bash
# Hardening, end to end: inputs that cannot be a scenarios/validation/bad
# file (empty, random bytes, 100 MB, --set mistakes), the unstable-unit
# warning, SIGINT/SIGTERM during a run, and a full disk (ulimit -f).
# Usage: e2e_harden.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

# validate_fails NAME FILE_OR_EMPTY EXPECTED_TEXT [flyt validate args...]:
# exit 2, the text on stderr, nothing on stdout.
validate_fails() {
  local name=$1 want=$2; shift 2
  "$FLYT" validate "$@" >"$tmp/v.out" 2>"$tmp/v.err"
  local rc=$?
  check "$name: exit 2" test "$rc" -eq 2
  if grep -qF -- "$want" "$tmp/v.err"; then ok "$name: says '$want'"; else
    bad "$name: stderr lacks '$want'; it was:"; head -c 2000 "$tmp/v.err"; fi
  check "$name: nothing on stdout" test ! -s "$tmp/v.out"
}

: >"$tmp/empty.cfg"
validate_fails "empty file" "empty.cfg:1: error: name: required key is missing" "$tmp/empty.cfg"

# Random bytes, with and without NUL bytes.
head -c 4096 /dev/urandom >"$tmp/random.cfg"
printf '\0' >>"$tmp/random.cfg"
validate_fails "random bytes" "error: a NUL byte on this line" "$tmp/random.cfg"
printf 'name = "x";\n\x01\x02{{;;\n' >"$tmp/junk.cfg"
validate_fails "control characters" "junk.cfg:2: error: syntax:" "$tmp/junk.cfg"
printf 'name = "x";\nrun: { horizon_days = nan; };\n' >"$tmp/nan.cfg"
validate_fails "nan in a file" "nan.cfg:2: error: syntax:" "$tmp/nan.cfg"

# libconfig 1.5 echoes a backslash in an @include name to stdout.
printf 'name = "x";\n@include "sub\\dir.cfg"\n' >"$tmp/bs.cfg"
validate_fails "backslash in @include" "bs.cfg:2: error: @include \"sub\\dir.cfg\": a backslash cannot be part of the name" "$tmp/bs.cfg"

# ... and drops an @include whose name never ends, without a word.
printf 'name = "x";\n@include "sub.cfg\n' >"$tmp/nq.cfg"
validate_fails "@include without closing quote" "nq.cfg:2: error: @include \"sub.cfg: the name has no closing quote" "$tmp/nq.cfg"

# 100 MB: refused at once by size, not parsed for minutes.
{ cat "$SRC/scenarios/trondheim-baseline.cfg"
  head -c 100000000 /dev/zero | tr '\0' '#'; } >"$tmp/huge.cfg"
start=$(date +%s)
validate_fails "100 MB file" "larger than 16 MiB" "$tmp/huge.cfg"
check "100 MB file: refused within 10 s" test $(($(date +%s) - start)) -le 10
rm -f "$tmp/huge.cfg"

validate_fails "--set unknown key" "--set:1: error: run.replicatons: unknown key 'replicatons'; valid here:" \
  --set run.replicatons=3
validate_fails "--set unknown group" "--set:1: error: nosuch: unknown key 'nosuch'; valid here:" \
  --set nosuch.key=3
validate_fails "--set NaN" "--set:1: error: run.warmup_days: must be a finite number, got 'nan'" \
  --set run.warmup_days=nan
validate_fails "--set without =" "--set:1: error: expected key.path=value" --set run.seed
validate_fails "--set on a group" "--set:1: error: 'run' is a group or list" --set run=3
validate_fails "--set wrong type" "--set:1: error: units.short_term.capacity: expected an integer, got a string" \
  --set units.short_term.capacity=many
validate_fails "--set unknown unit" "--set:1: error: no unit has id 'nosuch'" \
  --set units.nosuch.capacity=1
check "--set of a unit by its id is taken" "$FLYT" validate --set units.short_term.capacity=30

# The unstable-unit warning: far too few nursing-home beds.
"$FLYT" run -r 2 --no-progress --set units.nursing_home.capacity=600 -o "$tmp/w.h5" \
  >"$tmp/w.out" 2>"$tmp/w.err"
check "saturated run exits 0" test $? -eq 0
check "saturated nursing home is warned about" \
  grep -q "^warning: nursing_home utilisation 1.00: queues may grow without bound" "$tmp/w.out"
"$FLYT" run -r 2 --no-progress -o "$tmp/nw.h5" >"$tmp/nw.out" 2>/dev/null
check "the baseline has no warning" bash -c "! grep -q '^warning:' '$tmp/nw.out'"

# SIGTERM and SIGINT: stop at a replication boundary, write nothing, leave
# an existing output as it was, exit 128 + signal.
"$FLYT" run -r 2 --no-progress -o "$tmp/keep.h5" >/dev/null 2>&1
cp "$tmp/keep.h5" "$tmp/keep.orig"
for sig in TERM INT; do
  want=$([ $sig = TERM ] && echo 143 || echo 130)
  # A background job ignores SIGINT unless job control is on: set -m.
  set -m
  "$FLYT" run -r 1000000 -t 2 --no-progress -o "$tmp/keep.h5" >"$tmp/sig.out" 2>"$tmp/sig.err" &
  pid=$!
  set +m
  # wait until it is simulating: the scenario is loaded once the handlers
  # are in, which takes well under a second; give sanitizer builds time
  sleep 2
  kill -s $sig $pid
  wait $pid
  rc=$?
  check "SIG$sig: exit $want" test $rc -eq $want
  check "SIG$sig: says it stopped" grep -q "stopped by SIG$sig after .* replications; no output written" "$tmp/sig.err"
  check "SIG$sig: no .partial left" no_partial "$tmp/keep.h5"
  check "SIG$sig: existing output intact" cmp -s "$tmp/keep.h5" "$tmp/keep.orig"
  rm -f "$tmp/keep.h5.journal" # the finished replications, kept for --resume (e2e_checkpoint.sh)
done
check "run --help documents exit 130 and 143" bash -c "'$FLYT' run --help | grep -q '130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM'"

# Disk full: writes beyond ulimit -f fail with EFBIG (SIGXFSZ is ignored).
(ulimit -f 16; exec "$FLYT" run -r 3 --no-progress -o "$tmp/keep.h5" >/dev/null 2>"$tmp/full.err")
rc=$?
check "file too large: exit 1" test $rc -eq 1
check "file too large: clear message" grep -q "flyt run: error: cannot write '.*keep.h5.partial[.a-zA-Z0-9]*': File too large" "$tmp/full.err"
check "file too large: no .partial left" no_partial "$tmp/keep.h5"
check "file too large: existing output intact" cmp -s "$tmp/keep.h5" "$tmp/keep.orig"

echo "e2e_harden: $pass passed, $fail failed"
test "$fail" -eq 0
