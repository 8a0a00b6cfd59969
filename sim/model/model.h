/* Internal to the model module: its state, shared by its files. */
#ifndef FLYT_MODEL_INTERNAL_H
#define FLYT_MODEL_INTERNAL_H

#include "flyt/engine.h"
#include "flyt/model.h"
#include "flyt/rng.h"
#include "flyt/scenario.h"
#include "flyt/trace.h"

#include <stdbool.h>
#include <stdint.h>

#define NIL UINT32_MAX

enum pstate {
    PS_FREE,
    PS_TREATMENT,  /* hospital, in treatment */
    PS_DECIDING,   /* hospital, discharge-ready, waiting for the decision */
    PS_WAITING,    /* hospital, discharge-ready, waiting for a place */
    PS_COMPLEX,    /* hospital, discharge-ready, waiting for a special placement */
    PS_STAY,       /* in a unit with stays (beds, unlimited), stay running */
    PS_BLOCKED,    /* in such a unit, stay over, waiting for the next place */
    PS_CLIENT,     /* a client of a caseload unit */
    PS_CLIENT_WAIT /* a client, waiting for a place elsewhere */
};

#define NO_UNIT 0xFFFF

enum event_kind {
    EV_ARRIVAL,
    EV_TREAT_END,
    EV_DECISION,
    EV_COMPLEX_END,
    EV_STAY_END,
    EV_HAZARD,
    EV_DAY,
    EV_CASE_DONE,  /* a coordinator finished a case */
    EV_SHIFT,      /* a role's shift starts (tag 1) or ends (tag 0); id = role */
    EV_NOT_READY,  /* a patient at home returns as not discharge-ready */
    EV_CASE_OPEN,  /* a short-term stay nears its end: its case opens */
    EV_OPEN,       /* a unit's admission hours begin; id = unit */
    EV_WAIT_DEATH, /* death while waiting (discharge-ready or blocked); stale unless
                      the event's time is the patient's t_die */
    N_EVENTS
};

#define NO_ROLE 0xFF

enum case_state { CS_NONE, CS_QUEUED, CS_WORK, CS_DONE };

struct patient {
    struct flyt_stream rng;
    uint64_t key;  /* stream class and index: keys the patient's lever draws */
    double t_case; /* a coordinator case opened */
    union {
        double t_plan;     /* the ordinary decision or stay end that a case may replace */
        double next_hours; /* a client applying to another caseload: the hours asked there
                              (a client has no case; one field keeps the record small) */
    };
    double t_ready;     /* discharge-ready: start of the UKP wait */
    double t_ukp1;      /* first discharge-ready day in the window: followed for death within
                           a year (ukp_dead_365); < 0 when not followed */
    double t_unit;      /* admission to the current unit; < 0 when not measured */
    double t_queue;     /* joined the current queue */
    double t_discharge; /* last hospital discharge to municipal services; < 0 none */
    double t_state;     /* the current place began (treatment, bed, home care); a census
                           reports it */
    double hc_hours;    /* hours per week needed or used in a caseload */
    double t_die;       /* death while waiting is due then; INFINITY when none pending */
    double t_cfs;       /* deconditioning is accounted up to here in the current wait */
    uint64_t qseq;      /* queue order across origins */
    uint32_t gen;       /* bumped to make pending events stale */
    uint32_t q_prev, q_next;
    uint32_t c_prev, c_next; /* in a role's case queue */
    uint16_t n_lever;        /* lever draws so far */
    uint16_t n_harm;         /* draws for the harm of waiting so far */
    uint16_t unit;           /* where the patient is (the hospital while there) */
    uint16_t queue_unit;     /* the unit applied to; NO_UNIT when none */
    uint16_t queue_class;
    int16_t dest; /* the decision's destination: a unit or FLYT_ROUTE_HOME */
    uint8_t state, group, cfs, age_band, complex;
    uint8_t cfs0;              /* CFS at arrival: what deconditioning is measured against */
    uint8_t role, case_state;  /* the open case: its role and enum case_state */
    uint8_t ukp_role, st_role; /* the role that handled this episode's UKP / stay case */
    uint8_t not_ready;         /* the current place ends in a return to hospital */
    uint8_t end_due;           /* stay over while its case waits (when_busy = wait) */
    uint16_t home;             /* home municipality (0 in a file without any) */
    uint16_t site;             /* the hospital unit of the episode */
};

