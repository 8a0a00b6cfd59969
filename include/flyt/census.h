/*
 * flyt census: the patients in the system on one day, as plain data, and
 * the two model entry points that use it: start a replication from a
 * census (a forecast), and stop a replication at a day and take its census
 * (for tests of the forecast, and for planners who want a synthetic one).
 *
 * A census patient carries only what the model uses: where the patient is,
 * how long the patient has been there, the destination already decided,
 * and the attributes that select its distributions (CFS, age band, complex
 * needs, hours per week in a caseload). An attribute not known is drawn from the
 * scenario's mix. Nothing identifying is ever stored here; `row` ties a
 * patient back to the line of the census file it came from.
 *
 * Time: day 0 is the census date at 00:00; elapsed times are in days before
 * that instant.
 */
#ifndef FLYT_CENSUS_H
#define FLYT_CENSUS_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stddef.h>
#include <stdint.h>

/* Where a census patient is, besides the units of the scenario's network
 * (a unit index >= 0, never the hospital unit's): the hospital unit holds
 * patients in two states a census tells apart. Hospital sorts before UKP,
 * and both before every unit, so that a census sorted by place lists the
 * hospital first. */
enum { FLYT_CENSUS_HOSPITAL = -2, FLYT_CENSUS_UKP = -1 };

/* Name as written in census files: "hospital", "ukp" or the unit's id
 * ("?" for an index s does not have). */
const char *flyt_census_loc_name(const struct flyt_scenario *s, int loc);

struct flyt_census_patient {
    uint32_t row;        /* line of the census file (the header is a line too) */
    int16_t loc;         /* a unit index, FLYT_CENSUS_HOSPITAL or FLYT_CENSUS_UKP */
    int16_t dest;        /* the unit index the patient waits for; -1 none */
    int8_t cfs;          /* 1..9; 0 unknown */
    int8_t age_band;     /* index into the scenario's age bands; -1 unknown */
    int8_t complex;      /* 0 or 1; -1 unknown */
    double elapsed_days; /* time in the current place at day 0, >= 0 */
    double queued_days;  /* time in the queue for dest at day 0; < 0 when dest is -1 */
    double hours;        /* hours per week in a caseload: those the client uses where it
                            is, or (not a client) those needed in the destination; < 0
                            unknown */
};

/* Valid destinations by location: UKP waits for any unit but the hospital
 * (or none decided yet); a patient whose stay in a unit with stays is over
 * waits in the bed for another unit (blocking); a caseload's client may
 * wait at home for another unit (an application). Hospital treatment
 * waits for nothing. */
struct flyt_census {
    size_t n, cap;
    struct flyt_census_patient *p; /* owned */
};

/* Appends a patient; returns 0 or -1 when out of memory. */
int flyt_census_add(struct flyt_census *c, const struct flyt_census_patient *p);
void flyt_census_free(struct flyt_census *c); /* frees the rows, not c */

/* What a run from a census tracks beyond the ordinary result, for each of
 * n_days days (day 0 = the census date). The caller allocates the arrays
 * (NULL: not tracked). */
struct flyt_census_track {
    size_t n_days;
    double *ukp_days;   /* UKP waiting days accrued during day d (patient-days) */
    uint8_t *queued;    /* [u * n_days + d]: 1 when at 00:00 of day d a request waits in
                           unit u's queue */
    size_t check_day;   /* the day at whose 00:00 still_ukp is taken */
    uint8_t *still_ukp; /* per census patient: 1 when a patient who was UKP at day 0 is
                           still waiting in the same hospital episode at check_day */
};

/* Runs replication `replication` of s from the census at day 0 instead of
 * the scenario's initial occupancy: hospitals hold the census patients,
 * units hold their residents, queues their applicants (in order of time
 * queued, then row), and every remaining stay is drawn conditioned on the
 * time already spent. The scenario's warm-up should be 0; its start date is
 * the census date. Census patients draw from streams of class
 * FLYT_STREAM_INITIAL keyed by their index in c. Returns as flyt_model_run.
 * track may be NULL. */
int flyt_model_run_census(const struct flyt_scenario *s, const struct flyt_census *c,
                          unsigned replication, struct flyt_result *out,
                          struct flyt_census_track *track);

/* Runs replication `replication` of s (as flyt_model_run does) up to 00:00
 * of day `day` (0 < day <= horizon) and appends every patient in the system
 * then to out, with elapsed times exact (not rounded to dates). Patients
 * placed at time 0 count their stay from the length-biased start the model
 * drew for them. Coordinator cases and not-ready flags are not part of a
 * census. Returns 0, 1 when the run stopped early, -1 out of memory. */
int flyt_model_census_at(const struct flyt_scenario *s, unsigned replication, double day,
                         struct flyt_census *out);

/* The remaining length of a stay drawn from d given that it has lasted
 * `elapsed` days: X - elapsed for X drawn from d conditioned on X > elapsed,
 * by inversion of the conditional survival function (one uniform per draw).
 * When P(X > elapsed) is negligible (below 1e-12) the stay is overdue: for
 * distributions with a finite largest value (fixed, uniform, empirical) the
 * remaining time is uniform on 0-1 day; for lognormal and gamma the
 * elapsed time is capped at the point where the survival is 1e-12.
 * Exponential stays are memoryless: a fresh draw. */
double flyt_dist_sample_residual(const struct flyt_dist *d, double elapsed, gsl_rng *r);

#endif
