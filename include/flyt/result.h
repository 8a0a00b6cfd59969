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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLYT_MAX_ROLES_RESULT 64 /* = FLYT_MAX_ROLES in scenario.h */

/* Where a KPI's values can lie, so that its interval stays there too
 * (flyt_ci_in): a mean wait of 0.14 days with an interval down to -0.03 is
 * not a figure anyone can use. */
enum flyt_range {
    FLYT_RANGE_REAL,   /* no bound: differences */
    FLYT_RANGE_NONNEG, /* [0, inf): counts, waits, stays, costs, censuses */
    FLYT_RANGE_SHARE,  /* [0, 1]: a part of a whole */
    /* [0, 1] unless a replication passed 1: a unit's census over its beds,
     * which passes 1 only where it can be over capacity (the hospital's
     * corridor beds, a schedule cutting beds below the census) */
    FLYT_RANGE_LOAD
};

/* X(name, units, range, description); range: FLYT_RANGE_<range> */
#define FLYT_KPI_LIST(X)                                                                           \
    X(arrivals, "patients", NONNEG, "admissions from the community in the measured window")        \
    X(ukp_patients, "patients", NONNEG, "UKP patients whose wait ended in the measured window")    \
    X(ukp_wait_mean, "days", NONNEG, "UKP waiting days per UKP patient, mean")                     \
    X(ukp_wait_median, "days", NONNEG, "UKP waiting days per UKP patient, median")                 \
    X(ukp_wait_p90, "days", NONNEG, "UKP waiting days per UKP patient, 90th percentile")           \
    X(ukp_wait_max, "days", NONNEG, "UKP waiting days per UKP patient, maximum")                   \
    X(ukp_wait_mean_home, "days", NONNEG, "mean UKP wait of patients going home without services") \
    X(ukp_wait_mean_complex, "days", NONNEG,                                                       \
      "mean UKP wait of complex-needs patients (special placement)")                               \
    X(ukp_waiting_at_end, "patients", NONNEG,                                                      \
      "UKP patients still waiting at the horizon, warm-up starts included")                        \
    X(ukp_waits_open, "patients", NONNEG,                                                          \
      "UKP waits begun in the measured window still open at the horizon")                          \
    X(ukp_open_share, "fraction", SHARE,                                                           \
      "share of the UKP waits begun in the window still open at the horizon")                      \
    X(ukp_days_per_year, "days/year", NONNEG,                                                      \
      "UKP waiting days accrued per year (hospital bed-days)")                                     \
    X(ukp_cost_per_year, "NOK/year", NONNEG, "UKP waiting days per year times the daily payment")  \
    X(ukp_paid_days_per_year, "days/year", NONNEG,                                                 \
      "payable UKP days per year: calendar days from the ready day to the day the "                \
      "municipality can receive (docs/costs.md)")                                                  \
    X(ukp_payment_per_year, "NOK/year", NONNEG,                                                    \
      "payment for UKP days per year, each day at its year's rate (municipality to hospital)")     \
    X(cost_municipality_per_year, "NOK/year", NONNEG,                                              \
      "municipal units, coordinator roles and the UKP payment, per year (section cost)")           \
    X(cost_hospital_per_year, "NOK/year", REAL,                                                    \
      "the hospital units' bed-days and overflow, less the UKP payment it receives, per year")     \
    X(cost_total_per_year, "NOK/year", NONNEG,                                                     \
      "municipality and hospital together per year (the payment cancels out)")                     \
    X(share_direct_home, "fraction", SHARE,                                                        \
      "share of UKP patients discharged home (without services or to a caseload unit)")            \
    X(occ_hospital_treatment, "patients", NONNEG,                                                  \
      "mean hospital census in treatment (time-average)")                                          \
    X(occ_ukp, "patients", NONNEG,                                                                 \
      "mean number of UKP patients waiting in hospital (time-average)")                            \
    X(readmission_rate, "fraction", SHARE,                                                         \
      "share of UKP discharges readmitted within report.readmission_window_days")                  \
    X(not_ready_returns, "patients", NONNEG,                                                       \
      "sent back to hospital as not really discharge-ready")                                       \
    X(coord_cases_handled, "cases", NONNEG, "cases finished by coordinators (all roles)")          \
    X(coord_utilisation, "fraction", SHARE,                                                        \
      "coordinator hours worked / hours scheduled (all roles)")                                    \
    X(deaths, "patients", NONNEG, "deaths in the measured window, every unit")                     \
    X(deaths_waiting_hospital, "patients", NONNEG,                                                 \
      "of deaths: while discharge-ready in hospital (harm.death_waiting_per_day)")                 \
    X(deaths_blocked, "patients", NONNEG,                                                          \
      "of deaths: while blocked in a bed, waiting for the next place (harm)")                      \
    X(cfs_levels_gained, "CFS levels", NONNEG,                                                     \
      "frailty levels gained while waiting (harm.cfs_gain_per_day)")                               \
    X(destination_changed, "fraction", SHARE,                                                      \
      "share of UKP decisions whose destination the frailty gained while waiting changed")         \
    X(patients_initial, "patients", NONNEG, "patients placed in units at time 0")                  \
    X(patients_in, "patients", NONNEG, "patients who entered over the whole run (arrivals)")       \
    X(patients_out, "patients", NONNEG,                                                            \
      "patients who left over the whole run (home, death, placement)")                             \
    X(patients_at_end, "patients", NONNEG, "patients in the system at the horizon")                \
    X(ukp_dead_365, "fraction", SHARE,                                                             \
      "share of UKP patients dead within 365 days of their first discharge-ready day in the "      \
      "window (Kaplan-Meier, censored at the horizon and when they leave services)")

