/* One replication: set up the state, fill the units at time 0, run the
 * engine to the horizon, and hand the figures to stats.c. */
#include "flyt/mem.h"
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
static void schedule_next_arrival(struct model *m, int home, double t)
{
    struct muni_state *ms = &m->ms[home];
    flyt_rng_bind(m->rng, &ms->arrival_rng);
    double e = flyt_rng_exponential(m->rng, 1.0);
    for (size_t d = (size_t)t; d < m->n_rate_days; d++) {
        double r = ms->day_rate[d];
        double span = (double)(d + 1) - t;
        if (r * span > e) {
            t += e / r;
            if (t < m->t_end && flyt_engine_schedule(m->eng, t, EV_ARRIVAL, (uint32_t)home, 0) != 0)
                m->failed = true;
            return;
        }
        e -= r * span;
        t = (double)(d + 1);
    }
}

/* A patient's hospital site: drawn when the municipality has several. */
static void draw_site(struct model *m, struct patient *p)
{
    const struct muni_state *ms = &m->ms[p->home];
    const struct flyt_muni *mu = ms->mu;
    int k = mu->n_sites > 1 ? flyt__index_cum(flyt_rng_uniform(m->rng), ms->site_cum, mu->site_p,
                                              mu->n_sites)
                            : 0;
    p->site = (uint16_t)mu->site_unit[k];
}

static void draw_attributes(struct model *m, uint32_t id)
{
    const struct flyt_scenario *s = m->s;
    struct patient *p = &m->p[id];
    const struct muni_state *ms = &m->ms[p->home];
    const struct flyt_muni_population *pop = &ms->mu->pop;
    flyt_rng_bind(m->rng, &p->rng);
    p->age_band = (uint8_t)flyt__index_cum(flyt_rng_uniform(m->rng), ms->age_cum, pop->age_mix,
                                           s->n_age_bands);
    p->cfs = (uint8_t)(1 + flyt__index_cum(flyt_rng_uniform(m->rng), ms->cfs_cum, pop->cfs_mix, 9));
    p->complex = flyt_rng_uniform(m->rng) < pop->complex_share;
    p->group = (uint8_t)s->group_of_cfs[p->cfs];
    p->cfs0 = p->cfs;
    draw_site(m, p);
}

/* The runaway message names where the patients are: the largest of the
 * places (hospital treatment, the UKP wait, each unit) and the longest
 * queue, so that a planner sees which unit actually grows. */
static void runaway(struct model *m, bool at_start)
{
    const struct flyt_scenario *s = m->s;
    const char *what = "in hospital treatment";
    long n_treat = 0, n_ukp = 0;
    for (int a = 0; a < m->n_acc; a++) {
        n_treat += m->acct[a].n_treat;
        n_ukp += m->acct[a].n_ukp;
    }
    long most = n_treat;
    char unit_what[64];
    if (n_ukp > most) {
        most = n_ukp;
        what = "discharge-ready in hospital";
    }
    int bu = -1;
    for (int u = 0; u < s->n_units; u++)
        if (!s->units[u].hospital && m->u[u].n > most) {
            most = m->u[u].n;
            bu = u;
        }
    if (bu >= 0) {
        snprintf(unit_what, sizeof unit_what, "in %.50s", s->units[bu].id);
        what = unit_what;
    }
    uint32_t best = 0;
    int qu = 0;
    for (int u = 0; u < s->n_units; u++)
        if (m->u[u].queued > best) {
            best = m->u[u].queued;
            qu = u;
        }
    char queue[80] = "";
    if (best > 0)
        snprintf(queue, sizeof queue, "; %u waiting for %.47s", best, s->units[qu].id);
    m->out->status = FLYT_RUN_RUNAWAY;
    unsigned long long cap = (unsigned long long)s->max_patients;
    char msg[512];
    if (at_start)
        snprintf(msg, sizeof msg,
                 "the initial occupancy needs more than %llu patients (run.max_patients): "
                 "%ld %s so far",
                 cap, most, what);
    else
        snprintf(msg, sizeof msg,
                 "more than %llu patients (run.max_patients) at day %.0f: %ld %s%s", cap, now(m),
                 most, what, queue);
    snprintf(m->out->status_detail, sizeof m->out->status_detail, "%.127s", msg);
    flyt_engine_stop(m->eng);
}

