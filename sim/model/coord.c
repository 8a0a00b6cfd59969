/* Coordinator roles as people: a headcount working shifts, a FIFO of open
 * cases, and work that pauses when the shift ends. A case is a patient at
 * a stage (discharge-ready in hospital, or in a short-term bed); when a
 * coordinator finishes it, the role's effects apply to that patient.
 *
 * With when_busy = "ordinary" the patient's ordinary process keeps running
 * while the case queues, and whichever comes first wins: the ordinary
 * decision (or stay end) withdraws a queued case, and a coordinator who
 * starts work takes the patient over (the ordinary event is cancelled by
 * bumping the patient's generation). With "wait" the patient waits. */
#include "model/model.h"

#include <math.h>

static inline double now(const struct model *m)
{
    return flyt_engine_now(m->eng);
}

static inline bool measured(const struct model *m, double t)
{
    return t >= m->t_warm && t <= m->t_end;
}

static void schedule(struct model *m, double t, enum event_kind k, uint32_t id, uint32_t tag)
{
    if (t < m->t_end && flyt_engine_schedule(m->eng, t, k, id, tag) != 0) {
        m->failed = true;
        flyt_engine_stop(m->eng);
    }
}

static void queue_push(struct model *m, struct role_state *rs, uint32_t id)
{
    struct patient *p = &m->p[id];
    p->c_next = NIL;
    p->c_prev = rs->tail;
    if (rs->tail != NIL)
        m->p[rs->tail].c_next = id;
    else
        rs->head = id;
    rs->tail = id;
    rs->len++;
}

static void queue_remove(struct model *m, struct role_state *rs, uint32_t id)
{
    struct patient *p = &m->p[id];
    if (p->c_prev != NIL)
        m->p[p->c_prev].c_next = p->c_next;
    else
        rs->head = p->c_next;
    if (p->c_next != NIL)
        m->p[p->c_next].c_prev = p->c_prev;
    else
        rs->tail = p->c_prev;
    rs->len--;
    p->c_prev = p->c_next = NIL;
}

static void start_case(struct model *m, int r, uint32_t id)
{
    const struct flyt_role *role = &m->s->roles[r];
    struct role_state *rs = &m->role[r];
    struct patient *p = &m->p[id];
    double t = now(m);
    rs->idle--;
    p->case_state = CS_WORK;
    if (measured(m, t)) {
        rs->started++;
        rs->wait_sum += t - p->t_case;
    }
    if (role->when_busy == FLYT_BUSY_ORDINARY)
        p->gen++; /* the coordinator takes over: the ordinary event is stale */
    void *caller_stream = m->rng->state;
    flyt_rng_bind(m->rng, &rs->rng);
    double hours = flyt_dist_sample(&role->work_hours, m->rng);
    m->rng->state = caller_stream;
    if (!(hours > 0))
        hours = 0;
    double done = flyt__add_work(m, role, t, hours);
    /* Work happens only in shifts between start and done, so the shift
     * hours in that span are the hours worked, and utilisation can never
     * pass 1. */
    rs->busy_hours += flyt__shift_hours(m, role, fmax(t, m->t_warm), fmin(done, m->t_end));
    schedule(m, done, EV_CASE_DONE, id, p->gen);
}

static void serve_queue(struct model *m, int r)
{
    struct role_state *rs = &m->role[r];
    while (rs->on_shift && rs->idle > 0 && rs->head != NIL) {
        uint32_t id = rs->head;
        queue_remove(m, rs, id);
        start_case(m, r, id);
    }
}

int flyt__coord_role_for(const struct model *m, enum flyt_case_kind k, const struct patient *p,
                         int u)
{
    for (int r = 0; r < m->n_roles; r++) {
        const struct flyt_role *role = &m->s->roles[r];
        if (role->cases == k && role->headcount > 0 && role->takes_group[p->group] &&
            (k == FLYT_CASE_UKP || role->case_unit == u) &&
            (role->muni < 0 || role->muni == p->home))
            return r;
    }
    return -1;
}

void flyt__coord_offer(struct model *m, uint32_t id, int r)
{
    struct patient *p = &m->p[id];
    struct role_state *rs = &m->role[r];
    p->role = (uint8_t)r;
    p->t_case = now(m);
    p->case_state = CS_QUEUED;
    if (measured(m, p->t_case))
        rs->offered++;
    queue_push(m, rs, id);
    serve_queue(m, r);
}

