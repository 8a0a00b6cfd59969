/* The prepared text libconfig reads (see source.h): every file read here,
 * with the main file's limits, @include lines replaced by their files, and
 * a scanner that follows libconfig 1.5's tokens closely enough to find
 * integer literals, keys and groups outside comments and strings. */
#include "scenario/source.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- the line map ---- */

void flyt__src_map_free(struct src_map *map)
{
    for (int i = 0; i < map->n_files; i++)
        free(map->files[i]);
    free(map->files);
    free(map->span);
    memset(map, 0, sizeof *map);
}

static const char *map_file(struct src_map *map, const char *name)
{
    for (int i = map->n_files - 1; i >= 0; i--)
        if (strcmp(map->files[i], name) == 0)
            return map->files[i];
    if (map->n_files == map->cap_files) {
        int cap = map->cap_files ? map->cap_files * 2 : 8;
        char **t = realloc(map->files, sizeof *t * (size_t)cap);
        if (!t)
            return NULL;
        map->files = t;
        map->cap_files = cap;
    }
    size_t n = strlen(name) + 1;
    char *d = malloc(n);
    if (!d)
        return NULL;
    memcpy(d, name, n);
    map->files[map->n_files++] = d;
    return d;
}

static bool map_add(struct src_map *map, int first, const char *file, int line)
{
    const char *f = map_file(map, file);
    if (!f)
        return false;
    if (map->n && map->span[map->n - 1].first == first) {
        map->span[map->n - 1] = (struct src_span){ first, f, line };
        return true;
    }
    if (map->n == map->cap) {
        int cap = map->cap ? map->cap * 2 : 16;
        struct src_span *t = realloc(map->span, sizeof *t * (size_t)cap);
        if (!t)
            return false;
        map->span = t;
        map->cap = cap;
    }
    map->span[map->n++] = (struct src_span){ first, f, line };
    return true;
}

void flyt__src_where(const struct src_map *map, const char *main_file, int line, const char **file,
                     int *file_line)
{
    *file = main_file;
    *file_line = line;
    if (!map || map->n == 0 || line <= 0)
        return;
    int lo = 0, hi = map->n - 1;
    while (lo < hi) { /* the last span starting at or before line */
        int mid = (lo + hi + 1) / 2;
        if (map->span[mid].first <= line)
            lo = mid;
        else
            hi = mid - 1;
    }
    if (map->span[lo].first > line)
        return;
    *file = map->span[lo].file;
    *file_line = map->span[lo].line + (line - map->span[lo].first);
}

/* ---- reading a file ---- */

char *flyt__src_read_file(const char *path, char *why, size_t why_len, int *nul_line)
{
    *nul_line = 0;
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(why, why_len, "cannot open: %s", strerror(errno));
        return NULL;
    }
    char *buf = NULL;
    size_t len = 0, cap = 0, got;
    char chunk[65536];
    while ((got = fread(chunk, 1, sizeof chunk, f)) > 0) {
        if (len + got > SRC_MAX_BYTES) {
            snprintf(why, why_len,
                     "the file is larger than %d MiB; a scenario is a few kilobytes of text: is "
                     "this the right file?",
                     SRC_MAX_BYTES >> 20);
            goto fail;
        }
        if (len + got + 1 > cap) {
            cap = (len + got + 1) * 2;
            char *t = realloc(buf, cap);
            if (!t) {
                snprintf(why, why_len, "out of memory reading the file");
                goto fail;
            }
            buf = t;
        }
        memcpy(buf + len, chunk, got);
        len += got;
    }
    if (ferror(f)) { /* a folder opens but cannot be read; so does /proc/self/mem */
        snprintf(why, why_len, "cannot read: %s", strerror(errno));
        goto fail;
    }
    fclose(f);
    if (!buf)
        buf = calloc(1, 1);
    else
        buf[len] = '\0';
    if (buf && strlen(buf) != len) {
        int line = 1;
        for (const char *p = buf; *p; p++)
            line += *p == '\n';
        *nul_line = line;
        free(buf);
        return NULL;
    }
    if (!buf)
        snprintf(why, why_len, "out of memory reading the file");
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* Returns the line of the first byte sequence that is not UTF-8, or 0.
 * Scenario text ends up in HDF5 as UTF-8 strings, so it must be UTF-8. */
