/*
 * The patient and event logs (flyt run --patients / --events), streamed
 * into the run file on disk while the replications run.
 *
 * Each replication assembles its rows on its own thread: patient episodes
 * from the trace events (an open episode per pool slot, so the memory is
 * the most patients present at once, not the horizon), event rows as they
 * come. Rows go out in blocks. Only the replication whose turn it is (the
 * lowest not yet written) appends to the HDF5 datasets; the others park
 * their blocks in an anonymous temporary file, copied in when their turn
 * comes. So rows are in replication order and the file is the same for
 * any thread count. Every HDF5 call happens under one lock: the library is
 * not built thread-safe.
 */
#include "flyt/log.h"
#include "flyt/outfile.h"
#include "flyt/trace.h"
#include "output/h5/h5_common.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BLOCK     4096 /* rows per append and per chunk */
#define NO_DEATH  0xFF
#define DEST_NONE 0xFFFF
#define NO_UNIT   0xFFFF

enum { ORIGIN_ARRIVAL, ORIGIN_READMISSION, ORIGIN_INITIAL };

struct prow {
    double t_hospital, t_ready, t_decision, t_ukp_end, t_unit, t_unit_end, t_next, t_exit;
    uint64_t patient;
    uint32_t replication, episode;
    uint16_t destination, unit, next_unit;
    uint8_t origin, age_band, cfs, complex, group, exit_reason;
};

struct erow {
    double t;
    uint64_t patient;
    uint32_t replication, episode;
    uint16_t detail;
    uint8_t event;
};

struct open_ep {
    struct prow row;
    uint8_t active, death;
};

/* One replication while it runs; owned by its worker thread. */
struct rep_state {
    struct flyt_h5_log *log;
    unsigned rep;
    struct flyt_trace trace;
    struct open_ep *open;
    size_t cap;
    struct prow *pbuf;
    struct erow *ebuf;
    size_t np, ne;
    int failed;
};

struct rep_slot {
    FILE *ptmp, *etmp; /* blocks parked until this replication's turn */
    struct rep_state *st;
    int done;
};

enum { T_ORIGIN, T_EXIT, T_EVENT, N_ENUM };

struct column {
    const char *name;
    size_t offset, size;
    int type; /* U: unsigned of the field's size, F64: double, < 0: -1 - enum index */
    const char *units, *description;
};

enum { U = 0, F64 = 1 };

#define PCOL(f) offsetof(struct prow, f), sizeof(((struct prow *)0)->f)
#define ECOL(f) offsetof(struct erow, f), sizeof(((struct erow *)0)->f)

static const struct column pcols[] = {
    { "replication", PCOL(replication), U, "", "replication of the episode" },
    { "patient", PCOL(patient), U, "",
      "patient id, unique within a replication: stream class x 2^44 + index" },
    { "episode", PCOL(episode), U, "",
      "0 for the first episode, +1 after each return to hospital" },
    { "origin", PCOL(origin), -1 - T_ORIGIN, "", "how the episode began" },
    { "age_band", PCOL(age_band), U, "", "age band (index into patients.age_bands)" },
    { "cfs", PCOL(cfs), U, "CFS", "Clinical Frailty Scale, 1-9" },
    { "complex", PCOL(complex), U, "", "1 when the patient has complex needs" },
    { "group", PCOL(group), U, "", "frailty group (index into groups)" },
    { "t_hospital", PCOL(t_hospital), F64, "days", "admission to hospital (NaN for initial)" },
    { "t_ready", PCOL(t_ready), F64, "days", "discharge-ready: start of the UKP wait" },
    { "t_decision", PCOL(t_decision), F64, "days", "destination decided" },
    { "destination", PCOL(destination), U, "",
      "the decided destination: a unit (index into /units/ids), 65534 home, 65533 special "
      "placement, 65535 none" },
    { "t_ukp_end", PCOL(t_ukp_end), F64, "days", "left hospital at the end of the UKP wait" },
    { "unit", PCOL(unit), U, "",
      "the first unit of the episode after hospital (index into /units/ids; 65535 none)" },
    { "t_unit", PCOL(t_unit), F64, "days", "admission to that unit" },
    { "t_unit_end", PCOL(t_unit_end), F64, "days", "that unit's bed was freed" },
    { "next_unit", PCOL(next_unit), U, "", "the unit after it (65535 none)" },
    { "t_next_unit", PCOL(t_next), F64, "days", "admission to the unit after it" },
    { "t_exit", PCOL(t_exit), F64, "days",
      "the episode ended (NaN: in the system at the horizon)" },
    { "exit_reason", PCOL(exit_reason), -1 - T_EXIT, "", "how the episode ended" },
};

