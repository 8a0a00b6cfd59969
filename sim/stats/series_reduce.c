/* Per-day figures across replications, independent of the order in which
 * replications are added: see include/flyt/series.h. */
#include "flyt/series.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define SCALE 0x1p20 /* fixed-point units per unit of a series */
#define LIMIT 0x1p27 /* |x| * SCALE < 2^47, so sums of squares of 2^32 fit 128 bits */

#define H_BINS      4096  /* bins per day and series at most: 16 KiB of counts */
#define H_BINS_MIN  64    /* ... and at least, whatever the budget */
#define H_EXP_WHOLE 0     /* finest bins while every value is a whole number: exact */
#define H_EXP_REAL  (-20) /* finest bins once one is not: 2^-20, SCALE's unit */

const double flyt_series_quantiles[FLYT_N_SERIES_QUANTILE] = { 0.05, 0.25, 0.50, 0.75, 0.95 };

#define FLYT_FIELD_DEF(name, units, desc) { #name, units, desc, FLYT_RANGE_REAL },
const struct flyt_field_def flyt_series_stat_defs[FLYT_N_SERIES_STAT] = { FLYT_SERIES_STAT_LIST(
        FLYT_FIELD_DEF) };
#undef FLYT_FIELD_DEF

/* The histogram of a cell: bin k counts the values in [k 2^e, (k+1) 2^e),
 * count[i] is bin lo + i, and the bins span exactly floor(min 2^-e) to
 * floor(max 2^-e). e is the smallest exponent, not below H_EXP_WHOLE while
 * every value is whole and H_EXP_REAL after, at which that span fits in
 * H_BINS: a function of the values alone, whatever their order, and so are
 * the counts (coarser bins are unions of aligned finer ones). */
struct cell {
    __int128 sum, sum_sq; /* of q = rint(x * SCALE), and of q^2 */
    double min, max;
    unsigned n;
    bool too_big; /* a value beyond LIMIT: the sums and the histogram are not kept */
    bool off_int; /* a value that is not a whole number */
    bool no_hist; /* out of memory for the histogram: no quantiles */
    int e;        /* bins are 2^e wide */
    uint32_t len; /* bins in count */
    int64_t lo;   /* bin of count[0] */
    uint32_t *count;
};

struct flyt_series_reduce {
    size_t n_days;
    unsigned added;
    struct cell *cell; /* [series][day] */
    unsigned n_units;
    struct cell *unit_cell; /* [unit][unit series][day] */
    uint32_t bins;          /* a cell's histogram at most: flyt_series_hist_bins */
};

uint32_t flyt_series_hist_bins(size_t n_cells)
{
    size_t per = n_cells ? FLYT_SERIES_HIST_BUDGET / sizeof(uint32_t) / n_cells : H_BINS;
    return per >= H_BINS ? H_BINS : per <= H_BINS_MIN ? H_BINS_MIN : (uint32_t)per;
}

uint32_t flyt_series_reduce_bins(const struct flyt_series_reduce *red)
{
    return red->bins;
}

struct flyt_series_reduce *flyt_series_reduce_new(size_t n_days)
{
    struct flyt_series_reduce *red = calloc(1, sizeof *red);
    if (!red)
        return NULL;
    red->n_days = n_days;
    red->cell = calloc((n_days ? n_days : 1) * FLYT_N_SERIES, sizeof *red->cell);
    if (!red->cell) {
        free(red);
        return NULL;
    }
    red->bins = flyt_series_hist_bins(n_days * FLYT_N_SERIES);
    for (size_t i = 0; i < n_days * FLYT_N_SERIES; i++)
        red->cell[i] = (struct cell){ .min = INFINITY, .max = -INFINITY };
    return red;
}

static void free_counts(struct cell *c, size_t n)
{
    for (size_t i = 0; c && i < n; i++)
        free(c[i].count);
}

void flyt_series_reduce_free(struct flyt_series_reduce *red)
{
    if (!red)
        return;
    free_counts(red->cell, red->n_days * FLYT_N_SERIES);
    free(red->cell);
    free_counts(red->unit_cell, (size_t)red->n_units * FLYT_N_UNIT_SERIES * red->n_days);
    free(red->unit_cell);
    free(red);
}

