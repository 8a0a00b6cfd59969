/* Gridlock detection (sim/model/gridlock.c): a unit closed for good with
 * patients waiting for it, and a cycle of units whose beds are all held by
 * patients waiting for each other, stop the replication with
 * FLYT_RUN_GRIDLOCK and a message naming the day and the units; a
 * near-gridlock (a later reopening, a free bed, a stay still running, a
 * full unit that waits for one that is not locked) runs to its end. The
 * exact states are built by hand and checked at the first 00:00; the
 * scenarios in scenarios/validation/ reach them by simulation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/model.h"
#include "flyt/scenario.h"
#include "model/model.h"
#include "support.h"

#include <stdio.h>
#include <string.h>

#define VALIDATION FLYT_SOURCE_DIR "/scenarios/validation/"

static struct flyt_result run(const char *path, const char *const *sets, int n, int want_rc)
{
    struct flyt_scenario *s = flyt_test_load(path, sets, n);
    struct flyt_result r;
    int rc = flyt_model_run(s, 0, &r);
    if (rc != want_rc)
        fail_msg("%s: rc %d, want %d (%s)", path ? path : "(embedded)", rc, want_rc,
                 r.status_detail);
    flyt_scenario_free(s);
    return r;
}

static void closed_for_good_is_a_gridlock(void **state)
{
    (void)state;
    struct flyt_result r = run(VALIDATION "gridlock-closure.cfg", NULL, 0, 1);
    assert_int_equal(r.status, FLYT_RUN_GRIDLOCK);
    if (strncmp(r.status_detail, "gridlock on day 50: ", 20) != 0 ||
        !strstr(r.status_detail, "nursing_home (closed)"))
        fail_msg("the message does not name day 50 and nursing_home: %s", r.status_detail);
    flyt_result_free(&r);
}

/* The same closure, reopened on day 300: the queue waits, then moves. */
static void a_later_reopening_is_not_a_gridlock(void **state)
{
    (void)state;
    struct flyt_result r = run(VALIDATION "near-gridlock.cfg", NULL, 0, 0);
    assert_int_equal(r.status, FLYT_RUN_OK);
    assert_true(flyt_result_unit_kpi(&r, 2)[FLYT_UNIT_KPI_admissions] > 0);
    flyt_result_free(&r);
}

static void a_cycle_of_units_is_a_gridlock(void **state)
{
    (void)state;
    struct flyt_result r = run(VALIDATION "gridlock-cycle.cfg", NULL, 0, 1);
    assert_int_equal(r.status, FLYT_RUN_GRIDLOCK);
    if (!strstr(r.status_detail, "short_term (full, waits for rehab)") ||
        !strstr(r.status_detail, "rehab (full, waits for short_term)"))
        fail_msg("the message does not name the cycle: %s", r.status_detail);
    flyt_result_free(&r);
}

/* A strict FIFO caseload whose first applicant asks for more hours than
 * it will ever open admits nobody again; under first fit the others pass
 * that applicant, so it is no gridlock. */
static void a_head_that_never_fits_a_strict_fifo_caseload(void **state)
{
    (void)state;
    const char *sets[] = { "units.home_care.capacity=100", "units.home_care.initial_clients=0",
                           "units.home_care.hours_per_client.mean=200",
                           "units.home_care.queue=first_fit" };
    struct flyt_result r = run(NULL, sets, 3, 1);
    assert_int_equal(r.status, FLYT_RUN_GRIDLOCK);
    if (!strstr(r.status_detail, "home_care (strict FIFO, head asks ") ||
        !strstr(r.status_detail, " h/week > 100 ever open)"))
        fail_msg("the message does not name the head: %s", r.status_detail);
    flyt_result_free(&r);
    r = run(NULL, sets, 4, 0);
    assert_int_equal(r.status, FLYT_RUN_OK);
    flyt_result_free(&r);
}

/* Tandem blocking: the short-term beds are often all held by patients
 * waiting for a nursing home, whose stays run: never a gridlock. */
static void blocking_behind_running_stays_is_not_a_gridlock(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=4000", "run.warmup_days=100" };
    struct flyt_result r = run(VALIDATION "tandem-blocking.cfg", sets, 2, 0);
    assert_int_equal(r.status, FLYT_RUN_OK);
    assert_true(flyt_result_unit_kpi(&r, 1)[FLYT_UNIT_KPI_blocked_days] > 0);
    flyt_result_free(&r);
}

/* Home care closed for good on day 20: its applicants in hospital can never
 * be admitted, though its clients still leave (and the ward's beds are not
 * all blocked). */
