/* Runs that start from a census, and censuses taken from runs.
 *
 * A census patient is placed where the census says, with what is left of
 * its current stay drawn conditioned on the time already spent there
 * (residual.c). Queues are rebuilt in the order patients joined them. The
 * model's own handlers then take over: from time 0 on, a census patient is
 * like any other. */
#include "flyt/census.h"
#include "model/model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *flyt_census_loc_name(const struct flyt_scenario *s, int loc)
{
    if (loc == FLYT_CENSUS_HOSPITAL)
        return "hospital";
    if (loc == FLYT_CENSUS_UKP)
        return "ukp";
    return s && loc >= 0 && loc < s->n_units ? s->units[loc].id : "?";
}

int flyt_census_add(struct flyt_census *c, const struct flyt_census_patient *p)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 256;
        struct flyt_census_patient *np = realloc(c->p, cap * sizeof *np);
        if (!np)
            return -1;
        c->p = np;
        c->cap = cap;
    }
    c->p[c->n++] = *p;
    return 0;
}

void flyt_census_free(struct flyt_census *c)
{
    free(c->p);
    c->p = NULL;
    c->n = c->cap = 0;
}

/* ---- placing a census ---- */

struct placing {
    const struct flyt_census *c;
    uint32_t *id; /* slot of census patient k */
};

static void schedule(struct model *m, double t, enum event_kind k, uint32_t id)
{
    if (flyt_engine_schedule(m->eng, t, k, id, m->p[id].gen) != 0)
        m->failed = true;
}

static bool weekday_of(const struct model *m, long day)
{
    long wd = ((long)m->s->start_weekday + day) % 7;
    return (wd < 0 ? wd + 7 : wd) < 5;
}

/* Working time (Monday-Friday, around the clock) between a and b: how much
 * of a decision delay that counts working days only has already run. */
static double working_time(const struct model *m, double a, double b)
{
    double w = 0;
    for (double t = a; t < b;) {
        double day_end = floor(t) + 1.0, hi = day_end < b ? day_end : b;
        if (weekday_of(m, (long)floor(t)))
            w += hi - t;
        t = hi;
    }
    return w;
}

/* The same three draws, in the same order, as an arrival's attributes;
 * known attributes then replace the drawn ones, so that knowing one
 * attribute does not shift the patient's other random numbers. */
static void attributes(struct model *m, uint32_t id, const struct flyt_census_patient *cp)
{
    const struct flyt_scenario *s = m->s;
    struct patient *p = &m->p[id];
    flyt_rng_bind(m->rng, &p->rng);
    int age = flyt__draw_index(m->rng, s->age_mix, s->n_age_bands);
    int cfs = 1 + flyt__draw_index(m->rng, s->cfs_mix, 9);
    bool complex = flyt_rng_uniform(m->rng) < s->complex_share;
    p->age_band =
            (uint8_t)(cp->age_band >= 0 && cp->age_band < s->n_age_bands ? cp->age_band : age);
    p->cfs = (uint8_t)(cp->cfs >= 1 && cp->cfs <= 9 ? cp->cfs : cfs);
    p->complex = cp->complex >= 0 ? (uint8_t)(cp->complex != 0) : complex;
    p->group = (uint8_t)s->group_of_cfs[p->cfs];
    p->cfs0 = p->cfs;
    p->site = (uint16_t)s->hospital; /* a census is of a file without municipalities */
}

/* Hours per week in caseload u: the census's, or drawn as at an
 * application. */
static double hours(struct model *m, struct patient *p, const struct flyt_census_patient *cp, int u)
{
    if (cp->hours >= 0)
        return cp->hours;
    return flyt_dist_sample(&m->s->units[u].hours[p->group], m->rng);
}

static bool caseload(const struct model *m, int u)
{
    return m->s->units[u].kind == FLYT_UNIT_CASELOAD;
}

/* Where a census patient is placed: where the census says, or, for a unit
 * the scenario does not have (a census made for another network), in
 * hospital treatment, as the nearest place every scenario has. */
static int place_of(const struct model *m, const struct flyt_census_patient *cp)
{
    if (cp->loc == FLYT_CENSUS_UKP)
        return FLYT_CENSUS_UKP;
    if (cp->loc >= 0 && cp->loc < m->s->n_units && cp->loc != m->s->hospital)
        return cp->loc;
    return FLYT_CENSUS_HOSPITAL;
}

