/* Optimisation specs: read with the scenario module's strict reader, so a
 * spec gets the same unknown-key checks and file:line messages as a
 * scenario, then checked against the scenario itself before anything runs. */
#include "flyt/spec.h"
#include "flyt/optimise.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void read_sets(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_opt_spec *spec,
                      int *lines)
{
    const char *v[FLYT_OPT_MAX_SETS];
    struct flyt_spec_node *e[FLYT_OPT_MAX_SETS];
    int n = flyt_spec_sets(sp, root, FLYT_OPT_MAX_SETS, FLYT_OPT_SET_LEN, v, e);
    for (int i = 0; i < n; i++) {
        lines[spec->n_sets] = line_of(e[i]);
        spec->sets[spec->n_sets++] = dup_str(v[i]);
    }
}

/* A number of a variable; *integer stays true while every one is an
 * integer literal (such a variable is set as an integer: a capacity). */
static bool read_var_num(struct flyt_spec *sp, struct flyt_spec_node *g, const char *name,
                         bool required, double *out, bool *integer)
{
    enum flyt_spec_type t = flyt_spec_type(flyt_spec_member(g, name));
    if (t == FLYT_SPEC_FLOAT)
        *integer = false;
    return flyt_spec_num(sp, g, name, required, -1e9, 1e9, out);
}

static void read_var(struct flyt_spec *sp, struct flyt_spec_node *g, int i, struct flyt_opt_var *v)
{
    char pkey[48], key[96];
    snprintf(pkey, sizeof pkey, "variables[%d]", i);
    v->line = line_of(g);
    const char *k = NULL;
    if (flyt_spec_str(sp, g, "key", true, &k) && k) {
        v->line = line_of(flyt_spec_member(g, "key"));
        snprintf(key, sizeof key, "%s.key", pkey);
        if (!*k || strlen(k) >= FLYT_OPT_KEY_LEN || strchr(k, '='))
            flyt_spec_error(sp, flyt_spec_member(g, "key"), key,
                            "expected a key path such as \"units.short_term.capacity\"");
        else
            strcpy(v->key, k);
    }
    v->step = 1;
    v->integer = true;
    bool ok = read_var_num(sp, g, "min", true, &v->min, &v->integer);
    ok = read_var_num(sp, g, "max", true, &v->max, &v->integer) && ok;
    ok = read_var_num(sp, g, "step", false, &v->step, &v->integer) && ok;
    if (!ok)
        return;
    if (!(v->step > 0)) {
        snprintf(key, sizeof key, "%s.step", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "step"), key, "must be > 0, got %g", v->step);
        return;
    }
    if (v->min > v->max) {
        snprintf(key, sizeof key, "%s.max", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "max"), key,
                        "empty range: max (%g) must not be below min (%g)", v->max, v->min);
        return;
    }
    /* the slack keeps max itself when (max - min) / step is a whole number
     * that rounding put a hair below it (0.3 / 0.1) */
    double n = floor((v->max - v->min) / v->step + 1e-9) + 1;
    if (n > 1e6) {
        snprintf(key, sizeof key, "%s.step", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "step") ? flyt_spec_member(g, "step") : g, key,
                        "%.0f values from min to max, more than 1000000: widen the step", n);
        return;
    }
    v->n_values = (int)n;
}

static int kpi_index(const char *name)
{
    for (int k = 0; k < FLYT_N_KPI; k++)
        if (strcmp(flyt_kpi_defs[k].name, name) == 0)
            return k;
    return -1;
}

