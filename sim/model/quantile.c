/* A bounded store for the mean, median, 90th percentile and maximum of a
 * per-patient figure (UKP waits, short-term stays), so that a replication's
 * memory does not grow with its horizon.
 *
 * Up to FLYT_QUANTILE_EXACT values it keeps every value and the figures
 * are exact, computed as they always were (gsl_sort, gsl_stats_mean over
 * the sorted values, gsl_stats_quantile_from_sorted_data): a run of that
 * size gives the same bits as before this store existed.
 *
 * The value after that replays the kept values, in the order they came,
 * into a histogram allocated then (so short runs never pay for it), frees
 * them, and from then on every value goes to the histogram alone: an exact
 * count of zeros (a UKP wait of exactly 0 is common), Q_BINS log-spaced
 * bins of relative width 2^(1/1024) - 1 (0.068 %) over [2^-20, 2^20) days,
 * values in (0, 2^-20) counted in the lowest bin and values from 2^20 on in
 * an overflow bin; the exact maximum and smallest positive value; and a
 * Neumaier-compensated running sum for the mean (its error does not grow
 * with the count, unlike a plain sum's). Quantiles use the definition of
 * gsl_stats_quantile_from_sorted_data (position (n - 1) p, linear
 * interpolation between the order statistics on either side), each order
 * statistic read from the histogram: the value of rank j among the c
 * values of a bin is interpolated linearly from the bin's lower to its
 * upper edge, both clamped to the smallest positive value and the maximum
 * seen. An order statistic so read lies in the same bin as the true one,
 * so it is within one bin width, 0.068 % of the value, of it; so is a
 * quantile, which interpolates between two of them. Values are days, never
 * negative; a negative or NaN value would be counted as 0 by the histogram
 * (it is kept as it is while exact).
 */
#include "model/model.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define Q_LOG2_MIN (-20)                   /* lowest bin edge 2^-20 days (0.08 s) */
#define Q_OCTAVES  40                      /* up to 2^20 days (2,870 years) */
#define Q_PER_OCT  1024                    /* bins per doubling: relative width 2^(1/1024) - 1 */
#define Q_OVERFLOW (Q_OCTAVES * Q_PER_OCT) /* index of the overflow bin */
#define Q_BINS     (Q_OVERFLOW + 1)

static size_t bin_of(double x)
{
    double k = floor((log2(x) - Q_LOG2_MIN) * Q_PER_OCT);
    if (k < 0)
        return 0;
    if (!(k < Q_OVERFLOW)) /* infinities included */
        return Q_OVERFLOW;
    return (size_t)k;
}

/* Lower edge of bin k (k in 1..Q_OVERFLOW). */
static double edge(size_t k)
{
    return exp2((double)k / Q_PER_OCT + Q_LOG2_MIN);
}

static void hist_add(struct quantile *q, double x)
{
    if (!(x > 0)) {
        q->zeros++;
        x = 0;
    } else {
        q->bin[bin_of(x)]++;
        if (x < q->min_pos)
            q->min_pos = x;
    }
    if (x > q->max)
        q->max = x;
    /* Neumaier's compensated sum */
    double t = q->sum + x;
    if (fabs(q->sum) >= fabs(x))
        q->sum_c += (q->sum - t) + x;
    else
        q->sum_c += (x - t) + q->sum;
    q->sum = t;
}

/* The kept values replayed into a new histogram. */
static int start_hist(struct quantile *q)
{
    q->bin = calloc(Q_BINS, sizeof *q->bin);
    if (!q->bin)
        return -1;
    /* zeros already counted: they add nothing to the sum, and a count does
     * not depend on the order the values came in */
    q->sum = q->sum_c = 0;
    q->min_pos = INFINITY;
    q->max = 0;
    for (size_t i = 0; i < q->nx; i++)
        hist_add(q, q->x[i]);
    free(q->x);
    q->x = NULL;
    q->cap = q->nx = 0;
    return 0;
}

