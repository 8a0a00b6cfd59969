/* Internal to flyt fit: samples built from records, and the pieces of the
 * estimate that several files share. */
#ifndef FLYT_FIT_INTERNAL_H
#define FLYT_FIT_INTERNAL_H

#include "flyt/fit.h"

#include <stdarg.h>

/* A growing sample of durations with censoring. */
struct fit_sample {
    double *t;
    unsigned char *ev;
    size_t n, cap, n_events;
};
int flyt__fit_sample_add(struct fit_sample *s, double t, bool event);
void flyt__fit_sample_free(struct fit_sample *s);

/* Counts per category of one group (shares, or events of hazards). */
struct fit_counts {
    double c[FLYT_FIT_MAX_CATS];
    double exposure; /* hazards: days at risk */
};

/* Groups put together so that each cluster has at least min of size[]:
 * cluster[g] for every group; returns the number of clusters. Groups are
 * joined to a neighbour in CFS order (the smaller one). */
int flyt__fit_pool(const struct flyt_scenario *s, const double *size, double min, int *cluster);

/* "frail" or "frail+severe" for a mask of groups. */
void flyt__fit_label(const struct flyt_scenario *s, unsigned mask, char *buf, size_t len);

int flyt__fit_note(struct flyt_fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Estimates a distribution from a sample into a new entry of f->dists. */
int flyt__fit_dist(struct flyt_fit *f, const char *key, unsigned mask, const struct fit_sample *x,
                   const struct flyt_fit_options *o);
int flyt__fit_shares(struct flyt_fit *f, const char *key, unsigned mask, int n_cat,
                     const char (*cat)[48], const double *count);
int flyt__fit_rates(struct flyt_fit *f, const char *key, unsigned mask, int n_cat,
                    const char (*cat)[48], const double *events, double exposure_days);

/* The Monday-Friday time between two instants (days since 1970-01-01). */
double flyt__fit_working_days(double a, double b);

#endif
