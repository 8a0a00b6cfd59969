/*
 * Coverage of the summary's 95 % intervals where the t-interval would leave
 * a KPI's range (flyt_ci_in: the log scale at 0, the logit scale in [0, 1]).
 *
 * The model is scenarios/validation/mmc-rho070.cfg, an M/M/c queue for
 * short-term beds (test_stat_queueing.c checks it against Erlang C). Two
 * time-averages over the measured window have known expectations for any
 * window length once the queue is in steady state, and are bounded:
 *   occ_ukp              the mean number waiting, Lq = lambda Wq = C a / (c - a)
 *                        (Erlang C), in [0, inf);
 *   short_term           the busy share of the beds, a / c, in [0, 1] (a bed
 *     utilisation        unit that is never over capacity).
 * Means of waits per patient (ukp_wait_mean) would not do: over a short
 * window the ratio of summed waits to patients is biased (busy spells have
 * both more patients and longer waits), and the test would measure that.
 *
 * Each experiment is three replications under its own seed, summarised as
 * flyt run does: so few that the t-interval often crosses 0 or 1. Over
 * independent experiments the number of intervals that cover the true
 * value is binomial(E, coverage): the test accepts the counts that
 * binomial(E, 0.95) gives with probability 99.9 %, derived below, and
 * requires that a fifth of the intervals or more were transformed, for
 * the count to be about them. Warm-ups are five relaxation times,
 * 1 / (c mu (1 - sqrt rho)^2), or more, from empty.
 *
 * What it cannot fix: over windows short against the queue's excursions,
 * the number waiting is so skewed that three means miss its mean from
 * below whatever the scale (in the second model the t-interval alone
 * covers Lq in about 81 % of the experiments, the log-scale one 89 %). That
 * is the figure the note on few replications is about; the first model
 * measures longer, where three replications are enough for the mean.
 */
#include "flyt/experiment.h"
#include "flyt/result.h"
#include "flyt/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENARIO FLYT_SOURCE_DIR "/scenarios/validation/mmc-rho070.cfg"

#define EXPERIMENTS  400
#define REPLICATIONS 3

/* Erlang C: probability that an arrival waits, offered load a < c. */
static double erlang_c(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b));
}

/* The smallest and largest counts of binomial(n, p) inside its central
 * 1 - alpha: P(X < lo) <= alpha / 2 and P(X > hi) <= alpha / 2. */
static void binomial_band(unsigned n, double p, double alpha, unsigned *lo, unsigned *hi)
{
    *lo = 0;
    while (*lo < n && gsl_cdf_binomial_P(*lo, p, n) <= alpha / 2)
        ++*lo;
    *hi = n;
    while (*hi > 0 && gsl_cdf_binomial_Q(*hi - 1, p, n) <= alpha / 2)
        --*hi;
}

struct tally {
    unsigned covered, crossed, crossed_covered, t_covered;
};

static void count(struct tally *t, const struct flyt_stat *st, unsigned n, double truth, double lo,
                  double hi)
{
    assert_int_equal(st->n, n);
    assert_true(st->ci_low >= lo && st->ci_high <= hi && st->ci_low <= st->ci_high);
    bool in = st->ci_low <= truth && truth <= st->ci_high;
    bool crossed = st->mean - st->ci_half < lo || st->mean + st->ci_half > hi;
    t->covered += in;
    t->crossed += crossed;
    t->crossed_covered += crossed && in;
    t->t_covered += fabs(st->mean - truth) <= st->ci_half;
}

enum { OCC_UKP, UTILISATION, N_FIGURES };

/* The file with c beds, warmed up and measured over the days given:
 * EXPERIMENTS experiments of REPLICATIONS replications each, and how often
 * each figure's interval covered its true value. */
