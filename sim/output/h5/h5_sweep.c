/*
 * The sweep file (format "flyt", kind "sweep" or "sweep-shard"):
 *
 *   /             provenance; kind; the sweep (name, description, source,
 *                 text, hash, design) and the base scenario (source, text);
 *                 seed, replications, n_points, n_tasks, series, shard_index,
 *                 shard_count (0 and 1 in a complete file)
 *   /parameters   key, min, max, integer: one row per varied parameter
 *   /points       point, set (the overrides as text) and one column per
 *                 parameter, named by its key path (numbers, or strings when
 *                 the values are strings): one row per point
 *   /tasks        task, point, replication, status, status_detail,
 *                 model_events, engine_events and one column per KPI: one
 *                 row per task present, in task order
 *   /summary      complete files only: kpi, units, description [kpi] and
 *                 mean, sd, ci95_low, ci95_high, n [point x kpi]
 *   /units        ids [unit] (attributes kpi, kpi_units, kpi_description)
 *                 and per unit <id>/kpis [task x unit kpi] and, complete
 *                 files only, <id>/summary [point x unit kpi x statistic]
 *   /series       with --series only: one dataset per series [task x day]
 *
 * /units follows the run file's (h5_units.c): a table per unit rather than
 * a dataset per unit KPI, as HDF5's cost grows with the objects, and no
 * unit settings, which a point may change (the points table has them).
 * Everything under /tasks, /points, /summary and /units depends only on
 * the sweep file and the results, so a sweep run on one process, on
 * threads, in shards or over MPI gives bit-identical datasets there.
 */
#include "flyt/sweep_file.h"
#include "output/h5/h5_common.h"
#include "output/h5/h5_seal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct sweep_args {
    const struct flyt_sweep *sw;
    const struct flyt_result *res;
    const bool *have;
    unsigned shard_index, shard_count;
    bool series;
    const struct flyt_run_meta *meta;
    size_t *rows; /* task numbers present, in order */
    size_t n_rows;
    struct flyt_summary *sum; /* [point]: complete files only */
};

static int u32_attr(struct flyt__h5 *c, hid_t o, const char *name, unsigned v)
{
    return flyt__h5_attr_write(c, o, name, H5T_STD_U32LE, H5T_NATIVE_UINT, &v);
}

static int u64_attr(struct flyt__h5 *c, hid_t o, const char *name, uint64_t v)
{
    return flyt__h5_attr_write(c, o, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v);
}

/* A text as a root attribute, or, past what an object header holds (a
 * region's base scenario: the country's is 660 KB), as a dataset of one
 * fixed-length string of the same name (h5_sweep_read.c reads either). */
#define ATTR_TEXT_MAX 60000
static int text_item(struct flyt__h5 *c, hid_t root, const char *name, const char *text)
{
    if (!text || strlen(text) < ATTR_TEXT_MAX)
        return flyt__h5_attr_str(c, root, name, text);
    return flyt__h5_write_1d(c, root, name, c->str, c->str, 1, &text, "",
                             "the text, too long for an attribute");
}

static int root_attrs(struct flyt__h5 *c, hid_t root, const struct sweep_args *a)
{
    const struct flyt_sweep *sw = a->sw;
    char hash[17];
    flyt_sweep_hash_hex(sw->hash, hash);
    bool complete = a->shard_count == 0;
    c->fixed_str = true; /* flyt merge reads these */
    int rc = flyt__h5_provenance(c, root, a->meta) ||
                             flyt__h5_attr_str(c, root, "kind",
                                               complete ? "sweep" : "sweep-shard") ||
                             flyt__h5_attr_str(c, root, "sweep_name", sw->name) ||
                             flyt__h5_attr_str(c, root, "sweep_description", sw->description) ||
                             flyt__h5_attr_str(c, root, "sweep_source", sw->source) ||
                             flyt__h5_attr_str(c, root, "sweep_text", sw->text) ||
                             flyt__h5_attr_str(c, root, "sweep_hash", hash) ||
                             flyt__h5_attr_str(c, root, "design",
                                               flyt_sweep_design_name(sw->design)) ||
                             flyt__h5_attr_str(c, root, "base_source", sw->base_path) ||
                             text_item(c, root, "base_text", sw->base_text) ||
                             u64_attr(c, root, "seed", sw->seed) ||
                             u32_attr(c, root, "replications", sw->replications) ||
                             u64_attr(c, root, "n_points", sw->n_points) ||
                             u64_attr(c, root, "n_tasks", flyt_sweep_n_tasks(sw)) ||
                             u32_attr(c, root, "series", a->series) ||
                             u32_attr(c, root, "shard_index", complete ? 0 : a->shard_index) ||
                             u32_attr(c, root, "shard_count", complete ? 1 : a->shard_count)
                     ? -1
                     : 0;
    c->fixed_str = false;
    return rc;
}

