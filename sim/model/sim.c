/* One replication: set up the state, fill the units at time 0, run the
 * engine to the horizon, and hand the figures to stats.c. */
#include "model/model.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline double now(const struct model *m)
{
    return flyt_engine_now(m->eng);
}

/* Next arrival after t: one unit-exponential draw, spent against the
 * cumulative rate day by day (inversion for a piecewise-constant rate). The
 * draws up to a day depend only on the rates up to that day, so a longer
 * horizon or a change later in the year leaves earlier patients as they were. */
static void schedule_next_arrival(struct model *m, double t)
{
    flyt_rng_bind(m->rng, &m->arrival_rng);
    double e = flyt_rng_exponential(m->rng, 1.0);
    for (size_t d = (size_t)t; d < m->n_rate_days; d++) {
        double r = m->day_rate[d];
        double span = (double)(d + 1) - t;
        if (r * span > e) {
            t += e / r;
            if (t < m->t_end && flyt_engine_schedule(m->eng, t, EV_ARRIVAL, NIL, 0) != 0)
                m->failed = true;
            return;
        }
        e -= r * span;
        t = (double)(d + 1);
    }
}

static void draw_attributes(struct model *m, uint32_t id)
{
    const struct flyt_scenario *s = m->s;
    struct patient *p = &m->p[id];
    flyt_rng_bind(m->rng, &p->rng);
    p->age_band = (uint8_t)flyt__draw_index(m->rng, s->age_mix, s->n_age_bands);
    p->cfs = (uint8_t)(1 + flyt__draw_index(m->rng, s->cfs_mix, 9));
    p->complex = flyt_rng_uniform(m->rng) < s->complex_share;
    p->group = (uint8_t)s->group_of_cfs[p->cfs];
}

static const char *const unit_key[N_UNITS] = { "short_term", "nursing_home", "home_care" };

/* The runaway message names where the patients are: the largest of the
 * places (hospital treatment, the UKP wait, each unit) and the longest
 * queue, so that a planner sees which unit actually grows. */
static void runaway(struct model *m, bool at_start)
{
    const struct {
        const char *what;
        long n;
    } place[] = {
        { "in hospital treatment", m->n_treat }, { "discharge-ready in hospital", m->n_ukp },
        { "in short_term beds", m->n_st },       { "in nursing_home beds", m->n_nh },
        { "with home_care", m->n_hc },
    };
    size_t bp = 0;
    for (size_t i = 1; i < sizeof place / sizeof place[0]; i++)
        if (place[i].n > place[bp].n)
            bp = i;
    uint32_t best = 0;
    int bu = 0;
    for (int u = 0; u < N_UNITS; u++) {
        uint32_t n = 0;
        for (int o = 0; o < FLYT_N_ORIGIN; o++)
            n += m->q[u][o].len;
        if (n > best) {
            best = n;
            bu = u;
        }
    }
    char queue[64] = "";
    if (best > 0)
        snprintf(queue, sizeof queue, "; %u waiting for %s", best, unit_key[bu]);
    m->out->status = FLYT_RUN_RUNAWAY;
    unsigned long long cap = (unsigned long long)m->s->max_patients;
    if (at_start)
        snprintf(m->out->status_detail, sizeof m->out->status_detail,
                 "the initial occupancy needs more than %llu patients (run.max_patients): "
                 "%ld %s so far",
                 cap, place[bp].n, place[bp].what);
    else
        snprintf(m->out->status_detail, sizeof m->out->status_detail,
                 "more than %llu patients (run.max_patients) at day %.0f: %ld %s%s", cap, now(m),
                 place[bp].n, place[bp].what, queue);
    flyt_engine_stop(m->eng);
}

static void on_arrival(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)ev;
    struct model *m = ctx;
    double t = now(m);
    flyt__advance(m, t);
    m->model_events++;
    if (m->in_system >= m->s->max_patients) {
        runaway(m, false);
        return;
    }
    uint32_t id = flyt__patient_new(m, FLYT_STREAM_PATIENT, m->n_arrivals++);
    if (id == NIL) {
        m->failed = true;
        flyt_engine_stop(e);
        return;
    }
    m->n_in++;
    if (t >= m->t_warm)
        m->arrivals_window++;
    flyt__count_day(m, FLYT_SERIES_arrivals, t);
    draw_attributes(m, id);
    flyt__admit_hospital(m, id, false);
    schedule_next_arrival(m, t);
}

