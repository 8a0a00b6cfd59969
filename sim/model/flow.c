/* The patient's path: one handler per event kind, and the moves between
 * places. Every draw for a patient comes from that patient's own stream
 * (bound to m->rng before drawing), so a change elsewhere in the scenario
 * does not change which random numbers this patient sees. */
#include "model/model.h"

#include <math.h>

static inline double now(const struct model *m)
{
    return flyt_engine_now(m->eng);
}

static inline struct patient *bind(struct model *m, uint32_t id)
{
    flyt_rng_bind(m->rng, &m->p[id].rng);
    return &m->p[id];
}

static inline const struct flyt_group *grp(const struct model *m, const struct patient *p)
{
    return &m->s->groups[p->group];
}

static struct flyt_stream *lever_stream(struct model *m, uint32_t id, struct flyt_stream *st)
{
    struct patient *p = &m->p[id];
    flyt_stream_seed_at(st, m->stream_prefix[FLYT_STREAM_LEVER], (p->key << 16) | p->n_lever++);
    return st;
}

double flyt__lever_uniform(struct model *m, uint32_t id)
{
    struct flyt_stream st;
    void *caller_stream = m->rng->state;
    flyt_rng_bind(m->rng, lever_stream(m, id, &st));
    double u = flyt_rng_uniform(m->rng);
    m->rng->state = caller_stream;
    return u;
}

double flyt__lever_sample(struct model *m, uint32_t id, const struct flyt_dist *d)
{
    struct flyt_stream st;
    void *caller_stream = m->rng->state;
    flyt_rng_bind(m->rng, lever_stream(m, id, &st));
    double x = flyt_dist_sample(d, m->rng);
    m->rng->state = caller_stream;
    return x;
}

static inline const struct flyt_role *role_of(const struct model *m, uint8_t r)
{
    return r == NO_ROLE ? NULL : &m->s->roles[r];
}

static void schedule(struct model *m, double t, enum event_kind k, uint32_t id)
{
    if (flyt_engine_schedule(m->eng, t, k, id, id == NIL ? 0 : m->p[id].gen) != 0) {
        m->failed = true;
        flyt_engine_stop(m->eng);
    }
}

/* The first category whose running share exceeds a uniform draw. The
 * categories are counted rather than searched: the shares' running sums
 * rise, so the first one above u is the number of those at or below it, and
 * counting has no branch to mispredict (a search mispredicted on most
 * draws of a nine-way frailty mix). */
int flyt__draw_index(gsl_rng *r, const double *p, int n)
{
    double u = flyt_rng_uniform(r), acc = 0;
    int below = 0;
    for (int i = 0; i < n - 1; i++) {
        acc += p[i];
        below += acc <= u;
    }
    if (below < n - 1)
        return below;
    /* the last category with a positive share takes rounding leftovers */
    for (int i = n - 1; i > 0; i--)
        if (p[i] > 0)
            return i;
    return 0;
}

static inline bool weekday(const struct model *m, double t)
{
    return ((size_t)m->s->start_weekday + (size_t)t) % 7 < 5;
}

/* The working day n working days after day d (n = 0: d itself, or the
 * Monday after it when d falls on a weekend). */
static double nth_working_day(const struct model *m, double d, double n)
{
    int w = (int)(((size_t)m->s->start_weekday + (size_t)d) % 7);
    if (w >= 5) {
        d += 7 - w;
        w = 0;
    }
    double weeks = floor(n / 5.0);
    int rest = (int)(n - 5.0 * weeks);
    return d + 7.0 * weeks + rest + (w + rest >= 5 ? 2 : 0);
}

/* A delay that runs on working days only: weekend hours do not count. In
 * closed form (a long delay cost one loop turn per day): the rest of
 * today, then whole working days, then the part of the last one. Each
 * whole day takes exactly 1.0 off d, so d - n is what counting them off
 * one by one would leave. */
