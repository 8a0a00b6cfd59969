/* flyt estimation (include/flyt/estimate.h), the fast parts: Kaplan-Meier
 * against the empirical survival and the published Freireich 6-MP table,
 * the intervals against published values, each family's fit on one
 * sample, AIC's choice, the goodness of fit on a wrong family, and the
 * Poisson regression on one simulated series. Coverage over many seeds is
 * in test_stat_estimate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "est_sim.h"
#include "flyt/estimate.h"
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Whether truth is inside the 95 % interval [lo, hi] of v (log scale)
 * widened to about 99.9 % (3.29 / 1.96): for single-sample checks, which
 * should fail only when something is wrong. */
static bool holds_999(double v, double lo, double hi, double truth)
{
    double w = 3.29 / 1.96;
    return exp(log(v) - w * (log(v) - log(lo))) < truth &&
           truth < exp(log(v) + w * (log(hi) - log(v)));
}

static void km_equals_empirical_survival_without_censoring(void **state)
{
    (void)state;
    enum { N = 60 };
    double t[N];
    unsigned char ev[N];
    for (int i = 0; i < N; i++) {
        t[i] = 1 + (i * 37) % 23; /* ties on purpose */
        ev[i] = 1;
    }
    struct flyt_est_sample x = { t, ev, N };
    struct flyt_est_km km;
    assert_int_equal(flyt_est_km(&x, &km), 0);
    assert_int_equal(km.n, 23);
    for (size_t r = 0; r < km.n; r++) {
        int above = 0;
        for (int i = 0; i < N; i++)
            above += t[i] > km.t[r];
        assert_near(km.s[r], (double)above / N, 1e-12);
        assert_true(km.lo[r] <= km.s[r] || isnan(km.lo[r]));
    }
    double sorted_mean = 0;
    for (int i = 0; i < N; i++)
        sorted_mean += t[i] / N;
    /* without censoring the area under S is the sample mean */
    assert_near(km.rmean, sorted_mean, 1e-9);
    flyt_est_km_free(&km);
}

/* Freireich et al. (1963), the 6-MP arm, the textbook example of
 * Kalbfleisch & Prentice and Klein & Moeschberger: the Kaplan-Meier table
 * as published, to three decimals (R's survfit with conf.type = "log-log"
 * prints the same figures; its restricted mean up to 35 is 23.29). */
static void km_matches_the_published_6mp_table(void **state)
{
    (void)state;
    static const double t[] = { 6,  6,  6,  6,  7,  9,  10, 10, 11, 13, 16,
                                17, 19, 20, 22, 23, 25, 32, 32, 34, 35 };
    static const unsigned char ev[] = { 1, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1,
                                        0, 0, 0, 1, 1, 0, 0, 0, 0, 0 };
    static const double et[] = { 6, 7, 10, 13, 16, 22, 23 };
    static const size_t risk[] = { 21, 17, 15, 12, 11, 7, 6 };
    static const double s[] = { 0.857, 0.807, 0.753, 0.690, 0.627, 0.538, 0.448 };
    static const double lo[] = { 0.620, 0.563, 0.503, 0.432, 0.368, 0.268, 0.188 };
    static const double hi[] = { 0.952, 0.923, 0.889, 0.849, 0.805, 0.747, 0.680 };
    struct flyt_est_sample x = { t, ev, 21 };
    struct flyt_est_km km;
    assert_int_equal(flyt_est_km(&x, &km), 0);
    assert_int_equal(km.n, 7);
    for (int r = 0; r < 7; r++) {
        assert_near(km.t[r], et[r], 0);
        assert_int_equal(km.at_risk[r], risk[r]);
        assert_near(km.s[r], s[r], 6e-4);
        assert_near(km.lo[r], lo[r], 6e-4);
        assert_near(km.hi[r], hi[r], 6e-4);
    }
    assert_int_equal(km.events[0], 3);
    assert_near(km.median, 23, 0);
    assert_near(km.rmean, 23.29, 6e-3); /* R: *rmean 23.3 (up to 35) */
    flyt_est_km_free(&km);
}

static void km_median_is_nan_when_survival_stays_above_half(void **state)
{
    (void)state;
    double t[] = { 1, 2, 3, 4, 5 };
    unsigned char ev[] = { 1, 0, 0, 0, 0 };
    struct flyt_est_sample x = { t, ev, 5 };
    struct flyt_est_km km;
    assert_int_equal(flyt_est_km(&x, &km), 0);
    assert_true(isnan(km.median));
    assert_near(km.s[0], 0.8, 1e-12);
    flyt_est_km_free(&km);
    x.n = 0;
    assert_int_equal(flyt_est_km(&x, &km), -1);
}

/* Garwood's exact limits for 0, 1 and 10 events (as tabled e.g. by
 * Ulm 1990; -log 0.025 = 3.689 for none). */
