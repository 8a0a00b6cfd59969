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
#define FLYT_H5_FORMAT_VERSION 2
/* Sweep and shard files: 3 since they hold every string at a fixed length
 * (flyt merge refuses other versions). */
#define FLYT_H5_SWEEP_FORMAT_VERSION 3

struct flyt_run_meta {
    const char *flyt_version;
    const char *command_line; /* as typed, for provenance */
    unsigned threads;
    double wall_seconds;
};

/* The HDF5 library's version, "1.10.8", as every file records it (for
 * `flyt --version`: only the output module sees <hdf5.h>). */
void flyt_h5_library_version(char *buf, size_t len);

/* Returns 0, or -1 with a message in err (errlen bytes). */
int flyt_h5_write_run(const char *path, const struct flyt_scenario *s,
                      const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                      const struct flyt_run_meta *meta, char *err, size_t errlen);

/* One scenario of a comparison and what it produced (all borrowed). */
struct flyt_compare_run {
    const struct flyt_scenario *scenario;
    const struct flyt_result *results; /* n_rep of them */
    const struct flyt_summary *summary;
    double wall_seconds;
};

struct flyt_compare;

/* The comparison file: the run file's root attributes for the base plus
 * kind = "compare"; /scenarios/<i>_<name> holding what a run file holds for
 * runs[i] (runs[0] is the base); /differences/<i>_<name> for each variant
 * i >= 1 from cmp[i - 1]: per-replication differences and their summary.
 * Written atomically like flyt_h5_write_run. Returns 0, or -1 with a
 * message in err. */
int flyt_h5_write_compare(const char *path, const struct flyt_compare_run *runs, size_t n_runs,
                          size_t n_rep, const struct flyt_compare *cmp,
                          const struct flyt_run_meta *meta, char *err, size_t errlen);

/* Per variant: KPI, units, base and variant means, difference, its paired
 * 95 % CI (marked * when it excludes 0), the unpaired half-width and the
 * variance removed by pairing; then the coordinator roles. */
void flyt_compare_print_table(FILE *out, const struct flyt_compare_run *runs, size_t n_runs,
                              size_t n_rep, const struct flyt_compare *cmp);

/* The same figures as one JSON object. */
void flyt_compare_print_json(FILE *out, const struct flyt_compare_run *runs, size_t n_runs,
                             size_t n_rep, const struct flyt_compare *cmp);

/* An aligned table: KPI, units, mean, 95 % CI, n. */
void flyt_summary_print_table(FILE *out, const struct flyt_scenario *s,
                              const struct flyt_summary *sum, size_t n_res);

/* The same summary as one JSON object. */
void flyt_summary_print_json(FILE *out, const struct flyt_scenario *s,
                             const struct flyt_summary *sum, size_t n_res);

struct flyt_census;
struct flyt_forecast;

/* The forecast file (its data: flyt/forecast.h): run provenance and the
 * scenario as run, kind = "forecast", census_date; /forecast (bands, probabilities, capacities per
 * day), /replications (every path), /ukp_still_waiting (census rows and
 * probabilities) and /census (per census row: its number and the modelled
 * attributes as given; nothing else from the file). Written atomically.
 * Returns 0, or -1 with a message in err. */
int flyt_h5_write_forecast(const char *path, const struct flyt_scenario *s,
                           const struct flyt_census *c, const char *census_date,
                           const struct flyt_forecast *f, const struct flyt_run_meta *meta,
                           char *err, size_t errlen);

#endif
