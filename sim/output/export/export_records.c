/*
 * flyt export --records: a run's patient and event logs (replication R) as
 * the stay records a municipality or hospital exports (docs/records.md),
 * so that `flyt fit` can be tested on data whose truth is known.
 *
 * Stays are rebuilt from /events in the order the model ran them: a stay
 * in a unit runs from its admission (or placement at time 0) until its
 * place is freed (stay_end), the patient moves on, dies or is readmitted;
 * a hospital stay from arrival or readmission until the patient leaves
 * hospital (ukp_end, admission to a unit, death, exit). Its `next` is the
 * place the patient goes to after it, filled in when that is known.
 * Discharge-ready periods run from `ready` to `ukp_end` (or death).
 * Attributes come from /patients, by patient and episode; age band names
 * and the hospital unit from the scenario stored in the file.
 */
#include "flyt/date.h"
#include "flyt/export.h"
#include "flyt/outfile.h"
#include "flyt/scenario.h"
#include "flyt/trace.h"
#include "output/h5/h5_common.h"

#include <hdf5.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NONE 0xFFFFu

struct xr {
    hid_t file;
    char *err;
    size_t errlen;
    int rc;
};

static int fail(struct xr *x, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct xr *x, int rc, const char *fmt, ...)
{
    if (!x->rc) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(x->err, x->errlen, fmt, ap);
        va_end(ap);
        x->rc = rc;
    }
    return -1;
}

/* n rows from lo of the 1-D dataset g/name, in memory type mtype (NULL
 * for a dataset's own native type, as for enums). */
