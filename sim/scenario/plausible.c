/* Plausibility warnings: values that load but are probably not what the
 * planner meant (weeks typed as days, 1 meaning 1 %, a decimal comma, a
 * nursing home left empty at the start). They never stop a run: a planner
 * may mean them. docs/scenario-reference.md ("Plausibility warnings")
 * gives every threshold; the tests hold each check on both sides of it. */
#include "scenario/reader.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Growth above this per year doubles demand within four years: a planner
 * who means 1 % and writes 1 gets 100 %. */
#define GROWTH_MAX 0.20
/* A unit whose stays average longer than this and starts empty is still
 * filling long after the warm-up a short-stay unit needs. */
#define LONG_STAY_DAYS 30.0
/* A measured window of a year holds every season and every yearly figure
 * without extrapolation, whatever the stays; a shorter one should at least
 * hold the longest mean stay. */
#define WINDOW_ENOUGH_DAYS 365.0
/* Mean stays beyond this many horizons: practically nobody leaves. */
#define STAY_HORIZONS 10.0

static config_setting_t *unit_member(config_setting_t *root, const struct flyt_scenario *s, int u,
                                     const char *name)
{
    config_setting_t *e = flyt__rd_unit_elem(root, s, u);
    config_setting_t *m = e && name ? config_setting_get_member(e, name) : NULL;
    return m ? m : e ? e : root;
}

/* The longest mean stay in unit u over the groups, in days; 0 when no
 * group has one. A caseload's stay ends at the first of its hazards, so
 * it lasts 1/(sum of the rates) years on average; a group with no rates
 * cannot be routed there (check_network refuses it), so it is skipped. */
static double longest_stay(const struct flyt_scenario *s, int u, int *group)
{
    const struct flyt_unit *x = &s->units[u];
    double longest = 0;
    *group = 0;
    for (int g = 0; g < s->n_groups; g++) {
        double m = 0;
        if (u == s->hospital) {
            m = flyt_dist_mean(&s->groups[g].hosp_los);
        } else if (x->kind == FLYT_UNIT_CASELOAD) {
            double total = 0;
            for (int j = 0; x->hazards.p && j < x->hazards.n; j++)
                total += flyt_routes_row(&x->hazards, g)[j];
            m = total > 0 ? 365.0 / total : 0;
        } else {
            m = flyt_dist_mean(&x->los[g]);
        }
        if (isfinite(m) && m > longest) {
            longest = m;
            *group = g;
        }
    }
    return longest;
}

static const char *stay_key(const struct flyt_scenario *s, int u)
{
    if (u == s->hospital)
        return "los_days"; /* under hospital, not the unit */
    return s->units[u].kind == FLYT_UNIT_CASELOAD ? "rates_per_year" : "los_days";
}

static void check_growth(struct reader *rd, config_setting_t *root, const struct flyt_scenario *s)
{
    config_setting_t *pop = config_setting_get_member(root, "population");
    if (s->n_growth_by_year == 0 && s->growth_per_year > GROWTH_MAX)
        flyt__rd_warn(rd, pop ? config_setting_get_member(pop, "growth_per_year") : root,
                      "population.growth_per_year",
                      "%g is %g %% a year, more than %g %%: the admissions double in %.1f years; "
                      "growth is a fraction (0.01 = 1 %%)",
                      s->growth_per_year, 100 * s->growth_per_year, 100 * GROWTH_MAX,
                      log(2) / log(1 + s->growth_per_year));
    for (size_t y = 1; y < s->n_growth_by_year; y++) {
        double prev = s->growth_by_year[y - 1], next = s->growth_by_year[y];
        if (prev > 0 && next / prev > 1 + GROWTH_MAX) {
            flyt__rd_warn(rd, pop ? config_setting_get_member(pop, "growth_by_year") : root,
                          "population.growth_by_year",
                          "year %zu's factor %g is %.4g %% above year %zu's %g, more than %g %% "
                          "in a year; the factors multiply the rate (1.03 = 3 %% above "
                          "admissions_per_day)",
                          y, next, 100 * (next / prev - 1), y - 1, prev, 100 * GROWTH_MAX);
            return; /* once: one typo shifts every later ratio */
        }
    }
}

/* Units that start empty: with long stays they fill for years, and every
 * figure of the measured window is that of a unit still filling. A warm-up
 * as long as a mean stay is the planner's own remedy. */
