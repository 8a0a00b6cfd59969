#!/usr/bin/python3
"""One self-contained HTML page for any flyt file: tables, plots and provenance.

    report.py FILE.h5 -o page.html

The page embeds every image as a base64 PNG and loads nothing else (it opens
offline and can be mailed as one file). Its title is the scenario's (or the
sweep's) name, every key figure is shown with its description and units from
the file, time axes are calendar dates, and numbers have grouped digits and
4 significant digits. What it shows:

  run       key figures with 95 % CIs; the distribution of UKP waits from the
            stored per-replication median, mean, p90 and maximum; per unit the
            occupancy (hours in use for a caseload) against capacity over time,
            mean and 90 % band across replications, with the queue; the
            hospital's daily series; coordinator roles; per-unit tables; with
            --patients also the UKP waits of every patient. A region file
            (/municipalities, docs/region.md) adds a table of key figures per
            municipality, small multiples of each one's mean UKP wait and
            the UKP bed-days at each hospital site by home municipality.
  compare   per variant the paired differences in the KPIs' own units with the
            paired and the unpaired 95 % CI; forest plots by unit of measure;
            occupancy against capacity with one panel per scenario; the
            coordinator role tables of every scenario and their differences;
            per-unit differences.
  sweep     the parameters; the key figures at every point with 95 % CIs; each
            key figure over each swept parameter.
  forecast  fan charts (median, 50 % and 90 % bands) of the whole system and of
            each unit with its capacity and the chance it is full; the figures
            on the census date, the check day and the last day; the patients
            most likely to still wait as UKP; the census by place.
  optimise  the chosen configuration and those not distinguishable from it;
            every configuration with its values, replications, objective and
            constraint KPIs (mean, 95 % CI), decision and reason; per
            constraint the cost-versus-constraint frontier (every
            configuration with both CIs, feasible and infeasible marked, the
            bound, the chosen one, the non-dominated ones joined).

Every page ends with a provenance section laid out as the STRESS-DES checklist
(Monks et al. 2018): model version and commit, inputs (scenario text and
SHA-256), initialisation (warm-up), run length, replications and seed,
software versions, command line, host, all from the file's root attributes.
Needs Debian's python3-h5py, python3-numpy and python3-matplotlib.
"""
import argparse
import base64
import html
import math
import os
import platform
import re
import sys
import warnings

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402

import h5py  # noqa: E402
import matplotlib  # noqa: E402
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

plt = flytio.plt

SIG = 4  # significant digits of every number on the page
SWEEP_KPIS = ["ukp_wait_mean", "ukp_days_per_year", "occ_ukp", "share_direct_home"]
UKP_STATS = [("ukp_wait_median", "median"), ("ukp_wait_mean", "mean"),
             ("ukp_wait_p90", "90th percentile"), ("ukp_wait_max", "maximum")]
SERIES_ORDER = ["ukp_waiting", "hospital_treatment", "coord_queue", "arrivals", "discharges"]
FORECAST_FIGURES = ["ukp_waiting", "ukp_days_cum", "hospital_treatment", "ukp_days"]
UKP_LIST_MAX = 50  # rows of the forecast's list of patients most likely to wait

CSS = """body{font-family:sans-serif;max-width:1200px;margin:1.5em auto;color:#222;padding:0 1em}
h1{margin-bottom:0.2em}p.sub{color:#555;margin-top:0}
table{border-collapse:collapse;margin:0.6em 0 1.4em;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 8px;vertical-align:top}th{background:#eee;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
code{font-size:11px;color:#666}img{max-width:100%;border:1px solid #ddd}
figure{margin:1em 0}figcaption{font-size:13px;color:#444;max-width:1100px}
.sig{color:#b00;font-weight:bold}pre{font-size:11px;background:#f6f6f6;padding:0.5em;
overflow-x:auto;max-height:30em}details{margin:0.3em 0}nav{font-size:13px}
.note{font-size:13px;color:#555}tr.chosen td{background:#fff3c4}"""


# ---- numbers ----

