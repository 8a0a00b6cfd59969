#!/usr/bin/python3
"""flyt export's tables hold the numbers h5py reads from the HDF5 file.

Usage: check_export.py FILE.h5 (xlsx WORKBOOK | csv STEM en|nb)

Builds every table flyt export writes for the file's kind (docs/export.md)
from the HDF5 file with h5py, then reads the workbook (zipfile and the
sheet XML; no openpyxl) or the CSV files STEM-TABLE.csv (for nb: ';'
between fields and ',' as the decimal mark) and requires the same tables:
the same sheets or files, the same header names (units in parentheses as
the file states them), the same rows, text equal and numbers equal to
1e-12 relative. Exit 0 when all agree; 1 with a line per difference.
"""
import csv
import math
import re
import sys
import xml.etree.ElementTree as ET
import zipfile

import h5py
import numpy as np

NAN = float("nan")
problems = []


def strs(ds):
    return [s for s in ds.asstr()[:]]


def col(name, units=""):
    return "%s (%s)" % (name, units) if units else name


def kpi_rows(g, scenario, level, name):
    s = g["summary"]
    kpi, units = strs(s["kpi"]), strs(s["units"])
    desc = strs(s["description"]) if "description" in s else [""] * len(kpi)
    x = [s[k][:].astype(float) if k in s else np.full(len(kpi), NAN)
         for k in ("mean", "sd", "ci95_low", "ci95_high", "n")]
    return [[scenario, level, name, kpi[k], units[k]] + [v[k] for v in x] + [desc[k]]
            for k in range(len(kpi))]


def text_list(a):
    """An attribute's strings as str (a sweep file stores some at a fixed
    length, which h5py returns as bytes)."""
    return [s.decode() if isinstance(s, bytes) else s for s in a]


def scenario(g, scen, t):
    t["kpi"][1] += kpi_rows(g, scen, "all", "")
    for n in g.get("roles", {}):
        t["kpi"][1] += kpi_rows(g["roles"][n], scen, "role", n)
    ids = strs(g["units/ids"]) if "units" in g else []
    if ids:
        u = g["units"]
        ukpi, uunits = text_list(u.attrs["kpi"]), text_list(u.attrs["kpi_units"])
        udesc = text_list(u.attrs["kpi_description"])
        for j, n in enumerate(ids):  # the scenario's order, as /units/ids
            x = u["summary"][j]  # [kpi x statistic]
            t["kpi"][1] += [[scen, "unit", n, ukpi[k], uunits[k]] + [float(v) for v in x[k]] +
                            [udesc[k]] for k in range(len(ukpi))]
    for n in g.get("municipalities", {}):
        if "summary" in g["municipalities"][n]:
            t["kpi"][1] += kpi_rows(g["municipalities"][n], scen, "municipality", n)
    kpi, units = strs(g["summary/kpi"]), strs(g["summary/units"])
    r = g["replications"]
    t.setdefault("replications", [["scenario", "replication", "status"] +
                                  [col(k, u) for k, u in zip(kpi, units)], []])
    for i in range(len(r["replication"])):
        t["replications"][1].append([scen, float(r["replication"][i]), float(r["status"][i])] +
                                    [float(r[k][i]) for k in kpi])
    if "series" in g:
        names = sorted(g["series"])
        first = float(g["series"][names[0]].attrs["first_day"])
        t.setdefault("series", [["scenario", "day (days)", "date"] +
                                [col(n, g["series"][n].attrs["units"]) for n in names], []])
        start = np.datetime64(f.attrs["start_date"])
        means = {}
        with np.errstate(all="ignore"):
            for n in names:
                means[n] = np.nanmean(g["series"][n][:], axis=0)
        days = len(means[names[0]])
        for j in range(days):
            d = first + j
            date = str(start + np.timedelta64(int(math.floor(d)), "D"))
            t["series"][1].append([scen, d, date] + [float(means[n][j]) for n in names])
    if ids:
        t.setdefault("unit_replications", [["scenario", "unit", "replication"] +
                                           [col(k, un) for k, un in zip(ukpi, uunits)], []])
        for j, n in enumerate(ids):
            x = u["kpis"][:, j, :]  # [replication x kpi] of unit n
            for i in range(len(r["replication"])):
                t["unit_replications"][1].append([scen, n, float(r["replication"][i])] +
                                                 [float(v) for v in x[i]])


KPI_HEAD = ["scenario", "level", "name", "kpi", "units", "mean", "sd", "ci95_low", "ci95_high",
            "n (replications)", "description"]


