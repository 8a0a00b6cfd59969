/*
 * flyt report: the summary of any flyt output file (run, compare, sweep),
 * read back from the file without rerunning anything. Part of the output
 * module: it is the only reader of HDF5 besides the sweep merge.
 */
#ifndef FLYT_REPORT_H
#define FLYT_REPORT_H

#include <stddef.h>
#include <stdio.h>

enum flyt_report_format { FLYT_REPORT_TABLE, FLYT_REPORT_MARKDOWN, FLYT_REPORT_JSON };

/* Return values of flyt_report_print. */
enum {
    FLYT_REPORT_OK = 0,
    FLYT_REPORT_FAILED = 1,   /* a flyt file, but a part of it could not be read */
    FLYT_REPORT_NOT_FLYT = 2, /* missing, not HDF5, or HDF5 without format = "flyt" */
};

/* Prints the file's provenance and summary tables on out in the given
 * format. A kind it does not know (or one without a summary, such as a
 * sweep shard) prints the root attributes and a note. On an error, err
 * (errlen bytes) says why and nothing half-printed is left in JSON. */
int flyt_report_print(FILE *out, const char *path, enum flyt_report_format fmt, char *err,
                      size_t errlen);

#endif