static void on_arrival(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    struct model *m = ctx;
    double t = now(m);
    int home = (int)ev->id;
    flyt__advance(m, t);
    m->model_events++;
    if (m->in_system >= m->cap_patients) {
        runaway(m, false);
        return;
    }
    uint32_t id = flyt__patient_new(m, home, FLYT_STREAM_PATIENT, m->ms[home].n_arrivals++);
    if (m->in_system > m->peak_in)
        m->peak_in = m->in_system;
    if (id == NIL) {
        m->failed = true;
        flyt_engine_stop(e);
        return;
    }
    struct account *a = &m->acct[home];
    a->n_in++;
    if (t >= m->t_warm)
        a->arrivals_window++;
    flyt__count_day(m, FLYT_SERIES_arrivals, t);
    draw_attributes(m, id);
    flyt__admit_hospital(m, id, false);
    schedule_next_arrival(m, home, t);
}

static void sample_day(struct model *m, size_t d)
{
    double **sr = m->out->series; /* with series off n_days is 0: not called */
    double n_treat = 0, n_ukp = 0;
    for (int k = 0; k < m->n_ca; k++) {
        n_treat += m->acct[m->ca[k]].n_treat;
        n_ukp += m->acct[m->ca[k]].n_ukp;
    }
    /* added: each catchment adds its patients (whole numbers, so the sum
     * is exact in any order) */
    sr[FLYT_SERIES_hospital_treatment][d] += n_treat;
    sr[FLYT_SERIES_ukp_waiting][d] += n_ukp;
    sr[FLYT_SERIES_coord_queue][d] += flyt__coord_queued(m);
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        const struct unit_state *us = &m->u[u];
        flyt_result_unit_series(m->out, (unsigned)u, FLYT_USERIES_census)[d] = (double)us->n;
        flyt_result_unit_series(m->out, (unsigned)u, FLYT_USERIES_capacity)[d] =
                isfinite(us->cap) ? us->cap : NAN;
        flyt_result_unit_series(m->out, (unsigned)u, FLYT_USERIES_queue)[d] = us->queued;
        flyt_result_unit_series(m->out, (unsigned)u, FLYT_USERIES_hours)[d] =
                m->s->units[u].kind == FLYT_UNIT_CASELOAD ? us->hours_used : NAN;
    }
}

/* Capacity changes at 00:00. A drop below the census sends nobody away:
 * admissions wait until the census falls. A rise is filled at once. */
static void apply_capacity(struct model *m, size_t day)
{
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        if (!m->u[u].cap_day)
            continue;
        double level = flyt__capacity_on(m, u, day);
        double old = m->u[u].cap;
        flyt__unit_touch(m, u);
        m->u[u].cap = level;
        if (level > old)
            flyt__try_place(m, u);
    }
}

static void on_day(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    (void)ev;
    struct model *m = ctx;
    double t = now(m);
    flyt__advance(m, t);
    m->days_run++;
    size_t day = (size_t)t;
    apply_capacity(m, day);
    flyt__day_boundary(m, day);
    if (day >= m->first_day && day - m->first_day < m->out->n_days)
        sample_day(m, day - m->first_day);
    /* Units that admit on weekdays only fill the places freed at the
     * weekend when Monday starts. */
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        const struct flyt_unit *x = &m->s->units[u];
        if (x->has_hours && x->adm_from > 0) {
            double open = (double)day + x->adm_from / 24.0;
            if (open < m->t_end && flyt_engine_schedule(m->eng, open, EV_OPEN, (uint32_t)u, 0) != 0)
                m->failed = true;
        } else if (x->weekdays_only || x->has_hours) {
            flyt__try_place(m, u);
        }
    }
    /* Once a day is often enough: a gridlock, once there, stays. */
    if (flyt__gridlock_check(m, day))
        return;
    if ((double)(day + 1) < m->t_end &&
        flyt_engine_schedule(m->eng, (double)(day + 1), EV_DAY, NIL, 0) != 0)
        m->failed = true;
}

