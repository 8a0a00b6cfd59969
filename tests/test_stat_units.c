/*
 * The unit kinds of the care network against what must hold whatever the
 * network: queueing theory for one unit of each kind, and bookkeeping laws
 * checked event by event on networks drawn at random.
 *
 *   Erlang C     one `beds` unit fed by a Poisson stream with exponential
 *                stays is M/M/c: its wait_mean is Wq and the share of its
 *                admissions that waited at all is C (with the wait target
 *                at 0 days, wait_within_target is P(no wait) = 1 - C);
 *   M/G/inf      an `unlimited` unit never queues: its mean census is
 *                lambda E[stay] whatever the stay's law (lognormal here);
 *   overflow     a hospital of kind `beds` refuses nobody: its overflow
 *                bed-days are the integral of max(0, census - c), replayed
 *                from the event trace;
 *   conservation on 20 random networks, every event of a traced run is
 *                replayed: each patient in one place at a time, counts in
 *                = out + left, no census above capacity but the hospital's,
 *                and the replayed census and queues equal the daily series;
 *   idle unit    a unit nobody is routed to changes no figure, bit for bit.
 *
 * Tolerances are 99 % Student-t intervals over independent replications
 * (streams keyed by seed and replication), each also required to be
 * narrow, as in test_stat_queueing.c; the replays are exact up to the
 * rounding of a sum taken in another order. Seeds are fixed throughout.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "flyt/trace.h"
#include "support.h"

#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REP  64
#define THREADS  2
#define TEXT_CAP 65536

/* ---- scenarios from text ---- */

/* Appends to a text buffer; the buffers are sized for every text here. */
static void put(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(char *buf, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + used, TEXT_CAP - used, fmt, ap);
    va_end(ap);
    assert_true(n >= 0 && (size_t)n < TEXT_CAP - used);
}

/* Whether target lies in the 99 % interval of the mean of x, which must
 * also be narrower than max_rel * scale for the check to mean anything. */
static bool in_ci(const char *what, const double *x, unsigned n, double target, double scale,
                  double max_rel)
{
    double mean, half = flyt_test_t_half(x, (int)n, 0.99, &mean);
    bool inside = fabs(mean - target) <= half;
    bool narrow = half < max_rel * scale;
    printf("  %-40s %10.5f  99%% CI [%.5f, %.5f]  theory %.5f  %s (half-width %.2f%% of %.4g)\n",
           what, mean, mean - half, mean + half, target,
           inside ? (narrow ? "ok" : "TOO WIDE") : "OUTSIDE", 100 * half / scale, scale);
    return inside && narrow;
}

static void unit_values(const struct flyt_result *res, unsigned n, int u, int k, double *x)
{
    for (unsigned i = 0; i < n; i++)
        x[i] = flyt_result_unit_kpi(&res[i], (unsigned)u)[k];
}

/* One unit after the hospital, fed by every patient as soon as they
 * arrive: no hospital stay, no decision delay, no deaths. */
static void one_unit_text(char *buf, const char *name, double lambda, const char *unit,
                          double warmup, double horizon, unsigned reps, unsigned seed)
{
    buf[0] = '\0';
    put(buf,
        "name = \"%s\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = %.1f; warmup_days = %.1f;\n"
        "       replications = %u; seed = %u; };\n"
        "population: { admissions_per_day = %.17g;\n"
        "  cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; };\n"
        "hospital: { los_days = { dist = \"fixed\"; value = 0.0; };\n"
        "  ukp_probability = 1.0; death_probability = 0.0; };\n"
        "decision: { delay_days = 0.0; destination = { unit = 1.0; }; };\n"
        "units = (\n"
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
        "  { id = \"unit\"; %s outcome = { home = 1.0; }; }\n"
        ");\n"
        "report: { wait_target_days = 0.0; };\n",
        name, horizon, warmup, reps, seed, lambda, unit);
}

/* ---- (a) Erlang C ---- */

/* Through the stable Erlang B recursion, as test_stat_queueing.c. */
static double erlang_c(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b));
}

static void check_erlang(int c, double rho, double warmup, double horizon, unsigned reps,
                         unsigned seed)
{
    const double mu = 1.0, lambda = rho * c * mu;
    char *text = malloc(TEXT_CAP), unit[256], name[64];
    assert_non_null(text);
    snprintf(unit, sizeof unit,
             "kind = \"beds\"; capacity = %d;\n"
             "    los_days = { dist = \"exponential\"; mean = %.17g; };",
             c, 1.0 / mu);
    snprintf(name, sizeof name, "erlang-c%d-rho%.2f", c, rho);
    one_unit_text(text, name, lambda, unit, warmup, horizon, reps, seed);
    struct flyt_scenario *s = flyt_test_load_text(text, name);
    free(text);
    int u = flyt_test_unit_of(s, "unit");
    struct flyt_result *res = flyt_test_run_reps(s, reps, THREADS);
    double pw = erlang_c(c, lambda / mu), wq = pw / (c * mu - lambda);
    printf("%s: M/M/%d, lambda %g, %u replications of %g days: C %.5f, Wq %.5f\n", name, c, lambda,
           reps, horizon - warmup, pw, wq);
    double x[MAX_REP];
    bool ok = true;
    unit_values(res, reps, u, FLYT_UNIT_KPI_wait_mean, x);
    ok &= in_ci("wait_mean = Wq", x, reps, wq, wq, 0.10);
    unit_values(res, reps, u, FLYT_UNIT_KPI_wait_within_target, x);
    for (unsigned i = 0; i < reps; i++)
        x[i] = 1.0 - x[i];
    ok &= in_ci("1 - wait_within_target(0 days) = C", x, reps, pw, pw, 0.05);
    unit_values(res, reps, u, FLYT_UNIT_KPI_occupancy, x);
    ok &= in_ci("occupancy = lambda / mu", x, reps, lambda / mu, lambda / mu, 0.02);
    /* nobody waits in hospital for anything else */
    for (unsigned i = 0; i < reps; i++)
        x[i] = res[i].kpi[FLYT_KPI_ukp_wait_mean];
    unit_values(res, reps, u, FLYT_UNIT_KPI_wait_mean, x + reps);
    for (unsigned i = 0; i < reps; i++)
        assert_near(x[i], x[reps + i], 1e-9 * (1 + x[i]));
    flyt_test_free_results(res, reps);
    flyt_scenario_free(s);
    assert_true(ok);
}

