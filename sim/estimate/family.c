/* The four stay families of flyt_dist on log-scale parameters: censored
 * log-likelihoods with analytic gradients (the gamma's shape derivative of
 * its survival is numeric: GSL has no derivative of Q(a, x) in a). */
#include "estimate/est.h"

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_sf_erf.h>
#include <gsl/gsl_sf_gamma.h>
#include <gsl/gsl_sf_psi.h>

#include <math.h>

#define LOG_SQRT_2PI 0.91893853320467274178
#define EULER_GAMMA  0.57721566490153286061

/* ---- exponential: th[0] = log mean (the fit itself is closed-form) ---- */

static double exp_nll(const struct flyt_est_sample *x, const double th[2], double g[2])
{
    double rate = exp(-th[0]), d = 0, tot = 0;
    for (size_t i = 0; i < x->n; i++) {
        tot += x->t[i];
        d += x->event[i] ? 1 : 0;
    }
    if (g) {
        g[0] = d - rate * tot;
        g[1] = 0;
    }
    return -(d * log(rate) - rate * tot);
}
static void exp_natural(const double th[2], double par[2])
{
    par[0] = exp(-th[0]);
    par[1] = 0;
}
static void exp_moments(const double par[2], double *mean, double *sd)
{
    *mean = *sd = 1.0 / par[0];
}
static double exp_sf(const double par[2], double t)
{
    return exp(-par[0] * t);
}
static double exp_draw(const double par[2], gsl_rng *r)
{
    return gsl_ran_exponential(r, 1.0 / par[0]);
}
static void exp_start(double ml, double sl, double m, double th[2])
{
    (void)ml;
    (void)sl;
    th[0] = log(m);
    th[1] = 0;
}

/* ---- gamma: th = (log shape, log scale) ---- */

/* log Q(a, x), the gamma survival, without underflow far in the tail
 * (there Q ~ x^(a-1) e^-x / Gamma(a)). */
static double log_q(double a, double x)
{
    double q = gsl_sf_gamma_inc_Q(a, x);
    if (q > 1e-300)
        return log(q);
    return (a - 1) * log(x) - x - gsl_sf_lngamma(a);
}

static double gamma_nll(const struct flyt_est_sample *x, const double th[2], double g[2])
{
    double a = exp(th[0]), sc = exp(th[1]), lga = gsl_sf_lngamma(a), psi = gsl_sf_psi(a);
    double ll = 0, gu = 0, gv = 0, h = 1e-5 * a;
    for (size_t i = 0; i < x->n; i++) {
        double z = x->t[i] / sc, lz = log(z);
        if (x->event[i]) {
            ll += (a - 1) * lz - z - lga - th[1];
            gu += a * (lz - psi);
            gv += z - a;
        } else {
            double lq = log_q(a, z);
            ll += lq;
            if (g) {
                gu += a * (log_q(a + h, z) - log_q(a - h, z)) / (2 * h);
                gv += exp(a * lz - z - lga - lq);
            }
        }
    }
    if (g) {
        g[0] = -gu;
        g[1] = -gv;
    }
    return -ll;
}
static void gamma_natural(const double th[2], double par[2])
{
    par[0] = exp(th[0]);
    par[1] = exp(th[1]);
}
static void gamma_moments(const double par[2], double *mean, double *sd)
{
    *mean = par[0] * par[1];
    *sd = sqrt(par[0]) * par[1];
}
static double gamma_sf(const double par[2], double t)
{
    return gsl_sf_gamma_inc_Q(par[0], t / par[1]);
}
static double gamma_draw(const double par[2], gsl_rng *r)
{
    return gsl_ran_gamma(r, par[0], par[1]);
}
/* Shape from the spread of the log-times (var log T = psi'(a) ~ 1/a for
 * moderate a), scale from the mean. */
static void gamma_start(double ml, double sl, double m, double th[2])
{
    (void)ml;
    double a = 1.0 / (sl * sl);
    a = GSL_MAX(0.05, GSL_MIN(a, 1e4));
    th[0] = log(a);
    th[1] = log(m / a);
}

/* ---- lognormal: th = (mu, log sigma) ---- */

