/*
 * Internal to the output module: a small table of text and numbers that
 * prints as aligned text, Markdown or JSON, for flyt report. Cells are
 * copied in; numbers keep full precision for JSON and four significant
 * digits for people.
 */
#ifndef FLYT_OUTPUT_REPORT_TABLE_H
#define FLYT_OUTPUT_REPORT_TABLE_H

#include "flyt/report.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct flyt__cell {
    char *text; /* NULL for a number */
    double num;
};

struct flyt__table {
    char *title;
    size_t n_cols, n_rows, cap_rows;
    size_t at; /* next column of the last row */
    char **cols;
    struct flyt__cell *cells; /* n_rows x n_cols */
    bool failed;              /* out of memory somewhere: print nothing */
};

/* cols: n_cols column names. Returns NULL when out of memory. */
struct flyt__table *flyt__table_new(const char *title, const char *const *cols, size_t n_cols);
void flyt__table_free(struct flyt__table *t);

/* Starts a row; then one add per column, left to right. */
void flyt__table_row(struct flyt__table *t);
void flyt__table_text(struct flyt__table *t, const char *text);
void flyt__table_num(struct flyt__table *t, double x);

/* Text and Markdown print the title and the table; JSON prints one object
 * {"title": ..., "columns": [...], "rows": [[...], ...]}. */
void flyt__table_print(FILE *out, const struct flyt__table *t, enum flyt_report_format fmt);

#endif
