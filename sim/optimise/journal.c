/*
 * The journal of flyt optimise next to its output ("FILE.journal"): a
 * header, then one record per finished replication of a configuration,
 * appended with a single write() so that a process killed at any moment
 * leaves every finished record intact and at most a torn tail, which fails
 * its checksum and is cut off on resume. It follows the sweep's journal
 * (sim/sweep/journal.c) but keeps only the 1 + L figures the procedure
 * reads, keyed by the configuration's grid index: a local search does not
 * know in advance which configurations it will visit, and a grid index
 * names one whatever the visiting order.
 *
 * Layout, native byte order:
 *   header  "FLYTOPJ1", u64 hash, u32 width, u32 0, u64 checksum
 *   record  u32 RECORD_MAGIC, u32 replication, u64 grid index,
 *           f64 figures[width], u64 checksum of the above
 * The hash is of the spec's text and the base scenario as loaded, so a
 * journal of another spec (or of a changed scenario) is refused.
 */
#include "flyt/io.h"
#include "optimise/opt_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_MAGIC "FLYTOPJ1"
#define RECORD_MAGIC 0x524f5946u /* "FYOR" */
#define HEADER_BYTES 32
#define SYNC_SECONDS 5.0

struct record {
    uint64_t index;
    unsigned rep;
    const double *y;
};

struct opt_journal {
    int fd;
    unsigned width;
    size_t record_bytes;
    unsigned char *loaded; /* the good records read back, sorted by (index, rep) */
    size_t n_loaded;
    double last_sync;
};

static void header(unsigned char *h, uint64_t hash, unsigned width)
{
    uint32_t f[2] = { width, 0 };
    memcpy(h, HEADER_MAGIC, 8);
    memcpy(h + 8, &hash, 8);
    memcpy(h + 16, f, 8);
    uint64_t c = flyt_fnv1a(FLYT_FNV1A_INIT, h, 24);
    memcpy(h + 24, &c, 8);
}

static uint64_t key_of(const unsigned char *rec, unsigned *rep)
{
    uint32_t r;
    uint64_t index;
    memcpy(&r, rec + 4, 4);
    memcpy(&index, rec + 8, 8);
    *rep = r;
    return index;
}

static int cmp_records(const void *a, const void *b)
{
    unsigned ra, rb;
    uint64_t ia = key_of(a, &ra), ib = key_of(b, &rb);
    if (ia != ib)
        return ia < ib ? -1 : 1;
    return ra < rb ? -1 : ra > rb;
}

/* The identity of what the journal's records mean. */
static uint64_t spec_hash(const struct opt *o, char *err, size_t errlen)
{
    char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(o->spec, NULL, buf, sets);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(o->spec->scenario_path, sets, n, &d);
    flyt_diag_free(&d);
    if (!s) {
        snprintf(err, errlen, "the scenario does not load");
        return 0;
    }
    uint64_t h = flyt_fnv1a(FLYT_FNV1A_INIT, HEADER_MAGIC, 8);
    h = flyt_fnv1a(h, o->spec->text, strlen(o->spec->text) + 1);
    h = flyt_fnv1a(h, s->resolved_text, strlen(s->resolved_text) + 1);
    flyt_scenario_free(s);
    return h | 1; /* never 0, which says the scenario failed */
}

/* Reads the records of an existing journal; returns the offset after the
 * last good one, or -1 with a message. */
static long load(struct opt_journal *j, const char *path, uint64_t hash, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    unsigned char want[HEADER_BYTES], got[HEADER_BYTES];
    header(want, hash, j->width);
    size_t n_got = fread(got, 1, sizeof got, f);
    if (n_got < sizeof got) {
        fclose(f);
        return 0; /* killed before the header was written: start afresh */
    }
    if (memcmp(want, got, sizeof got) != 0) {
        uint64_t c;
        memcpy(&c, got + 24, 8);
        bool intact =
                memcmp(got, HEADER_MAGIC, 8) == 0 && c == flyt_fnv1a(FLYT_FNV1A_INIT, got, 24);
        snprintf(err, errlen,
                 intact ? "'%s' is the journal of another optimisation spec (or of this one "
                          "before it or its scenario changed): delete it to start afresh, or "
                          "resume with the spec that wrote it"
                        : "'%s' is not a flyt optimise journal, or its header is damaged: "
                          "delete it to start afresh",
                 path);
        fclose(f);
        return -1;
    }
    long good = HEADER_BYTES;
    size_t cap = 0;
    unsigned char *rec = malloc(j->record_bytes);
    while (rec && fread(rec, 1, j->record_bytes, f) == j->record_bytes) {
        uint32_t magic;
        uint64_t c;
        memcpy(&magic, rec, 4);
        memcpy(&c, rec + j->record_bytes - 8, 8);
        if (magic != RECORD_MAGIC || c != flyt_fnv1a(FLYT_FNV1A_INIT, rec, j->record_bytes - 8))
            break;
        if (j->n_loaded == cap) {
            cap = cap ? 2 * cap : 256;
            unsigned char *b = realloc(j->loaded, cap * j->record_bytes);
            if (!b)
                break;
            j->loaded = b;
        }
        memcpy(j->loaded + j->n_loaded++ * j->record_bytes, rec, j->record_bytes);
        good += (long)j->record_bytes;
    }
    free(rec);
    fclose(f);
    if (j->n_loaded)
        qsort(j->loaded, j->n_loaded, j->record_bytes, cmp_records);
    return good;
}