def num(x, sig=SIG):
    """x with `sig` significant digits and grouped thousands ("-" when not finite)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(x):
        return "-"
    if x == 0:
        return "0"
    r = float("%.*g" % (sig, x))
    if abs(r) < 1e-4 or abs(r) >= 1e15:
        return "%.*e" % (sig - 1, r)
    e = int(math.floor(math.log10(abs(r))))
    return "{:,.{d}f}".format(r, d=max(0, sig - 1 - e))


def plain(x):
    """A setting or input value as given: up to 6 significant digits, no
    trailing zeros, grouped thousands (110, 1.5, 15,500)."""
    try:
        x = float(x)
    except (TypeError, ValueError):
        return "-"
    if not math.isfinite(x):
        return "-"
    r = float("%.6g" % x)
    if r == int(r) and abs(r) < 1e15:
        return "{:,}".format(int(r))
    return "{:,.6f}".format(r).rstrip("0").rstrip(".")


def count(x):
    """A whole count with grouped thousands."""
    try:
        return "{:,}".format(int(x))
    except (TypeError, ValueError, OverflowError):
        return "-"


def ci(lo, hi):
    return "-" if not (np.isfinite(lo) and np.isfinite(hi)) else "%s to %s" % (num(lo), num(hi))


def esc(s):
    return html.escape(str(s))


def attr(obj, name, default=None):
    v = obj.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "OSU":
        v = [x.decode() if isinstance(x, bytes) else str(x) for x in v]
    return v


# ---- HTML pieces ----

def table(kind, headers, rows, numeric, caption=None, row_attrs=None):
    """A table tagged data-kind (the browser test counts them). Numeric cells
    are pre-formatted strings, right-aligned. row_attrs: per row, the HTML
    attributes of its <tr> (' class="chosen"'), or None."""
    out = ['<table data-kind="%s">' % kind]
    if caption:
        out.append("<caption style=\"text-align:left;font-weight:bold\">%s</caption>" % caption)
    out.append("<tr>" + "".join("<th>%s</th>" % h for h in headers) + "</tr>")
    for i, row in enumerate(rows):
        out.append("<tr%s>" % (row_attrs[i] if row_attrs else "") +
                   "".join(('<td class="n">%s</td>' if numeric[j] else "<td>%s</td>")
                           % v for j, v in enumerate(row)) + "</tr>")
    return "\n".join(out) + "</table>"


def kpi_label(name, description):
    """The description first, the code name after it, small."""
    d = esc(description) if description else esc(name)
    return "%s <code>%s</code>" % (d, esc(name))


def figure(kind, fig, caption, **data):
    """A <figure data-kind=...> with the PNG embedded."""
    png = base64.b64encode(flytio.png_bytes(fig)).decode("ascii")
    extra = "".join(' data-%s="%s"' % (k, esc(v)) for k, v in data.items())
    return ('<figure data-kind="%s"%s><img alt="%s" src="data:image/png;base64,%s">'
            "<figcaption>%s</figcaption></figure>" % (kind, extra, esc(caption), png, caption))


# ---- dates ----

def start_date(f):
    s = attr(f, "start_date")
    try:
        return np.datetime64(s, "D")
    except (TypeError, ValueError):
        return None


def day_dates(f, first, n):
    """Calendar dates of simulated days first .. first + n - 1 (day numbers
    when the file has no start date)."""
    d0 = start_date(f)
    days = int(round(first)) + np.arange(n)
    if d0 is None:
        return days.astype(float)
    return (d0 + days.astype("timedelta64[D]")).astype("datetime64[D]")


def date_axis(ax, maxticks=9):
    loc = mdates.AutoDateLocator(minticks=3, maxticks=maxticks)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def date_of(f, day):
    d0 = start_date(f)
    if d0 is None or not np.isfinite(day):
        return "day %s" % plain(day)
    return str(d0 + np.timedelta64(int(round(day)), "D"))


def top_legend(fig, ax, title=None, ncol=4):
    """The title and the legend of every panel (ax's first) above the panels,
    where they hide no data."""
    h, lab = [], []
    for a in [ax] + [a for a in fig.axes if a is not ax]:
        for hh, ll in zip(*a.get_legend_handles_labels()):
            if ll not in lab:
                h.append(hh)
                lab.append(ll)
    top = (0.28 if title else 0) + (0.16 if lab else 0)  # inches kept free at the top
    frac = 1 - top / fig.get_figheight()
    if title:
        fig.suptitle(title, fontsize=12, y=1 - 0.06 / fig.get_figheight())
    if lab:
        fig.legend(h, lab, loc="upper center", ncol=min(ncol, len(lab)), fontsize=8,
                   frameon=False, bbox_to_anchor=(0.5, 1 - (0.38 if title else 0.05)
                                                  / fig.get_figheight()))
    fig.tight_layout(rect=(0, 0, 1, frac))


# ---- bands across replications ----

def band(x):
    """(mean, 5 %, 95 %) per day of a [replication, day] array, or of a reduced
    series' dict/group (mean, mean -+ 1.645 sd clipped to min-max)."""
    if flytio.is_reduced(x):
        m, sd, lo, hi = (np.asarray(x[k][:], float) for k in ("mean", "sd", "min", "max"))
        sd = np.nan_to_num(sd)
        return m, np.maximum(lo, m - 1.645 * sd), np.minimum(hi, m + 1.645 * sd)
    x = np.asarray(x[:], float)
    with warnings.catch_warnings():  # a day no replication reached is NaN, quietly
        warnings.simplefilter("ignore", RuntimeWarning)
        return (np.nanmean(x, axis=0), np.nanpercentile(x, 5, axis=0),
                np.nanpercentile(x, 95, axis=0))


def band_label(x):
    return ("mean \u00b1 1.645 sd (reduced series)" if flytio.is_reduced(x)
            else "5-95 % of replications")


def band_text(f, reduced):
    n = count(attr(f, "replications", 0))
    if reduced:
        return ("the mean across the %s replications and the mean \u00b1 1.645 sd, clipped to "
                "their min-max (reduced series keep no quantiles)" % n)
    return "the mean and the band holding 90 %% of the %s replications (5 %% to 95 %%)" % n


def reduced_layout(g):
    return "series" in g and attr(g["series"], "layout") == "reduced"


def series_len(x):
    return (np.asarray(x["mean"]).size if flytio.is_reduced(x) else np.asarray(x).shape[-1])


# ---- run bodies: tables ----

def summary_table(g, kind="kpis"):
    s = g["summary"]
    kpi = flytio.strings(s["kpi"])
    units = flytio.strings(s["units"])
    desc = flytio.strings(s["description"]) if "description" in s else [""] * len(kpi)
    m, sd, lo, hi, n = (s[c][:] for c in ("mean", "sd", "ci95_low", "ci95_high", "n"))
    rows = [[kpi_label(kpi[i], desc[i]), esc(units[i]), num(m[i]), ci(lo[i], hi[i]), num(sd[i]),
             count(n[i])] for i in range(len(kpi))]
    return table(kind, ["key figure", "units", "mean", "95 % CI of the mean", "sd", "n"], rows,
                 [False, False, True, True, True, True])


def role_tables(g, scenario=None):
    parts = []
    if "roles" not in g:
        return parts
    for role in sorted(g["roles"]):
        r = g["roles"][role]
        s = r["summary"]
        kpi = flytio.strings(s["kpi"])
        units = flytio.strings(s["units"])
        m, lo, hi, n = (s[c][:] for c in ("mean", "ci95_low", "ci95_high", "n"))
        rows = []
        for i, k in enumerate(kpi):
            d = attr(r[k], "description", "") if k in r else ""
            rows.append([kpi_label(k, d), esc(units[i]), num(m[i]), ci(lo[i], hi[i]),
                         count(n[i])])
        settings = ", ".join("%s %s" % (esc(a), plain(attr(r, a)) if isinstance(
            attr(r, a), (float, np.floating, int, np.integer)) else esc(attr(r, a)))
            for a in sorted(r.attrs))
        title = "Coordinator role <b>%s</b>%s" % (esc(role), " in %s" % esc(scenario)
                                                  if scenario else "")
        parts.append("<h3>%s</h3><p class=\"note\">settings: %s</p>" % (title, settings))
        parts.append(table("role", ["key figure", "units", "mean", "95 % CI of the mean", "n"],
                           rows, [False, False, True, True, True]))
    return parts


def unit_tables(g):
    parts = []
    ids = flytio.unit_ids(g)
    if not ids:
        return parts
    names = flytio.unit_kpi_names(g)
    units = [str(u) for u in attr(g["units"], "kpi_units")]
    desc = [str(u) for u in attr(g["units"], "kpi_description", names)]
    for uid in ids:
        a = flytio.unit_settings(g, uid)
        summ = flytio.unit_summary(g, uid)
        rows = []
        for i, k in enumerate(names):
            mean, sd, lo, hi, n = summ[k]
            if n == 0:
                continue  # does not apply to this kind of unit
            rows.append([kpi_label(k, desc[i]), esc(units[i]), num(mean), ci(lo, hi), count(n)])
        cap = ("" if not np.isfinite(a["capacity"]) else
               ", capacity %s %s" % (plain(a["capacity"]),
                                     "hours/week" if a["kind"] == "caseload" else "beds"))
        parts.append("<h3>%s <code>%s</code> (%s%s)</h3>" % (esc(a["name"]), esc(uid),
                                                             esc(a["kind"]), cap))
        parts.append(table("unit", ["key figure", "units", "mean", "95 % CI of the mean", "n"],
                           rows, [False, False, True, True, True]))
    parts.append('<p class="note">Key figures that do not apply to a unit\'s kind '
                 "(no replication with a value) are left out.</p>")
    return parts


# ---- run bodies: figures ----

def ukp_distribution_figure(g, label=None):
    """The UKP wait's median, mean, p90 and maximum: each replication's value
    (dots) and the mean over replications with its 95 % CI, on a log axis."""
    if "replications" not in g or not isinstance(g["replications"], h5py.Dataset):
        return None
    rep = g["replications"]
    names = rep.dtype.names or ()
    stats = [(k, lab) for k, lab in UKP_STATS if k in names]
    if not stats:
        return None
    s = g["summary"]
    kpi = flytio.strings(s["kpi"])
    rows = rep[:]
    fig, ax = plt.subplots(figsize=(11, 3.6))
    rng = np.random.default_rng(0)
    ys = np.arange(len(stats))[::-1]
    any_value = False
    for y, (k, lab) in zip(ys, stats):
        v = np.asarray(rows[k], float)
        v = v[np.isfinite(v) & (v > 0)]
        if v.size:
            any_value = True
            ax.scatter(v, y + rng.uniform(-0.18, 0.18, v.size), s=12, color="tab:blue",
                       alpha=0.55, lw=0, label="one replication" if y == ys[0] else None)
        if k in kpi:
            i = kpi.index(k)
            m, lo, hi = s["mean"][i], s["ci95_low"][i], s["ci95_high"][i]
            if np.isfinite(m) and m > 0:
                ax.errorbar([m], [y], xerr=[[max(m - lo, 0)], [max(hi - m, 0)]]
                            if np.isfinite(lo) and np.isfinite(hi) else None,
                            fmt="D", color="black", ms=6, capsize=4, lw=1.5,
                            label="mean over replications, 95 % CI" if y == ys[0] else None)
                ax.annotate(num(m, 3) + " days", (m, y), textcoords="offset points",
                            xytext=(0, 9), ha="center", fontsize=8)
    if not any_value:
        plt.close(fig)
        return None
    ax.set_yticks(ys)
    ax.set_yticklabels(["%s\n(%s)" % (lab, k) for k, lab in stats], fontsize=9)
    ax.set_ylim(-0.7, len(stats) - 0.3)
    ax.set_xscale("log")
    ends = [s[c][kpi.index(k)] for k, _ in stats if k in kpi for c in ("ci95_low", "ci95_high")]
    allv = np.concatenate([np.asarray(rows[k], float) for k, _ in stats] + [np.asarray(ends,
                                                                                       float)])
    allv = allv[np.isfinite(allv) & (allv > 0)]
    ax.set_xlim(allv.min() / 1.4, allv.max() * 1.4)
    ax.xaxis.set_major_locator(matplotlib.ticker.LogLocator(subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: plain(v)))
    ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("UKP wait per discharge-ready patient (days, log scale)")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper right")
    ax.set_title("Distribution of UKP waits: statistics per replication" +
                 (" - %s" % label if label else ""))
    fig.tight_layout()
    return fig


def unit_panels(g):
    """[(uid, settings)] of a run body's units."""
    return [(uid, flytio.unit_settings(g, uid)) for uid in flytio.unit_ids(g)]


def has_capacity(a):
    return a["kind"] != "unlimited"


def occupancy_axes(ax, qax, f, g, uid, a, title=None):
    """Draw one unit of one run body: census (hours for a caseload) with its
    band against capacity on ax, the queue on qax. False when nothing to draw."""
    what = "hours" if a["kind"] == "caseload" else "census"
    try:
        x = flytio.unit_series(g, uid, what)
        cap = flytio.unit_series(g, uid, "capacity")
        q = flytio.unit_series(g, uid, "queue")
    except KeyError:
        return False
    n = series_len(x)
    if n == 0:
        return False
    first = flytio.first_day(g["units/series"][what], f)
    d = day_dates(f, first, n)
    m, lo, hi = band(x)
    ax.fill_between(d, lo, hi, color="tab:blue", alpha=0.25, lw=0, label=band_label(x))
    ax.plot(d, m, color="tab:blue", lw=1.6, label="mean over replications")
    if has_capacity(a):
        cm, _, _ = band(cap)
        ax.plot(d, cm, color="black", lw=1.3, ls="--", drawstyle="steps-post",
                label="capacity open")
    ax.set_ylabel("hours per week" if a["kind"] == "caseload" else
                  "occupied beds" if a["kind"] == "beds" else "patients")
    ax.grid(alpha=0.3)
    if title:
        ax.set_title(title, fontsize=10)
    if qax is not None:
        qm, qlo, qhi = band(q)
        qax.fill_between(d, qlo, qhi, color="tab:orange", alpha=0.25, lw=0)
        qax.plot(d, qm, color="tab:orange", lw=1.4, label="waiting for a place (mean)")
        qax.set_ylabel("queue (patients)")
        qax.grid(alpha=0.3)
        date_axis(qax)
    date_axis(ax)
    return True


def occupancy_caption(f, a, uid, bodies, queue):
    what = ("hours per week in use against hours open" if a["kind"] == "caseload" else
            "occupied beds against beds open" if a["kind"] == "beds" else
            "patients in the unit (no capacity limit)")
    reduced = any(reduced_layout(g) for _, g in bodies)
    return ("%s <code>%s</code>: %s at 00:00 each day after the warm-up, %s; %s.%s"
            % (esc(a["name"]), esc(uid), what, band_text(f, reduced),
               "below, the patients waiting for a place" if queue else
               "nobody waited for a place in it on any day",
               " One panel per scenario, same axes." if len(bodies) > 1 else ""))


def queue_used(bodies, uid):
    """Whether anyone waited for unit `uid` at 00:00 on any day, any scenario."""
    for _, g in bodies:
        try:
            q = flytio.unit_series(g, uid, "queue")
        except KeyError:
            continue
        v = np.asarray(q["max"][:] if flytio.is_reduced(q) else q[:], float)
        if np.any(np.nan_to_num(v) > 0):
            return True
    return False


def occupancy_figures(f, bodies):
    """One figure per unit (matched by id across scenarios): a column per
    scenario, occupancy on top and queue below."""
    out = []
    ids = []
    for _, g in bodies:
        ids += [u for u in flytio.unit_ids(g) if u not in ids]
    for uid in ids:
        present = [(lab, g) for lab, g in bodies if uid in flytio.unit_ids(g)]
        a = flytio.unit_settings(present[0][1], uid)
        ncol = len(present)
        queue = queue_used(present, uid)
        if queue:
            fig, axes = plt.subplots(2, ncol, figsize=(12, 5.2), squeeze=False, sharex=True,
                                     sharey="row", gridspec_kw={"height_ratios": [3, 1.3]})
        else:
            fig, axes = plt.subplots(1, ncol, figsize=(12, 3.9), squeeze=False, sharey="row")
        drawn = False
        for j, (lab, g) in enumerate(present):
            drawn |= occupancy_axes(axes[0, j], axes[1, j] if queue else None, f, g, uid,
                                    flytio.unit_settings(g, uid),
                                    title=lab if ncol > 1 else None)
        if not drawn:
            plt.close(fig)
            continue
        top_legend(fig, axes[0, 0], "%s (%s)" % (a["name"], a["kind"]))
        kind = "occupancy" if has_capacity(a) else "census"
        out.append(figure(kind, fig, occupancy_caption(f, a, uid, present, queue), unit=uid))
    return out


def series_figure(f, bodies):
    """The whole system's daily series: a row per series, a column per scenario."""
    g0 = bodies[0][1]
    names = [s for s in SERIES_ORDER if s in g0["series"]]
    names = [s for s in names if s != "coord_queue" or any(
        "roles" in g and len(g["roles"]) for _, g in bodies)]
    if not names:
        return None
    ncol = len(bodies)
    if ncol == 1:  # one scenario: the series in two columns
        nrow = (len(names) + 1) // 2
        fig, grid = plt.subplots(nrow, 2, figsize=(12, 2.6 * nrow + 0.4), squeeze=False)
        for ax in list(grid.flat)[len(names):]:
            ax.set_visible(False)
        axes = np.array(list(grid.flat)[:len(names)], dtype=object).reshape(len(names), 1)
    else:
        fig, axes = plt.subplots(len(names), ncol, figsize=(12, 2.3 * len(names) + 0.6),
                                 squeeze=False, sharex=True, sharey="row")
    for j, (lab, g) in enumerate(bodies):
        for i, s in enumerate(names):
            ax = axes[i, j]
            if s not in g["series"]:
                ax.set_visible(False)
                continue
            obj = g["series"][s]
            n = series_len(obj)
            if n == 0:
                continue
            d = day_dates(f, flytio.first_day(obj, f), n)
            m, lo, hi = band(obj)
            ax.fill_between(d, lo, hi, color="tab:green", alpha=0.25, lw=0)
            ax.plot(d, m, color="tab:green", lw=1.3)
            ax.set_ylabel(attr(obj, "units", ""), fontsize=8)
            ax.set_title(("%s: " % lab if ncol > 1 else "") + attr(obj, "description", s),
                         fontsize=9)
            ax.grid(alpha=0.3)
            date_axis(ax)
    fig.tight_layout()
    return fig


def run_sections(f, label=None):
    g = f
    parts = ["<h2 id=\"kpis\">Key figures</h2>",
             "<p class=\"note\">Over the measured window %s to %s; mean over %s replications "
             "with its 95 %% confidence interval.</p>" % (
                 date_of(f, float(attr(f, "warmup_days", 0))),
                 date_of(f, float(attr(f, "horizon_days", 0)) - 1),
                 count(attr(f, "replications", 0))),
             summary_table(g)]
    fig = ukp_distribution_figure(g)
    if fig is not None:
        parts.append("<h2 id=\"ukp\">UKP waits</h2>")
        parts.append(figure("ukp-distribution", fig,
                            "How long discharge-ready (UKP) patients wait in hospital: the "
                            "median, mean, 90th percentile and longest wait of each replication "
                            "(dots, from /replications) and their means with 95 % CIs "
                            "(/summary); no patient log needed."))
    fig = flytio.ukp_figure(f)
    if fig is not None:
        parts.append(figure("ukp-patients", fig, "Every UKP wait of the patient log "
                            "(--patients): histogram and survival curve."))
    parts += municipality_sections(f)
    bodies = [(label or str(attr(f, "scenario_name", "run")), g)]
    occ = occupancy_figures(f, bodies)
    if occ:
        parts.append("<h2 id=\"occupancy\">Occupancy against capacity</h2>")
        parts += occ
    fig = series_figure(f, bodies)
    if fig is not None:
        parts.append("<h2 id=\"series\">Whole system, day by day</h2>")
        parts.append(figure("series", fig, "Daily series after the warm-up: %s."
                            % band_text(f, reduced_layout(g))))
    roles = role_tables(g)
    if roles:
        parts.append("<h2 id=\"roles\">Coordinator roles</h2>")
        parts += roles
    units = unit_tables(g)
    if units:
        parts.append("<h2 id=\"units\">Units of the care network</h2>")
        parts += units
    return parts


# ---- region: municipalities (docs/region.md) ----

# the key figures of the per-municipality table; ukp_wait_mean also gets its CI
MUNI_KPIS = ["ukp_wait_mean", "ukp_patients", "ukp_days_per_year", "ukp_payment_per_year",
             "occ_ukp", "readmission_rate", "cost_municipality_per_year"]
MUNI_PANELS_MAX = 60  # panels of the small multiples; more municipalities: the largest


def muni_meta(m):
    """ids, names, KPI names, units and descriptions of /municipalities."""
    ids = flytio.strings(m["ids"]) if "ids" in m else []
    names = flytio.strings(m["names"]) if "names" in m else list(ids)
    kpi = [str(k) for k in attr(m, "kpi", [])]
    units = [str(k) for k in attr(m, "kpi_units", [""] * len(kpi))]
    desc = [str(k) for k in attr(m, "kpi_description", kpi)]
    return ids, names, kpi, units, desc


def muni_stats(m):
    """{statistic: [municipality x kpi] array} of /municipalities/summary, the
    statistics named by its attribute columns ({} when there is no summary)."""
    if "summary" not in m:
        return {}
    s = m["summary"]
    cols = str(attr(s, "columns", "mean,sd,ci95_low,ci95_high,n")).split(",")
    t = np.asarray(s[:], float)
    return {c.strip(): t[:, :, j] for j, c in enumerate(cols) if j < t.shape[2]}


def muni_mean(m, st, k):
    """Per municipality the mean of KPI index k: the summary's, or the mean
    over the replications of /municipalities/kpis."""
    if "mean" in st:
        return st["mean"][:, k]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(np.asarray(m["kpis"][:, :, k], float), axis=0)


def municipality_table(f, m):
    ids, names, kpi, units, desc = muni_meta(m)
    st = muni_stats(m)
    cols = [k for k in MUNI_KPIS if k in kpi]
    reg = {}
    if "summary" in f and "kpi" in f["summary"]:
        s = f["summary"]
        rk = flytio.strings(s["kpi"])
        for k in cols:
            if k in rk:
                i = rk.index(k)
                reg[k] = (s["mean"][i], s["ci95_low"][i], s["ci95_high"][i])
    headers = ["municipality", "id"]
    for k in cols:
        u = units[kpi.index(k)]
        headers.append("<code>%s</code><br>%s" % (esc(k), esc(u)))
        if k == "ukp_wait_mean":
            headers.append("95 % CI of <code>ukp_wait_mean</code>")
    numeric = [False, False] + [True] * (len(headers) - 2)
    means = {k: muni_mean(m, st, kpi.index(k)) for k in cols}
    rows = []
    for j, uid in enumerate(ids):
        r = [esc(names[j]), "<code>%s</code>" % esc(uid)]
        for k in cols:
            i = kpi.index(k)
            r.append(num(means[k][j]))
            if k == "ukp_wait_mean":
                r.append(ci(st["ci95_low"][j, i], st["ci95_high"][j, i])
                         if "ci95_low" in st and "ci95_high" in st else "-")
        rows.append(r)
    r = ["<b>region</b>", "<i>all</i>"]
    for k in cols:
        mean, lo, hi = reg.get(k, (np.nan, np.nan, np.nan))
        r.append("<b>%s</b>" % num(mean))
        if k == "ukp_wait_mean":
            r.append(ci(lo, hi))
    rows.append(r)
    legend = "; ".join("<code>%s</code>: %s (%s)" % (esc(k), esc(desc[kpi.index(k)]),
                                                      esc(units[kpi.index(k)])) for k in cols)
    return [table("municipalities", headers, rows, numeric),
            "<p class=\"note\">One row per municipality in the scenario's order: the mean over "
            "the replications (<code>/municipalities/summary</code> [municipality x KPI x "
            "statistic], statistics as its attribute <code>columns</code>; municipality "
            "<i>i</i> is <code>/municipalities/ids[i]</code> and <code>names[i]</code>, KPI "
            "<i>k</i> the attribute <code>/municipalities@kpi[k]</code>; each replication's "
            "values in <code>/municipalities/kpis</code> [replication x municipality x KPI]). "
            "The last row is the region's own key figures (<code>/summary</code>). %s.</p>"
            % legend]


def municipality_waits_figure(m):
    """Small multiples: a panel per municipality (at most MUNI_PANELS_MAX, the
    largest by UKP days a year), its ukp_wait_mean per replication (dots) and
    the mean with its 95 % CI, one y scale for all. (fig, note) or None."""
    ids, names, kpi, units, desc = muni_meta(m)
    if "ukp_wait_mean" not in kpi or not ids:
        return None
    k = kpi.index("ukp_wait_mean")
    st = muni_stats(m)
    reps = (np.asarray(m["kpis"][:, :, k], float) if "kpis" in m
            else np.full((0, len(ids)), np.nan))
    have_ci = all(c in st for c in ("mean", "ci95_low", "ci95_high"))
    order = list(range(len(ids)))
    note = ""
    if len(ids) > MUNI_PANELS_MAX:
        size = (muni_mean(m, st, kpi.index("ukp_days_per_year")) if "ukp_days_per_year" in kpi
                else np.zeros(len(ids)))
        size = np.where(np.isfinite(size), size, -np.inf)
        order = sorted(order, key=lambda j: -size[j])[:MUNI_PANELS_MAX]
        note = (" Only the %s municipalities with the most UKP bed-days a year "
                "(<code>ukp_days_per_year</code>) of the %s, largest first; the table above has "
                "them all." % (count(MUNI_PANELS_MAX), count(len(ids))))
    vals = [reps[:, order].ravel()]
    if have_ci:
        vals += [st[c][order, k] for c in ("mean", "ci95_low", "ci95_high")]
    allv = np.concatenate(vals)
    allv = allv[np.isfinite(allv)]
    if allv.size == 0:
        return None
    pos = allv[allv > 0]
    log = pos.size == allv.size and pos.size > 0 and pos.max() / pos.min() > 20
    ncol = 6 if len(order) > 12 else max(1, min(4, len(order)))
    nrow = (len(order) + ncol - 1) // ncol
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 1.75 * nrow + 0.7), squeeze=False,
                             sharex=True, sharey=True)
    nrep = reps.shape[0]
    x = np.arange(1, nrep + 1)
    for ax in axes.flat[len(order):]:
        ax.set_visible(False)
    for ax, j in zip(axes.flat, order):
        if have_ci and np.isfinite(st["mean"][j, k]):
            lo, hi = st["ci95_low"][j, k], st["ci95_high"][j, k]
            if np.isfinite(lo) and np.isfinite(hi):
                ax.axhspan(lo, hi, color="black", alpha=0.12, lw=0,
                           label="95 % CI of the mean")
            ax.axhline(st["mean"][j, k], color="black", lw=1.2, label="mean over replications")
        v = reps[:, j] if nrep else np.zeros(0)
        ok = np.isfinite(v)
        if np.any(ok):
            ax.plot(x[ok], v[ok], "o", color="tab:blue", ms=3.5, alpha=0.8,
                    label="one replication")
        elif not (have_ci and np.isfinite(st["mean"][j, k])):
            ax.text(0.5, 0.5, "no UKP wait", transform=ax.transAxes, ha="center",
                    va="center", fontsize=8, color="#777")
        name = names[j] if len(names[j]) <= 24 else names[j][:23] + "\u2026"
        ax.set_title(name, fontsize=8.5, pad=3)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
    if log:
        axes[0, 0].set_yscale("log")
        axes[0, 0].yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(
            lambda v, _: plain(v)))
        axes[0, 0].yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axes[0, 0].set_ylim(pos.min() / 1.3, pos.max() * 1.3)
    else:
        axes[0, 0].set_ylim(0, allv.max() * 1.08 if allv.max() > 0 else 1)
    if nrep:
        axes[0, 0].set_xlim(0.4, nrep + 0.6)
        axes[0, 0].xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, nbins=5))
    for ax in axes[:, 0]:
        ax.set_ylabel("days", fontsize=8)
    for ax in axes[-1, :]:
        ax.set_xlabel("replication", fontsize=8)
    top_legend(fig, axes.flat[0], "Mean UKP wait per municipality (ukp_wait_mean, days%s)"
               % (", log scale" if log else ""))
    return fig, log, have_ci, nrep > 0, note


