/*
 * The terminal summary: an aligned table for people, JSON for scripts.
 * Undefined figures (no replication measured anything, or too few for an
 * interval) print as "-" in the table and null in JSON.
 */
#include "flyt/mser.h"
#include "flyt/output.h"
#include "flyt/precision.h"
#include "output/print/munis_print.h"
#include "output/print/print_util.h"
#include "output/print/roles_print.h"
#include "output/print/warnings.h"

#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int widest(const struct flyt_field_def *defs, int n, int units, int at_least)
{
    int w = at_least;
    for (int i = 0; i < n; i++) {
        int len = (int)strlen(units ? defs[i].units : defs[i].name);
        if (len > w)
            w = len;
    }
    return w;
}

/* Only --warmup auto prints it: the check of a given warm-up speaks up
 * on stderr when it finds something, and is silent otherwise. */
static void warmup_table(FILE *out, const struct flyt_warmup_check *w)
{
    if (!w || !w->auto_chosen)
        return;
    fprintf(out,
            "\nwarm-up: %g days, chosen by MSER-5 on the replication-averaged daily series of "
            "a pilot run from day 0 (%g days); truncation per series:\n",
            w->warmup_days, w->pilot_days);
    for (size_t i = 0; i < w->n; i++) {
        const struct flyt_mser *m = &w->series[i].m;
        fprintf(out, "  %-40s  %6zu days%s\n", w->series[i].name, m->days,
                m->too_short ? "  (minimum in the second half: the horizon is too short to tell)"
                             : "");
    }
}

static void warmup_json(FILE *out, const struct flyt_warmup_check *w)
{
    if (!w || !w->auto_chosen)
        return;
    fputs(",\n \"warmup_auto\": {\"method\": \"MSER-5\", \"warmup_days\": ", out);
    flyt__json_num(out, w->warmup_days);
    fputs(", \"pilot_days\": ", out);
    flyt__json_num(out, w->pilot_days);
    fputs(", \"series\": {", out);
    for (size_t i = 0; i < w->n; i++) {
        fputs(i ? ", " : "", out);
        flyt__json_str(out, w->series[i].name);
        fprintf(out, ": {\"days\": %zu, \"too_short\": %s}", w->series[i].m.days,
                w->series[i].m.too_short ? "true" : "false");
    }
    fputs("}}", out);
}

void flyt__precision_print_table(FILE *out, const struct flyt_precision_report *p)
{
    if (!p)
        return;
    fprintf(out,
            "\nreplications: %u (-r auto, %u round%s): the 95%% CI half-width of %s within "
            "%g%% of %s %s\n",
            p->replications, p->batches, p->batches == 1 ? "" : "s",
            p->paired   ? "every paired difference"
            : p->n == 1 ? "the KPI"
                        : "every KPI",
            100 * p->target,
            p->paired ? "|mean difference| (of |base mean| where its CI includes 0)" : "the mean",
            p->met                      ? "was reached"
            : p->replications >= p->max ? "was NOT reached: the maximum count came first"
                                        : "was NOT reached (see the warning)");
    for (size_t k = 0; k < p->n; k++) {
        char rel[32];
        fprintf(out, "  %-48s  %10s  %s\n", p->kpi[k].name,
                isfinite(p->kpi[k].rel)
                        ? (snprintf(rel, sizeof rel, "%.3g%%", 100 * p->kpi[k].rel), rel)
                        : "-",
                p->kpi[k].met ? "met" : "not met");
    }
}

void flyt__precision_print_json(FILE *out, const struct flyt_precision_report *p)
{
    if (!p)
        return;
    fprintf(out, ",\n \"replications_auto\": {\"target\": ");
    flyt__json_num(out, p->target);
    fprintf(out,
            ", \"replications\": %u, \"max_replications\": %u, \"rounds\": %u, \"met\": %s, "
            "\"paired\": %s, \"precision\": {",
            p->replications, p->max, p->batches, p->met ? "true" : "false",
            p->paired ? "true" : "false");
    for (size_t k = 0; k < p->n; k++) {
        fputs(k ? ", " : "", out);
        flyt__json_str(out, p->kpi[k].name);
        fputs(": ", out);
        flyt__json_num(out, p->kpi[k].rel);
    }
    fputs("}}", out);
}