int flyt_series_reduce_set_units(struct flyt_series_reduce *red, unsigned n_units)
{
    size_t n = (size_t)n_units * FLYT_N_UNIT_SERIES * red->n_days;
    struct cell *c = calloc(n ? n : 1, sizeof *c);
    if (!c)
        return -1;
    for (size_t i = 0; i < n; i++)
        c[i] = (struct cell){ .min = INFINITY, .max = -INFINITY };
    free_counts(red->unit_cell, (size_t)red->n_units * FLYT_N_UNIT_SERIES * red->n_days);
    free(red->unit_cell);
    red->unit_cell = c;
    red->n_units = n_units;
    /* before any value is added (a cell's bins are a function of its values
     * and this bound, whatever the order they come in) */
    red->bins = flyt_series_hist_bins(red->n_days * FLYT_N_SERIES + n);
    return 0;
}

unsigned flyt_series_reduce_units(const struct flyt_series_reduce *red)
{
    return red->n_units;
}

size_t flyt_series_reduce_days(const struct flyt_series_reduce *red)
{
    return red->n_days;
}

unsigned flyt_series_reduce_count(const struct flyt_series_reduce *red)
{
    return red->added;
}

/* floor(x 2^-e): exact, as |x| < 2^27 and e >= -20 keep it below 2^47. */
static int64_t bin_at(double x, int e)
{
    return (int64_t)floor(ldexp(x, -e));
}

/* floor(k / 2^s) for s >= 0, negative k included. */
static int64_t shift_down(int64_t k, int s)
{
    int64_t d = (int64_t)1 << s;
    return k >= 0 ? k / d : -((-k + d - 1) / d);
}

/* The smallest admissible exponent whose bins span [min, max] in `bins`. */
static int fit_exp(const struct cell *c, uint32_t bins)
{
    int e = c->off_int ? H_EXP_REAL : H_EXP_WHOLE;
    while (bin_at(c->max, e) - bin_at(c->min, e) + 1 > bins)
        e++;
    return e;
}

/* Moves the counts to bins 2^e wide spanning [min, max]. Going finer is
 * asked only when the first fractional value comes while the bins are 1
 * wide and so hold whole numbers exactly (wider ones are never refined:
 * a span that needed them needs them still). */
static int rebin(struct cell *c, int e)
{
    int64_t lo = bin_at(c->min, e);
    uint32_t len = (uint32_t)(bin_at(c->max, e) - lo + 1);
    uint32_t *n = calloc(len, sizeof *n);
    if (!n)
        return -1;
    for (uint32_t i = 0; c->count && i < c->len; i++) {
        int64_t k = c->lo + (int64_t)i;
        k = e >= c->e ? shift_down(k, e - c->e) : k * ((int64_t)1 << (c->e - e));
        n[k - lo] += c->count[i];
    }
    free(c->count);
    c->count = n;
    c->lo = lo;
    c->len = len;
    c->e = e;
    return 0;
}

/* min, max and off_int already include x. */
static void hist_add(struct cell *c, double x, uint32_t bins)
{
    if (c->too_big || c->no_hist)
        return;
    int e = c->count ? c->e : H_EXP_WHOLE;
    int want = fit_exp(c, bins);
    if (!c->count)
        c->e = want;
    if (!c->count || want != e || bin_at(c->min, want) != c->lo ||
        bin_at(c->max, want) != c->lo + (int64_t)c->len - 1) {
        if (rebin(c, want) < 0) {
            free(c->count);
            c->count = NULL;
            c->no_hist = true;
            return;
        }
    }
    c->count[bin_at(x, c->e) - c->lo]++;
}

static void add_value(struct cell *c, double x, uint32_t bins)
{
    if (!isfinite(x))
        return;
    c->n++;
    c->min = x < c->min ? x : c->min;
    c->max = x > c->max ? x : c->max;
    if (fabs(x) >= LIMIT) {
        c->too_big = true;
        free(c->count);
        c->count = NULL;
        return;
    }
    /* Rounded once per value, so the integer sums are the same in any order. */
    __int128 q = (__int128)rint(x * SCALE);
    c->sum += q;
    c->sum_sq += q * q;
    c->off_int = c->off_int || x != floor(x);
    hist_add(c, x, bins);
}

/* The value of rank r (0-based, r < n). Bins 1 wide over whole numbers
 * hold one value each: exact. Otherwise the c values of a bin are spread
 * evenly over its width, clamped to [min, max], as sim/model/quantile.c
 * reads its bins; the smallest and largest are exact. */
static double order_stat(const struct cell *c, uint64_t r)
{
    if (r == 0)
        return c->min;
    if (r == (uint64_t)c->n - 1)
        return c->max;
    for (uint32_t i = 0; i < c->len; i++) {
        uint64_t m = c->count[i];
        if (r >= m) {
            r -= m;
            continue;
        }
        int64_t k = c->lo + (int64_t)i;
        if (!c->off_int && c->e == H_EXP_WHOLE)
            return (double)k;
        double lo = fmax(ldexp((double)k, c->e), c->min);
        double hi = fmin(ldexp((double)(k + 1), c->e), c->max);
        if (m == 1)
            return 0.5 * (lo + hi);
        return lo + (hi - lo) * ((double)r / (double)(m - 1));
    }
    return c->max; /* not reached: the counts add up to n */
}

