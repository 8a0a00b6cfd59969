#!/usr/bin/python3
"""The figure-by-figure tables of scenarios/README.md, from flyt's outputs.

    tables.py write README FIGURES RUN...
    tables.py check README FIGURES RUN...

FIGURES is the table of public figures (scenarios/figures/trondheim.csv:
one row per figure with the KPI, or a formula over KPIs, that the model
gives for it, the observed value and its uncertainty). Each RUN is
LABEL:YEAR:FILE.h5[:FIT.json], a `flyt run` output file of the scenario
LABEL (its file name under scenarios/), the year whose figures it is
compared with, and optionally the `flyt calibrate --format json` output
that fitted it (its parameters are tabled too).

`write` replaces, in README, the text between
`<!-- figures:LABEL begin -->` and `<!-- figures:LABEL end -->` with the
table for LABEL. `check` recomputes every table from the runs and compares
it with the README's: every committed modelled mean must lie within the
fresh run's 95 % interval (so a rerun with the same seed, bit-identical,
passes, and a table that was edited by hand or left behind by a change to
the model fails). Exit 0 when all agree, 1 with one line per difference, 2
on bad input.

A figure's modelled value is computed per replication (a formula such as
`ukp_payment_per_year/1e6` over the replication's KPIs; a unit's KPI as
`units.<id>.<kpi>`), then its mean and Student-t 95 % interval over the
replications. Within: |mean - observed| <= the figure's uncertainty
(check = target or check); below: the interval's upper end is under the
observed bound; none: the model has no KPI for it (said, not guessed).
Needs Debian's python3-h5py and python3-numpy.
"""
import csv
import json
import math
import re
import sys

import h5py
import numpy as np

# Student-t 0.975 quantiles by degrees of freedom (normal beyond 100)
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306,
        9: 2.262, 10: 2.228, 11: 2.201, 12: 2.179, 13: 2.160, 14: 2.145, 15: 2.131,
        16: 2.120, 17: 2.110, 18: 2.101, 19: 2.093, 20: 2.086, 24: 2.064, 29: 2.045,
        39: 2.023, 49: 2.010, 59: 2.001, 99: 1.984}


def t975(df):
    if df in T975:
        return T975[df]
    keys = sorted(T975)
    for lo, hi in zip(keys, keys[1:]):
        if lo < df < hi:  # linear in 1/df between tabled values
            w = (1 / df - 1 / hi) / (1 / lo - 1 / hi)
            return T975[hi] + w * (T975[lo] - T975[hi])
    return 1.960