/* A coordinator role during a run: idle people, queued cases, figures. */
struct role_state {
    uint32_t head, tail, len;
    int idle;
    bool on_shift;
    struct flyt_stream rng;
    uint64_t offered, handled, withdrawn, started;
    double wait_sum, busy_hours, sched_hours;
};

/* radix.c: sorts key[0..n) ascending, stable, carrying val (may be NULL)
 * along; tmp_key and tmp_val (when val is given) have room for n each. */
void flyt__radix_sort(uint64_t *key, uint32_t *val, size_t n, uint64_t *tmp_key, uint32_t *tmp_val);

/* quantile.c: a per-patient figure's distribution (mean, median, p90,
 * max) in bounded memory: every value while there are at most
 * FLYT_QUANTILE_EXACT (figures exact), then a log histogram of fixed size
 * (bins 0.068 % wide); see quantile.c. */
#define FLYT_QUANTILE_EXACT 65536
struct quantile {
    double *x;         /* the values while exact (zeros counted, not kept), NULL once the
                          histogram took over */
    size_t n, nx, cap; /* values in all; kept in x; room in x */
    uint64_t *bin;     /* the histogram, NULL while exact */
    uint64_t zeros;
    double sum, sum_c; /* compensated sum, histogram only */
    double min_pos, max;
};
/* Returns 0, or -1 when out of memory (the value is then lost). */
int flyt__quantile_add(struct quantile *q, double x);
bool flyt__quantile_exact(const struct quantile *q);
/* Whether a value was ever added (or memory for one asked for). */
static inline bool flyt__quantile_used(const struct quantile *q)
{
    return q->n > 0 || q->x || q->bin;
}
/* NaN when empty; p90 and max may be NULL together. Sorts q's values. */
void flyt__quantile_kpis(struct quantile *q, double *mean, double *median, double *p90,
                         double *max);
/* Frees q's values and leaves it empty (all zero), as never used. */
void flyt__quantile_free(struct quantile *q);
/* Adds src's values to dst (the region's figures from its municipalities'). */
int flyt__quantile_merge(struct quantile *dst, const struct quantile *src);
/* The same figures when nc more episodes were still open at the horizon,
 * cens[0..nc-1] the time each had run by then (sorted here): the mean by
 * Little's law (the time in the window of every episode, those begun
 * before it included as carry, over the number begun in it),
 * median and p90 from the Kaplan-Meier estimate (a lower bound, the
 * longest time observed, where it never reaches the quantile), the maximum
 * over both. nc == 0 gives flyt__quantile_kpis's figures bit for bit. */
void flyt__quantile_kpis_open(struct quantile *q, double *cens, size_t nc, double carry,
                              double *mean, double *median, double *p90, double *max);
/* Kaplan-Meier quantiles p[0..np-1] (the first event time where the
 * survival falls to 1 - p) of q's closed values (sorted: q->x sorted when
 * exact) and the censored times cens[0..nc-1] (ascending). */
void flyt__km_walk(const struct quantile *q, const double *sorted, const double *cens, size_t nc,
                   const double *p, double *out, size_t np);
/* The same over a plain ascending sample closed[0..n-1] (for tests). */
/* Kaplan-Meier's survival at x of the closed values of q (sorted as
 * flyt__km_walk reads them) and the censored times cens (ascending). */
double flyt__km_survival(const struct quantile *q, const double *cens, size_t nc, double x);
void flyt__km_quantiles(const double *closed, size_t n, const double *cens, size_t nc,
                        const double *p, double *out, size_t np);

struct queue {
    uint32_t head, tail, len;
};

/* One unit during a run: its census, its queue (one FIFO per priority
 * class), and its figures over the measured window. */
