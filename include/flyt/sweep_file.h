/*
 * A sweep as data, and its HDF5 file (sim/output/h5/h5_sweep*.c).
 *
 * The sweep module makes a struct flyt_sweep (flyt/sweep.h: reading the
 * sweep file, the design, running, merging); the output module writes it
 * and reads sweep files back. The plain data lives here, on the output
 * module's floor, so that the writer needs nothing from the module above
 * it: data flows down the include graph, never calls back up
 * (docs/architecture.md).
 */
#ifndef FLYT_SWEEP_FILE_H
#define FLYT_SWEEP_FILE_H

#include "flyt/output.h"
#include "flyt/result.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum flyt_sweep_design { FLYT_DESIGN_GRID, FLYT_DESIGN_LIST, FLYT_DESIGN_SOBOL, FLYT_DESIGN_LHS };

/* As written in sweep files: "grid", "list", "sobol", "lhs". */
const char *flyt_sweep_design_name(enum flyt_sweep_design d);

#define FLYT_SWEEP_MAX_PARAMS 40 /* GSL's Sobol generator goes up to 40 dimensions */

struct flyt_sweep_param {
    char *key;       /* key path in the scenario, as for --set */
    int line;        /* where the sweep file names it */
    bool integer;    /* a range with whole-number bounds: values are whole numbers */
    bool is_string;  /* values are strings: the points table keeps their text */
    double lo, hi;   /* range (sobol, lhs) */
    size_t n_values; /* grid: how many values */
};

struct flyt_sweep {
    char *source; /* the sweep file's name as given */
    char *text;   /* its raw bytes */
    char *name, *description;
    enum flyt_sweep_design design;

    char *base_path;       /* the base scenario's path, resolved against the sweep file */
    char *base_text;       /* its raw bytes (filled by flyt_sweep_load) */
    int base_line;         /* where the sweep file names it */
    size_t n_fixed;        /* overrides applied at every point, before the parameters */
    char **fixed;          /* "key=value" */
    int *fixed_line;       /* lines of the sweep file */
    unsigned replications; /* per point; 0 until known (the base's run.replications) */
    uint64_t seed;         /* the base's run.seed after the fixed overrides */
    uint64_t lhs_seed;     /* the Latin hypercube's own permutations */

    size_t n_params;
    struct flyt_sweep_param *params;
    size_t n_points;
    char **value_text; /* [point * n_params + param], as given to --set */
    double *value;     /* same, as numbers (booleans 0/1, strings NaN) */

    uint64_t hash; /* of the sweep text and the base scenario (flyt_sweep_load) */

    /* The care network's unit ids, the same at every point (flyt_sweep_load
     * refuses a sweep whose points differ): unit u of every task's
     * unit_kpi is unit_ids[u]. */
    unsigned n_units;
    char **unit_ids;
};

static inline size_t flyt_sweep_n_tasks(const struct flyt_sweep *sw)
{
    return sw->n_points * sw->replications;
}

/* The 64-bit hash as 16 hex digits (buf of at least 17 bytes). */
void flyt_sweep_hash_hex(uint64_t hash, char *buf);

/* Shards: task t belongs to shard (t mod count). */
static inline bool flyt_sweep_in_shard(size_t task, unsigned index, unsigned count)
{
    return count <= 1 || task % count == index;
}

/* A sweep file: provenance, the sweep and base texts, /parameters,
 * /points, /tasks (one row per task present, in task order), /units (the
 * unit ids and per unit its KPIs per task), and in a complete file
 * /summary and /units/<id>/summary (per point); /series only with series. See
 * docs/sweeps.md. shard_count 0 writes a complete file (every task must
 * be present: have[t] for all t); otherwise a shard file holding the
 * tasks with have[t], kind "sweep-shard". Written atomically. Returns 0,
 * or -1 with a message in err. */
int flyt_h5_write_sweep(const char *path, const struct flyt_sweep *sw,
                        const struct flyt_result *res, const bool *have, unsigned shard_index,
                        unsigned shard_count, bool series, const struct flyt_run_meta *meta,
                        char *err, size_t errlen);

/* What a sweep or shard file says about itself, and which tasks it holds. */
struct flyt_sweep_file {
    char *path;
    char *kind; /* "sweep" or "sweep-shard" */
    uint64_t hash;
    char *sweep_name, *sweep_source, *sweep_text, *base_source, *base_text;
    unsigned replications, shard_index, shard_count;
    uint64_t seed, n_points, n_tasks;
    bool series;
    size_t n_have;
    uint64_t *task; /* n_have task numbers, as stored */
    unsigned n_units;
    char **unit_ids; /* /units/ids */
    bool damaged;    /* read_info failed because the file's checksum seal did */
};

/* Reads the attributes and the task list. The file's SHA-256 seal is
 * checked before HDF5 reads it, and every count, index and shard number is
 * range-checked, so a damaged file is refused, never trusted. Returns 0,
 * or -1 with a message in err (not HDF5, not a flyt sweep file, damaged:
 * then out->damaged when the seal failed). */
int flyt_h5_sweep_read_info(const char *path, struct flyt_sweep_file *out, char *err,
                            size_t errlen);
void flyt_h5_sweep_file_free(struct flyt_sweep_file *f);

/* Reads every task the file holds into res[task] (its unit KPIs, and its
 * series when the file has them), checking the seal again and every
 * point, replication and status. Returns 0, or -1 with a message in err. */
int flyt_h5_sweep_read_tasks(const struct flyt_sweep_file *f, struct flyt_result *res, char *err,
                             size_t errlen);

#endif
