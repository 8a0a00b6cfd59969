#!/usr/bin/python3
"""Recompute every count KPI, and the means that the logs allow, from the event log.

    check_warmup_counts.py RUN.h5

RUN.h5 is a flyt run file written with `--events --patients`. For every
replication the events are replayed in the order the model ran them and each
KPI is counted by the rule in docs/kpis.md (the event that decides whether it
counts, the measured window [warmup_days, horizon_days)); the result must
equal /replications exactly for counts and within 1e-9 (relative) for means
and time-averages. Exits 1 when any differs, 2 on bad input.

Per-unit KPIs (/units/kpis) are named units.<id>.<kpi>. What the logs
cannot give is said, not guessed: hours_used, capacity, utilisation,
blocked_days, overflow_bed_days, days_over_capacity, coord_utilisation,
cfs_levels_gained, destination_changed (the log has one CFS per patient),
ukp_cost_per_year and quantiles beyond the median are not in the log (hours,
capacity, blocking, coordinator work) or are derived from figures checked here. Not-ready returns (`not_ready`), applications to a unit from
any origin (`apply`) and coordinators' finished cases (`case_done`) are.
Needs Debian's python3-h5py and python3-numpy.
"""
import argparse
import math
import re
import sys

import h5py
import numpy as np

# /events/event (docs/hdf5-layout.md)
(INITIAL, ARRIVAL, READMISSION, READY, DECISION, UKP_END, ADMIT, STAY_END, DEATH, EXIT, APPLY,
 NOT_READY, CASE_DONE) = range(13)
TO_HOME, TO_SPECIAL = 0xFFFE, 0xFFFD  # destinations that are not units
COUNTS = ["arrivals", "ukp_patients", "ukp_waiting_at_end", "ukp_waits_open", "not_ready_returns",
          "patients_initial", "patients_in", "patients_out", "patients_at_end",
          "coord_cases_handled", "deaths", "deaths_waiting_hospital", "deaths_blocked"]
UNIT_COUNTS = ["admissions", "admissions_from_home", "deaths", "deaths_waiting", "waits_open",
               "stays_open"]


def report_setting(text, key, default):
    m = re.search(r"\b%s\s*=\s*([0-9.eE+-]+)\s*;" % key, text)
    return float(m.group(1)) if m else default


