/* Warnings under the summary table. A queue at or near saturation has no
 * steady state: its means depend on the horizon, and the intervals are
 * honest about the replications but not about the next year. Planners read
 * the table, so that is where the warning goes (stdout, after the table;
 * JSON carries the utilisations themselves). */
#include "output/print/warnings.h"

#include <math.h>
#include <stdbool.h>

/* The UKP queue at the horizon compared with its time-average: more than
 * twice the mean (and a few patients more) says it was still growing. */
static bool ukp_growing(const struct flyt_summary *sum, double *at_end, double *mean)
{
    *at_end = sum->mean[FLYT_KPI_ukp_waiting_at_end];
    *mean = sum->mean[FLYT_KPI_occ_ukp];
    return isfinite(*at_end) && isfinite(*mean) && *at_end > 2.0 * *mean && *at_end >= *mean + 5.0;
}

/* One decimal for an everyday count; %g, bounded, for an absurd one
 * (%.1f of 1e300 prints 300 digits). */
static const char *count(char *buf, size_t len, double x)
{
    snprintf(buf, len, fabs(x) < 1e9 ? "%.1f" : "%.4g", x);
    return buf;
}

bool flyt__few_replications(size_t n)
{
    return n >= 2 && n < FLYT_FEW_REPLICATIONS;
}

void flyt__few_replications_note(FILE *out, size_t n)
{
    if (flyt__few_replications(n))
        fprintf(out,
                "\nnote: %zu replications: under %d, the 95%% intervals lean on the mean of "
                "each figure\nbeing near normal, which for skewed figures (waits, rare events, "
                "shares near 0 or 1)\nit need not be yet; run more replications (-r) before "
                "trusting them.\n",
                n, FLYT_FEW_REPLICATIONS);
}

/* At most this many named; the rest counted. */
#define SKEW_NAMED 6

static void skew_item(FILE *out, int *n, const char *unit, const char *name,
                      const struct flyt_stat *st)
{
    double need;
    if (!flyt_stat_skewed(st, &need))
        return;
    if (*n < SKEW_NAMED) {
        char full[160];
        snprintf(full, sizeof full, "%s%s%s", unit ? unit : "", unit ? "." : "", name);
        fprintf(out, "  %-36s G1 %5.1f  wants ~%.0f replications\n", full, st->skew, ceil(need));
    }
    (*n)++;
}

int flyt__skewed_note(FILE *out, const struct flyt_scenario *s, const struct flyt_summary *sum)
{
    /* counted first, so that nothing prints when nothing is skewed */
    int n = 0;
    FILE *null = NULL;
    for (int pass = 0; pass < 2; pass++) {
        FILE *o = pass ? out : null;
        if (pass && !n)
            return 0;
        if (pass) {
            fputs("\nnote: skewed across replications (sample skewness G1; by Cochran's rule "
                  "the\n95 % t-interval wants n > 25 G1^2 replications):\n",
                  out);
            n = 0;
        }
        for (int k = 0; k < FLYT_N_KPI; k++) {
            struct flyt_stat st = flyt_summary_stat(sum, k);
            if (o)
                skew_item(o, &n, NULL, flyt_kpi_defs[k].name, &st);
            else
                n += flyt_stat_skewed(&st, NULL);
        }
        for (unsigned u = 0; u < sum->n_units && s && u < (unsigned)s->n_units; u++)
            for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
                const struct flyt_stat *st = &flyt_summary_unit(sum, u)[k];
                if (o)
                    skew_item(o, &n, s->units[u].id, flyt_unit_kpi_defs[k].name, st);
                else
                    n += flyt_stat_skewed(st, NULL);
            }
    }
    if (n > SKEW_NAMED)
        fprintf(out, "  and %d more (JSON: \"skewed\")\n", n - SKEW_NAMED);
    fputs("their intervals may be too narrow or lopsided: run more replications (-r).\n", out);
    return n;
}

int flyt__summary_print_warnings(FILE *out, const struct flyt_scenario *s,
                                 const struct flyt_summary *sum)
{
    int n = 0;
    for (unsigned i = 0; i < sum->n_units && s && i < (unsigned)s->n_units; i++) {
        if (s->units[i].hospital)
            continue; /* never refuses anyone: its overflow is a figure, not a queue */
        double u = flyt_summary_unit(sum, i)[FLYT_UNIT_KPI_utilisation].mean;
        if (isfinite(u) && u >= FLYT_UNSTABLE_UTIL) {
            /* %.2f on a utilisation of 1e300 (a unit with 1e-300 hours)
             * would print 300 digits */
            fprintf(out,
                    u < 1e6 ? "%swarning: %s utilisation %.2f: queues may grow without bound\n"
                            : "%swarning: %s utilisation %.4g: queues may grow without bound\n",
                    n++ ? "" : "\n", s->units[i].id, u);
        }
    }
    double at_end, mean;
    char e[32], m[32];
    if (ukp_growing(sum, &at_end, &mean)) {
        fprintf(out,
                "%swarning: %s UKP patients still waiting at the end against %s on "
                "average: the UKP queue may grow without bound\n",
                n++ ? "" : "\n", count(e, sizeof e, at_end), count(m, sizeof m, mean));
    }
    return n;
}
