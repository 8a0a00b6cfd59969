/*
 * Internal to the scenario module: population.arrivals_table, a dated table
 * of admissions per day (docs/scenario-reference.md, "Arrivals").
 *
 * arrivals_table.c parses the CSV through flyt/csv_table.h (no libconfig,
 * no file access): a header with the columns date and rate, one row a
 * day, dates YYYY-MM-DD going up one day a row, rates >= 0; '#' comment
 * lines anywhere; UTF-8 with or without a byte-order mark; ',' or ';'
 * between fields (with ';' a decimal comma); LF, CRLF or CR line ends.
 * read_arrivals.c is the key: the path, the keys it excludes, and what
 * the scenario records of the table.
 */
#ifndef FLYT_SCENARIO_ARRIVALS_TABLE_H
#define FLYT_SCENARIO_ARRIVALS_TABLE_H

#include "flyt/scenario.h"

#include <stddef.h>

/* The largest table read: 175 000 years of days, far beyond any run. */
#define FLYT_ARRIVALS_MAX_BYTES (64u << 20)

/* Parses the table buf[0, len), read from path, and fills rate[0, n_days)
 * with the rates of the civil days day0 .. day0 + n_days - 1 (flyt/date.h
 * day numbers). Every problem goes to diag as "path:line: error: column
 * NAME: message (named_by)", named_by saying where the scenario names the
 * table ("population.arrivals_table at s.cfg:12"); a table that misses a
 * day of the run is an error, rows outside it are checked but not used.
 * 0, or -1 after reporting. */
int flyt__arrivals_parse(const char *path, const char *buf, size_t len, int day0, size_t n_days,
                         const char *named_by, double *rate, struct flyt_diag *diag);

#endif
