/*
 * The terminal summary: an aligned table for people, JSON for scripts.
 * Undefined figures (no replication measured anything, or too few for an
 * interval) print as "-" in the table and null in JSON.
 */
#include "flyt/output.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

/* Four significant digits, but never an exponent for everyday magnitudes:
 * a yearly cost of 31 million prints as 31000000, not 3.1e+07. */
static const char *fmt_num(char *buf, size_t len, double x)
{
    if (!isfinite(x))
        snprintf(buf, len, "-");
    else if (fabs(x) >= 1000 && fabs(x) < 1e15)
        snprintf(buf, len, "%.0f", x);
    else
        snprintf(buf, len, "%.4g", x);
    return buf;
}

static const char *fmt_ci(char *buf, size_t len, double mean, double half)
{
    char lo[32], hi[32];
    if (!isfinite(mean) || !isfinite(half))
        snprintf(buf, len, "-");
    else
        snprintf(buf, len, "[%s, %s]", fmt_num(lo, sizeof lo, mean - half),
                 fmt_num(hi, sizeof hi, mean + half));
    return buf;
}

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
    for (int k = 0; k < FLYT_N_KPI; k++) {
        char mean[32], ci[80];
        fprintf(out, "%-*s  %-*s  %12s  %-27s  %5u\n", wn, flyt_kpi_defs[k].name, wu,
                flyt_kpi_defs[k].units, fmt_num(mean, sizeof mean, sum->mean[k]),
                fmt_ci(ci, sizeof ci, sum->mean[k], sum->ci_half[k]), sum->n[k]);
    }
}

static void json_str(FILE *out, const char *str)
{
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)(str ? str : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(out, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", out);
        else if (*p == '\t')
            fputs("\\t", out);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(out, "\\u%04x", *p);
        else
            fputc(*p, out);
    }
    fputc('"', out);
}

/* %.17g round-trips a double; JSON has no NaN or infinity. */
static void json_num(FILE *out, double x)
{
    if (isfinite(x))
        fprintf(out, "%.17g", x);
    else
        fputs("null", out);
}

static void json_kpi(FILE *out, const struct flyt_summary *sum, int k)
{
    double m = sum->mean[k], h = sum->ci_half[k];
    int ci = isfinite(m) && isfinite(h);
    json_str(out, flyt_kpi_defs[k].name);
    fputs(": {\"mean\": ", out);
    json_num(out, m);
    fputs(", \"sd\": ", out);
    json_num(out, sum->sd[k]);
    fputs(", \"ci95\": [", out);
    json_num(out, ci ? m - h : NAN);
    fputs(", ", out);
    json_num(out, ci ? m + h : NAN);
    fprintf(out, "], \"n\": %u, \"units\": ", sum->n[k]);
    json_str(out, flyt_kpi_defs[k].units);
    fputc('}', out);
}

void flyt_summary_print_json(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum, size_t n_res)
{
    fputs("{\"scenario\": ", out);
    json_str(out, s->name);
    fprintf(out, ", \"replications\": %zu, \"seed\": %" PRIu64 ", \"horizon_days\": ", n_res,
            s->seed);
    json_num(out, s->horizon_days);
    fputs(", \"warmup_days\": ", out);
    json_num(out, s->warmup_days);
    fputs(",\n \"kpis\": {\n", out);
    for (int k = 0; k < FLYT_N_KPI; k++) {
        fputs("  ", out);
        json_kpi(out, sum, k);
        fputs(k + 1 < FLYT_N_KPI ? ",\n" : "\n", out);
    }
    fputs(" }}\n", out);
}
