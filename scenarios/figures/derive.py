#!/usr/bin/python3
"""Writes the two derived Trondheim files from the fit of 2022 to every
public figure.

    derive.py fitted FIT.json > scenarios/trondheim-2022-fitted.cfg
    derive.py predicted FIT.json > scenarios/trondheim-2025-predicted.cfg

FIT.json is `flyt calibrate --format json` of
scenarios/calibration/trondheim-2022-figures-fit.calib. `fitted` is
scenarios/trondheim-2022.cfg with the fit's best point put in (flyt
calibrate writes a file only when the fit converged, and this one closed
on a point that misses a figure: the header says which); `predicted` is
that moved to 2025 by only what the pathway project documents, with nothing
fitted to 2025. The commented scenarios/trondheim-2022.cfg is the
template, so both keep its comments and sources; each value is put in at a
line found by its text in the template (an assertion fails when the
template no longer has it). The same bytes every run.
"""
import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATE = os.path.join(HERE, "..", "trondheim-2022.cfg")

# key of a fitted value -> (text that finds its line in the template, field)
FITTED_AT = {
    "decision.delay_days.mean": ('delay_days = { dist = "lognormal"; mean = 2.14;', "mean"),
    "units.short_term.los_days.fit.mean": ('fit    = { dist = "lognormal"; mean = 21.26;', "mean"),
    "units.short_term.los_days.frail.mean": ('frail  = { dist = "lognormal"; mean = 24.09;',
                                             "mean"),
    "units.short_term.los_days.severe.mean": ('severe = { dist = "lognormal"; mean = 26.93;',
                                              "mean"),
    "units.nursing_home.los_days.mean": ('los_days = { dist = "weibull"; mean = 790.0;', "mean"),
    "units.nursing_home.los_days.sd": ('los_days = { dist = "weibull"; mean = 790.0;', "sd"),
    "hospital.ukp_probability.fit": ("ukp_probability   = {", "fit"),
    "hospital.ukp_probability.frail": ("ukp_probability   = {", "frail"),
    "hospital.ukp_probability.severe": ("ukp_probability   = {", "severe"),
}
for g, line in (("fit", "fit    = { hospital = 0.6;"), ("frail", "frail  = { hospital = 0.9;"),
                ("severe", "severe = { hospital = 1.2;")):
    for f in ("hospital", "nursing_home", "death"):
        FITTED_AT["units.home_care.rates_per_year.%s.%s" % (g, f)] = (line, f)

# The pathway project's documented changes by 2025. The short-term stay is
# scaled to the project's target (20 days, from about 25), not to what was
# achieved; the decision delay is cut by what discharge planning achieves
# in the literature, as the project reports "new and clear routines" but
# no number.
ST_TARGET_FACTOR = 20.0 / 25.0
DELAY_CUT_DAYS = 0.73

COORDINATOR = """
# 2025 (Årsrapport 2025): the samhandlingskoordinator pilot at Øya helsehus,
# as in trondheim-2025-coordinator.cfg (one person, weekday day shifts,
# frail and severe UKP patients; its effects are that file's assumptions,
# not fitted). Without a base rate of not-ready returns here (none in
# 2022), the coordinator's not_ready_probability effect is left out.
coordinators = (
  {
    name = "samhandlingskoordinator";
    headcount = 1;                # one pilot position (Årsrapport 2025)
    workdays = ["mon", "tue", "wed", "thu", "fri"];
    hours = [8.0, 15.5];          # Norwegian day shift, 37.5 h a week
    holidays = ["2025-04-17", "2025-04-18", "2025-04-21", "2025-05-01", "2025-05-29",
                "2025-06-09", "2025-12-24", "2025-12-25", "2025-12-26", "2025-12-31",
                "2026-01-01", "2026-04-02", "2026-04-03", "2026-04-06"];   # public holidays
    cases = "ukp";
    groups = ["frail", "severe"];
    work_hours = { dist = "gamma"; mean = 1.5; sd = 0.75; };
    when_busy = "ordinary";       # patients it cannot reach go the usual way
    effects = {
      decision_delay_days = { dist = "uniform"; min = 0.0; max = 0.5; };
      destination = {
        frail  = { home = 0.04; home_care = 0.68; short_term = 0.25; nursing_home = 0.03; };
        severe = { home = 0.02; home_care = 0.55; short_term = 0.35; nursing_home = 0.08; };
      };
      los_factor = 0.90; los_unit = "short_term";
    };
  }
);
"""

FITTED_HEADER = """# Trondheim 2022 FITTED to every public figure: scenarios/trondheim-2022.cfg
# (the template; its comments below keep their wording, and the values that
# changed are marked "# FITTED") with the best point of flyt calibrate's fit
# calibration/trondheim-2022-figures-fit.calib, written by
# scenarios/figures/derive.py. The fit: %(status)s after %(evals)d evaluations
# (%(reps)d replications, seed %(seed)d): %(detail)s.
# Fitted values, 95 %% intervals from the replications' noise (delta method):
%(params)s
# Every figure, observed and modelled: scenarios/README.md ("Every public
# figure") and scenarios/figures/trondheim.csv (sources, uncertainties).

"""

