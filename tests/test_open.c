/* Waits and stays still open at the horizon (issue 16): the Kaplan-Meier
 * quantiles and Little's-law means that count them, against hand-computed
 * and known answers; no open episode leaves the figures as they were; the
 * flag in the table and JSON. */
#include "flyt/model.h"
#include "flyt/output.h"
#include "flyt/scenario.h"
#include "model/model.h"

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

#define SCENARIOS FLYT_SOURCE_DIR "/scenarios/validation/"

/* Closed 1, 3, 3, 6 and censored 2, 5. At risk 6 at t = 1: S = 5/6. The
 * one censored at 2 leaves: 4 at risk at 3, two events: S = 5/6 * 3/4 *
 * 2/3 = 5/12. The one at 5 leaves: 1 at risk at 6: S = 0. */
static void kaplan_meier_by_hand(void **state)
{
    (void)state;
    const double closed[] = { 1, 3, 3, 6 }, cens[] = { 2, 5 };
    const double p[] = { 0.1, 0.17, 0.2, 0.5, 0.58, 0.6, 0.9 };
    const double want[] = { 1, 3, 3, 3, 3, 6, 6 };
    double got[7];
    flyt__km_quantiles(closed, 4, cens, 2, p, got, 7);
    for (int i = 0; i < 7; i++)
        if (got[i] != want[i])
            fail_msg("p = %g: %g, want %g", p[i], got[i], want[i]);
}

/* The same sample's survival at a point: S(0.5) = 1, S(1) = 5/6, S(3) =
 * S(5.9) = 5/12, S(6) = 0; with nothing censored, the share above x. */
static void kaplan_meier_survival_at(void **state)
{
    (void)state;
    double closed[] = { 1, 3, 3, 6 };
    const double cens[] = { 2, 5 };
    struct quantile q = { .x = closed, .n = 4, .nx = 4 };
    assert_true(flyt__km_survival(&q, cens, 2, 0.5) == 1);
    assert_near(flyt__km_survival(&q, cens, 2, 1), 5.0 / 6, 1e-15);
    assert_near(flyt__km_survival(&q, cens, 2, 3), 5.0 / 12, 1e-15);
    assert_near(flyt__km_survival(&q, cens, 2, 5.9), 5.0 / 12, 1e-15);
    assert_true(flyt__km_survival(&q, cens, 2, 6) == 0);
    assert_near(flyt__km_survival(&q, NULL, 0, 3), 0.25, 1e-15);
}

/* A censoring at an event's time is still at risk then: closed 2 and
 * censored 2 give S(2) = 1/2, the median 2. Survival that never falls to
 * 1 - p gives the longest time observed: closed 1, censored 4 and 5 stop
 * at S = 2/3, so the median is known only to be beyond 5. */
static void kaplan_meier_ties_and_lower_bound(void **state)
{
    (void)state;
    const double p[] = { 0.5 };
    double got;
    flyt__km_quantiles((const double[]){ 2 }, 1, (const double[]){ 2 }, 1, p, &got, 1);
    assert_true(got == 2);
    flyt__km_quantiles((const double[]){ 1 }, 1, (const double[]){ 4, 5 }, 2, p, &got, 1);
    assert_true(got == 5);
    const double p2[] = { 0.3 };
    flyt__km_quantiles((const double[]){ 1 }, 1, (const double[]){ 4, 5 }, 2, p2, &got, 1);
    assert_true(got == 1); /* S(1) = 2/3 <= 0.7 */
}

/* The mean counts the open ones' time so far (Little's law over the
 * episodes begun in the window), the maximum the longest of both. */
static void open_mean_and_max(void **state)
{
    (void)state;
    struct quantile q = { 0 };
    const double v[] = { 0, 1, 3, 3, 6 };
    for (int i = 0; i < 5; i++)
        assert_int_equal(flyt__quantile_add(&q, v[i]), 0);
    double cens[] = { 9, 2 }, mean, median, p90, max;
    flyt__quantile_kpis_open(&q, cens, 2, 0, &mean, &median, &p90, &max);
    assert_near(mean, (0 + 1 + 3 + 3 + 6 + 9 + 2) / 7.0, 1e-12);
    assert_true(max == 9);
    /* at risk 7: 0 (S = 6/7), 1 (5/7); the one censored at 2 leaves; 3 and
     * 3 with 4 at risk (5/7 * 3/4 * 2/3 = 5/14 <= 1/2); 6 with 2 at risk */
    assert_true(median == 3);
    assert_true(p90 == 9); /* S(6) = 5/28 > 0.1: beyond 9, the longest */
    flyt__quantile_free(&q);
}

/* Nothing open: the figures of a complete sample, bit for bit, exact and
 * from the histogram. */
