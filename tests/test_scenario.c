/* The scenario loader: the shipped files load, every bad file fails with
 * the message it promises, per-group values and distributions convert as
 * documented, --set behaves, and messages point at the right file and
 * line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/model.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_sf_gamma.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A small valid scenario: three groups, a hospital, a bed unit and a
 * caseload, most keys left out. */
static const char mini[] =
        "name = \"mini\";\n"                                                    /* 1 */
        "run: { horizon_days = 200.0; warmup_days = 50.0; };\n"                 /* 2 */
        "population: {\n"                                                       /* 3 */
        "  admissions_per_day = 5.0;\n"                                         /* 4 */
        "  cfs_mix = [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];\n"        /* 5 */
        "};\n"                                                                  /* 6 */
        "groups = (\n"                                                          /* 7 */
        "  { name = \"fit\"; cfs = [1, 4]; },\n"                                /* 8 */
        "  { name = \"frail\"; cfs = [5, 6]; },\n"                              /* 9 */
        "  { name = \"severe\"; cfs = [7, 9]; }\n"                              /* 10 */
        ");\n"                                                                  /* 11 */
        "hospital: {\n"                                                         /* 12 */
        "  los_days = { dist = \"lognormal\"; mean = 5.0; sd = 4.0; };\n"       /* 13 */
        "  ukp_probability = 0.4;\n"                                            /* 14 */
        "};\n"                                                                  /* 15 */
        "decision: {\n"                                                         /* 16 */
        "  destination = { home = 0.2; home_care = 0.5; short_term = 0.3; };\n" /* 17 */
        "};\n"                                                                  /* 18 */
        "units = (\n"                                                           /* 19 */
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"    /* 20 */
        "  { id = \"short_term\"; kind = \"beds\";\n"                           /* 21 */
        "    capacity = 10;\n"                                                  /* 22 */
        "    los_days = 14.0;\n"                                                /* 23 */
        "    outcome = { home = 0.5; home_care = 0.5; };\n"                     /* 24 */
        "  },\n"                                                                /* 25 */
        "  { id = \"home_care\"; kind = \"caseload\";\n"                        /* 26 */
        "    capacity = 500.0;\n"                                               /* 27 */
        "    hours_per_client = { dist = \"empirical\"; values = [2.0, 6.0];"
        " weights = [3.0, 1.0]; };\n"             /* 28 */
        "    rates_per_year = { home = 2.0; };\n" /* 29 */
        "  }\n"                                   /* 30 */
        ");\n";                                   /* 31 */

static const struct flyt_unit *unit_named(const struct flyt_scenario *s, const char *id)
{
    return &s->units[flyt_test_unit_of(s, id)];
}

/* text with the first occurrence of old replaced by new; caller frees. */
static char *edit_in(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    assert_non_null(at);
    size_t n = strlen(text) - strlen(old) + strlen(new) + 1;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
    return t;
}

static char *edit(const char *old, const char *new)
{
    return edit_in(mini, old, new);
}

static struct flyt_scenario *load_text(const char *text, const char *const *sets, int n_sets,
                                       struct flyt_diag *d)
{
    flyt_diag_init(d);
    return flyt_scenario_load_string(text, "mini.cfg", NULL, sets, n_sets, d);
}

/* Loading must fail with a message that contains want. */
static void expect_error(const char *text, const char *const *sets, int n_sets, const char *want)
{
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(text, sets, n_sets, &d);
    if (s || !d.text || !strstr(d.text, want))
        fprintf(stderr, "wanted an error containing \"%s\", got:\n%s\n", want,
                d.text ? d.text : "(no error)");
    assert_null(s);
    assert_true(d.n_errors >= 1);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, want));
    flyt_diag_free(&d);
}

static void expect_edit_error(const char *old, const char *new, const char *want)
{
    char *t = edit(old, new);
    expect_error(t, NULL, 0, want);
    free(t);
}

static struct flyt_scenario *load_ok(const char *path, const char *const *sets, int n_sets)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(path, sets, n_sets, &d);
    if (!s)
        fprintf(stderr, "%s:\n%s", path ? path : "<embedded>", d.text ? d.text : "");
    assert_non_null(s);
    assert_int_equal(d.n_errors, 0);
    flyt_diag_free(&d);
    return s;
}

/* ---- the shipped scenarios ---- */

static void embedded_default_loads(void **state)
{
    (void)state;
    struct flyt_scenario *s = load_ok(NULL, NULL, 0);
    assert_string_equal(s->name, "trondheim-baseline");
    assert_string_equal(s->source, "<embedded>");
    assert_int_equal(s->n_groups, 3);
    assert_near(unit_named(s, "short_term")->capacity, 125, 0);
    assert_int_equal(s->units[s->hospital].kind, FLYT_UNIT_UNLIMITED);
    assert_true(s->complex_share > 0);
    assert_non_null(s->resolved_text);
    flyt_scenario_free(s);
}

static void baseline_file_loads(void **state)
{
    (void)state;
    struct flyt_scenario *s = load_ok(FLYT_SOURCE_DIR "/scenarios/trondheim-baseline.cfg", NULL, 0);
    assert_string_equal(s->name, "trondheim-baseline");
    assert_near(s->ukp_day_cost, 5950.0, 0);
    /* the embedded copy is the same file */
    struct flyt_scenario *e = load_ok(NULL, NULL, 0);
    assert_string_equal(s->text, e->text);
    flyt_scenario_free(e);
    flyt_scenario_free(s);
}

/* PF1: lognormal mean 7, sd 7: sigma^2 = ln 2, mu = ln 7 - ln 2 / 2. */
static void pf1_loads_and_lognormal_converts(void **state)
{
    (void)state;
    struct flyt_scenario *s = load_ok(FLYT_SOURCE_DIR "/scenarios/bench/pf1.cfg", NULL, 0);
    assert_string_equal(s->name, "pf1");
    assert_int_equal(s->n_groups, 1);
    assert_string_equal(s->groups[0].name, "all");
    const struct flyt_dist *d = &s->groups[0].hosp_los;
    assert_int_equal(d->kind, FLYT_DIST_LOGNORMAL);
    assert_near(d->p1, 1.599337, 1e-6);
    assert_near(d->p2, 0.832555, 1e-6);
    /* a bare number is a fixed distribution */
    assert_int_equal(s->decision_delay.kind, FLYT_DIST_FIXED);
    assert_near(s->decision_delay.mean, 0.0, 0);
    const struct flyt_unit *hc = unit_named(s, "home_care");
    assert_int_equal(hc->hours[0].kind, FLYT_DIST_FIXED);
    assert_near(hc->hours[0].mean, 1.0, 0);
    /* seed = 1 is an int, horizon a float */
    assert_true(s->seed == 1);
    assert_near(s->horizon_days, 7300.0, 0);
    flyt_scenario_free(s);
}

/* Weibull given by mean and sd (baseline nursing home): the shape k and
 * scale found by the loader give the mean and sd written in the file back. */
