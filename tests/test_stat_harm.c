/*
 * The harm of waiting (scenario section harm) against cases with a known
 * answer, and the promise that without it nothing changes.
 *
 *   exponential wait  a complex patient waits an exponential time (rate mu)
 *                     with a death hazard lambda: the share who die waiting
 *                     is lambda / (lambda + mu) (competing exponentials);
 *   fixed wait        a decision after exactly W days with hazard lambda:
 *                     the share who die first is 1 - exp(-lambda W);
 *   blocked           a bed held after the stay until the blocked patient
 *                     dies (the next unit never frees): the stay including
 *                     blocking is the stay plus an exponential, mean
 *                     S + 1 / lambda;
 *   deconditioning    a rate r per waiting day over a fixed wait W gives
 *                     Poisson(r W) levels, mean r W; groups split at CFS
 *                     4 | 5 with other destinations, so a patient starting
 *                     at CFS 4 changes destination when it gains any level:
 *                     share 1 - exp(-r W);
 *   zeros             a scenario with every harm value written as 0 gives
 *                     the same figures, bit for bit, as one without the
 *                     section (no random number is drawn for a zero rate).
 *
 * The shares are pooled over replications: the patients are independent
 * (no unit they wait for is ever full), so a count is binomial (Poisson
 * for the levels) and the tolerance is z = 3.29 (99.9 %) binomial standard
 * errors at the theoretical value, worked out below from the number of
 * trials. The stay uses a 99.9 % Student-t interval over replications.
 * Seeds are fixed.
 */
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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPS     4
#define THREADS  2
#define TEXT_CAP 8192
#define Z999     3.2905 /* two-sided 99.9 % normal quantile */

static double sum_kpi(const struct flyt_result *res, unsigned n, int k)
{
    double s = 0;
    for (unsigned i = 0; i < n; i++)
        s += res[i].kpi[k];
    return s;
}

/* Whether x successes in n trials fit p: within Z999 binomial standard
 * errors sqrt(p (1 - p) / n) of it. */
static bool binomial_ok(const char *what, double x, double n, double p)
{
    double share = x / n, half = Z999 * sqrt(p * (1 - p) / n);
    bool ok = fabs(share - p) <= half;
    printf("  %-44s %.5f of %.0f  theory %.5f +- %.5f  %s\n", what, share, n, p, half,
           ok ? "ok" : "OUTSIDE");
    return ok;
}

/* One hospital, everybody discharge-ready at once (no treatment stay). */
static void hospital_only(char *buf, const char *name, const char *harm, const char *population,
                          const char *decision, const char *units)
{
    int n = snprintf(buf, TEXT_CAP,
                     "name = \"%s\";\n"
                     "run: { start_date = \"2025-01-01\"; horizon_days = 1000.0; warmup_days = "
                     "0.0;\n"
                     "       replications = %d; seed = 11; };\n"
                     "population: { admissions_per_day = 20.0; %s };\n"
                     "%s\n"
                     "hospital: { los_days = 0.0; ukp_probability = 1.0; };\n"
                     "%s\n"
                     "decision: { %s };\n"
                     "units = (\n"
                     "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; }%s\n"
                     ");\n",
                     name, REPS, population, "", harm, decision, units);
    assert_true(n > 0 && n < TEXT_CAP);
}

#define CFS1 "cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0];"

/* The share of the waits that ended in death: a wait ends either way, and
 * both ends are counted by when they happen, so deaths + ukp_patients are
 * the waits that ended in the run. */
static void check_death_share(const char *name, const char *population, const char *decision,
                              double lambda, double p)
{
    char text[TEXT_CAP], harm[128];
    snprintf(harm, sizeof harm, "harm: { death_waiting_per_day = %.17g; };", lambda);
    hospital_only(text, name, harm, population, decision, "");
    struct flyt_scenario *s = flyt_test_load_text(text, name);
    struct flyt_result *res = flyt_test_run_reps(s, REPS, THREADS);
    double dead = sum_kpi(res, REPS, FLYT_KPI_deaths_waiting_hospital);
    double ended = sum_kpi(res, REPS, FLYT_KPI_ukp_patients);
    printf("%s:\n", name);
    assert_true(dead > 0);
    assert_true(sum_kpi(res, REPS, FLYT_KPI_deaths) == dead);
    assert_true(binomial_ok("deaths_waiting_hospital / waits ended", dead, dead + ended, p));
    flyt_test_free_results(res, REPS);
    flyt_scenario_free(s);
}

