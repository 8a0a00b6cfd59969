/*
 * The engine: ordering (time, then insertion), dispatch, run limits, clamping,
 * stopping and counting.
 */
#include "flyt/engine.h"
#include "flyt/mem.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct flyt_engine *new_engine(uint32_t n_kinds, size_t cap, void *ctx)
{
    struct flyt_engine *e = flyt_engine_new(n_kinds, cap, ctx);
    assert_non_null(e);
    return e;
}

static void events_pop_in_time_order(void **state)
{
    (void)state;
    struct flyt_engine *e = new_engine(1, 4, NULL);
    const double t[] = { 5.0, 1.0, 3.5, 2.0, 4.0, 0.5, 3.0 };
    for (uint32_t i = 0; i < 7; i++)
        assert_int_equal(flyt_engine_schedule(e, t[i], 0, i, 0), 0);
    assert_int_equal(flyt_engine_pending(e), 7);
    const double sorted[] = { 0.5, 1.0, 2.0, 3.0, 3.5, 4.0, 5.0 };
    const uint32_t ids[] = { 5, 1, 3, 6, 2, 4, 0 };
    struct flyt_event ev;
    for (int i = 0; i < 7; i++) {
        assert_int_equal(flyt_engine_pop(e, &ev), 0);
        assert_true(ev.t == sorted[i]);
        assert_int_equal(ev.id, ids[i]);
        assert_true(flyt_engine_now(e) == sorted[i]); /* the clock follows */
    }
    assert_int_equal(flyt_engine_pop(e, &ev), -1);
    assert_int_equal(flyt_engine_pending(e), 0);
    assert_true(flyt_engine_now(e) == 5.0);
    flyt_engine_free(e);
}

/* Ties: events at the same time pop in the order they were scheduled, also
 * when other times are interleaved and the heap has been reshuffled. */
static void equal_times_pop_in_insertion_order(void **state)
{
    (void)state;
    struct flyt_engine *e = new_engine(1, 2, NULL);
    for (uint32_t i = 0; i < 300; i++) {
        double t = (i % 3 == 0) ? 1.0 : (i % 3 == 1) ? 2.0 : 10.5 + (double)(300 - i);
        assert_int_equal(flyt_engine_schedule(e, t, 0, i, 0), 0);
    }
    struct flyt_event ev;
    uint32_t last_id = 0;
    uint64_t last_seq = 0;
    for (int n = 0; n < 100; n++) { /* the 100 at t = 1 first, in order */
        assert_int_equal(flyt_engine_pop(e, &ev), 0);
        assert_true(ev.t == 1.0);
        assert_int_equal(ev.id % 3, 0);
        if (n > 0) {
            assert_true(ev.id > last_id);
            assert_true(ev.seq > last_seq);
        }
        last_id = ev.id;
        last_seq = ev.seq;
    }
    for (int n = 0; n < 100; n++) {
        assert_int_equal(flyt_engine_pop(e, &ev), 0);
        assert_true(ev.t == 2.0);
        assert_int_equal(ev.id, 1 + 3 * (uint32_t)n);
    }
    flyt_engine_free(e);
}

/* A million random times (many tied) pop sorted by (time, insertion), each
 * exactly once. */
static void a_large_calendar_pops_sorted(void **state)
{
    (void)state;
    enum { N = 1000000 };
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 12345);
    struct flyt_engine *e = new_engine(1, 16, NULL);
    for (uint32_t i = 0; i < N; i++) {
        /* half continuous, half on a grid of 1e4 values (about 50 ties each) */
        double t = (i & 1) ? 1000.0 * gsl_rng_uniform(r)
                           : (double)gsl_rng_uniform_int(r, 10000) / 10.0;
        assert_int_equal(flyt_engine_schedule(e, t, 0, i, 0), 0);
    }
    gsl_rng_free(r);
    assert_int_equal(flyt_engine_pending(e), N);
    unsigned char *seen = calloc(N, 1);
    assert_non_null(seen);
    struct flyt_event prev, ev;
    for (uint32_t n = 0; n < N; n++) {
        assert_int_equal(flyt_engine_pop(e, &ev), 0);
        if (n > 0) {
            assert_true(prev.t <= ev.t);
            if (prev.t == ev.t)
                assert_true(prev.id < ev.id && prev.seq < ev.seq);
        }
        assert_true(ev.id < N && !seen[ev.id]);
        seen[ev.id] = 1;
        prev = ev;
    }
    assert_int_equal(flyt_engine_pop(e, &ev), -1);
    free(seen);
    flyt_engine_free(e);
}

