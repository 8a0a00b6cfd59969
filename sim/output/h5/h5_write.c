/*
 * The run file. Layout (format "flyt", format_version 2):
 *
 *   /                root attributes: provenance (versions, scenario text,
 *                    seed, command line, host, time) and run settings
 *   /replications    one dataset per KPI, double [replication], plus
 *                    replication, status, status_detail, model_events,
 *                    engine_events (timings stay out: they are not results
 *                    and would break bit-identical comparisons)
 *   /summary         one row per KPI: kpi, units, description, mean, sd,
 *                    ci95_low, ci95_high, n
 *   /series          one dataset per daily series, double [replication x day];
 *                    or, reduced (attribute layout = "reduced"), one group
 *                    per series with mean, sd, min, max, n, p05 .. p95 [day]
 *   /roles           per coordinator role (h5_roles.c)
 *   /units           the care network: ids, settings, and tables across the
 *                    units of KPIs, their summary and daily series (h5_units.c)
 *
 * Every dataset carries `units` and `description` attributes. Everything
 * below the provenance is flyt__h5_write_run_body, which the comparison
 * file repeats once per scenario.
 */
#include "flyt/mser.h"
#include "flyt/series.h"
#include "output/h5/h5_common.h"
#include "output/h5/sha256.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int flyt__h5_run_attrs(struct flyt__h5 *c, hid_t root, const struct flyt_scenario *s,
                       const struct flyt_run_meta *meta)
{
    char date[48], text_sha[65], resolved_sha[65];
    snprintf(date, sizeof date, "%04d-%02d-%02d", s->start_year, s->start_month, s->start_mday);
    flyt_sha256_hex(s->text ? s->text : "", s->text ? strlen(s->text) : 0, text_sha);
    flyt_sha256_hex(s->resolved_text ? s->resolved_text : "",
                    s->resolved_text ? strlen(s->resolved_text) : 0, resolved_sha);
    if (flyt__h5_attr_str(c, root, "scenario_name", s->name) ||
        flyt__h5_attr_str(c, root, "scenario_description", s->description) ||
        flyt__h5_attr_str(c, root, "scenario_source", s->source) ||
        flyt__h5_attr_str(c, root, "scenario_text", s->text) ||
        flyt__h5_attr_str(c, root, "scenario_sha256", text_sha) ||
        flyt__h5_attr_str(c, root, "scenario_resolved", s->resolved_text) ||
        flyt__h5_attr_str(c, root, "scenario_resolved_sha256", resolved_sha) ||
        flyt__h5_attr_write(c, root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &s->seed) ||
        flyt__h5_attr_write(c, root, "replications", H5T_STD_U32LE, H5T_NATIVE_UINT,
                            &s->replications) ||
        flyt__h5_attr_double(c, root, "horizon_days", s->horizon_days) ||
        flyt__h5_attr_double(c, root, "warmup_days", s->warmup_days) ||
        flyt__h5_attr_str(c, root, "start_date", date) ||
        flyt__h5_attr_write(c, root, "threads", H5T_STD_U32LE, H5T_NATIVE_UINT,
                            &(unsigned){ meta ? meta->threads : 0 }) ||
        flyt__h5_attr_double(c, root, "wall_seconds", meta ? meta->wall_seconds : NAN))
        return -1;
    return 0;
}

/* /replications is one table, a compound row per replication: HDF5's cost
 * is per object (docs/performance.md), and a row of named fields reads as
 * easily as a dataset per column (h5py: f["replications"]["ukp_wait_mean"]). */
struct rep_row {
    uint32_t replication;
    int32_t status;
    uint64_t model_events, engine_events;
    const char *status_detail;
    double kpi[FLYT_N_KPI];
};

enum { N_FIXED = 5, N_FIELDS = N_FIXED + FLYT_N_KPI };

static const struct {
    const char *name, *units, *description;
} fixed[N_FIXED] = {
    { "replication", "",
      "replication number; row i of every table here and in /series and /units" },
    { "status", "", "run status: 0 ok, 1 runaway stopped, 2 out of memory, 4 stuck, 5 gridlock" },
    { "status_detail", "", "why a replication did not end ok (empty when it did)" },
    { "model_events", "events", "model events: arrivals, ready, ends" },
    { "engine_events", "events", "every event the engine ran" },
};

