/* The experiment runner's stop request (what SIGINT/SIGTERM use). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include "flyt/experiment.h"
#include "flyt/scenario.h"

#include <stdlib.h>

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stop_before_the_run_runs_nothing),
        cmocka_unit_test(stop_during_the_run_ends_at_a_replication_boundary),
        cmocka_unit_test(cleared_stop_runs_everything),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
