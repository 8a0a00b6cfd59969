#include "flyt/result.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdlib.h>

#define FLYT_FIELD_DEF(name, units, desc) { #name, units, desc },
const struct flyt_field_def flyt_kpi_defs[FLYT_N_KPI] = { FLYT_KPI_LIST(FLYT_FIELD_DEF) };
const struct flyt_field_def flyt_series_defs[FLYT_N_SERIES] = { FLYT_SERIES_LIST(FLYT_FIELD_DEF) };
const struct flyt_field_def flyt_role_kpi_defs[FLYT_N_ROLE_KPI] = { FLYT_ROLE_KPI_LIST(
        FLYT_FIELD_DEF) };
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
struct flyt_stat flyt_stat_of(const double *x, size_t n_x)
{
    struct flyt_stat st = { NAN, NAN, NAN, 0 };
    unsigned n = 0;
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n_x; i++)
        if (isfinite(x[i])) {
            n++;
            sum += x[i];
        }
    st.n = n;
    if (n == 0)
        return st;
    st.mean = sum / n;
    if (n < 2)
        return st;
    for (size_t i = 0; i < n_x; i++)
        if (isfinite(x[i]))
            ss += (x[i] - st.mean) * (x[i] - st.mean);
    st.sd = sqrt(ss / (n - 1));
    st.ci_half = gsl_cdf_tdist_Pinv(0.975, n - 1) * st.sd / sqrt((double)n);
    return st;
}

void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res)
{
    double stack[256];
    double *x = n_res <= 256 ? stack : malloc(n_res * sizeof *x);
    if (!x)
        abort(); /* a few KB for a summary; nothing sensible to do without it */
    for (int k = 0; k < FLYT_N_KPI; k++) {
        for (size_t i = 0; i < n_res; i++)
            x[i] = res[i].kpi[k];
        struct flyt_stat st = flyt_stat_of(x, n_res);
        s->mean[k] = st.mean;
        s->sd[k] = st.sd;
        s->ci_half[k] = st.ci_half;
        s->n[k] = st.n;
    }
    s->series = NULL;
    s->n_roles = n_res > 0 ? res[0].n_roles : 0;
    for (unsigned r = 0; r < s->n_roles; r++)
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
            for (size_t i = 0; i < n_res; i++)
                x[i] = res[i].role_kpi[r][k];
            s->role[r][k] = flyt_stat_of(x, n_res);
        }
    if (x != stack)
        free(x);
}
