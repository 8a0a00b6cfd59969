/*
 * flyt results: what one replication produced, as plain data, and the
 * tables that name, describe and give units to every figure.
 *
 * A KPI that had nothing to measure in a replication (no complex patient
 * finished waiting, say) is NaN there and left out of the summary's count.
 * Which event decides whether something counts in the measured window, per
 * KPI: docs/kpis.md (counts by the event, waits and stays by their start).
 */
#ifndef FLYT_RESULT_H
#define FLYT_RESULT_H

#include <stddef.h>
#include <stdint.h>

#define FLYT_MAX_ROLES_RESULT 16 /* = FLYT_MAX_ROLES in scenario.h */

/* X(name, units, description) */
#define FLYT_KPI_LIST(X)                                                                          \
    X(arrivals, "patients", "admissions from the community in the measured window")               \
    X(ukp_patients, "patients", "UKP patients whose wait ended in the measured window")           \
    X(ukp_wait_mean, "days", "UKP waiting days per UKP patient, mean")                            \
    X(ukp_wait_median, "days", "UKP waiting days per UKP patient, median")                        \
    X(ukp_wait_p90, "days", "UKP waiting days per UKP patient, 90th percentile")                  \
    X(ukp_wait_max, "days", "UKP waiting days per UKP patient, maximum")                          \
    X(ukp_wait_mean_home, "days", "mean UKP wait of patients going home without services")        \
    X(ukp_wait_mean_complex, "days",                                                              \
      "mean UKP wait of complex-needs patients (special placement)")                              \
    X(ukp_waiting_at_end, "patients", "UKP patients still waiting at the horizon (not in means)") \
    X(ukp_days_per_year, "days/year", "UKP waiting days accrued per year (hospital bed-days)")    \
    X(ukp_cost_per_year, "NOK/year", "UKP waiting days per year times the daily payment")         \
    X(share_direct_home, "fraction",                                                              \
      "share of UKP patients discharged home (without services or to a caseload unit)")           \
    X(occ_hospital_treatment, "patients", "mean hospital census in treatment (time-average)")     \
    X(occ_ukp, "patients", "mean number of UKP patients waiting in hospital (time-average)")      \
    X(readmission_30d, "fraction", "share of hospital discharges readmitted within 30 days")      \
    X(not_ready_returns, "patients", "sent back to hospital as not really discharge-ready")       \
    X(coord_cases_handled, "cases", "cases finished by coordinators (all roles)")                 \
    X(coord_utilisation, "fraction", "coordinator hours worked / hours scheduled (all roles)")    \
    X(deaths, "patients", "deaths in the measured window, every unit")                            \
    X(patients_initial, "patients", "patients placed in units at time 0")                         \
    X(patients_in, "patients", "patients who entered over the whole run (arrivals)")              \
    X(patients_out, "patients", "patients who left over the whole run (home, death, placement)")  \
    X(patients_at_end, "patients", "patients in the system at the horizon")

#define FLYT_KPI_ENUM(name, units, desc) FLYT_KPI_##name,
enum flyt_kpi { FLYT_KPI_LIST(FLYT_KPI_ENUM) FLYT_N_KPI };
#undef FLYT_KPI_ENUM

/* X(name, units, description); one value per day after warm-up, sampled at
 * the start of the day (00:00) unless the description says otherwise. */
#define FLYT_SERIES_LIST(X)                                                         \
    X(hospital_treatment, "patients", "patients in hospital treatment at 00:00")    \
    X(ukp_waiting, "patients", "UKP patients waiting in hospital at 00:00")         \
    X(coord_queue, "cases", "cases waiting for a coordinator (all roles) at 00:00") \
    X(arrivals, "patients/day", "admissions from the community during the day")     \
    X(discharges, "patients/day", "patients leaving hospital alive during the day")

#define FLYT_SERIES_ENUM(name, units, desc) FLYT_SERIES_##name,
enum flyt_series { FLYT_SERIES_LIST(FLYT_SERIES_ENUM) FLYT_N_SERIES };
#undef FLYT_SERIES_ENUM

/* X(name, units, description): the same for every unit; NaN where a
 * figure does not apply to the unit's kind or nothing was measured. */
