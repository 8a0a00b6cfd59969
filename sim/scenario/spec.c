/*
 * flyt/spec.h over the scenario loader's reader: one strict reader for
 * every file flyt reads, so a sweep file or a calibration spec gets a
 * scenario's checks and message form, and libconfig stays in this folder.
 *
 * A node is a config_setting_t behind an opaque name: the tree is not
 * copied, and the reader's marks, key paths and @include line map apply
 * to it unchanged.
 */
#include "flyt/spec.h"
#include "scenario/reader.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct flyt_spec {
    config_t cfg; /* settings point back at it: the struct never moves */
    struct reader rd;
    struct src_map map;
    char *prepared;
    struct flyt_diag quiet; /* flyt_spec_parse_plain's: nobody reads it */
    char *text;             /* flyt_spec_load's: the file as read */
};

static config_setting_t *cs(const struct flyt_spec_node *n)
{
    return (config_setting_t *)n;
}

static struct flyt_spec_node *node(const config_setting_t *s)
{
    return (struct flyt_spec_node *)s;
}

static struct flyt_spec *spec_new(const char *name, struct flyt_diag *diag)
{
    struct flyt_spec *spec = calloc(1, sizeof *spec);
    if (!spec) {
        flyt_diag_add(diag, name, 0, NULL, "out of memory");
        return NULL;
    }
    config_init(&spec->cfg);
    flyt__rd_init(&spec->rd, &spec->cfg, name, diag);
    return spec;
}

void flyt_spec_free(struct flyt_spec *spec)
{
    if (!spec)
        return;
    flyt__rd_free(&spec->rd);
    free(spec->prepared);
    free(spec->text);
    flyt__src_map_free(&spec->map);
    config_destroy(&spec->cfg);
    flyt_diag_free(&spec->quiet);
    free(spec);
}

struct flyt_spec *flyt_spec_parse(const char *text, const char *name, const char *include_dir,
                                  struct flyt_diag *diag)
{
    struct flyt_spec *spec = spec_new(name, diag);
    if (!spec)
        return NULL;
    int before = diag->n_errors;
    spec->prepared = flyt__rd_parse_text(&spec->rd, &spec->cfg, &spec->map, text, include_dir);
    if (!spec->prepared || diag->n_errors > before) {
        flyt_spec_free(spec);
        return NULL;
    }
    return spec;
}

struct flyt_spec *flyt_spec_load(const char *path, struct flyt_diag *diag)
{
    char *dir;
    char *text = flyt__rd_read_path(path, diag, &dir);
    if (!text)
        return NULL;
    struct flyt_spec *spec = flyt_spec_parse(text, path, dir, diag);
    free(dir);
    if (spec)
        spec->text = text; /* kept: an output records the spec as read */
    else
        free(text);
    return spec;
}

const char *flyt_spec_text(const struct flyt_spec *spec)
{
    return spec->text;
}

struct flyt_spec *flyt_spec_parse_plain(const char *text)
{
    struct flyt_spec *spec = calloc(1, sizeof *spec);
    if (!spec)
        return NULL;
    flyt_diag_init(&spec->quiet);
    config_init(&spec->cfg);
    flyt__rd_init(&spec->rd, &spec->cfg, "", &spec->quiet);
    if (config_read_string(&spec->cfg, text) != CONFIG_TRUE) {
        flyt_spec_free(spec);
        return NULL;
    }
    return spec;
}

struct flyt_diag *flyt_spec_diag(const struct flyt_spec *spec)
{
    return spec->rd.diag;
}

const char *flyt_spec_name(const struct flyt_spec *spec)
{
    return spec->rd.main_file;
}

struct flyt_spec_node *flyt_spec_root(struct flyt_spec *spec)
{
    return node(config_root_setting(&spec->cfg));
}

/* A key path as --set takes it: `units.<id>.rest` names the element of the
 * units list with that id (libconfig's own paths cannot). */