static void weibull_mean_and_sd_recovered(void **state)
{
    (void)state;
    struct flyt_scenario *s = load_ok(NULL, NULL, 0);
    const struct flyt_unit *nh = unit_named(s, "nursing_home");
    for (int g = 0; g < s->n_groups; g++) {
        const struct flyt_dist *d = &nh->los[g];
        assert_int_equal(d->kind, FLYT_DIST_WEIBULL);
        double scale = d->p1, k = d->p2;
        double m = scale * gsl_sf_gamma(1.0 + 1.0 / k);
        double var = scale * scale * gsl_sf_gamma(1.0 + 2.0 / k) - m * m;
        assert_true(d->mean > 100.0 && d->sd > 100.0);
        assert_near(m, d->mean, 1e-6 * d->mean);
        assert_near(sqrt(var), d->sd, 1e-6 * d->sd);
        assert_near(flyt_dist_mean(d), d->mean, 1e-9);
    }
    /* gamma 6 / 5: shape (6/5)^2, scale 25/6 */
    const struct flyt_dist *h = &unit_named(s, "home_care")->hours[0];
    assert_int_equal(h->kind, FLYT_DIST_GAMMA);
    assert_near(h->p1, 1.44, 1e-12);
    assert_near(h->p2, 25.0 / 6.0, 1e-12);
    flyt_scenario_free(s);
}

/* ---- every file in scenarios/validation/bad/ ---- */

static void bad_files_fail_with_their_message(void **state)
{
    (void)state;
    const char *dir = FLYT_SOURCE_DIR "/scenarios/validation/bad";
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    int n = 0, wrong = 0;
    struct dirent *e;
    while ((e = readdir(dp)) != NULL) {
        size_t len = strlen(e->d_name);
        if (len < 5 || strcmp(e->d_name + len - 4, ".cfg") != 0)
            continue;
        char path[1024], line[1024];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        char *got = fgets(line, sizeof line, f);
        fclose(f);
        assert_non_null(got);
        line[strcspn(line, "\r\n")] = '\0';
        const char *prefix = "# expect: ";
        if (strncmp(line, prefix, strlen(prefix)) != 0) {
            fprintf(stderr, "%s: first line is not '# expect: ...'\n", path);
            wrong++;
            continue;
        }
        const char *want = line + strlen(prefix);
        struct flyt_diag d;
        flyt_diag_init(&d);
        struct flyt_scenario *s = flyt_scenario_load(path, NULL, 0, &d);
        if (s || d.n_errors < 1 || !d.text || !strstr(d.text, want)) {
            fprintf(stderr, "%s: wanted \"%s\", got:\n%s\n", path, want,
                    d.text ? d.text : "(loaded without error)");
            wrong++;
        }
        flyt_scenario_free(s);
        flyt_diag_free(&d);
        n++;
    }
    closedir(dp);
    assert_int_equal(wrong, 0);
    assert_true(n >= 14);
}

/* ---- per-group values and distributions ---- */

