/*
 * Random streams: the generator against its reference, reproducibility,
 * independence of keys, uniformity, and the GSL binding the model relies on.
 */
#include "flyt/rng.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define N_SEQ 1000

static void draw(struct flyt_stream *st, unsigned long *out, int n)
{
    gsl_rng *r = flyt_rng_new();
    assert_non_null(r);
    flyt_rng_bind(r, st);
    for (int i = 0; i < n; i++)
        out[i] = gsl_rng_get(r);
    flyt_rng_free(r);
}

static void keyed(unsigned long *out, uint64_t seed, uint64_t rep, uint64_t cls, uint64_t index)
{
    struct flyt_stream st;
    flyt_stream_seed(&st, seed, rep, cls, index);
    draw(&st, out, N_SEQ);
}

/* A model hashes (seed, replication, class) once and each index after; the
 * streams must be the very ones flyt_stream_seed gives. */
static void prefix_seeding_equals_full_seeding(void **state)
{
    (void)state;
    for (uint64_t cls = 1; cls <= FLYT_STREAM_LEVER; cls++) {
        uint64_t pre = flyt_stream_prefix(20251231, 7, cls);
        for (uint64_t i = 0; i < 1000; i += 37) {
            struct flyt_stream a, b;
            flyt_stream_seed(&a, 20251231, 7, cls, i << 20 | i);
            flyt_stream_seed_at(&b, pre, i << 20 | i);
            assert_memory_equal(&a, &b, sizeof a);
        }
    }
}

/* splitmix64 from 0: the first outputs of Vigna's reference code. */
static void splitmix64_matches_the_reference(void **state)
{
    (void)state;
    uint64_t x = 0;
    assert_true(flyt_splitmix64(&x) == 0xe220a8397b1dcdafULL);
    assert_true(flyt_splitmix64(&x) == 0x6e789e6aa1b965f4ULL);
    assert_true(flyt_splitmix64(&x) == 0x06c45d188009454fULL);
}

/* xoshiro256** from the state {1, 2, 3, 4} gives 11520, 0, 1509978240,
 * 1215971899390074240, ... (reference code); integers are the top 32 bits,
 * doubles the top 53 bits. */
static void xoshiro_matches_the_reference(void **state)
{
    (void)state;
    static const uint64_t ref[] = { 11520ULL,
                                    0ULL,
                                    1509978240ULL,
                                    1215971899390074240ULL,
                                    1216172134540287360ULL,
                                    607988272756665600ULL };
    struct flyt_stream st = { { 1, 2, 3, 4 } }, st2 = st;
    gsl_rng *r = flyt_rng_new();
    assert_non_null(r);
    flyt_rng_bind(r, &st);
    for (int i = 0; i < 6; i++)
        assert_true(gsl_rng_get(r) == (unsigned long)(ref[i] >> 32));
    flyt_rng_bind(r, &st2);
    for (int i = 0; i < 6; i++)
        assert_true(gsl_rng_uniform(r) == (double)(ref[i] >> 11) * 0x1.0p-53);
    flyt_rng_free(r);
}

static void the_same_key_gives_the_same_sequence(void **state)
{
    (void)state;
    unsigned long *a = malloc(N_SEQ * sizeof *a), *b = malloc(N_SEQ * sizeof *b);
    assert_non_null(a);
    assert_non_null(b);
    keyed(a, 20251231, 7, FLYT_STREAM_PATIENT, 123456);
    keyed(b, 20251231, 7, FLYT_STREAM_PATIENT, 123456);
    assert_memory_equal(a, b, N_SEQ * sizeof *a);
    free(a);
    free(b);
}

/* Two sequences of 32-bit draws from unrelated streams agree at a given
 * position with probability 2^-32; neither may be a shifted copy of the
 * other either (the other's first draw must not turn up early on). */
static void assert_unrelated(const unsigned long *a, const unsigned long *b)
{
    int same = 0;
    for (int i = 0; i < N_SEQ; i++) {
        same += a[i] == b[i];
        assert_true(a[i] != b[0] || i == 0);
        assert_true(b[i] != a[0] || i == 0);
    }
    assert_int_equal(same, 0);
}

static void each_key_component_changes_the_sequence(void **state)
{
    (void)state;
    unsigned long *base = malloc(N_SEQ * sizeof *base), *other = malloc(N_SEQ * sizeof *other);
    assert_non_null(base);
    assert_non_null(other);
    keyed(base, 42, 3, FLYT_STREAM_PATIENT, 17);
    keyed(other, 43, 3, FLYT_STREAM_PATIENT, 17); /* seed */
    assert_unrelated(base, other);
    keyed(other, 42, 4, FLYT_STREAM_PATIENT, 17); /* replication */
    assert_unrelated(base, other);
    keyed(other, 42, 3, FLYT_STREAM_INITIAL, 17); /* class */
    assert_unrelated(base, other);
    keyed(other, 42, 3, FLYT_STREAM_PATIENT, 18); /* index */
    assert_unrelated(base, other);
    /* swapped components are different keys */
    keyed(base, 42, 3, FLYT_STREAM_PATIENT, 17);
    keyed(other, 42, 3, 17, FLYT_STREAM_PATIENT);
    assert_unrelated(base, other);
    keyed(base, 1, 2, 3, 4);
    keyed(other, 2, 1, 3, 4);
    assert_unrelated(base, other);
    keyed(base, 0, 0, 0, 0); /* the all-zero key still gives a working stream */
    int nonzero = 0;
    for (int i = 0; i < N_SEQ; i++)
        nonzero += base[i] != 0;
    assert_true(nonzero > N_SEQ - 5);
    free(base);
    free(other);
}