/* The calendar's first width comes from the arrivals of the first day
 * (all municipalities) times the engine events an arrival brings about
 * (Trondheim and the national region both run some 3.1 a year). */
#define FLYT_EVENTS_PER_ARRIVAL 3.0
static double first_rate(const struct model *m)
{
    double r = 0;
    for (int k = 0; k < m->n_ca && m->n_rate_days > 0; k++)
        r += m->ms[m->ca[k]].day_rate[0];
    return r;
}

/* Every way in is guarded: a unit whose capacity (or scheduled capacity)
 * is absurd would otherwise fill memory before the first event, and a
 * signal must stop that fill as it stops the events. */
static uint32_t initial_patient(struct model *m, int home, uint64_t *k)
{
    if (m->in_system >= m->cap_patients) {
        runaway(m, true);
        return NIL;
    }
    if (((*k) & 0xFFFF) == 0 && flyt_engine_interrupted()) {
        m->out->status = FLYT_RUN_STOPPED;
        snprintf(m->out->status_detail, sizeof m->out->status_detail, "stopped by a signal");
        return NIL;
    }
    uint32_t id = flyt__patient_new(m, home, FLYT_STREAM_INITIAL, (*k)++);
    if (id == NIL) {
        m->failed = true;
        return NIL;
    }
    if (m->in_system > m->peak_in)
        m->peak_in = m->in_system;
    m->acct[home].n_initial++;
    draw_attributes(m, id);
    return id;
}

/* Whose patient fills a place of shared unit u at time 0: a draw, from a
 * stream of the unit's own, among the users in proportion to their
 * admissions (a municipality's own units hold its own patients). */
static int initial_home(struct model *m, int u, struct flyt_stream *st)
{
    const struct flyt_scenario *s = m->s;
    const struct flyt_unit *x = &s->units[u];
    if (s->n_munis == 0)
        return 0;
    if (x->muni >= 0)
        return x->muni;
    double total = 0;
    for (int i = 0; i < s->n_munis; i++)
        if (!x->users || x->users[i])
            total += s->munis[i].pop.admissions_per_day;
    double v = flyt_stream_uniform(st) * total, acc = 0;
    int last = 0;
    for (int i = 0; i < s->n_munis; i++)
        if (!x->users || x->users[i]) {
            acc += s->munis[i].pop.admissions_per_day;
            last = i;
            if (v < acc)
                return i;
        }
    return last;
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
    for (int k = 0; k < m->n_cu; k++) {
        int u = m->cu[k];
        const struct flyt_unit *x = &s->units[u];
        if (x->hospital)
            continue;
        long n = x->kind == FLYT_UNIT_BEDS ? lround(x->initial_occupancy * m->u[u].cap)
                                           : x->initial_count;
        struct flyt_stream st;
        flyt_stream_seed_at(&st, m->ms[0].prefix[FLYT_STREAM_MODEL], (uint64_t)u);
        for (long i = 0; i < n && filling(m); i++) {
            int home = initial_home(m, u, &st);
            uint32_t id = initial_patient(m, home, &m->ms[home].n_initial_keys);
            if (id == NIL)
                return;
            struct patient *p = &m->p[id];
            if (x->kind == FLYT_UNIT_CASELOAD) {
                p->hc_hours = flyt_dist_sample(&x->hours[p->group], m->rng);
                flyt__start_client(m, id, u);
                continue;
            }
            double elapsed;
            double los = residual_stay(m, &x->los[p->group], &elapsed);
            flyt__start_stay(m, id, u, los);
            p->t_unit = -1; /* a stay that began before time 0 is not measured */
            p->t_state = -elapsed;
        }
    }
}

