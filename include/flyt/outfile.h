/*
 * Output files: never lost, never written over the wrong thing.
 *
 * A command claims each output before it does any work (flyt_out_claim).
 * The claim checks the target: a name is given; it is not a folder, device,
 * FIFO or socket; it is none of the command's inputs (compared by device
 * and inode, so ./a.cfg, a.cfg and a hard link are the same file); and when
 * it exists, it is a file flyt wrote (an HDF5 file with the root attribute
 * format = "flyt", or a text file with flyt's first line). Then it locks
 * "<target>.lock" (flock), so a second flyt writing the same target is
 * refused before it runs, and the one that reports success is the one
 * whose data is in the file.
 *
 * Writers make a unique temporary file "<target>.partial.XXXXXX" in the
 * same folder (flyt_out_temp), write and fsync it, and rename it over the
 * target (flyt_out_commit), or remove it (flyt_out_discard). A writer given
 * a target nobody claimed claims it itself, without inputs, and releases it
 * when done. Claims still held at exit are released by an atexit handler;
 * flyt_out_signal_cleanup removes the temporary and lock files from a
 * signal handler. Not thread-safe: claim and write from one thread.
 */
#ifndef FLYT_OUTFILE_H
#define FLYT_OUTFILE_H

#include <stddef.h>
#include <stdio.h>

enum flyt_out_kind {
    FLYT_OUT_HDF5,     /* ours: root attribute format = "flyt" */
    FLYT_OUT_FITTED,   /* ours: first line "# Fitted by flyt calibrate " or "... fit " */
    FLYT_OUT_CENSUS,   /* ours: first line "# census_date: " */
    FLYT_OUT_XLSX,     /* ours: flyt export's workbook (flyt/export.h) */
    FLYT_OUT_CSV,      /* ours: first line a flyt export table's header */
    FLYT_OUT_TEXT,     /* never ours: an existing file is refused (flyt upgrade) */
    FLYT_OUT_ARRIVALS, /* ours: first line "# Admissions per day from flyt fit " */
};

/* flyt_out_claim's failures: the target is wrong (exit 2), or it cannot be
 * written now (exit 1: missing or read-only folder, another flyt). */
enum { FLYT_OUT_REFUSED = -2, FLYT_OUT_FAILED = -1 };

/* Claims path for writing (see above). inputs[0..n_inputs) are the files
 * the command reads (NULL entries are skipped). Returns 0, or
 * FLYT_OUT_REFUSED / FLYT_OUT_FAILED with a message in err that names the
 * target and says what to do. Claiming a path twice is a no-op. */
int flyt_out_claim(const char *path, enum flyt_out_kind kind, const char *const *inputs,
                   size_t n_inputs, char *err, size_t errlen);

/* Creates the temporary file for path (claiming path first when nobody
 * has) and returns an open descriptor, its name in *tmp (valid until
 * commit or discard); or -1 with a message in err. */
int flyt_out_temp(const char *path, enum flyt_out_kind kind, const char **tmp, char *err,
                  size_t errlen);

/* Renames the temporary file (written and fsynced by the caller) over
 * path. On failure the temporary file is removed and path left as it was.
 * Returns 0 or -1 with a message in err. */
int flyt_out_commit(const char *path, char *err, size_t errlen);

/* A text output in one go: the temporary file of path, written through a
 * stream by body (0, or -1 when it failed; the stream's own errors count
 * too), flushed and fsynced. flyt_out_write then renames it over path;
 * flyt_out_write_temp leaves that to the caller (flyt_out_commit), who
 * gets its name in *tmp when tmp is not NULL. On failure the temporary
 * file is removed, path is left as it was, and err names the temporary
 * file and why. Returns 0 or -1. */
typedef int (*flyt_out_body)(FILE *out, const void *arg);
int flyt_out_write(const char *path, enum flyt_out_kind kind, flyt_out_body body, const void *arg,
                   char *err, size_t errlen);
int flyt_out_write_temp(const char *path, enum flyt_out_kind kind, flyt_out_body body,
                        const void *arg, const char **tmp, char *err, size_t errlen);

/* Removes the temporary file of path, if any; path is left as it was. */
void flyt_out_discard(const char *path);

/* Removes any temporary file of path and drops the lock. */
void flyt_out_release(const char *path);

/* A scenario file derived from s (calibrate's fitted one, optimise's
 * chosen one), written as kind through the calls above: "# <what>
 * <spec_path> on <UTC time>.", the command line, the scenario with its
 * fixed changes (sets), then body's lines, then a note that the tree
 * below, with the <values>, is libconfig's layout, and s's resolved text.
 * Returns 0, or -1 with a message in err (path left as it was). */
struct flyt_scenario;
struct flyt_derived_file {
    const char *what; /* "Fitted by flyt calibrate" */
    const char *spec_path, *command_line, *scenario_path;
    const char *const *sets;
    int n_sets;
    const char *values; /* "fitted values" */
    void (*body)(FILE *out, const void *ctx);
    const void *ctx;
    /* NULL: s's resolved text in libconfig's layout; otherwise this text,
     * the original's own with the values edited in place (flyt fit) */
    const char *text;
};
int flyt_out_write_derived(const char *path, enum flyt_out_kind kind, const struct flyt_scenario *s,
                           const struct flyt_derived_file *d, char *err, size_t errlen);
/* text on one comment line: line breaks become spaces */
void flyt_out_comment(FILE *out, const char *text);

/* Async-signal-safe: removes every temporary and lock file still held. */
void flyt_out_signal_cleanup(void);

#endif