/* The unit a patient waits for where it is placed; anything the model
 * cannot queue is read as no destination. */
static int valid_dest(const struct model *m, const struct flyt_census_patient *cp)
{
    int d = cp->dest, at = place_of(m, cp);
    if (d < 0 || d >= m->s->n_units || d == m->s->hospital || d == at || at == FLYT_CENSUS_HOSPITAL)
        return -1;
    return d;
}

static void place_ukp(struct model *m, uint32_t id, const struct flyt_census_patient *cp, int dest)
{
    const struct flyt_scenario *s = m->s;
    struct patient *p = &m->p[id];
    double e = cp->elapsed_days;
    p->t_ready = -e;
    p->t_state = -e;
    p->unit = p->site = (uint16_t)s->hospital;
    m->acct[0].n_ukp++;
    flyt__hospital_in(m, s->hospital);
    if (dest >= 0) {
        p->state = PS_WAITING;
        p->dest = (int16_t)dest;
        if (caseload(m, dest))
            p->hc_hours = hours(m, p, cp, dest);
        return;
    }
    if (p->complex) {
        p->state = PS_COMPLEX;
        schedule(m, flyt_dist_sample_residual(&s->complex_wait, e, m->rng), EV_COMPLEX_END, id);
        return;
    }
    /* The decision delay has run only on working days when the scenario
     * says so: condition on the working time elapsed, then spend the rest
     * on working days from now. */
    p->state = PS_DECIDING;
    double spent = s->working_days_only ? working_time(m, -e, 0.0) : e;
    double left = flyt_dist_sample_residual(&s->decision_delay, spent, m->rng);
    schedule(m, s->working_days_only ? flyt__add_working_days(m, 0.0, left) : left, EV_DECISION,
             id);
}

/* A bed (or a place in an unlimited unit): the rest of the stay, or, with
 * a destination, the stay over and the bed blocked until there is room. */
static void place_stay(struct model *m, uint32_t id, const struct flyt_census_patient *cp, int u,
                       int dest)
{
    struct patient *p = &m->p[id];
    double e = cp->elapsed_days;
    if (dest >= 0) {
        p->state = PS_BLOCKED;
        p->unit = (uint16_t)u;
        flyt__unit_touch(m, u);
        m->u[u].n++;
        m->u[u].n_blocked++;
        if (caseload(m, dest))
            p->hc_hours = hours(m, p, cp, dest);
    } else {
        flyt__start_stay(m, id, u,
                         flyt_dist_sample_residual(&m->s->units[u].los[p->group], e, m->rng));
    }
    p->t_unit = -1;
    p->t_state = -e;
}

/* Caseload hazards are memoryless: a fresh draw whatever the elapsed time.
 * Waiting for a place elsewhere switches the application hazards off. */
static void place_client(struct model *m, uint32_t id, const struct flyt_census_patient *cp, int u,
                         int dest)
{
    struct patient *p = &m->p[id];
    p->hc_hours = hours(m, p, cp, u);
    if (dest < 0) {
        flyt__start_client(m, id, u);
    } else {
        p->state = PS_CLIENT_WAIT;
        p->unit = (uint16_t)u;
        flyt__unit_touch(m, u);
        m->u[u].n++;
        m->u[u].n_blocked++;
        m->u[u].hours_used += p->hc_hours;
        /* the census's hours are those used here; those asked there are
         * drawn, as at an application */
        if (caseload(m, dest))
            p->next_hours = flyt_dist_sample(&m->s->units[dest].hours[p->group], m->rng);
        flyt__schedule_hazard(m, id);
    }
    p->t_state = -cp->elapsed_days;
}

static void place_one(struct model *m, uint32_t id, const struct flyt_census_patient *cp)
{
    const struct flyt_group *g;
    int dest = valid_dest(m, cp), at = place_of(m, cp);
    attributes(m, id, cp);
    struct patient *p = &m->p[id];
    g = &m->s->groups[p->group];
    if (at == FLYT_CENSUS_HOSPITAL) {
        p->state = PS_TREATMENT;
        p->unit = p->site = (uint16_t)m->s->hospital;
        p->t_state = -cp->elapsed_days;
        m->acct[0].n_treat++;
        flyt__hospital_in(m, m->s->hospital);
        schedule(m, flyt_dist_sample_residual(&g->hosp_los, cp->elapsed_days, m->rng), EV_TREAT_END,
                 id);
    } else if (at == FLYT_CENSUS_UKP) {
        place_ukp(m, id, cp, dest);
    } else if (caseload(m, at)) {
        place_client(m, id, cp, at, dest);
    } else {
        place_stay(m, id, cp, at, dest);
    }
}