static void value_given_once_is_copied_to_every_group(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(mini, NULL, 0, &d);
    assert_non_null(s);
    assert_int_equal(s->n_groups, 3);
    int st = flyt_test_unit_of(s, "short_term"), hc = flyt_test_unit_of(s, "home_care");
    const struct flyt_unit *stu = &s->units[st], *hcu = &s->units[hc];
    for (int g = 0; g < 3; g++) {
        const struct flyt_group *grp = &s->groups[g];
        assert_near(grp->p_ukp, 0.4, 0);
        assert_near(grp->p_death_hosp, 0.0, 0); /* default */
        assert_int_equal(grp->hosp_los.kind, FLYT_DIST_LOGNORMAL);
        assert_near(grp->hosp_los.mean, 5.0, 0);
        assert_near(grp->hosp_los.p1, s->groups[0].hosp_los.p1, 0);
        assert_near(flyt_test_route_p(&s->destination, g, FLYT_ROUTE_HOME), 0.2, 0);
        assert_near(flyt_test_route_p(&s->destination, g, hc), 0.5, 0);
        assert_near(flyt_test_route_p(&s->destination, g, st), 0.3, 0);
        assert_near(flyt_test_route_p(&s->destination, g, FLYT_ROUTE_DEATH), 0.0,
                    0); /* left out: 0 */
        assert_near(flyt_test_route_p(&stu->outcome, g, FLYT_ROUTE_HOME), 0.5, 0);
        assert_near(flyt_test_route_p(&hcu->hazards, g, FLYT_ROUTE_HOME), 2.0, 0);
        /* a bare number is a fixed distribution */
        assert_int_equal(stu->los[g].kind, FLYT_DIST_FIXED);
        assert_near(stu->los[g].mean, 14.0, 0);
        /* an empirical distribution is deep-copied into each group */
        assert_int_equal(hcu->hours[g].kind, FLYT_DIST_EMPIRICAL);
        assert_int_equal(hcu->hours[g].n, 2);
        assert_non_null(hcu->hours[g].table);
        assert_near(flyt_dist_mean(&hcu->hours[g]), 3.0, 1e-12); /* (3*2 + 1*6) / 4 */
        if (g > 0)
            assert_true(hcu->hours[g].values != hcu->hours[0].values);
    }
    /* routes keep the order written: the draw depends on it */
    assert_int_equal(s->destination.n, 3);
    assert_int_equal(s->destination.to[0], FLYT_ROUTE_HOME);
    assert_int_equal(s->destination.to[1], hc);
    assert_int_equal(s->destination.to[2], st);
    assert_false(s->destination.fixed);
    assert_int_equal(s->group_of_cfs[1], 0);
    assert_int_equal(s->group_of_cfs[4], 0);
    assert_int_equal(s->group_of_cfs[5], 1);
    assert_int_equal(s->group_of_cfs[6], 1);
    assert_int_equal(s->group_of_cfs[9], 2);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static void per_group_values_go_to_their_group(void **state)
{
    (void)state;
    char *t = edit("ukp_probability = 0.4;",
                   "ukp_probability = { severe = 0.6; fit = 0.2; frail = 0.4; };\n"
                   "  los_days2 = 0;");
    /* los_days2 is unknown: proves the edit applied and unknown keys are caught */
    expect_error(t, NULL, 0, "mini.cfg:15: error: hospital.los_days2: unknown key");
    free(t);
    t = edit("los_days = 14.0;",
             "los_days = { fit = 7.0; frail = { dist = \"exponential\"; mean = 10.0; };"
             " severe = { dist = \"uniform\"; min = 10.0; max = 20.0; }; };");
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    const struct flyt_dist *los = unit_named(s, "short_term")->los;
    assert_int_equal(los[0].kind, FLYT_DIST_FIXED);
    assert_int_equal(los[1].kind, FLYT_DIST_EXPONENTIAL);
    assert_int_equal(los[2].kind, FLYT_DIST_UNIFORM);
    assert_near(flyt_dist_mean(&los[2]), 15.0, 1e-12);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
    t = edit("destination = { home = 0.2; home_care = 0.5; short_term = 0.3; };",
             "destination = { fit = { home = 1.0; }; severe = { short_term = 1.0; };"
             " frail = { home_care = 0.25; short_term = 0.75; }; };");
    s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    int st = flyt_test_unit_of(s, "short_term");
    assert_near(flyt_test_route_p(&s->destination, 0, FLYT_ROUTE_HOME), 1.0, 0);
    assert_near(flyt_test_route_p(&s->destination, 1, st), 0.75, 0);
    assert_near(flyt_test_route_p(&s->destination, 2, st), 1.0, 0);
    assert_near(flyt_test_route_p(&s->destination, 2, FLYT_ROUTE_HOME), 0.0, 0);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

static void defaults_are_as_documented(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(mini, NULL, 0, &d);
    assert_non_null(s);
    assert_int_equal(s->start_year, 2025);
    assert_int_equal(s->start_month, 1);
    assert_int_equal(s->start_mday, 1);
    assert_int_equal(s->start_weekday, 2); /* 2025-01-01 was a Wednesday */
    assert_int_equal(s->replications, 10);
    assert_true(s->seed == 20251231);
    assert_true(s->max_patients == 2000000);
    assert_near(s->ukp_day_cost, 0, 0);
    assert_near(s->growth_per_year, 0, 0);
    assert_int_equal(s->n_growth_by_year, 0);
    for (int i = 0; i < 12; i++)
        assert_near(s->month_factor[i], 1.0, 0);
    for (int i = 0; i < 7; i++)
        assert_near(s->weekday_factor[i], 1.0, 0);
    assert_int_equal(s->n_age_bands, 1);
    assert_string_equal(s->age_band[0], "67+");
    assert_near(s->age_mix[0], 1.0, 0);
    assert_near(s->complex_share, 0, 0);
    assert_int_equal(s->decision_delay.kind, FLYT_DIST_FIXED);
    assert_near(s->decision_delay.mean, 0, 0);
    assert_false(s->working_days_only);
    /* only the units written: no nursing homes */
    assert_int_equal(s->n_units, 3);
    assert_int_equal(s->hospital, 0);
    const struct flyt_unit *h = &s->units[0], *st = unit_named(s, "short_term"),
                           *hc = unit_named(s, "home_care");
    assert_string_equal(h->name, "hospital"); /* the name defaults to the id */
    assert_true(isinf(h->capacity));
    assert_int_equal(h->n_classes, 1);
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        assert_false(x->weekdays_only);
        assert_false(x->not_ready_returns);
        assert_int_equal(x->schedule.n_changes, 0);
        assert_int_equal(x->schedule.n_recurring, 0);
    }
    assert_near(st->initial_occupancy, 0, 0);
    assert_int_equal(st->queue, FLYT_QUEUE_FIFO);
    assert_int_equal(st->n_classes, 1);
    for (int u = 0; u < s->n_units; u++)
        assert_int_equal(st->origin_class[u], 0);
    assert_int_equal(hc->initial_count, 0);
    assert_int_equal(hc->queue, FLYT_QUEUE_FIFO); /* "strict_fifo" */
    assert_near(s->readmission_window_days, 30, 0);
    assert_near(s->wait_target_days, 42, 0);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static void big_seed_with_L_and_growth_by_year(void **state)
{
    (void)state;
    char *t = edit("warmup_days = 50.0; };", "warmup_days = 50.0; seed = 3000000000L; };\n"
                                             "cost: { ukp_day_nok = 5950; };");
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    assert_true(s->seed == 3000000000ULL);
    assert_near(s->ukp_day_cost, 5950.0, 0); /* an int where a number is meant */
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
    t = edit("admissions_per_day = 5.0;",
             "admissions_per_day = 5.0; growth_by_year = [1.0, 1.05, 1.1];");
    s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    assert_int_equal(s->n_growth_by_year, 3);
    assert_near(s->growth_by_year[2], 1.1, 0);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
    expect_edit_error("admissions_per_day = 5.0;",
                      "admissions_per_day = 5.0; growth_per_year = 0.01;"
                      " growth_by_year = [1.0, 1.05];",
                      "mini.cfg:4: error: population.growth_by_year: give growth_per_year or "
                      "growth_by_year, not both");
}

/* ---- checks beyond the bad files ---- */

static void more_checks(void **state)
{
    (void)state;
    expect_edit_error("admissions_per_day = 5.0;",
                      "admissions_per_day = 5.0; age_mix = [0.5, 0.5];",
                      "mini.cfg:4: error: population.age_mix: give age_bands too");
    expect_edit_error("admissions_per_day = 5.0;",
                      "admissions_per_day = 5.0; age_bands = [\"a\", \"b\"]; age_mix = [1.0];",
                      "population.age_mix: has 1 shares but age_bands has 2 names");
    expect_edit_error("name = \"frail\"", "name = \"very frail\"",
                      "mini.cfg:9: error: groups.name: group names are keys");
    expect_edit_error("name = \"severe\"", "name = \"fit\"", "group name 'fit' is used twice");
    expect_edit_error("values = [2.0, 6.0]", "values = [-2.0, 6.0]",
                      "mini.cfg:28: error: units.home_care.hours_per_client: empirical values "
                      "must be >= 0");
    expect_edit_error("mean = 5.0; sd = 4.0;", "mean = 5.0; sd = 4.0; shape = 2.0;",
                      "'shape' is not a parameter of lognormal");
    /* no nursing_home unit: the route names what is valid */
    expect_edit_error("short_term = 0.3; }", "short_term = 0.2; nursing_home = 0.1; }",
                      "mini.cfg:17: error: decision.destination.nursing_home: 'nursing_home' is "
                      "neither a unit nor an exit; valid: home, death, hospital, short_term, "
                      "home_care");
    expect_edit_error("capacity = 500.0;", "capacity = 0.0;",
                      "mini.cfg:27: error: units.home_care.capacity: patients are routed to "
                      "'home_care' but its capacity is 0");
    expect_edit_error("cfs = [5, 6]", "cfs = [6, 5]", "mini.cfg:9: error: groups.cfs");
    expect_edit_error("units = (", "units = 3;\nunused = (",
                      "mini.cfg:19: error: units: expected a list of 1 to 4096 units");
}

/* ---- the care network ---- */

/* Loading must fail with exactly one error, containing want: a mistake in
 * the network must not bring false errors about what names the units. */
static void expect_one_error(const char *text, const char *const *sets, int n_sets,
                             const char *want)
{
    expect_error(text, sets, n_sets, want);
    struct flyt_diag d;
    assert_null(load_text(text, sets, n_sets, &d));
    if (d.n_errors != 1)
        fprintf(stderr, "wanted one error, got:\n%s\n", d.text);
    assert_int_equal(d.n_errors, 1);
    flyt_diag_free(&d);
}

static void expect_one_edit_error(const char *old, const char *new, const char *want)
{
    char *t = edit(old, new);
    expect_one_error(t, NULL, 0, want);
    free(t);
}

static void route_to_an_unknown_unit_is_refused(void **state)
{
    (void)state;
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = { home = 0.5; home_kare = 0.5; };",
                          "mini.cfg:24: error: units.short_term.outcome.home_kare: 'home_kare' is "
                          "neither a unit nor an exit; valid: home, death, hospital, short_term, "
                          "home_care");
    /* per group, and in a rate table */
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = { fit = \"home\"; frail = { home = 1.0; };"
                          " severe = { home = 1.0; }; };",
                          "mini.cfg:24: error: units.short_term.outcome.fit: expected a table");
    expect_one_edit_error("rates_per_year = { home = 2.0; };",
                          "rates_per_year = { fit = { home = 2.0; }; frail = { home = 1.0; };"
                          " severe = { home = 1.0; nursing_home = 0.1; }; };",
                          "mini.cfg:29: error: units.home_care.rates_per_year.severe.nursing_home: "
                          "'nursing_home' is neither a unit nor an exit");
    /* a single route written as a string */
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };", "outcome = \"hme\";",
                          "mini.cfg:24: error: units.short_term.outcome: 'hme' is neither a unit "
                          "nor an exit");
}

