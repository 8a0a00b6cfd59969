/* The CSV of population.arrivals_table, read through the shared CSV layer
 * (flyt/csv_table.h: encoding, byte-order marks, quotes, the delimiter)
 * with its personal-data rules off, as a table of figures; checked row by
 * row here: every problem is reported, each at its line and column. */
#include "scenario/arrivals_table.h"
#include "flyt/csv_table.h"
#include "flyt/date.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_ERRORS 50
#define VALUE_LEN  64

enum { COL_DATE, COL_RATE, N_COLS };

static const char *const col_names[N_COLS] = { "date", "rate" };

struct tab {
    struct flyt_csv_table t;
    const char *named_by;
    struct flyt_diag *diag;
    int day0;
    size_t n_days;
    double *rate;
    bool header_ok; /* both columns found */

    bool any_row;
    int first_day, last_day; /* the rows' first date and the latest so far */
    uint32_t first_line, last_line;
};

/* Errors beyond the first MAX_ERRORS are only counted. */
static void report(struct flyt_csv_table *t, uint32_t line, const char *col, const char *msg)
{
    struct tab *a = t->ctx;
    if (t->n_errors > MAX_ERRORS)
        return;
    char key[80];
    snprintf(key, sizeof key, "column %s", col ? col : "");
    flyt_diag_add(a->diag, t->file, (int)line, col ? key : NULL, "%s (%s)", msg, a->named_by);
}