static void sample_day(struct model *m, size_t d)
{
    double **sr = m->out->series; /* with series off n_days is 0: not called */
    sr[FLYT_SERIES_hospital_treatment][d] = m->n_treat;
    sr[FLYT_SERIES_ukp_waiting][d] = m->n_ukp;
    sr[FLYT_SERIES_short_term][d] = m->n_st;
    sr[FLYT_SERIES_nursing_home][d] = m->n_nh;
    sr[FLYT_SERIES_home_care_users][d] = m->n_hc;
    sr[FLYT_SERIES_home_care_hours][d] = m->hc_hours_used;
    uint32_t nq = 0;
    for (int o = 0; o < FLYT_N_ORIGIN; o++)
        nq += m->q[U_NURSING_HOME][o].len;
    sr[FLYT_SERIES_nh_queue][d] = nq;
    sr[FLYT_SERIES_short_term_beds][d] = m->cap[U_SHORT_TERM];
    sr[FLYT_SERIES_nursing_home_beds][d] = m->cap[U_NURSING_HOME];
    sr[FLYT_SERIES_home_care_capacity][d] = m->hc_capacity;
    sr[FLYT_SERIES_coord_queue][d] = flyt__coord_queued(m);
}

/* Capacity changes at 00:00. A drop below the census sends nobody away:
 * admissions wait until the census falls. A rise is filled at once. */
static void apply_capacity(struct model *m, size_t day)
{
    for (int u = 0; u < N_UNITS; u++) {
        if (!m->cap_day[u])
            continue;
        double level = flyt__capacity_on(m, (enum unit)u, day);
        double old = u == U_HOME_CARE ? m->hc_capacity : m->cap[u];
        if (u == U_HOME_CARE)
            m->hc_capacity = level;
        else
            m->cap[u] = (int)level;
        if (level > old)
            flyt__try_place(m, (enum unit)u);
    }
}

static void on_day(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    (void)ev;
    struct model *m = ctx;
    double t = now(m);
    flyt__advance(m, t);
    size_t day = (size_t)t;
    apply_capacity(m, day);
    if (day >= m->first_day && day - m->first_day < m->out->n_days)
        sample_day(m, day - m->first_day);
    /* Without weekend admissions, places freed at the weekend are filled
     * when Monday starts. */
    if (!m->s->admissions_on_weekends)
        for (int u = 0; u < N_UNITS; u++)
            flyt__try_place(m, (enum unit)u);
    if ((double)(day + 1) < m->t_end &&
        flyt_engine_schedule(m->eng, (double)(day + 1), EV_DAY, NIL, 0) != 0)
        m->failed = true;
}

/* Every way in is guarded: a unit whose capacity (or scheduled capacity)
 * is absurd would otherwise fill memory before the first event, and a
 * signal must stop that fill as it stops the events. */
static uint32_t initial_patient(struct model *m, uint64_t *k)
{
    if (m->in_system >= m->s->max_patients) {
        runaway(m, true);
        return NIL;
    }
    if (((*k) & 0xFFFF) == 0 && flyt_engine_interrupted()) {
        m->out->status = FLYT_RUN_STOPPED;
        snprintf(m->out->status_detail, sizeof m->out->status_detail, "stopped by a signal");
        return NIL;
    }
    uint32_t id = flyt__patient_new(m, FLYT_STREAM_INITIAL, (*k)++);
    if (id == NIL) {
        m->failed = true;
        return NIL;
    }
    m->n_initial++;
    draw_attributes(m, id);
    return id;
}

/* Units start filled so that a short warm-up suffices. A patient present at
 * time 0 is part-way through a stay, and long stays are over-represented
 * among those present: the whole stay is length-biased (drawn exactly,
 * flyt_dist_sample_length_biased) and the time left a uniform share of it,
 * which is the stay's stationary residual. */
static double residual_stay(struct model *m, const struct flyt_dist *d, double *elapsed)
{
    double pick = flyt_dist_sample_length_biased(d, m->rng);
    double left = pick * flyt_rng_uniform(m->rng);
    *elapsed = pick - left; /* so that a census taken later knows when the stay began */
    return left;
}

static bool filling(const struct model *m)
{
    return !m->failed && m->out->status == FLYT_RUN_OK;
}