double flyt__add_working_days(const struct model *m, double t, double d)
{
    double day_end = floor(t) + 1.0;
    if (weekday(m, t)) {
        if (d <= day_end - t)
            return t + d;
        d -= day_end - t;
    }
    if (!(d < 1e15))
        return t + d * 1.4; /* past any horizon: whole days no longer count exactly */
    double n = d > 1.0 ? ceil(d - 1.0) : 0.0;
    return nth_working_day(m, day_end, n) + (d - n);
}

static inline bool measured(const struct model *m, double t)
{
    return t >= m->t_warm;
}

static void count_death(struct model *m, uint32_t id, int place)
{
    flyt__trace(m, id, FLYT_TRACE_DEATH, place);
    if (measured(m, now(m)))
        m->deaths[place]++;
}

/* ---- hospital ---- */

void flyt__admit_hospital(struct model *m, uint32_t id, bool readmission)
{
    struct patient *p = bind(m, id);
    double t = now(m);
    flyt__trace(m, id, readmission ? FLYT_TRACE_READMISSION : FLYT_TRACE_ARRIVAL, 0);
    if (readmission && p->t_discharge >= m->t_warm &&
        p->t_discharge <= m->t_end - m->s->readmission_window_days &&
        t - p->t_discharge <= m->s->readmission_window_days)
        m->readmit_num++;
    p->t_discharge = -1;
    p->gen++; /* whatever was pending for the last place is over */
    p->role = p->ukp_role = p->st_role = NO_ROLE;
    p->case_state = CS_NONE;
    p->not_ready = p->end_due = 0;
    p->state = PS_TREATMENT;
    p->t_state = t;
    m->n_treat++;
    schedule(m, t + flyt_dist_sample(&grp(m, p)->hosp_los, m->rng), EV_TREAT_END, id);
}

/* Leaving hospital alive; discharges to municipal services open a window
 * in which a return counts as a readmission. */
static void leave_hospital(struct model *m, struct patient *p, bool to_services)
{
    double t = now(m);
    flyt__count_day(m, FLYT_SERIES_discharges, t);
    if (to_services) {
        p->t_discharge = t;
        if (t >= m->t_warm && t <= m->t_end - m->s->readmission_window_days)
            m->readmit_den++;
    }
}

static void end_ukp_wait(struct model *m, struct patient *p, int dest)
{
    double t = now(m);
    flyt__trace(m, (uint32_t)(p - m->p), FLYT_TRACE_UKP_END, dest);
    m->n_ukp--;
    if (measured(m, p->t_ready)) {
        flyt__samples_add(m, &m->ukp_waits, t - p->t_ready);
        m->wait_sum[dest] += t - p->t_ready;
        m->wait_n[dest]++;
    }
}

void flyt__decide(struct model *m, uint32_t id)
{
    struct patient *p = bind(m, id);
    const struct flyt_group *g = grp(m, p);
    const struct flyt_role *role = role_of(m, p->ukp_role);
    const double *dest_p =
            p->ukp_role != NO_ROLE && role->has_destination ? role->dest_p[p->group] : g->dest_p;
    int dest = flyt__draw_index(m->rng, dest_p, FLYT_N_DEST);
    p->dest = (uint8_t)dest;
    p->state = PS_WAITING;
    flyt__trace(m, id, FLYT_TRACE_DECISION, dest);
    switch (dest) {
    case FLYT_DEST_HOME:
        end_ukp_wait(m, p, dest);
        leave_hospital(m, p, false);
        flyt__patient_leave(m, id);
        return;
    case FLYT_DEST_HOME_CARE:
        p->hc_hours = flyt_dist_sample(&g->hc_hours, m->rng);
        flyt__queue_push(m, U_HOME_CARE, FLYT_FROM_HOSPITAL, id);
        flyt__try_place(m, U_HOME_CARE);
        return;
    case FLYT_DEST_SHORT_TERM:
        flyt__queue_push(m, U_SHORT_TERM, FLYT_FROM_HOSPITAL, id);
        flyt__try_place(m, U_SHORT_TERM);
        return;
    default:
        flyt__queue_push(m, U_NURSING_HOME, FLYT_FROM_HOSPITAL, id);
        flyt__try_place(m, U_NURSING_HOME);
        return;
    }
}

