/*
 * flyt export's CSV files: one table per file, a header row of names with
 * units in parentheses, then the rows. "en": ',' between fields and '.'
 * decimals; "nb": ';' and ',' as a Norwegian spreadsheet expects, with a
 * byte-order mark so it reads the text as UTF-8. A blank field is "no
 * value" (NaN). Numbers are printed with 15 significant digits: what a
 * spreadsheet keeps, and every digit a reader needs.
 */
#include "flyt/export.h"
#include "flyt/outfile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void put_text(FILE *f, const char *s, char sep)
{
    /* quoted when a spreadsheet would otherwise split or trim it */
    bool quote = s[0] == ' ' || (s[0] && s[strlen(s) - 1] == ' ') || strchr(s, sep) ||
                 strchr(s, '"') || strchr(s, '\n') || strchr(s, '\r');
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void put_number(FILE *f, double v, enum flyt_export_kind kind, char decimal)
{
    if (!isfinite(v))
        return;
    char buf[64];
    if (kind == FLYT_EXPORT_COUNT && fabs(v) < 1e15 && v == floor(v))
        snprintf(buf, sizeof buf, "%.0f", v);
    else
        snprintf(buf, sizeof buf, "%.15g", v);
    for (char *p = buf; *p; p++)
        if (*p == '.')
            *p = decimal;
    fputs(buf, f);
}

static void put_header(FILE *f, const struct flyt_export_col *c, char sep)
{
    char buf[512];
    if (c->units[0])
        snprintf(buf, sizeof buf, "%s (%s)", c->name, c->units);
    else
        snprintf(buf, sizeof buf, "%s", c->name);
    put_text(f, buf, sep);
}

static int write_table(FILE *f, const struct flyt_export_table *t, enum flyt_export_locale loc)
{
    char sep = loc == FLYT_EXPORT_LOCALE_NB ? ';' : ',';
    char decimal = loc == FLYT_EXPORT_LOCALE_NB ? ',' : '.';
    if (loc == FLYT_EXPORT_LOCALE_NB)
        fputs("\xEF\xBB\xBF", f);
    for (size_t j = 0; j < t->n_cols; j++) {
        if (j)
            fputc(sep, f);
        put_header(f, &t->cols[j], sep);
    }
    fputs("\r\n", f);
    for (size_t i = 0; i < t->n_rows; i++) {
        const struct flyt_export_cell *row = t->cells + i * t->n_cols;
        for (size_t j = 0; j < t->n_cols; j++) {
            if (j)
                fputc(sep, f);
            if (t->cols[j].kind == FLYT_EXPORT_TEXT)
                put_text(f, row[j].s, sep);
            else
                put_number(f, row[j].v, t->cols[j].kind, decimal);
        }
        fputs("\r\n", f);
    }
    return ferror(f) ? -1 : 0;
}

struct csv_arg {
    const struct flyt_export_table *t;
    enum flyt_export_locale loc;
};

static int csv_body(FILE *f, const void *arg)
{
    const struct csv_arg *a = arg;
    return write_table(f, a->t, a->loc);
}

int flyt_export_write_csv(const struct flyt_export_table *t, enum flyt_export_locale loc,
                          const char *path, char *err, size_t errlen)
{
    const struct csv_arg a = { t, loc };
    return flyt_out_write(path, FLYT_OUT_CSV, csv_body, &a, err, errlen);
}