static int parameters(struct flyt__h5 *c, hid_t file, const struct flyt_sweep *sw)
{
    size_t n = sw->n_params;
    const char **key = calloc(n, sizeof *key);
    double *lo = calloc(n, sizeof *lo), *hi = calloc(n, sizeof *hi);
    unsigned *integer = calloc(n, sizeof *integer);
    int rc = -1;
    hid_t g = -1;
    if (!key || !lo || !hi || !integer) {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
        goto out;
    }
    bool ranges = sw->design == FLYT_DESIGN_SOBOL || sw->design == FLYT_DESIGN_LHS;
    for (size_t j = 0; j < n; j++) {
        key[j] = sw->params[j].key;
        lo[j] = ranges ? sw->params[j].lo : NAN;
        hi[j] = ranges ? sw->params[j].hi : NAN;
        integer[j] = sw->params[j].integer;
    }
    g = flyt__h5_group_create(c, file, "parameters");
    rc = g < 0 ||
                         flyt__h5_write_1d(c, g, "key", c->str, c->str, n, key, "",
                                           "key path in the base scenario, as for --set") ||
                         flyt__h5_write_1d(c, g, "min", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, lo,
                                           "per row: the key's units",
                                           "lower end of the range (sobol, lhs; NaN otherwise)") ||
                         flyt__h5_write_1d(c, g, "max", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, hi,
                                           "per row: the key's units",
                                           "upper end of the range (sobol, lhs; NaN otherwise)") ||
                         flyt__h5_write_1d(c, g, "integer", H5T_STD_U8LE, H5T_NATIVE_UINT, n,
                                           integer, "",
                                           "1 when the range has whole-number bounds and values")
                 ? -1
                 : 0;
out:
    if (g >= 0)
        rc = flyt__h5_close_group(c, g, rc);
    free(key);
    free(lo);
    free(hi);
    free(integer);
    return rc;
}

/* One column of the points table: numbers, or the value texts (quotes
 * and all, as given to --set) when the parameter takes strings. */
static int point_column(struct flyt__h5 *c, hid_t g, const struct flyt_sweep *sw, size_t j,
                        void *buf)
{
    size_t np = sw->n_points;
    const struct flyt_sweep_param *p = &sw->params[j];
    char desc[512];
    snprintf(desc, sizeof desc, "value of %s at each point", p->key);
    if (p->is_string) {
        const char **s = buf;
        for (size_t i = 0; i < np; i++)
            s[i] = sw->value_text[i * sw->n_params + j];
        return flyt__h5_write_1d(c, g, p->key, c->str, c->str, np, s, "", desc);
    }
    double *v = buf;
    for (size_t i = 0; i < np; i++)
        v[i] = sw->value[i * sw->n_params + j];
    return flyt__h5_write_1d(c, g, p->key, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, np, v,
                             "the key's units (docs/scenario-reference.md)", desc);
}

static char *point_sets(const struct flyt_sweep *sw, size_t i)
{
    size_t len = 1;
    for (size_t j = 0; j < sw->n_params; j++)
        len += strlen(sw->params[j].key) + strlen(sw->value_text[i * sw->n_params + j]) + 2;
    char *s = malloc(len), *at = s;
    for (size_t j = 0; s && j < sw->n_params; j++)
        at += sprintf(at, "%s%s=%s", j ? " " : "", sw->params[j].key,
                      sw->value_text[i * sw->n_params + j]);
    if (s)
        *at = '\0';
    return s;
}