static void read_kpi(struct flyt_spec *sp, struct flyt_spec_node *g, const char *member,
                     const char *key, bool required, struct flyt_opt_kpi *out)
{
    const char *name = NULL;
    if (!flyt_spec_str(sp, g, member, required, &name) || !name)
        return;
    struct flyt_spec_node *s = flyt_spec_member(g, member);
    out->line = line_of(s);
    out->kpi = kpi_index(name);
    snprintf(out->name, sizeof out->name, "%s", name);
    if (out->kpi >= 0 || flyt_kpi_name_scoped(name))
        return;
    char list[1024];
    size_t used = 0;
    for (int k = 0; k < FLYT_N_KPI && used < sizeof list; k++)
        used += (size_t)snprintf(list + used, sizeof list - used, "%s%s", k ? ", " : "",
                                 flyt_kpi_defs[k].name);
    flyt_spec_error(sp, s, key,
                    "unknown KPI '%s'; the KPIs are: %s; and per unit units.<id>.<kpi> "
                    "(docs/kpis.md)",
                    name, list);
}

static void read_constraint(struct flyt_spec *sp, struct flyt_spec_node *g, int i,
                            struct flyt_opt_constraint *c)
{
    char pkey[48], key[96];
    snprintf(pkey, sizeof pkey, "constraints[%d]", i);
    snprintf(key, sizeof key, "%s.kpi", pkey);
    c->kpi.kpi = -1;
    c->kpi.line = line_of(g);
    read_kpi(sp, g, "kpi", key, true, &c->kpi);
    bool has_max = flyt_spec_member(g, "max") != NULL;
    bool has_min = flyt_spec_member(g, "min") != NULL;
    if (has_max == has_min) {
        flyt_spec_error(sp, g, pkey,
                        "give either max = (the mean must stay at or below it) or "
                        "min = (at or above it)");
        flyt_spec_get(sp, g, "max", false);
        flyt_spec_get(sp, g, "min", false);
    } else {
        c->upper = has_max;
        flyt_spec_num(sp, g, has_max ? "max" : "min", true, -INFINITY, INFINITY, &c->bound);
    }
    c->tolerance = NAN;
    if (flyt_spec_num(sp, g, "tolerance", true, -INFINITY, INFINITY, &c->tolerance) &&
        !(c->tolerance > 0)) {
        snprintf(key, sizeof key, "%s.tolerance", pkey);
        flyt_spec_error(sp, flyt_spec_member(g, "tolerance"), key,
                        "must be > 0 (the band within which either answer is right), got %g",
                        c->tolerance);
    }
}

/* objective = ( { kpi = "..."; weight = w; }, ... ): the sum of weight x
 * KPI, named in tables as the sum it is. */
static void read_terms(struct flyt_spec *sp, struct flyt_spec_node *root,
                       struct flyt_opt_spec *spec)
{
    struct flyt_spec_node *l =
            flyt_spec_list_of_groups(sp, root, "objective", FLYT_OPT_MAX_TERMS, true);
    spec->objective.kpi = -1;
    spec->objective.line = line_of(flyt_spec_member(root, "objective"));
    size_t used = 0;
    spec->objective.name[0] = '\0';
    for (int i = 0; l && i < flyt_spec_length(l); i++) {
        struct flyt_spec_node *g = flyt_spec_elem(l, i);
        struct flyt_opt_term *t = &spec->terms[spec->n_terms++];
        char key[64];
        snprintf(key, sizeof key, "objective[%d].kpi", i);
        t->kpi.kpi = -1;
        t->kpi.line = line_of(g);
        read_kpi(sp, g, "kpi", key, true, &t->kpi);
        t->weight = NAN;
        snprintf(key, sizeof key, "objective[%d].weight", i);
        if (flyt_spec_num(sp, g, "weight", true, -INFINITY, INFINITY, &t->weight) &&
            !(t->weight != 0 && isfinite(t->weight)))
            flyt_spec_error(sp, flyt_spec_member(g, "weight"), key,
                            "must be a finite number other than 0, got %g", t->weight);
        for (int j = 0; j < i; j++)
            if (t->kpi.name[0] && strcmp(t->kpi.name, spec->terms[j].kpi.name) == 0)
                flyt_spec_error(sp, g, key, "'%s' is already objective[%d]: give one weight",
                                t->kpi.name, j);
        if (used < sizeof spec->objective.name)
            used += (size_t)snprintf(spec->objective.name + used,
                                     sizeof spec->objective.name - used, "%s%g*%s", i ? " + " : "",
                                     t->weight, t->kpi.name);
    }
}