static const struct column ecols[] = {
    { "replication", ECOL(replication), U, "", "replication" },
    { "t", ECOL(t), F64, "days", "when the event happened" },
    { "patient", ECOL(patient), U, "", "patient id, as in /patients/patient" },
    { "episode", ECOL(episode), U, "", "the patient's episode, as in /patients/episode" },
    { "event", ECOL(event), -1 - T_EVENT, "", "what happened" },
    { "detail", ECOL(detail), U, "",
      "destination (decision, ukp_end), unit (initial, admit, apply, stay_end, death) or exit "
      "reason (exit); see docs/hdf5-layout.md" },
};

#define N_PCOL (sizeof pcols / sizeof pcols[0])
#define N_ECOL (sizeof ecols / sizeof ecols[0])

struct flyt_h5_log {
    char *path;
    const char *partial; /* the temporary file, owned by flyt_out_temp */
    bool patients, events;
    struct flyt__h5 c;
    char err[512];
    hid_t file, pg, eg, enums[N_ENUM];
    hid_t pd[N_PCOL], ed[N_ECOL];
    hsize_t p_rows, e_rows;
    unsigned n_rep, next;
    struct rep_slot *slots;
    unsigned char *colbuf; /* one column of a block, under the lock */
    struct prow *pdrain;   /* a block read back from a parked file */
    struct erow *edrain;
    pthread_mutex_t lock;
    struct flyt_trace_hooks hooks;
};

static hid_t predefined(size_t size, bool is_double)
{
    if (is_double)
        return H5T_IEEE_F64LE;
    return size == 8   ? H5T_STD_U64LE
           : size == 4 ? H5T_STD_U32LE
           : size == 2 ? H5T_STD_U16LE
                       : H5T_STD_U8LE;
}

static hid_t col_type(const struct flyt_h5_log *log, const struct column *col, bool mem)
{
    if (col->type < 0)
        return log->enums[-1 - col->type];
    bool dbl = col->type == F64;
    if (mem)
        return dbl              ? H5T_NATIVE_DOUBLE
               : col->size == 8 ? H5T_NATIVE_UINT64
               : col->size == 4 ? H5T_NATIVE_UINT32
               : col->size == 2 ? H5T_NATIVE_UINT16
                                : H5T_NATIVE_UINT8;
    return predefined(col->size, dbl);
}

static hid_t make_enum(const char *const *names, int n, const uint8_t *values)
{
    hid_t t = H5Tenum_create(H5T_NATIVE_UINT8);
    for (int i = 0; t >= 0 && i < n; i++)
        if (H5Tenum_insert(t, names[i], &values[i]) < 0) {
            H5Tclose(t);
            return -1;
        }
    return t;
}

static int make_enums(struct flyt_h5_log *log)
{
    static const char *const origin[] = { "arrival", "readmission", "initial" };
    static const uint8_t origin_v[] = { 0, 1, 2 };
    static const char *const exits[] = { "home",  "special_placement", "services_ended",
                                         "death", "to_hospital",       "in_system" };
    static const uint8_t exit_v[] = { 0, 1, 2, 3, 4, 5 };
    static const char *const events[] = { "initial",  "arrival", "readmission", "ready",
                                          "decision", "ukp_end", "admit",       "stay_end",
                                          "death",    "exit",    "apply",       "not_ready",
                                          "case_done" };
    static const uint8_t event_v[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 };
    _Static_assert(sizeof exits / sizeof exits[0] == FLYT_TRACE_N_EXIT, "exit names");
    _Static_assert(sizeof events / sizeof events[0] == FLYT_TRACE_N_KINDS, "event names");
    log->enums[T_ORIGIN] = make_enum(origin, 3, origin_v);
    log->enums[T_EXIT] = make_enum(exits, FLYT_TRACE_N_EXIT, exit_v);
    log->enums[T_EVENT] = make_enum(events, FLYT_TRACE_N_KINDS, event_v);
    for (int i = 0; i < N_ENUM; i++)
        if (log->enums[i] < 0)
            return -1;
    return 0;
}

