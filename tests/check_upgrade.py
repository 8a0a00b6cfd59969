#!/usr/bin/python3
"""Check a file converted by `flyt upgrade` against the original.

Usage: check_upgrade.py FLYT OLD NEW

Reads both files' values through `flyt upgrade --dump-values` (libconfig's
own reading, not the converter's text map) and checks, with an old -> new
table of its own (the one in /work/spec-network.md, "Conversion"):
  - every old value is under its new key, with the same type and value;
  - the new file holds nothing else but what the conversion adds (each
    unit's id, name and kind, the hospital unit, not_ready_returns,
    the nursing home's outcome, admission_days, and a ukp role's
    los_unit = "short_term" right after its los_factor);
  - routing tables are in the old loader's order;
  - every comment of the old file is in the new one, in the same order.
A sweep or calibration spec (no units) is checked for its key and KPI
names instead. Prints one line per problem; exits 1 when there is any.
"""
import re
import subprocess
import sys

DEST = ["home", "home_care", "short_term", "nursing_home"]
OUTCOME = ["home", "home_care", "nursing_home", "hospital", "death"]
RATES = ["hospital", "nursing_home", "death", "home"]

UNIT_KEYS = {
    "short_term": {"beds": "capacity"},
    "nursing_home": {"beds": "capacity"},
    "home_care": {
        "hours_per_week": "capacity",
        "initial_users": "initial_clients",
        "hours_per_user": "hours_per_client",
    },
}
UNIT_HEAD = {
    "hospital": ("Hospital", "unlimited"),
    "short_term": ("Short-term beds", "beds"),
    "nursing_home": ("Nursing homes", "beds"),
    "home_care": ("Home care", "caseload"),
}
SPEC_KEYS = [
    ("units.short_term.beds", "units.short_term.capacity"),
    ("units.nursing_home.beds", "units.nursing_home.capacity"),
    ("units.home_care.hours_per_week", "units.home_care.capacity"),
    ("units.home_care.initial_users", "units.home_care.initial_clients"),
    ("units.home_care.hours_per_user", "units.home_care.hours_per_client"),
    ("report.nh_target_days", "report.wait_target_days"),
]
KPIS = {
    "st_los_mean": "units.short_term.los_mean",
    "st_los_median": "units.short_term.los_median",
    "st_admissions": "units.short_term.admissions",
    "st_admission_cfs_mean": "units.short_term.admission_cfs_mean",
    "occ_home_care_users": "units.home_care.occupancy",
    "home_care_hours": "units.home_care.hours_used",
    "util_home_care": "units.home_care.utilisation",
    "nh_wait_mean": "units.nursing_home.wait_mean",
    "nh_within_target": "units.nursing_home.wait_within_target",
    "nh_admissions": "units.nursing_home.admissions",
}
for u in ("short_term", "nursing_home", "home_care"):
    KPIS["ukp_wait_mean_" + u] = "units.%s.ukp_wait_mean" % u
    KPIS["deaths_" + u] = "units.%s.deaths" % u
for u in ("short_term", "nursing_home"):
    KPIS["occ_" + u] = "units.%s.occupancy" % u
    KPIS["util_" + u] = "units.%s.utilisation" % u
KPIS["deaths_hospital"] = "units.hospital.deaths"

problems = []


def bad(msg):
    problems.append(msg)


def dump(flyt, path):
    """[(path, type, value)] in the file's order."""
    out = subprocess.run([flyt, "upgrade", "--dump-values", path], capture_output=True,
                         text=True, check=False)
    if out.returncode != 0:
        bad("%s: --dump-values failed: %s" % (path, out.stderr.strip()))
        return []
    return [tuple(line.split("\t", 2)) for line in out.stdout.splitlines()]


def comments(text):
    """The comments of a libconfig text, in order, outside strings."""
    found, i, n = [], 0, len(text)
    while i < n:
        c = text[i]
        if c == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
            i += 1
        elif c == "#" or text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            found.append(text[i:end].rstrip())
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            found.append(text[i:end])
            i = end
        else:
            i += 1
    return found


def check_comments(old_text, new_text):
    new = iter(comments(new_text))
    for c in comments(old_text):
        if not any(c == d for d in new):
            bad("comment missing or out of order: %r" % c)
            return


def by_id(leaves):
    """units.[i].key -> units.<id>.key, and the ids in list order."""
    ids = {}
    for p, _, v in leaves:
        m = re.fullmatch(r"units\.\[(\d+)\]\.id", p)
        if m:
            ids[m.group(1)] = v.strip('"')
    out = []
    for p, t, v in leaves:
        m = re.match(r"units\.\[(\d+)\]", p)
        if m:
            p = "units." + ids.get(m.group(1), "?") + p[m.end():]
        out.append((p, t, v))
    order = [ids[k] for k in sorted(ids, key=int)]
    return out, order


def new_path(p):
    parts = p.split(".")
    if parts[0] == "units" and len(parts) >= 3:
        unit, rest = parts[1], parts[2:]
        ren = UNIT_KEYS.get(unit, {})
        rest[0] = ren.get(rest[0], rest[0])
        if rest[0] == "schedule" and len(rest) == 3:
            rest[2] = "capacity" if rest[2] in ("beds", "hours_per_week") else rest[2]
        if unit == "home_care" and rest[0] == "rates_per_year" and rest[-1] == "end":
            rest[-1] = "home"
        return ".".join(["units", unit] + rest)
    if p == "report.nh_target_days":
        return "report.wait_target_days"
    if re.fullmatch(r"coordinators\.\[\d+\]\.effects\.st_los_factor", p):
        return p.replace("st_los_factor", "los_factor")
    return p