static void *read_rows(struct xr *x, hid_t g, const char *name, hid_t mtype, size_t size,
                       hsize_t lo, hsize_t n)
{
    void *buf = malloc(n ? n * size : 1);
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    hid_t fs = d < 0 ? -1 : H5Dget_space(d);
    hsize_t mdim = n ? n : 1;
    hid_t ms = H5Screate_simple(1, &mdim, NULL);
    hid_t ft = d < 0 ? -1 : H5Dget_type(d);
    hid_t mt = mtype >= 0 ? mtype : ft < 0 ? -1 : H5Tget_native_type(ft, H5T_DIR_DEFAULT);
    bool ok = buf && fs >= 0 && ms >= 0 && mt >= 0 && (mtype >= 0 || H5Tget_size(mt) == size);
    if (ok && n > 0)
        ok = H5Sselect_hyperslab(fs, H5S_SELECT_SET, &lo, NULL, &n, NULL) >= 0 &&
             H5Dread(d, mt, ms, fs, H5P_DEFAULT, buf) >= 0;
    if (mtype < 0 && mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (ms >= 0)
        H5Sclose(ms);
    if (fs >= 0)
        H5Sclose(fs);
    if (d >= 0)
        H5Dclose(d);
    if (!ok) {
        free(buf);
        fail(x, FLYT_EXPORT_FAILED, "cannot read %s", name);
        return NULL;
    }
    return buf;
}

static hssize_t rows_of(hid_t g, const char *name)
{
    hid_t d = H5Dopen2(g, name, H5P_DEFAULT);
    if (d < 0)
        return -1;
    hsize_t dims[2];
    hssize_t n = flyt__h5_extent(d, dims);
    H5Dclose(d);
    return n;
}

/* The rows [*lo, *hi) of replication r in g (rows are in replication order). */
static int rep_range(struct xr *x, hid_t g, unsigned r, hsize_t *lo, hsize_t *hi)
{
    hssize_t n = rows_of(g, "replication");
    if (n < 0)
        return fail(x, FLYT_EXPORT_FAILED, "cannot read the logs' replication column");
    uint32_t *rep = read_rows(x, g, "replication", H5T_NATIVE_UINT32, 4, 0, (hsize_t)n);
    if (!rep)
        return -1;
    hsize_t i = 0;
    while (i < (hsize_t)n && rep[i] < r)
        i++;
    *lo = i;
    while (i < (hsize_t)n && rep[i] == r)
        i++;
    *hi = i;
    free(rep);
    return 0;
}

/* ---- /patients: attributes by (patient, episode) ---- */

struct attr {
    uint64_t patient;
    uint32_t episode;
    uint8_t cfs, age_band, complex;
};

static int cmp_attr(const void *a, const void *b)
{
    const struct attr *p = a, *q = b;
    if (p->patient != q->patient)
        return p->patient < q->patient ? -1 : 1;
    return (p->episode > q->episode) - (p->episode < q->episode);
}

static struct attr *read_attrs(struct xr *x, unsigned r, size_t *n)
{
    hid_t g = H5Gopen2(x->file, "/patients", H5P_DEFAULT);
    hsize_t lo = 0, hi = 0;
    struct attr *a = NULL;
    if (g < 0 || rep_range(x, g, r, &lo, &hi) != 0) {
        if (g >= 0)
            H5Gclose(g);
        fail(x, FLYT_EXPORT_FAILED, "cannot read /patients");
        return NULL;
    }
    hsize_t m = hi - lo;
    uint64_t *pid = read_rows(x, g, "patient", H5T_NATIVE_UINT64, 8, lo, m);
    uint32_t *ep = read_rows(x, g, "episode", H5T_NATIVE_UINT32, 4, lo, m);
    uint8_t *cfs = read_rows(x, g, "cfs", H5T_NATIVE_UINT8, 1, lo, m);
    uint8_t *age = read_rows(x, g, "age_band", H5T_NATIVE_UINT8, 1, lo, m);
    uint8_t *cx = read_rows(x, g, "complex", H5T_NATIVE_UINT8, 1, lo, m);
    a = pid && ep && cfs && age && cx ? malloc((m ? m : 1) * sizeof *a) : NULL;
    for (hsize_t i = 0; a && i < m; i++)
        a[i] = (struct attr){ pid[i], ep[i], cfs[i], age[i], cx[i] };
    if (a)
        qsort(a, m, sizeof *a, cmp_attr);
    else
        fail(x, FLYT_EXPORT_FAILED, "cannot read /patients (out of memory?)");
    free(pid);
    free(ep);
    free(cfs);
    free(age);
    free(cx);
    H5Gclose(g);
    *n = m;
    return a;
}

/* ---- stays from /events ---- */

enum { P_OPEN, P_UNIT, P_HOME, P_DEATH };

struct stay {
    uint64_t patient;
    uint32_t episode;
    int unit;
    double start, end; /* end NaN: running at the horizon */
    int next, next_unit;
    bool next_known;
};

struct ready {
    uint64_t patient;
    double ready, decision, discharge;
    int dest, dest_unit;
};

/* Where a patient is while the events are replayed. */
struct where {
    uint64_t patient;
    long stay;    /* index of its running stay, -1 none */
    long pending; /* a stay over whose next place is not known yet, -1 none */
    long ready;   /* its open discharge-ready period, -1 none */
};

struct build {
    struct stay *s;
    size_t n, cap;
    struct ready *r;
    size_t nr, capr;
    struct where *w;
    size_t nw;
    int hospital;
    bool oom;
};

static int cmp_where(const void *a, const void *b)
{
    uint64_t p = ((const struct where *)a)->patient, q = ((const struct where *)b)->patient;
    return (p > q) - (p < q);
}

static void set_next(struct build *b, long i, int place, int unit)
{
    if (i < 0 || b->s[i].next_known)
        return;
    b->s[i].next = place;
    b->s[i].next_unit = unit;
    b->s[i].next_known = true;
}

/* Ends w's running stay at t; its next place is told later (or now). */
static void close_stay(struct build *b, struct where *w, double t)
{
    if (w->stay < 0)
        return;
    b->s[w->stay].end = t;
    w->pending = w->stay;
    w->stay = -1;
}

static void open_stay(struct build *b, struct where *w, uint32_t episode, int unit, double t)
{
    close_stay(b, w, t);
    set_next(b, w->pending, P_UNIT, unit);
    w->pending = -1;
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 1024;
        struct stay *s = realloc(b->s, cap * sizeof *s);
        if (!s) {
            b->oom = true;
            return;
        }
        b->s = s;
        b->cap = cap;
    }
    b->s[b->n] = (struct stay){ .patient = w->patient,
                                .episode = episode,
                                .unit = unit,
                                .start = t,
                                .end = NAN,
                                .next = P_OPEN,
                                .next_unit = -1 };
    w->stay = (long)b->n++;
}

/* A destination as /events writes it (a unit, 0xFFFE home, 0xFFFD special
 * placement: out of the scenario's units, so home for the records). */
static void dest_of(unsigned d, int *place, int *unit)
{
    *place = d < 0xFFFD ? P_UNIT : P_HOME;
    *unit = d < 0xFFFD ? (int)d : -1;
}

