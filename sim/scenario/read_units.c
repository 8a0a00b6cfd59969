/* The care network: the units list, the route tables that name units and
 * exits, and the checks that need the whole network (capacity where
 * patients are sent, a way out for everyone). */
#include "scenario/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[FLYT_N_UNIT_KINDS] = { "beds", "caseload", "unlimited" };

int flyt__rd_unit_index(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return u;
    return -1;
}

/* A unit by name where the reader stands: in a municipality its own
 * units first, then the shared ones; "hospital", when no unit has that id,
 * the patient's own site (a region only). */
int flyt__rd_scope_unit(const struct reader *rd, const struct flyt_scenario *s, const char *name)
{
    if (rd->scope == RD_SCOPE_FILE)
        return flyt__rd_unit_index(s, name);
    if (rd->scope >= 0 && s->munis) {
        const struct flyt_muni *mu = &s->munis[rd->scope];
        size_t n = strlen(mu->id);
        for (int u = mu->unit_lo; u < mu->unit_hi; u++)
            if (strncmp(s->units[u].id, mu->id, n) == 0 && s->units[u].id[n] == '.' &&
                strcmp(s->units[u].id + n + 1, name) == 0)
                return u;
    }
    for (int u = 0; u < rd->n_shared; u++)
        if (strcmp(s->units[u].id, name) == 0)
            return u;
    if (strcmp(name, "hospital") == 0)
        return FLYT_ROUTE_SITE;
    return -1;
}

/* A route's target: a unit, an exit, or -1000 when neither. In a region's
 * shared scope a municipal unit id is the patient's own municipality's. */
static int target_of(const struct reader *rd, const struct flyt_scenario *s, const char *name)
{
    if (strcmp(name, "home") == 0)
        return FLYT_ROUTE_HOME;
    if (strcmp(name, "death") == 0)
        return FLYT_ROUTE_DEATH;
    int u = flyt__rd_scope_unit(rd, s, name);
    if (u == -1 && rd->scope == RD_SCOPE_REGION)
        for (int k = 0; k < s->n_local; k++)
            if (strcmp(s->local_ids[k], name) == 0)
                return FLYT_ROUTE_LOCAL0 - k;
    return u >= 0 || u == FLYT_ROUTE_SITE ? u : -1000;
}

