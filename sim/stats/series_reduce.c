/* Per-day figures across replications, independent of the order in which
 * replications are added: see include/flyt/series.h. */
#include "flyt/series.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#define SCALE 0x1p20 /* fixed-point units per unit of a series */
#define LIMIT 0x1p27 /* |x| * SCALE < 2^47, so sums of squares of 2^32 fit 128 bits */

#define FLYT_FIELD_DEF(name, units, desc) { #name, units, desc, FLYT_RANGE_REAL },
const struct flyt_field_def flyt_series_stat_defs[FLYT_N_SERIES_STAT] = { FLYT_SERIES_STAT_LIST(
        FLYT_FIELD_DEF) };
#undef FLYT_FIELD_DEF

struct cell {
    __int128 sum, sum_sq; /* of q = rint(x * SCALE), and of q^2 */
    double min, max;
    unsigned n;
    bool too_big; /* a value beyond LIMIT: the sums are not kept */
};

struct flyt_series_reduce {
    size_t n_days;
    unsigned added;
    struct cell *cell; /* [series][day] */
    unsigned n_units;
    struct cell *unit_cell; /* [unit][unit series][day] */
};

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
    for (size_t i = 0; i < n_days * FLYT_N_SERIES; i++)
        red->cell[i] = (struct cell){ .min = INFINITY, .max = -INFINITY };
    return red;
}

void flyt_series_reduce_free(struct flyt_series_reduce *red)
{
    if (!red)
        return;
    free(red->cell);
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
    free(red->unit_cell);
    red->unit_cell = c;
    red->n_units = n_units;
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

static void add_value(struct cell *c, double x)
{
    if (!isfinite(x))
        return;
    c->n++;
    c->min = x < c->min ? x : c->min;
    c->max = x > c->max ? x : c->max;
    if (fabs(x) >= LIMIT) {
        c->too_big = true;
        return;
    }
    /* Rounded once per value, so the integer sums are the same in any order. */
    __int128 q = (__int128)rint(x * SCALE);
    c->sum += q;
    c->sum_sq += q * q;
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
            add_value(&c[d], r->series[k][d]);
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
                add_value(&c[d], x[d]);
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
