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

int flyt__summary_print_warnings(FILE *out, const struct flyt_summary *sum)
{
    int n = 0;
    for (size_t i = 0; i < sizeof util_kpis / sizeof util_kpis[0]; i++) {
        double u = sum->mean[util_kpis[i].kpi];
        if (isfinite(u) && u >= FLYT_UNSTABLE_UTIL) {
            fprintf(out, "%swarning: %s utilisation %.2f: queues may grow without bound\n",
                    n++ ? "" : "\n", util_kpis[i].unit, u);
        }
    }
    double at_end, mean;
    if (ukp_growing(sum, &at_end, &mean)) {
        fprintf(out,
                "%swarning: %.1f UKP patients still waiting at the end against %.1f on "
                "average: the UKP queue may grow without bound\n",
                n++ ? "" : "\n", at_end, mean);
    }
    return n;
}
