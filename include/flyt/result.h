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
#define FLYT_KPI_LIST(X)                                                                           \
    X(arrivals, "patients", "admissions from the community in the measured window")                \
    X(ukp_patients, "patients", "UKP patients whose wait ended in the measured window")            \
    X(ukp_wait_mean, "days", "UKP waiting days per UKP patient, mean")                             \
    X(ukp_wait_median, "days", "UKP waiting days per UKP patient, median")                         \
    X(ukp_wait_p90, "days", "UKP waiting days per UKP patient, 90th percentile")                   \
    X(ukp_wait_max, "days", "UKP waiting days per UKP patient, maximum")                           \
    X(ukp_wait_mean_home, "days", "mean UKP wait of patients going home without services")         \
    X(ukp_wait_mean_home_care, "days", "mean UKP wait of patients going home with home care")      \
    X(ukp_wait_mean_short_term, "days", "mean UKP wait of patients going to a short-term bed")     \
    X(ukp_wait_mean_nursing_home, "days", "mean UKP wait of patients going to a nursing home")     \
    X(ukp_wait_mean_complex, "days",                                                               \
      "mean UKP wait of complex-needs patients (special placement)")                               \
    X(ukp_waiting_at_end, "patients", "UKP patients still waiting at the horizon (not in means)")  \
    X(ukp_days_per_year, "days/year", "UKP waiting days accrued per year (hospital bed-days)")     \
    X(ukp_cost_per_year, "NOK/year", "UKP waiting days per year times the daily payment")          \
    X(share_direct_home, "fraction",                                                               \
      "share of UKP patients discharged home (with or without care)")                              \
    X(st_los_mean, "days", "short-term stay incl. blocking, mean (admitted in window, ended)")     \
    X(st_los_median, "days", "short-term stay incl. blocking, median")                             \
    X(st_admissions, "patients", "admissions to short-term beds in the measured window")           \
    X(st_admission_cfs_mean, "CFS", "mean frailty (CFS) of patients admitted to short-term beds")  \
    X(occ_hospital_treatment, "patients", "mean hospital census in treatment (time-average)")      \
    X(occ_ukp, "patients", "mean number of UKP patients waiting in hospital (time-average)")       \
    X(occ_short_term, "beds", "mean occupied short-term beds (time-average)")                      \
    X(util_short_term, "fraction", "mean occupied short-term beds / mean beds open")               \
    X(occ_nursing_home, "beds", "mean occupied nursing-home beds (time-average)")                  \
    X(util_nursing_home, "fraction", "mean occupied nursing-home beds / mean beds open")           \
    X(occ_home_care_users, "patients", "mean number of home-care users (time-average)")            \
    X(home_care_hours, "hours/week", "home-care hours per week delivered (time-average)")          \
    X(util_home_care, "fraction", "home-care hours delivered / hours available")                   \
    X(nh_wait_mean, "days", "nursing-home wait from application to admission, mean (all origins)") \
    X(nh_within_target, "fraction", "share of the waits in nh_wait_mean within target (42 d)")     \
    X(nh_admissions, "patients", "nursing-home admissions in the window, whenever applied")        \
    X(readmission_30d, "fraction", "share of hospital discharges readmitted within 30 days")       \
    X(not_ready_returns, "patients", "sent back to hospital as not really discharge-ready")        \
    X(coord_cases_handled, "cases", "cases finished by coordinators (all roles)")                  \
    X(coord_utilisation, "fraction", "coordinator hours worked / hours scheduled (all roles)")     \
    X(deaths_hospital, "patients", "deaths in hospital in the measured window")                    \
    X(deaths_short_term, "patients", "deaths in short-term beds in the measured window")           \
    X(deaths_nursing_home, "patients", "deaths in nursing homes in the measured window")           \
    X(deaths_home_care, "patients", "deaths at home with home care in the measured window")        \
    X(patients_initial, "patients", "patients placed in units at time 0")                          \
    X(patients_in, "patients", "patients who entered over the whole run (arrivals)")               \
    X(patients_out, "patients", "patients who left over the whole run (home, death, placement)")   \
    X(patients_at_end, "patients", "patients in the system at the horizon")

#define FLYT_KPI_ENUM(name, units, desc) FLYT_KPI_##name,
enum flyt_kpi { FLYT_KPI_LIST(FLYT_KPI_ENUM) FLYT_N_KPI };
#undef FLYT_KPI_ENUM

/* X(name, units, description); one value per day after warm-up, sampled at
 * the start of the day (00:00) unless the description says otherwise. */
#define FLYT_SERIES_LIST(X)                                                                   \
    X(hospital_treatment, "patients", "patients in hospital treatment at 00:00")              \
    X(ukp_waiting, "patients", "UKP patients waiting in hospital at 00:00")                   \
    X(short_term, "beds", "occupied short-term beds at 00:00")                                \
    X(nursing_home, "beds", "occupied nursing-home beds at 00:00")                            \
    X(home_care_users, "patients", "home-care users at 00:00")                                \
    X(home_care_hours, "hours/week", "home-care hours per week in use at 00:00")              \
    X(nh_queue, "patients", "patients waiting for a nursing-home bed (all origins) at 00:00") \
    X(short_term_beds, "beds", "short-term beds open at 00:00 (capacity schedule)")           \
    X(nursing_home_beds, "beds", "nursing-home beds open at 00:00 (capacity schedule)")       \
    X(home_care_capacity, "hours/week", "home-care hours per week available at 00:00")        \
    X(coord_queue, "cases", "cases waiting for a coordinator (all roles) at 00:00")           \
    X(arrivals, "patients/day", "admissions from the community during the day")               \
    X(discharges, "patients/day", "patients leaving hospital alive during the day")

#define FLYT_SERIES_ENUM(name, units, desc) FLYT_SERIES_##name,
enum flyt_series { FLYT_SERIES_LIST(FLYT_SERIES_ENUM) FLYT_N_SERIES };
#undef FLYT_SERIES_ENUM

struct flyt_series_reduce;

struct flyt_field_def {
    const char *name;
    const char *units;
    const char *description;
};

extern const struct flyt_field_def flyt_kpi_defs[FLYT_N_KPI];
extern const struct flyt_field_def flyt_series_defs[FLYT_N_SERIES];

/* Run status of a replication. */
enum flyt_run_status {
    FLYT_RUN_OK = 0,
    FLYT_RUN_RUNAWAY = 1, /* stopped: too many patients in the system */
    FLYT_RUN_NOMEM = 2,
    FLYT_RUN_STOPPED = 3, /* stopped by a signal: incomplete, never a result */
    FLYT_RUN_STUCK = 4    /* stopped: the clock stood still (a handler looped) */
};

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
};

void flyt_result_free(struct flyt_result *r); /* frees the series, not r */

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
    /* The daily series folded across replications as they finished (see
     * flyt/series.h), for the writers; NULL (as flyt_summary_compute
     * leaves it): the results hold every replication's series whole.
     * Borrowed. */
    const struct flyt_series_reduce *series;
};

/* Mean, sd and 95 % t-interval of the finite values among x[0..n-1]. */
struct flyt_stat flyt_stat_of(const double *x, size_t n);

void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res);

#endif
