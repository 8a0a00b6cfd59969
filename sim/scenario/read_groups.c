/* Distributions and per-group values: the shapes that repeat across the
 * scenario format. */
#include "scenario/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Parameters each distribution takes, as written in scenario files. */
static const char *const dist_params[FLYT_DIST_N_KINDS][2] = {
    [FLYT_DIST_FIXED] = { "value", NULL },           [FLYT_DIST_EXPONENTIAL] = { "mean", NULL },
    [FLYT_DIST_LOGNORMAL] = { "mean", "sd" },        [FLYT_DIST_GAMMA] = { "mean", "sd" },
    [FLYT_DIST_WEIBULL] = { "mean", "sd" },          [FLYT_DIST_UNIFORM] = { "min", "max" },
    [FLYT_DIST_EMPIRICAL] = { "values", "weights" },
};

static bool dist_member_known(enum flyt_dist_kind k, const char *name)
{
    if (strcmp(name, "dist") == 0)
        return true;
    for (int i = 0; i < 2; i++)
        if (dist_params[k][i] && strcmp(dist_params[k][i], name) == 0)
            return true;
    return false;
}

static bool dist_param(struct reader *rd, config_setting_t *s, const char *key, const char *name,
                       double *out)
{
    config_setting_t *m = config_setting_get_member(s, name);
    if (!m) {
        flyt__rd_error(rd, s, key, "distribution needs '%s'", name);
        return false;
    }
    char mkey[320];
    snprintf(mkey, sizeof mkey, "%s.%s", key, name);
    return flyt__rd_value_number(rd, m, mkey, out);
}

static bool empirical_array(struct reader *rd, config_setting_t *s, const char *key,
                            const char *name, double **out, size_t *n)
{
    config_setting_t *m = config_setting_get_member(s, name);
    char mkey[320];
    snprintf(mkey, sizeof mkey, "%s.%s", key, name);
    if (!m || !(config_setting_is_array(m) || config_setting_is_list(m)) ||
        config_setting_length(m) < 1) {
        flyt__rd_error(rd, m ? m : s, mkey, "empirical needs '%s' as a non-empty array of numbers",
                       name);
        return false;
    }
    size_t len = (size_t)config_setting_length(m);
    if (*n && len != *n) {
        flyt__rd_error(rd, m, mkey, "has %zu entries but values has %zu", len, *n);
        return false;
    }
    *out = calloc(len, sizeof(double));
    if (!*out)
        return false;
    *n = len;
    for (size_t i = 0; i < len; i++)
        if (!flyt__rd_value_number(rd, config_setting_get_elem(m, (unsigned)i), mkey, &(*out)[i]))
            return false;
    return true;
}

static bool dist_fill(struct reader *rd, config_setting_t *s, const char *key, struct flyt_dist *d)
{
    switch (d->kind) {
    case FLYT_DIST_FIXED:
        return dist_param(rd, s, key, "value", &d->mean);
    case FLYT_DIST_EXPONENTIAL:
        return dist_param(rd, s, key, "mean", &d->mean);
    case FLYT_DIST_UNIFORM:
        return dist_param(rd, s, key, "min", &d->mean) && dist_param(rd, s, key, "max", &d->sd);
    case FLYT_DIST_EMPIRICAL:
        if (!empirical_array(rd, s, key, "values", &d->values, &d->n) ||
            !empirical_array(rd, s, key, "weights", &d->weights, &d->n))
            return false;
        for (size_t i = 0; i < d->n; i++) {
            if (d->values[i] < 0) { /* every distribution here is a duration or hours */
                flyt__rd_error(rd, config_setting_get_member(s, "values"), key,
                               "empirical values must be >= 0, got %g", d->values[i]);
                return false;
            }
        }
        return true;
    default:
        return dist_param(rd, s, key, "mean", &d->mean) && dist_param(rd, s, key, "sd", &d->sd);
    }
}