HEADER = """# Trondheim 2025 PREDICTED from the fitted 2022 scenario, without refitting.
# Written by scenarios/figures/derive.py from scenarios/trondheim-2022.cfg
# (the template, whose comments below keep their 2022 wording) with the values
# of flyt calibrate's fit of 2022 to every public figure
# (calibration/trondheim-2022-figures-fit.calib, the same values as
# trondheim-2022-fitted.cfg), then changed by ONLY what the pathway project
# "Helhetlig pasientforløp for skrøpelige eldre" documents for 2025
# (Trondheim kommune, Årsrapport 2025, 2026), each marked "PREDICTED 2025:":
#  * 14 % more UKP patients 2024 -> 2025: admissions 40.0 a day as in
#    trondheim-2025.cfg (2024 = 2022 x 1.08^2, the 2022 file's assumption),
#    and home care scaled with them (15,500 h, 2,150 users, as in 2025);
#  * the short-term target stay: the project aimed at 20 days (from about 25):
#    the fitted stays x 0.8 (the target, not the 13.8 days achieved);
#  * the decision process ("new and clear routines", rapid assessment, going
#    directly home as the default): the decision delay cut by 0.73 day, what
#    discharge planning shortens stays by (Cochrane review 2016), and the
#    2025 file's destinations and short-term outcomes (fewer long-term
#    decisions before home care is tried, Utfordringer og strategier 2022);
#  * the samhandlingskoordinator pilot at Øya helsehus, as in
#    trondheim-2025-coordinator.cfg;
#  * the year: start 2025-01-01, seed 20251231, payment 5,950 NOK a day.
# Nothing here was fitted to a 2025 figure; the README compares the result
# with 1.85 waiting days and a 13.8-day stay (Årsrapport 2025).

"""


def set_field(text, anchor, field, value):
    lines = text.split("\n")
    hits = [i for i, ln in enumerate(lines) if anchor in ln]
    assert len(hits) == 1, "template: %d lines have %r" % (len(hits), anchor)
    i = hits[0]
    new, n = re.subn(r"\b%s\s*=\s*[-0-9.eE+]+" % re.escape(field),
                     "%s = %s" % (field, value), lines[i], count=1)
    assert n == 1, "template: no %s in %r" % (field, lines[i])
    lines[i] = new
    return "\n".join(lines)


def set_line(text, anchor, new):
    """The whole line that has anchor becomes new, at its indentation."""
    lines = text.split("\n")
    hits = [i for i, ln in enumerate(lines) if anchor in ln]
    assert len(hits) == 1, "template: %d lines have %r" % (len(hits), anchor)
    ln = lines[hits[0]]
    lines[hits[0]] = ln[:len(ln) - len(ln.lstrip())] + new
    return "\n".join(lines)


def replace_once(text, old, new):
    assert text.count(old) == 1, "template: %d times %r" % (text.count(old), old)
    return text.replace(old, new)


def lit(v):
    s = "%.10g" % v
    return s if any(c in s for c in ".eE") else s + ".0"


def fitted_text(fit):
    values = {}
    for p in fit["parameters"]:
        values.update(p["values"])
    text = open(TEMPLATE, encoding="utf-8").read()
    missing = set(values) - set(FITTED_AT)
    assert not missing, "no place in the template for %s" % sorted(missing)
    # lines found in the template as it is, before any value changes them
    lines = text.split("\n")
    at = {}
    for key in values:
        anchor = FITTED_AT[key][0]
        hits = [i for i, ln in enumerate(lines) if anchor in ln]
        assert len(hits) == 1, "template: %d lines have %r" % (len(hits), anchor)
        at[key] = hits[0]
    for key, v in sorted(values.items()):
        field = FITTED_AT[key][1]
        new, n = re.subn(r"\b%s\s*=\s*[-0-9.eE+]+" % re.escape(field),
                         "%s = %s" % (field, lit(v)), lines[at[key]], count=1)
        assert n == 1, "template: no %s in %r" % (field, lines[at[key]])
        lines[at[key]] = new
    for i in sorted(set(at.values())):
        lines[i] += "  # FITTED"
    return "\n".join(lines), values


def fitted(fit):
    text, _ = fitted_text(fit)
    text = replace_once(text, 'name = "trondheim-2022";', 'name = "trondheim-2022-fitted";')
    text = re.sub(r'description = "[^"]*";',
                  'description = "Trondheim 2022 fitted to every public figure (flyt calibrate, '
                  'calibration/trondheim-2022-figures-fit.calib).";', text, count=1)
    params = []
    for p in fit["parameters"]:
        ci = p.get("ci95")
        ci = "[%.4g, %.4g]" % tuple(ci) if ci and None not in ci else "(no interval)"
        params.append("#   %s: %.6g %s, started at %.4g, range %.4g-%.4g"
                      % (p["name"], p["fitted"], ci, p["start"], p["min"], p["max"]))
        if p["mode"] == "scale":
            for k, v in sorted(p["values"].items()):
                params.append("#     %s = %.6g" % (k, v))
    head = FITTED_HEADER % {"status": fit["status"], "evals": fit["evaluations"],
                            "reps": fit["replications"], "seed": fit["seed"],
                            "detail": fit["detail"], "params": "\n".join(params)}
    return head + text


