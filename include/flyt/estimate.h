/*
 * flyt estimation: what `flyt fit` needs to turn records into parameters.
 * Survival (Kaplan-Meier), censored maximum likelihood for the stay
 * families a scenario can use, a goodness-of-fit statistic, Poisson
 * regression of daily counts, and intervals for shares and rates.
 * Pure numerics on GSL: nothing here knows about scenarios or files.
 */
#ifndef FLYT_ESTIMATE_H
#define FLYT_ESTIMATE_H

#include <stdbool.h>
#include <stddef.h>

/* Durations (days, > 0) with right censoring: event[i] = 1 when the stay
 * ended at t[i], 0 when it was still running at t[i] (censored). */
struct flyt_est_sample {
    const double *t;
    const unsigned char *event;
    size_t n;
};

/* Kaplan-Meier: one row per distinct event time, S(t) just after it, with a
 * pointwise 95 % interval (Greenwood variance on the log(-log) scale; NaN
 * where S reaches 0). A stay censored at an event time counts as at risk
 * at it. The arrays are owned by the struct: flyt_est_km_free. */
struct flyt_est_km {
    size_t n; /* rows */
    double *t, *s, *lo, *hi;
    size_t *at_risk, *events;
    double median; /* smallest t with S <= 0.5, NaN when S stays above */
    double rmean;  /* restricted mean: area under S up to the largest
                      observed time, event or censored (R's default) */
};
int flyt_est_km(const struct flyt_est_sample *x,
                struct flyt_est_km *out); /* 0 or -1 (memory, no data) */
void flyt_est_km_free(struct flyt_est_km *km);

/* The parametric families, in flyt_dist's names and mean/sd parameterisation. */
enum flyt_est_family {
    FLYT_EST_EXPONENTIAL,
    FLYT_EST_GAMMA,
    FLYT_EST_LOGNORMAL,
    FLYT_EST_WEIBULL,
    FLYT_EST_N_FAMILY
};
const char *flyt_est_family_name(enum flyt_est_family f); /* "exponential", ... as flyt_dist_name */

struct flyt_est_fit {
    enum flyt_est_family family;
    bool ok; /* the maximiser converged and the observed information is
                positive definite (else the intervals are NaN) */
    int k;   /* free parameters: 1 (exponential) or 2 */
    double loglik, aic;
    double mean, sd; /* the fitted distribution's mean and sd (sd = mean for exponential) */
    double mean_lo, mean_hi, sd_lo, sd_hi; /* 95 % intervals: delta method on
                                              log(mean) and log(sd) with the
                                              observed information */
    double par[2];    /* natural parameters (exponential: rate; gamma: shape, scale;
                         lognormal: mu, sigma; weibull: shape, scale) */
    double cov[2][2]; /* their covariance */
    double gof;       /* goodness-of-fit statistic (see flyt_est_gof) */
    double gof_p;     /* its p-value; NaN until flyt_est_gof has run */
};

/* Maximum likelihood with right censoring for one family. 0, or -1 when the
 * sample cannot be fitted (fewer than 2 events, all at one time, a duration
 * not > 0 or not finite, memory). The exponential is closed-form. */
int flyt_est_fit_family(const struct flyt_est_sample *x, enum flyt_est_family f,
                        struct flyt_est_fit *out);

/* Goodness of fit of a fitted family to the sample, with censoring: the
 * statistic is sup |KM(t) - S(t; fitted)| over the event times (either side
 * of each KM step); its p-value is by parametric bootstrap: n_boot samples
 * drawn from the fitted family, censored at times drawn from the sample's
 * reverse Kaplan-Meier, each refitted. `seed` fixes it, so the answer is
 * reproducible. n_boot < 0: FLYT_EST_GOF_BOOT; 0: the statistic only
 * (gof_p NaN). Replicates have at most FLYT_EST_GOF_MAX_N stays; larger
 * samples compare sqrt(m) D_m with sqrt(n) D_n (docs/estimation.md).
 * Sets fit->gof and fit->gof_p. 0 or -1 (memory, a fit without parameters). */
#define FLYT_EST_GOF_BOOT  200
#define FLYT_EST_GOF_MAX_N 5000
int flyt_est_gof(const struct flyt_est_sample *x, struct flyt_est_fit *fit, unsigned long seed,
                 int n_boot);

/* All four families, the one with the smallest AIC in *best (index into
 * fits; a converged fit is preferred to one that did not converge), its
 * goodness of fit tested with n_boot replicates (the others get the
 * statistic, gof_p NaN). Returns 0, or -1 when none fitted. */
int flyt_est_fit_best(const struct flyt_est_sample *x, struct flyt_est_fit fits[FLYT_EST_N_FAMILY],
                      int *best, unsigned long seed, int n_boot);

/* Poisson regression of daily counts with a log link, fitted by IRLS:
 * log E[count_d] = log(base) + log(month_factor[month_d]) +
 * log(weekday_factor[weekday_d]) + years_d * log(1 + growth).
 * Factors are normalised so that the 12 month factors average 1 and the 7
 * weekday factors average 1 (base absorbs the rest), so base is the rate
 * per day at years = 0 in an average month and weekday. A level without
 * data (a month never seen), or a term not fitted, gets factor 1 and a NaN
 * interval (growth: 0 and NaN). The normalisation is the arithmetic mean,
 * because a scenario's factors multiply its rates as they are. Intervals
 * from the Fisher information, scaled by the Pearson dispersion when it
 * is above 1. 0, or -1 (no days, no events, a level out of range, fewer
 * days than coefficients); ok says IRLS converged. */
struct flyt_est_days {
    const double *count; /* events on day d */
    const int *month;    /* 0-11 */
    const int *weekday;  /* 0 Monday - 6 Sunday */
    const double *years; /* time of day d in years from the start */
    size_t n;
    bool fit_month, fit_weekday, fit_trend;
};
struct flyt_est_rate_model {
    double base, base_lo, base_hi;
    double month_factor[12], month_lo[12], month_hi[12];
    double weekday_factor[7], weekday_lo[7], weekday_hi[7];
    double growth, growth_lo, growth_hi; /* per year */
    double deviance, dispersion;         /* Pearson chi2 / df: > 1.5 says overdispersed */
    int df;
    bool ok;
};
int flyt_est_poisson_days(const struct flyt_est_days *x, struct flyt_est_rate_model *out);

/* Shares of k categories from counts: 95 % simultaneous intervals
 * (Goodman 1965) for each share. lo/hi have k entries. 0 or -1 (n = 0). */
int flyt_est_shares(const double *count, int k, double *share, double *lo, double *hi);

/* A Poisson rate: events over exposure (person-years), exact 95 % interval
 * from chi-square quantiles (Garwood). */
void flyt_est_rate(double events, double exposure, double *rate, double *lo, double *hi);

/* A binomial proportion with its 95 % Wilson interval. */
void flyt_est_proportion(double successes, double n, double *p, double *lo, double *hi);

#endif
