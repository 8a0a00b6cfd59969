/* The unit kind "beds": a count of beds. A patient holds a bed from
 * admission until leaving it, including the time after the stay while
 * waiting for the next place (blocking after service). The stay functions
 * here serve every kind whose patients have a stay and an outcome
 * (kind_unlimited.c uses them too). */
#include "model/model.h"

#include <stdlib.h>

/* State only: admit() counts the admission, so that stays placed at time 0
 * (sim.c, census.c) are never admissions, whatever the warm-up. */
void flyt__start_stay(struct model *m, uint32_t id, int u, double los)
{
    struct patient *p = &m->p[id];
    double t = flyt__now(m);
    p->state = PS_STAY;
    p->unit = (uint16_t)u;
    p->t_unit = t;
    p->t_state = t;
    flyt__unit_touch(m, u);
    m->u[u].n++;
    if (m->quota_n && m->s->units[u].quota)
        m->quota_n[(size_t)u * (size_t)m->n_acc + p->home]++;
    flyt__schedule(m, t + los, EV_STAY_END, id);
}

/* Frees unit u's bed of a stay that began at t_unit (< 0: before time 0,
 * not measured); blocked: the stay was over, waiting for the next place. */
static void free_bed(struct model *m, uint32_t id, int u, bool blocked, double t_unit)
{
    double t = flyt__now(m);
    flyt__trace(m, id, FLYT_TRACE_ST_END, u);
    flyt__unit_touch(m, u);
    m->u[u].n--;
    if (m->quota_n && m->s->units[u].quota)
        m->quota_n[(size_t)u * (size_t)m->n_acc + m->p[id].home]--;
    if (blocked)
        m->u[u].n_blocked--;
    if (t_unit >= 0 && flyt__measured(m, t_unit)) {
        flyt__samples_add(m, &m->u[u].los, t - t_unit);
    } else if (flyt__measured(m, t)) { /* begun before the window: its part in it */
        m->u[u].carry_los += t - m->t_warm;
    }
}

static void on_stay_end(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
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
        flyt__advance(m, flyt__now(m));
        flyt__coord_withdraw(m, ev->id);
    }
    flyt__stay_end(m, ev->id);
}

void flyt__stay_end(struct model *m, uint32_t id)
{
    flyt__advance(m, flyt__now(m));
    struct patient *p = flyt__bind(m, id);
    int u = p->unit;
    const struct flyt_role *role = flyt__role_of(m, p->st_role);
    m->model_events++;
    int out = flyt__draw_route(m,
                               p->st_role != NO_ROLE && role->has_outcome
                                       ? &role->outcome
                                       : &flyt__unit_of(m, u)->outcome,
                               p);
    if (p->not_ready) {
        out = p->site; /* drawn all the same, so later draws stay aligned */
        flyt__trace(m, id, FLYT_TRACE_NOT_READY, 0);
        if (flyt__measured(m, flyt__now(m)))
            flyt__acct(m, p)->not_ready_returns++;
    }
    p->end_due = 0;
    bool to_hospital = out >= 0 && flyt__unit_of(m, out)->hospital;
    if (out >= 0 && !to_hospital) {
        p->state = PS_BLOCKED; /* keeps the bed while waiting for the next place */
        p->t_cfs = flyt__now(m);
        flyt__unit_touch(m, u);
        m->u[u].n_blocked++;
        flyt__apply_to(m, id, out);
        if (p->state == PS_BLOCKED && p->unit == u)
            flyt__harm_wait_start(m, id, true); /* not placed at once */
        return;
    }
    free_bed(m, id, u, false, p->t_unit);
    p->t_unit = -1;
    if (to_hospital) {
        p->site = (uint16_t)out;
        flyt__admit_hospital(m, id, true);
    } else {
        if (out == FLYT_ROUTE_DEATH)
            flyt__count_death(m, id, u);
        flyt__patient_leave(m, id);
    }
    flyt__try_place(m, u);
}

void flyt__release_bed(struct model *m, uint32_t id, int u, uint8_t state, double t_unit,
                       double hours)
{
    (void)hours;
    free_bed(m, id, u, state == PS_BLOCKED, t_unit);
}

static bool beds_room(const struct model *m, int u, const struct patient *p)
{
    const struct flyt_unit *x = &m->s->units[u];
    if (!((double)m->u[u].n < m->u[u].cap))
        return false;
    /* a quota without lending: the municipality's own beds only */
    return !x->quota || x->lend || flyt__quota_held(m, u, p->home) < x->quota[p->home];
}

static void beds_handlers(struct model *m)
{
    flyt_engine_on(m->eng, EV_STAY_END, on_stay_end);
}

const struct flyt__unit_kind flyt__kind_beds = {
    .stays = true,
    .has_room = beds_room,
    .enter = flyt__start_stay,
    .release = flyt__release_bed,
    .register_handlers = beds_handlers,
};
