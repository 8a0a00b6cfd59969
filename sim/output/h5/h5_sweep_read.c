/*
 * Reading sweep and shard files back, for `flyt merge` and for --resume
 * (is the output already complete?). Only what the writer wrote is read;
 * anything else is "not a flyt sweep file".
 *
 * Every string is read only when it is stored at a fixed length (format
 * version 3 on): a variable-length one lives in HDF5's global heap, whose
 * addresses HDF5 1.10 follows unchecked (H5HG_read), so a forged file with
 * a valid seal could crash flyt merge. Nothing here reads one.
 */
#include "flyt/sweep_file.h"
#include "output/h5/h5_common.h"
#include "output/h5/h5_seal.h"

#include <hdf5.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct rd {
    const char *path;
    char *err;
    size_t errlen;
    int failed;
    bool damaged; /* the seal failed: the file's bytes are not what was written */
};

static int fail(struct rd *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct rd *r, const char *fmt, ...)
{
    if (r->failed++)
        return -1;
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "'%s': %s", r->path, msg);
    return -1;
}

/* The longest text a sweep file holds: a sweep or base scenario file, as
 * the readers of those allow (a file is read whole into memory). */
#define MAX_TEXT (64u << 20)

/* A memory type for obj's fixed-length strings of at most max_len bytes
 * (one more, NUL-terminated: every value read is a C string), its size in
 * *len; -1 for anything else. */
static hid_t fixed_type(hid_t stored, size_t max_len, size_t *len)
{
    if (H5Tget_class(stored) != H5T_STRING || H5Tis_variable_str(stored) != 0 ||
        H5Tget_size(stored) > max_len)
        return -1;
    hid_t m = flyt__h5_fixed_read_type(stored);
    *len = m >= 0 ? H5Tget_size(m) : 0;
    return m;
}

/* A text written as a dataset of one string (h5_sweep.c, text_item). */
static char *dset_str(hid_t f, const char *name)
{
    char *out = NULL;
    size_t len = 0;
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hid_t t = d >= 0 ? H5Dget_type(d) : -1;
    hid_t mt = t >= 0 ? fixed_type(t, MAX_TEXT, &len) : -1;
    if (mt >= 0 && H5Sget_simple_extent_npoints(sp) == 1 && (out = malloc(len)) &&
        H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0) {
        free(out);
        out = NULL;
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return out;
}

static char *attr_str(struct rd *r, hid_t f, const char *name)
{
    char *out = NULL;
    size_t len = 0;
    if (H5Aexists(f, name) == 0 && H5Lexists(f, name, H5P_DEFAULT) > 0 && (out = dset_str(f, name)))
        return out;
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    hid_t sp = a >= 0 ? H5Aget_space(a) : -1;
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    hid_t mt = t >= 0 ? fixed_type(t, MAX_TEXT, &len) : -1;
    if (mt >= 0 && H5Sget_simple_extent_npoints(sp) == 1 && (out = malloc(len)) &&
        H5Aread(a, mt, out) < 0) {
        free(out);
        out = NULL;
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    if (sp >= 0)
        H5Sclose(sp);
    if (a >= 0)
        H5Aclose(a);
    if (!out)
        fail(r, "not a flyt sweep file (attribute '%s' missing or not fixed-length text)", name);
    return out;
}

/* A 1-D dataset of n elements; its length must be n. */
static int read_1d(struct rd *r, hid_t f, const char *name, hid_t mtype, size_t n, void *buf)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = { 0, 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    int rc = rank == 1 && dims[0] == n &&
                             (n == 0 || H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0)
                     ? 0
                     : -1;
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return rc == 0 ? 0 : fail(r, "dataset '%s' missing or damaged", name);
}

/* A 1-D dataset of n fixed-length strings of at most max_len bytes, as
 * one block of n rows of *len bytes each (a C string per row). */
static char *read_texts(struct rd *r, hid_t f, const char *name, size_t n, size_t max_len,
                        size_t *len)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t t = d >= 0 ? H5Dget_type(d) : -1;
    hid_t mt = t >= 0 ? fixed_type(t, max_len, len) : -1;
    char *buf = mt >= 0 ? malloc(n ? n * *len : 1) : NULL;
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    if (buf && read_1d(r, f, name, mt, n, buf) != 0) {
        free(buf);
        buf = NULL;
    } else if (!buf) {
        fail(r, "dataset '%s' missing, or not fixed-length text of at most %zu bytes", name,
             max_len);
    }
    if (mt >= 0)
        H5Tclose(mt);
    return buf;
}

static int attr_u64(struct rd *r, hid_t f, const char *name, uint64_t *v)
{
    hid_t a = H5Aopen(f, name, H5P_DEFAULT);
    int rc = a >= 0 && H5Aread(a, H5T_NATIVE_UINT64, v) >= 0 ? 0 : -1;
    if (a >= 0)
        H5Aclose(a);
    return rc == 0 ? 0 : fail(r, "not a flyt sweep file (attribute '%s' missing)", name);
}

static int attr_u32(struct rd *r, hid_t f, const char *name, unsigned *v)
{
    uint64_t x = 0;
    if (attr_u64(r, f, name, &x) != 0)
        return -1;
    if (x > UINT32_MAX)
        return fail(r, "attribute '%s' is %llu, beyond its range", name, (unsigned long long)x);
    *v = (unsigned)x;
    return 0;
}

/* Only a file whose seal matches reaches HDF5, and HDF5 reads exactly the
 * bytes that were checked (an image in memory, not the file again). */
static hid_t open_file(struct rd *r)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    void *image = NULL;
    size_t size = 0;
    char why[256];
    if (flyt__seal_read(r->path, &image, &size, why, sizeof why) != 0) {
        r->damaged = true;
        fail(r, "%s", why);
        return -1;
    }
    /* HDF5's core driver refuses an image under a name that exists on
     * disk; below a regular file nothing can exist. */
    size_t len = strlen(r->path) + sizeof "/image";
    char *name = malloc(len);
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (name && fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
        H5Pset_file_image(fapl, image, size) >= 0) {
        snprintf(name, len, "%s/image", r->path);
        f = H5Fopen(name, H5F_ACC_RDONLY, fapl);
    }
    if (fapl >= 0)
        H5Pclose(fapl);
    free(name);
    free(image);
    if (f < 0)
        fail(r, "cannot open as HDF5");
    return f;
}