static void check_empty_start(struct reader *rd, config_setting_t *root,
                              const struct flyt_scenario *s)
{
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        if (u == s->hospital)
            continue;
        bool empty =
                x->kind == FLYT_UNIT_BEDS ? !(x->initial_occupancy > 0) : x->initial_count <= 0;
        if (!empty || (x->kind != FLYT_UNIT_UNLIMITED && !(x->capacity > 0)))
            continue; /* a unit that opens later starts empty on purpose */
        int g;
        double stay = longest_stay(s, u, &g);
        /* an automatic warm-up is measured to cover the filling */
        if (stay <= LONG_STAY_DAYS || s->warmup_days >= stay || s->warmup_auto)
            continue;
        const char *key = x->kind == FLYT_UNIT_BEDS       ? "initial_occupancy"
                          : x->kind == FLYT_UNIT_CASELOAD ? "initial_clients"
                                                          : "initial_patients";
        char path[FLYT_ID_LEN + 40];
        flyt__rd_unit_key(s, u, key, path, sizeof path);
        flyt__rd_warn(rd, unit_member(root, s, u, key), path,
                      "'%s' starts empty, but its mean stay is %.4g days (group '%s'; over %g) and "
                      "the warm-up only %g days: it fills through the measured window and "
                      "every figure of it is low; give %s (the share or number there at day 0) "
                      "or a warm-up of at least %.4g days",
                      x->id, stay, s->groups[g].name, LONG_STAY_DAYS, s->warmup_days, key,
                      ceil(stay));
    }
}

/* A window shorter than a stay holds few whole stays: weeks typed as days
 * (horizon 52, warm-up 17) measure 35 days of nursing homes whose stays
 * last two years. */
static void check_window(struct reader *rd, config_setting_t *root, const struct flyt_scenario *s)
{
    double window = s->horizon_days - s->warmup_days;
    if (window >= WINDOW_ENOUGH_DAYS)
        return;
    int longest = -1, g_longest = 0;
    double stay = 0;
    for (int u = 0; u < s->n_units; u++) {
        int g;
        double m = longest_stay(s, u, &g);
        if (m > stay) {
            stay = m;
            longest = u;
            g_longest = g;
        }
    }
    if (longest < 0 || window >= stay)
        return;
    config_setting_t *run = config_setting_get_member(root, "run");
    flyt__rd_warn(rd, run ? config_setting_get_member(run, "horizon_days") : root,
                  "run.horizon_days",
                  "the measured window (horizon %g - warm-up %g = %g days) is shorter than the "
                  "mean stay in '%s' (%.4g days, group '%s'): few of its stays begin and end in "
                  "it; horizon and warm-up are in days (52 weeks = 364 days)",
                  s->horizon_days, s->warmup_days, window, s->units[longest].id, stay,
                  s->groups[g_longest].name);
}

static bool routes_to(const struct flyt_routes *r, int n_groups, int u)
{
    for (int j = 0; r->p && j < r->n; j++)
        if (r->to[j] == u)
            for (int g = 0; g < n_groups; g++)
                if (flyt_routes_row(r, g)[j] > 0)
                    return true;
    return false;
}

/* Whether any route table of the scenario sends patients to unit u. */
static bool routed_to(const struct flyt_scenario *s, int u)
{
    if (routes_to(&s->destination, s->n_groups, u))
        return true;
    for (int v = 0; v < s->n_units; v++)
        if (routes_to(&s->units[v].outcome, s->n_groups, u) ||
            routes_to(&s->units[v].hazards, s->n_groups, u))
            return true;
    for (int r = 0; r < s->n_roles; r++)
        if ((s->roles[r].has_destination && routes_to(&s->roles[r].destination, s->n_groups, u)) ||
            (s->roles[r].has_outcome && routes_to(&s->roles[r].outcome, s->n_groups, u)))
            return true;
    return false;
}

/* The lowest level unit u's schedule reaches within the horizon: each
 * dated level, lowered by the largest single yearly cut (overlapping
 * cuts are not added up: a warning errs towards silence). *day is where. */
static double lowest_level(const struct flyt_scenario *s, const struct flyt_unit *x, double *day)
{
    double cut = 0;
    for (size_t i = 0; i < x->schedule.n_recurring; i++)
        if (x->schedule.recurring[i].change < cut)
            cut = x->schedule.recurring[i].change;
    double low = x->capacity + cut;
    *day = 0;
    for (size_t i = 0; i < x->schedule.n_changes; i++) {
        const struct flyt_cap_change *c = &x->schedule.changes[i];
        if (c->day < s->horizon_days && c->level + cut < low) {
            low = c->level + cut;
            *day = c->day;
        }
    }
    return low;
}

/* Patients routed to a unit closed to 0 wait where they are for the whole
 * closure. A unit at 0 from the start that a schedule opens later is a
 * planned opening, not a closure: only a schedule that takes a unit with
 * capacity to 0 counts. */
