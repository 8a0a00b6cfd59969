#include "flyt/dist.h"

#include "flyt/rng.h"

#include <gsl/gsl_sf_gamma.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const names[FLYT_DIST_N_KINDS] = {
    "fixed", "exponential", "lognormal", "gamma", "weibull", "uniform", "empirical",
};

const char *flyt_dist_name(enum flyt_dist_kind k)
{
    return (unsigned)k < FLYT_DIST_N_KINDS ? names[k] : "?";
}

int flyt_dist_kind_from_name(const char *name)
{
    for (int i = 0; i < FLYT_DIST_N_KINDS; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* Squared coefficient of variation of a Weibull with shape k. */
static double weibull_cv2(double k)
{
    double l1 = gsl_sf_lngamma(1.0 + 1.0 / k);
    double l2 = gsl_sf_lngamma(1.0 + 2.0 / k);
    return exp(l2 - 2.0 * l1) - 1.0;
}

/* The CV of a Weibull falls monotonically with its shape, so bisection on
 * log(shape) finds the one shape that matches mean and sd. */
static int weibull_shape(double cv2, double *shape)
{
    double lo = log(0.02), hi = log(500.0);
    if (cv2 > weibull_cv2(exp(lo)) || cv2 < weibull_cv2(exp(hi)))
        return -1;
    for (int i = 0; i < 200; i++) {
        double mid = 0.5 * (lo + hi);
        if (weibull_cv2(exp(mid)) > cv2)
            lo = mid;
        else
            hi = mid;
    }
    *shape = exp(0.5 * (lo + hi));
    return 0;
}

static int prepare_mean_sd(struct flyt_dist *d, const char **why)
{
    if (!(d->mean > 0) || !isfinite(d->mean)) {
        *why = "mean must be a finite number > 0";
        return -1;
    }
    if (!(d->sd > 0) || !isfinite(d->sd)) {
        *why = "sd must be a finite number > 0 (use dist = \"fixed\" for no spread)";
        return -1;
    }
    double cv2 = (d->sd / d->mean) * (d->sd / d->mean);
    switch (d->kind) {
    case FLYT_DIST_LOGNORMAL:
        d->p2 = sqrt(log1p(cv2));
        d->p1 = log(d->mean) - 0.5 * d->p2 * d->p2;
        return 0;
    case FLYT_DIST_GAMMA:
        d->p1 = 1.0 / cv2;               /* shape */
        d->p2 = d->sd * d->sd / d->mean; /* scale */
        return 0;
    case FLYT_DIST_WEIBULL:
        if (weibull_shape(cv2, &d->p2) != 0) {
            *why = "sd/mean is outside what a Weibull with shape 0.02 to 500 can give";
            return -1;
        }
        d->p1 = d->mean / exp(gsl_sf_lngamma(1.0 + 1.0 / d->p2)); /* scale */
        return 0;
    default:
        *why = "internal: not a mean/sd distribution";
        return -1;
    }
}

static int prepare_empirical(struct flyt_dist *d, const char **why)
{
    if (d->n == 0 || !d->values || !d->weights) {
        *why = "empirical needs non-empty values and weights of the same length";
        return -1;
    }
    double total = 0, m = 0;
    for (size_t i = 0; i < d->n; i++) {
        if (!(d->weights[i] >= 0) || !isfinite(d->weights[i]) || !isfinite(d->values[i])) {
            *why = "empirical weights must be finite and >= 0, values finite";
            return -1;
        }
        total += d->weights[i];
        m += d->weights[i] * d->values[i];
    }
    if (!(total > 0)) {
        *why = "empirical weights must not all be 0";
        return -1;
    }
    if (d->table)
        gsl_ran_discrete_free(d->table);
    d->table = gsl_ran_discrete_preproc(d->n, d->weights);
    if (!d->table) {
        *why = "out of memory";
        return -1;
    }
    d->mean = m / total;
    return 0;
}

int flyt_dist_prepare(struct flyt_dist *d, const char **why)
{
    switch (d->kind) {
    case FLYT_DIST_FIXED:
        if (!isfinite(d->mean) || d->mean < 0) {
            *why = "value must be a finite number >= 0";
            return -1;
        }
        return 0;
    case FLYT_DIST_EXPONENTIAL:
        if (!(d->mean > 0) || !isfinite(d->mean)) {
            *why = "mean must be a finite number > 0";
            return -1;
        }
        return 0;
    case FLYT_DIST_UNIFORM:
        if (!isfinite(d->mean) || !isfinite(d->sd) || d->mean < 0 || d->sd < d->mean) {
            *why = "uniform needs 0 <= min <= max, both finite";
            return -1;
        }
        return 0;
    case FLYT_DIST_LOGNORMAL:
    case FLYT_DIST_GAMMA:
    case FLYT_DIST_WEIBULL:
        return prepare_mean_sd(d, why);
    case FLYT_DIST_EMPIRICAL:
        return prepare_empirical(d, why);
    default:
        *why = "unknown distribution";
        return -1;
    }
}

/* On a flyt stream the common distributions are drawn here, inline: the
 * normal under the lognormal and the exponential by ziggurat (ziggurat.c),
 * the uniform as GSL's gsl_ran_flat does it. Other generators, and gamma,
 * Weibull and empirical tables, go through GSL. */
static double exponential(struct flyt_stream *st, double mu)
{
    return mu * flyt_stream_exponential(st);
}

static double lognormal(struct flyt_stream *st, double zeta, double sigma)
{
    return exp(sigma * flyt_stream_normal(st) + zeta);
}

static double flat(struct flyt_stream *st, double a, double b)
{
    double u = flyt_stream_uniform(st);
    return a * (1 - u) + b * u;
}

double flyt_dist_sample(const struct flyt_dist *d, gsl_rng *r)
{
    /* Tests, not a switch: the kinds a model draws in turn (a lognormal
     * stay, a fixed delay, an exponential stay) made the switch's jump
     * table mispredict on almost every second draw. */
    enum flyt_dist_kind k = d->kind;
    if (r->type == &flyt_rng_xoshiro_type) {
        if (k == FLYT_DIST_FIXED)
            return d->mean;
        if (k == FLYT_DIST_LOGNORMAL)
            return lognormal(r->state, d->p1, d->p2);
        if (k == FLYT_DIST_EXPONENTIAL)
            return exponential(r->state, d->mean);
        if (k == FLYT_DIST_UNIFORM)
            return flat(r->state, d->mean, d->sd);
    }
    switch (k) {
    case FLYT_DIST_FIXED:
        return d->mean;
    case FLYT_DIST_EXPONENTIAL:
        return gsl_ran_exponential(r, d->mean);
    case FLYT_DIST_LOGNORMAL:
        return gsl_ran_lognormal(r, d->p1, d->p2);
    case FLYT_DIST_GAMMA:
        return gsl_ran_gamma(r, d->p1, d->p2);
    case FLYT_DIST_WEIBULL:
        return gsl_ran_weibull(r, d->p1, d->p2);
    case FLYT_DIST_UNIFORM:
        return gsl_ran_flat(r, d->mean, d->sd);
    case FLYT_DIST_EMPIRICAL:
        return d->values[gsl_ran_discrete(r, d->table)];
    default:
        return 0.0;
    }
}

/* A stay in progress at a random instant is drawn with density x f(x) /
 * mean: long stays cover more instants. Each kind has it in closed form:
 * lognormal(mu, s) becomes lognormal(mu + s^2, s); gamma(k, theta)
 * becomes gamma(k + 1, theta) (the exponential is gamma 1); for a Weibull
 * with scale l and shape k, (x / l)^k is gamma(1 + 1/k, 1); a uniform on
 * [a, b] has density 2x / (b^2 - a^2); an empirical table is weighted by
 * its values (by rejection: accept a draw with probability value / max). */
double flyt_dist_sample_length_biased(const struct flyt_dist *d, gsl_rng *r)
{
    switch (d->kind) {
    case FLYT_DIST_FIXED:
        return d->mean;
    case FLYT_DIST_EXPONENTIAL:
        return gsl_ran_gamma(r, 2.0, d->mean);
    case FLYT_DIST_LOGNORMAL: {
        struct flyt_dist shifted = *d;
        shifted.p1 = d->p1 + d->p2 * d->p2;
        return flyt_dist_sample(&shifted, r);
    }
    case FLYT_DIST_GAMMA:
        return gsl_ran_gamma(r, d->p1 + 1.0, d->p2);
    case FLYT_DIST_WEIBULL:
        return d->p1 * pow(gsl_ran_gamma(r, 1.0 + 1.0 / d->p2, 1.0), 1.0 / d->p2);
    case FLYT_DIST_UNIFORM: {
        double a = d->mean, b = d->sd;
        return sqrt(a * a + flyt_rng_uniform(r) * (b * b - a * a));
    }
    case FLYT_DIST_EMPIRICAL: {
        double top = 0;
        for (size_t i = 0; i < d->n; i++)
            if (d->weights[i] > 0)
                top = fmax(top, d->values[i]);
        if (!(top > 0))
            return 0.0;
        for (;;) {
            double x = flyt_dist_sample(d, r);
            if (flyt_rng_uniform(r) * top < x)
                return x;
        }
    }
    default:
        return 0.0;
    }
}

double flyt_rng_exponential(gsl_rng *r, double mu)
{
    return r->type == &flyt_rng_xoshiro_type ? exponential(r->state, mu)
                                             : gsl_ran_exponential(r, mu);
}

double flyt_dist_mean(const struct flyt_dist *d)
{
    if (d->kind == FLYT_DIST_UNIFORM)
        return 0.5 * (d->mean + d->sd);
    return d->mean;
}

int flyt_dist_copy(struct flyt_dist *dst, const struct flyt_dist *src)
{
    *dst = *src;
    dst->values = NULL;
    dst->weights = NULL;
    dst->table = NULL;
    if (src->kind != FLYT_DIST_EMPIRICAL)
        return 0;
    dst->values = malloc(src->n * sizeof(double));
    dst->weights = malloc(src->n * sizeof(double));
    if (!dst->values || !dst->weights) {
        flyt_dist_clear(dst);
        return -1;
    }
    memcpy(dst->values, src->values, src->n * sizeof(double));
    memcpy(dst->weights, src->weights, src->n * sizeof(double));
    const char *why;
    return flyt_dist_prepare(dst, &why);
}

void flyt_dist_clear(struct flyt_dist *d)
{
    free(d->values);
    free(d->weights);
    if (d->table)
        gsl_ran_discrete_free(d->table);
    d->values = d->weights = NULL;
    d->table = NULL;
    d->n = 0;
}
