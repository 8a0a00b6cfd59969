/*
 * flyt series reduction: the daily series of many replications folded, as
 * each replication finishes, into per-day figures across replications
 * (mean, sd, min, max and the count of replications that reached the day),
 * so that memory grows with the horizon, not with the replication count.
 *
 * The result does not depend on the order in which replications are added
 * (threads finish in any order): sums are kept exactly, as integers in units
 * of 2^-20, and min and max are order-free. A value is rounded to 2^-20
 * (about 1e-6) once, before it is added; counts are whole numbers and so
 * exact. Values beyond +-2^27 (134 million) make that day's mean and sd NaN.
 * Non-finite values (the days a stopped replication never reached) are
 * left out of every figure and of the count.
 *
 * Quantiles come from a histogram per day and series whose bins are powers
 * of two wide, aligned at 0, as fine as lets them span the day's min to max
 * in 4,096 bins (16 KiB at most) but never finer than 1 while every value
 * is a whole number, nor than 2^-20 after. Whole-number series (counts,
 * censuses) with a spread of at most 4,095 are so counted exactly and their
 * quantiles are exact; otherwise an order statistic is read within its bin,
 * at most max(2^-20, (max - min) / 2047) from the true one, and the
 * smallest and largest are exact. The bins depend on the values alone, not
 * their order. Quantiles follow gsl_stats_quantile_from_sorted_data
 * (position (n - 1) p, linear between the order statistics either side; R's
 * type 7, numpy's "linear"); NaN where mean and sd are.
 */
#ifndef FLYT_SERIES_H
#define FLYT_SERIES_H

#include "flyt/result.h"

#include <stddef.h>
#include <stdint.h>

/* X(name, units, description); units "" means the series' own. */
#define FLYT_SERIES_STAT_LIST(X)                                              \
    X(mean, "", "mean across replications, per day")                          \
    X(sd, "", "standard deviation across replications (n - 1), per day")      \
    X(min, "", "smallest value across replications, per day")                 \
    X(max, "", "largest value across replications, per day")                  \
    X(n, "replications", "replications with a value on the day (reached it)") \
    X(p05, "", "5 % quantile across replications, per day")                   \
    X(p25, "", "25 % quantile across replications, per day")                  \
    X(p50, "", "median across replications, per day")                         \
    X(p75, "", "75 % quantile across replications, per day")                  \
    X(p95, "", "95 % quantile across replications, per day")

#define FLYT_SERIES_STAT_ENUM(name, units, desc) FLYT_SERIES_STAT_##name,
enum flyt_series_stat { FLYT_SERIES_STAT_LIST(FLYT_SERIES_STAT_ENUM) FLYT_N_SERIES_STAT };
#undef FLYT_SERIES_STAT_ENUM

extern const struct flyt_field_def flyt_series_stat_defs[FLYT_N_SERIES_STAT];

/* The probabilities of the quantile statistics, p05 to p95 in order. */
#define FLYT_N_SERIES_QUANTILE (FLYT_N_SERIES_STAT - FLYT_SERIES_STAT_p05)
extern const double flyt_series_quantiles[FLYT_N_SERIES_QUANTILE];

struct flyt_series_reduce;

/* For series n_days long; NULL when out of memory. */
struct flyt_series_reduce *flyt_series_reduce_new(size_t n_days);
void flyt_series_reduce_free(struct flyt_series_reduce *red); /* NULL: no-op */

size_t flyt_series_reduce_days(const struct flyt_series_reduce *red);
unsigned flyt_series_reduce_count(const struct flyt_series_reduce *red); /* results added */

/* Folds r's series in (days past red's n_days are ignored, missing ones
 * count as not reached). Not thread-safe: callers serialise. */
void flyt_series_reduce_add(struct flyt_series_reduce *red, const struct flyt_result *r);

/* out[0..n_days-1] = statistic st of series k per day; NaN where no
 * replication reached the day (mean, min, max, quantiles) or fewer than two
 * did (sd), and for the quantiles where the histogram found no memory. */
void flyt_series_reduce_get(const struct flyt_series_reduce *red, enum flyt_series k,
                            enum flyt_series_stat st, double *out);

/* Per-unit series (FLYT_UNIT_SERIES_LIST) are folded too once the reducer
 * knows the network's size: results with another n_units are left out of
 * the unit figures. -1 when out of memory. */
int flyt_series_reduce_set_units(struct flyt_series_reduce *red, unsigned n_units);
unsigned flyt_series_reduce_units(const struct flyt_series_reduce *red);
/* As flyt_series_reduce_get, for unit u's series k (NaN past n_units). */
void flyt_series_reduce_unit_get(const struct flyt_series_reduce *red, unsigned u,
                                 enum flyt_unit_series k, enum flyt_series_stat st, double *out);

/* The per-day quantiles come from a histogram per cell (day and series) of
 * at most 4,096 bins spanning the cell's values (exact for whole numbers
 * within that span). A national region has some 1.6 million cells a year,
 * and 16 KiB each took gigabytes, so all histograms together get at most
 * FLYT_SERIES_HIST_BUDGET bytes of counts: a cell's bins are then fewer
 * (never under 64), and a quantile is within one bin (2^e wide, the
 * smallest power of two that spans the cell's range in that many bins) of
 * the exact one. Fixed before any value comes, so the figures are the same
 * in any order of replications. */
#define FLYT_SERIES_HIST_BUDGET ((size_t)512 << 20)
uint32_t flyt_series_hist_bins(size_t n_cells);
/* The bound red's cells use (set by flyt_series_reduce_new and _set_units). */
uint32_t flyt_series_reduce_bins(const struct flyt_series_reduce *red);

/* Bytes the whole series of n_rep replications of n_days take in memory:
 * what flyt run weighs when it chooses between whole and reduced. */
double flyt_series_whole_bytes(unsigned n_rep, size_t n_days);
/* The same with n_units units' series. */
double flyt_series_whole_bytes_units(unsigned n_rep, size_t n_days, unsigned n_units);

#endif
