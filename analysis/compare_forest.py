#!/usr/bin/python3
"""Forest plot of a flyt compare file: per KPI the paired difference and its 95 % CI.

One PNG per variant (NAME.png, or NAME-<variant>.png when there are several);
differences are shown as a percentage of the base mean so that KPIs in different
units share one axis; red points are those whose interval excludes 0. Needs
Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__)
    ap.add_argument("file", help="a flyt compare file (.h5)")
    ap.add_argument("-o", "--output", default="forest.png", help="PNG to write")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "compare_forest.py")
    if "differences" not in f:
        flytio.die("compare_forest.py", "%s is not a compare file (no /differences)" % args.file)
    figs = flytio.forest_figures(f)
    if not figs:
        flytio.die("compare_forest.py", "no KPI with a finite difference", 1)
    root, ext = os.path.splitext(args.output)
    for name, fig in figs:
        out = args.output if len(figs) == 1 else "%s-%s%s" % (root, name, ext or ".png")
        flytio.save_png(fig, out)
        print("compare_forest.py: wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
