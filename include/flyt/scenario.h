/*
 * flyt scenario: one planner's scenario as plain, immutable data.
 *
 * flyt_scenario_load parses a libconfig file, applies --set overrides and
 * validates everything; the model only ever sees the result. The loader never
 * draws a random number and the model never reads a file.
 *
 * Every per-patient parameter is stored per frailty group: a value given once
 * in the file is copied into every group.
 */
#ifndef FLYT_SCENARIO_H
#define FLYT_SCENARIO_H

#include "flyt/dist.h"
#include "flyt/result.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define FLYT_MAX_GROUPS    9
#define FLYT_MAX_AGE_BANDS 8
#define FLYT_NAME_LEN      48
#define FLYT_MAX_ROLES     FLYT_MAX_ROLES_RESULT

struct flyt_group {
    char name[FLYT_NAME_LEN];
    int cfs_lo, cfs_hi;

    struct flyt_dist hosp_los;
    double p_ukp;        /* needs changed at discharge-ready */
    double p_death_hosp; /* dies at the end of treatment */

    /* Discharged from hospital to a unit with not_ready_returns but not
     * really ready: returns to hospital after not_ready_days. */
    double p_not_ready;

    /* Harm of waiting (section harm; all 0 by default, and then no random
     * number is drawn for them): death hazards per day while discharge-ready
     * in hospital and while blocked in a unit with stays, and the rate per
     * waiting day at which the frailty level (CFS) rises by one. */
    double death_waiting_per_day;
    double death_blocked_per_day;
    double cfs_gain_per_day;
};

/* Where a route leads: a unit (index into flyt_scenario.units, >= 0) or
 * one of the exits. */
#define FLYT_ROUTE_HOME  (-1) /* home without (new) municipal services: leaves */
#define FLYT_ROUTE_DEATH (-2)
/* In a region only: the patient's own hospital site ("hospital" where no
 * unit has that id), and a municipal unit of the patient's home
 * municipality named by its local id: FLYT_ROUTE_LOCAL0 - slot, the slot
 * an index into flyt_scenario.local_ids (flyt_route_resolve). */
#define FLYT_ROUTE_SITE   (-4)
#define FLYT_ROUTE_LOCAL0 (-16)

/* The kinds of unit, a table of behaviours in the model (sim/model/kinds.c):
 * beds hold a patient from admission until they leave, blocked or not;
 * a caseload has staff hours per week and each client needs some; an
 * unlimited unit never has a queue. */
enum flyt_unit_kind { FLYT_UNIT_BEDS, FLYT_UNIT_CASELOAD, FLYT_UNIT_UNLIMITED, FLYT_N_UNIT_KINDS };

/* How a unit picks the next applicant. */
enum flyt_queue_kind {
    FLYT_QUEUE_FIFO,           /* longest waiting first */
    FLYT_QUEUE_PRIORITY,       /* by where the applicant waits, then FIFO */
    FLYT_QUEUE_GROUP_PRIORITY, /* by frailty group, then FIFO */
    FLYT_QUEUE_FIRST_FIT       /* caseload: the longest-waiting request that fits */
};

/* Routes out of a place, per frailty group: probabilities (drawn in the
 * order of to[]) or rates per year (competing hazards). p[g * n + j] is
 * group g's share or rate of route j. fixed: one route written as a
 * string, taken without a draw. */
struct flyt_routes {
    int n;
    int *to;
    double *p;
    bool fixed;
};

static inline const double *flyt_routes_row(const struct flyt_routes *r, int group)
{
    return r->p + (size_t)group * (size_t)r->n;
}

/* Capacity of one unit over time: the level from a day on (dated changes,
 * sorted by day) plus recurring yearly changes by ISO week. Beds for the
 * bed units, hours per week for a caseload. */
struct flyt_cap_change {
    double day; /* simulated day (00:00) from which the level holds */
    double level;
};
struct flyt_cap_recurring {
    int week_from, week_to; /* ISO weeks, inclusive; from > to wraps the new year */
    double change;          /* added to the level in those weeks */
};
struct flyt_capacity {
    size_t n_changes;
    struct flyt_cap_change *changes;
    size_t n_recurring;
    struct flyt_cap_recurring *recurring;
};

#define FLYT_ID_LEN 48

/* How the users of a shared beds unit hold its beds (docs/region.md). */
enum flyt_sharing { FLYT_SHARE_POOLED, FLYT_SHARE_QUOTA };
#define FLYT_MAX_UNITS 4096