def read_figures(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


class Run:
    """One flyt run file: every KPI per replication, by name."""

    def __init__(self, label, year, path, fit=None):
        self.label, self.year, self.path = label, year, path
        with h5py.File(path, "r") as f:
            reps = f["replications"]
            self.n = reps.shape[0]
            self.kpi = {name: np.asarray(reps[name], float) for name in reps.dtype.names
                        if reps.dtype[name].kind == "f"}
            ids = list(f["units/ids"].asstr()[:])
            cols = [c.decode() if isinstance(c, bytes) else str(c)
                    for c in f["units"].attrs["kpi"]]
            table = f["units/kpis"][:]
            for j, uid in enumerate(ids):
                for c, name in enumerate(cols):
                    self.kpi["units.%s.%s" % (uid, name)] = np.asarray(table[:, j, c], float)
            self.seed = int(f.attrs["seed"])
        self.fit = json.load(open(fit, encoding="utf-8")) if fit else None

    def values(self, expr):
        """The expression per replication: KPI names (dotted for units)
        and arithmetic."""
        names = sorted(set(re.findall(r"(?<![\w.])[A-Za-z_][A-Za-z0-9_.]*", expr)), key=len,
                       reverse=True)
        env, code = {}, expr
        for i, name in enumerate(names):
            if name not in self.kpi:
                raise KeyError("%s: no KPI '%s' in %s" % (expr, name, self.path))
            env["k%d" % i] = self.kpi[name]
            code = re.sub(r"(?<![\w.])%s(?![\w.])" % re.escape(name), "k%d" % i, code)
        return np.asarray(eval(code, {"__builtins__": {}}, env), float)  # noqa: S307 (our CSV)


def stat(x):
    x = x[np.isfinite(x)]
    if x.size < 2:
        return (float(x[0]) if x.size else math.nan), math.nan, math.nan
    m, h = float(np.mean(x)), t975(x.size - 1) * float(np.std(x, ddof=1)) / math.sqrt(x.size)
    return m, m - h, m + h


def fmt(v, ref):
    """v to the precision the observed figure ref is given with, plus a
    digit, so that a number reads against its figure."""
    if v is None or not math.isfinite(v):
        return "-"
    a = abs(ref) if ref and math.isfinite(ref) else abs(v)
    if a >= 1000:
        return "{:,.0f}".format(v)
    if a >= 100:
        return "%.1f" % v
    if a >= 10:
        return "%.2f" % v
    if a >= 1:
        return "%.3f" % v
    return "%.4f" % v


def num(s):
    try:
        return float(s)
    except (TypeError, ValueError):
        return math.nan


def rows_for(run, figures):
    out = []
    for fg in figures:
        if run.year not in fg["applies_to"].split():
            continue
        obs, unc = num(fg["observed"]), num(fg["uncertainty"])
        if fg["check"] == "none" or fg["kpi"] == "-":
            out.append((fg, None, "no KPI"))
            continue
        m, lo, hi = stat(run.values(fg["kpi"]))
        if fg["check"] == "below":
            verdict = "yes" if hi < obs else "no"
        else:
            verdict = "yes" if abs(m - obs) <= unc else "no"
        out.append((fg, (m, lo, hi), verdict))
    return out


def table(run, figures):
    lines = ["`%s`, %d replications, seed %d (`%s`); modelled: mean [95 %% CI] over the "
             "replications; within: |mean - observed| <= uncertainty (below: the interval "
             "under the bound). Sources and how each uncertainty was judged: "
             "`figures/trondheim.csv`." % (run.label, run.n, run.seed, "flyt run"), "",
             "| figure (year) | id | KPI | observed ± uncertainty | modelled | within |",
             "|---|---|---|---|---|---|"]
    for fg, st, verdict in rows_for(run, figures):
        obs, unc = num(fg["observed"]), num(fg["uncertainty"])
        if not math.isfinite(obs):
            o = "not found"
        elif fg["check"] == "below":
            o = "below %s" % fmt(obs, obs)
        else:
            o = "%s ± %s" % (fmt(obs, obs), fmt(unc, obs))
            if fg["check"] == "check":
                o += " (check)"
        if st is None:
            mod = "-"
        else:
            mod = "%s [%s, %s]" % (fmt(st[0], obs), fmt(st[1], obs), fmt(st[2], obs))
        kpi = "-" if fg["kpi"] == "-" else "`%s`" % fg["kpi"]
        lines.append("| %s (%s) | %s | %s | %s | %s | %s |" % (fg["figure"], fg["year"], fg["id"],
                                                               kpi, o, mod, verdict))
    if run.fit:
        fit = run.fit
        lines += ["", "Fitted by `flyt calibrate` (%s, %d evaluations, %s; %d replications, "
                  "seed %d); every other value as in the file it was fitted from, with its "
                  "source:" % (fit["status"], fit["evaluations"],
                               "converged" if fit["converged"] else "not converged",
                               fit["replications"], fit["seed"]), "",
                  "| parameter | start | fitted [95 % interval] | range |", "|---|---|---|---|"]
        for p in fit["parameters"]:
            ci = p.get("ci95")
            ci = ("[%.4g, %.4g]" % tuple(ci)) if ci and None not in ci else "-"
            lines.append("| %s | %.4g | %.4g %s | %.4g-%.4g |" % (
                p["name"], p["start"], p["fitted"], ci, p["min"], p["max"]))
    return "\n".join(lines)


def markers(label):
    return "<!-- figures:%s begin -->" % label, "<!-- figures:%s end -->" % label


def committed(text, label):
    b, e = markers(label)
    i, j = text.find(b), text.find(e)
    if i < 0 or j < i:
        return None
    return text[i + len(b):j]


def parse_modelled(block):
    """id -> committed modelled mean."""
    out = {}
    for line in block.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[1] not in ("id", "---"):
            m = re.match(r"(-?[0-9][0-9,]*\.?[0-9]*) \[", cells[4])
            if m:
                out[cells[1]] = float(m.group(1).replace(",", ""))
    return out


def main(argv):
    if len(argv) < 4 or argv[0] not in ("write", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, readme, figures = argv[0], argv[1], read_figures(argv[2])
    runs = []
    for spec in argv[3:]:
        parts = spec.split(":")
        if len(parts) not in (3, 4):
            print("tables.py: error: %s: expected LABEL:YEAR:FILE.h5[:FIT.json]" % spec,
                  file=sys.stderr)
            return 2
        runs.append(Run(*parts))
    text = open(readme, encoding="utf-8").read()
    bad = 0
    for run in runs:
        new = table(run, figures)
        old = committed(text, run.label)
        if old is None:
            print("tables.py: error: %s has no markers for %s" % (readme, run.label),
                  file=sys.stderr)
            return 2
        if mode == "write":
            b, e = markers(run.label)
            text = text.replace(b + old + e, b + "\n" + new + "\n" + e)
            continue
        fresh = {fg["id"]: (st, num(fg["observed"])) for fg, st, _ in rows_for(run, figures)
                 if st is not None}
        got = parse_modelled(old)
        for fid, (st, obs) in fresh.items():
            m, lo, hi = st
            # the committed number is rounded for print: allow its last digit
            v = got.get(fid)
            shown = fmt(m, obs)
            tol = 10.0 ** -(len(shown.split(".")[1]) if "." in shown else 0)
            if v is None:
                bad += 1
                print("%s: %s: no committed modelled value" % (run.label, fid))
            elif not (lo - tol <= v <= hi + tol):
                bad += 1
                print("%s: %s: committed %g outside the fresh run's 95 %% CI [%g, %g]"
                      % (run.label, fid, v, lo, hi))
    if mode == "write":
        open(readme, "w", encoding="utf-8").write(text)
        return 0
    print("tables.py: %d committed figures outside the fresh runs' intervals" % bad)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