struct unit_state {
    double cap;      /* beds or hours per week open now; INFINITY when unlimited */
    double *cap_day; /* level by day, then the most from each day on; NULL when constant */
    long n;          /* patients holding a place (clients; the hospital's census) */
    long n_blocked;  /* of whom waiting for their next place */
    double hours_used;
    struct queue *q; /* n_classes */
    uint32_t queued;
    bool over_today; /* the census passed capacity today */
    bool finite;     /* the hospital with a capacity: its census is integrated as it moves;
                        unlimited, its time-average is treatment + UKP (stats.c) */
    /* time-integrals over [warmup, t_last], brought up to date just before
     * the census, the hours or the capacity change (flyt__unit_touch), so
     * an event costs nothing in units it does not touch */
    double t_last;
    double area_n, area_blocked, area_hours, area_over;
    uint64_t admissions, cfs_sum, deaths, waits, within, days_over, days;
    uint64_t admissions_home; /* of admissions: waited at home (in a caseload) */
    uint64_t deaths_waiting;  /* of deaths: while waiting there (discharge-ready, blocked) */
    double wait_sum, by_origin_sum[3];
    uint64_t by_origin_n[3];
    double ukp_wait_sum;
    uint64_t ukp_wait_n;
    /* the part in the window of waits and stays begun before it and ended
     * in it: with the open ones, the time-average census that Little's law
     * divides (stats.c) */
    double carry_wait, carry_origin[3], carry_ukp, carry_los;
    /* in the record, not behind a pointer: every admission adds to one, and
     * a pointer was a second dependent miss in a national region; a unit
     * that never had a value has them all zero (flyt__quantile_used) */
    struct quantile los, wait;
};

/* The follow-ups of UKP patients for ukp_dead_365, from the first ready
 * day to death or to where following stopped (censored), binned by whole
 * days of the first year; those followed past it are only counted. One
 * entry per patient would grow with the window; these stay the same size
 * however long the run (e2e_logs checks that memory stays flat). */
#define FLYT_FOLLOW_DAYS 365
struct follow_bins {
    uint32_t died[FLYT_FOLLOW_DAYS], censored[FLYT_FOLLOW_DAYS];
    uint64_t n, beyond;
};

/* The figures of one municipality (of the whole scenario when it has no
 * municipalities): what the scenario-wide KPIs are computed from. In a
 * region the censuses are integrated as they move (flyt__acct_touch); a
 * file without municipalities integrates them at every event, as it always
 * did (flyt__advance), so its figures stay bit for bit. */
struct account {
    int n_treat, n_ukp;
    double t_last, area_treat, area_ukp;
    struct quantile ukp_waits;
    double wait_home_sum, wait_complex_sum;
    double carry_ukp, carry_complex, carry_home;
    uint64_t wait_home_n, wait_complex_n, arrivals_window;
    uint64_t readmit_num, readmit_den, not_ready_returns;
    uint64_t deaths_waiting, deaths_blocked, cfs_gained, decisions, dest_changed;
    uint64_t n_initial, n_in, n_out, in_system;
    uint64_t deaths, ukp_to_caseload; /* region: what units count for the scenario */
    double pay_days, pay_nok;
    /* UKP patients followed from their first ready day in the window: the
     * time to death (died) or to leaving the model's services or the
     * horizon (censored), for ukp_dead_365 */
    struct follow_bins *fu; /* allocated at the first follow-up */
};

/* One municipality during a run: its arrivals and its streams' prefixes. */
struct muni_state {
    const struct flyt_muni *mu; /* the scenario's, or the model's own view of a plain file */
    struct flyt_stream arrival_rng;
    uint64_t n_arrivals, n_initial_keys;
    double *day_rate; /* arrivals per day, by day */
    uint64_t prefix[FLYT_STREAM_HARM + 1];
    /* The running sums of its shares, added in flyt__index_at's order (so
     * the same numbers): every arrival draws age, frailty and site, and
     * summing the shares each time was a chain of dependent additions. */
    double age_cum[FLYT_MAX_AGE_BANDS], cfs_cum[9], site_cum[FLYT_MAX_SITES];
};

/* UKP census of one municipality at one hospital site, integrated as it
 * moves: the site's bed-days held by discharge-ready patients by home. */
struct site_acc {
    long n;
    double t_last, area;
};

