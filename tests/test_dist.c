/*
 * Distributions: sample moments against theory, and parameter checks.
 *
 * Each distribution is sampled N = 200,000 times from a fixed stream. The
 * sample mean must lie within z sd / sqrt(N) of the theoretical mean, and
 * the sample variance within z sqrt((mu4 - sd^4) / N) of the theoretical
 * variance, where mu4 is the fourth central moment computed from the
 * distribution's raw moments: (mu4 - sigma^4) / N is the asymptotic variance
 * of the sample variance (the sample variance is a mean of (X - mu)^2 up to
 * O(1/N), and Var (X - mu)^2 = mu4 - sigma^4). z = 3.29 is the two-sided
 * 99.9 % normal quantile, so a correct sampler fails a check about once in
 * a thousand seeds; the seeds are fixed, so the test is deterministic.
 */
#include "flyt/dist.h"
#include "flyt/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_sf_gamma.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define N_DRAWS 200000

/* Theoretical moments: mean, variance and fourth central moment. */
struct moments {
    double mean, var, mu4;
};

/* Central moments from the raw moments m1..m4. */
static struct moments from_raw(double m1, double m2, double m3, double m4)
{
    struct moments t;
    t.mean = m1;
    t.var = m2 - m1 * m1;
    t.mu4 = m4 - 4 * m1 * m3 + 6 * m1 * m1 * m2 - 3 * m1 * m1 * m1 * m1;
    return t;
}

static double *sample(const struct flyt_dist *d, uint64_t index)
{
    double *x = malloc(N_DRAWS * sizeof *x);
    assert_non_null(x);
    struct flyt_stream st;
    flyt_stream_seed(&st, 2718, 0, FLYT_STREAM_MODEL, index);
    gsl_rng *r = flyt_rng_new();
    assert_non_null(r);
    flyt_rng_bind(r, &st);
    for (int i = 0; i < N_DRAWS; i++)
        x[i] = flyt_dist_sample(d, r);
    flyt_rng_free(r);
    return x;
}

/* Draws from d and checks mean and variance against t at 99.9 %. */
static void check_moments(const char *what, const struct flyt_dist *d, struct moments t,
                          uint64_t index)
{
    double *x = sample(d, index);
    double m = 0, ss = 0;
    for (int i = 0; i < N_DRAWS; i++)
        m += x[i];
    m /= N_DRAWS;
    for (int i = 0; i < N_DRAWS; i++)
        ss += (x[i] - m) * (x[i] - m);
    double var = ss / (N_DRAWS - 1);
    free(x);

    double z = gsl_cdf_ugaussian_Pinv(0.9995);
    double half_mean = z * sqrt(t.var / N_DRAWS);
    double half_var = z * sqrt((t.mu4 - t.var * t.var) / N_DRAWS);
    print_message("%-34s mean %.5f (theory %.5f +- %.5f)  sd %.5f (theory %.5f, var +- %.3f%%)\n",
                  what, m, t.mean, half_mean, sqrt(var), sqrt(t.var), 100 * half_var / t.var);
    assert_true(t.mu4 > t.var * t.var); /* a real spread, so a real interval */
    assert_near(m, t.mean, half_mean);
    assert_near(var, t.var, half_var);
}

static struct flyt_dist make(enum flyt_dist_kind k, double a, double b)
{
    struct flyt_dist d;
    memset(&d, 0, sizeof d);
    d.kind = k;
    d.mean = a;
    d.sd = b;
    const char *why = NULL;
    int rc = flyt_dist_prepare(&d, &why);
    if (rc != 0)
        print_error("%s(%g, %g): %s\n", flyt_dist_name(k), a, b, why);
    assert_int_equal(rc, 0);
    return d;
}

/* Exponential with mean m: E[X^k] = k! m^k. */
static void exponential_moments(void **state)
{
    (void)state;
    const double means[] = { 1.0, 25.0, 700.0 };
    for (int i = 0; i < 3; i++) {
        double m = means[i];
        struct flyt_dist d = make(FLYT_DIST_EXPONENTIAL, m, 0);
        struct moments t = from_raw(m, 2 * m * m, 6 * m * m * m, 24 * m * m * m * m);
        assert_near(flyt_dist_mean(&d), m, 0);
        check_moments("exponential", &d, t, 100 + (uint64_t)i);
    }
}

