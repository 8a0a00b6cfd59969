/* Census files: CSV as a patient administration system exports it, parsed
 * by libcsv and checked row by row.
 *
 * A census is health data about identifiable people. The reader therefore
 * copies a field only when its column is one the model uses; other columns
 * are looked at (for identity numbers) but not kept, and columns the user
 * told us to ignore are not looked at at all. Messages name the row and the
 * column; they quote a value only when it is short and cannot be an
 * identity number, a phone number or the like (see quotable). */
#include "flyt/date.h"
#include "flyt/forecast.h"

#include <csv.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE_BYTES (512u << 20)
#define MAX_COLUMNS    256

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
    const char *file;
    const struct flyt_census_read_opts *o;
    struct flyt_census *out;
    struct flyt_diag *diag;
    int census_day;
    int n_errors;

    bool have_header;
    int n_cols;
    int col_kind[MAX_COLUMNS];
    char *col_name[MAX_COLUMNS]; /* headers, for messages; headers are not personal data */
    int where[N_COLS];           /* column index of each known column, -1 absent */

    int field;  /* index of the next field in the record */
    int filled; /* fields in the record that are not empty */
    char *value[N_COLS];
    bool bad_value[N_COLS]; /* shaped like an identity number: already reported */
    uint32_t line;          /* line being fed */
    uint32_t row_line;      /* the line of the record being built: one record, one line */
    uint32_t n_empty_rows;  /* rows of nothing but separators, skipped */
    uint32_t first_empty_row;
};

static void err(struct reader *r, uint32_t line, const char *col, const char *fmt, ...)
        __attribute__((format(printf, 4, 5)));