static void beds_unit_matches_erlang_c(void **state)
{
    (void)state;
    check_erlang(5, 0.7, 50, 20050, 16, 5070);
    check_erlang(20, 0.9, 100, 10100, 16, 2090);
}

/* ---- (b) M/G/infinity ---- */

static void unlimited_unit_is_m_g_infinity(void **state)
{
    (void)state;
    const double lambda = 12.0, mean = 8.0, sd = 12.0;
    const unsigned reps = 16;
    char *text = malloc(TEXT_CAP), unit[256];
    assert_non_null(text);
    snprintf(unit, sizeof unit,
             "kind = \"unlimited\";\n"
             "    los_days = { dist = \"lognormal\"; mean = %.1f; sd = %.1f; };",
             mean, sd);
    /* P(stay > 400 d) is about 1e-8: the warm-up leaves no trace */
    one_unit_text(text, "mginf-unit", lambda, unit, 400, 12400, reps, 8128);
    struct flyt_scenario *s = flyt_test_load_text(text, "mginf-unit");
    free(text);
    int u = flyt_test_unit_of(s, "unit");
    assert_true(s->units[u].kind == FLYT_UNIT_UNLIMITED);
    assert_int_equal(s->units[u].los[0].kind, FLYT_DIST_LOGNORMAL);
    struct flyt_result *res = flyt_test_run_reps(s, reps, THREADS);
    double census = lambda * mean;
    printf("mginf-unit: lambda %g, lognormal stay %g +- %g, %u replications of %g days\n", lambda,
           mean, sd, reps, s->horizon_days - s->warmup_days);
    double x[MAX_REP];
    bool ok = true;
    unit_values(res, reps, u, FLYT_UNIT_KPI_occupancy, x);
    ok &= in_ci("occupancy = lambda E[stay]", x, reps, census, census, 0.01);
    /* Poisson: the 00:00 census's variance is its mean */
    for (unsigned i = 0; i < reps; i++) {
        const double *c = flyt_result_unit_series(&res[i], (unsigned)u, FLYT_USERIES_census);
        double ss = 0;
        for (size_t d = 0; d < res[i].n_days; d++)
            ss += (c[d] - census) * (c[d] - census);
        x[i] = ss / (double)res[i].n_days;
    }
    ok &= in_ci("census variance = mean (Poisson)", x, reps, census, census, 0.06);
    unit_values(res, reps, u, FLYT_UNIT_KPI_los_mean, x);
    ok &= in_ci("los_mean = E[stay]", x, reps, mean, mean, 0.02);
    for (unsigned i = 0; i < reps; i++) {
        const double *k = flyt_result_unit_kpi(&res[i], (unsigned)u);
        assert_true(k[FLYT_UNIT_KPI_wait_mean] == 0.0); /* never a queue */
        assert_true(isnan(k[FLYT_UNIT_KPI_capacity]) && isnan(k[FLYT_UNIT_KPI_utilisation]));
        assert_true(isnan(k[FLYT_UNIT_KPI_overflow_bed_days]));
    }
    flyt_test_free_results(res, reps);
    flyt_scenario_free(s);
    assert_true(ok);
}

/* ---- the trace, replayed ---- */

#define GONE    (-1)
#define TRANSIT (-2) /* a stay's bed freed, the next place at the same instant */

struct slot {
    uint64_t patient;
    int loc;        /* a unit, GONE or TRANSIT */
    int from;       /* TRANSIT: the unit left */
    int queued;     /* the unit applied to, or -1 */
    int release;    /* after an admission: the origin's release that must follow */
    bool ukp_other; /* a UKP wait ended towards home or a special placement */
};

#define REL_NONE (-1)
#define REL_UKP  (-2) /* UKP_END naming the new unit; the unit's own release otherwise */

struct replay {
    const struct flyt_scenario *s;
    char why[512];
    bool gridlocked; /* stopped by a strict FIFO gridlock: only conservation checked */
    size_t n_slots;
    struct slot *slot;
    long *census, *queue;
    long present, initial, in, in_window, out, admits;
    int busy; /* the slot whose move must finish before another's event; -1 none */
    double t_last;
    bool started; /* past the time-0 announcements */
    /* the hospital: its census above capacity, integrated, and the days it
     * passed capacity */
    double hosp_cap, area_over;
    size_t n_days_total;
    bool *over_day;
    /* census and queues per unit at 00:00 of each day; a day with an event
     * at 00:00 itself is not compared (which ran first is the engine's
     * business) */
    size_t next_day;
    long *day_census, *day_queue;
    bool *day_tie;
};

static bool fail_at(struct replay *r, const struct flyt_trace_event *ev, const char *what)
{
    if (r->why[0])
        return false;
    snprintf(r->why, sizeof r->why, "t %.9g, patient %llu (slot %u), event kind %d, detail %u: %s",
             ev->t, (unsigned long long)ev->patient, ev->slot, ev->kind, ev->detail, what);
    return false;
}