int flyt__quantile_add(struct quantile *q, double x)
{
    if (q->bin) {
        hist_add(q, x);
        q->n++;
        return 0;
    }
    if (q->n < FLYT_QUANTILE_EXACT) {
        /* Waits of exactly 0 are most of some units' waits: counted, not
         * kept, and put back in front of the sorted values at the end,
         * where sorting would have put them. */
        if (x == 0 && !signbit(x)) {
            q->zeros++;
            q->n++;
            return 0;
        }
        if (q->nx == q->cap) {
            size_t cap = q->cap ? q->cap * 2 : 1024;
            if (cap > FLYT_QUANTILE_EXACT)
                cap = FLYT_QUANTILE_EXACT;
            double *t = realloc(q->x, cap * sizeof *t);
            if (!t)
                return -1;
            q->x = t;
            q->cap = cap;
        }
        q->x[q->nx++] = x;
        q->n++;
        return 0;
    }
    /* one past the exact limit: the histogram takes over */
    if (start_hist(q) != 0)
        return -1;
    hist_add(q, x);
    q->n++;
    return 0;
}

bool flyt__quantile_exact(const struct quantile *q)
{
    return q->bin == NULL;
}

/* The order statistic of rank r (0-based, r < n) from the histogram. */
static double order_stat(const struct quantile *q, uint64_t r)
{
    if (r < q->zeros)
        return 0;
    r -= q->zeros;
    for (size_t k = 0; k < Q_BINS; k++) {
        uint64_t c = q->bin[k];
        if (r >= c) {
            r -= c;
            continue;
        }
        double lo = k == 0 ? 0 : edge(k), hi = k == Q_OVERFLOW ? q->max : edge(k + 1);
        if (lo < q->min_pos)
            lo = q->min_pos;
        if (hi > q->max)
            hi = q->max;
        if (hi < lo) /* a value rounded into a neighbouring bin by log2 */
            hi = lo;
        if (c == 1)
            return 0.5 * (lo + hi);
        return lo + (hi - lo) * ((double)r / (double)(c - 1));
    }
    return q->max; /* not reached: the counts add up to n */
}

/* gsl_stats_quantile_from_sorted_data's definition on the histogram. */
static double hist_quantile(const struct quantile *q, double p)
{
    double index = p * (double)(q->n - 1);
    uint64_t lhs = (uint64_t)index;
    double delta = index - (double)lhs;
    if (lhs == q->n - 1)
        return order_stat(q, lhs);
    return (1 - delta) * order_stat(q, lhs) + delta * order_stat(q, lhs + 1);
}

/* Sorts x ascending. Non-negative doubles order like their bits, so a
 * least-significant-digit radix sort on those bits gives the very order of
 * gsl_sort (a heapsort) in linear time: the figures are the same bits, at a
 * fraction of the cost for tens of thousands of values. Anything else (a
 * sign bit, NaN, no memory for the second buffer, a handful of values)
 * goes to gsl_sort. */
static void sort_values(double *x, size_t n)
{
    uint64_t *buf = n >= 256 ? malloc(2 * n * sizeof *buf) : NULL;
    bool plain = buf != NULL;
    for (size_t i = 0; i < n && plain; i++)
        plain = !signbit(x[i]) && !isnan(x[i]);
    if (!plain) {
        free(buf);
        gsl_sort(x, 1, n);
        return;
    }
    memcpy(buf, x, n * sizeof *buf); /* the bits, without aliasing the doubles */
    flyt__radix_sort(buf, NULL, n, buf + n, NULL);
    memcpy(x, buf, n * sizeof *x);
    free(buf);
}

