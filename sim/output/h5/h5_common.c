/*
 * The pieces every flyt HDF5 writer shares: error context, attributes,
 * datasets, chunked matrices, provenance, and the atomic file write.
 */
#include "output/h5/h5_common.h"
#include "flyt/outfile.h"
#include "flyt/rng.h"
#include "flyt/version.h"
#include "output/h5/h5_seal.h"

#include <gsl/gsl_version.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef FLYT_GIT_COMMIT
#define FLYT_GIT_COMMIT "unknown"
#endif

#define MAX_CHUNK_COLS 65536
#define CHUNK_ROWS_1D  4096
#define BLOCK_BYTES    (256 * 1024) /* target size of a chunk of a row block */
#define DEFLATE_LEVEL  4
#define TCONV_BYTES    (64 * 1024) /* type-conversion buffer of a write */
/* Data up to this size stay in the object header (HDF5 allows about 64 KiB):
 * a day's series of one replication, a column of a few hundred replications. */
#define COMPACT_BYTES 8192
#define VLEN_BYTES    16 /* a variable-length string in the file: a global heap id */

/* HDF5's description of the deepest error on its stack (walked upward). */
static herr_t innermost(unsigned n, const H5E_error2_t *e, void *buf)
{
    if (n == 0 && e->desc)
        snprintf(buf, 256, "%s", e->desc);
    return 0;
}

/* Keeps the first message (later failures are consequences); returns -1. */
int flyt__h5_set_err(struct flyt__h5 *c, const char *fmt, ...)
{
    if (c->failed++ || !c->err || c->errlen == 0)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, c->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

int flyt__h5_fail(struct flyt__h5 *c, hid_t loc, const char *name)
{
    char where[256] = "", reason[256] = "HDF5 error";
    int e = errno;
    /* First: any other HDF5 call clears the error stack. */
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, reason);
    /* HDF5's own text for a failed write() hides the system's reason */
    if (e == ENOSPC || e == EFBIG || e == EDQUOT || e == EIO || e == EROFS)
        snprintf(reason, sizeof reason, "%s", strerror(e));
    if (loc < 0 || H5Iget_name(loc, where, sizeof where) < 0)
        where[0] = '\0';
    const char *sep = where[0] && name[0] && strcmp(where, "/") ? "/" : "";
    if (!where[0] && !name[0])
        return flyt__h5_set_err(c, "cannot write '%s': %s", c->file_name, reason);
    return flyt__h5_set_err(c, "cannot write '%s%s%s' to '%s': %s", where, sep, name, c->file_name,
                            reason);
}

int flyt__h5_attr_write(struct flyt__h5 *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                        const void *value)
{
    hid_t sp = c->scalar > 0 ? c->scalar : H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, value) >= 0 ? 0 : flyt__h5_fail(c, obj, name);
    if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
        rc = flyt__h5_fail(c, obj, name);
    if (sp >= 0 && sp != c->scalar && H5Sclose(sp) < 0 && rc == 0)
        rc = flyt__h5_fail(c, obj, name);
    return rc;
}

/* v[0..n) (NULL as "") in rows of the longest one's length, NUL-padded,
 * with its fixed-length type in *t; NULL when out of memory. */
static char *pack_fixed(const char *const *v, size_t n, hid_t *t)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        if (v[i] && strlen(v[i]) > len)
            len = strlen(v[i]);
    char *buf = calloc(n ? n : 1, len);
    *t = buf ? flyt__h5_utf8_fixed_type(len) : -1;
    if (*t < 0) {
        free(buf);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        if (v[i])
            memcpy(buf + i * len, v[i], strlen(v[i]));
    return buf;
}

int flyt__h5_attr_str(struct flyt__h5 *c, hid_t obj, const char *name, const char *value)
{
    const char *v = value ? value : "";
    if (!c->fixed_str)
        return flyt__h5_attr_write(c, obj, name, c->str, c->str, &v);
    hid_t t;
    char *buf = pack_fixed(&v, 1, &t);
    int rc = buf ? flyt__h5_attr_write(c, obj, name, t, t, buf) : flyt__h5_fail(c, obj, name);
    if (buf)
        H5Tclose(t);
    free(buf);
    return rc;
}