#define FLYT_KPI_ENUM(name, units, range, desc) FLYT_KPI_##name,
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

/* X(name, units, range, description): the same for every unit; NaN where a
 * figure does not apply to the unit's kind or nothing was measured. */
#define FLYT_UNIT_KPI_LIST(X)                                                                    \
    X(occupancy, "patients", NONNEG,                                                             \
      "mean census (time-average): patients holding a bed, clients, or in hospital")             \
    X(capacity, "beds or hours/week", NONNEG,                                                    \
      "mean capacity open (time-average); NaN when unlimited")                                   \
    X(utilisation, "fraction", LOAD,                                                             \
      "beds: occupancy / capacity; caseload: hours in use / hours open")                         \
    X(hours_used, "hours/week", NONNEG, "caseload: hours per week in use (time-average)")        \
    X(admissions, "patients", NONNEG, "admissions in the measured window")                       \
    X(admission_cfs_mean, "CFS", NONNEG, "mean frailty (CFS) of the patients admitted")          \
    X(los_mean, "days", NONNEG, "stay incl. blocking, mean (admitted in the window, ended)")     \
    X(los_median, "days", NONNEG, "stay incl. blocking, median")                                 \
    X(stays_open, "patients", NONNEG, "stays begun in the window still running at the horizon")  \
    X(stays_open_share, "fraction", SHARE,                                                       \
      "share of the stays begun in the window still running at the horizon")                     \
    X(wait_mean, "days", NONNEG,                                                                 \
      "wait from application to admission, mean (applied in the window)")                        \
    X(wait_p90, "days", NONNEG, "wait from application to admission, 90th percentile")           \
    X(wait_mean_hospital, "days", NONNEG, "mean wait of applicants waiting in hospital")         \
    X(wait_mean_bed, "days", NONNEG, "mean wait of applicants waiting in another unit's bed")    \
    X(wait_mean_home, "days", NONNEG, "mean wait of applicants waiting at home (in a caseload)") \
    X(wait_within_target, "fraction", SHARE,                                                     \
      "share of those waits within report.wait_target_days")                                     \
    X(waits_open, "patients", NONNEG, "applicants of the window still waiting at the horizon")   \
    X(waits_open_share, "fraction", SHARE,                                                       \
      "share of the waits begun in the window still open at the horizon")                        \
    X(ukp_wait_mean, "days", NONNEG, "mean UKP wait of discharge-ready patients sent here")      \
    X(blocked_days, "days", NONNEG,                                                              \
      "place-days held by patients waiting for their next place (hospital: UKP days)")           \
    X(deaths, "patients", NONNEG, "deaths in the unit in the measured window")                   \
    X(deaths_waiting, "patients", NONNEG,                                                        \
      "of deaths: while waiting there (hospital: discharge-ready; beds: blocked)")               \
    X(overflow_bed_days, "bed-days", NONNEG,                                                     \
      "bed-days above capacity (corridor beds); the hospital")                                   \
    X(days_over_capacity, "fraction", SHARE,                                                     \
      "share of measured days on which the census passed capacity; the hospital")                \
    X(cost_per_year, "NOK/year", NONNEG,                                                         \
      "what the unit costs a year: occupied bed-days (client hours), places, overflow")          \
    X(admissions_from_home, "patients", NONNEG,                                                  \
      "of admissions: applicants who waited at home (in a caseload)")

