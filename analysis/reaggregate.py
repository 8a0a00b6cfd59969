#!/usr/bin/python3
"""Recompute key figures per replication from the patient log and compare with flyt's.

    reaggregate.py RUN.h5 [--check]

Reads /patients of a run made with `flyt run --patients` and recomputes, for
every replication, the KPIs that follow from the episodes alone (arrivals, UKP
patients and waiting days, short-term admissions and length of stay, deaths by
place) with the model's own rules for the measured window; prints them beside
the values in /replications. With --check, exits 1 when any differs by more
than 1e-9 (relative to the value's size). Needs Debian's python3-h5py and
python3-numpy.

flyt's medians are exact up to 65,536 values per replication and beyond come
from a log histogram with bins 2^(1/1024) - 1 = 0.068 % wide
(sim/model/quantile.c), so for a replication with more UKP waits than that the
median is checked within one bin's relative width instead of 1e-9.
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
DEATHS = {"deaths_hospital": 3, "deaths_short_term": 4, "deaths_nursing_home": 5,
          "deaths_home_care": 6}


def kpis(p, rep, warm):
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
    out["ukp_wait_mean"] = float(np.mean(w)) if w.size else float("nan")
    out["ukp_wait_median"] = float(np.median(w)) if w.size else float("nan")
    out["ukp_wait_max"] = float(np.max(w)) if w.size else float("nan")
    # Short-term stays admitted in the window; the length of stay of those
    # that ended, blocking included.
    st, st_end = col["t_short_term"], col["t_short_term_end"]
    adm = np.isfinite(st) & (st >= warm)
    out["st_admissions"] = float(np.sum(adm))
    los = (st_end - st)[adm & np.isfinite(st_end)]
    out["st_los_mean"] = float(np.mean(los)) if los.size else float("nan")
    for name, code in DEATHS.items():
        out[name] = float(np.sum((col["exit_reason"] == code) & (col["t_exit"] >= warm)))
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
    reps = f["replications/replication"][:]
    bad = 0
    print("%-4s %-22s %16s %16s" % ("rep", "KPI", "from /patients", "flyt"))
    for i, rep in enumerate(reps):
        k = kpis(p, rep, warm)
        for name, v in k.items():
            flyt = float(f["replications"][name][i])
            binned = name in HISTOGRAM_KPIS and k[HISTOGRAM_KPIS[name]] > QUANTILE_EXACT
            ok = within_bin(v, flyt) if binned else close(v, flyt)
            bad += not ok
            print("%-4d %-22s %16.10g %16.10g%s" % (rep, name, v, flyt,
                                                   ("" if ok else "  DIFFERS") +
                                                   ("  (histogram, 0.068 %)" if binned else "")))
    print("reaggregate.py: %d KPI values differ" % bad)
    return 1 if bad and args.check else 0


if __name__ == "__main__":
    sys.exit(main())