def site_table(f, m):
    """UKP bed-days a year at each hospital site by home municipality (the
    mean over replications of /municipalities/site_ukp_days), nonzero only."""
    if "site_ukp_days" not in m:
        return []
    ids, names, _, _, _ = muni_meta(m)
    ds = m["site_ukp_days"]
    sites = [str(s) for s in attr(ds, "sites", [])]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(np.asarray(ds[:], float), axis=0)  # [municipality x site]
    uids = flytio.unit_ids(f)
    rows = []
    for s, sid in enumerate(sites):
        col = np.nan_to_num(mean[:, s])
        tot = col.sum()
        if tot <= 0:
            continue
        sname = flytio.unit_settings(f, sid)["name"] if sid in uids else sid
        for j in range(len(ids)):
            if col[j] > 0:
                rows.append(["%s <code>%s</code>" % (esc(sname), esc(sid)), esc(names[j]),
                             "<code>%s</code>" % esc(ids[j]), num(col[j]),
                             num(100 * col[j] / tot, 3)])
        rows.append(["<b>%s</b> <code>%s</code>" % (esc(sname), esc(sid)), "<b>all</b>", "",
                     "<b>%s</b>" % num(tot), "100"])
    unit = str(attr(ds, "units", "days/year"))
    cap = ("<p class=\"note\">UKP bed-days a year (%s) held at each hospital site by "
           "discharge-ready patients, by their home municipality: the mean over the "
           "replications of <code>/municipalities/site_ukp_days</code> [replication x "
           "municipality x site] (site <i>j</i> is its attribute <code>sites[j]</code>, a unit "
           "id of <code>/units</code>). Only pairs with bed-days are listed; each site ends with "
           "its total, and the share is of that total.</p>" % esc(unit))
    if not rows:
        return [cap.replace("</p>", " No site had any.</p>")]
    return [table("site-ukp-days", ["hospital site", "home municipality", "id",
                                    "UKP bed-days a year", "share of the site's (%)"],
                  rows, [False, False, False, True, True]), cap]