#define FLYT_UNIT_KPI_ENUM(name, units, range, desc) FLYT_UNIT_KPI_##name,
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
struct flyt_warmup_check;
struct flyt_precision_report;

struct flyt_field_def {
    const char *name;
    const char *units;
    const char *description;
    enum flyt_range range; /* FLYT_RANGE_REAL for the series */
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

/* X(name, units, range, description): per coordinator role and replication. */
#define FLYT_ROLE_KPI_LIST(X)                                                                  \
    X(cases_offered, "cases", NONNEG, "cases that reached the role in the measured window")    \
    X(cases_handled, "cases", NONNEG, "cases the role finished in the measured window")        \
    X(cases_withdrawn, "cases", NONNEG,                                                        \
      "cases that went the ordinary way before a coordinator was free")                        \
    X(queue_wait_mean, "days", NONNEG, "mean time from a case opening to work starting on it") \
    X(cases_queued_at_end, "cases", NONNEG, "cases still waiting for the role at the horizon") \
    X(work_hours, "hours", NONNEG, "hours worked on cases in the measured window")             \
    X(utilisation, "fraction", SHARE, "hours worked / hours scheduled (headcount x shifts)")

#define FLYT_ROLE_KPI_ENUM(name, units, range, desc) FLYT_ROLE_KPI_##name,
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
    /* a region (docs/region.md): every KPI per municipality, and each
     * hospital site's UKP bed-days a year by home municipality; n_munis 0
     * (and both NULL) for a file without municipalities */
    unsigned n_munis;
    double *muni_kpi; /* [municipality][FLYT_N_KPI], owned */
    unsigned n_sites;
    double *site_ukp_days; /* [municipality][site], owned */
};

static inline double *flyt_result_muni_kpi(const struct flyt_result *r, unsigned i)
{
    return r->muni_kpi + (size_t)i * FLYT_N_KPI;
}

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
/* NULL when a and b hold the same replication's figures bit for bit
 * (status and message, event counts, every KPI and series of the region,
 * roles, units, municipalities and sites; not the wall time), else the
 * name of the first part that differs. */
const char *flyt_result_diff(const struct flyt_result *a, const struct flyt_result *b);
/* A deep copy of src's per-unit figures into dst (which has src's shallow
 * fields already); -1 when out of memory. */
int flyt_result_copy_units(struct flyt_result *dst, const struct flyt_result *src);

/* A KPI named by text: a global KPI ("ukp_wait_mean") or a unit's
 * ("units.<id>.los_mean"). Returns a handle >= 0, or -1 when no such KPI;
 * unit ids are looked up in ids[0..n_units-1]. */
int flyt_kpi_lookup(const char *name, const char *const *ids, unsigned n_units);
/* The same with a region's municipalities: "municipalities.<id>.<kpi>"
 * names municipality id's KPI (handles from FLYT_KPI_MUNI_BASE). */
#define FLYT_KPI_MUNI_BASE (1 << 24)
/* Whether name is "units.<id>.<unit kpi>" or "municipalities.<id>.<kpi>",
 * whichever ids a scenario has. */
bool flyt_kpi_name_scoped(const char *name);
int flyt_kpi_lookup_region(const char *name, const char *const *ids, unsigned n_units,
                           const char *const *munis, unsigned n_munis);

/* KPI k's description as the run's settings make it (the readmission
 * window in days, report.readmission_window_days); buf holds it when it is
 * not the fixed text. */
const char *flyt_kpi_description(int k, double readmission_window_days, char *buf, size_t len);
/* The value of a looked-up KPI in one result; NaN when it has no unit u. */
double flyt_kpi_value(const struct flyt_result *r, int handle);
/* Its units and description. */
const struct flyt_field_def *flyt_kpi_def(int handle);

/* Across replications: mean, sd and 95 % interval of each KPI over the
 * replications where it is finite. ci_low and ci_high are the interval:
 * the Student-t interval mean +- ci_half where that stays inside the KPI's
 * range, else one formed on the log or logit scale (flyt_ci_in), which is
 * asymmetric. ci_half is the t half-width whatever the range: a measure of
 * precision (calibration weights, the paired differences), not an
 * interval to print. */
struct flyt_stat {
    double mean, sd, ci_half, ci_low, ci_high;
    unsigned n;
    double skew; /* sample skewness G1 of the values; NaN under 3 or no spread */
};