static void read_search(struct flyt_spec *sp, struct flyt_spec_node *root,
                        struct flyt_opt_spec *spec)
{
    const char *s = NULL;
    spec->search = FLYT_OPT_SEARCH_GRID;
    spec->explicit_search = false;
    if (flyt_spec_str(sp, root, "search", false, &s) && s) {
        spec->explicit_search = true;
        if (strcmp(s, "local") == 0)
            spec->search = FLYT_OPT_SEARCH_LOCAL;
        else if (strcmp(s, "grid") != 0)
            flyt_spec_error(sp, flyt_spec_member(root, "search"), "search",
                            "expected \"grid\" (every configuration) or \"local\" (a "
                            "neighbourhood search), got '%s'",
                            s);
    }
    long long v = 4;
    flyt_spec_int(sp, root, "start_points", false, 1, 64, &v);
    spec->start_points = (unsigned)v;
}

static void check_grid(struct flyt_spec *sp, struct flyt_spec_node *root,
                       struct flyt_opt_spec *spec)
{
    double n = 1;
    for (int i = 0; i < spec->n_vars; i++) {
        n *= spec->vars[i].n_values > 0 ? spec->vars[i].n_values : 1;
        for (int j = 0; j < i; j++)
            if (spec->vars[i].key[0] && strcmp(spec->vars[i].key, spec->vars[j].key) == 0)
                flyt_diag_add(flyt_spec_diag(sp), spec->path, spec->vars[i].line, "variables",
                              "'%s' is already variables[%d]", spec->vars[i].key, j);
        size_t len = strlen(spec->vars[i].key);
        for (int s = 0; len && s < spec->n_sets; s++)
            if (strncmp(spec->sets[s], spec->vars[i].key, len) == 0 && spec->sets[s][len] == '=')
                flyt_diag_add(flyt_spec_diag(sp), spec->path, spec->vars[i].line, "variables",
                              "'%s' is also fixed by set[%d]; a key is either fixed or varied",
                              spec->vars[i].key, s);
    }
    spec->n_grid = n;
    /* by default the grid when it fits, the local search when it does not */
    if (!spec->explicit_search && n > spec->max_configurations)
        spec->search = FLYT_OPT_SEARCH_LOCAL;
    if (spec->search == FLYT_OPT_SEARCH_GRID && spec->n_vars > 0 && n > spec->max_configurations)
        flyt_spec_error(sp, flyt_spec_member(root, "variables"), "variables",
                        "the grid has %.0f configurations, more than max_configurations (%u): "
                        "narrow the ranges, widen the steps, raise max_configurations, or "
                        "search = \"local\"",
                        n, spec->max_configurations);
    if (n > 1e18)
        flyt_spec_error(sp, flyt_spec_member(root, "variables"), "variables",
                        "the grid has %.3g configurations, more than 1e18: widen the steps", n);
    struct flyt_spec_node *sn = flyt_spec_member(root, "start_points");
    if (spec->search == FLYT_OPT_SEARCH_LOCAL && spec->start_points + 1 > spec->max_configurations)
        flyt_spec_error(sp, sn ? sn : flyt_spec_member(root, "max_configurations"),
                        sn ? "start_points" : "max_configurations",
                        "the local search starts from start_points (%u) + 1 configurations, more "
                        "than max_configurations (%u) lets it visit",
                        spec->start_points, spec->max_configurations);
    spec->n_configs =
            spec->search == FLYT_OPT_SEARCH_GRID && n <= spec->max_configurations ? (unsigned)n : 0;
    for (int i = 0; i < spec->n_constraints; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(spec->constraints[i].kpi.name, spec->constraints[j].kpi.name) == 0 &&
                spec->constraints[i].upper == spec->constraints[j].upper)
                flyt_diag_add(flyt_spec_diag(sp), spec->path, spec->constraints[i].kpi.line,
                              "constraints", "the same bound on '%s' as constraints[%d]",
                              spec->constraints[i].kpi.name, j);
}

