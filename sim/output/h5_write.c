/*
 * The HDF5 writer. Layout (format "flyt", format_version 1):
 *
 *   /                root attributes: provenance (versions, scenario text,
 *                    seed, command line, host, time) and run settings
 *   /replications    one dataset per KPI, double [replication], plus
 *                    replication, status, status_detail, model_events,
 *                    engine_events (timings stay out: they are not results
 *                    and would break bit-identical comparisons)
 *   /summary         one row per KPI: kpi, units, description, mean, sd,
 *                    ci95_low, ci95_high, n
 *   /series          one dataset per daily series, double [replication x day]
 *
 * Every dataset carries `units` and `description` attributes. The file is
 * built in memory, written to "<path>.partial" and renamed when complete.
 */
#include "flyt/output.h"
#include "flyt/rng.h"

#include <gsl/gsl_version.h>
#include <hdf5.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FLYT_GIT_COMMIT
#define FLYT_GIT_COMMIT "unknown"
#endif

#define MAX_CHUNK_DAYS 65536

struct ctx {
    const char *file_name; /* the .partial path, for messages */
    hid_t str;             /* variable-length UTF-8 string type */
    char *err;
    size_t errlen;
    int failed;
};

/* HDF5's description of the deepest error on its stack (walked upward). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *buf)
{
    if (n == 0 && e->desc)
        snprintf(buf, 256, "%s", e->desc);
    return 0;
}

/* Keeps the first message (later failures are consequences); returns -1. */
static int __attribute__((format(printf, 2, 3))) set_err(struct ctx *c, const char *fmt, ...)
{
    if (c->failed++ || !c->err || c->errlen == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Records a failure to write `name` under the object loc; returns -1. */
static int fail(struct ctx *c, hid_t loc, const char *name)
{
    char where[256] = "", reason[256] = "HDF5 error";
    /* First: any other HDF5 call clears the error stack. */
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, reason);
    if (loc < 0 || H5Iget_name(loc, where, sizeof where) < 0)
        where[0] = '\0';
    const char *sep = where[0] && name[0] && strcmp(where, "/") ? "/" : "";
    return set_err(c, "cannot write '%s%s%s' to '%s': %s", where, sep, name, c->file_name, reason);
}

static int attr_write(struct ctx *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                      const void *value)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, value) >= 0 ? 0 : fail(c, obj, name);
    if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
        rc = fail(c, obj, name);
    if (sp >= 0 && H5Sclose(sp) < 0 && rc == 0)
        rc = fail(c, obj, name);
    return rc;
}

static int attr_str(struct ctx *c, hid_t obj, const char *name, const char *value)
{
    const char *v = value ? value : "";
    return attr_write(c, obj, name, c->str, c->str, &v);
}