static int task_count(struct rd *r, hid_t f, size_t *n)
{
    hid_t d = H5Dopen2(f, "/tasks/task", H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[1] = { 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank == 1)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    *n = (size_t)dims[0];
    return rank == 1 ? 0 : fail(r, "not a flyt sweep file (no /tasks/task)");
}

/* The limits flyt sweep itself keeps (sim/sweep/spec.c; units and ids:
 * FLYT_MAX_UNITS and the id rule of scenario.h): anything else did not
 * come from it, and every count below is used to size memory. */
#define MAX_POINTS       1000000u
#define MAX_REPLICATIONS 1000000u
#define MAX_DAYS         (1u << 24)
#define MAX_UNITS        ((unsigned)FLYT_MAX_UNITS)
#define MAX_ID_LEN       47u

static int check_head(struct rd *r, const struct flyt_sweep_file *h, unsigned series)
{
    bool complete = strcmp(h->kind, "sweep") == 0;
    if (h->replications < 1 || h->replications > MAX_REPLICATIONS)
        return fail(r, "attribute 'replications' is %u, outside 1..%u", h->replications,
                    MAX_REPLICATIONS);
    if (h->n_points < 1 || h->n_points > MAX_POINTS)
        return fail(r, "attribute 'n_points' is %llu, outside 1..%u",
                    (unsigned long long)h->n_points, MAX_POINTS);
    if (h->n_tasks != h->n_points * h->replications)
        return fail(r, "attribute 'n_tasks' is %llu, not n_points x replications (%llu)",
                    (unsigned long long)h->n_tasks,
                    (unsigned long long)h->n_points * h->replications);
    if (h->shard_count < 1 || h->shard_index >= h->shard_count ||
        (complete && (h->shard_count != 1 || h->shard_index != 0)))
        return fail(r, "attributes 'shard_index' %u and 'shard_count' %u make no shard",
                    h->shard_index, h->shard_count);
    if (series > 1)
        return fail(r, "attribute 'series' is %u, not 0 or 1", series);
    return 0;
}

/* Read before any text: an older file's strings are variable-length. */
static int check_version(struct rd *r, hid_t f)
{
    int v = 0;
    hid_t a = H5Aopen(f, "format_version", H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    bool ok = t >= 0 && H5Tget_class(t) == H5T_INTEGER && H5Aread(a, H5T_NATIVE_INT, &v) >= 0;
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    if (!ok)
        return fail(r, "not a flyt sweep file (attribute 'format_version' missing)");
    if (v < FLYT_H5_SWEEP_FORMAT_VERSION)
        return fail(r,
                    "a sweep file of format version %d, written by a flyt before 2026-12-05: "
                    "its texts are variable-length strings, which flyt no longer reads from a "
                    "sweep file (HDF5 1.10 can crash on a forged one); write it again with this "
                    "flyt (format version %d)",
                    v, FLYT_H5_SWEEP_FORMAT_VERSION);
    if (v > FLYT_H5_SWEEP_FORMAT_VERSION)
        return fail(r,
                    "format version %d, newer than this flyt's %d: merge with the flyt that "
                    "wrote it",
                    v, FLYT_H5_SWEEP_FORMAT_VERSION);
    return 0;
}

static int read_head(struct rd *r, hid_t f, struct flyt_sweep_file *out)
{
    if (check_version(r, f) != 0)
        return -1;
    char *fmt = attr_str(r, f, "format");
    bool flyt = fmt && strcmp(fmt, FLYT_H5_FORMAT) == 0;
    free(fmt);
    if (!flyt)
        return fail(r, "not a flyt file");
    char *hash = NULL;
    unsigned series = 0;
    if (!(out->kind = attr_str(r, f, "kind")))
        return -1;
    if (strcmp(out->kind, "sweep") != 0 && strcmp(out->kind, "sweep-shard") != 0)
        return fail(r, "a flyt '%s' file, not a sweep or shard file", out->kind);
    if (!(hash = attr_str(r, f, "sweep_hash")) ||
        !(out->sweep_text = attr_str(r, f, "sweep_text")) ||
        !(out->sweep_name = attr_str(r, f, "sweep_name")) ||
        !(out->sweep_source = attr_str(r, f, "sweep_source")) ||
        !(out->base_text = attr_str(r, f, "base_text")) ||
        !(out->base_source = attr_str(r, f, "base_source")) || attr_u64(r, f, "seed", &out->seed) ||
        attr_u64(r, f, "n_points", &out->n_points) || attr_u64(r, f, "n_tasks", &out->n_tasks) ||
        attr_u32(r, f, "replications", &out->replications) ||
        attr_u32(r, f, "shard_index", &out->shard_index) ||
        attr_u32(r, f, "shard_count", &out->shard_count) || attr_u32(r, f, "series", &series)) {
        free(hash);
        return -1;
    }
    bool hex = strlen(hash) == 16 && strspn(hash, "0123456789abcdef") == 16;
    out->hash = strtoull(hash, NULL, 16);
    out->series = series != 0;
    free(hash);
    return hex ? check_head(r, out, series)
               : fail(r, "attribute 'sweep_hash' is not 16 hex digits");
}

/* Whether obj's attribute holds fixed-length strings (of at most 1 KiB:
 * KPI names), which flyt__h5_attr_strings then reads without the heap. */
static bool attr_is_fixed(hid_t obj, const char *name)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a >= 0 ? H5Aget_type(a) : -1;
    bool fixed = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0 &&
                 H5Tget_size(t) <= 1024;
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return fixed;
}

/* A unit id as the scenario loader allows it: it names a group here. */
static bool good_part(const char *id, size_t n)
{
    static const char ok[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
    if (n < 1 || !((id[0] >= 'A' && id[0] <= 'Z') || (id[0] >= 'a' && id[0] <= 'z')))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!strchr(ok, id[i]) || id[i] == '\0')
            return false;
    return true;
}

/* A unit id, or a region's municipal unit <municipality>.<unit>
 * (docs/region.md). */
static bool good_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > MAX_ID_LEN || strcmp(id, "ids") == 0)
        return false;
    const char *dot = strchr(id, '.');
    if (!dot)
        return good_part(id, n);
    return good_part(id, (size_t)(dot - id)) && good_part(dot + 1, n - (size_t)(dot - id) - 1);
}