struct model {
    const struct flyt_scenario *s;
    unsigned rep;
    struct flyt_engine *eng;
    gsl_rng *rng;
    struct flyt_result *out;
    bool failed;
    const struct flyt_trace *trace; /* NULL unless logging: see trace.c */

    struct patient *p;
    uint32_t n_pool, cap_pool, free_head;
    uint64_t in_system;
    uint64_t qseq;

    size_t n_rate_days;
    /* by municipality (one for a file without any); in a region each draws
     * from streams keyed by its id (docs/region.md) */
    int n_acc;
    struct muni_state *ms;
    struct account *acct;
    struct flyt_muni plain; /* a plain file's one municipality, as a view */
    int n_sites;
    int *site_of; /* by unit: index among the hospital units, -1 */
    int *site_unit;
    struct site_acc *site_acc; /* [municipality][site] */
    long *quota_n;             /* [unit][municipality] beds held, quota units only */

    struct unit_state *u; /* by unit, as the scenario lists them */

    int n_roles;
    struct role_state role[FLYT_MAX_ROLES];

    /* measured window */
    double t_warm, t_end;
    size_t first_day;
    uint64_t model_events;
    uint64_t days_run; /* EV_DAY events: each catchment runs every day */

    /* The catchment on the calendar now (catchments.c): its units,
     * municipalities and roles, each list in the scenario's order; all of
     * them when the region runs on one calendar. A region whose catchments
     * share nothing runs them one after another, each in the caches. */
    int *cu, n_cu;
    int *ca, n_ca;
    int cr[FLYT_MAX_ROLES], n_cr;
    /* the runaway guard: patients in the system at most (a catchment:
     * run.max_patients less the most the catchments before it held, plus
     * those they left), and the most there were so far */
    uint64_t cap_patients, peak_in;

    /* the payment for discharge-ready patients (payment.c): the whole days
     * [pay_lo, pay_hi) of the window, priced by segment (from day
     * pay_seg_day[i] the rate pay_seg_rate[i]) */
    long pay_lo, pay_hi;
    int n_pay_seg;
    long *pay_seg_day;
    double *pay_seg_rate;
};

static inline struct account *flyt__acct(struct model *m, const struct patient *p)
{
    return &m->acct[p->home];
}

/* Brings a region's municipality census integrals up to now (a plain file
 * integrates them in flyt__advance); call before n_treat or n_ukp moves. */
static inline void flyt__acct_touch(struct model *m, struct account *a, double t)
{
    if (m->s->n_munis == 0)
        return;
    double lo = a->t_last > m->t_warm ? a->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo) {
        a->area_treat += a->n_treat * (hi - lo);
        a->area_ukp += a->n_ukp * (hi - lo);
    }
    if (t > a->t_last)
        a->t_last = t;
}

/* The UKP census of p's municipality at p's site moves by d. */
static inline void flyt__site_ukp(struct model *m, const struct patient *p, int d, double t)
{
    if (m->s->n_munis == 0)
        return;
    struct site_acc *sa =
            &m->site_acc[(size_t)p->home * (size_t)m->n_sites + (size_t)m->site_of[p->site]];
    double lo = sa->t_last > m->t_warm ? sa->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo)
        sa->area += (double)sa->n * (hi - lo);
    if (t > sa->t_last)
        sa->t_last = t;
    sa->n += d;
}

/* Beds of quota unit u that municipality a's patients hold. */
static inline long flyt__quota_held(const struct model *m, int u, int a)
{
    return m->quota_n[(size_t)u * (size_t)m->n_acc + (size_t)a];
}

/* A route's target for patient p: a unit or an exit. */
static inline int flyt__resolve(const struct model *m, const struct patient *p, int to)
{
    return flyt_route_resolve(m->s, to, p->home, p->site);
}

/* payment.c: the payable days of a discharge-ready wait from t_ready to
 * t_receive (the municipality can receive the patient, or the horizon),
 * counted in the measured window and priced by the year of each day. */
int flyt__pay_init(struct model *m);
void flyt__pay_free(struct model *m);
void flyt__pay_wait(struct model *m, const struct patient *p, double t_receive);
/* The waits still open at t_stop, paid up to it. */
void flyt__pay_open(struct model *m, double t_stop);
/* Ends the follow-up of a UKP patient (ukp_dead_365) now: by death, or
 * censored (leaving services alive); nothing when p is not followed. */