def municipality_sections(f):
    """The region's pages: only for a file with /municipalities."""
    if "municipalities" not in f:
        return []
    m = f["municipalities"]
    ids = muni_meta(m)[0]
    parts = ["<h2 id=\"municipalities\">Municipalities</h2>",
             "<p class=\"note\">A region of %s municipalities (docs/region.md): each key "
             "figure for each municipality's residents.</p>" % count(len(ids))]
    if "summary" not in m and "kpis" not in m:
        return parts + ["<p class=\"note\">The file keeps no per-municipality key figures "
                        "(neither <code>/municipalities/summary</code> nor "
                        "<code>/municipalities/kpis</code>).</p>"] + site_table(f, m)
    parts += municipality_table(f, m)
    got = municipality_waits_figure(m)
    if got is not None:
        fig, log, have_ci, have_reps, note = got
        what = []
        if have_reps:
            what.append("each replication's value (dots, <code>/municipalities/kpis</code>"
                        "[:, municipality, k])")
        if have_ci:
            what.append("the mean over replications (line) and its 95 % CI (band, "
                        "<code>/municipalities/summary</code>[municipality, k, :])")
        parts.append(figure(
            "municipality-waits", fig,
            "Mean UKP wait (<code>ukp_wait_mean</code>, days) of each municipality's "
            "discharge-ready residents: %s, with k the index of <code>ukp_wait_mean</code> in "
            "<code>/municipalities@kpi</code>. One panel per municipality, titled with its "
            "name, all on the same %sy scale.%s" % (" and ".join(what),
                                                    "log " if log else "", note)))
    site = site_table(f, m)
    if site:
        parts.append("<h2 id=\"sites\">UKP bed-days at each hospital site</h2>")
        parts += site
    return parts


# ---- compare ----

def scenario_bodies(f):
    out = []
    for name in sorted(f["scenarios"], key=lambda n: int(n.split("_", 1)[0])
                       if n.split("_", 1)[0].isdigit() else 0):
        g = f["scenarios"][name]
        out.append((str(attr(g, "scenario_name", name.split("_", 1)[-1])), g, name))
    return out


def difference_table(kind, s, caption=None, skip_empty=False):
    kpi = flytio.strings(s["kpi"])
    units = flytio.strings(s["units"])
    desc = flytio.strings(s["description"]) if "description" in s else [""] * len(kpi)
    bm, vm, m, lo, hi, half, vr, n = (s[c][:] for c in (
        "base_mean", "variant_mean", "mean", "ci_low", "ci_high", "unpaired_half",
        "variance_reduction", "n"))
    rows = []
    for i in range(len(kpi)):
        if skip_empty and n[i] == 0:
            continue  # does not apply to this unit's kind
        sig = np.isfinite(lo[i]) and (lo[i] > 0 or hi[i] < 0)
        label = kpi_label(kpi[i], desc[i])
        if sig:
            label = '<span class="sig">*</span> ' + label
        unp = ci(m[i] - half[i], m[i] + half[i]) if np.isfinite(half[i]) else "-"
        rows.append([label, esc(units[i]), num(bm[i]), num(vm[i]), num(m[i]), ci(lo[i], hi[i]),
                     unp, num(100 * vr[i], 3) if np.isfinite(vr[i]) else "-", count(n[i])])
    return table(kind, ["key figure", "units", "base", "variant", "difference", "paired 95 % CI",
                        "unpaired 95 % CI", "variance removed by pairing (%)", "pairs"],
                 rows, [False, False] + [True] * 7, caption)


def forest_figure(s, title):
    """Paired difference (thick) and the unpaired interval (thin) per KPI, in
    the KPI's own units: one panel per unit of measure."""
    kpi = flytio.strings(s["kpi"])
    units = flytio.strings(s["units"])
    m, lo, hi, half = (s[c][:] for c in ("mean", "ci_low", "ci_high", "unpaired_half"))
    ok = [i for i in range(len(kpi)) if np.isfinite(m[i]) and np.isfinite(lo[i])
          and not kpi[i].startswith("patients_")]
    if not ok:
        return None
    groups = []
    for u in units:
        if u not in groups and any(units[i] == u for i in ok):
            groups.append(u)
    sizes = [sum(units[i] == u for i in ok) for u in groups]
    fig, axes = plt.subplots(len(groups), 1, figsize=(11, 0.32 * sum(sizes) + 1.0 * len(groups)
                                                       + 0.8),
                             gridspec_kw={"height_ratios": [s + 1.2 for s in sizes]},
                             squeeze=False)
    for ax, u in zip(axes[:, 0], groups):
        idx = [i for i in ok if units[i] == u]
        y = np.arange(len(idx))[::-1]
        for yy, i in zip(y, idx):
            sig = lo[i] > 0 or hi[i] < 0
            colour = "tab:red" if sig else "grey"
            if np.isfinite(half[i]):
                ax.plot([m[i] - half[i], m[i] + half[i]], [yy, yy], color=colour, lw=1,
                        alpha=0.45)
            ax.plot([lo[i], hi[i]], [yy, yy], color=colour, lw=3.2, solid_capstyle="butt")
            ax.plot([m[i]], [yy], "o", color=colour, ms=4.5)
        ax.axvline(0, color="black", lw=0.8)
        # the paired intervals set the scale; a wider unpaired one runs off the edge
        ends = np.concatenate([lo[idx], hi[idx], [0.0]])
        span = np.max(ends) - np.min(ends)
        if span > 0:
            ax.set_xlim(np.min(ends) - 0.25 * span, np.max(ends) + 0.25 * span)
        ax.set_yticks(y)
        ax.set_yticklabels(["%s" % kpi[i] for i in idx], fontsize=8)
        ax.set_ylim(-0.8, len(idx) - 0.2)
        ax.set_xlabel("difference variant - base (%s)" % u, fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0, 0].set_title(title + "\nthick: paired 95 % CI, thin: unpaired 95 % CI (cut at the "
                         "panel's edge); red: paired CI excludes 0", fontsize=10)
    fig.tight_layout()
    return fig


def variant_name(f, name):
    """The scenario name of the variant of /differences/<name>."""
    v = attr(f["differences"][name], "variant")
    return str(attr(f[v], "scenario_name", name)) if v and v in f else name


def compare_sections(f):
    bodies = scenario_bodies(f)
    base = bodies[0][0] if bodies else "base"
    parts = ["<h2 id=\"scenarios\">Scenarios</h2>"]
    rows = [[esc(lab) + (" (base)" if i == 0 else ""), esc(attr(g, "scenario_description", "")),
             esc(attr(g, "scenario_source", "")),
             "<code>%s</code>" % esc(str(attr(g, "scenario_sha256", ""))[:16])]
            for i, (lab, g, _) in enumerate(bodies)]
    parts.append(table("scenarios", ["scenario", "description", "file", "SHA-256 (start)"], rows,
                       [False] * 4))
    parts.append("<p class=\"note\">Replication r of every scenario saw the same patients "
                 "(common random numbers), so differences are paired replication by "
                 "replication. <span class=\"sig\">*</span>: the paired 95 % CI excludes 0. The "
                 "unpaired CI is what independent runs of the same size would give.</p>")
    for name in sorted(f["differences"]) if "differences" in f else []:
        d = f["differences"][name]
        var = variant_name(f, name)
        parts.append("<h2 id=\"diff-%s\">%s minus %s</h2>" % (esc(name), esc(var), esc(base)))
        parts.append(difference_table("difference", d["summary"]))
        fig = forest_figure(d["summary"], "%s minus %s" % (var, base))
        if fig is not None:
            parts.append(figure("forest", fig, "Differences %s minus %s in each key figure's own "
                                "units, one panel per unit of measure." % (esc(var), esc(base)),
                                variant=name))
    occ = occupancy_figures(f, [(lab, g) for lab, g, _ in bodies])
    if occ:
        parts.append("<h2 id=\"occupancy\">Occupancy against capacity</h2>")
        parts += occ
    fig = series_figure(f, [(lab, g) for lab, g, _ in bodies])
    if fig is not None:
        parts.append("<h2 id=\"series\">Whole system, day by day</h2>")
        parts.append(figure("series", fig, "Daily series after the warm-up, one column per "
                            "scenario: %s." % band_text(f, False)))
    roles = []
    for lab, g, _ in bodies:
        roles += role_tables(g, lab)
    for name in sorted(f["differences"]) if "differences" in f else []:
        d = f["differences"][name]
        for role in sorted(d["roles"]) if "roles" in d else []:
            roles.append(difference_table("role-difference", d["roles"][role]["summary"],
                                          "Role %s: %s minus %s" % (esc(role), esc(
                                              variant_name(f, name)), esc(base))))
    if roles:
        parts.append("<h2 id=\"roles\">Coordinator roles</h2>")
        parts += roles
    udiff = []
    for name in sorted(f["differences"]) if "differences" in f else []:
        d = f["differences"][name]
        for uid in (flytio.unit_ids(bodies[0][1]) if bodies else []):
            if "units" in d and uid in d["units"]:
                uname = flytio.unit_settings(bodies[0][1], uid)["name"]
                udiff.append(difference_table(
                    "unit-difference", d["units"][uid]["summary"],
                    "%s <code>%s</code>: %s minus %s" % (esc(uname), esc(uid), esc(
                        variant_name(f, name)), esc(base)), skip_empty=True))
    if udiff:
        parts.append("<h2 id=\"units\">Units of the care network: differences</h2>")
        parts.append("<p class=\"note\">Key figures that do not apply to a unit's kind (no "
                     "pair with values) are left out.</p>")
        parts += udiff
    for lab, g, _ in bodies:
        parts.append("<details><summary>Key figures of %s</summary>%s</details>"
                     % (esc(lab), summary_table(g, "scenario-kpis")))
    return parts


# ---- sweep ----

def sweep_param_values(f):
    """[(key, values per point as float or None when not numeric)]."""
    out = []
    for k in flytio.strings(f["parameters"]["key"]):
        v = None
        if k in f["points"] and f["points"][k].dtype.kind in "fiu":
            v = f["points"][k][:].astype(float)
        out.append((k, v))
    return out


def sweep_param_figure(f, key, params, kpis):
    """Each shown KPI over the swept parameter `key`: mean and 95 % CI per
    point; points that share the other parameters' values joined by a line
    (grid), or coloured by the first other numeric parameter (sobol, lhs).
    Returns (figure, how the other parameters are shown)."""
    s = f["summary"]
    names = flytio.strings(s["kpi"])
    units = flytio.strings(s["units"])
    desc = flytio.strings(s["description"]) if "description" in s else names
    xv = dict(params)[key]
    others = [(k, v) for k, v in params if k != key]
    npt = len(xv)
    text = {k: flytio.strings(f["points"][k]) for k, v in others
            if v is None and k in f["points"]}
    label_of = []
    for p in range(npt):
        label_of.append(", ".join("%s = %s" % (k, plain(v[p]) if v is not None else
                                               text[k][p] if k in text else "?")
                                  for k, v in others))
    combos = sorted(set(label_of))
    grid = len(combos) < npt  # points repeat the other values: a line per combination
    shade = [(k, v) for k, v in others if v is not None][:1] if not grid else []
    how = ("a line per value of the other parameters" if grid and others else
           "colour: %s" % shade[0][0] if shade else "")
    ncol = 2
    nrow = (len(kpis) + 1) // 2
    fig, axes = plt.subplots(nrow, ncol, figsize=(12, 3.4 * nrow + 0.6), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, k in zip(axes.flat, kpis):
        j = names.index(k)
        m, lo, hi = s["mean"][:, j], s["ci95_low"][:, j], s["ci95_high"][:, j]
        if grid:
            # lines side by side, a little apart, so that equal intervals stay visible
            step = 0.012 * (np.nanmax(xv) - np.nanmin(xv))
            for c, combo in enumerate(combos):
                sel = np.array([label_of[p] == combo for p in range(npt)])
                o = np.argsort(xv[sel])
                xs, ms, los, his = xv[sel][o], m[sel][o], lo[sel][o], hi[sel][o]
                xs = xs + step * (c - (len(combos) - 1) / 2)
                ax.errorbar(xs, ms, yerr=[np.nan_to_num(np.maximum(ms - los, 0)),
                                          np.nan_to_num(np.maximum(his - ms, 0))],
                            marker="o", ms=4, capsize=3, lw=1.3, color=colours[c % len(colours)],
                            label=combo or None)
        else:
            ax.errorbar(xv, m, yerr=[np.nan_to_num(np.maximum(m - lo, 0)),
                                     np.nan_to_num(np.maximum(hi - m, 0))], fmt="none",
                        capsize=3, ecolor="grey", lw=1, label="95 % CI")
            if shade:
                sc = ax.scatter(xv, m, c=shade[0][1], cmap="viridis", s=26, zorder=3,
                                edgecolors="black", linewidths=0.4, label="mean")
                fig.colorbar(sc, ax=ax, pad=0.01).set_label(shade[0][0], fontsize=7)
            else:
                ax.scatter(xv, m, color="tab:blue", s=20, zorder=3, label="mean")
        ax.set_title(desc[j], fontsize=9)
        ax.set_ylabel("%s (%s)" % (k, units[j]), fontsize=8)
        ax.set_xlabel(key, fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kpis):]:
        ax.set_visible(False)
    top_legend(fig, axes[0, 0], "over %s" % key, ncol=3)
    return fig, how