/* An empty extendible column, chunked and compressed like every dataset. */
static hid_t create_column(struct flyt_h5_log *log, hid_t g, const struct column *col)
{
    hsize_t dims[1] = { 0 }, maxd[1] = { H5S_UNLIMITED }, chunk[1] = { BLOCK };
    hid_t sp = H5Screate_simple(1, dims, maxd), p = flyt__h5_dcpl_new(), d = -1;
    /* Rows are only appended, a whole block at a time: a cache of two
     * chunks is all a column needs, and keeps memory flat (HDF5's default
     * of 1 MiB per dataset fills up as the log grows). */
    hid_t a = H5Pcreate(H5P_DATASET_ACCESS);
    if (sp >= 0 && p >= 0 && a >= 0 && H5Pset_chunk(p, 1, chunk) >= 0 && H5Pset_shuffle(p) >= 0 &&
        H5Pset_deflate(p, 4) >= 0 && H5Pset_chunk_cache(a, 101, 2 * BLOCK * col->size, 1.0) >= 0)
        d = H5Dcreate2(g, col->name, col_type(log, col, false), sp, H5P_DEFAULT, p, a);
    if (a >= 0)
        H5Pclose(a);
    if (p >= 0)
        H5Pclose(p);
    if (sp >= 0)
        H5Sclose(sp);
    if (d < 0) {
        flyt__h5_fail(&log->c, g, col->name);
        return -1;
    }
    /* Readers find the unit behind an index by this attribute, not by name. */
    static const char *const unit_cols[] = { "destination", "unit", "next_unit", "detail" };
    bool by_unit = false;
    for (size_t i = 0; i < sizeof unit_cols / sizeof unit_cols[0]; i++)
        by_unit = by_unit || strcmp(col->name, unit_cols[i]) == 0;
    if (flyt__h5_units_desc(&log->c, d, col->units, col->description) != 0 ||
        (by_unit && flyt__h5_attr_str(&log->c, d, "unit_index", "/units/ids") != 0)) {
        H5Dclose(d);
        return -1;
    }
    return d;
}

static hid_t create_group(struct flyt_h5_log *log, const char *name, const char *desc,
                          const struct column *cols, size_t n, hid_t *d)
{
    hid_t g = flyt__h5_group_create(&log->c, log->file, name);
    if (g < 0 || flyt__h5_attr_str(&log->c, g, "description", desc) != 0 ||
        flyt__h5_attr_str(&log->c, g, "unit_ids", "/units/ids") != 0)
        return g;
    for (size_t i = 0; i < n; i++)
        if ((d[i] = create_column(log, g, &cols[i])) < 0)
            break;
    return g;
}

/* Appends n rows (stride bytes apart) to the columns; under the lock. */
static int append(struct flyt_h5_log *log, hid_t *d, const struct column *cols, size_t n_cols,
                  hsize_t *rows, const void *data, size_t stride, size_t n)
{
    if (log->c.failed || n == 0)
        return log->c.failed ? -1 : 0;
    /* HDF5's error stack, and whether it prints, is per thread: the worker
     * threads' failures are reported by us, not printed by HDF5 */
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    hsize_t start[1] = { *rows }, count[1] = { n }, total[1] = { *rows + n };
    for (size_t j = 0; j < n_cols; j++) {
        const struct column *col = &cols[j];
        for (size_t i = 0; i < n; i++)
            memcpy(log->colbuf + i * col->size,
                   (const unsigned char *)data + i * stride + col->offset, col->size);
        errno = 0; /* what a failed write() leaves is the reason to report */
        hid_t ms = H5Screate_simple(1, count, NULL), fs = -1;
        bool ok = ms >= 0 && H5Dset_extent(d[j], total) >= 0 && (fs = H5Dget_space(d[j])) >= 0 &&
                  H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
                  H5Dwrite(d[j], col_type(log, col, true), ms, fs, H5P_DEFAULT, log->colbuf) >= 0;
        if (fs >= 0)
            H5Sclose(fs);
        if (ms >= 0)
            H5Sclose(ms);
        if (!ok)
            return flyt__h5_fail(&log->c, d[j], "");
    }
    *rows += n;
    return 0;
}

static int append_p(struct flyt_h5_log *log, const struct prow *r, size_t n)
{
    return append(log, log->pd, pcols, N_PCOL, &log->p_rows, r, sizeof *r, n);
}

static int append_e(struct flyt_h5_log *log, const struct erow *r, size_t n)
{
    return append(log, log->ed, ecols, N_ECOL, &log->e_rows, r, sizeof *r, n);
}

