/*
 * The comparison on the terminal: a table per variant for people, one JSON
 * object for scripts. Figures print as in `flyt run` (print_util.h).
 */
#include "flyt/compare.h"
#include "flyt/output.h"
#include "output/print/print_util.h"
#include "output/print/warnings.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define ROW_FMT "%-*s  %-*s  %12s  %12s  %12s%1s  %-27s  %10s  %8s  %4s\n"

struct widths {
    int name, units;
};

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

static const char *fmt_pct(char *buf, size_t len, double fraction)
{
    if (isfinite(fraction) && fabs(fraction) < 1e6)
        snprintf(buf, len, "%.1f%%", 100 * fraction);
    else if (isfinite(fraction)) /* %.1f of 1e300 would print 300 digits */
        snprintf(buf, len, "%.4g%%", 100 * fraction);
    else
        snprintf(buf, len, "-");
    return buf;
}

static void header(FILE *out, const struct widths *w, const char *first)
{
    fprintf(out, ROW_FMT, w->name, first, w->units, "units", "base", "variant", "difference", "",
            "paired 95% CI", "unpaired +-", "var.red.", "n");
}

/* own (a role only one scenario has) is that side's figure: its interval
 * goes in the CI column, as there is no difference to give one for. */
static void row(FILE *out, const struct widths *w, const char *name, const char *units,
                const struct flyt_paired *p, const struct flyt_stat *own)
{
    char b[32], v[32], d[32], ci[80], uh[32], vr[32], n[16];
    if (own)
        flyt__fmt_interval(ci, sizeof ci, own->ci_low, own->ci_high);
    else
        flyt__fmt_ci(ci, sizeof ci, p->diff.mean, p->diff.ci_half);
    snprintf(n, sizeof n, "%u", own ? own->n : p->diff.n);
    fprintf(out, ROW_FMT, w->name, name, w->units, units, flyt__fmt_num(b, sizeof b, p->base.mean),
            flyt__fmt_num(v, sizeof v, p->variant.mean), flyt__fmt_num(d, sizeof d, p->diff.mean),
            flyt_paired_excludes_zero(p) ? "*" : "", ci,
            flyt__fmt_num(uh, sizeof uh, p->unpaired_half),
            fmt_pct(vr, sizeof vr, p->variance_reduction), n);
}

static const char *side_note(int base_index, int variant_index)
{
    if (base_index < 0)
        return "only in the variant: its own mean and 95% CI, no difference";
    if (variant_index < 0)
        return "only in the base: its own mean and 95% CI, no difference";
    return "in both";
}

static void role_table(FILE *out, const struct flyt_compare *cmp)
{
    struct widths w = { widest(flyt_role_kpi_defs, FLYT_N_ROLE_KPI, 0, 15),
                        widest(flyt_role_kpi_defs, FLYT_N_ROLE_KPI, 1, 5) };
    for (unsigned i = 0; i < cmp->n_roles; i++) {
        const struct flyt_compare_role *cr = &cmp->role[i];
        fprintf(out, "\ncoordinator role '%s' (%s)\n", cr->name,
                side_note(cr->base_index, cr->variant_index));
        header(out, &w, "role KPI");
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
            const struct flyt_paired *p = &cr->kpi[k];
            const struct flyt_stat *own = cr->base_index < 0      ? &p->variant
                                          : cr->variant_index < 0 ? &p->base
                                                                  : NULL;
            row(out, &w, flyt_role_kpi_defs[k].name, flyt_role_kpi_defs[k].units, p, own);
        }
    }
}

static void unit_table(FILE *out, const struct flyt_compare *cmp)
{
    struct widths w = { widest(flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, 0, 15),
                        widest(flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, 1, 5) };
    for (unsigned i = 0; i < cmp->n_units; i++) {
        const struct flyt_compare_unit *cu = &cmp->unit[i];
        fprintf(out, "\nunit '%s' (%s)\n", cu->id, side_note(cu->base_index, cu->variant_index));
        header(out, &w, "unit KPI");
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
            const struct flyt_paired *p = &cu->kpi[k];
            const struct flyt_stat *own = cu->base_index < 0      ? &p->variant
                                          : cu->variant_index < 0 ? &p->base
                                                                  : NULL;
            row(out, &w, flyt_unit_kpi_defs[k].name, flyt_unit_kpi_defs[k].units, p, own);
        }
    }
}

