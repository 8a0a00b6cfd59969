#!/usr/bin/env bash
# Output files are never lost and never written over the wrong thing:
# inputs, files flyt did not write, folders, devices and FIFOs are refused
# before anything runs; a full disk is an error (exit 1), not a crash; two
# flyt writing one file cannot both report success; no temporary or lock
# file is left behind.
# Usage: e2e_outputs.sh FLYT SOURCE_DIR
FLYT=$1
SRC=$2
# shellcheck source=tests/e2e_lib.sh
. "$SRC/tests/e2e_lib.sh"
BASE=$SRC/scenarios/trondheim-baseline.cfg
Q=(--set run.horizon_days=200 --set run.warmup_days=40 -r 2 --no-progress)
cd "$tmp" || exit 1
leftovers() { ! ls -a | grep -Eq '\.partial\.|\.lock$'; }

cp "$BASE" self.cfg
cp self.cfg self.orig
"$FLYT" run self.cfg "${Q[@]}" -o self.cfg >/dev/null 2>err.txt
check "run -o its own scenario: exit 2" test $? -eq 2
check "run -o its own scenario: says it is the input" grep -q "is the input" err.txt
check "run -o its own scenario: scenario intact" cmp -s self.cfg self.orig
"$FLYT" run ./self.cfg "${Q[@]}" -o self.cfg >/dev/null 2>&1
check "run ./a.cfg -o a.cfg: exit 2" test $? -eq 2
ln self.cfg hard.cfg
"$FLYT" compare self.cfg "$BASE" "${Q[@]}" -o hard.cfg >/dev/null 2>&1
check "compare -o a hard link of an input: exit 2" test $? -eq 2
check "compare: input intact" cmp -s self.cfg self.orig

echo "my notes" >notes.txt
"$FLYT" run "${Q[@]}" -o notes.txt >/dev/null 2>err.txt
check "a file flyt did not write: exit 2" test $? -eq 2
check "a file flyt did not write: says so" grep -q "not a flyt output" err.txt
check "a file flyt did not write: intact" grep -qx "my notes" notes.txt
if command -v h5dump >/dev/null && /usr/bin/python3 -c 'import h5py' 2>/dev/null; then
  /usr/bin/python3 -c 'import h5py; h5py.File("other.h5", "w").attrs["format"] = "other"'
  "$FLYT" run "${Q[@]}" -o other.h5 >/dev/null 2>&1
  check "an HDF5 file without format = flyt: exit 2" test $? -eq 2
else
  echo "skip HDF5 file without format = flyt: no h5py"
fi

"$FLYT" run "${Q[@]}" -o '' >/dev/null 2>err.txt
check "-o '': exit 2" test $? -eq 2
mkdir adir
"$FLYT" run "${Q[@]}" -o adir >/dev/null 2>err.txt
check "-o a folder: exit 2" test $? -eq 2
check "-o a folder: says folder" grep -q "is a folder" err.txt
mkfifo fifo
"$FLYT" run "${Q[@]}" -o fifo >/dev/null 2>err.txt
check "-o a FIFO: exit 2" test $? -eq 2
check "-o a FIFO: still a FIFO" test -p fifo
"$FLYT" run "${Q[@]}" -o /dev/null >/dev/null 2>err.txt
check "-o /dev/null: exit 2" test $? -eq 2
check "-o /dev/null: still a device" test -c /dev/null
"$FLYT" run "${Q[@]}" -o no/such/out.h5 >/dev/null 2>err.txt
check "missing folder: exit 1 before running" test $? -eq 1
check "missing folder: named" grep -q "no/such" err.txt

# merge -o one of its inputs
"$FLYT" run "${Q[@]}" -o m.h5 >/dev/null 2>&1
cp m.h5 m.orig
"$FLYT" merge m.h5 -o m.h5 >/dev/null 2>err.txt
check "merge -o one of its inputs: exit 2" test $? -eq 2
check "merge -o one of its inputs: input intact" cmp -s m.h5 m.orig

# forecast --dump-census over a file that is not a census
echo "keep me" >census.csv
"$FLYT" forecast --dump-census census.csv --day 30 >/dev/null 2>err.txt
check "dump-census over a foreign file: exit 2" test $? -eq 2
check "dump-census over a foreign file: intact" grep -qx "keep me" census.csv
rm census.csv
"$FLYT" forecast --dump-census census.csv --day 30 >/dev/null 2>&1
check "dump-census writes" grep -q "^# census_date: " census.csv
cp census.csv census.orig
(ulimit -f 1; exec "$FLYT" forecast --dump-census census.csv --day 30 >/dev/null 2>err.txt)
check "dump-census on a full disk: exit 1" test $? -eq 1
check "dump-census on a full disk: the reason" grep -q "File too large" err.txt
check "dump-census on a full disk: old census intact" cmp -s census.csv census.orig

# A full disk while the logs stream: exit 1 with the reason, not SIGSEGV.
"$FLYT" run "${Q[@]}" -o log.h5 >/dev/null 2>&1
cp log.h5 log.orig
for f in 40 400 1500; do
  (ulimit -f $f; exec "$FLYT" run -r 3 -t 2 --no-progress --patients --events -o log.h5 >/dev/null 2>err.txt)
  rc=$?
  check "logs, file limit ${f}k: exit 1 (was 139)" test $rc -eq 1
  check "logs, file limit ${f}k: the reason" grep -q "File too large" err.txt
  check "logs, file limit ${f}k: old file intact" cmp -s log.h5 log.orig
done

# A real full disk, where mounting is allowed (root outside a container).
mkdir full
if mount -t tmpfs -o size=200k tmpfs full 2>/dev/null; then
  "$FLYT" run -r 5 --no-progress --patients -o full/out.h5 >/dev/null 2>err.txt
  rc=$?
  check "tmpfs full, --patients: exit 1" test $rc -eq 1
  check "tmpfs full: No space left on device" grep -q "No space left on device" err.txt
  check "tmpfs full: nothing left" test -z "$(ls -A full)"
  umount full
else
  echo "skip tmpfs full disk: mount not permitted here (ulimit -f cases above cover the write failure)"
fi

# Two flyt writing one file: the second is refused at once.
# (20,000 replications run for minutes; a million reserved 4 GB of results up
# front, which a machine that does not overcommit refuses at once)
"$FLYT" run -r 20000 -t 1 --no-progress -o two.h5 >/dev/null 2>first.err &
pid=$!
# The lock file exists a moment before it is locked (open, then flock): wait
# until the kernel lists a lock on it (/proc/locks names its inode), or a
# second writer started in that moment takes the lock first (a gate under
# load saw it: then the first writer is the one refused).
locked() { [ -e two.h5.lock ] && grep -q ":$(stat -c %i two.h5.lock 2>/dev/null) " /proc/locks; }
for _ in $(seq 100); do locked && break; sleep 0.1; done
"$FLYT" run "${Q[@]}" -o two.h5 >/dev/null 2>second.err
check "second writer: exit 1" test $? -eq 1
check "second writer: another flyt is writing it" grep -q "another flyt is writing it" second.err
kill -s TERM $pid
wait $pid
rc=$?
check "first writer stopped by SIGTERM: exit 143" test $rc -eq 143
[ $rc -eq 143 ] || sed 's/^/  first writer: /' first.err

check "no temporary or lock file left" leftovers

echo "e2e_outputs: $pass passed, $fail failed"
test "$fail" -eq 0