struct queued {
    double days;
    uint32_t row;
    size_t k;
};

/* Longest in the queue first; the census row breaks ties (dates in a file
 * are whole days), then the order in the census. */
static int by_queue_time(const void *a, const void *b)
{
    const struct queued *x = a, *y = b;
    if (x->days != y->days)
        return x->days > y->days ? -1 : 1;
    if (x->row != y->row)
        return x->row < y->row ? -1 : 1;
    return x->k < y->k ? -1 : x->k > y->k;
}

static void join_queues(struct model *m, struct placing *pl)
{
    const struct flyt_census *c = pl->c;
    struct queued *order = malloc((c->n ? c->n : 1) * sizeof *order);
    size_t n = 0;
    if (!order) {
        m->failed = true;
        return;
    }
    for (size_t k = 0; k < c->n; k++)
        if (pl->id[k] != NIL && valid_dest(m, &c->p[k]) >= 0)
            order[n++] = (struct queued){ c->p[k].queued_days, c->p[k].row, k };
    qsort(order, n, sizeof *order, by_queue_time);
    for (size_t i = 0; i < n; i++) {
        const struct flyt_census_patient *cp = &c->p[order[i].k];
        uint32_t id = pl->id[order[i].k];
        flyt__queue_push(m, valid_dest(m, cp), id);
        m->p[id].t_queue = cp->queued_days >= 0 ? -cp->queued_days : 0.0;
    }
    free(order);
}

static void place_census(struct model *m, void *arg)
{
    struct placing *pl = arg;
    const struct flyt_census *c = pl->c;
    for (size_t k = 0; k < c->n; k++) {
        pl->id[k] = flyt__patient_new(m, 0, FLYT_STREAM_INITIAL, k);
        if (pl->id[k] == NIL) {
            m->failed = true;
            return;
        }
        m->acct[0].n_initial++;
        place_one(m, pl->id[k], &c->p[k]);
    }
    join_queues(m, pl);
    for (int u = 0; u < m->s->n_units; u++)
        flyt__try_place(m, u);
}

/* Still waiting in the UKP episode the census found: the slot holds the
 * same patient (its stream key), in a UKP state, ready at the same time. */
static void mark_still_ukp(const struct model *m, const struct placing *pl, uint8_t *still)
{
    for (size_t k = 0; k < pl->c->n; k++) {
        const struct flyt_census_patient *cp = &pl->c->p[k];
        still[k] = 0;
        if (cp->loc != FLYT_CENSUS_UKP || pl->id[k] == NIL)
            continue;
        const struct patient *p = &m->p[pl->id[k]];
        bool ukp = p->state == PS_DECIDING || p->state == PS_WAITING || p->state == PS_COMPLEX;
        still[k] = p->key == (((uint64_t)FLYT_STREAM_INITIAL << 44) | k) && ukp &&
                   p->t_ready == -cp->elapsed_days;
    }
}

static bool running(const struct model *m)
{
    return !m->failed && m->out->status == FLYT_RUN_OK;
}

/* Day by day, so that what a forecast reports per day is read at the day's
 * boundary; running to each boundary in turn runs the same events in the
 * same order as one run to the horizon. */
static void run_tracked(struct model *m, const struct placing *pl, struct flyt_census_track *tr)
{
    size_t n_days = tr ? tr->n_days : 0;
    if (tr && (double)n_days > ceil(m->t_end))
        n_days = (size_t)ceil(m->t_end);
    for (size_t d = 0; d < n_days && running(m); d++) {
        if (tr->still_ukp && d == tr->check_day)
            mark_still_ukp(m, pl, tr->still_ukp);
        for (int u = 0; tr->queued && u < m->s->n_units; u++)
            tr->queued[(size_t)u * tr->n_days + d] = m->u[u].queued > 0;
        double t = fmin((double)(d + 1), m->t_end), before = m->acct[0].area_ukp;
        flyt__run_engine(m, t);
        if (!running(m))
            break;
        flyt__advance(m, t);
        if (tr->ukp_days)
            tr->ukp_days[d] = m->acct[0].area_ukp - before;
    }
    if (tr && tr->still_ukp && tr->check_day >= n_days && running(m))
        mark_still_ukp(m, pl, tr->still_ukp);
    if (running(m))
        flyt__run_engine(m, m->t_end);
}

