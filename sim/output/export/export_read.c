/*
 * flyt export's reader: a flyt HDF5 file into plain tables, by the root
 * attribute `kind`. Layouts: docs/hdf5-layout.md; the tables: docs/export.md.
 * Groups are visited in name order (h5py's order too), so a table's rows
 * come out the same from any file with the same content.
 */
#include "flyt/date.h"
#include "flyt/export.h"
#include "flyt/result.h"
#include "output/h5/h5_common.h"
#include "output/h5/h5_fit_read.h"

#include <hdf5.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    hid_t file;
    struct flyt__h5_rd h; /* path, first error */
    struct flyt_export_book *book;
    int start_day; /* start_date as days since 1970-01-01; INT_MIN: unknown */
    bool have_start;
};

/* A numeric field of the table /replications (a compound row per replication). */
static double *field(struct rd *r, hid_t loc, const char *name, size_t *n)
{
    double *x = flyt__h5_read_field(loc, "replications", name, n);
    if (!x)
        flyt__h5_rd_fail(&r->h, "cannot read the field '%s' of '/replications' in '%s'", name,
                         r->h.path);
    return x;
}

/* A 1-D numeric dataset of exactly n values. */
static double *read_column(struct rd *r, hid_t loc, const char *name, size_t n)
{
    size_t rows, cols;
    double *x = flyt__h5_rd_doubles(&r->h, loc, name, &rows, &cols);
    if (x && (rows != n || cols != 1)) {
        free(x);
        flyt__h5_rd_fail(&r->h, "'%s' in '%s' has %zu x %zu values where %zu were expected", name,
                         r->h.path, rows, cols, n);
        return NULL;
    }
    return x;
}

static bool is_string_dataset(hid_t loc, const char *name)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t t = d < 0 ? -1 : H5Dget_type(d);
    bool s = t >= 0 && H5Tget_class(t) == H5T_STRING;
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return s;
}

static struct flyt_export_table *add_table(struct rd *r, const char *name, const char *title)
{
    struct flyt_export_book *b = r->book;
    struct flyt_export_table *t = flyt__export_table_new(name, title);
    struct flyt_export_table **ts = t ? realloc(b->tables, (b->n_tables + 1) * sizeof *ts) : NULL;
    if (!ts) {
        flyt__export_table_free(t);
        flyt__h5_rd_fail(&r->h, "out of memory");
        return NULL;
    }
    b->tables = ts;
    ts[b->n_tables++] = t;
    return t;
}

/* The subgroups of loc/path in name order; *n of them (none when absent). */
struct names {
    char **v;
    size_t n;
    int failed;
};

static herr_t collect(hid_t loc, const char *name, const H5L_info_t *info, void *arg)
{
    (void)info;
    struct names *ns = arg;
    H5O_info_t oi;
    if (H5Oget_info_by_name(loc, name, &oi, H5P_DEFAULT) < 0 || oi.type != H5O_TYPE_GROUP)
        return 0;
    char **v = realloc(ns->v, (ns->n + 1) * sizeof *v);
    char *s = v ? strdup(name) : NULL;
    if (v)
        ns->v = v;
    if (!s) {
        ns->failed = 1;
        return -1;
    }
    ns->v[ns->n++] = s;
    return 0;
}

static int subgroups(struct rd *r, hid_t loc, const char *path, struct names *ns)
{
    *ns = (struct names){ 0 };
    if (strcmp(path, ".") != 0 && !flyt__h5_has(loc, path))
        return 0;
    hid_t g = H5Gopen2(loc, path, H5P_DEFAULT);
    hsize_t idx = 0;
    herr_t rc = g < 0 ? -1 : H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &idx, collect, ns);
    if (g >= 0)
        H5Gclose(g);
    if (rc < 0 || ns->failed) {
        flyt__h5_free_strings(ns->v, ns->n);
        *ns = (struct names){ 0 };
        return flyt__h5_rd_fail(&r->h, "cannot list the groups in '%s' of '%s'", path, r->h.path);
    }
    return 0;
}

/* ------------------------------------------------------------ key figures */

enum { K_SCEN, K_LEVEL, K_NAME, K_KPI, K_UNITS, K_MEAN, K_SD, K_LO, K_HI, K_N, K_DESC };