/* Renumbering the pending events before the 32-bit insertion number wraps
 * must not change what pops: an engine made to renumber every few dozen
 * events pops the same (time, kind, id, tag) sequence as one that never
 * does, with pops and schedules interleaved and many ties, and seq still
 * rises among events of equal time. */
static void renumbering_keeps_the_order(void **state)
{
    (void)state;
    enum { N = 200000 };
    struct flyt_engine *a = new_engine(4, 8, NULL), *b = new_engine(4, 8, NULL);
    flyt_engine_set_seq_limit(b, 61);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 777);
    uint32_t next_id = 0;
    struct flyt_event ea, eb, prev = { 0 };
    int popped = 0;
    for (int step = 0; step < N; step++) {
        if (flyt_engine_pending(a) < 40 || gsl_rng_uniform(r) < 0.5) {
            double base = flyt_engine_now(a);
            /* a third on a coarse grid, so ties are common */
            double t = gsl_rng_uniform(r) < 0.33 ? floor(base) + (double)gsl_rng_uniform_int(r, 3)
                                                 : base + 5.0 * gsl_rng_uniform(r);
            uint32_t kind = (uint32_t)gsl_rng_uniform_int(r, 4), tag = next_id * 7u;
            assert_int_equal(flyt_engine_schedule(a, t, kind, next_id, tag), 0);
            assert_int_equal(flyt_engine_schedule(b, t, kind, next_id, tag), 0);
            next_id++;
        } else {
            assert_int_equal(flyt_engine_pop(a, &ea), 0);
            assert_int_equal(flyt_engine_pop(b, &eb), 0);
            assert_true(ea.t == eb.t);
            assert_int_equal(ea.kind, eb.kind);
            assert_int_equal(ea.id, eb.id);
            assert_int_equal(ea.tag, eb.tag);
            if (popped++ > 0 && prev.t == eb.t)
                assert_true(prev.seq < eb.seq);
            prev = eb;
        }
    }
    while (flyt_engine_pop(a, &ea) == 0) {
        assert_int_equal(flyt_engine_pop(b, &eb), 0);
        assert_int_equal(ea.id, eb.id);
    }
    assert_int_equal(flyt_engine_pending(b), 0);
    assert_true(next_id > 61 * 100); /* b renumbered many times */
    gsl_rng_free(r);
    flyt_engine_free(a);
    flyt_engine_free(b);
}

/* ---- the two tiers against a plain reference ---- */

/* A sorted-insertion reference calendar: slow and obviously right. */
struct ref_ev {
    double t;
    uint64_t seq;
    uint32_t id;
};

/* A calendar and the reference beside it, given the same events. */
struct twin {
    struct flyt_engine *e;
    struct ref_ev *ref;
    size_t n;
    uint64_t seq;
    uint32_t id;
};

static struct twin twin_new(size_t max)
{
    struct twin w = { new_engine(1, 4, NULL), malloc(max * sizeof(struct ref_ev)), 0, 0, 0 };
    assert_non_null(w.ref);
    return w;
}

static void twin_free(struct twin *w)
{
    free(w->ref);
    flyt_engine_free(w->e);
}

static void twin_schedule(struct twin *w, double t)
{
    assert_int_equal(flyt_engine_schedule(w->e, t, 0, w->id, 0), 0);
    size_t i = w->n++;
    while (i > 0 && w->ref[i - 1].t > t) /* later seq: after equal times */
        w->ref[i] = w->ref[i - 1], i--;
    w->ref[i] = (struct ref_ev){ t, w->seq++, w->id++ };
}

/* Pops one event from both; they must agree. */
static void twin_pop(struct twin *w)
{
    struct flyt_event ev;
    assert_int_equal(flyt_engine_pop(w->e, &ev), 0);
    assert_int_equal(ev.id, w->ref[0].id);
    assert_true(ev.t == w->ref[0].t);
    memmove(w->ref, w->ref + 1, --w->n * sizeof *w->ref);
}

/* Times spread from the same instant to decades ahead, beyond the ring of
 * buckets and beyond the coarse ring, dense and sparse phases (the buckets
 * change width), long gaps with nothing pending, far-off and infinite
 * times, runs to a horizon and scheduling after it: the calendar pops
 * exactly what a sorted list pops. */
