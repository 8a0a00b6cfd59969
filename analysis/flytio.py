"""Shared helpers for the analysis scripts: open a flyt file, find its run
bodies, and draw the plots. Each plot function takes an open h5py object and
returns a matplotlib Figure (or None when the file has nothing to show), so
that the single-plot scripts and report.py draw exactly the same pictures.

Needs Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""
import io
import sys

import h5py
import numpy as np

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after the backend is chosen)

# global series drawn after the units' panels: (series, title, y label)
GLOBAL_PANELS = [
    ("ukp_waiting", "Discharge-ready (UKP) patients in hospital", "patients waiting"),
    ("hospital_treatment", "Hospital, in treatment", "patients"),
]

EXIT_REASONS = ["home", "special_placement", "services_ended", "death", "to_hospital",
                "in_system"]

# unit index values of /patients and /events that are not units
TO_HOME, TO_SPECIAL, NO_UNIT = 0xFFFE, 0xFFFD, 0xFFFF


def die(prog, msg, code=2):
    print("%s: error: %s" % (prog, msg), file=sys.stderr)
    sys.exit(code)


def text(v):
    """An attribute's value, bytes decoded: a sweep file stores its strings at a
    fixed length (docs/hdf5-layout.md), which h5py returns as bytes."""
    return v.decode("utf-8") if isinstance(v, bytes) else v


def open_flyt(path, prog):
    """The file opened read-only; exits 2 with a message when it is not flyt output."""
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        die(prog, "cannot open %s: %s" % (path, e))
    if text(f.attrs.get("format")) != "flyt":
        die(prog, "%s is not a flyt output file (no root attribute format = flyt)" % path)
    return f


def kind(f):
    k = text(f.attrs.get("kind", ""))
    return k if k else ("run" if "summary" in f else "")


def run_bodies(f):
    """[(label, group)] of every group that holds what a run file holds."""
    if "series" in f and "replications" in f:
        return [(str(f.attrs.get("scenario_name", "run")), f)]
    if "scenarios" in f:
        return [(name, f["scenarios"][name]) for name in sorted(f["scenarios"])
                if "series" in f["scenarios"][name]]
    return []


def strings(ds):
    return [s for s in ds.asstr()[:]]


# ---- the care network (/units, docs/hdf5-layout.md) ----

def unit_ids(g):
    """The unit ids of a run body in the scenario's order ([] for a file from
    before the network: it has no /units)."""
    return strings(g["units/ids"]) if "units" in g and "ids" in g["units"] else []


def unit_kpi_names(g):
    return [str(text(k)) for k in g["units"].attrs["kpi"]]


def unit_index(g, uid):
    """Unit `uid`'s index along the unit axis of the /units tables."""
    return unit_ids(g).index(uid)


def unit_settings(g, uid):
    """{name, kind, capacity, hospital} of unit `uid` (attributes of /units)."""
    a, u = g["units"].attrs, unit_index(g, uid)
    return {"name": str(text(a["name"][u])), "kind": str(text(a["kind"][u])),
            "capacity": float(a["capacity"][u]), "hospital": int(a["hospital"][u])}


def unit_kpi(g, uid, name):
    """Per replication, the per-unit KPI `name` of unit `uid`."""
    return g["units/kpis"][:, unit_index(g, uid), unit_kpi_names(g).index(name)]


def unit_summary(g, uid):
    """{kpi: (mean, sd, ci95_low, ci95_high, n)} of unit `uid`."""
    t = g["units/summary"][unit_index(g, uid)]
    return {k: tuple(float(x) for x in t[i]) for i, k in enumerate(unit_kpi_names(g))}


def unit_series(g, uid, name):
    """Unit `uid`'s daily series `name`: a [replication x day] array (whole), or
    a dict of per-day mean, sd, min, max, n and, in files since 2026-12-05,
    p05, p25, p50, p75, p95 (reduced; the dataset's `rows` names them), as
    fan_reduced takes."""
    ds, u = g["units/series"][name], unit_index(g, uid)
    if g["units/series"].attrs.get("layout") == "reduced":
        rows = ds.attrs.get("rows", "mean,sd,min,max,n")
        rows = rows.decode() if isinstance(rows, bytes) else rows
        return {k: ds[i, u] for i, k in enumerate(rows.split(","))}
    return ds[:, u, :]


