#!/usr/bin/python3
"""What a `flyt optimise` run found, and how many simulated city-years it
used against an exhaustive grid at the same precision.

    /usr/bin/python3 scenarios/optimise/efficiency.py trondheim-2025-opt.h5 [...]

Reads the file's /optimise group (docs/optimise.md, "Output") and prints,
per file: the pick with its objective and constraint KPIs (mean and 95 %
interval), the configurations not distinguishable from it, or, when nothing
is feasible, the configuration nearest to feasible (the smallest mean of
the first constraint's KPI, relative to its bound); then the two counts.

A city-year is one replication: with the Trondheim scenarios, one measured
year of the city (after 120 days of warm-up, simulated but not counted).

- The procedure: the replications it ran, summed over every configuration
  (the dataset `replications`).
- The exhaustive grid at the same precision: every configuration run to the
  count that makes the 95 % interval of its objective as narrow as the
  indifference zone (half-width delta) and the 95 % interval of each
  constraint KPI as narrow as that constraint's tolerance (half-width
  epsilon): N_i = max(n0, ceil(n_i (w_i / delta)^2), max_l ceil(n_i
  (w_il / epsilon_l)^2)), where w is the half-width of the file's interval
  over the n_i replications the procedure ran (a Student-t interval, so
  this keeps its t quantile and scales the variance estimate over n_i
  replications; the first-stage variances themselves are not in the
  file). Summed over every configuration.

The exhaustive count favours the grid: its intervals are one configuration
at a time at 95 %, while the procedure's guarantee holds for all K of them
together at 1 - alpha, and the grid's objective intervals are not paired
(the procedure compares paired differences under common random numbers,
whose variance is far smaller). Standard library, h5py and numpy only.
"""

import math
import sys

import h5py
import numpy as np


def text(v):
    return v.decode() if isinstance(v, bytes) else str(v)


def describe(path):
    with h5py.File(path, "r") as f:
        g = f["/optimise"]
        a = g.attrs
        names = [text(v) for v in a["variables"]]
        cons = [text(v) for v in a["constraints"]]
        obj_name = text(a["objective"])
        delta = float(a["objective_indifference"])
        n0 = int(a["first_stage"])
        chosen = int(a["chosen"])
        values = g["values"][:]
        reps = g["replications"][:].astype(int)
        decision = [text(v) for v in g["decision"][:]]
        by = g["by"][:]
        obj = g["objective"][:]
        ck = g["constraint_kpi"][:]
        bound = g["bound"][:]
        tol = g["tolerance"][:]
        upper = g["upper"][:]
        capped = bool(a["capped"])

    def config(i):
        return " ".join(f"{n}={int(v)}" for n, v in zip(names, values[i]))

    def interval(x):
        return f"{x[0]:,.4g} [{x[1]:,.4g}, {x[2]:,.4g}]"

    K = len(reps)
    print(f"{path}: {K} configurations, objective {obj_name} (delta {delta:,.0f}), "
          f"constraints: {'; '.join(cons)}")
    if chosen >= 0:
        print(f"  chosen: #{chosen + 1} {config(chosen)} after {reps[chosen]} replications")
        print(f"    {obj_name}: {interval(obj[chosen])}")
        for l, c in enumerate(cons):
            print(f"    {c.split(' ')[0]}: {interval(ck[chosen, l])}")
        tied = [i for i in range(K)
                if i != chosen and decision[i] == "not distinguishable" and by[i] == chosen]
        for i in tied:
            print(f"  not distinguishable from it: #{i + 1} {config(i)}: "
                  f"{obj_name} {interval(obj[i])} ({reps[i]} replications)")
        if not tied:
            print("  not distinguishable from it: none")
    else:
        # nearest to feasible: the smallest excess of the first constraint's
        # mean over its bound; then the cheapest of those whose interval of
        # that KPI overlaps the nearest one's (not told apart from it)
        sign = 1.0 if upper[0] else -1.0
        excess = [sign * (ck[i, 0, 0] - bound[0]) for i in range(K)]
        i = int(np.argmin(excess))
        print(f"  no configuration is feasible; nearest: #{i + 1} {config(i)}: "
              f"{cons[0].split(' ')[0]} {interval(ck[i, 0])}, {obj_name} {interval(obj[i])}")
        lo, hi = ck[i, 0, 1], ck[i, 0, 2]
        near = [j for j in range(K) if ck[j, 0, 1] <= hi and ck[j, 0, 2] >= lo]
        j = min(near, key=lambda j: obj[j, 0])
        print(f"  the cheapest as near (its interval overlaps): #{j + 1} {config(j)}: "
              f"{cons[0].split(' ')[0]} {interval(ck[j, 0])}, {obj_name} {interval(obj[j])}")
    counts = {}
    for d in decision:
        counts[d] = counts.get(d, 0) + 1
    print("  decisions: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + (" (some decisions capped: no guarantee for them)" if capped else ""))

    exhaustive = 0
    for i in range(K):
        n = reps[i]
        need = [n0]
        w = (obj[i, 2] - obj[i, 1]) / 2
        need.append(math.ceil(n * (w / delta) ** 2))
        for l in range(len(cons)):
            w = (ck[i, l, 2] - ck[i, l, 1]) / 2
            need.append(math.ceil(n * (w / tol[l]) ** 2))
        exhaustive += max(need)
    used = int(reps.sum())
    print(f"  simulated city-years: procedure {used:,}; exhaustive grid at the same precision "
          f"{exhaustive:,} ({exhaustive / used:.1f} times as many)")
    return used, exhaustive


def main(argv):
    if len(argv) < 2:
        print(__doc__.strip().split("\n\n")[1], file=sys.stderr)
        return 2
    for p in argv[1:]:
        describe(p)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
