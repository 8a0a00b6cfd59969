/* Calibration specs: read with the scenario module's strict reader, so a
 * spec gets the same unknown-key checks and file:line messages as a
 * scenario, then checked against the scenario itself before anything runs. */
#include "flyt/spec.h"
#include "flyt/calibrate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Where each override that flyt_calib_sets builds came from in the spec, so
 * a scenario error about "--set:N" can be sent back to the spec's line. */
struct origin {
    int line;
    char what[64];
};

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static int line_of(const struct flyt_spec_node *s)
{
    int line = s ? flyt_spec_line(s) : 0;
    return line > 0 ? line : 1;
}

static void read_sets(struct flyt_spec *sp, struct flyt_spec_node *root,
                      struct flyt_calib_spec *spec, struct origin *origins)
{
    const char *v[FLYT_CALIB_MAX_SETS];
    struct flyt_spec_node *e[FLYT_CALIB_MAX_SETS];
    int n = flyt_spec_sets(sp, root, FLYT_CALIB_MAX_SETS, FLYT_CALIB_SET_LEN, v, e);
    for (int i = 0; i < n; i++) {
        origins[spec->n_sets] = (struct origin){ line_of(e[i]), "" };
        snprintf(origins[spec->n_sets].what, sizeof origins[0].what, "set[%d]",
                 flyt_spec_index(e[i]));
        spec->sets[spec->n_sets++] = dup_str(v[i]);
    }
}

static bool copy_key(struct flyt_spec *sp, struct flyt_spec_node *s, const char *key, const char *v,
                     char *out)
{
    if (strlen(v) == 0 || strlen(v) >= FLYT_CALIB_KEY_LEN || strchr(v, '=')) {
        flyt_spec_error(sp, s, key, "expected a key path such as \"decision.delay_days.mean\"");
        return false;
    }
    strcpy(out, v);
    return true;
}

static void read_keys(struct flyt_spec *sp, struct flyt_spec_node *g, const char *pkey,
                      struct flyt_calib_param *p)
{
    struct flyt_spec_node *one = flyt_spec_member(g, "key");
    struct flyt_spec_node *many = flyt_spec_member(g, "keys");
    const char *v = NULL;
    char key[80];
    if ((one != NULL) == (many != NULL)) {
        flyt_spec_error(
                sp, g, pkey,
                "give either key = \"a.b.c\" (fit the value) or keys = [\"a.b\", ...] (fit one "
                "factor on all of them)");
        flyt_spec_get(sp, g, "key", false);
        flyt_spec_get(sp, g, "keys", false);
        return;
    }
    if (one) {
        snprintf(key, sizeof key, "%s.key", pkey);
        p->mode = FLYT_CALIB_VALUE;
        p->line = line_of(one);
        if (flyt_spec_str(sp, g, "key", true, &v) && copy_key(sp, one, key, v, p->keys[0])) {
            p->n_keys = 1;
            strcpy(p->name, v);
        }
        return;
    }
    snprintf(key, sizeof key, "%s.keys", pkey);
    flyt_spec_get(sp, g, "keys", true);
    p->mode = FLYT_CALIB_SCALE;
    p->line = line_of(many);
    int n = flyt_spec_is_list(many) ? flyt_spec_length(many) : -1;
    if (n < 1 || n > FLYT_CALIB_MAX_KEYS) {
        flyt_spec_error(sp, many, key, "expected an array of 1 to %d key paths [\"a.b\", ...]",
                        FLYT_CALIB_MAX_KEYS);
        return;
    }
    for (int i = 0; i < n; i++) {
        struct flyt_spec_node *e = flyt_spec_elem(many, i);
        flyt_spec_mark(e);
        char ekey[96];
        snprintf(ekey, sizeof ekey, "%s[%d]", key, i);
        const char *kv = flyt_spec_string(e);
        if (!kv) {
            flyt_spec_error(sp, e, ekey, "expected a key path string");
            return;
        }
        if (!copy_key(sp, e, ekey, kv, p->keys[i]))
            return;
    }
    p->n_keys = n;
    const char *name = NULL;
    flyt_spec_str(sp, g, "name", false, &name);
    char first[FLYT_CALIB_KEY_LEN];
    memcpy(first, p->keys[0], sizeof first);
    if (name)
        snprintf(p->name, sizeof p->name, "%s", name);
    else if (n > 1)
        snprintf(p->name, sizeof p->name, "%.100s +%d", first, n - 1);
    else
        snprintf(p->name, sizeof p->name, "%s", first);
}

