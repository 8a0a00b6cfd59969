/* Simulated samples for the estimation tests (test_estimate.c,
 * test_stat_estimate.c): known families with random right censoring, and
 * daily counts with known month, weekday and growth. */
#ifndef FLYT_TEST_EST_SIM_H
#define FLYT_TEST_EST_SIM_H

#include "flyt/estimate.h"

#include <gsl/gsl_math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sf_gamma.h>

#include <math.h>
#include <stdlib.h>

/* True parameters in the natural form (as struct flyt_est_fit's par). */
struct est_truth {
    enum flyt_est_family f;
    double p1, p2;
};

static inline double est_truth_mean(const struct est_truth *tr)
{
    switch (tr->f) {
    case FLYT_EST_EXPONENTIAL:
        return 1 / tr->p1;
    case FLYT_EST_GAMMA:
        return tr->p1 * tr->p2;
    case FLYT_EST_LOGNORMAL:
        return exp(tr->p1 + 0.5 * tr->p2 * tr->p2);
    default:
        return tr->p2 * gsl_sf_gamma(1 + 1 / tr->p1);
    }
}

static inline double est_truth_sd(const struct est_truth *tr)
{
    double m = est_truth_mean(tr);
    switch (tr->f) {
    case FLYT_EST_EXPONENTIAL:
        return m;
    case FLYT_EST_GAMMA:
        return sqrt(tr->p1) * tr->p2;
    case FLYT_EST_LOGNORMAL:
        return m * sqrt(exp(tr->p2 * tr->p2) - 1);
    default:
        return tr->p2 * sqrt(gsl_sf_gamma(1 + 2 / tr->p1) - pow(gsl_sf_gamma(1 + 1 / tr->p1), 2));
    }
}

static inline double est_truth_draw(const struct est_truth *tr, gsl_rng *r)
{
    switch (tr->f) {
    case FLYT_EST_EXPONENTIAL:
        return gsl_ran_exponential(r, 1 / tr->p1);
    case FLYT_EST_GAMMA:
        return gsl_ran_gamma(r, tr->p1, tr->p2);
    case FLYT_EST_LOGNORMAL:
        return gsl_ran_lognormal(r, tr->p1, tr->p2);
    default:
        return gsl_ran_weibull(r, tr->p2, tr->p1);
    }
}

/* n stays, each censored at an exponential time with mean cmean (about
 * 30 % censored when cmean is 2.3 times the mean stay). Returns the share
 * censored. */
static inline double est_simulate(const struct est_truth *tr, double cmean, unsigned long seed,
                                  double *t, unsigned char *ev, size_t n)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    size_t nc = 0;
    for (size_t i = 0; i < n; i++) {
        double y = est_truth_draw(tr, r), c = cmean > 0 ? gsl_ran_exponential(r, cmean) : INFINITY;
        ev[i] = y <= c;
        t[i] = y <= c ? y : c;
        nc += !ev[i];
    }
    gsl_rng_free(r);
    return (double)nc / (double)n;
}

/* Days from a Monday, 1 January of a non-leap year, for three years. */
enum { EST_DAYS = 3 * 365 };
struct est_days_truth {
    double base, month[12], weekday[7], growth;
};

static inline void est_days_truth_default(struct est_days_truth *tr)
{
    static const double wd[7] = { 1.18, 1.09, 1.04, 1.02, 1.01, 0.79, 0.87 };
    double sm = 0, sw = 0;
    for (int m = 0; m < 12; m++) {
        tr->month[m] = 1 + 0.23 * sin(2 * M_PI * m / 12.0 + 0.4);
        sm += tr->month[m] / 12;
    }
    for (int m = 0; m < 12; m++)
        tr->month[m] /= sm;
    for (int d = 0; d < 7; d++)
        sw += wd[d] / 7;
    for (int d = 0; d < 7; d++)
        tr->weekday[d] = wd[d] / sw;
    tr->base = 4.37;
    tr->growth = 0.031;
}

static inline void est_days_layout(int *month, int *weekday, double *years)
{
    static const int len[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int d = 0;
    for (int y = 0; y < 3; y++)
        for (int m = 0; m < 12; m++)
            for (int k = 0; k < len[m]; k++, d++) {
                month[d] = m;
                weekday[d] = d % 7;
                years[d] = d / 365.0;
            }
}

static inline void est_days_simulate(const struct est_days_truth *tr, const int *month,
                                     const int *weekday, const double *years, unsigned long seed,
                                     double *count)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    for (int d = 0; d < EST_DAYS; d++)
        count[d] = gsl_ran_poisson(r, tr->base * tr->month[month[d]] * tr->weekday[weekday[d]] *
                                              pow(1 + tr->growth, years[d]));
    gsl_rng_free(r);
}

#endif
