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
    flyt_stream_seed_at(st, m->ms[p->home].prefix[FLYT_STREAM_LEVER],
                        (p->key << 16) | p->n_lever++);
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

void flyt__schedule(struct model *m, double t, enum event_kind k, uint32_t id)
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
    return flyt__index_at(flyt_rng_uniform(r), p, n);
}

int flyt__index_at(double u, const double *p, int n)
{
    double acc = 0;
    int below = 0;
    for (int i = 0; i < n - 1; i++) {
        acc += p[i];
        below += acc <= u;
    }
    return below < n - 1 ? below : flyt__index_last(p, n);
}

int flyt__index_last(const double *p, int n)
{
    for (int i = n - 1; i > 0; i--)
        if (p[i] > 0)
            return i;
    return 0;
}

void flyt__running_sums(const double *p, int n, double *cum)
{
    double acc = 0;
    for (int i = 0; i < n; i++) {
        acc += p[i];
        cum[i] = acc;
    }
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

static inline const struct flyt_unit *unit_of(const struct model *m, int u)
{
    return &m->s->units[u];
}

void flyt__count_death(struct model *m, uint32_t id, int u)
{
    flyt__trace(m, id, FLYT_TRACE_DEATH, u);
    flyt__follow_end(m, &m->p[id], true);
    if (measured(m, now(m))) {
        m->u[u].deaths++;
        flyt__acct(m, &m->p[id])->deaths++;
    }
}

/* ---- hospital ---- */

void flyt__admit_hospital(struct model *m, uint32_t id, bool readmission)
{
    struct patient *p = bind(m, id);
    struct account *a = flyt__acct(m, p);
    double t = now(m);
    flyt__trace(m, id, readmission ? FLYT_TRACE_READMISSION : FLYT_TRACE_ARRIVAL, 0);
    if (readmission && p->t_discharge >= m->t_warm &&
        p->t_discharge <= m->t_end - m->s->readmission_window_days &&
        t - p->t_discharge <= m->s->readmission_window_days)
        a->readmit_num++;
    p->t_discharge = -1;
    p->gen++; /* whatever was pending for the last place is over */
    p->role = p->ukp_role = p->st_role = NO_ROLE;
    p->case_state = CS_NONE;
    p->not_ready = p->end_due = 0;
    p->state = PS_TREATMENT;
    p->unit = p->site;
    p->t_state = t;
    flyt__acct_touch(m, a, t);
    a->n_treat++;
    if (measured(m, t)) {
        m->u[p->site].admissions++;
        m->u[p->site].cfs_sum += p->cfs;
    }
    flyt__hospital_in(m, p->site);
    flyt__schedule(m, t + flyt_dist_sample(&grp(m, p)->hosp_los, m->rng), EV_TREAT_END, id);
}

/* Leaving hospital alive; discharges to municipal services open a window
 * in which a return counts as a readmission. */
static void leave_hospital(struct model *m, struct patient *p, bool to_services)
{
    double t = now(m);
    flyt__hospital_out(m, p->site);
    flyt__count_day(m, FLYT_SERIES_discharges, t);
    if (to_services) {
        p->t_discharge = t;
        if (t >= m->t_warm && t <= m->t_end - m->s->readmission_window_days)
            flyt__acct(m, p)->readmit_den++;
    }
}

/* dest: a unit, FLYT_ROUTE_HOME, or -3 for a complex patient's special
 * placement. */
#define DEST_COMPLEX (-3)

static void end_ukp_wait(struct model *m, struct patient *p, int dest)
{
    double t = now(m);
    flyt__harm_decondition(m, (uint32_t)(p - m->p), false);
    p->t_die = INFINITY;
    flyt__trace(m, (uint32_t)(p - m->p), FLYT_TRACE_UKP_END,
                dest >= 0                 ? dest
                : dest == FLYT_ROUTE_HOME ? FLYT_TRACE_TO_HOME
                                          : FLYT_TRACE_TO_SPECIAL);
    struct account *a = flyt__acct(m, p);
    flyt__acct_touch(m, a, t);
    a->n_ukp--;
    flyt__site_ukp(m, p, -1, t);
    flyt__pay_wait(m, p, t);
    if (measured(m, p->t_ready)) {
        double w = t - p->t_ready;
        flyt__samples_add(m, &a->ukp_waits, w);
        if (dest >= 0) {
            m->u[dest].ukp_wait_sum += w;
            m->u[dest].ukp_wait_n++;
            a->ukp_to_caseload += unit_of(m, dest)->kind == FLYT_UNIT_CASELOAD;
        } else if (dest == FLYT_ROUTE_HOME) {
            a->wait_home_sum += w;
            a->wait_home_n++;
        } else {
            a->wait_complex_sum += w;
            a->wait_complex_n++;
        }
    } else if (measured(m, t)) { /* begun before the window: its part in it */
        double c = t - m->t_warm;
        a->carry_ukp += c;
        if (dest >= 0)
            m->u[dest].carry_ukp += c;
        else if (dest == FLYT_ROUTE_HOME)
            a->carry_home += c;
        else if (dest == DEST_COMPLEX)
            a->carry_complex += c;
    }
}

/* Applies for a place in unit u from where the patient is; a caseload
 * needs the patient's hours first. */
void flyt__apply_to(struct model *m, uint32_t id, int u)
{
    struct patient *p = &m->p[id];
    if (unit_of(m, u)->kind == FLYT_UNIT_CASELOAD) {
        double h = flyt_dist_sample(&unit_of(m, u)->hours[p->group], m->rng);
        /* a client keeps the hours it uses where it is until it moves */
        if (p->state == PS_CLIENT || p->state == PS_CLIENT_WAIT)
            p->next_hours = h;
        else
            p->hc_hours = h;
    }
    flyt__queue_push(m, u, id);
    flyt__try_place(m, u);
}

/* Draws a route: the table's own order, no draw for a fixed route. */
int flyt__draw_route(struct model *m, const struct flyt_routes *r, const struct patient *p)
{
    if (r->fixed)
        return flyt__resolve(m, p, r->to[0]);
    return flyt__resolve(m, p, r->to[flyt__draw_index(m->rng, flyt_routes_row(r, p->group), r->n)]);
}

void flyt__decide(struct model *m, uint32_t id)
{
    struct patient *p = bind(m, id);
    const struct flyt_role *role = role_of(m, p->ukp_role);
    const struct flyt_routes *r = p->ukp_role != NO_ROLE && role->has_destination
                                          ? &role->destination
                                          : m->ms[p->home].mu->dec.destination;
    struct account *a = flyt__acct(m, p);
    flyt__harm_decondition(m, id, true);
    int dest;
    if (r->fixed || p->cfs == p->cfs0) {
        dest = flyt__draw_route(m, r, p);
    } else {
        /* one uniform for both groups, so that a different destination is
         * the frailty's doing and not the draw's */
        double u = flyt_rng_uniform(m->rng);
        int g0 = m->s->group_of_cfs[p->cfs0];
        dest = flyt__resolve(m, p, r->to[flyt__index_at(u, flyt_routes_row(r, p->group), r->n)]);
        if (dest != flyt__resolve(m, p, r->to[flyt__index_at(u, flyt_routes_row(r, g0), r->n)]) &&
            measured(m, now(m)))
            a->dest_changed++;
    }
    if (measured(m, now(m)))
        a->decisions++;
    p->dest = (int16_t)dest;
    p->state = PS_WAITING;
    flyt__trace(m, id, FLYT_TRACE_DECISION, dest >= 0 ? dest : FLYT_TRACE_TO_HOME);
    if (dest < 0) {
        end_ukp_wait(m, p, FLYT_ROUTE_HOME);
        leave_hospital(m, p, false);
        flyt__patient_leave(m, id);
        return;
    }
    flyt__apply_to(m, id, dest);
}

static void on_treat_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    flyt__advance(m, now(m));
    struct patient *p = bind(m, ev->id);
    const struct flyt_group *g = grp(m, p);
    const struct flyt_muni_decision *dec = &m->ms[p->home].mu->dec;
    struct account *a = flyt__acct(m, p);
    double t = now(m);
    m->model_events++;
    flyt__acct_touch(m, a, t);
    a->n_treat--;
    if (flyt_rng_uniform(m->rng) < g->p_death_hosp) {
        flyt__hospital_out(m, p->site);
        flyt__count_death(m, ev->id, p->site);
        flyt__patient_leave(m, ev->id);
        return;
    }
    if (!(flyt_rng_uniform(m->rng) < g->p_ukp)) {
        leave_hospital(m, p, false); /* home with unchanged services */
        flyt__patient_leave(m, ev->id);
        return;
    }
    p->t_ready = t;
    p->t_cfs = t;
    if (p->t_ukp1 < 0 && measured(m, t))
        p->t_ukp1 = t;
    a->n_ukp++;
    flyt__site_ukp(m, p, 1, t);
    flyt__trace(m, ev->id, FLYT_TRACE_READY, 0);
    flyt__harm_wait_start(m, ev->id, false);
    if (p->complex) {
        p->state = PS_COMPLEX;
        flyt__schedule(m, t + flyt_dist_sample(dec->complex_wait, m->rng), EV_COMPLEX_END, ev->id);
        return;
    }
    p->state = PS_DECIDING;
    double d = flyt_dist_sample(dec->delay, m->rng);
    bool at_once = d <= 0 && (!dec->working_days_only || weekday(m, t));
    double t_decide = at_once                  ? t
                      : dec->working_days_only ? flyt__add_working_days(m, t, d)
                                               : t + d;
    int r = flyt__coord_role_for(m, FLYT_CASE_UKP, p, -1);
    bool wait = r >= 0 && m->s->roles[r].when_busy == FLYT_BUSY_WAIT;
    if (r >= 0 && (wait || !at_once)) {
        p->t_plan = t_decide;
        if (!wait) /* booked first: a coordinator who starts at once cancels it */
            flyt__schedule(m, t_decide, EV_DECISION, ev->id);
        flyt__coord_offer(m, ev->id, r);
        return;
    }
    if (at_once)
        flyt__decide(m, ev->id);
    else
        flyt__schedule(m, t_decide, EV_DECISION, ev->id);
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
    if (m->p[ev->id].gen != ev->tag)
        return; /* died while waiting */
    flyt__advance(m, now(m));
    m->model_events++;
    end_ukp_wait(m, &m->p[ev->id], DEST_COMPLEX);
    leave_hospital(m, &m->p[ev->id], false);
    flyt__patient_leave(m, ev->id);
}