def sweep_sections(f):
    parts = []
    params = sweep_param_values(f)
    p = f["parameters"]
    nan = np.full(len(params), np.nan)
    pmin = p["min"][:] if "min" in p else nan
    pmax = p["max"][:] if "max" in p else nan
    rows = []
    for j, (k, v) in enumerate(params):
        if v is not None:
            vals = ", ".join(plain(x) for x in np.unique(v)[:12]) + \
                (", ..." if len(np.unique(v)) > 12 else "")
        else:
            vals = esc(", ".join(sorted(set(flytio.strings(f["points"][k]))))[:200]) \
                if k in f["points"] else "-"
        rows.append(["<code>%s</code>" % esc(k), plain(pmin[j]), plain(pmax[j]), vals])
    parts.append("<h2 id=\"parameters\">Parameters (design: %s, %s points x %s replications)"
                 "</h2>" % (esc(attr(f, "design", "?")), count(attr(f, "n_points", 0)),
                            count(attr(f, "replications", 0))))
    parts.append(table("parameters", ["key", "min", "max", "values"], rows,
                       [False, True, True, False]))
    if "summary" not in f:
        parts.append("<p>This is a shard (no /summary): merge the shards with flyt merge for "
                     "the key figures.</p>")
        return parts
    s = f["summary"]
    names = flytio.strings(s["kpi"])
    units = flytio.strings(s["units"])
    desc = flytio.strings(s["description"]) if "description" in s else names
    shown = [k for k in SWEEP_KPIS if k in names]
    mean, lo, hi = s["mean"][:], s["ci95_low"][:], s["ci95_high"][:]
    heads = ["point"] + ["<code>%s</code>" % esc(k) for k, _ in params] + \
        ["%s <code>%s</code> (%s)" % (esc(desc[names.index(k)]), esc(k),
                                       esc(units[names.index(k)])) for k in shown]
    rows = []
    for pt in range(mean.shape[0]):
        row = [count(pt)]
        for k, v in params:
            row.append(plain(v[pt]) if v is not None else esc(flytio.strings(f["points"][k])[pt]))
        for k in shown:
            j = names.index(k)
            row.append("%s<br><span class=\"note\">%s</span>" % (num(mean[pt, j]),
                                                                 ci(lo[pt, j], hi[pt, j])))
        rows.append(row)
    parts.append("<h2 id=\"points\">Key figures at every point</h2>")
    parts.append("<p class=\"note\">Mean over the point's replications, below it the 95 % CI "
                 "of the mean. The same seed at every point (common random numbers).</p>")
    parts.append(table("points", heads, rows, [True] + [True] * len(params) + [True] *
                       len(shown)))
    figs = []
    for k, v in params:
        if v is None or len(np.unique(v)) < 2:
            continue
        fig, how = sweep_param_figure(f, k, params, shown)
        figs.append(figure("sweep-parameter", fig, "The key figures over <code>%s</code>: mean "
                           "and 95 %% CI at each point%s." % (esc(k), "; " + esc(how) if how
                                                              else ""), parameter=k))
    if figs:
        parts.append("<h2 id=\"over\">Key figures over each swept parameter</h2>")
        parts += figs
    rows = []
    for j, k in enumerate(names):
        lo_all, hi_all = np.nanmin(mean[:, j]) if np.any(np.isfinite(mean[:, j])) else np.nan, \
            np.nanmax(mean[:, j]) if np.any(np.isfinite(mean[:, j])) else np.nan
        rows.append([kpi_label(k, desc[j]), esc(units[j]), num(lo_all), num(hi_all)])
    parts.append("<h2 id=\"range\">Every key figure: range of the point means</h2>")
    parts.append(table("sweep-range", ["key figure", "units", "lowest point mean",
                                       "highest point mean"], rows, [False, False, True, True]))
    return parts


# ---- optimise ----

OPT_FEASIBLE = ("chosen", "not distinguishable", "eliminated")  # decisions of feasible ones


def opt_table(g):
    """Everything /optimise holds, read once: {name: value}; datasets a file
    without constraints lacks (constraint_kpi, bound, tolerance, upper) are
    empty arrays of the right shape."""
    dec = flytio.strings(g["decision"]) if "decision" in g else []
    k = len(dec)
    variables = list(attr(g, "variables", []) or [])
    constraints = list(attr(g, "constraints", []) or [])
    nl = len(constraints)

    def ds(name, shape, dtype=float, fill=np.nan):
        return g[name][:] if name in g else np.full(shape, fill, dtype=dtype)
    return {
        "decision": dec, "n": k, "variables": variables, "constraints": constraints,
        "values": ds("values", (k, len(variables))),
        "replications": ds("replications", (k,), int, 0),
        "rep_feasibility": ds("replications_feasibility", (k,), int, 0),
        "rep_selection": ds("replications_selection", (k,), int, 0),
        "constraint": ds("constraint", (k,), int, -1),
        "by": ds("by", (k,), int, -1),
        "objective": ds("objective", (k, 3)),
        "constraint_kpi": ds("constraint_kpi", (k, nl, 3)).reshape(k, nl, 3),
        "bound": ds("bound", (nl,)), "tolerance": ds("tolerance", (nl,)),
        "upper": ds("upper", (nl,), int, 1),
        "chosen": int(attr(g, "chosen", -1)),
        "objective_name": str(attr(g, "objective", "objective")),
    }


def opt_kpi(name):
    """A constraint's KPI name: the attribute `constraints` holds "kpi <= q"."""
    return re.split(r"\s*(<=|>=)\s*", name)[0].strip()


def opt_limit(t, l):
    return "%s %s %s (tolerance %s)" % (esc(opt_kpi(t["constraints"][l])),
                                       "&le;" if t["upper"][l] else "&ge;",
                                       plain(t["bound"][l]), plain(t["tolerance"][l]))


def opt_label(t, c):
    return ", ".join("%s = %s" % (esc(v), plain(t["values"][c, i]))
                     for i, v in enumerate(t["variables"]))


def opt_reason(t, c):
    """Why configuration c is where it is, as flyt optimise's table says it."""
    d, by, k = t["decision"][c], int(t["by"][c]), int(t["constraint"][c])
    lim = opt_limit(t, k) if 0 <= k < len(t["constraints"]) else ""
    if d == "chosen":
        return "chosen"
    if d == "not distinguishable":
        return "not distinguishable from #%d" % (by + 1)
    if d == "eliminated":
        return "eliminated by #%d" % (by + 1)
    if d == "infeasible":
        return "infeasible: violates %s" % lim
    if d == "undecided":
        return "feasibility undecided at the cap: %s" % lim
    return esc(d)


def opt_pareto(x, y, upper):
    """Indices of the non-dominated points: y minimised, x minimised for an
    upper bound (maximised for a lower one); NaNs left out."""
    sx = np.asarray(x, float) * (1 if upper else -1)
    y = np.asarray(y, float)
    ok = [i for i in range(len(y)) if np.isfinite(sx[i]) and np.isfinite(y[i])]
    out = []
    for i in ok:
        if not any(sx[j] <= sx[i] and y[j] <= y[i] and (sx[j] < sx[i] or y[j] < y[i])
                   for j in ok):
            out.append(i)
    return sorted(out, key=lambda i: x[i])


def opt_frontier_figure(t, l):
    """Objective against constraint l's KPI, a point per configuration with
    both 95 % CIs; feasible filled, infeasible open; the bound; the chosen
    one starred; the non-dominated ones joined. Returns (figure, pareto)."""
    x, xlo, xhi = (t["constraint_kpi"][:, l, j] for j in range(3))
    y, ylo, yhi = (t["objective"][:, j] for j in range(3))
    feas = np.array([d in OPT_FEASIBLE for d in t["decision"]], bool)
    fig, ax = plt.subplots(figsize=(10, 6))
    pareto = opt_pareto(x, y, t["upper"][l])
    if pareto:
        ax.plot(x[pareto], y[pareto], color="tab:green", lw=1.4, ls="-", marker="o", ms=13,
                mfc="none", mec="tab:green", mew=1.4, zorder=2,
                label="non-dominated (Pareto) configurations")
    for sel, colour, face, mk, lab in ((feas, "tab:blue", "tab:blue", "o", "feasible"),
                                       (~feas, "tab:red", "none", "s",
                                        "infeasible or undecided")):
        if not sel.any():
            continue
        ax.errorbar(x[sel], y[sel],
                    xerr=[np.nan_to_num(np.maximum(x[sel] - xlo[sel], 0)),
                          np.nan_to_num(np.maximum(xhi[sel] - x[sel], 0))],
                    yerr=[np.nan_to_num(np.maximum(y[sel] - ylo[sel], 0)),
                          np.nan_to_num(np.maximum(yhi[sel] - y[sel], 0))],
                    fmt=mk, ms=6, mfc=face, mec=colour, ecolor=colour, elinewidth=0.9,
                    capsize=2.5, zorder=3, label=lab)
    b, tol = t["bound"][l], t["tolerance"][l]
    if np.isfinite(b):
        ax.axvline(b, color="black", lw=1.2, ls="--", zorder=2,
                   label="bound %s %s" % ("<=" if t["upper"][l] else ">=", plain(b)))
        if np.isfinite(tol):
            ax.axvspan(b - tol, b + tol, color="grey", alpha=0.12, lw=0, zorder=0,
                       label="bound ± tolerance %s" % plain(tol))
    c = t["chosen"]
    if 0 <= c < t["n"]:
        ax.scatter([x[c]], [y[c]], marker="*", s=320, color="gold", edgecolors="black",
                   linewidths=0.8, zorder=4, label="chosen: #%d" % (c + 1))
    at = {}  # configurations on the same spot (equal means) share one label
    for i in range(t["n"]):
        if np.isfinite(x[i]) and np.isfinite(y[i]):
            at.setdefault((float(x[i]), float(y[i])), []).append(i)
    for (xi, yi), ii in at.items():
        ax.annotate(", ".join("#%d" % (i + 1) for i in ii), (xi, yi), xytext=(5, 5),
                    textcoords="offset points", fontsize=7, color="#444")
    ax.set_xlabel("%s: mean and 95 %% CI" % opt_kpi(t["constraints"][l]), fontsize=9)
    ax.set_ylabel("%s: mean and 95 %% CI" % t["objective_name"], fontsize=9)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: num(v)))
    ax.grid(alpha=0.3)
    top_legend(fig, ax, "%s against %s" % (t["objective_name"], opt_kpi(t["constraints"][l])),
               ncol=3)
    return fig, pareto


