/*
 * The fit file read back (h5_fit_read.h). Every dataset's shape is checked
 * against the number of estimates before a caller indexes it: a damaged or
 * hand-edited file is refused with the dataset named, never read past.
 */
#include "output/h5/h5_fit_read.h"

#include "flyt/date.h"
#include "output/h5/h5_common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const flyt__fit_families[FLYT__FIT_N_FAMILY] = { "exponential", "gamma", "lognormal",
                                                             "weibull" };

/* A [n x cols] table of doubles, exactly; cols 1: a column of n. */
static double *read_exact(struct flyt__h5_rd *r, hid_t loc, const char *name, size_t n, size_t cols)
{
    size_t rows, c;
    double *x = flyt__h5_rd_doubles(r, loc, name, &rows, &c);
    if (x && (rows != n || c != cols)) {
        free(x);
        if (cols == 1)
            flyt__h5_rd_fail(r, "'%s' in '%s' has %zu x %zu values where %zu were expected", name,
                             r->path, rows, c, n);
        else
            flyt__h5_rd_fail(r, "'%s' in '%s' has %zu x %zu values where %zu x %zu were expected",
                             name, r->path, rows, c, n, cols);
        return NULL;
    }
    return x;
}

/* The three string datasets that name a row (key, group and `third`),
 * kept only when they are of one length: the caller indexes all three by
 * the same row. */
static int read_labels(struct flyt__h5_rd *r, hid_t g, const char *group, const char *third,
                       size_t *n, char ***key, char ***grp, char ***other)
{
    size_t n_key = 0, n_grp = 0, n_other = 0;
    char **k = flyt__h5_rd_strings(r, g, "key", &n_key);
    char **gr = k ? flyt__h5_rd_strings(r, g, "group", &n_grp) : NULL;
    char **o = gr ? flyt__h5_rd_strings(r, g, third, &n_other) : NULL;
    if (o && n_grp == n_key && n_other == n_key) {
        *n = n_key;
        *key = k;
        *grp = gr;
        *other = o;
        return 0;
    }
    if (o)
        flyt__h5_rd_fail(r, "'/fit/%s' in '%s': its datasets differ in length", group, r->path);
    flyt__h5_free_strings(k, n_key);
    flyt__h5_free_strings(gr, n_grp);
    flyt__h5_free_strings(o, n_other);
    return -1;
}

/* stats is the one 3-D dataset. Its buffer is sized by the estimates'
 * count, never by the stored extent, and read only when the extent matches:
 * a forged extent cannot make a huge allocation. */
static double *read_stats(struct flyt__h5_rd *r, hid_t g, size_t n)
{
    double *st = calloc(n * FLYT__FIT_N_FAMILY * FLYT__FIT_N_STAT + 1, sizeof *st);
    hid_t d = st ? H5Dopen2(g, "stats", H5P_DEFAULT) : -1;
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[3] = { 0, 0, 0 };
    bool ok = sp >= 0 && H5Sget_simple_extent_ndims(sp) == 3 &&
              H5Sget_simple_extent_dims(sp, dims, NULL) == 3 && dims[0] == n &&
              dims[1] == FLYT__FIT_N_FAMILY && dims[2] == FLYT__FIT_N_STAT &&
              (n == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, st) >= 0);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    if (!ok) {
        free(st);
        flyt__h5_rd_fail(r,
                         "cannot read '/fit/distributions/stats' in '%s' as [%zu, %d, %d] numbers",
                         r->path, n, FLYT__FIT_N_FAMILY, FLYT__FIT_N_STAT);
        return NULL;
    }
    return st;
}

