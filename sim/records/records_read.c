/* Stay and discharge-ready records (flyt/records.h, docs/records.md): read
 * through the shared CSV layer, mapped to the scenario's units, checked
 * across rows (overlapping stays), and sorted by patient.
 *
 * Records are health data about people: the only value kept from a row
 * beyond times, places and attributes is the pseudonymous patient key, and
 * only until the rows are numbered by patient. No message quotes a value. */
#include "flyt/csv_table.h"
#include "flyt/records.h"
#include "flyt/scenario.h"
#include "records/rec_time.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_SHOWN FLYT_RECORDS_MAX_ERRORS

enum col {
    C_PATIENT,
    C_UNIT,
    C_START,
    C_END,
    C_NEXT,
    C_CFS,
    C_AGE_BAND,
    C_COMPLEX,
    C_READY,
    C_DECISION,
    C_DISCHARGE,
    C_DESTINATION,
    N_COLS
};

static const char *const col_names[N_COLS] = {
    "patient",  "unit",    "start", "end",      "next",      "cfs",
    "age_band", "complex", "ready", "decision", "discharge", "destination",
};

#define STAYS_REQUIRED (1u << C_PATIENT | 1u << C_UNIT | 1u << C_START | 1u << C_END | 1u << C_NEXT)
#define READY_REQUIRED \
    (1u << C_PATIENT | 1u << C_READY | 1u << C_DECISION | 1u << C_DISCHARGE | 1u << C_DESTINATION)

enum { M_CODE, M_UNIT, N_MAP_COLS };
static const char *const map_names[N_MAP_COLS] = { "code", "unit" };

/* A map target besides a unit index. */
enum { TO_HOME = -2, TO_DEATH = -3 };

struct map_row {
    char *code; /* lower case */
    int target; /* unit index, TO_HOME or TO_DEATH */
    uint32_t line;
};

struct ctx {
    const struct flyt_scenario *s;
    FILE *err;
    int n_errors;
    bool unreadable;
    struct map_row *map;
    size_t n_map, cap_map;
    const char *map_path;
    /* the file being read */
    uint16_t file;
    bool ready_file;
    struct rec_fmt_track fmt;
    /* rows, with their keys until they are numbered */
    struct flyt_rec_stay *stays;
    char **stay_key;
    size_t n_stays, cap_stays;
    struct flyt_rec_ready *ready;
    char **ready_key;
    size_t n_ready, cap_ready;
    double t_min, t_max;
    /* window comments: the value and where it was given */
    double c_from, c_until;
    const char *from_file, *until_file;
    uint32_t from_line, until_line;
};

static void vreport(struct ctx *c, const char *file, uint32_t line, const char *col,
                    const char *fmt, va_list ap) __attribute__((format(printf, 5, 0)));

static void vreport(struct ctx *c, const char *file, uint32_t line, const char *col,
                    const char *fmt, va_list ap)
{
    if (++c->n_errors > MAX_SHOWN)
        return;
    if (line > 0)
        fprintf(c->err, "%s:%u: error: ", file, line);
    else
        fprintf(c->err, "%s: error: ", file);
    if (col)
        fprintf(c->err, "column %s: ", col);
    vfprintf(c->err, fmt, ap);
    fputc('\n', c->err);
}

static void report_at(struct ctx *c, const char *file, uint32_t line, const char *col,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void report_at(struct ctx *c, const char *file, uint32_t line, const char *col,
                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, file, line, col, fmt, ap);
    va_end(ap);
}

/* The CSV layer's errors: every one is counted here across files. */
static void on_error(struct flyt_csv_table *t, uint32_t line, const char *col, const char *msg)
{
    struct ctx *c = t->ctx;
    if (line == 0 && strncmp(msg, "cannot ", 7) == 0)
        c->unreadable = true;
    report_at(c, t->file, line, col, "%s", msg);
}

