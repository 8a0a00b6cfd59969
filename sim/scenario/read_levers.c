/* The levers planners pull: capacity over time, demand shocks, coordinator
 * roles, and the return of patients who were not really discharge-ready.
 * All optional; a scenario without them runs as before. */
#include "scenario/reader.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A day given as a number (simulated day, 0 = the start date) or as a date
 * "YYYY-MM-DD". Dates before the start count from day 0. */
static bool read_day(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                     const struct flyt_scenario *s, double *day)
{
    config_setting_t *v = flyt__rd_get(rd, parent, name, required);
    if (!v)
        return false;
    char key[300];
    flyt__rd_path(v, key, sizeof key);
    if (config_setting_type(v) == CONFIG_TYPE_STRING) {
        int y, m, d;
        const char *txt = config_setting_get_string(v);
        if (!flyt__rd_parse_date(txt, &y, &m, &d)) {
            flyt__rd_error(rd, v, key, "expected a date \"YYYY-MM-DD\" or a day number, got \"%s\"",
                           txt);
            return false;
        }
        int off = flyt__rd_days_from_civil(y, m, d) -
                  flyt__rd_days_from_civil(s->start_year, s->start_month, s->start_mday);
        *day = off > 0 ? off : 0;
        return true;
    }
    double x;
    if (!flyt__rd_value_number(rd, v, key, &x))
        return false;
    if (!(x >= 0) || x != floor(x) || x > 365.0 * 1000) {
        flyt__rd_error(rd, v, key,
                       "expected a whole day number >= 0 (changes happen at 00:00) or a date "
                       "\"YYYY-MM-DD\", got %g",
                       x);
        return false;
    }
    *day = x;
    return true;
}

static int cmp_change(const void *a, const void *b)
{
    double x = ((const struct flyt_cap_change *)a)->day;
    double y = ((const struct flyt_cap_change *)b)->day;
    return (x > y) - (x < y);
}

static void read_recurring(struct reader *rd, config_setting_t *e, const char *key,
                           struct flyt_cap_recurring *r)
{
    double w[2] = { 0, 0 };
    if (flyt__rd_num_array(rd, e, "weeks", true, 2, 2, 1, 53, w, NULL)) {
        r->week_from = (int)w[0];
        r->week_to = (int)w[1];
        if (r->week_from != w[0] || r->week_to != w[1])
            flyt__rd_error(rd, config_setting_get_member(e, "weeks"), key,
                           "expected whole ISO week numbers [first, last], e.g. [27, 32]");
    }
    flyt__rd_num(rd, e, "change", true, -1e9, 1e9, &r->change);
}

void flyt__rd_capacity_schedule(struct reader *rd, config_setting_t *unit, const char *level_key,
                                double base, double max_level, const struct flyt_scenario *s,
                                struct flyt_capacity *out)
{
    memset(out, 0, sizeof *out);
    config_setting_t *list = flyt__rd_get(rd, unit, "schedule", false);
    if (!list)
        return;
    char key[300];
    flyt__rd_path(list, key, sizeof key);
    int n = config_setting_length(list);
    if (!config_setting_is_list(list) || n < 1) {
        flyt__rd_error(rd, list, key,
                       "expected a list of changes: ( { from = \"2025-09-01\"; %s = ...; }, "
                       "{ weeks = [27, 32]; change = ...; } )",
                       level_key);
        flyt__rd_mark_tree(list);
        return;
    }
    out->changes = calloc((size_t)n, sizeof *out->changes);
    out->recurring = calloc((size_t)n, sizeof *out->recurring);
    if (!out->changes || !out->recurring) {
        flyt__rd_error(rd, list, key, "out of memory");
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        flyt__rd_mark(e);
        char ekey[320];
        flyt__rd_path(e, ekey, sizeof ekey);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, ekey,
                           "each change is { from = DAY or \"YYYY-MM-DD\"; %s = ...; } or "
                           "{ weeks = [first, last]; change = ...; }",
                           level_key);
            continue;
        }
        bool dated = config_setting_get_member(e, "from") != NULL;
        bool yearly = config_setting_get_member(e, "weeks") != NULL;
        if (dated == yearly) {
            flyt__rd_mark_tree(e);
            flyt__rd_error(rd, e, ekey,
                           "give either from + %s (a dated change) or weeks + change (every year), "
                           "not %s",
                           level_key, dated ? "both" : "neither");
            continue;
        }
        if (yearly) {
            read_recurring(rd, e, ekey, &out->recurring[out->n_recurring++]);
            continue;
        }
        struct flyt_cap_change *c = &out->changes[out->n_changes++];
        read_day(rd, e, "from", true, s, &c->day);
        c->level = base;
        flyt__rd_num(rd, e, level_key, true, 0.0, max_level, &c->level);
    }
    qsort(out->changes, out->n_changes, sizeof *out->changes, cmp_change);
    for (size_t i = 1; i < out->n_changes; i++)
        if (out->changes[i].day == out->changes[i - 1].day)
            flyt__rd_error(rd, list, key, "two dated changes on day %g; give one level per day",
                           out->changes[i].day);
}