static void event(struct build *b, struct where *w, uint8_t kind, uint32_t episode, unsigned detail,
                  double t)
{
    int place, unit;
    switch (kind) {
    case FLYT_TRACE_INITIAL:
    case FLYT_TRACE_ADMIT:
        open_stay(b, w, episode, (int)detail, t);
        break;
    case FLYT_TRACE_ARRIVAL:
    case FLYT_TRACE_READMISSION:
        open_stay(b, w, episode, b->hospital, t);
        break;
    case FLYT_TRACE_ST_END:
        if (w->stay >= 0 && b->s[w->stay].unit == (int)detail)
            close_stay(b, w, t);
        break;
    case FLYT_TRACE_UKP_END:
        /* the admission to the destination may come first: it has
         * ended the hospital stay already */
        dest_of(detail, &place, &unit);
        if (w->stay >= 0 && b->s[w->stay].unit == b->hospital) {
            close_stay(b, w, t);
            set_next(b, w->pending, place, unit);
        }
        if (w->ready >= 0) {
            b->r[w->ready].discharge = t;
            b->r[w->ready].dest = place;
            b->r[w->ready].dest_unit = unit;
            w->ready = -1;
        }
        break;
    case FLYT_TRACE_DEATH:
        close_stay(b, w, t);
        set_next(b, w->pending, P_DEATH, -1);
        w->pending = -1;
        if (w->ready >= 0) {
            b->r[w->ready].discharge = t;
            b->r[w->ready].dest = P_DEATH;
            b->r[w->ready].dest_unit = -1;
            w->ready = -1;
        }
        break;
    case FLYT_TRACE_EXIT:
        if (detail == FLYT_TRACE_EXIT_TO_HOSPITAL || detail == FLYT_TRACE_EXIT_IN_SYSTEM)
            break; /* the readmission closes the stay */
        close_stay(b, w, t);
        if (detail != FLYT_TRACE_EXIT_DEATH)
            set_next(b, w->pending, P_HOME, -1);
        w->pending = -1;
        break;
    case FLYT_TRACE_READY:
        if (b->nr == b->capr) {
            size_t cap = b->capr ? 2 * b->capr : 256;
            struct ready *r = realloc(b->r, cap * sizeof *r);
            if (!r) {
                b->oom = true;
                return;
            }
            b->r = r;
            b->capr = cap;
        }
        b->r[b->nr] = (struct ready){ .patient = w->patient,
                                      .ready = t,
                                      .decision = NAN,
                                      .discharge = NAN,
                                      .dest = P_OPEN,
                                      .dest_unit = -1 };
        w->ready = (long)b->nr++;
        break;
    case FLYT_TRACE_DECISION:
        if (w->ready >= 0) {
            b->r[w->ready].decision = t;
            dest_of(detail, &b->r[w->ready].dest, &b->r[w->ready].dest_unit);
        }
        break;
    default:
        break;
    }
}

static struct where *where_of(struct build *b, uint64_t patient)
{
    struct where key = { .patient = patient };
    return bsearch(&key, b->w, b->nw, sizeof *b->w, cmp_where);
}

static int replay(struct xr *x, unsigned r, struct build *b)
{
    hid_t g = H5Gopen2(x->file, "/events", H5P_DEFAULT);
    hsize_t lo = 0, hi = 0;
    if (g < 0)
        return fail(x, FLYT_EXPORT_FAILED, "cannot open /events");
    if (rep_range(x, g, r, &lo, &hi) != 0) {
        H5Gclose(g);
        return -1;
    }
    hsize_t m = hi - lo;
    double *t = read_rows(x, g, "t", H5T_NATIVE_DOUBLE, 8, lo, m);
    uint64_t *pid = read_rows(x, g, "patient", H5T_NATIVE_UINT64, 8, lo, m);
    uint32_t *ep = read_rows(x, g, "episode", H5T_NATIVE_UINT32, 4, lo, m);
    uint8_t *kind = read_rows(x, g, "event", -1, 1, lo, m);
    uint16_t *detail = read_rows(x, g, "detail", H5T_NATIVE_UINT16, 2, lo, m);
    H5Gclose(g);
    int rc = t && pid && ep && kind && detail ? 0 : -1;
    /* one place record per patient, found by id */
    b->w = rc == 0 ? malloc((m ? m : 1) * sizeof *b->w) : NULL;
    if (!b->w) {
        if (rc == 0)
            fail(x, FLYT_EXPORT_FAILED, "out of memory");
        rc = -1;
    }
    for (hsize_t i = 0; b->w && i < m; i++)
        b->w[i] = (struct where){ pid[i], -1, -1, -1 };
    if (b->w) {
        qsort(b->w, m, sizeof *b->w, cmp_where);
        size_t u = 0;
        for (hsize_t i = 0; i < m; i++)
            if (u == 0 || b->w[u - 1].patient != b->w[i].patient)
                b->w[u++] = b->w[i];
        b->nw = u;
    }
    for (hsize_t i = 0; rc == 0 && i < m && !b->oom; i++)
        event(b, where_of(b, pid[i]), kind[i], ep[i], detail[i], t[i]);
    if (rc == 0 && b->oom)
        rc = fail(x, FLYT_EXPORT_FAILED, "out of memory");
    free(t);
    free(pid);
    free(ep);
    free(kind);
    free(detail);
    return rc;
}