/* ---- not really discharge-ready ---- */

/* Whether a patient leaving hospital for a unit that may send it back
 * will be sent back; the draw is a lever draw, made only when it can
 * matter. */
static bool sent_back(struct model *m, uint32_t id)
{
    const struct patient *p = &m->p[id];
    const struct flyt_role *role = role_of(m, p->ukp_role);
    double pr = role && role->has_not_ready ? role->p_not_ready[p->group] : grp(m, p)->p_not_ready;
    return pr > 0 && flyt__lever_uniform(m, id) < pr;
}

/* ---- placement ---- */

static inline bool has_room(const struct model *m, int u, const struct patient *p)
{
    return flyt__kinds[unit_of(m, u)->kind]->has_room(m, u, p);
}

/* Where the patient was before the move frees its place: the origin unit,
 * the patient's state there and when its stay there began. */
struct origin {
    int unit;
    uint8_t state;
    double t_unit;
};

static void leave_origin(struct model *m, uint32_t id, const struct origin *o, double hours,
                         int dest)
{
    struct patient *p = &m->p[id];
    if (unit_of(m, o->unit)->hospital) {
        end_ukp_wait(m, p, dest);
        leave_hospital(m, p, true);
    } else {
        flyt__kinds[unit_of(m, o->unit)->kind]->release(m, id, o->unit, o->state, o->t_unit, hours);
        flyt__try_place(m, o->unit);
    }
}

