/* flyt calibrate, the fast parts: bad specs fail with file:line before
 * anything runs, a good spec reads as written, the logit map stays inside
 * the range, a spent budget is reported with the best point, and the fitted
 * file loads with the fitted values. The recovery of a known value is in
 * test_stat_calibrate.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/calibrate.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/flyt-test-calibrate.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to dir/name and returns the path (static buffer). */
static const char *write_spec(const char *name, const char *text)
{
    static char path[400];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* The embedded default, short: every evaluation takes a fraction of a second. */
#define SHORT_RUN                                                              \
    "set = [\"run.horizon_days=200\", \"run.warmup_days=50\"];\n" /* line 1 */ \
    "replications = 4; seed = 11;\n"                              /* line 2 */

static const char good[] = SHORT_RUN
        "parameters = (\n"                                                                /* 3 */
        "  { key = \"decision.delay_days.mean\"; min = 0.5; max = 4.0; start = 1.5; },\n" /* 4 */
        "  { name = \"st stay\"; keys = [\"units.short_term.los_days.fit.mean\",\n"       /* 5 */
        "      \"units.short_term.los_days.frail.mean\"]; min = 0.5; max = 2.0; }\n"      /* 6 */
        ");\n"                                                                            /* 7 */
        "targets = (\n"                                                                   /* 8 */
        "  { kpi = \"ukp_wait_mean\"; value = 2.0; tolerance = 0.1; },\n"                 /* 9 */
        "  { kpi = \"units.short_term.los_mean\"; value = 14.0; weight = 0.5; }\n"        /* 10 */
        ");\n"                                                                            /* 11 */
        "max_evaluations = 3;\n";                                                         /* 12 */

/* good with the first occurrence of old replaced by new, loaded; returns
 * the diagnostics text (static) or NULL when the spec loaded. */
static const char *load_edited(const char *old, const char *new)
{
    static char text[4096], messages[8192];
    const char *at = strstr(good, old);
    assert_non_null(at);
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, new, at + strlen(old));
    const char *path = write_spec("edited.calib", text);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_calib_spec *spec = flyt_calib_spec_load(path, &d);
    snprintf(messages, sizeof messages, "%s", d.text ? d.text : "");
    flyt_diag_free(&d);
    if (spec) {
        flyt_calib_spec_free(spec);
        return NULL;
    }
    fprintf(stderr, "(expected) %s", messages);
    return messages;
}

static void expect_error(const char *old, const char *new, const char *where, const char *what)
{
    const char *msg = load_edited(old, new);
    assert_non_null(msg);
    char head[512];
    snprintf(head, sizeof head, "%s/edited.calib:%s", dir, where);
    if (!strstr(msg, head) || !strstr(msg, what)) {
        fprintf(stderr, "wanted '%s' ... '%s' in:\n%s", head, what, msg);
        fail();
    }
}

static void good_spec_reads_as_written(void **state)
{
    (void)state;
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_calib_spec *spec = flyt_calib_spec_load(write_spec("good.calib", good), &d);
    if (!spec)
        fprintf(stderr, "%s", d.text);
    assert_non_null(spec);
    flyt_diag_free(&d);
    assert_null(spec->scenario_path); /* no scenario: the embedded default */
    assert_true(spec->has_replications && spec->replications == 4);
    assert_true(spec->has_seed && spec->seed == 11);
    assert_int_equal(spec->n_sets, 2);
    assert_int_equal(spec->n_params, 2);
    assert_int_equal(spec->params[0].mode, FLYT_CALIB_VALUE);
    assert_string_equal(spec->params[0].name, "decision.delay_days.mean");
    assert_int_equal(spec->params[0].line, 4);
    assert_int_equal(spec->params[1].mode, FLYT_CALIB_SCALE);
    assert_string_equal(spec->params[1].name, "st stay");
    assert_int_equal(spec->params[1].n_keys, 2);
    assert_near(spec->params[1].start, 1.0, 0);        /* a factor starts at 1 */
    assert_near(spec->params[1].base[0], 11.0, 1e-12); /* the baseline's fit and frail stays */
    assert_near(spec->params[1].base[1], 14.0, 1e-12);
    assert_int_equal(spec->n_targets, 2);
    assert_int_equal(spec->targets[0].kpi, FLYT_KPI_ukp_wait_mean);
    assert_near(spec->targets[0].scale, 0.1, 0);
    assert_near(spec->targets[1].tolerance, 0, 0);
    assert_near(spec->targets[1].scale, 14.0, 0); /* weight only: relative to the value */
    assert_int_equal(spec->max_evaluations, 3);

    char buf[FLYT_CALIB_MAX_ALL_SETS][FLYT_CALIB_SET_LEN];
    const char *sets[FLYT_CALIB_MAX_ALL_SETS];
    const double x[2] = { 2.0, 1.5 };
    int n = flyt_calib_sets(spec, x, true, buf, sets);
    assert_int_equal(n, 7);
    assert_string_equal(sets[0], "run.horizon_days=200");
    assert_string_equal(sets[2], "run.replications=4");
    assert_string_equal(sets[3], "run.seed=11");
    assert_string_equal(sets[4], "decision.delay_days.mean=2.0");
    assert_string_equal(sets[5], "units.short_term.los_days.fit.mean=16.5");
    assert_int_equal(flyt_calib_sets(spec, x, false, buf, sets), 5);
    flyt_calib_spec_free(spec);
}