static void read_param(struct flyt_spec *sp, struct flyt_spec_node *g, int i,
                       struct flyt_calib_param *p)
{
    char pkey[48], key[80];
    snprintf(pkey, sizeof pkey, "parameters[%d]", i);
    read_keys(sp, g, pkey, p);
    if (p->mode == FLYT_CALIB_VALUE && flyt_spec_member(g, "name")) {
        snprintf(key, sizeof key, "%s.name", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "name"), key,
                        "name is for a keys list; a single key is its own name");
        flyt_spec_get(sp, g, "name", false);
    }
    p->min = NAN;
    p->max = NAN;
    double start = NAN;
    bool ok = flyt_spec_num(sp, g, "min", true, -INFINITY, INFINITY, &p->min);
    ok = flyt_spec_num(sp, g, "max", true, -INFINITY, INFINITY, &p->max) && ok;
    ok = flyt_spec_num(sp, g, "start", false, -INFINITY, INFINITY, &start) && ok;
    if (!ok)
        return;
    if (!(p->min < p->max)) {
        snprintf(key, sizeof key, "%s.max", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "max"), key,
                        "empty range: max (%g) must be above min (%g)", p->max, p->min);
        return;
    }
    bool scale_one = p->mode == FLYT_CALIB_SCALE && p->min < 1.0 && 1.0 < p->max;
    p->start = scale_one ? 1.0 : 0.5 * (p->min + p->max);
    if (!isnan(start))
        p->start = start;
    if (!(p->min < p->start && p->start < p->max)) {
        snprintf(key, sizeof key, "%s.start", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "start"), key,
                        "must lie strictly between min (%g) and max (%g), got %g", p->min, p->max,
                        p->start);
    }
}

static int kpi_index(const char *name)
{
    for (int k = 0; k < FLYT_N_KPI; k++)
        if (strcmp(flyt_kpi_defs[k].name, name) == 0)
            return k;
    return -1;
}

static void read_target(struct flyt_spec *sp, struct flyt_spec_node *g, int i,
                        struct flyt_calib_target *t)
{
    char pkey[48], key[80];
    snprintf(pkey, sizeof pkey, "targets[%d]", i);
    const char *name = NULL;
    t->kpi = -1;
    t->line = line_of(g);
    if (flyt_spec_str(sp, g, "kpi", true, &name) && name) {
        struct flyt_spec_node *s = flyt_spec_member(g, "kpi");
        t->line = line_of(s);
        t->kpi = kpi_index(name);
        snprintf(t->kpi_name, sizeof t->kpi_name, "%s", name);
        if (t->kpi < 0 && !flyt_kpi_name_scoped(name)) {
            char list[1024];
            size_t used = 0;
            for (int k = 0; k < FLYT_N_KPI && used < sizeof list; k++)
                used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                         flyt_kpi_defs[k].name);
            snprintf(key, sizeof key, "%s.kpi", pkey);
            flyt_spec_error(sp, s, key,
                            "unknown KPI '%s'; the KPIs are: %s; and per unit "
                            "units.<id>.<kpi>, per municipality municipalities.<id>.<kpi> "
                            "(docs/kpis.md)",
                            name, list);
        }
    }
    flyt_spec_num(sp, g, "value", true, -INFINITY, INFINITY, &t->value);
    t->weight = 1.0;
    bool has_tol = flyt_spec_member(g, "tolerance") != NULL;
    bool has_w = flyt_spec_member(g, "weight") != NULL;
    if (flyt_spec_num(sp, g, "tolerance", false, -INFINITY, INFINITY, &t->tolerance) && has_tol &&
        !(t->tolerance > 0)) {
        snprintf(key, sizeof key, "%s.tolerance", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "tolerance"), key, "must be > 0, got %g",
                        t->tolerance);
    }
    if (flyt_spec_num(sp, g, "weight", false, -INFINITY, INFINITY, &t->weight) && has_w &&
        !(t->weight > 0)) {
        snprintf(key, sizeof key, "%s.weight", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "weight"), key, "must be > 0, got %g", t->weight);
    }
    if (!has_tol && !has_w)
        flyt_spec_error(sp, g, pkey,
                        "give a tolerance (the band the fit must reach; also the scale of the "
                        "objective) or a weight (pull towards the value, no band)");
    t->scale = has_tol ? t->tolerance : fabs(t->value) > 0 ? fabs(t->value) : 1.0;
}