static void tmp_fail(struct flyt_h5_log *log)
{
    flyt__h5_set_err(&log->c, "cannot write the log of '%s': temporary file: %s", log->path,
                     strerror(errno));
}

static void append_rows(struct flyt_h5_log *log, const void *rows, size_t n, bool patients)
{
    if (patients)
        append_p(log, rows, n);
    else
        append_e(log, rows, n);
}

/* Copies one parked file into its datasets through buf (BLOCK rows of size
 * bytes) and closes it; under the lock. */
static void drain_file(struct flyt_h5_log *log, FILE **fp, void *buf, size_t size, bool patients)
{
    if (!*fp)
        return;
    rewind(*fp);
    size_t n;
    while ((n = fread(buf, size, BLOCK, *fp)) > 0)
        append_rows(log, buf, n, patients);
    if (ferror(*fp))
        tmp_fail(log);
    fclose(*fp);
    *fp = NULL;
}

/* Copies a replication's parked files into the datasets; under the lock. */
static void drain(struct flyt_h5_log *log, struct rep_slot *sl)
{
    drain_file(log, &sl->ptmp, log->pdrain, sizeof *log->pdrain, true);
    drain_file(log, &sl->etmp, log->edrain, sizeof *log->edrain, false);
}

/* A block of one replication: into the file when it is that
 * replication's turn, else parked. */
static void park_or_append(struct flyt_h5_log *log, unsigned rep, const void *rows, size_t size,
                           size_t n, bool patients)
{
    pthread_mutex_lock(&log->lock);
    struct rep_slot *sl = &log->slots[rep];
    if (rep == log->next) {
        append_rows(log, rows, n, patients);
    } else {
        FILE **fp = patients ? &sl->ptmp : &sl->etmp;
        if (!*fp)
            *fp = tmpfile();
        if (!*fp || fwrite(rows, size, n, *fp) != n)
            tmp_fail(log);
    }
    pthread_mutex_unlock(&log->lock);
}

static void flush(struct rep_state *st)
{
    if (st->np)
        park_or_append(st->log, st->rep, st->pbuf, sizeof *st->pbuf, st->np, true);
    if (st->ne)
        park_or_append(st->log, st->rep, st->ebuf, sizeof *st->ebuf, st->ne, false);
    st->np = st->ne = 0;
}

static struct open_ep *slot_of(struct rep_state *st, uint32_t slot)
{
    if (slot >= st->cap) {
        size_t cap = st->cap ? st->cap : 1024;
        while (cap <= slot)
            cap *= 2;
        struct open_ep *o = realloc(st->open, cap * sizeof *o);
        if (!o) {
            st->failed = 1;
            return NULL;
        }
        memset(o + st->cap, 0, (cap - st->cap) * sizeof *o);
        st->open = o;
        st->cap = cap;
    }
    return &st->open[slot];
}

static void start_episode(struct rep_state *st, struct open_ep *o,
                          const struct flyt_trace_event *ev, uint8_t origin, uint32_t episode)
{
    double nan = NAN;
    o->row = (struct prow){ .t_hospital = nan,
                            .t_ready = nan,
                            .t_decision = nan,
                            .t_ukp_end = nan,
                            .t_unit = nan,
                            .t_unit_end = nan,
                            .t_next = nan,
                            .t_exit = nan,
                            .patient = ev->patient,
                            .replication = st->rep,
                            .episode = episode,
                            .destination = DEST_NONE,
                            .unit = NO_UNIT,
                            .next_unit = NO_UNIT,
                            .origin = origin,
                            .age_band = ev->age_band,
                            .cfs = ev->cfs,
                            .complex = ev->complex,
                            .group = ev->group,
                            .exit_reason = FLYT_TRACE_EXIT_IN_SYSTEM };
    o->active = 1;
    o->death = NO_DEATH;
}

static void end_episode(struct rep_state *st, struct open_ep *o, uint16_t reason, double t)
{
    if (!o->active)
        return;
    o->active = 0;
    if (!st->log->patients)
        return;
    o->row.t_exit = t;
    o->row.exit_reason = (uint8_t)reason;
    st->pbuf[st->np++] = o->row;
    if (st->np == BLOCK)
        flush(st);
}