static void read_spec(struct flyt_spec *sp, struct flyt_spec_node *root, struct flyt_opt_spec *spec,
                      int *set_lines)
{
    const char *scenario = NULL;
    if (flyt_spec_str(sp, root, "scenario", false, &scenario) && scenario)
        spec->scenario_path = flyt_spec_resolve_path(spec->path, scenario);
    long long v = 10;
    flyt_spec_int(sp, root, "replications", false, 2, 100000, &v);
    spec->n0 = (unsigned)v;
    v = 0;
    spec->has_seed = flyt_spec_member(root, "seed") != NULL;
    if (flyt_spec_int(sp, root, "seed", false, 0, INT64_MAX, &v) && spec->has_seed)
        spec->seed = (uint64_t)v;
    v = 10 * (long long)spec->n0;
    if (flyt_spec_int(sp, root, "max_replications", false, 2, 1000000, &v) && v < spec->n0)
        flyt_spec_error(sp, flyt_spec_member(root, "max_replications"), "max_replications",
                        "must be at least replications (%u), got %lld", spec->n0, v);
    spec->max_replications = (unsigned)(v < spec->n0 ? spec->n0 : v);
    v = 500;
    flyt_spec_int(sp, root, "max_configurations", false, 1, 100000, &v);
    spec->max_configurations = (unsigned)v;
    spec->alpha = 0.05;
    flyt_spec_num(sp, root, "alpha", false, 1e-6, 0.5, &spec->alpha);
    read_sets(sp, root, spec, set_lines);

    struct flyt_spec_node *vars =
            flyt_spec_list_of_groups(sp, root, "variables", FLYT_OPT_MAX_VARS, true);
    for (int i = 0; vars && i < flyt_spec_length(vars); i++)
        read_var(sp, flyt_spec_elem(vars, i), i, &spec->vars[spec->n_vars++]);

    snprintf(spec->objective.name, sizeof spec->objective.name, "cost_total_per_year");
    spec->objective.kpi = kpi_index(spec->objective.name);
    spec->objective.line = 1;
    if (flyt_spec_is_list(flyt_spec_member(root, "objective")))
        read_terms(sp, root, spec);
    else
        read_kpi(sp, root, "objective", "objective", false, &spec->objective);
    read_search(sp, root, spec);
    spec->indifference = NAN;
    if (flyt_spec_num(sp, root, "objective_indifference", true, -INFINITY, INFINITY,
                      &spec->indifference) &&
        !(spec->indifference > 0))
        flyt_spec_error(sp, flyt_spec_member(root, "objective_indifference"),
                        "objective_indifference",
                        "must be > 0 (in the objective's units: differences below it do not "
                        "matter), got %g",
                        spec->indifference);

    struct flyt_spec_node *cons =
            flyt_spec_list_of_groups(sp, root, "constraints", FLYT_OPT_MAX_CONSTRAINTS, false);
    for (int i = 0; cons && i < flyt_spec_length(cons); i++)
        read_constraint(sp, flyt_spec_elem(cons, i), i, &spec->constraints[spec->n_constraints++]);
    check_grid(sp, root, spec);
}

void flyt_opt_config_levels(const struct flyt_opt_spec *spec, uint64_t c, int *levels)
{
    for (int i = spec->n_vars - 1; i >= 0; i--) {
        uint64_t n = spec->vars[i].n_values > 0 ? (uint64_t)spec->vars[i].n_values : 1;
        levels[i] = (int)(c % n);
        c /= n;
    }
}