static void coverage(int c, double warmup_days, double measured_days, struct tally *t)
{
    char cap[64], warm[64], hor[64];
    snprintf(cap, sizeof cap, "units.short_term.capacity=%d", c);
    snprintf(warm, sizeof warm, "run.warmup_days=%g", warmup_days);
    snprintf(hor, sizeof hor, "run.horizon_days=%g", warmup_days + measured_days);
    const char *sets[] = { cap, warm, hor };
    struct flyt_scenario *s = flyt_test_load(SCENARIO, sets, 3);
    int st = -1;
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, "short_term") == 0)
            st = u;
    assert_true(st >= 0);
    double lambda = s->admissions_per_day, mu = 1.0 / flyt_dist_mean(&s->units[st].los[0]);
    double a = lambda / mu, rho = a / c;
    assert_true(warmup_days >= 5 / (c * mu * (1 - sqrt(rho)) * (1 - sqrt(rho))));
    const double truth[N_FIGURES] = {
        [OCC_UKP] = erlang_c(c, a) * a / (c - a), [UTILISATION] = rho
    };
    printf("M/M/%d, lambda %g, mu %g: %d experiments of %d replications of %g days\n", c, lambda,
           mu, EXPERIMENTS, REPLICATIONS, measured_days);

    memset(t, 0, N_FIGURES * sizeof *t);
    uint64_t seed0 = s->seed;
    struct flyt_result res[REPLICATIONS];
    for (unsigned e = 0; e < EXPERIMENTS; e++) {
        s->seed = seed0 + 1000003u * e; /* streams keyed by (seed, replication) */
        memset(res, 0, sizeof res);
        assert_int_equal(flyt_experiment_run(s, REPLICATIONS, 1, res, NULL, NULL), 0);
        struct flyt_summary sum;
        flyt_summary_compute(&sum, res, REPLICATIONS);
        const int k = FLYT_KPI_occ_ukp;
        struct flyt_stat occ = flyt_summary_stat(&sum, k);
        count(&t[OCC_UKP], &occ, REPLICATIONS, truth[OCC_UKP], 0, INFINITY);
        count(&t[UTILISATION], &flyt_summary_unit(&sum, (unsigned)st)[FLYT_UNIT_KPI_utilisation],
              REPLICATIONS, truth[UTILISATION], 0, 1);
        flyt_summary_free(&sum);
        for (unsigned i = 0; i < REPLICATIONS; i++)
            flyt_result_free(&res[i]);
    }
    flyt_scenario_free(s);

    unsigned lo, hi;
    binomial_band(EXPERIMENTS, 0.95, 0.001, &lo, &hi);
    static const char *const what[N_FIGURES] = { "occ_ukp = Lq", "short_term utilisation = rho" };
    for (int i = 0; i < N_FIGURES; i++)
        printf("  %-29s %.5f: covered %u of %d (accepted: %u..%u); the t-interval crossed the "
               "bound %u times (covered then %u) and alone covered %u\n",
               what[i], truth[i], t[i].covered, EXPERIMENTS, lo, hi, t[i].crossed,
               t[i].crossed_covered, t[i].t_covered);
}

static void accept(const struct tally *t)
{
    unsigned lo, hi;
    binomial_band(EXPERIMENTS, 0.95, 0.001, &lo, &hi);
    assert_true(t->crossed >= EXPERIMENTS / 5);
    assert_true(t->covered >= lo && t->covered <= hi);
}

/* rho = 0.7: the queue is often empty for days, and over 200 days three
 * replications' means of the number waiting cross 0 in four experiments
 * out of ten; the log-scale interval takes over. */
static void log_scale_intervals_cover_erlang_c_lq(void **state)
{
    (void)state;
    struct tally t[N_FIGURES];
    coverage(10, 20, 200, t);
    accept(&t[OCC_UKP]);
}

/* rho = 0.875 over 12 days: the beds' busy share is near 1, and three
 * replications' t-interval passes 1 in most experiments; the logit one
 * takes over. */
static void logit_scale_intervals_cover_the_busy_share(void **state)
{
    (void)state;
    struct tally t[N_FIGURES];
    coverage(8, 150, 12, t);
    accept(&t[UTILISATION]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(log_scale_intervals_cover_erlang_c_lq),
        cmocka_unit_test(logit_scale_intervals_cover_the_busy_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