static void unit_id_used_twice_is_refused(void **state)
{
    (void)state;
    expect_one_edit_error("{ id = \"home_care\";", "{ id = \"short_term\";",
                          "mini.cfg:26: error: units.short_term: unit id 'short_term' is used "
                          "twice (unit 2 and unit 3 of the list)");
    expect_one_edit_error("{ id = \"home_care\";", "{ id = \"home\";",
                          "mini.cfg:26: error: units.home: a unit id has 1 to 47 ASCII characters");
}

static void route_table_not_summing_to_one_is_refused(void **state)
{
    (void)state;
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = { home = 0.5; home_care = 0.4; };",
                          "mini.cfg:24: error: units.short_term.outcome: probabilities must sum "
                          "to 1, they sum to 0.9");
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = { fit = { home = 1.0; }; frail = { home = 1.0; };"
                          " severe = { home = 0.5; death = 0.6; }; };",
                          "mini.cfg:24: error: units.short_term.outcome.severe: probabilities "
                          "must sum to 1, they sum to 1.1");
}

/* Two units that route only to each other: patients who reach them stay
 * for ever, so the message names both. */
static void units_without_a_way_out_are_refused(void **state)
{
    (void)state;
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = \"rehab\"; },\n"
                          "  { id = \"rehab\"; kind = \"beds\"; capacity = 5; los_days = 7.0;"
                          " outcome = \"short_term\";",
                          "mini.cfg:21: error: units.short_term: patients of group 'fit' who "
                          "reach 'short_term', 'rehab' can never leave: no route from these units "
                          "leads to an exit (home or death); they only lead to each other");
    /* a bed unit and a caseload are the same: clients who only ever apply
     * to the beds, whose stays only lead back to the caseload */
    char *t1 = edit("outcome = { home = 0.5; home_care = 0.5; };", "outcome = \"home_care\";");
    char *t2 = edit_in(t1, "rates_per_year = { home = 2.0; };",
                       "rates_per_year = { short_term = 2.0; };");
    expect_one_error(t2, NULL, 0,
                     "mini.cfg:21: error: units.short_term: patients of group 'fit' who reach "
                     "'short_term', 'home_care' can never leave");
    free(t1);
    free(t2);
    /* a way out for some groups is not enough for the others */
    expect_one_edit_error("outcome = { home = 0.5; home_care = 0.5; };",
                          "outcome = \"rehab\"; },\n"
                          "  { id = \"rehab\"; kind = \"beds\"; capacity = 5; los_days = 7.0;"
                          " outcome = { fit = { short_term = 1.0; }; frail = { home = 1.0; };"
                          " severe = { short_term = 1.0; }; };",
                          "units.short_term: patients of group 'fit' who reach 'short_term', "
                          "'rehab' can never leave");
}

/* Capacity 0 where patients are sent would hold them for ever, unless a
 * schedule opens the unit later: that is a plan, not a mistake. */
static void zero_capacity_routed_is_refused_unless_a_schedule_opens_it(void **state)
{
    (void)state;
    expect_one_edit_error("capacity = 10;", "capacity = 0;",
                          "mini.cfg:22: error: units.short_term.capacity: patients are routed to "
                          "'short_term' but its capacity is 0 and no schedule opens it; give "
                          "capacity > 0");
    const char *opens[] = {
        "capacity = 0; schedule = ( { from = \"2025-03-01\"; capacity = 10; } );",
        "capacity = 0; schedule = ( { weeks = [10, 20]; change = 4; } );",
    };
    for (int i = 0; i < 2; i++) {
        char *t = edit("capacity = 10;", opens[i]);
        struct flyt_diag d;
        struct flyt_scenario *s = load_text(t, NULL, 0, &d);
        if (!s)
            fprintf(stderr, "%s\n", d.text);
        assert_non_null(s);
        assert_near(unit_named(s, "short_term")->capacity, 0, 0);
        flyt_scenario_free(s);
        flyt_diag_free(&d);
        free(t);
    }
    /* a schedule that only closes it does not open it */
    expect_one_edit_error("capacity = 10;",
                          "capacity = 0; schedule = ( { from = \"2025-03-01\"; capacity = 0; } );",
                          "units.short_term.capacity: patients are routed to 'short_term' but its "
                          "capacity is 0");
    /* nobody is sent to a closed unit: allowed */
    char *t = edit("  { id = \"short_term\";",
                   "  { id = \"closed\"; kind = \"beds\"; capacity = 0; los_days = 7.0;"
                   " outcome = \"home\"; },\n  { id = \"short_term\";");
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

static void caseload_without_hours_per_client_is_refused(void **state)
{
    (void)state;
    char *t = edit("    hours_per_client = { dist = \"empirical\"; values = [2.0, 6.0];"
                   " weights = [3.0, 1.0]; };\n",
                   "");
    expect_one_error(t, NULL, 0,
                     "mini.cfg:26: error: units.home_care.hours_per_client: required key is "
                     "missing");
    free(t);
}

/* The old form (units as a group of three named units) gets the way to
 * convert it, and no false errors for the routes that name its units. */
static void old_form_units_are_refused_with_the_upgrade_hint(void **state)
{
    (void)state;
    const char *at = strstr(mini, "units = (");
    assert_non_null(at);
    size_t n = strlen(mini) + 512;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n,
             "%.*sunits: {\n"
             "  short_term: { beds = 10; los_days = 14.0; outcome = { home = 1.0; }; };\n"
             "  home_care: { hours_per_week = 500.0; hours_per_user = 2.0; };\n"
             "};\n"
             "coordinators = ( { name = \"c\"; headcount = 1; cases = \"short_term\";"
             " work_hours = 1.0; effects = { outcome = { home = 1.0; }; }; } );\n",
             (int)(at - mini), mini);
    expect_one_error(t, NULL, 0,
                     "mini.cfg:19: error: units: the old form (three named units) is no longer "
                     "read; convert it with 'flyt upgrade mini.cfg > NEW.cfg'");
    free(t);
}

