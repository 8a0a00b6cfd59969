#!/usr/bin/python3
"""Recompute every count KPI, and the means that the logs allow, from the event log.

    check_warmup_counts.py RUN.h5

RUN.h5 is a flyt run file written with `--events --patients`. For every
replication the events are replayed in the order the model ran them and each
KPI is counted by the rule in docs/kpis.md (the event that decides whether it
counts, the measured window [warmup_days, horizon_days)); the result must
equal /replications exactly for counts and within 1e-9 (relative) for means
and time-averages. Exits 1 when any differs, 2 on bad input.

What the logs cannot give is said, not guessed: home_care_hours, util_*,
coord_utilisation, ukp_cost_per_year and quantiles beyond the median are not
in the log (hours, capacity, coordinator work) or are derived from figures
checked here. Not-ready returns (`not_ready`), applications to a unit from
any origin (`apply`) and coordinators' finished cases (`case_done`) are.
Needs Debian's python3-h5py and python3-numpy.
"""
import argparse
import re
import sys

import h5py
import numpy as np

# /events/event (docs/hdf5-layout.md)
(INITIAL, ARRIVAL, READMISSION, READY, DECISION, UKP_END, ADMIT, ST_END, DEATH, EXIT, APPLY,
 NOT_READY, CASE_DONE) = range(13)
ST, NH, HC = range(3)  # units in `initial` and `admit`
DEATH_KPI = ["deaths_hospital", "deaths_short_term", "deaths_nursing_home", "deaths_home_care"]
DEST_KPI = ["ukp_wait_mean_home", "ukp_wait_mean_home_care", "ukp_wait_mean_short_term",
            "ukp_wait_mean_nursing_home", "ukp_wait_mean_complex"]
COUNTS = ["arrivals", "ukp_patients", "ukp_waiting_at_end", "st_admissions", "nh_admissions",
          "not_ready_returns", "patients_initial", "patients_in", "patients_out",
          "patients_at_end", "coord_cases_handled"] + DEATH_KPI


def report_setting(text, key, default):
    m = re.search(r"\b%s\s*=\s*([0-9.eE+-]+)\s*;" % key, text)
    return float(m.group(1)) if m else default


class Replay:
    """One replication's events in order; KPIs by docs/kpis.md."""

    def __init__(self, warm, end, window, target):
        self.warm, self.end, self.window, self.target = warm, end, window, target
        self.n = {k: 0 for k in COUNTS}
        self.n["readmit_num"] = self.n["readmit_den"] = 0
        self.present = set()  # in the system: placed at time 0 or arrived, not yet left
        self.place = {}  # patient -> 'treat', 'ukp', 'st', 'nh', 'hc' or None (gone)
        self.st_bed = {}  # patient -> time its short-term stay began (None: before day 0)
        self.t_ready, self.t_apply, self.t_disch = {}, {}, {}
        self.waits = [[] for _ in DEST_KPI]
        self.st_los, self.st_cfs = [], []
        self.nh_waits = []
        self.census = {"treat": 0, "ukp": 0, "st": 0, "nh": 0, "hc": 0}
        self.area = dict.fromkeys(self.census, 0.0)
        self.t_last = 0.0
        first = int(np.ceil(warm))
        self.days = int(np.ceil(end)) - first
        self.first_day = first
        self.series = {"arrivals": np.zeros(self.days), "discharges": np.zeros(self.days)}

    def measured(self, t):
        return t >= self.warm

    def advance(self, t):
        lo, hi = max(self.t_last, self.warm), min(t, self.end)
        if hi > lo:
            for k in self.area:
                self.area[k] += self.census[k] * (hi - lo)
        self.t_last = max(self.t_last, t)

    def count_day(self, series, t):
        d = int(np.floor(t)) - self.first_day
        if t >= self.first_day and d < self.days:
            self.series[series][d] += 1

    def move(self, pid, to):
        old = self.place.get(pid)
        if old in ("treat", "ukp", "nh", "hc"):
            self.census[old] -= 1
        if to in ("treat", "ukp", "nh", "hc"):
            self.census[to] += 1
        self.place[pid] = to
        return old

    def leave_hospital(self, t):
        self.count_day("discharges", t)

    def event(self, t, pid, ev, detail, cfs):
        if ev == INITIAL:
            self.n["patients_initial"] += 1
            self.present.add(pid)
            if detail == ST:
                self.st_bed[pid] = None
                self.census["st"] += 1
            self.move(pid, ("st", "nh", "hc")[detail])
            return
        self.advance(t)
        m = self.measured(t)
        if ev in (ARRIVAL, READMISSION):
            if ev == ARRIVAL:
                self.n["patients_in"] += 1
                self.present.add(pid)
                self.n["arrivals"] += m
                self.count_day("arrivals", t)
            else:
                td = self.t_disch.pop(pid, None)
                if (td is not None and td >= self.warm and td <= self.end - self.window and
                        t - td <= self.window):
                    self.n["readmit_num"] += 1
            self.t_disch.pop(pid, None)
            self.move(pid, "treat")
        elif ev == READY:
            self.t_ready[pid] = t
            self.move(pid, "ukp")
        elif ev == APPLY:
            if detail == NH:
                self.t_apply[pid] = t
        elif ev == NOT_READY:
            self.n["not_ready_returns"] += m
        elif ev == CASE_DONE:
            self.n["coord_cases_handled"] += m
        elif ev == UKP_END:
            tr = self.t_ready.pop(pid)
            if self.measured(tr):
                self.waits[detail].append(t - tr)
            if 1 <= detail <= 3:  # to municipal services: opens a readmission window
                self.t_disch[pid] = t
                self.n["readmit_den"] += self.measured(t) and t <= self.end - self.window
            self.leave_hospital(t)
            # an admission from hospital moved the patient before its UKP wait ended
            if self.place.get(pid) == "ukp":
                self.move(pid, None)
        elif ev == ADMIT:
            if detail == ST:
                self.n["st_admissions"] += m
                if m:
                    self.st_cfs.append(cfs)
                self.st_bed[pid] = t
                self.census["st"] += 1
                self.move(pid, "st")
            elif detail == NH:
                self.n["nh_admissions"] += m
                ta = self.t_apply.pop(pid)
                if self.measured(ta):
                    self.nh_waits.append(t - ta)
                self.move(pid, "nh")
            else:
                self.move(pid, "hc")
        elif ev == ST_END:
            t0 = self.st_bed.pop(pid)
            self.census["st"] -= 1
            if t0 is not None and self.measured(t0):
                self.st_los.append(t - t0)
        elif ev == DEATH:
            self.n[DEATH_KPI[detail]] += m
            self.move(pid, None)
        elif ev == EXIT:
            self.n["patients_out"] += 1
            self.present.discard(pid)
            if self.place.get(pid) == "treat":  # home from treatment, not discharge-ready
                self.leave_hospital(t)
            self.move(pid, None)

    def finish(self):
        self.advance(self.end)
        span = self.end - self.warm
        k = dict(self.n)
        k["ukp_waiting_at_end"] = len(self.t_ready)
        k["patients_at_end"] = len(self.present)
        allw = np.concatenate([np.asarray(w, float) for w in self.waits])
        k["ukp_patients"] = allw.size
        k["ukp_wait_mean"] = mean(allw)
        k["ukp_wait_median"] = float(np.median(allw)) if allw.size else np.nan
        k["ukp_wait_max"] = float(np.max(allw)) if allw.size else np.nan
        for name, w in zip(DEST_KPI, self.waits):
            k[name] = mean(w)
        k["share_direct_home"] = ((len(self.waits[0]) + len(self.waits[1])) / allw.size
                                  if allw.size else np.nan)
        k["st_los_mean"] = mean(self.st_los)
        k["st_los_median"] = float(np.median(self.st_los)) if self.st_los else np.nan
        k["st_admission_cfs_mean"] = mean(self.st_cfs)
        num, den = k.pop("readmit_num"), k.pop("readmit_den")
        k["readmission_30d"] = num / den if den else np.nan
        k["occ_hospital_treatment"] = self.area["treat"] / span
        k["occ_ukp"] = self.area["ukp"] / span
        k["ukp_days_per_year"] = self.area["ukp"] * 365.0 / span
        k["occ_short_term"] = self.area["st"] / span
        k["occ_nursing_home"] = self.area["nh"] / span
        k["occ_home_care_users"] = self.area["hc"] / span
        w = np.asarray(self.nh_waits, float)
        k["nh_wait_mean"] = mean(w)
        k["nh_within_target"] = float(np.mean(w <= self.target)) if w.size else np.nan
        return k