def check_order(leaves):
    """Each routing table's keys in the order the old loader drew them."""
    tables = {}
    for p, _, _ in leaves:
        head, _, key = p.rpartition(".")
        if re.fullmatch(r"(decision|coordinators\.\[\d+\]\.effects)\.destination(\.\w+)?", head):
            tables.setdefault(head, (DEST, []))[1].append(key)
        elif re.fullmatch(r"(units\.short_term|coordinators\.\[\d+\]\.effects)\.outcome(\.\w+)?",
                          head):
            tables.setdefault(head, (OUTCOME, []))[1].append(key)
        elif re.fullmatch(r"units\.home_care\.rates_per_year(\.\w+)?", head):
            tables.setdefault(head, (RATES, []))[1].append(key)
    for head, (order, keys) in tables.items():
        ranks = [order.index(k) for k in keys if k in order]
        if ranks != sorted(ranks):
            bad("%s: keys %s not in the order %s" % (head, keys, order))


def check_scenario(old, new):
    new, order = by_id(new)
    want_order = [u for u in ("hospital", "short_term", "nursing_home", "home_care")
                  if u == "hospital" or any(p.startswith("units.%s." % u) for p, _, _ in old)]
    if order != want_order:
        bad("units in the order %s, expected %s" % (order, want_order))
    newd = {p: (t, v) for p, t, v in new}
    weekdays = ("decision.admissions_on_weekends", "bool", "false") in old
    seen = set()
    for p, t, v in old:
        if p == "decision.admissions_on_weekends" or (p, t) == ("units", "group"):
            continue
        q = new_path(p)
        if q == "units.nursing_home.priority":
            v = v.replace('"home"', '"home_care"')
        seen.add(q)
        if newd.get(q) != (t, v):
            bad("%s = %s %s: expected under %s, found %s" % (p, t, v, q, newd.get(q)))
    added = {}
    for u in order:
        name, kind = UNIT_HEAD[u]
        added["units.%s.id" % u] = ("string", '"%s"' % u)
        added["units.%s.name" % u] = ("string", '"%s"' % name)
        added["units.%s.kind" % u] = ("string", '"%s"' % kind)
        if u in ("short_term", "home_care"):
            added["units.%s.not_ready_returns" % u] = ("bool", "true")
        if u != "hospital" and weekdays:
            added["units.%s.admission_days" % u] = ("string", '"weekdays"')
    # a ukp role's st_los_factor scaled the short-term stay: the new
    # los_factor names that unit, in los_unit right after it
    olddict = {p: (t, v) for p, t, v in old}
    newkeys = [p for p, _, _ in new]
    for p, _, _ in old:
        m = re.fullmatch(r"(coordinators\.\[\d+\])\.effects\.st_los_factor", p)
        if m and olddict.get(m.group(1) + ".cases") == ("string", '"ukp"'):
            factor = m.group(1) + ".effects.los_factor"
            unit = m.group(1) + ".effects.los_unit"
            added[unit] = ("string", '"short_term"')
            if factor in newkeys and unit in newkeys and \
                    newkeys.index(unit) != newkeys.index(factor) + 1:
                bad("%s: not right after %s" % (unit, factor))
    if "hospital" in order:
        added["units.hospital.hospital"] = ("bool", "true")
    if "nursing_home" in order:
        added["units.nursing_home.outcome"] = ("string", '"death"')
    for p, tv in added.items():
        if newd.get(p) != tv:
            bad("%s: expected %s, found %s" % (p, tv, newd.get(p)))
    for p in newd:
        if p not in seen and p not in added:
            bad("%s: in the new file, not from the old one" % p)
    check_order(new)


def spec_string(path, s):
    if path.endswith(".kpi") or path == "kpi":
        return KPIS.get(s, s)
    key, eq, val = s.partition("=")
    for a, b in SPEC_KEYS:
        if key == a or key.startswith(a + "."):
            key = b + key[len(a):]
    if key.startswith("units.home_care.rates_per_year.") and key.endswith(".end"):
        key = key[:-3] + "home"
    return key + eq + val


def check_spec(old, new):
    if [p for p, _, _ in old] != [p for p, _, _ in new]:
        bad("the spec's keys changed")
        return
    for (p, t, v), (_, t2, v2) in zip(old, new):
        if re.search(r"(^|\.)(key|keys|set|kpi)$", p):
            v = re.sub(r'"([^"]*)"', lambda m: '"%s"' % spec_string(p, m.group(1)), v)
        if (t, v) != (t2, v2):
            bad("%s: %s %s became %s %s" % (p, t, v, t2, v2))


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    flyt, old_path, new_path_ = sys.argv[1:]
    old, new = dump(flyt, old_path), dump(flyt, new_path_)
    if old and new:
        if any(p == "units" or p.startswith("units.") for p, _, _ in old):
            check_scenario(old, new)
        else:
            check_spec(old, new)
    with open(old_path, encoding="utf-8") as f, open(new_path_, encoding="utf-8") as g:
        check_comments(f.read(), g.read())
    for p in problems:
        print("%s: %s" % (new_path_, p))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
