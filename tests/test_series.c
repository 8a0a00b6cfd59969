/* Daily series reduced across replications: the figures are those of the
 * whole series, and do not depend on the order replications finish in (so
 * not on the thread count), bit for bit. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/experiment.h"
#include "flyt/series.h"
#include "support.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_REP  200
#define N_DAYS 30

/* Replication i: values with fractions (like home-care hours), some large,
 * and replication 7 stopped on day 20 (its later days NaN, as a stopped
 * run's are). */
static void make(struct flyt_result *res)
{
    for (unsigned i = 0; i < N_REP; i++) {
        res[i].n_days = N_DAYS;
        for (int k = 0; k < FLYT_N_SERIES; k++) {
            res[i].series[k] = malloc(N_DAYS * sizeof(double));
            assert_non_null(res[i].series[k]);
            for (int d = 0; d < N_DAYS; d++) {
                double x = 1000.0 * (k + 1) + sin(i * 12.9898 + d * 78.233 + k) * 37.123457;
                res[i].series[k][d] = i == 7 && d >= 20 ? NAN : x;
            }
        }
    }
}

static void get_all(const struct flyt_series_reduce *red, double *out)
{
    for (int k = 0; k < FLYT_N_SERIES; k++)
        for (int st = 0; st < FLYT_N_SERIES_STAT; st++)
            flyt_series_reduce_get(red, k, st,
                                   out + ((size_t)k * FLYT_N_SERIES_STAT + st) * N_DAYS);
}

static void matches_the_whole_series_in_any_order(void **state)
{
    (void)state;
    static struct flyt_result res[N_REP];
    make(res);
    enum { N_OUT = FLYT_N_SERIES * FLYT_N_SERIES_STAT * N_DAYS };
    static double fwd[N_OUT], back[N_OUT], mixed[N_OUT];
    struct flyt_series_reduce *a = flyt_series_reduce_new(N_DAYS);
    struct flyt_series_reduce *b = flyt_series_reduce_new(N_DAYS);
    struct flyt_series_reduce *c = flyt_series_reduce_new(N_DAYS);
    assert_true(a && b && c);
    for (unsigned i = 0; i < N_REP; i++) {
        flyt_series_reduce_add(a, &res[i]);
        flyt_series_reduce_add(b, &res[N_REP - 1 - i]);
        flyt_series_reduce_add(c, &res[(i * 73) % N_REP]); /* 73 is prime to 200 */
    }
    assert_int_equal(flyt_series_reduce_count(a), N_REP);
    get_all(a, fwd);
    get_all(b, back);
    get_all(c, mixed);
    assert_memory_equal(fwd, back, sizeof fwd);
    assert_memory_equal(fwd, mixed, sizeof fwd);
    /* Against two-pass figures from the whole series. */
    for (int k = 0; k < FLYT_N_SERIES; k++)
        for (int d = 0; d < N_DAYS; d++) {
            double x[N_REP];
            size_t n = 0;
            double lo = INFINITY, hi = -INFINITY;
            for (unsigned i = 0; i < N_REP; i++)
                if (isfinite(res[i].series[k][d])) {
                    x[n++] = res[i].series[k][d];
                    lo = fmin(lo, x[n - 1]);
                    hi = fmax(hi, x[n - 1]);
                }
            struct flyt_stat st = flyt_stat_of(x, n);
            const double *o = fwd + (size_t)k * FLYT_N_SERIES_STAT * N_DAYS;
            assert_true(fabs(o[FLYT_SERIES_STAT_mean * N_DAYS + d] - st.mean) < 1e-6);
            assert_true(fabs(o[FLYT_SERIES_STAT_sd * N_DAYS + d] - st.sd) < 1e-6 * st.sd);
            assert_true(o[FLYT_SERIES_STAT_min * N_DAYS + d] == lo);
            assert_true(o[FLYT_SERIES_STAT_max * N_DAYS + d] == hi);
            assert_true(o[FLYT_SERIES_STAT_n * N_DAYS + d] == (double)n);
            assert_int_equal(n, d >= 20 ? N_REP - 1 : N_REP);
            /* Fractional values: each order statistic within one bin,
             * (max - min) / 2047 at most. */
            gsl_sort(x, 1, n);
            for (int q = 0; q < FLYT_N_SERIES_QUANTILE; q++) {
                double want =
                        gsl_stats_quantile_from_sorted_data(x, 1, n, flyt_series_quantiles[q]);
                double got = o[(FLYT_SERIES_STAT_p05 + q) * N_DAYS + d];
                assert_true(fabs(got - want) <= (hi - lo) / 2047);
            }
        }
    flyt_series_reduce_free(a);
    flyt_series_reduce_free(b);
    flyt_series_reduce_free(c);
    for (unsigned i = 0; i < N_REP; i++)
        flyt_result_free(&res[i]);
}