/* The table's note for a figure whose open share is large: "" when not. */
static bool open_note(char *buf, size_t size, double share)
{
    buf[0] = '\0';
    if (!(share > FLYT_OPEN_FLAG_SHARE))
        return false;
    snprintf(buf, size, "  open %.0f %%", 100 * share);
    return true;
}

/* JSON: the open share of a wait or stay figure and whether it is flagged. */
static void json_open(FILE *out, int sh, double share)
{
    if (sh < 0)
        return;
    fputs(", \"open_share\": ", out);
    flyt__json_num(out, share);
    fprintf(out, ", \"open_flag\": %s", share > FLYT_OPEN_FLAG_SHARE ? "true" : "false");
}

void flyt_summary_print_table(FILE *out, const struct flyt_scenario *s,
                              const struct flyt_summary *sum, size_t n_res)
{
    int wn = widest(flyt_kpi_defs, FLYT_N_KPI, 0, 3);
    int wu = widest(flyt_kpi_defs, FLYT_N_KPI, 1, 5);
    fprintf(out,
            "scenario '%s': %zu replications, seed %" PRIu64
            ", horizon %g days, warm-up %g days\n\n",
            s->name ? s->name : "", n_res, s->seed, s->horizon_days, s->warmup_days);
    fprintf(out, "%-*s  %-*s  %12s  %-27s  %5s\n", wn, "KPI", wu, "units", "mean", "95% CI", "n");
    bool flagged = false;
    for (int k = 0; k < FLYT_N_KPI; k++) {
        char mean[32], ci[80], note[32];
        int sh = flyt_kpi_open_share(k);
        flagged |= open_note(note, sizeof note, sh < 0 ? NAN : sum->mean[sh]);
        fprintf(out, "%-*s  %-*s  %12s  %-27s  %5u%s\n", wn, flyt_kpi_defs[k].name, wu,
                flyt_kpi_defs[k].units, flyt__fmt_num(mean, sizeof mean, sum->mean[k]),
                flyt__fmt_interval(ci, sizeof ci, sum->ci_low[k], sum->ci_high[k]), sum->n[k],
                note);
    }
    int wk = widest(flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, 0, 3);
    int wv = widest(flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, 1, 5);
    static const char *const kinds[FLYT_N_UNIT_KINDS] = { "beds", "caseload", "unlimited" };
    for (unsigned u = 0; u < sum->n_units && u < (unsigned)s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        fprintf(out, "\nunit '%s' (%s; %s%s)\n", x->id, x->name ? x->name : x->id, kinds[x->kind],
                x->hospital ? ", the hospital" : "");
        const struct flyt_stat *st = flyt_summary_unit(sum, u);
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
            if (st[k].n == 0)
                continue; /* not a figure of this kind of unit */
            char mean[32], ci[80], note[32];
            int sh = flyt_unit_kpi_open_share(k);
            flagged |= open_note(note, sizeof note, sh < 0 ? NAN : st[sh].mean);
            fprintf(out, "  %-*s  %-*s  %12s  %-27s  %5u%s\n", wk, flyt_unit_kpi_defs[k].name, wv,
                    flyt_unit_kpi_defs[k].units, flyt__fmt_num(mean, sizeof mean, st[k].mean),
                    flyt__fmt_interval(ci, sizeof ci, st[k].ci_low, st[k].ci_high), st[k].n, note);
        }
    }
    flyt__roles_print_table(out, s, sum);
    flyt__munis_print_table(out, s, sum);
    if (flagged)
        fprintf(out,
                "\nopen N %%: N %% of the figure's waits or stays (begun in the window) were "
                "still open\nat the horizon (over %.0f %%); the figure counts them (Little's law, "
                "Kaplan-Meier)\nbut leans on what the run did not see end: a longer horizon "
                "measures them\n(docs/kpis.md, \"Open at the horizon\").\n",
                100 * FLYT_OPEN_FLAG_SHARE);
    warmup_table(out, sum->warmup);
    flyt__precision_print_table(out, sum->precision);
    flyt__summary_print_warnings(out, s, sum);
    flyt__few_replications_note(out, n_res);
    flyt__skewed_note(out, s, sum);
}

