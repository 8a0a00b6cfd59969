/*
 * Internal to the output module: the pieces every flyt HDF5 writer shares.
 *
 * Every helper records the first failure in the context (later failures
 * are its consequences) and returns -1 (or an invalid id); callers chain
 * them with || and stop at the first. Files are built in memory and written
 * atomically by flyt__h5_write_file.
 */
#ifndef FLYT_OUTPUT_H5_COMMON_H
#define FLYT_OUTPUT_H5_COMMON_H

#include "flyt/output.h"

#include <hdf5.h>

#include <stdbool.h>
#include <stddef.h>

struct flyt__h5 {
    const char *file_name; /* the .partial path, for messages */
    hid_t str;             /* variable-length UTF-8 string type */
    hid_t dxpl;            /* transfer properties of every write; 0 is H5P_DEFAULT */
    /* Made once per file, as HDF5 spends about as much on making a property
     * list or dataspace as on a small dataset's data (0: none, made per use). */
    hid_t compact;     /* creation properties of a compact dataset */
    hid_t compact_nan; /* the same, filled with NaN */
    hid_t scalar;      /* the dataspace of a single-value attribute */
    hid_t gcpl;        /* creation properties of a group */
    /* While set, string attributes and string datasets written as c->str
     * are stored at a fixed length (the longest value's) instead: a reader
     * then never follows a global-heap address, which HDF5 1.10 trusts and
     * crashes on when it is forged (what flyt merge reads of a sweep file,
     * which it takes from elsewhere). */
    bool fixed_str;
    int format_version; /* the root attribute; 0: FLYT_H5_FORMAT_VERSION */
    char *err;
    size_t errlen;
    int failed;
};

int flyt__h5_set_err(struct flyt__h5 *c, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));

/* Records a failure to write `name` under the object loc; returns -1. */
int flyt__h5_fail(struct flyt__h5 *c, hid_t loc, const char *name);

int flyt__h5_attr_write(struct flyt__h5 *c, hid_t obj, const char *name, hid_t ftype, hid_t mtype,
                        const void *value);
int flyt__h5_attr_str(struct flyt__h5 *c, hid_t obj, const char *name, const char *value);
/* A 1-D attribute of n strings. */
int flyt__h5_attr_strs(struct flyt__h5 *c, hid_t obj, const char *name, const char *const *v,
                       size_t n);
int flyt__h5_attr_double(struct flyt__h5 *c, hid_t obj, const char *name, double v);
int flyt__h5_units_desc(struct flyt__h5 *c, hid_t obj, const char *units, const char *desc);

/* Creates a dataset with its units and description; returns it or -1. */
hid_t flyt__h5_dset_create(struct flyt__h5 *c, hid_t loc, const char *name, hid_t ftype, int rank,
                           const hsize_t *dims, hid_t dcpl, const char *units, const char *desc);

/* A 1-D dataset of n elements from data (mtype in memory, ftype on disk). */
/* The statistics of a summary table's row, FLYT__H5_STAT_COLUMNS, for each
 * of n KPIs: st[0..n) (NULL: a unit or municipality the summary lacks,
 * NaN with n 0); an interval with an infinite end is NaN at both. */
#define FLYT__H5_STAT_COLUMNS "mean,sd,ci95_low,ci95_high,n"
enum { FLYT__H5_N_STAT = 5 };
void flyt__h5_stat_row(const struct flyt_stat *st, int n, double *out);

int flyt__h5_write_1d(struct flyt__h5 *c, hid_t loc, const char *name, hid_t ftype, hid_t mtype,
                      size_t n, const void *data, const char *units, const char *desc);

hid_t flyt__h5_group_create(struct flyt__h5 *c, hid_t loc, const char *name);

/* Closes g; returns rc, or -1 when rc was 0 and the close failed. */
int flyt__h5_close_group(struct flyt__h5 *c, hid_t g, int rc);

/* Dataset creation properties without the four times HDF5 otherwise stamps
 * on every object: same run, same bytes, and less to write. -1 on failure. */
hid_t flyt__h5_dcpl_new(void);

/* Whether a dataset of `bytes` bytes is stored compact: its values in its
 * object header, without chunks or filters. Such small data gain nothing
 * from deflate, and the chunk index and filter pipeline cost more than the
 * rest of the dataset (docs/performance.md). */
