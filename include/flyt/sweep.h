/*
 * flyt sweep: one base scenario run at many parameter points.
 *
 * A sweep file (libconfig) names the base scenario, the key paths to vary
 * and how (a full grid, an explicit list of points, or a Sobol or Latin
 * hypercube design over ranges), and the replications per point. Each
 * point is the base scenario with `--set key=value` overrides, so a point
 * is validated exactly like a scenario file.
 *
 * The work is tasks: task t = point * replications + replication. Every
 * point runs with the base seed, so replication r of every point sees the
 * same patients (common random numbers), and a task's result depends only
 * on (sweep file, point, replication): never on threads, shards or ranks.
 *
 * Shards split tasks round-robin (task t belongs to shard t mod N), so
 * every shard gets a share of every point and slow points do not pile up
 * on one shard.
 */
#ifndef FLYT_SWEEP_H
#define FLYT_SWEEP_H

#include "flyt/output.h"
#include "flyt/result.h"
#include "flyt/scenario.h"
#include "flyt/sweep_file.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Parses a sweep file's text and generates its points; touches no other
 * file. name is used in messages. Returns NULL with every problem in diag
 * as "name:line: error: key: message". */
struct flyt_sweep *flyt_sweep_parse(const char *text, const char *name, struct flyt_diag *diag);

/* Reads and parses a sweep file, reads its base scenario, and loads the
 * base at every point (so every point is validated before any work
 * starts); errors in a parameter's value point at the sweep file's line.
 * With scenarios non-NULL, *scenarios gets the n_points loaded scenarios
 * (free with flyt_sweep_free_scenarios); with NULL each point is freed as
 * soon as it is checked, so memory does not grow with the points' 35 KB
 * each. Returns NULL with diag filled. */
struct flyt_sweep *flyt_sweep_load(const char *path, struct flyt_scenario ***scenarios,
                                   struct flyt_diag *diag);

/* The base at one point of a sweep from flyt_sweep_load, loaded again;
 * NULL with diag filled. */
struct flyt_scenario *flyt_sweep_load_point(const struct flyt_sweep *sw, size_t point,
                                            struct flyt_diag *diag);

void flyt_sweep_free(struct flyt_sweep *sw);
void flyt_sweep_free_scenarios(struct flyt_scenario **s, size_t n);

/* Parses "I/N" (0 <= I < N). Returns false when it is not one. */
bool flyt_sweep_parse_shard(const char *text, unsigned *index, unsigned *count);

/* The shard from SLURM_ARRAY_TASK_ID, _COUNT and _MIN when they are set:
 * returns 1 with the shard, 0 when not in a job array, -1 with a message
 * in err when the variables make no sense. */
int flyt_sweep_shard_from_env(unsigned *index, unsigned *count, char *err, size_t errlen);

/* --- Checkpoint journal ---------------------------------------------------
 * Finished tasks are appended to "<output>.journal" as checksummed records,
 * each with one write(), so a process killed at any moment loses at most
 * the tasks in flight; a torn last record fails its checksum and is cut
 * off on resume. Records hold the same bytes the output gets. */
struct flyt_journal;

/* Opens path for appending. With resume, records already there are read
 * into res[task] and done[task] (for tasks < n_tasks) and counted in
 * *n_loaded; the journal must come from the same sweep (hash), the same
 * series setting and the same number of units (every record holds
 * n_units x FLYT_N_UNIT_KPI unit KPIs), and be of this flyt's format. Without resume an existing
 * journal is an error (work would be lost), and so is one whose header fails its checksum. Records
 * that fail theirs end what is read: they and everything after them are
 * cut off (their tasks run again); when that is more than a torn last
 * record, err holds a warning on success (else it is empty). Returns
 * NULL with a message in err. */
struct flyt_journal *flyt_journal_open(const char *path, uint64_t hash, size_t n_tasks, bool series,
                                       unsigned n_units, bool resume, struct flyt_result *res,
                                       bool *done, size_t *n_loaded, char *err, size_t errlen);

