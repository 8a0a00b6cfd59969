/* flyt optimise's guarantee, checked over independent seeds on a case with
 * a known answer (docs/optimise.md, "The procedure and its guarantee").
 *
 * One beds unit fed by a Poisson stream with exponential stays (the M/M/c
 * of scenarios/validation/mmc-rho070.cfg: lambda 7 a day, mu 1 a day): the
 * mean UKP wait is Erlang C's Wq(c), computed here from the formula. The
 * cost is linear in the beds (1000 a bed a year, plus 10 a bed-day so that
 * it is random). With the limit Wq <= 0.15 day and tolerance 0.03, every
 * c in 8..13 is more than the tolerance from the limit and the cost steps
 * (1000) are far above the indifference zone (200), so the guarantee says:
 * each run picks c* = the smallest c with Wq(c) <= 0.15 with probability
 * at least 1 - alpha. Over R independent seeds the count of right picks is
 * then at least Binomial(R, 1 - alpha); the test asserts the count is at
 * least that binomial's 0.1 % lower quantile (so a correct procedure fails
 * it with probability under 0.001), and that no pick ever has a true wait
 * above limit + tolerance.
 *
 * The seeds are fixed, so the test is deterministic; the figures are
 * printed. The case of configurations equal in truth is the second test:
 * two replicas of the same system that differ only in their seed.
 * (Identical configurations, exactly tied, are test_optimise.c's.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/optimise.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MMC     FLYT_SOURCE_DIR "/scenarios/validation/mmc-rho070.cfg"
#define SEEDS   20
#define LAMBDA  7.0
#define MU      1.0
#define C_MIN   8
#define C_MAX   13
#define LIMIT   0.15
#define TOL     0.03
#define ALPHA   0.05
#define FAIL_AT 0.001 /* the binomial bound's own error */

static struct flyt_opt_spec *load(const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/flyt-test-stat-optimise-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_opt_spec *spec = flyt_opt_spec_load(path, &d);
    unlink(path);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    flyt_diag_free(&d);
    assert_non_null(spec);
    return spec;
}

/* Erlang C from the formula: P(wait) = (a^c / c!) (c / (c - a)) /
 * (sum_{k<c} a^k / k! + (a^c / c!) (c / (c - a))), Wq = P(wait) / (c mu -
 * lambda), with a = lambda / mu < c. */
static double erlang_c_wq(int c, double lambda, double mu)
{
    double a = lambda / mu, term = 1.0, sum = 0.0;
    for (int k = 0; k < c; k++) {
        sum += term; /* a^k / k! */
        term *= a / (k + 1);
    }
    double top = term * c / (c - a); /* term = a^c / c! */
    return top / (sum + top) / (c * mu - lambda);
}

/* P(X <= k) for X ~ Binomial(n, p). */
static double binom_cdf(int k, int n, double p)
{
    double s = 0.0;
    for (int i = 0; i <= k; i++)
        s += exp(lgamma(n + 1.0) - lgamma(i + 1.0) - lgamma(n - i + 1.0) + i * log(p) +
                 (n - i) * log1p(-p));
    return s;
}