int flyt__h5_attr_strs(struct flyt__h5 *c, hid_t obj, const char *name, const char *const *v,
                       size_t n)
{
    hid_t t = c->str;
    char *fixed = c->fixed_str ? pack_fixed(v, n, &t) : NULL;
    if (c->fixed_str && !fixed)
        return flyt__h5_fail(c, obj, name);
    const void *data = fixed ? (const void *)fixed : (const void *)v;
    hsize_t dims[1] = { n };
    hid_t sp = H5Screate_simple(1, dims, NULL);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, t, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && (n == 0 || H5Awrite(a, t, data) >= 0) ? 0 : flyt__h5_fail(c, obj, name);
    if (fixed)
        H5Tclose(t);
    free(fixed);
    if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
        rc = flyt__h5_fail(c, obj, name);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

int flyt__h5_attr_double(struct flyt__h5 *c, hid_t obj, const char *name, double v)
{
    return flyt__h5_attr_write(c, obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &v);
}

int flyt__h5_units_desc(struct flyt__h5 *c, hid_t obj, const char *units, const char *desc)
{
    return flyt__h5_attr_str(c, obj, "units", units) ||
                           flyt__h5_attr_str(c, obj, "description", desc)
                   ? -1
                   : 0;
}

hid_t flyt__h5_dset_create(struct flyt__h5 *c, hid_t loc, const char *name, hid_t ftype, int rank,
                           const hsize_t *dims, hid_t dcpl, const char *units, const char *desc)
{
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t d = sp < 0 ? -1 : H5Dcreate2(loc, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    int rc = d >= 0 ? 0 : flyt__h5_fail(c, loc, name);
    if (sp >= 0 && H5Sclose(sp) < 0 && rc == 0)
        rc = flyt__h5_fail(c, loc, name);
    if (rc == 0)
        rc = flyt__h5_units_desc(c, d, units, desc);
    if (rc != 0 && d >= 0)
        H5Dclose(d);
    return rc == 0 ? d : -1;
}

bool flyt__h5_is_compact(size_t bytes)
{
    return bytes > 0 && bytes <= COMPACT_BYTES;
}

hid_t flyt__h5_dcpl_new(void)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    if (p >= 0 && H5Pset_obj_track_times(p, 0) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static hid_t compact_dcpl(bool nan_fill)
{
    hid_t p = flyt__h5_dcpl_new();
    double nan = NAN;
    if (p >= 0 && (H5Pset_layout(p, H5D_COMPACT) < 0 ||
                   (nan_fill && H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &nan) < 0))) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

static hid_t compact_of(struct flyt__h5 *c, bool nan_fill)
{
    hid_t kept = nan_fill ? c->compact_nan : c->compact;
    return kept > 0 ? kept : compact_dcpl(nan_fill);
}

hid_t flyt__h5_dcpl_compact(struct flyt__h5 *c, bool nan_fill)
{
    return compact_of(c, nan_fill);
}

int flyt__h5_dcpl_close(struct flyt__h5 *c, hid_t dcpl)
{
    if (dcpl > 0 && (dcpl == c->compact || dcpl == c->compact_nan))
        return 0;
    return H5Pclose(dcpl) < 0 ? -1 : 0;
}

/* Compressed like the matrices when larger than compact, so that every
 * dataset in a flyt file reads the same way; empty columns stay contiguous
 * (chunks must be positive). */
static hid_t dcpl_1d(struct flyt__h5 *c, size_t n, size_t es)
{
    if (flyt__h5_is_compact(n * es))
        return compact_of(c, false);
    hid_t p = flyt__h5_dcpl_new();
    if (n == 0)
        return p;
    hsize_t chunk[1] = { n < CHUNK_ROWS_1D ? n : CHUNK_ROWS_1D };
    if (p >= 0 && (H5Pset_chunk(p, 1, chunk) < 0 || H5Pset_shuffle(p) < 0 ||
                   H5Pset_deflate(p, DEFLATE_LEVEL) < 0)) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

void flyt__h5_stat_row(const struct flyt_stat *st, int n, double *out)
{
    for (int k = 0; k < n; k++, out += FLYT__H5_N_STAT) {
        if (!st) {
            out[0] = out[1] = out[2] = out[3] = NAN;
            out[4] = 0;
            continue;
        }
        bool ok = isfinite(st[k].ci_low) && isfinite(st[k].ci_high);
        out[0] = st[k].mean;
        out[1] = st[k].sd;
        out[2] = ok ? st[k].ci_low : NAN;
        out[3] = ok ? st[k].ci_high : NAN;
        out[4] = st[k].n;
    }
}

int flyt__h5_write_1d(struct flyt__h5 *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                      size_t n, const void *data, const char *units, const char *desc)
{
    if (c->fixed_str && ftype == c->str && mtype == c->str) {
        hid_t t;
        char *buf = pack_fixed(data, n, &t);
        if (!buf)
            return flyt__h5_fail(c, loc, name);
        int rc = flyt__h5_write_1d(c, loc, name, t, t, n, buf, units, desc);
        H5Tclose(t);
        free(buf);
        return rc;
    }
    hsize_t dims[1] = { n };
    bool str = H5Tget_class(ftype) == H5T_STRING;
    size_t es = str && H5Tis_variable_str(ftype) > 0 ? VLEN_BYTES : H5Tget_size(ftype);
    hid_t dcpl = dcpl_1d(c, n, es);
    if (dcpl < 0)
        return flyt__h5_fail(c, loc, name);
    hid_t d = flyt__h5_dset_create(c, loc, name, ftype, 1, dims, dcpl, units, desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = n == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, c->dxpl, data) >= 0
                     ? 0
                     : flyt__h5_fail(c, loc, name);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, loc, name);
    return rc;
}

hid_t flyt__h5_group_create(struct flyt__h5 *c, hid_t loc, const char *name)
{
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, c->gcpl > 0 ? c->gcpl : H5P_DEFAULT, H5P_DEFAULT);
    if (g < 0)
        flyt__h5_fail(c, loc, name);
    return g;
}

int flyt__h5_close_group(struct flyt__h5 *c, hid_t g, int rc)
{
    if (H5Gclose(g) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, "");
    return rc;
}

hid_t flyt__h5_dcpl_rows(struct flyt__h5 *c, size_t rows, size_t cols)
{
    return flyt__h5_dcpl_blocks(c, rows, cols, 1);
}

size_t flyt__h5_block_rows(size_t rows, size_t cols)
{
    size_t chunk_cols = cols < MAX_CHUNK_COLS ? cols : MAX_CHUNK_COLS;
    size_t block = chunk_cols > 0 ? BLOCK_BYTES / (chunk_cols * sizeof(double)) : 1;
    return block < 1 ? 1 : block > rows ? rows : block;
}

/* Empty datasets stay contiguous: chunk sizes must be positive. */
hid_t flyt__h5_dcpl_chunks(struct flyt__h5 *c, int rank, const hsize_t *dims, const hsize_t *chunk)
{
    size_t bytes = sizeof(double);
    bool empty = false;
    for (int d = 0; d < rank; d++) {
        empty = empty || dims[d] == 0;
        bytes = dims[d] > COMPACT_BYTES ? COMPACT_BYTES + 1 : bytes * (size_t)dims[d];
        if (bytes > COMPACT_BYTES)
            bytes = COMPACT_BYTES + 1; /* no overflow, whatever the dims */
    }
    if (!empty && flyt__h5_is_compact(bytes))
        return compact_of(c, true);
    hid_t p = flyt__h5_dcpl_new();
    double nan = NAN;
    if (p < 0)
        return -1;
    if (H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &nan) < 0 ||
        (!empty && (H5Pset_chunk(p, rank, chunk) < 0 || H5Pset_shuffle(p) < 0 ||
                    H5Pset_deflate(p, DEFLATE_LEVEL) < 0))) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

hid_t flyt__h5_dcpl_blocks(struct flyt__h5 *c, size_t rows, size_t cols, size_t block_rows)
{
    hsize_t dims[2] = { rows, cols };
    hsize_t chunk[2] = { block_rows, cols < MAX_CHUNK_COLS ? cols : MAX_CHUNK_COLS };
    return flyt__h5_dcpl_chunks(c, 2, dims, chunk);
}

int flyt__h5_write_rows(struct flyt__h5 *c, hid_t d, size_t i, size_t n, size_t cols,
                        const double *x)
{
    hsize_t start[H5S_MAX_RANK] = { i }, count[H5S_MAX_RANK] = { n }, all[1] = { n * cols };
    hid_t fs = H5Dget_space(d);
    int rank = fs < 0 ? -1 : H5Sget_simple_extent_dims(fs, count, NULL);
    count[0] = n; /* rows i .. i + n - 1, whole in every other dimension */
    size_t inner = 1;
    for (int k = 1; k < rank; k++)
        inner *= (size_t)count[k];
    hid_t ms = H5Screate_simple(1, all, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || rank < 1 || inner != cols ||
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, c->dxpl, x) < 0)
        rc = flyt__h5_fail(c, d, "");
    if (ms >= 0 && H5Sclose(ms) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    if (fs >= 0 && H5Sclose(fs) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    return rc;
}

int flyt__h5_write_row(struct flyt__h5 *c, hid_t d, size_t i, const double *row, size_t len)
{
    return flyt__h5_write_rows(c, d, i, 1, len, row);
}

size_t flyt__h5_max_chunk_cols(void)
{
    return MAX_CHUNK_COLS;
}

hid_t flyt__h5_dxpl(void)
{
    hid_t p = H5Pcreate(H5P_DATASET_XFER);
    if (p >= 0 && H5Pset_buffer(p, TCONV_BYTES, NULL, NULL) < 0) {
        H5Pclose(p);
        return -1;
    }
    return p;
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
void flyt_h5_library_version(char *buf, size_t len)
{
    unsigned maj = 0, min = 0, rel = 0;
    H5get_libversion(&maj, &min, &rel);
    snprintf(buf, len, "%u.%u.%u", maj, min, rel);
}

int flyt__h5_provenance(struct flyt__h5 *c, hid_t root, const struct flyt_run_meta *meta)
{
    char when[32], host[256] = "", h5v[32];
    int version = c->format_version ? c->format_version : FLYT_H5_FORMAT_VERSION;
    utc_now(when, sizeof when);
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    flyt_h5_library_version(h5v, sizeof h5v);
    if (flyt__h5_attr_str(c, root, "format", FLYT_H5_FORMAT) ||
        flyt__h5_attr_write(c, root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT, &version) ||
        flyt__h5_attr_str(c, root, "flyt_version", meta ? meta->flyt_version : "") ||
        flyt__h5_attr_str(c, root, "git_commit", FLYT_GIT_COMMIT) ||
        flyt__h5_attr_str(c, root, "created_utc", when) ||
        flyt__h5_attr_str(c, root, "command_line", meta ? meta->command_line : "") ||
        flyt__h5_attr_str(c, root, "host", host) ||
        flyt__h5_attr_str(c, root, "hdf5_version", h5v) ||
        flyt__h5_attr_str(c, root, "gsl_version", GSL_VERSION) ||
        flyt__h5_attr_str(c, root, "libconfig_version", flyt_scenario_libconfig_version()) ||
        flyt__h5_attr_str(c, root, "rng_scheme", FLYT_RNG_SCHEME))
        return -1;
    return 0;
}

hid_t flyt__h5_utf8_type(void)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

hid_t flyt__h5_utf8_fixed_type(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t >= 0 && (H5Tset_size(t, len ? len : 1) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0 ||
                   H5Tset_strpad(t, H5T_STR_NULLPAD) < 0)) {
        H5Tclose(t);
        return -1;
    }
    return t;
}

hid_t flyt__h5_fixed_read_type(hid_t t)
{
    if (H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) != 0)
        return -1;
    size_t len = H5Tget_size(t);
    hid_t m = len > 0 && len < SIZE_MAX ? H5Tcopy(t) : -1;
    if (m >= 0 && (H5Tset_size(m, len + 1) < 0 || H5Tset_strpad(m, H5T_STR_NULLTERM) < 0)) {
        H5Tclose(m);
        return -1;
    }
    return m;
}

/* The file is built in memory (core driver) and written out by us: HDF5
 * 1.10 leaves a file whose flush failed (disk full) half-closed and crashes
 * at exit, and our own write() gives the system's reason for a failure. */
/* Half-width of the v1 B-tree nodes that index each dataset's chunks
 * (HDF5's default 32). Most of flyt's datasets have one to a few chunks, yet
 * each root node is allocated whole, in memory and in the file: at 32 a
 * 2-day PF1 run file was 210 KB, at 8 it is 99 KB, and building it costs
 * about a tenth less CPU. Large logs get deeper trees (16 entries a node),
 * which costs nothing measurable when chunks are written once in order. */
#define ISTORE_K 8
/* The image grows by this much at a time: HDF5 clears each new piece, and a
 * larger one costs a short run page faults for memory it never uses. */
#define CORE_INCREMENT (64 * 1024)
static hid_t create_image(struct flyt__h5 *c)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), fcpl = H5Pcreate(H5P_FILE_CREATE), f = -1;
    if (fapl >= 0 && fcpl >= 0 && H5Pset_fapl_core(fapl, CORE_INCREMENT, 0) >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST) >= 0 &&
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0 && H5Pset_istore_k(fcpl, ISTORE_K) >= 0)
        f = H5Fcreate(c->file_name, H5F_ACC_TRUNC, fcpl, fapl);
    if (fcpl >= 0)
        H5Pclose(fcpl);
    int rc = f >= 0 ? 0 : flyt__h5_fail(c, -1, "/");
    if (fapl >= 0 && H5Pclose(fapl) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
    if (rc != 0 && f >= 0)
        H5Fclose(f);
    return rc == 0 ? f : -1;
}

