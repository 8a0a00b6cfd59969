/* The experiment runner's stop request (what SIGINT/SIGTERM use), results
 * by replication whatever the thread count, and a failing replication. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include "flyt/experiment.h"
#include "flyt/scenario.h"

#include <stdlib.h>
#include <string.h>

#define N_REP 6

/* Asks for a stop from inside the run, as a signal handler would. */
static void stop_after_first(unsigned done, unsigned total, void *ctx)
{
    (void)total;
    (void)ctx;
    if (done == 1)
        flyt_experiment_request_stop();
}

static void run_with(unsigned threads, flyt_progress_fn progress, int want_rc, unsigned *ran)
{
    const char *sets[] = { "run.horizon_days=60.0", "run.warmup_days=10.0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_result res[N_REP] = { 0 };
    assert_int_equal(flyt_experiment_run(s, N_REP, threads, res, progress, NULL), want_rc);
    *ran = 0;
    for (int r = 0; r < N_REP; r++) {
        *ran += res[r].wall_seconds > 0;
        flyt_result_free(&res[r]);
    }
    flyt_scenario_free(s);
}

static void stop_before_the_run_runs_nothing(void **state)
{
    (void)state;
    unsigned ran;
    flyt_experiment_request_stop();
    assert_true(flyt_experiment_stop_requested());
    run_with(2, NULL, FLYT_EXPERIMENT_STOPPED, &ran);
    assert_int_equal(ran, 0);
    flyt_experiment_clear_stop();
    assert_false(flyt_experiment_stop_requested());
}

static void stop_during_the_run_ends_at_a_replication_boundary(void **state)
{
    (void)state;
    unsigned ran;
    run_with(1, stop_after_first, FLYT_EXPERIMENT_STOPPED, &ran);
    assert_int_equal(ran, 1);
    flyt_experiment_clear_stop();
}

static void cleared_stop_runs_everything(void **state)
{
    (void)state;
    unsigned ran;
    run_with(2, NULL, 0, &ran);
    assert_int_equal(ran, N_REP);
}

static void load_run(unsigned threads, struct flyt_result *res)
{
    const char *sets[] = { "run.horizon_days=60.0", "run.warmup_days=10.0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    memset(res, 0, N_REP * sizeof *res);
    assert_int_equal(flyt_experiment_run(s, N_REP, threads, res, NULL, NULL), 0);
    flyt_scenario_free(s);
}

static void results_are_the_same_for_any_thread_count(void **state)
{
    (void)state;
    struct flyt_result one[N_REP], res[N_REP];
    load_run(1, one);
    const unsigned threads[] = { 2, 7 };
    for (size_t k = 0; k < 2; k++) {
        load_run(threads[k], res);
        for (int r = 0; r < N_REP; r++) {
            assert_int_equal(res[r].status, one[r].status);
            assert_memory_equal(res[r].kpi, one[r].kpi, sizeof one[r].kpi);
            assert_int_equal(res[r].n_days, one[r].n_days);
            for (int k2 = 0; k2 < FLYT_N_SERIES; k2++)
                if (one[r].series[k2])
                    assert_memory_equal(res[r].series[k2], one[r].series[k2],
                                        one[r].n_days * sizeof(double));
            flyt_result_free(&res[r]);
        }
    }
    for (int r = 0; r < N_REP; r++)
        flyt_result_free(&one[r]);
}

static const struct flyt_trace *no_trace(void *ctx, unsigned rep)
{
    (void)ctx;
    (void)rep;
    return NULL;
}

/* Replication 1's trace cannot be written (a full disk, say). */
static int fail_second(void *ctx, unsigned rep, int rc)
{
    (void)ctx;
    (void)rc;
    return rep == 1;
}

static void a_failing_replication_stops_the_rest(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60.0", "run.warmup_days=10.0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_result res[N_REP] = { 0 };
    const struct flyt_trace_hooks hooks = { no_trace, fail_second, NULL };
    assert_int_equal(flyt_experiment_run_traced(s, N_REP, 1, res, NULL, NULL, &hooks), -1);
    for (int r = 0; r < N_REP; r++) {
        assert_true((res[r].wall_seconds > 0) == (r <= 1));
        flyt_result_free(&res[r]);
    }
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_before_the_run_runs_nothing),
        cmocka_unit_test(stop_during_the_run_ends_at_a_replication_boundary),
        cmocka_unit_test(cleared_stop_runs_everything),
        cmocka_unit_test(results_are_the_same_for_any_thread_count),
        cmocka_unit_test(a_failing_replication_stops_the_rest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