static void date_text(int day, char *buf, size_t n)
{
    int y, m, d;
    flyt_civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

/* YYYY-MM-DD and nothing else, a real day of the calendar. */
static bool parse_date(const char *v, int *day)
{
    int y, m, d, y2, m2, d2;
    if (strlen(v) != 10 || v[4] != '-' || v[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && !isdigit((unsigned char)v[i]))
            return false;
    if (sscanf(v, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    *day = flyt_days_from_civil(y, m, d);
    flyt_civil_from_days(*day, &y2, &m2, &d2);
    return y2 == y && m2 == m && d2 == d; /* not 2025-02-30 */
}

/* A number as written; with ';' between fields a decimal comma too
 * (Norwegian spreadsheets). */
static bool parse_rate(const char *v, bool decimal_comma, double *x)
{
    char buf[VALUE_LEN], *end;
    if (!*v || strlen(v) >= sizeof buf)
        return false;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *p = buf; decimal_comma && *p; p++)
        if (*p == ',')
            *p = '.';
    errno = 0;
    *x = strtod(buf, &end);
    return end != buf && *end == '\0' && errno == 0 && isfinite(*x);
}

/* Of a column named twice (csv_table reports it) the first is read, as it
 * always was: the rows' messages stay where they were. */
static void on_header(struct flyt_csv_table *t)
{
    struct tab *a = t->ctx;
    int first[N_COLS] = { -1, -1 };
    for (int c = 0; c < t->n_cols && c < FLYT_CSV_MAX_COLUMNS; c++) {
        int k = t->col_kind[c];
        if (k >= 0 && first[k] < 0)
            first[k] = c;
        else if (k >= 0)
            t->col_kind[c] = FLYT_CSV_SKIP;
    }
    for (int k = 0; k < N_COLS; k++)
        t->where[k] = first[k];
    if (first[COL_DATE] < 0 || first[COL_RATE] < 0) {
        flyt_csv_error(t, t->row_line, NULL, "the header names the columns: expected date,rate");
        t->stop = true; /* every row would be misread */
    } else {
        a->header_ok = true;
    }
}

/* Where the row's date stands against the rows before it: they go up one
 * day a row, so the rows cover their first to their last date. */
static void check_order(struct tab *a, int day)
{
    struct flyt_csv_table *t = &a->t;
    char d[16], b[16];
    date_text(day, d, sizeof d);
    date_text(a->last_day, b, sizeof b);
    if (!a->any_row) {
        a->any_row = true;
        a->first_day = a->last_day = day;
        a->first_line = a->last_line = t->row_line;
        return;
    }
    if (day == a->last_day)
        flyt_csv_error(t, t->row_line, "date", "%s again (also on line %u); one row a day", d,
                       a->last_line);
    else if (day < a->last_day)
        flyt_csv_error(t, t->row_line, "date",
                       "%s comes after %s (line %u); the dates go up one day a row", d, b,
                       a->last_line);
    else if (day > a->last_day + 1)
        flyt_csv_error(t, t->row_line, "date",
                       "a gap: %s follows %s (line %u); every day needs a row", d, b, a->last_line);
    if (day > a->last_day) {
        a->last_day = day;
        a->last_line = t->row_line;
    }
}

/* A row with the header's number of fields. */
static void on_row(struct flyt_csv_table *t)
{
    struct tab *a = t->ctx;
    /* A value is read as its first VALUE_LEN - 1 bytes, as tables always
     * were: a longer rate that read as a number still does. */
    char date_v[VALUE_LEN], rate_v[VALUE_LEN];
    snprintf(date_v, sizeof date_v, "%s", flyt_csv_value(t, COL_DATE));
    snprintf(rate_v, sizeof rate_v, "%s", flyt_csv_value(t, COL_RATE));
    int day = 0;
    double x;
    bool date_ok = parse_date(date_v, &day);
    if (!date_ok)
        flyt_csv_error(t, t->row_line, "date", "expected a date YYYY-MM-DD, got \"%s\"", date_v);
    if (!parse_rate(rate_v, t->delim == ';', &x))
        flyt_csv_error(t, t->row_line, "rate",
                       "expected a number of admissions per day, got \"%s\"%s", rate_v,
                       t->delim != ';' && strchr(rate_v, ',')
                               ? " (a decimal comma needs ';' between the fields)"
                               : "");
    else if (!(x >= 0))
        flyt_csv_error(t, t->row_line, "rate", "%s admissions per day: a rate is >= 0", rate_v);
    else if (date_ok && day >= a->day0 && (size_t)(day - a->day0) < a->n_days)
        a->rate[day - a->day0] = x;
    if (date_ok)
        check_order(a, day);
}

/* The rows cover their first to their last date (check_order): the run's
 * days must lie inside. */
static void check_cover(struct tab *a)
{
    struct flyt_csv_table *t = &a->t;
    char d[16], b[16];
    int last = a->day0 + (int)a->n_days - 1;
    if (!a->any_row) {
        flyt_csv_error(t, 0, NULL, "no rows: the table needs one row for each day of the run");
        return;
    }
    if (a->first_day > a->day0) {
        date_text(a->first_day, d, sizeof d);
        date_text(a->day0, b, sizeof b);
        flyt_csv_error(t, a->first_line, "date",
                       "the table starts on %s, after the run's first day %s (run.start_date)", d,
                       b);
    }
    if (a->last_day < last) {
        date_text(a->last_day, d, sizeof d);
        date_text(last, b, sizeof b);
        flyt_csv_error(t, a->last_line, "date",
                       "the table ends on %s, before the run's last day %s (run.start_date + "
                       "run.horizon_days)",
                       d, b);
    }
}

int flyt__arrivals_parse(const char *path, const char *buf, size_t len, int day0, size_t n_days,
                         const char *named_by, double *rate, struct flyt_diag *diag)
{
    struct tab a = {
        .named_by = named_by, .diag = diag, .day0 = day0, .n_days = n_days, .rate = rate
    };
    struct flyt_csv_table *t = &a.t;
    flyt_csv_table_init(t);
    t->file = path;
    t->what = "table";
    t->row_is = "day";
    t->known = col_names;
    t->n_known = N_COLS;
    t->keep_case = 1u << COL_DATE | 1u << COL_RATE; /* quoted back as written */
    /* The rules the table was published with (arrivals_table.h). */
    t->not_personal = true;
    t->only_known = true;
    t->comments_anywhere = true;
    t->no_tab_delimiter = true;
    t->separator_rows = true;
    t->untrimmed = true;
    t->ctx = &a;
    t->report = report;
    t->header = on_header;
    t->row = on_row;
    flyt_csv_parse(t, buf, len);
    if (a.header_ok)
        check_cover(&a);
    flyt_csv_table_free(t);
    if (t->n_errors > MAX_ERRORS)
        flyt_diag_add(diag, path, 0, NULL, "%d more errors not shown", t->n_errors - MAX_ERRORS);
    return t->n_errors ? -1 : 0;
}
