/* MSER-5 (include/flyt/mser.h). */
#include "flyt/mser.h"

#include <math.h>
#include <stdlib.h>

/* Whether the mean of x[0..d) differs from that of x[d..n) by more than
 * 4 standard errors. Daily censuses are correlated over a stay, so the
 * errors come from 10 batches of the rest (batch means, each many days
 * long), not from the 5-day batches, whose means move together; and 4, not
 * 2, as d is where the difference looked largest. */
enum { NB = 10 };
#define CRIT 4.0
static bool shifted(const double *x, size_t d, size_t n, struct flyt_mser *r)
{
    size_t rest = n - d, m = rest / NB;
    if (d == 0 || m < FLYT_MSER_BATCH)
        return false;
    double head = 0, tail = 0, b[NB], bm = 0, s2 = 0;
    for (size_t t = 0; t < d; t++)
        head += x[t];
    head /= (double)d;
    for (size_t t = d; t < n; t++)
        tail += x[t];
    tail /= (double)rest;
    for (int k = 0; k < NB; k++) {
        b[k] = 0;
        for (size_t t = 0; t < m; t++)
            b[k] += x[d + (size_t)k * m + t];
        b[k] /= (double)m;
        bm += b[k] / NB;
    }
    for (int k = 0; k < NB; k++)
        s2 += (b[k] - bm) * (b[k] - bm) / (NB - 1);
    /* the variance of a mean over L days is about s2 m / L */
    double se = sqrt(s2 * (double)m * (1.0 / (double)d + 1.0 / (double)rest));
    double diff = fabs(head - tail);
    r->head = head;
    r->tail = tail;
    return diff > CRIT * se && diff > 1e-9 * (fabs(tail) + 1);
}

struct flyt_mser flyt_mser5(const double *x, size_t n)
{
    struct flyt_mser r = { 0, 0, NAN, false, false, NAN, NAN };
    size_t len = 0;
    while (len < n && isfinite(x[len]))
        len++;
    size_t nb = len / FLYT_MSER_BATCH;
    r.n_days = nb * FLYT_MSER_BATCH;
    if (nb < 4)
        return r;
    double *z = malloc(nb * sizeof *z);
    if (!z)
        return r;
    for (size_t b = 0; b < nb; b++) {
        double s = 0;
        for (size_t j = 0; j < FLYT_MSER_BATCH; j++)
            s += x[b * FLYT_MSER_BATCH + j];
        z[b] = s / FLYT_MSER_BATCH;
    }
    /* Suffix sums, so that every candidate costs O(1); a two-pass mean
     * per candidate would be O(n^2) on a 30-year horizon. Centred on the
     * overall mean to keep the sums of squares from cancelling. */
    double c = 0;
    for (size_t b = 0; b < nb; b++)
        c += z[b];
    c /= (double)nb;
    double s1 = 0, s2 = 0, best = INFINITY, best_half = INFINITY;
    size_t d_all = 0, d_half = 0;
    /* d runs down from nb - 2 (two batches left: a spread to measure) */
    s1 = z[nb - 1] - c;
    s2 = s1 * s1;
    for (size_t d = nb - 1; d-- > 0;) {
        double v = z[d] - c;
        s1 += v;
        s2 += v * v;
        double m = (double)(nb - d);
        double ss = s2 - s1 * s1 / m;
        double mser = (ss > 0 ? ss : 0) / (m * m);
        /* <= : ties go to the earlier truncation, which keeps more data */
        if (mser <= best) {
            best = mser;
            d_all = d;
        }
        if (d <= nb / 2 && mser <= best_half) {
            best_half = mser;
            d_half = d;
        }
    }
    r.days = d_half * FLYT_MSER_BATCH;
    r.stat = best_half;
    /* A stationary series' MSER often dips in its last few batches (few
     * batches left, little spread): only a search still falling at the
     * half-way bound means the transient outlasts the half. */
    r.too_short = d_all > nb / 2 && d_half == nb / 2;
    if (d_half > 0)
        r.shifted = shifted(x, r.days, r.n_days, &r);
    free(z);
    return r;
}

void flyt_warmup_check_free(struct flyt_warmup_check *w)
{
    free(w->series);
    w->series = NULL;
    w->n = 0;
}

size_t flyt_warmup_check_max(const struct flyt_warmup_check *w)
{
    size_t d = 0;
    for (size_t i = 0; i < w->n; i++)
        if (w->series[i].m.days > d)
            d = w->series[i].m.days;
    return d;
}
