/*
 * Sweep files: the scenario module's strict reader (flyt/spec.h) applied
 * to a small schema; grid and list points are copied from the file, and
 * the drawn designs are left to design.c. Nothing here reads another file:
 * flyt_sweep_parse works on text alone, so `flyt merge` can rebuild the
 * points table from the sweep text stored in a shard.
 */
#include "flyt/spec.h"
#include "flyt/sweep.h"
#include "sweep/design.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTS 1000000

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

/* The text --set gets for a scalar setting, and its value as a number. */
static bool scalar_text(struct flyt_spec *sp, struct flyt_spec_node *v, const char *key, char *buf,
                        size_t len, double *num, bool *is_string)
{
    *is_string = false;
    switch (flyt_spec_type(v)) {
    case FLYT_SPEC_INT:
    case FLYT_SPEC_INT64:
        *num = (double)flyt_spec_int64(v);
        snprintf(buf, len, "%lld", flyt_spec_int64(v));
        return true;
    case FLYT_SPEC_FLOAT:
        *num = flyt_spec_float(v);
        if (!isfinite(*num)) {
            flyt_spec_error(sp, v, key, "must be a finite number");
            return false;
        }
        flyt__sweep_format_float(buf, len, *num);
        return true;
    case FLYT_SPEC_BOOL:
        *num = flyt_spec_bool(v);
        snprintf(buf, len, "%s", *num ? "true" : "false");
        return true;
    case FLYT_SPEC_STRING:
        *num = NAN;
        *is_string = true;
        if (strlen(flyt_spec_string(v)) + 3 > len) {
            flyt_spec_error(sp, v, key, "string value too long");
            return false;
        }
        snprintf(buf, len, "\"%s\"", flyt_spec_string(v));
        return true;
    default:
        flyt_spec_error(sp, v, key, "expected a single value (number, true/false or string)");
        return false;
    }
}

static void free_params(struct flyt_sweep *sw)
{
    for (size_t i = 0; i < sw->n_params; i++)
        free(sw->params[i].key);
    free(sw->params);
    sw->params = NULL;
}

void flyt_sweep_free(struct flyt_sweep *sw)
{
    if (!sw)
        return;
    free(sw->source);
    free(sw->text);
    free(sw->name);
    free(sw->description);
    free(sw->base_path);
    free(sw->base_text);
    for (size_t i = 0; i < sw->n_fixed; i++)
        free(sw->fixed[i]);
    free(sw->fixed);
    free(sw->fixed_line);
    free_params(sw);
    if (sw->value_text)
        for (size_t i = 0; i < sw->n_points * sw->n_params; i++)
            free(sw->value_text[i]);
    free(sw->value_text);
    free(sw->value);
    for (unsigned u = 0; sw->unit_ids && u < sw->n_units; u++)
        free(sw->unit_ids[u]);
    free(sw->unit_ids);
    free(sw);
}

static bool alloc_points(struct flyt_spec *sp, struct flyt_sweep *sw, size_t n_points)
{
    size_t n = n_points * sw->n_params;
    sw->value_text = calloc(n ? n : 1, sizeof *sw->value_text);
    sw->value = calloc(n ? n : 1, sizeof *sw->value);
    if (!sw->value_text || !sw->value) {
        flyt_diag_add(flyt_spec_diag(sp), flyt_spec_name(sp), 0, NULL,
                      "out of memory for %zu points", n_points);
        return false;
    }
    sw->n_points = n_points;
    return true;
}

/* "key=value" strings applied at every point. */
static void read_fixed(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    struct flyt_spec_node *s = flyt_spec_get(sp, root, "set", false);
    if (!s)
        return;
    if (!flyt_spec_is_list(s)) {
        flyt_spec_error(sp, s, "set", "expected a list of \"key.path=value\" strings");
        flyt_spec_mark_tree(s); /* one message, not one per member too */
        return;
    }
    int n = flyt_spec_length(s);
    sw->fixed = calloc((size_t)n + 1, sizeof *sw->fixed);
    sw->fixed_line = calloc((size_t)n + 1, sizeof *sw->fixed_line);
    if (!sw->fixed || !sw->fixed_line)
        return;
    for (int i = 0; i < n; i++) {
        struct flyt_spec_node *e = flyt_spec_elem(s, (int)i);
        flyt_spec_mark(e);
        const char *v = flyt_spec_string(e);
        char key[32];
        snprintf(key, sizeof key, "set[%d]", i);
        if (!v || !strchr(v, '=') || v[0] == '=') {
            flyt_spec_error(sp, e, key,
                            "expected \"key.path=value\", e.g. \"run.horizon_days=485\"");
            continue;
        }
        sw->fixed_line[sw->n_fixed] = flyt_spec_line(e);
        sw->fixed[sw->n_fixed++] = dup_str(v);
    }
}

