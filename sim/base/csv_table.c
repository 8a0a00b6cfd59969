/* CSV tables: the generic layer of census and record files and of a
 * scenario's arrivals tables (flyt/csv_table.h), parsed by libcsv one line
 * at a time. */
#include "flyt/csv_table.h"

#include <csv.h>

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_FILE_BYTES (512u << 20)

void flyt_csv_table_init(struct flyt_csv_table *t)
{
    memset(t, 0, sizeof *t);
    for (int k = 0; k < FLYT_CSV_MAX_KNOWN; k++)
        t->where[k] = -1;
}

void flyt_csv_error(struct flyt_csv_table *t, uint32_t line, const char *col, const char *fmt, ...)
{
    t->n_errors++;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (t->report)
        t->report(t, line, col, msg);
}

void flyt_csv_warn(const struct flyt_csv_table *t, uint32_t line, const char *fmt, ...)
{
    if (!t->warn)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (line > 0)
        fprintf(t->warn, "%s:%u: warning: ", t->file, line);
    else
        fprintf(t->warn, "%s: warning: ", t->file);
    vfprintf(t->warn, fmt, ap);
    fputc('\n', t->warn);
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

bool flyt_csv_identifying_header(const char *header, const char **what)
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

bool flyt_csv_looks_like_fnr(const char *v)
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

/* Dates (runs of at most 4) pass. */
bool flyt_csv_long_digit_run(const char *v)
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
    if (n == 0 || n > 24 || flyt_csv_long_digit_run(v))
        return false;
    for (const unsigned char *p = (const unsigned char *)v; *p; p++)
        if (*p < 0x20 || *p == 0x7f || *p == '\'')
            return false;
    return true;
}

const char *flyt_csv_got(const char *v, char *buf, size_t n)
{
    if (quotable(v))
        snprintf(buf, n, ", got '%s'", v);
    else
        snprintf(buf, n, " (the value is not shown)");
    return buf;
}

int flyt_csv_parse_bool(const char *v)
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

const char *flyt_csv_value(const struct flyt_csv_table *t, int k)
{
    return k >= 0 && k < t->n_known && t->value[k] ? t->value[k] : "";
}

/* ---- the header ---- */

static bool ignored(const struct flyt_csv_table *t, const char *name)
{
    for (int i = 0; i < t->n_ignore; i++)
        if (strcasecmp(t->ignore[i], name) == 0)
            return true;
    return false;
}

static int known_column(const struct flyt_csv_table *t, const char *name)
{
    for (int c = 0; c < t->n_known; c++)
        if (strcasecmp(name, t->known[c]) == 0)
            return c;
    return -1;
}

static bool name_taken(const struct flyt_csv_table *t, int i)
{
    for (int c = 0; c < i; c++)
        if (t->col_name[c] && strcasecmp(t->col_name[c], t->col_name[i]) == 0)
            return true;
    return false;
}

/* "a, b and c": the known columns, for a message. */
static const char *known_list(const struct flyt_csv_table *t, char *buf, size_t n)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < t->n_known && len < n; k++)
        len += (size_t)snprintf(buf + len, n - len, "%s%s",
                                k == 0                ? ""
                                : k == t->n_known - 1 ? " and "
                                                      : ", ",
                                t->known[k]);
    return buf;
}