static int points(struct flyt__h5 *c, hid_t file, const struct flyt_sweep *sw)
{
    size_t np = sw->n_points;
    void *buf = calloc(np, sizeof(double) > sizeof(char *) ? sizeof(double) : sizeof(char *));
    unsigned *idx = calloc(np, sizeof *idx);
    char **sets = calloc(np, sizeof *sets);
    hid_t g = -1;
    int rc = -1;
    if (!buf || !idx || !sets) {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
        goto out;
    }
    for (size_t i = 0; i < np; i++) {
        idx[i] = (unsigned)i;
        if (!(sets[i] = point_sets(sw, i))) {
            flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
            goto out;
        }
    }
    g = flyt__h5_group_create(c, file, "points");
    rc = g < 0 ||
                         flyt__h5_write_1d(c, g, "point", H5T_STD_U32LE, H5T_NATIVE_UINT, np, idx,
                                           "", "point number; row i of every dataset here") ||
                         flyt__h5_write_1d(c, g, "set", c->str, c->str, np, sets, "",
                                           "the point's overrides of the base, key=value")
                 ? -1
                 : 0;
    for (size_t j = 0; rc == 0 && j < sw->n_params; j++)
        rc = point_column(c, g, sw, j, buf);
out:
    if (g >= 0)
        rc = flyt__h5_close_group(c, g, rc);
    for (size_t i = 0; sets && i < np; i++)
        free(sets[i]);
    free(sets);
    free(idx);
    free(buf);
    return rc;
}

/* A column of /tasks from one field of each result present. */
static int task_column(struct flyt__h5 *c, hid_t g, const struct sweep_args *a, const char *name,
                       int kpi, int which, void *buf)
{
    size_t n = a->n_rows;
    unsigned reps = a->sw->replications;
    for (size_t i = 0; i < n; i++) {
        size_t t = a->rows[i];
        const struct flyt_result *r = &a->res[t];
        if (kpi >= 0) {
            ((double *)buf)[i] = r->kpi[kpi];
            continue;
        }
        switch (which) {
        case 0:
            ((uint64_t *)buf)[i] = t;
            break;
        case 1:
            ((unsigned *)buf)[i] = (unsigned)(t / reps);
            break;
        case 2:
            ((unsigned *)buf)[i] = (unsigned)(t % reps);
            break;
        case 3:
            ((int *)buf)[i] = r->status;
            break;
        case 4:
            ((uint64_t *)buf)[i] = r->model_events;
            break;
        case 5:
            ((uint64_t *)buf)[i] = r->engine_events;
            break;
        default:
            ((const char **)buf)[i] = r->status_detail;
            break;
        }
    }
    if (kpi >= 0) {
        const struct flyt_field_def *f = &flyt_kpi_defs[kpi];
        return flyt__h5_write_1d(c, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, buf, f->units,
                                 f->description);
    }
    static const char *const desc[] = {
        "task number = point x replications + replication; row i of every dataset here",
        "the task's point (row of /points)",
        "the task's replication (random streams keyed by it: equal across points)",
        "run status: 0 ok, 1 runaway stopped, 2 out of memory, 4 stuck, 5 gridlock",
        "model events: arrivals, ready, ends",
        "every event the engine ran",
        "why a task did not end ok (empty when it did)",
    };
    static const char *const units[] = { "", "", "", "", "events", "events", "" };
    hid_t ft[] = { H5T_STD_U64LE, H5T_STD_U32LE, H5T_STD_U32LE, H5T_STD_I32LE,
                   H5T_STD_U64LE, H5T_STD_U64LE, c->str };
    hid_t mt[] = { H5T_NATIVE_UINT64, H5T_NATIVE_UINT,   H5T_NATIVE_UINT, H5T_NATIVE_INT,
                   H5T_NATIVE_UINT64, H5T_NATIVE_UINT64, c->str };
    c->fixed_str = ft[which] == c->str; /* status_detail: flyt merge reads it */
    int rc = flyt__h5_write_1d(c, g, name, ft[which], mt[which], n, buf, units[which], desc[which]);
    c->fixed_str = false;
    return rc;
}