def optimise_sections(f):
    g = f["optimise"]
    t = opt_table(g)
    k, nl, c = t["n"], len(t["constraints"]), t["chosen"]
    obj = t["objective_name"]
    parts = []
    n_feas = sum(d in OPT_FEASIBLE for d in t["decision"])
    parts.append("<h2 id=\"choice\">The choice</h2>")
    parts.append("<p>%s configurations of %s, %s feasible, %s replications in all; "
                 "first stage %s replications, at most %s per configuration; &alpha; = %s, "
                 "indifference &delta; = %s in <code>%s</code>.%s</p>" % (
                     count(k), " x ".join("<code>%s</code>" % esc(v) for v in t["variables"]),
                     count(n_feas),
                     count(int(np.sum(t["replications"]))), count(attr(g, "first_stage", 0)),
                     count(attr(g, "max_replications", 0)), plain(attr(g, "alpha", np.nan)),
                     plain(attr(g, "objective_indifference", np.nan)), esc(obj),
                     " <b>Some decisions reached max_replications: no guarantee for them</b> "
                     "(attribute <code>capped</code>)." if int(attr(g, "capped", 0)) else ""))
    parts.append("<p class=\"note\">Procedure (<code>/optimise</code> attribute "
                 "<code>procedure</code>, docs/optimise.md): %s.</p>" % esc(attr(g, "procedure",
                                                                                 "?")))
    if 0 <= c < k:
        tied = [i for i in range(k) if t["decision"][i] == "not distinguishable"
                and int(t["by"][i]) == c]
        parts.append("<p>Chosen: <b>#%d</b> (%s), after %s replications. Not distinguishable "
                     "from it: %s.</p>" % (
                         c + 1, opt_label(t, c), count(t["replications"][c]),
                         ", ".join("#%d (%s)" % (i + 1, opt_label(t, i)) for i in tied)
                         if tied else "none"))
        rows = [[kpi_label(obj, "objective, minimised"), num(t["objective"][c, 0]),
                 ci(t["objective"][c, 1], t["objective"][c, 2]), "minimised"]]
        for l in range(nl):
            s = t["constraint_kpi"][c, l]
            rows.append([kpi_label(opt_kpi(t["constraints"][l]), "constraint %d" % (l + 1)),
                         num(s[0]), ci(s[1], s[2]), opt_limit(t, l)])
        for i in tied:
            rows.append([kpi_label(obj, "objective of #%d, not distinguishable" % (i + 1)),
                         num(t["objective"][i, 0]), ci(t["objective"][i, 1],
                                                       t["objective"][i, 2]), ""])
        parts.append(table("optimise-choice", ["key figure", "mean", "95 % CI of the mean",
                                               "limit"], rows, [False, True, True, False],
                           caption="Configuration #%d (<code>/optimise</code> attribute "
                           "<code>chosen</code> = %d, 0-based)" % (c + 1, c)))
    else:
        parts.append("<p><b>No configuration is feasible</b> (<code>/optimise</code> attribute "
                     "<code>chosen</code> = -1): the table below says why each was dropped.</p>")

    heads = ["#"] + ["<code>%s</code>" % esc(v) for v in t["variables"]] + \
        ["replications", "%s <code>%s</code>" % ("objective", esc(obj))] + \
        ["<code>%s</code><br><span class=\"note\">%s</span>" % (
            esc(opt_kpi(t["constraints"][l])), opt_limit(t, l)) for l in range(nl)] + \
        ["decision", "reason"]
    rows, attrs = [], []
    for i in range(k):
        row = [("<b>#%d &#9733;</b>" if i == c else "#%d") % (i + 1)]
        row += [plain(v) for v in t["values"][i]]
        row.append("%s<br><span class=\"note\">%s at feasibility, %s at selection</span>" % (
            count(t["replications"][i]), count(t["rep_feasibility"][i]),
            count(t["rep_selection"][i]) if t["rep_selection"][i] else "not"))
        o = t["objective"][i]
        row.append("%s<br><span class=\"note\">%s</span>" % (num(o[0]), ci(o[1], o[2])))
        for l in range(nl):
            s = t["constraint_kpi"][i, l]
            row.append("%s<br><span class=\"note\">%s</span>" % (num(s[0]), ci(s[1], s[2])))
        row += [esc(t["decision"][i]), opt_reason(t, i)]
        rows.append(row)
        attrs.append(' data-config="%d"%s' % (i + 1, ' class="chosen"' if i == c else ""))
    parts.append("<h2 id=\"configurations\">Every configuration</h2>")
    parts.append("<p class=\"note\">One row per configuration of the grid (the first variable "
                 "varying slowest), numbered as flyt optimise numbers them (row i of every "
                 "dataset of <code>/optimise</code> is #i+1); &#9733; and the shaded row mark "
                 "the chosen one. Values: <code>/optimise/values</code> (columns as the attribute "
                 "<code>variables</code>); replications: <code>/optimise/replications</code>, "
                 "<code>replications_feasibility</code> and <code>replications_selection</code>; "
                 "objective: <code>/optimise/objective</code> [configuration, (mean, CI low, CI "
                 "high)], below the mean its 95 % CI; each constraint's KPI: "
                 "<code>/optimise/constraint_kpi</code> [configuration, constraint, (mean, CI "
                 "low, CI high)], its limit from <code>bound</code>, <code>tolerance</code> and "
                 "<code>upper</code>; decision: <code>/optimise/decision</code>, the reason from "
                 "it with <code>by</code> (the configuration it lost to or tied with) and "
                 "<code>constraint</code> (the one violated). Every configuration runs with the "
                 "same seed (common random numbers).</p>")
    parts.append(table("optimise-configurations", heads, rows,
                       [True] * (1 + len(t["variables"]) + 2 + nl) + [False, False],
                       row_attrs=attrs))
    figs = []
    for l in range(nl):
        fig, pareto = opt_frontier_figure(t, l)
        kpi = opt_kpi(t["constraints"][l])
        figs.append(figure(
            "optimise-frontier", fig,
            "%s against %s: a point per configuration (its number beside it), the mean with "
            "its 95 %% CI as error bars both ways; x: <code>/optimise/constraint_kpi[:, %d, "
            "0]</code> (CI <code>[:, %d, 1]</code> to <code>[:, %d, 2]</code>), y: "
            "<code>/optimise/objective[:, 0]</code> (CI <code>[:, 1]</code> to <code>[:, "
            "2]</code>). Filled circles: feasible (<code>/optimise/decision</code> chosen, not "
            "distinguishable or eliminated); open squares: infeasible or undecided. Dashed line: "
            "the bound <code>/optimise/bound[%d]</code> = %s, the grey band &plusmn; "
            "<code>/optimise/tolerance[%d]</code> = %s, inside which the procedure may decide "
            "either way. Star: the chosen configuration (attribute <code>chosen</code>)%s. "
            "Green line: the configurations no other beats on both axes (lower %s and %s %s): "
            "%s." % (esc(obj), esc(kpi), l, l, l, l, plain(t["bound"][l]), l,
                     plain(t["tolerance"][l]),
                     ", #%d" % (c + 1) if 0 <= c < k else ": none",
                     esc(obj), "lower" if t["upper"][l] else "higher", esc(kpi),
                     ", ".join("#%d" % (i + 1) for i in pareto) or "none"),
            constraint=kpi))
    if figs:
        parts.append("<h2 id=\"frontier\">Cost against the constraint: the frontier</h2>")
        parts += figs
    else:
        parts.append("<p class=\"note\">No constraints: no frontier to draw.</p>")
    if "spec_text" in g.attrs:
        parts.append(pre_details("Spec file as given (%s)" % attr(g, "spec", "?"),
                                 attr(g, "spec_text")))
    return parts


# ---- forecast ----

def forecast_fan(ax, d, g, colour="#1f5f9f"):
    ax.fill_between(d, g["p05"][:], g["p95"][:], color=colour, alpha=0.18, lw=0,
                    label="90 % band")
    ax.fill_between(d, g["p25"][:], g["p75"][:], color=colour, alpha=0.38, lw=0,
                    label="50 % band")
    ax.plot(d, g["median"][:], color=colour, lw=1.8, label="median")


def forecast_dates(f):
    fc = f["forecast"]
    try:
        return np.array(flytio.strings(fc["date"]), dtype="datetime64[D]")
    except (KeyError, ValueError):
        return day_dates(f, 0, fc["day"].shape[0])