static void check_zero_schedule(struct reader *rd, config_setting_t *root,
                                const struct flyt_scenario *s)
{
    for (int u = 0; u < s->n_units; u++) {
        const struct flyt_unit *x = &s->units[u];
        if (u == s->hospital || x->kind == FLYT_UNIT_UNLIMITED || !(x->capacity > 0) ||
            (x->schedule.n_changes == 0 && x->schedule.n_recurring == 0))
            continue;
        double day;
        if (lowest_level(s, x, &day) > 0 || !routed_to(s, u))
            continue;
        char path[FLYT_ID_LEN + 40];
        flyt__rd_unit_key(s, u, "schedule", path, sizeof path);
        flyt__rd_warn(rd, unit_member(root, s, u, "schedule"), path,
                      "takes '%s' to capacity 0 (from day %g or in its yearly weeks), but "
                      "patients are routed to it: they wait where they are until it opens "
                      "again; route them elsewhere for the closure if that is not meant",
                      x->id, day);
    }
}

/* Stays many horizons long: nobody leaves the unit within the run, so its
 * figures are those of a store, not a flow (rates per day written as rates
 * per year, a mean stay in hours written as days). */
static void check_nobody_leaves(struct reader *rd, config_setting_t *root,
                                const struct flyt_scenario *s)
{
    for (int u = 0; u < s->n_units; u++) {
        int g;
        double stay = longest_stay(s, u, &g);
        if (!(stay > STAY_HORIZONS * s->horizon_days))
            continue;
        char path[FLYT_ID_LEN + 40];
        config_setting_t *at;
        if (u == s->hospital) {
            snprintf(path, sizeof path, "hospital.los_days");
            config_setting_t *h = config_setting_get_member(root, "hospital");
            at = h ? config_setting_get_member(h, "los_days") : root;
        } else {
            flyt__rd_unit_key(s, u, stay_key(s, u), path, sizeof path);
            at = unit_member(root, s, u, stay_key(s, u));
        }
        flyt__rd_warn(rd, at, path,
                      "the mean stay in '%s' is %.4g days (group '%s'), more than %g times the "
                      "horizon (%g days): almost nobody leaves it during the run%s",
                      s->units[u].id, stay, s->groups[g].name, STAY_HORIZONS, s->horizon_days,
                      s->units[u].kind == FLYT_UNIT_CASELOAD && u != s->hospital
                              ? "; rates_per_year are per year"
                              : "; stays are in days");
    }
}

void flyt__rd_check_plausible(struct reader *rd, config_setting_t *root,
                              const struct flyt_scenario *s)
{
    if (!root || s->n_units <= 0 || s->hospital < 0)
        return;
    check_growth(rd, root, s);
    check_empty_start(rd, root, s);
    check_window(rd, root, s);
    check_zero_schedule(rd, root, s);
    check_nobody_leaves(rd, root, s);
}

/* libconfig reads [0,45, 0,30] as four whole numbers: a decimal comma
 * splits each fraction in two. An array of whole numbers reads like that
 * where one of 0-9 is followed by one of 10-99 (1,15 for a factor of
 * 1.15), or, in shares (which are at most 1), 0 by one of 2-99 (0,5);
 * [0, 1, 0] is a share array of whole numbers as a planner means it. */
static void check_decimal_comma(struct reader *rd, config_setting_t *arr, const char *key,
                                bool shares)
{
    int n = arr && config_setting_is_array(arr) ? config_setting_length(arr) : 0;
    for (int i = 0; i < n; i++)
        if (config_setting_type(config_setting_get_elem(arr, (unsigned)i)) != CONFIG_TYPE_INT &&
            config_setting_type(config_setting_get_elem(arr, (unsigned)i)) != CONFIG_TYPE_INT64)
            return;
    for (int i = 0; i + 1 < n; i++) {
        long long a = config_setting_get_int64_elem(arr, (unsigned)i);
        long long b = config_setting_get_int64_elem(arr, (unsigned)i + 1);
        if ((a >= 0 && a <= 9 && b >= 10 && b <= 99) || (shares && a == 0 && b >= 2 && b <= 99)) {
            flyt__rd_warn(rd, arr, key,
                          "elements %d and %d are the whole numbers %lld and %lld: if %lld,%lld "
                          "was meant as %lld.%lld, write it with a point (a comma separates "
                          "elements)",
                          i + 1, i + 2, a, b, a, b, a, b);
            return;
        }
    }
}

void flyt__rd_check_decimal_commas(struct reader *rd, config_setting_t *root)
{
    static const char *const arrays[] = { "cfs_mix", "age_mix", "month_factor", "weekday_factor",
                                          "growth_by_year" };
    config_setting_t *pop = root ? config_setting_get_member(root, "population") : NULL;
    if (!pop || !config_setting_is_group(pop))
        return;
    for (size_t i = 0; i < sizeof arrays / sizeof arrays[0]; i++) {
        char key[64];
        snprintf(key, sizeof key, "population.%s", arrays[i]);
        check_decimal_comma(rd, config_setting_get_member(pop, arrays[i]), key, i < 2);
    }
}
