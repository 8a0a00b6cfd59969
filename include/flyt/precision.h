/*
 * flyt sequential precision (flyt run -r auto --precision P): replications
 * are added in batches until the 95 % interval's half-width of every named
 * KPI is within P of its mean. Replication r always draws the same random
 * numbers, so the figures after the last batch are exactly those of a
 * plain run with that many replications.
 */
#ifndef FLYT_PRECISION_H
#define FLYT_PRECISION_H

#include "flyt/result.h"

#include <stdbool.h>
#include <stddef.h>

#define FLYT_PRECISION_MAX_KPI     64
#define FLYT_PRECISION_DEFAULT_KPI "ukp_wait_mean"
#define FLYT_PRECISION_DEFAULT_MAX 1000
#define FLYT_PRECISION_MIN_BATCH   10

/* The relative half-width: the t half-width (flyt_stat's ci_half, whatever
 * the KPI's range) over |mean|. 0 when every value is the same (a half-width
 * of 0, the mean 0 included); INFINITY when fewer than two values are finite
 * or the mean is 0 with a spread, which no replication count makes small
 * relative to it. */
double flyt_precision_rel(const struct flyt_stat *st);

/* The next replication count after n: n + max(FLYT_PRECISION_MIN_BATCH, n/2),
 * at most max; n itself when n >= max. */
unsigned flyt_precision_next(unsigned n, unsigned max);

struct flyt_precision_kpi {
    char name[96];
    int handle; /* flyt_kpi_lookup's */
    double rel; /* reached after the last batch */
    bool met;
    unsigned n_finite; /* replications where it measured something */
    unsigned variant;  /* compare: the variant (1..) whose difference it is */
};

/* What flyt run reports. */
struct flyt_precision_report {
    double target;         /* P */
    unsigned replications; /* the count it stopped at */
    unsigned max;          /* --max-replications */
    unsigned batches;      /* rounds of replications run */
    bool met;              /* every KPI within P */
    bool paired;           /* compare: the figures are paired differences */
    size_t n;
    struct flyt_precision_kpi kpi[FLYT_PRECISION_MAX_KPI];
};

/* Fills every kpi's rel and met, and r->met, from res[0..n_res). */
void flyt_precision_assess(struct flyt_precision_report *r, const struct flyt_result *res,
                           size_t n_res);

/* flyt compare -r auto: the paired differences variant - base, per
 * replication. A difference whose interval excludes 0 is measured against
 * |mean difference|; one that does not (no difference to speak of, or not
 * yet) against |base mean|, so that "no difference" can be established to
 * within P of the base's level instead of never. */
double flyt_precision_rel_paired(const struct flyt_stat *diff, const struct flyt_stat *base);

/* flyt_precision_assess on the differences: kpi[k].variant picks the
 * variant, variants[v - 1] its results, paired with base by replication. */
void flyt_precision_assess_paired(struct flyt_precision_report *r, const struct flyt_result *base,
                                  const struct flyt_result *const *variants, size_t n_res);

#endif