static void header_field(struct flyt_csv_table *t, const char *name)
{
    int i = t->n_cols;
    if (i >= FLYT_CSV_MAX_COLUMNS) {
        if (i == FLYT_CSV_MAX_COLUMNS)
            flyt_csv_error(t, t->row_line, NULL, "more than %d columns", FLYT_CSV_MAX_COLUMNS);
        t->n_cols++;
        return;
    }
    t->col_name[i] = strdup(name);
    t->n_cols++;
    if (!t->col_name[i]) {
        flyt_csv_error(t, t->row_line, NULL, "out of memory");
        return;
    }
    const char *what;
    int k = known_column(t, name);
    if (!t->not_personal && flyt_csv_long_digit_run(name)) {
        /* Not a column name but data (a header line missing?): named by
         * position, never quoted. */
        t->col_kind[i] = FLYT_CSV_SKIP;
        char pos[32];
        snprintf(pos, sizeof pos, "#%d", i + 1);
        flyt_csv_error(t, t->row_line, pos,
                       "the header holds a long number, not a column name (is the header line "
                       "missing?); the value is not shown");
    } else if (ignored(t, name)) {
        t->col_kind[i] = FLYT_CSV_SKIP;
        if (t->warn)
            fprintf(t->warn, "%s:%u: note: column '%s' is skipped unread (--ignore-column)\n",
                    t->file, t->row_line, name);
    } else if (k >= 0) {
        if (t->where[k] >= 0)
            flyt_csv_error(t, t->row_line, t->known[k], "appears twice in the header");
        t->where[k] = i;
        t->col_kind[i] = k;
    } else if (t->only_known) {
        /* said as it is read: a line that then fails to parse still names it */
        char list[256];
        t->col_kind[i] = FLYT_CSV_SKIP;
        flyt_csv_error(t, t->row_line, name, "unknown column: the %s has the columns %s", t->what,
                       known_list(t, list, sizeof list));
    } else if (!*name) {
        t->col_kind[i] = FLYT_CSV_UNKNOWN; /* a separator at the end of the line, often */
    } else if (name_taken(t, i)) {
        /* Which of two same-named columns a reader means is a guess. */
        t->col_kind[i] = FLYT_CSV_SKIP;
        flyt_csv_error(t, t->row_line, name,
                       "appears twice in the header; give each column its own name");
    } else if (!t->not_personal && flyt_csv_identifying_header(name, &what)) {
        t->col_kind[i] = FLYT_CSV_SKIP;
        flyt_csv_error(t, t->row_line, name,
                       "looks like %s; flyt does not read data that identifies a person: remove "
                       "the column, or pass --ignore-column '%s' to skip it unread",
                       what, name);
    } else {
        t->col_kind[i] = FLYT_CSV_UNKNOWN; /* warned about once the header is known to be one */
    }
}

static void end_header(struct flyt_csv_table *t)
{
    t->have_header = true;
    if (t->header)
        t->header(t);
    bool complete = true;
    for (int k = 0; k < t->n_known; k++)
        if ((t->required >> k & 1u) && t->where[k] < 0) {
            complete = false;
            flyt_csv_error(t, t->row_line, t->known[k],
                           "missing from the header (the first line that is not a # comment)");
        }
    /* Without its required columns the first line may be a row of data:
     * its cells are then not repeated as column names. */
    for (int c = 0; complete && c < t->n_cols && c < FLYT_CSV_MAX_COLUMNS; c++)
        if (t->col_kind[c] == FLYT_CSV_UNKNOWN && *t->col_name[c])
            flyt_csv_warn(t, t->row_line, "column '%s' is not used by flyt and is ignored",
                          t->col_name[c]);
        else if (t->col_kind[c] == FLYT_CSV_UNKNOWN)
            flyt_csv_warn(t, t->row_line,
                          "column %d has no name; it is not used by flyt and is ignored", c + 1);
    for (int i = 0; i < t->n_ignore; i++) {
        bool found = false;
        for (int c = 0; c < t->n_cols && c < FLYT_CSV_MAX_COLUMNS; c++)
            found = found || (t->col_name[c] && strcasecmp(t->col_name[c], t->ignore[i]) == 0);
        if (!found)
            flyt_csv_warn(t, t->row_line, "--ignore-column '%s': no such column", t->ignore[i]);
    }
}

/* ---- libcsv callbacks ---- */

static void on_field(void *data, size_t len, void *vt)
{
    struct flyt_csv_table *t = vt;
    int i = t->field++;
    const char *s = data ? data : "";
    /* Whether a field is empty is all that is looked at before the row is
     * known to have the header's shape (a skipped column included). */
    if (!blank(s, len))
        t->filled++;
    if (!t->have_header) {
        char name[128];
        snprintf(name, sizeof name, "%s", s);
        if (!t->untrimmed)
            trim(name);
        header_field(t, name);
        return;
    }
    if (i >= t->n_cols || i >= FLYT_CSV_MAX_COLUMNS)
        return; /* beyond the header: the row is refused at its end */
    int kind = t->col_kind[i];
    if (kind == FLYT_CSV_SKIP)
        return;
    if (!t->not_personal && flyt_csv_looks_like_fnr(s)) {
        flyt_csv_error(t, t->row_line, t->col_name[i],
                       "a value looks like a national identity number (11 digits) and is not "
                       "shown; flyt does not read data that identifies a person: remove it, or "
                       "pass --ignore-column '%s' to skip the column unread",
                       t->col_name[i]);
        if (kind >= 0)
            t->bad_value[kind] = true;
        return;
    }
    if (kind < 0)
        return;
    free(t->value[kind]);
    t->value[kind] = strdup(s);
    if (t->value[kind]) {
        if (!t->untrimmed)
            trim(t->value[kind]);
        if (!(t->keep_case >> kind & 1u))
            lower(t->value[kind]);
    }
}

