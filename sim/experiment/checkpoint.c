/*
 * The checkpoint journal of flyt run and flyt compare, on the model of the
 * sweep journal (sim/sweep/journal.c): a header, then one record per
 * finished replication, each appended with a single write() so that a
 * process killed at any moment leaves every finished record intact and at
 * most a torn tail, which fails its checksum and is cut off on resume.
 *
 * Layout, native byte order (resumed on the kind of machine that wrote it):
 *   header  "FLYTCKP3", u64 hash, u32 n_scen, u32 n_rep, u32 n_kpi,
 *           u32 n_series, u32 n_role_kpi, u32 max_roles, u32 n_unit_kpi,
 *           u32 n_unit_series, u64 checksum
 *   record  u32 RECORD_MAGIC, u32 payload bytes, payload, u64 checksum
 *   payload u32 scen, u32 rep, i32 status, u32 n_days, u64 model_events,
 *           u64 engine_events, f64 wall_seconds, u32 n_roles,
 *           u32 series mask, char status_detail[128], f64 kpi[n_kpi],
 *           f64 role_kpi[max_roles][n_role_kpi], then f64 [n_days] for each
 *           series whose bit is set in the mask, then u32 n_units,
 *           u32 unit series (0/1), f64 unit_kpi[n_units][n_unit_kpi] and,
 *           with unit series, f64 [n_units][n_unit_series][n_days]; then
 *           a region's u32 n_munis, u32 n_sites, f64 muni_kpi[n_munis][n_kpi],
 *           f64 site_ukp_days[n_munis][n_sites] (both counts 0 without one)
 */
#include "flyt/checkpoint.h"
#include "flyt/io.h"
#include "flyt/scenario.h"
#include "flyt/version.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAGIC "FLYTCKP3"
#define RECORD_MAGIC 0x50435946u /* "FYCP" */
#define SYNC_SECONDS 5.0
#define HEAD_FIELDS  (8 + 8 + 8 * 4)
#define HEADER_BYTES (HEAD_FIELDS + 8)
#define OFF_DETAIL   48
#define OFF_KPI      (OFF_DETAIL + 128)
#define OFF_ROLES    (OFF_KPI + 8 * FLYT_N_KPI)
#define FIXED_BYTES  (OFF_ROLES + 8 * FLYT_MAX_ROLES_RESULT * FLYT_N_ROLE_KPI)
#define MAX_DAYS     (1u << 24)

struct flyt_checkpoint {
    int fd; /* -1 until the first append */
    char *path;
    uint64_t hash;
    unsigned n_scen, n_rep;
    long good; /* bytes of the file that hold good records */
    size_t count;
    double last_sync;
    unsigned char *buf;
    size_t cap;
};

/* The resolved text carries every --set, the seed and the replication
 * count; the version and commit guard against a model that changed
 * underneath (a rebuilt binary must not mix its results with the old). */
uint64_t flyt_checkpoint_hash(const struct flyt_scenario *const *s, size_t n, unsigned n_rep)
{
    uint64_t h = flyt_fnv1a(FLYT_FNV1A_INIT, FLYT_VERSION, sizeof FLYT_VERSION);
    h = flyt_fnv1a(h, FLYT_GIT_COMMIT, strlen(FLYT_GIT_COMMIT) + 1);
    h = flyt_fnv1a(h, &n_rep, sizeof n_rep);
    for (size_t i = 0; i < n; i++) {
        const char *t = s[i]->resolved_text ? s[i]->resolved_text : "";
        h = flyt_fnv1a(h, t, strlen(t) + 1);
        h = flyt_fnv1a(h, &s[i]->seed, sizeof s[i]->seed);
    }
    return h;
}

