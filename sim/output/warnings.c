/* Warnings under the summary table. A queue at or near saturation has no
 * steady state: its means depend on the horizon, and the intervals are
 * honest about the replications but not about the next year. Planners read
 * the table, so that is where the warning goes (stdout, after the table;
 * JSON carries the utilisations themselves). */
#include "output/warnings.h"

#include <math.h>
#include <stdbool.h>

static const struct {
    enum flyt_kpi kpi;
    const char *unit;
} util_kpis[] = {
    { FLYT_KPI_util_short_term, "short_term" },
    { FLYT_KPI_util_nursing_home, "nursing_home" },
    { FLYT_KPI_util_home_care, "home_care" },
};

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

int flyt__summary_print_warnings(FILE *out, const struct flyt_summary *sum)
{
    int n = 0;
    for (size_t i = 0; i < sizeof util_kpis / sizeof util_kpis[0]; i++) {
        double u = sum->mean[util_kpis[i].kpi];
        if (isfinite(u) && u >= FLYT_UNSTABLE_UTIL) {
            /* %.2f on a utilisation of 1e300 (a unit with 1e-300 hours)
             * would print 300 digits */
            fprintf(out,
                    u < 1e6 ? "%swarning: %s utilisation %.2f: queues may grow without bound\n"
                            : "%swarning: %s utilisation %.4g: queues may grow without bound\n",
                    n++ ? "" : "\n", util_kpis[i].unit, u);
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