static struct flyt_export_table *kpi_table(struct rd *r)
{
    struct flyt_export_table *t =
            add_table(r, "kpi",
                      "key figures: mean over the replications with a value and its 95 % "
                      "interval (Student t; log or logit scale at a bound); level all = the whole "
                      "model, role = a coordinator "
                      "role, unit / municipality = one of them");
    if (!t)
        return NULL;
    static const char *const text[] = { "scenario", "level", "name", "kpi", "units" };
    for (size_t j = 0; j < 5; j++)
        flyt__export_col(t, text[j], "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "mean", "", FLYT_EXPORT_REAL);
    flyt__export_col(t, "sd", "", FLYT_EXPORT_REAL);
    flyt__export_col(t, "ci95_low", "", FLYT_EXPORT_REAL);
    flyt__export_col(t, "ci95_high", "", FLYT_EXPORT_REAL);
    flyt__export_col(t, "n", "replications", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "description", "", FLYT_EXPORT_TEXT);
    return t;
}

/* The rows of loc/summary (a run's or a role's) as key figures. */
static int kpi_rows(struct rd *r, struct flyt_export_table *t, hid_t loc, const char *scenario,
                    const char *level, const char *name)
{
    hid_t s = H5Gopen2(loc, "summary", H5P_DEFAULT);
    if (s < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open a 'summary' group in '%s'", r->h.path);
    size_t n = 0, nu = 0, nd = 0;
    char **kpi = flyt__h5_rd_strings(&r->h, s, "kpi", &n);
    char **units = kpi ? flyt__h5_rd_strings(&r->h, s, "units", &nu) : NULL;
    char **desc = units && flyt__h5_has(s, "description")
                          ? flyt__h5_rd_strings(&r->h, s, "description", &nd)
                          : NULL;
    static const char *const num[] = { "mean", "sd", "ci95_low", "ci95_high", "n" };
    double *x[5] = { 0 };
    for (size_t j = 0; units && j < 5; j++)
        if (flyt__h5_has(s, num[j]))
            x[j] = read_column(r, s, num[j], n);
        else if (j != 1) /* role summaries have no sd */
            flyt__h5_rd_fail(&r->h, "'%s' has no '%s' in '%s'", "summary", num[j], r->h.path);
    if (!r->h.failed && nu != n)
        flyt__h5_rd_fail(&r->h, "the summary's kpi and units differ in length in '%s'", r->h.path);
    for (size_t k = 0; kpi && units && !r->h.failed && k < n; k++) {
        size_t row = flyt__export_row(t);
        flyt__export_set_text(t, row, K_SCEN, scenario);
        flyt__export_set_text(t, row, K_LEVEL, level);
        flyt__export_set_text(t, row, K_NAME, name);
        flyt__export_set_text(t, row, K_KPI, kpi[k]);
        flyt__export_set_text(t, row, K_UNITS, units[k]);
        for (size_t j = 0; j < 5; j++)
            if (x[j])
                flyt__export_set_num(t, row, K_MEAN + j, x[j][k]);
        if (desc && k < nd)
            flyt__export_set_text(t, row, K_DESC, desc[k]);
    }
    for (size_t j = 0; j < 5; j++)
        free(x[j]);
    flyt__h5_free_strings(kpi, n);
    flyt__h5_free_strings(units, nu);
    flyt__h5_free_strings(desc, nd);
    H5Gclose(s);
    return r->h.failed ? -1 : 0;
}

/* Key figures of loc's groups under path (roles, units, municipalities). */
static int level_rows(struct rd *r, struct flyt_export_table *t, hid_t loc, const char *path,
                      const char *scenario, const char *level)
{
    struct names ns;
    if (subgroups(r, loc, path, &ns) != 0)
        return -1;
    for (size_t i = 0; !r->h.failed && i < ns.n; i++) {
        char sub[1024];
        snprintf(sub, sizeof sub, "%s/%s", path, ns.v[i]);
        hid_t g = H5Gopen2(loc, sub, H5P_DEFAULT);
        if (g < 0) {
            flyt__h5_rd_fail(&r->h, "cannot open '%s' in '%s'", sub, r->h.path);
            break;
        }
        if (flyt__h5_has(g, "summary"))
            kpi_rows(r, t, g, scenario, level, ns.v[i]);
        H5Gclose(g);
    }
    flyt__h5_free_strings(ns.v, ns.n);
    return r->h.failed ? -1 : 0;
}

/* A 1-D string attribute as malloc'd copies (n + 1 entries, the last NULL). */
static char **read_attr_strings(struct rd *r, hid_t obj, const char *name, size_t *n)
{
    char **out = flyt__h5_attr_strings(obj, name, n);
    if (!out)
        flyt__h5_rd_fail(&r->h, "cannot read the attribute '%s' in '%s'", name, r->h.path);
    return out;
}

/* The care network of a run body: /units/ids and the per-unit KPI names. */
struct units {
    char **id, **kpi, **units, **desc;
    size_t n, k, nu, nd;
};

static void units_free(struct units *u)
{
    flyt__h5_free_strings(u->id, u->n);
    flyt__h5_free_strings(u->kpi, u->k);
    flyt__h5_free_strings(u->units, u->nu);
    flyt__h5_free_strings(u->desc, u->nd);
    *u = (struct units){ 0 };
}

/* 0 with u->n = 0 when loc has no /units (a file from before the network). */
static int read_units(struct rd *r, hid_t loc, struct units *u)
{
    *u = (struct units){ 0 };
    if (!flyt__h5_has(loc, "units"))
        return 0;
    hid_t g = H5Gopen2(loc, "units", H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/units' in '%s'", r->h.path);
    if ((u->id = flyt__h5_rd_strings(&r->h, g, "ids", &u->n)) &&
        (u->kpi = read_attr_strings(r, g, "kpi", &u->k)) &&
        (u->units = read_attr_strings(r, g, "kpi_units", &u->nu)))
        u->desc = read_attr_strings(r, g, "kpi_description", &u->nd);
    H5Gclose(g);
    if (!r->h.failed && (u->nu != u->k || u->nd != u->k))
        flyt__h5_rd_fail(&r->h,
                         "the per-unit KPI names, units and descriptions of '%s' differ in length",
                         r->h.path);
    if (r->h.failed)
        units_free(u);
    return r->h.failed ? -1 : 0;
}

enum { U_MEAN, U_SD, U_LO, U_HI, U_N, U_STATS };

/* Key figures of every unit (level "unit"), in the scenario's order. */
static int unit_kpi_rows(struct rd *r, struct flyt_export_table *t, hid_t loc, const char *scenario,
                         const struct units *u)
{
    if (u->n == 0)
        return 0;
    hsize_t dims[3] = { 0, 0, 0 };
    double *x = flyt__h5_read_table(loc, "units/summary", 3, dims);
    if (!x || dims[0] != u->n || dims[1] != u->k || dims[2] != U_STATS) {
        free(x);
        return flyt__h5_rd_fail(
                &r->h,
                "'/units/summary' in '%s' is not a table of %zu units x %zu KPIs x %d "
                "statistics",
                r->h.path, u->n, u->k, U_STATS);
    }
    for (size_t i = 0; i < u->n; i++)
        for (size_t k = 0; k < u->k; k++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_text(t, row, K_SCEN, scenario);
            flyt__export_set_text(t, row, K_LEVEL, "unit");
            flyt__export_set_text(t, row, K_NAME, u->id[i]);
            flyt__export_set_text(t, row, K_KPI, u->kpi[k]);
            flyt__export_set_text(t, row, K_UNITS, u->units[k]);
            for (size_t j = 0; j < U_STATS; j++)
                flyt__export_set_num(t, row, K_MEAN + j, x[(i * u->k + k) * U_STATS + j]);
            flyt__export_set_text(t, row, K_DESC, u->desc[k]);
        }
    free(x);
    return r->h.failed ? -1 : 0;
}

/* unit_replications: one row per unit and replication, a column per unit KPI. */
static int unit_replication_rows(struct rd *r, struct flyt_export_table **tp, hid_t loc,
                                 const char *scenario, const struct units *u)
{
    if (u->n == 0)
        return 0;
    if (!*tp) {
        *tp = add_table(r, "unit_replications",
                        "every replication's per-unit key figures (the file's /units/kpis)");
        if (!*tp)
            return -1;
        flyt__export_col(*tp, "scenario", "", FLYT_EXPORT_TEXT);
        flyt__export_col(*tp, "unit", "", FLYT_EXPORT_TEXT);
        flyt__export_col(*tp, "replication", "", FLYT_EXPORT_COUNT);
        for (size_t k = 0; k < u->k; k++)
            flyt__export_col(*tp, u->kpi[k], u->units[k], FLYT_EXPORT_REAL);
    }
    struct flyt_export_table *t = *tp;
    if (t->n_cols != 3 + u->k)
        return flyt__h5_rd_fail(&r->h, "the scenarios of '%s' have different per-unit key figures",
                                r->h.path);
    size_t reps = 0;
    double *num = flyt__h5_read_field(loc, "replications", "replication", &reps);
    if (!num)
        return flyt__h5_rd_fail(
                &r->h, "cannot read the field 'replication' of '/replications' in '%s'", r->h.path);
    hsize_t dims[3] = { 0, 0, 0 };
    double *x = flyt__h5_read_table(loc, "units/kpis", 3, dims);
    if (!x || dims[0] != reps || dims[1] != u->n || dims[2] != u->k)
        flyt__h5_rd_fail(
                &r->h,
                "'/units/kpis' in '%s' is not a table of %zu replications x %zu units x %zu KPIs",
                r->h.path, reps, u->n, u->k);
    /* rows unit by unit, as the scenario lists them */
    for (size_t i = 0; !r->h.failed && i < u->n; i++)
        for (size_t j = 0; j < reps; j++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_text(t, row, 0, scenario);
            flyt__export_set_text(t, row, 1, u->id[i]);
            flyt__export_set_num(t, row, 2, num[j]);
            for (size_t k = 0; k < u->k; k++)
                flyt__export_set_num(t, row, 3 + k, x[(j * u->n + i) * u->k + k]);
        }
    free(x);
    free(num);
    return r->h.failed ? -1 : 0;
}

/* ------------------------------------------------- replications and series */

static void date_text(struct rd *r, double day, char *buf, size_t len)
{
    buf[0] = '\0';
    if (r->have_start && isfinite(day) && fabs(day) < 1e7) {
        int y, m, d;
        flyt_civil_from_days(r->start_day + (int)floor(day), &y, &m, &d);
        snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
    }
}

/* replications: one row per replication with its status and every key
 * figure of loc/summary/kpi. */
static int replication_rows(struct rd *r, struct flyt_export_table **tp, hid_t loc,
                            const char *scenario)
{
    size_t n = 0, nu = 0, reps = 0, c = 0;
    hid_t s = H5Gopen2(loc, "summary", H5P_DEFAULT);
    char **kpi = s >= 0 ? flyt__h5_rd_strings(&r->h, s, "kpi", &n) : NULL;
    char **units = kpi ? flyt__h5_rd_strings(&r->h, s, "units", &nu) : NULL;
    if (s >= 0)
        H5Gclose(s);
    double *num = units ? field(r, loc, "replication", &reps) : NULL;
    double *status = num ? field(r, loc, "status", &c) : NULL;
    if (!*tp && status) {
        *tp = add_table(r, "replications",
                        "every replication's key figures (the file's /replications)");
        if (*tp) {
            flyt__export_col(*tp, "scenario", "", FLYT_EXPORT_TEXT);
            flyt__export_col(*tp, "replication", "", FLYT_EXPORT_COUNT);
            flyt__export_col(*tp, "status", "", FLYT_EXPORT_COUNT);
            for (size_t k = 0; k < n && k < nu; k++)
                flyt__export_col(*tp, kpi[k], units[k], FLYT_EXPORT_REAL);
        }
    }
    struct flyt_export_table *t = *tp;
    if (t && status && t->n_cols != 3 + n)
        flyt__h5_rd_fail(&r->h, "the scenarios of '%s' have different key figures", r->h.path);
    size_t first = t ? t->n_rows : 0;
    for (size_t i = 0; t && status && !r->h.failed && i < reps; i++) {
        size_t row = flyt__export_row(t);
        flyt__export_set_text(t, row, 0, scenario);
        flyt__export_set_num(t, row, 1, num[i]);
        flyt__export_set_num(t, row, 2, status[i]);
    }
    for (size_t k = 0; t && status && !r->h.failed && k < n; k++) {
        double *x = field(r, loc, kpi[k], &c);
        for (size_t i = 0; x && i < reps && i < c; i++)
            flyt__export_set_num(t, first + i, 3 + k, x[i]);
        free(x);
    }
    free(num);
    free(status);
    flyt__h5_free_strings(kpi, n);
    flyt__h5_free_strings(units, nu);
    return r->h.failed ? -1 : 0;
}

/* series: per day after the warm-up, each daily series' mean over the
 * replications that reached the day (a stopped one's missing days are NaN).
 * A reduced /series has that mean already, as <series>/mean: one row. */
static int series_rows(struct rd *r, struct flyt_export_table **tp, hid_t loc, const char *scenario)
{
    struct names ds = { 0 };
    if (!flyt__h5_has(loc, "series"))
        return 0;
    hid_t g = H5Gopen2(loc, "series", H5P_DEFAULT);
    hsize_t idx = 0;
    H5G_info_t gi;
    if (g < 0 || H5Gget_info(g, &gi) < 0) {
        if (g >= 0)
            H5Gclose(g);
        return flyt__h5_rd_fail(&r->h, "cannot open '/series' in '%s'", r->h.path);
    }
    ds.v = calloc(gi.nlinks + 1, sizeof *ds.v);
    for (idx = 0; ds.v && idx < gi.nlinks; idx++) {
        char name[256];
        if (H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, idx, name, sizeof name,
                               H5P_DEFAULT) < 0 ||
            !(ds.v[ds.n++] = strdup(name))) {
            flyt__h5_rd_fail(&r->h, "cannot list the series in '%s'", r->h.path);
            break;
        }
    }
    if (!ds.v)
        flyt__h5_rd_fail(&r->h, "out of memory");
    char layout[16] = "";
    bool reduced = flyt__h5_attr_text(g, "layout", layout, sizeof layout) &&
                   strcmp(layout, "reduced") == 0;
    double **x = r->h.failed ? NULL : calloc(ds.n + 1, sizeof *x);
    size_t reps = 0, days = 0;
    double first_day = 0;
    char units[64][64] = { { 0 } };
    for (size_t k = 0; x && !r->h.failed && k < ds.n && k < 64; k++) {
        size_t rr, cc;
        char mean[300];
        snprintf(mean, sizeof mean, "%s/mean", ds.v[k]);
        x[k] = flyt__h5_rd_doubles(&r->h, g, reduced ? mean : ds.v[k], &rr, &cc);
        if (!x[k])
            break;
        if (reduced) {
            cc = rr;
            rr = 1;
        }
        if (k == 0) {
            reps = rr;
            days = cc;
        } else if (rr != reps || cc != days) {
            flyt__h5_rd_fail(&r->h, "the series in '%s' differ in shape", r->h.path);
        }
        hid_t d = H5Oopen(g, ds.v[k], H5P_DEFAULT);
        char buf[64];
        if (d >= 0) {
            if (flyt__h5_attr_text(d, "units", buf, sizeof buf))
                snprintf(units[k], sizeof units[k], "%s", buf);
            if (k == 0 && flyt__h5_attr_text(d, "first_day", buf, sizeof buf))
                first_day = strtod(buf, NULL);
            H5Oclose(d);
        }
    }
    if (!r->h.failed && ds.n > 64)
        flyt__h5_rd_fail(&r->h, "'%s' has more daily series than flyt export takes (64)",
                         r->h.path);
    if (!r->h.failed && !*tp) {
        *tp = add_table(r, "series",
                        "daily series: the mean over the replications of each day after the "
                        "warm-up (census at 00:00 or count during the day, as in the file)");
        if (*tp) {
            flyt__export_col(*tp, "scenario", "", FLYT_EXPORT_TEXT);
            flyt__export_col(*tp, "day", "days", FLYT_EXPORT_COUNT);
            flyt__export_col(*tp, "date", "", FLYT_EXPORT_TEXT);
            for (size_t k = 0; k < ds.n; k++)
                flyt__export_col(*tp, ds.v[k], units[k], FLYT_EXPORT_REAL);
        }
    }
    struct flyt_export_table *t = *tp;
    if (t && !r->h.failed && t->n_cols != 3 + ds.n)
        flyt__h5_rd_fail(&r->h, "the scenarios of '%s' have different daily series", r->h.path);
    for (size_t j = 0; t && x && !r->h.failed && j < days; j++) {
        size_t row = flyt__export_row(t);
        char date[16];
        date_text(r, first_day + (double)j, date, sizeof date);
        flyt__export_set_text(t, row, 0, scenario);
        flyt__export_set_num(t, row, 1, first_day + (double)j);
        flyt__export_set_text(t, row, 2, date);
        for (size_t k = 0; k < ds.n; k++) {
            double sum = 0;
            size_t m = 0;
            for (size_t i = 0; i < reps; i++)
                if (isfinite(x[k][i * days + j])) {
                    sum += x[k][i * days + j];
                    m++;
                }
            flyt__export_set_num(t, row, 3 + k, m ? sum / (double)m : NAN);
        }
    }
    for (size_t k = 0; x && k < ds.n; k++)
        free(x[k]);
    free(x);
    flyt__h5_free_strings(ds.v, ds.n);
    H5Gclose(g);
    return r->h.failed ? -1 : 0;
}

/* Everything a run file holds for one scenario under loc. */
struct run_tables {
    struct flyt_export_table *kpi, *reps, *series, *unit_reps;
};

static int scenario_tables(struct rd *r, struct run_tables *rt, hid_t loc, const char *scenario)
{
    struct units u;
    if (read_units(r, loc, &u) != 0)
        return -1;
    if (kpi_rows(r, rt->kpi, loc, scenario, "all", "") ||
        level_rows(r, rt->kpi, loc, "roles", scenario, "role") ||
        unit_kpi_rows(r, rt->kpi, loc, scenario, &u) ||
        level_rows(r, rt->kpi, loc, "municipalities", scenario, "municipality") ||
        (flyt__h5_has(loc, "replications") && replication_rows(r, &rt->reps, loc, scenario)) ||
        series_rows(r, &rt->series, loc, scenario) ||
        unit_replication_rows(r, &rt->unit_reps, loc, scenario, &u)) {
        units_free(&u);
        return -1;
    }
    units_free(&u);
    return 0;
}

static int export_run(struct rd *r)
{
    char name[512];
    struct run_tables rt = { kpi_table(r), NULL, NULL, NULL };
    if (!rt.kpi)
        return -1;
    if (!flyt__h5_attr_text(r->file, "scenario_name", name, sizeof name))
        snprintf(name, sizeof name, "%s", "");
    return scenario_tables(r, &rt, r->file, name);
}

/* ------------------------------------------------------------- compare */

enum { D_VAR, D_LEVEL, D_NAME, D_KPI, D_UNITS };

static int difference_rows(struct rd *r, struct flyt_export_table *t, hid_t loc,
                           const char *variant, const char *level, const char *name)
{
    static const char *const num[] = {
        "base_mean",     "variant_mean",       "mean", "sd", "ci_low", "ci_high",
        "unpaired_half", "variance_reduction", "n"
    };
    hid_t s = H5Gopen2(loc, "summary", H5P_DEFAULT);
    if (s < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open a differences summary in '%s'", r->h.path);
    size_t n = 0, nu = 0, nd = 0;
    char **kpi = flyt__h5_rd_strings(&r->h, s, "kpi", &n);
    char **units = kpi ? flyt__h5_rd_strings(&r->h, s, "units", &nu) : NULL;
    char **desc = units && flyt__h5_has(s, "description")
                          ? flyt__h5_rd_strings(&r->h, s, "description", &nd)
                          : NULL;
    double *x[9] = { 0 };
    for (size_t j = 0; units && !r->h.failed && j < 9; j++)
        x[j] = read_column(r, s, num[j], n);
    for (size_t k = 0; kpi && units && !r->h.failed && k < n && k < nu; k++) {
        size_t row = flyt__export_row(t);
        flyt__export_set_text(t, row, D_VAR, variant);
        flyt__export_set_text(t, row, D_LEVEL, level);
        flyt__export_set_text(t, row, D_NAME, name);
        flyt__export_set_text(t, row, D_KPI, kpi[k]);
        flyt__export_set_text(t, row, D_UNITS, units[k]);
        for (size_t j = 0; j < 9; j++)
            flyt__export_set_num(t, row, D_UNITS + 1 + j, x[j][k]);
        if (desc && k < nd)
            flyt__export_set_text(t, row, D_UNITS + 10, desc[k]);
    }
    for (size_t j = 0; j < 9; j++)
        free(x[j]);
    flyt__h5_free_strings(kpi, n);
    flyt__h5_free_strings(units, nu);
    flyt__h5_free_strings(desc, nd);
    H5Gclose(s);
    return r->h.failed ? -1 : 0;
}

static int export_compare(struct rd *r)
{
    struct run_tables rt = { kpi_table(r), NULL, NULL, NULL };
    struct names sc, dv;
    if (!rt.kpi || subgroups(r, r->file, "scenarios", &sc) != 0)
        return -1;
    for (size_t i = 0; !r->h.failed && i < sc.n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "scenarios/%s", sc.v[i]);
        hid_t g = H5Gopen2(r->file, path, H5P_DEFAULT);
        if (g < 0 || scenario_tables(r, &rt, g, sc.v[i]) != 0)
            flyt__h5_rd_fail(&r->h, "cannot read '/%s' in '%s'", path, r->h.path);
        if (g >= 0)
            H5Gclose(g);
    }
    flyt__h5_free_strings(sc.v, sc.n);
    struct flyt_export_table *t =
            r->h.failed ? NULL
                        : add_table(r, "differences",
                                    "each variant minus the base, paired over the replications "
                                    "(same patients): mean difference and its 95 % interval");
    if (!t || subgroups(r, r->file, "differences", &dv) != 0)
        return -1;
    static const char *const text[] = { "variant", "level", "name", "kpi", "units" };
    static const char *const num[] = { "base_mean", "variant_mean", "difference",   "sd",
                                       "ci95_low",  "ci95_high",    "unpaired_half" };
    for (size_t j = 0; j < 5; j++)
        flyt__export_col(t, text[j], "", FLYT_EXPORT_TEXT);
    for (size_t j = 0; j < 7; j++)
        flyt__export_col(t, num[j], "", FLYT_EXPORT_REAL);
    flyt__export_col(t, "variance_reduction", "fraction", FLYT_EXPORT_REAL);
    flyt__export_col(t, "n", "replications", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "description", "", FLYT_EXPORT_TEXT);
    for (size_t i = 0; !r->h.failed && i < dv.n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "differences/%s", dv.v[i]);
        hid_t g = H5Gopen2(r->file, path, H5P_DEFAULT);
        if (g < 0 || difference_rows(r, t, g, dv.v[i], "all", ""))
            flyt__h5_rd_fail(&r->h, "cannot read '/%s' in '%s'", path, r->h.path);
        static const char *const groups[] = { "roles", "units" }, *const levels[] = { "role",
                                                                                      "unit" };
        for (int lv = 0; lv < 2; lv++) {
            struct names roles;
            if (g < 0 || r->h.failed || subgroups(r, g, groups[lv], &roles) != 0)
                continue;
            for (size_t k = 0; !r->h.failed && k < roles.n; k++) {
                char rp[1024];
                snprintf(rp, sizeof rp, "%s/%s", groups[lv], roles.v[k]);
                hid_t rg = H5Gopen2(g, rp, H5P_DEFAULT);
                if (rg < 0 || difference_rows(r, t, rg, dv.v[i], levels[lv], roles.v[k]))
                    flyt__h5_rd_fail(&r->h, "cannot read '/%s/%s' in '%s'", path, rp, r->h.path);
                if (rg >= 0)
                    H5Gclose(rg);
            }
            flyt__h5_free_strings(roles.v, roles.n);
        }
        if (g >= 0)
            H5Gclose(g);
    }
    flyt__h5_free_strings(dv.v, dv.n);
    return r->h.failed ? -1 : 0;
}

/* ---------------------------------------------------------------- sweep */

/* The parameter columns of /points (one per /parameters/key): values as
 * numbers, or as text when the parameter takes strings. */
struct params {
    char **key;
    size_t n;
    double **num;
    char ***text;
};

static void params_free(struct params *p, size_t n_points)
{
    for (size_t j = 0; j < p->n; j++) {
        free(p->num ? p->num[j] : NULL);
        flyt__h5_free_strings(p->text ? p->text[j] : NULL, n_points);
    }
    free(p->num);
    free(p->text);
    flyt__h5_free_strings(p->key, p->n);
}

static int read_params(struct rd *r, hid_t pts, struct params *p, size_t n_points)
{
    p->num = calloc(p->n + 1, sizeof *p->num);
    p->text = calloc(p->n + 1, sizeof *p->text);
    if (!p->num || !p->text)
        return flyt__h5_rd_fail(&r->h, "out of memory");
    for (size_t j = 0; !r->h.failed && j < p->n; j++) {
        size_t n = 0;
        if (is_string_dataset(pts, p->key[j])) {
            p->text[j] = flyt__h5_rd_strings(&r->h, pts, p->key[j], &n);
            if (p->text[j] && n != n_points) {
                /* freed here: params_free frees n_points strings */
                flyt__h5_free_strings(p->text[j], n);
                p->text[j] = NULL;
                flyt__h5_rd_fail(&r->h, "'/points/%s' in '%s' has %zu values for %zu points",
                                 p->key[j], r->h.path, n, n_points);
            }
        } else {
            p->num[j] = read_column(r, pts, p->key[j], n_points);
        }
    }
    return r->h.failed ? -1 : 0;
}

static void param_cols(struct flyt_export_table *t, const struct params *p)
{
    for (size_t j = 0; j < p->n; j++)
        flyt__export_col(t, p->key[j], "", p->text[j] ? FLYT_EXPORT_TEXT : FLYT_EXPORT_REAL);
}

static void param_cells(struct flyt_export_table *t, size_t row, size_t col0,
                        const struct params *p, size_t point)
{
    for (size_t j = 0; j < p->n; j++)
        if (p->text[j])
            flyt__export_set_text(t, row, col0 + j, p->text[j][point]);
        else
            flyt__export_set_num(t, row, col0 + j, p->num[j][point]);
}

static int sweep_tasks(struct rd *r)
{
    hid_t g = H5Gopen2(r->file, "tasks", H5P_DEFAULT);
    if (g < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/tasks' in '%s'", r->h.path);
    size_t n = 0, c;
    double *task = flyt__h5_rd_doubles(&r->h, g, "task", &n, &c);
    static const char *const idx[] = { "point", "replication", "status" };
    double *x[3] = { 0 };
    for (size_t j = 0; task && !r->h.failed && j < 3; j++)
        x[j] = read_column(r, g, idx[j], n);
    struct flyt_export_table *t =
            r->h.failed ? NULL
                        : add_table(r, "tasks",
                                    "every task (a replication at a point) and its key figures");
    bool present[FLYT_N_KPI] = { false };
    if (t) {
        flyt__export_col(t, "task", "", FLYT_EXPORT_COUNT);
        for (size_t j = 0; j < 3; j++)
            flyt__export_col(t, idx[j], "", FLYT_EXPORT_COUNT);
        for (size_t k = 0; k < FLYT_N_KPI; k++)
            if ((present[k] = flyt__h5_has(g, flyt_kpi_defs[k].name)))
                flyt__export_col(t, flyt_kpi_defs[k].name, flyt_kpi_defs[k].units,
                                 FLYT_EXPORT_REAL);
        for (size_t i = 0; i < n; i++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_num(t, row, 0, task[i]);
            for (size_t j = 0; j < 3; j++)
                flyt__export_set_num(t, row, 1 + j, x[j][i]);
        }
    }
    for (size_t k = 0, col = 4; t && !r->h.failed && k < FLYT_N_KPI; k++) {
        if (!present[k])
            continue;
        double *v = read_column(r, g, flyt_kpi_defs[k].name, n);
        for (size_t i = 0; v && i < n; i++)
            flyt__export_set_num(t, i, col, v[i]);
        free(v);
        col++;
    }
    for (size_t j = 0; j < 3; j++)
        free(x[j]);
    free(task);
    H5Gclose(g);
    return r->h.failed ? -1 : 0;
}

/* point_kpi: per point and key figure the mean and 95 % interval, with the
 * point's parameter values on every row (ready for a pivot table). */
static int sweep_summary(struct rd *r, const struct params *p, size_t n_points)
{
    hid_t s = H5Gopen2(r->file, "summary", H5P_DEFAULT);
    if (s < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/summary' in '%s'", r->h.path);
    size_t n = 0, nu = 0;
    char **kpi = flyt__h5_rd_strings(&r->h, s, "kpi", &n);
    char **units = kpi ? flyt__h5_rd_strings(&r->h, s, "units", &nu) : NULL;
    static const char *const num[] = { "mean", "sd", "ci95_low", "ci95_high", "n" };
    double *x[5] = { 0 };
    for (size_t j = 0; units && !r->h.failed && j < 5; j++) {
        size_t rows, cols;
        x[j] = flyt__h5_rd_doubles(&r->h, s, num[j], &rows, &cols);
        if (x[j] && (rows != n_points || cols != n || nu != n))
            flyt__h5_rd_fail(&r->h, "'/summary/%s' in '%s' is not points x key figures", num[j],
                             r->h.path);
    }
    struct flyt_export_table *t =
            r->h.failed ? NULL
                        : add_table(r, "point_kpi",
                                    "key figures per sweep point: mean over the point's "
                                    "replications and its 95 % interval (Student t; log or "
                                    "logit scale at a bound)");
    if (t) {
        flyt__export_col(t, "point", "", FLYT_EXPORT_COUNT);
        param_cols(t, p);
        flyt__export_col(t, "kpi", "", FLYT_EXPORT_TEXT);
        flyt__export_col(t, "units", "", FLYT_EXPORT_TEXT);
        for (size_t j = 0; j < 4; j++)
            flyt__export_col(t, num[j], "", FLYT_EXPORT_REAL);
        flyt__export_col(t, "n", "replications", FLYT_EXPORT_COUNT);
        for (size_t i = 0; i < n_points; i++)
            for (size_t k = 0; k < n; k++) {
                size_t row = flyt__export_row(t);
                flyt__export_set_num(t, row, 0, (double)i);
                param_cells(t, row, 1, p, i);
                flyt__export_set_text(t, row, 1 + p->n, kpi[k]);
                flyt__export_set_text(t, row, 2 + p->n, units[k]);
                for (size_t j = 0; j < 5; j++)
                    flyt__export_set_num(t, row, 3 + p->n + j, x[j][i * n + k]);
            }
    }
    for (size_t j = 0; j < 5; j++)
        free(x[j]);
    flyt__h5_free_strings(kpi, n);
    flyt__h5_free_strings(units, nu);
    H5Gclose(s);
    return r->h.failed ? -1 : 0;
}

static int export_sweep(struct rd *r)
{
    struct params p = { 0 };
    size_t n_points = 0, c;
    hid_t pg = H5Gopen2(r->file, "parameters", H5P_DEFAULT);
    hid_t pts = H5Gopen2(r->file, "points", H5P_DEFAULT);
    if (pg < 0 || pts < 0)
        flyt__h5_rd_fail(&r->h, "cannot open '/parameters' and '/points' in '%s'", r->h.path);
    else
        p.key = flyt__h5_rd_strings(&r->h, pg, "key", &p.n);
    double *point = r->h.failed ? NULL : flyt__h5_rd_doubles(&r->h, pts, "point", &n_points, &c);
    size_t n_set = 0;
    char **set = point ? flyt__h5_rd_strings(&r->h, pts, "set", &n_set) : NULL;
    if (set && n_set != n_points)
        flyt__h5_rd_fail(&r->h, "'/points/set' in '%s' has %zu values for %zu points", r->h.path,
                         n_set, n_points);
    if (set && !r->h.failed && read_params(r, pts, &p, n_points) == 0) {
        struct flyt_export_table *t =
                add_table(r, "points", "the sweep's points: each varied parameter's value");
        if (t) {
            flyt__export_col(t, "point", "", FLYT_EXPORT_COUNT);
            param_cols(t, &p);
            flyt__export_col(t, "set", "", FLYT_EXPORT_TEXT);
            for (size_t i = 0; i < n_points; i++) {
                size_t row = flyt__export_row(t);
                flyt__export_set_num(t, row, 0, point[i]);
                param_cells(t, row, 1, &p, i);
                flyt__export_set_text(t, row, 1 + p.n, set[i]);
            }
        }
        if (flyt__h5_has(r->file, "summary"))
            sweep_summary(r, &p, n_points);
        if (!r->h.failed)
            sweep_tasks(r);
    }
    params_free(&p, n_points);
    free(point);
    flyt__h5_free_strings(set, n_set);
    if (pg >= 0)
        H5Gclose(pg);
    if (pts >= 0)
        H5Gclose(pts);
    return r->h.failed ? -1 : 0;
}

/* ------------------------------------------------------------- forecast */

/* Rows of the figures (groups with a median) among loc's subgroups,
 * named prefix + group name. */
static void figure_rows(struct rd *r, struct flyt_export_table *t, hid_t loc, const char *prefix,
                        char **date, const double *day, size_t n_days)
{
    static const char *const q[] = { "p05", "p25", "median", "p75", "p95", "mean" };
    struct names figs;
    if (subgroups(r, loc, ".", &figs) != 0)
        return;
    for (size_t f = 0; !r->h.failed && f < figs.n; f++) {
        hid_t g = H5Gopen2(loc, figs.v[f], H5P_DEFAULT);
        char units[64] = "", name[256];
        if (g < 0 || !flyt__h5_has(g, "median")) { /* a unit's group: its own rows */
            if (g >= 0)
                H5Gclose(g);
            continue;
        }
        snprintf(name, sizeof name, "%s%s", prefix, figs.v[f]);
        flyt__h5_attr_text(g, "units", units, sizeof units);
        double *x[6] = { 0 };
        for (size_t j = 0; !r->h.failed && j < 6; j++)
            x[j] = read_column(r, g, q[j], n_days);
        for (size_t i = 0; !r->h.failed && i < n_days; i++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_num(t, row, 0, day[i]);
            flyt__export_set_text(t, row, 1, date[i]);
            flyt__export_set_text(t, row, 2, name);
            flyt__export_set_text(t, row, 3, units);
            for (size_t j = 0; j < 6; j++)
                flyt__export_set_num(t, row, 4 + j, x[j][i]);
        }
        for (size_t j = 0; j < 6; j++)
            free(x[j]);
        H5Gclose(g);
    }
    flyt__h5_free_strings(figs.v, figs.n);
}

/* The system's figures, then each unit's as units.<id>.<figure> (the
 * name a unit's KPI has wherever KPIs are named by text). */
static int forecast_figures(struct rd *r, hid_t fc, char **date, const double *day, size_t n_days)
{
    static const char *const q[] = { "p05", "p25", "median", "p75", "p95", "mean" };
    struct flyt_export_table *t =
            add_table(r, "forecast",
                      "the days ahead: each figure's quantiles over the replications per day "
                      "(p05-p95 is the 90 % band, p25-p75 the 50 % band)");
    if (!t)
        return -1;
    flyt__export_col(t, "day", "days", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "date", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "figure", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "units", "", FLYT_EXPORT_TEXT);
    for (size_t j = 0; j < 6; j++)
        flyt__export_col(t, q[j], "", FLYT_EXPORT_REAL);
    figure_rows(r, t, fc, "", date, day, n_days);
    struct names units;
    if (r->h.failed || subgroups(r, fc, "units", &units) != 0)
        return -1;
    hid_t ug = units.n ? H5Gopen2(fc, "units", H5P_DEFAULT) : -1;
    for (size_t u = 0; !r->h.failed && ug >= 0 && u < units.n; u++) {
        hid_t g = H5Gopen2(ug, units.v[u], H5P_DEFAULT);
        char prefix[160];
        snprintf(prefix, sizeof prefix, "units.%s.", units.v[u]);
        if (g < 0)
            flyt__h5_rd_fail(&r->h, "cannot open '/forecast/units/%s' in '%s'", units.v[u],
                             r->h.path);
        else
            figure_rows(r, t, g, prefix, date, day, n_days);
        if (g >= 0)
            H5Gclose(g);
    }
    if (ug >= 0)
        H5Gclose(ug);
    flyt__h5_free_strings(units.v, units.n);
    return r->h.failed ? -1 : 0;
}

/* units: per day and unit, P(full) and the capacity open. */
static int forecast_units(struct rd *r, hid_t fc, char **date, const double *day, size_t n_days)
{
    struct names units;
    if (subgroups(r, fc, "units", &units) != 0)
        return -1;
    if (units.n == 0)
        return 0;
    struct flyt_export_table *t =
            add_table(r, "units",
                      "per day and unit: the share of replications in which it is full at "
                      "00:00, and the beds or hours per week open");
    hid_t ug = H5Gopen2(fc, "units", H5P_DEFAULT);
    if (!t || ug < 0)
        flyt__h5_rd_fail(&r->h, "cannot open '/forecast/units' in '%s'", r->h.path);
    if (t) {
        flyt__export_col(t, "day", "days", FLYT_EXPORT_COUNT);
        flyt__export_col(t, "date", "", FLYT_EXPORT_TEXT);
        flyt__export_col(t, "unit", "", FLYT_EXPORT_TEXT);
        flyt__export_col(t, "p_full", "fraction", FLYT_EXPORT_REAL);
        flyt__export_col(t, "capacity", "", FLYT_EXPORT_REAL);
        flyt__export_col(t, "capacity_units", "", FLYT_EXPORT_TEXT);
    }
    for (size_t u = 0; !r->h.failed && u < units.n; u++) {
        const char *unit = units.v[u];
        char cu[64] = "";
        hid_t g = H5Gopen2(ug, unit, H5P_DEFAULT);
        if (g < 0) {
            flyt__h5_rd_fail(&r->h, "cannot open '/forecast/units/%s' in '%s'", unit, r->h.path);
            break;
        }
        double *p = read_column(r, g, "p_full", n_days);
        double *c = flyt__h5_has(g, "capacity") ? read_column(r, g, "capacity", n_days) : NULL;
        if (c) {
            hid_t d = H5Dopen2(g, "capacity", H5P_DEFAULT);
            if (d >= 0) {
                flyt__h5_attr_text(d, "units", cu, sizeof cu);
                H5Dclose(d);
            }
        }
        for (size_t i = 0; p && !r->h.failed && i < n_days; i++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_num(t, row, 0, day[i]);
            flyt__export_set_text(t, row, 1, date[i]);
            flyt__export_set_text(t, row, 2, unit);
            flyt__export_set_num(t, row, 3, p[i]);
            flyt__export_set_num(t, row, 4, c ? c[i] : NAN);
            flyt__export_set_text(t, row, 5, cu);
        }
        free(p);
        free(c);
        H5Gclose(g);
    }
    if (ug >= 0)
        H5Gclose(ug);
    flyt__h5_free_strings(units.v, units.n);
    return r->h.failed ? -1 : 0;
}

static int forecast_ukp(struct rd *r)
{
    if (!flyt__h5_has(r->file, "ukp_still_waiting"))
        return 0;
    hid_t g = H5Gopen2(r->file, "ukp_still_waiting", H5P_DEFAULT);
    size_t n = 0, c;
    double *row = g >= 0 ? flyt__h5_rd_doubles(&r->h, g, "row", &n, &c) : NULL;
    double *p = row ? read_column(r, g, "probability", n) : NULL;
    struct flyt_export_table *t =
            p ? add_table(r, "ukp_still_waiting",
                          "census rows of the patients waiting as UKP on the census date, and "
                          "the share of replications in which each still waits on the check day")
              : NULL;
    if (t) {
        flyt__export_col(t, "row", "line", FLYT_EXPORT_COUNT);
        flyt__export_col(t, "probability", "fraction", FLYT_EXPORT_REAL);
        for (size_t i = 0; i < n; i++) {
            size_t k = flyt__export_row(t);
            flyt__export_set_num(t, k, 0, row[i]);
            flyt__export_set_num(t, k, 1, p[i]);
        }
    }
    if (g < 0)
        flyt__h5_rd_fail(&r->h, "cannot open '/ukp_still_waiting' in '%s'", r->h.path);
    free(row);
    free(p);
    if (g >= 0)
        H5Gclose(g);
    return r->h.failed ? -1 : 0;
}

static int export_forecast(struct rd *r)
{
    hid_t fc = H5Gopen2(r->file, "forecast", H5P_DEFAULT);
    if (fc < 0)
        return flyt__h5_rd_fail(&r->h, "cannot open '/forecast' in '%s'", r->h.path);
    size_t n_days = 0, c, nd = 0;
    double *day = flyt__h5_rd_doubles(&r->h, fc, "day", &n_days, &c);
    char **date = day ? flyt__h5_rd_strings(&r->h, fc, "date", &nd) : NULL;
    if (date && nd != n_days)
        flyt__h5_rd_fail(&r->h, "'/forecast/date' and '/forecast/day' in '%s' differ in length",
                         r->h.path);
    /* day and date are set when nothing failed; said for the analyzer, which
     * cannot see flyt__h5_rd_fail set failed in another file */
    if (!r->h.failed && day && date && forecast_figures(r, fc, date, day, n_days) == 0 &&
        forecast_units(r, fc, date, day, n_days) == 0)
        forecast_ukp(r);
    free(day);
    flyt__h5_free_strings(date, nd);
    H5Gclose(fc);
    return r->h.failed ? -1 : 0;
}

/* ------------------------------------------------------------------ fit */

/* Export's column names: the file's own (attribute `statistics`) are
 * shorter, and a spreadsheet column should say which interval it is. */
static const char *const fit_stats[FLYT__FIT_N_STAT] = {
    "loglik", "aic",         "mean",         "mean_ci95_low", "mean_ci95_high",
    "sd",     "sd_ci95_low", "sd_ci95_high", "gof",           "gof_p"
};

static int fit_durations(struct rd *r, const struct flyt__fit_durations *x)
{
    if (!x->present)
        return 0;
    struct flyt_export_table *t =
            add_table(r, "fit_durations",
                      "per fitted duration (a key and its frailty groups) and family: "
                      "the records, the fit and its goodness of fit; written: the "
                      "family in the scenario");
    if (!t)
        return -1;
    const char *cols[] = { "key", "groups", "family", "written" };
    for (size_t k = 0; k < 4; k++)
        flyt__export_col(t, cols[k], "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "n", "stays", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "ended", "stays", FLYT_EXPORT_COUNT);
    for (size_t k = 0; k < FLYT__FIT_N_STAT; k++)
        flyt__export_col(t, fit_stats[k], k >= FLYT__FIT_MEAN && k <= FLYT__FIT_SD_HI ? "days" : "",
                         FLYT_EXPORT_REAL);
    for (size_t i = 0; i < x->n; i++) {
        int chosen = flyt__fit_family_index(x->chosen[i]);
        for (size_t f = 0; f < FLYT__FIT_N_FAMILY; f++) {
            size_t row = flyt__export_row(t);
            flyt__export_set_text(t, row, 0, x->key[i]);
            flyt__export_set_text(t, row, 1, x->group[i]);
            flyt__export_set_text(t, row, 2, flyt__fit_families[f]);
            flyt__export_set_text(t, row, 3, chosen == (int)f ? "yes" : "");
            flyt__export_set_num(t, row, 4, x->counts[i * 2]);
            flyt__export_set_num(t, row, 5, x->counts[i * 2 + 1]);
            const double *st = &x->stats[(i * FLYT__FIT_N_FAMILY + f) * FLYT__FIT_N_STAT];
            for (size_t k = 0; k < FLYT__FIT_N_STAT; k++)
                flyt__export_set_num(t, row, 6 + k, st[k]);
        }
    }
    return 0;
}

/* /fit/shares or /fit/hazards: key, group, category, five numbers. */
static int fit_categories(struct rd *r, const struct flyt__fit_categories *x, bool hazards)
{
    if (!x->present)
        return 0;
    struct flyt_export_table *t =
            hazards ? add_table(r, "fit_hazards",
                                "caseload hazards per route: events, person-years at risk, "
                                "the rate a year and its exact 95 % interval")
                    : add_table(r, "fit_shares",
                                "shares per category (routes, destinations, CFS levels, ...): "
                                "count, total, share and its simultaneous 95 % interval");
    if (!t)
        return -1;
    flyt__export_col(t, "key", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "groups", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "category", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, hazards ? "events" : "count", "", FLYT_EXPORT_COUNT);
    flyt__export_col(t, hazards ? "exposure" : "total", hazards ? "person-years" : "",
                     hazards ? FLYT_EXPORT_REAL : FLYT_EXPORT_COUNT);
    flyt__export_col(t, hazards ? "rate" : "share", hazards ? "per year" : "fraction",
                     FLYT_EXPORT_REAL);
    flyt__export_col(t, "ci95_low", hazards ? "per year" : "fraction", FLYT_EXPORT_REAL);
    flyt__export_col(t, "ci95_high", hazards ? "per year" : "fraction", FLYT_EXPORT_REAL);
    for (size_t i = 0; i < x->n; i++) {
        size_t row = flyt__export_row(t);
        flyt__export_set_text(t, row, 0, x->key[i]);
        flyt__export_set_text(t, row, 1, x->group[i]);
        flyt__export_set_text(t, row, 2, x->category[i]);
        for (size_t k = 0; k < FLYT__FIT_N_VALUE; k++)
            flyt__export_set_num(t, row, 3 + k, x->values[i * FLYT__FIT_N_VALUE + k]);
    }
    return 0;
}

static int fit_arrivals(struct rd *r, const struct flyt__fit_arrivals *x, int from_day)
{
    if (!x->present)
        return 0;
    struct flyt_export_table *t =
            add_table(r, "fit_arrivals",
                      "admissions from the community on each whole day of the records' "
                      "window, and the fitted rate");
    if (!t)
        return -1;
    flyt__export_col(t, "day", "days", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "date", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "admissions", "patients/day", FLYT_EXPORT_COUNT);
    flyt__export_col(t, "fitted", "patients/day", FLYT_EXPORT_REAL);
    for (size_t i = 0; i < x->n_days; i++) {
        size_t row = flyt__export_row(t);
        int y, m, d;
        char date[16];
        flyt_civil_from_days(from_day + (int)i, &y, &m, &d);
        snprintf(date, sizeof date, "%04d-%02d-%02d", y, m, d);
        flyt__export_set_num(t, row, 0, (double)i);
        flyt__export_set_text(t, row, 1, date);
        flyt__export_set_num(t, row, 2, x->count[i]);
        flyt__export_set_num(t, row, 3, x->fitted[i]);
    }
    return 0;
}

static int export_fit(struct rd *r)
{
    struct flyt__fit_file fit;
    if (flyt__fit_read(r->file, r->h.path,
                       FLYT__FIT_READ_FROM_DATE | FLYT__FIT_READ_DURATIONS | FLYT__FIT_READ_SHARES |
                               FLYT__FIT_READ_HAZARDS | FLYT__FIT_READ_ARRIVALS,
                       &fit, r->h.err, r->h.errlen) != 0)
        r->h.failed++; /* the reader wrote the message */
    else if (fit_durations(r, &fit.durations) == 0 && fit_categories(r, &fit.shares, false) == 0 &&
             fit_categories(r, &fit.hazards, true) == 0)
        fit_arrivals(r, &fit.arrivals, fit.from_day);
    flyt__fit_free(&fit);
    return r->h.failed ? -1 : 0;
}

/* ---------------------------------------------------------------- about */

/* The long texts (a scenario or sweep file's bytes) stay in the HDF5 file:
 * a spreadsheet cell holds at most 32,767 characters. */
static bool long_text(const char *name)
{
    return strcmp(name, "scenario_text") == 0 || strcmp(name, "scenario_resolved") == 0 ||
           strcmp(name, "sweep_text") == 0 || strcmp(name, "base_text") == 0 ||
           strcmp(name, "fitted_text") == 0;
}

static herr_t each_attr(hid_t obj, const char *name, const H5A_info_t *info, void *arg)
{
    (void)info;
    struct flyt_export_table *t = arg;
    char buf[4096];
    if (long_text(name) || !flyt__h5_attr_text(obj, name, buf, sizeof buf))
        return 0;
    size_t row = flyt__export_row(t);
    flyt__export_set_text(t, row, 0, name);
    flyt__export_set_text(t, row, 1, buf);
    return t->failed ? -1 : 0;
}

static int about(struct rd *r, const char *source)
{
    struct flyt_export_table *t =
            add_table(r, "about",
                      "where these tables come from: the flyt file's root attributes "
                      "(docs/hdf5-layout.md); the scenario's text stays in the file");
    if (!t)
        return -1;
    flyt__export_col(t, "attribute", "", FLYT_EXPORT_TEXT);
    flyt__export_col(t, "value", "", FLYT_EXPORT_TEXT);
    size_t row = flyt__export_row(t);
    flyt__export_set_text(t, row, 0, "exported_from");
    flyt__export_set_text(t, row, 1, source);
    hsize_t idx = 0;
    if (H5Aiterate2(r->file, H5_INDEX_NAME, H5_ITER_INC, &idx, each_attr, t) < 0)
        return flyt__h5_rd_fail(&r->h, "cannot read the root attributes of '%s'", r->h.path);
    return 0;
}

/* ----------------------------------------------------------------- entry */

static int open_flyt(struct rd *r)
{
    r->file = flyt__h5_rd_open(&r->h, "; export reads only files flyt wrote");
    return r->file < 0 ? -1 : 0;
}

int flyt_export_read(const char *path, struct flyt_export_book **book, char *err, size_t errlen)
{
    struct rd r = { .file = -1, .h = { .path = path, .err = err, .errlen = errlen } };
    *book = NULL;
    if (err && errlen)
        err[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (!(r.book = calloc(1, sizeof *r.book)))
        return flyt__h5_rd_fail(&r.h, "out of memory"), FLYT_EXPORT_FAILED;
    int rc = FLYT_EXPORT_OK;
    char date[32];
    if (open_flyt(&r) != 0) {
        rc = FLYT_EXPORT_NOT_FLYT;
        goto done;
    }
    const char *kind = r.book->kind;
    if (!flyt__h5_attr_text(r.file, "kind", r.book->kind, sizeof r.book->kind))
        snprintf(r.book->kind, sizeof r.book->kind, "%s",
                 flyt__h5_has(r.file, "summary") ? "run" : "");
    int y, m, d;
    if (flyt__h5_attr_text(r.file, "start_date", date, sizeof date) &&
        sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        r.start_day = flyt_days_from_civil(y, m, d);
        r.have_start = true;
    }
    int st;
    if (strcmp(kind, "run") == 0)
        st = export_run(&r);
    else if (strcmp(kind, "compare") == 0)
        st = export_compare(&r);
    else if (strcmp(kind, "sweep") == 0 || strcmp(kind, "sweep-shard") == 0)
        st = export_sweep(&r);
    else if (strcmp(kind, "forecast") == 0)
        st = export_forecast(&r);
    else if (strcmp(kind, "fit") == 0)
        st = export_fit(&r);
    else {
        flyt__h5_rd_fail(
                &r.h,
                "'%s' is a flyt file of kind '%s', which this flyt cannot export (run, compare, "
                "sweep, sweep-shard, forecast, fit): export it with the flyt that wrote it",
                path, kind);
        rc = FLYT_EXPORT_NOT_FLYT;
        goto done;
    }
    if (st == 0)
        st = about(&r, path);
    for (size_t i = 0; st == 0 && i < r.book->n_tables; i++)
        if (r.book->tables[i]->failed)
            st = flyt__h5_rd_fail(&r.h, "out of memory");
    if (st != 0)
        rc = FLYT_EXPORT_FAILED;
done:
    if (r.file >= 0)
        H5Fclose(r.file);
    if (rc != FLYT_EXPORT_OK) {
        flyt_export_book_free(r.book);
        return rc;
    }
    *book = r.book;
    return rc;
}

void flyt_export_book_free(struct flyt_export_book *book)
{
    if (!book)
        return;
    for (size_t i = 0; i < book->n_tables; i++)
        flyt__export_table_free(book->tables[i]);
    free(book->tables);
    free(book);
}
