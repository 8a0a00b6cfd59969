/* The cost ledger's inputs (section cost): the payment for discharge-ready
 * patients (a flat rate, or a rate per calendar year, and the day it starts
 * on), and what units and coordinator roles cost. Read after the units and
 * roles, whose ids and names it refers to. The rule and its sources:
 * docs/costs.md. */
#include "scenario/reader.h"

#include <string.h>

#define MAX_NOK 1e9

static void read_pay_years(struct reader *rd, config_setting_t *c, struct flyt_scenario *s)
{
    config_setting_t *t = flyt__rd_get(rd, c, "ukp_day_nok_by_year", false);
    if (!t)
        return;
    char key[300];
    flyt__rd_path(t, key, sizeof key);
    if (!config_setting_is_list(t)) {
        flyt__rd_error(rd, t, key, "expected a list ( { year = 2024; nok = 5745.0; }, ... )");
        return;
    }
    int n = config_setting_length(t);
    if (n < 1 || n > FLYT_MAX_PAY_YEARS) {
        flyt__rd_error(rd, t, key, "expected 1 to %d years, got %d", FLYT_MAX_PAY_YEARS, n);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(t, (unsigned)i);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, key, "element %d: expected { year = ...; nok = ...; }", i + 1);
            flyt__rd_mark_tree(e);
            continue;
        }
        long long year = 0;
        double nok = 0;
        if (!flyt__rd_int(rd, e, "year", true, 1900, 2200, &year) ||
            !flyt__rd_num(rd, e, "nok", true, 0.0, MAX_NOK, &nok))
            continue;
        if (s->n_pay_years > 0 && year <= s->pay_year[s->n_pay_years - 1]) {
            flyt__rd_error(rd, e, key,
                           "years must be given in increasing order, each once: %lld "
                           "after %d",
                           year, s->pay_year[s->n_pay_years - 1]);
            continue;
        }
        s->pay_year[s->n_pay_years] = (int)year;
        s->pay_rate[s->n_pay_years] = nok;
        s->n_pay_years++;
    }
}

static void read_pay_from(struct reader *rd, config_setting_t *c, struct flyt_scenario *s)
{
    const char *v = NULL;
    s->pay_from = FLYT_PAY_FROM_READY_DAY;
    if (!flyt__rd_str(rd, c, "payment_from", false, &v) || !v)
        return;
    if (strcmp(v, "ready_day") == 0)
        s->pay_from = FLYT_PAY_FROM_READY_DAY;
    else if (strcmp(v, "day_after") == 0)
        s->pay_from = FLYT_PAY_FROM_DAY_AFTER;
    else
        flyt__rd_error(rd, config_setting_get_member(c, "payment_from"), "cost.payment_from",
                       "expected \"ready_day\" or \"day_after\", got \"%s\"", v);
}

/* A key the unit's kind has no use for is an error, not silently 0. */
static void refuse(struct reader *rd, config_setting_t *g, const char *name, const char *why)
{
    config_setting_t *x = config_setting_get_member(g, name);
    if (!x)
        return;
    char key[300];
    flyt__rd_path(x, key, sizeof key);
    flyt__rd_mark(x);
    flyt__rd_error(rd, x, key, "%s", why);
}

/* The one-off cost of places added above the capacity the unit has
 * without investment: both keys or neither. */
static void read_new_places(struct reader *rd, config_setting_t *g, const char *key,
                            struct flyt_unit *x)
{
    bool cost = flyt__rd_get(rd, g, "new_place_nok", false) != NULL;
    bool base = flyt__rd_get(rd, g, "base_capacity", false) != NULL;
    flyt__rd_num(rd, g, "new_place_nok", false, 0.0, MAX_NOK, &x->cost_new_place);
    flyt__rd_num(rd, g, "base_capacity", false, 0.0, 1e7, &x->base_capacity);
    if (cost != base)
        flyt__rd_error(rd, g, key,
                       "new_place_nok and base_capacity go together: the one-off cost is for "
                       "the places above base_capacity");
}

