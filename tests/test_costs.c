/* The cost ledger (sim/model/payment.c, sim/scenario/read_cost.c): the
 * payable days of a wait by hand, the rate of each calendar year, the
 * day-after variant; and on whole runs the identities that tie the cost
 * figures to the unit figures they price. The payable days are also
 * recounted from the event log, independently, by
 * tests/check_warmup_counts.py. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/model.h"
#include "flyt/scenario.h"
#include "model/model.h"
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A model with only what payment.c reads: the window, the calendar and
 * one municipality's account. */
static struct account the_account;

static void pay_model(struct model *m, struct flyt_scenario *s, double warm, double end)
{
    memset(m, 0, sizeof *m);
    memset(&the_account, 0, sizeof the_account);
    m->s = s;
    m->t_warm = warm;
    m->t_end = end;
    m->acct = &the_account;
    m->n_acc = 1;
    assert_int_equal(flyt__pay_init(m), 0);
}

static void pay(struct model *m, double t_ready, double t_receive)
{
    struct patient p = { .t_ready = t_ready };
    flyt__pay_wait(m, &p, t_receive);
}

/* Day 0 is 2024-12-30: days 0 and 1 are priced at 2024's 100, days 2 on
 * at 2025's 200. A wait from 0.5 to 4.2 pays days 0, 1, 2 and 3 (the day
 * the municipality can receive, 4, is not paid): 2 x 100 + 2 x 200. From
 * the day after: days 1, 2, 3. A wait that ends the day it began pays
 * nothing. */
static void payable_days_and_the_rate_of_each_year(void **state)
{
    (void)state;
    struct flyt_scenario s = { .start_year = 2024, .start_month = 12, .start_mday = 30 };
    s.n_pay_years = 2;
    s.pay_year[0] = 2024;
    s.pay_rate[0] = 100;
    s.pay_year[1] = 2025;
    s.pay_rate[1] = 200;
    struct model m;
    pay_model(&m, &s, 0, 10);
    pay(&m, 0.5, 4.2);
    assert_true(m.acct->pay_days == 4 && m.acct->pay_nok == 600);
    pay(&m, 6.1, 6.9);
    assert_true(m.acct->pay_days == 4 && m.acct->pay_nok == 600);
    flyt__pay_free(&m);

    s.pay_from = FLYT_PAY_FROM_DAY_AFTER;
    pay_model(&m, &s, 0, 10);
    pay(&m, 0.5, 4.2);
    assert_true(m.acct->pay_days == 3 && m.acct->pay_nok == 500);
    flyt__pay_free(&m);
}

/* Only the whole days of the window count: warm-up 2.5 to horizon 8.5 is
 * days 3 to 7; a wait from -4 (placed from a census) to 20 pays those 5;
 * years after the table take its last rate, before it its first. */
static void the_window_and_years_outside_the_table(void **state)
{
    (void)state;
    struct flyt_scenario s = { .start_year = 2030, .start_month = 12, .start_mday = 28 };
    s.n_pay_years = 1;
    s.pay_year[0] = 2031;
    s.pay_rate[0] = 7;
    struct model m;
    pay_model(&m, &s, 2.5, 8.5);
    pay(&m, -4, 20);
    assert_true(m.acct->pay_days == 5 && m.acct->pay_nok == 35);
    flyt__pay_free(&m);
    s.n_pay_years = 0;
    s.ukp_day_cost = 3; /* no table: the flat rate */
    pay_model(&m, &s, 2.5, 8.5);
    pay(&m, 3.2, 5.0);
    assert_true(m.acct->pay_days == 2 && m.acct->pay_nok == 6);
    flyt__pay_free(&m);
}

/* On Trondheim 2025 with prices on every unit and role: each unit's cost
 * is what its figures price to, the payers add up, the payment moves
 * money between them, and the payable days lie within one day per wait of
 * the waiting days (a wait of w days pays floor(t + w) - floor(t) days). */
