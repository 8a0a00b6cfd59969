/*
 * The pieces every flyt HDF5 writer shares: error context, attributes,
 * datasets, chunked matrices, provenance, and the atomic file write.
 */
#include "output/h5_common.h"
#include "flyt/rng.h"

#include <gsl/gsl_version.h>

#include <errno.h>
#include <math.h>
#include <stdarg.h>
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
    /* First: any other HDF5 call clears the error stack. */
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, reason);
    if (loc < 0 || H5Iget_name(loc, where, sizeof where) < 0)
        where[0] = '\0';
    const char *sep = where[0] && name[0] && strcmp(where, "/") ? "/" : "";
    return flyt__h5_set_err(c, "cannot write '%s%s%s' to '%s': %s", where, sep, name, c->file_name,
                            reason);
}

int flyt__h5_attr_write(struct flyt__h5 *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                        const void *value)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = a >= 0 && H5Awrite(a, mtype, value) >= 0 ? 0 : flyt__h5_fail(c, obj, name);
    if (a >= 0 && H5Aclose(a) < 0 && rc == 0)
        rc = flyt__h5_fail(c, obj, name);
    if (sp >= 0 && H5Sclose(sp) < 0 && rc == 0)
        rc = flyt__h5_fail(c, obj, name);
    return rc;
}

int flyt__h5_attr_str(struct flyt__h5 *c, hid_t obj, const char *name, const char *value)
{
    const char *v = value ? value : "";
    return flyt__h5_attr_write(c, obj, name, c->str, c->str, &v);
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

/* Compressed like the matrices, so that every dataset in a flyt file reads
 * the same way; empty columns stay contiguous (chunks must be positive). */
static hid_t dcpl_1d(size_t n)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    if (n == 0)
        return p;
    hsize_t chunk[1] = { n < CHUNK_ROWS_1D ? n : CHUNK_ROWS_1D };
    if (p >= 0 &&
        (H5Pset_chunk(p, 1, chunk) < 0 || H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, 4) < 0)) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

int flyt__h5_write_1d(struct flyt__h5 *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                      size_t n, const void *data, const char *units, const char *desc)
{
    hsize_t dims[1] = { n };
    hid_t dcpl = dcpl_1d(n);
    if (dcpl < 0)
        return flyt__h5_fail(c, loc, name);
    hid_t d = flyt__h5_dset_create(c, loc, name, ftype, 1, dims, dcpl, units, desc);
    H5Pclose(dcpl);
    if (d < 0)
        return -1;
    int rc = n == 0 || H5Dwrite(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0
                     ? 0
                     : flyt__h5_fail(c, loc, name);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, loc, name);
    return rc;
}

hid_t flyt__h5_group_create(struct flyt__h5 *c, hid_t loc, const char *name)
{
    hid_t g = H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
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

/* Empty datasets stay contiguous: chunk sizes must be positive. */
hid_t flyt__h5_dcpl_rows(size_t rows, size_t cols)
{
    hid_t p = H5Pcreate(H5P_DATASET_CREATE);
    double nan = NAN;
    hsize_t chunk[2] = { 1, cols < MAX_CHUNK_COLS ? cols : MAX_CHUNK_COLS };
    if (p < 0)
        return -1;
    if (H5Pset_fill_value(p, H5T_NATIVE_DOUBLE, &nan) < 0 ||
        (rows > 0 && cols > 0 &&
         (H5Pset_chunk(p, 2, chunk) < 0 || H5Pset_shuffle(p) < 0 || H5Pset_deflate(p, 4) < 0))) {
        H5Pclose(p);
        return -1;
    }
    return p;
}

int flyt__h5_write_row(struct flyt__h5 *c, hid_t d, size_t i, const double *row, size_t len)
{
    hsize_t start[2] = { i, 0 }, count[2] = { 1, len }, mdims[1] = { len };
    hid_t fs = H5Dget_space(d);
    hid_t ms = H5Screate_simple(1, mdims, NULL);
    int rc = 0;
    if (fs < 0 || ms < 0 || H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dwrite(d, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, row) < 0)
        rc = flyt__h5_fail(c, d, "");
    if (ms >= 0 && H5Sclose(ms) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    if (fs >= 0 && H5Sclose(fs) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
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
int flyt__h5_provenance(struct flyt__h5 *c, hid_t root, const struct flyt_run_meta *meta)
{
    char when[32], host[256] = "", h5v[32];
    unsigned maj = 0, min = 0, rel = 0;
    utc_now(when, sizeof when);
    if (gethostname(host, sizeof host - 1) != 0)
        snprintf(host, sizeof host, "unknown");
    H5get_libversion(&maj, &min, &rel);
    snprintf(h5v, sizeof h5v, "%u.%u.%u", maj, min, rel);
    if (flyt__h5_attr_str(c, root, "format", FLYT_H5_FORMAT) ||
        flyt__h5_attr_write(c, root, "format_version", H5T_STD_I32LE, H5T_NATIVE_INT,
                            &(int){ FLYT_H5_FORMAT_VERSION }) ||
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
static hid_t create_image(struct flyt__h5 *c)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS), f = -1;
    if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 20, 0) >= 0 &&
        H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST) >= 0 &&
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        f = H5Fcreate(c->file_name, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
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
    c->str = string_type();
    int rc = c->str < 0 ? flyt__h5_fail(c, -1, "/") : fill(c, f, arg);
    if (c->str >= 0 && H5Tclose(c->str) < 0 && rc == 0)
        rc = flyt__h5_fail(c, -1, "/");
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

/* On failure the partial file goes; unlink, not remove: a directory in the
 * way is not ours. */
int flyt__h5_write_file(const char *path, flyt__h5_fill_fn fill, const void *arg, char *err,
                        size_t errlen)
{
    struct flyt__h5 c = { .file_name = path, .str = -1, .err = err, .errlen = errlen };
    void *image = NULL;
    size_t size = 0, len = strlen(path) + sizeof ".partial";
    if (err && errlen)
        err[0] = '\0';
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    char *partial = malloc(len);
    if (!partial)
        return flyt__h5_set_err(&c, "cannot write '%s': out of memory", path);
    snprintf(partial, len, "%s.partial", path);
    c.file_name = partial;
    FILE *fp = fopen(partial, "wb");
    if (!fp) {
        flyt__h5_set_err(&c, "cannot create '%s': %s", partial, strerror(errno));
        free(partial);
        return -1;
    }
    int rc = build_image(&c, fill, arg, &image, &size);
    if (rc == 0 &&
        (fwrite(image, 1, size, fp) != size || fflush(fp) != 0 || fsync(fileno(fp)) != 0))
        rc = flyt__h5_set_err(&c, "cannot write '%s': %s", partial, strerror(errno));
    if (fclose(fp) != 0 && rc == 0)
        rc = flyt__h5_set_err(&c, "cannot write '%s': %s", partial, strerror(errno));
    if (rc == 0 && rename(partial, path) != 0)
        rc = flyt__h5_set_err(&c, "cannot rename '%s' to '%s': %s", partial, path, strerror(errno));
    if (rc != 0)
        unlink(partial);
    free(image);
    free(partial);
    return rc;
}
