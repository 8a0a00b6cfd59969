/* The levers planners pull: capacity schedules, demand shocks and
 * coordinator roles do what the scenario reference promises, checked
 * against oracles outside the model (the C library's ISO weeks, the
 * weekday calendar, the Poisson variance of counts). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifndef FLYT_SOURCE_DIR
#error "FLYT_SOURCE_DIR must be defined"
#endif

#define SCHEDULE_CFG FLYT_SOURCE_DIR "/scenarios/validation/capacity-schedule.cfg"

/* ISO week of 2025-01-01 + day from the C library, not from flyt. */
static int libc_iso_week(int day)
{
    struct tm tm = { .tm_year = 125, .tm_mon = 0, .tm_mday = 1 + day, .tm_hour = 12 };
    tm.tm_isdst = -1;
    mktime(&tm);
    char buf[8];
    strftime(buf, sizeof buf, "%V", &tm);
    return atoi(buf);
}

static int libc_weekday(int day) /* Monday = 0 */
{
    struct tm tm = { .tm_year = 125, .tm_mon = 0, .tm_mday = 1 + day, .tm_hour = 12 };
    tm.tm_isdst = -1;
    mktime(&tm);
    return (tm.tm_wday + 6) % 7;
}

static unsigned unit_of(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return (unsigned)u;
    fail_msg("no unit '%s'", id);
    return 0;
}

static void capacity_step_and_closure(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load(SCHEDULE_CFG, NULL, 0);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, 0, &r), 0);
    size_t first = (size_t)ceil(s->warmup_days);
    unsigned st = unit_of(s, "short_term"), hc = unit_of(s, "home_care");
    const double *beds = flyt_result_unit_series(&r, st, FLYT_USERIES_capacity);
    const double *census = flyt_result_unit_series(&r, st, FLYT_USERIES_census);
    const double *hours = flyt_result_unit_series(&r, hc, FLYT_USERIES_capacity);
    int summers = 0;
    for (size_t i = 0; i < r.n_days; i++) {
        int day = (int)(first + i);
        int week = libc_iso_week(day);
        double want = (day < 120 ? 20 : 40) - (week >= 27 && week <= 32 ? 10 : 0);
        if (beds[i] != want)
            fail_msg("day %d (ISO week %d): %g beds open, expected %g", day, week, beds[i], want);
        assert_true(hours[i] == (day < 200 ? 100.0 : 150.0));
        /* The queue never empties, so a bed that opens is taken at 00:00. */
        if (i > 0 && beds[i] > beds[i - 1])
            assert_true(census[i] == beds[i]);
        /* Nobody is sent away: above capacity the census only falls. */
        if (i > 0 && census[i - 1] > beds[i])
            assert_true(census[i] <= census[i - 1]);
        if (census[i] > beds[i])
            assert_true(i > 0 && beds[i] < beds[i - 1] + 1e-9 && census[i] <= census[i - 1]);
        if (week == 27 && libc_weekday(day) == 0)
            summers++;
    }
    assert_int_equal(summers, 2); /* the closure came round in both years */
    /* On the day of the step the census goes from 20 to 40. */
    assert_true(census[120 - first - 1] <= 20);
    assert_true(census[120 - first] == 40);
    flyt_result_free(&r);
    flyt_scenario_free(s);
}

/* The default scenario with text appended at the top level. */
static struct flyt_scenario *default_plus(const char *extra, const char *const *sets, int n_sets)
{
    size_t n = strlen(flyt_default_scenario) + strlen(extra) + 2;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%s\n%s", flyt_default_scenario, extra);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, "levers", NULL, sets, n_sets, &d);
    if (!s)
        fail_msg("%s", d.text ? d.text : "cannot load");
    flyt_diag_free(&d);
    free(text);
    return s;
}

#define ROLE(headcount, extra)                                                                  \
    "coordinators = ( { name = \"c\"; headcount = " #headcount "; cases = \"ukp\";"             \
    " work_hours = { dist = \"gamma\"; mean = 1.5; sd = 0.7; }; " extra                         \
    " effects = { decision_delay_days = 0.0; los_factor = 0.8; los_unit = \"short_term\";"      \
    " not_ready_probability = 0.0;"                                                             \
    " destination = { home = 0.1; home_care = 0.8; short_term = 0.1; nursing_home = 0.0; }; };" \
    " } );\n"