static void on_treat_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    flyt__advance(m, now(m));
    struct patient *p = bind(m, ev->id);
    const struct flyt_group *g = grp(m, p);
    double t = now(m);
    m->model_events++;
    m->n_treat--;
    if (flyt_rng_uniform(m->rng) < g->p_death_hosp) {
        count_death(m, ev->id, 0);
        flyt__patient_leave(m, ev->id);
        return;
    }
    if (!(flyt_rng_uniform(m->rng) < g->p_ukp)) {
        leave_hospital(m, p, false); /* home with unchanged services */
        flyt__patient_leave(m, ev->id);
        return;
    }
    p->t_ready = t;
    m->n_ukp++;
    flyt__trace(m, ev->id, FLYT_TRACE_READY, 0);
    if (p->complex) {
        p->state = PS_COMPLEX;
        schedule(m, t + flyt_dist_sample(&m->s->complex_wait, m->rng), EV_COMPLEX_END, ev->id);
        return;
    }
    p->state = PS_DECIDING;
    double d = flyt_dist_sample(&m->s->decision_delay, m->rng);
    bool at_once = d <= 0 && (!m->s->working_days_only || weekday(m, t));
    double t_decide = at_once                   ? t
                      : m->s->working_days_only ? flyt__add_working_days(m, t, d)
                                                : t + d;
    int r = flyt__coord_role_for(m, FLYT_CASE_UKP, p);
    bool wait = r >= 0 && m->s->roles[r].when_busy == FLYT_BUSY_WAIT;
    if (r >= 0 && (wait || !at_once)) {
        p->t_plan = t_decide;
        if (!wait) /* booked first: a coordinator who starts at once cancels it */
            schedule(m, t_decide, EV_DECISION, ev->id);
        flyt__coord_offer(m, ev->id, r);
        return;
    }
    if (at_once)
        flyt__decide(m, ev->id);
    else
        schedule(m, t_decide, EV_DECISION, ev->id);
}

static void on_decision(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    if (m->p[ev->id].gen != ev->tag)
        return; /* a coordinator took the case over */
    flyt__advance(m, now(m));
    flyt__coord_withdraw(m, ev->id);
    flyt__decide(m, ev->id);
}

static void on_complex_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    flyt__advance(m, now(m));
    m->model_events++;
    end_ukp_wait(m, &m->p[ev->id], FLYT_N_DEST);
    leave_hospital(m, &m->p[ev->id], false);
    flyt__patient_leave(m, ev->id);
}

/* ---- short-term beds ---- */

/* State only: admit() counts the admission, so that stays placed at time 0
 * (sim.c, census.c) are never admissions, whatever the warm-up. */
void flyt__start_st(struct model *m, uint32_t id, double los)
{
    struct patient *p = &m->p[id];
    double t = now(m);
    p->state = PS_SHORT_TERM;
    p->t_unit = t;
    p->t_state = t;
    m->n_st++;
    schedule(m, t + los, EV_ST_END, id);
}

static void free_st_bed(struct model *m, struct patient *p)
{
    double t = now(m);
    flyt__trace(m, (uint32_t)(p - m->p), FLYT_TRACE_ST_END, 0);
    m->n_st--;
    if (p->t_unit >= 0 && measured(m, p->t_unit))
        flyt__samples_add(m, &m->st_los, t - p->t_unit);
    p->t_unit = -1;
}

static void on_st_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag)
        return; /* a coordinator moved the end */
    if (p->case_state == CS_QUEUED || p->case_state == CS_WORK) {
        if (m->s->roles[p->role].when_busy == FLYT_BUSY_WAIT) {
            p->end_due = 1; /* the bed is held until the coordinator is done */
            return;
        }
        flyt__advance(m, now(m));
        flyt__coord_withdraw(m, ev->id);
    }
    flyt__st_end(m, ev->id);
}