/* /units/ids, and the unit-KPI columns, which must be this flyt's: a
 * table of another list would be read into the wrong KPIs. */
static int read_units(struct rd *r, hid_t f, struct flyt_sweep_file *out)
{
    if (H5Lexists(f, "/units", H5P_DEFAULT) <= 0)
        return fail(r, "has no /units (the per-unit KPIs), as a sweep file of a flyt before "
                       "they were kept has none: write it again with this flyt");
    hid_t d = H5Dopen2(f, "/units/ids", H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[1] = { 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank == 1)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    if (rank != 1)
        return fail(r, "dataset '/units/ids' missing or damaged");
    if (dims[0] < 1 || dims[0] > MAX_UNITS)
        return fail(r, "/units/ids holds %llu units, outside 1..%u", (unsigned long long)dims[0],
                    MAX_UNITS);
    size_t n = (size_t)dims[0], len = 0;
    char *raw = read_texts(r, f, "/units/ids", n, MAX_ID_LEN, &len);
    int rc = raw ? 0 : -1; /* set by hand: the analyzer does not follow fail() */
    if (rc == 0 && !(out->unit_ids = calloc(n, sizeof *out->unit_ids))) {
        fail(r, "out of memory");
        rc = -1;
    }
    for (size_t u = 0; rc == 0 && u < n; u++) {
        const char *id = raw + u * len;
        if (!good_id(id)) {
            fail(r, "/units/ids row %zu is not a unit id", u);
            rc = -1;
        }
        for (size_t v = 0; rc == 0 && v < u; v++)
            if (strcmp(id, raw + v * len) == 0) {
                fail(r, "/units/ids names unit '%s' twice", id);
                rc = -1;
            }
        if (rc == 0 && !(out->unit_ids[u] = strdup(id))) {
            fail(r, "out of memory");
            rc = -1;
        }
        if (rc == 0)
            out->n_units = (unsigned)u + 1;
    }
    free(raw);
    if (rc != 0)
        return -1;
    size_t nk = 0;
    hid_t g = H5Gopen2(f, "/units", H5P_DEFAULT);
    char **kpi = g >= 0 && attr_is_fixed(g, "kpi") ? flyt__h5_attr_strings(g, "kpi", &nk) : NULL;
    bool same = kpi && nk == FLYT_N_UNIT_KPI;
    for (size_t k = 0; same && k < nk; k++)
        same = strcmp(kpi[k], flyt_unit_kpi_defs[k].name) == 0;
    flyt__h5_free_strings(kpi, kpi ? nk : 0);
    if (g >= 0)
        H5Gclose(g);
    return same ? 0
                : fail(r, "the per-unit KPIs (/units attribute 'kpi') are not this flyt's: "
                          "written by another flyt version");
}

int flyt_h5_sweep_read_info(const char *path, struct flyt_sweep_file *out, char *err, size_t errlen)
{
    struct rd r = { path, err, errlen, 0, false };
    memset(out, 0, sizeof *out);
    size_t len = strlen(path) + 1;
    if ((out->path = malloc(len)))
        memcpy(out->path, path, len);
    hid_t f = open_file(&r);
    if (f < 0) {
        out->damaged = r.damaged;
        return -1;
    }
    int rc = read_head(&r, f, out) || task_count(&r, f, &out->n_have) ? -1 : 0;
    if (rc == 0 && out->n_have > out->n_tasks)
        rc = fail(&r, "holds %zu tasks of a sweep of %llu", out->n_have,
                  (unsigned long long)out->n_tasks);
    if (rc == 0 && !(out->task = malloc((out->n_have ? out->n_have : 1) * sizeof *out->task))) {
        fail(&r, "out of memory");
        rc = -1;
    }
    if (rc == 0)
        rc = read_1d(&r, f, "/tasks/task", H5T_NATIVE_UINT64, out->n_have, out->task);
    for (size_t i = 0; rc == 0 && i < out->n_have; i++) {
        uint64_t t = out->task[i];
        if (t >= out->n_tasks)
            rc = fail(&r, "task %llu is beyond the sweep's %llu tasks", (unsigned long long)t,
                      (unsigned long long)out->n_tasks);
        else if (i > 0 && t <= out->task[i - 1])
            rc = fail(&r, "/tasks/task is not in increasing order at row %zu", i);
        else if (!flyt_sweep_in_shard((size_t)t, out->shard_index, out->shard_count))
            rc = fail(&r, "task %llu does not belong to shard %u/%u", (unsigned long long)t,
                      out->shard_index, out->shard_count);
    }
    if (rc == 0 && strcmp(out->kind, "sweep") == 0 && out->n_have != out->n_tasks)
        rc = fail(&r, "a complete sweep file with %zu of its %llu tasks", out->n_have,
                  (unsigned long long)out->n_tasks);
    if (rc == 0)
        rc = read_units(&r, f, out);
    H5Fclose(f);
    out->damaged = r.damaged;
    return rc;
}

void flyt_h5_sweep_file_free(struct flyt_sweep_file *f)
{
    if (!f)
        return;
    for (unsigned u = 0; f->unit_ids && u < f->n_units; u++)
        free(f->unit_ids[u]);
    free(f->unit_ids);
    free(f->path);
    free(f->kind);
    free(f->sweep_name);
    free(f->sweep_source);
    free(f->sweep_text);
    free(f->base_source);
    free(f->base_text);
    free(f->task);
    memset(f, 0, sizeof *f);
}

/* Rows of a [task x day] series dataset into each result's series[k]. */
static int read_series(struct rd *r, hid_t f, int k, const struct flyt_sweep_file *info,
                       struct flyt_result *res)
{
    char name[96];
    snprintf(name, sizeof name, "/series/%s", flyt_series_defs[k].name);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = { 0, 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_dims(sp, dims, NULL) : -1;
    double *all = NULL;
    int rc = rank == 2 && dims[0] == info->n_have && dims[1] <= MAX_DAYS ? 0 : -1;
    /* a damaged file must not wrap the size below */
    if (rc == 0 && dims[1] > 0 && dims[0] > SIZE_MAX / sizeof *all / dims[1])
        rc = -1;
    if (rc == 0 && dims[0] * dims[1] > 0) {
        all = malloc(dims[0] * dims[1] * sizeof *all);
        rc = all && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, all) >= 0 ? 0 : -1;
    }
    for (size_t i = 0; rc == 0 && all && i < info->n_have; i++) {
        struct flyt_result *x = &res[info->task[i]];
        x->n_days = (size_t)dims[1];
        if (!(x->series[k] = malloc(dims[1] * sizeof(double))))
            rc = -1;
        else
            memcpy(x->series[k], all + i * dims[1], dims[1] * sizeof(double));
    }
    free(all);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return rc == 0 ? 0 : fail(r, "dataset '%s' missing or damaged", name);
}

/* A unit's [task x kpi] table into each result's unit_kpi row u. */
static int read_unit_kpis(struct rd *r, hid_t f, unsigned u, const struct flyt_sweep_file *info,
                          struct flyt_result *res, double *all)
{
    char name[96];
    snprintf(name, sizeof name, "/units/%s/kpis", info->unit_ids[u]);
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    hid_t sp = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[2] = { 0, 0 };
    int rank = sp >= 0 ? H5Sget_simple_extent_ndims(sp) : -1;
    if (rank == 2)
        H5Sget_simple_extent_dims(sp, dims, NULL);
    int rc = rank == 2 && dims[0] == info->n_have && dims[1] == FLYT_N_UNIT_KPI &&
                             (info->n_have == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                                           H5P_DEFAULT, all) >= 0)
                     ? 0
                     : -1;
    for (size_t i = 0; rc == 0 && i < info->n_have; i++)
        memcpy(flyt_result_unit_kpi(&res[info->task[i]], u), all + i * FLYT_N_UNIT_KPI,
               FLYT_N_UNIT_KPI * sizeof *all);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return rc == 0 ? 0 : fail(r, "dataset '%s' missing or damaged", name);
}

