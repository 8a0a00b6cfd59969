/* The CSV of population.arrivals_table, parsed by libcsv one line at a
 * time as census files are (sim/forecast/census_csv.c), and checked row by
 * row: every problem is reported, each at its line and column. */
#include "scenario/arrivals_table.h"
#include "flyt/date.h"

#include <csv.h>

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_ERRORS 50
#define VALUE_LEN  64

struct tab {
    const char *path, *named_by;
    struct flyt_diag *diag;
    int n_errors;
    int day0;
    size_t n_days;
    double *rate;
    unsigned char delim;
    uint32_t line;

    bool have_header;
    int n_cols, col_date, col_rate;
    int field; /* the next field of the record */
    char date_v[VALUE_LEN], rate_v[VALUE_LEN];

    bool any_row;
    int first_day, last_day; /* the rows' first date and the latest so far */
    uint32_t first_line, last_line;
};

static void err(struct tab *t, uint32_t line, const char *col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void err(struct tab *t, uint32_t line, const char *col, const char *fmt, ...)
{
    if (++t->n_errors > MAX_ERRORS)
        return;
    char msg[512], key[80];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(key, sizeof key, "column %s", col ? col : "");
    flyt_diag_add(t->diag, t->path, (int)line, col ? key : NULL, "%s (%s)", msg, t->named_by);
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

static void header_field(struct tab *t, const char *v)
{
    int *col = strcasecmp(v, "date") == 0   ? &t->col_date
               : strcasecmp(v, "rate") == 0 ? &t->col_rate
                                            : NULL;
    if (!col)
        err(t, t->line, v, "unknown column: the table has the columns date and rate");
    else if (*col >= 0)
        err(t, t->line, v, "a second column %s; keep one", v);
    else
        *col = t->field;
}

static void on_field(void *s, size_t len, void *data)
{
    struct tab *t = data;
    const char *v = s ? s : "";
    (void)len;
    if (!t->have_header)
        header_field(t, v);
    else if (t->field == t->col_date)
        snprintf(t->date_v, sizeof t->date_v, "%s", v);
    else if (t->field == t->col_rate)
        snprintf(t->rate_v, sizeof t->rate_v, "%s", v);
    t->field++;
}

/* Where the row's date stands against the rows before it: they go up one
 * day a row, so the rows cover their first to their last date. */
static void check_order(struct tab *t, int day)
{
    char a[16], b[16];
    date_text(day, a, sizeof a);
    date_text(t->last_day, b, sizeof b);
    if (!t->any_row) {
        t->any_row = true;
        t->first_day = t->last_day = day;
        t->first_line = t->last_line = t->line;
        return;
    }
    if (day == t->last_day)
        err(t, t->line, "date", "%s again (also on line %u); one row a day", a, t->last_line);
    else if (day < t->last_day)
        err(t, t->line, "date", "%s comes after %s (line %u); the dates go up one day a row", a, b,
            t->last_line);
    else if (day > t->last_day + 1)
        err(t, t->line, "date", "a gap: %s follows %s (line %u); every day needs a row", a, b,
            t->last_line);
    if (day > t->last_day) {
        t->last_day = day;
        t->last_line = t->line;
    }
}

static void data_row(struct tab *t)
{
    if (t->field != t->n_cols) {
        err(t, t->line, NULL, "%d fields, the header has %d", t->field, t->n_cols);
        return;
    }
    int day = 0;
    double x;
    bool date_ok = parse_date(t->date_v, &day);
    if (!date_ok)
        err(t, t->line, "date", "expected a date YYYY-MM-DD, got \"%s\"", t->date_v);
    if (!parse_rate(t->rate_v, t->delim == ';', &x))
        err(t, t->line, "rate", "expected a number of admissions per day, got \"%s\"%s", t->rate_v,
            t->delim != ';' && strchr(t->rate_v, ',')
                    ? " (a decimal comma needs ';' between the fields)"
                    : "");
    else if (!(x >= 0))
        err(t, t->line, "rate", "%s admissions per day: a rate is >= 0", t->rate_v);
    else if (date_ok && day >= t->day0 && (size_t)(day - t->day0) < t->n_days)
        t->rate[day - t->day0] = x;
    if (date_ok)
        check_order(t, day);
}

static void on_record(int c, void *data)
{
    struct tab *t = data;
    (void)c;
    if (t->have_header) {
        data_row(t);
    } else {
        t->n_cols = t->field;
        if (t->col_date < 0 || t->col_rate < 0)
            err(t, t->line, NULL, "the header names the columns: expected date,rate");
        else
            t->have_header = true;
    }
    t->field = 0;
    t->date_v[0] = t->rate_v[0] = '\0';
}

/* Whether s[0..n-1] is UTF-8 (no overlong two-byte forms). */
static bool utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int k = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (k < 0 || (k == 1 && *p < 0xC2) || end - p <= k)
            return false;
        for (int i = 1; i <= k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += k + 1;
    }
    return true;
}

/* One line, one record, with a fresh parser: a quote left open cannot
 * swallow the rows after it. */
static void parse_line(struct tab *t, const char *line, size_t n)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
        err(t, t->line, NULL, "out of memory");
        return;
    }
    csv_set_delim(&p, t->delim);
    t->field = 0;
    if (csv_parse(&p, line, n, on_field, on_record, t) != n || csv_fini(&p, on_field, on_record, t))
        err(t, t->line, NULL, "cannot read the line: %s (a quote left open?)",
            csv_strerror(csv_error(&p)));
    csv_free(&p);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static void parse(struct tab *t, const char *buf, size_t len)
{
    for (size_t pos = 0, next; pos < len; pos = next) {
        size_t i = pos;
        while (i < len && buf[i] != '\n' && buf[i] != '\r')
            i++;
        next = i < len ? i + (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n' ? 2 : 1) : i;
        const char *line = buf + pos;
        size_t n = i - pos;
        if (n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0) {
            line += 3;
            n -= 3;
        }
        t->line++;
        if (memchr(line, '\0', n) || !utf8(line, n)) {
            err(t, t->line, NULL, "not UTF-8 text; save the table as CSV UTF-8");
            continue;
        }
        if (blank(line, n) || line[0] == '#')
            continue; /* '#' lines say where the rates come from */
        if (!t->delim) {
            size_t commas = 0, semis = 0;
            for (size_t k = 0; k < n; k++) {
                commas += line[k] == ',';
                semis += line[k] == ';';
            }
            t->delim = semis > commas ? ';' : ',';
        }
        parse_line(t, line, n);
        if (!t->have_header)
            return; /* every row would be misread */
    }
}

/* The rows cover their first to their last date (check_order): the run's
 * days must lie inside. */
static void check_cover(struct tab *t)
{
    char a[16], b[16];
    int last = t->day0 + (int)t->n_days - 1;
    if (!t->any_row) {
        err(t, 0, NULL, "no rows: the table needs one row for each day of the run");
        return;
    }
    if (t->first_day > t->day0) {
        date_text(t->first_day, a, sizeof a);
        date_text(t->day0, b, sizeof b);
        err(t, t->first_line, "date",
            "the table starts on %s, after the run's first day %s (run.start_date)", a, b);
    }
    if (t->last_day < last) {
        date_text(t->last_day, a, sizeof a);
        date_text(last, b, sizeof b);
        err(t, t->last_line, "date",
            "the table ends on %s, before the run's last day %s (run.start_date + "
            "run.horizon_days)",
            a, b);
    }
}

int flyt__arrivals_parse(const char *path, const char *buf, size_t len, int day0, size_t n_days,
                         const char *named_by, double *rate, struct flyt_diag *diag)
{
    struct tab t = { .path = path,
                     .named_by = named_by,
                     .diag = diag,
                     .day0 = day0,
                     .n_days = n_days,
                     .rate = rate,
                     .col_date = -1,
                     .col_rate = -1 };
    parse(&t, buf, len);
    if (!t.have_header && t.n_errors == 0)
        err(&t, 0, NULL, "no header line date,rate: the file holds nothing but comments");
    else if (t.have_header)
        check_cover(&t);
    if (t.n_errors > MAX_ERRORS)
        flyt_diag_add(diag, path, 0, NULL, "%d more errors not shown", t.n_errors - MAX_ERRORS);
    return t.n_errors ? -1 : 0;
}
