#include "scenario/reader.h"
#include "scenario/source.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char visited_marker;

void flyt__rd_init(struct reader *rd, config_t *cfg, const char *main_file, struct flyt_diag *diag)
{
    memset(rd, 0, sizeof *rd);
    rd->cfg = cfg;
    rd->main_file = main_file;
    rd->diag = diag;
    rd->scope = RD_SCOPE_FILE;
}

void flyt__rd_free(struct reader *rd)
{
    for (int i = 0; i < rd->n_keys; i++)
        free(rd->keys[i]);
    rd->n_keys = 0;
    free(rd->sets);
    rd->sets = NULL;
    rd->n_sets = rd->cap_sets = 0;
    free(rd->wrapped);
    rd->wrapped = NULL;
    rd->n_wrapped = rd->cap_wrapped = 0;
}

/* config_setting_index searches the parent from the start, so naming
 * every element of a long list would cost the square of its length. The
 * loader walks lists in order: the element after the last one named is
 * tried first. */
static int elem_index(const config_setting_t *e)
{
    static _Thread_local const config_setting_t *last_list;
    static _Thread_local int last;
    const config_setting_t *list = config_setting_parent(e);
    if (list == last_list)
        for (int k = last; k <= last + 1; k++)
            if (k >= 0 && k < config_setting_length(list) &&
                config_setting_get_elem(list, (unsigned)k) == e)
                return last = k;
    last_list = list;
    return last = config_setting_index(e);
}

/* A unit in the units list is named by its id, not its position: keys,
 * errors and --set all say units.<id>.capacity. */
static bool by_id_list(const config_setting_t *list)
{
    const char *n = config_setting_name(list);
    const config_setting_t *up = config_setting_parent(list);
    if (!n || !up || !config_setting_is_list(list))
        return false;
    bool root = !config_setting_parent(up);
    /* a region's municipality (an element of the root's municipalities)
     * has units of its own */
    bool muni = !root && !config_setting_name(up) && config_setting_parent(up) &&
                config_setting_name(config_setting_parent(up)) &&
                strcmp(config_setting_name(config_setting_parent(up)), "municipalities") == 0;
    if (strcmp(n, "units") == 0)
        return root || muni;
    return root && (strcmp(n, "shared_units") == 0 || strcmp(n, "municipalities") == 0);
}

static const char *unit_id(const config_setting_t *e)
{
    const config_setting_t *list = config_setting_parent(e);
    if (config_setting_name(e) || !list || !by_id_list(list) || !config_setting_is_group(e))
        return NULL;
    const config_setting_t *id = config_setting_get_member(e, "id");
    const char *v = id ? config_setting_get_string(id) : NULL;
    return v && flyt__rd_valid_id(v) ? v : NULL;
}

bool flyt__rd_valid_id(const char *v)
{
    size_t n = strlen(v);
    if (n == 0 || n >= FLYT_ID_LEN ||
        !((v[0] >= 'a' && v[0] <= 'z') || (v[0] >= 'A' && v[0] <= 'Z')))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
              (v[i] >= '0' && v[i] <= '9') || v[i] == '_'))
            return false;
    return true;
}

/* A unit's group in cost.units is named by the unit's id, a role's in
 * cost.roles by its name: a pattern says cost.units.<id>.bed_day_nok as
 * units.<id>.capacity does. NULL when e is neither. */
static const char *cost_member(const config_setting_t *e)
{
    const config_setting_t *list = config_setting_parent(e);
    const config_setting_t *cost = list ? config_setting_parent(list) : NULL;
    const char *n = list ? config_setting_name(list) : NULL;
    if (!cost || !n || !config_setting_name(cost) ||
        strcmp(config_setting_name(cost), "cost") != 0 || !config_setting_parent(cost) ||
        config_setting_parent(config_setting_parent(cost)))
        return NULL;
    return strcmp(n, "units") == 0 ? "<id>" : strcmp(n, "roles") == 0 ? "<name>" : NULL;
}