/* --set names a unit by its id, wherever it stands in the list. */
static void set_names_a_unit_by_its_id(void **state)
{
    (void)state;
    const char *sets[] = { "units.short_term.capacity=30", "units.home_care.capacity=250.5",
                           "units.home_care.queue=first_fit" };
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(mini, sets, 3, &d);
    assert_non_null(s);
    assert_near(unit_named(s, "short_term")->capacity, 30, 0);
    assert_near(unit_named(s, "home_care")->capacity, 250.5, 0);
    assert_int_equal(unit_named(s, "home_care")->queue, FLYT_QUEUE_FIRST_FIT);
    assert_true(isinf(s->units[s->hospital].capacity));
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    const char *nosuch[] = { "units.nosuch.capacity=1" };
    expect_one_error(mini, nosuch, 1, "--set:1: error: no unit has id 'nosuch'");
    /* a list the file does not have: named as such, not as a wrong form */
    const char *noroles[] = { "coordinators.nobody.headcount=2" };
    expect_one_error(mini, noroles, 1,
                     "--set:1: error: the scenario has no coordinators: "
                     "'coordinators.nobody.headcount=2' names none of them");
    const char *queue[] = { "run.seed=5", "units.short_term.queue=lifo" };
    expect_one_error(mini, queue, 2, "--set:2: error: units.short_term.queue: queue is \"fifo\"");
}

/* A unit nobody is sent to and nobody starts in changes nothing: every
 * KPI of a replication is the same to the bit, with it placed first or
 * last in the list (it shifts the other units' indices). */
static void a_unit_nobody_is_routed_to_changes_no_kpi(void **state)
{
    (void)state;
    const char *extra = "  { id = \"rehab\"; kind = \"beds\"; capacity = 6; los_days = 9.0;"
                        " outcome = { home = 0.7; hospital = 0.3; }; queue = \"priority\";"
                        " priority = [\"short_term\"]; },\n";
    /* first in the list, before the hospital */
    size_t n = strlen(mini) + strlen(extra) + 1;
    char *first = malloc(n);
    assert_non_null(first);
    const char *at = strstr(mini, "  { id = \"hospital\";");
    snprintf(first, n, "%.*s%s%s", (int)(at - mini), mini, extra, at);
    /* last in the list */
    char *last = edit("  }\n);\n", "  },\n  { id = \"rehab\"; kind = \"beds\"; capacity = 6;"
                                   " los_days = 9.0; outcome = \"home\"; }\n);\n");
    const char *texts[] = { mini, first, last };
    struct flyt_result r[3];
    struct flyt_scenario *s[3];
    for (int i = 0; i < 3; i++) {
        struct flyt_diag d;
        s[i] = load_text(texts[i], NULL, 0, &d);
        if (!s[i])
            fprintf(stderr, "%s\n", d.text);
        assert_non_null(s[i]);
        flyt_diag_free(&d);
        assert_int_equal(flyt_model_run(s[i], 2, &r[i]), 0);
        assert_int_equal(r[i].status, FLYT_RUN_OK);
    }
    assert_int_equal(s[1]->n_units, 4);
    assert_int_equal(s[1]->hospital, 1);
    assert_true(r[0].kpi[FLYT_KPI_arrivals] > 500);
    for (int i = 1; i < 3; i++) {
        assert_memory_equal(r[0].kpi, r[i].kpi, sizeof r[0].kpi);
        assert_memory_equal(r[0].role_kpi, r[i].role_kpi, sizeof r[0].role_kpi);
        /* each unit's figures too, found by id */
        for (int u = 0; u < s[0]->n_units; u++) {
            int v = flyt_test_unit_of(s[i], s[0]->units[u].id);
            assert_memory_equal(flyt_result_unit_kpi(&r[0], (unsigned)u),
                                flyt_result_unit_kpi(&r[i], (unsigned)v),
                                sizeof(double) * FLYT_N_UNIT_KPI);
        }
        const double *k = flyt_result_unit_kpi(&r[i], (unsigned)flyt_test_unit_of(s[i], "rehab"));
        assert_near(k[FLYT_UNIT_KPI_admissions], 0, 0);
        assert_near(k[FLYT_UNIT_KPI_occupancy], 0, 0);
    }
    for (int i = 0; i < 3; i++) {
        flyt_result_free(&r[i]);
        flyt_scenario_free(s[i]);
    }
    free(first);
    free(last);
}

/* ---- --set ---- */

