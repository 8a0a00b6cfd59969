#!/usr/bin/python3
"""Distribution of UKP waiting days: histogram and survival curve on log scales.

Reads the patient log of a run made with `flyt run --patients` (/patients): every
UKP wait that ended, of patients who became discharge-ready after the warm-up,
complex-needs patients shown apart so that the heavy tail shows. Needs Debian's
python3-h5py, python3-numpy and python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__)
    ap.add_argument("file", help="a flyt run file written with --patients")
    ap.add_argument("-o", "--output", default="ukp-waits.png", help="PNG to write")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "ukp_waits.py")
    if "patients" not in f:
        flytio.die("ukp_waits.py", "%s has no patient log: run flyt run --patients" % args.file)
    fig = flytio.ukp_figure(f)
    if fig is None:
        flytio.die("ukp_waits.py", "no UKP wait ended in the measured window", 1)
    flytio.save_png(fig, args.output)
    print("ukp_waits.py: wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