void flyt__st_end(struct model *m, uint32_t id)
{
    flyt__advance(m, now(m));
    struct patient *p = bind(m, id);
    const struct flyt_group *g = grp(m, p);
    const struct flyt_role *role = role_of(m, p->st_role);
    m->model_events++;
    int out = flyt__draw_index(m->rng,
                               p->st_role != NO_ROLE && role->has_outcome ? role->st_out_p[p->group]
                                                                          : g->st_out_p,
                               FLYT_N_STO);
    if (p->not_ready) {
        out = FLYT_STO_HOSPITAL; /* drawn all the same, so later draws stay aligned */
        flyt__trace(m, id, FLYT_TRACE_NOT_READY, 0);
        if (measured(m, now(m)))
            m->not_ready_returns++;
    }
    p->end_due = 0;
    switch (out) {
    case FLYT_STO_HOME_CARE:
        p->state = PS_ST_BLOCKED;
        p->hc_hours = flyt_dist_sample(&g->hc_hours, m->rng);
        flyt__queue_push(m, U_HOME_CARE, FLYT_FROM_SHORT_TERM, id);
        flyt__try_place(m, U_HOME_CARE);
        return;
    case FLYT_STO_NURSING_HOME:
        p->state = PS_ST_BLOCKED;
        flyt__queue_push(m, U_NURSING_HOME, FLYT_FROM_SHORT_TERM, id);
        flyt__try_place(m, U_NURSING_HOME);
        return;
    case FLYT_STO_HOSPITAL:
        free_st_bed(m, p);
        flyt__admit_hospital(m, id, true);
        break;
    case FLYT_STO_DEATH:
        free_st_bed(m, p);
        count_death(m, id, 1);
        flyt__patient_leave(m, id);
        break;
    default:
        free_st_bed(m, p);
        flyt__patient_leave(m, id);
        break;
    }
    flyt__try_place(m, U_SHORT_TERM);
}

/* ---- nursing homes ---- */

void flyt__start_nh(struct model *m, uint32_t id, double los)
{
    struct patient *p = &m->p[id];
    p->state = PS_NURSING;
    p->t_state = now(m);
    m->n_nh++;
    schedule(m, now(m) + los, EV_NH_END, id);
}

static void on_nh_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    flyt__advance(m, now(m));
    m->model_events++;
    m->n_nh--;
    count_death(m, ev->id, 2);
    flyt__patient_leave(m, ev->id);
    flyt__try_place(m, U_NURSING_HOME);
}

/* ---- home care ---- */

static void schedule_hazard(struct model *m, uint32_t id)
{
    struct patient *p = bind(m, id);
    const double *r = grp(m, p)->hc_rate_per_year;
    double total = r[FLYT_HCO_HOSPITAL] + r[FLYT_HCO_DEATH] + r[FLYT_HCO_END];
    if (p->state == PS_HOME_CARE)
        total += r[FLYT_HCO_NURSING_HOME];
    if (total > 0)
        schedule(m, now(m) + flyt_rng_exponential(m->rng, 365.0 / total), EV_HC_HAZARD, id);
}

void flyt__start_hc(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    p->state = PS_HOME_CARE;
    p->t_state = now(m);
    m->n_hc++;
    m->hc_hours_used += p->hc_hours;
    schedule_hazard(m, id);
}

static void free_hc(struct model *m, struct patient *p)
{
    m->n_hc--;
    m->hc_hours_used -= p->hc_hours;
    if (m->n_hc == 0)
        m->hc_hours_used = 0; /* no drift from rounding */
}