class Replay:
    """One replication's events in order; KPIs by docs/kpis.md. Units are
    indices into /units/ids; kinds[u] is the unit's kind, hosp the hospital's
    index."""

    def __init__(self, warm, end, window, target, kinds, hosp, complex_of=None, day_after=False):
        self.warm, self.end, self.window, self.target = warm, end, window, target
        self.day_after, self.paid = int(day_after), 0
        self.complex_of = complex_of or {}
        self.kinds, self.hosp = kinds, hosp
        nu = len(kinds)
        self.n = {k: 0 for k in COUNTS}
        self.n["readmit_num"] = self.n["readmit_den"] = 0
        self.un = [{k: 0 for k in ("admissions", "admissions_from_home", "deaths")}
                   for _ in range(nu)]
        # ukp_dead_365: each patient from its first ready time in the window
        # to death (1) or leaving / the horizon (0, censored)
        self.t_first, self.follow = {}, []
        self.present = set()  # in the system: placed at time 0 or arrived, not yet left
        # patient -> 'treat', 'ukp', ('client', u) or None; a bed is kept apart
        # (self.bed), as a patient keeps it while waiting for the next place
        self.place = {}
        self.bed = {}  # (patient, unit) -> time its stay began (None: before day 0)
        self.t_ready, self.t_disch = {}, {}
        self.t_apply = {}  # (patient, unit) -> (time, where it waits: 0 hospital, 1 bed, 2 home)
        self.waits = []  # (destination, wait)
        self.los = [[] for _ in range(nu)]
        self.cfs = [[] for _ in range(nu)]
        self.uwaits = [[] for _ in range(nu)]  # (where, wait)
        # Little's law: the part in the window of episodes begun before it
        self.carry = {"ukp": 0.0, "complex": 0.0, "home": 0.0, "deciding": 0.0}
        self.ucarry = [{"wait": 0.0, "ukp": 0.0, "los": 0.0, 0: 0.0, 1: 0.0, 2: 0.0}
                       for _ in range(nu)]
        self.census = {"treat": 0, "ukp": 0}
        self.ucensus = [0] * nu
        self.area = dict.fromkeys(self.census, 0.0)
        self.uarea = [0.0] * nu
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
            for u, c in enumerate(self.ucensus):
                self.uarea[u] += c * (hi - lo)
        self.t_last = max(self.t_last, t)

    def count_day(self, series, t):
        d = int(np.floor(t)) - self.first_day
        if t >= self.first_day and d < self.days:
            self.series[series][d] += 1

    def move(self, pid, to):
        old = self.place.get(pid)
        if old in ("treat", "ukp"):
            self.census[old] -= 1
            self.ucensus[self.hosp] -= 1
        elif isinstance(old, tuple):
            self.ucensus[old[1]] -= 1
        if to in ("treat", "ukp"):
            self.census[to] += 1
            self.ucensus[self.hosp] += 1
        elif isinstance(to, tuple):
            self.ucensus[to[1]] += 1
        self.place[pid] = to
        return old

    def stay(self, pid, u, t0):
        if self.kinds[u] == "caseload":
            self.move(pid, ("client", u))
        else:
            self.bed[(pid, u)] = t0
            self.ucensus[u] += 1
            self.move(pid, None)

    def pay(self, tr, te):
        """Payable days (docs/costs.md): calendar days from the ready day (or
        the day after) up to, not including, the day the wait ends, within
        the whole days of the window."""
        lo, hi = math.ceil(self.warm), math.floor(self.end)
        a = max(math.floor(tr) + self.day_after, lo)
        b = min(math.floor(te), hi)
        self.paid += max(0, b - a)

    def where(self, pid):
        p = self.place.get(pid)
        if p in ("treat", "ukp"):
            return 0
        if isinstance(p, tuple):
            return 2
        return 1

    def event(self, t, pid, ev, detail, cfs):
        if ev == INITIAL:
            self.n["patients_initial"] += 1
            self.present.add(pid)
            self.stay(pid, detail, None)
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
            # an application pending from a caseload dies with the readmission
            for key in [k for k in self.t_apply if k[0] == pid]:
                del self.t_apply[key]
            self.un[self.hosp]["admissions"] += m
            if m:
                self.cfs[self.hosp].append(cfs)
            self.move(pid, "treat")
        elif ev == READY:
            self.t_ready[pid] = t
            if m and pid not in self.t_first:
                self.t_first[pid] = t
            self.move(pid, "ukp")
        elif ev == APPLY:
            # one queue at a time: applying elsewhere left the last one
            for key in [k for k in self.t_apply if k[0] == pid]:
                del self.t_apply[key]
            self.t_apply[(pid, detail)] = (t, self.where(pid))
        elif ev == NOT_READY:
            self.n["not_ready_returns"] += m
        elif ev == CASE_DONE:
            self.n["coord_cases_handled"] += m
        elif ev == UKP_END:
            tr = self.t_ready.pop(pid)
            self.pay(tr, t)
            if self.measured(tr):
                self.waits.append((detail, t - tr))
            elif m:
                self.carry["ukp"] += t - self.warm
                if detail == TO_SPECIAL:
                    self.carry["complex"] += t - self.warm
                elif detail == TO_HOME:
                    self.carry["home"] += t - self.warm
                elif detail < TO_SPECIAL:
                    self.ucarry[detail]["ukp"] += t - self.warm
            if detail < TO_SPECIAL:  # to a unit: opens a readmission window
                self.t_disch[pid] = t
                self.n["readmit_den"] += self.measured(t) and t <= self.end - self.window
            self.count_day("discharges", t)
            # an admission from hospital moved the patient before its UKP wait ended
            if self.place.get(pid) == "ukp":
                self.move(pid, None)
        elif ev == ADMIT:
            self.un[detail]["admissions"] += m
            if m:
                self.cfs[detail].append(cfs)
            ta = self.t_apply.pop((pid, detail), None)
            origin = ta[1] if ta is not None else self.where(pid)
            self.un[detail]["admissions_from_home"] += m and origin == 2
            if ta is not None and self.measured(ta[0]):
                self.uwaits[detail].append((ta[1], t - ta[0]))
            elif ta is not None and m:
                self.ucarry[detail]["wait"] += t - self.warm
                self.ucarry[detail][ta[1]] += t - self.warm
            self.stay(pid, detail, t)
        elif ev == STAY_END:
            t0 = self.bed.pop((pid, detail))
            self.ucensus[detail] -= 1
            if t0 is not None and self.measured(t0):
                self.los[detail].append(t - t0)
            elif m:
                self.ucarry[detail]["los"] += t - self.warm
        elif ev == DEATH:
            for key in [k for k in self.t_apply if k[0] == pid]:
                del self.t_apply[key]
            self.n["deaths"] += m
            self.un[detail]["deaths"] += m
            if pid in self.t_first:
                self.follow.append((t - self.t_first.pop(pid), 1))
            # harm: dead while discharge-ready, or in a bed after its stay with
            # an application still open (blocked)
            if self.place.get(pid) == "ukp":
                self.n["deaths_waiting_hospital"] += m
                self.un[detail]["deaths_waiting"] += m
                self.pay(self.t_ready.pop(pid), t)
            elif self.kinds[detail] != "caseload" and any(
                    k[0] == pid and w[1] == 1 for k, w in self.t_apply.items()):
                self.n["deaths_blocked"] += m
                self.un[detail]["deaths_waiting"] += m
            for key in [k for k in self.t_apply if k[0] == pid]:
                del self.t_apply[key]
            self.move(pid, None)
        elif ev == EXIT:
            for key in [k for k in self.t_apply if k[0] == pid]:
                del self.t_apply[key]
            self.n["patients_out"] += 1
            self.present.discard(pid)
            if pid in self.t_first:
                self.follow.append((t - self.t_first.pop(pid), 0))
            if self.place.get(pid) == "treat":  # home from treatment, not discharge-ready
                self.count_day("discharges", t)
            self.move(pid, None)

    def finish(self, ids):
        self.advance(self.end)
        span = self.end - self.warm
        k = dict(self.n)
        k["ukp_waiting_at_end"] = len(self.t_ready)
        k["patients_at_end"] = len(self.present)
        allw = np.asarray([w for _, w in self.waits], float)
        k["ukp_patients"] = allw.size
        # still open at the horizon, begun in the window (docs/kpis.md)
        open_ukp = {pid: self.end - tr for pid, tr in self.t_ready.items() if self.measured(tr)}
        whole = self.end - self.warm  # an open episode begun before the window
        carry, ucarry = dict(self.carry), [dict(c) for c in self.ucarry]
        applied = {qp for (qp, _) in self.t_apply}
        # in decision: not complex and not yet applying anywhere
        deciding = {pid for pid in self.t_ready
                    if not self.complex_of.get(pid) and pid not in applied}
        for pid, tr in self.t_ready.items():
            if not self.measured(tr):
                carry["ukp"] += whole
                carry["complex"] += whole if self.complex_of.get(pid) else 0.0
                carry["deciding"] += whole if pid in deciding else 0.0
                for (qp, u) in self.t_apply:
                    if qp == pid and not self.complex_of.get(pid):
                        ucarry[u]["ukp"] += whole
        for (pid, u), (ta, where) in self.t_apply.items():
            if not self.measured(ta):
                ucarry[u]["wait"] += whole
                ucarry[u][where] += whole
        for (pid, u), t0 in self.bed.items():
            if t0 is None or not self.measured(t0):
                ucarry[u]["los"] += whole
        ocens = list(open_ukp.values())
        k["ukp_waits_open"] = len(ocens)
        k["ukp_open_share"] = ratio(len(ocens), len(ocens) + allw.size)
        k["ukp_wait_mean"] = little(allw, ocens, carry["ukp"])
        k["ukp_wait_median"] = km_median(allw, ocens)
        k["ukp_wait_max"] = (float(max(list(allw) + ocens)) if allw.size or ocens else np.nan)
        # home is decided with the decision: a wait still in decision counts
        # with the share of decided waits that went home
        home_w = [w for d, w in self.waits if d == TO_HOME]
        decided = sum(1 for d, _ in self.waits if d != TO_SPECIAL)
        open_dec = [w for pid, w in open_ukp.items() if pid in deciding]
        if open_dec and decided:
            sh = len(home_w) / decided
            n = len(home_w) + sh * len(open_dec)
            k["ukp_wait_mean_home"] = ((sum(home_w) + carry["home"]
                                        + sh * (sum(open_dec) + carry["deciding"])) / n
                                       if n else np.nan)
        else:
            k["ukp_wait_mean_home"] = mean(home_w)
        k["ukp_wait_mean_complex"] = little(
            [w for d, w in self.waits if d == TO_SPECIAL],
            [w for pid, w in open_ukp.items() if self.complex_of.get(pid)], carry["complex"])
        open_wait = [[] for _ in ids]  # per unit: (where, time so far)
        for (pid, u), (ta, where) in self.t_apply.items():
            if self.measured(ta):
                open_wait[u].append((where, self.end - ta))
        ukp_to = [[] for _ in ids]
        for (pid, u), (ta, where) in self.t_apply.items():
            if pid in open_ukp and not self.complex_of.get(pid):
                ukp_to[u].append(open_ukp[pid])
        open_stay = [[] for _ in ids]
        for (pid, u), t0 in self.bed.items():
            if t0 is not None and self.measured(t0):
                open_stay[u].append(self.end - t0)
        home = sum(1 for d, _ in self.waits
                   if d == TO_HOME or (d < TO_SPECIAL and self.kinds[d] == "caseload"))
        # open waits whose place is decided count; those in decision do not
        known = [pid for pid in open_ukp if pid not in deciding]
        known_home = sum(1 for (pid, u) in self.t_apply
                         if pid in open_ukp and not self.complex_of.get(pid)
                         and self.kinds[u] == "caseload")
        den = allw.size + len(known)
        k["share_direct_home"] = (home + known_home) / den if den else np.nan
        fu = self.follow + [(self.end - t0, 0) for t0 in self.t_first.values()]
        k["ukp_dead_365"] = 1.0 - km_year_by_day(fu) if fu else np.nan
        num, den = k.pop("readmit_num"), k.pop("readmit_den")
        k["readmission_rate"] = num / den if den else np.nan
        k["occ_hospital_treatment"] = self.area["treat"] / span
        k["occ_ukp"] = self.area["ukp"] / span
        k["ukp_days_per_year"] = self.area["ukp"] * 365.0 / span
        for tr in self.t_ready.values():  # still waiting: paid up to the horizon
            self.pay(tr, self.end)
        whole = math.floor(self.end) - math.ceil(self.warm)
        k["ukp_paid_days_per_year"] = self.paid * 365.0 / whole if whole > 0 else np.nan
        for u, uid in enumerate(ids):
            pre = "units.%s." % uid
            for c, v in self.un[u].items():
                k[pre + c] = v
            k[pre + "occupancy"] = self.uarea[u] / span
            k[pre + "admission_cfs_mean"] = mean(self.cfs[u])
            k[pre + "ukp_wait_mean"] = little([w for d, w in self.waits if d == u], ukp_to[u],
                                              ucarry[u]["ukp"])
            if self.kinds[u] != "caseload" and u != self.hosp:
                k[pre + "los_mean"] = little(self.los[u], open_stay[u], ucarry[u]["los"])
                k[pre + "los_median"] = km_median(self.los[u], open_stay[u])
                k[pre + "stays_open"] = len(open_stay[u])
                k[pre + "stays_open_share"] = ratio(len(open_stay[u]),
                                                    len(open_stay[u]) + len(self.los[u]))
            if u != self.hosp:
                w = np.asarray([x for _, x in self.uwaits[u]], float)
                ow = open_wait[u]
                k[pre + "wait_mean"] = little(w, [x for _, x in ow], ucarry[u]["wait"])
                if ow:
                    k[pre + "wait_within_target"] = 1.0 - km_survival(
                        w, [x for _, x in ow], self.target)
                else:
                    k[pre + "wait_within_target"] = (float(np.mean(w <= self.target)) if w.size
                                                     else np.nan)
                k[pre + "waits_open"] = len(ow)
                k[pre + "waits_open_share"] = ratio(len(ow), len(ow) + w.size)
                for o, name in enumerate(("hospital", "bed", "home")):
                    k[pre + "wait_mean_" + name] = little(
                        [x for c, x in self.uwaits[u] if c == o], [x for c, x in ow if c == o],
                        ucarry[u][o])
        return k


