/* Census files: CSV as a patient administration system exports it, read
 * through the shared CSV layer (flyt/csv_table.h: encoding, quotes, the
 * header, identifying columns) and checked row by row here.
 *
 * A census is health data about identifiable people. The reader therefore
 * copies a field only when its column is one the model uses; other columns
 * are looked at (for identity numbers) but not kept, and columns the user
 * told us to ignore are not looked at at all. Messages name the row and the
 * column; they quote a value only when it is short and cannot be an
 * identity number, a phone number or the like (flyt_csv_got). */
#include "flyt/csv_table.h"
#include "flyt/date.h"
#include "flyt/forecast.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum col {
    COL_LOCATION,
    COL_SINCE,
    COL_DESTINATION,
    COL_QUEUED_SINCE,
    COL_CFS,
    COL_AGE_BAND,
    COL_COMPLEX,
    COL_HOURS,
    N_COLS,
    COL_SKIP,   /* ignored on request: never looked at */
    COL_UNKNOWN /* not used: scanned for identity numbers, not kept */
};

static const char *const col_names[N_COLS] = {
    "location", "since",    "destination", "queued_since",
    "cfs",      "age_band", "complex",     "hours_per_week",
};

struct reader {
    struct flyt_csv_table t;
    const struct flyt_census_read_opts *o;
    struct flyt_census *out;
    struct flyt_diag *diag;
    int census_day;
};

/* Errors beyond the first FLYT_CENSUS_MAX_ERRORS are only counted. */
static void report(struct flyt_csv_table *t, uint32_t line, const char *col, const char *msg)
{
    struct reader *r = t->ctx;
    if (t->n_errors > FLYT_CENSUS_MAX_ERRORS)
        return;
    char key[200];
    if (col)
        snprintf(key, sizeof key, "column %s", col);
    flyt_diag_add(r->diag, t->file, (int)line, col ? key : NULL, "%s", msg);
}

bool flyt_census_identifying_header(const char *header, const char **what)
{
    return flyt_csv_identifying_header(header, what);
}

bool flyt_census_looks_like_fnr(const char *v)
{
    return flyt_csv_looks_like_fnr(v);
}

/* ---- values ---- */

/* YYYY-MM-DD, or DD.MM.YYYY as Norwegian spreadsheets write dates. */
static bool parse_date(const char *v, int *days)
{
    int y, m, d, n = 0;
    if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || v[n] != '\0') {
        n = 0;
        if (sscanf(v, "%2d.%2d.%4d%n", &d, &m, &y, &n) != 3 || v[n] != '\0')
            return false;
    }
    if (y < 1900 || y > 2200 || m < 1 || m > 12 || d < 1 || d > 31)
        return false;
    int ry, rm, rd;
    *days = flyt_days_from_civil(y, m, d);
    flyt_civil_from_days(*days, &ry, &rm, &rd);
    return ry == y && rm == m && rd == d;
}

struct alias {
    const char *text;
    const char *id;
};

/* The census format's own words for the hospital's two states. */
static const char *const hospital_words[] = { "hospital", "treatment", "sykehus", "innlagt" };
static const char *const ukp_words[] = { "ukp", "discharge_ready", "utskrivningsklar" };

/* Names of the first model's three places, still found in older census
 * files and in Norwegian exports: they name a unit only when the scenario
 * has one of that id. */
static const struct alias unit_alias[] = {
    { "korttid", "short_term" },        { "sykehjem", "nursing_home" },
    { "langtid", "nursing_home" },      { "hjemmetjenester", "home_care" },
    { "hjemmesykepleie", "home_care" },
};

static bool one_of(const char *const *words, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(words[i], v) == 0)
            return true;
    return false;
}

static int unit_of_id(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; s && u < s->n_units; u++)
        if (strcasecmp(s->units[u].id, id) == 0)
            return u;
    return -1;
}

