/*
 * flyt forecast: from today's census to the days ahead.
 *
 * A census file (CSV, one row per patient now in the system; the format is
 * in docs/forecast.md) is read into a struct flyt_census; replications of a
 * scenario then start from it (flyt_model_run_census) and their daily
 * paths are summarised per day as a median, 50 % and 90 % bands, the
 * probability that each unit is full, and the UKP waiting days accrued.
 *
 * Personal data: the reader keeps only the columns the model uses, refuses
 * a column that looks like it identifies a person (by its header, or by a
 * value shaped like an 11-digit national identity number) unless the
 * caller lists it in `ignore` (it is then skipped unread), and its messages
 * name rows and columns, never a value that could identify anyone.
 */
#ifndef FLYT_FORECAST_H
#define FLYT_FORECAST_H

#include "flyt/census.h"
#include "flyt/experiment.h"
#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FLYT_CENSUS_MAX_ERRORS 50 /* errors reported before the rest are only counted */

struct flyt_census_read_opts {
    const char *const *ignore; /* column names to skip unread (case-insensitive) */
    int n_ignore;
    const struct flyt_scenario *s; /* for the unit ids and the age-band names */
    int census_day;                /* days since 1970-01-01; INT32_MIN: from the file */
    FILE *warn;                    /* warnings and notes; NULL for none */
};

/* Reads a census file. The census date is o->census_day, or the file's
 * "# census_date: YYYY-MM-DD" first line; *census_day gets the one used.
 * Returns 0, or -1 with every problem in diag as
 * "FILE:ROW: error: column NAME: what is wrong" (ROW = line of the file). */
int flyt_census_read(const char *path, const struct flyt_census_read_opts *o,
                     struct flyt_census *out, int *census_day, struct flyt_diag *diag);

/* Writes a census as a file flyt_census_read accepts: the census date on
 * the first line, then a header and one row per patient in c's order. A
 * time in place becomes the date it began (elapsed days rounded up). */
int flyt_census_write_csv(FILE *f, const struct flyt_census *c, const struct flyt_scenario *s,
                          int census_day);

/* Whether a column header names something that identifies a person (name,
 * national identity number, date of birth, address, phone, ...), in
 * Norwegian or English; *what gets a short description. */
bool flyt_census_identifying_header(const char *header, const char **what);

/* Whether a value is shaped like a Norwegian national identity number
 * (fødselsnummer or D-number): 11 digits, possibly with spaces, dots or a
 * dash between them. */
bool flyt_census_looks_like_fnr(const char *value);

/* Daily figures of the whole system, each n_rep x n_days (row-major). */
#define FLYT_FC_SERIES_LIST(X)                                                        \
    X(hospital_treatment, "patients", "patients in hospital treatment at 00:00")      \
    X(ukp_waiting, "patients", "UKP patients waiting in hospital at 00:00")           \
    X(ukp_days, "days/day", "UKP waiting days accrued during the day (patient-days)") \
    X(ukp_days_cum, "days", "UKP waiting days accrued from day 0 to the end of the day")

#define FLYT_FC_SERIES_ENUM(name, units, desc) FLYT_FC_##name,
enum flyt_fc_series { FLYT_FC_SERIES_LIST(FLYT_FC_SERIES_ENUM) FLYT_FC_N_SERIES };
#undef FLYT_FC_SERIES_ENUM

extern const struct flyt_field_def flyt_fc_series_defs[FLYT_FC_N_SERIES];

/* Daily figures of each unit but the hospital. `census` counts beds in
 * a beds unit (its units are then "beds"); `hours` is a caseload's only. */
#define FLYT_FC_UNIT_SERIES_LIST(X)                                                         \
    X(census, "patients",                                                                   \
      "patients holding a place in the unit at 00:00 (occupied beds, clients)")             \
    X(queue, "patients", "patients waiting for a place in the unit (all origins) at 00:00") \
    X(hours, "hours/week", "hours per week in use at 00:00 (caseload units only)")

#define FLYT_FC_UNIT_SERIES_ENUM(name, units, desc) FLYT_FCU_##name,
enum flyt_fc_unit_series { FLYT_FC_UNIT_SERIES_LIST(FLYT_FC_UNIT_SERIES_ENUM) FLYT_FCU_N_SERIES };
#undef FLYT_FC_UNIT_SERIES_ENUM

extern const struct flyt_field_def flyt_fc_unit_series_defs[FLYT_FCU_N_SERIES];

/* Band quantiles reported per day: 5, 25, 50, 75 and 95 %. */
#define FLYT_FC_N_Q 5
extern const double flyt_fc_quantiles[FLYT_FC_N_Q];

/* One daily figure: its paths, and per day the bands over them. */
struct flyt_fc_figure {
    double *path;           /* n_rep x n_days */
    double *q[FLYT_FC_N_Q]; /* n_days each */
    double *mean;           /* n_days */
};

/* A unit of the network as the forecast follows it. Full: a beds unit
 * with every bed occupied at 00:00, a caseload with a request waiting for
 * hours at 00:00; an unlimited unit never is. */
struct flyt_fc_unit {
    int unit;                                     /* index in the scenario */
    struct flyt_fc_figure fig[FLYT_FCU_N_SERIES]; /* hours: path NULL unless a caseload */
    double *full;                                 /* n_rep x n_days, 0 or 1 */
    double *p_full;                               /* n_days */
    double *capacity; /* n_days: beds or hours per week (replication 0); NaN when unlimited */
};

struct flyt_forecast {
    unsigned n_rep;
    size_t n_days;    /* day 0 (the census date) to the last day ahead */
    size_t check_day; /* the day of p_still_ukp */
    struct flyt_fc_figure fig[FLYT_FC_N_SERIES];
    size_t n_units;             /* every unit of the scenario but the hospital, in its order */
    struct flyt_fc_unit *units; /* owned */

    /* the census's UKP patients, most likely to still wait first */
    size_t n_ukp;
    uint32_t *ukp_row;   /* census row */
    double *p_still_ukp; /* share of replications in which the patient still waits */

    int stopped;       /* replications stopped early (runaway guard) */
    unsigned finished; /* replications that ran: n_rep unless a stop came first */
    double wall_seconds;
};

/* The figure's units for unit u of s ("beds" for a beds unit's census). */
const char *flyt_fc_unit_series_units(const struct flyt_scenario *s, int u, int k);

/* Runs n_rep replications of s from census c over n_days days (s should
 * start on the census date, with no warm-up and a horizon of at least
 * n_days), on `threads` threads (0: one per CPU), and summarises them.
 * Replication r's result depends only on (s, c, r). Returns 0, 1 when a
 * replication stopped early, -1 when out of memory (no replication starts
 * after it), FLYT_EXPERIMENT_STOPPED when a stop was requested
 * (flyt_experiment_request_stop, a signal): no replication starts after
 * it, out->finished says how many ran, and nothing is summarised (out may
 * still be freed). */
int flyt_forecast_run(const struct flyt_scenario *s, const struct flyt_census *c, unsigned n_rep,
                      unsigned threads, size_t n_days, size_t check_day, struct flyt_forecast *out,
                      flyt_progress_fn progress, void *ctx);
void flyt_forecast_free(struct flyt_forecast *f);

#endif
