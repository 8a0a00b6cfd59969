#!/usr/bin/env bash
# flyt bench --json: every field of the bare reference, the PF1 runs and
# the machine line is there and is a number or a string as it should be;
# a region of three catchments (Troms og Ofoten) is timed both ways, on
# the same events. Speed is never checked: this is a shape test, not a
# timing pass/fail.
# Usage: e2e_bench.sh FLYT SOURCE_DIR
set -uo pipefail
FLYT=$1
SRC=$2
PY=/usr/bin/python3
. "${BASH_SOURCE[0]%/*}/e2e_lib.sh"
if [ ! -x "$PY" ]; then
  echo "SKIP e2e_bench: /usr/bin/python3 is not installed"
  exit 0
fi

"$FLYT" bench --only bare,pf1 --scale S1 --repeat 1 --json >"$tmp/b.json" 2>"$tmp/err"
check "bench --only bare,pf1 --scale S1 --json exits 0" test $? -eq 0
check "nothing on stderr" test ! -s "$tmp/err"
check "JSON has every field" "$PY" - "$tmp/b.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
num = (int, float)
def need(obj, keys, kind, where):
    for k in keys:
        if k not in obj or not isinstance(obj[k], kind) or isinstance(obj[k], bool) and kind is num:
            sys.exit(f"{where}: missing or mistyped {k}: {obj.get(k)!r}")
need(d, ["benchmark", "flyt_version", "commit"], str, "top")
need(d, ["repeat"], num, "top")
m = d["machine"]
need(m, ["cpu", "compiler", "build_type", "c_flags", "build_type_flags"], str, "machine")
need(m, ["cpus", "loadavg_1min"], num, "machine")
if not isinstance(m.get("sanitize"), bool): sys.exit("machine: sanitize not a boolean")
runs = d["runs"]
if [r["scale"] for r in runs] != ["S1"]: sys.exit(f"runs: {runs}")
need(runs[0], ["scale"], str, "runs[0]")
need(runs[0], ["mult", "years", "warmup_years", "model_events", "engine_events", "wall_s",
               "model_events_per_s", "ms_per_simulated_year", "peak_rss_mb",
               "patients_in_system_mean", "n_ready", "mean_wait_all", "mean_wait_hc",
               "mean_wait_st", "mean_wait_nh", "mean_los_st"], num, "runs[0]")
if runs[0]["model_events"] <= 0: sys.exit("runs[0]: no model events")
b = d["bare"]
need(b, ["flyt_scale"], str, "bare")
need(b, ["events", "pending", "wall_s", "events_per_s", "t_end", "flyt_events_per_s",
         "flyt_over_bare", "bare_over_flyt"], num, "bare")
if b["events"] <= 0 or b["pending"] <= 0: sys.exit(f"bare: {b}")
for k in ["trondheim", "threads", "memory"]:
    if k in d: sys.exit(f"{k} present though not asked for")
PYEOF
"$FLYT" bench --only region --region "$SRC/scenarios/region/troms-ofoten.cfg" --repeat 1 --json \
  >"$tmp/r.json" 2>"$tmp/err"
check "bench --only region --json exits 0" test $? -eq 0
check "region JSON: catchments, and one calendar on the same events" "$PY" - "$tmp/r.json" <<'PYEOF'
import json, sys
d = json.load(open(sys.argv[1]))
reg = d["regions"]
if not reg["pf1_s2_model_events_per_s"] > 0: sys.exit(f"pf1: {reg}")
r = reg["runs"][0]
for k in ["municipalities", "units", "arrivals", "model_events", "engine_events", "wall_s",
          "model_events_per_s", "over_pf1_s2", "patients_in_system_mean", "peak_rss_mb"]:
    if not isinstance(r.get(k), (int, float)) or isinstance(r.get(k), bool):
        sys.exit(f"runs[0]: missing or mistyped {k}: {r.get(k)!r}")
if r["municipalities"] != 24 or r["catchments"] != 3: sys.exit(f"runs[0]: {r}")
one = r["one_calendar"]
if one["model_events"] != r["model_events"] or not one["wall_s"] > 0:
    sys.exit(f"one calendar: {one} against {r['model_events']} events")
PYEOF
"$FLYT" bench --only nothing >/dev/null 2>"$tmp/err"
check "--only with an unknown part exits 2" test $? -eq 2
check "... and names it" grep -q "got 'nothing'" "$tmp/err"

echo "e2e_bench: $pass passed, $fail failed"
test "$fail" -eq 0
