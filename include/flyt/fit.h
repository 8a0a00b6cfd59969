/*
 * flyt fit: a scenario estimated from stay records (docs/fit.md). The
 * records (flyt/records.h) are read against a base scenario, which gives
 * the structure (units, groups, capacities) and every value the records
 * cannot tell; flyt_fit_estimate turns them into estimates with their
 * record counts and intervals, flyt_fit_scenario_text writes them into the
 * base's own text, and flyt_h5_write_fit (flyt/fit_file.h) keeps
 * everything for reviewers.
 */
#ifndef FLYT_FIT_H
#define FLYT_FIT_H

#include "flyt/estimate.h"
#include "flyt/records.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct flyt_scenario;

#define FLYT_FIT_KEY_LEN   128
#define FLYT_FIT_LABEL_LEN 96
#define FLYT_FIT_MAX_CATS  64

/* One distribution estimated from durations: a key (`hospital.los_days`)
 * for a set of frailty groups (pooled when too few records). */
struct flyt_fit_dist {
    char key[FLYT_FIT_KEY_LEN];
    char label[FLYT_FIT_LABEL_LEN]; /* "frail", or "frail+severe" when pooled */
    unsigned group_mask;            /* bit g: group g takes this estimate */
    size_t n, n_events;             /* durations, of which ended (not censored) */
    struct flyt_est_fit fits[FLYT_EST_N_FAMILY];
    int best; /* index into fits, or -1: empirical */
    struct flyt_est_km km;
    /* empirical (no family fits): values and weights from the KM's jumps */
    size_t n_emp;
    double *emp_values, *emp_weights;
};

/* Shares of categories (where stays lead, where decisions send patients,
 * the population's mix), with simultaneous 95 % intervals. */
struct flyt_fit_shares {
    char key[FLYT_FIT_KEY_LEN];
    char label[FLYT_FIT_LABEL_LEN];
    unsigned group_mask;
    int n_cat;
    char cat[FLYT_FIT_MAX_CATS][48];
    double count[FLYT_FIT_MAX_CATS], share[FLYT_FIT_MAX_CATS];
    double lo[FLYT_FIT_MAX_CATS], hi[FLYT_FIT_MAX_CATS];
    double total;
};

/* Competing hazards of a caseload: events per person-year at risk. */
struct flyt_fit_rates {
    char key[FLYT_FIT_KEY_LEN];
    char label[FLYT_FIT_LABEL_LEN];
    unsigned group_mask;
    int n_cat;
    char cat[FLYT_FIT_MAX_CATS][48];
    double events[FLYT_FIT_MAX_CATS], rate[FLYT_FIT_MAX_CATS];
    double lo[FLYT_FIT_MAX_CATS], hi[FLYT_FIT_MAX_CATS];
    double exposure_years;
};

struct flyt_fit_options {
    int min_records;    /* a group with fewer ended durations is pooled (default 30) */
    int n_boot;         /* bootstrap replicates of the goodness-of-fit test (default 200) */
    unsigned long seed; /* of that bootstrap */
    double gof_alpha;   /* below this p-value no family fits: empirical (default 0.01) */
};

struct flyt_fit {
    const struct flyt_scenario *base;
    int from_day, until_day; /* days since 1970-01-01 of the window */
    double from, until;
    size_t n_stays, n_ready, n_patients, n_truncated;
    /* arrivals: daily admissions from the community over the window */
    size_t n_days;
    double *day_count, *day_fitted;
    struct flyt_est_rate_model arrivals;
    bool month_fitted, weekday_fitted, trend_fitted;
    size_t n_arrivals, n_readmissions;
    struct flyt_fit_dist *dists;
    size_t n_dists;
    struct flyt_fit_shares *shares;
    size_t n_shares;
    struct flyt_fit_rates *rates;
    size_t n_rates;
    /* what the output must say: pooled groups, values kept from the base,
     * records left out and why; one line each */
    char **notes;
    size_t n_notes;
};

/* Estimates everything the records can tell. Returns 0, 2 when the
 * records are too few for any fit (with the reason on err), or 1 on
 * failure (memory). */
int flyt_fit_estimate(const struct flyt_records *rec, const struct flyt_scenario *base,
                      const struct flyt_fit_options *o, struct flyt_fit *out, FILE *err);
void flyt_fit_free(struct flyt_fit *f);

/* The base scenario's text with every estimate in place, each value
 * commented with its records and interval. With arrivals_table (a path as
 * the scenario will name it) the arrivals are that table of the records'
 * daily admissions instead of the fitted profile, and the run covers the
 * records' window. Returns malloc'd text or NULL with a message in err. */
char *flyt_fit_scenario_text(const struct flyt_fit *f, const char *base_text,
                             const char *arrivals_table, char *err, size_t errlen);

/* The fit's table on out: windows, counts, every estimate and the notes. */
void flyt_fit_print(FILE *out, const struct flyt_fit *f);

#endif
