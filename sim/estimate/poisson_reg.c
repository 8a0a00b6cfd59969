/* Poisson regression of daily counts (McCullagh & Nelder 1989, ch. 6):
 * log link, treatment-coded month and weekday, a linear trend in years,
 * fitted by iteratively reweighted least squares on GSL's weighted linear
 * fit. The factors are then rescaled to an arithmetic mean of 1 because a
 * scenario multiplies its rates by them as they are: a geometric
 * normalisation would shift the mean rate by the factors' spread. */
#include "flyt/estimate.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_multifit.h>
#include <gsl/gsl_vector.h>

#include <math.h>
#include <string.h>

#define Z95 1.959963984540054

/* Where each level's coefficient is in the design: -1 for the reference
 * level (coefficient 0) and for levels without data. */
struct design {
    int mcol[12], wcol[7], tcol, p;
    bool mseen[12], wseen[7];
};

static int levels(const int *lv, size_t n, int nlev, bool on, bool *seen, int *col, int *p)
{
    memset(seen, 0, (size_t)nlev * sizeof *seen);
    for (int j = 0; j < nlev; j++)
        col[j] = -1;
    if (!on)
        return 0;
    for (size_t i = 0; i < n; i++) {
        if (lv[i] < 0 || lv[i] >= nlev)
            return -1;
        seen[lv[i]] = true;
    }
    bool ref = false;
    for (int j = 0; j < nlev; j++) {
        if (!seen[j])
            continue;
        if (ref)
            col[j] = (*p)++;
        ref = true;
    }
    return 0;
}

static int design(const struct flyt_est_days *x, struct design *d)
{
    d->p = 1;
    if (levels(x->month, x->n, 12, x->fit_month, d->mseen, d->mcol, &d->p) != 0 ||
        levels(x->weekday, x->n, 7, x->fit_weekday, d->wseen, d->wcol, &d->p) != 0)
        return -1;
    d->tcol = x->fit_trend ? d->p++ : -1;
    return 0;
}

static void fill_x(const struct flyt_est_days *x, const struct design *d, gsl_matrix *m)
{
    gsl_matrix_set_zero(m);
    for (size_t i = 0; i < x->n; i++) {
        gsl_matrix_set(m, i, 0, 1);
        if (x->fit_month && d->mcol[x->month[i]] >= 0)
            gsl_matrix_set(m, i, (size_t)d->mcol[x->month[i]], 1);
        if (x->fit_weekday && d->wcol[x->weekday[i]] >= 0)
            gsl_matrix_set(m, i, (size_t)d->wcol[x->weekday[i]], 1);
        if (d->tcol >= 0)
            gsl_matrix_set(m, i, (size_t)d->tcol, x->years[i]);
    }
}

struct work {
    gsl_matrix *x, *cov;
    gsl_vector *w, *z, *beta, *eta;
    gsl_multifit_linear_workspace *ws;
};

static void work_free(struct work *w)
{
    gsl_matrix_free(w->x);
    gsl_matrix_free(w->cov);
    gsl_vector_free(w->w);
    gsl_vector_free(w->z);
    gsl_vector_free(w->beta);
    gsl_vector_free(w->eta);
    gsl_multifit_linear_free(w->ws);
}

static int work_alloc(struct work *w, size_t n, size_t p)
{
    w->x = gsl_matrix_alloc(n, p);
    w->cov = gsl_matrix_alloc(p, p);
    w->w = gsl_vector_alloc(n);
    w->z = gsl_vector_alloc(n);
    w->beta = gsl_vector_alloc(p);
    w->eta = gsl_vector_alloc(n);
    w->ws = gsl_multifit_linear_alloc(n, p);
    return w->x && w->cov && w->w && w->z && w->beta && w->eta && w->ws ? 0 : -1;
}

static double deviance(const double *y, const gsl_vector *eta, size_t n)
{
    double dev = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = exp(gsl_vector_get(eta, i));
        dev += 2 * ((y[i] > 0 ? y[i] * log(y[i] / mu) : 0) - (y[i] - mu));
    }
    return dev;
}

/* IRLS: working response eta + (y - mu) / mu with weights mu. */
static bool irls(const struct flyt_est_days *x, struct work *w)
{
    size_t n = x->n;
    for (size_t i = 0; i < n; i++)
        gsl_vector_set(w->eta, i, log(x->count[i] + 0.5));
    double dev = GSL_POSINF;
    for (int it = 0; it < 100; it++) {
        for (size_t i = 0; i < n; i++) {
            double eta = gsl_vector_get(w->eta, i), mu = exp(eta);
            gsl_vector_set(w->w, i, mu);
            gsl_vector_set(w->z, i, eta + (x->count[i] - mu) / mu);
        }
        double chisq;
        if (gsl_multifit_wlinear(w->x, w->w, w->z, w->beta, w->cov, &chisq, w->ws) != 0)
            return false;
        gsl_blas_dgemv(CblasNoTrans, 1, w->x, w->beta, 0, w->eta);
        double d1 = deviance(x->count, w->eta, n);
        if (!isfinite(d1))
            return false;
        if (fabs(d1 - dev) < 1e-10 * (1 + fabs(d1)))
            return true;
        dev = d1;
    }
    return false;
}