static void replay_init(struct replay *r, const struct flyt_scenario *s)
{
    memset(r, 0, sizeof *r);
    r->s = s;
    r->busy = -1;
    r->census = calloc((size_t)s->n_units, sizeof *r->census);
    r->queue = calloc((size_t)s->n_units, sizeof *r->queue);
    r->n_days_total = (size_t)ceil(s->horizon_days) + 1;
    r->over_day = calloc(r->n_days_total, sizeof *r->over_day);
    r->day_census = calloc(r->n_days_total * (size_t)s->n_units, sizeof *r->day_census);
    r->day_queue = calloc(r->n_days_total * (size_t)s->n_units, sizeof *r->day_queue);
    r->day_tie = calloc(r->n_days_total, sizeof *r->day_tie);
    assert_true(r->census && r->queue && r->over_day && r->day_census && r->day_queue &&
                r->day_tie);
    const struct flyt_unit *h = &s->units[s->hospital];
    r->hosp_cap = h->kind == FLYT_UNIT_BEDS ? h->capacity : INFINITY;
}

static void replay_free(struct replay *r)
{
    free(r->slot);
    free(r->census);
    free(r->queue);
    free(r->over_day);
    free(r->day_census);
    free(r->day_queue);
    free(r->day_tie);
}

static struct slot *slot_at(struct replay *r, uint32_t i)
{
    if (i >= r->n_slots) {
        size_t n = r->n_slots ? r->n_slots : 256;
        while (n <= i)
            n *= 2;
        struct slot *p = realloc(r->slot, n * sizeof *p);
        assert_non_null(p);
        for (size_t k = r->n_slots; k < n; k++)
            p[k] = (struct slot){ 0, GONE, GONE, -1, REL_NONE, false };
        r->slot = p;
        r->n_slots = n;
    }
    return &r->slot[i];
}

/* The time-integral of the hospital's census above capacity, from the
 * last event to t, within the measured window. */
static void advance(struct replay *r, double t)
{
    double lo = fmax(r->t_last, r->s->warmup_days), hi = fmin(t, r->s->horizon_days);
    double over = (double)r->census[r->s->hospital] - r->hosp_cap;
    if (hi > lo && over > 0)
        r->area_over += over * (hi - lo);
    /* the state at each 00:00 up to t */
    while ((double)r->next_day < t && r->next_day < r->n_days_total) {
        size_t d = r->next_day++;
        memcpy(r->day_census + d * (size_t)r->s->n_units, r->census,
               (size_t)r->s->n_units * sizeof *r->census);
        memcpy(r->day_queue + d * (size_t)r->s->n_units, r->queue,
               (size_t)r->s->n_units * sizeof *r->queue);
        if ((double)r->census[r->s->hospital] > r->hosp_cap)
            r->over_day[d] = true;
    }
    if (t == floor(t) && t >= 0 && (size_t)t < r->n_days_total)
        r->day_tie[(size_t)t] = true;
    r->t_last = fmax(r->t_last, t);
}

static bool is_stay_unit(const struct flyt_scenario *s, int u)
{
    return u >= 0 && u != s->hospital && s->units[u].kind != FLYT_UNIT_CASELOAD;
}

static void enter(struct replay *r, int u, double t)
{
    r->census[u]++;
    if (u == r->s->hospital && (double)r->census[u] > r->hosp_cap && t >= 0 &&
        (size_t)t < r->n_days_total)
        r->over_day[(size_t)t] = true;
}

static void leave(struct replay *r, int u)
{
    r->census[u]--;
}

static void unqueue(struct replay *r, struct slot *p)
{
    if (p->queued >= 0) {
        r->queue[p->queued]--;
        p->queued = -1;
    }
}

/* Checks one event against the state the earlier ones left, and applies
 * it. Returns false at the first event that breaks a rule. */