static bool valid_key_path(const char *k)
{
    if (!*k || *k == '.' || k[strlen(k) - 1] == '.' || strstr(k, ".."))
        return false;
    for (; *k; k++)
        if (!(*k == '.' || *k == '_' || *k == '-' || *k == '*' || (*k >= 'a' && *k <= 'z') ||
              (*k >= 'A' && *k <= 'Z') || (*k >= '0' && *k <= '9')))
            return false;
    return true;
}

/* A range: min < max; whole-number bounds make a whole-number parameter. */
static bool read_range(struct flyt_spec *sp, struct flyt_spec_node *e, const char *key,
                       struct flyt_sweep_param *p)
{
    struct flyt_spec_node *lo = flyt_spec_get(sp, e, "min", true),
                          *hi = flyt_spec_get(sp, e, "max", true);
    char k[320];
    snprintf(k, sizeof k, "%s.min", key);
    if (!lo || !hi || !flyt_spec_value_number(sp, lo, k, &p->lo))
        return false;
    snprintf(k, sizeof k, "%s.max", key);
    if (!flyt_spec_value_number(sp, hi, k, &p->hi))
        return false;
    if (!(p->lo < p->hi)) {
        flyt_spec_error(sp, hi, key, "bad range: min (%g) must be below max (%g)", p->lo, p->hi);
        return false;
    }
    p->integer = flyt_spec_type(lo) != FLYT_SPEC_FLOAT && flyt_spec_type(hi) != FLYT_SPEC_FLOAT;
    return true;
}

static bool read_grid_values(struct flyt_spec *sp, struct flyt_spec_node *e, const char *key,
                             struct flyt_sweep_param *p)
{
    struct flyt_spec_node *v = flyt_spec_get(sp, e, "values", true);
    if (!v)
        return false;
    if (!flyt_spec_is_list(v)) {
        flyt_spec_error(sp, v, key, "values: expected a list of values [ ... ]");
        flyt_spec_mark_tree(v);
        return false;
    }
    p->n_values = (size_t)flyt_spec_length(v);
    if (p->n_values == 0) {
        flyt_spec_error(sp, v, key, "values: empty list; give at least one value");
        return false;
    }
    flyt_spec_mark_tree(v);
    bool ok = true;
    for (size_t i = 0; i < p->n_values; i++) {
        char k[340], text[1100];
        double num;
        bool str;
        snprintf(k, sizeof k, "%s.values[%zu]", key, i);
        if (!scalar_text(sp, flyt_spec_elem(v, (int)i), k, text, sizeof text, &num, &str))
            ok = false;
        p->is_string |= str;
    }
    return ok;
}

/* A parameter refused for its key keeps what the design reads from it
 * out of the unknown-key check: those keys are known, just not read. */
static bool skip_param(struct flyt_spec_node *e)
{
    static const char *const known[] = { "values", "min", "max" };
    for (int i = 0; i < 3; i++)
        flyt_spec_mark_tree(flyt_spec_member(e, known[i]));
    return false;
}

static bool read_param(struct flyt_spec *sp, struct flyt_spec_node *e, struct flyt_sweep *sw,
                       size_t i)
{
    struct flyt_sweep_param *p = &sw->params[i];
    char key[64];
    snprintf(key, sizeof key, "parameters[%zu]", i);
    p->line = flyt_spec_line(e);
    if (!flyt_spec_is_group(e)) {
        flyt_spec_error(sp, e, key, "expected a group { key = \"...\"; ... }");
        flyt_spec_mark_tree(e);
        return false;
    }
    const char *k = NULL;
    if (!flyt_spec_str(sp, e, "key", true, &k) || !k)
        return skip_param(e);
    if (!valid_key_path(k)) {
        flyt_spec_error(sp, flyt_spec_member(e, "key"), key,
                        "'%s' is not a key path (e.g. units.short_term.capacity)", k);
        return skip_param(e);
    }
    p->key = dup_str(k);
    for (size_t j = 0; j < i; j++)
        if (sw->params[j].key && strcmp(sw->params[j].key, k) == 0) {
            flyt_spec_error(sp, e, key, "'%s' is varied twice (also on line %d)", k,
                            sw->params[j].line);
            return skip_param(e);
        }
    switch (sw->design) {
    case FLYT_DESIGN_GRID:
        return read_grid_values(sp, e, key, p);
    case FLYT_DESIGN_SOBOL:
    case FLYT_DESIGN_LHS:
        return read_range(sp, e, key, p);
    default:
        return true;
    }
}