static void nothing_open_is_bit_identical(void **state)
{
    (void)state;
    for (size_t n = 1000; n <= FLYT_QUANTILE_EXACT + 5000; n += FLYT_QUANTILE_EXACT) {
        struct quantile a = { 0 }, b = { 0 };
        for (size_t i = 0; i < n; i++) {
            double x = i % 11 == 0 ? 0 : fmod((double)i * 0.6180339887, 17.0);
            assert_int_equal(flyt__quantile_add(&a, x), 0);
            assert_int_equal(flyt__quantile_add(&b, x), 0);
        }
        double fa[4], fb[4];
        flyt__quantile_kpis(&a, &fa[0], &fa[1], &fa[2], &fa[3]);
        flyt__quantile_kpis_open(&b, NULL, 0, 0, &fb[0], &fb[1], &fb[2], &fb[3]);
        assert_memory_equal(fa, fb, sizeof fa);
        flyt__quantile_free(&a);
        flyt__quantile_free(&b);
    }
}

/* Kaplan-Meier over the histogram reads the same values as its quantiles:
 * with a censoring beyond every value, each quantile is the order
 * statistic of rank ceil(p n) - 1 read from the bins, within one bin of
 * the exact one. */
static void kaplan_meier_over_the_histogram(void **state)
{
    (void)state;
    size_t n = FLYT_QUANTILE_EXACT + 10000;
    struct quantile q = { 0 };
    double *x = malloc(n * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < n; i++) {
        x[i] = 1.0 + fmod((double)i * 0.6180339887, 1.0) * 99.0;
        assert_int_equal(flyt__quantile_add(&q, x[i]), 0);
    }
    assert_false(flyt__quantile_exact(&q));
    double cens[] = { 1000 }, mean, median, p90, max;
    flyt__quantile_kpis_open(&q, cens, 1, 0, &mean, &median, &p90, &max);
    free(x);
    /* uniform on [1, 100]: median 50.5, p90 90.1 */
    assert_near(median, 50.5, 0.1);
    assert_near(p90, 90.1, 0.1);
    assert_true(max == 1000);
    flyt__quantile_free(&q);
}

struct run {
    struct flyt_scenario *s;
    struct flyt_result res[4];
    struct flyt_summary sum;
};

static void run_scenario(struct run *r, const char *file, const char *const *sets, int n_sets)
{
    r->s = flyt_test_load(file, sets, n_sets);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(flyt_model_run(r->s, i, &r->res[i]), 0);
    flyt_summary_compute(&r->sum, r->res, 4);
}

static void run_free(struct run *r)
{
    for (int i = 0; i < 4; i++)
        flyt_result_free(&r->res[i]);
    flyt_summary_free(&r->sum);
    flyt_scenario_free(r->s);
}

static char *printed(const struct run *r, int json)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    assert_non_null(fp);
    if (json)
        flyt_summary_print_json(fp, r->s, &r->sum, 4);
    else
        flyt_summary_print_table(fp, r->s, &r->sum, 4);
    fclose(fp);
    return buf;
}

/* The text of unit u's KPI k in the JSON, up to its closing brace. */
static void json_unit_kpi(const char *json, const char *unit, const char *kpi, char *out,
                          size_t size)
{
    char key[128];
    snprintf(key, sizeof key, "\"%s\": {\"name\"", unit);
    const char *u = strstr(json, key);
    assert_non_null(u);
    snprintf(key, sizeof key, "\"%s\": {", kpi);
    const char *k = strstr(u, key);
    assert_non_null(k);
    const char *e = strchr(k, '}');
    assert_non_null(e);
    snprintf(out, size, "%.*s", (int)(e - k), k);
}

static double unit_mean(const struct run *r, int u, int k)
{
    return flyt_summary_unit(&r->sum, (unsigned)u)[k].mean;
}

/* A ward closed 30 days before the horizon (scenarios/validation/
 * open-waits.cfg): a third of the waits never end. The closed waits alone
 * say 0 days; Little's law says (100 - 70)^2 / (2 * 90) = 5; the median is
 * 0 (two thirds wait 0); the 90th percentile lies beyond the longest open
 * wait, just under 30 days. */