static void a_caseload_closed_for_good_is_a_gridlock(void **state)
{
    (void)state;
    const char *text =
            "name = \"caseload\";\n"
            "run: { horizon_days = 100.0; warmup_days = 10.0; replications = 1; seed = 5; };\n"
            "population: { admissions_per_day = 3.0;\n"
            "  cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; };\n"
            "hospital: { los_days = 1.0; ukp_probability = 1.0; };\n"
            "decision: { destination = { home = 0.5; home_care = 0.5; }; };\n"
            "units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
            "  { id = \"home_care\"; kind = \"caseload\"; capacity = 100.0;\n"
            "    hours_per_client = 5.0; rates_per_year = { home = 20.0; };\n"
            "    schedule = ( { from = 20; capacity = 0.0; } ); } );\n";
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, "caseload.cfg", NULL, NULL, 0, &d);
    if (!s)
        fail_msg("%s", d.text ? d.text : "cannot load");
    flyt_diag_free(&d);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, 0, &r), 1);
    assert_int_equal(r.status, FLYT_RUN_GRIDLOCK);
    if (strncmp(r.status_detail, "gridlock on day 2", 17) != 0 ||
        !strstr(r.status_detail, "home_care (0 hours, never reopens)"))
        fail_msg("the message does not name home_care from day 20 on: %s", r.status_detail);
    flyt_result_free(&r);
    flyt_scenario_free(s);
}

/* ---- states built by hand ---- */

/* A macro, so that -Wformat-nonliteral sees the format it is. */
#define CYCLE                                                                         \
    "name = \"hand\";\n"                                                              \
    "run: { horizon_days = 10.0; warmup_days = 1.0; replications = 1; seed = 3; };\n" \
    "population: { admissions_per_day = 0.001;\n"                                     \
    "  cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; };\n"                 \
    "hospital: { los_days = 1.0; ukp_probability = 1.0; };\n"                         \
    "decision: { destination = { short_term = 1.0; }; };\n"                           \
    "units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"      \
    "  { id = \"short_term\"; kind = \"beds\"; capacity = 2; los_days = 100.0;\n"     \
    "    outcome = { home = 0.5; rehab = 0.5; }; },\n"                                \
    "  { id = \"rehab\"; kind = \"beds\"; capacity = 2; los_days = 100.0;\n"          \
    "    outcome = { home = 0.5; short_term = 0.5; }; %s } );\n"

enum { HOSP, ST, RE };
#define RUNNING (-1)

/* Where each hand-placed patient is (a unit) and what for (a unit it is
 * blocked for, or RUNNING: its stay runs). */
struct hand {
    int n;
    int at[8], waits[8];
};

static void place_by_hand(struct model *m, void *arg)
{
    const struct hand *h = arg;
    for (int i = 0; i < h->n; i++) {
        uint32_t id = flyt__patient_new(m, 0, FLYT_STREAM_INITIAL, (uint64_t)i);
        assert_true(id != NIL);
        m->p[id].site = (uint16_t)m->s->hospital;
        m->acct[0].n_initial++;
        struct patient *p = &m->p[id];
        if (h->waits[i] == RUNNING) {
            flyt__start_stay(m, id, h->at[i], 100.0);
            continue;
        }
        p->state = h->at[i] == HOSP ? PS_WAITING : PS_BLOCKED;
        p->unit = (uint16_t)h->at[i];
        if (h->at[i] != HOSP) {
            m->u[h->at[i]].n++;
            m->u[h->at[i]].n_blocked++;
        }
        flyt__queue_push(m, h->waits[i], id);
    }
}

/* Runs the placed state to day `until` (0.5: through the first 00:00);
 * returns the status and copies the message. */
static int check_state(const char *extra, const char *const *sets, int n_sets, const struct hand *h,
                       double until, char *detail)
{
    char text[2048];
    snprintf(text, sizeof text, CYCLE, extra);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, "hand.cfg", NULL, sets, n_sets, &d);
    if (!s)
        fail_msg("%s", d.text ? d.text : "cannot load");
    flyt_diag_free(&d);
    struct model m;
    struct flyt_result r;
    int rc = flyt__model_begin(&m, s, 0, &r, place_by_hand, (void *)h);
    if (rc == 0)
        flyt__run_engine(&m, until);
    rc = flyt__model_end(&m, rc);
    assert_true(rc >= 0);
    int status = r.status;
    snprintf(detail, 128, "%s", r.status_detail);
    flyt_result_free(&r);
    flyt_scenario_free(s);
    return status;
}

/* Both short-term beds held by patients waiting for rehabilitation, both
 * rehabilitation places by patients waiting for a short-term bed, one more
 * in hospital behind them. */
