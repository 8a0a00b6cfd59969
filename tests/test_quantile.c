/* The bounded quantile store (sim/model/quantile.c): exact and bit-identical
 * to GSL up to FLYT_QUANTILE_EXACT values, within one histogram bin beyond;
 * and a replication without daily series gives the same KPIs. Also the two
 * shortcuts the model's figures and draws take: the radix sort (the order a
 * stable sort gives) and categorical draws from running sums (the index the
 * summing draw gives). */
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "model/model.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* One bin's relative width: 1024 log-spaced bins per doubling. An order
 * statistic read from the histogram lies in the bin of the true one, so
 * it is within W of it (relative); a quantile interpolates between two
 * such, so it is too. The extra 1e-12 covers log2's rounding of a value
 * that lies within a few ulps of a bin edge. */
static double bin_width(void)
{
    return exp2(1.0 / 1024) - 1;
}

static void assert_within_bin(double got, double want)
{
    double tol = (bin_width() + 1e-12) * fabs(want);
    if (!(fabs(got - want) <= tol))
        fail_msg("histogram %.17g vs exact %.17g: off by %.3g, one bin is %.3g", got, want,
                 fabs(got - want), tol);
}

struct figs {
    double mean, median, p90, max;
};

static struct figs exact_figs(const double *x, size_t n)
{
    double *c = malloc(n * sizeof *c);
    assert_non_null(c);
    memcpy(c, x, n * sizeof *c);
    gsl_sort(c, 1, n);
    struct figs f = { gsl_stats_mean(c, 1, n), gsl_stats_quantile_from_sorted_data(c, 1, n, 0.5),
                      gsl_stats_quantile_from_sorted_data(c, 1, n, 0.9), c[n - 1] };
    free(c);
    return f;
}

static struct figs store_figs(const double *x, size_t n, bool *exact)
{
    struct quantile q;
    memset(&q, 0, sizeof q);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(flyt__quantile_add(&q, x[i]), 0);
    assert_true(q.n == n);
    *exact = flyt__quantile_exact(&q);
    struct figs f;
    flyt__quantile_kpis(&q, &f.mean, &f.median, &f.p90, &f.max);
    flyt__quantile_free(&q);
    return f;
}

static void assert_same_bits(double a, double b)
{
    assert_memory_equal(&a, &b, sizeof a);
}

/* Exponential draws with a share of exact zeros, like UKP waits. */
static double *draws(size_t n, unsigned long seed, double zero_share, int kind)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, seed);
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        if (gsl_rng_uniform(r) < zero_share)
            x[i] = 0;
        else if (kind == 0)
            x[i] = gsl_ran_exponential(r, 3.0);
        else
            x[i] = gsl_ran_lognormal(r, 1.0, 1.5);
    }
    gsl_rng_free(r);
    return x;
}

static void exact_mode_equals_gsl_bit_for_bit(void **state)
{
    (void)state;
    const size_t sizes[] = { 1, 2, 3, 10, 1023, 1024, 1025, 4097, 50000 };
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        double *x = draws(sizes[s], 11 + s, 0.3, (int)(s % 2));
        bool exact;
        struct figs got = store_figs(x, sizes[s], &exact), want = exact_figs(x, sizes[s]);
        assert_true(exact);
        assert_same_bits(got.mean, want.mean);
        assert_same_bits(got.median, want.median);
        assert_same_bits(got.p90, want.p90);
        assert_same_bits(got.max, want.max);
        free(x);
    }
}

static void check_histogram(size_t n, unsigned long seed, double zero_share, int kind)
{
    double *x = draws(n, seed, zero_share, kind);
    bool exact;
    struct figs got = store_figs(x, n, &exact), want = exact_figs(x, n);
    assert_false(exact);
    assert_within_bin(got.median, want.median);
    assert_within_bin(got.p90, want.p90);
    assert_same_bits(got.max, want.max);
    /* the compensated running sum against GSL's running mean */
    assert_near(got.mean, want.mean, 1e-12 * want.mean);
    free(x);
}

static void histogram_exponential_within_one_bin(void **state)
{
    (void)state;
    check_histogram(1000000, 2024, 0.0, 0);
}

static void histogram_lognormal_within_one_bin(void **state)
{
    (void)state;
    check_histogram(1000000, 7, 0.0, 1);
}

/* 60 % zeros: the median is 0 exactly in both modes, the p90 in the
 * continuous part within a bin. */