static void zero_headcount_changes_nothing(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=300", "run.warmup_days=60" };
    struct flyt_scenario *a = flyt_test_load(NULL, sets, 2);
    struct flyt_scenario *b = default_plus(ROLE(0, "when_busy = \"wait\";"), sets, 2);
    for (unsigned rep = 0; rep < 3; rep++) {
        struct flyt_result ra, rb;
        assert_int_equal(flyt_model_run(a, rep, &ra), 0);
        assert_int_equal(flyt_model_run(b, rep, &rb), 0);
        for (int k = 0; k < FLYT_N_KPI; k++)
            if (memcmp(&ra.kpi[k], &rb.kpi[k], sizeof(double)) != 0)
                fail_msg("KPI %s: %.17g without the role, %.17g with headcount 0",
                         flyt_kpi_defs[k].name, ra.kpi[k], rb.kpi[k]);
        for (int i = 0; i < FLYT_N_SERIES; i++)
            assert_memory_equal(ra.series[i], rb.series[i], ra.n_days * sizeof(double));
        assert_int_equal(ra.n_units, rb.n_units);
        for (unsigned u = 0; u < ra.n_units; u++)
            for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
                if (memcmp(&flyt_result_unit_kpi(&ra, u)[k], &flyt_result_unit_kpi(&rb, u)[k],
                           sizeof(double)) != 0)
                    fail_msg("units.%s.%s: %.17g without the role, %.17g with headcount 0",
                             a->units[u].id, flyt_unit_kpi_defs[k].name,
                             flyt_result_unit_kpi(&ra, u)[k], flyt_result_unit_kpi(&rb, u)[k]);
        assert_memory_equal(ra.unit_series, rb.unit_series,
                            ra.n_units * FLYT_N_UNIT_SERIES * ra.n_days * sizeof(double));
        assert_true(ra.model_events == rb.model_events);
        assert_true(rb.role_kpi[0][FLYT_ROLE_KPI_cases_offered] == 0);
        flyt_result_free(&ra);
        flyt_result_free(&rb);
    }
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

/* Scheduled hours by counting working days with the C library's calendar. */
static double scheduled_hours(const struct flyt_scenario *s, double per_day, int headcount)
{
    double h = 0;
    for (int day = (int)s->warmup_days; day < (int)s->horizon_days; day++)
        if (libc_weekday(day) < 5)
            h += per_day;
    return h * headcount;
}

/* Overloaded: the role works every scheduled hour and never more. Lightly
 * loaded with when_busy = "wait": every case is handled, and the hours
 * worked are the cases times the mean work time, within the spread of a
 * sum of gamma draws. */
static void utilisation_is_work_over_schedule(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=485", "run.warmup_days=120" };
    struct flyt_scenario *busy = default_plus(ROLE(2, "when_busy = \"ordinary\";"), sets, 2);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(busy, 0, &r), 0);
    double u = r.role_kpi[0][FLYT_ROLE_KPI_utilisation];
    printf("overloaded role: utilisation %.6f, %g cases handled, %g withdrawn\n", u,
           r.role_kpi[0][FLYT_ROLE_KPI_cases_handled],
           r.role_kpi[0][FLYT_ROLE_KPI_cases_withdrawn]);
    assert_true(u <= 1.0 + 1e-12);
    assert_true(u > 0.97);
    assert_true(r.role_kpi[0][FLYT_ROLE_KPI_cases_withdrawn] > 0);
    assert_near(r.role_kpi[0][FLYT_ROLE_KPI_work_hours], u * scheduled_hours(busy, 8.0, 2), 1e-6);
    flyt_result_free(&r);
    flyt_scenario_free(busy);

    const char *light_sets[] = { "run.horizon_days=485", "run.warmup_days=120",
                                 "population.admissions_per_day=4.0" };
    struct flyt_scenario *light = default_plus(ROLE(3, "when_busy = \"wait\";"), light_sets, 3);
    assert_int_equal(flyt_model_run(light, 1, &r), 0);
    double n = r.role_kpi[0][FLYT_ROLE_KPI_cases_handled];
    double sched = scheduled_hours(light, 8.0, 3);
    double expect = n * 1.5 / sched, half = 4.0 * 0.7 * sqrt(n) / sched; /* 4 sd */
    u = r.role_kpi[0][FLYT_ROLE_KPI_utilisation];
    printf("light role: %g cases, utilisation %.4f, expected %.4f +- %.4f\n", n, u, expect, half);
    assert_true(n > 300);
    assert_true(fabs(u - expect) < half + 2 * 1.5 * 3 / sched); /* + cases open at the edges */
    assert_true(r.role_kpi[0][FLYT_ROLE_KPI_cases_withdrawn] == 0);
    flyt_result_free(&r);
    flyt_scenario_free(light);
}