int opt_journal_open(struct opt *o, const char *path, bool resume)
{
    char err[sizeof o->rep->detail];
    struct opt_journal *j = calloc(1, sizeof *j);
    if (!j)
        return opt_fail(o, "out of memory");
    j->fd = -1;
    j->width = o->width;
    j->record_bytes = 16 + 8 * (size_t)o->width + 8;
    struct stat st;
    bool exists = stat(path, &st) == 0;
    long good = 0;
    uint64_t hash = spec_hash(o, err, sizeof err);
    if (!hash) {
        good = -1;
    } else if (exists && !resume) {
        snprintf(err, sizeof err,
                 "'%s' holds the finished replications of an interrupted run: add --resume to "
                 "go on from there, or delete it to start afresh",
                 path);
        good = -1;
    } else if (exists) {
        good = load(j, path, hash, err, sizeof err);
    }
    if (good >= 0) {
        j->fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (j->fd < 0 || ftruncate(j->fd, good) != 0 || lseek(j->fd, good, SEEK_SET) < 0) {
            snprintf(err, sizeof err, "cannot write '%s': %s", path, strerror(errno));
            good = -1;
        }
    }
    if (good == 0) {
        unsigned char h[HEADER_BYTES];
        header(h, hash, j->width);
        if (flyt_write_all(j->fd, h, sizeof h) != 0 || fdatasync(j->fd) != 0) {
            snprintf(err, sizeof err, "cannot write '%s': %s", path, strerror(errno));
            good = -1;
        }
    }
    if (good < 0) {
        opt_journal_close(j);
        snprintf(o->rep->detail, sizeof o->rep->detail, "%s", err);
        return -2;
    }
    j->last_sync = flyt_seconds();
    o->journal = j;
    return 0;
}

bool opt_journal_get(const struct opt_journal *j, uint64_t index, unsigned rep, double *y)
{
    if (!j->n_loaded)
        return false;
    unsigned char key[16] = { 0 };
    uint32_t r = rep;
    memcpy(key + 4, &r, 4);
    memcpy(key + 8, &index, 8);
    /* bsearch compares only the first 16 bytes, which hold the key */
    const unsigned char *hit = bsearch(key, j->loaded, j->n_loaded, j->record_bytes, cmp_records);
    if (!hit)
        return false;
    memcpy(y, hit + 16, 8 * (size_t)j->width);
    return true;
}

int opt_journal_append(struct opt_journal *j, uint64_t index, unsigned rep, const double *y)
{
    unsigned char rec[16 + 8 * (1 + FLYT_OPT_MAX_CONSTRAINTS) + 8];
    uint32_t head[2] = { RECORD_MAGIC, rep };
    memcpy(rec, head, 8);
    memcpy(rec + 8, &index, 8);
    memcpy(rec + 16, y, 8 * (size_t)j->width);
    uint64_t c = flyt_fnv1a(FLYT_FNV1A_INIT, rec, j->record_bytes - 8);
    memcpy(rec + j->record_bytes - 8, &c, 8);
    if (flyt_write_all(j->fd, rec, j->record_bytes) != 0)
        return -1;
    double now = flyt_seconds();
    if (now - j->last_sync >= SYNC_SECONDS) {
        j->last_sync = now;
        if (fdatasync(j->fd) != 0)
            return -1;
    }
    return 0;
}

size_t opt_journal_loaded(const struct opt_journal *j)
{
    return j ? j->n_loaded : 0;
}

int opt_journal_close(struct opt_journal *j)
{
    if (!j)
        return 0;
    int rc = 0;
    if (j->fd >= 0 && (fdatasync(j->fd) != 0 || close(j->fd) != 0))
        rc = -1;
    free(j->loaded);
    free(j);
    return rc;
}
