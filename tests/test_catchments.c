/*
 * A region's catchments (docs/region.md, "Catchments"; sim/model/
 * catchments.c): municipalities that share no unit, role or route with the
 * others run one after another, each on a calendar of its own. Every
 * figure must be the one calendar's, bit for bit: the KPIs of the region,
 * of each municipality, unit and role, the sites' UKP bed-days, the daily
 * series, the event counts, and the status and message of a replication
 * that a guard stops (runaway, gridlock), which are found by running it
 * again on one calendar.
 *
 * The region has three catchments, each with something that couples its
 * municipalities: a finite hospital site and an intermunicipal unit with
 * quotas and lending shared by two; a municipality sent to two sites, one
 * of which a second municipality uses; a municipality alone with a
 * coordinator, a capacity schedule and weekday admissions; and a site
 * nobody is sent to.
 */
#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/result.h"
#include "flyt/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <gsl/gsl_rng.h>

#include "support.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS 3

/* One municipality's three units; %s: where a short stay's readmissions go
 * (hospital: the patient's own site), then more members of the unit. */
#define UNITS                                                                                     \
    "units = (\n"                                                                                 \
    "  { id = \"short_term\"; kind = \"beds\"; capacity = %d; initial_occupancy = 0.7;\n"         \
    "    los_days = { fit = { dist = \"lognormal\"; mean = 11.0; sd = 8.0; };\n"                  \
    "                 frail = { dist = \"lognormal\"; mean = 14.0; sd = 10.0; }; };\n"            \
    "    outcome = { home = 0.10; home_care = 0.75; nursing_home = 0.05; %s = 0.07;\n"            \
    "                death = 0.03; };\n"                                                          \
    "    not_ready_returns = true; %s },\n"                                                       \
    "  { id = \"nursing_home\"; kind = \"beds\"; capacity = %d; initial_occupancy = 0.95;\n"      \
    "    los_days = { dist = \"weibull\"; mean = 700.0; sd = 700.0; };\n"                         \
    "    queue = \"priority\"; priority = [\"hospital\", \"short_term\", \"home_care\"];\n"       \
    "    outcome = \"death\"; },\n"                                                               \
    "  { id = \"home_care\"; kind = \"caseload\"; capacity = %d; initial_clients = %d;\n"         \
    "    hours_per_client = { dist = \"gamma\"; mean = 6.0; sd = 5.0; };\n"                       \
    "    rates_per_year = { hospital = 0.8; nursing_home = 0.05; death = 0.1; home = 1.5; }; }\n" \
    ");\n"

#define COMMON                                                                                  \
    "name = \"catchments\";\n"                                                                  \
    "run: { start_date = \"2025-01-01\"; horizon_days = %g; warmup_days = 60.0;\n"              \
    "       seed = 5150L; max_patients = %lu; };\n"                                             \
    "population: {\n"                                                                           \
    "  growth_per_year = 0.03;\n"                                                               \
    "  weekday_factor = [1.10, 1.05, 1.0, 1.0, 1.0, 0.90, 0.95];\n"                             \
    "  cfs_mix = [0.05, 0.10, 0.12, 0.19, 0.20, 0.18, 0.10, 0.05, 0.01];\n"                     \
    "  complex_share = 0.01;\n"                                                                 \
    "};\n"                                                                                      \
    "groups = ( { name = \"fit\"; cfs = [1, 4]; }, { name = \"frail\"; cfs = [5, 9]; } );\n"    \
    "hospital: {\n"                                                                             \
    "  los_days = { fit = { dist = \"lognormal\"; mean = 4.0; sd = 3.0; };\n"                   \
    "               frail = { dist = \"lognormal\"; mean = 8.0; sd = 6.0; }; };\n"              \
    "  ukp_probability = { fit = 0.3; frail = 0.6; };\n"                                        \
    "  death_probability = { fit = 0.02; frail = 0.08; };\n"                                    \
    "  not_ready_probability = 0.05;\n"                                                         \
    "  not_ready_days = { dist = \"lognormal\"; mean = 3.0; sd = 2.0; };\n"                     \
    "};\n"                                                                                      \
    "harm: { death_waiting_per_day = 0.01; cfs_gain_per_day = 0.03; };\n"                       \
    "decision: {\n"                                                                             \
    "  delay_days = { dist = \"lognormal\"; mean = 1.2; sd = 0.8; };\n"                         \
    "  working_days_only = true;\n"                                                             \
    "  destination = { home = 0.05; home_care = 0.60; short_term = 0.30; nursing_home = 0.05; " \
    "};\n"                                                                                      \
    "  complex_placement_days = { dist = \"lognormal\"; mean = 30.0; sd = 30.0; };\n"           \
    "};\n"