static void build_path(const config_setting_t *s, char *buf, size_t len, bool pattern)
{
    const char *parts[32];
    char idx[32][16];
    int n = 0;
    for (const config_setting_t *p = s; p && config_setting_parent(p) && n < 32;
         p = config_setting_parent(p)) {
        const char *id = unit_id(p);
        if (config_setting_name(p)) {
            const char *member = pattern ? cost_member(p) : NULL;
            parts[n] = member ? member : config_setting_name(p);
        } else if (id) {
            parts[n] = pattern ? "<id>" : id;
        } else if (pattern) {
            parts[n] = "[]";
        } else {
            snprintf(idx[n], sizeof idx[n], "[%d]", elem_index(p));
            parts[n] = idx[n];
        }
        n++;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (int i = n - 1; i >= 0 && used < len; i--) {
        const char *sep = used && parts[i][0] != '[' ? "." : "";
        int w = snprintf(buf + used, len - used, "%s%s", sep, parts[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void flyt__rd_path(const config_setting_t *s, char *buf, size_t len)
{
    build_path(s, buf, len, false);
}

void flyt__rd_member_path(const config_setting_t *parent, const char *name, char *buf, size_t len)
{
    char p[256];
    flyt__rd_path(parent, p, sizeof p);
    snprintf(buf, len, "%s%s%s", p, *p ? "." : "", name);
}

static void record_key(struct reader *rd, const config_setting_t *parent, const char *name)
{
    char p[256], key[300];
    build_path(parent, p, sizeof p, true);
    snprintf(key, sizeof key, "%s%s%s", p, *p ? "." : "", name);
    for (int i = 0; i < rd->n_keys; i++)
        if (strcmp(rd->keys[i], key) == 0)
            return;
    if (rd->n_keys < RD_MAX_KEYS) {
        char *k = malloc(strlen(key) + 1);
        if (k) {
            strcpy(k, key);
            rd->keys[rd->n_keys++] = k;
        }
    }
}

/* Errors on values that came from --set point at the command line, so the
 * planner is not sent to a line of the file that says something else. */
static int set_index(const struct reader *rd, const config_setting_t *s)
{
    for (int i = 0; i < rd->n_sets; i++)
        if (rd->sets[i].setting == s)
            return rd->sets[i].index;
    return 0;
}

/* Errors on values that came from --set point at the command line, so the
 * planner is not sent to a line of the file that says something else. An
 * error about a whole group (a distribution whose sd is 0, shares that do
 * not sum to one) is caused by a member set on the command line, when
 * there is one: the last such --set. */
static void location(const struct reader *rd, const config_setting_t *s, const char **file,
                     int *line)
{
    int index = 0;
    for (const config_setting_t *p = s; p && !index; p = config_setting_parent(p))
        index = set_index(rd, p);
    if (!index && s && config_setting_parent(s) && config_setting_is_group(s)) {
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            int k = set_index(rd, config_setting_get_elem(s, (unsigned)i));
            index = k > index ? k : index;
        }
    }
    if (index) {
        *file = "--set";
        *line = index;
        return;
    }
    flyt__src_where(rd->map, rd->main_file, s ? (int)config_setting_source_line(s) : 0, file, line);
    if (*line == 0)
        *line = 1; /* the root and settings made by --set have no line of their own */
}

void flyt__rd_where(const struct reader *rd, const config_setting_t *s, char *buf, size_t len)
{
    const char *file;
    int line;
    location(rd, s, &file, &line);
    snprintf(buf, len, "%s:%d", file, line);
}

static bool was_wrapped(const struct reader *rd, const config_setting_t *s)
{
    for (int i = 0; i < rd->n_wrapped; i++)
        if (rd->wrapped[i] == s)
            return true;
    return false;
}

void flyt__rd_forget(struct reader *rd, const config_setting_t *s)
{
    for (int i = 0; i < rd->n_sets; i++)
        if (rd->sets[i].setting == s)
            rd->sets[i--] = rd->sets[--rd->n_sets];
    for (int i = 0; i < rd->n_wrapped; i++)
        if (rd->wrapped[i] == s)
            rd->wrapped[i--] = rd->wrapped[--rd->n_wrapped];
}

void flyt__rd_error(struct reader *rd, const config_setting_t *s, const char *key, const char *fmt,
                    ...)
{
    char msg[1024];
    if (s && was_wrapped(rd, s))
        return; /* its literal is reported; the wrapped value means nothing */
    if (rd->diag->n_errors >= FLYT_DIAG_MAX_SHOWN) {
        flyt_diag_add(rd->diag, NULL, 0, NULL, "%s", ""); /* counted, not shown */
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file;
    int line;
    location(rd, s, &file, &line);
    flyt_diag_add(rd->diag, file, line, key, "%s", msg);
}

void flyt__rd_warn(struct reader *rd, const config_setting_t *s, const char *key, const char *fmt,
                   ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    const char *file;
    int line;
    location(rd, s, &file, &line);
    flyt_diag_warn(rd->diag, file, line, key, "%s", msg);
}

void flyt__rd_mark(config_setting_t *s)
{
    if (s)
        config_setting_set_hook(s, &visited_marker);
}

void flyt__rd_mark_tree(config_setting_t *s)
{
    flyt__rd_mark(s);
    if (s && config_setting_is_aggregate(s)) {
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++)
            flyt__rd_mark_tree(config_setting_get_elem(s, (unsigned)i));
    }
}

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group { ... }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a number";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ... ]";
    case CONFIG_TYPE_LIST:
        return "a list ( ... )";
    default:
        return "nothing";
    }
}

config_setting_t *flyt__rd_get(struct reader *rd, config_setting_t *parent, const char *name,
                               bool required)
{
    if (!parent)
        return NULL;
    record_key(rd, parent, name);
    config_setting_t *s = config_setting_get_member(parent, name);
    if (!s) {
        if (required) {
            char key[300];
            flyt__rd_member_path(parent, name, key, sizeof key);
            flyt__rd_error(rd, parent, key, "required key is missing");
        }
        return NULL;
    }
    flyt__rd_mark(s);
    return s;
}

config_setting_t *flyt__rd_group(struct reader *rd, config_setting_t *parent, const char *name,
                                 bool required)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (s && !config_setting_is_group(s)) {
        char key[300];
        flyt__rd_path(s, key, sizeof key);
        flyt__rd_error(rd, s, key, "expected a group { ... }, got %s", type_name(s));
        return NULL;
    }
    return s;
}

bool flyt__rd_value_number(struct reader *rd, config_setting_t *s, const char *key, double *out)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
        *out = config_setting_get_int(s);
        return true;
    case CONFIG_TYPE_INT64:
        *out = (double)config_setting_get_int64(s);
        return true;
    case CONFIG_TYPE_FLOAT:
        *out = config_setting_get_float(s);
        if (!isfinite(*out)) {
            flyt__rd_error(rd, s, key, "must be a finite number");
            return false;
        }
        return true;
    default:
        flyt__rd_error(rd, s, key, "expected a number, got %s", type_name(s));
        return false;
    }
}