def diff_rows(g, variant, level, name):
    s = g["summary"]
    kpi, units = strs(s["kpi"]), strs(s["units"])
    desc = strs(s["description"]) if "description" in s else [""] * len(kpi)
    x = [s[k][:].astype(float) for k in ("base_mean", "variant_mean", "mean", "sd", "ci_low",
                                         "ci_high", "unpaired_half", "variance_reduction", "n")]
    return [[variant, level, name, kpi[k], units[k]] + [v[k] for v in x] + [desc[k]]
            for k in range(len(kpi))]


def expected(f):
    kind = f.attrs.get("kind", "run")
    kind = kind.decode() if isinstance(kind, bytes) else kind  # a sweep file's: fixed-length
    t = {}
    if kind in ("run", "compare"):
        t["kpi"] = [KPI_HEAD, []]
    if kind == "run":
        scenario(f, f.attrs["scenario_name"], t)
    elif kind == "compare":
        for n in f["scenarios"]:
            scenario(f["scenarios"][n], n, t)
        rows = []
        for v in f["differences"]:
            g = f["differences"][v]
            rows += diff_rows(g, v, "all", "")
            for level in ("roles", "units"):
                for n in g.get(level, {}):
                    rows += diff_rows(g[level][n], v, level[:-1], n)
        t["differences"] = [["variant", "level", "name", "kpi", "units", "base_mean",
                             "variant_mean", "difference", "sd", "ci95_low", "ci95_high",
                             "unpaired_half", "variance_reduction (fraction)",
                             "n (replications)", "description"], rows]
    elif kind in ("sweep", "sweep-shard"):
        keys = strs(f["parameters/key"])
        pts = f["points"]
        vals = []
        for k in keys:
            ds = pts[k]
            vals.append(strs(ds) if h5py.check_string_dtype(ds.dtype) else
                        [float(v) for v in ds[:]])
        sets = strs(pts["set"])
        t["points"] = [["point"] + keys + ["set"],
                       [[float(pts["point"][i])] + [v[i] for v in vals] + [sets[i]]
                        for i in range(len(sets))]]
        if "summary" in f:
            s = f["summary"]
            kpi, units = strs(s["kpi"]), strs(s["units"])
            m = [s[k][:].astype(float) for k in ("mean", "sd", "ci95_low", "ci95_high", "n")]
            t["point_kpi"] = [["point"] + keys + ["kpi", "units", "mean", "sd", "ci95_low",
                                                  "ci95_high", "n (replications)"],
                              [[float(i)] + [v[i] for v in vals] + [kpi[k], units[k]] +
                               [x[i, k] for x in m]
                               for i in range(len(sets)) for k in range(len(kpi))]]
        tk = f["tasks"]
        kpis = [(k, tk[k].attrs["units"]) for k in KPI_ORDER if k in tk]
        t["tasks"] = [["task", "point", "replication", "status"] + [col(k, u) for k, u in kpis],
                      [[float(tk[c][i]) for c in ("task", "point", "replication", "status")] +
                       [float(tk[k][i]) for k, _ in kpis] for i in range(len(tk["task"]))]]
    elif kind == "forecast":
        fc = f["forecast"]
        day, date = fc["day"][:].astype(float), strs(fc["date"])
        q = ("p05", "p25", "median", "p75", "p95", "mean")
        rows = []

        def figure_rows(g, prefix):
            for n in sorted(g):
                if isinstance(g[n], h5py.Group) and "median" in g[n]:
                    for i in range(len(day)):
                        rows.append([day[i], date[i], prefix + n, g[n].attrs["units"]] +
                                    [float(g[n][k][i]) for k in q])

        figure_rows(fc, "")
        units = [u for u in sorted(fc["units"]) if isinstance(fc["units"][u], h5py.Group)]
        for u in units:
            figure_rows(fc["units"][u], "units.%s." % u)
        t["forecast"] = [["day (days)", "date", "figure", "units"] + list(q), rows]
        rows = []
        for u in units:
            g = fc["units"][u]
            cap = g["capacity"]
            rows += [[day[i], date[i], u, float(g["p_full"][i]), float(cap[i]),
                      cap.attrs["units"]] for i in range(len(day))]
        t["units"] = [["day (days)", "date", "unit", "p_full (fraction)", "capacity",
                       "capacity_units"], rows]
        u = f["ukp_still_waiting"]
        t["ukp_still_waiting"] = [["row (line)", "probability (fraction)"],
                                  [[float(a), float(b)] for a, b in zip(u["row"], u["probability"])]]
    t["about"] = [["attribute", "value"], None]  # checked by name below
    return t


def kpi_order(src):
    text = open(src + "/include/flyt/result.h", encoding="utf-8").read()
    m = re.search(r"#define FLYT_KPI_LIST\(X\)(.*?)\n\n", text, re.S)
    return re.findall(r"X\((\w+),", m.group(1))


def num(s, decimal):
    if s == "":
        return NAN
    if decimal == ",":
        if "." in s:
            problems.append("'%s': a '.' in a number where the decimal mark is ','" % s)
        s = s.replace(",", ".")
    return float(s)