static void zeros_atom_gives_an_exact_zero_median(void **state)
{
    (void)state;
    check_histogram(1000000, 99, 0.6, 0);
    double *x = draws(1000000, 99, 0.6, 0);
    bool exact;
    struct figs got = store_figs(x, 1000000, &exact);
    assert_false(exact);
    assert_same_bits(got.median, 0.0);
    assert_true(got.p90 > 0);
    free(x);
    /* only zeros */
    double *z = calloc(FLYT_QUANTILE_EXACT + 5, sizeof *z);
    assert_non_null(z);
    got = store_figs(z, FLYT_QUANTILE_EXACT + 5, &exact);
    assert_false(exact);
    assert_same_bits(got.mean, 0.0);
    assert_same_bits(got.median, 0.0);
    assert_same_bits(got.p90, 0.0);
    assert_same_bits(got.max, 0.0);
    free(z);
}

/* One value, and one value many times: every figure is that value, also
 * from the histogram (its bin's edges are clamped to the value). */
static void a_single_value_is_exact(void **state)
{
    (void)state;
    double one = 2.75;
    bool exact;
    struct figs f = store_figs(&one, 1, &exact);
    assert_true(exact);
    assert_same_bits(f.mean, one);
    assert_same_bits(f.median, one);
    assert_same_bits(f.p90, one);
    assert_same_bits(f.max, one);
    size_t n = 3 * (size_t)FLYT_QUANTILE_EXACT;
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++)
        x[i] = one;
    f = store_figs(x, n, &exact);
    assert_false(exact);
    assert_near(f.mean, one, 1e-15);
    assert_same_bits(f.median, one);
    assert_same_bits(f.p90, one);
    assert_same_bits(f.max, one);
    free(x);
}

/* EXACT values: exact; one more: the histogram, within a bin. */
static void boundary_exact_and_one_more(void **state)
{
    (void)state;
    size_t n = FLYT_QUANTILE_EXACT;
    double *x = draws(n + 1, 5, 0.2, 0);
    bool exact;
    struct figs got = store_figs(x, n, &exact), want = exact_figs(x, n);
    assert_true(exact);
    assert_same_bits(got.mean, want.mean);
    assert_same_bits(got.median, want.median);
    assert_same_bits(got.p90, want.p90);
    assert_same_bits(got.max, want.max);
    free(x);
    check_histogram(n + 1, 5, 0.2, 0);
    check_histogram(n + 1, 6, 0.0, 1);
}

/* No values: NaN. p90 and max may be left out (NULL), as for stays. */
static void empty_is_nan_and_p90_is_optional(void **state)
{
    (void)state;
    struct quantile q;
    memset(&q, 0, sizeof q);
    struct figs f;
    flyt__quantile_kpis(&q, &f.mean, &f.median, &f.p90, &f.max);
    assert_true(isnan(f.mean) && isnan(f.median) && isnan(f.p90) && isnan(f.max));
    for (int i = 0; i < FLYT_QUANTILE_EXACT + 2; i++)
        assert_int_equal(flyt__quantile_add(&q, 1.0 + i % 7), 0);
    flyt__quantile_kpis(&q, &f.mean, &f.median, NULL, NULL);
    assert_within_bin(f.median, 4.0);
    flyt__quantile_free(&q);
    flyt__quantile_free(&q); /* twice is harmless */
}

/* Values outside the bins' range, negative and NaN ones (which cannot
 * occur) go somewhere without harm; the maximum stays exact. */
static void out_of_range_values_do_not_break_it(void **state)
{
    (void)state;
    struct quantile q;
    memset(&q, 0, sizeof q);
    size_t n = FLYT_QUANTILE_EXACT + 100;
    double max = 0;
    for (size_t i = 0; i < n; i++) {
        double v = i % 5 == 0 ? 1e-9 : i % 5 == 1 ? -3.0 : i % 5 == 2 ? NAN : 5e6 + (double)i;
        if (v > max)
            max = v;
        assert_int_equal(flyt__quantile_add(&q, v), 0);
    }
    assert_false(flyt__quantile_exact(&q));
    struct figs f;
    flyt__quantile_kpis(&q, &f.mean, &f.median, &f.p90, &f.max);
    /* 40 % counted as 0, 20 % at 1e-9, 40 % in the overflow bin */
    assert_same_bits(f.max, max);
    assert_true(f.median >= 1e-9 && f.median <= exp2(-20) * 2);
    assert_true(f.p90 >= exp2(20) && f.p90 <= f.max);
    assert_true(isfinite(f.mean) && f.mean > 0);
    flyt__quantile_free(&q);
}