void flyt__follow_end(struct model *m, struct patient *p, bool died);
/* x (days or NOK over the measured window) per year. */
double flyt__pay_per_year(const struct model *m, double x);
/* The cost KPIs, once every unit KPI is in (the open waits paid first). */
void flyt__cost_kpis(struct model *m, double t_stop);

/* A kind of unit: how it admits, holds and lets go of a patient
 * (kinds.c lists them; kind_*.c define them). */
struct flyt__unit_kind {
    bool stays; /* a stay is drawn at admission and ends by the unit's outcome */
    bool (*has_room)(const struct model *m, int u, const struct patient *p);
    /* State only (no admission counted): the patient now holds a place in u. */
    void (*enter)(struct model *m, uint32_t id, int u, double los);
    /* Frees the place of a patient who was in u in state, its stay begun at
     * t_unit (< 0: not measured), holding hours there (a caseload's). */
    void (*release)(struct model *m, uint32_t id, int u, uint8_t state, double t_unit,
                    double hours);
    void (*register_handlers)(struct model *m); /* NULL: none of its own */
};
extern const struct flyt__unit_kind flyt__kind_beds, flyt__kind_caseload, flyt__kind_unlimited;
extern const struct flyt__unit_kind *const flyt__kinds[FLYT_N_UNIT_KINDS];
/* kind_beds.c, shared with the other kinds that have stays */
void flyt__release_bed(struct model *m, uint32_t id, int u, uint8_t state, double t_unit,
                       double hours);

/* Brings unit u's time-integrals up to t; call before its census, hours
 * or capacity change. */
static inline void flyt__unit_advance(struct model *m, int u, double t)
{
    struct unit_state *us = &m->u[u];
    double lo = us->t_last > m->t_warm ? us->t_last : m->t_warm;
    double hi = t < m->t_end ? t : m->t_end;
    if (hi > lo) {
        double dt = hi - lo;
        us->area_n += (double)us->n * dt;
        us->area_blocked += (double)us->n_blocked * dt;
        us->area_hours += us->hours_used * dt;
        if ((double)us->n > us->cap)
            us->area_over += ((double)us->n - us->cap) * dt;
    }
    if (t > us->t_last)
        us->t_last = t;
}
static inline void flyt__unit_touch(struct model *m, int u)
{
    flyt__unit_advance(m, u, flyt_engine_now(m->eng));
}

static inline void flyt__hospital_in(struct model *m, int site)
{
    struct unit_state *h = &m->u[site];
    if (h->finite) {
        flyt__unit_touch(m, site);
        if ((double)(h->n + 1) > h->cap)
            h->over_today = true;
    }
    h->n++;
}
static inline void flyt__hospital_out(struct model *m, int site)
{
    struct unit_state *h = &m->u[site];
    if (h->finite)
        flyt__unit_touch(m, site);
    h->n--;
}

/* Helpers every file of the flow uses (flow.c). */
static inline double flyt__now(const struct model *m)
{
    return flyt_engine_now(m->eng);
}
static inline struct patient *flyt__bind(struct model *m, uint32_t id)
{
    flyt_rng_bind(m->rng, &m->p[id].rng);
    return &m->p[id];
}
static inline bool flyt__measured(const struct model *m, double t)
{
    return t >= m->t_warm;
}
static inline const struct flyt_unit *flyt__unit_of(const struct model *m, int u)
{
    return &m->s->units[u];
}
static inline const struct flyt_role *flyt__role_of(const struct model *m, uint8_t r)
{
    return r == NO_ROLE ? NULL : &m->s->roles[r];
}
void flyt__schedule(struct model *m, double t, enum event_kind k, uint32_t id);
void flyt__count_death(struct model *m, uint32_t id, int u);
/* Applies for a place in unit u from where the patient is. */
void flyt__apply_to(struct model *m, uint32_t id, int u);
/* A route drawn from a table (no draw for a fixed one): a unit or an exit. */
int flyt__draw_route(struct model *m, const struct flyt_routes *r, const struct patient *p);