static int invalid_utf8_line(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    int line = 1;
    while (*p) {
        int n = *p < 0x80             ? 0
                : (*p & 0xE0) == 0xC0 ? 1
                : (*p & 0xF0) == 0xE0 ? 2
                : (*p & 0xF8) == 0xF0 ? 3
                                      : -1;
        if (n < 0 || (n == 1 && *p < 0xC2))
            return line;
        for (int i = 1; i <= n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return line;
        if (*p == '\n')
            line++;
        p += n + 1;
    }
    return 0;
}

/* ---- where libconfig's scanner is: code, a "string" or a comment ---- */

enum lx_state { LX_CODE, LX_STRING, LX_BLOCK };

/* The state after the line p[0..n), which starts in state st; a # or //
 * comment ends with its line. */
static enum lx_state lex_line(const char *p, size_t n, enum lx_state st)
{
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (st == LX_STRING) {
            if (c == '\\')
                i++;
            else if (c == '"')
                st = LX_CODE;
        } else if (st == LX_BLOCK) {
            if (c == '*' && i + 1 < n && p[i + 1] == '/') {
                st = LX_CODE;
                i++;
            }
        } else if (c == '"') {
            st = LX_STRING;
        } else if (c == '#' || (c == '/' && i + 1 < n && p[i + 1] == '/')) {
            return LX_CODE;
        } else if (c == '/' && i + 1 < n && p[i + 1] == '*') {
            st = LX_BLOCK;
            i++;
        }
    }
    return st;
}

/* ---- @include ---- */

/* Files being included, outermost first, to name an @include loop. */
struct include_chain {
    int n;
    dev_t dev[12];
    ino_t ino[12];
};

struct prep {
    char *out;
    size_t len, cap;
    int out_line; /* the line being written, from 1 */
    bool failed;  /* an error was reported: keep checking, hand nothing on */
    bool stop;    /* over the size limit: stop at once */
    struct src_map *map;
    struct flyt_diag *diag;
    const char *dir;
    struct include_chain chain;
    enum lx_state st;
};

static void emit(struct prep *pp, const char *s, size_t n, const char *file, int line)
{
    if (pp->stop)
        return;
    if (pp->len + n + 1 > SRC_MAX_BYTES) {
        flyt_diag_add(pp->diag, file, line, NULL,
                      "with its @include files the scenario is larger than %d MiB; a scenario is "
                      "a few kilobytes of text: is this the right file?",
                      SRC_MAX_BYTES >> 20);
        pp->stop = pp->failed = true;
        return;
    }
    if (pp->len + n + 1 > pp->cap || !pp->out) {
        size_t cap = pp->cap ? pp->cap : 4096;
        while (cap < pp->len + n + 1)
            cap *= 2;
        char *t = realloc(pp->out, cap);
        if (!t) {
            flyt_diag_add(pp->diag, file, line, NULL, "out of memory");
            pp->stop = pp->failed = true;
            return;
        }
        pp->out = t;
        pp->cap = cap;
    }
    memcpy(pp->out + pp->len, s, n);
    pp->len += n;
    pp->out[pp->len] = '\0';
    for (size_t i = 0; i < n; i++)
        pp->out_line += s[i] == '\n';
}

struct include_line {
    const char *file;
    int line;
    const char *name; /* as written, name_len bytes */
    int name_len;
    const char *rest; /* what follows the closing quote on the line */
    size_t rest_len;
};

/* libconfig 1.5 takes a line matching ^[ \t]*@include[ \t]+" as an
 * include (outside comments and strings). Returns 0 when the line is not
 * one, 1 when it names a file, -1 when the name has no closing quote. */
static int include_line(const char *p, size_t n, struct include_line *at)
{
    const char *end = p + n, *q = p;
    while (q < end && (*q == ' ' || *q == '\t'))
        q++;
    if ((size_t)(end - q) < 10 || strncmp(q, "@include", 8) != 0 || (q[8] != ' ' && q[8] != '\t'))
        return 0;
    for (q += 8; q < end && (*q == ' ' || *q == '\t');)
        q++;
    if (q == end || *q != '"')
        return 0;
    at->name = q + 1;
    const char *close = memchr(q + 1, '"', (size_t)(end - q - 1));
    if (!close) {
        at->name_len = (int)(end - q - 1);
        return -1;
    }
    at->name_len = (int)(close - q - 1);
    at->rest = close + 1;
    at->rest_len = (size_t)(end - close - 1);
    return 1;
}

