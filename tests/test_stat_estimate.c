/* flyt estimation over many seeds: the 95 % intervals of each family's
 * mean and sd cover the truth about 95 % of the time with 30 % censoring,
 * the goodness-of-fit p-values are about uniform when the family is
 * right, and the Poisson regression's intervals cover the month, weekday,
 * base and growth. Bands: with 100 seeds and coverage 0.95, fewer than 88
 * happens with probability about 0.003 (binomial). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "est_sim.h"
#include "flyt/estimate.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

enum { SEEDS = 100 };

static void coverage(const struct est_truth *tr, size_t n)
{
    double *t = malloc(n * sizeof *t);
    unsigned char *ev = malloc(n);
    assert_non_null(t);
    assert_non_null(ev);
    double m = est_truth_mean(tr), sd = est_truth_sd(tr), cens = 0;
    int cm = 0, cs = 0, ok = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        cens += est_simulate(tr, 2.3 * m, 10000 + 97 * (unsigned long)tr->f + (unsigned long)seed,
                             t, ev, n) /
                SEEDS;
        struct flyt_est_sample x = { t, ev, n };
        struct flyt_est_fit f;
        assert_int_equal(flyt_est_fit_family(&x, tr->f, &f), 0);
        ok += f.ok;
        cm += f.mean_lo < m && m < f.mean_hi;
        cs += f.sd_lo < sd && sd < f.sd_hi;
    }
    printf("%-12s censored %.2f  mean covered %d/%d  sd covered %d/%d  converged %d\n",
           flyt_est_family_name(tr->f), cens, cm, SEEDS, cs, SEEDS, ok);
    assert_true(cens > 0.2 && cens < 0.4);
    assert_int_equal(ok, SEEDS);
    assert_true(cm >= 88);
    assert_true(cs >= 88);
    free(t);
    free(ev);
}

static void exponential_intervals_cover(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_EXPONENTIAL, 1 / 5.3, 0 };
    coverage(&tr, 2000);
}
static void gamma_intervals_cover(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_GAMMA, 3.17, 2.303 };
    coverage(&tr, 2000);
}
static void lognormal_intervals_cover(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_LOGNORMAL, 1.83, 0.91 };
    coverage(&tr, 2000);
}
static void weibull_intervals_cover(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_WEIBULL, 0.71, 6.2 };
    coverage(&tr, 2000);
}

/* With 39 replicates p is a multiple of 1/40, and under the null
 * P(p <= 0.05) = 2/40 and P(p <= 0.5) = 20/40 exactly (up to the
 * bootstrap's approximation). Bands at about 99.5 % for 100 seeds:
 * binomial(100, 0.05) <= 12, binomial(100, 0.5) in [36, 64]. */
static void gof_null(const struct est_truth *tr, size_t n)
{
    double *t = malloc(n * sizeof *t);
    unsigned char *ev = malloc(n);
    assert_non_null(t);
    assert_non_null(ev);
    int low = 0, half = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        est_simulate(tr, 2.3 * est_truth_mean(tr), 20000 + (unsigned long)seed, t, ev, n);
        struct flyt_est_sample x = { t, ev, n };
        struct flyt_est_fit f;
        assert_int_equal(flyt_est_fit_family(&x, tr->f, &f), 0);
        assert_int_equal(flyt_est_gof(&x, &f, 500 + (unsigned long)seed, 39), 0);
        low += f.gof_p <= 0.05 + 1e-12;
        half += f.gof_p <= 0.5 + 1e-12;
    }
    printf("%-12s p <= 0.05 in %d/%d, p <= 0.5 in %d/%d\n", flyt_est_family_name(tr->f), low, SEEDS,
           half, SEEDS);
    assert_true(low <= 12);
    assert_true(half >= 36 && half <= 64);
    free(t);
    free(ev);
}

static void gof_p_is_uniform_for_the_right_weibull(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_WEIBULL, 0.71, 6.2 };
    gof_null(&tr, 400);
}
static void gof_p_is_uniform_for_the_right_lognormal(void **state)
{
    (void)state;
    struct est_truth tr = { FLYT_EST_LOGNORMAL, 1.83, 0.91 };
    gof_null(&tr, 400);
}

/* Three years of counts per seed: each of base, growth, a month factor and
 * a weekday factor is covered in at least 88 of 100; all 21 pooled
 * (correlated, so a wider band than independent checks would need) in at
 * least 92 %. */
static void poisson_intervals_cover(void **state)
{
    (void)state;
    static int month[EST_DAYS], weekday[EST_DAYS];
    static double years[EST_DAYS], count[EST_DAYS];
    struct est_days_truth tr;
    est_days_truth_default(&tr);
    est_days_layout(month, weekday, years);
    int cb = 0, cg = 0, cm = 0, cw = 0, pooled = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        est_days_simulate(&tr, month, weekday, years, 30000 + (unsigned long)seed, count);
        struct flyt_est_days x = { count, month, weekday, years, EST_DAYS, true, true, true };
        struct flyt_est_rate_model m;
        assert_int_equal(flyt_est_poisson_days(&x, &m), 0);
        assert_true(m.ok);
        cb += m.base_lo < tr.base && tr.base < m.base_hi;
        cg += m.growth_lo < tr.growth && tr.growth < m.growth_hi;
        cm += m.month_lo[7] < tr.month[7] && tr.month[7] < m.month_hi[7];
        cw += m.weekday_lo[5] < tr.weekday[5] && tr.weekday[5] < m.weekday_hi[5];
        for (int k = 0; k < 12; k++)
            pooled += m.month_lo[k] < tr.month[k] && tr.month[k] < m.month_hi[k];
        for (int k = 0; k < 7; k++)
            pooled += m.weekday_lo[k] < tr.weekday[k] && tr.weekday[k] < m.weekday_hi[k];
        pooled += (m.base_lo < tr.base && tr.base < m.base_hi) +
                  (m.growth_lo < tr.growth && tr.growth < m.growth_hi);
    }
    printf("poisson: base %d, growth %d, August %d, Saturday %d of %d; pooled %.3f\n", cb, cg, cm,
           cw, SEEDS, pooled / (21.0 * SEEDS));
    assert_true(cb >= 88 && cg >= 88 && cm >= 88 && cw >= 88);
    assert_true(pooled >= 0.92 * 21 * SEEDS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exponential_intervals_cover),
        cmocka_unit_test(gamma_intervals_cover),
        cmocka_unit_test(lognormal_intervals_cover),
        cmocka_unit_test(weibull_intervals_cover),
        cmocka_unit_test(gof_p_is_uniform_for_the_right_weibull),
        cmocka_unit_test(gof_p_is_uniform_for_the_right_lognormal),
        cmocka_unit_test(poisson_intervals_cover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
