#!/usr/bin/python3
"""Check a flyt HDF5 file against docs/hdf5-layout.md, in both directions.

Usage: check_layout.py DOC FILE {run|compare|sweep|forecast|optimise|fit} [--logs]

Reads the tables that follow `<!-- layout:NAME -->` markers in the document,
turns every dataset path in the file into its documented pattern (per-KPI,
per-series, per-role, per-unit, per-scenario, per-parameter and per-figure names become
<kpi>, <series>, ...; a forecast's unit ids are the names in /forecast/units/ids), and
reports: datasets not documented, documented rows not in the file, a type or
rank that differs from the document, root attributes not documented (and the
reverse; for an optimise file also the attributes of /optimise, for a fit file those of
/fit), and any dataset without units/description, one of a fixed size of
at most 8 KiB that is not compact (or a compact one larger), a larger or
extendible one without shuffle + deflate, or a string type that is not UTF-8.
Prints one line per problem and exits 1 when there is any.
"""
import re
import sys

import h5py
import numpy as np

COMPACT_BYTES = 8192  # COMPACT_BYTES in sim/output/h5/h5_common.c


def tables(doc):
    """{marker: [row cells]} for every table after a layout marker."""
    out, name, rows = {}, None, None
    for line in open(doc, encoding="utf-8"):
        m = re.match(r"<!-- layout:([\w-]+) -->", line.strip())
        if m:
            name, rows = m.group(1), []
            continue
        if name is None:
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cells[0] in ("path", "attribute", "figure") or set(cells[0]) <= set("-:"):
                continue
            rows.append(cells)
        elif rows:
            out[name] = rows
            name = None
    if name is not None and rows:
        out[name] = rows
    return out


def unquote(cell):
    return cell.strip().strip("`")


def dtype_name(ds):
    return type_name(ds.dtype)


def type_name(t):
    if t.names is not None:
        return "compound"
    if h5py.check_enum_dtype(t) is not None:
        return "enum%d" % (8 * t.itemsize)
    if h5py.check_string_dtype(t) is not None:
        return "string"
    return {"f8": "float64", "u1": "uint8", "u2": "uint16", "u4": "uint32", "u8": "uint64", "i4": "int32",
            "i8": "int64"}.get(t.str[1:], t.str)


def attr_type(v):
    if isinstance(v, (str, bytes)):  # bytes: fixed-length (a sweep file's root attributes)
        return "string"
    a = np.asarray(v)
    if a.ndim == 1 and a.dtype.kind in "OSU":
        return "string[]"
    if a.ndim == 1:
        return attr_type(a[0]) + "[]" if len(a) else "[]"
    return {"f8": "float64", "u4": "uint32", "u8": "uint64", "i4": "int32"}.get(a.dtype.str[1:],
                                                                              a.dtype.str)


def names_in(group, path):
    return set(group[path].asstr()[:]) if path in group else set()


def check_fields(ds, rows, kpis, problems):
    """The fields of a /replications table against the document, in order:
    the named ones, then <kpi> standing for every KPI of /summary/kpi."""
    want = []
    for r in rows:
        name = unquote(r[0])
        if name != "field":  # the header
            want += [(k, r[1]) for k in kpis] if name == "<kpi>" else [(name, r[1])]
    have = [(n, type_name(ds.dtype.fields[n][0])) for n in ds.dtype.names]
    for i in range(max(len(have), len(want))):
        h = have[i] if i < len(have) else None
        w = want[i] if i < len(want) else None
        if h != w:
            problems.append("%s: field %d is %s, the document says %s" % (ds.name, i, h, w))
            break
    for a in ("units", "description"):
        if a in ds.attrs and len(ds.attrs[a]) != len(have):
            problems.append("%s: %d entries in '%s' for %d fields"
                            % (ds.name, len(ds.attrs[a]), a, len(have)))


def run_pattern(root, rel):
    """The documented pattern of a dataset path rel under a run body root."""
    parts = rel.strip("/").split("/")
    if parts[0] == "series" and len(parts) in (2, 3):
        parts[1] = "<series>"
    elif parts[0] == "roles" and len(parts) >= 3:
        role_kpis = names_in(root, "roles/%s/summary/kpi" % parts[1])
        parts[1] = "<role>"
        if len(parts) == 3 and parts[2] in role_kpis:
            parts[2] = "<role_kpi>"
    elif parts[:2] == ["units", "series"] and len(parts) == 3:
        parts[2] = "<unit_series>"
    return "/" + "/".join(parts)