static char *include_path(const struct include_line *at, const char *dir)
{
    size_t len = (size_t)at->name_len;
    size_t dlen = dir && at->name[0] != '/' ? strlen(dir) + 1 : 0;
    char *path = malloc(dlen + len + 1);
    if (path) {
        if (dlen)
            snprintf(path, dlen + 1, "%s/", dir);
        memcpy(path + dlen, at->name, len);
        path[dlen + len] = '\0';
    }
    return path;
}

static void expand_file(struct prep *pp, const char *text, const char *file);

/* Checks what an @include names before it is read: libconfig 1.5 itself
 * would end the process on a folder (flex calls exit()), read a device
 * forever, and name neither a missing file nor a loop. */
static bool include_ok(struct prep *pp, const char *path, const struct include_line *at,
                       struct stat *st)
{
    static const char *const rel = "paths are relative to the folder of the main scenario file";
    if (memchr(at->name, '\\', (size_t)at->name_len)) {
        flyt_diag_add(pp->diag, at->file, at->line, NULL,
                      "@include \"%.*s\": a backslash cannot be part of the name; write "
                      "folders with '/'",
                      at->name_len, at->name);
        return false;
    }
    if (stat(path, st) != 0) {
        flyt_diag_add(pp->diag, at->file, at->line, NULL,
                      "cannot open the @include file \"%.*s\" (looked for %s): %s; %s",
                      at->name_len, at->name, path, strerror(errno), rel);
        return false;
    }
    if (!S_ISREG(st->st_mode)) {
        flyt_diag_add(pp->diag, at->file, at->line, NULL,
                      "@include \"%.*s\" is %s, not a scenario file; name a file (%s)",
                      at->name_len, at->name,
                      S_ISDIR(st->st_mode) ? "a folder" : "a device or pipe", rel);
        return false;
    }
    for (int i = 0; i < pp->chain.n; i++) {
        if (pp->chain.dev[i] == st->st_dev && pp->chain.ino[i] == st->st_ino) {
            flyt_diag_add(pp->diag, at->file, at->line, NULL,
                          "@include \"%.*s\" makes a loop: that file is already being "
                          "included; remove one of the @include lines",
                          at->name_len, at->name);
            return false;
        }
    }
    int max = (int)(sizeof pp->chain.dev / sizeof pp->chain.dev[0]);
    if (pp->chain.n == max) {
        flyt_diag_add(pp->diag, at->file, at->line, NULL,
                      "@include \"%.*s\": includes nest too deep (at most %d files)", at->name_len,
                      at->name, max - 1);
        return false;
    }
    return true;
}

/* Writes the included file in place of its @include line, then what
 * followed the closing quote, mapped back to the @include line. */
static void expand_include(struct prep *pp, const struct include_line *at)
{
    char *path = include_path(at, pp->dir);
    struct stat st;
    if (!path || !include_ok(pp, path, at, &st)) {
        pp->failed = true;
        free(path);
        return;
    }
    char why[256];
    int nul_line;
    char *inner = flyt__src_read_file(path, why, sizeof why, &nul_line);
    if (!inner) {
        if (nul_line)
            flyt_diag_add(pp->diag, path, nul_line, NULL,
                          "a NUL byte on this line: this is not a text file; a scenario is "
                          "UTF-8 text");
        else
            flyt_diag_add(pp->diag, at->file, at->line, NULL, "@include \"%.*s\": %s", at->name_len,
                          at->name, why);
        pp->failed = true;
        free(path);
        return;
    }
    pp->chain.dev[pp->chain.n] = st.st_dev;
    pp->chain.ino[pp->chain.n++] = st.st_ino;
    expand_file(pp, inner, path);
    pp->chain.n--;
    free(inner);
    free(path);
    if (pp->stop || !map_add(pp->map, pp->out_line, at->file, at->line))
        return;
    emit(pp, at->rest, at->rest_len, at->file, at->line);
    pp->st = lex_line(at->rest, at->rest_len, pp->st);
    emit(pp, "\n", 1, at->file, at->line);
}

