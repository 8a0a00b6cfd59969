/* Guards against runs that never end or never stop: working-day delays in
 * closed form (bit for bit what counting day by day gave), a handler that
 * reschedules itself without the clock moving, a signal during a
 * replication or during the initial fill, and the runaway guard on every
 * way patients enter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/engine.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "model/model.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* The day-by-day loop that flyt__add_working_days replaced, kept here as
 * the reference it must match. */
static double reference_working_days(int start_weekday, double t, double d)
{
    for (int guard = 0; guard < 1000000; guard++) {
        double day_end = floor(t) + 1.0;
        if (((size_t)start_weekday + (size_t)t) % 7 >= 5) {
            t = day_end;
            continue;
        }
        if (d <= day_end - t)
            return t + d;
        d -= day_end - t;
        t = day_end;
    }
    return NAN;
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 11;
}

static double unit(uint64_t *x)
{
    return (double)lcg(x) * 0x1p-53;
}

static void working_days_match_counting_day_by_day(void **state)
{
    (void)state;
    struct flyt_scenario s;
    struct model m;
    memset(&s, 0, sizeof s);
    memset(&m, 0, sizeof m);
    m.s = &s;
    uint64_t x = 12345;
    const double scale[] = { 0.0, 1e-9, 0.5, 1.0, 3.0, 10.0, 60.0, 1000.0, 20000.0 };
    long checked = 0;
    for (int w = 0; w < 7; w++) {
        s.start_weekday = w;
        for (size_t k = 0; k < sizeof scale / sizeof scale[0]; k++)
            for (int i = 0; i < 2000; i++) {
                double t = i % 4 == 0 ? (double)(lcg(&x) % 3000) : 3000.0 * unit(&x);
                double d = i % 3 == 0 ? floor(scale[k] * unit(&x)) + (i % 2) : scale[k] * unit(&x);
                double want = reference_working_days(w, t, d);
                double got = flyt__add_working_days(&m, t, d);
                if (memcmp(&want, &got, sizeof got) != 0)
                    fail_msg("weekday %d, t = %.17g, d = %.17g: want %.17g, got %.17g", w, t, d,
                             want, got);
                checked++;
            }
    }
    assert_true(checked == 7L * 9 * 2000);
}

/* A delay of a million working days takes 1.4 million calendar days, give
 * or take a weekend, and ends on a working day. */
static void long_working_day_delays_are_closed_form(void **state)
{
    (void)state;
    struct flyt_scenario s;
    struct model m;
    memset(&s, 0, sizeof s);
    memset(&m, 0, sizeof m);
    m.s = &s;
    for (int w = 0; w < 7; w++) {
        s.start_weekday = w;
        double t = 10.25, end = flyt__add_working_days(&m, t, 1e6 + 0.5);
        assert_true(fabs((end - t) - (1e6 + 0.5) * 7.0 / 5.0) < 3.0);
        assert_true(((size_t)w + (size_t)end) % 7 < 5);
        assert_true(flyt__add_working_days(&m, t, INFINITY) == INFINITY);
    }
}

/* ---- the engine's guard ---- */

struct loop_ctx {
    long calls, limit;
};

static void same_time_again(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    struct loop_ctx *c = ctx;
    if (++c->calls < c->limit)
        flyt_engine_schedule(e, ev->t, ev->kind, ev->id, ev->tag);
}

static void engine_stops_a_handler_that_loops_at_one_instant(void **state)
{
    (void)state;
    struct loop_ctx c = { 0, 1L << 40 };
    struct flyt_engine *e = flyt_engine_new(2, 16, &c);
    assert_non_null(e);
    flyt_engine_on(e, 1, same_time_again);
    flyt_engine_schedule(e, 5.0, 1, 0, 0);
    flyt_engine_run(e, 100.0);
    assert_int_equal(flyt_engine_end_reason(e), FLYT_ENGINE_STUCK);
    assert_int_equal(flyt_engine_stuck_kind(e), 1);
    assert_true(flyt_engine_now(e) == 5.0);
    assert_true(c.calls < 20L * 1000 * 1000); /* found within the limit, not after */
    flyt_engine_free(e);
}

/* Many events really due at one instant are not a loop: each was booked
 * before the clock got there, and the guard scales with them. */
static void engine_lets_a_large_burst_at_one_instant_run(void **state)
{
    (void)state;
    struct loop_ctx c = { 0, 0 };
    struct flyt_engine *e = flyt_engine_new(2, 16, &c);
    assert_non_null(e);
    flyt_engine_on(e, 1, same_time_again);
    const long n = 6L * 1000 * 1000;
    for (long i = 0; i < n; i++)
        assert_int_equal(flyt_engine_schedule(e, 3.0, 1, (uint32_t)i, 0), 0);
    uint64_t ran = flyt_engine_run(e, 10.0);
    assert_int_equal(flyt_engine_end_reason(e), FLYT_ENGINE_DONE);
    assert_true(ran == (uint64_t)n);
    flyt_engine_free(e);
}