void flyt__coord_stay_admitted(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    int r = flyt__coord_role_for(m, FLYT_CASE_STAY, p, p->unit);
    if (r < 0)
        return;
    double lead = m->s->roles[r].lead_days;
    double open = lead < 0 ? now(m) : fmax(now(m), p->t_plan - lead);
    if (open <= now(m))
        flyt__coord_offer(m, id, r);
    else
        schedule(m, open, EV_CASE_OPEN, id, p->gen);
}

/* Booked after the stay's end with the same generation, so an end at the
 * same moment comes first and the case never opens. */
static void on_case_open(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag || p->state != PS_STAY || p->case_state != CS_NONE)
        return;
    int r = flyt__coord_role_for(m, FLYT_CASE_STAY, p, p->unit);
    if (r >= 0)
        flyt__coord_offer(m, ev->id, r);
}

void flyt__coord_withdraw(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    if (p->case_state != CS_QUEUED)
        return;
    struct role_state *rs = &m->role[p->role];
    queue_remove(m, rs, id);
    p->case_state = CS_NONE;
    if (measured(m, now(m)))
        rs->withdrawn++;
}

uint32_t flyt__coord_queued(const struct model *m)
{
    uint32_t n = 0;
    for (int k = 0; k < m->n_cr; k++)
        n += m->role[m->cr[k]].len;
    return n;
}

static void ukp_case_done(struct model *m, uint32_t id, const struct flyt_role *role)
{
    struct patient *p = &m->p[id];
    double t = now(m);
    double at = p->t_plan > t ? p->t_plan : t;
    if (role->has_decision_delay)
        at = t + fmax(0.0, flyt__lever_sample(m, id, &role->decision_delay));
    if (at <= t)
        flyt__decide(m, id);
    else
        schedule(m, at, EV_DECISION, id, p->gen);
}

static void st_case_done(struct model *m, uint32_t id, const struct flyt_role *role)
{
    struct patient *p = &m->p[id];
    double t = now(m);
    if (p->end_due) {
        flyt__stay_end(m, id);
        return;
    }
    bool pending = role->when_busy == FLYT_BUSY_WAIT; /* the ordinary end is still booked */
    if (pending && role->los_factor == 1.0)
        return;
    double end = p->t_plan;
    if (role->los_factor != 1.0 && p->t_unit >= 0)
        end = p->t_unit + role->los_factor * (p->t_plan - p->t_unit);
    if (pending)
        p->gen++;
    if (end <= t)
        flyt__stay_end(m, id);
    else
        schedule(m, end, EV_STAY_END, id, p->gen);
}

static void on_case_done(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag || p->case_state != CS_WORK)
        return;
    flyt__advance(m, now(m));
    int r = p->role;
    struct role_state *rs = &m->role[r];
    const struct flyt_role *role = &m->s->roles[r];
    rs->idle++;
    p->case_state = CS_DONE;
    flyt__trace(m, ev->id, FLYT_TRACE_CASE_DONE, r);
    if (measured(m, now(m)))
        rs->handled++;
    if (role->cases == FLYT_CASE_UKP) {
        p->ukp_role = (uint8_t)r;
        ukp_case_done(m, ev->id, role);
    } else {
        p->st_role = (uint8_t)r;
        st_case_done(m, ev->id, role);
    }
    serve_queue(m, r);
}

static void schedule_shift(struct model *m, int r, double t)
{
    double start = flyt__next_shift(m, &m->s->roles[r], t);
    if (isfinite(start))
        schedule(m, start, EV_SHIFT, (uint32_t)r, 1);
}

static void on_shift(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    int r = (int)ev->id;
    const struct flyt_role *role = &m->s->roles[r];
    struct role_state *rs = &m->role[r];
    double t = now(m);
    if (ev->tag == 1) {
        rs->on_shift = true;
        double day = floor(t);
        schedule(m, day + role->shift_to / 24.0, EV_SHIFT, (uint32_t)r, 0);
        serve_queue(m, r);
    } else {
        rs->on_shift = false;
        schedule_shift(m, r, t);
    }
}

