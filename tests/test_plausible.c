/* Plausibility warnings (sim/scenario/plausible.c): each fires on a value a
 * planner probably did not mean, stays silent just inside its threshold,
 * never stops the load, and names the file, line and key. The shipped
 * scenarios load without any. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/scenario.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Plausible as it stands: a year's window, a nursing home started nearly
 * full, short stays started empty. */
static const char plain[] =
        "name = \"p\";\n"                                                /* 1 */
        "run: { horizon_days = 500.0; warmup_days = 100.0; };\n"         /* 2 */
        "population: {\n"                                                /* 3 */
        "  admissions_per_day = 5.0;\n"                                  /* 4 */
        "  cfs_mix = [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];\n" /* 5 */
        "};\n"                                                           /* 6 */
        "hospital: { los_days = 5.0; ukp_probability = 0.4; };\n"        /* 7 */
        "decision: { destination = { home = 0.2; short_term = 0.5; nursing_home = 0.3; }; };\n"
        "units = (\n"                                                                 /* 9 */
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"          /* 10 */
        "  { id = \"short_term\"; kind = \"beds\"; capacity = 10; los_days = 14.0;\n" /* 11 */
        "    outcome = { home = 0.9; home_care = 0.1; }; },\n"                        /* 12 */
        "  { id = \"nursing_home\"; kind = \"beds\"; capacity = 50;\n"                /* 13 */
        "    initial_occupancy = 0.9;\n"                                              /* 14 */
        "    los_days = 200.0; outcome = \"death\"; },\n"                             /* 15 */
        "  { id = \"home_care\"; kind = \"caseload\"; capacity = 500.0;\n"            /* 16 */
        "    hours_per_client = 4.0;\n"                                               /* 17 */
        "    initial_clients = 10; rates_per_year = { home = 2.0; }; }\n"             /* 18 */
        ");\n";                                                                       /* 19 */

/* plain with the first occurrence of old replaced by new; caller frees. */
static char *edit(const char *old, const char *new)
{
    const char *at = strstr(plain, old);
    assert_non_null(at);
    size_t n = strlen(plain) - strlen(old) + strlen(new) + 1;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%.*s%s%s", (int)(at - plain), plain, new, at + strlen(old));
    return t;
}

/* Loads text with sets; the load must succeed unless errors_too. Returns
 * the warnings (malloc'd, "" for none) and their count. */
static char *warnings_of(const char *text, const char *const *sets, int n_sets, int *n,
                         bool errors_too)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, "p.cfg", NULL, sets, n_sets, &d);
    if (!errors_too && !s)
        fprintf(stderr, "%s", d.text ? d.text : "(no error text)\n");
    if (!errors_too)
        assert_non_null(s);
    flyt_scenario_free(s);
    *n = d.n_warnings;
    char *w = strdup(d.warnings ? d.warnings : "");
    assert_non_null(w);
    flyt_diag_free(&d);
    return w;
}

/* Exactly one warning, containing want. */
static void expect_warning(const char *text, const char *const *sets, int n_sets, const char *want)
{
    int n;
    char *w = warnings_of(text, sets, n_sets, &n, false);
    if (n != 1 || !strstr(w, want))
        fprintf(stderr, "wanted one warning with \"%s\", got %d:\n%s", want, n, w);
    assert_int_equal(n, 1);
    assert_non_null(strstr(w, want));
    free(w);
}

static void expect_none(const char *text, const char *const *sets, int n_sets)
{
    int n;
    char *w = warnings_of(text, sets, n_sets, &n, false);
    if (n != 0)
        fprintf(stderr, "wanted no warning, got %d:\n%s", n, w);
    assert_int_equal(n, 0);
    free(w);
}

static void edited_warns(const char *old, const char *new, const char *want)
{
    char *t = edit(old, new);
    expect_warning(t, NULL, 0, want);
    free(t);
}

static void edited_silent(const char *old, const char *new)
{
    char *t = edit(old, new);
    expect_none(t, NULL, 0);
    free(t);
}

