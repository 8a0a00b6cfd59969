/* The unstable-unit warnings under the summary table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "output/warnings.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A summary where every unit is comfortably below saturation. */
static void calm(struct flyt_summary *sum)
{
    memset(sum, 0, sizeof *sum);
    for (int k = 0; k < FLYT_N_KPI; k++)
        sum->mean[k] = NAN;
    sum->mean[FLYT_KPI_util_short_term] = 0.80;
    sum->mean[FLYT_KPI_util_nursing_home] = 0.90;
    sum->mean[FLYT_KPI_util_home_care] = 0.70;
    sum->mean[FLYT_KPI_occ_ukp] = 20.0;
    sum->mean[FLYT_KPI_ukp_waiting_at_end] = 22.0;
}

static int warnings(const struct flyt_summary *sum, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    assert_non_null(f);
    int n = flyt__summary_print_warnings(f, sum);
    fclose(f);
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
    sum.mean[FLYT_KPI_util_nursing_home] = 0.99;
    sum.mean[FLYT_KPI_util_home_care] = 0.98;
    sum.mean[FLYT_KPI_util_short_term] = 0.97;
    assert_int_equal(warnings(&sum, buf, sizeof buf), 2);
    assert_non_null(
            strstr(buf, "warning: nursing_home utilisation 0.99: queues may grow without bound\n"));
    assert_non_null(strstr(buf, "warning: home_care utilisation 0.98"));
    assert_null(strstr(buf, "short_term"));
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

static void undefined_figures_give_no_warning(void **state)
{
    (void)state;
    struct flyt_summary sum;
    char buf[1024] = "";
    calm(&sum);
    sum.mean[FLYT_KPI_util_short_term] = NAN;
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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
