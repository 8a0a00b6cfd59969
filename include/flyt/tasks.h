/*
 * flyt tasks: the one task runner (implemented in sim/experiment/runner.c).
 *
 * Runs tasks 0..n-1, independent of each other, on threads that take the
 * next task number from a shared counter: dynamic, so a slow task never
 * leaves the other threads idle. A task writes its result into a slot the
 * caller owns, chosen by its number, so the output is bit-identical
 * whatever the thread count or the order in which tasks finish. The
 * replications of flyt run/compare/calibrate, the tasks of a sweep (and an
 * MPI rank's own share of them) and the replications of a forecast all run
 * here.
 *
 * A stop (flyt_engine_interrupt_all or flyt_experiment_request_stop, what
 * SIGINT and SIGTERM use) is honoured between tasks: no task starts after
 * it; the tasks in hand finish (or are cut short by the engine, which sees
 * the same flag). A task that fails (returns a negative number, e.g. out of
 * memory) also stops the taking of new tasks.
 *
 * Hooks are optional (NULL). claim, done and progress are serialised with
 * each other: they may touch shared state without a lock of their own.
 */
#ifndef FLYT_TASKS_H
#define FLYT_TASKS_H

#include <stdbool.h>
#include <stddef.h>

/* flyt_tasks_run's return when the stop flag was up at the end. */
#define FLYT_TASKS_STOPPED 2

struct flyt_tasks {
    size_t n;         /* tasks 0..n-1 */
    unsigned threads; /* 0: one per online CPU; never more than n */
    /* Runs task `task`, unserialised, on any thread. Returns 0; a positive
     * number for a result that is complete but counts as a failure (a
     * replication stopped by the runaway guard): the others go on; or a
     * negative one for an error: no other task starts. */
    int (*run)(void *ctx, size_t task);
    /* Called once per task, in increasing task order, just before it would
     * start; false: it is not run (done before a resume, or taken by
     * someone else: an MPI rank). NULL: every task runs. */
    bool (*claim)(void *ctx, size_t task);
    /* After each task that ran, whatever run returned (for a journal or a
     * checkpoint). */
    void (*done)(void *ctx, size_t task, int rc);
    /* After done: tasks finished so far (already included) of n. */
    void (*progress)(size_t finished, size_t n, void *ctx);
    size_t already; /* tasks done before (a resume), counted by progress */
    void *ctx;
};

struct flyt_tasks_report {
    size_t ran;   /* tasks that ran (done was called for each) */
    bool stopped; /* the stop flag was up at the end */
};

/* Runs the job and returns when every task that started has finished:
 * FLYT_TASKS_STOPPED when the stop flag was up at the end (tasks not
 * started are left alone), else the first negative number a task returned,
 * else 1 when a task returned a positive number, else 0. rep (NULL: none)
 * says how many ran. With one thread the tasks run on the caller's;
 * when no thread can start, the caller runs them all itself. */
int flyt_tasks_run(const struct flyt_tasks *job, struct flyt_tasks_report *rep);

/* The same job started on its threads (always new ones, even for one) so
 * that the caller can do something else meanwhile (MPI rank 0 answers the
 * other ranks); flyt_tasks_wait then waits for it, returns what
 * flyt_tasks_run would, and frees it. NULL when out of memory. The job is
 * copied; its ctx must outlive the wait. */
struct flyt_tasks_pool;
struct flyt_tasks_pool *flyt_tasks_start(const struct flyt_tasks *job);
int flyt_tasks_wait(struct flyt_tasks_pool *p, struct flyt_tasks_report *rep);

/* One per online CPU, at least 1. */
unsigned flyt_tasks_default_threads(void);

/* Whether a stop was asked for (either flag): what the runner checks
 * before each task. */
bool flyt_tasks_stop_requested(void);

#endif
