#!/usr/bin/env bash
# Reading scenario text exactly, within limits, in linear time: @include
# files under the main file's checks, integer literals libconfig would
# wrap, byte-order marks, unreadable includes, many --set, --set:N
# positions, and bounded number formats in warnings.
# Usage: e2e_parse.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
BASE=$SRC/scenarios/trondheim-baseline.cfg

# expect_fail NAME EXPECTED_TEXT CMD...: exit 2, the text on stderr,
# nothing on stdout.
expect_fail() {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/o" 2>"$tmp/e"
  local rc=$?
  check "$name: exit 2" test "$rc" -eq 2
  if grep -qF -- "$want" "$tmp/e"; then ok "$name: says '$want'"; else
    bad "$name: stderr lacks '$want'; it was:"; head -c 2000 "$tmp/e"; echo; fi
  check "$name: nothing on stdout" test ! -s "$tmp/o"
}

# A long comment line in an @include file: libconfig 1.5 read it in 8 KiB
# pieces and rescanned it each time (4 MB: 19 s; 16 MB: over 400 s).
head -c 16000000 /dev/zero | tr '\0' 'x' | sed 's/^/#/' >"$tmp/long.cfg"
{ echo '@include "long.cfg"'; cat "$BASE"; } >"$tmp/main.cfg"
start=$(date +%s)
"$FLYT" validate "$tmp/main.cfg" >"$tmp/o" 2>"$tmp/e"
rc=$?
check "16 MB comment line in an @include: valid" test "$rc" -eq 0
check "16 MB comment line in an @include: read within 10 s" test $(($(date +%s) - start)) -le 10
# ... and the main file's 16 MiB limit applies to it
head -c 17000000 /dev/zero | tr '\0' '#' >"$tmp/long.cfg"
expect_fail "17 MB @include file" 'main.cfg:1: error: @include "long.cfg": the file is larger than 16 MiB' \
  "$FLYT" validate "$tmp/main.cfg"
rm -f "$tmp/long.cfg"

# A list of 150 000 shocks with unknown keys: naming each element searched
# the list from its start (98 s); 600 000 errors are counted, 200 shown.
/usr/bin/python3 - "$BASE" "$tmp/shocks.cfg" <<'PY'
import sys
base = open(sys.argv[1]).read()
el = '{ from = 1; to = 2; factor = 1.5; a1 = 1; a2 = 1; a3 = 1; a4 = 1; }'
open(sys.argv[2], 'w').write(base.replace('population: {', 'population: {\n  shocks = (' + ','.join([el] * 150000) + ');', 1))
PY
start=$(date +%s)
expect_fail "150 000 shocks with unknown keys" "shocks.cfg: 600000 errors" "$FLYT" validate "$tmp/shocks.cfg"
check "150 000 shocks: within 40 s (sanitizer builds included; before: 98 s)" test $(($(date +%s) - start)) -le 40
check "150 000 shocks: 200 errors shown" test "$(grep -c ': error: ' "$tmp/e")" -eq 200
rm -f "$tmp/shocks.cfg"

# A byte-order mark, in the main file and in an included one.
printf '\xef\xbb\xbf' | cat - "$BASE" >"$tmp/bom.cfg"
check "BOM at the start of a scenario: valid" bash -c "'$FLYT' validate '$tmp/bom.cfg' >/dev/null"
printf '\xef\xbb\xbfreport: { wait_target_days = 30.0; };\n' >"$tmp/bominc.cfg"
{ echo '@include "bominc.cfg"'; sed '/^report/,/^};/d' "$BASE"; } >"$tmp/main2.cfg"
check "BOM at the start of an @include file: valid" bash -c "'$FLYT' validate '$tmp/main2.cfg' >/dev/null"

# An @include that opens but cannot be read.
{ echo '@include "/proc/self/mem"'; cat "$BASE"; } >"$tmp/mem.cfg"
expect_fail "@include /proc/self/mem" 'mem.cfg:1: error: @include "/proc/self/mem": cannot read: Input/output error' \
  "$FLYT" validate "$tmp/mem.cfg"

# Integer literals libconfig 1.5 wraps without a word.
sed 's/replications = [0-9]*;/replications = 4294967297;/' "$BASE" >"$tmp/reps.cfg"
expect_fail "replications = 4294967297" "error: run.replications: 4294967297 does not fit in an integer without an L suffix" \
  "$FLYT" validate "$tmp/reps.cfg"
sed 's/seed = [0-9L]*;/seed = -4294967296;/' "$BASE" >"$tmp/seed.cfg"
expect_fail "seed = -4294967296" "error: run.seed: -4294967296 does not fit in an integer without an L suffix (-2147483648 to 2147483647) and would be read as 0" \
  "$FLYT" validate "$tmp/seed.cfg"
expect_fail "--set beyond 64 bits" "--set:1: error: run.seed: 99999999999999999999 does not fit in a 64-bit integer" \
  "$FLYT" validate "$BASE" --set run.seed=99999999999999999999

# More than 64 --set: all taken, and the 70th named as such.
sets=()
for i in $(seq 1 69); do sets+=(--set "run.seed=$i"); done
expect_fail "70 --set" "--set:70: error: units.short_term.capacity: expected an integer, got a string" \
  "$FLYT" validate "$BASE" "${sets[@]}" --set units.short_term.capacity=many

