#!/usr/bin/python3
"""Draw the fan charts of a flyt forecast file (flyt forecast -o FILE).

One panel per figure: UKP waiting, UKP waiting days accrued since the
census, and for every unit of the care network but the hospital its census
(with the beds open, for a beds unit) and, where anyone waits for it, its
queue: the median over replications and the 50 % and 90 % bands. A panel
gives the probability that each unit is full, and one the waiting days
accrued per day.

Needs Debian's python3-h5py, python3-numpy and python3-matplotlib (run with
/usr/bin/python3).
"""
import argparse
import sys

import h5py
import numpy as np

def fan(ax, day, g, colour):
    """Median line with 50 % and 90 % bands from one /forecast/<figure> group."""
    ax.fill_between(day, g["p05"][:], g["p95"][:], color=colour, alpha=0.18, lw=0,
                    label="90 % band")
    ax.fill_between(day, g["p25"][:], g["p75"][:], color=colour, alpha=0.38, lw=0,
                    label="50 % band")
    ax.plot(day, g["median"][:], color=colour, lw=1.8, label="median")


def main(argv=None):
    ap = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="Example: forecast_fan.py flyt-forecast.h5 -o fan.png")
    ap.add_argument("file", help="a flyt forecast file (.h5)")
    ap.add_argument("-o", "--output", default="forecast-fan.png",
                    help="image to write (PNG, PDF or SVG by its suffix; default %(default)s)")
    ap.add_argument("--dpi", type=int, default=120, help="resolution of a PNG (default 120)")
    args = ap.parse_args(argv)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        sys.exit(f"forecast_fan.py: cannot open {args.file}: {e}")
    if f.attrs.get("format") != "flyt" or f.attrs.get("kind") != "forecast":
        sys.exit(f"forecast_fan.py: {args.file} is not a flyt forecast file")
    fc = f["forecast"]
    day = fc["day"][:]
    date = f.attrs["census_date"]
    reps = int(f.attrs["replications"])

    units = [u.decode() if isinstance(u, bytes) else u for u in fc["units/ids"][:]]
    # (group, title, y label, capacity or None)
    panels = [(fc["ukp_waiting"], "UKP patients waiting in hospital", "patients", None),
              (fc["ukp_days_cum"], "UKP waiting days accrued since the census", "waiting days",
               None)]
    for u in units:
        g = fc["units"][u]
        name = g.attrs.get("name", u)
        beds = g.attrs.get("kind") == "beds"
        panels.append((g["census"], f"{name}: {'beds occupied' if beds else 'census'}",
                       g["census"].attrs.get("units", "patients"),
                       g["capacity"][:] if beds else None))
        if np.any(g["queue"]["p95"][:] > 0):
            panels.append((g["queue"], f"{name}: waiting for a place", "patients", None))
    n = len(panels) + 2
    rows = (n + 1) // 2
    fig, axes = plt.subplots(rows, 2, figsize=(12, 3.5 * rows), sharex=True, squeeze=False)
    axes = axes.ravel()
    colour = "#1f5f9f"
    for ax, (g, title, ylabel, cap) in zip(axes, panels):
        fan(ax, day, g, colour)
        if cap is not None:
            ax.plot(day, cap, color="#b22222", lw=1.2, ls="--", label="capacity")
        ax.set_title(title)
        ax.set_ylabel(f"{ylabel}")
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best", fontsize=8)
    ax = axes[len(panels)]
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for i, u in enumerate(units):
        g = fc["units"][u]
        if g.attrs.get("kind") == "unlimited":
            continue  # never full
        what = "a request waits" if g.attrs.get("kind") == "caseload" else "every bed taken"
        ax.plot(day, 100 * g["p_full"][:], label=f"{g.attrs.get('name', u)} ({what})",
                color=colours[i % len(colours)], lw=1.6)
    ax.set_ylim(-2, 102)
    ax.set_title("Probability that the unit is full at 00:00")
    ax.set_ylabel("probability (%)")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    ax = axes[len(panels) + 1]
    g = fc["ukp_days"]
    ax.bar(day, g["mean"][:], color=colour, alpha=0.6, label="mean")
    ax.set_title("UKP waiting days accrued per day")
    ax.set_ylabel("waiting days per day")
    ax.grid(alpha=0.3)
    for ax in axes[n:]:
        ax.set_visible(False)
    for ax in axes[n - 2:n]:
        ax.xaxis.set_tick_params(labelbottom=True)
        ax.set_xlabel(f"days after the census date {date}")
    fig.suptitle(f"{f.attrs['scenario_name']}: forecast from the census of {date} "
                 f"({reps} replications)")
    fig.tight_layout(rect=(0, 0, 1, 0.97))
    fig.savefig(args.output, dpi=args.dpi)
    print(f"forecast_fan.py: wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
