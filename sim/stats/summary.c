#include "flyt/result.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdlib.h>

#define FLYT_FIELD_DEF(name, units, desc) { #name, units, desc },
const struct flyt_field_def flyt_kpi_defs[FLYT_N_KPI] = { FLYT_KPI_LIST(FLYT_FIELD_DEF) };
const struct flyt_field_def flyt_series_defs[FLYT_N_SERIES] = { FLYT_SERIES_LIST(FLYT_FIELD_DEF) };
#undef FLYT_FIELD_DEF

void flyt_result_free(struct flyt_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < FLYT_N_SERIES; i++) {
        free(r->series[i]);
        r->series[i] = NULL;
    }
}

/* Two passes (mean, then squared deviations) rather than running sums: the
 * KPIs include costs near 1e7 whose spread is small next to their size. */
static void summarize_kpi(struct flyt_summary *s, int k, const struct flyt_result *res,
                          size_t n_res)
{
    unsigned n = 0;
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n_res; i++) {
        double x = res[i].kpi[k];
        if (isfinite(x)) {
            n++;
            sum += x;
        }
    }
    s->n[k] = n;
    s->mean[k] = n > 0 ? sum / n : NAN;
    s->sd[k] = NAN;
    s->ci_half[k] = NAN;
    if (n < 2)
        return;
    for (size_t i = 0; i < n_res; i++) {
        double x = res[i].kpi[k];
        if (isfinite(x))
            ss += (x - s->mean[k]) * (x - s->mean[k]);
    }
    s->sd[k] = sqrt(ss / (n - 1));
    s->ci_half[k] = gsl_cdf_tdist_Pinv(0.975, n - 1) * s->sd[k] / sqrt((double)n);
}

void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res)
{
    for (int k = 0; k < FLYT_N_KPI; k++)
        summarize_kpi(s, k, res, n_res);
}