uint64_t flyt_opt_grid_index(const struct flyt_opt_spec *spec, const int *levels)
{
    uint64_t c = 0;
    for (int i = 0; i < spec->n_vars; i++) {
        uint64_t n = spec->vars[i].n_values > 0 ? (uint64_t)spec->vars[i].n_values : 1;
        c = c * n + (uint64_t)levels[i];
    }
    return c;
}

void flyt_opt_level_values(const struct flyt_opt_spec *spec, const int *levels, double *values)
{
    for (int i = 0; i < spec->n_vars; i++)
        values[i] = spec->vars[i].min + spec->vars[i].step * levels[i];
}

void flyt_opt_format_value(const struct flyt_opt_var *v, double x, char *buf, size_t len)
{
    if (v->integer) {
        snprintf(buf, len, "%.0f", x);
        return;
    }
    /* the shortest text that reads back as x, with a point so that the
     * scenario reads a float */
    int n = 0;
    for (int p = 6; p <= 17; p++) {
        n = snprintf(buf, len, "%.*g", p, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (n > 0 && (size_t)n + 2 < len && !strpbrk(buf, ".eEn"))
        memcpy(buf + n, ".0", 3);
}

int flyt_opt_sets(const struct flyt_opt_spec *spec, const double *values,
                  char (*buf)[FLYT_OPT_SET_LEN], const char **out)
{
    int n = 0;
    for (int i = 0; i < spec->n_sets; i++)
        snprintf(buf[n++], FLYT_OPT_SET_LEN, "%s", spec->sets[i]);
    if (spec->has_seed)
        snprintf(buf[n++], FLYT_OPT_SET_LEN, "run.seed=%llu", (unsigned long long)spec->seed);
    for (int i = 0; values && i < spec->n_vars; i++) {
        char v[64];
        flyt_opt_format_value(&spec->vars[i], values[i], v, sizeof v);
        snprintf(buf[n++], FLYT_OPT_SET_LEN, "%s=%s", spec->vars[i].key, v);
    }
    for (int i = 0; i < n; i++)
        out[i] = buf[i];
    return n;
}

double flyt_opt_objective_value(const struct flyt_opt_spec *spec, const struct flyt_result *r)
{
    if (spec->n_terms == 0)
        return flyt_kpi_value(r, spec->objective.kpi);
    double sum = 0;
    for (int t = 0; t < spec->n_terms; t++)
        sum += spec->terms[t].weight * flyt_kpi_value(r, spec->terms[t].kpi.kpi);
    return sum;
}

/* A scenario message about override N goes back to the spec line it came
 * from (set_lines[N-1]; the variable's line when var >= 0 and N is past
 * the fixed ones); any other keeps its own place, except a message about
 * the whole file, which goes to the spec's scenario line. */
struct relay_to {
    const struct flyt_opt_spec *spec;
    const int *set_lines;
    int n_fixed;
    int var;
    const char *context;
    int scenario_line;
};

static void relay_line(struct flyt_diag *diag, const char *line, const struct flyt_diag_line *l,
                       const void *ctx)
{
    const struct relay_to *to = ctx;
    const char *path = to->spec->path;
    bool from_set = strcmp(l->where, "--set") == 0 && l->line >= 1;
    if (to->var >= 0) {
        char key[32];
        snprintf(key, sizeof key, "variables[%d]", to->var);
        flyt_diag_add(diag, path, to->spec->vars[to->var].line, key,
                      "%sthe scenario rejects it: %s%s%s", to->context,
                      from_set || !l->error ? "" : line, from_set || !l->error ? "" : " ",
                      from_set || !l->error ? l->what : "");
    } else if (from_set && l->line <= to->n_fixed) {
        char key[32];
        if (l->line <= to->spec->n_sets)
            snprintf(key, sizeof key, "set[%d]", l->line - 1);
        else
            snprintf(key, sizeof key, "seed");
        flyt_diag_add(diag, path, to->set_lines[l->line - 1], key, "the scenario rejects it: %s",
                      l->what);
    } else if (l->error && l->line == 0) {
        flyt_diag_add(diag, path, to->scenario_line, "scenario", "%s: %s", l->where, l->what);
    } else {
        flyt_diag_add(diag, l->error ? l->where : path, l->error ? l->line : 1, NULL, "%s",
                      l->what);
    }
}

static void relay(struct flyt_diag *diag, const char *text, const struct relay_to *to)
{
    flyt_diag_relay(diag, text, relay_line, to);
}

/* Whether a KPI is priced by the scenario's cost section. */
static bool cost_kpi(int k)
{
    if (k >= FLYT_KPI_MUNI_BASE)
        k = (k - FLYT_KPI_MUNI_BASE) % FLYT_N_KPI;
    else if (k >= FLYT_N_KPI)
        return (k - FLYT_N_KPI) % FLYT_N_UNIT_KPI == FLYT_UNIT_KPI_cost_per_year;
    return k == FLYT_KPI_ukp_cost_per_year || k == FLYT_KPI_ukp_payment_per_year ||
           k == FLYT_KPI_cost_municipality_per_year || k == FLYT_KPI_cost_hospital_per_year ||
           k == FLYT_KPI_cost_total_per_year;
}

static bool has_prices(const struct flyt_scenario *s)
{
    if (s->ukp_day_cost > 0 || s->n_pay_years > 0)
        return true;
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        if (x->cost_day > 0 || x->cost_place_year > 0 || x->cost_overflow_day > 0 ||
            x->cost_new_place > 0)
            return true;
    }
    for (int r = 0; r < s->n_roles; r++)
        if (s->roles[r].cost_fte_year > 0)
            return true;
    return false;
}

/* A cost objective on a scenario without prices is 0 for every
 * configuration: the pick would be arbitrary (docs/costs.md). */
static void check_costs(struct flyt_diag *diag, const struct flyt_opt_spec *spec,
                        const struct flyt_scenario *s)
{
    bool cost = spec->n_terms == 0 && cost_kpi(spec->objective.kpi);
    for (int i = 0; i < spec->n_terms; i++)
        cost = cost || cost_kpi(spec->terms[i].kpi.kpi);
    for (int i = 0; i < spec->n_vars; i++) /* prices that are themselves varied */
        cost = cost && strncmp(spec->vars[i].key, "cost.", 5) != 0;
    if (cost && !has_prices(s))
        flyt_diag_add(diag, spec->path, spec->objective.line, "objective",
                      "'%s' is a cost, but the scenario prices nothing (no section cost: "
                      "docs/costs.md): every configuration would cost 0; give prices, or "
                      "minimise another KPI",
                      spec->objective.name);
}

static void resolve_kpi(struct flyt_diag *diag, const char *path, const char *key,
                        const struct flyt_scenario *s, struct flyt_opt_kpi *k)
{
    if (k->kpi >= 0 || !flyt_kpi_name_scoped(k->name))
        return; /* known, or already reported as unknown */
    k->kpi = flyt_scenario_kpi_lookup(s, k->name);
    if (k->kpi < 0)
        flyt_diag_add(diag, path, k->line, key,
                      "'%s': the scenario has no unit or municipality of that id", k->name);
}

/* One trial load per variable at its min and at its max, only that
 * variable changed, so each problem belongs to one variable. */
static void trial_vars(const struct flyt_opt_spec *spec, const struct relay_to *base,
                       struct flyt_diag *diag)
{
    for (int i = 0; i < spec->n_vars; i++) {
        const struct flyt_opt_var *v = &spec->vars[i];
        if (!v->key[0] || v->n_values < 1)
            continue; /* already reported */
        double last = v->min + v->step * (v->n_values - 1);
        const double at[2] = { v->min, last };
        for (int a = 0; a < (last == v->min ? 1 : 2); a++) {
            char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
            const char *sets[FLYT_OPT_MAX_ALL_SETS];
            int n = flyt_opt_sets(spec, NULL, buf, sets);
            char val[64];
            flyt_opt_format_value(v, at[a], val, sizeof val);
            snprintf(buf[n], FLYT_OPT_SET_LEN, "%s=%s", v->key, val);
            sets[n] = buf[n];
            n++;
            struct flyt_diag trial;
            flyt_diag_init(&trial);
            struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &trial);
            flyt_scenario_free(s);
            if (!s) {
                char context[96];
                snprintf(context, sizeof context, "at %s = %s ", a ? "max" : "min", val);
                struct relay_to to = *base;
                to.var = i;
                to.context = context;
                relay(diag, trial.text, &to);
            }
            flyt_diag_free(&trial);
            if (!s)
                break;
        }
    }
}

