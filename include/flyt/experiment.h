/*
 * flyt experiment: runs the replications of a scenario, in parallel threads
 * (as tasks of the one runner, flyt/tasks.h).
 *
 * Replication r always runs with streams keyed by r, and results land in
 * results[r], so the output is bit-identical whatever the thread count or
 * the order in which threads finish.
 */
#ifndef FLYT_EXPERIMENT_H
#define FLYT_EXPERIMENT_H

#include "flyt/result.h"
#include "flyt/scenario.h"
#include "flyt/tasks.h"

#include <stdbool.h>

/* Called after each finished replication (from worker threads, serialised). */
typedef void (*flyt_progress_fn)(unsigned done, unsigned total, void *ctx);

/* Runs replications 0..n_rep-1 into results[0..n_rep-1] (caller frees each
 * with flyt_result_free). threads 0 means one per online CPU.
 * Returns 0 when all completed, 1 when any stopped early (see each
 * result's status), -1 when out of memory (no replication starts after
 * it), FLYT_EXPERIMENT_STOPPED when a stop was requested (results of
 * replications never started stay zeroed; all may still be freed). */
#define FLYT_EXPERIMENT_STOPPED FLYT_TASKS_STOPPED
int flyt_experiment_run(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                        struct flyt_result *results, flyt_progress_fn progress, void *ctx);

unsigned flyt_experiment_default_threads(void);

/* Per-replication tracing (flyt run --patients/--events): begin gives the
 * trace for replication rep (NULL: run it untraced and let end report the
 * failure), called on the worker thread just before the run; end is called
 * on that thread after it with flyt_model_run's return value, and a
 * nonzero return counts as a failed replication (-1). */
struct flyt_trace;
struct flyt_trace_hooks {
    const struct flyt_trace *(*begin)(void *ctx, unsigned rep);
    int (*end)(void *ctx, unsigned rep, int rc);
    void *ctx;
};

/* flyt_experiment_run with tracing hooks (NULL: none). */
int flyt_experiment_run_traced(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                               struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                               const struct flyt_trace_hooks *hooks);

/* Resuming (flyt run/compare --resume): replications with done[r] set are
 * taken as already in results[r] and not run (they count as done for the
 * progress line); finished(ctx, r, &results[r]) is called after every
 * replication that ran, whatever its status, serialised with progress, so
 * that it can be checkpointed. */
struct flyt_experiment_resume {
    const bool *done; /* n_rep flags, or NULL */
    void (*finished)(void *ctx, unsigned rep, const struct flyt_result *res);
    void *ctx;
};

/* flyt_experiment_run_traced, and: red (NULL: series kept whole) folds each
 * replication's daily series into red as the replication finishes and frees
 * them, so that the series of all replications are never in memory
 * together: results[r].series are NULL afterwards (n_days stays); the
 * folding is serialised and red's figures do not depend on the order.
 * resume (NULL: none) skips replications already done and checkpoints the
 * others (their series are checkpointed before they are folded); resumed
 * replications are folded into red before any runs. */
struct flyt_series_reduce;
int flyt_experiment_run_with(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                             struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                             const struct flyt_trace_hooks *hooks, struct flyt_series_reduce *red,
                             const struct flyt_experiment_resume *resume);
/* flyt_experiment_run_with without a reducer. */
int flyt_experiment_run_resume(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                               struct flyt_result *results, flyt_progress_fn progress, void *ctx,
                               const struct flyt_trace_hooks *hooks,
                               const struct flyt_experiment_resume *resume);

/* Asks every running experiment (every runner: sweeps and forecasts too) to
 * stop: workers finish the replication in hand and take no other.
 * Async-signal-safe (it only sets volatile sig_atomic_t flags), so a
 * signal handler may call it. The request stays until
 * flyt_experiment_clear_stop(). */
void flyt_experiment_request_stop(void);
bool flyt_experiment_stop_requested(void);
void flyt_experiment_clear_stop(void);

#endif
