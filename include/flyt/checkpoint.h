/*
 * Checkpoints of flyt run and flyt compare: every finished replication is
 * appended to "<output>.journal" as one checksummed record, so a run
 * stopped by a signal, a time limit or SIGKILL loses at most the
 * replications in hand, and --resume goes on from there. The records hold
 * every figure the output file is made from, as the exact doubles, so a
 * resumed run writes the same datasets as an uninterrupted one.
 *
 * The file is made on the first append (a run stopped before any
 * replication finished leaves nothing behind) and is removed by the caller
 * once the output file is written. A journal belongs to one set of
 * scenarios (their resolved text, seed and replication count: the hash);
 * another one is refused, never cut. Not thread-safe: append from one
 * thread at a time (the experiment serialises its callbacks).
 */
#ifndef FLYT_CHECKPOINT_H
#define FLYT_CHECKPOINT_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flyt_checkpoint;

/* The identity of what n scenarios with n_rep replications each produce. */
uint64_t flyt_checkpoint_hash(const struct flyt_scenario *const *s, size_t n, unsigned n_rep);

/* Opens the journal at path for n_scen x n_rep replications. When the file
 * exists: without resume it is an error (it holds finished work); with
 * resume its good records are loaded into res[scen][rep] (res[scen] are
 * arrays of n_rep zeroed results), done[scen * n_rep + rep] is set for
 * each, and a torn tail is cut off. *n_loaded counts them. Returns NULL
 * with a message in err that says what to do. */
struct flyt_checkpoint *flyt_checkpoint_open(const char *path, uint64_t hash, unsigned n_scen,
                                             unsigned n_rep, bool resume,
                                             struct flyt_result *const *res, bool *done,
                                             size_t *n_loaded, char *err, size_t errlen);

/* Appends replication rep of scenario scen with one write(); fdatasync
 * every few seconds. Returns 0, or -1 with errno set. */
int flyt_checkpoint_append(struct flyt_checkpoint *c, unsigned scen, unsigned rep,
                           const struct flyt_result *r);

/* Replications the journal holds now (loaded plus appended). */
size_t flyt_checkpoint_count(const struct flyt_checkpoint *c);

const char *flyt_checkpoint_path(const struct flyt_checkpoint *c);

/* Syncs and closes (a file about to be deleted is not synced); with remove,
 * deletes the file, as it does when this process made the file but could
 * not append one whole record. NULL is a no-op.
 * Returns 0 or -1. */
int flyt_checkpoint_close(struct flyt_checkpoint *c, bool remove);

#endif
