#!/usr/bin/env bash
# flyt merge and flyt sweep --resume never trust a damaged file: single-bit
# flips spread over a shard (300), a journal (40) and a finished output,
# each at a position drawn with a fixed seed. For every flip: no crash or
# signal, and either the result is bit-identical to the intact run's (the
# flip hit bytes nothing reads, or damaged work was done again) or exit 2
# with a message naming the damaged file.
# Usage: e2e_shard_flip.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
SW=$SRC/scenarios/sweeps/test
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
cd "$tmp" || exit 1

# The flips: N positions, one in each of N equal slices of the file.
cat >flip.py <<'EOF'
import os, random, subprocess, sys

def positions(path, n, seed):
    bits = os.path.getsize(path) * 8
    rng = random.Random(seed)
    return [rng.randrange(i * bits // n, (i + 1) * bits // n) for i in range(n)]

def flip(src, dst, bit):
    b = bytearray(open(src, "rb").read())
    b[bit // 8] ^= 1 << (bit % 8)
    open(dst, "wb").write(b)

def same(a, b, groups):
    return all(subprocess.run(["h5diff", a, b, g, g], capture_output=True).returncode == 0
               for g in groups)
EOF

# --- merge: flips in one shard of three --------------------------------------
for i in 0 1 2; do
  "$FLYT" sweep "$SW/grid.cfg" --shard $i/3 -o . >/dev/null 2>&1 || bad "shard $i/3 runs"
done
"$FLYT" merge test-grid.shard-*.h5 -o intact.h5 >/dev/null 2>&1
check "intact shards merge" test $? -eq 0
check "a shard ends with its checksum seal" \
  $PY -c "import sys; sys.exit(b'flyt-seal sha256 ' not in open('test-grid.shard-1-of-3.h5','rb').read()[-90:])"
check "h5py reads a sealed file" \
  $PY -c "import h5py; h5py.File('test-grid.shard-1-of-3.h5')['tasks/ukp_wait_mean'][:]"

cp test-grid.shard-1-of-3.h5 good1.h5
cat >merge_flips.py <<'EOF'
import subprocess, sys
sys.path.insert(0, ".")
from flip import positions, flip, same
flyt = sys.argv[1]
shard = "test-grid.shard-1-of-3.h5"
n_ok = n_refused = 0
failures = []
for bit in positions("good1.h5", 300, 20261204):
    flip("good1.h5", shard, bit)
    p = subprocess.run([flyt, "merge", "test-grid.shard-0-of-3.h5", shard,
                        "test-grid.shard-2-of-3.h5", "-o", "m.h5"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode < 0 or p.returncode >= 128:
        failures.append(f"bit {bit}: killed by a signal (status {p.returncode})")
    elif p.returncode == 0 and same("m.h5", "intact.h5", ["/tasks", "/points", "/summary", "/units"]):
        n_ok += 1
    elif p.returncode == 2 and shard in p.stderr and "--shard 1/3" in p.stderr \
            and not __import__("os").path.exists("m.h5"):
        n_refused += 1
    else:
        failures.append(f"bit {bit}: exit {p.returncode}, stderr {p.stderr.strip()[:200]!r}")
    subprocess.run(["rm", "-f", "m.h5"])
print(f"merge flips: {n_refused} refused naming the shard, {n_ok} merged identical, "
      f"{len(failures)} wrong")
for f in failures[:20]:
    print("  " + f)
sys.exit(1 if failures else 0)
EOF
$PY merge_flips.py "$FLYT"
check "300 bit flips in a shard: refused naming it, or merged identical; never a crash" test $? -eq 0
cp good1.h5 test-grid.shard-1-of-3.h5

# A shard cut short, and one with only its seal lost.
head -c $(( $(stat -c %s good1.h5) / 2 )) good1.h5 >test-grid.shard-1-of-3.h5
"$FLYT" merge test-grid.shard-*.h5 -o cut.h5 2>cut.err
check "a shard cut short exits 2" test $? -eq 2
check "and is named with the command that reruns it" \
  grep -q "test-grid.shard-1-of-3.h5.*flyt sweep .*grid.cfg --shard 1/3 -o test-grid.shard-1-of-3.h5" cut.err
check "nothing written" test ! -e cut.h5 -a ! -e cut.h5.partial
head -c -82 good1.h5 >test-grid.shard-1-of-3.h5
"$FLYT" merge test-grid.shard-*.h5 -o cut.h5 2>cut.err
check "a shard without its seal exits 2" test $? -eq 2
check "and says it has no checksum seal" grep -q "no checksum seal" cut.err
cp good1.h5 test-grid.shard-1-of-3.h5

# --- the merged file itself: flips in a finished output, then --resume -------
# (--resume on a finished output says "nothing to do"; on a damaged one it
# must not believe it, and writes it again.)
"$FLYT" sweep "$SW/grid.cfg" -o whole.h5 >/dev/null 2>&1
cp whole.h5 whole-good.h5
$PY -c "
import sys; sys.path.insert(0, '.')
from flip import positions, flip
flip('whole-good.h5', 'whole.h5', positions('whole-good.h5', 1, 7)[0])"
"$FLYT" sweep "$SW/grid.cfg" -o whole.h5 --resume >/dev/null 2>resume.err
check "--resume on a damaged output exits 0" test $? -eq 0
check "and says the output was damaged" grep -q "whole.h5.*damaged\|whole.h5.*checksum" resume.err
$PY -c "import sys; sys.path.insert(0, '.'); from flip import same; sys.exit(not same('whole.h5', 'intact.h5', ['/tasks', '/points', '/summary', '/units']))"
check "and writes it again, identical" test $? -eq 0

# --- the journal: flips in the journal of a run whose output failed -----------
# A file-size limit above the journal (18 KB) and below the output (about
# 100 KB) makes the write fail after every task is journalled: a complete
# journal, deterministically.
(ulimit -f 60; "$FLYT" sweep "$SW/grid.cfg" -o j.h5 >/dev/null 2>&1)
check "a failed write keeps the journal" test -s j.h5.journal
cp j.h5.journal good.journal
cat >journal_flips.py <<'EOF'
import os, subprocess, sys
sys.path.insert(0, ".")
from flip import positions, flip, same
flyt, sweep = sys.argv[1], sys.argv[2]
n_ok = n_refused = 0
failures = []
for bit in positions("good.journal", 40, 4242):
    flip("good.journal", "j.h5.journal", bit)
    p = subprocess.run([flyt, "sweep", sweep, "-o", "j.h5", "-t", "1", "--resume"],
                       capture_output=True, text=True, timeout=120)
    if p.returncode < 0 or p.returncode >= 128:
        failures.append(f"bit {bit}: killed by a signal (status {p.returncode})")
    elif p.returncode == 0 and same("j.h5", "intact.h5", ["/tasks", "/points", "/summary", "/units"]):
        n_ok += 1
    elif p.returncode == 2 and "j.h5.journal" in p.stderr and not os.path.exists("j.h5"):
        n_refused += 1
    else:
        failures.append(f"bit {bit}: exit {p.returncode}, stderr {p.stderr.strip()[:200]!r}")
    subprocess.run(["rm", "-f", "j.h5", "j.h5.journal"])
print(f"journal flips: {n_refused} refused naming the journal, {n_ok} resumed identical, "
      f"{len(failures)} wrong")
for f in failures[:20]:
    print("  " + f)
sys.exit(1 if failures else 0)
EOF
$PY journal_flips.py "$FLYT" "$SW/grid.cfg"
check "40 bit flips in a journal: refused naming it, or resumed identical; never a crash" test $? -eq 0

# The two journal cases by name: a damaged header is refused, a damaged
# record mid-journal is said out loud (and its tasks run again).
$PY -c "
import sys; sys.path.insert(0, '.')
from flip import flip
flip('good.journal', 'j.h5.journal', 9 * 8)"
"$FLYT" sweep "$SW/grid.cfg" -o j.h5 --resume >/dev/null 2>head.err
check "a journal with a damaged header exits 2" test $? -eq 2
check "and is named as damaged" grep -q "j.h5.journal' is damaged" head.err
$PY -c "
import sys; sys.path.insert(0, '.')
from flip import flip
flip('good.journal', 'j.h5.journal', 2000 * 8)"
"$FLYT" sweep "$SW/grid.cfg" -o j.h5 --resume >/dev/null 2>rec.err
check "a damaged journal record: the run goes on" test $? -eq 0
check "and says what was dropped" grep -q "warning: 'j.h5.journal': a damaged record at byte" rec.err
$PY -c "import sys; sys.path.insert(0, '.'); from flip import same; sys.exit(not same('j.h5', 'intact.h5', ['/tasks', '/points', '/summary', '/units']))"
check "and writes the same file" test $? -eq 0

# --- forged shards: a valid seal over text stored as variable-length
# strings (HDF5 1.10 follows their global-heap addresses unchecked, and
# crashes on forged ones): merge reads no such string; it refuses the file
# by name, exit 2, before HDF5 is asked for one.
cat >forge.py <<'EOF'
import hashlib, sys
import h5py, numpy as np
SEAL = 17 + 64 + 1  # "\nflyt-seal sha256 " + hex + "\n" (sim/output/h5/h5_seal.h)
src, dst, what = sys.argv[1:4]
body = open(src, "rb").read()[:-SEAL]
open(dst, "wb").write(body)
with h5py.File(dst, "r+") as f:
    vlen = h5py.string_dtype()
    if what == "kind":
        del f.attrs["kind"]
        f.attrs.create("kind", "sweep-shard", dtype=vlen)
    elif what == "version":
        f.attrs["format_version"] = np.int32(4)
    elif what == "kpi":
        kpi = [k.decode() for k in f["units"].attrs["kpi"]]
        del f["units"].attrs["kpi"]
        f["units"].attrs.create("kpi", kpi, dtype=vlen)
    else:  # a dataset: units/ids or tasks/status_detail
        old = [s.decode() for s in f[what][:]]
        del f[what]
        f.create_dataset(what, data=old, dtype=vlen)
body = open(dst, "rb").read()
open(dst, "ab").write(b"\nflyt-seal sha256 " + hashlib.sha256(body).hexdigest().encode() + b"\n")
EOF
forged() {
  rm -rf forged && mkdir forged && cp test-grid.shard-0-of-3.h5 test-grid.shard-2-of-3.h5 forged/ &&
    $PY forge.py good1.h5 forged/test-grid.shard-1-of-3.h5 "$1" &&
    "$FLYT" merge forged/test-grid.shard-*.h5 -o forged/out.h5 >/dev/null 2>forged.err
}
forged kind
check "a resealed shard whose 'kind' is a variable-length string exits 2" test $? -eq 2
check "and names the attribute" \
  grep -q "shard-1-of-3.h5': not a flyt sweep file (attribute 'kind' missing or not fixed-length text)" \
  forged.err
forged units/ids
check "a resealed shard with variable-length /units/ids exits 2" test $? -eq 2
check "and names the dataset" grep -q "dataset '/units/ids' missing, or not fixed-length text" forged.err
forged tasks/status_detail
check "a resealed shard with a variable-length status_detail exits 2" test $? -eq 2
check "and names it" grep -q "dataset '/tasks/status_detail' missing, or not fixed-length" forged.err
forged kpi
check "a resealed shard with variable-length KPI names exits 2" test $? -eq 2
forged version
check "a shard of a newer format version exits 2" test $? -eq 2
check "and says so" grep -q "format version 4, newer than this flyt's 3" forged.err
check "no forged merge wrote an output" test ! -e forged/out.h5
# A shard of format 1 (variable-length strings; the fuzz corpus's before
# 2026-12-05): refused by its version, before any text is read.
cp "$SRC/tests/fuzz/regressions/merge/format-1-vlen-strings.shard-0-of-2.h5" old.shard-0-of-2.h5
"$FLYT" merge old.shard-0-of-2.h5 -o old.h5 >/dev/null 2>old.err
check "a shard of an older format version exits 2" test $? -eq 2
check "and says to write it again" \
  grep -q "a sweep file of format version 1, written by a flyt before 2026-12-05.*write it again with this flyt" \
  old.err

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