static void check_duplicates(struct flyt_spec *sp, struct flyt_spec_node *root,
                             const struct flyt_calib_spec *spec)
{
    struct flyt_spec_node *params = flyt_spec_member(root, "parameters");
    int total = 0;
    for (int i = 0; i < spec->n_params; i++) {
        const struct flyt_calib_param *p = &spec->params[i];
        total += p->n_keys;
        for (int a = 0; a < p->n_keys; a++) {
            size_t len = strlen(p->keys[a]);
            for (int j = 0; j <= i; j++)
                for (int b = 0; b < (j == i ? a : spec->params[j].n_keys); b++)
                    if (strcmp(p->keys[a], spec->params[j].keys[b]) == 0)
                        flyt_spec_error(sp, flyt_spec_elem(params, i), p->keys[a],
                                        "named by two parameters; each key can be fitted once");
            for (int s = 0; s < spec->n_sets; s++)
                if (strncmp(spec->sets[s], p->keys[a], len) == 0 && spec->sets[s][len] == '=')
                    flyt_spec_error(sp, flyt_spec_elem(params, i), p->keys[a],
                                    "also fixed by set[%d]; a key is either fixed or fitted", s);
        }
    }
    if (total > FLYT_CALIB_MAX_ALL_KEYS)
        flyt_spec_error(sp, params, "parameters", "at most %d keys over all parameters, got %d",
                        FLYT_CALIB_MAX_ALL_KEYS, total);
    struct flyt_spec_node *targets = flyt_spec_member(root, "targets");
    for (int i = 0; i < spec->n_targets; i++)
        for (int j = 0; j < i; j++)
            if (spec->targets[i].kpi_name[0] &&
                strcmp(spec->targets[i].kpi_name, spec->targets[j].kpi_name) == 0)
                flyt_spec_error(sp, flyt_spec_elem(targets, i), "targets",
                                "KPI '%s' is already a target (targets[%d])",
                                spec->targets[i].kpi_name, j);
}

static void read_spec(struct flyt_spec *sp, struct flyt_spec_node *root,
                      struct flyt_calib_spec *spec, struct origin *origins)
{
    const char *scenario = NULL;
    if (flyt_spec_str(sp, root, "scenario", false, &scenario) && scenario)
        spec->scenario_path = flyt_spec_resolve_path(spec->path, scenario);
    long long v = 0;
    spec->has_replications = flyt_spec_member(root, "replications") != NULL;
    if (flyt_spec_int(sp, root, "replications", false, 2, 100000, &v) && spec->has_replications)
        spec->replications = (unsigned)v;
    spec->has_seed = flyt_spec_member(root, "seed") != NULL;
    if (flyt_spec_int(sp, root, "seed", false, 0, INT64_MAX, &v) && spec->has_seed)
        spec->seed = (uint64_t)v;
    v = 200;
    flyt_spec_int(sp, root, "max_evaluations", false, 1, 1000000, &v);
    spec->max_evaluations = (unsigned)v;
    spec->size_tolerance = 1e-2;
    flyt_spec_num(sp, root, "size_tolerance", false, 1e-12, 10.0, &spec->size_tolerance);
    spec->slope_step = 0.02;
    flyt_spec_num(sp, root, "slope_step", false, 1e-6, 0.25, &spec->slope_step);
    read_sets(sp, root, spec, origins);

    struct flyt_spec_node *params =
            flyt_spec_list_of_groups(sp, root, "parameters", FLYT_CALIB_MAX_PARAMS, true);
    for (int i = 0; params && i < flyt_spec_length(params); i++) {
        struct flyt_spec_node *g = flyt_spec_elem(params, i);
        flyt_spec_mark(g);
        read_param(sp, g, i, &spec->params[spec->n_params++]);
    }
    struct flyt_spec_node *targets =
            flyt_spec_list_of_groups(sp, root, "targets", FLYT_CALIB_MAX_TARGETS, true);
    for (int i = 0; targets && i < flyt_spec_length(targets); i++) {
        struct flyt_spec_node *g = flyt_spec_elem(targets, i);
        flyt_spec_mark(g);
        read_target(sp, g, i, &spec->targets[spec->n_targets++]);
    }
    check_duplicates(sp, root, spec);
}

/* Where scenario messages about a trial load go. A message about an
 * override goes to the spec line the override came from; with param >= 0
 * every message belongs to that parameter (it is the only thing changed);
 * otherwise the scenario's own messages stay as they are, except that one
 * about the whole file (cannot open it) goes to the spec's scenario line. */