static void err(struct reader *r, uint32_t line, const char *col, const char *fmt, ...)
{
    r->n_errors++;
    if (r->n_errors > FLYT_CENSUS_MAX_ERRORS)
        return;
    char msg[600], key[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (col)
        snprintf(key, sizeof key, "column %s", col);
    flyt_diag_add(r->diag, r->file, (int)line, col ? key : NULL, "%s", msg);
}

static void warn(const struct reader *r, uint32_t line, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

static void warn(const struct reader *r, uint32_t line, const char *fmt, ...)
{
    if (!r->o->warn)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (line > 0)
        fprintf(r->o->warn, "%s:%u: warning: ", r->file, line);
    else
        fprintf(r->o->warn, "%s: warning: ", r->file);
    vfprintf(r->o->warn, fmt, ap);
    fputc('\n', r->o->warn);
    va_end(ap);
}

/* ---- what identifies a person ---- */

/* Lower-case ASCII with the Norwegian letters folded (ø -> o, æ -> ae,
 * å -> a), letters and digits only; tokens split at anything else. */
static void fold(const char *in, char *joined, size_t jn, char tokens[][32], int *nt, int max_t)
{
    size_t j = 0, t = 0;
    *nt = 0;
    bool in_tok = false;
    for (const unsigned char *p = (const unsigned char *)in; *p; p++) {
        const char *rep = NULL;
        char one[2] = { 0, 0 };
        if (p[0] == 0xC3 && p[1]) {
            unsigned c = p[1];
            rep = c == 0xB8 || c == 0x98   ? "o"
                  : c == 0xA6 || c == 0x86 ? "ae"
                  : c == 0xA5 || c == 0x85 ? "a"
                                           : "";
            p++;
        } else if (isalnum(*p)) {
            one[0] = (char)tolower(*p);
            rep = one;
        }
        if (!rep || !*rep) {
            if (in_tok && *nt < max_t) {
                tokens[*nt][t] = '\0';
                (*nt)++;
            }
            in_tok = false;
            t = 0;
            continue;
        }
        for (const char *c = rep; *c; c++) {
            if (j + 1 < jn)
                joined[j++] = *c;
            if (*nt < max_t && t + 1 < 32)
                tokens[*nt][t++] = *c;
        }
        in_tok = true;
    }
    if (in_tok && *nt < max_t) {
        tokens[*nt][t] = '\0';
        (*nt)++;
    }
    joined[j] = '\0';
}

struct id_pattern {
    const char *text;
    bool whole_word; /* short patterns match a whole word only ("nin" is in "nursing") */
    const char *what;
};

static const struct id_pattern id_patterns[] = {
    { "name", false, "a name" },
    { "navn", false, "a name" },
    { "fodselsnummer", false, "a national identity number" },
    { "foedselsnummer", false, "a national identity number" },
    { "fodselsnr", false, "a national identity number" },
    { "personnummer", false, "a national identity number" },
    { "personnr", false, "a national identity number" },
    { "nationalid", false, "a national identity number" },
    { "identitynumber", false, "a national identity number" },
    { "idnumber", false, "an identifier" },
    { "personid", false, "an identifier" },
    { "patientid", false, "an identifier" },
    { "pasientid", false, "an identifier" },
    { "journalnummer", false, "a record number" },
    { "journalnr", false, "a record number" },
    { "hospitalnumber", false, "a record number" },
    { "fnr", true, "a national identity number" },
    { "dnr", true, "a national identity number" },
    { "dnummer", true, "a national identity number" },
    { "ssn", true, "a national identity number" },
    { "nin", true, "a national identity number" },
    { "mrn", true, "a record number" },
    { "id", true, "an identifier" },
    { "birth", false, "a date of birth" },
    { "fodselsdato", false, "a date of birth" },
    { "foedselsdato", false, "a date of birth" },
    { "birthdate", false, "a date of birth" },
    { "dob", true, "a date of birth" },
    { "fodt", true, "a date of birth" },
    { "fdato", true, "a date of birth" },
    { "address", false, "an address" },
    { "adresse", false, "an address" },
    { "street", false, "an address" },
    { "gate", true, "an address" },
    { "postnummer", false, "an address" },
    { "postnr", true, "an address" },
    { "postcode", false, "an address" },
    { "zip", true, "an address" },
    { "zipcode", false, "an address" },
    { "phone", false, "a phone number" },
    { "telefon", false, "a phone number" },
    { "tlf", true, "a phone number" },
    { "mobil", false, "a phone number" },
    { "email", false, "an e-mail address" },
    { "epost", false, "an e-mail address" },
};

bool flyt_census_identifying_header(const char *header, const char **what)
{
    char joined[256], tokens[16][32];
    int nt;
    fold(header, joined, sizeof joined, tokens, &nt, 16);
    for (size_t i = 0; i < sizeof id_patterns / sizeof *id_patterns; i++) {
        const struct id_pattern *p = &id_patterns[i];
        bool hit = false;
        if (p->whole_word) {
            for (int t = 0; t < nt && !hit; t++)
                hit = strcmp(tokens[t], p->text) == 0;
        } else {
            hit = strstr(joined, p->text) != NULL;
        }
        if (hit) {
            if (what)
                *what = p->what;
            return true;
        }
    }
    return false;
}

bool flyt_census_looks_like_fnr(const char *v)
{
    int digits = 0;
    for (const char *p = v; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (*p != ' ' && *p != '.' && *p != '-' && *p != '\t')
            return false;
    }
    return digits == 11;
}

/* A value may be quoted back in a message only when it is short and holds
 * no long run of digits (an identity number, a phone number, a record
 * number) and nothing unprintable. Dates (runs of at most 4) pass. */
static bool long_digit_run(const char *v)
{
    int run = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        run = isdigit(*p) ? run + 1 : 0;
        if (run > 4)
            return true;
    }
    return false;
}

static bool quotable(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n > 24 || long_digit_run(v))
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\'')
            return false;
    return true;
}

/* ", got 'x'" or nothing, for the end of a message. */
static const char *got(const char *v, char *buf, size_t n)
{
    if (quotable(v))
        snprintf(buf, n, ", got '%s'", v);
    else
        snprintf(buf, n, " (the value is not shown)");
    return buf;
}