/* Factors exp(beta_j) over the levels seen, rescaled to mean 1; the
 * interval by the delta method on log factor_j = beta_j - log mean_l
 * exp(beta_l). Adds the log of the mean to *logbase and its gradient to
 * gb. */
static void factors(const int *col, const bool *seen, int nlev, const gsl_vector *beta,
                    const gsl_matrix *cov, double *f, double *lo, double *hi, double *logbase,
                    double *gb)
{
    double raw[12], sum = 0;
    int nseen = 0;
    for (int j = 0; j < nlev; j++) {
        raw[j] = seen[j] ? (col[j] >= 0 ? exp(gsl_vector_get(beta, (size_t)col[j])) : 1) : 0;
        sum += raw[j];
        nseen += seen[j];
    }
    for (int j = 0; j < nlev; j++) {
        f[j] = 1;
        lo[j] = hi[j] = GSL_NAN;
    }
    if (nseen == 0)
        return;
    double mean = sum / nseen;
    *logbase += log(mean);
    for (int j = 0; j < nlev; j++)
        if (col[j] >= 0)
            gb[col[j]] += raw[j] / sum;
    for (int j = 0; j < nlev; j++) {
        if (!seen[j])
            continue;
        f[j] = raw[j] / mean;
        double v = 0;
        for (int a = 0; a < nlev; a++) {
            if (col[a] < 0)
                continue;
            double ga = (a == j) - raw[a] / sum;
            for (int b = 0; b < nlev; b++)
                if (col[b] >= 0)
                    v += ga * ((b == j) - raw[b] / sum) *
                         gsl_matrix_get(cov, (size_t)col[a], (size_t)col[b]);
        }
        lo[j] = f[j] * exp(-Z95 * sqrt(v));
        hi[j] = f[j] * exp(Z95 * sqrt(v));
    }
}

static void summarise(const struct flyt_est_days *x, const struct design *d, struct work *w,
                      struct flyt_est_rate_model *out)
{
    size_t n = x->n, p = (size_t)d->p;
    double pearson = 0;
    for (size_t i = 0; i < n; i++) {
        double mu = exp(gsl_vector_get(w->eta, i)), r = x->count[i] - mu;
        pearson += r * r / mu;
    }
    out->df = (int)(n - p);
    out->deviance = deviance(x->count, w->eta, n);
    out->dispersion = pearson / out->df;
    /* quasi-Poisson: widen by the dispersion, never narrow */
    gsl_matrix_scale(w->cov, GSL_MAX(1.0, out->dispersion));
    double gb[40] = { 0 }, logbase = gsl_vector_get(w->beta, 0);
    gb[0] = 1;
    factors(d->mcol, d->mseen, 12, w->beta, w->cov, out->month_factor, out->month_lo, out->month_hi,
            &logbase, gb);
    factors(d->wcol, d->wseen, 7, w->beta, w->cov, out->weekday_factor, out->weekday_lo,
            out->weekday_hi, &logbase, gb);
    double vb = 0;
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++)
            vb += gb[a] * gb[b] * gsl_matrix_get(w->cov, a, b);
    out->base = exp(logbase);
    out->base_lo = out->base * exp(-Z95 * sqrt(vb));
    out->base_hi = out->base * exp(Z95 * sqrt(vb));
    out->growth = 0;
    out->growth_lo = out->growth_hi = GSL_NAN;
    if (d->tcol >= 0) {
        double b = gsl_vector_get(w->beta, (size_t)d->tcol),
               se = sqrt(gsl_matrix_get(w->cov, (size_t)d->tcol, (size_t)d->tcol));
        out->growth = expm1(b);
        out->growth_lo = expm1(b - Z95 * se);
        out->growth_hi = expm1(b + Z95 * se);
    }
}

int flyt_est_poisson_days(const struct flyt_est_days *x, struct flyt_est_rate_model *out)
{
    struct design d;
    struct work w = { 0 };
    double total = 0;
    memset(out, 0, sizeof *out);
    if (!x || design(x, &d) != 0 || x->n <= (size_t)d.p)
        return -1;
    for (size_t i = 0; i < x->n; i++) {
        if (!(x->count[i] >= 0) || (d.tcol >= 0 && !isfinite(x->years[i])))
            return -1;
        total += x->count[i];
    }
    if (!(total > 0) || work_alloc(&w, x->n, (size_t)d.p) != 0) {
        work_free(&w);
        return -1;
    }
    fill_x(x, &d, w.x);
    out->ok = irls(x, &w);
    summarise(x, &d, &w, out);
    work_free(&w);
    return 0;
}