static void fill_units(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    uint64_t k = 0;
    long n_st = lround(s->st_initial_occupancy * m->cap[U_SHORT_TERM]);
    for (long i = 0; i < n_st && filling(m); i++) {
        uint32_t id = initial_patient(m, &k);
        if (id == NIL)
            return;
        const struct flyt_group *g = &s->groups[m->p[id].group];
        double elapsed;
        double los = residual_stay(m, &g->st_los, &elapsed);
        flyt__start_st(m, id, los);
        m->p[id].t_unit = -1; /* a stay that began before time 0 is not measured */
        m->p[id].t_state = -elapsed;
    }
    long n_nh = lround(s->nh_initial_occupancy * m->cap[U_NURSING_HOME]);
    for (long i = 0; i < n_nh && filling(m); i++) {
        uint32_t id = initial_patient(m, &k);
        if (id == NIL)
            return;
        const struct flyt_group *g = &s->groups[m->p[id].group];
        double elapsed;
        flyt__start_nh(m, id, residual_stay(m, &g->nh_los, &elapsed));
        m->p[id].t_state = -elapsed;
    }
    for (int i = 0; i < s->hc_initial_users && filling(m); i++) {
        uint32_t id = initial_patient(m, &k);
        if (id == NIL)
            return;
        const struct flyt_group *g = &s->groups[m->p[id].group];
        m->p[id].hc_hours = flyt_dist_sample(&g->hc_hours, m->rng);
        flyt__start_hc(m, id);
    }
}

static const char *const event_name[N_EVENTS] = {
    [EV_ARRIVAL] = "arrival",
    [EV_TREAT_END] = "end of hospital treatment",
    [EV_DECISION] = "municipal decision",
    [EV_COMPLEX_END] = "complex placement",
    [EV_ST_END] = "end of a short-term stay",
    [EV_NH_END] = "end of a nursing-home stay",
    [EV_HC_HAZARD] = "home-care hazard",
    [EV_DAY] = "start of a day",
    [EV_CASE_DONE] = "coordinator case done",
    [EV_SHIFT] = "coordinator shift start or end",
    [EV_NOT_READY] = "not-ready return",
    [EV_CASE_OPEN] = "coordinator case opens",
};

void flyt__run_engine(struct model *m, double t)
{
    if (m->failed || m->out->status != FLYT_RUN_OK)
        return;
    flyt_engine_run(m->eng, t);
    struct flyt_result *out = m->out;
    switch (flyt_engine_end_reason(m->eng)) {
    case FLYT_ENGINE_INTERRUPTED:
        out->status = FLYT_RUN_STOPPED;
        snprintf(out->status_detail, sizeof out->status_detail, "stopped by a signal");
        break;
    case FLYT_ENGINE_STUCK: {
        uint32_t k = flyt_engine_stuck_kind(m->eng);
        out->status = FLYT_RUN_STUCK;
        snprintf(out->status_detail, sizeof out->status_detail,
                 "stuck at day %.6g: '%s' events keep coming, the clock does not move", now(m),
                 k < N_EVENTS ? event_name[k] : "unknown");
        break;
    }
    case FLYT_ENGINE_BUDGET:
        out->status = FLYT_RUN_RUNAWAY;
        snprintf(out->status_detail, sizeof out->status_detail,
                 "stopped at day %.6g after %llu events, the caller's limit", now(m),
                 (unsigned long long)m->s->max_events);
        break;
    default:
        break;
    }
}