void flyt__quantile_kpis(struct quantile *q, double *mean, double *median, double *p90, double *max)
{
    if (q->n == 0) {
        *mean = *median = NAN;
        if (p90)
            *p90 = *max = NAN;
        return;
    }
    if (q->bin) {
        *mean = (q->sum + q->sum_c) / (double)q->n;
        *median = hist_quantile(q, 0.5);
        if (p90) {
            *p90 = hist_quantile(q, 0.9);
            *max = q->max;
        }
        return;
    }
    sort_values(q->x, q->nx);
    double *v = q->x;
    if (q->zeros > 0) { /* the zeros back in front, as sorting every value would put them */
        v = malloc(q->n * sizeof *v);
        if (!v) {
            *mean = *median = NAN;
            if (p90)
                *p90 = *max = NAN;
            return;
        }
        memset(v, 0, q->zeros * sizeof *v);
        if (q->nx)
            memcpy(v + q->zeros, q->x, q->nx * sizeof *v);
    }
    *mean = gsl_stats_mean(v, 1, q->n);
    *median = gsl_stats_quantile_from_sorted_data(v, 1, q->n, 0.5);
    if (p90) {
        *p90 = gsl_stats_quantile_from_sorted_data(v, 1, q->n, 0.9);
        *max = v[q->n - 1];
    }
    if (v != q->x)
        free(v);
}

int flyt__quantile_merge(struct quantile *dst, const struct quantile *src)
{
    if (!src->bin) {
        for (uint64_t i = 0; i < src->zeros; i++)
            if (flyt__quantile_add(dst, 0.0) != 0)
                return -1;
        for (size_t i = 0; i < src->nx; i++)
            if (flyt__quantile_add(dst, src->x[i]) != 0)
                return -1;
        return 0;
    }
    /* src has its histogram: dst takes one too, and adds the bins */
    if (!dst->bin && start_hist(dst) != 0)
        return -1;
    for (size_t k = 0; k < Q_BINS; k++)
        dst->bin[k] += src->bin[k];
    dst->zeros += src->zeros;
    dst->n += src->n;
    if (src->min_pos < dst->min_pos)
        dst->min_pos = src->min_pos;
    if (src->max > dst->max)
        dst->max = src->max;
    double parts[2] = { src->sum, src->sum_c };
    for (int i = 0; i < 2; i++) {
        double x = parts[i], t = dst->sum + x;
        if (fabs(dst->sum) >= fabs(x))
            dst->sum_c += (dst->sum - t) + x;
        else
            dst->sum_c += (x - t) + dst->sum;
        dst->sum = t;
    }
    return 0;
}

void flyt__quantile_free(struct quantile *q)
{
    free(q->x);
    free(q->bin);
    *q = (struct quantile){ 0 }; /* empty again: a unit's store is reused in place */
}

void flyt__samples_add(struct model *m, struct quantile *q, double x)
{
    if (flyt__quantile_add(q, x) != 0)
        m->failed = true;
}

/* The closed values in ascending order, one at a time, without
 * materialising a histogram's millions: the same values order_stat reads. */
struct q_walk {
    const struct quantile *q;
    const double *v; /* the sorted kept values while exact */
    uint64_t r;      /* rank of the next value */
    size_t k;        /* histogram: current bin */
    uint64_t j;      /* rank within it */
};

static double walk_next(struct q_walk *w)
{
    const struct quantile *q = w->q;
    uint64_t r = w->r++;
    if (r < q->zeros)
        return 0;
    if (!q->bin)
        return w->v[r - q->zeros];
    while (w->j >= q->bin[w->k]) {
        w->k++;
        w->j = 0;
    }
    uint64_t c = q->bin[w->k], j = w->j++;
    size_t k = w->k;
    double lo = k == 0 ? 0 : edge(k), hi = k == Q_OVERFLOW ? q->max : edge(k + 1);
    if (lo < q->min_pos)
        lo = q->min_pos;
    if (hi > q->max)
        hi = q->max;
    if (hi < lo)
        hi = lo;
    if (c == 1)
        return 0.5 * (lo + hi);
    return lo + (hi - lo) * ((double)j / (double)(c - 1));
}