#define HEAD                                                                                    \
    COMMON                                                                                      \
    "shared_units = (\n"                                                                        \
    "  { id = \"site_a\"; kind = \"beds\"; capacity = 45; hospital = true; },\n"                \
    "  { id = \"site_b\"; kind = \"unlimited\"; hospital = true; },\n"                          \
    "  { id = \"site_c\"; kind = \"unlimited\"; hospital = true; },\n"                          \
    "  { id = \"site_idle\"; kind = \"unlimited\"; hospital = true; },\n"                       \
    "  { id = \"site_d\"; kind = \"unlimited\"; hospital = true; },\n"                          \
    "  { id = \"kad\"; kind = \"beds\"; capacity = 5;\n"                                        \
    "    los_days = { dist = \"lognormal\"; mean = 3.0; sd = 2.0; };\n"                         \
    "    outcome = { home = 0.7; home_care = 0.2; nursing_home = 0.1; };\n"                     \
    "    users = [\"big\", \"small\"]; sharing = \"quota\"; quota = { big = 3; small = 2; };\n" \
    "    lend = true; }\n"                                                                      \
    ");\n"

/* lone's short-term extra: a yearly closure, weekday admissions; or what
 * the gridlock case puts there */
static const char *lone_usual = "schedule = ( { weeks = [10, 14]; change = -3; } ); "
                                "admission_days = \"weekdays\";";

static char *region(double horizon, unsigned long max_patients, const char *lone_st)
{
    static const char *const decision_small =
            "decision = { destination = { home = 0.05; home_care = 0.55; short_term = 0.05;"
            " kad = 0.30; nursing_home = 0.05; }; };\n";
    static const char *const coordinator =
            "coordinators = ( { name = \"koordinator\"; headcount = 1;\n"
            "  workdays = [\"mon\", \"tue\", \"wed\", \"thu\", \"fri\"]; hours = [8.0, 15.5];\n"
            "  cases = \"ukp\"; groups = [\"frail\"];\n"
            "  work_hours = { dist = \"gamma\"; mean = 1.5; sd = 0.75; };\n"
            "  when_busy = \"ordinary\";\n"
            "  effects = { decision_delay_days = { dist = \"uniform\"; min = 0.0; max = 0.5; }; };"
            " } );\n";
    struct {
        const char *id, *sites, *extra, *st_extra;
        double adm;
        int st, nh, hc, clients;
    } m[] = {
        { "big", "site_a = 1.0;", "", "", 6.0, 20, 150, 2400, 330 },
        { "mid", "site_b = 0.7; site_c = 0.3;", "", "", 3.0, 10, 80, 1200, 165 },
        { "small", "site_a = 1.0;", decision_small, "", 1.0, 3, 25, 380, 55 },
        { "lone", "site_d = 1.0;", coordinator, lone_st, 2.0, 8, 50, 800, 110 },
        { "tiny", "site_c = 1.0;", "", "", 0.8, 2, 20, 300, 40 },
    };
    size_t cap = 64 * 1024;
    char *t = malloc(cap);
    assert_non_null(t);
    size_t n = (size_t)snprintf(t, cap, HEAD, horizon, max_patients);
    n += (size_t)snprintf(t + n, cap - n, "municipalities = (\n");
    for (size_t i = 0; i < sizeof m / sizeof m[0]; i++) {
        n += (size_t)snprintf(t + n, cap - n,
                              "{ id = \"%s\"; population = { admissions_per_day = %g; };\n"
                              "  hospital_sites = { %s };\n%s",
                              m[i].id, m[i].adm, m[i].sites, m[i].extra);
        n += (size_t)snprintf(t + n, cap - n, UNITS, m[i].st, "hospital", m[i].st_extra, m[i].nh,
                              m[i].hc, m[i].clients);
        n += (size_t)snprintf(t + n, cap - n, "}%s\n", i + 1 < sizeof m / sizeof m[0] ? "," : "");
    }
    n += (size_t)snprintf(t + n, cap - n, ");\n");
    assert_true(n < cap);
    return t;
}