static void set_overrides_a_value(void **state)
{
    (void)state;
    const char *sets[] = { "units.short_term.capacity=140", "hospital.ukp_probability.frail=0.45",
                           "hospital.los_days.frail.mean=6.5", "run.start_date=2025-03-03" };
    struct flyt_scenario *s = load_ok(NULL, sets, 4);
    assert_near(unit_named(s, "short_term")->capacity, 140, 0);
    assert_near(s->groups[1].p_ukp, 0.45, 0);
    assert_near(s->groups[1].hosp_los.mean, 6.5, 0);
    assert_near(s->groups[0].hosp_los.mean, 4.1, 0);
    assert_int_equal(s->start_month, 3);
    assert_int_equal(s->start_weekday, 0); /* a Monday */
    assert_non_null(strstr(s->resolved_text, "capacity = 140"));
    flyt_scenario_free(s);

    /* a member of a distribution given once */
    struct flyt_diag d;
    const char *mean[] = { "hospital.los_days.mean=6.5" };
    s = load_text(mini, mean, 1, &d);
    assert_non_null(s);
    assert_near(s->groups[2].hosp_los.mean, 6.5, 0);
    flyt_scenario_free(s);
    flyt_diag_free(&d);

    /* the last --set of a key wins */
    const char *twice[] = { "units.short_term.capacity=20", "units.short_term.capacity=30" };
    s = load_text(mini, twice, 2, &d);
    assert_non_null(s);
    assert_near(unit_named(s, "short_term")->capacity, 30, 0);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static void set_creates_an_absent_optional_key(void **state)
{
    (void)state;
    const char *sets[] = { "report.wait_target_days=28", "decision.working_days_only=true",
                           "run.seed=3000000000" };
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(mini, sets, 3, &d);
    assert_non_null(s);
    assert_near(s->wait_target_days, 28.0, 0);
    assert_near(s->readmission_window_days, 30.0, 0);
    assert_true(s->working_days_only);
    assert_true(s->seed == 3000000000ULL); /* no L needed on the command line */
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static void set_errors_point_at_the_set(void **state)
{
    (void)state;
    const char *neg[] = { "units.short_term.capacity=-1" };
    expect_error(mini, neg, 1,
                 "--set:1: error: units.short_term.capacity: must be between 0 and 10000000, got "
                 "-1");
    const char *flt[] = { "run.replications=5", "units.short_term.capacity=140.0" };
    expect_error(mini, flt, 2, "--set:2: error: units.short_term.capacity: expected an integer");
    const char *str[] = { "population.admissions_per_day=many" };
    expect_error(mini, str, 1,
                 "--set:1: error: population.admissions_per_day: expected a number, got a "
                 "string");
    const char *typo[] = { "run.replicatons=5" };
    expect_error(mini, typo, 1, "--set:1: error: run.replicatons: unknown key");
    const char *zero[] = { "units.short_term.capacity=0" };
    expect_error(mini, zero, 1, "--set:1: error: units.short_term.capacity: patients are routed");
    /* a group made by --set: what it lacks is pointed at the --set */
    const char *nr[] = { "hospital.not_ready_days.mean=3" };
    expect_error(mini, nr, 1, "--set:1: error: hospital.not_ready_days: expected a distribution");
    /* --set cannot make a unit: a unit needs an id and a kind */
    const char *nh[] = { "units.nursing_home.queue=priority" };
    expect_error(mini, nh, 1, "--set:1: error: no unit has id 'nursing_home'");
    /* the same key twice: the error is the second's */
    const char *twice[] = { "units.short_term.capacity=5", "units.short_term.capacity=-5" };
    expect_error(mini, twice, 2, "--set:2: error: units.short_term.capacity: must be between");
    const char *noeq[] = { "units.short_term.capacity" };
    expect_error(mini, noeq, 1, "--set:1: error: expected key.path=value");
}

static void set_rejects_a_group(void **state)
{
    (void)state;
    const char *grp[] = { "hospital.los_days=3" };
    expect_error(mini, grp, 1,
                 "--set:1: error: 'los_days' is a group or list; --set changes single values");
    const char *top[] = { "units=3" };
    expect_error(mini, top, 1, "--set:1: error: 'units' is a group or list");
    const char *list[] = { "groups.name=x" };
    expect_error(mini, list, 1, "--set:1: error: 'groups' on the path is not a group of keys");
}

/* ---- several errors, line numbers, includes ---- */

static void every_error_is_reported(void **state)
{
    (void)state;
    char *t1 = edit("warmup_days = 50.0;", "warmup_days = 50.0; replicatons = 3;");
    char *t2 = malloc(strlen(t1) + 64);
    assert_non_null(t2);
    strcpy(t2, t1);
    char *at = strstr(t2, "capacity = 10;");
    assert_non_null(at);
    memcpy(at, "capacity = -1;", 14); /* same length, line 22 */
    char *t3 = malloc(strlen(t2) + 64);
    assert_non_null(t3);
    strcpy(t3, t2);
    at = strstr(t3, "ukp_probability = 0.4;");
    assert_non_null(at);
    memcpy(at, "ukp_probability = 1.4;", 22);
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t3, NULL, 0, &d);
    assert_null(s);
    assert_int_equal(d.n_errors, 3);
    assert_non_null(strstr(d.text, "mini.cfg:2: error: run.replicatons: unknown key"));
    assert_non_null(strstr(d.text, "mini.cfg:14: error: hospital.ukp_probability: must be "
                                   "between 0 and 1, got 1.4"));
    assert_non_null(strstr(d.text, "mini.cfg:22: error: units.short_term.capacity: must be "
                                   "between 0 and 10000000, got -1"));
    flyt_diag_free(&d);
    free(t1);
    free(t2);
    free(t3);
}

/* libconfig 1.5 wraps an integer literal to its type without a word:
 * 4294967421 was read as 125 beds. Every literal is checked against the
 * digits as written, whatever it wraps to. */
static void integer_literals_that_wrap_are_refused(void **state)
{
    (void)state;
    expect_edit_error(
            "capacity = 10;", "capacity = 4294967421;",
            "mini.cfg:22: error: units.short_term.capacity: 4294967421 does not fit in an "
            "integer without an L suffix (-2147483648 to 2147483647) and would be read "
            "as 125; write 4294967421L");
    expect_edit_error("capacity = 10;", "capacity = -4294967296;",
                      "mini.cfg:22: error: units.short_term.capacity: -4294967296 does not fit");
    expect_edit_error(
            "capacity = 10;", "capacity = 0x100000005;",
            "units.short_term.capacity: 0x100000005 does not fit in an integer without an L "
            "suffix (at most 0x7FFFFFFF) and would be read as 5");
    expect_edit_error("capacity = 10;", "capacity = 99999999999999999999L;",
                      "units.short_term.capacity: 99999999999999999999L does not fit in a 64-bit "
                      "integer");
    expect_edit_error("capacity = 10;", "capacity = 0xFFFFFFFFFFFFFFFFL;",
                      "units.short_term.capacity: 0xFFFFFFFFFFFFFFFFL does not fit in a 64-bit");
    expect_edit_error("cfs = [1, 4]", "cfs = [1, 4294967300]",
                      "mini.cfg:8: error: groups[0].cfs[1]: 4294967300 does not fit");
    /* only the literal is reported, not the range of the value it became */
    char *t = edit("capacity = 10;", "capacity = 4294967297;");
    struct flyt_diag d;
    assert_null(load_text(t, NULL, 0, &d));
    assert_int_equal(d.n_errors, 1);
    flyt_diag_free(&d);
    free(t);
    /* numbers in comments and strings are not literals */
    t = edit("name = \"mini\";", "name = \"mini 99999999999\"; # 4294967421 /* 0xFFFFFFFFF */");
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

static void set_integers_read_like_the_file(void **state)
{
    (void)state;
    const char *hex[] = { "run.seed=0x10" };
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(mini, hex, 1, &d);
    assert_non_null(s);
    assert_int_equal(s->seed, 16);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    const char *big[] = { "run.seed=99999999999999999999" };
    expect_error(mini, big, 1,
                 "--set:1: error: run.seed: 99999999999999999999 does not fit in a 64-bit "
                 "integer");
}

static void duplicate_key_is_named_with_both_lines(void **state)
{
    (void)state;
    char *t = edit("    los_days = 14.0;\n", "    los_days = 14.0;\n    capacity = 12;\n");
    expect_error(t, NULL, 0,
                 "mini.cfg:24: error: duplicate key 'capacity': it is already given in this group "
                 "on line 22");
    free(t);
}

static void byte_order_mark_is_skipped(void **state)
{
    (void)state;
    char *t = edit("name", "\xEF\xBB\xBFname");
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    if (!s)
        fprintf(stderr, "%s\n", d.text);
    assert_non_null(s);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

/* A comment on the last line without a newline was a syntax error. */
static void last_line_comment_without_newline_loads(void **state)
{
    (void)state;
    size_t n = strlen(mini) + 32;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%s# the end", mini);
    struct flyt_diag d;
    struct flyt_scenario *s = load_text(t, NULL, 0, &d);
    assert_non_null(s);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

static void set_errors_inside_a_distribution_point_at_the_set(void **state)
{
    (void)state;
    const char *sets[] = { "run.seed=3", "hospital.los_days.sd=0" };
    expect_error(mini, sets, 2, "--set:2: error: hospital.los_days: sd must be");
    const char *share[] = { "decision.destination.home=0.3" };
    expect_error(mini, share, 1, "--set:1: error: decision.destination: probabilities must sum");
}

static void many_sets_keep_their_positions(void **state)
{
    (void)state;
    enum { N = 100 };
    static char keys[N][32];
    const char *sets[N + 1];
    for (int i = 0; i < N; i++) { /* distinct keys: each one is kept */
        snprintf(keys[i], sizeof keys[i], "report.k%d=1", i);
        sets[i] = keys[i];
    }
    sets[N] = "units.short_term.capacity=many";
    expect_error(mini, sets, N + 1,
                 "--set:101: error: units.short_term.capacity: expected an integer");
}

static void huge_group_is_refused(void **state)
{
    (void)state;
    size_t n = strlen(mini) + 2000 * 16;
    char *t = malloc(n);
    assert_non_null(t);
    size_t used = (size_t)snprintf(t, n, "%s", mini);
    for (int i = 0; i < 2000; i++)
        used += (size_t)snprintf(t + used, n - used, "k%d = 1;\n", i);
    expect_error(t, NULL, 0, "mini.cfg:1: error: the top level has more than 1000 keys");
    free(t);
}

/* A runaway file can have a million errors; the first 200 are shown and
 * the rest counted. */
static void errors_beyond_200_are_counted_not_shown(void **state)
{
    (void)state;
    size_t n = strlen(mini) + 300 * 24;
    char *t = malloc(n);
    assert_non_null(t);
    size_t used = (size_t)snprintf(t, n, "%sreport: {\n", mini);
    for (int i = 0; i < 300; i++)
        used += (size_t)snprintf(t + used, n - used, "  unknown%d = 1;\n", i);
    snprintf(t + used, n - used, "};\n");
    struct flyt_diag d;
    assert_null(load_text(t, NULL, 0, &d));
    assert_int_equal(d.n_errors, 300);
    int lines = 0;
    for (const char *p = d.text; *p; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 201);
    assert_non_null(strstr(d.text, "only the first 200 are shown"));
    flyt_diag_free(&d);
    free(t);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    assert_int_equal(unlink(path), 0);
}

/* mini with its hospital group moved to an included file. */
static void include_errors_name_the_included_file_and_line(void **state)
{
    (void)state;
    char dir[] = "/tmp/flyt-test-scenario-XXXXXX";
    assert_non_null(mkdtemp(dir));
    const char *hosp = "hospital: {\n"
                       "  los_days = { dist = \"lognormal\"; mean = 5.0; sd = 4.0; };\n";
    /* main.cfg: mini up to the hospital group, an @include, then the rest */
    const char *h0 = strstr(mini, hosp);
    const char *h1 = strstr(mini, "decision: {");
    assert_non_null(h0);
    assert_non_null(h1);
    size_t n = strlen(mini) + 64;
    char *main_text = malloc(n);
    assert_non_null(main_text);
    snprintf(main_text, n, "%.*s@include \"part.cfg\"\n%s", (int)(h0 - mini), mini, h1);
    char part[512];
    snprintf(part, sizeof part, "# part.cfg\n%.*s", (int)(h1 - h0), h0);
    write_file(dir, "main.cfg", main_text);
    char path[1024];
    snprintf(path, sizeof path, "%s/main.cfg", dir);

    /* valid: the include is found next to the main file, whatever the cwd */
    write_file(dir, "part.cfg", part);
    struct flyt_scenario *s = load_ok(path, NULL, 0);
    assert_near(s->groups[1].p_ukp, 0.4, 0);
    flyt_scenario_free(s);

    /* flyt compare names a setting's line: in the included file, in the
     * main file, or none for a key left to its default */
    char where[1200], want[1200];
    assert_true(flyt_scenario_where(path, "hospital.ukp_probability", where, sizeof where));
    snprintf(want, sizeof want, "%s/part.cfg:4", dir);
    assert_string_equal(where, want);
    assert_true(flyt_scenario_where(path, "run.horizon_days", where, sizeof where));
    snprintf(want, sizeof want, "%s:2", path);
    assert_string_equal(where, want);
    assert_false(flyt_scenario_where(path, "run.seed", where, sizeof where));
    assert_false(flyt_scenario_where(NULL, "run.seed", where, sizeof where));

    /* an error on line 4 of the included file */
    char *bad = strstr(part, "ukp_probability = 0.4;");
    assert_non_null(bad);
    memcpy(bad, "ukp_probability = 1.4;", 22);
    write_file(dir, "part.cfg", part);
    struct flyt_diag d;
    flyt_diag_init(&d);
    s = flyt_scenario_load(path, NULL, 0, &d);
    assert_null(s);
    if (!d.text || !strstr(d.text, "part.cfg:4: error: hospital.ukp_probability: must be"))
        fprintf(stderr, "%s\n", d.text ? d.text : "(no error)");
    assert_non_null(strstr(d.text, "part.cfg:4: error: hospital.ukp_probability: must be"));
    assert_int_equal(d.n_errors, 1);
    flyt_diag_free(&d);

    /* an error in the main file after the @include keeps its own line: the
     * capacity is on line 22 of mini, which lost lines 12-15 to the include
     * and gained one: line 19 */
    memcpy(bad, "ukp_probability = 0.4;", 22);
    write_file(dir, "part.cfg", part);
    const char *sets[] = { "units.short_term.los_days=7.0" };
    char *b = strstr(main_text, "capacity = 10;");
    assert_non_null(b);
    memcpy(b, "capacity = -1;", 14);
    write_file(dir, "main.cfg", main_text);
    flyt_diag_init(&d);
    s = flyt_scenario_load(path, sets, 1, &d);
    assert_null(s);
    assert_non_null(strstr(d.text, "main.cfg:19: error: units.short_term.capacity: must be"));
    assert_int_equal(d.n_errors, 1);
    flyt_diag_free(&d);

    /* a missing include file */
    remove_file(dir, "part.cfg");
    flyt_diag_init(&d);
    s = flyt_scenario_load(path, NULL, 0, &d);
    assert_null(s);
    assert_non_null(strstr(d.text, "main.cfg:12: error: cannot open the @include file"));
    flyt_diag_free(&d);

    remove_file(dir, "main.cfg");
    assert_int_equal(rmdir(dir), 0);
    free(main_text);
}

/* Included files were read by libconfig itself: no size limit, no UTF-8
 * check, no BOM, and a long line cost the square of its length. */
static void included_files_get_the_main_file_checks(void **state)
{
    (void)state;
    char dir[] = "/tmp/flyt-test-scenario-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[1024];
    snprintf(path, sizeof path, "%s/main.cfg", dir);
    size_t n = strlen(mini) + 64;
    char *main_text = malloc(n);
    assert_non_null(main_text);
    snprintf(main_text, n, "@include \"part.cfg\" # a comment after it\n%s", mini);
    write_file(dir, "main.cfg", main_text);

    /* a BOM and a long comment line */
    size_t long_n = 300000;
    char *part = malloc(long_n + 64);
    assert_non_null(part);
    memcpy(part, "\xEF\xBB\xBF# ", 5);
    memset(part + 5, 'x', long_n);
    strcpy(part + 5 + long_n, "\nreport: { wait_target_days = 10.0; };\n");
    write_file(dir, "part.cfg", part);
    struct flyt_scenario *s = load_ok(path, NULL, 0);
    assert_near(s->wait_target_days, 10.0, 0);
    flyt_scenario_free(s);

    /* the error's line is the included file's; the main file's lines stay */
    write_file(dir, "part.cfg", "# part\n\nreport: { wait_target_days = -1.0; };\n");
    struct flyt_diag d;
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, NULL, 0, &d));
    assert_non_null(strstr(d.text, "part.cfg:3: error: report.wait_target_days: must be"));
    flyt_diag_free(&d);
    char *bad_main = edit("capacity = 10;", "capacity = -1;");
    snprintf(main_text, n, "@include \"part.cfg\"\n");
    size_t m = strlen(bad_main) + 64;
    char *t = malloc(m);
    assert_non_null(t);
    snprintf(t, m, "@include \"part.cfg\"\n%s", bad_main);
    write_file(dir, "main.cfg", t);
    write_file(dir, "part.cfg", "# part\n\n\n\n");
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, NULL, 0, &d));
    if (!strstr(d.text, "main.cfg:23: error: units.short_term.capacity: must be"))
        fprintf(stderr, "%s\n", d.text);
    assert_non_null(strstr(d.text, "main.cfg:23: error: units.short_term.capacity: must be"));
    flyt_diag_free(&d);

    /* not UTF-8 */
    write_file(dir, "part.cfg", "# part\n# \xE6\xF8\xE5\n");
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, NULL, 0, &d));
    assert_non_null(strstr(d.text, "part.cfg:2: error: the file is not UTF-8 text"));
    flyt_diag_free(&d);

    /* over the size limit */
    snprintf(path, sizeof path, "%s/part.cfg", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    static char block[1 << 16];
    memset(block, '#', sizeof block);
    for (int i = 0; i < 257; i++)
        assert_int_equal(fwrite(block, 1, sizeof block, f), sizeof block);
    assert_int_equal(fclose(f), 0);
    snprintf(path, sizeof path, "%s/main.cfg", dir);
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, NULL, 0, &d));
    assert_non_null(strstr(d.text, "main.cfg:1: error: @include \"part.cfg\": the file is larger "
                                   "than 16 MiB"));
    flyt_diag_free(&d);

    remove_file(dir, "part.cfg");
    remove_file(dir, "main.cfg");
    rmdir(dir);
    free(t);
    free(bad_main);
    free(part);
    free(main_text);
}

