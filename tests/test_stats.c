#include "flyt/result.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Results whose KPI k holds x[i] in replication i (other KPIs 0). */
static struct flyt_result *results_with(int k, const double *x, size_t n)
{
    struct flyt_result *r = calloc(n, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        r[i].replication = (unsigned)i;
        r[i].kpi[k] = x[i];
    }
    return r;
}

/* The same for unit u's KPI k among n_units units (other figures 0). */
static struct flyt_result *results_with_unit(unsigned n_units, unsigned u, int k, const double *x,
                                             size_t n)
{
    struct flyt_result *r = calloc(n, sizeof *r);
    assert_non_null(r);
    for (size_t i = 0; i < n; i++) {
        r[i].replication = (unsigned)i;
        r[i].n_units = n_units;
        r[i].unit_kpi = calloc((size_t)n_units * FLYT_N_UNIT_KPI, sizeof(double));
        assert_non_null(r[i].unit_kpi);
        flyt_result_unit_kpi(&r[i], u)[k] = x[i];
    }
    return r;
}

/* 2 4 4 4 5 5 7 9: mean 5, squared deviations 32, s^2 = 32/7,
 * s = 2.138089935, t(0.975, 7) = 2.364624252, half = t s / sqrt(8). */
static void mean_sd_and_ci_match_hand_computed_values(void **state)
{
    (void)state;
    const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    struct flyt_result *r = results_with(FLYT_KPI_ukp_wait_mean, x, 8);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 8);
    assert_int_equal(s.n[FLYT_KPI_ukp_wait_mean], 8);
    assert_near(s.mean[FLYT_KPI_ukp_wait_mean], 5.0, 1e-12);
    assert_near(s.sd[FLYT_KPI_ukp_wait_mean], 2.138089935299395, 1e-12);
    assert_near(s.ci_half[FLYT_KPI_ukp_wait_mean], 2.364624251592785 * 2.138089935299395 / sqrt(8),
                1e-9);
    assert_near(s.ci_half[FLYT_KPI_ukp_wait_mean], 1.787488, 1e-6);
    free(r);
}

static void agrees_with_the_test_support_interval(void **state)
{
    (void)state;
    const double x[] = { 31.4e6, 29.9e6, 33.1e6, 30.2e6, 32.8e6 };
    struct flyt_result *r = results_with(FLYT_KPI_ukp_cost_per_year, x, 5);
    struct flyt_summary s;
    double mean;
    double half = flyt_test_ci95(x, 5, &mean);
    flyt_summary_compute(&s, r, 5);
    assert_near(s.mean[FLYT_KPI_ukp_cost_per_year], mean, 1e-6);
    assert_near(s.ci_half[FLYT_KPI_ukp_cost_per_year], half, 1e-6);
    free(r);
}

static void nan_replications_are_left_out_of_n(void **state)
{
    (void)state;
    const double with[] = { 2, NAN, 4, 4, INFINITY, 4, 5, 5, -INFINITY, 7, 9 };
    const double without[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    const int k = FLYT_UNIT_KPI_wait_mean;
    struct flyt_result *a = results_with_unit(3, 2, k, with, 11);
    struct flyt_result *b = results_with_unit(3, 2, k, without, 8);
    struct flyt_summary sa, sb;
    flyt_summary_compute(&sa, a, 11);
    flyt_summary_compute(&sb, b, 8);
    assert_int_equal(sa.n_units, 3);
    const struct flyt_stat *ua = flyt_summary_unit(&sa, 2), *ub = flyt_summary_unit(&sb, 2);
    assert_int_equal(ua[k].n, 8);
    assert_near(ua[k].mean, ub[k].mean, 1e-12);
    assert_near(ua[k].sd, ub[k].sd, 1e-12);
    assert_near(ua[k].ci_half, ub[k].ci_half, 1e-12);
    /* The other figures saw eleven zeros: the other units' too. */
    assert_int_equal(sa.n[FLYT_KPI_arrivals], 11);
    assert_near(sa.sd[FLYT_KPI_arrivals], 0.0, 0.0);
    assert_int_equal(flyt_summary_unit(&sa, 1)[k].n, 11);
    assert_int_equal(ua[FLYT_UNIT_KPI_los_mean].n, 11);
    flyt_summary_free(&sa);
    flyt_summary_free(&sb);
    assert_null(sa.unit);
    flyt_summary_free(&sa); /* twice is harmless */
    flyt_test_free_results(a, 11);
    flyt_test_free_results(b, 8);
}

static void one_finite_replication_has_a_mean_but_no_sd_or_interval(void **state)
{
    (void)state;
    const double x[] = { NAN, 3.5, NAN };
    struct flyt_result *r = results_with(FLYT_KPI_ukp_wait_mean_complex, x, 3);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 3);
    assert_int_equal(s.n[FLYT_KPI_ukp_wait_mean_complex], 1);
    assert_near(s.mean[FLYT_KPI_ukp_wait_mean_complex], 3.5, 0.0);
    assert_true(isnan(s.sd[FLYT_KPI_ukp_wait_mean_complex]));
    assert_true(isnan(s.ci_half[FLYT_KPI_ukp_wait_mean_complex]));
    free(r);
}