def first_day(ds, f):
    fd = getattr(ds, "attrs", {}).get("first_day")  # a unit's slice has none
    return float(fd) if fd is not None else float(f.attrs.get("warmup_days", 0.0))


# ---- occupancy fan chart ----

def fan(ax, day, x, colour, label, bands_label=True):
    """Median over replications (rows of x) with the 50 % and 90 % bands."""
    q = np.nanpercentile(x, [5, 25, 50, 75, 95], axis=0)
    ax.fill_between(day, q[0], q[4], color=colour, alpha=0.18, lw=0,
                    label="90 % band" if bands_label else None)
    ax.fill_between(day, q[1], q[3], color=colour, alpha=0.38, lw=0,
                    label="50 % band" if bands_label else None)
    ax.plot(day, q[2], color=colour, lw=1.6, label=label)


def has_quantiles(series_obj):
    """A reduced series with per-day quantiles (files since 2026-12-05)."""
    return is_reduced(series_obj) and all(k in series_obj for k in QUANTILE_ROWS)


QUANTILE_ROWS = ("p05", "p25", "p50", "p75", "p95")


def fan_reduced(ax, day, g, colour, label, bands_label=True):
    """A reduced series: the median and 50 % and 90 % bands from its per-day
    quantiles, as fan draws them from a whole one; from an older file
    without quantiles, the mean with mean +- 1.645 sd clipped to min-max,
    and the min-max range."""
    if has_quantiles(g):
        q = [np.asarray(g[k][:]) for k in QUANTILE_ROWS]
        ax.fill_between(day, q[0], q[4], color=colour, alpha=0.18, lw=0,
                        label="90 % band" if bands_label else None)
        ax.fill_between(day, q[1], q[3], color=colour, alpha=0.38, lw=0,
                        label="50 % band" if bands_label else None)
        ax.plot(day, q[2], color=colour, lw=1.6, label=label)
        return
    m, sd, lo, hi = (g[k][:] for k in ("mean", "sd", "min", "max"))
    sd = np.nan_to_num(sd)
    ax.fill_between(day, lo, hi, color=colour, alpha=0.14, lw=0,
                    label="min-max" if bands_label else None)
    ax.fill_between(day, np.maximum(lo, m - 1.645 * sd), np.minimum(hi, m + 1.645 * sd),
                    color=colour, alpha=0.34, lw=0,
                    label="mean +- 1.645 sd" if bands_label else None)
    ax.plot(day, m, color=colour, lw=1.6, label=label)


def is_reduced(series_obj):
    """True for a series of the reduced layout (a group, or unit_series' dict)."""
    return isinstance(series_obj, (h5py.Group, dict))


def series_centre(series_obj):
    """Per day: the median over replications (whole, or reduced with quantiles)
    or the mean (reduced, older files)."""
    if has_quantiles(series_obj):
        return series_obj["p50"][:]
    if is_reduced(series_obj):
        return series_obj["mean"][:]
    return np.nanmedian(series_obj[:], axis=0)


def panels_of(g):
    """[(title, y label, series getter, capacity getter or None)]: per unit its
    census (hours for a caseload) against capacity, then the hospital's series."""
    out = []
    for uid in unit_ids(g):
        a = unit_settings(g, uid)
        name, kind = a["name"], a["kind"]
        what, ylabel = (("hours", "hours per week in use") if kind == "caseload" else
                        ("census", "patients" if kind == "unlimited" else "occupied beds"))
        cap = None if kind == "unlimited" else (lambda b, u=uid: unit_series(b, u, "capacity"))
        out.append((name, ylabel, lambda b, u=uid, w=what: unit_series(b, u, w), cap))
    for series, title, ylabel in GLOBAL_PANELS:
        if series in g["series"]:
            out.append((title, ylabel, lambda b, s=series: b["series"][s], None))
    return out