static void row_error(struct flyt_csv_table *t, int col, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void row_error(struct flyt_csv_table *t, int col, const char *fmt, ...)
{
    t->n_errors++;
    va_list ap;
    va_start(ap, fmt);
    vreport(t->ctx, t->file, t->row_line, col >= 0 ? t->known[col] : NULL, fmt, ap);
    va_end(ap);
}

/* ---- the unit map ---- */

static int unit_of_id(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; s && u < s->n_units; u++)
        if (strcasecmp(s->units[u].id, id) == 0)
            return u;
    return -1;
}

static void on_map_row(struct flyt_csv_table *t)
{
    struct ctx *c = t->ctx;
    const char *code = flyt_csv_value(t, M_CODE), *unit = flyt_csv_value(t, M_UNIT);
    if (!*code) {
        row_error(t, M_CODE, "empty: every row maps a code of the records");
        return;
    }
    int target = strcmp(unit, "home") == 0    ? TO_HOME
                 : strcmp(unit, "death") == 0 ? TO_DEATH
                                              : unit_of_id(c->s, unit);
    if (!*unit || target == -1) {
        row_error(t, M_UNIT, "%s; expected a unit id of the scenario, home or death",
                  *unit ? "not a unit of the scenario" : "empty");
        return;
    }
    for (size_t i = 0; i < c->n_map; i++)
        if (strcmp(c->map[i].code, code) == 0) {
            if (c->map[i].target != target)
                row_error(t, M_CODE, "mapped differently on line %u", c->map[i].line);
            return;
        }
    if (c->n_map == c->cap_map) {
        size_t cap = c->cap_map ? 2 * c->cap_map : 32;
        struct map_row *m = realloc(c->map, cap * sizeof *m);
        if (!m) {
            row_error(t, -1, "out of memory");
            return;
        }
        c->map = m;
        c->cap_map = cap;
    }
    char *dup = strdup(code);
    if (!dup) {
        row_error(t, -1, "out of memory");
        return;
    }
    c->map[c->n_map++] = (struct map_row){ dup, target, t->row_line };
}

/* A code of the records: through the map, or (no map) a unit id of the
 * scenario; home and death are the format's own words. -1: unknown. */
static int place_of(const struct ctx *c, const char *v)
{
    if (strcmp(v, "home") == 0)
        return TO_HOME;
    if (strcmp(v, "death") == 0)
        return TO_DEATH;
    if (!c->map_path)
        return unit_of_id(c->s, v);
    for (size_t i = 0; i < c->n_map; i++)
        if (strcmp(c->map[i].code, v) == 0)
            return c->map[i].target;
    return -1;
}

/* ---- values ---- */

/* A date-time of column k; NaN when empty. False after an error. */
static bool time_of(struct flyt_csv_table *t, int k, bool required, double *x)
{
    struct ctx *c = t->ctx;
    const char *v = flyt_csv_value(t, k);
    *x = NAN;
    if (!*v) {
        if (required)
            row_error(t, k, "empty: every row needs it");
        return !required;
    }
    enum rec_fmt f;
    if (!flyt__rec_parse_time(v, x, &f)) {
        row_error(t, k,
                  "not a date-time (YYYY-MM-DD HH:MM, YYYY-MM-DDTHH:MM, DD.MM.YYYY HH:MM or a "
                  "date alone); the value is not shown");
        return false;
    }
    enum rec_fmt before = c->fmt.fmt;
    uint32_t before_line = c->fmt.line;
    if (!flyt__rec_fmt_fits(&c->fmt, f, t->row_line)) {
        if (!c->fmt.reported)
            row_error(t, k,
                      "written as %s, but line %u writes dates as %s; a file keeps to one format "
                      "(the first row that differs is shown)",
                      flyt__rec_fmt_name(f), before_line, flyt__rec_fmt_name(before));
        c->fmt.reported = true;
        return false;
    }
    if (*x < c->t_min)
        c->t_min = *x;
    if (*x > c->t_max)
        c->t_max = *x;
    return true;
}