/* Lognormal given by mean and sd: E[X^k] = exp(k mu + k^2 s^2 / 2) with
 * s^2 = ln(1 + cv^2), mu = ln(mean) - s^2 / 2, computed here and not taken
 * from the prepared parameters. */
static void lognormal_moments(void **state)
{
    (void)state;
    const double ms[][2] = { { 7.0, 7.0 }, { 38.0, 19.0 }, { 1.2, 0.8 } };
    for (int i = 0; i < 3; i++) {
        double mean = ms[i][0], sd = ms[i][1];
        struct flyt_dist d = make(FLYT_DIST_LOGNORMAL, mean, sd);
        double s2 = log(1 + (sd / mean) * (sd / mean)), mu = log(mean) - s2 / 2;
        double raw[5];
        for (int k = 1; k <= 4; k++)
            raw[k] = exp(k * mu + k * k * s2 / 2);
        struct moments t = from_raw(raw[1], raw[2], raw[3], raw[4]);
        assert_near(t.mean, mean, 1e-9 * mean);
        assert_near(sqrt(t.var), sd, 1e-9 * sd);
        check_moments("lognormal", &d, t, 200 + (uint64_t)i);
    }
}

/* Gamma with shape k = 1/cv^2 and scale th = sd^2/mean: E[X^n] = th^n k
 * (k+1) ... (k+n-1). */
static void gamma_moments(void **state)
{
    (void)state;
    const double ms[][2] = { { 6.0, 5.0 }, { 10.0, 2.0 }, { 1.0, 3.0 } };
    for (int i = 0; i < 3; i++) {
        double mean = ms[i][0], sd = ms[i][1];
        struct flyt_dist d = make(FLYT_DIST_GAMMA, mean, sd);
        double k = (mean / sd) * (mean / sd), th = sd * sd / mean;
        double raw[5], p = 1;
        for (int n = 1; n <= 4; n++) {
            p *= th * (k + n - 1);
            raw[n] = p;
        }
        struct moments t = from_raw(raw[1], raw[2], raw[3], raw[4]);
        check_moments("gamma", &d, t, 300 + (uint64_t)i);
    }
}

/* Weibull: the loader solves for the shape; check that the shape and scale
 * it found give the requested mean and sd, then the samples against E[X^n]
 * = scale^n Gamma(1 + n / shape). */
static void weibull_moments(void **state)
{
    (void)state;
    const double ms[][2] = { { 640.0, 680.0 }, { 10.0, 3.0 }, { 5.0, 7.5 } };
    for (int i = 0; i < 3; i++) {
        double mean = ms[i][0], sd = ms[i][1];
        struct flyt_dist d = make(FLYT_DIST_WEIBULL, mean, sd);
        double scale = d.p1, shape = d.p2;
        double raw[5];
        for (int n = 1; n <= 4; n++)
            raw[n] = pow(scale, n) * gsl_sf_gamma(1.0 + n / shape);
        struct moments t = from_raw(raw[1], raw[2], raw[3], raw[4]);
        assert_near(t.mean, mean, 1e-9 * mean);
        assert_near(sqrt(t.var), sd, 1e-6 * sd);
        check_moments("weibull", &d, t, 400 + (uint64_t)i);
    }
}

/* Uniform on [a, b]: variance (b-a)^2/12, mu4 (b-a)^4/80. */
static void uniform_moments(void **state)
{
    (void)state;
    struct flyt_dist d = make(FLYT_DIST_UNIFORM, 2.0, 5.0);
    double w = 3.0;
    struct moments t = { 3.5, w * w / 12, w * w * w * w / 80 };
    assert_near(flyt_dist_mean(&d), 3.5, 1e-15);
    check_moments("uniform", &d, t, 500);
    double *x = sample(&d, 501);
    for (int i = 0; i < N_DRAWS; i++)
        assert_true(x[i] >= 2.0 && x[i] <= 5.0);
    free(x);
}