static void header(unsigned char *h, uint64_t hash, unsigned n_scen, unsigned n_rep)
{
    uint32_t f[8] = { n_scen,          n_rep,
                      FLYT_N_KPI,      FLYT_N_SERIES,
                      FLYT_N_ROLE_KPI, FLYT_MAX_ROLES_RESULT,
                      FLYT_N_UNIT_KPI, FLYT_N_UNIT_SERIES };
    memcpy(h, HEADER_MAGIC, 8);
    memcpy(h + 8, &hash, 8);
    memcpy(h + 16, f, sizeof f);
    uint64_t c = flyt_fnv1a(FLYT_FNV1A_INIT, h, HEAD_FIELDS);
    memcpy(h + HEAD_FIELDS, &c, 8);
}

static bool read_all(FILE *f, void *p, size_t n)
{
    return fread(p, 1, n, f) == n;
}

static bool reserve(struct flyt_checkpoint *c, size_t n)
{
    if (n <= c->cap)
        return true;
    unsigned char *b = realloc(c->buf, n);
    if (!b)
        return false;
    c->buf = b;
    c->cap = n;
    return true;
}

static size_t series_count(uint32_t mask)
{
    size_t n = 0;
    for (int k = 0; k < FLYT_N_SERIES; k++)
        n += (mask >> k) & 1u;
    return n;
}

static bool unpack_munis(const unsigned char *p, struct flyt_result *r)
{
    uint32_t m[2];
    memcpy(m, p, 8);
    r->n_munis = m[0];
    r->n_sites = m[1];
    size_t nk = (size_t)m[0] * FLYT_N_KPI, ns = (size_t)m[0] * m[1];
    if (nk && !(r->muni_kpi = malloc(nk * 8)))
        return false;
    if (nk)
        memcpy(r->muni_kpi, p + 8, nk * 8);
    if (ns && !(r->site_ukp_days = malloc(ns * 8)))
        return false;
    if (ns)
        memcpy(r->site_ukp_days, p + 8 + nk * 8, ns * 8);
    return true;
}

/* The unit part at p (its size checked by unit_bytes); false when out of memory. */
static bool unpack_units(const unsigned char *p, uint32_t n_days, struct flyt_result *r)
{
    uint32_t u[2];
    memcpy(u, p, 8);
    r->n_units = u[0];
    size_t nk = (size_t)u[0] * FLYT_N_UNIT_KPI, ns = (size_t)u[0] * FLYT_N_UNIT_SERIES * n_days;
    if (nk && !(r->unit_kpi = malloc(nk * 8)))
        return false;
    if (nk)
        memcpy(r->unit_kpi, p + 8, nk * 8);
    if (u[1] && ns && !(r->unit_series = malloc(ns * 8)))
        return false;
    if (u[1] && ns)
        memcpy(r->unit_series, p + 8 + nk * 8, ns * 8);
    return unpack_munis(p + 8 + nk * 8 + (u[1] ? ns * 8 : 0), r);
}

/* Bytes of the region part at p: exactly avail, or 0. */
static size_t muni_bytes(const unsigned char *p, size_t avail)
{
    uint32_t m[2];
    if (avail < 8)
        return 0;
    memcpy(m, p, 8);
    if (m[0] > FLYT_MAX_MUNIS || m[1] > FLYT_MAX_UNITS)
        return 0;
    size_t n = 8 + (size_t)m[0] * (FLYT_N_KPI + (size_t)m[1]) * 8;
    return n == avail ? n : 0;
}

/* Bytes of the unit and region parts at p, within avail; 0 when they do
 * not fill it exactly. */
static size_t unit_bytes(const unsigned char *p, size_t avail, uint32_t n_days)
{
    uint32_t u[2];
    if (avail < 8)
        return 0;
    memcpy(u, p, 8);
    if (u[0] > FLYT_MAX_UNITS || u[1] > 1)
        return 0;
    size_t n = 8 + (size_t)u[0] * FLYT_N_UNIT_KPI * 8 +
               (u[1] ? (size_t)u[0] * FLYT_N_UNIT_SERIES * n_days * 8 : 0);
    return n < avail && muni_bytes(p + n, avail - n) ? avail : 0;
}

