#!/usr/bin/python3
"""Check that the modules under sim/ depend on each other one way only.

Usage: check_layers.py [REPO_ROOT] [--graph]

Every folder sim/M/ is a module; every public header include/flyt/X.h
belongs to the module in OWNER below (a new header without an owner is a
failure: decide where it lives). The graph has an edge M -> N when a file
of M (its sources, its internal headers, or a public header M owns)
includes a header of N, public ("flyt/x.h") or internal ("n/x.h").

Fails (exit 1, one line per problem) when
  - an edge goes to a module on a higher floor, or sideways between two
    modules on one floor (only a lower floor may be used);
  - <libconfig.h> is included outside sim/scenario/, <hdf5.h> outside
    sim/output/h5/, sim/output/export/ and sim/output/outfile.c (so never
    in the printers, sim/output/print/), <mpi.h> outside sim/sweep/mpi.c,
    or <csv.h> outside sim/forecast/ and sim/base/csv_table.c;
  - a file in a subfolder of a module includes an internal header of a
    subfolder it must not use (SUBFOLDER_BANS: the printers include no
    header of output/h5/ or output/export/, which would bring HDF5 in).
Files in subfolders of sim/M/ (sim/output/h5/ ...) belong to module M.
--graph prints the edges found (file that makes each one) and exits 0.

The floors are docs/architecture.md's; keep the two in step.
"""
import os
import re
import sys

FLOOR = {
    "base": 0, "rng": 0, "engine": 0, "stats": 0, "estimate": 0,
    "scenario": 1,
    "model": 2, "records": 2,
    "experiment": 3,
    "forecast": 4, "fit": 4,
    "output": 5,
    "sweep": 6, "calibrate": 6, "optimise": 6,
    "cli": 7,
}

OWNER = {
    # version.h: the build's commit, defined in a file the build generates
    # (cmake/gitcommit.cmake) into the library; scenario never used it.
    "io.h": "base", "date.h": "base", "csv_table.h": "base", "version.h": "base",
    "rng.h": "rng", "dist.h": "rng",
    "engine.h": "engine", "mem.h": "engine",
    "result.h": "stats", "series.h": "stats", "compare.h": "stats", "mser.h": "stats", "precision.h": "stats",
    "scenario.h": "scenario", "spec.h": "scenario", "upgrade.h": "scenario",
    "model.h": "model", "census.h": "model", "trace.h": "model",
    "output.h": "output", "outfile.h": "output", "report.h": "output",
    "export.h": "output", "log.h": "output", "sweep_file.h": "output",
    "optimise_file.h": "output",
    "experiment.h": "experiment", "checkpoint.h": "experiment", "tasks.h": "experiment",
    "forecast.h": "forecast",
    "estimate.h": "estimate",
    "fit.h": "fit", "fit_file.h": "output", "scenario_edit.h": "scenario",
    "records.h": "records",
    "sweep.h": "sweep",
    "calibrate.h": "calibrate",
    "optimise.h": "optimise",
}

# library header -> the only places allowed to include it (path prefixes)
CONFINED = {
    "libconfig.h": ("sim/scenario/",),
    "hdf5.h": ("sim/output/h5/", "sim/output/export/", "sim/output/outfile.c"),
    "mpi.h": ("sim/sweep/mpi.c",),
    "csv.h": ("sim/forecast/", "sim/base/csv_table.c"),
    "nettle/sha2.h": ("sim/output/h5/sha256.",),
}

# files under a path prefix -> internal header prefixes they must not include
SUBFOLDER_BANS = {
    "sim/output/print/": ("output/h5/", "output/export/"),
}

INCLUDE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]', re.M)


def files_of(root):
    """(path relative to root, module) for every file that can include."""
    for mod in sorted(os.listdir(os.path.join(root, "sim"))):
        d = os.path.join(root, "sim", mod)
        if not os.path.isdir(d):
            continue
        for dirpath, _, names in os.walk(d):
            for n in sorted(names):
                if n.endswith((".c", ".h")):
                    p = os.path.relpath(os.path.join(dirpath, n), root)
                    yield p, mod
    for n in sorted(os.listdir(os.path.join(root, "include", "flyt"))):
        if n.endswith(".h"):
            yield os.path.join("include", "flyt", n), OWNER.get(n)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    root = args[0] if args else os.path.join(os.path.dirname(__file__), "..")
    graph = "--graph" in sys.argv
    problems, edges = [], {}
    for n in sorted(os.listdir(os.path.join(root, "include", "flyt"))):
        if n.endswith(".h") and n not in OWNER:
            problems.append(f"include/flyt/{n}: no owner module in tests/check_layers.py")
    for path, mod in files_of(root):
        if mod is None:
            continue
        if mod not in FLOOR:
            problems.append(f"{path}: module '{mod}' has no floor in tests/check_layers.py")
            continue
        text = open(os.path.join(root, path), encoding="utf-8").read()
        for m in INCLUDE.finditer(text):
            line = text.count("\n", 0, m.start()) + 1
            kind, name = m.group(1), m.group(2)
            where = CONFINED.get(name)
            if where and not path.startswith(where):
                problems.append(
                    f"{path}:{line}: includes <{name}>, allowed only in {', '.join(where)}")
            if kind != '"':
                continue
            for under, banned in SUBFOLDER_BANS.items():
                if path.startswith(under) and name.startswith(banned):
                    problems.append(f"{path}:{line}: includes {name}, which {under} must not use")
            head, _, tail = name.partition("/")
            if head == "flyt":
                to = OWNER.get(tail)
            elif head in FLOOR:
                to = head
            else:
                continue
            if to is None or to == mod:
                continue
            edges.setdefault((mod, to), f"{path}:{line}")
            if FLOOR[to] >= FLOOR[mod]:
                how = "up" if FLOOR[to] > FLOOR[mod] else "sideways"
                problems.append(
                    f"{path}:{line}: {mod} (floor {FLOOR[mod]}) includes {name} of {to} "
                    f"(floor {FLOOR[to]}): a call {how}")
    if graph:
        for (a, b), where in sorted(edges.items(), key=lambda e: (-FLOOR[e[0][0]], e[0])):
            print(f"{a:10} -> {b:10} ({where})")
        return 0
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