static void expand_file(struct prep *pp, const char *text, const char *file)
{
    int bad = invalid_utf8_line(text);
    if (bad) {
        flyt_diag_add(pp->diag, file, bad, NULL,
                      "the file is not UTF-8 text; save it as UTF-8 (letters like æ, ø, å are "
                      "fine in UTF-8)");
        pp->failed = true;
        return;
    }
    /* Windows editors start UTF-8 files with a byte-order mark, which
     * libconfig takes for a syntax error. */
    if (strncmp(text, "\xEF\xBB\xBF", 3) == 0)
        text += 3;
    if (!map_add(pp->map, pp->out_line, file, 1)) {
        pp->stop = pp->failed = true;
        return;
    }
    int line = 1;
    for (const char *p = text; *p && !pp->stop; line++) {
        size_t n = strcspn(p, "\n");
        struct include_line at = { .file = file, .line = line };
        int inc = pp->st == LX_CODE ? include_line(p, n, &at) : 0;
        if (inc > 0) {
            expand_include(pp, &at);
        } else if (inc < 0) {
            /* libconfig would drop the include and echo the rest to stdout */
            flyt_diag_add(pp->diag, file, line, NULL,
                          "@include \"%.*s: the name has no closing quote; write "
                          "@include \"file.cfg\"",
                          at.name_len, at.name);
            pp->failed = true;
            emit(pp, "\n", 1, file, line);
        } else {
            pp->st = lex_line(p, n, pp->st);
            /* every line ends with a newline: libconfig 1.5 calls a
             * comment on a last line without one a syntax error */
            emit(pp, p, n, file, line);
            emit(pp, "\n", 1, file, line);
        }
        p += n + (p[n] == '\n');
    }
}

char *flyt__src_prepare(const char *text, const char *name, const char *dir, struct src_map *map,
                        struct flyt_diag *diag)
{
    struct prep pp = { .out_line = 1, .map = map, .diag = diag, .dir = dir };
    struct stat st;
    if (stat(name, &st) == 0) { /* the main file, when it is one */
        pp.chain.dev[0] = st.st_dev;
        pp.chain.ino[0] = st.st_ino;
        pp.chain.n = 1;
    }
    if (strlen(text) > SRC_MAX_BYTES) {
        flyt_diag_add(diag, name, 0, NULL,
                      "the file is larger than %d MiB; a scenario is a few kilobytes of text: is "
                      "this the right file?",
                      SRC_MAX_BYTES >> 20);
        return NULL;
    }
    expand_file(&pp, text, name);
    if (!pp.out && !pp.failed)
        emit(&pp, "", 0, name, 1);
    if (pp.failed) {
        free(pp.out);
        return NULL;
    }
    return pp.out;
}

/* ---- tokens ---- */

enum tk_kind { TK_END, TK_NAME, TK_INT, TK_NUMBER, TK_STRING, TK_PUNCT };

struct tok {
    enum tk_kind kind;
    const char *s;
    size_t n;
    int line;
};

static bool name_start(char c)
{
    return isalpha((unsigned char)c) || c == '*';
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '*' || c == '-' || c == '_';
}

/* The end of a number starting at p (a sign, digits, 0x hex, a float),
 * or p when there is none; *is_int says whether it is an integer. */
static const char *number_end(const char *p, bool *is_int)
{
    const char *q = p;
    *is_int = true;
    if (*q == '-' || *q == '+')
        q++;
    if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X') && isxdigit((unsigned char)q[2])) {
        for (q += 2; isxdigit((unsigned char)*q);)
            q++;
    } else if (isdigit((unsigned char)*q) || (*q == '.' && isdigit((unsigned char)q[1]))) {
        while (isdigit((unsigned char)*q))
            q++;
        if (*q == '.') {
            *is_int = false;
            for (q++; isdigit((unsigned char)*q);)
                q++;
        }
        if ((*q == 'e' || *q == 'E') &&
            (isdigit((unsigned char)q[1]) ||
             ((q[1] == '-' || q[1] == '+') && isdigit((unsigned char)q[2])))) {
            *is_int = false;
            for (q += 2; isdigit((unsigned char)*q);)
                q++;
        }
    } else {
        return p;
    }
    if (*is_int && *q == 'L')
        q += q[1] == 'L' ? 2 : 1;
    return q;
}