/* ---- values ---- */

static void trim(char *s)
{
    size_t n = strlen(s), a = 0;
    while (n > 0 && isspace((unsigned char)s[n - 1]))
        s[--n] = '\0';
    while (isspace((unsigned char)s[a]))
        a++;
    if (a)
        memmove(s, s + a, n - a + 1);
}

static bool blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isspace((unsigned char)s[i]))
            return false;
    return true;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

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

static int parse_bool(const char *v)
{
    static const char *const yes[] = { "yes", "y", "true", "1", "ja", "j" };
    static const char *const no[] = { "no", "n", "false", "0", "nei" };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        if (strcmp(v, yes[i]) == 0)
            return 1;
    for (size_t i = 0; i < sizeof no / sizeof *no; i++)
        if (strcmp(v, no[i]) == 0)
            return 0;
    return -1;
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
    return r->value[c] ? r->value[c] : "";
}

static bool row_location(struct reader *r, struct flyt_census_patient *cp)
{
    char g[64], ids[300];
    const struct flyt_scenario *s = r->o->s;
    const char *v = val(r, COL_LOCATION);
    if (!*v) {
        err(r, r->row_line, "location", "missing: every row needs a location");
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
        err(r, r->row_line, "location",
            "unknown location%s; expected hospital, ukp or a unit of the scenario (%s)",
            got(v, g, sizeof g), unit_ids(s, -1, ids, sizeof ids));
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
        err(r, r->row_line, "destination",
            "home is not a place anyone waits for: a patient decided for home has left "
            "(leave destination empty while the decision is pending)");
        return false;
    }
    int d = unit_named(s, v);
    if (d < 0) {
        err(r, r->row_line, "destination",
            "unknown destination%s; expected a unit of the scenario (%s), or empty",
            got(v, g, sizeof g), unit_ids(s, -1, ids, sizeof ids));
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
        err(r, r->row_line, "destination", "%s", why);
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
        err(r, r->row_line, "since", "missing: the date the patient came to this place");
        return false;
    }
    if (!parse_date(v, &since)) {
        err(r, r->row_line, "since", "not a date YYYY-MM-DD (or DD.MM.YYYY)%s",
            got(v, g, sizeof g));
        return false;
    }
    if (since > r->census_day) {
        err(r, r->row_line, "since", "%d days after the census date", since - r->census_day);
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
        err(r, r->row_line, "queued_since", "given without a destination to wait for");
        return false;
    }
    if (!parse_date(v, &queued)) {
        err(r, r->row_line, "queued_since", "not a date YYYY-MM-DD (or DD.MM.YYYY)%s",
            got(v, g, sizeof g));
        return false;
    }
    if (queued > r->census_day) {
        err(r, r->row_line, "queued_since", "%d days after the census date",
            queued - r->census_day);
        return false;
    }
    if (queued < since) {
        err(r, r->row_line, "queued_since", "before since: a patient queues from where it is");
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
            err(r, r->row_line, "cfs",
                "must be a whole number from 1 to 9 (Clinical Frailty Scale)%s",
                got(v, g, sizeof g));
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
            err(r, r->row_line, "age_band", "not one of the scenario's age bands (%s)%s", bands,
                got(v, g, sizeof g));
            ok = false;
        }
    }
    v = val(r, COL_COMPLEX);
    cp->complex = -1;
    if (*v) {
        int b = parse_bool(v);
        if (b < 0) {
            err(r, r->row_line, "complex", "must be yes or no (or ja/nei, true/false, 1/0)%s",
                got(v, g, sizeof g));
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
            err(r, r->row_line, "hours_per_week",
                "only for clients of a caseload unit and patients waiting for one (%s)",
                unit_ids(s, FLYT_UNIT_CASELOAD, ids, sizeof ids));
            ok = false;
        } else if (!parse_number(v, &h) || !(h >= 0) || h > 168) {
            err(r, r->row_line, "hours_per_week", "must be a number of hours from 0 to 168%s",
                got(v, g, sizeof g));
            ok = false;
        } else {
            cp->hours = h;
        }
    }
    return ok;
}

