/* Internal to sim/estimate: the family table and the fit shared by the
 * maximum likelihood and the bootstrap of the goodness of fit. */
#ifndef FLYT_ESTIMATE_EST_H
#define FLYT_ESTIMATE_EST_H

#include "flyt/estimate.h"

#include <gsl/gsl_rng.h>

/* A family on unconstrained parameters th[2] (logs of the positive natural
 * parameters), so the maximiser needs no bounds and the information matrix
 * is better conditioned. */
struct flyt__est_family {
    const char *name;
    int k;
    /* Negative log-likelihood and its gradient in th (g may be NULL). */
    double (*nll)(const struct flyt_est_sample *x, const double th[2], double g[2]);
    void (*natural)(const double th[2], double par[2]);
    void (*moments)(const double par[2], double *mean, double *sd);
    double (*sf)(const double par[2], double t);
    double (*draw)(const double par[2], gsl_rng *r);
    /* th from the events' log-times (mean ml, sd sl) and the censoring-aware
     * exponential mean m. */
    void (*start)(double ml, double sl, double m, double th[2]);
};

extern const struct flyt__est_family flyt__est_families[FLYT_EST_N_FAMILY];

/* Fits family f. th0: starting point or NULL (then from the data). With
 * want_cov the covariance and intervals are filled in; without, only
 * par, loglik, mean and sd (the bootstrap's refits). */
int flyt__est_fit(const struct flyt_est_sample *x, enum flyt_est_family f, const double *th0,
                  bool want_cov, struct flyt_est_fit *out, double th_out[2]);

/* sup over event times of |KM - S(t; par)|, the family's fitted survival.
 * order: scratch of x->n entries. NaN without memory. */
double flyt__est_ks(const struct flyt_est_sample *x, const struct flyt__est_family *fam,
                    const double par[2], size_t *order);

/* Indices 0..n-1 sorted by time, events before censorings at a tie.
 * 0, or -1 without memory. */
int flyt__est_order(const struct flyt_est_sample *x, size_t *order);

/* The stays at time x->t[order[i]] from position i: counts the events in
 * *d and the censorings in *c, returns the position after them. */
size_t flyt__est_ties(const struct flyt_est_sample *x, const size_t *order, size_t i, size_t *d,
                      size_t *c);

#endif