bool flyt__rd_dist_value(struct reader *rd, config_setting_t *s, const char *key,
                         struct flyt_dist *out)
{
    flyt__rd_mark_tree(s);
    memset(out, 0, sizeof *out);
    if (config_setting_is_number(s)) { /* a bare number is a fixed value */
        out->kind = FLYT_DIST_FIXED;
        if (!flyt__rd_value_number(rd, s, key, &out->mean))
            return false;
    } else {
        const char *name = NULL;
        config_setting_t *dn =
                config_setting_is_group(s) ? config_setting_get_member(s, "dist") : NULL;
        if (!dn || !(name = config_setting_get_string(dn))) {
            flyt__rd_error(
                    rd, s, key,
                    "expected a distribution { dist = \"lognormal\"; mean = ...; sd = ...; } "
                    "or a number");
            return false;
        }
        int k = flyt_dist_kind_from_name(name);
        if (k < 0) {
            flyt__rd_error(
                    rd, dn, key,
                    "unknown distribution \"%s\"; valid: fixed, exponential, lognormal, gamma, "
                    "weibull, uniform, empirical",
                    name);
            return false;
        }
        out->kind = (enum flyt_dist_kind)k;
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++) {
            config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
            if (!dist_member_known(out->kind, config_setting_name(m))) {
                flyt__rd_error(rd, m, key, "'%s' is not a parameter of %s (it takes %s%s%s)",
                               config_setting_name(m), name, dist_params[k][0],
                               dist_params[k][1] ? " and " : "",
                               dist_params[k][1] ? dist_params[k][1] : "");
                return false;
            }
        }
        if (!dist_fill(rd, s, key, out)) {
            flyt_dist_clear(out);
            return false;
        }
    }
    const char *why = NULL;
    if (flyt_dist_prepare(out, &why) != 0) {
        flyt__rd_error(rd, s, key, "%s", why);
        flyt_dist_clear(out);
        return false;
    }
    return true;
}

bool flyt__rd_dist(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                   struct flyt_dist *out)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    struct flyt_dist d;
    if (!flyt__rd_dist_value(rd, s, key, &d))
        return false;
    flyt_dist_clear(out);
    *out = d;
    return true;
}

static int group_index(const struct group_names *g, const char *name)
{
    for (int i = 0; i < g->n; i++)
        if (strcmp(g->name[i], name) == 0)
            return i;
    return -1;
}

static void group_list(const struct group_names *g, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < g->n && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s", i ? ", " : "", g->name[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

/* Checks that a per-group setting names each group exactly once and
 * returns the members in group order (NULL where missing). */
bool flyt__rd_per_group_members(struct reader *rd, config_setting_t *s, const char *key,
                                const struct group_names *g, config_setting_t **members)
{
    char names[512];
    group_list(g, names, sizeof names);
    memset(members, 0, sizeof(*members) * (size_t)g->n);
    bool ok = true;
    int n = config_setting_length(s);
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        flyt__rd_mark(m);
        int gi = group_index(g, config_setting_name(m));
        if (gi < 0) {
            flyt__rd_error(rd, m, key, "'%s' is not a frailty group (groups: %s)",
                           config_setting_name(m), names);
            ok = false;
        } else {
            members[gi] = m;
        }
    }
    for (int i = 0; i < g->n && ok; i++) {
        if (!members[i]) {
            flyt__rd_error(rd, s, key,
                           "no value for group '%s' (give one value, or one per group: %s)",
                           g->name[i], names);
            ok = false;
        }
    }
    return ok;
}

bool flyt__rd_group_dist(struct reader *rd, config_setting_t *parent, const char *name,
                         bool required, const struct group_names *g,
                         struct flyt_dist *const *targets)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    bool single = !config_setting_is_group(s) || config_setting_get_member(s, "dist");
    if (single) {
        struct flyt_dist d;
        if (!flyt__rd_dist_value(rd, s, key, &d))
            return false;
        for (int i = 0; i < g->n; i++) {
            flyt_dist_clear(targets[i]);
            if (flyt_dist_copy(targets[i], &d) != 0) {
                flyt_dist_clear(&d);
                return false;
            }
        }
        flyt_dist_clear(&d);
        return true;
    }
    config_setting_t *members[FLYT_MAX_GROUPS];
    if (!flyt__rd_per_group_members(rd, s, key, g, members))
        return false;
    bool ok = true;
    for (int i = 0; i < g->n; i++) {
        char gkey[340];
        snprintf(gkey, sizeof gkey, "%s.%s", key, g->name[i]);
        struct flyt_dist d;
        if (!flyt__rd_dist_value(rd, members[i], gkey, &d)) {
            ok = false;
            continue;
        }
        flyt_dist_clear(targets[i]);
        *targets[i] = d;
    }
    return ok;
}