def occupancy_figure(f):
    bodies = run_bodies(f)
    if not bodies:
        return None
    panels = panels_of(bodies[0][1])
    ncol = 2
    nrow = (len(panels) + 1) // 2
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 3.4 * nrow), squeeze=False)
    reduced = False
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, (title, ylabel, get, cap) in zip(axes.flat, panels):
        for i, (label, g) in enumerate(bodies):
            try:
                ds = get(g)
            except KeyError:  # a unit only some scenarios have
                continue
            centre = "mean" if is_reduced(ds) and not has_quantiles(ds) else "median"
            if is_reduced(ds):
                reduced = reduced or not has_quantiles(ds)
                if ds["mean"].size == 0:
                    continue
                day = first_day(ds if isinstance(ds, h5py.Group) else g["series"], f) + \
                    np.arange(ds["mean"].size)
                fan_reduced(ax, day, ds, colours[i % len(colours)],
                            centre if len(bodies) == 1 else centre + ", " + label, i == 0)
            else:
                x = ds[:]
                if x.size == 0:
                    continue
                day = first_day(ds, f) + np.arange(x.shape[1])
                fan(ax, day, x, colours[i % len(colours)],
                    centre if len(bodies) == 1 else centre + ", " + label, i == 0)
            if cap:
                c = series_centre(cap(g))
                ax.plot(day, c, color="black" if len(bodies) == 1 else colours[i % len(colours)],
                        lw=1.2, ls="--", label="capacity" if len(bodies) == 1 else
                        "capacity, " + label)
        ax.set_title(title)
        ax.set_xlabel("simulated day (days since %s)" % f.attrs.get("start_date", "day 0"))
        ax.set_ylabel(ylabel)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in list(axes.flat)[len(panels):]:
        ax.set_visible(False)
    n = int(f.attrs.get("replications", 0))
    if reduced:
        fig.suptitle("Occupancy over time: mean, mean +- 1.645 sd and min-max across %d "
                     "replications (reduced series; census at 00:00, after warm-up)" % n)
    else:
        fig.suptitle("Occupancy over time: median and 50 %% / 90 %% bands across %d replications "
                     "(census at 00:00, after warm-up)" % n)
    fig.tight_layout()
    return fig


# ---- UKP waiting days ----

def ukp_waits(g, warmup):
    """UKP waits (days) that ended, of patients discharge-ready after warm-up,
    and whether each patient had complex needs, from a /patients group."""
    p = g["patients"]
    t_ready = p["t_ready"][:]
    t_end = p["t_ukp_end"][:]
    keep = np.isfinite(t_ready) & np.isfinite(t_end) & (t_ready >= warmup)
    return (t_end - t_ready)[keep], p["complex"][:][keep].astype(bool)


def ukp_figure(f):
    if "patients" not in f:
        return None
    w, cx = ukp_waits(f, float(f.attrs["warmup_days"]))
    if w.size == 0:
        return None
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.2))
    top = max(1.0, float(np.max(w)))
    bins = np.linspace(0, top, 60)
    a.hist([w[~cx], w[cx]], bins=bins, stacked=True, label=["ordinary", "complex needs"],
           color=["tab:blue", "tab:red"])
    a.set_yscale("log")
    a.set_xlabel("UKP waiting days per patient (days)")
    a.set_ylabel("patients (log scale)")
    a.set_title("Distribution of UKP waits")
    a.legend()
    a.grid(alpha=0.3)
    for sel, label, colour in ((np.ones_like(cx), "all", "black"), (~cx, "ordinary", "tab:blue"),
                               (cx, "complex needs", "tab:red")):
        x = np.sort(w[sel])
        if x.size == 0:
            continue
        surv = 1.0 - np.arange(1, x.size + 1) / x.size
        b.step(x, np.maximum(surv, 0.5 / x.size), where="post", label="%s (n=%d)" % (label, x.size),
               color=colour)
    b.set_yscale("log")
    b.set_xlabel("UKP waiting days (days)")
    b.set_ylabel("share still waiting, P(wait > x) (log scale)")
    b.set_title("Survival curve of the UKP wait")
    b.legend()
    b.grid(alpha=0.3, which="both")
    fig.suptitle("UKP waiting days, patients discharge-ready in the measured window "
                 "(all replications, from /patients)")
    fig.tight_layout()
    return fig


# ---- comparison forest plot ----