static const struct hand knot = { 5, { ST, ST, RE, RE, HOSP }, { RE, RE, ST, ST, ST } };

static void a_knot_is_found(void **state)
{
    (void)state;
    char detail[128];
    assert_int_equal(check_state("", NULL, 0, &knot, 0.5, detail), FLYT_RUN_GRIDLOCK);
    /* in full it would not fit in status_detail: tersely */
    assert_string_equal(detail, "gridlock on day 0: 5 patients stuck in short_term (full, waits "
                                "for rehab), rehab (full, waits for short_term)");
}

static void a_stay_still_running_is_not_a_knot(void **state)
{
    (void)state;
    char detail[128];
    struct hand h = { 5, { ST, ST, RE, RE, HOSP }, { RE, RE, ST, RUNNING, ST } };
    assert_int_equal(check_state("", NULL, 0, &h, 0.5, detail), FLYT_RUN_OK);
}

static void a_free_bed_is_not_a_knot(void **state)
{
    (void)state;
    char detail[128];
    const char *sets[] = { "units.rehab.capacity=3" };
    assert_int_equal(check_state("", sets, 1, &knot, 0.5, detail), FLYT_RUN_OK);
}

static void a_bed_opening_later_is_not_a_knot(void **state)
{
    (void)state;
    char detail[128];
    assert_int_equal(
            check_state("schedule = ( { from = 5; capacity = 3; } );", NULL, 0, &knot, 0.5, detail),
            FLYT_RUN_OK);
    /* opening after the horizon still opens: the horizon is not the unit's end */
    assert_int_equal(check_state("schedule = ( { from = 50; capacity = 3; } );", NULL, 0, &knot,
                                 0.5, detail),
                     FLYT_RUN_OK);
    /* a yearly closure that lasts past the horizon ends all the same (to
     * 3 beds: a third place) */
    const char *three[] = { "units.rehab.capacity=3" };
    assert_int_equal(check_state("schedule = ( { weeks = [1, 10]; change = -3; } );", three, 1,
                                 &knot, 0.5, detail),
                     FLYT_RUN_OK);
    /* a level that stays at 2 opens nothing */
    assert_int_equal(
            check_state("schedule = ( { from = 5; capacity = 2; } );", NULL, 0, &knot, 0.5, detail),
            FLYT_RUN_GRIDLOCK);
}

/* Short-term beds all waiting for a rehabilitation unit whose stays run:
 * full and blocked, but behind a unit that moves. */
static void full_behind_a_moving_unit_is_not_a_knot(void **state)
{
    (void)state;
    char detail[128];
    struct hand h = { 4, { ST, ST, RE, RE }, { RE, RE, RUNNING, RUNNING } };
    assert_int_equal(check_state("", NULL, 0, &h, 0.5, detail), FLYT_RUN_OK);
}

/* Rehabilitation full of running stays, one patient in hospital waiting
 * for it, closed for good from day 1: no cycle, the closure alone, found
 * on day 1 and not before. */
static void closed_for_good_with_one_waiting(void **state)
{
    (void)state;
    char detail[128];
    struct hand h = { 3, { RE, RE, HOSP }, { RUNNING, RUNNING, RE } };
    const char *closes = "schedule = ( { from = 1; capacity = 0; } );";
    assert_int_equal(check_state(closes, NULL, 0, &h, 0.5, detail), FLYT_RUN_OK);
    assert_int_equal(check_state(closes, NULL, 0, &h, 1.5, detail), FLYT_RUN_GRIDLOCK);
    assert_string_equal(
            detail, "gridlock on day 1: 1 patient can never move: rehab (0 beds, never reopens)");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(closed_for_good_is_a_gridlock),
        cmocka_unit_test(a_later_reopening_is_not_a_gridlock),
        cmocka_unit_test(a_cycle_of_units_is_a_gridlock),
        cmocka_unit_test(a_head_that_never_fits_a_strict_fifo_caseload),
        cmocka_unit_test(blocking_behind_running_stays_is_not_a_gridlock),
        cmocka_unit_test(a_caseload_closed_for_good_is_a_gridlock),
        cmocka_unit_test(a_knot_is_found),
        cmocka_unit_test(a_stay_still_running_is_not_a_knot),
        cmocka_unit_test(a_free_bed_is_not_a_knot),
        cmocka_unit_test(a_bed_opening_later_is_not_a_knot),
        cmocka_unit_test(full_behind_a_moving_unit_is_not_a_knot),
        cmocka_unit_test(closed_for_good_with_one_waiting),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