static void tiers_pop_like_a_sorted_list(void **state)
{
    (void)state;
    enum { STEPS = 300000, MAXN = 4096 };
    struct twin w = twin_new(MAXN);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 4242);
    for (int step = 0; step < STEPS; step++) {
        double u = gsl_rng_uniform(r);
        if (w.n < MAXN - 1 && (w.n == 0 || u < 0.5)) {
            double now = flyt_engine_now(w.e), v = gsl_rng_uniform(r), t;
            /* phases of dense and sparse events make the buckets narrow
             * and widen again */
            double f = step < STEPS / 3 ? 1.0 : step < 2 * STEPS / 3 ? 1e-4 : 30.0;
            if (v < 0.2)
                t = now; /* the same instant */
            else if (v < 0.5)
                t = now + f * gsl_rng_uniform(r);
            else if (v < 0.8)
                t = now + f * 40.0 * gsl_rng_uniform(r);
            else if (v < 0.96)
                t = now + f * 20000.0 * gsl_rng_uniform(r); /* beyond the ring */
            else if (v < 0.97)
                t = now + f * 3e7 * gsl_rng_uniform(r); /* beyond the coarse ring */
            else if (v < 0.99)
                t = floor(now) + f * 3000.0; /* ties on a far tick */
            else
                t = v < 0.995 ? 1e300 : INFINITY;
            if (t < now) /* after an infinite time has popped, as the calendar does */
                t = now;
            twin_schedule(&w, t);
        } else if (u < 0.98 || w.ref[0].t == INFINITY) {
            twin_pop(&w);
        } else { /* run to a horizon short of the next event, then on */
            double horizon = flyt_engine_now(w.e) + 0.5 * (w.ref[0].t - flyt_engine_now(w.e));
            assert_int_equal(flyt_engine_run(w.e, horizon), 0);
            assert_true(flyt_engine_now(w.e) == horizon);
        }
        assert_int_equal(flyt_engine_pending(w.e), w.n);
    }
    while (w.n > 0)
        twin_pop(&w);
    struct flyt_event ev;
    assert_int_equal(flyt_engine_pop(w.e, &ev), -1);
    gsl_rng_free(r);
    twin_free(&w);
}

/* Few events spread over every scale, from a millisecond to millions of
 * years ahead: the calendar jumps over empty stretches of the fine ring,
 * of the coarse ring and of both, moves the coarse ring on and files its
 * overflow again, and still pops exactly what a sorted list pops. */
static void sparse_far_times_pop_like_a_sorted_list(void **state)
{
    (void)state;
    enum { STEPS = 200000, MAXN = 64 };
    struct twin w = twin_new(MAXN);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 99);
    for (int step = 0; step < STEPS; step++) {
        if (w.n < MAXN - 1 && (w.n == 0 || gsl_rng_uniform(r) < 0.5)) {
            /* a dense phase first (the ticks narrow), then sparse ones */
            double hi = step < STEPS / 4 ? 2.0 : 11.0;
            twin_schedule(&w,
                          flyt_engine_now(w.e) + pow(10.0, -3.0 + (hi + 3.0) * gsl_rng_uniform(r)));
        } else {
            twin_pop(&w);
        }
        assert_int_equal(flyt_engine_pending(w.e), w.n);
    }
    gsl_rng_free(r);
    twin_free(&w);
}

/* Events dense enough beyond the ring that its blocks come in as runs
 * (grouped by tick rather than spread over the buckets), many on one
 * instant: a dense month narrows the ticks, the sparse months after it
 * widen them while runs are pending, and the pending events are renumbered
 * under them. Both engines, one renumbering and one not, pop every event
 * once, in (time, insertion) order. */