static void unit_time(struct prow *r, int unit, double t)
{
    if (r->unit == NO_UNIT) {
        r->unit = (uint16_t)unit;
        r->t_unit = t;
    } else if (r->next_unit == NO_UNIT) {
        r->next_unit = (uint16_t)unit;
        r->t_next = t;
    }
}

static void on_event(void *ctx, const struct flyt_trace_event *ev)
{
    struct rep_state *st = ctx;
    struct open_ep *o = slot_of(st, ev->slot);
    if (!o)
        return;
    uint16_t detail = ev->detail;
    struct prow *r = &o->row;
    switch (ev->kind) {
    case FLYT_TRACE_INITIAL:
        start_episode(st, o, ev, ORIGIN_INITIAL, 0);
        unit_time(r, ev->detail, ev->t);
        break;
    case FLYT_TRACE_ARRIVAL:
        start_episode(st, o, ev, ORIGIN_ARRIVAL, 0);
        r->t_hospital = ev->t;
        break;
    case FLYT_TRACE_READMISSION: {
        uint32_t next = r->episode + 1;
        end_episode(st, o, FLYT_TRACE_EXIT_TO_HOSPITAL, ev->t);
        start_episode(st, o, ev, ORIGIN_READMISSION, next);
        r->t_hospital = ev->t;
        break;
    }
    case FLYT_TRACE_READY:
        r->t_ready = ev->t;
        break;
    case FLYT_TRACE_DECISION:
        r->t_decision = ev->t;
        r->destination = ev->detail;
        break;
    case FLYT_TRACE_UKP_END:
        r->t_ukp_end = ev->t;
        if (ev->detail == FLYT_TRACE_TO_SPECIAL)
            r->destination = FLYT_TRACE_TO_SPECIAL;
        break;
    case FLYT_TRACE_ADMIT:
        unit_time(r, ev->detail, ev->t);
        break;
    case FLYT_TRACE_ST_END:
        if (ev->detail == r->unit && isnan(r->t_unit_end))
            r->t_unit_end = ev->t;
        break;
    case FLYT_TRACE_DEATH:
        o->death = 1;
        break;
    case FLYT_TRACE_EXIT:
        detail = o->death != NO_DEATH ? FLYT_TRACE_EXIT_DEATH : detail;
        end_episode(st, o, detail, ev->t);
        break;
    default:
        break;
    }
    if (st->log->events) {
        st->ebuf[st->ne++] = (struct erow){ .t = ev->t,
                                            .patient = ev->patient,
                                            .replication = st->rep,
                                            .episode = r->episode,
                                            .detail = detail,
                                            .event = ev->kind };
        if (st->ne == BLOCK)
            flush(st);
    }
}

static void rep_state_free(struct rep_state *st)
{
    if (!st)
        return;
    free(st->open);
    free(st->pbuf);
    free(st->ebuf);
    free(st);
}

static const struct flyt_trace *hook_begin(void *ctx, unsigned rep)
{
    struct flyt_h5_log *log = ctx;
    struct rep_state *st = calloc(1, sizeof *st);
    if (st) {
        st->pbuf = malloc(BLOCK * sizeof *st->pbuf);
        st->ebuf = malloc(BLOCK * sizeof *st->ebuf);
    }
    if (!st || !st->pbuf || !st->ebuf) {
        rep_state_free(st);
        return NULL;
    }
    st->log = log;
    st->rep = rep;
    st->trace = (struct flyt_trace){ on_event, st };
    log->slots[rep].st = st;
    return &st->trace;
}

/* The replication's open episodes end "in the system", in slot order;
 * then every finished replication whose turn has come is written, and the
 * next running one has its parked blocks copied in so that it streams. */
static int hook_end(void *ctx, unsigned rep, int rc)
{
    (void)rc;
    struct flyt_h5_log *log = ctx;
    struct rep_state *st = log->slots[rep].st;
    if (!st) {
        pthread_mutex_lock(&log->lock);
        flyt__h5_set_err(&log->c, "cannot log replication %u: out of memory", rep);
        pthread_mutex_unlock(&log->lock);
        return -1;
    }
    for (size_t i = 0; i < st->cap; i++)
        end_episode(st, &st->open[i], FLYT_TRACE_EXIT_IN_SYSTEM, NAN);
    flush(st);
    int failed = st->failed;
    log->slots[rep].st = NULL;
    rep_state_free(st);
    pthread_mutex_lock(&log->lock);
    if (failed)
        flyt__h5_set_err(&log->c, "cannot log replication %u: out of memory", rep);
    log->slots[rep].done = 1;
    while (log->next < log->n_rep && log->slots[log->next].done)
        drain(log, &log->slots[log->next++]);
    if (log->next < log->n_rep)
        drain(log, &log->slots[log->next]);
    failed = log->c.failed;
    pthread_mutex_unlock(&log->lock);
    return failed ? -1 : 0;
}

