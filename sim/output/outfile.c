/*
 * Claims, temporary files and the atomic rename of every file flyt writes
 * (include/flyt/outfile.h). The claims live in a small static table of
 * fixed buffers so that a signal handler can remove what they left.
 */
#include "flyt/outfile.h"
#include "flyt/export.h"
#include "flyt/output.h"

#include <hdf5.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_CLAIMS   8
#define NAME_MAX_LEN 4096
#define LOCK_SUFFIX  ".lock"
#define TEMP_SUFFIX  ".partial.XXXXXX"

struct claim {
    int lock_fd;
    /* read by the signal handler: set only once the name below is whole */
    volatile sig_atomic_t used, has_lock, has_tmp;
    bool implicit;
    char path[NAME_MAX_LEN];
    char lock[NAME_MAX_LEN + sizeof LOCK_SUFFIX];
    char tmp[NAME_MAX_LEN + sizeof TEMP_SUFFIX];
};

static struct claim claims[MAX_CLAIMS];
static bool atexit_done;

static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));
static int fail(int rc, char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static struct claim *find(const char *path)
{
    for (int i = 0; i < MAX_CLAIMS; i++)
        if (claims[i].used && strcmp(claims[i].path, path) == 0)
            return &claims[i];
    return NULL;
}

static void release_all(void)
{
    for (int i = 0; i < MAX_CLAIMS; i++)
        if (claims[i].used)
            flyt_out_release(claims[i].path);
}

/* A variable- or fixed-length string attribute equal to want. */
static bool attr_is(hid_t a, const char *want)
{
    hid_t t = H5Aget_type(a), mt = -1;
    bool same = false;
    /* HDF5 converts no string between character sets: read it in its own */
    if (t >= 0 && H5Tget_class(t) == H5T_STRING && (mt = H5Tcopy(H5T_C_S1)) >= 0 &&
        H5Tset_cset(mt, H5Tget_cset(t)) >= 0) {
        if (H5Tis_variable_str(t) > 0) {
            char *s = NULL;
            if (H5Tset_size(mt, H5T_VARIABLE) >= 0 && H5Aread(a, mt, &s) >= 0 && s) {
                same = strcmp(s, want) == 0;
                H5free_memory(s);
            }
        } else {
            char buf[64] = "";
            size_t n = H5Tget_size(t);
            /* NUL-padded: a NUL-terminated type of n bytes would drop the
             * last character of a value n long (a sweep file's "flyt") */
            if (n > 0 && n < sizeof buf && H5Tset_size(mt, n) >= 0 &&
                H5Tset_strpad(mt, H5T_STR_NULLPAD) >= 0 && H5Aread(a, mt, buf) >= 0)
                same = strncmp(buf, want, n) == 0 && strlen(want) <= n;
        }
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (t >= 0)
        H5Tclose(t);
    return same;
}

/* Every handle opened here is closed here, on every path: one left open
 * would be closed by HDF5 at exit, long after anyone could report it. */
static bool is_flyt_h5(const char *path)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (H5Fis_hdf5(path) <= 0)
        return false;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        return false;
    bool ours = false;
    if (H5Aexists(f, "format") > 0) {
        hid_t a = H5Aopen(f, "format", H5P_DEFAULT);
        if (a >= 0) {
            ours = attr_is(a, FLYT_H5_FORMAT);
            H5Aclose(a);
        }
    }
    H5Fclose(f);
    return ours;
}

static bool starts_with_line(const char *path, const char *prefix)
{
    char buf[64] = "";
    size_t n = strlen(prefix);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return false;
    ssize_t got = read(fd, buf, n);
    close(fd);
    return got == (ssize_t)n && memcmp(buf, prefix, n) == 0;
}

static const char *ours_missing(const char *path, enum flyt_out_kind kind)
{
    switch (kind) {
    case FLYT_OUT_HDF5:
        return is_flyt_h5(path) ? NULL
                                : "not an HDF5 file with the root attribute format = \"flyt\"";
    case FLYT_OUT_FITTED:
        return starts_with_line(path, "# Fitted by flyt calibrate ") ||
                               starts_with_line(path, "# Fitted by flyt fit ")
                       ? NULL
                       : "its first line is not \"# Fitted by flyt calibrate ...\" or "
                         "\"# Fitted by flyt fit ...\"";
    case FLYT_OUT_CENSUS:
        return starts_with_line(path, "# census_date: ")
                       ? NULL
                       : "its first line is not \"# census_date: ...\" as flyt writes it";
    case FLYT_OUT_XLSX:
        return flyt__export_is_xlsx(path) ? NULL : "not a workbook written by flyt export";
    case FLYT_OUT_CSV:
        return flyt__export_is_csv(path) ? NULL
                                         : "its first line is not a flyt export table's header";
    case FLYT_OUT_ARRIVALS:
        return starts_with_line(path, "# Admissions per day from flyt fit ")
                       ? NULL
                       : "its first line is not \"# Admissions per day from flyt fit ...\"";
    case FLYT_OUT_TEXT:
        /* a converted scenario looks like any scenario: one a person
         * wrote cannot be told from one flyt wrote */
        return "a scenario or spec is never written over";
    }
    return "unknown kind";
}

/* What may stand at path: nothing, or a regular file flyt wrote that is not
 * one of the inputs. */
static int check_target(const char *path, enum flyt_out_kind kind, const char *const *inputs,
                        size_t n_inputs, char *err, size_t errlen)
{
    size_t len = strlen(path);
    struct stat st;
    if (path[len - 1] == '/' || (stat(path, &st) == 0 && S_ISDIR(st.st_mode)))
        return fail(FLYT_OUT_REFUSED, err, errlen,
                    "cannot write '%s': it is a folder; name a file, e.g. '%s%sflyt-out.h5'", path,
                    path, path[len - 1] == '/' ? "" : "/");
    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return fail(FLYT_OUT_FAILED, err, errlen, "cannot write '%s': %s", path, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return fail(FLYT_OUT_REFUSED, err, errlen,
                    "cannot write '%s': it is a device, FIFO or socket, not a regular file; "
                    "flyt writes only regular files: choose another name",
                    path);
    for (size_t i = 0; i < n_inputs; i++) {
        struct stat in;
        if (inputs[i] && stat(inputs[i], &in) == 0 && in.st_dev == st.st_dev &&
            in.st_ino == st.st_ino)
            return fail(FLYT_OUT_REFUSED, err, errlen,
                        "cannot write '%s': it is the input '%s' (the same file); writing it "
                        "would destroy the input: choose another output name",
                        path, inputs[i]);
    }
    const char *why = ours_missing(path, kind);
    if (why)
        return fail(FLYT_OUT_REFUSED, err, errlen,
                    "cannot write '%s': the file exists and is not a flyt output (%s); flyt "
                    "replaces only files it wrote: remove it or choose another name",
                    path, why);
    return 0;
}

static int check_folder(const char *path, char *err, size_t errlen)
{
    char dir[NAME_MAX_LEN];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
        return fail(FLYT_OUT_FAILED, err, errlen,
                    "cannot write '%s': directory '%s' is missing or not writable (%s); create "
                    "it or choose another output name",
                    path, dir, stat(dir, &st) != 0 ? strerror(errno) : "not a folder");
    if (access(dir, W_OK | X_OK) != 0)
        return fail(FLYT_OUT_FAILED, err, errlen,
                    "cannot write '%s': directory '%s' is missing or not writable (%s)", path, dir,
                    strerror(errno));
    return 0;
}

/* flock on "<path>.lock"; the lock file is removed on release, so a lock
 * taken on a file another flyt has just unlinked is dropped and retried. */
static int take_lock(struct claim *c, char *err, size_t errlen)
{
    for (int attempt = 0; attempt < 16; attempt++) {
        int fd = open(c->lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0)
            return fail(FLYT_OUT_FAILED, err, errlen, "cannot write '%s': cannot create '%s': %s",
                        c->path, c->lock, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            int e = errno;
            close(fd);
            if (e == EWOULDBLOCK)
                return fail(FLYT_OUT_FAILED, err, errlen,
                            "cannot write '%s': another flyt is writing it (it holds '%s'); "
                            "wait for it to finish or choose another output name",
                            c->path, c->lock);
            return fail(FLYT_OUT_FAILED, err, errlen, "cannot write '%s': cannot lock '%s': %s",
                        c->path, c->lock, strerror(e));
        }
        struct stat held, now;
        if (fstat(fd, &held) == 0 && stat(c->lock, &now) == 0 && held.st_dev == now.st_dev &&
            held.st_ino == now.st_ino) {
            c->lock_fd = fd;
            return 0;
        }
        close(fd);
    }
    return fail(FLYT_OUT_FAILED, err, errlen,
                "cannot write '%s': another flyt is writing it ('%s' keeps changing)", c->path,
                c->lock);
}

int flyt_out_claim(const char *path, enum flyt_out_kind kind, const char *const *inputs,
                   size_t n_inputs, char *err, size_t errlen)
{
    if (!path || !*path)
        return fail(FLYT_OUT_REFUSED, err, errlen,
                    "the output file name is empty; name a file, e.g. -o flyt-out.h5");
    if (strlen(path) >= NAME_MAX_LEN)
        return fail(FLYT_OUT_REFUSED, err, errlen, "the output file name is too long");
    if (find(path))
        return 0;
    struct claim *c = NULL;
    for (int i = 0; i < MAX_CLAIMS && !c; i++)
        if (!claims[i].used)
            c = &claims[i];
    if (!c)
        return fail(FLYT_OUT_FAILED, err, errlen, "cannot write '%s': too many outputs", path);
    int rc = check_target(path, kind, inputs, n_inputs, err, errlen);
    if (rc == 0)
        rc = check_folder(path, err, errlen);
    if (rc != 0)
        return rc;
    snprintf(c->path, sizeof c->path, "%s", path);
    snprintf(c->lock, sizeof c->lock, "%s" LOCK_SUFFIX, path);
    c->implicit = false;
    c->has_tmp = 0;
    if ((rc = take_lock(c, err, errlen)) != 0)
        return rc;
    c->has_lock = 1;
    c->used = 1;
    if (!atexit_done)
        atexit_done = atexit(release_all) == 0;
    return 0;
}

int flyt_out_temp(const char *path, enum flyt_out_kind kind, const char **tmp, char *err,
                  size_t errlen)
{
    struct claim *c = find(path);
    if (!c) {
        if (flyt_out_claim(path, kind, NULL, 0, err, errlen) != 0)
            return -1;
        c = find(path);
        c->implicit = true;
    }
    if (c->has_tmp) {
        c->has_tmp = 0;
        unlink(c->tmp);
    }
    snprintf(c->tmp, sizeof c->tmp, "%s" TEMP_SUFFIX, path);
    /* mkstemp is POSIX (mkostemp would need _GNU_SOURCE); close-on-exec
     * set at once, as nothing is started in between */
    int fd = mkstemp(c->tmp);
    if (fd >= 0)
        (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (c->implicit)
            flyt_out_release(path);
        return fail(-1, err, errlen, "cannot create '%s" TEMP_SUFFIX "': %s", path, strerror(e));
    }
    c->has_tmp = 1;
    /* mkstemp makes it 0600; the output is as readable as any other file */
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask);
    *tmp = c->tmp;
    return fd;
}

int flyt_out_commit(const char *path, char *err, size_t errlen)
{
    struct claim *c = find(path);
    if (!c || !c->has_tmp)
        return fail(-1, err, errlen, "cannot write '%s': no temporary file", path);
    struct stat st;
    int rc = 0;
    /* what was checked at the claim may have changed during a long run */
    if (stat(path, &st) == 0 && !S_ISREG(st.st_mode))
        rc = fail(-1, err, errlen,
                  "cannot write '%s': it is no longer a regular file; nothing written", path);
    else if (rename(c->tmp, path) != 0)
        rc = fail(-1, err, errlen, "cannot rename '%s' to '%s': %s", c->tmp, path, strerror(errno));
    else
        c->has_tmp = 0;
    flyt_out_release(path);
    return rc;
}

int flyt_out_write_temp(const char *path, enum flyt_out_kind kind, flyt_out_body body,
                        const void *arg, const char **tmp, char *err, size_t errlen)
{
    const char *t = NULL;
    int fd = flyt_out_temp(path, kind, &t, err, errlen);
    if (tmp)
        *tmp = t;
    if (fd < 0)
        return -1;
    FILE *f = fdopen(fd, "w");
    if (!f) {
        fail(-1, err, errlen, "cannot write '%s': %s", t, strerror(errno));
        close(fd);
        flyt_out_discard(path);
        return -1;
    }
    errno = 0;
    bool ok = body(f, arg) == 0 && !ferror(f) && fflush(f) == 0 && fsync(fileno(f)) == 0;
    int e = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        fail(-1, err, errlen, "cannot write '%s': %s", t, e ? strerror(e) : "write failed");
        flyt_out_discard(path);
        return -1;
    }
    return 0;
}

int flyt_out_write(const char *path, enum flyt_out_kind kind, flyt_out_body body, const void *arg,
                   char *err, size_t errlen)
{
    if (flyt_out_write_temp(path, kind, body, arg, NULL, err, errlen) != 0)
        return -1;
    return flyt_out_commit(path, err, errlen);
}

void flyt_out_discard(const char *path)
{
    struct claim *c = find(path);
    if (!c || !c->has_tmp)
        return;
    c->has_tmp = 0;
    unlink(c->tmp);
    if (c->implicit)
        flyt_out_release(path);
}

void flyt_out_release(const char *path)
{
    struct claim *c = find(path);
    if (!c)
        return;
    if (c->has_tmp)
        unlink(c->tmp);
    c->has_tmp = 0;
    if (c->has_lock) {
        /* unlinked while still held: see take_lock */
        unlink(c->lock);
        close(c->lock_fd);
    }
    c->has_lock = 0;
    c->used = 0;
}

void flyt_out_signal_cleanup(void)
{
    for (int i = 0; i < MAX_CLAIMS; i++) {
        if (!claims[i].used)
            continue;
        if (claims[i].has_tmp)
            unlink(claims[i].tmp);
        if (claims[i].has_lock)
            unlink(claims[i].lock);
    }
}