/* A role that sends more of the fit and frail home leaves the frailer ones
 * for the short-term ward: the mean CFS of short-term admissions rises. */
static void case_mix_shows_in_the_short_term_ward(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=485", "run.warmup_days=120" };
    const char *role =
            "coordinators = ( { name = \"rett-hjem\"; headcount = 20; cases = \"ukp\";"
            " groups = [\"fit\", \"frail\"]; work_hours = 0.5;"
            " effects = { destination = { home = 0.05; home_care = 0.90; short_term = 0.05;"
            " nursing_home = 0.0; }; }; } );\n";
    struct flyt_scenario *a = flyt_test_load(NULL, sets, 2);
    struct flyt_scenario *b = default_plus(role, sets, 2);
    enum { N = 10 };
    double d[N], mean;
    for (unsigned rep = 0; rep < N; rep++) {
        struct flyt_result ra, rb;
        assert_int_equal(flyt_model_run(a, rep, &ra), 0);
        assert_int_equal(flyt_model_run(b, rep, &rb), 0);
        unsigned st = unit_of(a, "short_term");
        d[rep] = flyt_result_unit_kpi(&rb, st)[FLYT_UNIT_KPI_admission_cfs_mean] -
                 flyt_result_unit_kpi(&ra, st)[FLYT_UNIT_KPI_admission_cfs_mean];
        assert_true(rb.kpi[FLYT_KPI_share_direct_home] > ra.kpi[FLYT_KPI_share_direct_home]);
        flyt_result_free(&ra);
        flyt_result_free(&rb);
    }
    double half = flyt_test_ci95(d, N, &mean);
    printf("short-term admissions' mean CFS: +%.3f, 95%% CI [%.3f, %.3f]\n", mean, mean - half,
           mean + half);
    assert_true(mean - half > 0);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

/* A shock multiplies arrivals on its days and leaves the days before it
 * untouched (the same patients). */
static void demand_shock_scales_arrivals(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=485", "run.warmup_days=120",
                           "population.growth_per_year=0" };
    const char *shock = "shocks = ( { from = 300; to = 360; factor = 1.5; } );";
    struct flyt_scenario *a = flyt_test_load(NULL, sets, 3);
    /* The shock goes inside population: rebuild the text with it. */
    const char *at = strstr(flyt_default_scenario, "population: {");
    assert_non_null(at);
    size_t head = (size_t)(at - flyt_default_scenario) + strlen("population: {");
    size_t n = strlen(flyt_default_scenario) + strlen(shock) + 2;
    char *text = malloc(n);
    assert_non_null(text);
    snprintf(text, n, "%.*s\n%s%s", (int)head, flyt_default_scenario, shock,
             flyt_default_scenario + head);
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *b = flyt_scenario_load_string(text, "shock", NULL, sets, 3, &diag);
    if (!b)
        fail_msg("%s", diag.text);
    flyt_diag_free(&diag);
    free(text);
    double in_a = 0, in_b = 0;
    for (unsigned rep = 0; rep < 4; rep++) {
        struct flyt_result ra, rb;
        assert_int_equal(flyt_model_run(a, rep, &ra), 0);
        assert_int_equal(flyt_model_run(b, rep, &rb), 0);
        size_t first = (size_t)ceil(a->warmup_days);
        assert_memory_equal(ra.series[FLYT_SERIES_arrivals], rb.series[FLYT_SERIES_arrivals],
                            (300 - first) * sizeof(double));
        for (size_t dd = 300; dd < 360; dd++) {
            in_a += ra.series[FLYT_SERIES_arrivals][dd - first];
            in_b += rb.series[FLYT_SERIES_arrivals][dd - first];
        }
        flyt_result_free(&ra);
        flyt_result_free(&rb);
    }
    /* Poisson counts: the ratio's relative sd is about sqrt(1/in_a + 1/in_b). */
    double ratio = in_b / in_a, rel = sqrt(1 / in_a + 1 / in_b);
    printf("shock days: %g arrivals without, %g with; ratio %.4f (theory 1.5 +- %.4f)\n", in_a,
           in_b, ratio, 4 * 1.5 * rel);
    assert_true(fabs(ratio - 1.5) < 4 * 1.5 * rel);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

/* Not-ready returns: none without the lever; with it, about p of the
 * discharges to home care and short-term beds come back. */
static void not_ready_returns_follow_the_probability(void **state)
{
    (void)state;
    const char *off[] = { "run.horizon_days=485", "run.warmup_days=120" };
    const char *on[] = { "run.horizon_days=485", "run.warmup_days=120",
                         "hospital.not_ready_probability=0.2", "hospital.not_ready_days=2.0" };
    struct flyt_scenario *a = flyt_test_load(NULL, off, 2);
    struct flyt_scenario *b = flyt_test_load(NULL, on, 4);
    struct flyt_result ra, rb;
    assert_int_equal(flyt_model_run(a, 0, &ra), 0);
    assert_int_equal(flyt_model_run(b, 0, &rb), 0);
    assert_true(ra.kpi[FLYT_KPI_not_ready_returns] == 0);
    /* UKP patients going to home care or short-term, from the waits by
     * destination: patients x (1 - share home - share nursing home). */
    double returns = rb.kpi[FLYT_KPI_not_ready_returns];
    double readmit_a = ra.kpi[FLYT_KPI_readmission_rate],
           readmit_b = rb.kpi[FLYT_KPI_readmission_rate];
    printf("not-ready returns %g; 30-day readmission %.3f -> %.3f\n", returns, readmit_a,
           readmit_b);
    assert_true(returns > 0);
    /* Returns within 2 days are 30-day readmissions of those discharges. */
    assert_true(readmit_b - readmit_a > 0.2 * 0.8);
    assert_true(readmit_b - readmit_a < 0.2 * 1.05);
    flyt_result_free(&ra);
    flyt_result_free(&rb);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

static double st_los_of(const char *role, unsigned rep)
{
    const char *sets[] = { "run.horizon_days=400", "run.warmup_days=100" };
    struct flyt_scenario *s = role ? default_plus(role, sets, 2) : flyt_test_load(NULL, sets, 2);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, rep, &r), 0);
    double x = flyt_result_unit_kpi(&r, unit_of(s, "short_term"))[FLYT_UNIT_KPI_los_mean];
    flyt_result_free(&r);
    flyt_scenario_free(s);
    return x;
}

