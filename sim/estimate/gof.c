/* Goodness of fit with right censoring: the largest distance between the
 * Kaplan-Meier and the fitted survival, its p-value by parametric
 * bootstrap. Each replicate draws stays from the fitted family, censors
 * them at times drawn from the sample's own censoring distribution (the
 * reverse Kaplan-Meier, censorings as the events), refits the same family
 * and measures the distance again: so the p-value accounts for the
 * parameters being estimated and for the censoring pattern. */
#include "estimate/est.h"

#include <gsl/gsl_math.h>
#include <gsl/gsl_rng.h>

#include <float.h>
#include <math.h>
#include <stdlib.h>

/* The censoring distribution: jumps of the reverse Kaplan-Meier at the
 * censoring times; the mass it leaves after the last one (follow-up
 * longer than any censoring seen) is "never censored". */
struct censor {
    double *t, *cum; /* cumulative mass, increasing */
    size_t n;
};

static int censor_build(const struct flyt_est_sample *x, struct censor *c)
{
    size_t n = x->n, *ord = malloc(n * sizeof *ord);
    unsigned char *flip = malloc(n);
    c->t = malloc(n * sizeof *c->t);
    c->cum = malloc(n * sizeof *c->cum);
    c->n = 0;
    int rc = -1;
    if (!ord || !flip || !c->t || !c->cum)
        goto out;
    for (size_t i = 0; i < n; i++)
        flip[i] = !x->event[i];
    struct flyt_est_sample r = { x->t, flip, n };
    /* censorings first at a tie: a stay that ended at t was still open to
     * being censored at t */
    if (flyt__est_order(&r, ord) != 0)
        goto out;
    double g = 1;
    size_t risk = n;
    for (size_t i = 0, next; i < n; i = next) {
        double t = x->t[ord[i]];
        size_t d, e;
        next = flyt__est_ties(&r, ord, i, &d, &e);
        if (d > 0) {
            g *= 1.0 - (double)d / (double)risk;
            c->t[c->n] = t;
            c->cum[c->n] = 1 - g;
            c->n++;
        }
        risk -= d + e;
    }
    rc = 0;
out:
    free(ord);
    free(flip);
    return rc;
}

static void censor_free(struct censor *c)
{
    free(c->t);
    free(c->cum);
}

static double censor_draw(const struct censor *c, gsl_rng *r)
{
    double u = gsl_rng_uniform(r);
    if (c->n == 0 || u >= c->cum[c->n - 1])
        return GSL_POSINF;
    size_t lo = 0, hi = c->n - 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->cum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return c->t[lo];
}

/* The maximiser's parameters back from the natural ones (est.h). */
static void theta_of(const struct flyt_est_fit *fit, double th[2])
{
    if (fit->family == FLYT_EST_EXPONENTIAL) {
        th[0] = -log(fit->par[0]);
        th[1] = 0;
        return;
    }
    th[0] = fit->family == FLYT_EST_LOGNORMAL ? fit->par[0] : log(fit->par[0]);
    th[1] = log(fit->par[1]);
}

struct boot {
    double *t;
    unsigned char *ev;
    size_t *order;
    size_t m;
};

static int boot_alloc(struct boot *b, size_t n)
{
    b->m = GSL_MIN(n, (size_t)FLYT_EST_GOF_MAX_N);
    b->t = malloc(b->m * sizeof *b->t);
    b->ev = malloc(b->m);
    b->order = malloc(b->m * sizeof *b->order);
    return b->t && b->ev && b->order ? 0 : -1;
}

static void boot_free(struct boot *b)
{
    free(b->t);
    free(b->ev);
    free(b->order);
}

/* One replicate's distance, scaled to the sample's size (the distance
 * shrinks as 1/sqrt(n)); NaN when the replicate cannot be fitted. */
static double replicate(const struct flyt_est_fit *fit, const double th[2], const struct censor *c,
                        struct boot *b, size_t n, gsl_rng *r)
{
    const struct flyt__est_family *fam = &flyt__est_families[fit->family];
    for (size_t i = 0; i < b->m; i++) {
        double y = fam->draw(fit->par, r), cz = censor_draw(c, r);
        b->ev[i] = y <= cz;
        b->t[i] = y <= cz ? y : cz;
        if (!(b->t[i] > 0)) /* a draw that underflowed to 0 */
            b->t[i] = DBL_MIN;
    }
    struct flyt_est_sample bs = { b->t, b->ev, b->m };
    struct flyt_est_fit bf;
    if (flyt__est_fit(&bs, fit->family, th, false, &bf, NULL) != 0)
        return GSL_NAN;
    return flyt__est_ks(&bs, fam, bf.par, b->order) * sqrt((double)b->m / (double)n);
}

int flyt_est_gof(const struct flyt_est_sample *x, struct flyt_est_fit *fit, unsigned long seed,
                 int n_boot)
{
    if (!x || !fit || x->n == 0 || (unsigned)fit->family >= FLYT_EST_N_FAMILY ||
        !isfinite(fit->par[0]))
        return -1;
    if (n_boot < 0)
        n_boot = FLYT_EST_GOF_BOOT;
    const struct flyt__est_family *fam = &flyt__est_families[fit->family];
    size_t *order = malloc(x->n * sizeof *order);
    struct censor c = { 0 };
    struct boot b = { 0 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    int rc = -1;
    if (!order || !r || censor_build(x, &c) != 0 || boot_alloc(&b, x->n) != 0)
        goto out;
    fit->gof = flyt__est_ks(x, fam, fit->par, order);
    fit->gof_p = GSL_NAN;
    if (isnan(fit->gof))
        goto out;
    gsl_rng_set(r, seed);
    double th[2];
    theta_of(fit, th);
    int done = 0, above = 0;
    for (int k = 0; k < n_boot; k++) {
        double dk = replicate(fit, th, &c, &b, x->n, r);
        if (isnan(dk))
            continue;
        done++;
        above += dk >= fit->gof;
    }
    if (done > 0)
        fit->gof_p = (1.0 + above) / (1.0 + done);
    rc = 0;
out:
    gsl_rng_free(r);
    boot_free(&b);
    censor_free(&c);
    free(order);
    return rc;
}

int flyt_est_fit_best(const struct flyt_est_sample *x, struct flyt_est_fit fits[FLYT_EST_N_FAMILY],
                      int *best, unsigned long seed, int n_boot)
{
    *best = -1;
    for (int f = 0; f < FLYT_EST_N_FAMILY; f++) {
        if (flyt_est_fit_family(x, (enum flyt_est_family)f, &fits[f]) != 0)
            continue;
        /* the distance for every family, the bootstrap for the chosen one */
        if (flyt_est_gof(x, &fits[f], seed, 0) != 0)
            return -1;
        bool better = *best < 0 || (fits[f].ok && !fits[*best].ok) ||
                      (fits[f].ok == fits[*best].ok && fits[f].aic < fits[*best].aic);
        if (better)
            *best = f;
    }
    if (*best < 0)
        return -1;
    return flyt_est_gof(x, &fits[*best], seed, n_boot);
}
