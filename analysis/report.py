#!/usr/bin/python3
"""One self-contained HTML page for any flyt file: provenance, tables and plots.

    report.py FILE.h5 -o report.html

The page embeds every image as a base64 PNG (no other files, opens offline):
the file's provenance, its summary tables (run: key figures with 95 % CIs and
coordinator roles; compare: paired differences per variant; sweep: the key
figures per point), and every plot that applies: occupancy fan charts (run and
compare), UKP waiting days (runs with --patients), forest plots (compare) and
KPIs over the swept parameters (sweep). Needs Debian's python3-h5py,
python3-numpy and python3-matplotlib.
"""
import argparse
import base64
import html
import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flytio  # noqa: E402

PROVENANCE = ["kind", "scenario_name", "sweep_name", "scenario_source", "scenario_sha256",
              "replications", "seed", "horizon_days", "warmup_days", "start_date", "n_points",
              "flyt_version", "git_commit", "created_utc", "host", "command_line",
              "gsl_version", "hdf5_version", "libconfig_version"]
SWEEP_KPIS = ["ukp_wait_mean", "ukp_days_per_year", "occ_ukp", "share_direct_home"]

CSS = """body{font-family:sans-serif;max-width:1200px;margin:2em auto;color:#222}
table{border-collapse:collapse;margin:1em 0;font-size:13px}
td,th{border:1px solid #ccc;padding:2px 8px}td.n{text-align:right;font-family:monospace}
th{background:#eee}img{max-width:100%;border:1px solid #ddd;margin:1em 0}
.sig{color:#b00;font-weight:bold}"""


def num(x):
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "-"
    x = float(x)
    return "%.0f" % x if 1000 <= abs(x) < 1e15 else "%.4g" % x


def table(headers, rows, numeric):
    out = ["<table><tr>" + "".join("<th>%s</th>" % html.escape(h) for h in headers) + "</tr>"]
    for row in rows:
        cells = []
        for j, v in enumerate(row):
            if numeric[j]:
                cells.append('<td class="n">%s</td>' % num(v))
            else:
                cells.append("<td>%s</td>" % v)
        out.append("<tr>" + "".join(cells) + "</tr>")
    return "\n".join(out) + "</table>"


def img(fig, alt):
    data = base64.b64encode(flytio.png_bytes(fig)).decode("ascii")
    return '<img alt="%s" src="data:image/png;base64,%s">' % (html.escape(alt), data)


def provenance(f):
    rows = []
    for a in PROVENANCE:
        if a in f.attrs:
            v = f.attrs[a]
            v = v.decode() if isinstance(v, bytes) else v
            rows.append([html.escape(a), html.escape(str(v))])
    return "<h2>File</h2>" + table(["attribute", "value"], rows, [False, False])


def summary_rows(s):
    kpi, units = flytio.strings(s["kpi"]), flytio.strings(s["units"])
    cols = [s[c][:] for c in ("mean", "ci95_low", "ci95_high", "n")]
    return [[html.escape(kpi[i]), html.escape(units[i])] + [c[i] for c in cols]
            for i in range(len(kpi))]


def run_tables(g):
    parts = ["<h2>Key figures</h2>",
             table(["KPI", "units", "mean", "95 % CI low", "95 % CI high", "n"],
                   summary_rows(g["summary"]), [False, False, True, True, True, True])]
    for role in sorted(g["roles"]) if "roles" in g else []:
        parts.append("<h3>Coordinator role %s</h3>" % html.escape(role))
        parts.append(table(["KPI", "units", "mean", "95 % CI low", "95 % CI high", "n"],
                           summary_rows(g["roles"][role]["summary"]),
                           [False, False, True, True, True, True]))
    return "\n".join(parts)


def unit_tables(g):
    """Per unit of the care network; after the plots, which stay in view first."""
    parts = []
    for uid in flytio.unit_ids(g):
        a = flytio.unit_settings(g, uid)
        units = [str(u) for u in g["units"].attrs["kpi_units"]]
        rows = [[html.escape(k), html.escape(units[i]), v[0], v[2], v[3], v[4]]
                for i, (k, v) in enumerate(flytio.unit_summary(g, uid).items())]
        parts.append("<h3>Unit %s (%s, %s)</h3>" % (html.escape(uid),
                                                    html.escape(str(a.get("name", uid))),
                                                    html.escape(str(a.get("kind", "")))))
        parts.append(table(["KPI", "units", "mean", "95 % CI low", "95 % CI high", "n"], rows,
                           [False, False, True, True, True, True]))
    return "\n".join(parts)


