/* The unit kind "caseload": staff hours per week, each client needing
 * some. A client stays until one of its competing hazards (rates per year)
 * moves it on: to hospital, out of the model, or an application for a place
 * elsewhere that it waits for at home, keeping its hours. */
#include "model/model.h"

#include <stdlib.h>

/* A route of a client's hazards applies for a place elsewhere (the client
 * stays meanwhile) unless it goes to the hospital or an exit. */
static inline bool application(const struct model *m, int to)
{
    return to >= 0 && !m->s->units[to].hospital;
}

/* The total rate adds the routes that leave first, then the applications:
 * the order the first home-care model summed them in, kept so that its
 * scenarios still draw the same numbers. */
void flyt__schedule_hazard(struct model *m, uint32_t id)
{
    struct patient *p = flyt__bind(m, id);
    const struct flyt_routes *r = &flyt__unit_of(m, p->unit)->hazards;
    if (r->n == 0)
        return;
    const double *row = flyt_routes_row(r, p->group);
    double total = 0;
    for (int j = 0; j < r->n; j++)
        if (!application(m, flyt__resolve(m, p, r->to[j])))
            total += row[j];
    if (p->state == PS_CLIENT)
        for (int j = 0; j < r->n; j++)
            if (application(m, flyt__resolve(m, p, r->to[j])))
                total += row[j];
    if (total > 0)
        flyt__schedule(m, flyt__now(m) + flyt_rng_exponential(m->rng, 365.0 / total), EV_HAZARD,
                       id);
}

void flyt__start_client(struct model *m, uint32_t id, int u)
{
    struct patient *p = &m->p[id];
    p->state = PS_CLIENT;
    p->unit = (uint16_t)u;
    p->t_state = flyt__now(m);
    flyt__unit_touch(m, u);
    m->u[u].n++;
    m->u[u].hours_used += p->hc_hours;
    flyt__schedule_hazard(m, id);
}

static void free_client(struct model *m, int u, bool waiting, double hours)
{
    struct unit_state *us = &m->u[u];
    flyt__unit_touch(m, u);
    us->n--;
    if (waiting)
        us->n_blocked--;
    us->hours_used -= hours;
    if (us->n == 0)
        us->hours_used = 0; /* no drift from rounding */
}

static void on_hazard(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag)
        return; /* the patient moved on; this hazard no longer applies */
    flyt__advance(m, flyt__now(m));
    flyt__bind(m, ev->id);
    m->model_events++;
    int u = p->unit;
    const struct flyt_routes *routes = &flyt__unit_of(m, u)->hazards;
    const double *row = flyt_routes_row(routes, p->group);
    double r[16], *rr = routes->n <= 16 ? r : malloc(sizeof *rr * (size_t)routes->n);
    if (!rr) {
        m->failed = true;
        flyt_engine_stop(m->eng);
        return;
    }
    double total = 0;
    for (int j = 0; j < routes->n; j++) {
        rr[j] = p->state == PS_CLIENT_WAIT && application(m, flyt__resolve(m, p, routes->to[j]))
                        ? 0
                        : row[j];
        total += rr[j];
    }
    for (int j = 0; j < routes->n; j++)
        rr[j] /= total;
    int out = flyt__resolve(m, p, routes->to[flyt__draw_index(m->rng, rr, routes->n)]);
    if (rr != r)
        free(rr);
    if (application(m, out)) {
        p->state = PS_CLIENT_WAIT;
        flyt__unit_touch(m, u);
        m->u[u].n_blocked++;
        if (flyt__unit_of(m, out)->kind == FLYT_UNIT_CASELOAD)
            p->next_hours = flyt_dist_sample(&flyt__unit_of(m, out)->hours[p->group], m->rng);
        flyt__queue_push(m, out, ev->id);
        flyt__schedule_hazard(m, ev->id);
        flyt__try_place(m, out);
        return;
    }
    free_client(m, u, p->state == PS_CLIENT_WAIT, p->hc_hours);
    if (p->queue_unit != NO_UNIT)
        flyt__queue_remove(m, ev->id); /* no ghost left in the other unit's queue */
    if (out >= 0 && flyt__unit_of(m, out)->hospital) {
        p->site = (uint16_t)out;
        flyt__admit_hospital(m, ev->id, true);
    } else {
        if (out == FLYT_ROUTE_DEATH)
            flyt__count_death(m, ev->id, u);
        flyt__patient_leave(m, ev->id);
    }
    flyt__try_place(m, u);
}

static void on_not_ready(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    if (p->gen != ev->tag || (p->state != PS_CLIENT && p->state != PS_CLIENT_WAIT))
        return;
    flyt__advance(m, flyt__now(m));
    m->model_events++;
    int u = p->unit;
    free_client(m, u, p->state == PS_CLIENT_WAIT, p->hc_hours);
    if (p->queue_unit != NO_UNIT)
        flyt__queue_remove(m, ev->id);
    flyt__trace(m, ev->id, FLYT_TRACE_NOT_READY, 0);
    if (flyt__measured(m, flyt__now(m)))
        flyt__acct(m, p)->not_ready_returns++;
    flyt__admit_hospital(m, ev->id, true);
    flyt__try_place(m, u);
}

static void release_client(struct model *m, uint32_t id, int u, uint8_t state, double t_unit,
                           double hours)
{
    (void)id;
    (void)t_unit;
    free_client(m, u, state == PS_CLIENT_WAIT, hours);
}

static void enter_client(struct model *m, uint32_t id, int u, double los)
{
    (void)los;
    flyt__start_client(m, id, u);
}

static bool caseload_room(const struct model *m, int u, const struct patient *p)
{
    const struct unit_state *us = &m->u[u];
    return us->hours_used + (p->state == PS_CLIENT_WAIT ? p->next_hours : p->hc_hours) <=
           us->cap + 1e-9;
}

static void caseload_handlers(struct model *m)
{
    flyt_engine_on(m->eng, EV_HAZARD, on_hazard);
    flyt_engine_on(m->eng, EV_NOT_READY, on_not_ready);
}

const struct flyt__unit_kind flyt__kind_caseload = {
    .stays = false,
    .has_room = caseload_room,
    .enter = enter_client,
    .release = release_client,
    .register_handlers = caseload_handlers,
};