/* Empirical: exact moments of the discrete distribution; each value's
 * share also within its own 99.9 % binomial interval. */
static void empirical_moments_and_shares(void **state)
{
    (void)state;
    enum { K = 4 };
    const double values[K] = { 1.0, 2.0, 7.0, 30.0 };
    const double weights[K] = { 5.0, 3.0, 1.5, 0.5 }; /* sum 10 */
    struct flyt_dist d;
    memset(&d, 0, sizeof d);
    d.kind = FLYT_DIST_EMPIRICAL;
    d.n = K;
    d.values = malloc(sizeof values);
    d.weights = malloc(sizeof weights);
    assert_non_null(d.values);
    assert_non_null(d.weights);
    memcpy(d.values, values, sizeof values);
    memcpy(d.weights, weights, sizeof weights);
    const char *why;
    assert_int_equal(flyt_dist_prepare(&d, &why), 0);
    double raw[5] = { 0 };
    for (int n = 1; n <= 4; n++)
        for (int i = 0; i < K; i++)
            raw[n] += weights[i] / 10.0 * pow(values[i], n);
    assert_near(flyt_dist_mean(&d), raw[1], 1e-12);
    check_moments("empirical", &d, from_raw(raw[1], raw[2], raw[3], raw[4]), 600);

    double *x = sample(&d, 601);
    unsigned count[K] = { 0 };
    for (int j = 0; j < N_DRAWS; j++) {
        int i = 0;
        while (i < K && x[j] != values[i])
            i++;
        assert_true(i < K); /* only the given values */
        count[i]++;
    }
    double z = gsl_cdf_ugaussian_Pinv(0.9995);
    for (int i = 0; i < K; i++) {
        double p = weights[i] / 10.0;
        assert_near((double)count[i] / N_DRAWS, p, z * sqrt(p * (1 - p) / N_DRAWS));
    }
    free(x);

    /* a deep copy samples the same */
    struct flyt_dist c;
    assert_int_equal(flyt_dist_copy(&c, &d), 0);
    assert_true(c.values != d.values && c.table != d.table);
    double *y = sample(&c, 601);
    x = sample(&d, 601);
    assert_memory_equal(x, y, N_DRAWS * sizeof *x);
    free(x);
    free(y);
    flyt_dist_clear(&c);
    flyt_dist_clear(&d);
}

static void fixed_gives_its_value(void **state)
{
    (void)state;
    struct flyt_dist d = make(FLYT_DIST_FIXED, 1.5, 0);
    double *x = sample(&d, 700);
    for (int i = 0; i < N_DRAWS; i++)
        assert_true(x[i] == 1.5);
    free(x);
    assert_near(flyt_dist_mean(&d), 1.5, 0);
    d = make(FLYT_DIST_FIXED, 0.0, 0); /* a zero delay is allowed */
    assert_near(flyt_dist_mean(&d), 0.0, 0);
}

static bool rejected(enum flyt_dist_kind k, double a, double b)
{
    struct flyt_dist d;
    memset(&d, 0, sizeof d);
    d.kind = k;
    d.mean = a;
    d.sd = b;
    const char *why = NULL;
    int rc = flyt_dist_prepare(&d, &why);
    return rc == -1 && why != NULL && *why != '\0';
}