static bool replay_event(struct replay *r, const struct flyt_trace_event *ev)
{
    const struct flyt_scenario *s = r->s;
    const int h = s->hospital, n_units = s->n_units;
    struct slot *p = slot_at(r, ev->slot);
    int d = ev->detail;

    if (ev->kind == FLYT_TRACE_INITIAL) {
        if (r->started)
            return fail_at(r, ev, "an initial patient after the run began");
        if (p->loc != GONE || d >= n_units || d == h)
            return fail_at(r, ev, "an initial patient in an occupied slot or not in a unit");
        if (ev->t > 0)
            return fail_at(r, ev, "an initial stay that begins after time 0");
        *p = (struct slot){ ev->patient, d, GONE, -1, REL_NONE, false };
        enter(r, d, -1);
        r->present++;
        r->initial++;
        return true;
    }
    r->started = true;
    if (ev->t < r->t_last)
        return fail_at(r, ev, "time runs backwards");
    if (r->busy >= 0 && (uint32_t)r->busy != ev->slot)
        return fail_at(r, ev, "another patient's move was still under way");
    advance(r, ev->t);

    if (ev->kind == FLYT_TRACE_ARRIVAL) {
        if (p->loc != GONE)
            return fail_at(r, ev, "an arrival in an occupied slot");
        *p = (struct slot){ ev->patient, h, GONE, -1, REL_NONE, false };
        enter(r, h, ev->t);
        r->present++;
        r->in++;
        r->in_window += ev->t >= s->warmup_days;
        return true;
    }
    if (p->loc == GONE || p->patient != ev->patient)
        return fail_at(r, ev, "an event for a patient who is not in the system");

    /* the release of the place an admission came from comes next */
    if (p->release != REL_NONE) {
        bool ok = p->release == REL_UKP ? ev->kind == FLYT_TRACE_UKP_END && d == p->loc
                                        : ev->kind == FLYT_TRACE_ST_END && d == p->release;
        if (!ok)
            return fail_at(r, ev, "the place the patient came from was not released");
        p->release = REL_NONE;
        r->busy = -1;
        return true;
    }
    if (p->loc == TRANSIT && ev->kind != FLYT_TRACE_READMISSION && ev->kind != FLYT_TRACE_DEATH &&
        ev->kind != FLYT_TRACE_EXIT)
        return fail_at(r, ev, "a freed bed's patient went nowhere");

    switch (ev->kind) {
    case FLYT_TRACE_READMISSION:
        if (p->loc == h)
            return fail_at(r, ev, "readmitted while in hospital");
        if (p->loc >= 0 && is_stay_unit(s, p->loc))
            return fail_at(r, ev, "readmitted from a bed that was never freed");
        if (p->loc >= 0)
            leave(r, p->loc);
        unqueue(r, p);
        p->loc = h;
        p->ukp_other = false;
        enter(r, h, ev->t);
        r->busy = -1;
        return true;
    case FLYT_TRACE_READY:
    case FLYT_TRACE_DECISION:
        if (p->loc != h)
            return fail_at(r, ev, "discharge-ready or decided outside hospital");
        if (ev->kind == FLYT_TRACE_DECISION && d != FLYT_TRACE_TO_HOME && (d >= n_units || d == h))
            return fail_at(r, ev, "a decision for no unit");
        return true;
    case FLYT_TRACE_UKP_END:
        if (p->loc != h || (d != FLYT_TRACE_TO_HOME && d != FLYT_TRACE_TO_SPECIAL))
            return fail_at(r, ev, "a UKP wait ended that was not one");
        p->ukp_other = true;
        r->busy = (int)ev->slot; /* the exit follows at once */
        return true;
    case FLYT_TRACE_APPLY:
        if (d >= n_units || d == h || d == p->loc || p->queued >= 0 || p->loc < 0)
            return fail_at(r, ev, "an application to no unit, to its own, or a second one");
        p->queued = d;
        r->queue[d]++;
        return true;
    case FLYT_TRACE_ADMIT: {
        if (d >= n_units || d == h || p->queued != d || p->loc < 0)
            return fail_at(r, ev, "admitted without applying there");
        unqueue(r, p);
        int from = p->loc;
        leave(r, from);
        p->loc = d;
        enter(r, d, ev->t);
        r->admits++;
        const struct flyt_unit *x = &s->units[d];
        if (x->kind == FLYT_UNIT_BEDS && (double)r->census[d] > x->capacity)
            return fail_at(r, ev, "a bed unit's census passed its capacity");
        p->release = from == h ? REL_UKP : is_stay_unit(s, from) ? from : REL_NONE;
        r->busy = p->release != REL_NONE ? (int)ev->slot : -1;
        return true;
    }
    case FLYT_TRACE_ST_END:
        if (p->loc != d || !is_stay_unit(s, d))
            return fail_at(r, ev, "a bed freed by a patient not in it");
        if (p->queued >= 0)
            return fail_at(r, ev, "a bed freed while its patient still waits for the next");
        leave(r, d);
        p->from = d;
        p->loc = TRANSIT;
        r->busy = (int)ev->slot;
        return true;
    case FLYT_TRACE_DEATH:
        if (d != (p->loc == TRANSIT ? p->from : p->loc))
            return fail_at(r, ev, "a death named another place");
        r->busy = (int)ev->slot;
        return true;
    case FLYT_TRACE_EXIT:
        if (d == FLYT_TRACE_EXIT_IN_SYSTEM || d == FLYT_TRACE_EXIT_TO_HOSPITAL)
            return fail_at(r, ev, "an exit that is no exit");
        if (p->loc >= 0 && is_stay_unit(s, p->loc))
            return fail_at(r, ev, "left from a bed that was never freed");
        if (p->loc == h && !p->ukp_other && d != FLYT_TRACE_EXIT_HOME)
            return fail_at(r, ev, "left hospital for a place it never decided");
        if (p->loc >= 0)
            leave(r, p->loc);
        unqueue(r, p);
        p->loc = GONE;
        r->present--;
        r->out++;
        r->busy = -1;
        return true;
    case FLYT_TRACE_NOT_READY:
        if (p->loc < 0 || p->loc == h)
            return fail_at(r, ev, "sent back to hospital from hospital");
        r->busy = (int)ev->slot;
        return true;
    case FLYT_TRACE_CASE_DONE:
        return true;
    default:
        return fail_at(r, ev, "an unknown event");
    }
}

/* Every place holds as many as the replay put there, and the sum is the
 * patients present: no one in two places, no one lost. */
static void on_event(void *ctx, const struct flyt_trace_event *ev)
{
    struct replay *r = ctx;
    if (r->why[0] || !replay_event(r, ev))
        return;
    long sum = 0;
    for (int u = 0; u < r->s->n_units; u++) {
        if (r->census[u] < 0) {
            fail_at(r, ev, "a negative census");
            return;
        }
        sum += r->census[u];
    }
    long transit = r->busy >= 0 && r->slot[r->busy].loc == TRANSIT;
    if (sum + transit != r->present)
        fail_at(r, ev, "the places do not add up to the patients present");
}

/* A traced replication, replayed; the result is checked against the
 * replay and against an untraced run of the same replication. */
static void run_replayed(const struct flyt_scenario *s, unsigned rep, struct replay *r,
                         struct flyt_result *res)
{
    replay_init(r, s);
    struct flyt_trace tr = { on_event, r };
    int rc = flyt_model_run_traced(s, rep, res, &tr);
    if (r->why[0])
        fail_msg("%s, replication %u: %s", s->name, rep, r->why);
    const double *k = res->kpi;
    /* A strict FIFO caseload of a few hours draws, now and then, a client
     * who asks more than it has: a gridlock (sim/model/gridlock.c), and the
     * run stops there. Patients are conserved up to the stop. */
    if (rc == 1 && res->status == FLYT_RUN_GRIDLOCK && strstr(res->status_detail, "strict FIFO")) {
        assert_true(k[FLYT_KPI_patients_in] + k[FLYT_KPI_patients_initial] ==
                    k[FLYT_KPI_patients_out] + k[FLYT_KPI_patients_at_end]);
        assert_true(k[FLYT_KPI_patients_at_end] == (double)r->present);
        r->gridlocked = true;
        return;
    }
    if (rc != 0)
        fail_msg("%s, replication %u: rc %d (%s)", s->name, rep, rc, res->status_detail);
    assert_true(r->busy < 0);
    advance(r, s->horizon_days);