/* gsl_stats_quantile_from_sorted_data's definition, term for term. */
static double quantile_of(const struct cell *c, double p)
{
    if (c->n == 0 || c->too_big || c->no_hist)
        return NAN;
    double index = p * (double)(c->n - 1);
    uint64_t lhs = (uint64_t)index;
    double delta = index - (double)lhs;
    if (lhs == (uint64_t)c->n - 1)
        return order_stat(c, lhs);
    return (1 - delta) * order_stat(c, lhs) + delta * order_stat(c, lhs + 1);
}

void flyt_series_reduce_add(struct flyt_series_reduce *red, const struct flyt_result *r)
{
    red->added++;
    size_t len = r->n_days < red->n_days ? r->n_days : red->n_days;
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        if (!r->series[k])
            continue;
        struct cell *c = red->cell + (size_t)k * red->n_days;
        for (size_t d = 0; d < len; d++)
            add_value(&c[d], r->series[k][d], red->bins);
    }
    /* A result from another network (none in one run) would mix units. */
    if (!r->unit_series || r->n_units != red->n_units)
        return;
    for (unsigned u = 0; u < red->n_units; u++)
        for (int k = 0; k < FLYT_N_UNIT_SERIES; k++) {
            const double *x = flyt_result_unit_series(r, u, k);
            struct cell *c =
                    red->unit_cell + ((size_t)u * FLYT_N_UNIT_SERIES + (size_t)k) * red->n_days;
            for (size_t d = 0; d < len; d++)
                add_value(&c[d], x[d], red->bins);
        }
}

/* From the exact sums, in long double: the variance subtracts two
 * near-equal sums (a census of 1000 with an sd of 5), and long double's
 * 64-bit mantissa leaves ~1e-14 of relative error in the result. */
static double stat_of(const struct cell *c, enum flyt_series_stat st)
{
    long double n = c->n;
    switch (st) {
    case FLYT_SERIES_STAT_mean:
        return c->n == 0 || c->too_big ? NAN : (double)((long double)c->sum / n / SCALE);
    case FLYT_SERIES_STAT_sd: {
        if (c->n < 2 || c->too_big)
            return NAN;
        long double s = (long double)c->sum;
        long double v = ((long double)c->sum_sq - s * s / n) / (n - 1) / SCALE / SCALE;
        return v > 0 ? (double)sqrtl(v) : 0.0;
    }
    case FLYT_SERIES_STAT_min:
        return c->n ? c->min : NAN;
    case FLYT_SERIES_STAT_max:
        return c->n ? c->max : NAN;
    case FLYT_SERIES_STAT_p05:
    case FLYT_SERIES_STAT_p25:
    case FLYT_SERIES_STAT_p50:
    case FLYT_SERIES_STAT_p75:
    case FLYT_SERIES_STAT_p95:
        return quantile_of(c, flyt_series_quantiles[st - FLYT_SERIES_STAT_p05]);
    case FLYT_SERIES_STAT_n:
    default:
        return c->n;
    }
}

void flyt_series_reduce_get(const struct flyt_series_reduce *red, enum flyt_series k,
                            enum flyt_series_stat st, double *out)
{
    const struct cell *c = red->cell + (size_t)k * red->n_days;
    for (size_t d = 0; d < red->n_days; d++)
        out[d] = stat_of(&c[d], st);
}

void flyt_series_reduce_unit_get(const struct flyt_series_reduce *red, unsigned u,
                                 enum flyt_unit_series k, enum flyt_series_stat st, double *out)
{
    const struct cell *c =
            red->unit_cell + ((size_t)u * FLYT_N_UNIT_SERIES + (size_t)k) * red->n_days;
    for (size_t d = 0; d < red->n_days; d++)
        out[d] = u < red->n_units ? stat_of(&c[d], st) : NAN;
}

double flyt_series_whole_bytes_units(unsigned n_rep, size_t n_days, unsigned n_units)
{
    return flyt_series_whole_bytes(n_rep, n_days) +
           (double)n_rep * (double)n_days * n_units * FLYT_N_UNIT_SERIES * sizeof(double);
}

double flyt_series_whole_bytes(unsigned n_rep, size_t n_days)
{
    return (double)n_rep * (double)n_days * FLYT_N_SERIES * sizeof(double);
}