static void runs_keep_order_through_rescales_and_renumbering(void **state)
{
    (void)state;
    enum { N = 200000 };
    struct flyt_engine *a = new_engine(1, 16, NULL), *b = new_engine(1, 16, NULL);
    flyt_engine_set_seq_limit(b, N + 30001);
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    assert_non_null(r);
    gsl_rng_set(r, 31337);
    uint32_t id = 0;
    for (; id < N; id++) {
        double t = id < N / 2 ? 30.0 * gsl_rng_uniform(r) : 30.0 + 300.0 * gsl_rng_uniform(r);
        if (id % 8 == 0)
            t = floor(4.0 * t) / 4.0; /* on a grid: ties */
        assert_int_equal(flyt_engine_schedule(a, t, 0, id, 0), 0);
        assert_int_equal(flyt_engine_schedule(b, t, 0, id, 0), 0);
    }
    unsigned char *seen = calloc(2 * N, 1);
    assert_non_null(seen);
    struct flyt_event ea, eb, prev = { 0 };
    uint32_t popped = 0;
    while (flyt_engine_pop(a, &ea) == 0) {
        assert_int_equal(flyt_engine_pop(b, &eb), 0);
        assert_true(ea.t == eb.t);
        assert_int_equal(ea.id, eb.id);
        assert_true(ea.id < 2 * N && !seen[ea.id]);
        seen[ea.id] = 1;
        if (popped++ > 0)
            assert_true(prev.t < ea.t || (prev.t == ea.t && prev.id < ea.id));
        prev = ea;
        if (popped % 3 == 0 && id < 2 * N) { /* more, a few weeks on */
            double t = ea.t + 20.0 + 20.0 * gsl_rng_uniform(r);
            if (id % 8 == 0)
                t = floor(4.0 * t) / 4.0;
            assert_int_equal(flyt_engine_schedule(a, t, 0, id, 0), 0);
            assert_int_equal(flyt_engine_schedule(b, t, 0, id, 0), 0);
            id++;
        }
    }
    assert_int_equal(flyt_engine_pop(b, &eb), -1);
    assert_int_equal(popped, id);
    gsl_rng_free(r);
    free(seen);
    flyt_engine_free(a);
    flyt_engine_free(b);
}

/* ---- prefetch hooks ---- */

struct hinted {
    unsigned char hinted[2000], ran[2000];
    int late; /* events that ran before their hint */
};

static void note_hint(uint32_t id, void *ctx)
{
    struct hinted *h = ctx;
    assert_true(id < 2000);
    assert_false(h->ran[id]);
    h->hinted[id] = 1;
}

static void note_run(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    (void)e;
    struct hinted *h = ctx;
    if (!h->hinted[ev->id])
        h->late++;
    h->ran[ev->id] = 1;
}

/* Events filed for later slices of time are hinted before they run, and
 * only those of kinds with a hook; the order is that of an engine with no
 * hooks. */
static void prefetch_hooks_name_events_before_they_run(void **state)
{
    (void)state;
    struct hinted *h = calloc(1, sizeof *h);
    assert_non_null(h);
    struct flyt_engine *e = new_engine(2, 4, h), *plain = new_engine(2, 4, NULL);
    flyt_engine_on(e, 0, note_run);
    flyt_engine_prefetch(e, 0, note_hint);
    flyt_engine_prefetch(e, 7, note_hint); /* no such kind: ignored */
    for (uint32_t i = 0; i < 2000; i++) {
        double t = 1.0 + 0.37 * (double)((i * 7919u) % 2000); /* all after the first tick */
        assert_int_equal(flyt_engine_schedule(e, t, i % 2, i, 0), 0);
        assert_int_equal(flyt_engine_schedule(plain, t, i % 2, i, 0), 0);
    }
    struct flyt_event a, b;
    int kind1_hinted = 0;
    while (flyt_engine_pop(e, &a) == 0) {
        assert_int_equal(flyt_engine_pop(plain, &b), 0);
        assert_int_equal(a.id, b.id);
        assert_true(a.t == b.t);
        if (a.kind == 0)
            note_run(e, &a, h);
        else
            kind1_hinted += h->hinted[a.id];
    }
    assert_int_equal(h->late, 0);
    assert_int_equal(kind1_hinted, 0);
    for (uint32_t i = 0; i < 2000; i += 2)
        assert_true(h->ran[i] && h->hinted[i]);
    flyt_engine_free(e);
    flyt_engine_free(plain);
    free(h);
}

/* ---- handlers ---- */

struct log {
    int n;
    uint32_t kind[64], id[64], tag[64];
    double t[64];
    void *ctx[64];
    int stop_at;      /* a handler stops the run at this event number */
    double chain_end; /* kind 2 reschedules itself every 1.0 until this */
};

static void record(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    struct log *l = ctx;
    assert_true(l->n < 64);
    l->kind[l->n] = ev->kind;
    l->id[l->n] = ev->id;
    l->tag[l->n] = ev->tag;
    l->t[l->n] = ev->t;
    l->ctx[l->n] = ctx;
    assert_true(flyt_engine_now(e) == ev->t);
    l->n++;
    if (l->n == l->stop_at)
        flyt_engine_stop(e);
}

static void record_other(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    record(e, ev, ctx);
    ((struct log *)ctx)->id[((struct log *)ctx)->n - 1] += 1000; /* mark the handler */
}

