/* Censored maximum likelihood (include/flyt/estimate.h): the exponential
 * in closed form, the two-parameter families by BFGS (GSL's vector_bfgs2)
 * on log-scale parameters, polished by Newton steps on the numerical
 * Hessian of the analytic gradient, which also gives the observed
 * information for the intervals. */
#include "estimate/est.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_math.h>
#include <gsl/gsl_multimin.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054

struct problem {
    const struct flyt_est_sample *x;
    const struct flyt__est_family *fam;
    double scale; /* 1/n: the maximiser sees the mean log-likelihood */
};

static double f_only(const gsl_vector *v, void *p)
{
    const struct problem *pr = p;
    double th[2] = { gsl_vector_get(v, 0), gsl_vector_get(v, 1) };
    double r = pr->fam->nll(pr->x, th, NULL) * pr->scale;
    return isfinite(r) ? r : GSL_POSINF;
}
static void fdf(const gsl_vector *v, void *p, double *f, gsl_vector *g)
{
    const struct problem *pr = p;
    double th[2] = { gsl_vector_get(v, 0), gsl_vector_get(v, 1) }, gr[2];
    double r = pr->fam->nll(pr->x, th, gr) * pr->scale;
    if (f)
        *f = isfinite(r) ? r : GSL_POSINF;
    gsl_vector_set(g, 0, gr[0] * pr->scale);
    gsl_vector_set(g, 1, gr[1] * pr->scale);
}
static void df_only(const gsl_vector *v, void *p, gsl_vector *g)
{
    fdf(v, p, NULL, g);
}

/* Hessian of the total negative log-likelihood by central differences of
 * its analytic gradient, symmetrised. */
static void hessian(const struct problem *pr, const double th[2], double h[2][2])
{
    for (int j = 0; j < 2; j++) {
        double e = 1e-4 * GSL_MAX(1.0, fabs(th[j])), tp[2] = { th[0], th[1] },
               tm[2] = { th[0], th[1] }, gp[2], gm[2];
        tp[j] += e;
        tm[j] -= e;
        pr->fam->nll(pr->x, tp, gp);
        pr->fam->nll(pr->x, tm, gm);
        for (int i = 0; i < 2; i++)
            h[i][j] = (gp[i] - gm[i]) / (2 * e);
    }
    double off = 0.5 * (h[0][1] + h[1][0]);
    h[0][1] = h[1][0] = off;
}

static bool invert_pd(double h[2][2], double c[2][2])
{
    double det = h[0][0] * h[1][1] - h[0][1] * h[1][0];
    if (!(h[0][0] > 0 && h[1][1] > 0 && det > 0) || !isfinite(det))
        return false;
    c[0][0] = h[1][1] / det;
    c[1][1] = h[0][0] / det;
    c[0][1] = c[1][0] = -h[0][1] / det;
    return true;
}

/* BFGS from th; returns whether the gradient of the mean log-likelihood
 * came below tolerance. */
static bool bfgs(const struct problem *pr, double th[2])
{
    gsl_multimin_function_fdf fn = { f_only, df_only, fdf, 2, (void *)pr };
    gsl_vector *v = gsl_vector_alloc(2);
    gsl_multimin_fdfminimizer *m =
            gsl_multimin_fdfminimizer_alloc(gsl_multimin_fdfminimizer_vector_bfgs2, 2);
    bool ok = false;
    if (!v || !m)
        goto out;
    gsl_vector_set(v, 0, th[0]);
    gsl_vector_set(v, 1, th[1]);
    if (gsl_multimin_fdfminimizer_set(m, &fn, v, 0.05, 0.1) != GSL_SUCCESS)
        goto out;
    for (int it = 0; it < 500; it++) {
        int st = gsl_multimin_fdfminimizer_iterate(m);
        if (gsl_multimin_test_gradient(m->gradient, 1e-8) == GSL_SUCCESS) {
            ok = true;
            break;
        }
        if (st != GSL_SUCCESS) {
            /* no progress: accept a gradient small on the scale of the
             * sampling error (1/sqrt(n) per observation) */
            ok = gsl_multimin_test_gradient(m->gradient, 1e-5) == GSL_SUCCESS;
            break;
        }
    }
    th[0] = gsl_vector_get(m->x, 0);
    th[1] = gsl_vector_get(m->x, 1);
out:
    gsl_multimin_fdfminimizer_free(m);
    gsl_vector_free(v);
    return ok;
}

/* A few Newton steps (halved while they do not improve): BFGS stops a
 * little short on flat likelihoods; this makes the optimum and the
 * Hessian at it exact enough for the intervals. */
static void newton(const struct problem *pr, double th[2], double h[2][2])
{
    double f0 = pr->fam->nll(pr->x, th, NULL);
    for (int it = 0; it < 4; it++) {
        double g[2], c[2][2];
        pr->fam->nll(pr->x, th, g);
        hessian(pr, th, h);
        if (!invert_pd(h, c))
            return;
        double d0 = -(c[0][0] * g[0] + c[0][1] * g[1]), d1 = -(c[1][0] * g[0] + c[1][1] * g[1]);
        if (fabs(d0) + fabs(d1) < 1e-10)
            return;
        for (int half = 0; half < 10; half++) {
            double s = ldexp(1.0, -half), tn[2] = { th[0] + s * d0, th[1] + s * d1 };
            double f1 = pr->fam->nll(pr->x, tn, NULL);
            if (isfinite(f1) && f1 <= f0) {
                th[0] = tn[0];
                th[1] = tn[1];
                f0 = f1;
                break;
            }
        }
    }
    hessian(pr, th, h);
}

