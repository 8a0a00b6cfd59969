/*
 * Internal to the scenario module: a strict reader over a libconfig tree.
 *
 * Every getter marks the setting it reads as visited (through libconfig's
 * per-setting hook) and records the key's pattern ("units.<id>.capacity",
 * list elements as "[]"). After loading, any setting never visited is an
 * unknown key, and the recorded patterns are the loader's own list of keys,
 * which the documentation is checked against.
 */
#ifndef FLYT_SCENARIO_READER_H
#define FLYT_SCENARIO_READER_H

#include "flyt/scenario.h"

#include <libconfig.h>

#include "scenario/source.h"

#include <stdbool.h>

#define RD_MAX_KEYS 256

struct rd_set {
    config_setting_t *setting;
    int index; /* 1-based position on the command line */
};

struct src_map;

struct reader {
    config_t *cfg;
    const char *main_file;
    const struct src_map *map; /* lines of the prepared text; NULL: none */
    const char *dir;           /* the folder @include and tables are relative to; NULL: "." */
    struct flyt_diag *diag;
    char *keys[RD_MAX_KEYS];
    int n_keys;
    struct rd_set *sets; /* as many as the command line has */
    int n_sets, cap_sets;
    /* integers libconfig wrapped, already reported: no second error on
     * the value they were wrapped to */
    config_setting_t **wrapped;
    int n_wrapped, cap_wrapped;
    /* region (read_region.c): whose names a route resolves, RD_SCOPE_*
     * or a municipality's index; the shared units are units[0, n_shared) */
    int scope;
    int n_shared;
};
#define RD_SCOPE_FILE   (-2) /* a file without municipalities */
#define RD_SCOPE_REGION (-1) /* shared units and the region-wide sections */

/* A value given per frailty group: the caller's targets, one per group. */
struct group_names {
    int n;
    const char *name[FLYT_MAX_GROUPS];
};

void flyt__rd_init(struct reader *rd, config_t *cfg, const char *main_file, struct flyt_diag *diag);
void flyt__rd_free(struct reader *rd);

/* Reports an error at setting s (or its parent, when s is NULL). */
void flyt__rd_error(struct reader *rd, const config_setting_t *s, const char *key, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));
/* A plausibility warning at setting s, located as an error would be. */
void flyt__rd_warn(struct reader *rd, const config_setting_t *s, const char *key, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));
/* The plausibility warnings (plausible.c): values that load but are
 * probably not what the planner meant. The decimal commas need only the
 * tree; the rest run on a scenario that loaded without errors. */
void flyt__rd_check_decimal_commas(struct reader *rd, config_setting_t *root);
void flyt__rd_check_plausible(struct reader *rd, config_setting_t *root,
                              const struct flyt_scenario *s);
/* Where a setting is, "file:line" ("--set:N" for a --set), as errors say it. */
void flyt__rd_where(const struct reader *rd, const config_setting_t *s, char *buf, size_t len);
/* Key path of a setting, "units.short_term" ("" for the root). */
void flyt__rd_path(const config_setting_t *s, char *buf, size_t len);
void flyt__rd_member_path(const config_setting_t *parent, const char *name, char *buf, size_t len);

void flyt__rd_mark(config_setting_t *s);
void flyt__rd_mark_tree(config_setting_t *s);

/* Looks up a member, marks and records it; NULL when absent (an error when
 * required). */
config_setting_t *flyt__rd_get(struct reader *rd, config_setting_t *parent, const char *name,
                               bool required);
/* Same for a group: a non-group value is reported as a type error. */
config_setting_t *flyt__rd_group(struct reader *rd, config_setting_t *parent, const char *name,
                                 bool required);

/* Numbers accept int, int64 and float literals. On absence the default stays
 * in *out. Range checks are lo <= x <= hi. */
bool flyt__rd_num(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  double lo, double hi, double *out);
bool flyt__rd_int(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  long long lo, long long hi, long long *out);
bool flyt__rd_bool(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                   bool *out);
/* *out points into the config tree (copy it). */
bool flyt__rd_str(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                  const char **out);
/* An array of exactly n numbers (n < 0: any length up to cap; *n_out gets it). */
bool flyt__rd_num_array(struct reader *rd, config_setting_t *parent, const char *name,
                        bool required, int n, int cap, double lo, double hi, double *out,
                        int *n_out);