/* A unit by its id (values are lower-cased, ids need not be), or by an
 * alias of one; -1 when the scenario has none. */
static int unit_named(const struct flyt_scenario *s, const char *v)
{
    int u = unit_of_id(s, v);
    for (size_t i = 0; u < 0 && i < sizeof unit_alias / sizeof *unit_alias; i++)
        if (strcmp(unit_alias[i].text, v) == 0)
            u = unit_of_id(s, unit_alias[i].id);
    return u;
}

/* The scenario's unit ids that a census row may name (all but the
 * hospital's, which is `hospital`), for messages; `kind` < 0: any kind. */
static const char *unit_ids(const struct flyt_scenario *s, int kind, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int u = 0; s && u < s->n_units; u++) {
        if (u == s->hospital || (kind >= 0 && (int)s->units[u].kind != kind))
            continue;
        int w = snprintf(buf + len, n - len, "%s%s", len ? ", " : "", s->units[u].id);
        if (w < 0 || (size_t)w >= n - len) {
            size_t at = len < n - 6 ? len : n - 6; /* room for ", ..." and its NUL */
            memcpy(buf + at, ", ...", 6);
            break;
        }
        len += (size_t)w;
    }
    if (!buf[0])
        snprintf(buf, n, "none");
    return buf;
}

/* A decimal number; a decimal comma is accepted (Norwegian spreadsheets). */
static bool parse_number(const char *v, double *x)
{
    char buf[64], *end;
    if (strlen(v) >= sizeof buf || !*v)
        return false;
    snprintf(buf, sizeof buf, "%s", v);
    for (char *p = buf; *p; p++)
        if (*p == ',')
            *p = '.';
    errno = 0;
    *x = strtod(buf, &end);
    return errno == 0 && *end == '\0' && isfinite(*x);
}

/* ---- one row ---- */

static const char *val(const struct reader *r, enum col c)
{
    return flyt_csv_value(&r->t, (int)c);
}

static bool row_location(struct reader *r, struct flyt_census_patient *cp)
{
    char g[64], ids[300];
    const struct flyt_scenario *s = r->o->s;
    const char *v = val(r, COL_LOCATION);
    if (!*v) {
        flyt_csv_error(&r->t, r->t.row_line, "location", "missing: every row needs a location");
        return false;
    }
    /* The format's two words first: a unit may not take their meaning. */
    int u = strcmp(v, "hospital") == 0 || strcmp(v, "ukp") == 0 ? -1 : unit_named(s, v);
    if (u >= 0)
        cp->loc = (int16_t)(u == s->hospital ? FLYT_CENSUS_HOSPITAL : u);
    else if (one_of(hospital_words, sizeof hospital_words / sizeof *hospital_words, v))
        cp->loc = FLYT_CENSUS_HOSPITAL;
    else if (one_of(ukp_words, sizeof ukp_words / sizeof *ukp_words, v))
        cp->loc = FLYT_CENSUS_UKP;
    else {
        flyt_csv_error(&r->t, r->t.row_line, "location",
                       "unknown location%s; expected hospital, ukp or a unit of the scenario (%s)",
                       flyt_csv_got(v, g, sizeof g), unit_ids(s, -1, ids, sizeof ids));
        return false;
    }
    return true;
}

/* Which destinations make sense where the patient is: a place another
 * than the one the patient is in, and not the hospital. */
