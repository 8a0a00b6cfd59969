/* The tables of flyt report: built cell by cell, then printed in one of
 * three formats, so that every kind of file prints the same way. */
#include "output/print/report_table.h"
#include "output/print/print_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static char *dup(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

struct flyt__table *flyt__table_new(const char *title, const char *const *cols, size_t n_cols)
{
    struct flyt__table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->title = dup(title);
    t->cols = calloc(n_cols ? n_cols : 1, sizeof *t->cols);
    t->n_cols = n_cols;
    if (!t->title || !t->cols) {
        flyt__table_free(t);
        return NULL;
    }
    for (size_t j = 0; j < n_cols; j++)
        if (!(t->cols[j] = dup(cols[j])))
            t->failed = true;
    return t;
}

void flyt__table_free(struct flyt__table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rows * t->n_cols; i++)
        free(t->cells[i].text);
    for (size_t j = 0; t->cols && j < t->n_cols; j++)
        free(t->cols[j]);
    free(t->cols);
    free(t->cells);
    free(t->title);
    free(t);
}

/* Cells not added to a row print as empty text. */
void flyt__table_row(struct flyt__table *t)
{
    if (t->failed)
        return;
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        struct flyt__cell *c = realloc(t->cells, cap * t->n_cols * sizeof *c);
        if (!c) {
            t->failed = true;
            return;
        }
        t->cells = c;
        t->cap_rows = cap;
    }
    struct flyt__cell *row = t->cells + t->n_rows * t->n_cols;
    for (size_t j = 0; j < t->n_cols; j++)
        row[j] = (struct flyt__cell){ dup(""), 0 };
    t->n_rows++;
    t->at = 0;
}

static struct flyt__cell *next_cell(struct flyt__table *t)
{
    if (t->failed || t->n_rows == 0 || t->at >= t->n_cols)
        return NULL;
    return &t->cells[(t->n_rows - 1) * t->n_cols + t->at++];
}

void flyt__table_text(struct flyt__table *t, const char *text)
{
    struct flyt__cell *c = next_cell(t);
    if (!c)
        return;
    free(c->text);
    if (!(c->text = dup(text)))
        t->failed = true;
}

void flyt__table_num(struct flyt__table *t, double x)
{
    struct flyt__cell *c = next_cell(t);
    if (!c)
        return;
    free(c->text);
    c->text = NULL;
    c->num = x;
}

static const char *cell_text(const struct flyt__cell *c, char *buf, size_t len)
{
    return c->text ? c->text : flyt__fmt_num(buf, len, c->num);
}

/* Numbers align right, text left: a column is numeric when every cell is. */
static void print_text(FILE *out, const struct flyt__table *t, bool markdown)
{
    size_t *w = calloc(t->n_cols ? t->n_cols : 1, sizeof *w);
    bool *num = calloc(t->n_cols ? t->n_cols : 1, sizeof *num);
    if (!w || !num) {
        free(w);
        free(num);
        return;
    }
    char buf[64];
    for (size_t j = 0; j < t->n_cols; j++) {
        w[j] = strlen(t->cols[j]);
        num[j] = t->n_rows > 0;
        for (size_t i = 0; i < t->n_rows; i++) {
            const struct flyt__cell *c = &t->cells[i * t->n_cols + j];
            size_t l = strlen(cell_text(c, buf, sizeof buf));
            w[j] = l > w[j] ? l : w[j];
            num[j] = num[j] && !c->text;
        }
    }
    fprintf(out, markdown ? "\n### %s\n\n" : "\n%s\n\n", t->title);
    const char *sep = markdown ? " | " : "  ";
    fputs(markdown ? "| " : "", out);
    /* A last text column is not padded: no trailing blanks. */
    if (t->n_cols > 0 && !num[t->n_cols - 1])
        w[t->n_cols - 1] = 0;
    for (size_t j = 0; j < t->n_cols; j++)
        fprintf(out, "%s%*s%s", j ? sep : "", num[j] ? (int)w[j] : -(int)w[j], t->cols[j],
                j + 1 == t->n_cols && markdown ? " |" : "");
    fputc('\n', out);
    if (markdown) {
        fputs("|", out);
        for (size_t j = 0; j < t->n_cols; j++)
            fprintf(out, "%s|", num[j] ? "---:" : "---");
        fputc('\n', out);
    }
    for (size_t i = 0; i < t->n_rows; i++) {
        fputs(markdown ? "| " : "", out);
        for (size_t j = 0; j < t->n_cols; j++) {
            const char *s = cell_text(&t->cells[i * t->n_cols + j], buf, sizeof buf);
            fprintf(out, "%s%*s%s", j ? sep : "", num[j] ? (int)w[j] : -(int)w[j], s,
                    j + 1 == t->n_cols && markdown ? " |" : "");
        }
        fputc('\n', out);
    }
    free(w);
    free(num);
}

static void print_json(FILE *out, const struct flyt__table *t)
{
    fputs("{\"title\": ", out);
    flyt__json_str(out, t->title);
    fputs(", \"columns\": [", out);
    for (size_t j = 0; j < t->n_cols; j++) {
        fputs(j ? ", " : "", out);
        flyt__json_str(out, t->cols[j]);
    }
    fputs("],\n   \"rows\": [", out);
    for (size_t i = 0; i < t->n_rows; i++) {
        fputs(i ? ",\n     [" : "\n     [", out);
        for (size_t j = 0; j < t->n_cols; j++) {
            const struct flyt__cell *c = &t->cells[i * t->n_cols + j];
            fputs(j ? ", " : "", out);
            if (c->text)
                flyt__json_str(out, c->text);
            else
                flyt__json_num(out, c->num);
        }
        fputc(']', out);
    }
    fputs("]}", out);
}

void flyt__table_print(FILE *out, const struct flyt__table *t, enum flyt_report_format fmt)
{
    if (fmt == FLYT_REPORT_JSON)
        print_json(out, t);
    else
        print_text(out, t, fmt == FLYT_REPORT_MARKDOWN);
}