bool flyt__rd_value_number(struct reader *rd, config_setting_t *s, const char *key, double *out);

/* Distributions: { dist = "lognormal"; mean = ...; sd = ...; } */
bool flyt__rd_dist_value(struct reader *rd, config_setting_t *s, const char *key,
                         struct flyt_dist *out);
bool flyt__rd_dist(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                   struct flyt_dist *out);
/* A distribution given once, or per group { fit = {...}; frail = {...}; }:
 * targets[g] for each group. */
bool flyt__rd_group_dist(struct reader *rd, config_setting_t *parent, const char *name,
                         bool required, const struct group_names *g,
                         struct flyt_dist *const *targets);
/* A probability given once or per group; targets[g]. */
bool flyt__rd_group_num(struct reader *rd, config_setting_t *parent, const char *name,
                        bool required, double lo, double hi, const struct group_names *g,
                        double *const *targets);
/* Checks that a per-group setting names each group exactly once; the
 * members in group order. */
bool flyt__rd_per_group_members(struct reader *rd, config_setting_t *s, const char *key,
                                const struct group_names *g, config_setting_t **members);
/* A table of named shares (keys in names[], missing ones 0), given once or
 * per group; targets[g] points at n_names doubles. sum_to_one checks the sum. */
bool flyt__rd_group_table(struct reader *rd, config_setting_t *parent, const char *name,
                          bool required, const char *const *names, int n_names, bool sum_to_one,
                          const struct group_names *g, double *const *targets);

/* A unit id: ASCII, a letter first, then letters, digits or '_'. */
bool flyt__rd_valid_id(const char *v);

/* The care network (read_units.c): the units list, every route table,
 * and the checks that need the whole network. */
struct flyt_routes;
enum flyt__route_mode {
    RD_ROUTE_SHARES, /* probabilities summing to 1 per group */
    RD_ROUTE_SHARES_FIXED /* the same, or one route named as a string */,
    RD_ROUTE_RATES /* rates per year, >= 0 */
};
void flyt__rd_units(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                    const struct group_names *g);
/* A route table under parent.name; the groups sub (indices sub_idx into the
 * scenario's groups, rows for other groups left 0) */
bool flyt__rd_routes(struct reader *rd, config_setting_t *parent, const char *name, bool required,
                     enum flyt__route_mode mode, const struct flyt_scenario *s,
                     const struct group_names *sub, const int *sub_idx, struct flyt_routes *out);
void flyt__rd_routes_free(struct flyt_routes *r);
int flyt__rd_unit_index(const struct flyt_scenario *s, const char *id);
void flyt__rd_check_network(struct reader *rd, config_setting_t *root, struct flyt_scenario *s);
void flyt__rd_units_free(struct flyt_scenario *s);
/* The pieces of flyt__rd_units a region reads list by list: a unit's id,
 * kind and hospital flag (prefix: its municipality's id, or NULL), and the
 * rest once every head is known. */
bool flyt__rd_unit_head(struct reader *rd, config_setting_t *e, struct flyt_scenario *s, int i,
                        const char *prefix);
void flyt__rd_unit_body(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                        struct flyt_unit *u);
/* Unit u's element in the file (a region's in shared_units or its
 * municipality's units; NULL when absent, as with --set), and its key path
 * ("units.<id>.member", "municipalities.<m>.units.<id>.member"; member NULL:
 * the unit). */
config_setting_t *flyt__rd_unit_elem(config_setting_t *root, const struct flyt_scenario *s, int u);
void flyt__rd_unit_key(const struct flyt_scenario *s, int u, const char *member, char *buf,
                       size_t len);
/* A unit named in the current scope: its index, FLYT_ROUTE_SITE for the
 * patient's own hospital site, or -1. */
int flyt__rd_scope_unit(const struct reader *rd, const struct flyt_scenario *s, const char *name);
/* region.c: the region form (docs/region.md), when the file has
 * municipalities; false when it has none (read as before). */