static void chain(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    struct log *l = ctx;
    record(e, ev, ctx);
    if (ev->t + 1.0 < l->chain_end)
        assert_int_equal(flyt_engine_schedule(e, ev->t + 1.0, 2, ev->id, ev->tag + 1), 0);
}

static void handlers_dispatch_by_kind_with_id_and_tag(void **state)
{
    (void)state;
    struct log l = { .stop_at = -1, .chain_end = 4.0 };
    struct flyt_engine *e = new_engine(4, 8, &l);
    flyt_engine_on(e, 0, record);
    flyt_engine_on(e, 1, record_other);
    flyt_engine_on(e, 2, chain);
    flyt_engine_on(e, 9, record); /* out of range: ignored */
    assert_int_equal(flyt_engine_schedule(e, 0.5, 1, 7, 70), 0);
    assert_int_equal(flyt_engine_schedule(e, 0.25, 0, 3, 30), 0);
    assert_int_equal(flyt_engine_schedule(e, 1.0, 2, 9, 0), 0);
    assert_int_equal(flyt_engine_schedule(e, 1.5, 3, 1, 1), 0);  /* kind without handler */
    assert_int_equal(flyt_engine_schedule(e, 1.75, 8, 1, 1), 0); /* unknown kind */
    uint64_t ran = flyt_engine_run(e, 100.0);
    /* everything popped runs, handler or not */
    assert_int_equal(ran, 7);
    assert_int_equal(flyt_engine_events_run(e), 7);
    assert_int_equal(l.n, 5); /* 0.25, 0.5, and the chain at 1, 2, 3 */
    const uint32_t kind[] = { 0, 1, 2, 2, 2 }, id[] = { 3, 1007, 9, 9, 9 },
                   tag[] = { 30, 70, 0, 1, 2 };
    const double t[] = { 0.25, 0.5, 1.0, 2.0, 3.0 };
    for (int i = 0; i < 5; i++) {
        assert_int_equal(l.kind[i], kind[i]);
        assert_int_equal(l.id[i], id[i]);
        assert_int_equal(l.tag[i], tag[i]);
        assert_true(l.t[i] == t[i]);
        assert_ptr_equal(l.ctx[i], &l);
    }
    flyt_engine_free(e);
}

/* run(t_end) runs events strictly before t_end, then sets the clock to
 * t_end; events at t_end and later stay pending. */
static void run_stops_before_t_end_and_sets_the_clock(void **state)
{
    (void)state;
    struct log l = { .stop_at = -1 };
    struct flyt_engine *e = new_engine(1, 4, &l);
    flyt_engine_on(e, 0, record);
    const double t[] = { 1.0, 2.0, 2.999999, 3.0, 4.0 };
    for (uint32_t i = 0; i < 5; i++)
        flyt_engine_schedule(e, t[i], 0, i, 0);
    assert_int_equal(flyt_engine_run(e, 3.0), 3);
    assert_int_equal(l.n, 3);
    assert_true(flyt_engine_now(e) == 3.0);
    assert_int_equal(flyt_engine_pending(e), 2);
    assert_int_equal(flyt_engine_run(e, 3.0), 0); /* nothing before 3 is left */
    assert_int_equal(flyt_engine_run(e, 10.0), 2);
    assert_true(flyt_engine_now(e) == 10.0);
    assert_int_equal(flyt_engine_run(e, 20.0), 0); /* empty calendar: clock still moves */
    assert_true(flyt_engine_now(e) == 20.0);
    assert_int_equal(flyt_engine_run(e, 15.0), 0); /* and never goes back */
    assert_true(flyt_engine_now(e) == 20.0);
    assert_int_equal(flyt_engine_events_run(e), 5);
    flyt_engine_free(e);
}

static void scheduling_in_the_past_clamps_to_now(void **state)
{
    (void)state;
    struct log l = { .stop_at = -1 };
    struct flyt_engine *e = new_engine(1, 4, &l);
    flyt_engine_on(e, 0, record);
    flyt_engine_run(e, 5.0);
    assert_true(flyt_engine_now(e) == 5.0);
    flyt_engine_schedule(e, 5.0, 0, 1, 0);
    flyt_engine_schedule(e, 2.0, 0, 2, 0); /* in the past */
    flyt_engine_schedule(e, -1e9, 0, 3, 0);
    struct flyt_event ev;
    for (uint32_t id = 1; id <= 3; id++) { /* at now, after what was already due */
        assert_int_equal(flyt_engine_pop(e, &ev), 0);
        assert_true(ev.t == 5.0);
        assert_int_equal(ev.id, id);
    }
    assert_true(flyt_engine_now(e) == 5.0);
    flyt_engine_free(e);
}

