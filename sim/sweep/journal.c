/*
 * The checkpoint journal next to a sweep's output: a header, then one
 * record per finished task, appended with a single write() so that a
 * process killed at any moment leaves every finished record intact (the
 * kernel has it) and at most a torn tail, which fails its checksum and is
 * cut off on resume. fdatasync every few seconds bounds what a machine
 * crash (not just a killed process) can lose.
 *
 * Layout, native byte order (a journal is resumed on the machine, or at
 * least the kind of machine, that wrote it):
 *   header  "FLYTJRN2", u64 hash, u64 n_tasks, u32 series, u32 n_kpi,
 *           u32 n_series, u32 n_unit_kpi, u32 n_units, u32 0,
 *           u64 checksum of the above
 *   record  u32 RECORD_MAGIC, u32 payload bytes, payload, u64 checksum
 *   payload u64 task, i32 status, u32 n_days, u64 model_events,
 *           u64 engine_events, char status_detail[128], f64 kpi[n_kpi],
 *           f64 unit_kpi[n_units][n_unit_kpi],
 *           then (series journals) f64 series[n_series][n_days]
 * Format 1 ("FLYTJRN1") had no unit KPIs: a task resumed from it would
 * lose them, so it is refused by name rather than read.
 */
#include "flyt/io.h"
#include "flyt/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAGIC "FLYTJRN2"
#define MAGIC_STEM   "FLYTJRN"
#define RECORD_MAGIC 0x52545946u /* "FYTR" */
#define SYNC_SECONDS 5.0
#define HEAD_FIELDS  (8 + 8 + 8 + 6 * 4)
#define HEADER_BYTES (HEAD_FIELDS + 8)
#define FIXED_BYTES  (8 + 4 + 4 + 8 + 8 + 128 + 8 * FLYT_N_KPI)
#define MAX_DAYS     (1u << 24)

struct flyt_journal {
    int fd;
    char *path;
    bool series;
    unsigned n_units;
    size_t unit_bytes; /* of a record's unit KPIs */
    double last_sync;
    unsigned char *buf;
    size_t cap;
};

static void header(unsigned char *h, uint64_t hash, size_t n_tasks, bool series, unsigned n_units)
{
    uint64_t nt = n_tasks;
    uint32_t f[6] = { series, FLYT_N_KPI, FLYT_N_SERIES, FLYT_N_UNIT_KPI, n_units, 0 };
    memcpy(h, HEADER_MAGIC, 8);
    memcpy(h + 8, &hash, 8);
    memcpy(h + 16, &nt, 8);
    memcpy(h + 24, f, sizeof f);
    uint64_t c = flyt_fnv1a(FLYT_FNV1A_INIT, h, HEAD_FIELDS);
    memcpy(h + HEAD_FIELDS, &c, 8);
}

static bool header_intact(const unsigned char *h)
{
    uint64_t c;
    memcpy(&c, h + HEAD_FIELDS, 8);
    return c == flyt_fnv1a(FLYT_FNV1A_INIT, h, HEAD_FIELDS);
}

