/* Small readers of flyt's HDF5 files that the report and the export share. */
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool flyt__h5_has(hid_t loc, const char *name)
{
    return H5Lexists(loc, name, H5P_DEFAULT) > 0;
}

hssize_t flyt__h5_extent(hid_t d, hsize_t dims[2])
{
    hid_t sp = H5Dget_space(d);
    int rank = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hsize_t all[H5S_MAX_RANK] = { 0 };
    hssize_t n = rank >= 0 && rank <= 2 && H5Sget_simple_extent_dims(sp, all, NULL) >= 0
                         ? H5Sget_simple_extent_npoints(sp)
                         : -1;
    dims[0] = rank >= 1 ? all[0] : 1;
    dims[1] = rank >= 2 ? all[1] : 1;
    if (sp >= 0)
        H5Sclose(sp);
    return n;
}

const char *flyt__h5_attr_text(hid_t obj, const char *name, char *buf, size_t len)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    H5T_class_t cls = t < 0 ? H5T_NO_CLASS : H5Tget_class(t);
    bool ok = false;
    hid_t fixed = cls == H5T_STRING ? flyt__h5_fixed_read_type(t) : -1;
    if (fixed >= 0) { /* a sweep file's */
        size_t n = H5Tget_size(fixed);
        char *s = malloc(n);
        ok = s && H5Aread(a, fixed, s) >= 0;
        if (ok)
            snprintf(buf, len, "%s", s);
        free(s);
        H5Tclose(fixed);
    } else if (cls == H5T_STRING && H5Tis_variable_str(t) > 0) {
        char *s = NULL;
        hid_t mt = flyt__h5_utf8_type();
        ok = mt >= 0 && H5Aread(a, mt, &s) >= 0;
        if (ok)
            snprintf(buf, len, "%s", s ? s : "");
        if (s)
            H5free_memory(s);
        if (mt >= 0)
            H5Tclose(mt);
    } else if (cls == H5T_INTEGER) {
        if (H5Tget_sign(t) == H5T_SGN_NONE) {
            unsigned long long v = 0;
            ok = H5Aread(a, H5T_NATIVE_ULLONG, &v) >= 0;
            snprintf(buf, len, "%llu", v);
        } else {
            long long v = 0;
            ok = H5Aread(a, H5T_NATIVE_LLONG, &v) >= 0;
            snprintf(buf, len, "%lld", v);
        }
    } else if (cls == H5T_FLOAT) {
        double v = NAN;
        ok = H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0;
        snprintf(buf, len, "%.17g", v);
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return ok ? buf : NULL;
}

void flyt__h5_free_strings(char **s, size_t n)
{
    for (size_t i = 0; s && i < n; i++)
        free(s[i]);
    free(s);
}

/* The n fixed-length strings of the attribute or dataset obj, copied;
 * NULL when unreadable or out of memory. */
static char **fixed_strings(hid_t obj, hid_t stored, size_t n, bool attr)
{
    hid_t m = flyt__h5_fixed_read_type(stored);
    size_t len = m >= 0 ? H5Tget_size(m) : 0;
    char *raw = len && n <= SIZE_MAX / len ? malloc(n ? n * len : 1) : NULL;
    char **out = raw ? calloc(n + 1, sizeof *out) : NULL;
    bool ok = out && (n == 0 || (attr ? H5Aread(obj, m, raw)
                                      : H5Dread(obj, m, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw)) >= 0);
    for (size_t i = 0; ok && i < n; i++)
        ok = (out[i] = strdup(raw + i * len)) != NULL;
    if (!ok && out) {
        flyt__h5_free_strings(out, n);
        out = NULL;
    }
    free(raw);
    if (m >= 0)
        H5Tclose(m);
    return out;
}

/* Whether obj's strings are stored at a fixed length (a sweep file's), and
 * how many: then *out holds them (NULL when unreadable). */