static void prepare_rejects_bad_parameters(void **state)
{
    (void)state;
    const enum flyt_dist_kind mean_sd[] = { FLYT_DIST_LOGNORMAL, FLYT_DIST_GAMMA,
                                            FLYT_DIST_WEIBULL };
    for (int i = 0; i < 3; i++) {
        enum flyt_dist_kind k = mean_sd[i];
        assert_true(rejected(k, 5.0, 0.0)); /* sd 0 */
        assert_true(rejected(k, 0.0, 1.0)); /* mean 0 */
        assert_true(rejected(k, NAN, 1.0)); /* NaN */
        assert_true(rejected(k, 5.0, NAN));
        assert_true(rejected(k, -5.0, 1.0)); /* negative */
        assert_true(rejected(k, 5.0, -1.0));
        assert_true(rejected(k, INFINITY, 1.0));
        assert_true(rejected(k, 5.0, INFINITY));
        assert_true(!rejected(k, 5.0, 1.0));
    }
    assert_true(rejected(FLYT_DIST_WEIBULL, 1.0, 1e-3)); /* no Weibull has these cv */
    assert_true(rejected(FLYT_DIST_WEIBULL, 1.0, 1e20));
    assert_true(rejected(FLYT_DIST_EXPONENTIAL, 0.0, 0));
    assert_true(rejected(FLYT_DIST_EXPONENTIAL, -1.0, 0));
    assert_true(rejected(FLYT_DIST_EXPONENTIAL, NAN, 0));
    assert_true(rejected(FLYT_DIST_EXPONENTIAL, INFINITY, 0));
    assert_true(rejected(FLYT_DIST_FIXED, -1.0, 0));
    assert_true(rejected(FLYT_DIST_FIXED, NAN, 0));
    assert_true(rejected(FLYT_DIST_UNIFORM, 5.0, 2.0)); /* max < min */
    assert_true(rejected(FLYT_DIST_UNIFORM, -1.0, 2.0));
    assert_true(rejected(FLYT_DIST_UNIFORM, 0.0, NAN));
    assert_true(rejected(FLYT_DIST_EMPIRICAL, 0, 0)); /* no values */
    assert_true(rejected((enum flyt_dist_kind)FLYT_DIST_N_KINDS, 1.0, 1.0));

    double v[2] = { 1.0, 2.0 }, w[2] = { 1.0, -1.0 };
    struct flyt_dist d;
    memset(&d, 0, sizeof d);
    d.kind = FLYT_DIST_EMPIRICAL;
    d.n = 2;
    d.values = v;
    d.weights = w;
    const char *why;
    assert_int_equal(flyt_dist_prepare(&d, &why), -1); /* negative weight */
    w[1] = 0.0;
    w[0] = 0.0;
    assert_int_equal(flyt_dist_prepare(&d, &why), -1); /* all zero */
    w[0] = 1.0;
    v[1] = NAN;
    assert_int_equal(flyt_dist_prepare(&d, &why), -1); /* NaN value */
    assert_null(d.table);
}

/* The uniform drawn inline on a flyt stream must be GSL's, bit for bit:
 * the same seed through flyt_dist_sample / flyt_rng_uniform and through
 * gsl_ran_flat / gsl_rng_uniform directly. */
static void inline_uniform_equals_gsl(void **state)
{
    (void)state;
    struct flyt_dist d = { .kind = FLYT_DIST_UNIFORM, .mean = 2.0, .sd = 9.0 };
    const char *why;
    assert_int_equal(flyt_dist_prepare(&d, &why), 0);
    gsl_rng *a = flyt_rng_new(), *b = flyt_rng_new();
    assert_non_null(a);
    assert_non_null(b);
    struct flyt_stream sa, sb;
    flyt_stream_seed(&sa, 99, 3, FLYT_STREAM_PATIENT, 1);
    sb = sa;
    flyt_rng_bind(a, &sa);
    flyt_rng_bind(b, &sb);
    for (int i = 0; i < 200000; i++) {
        double x = flyt_dist_sample(&d, a), y = gsl_ran_flat(b, d.mean, d.sd);
        assert_memory_equal(&x, &y, sizeof x);
        x = flyt_rng_uniform(a);
        y = gsl_rng_uniform(b);
        assert_memory_equal(&x, &y, sizeof x);
    }
    assert_memory_equal(&sa, &sb, sizeof sa);
    flyt_rng_free(a);
    flyt_rng_free(b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Kolmogorov-Smirnov distance of sorted x[0..n-1] from the CDF. */
static double ks_distance(const double *x, size_t n, double (*cdf)(double))
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i]);
        d = fmax(d, fmax(f - (double)i / (double)n, (double)(i + 1) / (double)n - f));
    }
    return d;
}