static void missing_file_and_syntax_errors(void **state)
{
    (void)state;
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load("/nonexistent/flyt/none.cfg", NULL, 0, &d);
    assert_null(s);
    assert_int_equal(d.n_errors, 1);
    assert_non_null(strstr(d.text, "/nonexistent/flyt/none.cfg: error: cannot open"));
    flyt_diag_free(&d);
    expect_edit_error("capacity = 10;", "capacity = = 10;", "mini.cfg:22: error: syntax:");
    expect_edit_error("cfs_mix = [0.2,", "cfs_mix = [1,",
                      "mini.cfg:5: error: syntax: mismatched element type in array");
}

static void key_list_is_sorted_and_complete(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    flyt_scenario_print_keys(f);
    fclose(f);
    assert_non_null(strstr(buf, "\nunits.<id>.capacity\n"));
    assert_non_null(strstr(buf, "\nunits.<id>.rates_per_year\n"));
    assert_non_null(strstr(buf, "\ngroups[].cfs\n"));
    assert_non_null(strstr(buf, "\nreport.wait_target_days\n"));
    assert_null(strstr(buf, "nh_target_days"));
    assert_null(strstr(buf, ".mean\n")); /* distribution parameters are not keys */
    char *prev = NULL;
    int n = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"), n++) {
        if (prev)
            assert_true(strcmp(prev, line) < 0);
        prev = line;
    }
    assert_true(n > 40);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(embedded_default_loads),
        cmocka_unit_test(baseline_file_loads),
        cmocka_unit_test(pf1_loads_and_lognormal_converts),
        cmocka_unit_test(weibull_mean_and_sd_recovered),
        cmocka_unit_test(bad_files_fail_with_their_message),
        cmocka_unit_test(value_given_once_is_copied_to_every_group),
        cmocka_unit_test(per_group_values_go_to_their_group),
        cmocka_unit_test(defaults_are_as_documented),
        cmocka_unit_test(big_seed_with_L_and_growth_by_year),
        cmocka_unit_test(more_checks),
        cmocka_unit_test(route_to_an_unknown_unit_is_refused),
        cmocka_unit_test(unit_id_used_twice_is_refused),
        cmocka_unit_test(route_table_not_summing_to_one_is_refused),
        cmocka_unit_test(units_without_a_way_out_are_refused),
        cmocka_unit_test(zero_capacity_routed_is_refused_unless_a_schedule_opens_it),
        cmocka_unit_test(caseload_without_hours_per_client_is_refused),
        cmocka_unit_test(old_form_units_are_refused_with_the_upgrade_hint),
        cmocka_unit_test(set_names_a_unit_by_its_id),
        cmocka_unit_test(a_unit_nobody_is_routed_to_changes_no_kpi),
        cmocka_unit_test(set_overrides_a_value),
        cmocka_unit_test(set_creates_an_absent_optional_key),
        cmocka_unit_test(set_errors_point_at_the_set),
        cmocka_unit_test(set_rejects_a_group),
        cmocka_unit_test(every_error_is_reported),
        cmocka_unit_test(include_errors_name_the_included_file_and_line),
        cmocka_unit_test(missing_file_and_syntax_errors),
        cmocka_unit_test(integer_literals_that_wrap_are_refused),
        cmocka_unit_test(set_integers_read_like_the_file),
        cmocka_unit_test(duplicate_key_is_named_with_both_lines),
        cmocka_unit_test(byte_order_mark_is_skipped),
        cmocka_unit_test(last_line_comment_without_newline_loads),
        cmocka_unit_test(set_errors_inside_a_distribution_point_at_the_set),
        cmocka_unit_test(many_sets_keep_their_positions),
        cmocka_unit_test(huge_group_is_refused),
        cmocka_unit_test(errors_beyond_200_are_counted_not_shown),
        cmocka_unit_test(included_files_get_the_main_file_checks),
        cmocka_unit_test(key_list_is_sorted_and_complete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