static bool read_params(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    struct flyt_spec_node *ps = flyt_spec_get(sp, root, "parameters", true);
    if (!ps)
        return false;
    /* Refused as a whole, the list's members are not read: marking them
     * keeps one message from becoming one per member. */
    if (!flyt_spec_is_list(ps)) {
        flyt_spec_error(sp, ps, "parameters", "expected a list ( { key = ...; ... }, ... )");
        flyt_spec_mark_tree(ps);
        return false;
    }
    int n = flyt_spec_length(ps);
    if (n < 1 || n > FLYT_SWEEP_MAX_PARAMS) {
        flyt_spec_error(sp, ps, "parameters",
                        "%d parameters, but a sweep varies 1 to %d (the limit of GSL's Sobol "
                        "generator, kept for every design); split the sweep or fix some keys with "
                        "set = [ \"key=value\" ]",
                        n, FLYT_SWEEP_MAX_PARAMS);
        flyt_spec_mark_tree(ps);
        return false;
    }
    sw->params = calloc((size_t)n, sizeof *sw->params);
    if (!sw->params)
        return false;
    sw->n_params = (size_t)n;
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok = read_param(sp, flyt_spec_elem(ps, (int)i), sw, (size_t)i) && ok;
    return ok;
}

/* Cartesian product, the last parameter varying fastest. The values were
 * checked by read_grid_values. */
static bool gen_grid(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    size_t n = 1;
    struct flyt_spec_node *ps = flyt_spec_member(root, "parameters");
    for (size_t j = 0; j < sw->n_params; j++) {
        n *= sw->params[j].n_values;
        if (n > MAX_POINTS) {
            flyt_spec_error(sp, ps, "parameters", "the grid has more than %d points", MAX_POINTS);
            return false;
        }
    }
    if (!alloc_points(sp, sw, n))
        return false;
    for (size_t pt = 0; pt < n; pt++) {
        size_t rest = pt;
        for (size_t j = sw->n_params; j-- > 0;) {
            size_t vi = rest % sw->params[j].n_values;
            rest /= sw->params[j].n_values;
            struct flyt_spec_node *e = flyt_spec_elem(ps, (int)j);
            struct flyt_spec_node *v = flyt_spec_elem(flyt_spec_member(e, "values"), (int)vi);
            char text[1100];
            double num;
            bool str;
            if (!scalar_text(sp, v, "", text, sizeof text, &num, &str) ||
                !flyt__sweep_set_value(sw, pt, j, text, num))
                return false;
        }
    }
    return true;
}

static bool gen_list(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    struct flyt_spec_node *pts = flyt_spec_get(sp, root, "points", true);
    if (!pts)
        return false;
    if (!flyt_spec_is_list(pts)) {
        flyt_spec_error(sp, pts, "points", "expected a list of points ( (v1, v2, ...), ... )");
        flyt_spec_mark_tree(pts);
        return false;
    }
    int n = flyt_spec_length(pts);
    if (n < 1) {
        flyt_spec_error(sp, pts, "points", "empty list; give at least one point");
        return false;
    }
    if (n > MAX_POINTS) {
        flyt_spec_error(sp, pts, "points", "%d points, but a sweep has at most %d", n, MAX_POINTS);
        flyt_spec_mark_tree(pts);
        return false;
    }
    if (!alloc_points(sp, sw, (size_t)n))
        return false;
    flyt_spec_mark_tree(pts);
    bool ok = true;
    for (int i = 0; i < n; i++) {
        struct flyt_spec_node *pt = flyt_spec_elem(pts, (int)i);
        char key[48];
        snprintf(key, sizeof key, "points[%d]", i);
        if ((!flyt_spec_is_list(pt)) || (size_t)flyt_spec_length(pt) != sw->n_params) {
            flyt_spec_error(sp, pt, key, "expected a list of %zu values (one per parameter)",
                            sw->n_params);
            ok = false;
            continue;
        }
        for (size_t j = 0; j < sw->n_params; j++) {
            char text[1100];
            double num;
            bool str;
            if (!scalar_text(sp, flyt_spec_elem(pt, (int)j), key, text, sizeof text, &num, &str)) {
                ok = false;
                continue;
            }
            sw->params[j].is_string |= str;
            if (!flyt__sweep_set_value(sw, (size_t)i, j, text, num))
                return false;
        }
    }
    return ok;
}

/* n (and the Latin hypercube's seed) are read even when a parameter is
 * wrong, so that every problem is reported at once. */
static bool read_design_size(struct flyt_spec *sp, struct flyt_spec_node *root,
                             struct flyt_sweep *sw, long long *n)
{
    long long seed = 1;
    bool ok = flyt_spec_int(sp, root, "n", true, 1, MAX_POINTS, n);
    if (sw->design == FLYT_DESIGN_LHS &&
        !flyt_spec_int(sp, root, "seed", false, 0, 9223372036854775807LL, &seed))
        ok = false;
    sw->lhs_seed = (uint64_t)seed;
    return ok;
}

