/* Remaining stays of patients found part-way through one. A patient who has
 * been in a nursing home for three years is not a new resident: what is
 * left of a stay depends on how long it has lasted, unless the
 * distribution is memoryless. Inversion of the conditional survival
 * function, S(x) / S(elapsed), is exact (no rejection loop whose length
 * grows with the elapsed time) and needs one uniform per draw. */
#include "flyt/census.h"

#include <gsl/gsl_cdf.h>

#include <math.h>

/* Below this survival the conditional distribution is numerically empty:
 * the patient has stayed longer than the scenario believes possible. */
#define TAIL_FLOOR 1e-12

/* A stay past the largest value the distribution can take is overdue: it
 * ends within the day rather than at once, so that a census of overdue
 * patients does not empty a unit at 00:00. */
static double overdue(gsl_rng *r)
{
    return gsl_rng_uniform_pos(r);
}

static double lognormal_q(double x, const struct flyt_dist *d)
{
    return gsl_cdf_lognormal_Q(x, d->p1, d->p2);
}

static double lognormal_qinv(double q, const struct flyt_dist *d)
{
    return gsl_cdf_lognormal_Qinv(q, d->p1, d->p2);
}

static double gamma_q(double x, const struct flyt_dist *d)
{
    return gsl_cdf_gamma_Q(x, d->p1, d->p2);
}

static double gamma_qinv(double q, const struct flyt_dist *d)
{
    return gsl_cdf_gamma_Qinv(q, d->p1, d->p2);
}

/* Unbounded distributions through their survival function and its inverse.
 * When the tail is below TAIL_FLOOR the elapsed time is capped where the
 * survival is TAIL_FLOOR: the patient is treated as one of the longest
 * stays the distribution knows, which keeps the draw finite and plausible. */
static double by_inversion(const struct flyt_dist *d, double elapsed, gsl_rng *r,
                           double (*q)(double, const struct flyt_dist *),
                           double (*qinv)(double, const struct flyt_dist *))
{
    double u = gsl_rng_uniform_pos(r);
    double tail = q(elapsed, d);
    if (!(tail >= TAIL_FLOOR)) {
        tail = TAIL_FLOOR;
        elapsed = qinv(TAIL_FLOOR, d);
    }
    double x = qinv(u * tail, d);
    if (!isfinite(x) || !isfinite(elapsed))
        return overdue(r);
    return x > elapsed ? x - elapsed : 0.0;
}

/* Weibull has a closed form: S(x) = exp(-(x/a)^k), so X | X > e is
 * a ((e/a)^k - ln u)^(1/k), exact however long the stay has lasted. */
static double weibull_residual(const struct flyt_dist *d, double elapsed, gsl_rng *r)
{
    double a = d->p1, k = d->p2;
    double u = gsl_rng_uniform_pos(r);
    double x = a * pow(pow(elapsed / a, k) - log(u), 1.0 / k);
    return x > elapsed ? x - elapsed : 0.0;
}

static double empirical_residual(const struct flyt_dist *d, double elapsed, gsl_rng *r)
{
    double total = 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->values[i] > elapsed)
            total += d->weights[i];
    if (!(total > 0))
        return overdue(r);
    double u = gsl_rng_uniform(r) * total, acc = 0;
    double last = elapsed;
    for (size_t i = 0; i < d->n; i++) {
        if (!(d->values[i] > elapsed) || !(d->weights[i] > 0))
            continue;
        acc += d->weights[i];
        last = d->values[i];
        if (u < acc)
            return d->values[i] - elapsed;
    }
    return last - elapsed; /* rounding left u at the very top */
}

double flyt_dist_sample_residual(const struct flyt_dist *d, double elapsed, gsl_rng *r)
{
    if (!(elapsed > 0))
        return flyt_dist_sample(d, r);
    switch (d->kind) {
    case FLYT_DIST_FIXED:
        return d->mean > elapsed ? d->mean - elapsed : overdue(r);
    case FLYT_DIST_EXPONENTIAL:
        return gsl_ran_exponential(r, d->mean);
    case FLYT_DIST_LOGNORMAL:
        return by_inversion(d, elapsed, r, lognormal_q, lognormal_qinv);
    case FLYT_DIST_GAMMA:
        return by_inversion(d, elapsed, r, gamma_q, gamma_qinv);
    case FLYT_DIST_WEIBULL:
        return weibull_residual(d, elapsed, r);
    case FLYT_DIST_UNIFORM: {
        double lo = d->mean > elapsed ? d->mean : elapsed, hi = d->sd;
        return hi > elapsed ? gsl_ran_flat(r, lo, hi) - elapsed : overdue(r);
    }
    case FLYT_DIST_EMPIRICAL:
        return empirical_residual(d, elapsed, r);
    default:
        return 0.0;
    }
}