static bool place(struct flyt_csv_table *t, int k, enum flyt_rec_place *p, int16_t *unit)
{
    const char *v = flyt_csv_value(t, k);
    *p = FLYT_REC_OPEN;
    *unit = -1;
    if (!*v)
        return true;
    int to = place_of(t->ctx, v);
    if (to == -1) {
        row_error(t, k, "an unknown place: not home, death or a code of the unit map");
        return false;
    }
    *p = to == TO_HOME ? FLYT_REC_HOME : to == TO_DEATH ? FLYT_REC_DEATH : FLYT_REC_UNIT;
    *unit = (int16_t)(to >= 0 ? to : -1);
    return true;
}

static bool attributes(struct flyt_csv_table *t, struct flyt_rec_stay *st)
{
    const struct ctx *c = t->ctx;
    bool ok = true;
    const char *v = flyt_csv_value(t, C_CFS);
    st->cfs = 0;
    if (*v) {
        char *end;
        long x = strtol(v, &end, 10);
        if (*end || x < 1 || x > 9) {
            row_error(t, C_CFS, "must be a whole number from 1 to 9 (Clinical Frailty Scale)");
            ok = false;
        } else {
            st->cfs = (int8_t)x;
        }
    }
    v = flyt_csv_value(t, C_AGE_BAND);
    st->age_band = -1;
    for (int i = 0; *v && i < c->s->n_age_bands; i++)
        if (strcasecmp(c->s->age_band[i], v) == 0)
            st->age_band = (int8_t)i;
    if (*v && st->age_band < 0) {
        row_error(t, C_AGE_BAND, "not one of the scenario's age bands");
        ok = false;
    }
    v = flyt_csv_value(t, C_COMPLEX);
    st->complex = -1;
    if (*v) {
        int b = flyt_csv_parse_bool(v);
        if (b < 0) {
            row_error(t, C_COMPLEX, "must be yes or no (or ja/nei, true/false, 1/0)");
            ok = false;
        }
        st->complex = (int8_t)b;
    }
    return ok;
}

static char *key_of(struct flyt_csv_table *t)
{
    const char *v = flyt_csv_value(t, C_PATIENT);
    if (!*v) {
        row_error(t, C_PATIENT, "empty: every row names its patient's pseudonymous key");
        return NULL;
    }
    char *k = strdup(v);
    if (!k)
        row_error(t, -1, "out of memory");
    return k;
}

static bool grow(void **p, size_t *cap, size_t n, size_t size, char ***keys)
{
    if (n < *cap)
        return true;
    size_t nc = *cap ? 2 * *cap : 256;
    void *q = realloc(*p, nc * size);
    if (!q)
        return false;
    *p = q;
    char **k = realloc(*keys, nc * sizeof **keys);
    if (!k)
        return false;
    *keys = k;
    *cap = nc;
    return true;
}

static void on_stay(struct flyt_csv_table *t)
{
    struct ctx *c = t->ctx;
    struct flyt_rec_stay st = { .row = t->row_line, .file = c->file };
    bool ok = true;
    const char *code = flyt_csv_value(t, C_UNIT);
    int u = *code ? place_of(c, code) : -1;
    if (!*code) {
        row_error(t, C_UNIT, "empty: every stay is in a unit");
        ok = false;
    } else if (u == -1) {
        row_error(t, C_UNIT, "an unknown unit: the code is not in the unit map");
        ok = false;
    } else if (u < 0) {
        row_error(t, C_UNIT, "maps to home or death, not to a unit of the scenario");
        ok = false;
    }
    st.unit = (int16_t)u;
    ok = time_of(t, C_START, true, &st.start) && ok;
    ok = time_of(t, C_END, false, &st.end) && ok;
    if (ok && st.end < st.start) {
        row_error(t, C_END, "before start");
        ok = false;
    }
    ok = place(t, C_NEXT, &st.next, &st.next_unit) && ok;
    ok = attributes(t, &st) && ok;
    char *key = key_of(t);
    if (!ok || !key) {
        free(key);
        return;
    }
    if (!grow((void **)&c->stays, &c->cap_stays, c->n_stays, sizeof st, &c->stay_key)) {
        free(key);
        row_error(t, -1, "out of memory");
        return;
    }
    c->stay_key[c->n_stays] = key;
    c->stays[c->n_stays++] = st;
}