static bool read_all(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

/* One record into res[task]; false at the torn or damaged tail. */
static bool read_record(FILE *f, struct flyt_journal *j, size_t n_tasks, struct flyt_result *res,
                        bool *done, size_t *n_loaded)
{
    uint32_t head[2];
    if (!read_all(f, head, sizeof head) || head[0] != RECORD_MAGIC ||
        head[1] < FIXED_BYTES + j->unit_bytes)
        return false;
    if (head[1] > j->cap) {
        unsigned char *b = realloc(j->buf, head[1]);
        if (!b)
            return false;
        j->buf = b;
        j->cap = head[1];
    }
    uint64_t sum, task, me, ee;
    int32_t status;
    uint32_t n_days;
    if (!read_all(f, j->buf, head[1]) || !read_all(f, &sum, 8) ||
        sum != flyt_fnv1a(FLYT_FNV1A_INIT, j->buf, head[1]))
        return false;
    const unsigned char *p = j->buf;
    memcpy(&task, p, 8);
    memcpy(&status, p + 8, 4);
    memcpy(&n_days, p + 12, 4);
    memcpy(&me, p + 16, 8);
    memcpy(&ee, p + 24, 8);
    size_t series_bytes = j->series ? (size_t)n_days * FLYT_N_SERIES * 8 : 0;
    /* the checksum passed; these catch a record written by a broken flyt */
    if (task >= n_tasks || n_days > MAX_DAYS || (!j->series && n_days != 0) ||
        head[1] != FIXED_BYTES + j->unit_bytes + series_bytes || !flyt_run_status_kept(status))
        return false;
    struct flyt_result *r = &res[task];
    flyt_result_free(r);
    memset(r, 0, sizeof *r);
    r->status = status;
    r->model_events = me;
    r->engine_events = ee;
    memcpy(r->status_detail, p + 32, 128);
    r->status_detail[127] = '\0';
    memcpy(r->kpi, p + 160, 8 * FLYT_N_KPI);
    r->n_units = j->n_units;
    if (j->unit_bytes) {
        if (!(r->unit_kpi = malloc(j->unit_bytes)))
            return false;
        memcpy(r->unit_kpi, p + FIXED_BYTES, j->unit_bytes);
    }
    const unsigned char *series_at = p + FIXED_BYTES + j->unit_bytes;
    r->n_days = n_days;
    for (int k = 0; j->series && n_days > 0 && k < FLYT_N_SERIES; k++) {
        r->series[k] = malloc((size_t)n_days * 8);
        if (!r->series[k])
            return false;
        memcpy(r->series[k], series_at + (size_t)k * n_days * 8, (size_t)n_days * 8);
    }
    if (!done[task])
        (*n_loaded)++;
    done[task] = true;
    return true;
}

/* Reads what is there; returns the offset after the last good record, or
 * -1 with a message (a journal of another sweep is not ours to cut). */
static long load(struct flyt_journal *j, uint64_t hash, size_t n_tasks, struct flyt_result *res,
                 bool *done, size_t *n_loaded, char *err, size_t errlen)
{
    FILE *f = fopen(j->path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", j->path, strerror(errno));
        return -1;
    }
    unsigned char want[HEADER_BYTES], got[HEADER_BYTES];
    header(want, hash, n_tasks, j->series, j->n_units);
    long good = 0;
    size_t n_got = fread(got, 1, sizeof got, f);
    /* checked before the length: a format-1 journal holding only its
     * header is shorter than a format-2 header */
    if (n_got >= 8 && memcmp(got, MAGIC_STEM, 7) == 0 && got[7] != HEADER_MAGIC[7]) {
        snprintf(err, errlen,
                 "'%s' was written by another flyt version (journal format %c; this flyt writes "
                 "format %c, which keeps every task's unit KPIs as well): it cannot be resumed "
                 "here; delete it to start afresh, or finish the run with the flyt that wrote it",
                 j->path, got[7] >= 0x20 && got[7] < 0x7f ? got[7] : '?', HEADER_MAGIC[7]);
        fclose(f);
        return -1;
    }
    if (n_got != sizeof got) {
        good = 0; /* killed before the header was written: start afresh */
    } else if (memcmp(want, got, sizeof got) != 0 && !header_intact(got)) {
        snprintf(err, errlen,
                 "'%s' is damaged (its header fails its checksum), so none of it is trusted: "
                 "delete it to start afresh",
                 j->path);
        fclose(f);
        return -1;
    } else if (memcmp(want, got, sizeof got) != 0) {
        uint32_t f_series;
        memcpy(&f_series, got + 24, 4);
        bool same_sweep = memcmp(want, got, 16) == 0;
        snprintf(err, errlen,
                 "'%s' is the journal of %s; delete it to start afresh, or run the command that "
                 "wrote it",
                 j->path,
                 !same_sweep ? "another sweep file (or another version of this one)"
                 : f_series != (uint32_t)j->series ? "a run with another --series setting"
                                                   : "another flyt version");
        fclose(f);
        return -1;
    } else {
        good = HEADER_BYTES;
        while (read_record(f, j, n_tasks, res, done, n_loaded))
            good = ftell(f);
        /* A kill mid-write tears less than one record; more than that
         * after the last good one is damage, and the planner should know. */
        long end = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : good;
        if (end - good >= 8L + FIXED_BYTES + (long)j->unit_bytes + 8)
            snprintf(err, errlen,
                     "'%s': a damaged record at byte %ld; it and the %ld bytes after it are "
                     "dropped, and their tasks run again",
                     j->path, good, end - good);
    }
    fclose(f);
    return good;
}

struct flyt_journal *flyt_journal_open(const char *path, uint64_t hash, size_t n_tasks, bool series,
                                       unsigned n_units, bool resume, struct flyt_result *res,
                                       bool *done, size_t *n_loaded, char *err, size_t errlen)
{
    struct flyt_journal *j = calloc(1, sizeof *j);
    size_t len = strlen(path) + 1;
    *n_loaded = 0;
    if (errlen)
        err[0] = '\0';
    if (!j || !(j->path = malloc(len))) {
        snprintf(err, errlen, "out of memory");
        free(j);
        return NULL;
    }
    memcpy(j->path, path, len);
    j->series = series;
    j->n_units = n_units;
    j->unit_bytes = (size_t)n_units * FLYT_N_UNIT_KPI * 8;
    j->fd = -1;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    if (exists && !resume) {
        snprintf(err, errlen,
                 "'%s' holds the finished tasks of an interrupted run: add --resume to go on "
                 "from there, or delete it to start afresh",
                 path);
        flyt_journal_close(j, false);
        return NULL;
    }
    long good = exists ? load(j, hash, n_tasks, res, done, n_loaded, err, errlen) : 0;
    if (good >= 0)
        j->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (good < 0 || j->fd < 0 || ftruncate(j->fd, good) != 0 || lseek(j->fd, good, SEEK_SET) < 0) {
        if (good >= 0)
            snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
        flyt_journal_close(j, false);
        return NULL;
    }
    if (good == 0) {
        unsigned char h[HEADER_BYTES];
        header(h, hash, n_tasks, series, n_units);
        if (flyt_write_all(j->fd, h, sizeof h) != 0 || fdatasync(j->fd) != 0) {
            snprintf(err, errlen, "cannot write '%s': %s", path, strerror(errno));
            flyt_journal_close(j, false);
            return NULL;
        }
    }
    j->last_sync = flyt_seconds();
    return j;
}

int flyt_journal_append(struct flyt_journal *j, size_t task, const struct flyt_result *r)
{
    /* a result of another network would be read back under the wrong ids */
    if (j->unit_bytes && (r->n_units != j->n_units || !r->unit_kpi)) {
        errno = EINVAL;
        return -1;
    }
    uint32_t n_days = j->series ? (uint32_t)r->n_days : 0;
    size_t payload = FIXED_BYTES + j->unit_bytes + (size_t)n_days * FLYT_N_SERIES * 8;
    size_t total = 8 + payload + 8;
    if (total > j->cap) {
        unsigned char *b = realloc(j->buf, total);
        if (!b) {
            errno = ENOMEM;
            return -1;
        }
        j->buf = b;
        j->cap = total;
    }
    unsigned char *p = j->buf + 8;
    uint32_t head[2] = { RECORD_MAGIC, (uint32_t)payload };
    uint64_t t = task, me = r->model_events, ee = r->engine_events;
    int32_t status = r->status;
    memcpy(j->buf, head, 8);
    memcpy(p, &t, 8);
    memcpy(p + 8, &status, 4);
    memcpy(p + 12, &n_days, 4);
    memcpy(p + 16, &me, 8);
    memcpy(p + 24, &ee, 8);
    memset(p + 32, 0, 128);
    snprintf((char *)p + 32, 128, "%s", r->status_detail);
    memcpy(p + 160, r->kpi, 8 * FLYT_N_KPI);
    if (j->unit_bytes)
        memcpy(p + FIXED_BYTES, r->unit_kpi, j->unit_bytes);
    for (int k = 0; k < FLYT_N_SERIES && n_days > 0; k++) {
        unsigned char *dst = p + FIXED_BYTES + j->unit_bytes + (size_t)k * n_days * 8;
        if (r->series[k])
            memcpy(dst, r->series[k], (size_t)n_days * 8);
        else
            memset(dst, 0, (size_t)n_days * 8);
    }
    uint64_t c = flyt_fnv1a(FLYT_FNV1A_INIT, p, payload);
    memcpy(p + payload, &c, 8);
    if (flyt_write_all(j->fd, j->buf, total) != 0)
        return -1;
    double t_now = flyt_seconds();
    if (t_now - j->last_sync >= SYNC_SECONDS) {
        j->last_sync = t_now;
        if (fdatasync(j->fd) != 0)
            return -1;
    }
    return 0;
}

int flyt_journal_close(struct flyt_journal *j, bool remove)
{
    if (!j)
        return 0;
    int rc = 0;
    if (j->fd >= 0 && (fdatasync(j->fd) != 0 || close(j->fd) != 0))
        rc = -1;
    if (remove && j->path && unlink(j->path) != 0)
        rc = -1;
    free(j->path);
    free(j->buf);
    free(j);
    return rc;
}
