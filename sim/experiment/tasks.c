#include "flyt/tasks.h"
#include "flyt/engine.h"
#include "flyt/experiment.h"
#include "flyt/io.h"
#include "flyt/model.h"
#include "flyt/series.h"
#include "flyt/trace.h"

#include <signal.h>

/* The replications of one experiment, as tasks of the runner. */
struct pool {
    const struct flyt_scenario *s;
    struct flyt_result *results;
    flyt_progress_fn progress;
    void *ctx;
    const struct flyt_trace_hooks *hooks;
    struct flyt_series_reduce *red;
    const struct flyt_experiment_resume *resume;
};

/* Set from signal handlers and read by every worker: sig_atomic_t is what
 * a handler may write; volatile keeps each worker reading it afresh. */
static volatile sig_atomic_t stop_requested;

void flyt_experiment_request_stop(void)
{
    stop_requested = 1;
    flyt_engine_interrupt_all(); /* replications in hand stop too */
}

bool flyt_experiment_stop_requested(void)
{
    return stop_requested != 0;
}

void flyt_experiment_clear_stop(void)
{
    stop_requested = 0;
    flyt_engine_clear_interrupt();
}

static int run_one(const struct pool *pl, unsigned r)
{
    if (!pl->hooks)
        return flyt_model_run(pl->s, r, &pl->results[r]);
    const struct flyt_trace *tr = pl->hooks->begin(pl->hooks->ctx, r);
    int rc = flyt_model_run_traced(pl->s, r, &pl->results[r], tr);
    return pl->hooks->end(pl->hooks->ctx, r, rc) != 0 ? -1 : rc;
}

/* The unit KPIs stay: only the series went into the reducer. */
static void drop_series(struct flyt_result *r)
{
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        free(r->series[k]);
        r->series[k] = NULL;
    }
    free(r->unit_series);
    r->unit_series = NULL;
}

static bool resumed(const struct pool *pl, unsigned r)
{
    return pl->resume && pl->resume->done && pl->resume->done[r];
}

static int task(void *ctx, size_t t)
{
    struct pool *pl = ctx;
    double t0 = flyt_seconds();
    int rc = run_one(pl, (unsigned)t);
    pl->results[t].wall_seconds = flyt_seconds() - t0;
    return rc;
}

static bool claim(void *ctx, size_t t)
{
    return !resumed(ctx, (unsigned)t);
}

/* The checkpoint sees the series before the reducer folds and frees them. */
static void task_done(void *ctx, size_t t, int rc)
{
    struct pool *pl = ctx;
    (void)rc;
    if (pl->red)
        flyt_series_reduce_add(pl->red, &pl->results[t]);
    if (pl->resume && pl->resume->finished)
        pl->resume->finished(pl->resume->ctx, (unsigned)t, &pl->results[t]);
    if (pl->red)
        drop_series(&pl->results[t]);
}

static void report_progress(size_t done, size_t total, void *ctx)
{
    const struct pool *pl = ctx;
    pl->progress((unsigned)done, (unsigned)total, pl->ctx);
}

unsigned flyt_experiment_default_threads(void)
{
    return flyt_tasks_default_threads();
}

int flyt_experiment_run(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                        struct flyt_result *results, flyt_progress_fn progress, void *ctx)
{
    return flyt_experiment_run_traced(s, n_rep, threads, results, progress, ctx, NULL);
}

int flyt_experiment_run_traced(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                               struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                               const struct flyt_trace_hooks *hooks)
{
    return flyt_experiment_run_with(s, n_rep, threads, results, progress, ctx, hooks, NULL, NULL);
}

int flyt_experiment_run_resume(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                               struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                               const struct flyt_trace_hooks *hooks,
                               const struct flyt_experiment_resume *resume)
{
    return flyt_experiment_run_with(s, n_rep, threads, results, progress, ctx, hooks, NULL, resume);
}

int flyt_experiment_run_with(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                             struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                             const struct flyt_trace_hooks *hooks, struct flyt_series_reduce *red,
                             const struct flyt_experiment_resume *resume)
{
    struct pool pl = { .s = s,
                       .results = results,
                       .progress = progress,
                       .ctx = ctx,
                       .hooks = hooks,
                       .red = red,
                       .resume = resume };
    size_t already = 0;
    for (unsigned r = 0; r < n_rep; r++)
        if (resumed(&pl, r)) {
            already++;
            if (red) {
                flyt_series_reduce_add(red, &results[r]);
                drop_series(&results[r]);
            }
        }
    struct flyt_tasks job = { .n = n_rep,
                              .threads = threads,
                              .run = task,
                              .claim = resume && resume->done ? claim : NULL,
                              .done = task_done,
                              .progress = progress ? report_progress : NULL,
                              .already = already,
                              .ctx = &pl };
    return flyt_tasks_run(&job, NULL);
}