static int read_durations(struct flyt__h5_rd *r, hid_t fg, struct flyt__fit_durations *o)
{
    if (!flyt__h5_has(fg, "distributions"))
        return 0;
    o->present = true;
    hid_t g = H5Gopen2(fg, "distributions", H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(r, "cannot open '/fit/distributions' in '%s'", r->path);
    if (read_labels(r, g, "distributions", "chosen", &o->n, &o->key, &o->group, &o->chosen) == 0 &&
        (o->counts = read_exact(r, g, "counts", o->n, 2)))
        o->stats = read_stats(r, g, o->n);
    H5Gclose(g);
    return r->failed ? -1 : 0;
}

static int read_categories(struct flyt__h5_rd *r, hid_t fg, const char *name,
                           struct flyt__fit_categories *o)
{
    if (!flyt__h5_has(fg, name))
        return 0;
    o->present = true;
    hid_t g = H5Gopen2(fg, name, H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(r, "cannot open '/fit/%s' in '%s'", name, r->path);
    if (read_labels(r, g, name, "category", &o->n, &o->key, &o->group, &o->category) == 0)
        o->values = read_exact(r, g, "values", o->n, FLYT__FIT_N_VALUE);
    H5Gclose(g);
    return r->failed ? -1 : 0;
}

static int read_arrivals(struct flyt__h5_rd *r, hid_t fg, struct flyt__fit_arrivals *o)
{
    if (!flyt__h5_has(fg, "arrivals"))
        return 0;
    o->present = true;
    hid_t g = H5Gopen2(fg, "arrivals", H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(r, "cannot open '/fit/arrivals' in '%s'", r->path);
    size_t cols;
    if ((o->count = flyt__h5_rd_doubles(r, g, "count", &o->n_days, &cols)))
        o->fitted = read_exact(r, g, "fitted", o->n_days, 1);
    H5Gclose(g);
    return r->failed ? -1 : 0;
}

int flyt__fit_read(hid_t file, const char *path, unsigned parts, struct flyt__fit_file *out,
                   char *err, size_t errlen)
{
    struct flyt__h5_rd r = { .path = path, .err = err, .errlen = errlen };
    memset(out, 0, sizeof *out);
    hid_t fg = H5Gopen2(file, "fit", H5P_DEFAULT);
    if (fg < 0)
        return flyt__h5_rd_fail(&r, "cannot open '/fit' in '%s'", path);
    char from[32];
    int y, m, d;
    if (flyt__h5_attr_text(fg, "from_date", from, sizeof from) &&
        sscanf(from, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        out->have_from = true;
        out->from_day = flyt_days_from_civil(y, m, d);
    } else if (parts & FLYT__FIT_READ_FROM_DATE) {
        flyt__h5_rd_fail(&r, "'/fit' in '%s' has no from_date", path);
    }
    if (!r.failed && (parts & FLYT__FIT_READ_DURATIONS))
        read_durations(&r, fg, &out->durations);
    if (!r.failed && (parts & FLYT__FIT_READ_SHARES))
        read_categories(&r, fg, "shares", &out->shares);
    if (!r.failed && (parts & FLYT__FIT_READ_HAZARDS))
        read_categories(&r, fg, "hazards", &out->hazards);
    if (!r.failed && (parts & FLYT__FIT_READ_ARRIVALS))
        read_arrivals(&r, fg, &out->arrivals);
    H5Gclose(fg);
    return r.failed ? -1 : 0;
}

static void free_categories(struct flyt__fit_categories *c)
{
    flyt__h5_free_strings(c->key, c->n);
    flyt__h5_free_strings(c->group, c->n);
    flyt__h5_free_strings(c->category, c->n);
    free(c->values);
}

void flyt__fit_free(struct flyt__fit_file *f)
{
    struct flyt__fit_durations *d = &f->durations;
    flyt__h5_free_strings(d->key, d->n);
    flyt__h5_free_strings(d->group, d->n);
    flyt__h5_free_strings(d->chosen, d->n);
    free(d->counts);
    free(d->stats);
    free_categories(&f->shares);
    free_categories(&f->hazards);
    free(f->arrivals.count);
    free(f->arrivals.fitted);
    memset(f, 0, sizeof *f);
}

int flyt__fit_family_index(const char *name)
{
    for (int k = 0; k < FLYT__FIT_N_FAMILY; k++)
        if (strcmp(name, flyt__fit_families[k]) == 0)
            return k;
    return -1;
}