static void the_ledger_adds_up_on_a_run(void **state)
{
    (void)state;
    const char *sets[] = { "cost.units.short_term.bed_day_nok=4000",
                           "cost.units.short_term.place_year_nok=100000",
                           "cost.units.short_term.new_place_nok=2000000",
                           "cost.units.short_term.base_capacity=100",
                           "cost.units.home_care.hour_nok=700",
                           "cost.units.nursing_home.bed_day_nok=3500",
                           "cost.units.hospital.bed_day_nok=12000",
                           "run.horizon_days=240",
                           "run.warmup_days=60" };
    struct flyt_scenario *s =
            flyt_test_load(FLYT_SOURCE_DIR "/scenarios/trondheim-2025.cfg", sets, 9);
    struct flyt_result *res = flyt_test_run_reps(s, 3, 2);
    int st = flyt_test_unit_of(s, "short_term"), hc = flyt_test_unit_of(s, "home_care");
    int h = s->hospital;
    for (unsigned r = 0; r < 3; r++) {
        const double *k = res[r].kpi;
        const double *ks = flyt_result_unit_kpi(&res[r], (unsigned)st);
        const double *kh = flyt_result_unit_kpi(&res[r], (unsigned)hc);
        const double *kk = flyt_result_unit_kpi(&res[r], (unsigned)h);
        /* the places above 100 repaid over 20 years at 4 %: 0.0735818 a year */
        double annuity = 0.04 / (1 - pow(1.04, -20));
        assert_near(ks[FLYT_UNIT_KPI_cost_per_year],
                    ks[FLYT_UNIT_KPI_occupancy] * 365 * 4000 + ks[FLYT_UNIT_KPI_capacity] * 100000 +
                            (ks[FLYT_UNIT_KPI_capacity] - 100) * 2000000 * annuity,
                    1e-6 * ks[FLYT_UNIT_KPI_cost_per_year]);
        assert_true(ks[FLYT_UNIT_KPI_capacity] > 100);
        assert_near(kh[FLYT_UNIT_KPI_cost_per_year], kh[FLYT_UNIT_KPI_hours_used] * 365.0 / 7 * 700,
                    1e-6 * kh[FLYT_UNIT_KPI_cost_per_year]);
        double muni = 0;
        for (int u = 0; u < s->n_units; u++)
            if (u != h)
                muni += flyt_result_unit_kpi(&res[r], (unsigned)u)[FLYT_UNIT_KPI_cost_per_year];
        double pay = k[FLYT_KPI_ukp_payment_per_year];
        assert_near(k[FLYT_KPI_cost_municipality_per_year], muni + pay, 1e-6 * muni);
        assert_near(k[FLYT_KPI_cost_hospital_per_year], kk[FLYT_UNIT_KPI_cost_per_year] - pay,
                    1e-6 * muni);
        assert_near(k[FLYT_KPI_cost_total_per_year], muni + kk[FLYT_UNIT_KPI_cost_per_year],
                    1e-6 * muni);
        /* no table: every payable day at the flat rate */
        assert_near(pay, k[FLYT_KPI_ukp_paid_days_per_year] * s->ukp_day_cost, 1e-6 * pay);
        /* payable days against waiting days: each wait within one day, and
         * about as many waits a year as UKP patients */
        double waits_per_year = (k[FLYT_KPI_ukp_patients] + k[FLYT_KPI_ukp_waits_open]) * 365 / 180;
        assert_true(fabs(k[FLYT_KPI_ukp_paid_days_per_year] - k[FLYT_KPI_ukp_days_per_year]) <
                    1.5 * waits_per_year);
    }
    flyt_test_free_results(res, 3);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(payable_days_and_the_rate_of_each_year),
        cmocka_unit_test(the_window_and_years_outside_the_table),
        cmocka_unit_test(the_ledger_adds_up_on_a_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