/* ---- writing ---- */

static void put_time(FILE *f, int start_day, double t)
{
    if (isnan(t))
        return;
    /* whole seconds: what the records keep */
    double sec = round(t * 86400.0);
    double day = floor(sec / 86400.0);
    long s = (long)(sec - day * 86400.0);
    int y, m, d;
    flyt_civil_from_days(start_day + (int)day, &y, &m, &d);
    fprintf(f, "%04d-%02d-%02dT%02ld:%02ld:%02ld", y, m, d, s / 3600, s / 60 % 60, s % 60);
}

static void put_place(FILE *f, const struct flyt_scenario *s, int place, int unit)
{
    if (place == P_UNIT && unit >= 0 && unit < s->n_units)
        fputs(s->units[unit].id, f);
    else if (place == P_HOME)
        fputs("home", f);
    else if (place == P_DEATH)
        fputs("death", f);
}

static void put_key(FILE *f, uint64_t patient)
{
    fprintf(f, "p%llu-%llu", (unsigned long long)(patient >> 44),
            (unsigned long long)(patient & ((1ull << 44) - 1)));
}

struct out {
    const struct flyt_scenario *s;
    const struct build *b;
    const struct attr *a;
    size_t na;
    int start_day;
    double from, until;
    const char *source;
    unsigned replication;
};

static void put_head(FILE *f, const struct out *o)
{
    fprintf(f, "# flyt export --records: %s, replication %u\n# from: ", o->source, o->replication);
    put_time(f, o->start_day, o->from);
    fputs("\n# extracted: ", f);
    put_time(f, o->start_day, o->until);
    fputc('\n', f);
}

static void write_stays(FILE *f, const struct out *o)
{
    put_head(f, o);
    fputs("patient,unit,start,end,next,cfs,age_band,complex\n", f);
    for (size_t i = 0; i < o->b->n; i++) {
        const struct stay *st = &o->b->s[i];
        struct attr key = { .patient = st->patient, .episode = st->episode };
        const struct attr *a = bsearch(&key, o->a, o->na, sizeof *o->a, cmp_attr);
        put_key(f, st->patient);
        fprintf(f, ",%s,", o->s->units[st->unit].id);
        put_time(f, o->start_day, st->start);
        fputc(',', f);
        put_time(f, o->start_day, st->end);
        fputc(',', f);
        if (!isnan(st->end))
            put_place(f, o->s, st->next, st->next_unit);
        fputc(',', f);
        if (a) {
            if (a->cfs >= 1 && a->cfs <= 9)
                fprintf(f, "%d", a->cfs);
            fputc(',', f);
            if (a->age_band < o->s->n_age_bands)
                fputs(o->s->age_band[a->age_band], f);
            fprintf(f, ",%s", a->complex ? "yes" : "no");
        } else {
            fputs(",,", f);
        }
        fputc('\n', f);
    }
}

static void write_ready(FILE *f, const struct out *o)
{
    put_head(f, o);
    fputs("patient,ready,decision,discharge,destination\n", f);
    for (size_t i = 0; i < o->b->nr; i++) {
        const struct ready *r = &o->b->r[i];
        put_key(f, r->patient);
        fputc(',', f);
        put_time(f, o->start_day, r->ready);
        fputc(',', f);
        put_time(f, o->start_day, r->decision); /* the moment: the model knows it */
        fputc(',', f);
        put_time(f, o->start_day, r->discharge);
        fputc(',', f);
        put_place(f, o->s, r->dest, r->dest_unit);
        fputc('\n', f);
    }
}

static void write_units(FILE *f, const struct out *o)
{
    fprintf(f, "# flyt export --records: %s, the identity map of its units\ncode,unit\n",
            o->source);
    for (int u = 0; u < o->s->n_units; u++)
        fprintf(f, "%s,%s\n", o->s->units[u].id, o->s->units[u].id);
}