/* The values are clearly skewed for their count: Cochran's rule for the
 * t-interval, n > 25 G1^2, fails even with G1 taken 2 standard errors
 * towards 0 (so that chance skewness in a symmetric figure does not
 * trip it). *need gets 25 G1^2, the count the rule asks for. */
bool flyt_stat_skewed(const struct flyt_stat *st, double *need);

struct flyt_summary {
    double mean[FLYT_N_KPI];
    double sd[FLYT_N_KPI];
    double ci_half[FLYT_N_KPI];
    double ci_low[FLYT_N_KPI];
    double ci_high[FLYT_N_KPI];
    unsigned n[FLYT_N_KPI];
    double skew[FLYT_N_KPI];
    unsigned n_roles;
    struct flyt_stat role[FLYT_MAX_ROLES_RESULT][FLYT_N_ROLE_KPI];
    unsigned n_units;
    struct flyt_stat *unit; /* [unit][FLYT_N_UNIT_KPI], owned: flyt_summary_free */
    unsigned n_munis;
    struct flyt_stat *muni; /* [municipality][FLYT_N_KPI], owned; NULL without any */
    unsigned n_sites;
    struct flyt_stat *site; /* [municipality][site] UKP bed-days a year, owned */
    /* The daily series folded across replications as they finished (see
     * flyt/series.h), for the writers; NULL (as flyt_summary_compute
     * leaves it): the results hold every replication's series whole.
     * Borrowed. */
    const struct flyt_series_reduce *series;
    /* flyt run's MSER-5 check of the warm-up (flyt/mser.h), for the
     * printers and the writers; NULL (as flyt_summary_compute leaves it):
     * none was made. Borrowed. */
    const struct flyt_warmup_check *warmup;
    /* flyt run -r auto's sequential procedure (flyt/precision.h); NULL
     * (as flyt_summary_compute leaves it): a fixed count. Borrowed. */
    const struct flyt_precision_report *precision;
};

/* A wait or stay KPI whose episodes (begun in the window) were more than
 * this share still open at the horizon is flagged in the table and JSON:
 * its estimate leans on the open ones (docs/kpis.md, "Open at the
 * horizon"). */
#define FLYT_OPEN_FLAG_SHARE 0.10
/* The open-share KPI that goes with KPI k (unit: with unit KPI k), or -1
 * when k is no wait or stay figure. */
int flyt_kpi_open_share(int k);
int flyt_unit_kpi_open_share(int k);

/* Below this many replications the t-interval leans on the mean being
 * close to normal, which the means of skewed figures (waits, rare events)
 * are not yet: the printers add a note, JSON a flag. */
#define FLYT_FEW_REPLICATIONS 10

/* Mean, sd and the symmetric 95 % t-interval of the finite values among
 * x[0..n-1] (FLYT_RANGE_REAL). */
struct flyt_stat flyt_stat_of(const double *x, size_t n);
/* The same with the interval kept inside the range. */
struct flyt_stat flyt_stat_in(const double *x, size_t n, enum flyt_range range);
/* The 95 % interval for a mean m with standard deviation sd over n values
 * that lie in [lo, hi] (hi may be INFINITY): mean +- t sd / sqrt(n) when
 * that lies inside, else the delta-method interval on the log scale of
 * m - lo (hi infinite) or the logit scale of (m - lo) / (hi - lo),
 * transformed back; [lo, lo] or [hi, hi] when the mean is at a bound (every
 * value there). NaN when n < 2 or the figures are not finite. */
void flyt_ci_in(double m, double sd, unsigned n, double lo, double hi, double *ci_low,
                double *ci_high);

/* Fills s (which owns what it allocates: flyt_summary_free). */
void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res);
void flyt_summary_free(struct flyt_summary *s);
/* KPI k's figures as one flyt_stat. */
static inline struct flyt_stat flyt_summary_stat(const struct flyt_summary *s, int k)
{
    return (struct flyt_stat){ s->mean[k],    s->sd[k], s->ci_half[k], s->ci_low[k],
                               s->ci_high[k], s->n[k],  s->skew[k] };
}

static inline const struct flyt_stat *flyt_summary_unit(const struct flyt_summary *s, unsigned u)
{
    return s->unit + (size_t)u * FLYT_N_UNIT_KPI;
}

static inline const struct flyt_stat *flyt_summary_muni(const struct flyt_summary *s, unsigned i)
{
    return s->muni + (size_t)i * FLYT_N_KPI;
}

#endif