static void end_row(struct reader *r)
{
    for (int c = 0; c < N_COLS; c++)
        if (r->bad_value[c])
            return; /* already reported, and its value must not be parsed into a message */
    struct flyt_census_patient cp = { .row = r->row_line };
    if (!row_location(r, &cp))
        return;
    bool ok = row_destination(r, &cp);
    ok = row_dates(r, &cp) && ok;
    ok = row_attributes(r, &cp) && ok;
    if (ok && r->n_errors == 0 && flyt_census_add(r->out, &cp) != 0)
        err(r, r->row_line, NULL, "out of memory");
}

/* ---- the header ---- */

static bool ignored(const struct reader *r, const char *name)
{
    for (int i = 0; i < r->o->n_ignore; i++)
        if (strcasecmp(r->o->ignore[i], name) == 0)
            return true;
    return false;
}

static int known_column(const char *name)
{
    for (int c = 0; c < N_COLS; c++)
        if (strcasecmp(name, col_names[c]) == 0)
            return c;
    return -1;
}

static bool name_taken(const struct reader *r, int i)
{
    for (int c = 0; c < i; c++)
        if (r->col_name[c] && strcasecmp(r->col_name[c], r->col_name[i]) == 0)
            return true;
    return false;
}

static void header_field(struct reader *r, const char *name)
{
    int i = r->n_cols;
    if (i >= MAX_COLUMNS) {
        if (i == MAX_COLUMNS)
            err(r, r->row_line, NULL, "more than %d columns", MAX_COLUMNS);
        r->n_cols++;
        return;
    }
    r->col_name[i] = strdup(name);
    r->n_cols++;
    if (!r->col_name[i]) {
        err(r, r->row_line, NULL, "out of memory");
        return;
    }
    const char *what;
    int k = known_column(name);
    if (long_digit_run(name)) {
        /* Not a column name but data (a header line missing?): named by
         * position, never quoted. */
        r->col_kind[i] = COL_SKIP;
        char pos[32];
        snprintf(pos, sizeof pos, "#%d", i + 1);
        err(r, r->row_line, pos,
            "the header holds a long number, not a column name (is the header line missing?); "
            "the value is not shown");
    } else if (ignored(r, name)) {
        r->col_kind[i] = COL_SKIP;
        if (r->o->warn)
            fprintf(r->o->warn, "%s:%u: note: column '%s' is skipped unread (--ignore-column)\n",
                    r->file, r->row_line, name);
    } else if (k >= 0) {
        if (r->where[k] >= 0)
            err(r, r->row_line, col_names[k], "appears twice in the header");
        r->where[k] = i;
        r->col_kind[i] = k;
    } else if (!*name) {
        r->col_kind[i] = COL_UNKNOWN; /* a separator at the end of the line, often */
    } else if (name_taken(r, i)) {
        /* Which of two same-named columns a reader means is a guess. */
        r->col_kind[i] = COL_SKIP;
        err(r, r->row_line, name, "appears twice in the header; give each column its own name");
    } else if (flyt_census_identifying_header(name, &what)) {
        r->col_kind[i] = COL_SKIP;
        err(r, r->row_line, name,
            "looks like %s; flyt does not read data that identifies a person: remove the "
            "column, or pass --ignore-column '%s' to skip it unread",
            what, name);
    } else {
        r->col_kind[i] = COL_UNKNOWN; /* warned about once the header is known to be one */
    }
}

