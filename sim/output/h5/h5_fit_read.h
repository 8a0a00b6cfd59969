/*
 * Internal to the output module: the fit file of `flyt fit`
 * (docs/hdf5-layout.md, "Fit file"; written by h5_fit.c) read back into
 * plain arrays, for flyt export and flyt report. One reader, so that the
 * two refuse a damaged file for the same reasons and in the same words.
 */
#ifndef FLYT_OUTPUT_H5_FIT_READ_H
#define FLYT_OUTPUT_H5_FIT_READ_H

#include <hdf5.h>

#include <stdbool.h>
#include <stddef.h>

#define FLYT__FIT_N_FAMILY 4  /* the second dimension of /fit/distributions/stats */
#define FLYT__FIT_N_STAT   10 /* its third */
#define FLYT__FIT_N_VALUE  5  /* the columns of /fit/shares/values and /fit/hazards/values */

/* The families in the order the writer stores them (attribute `families`). */
extern const char *const flyt__fit_families[FLYT__FIT_N_FAMILY];

/* Where each statistic sits along the last dimension of
 * /fit/distributions/stats (attribute `statistics`). */
enum flyt__fit_stat {
    FLYT__FIT_LOGLIK,
    FLYT__FIT_AIC,
    FLYT__FIT_MEAN,
    FLYT__FIT_MEAN_LO,
    FLYT__FIT_MEAN_HI,
    FLYT__FIT_SD,
    FLYT__FIT_SD_LO,
    FLYT__FIT_SD_HI,
    FLYT__FIT_GOF,
    FLYT__FIT_GOF_P
};

/* /fit/distributions: n fitted durations. */
struct flyt__fit_durations {
    bool present; /* the group is absent when nothing was fitted */
    size_t n;
    char **key, **group, **chosen;
    double *counts; /* [n x 2]: durations, and of them ended */
    double *stats;  /* [n x FLYT__FIT_N_FAMILY x FLYT__FIT_N_STAT]; NaN: not converged */
};

/* /fit/shares or /fit/hazards: n rows, one per estimate and category. */
struct flyt__fit_categories {
    bool present;
    size_t n;
    char **key, **group, **category;
    double *values; /* [n x FLYT__FIT_N_VALUE] */
};

/* /fit/arrivals: the daily counts and rates only (day 0 is from_day). */
struct flyt__fit_arrivals {
    bool present;
    size_t n_days;
    double *count, *fitted;
};

struct flyt__fit_file {
    bool have_from; /* /fit's from_date read as a date */
    int from_day;   /* days since 1970-01-01 */
    struct flyt__fit_durations durations;
    struct flyt__fit_categories shares, hazards;
    struct flyt__fit_arrivals arrivals;
};

/* What flyt__fit_read reads (or'ed together): each caller asks only for
 * what it shows, so a damaged part it never shows does not refuse the
 * file. FROM_DATE makes a from_date that is not a date a failure. */
enum {
    FLYT__FIT_READ_FROM_DATE = 1u << 0,
    FLYT__FIT_READ_DURATIONS = 1u << 1,
    FLYT__FIT_READ_SHARES = 1u << 2,
    FLYT__FIT_READ_HAZARDS = 1u << 3,
    FLYT__FIT_READ_ARRIVALS = 1u << 4,
};

/* Reads the parts of the open flyt file `file` (its name `path`, for
 * messages) into *out. Returns 0, or -1 with the first failure in err;
 * either way *out is to be released with flyt__fit_free. A part the file
 * does not have is left with present = false. */
int flyt__fit_read(hid_t file, const char *path, unsigned parts, struct flyt__fit_file *out,
                   char *err, size_t errlen);

void flyt__fit_free(struct flyt__fit_file *f);

/* The index of a family in flyt__fit_families, or -1 (`empirical`). */
int flyt__fit_family_index(const char *name);

#endif