static void on_hc_hazard(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag)
        return; /* the patient moved on; this hazard no longer applies */
    flyt__advance(m, now(m));
    bind(m, ev->id);
    m->model_events++;
    double r[FLYT_N_HCO];
    for (int i = 0; i < FLYT_N_HCO; i++)
        r[i] = grp(m, p)->hc_rate_per_year[i];
    if (p->state == PS_HC_WAIT_NH)
        r[FLYT_HCO_NURSING_HOME] = 0;
    double total = r[0] + r[1] + r[2] + r[3];
    for (int i = 0; i < FLYT_N_HCO; i++)
        r[i] /= total;
    int out = flyt__draw_index(m->rng, r, FLYT_N_HCO);
    if (out == FLYT_HCO_NURSING_HOME) {
        p->state = PS_HC_WAIT_NH;
        flyt__queue_push(m, U_NURSING_HOME, FLYT_FROM_HOME, ev->id);
        schedule_hazard(m, ev->id);
        flyt__try_place(m, U_NURSING_HOME);
        return;
    }
    free_hc(m, p);
    if (p->queue_unit != N_UNITS)
        flyt__queue_remove(m, ev->id); /* no ghost left in the nursing-home queue */
    if (out == FLYT_HCO_HOSPITAL) {
        flyt__admit_hospital(m, ev->id, true);
    } else {
        if (out == FLYT_HCO_DEATH)
            count_death(m, ev->id, 3);
        flyt__patient_leave(m, ev->id);
    }
    flyt__try_place(m, U_HOME_CARE);
}

/* ---- not really discharge-ready ---- */

/* Whether a patient leaving hospital for home care or a short-term bed
 * will be sent back; the draw is a lever draw, made only when it can
 * matter. */
static bool sent_back(struct model *m, uint32_t id)
{
    const struct patient *p = &m->p[id];
    const struct flyt_role *role = role_of(m, p->ukp_role);
    double pr = role && role->has_not_ready ? role->p_not_ready[p->group] : grp(m, p)->p_not_ready;
    return pr > 0 && flyt__lever_uniform(m, id) < pr;
}

static void on_not_ready(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag || (p->state != PS_HOME_CARE && p->state != PS_HC_WAIT_NH))
        return;
    flyt__advance(m, now(m));
    m->model_events++;
    free_hc(m, p);
    if (p->queue_unit != N_UNITS)
        flyt__queue_remove(m, ev->id);
    flyt__trace(m, ev->id, FLYT_TRACE_NOT_READY, 0);
    if (measured(m, now(m)))
        m->not_ready_returns++;
    flyt__admit_hospital(m, ev->id, true);
    flyt__try_place(m, U_HOME_CARE);
}

/* ---- placement ---- */

static bool has_room(const struct model *m, enum unit u, const struct patient *p)
{
    switch (u) {
    case U_SHORT_TERM:
        return m->n_st < m->cap[U_SHORT_TERM];
    case U_NURSING_HOME:
        return m->n_nh < m->cap[U_NURSING_HOME];
    default:
        return m->hc_hours_used + p->hc_hours <= m->hc_capacity + 1e-9;
    }
}

/* Where the patient was before the move frees its place. */
static void leave_origin(struct model *m, uint32_t id, int origin, int dest)
{
    struct patient *p = &m->p[id];
    if (origin == FLYT_FROM_HOSPITAL) {
        end_ukp_wait(m, p, dest);
        leave_hospital(m, p, true);
    } else if (origin == FLYT_FROM_SHORT_TERM) {
        free_st_bed(m, p);
        flyt__try_place(m, U_SHORT_TERM);
    } else {
        free_hc(m, p);
        flyt__try_place(m, U_HOME_CARE);
    }
}

