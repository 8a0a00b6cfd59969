/*
 * flyt log: the patient and event logs of flyt run --patients / --events,
 * streamed into the run file while the replications run.
 *
 * The file is created on disk as "<path>.partial" before the run; each
 * replication's rows are assembled on its own thread in blocks of 4096 and
 * appended to extendible datasets in replication order (a replication that
 * finishes before an earlier one parks its blocks in an anonymous
 * temporary file until its turn), so memory does not grow with the horizon
 * and the file is the same for any thread count. After the run,
 * flyt_h5_log_finish writes the summary into the same file and renames it.
 */
#ifndef FLYT_LOG_H
#define FLYT_LOG_H

#include "flyt/experiment.h"
#include "flyt/output.h"

#include <stdbool.h>
#include <stddef.h>

struct flyt_h5_log;

/* Creates "<path>.partial" with the log datasets. Returns NULL with a
 * message in err (errlen bytes) on failure. */
struct flyt_h5_log *flyt_h5_log_open(const char *path, bool patients, bool events, unsigned n_rep,
                                     char *err, size_t errlen);

/* The hooks to give flyt_experiment_run_traced (valid while log lives). */
const struct flyt_trace_hooks *flyt_h5_log_hooks(struct flyt_h5_log *log);

/* Writes the run's summary like flyt_h5_write_run into the file, closes it
 * and renames it to path; then frees log. Returns 0, or -1 with a message
 * in err, having removed the partial file. */
int flyt_h5_log_finish(struct flyt_h5_log *log, const struct flyt_scenario *s,
                       const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                       const struct flyt_run_meta *meta, char *err, size_t errlen);

/* Removes the partial file and frees log (a run that failed or stopped). */
void flyt_h5_log_abort(struct flyt_h5_log *log);

/* The first error the logging hit during the run, or NULL. */
const char *flyt_h5_log_error(const struct flyt_h5_log *log);

#endif