struct relay_to {
    const char *spec_path;
    const struct origin *origins;
    int n_origins;
    int param;
    int param_line;
    int scenario_line;
    const char *context;
};

static void relay_line(struct flyt_diag *diag, const char *line, const struct flyt_diag_line *l,
                       const void *ctx)
{
    const struct relay_to *to = ctx;
    bool from_set = strcmp(l->where, "--set") == 0 && l->line >= 1 && l->line <= to->n_origins;
    if (to->param >= 0) {
        char key[32];
        snprintf(key, sizeof key, "parameters[%d]", to->param);
        flyt_diag_add(diag, to->spec_path, to->param_line, key, "%sthe scenario rejects it: %s%s%s",
                      to->context, from_set || !l->error ? "" : line,
                      from_set || !l->error ? "" : " ", from_set || !l->error ? l->what : "");
    } else if (from_set) {
        const struct origin *o = &to->origins[l->line - 1];
        flyt_diag_add(diag, to->spec_path, o->line, o->what, "the scenario rejects it: %s",
                      l->what);
    } else if (l->error && l->line == 0) {
        flyt_diag_add(diag, to->spec_path, to->scenario_line, "scenario", "%s: %s", l->where,
                      l->what);
    } else {
        flyt_diag_add(diag, l->error ? l->where : to->spec_path, l->error ? l->line : 1, NULL, "%s",
                      l->what);
    }
}

static void relay(struct flyt_diag *diag, const char *text, const struct relay_to *to)
{
    flyt_diag_relay(diag, text, relay_line, to);
}

/* The targets named by unit, now that the scenario says which units exist. */
static void resolve_targets(struct flyt_spec *sp, const struct flyt_scenario *s,
                            struct flyt_calib_spec *spec)
{
    for (int i = 0; i < spec->n_targets; i++) {
        struct flyt_calib_target *t = &spec->targets[i];
        if (t->kpi >= 0 || !t->kpi_name[0])
            continue;
        t->kpi = flyt_scenario_kpi_lookup(s, t->kpi_name);
        if (t->kpi < 0) {
            char key[48];
            snprintf(key, sizeof key, "targets[%d].kpi", i);
            flyt_diag_add(flyt_spec_diag(sp), spec->path, t->line, key,
                          "'%s': the scenario has no unit or municipality of that id", t->kpi_name);
        }
    }
}

/* The scenario's value of each key a factor multiplies, from the resolved
 * tree (after @include and the spec's sets). */
static void read_bases(struct flyt_spec *sp, const char *resolved, struct flyt_calib_spec *spec)
{
    struct flyt_spec *tree = flyt_spec_parse_plain(resolved);
    if (!tree) {
        flyt_diag_add(flyt_spec_diag(sp), spec->path, 1, NULL,
                      "cannot re-read the resolved scenario");
        return;
    }
    for (int i = 0; i < spec->n_params; i++) {
        struct flyt_calib_param *p = &spec->params[i];
        for (int j = 0; p->mode == FLYT_CALIB_SCALE && j < p->n_keys; j++) {
            p->base[j] = NAN;
            struct flyt_spec_node *s = flyt_spec_lookup(tree, p->keys[j]);
            enum flyt_spec_type type = flyt_spec_type(s);
            char key[64];
            snprintf(key, sizeof key, "parameters[%d].keys[%d]", i, j);
            if (type == FLYT_SPEC_INT || type == FLYT_SPEC_INT64 || type == FLYT_SPEC_FLOAT) {
                p->base[j] =
                        type == FLYT_SPEC_FLOAT ? flyt_spec_float(s) : (double)flyt_spec_int64(s);
                if (p->base[j] == 0)
                    flyt_diag_add(flyt_spec_diag(sp), spec->path, p->line, key,
                                  "'%s' is 0 in the scenario: a factor cannot move it", p->keys[j]);
            } else {
                flyt_diag_add(flyt_spec_diag(sp), spec->path, p->line, key,
                              "'%s' is not a number in the scenario; keys = [...] fits a factor "
                              "on values the scenario gives (use key = \"...\" to fit a value)",
                              p->keys[j]);
            }
        }
    }
    flyt_spec_free(tree);
}

/* One trial load per parameter at start, min and max, with only that
 * parameter changed, so every problem reported belongs to one parameter. */