static void clear_values(struct flyt_csv_table *t)
{
    for (int c = 0; c < FLYT_CSV_MAX_KNOWN; c++) {
        free(t->value[c]);
        t->value[c] = NULL;
        t->bad_value[c] = false;
    }
    t->field = 0;
    t->filled = 0;
}

/* The header line once more, as when two exports are joined. */
static bool repeats_header(const struct flyt_csv_table *t)
{
    if (!t->required)
        return false;
    for (int k = 0; k < t->n_known; k++)
        if ((t->required >> k & 1u) && strcasecmp(flyt_csv_value(t, k), t->known[k]) != 0)
            return false;
    return true;
}

static bool any_bad(const struct flyt_csv_table *t)
{
    for (int c = 0; c < FLYT_CSV_MAX_KNOWN; c++)
        if (t->bad_value[c])
            return true;
    return false;
}

static void on_record(int c, void *vt)
{
    struct flyt_csv_table *t = vt;
    (void)c;
    if (!t->have_header) {
        end_header(t);
    } else if (t->filled == 0 && !t->separator_rows) {
        /* Nothing but separators (a spreadsheet's formatted empty rows):
         * no row, nothing lost. */
        if (t->n_empty_rows++ == 0)
            t->first_empty_row = t->row_line;
    } else if (t->field != t->n_cols) {
        flyt_csv_error(t, t->row_line, NULL,
                       "%d field%s where the header has %d (%s); the row is not read", t->field,
                       t->field == 1 ? "" : "s", t->n_cols,
                       t->field > t->n_cols
                               ? "a separator too many, or a value holding an unquoted separator?"
                               : "a separator missing?");
    } else if (repeats_header(t)) {
        flyt_csv_error(t, t->row_line, NULL,
                       "the header again (two files joined?); delete this line");
    } else if (!any_bad(t) && t->row) {
        /* a value shaped like an identity number is reported already, and
         * must not be parsed into a message */
        t->row(t);
    }
    clear_values(t);
}

/* ---- the file ---- */