static void plain_and_shipped_scenarios_have_none(void **state)
{
    (void)state;
    expect_none(plain, NULL, 0);
    static const char *const shipped[] = {
        "scenarios/trondheim-baseline.cfg",
        "scenarios/trondheim-2022.cfg",
        "scenarios/trondheim-2025.cfg",
        "scenarios/trondheim-2025-beds.cfg",
        "scenarios/trondheim-2025-coordinator.cfg",
        "scenarios/trondheim-2025-network.cfg",
        "scenarios/trondheim-2025-network-virtual-ward.cfg",
        "scenarios/trondheim-2025-rett-hjem.cfg",
        "scenarios/bench/pf1.cfg",
        "scenarios/bench/pf1-network.cfg",
        NULL, /* the embedded default */
    };
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char path[1024];
        if (shipped[i])
            snprintf(path, sizeof path, "%s/%s", FLYT_SOURCE_DIR, shipped[i]);
        struct flyt_diag d;
        flyt_diag_init(&d);
        struct flyt_scenario *s = flyt_scenario_load(shipped[i] ? path : NULL, NULL, 0, &d);
        assert_non_null(s);
        if (d.n_warnings)
            fprintf(stderr, "%s", d.warnings);
        assert_int_equal(d.n_warnings, 0);
        flyt_scenario_free(s);
        flyt_diag_free(&d);
    }
}

static void growth_above_20_percent(void **state)
{
    (void)state;
    const char *at_20[] = { "population.growth_per_year=0.2" };
    expect_none(plain, at_20, 1);
    const char *one[] = { "population.growth_per_year=1" };
    expect_warning(plain, one, 1,
                   "--set:1: warning: population.growth_per_year: 1 is 100 % a year, more than "
                   "20 %");
    edited_silent("admissions_per_day = 5.0;",
                  "admissions_per_day = 5.0; growth_by_year = [1.0, 1.2, 1.3];");
    edited_warns("admissions_per_day = 5.0;",
                 "admissions_per_day = 5.0;\n  growth_by_year = [1.0, 1.02, 2.04];",
                 "p.cfg:5: warning: population.growth_by_year: year 2's factor 2.04 is 100 % "
                 "above year 1's 1.02");
}

static void long_stay_unit_started_empty(void **state)
{
    (void)state;
    /* the short-term beds start empty too, but their stays are 14 days */
    const char *empty[] = { "units.nursing_home.initial_occupancy=0" };
    expect_warning(plain, empty, 1,
                   "--set:1: warning: units.nursing_home.initial_occupancy: 'nursing_home' "
                   "starts empty, but its mean stay is 200 days");
    edited_warns("    initial_occupancy = 0.9;\n", "",
                 "p.cfg:13: warning: units.nursing_home.initial_occupancy: 'nursing_home' "
                 "starts empty");
    const char *warm[] = { "units.nursing_home.initial_occupancy=0", "run.warmup_days=200" };
    expect_none(plain, warm, 2);
    const char *month[] = { "units.nursing_home.initial_occupancy=0",
                            "units.nursing_home.los_days=30" };
    expect_none(plain, month, 2);
    const char *closed[] = { "units.nursing_home.initial_occupancy=0",
                             "units.nursing_home.capacity=0" };
    /* a unit at 0 routed to is an error unless a schedule opens it */
    char *t = edit("    los_days = 200.0; outcome",
                   "    schedule = ( { from = 30; capacity = 50; } );\n"
                   "    los_days = 200.0; outcome");
    expect_none(t, closed, 2);
    free(t);
    const char *clients[] = { "units.home_care.initial_clients=0" };
    expect_warning(plain, clients, 1,
                   "warning: units.home_care.initial_clients: 'home_care' starts empty, but its "
                   "mean stay is 182.5 days");
}

static void window_shorter_than_the_stays(void **state)
{
    (void)state;
    const char *weeks[] = { "run.horizon_days=52", "run.warmup_days=17" };
    expect_warning(plain, weeks, 2,
                   "--set:1: warning: run.horizon_days: the measured window (horizon 52 - "
                   "warm-up 17 = 35 days) is shorter than the mean stay in 'nursing_home' (200 "
                   "days");
    edited_warns("horizon_days = 500.0; warmup_days = 100.0;",
                 "horizon_days = 250.0; warmup_days = 100.0;",
                 "p.cfg:2: warning: run.horizon_days: the measured window");
    edited_silent("horizon_days = 500.0; warmup_days = 100.0;",
                  "horizon_days = 300.0; warmup_days = 100.0;");
    /* a year is enough whatever the stays */
    const char *year[] = { "units.nursing_home.los_days=700", "run.warmup_days=135" };
    expect_none(plain, year, 2);
}