static void valid_targets(const struct reader *rd, const struct flyt_scenario *s, char *buf,
                          size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "home, death");
    int lo = 0, hi = s->n_units;
    if (rd->scope != RD_SCOPE_FILE)
        hi = rd->n_shared;
    for (int pass = 0; pass < 2; pass++) {
        for (int u = lo; u < hi && used < len; u++) {
            int w = snprintf(buf + used, len - used, ", %s", s->units[u].id);
            if (w < 0)
                break;
            used += (size_t)w;
        }
        if (rd->scope < 0 || !s->munis)
            break;
        lo = s->munis[rd->scope].unit_lo;
        hi = s->munis[rd->scope].unit_hi;
    }
    for (int k = 0; rd->scope == RD_SCOPE_REGION && k < s->n_local && used < len; k++) {
        int w = snprintf(buf + used, len - used, ", %s (the patient's own)", s->local_ids[k]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void flyt__rd_routes_free(struct flyt_routes *r)
{
    free(r->to);
    free(r->p);
    memset(r, 0, sizeof *r);
}

/* The routes of one table, in the order every group's row names them: a
 * key new to the list goes right after the key its row named before it, so
 * that rows written in one order (as every converted file is) keep it,
 * whichever keys a row leaves out. Only the order of routes with a share
 * decides a draw; a share of 0 changes nothing. */
static int merge_key(const char **keys, int n, const char *k, int after)
{
    for (int i = 0; i < n; i++)
        if (strcmp(keys[i], k) == 0)
            return i;
    memmove(keys + after + 1, keys + after, sizeof *keys * (size_t)(n - after));
    keys[after] = k;
    return -1;
}

static bool row_values(struct reader *rd, config_setting_t *row, const char *key,
                       enum flyt__route_mode mode, const char **keys, int n, double *out)
{
    if (!config_setting_is_group(row)) {
        flyt__rd_error(rd, row, key, "expected a table { %s = ...; ... } naming units or exits",
                       mode == RD_ROUTE_RATES ? "hospital" : "home");
        return false;
    }
    bool ok = true;
    double sum = 0;
    int m = config_setting_length(row);
    for (int i = 0; i < m; i++) {
        config_setting_t *e = config_setting_get_elem(row, (unsigned)i);
        flyt__rd_mark(e);
        char ekey[400];
        snprintf(ekey, sizeof ekey, "%.340s.%.50s", key, config_setting_name(e));
        int j = 0;
        while (j < n && strcmp(keys[j], config_setting_name(e)) != 0)
            j++;
        double x;
        if (!flyt__rd_value_number(rd, e, ekey, &x)) {
            ok = false;
            continue;
        }
        double hi = mode == RD_ROUTE_RATES ? 1e6 : 1.0;
        if (!(x >= 0 && x <= hi)) {
            flyt__rd_error(rd, e, ekey, "must be between 0 and %g, got %g", hi, x);
            ok = false;
            continue;
        }
        out[j] = x;
        sum += x;
    }
    if (ok && mode != RD_ROUTE_RATES && fabs(sum - 1.0) > 1e-9) {
        flyt__rd_error(rd, row, key, "probabilities must sum to 1, they sum to %.12g", sum);
        ok = false;
    }
    return ok;
}

bool flyt__rd_routes(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                     enum flyt__route_mode mode, const struct flyt_scenario *s,
                     const struct group_names *sub, const int *sub_idx, struct flyt_routes *out)
{
    config_setting_t *set = flyt__rd_get(rd, parent, name, required);
    if (!set)
        return !required;
    if (s->n_units == 0 || s->hospital < 0) {
        /* The units' own errors say why they could not be read; checked
         * against no units, every route would be a second, false error
         * (and 'home' would pass for the hospital, index -1). */
        flyt__rd_mark_tree(set);
        return false;
    }
    flyt__rd_routes_free(out);
    char key[300], valid[1024];
    flyt__rd_path(set, key, sizeof key);
    valid_targets(rd, s, valid, sizeof valid);
    int n_rows = s->n_groups > 0 ? s->n_groups : 1;
    if (config_setting_type(set) == CONFIG_TYPE_STRING) {
        const char *t = config_setting_get_string(set);
        int to = target_of(rd, s, t);
        if (mode != RD_ROUTE_SHARES_FIXED) {
            flyt__rd_error(rd, set, key, "expected a table { %s = ...; ... }",
                           mode == RD_ROUTE_RATES ? "hospital" : "home");
            return false;
        }
        if (to == -1000) {
            flyt__rd_error(rd, set, key, "'%s' is neither a unit nor an exit; valid: %s", t, valid);
            return false;
        }
        out->to = malloc(sizeof *out->to);
        out->p = malloc(sizeof *out->p * (size_t)n_rows);
        if (!out->to || !out->p) {
            flyt__rd_routes_free(out);
            return false;
        }
        out->n = 1;
        out->to[0] = to;
        for (int g = 0; g < n_rows; g++)
            out->p[g] = 1.0;
        out->fixed = true;
        return true;
    }
    if (!config_setting_is_group(set)) {
        flyt__rd_error(rd, set, key,
                       "expected a table { home = ...; <unit id> = ...; } naming units or exits%s",
                       mode == RD_ROUTE_SHARES_FIXED ? ", or one of them as a string" : "");
        return false;
    }
    bool per_group = false;
    int m = config_setting_length(set);
    for (int i = 0; i < m; i++)
        per_group |= config_setting_is_group(config_setting_get_elem(set, (unsigned)i)) != 0;
    config_setting_t *rows[FLYT_MAX_GROUPS];
    int nr = 1;
    rows[0] = set;
    if (per_group) {
        if (!flyt__rd_per_group_members(rd, set, key, sub, rows))
            return false;
        nr = sub->n;
    }
    /* every key of every row, merged in the order the rows write them */
    int cap = 0;
    for (int r = 0; r < nr; r++)
        cap += config_setting_is_group(rows[r]) ? config_setting_length(rows[r]) : 0;
    const char **keys = calloc((size_t)(cap > 0 ? cap : 1), sizeof *keys);
    if (!keys)
        return false;
    int n = 0;
    bool ok = true;
    for (int r = 0; r < nr; r++) {
        if (!config_setting_is_group(rows[r]))
            continue;
        int after = 0;
        int k = config_setting_length(rows[r]);
        for (int i = 0; i < k; i++) {
            const char *kn = config_setting_name(config_setting_get_elem(rows[r], (unsigned)i));
            int at = merge_key(keys, n, kn, after);
            if (at < 0) {
                at = after;
                n++;
            }
            after = at + 1;
        }
    }
    out->to = calloc((size_t)(n > 0 ? n : 1), sizeof *out->to);
    out->p = calloc((size_t)n_rows * (size_t)(n > 0 ? n : 1), sizeof *out->p);
    if (!out->to || !out->p) {
        free(keys);
        flyt__rd_routes_free(out);
        return false;
    }
    out->n = n;
    for (int j = 0; j < n; j++) {
        out->to[j] = target_of(rd, s, keys[j]);
        if (out->to[j] == -1000) {
            /* point at the first row that names it */
            config_setting_t *where = set;
            for (int r = 0; r < nr && where == set; r++)
                if (config_setting_is_group(rows[r]) && config_setting_get_member(rows[r], keys[j]))
                    where = config_setting_get_member(rows[r], keys[j]);
            char ekey[340];
            flyt__rd_path(where, ekey, sizeof ekey);
            flyt__rd_error(rd, where, ekey, "'%s' is neither a unit nor an exit; valid: %s",
                           keys[j], valid);
            ok = false;
        }
    }
    for (int r = 0; r < nr && ok; r++) {
        char rkey[340];
        if (per_group)
            snprintf(rkey, sizeof rkey, "%s.%s", key, sub->name[r]);
        else
            snprintf(rkey, sizeof rkey, "%s", key);
        double *row = calloc((size_t)(n > 0 ? n : 1), sizeof *row);
        if (!row) {
            ok = false;
            break;
        }
        if (row_values(rd, rows[r], rkey, mode, keys, n, row)) {
            for (int gi = 0; gi < (per_group ? 1 : sub->n); gi++) {
                int g = sub_idx[per_group ? r : gi];
                memcpy(out->p + (size_t)g * (size_t)n, row, sizeof *row * (size_t)n);
            }
        } else {
            ok = false;
        }
        free(row);
    }
    free(keys);
    if (!ok)
        flyt__rd_mark_tree(set); /* the rows not read are not unknown keys */
    return ok;
}

/* ---- units ---- */

static void all_groups(const struct flyt_scenario *s, struct group_names *g, int *idx)
{
    g->n = s->n_groups;
    for (int i = 0; i < s->n_groups; i++) {
        g->name[i] = s->groups[i].name;
        idx[i] = i;
    }
}

static void read_queue(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                       struct flyt_unit *u, const char *key)
{
    u->n_classes = 1;
    u->origin_class = calloc((size_t)s->n_units, sizeof *u->origin_class);
    if (u->kind == FLYT_UNIT_UNLIMITED)
        return; /* never a queue */
    const char *q = u->kind == FLYT_UNIT_CASELOAD ? "strict_fifo" : "fifo";
    config_setting_t *qs = config_setting_get_member(e, "queue");
    char qkey[340];
    snprintf(qkey, sizeof qkey, "%s.queue", key);
    if (flyt__rd_str(rd, e, "queue", false, &q)) {
        bool fit = u->kind == FLYT_UNIT_CASELOAD;
        if (fit && strcmp(q, "strict_fifo") == 0)
            u->queue = FLYT_QUEUE_FIFO;
        else if (fit && strcmp(q, "first_fit") == 0)
            u->queue = FLYT_QUEUE_FIRST_FIT;
        else if (!fit && strcmp(q, "fifo") == 0)
            u->queue = FLYT_QUEUE_FIFO;
        else if (strcmp(q, "priority") == 0)
            u->queue = FLYT_QUEUE_PRIORITY;
        else if (strcmp(q, "group_priority") == 0)
            u->queue = FLYT_QUEUE_GROUP_PRIORITY;
        else
            flyt__rd_error(rd, qs, qkey,
                           "queue is %s, \"priority\" (by where applicants wait) or "
                           "\"group_priority\" (by frailty group), got \"%s\"",
                           fit ? "\"strict_fifo\", \"first_fit\"" : "\"fifo\"", q);
    }
    config_setting_t *p = flyt__rd_get(rd, e, "priority", false);
    bool by_group = u->queue == FLYT_QUEUE_GROUP_PRIORITY;
    char pkey[340];
    snprintf(pkey, sizeof pkey, "%s.priority", key);
    if (u->queue != FLYT_QUEUE_PRIORITY && !by_group) {
        if (p)
            flyt__rd_error(rd, p, pkey,
                           "priority needs queue = \"priority\" or \"group_priority\"");
        return;
    }
    if (!p) {
        flyt__rd_error(rd, qs ? qs : e, pkey,
                       "queue = \"%s\" needs priority = [ ... ]: the %s, highest first",
                       by_group ? "group_priority" : "priority",
                       by_group ? "frailty groups" : "units where applicants wait");
        return;
    }
    int n = config_setting_length(p);
    int limit = by_group ? s->n_groups : s->n_units;
    if (!config_setting_is_array(p) || n < 1 || n > limit) {
        flyt__rd_error(rd, p, pkey, "expected 1 to %d %s, highest priority first", limit,
                       by_group ? "group names" : "unit ids");
        return;
    }
    int rest = n; /* those not listed come last, first come first served */
    for (int i = 0; i < s->n_units; i++)
        u->origin_class[i] = by_group ? 0 : rest;
    for (int i = 0; i < FLYT_MAX_GROUPS; i++)
        u->group_class[i] = by_group ? rest : 0;
    for (int i = 0; i < n; i++) {
        const char *v = config_setting_get_string_elem(p, (unsigned)i);
        int k = -1;
        if (v && by_group) {
            for (int g = 0; g < s->n_groups && k < 0; g++)
                if (strcmp(s->groups[g].name, v) == 0)
                    k = g;
        } else if (v) {
            k = flyt__rd_scope_unit(rd, s, v);
            if (k == FLYT_ROUTE_SITE) { /* waiting in hospital, at whichever site */
                bool twice = false;
                for (int h = 0; h < s->n_units; h++)
                    if (s->units[h].hospital) {
                        twice |= u->origin_class[h] != rest;
                        u->origin_class[h] = i;
                    }
                if (!twice)
                    continue;
                k = -1;
            }
        }
        int *cls = k < 0 ? NULL : by_group ? &u->group_class[k] : &u->origin_class[k];
        if (!cls || *cls != rest) {
            flyt__rd_error(rd, p, pkey, "entry %d: %s%s%s is not a %s, or is named twice", i + 1,
                           v ? "'" : "", v ? v : "a non-string", v ? "'" : "",
                           by_group ? "frailty group" : "unit");
            return;
        }
        *cls = i;
    }
    u->n_classes = n + 1;
}

static void read_admission_days(struct reader *rd, config_setting_t *e, struct flyt_unit *u,
                                const char *key)
{
    double h[2] = { 0, 24 };
    if (flyt__rd_num_array(rd, e, "admission_hours", false, 2, 2, 0, 24, h, NULL) &&
        config_setting_get_member(e, "admission_hours")) {
        if (!(h[1] - h[0] >= 1.0 / 60.0))
            flyt__rd_error(rd, config_setting_get_member(e, "admission_hours"), key,
                           "admission_hours is [from, to] o'clock with from at least a minute "
                           "before to, e.g. [8.0, 15.0]");
        u->has_hours = h[0] > 0 || h[1] < 24;
        u->adm_from = h[0];
        u->adm_to = h[1];
    }
    const char *d = "all";
    char dkey[340];
    snprintf(dkey, sizeof dkey, "%s.admission_days", key);
    if (flyt__rd_str(rd, e, "admission_days", false, &d)) {
        if (strcmp(d, "weekdays") == 0)
            u->weekdays_only = true;
        else if (strcmp(d, "all") != 0)
            flyt__rd_error(rd, config_setting_get_member(e, "admission_days"), dkey,
                           "admission_days is \"all\" or \"weekdays\", got \"%s\"", d);
    }
}

/* Keys that a unit of another kind has: named as such, rather than as
 * unknown, so the planner sees the kind is what is wrong. */
static void refuse(struct reader *rd, config_setting_t *e, const char *key, const char *name,
                   const char *why)
{
    config_setting_t *m = config_setting_get_member(e, name);
    if (!m)
        return;
    flyt__rd_mark_tree(m);
    char mkey[340];
    snprintf(mkey, sizeof mkey, "%s.%s", key, name);
    flyt__rd_error(rd, m, mkey, "%s", why);
}

void flyt__rd_unit_body(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                        struct flyt_unit *u)
{
    char key[300];
    flyt__rd_path(e, key, sizeof key);
    struct group_names g;
    int idx[FLYT_MAX_GROUPS];
    all_groups(s, &g, idx);
    struct flyt_dist *dt[FLYT_MAX_GROUPS];
    bool beds = u->kind == FLYT_UNIT_BEDS, load = u->kind == FLYT_UNIT_CASELOAD;
    bool stays = !load && !u->hospital;

    if (beds) {
        long long c = 0;
        flyt__rd_int(rd, e, "capacity", true, 0, 10000000, &c);
        u->capacity = (double)c;
    } else if (load) {
        flyt__rd_num(rd, e, "capacity", true, 0.0, 1e9, &u->capacity);
    } else {
        u->capacity = INFINITY;
        refuse(rd, e, key, "capacity",
               "an unlimited unit has no capacity; make it kind = \"beds\" to give it one");
        refuse(rd, e, key, "schedule", "an unlimited unit has no capacity to schedule");
    }
    if (!u->hospital)
        read_admission_days(rd, e, u, key);
    if (u->hospital) {
        refuse(rd, e, key, "admission_days",
               "the hospital admits emergencies at any hour: admission_days is for other units");
        refuse(rd, e, key, "admission_hours",
               "the hospital admits emergencies at any hour: admission_hours is for other units");
        const char *const treat[] = { "los_days",          "outcome", "initial_occupancy",
                                      "not_ready_returns", "queue",   "priority" };
        for (size_t i = 0; i < sizeof treat / sizeof treat[0]; i++)
            refuse(rd, e, key, treat[i],
                   "the hospital's stay and what follows it are the hospital and decision "
                   "sections; the hospital unit has id, name, kind, capacity and schedule");
    }
    if (beds && !u->hospital)
        flyt__rd_num(rd, e, "initial_occupancy", false, 0.0, 1.0, &u->initial_occupancy);
    if (u->kind == FLYT_UNIT_UNLIMITED && !u->hospital) {
        long long n = 0;
        flyt__rd_int(rd, e, "initial_patients", false, 0, 100000000, &n);
        u->initial_count = (long)n;
    }
    if (stays) {
        for (int i = 0; i < s->n_groups; i++)
            dt[i] = &u->los[i];
        flyt__rd_group_dist(rd, e, "los_days", true, &g, dt);
        flyt__rd_routes(rd, e, "outcome", true, RD_ROUTE_SHARES_FIXED, s, &g, idx, &u->outcome);
    }
    if (load) {
        long long n = 0;
        flyt__rd_int(rd, e, "initial_clients", false, 0, 10000000, &n);
        u->initial_count = (long)n;
        for (int i = 0; i < s->n_groups; i++)
            dt[i] = &u->hours[i];
        flyt__rd_group_dist(rd, e, "hours_per_client", true, &g, dt);
        flyt__rd_routes(rd, e, "rates_per_year", false, RD_ROUTE_RATES, s, &g, idx, &u->hazards);
        refuse(rd, e, key, "los_days",
               "a caseload unit has no length of stay: its clients leave by rates_per_year");
        refuse(rd, e, key, "outcome", "a caseload unit's clients move on by rates_per_year");
        refuse(rd, e, key, "initial_occupancy",
               "a caseload unit starts with initial_clients, not an occupancy");
    } else {
        refuse(rd, e, key, "hours_per_client",
               "hours per client belong to a caseload unit (kind = \"caseload\")");
        refuse(rd, e, key, "rates_per_year",
               "rates_per_year belong to a caseload unit; a stay ends by its outcome");
        refuse(rd, e, key, "initial_clients",
               "initial_clients belong to a caseload unit; beds start at initial_occupancy");
    }
    if (!u->hospital)
        read_queue(rd, e, s, u, key);
    else
        u->n_classes = 1;
    if (!u->origin_class)
        u->origin_class = calloc((size_t)s->n_units, sizeof *u->origin_class);
    if (!u->hospital && u->kind != FLYT_UNIT_UNLIMITED)
        flyt__rd_bool(rd, e, "not_ready_returns", false, &u->not_ready_returns);
    if (u->kind != FLYT_UNIT_UNLIMITED)
        flyt__rd_capacity_schedule(rd, e, "capacity", u->capacity, load ? 1e9 : 1e7, s,
                                   &u->schedule);
    /* a route of a unit to itself would hold a place while waiting for one */
    const struct flyt_routes *r = load ? &u->hazards : &u->outcome;
    int self = (int)(u - s->units);
    for (int j = 0; j < r->n; j++)
        if (r->to[j] == self) {
            config_setting_t *rs =
                    config_setting_get_member(e, load ? "rates_per_year" : "outcome");
            char rkey[340];
            snprintf(rkey, sizeof rkey, "%s.%s", key, load ? "rates_per_year" : "outcome");
            flyt__rd_error(rd, rs ? rs : e, rkey,
                           "a route from '%s' to itself; a patient would hold a place while "
                           "waiting for one in the same unit",
                           u->id);
        }
}

/* id, kind and the hospital flag first, for every unit, so that a route
 * may name a unit declared after it. */
bool flyt__rd_unit_head(struct reader *rd, config_setting_t *e, struct flyt_scenario *s, int i,
                        const char *prefix)
{
    struct flyt_unit *u = &s->units[i];
    u->muni = -1;
    char key[300];
    flyt__rd_path(e, key, sizeof key);
    const char *id = NULL;
    bool ok = true;
    if (flyt__rd_str(rd, e, "id", true, &id) && id) {
        /* home and death are exits; ids names the list of ids in the output */
        if (!flyt__rd_valid_id(id) || strcmp(id, "home") == 0 || strcmp(id, "death") == 0 ||
            strcmp(id, "ids") == 0) {
            flyt__rd_error(rd, config_setting_get_member(e, "id"), key,
                           "a unit id has 1 to %d ASCII characters, a letter first, then letters, "
                           "digits or '_', and is not 'home' or 'death' (exits) or 'ids' (the "
                           "output's list of ids); got \"%s\"",
                           FLYT_ID_LEN - 1, id);
            ok = false;
        } else {
            char full[2 * FLYT_ID_LEN];
            snprintf(full, sizeof full, "%s%s%s", prefix ? prefix : "", prefix ? "." : "", id);
            int other = flyt__rd_unit_index(s, full);
            if (strlen(full) >= FLYT_ID_LEN) {
                flyt__rd_error(rd, config_setting_get_member(e, "id"), key,
                               "'%s' is longer than %d characters: shorten the municipality's "
                               "id or the unit's",
                               full, FLYT_ID_LEN - 1);
                ok = false;
            } else if (other >= 0 && other < i) {
                flyt__rd_error(rd, config_setting_get_member(e, "id"), key,
                               "unit id '%s' is used twice (unit %d and unit %d of the list)", id,
                               other + 1, i + 1);
                ok = false;
            }
            snprintf(u->id, sizeof u->id, "%.*s", FLYT_ID_LEN - 1, full);
        }
    } else {
        ok = false;
    }
    const char *name = NULL;
    flyt__rd_str(rd, e, "name", false, &name);
    u->name = malloc(strlen(name ? name : u->id) + 1);
    if (u->name)
        strcpy(u->name, name ? name : u->id);
    const char *kind = NULL;
    if (flyt__rd_str(rd, e, "kind", true, &kind) && kind) {
        int k = 0;
        while (k < FLYT_N_UNIT_KINDS && strcmp(kind, kind_names[k]) != 0)
            k++;
        if (k == FLYT_N_UNIT_KINDS) {
            flyt__rd_error(rd, config_setting_get_member(e, "kind"), key,
                           "kind is \"beds\", \"caseload\" or \"unlimited\", got \"%s\"", kind);
            ok = false;
        }
        u->kind = (enum flyt_unit_kind)(k < FLYT_N_UNIT_KINDS ? k : 0);
    } else {
        ok = false;
    }
    flyt__rd_bool(rd, e, "hospital", false, &u->hospital);
    if (u->hospital && u->kind == FLYT_UNIT_CASELOAD) {
        flyt__rd_error(rd, config_setting_get_member(e, "hospital"), key,
                       "the hospital is a unit of kind \"beds\" or \"unlimited\"");
        ok = false;
    }
    return ok;
}

void flyt__rd_units(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                    const struct group_names *g)
{
    (void)g;
    config_setting_t *list = flyt__rd_get(rd, root, "units", true);
    if (!list)
        return;
    if (config_setting_is_group(list)) {
        flyt__rd_mark_tree(list);
        flyt__rd_error(rd, list, "units",
                       "the old form (three named units) is no longer read; convert it with "
                       "'flyt upgrade %s > NEW.cfg'",
                       rd->main_file);
        return;
    }
    int n = config_setting_length(list);
    if (!config_setting_is_list(list) || n < 1 || n > FLYT_MAX_UNITS) {
        flyt__rd_mark_tree(list);
        flyt__rd_error(rd, list, "units",
                       "expected a list of 1 to %d units ( { id = \"hospital\"; kind = "
                       "\"unlimited\"; hospital = true; }, { id = \"short_term\"; kind = "
                       "\"beds\"; ... } )",
                       FLYT_MAX_UNITS);
        return;
    }
    s->units = calloc((size_t)n, sizeof *s->units);
    if (!s->units) {
        flyt__rd_error(rd, list, "units", "out of memory");
        return;
    }
    s->n_units = n;
    bool heads = true;
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        flyt__rd_mark(e);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, "units",
                           "unit %d: each unit is a group { id = ...; kind = ...; }", i + 1);
            heads = false;
            continue;
        }
        heads = flyt__rd_unit_head(rd, e, s, i, NULL) && heads;
    }
    s->hospital = -1;
    for (int i = 0; i < n && heads; i++) {
        if (!s->units[i].hospital)
            continue;
        if (s->hospital >= 0) {
            flyt__rd_error(rd, config_setting_get_elem(list, (unsigned)i), "units",
                           "two units are the hospital ('%s' and '%s'); give hospital = true to "
                           "one",
                           s->units[s->hospital].id, s->units[i].id);
            heads = false;
        }
        s->hospital = s->hospital < 0 ? i : s->hospital;
    }
    if (heads && s->hospital < 0) {
        flyt__rd_error(rd, list, "units",
                       "no unit is the hospital: add { id = \"hospital\"; kind = \"unlimited\"; "
                       "hospital = true; } (or kind = \"beds\" with a capacity)");
        heads = false;
    }
    if (!heads) {
        flyt__rd_mark_tree(list); /* the rest cannot be read without the heads */
        return;
    }
    for (int i = 0; i < n; i++)
        flyt__rd_unit_body(rd, config_setting_get_elem(list, (unsigned)i), s, &s->units[i]);
}