/* Builds the whole file in memory; *image (malloc'd) and *size on success. */
static int build_image(struct flyt__h5 *c, flyt__h5_fill_fn fill, const void *arg, void **image,
                       size_t *size)
{
    hid_t f = create_image(c);
    if (f < 0)
        return -1;
    c->str = flyt__h5_utf8_type();
    c->dxpl = flyt__h5_dxpl();
    c->compact = compact_dcpl(false);
    c->compact_nan = compact_dcpl(true);
    c->scalar = H5Screate(H5S_SCALAR);
    c->gcpl = H5Pcreate(H5P_GROUP_CREATE);
    if (c->gcpl >= 0 && H5Pset_obj_track_times(c->gcpl, 0) < 0) {
        H5Pclose(c->gcpl);
        c->gcpl = -1;
    }
    int rc = c->str < 0 || c->dxpl < 0 || c->compact < 0 || c->compact_nan < 0 || c->scalar < 0 ||
                             c->gcpl < 0
                     ? flyt__h5_fail(c, -1, "/")
                     : fill(c, f, arg);
    hid_t kept[] = { c->compact, c->compact_nan, c->gcpl };
    for (size_t i = 0; i < sizeof kept / sizeof kept[0]; i++)
        if (kept[i] >= 0 && H5Pclose(kept[i]) < 0 && rc == 0)
            rc = flyt__h5_fail(c, -1, "/");
    if (c->scalar >= 0 && H5Sclose(c->scalar) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
    c->compact = c->compact_nan = c->scalar = c->gcpl = 0;
    if (c->str >= 0 && H5Tclose(c->str) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
    if (c->dxpl >= 0 && H5Pclose(c->dxpl) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
    c->dxpl = 0;
    /* Without the flush, HDF5 1.10.8 hands back an unreadable image. */
    if (rc == 0 && H5Fflush(f, H5F_SCOPE_GLOBAL) < 0)
        rc = flyt__h5_fail(c, -1, "/");
    ssize_t n = rc == 0 ? H5Fget_file_image(f, NULL, 0) : -1;
    *image = n > 0 ? malloc((size_t)n) : NULL;
    if (rc == 0 && (!*image || H5Fget_file_image(f, *image, (size_t)n) != n))
        rc = flyt__h5_fail(c, -1, "/");
    *size = rc == 0 ? (size_t)n : 0;
    if (H5Fclose(f) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
    return rc;
}

/* The image is built before the temporary file is made, so a failure to
 * build it leaves nothing on disk; the temporary file is unique to this
 * process (flyt_out_temp) and removed on every failure. */
static int write_file(const char *path, flyt__h5_fill_fn fill, const void *arg, bool seal,
                      char *err, size_t errlen)
{
    struct flyt__h5 c = { .file_name = path, .str = -1, .err = err, .errlen = errlen };
    void *image = NULL;
    size_t size = 0;
    if (err && errlen)
        err[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    int rc = build_image(&c, fill, arg, &image, &size);
    if (rc == 0 && seal) { /* sealed in memory: written, fsynced and renamed once */
        void *grown = realloc(image, size + FLYT_SEAL_BYTES + 1);
        if (!grown) {
            rc = flyt__h5_set_err(&c, "cannot write '%s': out of memory", path);
        } else {
            image = grown;
            flyt__seal_trailer(image, size, (char *)image + size);
            size += FLYT_SEAL_BYTES;
        }
    }
    const char *tmp = NULL;
    int fd = rc == 0 ? flyt_out_temp(path, FLYT_OUT_HDF5, &tmp, err, errlen) : -1;
    FILE *fp = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (rc == 0 && fd < 0)
        rc = -1; /* the message is in err */
    else if (rc == 0 && !fp)
        rc = flyt__h5_set_err(&c, "cannot write '%s': %s", tmp, strerror(errno));
    if (rc == 0 &&
        (fwrite(image, 1, size, fp) != size || fflush(fp) != 0 || fsync(fileno(fp)) != 0))
        rc = flyt__h5_set_err(&c, "cannot write '%s': %s", tmp, strerror(errno));
    if (fp && fclose(fp) != 0 && rc == 0)
        rc = flyt__h5_set_err(&c, "cannot write '%s': %s", tmp, strerror(errno));
    else if (!fp && fd >= 0)
        close(fd);
    if (rc == 0 && flyt_out_commit(path, err, errlen) != 0)
        rc = -1;
    if (rc != 0)
        flyt_out_discard(path);
    free(image);
    return rc;
}

int flyt__h5_write_file(const char *path, flyt__h5_fill_fn fill, const void *arg, char *err,
                        size_t errlen)
{
    return write_file(path, fill, arg, false, err, errlen);
}

int flyt__h5_write_file_sealed(const char *path, flyt__h5_fill_fn fill, const void *arg, char *err,
                               size_t errlen)
{
    return write_file(path, fill, arg, true, err, errlen);
}
