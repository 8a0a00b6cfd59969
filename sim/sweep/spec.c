/*
 * Sweep files: the strict reader of the scenario loader applied to a
 * small schema, then point generation. Nothing here reads another file:
 * flyt_sweep_parse works on text alone, so `flyt merge` can rebuild the
 * points table from the sweep text stored in a shard.
 */
#include "flyt/sweep.h"
#include "scenario/reader.h"

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTS 1000000

static const char *const design_names[] = { "grid", "list", "sobol", "lhs" };

const char *flyt_sweep_design_name(enum flyt_sweep_design d)
{
    return (unsigned)d < 4 ? design_names[d] : "?";
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s ? s : "") + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s ? s : "", n);
    return d;
}

/* A float keeps a decimal point so that --set reads it back as a float,
 * as the sweep file wrote it (an integer key given 2.0 is an error there
 * too). The shortest of %.15g..%.17g that reads back as x. */
static void format_float(char *buf, size_t len, double x)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        snprintf(buf + strlen(buf), len - strlen(buf), ".0");
}

/* The text --set gets for a scalar setting, and its value as a number. */
static bool scalar_text(struct reader *rd, config_setting_t *v, const char *key, char *buf,
                        size_t len, double *num, bool *is_string)
{
    *is_string = false;
    switch (config_setting_type(v)) {
    case CONFIG_TYPE_INT:
        *num = config_setting_get_int(v);
        snprintf(buf, len, "%d", config_setting_get_int(v));
        return true;
    case CONFIG_TYPE_INT64:
        *num = (double)config_setting_get_int64(v);
        snprintf(buf, len, "%lld", config_setting_get_int64(v));
        return true;
    case CONFIG_TYPE_FLOAT:
        *num = config_setting_get_float(v);
        if (!isfinite(*num)) {
            flyt__rd_error(rd, v, key, "must be a finite number");
            return false;
        }
        format_float(buf, len, *num);
        return true;
    case CONFIG_TYPE_BOOL:
        *num = config_setting_get_bool(v);
        snprintf(buf, len, "%s", *num ? "true" : "false");
        return true;
    case CONFIG_TYPE_STRING:
        *num = NAN;
        *is_string = true;
        if (strlen(config_setting_get_string(v)) + 3 > len) {
            flyt__rd_error(rd, v, key, "string value too long");
            return false;
        }
        snprintf(buf, len, "\"%s\"", config_setting_get_string(v));
        return true;
    default:
        flyt__rd_error(rd, v, key, "expected a single value (number, true/false or string)");
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
    free(sw);
}

static bool alloc_points(struct reader *rd, struct flyt_sweep *sw, size_t n_points)
{
    size_t n = n_points * sw->n_params;
    sw->value_text = calloc(n ? n : 1, sizeof *sw->value_text);
    sw->value = calloc(n ? n : 1, sizeof *sw->value);
    if (!sw->value_text || !sw->value) {
        flyt_diag_add(rd->diag, rd->main_file, 0, NULL, "out of memory for %zu points", n_points);
        return false;
    }
    sw->n_points = n_points;
    return true;
}

static bool set_value(struct flyt_sweep *sw, size_t point, size_t param, const char *text,
                      double num)
{
    size_t i = point * sw->n_params + param;
    sw->value_text[i] = dup_str(text);
    sw->value[i] = num;
    return sw->value_text[i] != NULL;
}

/* "key=value" strings applied at every point. */
static void read_fixed(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    config_setting_t *s = flyt__rd_get(rd, root, "set", false);
    if (!s)
        return;
    if (!config_setting_is_array(s) && !config_setting_is_list(s)) {
        flyt__rd_error(rd, s, "set", "expected a list of \"key.path=value\" strings");
        flyt__rd_mark_tree(s); /* one message, not one per member too */
        return;
    }
    int n = config_setting_length(s);
    sw->fixed = calloc((size_t)n + 1, sizeof *sw->fixed);
    sw->fixed_line = calloc((size_t)n + 1, sizeof *sw->fixed_line);
    if (!sw->fixed || !sw->fixed_line)
        return;
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        flyt__rd_mark(e);
        const char *v = config_setting_get_string(e);
        char key[32];
        snprintf(key, sizeof key, "set[%d]", i);
        if (!v || !strchr(v, '=') || v[0] == '=') {
            flyt__rd_error(rd, e, key,
                           "expected \"key.path=value\", e.g. \"run.horizon_days=485\"");
            continue;
        }
        sw->fixed_line[sw->n_fixed] = (int)config_setting_source_line(e);
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
static bool read_range(struct reader *rd, config_setting_t *e, const char *key,
                       struct flyt_sweep_param *p)
{
    config_setting_t *lo = flyt__rd_get(rd, e, "min", true), *hi = flyt__rd_get(rd, e, "max", true);
    char k[320];
    snprintf(k, sizeof k, "%s.min", key);
    if (!lo || !hi || !flyt__rd_value_number(rd, lo, k, &p->lo))
        return false;
    snprintf(k, sizeof k, "%s.max", key);
    if (!flyt__rd_value_number(rd, hi, k, &p->hi))
        return false;
    if (!(p->lo < p->hi)) {
        flyt__rd_error(rd, hi, key, "bad range: min (%g) must be below max (%g)", p->lo, p->hi);
        return false;
    }
    p->integer = config_setting_type(lo) != CONFIG_TYPE_FLOAT &&
                 config_setting_type(hi) != CONFIG_TYPE_FLOAT;
    return true;
}

static bool read_grid_values(struct reader *rd, config_setting_t *e, const char *key,
                             struct flyt_sweep_param *p)
{
    config_setting_t *v = flyt__rd_get(rd, e, "values", true);
    if (!v)
        return false;
    if (!config_setting_is_array(v) && !config_setting_is_list(v)) {
        flyt__rd_error(rd, v, key, "values: expected a list of values [ ... ]");
        flyt__rd_mark_tree(v);
        return false;
    }
    p->n_values = (size_t)config_setting_length(v);
    if (p->n_values == 0) {
        flyt__rd_error(rd, v, key, "values: empty list; give at least one value");
        return false;
    }
    flyt__rd_mark_tree(v);
    bool ok = true;
    for (size_t i = 0; i < p->n_values; i++) {
        char k[340], text[1100];
        double num;
        bool str;
        snprintf(k, sizeof k, "%s.values[%zu]", key, i);
        if (!scalar_text(rd, config_setting_get_elem(v, (unsigned)i), k, text, sizeof text, &num,
                         &str))
            ok = false;
        p->is_string |= str;
    }
    return ok;
}

/* A parameter refused for its key keeps what the design reads from it
 * out of the unknown-key check: those keys are known, just not read. */
static bool skip_param(config_setting_t *e)
{
    static const char *const known[] = { "values", "min", "max" };
    for (int i = 0; i < 3; i++)
        flyt__rd_mark_tree(config_setting_get_member(e, known[i]));
    return false;
}

static bool read_param(struct reader *rd, config_setting_t *e, struct flyt_sweep *sw, size_t i)
{
    struct flyt_sweep_param *p = &sw->params[i];
    char key[64];
    snprintf(key, sizeof key, "parameters[%zu]", i);
    p->line = (int)config_setting_source_line(e);
    if (!config_setting_is_group(e)) {
        flyt__rd_error(rd, e, key, "expected a group { key = \"...\"; ... }");
        flyt__rd_mark_tree(e);
        return false;
    }
    const char *k = NULL;
    if (!flyt__rd_str(rd, e, "key", true, &k) || !k)
        return skip_param(e);
    if (!valid_key_path(k)) {
        flyt__rd_error(rd, config_setting_get_member(e, "key"), key,
                       "'%s' is not a key path (e.g. units.short_term.beds)", k);
        return skip_param(e);
    }
    p->key = dup_str(k);
    for (size_t j = 0; j < i; j++)
        if (sw->params[j].key && strcmp(sw->params[j].key, k) == 0) {
            flyt__rd_error(rd, e, key, "'%s' is varied twice (also on line %d)", k,
                           sw->params[j].line);
            return skip_param(e);
        }
    switch (sw->design) {
    case FLYT_DESIGN_GRID:
        return read_grid_values(rd, e, key, p);
    case FLYT_DESIGN_SOBOL:
    case FLYT_DESIGN_LHS:
        return read_range(rd, e, key, p);
    default:
        return true;
    }
}

static bool read_params(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    config_setting_t *ps = flyt__rd_get(rd, root, "parameters", true);
    if (!ps)
        return false;
    /* Refused as a whole, the list's members are not read: marking them
     * keeps one message from becoming one per member. */
    if (!config_setting_is_list(ps) && !config_setting_is_array(ps)) {
        flyt__rd_error(rd, ps, "parameters", "expected a list ( { key = ...; ... }, ... )");
        flyt__rd_mark_tree(ps);
        return false;
    }
    int n = config_setting_length(ps);
    if (n < 1 || n > FLYT_SWEEP_MAX_PARAMS) {
        flyt__rd_error(rd, ps, "parameters",
                       "%d parameters, but a sweep varies 1 to %d (the limit of GSL's Sobol "
                       "generator, kept for every design); split the sweep or fix some keys with "
                       "set = [ \"key=value\" ]",
                       n, FLYT_SWEEP_MAX_PARAMS);
        flyt__rd_mark_tree(ps);
        return false;
    }
    sw->params = calloc((size_t)n, sizeof *sw->params);
    if (!sw->params)
        return false;
    sw->n_params = (size_t)n;
    bool ok = true;
    for (int i = 0; i < n; i++)
        ok = read_param(rd, config_setting_get_elem(ps, (unsigned)i), sw, (size_t)i) && ok;
    return ok;
}

/* Cartesian product, the last parameter varying fastest. The values were
 * checked by read_grid_values. */
static bool gen_grid(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    size_t n = 1;
    config_setting_t *ps = config_setting_get_member(root, "parameters");
    for (size_t j = 0; j < sw->n_params; j++) {
        n *= sw->params[j].n_values;
        if (n > MAX_POINTS) {
            flyt__rd_error(rd, ps, "parameters", "the grid has more than %d points", MAX_POINTS);
            return false;
        }
    }
    if (!alloc_points(rd, sw, n))
        return false;
    for (size_t pt = 0; pt < n; pt++) {
        size_t rest = pt;
        for (size_t j = sw->n_params; j-- > 0;) {
            size_t vi = rest % sw->params[j].n_values;
            rest /= sw->params[j].n_values;
            config_setting_t *e = config_setting_get_elem(ps, (unsigned)j);
            config_setting_t *v =
                    config_setting_get_elem(config_setting_get_member(e, "values"), (unsigned)vi);
            char text[1100];
            double num;
            bool str;
            if (!scalar_text(rd, v, "", text, sizeof text, &num, &str) ||
                !set_value(sw, pt, j, text, num))
                return false;
        }
    }
    return true;
}

static bool gen_list(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    config_setting_t *pts = flyt__rd_get(rd, root, "points", true);
    if (!pts)
        return false;
    if (!config_setting_is_list(pts) && !config_setting_is_array(pts)) {
        flyt__rd_error(rd, pts, "points", "expected a list of points ( (v1, v2, ...), ... )");
        flyt__rd_mark_tree(pts);
        return false;
    }
    int n = config_setting_length(pts);
    if (n < 1) {
        flyt__rd_error(rd, pts, "points", "empty list; give at least one point");
        return false;
    }
    if (n > MAX_POINTS) {
        flyt__rd_error(rd, pts, "points", "%d points, but a sweep has at most %d", n, MAX_POINTS);
        flyt__rd_mark_tree(pts);
        return false;
    }
    if (!alloc_points(rd, sw, (size_t)n))
        return false;
    flyt__rd_mark_tree(pts);
    bool ok = true;
    for (int i = 0; i < n; i++) {
        config_setting_t *pt = config_setting_get_elem(pts, (unsigned)i);
        char key[48];
        snprintf(key, sizeof key, "points[%d]", i);
        if ((!config_setting_is_list(pt) && !config_setting_is_array(pt)) ||
            (size_t)config_setting_length(pt) != sw->n_params) {
            flyt__rd_error(rd, pt, key, "expected a list of %zu values (one per parameter)",
                           sw->n_params);
            ok = false;
            continue;
        }
        for (size_t j = 0; j < sw->n_params; j++) {
            char text[1100];
            double num;
            bool str;
            if (!scalar_text(rd, config_setting_get_elem(pt, (unsigned)j), key, text, sizeof text,
                             &num, &str)) {
                ok = false;
                continue;
            }
            sw->params[j].is_string |= str;
            if (!set_value(sw, (size_t)i, j, text, num))
                return false;
        }
    }
    return ok;
}

/* u in [0, 1) to a value of the range; whole numbers get equal shares. */
static void range_value(const struct flyt_sweep_param *p, double u, char *buf, size_t len,
                        double *num)
{
    if (p->integer) {
        double v = floor(p->lo + u * (p->hi - p->lo + 1.0));
        *num = v > p->hi ? p->hi : v;
        snprintf(buf, len, "%lld", (long long)*num);
    } else {
        *num = p->lo + u * (p->hi - p->lo);
        format_float(buf, len, *num);
    }
}

static bool fill_unit(struct flyt_sweep *sw, const double *u /* [n_points x n_params] */)
{
    for (size_t pt = 0; pt < sw->n_points; pt++)
        for (size_t j = 0; j < sw->n_params; j++) {
            char text[64];
            double num;
            range_value(&sw->params[j], u[pt * sw->n_params + j], text, sizeof text, &num);
            if (!set_value(sw, pt, j, text, num))
                return false;
        }
    return true;
}

/* GSL's Sobol sequence from its first point (0.5, ..., 0.5): no skip, so
 * the design is the documented sequence and easy to reproduce elsewhere. */
static bool sobol_unit(size_t n, size_t d, double *u)
{
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d);
    if (!q)
        return false;
    for (size_t i = 0; i < n; i++)
        gsl_qrng_get(q, u + i * d);
    gsl_qrng_free(q);
    return true;
}

/* One random permutation of the n strata per dimension and a uniform
 * position inside each stratum, from MT19937 seeded by the sweep file:
 * the same file always gives the same design. */
static bool lhs_unit(size_t n, size_t d, uint64_t seed, double *u)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t *perm = malloc(n * sizeof *perm);
    if (!r || !perm) {
        gsl_rng_free(r);
        free(perm);
        return false;
    }
    gsl_rng_set(r, (unsigned long)seed);
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        gsl_ran_shuffle(r, perm, n, sizeof *perm);
        for (size_t i = 0; i < n; i++)
            u[i * d + j] = ((double)perm[i] + gsl_rng_uniform(r)) / (double)n;
    }
    free(perm);
    gsl_rng_free(r);
    return true;
}