void flyt__rd_shocks(struct reader *rd, config_setting_t *pop, struct flyt_scenario *s)
{
    config_setting_t *list = flyt__rd_get(rd, pop, "shocks", false);
    if (!list)
        return;
    int n = config_setting_length(list);
    if (!config_setting_is_list(list) || n < 1) {
        flyt__rd_error(
                rd, list, "population.shocks",
                "expected a list ( { from = \"2025-12-01\"; to = \"2026-03-01\"; factor = 1.3; "
                "} )");
        flyt__rd_mark_tree(list);
        return;
    }
    s->shocks = calloc((size_t)n, sizeof *s->shocks);
    if (!s->shocks)
        return;
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        flyt__rd_mark(e);
        char key[300];
        flyt__rd_path(e, key, sizeof key);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, key, "each shock is { from = ...; to = ...; factor = ...; }");
            continue;
        }
        struct flyt_shock *sh = &s->shocks[s->n_shocks++];
        bool ok = read_day(rd, e, "from", true, s, &sh->from_day);
        ok = read_day(rd, e, "to", true, s, &sh->to_day) && ok;
        sh->factor = 1.0;
        flyt__rd_num(rd, e, "factor", true, 0.0, 100.0, &sh->factor);
        if (ok && !(sh->to_day > sh->from_day))
            flyt__rd_error(rd, config_setting_get_member(e, "to"), key,
                           "'to' (day %g) must come after 'from' (day %g); 'to' is the first day "
                           "back to normal",
                           sh->to_day, sh->from_day);
    }
}

/* ---- coordinator roles ---- */

