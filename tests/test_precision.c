/*
 * The sequential procedure of flyt run -r auto (flyt/precision.h): the
 * relative half-width, the round sizes, and the stopping rule on a
 * synthetic sequence of replications whose answer can be worked out.
 */
#include "flyt/precision.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <string.h>

static void test_rel(void **state)
{
    (void)state;
    struct flyt_stat st = { .mean = 10, .ci_half = 0.4, .n = 12 };
    assert_float_equal(flyt_precision_rel(&st), 0.04, 1e-15);
    st.mean = -10; /* relative to |mean|: differences can be negative */
    assert_float_equal(flyt_precision_rel(&st), 0.04, 1e-15);
    st.n = 1;
    assert_true(isinf(flyt_precision_rel(&st)));
    st = (struct flyt_stat){ .mean = 0, .ci_half = 0, .n = 5 }; /* all the same */
    assert_float_equal(flyt_precision_rel(&st), 0, 0);
    st.ci_half = 0.1; /* a spread around 0: no count makes it small against 0 */
    assert_true(isinf(flyt_precision_rel(&st)));
    st = (struct flyt_stat){ .mean = NAN, .ci_half = NAN, .n = 0 };
    assert_true(isinf(flyt_precision_rel(&st)));
}

/* A difference is measured against itself once its interval excludes 0,
 * against the base's level while it does not. */
static void test_rel_paired(void **state)
{
    (void)state;
    struct flyt_stat base = { .mean = 20, .ci_half = 1, .n = 30 };
    struct flyt_stat d = { .mean = -4, .ci_half = 0.1, .n = 30 };
    assert_float_equal(flyt_precision_rel_paired(&d, &base), 0.025, 1e-15);
    d.mean = 0.05; /* the interval includes 0: against |base mean| */
    assert_float_equal(flyt_precision_rel_paired(&d, &base), 0.005, 1e-15);
    d.ci_half = 0; /* identical in every replication (common random numbers) */
    assert_float_equal(flyt_precision_rel_paired(&d, &base), 0, 0);
    d = (struct flyt_stat){ .mean = 0.01, .ci_half = 0.1, .n = 30 };
    base.mean = 0; /* nothing to measure against */
    assert_true(isinf(flyt_precision_rel_paired(&d, &base)));
    d.n = 1;
    assert_true(isinf(flyt_precision_rel_paired(&d, &base)));
}

static void test_next(void **state)
{
    (void)state;
    /* + max(10, n/2): 10, 20, 30, 45, 67, 100, 150, ... capped at the max */
    assert_int_equal(flyt_precision_next(10, 1000), 20);
    assert_int_equal(flyt_precision_next(20, 1000), 30);
    assert_int_equal(flyt_precision_next(30, 1000), 45);
    assert_int_equal(flyt_precision_next(45, 1000), 67);
    assert_int_equal(flyt_precision_next(67, 1000), 100);
    assert_int_equal(flyt_precision_next(900, 1000), 1000);
    assert_int_equal(flyt_precision_next(1000, 1000), 1000);
    assert_int_equal(flyt_precision_next(3, 5), 5);
}

/* Replications of a KPI with mean 10 and sd 2 (normal, fixed seed); P =
 * 5 %: about (1.96 * 2 / 0.5)^2 = 62 replications are needed. The rule
 * stops at the first round count where the half-width is within 5 % and
 * not before; a unit KPI the results lack (NaN) never meets it. */
static void test_stopping_rule(void **state)
{
    (void)state;
    enum { MAX = 1000 };
    static struct flyt_result res[MAX];
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261205);
    for (unsigned i = 0; i < MAX; i++) {
        memset(&res[i], 0, sizeof res[i]);
        for (int k = 0; k < FLYT_N_KPI; k++)
            res[i].kpi[k] = NAN;
        res[i].kpi[FLYT_KPI_ukp_wait_mean] = 10 + gsl_ran_gaussian(r, 2);
    }
    gsl_rng_free(r);
    struct flyt_precision_report p = { .target = 0.05, .max = MAX, .n = 1 };
    p.kpi[0].handle = FLYT_KPI_ukp_wait_mean;
    unsigned n = 10, prev = 0;
    for (;;) {
        flyt_precision_assess(&p, res, n);
        if (p.met || n >= MAX)
            break;
        prev = n;
        n = flyt_precision_next(n, MAX);
    }
    print_message("stopped at %u replications, relative half-width %.4f\n", n, p.kpi[0].rel);
    assert_true(p.met);
    assert_true(p.kpi[0].rel <= 0.05);
    assert_true(n >= 30 && n <= 150);
    flyt_precision_assess(&p, res, prev);
    assert_false(p.met); /* not met one round earlier */
    assert_true(p.kpi[0].rel > 0.05);

    /* Two KPIs: the rule waits for both. */
    p.n = 2;
    p.kpi[1].handle = FLYT_N_KPI; /* units 0's first KPI: NaN here */
    flyt_precision_assess(&p, res, MAX);
    assert_true(p.kpi[0].met);
    assert_false(p.kpi[1].met);
    assert_false(p.met);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rel),
        cmocka_unit_test(test_rel_paired),
        cmocka_unit_test(test_next),
        cmocka_unit_test(test_stopping_rule),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