    assert_true(k[FLYT_KPI_patients_in] == (double)r->in);
    assert_true(k[FLYT_KPI_patients_initial] == (double)r->initial);
    assert_true(k[FLYT_KPI_patients_out] == (double)r->out);
    assert_true(k[FLYT_KPI_patients_at_end] == (double)r->present);
    assert_true(k[FLYT_KPI_arrivals] == (double)r->in_window);
    assert_true(k[FLYT_KPI_patients_in] + k[FLYT_KPI_patients_initial] ==
                k[FLYT_KPI_patients_out] + k[FLYT_KPI_patients_at_end]);

    /* the replay's 00:00 states are the model's daily series */
    size_t first = (size_t)ceil(s->warmup_days), compared = 0;
    for (size_t i = 0; i < res->n_days; i++) {
        size_t d = first + i;
        if (d >= r->n_days_total || r->day_tie[d])
            continue;
        compared++;
        for (int u = 0; u < s->n_units; u++) {
            double c = flyt_result_unit_series(res, (unsigned)u, FLYT_USERIES_census)[i];
            double q = flyt_result_unit_series(res, (unsigned)u, FLYT_USERIES_queue)[i];
            if (c != (double)r->day_census[d * (size_t)s->n_units + (size_t)u] ||
                q != (double)r->day_queue[d * (size_t)s->n_units + (size_t)u])
                fail_msg("%s, replication %u, day %zu, unit %s: census %g queue %g, replayed "
                         "%ld and %ld",
                         s->name, rep, d, s->units[u].id, c, q,
                         r->day_census[d * (size_t)s->n_units + (size_t)u],
                         r->day_queue[d * (size_t)s->n_units + (size_t)u]);
            /* a caseload's hours, which the trace does not carry: at 00:00 */
            const struct flyt_unit *x = &s->units[u];
            double hours = flyt_result_unit_series(res, (unsigned)u, FLYT_USERIES_hours)[i];
            if (x->kind == FLYT_UNIT_CASELOAD && !(hours <= x->capacity + 1e-9))
                fail_msg("%s, replication %u, day %zu: caseload %s uses %.9g of %.9g hours",
                         s->name, rep, d, x->id, hours, x->capacity);
        }
    }
    assert_true(compared * 2 > res->n_days);

    /* tracing changes nothing */
    struct flyt_result plain;
    assert_int_equal(flyt_model_run(s, rep, &plain), 0);
    assert_memory_equal(plain.kpi, res->kpi, sizeof plain.kpi);
    assert_memory_equal(plain.unit_kpi, res->unit_kpi,
                        (size_t)s->n_units * FLYT_N_UNIT_KPI * sizeof(double));
    flyt_result_free(&plain);
}

/* ---- (c) a hospital with beds ---- */

static struct flyt_scenario *finite_hospital(int beds)
{
    char *text = malloc(TEXT_CAP);
    assert_non_null(text);
    text[0] = '\0';
    /* about 51 in treatment and a few more waiting for 20 rehabilitation
     * beds (offered 18) */
    put(text,
        "name = \"finite-hospital-%d\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = 430.0; warmup_days = 30.0;\n"
        "       replications = 3; seed = 4711; };\n"
        "population: { admissions_per_day = 10.0;\n"
        "  cfs_mix = [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.03, 0.02]; };\n"
        "hospital: { los_days = { dist = \"exponential\"; mean = 5.0; };\n"
        "  ukp_probability = 0.3; death_probability = 0.02; };\n"
        "decision: { delay_days = { dist = \"exponential\"; mean = 0.5; };\n"
        "  destination = { home = 0.4; rehab = 0.6; }; };\n"
        "units = (\n"
        "  { id = \"hospital\"; kind = \"beds\"; capacity = %d; hospital = true; },\n"
        "  { id = \"rehab\"; kind = \"beds\"; capacity = 20; initial_occupancy = 0.8;\n"
        "    los_days = { dist = \"exponential\"; mean = 10.0; };\n"
        "    outcome = { home = 0.9; hospital = 0.1; }; }\n"
        ");\n",
        beds, beds);
    struct flyt_scenario *s = flyt_test_load_text(text, "finite-hospital");
    free(text);
    return s;
}