static void rate_interval_is_garwood(void **state)
{
    (void)state;
    double r, lo, hi;
    flyt_est_rate(0, 1, &r, &lo, &hi);
    assert_near(lo, 0, 0);
    assert_near(hi, 3.689, 5e-4);
    flyt_est_rate(1, 1, &r, &lo, &hi);
    assert_near(lo, 0.0253, 5e-5);
    assert_near(hi, 5.572, 5e-4);
    flyt_est_rate(10, 2, &r, &lo, &hi);
    assert_near(r, 5, 1e-12);
    assert_near(lo, 4.795 / 2, 5e-4);
    assert_near(hi, 18.390 / 2, 5e-4);
    flyt_est_rate(3, 0, &r, &lo, &hi);
    assert_true(isnan(r) && isnan(lo) && isnan(hi));
}

/* Newcombe (1998), Table I, method 3 (Wilson score without correction). */
static void proportion_interval_is_wilson(void **state)
{
    (void)state;
    static const double x[] = { 81, 15, 0, 1 }, n[] = { 263, 148, 20, 29 };
    static const double lo[] = { 0.2553, 0.0624, 0, 0.0061 },
                        hi[] = { 0.3662, 0.1605, 0.1611, 0.1718 };
    for (int i = 0; i < 4; i++) {
        double p, l, h;
        flyt_est_proportion(x[i], n[i], &p, &l, &h);
        assert_near(p, x[i] / n[i], 1e-12);
        assert_near(l, lo[i], 5e-5);
        assert_near(h, hi[i], 5e-5);
    }
}

/* Goodman (1965): each share's score interval at chi-square(1) quantile
 * 1 - 0.05/k. With k = 1 that is Wilson's; with k = 5 the critical value
 * is 6.6349 (z = 2.5758), checked by hand for 20 of 100: centre
 * (40 + 6.6349) / 213.27, half sqrt(6.6349 (6.6349 + 64)) / 213.27. */
static void shares_interval_is_goodman(void **state)
{
    (void)state;
    double c[5] = { 20, 30, 10, 25, 15 }, s[5], lo[5], hi[5];
    assert_int_equal(flyt_est_shares(c, 5, s, lo, hi), 0);
    double a = 6.634896601, cen = (40 + a) / (2 * (100 + a)),
           half = sqrt(a * (a + 4 * 20 * 80 / 100.0)) / (2 * (100 + a));
    assert_near(s[0], 0.2, 1e-12);
    assert_near(lo[0], cen - half, 1e-6);
    assert_near(hi[0], cen + half, 1e-6);
    double one = 81, p, l, h;
    assert_int_equal(flyt_est_shares(&one, 1, s, lo, hi), 0);
    flyt_est_proportion(81, 81, &p, &l, &h);
    assert_near(lo[0], l, 1e-12);
    double zero[2] = { 0, 0 };
    assert_int_equal(flyt_est_shares(zero, 2, s, lo, hi), -1);
}

static void exponential_fit_is_closed_form(void **state)
{
    (void)state;
    double t[] = { 2, 3, 5, 7, 11 };
    unsigned char ev[] = { 1, 0, 1, 1, 0 };
    struct flyt_est_sample x = { t, ev, 5 };
    struct flyt_est_fit f;
    assert_int_equal(flyt_est_fit_family(&x, FLYT_EST_EXPONENTIAL, &f), 0);
    assert_true(f.ok);
    assert_int_equal(f.k, 1);
    assert_near(f.mean, 28.0 / 3, 1e-12);
    assert_near(f.par[0], 3.0 / 28, 1e-12);
    assert_near(f.loglik, 3 * log(3.0 / 28) - 3, 1e-12);
    assert_near(f.aic, 2 - 2 * f.loglik, 1e-12);
    assert_near(f.mean_lo, f.mean * exp(-1.959964 / sqrt(3)), 1e-5);
    assert_true(isnan(f.gof_p));
}

static void rejects_samples_without_two_distinct_events(void **state)
{
    (void)state;
    double t[] = { 2, 2, 5 };
    unsigned char ev[] = { 1, 1, 0 };
    struct flyt_est_sample x = { t, ev, 3 };
    struct flyt_est_fit f;
    for (int k = 0; k < FLYT_EST_N_FAMILY; k++)
        if (k != FLYT_EST_EXPONENTIAL)
            assert_int_equal(flyt_est_fit_family(&x, (enum flyt_est_family)k, &f), -1);
    t[0] = -1;
    assert_int_equal(flyt_est_fit_family(&x, FLYT_EST_EXPONENTIAL, &f), -1);
}

static const struct est_truth truths[FLYT_EST_N_FAMILY] = {
    { FLYT_EST_EXPONENTIAL, 1 / 5.3, 0 },
    { FLYT_EST_GAMMA, 3.17, 2.303 },
    { FLYT_EST_LOGNORMAL, 1.83, 0.91 },
    { FLYT_EST_WEIBULL, 0.71, 6.2 },
};

