/* The care network in a run file: /units lists the unit ids in the
 * scenario's order (the unit indices of /patients and /events refer to it)
 * and (attributes) the names of the per-unit KPI columns; /units/<id>/ holds the unit's
 * settings as attributes, its KPIs as one [replication x kpi] table, their
 * summary as one [kpi x statistic] table and its daily series. Tables
 * rather than a dataset per KPI: HDF5's cost grows with the number of
 * objects (docs/performance.md), and a network may have many units. */
#include "flyt/series.h"
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_name[FLYT_N_UNIT_KINDS] = { "beds", "caseload", "unlimited" };

/* A double matrix [rows x cols]; row(ctx, i, out) fills row i. Written a
 * block of rows at a time so that a long run's series are never whole twice. */
typedef void (*row_fn)(const void *ctx, size_t i, double *out);

static hid_t matrix_create(struct flyt__h5 *c, hid_t g, const char *name, size_t rows, size_t cols,
                           const char *units, const char *desc, size_t *block)
{
    hsize_t dims[2] = { rows, cols };
    *block = flyt__h5_block_rows(rows, cols);
    hid_t dcpl = flyt__h5_dcpl_blocks(c, rows, cols, *block ? *block : 1);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, H5T_IEEE_F64LE, 2, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    return d;
}

static int matrix_fill(struct flyt__h5 *c, hid_t d, size_t rows, size_t cols, size_t block,
                       row_fn row, const void *ctx)
{
    if (rows == 0 || cols == 0)
        return 0;
    double *buf = malloc(block * cols * sizeof *buf);
    if (!buf)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < rows; i += block) {
        size_t n = rows - i < block ? rows - i : block;
        for (size_t j = 0; j < n; j++)
            row(ctx, i + j, buf + j * cols);
        rc = flyt__h5_write_rows(c, d, i, n, cols, buf);
    }
    free(buf);
    return rc;
}

struct unit_src {
    const struct flyt_result *res;
    const struct flyt_summary *sum;
    const struct flyt_series_reduce *red;
    unsigned u;
    int k; /* a series */
    size_t n_days;
};

static void kpi_row(const void *ctx, size_t i, double *out)
{
    const struct unit_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
        out[k] = r->unit_kpi && a->u < r->n_units ? flyt_result_unit_kpi(r, a->u)[k] : NAN;
}

enum { S_MEAN, S_SD, S_LO, S_HI, S_N, N_STAT };
static const char summary_columns[] = "mean,sd,ci95_low,ci95_high,n";

static void summary_row(const void *ctx, size_t k, double *out)
{
    const struct unit_src *a = ctx;
    if (!a->sum->unit || a->u >= a->sum->n_units) {
        for (int j = 0; j < N_STAT; j++)
            out[j] = j == S_N ? 0 : NAN;
        return;
    }
    const struct flyt_stat *st = &flyt_summary_unit(a->sum, a->u)[k];
    int ok = isfinite(st->mean) && isfinite(st->ci_half);
    out[S_MEAN] = st->mean;
    out[S_SD] = st->sd;
    out[S_LO] = ok ? st->mean - st->ci_half : NAN;
    out[S_HI] = ok ? st->mean + st->ci_half : NAN;
    out[S_N] = st->n;
}

/* A replication stopped early has fewer days: the rest is NaN. */
static void series_row(const void *ctx, size_t i, double *out)
{
    const struct unit_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    size_t len = r->unit_series && a->u < r->n_units ? r->n_days : 0;
    if (len > a->n_days)
        len = a->n_days;
    if (len)
        memcpy(out, flyt_result_unit_series(r, a->u, a->k), len * sizeof *out);
    for (size_t t = len; t < a->n_days; t++)
        out[t] = NAN;
}

static void reduced_row(const void *ctx, size_t st, double *out)
{
    const struct unit_src *a = ctx;
    flyt_series_reduce_unit_get(a->red, a->u, a->k, (enum flyt_series_stat)st, out);
}