static void next_tok(const char **pp, int *line, struct tok *t)
{
    const char *p = *pp;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n' || *p == '\f' || *p == '\v')
            *line += *p++ == '\n';
        if (*p == '#' || (p[0] == '/' && p[1] == '/')) {
            p += strcspn(p, "\n");
        } else if (p[0] == '/' && p[1] == '*') {
            for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
                *line += *p == '\n';
            if (*p)
                p += 2;
        } else {
            break;
        }
    }
    t->s = p;
    t->line = *line;
    bool is_int;
    const char *q;
    if (!*p) {
        t->kind = TK_END;
        q = p;
    } else if (*p == '"') {
        t->kind = TK_STRING;
        for (q = p + 1; *q && *q != '"'; q++) {
            if (*q == '\\' && q[1])
                q++;
            *line += *q == '\n';
        }
        if (*q)
            q++;
    } else if (name_start(*p)) {
        t->kind = TK_NAME;
        for (q = p + 1; name_char(*q);)
            q++;
    } else if ((q = number_end(p, &is_int)) != p) {
        t->kind = is_int ? TK_INT : TK_NUMBER;
    } else {
        t->kind = TK_PUNCT;
        q = p + 1;
    }
    t->n = (size_t)(q - p);
    *pp = q;
}

/* ---- integer literals ---- */

enum src_int_kind flyt__src_int_literal(const char *s, size_t n, struct src_int *out)
{
    memset(out, 0, sizeof *out);
    bool is_int;
    if ((size_t)(number_end(s, &is_int) - s) != n || !is_int)
        return SRC_NOT_INT;
    size_t i = 0;
    if (s[0] == '-' || s[0] == '+')
        out->negative = s[i++] == '-';
    out->hex = n > i + 1 && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X');
    if (out->hex)
        i += 2;
    unsigned base = out->hex ? 16 : 10;
    unsigned long long m = 0;
    for (; i < n && s[i] != 'L'; i++) {
        unsigned d = isdigit((unsigned char)s[i])
                             ? (unsigned)(s[i] - '0')
                             : (unsigned)(tolower((unsigned char)s[i]) - 'a' + 10);
        m = m > (ULLONG_MAX - d) / base ? ULLONG_MAX : m * base + d;
    }
    out->magnitude = m;
    out->is64 = i < n;
    unsigned long long pos = out->is64 ? (unsigned long long)INT64_MAX : INT32_MAX;
    bool fits = out->negative ? m <= pos + 1 : m <= pos;
    if (out->hex && out->negative)
        fits = false; /* libconfig has no signed hex; it never gets here */
    out->kind = fits ? SRC_INT_OK : SRC_INT_WRAPS;
    return out->kind;
}

long long flyt__src_int_wrapped(const struct src_int *lit)
{
    unsigned long long m = lit->magnitude;
    if (lit->is64) {
        if (lit->hex)
            return (long long)m; /* strtoull: ULLONG_MAX when too large */
        if (lit->negative)
            return m > (unsigned long long)INT64_MAX ? INT64_MIN : -(long long)m;
        return m > (unsigned long long)INT64_MAX ? INT64_MAX : (long long)m;
    }
    if (lit->hex || !lit->negative) /* strtoul, strtol: saturate, then keep 32 bits */
        return (int32_t)(uint32_t)(lit->hex || m <= (unsigned long long)INT64_MAX ? m : INT64_MAX);
    unsigned long long v = m > (unsigned long long)INT64_MAX ? 1ULL << 63 : 0ULL - m;
    return (int32_t)(uint32_t)v;
}

void flyt__src_scan_ints(const char *text, src_int_fn fn, void *ctx)
{
    const char *p = text;
    int line = 1;
    struct tok t;
    struct src_int lit;
    for (next_tok(&p, &line, &t); t.kind != TK_END; next_tok(&p, &line, &t))
        if (t.kind == TK_INT && flyt__src_int_literal(t.s, t.n, &lit) == SRC_INT_WRAPS)
            fn(ctx, t.line, t.s, t.n, &lit);
}

/* ---- keys and groups ---- */

struct key_entry {
    const char *s;
    size_t n;
    int line;
};

struct scope {
    bool group;
    size_t first;    /* its keys start here in keys[] */
    int line, count; /* where it opens; how many keys */
    const char *name;
    size_t name_n;
};

struct walk {
    struct key_entry *keys;
    size_t n_keys, cap_keys;
    struct scope *scopes;
    int n_scopes, cap_scopes;
};

static bool grow(void **p, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap * 2 : 64;
    while (c < need)
        c *= 2;
    void *t = realloc(*p, c * size);
    if (!t)
        return false;
    *p = t;
    *cap = c;
    return true;
}