/* plan.c: what the calendar fixes before the run */
int flyt__build_rates(struct model *m);
int flyt__build_capacity(struct model *m);
/* Capacity level of unit u on day d (the scenario's when no schedule). */
double flyt__capacity_on(const struct model *m, int u, size_t d);
/* The highest level of unit u from day d on, past the horizon too (there
 * an upper bound). */
double flyt__capacity_ahead(const struct model *m, int u, size_t d);
bool flyt__role_works(const struct model *m, const struct flyt_role *r, long day);
/* End of `hours` of work started at t, counting shift time only. */
double flyt__add_work(const struct model *m, const struct flyt_role *r, double t, double hours);
/* Shift hours of one person of role r within [a, b]. */
double flyt__shift_hours(const struct model *m, const struct flyt_role *r, double a, double b);
/* Start of the first shift at or after t; INFINITY when none before t_end. */
double flyt__next_shift(const struct model *m, const struct flyt_role *r, double t);

/* coord.c: setup registers the handlers, starts every role's state and
 * books the first shifts of the roles in m->cr; start books the first
 * shifts of m->cr (a region's next catchment). */
int flyt__coord_setup(struct model *m);
int flyt__coord_start(struct model *m);
/* The role that takes a patient's case of kind k (for a stay: in unit u). */
int flyt__coord_role_for(const struct model *m, enum flyt_case_kind k, const struct patient *p,
                         int u);
void flyt__coord_offer(struct model *m, uint32_t id, int role);
/* A patient was admitted to a stay (t_plan is the planned end). */
void flyt__coord_stay_admitted(struct model *m, uint32_t id);
void flyt__coord_withdraw(struct model *m, uint32_t id);
/* The role's person working on a case whose patient died: free for the
 * next case (the case's CASE_DONE is stale by then). */
void flyt__coord_abandon(struct model *m, int role);
void flyt__coord_finish(struct model *m);
uint32_t flyt__coord_queued(const struct model *m);

/* munis.c */
int flyt__munis_init(struct model *m);
void flyt__munis_free(struct model *m);

/* patients.c */
uint32_t flyt__patient_new(struct model *m, int home, enum flyt_stream_class cls, uint64_t index);
void flyt__patient_leave(struct model *m, uint32_t id);
/* Applies to unit u from where the patient is (p->unit). */
void flyt__queue_push(struct model *m, int u, uint32_t id);
void flyt__queue_remove(struct model *m, uint32_t id);
uint32_t flyt__queue_next(const struct model *m, int u);
int flyt__queues_init(struct model *m);
void flyt__queues_free(struct model *m);

/* quantile.c: adds x to q; sets m->failed when out of memory */
void flyt__samples_add(struct model *m, struct quantile *q, double x);

/* stats.c */
void flyt__advance(struct model *m, double now);
/* Adds one to a per-day count series for the day of time t (after warm-up). */
void flyt__count_day(struct model *m, enum flyt_series series, double t);
/* The day that starts at t: closes the last day's count of days over
 * capacity. */
void flyt__day_boundary(struct model *m, size_t day);
void flyt__finish(struct model *m);

/* sim.c: a replication in steps, for runs that start from a census or stop
 * to take one. begin sets up, fills the units (place, or the scenario's
 * initial occupancy when place is NULL) and books the first events; the
 * caller then runs the engine (m->failed or a status other than OK ends
 * it); end computes the figures, frees the state and returns as
 * flyt_model_run. */
typedef void (*flyt__place_fn)(struct model *m, void *arg);
int flyt__model_begin(struct model *m, const struct flyt_scenario *s, unsigned rep,
                      struct flyt_result *out, flyt__place_fn place, void *arg);
int flyt__model_end(struct model *m, int rc);
/* Runs the engine to t (unless the replication already stopped) and turns
 * an engine that was interrupted or stuck into the result's status. */
void flyt__run_engine(struct model *m, double t);

/* catchments.c: a region's catchments (of_muni, of_unit: each one's
 * number, 0..n-1); plan returns n, 1 when the region runs on one calendar
 * (a file without municipalities, a coordinator or shared unit of all,
 * an event budget, flyt_scenario.one_calendar), -1 out of memory. select
 * puts catchment k's units, municipalities and roles in m's lists (k < 0:
 * all of them); lists allocates them, with all, for setup. */