/* The row in memory (mem) and in the file (disk: little-endian, packed). */
static int rep_types(struct flyt__h5 *c, hid_t *mem, hid_t *disk)
{
    const struct {
        size_t offset;
        hid_t mtype, ftype;
    } f[N_FIXED] = {
        { offsetof(struct rep_row, replication), H5T_NATIVE_UINT32, H5T_STD_U32LE },
        { offsetof(struct rep_row, status), H5T_NATIVE_INT32, H5T_STD_I32LE },
        { offsetof(struct rep_row, status_detail), c->str, c->str },
        { offsetof(struct rep_row, model_events), H5T_NATIVE_UINT64, H5T_STD_U64LE },
        { offsetof(struct rep_row, engine_events), H5T_NATIVE_UINT64, H5T_STD_U64LE },
    };
    size_t disk_size = 0;
    for (int i = 0; i < N_FIXED; i++)
        disk_size += H5Tget_size(f[i].ftype);
    disk_size += FLYT_N_KPI * sizeof(double);
    *mem = H5Tcreate(H5T_COMPOUND, sizeof(struct rep_row));
    *disk = H5Tcreate(H5T_COMPOUND, disk_size);
    int ok = *mem >= 0 && *disk >= 0;
    size_t at = 0;
    for (int i = 0; ok && i < N_FIELDS; i++) {
        const char *name = i < N_FIXED ? fixed[i].name : flyt_kpi_defs[i - N_FIXED].name;
        size_t moff = i < N_FIXED ? f[i].offset
                                  : offsetof(struct rep_row, kpi) +
                                            (size_t)(i - N_FIXED) * sizeof(double);
        hid_t mt = i < N_FIXED ? f[i].mtype : H5T_NATIVE_DOUBLE;
        hid_t ft = i < N_FIXED ? f[i].ftype : H5T_IEEE_F64LE;
        ok = H5Tinsert(*mem, name, moff, mt) >= 0 && H5Tinsert(*disk, name, at, ft) >= 0;
        at += H5Tget_size(ft);
    }
    return ok ? 0 : -1;
}

/* The file's bytes per row: a variable-length string is a 16-byte heap id. */
static size_t rep_row_bytes(void)
{
    return 4 + 4 + 16 + 8 + 8 + FLYT_N_KPI * sizeof(double);
}

/* units and description of every field, in the table's order. */
static int rep_attrs(struct flyt__h5 *c, hid_t d, const struct flyt_scenario *s)
{
    const char *units[N_FIELDS], *desc[N_FIELDS];
    char buf[160];
    for (int i = 0; i < N_FIELDS; i++) {
        units[i] = i < N_FIXED ? fixed[i].units : flyt_kpi_defs[i - N_FIXED].units;
        desc[i] = i < N_FIXED ? fixed[i].description
                              : flyt_kpi_description(i - N_FIXED, s->readmission_window_days, buf,
                                                     sizeof buf);
    }
    return flyt__h5_attr_strs(c, d, "units", units, N_FIELDS) ||
                           flyt__h5_attr_strs(c, d, "description", desc, N_FIELDS)
                   ? -1
                   : 0;
}

static int write_replications(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                              const struct flyt_result *res, size_t n)
{
    const char *name = "replications";
    struct rep_row *row = malloc((n ? n : 1) * sizeof *row);
    if (!row)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    hid_t mem = -1, disk = -1, sp = -1, dcpl = -1, d = -1;
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        row[i] = (struct rep_row){ .replication = res[i].replication,
                                   .status = res[i].status,
                                   .model_events = res[i].model_events,
                                   .engine_events = res[i].engine_events,
                                   .status_detail = res[i].status_detail };
        memcpy(row[i].kpi, res[i].kpi, sizeof row[i].kpi);
    }
    hsize_t dims[1] = { n }, chunk[1] = { n < 4096 ? n : 4096 };
    if (rc == 0 && rep_types(c, &mem, &disk) < 0)
        rc = flyt__h5_fail(c, loc, name);
    if (rc == 0) {
        bool compact = n <= 8192 && flyt__h5_is_compact(n * rep_row_bytes());
        dcpl = compact ? flyt__h5_dcpl_compact(c, false) : flyt__h5_dcpl_new();
        if (dcpl < 0 || (!compact && n > 0 &&
                         (H5Pset_chunk(dcpl, 1, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
                          H5Pset_deflate(dcpl, 4) < 0)))
            rc = flyt__h5_fail(c, loc, name);
    }
    if (rc == 0 && (sp = H5Screate_simple(1, dims, NULL)) < 0)
        rc = flyt__h5_fail(c, loc, name);
    if (rc == 0 && (d = H5Dcreate2(loc, name, disk, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT)) < 0)
        rc = flyt__h5_fail(c, loc, name);
    if (rc == 0 && n > 0 && H5Dwrite(d, mem, H5S_ALL, H5S_ALL, c->dxpl, row) < 0)
        rc = flyt__h5_fail(c, loc, name);
    if (rc == 0)
        rc = rep_attrs(c, d, s) ||
                             flyt__h5_attr_str(c, d, "dimensions",
                                               "replication; fields: replication, status, "
                                               "status_detail, model_events, engine_events, then "
                                               "every KPI of /summary/kpi in its order")
                     ? -1
                     : 0;
    if (d >= 0 && H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, loc, name);
    if (dcpl >= 0)
        flyt__h5_dcpl_close(c, dcpl);
    if (sp >= 0)
        H5Sclose(sp);
    if (mem >= 0)
        H5Tclose(mem);
    if (disk >= 0)
        H5Tclose(disk);
    free(row);
    return rc;
}