static void check_scenario(struct flyt_spec *sp, struct flyt_opt_spec *spec,
                           const struct relay_to *to)
{
    struct flyt_diag *diag = flyt_spec_diag(sp);
    char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(spec, NULL, buf, sets);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &d);
    if (!s) {
        relay(diag, d.text, to);
        flyt_diag_free(&d);
        return;
    }
    flyt_diag_free(&d);
    if (s->warmup_auto)
        flyt_spec_error(sp, NULL, "scenario",
                        "%s: run.warmup_days \"auto\" is for flyt run only: give the warm-up in "
                        "days",
                        spec->scenario_path ? spec->scenario_path : "the default scenario");
    if (spec->n_terms == 0)
        resolve_kpi(diag, spec->path, "objective", s, &spec->objective);
    for (int i = 0; i < spec->n_terms; i++) {
        char key[48];
        snprintf(key, sizeof key, "objective[%d].kpi", i);
        resolve_kpi(diag, spec->path, key, s, &spec->terms[i].kpi);
    }
    for (int i = 0; i < spec->n_constraints; i++) {
        char key[48];
        snprintf(key, sizeof key, "constraints[%d].kpi", i);
        resolve_kpi(diag, spec->path, key, s, &spec->constraints[i].kpi);
    }
    check_costs(diag, spec, s);
    flyt_scenario_free(s);
    trial_vars(spec, to, diag);
}