static void past_event_from_a_handler(struct flyt_engine *e, const struct flyt_event *ev, void *ctx)
{
    record(e, ev, ctx);
    if (ev->id == 0)
        flyt_engine_schedule(e, ev->t - 2.0, 0, 99, 0);
}

static void a_handler_cannot_schedule_into_the_past(void **state)
{
    (void)state;
    struct log l = { .stop_at = -1 };
    struct flyt_engine *e = new_engine(1, 4, &l);
    flyt_engine_on(e, 0, past_event_from_a_handler);
    flyt_engine_schedule(e, 3.0, 0, 0, 0);
    flyt_engine_schedule(e, 3.0, 0, 1, 0);
    flyt_engine_schedule(e, 4.0, 0, 2, 0);
    assert_int_equal(flyt_engine_run(e, 10.0), 4);
    const uint32_t id[] = { 0, 1, 99, 2 };
    const double t[] = { 3.0, 3.0, 3.0, 4.0 };
    for (int i = 0; i < 4; i++) {
        assert_int_equal(l.id[i], id[i]);
        assert_true(l.t[i] == t[i]);
    }
    flyt_engine_free(e);
}

/* stop() from a handler ends the run after that event, leaves the clock at
 * the event's time and the rest pending; a later run carries on. */
static void stop_from_a_handler(void **state)
{
    (void)state;
    struct log l = { .stop_at = 2 };
    struct flyt_engine *e = new_engine(1, 4, &l);
    flyt_engine_on(e, 0, record);
    for (uint32_t i = 0; i < 5; i++)
        flyt_engine_schedule(e, 1.0 + i, 0, i, 0);
    assert_int_equal(flyt_engine_run(e, 100.0), 2);
    assert_true(flyt_engine_now(e) == 2.0);
    assert_int_equal(flyt_engine_pending(e), 3);
    assert_int_equal(flyt_engine_run(e, 100.0), 3);
    assert_true(flyt_engine_now(e) == 100.0);
    assert_int_equal(l.n, 5);
    assert_int_equal(flyt_engine_events_run(e), 5);
    flyt_engine_free(e);
}

/* events_run counts what run() ran, across calls; pop() does not run. */
static void events_run_counts_across_runs(void **state)
{
    (void)state;
    struct log l = { .stop_at = -1, .chain_end = 1000.0 };
    struct flyt_engine *e = new_engine(3, 1, &l);
    flyt_engine_on(e, 2, chain);
    for (uint32_t i = 0; i < 40; i++)
        flyt_engine_schedule(e, 0.5 + 0.001 * i, 0, i, 0);
    struct flyt_event ev;
    assert_int_equal(flyt_engine_pop(e, &ev), 0);
    assert_int_equal(flyt_engine_events_run(e), 0);
    uint64_t total = 0;
    total += flyt_engine_run(e, 0.52);
    total += flyt_engine_run(e, 1.0);
    assert_int_equal(total, 39);
    assert_int_equal(flyt_engine_events_run(e), 39);
    flyt_engine_free(e);
}

/* VmFlags of the mapping that holds address a ("" when not found). */
static void vm_flags_at(const void *a, char *flags, size_t n)
{
    flags[0] = '\0';
    FILE *f = fopen("/proc/self/smaps", "r");
    if (!f)
        return;
    char line[512];
    bool inside = false;
    while (fgets(line, sizeof line, f)) {
        unsigned long lo, hi;
        if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' ')) {
            inside = (uintptr_t)a >= lo && (uintptr_t)a < hi;
            continue;
        }
        if (inside && strncmp(line, "VmFlags:", 8) == 0) {
            snprintf(flags, n, "%s", line + 8);
            break;
        }
    }
    fclose(f);
}

/* The event slots and the patient pool grow through flyt_realloc_huge:
 * every byte kept across growth, large blocks on 2 MiB boundaries and,
 * where the kernel has transparent huge pages, advised as such ("hg"). */