static void no_finite_replication_gives_nan_mean_and_zero_n(void **state)
{
    (void)state;
    const double x[] = { NAN, NAN };
    const int k = FLYT_UNIT_KPI_los_mean;
    struct flyt_result *r = results_with_unit(2, 1, k, x, 2);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 2);
    const struct flyt_stat *u = flyt_summary_unit(&s, 1);
    assert_int_equal(u[k].n, 0);
    assert_true(isnan(u[k].mean));
    assert_true(isnan(u[k].sd));
    assert_true(isnan(u[k].ci_half));
    flyt_summary_free(&s);
    flyt_summary_compute(&s, NULL, 0);
    assert_int_equal(s.n[FLYT_KPI_arrivals], 0);
    assert_true(isnan(s.mean[FLYT_KPI_arrivals]));
    assert_int_equal(s.n_units, 0);
    flyt_summary_free(&s);
    flyt_test_free_results(r, 2);
}

static void field_tables_follow_the_x_macro_lists(void **state)
{
    (void)state;
    assert_string_equal(flyt_kpi_defs[FLYT_KPI_arrivals].name, "arrivals");
    assert_string_equal(flyt_kpi_defs[FLYT_KPI_ukp_cost_per_year].units, "NOK/year");
    assert_string_equal(flyt_kpi_defs[FLYT_KPI_patients_at_end].name, "patients_at_end");
    assert_string_equal(flyt_series_defs[FLYT_SERIES_ukp_waiting].name, "ukp_waiting");
    assert_string_equal(flyt_unit_kpi_defs[FLYT_UNIT_KPI_wait_mean].name, "wait_mean");
    assert_string_equal(flyt_unit_kpi_defs[FLYT_UNIT_KPI_overflow_bed_days].units, "bed-days");
    assert_string_equal(flyt_unit_series_defs[FLYT_USERIES_queue].name, "queue");
    assert_string_equal(flyt_series_defs[FLYT_SERIES_discharges].units, "patients/day");
    for (int k = 0; k < FLYT_N_KPI; k++) {
        assert_true(strlen(flyt_kpi_defs[k].name) > 0);
        assert_true(strlen(flyt_kpi_defs[k].units) > 0);
        assert_true(strlen(flyt_kpi_defs[k].description) > 0);
        for (int j = 0; j < k; j++)
            assert_true(strcmp(flyt_kpi_defs[j].name, flyt_kpi_defs[k].name) != 0);
    }
    for (int k = 0; k < FLYT_N_SERIES; k++)
        assert_true(strlen(flyt_series_defs[k].description) > 0);
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
        assert_true(strlen(flyt_unit_kpi_defs[k].name) > 0);
        assert_true(strlen(flyt_unit_kpi_defs[k].units) > 0);
        assert_true(strlen(flyt_unit_kpi_defs[k].description) > 0);
        for (int j = 0; j < k; j++)
            assert_true(strcmp(flyt_unit_kpi_defs[j].name, flyt_unit_kpi_defs[k].name) != 0);
    }
    for (int k = 0; k < FLYT_N_UNIT_SERIES; k++)
        assert_true(strlen(flyt_unit_series_defs[k].description) > 0);
}