static void check_overflow(const struct flyt_scenario *s, unsigned rep, double *overflow,
                           double *days_over, double *occupancy)
{
    struct replay r;
    struct flyt_result res;
    run_replayed(s, rep, &r, &res);
    const int h = s->hospital;
    const double *k = flyt_result_unit_kpi(&res, (unsigned)h);
    /* overflow bed-days: the replayed integral (summed over other
     * intervals: equal up to rounding) */
    assert_near(k[FLYT_UNIT_KPI_overflow_bed_days], r.area_over, 1e-9 * (1 + r.area_over));
    /* days over capacity: the whole days of the window in which the census
     * passed capacity at some moment */
    size_t over = 0, days = 0;
    for (size_t d = (size_t)ceil(s->warmup_days); (double)d + 1 <= s->horizon_days; d++) {
        days++;
        over += r.over_day[d];
    }
    assert_true(k[FLYT_UNIT_KPI_days_over_capacity] == (double)over / (double)days);
    /* and the daily hospital series: a day whose 00:00 census is above
     * capacity is a day over capacity */
    for (size_t i = 0; i < res.n_days; i++) {
        double c = flyt_result_unit_series(&res, (unsigned)h, FLYT_USERIES_census)[i];
        size_t d = (size_t)ceil(s->warmup_days) + i;
        if (c > s->units[h].capacity && (double)d + 1 <= s->horizon_days)
            assert_true(r.over_day[d]);
    }
    /* nobody is refused: every arrival is admitted to hospital */
    assert_true(res.kpi[FLYT_KPI_patients_in] == (double)r.in);
    assert_true(flyt_result_unit_kpi(&res, (unsigned)h)[FLYT_UNIT_KPI_admissions] >=
                res.kpi[FLYT_KPI_arrivals]);
    printf("  %s, replication %u: census %.2f of %g beds, overflow %.3f bed-days, %zu of %zu "
           "days over\n",
           s->name, rep, k[FLYT_UNIT_KPI_occupancy], s->units[h].capacity, r.area_over, over, days);
    *overflow = k[FLYT_UNIT_KPI_overflow_bed_days];
    *days_over = k[FLYT_UNIT_KPI_days_over_capacity];
    *occupancy = k[FLYT_UNIT_KPI_occupancy];
    flyt_result_free(&res);
    replay_free(&r);
}

static void a_hospital_with_beds_overflows_and_refuses_nobody(void **state)
{
    (void)state;
    struct flyt_scenario *roomy = finite_hospital(100000);
    struct flyt_scenario *tight = finite_hospital(45);
    double occ_roomy[3], occ_tight[3];
    for (unsigned rep = 0; rep < 3; rep++) {
        double overflow, days_over;
        check_overflow(roomy, rep, &overflow, &days_over, &occ_roomy[rep]);
        assert_true(overflow == 0.0 && days_over == 0.0);
        check_overflow(tight, rep, &overflow, &days_over, &occ_tight[rep]);
        assert_true(occ_tight[rep] > 45); /* capacity below the mean census */
        assert_true(overflow > 0 && days_over > 0);
        /* capacity changes no patient's path: the census is the same */
        assert_true(occ_tight[rep] == occ_roomy[rep]);
    }
    flyt_scenario_free(roomy);
    flyt_scenario_free(tight);
}

/* ---- (d) random networks ---- */

static double uniform(gsl_rng *g, double lo, double hi)
{
    return lo + (hi - lo) * gsl_rng_uniform(g);
}

static const char *const group_names[2] = { "light", "heavy" };

/* A stay's law: exponential, lognormal or gamma around a random mean. */
static void put_dist(char *buf, gsl_rng *g, double lo, double hi)
{
    double mean = uniform(g, lo, hi);
    switch (gsl_rng_uniform_int(g, 3)) {
    case 0:
        put(buf, "{ dist = \"exponential\"; mean = %.17g; }", mean);
        break;
    case 1:
        put(buf, "{ dist = \"lognormal\"; mean = %.17g; sd = %.17g; }", mean,
            mean * uniform(g, 0.3, 1.5));
        break;
    default:
        put(buf, "{ dist = \"gamma\"; mean = %.17g; sd = %.17g; }", mean,
            mean * uniform(g, 0.3, 1.2));
        break;
    }
}

struct net {
    int n;          /* units, the hospital first */
    int kind[8];    /* enum flyt_unit_kind */
    char id[8][16]; /* unit ids */
};

/* One group's routes: a random subset of targets[] (unit indexes, or the
 * exits as FLYT_ROUTE_*), always with an exit, shares summing to 1 or
 * rates per year. */
static void put_routes(char *buf, gsl_rng *g, const struct net *net, int self, bool rates)
{
    int to[12], n = 0;
    for (int u = 0; u < net->n; u++)
        if (u != self && (u == 0 || gsl_rng_uniform(g) < 0.5))
            to[n++] = u;
    int exit = gsl_rng_uniform(g) < 0.5 ? FLYT_ROUTE_HOME : FLYT_ROUTE_DEATH;
    to[n++] = exit;
    if (gsl_rng_uniform(g) < 0.4)
        to[n++] = exit == FLYT_ROUTE_HOME ? FLYT_ROUTE_DEATH : FLYT_ROUTE_HOME;
    double w[12], sum = 0;
    for (int j = 0; j < n; j++) {
        /* a share 0 now and then: a route written but never taken */
        w[j] = to[j] < 0                   ? uniform(g, 0.5, 2.0)
               : gsl_rng_uniform(g) < 0.15 ? 0.0
                                           : uniform(g, 0, 1);
        sum += w[j];
    }
    put(buf, "{ ");
    double left = 1.0;
    for (int j = 0; j < n; j++) {
        const char *name = to[j] == FLYT_ROUTE_HOME    ? "home"
                           : to[j] == FLYT_ROUTE_DEATH ? "death"
                                                       : net->id[to[j]];
        double x;
        if (rates)
            x = w[j] / sum * uniform(g, 5.0, 40.0);
        else
            x = j == n - 1 ? left : w[j] / sum;
        left -= x;
        put(buf, "%s = %.17g; ", name, fmax(x, 0.0));
    }
    put(buf, "}");
}

static void put_per_group_routes(char *buf, gsl_rng *g, const struct net *net, int self, bool rates,
                                 const char *key)
{
    put(buf, "    %s = {\n", key);
    for (int k = 0; k < 2; k++) {
        put(buf, "      %s = ", group_names[k]);
        put_routes(buf, g, net, self, rates);
        put(buf, ";\n");
    }
    put(buf, "    };\n");
}

/* A network of 2 to 6 units after the hospital, all drawn from seed;
 * idle adds a unit nobody is routed to, last. */