static int sample_summary(const struct flyt_est_sample *x, double *d, double *tot, double *ml,
                          double *sl)
{
    size_t nd = 0;
    double mean = 0, m2 = 0;
    *tot = 0;
    for (size_t i = 0; i < x->n; i++) {
        if (!(x->t[i] > 0) || !isfinite(x->t[i]))
            return -1;
        *tot += x->t[i];
        if (x->event[i]) {
            double l = log(x->t[i]), dl = l - mean;
            nd++;
            mean += dl / (double)nd;
            m2 += dl * (l - mean);
        }
    }
    *d = (double)nd;
    *ml = mean;
    *sl = nd > 1 ? sqrt(m2 / (double)(nd - 1)) : 0;
    return nd < 2 || !(*sl > 1e-12) ? -1 : 0;
}

/* Delta method on the log of mean and of sd: the intervals stay positive
 * and are closer to symmetric on that scale. */
static void intervals(const struct flyt__est_family *fam, const double th[2], double c[2][2],
                      struct flyt_est_fit *out)
{
    double gm[2], gs[2];
    for (int j = 0; j < 2; j++) {
        double e = 1e-6 * GSL_MAX(1.0, fabs(th[j])), tp[2] = { th[0], th[1] },
               tm[2] = { th[0], th[1] }, pp[2], pm[2], mp, sp, mm, sm;
        tp[j] += e;
        tm[j] -= e;
        fam->natural(tp, pp);
        fam->natural(tm, pm);
        fam->moments(pp, &mp, &sp);
        fam->moments(pm, &mm, &sm);
        gm[j] = (log(mp) - log(mm)) / (2 * e);
        gs[j] = (log(sp) - log(sm)) / (2 * e);
    }
    double vm = gm[0] * gm[0] * c[0][0] + 2 * gm[0] * gm[1] * c[0][1] + gm[1] * gm[1] * c[1][1];
    double vs = gs[0] * gs[0] * c[0][0] + 2 * gs[0] * gs[1] * c[0][1] + gs[1] * gs[1] * c[1][1];
    out->mean_lo = out->mean * exp(-Z95 * sqrt(vm));
    out->mean_hi = out->mean * exp(Z95 * sqrt(vm));
    out->sd_lo = out->sd * exp(-Z95 * sqrt(vs));
    out->sd_hi = out->sd * exp(Z95 * sqrt(vs));
}

static void clear_fit(struct flyt_est_fit *out, enum flyt_est_family f)
{
    memset(out, 0, sizeof *out);
    out->family = f;
    out->k = flyt__est_families[f].k;
    out->loglik = out->aic = out->mean = out->sd = GSL_NAN;
    out->mean_lo = out->mean_hi = out->sd_lo = out->sd_hi = GSL_NAN;
    out->par[0] = out->par[1] = GSL_NAN;
    for (int i = 0; i < 2; i++)
        out->cov[i][0] = out->cov[i][1] = GSL_NAN;
    out->gof = out->gof_p = GSL_NAN;
}

static void fit_exponential(double d, double tot, struct flyt_est_fit *out, double th[2])
{
    double rate = d / tot;
    out->ok = true;
    out->par[0] = rate;
    out->par[1] = 0;
    out->loglik = d * log(rate) - d;
    out->mean = out->sd = 1 / rate;
    out->cov[0][0] = rate * rate / d;
    out->cov[0][1] = out->cov[1][0] = out->cov[1][1] = 0;
    /* var(log mean) = 1/d from the observed information */
    out->mean_lo = out->sd_lo = out->mean * exp(-Z95 / sqrt(d));
    out->mean_hi = out->sd_hi = out->mean * exp(Z95 / sqrt(d));
    th[0] = log(out->mean);
    th[1] = 0;
}

int flyt__est_fit(const struct flyt_est_sample *x, enum flyt_est_family f, const double *th0,
                  bool want_cov, struct flyt_est_fit *out, double th_out[2])
{
    const struct flyt__est_family *fam = &flyt__est_families[f];
    double d, tot, ml, sl, th[2];
    clear_fit(out, f);
    if (!x || x->n == 0 || sample_summary(x, &d, &tot, &ml, &sl) != 0)
        return -1;
    if (f == FLYT_EST_EXPONENTIAL) {
        fit_exponential(d, tot, out, th);
    } else {
        struct problem pr = { x, fam, 1.0 / (double)x->n };
        double h[2][2] = { { 0 } }, c[2][2] = { { 0 } };
        if (th0) {
            th[0] = th0[0];
            th[1] = th0[1];
        } else {
            fam->start(ml, sl, tot / d, th);
        }
        bool conv = bfgs(&pr, th);
        if (want_cov) {
            newton(&pr, th, h);
            conv = conv && invert_pd(h, c);
        }
        out->ok = conv && fabs(th[0]) < 50 && fabs(th[1]) < 50;
        out->loglik = -fam->nll(x, th, NULL);
        fam->natural(th, out->par);
        fam->moments(out->par, &out->mean, &out->sd);
        if (want_cov && out->ok) {
            /* the natural parameters are exp(th) or th itself */
            double jac[2] = { f == FLYT_EST_LOGNORMAL ? 1 : out->par[0], out->par[1] };
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                    out->cov[i][j] = jac[i] * jac[j] * c[i][j];
            intervals(fam, th, c, out);
        }
        if (!isfinite(out->loglik) || !isfinite(out->mean))
            return -1;
    }
    out->aic = 2.0 * out->k - 2.0 * out->loglik;
    if (th_out) {
        th_out[0] = th[0];
        th_out[1] = th[1];
    }
    return 0;
}

int flyt_est_fit_family(const struct flyt_est_sample *x, enum flyt_est_family f,
                        struct flyt_est_fit *out)
{
    if ((unsigned)f >= FLYT_EST_N_FAMILY || !out)
        return -1;
    return flyt__est_fit(x, f, NULL, true, out, NULL);
}