static void rejects_unknown_key_path(void **state)
{
    (void)state;
    expect_error("decision.delay_days.mean", "decision.delay_dayz.mean",
                 "4: error: parameters[0]: ", "unknown key 'delay_dayz'");
    expect_error("decision.delay_days.mean", "decision.delay_days.maen",
                 "4: error: parameters[0]: ", "'maen' is not a parameter of lognormal");
}

static void rejects_key_path_through_a_value(void **state)
{
    (void)state;
    expect_error("decision.delay_days.mean", "run.horizon_days.mean", "4: error: parameters[0]",
                 "not a group");
}

static void rejects_empty_range(void **state)
{
    (void)state;
    expect_error("min = 0.5; max = 4.0; start = 1.5;", "min = 4.0; max = 4.0;",
                 "4: error: parameters[0].max: ", "empty range");
}

static void rejects_start_outside_range(void **state)
{
    (void)state;
    expect_error("start = 1.5", "start = 4.5",
                 "4: error: parameters[0].start: ", "strictly between");
}

static void rejects_range_the_scenario_rejects(void **state)
{
    (void)state;
    expect_error("min = 0.5; max = 4.0", "min = -1.0; max = 4.0",
                 "4: error: parameters[0]: ", "at min = -1");
}

static void rejects_unknown_kpi(void **state)
{
    (void)state;
    expect_error("\"ukp_wait_mean\"", "\"ukp_wait_average\"",
                 "9: error: targets[0].kpi: ", "unknown KPI 'ukp_wait_average'");
}

static void rejects_target_without_tolerance_or_weight(void **state)
{
    (void)state;
    expect_error("tolerance = 0.1;", "", "9: error: targets[0]: ", "give a tolerance");
}

static void rejects_unknown_spec_key(void **state)
{
    (void)state;
    expect_error("tolerance = 0.1;", "tolerence = 0.1;",
                 "9: error: targets[0].tolerence: ", "unknown key 'tolerence'");
}

static void rejects_factor_on_a_missing_value(void **state)
{
    (void)state;
    expect_error("\"units.short_term.los_days.frail.mean\"", "\"units.short_term.los_days.dist\"",
                 "5: error: parameters[1].keys[1]: ", "not a number in the scenario");
}

static void rejects_bad_fixed_set_at_its_line(void **state)
{
    (void)state;
    expect_error("run.warmup_days=50", "run.warmup_days=500",
                 "1: error: set[1]: ", "must be shorter than run.horizon_days");
}

static void rejects_a_key_fitted_twice(void **state)
{
    (void)state;
    expect_error("units.short_term.los_days.frail.mean\"", "decision.delay_days.mean\"",
                 "5: error: decision.delay_days.mean: ", "named by two parameters");
}

static void rejects_missing_scenario(void **state)
{
    (void)state;
    expect_error("replications = 4;", "scenario = \"nowhere.cfg\"; replications = 4;",
                 "2: error: scenario: ", "nowhere.cfg: cannot open");
}

static void reports_every_error(void **state)
{
    (void)state;
    const char *msg = load_edited("min = 0.5; max = 4.0; start = 1.5;",
                                  "min = 4.0; max = 0.5; start = 1.5; foo = 1;");
    assert_non_null(msg);
    assert_non_null(strstr(msg, "empty range"));
    assert_non_null(strstr(msg, "unknown key 'foo'"));
}