# --set:N is the N-th --set as typed: -r and --seed are not counted.
expect_fail "--set after -r and --seed" "--set:1: error: units.short_term.capacity: expected an integer" \
  "$FLYT" run "$BASE" -r 2 --seed 3 --set units.short_term.capacity=many -o "$tmp/x.h5"
# A distribution made invalid by --set points at the --set.
expect_fail "--set inside a distribution" "--set:2: error: units.nursing_home.los_days: sd must be a finite number > 0" \
  "$FLYT" validate "$BASE" --set run.seed=1 --set units.nursing_home.los_days.sd=0

# A coordinator role is named by its name on a --set path, as a unit by its id.
"$FLYT" validate "$SRC/scenarios/trondheim-2025-coordinator.cfg" \
  --set coordinators.samhandlingskoordinator.headcount=3 >/dev/null 2>"$tmp/co.err"
check "--set coordinators.<name>.headcount: valid" test $? -eq 0
expect_fail "--set of a role nobody has" "--set:1: error: no coordinator role is named 'nobody'" \
  "$FLYT" validate "$SRC/scenarios/trondheim-2025-coordinator.cfg" --set coordinators.nobody.headcount=3

# Numbers in warnings stay short: 1e-300 hours a week is a utilisation of 1e303
# (first fit: under the strict FIFO queue the first applicant, who asks more
# than 1e-300 hours, would stop every other: a gridlock, e2e_guards).
"$FLYT" run "$BASE" -r 2 --set run.horizon_days=150 --set run.warmup_days=30 \
  --set units.home_care.capacity=1e-300 --set units.home_care.queue=first_fit \
  -o "$tmp/w.h5" >"$tmp/w.out" 2>"$tmp/w.err"
check "tiny home-care hours: run exits 0" test $? -eq 0
check "tiny home-care hours: warned about" grep -q "warning: home_care utilisation" "$tmp/w.out"
check "tiny home-care hours: no line over 200 characters" \
  bash -c "! awk 'length(\$0) > 200 { bad = 1 } END { exit !bad }' '$tmp/w.out'"

# Sweep and calibration specs are read as scenarios are: an integer that
# libconfig would wrap, a byte-order mark, an @include relative to the spec.
sed "s/^replications = 3;/replications = 4294967299;/; s|^base = .*|base = \"$SRC/scenarios/trondheim-2025.cfg\";|" \
  "$SRC/scenarios/sweeps/test/grid.cfg" >"$tmp/wrap-sweep.cfg"
expect_fail "sweep spec, wrapped integer" \
  "wrap-sweep.cfg:5: error: replications: 4294967299 does not fit in an integer without an L suffix" \
  "$FLYT" sweep "$tmp/wrap-sweep.cfg" --dry-run
{ printf '\357\273\277'; sed "s|^base = .*|base = \"$SRC/scenarios/trondheim-2025.cfg\";|" \
  "$SRC/scenarios/sweeps/test/grid.cfg"; } >"$tmp/bom-sweep.cfg"
"$FLYT" sweep "$tmp/bom-sweep.cfg" --dry-run >/dev/null 2>&1
check "sweep spec with a byte-order mark is read" test $? -eq 0
sed "s/^replications = 50;/replications = 4294967346;/; s|^scenario = .*|scenario = \"$SRC/scenarios/trondheim-2025.cfg\";|" \
  "$SRC/scenarios/calibration/trondheim-2025.calib" >"$tmp/wrap.calib"
expect_fail "calibration spec, wrapped integer" \
  "wrap.calib:11: error: replications: 4294967346 does not fit in an integer without an L suffix" \
  "$FLYT" calibrate "$tmp/wrap.calib" -o "$tmp/fitted.cfg"
check "calibration spec, wrapped integer: nothing written" test ! -e "$tmp/fitted.cfg"

# flyt run and compare take as many --set as validate (they stopped at 64).
many=()
for i in $(seq 1 100); do many+=(--set "run.seed=$i"); done
"$FLYT" run -r 2 --no-progress --set run.horizon_days=200 "${many[@]}" -o "$tmp/many.h5" >/dev/null 2>"$tmp/many.err"
check "flyt run with 101 --set runs" test $? -eq 0

# Command lines through getopt_long (issue 17): long names typed whole
# (a prefix is no option, so an option added later cannot change an old
# command line), --opt=value as well as --opt value, options after
# positionals, "--" before a positional that starts with a dash.
expect_fail "an abbreviated long option" "flyt validate: error: unknown option '--list'" \
  "$FLYT" validate --list
expect_fail "an unknown option" "flyt run: error: unknown option '--bogus' (see flyt run --help)" \
  "$FLYT" run --bogus
expect_fail "an option without its value" "flyt run: error: -o needs a value (see flyt run --help)" \
  "$FLYT" run -r 2 -o
expect_fail "--set=KEY=VALUE validated like --set" "--set:1: error: run.replicatons: unknown key" \
  "$FLYT" validate "$BASE" --set=run.replicatons=3
"$FLYT" validate --set run.replications=3 "$BASE" >/dev/null 2>&1
check "an option before the scenario" test $? -eq 0
"$FLYT" run "$BASE" --replications=2 --set=run.horizon_days=200 -t1 --no-progress -o "$tmp/eq.h5" >/dev/null 2>&1
check "--opt=value and -tN forms run" test $? -eq 0
"$FLYT" validate -- "$BASE" >/dev/null 2>&1
check "-- ends the options" test $? -eq 0

echo "e2e_parse: $pass passed, $fail failed"
test "$fail" -eq 0