static bool read_fixed(hid_t obj, bool attr, char ***out, size_t *n)
{
    hid_t t = attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t sp = attr ? H5Aget_space(obj) : H5Dget_space(obj);
    hssize_t len = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    bool fixed = t >= 0 && H5Tget_class(t) == H5T_STRING && H5Tis_variable_str(t) == 0;
    if (fixed) {
        *out = len >= 0 ? fixed_strings(obj, t, (size_t)len, attr) : NULL;
        *n = len >= 0 ? (size_t)len : 0;
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    return fixed;
}

/* Copies of raw[0..len) (a NULL string as ""), NULL-terminated, with *n
 * set; NULL (n untouched) when ok is false or memory runs out. raw stays
 * the caller's to reclaim. */
static char **copy_strings(char *const *raw, hssize_t len, bool ok, size_t *n)
{
    char **out = ok && len >= 0 ? calloc((size_t)len + 1, sizeof *out) : NULL;
    for (hssize_t i = 0; out && i < len; i++)
        if (!(out[i] = strdup(raw[i] ? raw[i] : ""))) {
            while (i-- > 0)
                free(out[i]);
            free(out);
            out = NULL;
        }
    if (out)
        *n = (size_t)len;
    return out;
}

char **flyt__h5_attr_strings(hid_t obj, const char *name, size_t *n)
{
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    char **fixed = NULL;
    if (a >= 0 && read_fixed(a, true, &fixed, n)) {
        H5Aclose(a);
        return fixed;
    }
    hid_t t = flyt__h5_utf8_type();
    hid_t sp = a < 0 ? -1 : H5Aget_space(a);
    hssize_t len = sp < 0 ? -1 : H5Sget_simple_extent_npoints(sp);
    char **raw = len >= 0 ? calloc((size_t)len + 1, sizeof *raw) : NULL;
    bool ok = raw && t >= 0 && (len == 0 || H5Aread(a, t, raw) >= 0);
    char **out = copy_strings(raw, len, ok, n);
    if (raw && sp >= 0 && t >= 0 && len > 0)
        H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
    free(raw);
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return out;
}

char **flyt__h5_strings(hid_t loc, const char *name, size_t *n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    char **fixed = NULL;
    if (d >= 0 && read_fixed(d, false, &fixed, n)) {
        H5Dclose(d);
        return fixed;
    }
    hid_t t = flyt__h5_utf8_type();
    hsize_t dims[2];
    hssize_t len = d < 0 ? -1 : flyt__h5_extent(d, dims);
    char **raw = len >= 0 ? calloc((size_t)len + 1, sizeof *raw) : NULL;
    bool ok = raw && t >= 0 && (len == 0 || H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) >= 0);
    char **out = copy_strings(raw, len, ok, n);
    if (raw && d >= 0 && t >= 0 && len > 0) {
        hid_t sp = H5Dget_space(d);
        if (sp >= 0) {
            H5Dvlen_reclaim(t, sp, H5P_DEFAULT, raw);
            H5Sclose(sp);
        }
    }
    free(raw);
    if (t >= 0)
        H5Tclose(t);
    if (d >= 0)
        H5Dclose(d);
    return out;
}

double *flyt__h5_read_table(hid_t loc, const char *name, int rank, hsize_t *dims)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d < 0 ? -1 : H5Dget_space(d);
    double *x = NULL;
    if (sp >= 0 && H5Sget_simple_extent_ndims(sp) == rank &&
        H5Sget_simple_extent_dims(sp, dims, NULL) == rank) {
        /* a damaged extent must not become a huge allocation */
        size_t n = 1;
        for (int k = 0; k < rank && n > 0; k++)
            n = dims[k] > (hsize_t)(SIZE_MAX / sizeof *x) / n ? 0 : n * (size_t)dims[k];
        bool empty = false;
        for (int k = 0; k < rank; k++)
            empty = empty || dims[k] == 0;
        if (empty || n > 0)
            x = malloc((empty ? 1 : n) * sizeof *x);
        if (x && !empty && H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
            free(x);
            x = NULL;
        }
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return x;
}