def compare_pattern(f, path):
    parts = path.strip("/").split("/")
    if parts[0] == "scenarios":
        return "/scenarios/<scenario>" + run_pattern(f["scenarios"][parts[1]],
                                                     "/".join(parts[2:]))
    if parts[0] == "differences":
        parts[1] = "<variant>"
        if len(parts) > 3 and parts[2] == "roles":
            parts[3] = "<role>"
        if len(parts) > 3 and parts[2] == "units":
            parts[3] = "<unit>"
        if len(parts) > 3 and parts[2] == "municipalities":
            parts[3] = "<municipality>"
    return "/" + "/".join(parts)


def sweep_pattern(f, path, literal):
    """A sweep file's pattern. A shard has no /summary/kpi: there a /tasks
    column the document does not name is taken for a KPI."""
    parts = path.strip("/").split("/")
    if len(parts) == 2 and parts[0] == "points" and parts[1] in names_in(f, "parameters/key"):
        parts[1] = "<key>"
    elif len(parts) == 2 and parts[0] == "tasks":
        kpis = names_in(f, "summary/kpi")
        if parts[1] in kpis or (not kpis and path not in literal):
            parts[1] = "<kpi>"
    elif len(parts) == 2 and parts[0] == "series":
        parts[1] = "<series>"
    elif len(parts) == 3 and parts[0] == "units" and parts[1] in names_in(f, "units/ids"):
        parts[1] = "<unit>"
    return "/" + "/".join(parts)


def forecast_pattern(f, path, figures, unit_figures):
    parts = path.strip("/").split("/")
    ids = names_in(f, "forecast/units/ids")
    if parts[0] == "forecast" and len(parts) == 3 and parts[1] in figures:
        parts[1] = "<figure>"
    elif parts[:2] in (["forecast", "units"], ["replications", "units"]) and len(parts) >= 4 \
            and parts[2] in ids:
        parts[2] = "<unit>"
        if parts[3] in unit_figures:
            parts[3] = "<unit_figure>"
    elif parts[0] == "replications" and len(parts) == 2 and parts[1] in figures:
        parts[1] = "<figure>"
    return "/" + "/".join(parts)


def forecast_members(f, pat, figures, unit_figures):
    """The paths a documented forecast pattern stands for: its families are
    closed lists (a figure marked 'caseload units only' is a caseload's)."""
    paths = [pat]
    if "<figure>" in pat:
        paths = [p.replace("<figure>", n) for p in paths for n in sorted(figures)]
    if "<unit>" in pat:
        out = []
        for u in sorted(names_in(f, "forecast/units/ids")):
            kind = f["forecast/units"][u].attrs.get("kind") if u in f["forecast/units"] else None
            for p in paths:
                p = p.replace("<unit>", u)
                if "<unit_figure>" in p:
                    out += [p.replace("<unit_figure>", n) for n, only in sorted(unit_figures.items())
                            if not only or kind == "caseload"]
                else:
                    out.append(p)
        paths = out
    return paths


def datasets(f):
    out = []
    f.visititems(lambda name, obj: out.append("/" + name) if isinstance(obj, h5py.Dataset)
                 else None)
    return out


