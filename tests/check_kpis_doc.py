#!/usr/bin/python3
"""docs/kpis.md against the KPI tables in include/flyt/result.h.

Every KPI of FLYT_KPI_LIST (and every role KPI of FLYT_ROLE_KPI_LIST and
per-unit KPI of FLYT_UNIT_KPI_LIST, in tables headed `role KPI` and
`unit KPI`) has a
row in the page's table with the same units, and no row names a KPI the code
does not have. A cell may name several KPIs; `_suffix` after a full name is
short for that name with its last `_word` replaced (`ukp_wait_mean_home`,
`_home_care` is `ukp_wait_mean_home_care`).

Usage: check_kpis_doc.py RESULT_H KPIS_MD; exit 0 when they agree, 1 with
one line per disagreement otherwise.
"""
import re
import sys


def code_lists(header):
    text = open(header, encoding="utf-8").read()
    lists = {}
    for name in ("FLYT_KPI_LIST", "FLYT_ROLE_KPI_LIST", "FLYT_UNIT_KPI_LIST"):
        m = re.search(r"#define %s\(X\)(.*?)\n\n" % name, text, re.S)
        if not m:
            sys.exit("check_kpis_doc: no %s in %s" % (name, header))
        lists[name] = dict(re.findall(r'X\((\w+),\s*"([^"]*)"', m.group(1)))
    return lists


def expand(cell):
    names, stem = [], None
    for tok in re.findall(r"`([^`]+)`", cell):
        if tok.startswith("_") and stem:
            names.append(stem + tok)
        else:
            names.append(tok)
            stem = tok.rsplit("_", 1)[0]
    return names


def doc_tables(md):
    """The rows of each table whose header's first cell is `KPI` or
    `role KPI` or `unit KPI`: {header: [(line, names, units)]}."""
    tables, current = {}, None
    for no, line in enumerate(open(md, encoding="utf-8"), 1):
        if not line.startswith("|"):
            current = None
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if current is None:
            current = cells[0] if cells[0] in ("KPI", "role KPI", "unit KPI") and cells[1] == "units" else ""
            if current:
                tables.setdefault(current, [])
            continue
        if current and not set(cells[0]) <= set("-: "):
            tables[current].append((no, expand(cells[0]), cells[1]))
    return tables


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    code = code_lists(sys.argv[1])
    doc = doc_tables(sys.argv[2])
    problems = []
    for header, list_name in (("KPI", "FLYT_KPI_LIST"), ("role KPI", "FLYT_ROLE_KPI_LIST"),
                              ("unit KPI", "FLYT_UNIT_KPI_LIST")):
        want = code[list_name]
        seen = {}
        for no, names, units in doc.get(header, []):
            for n in names:
                if n not in want:
                    problems.append("%s:%d: `%s` is not a KPI in %s (%s)"
                                    % (sys.argv[2], no, n, list_name, sys.argv[1]))
                elif units != want[n]:
                    problems.append("%s:%d: `%s` has units '%s' here, '%s' in the code"
                                    % (sys.argv[2], no, n, units, want[n]))
                seen[n] = no
        for n in want:
            if n not in seen:
                problems.append("%s: no row for %s `%s` (units '%s')"
                                % (sys.argv[2], header, n, want[n]))
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
