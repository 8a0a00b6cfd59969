/* Reads a scenario file into struct flyt_scenario: one function per
 * section of the file, in the order the reference documents them. */
#include "flyt/date.h"
#include "scenario/overrides.h"
#include "scenario/reader.h"
#include "scenario/source.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char *dup_str(const char *s)
{
    if (!s)
        s = "";
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

int flyt__rd_days_from_civil(int y, int m, int d)
{
    return flyt_days_from_civil(y, m, d);
}

bool flyt__rd_parse_date(const char *s, int *y, int *m, int *d)
{
    char tail;
    if (sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3)
        return false;
    static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (*y < 1900 || *y > 2200 || *m < 1 || *m > 12 || *d < 1 || *d > mdays[*m - 1])
        return false;
    bool leap = (*y % 4 == 0 && *y % 100 != 0) || *y % 400 == 0;
    return !(*m == 2 && *d == 29 && !leap);
}

static void read_run(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    config_setting_t *run = flyt__rd_group(rd, root, "run", true);
    const char *date = "2025-01-01";
    if (flyt__rd_str(rd, run, "start_date", false, &date) &&
        !flyt__rd_parse_date(date, &s->start_year, &s->start_month, &s->start_mday)) {
        config_setting_t *ds = config_setting_get_member(run, "start_date");
        flyt__rd_error(rd, ds, "run.start_date", "expected a date \"YYYY-MM-DD\", got \"%s\"",
                       date);
    }
    s->start_weekday =
            flyt_weekday(flyt__rd_days_from_civil(s->start_year, s->start_month, s->start_mday));

    s->horizon_days = 365;
    flyt__rd_num(rd, run, "horizon_days", true, 1.0, 365.0 * 1000, &s->horizon_days);
    config_setting_t *wd = run ? config_setting_get_member(run, "warmup_days") : NULL;
    if (wd && config_setting_type(wd) == CONFIG_TYPE_STRING) {
        flyt__rd_get(rd, run, "warmup_days", false); /* a known key, whatever its value */
        const char *w = config_setting_get_string(wd);
        /* 0 until flyt run's pilot has measured the transient (MSER-5) */
        if (strcmp(w, "auto") == 0)
            s->warmup_auto = true;
        else
            flyt__rd_error(rd, wd, "run.warmup_days",
                           "expected a number of days or \"auto\", got \"%s\"", w);
    } else {
        flyt__rd_num(rd, run, "warmup_days", false, 0.0, INFINITY, &s->warmup_days);
    }
    if (run && s->warmup_days >= s->horizon_days) {
        config_setting_t *w = config_setting_get_member(run, "warmup_days");
        flyt__rd_error(rd, w ? w : run, "run.warmup_days",
                       "must be shorter than run.horizon_days (%g), got %g", s->horizon_days,
                       s->warmup_days);
    }
    long long v = 10;
    flyt__rd_int(rd, run, "replications", false, 1, 1000000, &v);
    s->replications = (unsigned)v;
    v = 20251231;
    flyt__rd_int(rd, run, "seed", false, 0, INT64_MAX, &v);
    s->seed = (uint64_t)v;
    v = 2000000;
    flyt__rd_int(rd, run, "max_patients", false, 1, 1000000000, &v);
    s->max_patients = (uint64_t)v;
}

bool flyt__rd_sums_to_one(struct reader *rd, config_setting_t *parent, const char *name,
                          const double *p, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++)
        sum += p[i];
    if (fabs(sum - 1.0) <= 1e-9)
        return true;
    config_setting_t *s = config_setting_get_member(parent, name);
    char key[300];
    flyt__rd_path(s, key, sizeof key);
    flyt__rd_error(rd, s, key, "shares must sum to 1, they sum to %.12g", sum);
    return false;
}

