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

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int flyt_export_write_csv(const struct flyt_export_table *t, enum flyt_export_locale loc,
                          const char *path, char *err, size_t errlen)
{
    const char *tmp = NULL;
    int fd = flyt_out_temp(path, FLYT_OUT_CSV, &tmp, err, errlen);
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        close(fd);
        flyt_out_discard(path);
        return -1;
    }
    int rc = write_table(f, t, loc);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = -1;
    int e = errno;
    if (fclose(f) != 0)
        rc = -1;
    if (rc != 0) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(e ? e : EIO));
        flyt_out_discard(path);
        return -1;
    }
    return flyt_out_commit(path, err, errlen);
}