static double exp_cdf(double x)
{
    return gsl_cdf_exponential_P(x, 1.0);
}

static double normal_cdf(double x)
{
    return gsl_cdf_ugaussian_P(x);
}

/* The ziggurat's normal and exponential against their exact CDFs on 10^6
 * draws: the Kolmogorov-Smirnov distance below its 0.1 % critical value
 * 1.9495 / sqrt(n), and the share of draws in the tails beyond the base
 * layer's edge R (where a separate algorithm takes over) within 3.29
 * binomial standard deviations of its exact value. */
static void ziggurat_matches_its_distributions(void **state)
{
    (void)state;
    enum { N = 1000000 };
    double *x = malloc(N * sizeof *x);
    assert_non_null(x);
    struct flyt_stream st;
    const double crit = 1.9495 / sqrt((double)N);
    for (int kind = 0; kind < 2; kind++) {
        flyt_stream_seed(&st, 31337, 0, FLYT_STREAM_MODEL, (uint64_t)kind);
        const double r = kind == 0 ? 3.6541528853610088 : 7.69711747013104972;
        size_t tail = 0;
        double sum = 0;
        for (int i = 0; i < N; i++) {
            x[i] = kind == 0 ? flyt_stream_normal(&st) : flyt_stream_exponential(&st);
            tail += fabs(x[i]) > r;
            sum += x[i];
        }
        qsort(x, N, sizeof *x, cmp_double);
        double d = ks_distance(x, N, kind == 0 ? normal_cdf : exp_cdf);
        assert_true(d < crit);
        double p = kind == 0 ? 2.0 * gsl_cdf_ugaussian_Q(r) : exp(-r);
        double sd = sqrt(N * p * (1 - p));
        assert_true(fabs((double)tail - N * p) < 3.29 * sd);
        /* the mean, to 3.29 standard errors (sd 1 for both) */
        assert_true(fabs(sum / N - (kind == 0 ? 0.0 : 1.0)) < 3.29 / sqrt((double)N));
        if (kind == 0) /* both tails are reached */
            assert_true(x[0] < -r && x[N - 1] > r);
        else
            assert_true(x[0] >= 0 && x[N - 1] > r);
    }
    free(x);
    /* The tails on 10^7 draws: beyond R a separate algorithm runs, so its
     * conditional mean excess must be the exact one, 1 for the exponential
     * (memoryless) and phi(R)/Q(R) - R for |normal|, within 3.29 standard
     * errors (the excess's sd estimated from the draws). */
    for (int kind = 0; kind < 2; kind++) {
        flyt_stream_seed(&st, 4711, 0, FLYT_STREAM_MODEL, (uint64_t)kind);
        const double r = kind == 0 ? 3.6541528853610088 : 7.69711747013104972;
        double n = 0, s1 = 0, s2 = 0;
        for (int i = 0; i < 10 * N; i++) {
            double v = fabs(kind == 0 ? flyt_stream_normal(&st) : flyt_stream_exponential(&st));
            if (v > r) {
                n++;
                s1 += v - r;
                s2 += (v - r) * (v - r);
            }
        }
        double mean = s1 / n, se = sqrt((s2 / n - mean * mean) / n);
        double exact = kind == 0 ? gsl_ran_ugaussian_pdf(r) / gsl_cdf_ugaussian_Q(r) - r : 1.0;
        assert_true(n > 1000);
        assert_true(fabs(mean - exact) < 3.29 * se);
    }
}

/* A length-biased draw has mean E[X^2] / E[X] = (sd^2 + mean^2) / mean:
 * checked for every kind within 3.29 standard errors (sd from the draws),
 * and a fixed value stays itself. */