static void decimal_comma_in_an_array(void **state)
{
    (void)state;
    edited_warns("admissions_per_day = 5.0;",
                 "admissions_per_day = 5.0;\n"
                 "  month_factor = [1,15, 1,12, 1,05, 1,0, 0,95, 0,9];",
                 "p.cfg:5: warning: population.month_factor: elements 1 and 2 are the whole "
                 "numbers 1 and 15: if 1,15 was meant as 1.15");
    edited_silent("admissions_per_day = 5.0;",
                  "admissions_per_day = 5.0;\n"
                  "  month_factor = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 1];");
    edited_silent("admissions_per_day = 5.0;",
                  "admissions_per_day = 5.0;\n"
                  "  weekday_factor = [1.0, 15.0, 1.0, 1.0, 1.0, 1.0, 1.0];");
    /* with the error it causes, the warning says why */
    char *t = edit("[0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]",
                   "[0,2, 0,2, 0,1, 0,1, 0,1, 0,1, 0,1, 0,05, 0,05]");
    int n;
    char *w = warnings_of(t, NULL, 0, &n, true);
    assert_int_equal(n, 1);
    assert_non_null(strstr(w, "p.cfg:5: warning: population.cfs_mix: elements 1 and 2 are the "
                              "whole numbers 0 and 2: if 0,2 was meant as 0.2"));
    free(w);
    free(t);
    /* shares of whole numbers as meant: everyone in CFS 2 */
    edited_silent("[0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]", "[0, 1, 0, 0, 0, 0, 0, 0, 0]");
}

static void routed_unit_scheduled_to_zero(void **state)
{
    (void)state;
    const char *st = "capacity = 10; los_days = 14.0;";
    edited_warns(st,
                 "capacity = 10; los_days = 14.0;\n    schedule = ( { weeks = [27, 32]; change = "
                 "-10; } );",
                 "p.cfg:12: warning: units.short_term.schedule: takes 'short_term' to capacity 0");
    edited_silent(st, "capacity = 10; los_days = 14.0;\n    schedule = ( { weeks = [27, 32]; "
                      "change = -5; } );");
    edited_warns(
            st, "capacity = 10; los_days = 14.0;\n    schedule = ( { from = 60; capacity = 0; } );",
            "takes 'short_term' to capacity 0 (from day 60");
    edited_silent(
            st,
            "capacity = 10; los_days = 14.0;\n    schedule = ( { from = 60; capacity = 5; } );");
    /* after the horizon it never happens */
    edited_silent(
            st,
            "capacity = 10; los_days = 14.0;\n    schedule = ( { from = 600; capacity = 0; } );");
    /* the home care closed: a warning while the short-term beds send
     * patients there, none once nobody is routed to it */
    const char *hc = "hours_per_client = 4.0;";
    const char *hc_closed =
            "hours_per_client = 4.0;\n    schedule = ( { from = 60; capacity = 0; } );";
    edited_warns(hc, hc_closed, "units.home_care.schedule: takes 'home_care' to capacity 0");
    char *t = edit(hc, hc_closed);
    char *u = strstr(t, "home = 0.9; home_care = 0.1;");
    assert_non_null(u);
    memcpy(u, "home = 1.0; home_care = 0.0;", 28);
    expect_none(t, NULL, 0);
    free(t);
}

static void stays_so_long_that_nobody_leaves(void **state)
{
    (void)state;
    const char *at_10[] = { "units.nursing_home.los_days=5000" };
    expect_none(plain, at_10, 1);
    const char *beyond[] = { "units.nursing_home.los_days=5001" };
    expect_warning(plain, beyond, 1,
                   "--set:1: warning: units.nursing_home.los_days: the mean stay in "
                   "'nursing_home' is 5001 days (group 'all'), more than 10 times the horizon");
    const char *rates[] = { "units.home_care.rates_per_year.home=0.05" };
    expect_warning(plain, rates, 1,
                   "warning: units.home_care.rates_per_year: the mean stay in 'home_care' is "
                   "7300 days");
    const char *hosp[] = { "hospital.los_days=6000" };
    int n;
    char *w = warnings_of(plain, hosp, 1, &n, false);
    assert_non_null(strstr(w, "warning: hospital.los_days: the mean stay in 'hospital'"));
    free(w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_and_shipped_scenarios_have_none),
        cmocka_unit_test(growth_above_20_percent),
        cmocka_unit_test(long_stay_unit_started_empty),
        cmocka_unit_test(window_shorter_than_the_stays),
        cmocka_unit_test(decimal_comma_in_an_array),
        cmocka_unit_test(routed_unit_scheduled_to_zero),
        cmocka_unit_test(stays_so_long_that_nobody_leaves),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