static void close_all(struct flyt_h5_log *log)
{
    for (size_t j = 0; j < N_PCOL; j++)
        if (log->pd[j] >= 0)
            H5Dclose(log->pd[j]);
    for (size_t j = 0; j < N_ECOL; j++)
        if (log->ed[j] >= 0)
            H5Dclose(log->ed[j]);
    for (int i = 0; i < N_ENUM; i++)
        if (log->enums[i] >= 0)
            H5Tclose(log->enums[i]);
    if (log->pg >= 0)
        H5Gclose(log->pg);
    if (log->eg >= 0)
        H5Gclose(log->eg);
    if (log->c.str >= 0)
        H5Tclose(log->c.str);
    log->pg = log->eg = log->c.str = -1;
    for (size_t j = 0; j < N_PCOL; j++)
        log->pd[j] = -1;
    for (size_t j = 0; j < N_ECOL; j++)
        log->ed[j] = -1;
    for (int i = 0; i < N_ENUM; i++)
        log->enums[i] = -1;
}

/* After a failed write (disk full, file size limit) HDF5 1.10 cannot
 * flush the file, so H5Fclose fails, frees the file and leaves its id
 * behind; H5_term_library closes that id again at exit and crashes. The
 * file is discarded anyway: its descriptor is pointed at /dev/null, where
 * every write succeeds, so the close completes and frees everything. */
static void detach(struct flyt_h5_log *log)
{
    int *fd = NULL;
    if (log->file < 0 || H5Fget_vfd_handle(log->file, H5P_DEFAULT, (void **)&fd) < 0 || !fd ||
        *fd < 0)
        return;
    int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
        dup2(null, *fd);
        close(null);
    }
}

static void log_free(struct flyt_h5_log *log)
{
    for (unsigned r = 0; log->slots && r < log->n_rep; r++) {
        if (log->slots[r].ptmp)
            fclose(log->slots[r].ptmp);
        if (log->slots[r].etmp)
            fclose(log->slots[r].etmp);
        rep_state_free(log->slots[r].st);
    }
    detach(log); /* a file still open here is being discarded */
    close_all(log);
    if (log->file >= 0)
        H5Fclose(log->file);
    pthread_mutex_destroy(&log->lock);
    free(log->slots);
    free(log->colbuf);
    free(log->pdrain);
    free(log->edrain);
    free(log->path);
    free(log);
}

static char *dup_str(const char *s)
{
    char *d = malloc(strlen(s) + 1);
    return d ? strcpy(d, s) : NULL;
}

/* Closed strongly: H5Fclose then closes every object still open in the
 * file, so no handle is left for HDF5 to close (and fail to flush) at exit
 * after a write failed. */
static int create_file(struct flyt_h5_log *log)
{
    int fd = flyt_out_temp(log->path, FLYT_OUT_HDF5, &log->partial, log->err, sizeof log->err);
    if (fd < 0) {
        log->c.failed = 1;
        return -1;
    }
    close(fd); /* HDF5 opens it by name */
    log->c.file_name = log->partial;
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0 && H5Pset_libver_bounds(fapl, H5F_LIBVER_EARLIEST, H5F_LIBVER_LATEST) >= 0 &&
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG) >= 0)
        log->file = H5Fcreate(log->partial, H5F_ACC_TRUNC, H5P_DEFAULT, fapl);
    if (fapl >= 0)
        H5Pclose(fapl);
    if (log->file < 0)
        return flyt__h5_set_err(&log->c, "cannot create '%s'", log->partial);
    if ((log->c.str = flyt__h5_utf8_type()) < 0 || make_enums(log) != 0)
        return flyt__h5_fail(&log->c, -1, "/");
    if (log->patients)
        log->pg = create_group(log, "patients",
                               "one row per patient episode (see docs/hdf5-layout.md)", pcols,
                               N_PCOL, log->pd);
    if (log->events)
        log->eg = create_group(log, "events", "every patient event, in the order run", ecols,
                               N_ECOL, log->ed);
    return log->c.failed ? -1 : 0;
}