/* Whole counts are exact: the mean of 0, 1, 2 is 1, not 1 +- an ulp. */
static void counts_are_exact_and_empty_days_nan(void **state)
{
    (void)state;
    struct flyt_series_reduce *red = flyt_series_reduce_new(2);
    assert_non_null(red);
    double v[3][2] = { { 0, NAN }, { 1, NAN }, { 2, 5e8 } };
    for (int i = 0; i < 3; i++) {
        struct flyt_result r = { .n_days = 2 };
        r.series[FLYT_SERIES_hospital_treatment] = v[i];
        flyt_series_reduce_add(red, &r);
    }
    double out[2];
    flyt_series_reduce_get(red, FLYT_SERIES_hospital_treatment, FLYT_SERIES_STAT_mean, out);
    assert_true(out[0] == 1.0);
    assert_true(isnan(out[1])); /* beyond the exact range: not a wrong number */
    flyt_series_reduce_get(red, FLYT_SERIES_hospital_treatment, FLYT_SERIES_STAT_sd, out);
    assert_true(out[0] == 1.0);
    flyt_series_reduce_get(red, FLYT_SERIES_hospital_treatment, FLYT_SERIES_STAT_max, out);
    assert_true(out[1] == 5e8);
    flyt_series_reduce_get(red, FLYT_SERIES_hospital_treatment, FLYT_SERIES_STAT_p50, out);
    assert_true(out[0] == 1.0);
    assert_true(isnan(out[1]));
    flyt_series_reduce_get(red, FLYT_SERIES_ukp_waiting, FLYT_SERIES_STAT_mean, out);
    assert_true(isnan(out[0]));
    flyt_series_reduce_free(red);
}

/* Whole numbers with a spread under 4,096 are counted exactly: the
 * quantiles are gsl's of the sorted values, bit for bit. A day where one
 * fractional value (added first, last or in between) makes the bins finer,
 * and one whose spread needs bins wider than 1, are within a bin; all
 * three are the same bits in any order. */
static void quantiles_of_whole_numbers_are_exact(void **state)
{
    (void)state;
    enum { R = 101, D = 3 };
    static double v[R][D];
    for (int i = 0; i < R; i++) {
        v[i][0] = floor(40 + 15 * sin(i * 1.7));                     /* a census */
        v[i][1] = i == 0 ? 2.5 : floor(3 + 3 * sin(i * 2.3));        /* one fraction */
        v[i][2] = floor(-1000 + 20000 * (0.5 + 0.5 * cos(i * 0.9))); /* wide */
    }
    int order[3][R];
    for (int i = 0; i < R; i++) {
        order[0][i] = i;
        order[1][i] = R - 1 - i;
        order[2][i] = (i * 37) % R; /* 37 is prime to 101 */
    }
    double out[3][FLYT_N_SERIES_QUANTILE][D];
    for (int o = 0; o < 3; o++) {
        struct flyt_series_reduce *red = flyt_series_reduce_new(D);
        assert_non_null(red);
        for (int i = 0; i < R; i++) {
            struct flyt_result r = { .n_days = D };
            r.series[FLYT_SERIES_arrivals] = v[order[o][i]];
            flyt_series_reduce_add(red, &r);
        }
        for (int q = 0; q < FLYT_N_SERIES_QUANTILE; q++)
            flyt_series_reduce_get(red, FLYT_SERIES_arrivals, FLYT_SERIES_STAT_p05 + q, out[o][q]);
        flyt_series_reduce_free(red);
    }
    assert_memory_equal(out[0], out[1], sizeof out[0]);
    assert_memory_equal(out[0], out[2], sizeof out[0]);
    for (int d = 0; d < D; d++) {
        double x[R], lo = INFINITY, hi = -INFINITY;
        for (int i = 0; i < R; i++) {
            x[i] = v[i][d];
            lo = fmin(lo, x[i]);
            hi = fmax(hi, x[i]);
        }
        gsl_sort(x, 1, R);
        for (int q = 0; q < FLYT_N_SERIES_QUANTILE; q++) {
            double want = gsl_stats_quantile_from_sorted_data(x, 1, R, flyt_series_quantiles[q]);
            if (d == 0)
                assert_true(out[0][q][d] == want);
            else
                assert_true(fabs(out[0][q][d] - want) <= (hi - lo) / 2047);
        }
    }
}

/* The model's own series: 1 and 3 threads give the same bits, and the
 * replications keep no series, global or per unit, but keep every KPI. */