def same(a, b):
    if isinstance(b, str):
        return a == b
    if a is None or (isinstance(a, float) and math.isnan(a)):
        return math.isnan(b)
    return abs(a - b) <= 1e-12 * max(1.0, abs(b))


def compare(name, got, want):
    head, rows = want
    if got[0] != head:
        problems.append("%s: header %s, expected %s" % (name, got[0], head))
        return
    if rows is None:  # about: the provenance attributes are there
        attrs = {r[0]: r[1] for r in got[1]}
        for a in ("format", "kind", "flyt_version", "git_commit", "exported_from"):
            if a not in attrs:
                problems.append("%s: no row for %s" % (name, a))
        commit = text_list([f.attrs["git_commit"]])[0]
        if attrs.get("git_commit") != commit:
            problems.append("%s: git_commit %r, the file has %r"
                            % (name, attrs.get("git_commit"), commit))
        return
    if len(got[1]) != len(rows):
        problems.append("%s: %d rows, expected %d" % (name, len(got[1]), len(rows)))
        return
    bad = 0
    for i, (g, w) in enumerate(zip(got[1], rows)):
        for j, (a, b) in enumerate(zip(g, w)):
            if not same(a, b):
                bad += 1
                if bad <= 5:
                    problems.append("%s row %d column %s: %r, the HDF5 file has %r"
                                    % (name, i + 2, head[j], a, b))
    if bad:
        problems.append("%s: %d cells differ" % (name, bad))


def typed(rows, want, decimal):
    """Cells as text or numbers, by the expected table's column types."""
    head, exp = want
    out = []
    for r in rows:
        if exp is None or not exp:
            out.append(r)
            continue
        out.append([c if isinstance(exp[0][j], str) else num(c, decimal)
                    for j, c in enumerate(r)])
    return out


def read_xlsx(path):
    z = zipfile.ZipFile(path)
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships"}
    rel = {r.get("Id"): r.get("Target") for r in ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))}
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", ns):
            shared.append("".join(x.text or "" for x in si.iter("{%s}t" % ns["m"])))
    sheets = {}
    for s in ET.fromstring(z.read("xl/workbook.xml")).find("m:sheets", ns):
        target = rel[s.get("{%s}id" % ns["r"])]
        xml = ET.fromstring(z.read("xl/" + target.lstrip("/").replace("xl/", "", 1)))
        rows = []
        for row in xml.iter("{%s}row" % ns["m"]):
            cells = {}
            for c in row.findall("m:c", ns):
                letters = re.match(r"[A-Z]+", c.get("r")).group(0)
                j = 0
                for ch in letters:
                    j = j * 26 + ord(ch) - 64
                v = c.find("m:v", ns)
                is_ = c.find("m:is", ns)
                if c.get("t") == "s":
                    cells[j - 1] = shared[int(v.text)]
                elif c.get("t") in ("str", "inlineStr"):
                    cells[j - 1] = v.text if v is not None else "".join(
                        x.text or "" for x in is_.iter("{%s}t" % ns["m"]))
                elif v is not None:
                    cells[j - 1] = float(v.text)
            rows.append(cells)
        sheets[s.get("name")] = rows
    return sheets


def check_xlsx(path, want):
    sheets = read_xlsx(path)
    if list(sheets) != list(want):
        problems.append("sheets %s, expected %s" % (list(sheets), list(want)))
    for name, w in want.items():
        if name not in sheets:
            continue
        n = len(w[0])
        rows = [[r.get(j, "" if w[1] is None or not w[1] or isinstance(w[1][0][j], str) else NAN)
                 for j in range(n)] for r in sheets[name]]
        compare("sheet " + name, [rows[0], rows[1:]], w)


def check_csv(stem, loc, want):
    sep, decimal = (";", ",") if loc == "nb" else (",", ".")
    for name, w in want.items():
        path = "%s-%s.csv" % (stem, name)
        try:
            raw = open(path, "rb").read()
        except OSError as e:
            problems.append("%s: %s" % (path, e))
            continue
        if loc == "nb" and not raw.startswith(b"\xef\xbb\xbf"):
            problems.append("%s: no UTF-8 byte-order mark for --locale nb" % path)
        text = raw.decode("utf-8-sig")
        rows = list(csv.reader(text.splitlines(), delimiter=sep))
        compare(path, [rows[0], typed(rows[1:], w, decimal)], w)


if __name__ == "__main__":
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    import os
    KPI_ORDER = kpi_order(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    f = h5py.File(sys.argv[1], "r")
    want = expected(f)
    if sys.argv[2] == "xlsx":
        check_xlsx(sys.argv[3], want)
    else:
        check_csv(sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "en", want)
    for p in problems:
        print(p)
    sys.exit(1 if problems else 0)