static int tasks(struct flyt__h5 *c, hid_t file, const struct sweep_args *a)
{
    static const char *const cols[] = { "task",         "point",         "replication",  "status",
                                        "model_events", "engine_events", "status_detail" };
    void *buf = malloc((a->n_rows ? a->n_rows : 1) * 8);
    if (!buf)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    hid_t g = flyt__h5_group_create(c, file, "tasks");
    int rc = g < 0 ? -1 : 0;
    for (int i = 0; rc == 0 && i < 7; i++)
        rc = task_column(c, g, a, cols[i], -1, i, buf);
    for (int k = 0; rc == 0 && k < FLYT_N_KPI; k++)
        rc = task_column(c, g, a, flyt_kpi_defs[k].name, k, 0, buf);
    free(buf);
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

/* Compact when small, else chunked and compressed, like every other dataset
 * in a flyt file (docs/hdf5-layout.md); an empty matrix stays contiguous. */
static hid_t dcpl_2d(struct flyt__h5 *c, size_t rows, size_t cols, size_t es)
{
    if (rows <= (1u << 20) && flyt__h5_is_compact(rows * cols * es))
        return flyt__h5_dcpl_compact(c, false);
    hid_t p = flyt__h5_dcpl_new();
    hsize_t chunk[2] = { rows < 256 ? rows : 256, cols };
    if (p >= 0 && rows > 0 && cols > 0 &&
        (H5Pset_chunk(p, 2, chunk) < 0 || H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, 4) < 0)) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static int write_2d(struct flyt__h5 *c, hid_t g, const char *name, hid_t ftype, hid_t mtype,
                    size_t rows, size_t cols, const void *data, const char *units, const char *desc,
                    const char *dims_desc)
{
    hsize_t dims[2] = { rows, cols };
    hid_t dcpl = dcpl_2d(c, rows, cols, H5Tget_size(ftype));
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, ftype, 2, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = (rows * cols == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0) &&
                             flyt__h5_attr_str(c, d, "dimensions", dims_desc) == 0
                     ? 0
                     : flyt__h5_fail(c, g, name);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

static int summary_names(struct flyt__h5 *c, hid_t g)
{
    const char *name[FLYT_N_KPI], *units[FLYT_N_KPI], *desc[FLYT_N_KPI];
    for (int k = 0; k < FLYT_N_KPI; k++) {
        name[k] = flyt_kpi_defs[k].name;
        units[k] = flyt_kpi_defs[k].units;
        desc[k] = flyt_kpi_defs[k].description;
    }
    return flyt__h5_write_1d(c, g, "kpi", c->str, c->str, FLYT_N_KPI, name, "",
                             "KPI name (column of the matrices here)") ||
                           flyt__h5_write_1d(c, g, "units", c->str, c->str, FLYT_N_KPI, units, "",
                                             "units of the KPI") ||
                           flyt__h5_write_1d(c, g, "description", c->str, c->str, FLYT_N_KPI, desc,
                                             "", "what the KPI measures")
                   ? -1
                   : 0;
}

static int summary_body(struct flyt__h5 *c, hid_t g, const struct flyt_sweep *sw,
                        const struct flyt_summary *sum, double *m, unsigned *n)
{
    size_t np = sw->n_points, K = FLYT_N_KPI;
    static const char *const names[] = { "mean", "sd", "ci95_low", "ci95_high" };
    static const char *const descs[] = {
        "mean over the point's replications with a finite value",
        "sample standard deviation over the point's replications (n-1)",
        "lower end of the 95 % interval of the mean (Student t, log or logit scale at a bound)",
        "upper end of the 95 % interval of the mean (Student t, log or logit scale at a bound)",
    };
    for (int w = 0; w < 4; w++) {
        for (size_t p = 0; p < np; p++)
            for (size_t k = 0; k < K; k++) {
                const struct flyt_summary *s = &sum[p];
                bool ok = isfinite(s->ci_low[k]) && isfinite(s->ci_high[k]);
                double v[] = { s->mean[k], s->sd[k], ok ? s->ci_low[k] : NAN,
                               ok ? s->ci_high[k] : NAN };
                m[p * K + k] = v[w];
            }
        if (write_2d(c, g, names[w], H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, np, K, m,
                     "per column: see units", descs[w], "point, kpi"))
            return -1;
    }
    for (size_t p = 0; p < np; p++)
        for (size_t k = 0; k < K; k++)
            n[p * K + k] = sum[p].n[k];
    return write_2d(c, g, "n", H5T_STD_U32LE, H5T_NATIVE_UINT, np, K, n, "replications",
                    "replications with a finite value", "point, kpi");
}

static int summary(struct flyt__h5 *c, hid_t file, const struct sweep_args *a)
{
    const struct flyt_sweep *sw = a->sw;
    size_t np = sw->n_points;
    double *m = calloc(np * FLYT_N_KPI, sizeof *m);
    unsigned *n = calloc(np * FLYT_N_KPI, sizeof *n);
    int rc = -1;
    if (!m || !n) {
        flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    } else {
        hid_t g = flyt__h5_group_create(c, file, "summary");
        if (g >= 0)
            rc = flyt__h5_close_group(
                    c, g, summary_names(c, g) || summary_body(c, g, sw, a->sum, m, n) ? -1 : 0);
    }
    free(m);
    free(n);
    return rc;
}

/* Rows i .. i + n - 1 of a unit's [task x kpi] table; a result without
 * the unit (never from a run: the sweep checked every point's units) is NaN. */
static void unit_kpi_rows(const struct sweep_args *a, unsigned u, size_t i, size_t n, double *out)
{
    for (size_t j = 0; j < n; j++) {
        const struct flyt_result *r = &a->res[a->rows[i + j]];
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
            out[j * FLYT_N_UNIT_KPI + (size_t)k] =
                    r->unit_kpi && u < r->n_units ? flyt_result_unit_kpi(r, u)[k] : NAN;
    }
}

/* Points p .. p + n - 1 of a unit's [point x kpi x statistic] summary. */
static void unit_summary_rows(const struct sweep_args *a, unsigned u, size_t p, size_t n,
                              double *out)
{
    for (size_t j = 0; j < n; j++) {
        const struct flyt_summary *sum = &a->sum[p + j];
        bool have = sum->unit && u < sum->n_units;
        flyt__h5_stat_row(have ? flyt_summary_unit(sum, u) : NULL, FLYT_N_UNIT_KPI,
                          out + j * FLYT_N_UNIT_KPI * FLYT__H5_N_STAT);
    }
}

typedef void (*unit_rows_fn)(const struct sweep_args *a, unsigned u, size_t i, size_t n,
                             double *out);

/* A double table [rows x inner...] written a block of rows at a time, so
 * that a large sweep's table is never whole in memory twice. */
static int unit_table(struct flyt__h5 *c, hid_t g, const char *name, int rank, const hsize_t *dims,
                      const struct sweep_args *a, unsigned u, unit_rows_fn fill, const char *units,
                      const char *desc, const char *dims_desc, const char *columns, double *buf,
                      size_t block)
{
    size_t rows = (size_t)dims[0], inner = 1;
    for (int d = 1; d < rank; d++)
        inner *= (size_t)dims[d];
    hsize_t chunk[3] = { block, rank > 1 ? dims[1] : 1, rank > 2 ? dims[2] : 1 };
    double nan = NAN;
    bool compact = rows <= (1u << 20) && flyt__h5_is_compact(rows * inner * sizeof(double));
    hid_t dcpl = compact ? flyt__h5_dcpl_compact(c, true) : flyt__h5_dcpl_new();
    if (!compact && dcpl >= 0 &&
        (H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &nan) < 0 ||
         (rows * inner > 0 && (H5Pset_chunk(dcpl, rank, chunk) < 0 || H5Pset_shuffle(dcpl) < 0 ||
                               H5Pset_deflate(dcpl, 4) < 0)))) {
        H5Pclose(dcpl);
        dcpl = -1;
    }
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, H5T_IEEE_F64LE, rank, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", dims_desc) ||
                             (columns && flyt__h5_attr_str(c, d, "columns", columns))
                     ? -1
                     : 0;
    for (size_t i = 0; rc == 0 && inner > 0 && i < rows; i += block) {
        size_t n = rows - i < block ? rows - i : block;
        hsize_t start[3] = { i, 0, 0 }, count[3] = { n, chunk[1], chunk[2] };
        fill(a, u, i, n, buf);
        hid_t fs = H5Dget_space(d), ms = H5Screate_simple(rank, count, NULL);
        if (fs < 0 || ms < 0 ||
            H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
            H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, c->dxpl, buf) < 0)
            rc = flyt__h5_fail(c, g, name);
        if (ms >= 0)
            H5Sclose(ms);
        if (fs >= 0)
            H5Sclose(fs);
    }
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

/* Rows per block: about 256 KiB, as the run file's row blocks. */
static size_t block_of(size_t rows, size_t inner)
{
    size_t b = (256 * 1024) / (inner * sizeof(double));
    return b < 1 ? 1 : b > rows ? (rows ? rows : 1) : b;
}

static int one_unit(struct flyt__h5 *c, hid_t loc, const struct sweep_args *a, unsigned u,
                    double *buf, size_t kpi_block, size_t sum_block)
{
    hid_t g = flyt__h5_group_create(c, loc, a->sw->unit_ids[u]);
    if (g < 0)
        return -1;
    hsize_t kd[2] = { a->n_rows, FLYT_N_UNIT_KPI };
    int rc = flyt__h5_attr_write(c, g, "index", H5T_STD_U32LE, H5T_NATIVE_UINT, &u) ||
                             unit_table(c, g, "kpis", 2, kd, a, u, unit_kpi_rows,
                                        "per column: see the attribute /units@kpi_units",
                                        "the unit's KPIs per task (row i: /tasks/task[i]; "
                                        "columns: /units@kpi)",
                                        "task, kpi", NULL, buf, kpi_block)
                     ? -1
                     : 0;
    if (rc == 0 && a->sum) {
        hsize_t sd[3] = { a->sw->n_points, FLYT_N_UNIT_KPI, FLYT__H5_N_STAT };
        rc = unit_table(c, g, "summary", 3, sd, a, u, unit_summary_rows,
                        "per kpi: see the attribute /units@kpi_units",
                        "per point and KPI (/units@kpi) over the point's replications with a "
                        "finite value: mean, sd (n-1), the 95 % interval (Student t, log or logit "
                        "scale at a bound), n",
                        "point, kpi, statistic", FLYT__H5_STAT_COLUMNS, buf, sum_block);
    }
    return flyt__h5_close_group(c, g, rc);
}

static int units(struct flyt__h5 *c, hid_t file, const struct sweep_args *a)
{
    const struct flyt_sweep *sw = a->sw;
    if (sw->n_units == 0)
        return 0;
    const char *name[FLYT_N_UNIT_KPI], *unit[FLYT_N_UNIT_KPI], *desc[FLYT_N_UNIT_KPI];
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
        name[k] = flyt_unit_kpi_defs[k].name;
        unit[k] = flyt_unit_kpi_defs[k].units;
        desc[k] = flyt_unit_kpi_defs[k].description;
    }
    size_t kb = block_of(a->n_rows, FLYT_N_UNIT_KPI);
    size_t sb = block_of(sw->n_points, FLYT_N_UNIT_KPI * FLYT__H5_N_STAT);
    size_t cap = kb * FLYT_N_UNIT_KPI > sb * FLYT_N_UNIT_KPI * FLYT__H5_N_STAT
                         ? kb * FLYT_N_UNIT_KPI
                         : sb * FLYT_N_UNIT_KPI * FLYT__H5_N_STAT;
    double *buf = malloc(cap * sizeof *buf);
    if (!buf)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    hid_t g = flyt__h5_group_create(c, file, "units");
    /* the column names are attributes, as in a run file: a unit id may be
     * any name but "ids"; flyt merge reads the ids and the names */
    c->fixed_str = true;
    int rc = g < 0 ||
                             flyt__h5_write_1d(c, g, "ids", c->str, c->str, sw->n_units,
                                               sw->unit_ids, "",
                                               "unit ids in the scenario's order, the same at "
                                               "every point") ||
                             flyt__h5_attr_strs(c, g, "kpi", name, FLYT_N_UNIT_KPI) ||
                             flyt__h5_attr_strs(c, g, "kpi_units", unit, FLYT_N_UNIT_KPI) ||
                             flyt__h5_attr_strs(c, g, "kpi_description", desc, FLYT_N_UNIT_KPI)
                     ? -1
                     : 0;
    c->fixed_str = false;
    for (unsigned u = 0; rc == 0 && u < sw->n_units; u++)
        rc = one_unit(c, g, a, u, buf, kb, sb);
    free(buf);
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

static int one_series(struct flyt__h5 *c, hid_t g, int k, const struct sweep_args *a, size_t n_days)
{
    const struct flyt_field_def *f = &flyt_series_defs[k];
    hsize_t dims[2] = { a->n_rows, n_days };
    hid_t dcpl = flyt__h5_dcpl_rows(c, a->n_rows, n_days);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, f->name);
    hid_t d = flyt__h5_dset_create(c, g, f->name, H5T_IEEE_F64LE, 2, dims, dcpl, f->units,
                                   f->description);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", "task (row of /tasks), day after warm-up");
    for (size_t i = 0; rc == 0 && i < a->n_rows; i++) {
        const struct flyt_result *r = &a->res[a->rows[i]];
        size_t len = r->n_days < n_days ? r->n_days : n_days;
        if (r->series[k] && len > 0)
            rc = flyt__h5_write_row(c, d, i, r->series[k], len);
    }
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, f->name);
    return rc;
}

