#!/usr/bin/python3
"""Print the summary table of a flyt HDF5 file (any flyt run output).

Reads /summary and the provenance attributes with h5py; needs Debian's
python3-h5py and python3-numpy (run with /usr/bin/python3).
"""
import argparse
import math
import sys

import h5py


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", help="a flyt output file (.h5)")
    ap.add_argument("--kpi", action="append", help="only this KPI (repeatable)")
    args = ap.parse_args(argv)
    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        sys.exit(f"summary.py: cannot open {args.file}: {e}")
    fmt = f.attrs.get("format")
    if (fmt.decode() if isinstance(fmt, bytes) else fmt) != "flyt":  # bytes: a sweep file's
        sys.exit(f"summary.py: {args.file} is not a flyt output file")
    s = f["summary"]
    names = list(s["kpi"].asstr()[:])
    units = list(s["units"].asstr()[:])
    print(f"{f.attrs['scenario_name']}: {int(f.attrs['replications'])} replications, "
          f"seed {int(f.attrs['seed'])}, flyt {f.attrs['flyt_version']}")
    print(f"{'KPI':28s} {'units':12s} {'mean':>12s}  95% CI")
    for i, name in enumerate(names):
        if args.kpi and name not in args.kpi:
            continue
        lo, hi, m = s["ci95_low"][i], s["ci95_high"][i], s["mean"][i]
        ci = "-" if math.isnan(lo) else f"[{lo:.4g}, {hi:.4g}]"
        print(f"{name:28s} {units[i]:12s} {m:12.4g}  {ci}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