#define FLYT_UNIT_KPI_LIST(X)                                                                     \
    X(occupancy, "patients",                                                                      \
      "mean census (time-average): patients holding a bed, clients, or in hospital")              \
    X(capacity, "beds or hours/week", "mean capacity open (time-average); NaN when unlimited")    \
    X(utilisation, "fraction", "beds: occupancy / capacity; caseload: hours in use / hours open") \
    X(hours_used, "hours/week", "caseload: hours per week in use (time-average)")                 \
    X(admissions, "patients", "admissions in the measured window")                                \
    X(admission_cfs_mean, "CFS", "mean frailty (CFS) of the patients admitted")                   \
    X(los_mean, "days", "stay incl. blocking, mean (admitted in the window, ended)")              \
    X(los_median, "days", "stay incl. blocking, median")                                          \
    X(wait_mean, "days", "wait from application to admission, mean (applied in the window)")      \
    X(wait_p90, "days", "wait from application to admission, 90th percentile")                    \
    X(wait_mean_hospital, "days", "mean wait of applicants waiting in hospital")                  \
    X(wait_mean_bed, "days", "mean wait of applicants waiting in another unit's bed")             \
    X(wait_mean_home, "days", "mean wait of applicants waiting at home (in a caseload)")          \
    X(wait_within_target, "fraction", "share of those waits within report.wait_target_days")      \
    X(ukp_wait_mean, "days", "mean UKP wait of discharge-ready patients sent here")               \
    X(blocked_days, "days",                                                                       \
      "place-days held by patients waiting for their next place (hospital: UKP days)")            \
    X(deaths, "patients", "deaths in the unit in the measured window")                            \
    X(overflow_bed_days, "bed-days", "bed-days above capacity (corridor beds); the hospital")     \
    X(days_over_capacity, "fraction",                                                             \
      "share of measured days on which the census passed capacity; the hospital")

#define FLYT_UNIT_KPI_ENUM(name, units, desc) FLYT_UNIT_KPI_##name,
enum flyt_unit_kpi { FLYT_UNIT_KPI_LIST(FLYT_UNIT_KPI_ENUM) FLYT_N_UNIT_KPI };
#undef FLYT_UNIT_KPI_ENUM

/* X(name, units, description): per unit and day after warm-up, at 00:00. */
#define FLYT_UNIT_SERIES_LIST(X)                                                       \
    X(census, "patients", "patients holding a place at 00:00 (clients in a caseload)") \
    X(capacity, "beds or hours/week", "capacity open at 00:00")                        \
    X(queue, "patients", "applicants waiting for a place at 00:00")                    \
    X(hours, "hours/week", "caseload: hours per week in use at 00:00")

#define FLYT_UNIT_SERIES_ENUM(name, units, desc) FLYT_USERIES_##name,
enum flyt_unit_series { FLYT_UNIT_SERIES_LIST(FLYT_UNIT_SERIES_ENUM) FLYT_N_UNIT_SERIES };
#undef FLYT_UNIT_SERIES_ENUM

struct flyt_series_reduce;

struct flyt_field_def {
    const char *name;
    const char *units;
    const char *description;
};

extern const struct flyt_field_def flyt_kpi_defs[FLYT_N_KPI];
extern const struct flyt_field_def flyt_series_defs[FLYT_N_SERIES];
extern const struct flyt_field_def flyt_unit_kpi_defs[FLYT_N_UNIT_KPI];
extern const struct flyt_field_def flyt_unit_series_defs[FLYT_N_UNIT_SERIES];

/* Run status of a replication. */
enum flyt_run_status {
    FLYT_RUN_OK = 0,
    FLYT_RUN_RUNAWAY = 1, /* stopped: too many patients in the system */
    FLYT_RUN_NOMEM = 2,
    FLYT_RUN_STOPPED = 3, /* stopped by a signal: incomplete, never a result */
    FLYT_RUN_STUCK = 4,   /* stopped: the clock stood still (a handler looped) */
    FLYT_RUN_GRIDLOCK = 5 /* stopped: patients wait for places that can never free up */
};

/* Whether st is a status that a finished replication or sweep task may
 * hold (a stop by a signal is never kept). */
static inline int flyt_run_status_kept(int st)
{
    return st >= FLYT_RUN_OK && st <= FLYT_RUN_GRIDLOCK && st != FLYT_RUN_STOPPED;
}

