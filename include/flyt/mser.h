/*
 * flyt MSER-5 (White 1997; White, Cobb and Spratt 2000): where a daily
 * series has left its start-up transient. The series is cut into batches
 * of 5 days; for each candidate truncation d (in batches) MSER(d) is the
 * squared spread of the batch means after d over (batches left)^2, and the
 * smallest MSER(d) marks the truncation. Only the first half is searched:
 * a minimum in the second half says the series is too short to tell.
 *
 * flyt run --warmup auto applies it to the replication-averaged daily
 * series of a pilot run from day 0 and takes the latest truncation over
 * the key series (flyt_mser_key_*); without auto, to the measured series,
 * to warn when they still trend after the warm-up.
 */
#ifndef FLYT_MSER_H
#define FLYT_MSER_H

#include <stdbool.h>
#include <stddef.h>

#define FLYT_MSER_BATCH 5

struct flyt_mser {
    size_t days;       /* the truncation point, in days (a multiple of 5) */
    size_t n_days;     /* days in the series (whole batches only count) */
    double stat;       /* MSER at the truncation; NaN when too few batches */
    bool too_short;    /* the minimum lies in the second half and the first
                        * half's is at its end: still falling half-way */
    bool shifted;      /* the truncated part's mean differs from the rest's by
                        * more than 4 standard errors (batch means of the rest
                        * in 10 batches, for correlated days) */
    double head, tail; /* the means before and after the truncation; NaN
                        * when it is 0 or too few days are left */
};

/* MSER-5 of x[0..n-1]; non-finite values end the series there. Fewer than
 * 4 whole batches: days 0, stat NaN. */
struct flyt_mser flyt_mser5(const double *x, size_t n);

/* What flyt run reports: the truncation chosen per key series. */
struct flyt_mser_series {
    char name[96]; /* "ukp_waiting", "units.<id>.census" */
    struct flyt_mser m;
};

struct flyt_warmup_check {
    bool auto_chosen;   /* --warmup auto: warmup_days was chosen from these */
    double warmup_days; /* the warm-up used */
    double pilot_days;  /* the pilot's series length (auto), or the measured window */
    size_t n;
    struct flyt_mser_series *series; /* n, owned: flyt_warmup_check_free */
};

void flyt_warmup_check_free(struct flyt_warmup_check *w);
/* The latest truncation over the series, in days. */
size_t flyt_warmup_check_max(const struct flyt_warmup_check *w);

#endif