static void result_free_releases_series_and_accepts_null(void **state)
{
    (void)state;
    struct flyt_result r;
    memset(&r, 0, sizeof r);
    r.n_days = 4;
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        r.series[k] = calloc(r.n_days, sizeof(double));
        assert_non_null(r.series[k]);
    }
    r.n_units = 2;
    r.unit_kpi = calloc(2 * FLYT_N_UNIT_KPI, sizeof(double));
    r.unit_series = calloc(2 * FLYT_N_UNIT_SERIES * r.n_days, sizeof(double));
    assert_non_null(r.unit_kpi);
    assert_non_null(r.unit_series);
    flyt_result_free(&r);
    for (int k = 0; k < FLYT_N_SERIES; k++)
        assert_null(r.series[k]);
    assert_null(r.unit_kpi);
    assert_null(r.unit_series);
    flyt_result_free(&r); /* twice is harmless */
    flyt_result_free(NULL);
}

/* ---- intervals kept inside a KPI's range ---- */

/* Inside the range the interval is the t-interval to the last bit, so
 * output that was right before stays as it was. */
static void interior_interval_is_the_t_interval(void **state)
{
    (void)state;
    const double x[] = { 2, 4, 4, 4, 5, 5, 7, 9 };
    struct flyt_result *r = results_with(FLYT_KPI_ukp_wait_mean, x, 8);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 8);
    int k = FLYT_KPI_ukp_wait_mean;
    assert_true(s.ci_low[k] == s.mean[k] - s.ci_half[k]);
    assert_true(s.ci_high[k] == s.mean[k] + s.ci_half[k]);
    struct flyt_stat st = flyt_stat_of(x, 8);
    assert_true(st.ci_low == st.mean - st.ci_half && st.ci_high == st.mean + st.ci_half);
    free(r);
}

/* Every replication at a bound: nothing varied, the interval is the bound. */
static void a_sample_at_a_bound_has_that_bound_as_interval(void **state)
{
    (void)state;
    const double zero[] = { 0, 0, 0 }, one[] = { 1, 1, 1, 1 };
    struct flyt_stat st = flyt_stat_in(zero, 3, FLYT_RANGE_NONNEG);
    assert_true(st.ci_low == 0 && st.ci_high == 0);
    st = flyt_stat_in(zero, 3, FLYT_RANGE_SHARE);
    assert_true(st.ci_low == 0 && st.ci_high == 0);
    st = flyt_stat_in(one, 4, FLYT_RANGE_SHARE);
    assert_true(st.ci_low == 1 && st.ci_high == 1);
    st = flyt_stat_in(one, 4, FLYT_RANGE_LOAD);
    assert_true(st.ci_low == 1 && st.ci_high == 1);
    /* the same through flyt_ci_in's own guard: a mean at the bound with
     * spread (which values in range cannot have) still gives the bound */
    double lo, hi;
    flyt_ci_in(0.0, 0.1, 5, 0.0, INFINITY, &lo, &hi);
    assert_true(lo == 0 && hi == 0);
    flyt_ci_in(1.0, 0.1, 5, 0.0, 1.0, &lo, &hi);
    assert_true(lo == 1 && hi == 1);
}

/* 0 0 0 0.5: mean 0.125, sd 0.25, t(0.975, 3) 0.25 / 2 = 0.3978 > mean. On
 * the log scale: 0.125 exp(-+ 0.3978 / 0.125). */
static void an_interval_crossing_zero_moves_to_the_log_scale(void **state)
{
    (void)state;
    const double x[] = { 0, 0, 0, 0.5 };
    struct flyt_result *r = results_with(FLYT_KPI_ukp_wait_mean, x, 4);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 4);
    int k = FLYT_KPI_ukp_wait_mean;
    assert_true(s.mean[k] - s.ci_half[k] < 0);
    assert_near(s.ci_low[k], 0.005185506030586445, 1e-12);
    assert_near(s.ci_high[k], 3.013206407983469, 1e-9);
    assert_true(s.ci_low[k] >= 0 && s.ci_low[k] < s.mean[k] && s.ci_high[k] > s.mean[k]);
    free(r);
}

/* 1 1 1 0.9: mean 0.975, t-interval up to 1.055; on the logit scale
 * [0.5986, 0.9990]. */