static int summary_columns(struct flyt__h5 *c, hid_t g, const struct flyt_scenario *s,
                           const struct flyt_summary *sum)
{
    const char *name[FLYT_N_KPI], *units[FLYT_N_KPI], *desc[FLYT_N_KPI];
    double lo[FLYT_N_KPI], hi[FLYT_N_KPI];
    char buf[160];
    for (int k = 0; k < FLYT_N_KPI; k++) {
        name[k] = flyt_kpi_defs[k].name;
        units[k] = flyt_kpi_defs[k].units;
        desc[k] = flyt_kpi_description(k, s->readmission_window_days, buf, sizeof buf);
        int ok = isfinite(sum->ci_low[k]) && isfinite(sum->ci_high[k]);
        lo[k] = ok ? sum->ci_low[k] : NAN;
        hi[k] = ok ? sum->ci_high[k] : NAN;
    }
    hid_t f64 = H5T_IEEE_F64LE, d = H5T_NATIVE_DOUBLE;
    size_t K = FLYT_N_KPI;
    if (flyt__h5_write_1d(c, g, "kpi", c->str, c->str, K, name, "",
                          "KPI name (row of this table)") ||
        flyt__h5_write_1d(c, g, "units", c->str, c->str, K, units, "", "units of the KPI") ||
        flyt__h5_write_1d(c, g, "description", c->str, c->str, K, desc, "",
                          "what the KPI measures") ||
        flyt__h5_write_1d(c, g, "mean", f64, d, K, sum->mean, "per row: see units",
                          "mean over replications with a finite value") ||
        flyt__h5_write_1d(c, g, "sd", f64, d, K, sum->sd, "per row: see units",
                          "sample standard deviation over replications (n-1)") ||
        flyt__h5_write_1d(c, g, "ci95_low", f64, d, K, lo, "per row: see units",
                          "lower end of the 95 % interval of the mean (Student t, log or logit "
                          "scale at a bound)") ||
        flyt__h5_write_1d(c, g, "ci95_high", f64, d, K, hi, "per row: see units",
                          "upper end of the 95 % interval of the mean (Student t, log or logit "
                          "scale at a bound)") ||
        flyt__h5_write_1d(c, g, "n", H5T_STD_U32LE, H5T_NATIVE_UINT, K, sum->n, "replications",
                          "replications with a finite value"))
        return -1;
    return 0;
}

static int write_summary(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_summary *sum)
{
    hid_t g = flyt__h5_group_create(c, loc, "summary");
    return g < 0 ? -1 : flyt__h5_close_group(c, g, summary_columns(c, g, s, sum));
}

/* Fills x (n x n_days) with rows i .. i + n - 1 of series k: a replication
 * stopped early has fewer days, the rest is NaN. */
static void series_block(double *x, int k, const struct flyt_result *res, size_t i, size_t n,
                         size_t n_days)
{
    for (size_t j = 0; j < n; j++) {
        const struct flyt_result *r = &res[i + j];
        size_t len = r && r->series[k] ? (r->n_days < n_days ? r->n_days : n_days) : 0;
        double *row = x + j * n_days;
        if (len > 0)
            memcpy(row, r->series[k], len * sizeof *row);
        for (size_t t = len; t < n_days; t++)
            row[t] = NAN;
    }
}

/* The series of a run, in chunks of `block` whole rows. */
struct series_src {
    const struct flyt_result *res;
    size_t n_res, n_days, block;
};

