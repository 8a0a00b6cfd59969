/* The care network in a run file, as tables across the units:
 *
 *   /units            attributes: the per-unit KPI names (kpi, kpi_units,
 *                     kpi_description) and each unit's settings, in the
 *                     scenario's order (name, kind, capacity, hospital)
 *   /units/ids        the unit ids; unit index u (of every table here, and
 *                     of /patients and /events) is ids[u]
 *   /units/kpis       [replication x unit x kpi]
 *   /units/summary    [unit x kpi x statistic]
 *   /units/series/<s> [replication x unit x day], or reduced
 *                     [statistic x unit x day]
 *
 * A table per figure rather than a group per unit: HDF5's cost grows with
 * the number of objects, not with their size (docs/performance.md), and a
 * region's network has a hundred units. */
#include "flyt/series.h"
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_name[FLYT_N_UNIT_KINDS] = { "beds", "caseload", "unlimited" };

#define table       flyt__h5_table
#define write_table flyt__h5_write_table

/* Written a block of rows at a time, so that a long run's series are never
 * whole twice; chunks hold one unit's rows, so that a reader of one unit
 * reads only its own. */
int flyt__h5_write_table(struct flyt__h5 *c, hid_t g, const struct flyt__h5_table *t,
                         const void *ctx, hid_t *keep)
{
    size_t max_cols = flyt__h5_max_chunk_cols();
    size_t block = flyt__h5_block_rows(t->rows, t->inner);
    if (block < 1)
        block = 1;
    hsize_t dims[3] = { t->rows, t->n_units, t->inner };
    hsize_t chunk[3] = { block, 1, t->inner < max_cols ? t->inner : max_cols };
    hid_t dcpl = flyt__h5_dcpl_chunks(c, 3, dims, chunk);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, t->name);
    hid_t d = flyt__h5_dset_create(c, g, t->name, H5T_IEEE_F64LE, 3, dims, dcpl, t->units, t->desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", t->dimensions);
    size_t slab = t->n_units * t->inner;
    double *buf = rc == 0 && t->rows > 0 && slab > 0 ? malloc(block * slab * sizeof *buf) : NULL;
    if (rc == 0 && t->rows > 0 && slab > 0 && !buf)
        rc = flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    for (size_t i = 0; buf && rc == 0 && i < t->rows; i += block) {
        size_t n = t->rows - i < block ? t->rows - i : block;
        for (size_t j = 0; j < n; j++)
            t->fill(ctx, i + j, buf + j * slab);
        rc = flyt__h5_write_rows(c, d, i, n, slab, buf);
    }
    free(buf);
    if (rc == 0 && keep) {
        *keep = d;
        return 0;
    }
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, t->name);
    return rc;
}

struct units_src {
    const struct flyt_result *res;
    const struct flyt_summary *sum;
    const struct flyt_series_reduce *red;
    unsigned n_units;
    int k; /* a series */
    size_t n_days;
};

static void kpi_slab(const void *ctx, size_t i, double *out)
{
    const struct units_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    for (unsigned u = 0; u < a->n_units; u++, out += FLYT_N_UNIT_KPI)
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
            out[k] = r->unit_kpi && u < r->n_units ? flyt_result_unit_kpi(r, u)[k] : NAN;
}

/* Row u of the summary: [kpi x statistic]. */
static void summary_slab(const void *ctx, size_t u, double *out)
{
    const struct units_src *a = ctx;
    bool have = a->sum->unit && u < a->sum->n_units;
    flyt__h5_stat_row(have ? flyt_summary_unit(a->sum, (unsigned)u) : NULL, FLYT_N_UNIT_KPI, out);
}

/* A replication stopped early has fewer days: the rest is NaN. */
static void series_slab(const void *ctx, size_t i, double *out)
{
    const struct units_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    for (unsigned u = 0; u < a->n_units; u++, out += a->n_days) {
        size_t len = r->unit_series && u < r->n_units ? r->n_days : 0;
        if (len > a->n_days)
            len = a->n_days;
        if (len)
            memcpy(out, flyt_result_unit_series(r, u, a->k), len * sizeof *out);
        for (size_t t = len; t < a->n_days; t++)
            out[t] = NAN;
    }
}

static void reduced_slab(const void *ctx, size_t st, double *out)
{
    const struct units_src *a = ctx;
    for (unsigned u = 0; u < a->n_units; u++, out += a->n_days)
        flyt_series_reduce_unit_get(a->red, u, a->k, (enum flyt_series_stat)st, out);
}

static int close_dset(struct flyt__h5 *c, hid_t d, int rc)
{
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    return rc;
}

/* "mean,sd,...": the names of the reduced rows, from the list itself. */
#define STAT_NAME(name, units, desc) "," #name
static const char stat_rows[] = FLYT_SERIES_STAT_LIST(STAT_NAME);
#undef STAT_NAME