/* The three ways an applicant can wait: in hospital, in another unit's bed,
 * at home in a caseload. */
static int origin_class(const struct model *m, int origin)
{
    if (unit_of(m, origin)->hospital)
        return 0;
    return unit_of(m, origin)->kind == FLYT_UNIT_CASELOAD ? 2 : 1;
}

static void count_wait(struct model *m, int u, const struct patient *p, int origin, double t)
{
    struct unit_state *us = &m->u[u];
    double w = t - p->t_queue;
    us->waits++;
    us->wait_sum += w;
    us->by_origin_sum[origin_class(m, origin)] += w;
    us->by_origin_n[origin_class(m, origin)]++;
    if (w <= m->s->wait_target_days)
        us->within++;
    flyt__samples_add(m, &us->wait, w);
}

static void admit(struct model *m, int u, uint32_t id)
{
    struct patient *p = bind(m, id);
    const struct flyt_unit *x = unit_of(m, u);
    const struct origin o = { p->unit, p->state, p->t_unit };
    double t = now(m);
    flyt__queue_remove(m, id);
    bool from_hospital = unit_of(m, o.unit)->hospital;
    if (from_hospital || o.state == PS_BLOCKED) {
        /* the wait is over: its frailty counts from here, its death timer not */
        flyt__harm_decondition(m, id, false);
        p->t_die = INFINITY;
    }
    flyt__trace(m, id, FLYT_TRACE_ADMIT, u);
    /* Admissions count by when they happen, like every count; a wait counts
     * by when it began, like UKP waits and stays, so a patient queued in
     * the warm-up and admitted after it is an admission of the window but
     * not one of its waits (docs/kpis.md). Stays that began before time 0
     * are placed, not admitted, and never pass through here. */
    if (measured(m, t)) {
        m->u[u].admissions++;
        m->u[u].cfs_sum += p->cfs;
        if (origin_class(m, o.unit) == 2)
            m->u[u].admissions_home++;
    }
    if (measured(m, p->t_queue)) {
        count_wait(m, u, p, o.unit, t);
    } else if (measured(m, t)) { /* begun before the window: its part in it */
        m->u[u].carry_wait += t - m->t_warm;
        m->u[u].carry_origin[origin_class(m, o.unit)] += t - m->t_warm;
    }
    /* Draw the stay before the origin's bookkeeping so the draw order is the
     * same whatever the origin. */
    const struct flyt__unit_kind *k = flyt__kinds[x->kind];
    double los = k->stays ? flyt_dist_sample(&x->los[p->group], m->rng) : 0.0;
    if (!from_hospital && unit_of(m, o.unit)->kind == FLYT_UNIT_CASELOAD)
        p->gen++; /* cancels the pending hazard */
    bool back = from_hospital && x->not_ready_returns && sent_back(m, id);
    if (k->stays) {
        const struct flyt_role *role = role_of(m, p->ukp_role);
        if (role && role->los_unit == u)
            los *= role->los_factor;
        if (back) {
            p->not_ready = 1;
            los = fmin(los, fmax(0.0, flyt__lever_sample(m, id, &m->s->not_ready_days)));
        }
        p->st_role = NO_ROLE;
        p->end_due = 0;
    }
    /* The new place is taken before the origin's is freed: freeing it can
     * place others in a chain that reaches this unit, and they must not be
     * given the bed or the hours this patient was admitted to. */
    double held = p->hc_hours; /* the origin's hours, if it was a client */
    if (o.state == PS_CLIENT_WAIT)
        p->hc_hours = p->next_hours; /* the hours asked here, drawn at the application */
    k->enter(m, id, u, los);
    if (k->stays)
        p->t_plan = t + los;
    leave_origin(m, id, &o, held, u);
    if (back && !k->stays)
        flyt__schedule(m, t + fmax(0.0, flyt__lever_sample(m, id, &m->s->not_ready_days)),
                       EV_NOT_READY, id);
    if (k->stays)
        flyt__coord_stay_admitted(m, id);
}