struct flyt_opt_spec *flyt_opt_spec_load(const char *path, struct flyt_diag *diag)
{
    struct flyt_opt_spec *spec = calloc(1, sizeof *spec);
    if (!spec || !(spec->path = dup_str(path))) {
        free(spec);
        flyt_diag_add(diag, path, 0, NULL, "out of memory");
        return NULL;
    }
    int errors_before = diag->n_errors;
    struct flyt_spec *sp = flyt_spec_load(path, diag);
    if (sp) {
        int set_lines[FLYT_OPT_MAX_SETS + 1];
        struct flyt_spec_node *root = flyt_spec_root(sp);
        read_spec(sp, root, spec, set_lines);
        flyt_spec_check_unknown(sp);
        if (spec->has_seed)
            set_lines[spec->n_sets] = line_of(flyt_spec_member(root, "seed"));
        struct relay_to to = { spec, set_lines, spec->n_sets + (spec->has_seed ? 1 : 0),
                               -1,   "",        line_of(flyt_spec_member(root, "scenario")) };
        check_scenario(sp, spec, &to);
        /* the output keeps the spec as written, so a result can be traced
         * to exactly what was asked */
        spec->text = dup_str(flyt_spec_text(sp));
        if (!spec->text)
            flyt_diag_add(diag, path, 0, NULL, "out of memory");
    }
    flyt_spec_free(sp);
    if (diag->n_errors > errors_before) {
        flyt_opt_spec_free(spec);
        return NULL;
    }
    return spec;
}

void flyt_opt_spec_free(struct flyt_opt_spec *spec)
{
    if (!spec)
        return;
    for (int i = 0; i < spec->n_sets; i++)
        free(spec->sets[i]);
    free(spec->scenario_path);
    free(spec->text);
    free(spec->path);
    free(spec);
}