static void exponential_wait_death_share(void **state)
{
    (void)state;
    const double lambda = 0.1, mu = 0.25;
    char decision[256];
    snprintf(decision, sizeof decision,
             "destination = { home = 1.0; };\n"
             "  complex_placement_days = { dist = \"exponential\"; mean = %.17g; };",
             1.0 / mu);
    check_death_share("harm-exponential-wait", CFS1 " complex_share = 1.0;", decision, lambda,
                      lambda / (lambda + mu));
}

static void fixed_wait_death_share(void **state)
{
    (void)state;
    const double lambda = 0.1, w = 3.0;
    char decision[256];
    snprintf(decision, sizeof decision, "delay_days = %.17g; destination = { home = 1.0; };", w);
    check_death_share("harm-fixed-wait", CFS1, decision, lambda, 1.0 - exp(-lambda * w));
}

static void blocked_death_time(void **state)
{
    (void)state;
    const double lambda = 0.5, stay = 1.0;
    char text[TEXT_CAP], units[512];
    /* b takes one patient for ever: everybody after is blocked in a until
     * death */
    snprintf(units, sizeof units,
             ",\n  { id = \"a\"; kind = \"beds\"; capacity = 100000; los_days = %.17g;\n"
             "    outcome = { b = 1.0; }; },\n"
             "  { id = \"b\"; kind = \"beds\"; capacity = 1; los_days = 1000000.0;\n"
             "    outcome = { home = 1.0; }; }",
             stay);
    char harm[128];
    snprintf(harm, sizeof harm, "harm: { death_blocked_per_day = %.17g; };", lambda);
    hospital_only(text, "harm-blocked", harm, CFS1, "destination = { a = 1.0; };", units);
    struct flyt_scenario *s = flyt_test_load_text(text, "harm-blocked");
    struct flyt_result *res = flyt_test_run_reps(s, REPS, THREADS);
    double x[REPS], n = 0;
    for (unsigned i = 0; i < REPS; i++) {
        const double *ka = flyt_result_unit_kpi(&res[i], 1);
        x[i] = ka[FLYT_UNIT_KPI_los_mean];
        n += ka[FLYT_UNIT_KPI_deaths_waiting];
        assert_true(ka[FLYT_UNIT_KPI_deaths_waiting] == res[i].kpi[FLYT_KPI_deaths_blocked]);
        assert_true(res[i].kpi[FLYT_KPI_deaths_waiting_hospital] == 0);
    }
    /* pooled: the blocked time is exponential, sd 1 / lambda */
    double mean = 0;
    for (unsigned i = 0; i < REPS; i++)
        mean += x[i] / REPS;
    double target = stay + 1.0 / lambda, half = Z999 * (1.0 / lambda) / sqrt(n);
    bool ok = fabs(mean - target) <= half;
    printf("harm-blocked:\n  %-44s %.5f over %.0f deaths  theory %.5f +- %.5f  %s\n",
           "a.los_mean = stay + 1 / lambda", mean, n, target, half, ok ? "ok" : "OUTSIDE");
    assert_true(ok);
    flyt_test_free_results(res, REPS);
    flyt_scenario_free(s);
}