static bool gen_design(struct flyt_spec *sp, struct flyt_sweep *sw, long long n)
{
    if (!alloc_points(sp, sw, (size_t)n))
        return false;
    bool ok = flyt__sweep_design_fill(sw);
    if (!ok)
        flyt_diag_add(flyt_spec_diag(sp), flyt_spec_name(sp), 0, NULL,
                      "out of memory for %lld points", n);
    return ok;
}

static bool read_design(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    const char *d = NULL;
    if (!flyt_spec_str(sp, root, "design", true, &d) || !d)
        return false;
    for (int i = 0; i < 4; i++)
        if (strcmp(d, flyt_sweep_design_name((enum flyt_sweep_design)i)) == 0) {
            sw->design = (enum flyt_sweep_design)i;
            return true;
        }
    flyt_spec_error(sp, flyt_spec_member(root, "design"), "design",
                    "unknown design '%s'; valid: grid, list, sobol, lhs", d);
    return false;
}

static void read_head(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    const char *s = NULL;
    if (flyt_spec_str(sp, root, "name", false, &s) && s)
        sw->name = dup_str(s);
    s = NULL;
    if (flyt_spec_str(sp, root, "description", false, &s) && s)
        sw->description = dup_str(s);
    s = NULL;
    struct flyt_spec_node *b = flyt_spec_member(root, "base");
    if (flyt_spec_str(sp, root, "base", true, &s) && s) {
        sw->base_path = dup_str(s);
        sw->base_line = flyt_spec_line(b);
    }
    long long r = 0;
    if (flyt_spec_int(sp, root, "replications", false, 1, 1000000, &r))
        sw->replications = (unsigned)r;
    read_fixed(sp, root, sw);
}

static void read_sweep(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_sweep *sw)
{
    read_head(sp, root, sw);
    bool design_ok = read_design(sp, root, sw);
    if (design_ok) {
        bool params_ok = read_params(sp, root, sw);
        long long n = 0;
        bool ranges = sw->design == FLYT_DESIGN_SOBOL || sw->design == FLYT_DESIGN_LHS;
        bool size_ok = !ranges || read_design_size(sp, root, sw, &n);
        if (!params_ok || !size_ok)
            flyt_spec_mark_tree(flyt_spec_member(root, "points"));
        else if (sw->design == FLYT_DESIGN_GRID)
            gen_grid(sp, root, sw);
        else if (sw->design == FLYT_DESIGN_LIST)
            gen_list(sp, root, sw);
        else if (ranges) /* read_design takes only these four designs */
            gen_design(sp, sw, n);
    } else {
        /* the rest cannot be judged without a design: no unknown-key noise */
        flyt_spec_mark_tree(flyt_spec_member(root, "parameters"));
        flyt_spec_mark_tree(flyt_spec_member(root, "points"));
        flyt_spec_mark_tree(flyt_spec_member(root, "n"));
        flyt_spec_mark_tree(flyt_spec_member(root, "seed"));
    }
    flyt_spec_check_unknown(sp);
}

static struct flyt_sweep *read_spec(struct flyt_spec *sp, const char *text, const char *name,
                                    struct flyt_diag *diag)
{
    struct flyt_sweep *sw = calloc(1, sizeof *sw);
    if (!sw) {
        flyt_diag_add(diag, name, 0, NULL, "out of memory");
        return NULL;
    }
    int before = diag->n_errors;
    read_sweep(sp, flyt_spec_root(sp), sw);
    sw->source = dup_str(name);
    sw->text = dup_str(text);
    if (!sw->name) {
        const char *slash = strrchr(name, '/');
        sw->name = dup_str(slash ? slash + 1 : name);
        char *dot = sw->name ? strrchr(sw->name, '.') : NULL;
        if (dot && dot != sw->name)
            *dot = '\0';
    }
    if (diag->n_errors > before || !sw->source || !sw->text || !sw->name) {
        if (diag->n_errors == before)
            flyt_diag_add(diag, name, 0, NULL, "out of memory");
        flyt_sweep_free(sw);
        return NULL;
    }
    return sw;
}

static bool has_include(const char *text)
{
    for (const char *p = text; p; p = strchr(p, '\n')) {
        p += *p == '\n';
        p += strspn(p, " \t");
        if (strncmp(p, "@include", 8) == 0)
            return true;
    }
    return false;
}

struct flyt_sweep *flyt_sweep_parse(const char *text, const char *name, struct flyt_diag *diag)
{
    if (has_include(text)) {
        /* a sweep is one file: its hash must cover everything it says */
        flyt_diag_add(diag, name, 0, NULL, "@include is not allowed in sweep files");
        return NULL;
    }
    /* read as scenarios are: limits, BOM, integers against their digits */
    struct flyt_spec *sp = flyt_spec_parse(text, name, NULL, diag);
    if (!sp)
        return NULL;
    struct flyt_sweep *sw = read_spec(sp, text, name, diag);
    flyt_spec_free(sp);
    return sw;
}