bool flyt__h5_is_compact(size_t bytes);

/* Creation properties for a double matrix [rows x cols] written a row at a
 * time: NaN fill, chunks of one row (at most 65536 columns), shuffled and
 * deflated; compact when small (flyt__h5_is_compact). Close it with
 * flyt__h5_dcpl_close. Returns -1 on failure. */
hid_t flyt__h5_dcpl_rows(struct flyt__h5 *c, size_t rows, size_t cols);

/* Writes row i (len doubles) of the 2-D dataset d. */
int flyt__h5_write_row(struct flyt__h5 *c, hid_t d, size_t i, const double *row, size_t len);

/* Rows per chunk of a double matrix [rows x cols] written a block of whole
 * rows at a time: as many as fit in about 256 KiB, at least one, at most
 * rows; so a small matrix is one chunk, deflated once. */
size_t flyt__h5_block_rows(size_t rows, size_t cols);

/* As flyt__h5_dcpl_rows, with chunks of block_rows rows. */
hid_t flyt__h5_dcpl_blocks(struct flyt__h5 *c, size_t rows, size_t cols, size_t block_rows);

/* Creation properties for a double table of the given rank and dims, chunks
 * of `chunk`: compact when small, else NaN fill, shuffled and deflated. */
hid_t flyt__h5_dcpl_chunks(struct flyt__h5 *c, int rank, const hsize_t *dims, const hsize_t *chunk);

/* Creation properties of a compact dataset, of doubles filled with NaN
 * when nan_fill. */
hid_t flyt__h5_dcpl_compact(struct flyt__h5 *c, bool nan_fill);

/* Releases properties from flyt__h5_dcpl_rows/_blocks/_compact (the context's own
 * are kept); returns 0 or -1. */
int flyt__h5_dcpl_close(struct flyt__h5 *c, hid_t dcpl);

/* Writes rows i .. i + n - 1 of the dataset d (any rank; a row is all of
 * its other dimensions, cols values) from x (n x cols doubles, row-major). */
int flyt__h5_write_rows(struct flyt__h5 *c, hid_t d, size_t i, size_t n, size_t cols,
                        const double *x);

/* Columns of the widest chunk of a 2-D double matrix; wider rows are split. */
size_t flyt__h5_max_chunk_cols(void);

/* Transfer properties for writes: a 64 KiB type-conversion buffer (the
 * default, 1 MiB, is allocated and cleared for every write that converts,
 * such as each string dataset). Returns -1 on failure. */
hid_t flyt__h5_dxpl(void);

/* Root provenance: format, versions, creation time, command line, host. */
int flyt__h5_provenance(struct flyt__h5 *c, hid_t root, const struct flyt_run_meta *meta);

/* A run's attributes on obj: the scenario (name, description, source, text,
 * resolved text), seed, replications, horizon, warm-up, start date, threads
 * and wall time. */
int flyt__h5_run_attrs(struct flyt__h5 *c, hid_t obj, const struct flyt_scenario *s,
                       const struct flyt_run_meta *meta);

/* What a run file holds for one scenario, under loc: the scenario and run
 * attributes, /replications, /summary and /series. */
int flyt__h5_write_run_body(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                            const struct flyt_result *res, size_t n_res,
                            const struct flyt_summary *sum, const struct flyt_run_meta *meta);

/* /roles/<name>/ for each coordinator role (nothing without roles). */
int flyt__h5_write_roles(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum);

/* A table [rows x unit x inner] filled a row's slab [unit x inner] at a
 * time (h5_units.c); keep: the dataset stays open there, for attributes. */
typedef void (*flyt__h5_slab_fn)(const void *ctx, size_t i, double *out);
struct flyt__h5_table {
    const char *name, *units, *desc, *dimensions;
    size_t rows, n_units, inner;
    flyt__h5_slab_fn fill;
};
int flyt__h5_write_table(struct flyt__h5 *c, hid_t g, const struct flyt__h5_table *t,
                         const void *ctx, hid_t *keep);

/* /municipalities: a region's ids, names and tables (h5_munis.c); nothing
 * for a file without municipalities. */
int flyt__h5_write_munis(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum);

/* /units: the ids in order and the network's tables (h5_units.c). */
int flyt__h5_write_units(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum);

