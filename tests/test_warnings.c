/* The unstable-unit warnings under the summary table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "output/print/warnings.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The three municipal units after the hospital, as the shipped scenarios
 * have them; only the ids and the hospital flag matter to the warnings. */
enum { HOSPITAL, SHORT_TERM, NURSING_HOME, HOME_CARE, N_UNITS };
static struct flyt_unit units[N_UNITS];
static struct flyt_scenario scenario;

static void network(void)
{
    const char *ids[N_UNITS] = { "hospital", "short_term", "nursing_home", "home_care" };
    memset(units, 0, sizeof units);
    memset(&scenario, 0, sizeof scenario);
    for (int u = 0; u < N_UNITS; u++)
        snprintf(units[u].id, sizeof units[u].id, "%s", ids[u]);
    units[HOSPITAL].hospital = true;
    units[HOME_CARE].kind = FLYT_UNIT_CASELOAD;
    scenario.n_units = N_UNITS;
    scenario.units = units;
    scenario.hospital = HOSPITAL;
}

static void set_util(struct flyt_summary *sum, int u, double util)
{
    sum->unit[(size_t)u * FLYT_N_UNIT_KPI + FLYT_UNIT_KPI_utilisation].mean = util;
}

/* A summary where every unit is comfortably below saturation (the
 * hospital overflowing: it never refuses anyone, so it is no queue). */
static void calm(struct flyt_summary *sum)
{
    network();
    memset(sum, 0, sizeof *sum);
    for (int k = 0; k < FLYT_N_KPI; k++)
        sum->mean[k] = NAN;
    sum->n_units = N_UNITS;
    sum->unit = calloc((size_t)N_UNITS * FLYT_N_UNIT_KPI, sizeof *sum->unit);
    assert_non_null(sum->unit);
    for (size_t i = 0; i < (size_t)N_UNITS * FLYT_N_UNIT_KPI; i++)
        sum->unit[i].mean = NAN;
    set_util(sum, HOSPITAL, 1.20);
    set_util(sum, SHORT_TERM, 0.80);
    set_util(sum, NURSING_HOME, 0.90);
    set_util(sum, HOME_CARE, 0.70);
    sum->mean[FLYT_KPI_occ_ukp] = 20.0;
    sum->mean[FLYT_KPI_ukp_waiting_at_end] = 22.0;
}

static int warnings(struct flyt_summary *sum, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    assert_non_null(f);
    int n = flyt__summary_print_warnings(f, &scenario, sum);
    fclose(f);
    flyt_summary_free(sum);
    return n;
}

static void calm_units_give_no_warning(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    assert_int_equal(warnings(&sum, buf, sizeof buf), 0);
    assert_string_equal(buf, "");
}

/* A heavily loaded unit (0.95, as Trondheim's nursing homes) is not
 * warned about; 0.98 and above is. */
static void utilisation_at_098_is_warned_about(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    set_util(&sum, NURSING_HOME, 0.99);
    set_util(&sum, HOME_CARE, 0.98);
    set_util(&sum, SHORT_TERM, 0.97);
    assert_int_equal(warnings(&sum, buf, sizeof buf), 2);
    assert_non_null(
            strstr(buf, "warning: nursing_home utilisation 0.99: queues may grow without bound\n"));
    assert_non_null(strstr(buf, "warning: home_care utilisation 0.98"));
    assert_null(strstr(buf, "short_term"));
    assert_null(strstr(buf, "hospital"));
}

static void growing_ukp_queue_is_warned_about(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    sum.mean[FLYT_KPI_ukp_waiting_at_end] = 45.0;
    assert_int_equal(warnings(&sum, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "warning: 45.0 UKP patients still waiting at the end"));
}

/* A unit the summary has no figures for (a scenario with more units than
 * the results, or no scenario) is passed over, not read past the end. */
static void units_without_figures_give_no_warning(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    set_util(&sum, HOME_CARE, 1.5);
    sum.n_units = HOME_CARE;
    assert_int_equal(warnings(&sum, buf, sizeof buf), 0);
    calm(&sum);
    set_util(&sum, HOME_CARE, 1.5);
    FILE *f = fmemopen(buf, sizeof buf, "w");
    assert_non_null(f);
    assert_int_equal(flyt__summary_print_warnings(f, NULL, &sum), 0);
    fclose(f);
    flyt_summary_free(&sum);
}

static void undefined_figures_give_no_warning(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    set_util(&sum, SHORT_TERM, NAN);
    sum.mean[FLYT_KPI_occ_ukp] = NAN;
    assert_int_equal(warnings(&sum, buf, sizeof buf), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calm_units_give_no_warning),
        cmocka_unit_test(utilisation_at_098_is_warned_about),
        cmocka_unit_test(growing_ukp_queue_is_warned_about),
        cmocka_unit_test(undefined_figures_give_no_warning),
        cmocka_unit_test(units_without_figures_give_no_warning),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