void flyt__rd_units_free(struct flyt_scenario *s)
{
    for (int i = 0; i < s->n_units; i++) {
        struct flyt_unit *u = &s->units[i];
        free(u->name);
        for (int g = 0; g < FLYT_MAX_GROUPS; g++) {
            flyt_dist_clear(&u->los[g]);
            flyt_dist_clear(&u->hours[g]);
        }
        flyt__rd_routes_free(&u->outcome);
        flyt__rd_routes_free(&u->hazards);
        free(u->origin_class);
        free(u->users);
        free(u->quota);
        free(u->schedule.changes);
        free(u->schedule.recurring);
    }
    free(s->units);
    s->units = NULL;
    s->n_units = 0;
    flyt__rd_routes_free(&s->destination);
    flyt__rd_region_free(s);
}

config_setting_t *flyt__rd_unit_elem(config_setting_t *root, const struct flyt_scenario *s, int u)
{
    const struct flyt_unit *x = &s->units[u];
    if (s->n_munis == 0)
        return config_setting_get_elem(config_setting_get_member(root, "units"), (unsigned)u);
    if (x->muni < 0)
        return config_setting_get_elem(config_setting_get_member(root, "shared_units"),
                                       (unsigned)u);
    config_setting_t *me = config_setting_get_elem(
            config_setting_get_member(root, "municipalities"), (unsigned)x->muni);
    return config_setting_get_elem(me ? config_setting_get_member(me, "units") : NULL,
                                   (unsigned)(u - s->munis[x->muni].unit_lo));
}

