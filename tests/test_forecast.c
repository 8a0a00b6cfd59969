/* The forecast's replications on the task runner: the same figures
 * whatever the thread count, and a stop (what SIGINT and SIGTERM ask for)
 * ends the forecast early and says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/census.h"
#include "flyt/engine.h"
#include "flyt/experiment.h"
#include "flyt/forecast.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_errno.h>

#include <stdlib.h>
#include <string.h>

#define REPS 9
#define DAYS 8 /* day 0 and seven days ahead */

static struct flyt_scenario *scen;
static struct flyt_census census;

static int setup(void **state)
{
    (void)state;
    const char *truth_sets[] = { "run.horizon_days=31", "run.warmup_days=0" };
    struct flyt_scenario *truth = flyt_test_load(NULL, truth_sets, 2);
    int rc = flyt_model_census_at(truth, 0, 30, &census);
    flyt_scenario_free(truth);
    const char *sets[] = { "run.horizon_days=8", "run.warmup_days=0" };
    scen = flyt_test_load(NULL, sets, 2);
    return rc == 0 && census.n > 0 && scen ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    flyt_census_free(&census);
    flyt_scenario_free(scen);
    return 0;
}

static void forecast(unsigned threads, struct flyt_forecast *f, flyt_progress_fn progress,
                     int want_rc)
{
    assert_int_equal(flyt_forecast_run(scen, &census, REPS, threads, DAYS, 7, f, progress, NULL),
                     want_rc);
}

static void same(const double *a, const double *b, size_t n)
{
    assert_memory_equal(a, b, n * sizeof *a);
}

static void same_figure(const struct flyt_fc_figure *a, const struct flyt_fc_figure *b)
{
    same(a->path, b->path, (size_t)REPS * DAYS);
    same(a->mean, b->mean, DAYS);
    for (int q = 0; q < FLYT_FC_N_Q; q++)
        same(a->q[q], b->q[q], DAYS);
}

/* Every path, band and probability, bit for bit. */
static void same_forecast(const struct flyt_forecast *a, const struct flyt_forecast *b)
{
    size_t cells = (size_t)REPS * DAYS;
    for (int k = 0; k < FLYT_FC_N_SERIES; k++)
        same_figure(&a->fig[k], &b->fig[k]);
    assert_int_equal(a->n_units, b->n_units);
    assert_int_equal(a->n_units, scen->n_units - 1); /* every unit but the hospital */
    for (size_t i = 0; i < a->n_units; i++) {
        const struct flyt_fc_unit *x = &a->units[i], *y = &b->units[i];
        assert_int_equal(x->unit, y->unit);
        for (int k = 0; k < FLYT_FCU_N_SERIES; k++) {
            assert_int_equal(x->fig[k].path == NULL, y->fig[k].path == NULL);
            if (x->fig[k].path)
                same_figure(&x->fig[k], &y->fig[k]);
        }
        same(x->full, y->full, cells);
        same(x->capacity, y->capacity, DAYS);
        same(x->p_full, y->p_full, DAYS);
    }
    assert_int_equal(a->n_ukp, b->n_ukp);
    assert_memory_equal(a->ukp_row, b->ukp_row, a->n_ukp * sizeof *a->ukp_row);
    same(a->p_still_ukp, b->p_still_ukp, a->n_ukp);
    assert_int_equal(a->stopped, b->stopped);
}

static void the_forecast_is_the_same_for_any_thread_count(void **state)
{
    (void)state;
    struct flyt_forecast one, f;
    forecast(1, &one, NULL, 0);
    assert_int_equal(one.finished, REPS);
    const unsigned threads[] = { 2, 7 };
    for (size_t k = 0; k < 2; k++) {
        forecast(threads[k], &f, NULL, 0);
        assert_int_equal(f.finished, REPS);
        same_forecast(&one, &f);
        flyt_forecast_free(&f);
    }
    flyt_forecast_free(&one);
}

static void a_stop_before_the_forecast_runs_nothing(void **state)
{
    (void)state;
    struct flyt_forecast f;
    flyt_engine_interrupt_all(); /* as a signal handler would */
    forecast(2, &f, NULL, FLYT_EXPERIMENT_STOPPED);
    flyt_engine_clear_interrupt();
    assert_int_equal(f.finished, 0);
    flyt_forecast_free(&f);
}

static void interrupt_after_two(unsigned done, unsigned total, void *ctx)
{
    (void)total;
    (void)ctx;
    if (done == 2)
        flyt_experiment_request_stop(); /* what SIGINT does: both flags */
}

/* No replication starts after the stop; with one thread none is in hand. */
static void a_stop_during_the_forecast_ends_it_early(void **state)
{
    (void)state;
    const unsigned threads[] = { 1, 3 };
    for (size_t k = 0; k < 2; k++) {
        struct flyt_forecast f;
        forecast(threads[k], &f, interrupt_after_two, FLYT_EXPERIMENT_STOPPED);
        flyt_experiment_clear_stop();
        if (threads[k] == 1)
            assert_int_equal(f.finished, 2);
        assert_true(f.finished >= 2 && f.finished <= 2 + threads[k] - 1);
        flyt_forecast_free(&f);
    }
    /* cleared, the next forecast runs in full */
    struct flyt_forecast f;
    forecast(3, &f, NULL, 0);
    assert_int_equal(f.finished, REPS);
    flyt_forecast_free(&f);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_forecast_is_the_same_for_any_thread_count),
        cmocka_unit_test(a_stop_before_the_forecast_runs_nothing),
        cmocka_unit_test(a_stop_during_the_forecast_ends_it_early),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