/* One sample of 2,000 per family, 30 % censored: the fit converges, its
 * intervals (widened to 99.9 %) hold the true mean and sd, the natural parameters are near
 * the truth (4 standard errors), the name is flyt_dist's. */
static void each_family_recovers_its_parameters(void **state)
{
    (void)state;
    enum { N = 2000 };
    double *t = malloc(N * sizeof *t);
    unsigned char *ev = malloc(N);
    assert_non_null(t);
    assert_non_null(ev);
    static const char *names[] = { "exponential", "gamma", "lognormal", "weibull" };
    for (int k = 0; k < FLYT_EST_N_FAMILY; k++) {
        const struct est_truth *tr = &truths[k];
        double cens = est_simulate(tr, 2.3 * est_truth_mean(tr), 1000 + k, t, ev, N);
        assert_true(cens > 0.15 && cens < 0.45);
        struct flyt_est_sample x = { t, ev, N };
        struct flyt_est_fit f;
        assert_int_equal(flyt_est_fit_family(&x, tr->f, &f), 0);
        assert_string_equal(flyt_est_family_name(tr->f), names[k]);
        assert_true(f.ok);
        double m = est_truth_mean(tr), sd = est_truth_sd(tr);
        assert_true(holds_999(f.mean, f.mean_lo, f.mean_hi, m));
        assert_true(holds_999(f.sd, f.sd_lo, f.sd_hi, sd));
        assert_near(f.par[0], tr->p1, 4 * sqrt(f.cov[0][0]));
        if (f.k == 2)
            assert_near(f.par[1], tr->p2, 4 * sqrt(f.cov[1][1]));
    }
    free(t);
    free(ev);
}

/* Weibull with shape 0.7 and a lognormal of the same mean and sd differ
 * clearly at n = 2,000: AIC picks the true one in nearly every seed. */
static void aic_picks_the_true_family(void **state)
{
    (void)state;
    enum { N = 2000, SEEDS = 10 };
    double *t = malloc(N * sizeof *t);
    unsigned char *ev = malloc(N);
    assert_non_null(t);
    assert_non_null(ev);
    struct est_truth w = { FLYT_EST_WEIBULL, 0.7, 6.2 };
    double m = est_truth_mean(&w), s = est_truth_sd(&w), s2 = log(1 + s * s / (m * m));
    struct est_truth l = { FLYT_EST_LOGNORMAL, log(m) - 0.5 * s2, sqrt(s2) };
    int right = 0;
    for (int seed = 0; seed < SEEDS; seed++) {
        for (int which = 0; which < 2; which++) {
            const struct est_truth *tr = which ? &l : &w;
            est_simulate(tr, 2.3 * m, 2000 + 2 * seed + which, t, ev, N);
            struct flyt_est_sample x = { t, ev, N };
            struct flyt_est_fit fits[FLYT_EST_N_FAMILY];
            int best;
            assert_int_equal(flyt_est_fit_best(&x, fits, &best, 7, 0), 0);
            right += best == (int)tr->f;
            assert_false(isnan(fits[best].gof));
        }
    }
    print_message("AIC picked the true family in %d of %d\n", right, 2 * SEEDS);
    assert_true(right >= 2 * SEEDS - 2);
    free(t);
    free(ev);
}

/* Lognormal stays fitted as exponential at n = 2,000: p < 0.01 (199
 * replicates, so p can go down to 0.005); the same seed gives the same p. */
static void gof_rejects_a_wrong_family(void **state)
{
    (void)state;
    enum { N = 2000 };
    double *t = malloc(N * sizeof *t);
    unsigned char *ev = malloc(N);
    assert_non_null(t);
    assert_non_null(ev);
    struct est_truth l = { FLYT_EST_LOGNORMAL, 1.83, 0.91 };
    est_simulate(&l, 2.3 * est_truth_mean(&l), 3001, t, ev, N);
    struct flyt_est_sample x = { t, ev, N };
    struct flyt_est_fit f;
    assert_int_equal(flyt_est_fit_family(&x, FLYT_EST_EXPONENTIAL, &f), 0);
    assert_int_equal(flyt_est_gof(&x, &f, 11, 199), 0);
    assert_true(f.gof > 0 && f.gof < 1);
    print_message("exponential fitted to lognormal stays: D = %.4f, p = %.4f\n", f.gof, f.gof_p);
    assert_true(f.gof_p < 0.01);
    double p1 = f.gof_p;
    assert_int_equal(flyt_est_fit_family(&x, FLYT_EST_LOGNORMAL, &f), 0);
    assert_int_equal(flyt_est_gof(&x, &f, 11, 39), 0);
    assert_true(f.gof_p > 0.01);
    double p2 = f.gof_p;
    assert_int_equal(flyt_est_gof(&x, &f, 11, 39), 0);
    assert_near(f.gof_p, p2, 0);
    assert_true(p1 < p2);
    free(t);
    free(ev);
}