static bool check_range(struct reader *rd, config_setting_t *s, const char *key, double x,
                        double lo, double hi)
{
    if (x >= lo && x <= hi)
        return true;
    if (isinf(hi))
        flyt__rd_error(rd, s, key, "must be >= %g, got %g", lo, x);
    else
        flyt__rd_error(rd, s, key, "must be between %g and %g, got %g", lo, hi, x);
    return false;
}

bool flyt__rd_num(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  double lo, double hi, double *out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    double x;
    if (!flyt__rd_value_number(rd, s, key, &x) || !check_range(rd, s, key, x, lo, hi))
        return false;
    *out = x;
    return true;
}

bool flyt__rd_int(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  long long lo, long long hi, long long *out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    long long x;
    if (config_setting_type(s) == CONFIG_TYPE_INT)
        x = config_setting_get_int(s);
    else if (config_setting_type(s) == CONFIG_TYPE_INT64)
        x = config_setting_get_int64(s);
    else {
        flyt__rd_error(rd, s, key, "expected an integer, got %s", type_name(s));
        return false;
    }
    if (x < lo || x > hi) {
        flyt__rd_error(rd, s, key, "must be between %lld and %lld, got %lld", lo, hi, x);
        return false;
    }
    *out = x;
    return true;
}

bool flyt__rd_bool(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                   bool *out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        char key[300];
        flyt__rd_path(s, key, sizeof key);
        flyt__rd_error(rd, s, key, "expected true or false, got %s", type_name(s));
        return false;
    }
    *out = config_setting_get_bool(s);
    return true;
}