def difference_groups(d, detail):
    """(title suffix, summary group) of a variant: all, or each role and unit."""
    out = [] if detail else [("", d["summary"])]
    for level in ("roles", "units") if detail else ():
        for name in sorted(d[level]) if level in d else []:
            out.append((", %s %s" % (level[:-1], name), d[level][name]["summary"]))
    return out


def compare_tables(f, detail=False):
    parts = []
    for name, suffix, s in [(n, t, s) for n in sorted(f["differences"])
                            for t, s in difference_groups(f["differences"][n], detail)]:
        kpi, units = flytio.strings(s["kpi"]), flytio.strings(s["units"])
        cols = [s[c][:] for c in ("base_mean", "variant_mean", "mean", "ci_low", "ci_high",
                                  "variance_reduction", "n")]
        rows = []
        for i in range(len(kpi)):
            sig = cols[3][i] > 0 or cols[4][i] < 0
            label = ('<span class="sig">%s *</span>' if sig else "%s") % html.escape(kpi[i])
            rows.append([label, html.escape(units[i])] + [c[i] for c in cols])
        parts.append("<h2>%s minus the base%s (paired 95 %% CI; * excludes 0)</h2>"
                     % (html.escape(name), html.escape(suffix)))
        parts.append(table(["KPI", "units", "base", "variant", "difference", "CI low",
                            "CI high", "variance removed", "n"], rows,
                           [False, False] + [True] * 7))
    return "\n".join(parts)


def sweep_tables(f):
    s = f["summary"]
    kpi = flytio.strings(s["kpi"])
    shown = [k for k in SWEEP_KPIS if k in kpi]
    sets = flytio.strings(f["points"]["set"]) if "set" in f["points"] else None
    mean = s["mean"][:]
    rows = []
    for p in range(mean.shape[0]):
        rows.append([str(p), html.escape(sets[p] if sets else "")] +
                    [mean[p, kpi.index(k)] for k in shown])
    return ("<h2>Key figures per point (means)</h2>" +
            table(["point", "settings"] + shown, rows, [False, False] + [True] * len(shown)))


def build(f, path):
    kind = flytio.kind(f)
    body = ["<h1>flyt %s: %s</h1>" % (html.escape(kind or "file"), html.escape(
        os.path.basename(path)))]
    body.append(provenance(f))
    if kind == "run":
        body.append(run_tables(f))
    elif kind == "compare" and "differences" in f:
        body.append(compare_tables(f))
    elif kind == "sweep" and "summary" in f and "parameters" in f:
        body.append(sweep_tables(f))
    else:
        body.append("<p>No summary tables for a file of kind '%s'; see "
                    "docs/hdf5-layout.md.</p>" % html.escape(kind))
    plots = []
    fig = flytio.occupancy_figure(f)
    if fig is not None:
        plots.append(("Occupancy over time", img(fig, "occupancy fan chart")))
    fig = flytio.ukp_figure(f)
    if fig is not None:
        plots.append(("UKP waiting days", img(fig, "UKP waiting days")))
    for name, fig in flytio.forest_figures(f):
        plots.append(("Differences: %s" % name, img(fig, "forest plot " + name)))
    if kind == "sweep" and "parameters" in f:
        kpis = flytio.strings(f["summary"]["kpi"])
        for k in SWEEP_KPIS:
            if k in kpis:
                fig = flytio.sweep_figure(f, k)
                if fig is not None:
                    plots.append(("%s over the sweep" % k, img(fig, "sweep " + k)))
    for title, tag in plots:
        body.append("<h2>%s</h2>\n%s" % (html.escape(title), tag))
    if kind == "run":
        body.append(unit_tables(f))
    elif kind == "compare" and "differences" in f:
        body.append(compare_tables(f, detail=True))
    return ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>flyt report: %s"
            "</title><style>%s</style></head><body>\n%s\n</body></html>\n"
            % (html.escape(os.path.basename(path)), CSS, "\n".join(body)))


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