static int read_units_kpis(struct rd *r, hid_t f, const struct flyt_sweep_file *info,
                           struct flyt_result *res)
{
    double *all = malloc((info->n_have ? info->n_have : 1) * FLYT_N_UNIT_KPI * sizeof *all);
    int rc = all ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < info->n_have; i++) {
        struct flyt_result *x = &res[info->task[i]];
        free(x->unit_kpi);
        x->n_units = info->n_units;
        if (!(x->unit_kpi = malloc((size_t)info->n_units * FLYT_N_UNIT_KPI * sizeof(double))))
            rc = -1;
    }
    if (rc != 0)
        fail(r, "out of memory");
    for (unsigned u = 0; rc == 0 && u < info->n_units; u++)
        rc = read_unit_kpis(r, f, u, info, res, all);
    free(all);
    return rc;
}

static int read_columns(struct rd *r, hid_t f, const struct flyt_sweep_file *info,
                        struct flyt_result *res, void *buf)
{
    size_t n = info->n_have;
    unsigned reps = info->replications;
    if (read_1d(r, f, "/tasks/point", H5T_NATIVE_UINT64, n, buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (((uint64_t *)buf)[i] != info->task[i] / reps)
            return fail(r, "/tasks/point row %zu is %llu, but task %llu is at point %llu", i,
                        (unsigned long long)((uint64_t *)buf)[i], (unsigned long long)info->task[i],
                        (unsigned long long)(info->task[i] / reps));
    if (read_1d(r, f, "/tasks/replication", H5T_NATIVE_UINT64, n, buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        if (((uint64_t *)buf)[i] != info->task[i] % reps)
            return fail(r, "/tasks/replication row %zu is %llu, but task %llu is replication %llu",
                        i, (unsigned long long)((uint64_t *)buf)[i],
                        (unsigned long long)info->task[i],
                        (unsigned long long)(info->task[i] % reps));
    if (read_1d(r, f, "/tasks/status", H5T_NATIVE_INT, n, buf))
        return -1;
    for (size_t i = 0; i < n; i++) {
        int st = ((int *)buf)[i];
        if (!flyt_run_status_kept(st))
            return fail(r, "/tasks/status row %zu is %d, not a run status (0, 1, 2, 4 or 5)", i,
                        st);
        res[info->task[i]].status = st;
    }
    if (read_1d(r, f, "/tasks/model_events", H5T_NATIVE_UINT64, n, buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        res[info->task[i]].model_events = ((uint64_t *)buf)[i];
    if (read_1d(r, f, "/tasks/engine_events", H5T_NATIVE_UINT64, n, buf))
        return -1;
    for (size_t i = 0; i < n; i++)
        res[info->task[i]].engine_events = ((uint64_t *)buf)[i];
    for (int k = 0; k < FLYT_N_KPI; k++) {
        char name[96];
        snprintf(name, sizeof name, "/tasks/%s", flyt_kpi_defs[k].name);
        if (read_1d(r, f, name, H5T_NATIVE_DOUBLE, n, buf))
            return -1;
        for (size_t i = 0; i < n; i++)
            res[info->task[i]].kpi[k] = ((double *)buf)[i];
    }
    return 0;
}

/* The writer never writes more than a result's status_detail holds. */
static int read_details(struct rd *r, hid_t f, const struct flyt_sweep_file *info,
                        struct flyt_result *res)
{
    size_t len = 0;
    char *buf = read_texts(r, f, "/tasks/status_detail", info->n_have,
                           sizeof res->status_detail - 1, &len);
    for (size_t i = 0; buf && i < info->n_have; i++) {
        struct flyt_result *x = &res[info->task[i]];
        snprintf(x->status_detail, sizeof x->status_detail, "%s", buf + i * len);
    }
    int rc = buf ? 0 : -1;
    free(buf);
    return rc;
}

int flyt_h5_sweep_read_tasks(const struct flyt_sweep_file *info, struct flyt_result *res, char *err,
                             size_t errlen)
{
    struct rd r = { info->path, err, errlen, 0, false };
    hid_t f = open_file(&r);
    if (f < 0)
        return -1;
    size_t n = info->n_have ? info->n_have : 1;
    void *buf = calloc(n, 8);
    int rc = 0;
    if (!buf) {
        fail(&r, "out of memory");
        rc = -1;
    }
    for (size_t i = 0; rc == 0 && i < info->n_have; i++)
        res[info->task[i]].replication = (unsigned)(info->task[i] % info->replications);
    if (rc == 0)
        rc = read_columns(&r, f, info, res, buf) || read_details(&r, f, info, res) ||
                             read_units_kpis(&r, f, info, res)
                     ? -1
                     : 0;
    for (int k = 0; rc == 0 && info->series && k < FLYT_N_SERIES; k++)
        rc = read_series(&r, f, k, info, res);
    free(buf);
    H5Fclose(f);
    return rc;
}
