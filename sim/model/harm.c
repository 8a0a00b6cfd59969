/* The harm of waiting: death while discharge-ready in hospital or blocked
 * in a bed, and deconditioning (the frailty level rising with waiting
 * days). Every draw comes from the patient's harm stream (FLYT_STREAM_HARM)
 * and only when a rate is positive, so a scenario without harm draws
 * exactly the numbers it drew before harm existed. */
#include "model/model.h"

#include <math.h>

static double harm_uniform(struct model *m, uint32_t id)
{
    struct patient *p = &m->p[id];
    struct flyt_stream st;
    flyt_stream_seed_at(&st, m->ms[p->home].prefix[FLYT_STREAM_HARM], (p->key << 16) | p->n_harm++);
    void *caller_stream = m->rng->state;
    flyt_rng_bind(m->rng, &st);
    double u = flyt_rng_uniform(m->rng);
    m->rng->state = caller_stream;
    return u;
}

/* An exponential time at rate per day by inversion: one uniform per time,
 * whatever the rate, so a rate change does not shift later draws. */
static double exp_time(struct model *m, uint32_t id, double rate)
{
    return -log1p(-harm_uniform(m, id)) / rate;
}

void flyt__harm_wait_start(struct model *m, uint32_t id, bool blocked)
{
    struct patient *p = &m->p[id];
    const struct flyt_group *g = &m->s->groups[p->group];
    double rate = blocked ? g->death_blocked_per_day : g->death_waiting_per_day;
    p->t_die = INFINITY;
    if (!(rate > 0))
        return;
    /* A death timer drawn once, not a daily check: a hazard constant over
     * the wait makes the time to death exponential, and the memoryless
     * property lets a group change redraw it from that moment. */
    double t = flyt__now(m) + exp_time(m, id, rate);
    if (t < m->t_end) {
        p->t_die = t;
        flyt__schedule(m, t, EV_WAIT_DEATH, id);
    }
}

void flyt__harm_decondition(struct model *m, uint32_t id, bool rearm)
{
    struct patient *p = &m->p[id];
    double t = flyt__now(m), left = t - p->t_cfs;
    uint8_t g0 = p->group;
    p->t_cfs = t;
    /* One level at a time, each at the rate of the group the patient is in
     * by then, so that a move to a frailer group takes that group's rate
     * at once; at a constant rate the levels gained are Poisson. */
    while (p->cfs < 9 && left > 0) {
        double r = m->s->groups[p->group].cfs_gain_per_day;
        if (!(r > 0))
            break;
        double e = exp_time(m, id, r);
        if (!(e <= left))
            break;
        left -= e;
        p->cfs++;
        p->group = (uint8_t)m->s->group_of_cfs[p->cfs];
        if (flyt__measured(m, t))
            flyt__acct(m, p)->cfs_gained++;
    }
    if (rearm && p->group != g0)
        flyt__harm_wait_start(m, id, p->state == PS_BLOCKED);
}

static void on_wait_death(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct model *m = ctx;
    struct patient *p = &m->p[ev->id];
    /* t_die is reset when the wait ends or is redrawn: an older timer no
     * longer matches, whatever happened to gen meanwhile (a coordinator
     * bumps it during the wait). */
    if (p->state == PS_FREE || p->t_die != ev->t)
        return;
    bool blocked = p->state == PS_BLOCKED;
    if (!blocked && p->state != PS_DECIDING && p->state != PS_WAITING && p->state != PS_COMPLEX)
        return;
    double t = flyt__now(m);
    flyt__advance(m, t);
    m->model_events++;
    p->t_die = INFINITY;
    bool work = p->case_state == CS_WORK;
    int role = p->role;
    int u = blocked ? p->unit : p->site;
    struct account *a = flyt__acct(m, p);
    if (blocked) {
        flyt__kinds[flyt__unit_of(m, u)->kind]->release(m, ev->id, u, PS_BLOCKED, p->t_unit, 0);
        p->t_unit = -1;
    } else {
        flyt__acct_touch(m, a, t);
        a->n_ukp--;
        flyt__site_ukp(m, p, -1, t);
        flyt__pay_wait(m, p, t);
        flyt__hospital_out(m, p->site);
    }
    flyt__count_death(m, ev->id, u);
    if (flyt__measured(m, t)) {
        m->u[u].deaths_waiting++;
        if (blocked)
            a->deaths_blocked++;
        else
            a->deaths_waiting++;
    }
    flyt__patient_leave(m, ev->id);
    if (work)
        flyt__coord_abandon(m, role);
    if (blocked)
        flyt__try_place(m, u);
}

void flyt__harm_handlers(struct model *m)
{
    flyt_engine_on(m->eng, EV_WAIT_DEATH, on_wait_death);
}