def check_dataset(ds, problems):
    p = ds.name
    for a in ("units", "description"):
        if a not in ds.attrs:
            problems.append("%s: no '%s' attribute" % (p, a))
    # Stored bytes: a variable-length string is a 16-byte global heap id; a
    # compound row is as large as HDF5 says it is in the file.
    if ds.dtype.names is not None:
        stored = ds.size * ds.id.get_type().get_size()
    else:
        stored = ds.size * (16 if h5py.check_string_dtype(ds.dtype) is not None
                            and h5py.check_string_dtype(ds.dtype).length is None
                            else ds.dtype.itemsize)
    layout = ds.id.get_create_plist().get_layout()
    extendible = ds.maxshape != ds.shape
    if layout == h5py.h5d.COMPACT:
        if stored > COMPACT_BYTES:
            problems.append("%s: compact with %d bytes" % (p, stored))
    elif 0 < stored <= COMPACT_BYTES and not extendible:
        problems.append("%s: %d bytes, not compact" % (p, stored))
    elif ds.size > 0:
        if ds.chunks is None:
            problems.append("%s: not chunked" % p)
        if not ds.shuffle or ds.compression != "gzip":
            problems.append("%s: not shuffled and deflated (%s, shuffle=%s)"
                            % (p, ds.compression, ds.shuffle))
    info = h5py.check_string_dtype(ds.dtype)
    if info is not None and info.encoding != "utf-8":
        problems.append("%s: strings are %s, not UTF-8" % (p, info.encoding))


def rows_of(t, *names):
    out = {}
    for n in names:
        out.update({unquote(r[0]): r for r in t[n]})
    return out


def doc_rows_for(t, kind, f, logs):
    """{pattern: row} of the datasets a file of this kind must hold."""
    run_rows = rows_of(t, "run", *(("logs-patients", "logs-events") if logs else ()))
    body = f
    if kind == "compare" and "scenarios" in f and len(f["scenarios"]):
        body = f["scenarios"][list(f["scenarios"])[0]]  # every scenario has the same layout
    if kind in ("run", "compare") and "series" in body and \
            body["series"].attrs.get("layout") == "reduced":
        run_rows = {p: r for p, r in run_rows.items() if not p.startswith("/series/")}
        run_rows.update(rows_of(t, "run-series-reduced"))
    if kind in ("run", "compare") and "municipalities" in body:  # a region
        run_rows.update(rows_of(t, "run-region"))
    if kind == "run":
        return run_rows
    if kind == "compare":
        doc_rows = {}
        if "differences" in f and any("municipalities" in f["differences"][v]
                                      for v in f["differences"]):
            doc_rows.update(rows_of(t, "compare-region"))
        for r in t["compare"]:
            p = unquote(r[0])
            if p == "/scenarios/<scenario>/*":
                for q, rr in run_rows.items():
                    doc_rows["/scenarios/<scenario>" + q] = rr
            else:
                doc_rows[p] = r
        return doc_rows
    if kind == "forecast":
        return rows_of(t, "forecast")
    if kind == "fit":
        return rows_of(t, "fit")
    if kind == "optimise":
        # a spec without constraints has no [constraint] dataset
        nl = len(f["optimise"].attrs.get("constraints", [])) if "optimise" in f else 0
        return {p: r for p, r in rows_of(t, "optimise").items()
                if nl or "constraint" not in [d.strip() for d in r[1].strip("[]").split(",")]}
    doc_rows = rows_of(t, "sweep", *(("sweep-series",) if f.attrs.get("series") else ()))
    if f.attrs.get("kind") in ("sweep-shard", b"sweep-shard"):
        doc_rows = {p: r for p, r in doc_rows.items()
                    if not p.startswith("/summary/") and p != "/units/<unit>/summary"}
    return doc_rows


def doc_attrs_for(t, kind, logs, warmup_auto=False):
    """{attribute: type} of the root attributes of this kind."""
    attrs = {unquote(r[0]): r[1] for r in t["run-attrs"]}
    if kind in ("sweep", "optimise", "fit"):
        # the provenance: the run-attrs rows up to rng_scheme
        names = [unquote(r[0]) for r in t["run-attrs"]]
        keep = names[:names.index("rng_scheme") + 1]
        attrs = {a: attrs[a] for a in keep}
    if logs:
        attrs.update({unquote(r[0]): r[1] for r in t["log-attrs"]})
    if warmup_auto:  # a run whose warm-up MSER-5 chose
        attrs.update({unquote(r[0]): r[1] for r in t["warmup-attrs"]})
    extra = {"compare": "compare-attrs", "sweep": "sweep-attrs", "forecast": "forecast-attrs"}
    if kind in extra:
        attrs.update({unquote(r[0]): r[1] for r in t[extra[kind]]})
    return attrs


