/*
 * MSER-5 (flyt/mser.h) on series with a known answer.
 *
 * A transient: level 100 plus 50 exp(-t / 20) plus normal noise of sd 5,
 * 1,000 days. The bias falls below the noise's sd at t = 20 ln 10 = 46
 * days and below a tenth of it at 92; MSER-5 trades the bias it keeps
 * against the data it drops, so its truncation lies around there. Over 200
 * independent series (fixed seeds) every truncation is within [25, 200]
 * days and the median within [40, 130].
 *
 * A stationary series (the same without the transient, and an AR(1) one
 * with correlation 0.9 from day to day, started in its stationary law)
 * has no transient: the median truncation is 0 and nine in ten are at
 * most 5 % of the series. The bounds leave a wide margin over the draws
 * (transient: 40 to 185 days, median 60; stationary: 90th percentiles 20
 * and 50 days), so that a wrong batch size or a sum over the wrong batches
 * fails, not the luck of a seed.
 */
#include "flyt/mser.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

#define N_DAYS  1000
#define N_SEEDS 200

enum shape { TRANSIENT, FLAT, AR1 };

static void series(enum shape sh, unsigned long seed, double *x, size_t n)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double ar = gsl_ran_gaussian(r, 5.0 / sqrt(1 - 0.81));
    for (size_t t = 0; t < n; t++) {
        double e = gsl_ran_gaussian(r, 5.0);
        if (sh == AR1) {
            ar = 0.9 * ar + e;
            x[t] = 100 + ar;
        } else {
            x[t] = 100 + (sh == TRANSIENT ? 50 * exp(-(double)t / 20) : 0) + e;
        }
    }
    gsl_rng_free(r);
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

static void truncations(enum shape sh, size_t *d)
{
    double x[N_DAYS];
    for (unsigned s = 0; s < N_SEEDS; s++) {
        series(sh, 1000 + s, x, N_DAYS);
        struct flyt_mser m = flyt_mser5(x, N_DAYS);
        assert_int_equal(m.n_days, N_DAYS);
        assert_int_equal(m.days % FLYT_MSER_BATCH, 0);
        assert_false(m.too_short);
        d[s] = m.days;
    }
    qsort(d, N_SEEDS, sizeof *d, cmp_size);
}

static void test_transient(void **state)
{
    (void)state;
    size_t d[N_SEEDS];
    truncations(TRANSIENT, d);
    print_message("transient: truncation min %zu, median %zu, max %zu days\n", d[0], d[N_SEEDS / 2],
                  d[N_SEEDS - 1]);
    assert_true(d[0] >= 25 && d[N_SEEDS - 1] <= 200);
    assert_true(d[N_SEEDS / 2] >= 40 && d[N_SEEDS / 2] <= 130);
}

static void stationary(enum shape sh, const char *what)
{
    size_t d[N_SEEDS];
    truncations(sh, d);
    print_message("%s: truncation median %zu, 90th percentile %zu, max %zu days\n", what,
                  d[N_SEEDS / 2], d[N_SEEDS * 9 / 10], d[N_SEEDS - 1]);
    assert_int_equal(d[N_SEEDS / 2], 0);
    assert_true(d[N_SEEDS * 9 / 10] <= N_DAYS / 20);
}

static void test_stationary(void **state)
{
    (void)state;
    stationary(FLAT, "independent");
    stationary(AR1, "AR(1) 0.9");
}

/* A ramp over the whole series: the first half's search falls to its end
 * and the minimum is further on; the series is too short to tell. */
static void test_too_short(void **state)
{
    (void)state;
    double x[400];
    for (size_t t = 0; t < 400; t++)
        x[t] = (double)t;
    struct flyt_mser m = flyt_mser5(x, 400);
    assert_true(m.too_short);
    assert_int_equal(m.days, 200);
    assert_true(m.shifted);
}

/* A level shift at day 100 of 500: truncated there, and told apart. */
static void test_step(void **state)
{
    (void)state;
    double x[500];
    for (size_t t = 0; t < 500; t++)
        x[t] = (t < 100 ? 10.0 : 50.0) + (t % 3 == 0 ? 1 : t % 3 == 1 ? -1 : 0);
    struct flyt_mser m = flyt_mser5(x, 500);
    assert_int_equal(m.days, 100);
    assert_false(m.too_short);
    assert_true(m.shifted);
}

/* Fewer than four batches tell nothing; a non-finite value ends the
 * series (the days a stopped replication never reached). */
static void test_edges(void **state)
{
    (void)state;
    double x[40];
    for (size_t t = 0; t < 40; t++)
        x[t] = t < 10 ? 100 - (double)t : 1;
    struct flyt_mser m = flyt_mser5(x, 19);
    assert_int_equal(m.days, 0);
    assert_true(isnan(m.stat));
    x[30] = NAN;
    m = flyt_mser5(x, 40);
    assert_int_equal(m.n_days, 30);
    assert_int_equal(m.days, 10);
    const double flat[20] = { 0 };
    m = flyt_mser5(flat, 20);
    assert_int_equal(m.days, 0);
    assert_false(m.shifted);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transient), cmocka_unit_test(test_stationary),
        cmocka_unit_test(test_too_short), cmocka_unit_test(test_step),
        cmocka_unit_test(test_edges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