static void on_ready(struct flyt_csv_table *t)
{
    struct ctx *c = t->ctx;
    struct flyt_rec_ready rd = { .row = t->row_line, .file = c->file };
    bool ok = time_of(t, C_READY, true, &rd.ready);
    ok = time_of(t, C_DECISION, false, &rd.decision) && ok;
    ok = time_of(t, C_DISCHARGE, false, &rd.discharge) && ok;
    ok = place(t, C_DESTINATION, &rd.destination, &rd.dest_unit) && ok;
    if (ok && rd.discharge < rd.ready) {
        row_error(t, C_DISCHARGE, "before ready");
        ok = false;
    }
    /* a date alone is kept as its 00:00, a date-time as it is: flyt fit
     * tells the two apart (a decision known by its day is taken at the
     * middle of it) */
    if (ok && rd.decision < floor(rd.ready)) {
        row_error(t, C_DECISION, "before the day the patient became ready");
        ok = false;
    }
    char *key = key_of(t);
    if (!ok || !key) {
        free(key);
        return;
    }
    if (!grow((void **)&c->ready, &c->cap_ready, c->n_ready, sizeof rd, &c->ready_key)) {
        free(key);
        row_error(t, -1, "out of memory");
        return;
    }
    c->ready_key[c->n_ready] = key;
    c->ready[c->n_ready++] = rd;
}

/* The file's kind from its header: a discharge-ready file has `ready`. */
static void on_header(struct flyt_csv_table *t)
{
    struct ctx *c = t->ctx;
    c->ready_file = t->where[C_READY] >= 0;
    t->required = c->ready_file ? READY_REQUIRED : STAYS_REQUIRED;
    t->row = c->ready_file ? on_ready : on_stay;
}

/* ---- window comments ---- */

/* "# from: 2025-01-01" and "# extracted: 2025-06-30T08:00" before the
 * header; two files that disagree are refused (the caller's options decide). */
static void comment(struct ctx *c, struct flyt_csv_table *t, const char *line, size_t len)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 255 ? len : 255), line);
    char *p = buf + 1;
    while (*p == ' ' || *p == '\t')
        p++;
    bool from = strncasecmp(p, "from", 4) == 0;
    bool until = strncasecmp(p, "extracted", 9) == 0;
    if (!from && !until)
        return;
    p += from ? 4 : 9;
    if (*p != ':' && *p != '=')
        return;
    p++;
    while (*p == ' ' || *p == '\t')
        p++;
    size_t n = strlen(p);
    while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        p[--n] = '\0';
    double x;
    enum rec_fmt f;
    const char *key = from ? "from" : "extracted";
    if (!flyt__rec_parse_time(p, &x, &f)) {
        report_at(c, t->file, t->line, key, "not a date or date-time");
        return;
    }
    double *have = from ? &c->c_from : &c->c_until;
    const char **file = from ? &c->from_file : &c->until_file;
    uint32_t *at = from ? &c->from_line : &c->until_line;
    if (*file && *have != x) {
        report_at(c, t->file, t->line, key,
                  "differs from the one on %s:%u; give the window with --from/--until", *file, *at);
        return;
    }
    *have = x;
    *file = t->file;
    *at = t->line;
}

/* ---- files ---- */

static void read_table(struct ctx *c, struct flyt_csv_table *t, bool comments)
{
    size_t len;
    char *buf = flyt_csv_slurp(t, &len);
    if (!buf)
        return;
    for (size_t pos = flyt_csv_skip_bom(buf, len), next; pos < len && buf[pos] == '#'; pos = next) {
        size_t n = flyt_csv_next_line(buf, len, pos, &next);
        t->line++;
        if (comments)
            comment(c, t, buf + pos, n);
    }
    flyt_csv_parse(t, buf, len);
    free(buf);
}