static bool push_scope(struct walk *w, bool group, int line, const struct tok *key)
{
    size_t cap = (size_t)w->cap_scopes;
    if (!grow((void **)&w->scopes, &cap, (size_t)w->n_scopes + 1, sizeof *w->scopes))
        return false;
    w->cap_scopes = (int)cap;
    w->scopes[w->n_scopes++] =
            (struct scope){ group, w->n_keys, line, 0, key ? key->s : NULL, key ? key->n : 0 };
    return true;
}

/* Walks the keys of every group. on_key returns false to stop. */
typedef bool (*key_fn)(void *ctx, struct walk *w, const struct tok *key);

static void walk_keys(const char *text, key_fn on_key, void *ctx)
{
    struct walk w = { 0 };
    const char *p = text;
    int line = 1;
    struct tok t, prev = { TK_END, NULL, 0, 0 }, last_key = prev;
    bool ok = push_scope(&w, true, 1, NULL);
    for (next_tok(&p, &line, &t); ok && t.kind != TK_END; next_tok(&p, &line, &t)) {
        if (t.kind == TK_PUNCT && (*t.s == '=' || *t.s == ':') && prev.kind == TK_NAME) {
            last_key = prev;
            ok = on_key(ctx, &w, &prev);
        } else if (t.kind == TK_PUNCT && (*t.s == '{' || *t.s == '(' || *t.s == '[')) {
            ok = push_scope(&w, *t.s == '{', t.line, prev.kind == TK_PUNCT ? &last_key : NULL);
        } else if (t.kind == TK_PUNCT && (*t.s == '}' || *t.s == ')' || *t.s == ']') &&
                   w.n_scopes > 1) {
            w.n_keys = w.scopes[--w.n_scopes].first;
        }
        prev = t;
    }
    free(w.keys);
    free(w.scopes);
}

struct dup_ctx {
    bool found;
    char *name;
    size_t name_len;
    int first, second;
};

static bool dup_key(void *ctx, struct walk *w, const struct tok *key)
{
    struct dup_ctx *d = ctx;
    struct scope *sc = &w->scopes[w->n_scopes - 1];
    if (!sc->group)
        return true;
    for (size_t i = sc->first; i < w->n_keys; i++) {
        if (w->keys[i].n == key->n && memcmp(w->keys[i].s, key->s, key->n) == 0) {
            d->found = true;
            snprintf(d->name, d->name_len, "%.*s", (int)key->n, key->s);
            d->first = w->keys[i].line;
            d->second = key->line;
            return false;
        }
    }
    if (!grow((void **)&w->keys, &w->cap_keys, w->n_keys + 1, sizeof *w->keys))
        return false;
    w->keys[w->n_keys++] = (struct key_entry){ key->s, key->n, key->line };
    return true;
}

bool flyt__src_find_duplicate(const char *text, char *name, size_t name_len, int *first_line,
                              int *second_line)
{
    struct dup_ctx d = { false, name, name_len, 0, 0 };
    walk_keys(text, dup_key, &d);
    *first_line = d.first;
    *second_line = d.second;
    return d.found;
}

struct group_ctx {
    const struct src_map *map;
    const char *main_file;
    struct flyt_diag *diag;
    bool ok;
};

static bool count_key(void *ctx, struct walk *w, const struct tok *key)
{
    (void)key;
    struct group_ctx *g = ctx;
    struct scope *sc = &w->scopes[w->n_scopes - 1];
    if (++sc->count <= SRC_MAX_GROUP_KEYS)
        return true;
    const char *file;
    int line;
    flyt__src_where(g->map, g->main_file, sc->line, &file, &line);
    char what[80];
    if (sc->name)
        snprintf(what, sizeof what, "the group '%.*s'", sc->name_n > 60 ? 60 : (int)sc->name_n,
                 sc->name);
    else
        snprintf(what, sizeof what, "%s", w->n_scopes == 1 ? "the top level" : "this group");
    flyt_diag_add(g->diag, file, line, NULL,
                  "%s has more than %d keys; a scenario has a few dozen in each group: is this "
                  "the right file?",
                  what, SRC_MAX_GROUP_KEYS);
    g->ok = false;
    return false;
}

bool flyt__src_check_groups(const char *text, const struct src_map *map, const char *main_file,
                            struct flyt_diag *diag)
{
    struct group_ctx g = { map, main_file, diag, true };
    walk_keys(text, count_key, &g);
    return g.ok;
}