def main(argv):
    if len(argv) != 2 or argv[0] not in ("fitted", "predicted"):
        print(__doc__, file=sys.stderr)
        return 2
    fit = json.load(open(argv[1], encoding="utf-8"))
    if argv[0] == "fitted":
        sys.stdout.write(fitted(fit))
        return 0
    text, values = fitted_text(fit)
    # the changes of 2025, on top of the fitted values
    d22 = values["decision.delay_days.mean"]
    text = set_line(text, 'delay_days = { dist = "lognormal"; mean =',
                    'delay_days = { dist = "lognormal"; mean = %s; sd = 1.6; };  # PREDICTED '
                    '2025: the fitted 2022 mean %s - %s (Cochrane 2016); sd as 2022'
                    % (lit(d22 - DELAY_CUT_DAYS), lit(d22), lit(DELAY_CUT_DAYS)))
    for g, pad, sd in (("fit", "   ", 16.0), ("frail", " ", 18.0), ("severe", "", 20.0)):
        key = "units.short_term.los_days.%s.mean" % g
        anchor = "%s%s= { dist = \"lognormal\"; mean = %s;" % (g, pad + " ", lit(values[key]))
        text = set_line(text, anchor, '%s%s= { dist = "lognormal"; mean = %s; sd = %s; };  '
                        '# PREDICTED 2025: the fitted 2022 mean %s x %s, the 20-day target'
                        % (g, pad + " ", lit(values[key] * ST_TARGET_FACTOR), lit(sd),
                           lit(values[key]), lit(ST_TARGET_FACTOR)))
    text = replace_once(text, 'name = "trondheim-2022";', 'name = "trondheim-2025-predicted";')
    text = re.sub(r'description = "[^"]*";',
                  'description = "Trondheim 2025 predicted from the fitted 2022 scenario by the '
                  'pathway project\'s documented changes only (not fitted to 2025).";', text,
                  count=1)
    text = set_line(text, 'start_date = "2022-01-01";',
                    'start_date = "2025-01-01";    # PREDICTED 2025: the year')
    text = set_line(text, "seed = 20221231L;", "seed = 20251231L;             # PREDICTED 2025: "
                    "the year's, by the date convention")
    text = set_line(text, "ukp_day_nok = 5306.0;", "ukp_day_nok = 5950.0;         # PREDICTED "
                    "2025: the 2025 rate (an estimate: 5,745 NOK in 2024, indexed yearly)")
    text = set_line(text, "admissions_per_day = 30.1;", "admissions_per_day = 40.0;  # PREDICTED "
                    "2025: 1.14 x the 2024 level, 35.1 (Årsrapport 2025)")
    text = set_line(text, "capacity = 11600.0;", "capacity = 15500.0;         # PREDICTED 2025: "
                    "scaled with admissions, as trondheim-2025.cfg")
    text = set_line(text, "initial_clients = 1620;", "initial_clients = 2150;     # PREDICTED "
                    "2025: as trondheim-2025.cfg")
    dest = {"fit": "home = 0.03; home_care = 0.71; short_term = 0.25; nursing_home = 0.01;",
            "frail": "home = 0.03; home_care = 0.56; short_term = 0.38; nursing_home = 0.03;",
            "severe": "home = 0.02; home_care = 0.45; short_term = 0.45; nursing_home = 0.08;"}
    old_dest = {"fit": "home = 0.01; home_care = 0.72; short_term = 0.25; nursing_home = 0.02;",
                "frail": "home = 0.01; home_care = 0.57; short_term = 0.37; nursing_home = 0.05;",
                "severe": "home = 0.01; home_care = 0.44; short_term = 0.43; nursing_home = 0.12;"}
    for g in dest:
        text = replace_once(text, old_dest[g] + " };",
                            dest[g] + " };  # PREDICTED 2025: as trondheim-2025.cfg")
    outc = {"fit": ("home = 0.10; home_care = 0.80; nursing_home = 0.03;",
                    "home = 0.10; home_care = 0.81; nursing_home = 0.02;"),
            "frail": ("home = 0.05; home_care = 0.77; nursing_home = 0.07;",
                      "home = 0.05; home_care = 0.79; nursing_home = 0.05;"),
            "severe": ("home = 0.02; home_care = 0.65; nursing_home = 0.14;",
                       "home = 0.02; home_care = 0.67; nursing_home = 0.12;")}
    for old, new in outc.values():
        text = replace_once(text, old, new)
    text = replace_once(text, "    outcome = {\n      fit    = { home = 0.10;",
                        "    # PREDICTED 2025: the short-term outcomes of trondheim-2025.cfg\n"
                        "    outcome = {\n      fit    = { home = 0.10;")
    out = HEADER + text.rstrip("\n") + "\n" + COORDINATOR
    sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