static void length_biased_draws_have_the_right_mean(void **state)
{
    (void)state;
    const double ev[] = { 1.0, 2.0, 5.0, 10.0 }, ew[] = { 0.4, 0.3, 0.2, 0.1 };
    double *values = malloc(sizeof ev), *weights = malloc(sizeof ew);
    assert_non_null(values);
    assert_non_null(weights);
    memcpy(values, ev, sizeof ev);
    memcpy(weights, ew, sizeof ew);
    struct flyt_dist d[] = {
        { .kind = FLYT_DIST_EXPONENTIAL, .mean = 25.0 },
        { .kind = FLYT_DIST_LOGNORMAL, .mean = 38.0, .sd = 19.0 },
        { .kind = FLYT_DIST_GAMMA, .mean = 6.0, .sd = 5.0 },
        { .kind = FLYT_DIST_WEIBULL, .mean = 700.0, .sd = 900.0 },
        { .kind = FLYT_DIST_UNIFORM, .mean = 2.0, .sd = 9.0 },
        { .kind = FLYT_DIST_EMPIRICAL, .n = 4, .values = values, .weights = weights },
        { .kind = FLYT_DIST_FIXED, .mean = 3.0 },
    };
    gsl_rng *r = flyt_rng_new();
    assert_non_null(r);
    struct flyt_stream st;
    for (size_t k = 0; k < sizeof d / sizeof d[0]; k++) {
        const char *why;
        assert_int_equal(flyt_dist_prepare(&d[k], &why), 0);
        double m1 = flyt_dist_mean(&d[k]), m2;
        if (d[k].kind == FLYT_DIST_UNIFORM) {
            double a = d[k].mean, b = d[k].sd;
            m2 = (a * a + a * b + b * b) / 3.0;
        } else if (d[k].kind == FLYT_DIST_EMPIRICAL) {
            m2 = 0;
            for (int i = 0; i < 4; i++)
                m2 += ew[i] * ev[i] * ev[i];
        } else if (d[k].kind == FLYT_DIST_FIXED) {
            m2 = m1 * m1;
        } else if (d[k].kind == FLYT_DIST_EXPONENTIAL) {
            m2 = 2 * m1 * m1;
        } else {
            m2 = d[k].sd * d[k].sd + m1 * m1;
        }
        double want = m2 / m1;
        flyt_stream_seed(&st, 606, 0, FLYT_STREAM_MODEL, k);
        flyt_rng_bind(r, &st);
        double s1 = 0, s2 = 0;
        for (int i = 0; i < N_DRAWS; i++) {
            double x = flyt_dist_sample_length_biased(&d[k], r);
            assert_true(x >= 0);
            s1 += x;
            s2 += x * x;
        }
        double mean = s1 / N_DRAWS, se = sqrt(fmax(0, s2 / N_DRAWS - mean * mean) / N_DRAWS);
        printf("length-biased %-12s mean %.5g (theory %.5g +- %.3g)\n", flyt_dist_name(d[k].kind),
               mean, want, 3.29 * se);
        if (d[k].kind == FLYT_DIST_FIXED)
            assert_true(mean == want);
        else
            assert_true(fabs(mean - want) < 3.29 * se);
        flyt_dist_clear(&d[k]);
    }
    flyt_rng_free(r);
}

static void names_round_trip(void **state)
{
    (void)state;
    for (int k = 0; k < FLYT_DIST_N_KINDS; k++)
        assert_int_equal(flyt_dist_kind_from_name(flyt_dist_name((enum flyt_dist_kind)k)), k);
    assert_int_equal(flyt_dist_kind_from_name("normal"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exponential_moments),
        cmocka_unit_test(lognormal_moments),
        cmocka_unit_test(gamma_moments),
        cmocka_unit_test(weibull_moments),
        cmocka_unit_test(uniform_moments),
        cmocka_unit_test(empirical_moments_and_shares),
        cmocka_unit_test(fixed_gives_its_value),
        cmocka_unit_test(prepare_rejects_bad_parameters),
        cmocka_unit_test(names_round_trip),
        cmocka_unit_test(length_biased_draws_have_the_right_mean),
        cmocka_unit_test(inline_uniform_equals_gsl),
        cmocka_unit_test(ziggurat_matches_its_distributions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