void flyt__rd_unit_key(const struct flyt_scenario *s, int u, const char *member, char *buf,
                       size_t len)
{
    const struct flyt_unit *x = &s->units[u];
    const char *sep = member ? "." : "";
    member = member ? member : "";
    if (s->n_munis == 0)
        snprintf(buf, len, "units.%s%s%s", x->id, sep, member);
    else if (x->muni < 0)
        snprintf(buf, len, "shared_units.%s%s%s", x->id, sep, member);
    else
        snprintf(buf, len, "municipalities.%s.units.%s%s%s", s->munis[x->muni].id,
                 x->id + strlen(s->munis[x->muni].id) + 1, sep, member);
}

/* ---- checks over the whole network ---- */

static config_setting_t *unit_setting(config_setting_t *root, int u, const char *member)
{
    config_setting_t *list = config_setting_get_member(root, "units");
    config_setting_t *e = list ? config_setting_get_elem(list, (unsigned)u) : NULL;
    config_setting_t *m = e && member ? config_setting_get_member(e, member) : NULL;
    return m ? m : e ? e : list;
}

static void mark_targets(const struct flyt_routes *r, int g, bool *to)
{
    if (!r->p)
        return;
    const double *row = flyt_routes_row(r, g);
    for (int j = 0; j < r->n; j++)
        if (row[j] > 0 && r->to[j] >= 0)
            to[r->to[j]] = true;
}

