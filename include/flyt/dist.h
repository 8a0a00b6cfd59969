/*
 * flyt distributions: the named distributions a scenario may use.
 *
 * Planners think in mean and standard deviation, so lognormal, gamma and
 * Weibull are given that way and converted once to their natural parameters
 * (flyt_dist_prepare). On a flyt stream the fixed, exponential, lognormal
 * and uniform draws are flyt's own (ziggurat.c); the others go through GSL.
 */
#ifndef FLYT_DIST_H
#define FLYT_DIST_H

#include <stddef.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

enum flyt_dist_kind {
    FLYT_DIST_FIXED,       /* value */
    FLYT_DIST_EXPONENTIAL, /* mean */
    FLYT_DIST_LOGNORMAL,   /* mean, sd */
    FLYT_DIST_GAMMA,       /* mean, sd */
    FLYT_DIST_WEIBULL,     /* mean, sd */
    FLYT_DIST_UNIFORM,     /* min, max */
    FLYT_DIST_EMPIRICAL,   /* values, weights */
    FLYT_DIST_N_KINDS
};

struct flyt_dist {
    enum flyt_dist_kind kind;
    double mean, sd;           /* as given (fixed: value; uniform: min, max) */
    double p1, p2;             /* natural parameters, set by flyt_dist_prepare */
    size_t n;                  /* empirical: number of values */
    double *values;            /* empirical, owned */
    double *weights;           /* empirical, owned */
    gsl_ran_discrete_t *table; /* empirical, owned */
};

/* Name as written in scenario files ("lognormal"), and the reverse lookup
 * (returns -1 for an unknown name). */
const char *flyt_dist_name(enum flyt_dist_kind k);
int flyt_dist_kind_from_name(const char *name);

/* Checks the parameters and computes the natural ones. Returns 0, or -1 with
 * a static message in *why. Empirical values and weights must be set. */
int flyt_dist_prepare(struct flyt_dist *d, const char **why);

double flyt_dist_sample(const struct flyt_dist *d, gsl_rng *r);

/* A length-biased draw (density x f(x) / mean): the whole length of a stay
 * found in progress at a random instant. */
double flyt_dist_sample_length_biased(const struct flyt_dist *d, gsl_rng *r);

/* An exponential with mean mu: by ziggurat on a flyt stream, by GSL on
 * any other generator. */
double flyt_rng_exponential(gsl_rng *r, double mu);

/* Theoretical mean of the distribution as prepared. */
double flyt_dist_mean(const struct flyt_dist *d);

/* Deep copy (the empirical table is rebuilt); returns 0 or -1. */
int flyt_dist_copy(struct flyt_dist *dst, const struct flyt_dist *src);
void flyt_dist_clear(struct flyt_dist *d);

#endif