struct flyt__catchments {
    int n;
    int *of_muni, *of_unit;
};
int flyt__catchments_plan(const struct flyt_scenario *s, struct flyt__catchments *c);
void flyt__catchments_free(struct flyt__catchments *c);
void flyt__catchment_select(struct model *m, const struct flyt__catchments *c, int k);
int flyt__catchment_lists(struct model *m);
#define FLYT__ONE_CALENDAR 2 /* sim.c: run_split's "run it whole" */

/* gridlock.c: whether patients wait for places that can never free up (at
 * 00:00 of day, after its capacity change); if so the replication stops
 * with FLYT_RUN_GRIDLOCK and a message naming the day and the units. */
bool flyt__gridlock_check(struct model *m, size_t day);

/* trace.c: hooks for the patient and event logs; free when not tracing */
void flyt__trace_emit(struct model *m, uint32_t id, enum flyt_trace_kind k, int detail);
static inline void flyt__trace(struct model *m, uint32_t id, enum flyt_trace_kind k, int detail)
{
    if (m->trace)
        flyt__trace_emit(m, id, k, detail);
}

/* flow.c */
void flyt__register_handlers(struct model *m);
void flyt__admit_hospital(struct model *m, uint32_t id, bool readmission);
/* Fills unit u's free places from its queue; most calls find nobody
 * waiting, and return here without a call. */
void flyt__place_queued(struct model *m, int u);
static inline void flyt__try_place(struct model *m, int u)
{
    if (m->u[u].queued > 0)
        flyt__place_queued(m, u);
}
/* State only (no admission counted): a stay in unit u of los days, a
 * client of caseload u needing p->hc_hours. */
void flyt__start_stay(struct model *m, uint32_t id, int u, double los);
void flyt__start_client(struct model *m, uint32_t id, int u);
/* A client's next hazard (the application routes off while waiting). */
void flyt__schedule_hazard(struct model *m, uint32_t id);
void flyt__decide(struct model *m, uint32_t id);
void flyt__stay_end(struct model *m, uint32_t id);
/* harm.c: the harm of waiting. A wait starts (discharge-ready in hospital,
 * or blocked in a bed): its death timer, from the group's rate for the
 * place. */
void flyt__harm_wait_start(struct model *m, uint32_t id, bool blocked);
/* Brings the frailty gained while waiting up to now; rearm: the wait goes
 * on, so a new group's death hazard applies from here. */
void flyt__harm_decondition(struct model *m, uint32_t id, bool rearm);
void flyt__harm_handlers(struct model *m);
/* Index of the category a uniform u falls in (flyt__draw_index without the draw). */
int flyt__index_at(double u, const double *p, int n);
/* cum[i] = p[0] + ... + p[i], added in flyt__index_at's order. */
void flyt__running_sums(const double *p, int n, double *cum);
/* The last category with a positive share: where rounding leftovers go. */
int flyt__index_last(const double *p, int n);
/* flyt__index_at with the running sums of p given (bit for bit the same
 * index): counting needs no addition then. */
static inline int flyt__index_cum(double u, const double *cum, const double *p, int n)
{
    int below = 0;
    for (int i = 0; i < n - 1; i++)
        below += cum[i] <= u;
    return below < n - 1 ? below : flyt__index_last(p, n);
}
/* Census changes of the hospital unit; its figures move only here, so
 * that its overflow (beds above capacity, corridor beds) is integrated
 * exactly (flyt__hospital_in/out below). */
/* Draws for levers come from a stream of their own (see FLYT_STREAM_LEVER);
 * they leave m->rng bound to the patient's own stream. */
double flyt__lever_uniform(struct model *m, uint32_t id);
double flyt__lever_sample(struct model *m, uint32_t id, const struct flyt_dist *d);
int flyt__draw_index(gsl_rng *r, const double *p, int n);
/* The end of a delay of d days that starts at t >= 0 and runs on working
 * days (Monday-Friday) only; in closed form. */
double flyt__add_working_days(const struct model *m, double t, double d);

#endif