static void json_kpi(FILE *out, const struct flyt_summary *sum, int k)
{
    double m = sum->mean[k], lo = sum->ci_low[k], hi = sum->ci_high[k];
    int ci = isfinite(lo) && isfinite(hi);
    flyt__json_str(out, flyt_kpi_defs[k].name);
    fputs(": {\"mean\": ", out);
    flyt__json_num(out, m);
    fputs(", \"sd\": ", out);
    flyt__json_num(out, sum->sd[k]);
    fputs(", \"ci95\": [", out);
    flyt__json_num(out, ci ? lo : NAN);
    fputs(", ", out);
    flyt__json_num(out, ci ? hi : NAN);
    fprintf(out, "], \"n\": %u, \"units\": ", sum->n[k]);
    flyt__json_str(out, flyt_kpi_defs[k].units);
    int sh = flyt_kpi_open_share(k);
    json_open(out, sh, sh < 0 ? NAN : sum->mean[sh]);
    struct flyt_stat st = flyt_summary_stat(sum, k);
    fputs(", \"skewness\": ", out);
    flyt__json_num(out, sum->skew[k]);
    fprintf(out, ", \"skewed\": %s", flyt_stat_skewed(&st, NULL) ? "true" : "false");
    fputc('}', out);
}

void flyt_summary_print_json(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum, size_t n_res)
{
    fputs("{\"scenario\": ", out);
    flyt__json_str(out, s->name);
    fprintf(out, ", \"replications\": %zu, \"seed\": %" PRIu64 ", \"horizon_days\": ", n_res,
            s->seed);
    flyt__json_num(out, s->horizon_days);
    fputs(", \"warmup_days\": ", out);
    flyt__json_num(out, s->warmup_days);
    fprintf(out, ", \"few_replications\": %s", flyt__few_replications(n_res) ? "true" : "false");
    fputs(",\n \"kpis\": {\n", out);
    for (int k = 0; k < FLYT_N_KPI; k++) {
        fputs("  ", out);
        json_kpi(out, sum, k);
        fputs(k + 1 < FLYT_N_KPI ? ",\n" : "\n", out);
    }
    fputs(" }", out);
    fputs(",\n \"units\": {", out);
    for (unsigned u = 0; u < sum->n_units && u < (unsigned)s->n_units; u++) {
        fputs(u ? ",\n  " : "\n  ", out);
        flyt__json_str(out, s->units[u].id);
        fputs(": {\"name\": ", out);
        flyt__json_str(out, s->units[u].name ? s->units[u].name : s->units[u].id);
        const struct flyt_stat *st = flyt_summary_unit(sum, u);
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
            double m = st[k].mean, lo = st[k].ci_low, hi = st[k].ci_high;
            int ci = isfinite(lo) && isfinite(hi);
            fputs(", ", out);
            flyt__json_str(out, flyt_unit_kpi_defs[k].name);
            fputs(": {\"mean\": ", out);
            flyt__json_num(out, m);
            fputs(", \"ci95\": [", out);
            flyt__json_num(out, ci ? lo : NAN);
            fputs(", ", out);
            flyt__json_num(out, ci ? hi : NAN);
            fprintf(out, "], \"n\": %u", st[k].n);
            int sh = flyt_unit_kpi_open_share(k);
            json_open(out, sh, sh < 0 ? NAN : st[sh].mean);
            fputc('}', out);
        }
        fputc('}', out);
    }
    fputs(" }", out);
    flyt__roles_print_json(out, s, sum);
    flyt__munis_print_json(out, s, sum);
    warmup_json(out, sum->warmup);
    flyt__precision_print_json(out, sum->precision);
    fputs("}\n", out);
}