static void read_age_bands(struct reader *rd, config_setting_t *pop, struct flyt_scenario *s)
{
    s->n_age_bands = 1;
    strcpy(s->age_band[0], "67+");
    s->age_mix[0] = 1.0;
    config_setting_t *bands = flyt__rd_get(rd, pop, "age_bands", false);
    flyt__rd_get(rd, pop, "age_mix", false); /* known even when age_bands is in error */
    if (bands) {
        int n = config_setting_length(bands);
        if (!config_setting_is_array(bands) || n < 1 || n > FLYT_MAX_AGE_BANDS) {
            flyt__rd_error(rd, bands, "population.age_bands",
                           "expected 1 to %d names [\"67-79\", ...]", FLYT_MAX_AGE_BANDS);
            return;
        }
        for (int i = 0; i < n; i++) {
            const char *b = config_setting_get_string_elem(bands, (unsigned)i);
            if (!b) {
                flyt__rd_error(rd, bands, "population.age_bands", "entries must be strings");
                return;
            }
            snprintf(s->age_band[i], FLYT_NAME_LEN, "%s", b);
        }
        s->n_age_bands = n;
    }
    int n_mix = 0;
    if (!bands && pop && config_setting_get_member(pop, "age_mix")) {
        flyt__rd_error(rd, config_setting_get_member(pop, "age_mix"), "population.age_mix",
                       "give age_bands too: age_mix has one share per age band");
        return;
    }
    if (flyt__rd_num_array(rd, pop, "age_mix", bands != NULL, -1, FLYT_MAX_AGE_BANDS, 0, 1,
                           s->age_mix, &n_mix) &&
        bands) {
        if (n_mix != s->n_age_bands)
            flyt__rd_error(rd, config_setting_get_member(pop, "age_mix"), "population.age_mix",
                           "has %d shares but age_bands has %d names", n_mix, s->n_age_bands);
        else
            flyt__rd_sums_to_one(rd, pop, "age_mix", s->age_mix, n_mix);
    }
}

static void read_population(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    config_setting_t *pop = flyt__rd_group(rd, root, "population", true);
    /* a region's municipalities give their own */
    bool region = config_setting_get_member(root, "municipalities") != NULL;
    /* a table gives each day's rate: no base rate, no factors */
    bool table = pop && config_setting_get_member(pop, "arrivals_table");
    s->arrivals = pop ? flyt__rd_arrivals(rd, pop, s) : NULL;
    flyt__rd_num(rd, pop, "admissions_per_day", !region && !table, 0.0, 1e6,
                 &s->admissions_per_day);
    if (s->arrivals)
        s->admissions_per_day = flyt__rd_arrivals_mean(s->arrivals);
    flyt__rd_num(rd, pop, "growth_per_year", false, -0.5, 1.0, &s->growth_per_year);
    double g[200];
    int n_g = 0;
    /* only under population: a root-level one is an unknown key, and
     * without population there is nothing to check it against (fuzzing) */
    config_setting_t *gby = pop ? config_setting_get_member(pop, "growth_by_year") : NULL;
    if (flyt__rd_num_array(rd, pop, "growth_by_year", false, -1, 200, 0.0, 100.0, g, &n_g) && gby) {
        if (config_setting_get_member(pop, "growth_per_year"))
            flyt__rd_error(rd, gby, "population.growth_by_year",
                           "give growth_per_year or growth_by_year, not both");
        s->growth_by_year = malloc(sizeof(double) * (size_t)n_g);
        if (s->growth_by_year) {
            memcpy(s->growth_by_year, g, sizeof(double) * (size_t)n_g);
            s->n_growth_by_year = (size_t)n_g;
        }
    }
    for (int i = 0; i < 12; i++)
        s->month_factor[i] = 1.0;
    for (int i = 0; i < 7; i++)
        s->weekday_factor[i] = 1.0;
    flyt__rd_num_array(rd, pop, "month_factor", false, 12, 12, 0.0, 100.0, s->month_factor, NULL);
    flyt__rd_num_array(rd, pop, "weekday_factor", false, 7, 7, 0.0, 100.0, s->weekday_factor, NULL);
    read_age_bands(rd, pop, s);
    if (flyt__rd_num_array(rd, pop, "cfs_mix", true, 9, 9, 0.0, 1.0, s->cfs_mix, NULL) && pop)
        flyt__rd_sums_to_one(rd, pop, "cfs_mix", s->cfs_mix, 9);
    flyt__rd_num(rd, pop, "complex_share", false, 0.0, 1.0, &s->complex_share);
    flyt__rd_shocks(rd, pop, s);
}

