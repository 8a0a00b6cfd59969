/* flyt optimise's procedure on cases with a known answer: an M/M/c bed
 * unit whose mean wait is Erlang C's and whose cost grows with c, and
 * configurations that are exactly the same. */
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

#define MMC FLYT_SOURCE_DIR "/scenarios/validation/mmc-rho070.cfg"

/* The spec text in a temporary file; its path in path. */
static void write_spec(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/flyt-test-optimise-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct flyt_opt_spec *load(const char *text, struct flyt_diag *d)
{
    char path[64];
    write_spec(path, sizeof path, text);
    flyt_diag_init(d);
    struct flyt_opt_spec *spec = flyt_opt_spec_load(path, d);
    unlink(path);
    return spec;
}

/* Wq of M/M/c through the Erlang B recursion (as test_stat_queueing.c). */
static double erlang_wq(int c, double lambda, double mu)
{
    double a = lambda / mu, b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b)) / (c * mu - lambda);
}

/* lambda 7, mu 1; c from 8 to 14 with Wq 0.64, 0.19, 0.074, 0.030, ...
 * The limit 0.15 with tolerance 0.03 is clear of every c's wait, so the
 * answer is one: the smallest c with Wq <= 0.15. Each place costs 1000 a
 * year and each bed-day 10, so the cost is random (the occupancy is) but
 * its differences between c are nearly all in the places. */
static void picks_the_smallest_c_whose_erlang_wait_is_below_the_limit(void **state)
{
    (void)state;
    const double limit = 0.15, tol = 0.03;
    int expect = -1;
    for (int c = 8; c <= 14; c++) {
        double wq = erlang_wq(c, 7.0, 1.0);
        assert_true(fabs(wq - limit) > tol); /* the case has one right answer */
        if (expect < 0 && wq <= limit)
            expect = c;
    }
    assert_int_equal(expect, 10);
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=1100.0\", \"run.warmup_days=100.0\",\n"
                 "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
                 "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
                 "replications = 10;\nseed = 11;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 14; } );\n"
                 "objective_indifference = 200.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.15; tolerance = 0.03; } );\n",
                 &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 2, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.n_configs, 7);
    assert_true(rep.chosen >= 0);
    assert_int_equal(rep.config[rep.chosen].value[0], expect);
    for (unsigned c = 0; c < rep.n_configs; c++) {
        const struct flyt_opt_config *cf = &rep.config[c];
        if (cf->value[0] < expect) {
            assert_int_equal(cf->fate, FLYT_OPT_INFEASIBLE);
            assert_int_equal(cf->constraint, 0);
        } else if (cf->value[0] > expect) {
            assert_int_equal(cf->fate, FLYT_OPT_ELIMINATED);
            assert_true(cf->objective.mean > rep.config[rep.chosen].objective.mean);
        }
        assert_true(cf->n_run >= spec->n0);
    }
    assert_int_equal(rep.n_feasible, 5);
    assert_false(rep.capped);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* A variable the model never reads (overflow is never priced: a beds unit
 * without overflow never uses it) makes pairs of identical
 * configurations: both are reported, neither can be told from the other,
 * and the lower index is chosen. */
static void identical_configurations_are_not_distinguishable(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec = load(
            "scenario = \"" MMC "\";\n"
            "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\",\n"
            "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
            "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
            "replications = 8;\nseed = 3;\n"
            "variables = ( { key = \"units.short_term.capacity\"; min = 10; max = 11; },\n"
            "  { key = \"cost.units.short_term.overflow_bed_day_nok\"; min = 0; max = 1; } );\n"
            "objective_indifference = 100.0;\n"
            "constraints = ( { kpi = \"ukp_wait_mean\"; max = 1.0; tolerance = 0.05; } );\n",
            &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 1, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.n_configs, 4);
    assert_int_equal(rep.chosen, 0);
    assert_int_equal(rep.config[0].fate, FLYT_OPT_CHOSEN);
    assert_int_equal(rep.config[1].fate, FLYT_OPT_TIED);
    assert_int_equal(rep.config[1].by, 0);
    assert_true(rep.config[0].objective.mean == rep.config[1].objective.mean);
    assert_int_equal(rep.config[2].fate, FLYT_OPT_ELIMINATED);
    assert_int_equal(rep.config[3].fate, FLYT_OPT_ELIMINATED);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* A limit no configuration meets: every one infeasible, nothing chosen. */
static void reports_none_when_every_configuration_breaks_the_limit(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\" ];\n"
                 "replications = 8;\nseed = 3;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 9; } );\n"
                 "objective_indifference = 100.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.05; tolerance = 0.01; } );\n",
                 &d);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 1, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.chosen, -1);
    assert_int_equal(rep.n_feasible, 0);
    assert_int_equal(rep.config[0].fate, FLYT_OPT_INFEASIBLE);
    assert_int_equal(rep.config[1].fate, FLYT_OPT_INFEASIBLE);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* Every mistake at its line, all of them, before anything runs. */
static void rejects_bad_specs_at_their_lines(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "replications = 8;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 12; max = 11; },\n"
                 "  { key = \"units.short_term.capacty\"; min = 1; max = 2; } );\n"
                 "objective_indifference = 100.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_average\"; max = 0.05; tolerance = 0.01; } "
                 ");\n"
                 "colour = 3;\n",
                 &d);
    assert_null(spec);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, ":3: error: variables[0].max: empty range"));
    assert_non_null(strstr(d.text, ":4: error: variables[1]: at min = 1 the scenario rejects it"));
    assert_non_null(
            strstr(d.text, ":6: error: constraints[0].kpi: unknown KPI 'ukp_wait_average'"));
    assert_non_null(strstr(d.text, ":7: error: colour: unknown key"));
    flyt_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_smallest_c_whose_erlang_wait_is_below_the_limit),
        cmocka_unit_test(identical_configurations_are_not_distinguishable),
        cmocka_unit_test(reports_none_when_every_configuration_breaks_the_limit),
        cmocka_unit_test(rejects_bad_specs_at_their_lines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