/* Fills r from a checked payload p; false when out of memory. */
static bool unpack(const unsigned char *p, uint32_t n_days, uint32_t mask, struct flyt_result *r)
{
    uint32_t rep, n_roles;
    int32_t status;
    uint64_t me, ee;
    memcpy(&rep, p + 4, 4);
    memcpy(&status, p + 8, 4);
    memcpy(&me, p + 16, 8);
    memcpy(&ee, p + 24, 8);
    memcpy(&r->wall_seconds, p + 32, 8);
    memcpy(&n_roles, p + 40, 4);
    r->replication = rep;
    r->status = status;
    r->model_events = me;
    r->engine_events = ee;
    r->n_roles = n_roles;
    r->n_days = n_days;
    memcpy(r->status_detail, p + OFF_DETAIL, 128);
    r->status_detail[127] = '\0';
    memcpy(r->kpi, p + OFF_KPI, sizeof r->kpi);
    memcpy(r->role_kpi, p + OFF_ROLES, sizeof r->role_kpi);
    const unsigned char *s = p + FIXED_BYTES;
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        if (!((mask >> k) & 1u))
            continue;
        if (!(r->series[k] = malloc((size_t)n_days * 8)))
            return false;
        memcpy(r->series[k], s, (size_t)n_days * 8);
        s += (size_t)n_days * 8;
    }
    return unpack_units(s, n_days, r);
}

/* One record into res; false at the torn or damaged tail. */
static bool read_record(FILE *f, struct flyt_checkpoint *c, struct flyt_result *const *res,
                        bool *done)
{
    uint32_t head[2];
    if (!read_all(f, head, sizeof head) || head[0] != RECORD_MAGIC || head[1] < FIXED_BYTES ||
        !reserve(c, head[1]))
        return false;
    uint64_t sum;
    if (!read_all(f, c->buf, head[1]) || !read_all(f, &sum, 8) ||
        sum != flyt_fnv1a(FLYT_FNV1A_INIT, c->buf, head[1]))
        return false;
    uint32_t scen, rep, n_days, mask, n_roles;
    memcpy(&scen, c->buf, 4);
    memcpy(&rep, c->buf + 4, 4);
    memcpy(&n_days, c->buf + 12, 4);
    memcpy(&n_roles, c->buf + 40, 4);
    memcpy(&mask, c->buf + 44, 4);
    size_t global = FIXED_BYTES + series_count(mask) * n_days * 8;
    if (scen >= c->n_scen || rep >= c->n_rep || n_days > MAX_DAYS ||
        n_roles > FLYT_MAX_ROLES_RESULT || (mask >> FLYT_N_SERIES) != 0 || head[1] < global ||
        unit_bytes(c->buf + global, head[1] - global, n_days) == 0)
        return false;
    struct flyt_result *r = &res[scen][rep];
    flyt_result_free(r);
    memset(r, 0, sizeof *r);
    if (!unpack(c->buf, n_days, mask, r))
        return false;
    size_t i = (size_t)scen * c->n_rep + rep;
    if (!done[i])
        c->count++;
    done[i] = true;
    return true;
}

/* Reads what is there into res; sets c->good to the end of the last good
 * record, or returns -1 with a message (another run's journal is not ours
 * to cut). */