/* Everything a replication's result holds, bit for bit. */
static bool same_result(const struct flyt_result *a, const struct flyt_result *b)
{
    const char *d = flyt_result_diff(a, b);
    if (d)
        printf("  rep %u: %s differs: status %d/%d '%s'/'%s', events %llu/%llu, engine "
               "%llu/%llu (catchments/one calendar)\n",
               a->replication, d, a->status, b->status, a->status_detail, b->status_detail,
               (unsigned long long)a->model_events, (unsigned long long)b->model_events,
               (unsigned long long)a->engine_events, (unsigned long long)b->engine_events);
    return !d;
}

/* REPS replications, whatever their status; the experiment's rc. */
static struct flyt_result *run_reps(const struct flyt_scenario *s, unsigned threads, int *rc)
{
    struct flyt_result *res = calloc(REPS, sizeof *res);
    assert_non_null(res);
    *rc = flyt_experiment_run(s, REPS, threads, res, NULL, NULL);
    return res;
}

/* Runs s both ways; returns the catchments' results (caller frees). */
static struct flyt_result *both_ways(struct flyt_scenario *s, bool *ok)
{
    int rc_one, rc_split;
    s->one_calendar = true;
    assert_int_equal(flyt_model_catchments(s), 1);
    struct flyt_result *one = run_reps(s, 1, &rc_one);
    s->one_calendar = false;
    struct flyt_result *split = run_reps(s, 2, &rc_split);
    *ok = rc_one == rc_split;
    for (unsigned r = 0; r < REPS; r++)
        *ok &= same_result(&split[r], &one[r]);
    flyt_test_free_results(one, REPS);
    return split;
}

static void catchments_give_every_figure_of_one_calendar(void **state)
{
    (void)state;
    char *text = region(400.0, 2000000, lone_usual);
    struct flyt_scenario *s = flyt_test_load_text(text, "catchments.cfg");
    /* {big, small} (site_a, kad), {mid, tiny} (site_b, site_c), {lone} */
    assert_int_equal(flyt_model_catchments(s), 3);
    bool ok;
    struct flyt_result *res = both_ways(s, &ok);
    /* something happened in each of them: identical empty figures prove
     * nothing */
    for (unsigned i = 0; i < res[0].n_munis; i++)
        assert_true(flyt_result_muni_kpi(&res[0], i)[FLYT_KPI_ukp_patients] > 20);
    int kad = flyt_test_unit_of(s, "kad");
    printf("  kad: %g admissions; the coordinator: %g cases\n",
           flyt_result_unit_kpi(&res[0], (unsigned)kad)[FLYT_UNIT_KPI_admissions],
           res[0].role_kpi[0][FLYT_ROLE_KPI_cases_handled]);
    assert_true(flyt_result_unit_kpi(&res[0], (unsigned)kad)[FLYT_UNIT_KPI_admissions] > 20);
    assert_true(res[0].role_kpi[0][FLYT_ROLE_KPI_cases_handled] > 20);
    assert_int_equal(res[0].status, FLYT_RUN_OK);
    flyt_test_free_results(res, REPS);
    flyt_scenario_free(s);
    free(text);
    assert_true(ok);
}