/* X(name, units, description): per coordinator role and replication. */
#define FLYT_ROLE_KPI_LIST(X)                                                                     \
    X(cases_offered, "cases", "cases that reached the role in the measured window")               \
    X(cases_handled, "cases", "cases the role finished in the measured window")                   \
    X(cases_withdrawn, "cases", "cases that went the ordinary way before a coordinator was free") \
    X(queue_wait_mean, "days", "mean time from a case opening to work starting on it")            \
    X(work_hours, "hours", "hours worked on cases in the measured window")                        \
    X(utilisation, "fraction", "hours worked / hours scheduled (headcount x shifts)")

#define FLYT_ROLE_KPI_ENUM(name, units, desc) FLYT_ROLE_KPI_##name,
enum flyt_role_kpi { FLYT_ROLE_KPI_LIST(FLYT_ROLE_KPI_ENUM) FLYT_N_ROLE_KPI };
#undef FLYT_ROLE_KPI_ENUM

extern const struct flyt_field_def flyt_role_kpi_defs[FLYT_N_ROLE_KPI];

struct flyt_result {
    unsigned replication;
    int status; /* enum flyt_run_status */
    char status_detail[128];
    double kpi[FLYT_N_KPI];
    size_t n_days;                 /* days after warm-up */
    double *series[FLYT_N_SERIES]; /* each n_days long, owned */
    uint64_t model_events;         /* PF1's definition: arrivals, ready, ends */
    uint64_t engine_events;        /* everything the engine ran */
    double wall_seconds;
    unsigned n_roles;                                        /* as in the scenario */
    double role_kpi[FLYT_MAX_ROLES_RESULT][FLYT_N_ROLE_KPI]; /* NaN where nothing measured */
    unsigned n_units;                                        /* as in the scenario */
    double *unit_kpi;                                        /* [unit][FLYT_N_UNIT_KPI], owned */
    /* [unit][FLYT_N_UNIT_SERIES][n_days], owned; NULL when n_days is 0 */
    double *unit_series;
};

static inline double *flyt_result_unit_kpi(const struct flyt_result *r, unsigned u)
{
    return r->unit_kpi + (size_t)u * FLYT_N_UNIT_KPI;
}

static inline double *flyt_result_unit_series(const struct flyt_result *r, unsigned u, int k)
{
    return r->unit_series + ((size_t)u * FLYT_N_UNIT_SERIES + (size_t)k) * r->n_days;
}

/* frees the series and per-unit figures, not r */
void flyt_result_free(struct flyt_result *r);
/* A deep copy of src's per-unit figures into dst (which has src's shallow
 * fields already); -1 when out of memory. */
int flyt_result_copy_units(struct flyt_result *dst, const struct flyt_result *src);

/* A KPI named by text: a global KPI ("ukp_wait_mean") or a unit's
 * ("units.<id>.los_mean"). Returns a handle >= 0, or -1 when no such KPI;
 * unit ids are looked up in ids[0..n_units-1]. */
int flyt_kpi_lookup(const char *name, const char *const *ids, unsigned n_units);
/* The value of a looked-up KPI in one result; NaN when it has no unit u. */
double flyt_kpi_value(const struct flyt_result *r, int handle);
/* Its units and description. */
const struct flyt_field_def *flyt_kpi_def(int handle);

/* Across replications: mean, sd and 95 % t-interval of each KPI over the
 * replications where it is finite. */
struct flyt_stat {
    double mean, sd, ci_half;
    unsigned n;
};

struct flyt_summary {
    double mean[FLYT_N_KPI];
    double sd[FLYT_N_KPI];
    double ci_half[FLYT_N_KPI];
    unsigned n[FLYT_N_KPI];
    unsigned n_roles;
    struct flyt_stat role[FLYT_MAX_ROLES_RESULT][FLYT_N_ROLE_KPI];
    unsigned n_units;
    struct flyt_stat *unit; /* [unit][FLYT_N_UNIT_KPI], owned: flyt_summary_free */
    /* The daily series folded across replications as they finished (see
     * flyt/series.h), for the writers; NULL (as flyt_summary_compute
     * leaves it): the results hold every replication's series whole.
     * Borrowed. */
    const struct flyt_series_reduce *series;
};

/* Mean, sd and 95 % t-interval of the finite values among x[0..n-1]. */
struct flyt_stat flyt_stat_of(const double *x, size_t n);

/* Fills s (which owns what it allocates: flyt_summary_free). */
void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res);
void flyt_summary_free(struct flyt_summary *s);
static inline const struct flyt_stat *flyt_summary_unit(const struct flyt_summary *s, unsigned u)
{
    return s->unit + (size_t)u * FLYT_N_UNIT_KPI;
}

#endif