static bool has_exit(const struct flyt_routes *r, int g)
{
    if (!r->p)
        return false;
    const double *row = flyt_routes_row(r, g);
    for (int j = 0; j < r->n; j++)
        if (row[j] > 0 && r->to[j] < 0)
            return true;
    return false;
}

/* Whether a scheduled level ever opens the unit. */
static bool ever_open(const struct flyt_unit *u)
{
    for (size_t i = 0; i < u->schedule.n_changes; i++)
        if (u->schedule.changes[i].level > 0)
            return true;
    for (size_t i = 0; i < u->schedule.n_recurring; i++)
        if (u->schedule.recurring[i].change > 0)
            return true;
    return false;
}

/* The routes of every kind out of unit u for group g (roles included):
 * to[] the units, *out whether an exit is among them. */
static void edges(const struct flyt_scenario *s, int u, int g, bool *to, bool *out)
{
    const struct flyt_unit *x = &s->units[u];
    memset(to, 0, sizeof *to * (size_t)s->n_units);
    *out = false;
    if (u == s->hospital) {
        const struct flyt_group *gr = &s->groups[g];
        *out = gr->p_ukp < 1 || gr->p_death_hosp > 0 || s->complex_share > 0;
        mark_targets(&s->destination, g, to);
        *out = *out || has_exit(&s->destination, g);
        for (int r = 0; r < s->n_roles; r++)
            if (s->roles[r].has_destination) {
                mark_targets(&s->roles[r].destination, g, to);
                *out = *out || has_exit(&s->roles[r].destination, g);
            }
        return;
    }
    const struct flyt_routes *rt = x->kind == FLYT_UNIT_CASELOAD ? &x->hazards : &x->outcome;
    mark_targets(rt, g, to);
    *out = has_exit(rt, g);
    for (int r = 0; r < s->n_roles; r++)
        if (s->roles[r].cases == FLYT_CASE_STAY && s->roles[r].case_unit == u &&
            s->roles[r].has_outcome) {
            mark_targets(&s->roles[r].outcome, g, to);
            *out = *out || has_exit(&s->roles[r].outcome, g);
        }
    if (x->not_ready_returns)
        to[s->hospital] = true;
}

