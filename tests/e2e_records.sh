#!/usr/bin/env bash
# flyt export --records: a run's logs as stay records (docs/records.md).
# The stays conserve the patients of /events (every admission, arrival,
# readmission and placement at time 0 is one stay row, at its time; every
# end is an event of that patient at that time; the stays still running at
# the horizon are the patients still in the system), the discharge-ready
# periods are /events' ready events, and flyt_records_read accepts what
# was written (through tests/test_records --read). Bad uses are refused.
# Usage: e2e_records.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
READER="${FLYT%/*}/tests/test_records"
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"

CFG="$SRC/scenarios/trondheim-2025-coordinator.cfg"
SHORT=(--set run.horizon_days=150 --set run.warmup_days=30 -r 2 -t 1 --no-progress)
"$FLYT" run "$CFG" "${SHORT[@]}" --patients --events -o "$tmp/run.h5" >/dev/null 2>&1
check "run --patients --events exits 0" test $? -eq 0
"$FLYT" export "$tmp/run.h5" --records --replication 1 -o "$tmp/rec" >"$tmp/out" 2>&1
check "export --records exits 0" test $? -eq 0
check "it names its three files" bash -c "grep -c 'rec-\(stays\|ready\|units\)\.csv' '$tmp/out' | grep -qx 3"
for k in stays ready units; do
  check "$k file written, nothing partial left" bash -c \
    "test -s '$tmp/rec-$k.csv' && ! compgen -G '$tmp/rec-$k.csv.partial*' >/dev/null"
done
"$FLYT" export "$tmp/run.h5" --records --replication 1 -o "$tmp/rec" >/dev/null 2>&1
check "its own files are replaced on a second export" test $? -eq 0

if [ -x "$READER" ]; then
  "$READER" --read "$CFG" "$tmp/rec" >"$tmp/read" 2>&1
  check "flyt_records_read accepts the export" test $? -eq 0
  check "... and counts its stays" grep -q "^patients [1-9][0-9]* stays [1-9]" "$tmp/read"
else
  echo "SKIP reading back: $READER is not built"
fi

if ! "$PY" -c "import h5py, numpy" 2>/dev/null; then
  echo "SKIP e2e_records python checks: /usr/bin/python3 with h5py and numpy is not installed"
else
  "$PY" - "$tmp/run.h5" "$tmp/rec" 1 >"$tmp/py" 2>&1 <<'PYEOF'
import collections, csv, datetime, sys
import h5py, numpy as np
path, stem, rep = sys.argv[1], sys.argv[2], int(sys.argv[3])
f = h5py.File(path, "r")
ev = f["events"]
sel = ev["replication"][:] == rep
t = ev["t"][:][sel]
pid = ev["patient"][:][sel]
kind = ev["event"][:][sel]
detail = ev["detail"][:][sel]
names = {v: k for k, v in h5py.check_enum_dtype(ev["event"].dtype).items()}
kind = np.array([names[k] for k in kind])
ids = [s.decode() if isinstance(s, bytes) else s for s in f["units/ids"][:]]
hosp = [i for i, h in enumerate(f["units"].attrs["hospital"]) if h][0]
start = datetime.datetime.fromisoformat(f.attrs["start_date"].decode()
                                        if isinstance(f.attrs["start_date"], bytes)
                                        else f.attrs["start_date"])
def stamp(x):  # as the export writes it: whole seconds
    return (start + datetime.timedelta(seconds=round(x * 86400))).strftime("%Y-%m-%dT%H:%M:%S")
def key(p):
    return "p%d-%d" % (int(p) >> 44, int(p) & ((1 << 44) - 1))

def rows(name):
    with open(f"{stem}-{name}.csv") as fh:
        return list(csv.DictReader(l for l in fh if not l.startswith("#")))

stays = rows("stays")
ready = rows("ready")
problems = []
def want(cond, msg):
    if not cond:
        problems.append(msg)

# every admission, arrival, readmission, placement: one stay at its time
opened = {}
for i in np.nonzero(np.isin(kind, ["admit", "initial", "arrival", "readmission"]))[0]:
    u = hosp if kind[i] in ("arrival", "readmission") else int(detail[i])
    k = (key(pid[i]), ids[u], stamp(t[i]))
    opened[k] = opened.get(k, 0) + 1
got = {}
for r in stays:
    k = (r["patient"], r["unit"], r["start"])
    got[k] = got.get(k, 0) + 1
want(opened == got, f"stays != admissions: {len(got)} vs {len(opened)} keys, "
     f"{sum(got.values())} vs {sum(opened.values())} rows")
