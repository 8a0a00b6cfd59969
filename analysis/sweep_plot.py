#!/usr/bin/python3
"""A KPI against one or two swept parameters of a flyt sweep file.

One parameter: the mean with its 95 % band as a line. Two on a grid: a heat map
of the mean (other designs: a scatter coloured by the mean). Reads the layout of
sim/output/h5/h5_sweep.c: /parameters/key, /points/<key> [point], /summary/kpi,
/summary/units [kpi] and /summary/mean, ci95_low, ci95_high [point x kpi].
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__)
    ap.add_argument("file", help="a flyt sweep file (.h5)")
    ap.add_argument("--kpi", default="ukp_wait_mean", help="KPI to plot (default ukp_wait_mean)")
    ap.add_argument("--x", help="parameter key on the x axis (default: the first)")
    ap.add_argument("--y", help="second parameter (default: the second, if any)")
    ap.add_argument("-o", "--output", default="sweep.png", help="PNG to write")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "sweep_plot.py")
    if "parameters" not in f or "summary" not in f or f["summary"]["mean"].ndim != 2:
        flytio.die("sweep_plot.py", "%s is not a complete sweep file" % args.file)
    try:
        fig = flytio.sweep_figure(f, args.kpi, args.x, args.y)
    except KeyError as e:
        flytio.die("sweep_plot.py", str(e))
    if fig is None:
        flytio.die("sweep_plot.py", "no numeric swept parameter in %s" % args.file, 1)
    flytio.save_png(fig, args.output)
    print("sweep_plot.py: wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