static const char *const event_name[N_EVENTS] = {
    [EV_ARRIVAL] = "arrival",
    [EV_TREAT_END] = "end of hospital treatment",
    [EV_DECISION] = "municipal decision",
    [EV_COMPLEX_END] = "complex placement",
    [EV_STAY_END] = "end of a stay",
    [EV_HAZARD] = "caseload hazard",
    [EV_DAY] = "start of a day",
    [EV_CASE_DONE] = "coordinator case done",
    [EV_SHIFT] = "coordinator shift start or end",
    [EV_NOT_READY] = "not-ready return",
    [EV_CASE_OPEN] = "coordinator case opens",
    [EV_OPEN] = "a unit's admission hours begin",
    [EV_WAIT_DEATH] = "death while waiting",
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
    size_t last_day = (size_t)ceil(s->horizon_days);
    out->n_days = last_day > m->first_day ? last_day - m->first_day : 0;
    if (s->series_off)
        out->n_days = 0; /* no series: on_day and flyt__count_day write nothing */
    for (int i = 0; i < FLYT_N_SERIES && !s->series_off; i++) {
        out->series[i] = calloc(out->n_days ? out->n_days : 1, sizeof(double));
        if (!out->series[i])
            return -1;
    }
    out->n_units = (unsigned)s->n_units;
    out->unit_kpi = calloc((size_t)s->n_units * FLYT_N_UNIT_KPI, sizeof(double));
    if (!out->unit_kpi)
        return -1;
    if (out->n_days > 0) {
        /* written each day at a stride of a year: on 4 KiB pages a national
         * region's day touched some 3,000 of them */
        out->unit_series = flyt_calloc_huge((size_t)s->n_units * FLYT_N_UNIT_SERIES * out->n_days,
                                            sizeof(double));
        if (!out->unit_series)
            return -1;
    }
    m->u = calloc((size_t)s->n_units, sizeof *m->u);
    if (!m->u || flyt__queues_init(m) != 0 || flyt__munis_init(m) != 0 ||
        flyt__catchment_lists(m) != 0)
        return -1;
    m->eng = flyt_engine_new(N_EVENTS, 4096, m);
    m->rng = flyt_rng_new();
    if (m->eng)
        flyt_engine_set_budget(m->eng, s->max_events);
    if (!m->eng || !m->rng || flyt__build_rates(m) != 0 || flyt__build_capacity(m) != 0 ||
        flyt__pay_init(m) != 0)
        return -1;
    flyt_engine_expect(m->eng, FLYT_EVENTS_PER_ARRIVAL * first_rate(m));
    for (int u = 0; u < s->n_units; u++) {
        m->u[u].cap = flyt__capacity_on(m, u, 0);
        /* a region's sites are integrated as they move, by every site */
        m->u[u].finite =
                s->units[u].kind != FLYT_UNIT_UNLIMITED || (s->n_munis > 0 && s->units[u].hospital);
    }
    for (int a = 0; a < m->n_acc; a++) {
        struct muni_state *ms = &m->ms[a];
        for (int c = 0; c <= FLYT_STREAM_HARM; c++) {
            ms->prefix[c] = flyt_stream_prefix(s->seed, rep, (uint64_t)c);
            if (s->n_munis > 0)
                ms->prefix[c] = flyt_stream_prefix_key(ms->prefix[c], ms->mu->stream_key);
        }
        flyt_stream_seed_at(&ms->arrival_rng, ms->prefix[FLYT_STREAM_ARRIVALS], 0);
    }
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
    flyt__pay_free(m);
    flyt__munis_free(m);
    flyt__queues_free(m);
    for (int u = 0; m->u && u < m->s->n_units; u++) {
        free(m->u[u].cap_day);
        flyt__quantile_free(&m->u[u].los);
        flyt__quantile_free(&m->u[u].wait);
    }
    free(m->u);
    free(m->cu);
    free(m->ca);
}

/* How a replication ended, its state freed: 0, 1 (runaway, stuck,
 * gridlock, or stopped by a signal: out->status says which) or -1 (out of
 * memory). */
static int close_run(struct model *m, int rc)
{
    struct flyt_result *out = m->out;
    if (rc != 0 || m->failed) {
        out->status = FLYT_RUN_NOMEM;
        snprintf(out->status_detail, sizeof out->status_detail, "out of memory");
        rc = -1;
    } else if (out->status != FLYT_RUN_OK) {
        rc = 1;
    }
    teardown(m);
    return rc;
}

/* Runs catchment k of a replication set up by setup(): the same first
 * events as flyt_model_run books for the whole region, in the same
 * order, for the catchment's units, municipalities and roles. */
