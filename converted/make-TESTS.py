#!/usr/bin/python3
"""Writes converted/TESTS.md: the scenario text embedded in tests/ (C string
constants holding `units:`) converted by `flyt upgrade`, and every line of
tests/ that names an old scenario key or KPI, with its new name.

Usage (from the source root): converted/make-TESTS.py FLYT > converted/TESTS.md
"""
import ast
import glob
import re
import subprocess
import sys
import tempfile

flyt = sys.argv[1]


def c_strings(lines, start):
    """The C string constant starting at line index start: (text, last index)."""
    text, i = "", start
    while True:
        code = re.sub(r"/\*.*?\*/", "", lines[i])
        for lit in re.findall(r'"(?:[^"\\]|\\.)*"', code):
            text += ast.literal_eval(lit)
        if code.rstrip().endswith(";"):
            return text, i
        i += 1


def upgrade(text):
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as f:
        f.write(text)
    out = subprocess.run([flyt, "upgrade", "--no-check", f.name], capture_output=True, text=True)
    return out.stdout if out.returncode == 0 else "(flyt upgrade failed: %s)" % out.stderr


print("# Scenario text in tests/ in the network form\n")
print("Made by `converted/make-TESTS.py` with `flyt upgrade --no-check`. Line numbers in")
print("expected messages (`mini.cfg:21: ...`) and key paths in them need the new form's")
print("answers: the new loader's messages decide those.\n")
print("## Embedded scenarios\n")
for path in sorted(glob.glob("tests/*.c")):
    if path.endswith("test_upgrade.c"):
        continue
    lines = open(path, encoding="utf-8").read().split("\n")
    for i, line in enumerate(lines):
        m = re.match(r"\s*static const char (\w+)\[\]\s*=", line)
        if not m:
            continue
        text, last = c_strings(lines, i + (0 if '"' in line else 1))
        if "units:" not in text and "units :" not in text:
            continue
        print("### %s:%d-%d (`%s`)\n" % (path, i + 1, last + 1, m.group(1)))
        print("```\n%s```\n" % upgrade(text))

doc = open("docs/scenario-reference.md", encoding="utf-8").read()
m = re.search(r"<!-- example:begin -->\n```\n(.*?)```\n<!-- example:end -->", doc, re.S)
if m:
    print("### docs/scenario-reference.md, the complete minimal example (checked by tests/e2e_keys.sh)\n")
    print("```\n%s```\n" % upgrade(m.group(1)))

OLD_KEYS = [
    "units.short_term.beds", "units.nursing_home.beds", "units.home_care.hours_per_week",
    "units.home_care.initial_users", "units.home_care.hours_per_user",
    "report.nh_target_days", "decision.admissions_on_weekends",
]
OLD_WORDS = ["st_los_factor", "nh_target_days", "admissions_on_weekends", "initial_users",
             "hours_per_user", "hours_per_week"]
KPIS = ["ukp_wait_mean_home_care", "ukp_wait_mean_short_term", "ukp_wait_mean_nursing_home",
        "st_los_mean", "st_los_median", "st_admissions", "st_admission_cfs_mean",
        "occ_short_term", "util_short_term", "occ_nursing_home", "util_nursing_home",
        "occ_home_care_users", "home_care_hours", "util_home_care", "nh_wait_mean",
        "nh_within_target", "nh_admissions", "deaths_hospital", "deaths_short_term",
        "deaths_nursing_home", "deaths_home_care"]


def new_name(word, kpi):
    args = ["--kpi", word] if kpi else ["--key", word]
    out = subprocess.run([flyt, "upgrade"] + args, capture_output=True, text=True)
    return out.stdout.strip() if out.returncode == 0 else "(no counterpart: admission_days per unit)"


print("## Old key and KPI names elsewhere in tests/\n")
print("Each line of tests/ (C, shell, Python; not the fuzz corpora) that names an old key")
print("path or KPI, with the new name. Unit-relative names inside scenario text (`beds =`)")
print("are in the section above. KPI names that are also series or HDF5 names")
print("(`home_care_hours`) may not need a change: check each.\n")
print("| where | old | new |")
print("|---|---|---|")
key_re = re.compile(r"(?<![\w.])(%s)((?:\.\w+)*)" % "|".join(re.escape(k) for k in OLD_KEYS))
kpi_re = re.compile(r"(?<![\w.])(%s)(?![\w])" % "|".join(KPIS))
for path in sorted(glob.glob("tests/*.c") + glob.glob("tests/*.sh") + glob.glob("tests/*.py")
                   + glob.glob("tests/fuzz/*.c")):
    if path.endswith(("test_upgrade.c", "e2e_upgrade.sh", "check_upgrade.py")):
        continue
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        seen = set()
        for m in key_re.finditer(line):
            old = m.group(0)
            if old not in seen:
                seen.add(old)
                print("| %s:%d | `%s` | `%s` |" % (path, n, old, new_name(old, False)))
        for m in kpi_re.finditer(line):
            old = m.group(0)
            if old not in seen:
                seen.add(old)
                print("| %s:%d | `%s` | `%s` |" % (path, n, old, new_name(old, True)))