/* Short-term roles: a case at admission that halves the stay nearly halves
 * it; a case opened 3 days before the planned end can take at most those 3
 * days off; a lone slow coordinator whose patients must wait holds beds. */
static void short_term_roles(void **state)
{
    (void)state;
    const char *half = "coordinators = ( { name = \"plan\"; headcount = 50; cases = \"short_term\";"
                       " workdays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\","
                       " \"sun\"]; hours = [0.0, 24.0]; work_hours = 0.1;"
                       " effects = { los_factor = 0.5; }; } );";
    const char *lead = "coordinators = ( { name = \"plan\"; headcount = 50; cases = \"short_term\";"
                       " workdays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\","
                       " \"sun\"]; hours = [0.0, 24.0]; work_hours = 0.1; lead_days = 3.0;"
                       " effects = { los_factor = 0.1; }; } );";
    const char *held = "coordinators = ( { name = \"slow\"; headcount = 1; cases = \"short_term\";"
                       " work_hours = 6.0; when_busy = \"wait\"; } );";
    for (unsigned rep = 0; rep < 2; rep++) {
        double base = st_los_of(NULL, rep), h = st_los_of(half, rep), l = st_los_of(lead, rep),
               w = st_los_of(held, rep);
        printf("short-term stay: base %.2f, halved %.2f, 3 days' lead %.2f, held %.2f\n", base, h,
               l, w);
        assert_true(h < 0.7 * base && h > 0.4 * base);
        assert_true(l < base && l > base - 3.2);
        assert_true(w > base + 1.0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(capacity_step_and_closure),
        cmocka_unit_test(zero_headcount_changes_nothing),
        cmocka_unit_test(utilisation_is_work_over_schedule),
        cmocka_unit_test(case_mix_shows_in_the_short_term_ward),
        cmocka_unit_test(demand_shock_scales_arrivals),
        cmocka_unit_test(not_ready_returns_follow_the_probability),
        cmocka_unit_test(short_term_roles),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