/* Group names are written as keys ({ fit = 0.2; frail = 0.5; }), so they
 * must be names libconfig accepts. */
static bool valid_group_name(const char *name)
{
    size_t n = strlen(name);
    if (n == 0 || n >= FLYT_NAME_LEN || !isalpha((unsigned char)name[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!isalnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '-')
            return false;
    return true;
}

static void read_one_group(struct reader *rd, config_setting_t *e, struct flyt_scenario *s, int i)
{
    struct flyt_group *grp = &s->groups[i];
    const char *name = NULL;
    if (flyt__rd_str(rd, e, "name", true, &name) && name) {
        if (!valid_group_name(name))
            flyt__rd_error(rd, config_setting_get_member(e, "name"), "groups.name",
                           "group names are keys of per-group values: 1 to %d characters, a letter "
                           "first, then letters, digits, '_' or '-'; got \"%s\"",
                           FLYT_NAME_LEN - 1, name);
        snprintf(grp->name, FLYT_NAME_LEN, "%s", name);
    }
    double cfs[2] = { 0, 0 };
    if (flyt__rd_num_array(rd, e, "cfs", true, 2, 2, 1, 9, cfs, NULL)) {
        grp->cfs_lo = (int)cfs[0];
        grp->cfs_hi = (int)cfs[1];
        if (grp->cfs_lo != cfs[0] || grp->cfs_hi != cfs[1] || grp->cfs_lo > grp->cfs_hi)
            flyt__rd_error(rd, config_setting_get_member(e, "cfs"), "groups.cfs",
                           "expected [lowest, highest] whole CFS levels with lowest <= highest");
    }
}

static void read_groups(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    config_setting_t *list = flyt__rd_get(rd, root, "groups", false);
    if (!list) {
        s->n_groups = 1;
        strcpy(s->groups[0].name, "all");
        s->groups[0].cfs_lo = 1;
        s->groups[0].cfs_hi = 9;
    } else {
        int n = config_setting_length(list);
        if (!config_setting_is_list(list) || n < 1 || n > FLYT_MAX_GROUPS) {
            flyt__rd_error(
                    rd, list, "groups",
                    "expected a list ( { name = \"fit\"; cfs = [1, 4]; }, ... ) of 1 to %d groups",
                    FLYT_MAX_GROUPS);
            return;
        }
        s->n_groups = n;
        for (int i = 0; i < n; i++) {
            config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
            flyt__rd_mark(e);
            if (!config_setting_is_group(e)) {
                flyt__rd_error(rd, e, "groups",
                               "each group is { name = \"...\"; cfs = [lo, hi]; }");
                continue;
            }
            read_one_group(rd, e, s, i);
        }
    }
    for (int c = 1; c <= 9; c++) {
        s->group_of_cfs[c] = -1;
        for (int i = 0; i < s->n_groups; i++) {
            if (c < s->groups[i].cfs_lo || c > s->groups[i].cfs_hi)
                continue;
            if (s->group_of_cfs[c] >= 0)
                flyt__rd_error(rd, list, "groups", "CFS %d is in both '%s' and '%s'", c,
                               s->groups[s->group_of_cfs[c]].name, s->groups[i].name);
            s->group_of_cfs[c] = i;
        }
        if (s->group_of_cfs[c] < 0 && list)
            flyt__rd_error(rd, list, "groups",
                           "CFS %d belongs to no group; the groups must cover 1-9", c);
    }
    for (int i = 0; i < s->n_groups; i++)
        for (int j = 0; j < i; j++)
            if (strcmp(s->groups[i].name, s->groups[j].name) == 0)
                flyt__rd_error(rd, list, "groups", "group name '%s' is used twice",
                               s->groups[i].name);
}

/* Per-group targets for a field of struct flyt_group. */
#define GROUP_TARGETS(s, field, out)              \
    for (int gi_ = 0; gi_ < (s)->n_groups; gi_++) \
    (out)[gi_] = &(s)->groups[gi_].field

/* Same for an array field (one table row per group). */
#define GROUP_ROWS(s, field, out)                 \
    for (int gi_ = 0; gi_ < (s)->n_groups; gi_++) \
    (out)[gi_] = (s)->groups[gi_].field

static void read_hospital(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                          const struct group_names *g)
{
    config_setting_t *h = flyt__rd_group(rd, root, "hospital", true);
    struct flyt_dist *dt[FLYT_MAX_GROUPS];
    double *nt[FLYT_MAX_GROUPS];
    GROUP_TARGETS(s, hosp_los, dt);
    flyt__rd_group_dist(rd, h, "los_days", true, g, dt);
    GROUP_TARGETS(s, p_ukp, nt);
    flyt__rd_group_num(rd, h, "ukp_probability", true, 0, 1, g, nt);
    GROUP_TARGETS(s, p_death_hosp, nt);
    flyt__rd_group_num(rd, h, "death_probability", false, 0, 1, g, nt);
    GROUP_TARGETS(s, p_not_ready, nt);
    flyt__rd_group_num(rd, h, "not_ready_probability", false, 0, 1, g, nt);
    s->not_ready_days.kind = FLYT_DIST_FIXED;
    flyt__rd_dist(rd, h, "not_ready_days", false, &s->not_ready_days);
}

/* Optional: without the section nobody is harmed by waiting. Rates per
 * day, capped at 1: a hazard of 1 per day already kills 63 % of patients
 * on their first waiting day, so anything above is a unit mistake (per
 * year, per cent). */
static void read_harm(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                      const struct group_names *g)
{
    config_setting_t *h = flyt__rd_group(rd, root, "harm", false);
    double *nt[FLYT_MAX_GROUPS];
    GROUP_TARGETS(s, death_waiting_per_day, nt);
    flyt__rd_group_num(rd, h, "death_waiting_per_day", false, 0, 1, g, nt);
    GROUP_TARGETS(s, death_blocked_per_day, nt);
    flyt__rd_group_num(rd, h, "death_blocked_per_day", false, 0, 1, g, nt);
    GROUP_TARGETS(s, cfs_gain_per_day, nt);
    flyt__rd_group_num(rd, h, "cfs_gain_per_day", false, 0, 1, g, nt);
}

static void read_decision(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                          const struct group_names *g)
{
    config_setting_t *d = flyt__rd_group(rd, root, "decision", true);
    s->decision_delay.kind = FLYT_DIST_FIXED;
    flyt__rd_dist(rd, d, "delay_days", false, &s->decision_delay);
    flyt__rd_bool(rd, d, "working_days_only", false, &s->working_days_only);
    config_setting_t *old = d ? config_setting_get_member(d, "admissions_on_weekends") : NULL;
    if (old) {
        flyt__rd_mark(old);
        flyt__rd_error(rd, old, "decision.admissions_on_weekends",
                       "moved to each unit as admission_days = \"weekdays\" (or \"all\"); "
                       "convert the file with 'flyt upgrade %s > NEW.cfg'",
                       rd->main_file);
    }
    int idx[FLYT_MAX_GROUPS];
    for (int i = 0; i < g->n; i++)
        idx[i] = i;
    if (flyt__rd_routes(rd, d, "destination", true, RD_ROUTE_SHARES, s, g, idx, &s->destination))
        for (int j = 0; j < s->destination.n; j++)
            if (s->destination.to[j] == FLYT_ROUTE_DEATH ||
                s->destination.to[j] == FLYT_ROUTE_SITE ||
                (s->destination.to[j] >= 0 && s->units[s->destination.to[j]].hospital)) {
                config_setting_t *ds = config_setting_get_member(d, "destination");
                flyt__rd_error(rd, ds, "decision.destination",
                               "a discharge-ready patient leaves the hospital: the destination "
                               "names other units or 'home', not '%s'",
                               s->destination.to[j] == FLYT_ROUTE_DEATH ? "death"
                               : s->destination.to[j] >= 0 ? s->units[s->destination.to[j]].id
                                                           : "hospital");
                break;
            }
    s->complex_wait.kind = FLYT_DIST_FIXED;
    flyt__rd_dist(rd, d, "complex_placement_days", s->complex_share > 0, &s->complex_wait);
}

static void read_report(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    s->readmission_window_days = 30;
    s->wait_target_days = 42;
    config_setting_t *r = flyt__rd_group(rd, root, "report", false);
    flyt__rd_num(rd, r, "readmission_window_days", false, 1.0, 3650.0, &s->readmission_window_days);
    flyt__rd_num(rd, r, "wait_target_days", false, 0.0, 36500.0, &s->wait_target_days);
    config_setting_t *old = r ? config_setting_get_member(r, "nh_target_days") : NULL;
    if (old) {
        flyt__rd_mark(old);
        flyt__rd_error(rd, old, "report.nh_target_days",
                       "renamed report.wait_target_days (it applies to every unit's waits)");
    }
}

static void read_all(struct reader *rd, config_setting_t *root, struct flyt_scenario *s)
{
    const char *name = NULL, *desc = "";
    flyt__rd_str(rd, root, "name", true, &name);
    flyt__rd_str(rd, root, "description", false, &desc);
    s->name = dup_str(name ? name : "unnamed");
    s->description = dup_str(desc);
    read_run(rd, root, s);
    read_population(rd, root, s);
    read_groups(rd, root, s);
    struct group_names g = { .n = s->n_groups };
    for (int i = 0; i < s->n_groups; i++)
        g.name[i] = s->groups[i].name;
    /* An old-form file would give a page of errors that all say one thing:
     * say it once, with the command that converts the file. */
    config_setting_t *units = config_setting_get_member(root, "units");
    if (units && config_setting_is_group(units)) {
        flyt__rd_error(rd, units, "units",
                       "the old form (three named units) is no longer read; convert it with "
                       "'flyt upgrade %s > NEW.cfg'",
                       rd->main_file);
        flyt__rd_mark_tree(root);
        return;
    }
    read_hospital(rd, root, s, &g);
    read_harm(rd, root, s, &g);
    /* the units before the decision and the roles, whose routes name them */
    bool region = flyt__rd_region(rd, root, s, &g);
    if (!region)
        flyt__rd_units(rd, root, s, &g);
    read_decision(rd, root, s, &g);
    if (region)
        flyt__rd_region_munis(rd, root, s, &g);
    else
        flyt__rd_coordinators(rd, root, s, &g);
    flyt__rd_cost(rd, root, s);
    flyt__rd_check_not_ready(rd, root, s);
    read_report(rd, root, s);
    if (rd->diag->n_errors == 0 && !region)
        flyt__rd_check_network(rd, root, s);
    flyt__rd_check_unknown(rd, root);
    /* a decimal comma often comes with an error (an array of twice the
     * length): the warning says why */
    flyt__rd_check_decimal_commas(rd, root);
    if (rd->diag->n_errors == 0)
        flyt__rd_check_plausible(rd, root, s);
}

static char *write_tree(config_t *cfg)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return dup_str("");
    config_write(cfg, f);
    fclose(f);
    return buf;
}

static struct flyt_scenario *load_config(config_t *cfg, const char *text, const char *const *sets,
                                         int n_sets, struct reader *rd)
{
    struct flyt_diag *diag = rd->diag; /* may already hold integer literals that do not fit */
    if (flyt__apply_sets(rd, sets, n_sets) != 0)
        return NULL;
    struct flyt_scenario *s = calloc(1, sizeof *s);
    if (!s) {
        flyt_diag_add(diag, rd->main_file, 0, NULL, "out of memory");
        return NULL;
    }
    read_all(rd, config_root_setting(cfg), s);
    if (diag->n_errors > 0) {
        flyt_scenario_free(s);
        return NULL;
    }
    s->source = dup_str(rd->main_file);
    s->text = dup_str(text);
    s->resolved_text = flyt__rd_arrivals_note(s, write_tree(cfg));
    return s;
}

static void parse_error(config_t *cfg, const char *prepared, struct reader *rd)
{
    const char *file, *text = config_error_text(cfg);
    int line;
    flyt__src_where(rd->map, rd->main_file, config_error_line(cfg), &file, &line);
    char name[128];
    int first, second;
    if (text && strstr(text, "duplicate setting name") &&
        flyt__src_find_duplicate(prepared, name, sizeof name, &first, &second)) {
        /* libconfig 1.5 names neither the key nor where it was first */
        const char *file1;
        int line1;
        flyt__src_where(rd->map, rd->main_file, first, &file1, &line1);
        flyt__src_where(rd->map, rd->main_file, second, &file, &line);
        char where[300];
        if (strcmp(file1, file) == 0)
            snprintf(where, sizeof where, "on line %d", line1);
        else
            snprintf(where, sizeof where, "at %s:%d", file1, line1);
        flyt_diag_add(rd->diag, file, line, NULL,
                      "duplicate key '%s': it is already given in this group %s; keep one of "
                      "them",
                      name, where);
    } else if (text && strstr(text, "mismatched element type")) {
        /* libconfig wants one literal type per array: [1, 0.5] is an error */
        flyt_diag_add(rd->diag, file, line, NULL,
                      "syntax: %s: write every number in an array the same way, e.g. "
                      "[1.0, 0.5, 0.0] rather than [1, 0.5, 0]",
                      text);
    } else {
        flyt_diag_add(rd->diag, file, line, NULL,
                      "syntax: %s (settings are written key = value; with groups { ... }, "
                      "arrays [ ... ] and lists ( ... ); see docs/scenario-reference.md)",
                      text ? text : "parse error");
    }
}

char *flyt__rd_parse_text(struct reader *rd, config_t *cfg, struct src_map *map, const char *text,
                          const char *include_dir)
{
    char *prepared = flyt__src_prepare(text, rd->main_file, include_dir, map, rd->diag);
    if (!prepared)
        return NULL;
    rd->map = map;
    rd->dir = include_dir;
    bool ok = false;
    if (!flyt__src_check_groups(prepared, map, rd->main_file, rd->diag))
        ok = false; /* reported */
    else if (config_read_string(cfg, prepared) == CONFIG_TRUE)
        ok = true;
    else
        parse_error(cfg, prepared, rd);
    if (ok)
        flyt__rd_check_int_literals(rd, prepared);
    if (!ok) {
        free(prepared);
        return NULL;
    }
    return prepared;
}

char *flyt__rd_read_path(const char *path, struct flyt_diag *diag, char **include_dir)
{
    char why[256];
    int nul_line;
    *include_dir = NULL;
    char *text = flyt__src_read_file(path, why, sizeof why, &nul_line);
    if (!text) {
        if (nul_line)
            flyt_diag_add(diag, path, nul_line, NULL,
                          "a NUL byte on this line: this is not a text file; flyt reads UTF-8 "
                          "text");
        else
            flyt_diag_add(diag, path, 0, NULL, "%s", why);
        return NULL;
    }
    /* @include resolves against the working directory unless told
     * otherwise; planners expect it relative to the including file. */
    char *dir = dup_str(path);
    char *slash = dir ? strrchr(dir, '/') : NULL;
    if (slash) {
        *slash = '\0';
        *include_dir = dir;
    } else {
        free(dir);
    }
    return text;
}

struct flyt_scenario *flyt_scenario_load_string(const char *text, const char *name,
                                                const char *include_dir, const char *const *sets,
                                                int n_sets, struct flyt_diag *diag)
{
    struct src_map map = { 0 };
    config_t cfg;
    config_init(&cfg);
    struct flyt_scenario *s = NULL;
    struct reader rd;
    flyt__rd_init(&rd, &cfg, name, diag);
    char *prepared = flyt__rd_parse_text(&rd, &cfg, &map, text, include_dir);
    if (prepared)
        s = load_config(&cfg, text, sets, n_sets, &rd);
    flyt__rd_free(&rd);
    config_destroy(&cfg);
    free(prepared);
    flyt__src_map_free(&map);
    return s;
}

struct flyt_scenario *flyt_scenario_load(const char *path, const char *const *sets, int n_sets,
                                         struct flyt_diag *diag)
{
    if (!path)
        return flyt_scenario_load_string(flyt_default_scenario, "<embedded>", NULL, sets, n_sets,
                                         diag);
    char *dir;
    char *text = flyt__rd_read_path(path, diag, &dir);
    if (!text)
        return NULL;
    struct flyt_scenario *s = flyt_scenario_load_string(text, path, dir, sets, n_sets, diag);
    free(dir);
    free(text);
    return s;
}

int flyt_scenario_kpi_lookup(const struct flyt_scenario *s, const char *name)
{
    const char **ids = malloc(sizeof *ids * (size_t)(s->n_units + s->n_munis + 1));
    if (!ids)
        return -1;
    for (int u = 0; u < s->n_units; u++)
        ids[u] = s->units[u].id;
    for (int i = 0; i < s->n_munis; i++)
        ids[s->n_units + i] = s->munis[i].id;
    int h = flyt_kpi_lookup_region(name, ids, (unsigned)s->n_units, ids + s->n_units,
                                   (unsigned)s->n_munis);
    free(ids);
    return h;
}

bool flyt_scenario_where(const char *path, const char *key, char *buf, size_t len)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    char *dir = NULL;
    char *text = path ? flyt__rd_read_path(path, &diag, &dir) : NULL;
    bool found = false;
    if (text) {
        struct src_map map = { 0 };
        config_t cfg;
        config_init(&cfg);
        struct reader rd;
        flyt__rd_init(&rd, &cfg, path, &diag);
        char *prepared = flyt__rd_parse_text(&rd, &cfg, &map, text, dir);
        config_setting_t *st = prepared ? config_lookup(&cfg, key) : NULL;
        if (st) {
            const char *file;
            int line;
            flyt__src_where(&map, path, (int)config_setting_source_line(st), &file, &line);
            snprintf(buf, len, "%s:%d", file, line);
            found = true;
        }
        flyt__rd_free(&rd);
        config_destroy(&cfg);
        free(prepared);
        flyt__src_map_free(&map);
    }
    free(dir);
    free(text);
    flyt_diag_free(&diag);
    return found;
}