static void admit(struct model *m, enum unit u, uint32_t id)
{
    struct patient *p = bind(m, id);
    int origin = p->queue_origin;
    double t = now(m);
    flyt__queue_remove(m, id);
    flyt__trace(m, id, FLYT_TRACE_ADMIT, (int)u);
    /* Admissions count by when they happen, like every count; a wait counts
     * by when it began, like UKP waits and short-term stays, so a patient
     * queued in the warm-up and admitted after it is an admission of the
     * window but not one of its waits (docs/kpis.md). Stays that began before
     * time 0 are placed, not admitted, and never pass through here. */
    if (measured(m, t)) {
        if (u == U_NURSING_HOME)
            m->nh_admissions++;
        if (u == U_SHORT_TERM) {
            m->st_admissions++;
            m->st_cfs_sum += p->cfs;
        }
    }
    if (u == U_NURSING_HOME && measured(m, p->t_queue)) {
        m->nh_waits++;
        m->nh_wait_sum += t - p->t_queue;
        if (t - p->t_queue <= m->s->nh_target_days)
            m->nh_within++;
    }
    static const int dest_of_unit[N_UNITS] = { FLYT_DEST_SHORT_TERM, FLYT_DEST_NURSING_HOME,
                                               FLYT_DEST_HOME_CARE };
    const struct flyt_group *g = grp(m, p);
    /* Draw the stay before the origin's bookkeeping so the draw order is the
     * same whatever the origin. */
    double los = u == U_SHORT_TERM     ? flyt_dist_sample(&g->st_los, m->rng)
                 : u == U_NURSING_HOME ? flyt_dist_sample(&g->nh_los, m->rng)
                                       : 0.0;
    if (origin == FLYT_FROM_HOME)
        p->gen++; /* cancels the pending home-care hazard */
    bool back = origin == FLYT_FROM_HOSPITAL && u != U_NURSING_HOME && sent_back(m, id);
    if (u == U_SHORT_TERM) {
        const struct flyt_role *role = role_of(m, p->ukp_role);
        if (role)
            los *= role->st_los_factor;
        if (back) {
            p->not_ready = 1;
            los = fmin(los, fmax(0.0, flyt__lever_sample(m, id, &m->s->not_ready_days)));
        }
        p->st_role = NO_ROLE;
        p->end_due = 0;
        flyt__start_st(m, id, los);
        p->t_plan = t + los;
    } else if (u == U_NURSING_HOME) {
        flyt__start_nh(m, id, los);
    } else {
        m->p[id].state = PS_HOME_CARE; /* set before the origin is freed */
    }
    leave_origin(m, id, origin, dest_of_unit[u]);
    if (u == U_HOME_CARE) {
        flyt__start_hc(m, id);
        if (back)
            schedule(m, t + fmax(0.0, flyt__lever_sample(m, id, &m->s->not_ready_days)),
                     EV_NOT_READY, id);
    }
    if (u == U_SHORT_TERM) {
        flyt__coord_st_admitted(m, id);
    }
}

/* Fills free places from the queue. Strict FIFO home care waits for its
 * head even if a smaller request behind it would fit; first fit takes the
 * longest-waiting request that fits. */
void flyt__try_place(struct model *m, enum unit u)
{
    if (!m->s->admissions_on_weekends && !weekday(m, now(m)))
        return;
    for (;;) {
        uint32_t id = flyt__queue_next(m, u);
        if (id == NIL)
            return;
        if (!has_room(m, u, &m->p[id])) {
            if (u != U_HOME_CARE || m->s->hc_queue != FLYT_HCQ_FIRST_FIT)
                return;
            id = NIL;
            for (int o = 0; o < FLYT_N_ORIGIN; o++)
                for (uint32_t c = m->q[u][o].head; c != NIL; c = m->p[c].q_next)
                    if (has_room(m, u, &m->p[c]) && (id == NIL || m->p[c].qseq < m->p[id].qseq))
                        id = c;
            if (id == NIL)
                return;
        }
        admit(m, u, id);
    }
}

void flyt__register_handlers(struct model *m)
{
    flyt_engine_on(m->eng, EV_TREAT_END, on_treat_end);
    flyt_engine_on(m->eng, EV_DECISION, on_decision);
    flyt_engine_on(m->eng, EV_COMPLEX_END, on_complex_end);
    flyt_engine_on(m->eng, EV_ST_END, on_st_end);
    flyt_engine_on(m->eng, EV_NH_END, on_nh_end);
    flyt_engine_on(m->eng, EV_HC_HAZARD, on_hc_hazard);
    flyt_engine_on(m->eng, EV_NOT_READY, on_not_ready);
}