bool flyt__rd_region(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                     const struct group_names *g);
/* The municipalities' population, decision, sites and coordinators, once
 * the region's own sections are read; then who may use what. */
void flyt__rd_region_munis(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                           const struct group_names *g);
void flyt__rd_region_free(struct flyt_scenario *s);
bool flyt__rd_sums_to_one(struct reader *rd, config_setting_t *parent, const char *name,
                          const double *v, int n);

/* population.arrivals_table under pop (read_arrivals.c): the table, or
 * NULL when pop has none or it is in error (reported); the keys it
 * replaces are errors beside it. The setting's value becomes the table's
 * absolute path, so that the resolved text finds it from anywhere. */
struct flyt_arrivals *flyt__rd_arrivals(struct reader *rd, config_setting_t *pop,
                                        const struct flyt_scenario *s);
void flyt__rd_arrivals_free(struct flyt_arrivals *a);
/* The table's mean rate over the run: admissions_per_day where one number
 * is needed (plausibility, who fills a shared unit at time 0). */
double flyt__rd_arrivals_mean(const struct flyt_arrivals *a);
/* A municipality that takes the region's table: the factor keys of its
 * own population would be ignored; each is an error (named_by: the
 * region's key and where it is). */
void flyt__rd_arrivals_alone(struct reader *rd, config_setting_t *pop, const char *named_by);
/* The resolved text with each table's rates appended as comments (the
 * provenance of a run: @include files are in the text, and so are the
 * tables); takes text, returns the new one (text itself when out of memory). */
char *flyt__rd_arrivals_note(const struct flyt_scenario *s, char *text);

/* Calendar helpers (load.c). */
int flyt__rd_days_from_civil(int y, int m, int d);
bool flyt__rd_parse_date(const char *s, int *y, int *m, int *d);

/* Levers (read_levers.c): capacity schedules, demand shocks, coordinator
 * roles and the not-ready return. */
void flyt__rd_capacity_schedule(struct reader *rd, config_setting_t *unit, const char *level_key,
                                double base, double max_level, const struct flyt_scenario *s,
                                struct flyt_capacity *out);
void flyt__rd_shocks(struct reader *rd, config_setting_t *pop, struct flyt_scenario *s);
void flyt__rd_coordinators(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                           const struct group_names *g);
/* The cost section (read_cost.c), after the units and roles it names. */
void flyt__rd_cost(struct reader *rd, config_setting_t *root, struct flyt_scenario *s);
void flyt__rd_check_not_ready(struct reader *rd, config_setting_t *root, struct flyt_scenario *s);
void flyt__rd_levers_free(struct flyt_scenario *s);

/* Parses text the way every flyt file is read (scenarios, sweep and
 * calibration specs): flyt__src_prepare (@include relative to include_dir,
 * limits on every file, BOM, NUL, UTF-8), the keys-per-group check,
 * libconfig, and the integer literals against their digits. rd is
 * initialised on cfg with the file's name; rd->map is set to map. Returns
 * the prepared text (the caller frees it, then flyt__src_map_free(map)),
 * or NULL with every reason in rd->diag. */
char *flyt__rd_parse_text(struct reader *rd, config_t *cfg, struct src_map *map, const char *text,
                          const char *include_dir);
/* Reads the file at path as text (limits, NUL) and gives the folder that
 * its @include lines are relative to (*include_dir, malloc'd or NULL).
 * NULL with the reason in diag. */
char *flyt__rd_read_path(const char *path, struct flyt_diag *diag, char **include_dir);

/* Reports every integer literal in the prepared text that libconfig
 * wrapped to fit its type, at its setting when there is one. */
void flyt__rd_check_int_literals(struct reader *rd, const char *prepared);
/* Forgets a setting about to be freed (a --set replaces it). */
void flyt__rd_forget(struct reader *rd, const config_setting_t *s);

/* Reports every setting never visited as an unknown key. */
void flyt__rd_check_unknown(struct reader *rd, config_setting_t *root);

#endif