/* The runaway guard counts the whole region's patients. With the guard
 * just above the most the region holds at once on one calendar, the
 * catchments (which can only bound that by the sum of their own peaks)
 * must give the one calendar's result: they run it again there. At and
 * below, both stop with the same message. */
static void a_runaway_in_a_catchment_is_the_one_calendars(void **state)
{
    (void)state;
    char *text = region(150.0, 2000000, lone_usual);
    struct flyt_scenario *s = flyt_test_load_text(text, "catchments.cfg");
    s->one_calendar = true;
    /* the smallest guard the one calendar passes, by bisection */
    unsigned long lo = 1, hi = 100000;
    while (lo < hi) {
        unsigned long mid = lo + (hi - lo) / 2;
        s->max_patients = mid;
        struct flyt_result r;
        int rc = flyt_model_run(s, 0, &r);
        flyt_result_free(&r);
        if (rc == 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    bool ok = true;
    const unsigned long guards[] = { lo - 1, lo, lo + 1, lo / 2 };
    for (size_t g = 0; g < sizeof guards / sizeof guards[0]; g++) {
        s->max_patients = guards[g];
        struct flyt_result one, split;
        s->one_calendar = true;
        int rc_one = flyt_model_run(s, 0, &one);
        s->one_calendar = false;
        int rc_split = flyt_model_run(s, 0, &split);
        printf("  max_patients %lu: one calendar rc %d (%s), catchments rc %d\n", guards[g], rc_one,
               one.status_detail, rc_split);
        ok &= rc_one == rc_split && same_result(&split, &one);
        assert_int_equal(rc_one, guards[g] >= lo ? 0 : 1);
        flyt_result_free(&one);
        flyt_result_free(&split);
    }
    flyt_scenario_free(s);
    free(text);
    assert_true(ok);
}

/* lone's short-term beds close for good on day 40 while patients are sent
 * there: a gridlock in one catchment; the result is the one calendar's
 * (the day, the message, the figures up to it). */
static void a_gridlock_in_a_catchment_is_the_one_calendars(void **state)
{
    (void)state;
    char *text = region(300.0, 2000000, "schedule = ( { from = 40; capacity = 0; } );");
    struct flyt_scenario *s = flyt_test_load_text(text, "catchments.cfg");
    bool ok;
    struct flyt_result *res = both_ways(s, &ok);
    assert_int_equal(res[0].status, FLYT_RUN_GRIDLOCK);
    printf("  %s\n", res[0].status_detail);
    assert_non_null(strstr(res[0].status_detail, "lone.short_term"));
    flyt_test_free_results(res, REPS);
    flyt_scenario_free(s);
    free(text);
    assert_true(ok);
}

/* A region drawn from r: 2 to 6 municipalities, 2 to 5 hospital sites
 * (some finite), each municipality sent to one or two of them; 0 to 2
 * intermunicipal units with users drawn among the municipalities, pooled
 * or with quotas, lending or not, filled with users' patients at the start,
 * to which their users send some patients; readmissions to a site by name,
 * coordinators, capacity closures and weekday admissions here and there.
 * Shapes nobody chose, for the property: catchments give every figure of
 * one calendar. */
static char *random_region(gsl_rng *r, double horizon)
{
    size_t cap = 64 * 1024, n = 0;
    char *t = malloc(cap);
    assert_non_null(t);
#define PUT(...) (n += (size_t)snprintf(t + n, cap - n, __VA_ARGS__), assert_true(n < cap))
    int nm = 2 + (int)gsl_rng_uniform_int(r, 5), ns = 2 + (int)gsl_rng_uniform_int(r, 4);
    int nk = (int)gsl_rng_uniform_int(r, 3);
    bool user[2][6] = { { false } };
    PUT(COMMON, horizon, 2000000UL);
    PUT("shared_units = (\n");
    for (int j = 0; j < ns; j++) {
        if (gsl_rng_uniform(r) < 0.4)
            PUT("  { id = \"s%d\"; kind = \"beds\"; capacity = %d; hospital = true; },\n", j,
                20 + (int)gsl_rng_uniform_int(r, 40));
        else
            PUT("  { id = \"s%d\"; kind = \"unlimited\"; hospital = true; },\n", j);
    }
    for (int k = 0; k < nk; k++) {
        int first = (int)gsl_rng_uniform_int(r, (unsigned long)nm), n_users = 0;
        for (int i = 0; i < nm; i++)
            if (i == first || gsl_rng_uniform(r) < 0.2)
                user[k][i] = true, n_users++;
        PUT("  { id = \"kad%d\"; kind = \"beds\"; capacity = %d; initial_occupancy = 0.8;\n"
            "    los_days = { dist = \"lognormal\"; mean = 3.0; sd = 2.0; };\n"
            "    outcome = { home = 0.7; home_care = 0.2; nursing_home = 0.1; };\n"
            "    users = [",
            k, 2 * n_users + 1);
        for (int i = 0, c = 0; i < nm; i++)
            if (user[k][i])
                PUT("%s\"m%d\"", c++ ? ", " : "", i);
        PUT("];");
        if (gsl_rng_uniform(r) < 0.5) {
            PUT(" sharing = \"quota\"; quota = {");
            for (int i = 0; i < nm; i++)
                if (user[k][i])
                    PUT(" m%d = 2;", i);
            PUT(" }; lend = %s;", gsl_rng_uniform(r) < 0.5 ? "true" : "false");
        }
        PUT(" }%s\n", k + 1 < nk ? "," : "");
    }
    if (nk == 0)
        n -= 2, PUT("\n"); /* the last site's comma */
    PUT(");\nmunicipalities = (\n");
    for (int i = 0; i < nm; i++) {
        int a = (int)gsl_rng_uniform_int(r, (unsigned long)ns);
        int b = (int)gsl_rng_uniform_int(r, (unsigned long)ns);
        PUT("{ id = \"m%d\"; population = { admissions_per_day = %.2f; };\n", i,
            0.5 + 4.0 * gsl_rng_uniform(r));
        if (a == b || gsl_rng_uniform(r) < 0.75)
            PUT("  hospital_sites = { s%d = 1.0; };\n", a);
        else
            PUT("  hospital_sites = { s%d = 0.6; s%d = 0.4; };\n", a, b);
        for (int k = 0; k < nk; k++)
            if (user[k][i] && gsl_rng_uniform(r) < 0.7) {
                PUT("  decision = { destination = { home = 0.05; home_care = 0.55; short_term = "
                    "0.15; kad%d = 0.20; nursing_home = 0.05; }; };\n",
                    k);
                break;
            }
        if (gsl_rng_uniform(r) < 0.3)
            PUT("  coordinators = ( { name = \"k\"; headcount = 1; workdays = [\"mon\", "
                "\"tue\", \"wed\", \"thu\", \"fri\"]; hours = [8.0, 15.5]; cases = \"ukp\";\n"
                "    work_hours = { dist = \"gamma\"; mean = 1.5; sd = 0.75; }; when_busy = "
                "\"ordinary\";\n"
                "    effects = { decision_delay_days = { dist = \"uniform\"; min = 0.0; max = "
                "0.5; }; }; } );\n");
        int st = 2 + (int)gsl_rng_uniform_int(r, 12);
        const char *extra = gsl_rng_uniform(r) < 0.3
                                    ? "schedule = ( { weeks = [6, 9]; change = -1; } ); "
                                      "admission_days = \"weekdays\";"
                                    : "";
        /* now and then readmitted to a site by name, which may be another
         * catchment's: joined through the unit's outcome */
        char back[16] = "hospital";
        if (gsl_rng_uniform(r) < 0.2)
            snprintf(back, sizeof back, "s%d", (int)gsl_rng_uniform_int(r, (unsigned long)ns));
        PUT(UNITS, st, back, extra, 10 * st, 130 * st, 18 * st);
        PUT("}%s\n", i + 1 < nm ? "," : "");
    }
    PUT(");\n");
#undef PUT
    return t;
}

static void random_regions_give_the_one_calendars_figures(void **state)
{
    (void)state;
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, 20261205);
    int split = 0;
    bool ok = true;
    for (int k = 0; k < 40; k++) {
        char *text = random_region(r, 150.0);
        struct flyt_scenario *s = flyt_test_load_text(text, "random.cfg");
        int c = flyt_model_catchments(s);
        split += c > 1;
        bool same;
        struct flyt_result *res = both_ways(s, &same);
        if (!same) {
            printf("  region %d (%d catchments) differs:\n%s\n", k, c, text);
            ok = false;
        }
        flyt_test_free_results(res, REPS);
        flyt_scenario_free(s);
        free(text);
    }
    printf("  %d of 40 regions ran in several catchments\n", split);
    gsl_rng_free(r);
    assert_true(split >= 14); /* the property was put to the test */
    assert_true(ok);
}

/* What joins everything: a shared unit open to all, a coordinator of the
 * whole region; and a file without municipalities is one. */
static void what_joins_catchments(void **state)
{
    (void)state;
    char *text = region(100.0, 2000000, lone_usual);
    struct flyt_scenario *s = flyt_test_load_text(text, "catchments.cfg");
    assert_int_equal(flyt_model_catchments(s), 3);
    flyt_scenario_free(s);

    /* kad open to every municipality: its first patients may be anyone's */
    const char *users = "    users = [\"big\", \"small\"]; sharing = \"quota\"; "
                        "quota = { big = 3; small = 2; };\n    lend = true; }";
    char *open_kad = strstr(text, users);
    assert_non_null(open_kad);
    char *t2 = malloc(strlen(text) + 1);
    assert_non_null(t2);
    snprintf(t2, strlen(text) + 1, "%.*s    }%s", (int)(open_kad - text), text,
             open_kad + strlen(users));
    s = flyt_test_load_text(t2, "open.cfg");
    assert_int_equal(flyt_model_catchments(s), 1);
    flyt_scenario_free(s);
    free(t2);

    /* mid sent to site_a as well joins {big, small} and {mid, tiny} */
    const char *mid_sites = "site_b = 0.7; site_c = 0.3;";
    char *at = strstr(text, mid_sites);
    assert_non_null(at);
    size_t len = strlen(text) + 32;
    char *t3 = malloc(len);
    assert_non_null(t3);
    snprintf(t3, len, "%.*ssite_b = 0.6; site_c = 0.3; site_a = 0.1;%s", (int)(at - text), text,
             at + strlen(mid_sites));
    s = flyt_test_load_text(t3, "joined.cfg");
    assert_int_equal(flyt_model_catchments(s), 2);
    flyt_scenario_free(s);
    free(t3);

    s = flyt_test_load(FLYT_SOURCE_DIR "/scenarios/trondheim-2025.cfg", NULL, 0);
    assert_int_equal(flyt_model_catchments(s), 1);
    flyt_scenario_free(s);
    s = flyt_test_load(FLYT_SOURCE_DIR "/scenarios/region/norway.cfg", NULL, 0);
    assert_int_equal(flyt_model_catchments(s), 18);
    flyt_scenario_free(s);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(what_joins_catchments),
        cmocka_unit_test(catchments_give_every_figure_of_one_calendar),
        cmocka_unit_test(a_runaway_in_a_catchment_is_the_one_calendars),
        cmocka_unit_test(a_gridlock_in_a_catchment_is_the_one_calendars),
        cmocka_unit_test(random_regions_give_the_one_calendars_figures),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