/* One unit of the care network, as the scenario declares it. */
struct flyt_unit {
    char id[FLYT_ID_LEN]; /* ASCII: keys, HDF5 paths, --set */
    char *name;           /* free UTF-8 text for tables and reports */
    enum flyt_unit_kind kind;
    bool hospital;   /* emergency admissions are treated here */
    double capacity; /* beds or hours per week; unused when unlimited */
    struct flyt_capacity schedule;
    double initial_occupancy;                /* beds: share of capacity at time 0 */
    long initial_count;                      /* caseload clients, unlimited patients */
    struct flyt_dist los[FLYT_MAX_GROUPS];   /* stay (beds, unlimited) */
    struct flyt_routes outcome;              /* where a stay leads */
    struct flyt_dist hours[FLYT_MAX_GROUPS]; /* caseload: hours per week per client */
    struct flyt_routes hazards;              /* caseload: rates per year */
    enum flyt_queue_kind queue;
    int n_classes;     /* queue classes: 1 unless by priority */
    int *origin_class; /* by the unit where the applicant waits (n_units) */
    int group_class[FLYT_MAX_GROUPS];
    bool weekdays_only; /* admits Monday-Friday only */
    bool has_hours;     /* admits only between adm_from and adm_to o'clock */
    double adm_from, adm_to;
    bool not_ready_returns;

    /* costs (section cost.units.<id>; all 0 by default): NOK per occupied
     * bed-day, or per client hour of a caseload; per place of capacity (a
     * bed, or an hour a week of a caseload) a year, used or not; beds: per
     * bed-day over capacity */
    double cost_day, cost_place_year, cost_overflow_day;
    /* one-off NOK per place added above base_capacity, paid as an annuity
     * (cost.annuity_years, cost.discount_rate); 0: none */
    double cost_new_place, base_capacity;

    /* region: the municipality the unit belongs to, -1 when shared; a
     * shared unit's users (NULL: every municipality) and, for beds, how
     * they hold them: quota[muni] beds each (NULL when pooled), lend:
     * another's free quota beds may be used */
    int muni;
    bool *users;
    enum flyt_sharing sharing;
    int *quota;
    bool lend;
};

/* A dated change in the arrival rate (an influenza winter). */
struct flyt_shock {
    double from_day, to_day; /* [from, to) in simulated days */
    double factor;
};

/* population.arrivals_table (docs/scenario-reference.md, "Arrivals"): the
 * admissions of each simulated day, read from a dated table. It replaces
 * admissions_per_day x month_factor x weekday_factor x growth; shocks
 * still multiply it. */
struct flyt_arrivals {
    char *path;    /* the table as opened, made absolute */
    size_t n_days; /* ceil(run.horizon_days): day 0 is run.start_date */
    double *rate;  /* admissions per day, rate[d] for day d */
};

/* A region (docs/region.md): the municipalities around one hospital trust.
 * A file without municipalities has n_munis 0 and is a region of one,
 * whose population and decision are the scenario's own fields. */
#define FLYT_MAX_MUNIS 512
#define FLYT_MAX_SITES 64

/* What a municipality may set for itself; the region's values where it
 * does not. Arrays are the municipality's own (growth_by_year owned). */
struct flyt_muni_population {
    double admissions_per_day; /* with a table: its mean over the run */
    double growth_per_year;
    size_t n_growth_by_year;
    double *growth_by_year; /* owned when the municipality's (own_growth) */
    bool own_growth;
    struct flyt_arrivals *arrivals; /* NULL: the factors; owned when own_arrivals */
    bool own_arrivals;
    double month_factor[12];
    double weekday_factor[7];
    double age_mix[FLYT_MAX_AGE_BANDS];
    double cfs_mix[9];
    double complex_share;
};

/* The decision process: the region's settings, or the municipality's own
 * where it gives them (own_*). */
struct flyt_muni_decision {
    const struct flyt_dist *delay;
    bool working_days_only;
    const struct flyt_routes *destination;
    const struct flyt_dist *complex_wait;
    struct flyt_dist own_delay, own_complex;
    struct flyt_routes own_destination;
};

struct flyt_muni {
    char id[FLYT_ID_LEN];
    char *name;
    uint64_t stream_key; /* from the id: keys the municipality's streams */
    struct flyt_muni_population pop;
    struct flyt_muni_decision dec;
    /* hospital sites: units (hospital = true) and the share of admissions
     * to each; one site is taken without a draw */
    int n_sites;
    int site_unit[FLYT_MAX_SITES];
    double site_p[FLYT_MAX_SITES];
    int unit_lo, unit_hi; /* its own units: [unit_lo, unit_hi) of the table */
};

/* Which patients a coordinator role takes. */
enum flyt_case_kind {
    FLYT_CASE_UKP, /* discharge-ready in hospital, before the decision */
    FLYT_CASE_STAY /* admitted to a bed of case_unit, before the stay ends */
};

/* What happens to a case no coordinator can take at once. */
enum flyt_when_busy {
    FLYT_BUSY_ORDINARY, /* queues, but the ordinary process runs on: first one wins */
    FLYT_BUSY_WAIT      /* the patient waits for the coordinator */
};