static int write_matrix(struct flyt__h5 *c, hid_t g, const char *name, size_t rows, size_t cols,
                        const char *units, const char *desc, const char *dimensions, row_fn row,
                        const void *ctx, hid_t *keep)
{
    size_t block;
    hid_t d = matrix_create(c, g, name, rows, cols, units, desc, &block);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", dimensions) ||
                             matrix_fill(c, d, rows, cols, block, row, ctx)
                     ? -1
                     : 0;
    if (rc == 0 && keep) {
        *keep = d;
        return 0;
    }
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

static int close_dset(struct flyt__h5 *c, hid_t d, int rc)
{
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    return rc;
}

static int unit_series(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                       struct unit_src *a, size_t n_res)
{
    hid_t sg = flyt__h5_group_create(c, g, "series");
    if (sg < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, sg, "layout", a->red ? "reduced" : "whole");
    for (int k = 0; rc == 0 && k < FLYT_N_UNIT_SERIES; k++) {
        const struct flyt_field_def *f = &flyt_unit_series_defs[k];
        hid_t d = -1;
        a->k = k;
        if (a->red)
            rc = write_matrix(c, sg, f->name, FLYT_N_SERIES_STAT, a->n_days, f->units,
                              f->description, "statistic, day", reduced_row, a, &d);
        else
            rc = write_matrix(c, sg, f->name, n_res, a->n_days, f->units, f->description,
                              "replication, day", series_row, a, &d);
        if (rc == 0)
            rc = flyt__h5_attr_double(c, d, "first_day", s->warmup_days) ||
                                 flyt__h5_attr_str(c, d, "sampling", "census at 00:00") ||
                                 (a->red && flyt__h5_attr_str(c, d, "rows", "mean,sd,min,max,n"))
                         ? -1
                         : 0;
        if (d >= 0)
            rc = close_dset(c, d, rc);
    }
    return flyt__h5_close_group(c, sg, rc);
}

static int one_unit(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                    struct unit_src *a, size_t n_res, bool series)
{
    const struct flyt_unit *un = &s->units[a->u];
    hid_t g = flyt__h5_group_create(c, loc, un->id);
    if (g < 0)
        return -1;
    double cap = un->kind == FLYT_UNIT_UNLIMITED ? NAN : un->capacity;
    int rc = flyt__h5_attr_str(c, g, "name", un->name ? un->name : un->id) ||
                             flyt__h5_attr_str(c, g, "kind", kind_name[un->kind]) ||
                             flyt__h5_attr_double(c, g, "capacity", cap) ||
                             flyt__h5_attr_write(c, g, "hospital", H5T_STD_U8LE, H5T_NATIVE_UCHAR,
                                                 &(unsigned char){ un->hospital }) ||
                             flyt__h5_attr_write(c, g, "index", H5T_STD_U32LE, H5T_NATIVE_UINT,
                                                 &a->u) ||
                             write_matrix(c, g, "kpis", n_res, FLYT_N_UNIT_KPI,
                                          "per column: see the attribute /units@kpi_units",
                                          "the unit's KPIs per replication (row i: "
                                          "/replications/replication[i]; columns: /units@kpi)",
                                          "replication, kpi", kpi_row, a, NULL)
                     ? -1
                     : 0;
    hid_t d = -1;
    if (rc == 0)
        rc = write_matrix(c, g, "summary", FLYT_N_UNIT_KPI, N_STAT,
                          "per row: see the attribute /units@kpi_units",
                          "per KPI (rows: /units@kpi) over the replications with a finite "
                          "value: mean, sd (n-1), the 95 % Student-t interval, n",
                          "kpi, statistic", summary_row, a, &d);
    if (d >= 0)
        rc = close_dset(c, d, rc || flyt__h5_attr_str(c, d, "columns", summary_columns));
    if (rc == 0 && series)
        rc = unit_series(c, g, s, a, n_res);
    return flyt__h5_close_group(c, g, rc);
}

int flyt__h5_write_units(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum)
{
    if (s->n_units <= 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, loc, "units");
    if (g < 0)
        return -1;
    size_t nu = (size_t)s->n_units;
    const char **ids = malloc(nu * sizeof *ids);
    if (!ids)
        return flyt__h5_close_group(
                c, g, flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name));
    for (size_t u = 0; u < nu; u++)
        ids[u] = s->units[u].id;
    const char *name[FLYT_N_UNIT_KPI], *units[FLYT_N_UNIT_KPI], *desc[FLYT_N_UNIT_KPI];
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
        name[k] = flyt_unit_kpi_defs[k].name;
        units[k] = flyt_unit_kpi_defs[k].units;
        desc[k] = flyt_unit_kpi_defs[k].description;
    }
    size_t K = FLYT_N_UNIT_KPI;
    /* The column names are attributes: a unit id may be any name but "ids". */
    int rc = flyt__h5_write_1d(c, g, "ids", c->str, c->str, nu, ids, "",
                               "unit ids in the scenario's order: unit index i is ids[i]") ||
                             flyt__h5_attr_strs(c, g, "kpi", name, K) ||
                             flyt__h5_attr_strs(c, g, "kpi_units", units, K) ||
                             flyt__h5_attr_strs(c, g, "kpi_description", desc, K)
                     ? -1
                     : 0;
    free(ids);
    /* Days of the longest replication, as /series has them. */
    size_t n_days = 0;
    for (size_t i = 0; i < n_res; i++)
        if (res[i].unit_series && res[i].n_days > n_days)
            n_days = res[i].n_days;
    const struct flyt_series_reduce *red =
            sum->series && flyt_series_reduce_units(sum->series) == nu ? sum->series : NULL;
    if (red)
        n_days = flyt_series_reduce_days(red);
    bool series = true; /* as /series, which every run file has */
    for (size_t u = 0; rc == 0 && u < nu; u++) {
        struct unit_src a = { res, sum, red, (unsigned)u, 0, n_days };
        rc = one_unit(c, g, s, &a, n_res, series);
    }
    return flyt__h5_close_group(c, g, rc);
}