int flyt_model_run_census(const struct flyt_scenario *s, const struct flyt_census *c,
                          unsigned replication, struct flyt_result *out,
                          struct flyt_census_track *track)
{
    struct model m;
    struct placing pl = { c, calloc(c->n ? c->n : 1, sizeof(uint32_t)) };
    if (!pl.id) {
        memset(out, 0, sizeof *out);
        out->status = FLYT_RUN_NOMEM;
        return -1;
    }
    int rc = flyt__model_begin(&m, s, replication, out, place_census, &pl);
    if (rc == 0 && !m.failed)
        run_tracked(&m, &pl, track);
    rc = flyt__model_end(&m, rc);
    free(pl.id);
    return rc;
}

/* ---- taking a census ---- */

static bool census_of(const struct model *m, const struct patient *p, double day,
                      struct flyt_census_patient *cp)
{
    memset(cp, 0, sizeof *cp);
    cp->dest = -1;
    cp->queued_days = -1;
    cp->hours = -1;
    cp->cfs = (int8_t)p->cfs;
    cp->age_band = (int8_t)p->age_band;
    cp->complex = (int8_t)p->complex;
    cp->elapsed_days = day - p->t_state;
    switch (p->state) {
    case PS_TREATMENT:
        cp->loc = FLYT_CENSUS_HOSPITAL;
        break;
    case PS_DECIDING:
    case PS_COMPLEX:
    case PS_WAITING:
        cp->loc = FLYT_CENSUS_UKP;
        cp->elapsed_days = day - p->t_ready;
        break;
    case PS_STAY:
    case PS_BLOCKED:
    case PS_CLIENT:
    case PS_CLIENT_WAIT:
        if (p->unit == NO_UNIT || p->unit == m->s->hospital)
            return false;
        cp->loc = (int16_t)p->unit;
        break;
    default:
        return false;
    }
    if (p->queue_unit != NO_UNIT) {
        cp->dest = (int16_t)p->queue_unit;
        cp->queued_days = day - p->t_queue;
    }
    if ((cp->loc >= 0 && caseload(m, cp->loc)) || (cp->dest >= 0 && caseload(m, cp->dest)))
        cp->hours = p->hc_hours;
    if (cp->elapsed_days < 0)
        cp->elapsed_days = 0;
    return true;
}

/* By place, then queue order, then time in place: a census file written in
 * this order rebuilds the queues in the order the model had them. */
static int by_place(const void *a, const void *b)
{
    const struct flyt_census_patient *x = a, *y = b;
    if (x->loc != y->loc)
        return x->loc < y->loc ? -1 : 1;
    if (x->dest != y->dest)
        return x->dest < y->dest ? -1 : 1;
    if (x->queued_days != y->queued_days)
        return x->queued_days > y->queued_days ? -1 : 1;
    if (x->elapsed_days != y->elapsed_days)
        return x->elapsed_days > y->elapsed_days ? -1 : 1;
    return 0;
}

int flyt_model_census_at(const struct flyt_scenario *s, unsigned replication, double day,
                         struct flyt_census *out)
{
    struct model m;
    struct flyt_result res;
    int rc = flyt__model_begin(&m, s, replication, &res, NULL, NULL);
    if (rc == 0 && !m.failed) {
        flyt__run_engine(&m, fmin(day, m.t_end));
        size_t first = out->n;
        for (uint32_t id = 0; id < m.n_pool && running(&m); id++) {
            struct flyt_census_patient cp;
            if (census_of(&m, &m.p[id], flyt_engine_now(m.eng), &cp) &&
                flyt_census_add(out, &cp) != 0)
                m.failed = true;
        }
        if (out->n > first)
            qsort(out->p + first, out->n - first, sizeof *out->p, by_place);
    }
    rc = flyt__model_end(&m, rc);
    flyt_result_free(&res);
    return rc;
}