static void table_init(struct flyt_csv_table *t, struct ctx *c, const char *path,
                       const struct flyt_records_options *o)
{
    flyt_csv_table_init(t);
    t->file = path;
    t->what = "records";
    t->row_is = "record";
    t->ignore = o->ignore_columns;
    t->n_ignore = o->n_ignore;
    t->warn = c->err;
    t->ctx = c;
    t->report = on_error;
}

static void read_map(struct ctx *c, const struct flyt_records_options *o)
{
    struct flyt_csv_table t;
    table_init(&t, c, o->map_path, o);
    t.what = "unit map";
    t.row_is = "code";
    t.known = map_names;
    t.n_known = N_MAP_COLS;
    t.required = 1u << M_CODE | 1u << M_UNIT;
    t.row = on_map_row;
    read_table(c, &t, false);
    flyt_csv_table_free(&t);
}

static void read_records(struct ctx *c, const char *path, uint16_t file,
                         const struct flyt_records_options *o)
{
    struct flyt_csv_table t;
    table_init(&t, c, path, o);
    t.known = col_names;
    t.n_known = N_COLS;
    t.keep_case = 1u << C_PATIENT | 1u << C_AGE_BAND;
    t.header = on_header;
    c->file = file;
    c->fmt = (struct rec_fmt_track){ 0 };
    read_table(c, &t, true);
    flyt_csv_table_free(&t);
}

/* ---- patients, order, overlaps ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Numbers the patients in the order of their keys. */
static int number_patients(struct ctx *c, struct flyt_records *out)
{
    size_t n = c->n_stays + c->n_ready, k = 0;
    char **all = malloc((n ? n : 1) * sizeof *all);
    if (!all)
        return -1;
    for (size_t i = 0; i < c->n_stays; i++)
        all[k++] = c->stay_key[i];
    for (size_t i = 0; i < c->n_ready; i++)
        all[k++] = c->ready_key[i];
    if (n)
        qsort(all, n, sizeof *all, cmp_str);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || strcmp(all[u - 1], all[i]) != 0)
            all[u++] = all[i];
    for (size_t i = 0; i < c->n_stays; i++) {
        char **hit = bsearch(&c->stay_key[i], all, u, sizeof *all, cmp_str);
        c->stays[i].patient = (uint32_t)(hit - all);
    }
    for (size_t i = 0; i < c->n_ready; i++) {
        char **hit = bsearch(&c->ready_key[i], all, u, sizeof *all, cmp_str);
        c->ready[i].patient = (uint32_t)(hit - all);
    }
    free(all);
    out->n_patients = u;
    return 0;
}