/* A free bed of a unit held by quotas goes to the first applicant (in
 * queue order) whose municipality is under its quota; with lending, to
 * the first applicant of all when none is. */
static uint32_t quota_pick(const struct model *m, int u)
{
    const struct flyt_unit *x = unit_of(m, u);
    uint32_t first = NIL;
    for (int c = 0; c < x->n_classes; c++)
        for (uint32_t k = m->u[u].q[c].head; k != NIL; k = m->p[k].q_next) {
            int a = m->p[k].home;
            if (flyt__quota_held(m, u, a) < x->quota[a])
                return k;
            if (first == NIL)
                first = k;
        }
    return x->lend ? first : NIL;
}

/* Fills free places from the queue. Strict FIFO waits for its head even
 * if a smaller request behind it would fit; first fit takes the
 * longest-waiting request that fits. */
void flyt__place_queued(struct model *m, int u)
{
    const struct flyt_unit *x = unit_of(m, u);
    if (x->weekdays_only && !weekday(m, now(m)))
        return;
    if (x->has_hours) {
        double t = now(m), h = (t - floor(t)) * 24.0;
        if (h < x->adm_from || h >= x->adm_to)
            return;
    }
    for (;;) {
        uint32_t id = flyt__queue_next(m, u);
        if (id == NIL)
            return;
        if (x->quota) {
            if (!((double)m->u[u].n < m->u[u].cap) || (id = quota_pick(m, u)) == NIL)
                return;
            admit(m, u, id);
            continue;
        }
        if (!has_room(m, u, &m->p[id])) {
            if (x->queue != FLYT_QUEUE_FIRST_FIT)
                return;
            id = NIL;
            for (int c = 0; c < x->n_classes && id == NIL; c++)
                for (uint32_t k = m->u[u].q[c].head; k != NIL && id == NIL; k = m->p[k].q_next)
                    if (has_room(m, u, &m->p[k]))
                        id = k;
            if (id == NIL)
                return;
        }
        admit(m, u, id);
    }
}