/* A region: per municipality the figures a change in one of them moves
 * in the others (every KPI is in JSON and HDF5). */
static void muni_table(FILE *out, const struct flyt_compare *cmp)
{
    static const int shown[] = { FLYT_KPI_ukp_wait_mean, FLYT_KPI_ukp_days_per_year,
                                 FLYT_KPI_ukp_payment_per_year };
    if (cmp->n_munis == 0)
        return;
    int wid = 12;
    for (unsigned i = 0; i < cmp->n_munis; i++)
        if ((int)strlen(cmp->muni[i].id) > wid)
            wid = (int)strlen(cmp->muni[i].id);
    fputs("\nper municipality: difference (variant - base) and its paired 95% CI; * excludes 0\n",
          out);
    fprintf(out, "%-*s", wid, "municipality");
    for (size_t c = 0; c < sizeof shown / sizeof shown[0]; c++)
        fprintf(out, "  %-40s", flyt_kpi_defs[shown[c]].name);
    fputc('\n', out);
    for (unsigned i = 0; i < cmp->n_munis; i++) {
        const struct flyt_compare_muni *cm = &cmp->muni[i];
        fprintf(out, "%-*s", wid, cm->id);
        if (cm->base_index < 0 || cm->variant_index < 0) {
            fprintf(out, "  (%s)\n", side_note(cm->base_index, cm->variant_index));
            continue;
        }
        for (size_t c = 0; c < sizeof shown / sizeof shown[0]; c++) {
            const struct flyt_paired *p = &cm->kpi[shown[c]];
            char d[32], ci[80], cell[128];
            snprintf(cell, sizeof cell, "%s%s %s", flyt__fmt_num(d, sizeof d, p->diff.mean),
                     flyt_paired_excludes_zero(p) ? "*" : "",
                     flyt__fmt_ci(ci, sizeof ci, p->diff.mean, p->diff.ci_half));
            fprintf(out, "  %-40s", cell);
        }
        fputc('\n', out);
    }
}

/* Whether a variant ran with a horizon, warm-up or start date of its own
 * (flyt compare --allow-different-settings; seed and replications are
 * always the base's). */
static bool own_settings(const struct flyt_scenario *v, const struct flyt_scenario *b)
{
    return v->horizon_days != b->horizon_days || v->warmup_days != b->warmup_days ||
           v->start_year != b->start_year || v->start_month != b->start_month ||
           v->start_mday != b->start_mday;
}

static void settings_line(FILE *out, const char *role, const struct flyt_scenario *s)
{
    fprintf(out, "  %-9s '%s': start %04d-%02d-%02d, horizon %g days, warm-up %g days\n", role,
            s->name ? s->name : "", s->start_year, s->start_month, s->start_mday, s->horizon_days,
            s->warmup_days);
}