static int cmp_stay(const void *a, const void *b)
{
    const struct flyt_rec_stay *x = a, *y = b;
    if (x->patient != y->patient)
        return x->patient < y->patient ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static int cmp_ready(const void *a, const void *b)
{
    const struct flyt_rec_ready *x = a, *y = b;
    if (x->patient != y->patient)
        return x->patient < y->patient ? -1 : 1;
    if (x->ready != y->ready)
        return x->ready < y->ready ? -1 : 1;
    if (x->file != y->file)
        return x->file < y->file ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

/* One patient is in one place at a time: a stay begins when the one
 * before has ended (an open stay never has). */
static void check_overlaps(struct ctx *c, const char *const *paths)
{
    for (size_t i = 1; i < c->n_stays; i++) {
        const struct flyt_rec_stay *a = &c->stays[i - 1], *b = &c->stays[i];
        if (a->patient != b->patient || (!isnan(a->end) && a->end <= b->start))
            continue;
        report_at(c, paths[b->file], b->row, NULL,
                  "this stay overlaps the patient's stay on %s:%u (%s); one patient is in one "
                  "place at a time",
                  paths[a->file], a->row,
                  isnan(a->end) ? "that one has no end" : "that one ends after this one starts");
    }
}

/* Times beyond the extraction time cannot have been seen. */
static void check_until(struct ctx *c, const char *const *paths, double until)
{
    for (size_t i = 0; i < c->n_stays; i++) {
        const struct flyt_rec_stay *a = &c->stays[i];
        if (a->start > until || a->end > until)
            report_at(c, paths[a->file], a->row, a->start > until ? "start" : "end",
                      "after the extraction time (--until or # extracted:)");
    }
    for (size_t i = 0; i < c->n_ready; i++) {
        const struct flyt_rec_ready *a = &c->ready[i];
        if (a->ready > until || a->discharge > until || a->decision > until)
            report_at(c, paths[a->file], a->row, NULL,
                      "a time after the extraction time (--until or # extracted:)");
    }
}

static bool option_time(struct ctx *c, const char *name, const char *v, double *x)
{
    enum rec_fmt f;
    if (!v)
        return false;
    if (!flyt__rec_parse_time(v, x, &f)) {
        report_at(c, name, 0, NULL, "not a date YYYY-MM-DD (or a date-time)");
        *x = NAN;
    }
    return true;
}

static void free_ctx(struct ctx *c)
{
    for (size_t i = 0; i < c->n_map; i++)
        free(c->map[i].code);
    free(c->map);
    for (size_t i = 0; i < c->n_stays; i++)
        free(c->stay_key[i]);
    for (size_t i = 0; i < c->n_ready; i++)
        free(c->ready_key[i]);
    free(c->stay_key);
    free(c->ready_key);
    free(c->stays);
    free(c->ready);
}

static int finish(struct ctx *c, const char *const *paths, int n_paths,
                  const struct flyt_records_options *o, struct flyt_records *out)
{
    double from = NAN, until = NAN;
    if (!option_time(c, "--from", o->from, &from) && c->from_file)
        from = c->c_from;
    if (!option_time(c, "--until", o->until, &until) && c->until_file)
        until = c->c_until;
    if (c->n_errors == 0 && number_patients(c, out) != 0) {
        fprintf(c->err, "flyt: error: out of memory\n");
        c->unreadable = true;
        c->n_errors++;
    }
    if (c->n_errors == 0) {
        if (c->n_stays)
            qsort(c->stays, c->n_stays, sizeof *c->stays, cmp_stay);
        if (c->n_ready)
            qsort(c->ready, c->n_ready, sizeof *c->ready, cmp_ready);
        check_overlaps(c, paths);
        if (!isnan(until))
            check_until(c, paths, until);
    }
    if (c->n_errors > MAX_SHOWN)
        fprintf(c->err, "flyt: %d more errors not shown\n", c->n_errors - MAX_SHOWN);
    if (c->n_errors > 0)
        return c->unreadable ? 1 : 2;
    out->from = !isnan(from) ? from : c->t_min;
    out->until = !isnan(until) ? until : c->t_max;
    out->stays = c->stays;
    out->n_stays = c->n_stays;
    out->ready = c->ready;
    out->n_ready = c->n_ready;
    out->n_files = n_paths;
    c->stays = NULL;
    c->ready = NULL;
    return 0;
}

int flyt_records_read(const char *const *paths, int n_paths, const struct flyt_records_options *o,
                      const struct flyt_scenario *s, struct flyt_records *out, FILE *err)
{
    memset(out, 0, sizeof *out);
    struct ctx c = { .s = s, .err = err ? err : stderr, .map_path = o->map_path };
    c.t_min = INFINITY;
    c.t_max = -INFINITY;
    if (n_paths < 1 || n_paths > UINT16_MAX) {
        fprintf(c.err, "flyt: error: give 1 to %d record files\n", (int)UINT16_MAX);
        return 2;
    }
    if (o->map_path)
        read_map(&c, o);
    if (c.n_errors == 0)
        for (int i = 0; i < n_paths; i++)
            read_records(&c, paths[i], (uint16_t)i, o);
    int rc = finish(&c, paths, n_paths, o, out);
    free_ctx(&c); /* the keys go here: only the numbers are kept */
    if (rc != 0)
        flyt_records_free(out);
    return rc;
}

void flyt_records_free(struct flyt_records *r)
{
    if (!r)
        return;
    free(r->stays);
    free(r->ready);
    memset(r, 0, sizeof *r);
}