static int load(struct flyt_checkpoint *c, struct flyt_result *const *res, bool *done, char *err,
                size_t errlen)
{
    FILE *f = fopen(c->path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", c->path, strerror(errno));
        return -1;
    }
    unsigned char want[HEADER_BYTES], got[HEADER_BYTES];
    header(want, c->hash, c->n_scen, c->n_rep);
    c->good = 0;
    if (!read_all(f, got, sizeof got)) {
        c->good = 0; /* killed before the header was written: start afresh */
    } else if (memcmp(want, got, sizeof got) != 0) {
        snprintf(err, errlen,
                 "'%s' holds the replications of another run (other scenarios, --set values, "
                 "seed, replication count or flyt version); run the command that wrote it with "
                 "--resume, or delete it to start afresh",
                 c->path);
        fclose(f);
        return -1;
    } else {
        c->good = HEADER_BYTES;
        while (read_record(f, c, res, done))
            c->good = ftell(f);
    }
    fclose(f);
    return 0;
}

struct flyt_checkpoint *flyt_checkpoint_open(const char *path, uint64_t hash, unsigned n_scen,
                                             unsigned n_rep, bool resume,
                                             struct flyt_result *const *res, bool *done,
                                             size_t *n_loaded, char *err, size_t errlen)
{
    struct flyt_checkpoint *c = calloc(1, sizeof *c);
    size_t len = strlen(path) + 1;
    *n_loaded = 0;
    if (!c || !(c->path = malloc(len))) {
        snprintf(err, errlen, "out of memory");
        free(c);
        return NULL;
    }
    memcpy(c->path, path, len);
    c->fd = -1;
    c->hash = hash;
    c->n_scen = n_scen;
    c->n_rep = n_rep;
    struct stat st;
    if (stat(path, &st) == 0) {
        if (!S_ISREG(st.st_mode)) {
            snprintf(err, errlen, "'%s' is not a regular file; remove it or choose another output",
                     path);
            flyt_checkpoint_close(c, false);
            return NULL;
        }
        if (!resume) {
            snprintf(err, errlen,
                     "'%s' holds the finished replications of an interrupted run: add --resume "
                     "to go on from there, or delete it to start afresh",
                     path);
            flyt_checkpoint_close(c, false);
            return NULL;
        }
        if (load(c, res, done, err, errlen) != 0) {
            flyt_checkpoint_close(c, false);
            return NULL;
        }
    }
    *n_loaded = c->count;
    c->last_sync = flyt_seconds();
    return c;
}

/* The file is made (or its torn tail cut) only now, so that a run stopped
 * before any replication finished leaves no journal to trip the next run. */
static int begin_writing(struct flyt_checkpoint *c)
{
    c->fd = open(c->path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (c->fd < 0 || ftruncate(c->fd, c->good) != 0 || lseek(c->fd, c->good, SEEK_SET) < 0)
        return -1;
    if (c->good > 0)
        return 0;
    unsigned char h[HEADER_BYTES];
    header(h, c->hash, c->n_scen, c->n_rep);
    return flyt_write_all(c->fd, h, sizeof h);
}

static size_t pack(unsigned char *p, unsigned scen, unsigned rep, const struct flyt_result *r)
{
    uint32_t mask = 0, n_days = (uint32_t)r->n_days;
    for (int k = 0; k < FLYT_N_SERIES; k++)
        if (r->series[k] && n_days > 0)
            mask |= 1u << k;
    uint32_t u[2] = { scen, rep }, tail[2] = { r->n_roles, mask };
    int32_t status = r->status;
    uint64_t ev[2] = { r->model_events, r->engine_events };
    memcpy(p, u, 8);
    memcpy(p + 8, &status, 4);
    memcpy(p + 12, &n_days, 4);
    memcpy(p + 16, ev, 16);
    memcpy(p + 32, &r->wall_seconds, 8);
    memcpy(p + 40, tail, 8);
    memset(p + OFF_DETAIL, 0, 128);
    snprintf((char *)p + OFF_DETAIL, 128, "%s", r->status_detail);
    memcpy(p + OFF_KPI, r->kpi, sizeof r->kpi);
    memcpy(p + OFF_ROLES, r->role_kpi, sizeof r->role_kpi);
    unsigned char *s = p + FIXED_BYTES;
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        if (!((mask >> k) & 1u))
            continue;
        memcpy(s, r->series[k], (size_t)n_days * 8);
        s += (size_t)n_days * 8;
    }
    uint32_t units[2] = { r->unit_kpi ? r->n_units : 0, r->unit_kpi && r->unit_series && n_days };
    memcpy(s, units, 8);
    s += 8;
    size_t nk = (size_t)units[0] * FLYT_N_UNIT_KPI,
           ns = (size_t)units[0] * FLYT_N_UNIT_SERIES * n_days;
    if (nk)
        memcpy(s, r->unit_kpi, nk * 8);
    s += nk * 8;
    if (units[1])
        memcpy(s, r->unit_series, ns * 8);
    s += units[1] ? ns * 8 : 0;
    uint32_t munis[2] = { r->muni_kpi ? r->n_munis : 0,
                          r->muni_kpi && r->site_ukp_days ? r->n_sites : 0 };
    memcpy(s, munis, 8);
    s += 8;
    if (munis[0])
        memcpy(s, r->muni_kpi, (size_t)munis[0] * FLYT_N_KPI * 8);
    s += (size_t)munis[0] * FLYT_N_KPI * 8;
    if (munis[0] && munis[1])
        memcpy(s, r->site_ukp_days, (size_t)munis[0] * munis[1] * 8);
    s += (size_t)munis[0] * munis[1] * 8;
    return (size_t)(s - p);
}