static void deconditioning_poisson(void **state)
{
    (void)state;
    const double r = 0.2, w = 3.0;
    char text[TEXT_CAP], harm[256];
    snprintf(harm, sizeof harm,
             "groups = ( { name = \"fit\"; cfs = [1, 4]; }, { name = \"frail\"; cfs = [5, 9]; } "
             ");\n"
             "harm: { cfs_gain_per_day = %.17g; };",
             r);
    char decision[256];
    snprintf(decision, sizeof decision,
             "delay_days = %.17g;\n"
             "  destination = { fit = { home = 1.0; }; frail = { a = 1.0; }; };",
             w);
    hospital_only(text, "harm-decondition", harm,
                  "cfs_mix = [0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0];", decision,
                  ",\n  { id = \"a\"; kind = \"unlimited\"; los_days = 1.0; outcome = \"home\"; }");
    struct flyt_scenario *s = flyt_test_load_text(text, "harm-decondition");
    struct flyt_result *res = flyt_test_run_reps(s, REPS, THREADS);
    double levels = sum_kpi(res, REPS, FLYT_KPI_cfs_levels_gained);
    double n = sum_kpi(res, REPS, FLYT_KPI_ukp_patients), changed = 0;
    for (unsigned i = 0; i < REPS; i++)
        changed += res[i].kpi[FLYT_KPI_destination_changed] * res[i].kpi[FLYT_KPI_ukp_patients];
    printf("harm-decondition:\n");
    /* Poisson: variance = mean = r w per patient (the cap at CFS 9 needs
     * 6 levels, P < 1e-4, and is left out) */
    double mean = levels / n, half = Z999 * sqrt(r * w / n);
    bool ok = fabs(mean - r * w) <= half;
    printf("  %-44s %.5f over %.0f waits  theory %.5f +- %.5f  %s\n", "cfs_levels_gained per wait",
           mean, n, r * w, half, ok ? "ok" : "OUTSIDE");
    ok &= binomial_ok("destination_changed", round(changed), n, 1.0 - exp(-r * w));
    /* those sent to a are exactly the ones who changed */
    double to_a = 0;
    for (unsigned i = 0; i < REPS; i++)
        to_a += flyt_result_unit_kpi(&res[i], 1)[FLYT_UNIT_KPI_admissions];
    assert_true(fabs(to_a - round(changed)) < 0.5);
    flyt_test_free_results(res, REPS);
    flyt_scenario_free(s);
    assert_true(ok);
}

/* A network with every place the harm touches: hospital waits, blocking in
 * short-term beds, a caseload, a coordinator. */
static const char zeros_base[] =
        "name = \"harm-zeros\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = 400.0; warmup_days = 50.0;\n"
        "       replications = 2; seed = 5; };\n"
        "population: { admissions_per_day = 6.0;\n"
        "  cfs_mix = [0.1, 0.1, 0.1, 0.2, 0.2, 0.1, 0.1, 0.05, 0.05]; complex_share = 0.05; };\n"
        "groups = ( { name = \"fit\"; cfs = [1, 4]; }, { name = \"frail\"; cfs = [5, 9]; } );\n"
        "hospital: { los_days = { dist = \"lognormal\"; mean = 5.0; sd = 3.0; };\n"
        "  ukp_probability = 0.6; death_probability = { fit = 0.01; frail = 0.05; }; };\n"
        "%s"
        "decision: { delay_days = { dist = \"exponential\"; mean = 1.0; };\n"
        "  complex_placement_days = 20.0;\n"
        "  destination = { fit = { home = 0.3; hc = 0.5; st = 0.2; };\n"
        "                  frail = { hc = 0.3; st = 0.4; nh = 0.3; }; }; };\n"
        "units = (\n"
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
        "  { id = \"st\"; kind = \"beds\"; capacity = 8;\n"
        "    los_days = { dist = \"gamma\"; mean = 14.0; sd = 7.0; };\n"
        "    outcome = { home = 0.3; hc = 0.3; nh = 0.3; death = 0.1; }; },\n"
        "  { id = \"nh\"; kind = \"beds\"; capacity = 30;\n"
        "    los_days = { dist = \"exponential\"; mean = 300.0; }; outcome = { death = 1.0; };\n"
        "    initial_occupancy = 0.9; },\n"
        "  { id = \"hc\"; kind = \"caseload\"; capacity = 400.0;\n"
        "    hours_per_client = { dist = \"gamma\"; mean = 5.0; sd = 3.0; };\n"
        "    rates_per_year = { home = 1.0; hospital = 1.5; death = 0.5; nh = 0.3; }; }\n"
        ");\n"
        "coordinators = ( { name = \"ukp\"; headcount = 1; cases = \"ukp\"; work_hours = 2.0; } "
        ");\n";