/* A coordinator role: people with a schedule who take cases; each effect
 * applies only to patients whose case a coordinator finished. */
struct flyt_role {
    char name[FLYT_NAME_LEN];
    int headcount;
    bool workday[7];             /* Monday first */
    double shift_from, shift_to; /* hours of the day, 0 <= from < to <= 24 */
    size_t n_holidays;
    int *holidays; /* simulated days off, sorted */
    enum flyt_case_kind cases;
    int case_unit; /* FLYT_CASE_STAY: the unit whose stays the role takes */
    bool takes_group[FLYT_MAX_GROUPS];
    struct flyt_dist work_hours; /* working hours per case */
    enum flyt_when_busy when_busy;
    double lead_days; /* short-term: the case opens this long before the
                         stay's planned end; < 0: at admission */

    bool has_decision_delay; /* UKP: delay from case done to decision */
    struct flyt_dist decision_delay;
    bool has_destination; /* UKP: replaces decision.destination */
    struct flyt_routes destination;
    bool has_outcome; /* stay: replaces the stay's outcome */
    struct flyt_routes outcome;
    double los_factor;  /* multiplies a stay: the case's, or (ukp) the next one in los_unit */
    int los_unit;       /* the unit whose stays los_factor scales; -1 none */
    bool has_not_ready; /* UKP: replaces hospital.not_ready_probability */
    double p_not_ready[FLYT_MAX_GROUPS];

    double cost_fte_year; /* NOK per head a year (cost.roles); 0 by default */
    int muni;             /* region: the municipality whose patients it takes; -1 any */
};

/* The payment for discharge-ready patients (docs/costs.md): a rate per
 * waiting day by calendar year; a year outside the table takes the
 * nearest year's rate, and without a table every day costs ukp_day_cost. */
#define FLYT_MAX_PAY_YEARS 64
enum flyt_pay_from {
    FLYT_PAY_FROM_READY_DAY, /* from and including the day of the notice (HOD 2011) */
    FLYT_PAY_FROM_DAY_AFTER  /* a local variant: from the day after */
};

struct flyt_scenario {
    char *name;
    char *description;
    char *source;        /* file name as given, or "<embedded>" */
    char *text;          /* the main file's raw bytes */
    char *resolved_text; /* the tree after @include and --set, as libconfig writes it */

    /* run */
    int start_year, start_month, start_mday;
    int start_weekday; /* 0 = Monday */
    double horizon_days;
    double warmup_days;
    /* run.warmup_days = "auto": warmup_days is 0 as loaded, and flyt run
     * chooses it by MSER-5 from a pilot run (flyt/mser.h) */
    bool warmup_auto;
    unsigned replications;
    uint64_t seed;
    uint64_t max_patients; /* runaway guard: patients in the system at once */
    /* Not a file key: set by a caller that wants the KPIs only (sweeps
     * without --series, calibration, the memory benchmark). A replication
     * then keeps no daily series: its result has n_days 0 and every
     * series NULL; every KPI is the same as with the series. */
    bool series_off;
    /* Not a file key either: a replication stops (status
     * FLYT_RUN_RUNAWAY) after about this many events; 0, as every file
     * loads, is no limit. Set by the fuzz targets, whose inputs may ask
     * for runs of any length. */
    uint64_t max_events;
    /* Not a file key: a region whose catchments share nothing still runs
     * them on one calendar, interleaved, instead of one after another.
     * Every figure is the same either way; set by the tests that check
     * that, and by flyt bench to time both. */
    bool one_calendar;

    double ukp_day_cost;
    int n_pay_years;
    int pay_year[FLYT_MAX_PAY_YEARS]; /* ascending */
    double pay_rate[FLYT_MAX_PAY_YEARS];
    enum flyt_pay_from pay_from;
    double annuity_years, discount_rate; /* for one-off costs: 20 years at 4 % */

    /* population */
    double admissions_per_day;      /* with arrivals: the table's mean over the run */
    struct flyt_arrivals *arrivals; /* population.arrivals_table; NULL: the factors */
    double growth_per_year;
    size_t n_growth_by_year; /* when > 0, growth_by_year replaces growth_per_year */
    double *growth_by_year;  /* factor for simulated year 0, 1, ... */
    double month_factor[12];
    double weekday_factor[7]; /* Monday first */
    int n_age_bands;
    char age_band[FLYT_MAX_AGE_BANDS][FLYT_NAME_LEN];
    double age_mix[FLYT_MAX_AGE_BANDS];
    double cfs_mix[9];
    double complex_share;

    int n_groups;
    struct flyt_group groups[FLYT_MAX_GROUPS];
    int group_of_cfs[10]; /* index 1..9 */