static int attr_double(struct ctx *c, hid_t obj, const char *name, double v)
{
    return attr_write(c, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

static int units_desc(struct ctx *c, hid_t obj, const char *units, const char *desc)
{
    return attr_str(c, obj, "units", units) || attr_str(c, obj, "description", desc) ? -1 : 0;
}

/* Creates a dataset with its units and description; returns it or -1. */
static hid_t dset_create(struct ctx *c, hid_t loc, const char *name, hid_t ftype, int rank,
                         const hsize_t *dims, hid_t dcpl, const char *units, const char *desc)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d >= 0 ? 0 : fail(c, loc, name);
    if (sp >= 0 && H5Sclose(sp) < 0 && rc == 0)
        rc = fail(c, loc, name);
    if (rc == 0)
        rc = units_desc(c, d, units, desc);
    if (rc != 0 && d >= 0)
        H5Dclose(d);
    return rc == 0 ? d : -1;
}

/* A 1-D dataset of n elements from data (mtype in memory, ftype on disk). */
static int write_1d(struct ctx *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype, size_t n,
                    const void *data, const char *units, const char *desc)
{
    hsize_t dims[1] = { n };
    hid_t d = dset_create(c, loc, name, ftype, 1, dims, H5P_DEFAULT, units, desc);
    if (d < 0)
        return -1;
    int rc = n == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                     ? 0
                     : fail(c, loc, name);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = fail(c, loc, name);
    return rc;
}

static hid_t group_create(struct ctx *c, hid_t file, const char *name)
{
    hid_t g = H5Gcreate2(file, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        fail(c, file, name);
    return g;
}

static int close_group(struct ctx *c, hid_t g, int rc)
{
    if (H5Gclose(g) < 0 && rc == 0)
        rc = fail(c, g, "");
    return rc;
}

static void utc_now(char *buf, size_t len)
{
    time_t now = time(NULL);
    struct tm tm;
    if (now == (time_t)-1 || !gmtime_r(&now, &tm) ||
        strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(buf, len, "unknown");
}

/* Attributes given the file itself land on its root group. */
static int root_provenance(struct ctx *c, hid_t root, const struct flyt_run_meta *meta)
{
    char when[32], host[256] = "", h5v[32];
    unsigned maj = 0, min = 0, rel = 0;
    utc_now(when, sizeof when);
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    H5get_libversion(&maj, &min, &rel);
    snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
    if (attr_str(c, root, "format", FLYT_H5_FORMAT) ||
        attr_write(c, root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT,
                   &(int){ FLYT_H5_FORMAT_VERSION }) ||
        attr_str(c, root, "flyt_version", meta ? meta->flyt_version : "") ||
        attr_str(c, root, "git_commit", FLYT_GIT_COMMIT) ||
        attr_str(c, root, "created_utc", when) ||
        attr_str(c, root, "command_line", meta ? meta->command_line : "") ||
        attr_str(c, root, "host", host) || attr_str(c, root, "hdf5_version", h5v) ||
        attr_str(c, root, "gsl_version", GSL_VERSION) ||
        attr_str(c, root, "rng_scheme", FLYT_RNG_SCHEME))
        return -1;
    return 0;
}

static int root_run(struct ctx *c, hid_t root, const struct flyt_scenario *s,
                    const struct flyt_run_meta *meta)
{
    char date[48];
    snprintf(date, sizeof date, "%04d-%02d-%02d", s->start_year, s->start_month, s->start_mday);
    if (attr_str(c, root, "scenario_name", s->name) ||
        attr_str(c, root, "scenario_description", s->description) ||
        attr_str(c, root, "scenario_source", s->source) ||
        attr_str(c, root, "scenario_text", s->text) ||
        attr_str(c, root, "scenario_resolved", s->resolved_text) ||
        attr_write(c, root, "seed", H5T_STD_U64LE, H5T_NATIVE_UINT64, &s->seed) ||
        attr_write(c, root, "replications", H5T_STD_U32LE, H5T_NATIVE_UINT, &s->replications) ||
        attr_double(c, root, "horizon_days", s->horizon_days) ||
        attr_double(c, root, "warmup_days", s->warmup_days) ||
        attr_str(c, root, "start_date", date) ||
        attr_write(c, root, "threads", H5T_STD_U32LE, H5T_NATIVE_UINT,
                   &(unsigned){ meta ? meta->threads : 0 }) ||
        attr_double(c, root, "wall_seconds", meta ? meta->wall_seconds : NAN))
        return -1;
    return 0;
}

/* A field of struct flyt_result, written as a dataset [replication]. */
struct column {
    const char *name;
    size_t offset, size;
    hid_t ftype, mtype;
    const char *units, *description;
};

#define FIELD(f) offsetof(struct flyt_result, f), sizeof(((struct flyt_result *)0)->f)

static int write_column(struct ctx *c, hid_t g, const struct flyt_result *res, size_t n,
                        const struct column *col)
{
    unsigned char *buf = malloc(n * col->size + 1);
    if (!buf)
        return set_err(c, "cannot write '%s': out of memory", c->file_name);
    for (size_t i = 0; i < n; i++) {
        const unsigned char *field = (const unsigned char *)&res[i] + col->offset;
        if (col->mtype == c->str) /* a char array: HDF5 wants a pointer to it */
            memcpy(buf + i * col->size, &field, sizeof field);
        else
            memcpy(buf + i * col->size, field, col->size);
    }
    int rc =
            write_1d(c, g, col->name, col->ftype, col->mtype, n, buf, col->units, col->description);
    free(buf);
    return rc;
}

static int replication_columns(struct ctx *c, hid_t g, const struct flyt_result *res, size_t n)
{
    const struct column cols[] = {
        { "replication", FIELD(replication), H5T_STD_U32LE, H5T_NATIVE_UINT, "",
          "replication number; row i of every dataset here and in /series" },
        { "status", FIELD(status), H5T_STD_I32LE, H5T_NATIVE_INT, "",
          "run status: 0 ok, 1 runaway stopped, 2 out of memory" },
        { "model_events", FIELD(model_events), H5T_STD_U64LE, H5T_NATIVE_UINT64, "events",
          "model events: arrivals, ready, ends" },
        { "engine_events", FIELD(engine_events), H5T_STD_U64LE, H5T_NATIVE_UINT64, "events",
          "every event the engine ran" },
        { "status_detail", offsetof(struct flyt_result, status_detail), sizeof(char *), c->str,
          c->str, "", "why a replication did not end ok (empty when it did)" },
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        if (write_column(c, g, res, n, &cols[i]) < 0)
            return -1;
    for (int k = 0; k < FLYT_N_KPI; k++) {
        const struct flyt_field_def *f = &flyt_kpi_defs[k];
        struct column col = { .name = f->name,
                              .size = sizeof(double),
                              .ftype = H5T_IEEE_F64LE,
                              .mtype = H5T_NATIVE_DOUBLE,
                              .units = f->units,
                              .description = f->description };
        col.offset = offsetof(struct flyt_result, kpi) + (size_t)k * sizeof(double);
        if (write_column(c, g, res, n, &col) < 0)
            return -1;
    }
    return 0;
}

static int write_replications(struct ctx *c, hid_t file, const struct flyt_result *res, size_t n)
{
    hid_t g = group_create(c, file, "replications");
    return g < 0 ? -1 : close_group(c, g, replication_columns(c, g, res, n));
}

static int summary_columns(struct ctx *c, hid_t g, const struct flyt_summary *sum)
{
    const char *name[FLYT_N_KPI], *units[FLYT_N_KPI], *desc[FLYT_N_KPI];
    double lo[FLYT_N_KPI], hi[FLYT_N_KPI];
    for (int k = 0; k < FLYT_N_KPI; k++) {
        name[k] = flyt_kpi_defs[k].name;
        units[k] = flyt_kpi_defs[k].units;
        desc[k] = flyt_kpi_defs[k].description;
        int ok = isfinite(sum->mean[k]) && isfinite(sum->ci_half[k]);
        lo[k] = ok ? sum->mean[k] - sum->ci_half[k] : NAN;
        hi[k] = ok ? sum->mean[k] + sum->ci_half[k] : NAN;
    }
    hid_t f64 = H5T_IEEE_F64LE, d = H5T_NATIVE_DOUBLE;
    size_t K = FLYT_N_KPI;
    if (write_1d(c, g, "kpi", c->str, c->str, K, name, "", "KPI name (row of this table)") ||
        write_1d(c, g, "units", c->str, c->str, K, units, "", "units of the KPI") ||
        write_1d(c, g, "description", c->str, c->str, K, desc, "", "what the KPI measures") ||
        write_1d(c, g, "mean", f64, d, K, sum->mean, "per row: see units",
                 "mean over replications with a finite value") ||
        write_1d(c, g, "sd", f64, d, K, sum->sd, "per row: see units",
                 "sample standard deviation over replications (n-1)") ||
        write_1d(c, g, "ci95_low", f64, d, K, lo, "per row: see units",
                 "lower end of the 95 % Student-t interval of the mean") ||
        write_1d(c, g, "ci95_high", f64, d, K, hi, "per row: see units",
                 "upper end of the 95 % Student-t interval of the mean") ||
        write_1d(c, g, "n", H5T_STD_U32LE, H5T_NATIVE_UINT, K, sum->n, "replications",
                 "replications with a finite value"))
        return -1;
    return 0;
}

static int write_summary(struct ctx *c, hid_t file, const struct flyt_summary *sum)
{
    hid_t g = group_create(c, file, "summary");
    return g < 0 ? -1 : close_group(c, g, summary_columns(c, g, sum));
}

/* Chunks of one replication's row (at most MAX_CHUNK_DAYS days), shuffled
 * and deflated; NaN where a replication has no value for a day. Empty
 * datasets stay contiguous: chunk sizes must be positive. */
static hid_t series_dcpl(size_t n_res, size_t n_days)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    double nan = NAN;
    hsize_t chunk[2] = { 1, n_days < MAX_CHUNK_DAYS ? n_days : MAX_CHUNK_DAYS };
    if (p < 0)
        return -1;
    if (H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &nan) < 0 ||
        (n_res > 0 && n_days > 0 &&
         (H5Pset_chunk(p, 2, chunk) < 0 || H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, 4) < 0))) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static int write_row(struct ctx *c, hid_t d, size_t i, const double *row, size_t len)
{
    hsize_t start[2] = { i, 0 }, count[2] = { 1, len }, mdims[1] = { len };
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(1, mdims, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, row) < 0)
        rc = fail(c, d, "");
    if (ms >= 0 && H5Sclose(ms) < 0 && rc == 0)
        rc = fail(c, d, "");
    if (fs >= 0 && H5Sclose(fs) < 0 && rc == 0)
        rc = fail(c, d, "");
    return rc;
}

static int write_one_series(struct ctx *c, hid_t g, int k, const struct flyt_result *res,
                            size_t n_res, size_t n_days, double first_day)
{
    const struct flyt_field_def *f = &flyt_series_defs[k];
    hsize_t dims[2] = { n_res, n_days };
    hid_t dcpl = series_dcpl(n_res, n_days);
    if (dcpl < 0)
        return fail(c, g, f->name);
    hid_t d = dset_create(c, g, f->name, H5T_IEEE_F64LE, 2, dims, dcpl, f->units, f->description);
    if (H5Pclose(dcpl) < 0 && d >= 0) {
        H5Dclose(d);
        return fail(c, g, f->name);
    }
    if (d < 0)
        return -1;
    const char *sampling =
            strstr(f->description, "during the day") ? "count during the day" : "census at 00:00";
    int rc = attr_double(c, d, "first_day", first_day) || attr_str(c, d, "sampling", sampling) ||
                             attr_str(c, d, "dimensions", "replication, day")
                     ? -1
                     : 0;
    /* A replication stopped early has fewer days: the rest stays NaN. */
    for (size_t i = 0; rc == 0 && i < n_res; i++) {
        size_t len = res[i].n_days < n_days ? res[i].n_days : n_days;
        if (res[i].series[k] && len > 0)
            rc = write_row(c, d, i, res[i].series[k], len);
    }
    if (H5Dclose(d) < 0 && rc == 0)
        rc = fail(c, g, f->name);
    return rc;
}

static int write_series(struct ctx *c, hid_t file, const struct flyt_scenario *s,
                        const struct flyt_result *res, size_t n_res)
{
    size_t n_days = 0;
    for (size_t i = 0; i < n_res; i++)
        if (res[i].n_days > n_days)
            n_days = res[i].n_days;
    hid_t g = group_create(c, file, "series");
    if (g < 0)
        return -1;
    int rc = 0;
    for (int k = 0; rc == 0 && k < FLYT_N_SERIES; k++)
        rc = write_one_series(c, g, k, res, n_res, n_days, s->warmup_days);
    return close_group(c, g, rc);
}

static int write_all(struct ctx *c, hid_t file, const struct flyt_scenario *s,
                     const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                     const struct flyt_run_meta *meta)
{
    return root_provenance(c, file, meta) || root_run(c, file, s, meta) ||
                           write_replications(c, file, res, n_res) || write_summary(c, file, sum) ||
                           write_series(c, file, s, res, n_res)
                   ? -1
                   : 0;
}

static hid_t string_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

/* The file is built in memory (core driver) and written out by us: HDF5
 * 1.10 leaves a file whose flush failed (disk full) half-closed and crashes
 * at exit, and our own write() gives the system's reason for a failure. */
static hid_t create_image(struct ctx *c)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST) >= 0 &&
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        f = H5Fcreate(c->file_name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    int rc = f >= 0 ? 0 : fail(c, -1, "/");
    if (fapl >= 0 && H5Pclose(fapl) < 0 && rc == 0)
        rc = fail(c, -1, "/");
    if (rc != 0 && f >= 0)
        H5Fclose(f);
    return rc == 0 ? f : -1;
}