# every end is an event of the patient at that time
ends = set()
for i in np.nonzero(np.isin(kind, ["stay_end", "admit", "ukp_end", "death", "exit",
                                   "arrival", "readmission"]))[0]:
    ends.add((key(pid[i]), stamp(t[i])))
bad_end = [r for r in stays if r["end"] and (r["patient"], r["end"]) not in ends]
want(not bad_end, f"{len(bad_end)} stay ends are no event of their patient")
want(all(r["end"] >= r["start"] for r in stays if r["end"]), "an end before its start")
# the stays still running at the horizon are the patients still in the system
pa = f["patients"]
psel = pa["replication"][:] == rep
exit_names = {v: k for k, v in h5py.check_enum_dtype(pa["exit_reason"].dtype).items()}
in_system = sum(1 for e in pa["exit_reason"][:][psel] if exit_names[e] == "in_system")
open_stays = sum(1 for r in stays if not r["end"])
want(open_stays == in_system, f"{open_stays} open stays, {in_system} patients in the system")
want(all(r["next"] == "" for r in stays if not r["end"]), "an open stay with a next place")
want(all(r["next"] != "" for r in stays if r["end"]), "a finished stay without a next place")
# one patient in one place at a time, and each stay's next place is where
# the patient's next stay is (home: the next is a hospital stay; death: none)
by = {}
for r in stays:
    by.setdefault(r["patient"], []).append(r)
chain = collections.Counter()
for p, rs in by.items():
    rs.sort(key=lambda r: r["start"])
    for a, b in zip(rs, rs[1:] + [None]):
        if b is not None:
            want(a["end"] and a["end"] <= b["start"], f"overlapping stays of {p}")
        if a["next"] in ids:
            ok_ = b is not None and b["unit"] == a["next"] and b["start"] >= a["end"]
        elif a["next"] == "home":
            ok_ = b is None or b["unit"] == ids[hosp]
        elif a["next"] == "death":
            ok_ = b is None
        else:
            ok_ = b is None and not a["end"]
        chain[ok_] += 1
want(chain[False] == 0, f"{chain[False]} of {sum(chain.values())} stays' next place is not "
     "where the patient's next stay is")
# discharge-ready periods: one per ready event
n_ready = int(np.sum(kind == "ready"))
want(len(ready) == n_ready, f"{len(ready)} ready rows, {n_ready} ready events")
want(sum(1 for r in ready if r["discharge"]) == int(np.sum(kind == "ukp_end")) +
     sum(1 for r in ready if r["destination"] == "death"), "discharges != ukp_end + deaths")
# the window: end of the warm-up to the horizon
with open(f"{stem}-stays.csv") as fh:
    head = fh.read(400)
want(f"# from: {stamp(f.attrs['warmup_days'])}" in head, "# from: is not the end of the warm-up")
want(f"# extracted: {stamp(f.attrs['horizon_days'])}" in head, "# extracted: is not the horizon")
print("\n".join(problems) if problems else f"ok {len(stays)} stays {len(ready)} ready")
sys.exit(1 if problems else 0)
PYEOF
  rc=$?
  check "stays and ready periods conserve /events ($(tail -1 "$tmp/py"))" test $rc -eq 0
  [ $rc -eq 0 ] || cat "$tmp/py"
fi

"$FLYT" run "$CFG" "${SHORT[@]}" -o "$tmp/plain.h5" >/dev/null 2>&1
"$FLYT" export "$tmp/plain.h5" --records -o "$tmp/plain" >"$tmp/err" 2>&1
check "a run without logs is refused (exit 2)" test $? -eq 2
check "... saying to run with --patients --events" grep -q -- "--patients --events" "$tmp/err"
check "... and nothing is written" bash -c "! compgen -G '$tmp/plain-*' >/dev/null"
"$FLYT" export "$tmp/run.h5" --records --replication 7 -o "$tmp/r7" >"$tmp/err" 2>&1
check "a replication the run does not have is refused (exit 2)" test $? -eq 2
echo "not ours" >"$tmp/mine-stays.csv"
"$FLYT" export "$tmp/run.h5" --records -o "$tmp/mine" >/dev/null 2>&1
check "a file flyt did not write is not replaced (exit 2)" test $? -eq 2
check "... and is left as it was" grep -qx "not ours" "$tmp/mine-stays.csv"
"$FLYT" export "$tmp/run.h5" --records --format csv >/dev/null 2>&1
check "--records with --format is bad usage (exit 2)" test $? -eq 2

echo "e2e_records: $pass passed, $fail failed"
test "$fail" -eq 0