void flyt__km_quantiles(const double *closed, size_t n, const double *cens, size_t nc,
                        const double *p, double *out, size_t np)
{
    struct quantile q = { .x = (double *)closed, .n = n, .nx = n };
    flyt__km_walk(&q, closed, cens, nc, p, out, np);
}

void flyt__km_walk(const struct quantile *q, const double *sorted, const double *cens, size_t nc,
                   const double *p, double *out, size_t np)
{
    struct q_walk w = { .q = q, .v = sorted };
    double top = nc ? cens[nc - 1] : 0;
    for (size_t i = 0; i < np; i++)
        out[i] = NAN;
    uint64_t at_risk = (uint64_t)q->n + nc;
    size_t ic = 0, found = 0;
    double s = 1;
    for (uint64_t r = 0; r < q->n && found < np; r++) {
        double e = walk_next(&w);
        if (e > top)
            top = e;
        /* a wait censored at the very time of an event was still at risk
         * then: only those censored strictly before leave the risk set */
        while (ic < nc && cens[ic] < e) {
            ic++;
            at_risk--;
        }
        s *= 1.0 - 1.0 / (double)at_risk;
        at_risk--;
        for (size_t i = 0; i < np; i++)
            if (isnan(out[i]) && s <= 1.0 - p[i]) {
                out[i] = e;
                found++;
            }
    }
    /* The survival never fell to 1 - p: the quantile lies beyond every
     * time observed, and the longest of them is what is known of it. */
    for (size_t i = 0; i < np; i++)
        if (isnan(out[i]))
            out[i] = q->n || nc ? top : NAN;
}

double flyt__km_survival(const struct quantile *q, const double *cens, size_t nc, double x)
{
    struct q_walk w = { .q = q, .v = q->bin ? NULL : q->x };
    uint64_t at_risk = (uint64_t)q->n + nc;
    size_t ic = 0;
    double s = 1;
    for (uint64_t r = 0; r < q->n; r++) {
        double e = walk_next(&w);
        if (e > x)
            break;
        while (ic < nc && cens[ic] < e) {
            ic++;
            at_risk--;
        }
        s *= 1.0 - 1.0 / (double)at_risk;
        at_risk--;
    }
    return s;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void flyt__quantile_kpis_open(struct quantile *q, double *cens, size_t nc, double carry,
                              double *mean, double *median, double *p90, double *max)
{
    if (nc == 0) { /* nothing open: the estimators of a complete sample, bit for bit */
        flyt__quantile_kpis(q, mean, median, p90, max);
        return;
    }
    qsort(cens, nc, sizeof *cens, cmp_double);
    double sum_c = 0;
    for (size_t i = 0; i < nc; i++)
        sum_c += cens[i];
    double mean_closed = 0, max_closed = 0;
    double *sorted = NULL;
    if (q->n > 0 && !q->bin) {
        sort_values(q->x, q->nx);
        sorted = q->x;
        /* the zeros (counted, not kept) lower the mean by their share */
        mean_closed = q->nx ? gsl_stats_mean(q->x, 1, q->nx) * ((double)q->nx / (double)q->n) : 0;
        max_closed = q->nx ? q->x[q->nx - 1] : 0;
    } else if (q->n > 0) {
        mean_closed = (q->sum + q->sum_c) / (double)q->n;
        max_closed = q->max;
    }
    /* Little's law: the census integrated over the window (closed, open so
     * far, and the carry of those begun before it) over the number begun
     * in it, which in a steady state is the mean however many are open */
    *mean = (mean_closed * (double)q->n + sum_c + carry) / (double)(q->n + nc);
    double pr[2] = { 0.5, 0.9 }, qs[2];
    flyt__km_walk(q, sorted, cens, nc, pr, qs, p90 ? 2 : 1);
    *median = qs[0];
    if (p90) {
        *p90 = qs[1];
        *max = max_closed > cens[nc - 1] ? max_closed : cens[nc - 1];
    }
}