static void a_share_crossing_one_moves_to_the_logit_scale(void **state)
{
    (void)state;
    const double x[] = { 1, 1, 1, 0.9 };
    struct flyt_stat st = flyt_stat_in(x, 4, FLYT_RANGE_SHARE);
    assert_true(st.mean + st.ci_half > 1);
    assert_near(st.ci_low, 0.5985709246825278, 1e-12);
    assert_near(st.ci_high, 0.9990206181987887, 1e-12);
    /* mirrored, it crosses 0 and mirrors */
    const double y[] = { 0, 0, 0, 0.1 };
    struct flyt_stat sy = flyt_stat_in(y, 4, FLYT_RANGE_SHARE);
    assert_near(sy.ci_low, 1 - st.ci_high, 1e-12);
    assert_near(sy.ci_high, 1 - st.ci_low, 1e-12);
    /* the unit's wait_within_target is a share */
    struct flyt_result *r = results_with_unit(2, 1, FLYT_UNIT_KPI_wait_within_target, x, 4);
    struct flyt_summary s;
    flyt_summary_compute(&s, r, 4);
    const struct flyt_stat *u = &flyt_summary_unit(&s, 1)[FLYT_UNIT_KPI_wait_within_target];
    assert_true(u->ci_low == st.ci_low && u->ci_high == st.ci_high);
    flyt_summary_free(&s);
    flyt_test_free_results(r, 4);
}

/* A bed unit's utilisation stays under 1 unless the unit was over
 * capacity in some replication (the hospital's corridor beds): then 1 is
 * no bound and the t-interval may pass it. */
static void a_utilisation_is_bounded_by_one_unless_a_replication_passed_it(void **state)
{
    (void)state;
    const double within[] = { 0.999, 1.0, 0.98 }, over[] = { 1.05, 0.99, 1.0 };
    struct flyt_stat a = flyt_stat_in(within, 3, FLYT_RANGE_LOAD);
    assert_true(a.mean + a.ci_half > 1 && a.ci_high < 1 && a.ci_low > 0);
    struct flyt_stat b = flyt_stat_in(over, 3, FLYT_RANGE_LOAD);
    assert_true(b.ci_high == b.mean + b.ci_half && b.ci_high > 1);
    /* a rounding error above 1 is no excess */
    const double round[] = { 1.0 + 1e-13, 0.99, 0.995 };
    struct flyt_stat c = flyt_stat_in(round, 3, FLYT_RANGE_LOAD);
    assert_true(c.ci_high <= 1);
    assert_int_equal(flyt_unit_kpi_defs[FLYT_UNIT_KPI_utilisation].range, FLYT_RANGE_LOAD);
}

/* Differences have no bound: flyt_stat_of keeps the symmetric interval
 * whatever the sign. */
static void an_unbounded_interval_stays_symmetric(void **state)
{
    (void)state;
    const double x[] = { -1, 0, 0, 0.5 };
    struct flyt_stat st = flyt_stat_of(x, 4);
    assert_true(st.ci_low == st.mean - st.ci_half && st.ci_high == st.mean + st.ci_half);
    assert_true(st.ci_low < 0);
    double lo, hi;
    flyt_ci_in(1.0, 1.0, 1, 0.0, INFINITY, &lo, &hi); /* one value: no interval */
    assert_true(isnan(lo) && isnan(hi));
}

/* The range is data of each KPI: every "fraction" is a share or a load,
 * everything else in the lists is a count, time or amount, never negative,
 * but for the hospital's net cost (its costs less the payment it gets). */
static void every_kpi_declares_its_range(void **state)
{
    (void)state;
    const struct {
        const struct flyt_field_def *defs;
        int n;
    } lists[] = { { flyt_kpi_defs, FLYT_N_KPI },
                  { flyt_unit_kpi_defs, FLYT_N_UNIT_KPI },
                  { flyt_role_kpi_defs, FLYT_N_ROLE_KPI } };
    for (size_t l = 0; l < sizeof lists / sizeof lists[0]; l++)
        for (int k = 0; k < lists[l].n; k++) {
            const struct flyt_field_def *d = &lists[l].defs[k];
            bool share = d->range == FLYT_RANGE_SHARE || d->range == FLYT_RANGE_LOAD;
            bool net = strcmp(d->name, "cost_hospital_per_year") == 0;
            if (share != (strcmp(d->units, "fraction") == 0) ||
                (!share && d->range != (net ? FLYT_RANGE_REAL : FLYT_RANGE_NONNEG)))
                fail_msg("%s (%s): range %d", d->name, d->units, (int)d->range);
        }
    assert_int_equal(flyt_series_defs[0].range, FLYT_RANGE_REAL);
}

/* Skewness by hand: 0, 0, 0, 3 has mean 3/4, m2 = 27/16, m3 = 81/32,
 * g1 = m3 / m2^1.5 = 2/sqrt(3), G1 = g1 sqrt(12) / 2 = 2. */
