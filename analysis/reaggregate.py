#!/usr/bin/python3
"""Recompute key figures per replication from the patient log and compare with flyt's.

    reaggregate.py RUN.h5 [--check]

Reads /patients of a run made with `flyt run --patients` and recomputes, for
every replication, the KPIs that follow from the episodes alone (arrivals, UKP
patients and waiting days, deaths, and per unit that is only ever an episode's
first place after hospital its admissions and (bed units) length of stay) with the model's own rules for the measured window; prints them beside
the values in /replications and /units/kpis. With --check, exits 1 when any differs by more
than 1e-9 (relative to the value's size). Needs Debian's python3-h5py and
python3-numpy.

flyt's medians are exact up to 65,536 values per replication and beyond come
from a log histogram with bins 2^(1/1024) - 1 = 0.068 % wide
(sim/model/quantile.c), so for a replication with more UKP waits than that the
median is checked within one bin's relative width instead of 1e-9.

A wait or stay still open at the horizon makes flyt's mean, median and
maximum of its family estimates that count it (Little's law with the time
the window holds, Kaplan-Meier; docs/kpis.md, "Open at the horizon"), which
need what /patients does not hold (the time in the window of episodes begun
before it): those figures are recomputed here only for a replication where
none of their episodes is open (tests/check_warmup_counts.py recomputes them
all from the event log).
"""
import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402

ORIGIN_ARRIVAL = 0
# sim/model/quantile.c: FLYT_QUANTILE_EXACT and the histogram's bin width
QUANTILE_EXACT = 65536
BIN_WIDTH = 2.0 ** (1.0 / 1024) - 1
HISTOGRAM_KPIS = {"ukp_wait_median": "ukp_patients"}  # KPI -> its count of values
EXIT_DEATH = 3  # /patients/exit_reason


def kpis(p, rep, warm, ids, kinds, hosp):
    """The KPIs of one replication from its rows of /patients (dict of arrays)."""
    sel = p["replication"] == rep
    col = {k: v[sel] for k, v in p.items()}
    out = {}
    out["arrivals"] = float(np.sum((col["origin"] == ORIGIN_ARRIVAL) &
                                   (col["t_hospital"] >= warm)))
    # A UKP wait counts when the patient became ready in the window and left
    # hospital before the horizon (the model's end_ukp_wait).
    ready, end = col["t_ready"], col["t_ukp_end"]
    w = (end - ready)[np.isfinite(ready) & np.isfinite(end) & (ready >= warm)]
    out["ukp_patients"] = float(w.size)
    if not np.any(np.isfinite(ready) & ~np.isfinite(end) & (ready >= warm)):
        out["ukp_wait_mean"] = float(np.mean(w)) if w.size else float("nan")
        out["ukp_wait_median"] = float(np.median(w)) if w.size else float("nan")
        out["ukp_wait_max"] = float(np.max(w)) if w.size else float("nan")
    out["deaths"] = float(np.sum((col["exit_reason"] == EXIT_DEATH) & (col["t_exit"] >= warm)))
    # Per unit: admissions in the window and the stays (blocking included) of
    # those that ended. /patients holds an episode's first two places and the
    # end of the first only, so a unit is recounted only where it is never a
    # second place (then never a later one either): in the Trondheim network
    # the short-term beds and home care, not the nursing homes.
    for u, uid in enumerate(ids):
        if u == hosp or np.any(p["next_unit"] == u):
            continue
        first = (col["unit"] == u) & np.isfinite(col["t_unit"]) & (col["t_unit"] >= warm)
        out["units.%s.admissions" % uid] = float(np.sum(first))
        if kinds[u] != "caseload" and not np.any(first & ~np.isfinite(col["t_unit_end"])):
            los = (col["t_unit_end"] - col["t_unit"])[first & np.isfinite(col["t_unit_end"])]
            out["units.%s.los_mean" % uid] = float(np.mean(los)) if los.size else float("nan")
    return out


def close(a, b, tol=1e-9):
    if np.isnan(a) and np.isnan(b):
        return True
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def within_bin(exact, flyt):
    """flyt's histogram quantile is within one bin (relative) of the exact one."""
    return abs(flyt - exact) <= (BIN_WIDTH + 1e-12) * abs(exact) + 1e-12


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="a flyt run file written with --patients")
    ap.add_argument("--check", action="store_true",
                    help="exit 1 when a recomputed KPI differs from flyt's by more than 1e-9 "
                         "(a median from more than 65,536 values: by more than one histogram "
                         "bin, 0.068 %%)")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "reaggregate.py")
    if "patients" not in f:
        flytio.die("reaggregate.py", "%s has no patient log: run flyt run --patients" % args.file)
    warm = float(f.attrs["warmup_days"])
    p = {k: f["patients"][k][:] for k in f["patients"]}
    reps = f["replications"]["replication"]
    ids = flytio.unit_ids(f)
    kinds = [flytio.unit_settings(f, u)["kind"] for u in ids]
    hosp = [flytio.unit_settings(f, u)["hospital"] for u in ids].index(1)
    bad = 0
    print("%-4s %-32s %16s %16s" % ("rep", "KPI", "from /patients", "flyt"))
    for i, rep in enumerate(reps):
        k = kpis(p, rep, warm, ids, kinds, hosp)
        for name, v in k.items():
            if name.startswith("units."):
                _, uid, kpi = name.split(".")
                flyt = float(flytio.unit_kpi(f, uid, kpi)[i])
            else:
                flyt = float(f["replications"][name][i])
            binned = name in HISTOGRAM_KPIS and k[HISTOGRAM_KPIS[name]] > QUANTILE_EXACT
            ok = within_bin(v, flyt) if binned else close(v, flyt)
            bad += not ok
            print("%-4d %-32s %16.10g %16.10g%s" % (rep, name, v, flyt,
                                                   ("" if ok else "  DIFFERS") +
                                                   ("  (histogram, 0.068 %)" if binned else "")))
    print("reaggregate.py: %d KPI values differ" % bad)
    return 1 if bad and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