/* n (and the Latin hypercube's seed) are read even when a parameter is
 * wrong, so that every problem is reported at once. */
static bool read_design_size(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw,
                             long long *n)
{
    long long seed = 1;
    bool ok = flyt__rd_int(rd, root, "n", true, 1, MAX_POINTS, n);
    if (sw->design == FLYT_DESIGN_LHS &&
        !flyt__rd_int(rd, root, "seed", false, 0, 9223372036854775807LL, &seed))
        ok = false;
    sw->lhs_seed = (uint64_t)seed;
    return ok;
}

static bool gen_design(struct reader *rd, struct flyt_sweep *sw, long long n)
{
    if (!alloc_points(rd, sw, (size_t)n))
        return false;
    double *u = malloc((size_t)n * sw->n_params * sizeof *u);
    bool ok = u && (sw->design == FLYT_DESIGN_SOBOL
                            ? sobol_unit((size_t)n, sw->n_params, u)
                            : lhs_unit((size_t)n, sw->n_params, sw->lhs_seed, u));
    ok = ok && fill_unit(sw, u);
    free(u);
    if (!ok)
        flyt_diag_add(rd->diag, rd->main_file, 0, NULL, "out of memory for %lld points", n);
    return ok;
}

static bool read_design(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    const char *d = NULL;
    if (!flyt__rd_str(rd, root, "design", true, &d) || !d)
        return false;
    for (int i = 0; i < 4; i++)
        if (strcmp(d, design_names[i]) == 0) {
            sw->design = (enum flyt_sweep_design)i;
            return true;
        }
    flyt__rd_error(rd, config_setting_get_member(root, "design"), "design",
                   "unknown design '%s'; valid: grid, list, sobol, lhs", d);
    return false;
}