static void end_header(struct reader *r)
{
    r->have_header = true;
    static const enum col required[] = { COL_LOCATION, COL_SINCE };
    bool complete = true;
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (r->where[required[i]] < 0) {
            complete = false;
            err(r, r->row_line, col_names[required[i]],
                "missing from the header (the first line that is not a # comment)");
        }
    /* Without its required columns the first line may be a row of data:
     * its cells are then not repeated as column names. */
    for (int c = 0; complete && c < r->n_cols && c < MAX_COLUMNS; c++)
        if (r->col_kind[c] == COL_UNKNOWN && *r->col_name[c])
            warn(r, r->row_line, "column '%s' is not used by flyt and is ignored", r->col_name[c]);
        else if (r->col_kind[c] == COL_UNKNOWN)
            warn(r, r->row_line, "column %d has no name; it is not used by flyt and is ignored",
                 c + 1);
    for (int i = 0; i < r->o->n_ignore; i++) {
        bool found = false;
        for (int c = 0; c < r->n_cols && c < MAX_COLUMNS; c++)
            found = found || (r->col_name[c] && strcasecmp(r->col_name[c], r->o->ignore[i]) == 0);
        if (!found)
            warn(r, r->row_line, "--ignore-column '%s': no such column", r->o->ignore[i]);
    }
}

/* ---- libcsv callbacks ---- */

static void on_field(void *data, size_t len, void *vr)
{
    struct reader *r = vr;
    int i = r->field++;
    const char *s = data ? data : "";
    /* Whether a field is empty is all that is looked at before the row is
     * known to have the header's shape (a skipped column included). */
    if (!blank(s, len))
        r->filled++;
    if (!r->have_header) {
        char name[128];
        snprintf(name, sizeof name, "%s", s);
        trim(name);
        header_field(r, name);
        return;
    }
    if (i >= r->n_cols || i >= MAX_COLUMNS)
        return; /* beyond the header: the row is refused at its end */
    int kind = r->col_kind[i];
    if (kind == COL_SKIP)
        return;
    if (flyt_census_looks_like_fnr(s)) {
        err(r, r->row_line, r->col_name[i],
            "a value looks like a national identity number (11 digits) and is not shown; "
            "flyt does not read data that identifies a person: remove it, or pass "
            "--ignore-column '%s' to skip the column unread",
            r->col_name[i]);
        if (kind < N_COLS)
            r->bad_value[kind] = true;
        return;
    }
    if (kind == COL_UNKNOWN)
        return;
    free(r->value[kind]);
    r->value[kind] = strdup(s);
    if (r->value[kind]) {
        trim(r->value[kind]);
        if (kind != COL_AGE_BAND)
            lower(r->value[kind]);
    }
}

static void clear_values(struct reader *r)
{
    for (int c = 0; c < N_COLS; c++) {
        free(r->value[c]);
        r->value[c] = NULL;
        r->bad_value[c] = false;
    }
    r->field = 0;
    r->filled = 0;
}

/* The header line once more, as when two exports are joined. */
static bool repeats_header(const struct reader *r)
{
    return strcmp(val(r, COL_LOCATION), col_names[COL_LOCATION]) == 0 &&
           strcmp(val(r, COL_SINCE), col_names[COL_SINCE]) == 0;
}

static void on_record(int c, void *vr)
{
    struct reader *r = vr;
    (void)c;
    if (!r->have_header) {
        end_header(r);
    } else if (r->filled == 0) {
        /* Nothing but separators (a spreadsheet's formatted empty rows):
         * no patient, nothing lost. */
        if (r->n_empty_rows++ == 0)
            r->first_empty_row = r->row_line;
    } else if (r->field != r->n_cols) {
        err(r, r->row_line, NULL, "%d field%s where the header has %d (%s); the row is not read",
            r->field, r->field == 1 ? "" : "s", r->n_cols,
            r->field > r->n_cols ? "a separator too many, or a value holding an unquoted separator?"
                                 : "a separator missing?");
    } else if (repeats_header(r)) {
        err(r, r->row_line, NULL, "the header again (two files joined?); delete this line");
    } else {
        end_row(r);
    }
    clear_values(r);
}

/* ---- the file ---- */