def mean(x):
    return float(np.mean(x)) if len(x) else np.nan


def ratio(a, b):
    return a / b if b else np.nan


def little(closed, cens, carry):
    """The mean by Little's law: the time in the window of every episode
    (closed, open so far, and carry: those begun before the window) over the
    number begun in it; the plain mean when none is open."""
    if not len(cens):
        return mean(closed)
    return (float(np.sum(closed)) + float(np.sum(cens)) + carry) / (len(closed) + len(cens))


def km_median(closed, cens):
    """The Kaplan-Meier median (first event time with S <= 1/2; the longest
    time observed when S stays above); the sample median when none is open."""
    if not len(cens):
        return float(np.median(closed)) if len(closed) else np.nan
    cens = sorted(cens)
    at_risk, ic, s = len(closed) + len(cens), 0, 1.0
    for e in sorted(closed):
        while ic < len(cens) and cens[ic] < e:
            ic += 1
            at_risk -= 1
        s *= 1.0 - 1.0 / at_risk
        at_risk -= 1
        if s <= 0.5:
            return float(e)
    return float(max(list(closed) + cens))


def km_survival(closed, cens, x):
    """Kaplan-Meier's survival at x (a time censored at an event's time is
    still at risk then)."""
    cens = sorted(cens)
    at_risk, ic, s = len(closed) + len(cens), 0, 1.0
    for e in sorted(closed):
        if e > x:
            break
        while ic < len(cens) and cens[ic] < e:
            ic += 1
            at_risk -= 1
        s *= 1.0 - 1.0 / at_risk
        at_risk -= 1
    return s