static int setup(struct model *m, const struct flyt_scenario *s, unsigned rep,
                 struct flyt_result *out)
{
    memset(m, 0, sizeof *m);
    m->s = s;
    m->rep = rep;
    m->out = out;
    m->free_head = NIL;
    m->t_warm = s->warmup_days;
    m->t_end = s->horizon_days;
    m->first_day = (size_t)ceil(s->warmup_days);
    for (int u = 0; u < N_UNITS; u++)
        for (int o = 0; o < FLYT_N_ORIGIN; o++)
            m->q[u][o] = (struct queue){ NIL, NIL, 0 };
    size_t last_day = (size_t)ceil(s->horizon_days);
    out->n_days = last_day > m->first_day ? last_day - m->first_day : 0;
    if (s->series_off)
        out->n_days = 0; /* no series: on_day and flyt__count_day write nothing */
    for (int i = 0; i < FLYT_N_SERIES && !s->series_off; i++) {
        out->series[i] = calloc(out->n_days ? out->n_days : 1, sizeof(double));
        if (!out->series[i])
            return -1;
    }
    m->eng = flyt_engine_new(N_EVENTS, 4096, m);
    m->rng = flyt_rng_new();
    if (m->eng)
        flyt_engine_set_budget(m->eng, s->max_events);
    if (!m->eng || !m->rng || flyt__build_rates(m) != 0 || flyt__build_capacity(m) != 0)
        return -1;
    m->cap[U_SHORT_TERM] = (int)flyt__capacity_on(m, U_SHORT_TERM, 0);
    m->cap[U_NURSING_HOME] = (int)flyt__capacity_on(m, U_NURSING_HOME, 0);
    m->hc_capacity = flyt__capacity_on(m, U_HOME_CARE, 0);
    flyt_stream_seed(&m->arrival_rng, s->seed, rep, FLYT_STREAM_ARRIVALS, 0);
    for (int c = 0; c <= FLYT_STREAM_LEVER; c++)
        m->stream_prefix[c] = flyt_stream_prefix(s->seed, rep, (uint64_t)c);
    flyt__register_handlers(m);
    flyt_engine_on(m->eng, EV_ARRIVAL, on_arrival);
    flyt_engine_on(m->eng, EV_DAY, on_day);
    return 0;
}

static void teardown(struct model *m)
{
    flyt_engine_free(m->eng);
    flyt_rng_free(m->rng);
    free(m->p);
    free(m->day_rate);
    for (int u = 0; u < N_UNITS; u++)
        free(m->cap_day[u]);
    flyt__quantile_free(&m->ukp_waits);
    flyt__quantile_free(&m->st_los);
}

int flyt_model_run(const struct flyt_scenario *s, unsigned replication, struct flyt_result *out)
{
    memset(out, 0, sizeof *out);
    out->replication = replication;
    struct model m;
    int rc = setup(&m, s, replication, out);
    if (rc == 0) {
        fill_units(&m);
        if (flyt_engine_schedule(m.eng, 0.0, EV_DAY, NIL, 0) != 0)
            m.failed = true;
        schedule_next_arrival(&m, 0.0);
        /* Last, so a scenario without roles books its events in the same
         * order as before roles existed. */
        if (flyt__coord_setup(&m) != 0)
            m.failed = true;
        flyt__run_engine(&m, m.t_end);
        flyt__finish(&m);
        out->engine_events = flyt_engine_events_run(m.eng);
        out->model_events = m.model_events;
    }
    if (rc != 0 || m.failed) {
        out->status = FLYT_RUN_NOMEM;
        snprintf(out->status_detail, sizeof out->status_detail, "out of memory");
        rc = -1;
    } else if (out->status != FLYT_RUN_OK) {
        rc = 1; /* runaway, stuck, or stopped by a signal */
    }
    teardown(&m);
    return rc;
}

/* The same start and end as flyt_model_run, split so that a caller can
 * place its own patients at time 0 and run the engine in steps. Kept
 * beside flyt_model_run rather than shared with it, so that the ordinary
 * run's code path stays exactly as it was. */
int flyt__model_begin(struct model *m, const struct flyt_scenario *s, unsigned rep,
                      struct flyt_result *out, flyt__place_fn place, void *arg)
{
    memset(out, 0, sizeof *out);
    out->replication = rep;
    int rc = setup(m, s, rep, out);
    if (rc != 0)
        return rc;
    if (place)
        place(m, arg);
    else
        fill_units(m);
    if (flyt_engine_schedule(m->eng, 0.0, EV_DAY, NIL, 0) != 0)
        m->failed = true;
    schedule_next_arrival(m, 0.0);
    if (flyt__coord_setup(m) != 0)
        m->failed = true;
    return 0;
}

int flyt__model_end(struct model *m, int rc)
{
    struct flyt_result *out = m->out;
    if (rc == 0) {
        flyt__finish(m);
        out->engine_events = flyt_engine_events_run(m->eng);
        out->model_events = m->model_events;
    }
    if (rc != 0 || m->failed) {
        out->status = FLYT_RUN_NOMEM;
        snprintf(out->status_detail, sizeof out->status_detail, "out of memory");
        rc = -1;
    } else if (out->status != FLYT_RUN_OK) {
        rc = 1; /* runaway, stuck, or stopped by a signal */
    }
    teardown(m);
    return rc;
}
