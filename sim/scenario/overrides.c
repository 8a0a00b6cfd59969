/* --set key.path=value: the value's type is read from its text, as libconfig
 * would read it in a file, and the result goes through the same validation
 * as the file itself. Missing groups and keys on the path are created, so an
 * optional key can be set even when the file leaves it out. */
#include "scenario/overrides.h"
#include "scenario/source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool parse_int(const char *v, long long *out)
{
    char *end;
    errno = 0;
    long long x = strtoll(v, &end, 10);
    if (errno || end == v || *end != '\0')
        return false;
    *out = x;
    return true;
}

static bool parse_float(const char *v, double *out)
{
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || end == v || *end != '\0' || !isfinite(x))
        return false;
    *out = x;
    return true;
}

/* "nan", "inf", "1e999": numbers to strtod, but no scenario value is
 * infinite, and read as strings they would be reported as wrong types. */
static bool non_finite_number(const char *v)
{
    char *end;
    double x = strtod(v, &end);
    return end != v && *end == '\0' && !isfinite(x);
}

/* An integer as a file would write it (decimal or 0x hex, an optional L),
 * and with a leading space or '+' as strtoll reads it. Unlike libconfig,
 * a plain literal above 2^31-1 becomes a 64-bit integer rather than
 * wrapping. Returns -1 for an integer that fits no type. */
static int read_int(const char *v, long long *out)
{
    struct src_int lit;
    enum src_int_kind k = flyt__src_int_literal(v, strlen(v), &lit);
    bool fits64 = lit.hex ? lit.magnitude <= (unsigned long long)INT64_MAX
                          : lit.magnitude <= (unsigned long long)INT64_MAX + lit.negative;
    if (k == SRC_NOT_INT)
        return parse_int(v, out) ? 1 : 0;
    if (!fits64)
        return -1;
    *out = lit.negative ? (long long)(0ULL - lit.magnitude) : (long long)lit.magnitude;
    return 1;
}

static config_setting_t *add_value(config_setting_t *parent, const char *name, const char *v)
{
    long long i;
    double f;
    size_t n = strlen(v);
    config_setting_t *s;
    if (read_int(v, &i) > 0) {
        bool small = i >= INT32_MIN && i <= INT32_MAX;
        s = config_setting_add(parent, name, small ? CONFIG_TYPE_INT : CONFIG_TYPE_INT64);
        if (s)
            small ? config_setting_set_int(s, (int)i) : config_setting_set_int64(s, i);
    } else if (parse_float(v, &f)) {
        s = config_setting_add(parent, name, CONFIG_TYPE_FLOAT);
        if (s)
            config_setting_set_float(s, f);
    } else if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
        s = config_setting_add(parent, name, CONFIG_TYPE_BOOL);
        if (s)
            config_setting_set_bool(s, v[0] == 't');
    } else {
        char buf[1024];
        if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && n - 2 < sizeof buf) {
            memcpy(buf, v + 1, n - 2);
            buf[n - 2] = '\0';
        } else {
            snprintf(buf, sizeof buf, "%s", v);
        }
        s = config_setting_add(parent, name, CONFIG_TYPE_STRING);
        if (s)
            config_setting_set_string(s, buf);
    }
    return s;
}

static bool valid_name(const char *s)
{
    if (!isalpha((unsigned char)*s) && *s != '*')
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '*')
            return false;
    return true;
}

/* A list at the root whose elements a path names: the units by their id,
 * the coordinator roles by their name (coordinators.<name>.headcount, for
 * a name that is a key); NULL for any other list. */
/* The lists whose elements --set names by a member: the root's units,
 * shared_units, municipalities (by id) and coordinators (by name), and a
 * municipality's own units and coordinators. */
static const char *list_key(const config_setting_t *list)
{
    const char *n = config_setting_name(list);
    const config_setting_t *up = config_setting_parent(list);
    if (!n || !up)
        return NULL;
    bool root = !config_setting_parent(up);
    const config_setting_t *ml = config_setting_parent(up);
    bool muni = !root && !config_setting_name(up) && ml && config_setting_name(ml) &&
                strcmp(config_setting_name(ml), "municipalities") == 0 &&
                !config_setting_parent(config_setting_parent(ml));
    if (strcmp(n, "units") == 0)
        return root || muni ? "id" : NULL;
    if (strcmp(n, "coordinators") == 0)
        return root || muni ? "name" : NULL;
    if (root && (strcmp(n, "shared_units") == 0 || strcmp(n, "municipalities") == 0))
        return "id";
    return NULL;
}

/* Whether part, a member of cur, would be one of the lists list_key names
 * (the root's, or a municipality's own units and coordinators; not the
 * groups cost.units and cost.roles). */
static bool by_id_here(const config_setting_t *cur, const char *part)
{
    const config_setting_t *up = config_setting_parent(cur);
    bool root = !up;
    bool muni = up && !config_setting_name(cur) && config_setting_name(up) &&
                strcmp(config_setting_name(up), "municipalities") == 0 &&
                !config_setting_parent(config_setting_parent(up));
    if (strcmp(part, "units") == 0 || strcmp(part, "coordinators") == 0)
        return root || muni;
    return root && (strcmp(part, "shared_units") == 0 || strcmp(part, "municipalities") == 0);
}