static void later(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    struct loop_ctx *c = ctx;
    c->calls++;
    if (c->calls == 1000)
        flyt_engine_interrupt_all(); /* as a signal handler would */
    flyt_engine_schedule(e, ev->t + 1e-6, ev->kind, ev->id, ev->tag);
}

static void engine_honours_an_interrupt_within_a_replication(void **state)
{
    (void)state;
    struct loop_ctx c = { 0, 0 };
    struct flyt_engine *e = flyt_engine_new(2, 16, &c);
    assert_non_null(e);
    flyt_engine_on(e, 1, later);
    flyt_engine_schedule(e, 0.0, 1, 0, 0);
    flyt_engine_run(e, 1e9);
    flyt_engine_clear_interrupt();
    assert_int_equal(flyt_engine_end_reason(e), FLYT_ENGINE_INTERRUPTED);
    assert_true(c.calls < 200000);
    flyt_engine_free(e);
}

/* ---- the model: stuck, interrupted, runaway ---- */

static const char small[] =
        "name = \"guards\";\n"
        "run: { horizon_days = 60.0; warmup_days = 10.0; replications = 1; seed = 7L; };\n"
        "population: { admissions_per_day = 20.0;\n"
        "  cfs_mix = [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05]; };\n"
        "hospital: { los_days = { dist = \"exponential\"; mean = 3.0; };\n"
        "  ukp_probability = 0.6; };\n"
        "decision: { delay_days = { dist = \"fixed\"; value = 0.0; };\n"
        "  working_days_only = true;\n"
        "  destination = { home = 0.4; short_term = 0.6; }; };\n"
        "units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
        "  { id = \"short_term\"; kind = \"beds\"; capacity = 40; los_days = 10.0;\n"
        "    outcome = { home = 1.0; }; admission_days = \"weekdays\"; } );\n";

static struct flyt_scenario *load_small(const char *const *sets, int n)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(small, "guards.cfg", NULL, sets, n, &d);
    if (!s)
        fail_msg("%s", d.text ? d.text : "cannot load");
    flyt_diag_free(&d);
    return s;
}

/* Weekend decisions with no delay all fall due at Monday 00:00: a burst
 * at one instant that the guard must not take for a loop. */
static void zero_working_day_delays_are_not_a_loop(void **state)
{
    (void)state;
    struct flyt_scenario *s = load_small(NULL, 0);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, 0, &r), 0);
    assert_int_equal(r.status, FLYT_RUN_OK);
    flyt_result_free(&r);
    flyt_scenario_free(s);
}

static void an_interrupt_stops_the_initial_fill(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60",
                           "run.warmup_days=10",
                           "run.replications=1",
                           "run.max_patients=1000000000",
                           "units.short_term.capacity=10000000",
                           "units.short_term.initial_occupancy=1.0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 6);
    struct flyt_result r;
    flyt_engine_interrupt_all();
    int rc = flyt_model_run(s, 0, &r);
    flyt_engine_clear_interrupt();
    assert_int_equal(rc, 1);
    assert_int_equal(r.status, FLYT_RUN_STOPPED);
    flyt_result_free(&r);
    flyt_scenario_free(s);
}

/* Ten million short-term beds filled at the start are more patients than
 * the guard allows: the replication stops during the fill, in bounded
 * memory, and the message names the unit being filled (by its id), not
 * home care. */
static void runaway_guard_covers_the_initial_fill(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60",
                           "run.warmup_days=10",
                           "run.replications=1",
                           "run.max_patients=50000",
                           "units.short_term.capacity=10000000",
                           "units.short_term.initial_occupancy=0.9" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 6);
    struct flyt_result r;
    assert_int_equal(flyt_model_run(s, 0, &r), 1);
    assert_int_equal(r.status, FLYT_RUN_RUNAWAY);
    if (!strstr(r.status_detail, "in short_term so far"))
        fail_msg("runaway message does not name the short-term unit: %s", r.status_detail);
    assert_non_null(strstr(r.status_detail, "initial occupancy"));
    flyt_result_free(&r);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(working_days_match_counting_day_by_day),
        cmocka_unit_test(long_working_day_delays_are_closed_form),
        cmocka_unit_test(engine_stops_a_handler_that_loops_at_one_instant),
        cmocka_unit_test(engine_lets_a_large_burst_at_one_instant_run),
        cmocka_unit_test(engine_honours_an_interrupt_within_a_replication),
        cmocka_unit_test(zero_working_day_delays_are_not_a_loop),
        cmocka_unit_test(an_interrupt_stops_the_initial_fill),
        cmocka_unit_test(runaway_guard_covers_the_initial_fill),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
