/*
 * Common random numbers on the Trondheim baseline: a base and a variant run
 * with the same seed see the same patients, so the paired interval of their
 * difference is narrower than the unpaired one and pairing removes variance.
 * The same variant run with another seed (independent patients) is the
 * control: there pairing must not help, or the check would prove nothing.
 *
 * Short runs (300 days, 60 of them warm-up, 20 replications) keep this to a
 * few seconds; the seeds are fixed, so it is deterministic.
 */
#include "flyt/compare.h"
#include "flyt/experiment.h"
#include "flyt/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 20

/* The embedded default with the short horizon and n_changes --set changes. */
static struct flyt_scenario *load(const char *const *changes, int n_changes)
{
    const char *sets[8] = { "run.horizon_days=300", "run.warmup_days=60" };
    int n = 2;
    for (int i = 0; i < n_changes && n < 8; i++)
        sets[n++] = changes[i];
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s =
            flyt_scenario_load_string(flyt_default_scenario, "default", NULL, sets, n, &d);
    if (!s)
        fprintf(stderr, "%s\n", d.text ? d.text : "(no message)");
    flyt_diag_free(&d);
    assert_non_null(s);
    return s;
}

static struct flyt_result *run(const struct flyt_scenario *s)
{
    struct flyt_result *res = calloc(REPS, sizeof *res);
    assert_non_null(res);
    assert_int_equal(flyt_experiment_run(s, REPS, 0, res, NULL, NULL), 0);
    return res;
}

static void free_results(struct flyt_result *res)
{
    for (int r = 0; r < REPS; r++)
        flyt_result_free(&res[r]);
    free(res);
}

static int unit_index(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return u;
    fail_msg("no unit %s", id);
    return -1;
}

/* Compares the default with the changes against the default; *st_los
 * gets the short-term beds' los_mean compared (flyt_compare holds the
 * global KPIs only). */
static void compare(struct flyt_compare *c, struct flyt_paired *st_los, const char *const *changes,
                    int n_changes)
{
    struct flyt_scenario *sb = load(NULL, 0), *sv = load(changes, n_changes);
    struct flyt_result *b = run(sb), *v = run(sv);
    struct flyt_compare_side base = { b, 0, { NULL }, 0, NULL, 0, NULL },
                             variant = { v, 0, { NULL }, 0, NULL, 0, NULL };
    assert_int_equal(flyt_compare_compute(c, &base, &variant, REPS), 0);
    int st = unit_index(sb, "short_term");
    assert_int_equal(unit_index(sv, "short_term"), st);
    double xb[REPS], xv[REPS];
    for (int r = 0; r < REPS; r++) {
        xb[r] = flyt_result_unit_kpi(&b[r], (unsigned)st)[FLYT_UNIT_KPI_los_mean];
        xv[r] = flyt_result_unit_kpi(&v[r], (unsigned)st)[FLYT_UNIT_KPI_los_mean];
    }
    *st_los = flyt_paired_of(xb, xv, REPS, NULL);
    free_results(b);
    free_results(v);
    flyt_scenario_free(sb);
    flyt_scenario_free(sv);
}

static void print(const char *what, const struct flyt_paired *p)
{
    printf("%-40s diff %+.4g  paired +-%.4g  unpaired +-%.4g  variance reduction %.3f\n", what,
           p->diff.mean, p->diff.ci_half, p->unpaired_half, p->variance_reduction);
}

static void assert_pairing_helps(const char *what, const struct flyt_paired *p)
{
    print(what, p);
    assert_int_equal(p->diff.n, REPS);
    assert_true(p->diff.ci_half < p->unpaired_half);
    assert_true(p->variance_reduction > 0);
}

/* Ten fewer short-term beds (125 -> 115): more blocking, longer waits. */
static void fewer_beds_pair_tighter_than_unpaired(void **state)
{
    (void)state;
    struct flyt_compare c;
    struct flyt_paired st_los;
    static const char *const fewer_beds[] = { "units.short_term.capacity=115" };
    compare(&c, &st_los, fewer_beds, 1);
    assert_pairing_helps("beds 115: ukp_wait_mean", &c.kpi[FLYT_KPI_ukp_wait_mean]);
    assert_pairing_helps("beds 115: units.short_term.los_mean", &st_los);
    /* The patients are the same ones: arrivals do not depend on beds. */
    for (int r = 0; r < REPS; r++)
        assert_true(c.diff[r * FLYT_N_KPI + FLYT_KPI_arrivals] == 0.0);
    flyt_compare_free(&c);
}

static const char *const faster[] = { "decision.delay_days.mean=0.9",
                                      "decision.delay_days.sd=0.6" };
static const char *const faster_other_seed[] = { "decision.delay_days.mean=0.9",
                                                 "decision.delay_days.sd=0.6",
                                                 "run.seed=918273645" };

/* A faster municipal decision: a difference the pairing resolves. */
static void faster_decision_is_resolved_by_pairing(void **state)
{
    (void)state;
    struct flyt_compare c;
    struct flyt_paired st_los;
    compare(&c, &st_los, faster, 2);
    const struct flyt_paired *p = &c.kpi[FLYT_KPI_ukp_wait_mean];
    assert_pairing_helps("delay 0.9: ukp_wait_mean", p);
    assert_pairing_helps("delay 0.9: units.short_term.los_mean", &st_los);
    assert_true(flyt_paired_excludes_zero(p));
    assert_true(p->diff.mean < 0);
    /* Most of the spread between replications is the patients, not the
     * change: pairing removes most of it. */
    assert_true(p->variance_reduction > 0.5);
    flyt_compare_free(&c);
}

/* The control: another seed means other patients, so the pairs share
 * nothing and pairing removes (statistically) nothing. */
static void independent_seeds_gain_nothing_from_pairing(void **state)
{
    (void)state;
    struct flyt_compare crn, indep;
    struct flyt_paired st_los;
    compare(&crn, &st_los, faster, 2);
    compare(&indep, &st_los, faster_other_seed, 3);
    const struct flyt_paired *pc = &crn.kpi[FLYT_KPI_ukp_wait_mean];
    const struct flyt_paired *pi = &indep.kpi[FLYT_KPI_ukp_wait_mean];
    print("other seed: ukp_wait_mean", pi);
    assert_true(pi->variance_reduction < 0.5);
    assert_true(pi->variance_reduction < pc->variance_reduction);
    assert_true(pi->diff.ci_half > pc->diff.ci_half);
    int same_arrivals = 0;
    for (int r = 0; r < REPS; r++)
        same_arrivals += indep.diff[r * FLYT_N_KPI + FLYT_KPI_arrivals] == 0.0;
    assert_true(same_arrivals < REPS / 2);
    flyt_compare_free(&crn);
    flyt_compare_free(&indep);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fewer_beds_pair_tighter_than_unpaired),
        cmocka_unit_test(faster_decision_is_resolved_by_pairing),
        cmocka_unit_test(independent_seeds_gain_nothing_from_pairing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