def forecast_sections(f):
    fc = f["forecast"]
    d = forecast_dates(f)
    reps = count(attr(f, "replications", 0))
    parts = []
    figs = [k for k in FORECAST_FIGURES if k in fc]
    if figs:
        fig, axes = plt.subplots((len(figs) + 1) // 2, 2, figsize=(12, 3.3 * ((len(figs) + 1)
                                                                              // 2) + 0.3),
                                 squeeze=False, sharex=True)
        for ax, k in zip(axes.flat, figs):
            forecast_fan(ax, d, fc[k])
            ax.set_title(attr(fc[k], "description", k), fontsize=9)
            ax.set_ylabel(attr(fc[k], "units", ""), fontsize=8)
            ax.grid(alpha=0.3)
            date_axis(ax)
            ax.xaxis.set_tick_params(labelbottom=True)
        for ax in list(axes.flat)[len(figs):]:
            ax.set_visible(False)
        top_legend(fig, axes[0, 0])
        parts.append("<h2 id=\"fan\">Forecast of the whole system</h2>")
        parts.append(figure("fan", fig, "From the census of %s: median and the bands holding 50 "
                            "%% and 90 %% of %s replications, per day at 00:00."
                            % (esc(attr(f, "census_date", "")), reps)))
    ids = flytio.strings(fc["units/ids"]) if "units" in fc and "ids" in fc["units"] else []
    ufigs = []
    for uid in ids:
        g = fc["units"][uid]
        name, kind = attr(g, "name", uid), attr(g, "kind", "")
        # a queue nobody is in at the 95 % quantile on any day is left out
        panels = [k for k in ("census", "hours", "queue") if k in g and (
            k != "queue" or np.any(np.nan_to_num(g[k]["p95"][:]) > 0))]
        fig, axes = plt.subplots(1, len(panels) + 1, figsize=(12, 3.4), squeeze=False)
        for ax, k in zip(axes[0], panels):
            forecast_fan(ax, d, g[k])
            capacity_here = (k == "census" and kind == "beds") or (k == "hours" and
                                                                  kind == "caseload")
            if capacity_here and "capacity" in g and np.any(np.isfinite(g["capacity"][:])):
                ax.plot(d, g["capacity"][:], color="#b22222", lw=1.2, ls="--",
                        drawstyle="steps-post", label="capacity open")
            ax.set_title({"census": "occupied places", "hours": "hours per week in use",
                          "queue": "waiting for a place"}[k], fontsize=9)
            ax.set_ylabel(attr(g[k], "units", ""), fontsize=8)
            ax.grid(alpha=0.3)
            date_axis(ax, 6)
        ax = axes[0, -1]
        if "p_full" in g:
            ax.plot(d, 100 * g["p_full"][:], color="black", lw=1.5)
        ax.set_ylim(-3, 103)
        ax.set_title("chance the unit is full at 00:00", fontsize=9)
        ax.set_ylabel("%", fontsize=8)
        ax.grid(alpha=0.3)
        date_axis(ax, 6)
        top_legend(fig, axes[0, 0], "%s (%s)" % (name, kind), ncol=5)
        ufigs.append(figure("fan-unit", fig, "%s <code>%s</code>: median, 50 %% and 90 %% bands "
                            "over %s replications; capacity from its schedule; the share of "
                            "replications in which the unit is full%s." % (
                                esc(name), esc(uid), reps, "" if "queue" in panels else
                                "; nobody waits for a place in it (95 % quantile 0 every "
                                "day)"), unit=uid))
    if ufigs:
        parts.append("<h2 id=\"units\">Forecast per unit</h2>")
        parts += ufigs
    days = fc["day"][:]
    check = float(attr(f, "check_day", days[-1]))
    pick = sorted(set([0, int(np.argmin(np.abs(days - check))), len(days) - 1]))
    rows = []
    series = [(attr(fc[k], "description", k), attr(fc[k], "units", ""), fc[k], k) for k in figs]
    for uid in ids:
        g = fc["units"][uid]
        for k in ("census", "hours", "queue"):
            if k in g:
                series.append(("%s: %s" % (attr(g, "name", uid), attr(g[k], "description", k)),
                               attr(g[k], "units", ""), g[k], "%s.%s" % (uid, k)))
    for desc, unit, g, k in series:
        rows.append([kpi_label(k, desc), esc(unit)] +
                    ["%s<br><span class=\"note\">%s</span>" % (num(g["median"][i]),
                                                               ci(g["p05"][i], g["p95"][i]))
                     for i in pick])
    parts.append("<h2 id=\"days\">On the census date, the check day and the last day</h2>")
    parts.append("<p class=\"note\">Median over the replications, below it the 90 % band "
                 "(5 % to 95 %).</p>")
    parts.append(table("forecast-days", ["figure", "units"] +
                       ["%s (day %s)" % (str(d[i]), count(days[i])) for i in pick], rows,
                       [False, False] + [True] * len(pick)))
    if "ukp_still_waiting" in f:
        u = f["ukp_still_waiting"]
        row, prob = u["row"][:], u["probability"][:]
        c = f["census"] if "census" in f else None
        crow = list(c["row"][:]) if c is not None else []
        cols = [("location", "place on the census date"), ("destination", "waiting for"),
                ("cfs", "CFS"), ("age_band", "age band"), ("complex", "complex needs"),
                ("queued_days", "days queued"), ("elapsed_days", "days in the place")]
        cols = [(k, h) for k, h in cols if c is not None and k in c]
        cache = {k: (flytio.strings(c[k]) if c[k].dtype.kind == "O" else c[k][:])
                 for k, _ in cols}
        rows = []
        for i in range(min(len(row), UKP_LIST_MAX)):
            r = [count(row[i]), num(100 * prob[i], 3)]
            j = crow.index(row[i]) if row[i] in crow else None
            for k, _ in cols:
                v = cache[k][j] if j is not None else None
                if k == "cfs":
                    r.append("drawn" if v is None or v < 0 else count(v))
                elif k == "complex":
                    r.append({1: "yes", 0: "no"}.get(int(v), "drawn") if v is not None else "-")
                elif isinstance(v, str):
                    r.append(esc(v) if v else "-")
                else:
                    r.append(plain(v) if v is not None else "-")
            rows.append(r)
        parts.append("<h2 id=\"ukp-list\">Patients most likely to still wait on day %s (%s)</h2>"
                     % (plain(check), date_of(f, check)))
        parts.append("<p class=\"note\">Of the %s patients waiting as UKP on the census date, the "
                     "%s most likely to still wait in the same hospital episode at 00:00 of the "
                     "check day (share of replications). Rows are lines of the census file; "
                     "the file keeps no identifying column.</p>"
                     % (count(len(row)), count(min(len(row), UKP_LIST_MAX))))
        parts.append(table("ukp-list", ["census row", "chance still waiting (%)"] +
                           [h for _, h in cols], rows, [True, True] + [False] * len(cols)))
    if "census" in f and "location" in f["census"]:
        loc = flytio.strings(f["census"]["location"])
        places, n = np.unique(loc, return_counts=True)
        rows = [[esc(p), count(k)] for p, k in sorted(zip(places, n), key=lambda t: -t[1])]
        parts.append("<h2 id=\"census\">The census by place</h2>")
        parts.append(table("census", ["place on the census date", "patients"], rows,
                           [False, True]))
    return parts


# ---- provenance (STRESS-DES) ----

def pre_details(title, text):
    text = str(text)
    return ("<details><summary>%s (%s lines)</summary><pre>%s</pre></details>"
            % (esc(title), count(text.count("\n") + 1), esc(text)))


def sweep_setting(f, key):
    """A run setting from the sweep's `set` list or the base scenario's text
    (a sweep file keeps no horizon or warm-up attribute)."""
    m = re.search(r"run\.%s\s*=\s*([0-9.]+)" % key, str(attr(f, "sweep_text", "")))
    if m:
        return m.group(1) + " days (from the sweep's set)"
    m = re.search(r"^\s*%s\s*=\s*([^;#\n]+)" % key, str(attr(f, "base_text", "")), re.M)
    if m:
        return m.group(1).strip() + " days (from the base scenario)"
    return None


def provenance(f):
    kind = flytio.kind(f)
    used = set()

    def a(name, fmt=None):
        if name not in f.attrs:
            return None
        used.add(name)
        v = attr(f, name)
        if fmt == "num":
            return plain(v)
        if fmt == "count":
            return count(v)
        return esc(v)

    def join(*items):
        return "; ".join(x for x in items if x)

    rows = []

    def item(no, what, value):
        if value:
            rows.append([no, what, value])

    item("1.1", "Purpose / scenario description",
         a("scenario_description") if kind != "sweep" else
         join(a("sweep_description"), a("scenario_description")))
    g = f["optimise"] if kind == "optimise" and "optimise" in f else None
    if g is not None:  # what an optimise file keeps is in its group /optimise
        item("1.1", "Purpose", "the cheapest configuration of %s by <code>%s</code> subject to "
             "%s" % (", ".join("<code>%s</code>" % esc(v) for v in attr(g, "variables", [])),
                     esc(attr(g, "objective", "?")), "; ".join(
                         "<code>%s</code>" % esc(c) for c in attr(g, "constraints", []))
                     or "no constraints"))
        item("3.1", "Optimisation spec (inputs)", join(
            "file %s" % esc(attr(g, "spec", "?")),
            "scenario <b>%s</b>" % esc(attr(g, "scenario", "?")),
            "the spec's text below (<code>/optimise</code> attribute <code>spec_text</code>); "
            "the file keeps no text or SHA-256 of the scenario"))
        item("4.3", "Estimation approach", join(
            "first stage %s replications per configuration, at most %s" % (
                count(attr(g, "first_stage", 0)), count(attr(g, "max_replications", 0))),
            esc(attr(g, "procedure", "")),
            "alpha %s, indifference %s, feasibility beta %s, h&sup2; %s (feasibility), "
            "%s (selection)" % (plain(attr(g, "alpha", np.nan)),
                                plain(attr(g, "objective_indifference", np.nan)),
                                num(attr(g, "feasibility_beta", np.nan)),
                                num(attr(g, "feasibility_h2", np.nan)),
                                num(attr(g, "selection_h2", np.nan))),
            "95 % CI of the mean over each configuration's replications"))
        item("5.2", "Random sampling", join(
            "seed %s, the same for every configuration (common random numbers)"
            % esc(attr(g, "seed", "?")), a("rng_scheme")))
    item("2.1", "Model", "flyt, a discrete-event simulation of patient flow from hospital to "
         "municipal care (README.md, docs/architecture.md)")
    item("3.1", "Scenario (inputs)", join(
        "<b>%s</b>" % a("scenario_name") if "scenario_name" in f.attrs else None,
        "file %s" % a("scenario_source") if "scenario_source" in f.attrs else None,
        "SHA-256 <code>%s</code>" % a("scenario_sha256") if "scenario_sha256" in f.attrs
        else None,
        "after @include and --set: SHA-256 <code>%s</code>" % a("scenario_resolved_sha256")
        if "scenario_resolved_sha256" in f.attrs else None))
    if kind == "sweep" or kind == "sweep-shard":
        item("3.1", "Sweep (inputs)", join(
            "<b>%s</b>" % a("sweep_name"), "file %s" % a("sweep_source"),
            "design %s" % a("design"), "hash <code>%s</code>" % a("sweep_hash"),
            "base scenario %s" % a("base_source")))
        item("4.3", "Points and tasks", join("%s points" % a("n_points", "count"),
                                             "%s tasks" % a("n_tasks", "count"),
                                             "shard %s of %s" % (a("shard_index"),
                                                                 a("shard_count"))))
    if kind == "forecast":
        item("3.1", "Census (inputs)", join(
            "census date %s" % a("census_date"), "%s patients" % a("census_patients", "count"),
            "only row numbers and the attributes the model uses are kept"))
    if kind == "compare":
        item("3.4", "Scenarios compared", join(
            "%s scenarios" % a("n_scenarios", "count"), "base %s" % a("base"),
            "; ".join("%s (SHA-256 <code>%s</code>)" % (esc(lab), esc(str(attr(
                g, "scenario_sha256", ""))[:16])) for lab, g, _ in scenario_bodies(f))))
    warm = a("warmup_days", "num")
    if kind == "forecast":
        item("4.1", "Initialisation", "starts from the census of %s (no warm-up: the patients "
             "of the census are placed at day 0 with their elapsed times)" % a("census_date"))
        a("warmup_days")
    elif warm is not None:
        auto = ""
        if "warmup_auto" in f.attrs and int(attr(f, "warmup_auto")):
            used.update(["warmup_auto", "warmup_pilot_days", "warmup_mser_series",
                         "warmup_mser_days"])
            auto = " chosen by MSER-5 from a pilot of %s days" % plain(attr(f, "warmup_pilot_days"))
            ser, days = attr(f, "warmup_mser_series", []), attr(f, "warmup_mser_days", [])
            if len(ser) and len(ser) == len(days):
                i = int(np.nanargmax(np.asarray(days, float)))
                auto += " (the largest truncation of %s daily series, on %s)" % (
                    count(len(ser)), esc(ser[i]))
        item("4.1", "Initialisation (warm-up)", "%s days%s, left out of every figure (starts "
             "empty but for the patients placed at day 0)" % (warm, auto))
    elif kind in ("sweep", "sweep-shard"):
        item("4.1", "Initialisation (warm-up)", esc(sweep_setting(f, "warmup_days") or
                                                    "not stored in a sweep file"))
    hz = a("horizon_days", "num")
    if hz is not None:
        measured = ""
        if kind != "forecast":
            measured = "; measured %s to %s" % (date_of(f, float(attr(f, "warmup_days", 0))),
                                                date_of(f, float(attr(f, "horizon_days")) - 1))
        item("4.2", "Run length", "%s days from %s%s%s" % (
            hz, a("start_date"), measured,
            "; %s days ahead, check day %s" % (a("days_ahead", "num"), a("check_day", "num"))
            if kind == "forecast" else ""))
    elif kind in ("sweep", "sweep-shard"):
        item("4.2", "Run length", esc(sweep_setting(f, "horizon_days") or
                                      "not stored in a sweep file"))
    if g is None:
        item("4.3", "Estimation approach", join(
            "%s replications%s" % (a("replications", "count"), " per point" if kind.startswith(
                "sweep") else " per scenario" if kind == "compare" else ""),
            "95 % CI of the mean: Student t, on the log or logit scale where the KPI's range asks "
            "(docs/kpis.md)" if kind != "forecast" else
            "quantiles over the replications (5, 25, 50, 75, 95 %)",
            "differences paired by replication (common random numbers)" if kind == "compare"
            else None))
    item("5.1", "Software", join(
        "flyt %s" % a("flyt_version"), "commit <code>%s</code>" % a("git_commit"),
        "HDF5 %s" % a("hdf5_version"), "GSL %s" % a("gsl_version"),
        "libconfig %s" % a("libconfig_version"),
        "this page: Python %s, NumPy %s, Matplotlib %s, h5py %s" % (
            platform.python_version(), np.__version__, matplotlib.__version__,
            h5py.__version__)))
    if g is None:
        item("5.2", "Random sampling", join("seed %s" % a("seed"), a("rng_scheme")))
    item("5.3", "Model execution", join(
        "command <code>%s</code>" % a("command_line"), "threads: %s (no effect on results)"
        % a("threads", "count") if "threads" in f.attrs else None,
        "%s s wall-clock" % num(a("wall_seconds") and attr(f, "wall_seconds"), 3) if "wall_seconds" in f.attrs else None,
        "written %s" % a("created_utc")))
    item("5.4", "System", "host %s" % a("host") if "host" in f.attrs else None)
    item("6.1", "Code access", "flyt %s, commit %s: the same command with the same %s gives "
         "the same numbers, for any thread count" % (
             esc(attr(f, "flyt_version", "?")), esc(attr(f, "git_commit", "?")),
             "sweep and base scenario files (texts below)" if kind.startswith("sweep") else
             "census file and scenario (SHA-256 above)" if kind == "forecast" else
             "spec (text below) and scenario files" if kind == "optimise" else
             "scenario files (SHA-256 above)"))
    used.update(["format", "format_version", "kind", "scenario_text", "scenario_resolved",
                 "sweep_text", "base_text", "start_date", "days_ahead", "check_day"])
    parts = ["<h2 id=\"provenance\">Provenance (STRESS-DES)</h2>",
             "<p class=\"note\">Laid out as the STRESS-DES reporting checklist (Monks et al. "
             "2018, <i>Strengthening the reporting of empirical simulation studies</i>), item "
             "numbers in the first column; every value is read from the file's root "
             "attributes%s (docs/hdf5-layout.md).</p>" % (
                 " and those of <code>/optimise</code>" if g is not None else ""),
             table("provenance", ["STRESS-DES", "item", "value"],
                   sorted(rows, key=lambda r: [int(x) for x in r[0].split(".")]), [False] * 3)]
    other = [[esc(k), esc(str(attr(f, k))[:300])] for k in sorted(f.attrs) if k not in used]
    if other:
        parts.append("<details><summary>Other root attributes</summary>%s</details>"
                     % table("attributes", ["attribute", "value"], other, [False, False]))
    for name, title in (("scenario_text", "Scenario file as given"),
                        ("scenario_resolved", "Scenario after @include and --set"),
                        ("sweep_text", "Sweep file"), ("base_text", "Base scenario file")):
        if name in f.attrs:
            parts.append(pre_details(title, attr(f, name)))
    return parts