static void closed_ward_counts_the_open_waits(void **state)
{
    (void)state;
    struct run r;
    run_scenario(&r, SCENARIOS "open-waits.cfg", NULL, 0);
    int st = 1;
    double share = unit_mean(&r, st, FLYT_UNIT_KPI_waits_open_share);
    assert_near(share, 1.0 / 3, 0.03);
    assert_near(unit_mean(&r, st, FLYT_UNIT_KPI_wait_mean), 5.0, 0.5);
    assert_true(unit_mean(&r, st, FLYT_UNIT_KPI_wait_p90) > 29.5 &&
                unit_mean(&r, st, FLYT_UNIT_KPI_wait_p90) <= 30.0);
    assert_near(unit_mean(&r, st, FLYT_UNIT_KPI_waits_open), 20.0 * 30, 60);
    /* the admitted all waited 0 days, but the third never admitted have
     * missed any target: Kaplan-Meier's share within it is 2/3, not 1 */
    assert_near(unit_mean(&r, st, FLYT_UNIT_KPI_wait_within_target), 2.0 / 3, 0.03);
    /* the UKP wait is the same wait seen from the hospital */
    assert_near(r.sum.mean[FLYT_KPI_ukp_wait_mean], 5.0, 0.5);
    assert_true(r.sum.mean[FLYT_KPI_ukp_wait_median] == 0);
    assert_near(r.sum.mean[FLYT_KPI_ukp_open_share], 1.0 / 3, 0.03);
    for (int i = 0; i < 4; i++) {
        double open = r.res[i].kpi[FLYT_KPI_ukp_waits_open];
        assert_true(open == r.res[i].kpi[FLYT_KPI_ukp_waiting_at_end]); /* none from the warm-up */
        assert_true(r.res[i].kpi[FLYT_KPI_ukp_wait_max] > 29.5);
    }
    char *json = printed(&r, 1), *table = printed(&r, 0), kpi[512];
    json_unit_kpi(json, "short_term", "wait_mean", kpi, sizeof kpi);
    assert_non_null(strstr(kpi, "\"open_flag\": true"));
    assert_non_null(strstr(kpi, "\"open_share\": 0.3"));
    assert_non_null(strstr(json, "\"ukp_wait_mean\": {"));
    assert_non_null(strstr(table, "open 33 %"));
    assert_non_null(strstr(table, "\nopen N %: N % of the figure"));
    free(json);
    free(table);
    run_free(&r);
}

/* Exponential stays, mean 20 days, over a window of 30 (open-stays.cfg):
 * half still running at the end, independently of their length. The
 * Kaplan-Meier median finds 20 ln 2; the closed stays alone would give
 * about 8. Little's law gives the time spent in the window per stay,
 * m (1 - m (1 - exp(-H/m)) / H). Over 400 days only 5 % are open: no
 * flag, and the median is as before. */
static void censored_stays_and_the_flag(void **state)
{
    (void)state;
    struct run r;
    run_scenario(&r, SCENARIOS "open-stays.cfg", NULL, 0);
    double m = 20, h = 30 - 0.01;
    assert_near(unit_mean(&r, 1, FLYT_UNIT_KPI_stays_open_share), 0.518, 0.03);
    assert_near(unit_mean(&r, 1, FLYT_UNIT_KPI_los_median), m * log(2), 0.05 * m * log(2));
    assert_near(unit_mean(&r, 1, FLYT_UNIT_KPI_los_mean), m * (1 - m * (1 - exp(-h / m)) / h),
                0.03 * m);
    char *json = printed(&r, 1), kpi[512];
    json_unit_kpi(json, "ward", "los_median", kpi, sizeof kpi);
    assert_non_null(strstr(kpi, "\"open_flag\": true"));
    json_unit_kpi(json, "ward", "occupancy", kpi, sizeof kpi);
    assert_null(strstr(kpi, "open_share")); /* a time-average: nothing open to count */
    free(json);
    run_free(&r);

    const char *sets[] = { "run.horizon_days=400", "population.admissions_per_day=20" };
    run_scenario(&r, SCENARIOS "open-stays.cfg", sets, 2);
    double sh = unit_mean(&r, 1, FLYT_UNIT_KPI_stays_open_share);
    assert_true(sh > 0.02 && sh < FLYT_OPEN_FLAG_SHARE);
    assert_near(unit_mean(&r, 1, FLYT_UNIT_KPI_los_median), m * log(2), 0.05 * m * log(2));
    json = printed(&r, 1);
    char *table = printed(&r, 0);
    json_unit_kpi(json, "ward", "los_median", kpi, sizeof kpi);
    assert_non_null(strstr(kpi, "\"open_flag\": false"));
    assert_null(strstr(table, "  open "));
    free(json);
    free(table);
    run_free(&r);
}

/* With a warm-up the mean holds the part in the window of the stays begun
 * before it: the mean stay times the stays admitted in the window is the
 * census integrated over it, Little's L |W| = lambda W |W|, on each
 * replication. */
static void little_counts_the_carry_of_the_warm_up(void **state)
{
    (void)state;
    const char *sets[] = { "run.warmup_days=10" };
    struct run r;
    run_scenario(&r, SCENARIOS "open-stays.cfg", sets, 1);
    for (int i = 0; i < 4; i++) {
        const double *k = flyt_result_unit_kpi(&r.res[i], 1);
        double area = k[FLYT_UNIT_KPI_occupancy] * 20;
        assert_true(k[FLYT_UNIT_KPI_stays_open] > 0);
        assert_near(k[FLYT_UNIT_KPI_los_mean] * k[FLYT_UNIT_KPI_admissions], area, 1e-9 * area);
    }
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kaplan_meier_by_hand),
        cmocka_unit_test(kaplan_meier_survival_at),
        cmocka_unit_test(kaplan_meier_ties_and_lower_bound),
        cmocka_unit_test(open_mean_and_max),
        cmocka_unit_test(nothing_open_is_bit_identical),
        cmocka_unit_test(kaplan_meier_over_the_histogram),
        cmocka_unit_test(closed_ward_counts_the_open_waits),
        cmocka_unit_test(censored_stays_and_the_flag),
        cmocka_unit_test(little_counts_the_carry_of_the_warm_up),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
