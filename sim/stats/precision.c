/* Sequential precision (include/flyt/precision.h). */
#include "flyt/precision.h"

#include <math.h>
#include <stdlib.h>

double flyt_precision_rel(const struct flyt_stat *st)
{
    if (st->n < 2 || !isfinite(st->mean) || !isfinite(st->ci_half))
        return INFINITY;
    if (st->ci_half == 0)
        return 0;
    return st->mean == 0 ? INFINITY : st->ci_half / fabs(st->mean);
}

unsigned flyt_precision_next(unsigned n, unsigned max)
{
    if (n >= max)
        return n;
    unsigned step = n / 2 > FLYT_PRECISION_MIN_BATCH ? n / 2 : FLYT_PRECISION_MIN_BATCH;
    return max - n < step ? max : n + step;
}

double flyt_precision_rel_paired(const struct flyt_stat *diff, const struct flyt_stat *base)
{
    if (diff->n < 2 || !isfinite(diff->mean) || !isfinite(diff->ci_half))
        return INFINITY;
    if (diff->ci_half == 0)
        return 0;
    double against = fabs(diff->mean) > diff->ci_half ? fabs(diff->mean) : fabs(base->mean);
    return against > 0 && isfinite(against) ? diff->ci_half / against : INFINITY;
}

void flyt_precision_assess_paired(struct flyt_precision_report *r, const struct flyt_result *base,
                                  const struct flyt_result *const *variants, size_t n_res)
{
    double *x = malloc((n_res ? n_res : 1) * 2 * sizeof *x);
    if (!x)
        abort(); /* as flyt_summary_compute */
    double *b = x + n_res;
    r->met = true;
    for (size_t k = 0; k < r->n; k++) {
        struct flyt_precision_kpi *q = &r->kpi[k];
        const struct flyt_result *v = variants[q->variant - 1];
        for (size_t i = 0; i < n_res; i++) {
            b[i] = flyt_kpi_value(&base[i], q->handle);
            x[i] = flyt_kpi_value(&v[i], q->handle) - b[i];
        }
        struct flyt_stat sd = flyt_stat_of(x, n_res), sb = flyt_stat_of(b, n_res);
        q->rel = flyt_precision_rel_paired(&sd, &sb);
        q->n_finite = sd.n;
        q->met = q->rel <= r->target;
        r->met &= q->met;
    }
    free(x);
}

void flyt_precision_assess(struct flyt_precision_report *r, const struct flyt_result *res,
                           size_t n_res)
{
    double stack[256];
    double *x = n_res <= 256 ? stack : malloc(n_res * sizeof *x);
    if (!x)
        abort(); /* as flyt_summary_compute: a few KB */
    r->met = true;
    for (size_t k = 0; k < r->n; k++) {
        for (size_t i = 0; i < n_res; i++)
            x[i] = flyt_kpi_value(&res[i], r->kpi[k].handle);
        struct flyt_stat st = flyt_stat_of(x, n_res);
        r->kpi[k].rel = flyt_precision_rel(&st);
        r->kpi[k].n_finite = st.n;
        r->kpi[k].met = r->kpi[k].rel <= r->target;
        r->met &= r->kpi[k].met;
    }
    if (x != stack)
        free(x);
}