static void huge_realloc_keeps_contents_and_asks_for_huge_pages(void **state)
{
    (void)state;
    const size_t sizes[] = { 1000, 1 << 20, 5 << 20, 9 << 20, 3 << 20, 24 << 20 };
    unsigned char *p = NULL;
    size_t have = 0;
    for (size_t k = 0; k < sizeof sizes / sizeof *sizes; k++) {
        size_t n = sizes[k];
        p = flyt_realloc_huge(p, have, n);
        assert_non_null(p);
        size_t kept = have < n ? have : n;
        for (size_t i = 0; i < kept; i += 4093)
            assert_int_equal(p[i], (unsigned char)(i * 7 + 1));
        for (size_t i = 0; i < n; i++)
            p[i] = (unsigned char)(i * 7 + 1);
        have = n;
        if (n >= (4u << 20)) {
            assert_int_equal((uintptr_t)p % (2u << 20), 0);
            char thp[128] = "", flags[512];
            FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
            if (f) {
                if (!fgets(thp, sizeof thp, f))
                    thp[0] = '\0';
                fclose(f);
            }
            vm_flags_at(p + n / 2, flags, sizeof flags);
            if (strstr(thp, "[madvise]") || strstr(thp, "[always]"))
                assert_non_null(strstr(flags, " hg"));
        }
    }
    free(p);
    /* the zeroed form: memory handed back dirty is cleared; no overflow */
    for (int k = 0; k < 3; k++) {
        size_t n = (size_t)(6 + k) << 20;
        unsigned char *z = flyt_calloc_huge(n, 1);
        assert_non_null(z);
        assert_int_equal((uintptr_t)z % (2u << 20), 0);
        for (size_t i = 0; i < n; i += 997)
            assert_int_equal(z[i], 0);
        assert_int_equal(z[n - 1], 0);
        memset(z, 0xA5, n);
        free(z);
    }
    assert_null(flyt_calloc_huge(SIZE_MAX / 8 + 2, 8));
}

/* A caller's guess of the event rate sets the first width (a power of two
 * with 8 to 16 events a tick), is ignored once anything is pending or
 * when absurd, and never changes the order: a stream of 60,000 events at
 * 4,000 a day pops the same, as (time, insertion), with any guess. */
static void an_expected_rate_sets_the_width_not_the_order(void **state)
{
    (void)state;
    struct flyt_engine *e = new_engine(1, 8, NULL);
    assert_true(flyt_engine_ticks_per_day(e) == 1.0);
    flyt_engine_expect(e, 4000);
    assert_true(flyt_engine_ticks_per_day(e) == 256.0);
    flyt_engine_expect(e, 10); /* still empty: taken again */
    assert_true(flyt_engine_ticks_per_day(e) == 1.0);
    flyt_engine_schedule(e, 0.5, 0, 0, 0);
    flyt_engine_expect(e, 4000); /* something pending: ignored */
    assert_true(flyt_engine_ticks_per_day(e) == 1.0);
    flyt_engine_free(e);
    const double nonsense[] = { NAN, INFINITY, -5, 0 };
    for (int k = 0; k < 4; k++) {
        e = new_engine(1, 8, NULL);
        flyt_engine_expect(e, nonsense[k]);
        assert_true(flyt_engine_ticks_per_day(e) == 1.0);
        flyt_engine_free(e);
    }
    e = new_engine(1, 8, NULL);
    flyt_engine_expect(e, 1e12); /* clamped to the finest width */
    assert_true(flyt_engine_ticks_per_day(e) == 65536.0);
    flyt_engine_free(e);

    enum { N = 60000 };
    const double guesses[] = { -1, 1e-3, 40, 4000, 4e5, 1e12 };
    uint32_t *ref = malloc(N * sizeof *ref);
    uint32_t *got = malloc(N * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    for (int g = 0; g < 6; g++) {
        gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
        gsl_rng_set(r, 11);
        e = new_engine(1, 8, NULL);
        flyt_engine_expect(e, guesses[g]);
        for (uint32_t i = 0; i < N; i++) /* 15 days, whole-tick ties included */
            flyt_engine_schedule(e, floor(gsl_rng_uniform(r) * 15 * 64) / 64, 0, i, 0);
        struct flyt_event ev;
        double last = -1;
        uint64_t last_seq = 0;
        for (uint32_t i = 0; i < N; i++) {
            assert_int_equal(flyt_engine_pop(e, &ev), 0);
            assert_true(ev.t > last || (ev.t == last && ev.seq > last_seq));
            last = ev.t;
            last_seq = ev.seq;
            (g == 0 ? ref : got)[i] = ev.id;
        }
        assert_int_equal(flyt_engine_pop(e, &ev), -1);
        if (g > 0)
            assert_memory_equal(ref, got, N * sizeof *ref);
        flyt_engine_free(e);
        gsl_rng_free(r);
    }
    free(ref);
    free(got);
}

/* Schedules n events from seed: near (ties on whole ticks), within the
 * ring, in the coarse ring and beyond it (decades ahead). */
static void schedule_mix(struct flyt_engine *e, unsigned long seed, uint32_t n)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(r, seed);
    double now = flyt_engine_now(e);
    for (uint32_t i = 0; i < n; i++) {
        double u = gsl_rng_uniform(r), span = u < 0.7    ? 15
                                              : u < 0.9  ? 400
                                              : u < 0.99 ? 5000
                                                         : 40000;
        double t = now + floor(gsl_rng_uniform(r) * span * 64) / 64;
        assert_int_equal(flyt_engine_schedule(e, t, (uint32_t)(i % 3), i, (uint32_t)seed), 0);
    }
    gsl_rng_free(r);
}