static bool row_destination(struct reader *r, struct flyt_census_patient *cp)
{
    char g[64], ids[300];
    const struct flyt_scenario *s = r->o->s;
    const char *v = val(r, COL_DESTINATION);
    cp->dest = -1;
    if (!*v)
        return true;
    if (strcmp(v, "home") == 0 || strcmp(v, "hjem") == 0) {
        flyt_csv_error(&r->t, r->t.row_line, "destination",
                       "home is not a place anyone waits for: a patient decided for home has left "
                       "(leave destination empty while the decision is pending)");
        return false;
    }
    int d = unit_named(s, v);
    if (d < 0) {
        flyt_csv_error(&r->t, r->t.row_line, "destination",
                       "unknown destination%s; expected a unit of the scenario (%s), or empty",
                       flyt_csv_got(v, g, sizeof g), unit_ids(s, -1, ids, sizeof ids));
        return false;
    }
    const char *why = NULL;
    if (d == s->hospital)
        why = "the hospital is not a place to wait for (a patient in treatment is 'hospital')";
    else if (cp->loc == FLYT_CENSUS_HOSPITAL)
        why = "a patient in hospital treatment waits for no place (a discharge-ready patient "
              "is 'ukp')";
    else if (cp->loc == d)
        why = "a patient cannot wait for the unit it is in";
    if (why) {
        flyt_csv_error(&r->t, r->t.row_line, "destination", "%s", why);
        return false;
    }
    cp->dest = (int16_t)d;
    return true;
}

/* A state entered on date X began, on average, at noon of X; one entered on
 * the census date itself has just begun. */
static double elapsed_from(int census_day, int day)
{
    double e = (double)(census_day - day) - 0.5;
    return e > 0 ? e : 0.0;
}

static bool row_dates(struct reader *r, struct flyt_census_patient *cp)
{
    char g[64];
    int since, queued;
    const char *v = val(r, COL_SINCE);
    if (!*v) {
        flyt_csv_error(&r->t, r->t.row_line, "since",
                       "missing: the date the patient came to this place");
        return false;
    }
    if (!parse_date(v, &since)) {
        flyt_csv_error(&r->t, r->t.row_line, "since", "not a date YYYY-MM-DD (or DD.MM.YYYY)%s",
                       flyt_csv_got(v, g, sizeof g));
        return false;
    }
    if (since > r->census_day) {
        flyt_csv_error(&r->t, r->t.row_line, "since", "%d days after the census date",
                       since - r->census_day);
        return false;
    }
    cp->elapsed_days = elapsed_from(r->census_day, since);
    cp->queued_days = -1;
    v = val(r, COL_QUEUED_SINCE);
    if (!*v) {
        if (cp->dest >= 0)
            cp->queued_days = cp->elapsed_days; /* queued since it came */
        return true;
    }
    if (cp->dest < 0) {
        flyt_csv_error(&r->t, r->t.row_line, "queued_since",
                       "given without a destination to wait for");
        return false;
    }
    if (!parse_date(v, &queued)) {
        flyt_csv_error(&r->t, r->t.row_line, "queued_since",
                       "not a date YYYY-MM-DD (or DD.MM.YYYY)%s", flyt_csv_got(v, g, sizeof g));
        return false;
    }
    if (queued > r->census_day) {
        flyt_csv_error(&r->t, r->t.row_line, "queued_since", "%d days after the census date",
                       queued - r->census_day);
        return false;
    }
    if (queued < since) {
        flyt_csv_error(&r->t, r->t.row_line, "queued_since",
                       "before since: a patient queues from where it is");
        return false;
    }
    cp->queued_days = elapsed_from(r->census_day, queued);
    return true;
}

