#!/usr/bin/python3
"""Occupancy of each unit over time as a fan chart, from a flyt run or compare file.

Per unit: the median census over replications with 50 % and 90 % bands, and the
capacity (beds open, home-care hours available) as a dashed line. A compare file
draws every scenario in its own colour. Needs Debian's python3-h5py,
python3-numpy and python3-matplotlib (run with /usr/bin/python3).
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__)
    ap.add_argument("file", help="a flyt run or compare file (.h5)")
    ap.add_argument("-o", "--output", default="occupancy.png", help="PNG to write")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "occupancy_fan.py")
    fig = flytio.occupancy_figure(f)
    if fig is None:
        flytio.die("occupancy_fan.py", "%s has no daily series (/series)" % args.file)
    flytio.save_png(fig, args.output)
    print("occupancy_fan.py: wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