/* A unit's admission hours begin: the applicants who came while it was
 * closed get their places now. */
static void on_open(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    flyt__advance(m, now(m));
    flyt__try_place(m, (int)ev->id);
}

/* The patient record an event's handler reads first: asked for a few
 * events ahead, so that a national region's 100,000 records (which do not
 * fit in the caches) are not each a stall. Measured: about 7 % of a
 * national year (docs/region.md). */
static void prefetch_patient(uint32_t id, void *ctx)
{
    const struct model *m = ctx;
    if (id >= m->n_pool)
        return;
    const char *p = (const char *)&m->p[id];
    for (size_t b = 0; b < sizeof m->p[0]; b += 64)
        __builtin_prefetch(p + b);
    __builtin_prefetch(p + sizeof m->p[0] - 1);
}

void flyt__register_handlers(struct model *m)
{
    /* the kinds whose id is a patient */
    static const enum event_kind pk[] = { EV_TREAT_END, EV_DECISION,  EV_COMPLEX_END,
                                          EV_STAY_END,  EV_HAZARD,    EV_NOT_READY,
                                          EV_CASE_OPEN, EV_CASE_DONE, EV_WAIT_DEATH };
    for (size_t i = 0; i < sizeof pk / sizeof pk[0]; i++)
        flyt_engine_prefetch(m->eng, pk[i], prefetch_patient);
    for (int k = 0; k < FLYT_N_UNIT_KINDS; k++)
        if (flyt__kinds[k]->register_handlers)
            flyt__kinds[k]->register_handlers(m);
    flyt_engine_on(m->eng, EV_OPEN, on_open);
    flyt_engine_on(m->eng, EV_TREAT_END, on_treat_end);
    flyt_engine_on(m->eng, EV_DECISION, on_decision);
    flyt_engine_on(m->eng, EV_COMPLEX_END, on_complex_end);
    flyt__harm_handlers(m);
}
