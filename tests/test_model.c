/* Model properties that are promises to users rather than queueing theory:
 * common random numbers hold across horizons and capacity changes, and
 * counts at the warm-up follow docs/kpis.md. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/census.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "support.h"

#include <math.h>
#include <string.h>

#ifndef FLYT_SOURCE_DIR
#error "FLYT_SOURCE_DIR must be defined"
#endif
#define NH_QUEUE_CFG FLYT_SOURCE_DIR "/scenarios/validation/warmup-nh-queue.cfg"

static struct flyt_scenario *load(const char *const *sets, int n)
{
    return flyt_test_load(NULL, sets, n);
}

static unsigned unit_of(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return (unsigned)u;
    fail_msg("no unit '%s'", id);
    return 0;
}

/* A unit's KPI k in one result. */
static double ukpi(const struct flyt_scenario *s, const struct flyt_result *r, const char *id,
                   int k)
{
    return flyt_result_unit_kpi(r, unit_of(s, id))[k];
}

/* A longer horizon must not move the arrivals of the days both runs share:
 * the arrival stream depends only on the rates up to each day. */
static void longer_horizon_keeps_earlier_arrivals(void **state)
{
    (void)state;
    const char *shorter[] = { "run.horizon_days=485" };
    const char *longer[] = { "run.horizon_days=850" };
    struct flyt_scenario *a = load(shorter, 1), *b = load(longer, 1);
    struct flyt_result ra, rb;
    assert_int_equal(flyt_model_run(a, 3, &ra), 0);
    assert_int_equal(flyt_model_run(b, 3, &rb), 0);
    assert_true(ra.n_days < rb.n_days);
    assert_memory_equal(ra.series[FLYT_SERIES_arrivals], rb.series[FLYT_SERIES_arrivals],
                        ra.n_days * sizeof(double));
    flyt_result_free(&ra);
    flyt_result_free(&rb);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

/* More beds change where patients wait, not who arrives or how ill they are:
 * arrivals and the hospital census in treatment are the same patients. */
static void more_beds_same_patients(void **state)
{
    (void)state;
    const char *more[] = { "units.short_term.capacity=160" };
    struct flyt_scenario *a = load(NULL, 0), *b = load(more, 1);
    struct flyt_result ra, rb;
    assert_int_equal(flyt_model_run(a, 0, &ra), 0);
    assert_int_equal(flyt_model_run(b, 0, &rb), 0);
    assert_memory_equal(ra.series[FLYT_SERIES_arrivals], rb.series[FLYT_SERIES_arrivals],
                        ra.n_days * sizeof(double));
    assert_true(ra.kpi[FLYT_KPI_arrivals] == rb.kpi[FLYT_KPI_arrivals]);
    assert_true(ukpi(a, &ra, "short_term", FLYT_UNIT_KPI_occupancy) !=
                ukpi(b, &rb, "short_term", FLYT_UNIT_KPI_occupancy));
    flyt_result_free(&ra);
    flyt_result_free(&rb);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
}

/* Replication r is the same whether run alone or among others. */
static void replication_depends_only_on_its_number(void **state)
{
    (void)state;
    struct flyt_scenario *s = load(NULL, 0);
    struct flyt_result r1, r2, other;
    assert_int_equal(flyt_model_run(s, 5, &r1), 0);
    assert_int_equal(flyt_model_run(s, 6, &other), 0);
    assert_int_equal(flyt_model_run(s, 5, &r2), 0);
    assert_memory_equal(r1.kpi, r2.kpi, sizeof r1.kpi);
    assert_true(memcmp(r1.kpi, other.kpi, sizeof r1.kpi) != 0);
    flyt_result_free(&r1);
    flyt_result_free(&r2);
    flyt_result_free(&other);
    flyt_scenario_free(s);
}

/* Nursing homes full with a queue from before the warm-up: every death
 * frees a bed that the queue fills at once, so admissions equal deaths,
 * whenever the patient applied (the repro: 2.2 against 15.4). */
static void nh_admissions_count_patients_queued_in_warm_up(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load(NH_QUEUE_CFG, NULL, 0);
    for (unsigned rep = 0; rep < 5; rep++) {
        struct flyt_result r;
        assert_int_equal(flyt_model_run(s, rep, &r), 0);
        unsigned nh = unit_of(s, "nursing_home");
        /* a queue at the warm-up */
        assert_true(flyt_result_unit_series(&r, nh, FLYT_USERIES_queue)[0] > 0);
        const double *k = flyt_result_unit_kpi(&r, nh);
        assert_true(k[FLYT_UNIT_KPI_deaths] > 5);
        assert_near(k[FLYT_UNIT_KPI_admissions], k[FLYT_UNIT_KPI_deaths], 0);
        flyt_result_free(&r);
    }
    flyt_scenario_free(s);
}

/* Without a warm-up the short-term beds filled at time 0 are placed, not
 * admitted: with nobody ever sent to a short-term bed there is no admission. */
static void st_admissions_leave_out_beds_filled_at_time_0(void **state)
{
    (void)state;
    const char *sets[] = { "run.warmup_days=0", "hospital.ukp_probability=0" };
    struct flyt_scenario *s = flyt_test_load(NH_QUEUE_CFG, sets, 2);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, 0, &r), 0);
    assert_near(r.kpi[FLYT_KPI_patients_initial], 28, 0);
    assert_near(ukpi(s, &r, "short_term", FLYT_UNIT_KPI_admissions), 0, 0);
    assert_true(isnan(ukpi(s, &r, "short_term", FLYT_UNIT_KPI_admission_cfs_mean)));
    flyt_result_free(&r);

    /* the same for a run from a census */
    struct flyt_census c = { 0 };
    int st = -1;
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, "short_term") == 0)
            st = u;
    assert_true(st >= 0);
    struct flyt_census_patient cp = { .loc = (int16_t)st,
                                      .dest = -1,
                                      .cfs = 4,
                                      .age_band = -1,
                                      .complex = 0,
                                      .elapsed_days = 2.0,
                                      .queued_days = -1,
                                      .hours = -1 };
    for (int i = 0; i < 6; i++)
        assert_int_equal(flyt_census_add(&c, &cp), 0);
    assert_int_equal(flyt_model_run_census(s, &c, 0, &r, NULL), 0);
    assert_near(r.kpi[FLYT_KPI_patients_initial], 6, 0);
    assert_near(ukpi(s, &r, "short_term", FLYT_UNIT_KPI_admissions), 0, 0);
    flyt_result_free(&r);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(longer_horizon_keeps_earlier_arrivals),
        cmocka_unit_test(more_beds_same_patients),
        cmocka_unit_test(replication_depends_only_on_its_number),
        cmocka_unit_test(nh_admissions_count_patients_queued_in_warm_up),
        cmocka_unit_test(st_admissions_leave_out_beds_filled_at_time_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