static void run_catchment(struct model *m, int k, uint64_t peaks)
{
    if (k > 0) /* the events the one before left after the horizon go */
        flyt_engine_reset(m->eng);
    flyt_engine_expect(m->eng, FLYT_EVENTS_PER_ARRIVAL * first_rate(m));
    /* the guard as the whole region would see it at worst: every
     * catchment before this one at its own peak at once */
    uint64_t base = m->in_system;
    m->cap_patients = m->s->max_patients - peaks + base;
    m->peak_in = base;
    fill_units(m);
    if (flyt_engine_schedule(m->eng, 0.0, EV_DAY, NIL, 0) != 0)
        m->failed = true;
    for (int j = 0; j < m->n_ca; j++)
        schedule_next_arrival(m, m->ca[j], 0.0);
    if ((k == 0 ? flyt__coord_setup(m) : flyt__coord_start(m)) != 0)
        m->failed = true;
    flyt__run_engine(m, m->t_end);
}

/* A region whose catchments share nothing (catchments.c) runs them one
 * after another. Each catchment's events happen as on one calendar, so
 * every figure is the same (tests/test_catchments.c compares them, KPIs and
 * series); the series and counts that add up several catchments add
 * whole numbers. A replication that a guard stops (runaway, gridlock,
 * a stuck clock) is run again on one calendar: its status and message
 * are then exactly that run's. */
static int run_split(const struct flyt_scenario *s, unsigned rep, struct flyt_result *out)
{
    struct flyt__catchments c;
    int n = flyt__catchments_plan(s, &c);
    if (n < 2) {
        flyt__catchments_free(&c);
        return FLYT__ONE_CALENDAR; /* also when out of memory: let it try */
    }
    memset(out, 0, sizeof *out);
    out->replication = rep;
    struct model m;
    int rc = setup(&m, s, rep, out);
    uint64_t events = 0, peaks = 0;
    bool again = false;
    for (int k = 0; rc == 0 && k < n && !m.failed && out->status == FLYT_RUN_OK; k++) {
        if (peaks >= s->max_patients) {
            again = true;
            break;
        }
        flyt__catchment_select(&m, &c, k);
        uint64_t days = m.days_run, base = m.in_system;
        run_catchment(&m, k, peaks);
        if (m.failed)
            break;
        events += flyt_engine_events_run(m.eng);
        if (k > 0) /* the whole region runs each day once */
            events -= m.days_run - days;
        peaks += m.peak_in - base;
        if (out->status != FLYT_RUN_OK && out->status != FLYT_RUN_STOPPED)
            again = true;
    }
    flyt__catchments_free(&c);
    if (again) {
        teardown(&m);
        flyt_result_free(out);
        return FLYT__ONE_CALENDAR;
    }
    if (rc == 0 && !m.failed) {
        flyt__catchment_select(&m, NULL, -1);
        flyt__finish(&m);
        out->engine_events = events;
        out->model_events = m.model_events;
    }
    return close_run(&m, rc);
}

int flyt_model_run(const struct flyt_scenario *s, unsigned replication, struct flyt_result *out)
{
    int split = run_split(s, replication, out);
    if (split != FLYT__ONE_CALENDAR)
        return split;
    memset(out, 0, sizeof *out);
    out->replication = replication;
    struct model m;
    int rc = setup(&m, s, replication, out);
    if (rc == 0) {
        fill_units(&m);
        if (flyt_engine_schedule(m.eng, 0.0, EV_DAY, NIL, 0) != 0)
            m.failed = true;
        for (int a = 0; a < m.n_acc; a++)
            schedule_next_arrival(&m, a, 0.0);
        /* Last, so a scenario without roles books its events in the same
         * order as before roles existed. */
        if (flyt__coord_setup(&m) != 0)
            m.failed = true;
        flyt__run_engine(&m, m.t_end);
        flyt__finish(&m);
        out->engine_events = flyt_engine_events_run(m.eng);
        out->model_events = m.model_events;
    }
    return close_run(&m, rc);
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
    for (int a = 0; a < m->n_acc; a++)
        schedule_next_arrival(m, a, 0.0);
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
    return close_run(m, rc);
}
