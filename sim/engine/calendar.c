#include "flyt/engine.h"

#include <stdbool.h>
#include <stdlib.h>

struct flyt_engine {
    struct flyt_event *heap;
    size_t n;
    size_t cap;
    uint64_t next_seq;
    uint64_t events_run;
    double now;
    bool stopped;
    void *ctx;
    uint32_t n_kinds;
    flyt_event_handler *handlers;
};

struct flyt_engine *flyt_engine_new(uint32_t n_kinds, size_t initial_capacity, void *ctx)
{
    struct flyt_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->cap = initial_capacity ? initial_capacity : 64;
    e->heap = malloc(e->cap * sizeof *e->heap);
    e->handlers = calloc(n_kinds ? n_kinds : 1, sizeof *e->handlers);
    if (!e->heap || !e->handlers) {
        flyt_engine_free(e);
        return NULL;
    }
    e->n_kinds = n_kinds;
    e->ctx = ctx;
    return e;
}

void flyt_engine_free(struct flyt_engine *e)
{
    if (!e)
        return;
    free(e->heap);
    free(e->handlers);
    free(e);
}

void flyt_engine_on(struct flyt_engine *e, uint32_t kind, flyt_event_handler h)
{
    if (kind < e->n_kinds)
        e->handlers[kind] = h;
}

static inline bool before(const struct flyt_event *a, const struct flyt_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

int flyt_engine_schedule(struct flyt_engine *e, double t, uint32_t kind, uint32_t id, uint32_t tag)
{
    if (e->n == e->cap) {
        size_t cap = e->cap * 2;
        struct flyt_event *h = realloc(e->heap, cap * sizeof *h);
        if (!h)
            return -1;
        e->heap = h;
        e->cap = cap;
    }
    /* An event in the past would run before events already due; clamp it
     * to now so causality holds. */
    if (t < e->now)
        t = e->now;
    struct flyt_event ev = { .t = t, .seq = e->next_seq++, .kind = kind, .id = id, .tag = tag };
    size_t i = e->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&ev, &e->heap[parent]))
            break;
        e->heap[i] = e->heap[parent];
        i = parent;
    }
    e->heap[i] = ev;
    return 0;
}

/* Removes the root: the last element sinks from the top along the path of
 * smaller children (Floyd's bottom-up variant would save comparisons, but the
 * plain version is clear and fast enough at our heap sizes). */
static void pop_root(struct flyt_engine *e)
{
    struct flyt_event last = e->heap[--e->n];
    size_t n = e->n;
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && before(&e->heap[c + 1], &e->heap[c]))
            c++;
        if (!before(&e->heap[c], &last))
            break;
        e->heap[i] = e->heap[c];
        i = c;
    }
    if (n > 0)
        e->heap[i] = last;
}

int flyt_engine_pop(struct flyt_engine *e, struct flyt_event *ev)
{
    if (e->n == 0)
        return -1;
    *ev = e->heap[0];
    pop_root(e);
    e->now = ev->t;
    return 0;
}

uint64_t flyt_engine_run(struct flyt_engine *e, double t_end)
{
    uint64_t ran = 0;
    e->stopped = false;
    while (e->n > 0 && e->heap[0].t < t_end && !e->stopped) {
        struct flyt_event ev = e->heap[0];
        pop_root(e);
        e->now = ev.t;
        flyt_event_handler h = ev.kind < e->n_kinds ? e->handlers[ev.kind] : NULL;
        if (h)
            h(e, &ev, e->ctx);
        ran++;
    }
    if (!e->stopped && t_end > e->now)
        e->now = t_end;
    e->events_run += ran;
    return ran;
}

void flyt_engine_stop(struct flyt_engine *e)
{
    e->stopped = true;
}

double flyt_engine_now(const struct flyt_engine *e)
{
    return e->now;
}

size_t flyt_engine_pending(const struct flyt_engine *e)
{
    return e->n;
}

uint64_t flyt_engine_events_run(const struct flyt_engine *e)
{
    return e->events_run;
}