static void zeros_are_bit_identical(void **state)
{
    (void)state;
    char a[TEXT_CAP], b[TEXT_CAP], c[TEXT_CAP];
    snprintf(a, sizeof a, zeros_base, "");
    snprintf(b, sizeof b, zeros_base,
             "harm: { death_waiting_per_day = 0.0; death_blocked_per_day = 0.0;\n"
             "  cfs_gain_per_day = { fit = 0.0; frail = 0.0; }; };\n");
    snprintf(c, sizeof c, zeros_base,
             "harm: { death_waiting_per_day = 0.02; death_blocked_per_day = 0.01;\n"
             "  cfs_gain_per_day = 0.05; };\n");
    struct flyt_scenario *sa = flyt_test_load_text(a, "harm-zeros"),
                         *sb = flyt_test_load_text(b, "harm-zeros"),
                         *sc = flyt_test_load_text(c, "harm-zeros");
    struct flyt_result *ra = flyt_test_run_reps(sa, 2, THREADS),
                       *rb = flyt_test_run_reps(sb, 2, THREADS),
                       *rc = flyt_test_run_reps(sc, 2, THREADS);
    for (unsigned i = 0; i < 2; i++) {
        assert_memory_equal(ra[i].kpi, rb[i].kpi, sizeof ra[i].kpi);
        assert_int_equal(ra[i].n_units, rb[i].n_units);
        assert_memory_equal(ra[i].unit_kpi, rb[i].unit_kpi,
                            sizeof(double) * FLYT_N_UNIT_KPI * ra[i].n_units);
        assert_true(ra[i].engine_events == rb[i].engine_events);
        assert_true(ra[i].kpi[FLYT_KPI_deaths_waiting_hospital] == 0);
        assert_true(ra[i].kpi[FLYT_KPI_deaths_blocked] == 0);
        assert_true(ra[i].kpi[FLYT_KPI_cfs_levels_gained] == 0);
        assert_true(ra[i].kpi[FLYT_KPI_destination_changed] == 0);
        /* switched on, the harm does something everywhere it applies, and
         * the arrivals (their own stream) stay the same */
        assert_true(rc[i].kpi[FLYT_KPI_deaths_waiting_hospital] > 0);
        assert_true(rc[i].kpi[FLYT_KPI_deaths_blocked] > 0);
        assert_true(rc[i].kpi[FLYT_KPI_cfs_levels_gained] > 0);
        assert_true(rc[i].kpi[FLYT_KPI_destination_changed] > 0);
        assert_true(rc[i].kpi[FLYT_KPI_arrivals] == ra[i].kpi[FLYT_KPI_arrivals]);
        printf("harm on, replication %u: %.0f deaths waiting in hospital, %.0f blocked, "
               "%.0f CFS levels gained, destination changed for %.3f\n",
               i, rc[i].kpi[FLYT_KPI_deaths_waiting_hospital], rc[i].kpi[FLYT_KPI_deaths_blocked],
               rc[i].kpi[FLYT_KPI_cfs_levels_gained], rc[i].kpi[FLYT_KPI_destination_changed]);
    }
    flyt_test_free_results(ra, 2);
    flyt_test_free_results(rb, 2);
    flyt_test_free_results(rc, 2);
    flyt_scenario_free(sa);
    flyt_scenario_free(sb);
    flyt_scenario_free(sc);
}

static void bad_values_are_refused(void **state)
{
    (void)state;
    const char *bad[] = { "harm: { death_waiting_per_day = -0.1; };",
                          "harm: { death_blocked_per_day = 2.0; };",
                          "harm: { cfs_gain_per_day = { all = 1.5; }; };",
                          "harm: { death_per_day = 0.1; };" };
    const char *expect[] = { "harm.death_waiting_per_day", "harm.death_blocked_per_day",
                             "harm.cfs_gain_per_day.all", "death_per_day" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char text[TEXT_CAP];
        hospital_only(text, "bad", bad[i], CFS1, "destination = { home = 1.0; };", "");
        struct flyt_diag d;
        flyt_diag_init(&d);
        struct flyt_scenario *s = flyt_scenario_load_string(text, "bad.cfg", NULL, NULL, 0, &d);
        assert_null(s);
        assert_non_null(d.text);
        printf("  %s\n", d.text);
        assert_non_null(strstr(d.text, expect[i]));
        assert_non_null(strstr(d.text, "bad.cfg:7"));
        flyt_diag_free(&d);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exponential_wait_death_share), cmocka_unit_test(fixed_wait_death_share),
        cmocka_unit_test(blocked_death_time),           cmocka_unit_test(deconditioning_poisson),
        cmocka_unit_test(zeros_are_bit_identical),      cmocka_unit_test(bad_values_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