void flyt_compare_print_table(FILE *out, const struct flyt_compare_run *runs, size_t n_runs,
                              size_t n_rep, const struct flyt_compare *cmp)
{
    const struct flyt_scenario *b = runs[0].scenario;
    struct widths w = { widest(flyt_kpi_defs, FLYT_N_KPI, 0, 3),
                        widest(flyt_kpi_defs, FLYT_N_KPI, 1, 5) };
    bool mixed = false;
    for (size_t v = 1; v < n_runs; v++)
        mixed = mixed || own_settings(runs[v].scenario, b);
    if (!mixed) {
        fprintf(out,
                "base '%s': %zu replications, seed %" PRIu64
                ", horizon %g days, warm-up %g days; every scenario\n"
                "runs with these, so replication r of each sees the same patients.\n",
                b->name ? b->name : "", n_rep, b->seed, b->horizon_days, b->warmup_days);
    } else {
        /* the planner asked for it, but the figures must say so: a
         * difference below is the variant's and its settings' together */
        fprintf(out,
                "SETTINGS DIFFER (--allow-different-settings): every scenario runs %zu "
                "replications\nwith seed %" PRIu64
                ", but each with its own start, horizon and warm-up; differences\n"
                "marked [settings differ] are partly due to these:\n",
                n_rep, b->seed);
        settings_line(out, "base", b);
        for (size_t v = 1; v < n_runs; v++) {
            char role[32];
            snprintf(role, sizeof role, "variant %zu", v);
            settings_line(out, role, runs[v].scenario);
        }
    }
    fputs("difference = variant - base; * = the paired 95% CI excludes 0; unpaired +- = the\n"
          "95% half-width without pairing (Welch); var.red. = variance removed by pairing.\n",
          out);
    for (size_t v = 1; v < n_runs; v++) {
        const struct flyt_compare *c = &cmp[v - 1];
        fprintf(out, "\nvariant %zu '%s' vs base '%s'%s\n", v,
                runs[v].scenario->name ? runs[v].scenario->name : "", b->name ? b->name : "",
                own_settings(runs[v].scenario, b) ? " [settings differ]" : "");
        header(out, &w, "KPI");
        for (int k = 0; k < FLYT_N_KPI; k++)
            row(out, &w, flyt_kpi_defs[k].name, flyt_kpi_defs[k].units, &c->kpi[k], NULL);
        role_table(out, c);
        unit_table(out, c);
        muni_table(out, c);
    }
    flyt__precision_print_table(out, runs[0].summary ? runs[0].summary->precision : NULL);
    flyt__few_replications_note(out, n_rep);
}

static void json_stat_ci(FILE *out, const char *key, const struct flyt_stat *s)
{
    int ok = isfinite(s->ci_low) && isfinite(s->ci_high);
    fprintf(out, ", \"%s\": [", key);
    flyt__json_num(out, ok ? s->ci_low : NAN);
    fputs(", ", out);
    flyt__json_num(out, ok ? s->ci_high : NAN);
    fputc(']', out);
}

static void json_field(FILE *out, const char *key, double x)
{
    fprintf(out, ", \"%s\": ", key);
    flyt__json_num(out, x);
}

static void json_figure(FILE *out, const struct flyt_field_def *def, const struct flyt_paired *p)
{
    flyt__json_str(out, def->name);
    fputs(": {\"units\": ", out);
    flyt__json_str(out, def->units);
    json_field(out, "base_mean", p->base.mean);
    json_stat_ci(out, "base_ci95", &p->base);
    json_field(out, "variant_mean", p->variant.mean);
    json_stat_ci(out, "variant_ci95", &p->variant);
    json_field(out, "diff_mean", p->diff.mean);
    json_field(out, "diff_sd", p->diff.sd);
    json_stat_ci(out, "diff_ci95", &p->diff);
    json_field(out, "unpaired_half", p->unpaired_half);
    json_field(out, "variance_reduction", p->variance_reduction);
    fprintf(out, ", \"n\": %u, \"excludes_zero\": %s}", p->diff.n,
            flyt_paired_excludes_zero(p) ? "true" : "false");
}

static void json_figures(FILE *out, const struct flyt_field_def *defs, int n,
                         const struct flyt_paired *p, const char *indent)
{
    fputs("{\n", out);
    for (int k = 0; k < n; k++) {
        fputs(indent, out);
        json_figure(out, &defs[k], &p[k]);
        fputs(k + 1 < n ? ",\n" : "}", out);
    }
    if (n == 0)
        fputc('}', out);
}

