/*
 * flyt export's .xlsx workbook (Debian's libxlsxwriter): one sheet per
 * table, a bold header row frozen in place with units in parentheses,
 * numbers stored as full doubles and shown with a number format (whole
 * numbers for counts, up to four decimals otherwise), blank cells for "no
 * value". The document's properties name flyt export, which is how a later
 * export knows the file is one it may replace (export_ours.c).
 *
 * Debian's shared libxlsxwriter brings libminizip and libcrypto: linked,
 * they would cost every flyt process about 1 ms at start-up, for the one
 * command that writes workbooks. With FLYT_XLSX_DLOPEN (CMakeLists.txt) it
 * is loaded here, when a workbook is to be written; a static archive, where
 * installed, is linked and called directly. Either way the calls go through
 * the table xw.
 */
#include "flyt/export.h"
#include "flyt/outfile.h"

#include <xlsxwriter.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#if FLYT_XLSX_DLOPEN
#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#endif

/* Every libxlsxwriter function flyt calls, in one list for the table, the
 * dlsym calls and the direct initialiser. */
#define XW_FUNCS(X)            \
    X(workbook_new)            \
    X(workbook_add_worksheet)  \
    X(workbook_add_format)     \
    X(workbook_set_properties) \
    X(workbook_close)          \
    X(worksheet_write_string)  \
    X(worksheet_write_number)  \
    X(worksheet_set_column)    \
    X(worksheet_freeze_panes)  \
    X(format_set_bold)         \
    X(format_set_num_format)   \
    X(lxw_strerror)

/* __typeof__ keeps the pointers' types those of xlsxwriter.h, so the
 * compiler checks every call in both modes. */
#define XW_FIELD(f) __typeof__(f) *f;
struct xw_api {
    XW_FUNCS(XW_FIELD)
};

#if FLYT_XLSX_DLOPEN

static struct xw_api xw;
static pthread_once_t xw_once = PTHREAD_ONCE_INIT;
static char xw_error[1024]; /* empty once loaded */