static char *slurp(const char *path, size_t *n, struct reader *r)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        err(r, 0, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    while (buf) {
        size_t got_n = fread(buf + len, 1, cap - len - 1, f);
        len += got_n;
        if (got_n == 0)
            break;
        if (len + 1 == cap) {
            if (cap >= MAX_FILE_BYTES) {
                err(r, 0, NULL, "larger than %u MiB", MAX_FILE_BYTES >> 20);
                free(buf);
                buf = NULL;
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    if (buf && ferror(f)) {
        err(r, 0, NULL, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    else if (r->n_errors == 0)
        err(r, 0, NULL, "out of memory");
    *n = len;
    return buf;
}

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
        err(r, r->line, "census_date", "not a date YYYY-MM-DD%s", got(k, g, sizeof g));
    } else if (*date_line && day != *file_day) {
        err(r, r->line, "census_date", "a second census date, not the one on line %u; keep one",
            *date_line);
    } else if (!*date_line) {
        *file_day = day;
        *date_line = r->line;
    }
}

/* More semicolons than commas in the header: a spreadsheet set up for a
 * language whose decimal separator is the comma (Norwegian) wrote it. */
static unsigned char guess_delimiter(const char *line, size_t len)
{
    size_t commas = 0, semis = 0, tabs = 0;
    for (size_t i = 0; i < len; i++) {
        commas += line[i] == ',';
        semis += line[i] == ';';
        tabs += line[i] == '\t';
    }
    if (tabs > commas && tabs > semis)
        return '\t'; /* "text (tab delimited)" exports */
    return semis > commas ? ';' : ',';
}

/* libcsv trims spaces and tabs around fields; with tabs as separators only
 * spaces may be trimmed, or every separator would vanish. */
static int space_not_tab(unsigned char c)
{
    return c == ' ';
}

/* Whether s[0..n-1] is UTF-8 (no overlong two-byte forms). */
static bool utf8(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        int k = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (k < 0 || (k == 1 && *p < 0xC2) || end - p <= k)
            return false;
        for (int i = 1; i <= k; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += k + 1;
    }
    return true;
}

/* The line of buf that starts at pos: returns its length without the line
 * end and sets *next to where the next one starts. LF, CRLF and a CR alone
 * (old Mac files) all end a line. */
static size_t next_line(const char *buf, size_t len, size_t pos, size_t *next)
{
    size_t i = pos;
    while (i < len && buf[i] != '\n' && buf[i] != '\r')
        i++;
    *next = i;
    if (i < len)
        *next += buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n' ? 2 : 1;
    return i - pos;
}

/* The byte-order mark some spreadsheets write before the first line. */
static size_t skip_bom(const char *buf, size_t len)
{
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static const char *column_label(const struct reader *r, int i, char *buf, size_t n)
{
    if (r->have_header && i < r->n_cols && i < MAX_COLUMNS && r->col_name[i] && *r->col_name[i])
        return r->col_name[i];
    snprintf(buf, n, "#%d", i + 1);
    return buf;
}

/* One line, one record: a field may not run on to the next line, so a
 * quote left open cannot swallow the rows after it. Each line gets a fresh
 * parser, and nothing of a line that fails is kept. */
static void parse_line(struct reader *r, const char *line, size_t n, unsigned char delim)
{
    struct csv_parser p;
    char pos[32];
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
        err(r, r->line, NULL, "out of memory");
        return;
    }
    csv_set_delim(&p, delim);
    if (delim == '\t')
        csv_set_space_func(&p, space_not_tab);
    r->row_line = r->line;
    clear_values(r);
    if (csv_parse(&p, line, n, on_field, on_record, r) != n) {
        if (csv_error(&p) == CSV_EPARSE)
            err(r, r->line, column_label(r, r->field, pos, sizeof pos),
                "a quote inside a value that is not quoted, or text after a closing quote; put "
                "the whole value in quotes and double every quote inside it (\"\"); the value "
                "is not shown");
        else
            err(r, r->line, NULL, "cannot read the line: %s", csv_strerror(csv_error(&p)));
    } else if (csv_fini(&p, on_field, on_record, r) != 0) {
        if (csv_error(&p) == CSV_EPARSE)
            err(r, r->line, column_label(r, r->field, pos, sizeof pos),
                "a quoted value is not closed on its line (a closing quote missing, or a line "
                "break inside the value: every patient is one line); the value is not shown");
        else
            err(r, r->line, NULL, "cannot read the line: %s", csv_strerror(csv_error(&p)));
    }
    clear_values(r);
    csv_free(&p);
}

static void parse(struct reader *r, const char *buf, size_t len)
{
    unsigned char delim = 0;
    r->line = 0;
    for (size_t pos = 0, next; pos < len; pos = next) {
        size_t n = next_line(buf, len, pos, &next);
        /* A byte-order mark starts the file, or a second file joined to it. */
        size_t bom = skip_bom(buf + pos, n);
        const char *line = buf + pos + bom;
        n -= bom;
        r->line++;
        if (memchr(line, '\0', n)) {
            err(r, r->line, NULL,
                "a NUL byte: this is not UTF-8 text (a file saved as UTF-16?); save the census "
                "as CSV UTF-8");
            continue;
        }
        if (!utf8(line, n)) {
            err(r, r->line, NULL,
                "not UTF-8 text (a spreadsheet's Windows or Latin-1 export?); save the census as "
                "CSV UTF-8 (letters like æ, ø, å are fine in UTF-8)");
            continue;
        }
        if (!r->have_header && line[0] == '#')
            continue; /* read before: the census date */
        if (blank(line, n))
            continue;
        if (line[0] == '#') {
            err(r, r->line, NULL,
                "a # comment after the header; comments go before the header line");
            continue;
        }
        if (!delim)
            delim = guess_delimiter(line, n);
        parse_line(r, line, n, delim);
        if (!r->have_header)
            break; /* a header that cannot be read: every row would be misread */
    }
    if (r->n_empty_rows > 0)
        warn(r, r->first_empty_row,
             "%u rows hold nothing but separators; they were skipped (this is the first)",
             r->n_empty_rows);
    if (!r->have_header && r->n_errors == 0)
        err(r, 0, NULL, "no header line: the file holds nothing but # comments and empty lines");
}

int flyt_census_read(const char *path, const struct flyt_census_read_opts *o,
                     struct flyt_census *out, int *census_day, struct flyt_diag *diag)
{
    struct reader r = { .file = path, .o = o, .out = out, .diag = diag };
    for (int c = 0; c < N_COLS; c++)
        r.where[c] = -1;
    size_t len;
    char *buf = slurp(path, &len, &r);
    int file_day = INT_MIN;
    uint32_t date_line = 0;
    /* Rows are checked against the census date, so it must be known before
     * the first one: a leading comment line carries it. */
    for (size_t pos = buf ? skip_bom(buf, len) : len, next; pos < len && buf[pos] == '#';
         pos = next) {
        size_t n = next_line(buf, len, pos, &next);
        r.line++;
        comment_date(&r, buf + pos, n, &file_day, &date_line);
    }
    r.census_day = o->census_day != INT32_MIN ? o->census_day : file_day;
    if (buf && r.n_errors == 0 && r.census_day == INT_MIN)
        err(&r, 0, NULL,
            "no census date: pass --date YYYY-MM-DD or start the file with a line "
            "'# census_date: YYYY-MM-DD'");
    if (buf && r.n_errors == 0)
        parse(&r, buf, len);
    free(buf);
    clear_values(&r);
    for (int i = 0; i < r.n_cols && i < MAX_COLUMNS; i++)
        free(r.col_name[i]);
    if (r.n_errors > FLYT_CENSUS_MAX_ERRORS)
        flyt_diag_add(diag, path, 0, NULL, "%d more errors not shown",
                      r.n_errors - FLYT_CENSUS_MAX_ERRORS);
    *census_day = r.census_day;
    if (r.n_errors > 0) {
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