/* Builds the whole file in memory; *image (malloc'd) and *size on success. */
static int build_image(struct ctx *c, const struct flyt_scenario *s, const struct flyt_result *res,
                       size_t n_res, const struct flyt_summary *sum,
                       const struct flyt_run_meta *meta, void **image, size_t *size)
{
    hid_t f = create_image(c);
    if (f < 0)
        return -1;
    c->str = string_type();
    int rc = c->str < 0 ? fail(c, -1, "/") : write_all(c, f, s, res, n_res, sum, meta);
    if (c->str >= 0 && H5Tclose(c->str) < 0 && rc == 0)
        rc = fail(c, -1, "/");
    /* Without the flush, HDF5 1.10.8 hands back an unreadable image. */
    if (rc == 0 && H5Fflush(f, H5F_SCOPE_GLOBAL) < 0)
        rc = fail(c, -1, "/");
    ssize_t n = rc == 0 ? H5Fget_file_image(f, NULL, 0) : -1;
    *image = n > 0 ? malloc((size_t)n) : NULL;
    if (rc == 0 && (!*image || H5Fget_file_image(f, *image, (size_t)n) != n))
        rc = fail(c, -1, "/");
    *size = rc == 0 ? (size_t)n : 0;
    if (H5Fclose(f) < 0 && rc == 0)
        rc = fail(c, -1, "/");
    return rc;
}

