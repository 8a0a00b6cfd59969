/*
 * flyt records: anonymised stay records as a municipality or hospital
 * exports them (docs/records.md), read against a scenario's units through a
 * mapping table. The reader keeps counts and times, never a value of an
 * identifying column, and no message it prints holds a value from a record.
 */
#ifndef FLYT_RECORDS_H
#define FLYT_RECORDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct flyt_scenario;

/* Where a stay or a discharge-ready period leads. */
enum flyt_rec_place {
    FLYT_REC_UNIT, /* a unit of the scenario: see the unit index */
    FLYT_REC_HOME, /* home without municipal services */
    FLYT_REC_DEATH,
    FLYT_REC_OPEN, /* not known yet: the stay is still running, or undecided */
};

/* One stay in a unit (the hospital is a unit too). Times are days since
 * 1970-01-01 00:00 (fractions are the time of day). */
struct flyt_rec_stay {
    uint32_t patient;  /* dense index 0..n_patients-1 of the pseudonymous key */
    uint32_t row;      /* line in its file, for messages */
    uint16_t file;     /* index of its file in the command's list */
    int16_t unit;      /* unit index in the scenario */
    double start, end; /* end NaN: still running at the extraction time */
    enum flyt_rec_place next;
    int16_t next_unit; /* when next == FLYT_REC_UNIT, else -1 */
    int8_t cfs;        /* 1-9, 0 unknown */
    int8_t age_band;   /* index into the scenario's age bands, -1 unknown */
    int8_t complex;    /* 1 yes, 0 no, -1 unknown */
};

/* One discharge-ready (UKP) period in hospital. */
struct flyt_rec_ready {
    uint32_t patient, row;
    uint16_t file;
    double ready;     /* became discharge-ready */
    double decision;  /* the day the municipality decided (a date: its 00:00); NaN none yet */
    double discharge; /* left hospital; NaN: still waiting at the extraction time */
    enum flyt_rec_place destination;
    int16_t dest_unit; /* when destination == FLYT_REC_UNIT, else -1 */
};

struct flyt_records {
    struct flyt_rec_stay *stays; /* sorted by patient, then start */
    size_t n_stays;
    struct flyt_rec_ready *ready; /* sorted by patient, then ready */
    size_t n_ready;
    size_t n_patients;
    double from, until; /* the observation window: a stay beginning before `from`
                           is kept for its patient's history (was the next hospital
                           stay a readmission?) but is left-truncated, so estimates
                           use only stays beginning at or after `from`; open stays
                           are censored at `until` (the extraction time) */
    int n_files;
};

struct flyt_records_options {
    const char *map_path;              /* the unit mapping table (CSV: code,unit); NULL:
                                          the records' codes are the scenario's unit ids */
    const char *const *ignore_columns; /* columns to skip unread (identifying ones) */
    int n_ignore;
    const char *from, *until; /* dates YYYY-MM-DD (or date-times as in the files),
                                 or NULL: the files' "# from:" and "# extracted:"
                                 lines, else the earliest start and the latest
                                 time in the files */
};

#define FLYT_RECORDS_MAX_ERRORS 50 /* errors printed in full; the rest are counted */

/* Reads the records files (each one is a stays file or a discharge-ready file,
 * told apart by its header: a `ready` column makes a discharge-ready file)
 * and the map against scenario s. Every problem is printed to err (NULL:
 * stderr) as `file:row: error: column c: message` (the first 50 in full,
 * then a count), and warnings (unused columns) as `file:row: warning: ...`;
 * no message holds a value from a record. Returns 0, or 2 on bad input
 * (nothing kept: *out is empty), or 1 when a file cannot be read. Patients
 * are numbered in the (byte) order of their keys; the keys are not kept. */
int flyt_records_read(const char *const *paths, int n_paths, const struct flyt_records_options *o,
                      const struct flyt_scenario *s, struct flyt_records *out, FILE *err);
void flyt_records_free(struct flyt_records *r);

#endif