def check_attrs(where, have, want, problems):
    """Attributes against the document's {name: type}, in both directions."""
    for a, v in have.items():
        if a not in want:
            problems.append("%s attribute %s: in the file, not in the document" % (where, a))
        elif attr_type(v) != want[a]:
            problems.append("%s attribute %s: type %s, the document says %s"
                            % (where, a, attr_type(v), want[a]))
    for a in want:
        if a not in have:
            problems.append("%s attribute %s: in the document, not in the file" % (where, a))


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 3 or args[2] not in ("run", "compare", "sweep", "forecast", "optimise", "fit"):
        sys.exit(__doc__)
    doc, path, kind = args
    logs = "--logs" in sys.argv
    t = tables(doc)
    f = h5py.File(path, "r")
    doc_rows = doc_rows_for(t, kind, f, logs)
    figures = {unquote(r[0]) for r in t.get("forecast-figures", [])}
    unit_figures = {unquote(r[0]): "caseload units only" in r[-1]
                    for r in t.get("forecast-unit-figures", [])}
    problems, seen = [], set()
    for p in datasets(f):
        if kind == "run":
            pat = run_pattern(f, p)
        elif kind == "compare":
            pat = compare_pattern(f, p)
        elif kind == "sweep":
            pat = sweep_pattern(f, p, doc_rows)
        elif kind == "optimise":
            pat = p  # no families: every path is literal
        elif kind == "fit":  # one survival group per fitted duration: <i>
            pat = re.sub(r"^/fit/distributions/survival/\d+/", "/fit/distributions/survival/<i>/", p)
        else:
            pat = forecast_pattern(f, p, figures, unit_figures)
        seen.add(pat)
        ds = f[p]
        check_dataset(ds, problems)
        row = doc_rows.get(pat)
        if row is None:
            problems.append("%s (as %s): in the file, not in the document" % (p, pat))
            continue
        want_rank = len([d for d in row[1].strip("[]").split(",") if d.strip()])
        if ds.ndim != want_rank:
            problems.append("%s: rank %d, the document says %s" % (p, ds.ndim, row[1]))
        if dtype_name(ds) not in row[2].split(" or "):
            problems.append("%s: type %s, the document says %s" % (p, dtype_name(ds), row[2]))
        if pat.endswith("/replications") and ds.dtype.names is not None:
            root = f[p.rsplit("/", 1)[0] or "/"]
            check_fields(ds, t["replications-fields"], names_in(root, "summary/kpi") and
                         list(root["summary/kpi"].asstr()[:]), problems)
    for pat in doc_rows:
        if pat not in seen:
            problems.append("%s: in the document, not in the file" % pat)
    if kind == "forecast":  # the families are closed lists: every member is there
        for pat in doc_rows:
            for p in forecast_members(f, pat, figures, unit_figures):
                if p != pat and p not in f:
                    problems.append("%s (of %s): in the document, not in the file" % (p, pat))
    attrs = doc_attrs_for(t, kind, logs, kind == "run" and "warmup_auto" in f.attrs)
    check_attrs("root", f.attrs, attrs, problems)
    if kind == "optimise":
        want = {unquote(r[0]): r[1] for r in t["optimise-group-attrs"]}
        if "optimise" not in f:
            problems.append("/optimise: in the document, not in the file")
        else:
            if "constraints" not in f["optimise"].attrs and "bound" not in f["optimise"]:
                want.pop("constraints", None)  # a spec without constraints
            check_attrs("/optimise", f["optimise"].attrs, want, problems)
        kinds = ("optimise",)
    elif kind == "fit":
        want = {unquote(r[0]): r[1] for r in t["fit-group-attrs"]}
        if "fit" not in f:
            problems.append("/fit: in the document, not in the file")
        else:
            check_attrs("/fit", f["fit"].attrs, want, problems)
        kinds = ("fit",)
    else:
        kinds = ("run", "compare", "sweep", "sweep-shard", "forecast")
    k = f.attrs.get("kind", b"")
    k = k.decode() if isinstance(k, bytes) else k
    if k and k not in kinds:
        problems.append("root attribute kind is %s, checked as %s" % (k, kind))
    for p in problems:
        print("layout: " + p)
    print("layout: %s: %d datasets, %d documented patterns, %d problems"
          % (path, len(datasets(f)), len(doc_rows), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