static void json_roles(FILE *out, const struct flyt_compare *c)
{
    fputs(",\n   \"roles\": {", out);
    for (unsigned i = 0; i < c->n_roles; i++) {
        const struct flyt_compare_role *cr = &c->role[i];
        fputs(i ? ",\n    " : "\n    ", out);
        flyt__json_str(out, cr->name);
        fprintf(out, ": {\"in_base\": %s, \"in_variant\": %s, \"kpis\": ",
                cr->base_index >= 0 ? "true" : "false", cr->variant_index >= 0 ? "true" : "false");
        json_figures(out, flyt_role_kpi_defs, FLYT_N_ROLE_KPI, cr->kpi, "     ");
        fputc('}', out);
    }
    fputs("}", out);
}

static void json_units(FILE *out, const struct flyt_compare *c)
{
    fputs(",\n   \"units\": {", out);
    for (unsigned i = 0; i < c->n_units; i++) {
        const struct flyt_compare_unit *cu = &c->unit[i];
        fputs(i ? ",\n    " : "\n    ", out);
        flyt__json_str(out, cu->id);
        fprintf(out, ": {\"in_base\": %s, \"in_variant\": %s, \"kpis\": ",
                cu->base_index >= 0 ? "true" : "false", cu->variant_index >= 0 ? "true" : "false");
        json_figures(out, flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, cu->kpi, "     ");
        fputc('}', out);
    }
    fputs("}", out);
}

static void json_munis(FILE *out, const struct flyt_compare *c)
{
    if (c->n_munis == 0)
        return;
    fputs(",\n   \"municipalities\": {", out);
    for (unsigned i = 0; i < c->n_munis; i++) {
        const struct flyt_compare_muni *cm = &c->muni[i];
        fputs(i ? ",\n    " : "\n    ", out);
        flyt__json_str(out, cm->id);
        fprintf(out, ": {\"in_base\": %s, \"in_variant\": %s, \"kpis\": ",
                cm->base_index >= 0 ? "true" : "false", cm->variant_index >= 0 ? "true" : "false");
        json_figures(out, flyt_kpi_defs, FLYT_N_KPI, cm->kpi, "     ");
        fputc('}', out);
    }
    fputs("}", out);
}

void flyt_compare_print_json(FILE *out, const struct flyt_compare_run *runs, size_t n_runs,
                             size_t n_rep, const struct flyt_compare *cmp)
{
    const struct flyt_scenario *b = runs[0].scenario;
    fputs("{\"base\": ", out);
    flyt__json_str(out, b->name);
    fprintf(out, ", \"replications\": %zu, \"seed\": %" PRIu64, n_rep, b->seed);
    fprintf(out, ", \"few_replications\": %s", flyt__few_replications(n_rep) ? "true" : "false");
    json_field(out, "horizon_days", b->horizon_days);
    json_field(out, "warmup_days", b->warmup_days);
    fprintf(out, ", \"start_date\": \"%04d-%02d-%02d\"", b->start_year, b->start_month,
            b->start_mday);
    fputs(",\n \"variants\": [", out);
    for (size_t v = 1; v < n_runs; v++) {
        fputs(v > 1 ? ",\n  {\"index\": " : "\n  {\"index\": ", out);
        fprintf(out, "%zu, \"name\": ", v);
        flyt__json_str(out, runs[v].scenario->name);
        const struct flyt_scenario *vs = runs[v].scenario;
        fprintf(out, ", \"settings_differ\": %s, \"start_date\": \"%04d-%02d-%02d\"",
                own_settings(vs, b) ? "true" : "false", vs->start_year, vs->start_month,
                vs->start_mday);
        json_field(out, "horizon_days", vs->horizon_days);
        json_field(out, "warmup_days", vs->warmup_days);
        fputs(",\n   \"kpis\": ", out);
        json_figures(out, flyt_kpi_defs, FLYT_N_KPI, cmp[v - 1].kpi, "    ");
        json_roles(out, &cmp[v - 1]);
        json_units(out, &cmp[v - 1]);
        json_munis(out, &cmp[v - 1]);
        fputc('}', out);
    }
    fputc(']', out);
    flyt__precision_print_json(out, runs[0].summary ? runs[0].summary->precision : NULL);
    fputs("}\n", out);
}