struct flyt_h5_log *flyt_h5_log_open(const char *path, bool patients, bool events, unsigned n_rep,
                                     char *err, size_t errlen)
{
    struct flyt_h5_log *log = calloc(1, sizeof *log);
    if (!log) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&log->lock, NULL);
    log->file = log->pg = log->eg = log->c.str = -1;
    for (size_t j = 0; j < N_PCOL; j++)
        log->pd[j] = -1;
    for (size_t j = 0; j < N_ECOL; j++)
        log->ed[j] = -1;
    for (int i = 0; i < N_ENUM; i++)
        log->enums[i] = -1;
    log->c.err = log->err;
    log->c.errlen = sizeof log->err;
    log->patients = patients;
    log->events = events;
    log->n_rep = n_rep;
    log->hooks = (struct flyt_trace_hooks){ hook_begin, hook_end, log };
    log->path = dup_str(path);
    log->slots = calloc(n_rep ? n_rep : 1, sizeof *log->slots);
    log->colbuf = malloc(BLOCK * sizeof(double));
    log->pdrain = malloc(BLOCK * sizeof *log->pdrain);
    log->edrain = malloc(BLOCK * sizeof *log->edrain);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    if (!log->path || !log->slots || !log->colbuf || !log->pdrain || !log->edrain) {
        flyt__h5_set_err(&log->c, "out of memory");
    } else {
        log->c.file_name = path;
        create_file(log);
    }
    if (log->c.failed) {
        snprintf(err, errlen, "%s", log->err);
        flyt_h5_log_abort(log);
        return NULL;
    }
    return log;
}

const struct flyt_trace_hooks *flyt_h5_log_hooks(struct flyt_h5_log *log)
{
    return &log->hooks;
}

const char *flyt_h5_log_error(const struct flyt_h5_log *log)
{
    return log->c.failed ? log->err : NULL;
}

void flyt_h5_log_abort(struct flyt_h5_log *log)
{
    if (!log)
        return;
    char *path = log->path;
    log->path = NULL;
    log_free(log);
    if (path)
        flyt_out_discard(path);
    free(path);
}

static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    int rc = fd >= 0 && fsync(fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close(fd);
    return rc;
}

/* The summary goes into the file the logs streamed into: the same writer
 * as flyt_h5_write_run, on a file on disk instead of in memory. */
int flyt_h5_log_finish(struct flyt_h5_log *log, const struct flyt_scenario *s,
                       const struct flyt_result *res, size_t n_res, const struct flyt_summary *sum,
                       const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    struct flyt__h5 *c = &log->c;
    unsigned on[2] = { log->patients, log->events };
    if (!c->failed && log->next != log->n_rep)
        flyt__h5_set_err(c, "cannot write '%s': replications %u.. were not logged", log->partial,
                         log->next);
    if (!c->failed)
        (void)(flyt__h5_provenance(c, log->file, meta) ||
               flyt__h5_attr_str(c, log->file, "kind", "run") ||
               flyt__h5_attr_write(c, log->file, "patients_log", H5T_STD_U32LE, H5T_NATIVE_UINT,
                                   &on[0]) ||
               flyt__h5_attr_write(c, log->file, "events_log", H5T_STD_U32LE, H5T_NATIVE_UINT,
                                   &on[1]) ||
               flyt__h5_write_run_body(c, log->file, s, res, n_res, sum, meta));
    /* Everything is written here, so that a failure leaves the closes
     * nothing to write (see detach) */
    errno = 0;
    if (!c->failed && H5Fflush(log->file, H5F_SCOPE_GLOBAL) < 0)
        flyt__h5_fail(c, -1, "");
    if (c->failed)
        detach(log);
    close_all(log);
    if (log->file >= 0 && H5Fclose(log->file) < 0)
        flyt__h5_set_err(c, "cannot write '%s': closing failed", log->partial);
    log->file = -1;
    if (!c->failed && fsync_path(log->partial) != 0)
        flyt__h5_set_err(c, "cannot write '%s': %s", log->partial, strerror(errno));
    if (!c->failed && flyt_out_commit(log->path, log->err, sizeof log->err) != 0)
        c->failed = 1;
    int rc = c->failed ? -1 : 0;
    if (rc != 0) {
        snprintf(err, errlen, "%s", log->err);
        flyt_h5_log_abort(log);
    } else {
        log_free(log);
    }
    return rc;
}