static void trial_params(const struct flyt_calib_spec *spec, const struct relay_to *base,
                         struct flyt_diag *diag)
{
    for (int i = 0; i < spec->n_params; i++) {
        const struct flyt_calib_param *p = &spec->params[i];
        bool ok = p->n_keys > 0 && p->min < p->start && p->start < p->max;
        for (int k = 0; ok && p->mode == FLYT_CALIB_SCALE && k < p->n_keys; k++)
            ok = isfinite(p->base[k]) && p->base[k] != 0;
        if (!ok)
            continue; /* already reported */
        const double at[3] = { p->start, p->min, p->max };
        const char *label[3] = { "start", "min", "max" };
        for (int a = 0; a < 3; a++) {
            char buf[FLYT_CALIB_MAX_ALL_SETS][FLYT_CALIB_SET_LEN];
            const char *sets[FLYT_CALIB_MAX_ALL_SETS];
            int n = flyt_calib_sets(spec, NULL, true, buf, sets);
            for (int k = 0; k < p->n_keys; k++, n++) {
                char v[48];
                flyt_calib_format_value(v, sizeof v,
                                        p->mode == FLYT_CALIB_SCALE ? p->base[k] * at[a] : at[a]);
                snprintf(buf[n], FLYT_CALIB_SET_LEN, "%s=%s", p->keys[k], v);
                sets[n] = buf[n];
            }
            struct flyt_diag trial;
            flyt_diag_init(&trial);
            struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &trial);
            flyt_scenario_free(s);
            if (!s) {
                char context[96];
                snprintf(context, sizeof context, "at %s = %g ", label[a], at[a]);
                struct relay_to to = *base;
                to.param = i;
                to.param_line = p->line;
                to.context = context;
                to.n_origins = n;
                relay(diag, trial.text, &to);
            }
            flyt_diag_free(&trial);
            if (!s)
                break;
        }
    }
}

static void check_scenario(struct flyt_spec *sp, struct flyt_calib_spec *spec,
                           const struct relay_to *to)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_calib_load(spec, NULL, true, &d);
    if (!s) {
        relay(flyt_spec_diag(sp), d.text, to);
        flyt_diag_free(&d);
        return;
    }
    flyt_diag_free(&d);
    if (s->warmup_auto) { /* every trial would choose its own */
        flyt_spec_error(sp, NULL, "scenario",
                        "%s: run.warmup_days \"auto\" is for flyt run only: run the scenario "
                        "there (flyt run --warmup auto) and give the warm-up it chose in days",
                        spec->scenario_path);
        flyt_scenario_free(s);
        return;
    }
    resolve_targets(sp, s, spec);
    read_bases(sp, s->resolved_text, spec);
    flyt_scenario_free(s);
    trial_params(spec, to, flyt_spec_diag(sp));
}

/* Read as scenarios are (limits on every file, BOM, @include relative to
 * the spec, integers against their digits). */
struct flyt_calib_spec *flyt_calib_spec_load(const char *path, struct flyt_diag *diag)
{
    struct flyt_calib_spec *spec = calloc(1, sizeof *spec);
    if (!spec || !(spec->path = dup_str(path))) {
        free(spec);
        flyt_diag_add(diag, path, 0, NULL, "out of memory");
        return NULL;
    }
    int errors_before = diag->n_errors;
    struct flyt_spec *sp = flyt_spec_load(path, diag);
    if (sp) {
        struct origin origins[FLYT_CALIB_MAX_ALL_SETS];
        struct flyt_spec_node *root = flyt_spec_root(sp);
        read_spec(sp, root, spec, origins);
        flyt_spec_check_unknown(sp);
        /* in the order flyt_calib_sets writes them */
        int n_fixed = spec->n_sets;
        if (spec->has_replications)
            origins[n_fixed++] = (struct origin){ line_of(flyt_spec_member(root, "replications")),
                                                  "replications" };
        if (spec->has_seed)
            origins[n_fixed++] = (struct origin){ line_of(flyt_spec_member(root, "seed")), "seed" };
        struct relay_to to = { path, origins, n_fixed,
                               -1,   0,       line_of(flyt_spec_member(root, "scenario")),
                               "" };
        check_scenario(sp, spec, &to);
    }
    flyt_spec_free(sp);
    if (diag->n_errors > errors_before) {
        flyt_calib_spec_free(spec);
        return NULL;
    }
    return spec;
}

void flyt_calib_spec_free(struct flyt_calib_spec *spec)
{
    if (!spec)
        return;
    for (int i = 0; i < spec->n_sets; i++)
        free(spec->sets[i]);
    free(spec->scenario_path);
    free(spec->path);
    free(spec);
}
