#include "flyt/engine.h"
#include "flyt/experiment.h"
#include "flyt/io.h"
#include "flyt/model.h"
#include "flyt/series.h"
#include "flyt/trace.h"

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

struct pool {
    const struct flyt_scenario *s;
    struct flyt_result *results;
    unsigned n_rep, next, done;
    int worst;
    flyt_progress_fn progress;
    void *ctx;
    const struct flyt_trace_hooks *hooks;
    struct flyt_series_reduce *red;
    const struct flyt_experiment_resume *resume;
    pthread_mutex_t lock;
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

/* Workers take the next replication number from a shared counter: dynamic,
 * so a slow replication never leaves the other threads idle. */
static void *worker(void *arg)
{
    struct pool *pl = arg;
    for (;;) {
        pthread_mutex_lock(&pl->lock);
        if (stop_requested)
            pl->next = pl->n_rep;
        while (pl->next < pl->n_rep && resumed(pl, pl->next))
            pl->next++;
        unsigned r = pl->next < pl->n_rep ? pl->next++ : pl->n_rep;
        pthread_mutex_unlock(&pl->lock);
        if (r == pl->n_rep)
            return NULL;
        double t0 = flyt_seconds();
        int rc = run_one(pl, r);
        pl->results[r].wall_seconds = flyt_seconds() - t0;
        pthread_mutex_lock(&pl->lock);
        if (rc < 0 || (rc > 0 && pl->worst == 0))
            pl->worst = rc;
        if (pl->red)
            flyt_series_reduce_add(pl->red, &pl->results[r]);
        pl->done++;
        if (pl->resume && pl->resume->finished)
            pl->resume->finished(pl->resume->ctx, r, &pl->results[r]);
        if (pl->progress)
            pl->progress(pl->done, pl->n_rep, pl->ctx);
        pthread_mutex_unlock(&pl->lock);
        if (pl->red)
            drop_series(&pl->results[r]);
    }
}

unsigned flyt_experiment_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
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
                       .n_rep = n_rep,
                       .progress = progress,
                       .ctx = ctx,
                       .hooks = hooks,
                       .red = red,
                       .resume = resume };
    for (unsigned r = 0; r < n_rep; r++)
        if (resumed(&pl, r)) {
            pl.done++;
            if (red) {
                flyt_series_reduce_add(red, &results[r]);
                drop_series(&results[r]);
            }
        }
    if (threads == 0)
        threads = flyt_experiment_default_threads();
    if (threads > n_rep)
        threads = n_rep ? n_rep : 1;
    pthread_mutex_init(&pl.lock, NULL);
    if (threads == 1) {
        worker(&pl);
        pthread_mutex_destroy(&pl.lock);
        return stop_requested ? FLYT_EXPERIMENT_STOPPED : pl.worst;
    }
    pthread_t *tid = calloc(threads, sizeof *tid);
    unsigned started = 0;
    if (tid)
        while (started < threads && pthread_create(&tid[started], NULL, worker, &pl) == 0)
            started++;
    if (started == 0)
        worker(&pl); /* no thread could start: do the work here */
    for (unsigned i = 0; i < started; i++)
        pthread_join(tid[i], NULL);
    free(tid);
    pthread_mutex_destroy(&pl.lock);
    return stop_requested ? FLYT_EXPERIMENT_STOPPED : pl.worst;
}