static void coord_handlers(struct model *m)
{
    flyt_engine_on(m->eng, EV_CASE_DONE, on_case_done);
    flyt_engine_on(m->eng, EV_SHIFT, on_shift);
    flyt_engine_on(m->eng, EV_CASE_OPEN, on_case_open);
}

int flyt__coord_start(struct model *m)
{
    for (int k = 0; k < m->n_cr; k++)
        if (m->s->roles[m->cr[k]].headcount > 0)
            schedule_shift(m, m->cr[k], 0.0);
    return m->failed ? -1 : 0;
}

int flyt__coord_setup(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    m->n_roles = s->n_roles;
    coord_handlers(m);
    for (int r = 0; r < m->n_roles; r++) {
        const struct flyt_role *role = &s->roles[r];
        struct role_state *rs = &m->role[r];
        rs->head = rs->tail = NIL;
        rs->idle = role->headcount;
        if (role->muni < 0) {
            flyt_stream_seed(&rs->rng, s->seed, m->rep, FLYT_STREAM_ROLE, (uint64_t)r);
        } else { /* keyed by the municipality and the role's place among its own */
            int first = r;
            while (first > 0 && s->roles[first - 1].muni == role->muni)
                first--;
            flyt_stream_seed_at(&rs->rng, m->ms[role->muni].prefix[FLYT_STREAM_ROLE],
                                (uint64_t)(r - first));
        }
        rs->sched_hours = role->headcount * flyt__shift_hours(m, role, m->t_warm, m->t_end);
    }
    /* the first shifts after every role's state: no role's start reads
     * another's, so the events are booked in the order they always were */
    return flyt__coord_start(m);
}

void flyt__coord_finish(struct model *m)
{
    struct flyt_result *out = m->out;
    out->n_roles = (unsigned)m->n_roles;
    double handled = 0, busy = 0, sched = 0;
    double t_stop = out->status == FLYT_RUN_OK ? m->t_end : flyt_engine_now(m->eng);
    for (int r = 0; r < m->n_roles; r++) {
        const struct role_state *rs = &m->role[r];
        double *k = out->role_kpi[r];
        /* cases still queued at the horizon count with their wait so far
         * (censored there), as a wait that ended then would */
        double open_sum = 0;
        uint64_t n_open = 0;
        for (uint32_t id = rs->head; id != NIL; id = m->p[id].c_next) {
            open_sum += t_stop - m->p[id].t_case;
            n_open++;
        }
        k[FLYT_ROLE_KPI_cases_offered] = (double)rs->offered;
        k[FLYT_ROLE_KPI_cases_handled] = (double)rs->handled;
        k[FLYT_ROLE_KPI_cases_withdrawn] = (double)rs->withdrawn;
        k[FLYT_ROLE_KPI_queue_wait_mean] =
                n_open == 0 ? (rs->started ? rs->wait_sum / (double)rs->started : NAN)
                            : (rs->wait_sum + open_sum) / (double)(rs->started + n_open);
        k[FLYT_ROLE_KPI_cases_queued_at_end] = (double)n_open;
        k[FLYT_ROLE_KPI_work_hours] = rs->busy_hours;
        k[FLYT_ROLE_KPI_utilisation] = rs->sched_hours > 0 ? rs->busy_hours / rs->sched_hours : NAN;
        handled += (double)rs->handled;
        busy += rs->busy_hours;
        sched += rs->sched_hours;
    }
    out->kpi[FLYT_KPI_coord_cases_handled] = handled;
    out->kpi[FLYT_KPI_coord_utilisation] = sched > 0 ? busy / sched : NAN;
    for (unsigned a = 0; a < out->n_munis; a++) {
        double h = 0, b = 0, sc = 0;
        for (int r = 0; r < m->n_roles; r++)
            if (m->s->roles[r].muni == (int)a) {
                h += (double)m->role[r].handled;
                b += m->role[r].busy_hours;
                sc += m->role[r].sched_hours;
            }
        double *k = flyt_result_muni_kpi(out, a);
        k[FLYT_KPI_coord_cases_handled] = h;
        k[FLYT_KPI_coord_utilisation] = sc > 0 ? b / sc : NAN;
    }
}

void flyt__coord_abandon(struct model *m, int r)
{
    m->role[r].idle++;
    serve_queue(m, r);
}
