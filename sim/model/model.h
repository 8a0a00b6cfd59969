/* Internal to the model module: its state, shared by its files. */
#ifndef FLYT_MODEL_INTERNAL_H
#define FLYT_MODEL_INTERNAL_H

#include "flyt/engine.h"
#include "flyt/model.h"
#include "flyt/rng.h"

#include <stdbool.h>
#include <stdint.h>

#define NIL UINT32_MAX

enum pstate {
    PS_FREE,
    PS_TREATMENT,  /* hospital, in treatment */
    PS_DECIDING,   /* hospital, discharge-ready, waiting for the decision */
    PS_WAITING,    /* hospital, discharge-ready, waiting for a place */
    PS_COMPLEX,    /* hospital, discharge-ready, waiting for a special placement */
    PS_SHORT_TERM, /* in a short-term bed, stay running */
    PS_ST_BLOCKED, /* in a short-term bed, stay over, waiting for a place */
    PS_NURSING,    /* in a nursing-home bed */
    PS_HOME_CARE,  /* at home with home care */
    PS_HC_WAIT_NH  /* at home with home care, waiting for a nursing-home bed */
};

enum unit { U_SHORT_TERM, U_NURSING_HOME, U_HOME_CARE, N_UNITS };

enum event_kind {
    EV_ARRIVAL,
    EV_TREAT_END,
    EV_DECISION,
    EV_COMPLEX_END,
    EV_ST_END,
    EV_NH_END,
    EV_HC_HAZARD,
    EV_DAY,
    N_EVENTS
};

struct patient {
    struct flyt_stream rng;
    double t_ready;     /* discharge-ready: start of the UKP wait */
    double t_unit;      /* admission to the current unit; < 0 when not measured */
    double t_queue;     /* joined the current queue */
    double t_discharge; /* last hospital discharge to municipal services; < 0 none */
    double hc_hours;    /* hours per week needed or used in home care */
    uint64_t qseq;      /* queue order across origins */
    uint32_t gen;       /* bumped to make pending events stale */
    uint32_t q_prev, q_next;
    uint8_t state, group, cfs, age_band, complex, dest, queue_unit, queue_origin;
};

struct queue {
    uint32_t head, tail, len;
};

/* A growable array of doubles for distributions (median, p90). */
struct samples {
    double *x;
    size_t n, cap;
};

struct model {
    const struct flyt_scenario *s;
    unsigned rep;
    struct flyt_engine *eng;
    gsl_rng *rng;
    struct flyt_result *out;
    bool failed;

    struct patient *p;
    uint32_t n_pool, cap_pool, free_head;
    uint64_t in_system;
    uint64_t qseq;

    struct flyt_stream arrival_rng;
    double *day_rate; /* arrivals per day, by day */
    size_t n_rate_days;
    uint64_t n_arrivals;

    /* census */
    int n_treat, n_ukp, n_st, n_nh, n_hc;
    double hc_hours_used;
    int cap[N_UNITS]; /* beds; home care uses hc_capacity */
    double hc_capacity;
    struct queue q[N_UNITS][FLYT_N_ORIGIN];

    /* time-integrals over [warmup, now] */
    double t_last;
    double area_treat, area_ukp, area_st, area_nh, area_hc_users, area_hc_hours;

    /* measured window */
    double t_warm, t_end;
    size_t first_day;
    struct samples ukp_waits, st_los;
    double wait_sum[FLYT_N_DEST + 1];
    uint64_t wait_n[FLYT_N_DEST + 1]; /* + complex */
    uint64_t st_admissions, nh_admissions, nh_within, arrivals_window;
    double nh_wait_sum;
    uint64_t readmit_num, readmit_den;
    uint64_t deaths[4];
    uint64_t n_initial, n_in, n_out;
    uint64_t model_events;
};

/* patients.c */
uint32_t flyt__patient_new(struct model *m, enum flyt_stream_class cls, uint64_t index);
void flyt__patient_leave(struct model *m, uint32_t id);
void flyt__queue_push(struct model *m, enum unit u, enum flyt_origin o, uint32_t id);
void flyt__queue_remove(struct model *m, uint32_t id);
uint32_t flyt__queue_next(const struct model *m, enum unit u);
void flyt__samples_add(struct model *m, struct samples *s, double x);

/* stats.c */
void flyt__advance(struct model *m, double now);
/* Adds one to a per-day count series for the day of time t (after warm-up). */
void flyt__count_day(struct model *m, enum flyt_series series, double t);
void flyt__finish(struct model *m);

/* flow.c */
void flyt__register_handlers(struct model *m);
void flyt__admit_hospital(struct model *m, uint32_t id, bool readmission);
void flyt__try_place(struct model *m, enum unit u);
void flyt__start_st(struct model *m, uint32_t id, double los);
void flyt__start_nh(struct model *m, uint32_t id, double los);
void flyt__start_hc(struct model *m, uint32_t id);
int flyt__draw_index(gsl_rng *r, const double *p, int n);

#endif