static bool row_attributes(struct reader *r, struct flyt_census_patient *cp)
{
    char g[64];
    bool ok = true;
    const char *v = val(r, COL_CFS);
    cp->cfs = 0;
    if (*v) {
        char *end;
        long c = strtol(v, &end, 10);
        if (*end || c < 1 || c > 9) {
            flyt_csv_error(&r->t, r->t.row_line, "cfs",
                           "must be a whole number from 1 to 9 (Clinical Frailty Scale)%s",
                           flyt_csv_got(v, g, sizeof g));
            ok = false;
        } else {
            cp->cfs = (int8_t)c;
        }
    }
    v = val(r, COL_AGE_BAND);
    cp->age_band = -1;
    if (*v) {
        const struct flyt_scenario *s = r->o->s;
        for (int i = 0; s && i < s->n_age_bands; i++)
            if (strcasecmp(s->age_band[i], v) == 0)
                cp->age_band = (int8_t)i;
        if (cp->age_band < 0) {
            char bands[400] = "";
            for (int i = 0; s && i < s->n_age_bands; i++)
                snprintf(bands + strlen(bands), sizeof bands - strlen(bands), "%s'%s'",
                         i ? ", " : "", s->age_band[i]);
            flyt_csv_error(&r->t, r->t.row_line, "age_band",
                           "not one of the scenario's age bands (%s)%s", bands,
                           flyt_csv_got(v, g, sizeof g));
            ok = false;
        }
    }
    v = val(r, COL_COMPLEX);
    cp->complex = -1;
    if (*v) {
        int b = flyt_csv_parse_bool(v);
        if (b < 0) {
            flyt_csv_error(&r->t, r->t.row_line, "complex",
                           "must be yes or no (or ja/nei, true/false, 1/0)%s",
                           flyt_csv_got(v, g, sizeof g));
            ok = false;
        }
        cp->complex = (int8_t)b;
    }
    v = val(r, COL_HOURS);
    cp->hours = -1;
    if (*v) {
        double h;
        const struct flyt_scenario *s = r->o->s;
        bool caseload = (cp->loc >= 0 && s->units[cp->loc].kind == FLYT_UNIT_CASELOAD) ||
                        (cp->dest >= 0 && s->units[cp->dest].kind == FLYT_UNIT_CASELOAD);
        if (!caseload) {
            char ids[300];
            flyt_csv_error(&r->t, r->t.row_line, "hours_per_week",
                           "only for clients of a caseload unit and patients waiting for one (%s)",
                           unit_ids(s, FLYT_UNIT_CASELOAD, ids, sizeof ids));
            ok = false;
        } else if (!parse_number(v, &h) || !(h >= 0) || h > 168) {
            flyt_csv_error(&r->t, r->t.row_line, "hours_per_week",
                           "must be a number of hours from 0 to 168%s",
                           flyt_csv_got(v, g, sizeof g));
            ok = false;
        } else {
            cp->hours = h;
        }
    }
    return ok;
}

/* A row whose values the CSV layer let through (none shaped like an
 * identity number). */
static void end_row(struct flyt_csv_table *t)
{
    struct reader *r = t->ctx;
    struct flyt_census_patient cp = { .row = r->t.row_line };
    if (!row_location(r, &cp))
        return;
    bool ok = row_destination(r, &cp);
    ok = row_dates(r, &cp) && ok;
    ok = row_attributes(r, &cp) && ok;
    if (ok && r->t.n_errors == 0 && flyt_census_add(r->out, &cp) != 0)
        flyt_csv_error(&r->t, r->t.row_line, NULL, "out of memory");
}

/* ---- the file ---- */

/* "# census_date: 2025-03-14" (or census_date=...) on a leading comment
 * line fixes the census date when --date does not. */
static void comment_date(struct reader *r, const char *line, size_t len, int *file_day,
                         uint32_t *date_line)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%.*s", (int)(len < 255 ? len : 255), line);
    char *k = strstr(buf, "census_date");
    if (!k)
        return;
    k += strlen("census_date");
    while (*k == ' ' || *k == ':' || *k == '=')
        k++;
    char *e = k;
    while (*e && !isspace((unsigned char)*e))
        e++;
    *e = '\0';
    int day;
    if (!parse_date(k, &day)) {
        char g[64];
        flyt_csv_error(&r->t, r->t.line, "census_date", "not a date YYYY-MM-DD%s",
                       flyt_csv_got(k, g, sizeof g));
    } else if (*date_line && day != *file_day) {
        flyt_csv_error(&r->t, r->t.line, "census_date",
                       "a second census date, not the one on line %u; keep one", *date_line);
    } else if (!*date_line) {
        *file_day = day;
        *date_line = r->t.line;
    }
}