double *flyt__h5_read_field(hid_t loc, const char *name, const char *field, size_t *n)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = d < 0 ? -1 : H5Dget_space(d), ft = d < 0 ? -1 : H5Dget_type(d), mt = -1;
    hsize_t dims[1] = { 0 };
    double *x = NULL;
    *n = 0;
    if (sp >= 0 && ft >= 0 && H5Sget_simple_extent_ndims(sp) == 1 &&
        H5Sget_simple_extent_dims(sp, dims, NULL) == 1 && H5Tget_class(ft) == H5T_COMPOUND &&
        H5Tget_member_index(ft, field) >= 0 && dims[0] <= SIZE_MAX / sizeof *x &&
        (mt = H5Tcreate(H5T_COMPOUND, sizeof *x)) >= 0 &&
        H5Tinsert(mt, field, 0, H5T_NATIVE_DOUBLE) >= 0 &&
        (x = malloc(((size_t)dims[0] + 1) * sizeof *x)) != NULL) {
        /* HDF5 picks the member by name and converts it */
        if (dims[0] > 0 && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) < 0) {
            free(x);
            x = NULL;
        }
        *n = x ? (size_t)dims[0] : 0;
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (sp >= 0)
        H5Sclose(sp);
    if (d >= 0)
        H5Dclose(d);
    return x;
}

int flyt__h5_rd_fail(struct flyt__h5_rd *r, const char *fmt, ...)
{
    if (!r->failed++ && r->err && r->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(r->err, r->errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

hid_t flyt__h5_rd_open(struct flyt__h5_rd *r, const char *tail)
{
    FILE *probe = fopen(r->path, "rb");
    if (!probe)
        return flyt__h5_rd_fail(r, "cannot open '%s': no such file or not readable", r->path);
    fclose(probe);
    if (H5Fis_hdf5(r->path) <= 0)
        return flyt__h5_rd_fail(r, "'%s' is not a flyt output file (not HDF5)", r->path);
    hid_t file = H5Fopen(r->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0)
        return flyt__h5_rd_fail(r, "cannot open '%s' as HDF5", r->path);
    char fmt[64];
    if (H5Aexists(file, "format") <= 0 || !flyt__h5_attr_text(file, "format", fmt, sizeof fmt) ||
        strcmp(fmt, "flyt") != 0) {
        H5Fclose(file);
        return flyt__h5_rd_fail(r,
                                "'%s' is HDF5 but not a flyt output file (no root attribute "
                                "format = \"flyt\")%s",
                                r->path, tail);
    }
    return file;
}

char **flyt__h5_rd_strings(struct flyt__h5_rd *r, hid_t loc, const char *name, size_t *n)
{
    char **out = flyt__h5_strings(loc, name, n);
    if (!out)
        flyt__h5_rd_fail(r, "cannot read '%s' in '%s'", name, r->path);
    return out;
}

double *flyt__h5_rd_doubles(struct flyt__h5_rd *r, hid_t loc, const char *name, size_t *rows,
                            size_t *cols)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hsize_t dims[2] = { 0, 0 };
    hssize_t len = d < 0 ? -1 : flyt__h5_extent(d, dims);
    double *x = len >= 0 ? calloc((size_t)len + 1, sizeof *x) : NULL;
    bool ok = x && (cols || (size_t)len == dims[0]) &&
              (len == 0 || H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, x) >= 0);
    if (d >= 0)
        H5Dclose(d);
    if (!ok) {
        free(x);
        flyt__h5_rd_fail(r, "cannot read '%s' in '%s' as numbers", name, r->path);
        return NULL;
    }
    *rows = len == 0 ? 0 : (size_t)dims[0]; /* an [n x 0] dataset: no rows to read */
    if (cols)
        *cols = (size_t)dims[1];
    return x;
}