def mean(x):
    return float(np.mean(x)) if len(x) else np.nan


def close(a, b, tol=1e-9):
    if np.isnan(a) and np.isnan(b):
        return True
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="a flyt run file written with --events --patients")
    args = ap.parse_args(argv)
    prog = "check_warmup_counts.py"
    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        print("%s: error: cannot open %s: %s" % (prog, args.file, e), file=sys.stderr)
        return 2
    if "events" not in f or "patients" not in f:
        print("%s: error: %s has no event or patient log: run flyt run --events --patients"
              % (prog, args.file), file=sys.stderr)
        return 2
    warm, end = float(f.attrs["warmup_days"]), float(f.attrs["horizon_days"])
    text = f.attrs["scenario_resolved"]
    text = text.decode() if isinstance(text, bytes) else str(text)
    window = report_setting(text, "readmission_window_days", 30.0)
    target = report_setting(text, "nh_target_days", 42.0)
    e = {k: f["events"][k][:] for k in ("replication", "t", "patient", "event", "detail")}
    p = f["patients"]
    cfs_of = {}
    for r, pid, c in zip(p["replication"][:], p["patient"][:], p["cfs"][:]):
        cfs_of[(int(r), int(pid))] = int(c)
    reps = f["replications/replication"][:]
    bad = checked = 0
    for i, rep in enumerate(reps):
        rp = Replay(warm, end, window, target)
        sel = np.nonzero(e["replication"] == rep)[0]
        for t, pid, ev, d in zip(e["t"][sel], e["patient"][sel], e["event"][sel],
                                 e["detail"][sel]):
            rp.event(float(t), int(pid), int(ev), int(d), cfs_of.get((int(rep), int(pid)), 0))
        k = rp.finish()
        for name, v in sorted(k.items()):
            flyt = float(f["replications"][name][i])
            ok = (v == flyt) if name in COUNTS else close(v, flyt)
            checked += 1
            if not ok:
                bad += 1
                print("replication %d: %s: flyt %.12g, from the event log %.12g"
                      % (rep, name, flyt, v))
        for s in ("arrivals", "discharges"):
            got = f["series"][s][i][:rp.days]
            if not np.array_equal(got, rp.series[s]):
                bad += 1
                diff = np.nonzero(got != rp.series[s])[0]
                print("replication %d: series %s differs on %d days (first: day %d, flyt %g, "
                      "log %g)" % (rep, s, diff.size, diff[0] + rp.first_day, got[diff[0]],
                                   rp.series[s][diff[0]]))
            checked += 1
    print("%s: %d of %d values differ over %d replications" % (prog, bad, checked, len(reps)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