static void logit_map_stays_inside_the_range(void **state)
{
    (void)state;
    struct flyt_calib_param p = { .min = 0.5, .max = 4.0 };
    assert_near(flyt_calib_from_u(&p, flyt_calib_to_u(&p, 1.234)), 1.234, 1e-12);
    assert_near(flyt_calib_from_u(&p, 0), 2.25, 1e-12);
    assert_true(flyt_calib_from_u(&p, 700) <= 4.0 && flyt_calib_from_u(&p, -700) >= 0.5);
    char buf[48];
    flyt_calib_format_value(buf, sizeof buf, 2.0);
    assert_string_equal(buf, "2.0"); /* a float literal, not the integer 2 */
    flyt_calib_format_value(buf, sizeof buf, 1e-7);
    assert_string_equal(buf, "1e-07");
    flyt_calib_format_value(buf, sizeof buf, 1.0 / 3.0);
    assert_string_equal(buf, "0.3333333333");
}

struct seen {
    unsigned n;
    double best;
};

static void count_evals(const struct flyt_calib_eval *ev, void *ctx)
{
    struct seen *s = ctx;
    if (!ev->slope) {
        s->n++;
        if (ev->objective < s->best)
            s->best = ev->objective;
    }
}

static void spent_budget_reports_best_point(void **state)
{
    (void)state;
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_calib_spec *spec = flyt_calib_spec_load(write_spec("budget.calib", good), &d);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct seen seen = { 0, INFINITY };
    struct flyt_calib_options opts = {
        .threads = 2, .no_slopes = true, .on_eval = count_evals, .ctx = &seen
    };
    struct flyt_calib_report rep;
    assert_int_equal(flyt_calibrate(spec, &opts, &rep), 0);
    assert_int_equal(rep.status, FLYT_CALIB_MAX_EVALS);
    assert_int_equal(rep.evaluations, 3);
    assert_int_equal(seen.n, 3);
    assert_near(rep.objective, seen.best, 0);
    assert_non_null(strstr(rep.detail, "not converged in 3 evaluations"));
    assert_int_equal(rep.replications, 4);
    assert_true(rep.target[0].n == 4 && isfinite(rep.target[0].mean));
    assert_true(isnan(rep.ci_half[0])); /* no slopes asked for */

    /* The same budget again gives the same point: common random numbers. */
    struct flyt_calib_report again;
    assert_int_equal(flyt_calibrate(spec, &opts, &again), 0);
    assert_near(again.fitted[0], rep.fitted[0], 0);
    assert_near(again.target[0].mean, rep.target[0].mean, 0);

    /* The fitted file loads and holds the point (written here although the
     * fit did not converge: the command refuses, the library does not). */
    char path[400], err[512];
    snprintf(path, sizeof path, "%s/fitted.cfg", dir);
    assert_int_equal(flyt_calib_write_fitted(path, spec, &rep, "test", err, sizeof err), 0);
    char partial[420];
    snprintf(partial, sizeof partial, "%s.partial", path);
    assert_int_equal(access(partial, F_OK), -1);
    struct flyt_scenario *s = flyt_test_load(path, NULL, 0);
    assert_near(s->decision_delay.mean, rep.fitted[0], 1e-9);
    int st = -1;
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, "short_term") == 0)
            st = u;
    assert_true(st >= 0);
    assert_near(s->units[st].los[0].mean, 11.0 * rep.fitted[1], 1e-8);
    assert_near(s->horizon_days, 200, 0);  /* the spec's fixed sets are part of it */
    assert_int_equal(s->replications, 20); /* the run settings of the fit are not */
    assert_non_null(strstr(s->text, "# Fitted by flyt calibrate"));
    flyt_scenario_free(s);
    flyt_calib_spec_free(spec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(good_spec_reads_as_written),
        cmocka_unit_test(rejects_unknown_key_path),
        cmocka_unit_test(rejects_key_path_through_a_value),
        cmocka_unit_test(rejects_empty_range),
        cmocka_unit_test(rejects_start_outside_range),
        cmocka_unit_test(rejects_range_the_scenario_rejects),
        cmocka_unit_test(rejects_unknown_kpi),
        cmocka_unit_test(rejects_target_without_tolerance_or_weight),
        cmocka_unit_test(rejects_unknown_spec_key),
        cmocka_unit_test(rejects_factor_on_a_missing_value),
        cmocka_unit_test(rejects_bad_fixed_set_at_its_line),
        cmocka_unit_test(rejects_a_key_fitted_twice),
        cmocka_unit_test(rejects_missing_scenario),
        cmocka_unit_test(reports_every_error),
        cmocka_unit_test(logit_map_stays_inside_the_range),
        cmocka_unit_test(spent_budget_reports_best_point),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
