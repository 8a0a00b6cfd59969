/*
 * The plain tables flyt export writes: columns with units, cells held
 * row-major. Out of memory is recorded in the table (failed) rather than
 * returned at every call, so the readers build a table without checking
 * each cell, and the command refuses a table that failed.
 */
#include "flyt/export.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dup_or_fail(struct flyt_export_table *t, const char *s)
{
    char *d = strdup(s ? s : "");
    if (!d)
        t->failed = 1;
    return d;
}

struct flyt_export_table *flyt__export_table_new(const char *name, const char *title)
{
    struct flyt_export_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->name = dup_or_fail(t, name);
    t->title = dup_or_fail(t, title);
    if (t->failed) {
        flyt__export_table_free(t);
        return NULL;
    }
    return t;
}

void flyt__export_table_free(struct flyt_export_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; t->cells && i < t->n_rows * t->n_cols; i++)
        free(t->cells[i].s);
    for (size_t j = 0; j < t->n_cols; j++) {
        free(t->cols[j].name);
        free(t->cols[j].units);
    }
    free(t->cells);
    free(t->cols);
    free(t->name);
    free(t->title);
    free(t);
}

/* Columns are fixed before the first row: cells are laid out by them. */
void flyt__export_col(struct flyt_export_table *t, const char *name, const char *units,
                      enum flyt_export_kind kind)
{
    if (t->failed || t->n_rows) {
        t->failed = 1;
        return;
    }
    struct flyt_export_col *c = realloc(t->cols, (t->n_cols + 1) * sizeof *c);
    if (!c) {
        t->failed = 1;
        return;
    }
    t->cols = c;
    c[t->n_cols] = (struct flyt_export_col){ dup_or_fail(t, name), dup_or_fail(t, units), kind };
    t->n_cols++;
}

size_t flyt__export_row(struct flyt_export_table *t)
{
    if (t->failed)
        return 0;
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 64;
        struct flyt_export_cell *c = realloc(t->cells, cap * t->n_cols * sizeof *c);
        if (!c) {
            t->failed = 1;
            return 0;
        }
        t->cells = c;
        t->cap_rows = cap;
    }
    struct flyt_export_cell *row = t->cells + t->n_rows * t->n_cols;
    for (size_t j = 0; j < t->n_cols; j++)
        row[j] = (struct flyt_export_cell){ NAN, NULL };
    for (size_t j = 0; j < t->n_cols; j++)
        row[j].s = dup_or_fail(t, "");
    return t->n_rows++;
}

void flyt__export_set_num(struct flyt_export_table *t, size_t row, size_t col, double v)
{
    if (!t->failed && row < t->n_rows && col < t->n_cols)
        t->cells[row * t->n_cols + col].v = v;
}

void flyt__export_set_text(struct flyt_export_table *t, size_t row, size_t col, const char *s)
{
    if (t->failed || row >= t->n_rows || col >= t->n_cols)
        return;
    char *d = dup_or_fail(t, s);
    if (!d)
        return;
    free(t->cells[row * t->n_cols + col].s);
    t->cells[row * t->n_cols + col].s = d;
}