/* Pearson's chi-square over equal bins; returns the p-value. */
static double chi_square_p(const unsigned *count, int bins, unsigned n)
{
    double e = (double)n / bins, chi2 = 0;
    for (int b = 0; b < bins; b++)
        chi2 += (count[b] - e) * (count[b] - e) / e;
    return gsl_cdf_chisq_Q(chi2, bins - 1);
}

enum { BINS = 100 };

/* One stream: a million draws in [0, 1), 100 equal bins, p > 0.001. */
static void draws_are_uniform_on_the_unit_interval(void **state)
{
    (void)state;
    const unsigned n = 1000000;
    unsigned count[BINS] = { 0 };
    struct flyt_stream st;
    flyt_stream_seed(&st, 1, 0, FLYT_STREAM_MODEL, 0);
    gsl_rng *r = flyt_rng_new();
    flyt_rng_bind(r, &st);
    double lo = 1, hi = 0;
    for (unsigned i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r);
        assert_true(u >= 0.0 && u < 1.0);
        lo = u < lo ? u : lo;
        hi = u > hi ? u : hi;
        count[(int)(u * BINS)]++;
    }
    flyt_rng_free(r);
    double p = chi_square_p(count, BINS, n);
    print_message("one stream: chi-square p = %.4f, min %.3g, max 1 - %.3g\n", p, lo, 1 - hi);
    assert_true(p > 0.001);
    assert_true(lo < 1e-4 && hi > 1 - 1e-4);
}

/* Across streams: the first draw of each of 200,000 consecutive patients
 * (what decides, say, a patient's frailty) is uniform too, so neighbouring
 * keys do not give related starts. */
static void first_draws_of_consecutive_streams_are_uniform(void **state)
{
    (void)state;
    const unsigned n = 200000;
    unsigned count[BINS] = { 0 };
    gsl_rng *r = flyt_rng_new();
    for (unsigned i = 0; i < n; i++) {
        struct flyt_stream st;
        flyt_stream_seed(&st, 20251231, 0, FLYT_STREAM_PATIENT, i);
        flyt_rng_bind(r, &st);
        count[(int)(gsl_rng_uniform(r) * BINS)]++;
    }
    flyt_rng_free(r);
    double p = chi_square_p(count, BINS, n);
    print_message("first draws of %u streams: chi-square p = %.4f\n", n, p);
    assert_true(p > 0.001);
}

/* The model binds one gsl_rng to each patient's stream in turn: draws must
 * advance the bound stream itself, and interleaving streams must not change
 * either sequence. */
static void binding_advances_the_bound_stream(void **state)
{
    (void)state;
    struct flyt_stream a, b, a0;
    flyt_stream_seed(&a, 5, 1, FLYT_STREAM_PATIENT, 1);
    flyt_stream_seed(&b, 5, 1, FLYT_STREAM_PATIENT, 2);
    a0 = a;
    unsigned long ref[10];
    struct flyt_stream copy = a;
    draw(&copy, ref, 10);

    gsl_rng *r = flyt_rng_new();
    assert_non_null(r);
    flyt_rng_bind(r, &a);
    for (int i = 0; i < 5; i++)
        assert_true(gsl_rng_get(r) == ref[i]);
    assert_memory_not_equal(&a, &a0, sizeof a); /* the stream moved on */
    flyt_rng_bind(r, &b);
    (void)gsl_rng_get(r);
    (void)gsl_ran_exponential(r, 3.0);
    flyt_rng_bind(r, &a);
    for (int i = 5; i < 10; i++)
        assert_true(gsl_rng_get(r) == ref[i]);
    assert_memory_equal(&a, &copy, sizeof a); /* same state as the copy after 10 */
    flyt_rng_free(r);
}

/* The type also works as an ordinary GSL generator: gsl_rng_set(r, s) is
 * the stream keyed (s, 0, 0, 0). */
static void the_type_works_through_gsl_rng_alloc(void **state)
{
    (void)state;
    gsl_rng *g = gsl_rng_alloc(flyt_rng_xoshiro);
    assert_non_null(g);
    assert_string_equal(gsl_rng_name(g), "flyt-xoshiro256ss");
    assert_true(gsl_rng_max(g) == 0xffffffffUL && gsl_rng_min(g) == 0);
    gsl_rng_set(g, 99);
    unsigned long ref[N_SEQ];
    keyed(ref, 99, 0, 0, 0);
    for (int i = 0; i < N_SEQ; i++)
        assert_true(gsl_rng_get(g) == ref[i]);
    gsl_rng_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(splitmix64_matches_the_reference),
        cmocka_unit_test(prefix_seeding_equals_full_seeding),
        cmocka_unit_test(xoshiro_matches_the_reference),
        cmocka_unit_test(the_same_key_gives_the_same_sequence),
        cmocka_unit_test(each_key_component_changes_the_sequence),
        cmocka_unit_test(draws_are_uniform_on_the_unit_interval),
        cmocka_unit_test(first_draws_of_consecutive_streams_are_uniform),
        cmocka_unit_test(binding_advances_the_bound_stream),
        cmocka_unit_test(the_type_works_through_gsl_rng_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
