#!/usr/bin/python3
"""The round trip of flyt fit (tests/e2e_fit.sh): every 95 % interval in the
fit files against the values the records were drawn from, and the KPIs of
the fitted scenarios against the original's.

Usage: check_fit.py coverage TRUTH.json FIT.h5...
       check_fit.py kpis COMPARE.json...

coverage: TRUTH maps "key|group|statistic" (statistic: mean, sd, a share's
category, a hazard's route, admissions_per_day, growth_per_year,
month_factor.K, weekday_factor.K) to the true value. Every interval of the
files that has a truth is counted; the share that covers it must not be
below what a 95 % interval allows: fewer misses than the 99.9 % quantile of
Binomial(n, 0.05). Prints the counts and every miss.

kpis: flyt compare --format json of the original (base) and fitted
scenarios (variants), one file per fit, each with its own seed: the fits'
differences then share no random numbers, and their spread is what the
estimates' own error gives. For each KPI named below, the paired
differences of the fits are averaged: their mean must lie within its
t-interval of 0 (no bias beyond what the fits' spread explains). Prints the
table.
"""
import json
import math
import sys

import h5py
import numpy as np


def intervals(path):
    """(key, group, statistic, low, high) for every interval of a fit file."""
    out = []
    with h5py.File(path, "r") as f:
        g = f["fit"]
        if "distributions" in g:
            d = g["distributions"]
            keys = [k.decode() if isinstance(k, bytes) else k for k in d["key"][:]]
            groups = [k.decode() if isinstance(k, bytes) else k for k in d["group"][:]]
            chosen = [k.decode() if isinstance(k, bytes) else k for k in d["chosen"][:]]
            fams = [x.decode() if isinstance(x, bytes) else x
                    for x in d["stats"].attrs["families"]]
            st = d["stats"][:]
            for i, k in enumerate(keys):
                if chosen[i] not in fams:
                    continue
                x = st[i, fams.index(chosen[i])]
                out.append((k, groups[i], "mean", x[3], x[4]))
                if chosen[i] != "exponential":
                    out.append((k, groups[i], "sd", x[6], x[7]))
        for name in ("shares", "hazards"):
            if name not in g:
                continue
            h = g[name]
            v = h["values"][:]
            for i, (k, gr, c) in enumerate(zip(h["key"].asstr()[:], h["group"].asstr()[:],
                                               h["category"].asstr()[:])):
                out.append((k, gr, c, v[i, 3], v[i, 4]))
        if "arrivals" in g:
            a = g["arrivals"]
            b = a["admissions_per_day"][:]
            gr = a["growth_per_year"][:]
            out.append(("population", "", "admissions_per_day", b[1], b[2]))
            if a.attrs["trend_fitted"]:
                out.append(("population", "", "growth_per_year", gr[1], gr[2]))
            if a.attrs["month_fitted"]:
                m = a["month_factor"][:]
                out += [("population", "", "month_factor.%d" % k, m[k, 1], m[k, 2])
                        for k in range(12)]
            if a.attrs["weekday_fitted"]:
                w = a["weekday_factor"][:]
                out += [("population", "", "weekday_factor.%d" % k, w[k, 1], w[k, 2])
                        for k in range(7)]
    return out


def binom_quantile(n, p, q):
    c = 0.0
    for k in range(n + 1):
        c += math.comb(n, k) * p ** k * (1 - p) ** (n - k)
        if c >= q:
            return k
    return n


def coverage(truth_path, files):
    truth = json.load(open(truth_path))
    n = miss = 0
    for path in files:
        for k, g, s, lo, hi in intervals(path):
            t = truth.get("%s|%s|%s" % (k, g, s))
            if t is None:
                continue
            n += 1
            if not (np.isfinite(lo) and np.isfinite(hi) and lo <= t <= hi):
                miss += 1
                print("miss: %s (%s) %s: true %g outside [%g, %g] in %s" % (k, g, s, t, lo, hi,
                                                                          path))
    allowed = binom_quantile(n, 0.05, 0.999)
    print("coverage: %d of %d intervals cover the true value (%.1f %%); at most %d misses "
          "allowed" % (n - miss, n, 100.0 * (n - miss) / max(n, 1), allowed))
    return n >= 50 and miss <= allowed


KPIS = ["arrivals", "ukp_patients", "ukp_wait_mean", "ukp_days_per_year", "occ_ukp",
        "occ_hospital_treatment", "readmission_rate", "deaths", "share_direct_home",
        "units.short_term.occupancy", "units.short_term.los_mean", "units.home_care.occupancy"]
# Printed, not asserted: the nursing home's stays (Weibull, mean 640 days,
# shape 0.94) are mostly still open at the end of an 800-day window, AIC
# takes the exponential for the smaller group, and the residual stays of
# the residents placed at time 0 (length-biased draws of that family) are
# then shorter: its occupancy, which has not reached its steady state by
# the horizon, comes out lower (about -19 +- 16 beds of 1,087 over nine
# fits). docs/fit.md, "What the fit cannot tell from records".
REPORTED = ["units.nursing_home.occupancy"]

def t_cdf(x, df):
    """Student's t CDF by Simpson's rule on its density (no SciPy needed)."""
    c = math.gamma((df + 1) / 2) / (math.sqrt(df * math.pi) * math.gamma(df / 2))
    n = 2000
    h = abs(x) / n
    f = [c * (1 + (i * h) ** 2 / df) ** (-(df + 1) / 2) for i in range(n + 1)]
    area = h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))
    return 0.5 + math.copysign(area, x)


def t_quantile(p, df):
    lo, hi = 0.0, 200.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if t_cdf(mid, df) < p else (lo, mid)
    return (lo + hi) / 2



def kpis(paths):
    variants = []
    for path in paths:
        variants += json.load(open(path))["variants"]
    ok = True
    # Bonferroni over the asserted KPIs: 5 % for the whole table
    tq = t_quantile(1 - 0.05 / (2 * len(KPIS)), len(variants) - 1)
    print("%d fits; t-intervals at %.2f %% each (Bonferroni over %d KPIs), t = %.3f"
          % (len(variants), 100 * (1 - 0.05 / len(KPIS)), len(KPIS), tq))
    print("%-30s %12s %12s %12s  %s" % ("KPI", "original", "fits - orig", "t-interval",
                                        "per fit"))
    for name in KPIS + REPORTED:
        diffs, base = [], None
        for v in variants:
            if name.startswith("units."):
                _, uid, k = name.split(".")
                x = v["units"][uid]["kpis"][k]
            else:
                x = v["kpis"][name]
            diffs.append(x["diff_mean"])
            base = x["base_mean"]
        diffs = np.array(diffs, dtype=float)
        k = len(diffs)
        m = diffs.mean()
        half = tq * diffs.std(ddof=1) / math.sqrt(k)
        within = abs(m) <= half
        ok &= within or name in REPORTED
        print("%-30s %12.5g %12.4g %12.4g  %s%s" % (name, base, m, half,
                                                   " ".join("%.3g" % x for x in diffs),
                                                   "" if within else "  BIAS" if name not in
                                                   REPORTED else "  (reported only)"))
    return ok


if __name__ == "__main__":
    if sys.argv[1] == "coverage":
        sys.exit(0 if coverage(sys.argv[2], sys.argv[3:]) else 1)
    sys.exit(0 if kpis(sys.argv[2:]) else 1)
