/*
 * flyt output: turns results into an HDF5 file and a terminal summary.
 * The writer never simulates; it only reads plain result data.
 *
 * HDF5 files are written to "<path>.partial" in the same directory and
 * renamed when complete, so no reader ever sees half a file and an existing
 * file at <path> survives a failed write untouched.
 */
#ifndef FLYT_OUTPUT_H
#define FLYT_OUTPUT_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stddef.h>
#include <stdio.h>

#define FLYT_H5_FORMAT         "flyt"
#define FLYT_H5_FORMAT_VERSION 1

struct flyt_run_meta {
    const char *flyt_version;
    const char *command_line; /* as typed, for provenance */
    unsigned threads;
    double wall_seconds;
};

/* Returns 0, or -1 with a message in err (errlen bytes). */
int flyt_h5_write_run(const char *path, const struct flyt_scenario *s,
                      const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                      const struct flyt_run_meta *meta, char *err, size_t errlen);

/* An aligned table: KPI, units, mean, 95 % CI, n. */
void flyt_summary_print_table(FILE *out, const struct flyt_scenario *s,
                              const struct flyt_summary *sum, size_t n_res);

/* The same summary as one JSON object. */
void flyt_summary_print_json(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum, size_t n_res);

#endif