def km_year_by_day(fu):
    """Kaplan-Meier's survival over the first year on whole days, as flyt
    bins it (sim/model/stats.c): a day's deaths before its censorings, a
    follow-up of a year or more at risk all year."""
    died, cens = [0] * 365, [0] * 365
    for t, e in fu:
        if t < 365.0:
            (died if e else cens)[int(t) if t > 0 else 0] += 1
    at_risk, s = len(fu), 1.0
    for d in range(365):
        if at_risk == 0:
            break
        s *= 1.0 - died[d] / at_risk
        at_risk -= died[d] + cens[d]
    return s


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
    target = report_setting(text, "wait_target_days", 42.0)
    ids = list(f["units/ids"].asstr()[:])
    kinds = [str(k) for k in f["units"].attrs["kind"]]
    hosp = [int(h) for h in f["units"].attrs["hospital"]].index(1)
    col = list(f["units"].attrs["kpi"])
    table = f["units/kpis"][:]  # [replication x unit x kpi]
    unit_kpis = {u: table[:, j, :] for j, u in enumerate(ids)}
    e = {k: f["events"][k][:] for k in ("replication", "t", "patient", "event", "detail")}
    p = f["patients"]
    cfs_of, complex_of = {}, {}
    for r, pid, c, x in zip(p["replication"][:], p["patient"][:], p["cfs"][:], p["complex"][:]):
        cfs_of[(int(r), int(pid))] = int(c)
        complex_of.setdefault(int(r), {})[int(pid)] = int(x)
    reps = f["replications"]["replication"]
    bad = checked = 0
    for i, rep in enumerate(reps):
        rp = Replay(warm, end, window, target, kinds, hosp, complex_of.get(int(rep), {}),
                    re.search(r'\bpayment_from\s*=\s*"day_after"', text) is not None)
        sel = np.nonzero(e["replication"] == rep)[0]
        for t, pid, ev, d in zip(e["t"][sel], e["patient"][sel], e["event"][sel],
                                 e["detail"][sel]):
            rp.event(float(t), int(pid), int(ev), int(d), cfs_of.get((int(rep), int(pid)), 0))
        k = rp.finish(ids)
        for name, v in sorted(k.items()):
            if name.startswith("units."):
                _, uid, kpi = name.split(".")
                flyt = float(unit_kpis[uid][i, col.index(kpi)])
                count = kpi in UNIT_COUNTS
            else:
                flyt = float(f["replications"][name][i])
                count = name in COUNTS
            ok = (v == flyt) if count else close(v, flyt)
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