def forest_figures(f):
    """One figure per variant: paired difference and 95 % CI per KPI, scaled by
    the base mean so that KPIs in different units share an axis."""
    if "differences" not in f:
        return []
    figs = []
    for name in sorted(f["differences"]):
        s = f["differences"][name]["summary"]
        kpi = strings(s["kpi"])
        units = strings(s["units"])
        base = s["base_mean"][:]
        m, lo, hi = s["mean"][:], s["ci_low"][:], s["ci_high"][:]
        ok = np.isfinite(m) & np.isfinite(lo) & np.isfinite(base) & (np.abs(base) > 0)
        idx = [i for i in range(len(kpi)) if ok[i] and not kpi[i].startswith("patients_")]
        if not idx:
            continue
        rel = lambda v: 100.0 * v[idx] / np.abs(base[idx])  # noqa: E731
        y = np.arange(len(idx))[::-1]
        fig, ax = plt.subplots(figsize=(10, 0.28 * len(idx) + 1.6))
        sig = (lo[idx] > 0) | (hi[idx] < 0)
        ax.errorbar(rel(m), y, xerr=[rel(m) - rel(lo), rel(hi) - rel(m)], fmt="none",
                    ecolor="grey", lw=1.2)
        ax.scatter(rel(m)[~sig], y[~sig], color="grey", zorder=3, s=18, label="CI includes 0")
        ax.scatter(rel(m)[sig], y[sig], color="tab:red", zorder=3, s=18, label="CI excludes 0")
        ax.axvline(0, color="black", lw=0.8)
        ax.set_yticks(y)
        ax.set_yticklabels(["%s (%s)" % (kpi[i], units[i]) for i in idx], fontsize=7)
        ax.set_xlabel("difference variant - base, % of the base mean (paired 95 % CI)")
        ax.set_title("%s vs %s" % (name, str(f.attrs.get("base", "base")).split("/")[-1]))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
        fig.tight_layout()
        figs.append((name, fig))
    return figs


# ---- sweeps ----

def sweep_params(f):
    """Parameter keys of a sweep file, and their values per point."""
    keys = strings(f["parameters"]["key"])
    vals = {}
    for k in keys:
        if k in f["points"] and f["points"][k].dtype.kind in "fiu":
            vals[k] = f["points"][k][:].astype(float)
    return [k for k in keys if k in vals], vals


def sweep_figure(f, kpi, x=None, y=None):
    """A KPI against one swept parameter (lines, one per value of a second) or
    two (heat map of the mean)."""
    s = f["summary"]
    names = strings(s["kpi"])
    if kpi not in names:
        raise KeyError("no KPI '%s' in /summary/kpi" % kpi)
    k = names.index(kpi)
    unit = strings(s["units"])[k]
    mean = s["mean"][:, k]
    lo, hi = s["ci95_low"][:, k], s["ci95_high"][:, k]
    keys, vals = sweep_params(f)
    if not keys:
        return None
    x = x or keys[0]
    if y is None and len(keys) > 1:
        y = [q for q in keys if q != x][0]
    fig, ax = plt.subplots(figsize=(8, 5))
    xv = vals[x]
    if y is None:
        o = np.argsort(xv)
        ax.fill_between(xv[o], lo[o], hi[o], alpha=0.25, label="95 % CI")
        ax.plot(xv[o], mean[o], marker="o", label="mean")
        ax.set_xlabel(x)
        ax.set_ylabel("%s (%s)" % (kpi, unit))
        ax.legend()
    elif len(np.unique(xv)) * len(np.unique(vals[y])) == len(xv):
        ux, uy = np.unique(xv), np.unique(vals[y])
        grid = np.full((len(uy), len(ux)), np.nan)
        for i in range(len(xv)):
            grid[np.searchsorted(uy, vals[y][i]), np.searchsorted(ux, xv[i])] = mean[i]
        im = ax.imshow(grid, origin="lower", aspect="auto", cmap="viridis")
        ax.set_xticks(range(len(ux)))
        ax.set_xticklabels(["%g" % v for v in ux])
        ax.set_yticks(range(len(uy)))
        ax.set_yticklabels(["%g" % v for v in uy])
        mid = np.nanmean(grid)
        for (r, c), v in np.ndenumerate(grid):
            if np.isfinite(v):
                ax.text(c, r, "%.3g" % v, ha="center", va="center", fontsize=9,
                        color="black" if v > mid else "white")
        ax.grid(False)
        fig.colorbar(im, ax=ax, label="%s (%s), mean" % (kpi, unit))
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    else:  # a design that is not a grid: scatter coloured by the KPI
        sc = ax.scatter(xv, vals[y], c=mean, cmap="viridis")
        fig.colorbar(sc, ax=ax, label="%s (%s), mean" % (kpi, unit))
        ax.set_xlabel(x)
        ax.set_ylabel(y)
    ax.set_title("%s over the sweep '%s'" % (kpi, text(f.attrs.get("sweep_name", ""))))
    if y is None:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


# ---- output ----

def save_png(fig, path):
    fig.savefig(path, dpi=110)
    plt.close(fig)


def png_bytes(fig):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    return buf.getvalue()
