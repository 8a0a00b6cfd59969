/*
 * flyt export: a flyt output file's tables for spreadsheets (docs/export.md).
 *
 * flyt_export_read turns an HDF5 output (run, compare, sweep, sweep shard or
 * forecast) into a book of plain tables: named columns with units, one
 * value or text per cell, NaN for "no value". The writers put a book into
 * one .xlsx workbook (a sheet per table) or a table into one CSV file. The
 * numbers are the file's, read as stored: nothing is recomputed except the
 * daily series' mean over replications.
 */
#ifndef FLYT_EXPORT_H
#define FLYT_EXPORT_H

#include <stdbool.h>
#include <stddef.h>

enum flyt_export_kind {
    FLYT_EXPORT_TEXT,
    FLYT_EXPORT_REAL,  /* a measured value, shown with decimals */
    FLYT_EXPORT_COUNT, /* a whole number: an index, a day, a replication count */
};

struct flyt_export_col {
    char *name;  /* as in the HDF5 file */
    char *units; /* "" when the column has none or they vary by row (a units column) */
    enum flyt_export_kind kind;
};

struct flyt_export_cell {
    double v; /* REAL and COUNT; NaN: no value (a blank cell) */
    char *s;  /* TEXT; never NULL in a finished table */
};

struct flyt_export_table {
    char *name;  /* sheet name and CSV file suffix: lower case, digits, '_' */
    char *title; /* one line: what the table holds */
    size_t n_cols, n_rows, cap_rows;
    struct flyt_export_col *cols;
    struct flyt_export_cell *cells; /* row-major, n_rows x n_cols */
    int failed;                     /* out of memory while building it */
};

struct flyt_export_book {
    char kind[32]; /* the file's root attribute kind */
    struct flyt_export_table **tables;
    size_t n_tables;
};

/* Return values of flyt_export_read. */
enum {
    FLYT_EXPORT_OK = 0,
    FLYT_EXPORT_FAILED = 1,   /* a flyt file, but a part of it could not be read */
    FLYT_EXPORT_NOT_FLYT = 2, /* missing, not HDF5, no format = "flyt", or a kind flyt
                                 does not know */
};

/* Reads the flyt file at path into *book (free with flyt_export_book_free).
 * On failure *book is NULL and err says why. */
int flyt_export_read(const char *path, struct flyt_export_book **book, char *err, size_t errlen);
void flyt_export_book_free(struct flyt_export_book *book);

/* Number style of CSV files: "en" (',' between fields, '.' decimals) or
 * "nb" (';' between fields, ',' decimals, a UTF-8 byte-order mark), as a
 * Norwegian spreadsheet opens them. */
enum flyt_export_locale { FLYT_EXPORT_LOCALE_EN, FLYT_EXPORT_LOCALE_NB };

/* Writes one table as CSV to path, through a temporary file renamed over it
 * (flyt/outfile.h; the caller has claimed path). Returns 0 or -1 with err. */
int flyt_export_write_csv(const struct flyt_export_table *t, enum flyt_export_locale loc,
                          const char *path, char *err, size_t errlen);

/* Whether .xlsx workbooks can be written: 0, or -1 with err when the
 * libxlsxwriter that flyt loads on first use (FLYT_XLSXWRITER_LIB, else the
 * one flyt was built with) cannot be loaded. Asked before any work, so that
 * a missing library leaves nothing written. */
int flyt_export_xlsx_ready(char *err, size_t errlen);

/* Writes the book as an .xlsx workbook to path, the same way. */
int flyt_export_write_xlsx(const struct flyt_export_book *book, const char *source,
                           const char *path, char *err, size_t errlen);

/* flyt export --records (docs/records.md): replication `replication` of
 * the run file at path, which must hold /patients and /events (flyt run
 * --patients --events), as a stays file, a discharge-ready file and the
 * identity unit map, written to out[0], out[1], out[2] (claimed by the
 * caller) through temporary files. Times are start_date + model time to
 * the second; `# from:` is the end of the warm-up, `# extracted:` the
 * horizon. Returns FLYT_EXPORT_OK, FLYT_EXPORT_NOT_FLYT (not a flyt file,
 * no logs, no such replication) or FLYT_EXPORT_FAILED, with err. */
int flyt_export_records(const char *path, unsigned replication, const char *const out[3], char *err,
                        size_t errlen);

/* Whether the file at path is one flyt export wrote (outfile.c asks before
 * replacing it): an .xlsx whose document properties name flyt export, or a
 * CSV whose first line is the header of a flyt export table. */
bool flyt__export_is_xlsx(const char *path);
bool flyt__export_is_csv(const char *path);

/* The table builder the reader uses (and tests). tab_new returns NULL when
 * out of memory; the others record it in t->failed. */
struct flyt_export_table *flyt__export_table_new(const char *name, const char *title);
void flyt__export_table_free(struct flyt_export_table *t);
void flyt__export_col(struct flyt_export_table *t, const char *name, const char *units,
                      enum flyt_export_kind kind);
/* Appends a row of blank cells (NaN, "") and returns its index. */
size_t flyt__export_row(struct flyt_export_table *t);
void flyt__export_set_num(struct flyt_export_table *t, size_t row, size_t col, double v);
void flyt__export_set_text(struct flyt_export_table *t, size_t row, size_t col, const char *s);

#endif