    /* decision */
    struct flyt_dist decision_delay;
    bool working_days_only;
    struct flyt_routes destination;
    struct flyt_dist complex_wait;
    struct flyt_dist not_ready_days; /* discharge to the return to hospital */

    /* the care network */
    int n_units;
    struct flyt_unit *units;
    int hospital; /* index of the hospital unit */

    size_t n_shocks;
    struct flyt_shock *shocks;

    int n_roles;
    struct flyt_role roles[FLYT_MAX_ROLES];

    /* region (docs/region.md): n_munis 0 for a file without municipalities */
    int n_munis;
    struct flyt_muni *munis;
    /* the municipal unit ids that shared routes name, and per municipality
     * its unit of each: local_unit[muni * n_local + slot] (-1 none) */
    int n_local;
    char (*local_ids)[FLYT_ID_LEN];
    int *local_unit;

    /* reporting */
    double readmission_window_days;
    double wait_target_days;
};

/* A route target as the model follows it: a unit index, or an exit;
 * region routes that name the patient's own site or municipal unit are
 * resolved for home municipality muni and hospital site site. */
static inline int flyt_route_resolve(const struct flyt_scenario *s, int to, int muni, int site)
{
    if (to > FLYT_ROUTE_LOCAL0)
        return to == FLYT_ROUTE_SITE ? site : to;
    return s->local_unit[(size_t)muni * (size_t)s->n_local + (size_t)(FLYT_ROUTE_LOCAL0 - to)];
}

/* Messages kept in a diag; later errors are counted only (a runaway file
 * can have a million, and each costs a search of its list to name). */
#define FLYT_DIAG_MAX_SHOWN 200

/* Errors from loading, each "file:line: error: key.path: message", and
 * plausibility warnings, each "file:line: warning: key.path: message": a
 * scenario with warnings loads, and the caller decides whether to print
 * them (every command that loads a scenario does, on stderr, once). */
struct flyt_diag {
    int n_errors;
    char *text; /* all messages, one per line; owned */
    size_t len, cap;
    int n_warnings;
    char *warnings; /* all warnings, one per line; owned */
    size_t wlen, wcap;
};

void flyt_diag_init(struct flyt_diag *d);
void flyt_diag_free(struct flyt_diag *d);
void flyt_diag_add(struct flyt_diag *d, const char *file, int line, const char *key,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void flyt_diag_warn(struct flyt_diag *d, const char *file, int line, const char *key,
                    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* For a caller that passes a scenario's messages on under its own file (a
 * spec naming the scenario): calls fn for each non-empty line of text
 * (NULL: none; lines cut at 2047 bytes), with the line taken apart:
 * "<where>:<line>: error: <what>" gives where, line (0 when where ends in
 * no number) and what; a line that is no error has error false, where ""
 * and what the whole line. */
struct flyt_diag_line {
    bool error;
    char where[512];
    int line;
    const char *what; /* points into the line */
};
typedef void (*flyt_diag_relay_fn)(struct flyt_diag *d, const char *line,
                                   const struct flyt_diag_line *l, const void *ctx);
void flyt_diag_relay(struct flyt_diag *d, const char *text, flyt_diag_relay_fn fn, const void *ctx);

/* Loads and validates a scenario file; path NULL loads the embedded default.
 * sets: n_sets strings "key.path=value" applied before validation.
 * Returns the scenario, or NULL with the reasons in diag. */
struct flyt_scenario *flyt_scenario_load(const char *path, const char *const *sets, int n_sets,
                                         struct flyt_diag *diag);

/* Same, from text in memory; name is used in messages; include_dir may be NULL. */
struct flyt_scenario *flyt_scenario_load_string(const char *text, const char *name,
                                                const char *include_dir, const char *const *sets,
                                                int n_sets, struct flyt_diag *diag);

void flyt_scenario_free(struct flyt_scenario *s);

/* Where the file at path (its @include files too) sets key ("run.seed"):
 * "file:line" in buf and true, or false when it does not set it (the value
 * is the default) or cannot be read. For messages that name a setting of a
 * scenario already loaded: the file is read again. */
bool flyt_scenario_where(const char *path, const char *key, char *buf, size_t len);

/* A KPI by name in s: a key figure, units.<id>.<kpi> or
 * municipalities.<id>.<kpi>; a handle for flyt_kpi_value, or -1. */
int flyt_scenario_kpi_lookup(const struct flyt_scenario *s, const char *name);

/* The embedded default scenario (Trondheim baseline) as text. */
extern const char flyt_default_scenario[];

/* Prints every key path the loader knows, one per line, sorted. */
void flyt_scenario_print_keys(FILE *out);

/* The libconfig version flyt was built with ("1.5.0"), for provenance:
 * only the scenario module sees <libconfig.h>. */
const char *flyt_scenario_libconfig_version(void);

#endif