static int write_series(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                        struct units_src *a, size_t n_res)
{
    hid_t sg = flyt__h5_group_create(c, g, "series");
    if (sg < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, sg, "layout", a->red ? "reduced" : "whole");
    for (int k = 0; rc == 0 && k < FLYT_N_UNIT_SERIES; k++) {
        const struct flyt_field_def *f = &flyt_unit_series_defs[k];
        struct table t = { f->name, f->units,   f->description, "replication, unit, day",
                           n_res,   a->n_units, a->n_days,      series_slab };
        if (a->red) {
            t.rows = FLYT_N_SERIES_STAT;
            t.dimensions = "statistic, unit, day";
            t.fill = reduced_slab;
        }
        hid_t d = -1;
        a->k = k;
        rc = write_table(c, sg, &t, a, &d);
        if (rc == 0)
            rc = flyt__h5_attr_double(c, d, "first_day", s->warmup_days) ||
                                 flyt__h5_attr_str(c, d, "sampling", "census at 00:00") ||
                                 (a->red && flyt__h5_attr_str(c, d, "rows", stat_rows + 1))
                         ? -1
                         : 0;
        if (d >= 0)
            rc = close_dset(c, d, rc);
    }
    return flyt__h5_close_group(c, sg, rc);
}

/* The settings of every unit, attributes of /units in the scenario's order. */
static int unit_settings(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s)
{
    size_t nu = (size_t)s->n_units;
    const char **text = malloc(2 * nu * sizeof *text);
    double *cap = malloc(nu * sizeof *cap);
    unsigned char *hosp = malloc(nu);
    if (!text || !cap || !hosp) {
        free(text);
        free(cap);
        free(hosp);
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    }
    int rc = 0;
    for (size_t u = 0; u < nu; u++) {
        const struct flyt_unit *un = &s->units[u];
        text[u] = un->name ? un->name : un->id;
        text[nu + u] = kind_name[un->kind];
        cap[u] = un->kind == FLYT_UNIT_UNLIMITED ? NAN : un->capacity;
        hosp[u] = un->hospital;
    }
    hsize_t dims[1] = { nu };
    hid_t sp = rc == 0 ? H5Screate_simple(1, dims, NULL) : -1;
    if (rc == 0 && sp < 0)
        rc = flyt__h5_fail(c, g, "");
    const struct {
        const char *name;
        hid_t ftype, mtype;
        const void *v;
    } attr[] = {
        { "name", c->str, c->str, text },
        { "kind", c->str, c->str, text + nu },
        { "capacity", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, cap },
        { "hospital", H5T_STD_U8LE, H5T_NATIVE_UCHAR, hosp },
    };
    for (size_t i = 0; rc == 0 && i < sizeof attr / sizeof attr[0]; i++) {
        hid_t a = H5Acreate2(g, attr[i].name, attr[i].ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
        rc = a >= 0 && H5Awrite(a, attr[i].mtype, attr[i].v) >= 0
                     ? 0
                     : flyt__h5_fail(c, g, attr[i].name);
        if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
            rc = flyt__h5_fail(c, g, attr[i].name);
    }
    if (sp >= 0)
        H5Sclose(sp);
    free(text);
    free(cap);
    free(hosp);
    return rc;
}

static int kpi_tables(struct flyt__h5 *c, hid_t g, struct units_src *a, size_t n_res)
{
    const struct table kpis = { "kpis",
                                "per kpi: see the attribute /units@kpi_units",
                                "each unit's KPIs per replication (row i: "
                                "/replications/replication[i]; unit u: /units/ids[u]; "
                                "kpi k: /units@kpi[k])",
                                "replication, unit, kpi",
                                n_res,
                                a->n_units,
                                FLYT_N_UNIT_KPI,
                                kpi_slab };
    const struct table summary = {
        "summary",
        "per kpi: see the attribute /units@kpi_units",
        "per unit and KPI over the replications with a finite value: "
        "mean, sd (n-1), the 95 % interval (Student t, log or logit scale at a bound), n",
        "unit, kpi, statistic",
        a->n_units,
        FLYT_N_UNIT_KPI,
        FLYT__H5_N_STAT,
        summary_slab
    };
    hid_t d = -1;
    int rc = write_table(c, g, &kpis, a, NULL) || write_table(c, g, &summary, a, &d) ? -1 : 0;
    if (d >= 0)
        rc = close_dset(c, d, rc || flyt__h5_attr_str(c, d, "columns", FLYT__H5_STAT_COLUMNS));
    return rc;
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
    int rc = flyt__h5_write_1d(c, g, "ids", c->str, c->str, nu, ids, "",
                               "unit ids in the scenario's order: unit index u is ids[u]") ||
                             flyt__h5_attr_strs(c, g, "kpi", name, K) ||
                             flyt__h5_attr_strs(c, g, "kpi_units", units, K) ||
                             flyt__h5_attr_strs(c, g, "kpi_description", desc, K) ||
                             unit_settings(c, g, s)
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
    struct units_src a = { res, sum, red, (unsigned)nu, 0, n_days };
    if (rc == 0)
        rc = kpi_tables(c, g, &a, n_res) || write_series(c, g, s, &a, n_res) ? -1 : 0;
    return flyt__h5_close_group(c, g, rc);
}