/* The dataset of series k, chunks of `block` rows, with its attributes. */
static hid_t create_series(struct flyt__h5 *c, hid_t g, int k, const struct series_src *a,
                           double first_day)
{
    const struct flyt_field_def *f = &flyt_series_defs[k];
    hsize_t dims[2] = { a->n_res, a->n_days };
    hid_t dcpl = flyt__h5_dcpl_blocks(c, a->n_res, a->n_days, a->block);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, f->name);
    hid_t d = flyt__h5_dset_create(c, g, f->name, H5T_IEEE_F64LE, 2, dims, dcpl, f->units,
                                   f->description);
    int rc = d < 0 ? -1 : 0;
    if (flyt__h5_dcpl_close(c, dcpl) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, f->name);
    const char *sampling =
            strstr(f->description, "during the day") ? "count during the day" : "census at 00:00";
    if (rc == 0 && (flyt__h5_attr_double(c, d, "first_day", first_day) ||
                    flyt__h5_attr_str(c, d, "sampling", sampling) ||
                    flyt__h5_attr_str(c, d, "dimensions", "replication, day")))
        rc = -1;
    if (rc != 0 && d >= 0)
        H5Dclose(d);
    return rc == 0 ? d : -1;
}

/* A block of rows at a time, a chunk's worth, through HDF5's shuffle and
 * deflate filters. flyt deflated the chunks itself until issue 17, on the
 * run's other threads: no gain worth the code (docs/performance.md,
 * "Shuffle and deflate"). */
static int series_rows(struct flyt__h5 *c, hid_t d, int k, const struct series_src *a)
{
    double *buf = malloc(a->block * a->n_days * sizeof *buf);
    if (!buf)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < a->n_res; i += a->block) {
        size_t n = a->n_res - i < a->block ? a->n_res - i : a->block;
        series_block(buf, k, a->res, i, n, a->n_days);
        rc = flyt__h5_write_rows(c, d, i, n, a->n_days, buf);
    }
    free(buf);
    return rc;
}

static int write_series(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                        const struct series_src *a)
{
    hid_t g = flyt__h5_group_create(c, loc, "series");
    if (g < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, g, "layout", "whole");
    for (int k = 0; rc == 0 && k < FLYT_N_SERIES; k++) {
        hid_t d = create_series(c, g, k, a, s->warmup_days);
        if (d < 0) {
            rc = -1;
            break;
        }
        if (rc == 0 && a->n_res > 0 && a->n_days > 0)
            rc = series_rows(c, d, k, a);
        if (H5Dclose(d) < 0 && rc == 0)
            rc = flyt__h5_fail(c, g, flyt_series_defs[k].name);
    }
    return flyt__h5_close_group(c, g, rc);
}

/* Per series a group of per-day figures across replications; the layout
 * attribute tells readers which of the two forms /series has. */
static int write_series_reduced(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                                const struct flyt_series_reduce *red)
{
    hid_t g = flyt__h5_group_create(c, loc, "series");
    if (g < 0)
        return -1;
    size_t n_days = flyt_series_reduce_days(red);
    double *x = malloc((n_days ? n_days : 1) * sizeof *x);
    int rc = x ? flyt__h5_attr_str(c, g, "layout", "reduced")
               : flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    for (int k = 0; rc == 0 && k < FLYT_N_SERIES; k++) {
        const struct flyt_field_def *f = &flyt_series_defs[k];
        hid_t sg = flyt__h5_group_create(c, g, f->name);
        if (sg < 0) {
            rc = -1;
            break;
        }
        const char *sampling = strstr(f->description, "during the day") ? "count during the day"
                                                                        : "census at 00:00";
        rc = flyt__h5_units_desc(c, sg, f->units, f->description) ||
                             flyt__h5_attr_double(c, sg, "first_day", s->warmup_days) ||
                             flyt__h5_attr_str(c, sg, "sampling", sampling)
                     ? -1
                     : 0;
        for (int st = 0; rc == 0 && st < FLYT_N_SERIES_STAT; st++) {
            const struct flyt_field_def *sd = &flyt_series_stat_defs[st];
            char desc[400];
            snprintf(desc, sizeof desc, "%s: %s", f->name, sd->description);
            flyt_series_reduce_get(red, k, st, x);
            rc = flyt__h5_write_1d(c, sg, sd->name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n_days, x,
                                   *sd->units ? sd->units : f->units, desc);
        }
        rc = flyt__h5_close_group(c, sg, rc);
    }
    free(x);
    return flyt__h5_close_group(c, g, rc);
}

