#!/usr/bin/python3
"""Checks one page of analysis/report.py as a browser saw it, against the file
it was made from. Used by tests/e2e_report_browser.sh.

    check_report_page.py FILE.h5 PAGE.html DOM.txt

DOM.txt is `chromium --dump-dom` of a copy of the page with a script (the test
injects it) that appends "FLYTCHECK {json} ENDCHECK": the number of <img>, of
broken ones (naturalWidth 0), of script errors, and of figure/table elements
per data-kind. Fails (exit 1, one line per problem) on a broken image, a
script error, a count of figures or tables other than the file holds, a
title other than the scenario's (sweep's) name, a key figure without its
description and units, or a provenance item missing.
"""
import html
import json
import re
import sys

import h5py


def strings(ds):
    return list(ds.asstr()[:])


def a(obj, name, default=""):
    v = obj.attrs.get(name, default)
    return v.decode() if isinstance(v, bytes) else v


def n_roles(g):
    return len(g["roles"]) if "roles" in g else 0


def unit_kinds(g):
    return [str(k) for k in g["units"].attrs["kind"]] if "units" in g else []


def expected(f):
    """{element:kind: count} the page must hold, from the file alone."""
    kind = a(f, "kind")
    e = {"table:provenance": 1}
    if kind == "run":
        kinds = unit_kinds(f)
        e.update({"table:kpis": 1, "figure:ukp-distribution": 1, "figure:series": 1,
                  "figure:occupancy": sum(k != "unlimited" for k in kinds),
                  "figure:census": sum(k == "unlimited" for k in kinds),
                  "table:unit": len(kinds), "table:role": n_roles(f)})
        if "patients" in f:
            e["figure:ukp-patients"] = 1
    elif kind == "compare":
        sc = [f["scenarios"][s] for s in f["scenarios"]]
        ids, kinds = [], []
        for g in sc:
            for u, k in zip(strings(g["units/ids"]), unit_kinds(g)):
                if u not in ids:
                    ids.append(u)
                    kinds.append(k)
        d = [f["differences"][v] for v in f["differences"]]
        e.update({"table:scenarios": 1, "table:scenario-kpis": len(sc), "figure:series": 1,
                  "table:difference": len(d), "figure:forest": len(d),
                  "figure:occupancy": sum(k != "unlimited" for k in kinds),
                  "figure:census": sum(k == "unlimited" for k in kinds),
                  "table:role": sum(n_roles(g) for g in sc),
                  "table:role-difference": sum(len(x["roles"]) for x in d),
                  "table:unit-difference": sum(len(x["units"]) for x in d)})
    elif kind == "sweep":
        swept = 0
        for k in strings(f["parameters/key"]):
            v = f["points"][k]
            if v.dtype.kind in "fiu" and len(set(v[:].tolist())) > 1:
                swept += 1
        e.update({"table:parameters": 1, "table:points": 1, "table:sweep-range": 1,
                  "figure:sweep-parameter": swept})
    elif kind == "forecast":
        e.update({"figure:fan": 1, "figure:fan-unit": len(f["forecast/units/ids"]),
                  "table:forecast-days": 1, "table:census": 1,
                  "table:ukp-list": 1 if "ukp_still_waiting" in f else 0})
    return {k: v for k, v in e.items() if v}


def kpi_rows(f):
    """(name, description, units) of every key figure the page must describe."""
    kind = a(f, "kind")
    g = {"run": f, "sweep": f}.get(kind)
    if kind == "compare":
        g = f["differences"][sorted(f["differences"])[0]]
    if g is None or "summary" not in g:
        return []
    s = g["summary"]
    return list(zip(strings(s["kpi"]), strings(s["description"]), strings(s["units"])))


def main():
    h5, page_path, dom_path = sys.argv[1:4]
    f = h5py.File(h5, "r")
    page = open(page_path, encoding="utf-8").read()
    dom = open(dom_path, encoding="utf-8", errors="replace").read()
    problems = []
    m = re.search(r"FLYTCHECK (\{.*?\}) ENDCHECK", dom, re.S)
    if not m:
        print("FAIL the check script did not run (no FLYTCHECK in the DOM)")
        return 1
    got = json.loads(html.unescape(m.group(1)))
    if got["broken"]:
        problems.append("%d of %d images broken (naturalWidth 0)" % (got["broken"],
                                                                     got["images"]))
    if got["errors"]:
        problems.append("%d script errors" % got["errors"])
    want = expected(f)
    counts = got["counts"]
    counts.pop("table:attributes", None)  # root attributes no provenance item names: optional
    for k in sorted(set(want) | set(counts)):
        if want.get(k, 0) != counts.get(k, 0):
            problems.append("%s: %d on the page, the file holds %d" % (k, counts.get(k, 0),
                                                                        want.get(k, 0)))
    n_fig = sum(v for k, v in counts.items() if k.startswith("figure:"))
    if got["images"] != n_fig:
        problems.append("%d images for %d figures" % (got["images"], n_fig))
    kind = a(f, "kind")
    name = a(f, "sweep_name") if kind == "sweep" else a(f, "scenario_name")
    if name not in (got["h1"] or "") or name not in got["title"]:
        problems.append("title %r / h1 %r does not name %r" % (got["title"], got["h1"], name))
    for k, desc, units in kpi_rows(f):
        row = re.search(r"<tr><td>[^\n]*?%s <code>%s</code></td><td>%s</td>" % (
            re.escape(html.escape(desc)), re.escape(k), re.escape(html.escape(units))), page)
        if kind != "sweep" and not row:
            problems.append("key figure %s without its description and units" % k)
        elif kind == "sweep" and html.escape(desc) not in page:
            problems.append("key figure %s without its description" % k)
    for item in ("flyt_version", "git_commit", "seed", "command_line"):
        if html.escape(str(a(f, item))) not in page:
            problems.append("provenance: %s missing" % item)
    if kind != "sweep":
        for item in ("scenario_sha256", "start_date"):
            if str(a(f, item)) not in page:
                problems.append("provenance: %s missing" % item)
    for p in problems:
        print("FAIL " + p)
    print("  %s: %d images, %s" % (page_path.rsplit("/", 1)[-1], got["images"],
                                   ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