static void xw_load(void)
{
    /* the name may be overridden, for a library outside the loader's path
     * and for the test of a missing one */
    const char *name = getenv("FLYT_XLSXWRITER_LIB");
    if (!name || !*name)
        name = FLYT_XLSXWRITER_SONAME;
    /* lazy binding, as when it was linked: RTLD_NOW would bind every function
     * of libcrypto too, about 1.3 ms more per export */
    void *h = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    if (!h) {
        const char *why = dlerror();
        snprintf(xw_error, sizeof xw_error,
                 "cannot load libxlsxwriter (%s), which writes .xlsx workbooks: %s; "
                 "install it (apt-get install " FLYT_XLSXWRITER_PKG ") or use --format csv",
                 name, why ? why : "unknown reason");
        return;
    }
    const char *missing = NULL;
#define XW_RESOLVE(f)                                        \
    if (!missing && !(xw.f = (__typeof__(f) *)dlsym(h, #f))) \
        missing = #f;
    XW_FUNCS(XW_RESOLVE)
#undef XW_RESOLVE
    if (missing) {
        snprintf(xw_error, sizeof xw_error,
                 "the library %s has no %s: it is not the libxlsxwriter flyt was built with "
                 "(" FLYT_XLSXWRITER_SONAME "); use --format csv",
                 name, missing);
        memset(&xw, 0, sizeof xw);
        dlclose(h);
    }
}

int flyt_export_xlsx_ready(char *err, size_t errlen)
{
    pthread_once(&xw_once, xw_load);
    if (!xw_error[0])
        return 0;
    snprintf(err, errlen, "%s", xw_error);
    return -1;
}

#else

#define XW_DIRECT(f) f,
static const struct xw_api xw = { XW_FUNCS(XW_DIRECT) };

int flyt_export_xlsx_ready(char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return 0;
}

#endif

#define FLYT_XLSX_COMMENT "Written by flyt export"
#define CELL_MAX          32767 /* characters in a cell */

/* libxlsxwriter refuses text over a cell's 32,767 characters. */
static void put_text(lxw_worksheet *ws, lxw_row_t i, lxw_col_t j, const char *s)
{
    char buf[CELL_MAX + 1];
    if (strlen(s) > CELL_MAX) {
        snprintf(buf, sizeof buf, "%.*s", (int)(sizeof buf - 4), s);
        s = buf;
    }
    xw.worksheet_write_string(ws, i, j, s, NULL);
}

static int write_sheet(lxw_workbook *wb, const struct flyt_export_table *t, lxw_format *head,
                       lxw_format *real, lxw_format *count, char *err, size_t errlen)
{
    if (t->n_rows + 1 > LXW_ROW_MAX || t->n_cols > LXW_COL_MAX) {
        snprintf(err, errlen,
                 "the table '%s' has %zu rows and %zu columns, more than a sheet holds "
                 "(%d x %d): export it with --format csv",
                 t->name, t->n_rows + 1, t->n_cols, LXW_ROW_MAX, LXW_COL_MAX);
        return -1;
    }
    lxw_worksheet *ws = xw.workbook_add_worksheet(wb, t->name);
    if (!ws) {
        snprintf(err, errlen, "cannot add the sheet '%s' (out of memory)", t->name);
        return -1;
    }
    for (size_t j = 0; j < t->n_cols; j++) {
        char buf[512];
        const struct flyt_export_col *c = &t->cols[j];
        if (c->units[0])
            snprintf(buf, sizeof buf, "%s (%s)", c->name, c->units);
        else
            snprintf(buf, sizeof buf, "%s", c->name);
        xw.worksheet_write_string(ws, 0, (lxw_col_t)j, buf, head);
        double width = (double)strlen(buf) + 2;
        xw.worksheet_set_column(ws, (lxw_col_t)j, (lxw_col_t)j,
                                width < 10   ? 10
                                : width > 40 ? 40
                                             : width,
                                NULL);
    }
    xw.worksheet_freeze_panes(ws, 1, 0);
    for (size_t i = 0; i < t->n_rows; i++) {
        const struct flyt_export_cell *row = t->cells + i * t->n_cols;
        for (size_t j = 0; j < t->n_cols; j++) {
            lxw_row_t r = (lxw_row_t)(i + 1);
            if (t->cols[j].kind == FLYT_EXPORT_TEXT) {
                if (row[j].s[0])
                    put_text(ws, r, (lxw_col_t)j, row[j].s);
            } else if (isfinite(row[j].v)) {
                xw.worksheet_write_number(ws, r, (lxw_col_t)j, row[j].v,
                                          t->cols[j].kind == FLYT_EXPORT_COUNT ? count : real);
            }
        }
    }
    return 0;
}

static int write_book(const struct flyt_export_book *book, const char *source, const char *file,
                      char *err, size_t errlen)
{
    lxw_workbook *wb = xw.workbook_new(file);
    if (!wb) {
        snprintf(err, errlen, "cannot start the workbook '%s' (out of memory)", file);
        return -1;
    }
    char title[512];
    snprintf(title, sizeof title, "flyt %s file %s", book->kind, source);
    lxw_doc_properties props = { .title = title, .comments = FLYT_XLSX_COMMENT };
    xw.workbook_set_properties(wb, &props);
    lxw_format *head = xw.workbook_add_format(wb);
    lxw_format *real = xw.workbook_add_format(wb);
    lxw_format *count = xw.workbook_add_format(wb);
    xw.format_set_bold(head);
    xw.format_set_num_format(real, "#,##0.0###");
    xw.format_set_num_format(count, "#,##0");
    int rc = 0;
    for (size_t k = 0; rc == 0 && k < book->n_tables; k++)
        rc = write_sheet(wb, book->tables[k], head, real, count, err, errlen);
    lxw_error e = xw.workbook_close(wb);
    if (rc == 0 && e != LXW_NO_ERROR) {
        snprintf(err, errlen, "cannot write the workbook '%s': %s", file, xw.lxw_strerror(e));
        rc = -1;
    }
    return rc;
}

int flyt_export_write_xlsx(const struct flyt_export_book *book, const char *source,
                           const char *path, char *err, size_t errlen)
{
    if (flyt_export_xlsx_ready(err, errlen) != 0)
        return -1; /* before the temporary file: nothing is written */
    const char *tmp = NULL;
    int fd = flyt_out_temp(path, FLYT_OUT_XLSX, &tmp, err, errlen);
    if (fd < 0)
        return -1;
    close(fd); /* libxlsxwriter opens the file by name */
    int rc = write_book(book, source, tmp, err, errlen);
    if (rc == 0) {
        int f = open(tmp, O_RDONLY | O_CLOEXEC);
        rc = f >= 0 && fsync(f) == 0 ? 0 : -1;
        if (rc != 0)
            snprintf(err, errlen, "cannot write '%s': %s", tmp, strerror(errno));
        if (f >= 0)
            close(f);
    }
    if (rc != 0) {
        flyt_out_discard(path);
        return -1;
    }
    return flyt_out_commit(path, err, errlen);
}