bool flyt__rd_str(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  const char **out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        char key[300];
        flyt__rd_path(s, key, sizeof key);
        flyt__rd_error(rd, s, key, "expected a string \"...\", got %s", type_name(s));
        return false;
    }
    *out = config_setting_get_string(s);
    return true;
}

bool flyt__rd_num_array(struct reader *rd, config_setting_t *parent, const char *name,
                        bool required, int n, int cap, double lo, double hi, double *out,
                        int *n_out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        flyt__rd_error(rd, s, key, "expected an array of numbers [ ... ], got %s", type_name(s));
        return false;
    }
    int len = config_setting_length(s);
    if (n >= 0 && len != n) {
        flyt__rd_error(rd, s, key, "expected exactly %d numbers, got %d", n, len);
        return false;
    }
    if (n < 0 && (len < 1 || len > cap)) {
        flyt__rd_error(rd, s, key, "expected 1 to %d numbers, got %d", cap, len);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < len; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        char ekey[320];
        snprintf(ekey, sizeof ekey, "%s[%d]", key, i);
        double x;
        flyt__rd_mark(e);
        if (!flyt__rd_value_number(rd, e, ekey, &x) || !check_range(rd, e, ekey, x, lo, hi))
            ok = false;
        else
            out[i] = x;
    }
    if (n_out)
        *n_out = len;
    return ok;
}

static void known_children(const struct reader *rd, const config_setting_t *parent, char *buf,
                           size_t len)
{
    char p[256];
    build_path(parent, p, sizeof p, true);
    size_t plen = strlen(p), used = 0;
    buf[0] = '\0';
    for (int i = 0; i < rd->n_keys; i++) {
        const char *k = rd->keys[i];
        if (plen && (strncmp(k, p, plen) != 0 || k[plen] != '.'))
            continue;
        const char *rest = plen ? k + plen + 1 : k;
        if (strchr(rest, '.'))
            continue;
        int w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "", rest);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
    }
}

void flyt__rd_check_unknown(struct reader *rd, config_setting_t *root)
{
    if (!root || !config_setting_is_group(root))
        return;
    int n = config_setting_length(root);
    for (int i = 0; i < n; i++) {
        config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        if (config_setting_get_hook(s) == &visited_marker) {
            if (config_setting_is_group(s))
                flyt__rd_check_unknown(rd, s);
            else if (config_setting_is_list(s)) {
                int m = config_setting_length(s);
                for (int j = 0; j < m; j++)
                    flyt__rd_check_unknown(rd, config_setting_get_elem(s, (unsigned)j));
            }
            continue;
        }
        if (rd->diag->n_errors >= FLYT_DIAG_MAX_SHOWN) {
            flyt_diag_add(rd->diag, NULL, 0, NULL, "%s", ""); /* counted, not shown */
            continue;
        }
        char key[300], known[1024];
        flyt__rd_path(s, key, sizeof key);
        known_children(rd, root, known, sizeof known);
        flyt__rd_error(rd, s, key, "unknown key '%s'; valid here: %s", config_setting_name(s),
                       *known ? known : "(nothing)");
    }
}

/* The integer setting on a prepared-text line that holds the value
 * libconfig wrapped the literal to, and is not reported yet; depth first,
 * so the first such element of an array is taken first. */