static void read_unit_costs(struct reader *rd, config_setting_t *c, struct flyt_scenario *s)
{
    config_setting_t *units = flyt__rd_group(rd, c, "units", false);
    for (int i = 0; units && i < config_setting_length(units); i++) {
        config_setting_t *g = config_setting_get_elem(units, (unsigned)i);
        const char *id = config_setting_name(g);
        char key[300];
        flyt__rd_path(g, key, sizeof key);
        int u = flyt__rd_unit_index(s, id);
        flyt__rd_mark(g);
        if (u < 0) {
            flyt__rd_error(rd, g, key, "no unit '%s' in units", id);
            flyt__rd_mark_tree(g);
            continue;
        }
        if (!config_setting_is_group(g)) {
            flyt__rd_error(rd, g, key, "expected a group { bed_day_nok = ...; ... }");
            continue;
        }
        struct flyt_unit *x = &s->units[u];
        if (x->kind == FLYT_UNIT_CASELOAD) {
            flyt__rd_num(rd, g, "hour_nok", false, 0.0, MAX_NOK, &x->cost_day);
            flyt__rd_num(rd, g, "place_year_nok", false, 0.0, MAX_NOK, &x->cost_place_year);
            read_new_places(rd, g, key, x);
            refuse(rd, g, "bed_day_nok", "a caseload is priced per client hour: hour_nok");
            refuse(rd, g, "overflow_bed_day_nok", "a caseload has no beds to overflow");
            continue;
        }
        flyt__rd_num(rd, g, "bed_day_nok", false, 0.0, MAX_NOK, &x->cost_day);
        refuse(rd, g, "hour_nok", "only a caseload is priced per hour: bed_day_nok");
        if (x->kind == FLYT_UNIT_BEDS) {
            flyt__rd_num(rd, g, "place_year_nok", false, 0.0, MAX_NOK, &x->cost_place_year);
            read_new_places(rd, g, key, x);
            flyt__rd_num(rd, g, "overflow_bed_day_nok", false, 0.0, MAX_NOK, &x->cost_overflow_day);
        } else {
            refuse(rd, g, "place_year_nok", "an unlimited unit has no places to pay for");
            refuse(rd, g, "new_place_nok", "an unlimited unit has no places to add");
            refuse(rd, g, "base_capacity", "an unlimited unit has no capacity");
            refuse(rd, g, "overflow_bed_day_nok", "an unlimited unit never overflows");
        }
    }
}

/* Roles are named like units, so that --set reaches them:
 * cost.roles.<name>.fte_year_nok (a role whose name is a key). */
static void read_role_costs(struct reader *rd, config_setting_t *c, struct flyt_scenario *s)
{
    config_setting_t *roles = flyt__rd_group(rd, c, "roles", false);
    for (int i = 0; roles && i < config_setting_length(roles); i++) {
        config_setting_t *g = config_setting_get_elem(roles, (unsigned)i);
        const char *name = config_setting_name(g);
        char key[300];
        flyt__rd_path(g, key, sizeof key);
        flyt__rd_mark(g);
        int r = -1;
        for (int k = 0; k < s->n_roles; k++)
            if (strcmp(s->roles[k].name, name) == 0)
                r = k;
        if (r < 0) {
            flyt__rd_error(rd, g, key, "no coordinator role named \"%s\"", name);
            flyt__rd_mark_tree(g);
            continue;
        }
        if (!config_setting_is_group(g)) {
            flyt__rd_error(rd, g, key, "expected a group { fte_year_nok = ...; }");
            continue;
        }
        flyt__rd_num(rd, g, "fte_year_nok", true, 0.0, MAX_NOK, &s->roles[r].cost_fte_year);
    }
}

void flyt__rd_cost(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    s->annuity_years = 20;
    s->discount_rate = 0.04;
    config_setting_t *c = flyt__rd_group(rd, root, "cost", false);
    if (!c)
        return;
    flyt__rd_num(rd, c, "ukp_day_nok", false, 0.0, 1e7, &s->ukp_day_cost);
    flyt__rd_num(rd, c, "annuity_years", false, 1.0, 100.0, &s->annuity_years);
    flyt__rd_num(rd, c, "discount_rate", false, 0.0, 1.0, &s->discount_rate);
    read_pay_years(rd, c, s);
    read_pay_from(rd, c, s);
    read_unit_costs(rd, c, s);
    read_role_costs(rd, c, s);
}
