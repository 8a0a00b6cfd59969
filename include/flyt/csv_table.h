/*
 * flyt CSV tables: the hygiene every personal-data CSV file flyt reads gets
 * (census files, stay records, their unit maps), in one place; a table of
 * figures (a scenario's arrivals table) goes through it too, with the
 * personal-data rules off (not_personal and the flags beside it).
 *
 * A file is read whole (at most 512 MiB) and checked line by line: UTF-8
 * (a byte-order mark is skipped, a NUL byte or Latin-1 is refused), one
 * record per line (a quote left open cannot swallow the rows after it), the
 * delimiter guessed from the header line (',', ';' or tab), `#` comment
 * lines only before the header, rows of nothing but separators skipped,
 * every row with the header's number of fields, column names
 * case-insensitive and unique. Row numbers are file line numbers (the
 * header is a line, and so is a comment).
 *
 * Personal data: only the values of known columns are kept; the other
 * columns are scanned for values shaped like national identity numbers and
 * then dropped; a column whose header names something identifying (a name,
 * an identity number, ...) is refused unless the caller lists it to be
 * ignored, and ignored columns are never looked at. Messages name the line
 * and the column; this layer never quotes a value.
 *
 * Use: fill in the caller's part of a struct flyt_csv_table, read the file
 * with flyt_csv_slurp, look at the leading comment lines if the format has
 * any (flyt_csv_next_line), call flyt_csv_parse, then flyt_csv_table_free.
 * The row callback sees each row's values in value[] by known column.
 */
#ifndef FLYT_CSV_TABLE_H
#define FLYT_CSV_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLYT_CSV_MAX_COLUMNS 256 /* columns in a file */
#define FLYT_CSV_MAX_KNOWN   32  /* known columns of a format */

/* Kinds of a file's columns besides a known column's index. */
enum { FLYT_CSV_SKIP = -1, FLYT_CSV_UNKNOWN = -2 };

struct flyt_csv_table {
    /* ---- the caller's part ---- */
    const char *file;          /* for messages */
    const char *what;          /* what the file holds, in messages: "census" */
    const char *row_is;        /* what one row is, in messages: "patient" */
    const char *const *known;  /* the format's column names; a column's id is its index */
    int n_known;               /* at most FLYT_CSV_MAX_KNOWN */
    uint32_t required;         /* bit per known column: missing from the header is an error
                                  (the header callback may change it) */
    uint32_t keep_case;        /* bit per known column: values not lower-cased */
    const char *const *ignore; /* column names to skip unread (case-insensitive) */
    int n_ignore;
    FILE *warn; /* warnings and notes; NULL for none */
    void *ctx;  /* the caller's, for its callbacks */
    /* A table of figures rather than of people (a scenario's arrivals
     * table) keeps the rules it was published with; all false for census
     * and record files. */
    bool not_personal;      /* no column or value is refused as identifying a person */
    bool only_known;        /* a column not in known[] is an error, not ignored */
    bool comments_anywhere; /* # lines after the header are skipped, not refused */
    bool no_tab_delimiter;  /* the delimiter is ',' or ';' */
    bool separator_rows;    /* a row of nothing but separators is a row, not skipped */
    bool untrimmed;         /* names and values as libcsv gives them (it trims spaces
                               and tabs outside quotes only) */
    /* One error (n_errors already counts it); col is a column name or NULL. */
    void (*report)(struct flyt_csv_table *t, uint32_t line, const char *col, const char *msg);
    /* The header is read (columns known, where[] and col_kind[] set),
     * before `required` is checked; may change those three, or set stop;
     * may be NULL. */
    void (*header)(struct flyt_csv_table *t);
    /* A row with the header's shape and no value refused as identifying:
     * its values in value[], its line in row_line. */
    void (*row)(struct flyt_csv_table *t);

    /* ---- state, for the callbacks to read ---- */
    int n_errors;
    bool stop;           /* set by a callback: no further line is read */
    unsigned char delim; /* guessed from the header line */
    uint32_t line;       /* line being read */
    uint32_t row_line;   /* the line of the current row */
    bool have_header;
    int n_cols;                           /* fields of the header */
    int col_kind[FLYT_CSV_MAX_COLUMNS];   /* a known column, FLYT_CSV_SKIP or _UNKNOWN */
    char *col_name[FLYT_CSV_MAX_COLUMNS]; /* headers, for messages */
    int where[FLYT_CSV_MAX_KNOWN];        /* column of each known one, -1 absent */
    char *value[FLYT_CSV_MAX_KNOWN];      /* the row's values, trimmed; NULL absent */
    bool bad_value[FLYT_CSV_MAX_KNOWN];   /* shaped like an identity number */
    int field, filled;
    uint32_t n_empty_rows, first_empty_row;
};

/* Clears all of t (where[] to -1): call first, then fill in the caller's part. */
void flyt_csv_table_init(struct flyt_csv_table *t);
/* Frees the column names and values (not t). */
void flyt_csv_table_free(struct flyt_csv_table *t);

/* Counts an error and passes it to t->report. */
void flyt_csv_error(struct flyt_csv_table *t, uint32_t line, const char *col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
/* "file:line: warning: ..." on t->warn (line 0: no line). */
void flyt_csv_warn(const struct flyt_csv_table *t, uint32_t line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* The whole file, NUL-terminated, its length in *n; NULL after an error
 * (cannot open or read, too large, out of memory) was reported. */
char *flyt_csv_slurp(struct flyt_csv_table *t, size_t *n);

/* The line of buf that starts at pos: returns its length without the line
 * end and sets *next to where the next one starts (LF, CRLF, CR). */
size_t flyt_csv_next_line(const char *buf, size_t len, size_t pos, size_t *next);
/* Bytes of a UTF-8 byte-order mark at buf (0 or 3). */
size_t flyt_csv_skip_bom(const char *buf, size_t len);

/* Reads the lines of buf: the leading # comments are passed over (the
 * caller reads them before, if it wants them), then the header, then the
 * rows, each given to t->row. Every problem goes to t->report. */
void flyt_csv_parse(struct flyt_csv_table *t, const char *buf, size_t len);

/* The current row's value of known column k, "" when absent. */
const char *flyt_csv_value(const struct flyt_csv_table *t, int k);

/* Whether a column header names something that identifies a person (name,
 * national identity number, date of birth, address, phone, ...), in
 * Norwegian or English; *what gets a short description. */
bool flyt_csv_identifying_header(const char *header, const char **what);

/* Whether a value is shaped like a Norwegian national identity number
 * (fødselsnummer or D-number): 11 digits, possibly with spaces, dots or a
 * dash between them. */
bool flyt_csv_looks_like_fnr(const char *value);

/* Whether v holds a run of more than 4 digits (an identity, phone or
 * record number: never quoted, never a column name). */
bool flyt_csv_long_digit_run(const char *v);

/* ", got 'v'" when v may be quoted back (short, no long digit run, nothing
 * unprintable), else " (the value is not shown)"; into buf. */
const char *flyt_csv_got(const char *v, char *buf, size_t n);

/* yes/no as a census or record writes it (yes, y, true, 1, ja, j; no, n,
 * false, 0, nei; lower case): 1, 0, or -1 for anything else. */
int flyt_csv_parse_bool(const char *v);

#endif