void flyt_scenario_free(struct flyt_scenario *s)
{
    if (!s)
        return;
    for (int i = 0; i < FLYT_MAX_GROUPS; i++) {
        flyt_dist_clear(&s->groups[i].hosp_los);
    }
    flyt__rd_units_free(s);
    flyt_dist_clear(&s->decision_delay);
    flyt_dist_clear(&s->complex_wait);
    flyt_dist_clear(&s->not_ready_days);
    flyt__rd_levers_free(s);
    free(s->growth_by_year);
    flyt__rd_arrivals_free(s->arrivals);
    free(s->name);
    free(s->description);
    free(s->source);
    free(s->text);
    free(s->resolved_text);
    free(s);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Keys inside optional lists are only seen when a list has an element, so
 * the key list also reads this scenario, which has one of each form. */
static const char key_exemplar[] =
        "name = \"keys\";\n"
        "run: { horizon_days = 10; };\n"
        "population: { admissions_per_day = 1.0; cfs_mix = [1, 0, 0, 0, 0, 0, 0, 0, 0];\n"
        "  shocks = ( { from = 1; to = 2; factor = 1.5; } ); };\n"
        "hospital: { los_days = 1.0; ukp_probability = 1.0; };\n"
        "harm: { death_waiting_per_day = 0.0; death_blocked_per_day = 0.0;\n"
        "  cfs_gain_per_day = 0.0; };\n"
        "decision: { destination = { b = 1.0; }; };\n"
        "units = (\n"
        "  { id = \"h\"; name = \"H\"; kind = \"beds\"; hospital = true; capacity = 10;\n"
        "    schedule = ( { from = 1; capacity = 2; }, { weeks = [1, 2]; change = -1; } ); },\n"
        "  { id = \"b\"; kind = \"beds\"; capacity = 1; los_days = 1.0; outcome = { home = 1.0; "
        "};\n"
        "    initial_occupancy = 0.5; queue = \"priority\"; priority = [\"h\"];\n"
        "    admission_days = \"all\"; admission_hours = [8.0, 15.0]; not_ready_returns = false;\n"
        "    schedule = ( { from = 1; capacity = 2; }, { weeks = [1, 2]; change = -1; } ); },\n"
        "  { id = \"u\"; kind = \"unlimited\"; los_days = 1.0; outcome = \"home\";\n"
        "    initial_patients = 1; },\n"
        "  { id = \"c\"; kind = \"caseload\"; capacity = 1.0; hours_per_client = 1.0;\n"
        "    initial_clients = 1; rates_per_year = { home = 1.0; }; queue = \"first_fit\"; }\n"
        ");\n"
        "coordinators = ( { name = \"c\"; headcount = 1; workdays = [\"mon\"]; hours = [8, 9];\n"
        "  holidays = [\"2025-01-06\"]; cases = \"ukp\"; groups = [\"all\"]; work_hours = 1.0;\n"
        "  when_busy = \"wait\"; effects = { decision_delay_days = 0.0;\n"
        "  destination = { home = 1.0; }; los_factor = 1.0; los_unit = \"b\";\n"
        "  not_ready_probability = 0.0; }; },\n"
        "  { name = \"d\"; headcount = 1; cases = \"b\"; work_hours = 1.0; lead_days = 2.0;\n"
        "  effects = { outcome = { home = 1.0; }; los_factor = 1.0; }; } );\n"
        "cost = { ukp_day_nok = 1.0; ukp_day_nok_by_year = ( { year = 2025; nok = 1.0; } );\n"
        "  payment_from = \"ready_day\"; roles = { c = { fte_year_nok = 1.0; }; };\n"
        "  units = { b = { bed_day_nok = 1.0; place_year_nok = 1.0; overflow_bed_day_nok = 1.0; "
        "};\n"
        "    c = { hour_nok = 1.0; }; }; };\n";

static void collect_keys(struct reader *rd, config_t *cfg, const char *text)
{
    if (config_read_string(cfg, text) != CONFIG_TRUE)
        return;
    struct flyt_scenario *s = calloc(1, sizeof *s);
    if (s) {
        read_all(rd, config_root_setting(cfg), s);
        flyt_scenario_free(s);
    }
}

void flyt_scenario_print_keys(FILE *out)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct reader rd;
    config_t cfg, ex;
    config_init(&cfg);
    config_init(&ex);
    flyt__rd_init(&rd, &cfg, "<embedded>", &diag);
    collect_keys(&rd, &cfg, flyt_default_scenario);
    rd.cfg = &ex;
    collect_keys(&rd, &ex, key_exemplar);
    qsort(rd.keys, (size_t)rd.n_keys, sizeof rd.keys[0], cmp_str);
    for (int i = 0; i < rd.n_keys; i++)
        fprintf(out, "%s\n", rd.keys[i]);
    flyt__rd_free(&rd);
    flyt_diag_free(&diag);
    config_destroy(&cfg);
    config_destroy(&ex);
}