char *flyt_csv_slurp(struct flyt_csv_table *t, size_t *n)
{
    FILE *f = fopen(t->file, "rb");
    *n = 0;
    if (!f) {
        flyt_csv_error(t, 0, NULL, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    int before = t->n_errors;
    char *buf = malloc(cap);
    while (buf) {
        size_t got_n = fread(buf + len, 1, cap - len - 1, f);
        len += got_n;
        if (got_n == 0)
            break;
        if (len + 1 == cap) {
            if (cap >= MAX_FILE_BYTES) {
                flyt_csv_error(t, 0, NULL, "larger than %u MiB", MAX_FILE_BYTES >> 20);
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
        flyt_csv_error(t, 0, NULL, "cannot read: %s", strerror(errno));
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf)
        buf[len] = '\0';
    else if (t->n_errors == before)
        flyt_csv_error(t, 0, NULL, "out of memory");
    *n = len;
    return buf;
}

/* More semicolons than commas in the header: a spreadsheet set up for a
 * language whose decimal separator is the comma (Norwegian) wrote it. */
static unsigned char guess_delimiter(const char *line, size_t len, bool tab)
{
    size_t commas = 0, semis = 0, tabs = 0;
    for (size_t i = 0; i < len; i++) {
        commas += line[i] == ',';
        semis += line[i] == ';';
        tabs += line[i] == '\t';
    }
    if (tab && tabs > commas && tabs > semis)
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

size_t flyt_csv_next_line(const char *buf, size_t len, size_t pos, size_t *next)
{
    size_t i = pos;
    while (i < len && buf[i] != '\n' && buf[i] != '\r')
        i++;
    *next = i;
    if (i < len)
        *next += buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n' ? 2 : 1;
    return i - pos;
}

size_t flyt_csv_skip_bom(const char *buf, size_t len)
{
    return len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
}

static const char *column_label(const struct flyt_csv_table *t, int i, char *buf, size_t n)
{
    if (t->have_header && i < t->n_cols && i < FLYT_CSV_MAX_COLUMNS && t->col_name[i] &&
        *t->col_name[i])
        return t->col_name[i];
    snprintf(buf, n, "#%d", i + 1);
    return buf;
}

/* One line, one record: a field may not run on to the next line, so a
 * quote left open cannot swallow the rows after it. Each line gets a fresh
 * parser, and nothing of a line that fails is kept. */
static void parse_line(struct flyt_csv_table *t, const char *line, size_t n, unsigned char delim)
{
    struct csv_parser p;
    char pos[32];
    if (csv_init(&p, CSV_APPEND_NULL | CSV_STRICT | CSV_STRICT_FINI) != 0) {
        flyt_csv_error(t, t->line, NULL, "out of memory");
        return;
    }
    csv_set_delim(&p, delim);
    if (delim == '\t')
        csv_set_space_func(&p, space_not_tab);
    t->row_line = t->line;
    clear_values(t);
    if (csv_parse(&p, line, n, on_field, on_record, t) != n) {
        if (csv_error(&p) == CSV_EPARSE)
            flyt_csv_error(t, t->line, column_label(t, t->field, pos, sizeof pos),
                           "a quote inside a value that is not quoted, or text after a closing "
                           "quote; put the whole value in quotes and double every quote inside "
                           "it (\"\"); the value is not shown");
        else
            flyt_csv_error(t, t->line, NULL, "cannot read the line: %s",
                           csv_strerror(csv_error(&p)));
    } else if (csv_fini(&p, on_field, on_record, t) != 0) {
        if (csv_error(&p) == CSV_EPARSE)
            flyt_csv_error(t, t->line, column_label(t, t->field, pos, sizeof pos),
                           "a quoted value is not closed on its line (a closing quote missing, "
                           "or a line break inside the value: every %s is one line); the value "
                           "is not shown",
                           t->row_is);
        else
            flyt_csv_error(t, t->line, NULL, "cannot read the line: %s",
                           csv_strerror(csv_error(&p)));
    }
    clear_values(t);
    csv_free(&p);
}

void flyt_csv_parse(struct flyt_csv_table *t, const char *buf, size_t len)
{
    t->delim = 0;
    t->line = 0;
    for (size_t pos = 0, next; pos < len; pos = next) {
        size_t n = flyt_csv_next_line(buf, len, pos, &next);
        /* A byte-order mark starts the file, or a second file joined to it. */
        size_t bom = flyt_csv_skip_bom(buf + pos, n);
        const char *line = buf + pos + bom;
        n -= bom;
        t->line++;
        if (memchr(line, '\0', n)) {
            flyt_csv_error(t, t->line, NULL,
                           "a NUL byte: this is not UTF-8 text (a file saved as UTF-16?); save "
                           "the %s as CSV UTF-8",
                           t->what);
            continue;
        }
        if (!utf8(line, n)) {
            flyt_csv_error(t, t->line, NULL,
                           "not UTF-8 text (a spreadsheet's Windows or Latin-1 export?); save "
                           "the %s as CSV UTF-8 (letters like æ, ø, å are fine in UTF-8)",
                           t->what);
            continue;
        }
        /* n first: the caller's buf need not end in a NUL */
        if (n > 0 && line[0] == '#' && (!t->have_header || t->comments_anywhere))
            continue; /* before the header: the caller's, read before */
        if (blank(line, n))
            continue;
        if (line[0] == '#') {
            flyt_csv_error(t, t->line, NULL,
                           "a # comment after the header; comments go before the header line");
            continue;
        }
        if (!t->delim)
            t->delim = guess_delimiter(line, n, !t->no_tab_delimiter);
        parse_line(t, line, n, t->delim);
        /* A header that cannot be read, or one its reader refuses: every
         * row would be misread. */
        if (!t->have_header || t->stop)
            break;
    }
    if (t->n_empty_rows > 0)
        flyt_csv_warn(t, t->first_empty_row,
                      "%u rows hold nothing but separators; they were skipped (this is the first)",
                      t->n_empty_rows);
    if (!t->have_header && t->n_errors == 0)
        flyt_csv_error(t, 0, NULL,
                       "no header line: the file holds nothing but # comments and empty lines");
}

void flyt_csv_table_free(struct flyt_csv_table *t)
{
    clear_values(t);
    for (int i = 0; i < t->n_cols && i < FLYT_CSV_MAX_COLUMNS; i++) {
        free(t->col_name[i]);
        t->col_name[i] = NULL;
    }
}