static void read_head(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    const char *s = NULL;
    if (flyt__rd_str(rd, root, "name", false, &s) && s)
        sw->name = dup_str(s);
    s = NULL;
    if (flyt__rd_str(rd, root, "description", false, &s) && s)
        sw->description = dup_str(s);
    s = NULL;
    config_setting_t *b = config_setting_get_member(root, "base");
    if (flyt__rd_str(rd, root, "base", true, &s) && s) {
        sw->base_path = dup_str(s);
        sw->base_line = (int)config_setting_source_line(b);
    }
    long long r = 0;
    if (flyt__rd_int(rd, root, "replications", false, 1, 1000000, &r))
        sw->replications = (unsigned)r;
    read_fixed(rd, root, sw);
}

static void read_sweep(struct reader *rd, config_setting_t *root, struct flyt_sweep *sw)
{
    read_head(rd, root, sw);
    bool design_ok = read_design(rd, root, sw);
    if (design_ok) {
        bool params_ok = read_params(rd, root, sw);
        long long n = 0;
        bool ranges = sw->design == FLYT_DESIGN_SOBOL || sw->design == FLYT_DESIGN_LHS;
        bool size_ok = !ranges || read_design_size(rd, root, sw, &n);
        if (!params_ok || !size_ok)
            flyt__rd_mark_tree(config_setting_get_member(root, "points"));
        else if (sw->design == FLYT_DESIGN_GRID)
            gen_grid(rd, root, sw);
        else if (sw->design == FLYT_DESIGN_LIST)
            gen_list(rd, root, sw);
        else if (ranges) /* read_design takes only these four designs */
            gen_design(rd, sw, n);
    } else {
        /* the rest cannot be judged without a design: no unknown-key noise */
        flyt__rd_mark_tree(config_setting_get_member(root, "parameters"));
        flyt__rd_mark_tree(config_setting_get_member(root, "points"));
        flyt__rd_mark_tree(config_setting_get_member(root, "n"));
        flyt__rd_mark_tree(config_setting_get_member(root, "seed"));
    }
    flyt__rd_check_unknown(rd, root);
}

static struct flyt_sweep *parse_config(config_t *cfg, const char *text, const char *name,
                                       struct flyt_diag *diag)
{
    struct reader rd;
    flyt__rd_init(&rd, cfg, name, diag);
    struct flyt_sweep *sw = calloc(1, sizeof *sw);
    if (!sw) {
        flyt_diag_add(diag, name, 0, NULL, "out of memory");
        return NULL;
    }
    int before = diag->n_errors;
    read_sweep(&rd, config_root_setting(cfg), sw);
    flyt__rd_free(&rd);
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
    config_t cfg;
    config_init(&cfg);
    struct reader rd;
    struct src_map map = { 0 };
    flyt__rd_init(&rd, &cfg, name, diag);
    int before = diag->n_errors;
    char *prepared = flyt__rd_parse_text(&rd, &cfg, &map, text, NULL);
    flyt__rd_free(&rd);
    struct flyt_sweep *sw = NULL;
    if (prepared && diag->n_errors == before)
        sw = parse_config(&cfg, text, name, diag);
    free(prepared);
    flyt__src_map_free(&map);
    config_destroy(&cfg);
    return sw;
}
