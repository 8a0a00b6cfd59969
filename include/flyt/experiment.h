/*
 * flyt experiment: runs the replications of a scenario, in parallel threads.
 *
 * Replication r always runs with streams keyed by r, and results land in
 * results[r], so the output is bit-identical whatever the thread count or
 * the order in which threads finish.
 */
#ifndef FLYT_EXPERIMENT_H
#define FLYT_EXPERIMENT_H

#include "flyt/result.h"
#include "flyt/scenario.h"

/* Called after each finished replication (from worker threads, serialised). */
typedef void (*flyt_progress_fn)(unsigned done, unsigned total, void *ctx);

/* Runs replications 0..n_rep-1 into results[0..n_rep-1] (caller frees each
 * with flyt_result_free). threads 0 means one per online CPU.
 * Returns 0 when all completed, 1 when any stopped early (see each
 * result's status), -1 when out of memory or a thread could not start. */
int flyt_experiment_run(const struct flyt_scenario *s, unsigned n_rep, unsigned threads,
                        struct flyt_result *results, flyt_progress_fn progress, void *ctx);

unsigned flyt_experiment_default_threads(void);

#endif