/* Only files whose warm-up MSER-5 chose carry these: a given warm-up's
 * check changes nothing in the file. */
static int warmup_attrs(struct flyt__h5 *c, hid_t loc, const struct flyt_warmup_check *w)
{
    if (!w || !w->auto_chosen)
        return 0;
    size_t n = w->n;
    const char **names = malloc((n ? n : 1) * sizeof *names);
    double *days = malloc((n ? n : 1) * sizeof *days);
    int rc = -1;
    if (!names || !days) {
        rc = flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    } else {
        for (size_t i = 0; i < n; i++) {
            names[i] = w->series[i].name;
            days[i] = (double)w->series[i].m.days;
        }
        hsize_t dims[1] = { n };
        hid_t sp = H5Screate_simple(1, dims, NULL);
        hid_t a = sp < 0 ? -1
                         : H5Acreate2(loc, "warmup_mser_days", H5T_IEEE_F64LE, sp, H5P_DEFAULT,
                                      H5P_DEFAULT);
        rc = a >= 0 && (n == 0 || H5Awrite(a, H5T_NATIVE_DOUBLE, days) >= 0)
                     ? 0
                     : flyt__h5_fail(c, loc, "warmup_mser_days");
        if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
            rc = flyt__h5_fail(c, loc, "warmup_mser_days");
        if (sp >= 0)
            H5Sclose(sp);
        rc = rc ||
                             flyt__h5_attr_write(c, loc, "warmup_auto", H5T_STD_U32LE,
                                                 H5T_NATIVE_UINT, &(unsigned){ 1 }) ||
                             flyt__h5_attr_strs(c, loc, "warmup_mser_series", names, n) ||
                             flyt__h5_attr_double(c, loc, "warmup_pilot_days", w->pilot_days)
                     ? -1
                     : 0;
    }
    free(names);
    free(days);
    return rc;
}

int flyt__h5_write_run_body(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                            const struct flyt_result *res, size_t n_res,
                            const struct flyt_summary *sum, const struct flyt_run_meta *meta)
{
    if (sum->series) /* sum is never NULL: every run file has a summary */
        return flyt__h5_run_attrs(c, loc, s, meta) || warmup_attrs(c, loc, sum->warmup) ||
                               write_replications(c, loc, s, res, n_res) ||
                               write_summary(c, loc, s, sum) ||
                               write_series_reduced(c, loc, s, sum->series) ||
                               flyt__h5_write_roles(c, loc, s, res, n_res, sum) ||
                               flyt__h5_write_units(c, loc, s, res, n_res, sum) ||
                               flyt__h5_write_munis(c, loc, s, res, n_res, sum)
                       ? -1
                       : 0;
    struct series_src a = { .res = res, .n_res = n_res };
    for (size_t i = 0; i < n_res; i++)
        if (res[i].n_days > a.n_days)
            a.n_days = res[i].n_days;
    a.block = flyt__h5_block_rows(n_res, a.n_days);
    return flyt__h5_run_attrs(c, loc, s, meta) || warmup_attrs(c, loc, sum->warmup) ||
                           write_replications(c, loc, s, res, n_res) ||
                           write_summary(c, loc, s, sum) || write_series(c, loc, s, &a) ||
                           flyt__h5_write_roles(c, loc, s, res, n_res, sum) ||
                           flyt__h5_write_units(c, loc, s, res, n_res, sum) ||
                           flyt__h5_write_munis(c, loc, s, res, n_res, sum)
                   ? -1
                   : 0;
}

struct run_args {
    const struct flyt_scenario *s;
    const struct flyt_result *res;
    size_t n_res;
    const struct flyt_summary *sum;
    const struct flyt_run_meta *meta;
};

static int fill_run(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct run_args *a = arg;
    return flyt__h5_provenance(c, file, a->meta) || flyt__h5_attr_str(c, file, "kind", "run") ||
                           flyt__h5_write_run_body(c, file, a->s, a->res, a->n_res, a->sum, a->meta)
                   ? -1
                   : 0;
}

int flyt_h5_write_run(const char *path, const struct flyt_scenario *s,
                      const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                      const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    const struct run_args a = { s, res, n_res, sum, meta };
    return flyt__h5_write_file(path, fill_run, &a, err, errlen);
}