# ---- the page ----

# ---- flyt fit ----

FIT_COLOURS = {"exponential": "#999999", "gamma": "#1f77b4", "lognormal": "#d62728",
               "weibull": "#2ca02c"}


def fit_sections(f):
    g = f["fit"]
    parts = []
    parts.append("<h2 id=\"records\">The records</h2>")
    parts.append("<p>%s stays and %s discharge-ready periods of %s patients, from %s to %s "
                 "(%s stays began before the window: history only). Records: %s.</p>" % (
                     count(attr(g, "stays", 0)), count(attr(g, "ready_periods", 0)),
                     count(attr(g, "patients", 0)), esc(attr(g, "from_date", "?")),
                     esc(attr(g, "until_date", "?")), count(attr(g, "stays_before_window", 0)),
                     ", ".join("<code>%s</code>" % esc(r) for r in attr(g, "records", []))))
    notes = [n for n in attr(g, "notes", []) if n]
    if notes:
        parts.append("<ul class=\"note\">%s</ul>" % "".join("<li>%s</li>" % esc(n)
                                                              for n in notes))
    if "arrivals" in g:
        a = g["arrivals"]
        cnt, fit = a["count"][:], a["fitted"][:]
        d0 = np.datetime64(attr(g, "from_date", "1970-01-01"), "D")
        days = d0 + np.arange(len(cnt)).astype("timedelta64[D]")
        fig, ax = plt.subplots(figsize=(12, 3.2))
        ax.plot(days, cnt, color="#bbbbbb", lw=0.8, label="admissions from the community")
        ax.plot(days, fit, color="#1f5f9f", lw=1.5, label="fitted rate")
        ax.set_ylabel("patients/day", fontsize=8)
        ax.grid(alpha=0.3)
        date_axis(ax)
        top_legend(fig, ax)
        b = a["admissions_per_day"][:]
        gr = a["growth_per_year"][:]
        parts.append("<h2 id=\"arrivals\">Arrivals</h2>")
        parts.append(figure("fit-arrivals", fig,
                            "Daily admissions from the community and the Poisson regression's "
                            "rate: %s a day at the start %s, growth %s a year %s, dispersion "
                            "%s." % (num(b[0]), ci(b[1], b[2]), num(gr[0]), ci(gr[1], gr[2]),
                                     num(attr(a, "dispersion", np.nan)))))
    if "distributions" in g:
        d = g["distributions"]
        keys, groups = flytio.strings(d["key"]), flytio.strings(d["group"])
        chosen = flytio.strings(d["chosen"])
        st, counts = d["stats"][:], d["counts"][:]
        fams = list(attr(d["stats"], "families", []))
        rows = []
        for i in range(len(keys)):
            k = fams.index(chosen[i]) if chosen[i] in fams else -1
            row = [esc(keys[i]), esc(groups[i]), count(counts[i, 0]),
                   count(counts[i, 0] - counts[i, 1]), esc(chosen[i])]
            if k >= 0:
                x = st[i, k]
                row += [num(x[2]), ci(x[3], x[4]), num(x[5]), ci(x[6], x[7]), plain(x[9])]
            else:
                row += ["-"] * 5
            rows.append(row)
        parts.append("<h2 id=\"durations\">Durations</h2>")
        parts.append(table("fit-durations", ["key", "groups", "n", "still running", "written",
                                             "mean (days)", "95 % CI", "sd", "95 % CI",
                                             "fit p"],
                           rows, [False, False, True, True, False, True, True, True, True,
                                  True]))
        for i in range(len(keys)):
            sv = d["survival"][str(i)]
            if "t" not in sv:
                continue
            t = sv["t"][:]
            fig, ax = plt.subplots(figsize=(6, 3.2))
            ax.step(t, sv["km"][:], where="post", color="black", lw=1.4, label="Kaplan-Meier")
            ax.fill_between(t, sv["km_lo"][:], sv["km_hi"][:], step="post", color="black",
                            alpha=0.12, label="95 % interval")
            fitted = sv["fitted"][:]
            for k, fam in enumerate(attr(sv, "families", [])):
                if np.any(np.isfinite(fitted[:, k])):
                    ax.plot(t, fitted[:, k], color=FIT_COLOURS.get(fam, "#777777"), lw=1.1,
                            ls="-" if fam == chosen[i] else ":", label=fam)
            ax.set_xscale("symlog", linthresh=1.0)
            ax.set_xlabel("days", fontsize=8)
            ax.set_ylabel("still in the stay", fontsize=8)
            ax.grid(alpha=0.3)
            top_legend(fig, ax, "%s (%s)" % (keys[i], groups[i]), ncol=3)
            parts.append(figure("fit-survival", fig,
                                "<code>%s</code>, %s: the Kaplan-Meier estimate and each "
                                "family's fitted survival; the one written to the scenario "
                                "solid (%s)." % (esc(keys[i]), esc(groups[i]), esc(chosen[i])),
                                key=keys[i]))
    for name, title, cols in (("shares", "Shares", ["count", "of", "share", "95 % CI"]),
                              ("hazards", "Hazards", ["events", "person-years", "rate a year",
                                                      "95 % CI"])):
        if name not in g:
            continue
        h = g[name]
        v = h["values"][:]
        rows = [[esc(k), esc(gr), esc(c), count(v[i, 0]),
                 count(v[i, 1]) if name == "shares" else num(v[i, 1]), num(v[i, 2]),
                 ci(v[i, 3], v[i, 4])]
                for i, (k, gr, c) in enumerate(zip(flytio.strings(h["key"]),
                                                   flytio.strings(h["group"]),
                                                   flytio.strings(h["category"])))
                if v[i, 0] > 0]
        parts.append("<h2 id=\"%s\">%s</h2>" % (name, title))
        parts.append(table("fit-" + name, ["key", "groups", "category"] + cols, rows,
                           [False, False, False, True, True, True, True]))
    parts.append(pre_details("The fitted scenario", attr(g, "fitted_text", "")))
    return parts



def title_of(f, kind):
    if kind in ("sweep", "sweep-shard"):
        return str(attr(f, "sweep_name", "") or "sweep"), "sweep"
    if kind == "compare" and "scenarios" in f:
        names = [lab for lab, _, _ in scenario_bodies(f)]
        return " vs ".join(names) if names else str(attr(f, "scenario_name", "compare")), \
            "comparison"
    if kind == "optimise" and "optimise" in f:
        return "%s: the cheapest configuration" % attr(f["optimise"], "scenario", "?"), \
            "optimisation"
    if kind == "fit":
        return "Fit of records", "fit"
    if kind == "forecast":
        return str(attr(f, "scenario_name", "forecast")), \
            "forecast from the census of %s" % attr(f, "census_date", "?")
    return str(attr(f, "scenario_name", "") or "run"), "simulation run"


def build(f, path):
    kind = flytio.kind(f)
    title, what = title_of(f, kind)
    desc = attr(f, "sweep_description" if kind.startswith("sweep") else "scenario_description",
                "")
    if kind == "optimise" and "optimise" in f:
        g = f["optimise"]
        reps = "%s configurations, %s replications in all" % (
            count(g["decision"].shape[0] if "decision" in g else 0),
            count(np.sum(g["replications"][:]) if "replications" in g else 0))
        cons = attr(g, "constraints", [])
        desc = "Spec <code>%s</code>: minimise <code>%s</code>%s." % (
            esc(attr(g, "spec", "?")), esc(attr(g, "objective", "?")),
            " subject to " + "; ".join("<code>%s</code>" % esc(x) for x in cons)
            if len(cons) else "")
    else:
        reps = "%s replications%s" % (count(attr(f, "replications", 0)),
                                      " per point" if kind.startswith("sweep") else "")
        desc = esc(desc) if desc else ""
    body = ["<h1>%s</h1>" % esc(title),
            "<p class=\"sub\">flyt %s, %s. File <code>%s</code>, written %s.</p>"
            % (esc(what), reps, esc(os.path.basename(path)), esc(attr(f, "created_utc", "?")))]
    if desc:
        body.append("<p>%s</p>" % desc)
    if kind == "run":
        body += run_sections(f)
    elif kind == "compare" and "scenarios" in f:
        body += compare_sections(f)
    elif kind in ("sweep", "sweep-shard") and "parameters" in f:
        body += sweep_sections(f)
    elif kind == "forecast" and "forecast" in f:
        body += forecast_sections(f)
    elif kind == "optimise" and "optimise" in f:
        body += optimise_sections(f)
    elif kind == "fit" and "fit" in f:
        body += fit_sections(f)
    else:
        body.append("<p>No tables or plots for a file of kind '%s'; see "
                    "docs/hdf5-layout.md.</p>" % esc(kind))
    body += provenance(f)
    nav = " | ".join('<a href="#%s">%s</a>' % (i, esc(t)) for i, t in re.findall(
        r'<h2 id="([^"]+)">([^<]+)', "\n".join(body)))
    body.insert(2, "<nav>%s</nav>" % nav)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>%s - flyt %s</title><style>%s</style></head><body>\n%s\n</body></html>\n"
            % (esc(title), esc(what), CSS, "\n".join(body)))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0], epilog=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", help="any flyt output file (.h5)")
    ap.add_argument("-o", "--output", default="report.html", help="HTML page to write")
    args = ap.parse_args(argv)
    f = flytio.open_flyt(args.file, "report.py")
    page = build(f, args.file)
    with open(args.output, "w", encoding="utf-8") as out:
        out.write(page)
    print("report.py: wrote %s" % args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