/* Appends task's result; the series go in only when the journal keeps
 * them. Not thread-safe: callers serialise. Returns 0 or -1 (errno;
 * EINVAL for a result without the journal's n_units unit KPIs). */
int flyt_journal_append(struct flyt_journal *j, size_t task, const struct flyt_result *r);

/* Flushes to disk and closes; with remove, deletes the file as well. */
int flyt_journal_close(struct flyt_journal *j, bool remove);

/* --- Running ------------------------------------------------------------- */

/* Called after each finished task (serialised). */
typedef void (*flyt_sweep_task_fn)(size_t task, const struct flyt_result *r, void *ctx);

/* Runs every task t < n_tasks with want[t] && !done[t] on `threads`
 * threads (0: one per CPU), dynamically scheduled: res[t] gets the result
 * (series dropped unless keep_series), done[t] becomes true, and on_done
 * is called. scenarios NULL: each point is loaded when its first task
 * starts and freed when its last one ends (tasks go in order, so only
 * about one point per thread is held). The tasks run on the one task
 * runner (flyt/tasks.h): after a stop (SIGINT/SIGTERM) or a failed task no
 * task starts. Returns 0 (also after a stop: the caller asks the signal
 * handler), or -1 when out of memory or a task failed. A task stopped by
 * the runaway guard is a result like any other; one cut short by a stop,
 * or failed, is neither stored nor passed to on_done, so a resume runs it
 * again. */
int flyt_sweep_run_tasks(const struct flyt_sweep *sw, struct flyt_scenario *const *scenarios,
                         const bool *want, bool *done, struct flyt_result *res, unsigned threads,
                         bool keep_series, flyt_sweep_task_fn on_done, void *ctx);

/* Per point, over its replications: the KPI summaries. sum[p]. */
void flyt_sweep_summarise(const struct flyt_sweep *sw, const struct flyt_result *res,
                          struct flyt_summary *sum);

/* --- Merge (sim/sweep/merge.c) -----------------------------------------------
 * Joins shard files into one complete sweep file: all from the same sweep
 * file (hash) and settings, every task exactly once. Problems (a missing
 * shard, named with its tasks; a duplicate task; a file of another sweep)
 * are printed to errs. Returns 0, 2 for bad input, 1 when the output
 * cannot be written. */
int flyt_sweep_merge(const char *const *paths, size_t n_paths, const char *out,
                     const struct flyt_run_meta *meta, FILE *errs);

#ifdef FLYT_MPI
/* --- Open MPI ---------------------------------------------------------------
 * Only in builds with -DFLYT_MPI=ON. Rank 0 hands out tasks one at a time
 * and collects results (and runs tasks itself, on the task runner on a
 * thread of its own); the other ranks run what they are given and send
 * back the result. */

/* True when the process was started by mpirun/srun with an MPI launcher
 * (so MPI may be initialised); false for a plain `flyt` call. */
bool flyt_mpi_launched(void);
int flyt_mpi_init(int *rank, int *size);
void flyt_mpi_finalize(void);
/* Rank 0's v, on every rank (collective). */
int flyt_mpi_bcast_int(int v);
/* Bytes from this rank to rank `to` (flyt optimise's transport, which
 * has a tag of its own): 0 or -1. */
int flyt_mpi_send_bytes(int to, const void *buf, size_t len);
/* The next such message from rank `from`, malloc'd (its length in *len),
 * or NULL. Polls with short sleeps rather than spin a core in a blocking
 * receive, like rank 0 of a sweep. */
void *flyt_mpi_recv_bytes(int from, size_t *len);

/* Collective. On rank 0: runs every task with !done[t] over all ranks,
 * filling res and done and calling on_done for each; other ranks ignore
 * res, done and on_done. Returns 0 or -1 (on every rank). */
int flyt_mpi_run_tasks(const struct flyt_sweep *sw, struct flyt_scenario *const *scenarios,
                       bool *done, struct flyt_result *res, bool keep_series,
                       flyt_sweep_task_fn on_done, void *ctx);
#endif

#endif