/* Three years of daily counts with known month, weekday and growth: the
 * fit holds each within its interval at 99.9 % (one seed, 21 values), the
 * factors average 1, and a month without data gets factor 1, NaN. */
static void poisson_regression_recovers_the_rate_model(void **state)
{
    (void)state;
    static int month[EST_DAYS], weekday[EST_DAYS];
    static double years[EST_DAYS], count[EST_DAYS];
    struct est_days_truth tr;
    est_days_truth_default(&tr);
    est_days_layout(month, weekday, years);
    est_days_simulate(&tr, month, weekday, years, 4001, count);
    struct flyt_est_days x = { count, month, weekday, years, EST_DAYS, true, true, true };
    struct flyt_est_rate_model m;
    assert_int_equal(flyt_est_poisson_days(&x, &m), 0);
    assert_true(m.ok);
    assert_int_equal(m.df, EST_DAYS - 19);
    assert_true(m.dispersion > 0.85 && m.dispersion < 1.15);
    double sm = 0, sw = 0;
#define HOLDS(v, lo, hi, truth) assert_true(holds_999(v, lo, hi, truth))
    HOLDS(m.base, m.base_lo, m.base_hi, tr.base);
    HOLDS(1 + m.growth, 1 + m.growth_lo, 1 + m.growth_hi, 1 + tr.growth);
    for (int k = 0; k < 12; k++) {
        HOLDS(m.month_factor[k], m.month_lo[k], m.month_hi[k], tr.month[k]);
        sm += m.month_factor[k] / 12;
    }
    for (int k = 0; k < 7; k++) {
        HOLDS(m.weekday_factor[k], m.weekday_lo[k], m.weekday_hi[k], tr.weekday[k]);
        sw += m.weekday_factor[k] / 7;
    }
#undef HOLDS
    assert_near(sm, 1, 1e-12);
    assert_near(sw, 1, 1e-12);
    /* drop March: its factor is 1 with no interval, the others still average 1 */
    size_t n = 0;
    for (int d = 0; d < EST_DAYS; d++)
        if (month[d] != 2) {
            month[n] = month[d];
            weekday[n] = weekday[d];
            years[n] = years[d];
            count[n] = count[d];
            n++;
        }
    x.n = n;
    assert_int_equal(flyt_est_poisson_days(&x, &m), 0);
    assert_near(m.month_factor[2], 1, 0);
    assert_true(isnan(m.month_lo[2]));
    sm = 0;
    for (int k = 0; k < 12; k++)
        sm += m.month_factor[k] / 12;
    assert_near(sm, 1, 1e-12);
    month[0] = 12;
    assert_int_equal(flyt_est_poisson_days(&x, &m), -1);
}

static void poisson_regression_without_terms_is_the_mean(void **state)
{
    (void)state;
    double count[] = { 3, 2, 4, 3, 3, 2, 4 };
    int month[7] = { 0 }, weekday[7] = { 0 };
    double years[7] = { 0 };
    struct flyt_est_days x = { count, month, weekday, years, 7, false, false, false };
    struct flyt_est_rate_model m;
    assert_int_equal(flyt_est_poisson_days(&x, &m), 0);
    assert_near(m.base, 3, 1e-9);
    assert_near(m.growth, 0, 0);
    assert_true(isnan(m.growth_lo));
    assert_near(m.month_factor[5], 1, 0);
    /* the Poisson interval of a mean of 21 events over 7 days, by the
     * delta method on the log: 3 exp(+-1.96 / sqrt 21) (dispersion < 1) */
    assert_true(m.dispersion < 1);
    assert_near(m.base_lo, 3 * exp(-1.959964 / sqrt(21)), 1e-5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(km_equals_empirical_survival_without_censoring),
        cmocka_unit_test(km_matches_the_published_6mp_table),
        cmocka_unit_test(km_median_is_nan_when_survival_stays_above_half),
        cmocka_unit_test(rate_interval_is_garwood),
        cmocka_unit_test(proportion_interval_is_wilson),
        cmocka_unit_test(shares_interval_is_goodman),
        cmocka_unit_test(exponential_fit_is_closed_form),
        cmocka_unit_test(rejects_samples_without_two_distinct_events),
        cmocka_unit_test(each_family_recovers_its_parameters),
        cmocka_unit_test(aic_picks_the_true_family),
        cmocka_unit_test(gof_rejects_a_wrong_family),
        cmocka_unit_test(poisson_regression_recovers_the_rate_model),
        cmocka_unit_test(poisson_regression_without_terms_is_the_mean),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