static const char *const day_names[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

static void read_workdays(struct reader *rd, config_setting_t *e, struct flyt_role *r)
{
    for (int d = 0; d < 7; d++)
        r->workday[d] = d < 5;
    config_setting_t *a = flyt__rd_get(rd, e, "workdays", false);
    if (!a)
        return;
    char key[300];
    flyt__rd_path(a, key, sizeof key);
    int n = config_setting_length(a);
    if (!config_setting_is_array(a) || n < 1 || n > 7) {
        flyt__rd_error(rd, a, key, "expected 1 to 7 day names, e.g. [\"mon\", \"tue\", \"wed\"]");
        return;
    }
    memset(r->workday, 0, sizeof r->workday);
    for (int i = 0; i < n; i++) {
        const char *name = config_setting_get_string_elem(a, (unsigned)i);
        int d = 0;
        while (name && d < 7 && strcmp(name, day_names[d]) != 0)
            d++;
        if (!name || d == 7) {
            flyt__rd_error(rd, a, key,
                           "day names are mon, tue, wed, thu, fri, sat, sun; got %s%s%s",
                           name ? "\"" : "", name ? name : "a non-string", name ? "\"" : "");
            return;
        }
        r->workday[d] = true;
    }
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static void read_holidays(struct reader *rd, config_setting_t *e, const struct flyt_scenario *s,
                          struct flyt_role *r)
{
    config_setting_t *a = flyt__rd_get(rd, e, "holidays", false);
    if (!a)
        return;
    char key[300];
    flyt__rd_path(a, key, sizeof key);
    int n = config_setting_length(a);
    if (!config_setting_is_array(a)) {
        flyt__rd_error(rd, a, key, "expected dates [\"2025-12-24\", \"2025-12-25\", ...]");
        return;
    }
    r->holidays = calloc((size_t)(n > 0 ? n : 1), sizeof *r->holidays);
    if (!r->holidays)
        return;
    int start = flyt__rd_days_from_civil(s->start_year, s->start_month, s->start_mday);
    for (int i = 0; i < n; i++) {
        const char *txt = config_setting_get_string_elem(a, (unsigned)i);
        int y, m, d;
        if (!txt || !flyt__rd_parse_date(txt, &y, &m, &d)) {
            flyt__rd_error(rd, a, key, "entry %d: expected a date \"YYYY-MM-DD\"", i + 1);
            return;
        }
        r->holidays[r->n_holidays++] = flyt__rd_days_from_civil(y, m, d) - start;
    }
    qsort(r->holidays, r->n_holidays, sizeof *r->holidays, cmp_int);
}

/* The groups a role takes; *sub gets their names, sub_idx their indices. */
static void read_role_groups(struct reader *rd, config_setting_t *e, const struct group_names *g,
                             struct flyt_role *r, struct group_names *sub, int *sub_idx)
{
    for (int i = 0; i < g->n; i++)
        r->takes_group[i] = true;
    config_setting_t *a = flyt__rd_get(rd, e, "groups", false);
    if (a) {
        char key[300];
        flyt__rd_path(a, key, sizeof key);
        int n = config_setting_length(a);
        if (!config_setting_is_array(a) || n < 1) {
            flyt__rd_error(rd, a, key, "expected group names, e.g. [\"frail\", \"severe\"]");
        } else {
            memset(r->takes_group, 0, sizeof r->takes_group);
            for (int i = 0; i < n; i++) {
                const char *name = config_setting_get_string_elem(a, (unsigned)i);
                int k = 0;
                while (name && k < g->n && strcmp(name, g->name[k]) != 0)
                    k++;
                if (!name || k == g->n) {
                    char valid[512];
                    size_t used = 0;
                    valid[0] = '\0';
                    for (int j = 0; j < g->n && used < sizeof valid; j++)
                        used += (size_t)snprintf(valid + used, sizeof valid - used, "%s%s",
                                                 j ? ", " : "", g->name[j]);
                    flyt__rd_error(rd, a, key, "'%s' is not a frailty group (groups: %s)",
                                   name ? name : "a non-string", valid);
                    continue;
                }
                r->takes_group[k] = true;
            }
        }
    }
    sub->n = 0;
    for (int i = 0; i < g->n; i++)
        if (r->takes_group[i]) {
            sub_idx[sub->n] = i;
            sub->name[sub->n++] = g->name[i];
        }
}

static void read_effects(struct reader *rd, config_setting_t *e, struct flyt_role *r,
                         const struct flyt_scenario *s, const struct group_names *sub,
                         const int *sub_idx)
{
    r->los_factor = 1.0;
    r->los_unit = r->cases == FLYT_CASE_STAY ? r->case_unit : -1;
    config_setting_t *fx = flyt__rd_group(rd, e, "effects", false);
    if (!fx)
        return;
    char key[300];
    flyt__rd_path(fx, key, sizeof key);
    bool ukp = r->cases == FLYT_CASE_UKP;
    r->decision_delay.kind = FLYT_DIST_FIXED;
    r->has_decision_delay = config_setting_get_member(fx, "decision_delay_days") != NULL;
    flyt__rd_dist(rd, fx, "decision_delay_days", false, &r->decision_delay);
    r->has_destination = config_setting_get_member(fx, "destination") != NULL;
    if (flyt__rd_routes(rd, fx, "destination", false, RD_ROUTE_SHARES, s, sub, sub_idx,
                        &r->destination))
        for (int j = 0; j < r->destination.n; j++)
            if (r->destination.to[j] == s->hospital || r->destination.to[j] == FLYT_ROUTE_DEATH) {
                char dkey[340];
                snprintf(dkey, sizeof dkey, "%s.destination", key);
                flyt__rd_error(rd, config_setting_get_member(fx, "destination"), dkey,
                               "the destination names other units than the hospital, or 'home'");
                break;
            }
    r->has_outcome = config_setting_get_member(fx, "outcome") != NULL;
    flyt__rd_routes(rd, fx, "outcome", false, RD_ROUTE_SHARES_FIXED, s, sub, sub_idx, &r->outcome);
    flyt__rd_num(rd, fx, "los_factor", false, 0.0, 10.0, &r->los_factor);
    char fkey[340];
    snprintf(fkey, sizeof fkey, "%s.los_unit", key);
    const char *lu = NULL;
    if (flyt__rd_str(rd, fx, "los_unit", false, &lu) && lu) {
        int u = flyt__rd_scope_unit(rd, s, lu);
        config_setting_t *ls = config_setting_get_member(fx, "los_unit");
        if (!ukp)
            flyt__rd_error(rd, ls, fkey,
                           "a role that takes stays scales the stays of its own unit; los_unit is "
                           "for ukp roles");
        else if (u < 0 || s->units[u].hospital || s->units[u].kind == FLYT_UNIT_CASELOAD)
            flyt__rd_error(rd, ls, fkey, "'%s' is not a unit with stays (beds or unlimited)", lu);
        else
            r->los_unit = u;
    }
    if (ukp && r->los_factor != 1.0 && r->los_unit < 0)
        flyt__rd_error(rd, config_setting_get_member(fx, "los_factor"), key,
                       "a ukp role's los_factor scales the next stay in one unit: name it with "
                       "los_unit = \"...\"");
    config_setting_t *old = config_setting_get_member(fx, "st_los_factor");
    if (old) {
        flyt__rd_mark(old);
        snprintf(fkey, sizeof fkey, "%s.st_los_factor", key);
        flyt__rd_error(rd, old, fkey,
                       "renamed los_factor (with los_unit for a ukp role); convert the file with "
                       "'flyt upgrade'");
    }
    double *pt[FLYT_MAX_GROUPS];
    for (int i = 0; i < sub->n; i++)
        pt[i] = &r->p_not_ready[sub_idx[i]];
    r->has_not_ready = config_setting_get_member(fx, "not_ready_probability") != NULL;
    flyt__rd_group_num(rd, fx, "not_ready_probability", false, 0, 1, sub, pt);

    /* An effect on a stage the role never sees would silently do nothing. */
    static const char *const ukp_only[] = { "decision_delay_days", "destination",
                                            "not_ready_probability" };
    for (size_t i = 0; i < sizeof ukp_only / sizeof ukp_only[0]; i++)
        if (!ukp && config_setting_get_member(fx, ukp_only[i]) &&
            snprintf(fkey, sizeof fkey, "%s.%s", key, ukp_only[i]) > 0)
            flyt__rd_error(rd, config_setting_get_member(fx, ukp_only[i]), fkey,
                           "'%s' acts before the decision; a role that takes stays can change "
                           "outcome and los_factor",
                           ukp_only[i]);
    snprintf(fkey, sizeof fkey, "%s.outcome", key);
    if (ukp && config_setting_get_member(fx, "outcome"))
        flyt__rd_error(rd, config_setting_get_member(fx, "outcome"), fkey,
                       "'outcome' changes how a stay ends; it needs cases = a unit with beds");
}

static void read_role(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                      const struct group_names *g, struct flyt_role *r)
{
    char key[300];
    flyt__rd_path(e, key, sizeof key);
    r->muni = rd->scope >= 0 ? rd->scope : -1;
    const char *name = NULL;
    if (flyt__rd_str(rd, e, "name", true, &name) && name) {
        if (!*name || strlen(name) >= FLYT_NAME_LEN || strchr(name, '/') || name[0] == '.')
            flyt__rd_error(
                    rd, config_setting_get_member(e, "name"), key,
                    "a role name has 1 to %d characters, no '/' and no leading '.' (it names "
                    "a group in the HDF5 output)",
                    FLYT_NAME_LEN - 1);
        snprintf(r->name, sizeof r->name, "%s", name);
    }
    long long hc = 1;
    flyt__rd_int(rd, e, "headcount", true, 0, 10000, &hc);
    r->headcount = (int)hc;
    read_workdays(rd, e, r);
    double hours[2] = { 8.0, 16.0 };
    /* A shift shorter than a minute is a typo, and a zero-length one would
     * make the shift events meet themselves at one instant. */
    if (flyt__rd_num_array(rd, e, "hours", false, 2, 2, 0, 24, hours, NULL) &&
        !(hours[1] - hours[0] >= 1.0 / 60.0))
        flyt__rd_error(rd, config_setting_get_member(e, "hours"), key,
                       "hours is [start, end] of the working day with start at least a minute "
                       "before end, e.g. [8.0, 15.5]");
    r->shift_from = hours[0];
    r->shift_to = hours[1];
    read_holidays(rd, e, s, r);

    const char *cases = "ukp";
    r->cases = FLYT_CASE_UKP;
    r->case_unit = -1;
    if (flyt__rd_str(rd, e, "cases", true, &cases) && cases && strcmp(cases, "ukp") != 0) {
        int u = flyt__rd_scope_unit(rd, s, cases);
        if (u < 0 || s->units[u].kind != FLYT_UNIT_BEDS || s->units[u].hospital)
            flyt__rd_error(rd, config_setting_get_member(e, "cases"), key,
                           "cases is \"ukp\" (discharge-ready patients in hospital) or the id of "
                           "a unit with beds (its patients, before the stay ends), got \"%s\"",
                           cases);
        else {
            r->cases = FLYT_CASE_STAY;
            r->case_unit = u;
        }
    }

    struct group_names sub;
    int sub_idx[FLYT_MAX_GROUPS];
    read_role_groups(rd, e, g, r, &sub, sub_idx);
    r->work_hours.kind = FLYT_DIST_FIXED;
    flyt__rd_dist(rd, e, "work_hours", true, &r->work_hours);

    const char *busy = "ordinary";
    if (flyt__rd_str(rd, e, "when_busy", false, &busy) && strcmp(busy, "ordinary") != 0 &&
        strcmp(busy, "wait") != 0)
        flyt__rd_error(
                rd, config_setting_get_member(e, "when_busy"), key,
                "when_busy is \"ordinary\" (the usual process runs on; whichever comes first) "
                "or \"wait\" (the patient waits for a coordinator), got \"%s\"",
                busy);
    r->when_busy = busy && strcmp(busy, "wait") == 0 ? FLYT_BUSY_WAIT : FLYT_BUSY_ORDINARY;
    r->lead_days = -1;
    if (flyt__rd_num(rd, e, "lead_days", false, 0.0, 36500.0, &r->lead_days) &&
        config_setting_get_member(e, "lead_days") && r->cases != FLYT_CASE_STAY)
        flyt__rd_error(rd, config_setting_get_member(e, "lead_days"), key,
                       "lead_days opens a case before a stay ends; it needs cases = a unit with "
                       "beds");

    for (int i = 0; i < s->n_groups; i++)
        r->p_not_ready[i] = s->groups[i].p_not_ready;
    read_effects(rd, e, r, s, &sub, sub_idx);
}

void flyt__rd_coordinators(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                           const struct group_names *g)
{
    config_setting_t *list = flyt__rd_get(rd, root, "coordinators", false);
    if (!list)
        return;
    if (s->n_units == 0 || s->hospital < 0) {
        /* roles name units (cases, los_unit, routes); with none read every
         * such name would be a false error after the units' own */
        flyt__rd_mark_tree(list);
        return;
    }
    int n = config_setting_length(list);
    if (!config_setting_is_list(list) || n > FLYT_MAX_ROLES - s->n_roles) {
        flyt__rd_error(
                rd, list, "coordinators",
                "expected a list of up to %d roles ( { name = \"...\"; headcount = 1; cases = "
                "\"ukp\"; work_hours = 2.0; }, ... )",
                FLYT_MAX_ROLES);
        flyt__rd_mark_tree(list);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        flyt__rd_mark(e);
        if (!config_setting_is_group(e)) {
            char key[300];
            flyt__rd_path(e, key, sizeof key);
            flyt__rd_error(rd, e, key, "each role is a group { name = ...; headcount = ...; ... }");
            continue;
        }
        read_role(rd, e, s, g, &s->roles[s->n_roles++]);
    }
    for (int i = 0; i < s->n_roles; i++)
        for (int j = 0; j < i; j++)
            if (s->roles[i].muni == s->roles[j].muni &&
                strcmp(s->roles[i].name, s->roles[j].name) == 0)
                flyt__rd_error(rd, list, "coordinators", "role name '%s' is used twice",
                               s->roles[i].name);
}

/* hospital.not_ready_days is needed once anyone can be sent back. */
void flyt__rd_check_not_ready(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    bool used = false;
    for (int i = 0; i < s->n_groups; i++)
        used |= s->groups[i].p_not_ready > 0;
    for (int r = 0; r < s->n_roles; r++)
        for (int i = 0; i < s->n_groups; i++)
            used |= s->roles[r].has_not_ready && s->roles[r].p_not_ready[i] > 0;
    config_setting_t *h = config_setting_get_member(root, "hospital");
    if (used && h && !config_setting_get_member(h, "not_ready_days"))
        flyt__rd_error(
                rd, h, "hospital.not_ready_days",
                "patients can be sent back as not discharge-ready (not_ready_probability > 0): "
                "give the time from discharge to the return, e.g. not_ready_days = { dist = "
                "\"lognormal\"; mean = 3.0; sd = 2.0; }");
}

void flyt__rd_levers_free(struct flyt_scenario *s)
{
    free(s->shocks);
    for (int r = 0; r < FLYT_MAX_ROLES; r++) {
        free(s->roles[r].holidays);
        flyt_dist_clear(&s->roles[r].work_hours);
        flyt_dist_clear(&s->roles[r].decision_delay);
        flyt__rd_routes_free(&s->roles[r].destination);
        flyt__rd_routes_free(&s->roles[r].outcome);
    }
}