struct flyt_spec_node *flyt_spec_lookup(struct flyt_spec *spec, const char *path)
{
    config_setting_t *list = config_lookup(&spec->cfg, "units");
    const char *id = path + 6, *dot = strchr(id, '.');
    if (strncmp(path, "units.", 6) != 0 || !dot || !list || !config_setting_is_list(list))
        return node(config_lookup(&spec->cfg, path));
    for (int i = 0; i < config_setting_length(list); i++) {
        config_setting_t *u = config_setting_get_elem(list, (unsigned)i);
        const char *uid = NULL;
        if (u && config_setting_lookup_string(u, "id", &uid) && strlen(uid) == (size_t)(dot - id) &&
            strncmp(uid, id, (size_t)(dot - id)) == 0)
            return node(config_setting_lookup(u, dot + 1));
    }
    return NULL;
}

enum flyt_spec_type flyt_spec_type(const struct flyt_spec_node *n)
{
    switch (n ? config_setting_type(cs(n)) : CONFIG_TYPE_NONE) {
    case CONFIG_TYPE_GROUP:
        return FLYT_SPEC_GROUP;
    case CONFIG_TYPE_INT:
        return FLYT_SPEC_INT;
    case CONFIG_TYPE_INT64:
        return FLYT_SPEC_INT64;
    case CONFIG_TYPE_FLOAT:
        return FLYT_SPEC_FLOAT;
    case CONFIG_TYPE_STRING:
        return FLYT_SPEC_STRING;
    case CONFIG_TYPE_BOOL:
        return FLYT_SPEC_BOOL;
    case CONFIG_TYPE_ARRAY:
        return FLYT_SPEC_ARRAY;
    case CONFIG_TYPE_LIST:
        return FLYT_SPEC_LIST;
    default:
        return FLYT_SPEC_NONE;
    }
}

bool flyt_spec_is_group(const struct flyt_spec_node *n)
{
    return n && config_setting_is_group(cs(n));
}

bool flyt_spec_is_list(const struct flyt_spec_node *n)
{
    return n && (config_setting_is_list(cs(n)) || config_setting_is_array(cs(n)));
}

int flyt_spec_length(const struct flyt_spec_node *n)
{
    return n ? config_setting_length(cs(n)) : 0;
}

struct flyt_spec_node *flyt_spec_elem(const struct flyt_spec_node *n, int i)
{
    return n && i >= 0 ? node(config_setting_get_elem(cs(n), (unsigned)i)) : NULL;
}

struct flyt_spec_node *flyt_spec_member(const struct flyt_spec_node *n, const char *name)
{
    return n && config_setting_is_group(cs(n)) ? node(config_setting_get_member(cs(n), name))
                                               : NULL;
}

int flyt_spec_line(const struct flyt_spec_node *n)
{
    return n ? (int)config_setting_source_line(cs(n)) : 0;
}

long long flyt_spec_int64(const struct flyt_spec_node *n)
{
    return n ? config_setting_get_int64(cs(n)) : 0;
}

double flyt_spec_float(const struct flyt_spec_node *n)
{
    return n ? config_setting_get_float(cs(n)) : 0.0;
}

bool flyt_spec_bool(const struct flyt_spec_node *n)
{
    return n && config_setting_get_bool(cs(n));
}

const char *flyt_spec_string(const struct flyt_spec_node *n)
{
    return n ? config_setting_get_string(cs(n)) : NULL;
}

struct flyt_spec_node *flyt_spec_get(struct flyt_spec *spec, struct flyt_spec_node *parent,
                                     const char *name, bool required)
{
    return node(flyt__rd_get(&spec->rd, cs(parent), name, required));
}

bool flyt_spec_str(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, const char **out)
{
    return flyt__rd_str(&spec->rd, cs(parent), name, required, out);
}

bool flyt_spec_int(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, long long lo, long long hi, long long *out)
{
    return flyt__rd_int(&spec->rd, cs(parent), name, required, lo, hi, out);
}