void flyt__rd_check_network(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    if (s->n_units <= 0 || s->n_units > FLYT_MAX_UNITS || s->hospital < 0)
        return;
    int n = s->n_units;
    bool *routed = calloc((size_t)n, sizeof *routed);
    bool *to = calloc((size_t)n * (size_t)n, sizeof *to);
    bool *out = calloc((size_t)n, sizeof *out);
    bool *seen = calloc((size_t)n, sizeof *seen);
    bool *leaves = calloc((size_t)n, sizeof *leaves);
    int *stack = calloc((size_t)n, sizeof *stack);
    if (!routed || !to || !out || !seen || !leaves || !stack)
        goto done;
    /* A unit patients are sent to, whose capacity is zero for good, would
     * hold them forever: a scenario error, not a result. */
    for (int g = 0; g < s->n_groups; g++)
        for (int u = 0; u < n; u++) {
            edges(s, u, g, to, &out[u]);
            for (int v = 0; v < n; v++)
                routed[v] |= to[v] && v != s->hospital;
        }
    for (int u = 0; u < n; u++) {
        const struct flyt_unit *x = &s->units[u];
        if (routed[u] && x->kind != FLYT_UNIT_UNLIMITED && !(x->capacity > 0) && !ever_open(x)) {
            char key[340];
            snprintf(key, sizeof key, "units.%s.capacity", x->id);
            flyt__rd_error(rd, unit_setting(root, u, "capacity"), key,
                           "patients are routed to '%s' but its capacity is 0 and no schedule "
                           "opens it; give capacity > 0",
                           x->id);
        }
    }
    /* Per group: every unit a patient can reach must have a way on to an
     * exit; otherwise patients gather there (or go round a cycle) for ever. */
    for (int g = 0; g < s->n_groups; g++) {
        for (int u = 0; u < n; u++)
            edges(s, u, g, to + (size_t)u * (size_t)n, &out[u]);
        memset(seen, 0, sizeof *seen * (size_t)n);
        int top = 0;
        seen[s->hospital] = true;
        stack[top++] = s->hospital;
        for (int u = 0; u < n; u++)
            if (!seen[u] &&
                ((s->units[u].kind == FLYT_UNIT_BEDS && s->units[u].initial_occupancy > 0) ||
                 s->units[u].initial_count > 0)) {
                seen[u] = true;
                stack[top++] = u;
            }
        while (top > 0) {
            int u = stack[--top];
            for (int v = 0; v < n; v++)
                if (to[(size_t)u * (size_t)n + (size_t)v] && !seen[v]) {
                    seen[v] = true;
                    stack[top++] = v;
                }
        }
        /* leaves[u]: an exit is reachable from u */
        for (int u = 0; u < n; u++)
            leaves[u] = out[u];
        for (bool more = true; more;) {
            more = false;
            for (int u = 0; u < n; u++)
                for (int v = 0; v < n && !leaves[u]; v++)
                    if (to[(size_t)u * (size_t)n + (size_t)v] && leaves[v])
                        leaves[u] = more = true;
        }
        char names[512];
        size_t used = 0;
        int bad = 0, first = -1;
        names[0] = '\0';
        for (int u = 0; u < n; u++)
            if (seen[u] && !leaves[u]) {
                if (first < 0)
                    first = u;
                bad++;
                if (used < sizeof names) {
                    int w = snprintf(names + used, sizeof names - used, "%s'%s'", used ? ", " : "",
                                     s->units[u].id);
                    used += w > 0 ? (size_t)w : 0;
                }
            }
        if (bad) {
            char key[80];
            snprintf(key, sizeof key, "units.%s", s->units[first].id);
            flyt__rd_error(rd, unit_setting(root, first, NULL), key,
                           "patients of group '%s' who reach %s can never leave: no route from "
                           "%s leads to an exit (home or death)%s",
                           s->groups[g].name, names, bad > 1 ? "these units" : "it",
                           bad > 1 ? "; they only lead to each other" : "");
            break;
        }
    }
done:
    free(routed);
    free(to);
    free(out);
    free(seen);
    free(leaves);
    free(stack);
}