/* A reset engine gives a new set of events the order, times, numbers and
 * counts a new engine gives them, whatever it held before (events in
 * every tier, a width found by halving, a run stopped half-way). */
static void a_reset_engine_runs_as_a_new_one(void **state)
{
    (void)state;
    enum { N = 50000 };
    struct flyt_event *ref = malloc(N * sizeof *ref), *got = malloc(N * sizeof *got);
    assert_non_null(ref);
    assert_non_null(got);
    for (int expect = 0; expect < 2; expect++) {
        struct flyt_engine *fresh = new_engine(3, 8, NULL);
        if (expect)
            flyt_engine_expect(fresh, 4000);
        schedule_mix(fresh, 7, N);
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(flyt_engine_pop(fresh, &ref[i]), 0);

        struct flyt_engine *e = new_engine(3, 8, NULL);
        schedule_mix(e, 99, 2 * N); /* something else first, half of it taken */
        struct flyt_event ev;
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(flyt_engine_pop(e, &ev), 0);
        assert_true(flyt_engine_pending(e) > 0 && flyt_engine_now(e) > 0);
        flyt_engine_reset(e);
        assert_true(flyt_engine_pending(e) == 0 && flyt_engine_now(e) == 0);
        assert_true(flyt_engine_events_run(e) == 0 && flyt_engine_ticks_per_day(e) == 1.0);
        if (expect)
            flyt_engine_expect(e, 4000); /* taken: nothing pending */
        assert_true(flyt_engine_ticks_per_day(e) == (expect ? 256.0 : 1.0));
        schedule_mix(e, 7, N);
        for (uint32_t i = 0; i < N; i++)
            assert_int_equal(flyt_engine_pop(e, &got[i]), 0);
        assert_int_equal(flyt_engine_pop(e, &ev), -1);
        for (uint32_t i = 0; i < N; i++)
            if (ref[i].t != got[i].t || ref[i].seq != got[i].seq || ref[i].id != got[i].id ||
                ref[i].kind != got[i].kind || ref[i].tag != got[i].tag)
                fail_msg("event %u: id %u t %.17g seq %llu after the reset, id %u t %.17g seq "
                         "%llu new",
                         i, got[i].id, got[i].t, (unsigned long long)got[i].seq, ref[i].id,
                         ref[i].t, (unsigned long long)ref[i].seq);
        assert_true(flyt_engine_events_run(e) == flyt_engine_events_run(fresh));
        flyt_engine_free(e);
        flyt_engine_free(fresh);
    }
    free(ref);
    free(got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(events_pop_in_time_order),
        cmocka_unit_test(equal_times_pop_in_insertion_order),
        cmocka_unit_test(a_large_calendar_pops_sorted),
        cmocka_unit_test(renumbering_keeps_the_order),
        cmocka_unit_test(tiers_pop_like_a_sorted_list),
        cmocka_unit_test(sparse_far_times_pop_like_a_sorted_list),
        cmocka_unit_test(runs_keep_order_through_rescales_and_renumbering),
        cmocka_unit_test(prefetch_hooks_name_events_before_they_run),
        cmocka_unit_test(handlers_dispatch_by_kind_with_id_and_tag),
        cmocka_unit_test(run_stops_before_t_end_and_sets_the_clock),
        cmocka_unit_test(scheduling_in_the_past_clamps_to_now),
        cmocka_unit_test(a_handler_cannot_schedule_into_the_past),
        cmocka_unit_test(stop_from_a_handler),
        cmocka_unit_test(events_run_counts_across_runs),
        cmocka_unit_test(huge_realloc_keeps_contents_and_asks_for_huge_pages),
        cmocka_unit_test(an_expected_rate_sets_the_width_not_the_order),
        cmocka_unit_test(a_reset_engine_runs_as_a_new_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