static int series(struct flyt__h5 *c, hid_t file, const struct sweep_args *a)
{
    size_t n_days = 0;
    for (size_t i = 0; i < a->n_rows; i++)
        if (a->res[a->rows[i]].n_days > n_days)
            n_days = a->res[a->rows[i]].n_days;
    hid_t g = flyt__h5_group_create(c, file, "series");
    int rc = g < 0 ? -1 : 0;
    for (int k = 0; rc == 0 && k < FLYT_N_SERIES; k++)
        rc = one_series(c, g, k, a, n_days);
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

static int fill_sweep(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct sweep_args *a = arg;
    c->format_version = FLYT_H5_SWEEP_FORMAT_VERSION;
    return root_attrs(c, file, a) || parameters(c, file, a->sw) || points(c, file, a->sw) ||
                           tasks(c, file, a) || (a->shard_count == 0 && summary(c, file, a)) ||
                           units(c, file, a) || (a->series && series(c, file, a))
                   ? -1
                   : 0;
}

static const char *const design_names[] = { "grid", "list", "sobol", "lhs" };

const char *flyt_sweep_design_name(enum flyt_sweep_design d)
{
    return (unsigned)d < 4 ? design_names[d] : "?";
}

void flyt_sweep_hash_hex(uint64_t hash, char *buf)
{
    snprintf(buf, 17, "%016llx", (unsigned long long)hash);
}

int flyt_h5_write_sweep(const char *path, const struct flyt_sweep *sw,
                        const struct flyt_result *res, const bool *have, unsigned shard_index,
                        unsigned shard_count, bool series_on, const struct flyt_run_meta *meta,
                        char *err, size_t errlen)
{
    size_t n = flyt_sweep_n_tasks(sw);
    struct sweep_args a = {
        sw, res, have, shard_index, shard_count, series_on, meta, NULL, 0, NULL
    };
    a.rows = malloc((n ? n : 1) * sizeof *a.rows);
    if (!a.rows) {
        snprintf(err, errlen, "cannot write '%s': out of memory", path);
        return -1;
    }
    for (size_t t = 0; t < n; t++)
        if (have[t])
            a.rows[a.n_rows++] = t;
    if (shard_count == 0 && a.n_rows != n) {
        snprintf(err, errlen, "cannot write '%s': %zu of %zu tasks missing", path, n - a.n_rows, n);
        free(a.rows);
        return -1;
    }
    size_t np = sw->n_points;
    if (shard_count == 0 && !(a.sum = calloc(np ? np : 1, sizeof *a.sum))) {
        snprintf(err, errlen, "cannot write '%s': out of memory", path);
        free(a.rows);
        return -1;
    }
    for (size_t p = 0; a.sum && p < np; p++)
        flyt_summary_compute(&a.sum[p], res + p * sw->replications, sw->replications);
    /* Sealed in memory before it is written (h5_seal.h says why a sweep
     * file carries a seal), so PATH only ever appears sealed. */
    int rc = flyt__h5_write_file_sealed(path, fill_sweep, &a, err, errlen);
    for (size_t p = 0; a.sum && p < np; p++)
        flyt_summary_free(&a.sum[p]);
    free(a.sum);
    free(a.rows);
    return rc;
}