int flyt_census_read(const char *path, const struct flyt_census_read_opts *o,
                     struct flyt_census *out, int *census_day, struct flyt_diag *diag)
{
    struct reader r = { .o = o, .out = out, .diag = diag };
    flyt_csv_table_init(&r.t);
    r.t.file = path;
    r.t.what = "census";
    r.t.row_is = "patient";
    r.t.known = col_names;
    r.t.n_known = N_COLS;
    r.t.required = 1u << COL_LOCATION | 1u << COL_SINCE;
    r.t.keep_case = 1u << COL_AGE_BAND;
    r.t.ignore = o->ignore;
    r.t.n_ignore = o->n_ignore;
    r.t.warn = o->warn;
    r.t.ctx = &r;
    r.t.report = report;
    r.t.row = end_row;
    size_t len;
    char *buf = flyt_csv_slurp(&r.t, &len);
    int file_day = INT_MIN;
    uint32_t date_line = 0;
    /* Rows are checked against the census date, so it must be known before
     * the first one: a leading comment line carries it. */
    for (size_t pos = buf ? flyt_csv_skip_bom(buf, len) : len, next; pos < len && buf[pos] == '#';
         pos = next) {
        size_t n = flyt_csv_next_line(buf, len, pos, &next);
        r.t.line++;
        comment_date(&r, buf + pos, n, &file_day, &date_line);
    }
    r.census_day = o->census_day != INT32_MIN ? o->census_day : file_day;
    if (buf && r.t.n_errors == 0 && r.census_day == INT_MIN)
        flyt_csv_error(&r.t, 0, NULL,
                       "no census date: pass --date YYYY-MM-DD or start the file with a line "
                       "'# census_date: YYYY-MM-DD'");
    if (buf && r.t.n_errors == 0)
        flyt_csv_parse(&r.t, buf, len);
    free(buf);
    flyt_csv_table_free(&r.t);
    if (r.t.n_errors > FLYT_CENSUS_MAX_ERRORS)
        flyt_diag_add(diag, path, 0, NULL, "%d more errors not shown",
                      r.t.n_errors - FLYT_CENSUS_MAX_ERRORS);
    *census_day = r.census_day;
    if (r.t.n_errors > 0) {
        flyt_census_free(out);
        return -1;
    }
    return 0;
}

/* ---- writing ---- */

static void put_date(FILE *f, int day)
{
    int y, m, d;
    flyt_civil_from_days(day, &y, &m, &d);
    fprintf(f, "%04d-%02d-%02d", y, m, d);
}

int flyt_census_write_csv(FILE *f, const struct flyt_census *c, const struct flyt_scenario *s,
                          int census_day)
{
    fputs("# census_date: ", f);
    put_date(f, census_day);
    fputs("\nlocation,since,destination,queued_since,cfs,age_band,complex,hours_per_week\n", f);
    for (size_t i = 0; i < c->n; i++) {
        const struct flyt_census_patient *p = &c->p[i];
        fprintf(f, "%s,", flyt_census_loc_name(s, p->loc));
        put_date(f, census_day - (int)ceil(p->elapsed_days - 1e-9));
        fprintf(f, ",%s,", p->dest >= 0 ? flyt_census_loc_name(s, p->dest) : "");
        if (p->dest >= 0 && p->queued_days >= 0)
            put_date(f, census_day - (int)ceil(p->queued_days - 1e-9));
        fputc(',', f);
        if (p->cfs >= 1)
            fprintf(f, "%d", p->cfs);
        fputc(',', f);
        if (p->age_band >= 0 && s && p->age_band < s->n_age_bands)
            fputs(s->age_band[p->age_band], f);
        fprintf(f, ",%s,", p->complex < 0 ? "" : p->complex ? "yes" : "no");
        if (p->hours >= 0)
            fprintf(f, "%.2f", p->hours);
        fputc('\n', f);
    }
    return ferror(f) ? -1 : 0;
}