static double lnorm_nll(const struct flyt_est_sample *x, const double th[2], double g[2])
{
    double mu = th[0], s = exp(th[1]), ll = 0, gm = 0, gs = 0;
    for (size_t i = 0; i < x->n; i++) {
        double lt = log(x->t[i]), z = (lt - mu) / s;
        if (x->event[i]) {
            ll += -lt - th[1] - LOG_SQRT_2PI - 0.5 * z * z;
            gm += z / s;
            gs += z * z - 1;
        } else {
            /* log of the upper normal tail, and the hazard phi / Q */
            double lq = gsl_sf_log_erfc(z * M_SQRT1_2) - M_LN2;
            ll += lq;
            if (g) {
                double haz = exp(-0.5 * z * z - LOG_SQRT_2PI - lq);
                gm += haz / s;
                gs += haz * z;
            }
        }
    }
    if (g) {
        g[0] = -gm;
        g[1] = -gs;
    }
    return -ll;
}
static void lnorm_natural(const double th[2], double par[2])
{
    par[0] = th[0];
    par[1] = exp(th[1]);
}
static void lnorm_moments(const double par[2], double *mean, double *sd)
{
    double s2 = par[1] * par[1];
    *mean = exp(par[0] + 0.5 * s2);
    *sd = *mean * sqrt(expm1(s2));
}
static double lnorm_sf(const double par[2], double t)
{
    return 0.5 * erfc((log(t) - par[0]) / par[1] * M_SQRT1_2);
}
static double lnorm_draw(const double par[2], gsl_rng *r)
{
    return gsl_ran_lognormal(r, par[0], par[1]);
}
static void lnorm_start(double ml, double sl, double m, double th[2])
{
    (void)ml;
    th[1] = log(sl);
    th[0] = log(m) - 0.5 * sl * sl;
}

/* ---- Weibull: th = (log shape, log scale) ---- */

static double weib_nll(const struct flyt_est_sample *x, const double th[2], double g[2])
{
    double k = exp(th[0]), ll = 0, gu = 0, gv = 0;
    for (size_t i = 0; i < x->n; i++) {
        double lz = k * (log(x->t[i]) - th[1]), z = exp(lz);
        if (x->event[i]) {
            ll += th[0] - log(x->t[i]) + lz - z;
            gu += 1 + lz * (1 - z);
            gv += k * (z - 1);
        } else {
            ll -= z;
            gu -= z * lz;
            gv += k * z;
        }
    }
    if (g) {
        g[0] = -gu;
        g[1] = -gv;
    }
    return -ll;
}
static void weib_natural(const double th[2], double par[2])
{
    par[0] = exp(th[0]);
    par[1] = exp(th[1]);
}
static void weib_moments(const double par[2], double *mean, double *sd)
{
    double k = par[0], l1 = gsl_sf_lngamma(1 + 1 / k), l2 = gsl_sf_lngamma(1 + 2 / k);
    *mean = par[1] * exp(l1);
    /* Gamma(1+2/k) - Gamma(1+1/k)^2 without cancellation for large k */
    *sd = par[1] * exp(l1) * sqrt(GSL_MAX(0.0, expm1(l2 - 2 * l1)));
}
static double weib_sf(const double par[2], double t)
{
    return exp(-pow(t / par[1], par[0]));
}
static double weib_draw(const double par[2], gsl_rng *r)
{
    return gsl_ran_weibull(r, par[1], par[0]);
}
/* sd of log T is pi / (k sqrt 6) for a Weibull. */
static void weib_start(double ml, double sl, double m, double th[2])
{
    (void)ml;
    double k = M_PI / (sl * sqrt(6.0));
    k = GSL_MAX(0.05, GSL_MIN(k, 100));
    th[0] = log(k);
    th[1] = log(m) - gsl_sf_lngamma(1 + 1 / k);
}

const struct flyt__est_family flyt__est_families[FLYT_EST_N_FAMILY] = {
    [FLYT_EST_EXPONENTIAL] = { "exponential", 1, exp_nll, exp_natural, exp_moments, exp_sf,
                               exp_draw, exp_start },
    [FLYT_EST_GAMMA] = { "gamma", 2, gamma_nll, gamma_natural, gamma_moments, gamma_sf, gamma_draw,
                         gamma_start },
    [FLYT_EST_LOGNORMAL] = { "lognormal", 2, lnorm_nll, lnorm_natural, lnorm_moments, lnorm_sf,
                             lnorm_draw, lnorm_start },
    [FLYT_EST_WEIBULL] = { "weibull", 2, weib_nll, weib_natural, weib_moments, weib_sf, weib_draw,
                           weib_start },
};

const char *flyt_est_family_name(enum flyt_est_family f)
{
    return (unsigned)f < FLYT_EST_N_FAMILY ? flyt__est_families[f].name : "?";
}