static void picks_the_erlang_c_answer_as_often_as_the_guarantee_promises(void **state)
{
    (void)state;
    int expect = -1;
    for (int c = C_MIN; c <= C_MAX; c++) {
        double wq = erlang_c_wq(c, LAMBDA, MU);
        assert_true(fabs(wq - LIMIT) > TOL); /* every c is clear of the limit */
        if (expect < 0 && wq <= LIMIT)
            expect = c;
    }
    assert_int_equal(expect, 10); /* Wq(9) = 0.192, Wq(10) = 0.074 */

    /* The bound: the largest k with P(X < k) <= FAIL_AT at p = 1 - alpha. */
    int need = 0;
    while (need < SEEDS && binom_cdf(need, SEEDS, 1.0 - ALPHA) <= FAIL_AT)
        need++;

    int right = 0, over = 0;
    unsigned reps = 0;
    for (int s = 0; s < SEEDS; s++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=400.0\", \"run.warmup_days=50.0\",\n"
                 "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
                 "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
                 "replications = 10;\nmax_replications = 200;\nseed = %d;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = %d; max = %d; } );\n"
                 "objective_indifference = 200.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = %g; tolerance = %g; } );\n"
                 "alpha = %g;\n",
                 1000 + 7919 * s, C_MIN, C_MAX, LIMIT, TOL, ALPHA);
        struct flyt_opt_spec *spec = load(text);
        struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
        struct flyt_opt_report rep;
        assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
        assert_int_equal(rep.n_configs, C_MAX - C_MIN + 1);
        reps += rep.replications;
        if (rep.chosen >= 0) {
            int c = (int)rep.config[rep.chosen].value[0];
            if (c == expect)
                right++;
            if (erlang_c_wq(c, LAMBDA, MU) > LIMIT + TOL)
                over++;
            if (c != expect)
                fprintf(stderr, "seed %d: picked c = %d (Wq %.3f)\n", s, c,
                        erlang_c_wq(c, LAMBDA, MU));
        } else {
            fprintf(stderr, "seed %d: nothing chosen\n", s);
        }
        flyt_opt_report_free(&rep);
        flyt_opt_spec_free(spec);
    }
    printf("optimise on M/M/c (lambda %g, mu %g, c %d..%d, Wq <= %g +- %g): c* = %d picked "
           "in %d of %d seeds; the guarantee (1 - alpha = %g a run) promises at least %d "
           "(Binomial(%d, %g) lower %g quantile); picks infeasible by more than the "
           "tolerance: %d; %u replications in all\n",
           LAMBDA, MU, C_MIN, C_MAX, LIMIT, TOL, expect, right, SEEDS, 1.0 - ALPHA, need, SEEDS,
           1.0 - ALPHA, FAIL_AT, over, reps);
    assert_true(need >= 15); /* 15 of 20 at alpha 0.05 and 0.001 */
    assert_true(right >= need);
    assert_int_equal(over, 0);
}

/* Two configurations equal in truth but not in their numbers: the same
 * M/M/10 run under two seeds (a variable run.seed; the spec names no seed
 * of its own), so their costs differ by chance only. The guarantee holds
 * either way (the pick is within delta of the other); beyond it, a
 * configuration whose mean is within delta of the pick's cannot be told
 * from it, whichever crossed KN's boundary first, and must be reported
 * "not distinguishable", never "eliminated" (select.c, within_zone). */
#define PAIRS 4
static void configurations_equal_in_truth_are_not_distinguishable(void **state)
{
    (void)state;
    const double delta = 200.0;
    int tied = 0;
    for (int p = 0; p < PAIRS; p++) {
        char text[1024];
        snprintf(text, sizeof text,
                 "scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=400.0\", \"run.warmup_days=50.0\",\n"
                 "        \"units.short_term.capacity=10\",\n"
                 "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
                 "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
                 "replications = 10;\nmax_replications = 400;\n"
                 "variables = ( { key = \"run.seed\"; min = %d; max = %d; step = 1000; } );\n"
                 "objective_indifference = %g;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.15; tolerance = 0.03; } "
                 ");\n",
                 1 + p, 1001 + p, delta);
        struct flyt_opt_spec *spec = load(text);
        struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
        struct flyt_opt_report rep;
        assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
        assert_int_equal(rep.n_configs, 2);
        assert_int_equal(rep.n_feasible, 2);
        assert_true(rep.chosen >= 0);
        int other = 1 - rep.chosen;
        const struct flyt_opt_config *pick = &rep.config[rep.chosen], *o = &rep.config[other];
        printf("equal in truth, pair %d: #%d chosen (%.1f), #%d %s (%.1f) after %u and %u "
               "replications\n",
               p, rep.chosen + 1, pick->objective.mean, other + 1, flyt_opt_fate_name(o->fate),
               o->objective.mean, pick->n_run, o->n_run);
        assert_true(rep.config[0].objective.mean != rep.config[1].objective.mean);
        /* a pair within delta of each other is never reported as beaten */
        assert_int_equal(o->fate, FLYT_OPT_TIED);
        assert_int_equal(o->by, rep.chosen);
        assert_true(fabs(o->objective.mean - pick->objective.mean) < delta);
        tied += o->fate == FLYT_OPT_TIED;
        flyt_opt_report_free(&rep);
        flyt_opt_spec_free(spec);
    }
    printf("equal in truth: %d of %d pairs reported not distinguishable\n", tied, PAIRS);
    assert_int_equal(tied, PAIRS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_erlang_c_answer_as_often_as_the_guarantee_promises),
        cmocka_unit_test(configurations_equal_in_truth_are_not_distinguishable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
