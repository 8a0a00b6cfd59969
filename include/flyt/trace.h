/*
 * flyt trace: the patient events of a replication as they happen, for the
 * patient and event logs (flyt run --patients / --events).
 *
 * The model calls trace->event once per event, on the thread running the
 * replication, in the order it runs them; a model without a trace (the
 * default) pays one predictable branch per hook. Tracing draws no random
 * number and changes no state, so a traced run's results are bit-identical
 * to an untraced one's.
 */
#ifndef FLYT_TRACE_H
#define FLYT_TRACE_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdint.h>

enum flyt_trace_kind {
    FLYT_TRACE_INITIAL,     /* in a unit at time 0; detail: unit; t: when the stay began */
    FLYT_TRACE_ARRIVAL,     /* admitted to hospital from the community */
    FLYT_TRACE_READMISSION, /* back to hospital from a municipal place */
    FLYT_TRACE_READY,       /* discharge-ready: the UKP wait starts */
    FLYT_TRACE_DECISION,    /* destination decided; detail: unit or FLYT_TRACE_TO_HOME */
    FLYT_TRACE_UKP_END,     /* left hospital after the UKP wait; detail: unit,
                               FLYT_TRACE_TO_HOME or FLYT_TRACE_TO_SPECIAL */
    FLYT_TRACE_ADMIT,       /* admitted to a unit; detail: unit */
    FLYT_TRACE_ST_END,      /* a stay's bed is freed; detail: unit */
    FLYT_TRACE_DEATH,       /* died; detail: the unit */
    FLYT_TRACE_EXIT,        /* left the system; detail: enum flyt_trace_exit */
    FLYT_TRACE_APPLY,       /* joined a unit's queue (waits for a place); detail: unit */
    FLYT_TRACE_NOT_READY,   /* sent back to hospital as not really discharge-ready (the
                               readmission follows at once) */
    FLYT_TRACE_CASE_DONE,   /* a coordinator finished the patient's case; detail: role */
    FLYT_TRACE_N_KINDS
};

/* Destinations that are not units. */
#define FLYT_TRACE_TO_HOME    0xFFFE /* home without (new) services */
#define FLYT_TRACE_TO_SPECIAL 0xFFFD /* a complex patient's special placement */

/* Why a patient left, as far as the model's state says; a death just
 * before (FLYT_TRACE_DEATH) says where. */
enum flyt_trace_exit {
    FLYT_TRACE_EXIT_HOME,              /* left without (new) municipal services */
    FLYT_TRACE_EXIT_SPECIAL_PLACEMENT, /* a complex patient's special placement */
    FLYT_TRACE_EXIT_SERVICES_ENDED,    /* a caseload's services ended */
    FLYT_TRACE_EXIT_DEATH,
    FLYT_TRACE_EXIT_TO_HOSPITAL, /* readmitted or sent back: a new episode begins */
    FLYT_TRACE_EXIT_IN_SYSTEM,   /* still there at the horizon */
    FLYT_TRACE_N_EXIT
};

struct flyt_trace_event {
    double t;         /* days */
    uint64_t patient; /* stream class << 44 | index: unique within a replication */
    uint32_t slot;    /* the patient's pool slot: fixed while it is in the system */
    uint16_t detail;
    uint8_t kind;
    uint8_t age_band, cfs, complex, group;
};

struct flyt_trace {
    void (*event)(void *ctx, const struct flyt_trace_event *ev);
    void *ctx;
};

/* flyt_model_run with a trace (NULL: none). */
int flyt_model_run_traced(const struct flyt_scenario *s, unsigned replication,
                          struct flyt_result *out, const struct flyt_trace *trace);

#endif