static bool number_in(struct reader *rd, config_setting_t *s, const char *key, double lo, double hi,
                      double *out)
{
    double x;
    if (!flyt__rd_value_number(rd, s, key, &x))
        return false;
    if (!(x >= lo && x <= hi)) {
        if (isinf(hi))
            flyt__rd_error(rd, s, key, "must be >= %g, got %g", lo, x);
        else
            flyt__rd_error(rd, s, key, "must be between %g and %g, got %g", lo, hi, x);
        return false;
    }
    *out = x;
    return true;
}

bool flyt__rd_group_num(struct reader *rd, config_setting_t *parent, const char *name,
                        bool required, double lo, double hi, const struct group_names *g,
                        double *const *targets)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    if (!config_setting_is_group(s)) {
        double x;
        if (!number_in(rd, s, key, lo, hi, &x))
            return false;
        for (int i = 0; i < g->n; i++)
            *targets[i] = x;
        return true;
    }
    if (config_setting_get_member(s, "dist")) {
        flyt__rd_mark_tree(s);
        flyt__rd_error(rd, s, key, "expected a number (or one per group), not a distribution");
        return false;
    }
    config_setting_t *members[FLYT_MAX_GROUPS];
    if (!flyt__rd_per_group_members(rd, s, key, g, members))
        return false;
    bool ok = true;
    for (int i = 0; i < g->n; i++) {
        char gkey[340];
        snprintf(gkey, sizeof gkey, "%s.%s", key, g->name[i]);
        ok = number_in(rd, members[i], gkey, lo, hi, targets[i]) && ok;
    }
    return ok;
}

static bool read_table(struct reader *rd, config_setting_t *s, const char *key,
                       const char *const *names, int n_names, bool sum_to_one, double *out)
{
    if (!config_setting_is_group(s)) {
        flyt__rd_error(rd, s, key, "expected a group { %s = ...; ... }", names[0]);
        return false;
    }
    char valid[256];
    size_t used = 0;
    for (int j = 0; j < n_names; j++)
        used += (size_t)snprintf(valid + used, sizeof valid - used, "%s%s", j ? ", " : "",
                                 names[j]);
    for (int j = 0; j < n_names; j++)
        out[j] = 0.0;
    bool ok = true;
    int n = config_setting_length(s);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        flyt__rd_mark(m);
        char mkey[340];
        snprintf(mkey, sizeof mkey, "%s.%s", key, config_setting_name(m));
        int j = 0;
        while (j < n_names && strcmp(names[j], config_setting_name(m)) != 0)
            j++;
        if (j == n_names) {
            flyt__rd_error(rd, m, mkey, "unknown entry '%s'; valid: %s", config_setting_name(m),
                           valid);
            ok = false;
            continue;
        }
        if (number_in(rd, m, mkey, 0.0, sum_to_one ? 1.0 : INFINITY, &out[j]))
            sum += out[j];
        else
            ok = false;
    }
    if (ok && sum_to_one && fabs(sum - 1.0) > 1e-9) {
        flyt__rd_error(rd, s, key, "probabilities must sum to 1, they sum to %.12g", sum);
        ok = false;
    }
    return ok;
}

bool flyt__rd_group_table(struct reader *rd, config_setting_t *parent, const char *name,
                          bool required, const char *const *names, int n_names, bool sum_to_one,
                          const struct group_names *g, double *const *targets)
{
    config_setting_t *s = flyt__rd_get(rd, parent, name, required);
    if (!s)
        return !required;
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    bool per_group = false;
    if (config_setting_is_group(s)) {
        int n = config_setting_length(s);
        for (int i = 0; i < n; i++)
            if (config_setting_is_group(config_setting_get_elem(s, (unsigned)i)))
                per_group = true;
    }
    if (!per_group) {
        double tmp[16];
        if (!read_table(rd, s, key, names, n_names, sum_to_one, tmp))
            return false;
        for (int i = 0; i < g->n; i++)
            memcpy(targets[i], tmp, sizeof(double) * (size_t)n_names);
        return true;
    }
    config_setting_t *members[FLYT_MAX_GROUPS];
    if (!flyt__rd_per_group_members(rd, s, key, g, members))
        return false;
    bool ok = true;
    for (int i = 0; i < g->n; i++) {
        char gkey[340];
        snprintf(gkey, sizeof gkey, "%s.%s", key, g->name[i]);
        ok = read_table(rd, members[i], gkey, names, n_names, sum_to_one, targets[i]) && ok;
    }
    return ok;
}