static void random_network(char *buf, unsigned seed, bool idle, struct net *net)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(g);
    gsl_rng_set(g, seed);
    memset(net, 0, sizeof *net);
    net->n = 1 + 2 + (int)gsl_rng_uniform_int(g, 5);
    snprintf(net->id[0], sizeof net->id[0], "hospital");
    net->kind[0] = gsl_rng_uniform(g) < 0.5 ? FLYT_UNIT_UNLIMITED : FLYT_UNIT_BEDS;
    for (int u = 1; u < net->n; u++) {
        snprintf(net->id[u], sizeof net->id[u], "u%d", u);
        net->kind[u] = (int)gsl_rng_uniform_int(g, FLYT_N_UNIT_KINDS);
    }
    buf[0] = '\0';
    double lambda = uniform(g, 1.0, 6.0);
    put(buf,
        "name = \"random-%u\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = 300.0; warmup_days = 40.0;\n"
        "       replications = 1; seed = %u; };\n"
        "population: { admissions_per_day = %.17g; complex_share = %.3f;\n"
        "  cfs_mix = [0.2, 0.2, 0.2, 0.1, 0.1, 0.1, 0.05, 0.03, 0.02]; };\n"
        "groups = ( { name = \"light\"; cfs = [1, 4]; }, { name = \"heavy\"; cfs = [5, 9]; } );\n"
        "hospital: {\n  los_days = ",
        seed, seed, lambda, gsl_rng_uniform(g) < 0.3 ? 0.01 : 0.0);
    put_dist(buf, g, 1.0, 6.0);
    put(buf,
        ";\n  ukp_probability = { light = %.3f; heavy = %.3f; };\n"
        "  death_probability = %.3f;\n"
        "  not_ready_probability = %.3f;\n"
        "  not_ready_days = { dist = \"exponential\"; mean = 2.0; };\n};\n",
        uniform(g, 0.3, 1.0), uniform(g, 0.5, 1.0), uniform(g, 0.0, 0.05),
        gsl_rng_uniform(g) < 0.5 ? 0.1 : 0.0);
    put(buf,
        "decision: {\n  delay_days = { dist = \"exponential\"; mean = %.3f; };\n"
        "  working_days_only = %s;\n"
        "  complex_placement_days = { dist = \"lognormal\"; mean = 10.0; sd = 5.0; };\n"
        "  destination = {\n",
        uniform(g, 0.05, 2.0), gsl_rng_uniform(g) < 0.3 ? "true" : "false");
    for (int k = 0; k < 2; k++) {
        double w[8], sum = 0;
        for (int u = 0; u < net->n; u++) {
            w[u] = u == 0 ? uniform(g, 0.05, 0.5) : uniform(g, 0.0, 1.0);
            sum += w[u];
        }
        put(buf, "    %s = { home = %.17g; ", group_names[k], w[0] / sum);
        double left = 1.0 - w[0] / sum;
        for (int u = 1; u < net->n; u++) {
            double x = u == net->n - 1 ? left : w[u] / sum;
            left -= x;
            put(buf, "%s = %.17g; ", net->id[u], fmax(x, 0.0));
        }
        put(buf, "};\n");
    }
    put(buf, "  };\n};\nunits = (\n");
    if (net->kind[0] == FLYT_UNIT_BEDS)
        put(buf, "  { id = \"hospital\"; kind = \"beds\"; capacity = %lu; hospital = true; }",
            1 + gsl_rng_uniform_int(g, 40));
    else
        put(buf, "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; }");
    static const char *const kind_name[] = { "beds", "caseload", "unlimited" };
    for (int u = 1; u < net->n; u++) {
        int kind = net->kind[u];
        put(buf, ",\n  { id = \"%s\"; kind = \"%s\";\n", net->id[u], kind_name[kind]);
        if (kind == FLYT_UNIT_BEDS) {
            /* small capacities too: one bed blocks at once */
            unsigned long c = gsl_rng_uniform(g) < 0.3 ? 1 + gsl_rng_uniform_int(g, 3)
                                                       : 4 + gsl_rng_uniform_int(g, 30);
            put(buf, "    capacity = %lu; initial_occupancy = %.3f;\n", c, gsl_rng_uniform(g));
        } else if (kind == FLYT_UNIT_CASELOAD) {
            put(buf, "    capacity = %.3f;\n    hours_per_client = ", uniform(g, 3.0, 60.0));
            put_dist(buf, g, 0.5, 4.0);
            put(buf, ";\n    queue = \"%s\";\n",
                gsl_rng_uniform(g) < 0.5 ? "strict_fifo" : "first_fit");
            put_per_group_routes(buf, g, net, u, true, "rates_per_year");
        } else {
            put(buf, "    initial_patients = %lu;\n", gsl_rng_uniform_int(g, 10));
        }
        if (kind != FLYT_UNIT_CASELOAD) {
            put(buf, "    los_days = ");
            put_dist(buf, g, 0.5, 15.0);
            put(buf, ";\n");
            put_per_group_routes(buf, g, net, u, false, "outcome");
        }
        if (kind == FLYT_UNIT_BEDS && gsl_rng_uniform(g) < 0.4)
            put(buf, "    queue = \"priority\"; priority = [\"%s\", \"hospital\"];\n",
                net->id[1 + gsl_rng_uniform_int(g, (unsigned long)net->n - 1)]);
        else if (kind == FLYT_UNIT_BEDS && gsl_rng_uniform(g) < 0.3)
            put(buf, "    queue = \"group_priority\"; priority = [\"heavy\"];\n");
        if (kind != FLYT_UNIT_UNLIMITED && gsl_rng_uniform(g) < 0.4)
            put(buf, "    not_ready_returns = true;\n");
        if (gsl_rng_uniform(g) < 0.2)
            put(buf, "    admission_days = \"weekdays\";\n");
        put(buf, "  }");
    }
    if (idle)
        put(buf, ",\n  { id = \"idle\"; kind = \"beds\"; capacity = 3;\n"
                 "    los_days = { dist = \"exponential\"; mean = 4.0; };\n"
                 "    outcome = { home = 0.5; death = 0.5; }; }");
    put(buf, "\n);\n");
    gsl_rng_free(g);
}