int flyt_checkpoint_append(struct flyt_checkpoint *c, unsigned scen, unsigned rep,
                           const struct flyt_result *r)
{
    if (scen >= c->n_scen || rep >= c->n_rep || r->n_days > MAX_DAYS) {
        errno = EINVAL;
        return -1;
    }
    if (c->fd < 0 && begin_writing(c) != 0)
        return -1;
    size_t total = 8 + FIXED_BYTES + (size_t)FLYT_N_SERIES * r->n_days * 8 + 8 + 8 +
                   (size_t)r->n_units * (FLYT_N_UNIT_KPI + FLYT_N_UNIT_SERIES * r->n_days) * 8 + 8 +
                   (size_t)r->n_munis * (FLYT_N_KPI + r->n_sites) * 8;
    if (!reserve(c, total)) {
        errno = ENOMEM;
        return -1;
    }
    size_t payload = pack(c->buf + 8, scen, rep, r);
    uint32_t head[2] = { RECORD_MAGIC, (uint32_t)payload };
    memcpy(c->buf, head, 8);
    uint64_t sum = flyt_fnv1a(FLYT_FNV1A_INIT, c->buf + 8, payload);
    memcpy(c->buf + 8 + payload, &sum, 8);
    if (flyt_write_all(c->fd, c->buf, payload + 16) != 0)
        return -1;
    c->count++;
    double t = flyt_seconds();
    if (t - c->last_sync >= SYNC_SECONDS) {
        c->last_sync = t;
        if (fdatasync(c->fd) != 0)
            return -1;
    }
    return 0;
}

size_t flyt_checkpoint_count(const struct flyt_checkpoint *c)
{
    return c ? c->count : 0;
}

const char *flyt_checkpoint_path(const struct flyt_checkpoint *c)
{
    return c ? c->path : "";
}

int flyt_checkpoint_close(struct flyt_checkpoint *c, bool remove)
{
    if (!c)
        return 0;
    int rc = 0;
    /* a journal this process made without one good record (its first
     * append failed) holds nothing to resume and would only block the
     * next run */
    bool empty = c->fd >= 0 && c->count == 0;
    /* a journal about to go needs no sync: its run's output is durable */
    if (c->fd >= 0 && ((!remove && !empty && fdatasync(c->fd) != 0) || close(c->fd) != 0))
        rc = -1;
    if ((remove || empty) && unlink(c->path) != 0 && errno != ENOENT)
        rc = -1;
    free(c->path);
    free(c->buf);
    free(c);
    return rc;
}