static int stays_body(FILE *f, const void *o)
{
    write_stays(f, o);
    return 0;
}

static int ready_body(FILE *f, const void *o)
{
    write_ready(f, o);
    return 0;
}

static int units_body(FILE *f, const void *o)
{
    write_units(f, o);
    return 0;
}

/* ---- entry ---- */

static int open_run(struct xr *x, const char *path)
{
    FILE *probe = fopen(path, "rb");
    if (!probe)
        return fail(x, FLYT_EXPORT_NOT_FLYT, "cannot open '%s': no such file or not readable",
                    path);
    fclose(probe);
    char fmt[64];
    if (H5Fis_hdf5(path) <= 0 || (x->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0 ||
        !flyt__h5_attr_text(x->file, "format", fmt, sizeof fmt) || strcmp(fmt, "flyt") != 0)
        return fail(x, FLYT_EXPORT_NOT_FLYT, "'%s' is not a flyt output file", path);
    if (!flyt__h5_has(x->file, "events") || !flyt__h5_has(x->file, "patients"))
        return fail(x, FLYT_EXPORT_NOT_FLYT,
                    "'%s' has no patient and event logs (/patients, /events): records are "
                    "rebuilt from them; run the scenario with flyt run --patients --events",
                    path);
    return 0;
}

static struct flyt_scenario *stored_scenario(struct xr *x, const char *path, int *start_day,
                                             double *warmup, double *horizon, unsigned *n_rep)
{
    size_t cap = 16u << 20;
    char *text = malloc(cap), buf[64];
    int y, m, d;
    if (!text || !flyt__h5_attr_text(x->file, "scenario_resolved", text, cap) ||
        !flyt__h5_attr_text(x->file, "start_date", buf, sizeof buf) ||
        sscanf(buf, "%d-%d-%d", &y, &m, &d) != 3 ||
        !flyt__h5_attr_text(x->file, "warmup_days", buf, sizeof buf) ||
        sscanf(buf, "%lf", warmup) != 1 ||
        !flyt__h5_attr_text(x->file, "horizon_days", buf, sizeof buf) ||
        sscanf(buf, "%lf", horizon) != 1 ||
        !flyt__h5_attr_text(x->file, "replications", buf, sizeof buf) ||
        sscanf(buf, "%u", n_rep) != 1) {
        free(text);
        fail(x, FLYT_EXPORT_FAILED, "'%s': cannot read the run's attributes", path);
        return NULL;
    }
    *start_day = flyt_days_from_civil(y, m, d);
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load_string(text, path, NULL, NULL, 0, &diag);
    if (!s)
        fail(x, FLYT_EXPORT_FAILED, "'%s': the scenario stored in the file does not load: %s", path,
             diag.text ? diag.text : "");
    flyt_diag_free(&diag);
    free(text);
    return s;
}

int flyt_export_records(const char *path, unsigned replication, const char *const out[3], char *err,
                        size_t errlen)
{
    struct xr x = { .file = -1, .err = err, .errlen = errlen };
    struct build b = { 0 };
    struct attr *a = NULL;
    size_t na = 0;
    struct flyt_scenario *s = NULL;
    int start_day = 0;
    double warmup = 0, horizon = 0;
    unsigned n_rep = 0;
    if (open_run(&x, path) == 0)
        s = stored_scenario(&x, path, &start_day, &warmup, &horizon, &n_rep);
    if (s && replication >= n_rep)
        fail(&x, FLYT_EXPORT_NOT_FLYT, "--replication %u: '%s' has replications 0 to %u",
             replication, path, n_rep - 1);
    if (s && !x.rc) {
        b.hospital = s->hospital;
        a = read_attrs(&x, replication, &na);
    }
    if (a && !x.rc)
        replay(&x, replication, &b);
    if (x.file >= 0)
        H5Fclose(x.file);
    const struct out o = { s, &b, a, na, start_day, warmup, horizon, path, replication };
    const flyt_out_body body[3] = { stays_body, ready_body, units_body };
    for (int k = 0; k < 3 && !x.rc; k++)
        if (flyt_out_write(out[k], FLYT_OUT_CSV, body[k], &o, err, errlen) != 0)
            x.rc = FLYT_EXPORT_FAILED;
    flyt_scenario_free(s);
    free(a);
    free(b.s);
    free(b.r);
    free(b.w);
    return x.rc;
}