static void skewness_matches_the_hand_computed_value(void **state)
{
    (void)state;
    struct flyt_stat st = flyt_stat_of((const double[]){ 0, 0, 0, 3 }, 4);
    assert_true(fabs(st.skew - 2.0) < 1e-12);
    st = flyt_stat_of((const double[]){ 1, 2, 3 }, 3);
    assert_true(st.skew == 0);
    st = flyt_stat_of((const double[]){ 5, 5, 5 }, 3);
    assert_true(isnan(st.skew)); /* no spread */
    st = flyt_stat_of((const double[]){ 1, 2 }, 2);
    assert_true(isnan(st.skew));
}

/* Cochran's rule with G1 taken two standard errors towards 0: lognormal
 * quantiles (sigma 1, skewness 6.2) are skewed at 20 and no longer at
 * 5,000; normal ones, or a few values, never. */
static void skewed_follows_cochrans_rule_with_the_sampling_error(void **state)
{
    (void)state;
    enum { BIG = 5000 };
    double *x = malloc(BIG * sizeof *x), need;
    assert_non_null(x);
    for (int n = 20; n <= BIG; n = n == 20 ? BIG : BIG + 1) {
        for (int i = 0; i < n; i++)
            x[i] = exp(gsl_cdf_ugaussian_Pinv((i + 0.5) / n));
        struct flyt_stat st = flyt_stat_of(x, (size_t)n);
        assert_true(st.skew > 2);
        assert_true(flyt_stat_skewed(&st, &need) == (n == 20));
        assert_true(fabs(need - 25 * st.skew * st.skew) < 1e-9 * need);
        for (int i = 0; i < n; i++)
            x[i] = gsl_cdf_ugaussian_Pinv((i + 0.5) / n);
        st = flyt_stat_of(x, (size_t)n);
        assert_false(flyt_stat_skewed(&st, NULL));
    }
    free(x);
}

/* The readmission figure's description follows its window; its name no
 * longer holds one, and the old name still finds it. */
static void readmission_description_follows_its_window(void **state)
{
    (void)state;
    char buf[160];
    assert_string_equal(flyt_kpi_description(FLYT_KPI_readmission_rate, 7, buf, sizeof buf),
                        "share of UKP discharges readmitted within 7 days");
    assert_string_equal(flyt_kpi_description(FLYT_KPI_readmission_rate, 30, buf, sizeof buf),
                        "share of UKP discharges readmitted within 30 days");
    assert_ptr_equal(flyt_kpi_description(FLYT_KPI_ukp_wait_mean, 7, buf, sizeof buf),
                     flyt_kpi_defs[FLYT_KPI_ukp_wait_mean].description);
    assert_int_equal(flyt_kpi_lookup("readmission_30d", NULL, 0), FLYT_KPI_readmission_rate);
    assert_int_equal(flyt_kpi_lookup("readmission_rate", NULL, 0), FLYT_KPI_readmission_rate);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mean_sd_and_ci_match_hand_computed_values),
        cmocka_unit_test(agrees_with_the_test_support_interval),
        cmocka_unit_test(nan_replications_are_left_out_of_n),
        cmocka_unit_test(one_finite_replication_has_a_mean_but_no_sd_or_interval),
        cmocka_unit_test(no_finite_replication_gives_nan_mean_and_zero_n),
        cmocka_unit_test(field_tables_follow_the_x_macro_lists),
        cmocka_unit_test(result_free_releases_series_and_accepts_null),
        cmocka_unit_test(interior_interval_is_the_t_interval),
        cmocka_unit_test(a_sample_at_a_bound_has_that_bound_as_interval),
        cmocka_unit_test(an_interval_crossing_zero_moves_to_the_log_scale),
        cmocka_unit_test(a_share_crossing_one_moves_to_the_logit_scale),
        cmocka_unit_test(a_utilisation_is_bounded_by_one_unless_a_replication_passed_it),
        cmocka_unit_test(an_unbounded_interval_stays_symmetric),
        cmocka_unit_test(every_kpi_declares_its_range),
        cmocka_unit_test(skewness_matches_the_hand_computed_value),
        cmocka_unit_test(readmission_description_follows_its_window),
        cmocka_unit_test(skewed_follows_cochrans_rule_with_the_sampling_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