static config_setting_t *wrapped_at(const struct reader *rd, config_setting_t *s, int line,
                                    long long wrapped)
{
    int t = config_setting_type(s);
    if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) &&
        (int)config_setting_source_line(s) == line && !was_wrapped(rd, s)) {
        long long v =
                t == CONFIG_TYPE_INT ? config_setting_get_int(s) : config_setting_get_int64(s);
        if (v == wrapped)
            return s;
    }
    if (!config_setting_is_aggregate(s))
        return NULL;
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
        config_setting_t *w =
                wrapped_at(rd, config_setting_get_elem(s, (unsigned)i), line, wrapped);
        if (w)
            return w;
    }
    return NULL;
}

struct wrap_ctx {
    struct reader *rd;
    int n; /* found so far */
    const char *file;
    int line;
};

/* Each report searches the tree, so only the first few are named. */
#define RD_MAX_WRAPPED_SHOWN 20

static void report_wrapped(void *ctx, int line, const char *tok, size_t len,
                           const struct src_int *lit)
{
    struct wrap_ctx *w = ctx;
    struct reader *rd = w->rd;
    if (++w->n > RD_MAX_WRAPPED_SHOWN) {
        if (w->n == RD_MAX_WRAPPED_SHOWN + 1)
            flyt__src_where(rd->map, rd->main_file, line, &w->file, &w->line);
        return;
    }
    config_setting_t *s =
            wrapped_at(rd, config_root_setting(rd->cfg), line, flyt__src_int_wrapped(lit));
    char key[300] = "", shown[64], got[64] = "";
    flyt__rd_path(s, key, sizeof key);
    /* the digits as written, shortened when absurdly long */
    snprintf(shown, sizeof shown, "%.*s%s", len > 40 ? 40 : (int)len, tok, len > 40 ? "..." : "");
    if (s && config_setting_type(s) == CONFIG_TYPE_INT)
        snprintf(got, sizeof got, " and would be read as %d", config_setting_get_int(s));
    else if (s)
        snprintf(got, sizeof got, " and would be read as %lld", config_setting_get_int64(s));
    bool fits64 = lit->hex ? lit->magnitude <= (unsigned long long)INT64_MAX
                           : lit->magnitude <= (unsigned long long)INT64_MAX + lit->negative;
    const char *file;
    int fline;
    flyt__src_where(rd->map, rd->main_file, line, &file, &fline);
    if (!lit->is64 && fits64)
        flyt_diag_add(rd->diag, file, fline, key,
                      "%s does not fit in an integer without an L suffix (%s)%s; write %.*sL "
                      "for a 64-bit integer",
                      shown, lit->hex ? "at most 0x7FFFFFFF" : "-2147483648 to 2147483647", got,
                      len > 40 ? 40 : (int)len, len > 40 ? "it with " : tok);
    else
        flyt_diag_add(rd->diag, file, fline, key, "%s does not fit in a 64-bit integer (%s)%s",
                      shown,
                      lit->hex ? "at most 0x7FFFFFFFFFFFFFFFL"
                               : "-9223372036854775808 to 9223372036854775807",
                      got);
    if (s && rd->n_wrapped == rd->cap_wrapped) {
        int cap = rd->cap_wrapped ? rd->cap_wrapped * 2 : 8;
        config_setting_t **t = realloc(rd->wrapped, sizeof *t * (size_t)cap);
        if (!t)
            return;
        rd->wrapped = t;
        rd->cap_wrapped = cap;
    }
    if (s)
        rd->wrapped[rd->n_wrapped++] = s;
}

void flyt__rd_check_int_literals(struct reader *rd, const char *prepared)
{
    struct wrap_ctx w = { rd, 0, NULL, 0 };
    flyt__src_scan_ints(prepared, report_wrapped, &w);
    if (w.n > RD_MAX_WRAPPED_SHOWN)
        flyt_diag_add(rd->diag, w.file, w.line, NULL,
                      "%d more integers from here on do not fit their type either", w.n - 20);
}