/* series_off: no daily series, every KPI the same bits. */
static void series_off_gives_the_same_kpis_and_no_series(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=200", "run.warmup_days=30" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_result a, b;
    assert_int_equal(flyt_model_run(s, 1, &a), 0);
    s->series_off = true;
    assert_int_equal(flyt_model_run(s, 1, &b), 0);
    assert_int_equal(a.n_days, 170);
    assert_int_equal(b.n_days, 0);
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        assert_non_null(a.series[k]);
        assert_null(b.series[k]);
    }
    assert_memory_equal(a.kpi, b.kpi, sizeof a.kpi);
    assert_memory_equal(a.role_kpi, b.role_kpi, sizeof a.role_kpi);
    assert_true(a.model_events == b.model_events && a.engine_events == b.engine_events);
    flyt_result_free(&a);
    flyt_result_free(&b);
    flyt_scenario_free(s);
}

/* The radix sort behind the figures: against qsort on keys that share
 * some bytes and differ in others (a municipality above a stream class
 * above a number, as the open episodes are ordered), with duplicates; the
 * payload follows its key, and equal keys keep their order. */
struct kv {
    uint64_t k;
    uint32_t v;
};

static int by_k_then_v(const void *a, const void *b)
{
    const struct kv *x = a, *y = b;
    if (x->k != y->k)
        return x->k < y->k ? -1 : 1;
    return (x->v > y->v) - (x->v < y->v);
}

static void radix_sort_matches_a_stable_sort(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    const size_t sizes[] = { 0, 1, 2, 255, 256, 5000, 131072 };
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++) {
        size_t n = sizes[si];
        uint64_t *k = malloc((2 * n + 1) * sizeof *k);
        uint32_t *v = malloc((2 * n + 1) * sizeof *v);
        struct kv *want = malloc((n + 1) * sizeof *want);
        assert_non_null(k);
        assert_non_null(v);
        assert_non_null(want);
        for (size_t i = 0; i < n; i++) {
            uint64_t home = gsl_rng_uniform_int(r, 357), cls = 2 + gsl_rng_uniform_int(r, 2);
            uint64_t index = gsl_rng_uniform_int(r, n / 2 + 1); /* duplicates */
            k[i] = home << 48 | cls << 44 | index;
            v[i] = (uint32_t)i;
            want[i] = (struct kv){ k[i], v[i] };
        }
        qsort(want, n, sizeof *want, by_k_then_v); /* stable: ties by position */
        flyt__radix_sort(k, v, n, k + n, v + n);
        for (size_t i = 0; i < n; i++) {
            assert_true(k[i] == want[i].k);
            assert_int_equal(v[i], want[i].v);
        }
        free(k);
        free(v);
        free(want);
    }
    gsl_rng_free(r);
}

/* flyt__index_cum with flyt__running_sums gives flyt__index_at's index for
 * every u: shares with zeros, sums a rounding off 1, a last share of zero
 * (leftovers to the last positive one), u at the running sums exactly and
 * next to them. */
static void categorical_draws_from_running_sums_match_summing(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 7);
    size_t checked = 0;
    for (int trial = 0; trial < 2000; trial++) {
        int n = 1 + (int)gsl_rng_uniform_int(r, FLYT_MAX_SITES);
        double p[FLYT_MAX_SITES], cum[FLYT_MAX_SITES], total = 0;
        for (int i = 0; i < n; i++) {
            p[i] = gsl_rng_uniform(r) < 0.2 ? 0 : gsl_rng_uniform(r);
            total += p[i];
        }
        for (int i = 0; i < n && total > 0; i++)
            p[i] /= total;
        if (trial % 3 == 0)
            p[n - 1] = 0;
        flyt__running_sums(p, n, cum);
        double us[8 + 3 * FLYT_MAX_SITES];
        int nu = 0;
        for (int k = 0; k < 8; k++)
            us[nu++] = gsl_rng_uniform(r);
        for (int i = 0; i < n; i++) {
            us[nu++] = cum[i];
            us[nu++] = nextafter(cum[i], 0);
            us[nu++] = nextafter(cum[i], 2);
        }
        for (int k = 0; k < nu; k++) {
            double u = us[k] < 1 ? us[k] : nextafter(1, 0);
            assert_int_equal(flyt__index_cum(u, cum, p, n), flyt__index_at(u, p, n));
            checked++;
        }
    }
    assert_true(checked > 100000);
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exact_mode_equals_gsl_bit_for_bit),
        cmocka_unit_test(histogram_exponential_within_one_bin),
        cmocka_unit_test(histogram_lognormal_within_one_bin),
        cmocka_unit_test(zeros_atom_gives_an_exact_zero_median),
        cmocka_unit_test(a_single_value_is_exact),
        cmocka_unit_test(boundary_exact_and_one_more),
        cmocka_unit_test(empty_is_nan_and_p90_is_optional),
        cmocka_unit_test(out_of_range_values_do_not_break_it),
        cmocka_unit_test(series_off_gives_the_same_kpis_and_no_series),
        cmocka_unit_test(radix_sort_matches_a_stable_sort),
        cmocka_unit_test(categorical_draws_from_running_sums_match_summing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