/* Builds a file with fill(c, file, arg), writes it to "<path>.partial",
 * fsyncs and renames it to path. On failure the partial file goes and an
 * existing path is left untouched. Returns 0, or -1 with a message in err. */
typedef int (*flyt__h5_fill_fn)(struct flyt__h5 *c, hid_t file, const void *arg);
int flyt__h5_write_file(const char *path, flyt__h5_fill_fn fill, const void *arg, char *err,
                        size_t errlen);
/* The same, with the SHA-256 seal of h5_seal.h appended to the image before
 * it is written (sweep and shard files). */
int flyt__h5_write_file_sealed(const char *path, flyt__h5_fill_fn fill, const void *arg, char *err,
                               size_t errlen);

/* A variable-length UTF-8 string type (the caller closes it), or -1. */
hid_t flyt__h5_utf8_type(void);
/* A fixed-length UTF-8 string type of len bytes (at least 1), padded with
 * NULs (the caller closes it), or -1. */
hid_t flyt__h5_utf8_fixed_type(size_t len);
/* For a reader: a memory type for the fixed-length string type t, one byte
 * longer and NUL-terminated, so every value read is a C string; -1 when t
 * is not a fixed-length string type. */
hid_t flyt__h5_fixed_read_type(hid_t t);

/* ---- readers (h5_read.c): shared by h5_report.c and export_read.c ---- */

/* Whether loc has a link of that name. */
bool flyt__h5_has(hid_t loc, const char *name);
/* A dataset's element count (rank 0 to 2), its dims in dims[0..1] (1 for a
 * missing dimension); -1 when it has more dimensions or cannot be read. */
hssize_t flyt__h5_extent(hid_t d, hsize_t dims[2]);
/* An attribute as text (numbers printed exactly: %llu, %lld, %.17g) in
 * buf; NULL when absent or unreadable. */
const char *flyt__h5_attr_text(hid_t obj, const char *name, char *buf, size_t len);
/* Frees n strings and the array (NULL is a no-op). */
void flyt__h5_free_strings(char **s, size_t n);
/* A string dataset, each string copied (n + 1 entries, the last NULL;
 * free with flyt__h5_free_strings); NULL when absent or unreadable. */
char **flyt__h5_strings(hid_t loc, const char *name, size_t *n);

/* A numeric dataset of exactly `rank` dimensions (its extent in dims),
 * converted to double (malloc'd; at least one element allocated). NULL when
 * it is missing, of another rank, too large, or unreadable. */
double *flyt__h5_read_table(hid_t loc, const char *name, int rank, hsize_t *dims);

/* The numeric field `field` of the 1-D compound dataset `name` (a table of
 * rows, as /replications), converted to double: *n values (malloc'd, at
 * least one element allocated). NULL when either is missing or unreadable. */
double *flyt__h5_read_field(hid_t loc, const char *name, const char *field, size_t *n);
/* A string-array attribute, each string copied (free with
 * flyt__h5_free_strings); NULL when absent or unreadable. */
char **flyt__h5_attr_strings(hid_t obj, const char *name, size_t *n);

/* A reader of one file (flyt report, flyt export, the fit file's reader):
 * the first failure's message in err, naming the file; later ones are its
 * consequences and only counted. */
struct flyt__h5_rd {
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};
/* Returns -1. */
int flyt__h5_rd_fail(struct flyt__h5_rd *r, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
/* Opens r->path read-only when it is a file flyt wrote (HDF5 with the root
 * attribute format = "flyt"): the file, or -1 and a message that says which
 * of those it is not (`tail` appended to the last, "" for none). */
hid_t flyt__h5_rd_open(struct flyt__h5_rd *r, const char *tail);
/* A string dataset as malloc'd copies (flyt__h5_strings); NULL, and a
 * message, on failure. */
char **flyt__h5_rd_strings(struct flyt__h5_rd *r, hid_t loc, const char *name, size_t *n);
/* Any numeric dataset, 1-D or 2-D, converted to double (malloc'd): rows x
 * cols. With cols NULL a 2-D dataset must hold one value per row. NULL, and
 * a message, on failure. */
double *flyt__h5_rd_doubles(struct flyt__h5_rd *r, hid_t loc, const char *name, size_t *rows,
                            size_t *cols);

#endif