bool flyt_spec_num(struct flyt_spec *spec, struct flyt_spec_node *parent, const char *name,
                   bool required, double lo, double hi, double *out)
{
    return flyt__rd_num(&spec->rd, cs(parent), name, required, lo, hi, out);
}

bool flyt_spec_value_number(struct flyt_spec *spec, struct flyt_spec_node *n, const char *key,
                            double *out)
{
    return flyt__rd_value_number(&spec->rd, cs(n), key, out);
}

void flyt_spec_mark(struct flyt_spec_node *n)
{
    flyt__rd_mark(cs(n));
}

void flyt_spec_mark_tree(struct flyt_spec_node *n)
{
    flyt__rd_mark_tree(cs(n));
}

void flyt_spec_error(struct flyt_spec *spec, const struct flyt_spec_node *n, const char *key,
                     const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    flyt__rd_error(&spec->rd, cs(n), key, "%s", msg);
}

void flyt_spec_check_unknown(struct flyt_spec *spec)
{
    flyt__rd_check_unknown(&spec->rd, config_root_setting(&spec->cfg));
}

char *flyt_spec_resolve_path(const char *spec_path, const char *path)
{
    const char *slash = strrchr(spec_path, '/');
    size_t dir = path[0] == '/' || !slash ? 0 : (size_t)(slash - spec_path) + 1;
    size_t n = strlen(path);
    char *p = malloc(dir + n + 1);
    if (p) {
        memcpy(p, spec_path, dir);
        memcpy(p + dir, path, n + 1);
    }
    return p;
}

struct flyt_spec_node *flyt_spec_list_of_groups(struct flyt_spec *spec,
                                                struct flyt_spec_node *parent, const char *name,
                                                int cap, bool required)
{
    struct flyt_spec_node *l = flyt_spec_get(spec, parent, name, required);
    if (!l)
        return NULL;
    int n = flyt_spec_type(l) == FLYT_SPEC_LIST ? flyt_spec_length(l) : -1;
    if (n < 1 || n > cap) {
        flyt_spec_error(spec, l, name, "expected a list ( { ... }, ... ) of 1 to %d groups", cap);
        return NULL;
    }
    for (int i = 0; i < n; i++) {
        struct flyt_spec_node *e = flyt_spec_elem(l, i);
        if (!flyt_spec_is_group(e)) {
            char key[48];
            snprintf(key, sizeof key, "%s[%d]", name, i);
            flyt_spec_error(spec, e, key, "expected a group { ... }");
            return NULL;
        }
        flyt_spec_mark(e);
    }
    return l;
}

int flyt_spec_sets(struct flyt_spec *spec, struct flyt_spec_node *parent, int cap, size_t len,
                   const char **out, struct flyt_spec_node **nodes)
{
    struct flyt_spec_node *set = flyt_spec_get(spec, parent, "set", false);
    if (!set)
        return 0;
    if (!flyt_spec_is_list(set)) {
        flyt_spec_error(spec, set, "set", "expected an array of \"key.path=value\" strings");
        return 0;
    }
    int n = flyt_spec_length(set), k = 0;
    if (n > cap) {
        flyt_spec_error(spec, set, "set", "at most %d overrides, got %d", cap, n);
        return 0;
    }
    for (int i = 0; i < n; i++) {
        struct flyt_spec_node *e = flyt_spec_elem(set, i);
        flyt_spec_mark(e);
        const char *v = flyt_spec_string(e);
        if (!v || !strchr(v, '=') || strlen(v) >= len) {
            char key[32];
            snprintf(key, sizeof key, "set[%d]", i);
            flyt_spec_error(spec, e, key,
                            "expected a string \"key.path=value\" (under %zu characters)", len);
            continue;
        }
        out[k] = v;
        nodes[k++] = e;
    }
    return k;
}

int flyt_spec_index(const struct flyt_spec_node *n)
{
    return config_setting_index(cs(n));
}