static void patients_are_conserved_on_random_networks(void **state)
{
    (void)state;
    char *text = malloc(TEXT_CAP);
    assert_non_null(text);
    long events = 0, admits = 0;
    int kinds[FLYT_N_UNIT_KINDS] = { 0 }, beds_hospitals = 0, gridlocks = 0;
    for (unsigned i = 0; i < 20; i++) {
        struct net net;
        random_network(text, 9020 + i, false, &net);
        struct flyt_scenario *s = flyt_test_load_text(text, "random");
        for (int u = 1; u < s->n_units; u++)
            kinds[s->units[u].kind]++;
        beds_hospitals += s->units[s->hospital].kind == FLYT_UNIT_BEDS;
        for (unsigned rep = 0; rep < 2; rep++) {
            struct replay r;
            struct flyt_result res;
            run_replayed(s, rep, &r, &res);
            gridlocks += r.gridlocked;
            events += (long)res.model_events;
            admits += r.admits;
            flyt_result_free(&res);
            replay_free(&r);
        }
        flyt_scenario_free(s);
    }
    printf("20 networks x 2 replications: %ld model events, %ld admissions to units; units: %d "
           "beds, %d caseload, %d unlimited; %d hospitals with beds; %d stopped by a strict "
           "FIFO gridlock\n",
           events, admits, kinds[FLYT_UNIT_BEDS], kinds[FLYT_UNIT_CASELOAD],
           kinds[FLYT_UNIT_UNLIMITED], beds_hospitals, gridlocks);
    /* the draw covered what it is meant to */
    assert_true(kinds[FLYT_UNIT_BEDS] > 0 && kinds[FLYT_UNIT_CASELOAD] > 0 &&
                kinds[FLYT_UNIT_UNLIMITED] > 0 && beds_hospitals > 0 && admits > 1000 &&
                gridlocks < 10);
    free(text);
}

/* ---- (e) a unit nobody is routed to ---- */

static void assert_same_figures(const struct flyt_scenario *a, const struct flyt_scenario *b,
                                unsigned reps)
{
    assert_int_equal(b->n_units, a->n_units + 1);
    struct flyt_result *ra = flyt_test_run_reps(a, reps, THREADS),
                       *rb = flyt_test_run_reps(b, reps, THREADS);
    for (unsigned i = 0; i < reps; i++) {
        assert_memory_equal(ra[i].kpi, rb[i].kpi, sizeof ra[i].kpi);
        assert_memory_equal(ra[i].unit_kpi, rb[i].unit_kpi,
                            (size_t)a->n_units * FLYT_N_UNIT_KPI * sizeof(double));
        for (int k = 0; k < FLYT_N_SERIES; k++)
            assert_memory_equal(ra[i].series[k], rb[i].series[k], ra[i].n_days * sizeof(double));
        assert_int_equal(ra[i].model_events, rb[i].model_events);
        const double *idle = flyt_result_unit_kpi(&rb[i], (unsigned)a->n_units);
        assert_true(idle[FLYT_UNIT_KPI_occupancy] == 0.0 && idle[FLYT_UNIT_KPI_admissions] == 0.0);
    }
    flyt_test_free_results(ra, reps);
    flyt_test_free_results(rb, reps);
}

static char *read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *text = calloc(1, TEXT_CAP);
    assert_non_null(text);
    size_t n = fread(text, 1, TEXT_CAP - 1, f);
    fclose(f);
    assert_true(n > 0 && n < TEXT_CAP - 1024);
    return text;
}

static void an_idle_unit_changes_nothing(void **state)
{
    (void)state;
    /* the tandem validation file, with a unit added at the end of its list */
    char *text = read_text(FLYT_SOURCE_DIR "/scenarios/validation/tandem-blocking.cfg");
    char *with = calloc(1, TEXT_CAP);
    assert_non_null(with);
    char *end = strstr(text, "\n);");
    assert_non_null(end);
    assert_null(strstr(end + 1, "\n);")); /* the units list is the last list */
    memcpy(with, text, (size_t)(end - text));
    put(with,
        ",\n  { id = \"idle\"; kind = \"beds\"; capacity = 5; initial_occupancy = 0.0;\n"
        "    los_days = { dist = \"exponential\"; mean = 2.0; };\n"
        "    outcome = { home = 1.0; }; }%s",
        end);
    const char *sets[] = { "run.horizon_days=2200", "run.warmup_days=200" };
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *a = flyt_scenario_load_string(text, "tandem", NULL, sets, 2, &d);
    struct flyt_scenario *b = flyt_scenario_load_string(with, "tandem+idle", NULL, sets, 2, &d);
    if (!a || !b)
        fprintf(stderr, "%s\n", d.text ? d.text : "");
    flyt_diag_free(&d);
    assert_true(a && b);
    assert_same_figures(a, b, 4);
    flyt_scenario_free(a);
    flyt_scenario_free(b);

    /* and a random network */
    struct net net;
    random_network(text, 9003, false, &net);
    random_network(with, 9003, true, &net);
    a = flyt_test_load_text(text, "random");
    b = flyt_test_load_text(with, "random+idle");
    assert_same_figures(a, b, 4);
    flyt_scenario_free(a);
    flyt_scenario_free(b);
    free(text);
    free(with);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(beds_unit_matches_erlang_c),
        cmocka_unit_test(unlimited_unit_is_m_g_infinity),
        cmocka_unit_test(a_hospital_with_beds_overflows_and_refuses_nobody),
        cmocka_unit_test(patients_are_conserved_on_random_networks),
        cmocka_unit_test(an_idle_unit_changes_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