static void a_reduced_experiment_is_the_same_for_any_thread_count(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60", "run.warmup_days=10" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    enum { R = 12, D = 50 };
    static double out1[FLYT_N_SERIES * FLYT_N_SERIES_STAT * D];
    static double out3[FLYT_N_SERIES * FLYT_N_SERIES_STAT * D];
    for (int pass = 0; pass < 2; pass++) {
        struct flyt_result res[R];
        memset(res, 0, sizeof res);
        struct flyt_series_reduce *red = flyt_series_reduce_new(D);
        assert_non_null(red);
        assert_int_equal(
                flyt_experiment_run_with(s, R, pass ? 3 : 1, res, NULL, NULL, NULL, red, NULL), 0);
        for (int r = 0; r < R; r++) {
            assert_int_equal(res[r].n_days, D);
            for (int k = 0; k < FLYT_N_SERIES; k++)
                assert_null(res[r].series[k]);
            assert_null(res[r].unit_series);
            assert_int_equal(res[r].n_units, s->n_units);
            assert_non_null(res[r].unit_kpi);
            assert_true(flyt_result_unit_kpi(&res[r],
                                             (unsigned)s->hospital)[FLYT_UNIT_KPI_occupancy] > 0);
            flyt_result_free(&res[r]);
        }
        double *o = pass ? out3 : out1;
        for (int k = 0; k < FLYT_N_SERIES; k++)
            for (int st = 0; st < FLYT_N_SERIES_STAT; st++)
                flyt_series_reduce_get(red, k, st, o + ((size_t)k * FLYT_N_SERIES_STAT + st) * D);
        flyt_series_reduce_free(red);
    }
    assert_memory_equal(out1, out3, sizeof out1);
    assert_true(out1[(FLYT_SERIES_hospital_treatment * FLYT_N_SERIES_STAT + FLYT_SERIES_STAT_mean) *
                     D] > 0);
    flyt_scenario_free(s);
}

/* The histograms of a national region's cells share a budget: the bound
 * is 4,096 bins up to FLYT_SERIES_HIST_BUDGET / 4 / 4,096 cells, never
 * below 64, and the counts it allows stay within the budget. A reducer with
 * 65,536 units is bound to fewer bins, and its quantiles stay within one
 * bin of the exact ones (the bin width follows from the values' span). */
static void a_national_reducer_bounds_its_histograms(void **state)
{
    (void)state;
    assert_int_equal(flyt_series_hist_bins(1), 4096);
    assert_int_equal(flyt_series_hist_bins(FLYT_SERIES_HIST_BUDGET / 4 / 4096), 4096);
    uint32_t last = 4096;
    for (size_t n = 1000; n < ((size_t)1 << 26); n = n * 5 / 4) {
        uint32_t b = flyt_series_hist_bins(n);
        assert_true(b >= 64 && b <= last);
        if (b > 64)
            assert_true((double)b * (double)n * 4 <= (double)FLYT_SERIES_HIST_BUDGET);
        last = b;
    }
    assert_int_equal(flyt_series_hist_bins((size_t)1 << 26), 64);

    enum { R = 101, U = 65536 };
    double v[R];
    v[0] = 0;
    v[1] = 20479;
    for (int i = 2; i < R; i++)
        v[i] = 6401;
    int order[2][R];
    for (int i = 0; i < R; i++) {
        order[0][i] = i;
        order[1][i] = (i * 37) % R;
    }
    double *zeros = calloc((size_t)U * FLYT_N_UNIT_SERIES, sizeof *zeros);
    assert_non_null(zeros);
    double out[2][FLYT_N_SERIES_QUANTILE];
    uint32_t bins = 0;
    for (int o = 0; o < 2; o++) {
        struct flyt_series_reduce *red = flyt_series_reduce_new(1);
        assert_non_null(red);
        assert_int_equal(flyt_series_reduce_bins(red), 4096);
        assert_int_equal(flyt_series_reduce_set_units(red, U), 0);
        bins = flyt_series_reduce_bins(red);
        assert_int_equal(bins,
                         flyt_series_hist_bins((size_t)U * FLYT_N_UNIT_SERIES + FLYT_N_SERIES));
        assert_true(bins < 4096);
        for (int i = 0; i < R; i++) {
            struct flyt_result r = { .n_days = 1, .n_units = U, .unit_series = zeros };
            zeros[FLYT_USERIES_census] = v[order[o][i]]; /* unit 0's census */
            flyt_series_reduce_add(red, &r);
        }
        for (int q = 0; q < FLYT_N_SERIES_QUANTILE; q++)
            flyt_series_reduce_unit_get(red, 0, FLYT_USERIES_census, FLYT_SERIES_STAT_p05 + q,
                                        &out[o][q]);
        flyt_series_reduce_free(red);
    }
    free(zeros);
    assert_memory_equal(out[0], out[1], sizeof out[0]);
    double w = 1; /* the bin width: the smallest power of two that spans 0..20479 */
    while (floor(20479 / w) + 1 > bins)
        w *= 2;
    assert_true(w > 8); /* with 4,096 bins it would be 8 */
    double x[R];
    memcpy(x, v, sizeof x);
    gsl_sort(x, 1, R);
    for (int q = 0; q < FLYT_N_SERIES_QUANTILE; q++)
        assert_true(fabs(out[0][q] - gsl_stats_quantile_from_sorted_data(
                                             x, 1, R, flyt_series_quantiles[q])) <= w);
    /* the median: rank 50, the 49th of the 99 values spread evenly over
     * their bin [6400 - 6400 mod w, + w) */
    double lo = 6400 - fmod(6400, w);
    assert_true(out[0][2] == lo + w * 49.0 / 98.0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(matches_the_whole_series_in_any_order),
        cmocka_unit_test(counts_are_exact_and_empty_days_nan),
        cmocka_unit_test(quantiles_of_whole_numbers_are_exact),
        cmocka_unit_test(a_reduced_experiment_is_the_same_for_any_thread_count),
        cmocka_unit_test(a_national_reducer_bounds_its_histograms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