static config_setting_t *unit_by_id(config_setting_t *list, const char *id)
{
    const char *key = list_key(list) ? list_key(list) : "id";
    int n = config_setting_length(list);
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        config_setting_t *m = config_setting_is_group(e) ? config_setting_get_member(e, key) : NULL;
        const char *v = m ? config_setting_get_string(m) : NULL;
        if (v && strcmp(v, id) == 0)
            return e;
    }
    return NULL;
}

static bool remember(struct reader *rd, config_setting_t *s, int index)
{
    if (rd->n_sets == rd->cap_sets) {
        int cap = rd->cap_sets ? rd->cap_sets * 2 : 16;
        struct rd_set *t = realloc(rd->sets, sizeof *t * (size_t)cap);
        if (!t)
            return false;
        rd->sets = t;
        rd->cap_sets = cap;
    }
    rd->sets[rd->n_sets++] = (struct rd_set){ s, index };
    return true;
}

static int apply_one(struct reader *rd, const char *set, int index)
{
    char path[512];
    const char *eq = strchr(set, '=');
    if (!eq || eq == set || (size_t)(eq - set) >= sizeof path) {
        flyt_diag_add(rd->diag, "--set", index, NULL,
                      "expected key.path=value (e.g. units.short_term.capacity=140), got '%s'",
                      set);
        return -1;
    }
    memcpy(path, set, (size_t)(eq - set));
    path[eq - set] = '\0';
    const char *value = eq + 1;
    config_setting_t *cur = config_root_setting(rd->cfg);
    char *save = NULL;
    for (char *part = strtok_r(path, ".", &save); part; part = strtok_r(NULL, ".", &save)) {
        bool last = save == NULL || *save == '\0';
        if (!valid_name(part)) {
            flyt_diag_add(rd->diag, "--set", index, NULL, "'%s' is not a valid key name", part);
            return -1;
        }
        config_setting_t *next = config_setting_is_list(cur) ? unit_by_id(cur, part)
                                                             : config_setting_get_member(cur, part);
        if (config_setting_is_list(cur) && !next) {
            bool roles = strcmp(list_key(cur) ? list_key(cur) : "id", "name") == 0;
            bool munis = strcmp(config_setting_name(cur) ? config_setting_name(cur) : "",
                                "municipalities") == 0;
            flyt_diag_add(rd->diag, "--set", index, NULL,
                          roles   ? "no coordinator role is named '%s'"
                          : munis ? "no municipality has id '%s'"
                                  : "no unit has id '%s'",
                          part);
            return -1;
        }
        if (!last && next && config_setting_is_list(next) && list_key(next)) {
            cur = next; /* units.<id>.key, coordinators.<name>.key */
            continue;
        }
        if (!last) {
            if (!next && by_id_here(cur, part)) {
                /* a list named by id that the file does not have: its
                 * elements cannot be named (a group made here would only
                 * be refused as a list's wrong form) */
                flyt_diag_add(rd->diag, "--set", index, NULL,
                              "the scenario has no %s: '%s' names none of them", part, set);
                return -1;
            }
            if (!next) {
                /* a group made here has no line in the file: errors in it
                 * (a required key missing) point at this --set */
                next = config_setting_add(cur, part, CONFIG_TYPE_GROUP);
                if (next && !remember(rd, next, index))
                    next = NULL;
            }
            if (!next || !config_setting_is_group(next)) {
                flyt_diag_add(rd->diag, "--set", index, NULL,
                              "'%s' on the path is not a group of keys", part);
                return -1;
            }
            cur = next;
            continue;
        }
        char key[512];
        snprintf(key, sizeof key, "%.*s", (int)(eq - set), set);
        if (non_finite_number(value)) {
            flyt_diag_add(rd->diag, "--set", index, key, "must be a finite number, got '%s'",
                          value);
            return -1;
        }
        long long ignored;
        if (read_int(value, &ignored) < 0) {
            flyt_diag_add(rd->diag, "--set", index, key,
                          "%.40s%s does not fit in a 64-bit integer (-9223372036854775808 to "
                          "9223372036854775807)",
                          value, strlen(value) > 40 ? "..." : "");
            return -1;
        }
        if (next && config_setting_is_aggregate(next)) {
            flyt_diag_add(rd->diag, "--set", index, NULL,
                          "'%s' is a group or list; --set changes single values only", part);
            return -1;
        }
        if (next) {
            flyt__rd_forget(rd, next); /* the freed setting must not match */
            config_setting_remove(cur, part);
        }
        config_setting_t *s = add_value(cur, part, value);
        if (!s) {
            flyt_diag_add(rd->diag, "--set", index, NULL, "cannot set '%s'", part);
            return -1;
        }
        if (!remember(rd, s, index)) {
            flyt_diag_add(rd->diag, "--set", index, NULL, "out of memory");
            return -1;
        }
    }
    return 0;
}

int flyt__apply_sets(struct reader *rd, const char *const *sets, int n_sets)
{
    int rc = 0;
    for (int i = 0; i < n_sets; i++)
        if (apply_one(rd, sets[i], i + 1) != 0)
            rc = -1;
    return rc;
}