/* Writes "<path>.partial" and renames it to path. On failure the partial
 * file goes; unlink, not remove: a directory in the way is not ours. */
int flyt_h5_write_run(const char *path, const struct flyt_scenario *s,
                      const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                      const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    struct ctx c = { .file_name = path, .str = -1, .err = err, .errlen = errlen };
    void *image = NULL;
    size_t size = 0, len = strlen(path) + sizeof ".partial";
    if (err && errlen)
        err[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char *partial = malloc(len);
    if (!partial)
        return set_err(&c, "cannot write '%s': out of memory", path);
    snprintf(partial, len, "%s.partial", path);
    c.file_name = partial;
    FILE *fp = fopen(partial, "wb");
    if (!fp) {
        set_err(&c, "cannot create '%s': %s", partial, strerror(errno));
        free(partial);
        return -1;
    }
    int rc = build_image(&c, s, res, n_res, sum, meta, &image, &size);
    if (rc == 0 &&
        (fwrite(image, 1, size, fp) != size || fflush(fp) != 0 || fsync(fileno(fp)) != 0))
        rc = set_err(&c, "cannot write '%s': %s", partial, strerror(errno));
    if (fclose(fp) != 0 && rc == 0)
        rc = set_err(&c, "cannot write '%s': %s", partial, strerror(errno));
    if (rc == 0 && rename(partial, path) != 0)
        rc = set_err(&c, "cannot rename '%s' to '%s': %s", partial, path, strerror(errno));
    if (rc != 0)
        unlink(partial);
    free(image);
    free(partial);
    return rc;
}
