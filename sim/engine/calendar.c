#include "flyt/engine.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A heap entry: the (time, sequence) order as one 128-bit unsigned key.
 * Times are >= 0, and the bits of a non-negative double order like the
 * number, so one integer comparison replaces two floating ones and their
 * branches. */
struct entry {
    unsigned __int128 key; /* time bits << 64 | sequence */
    uint32_t kind, id, tag;
};

static inline unsigned __int128 make_key(double t, uint64_t seq)
{
    uint64_t bits;
    t += 0.0; /* -0.0 would sort after every positive time */
    memcpy(&bits, &t, sizeof bits);
    return (unsigned __int128)bits << 64 | seq;
}

static inline double key_time(unsigned __int128 key)
{
    uint64_t bits = (uint64_t)(key >> 64);
    double t;
    memcpy(&t, &bits, sizeof t);
    return t;
}

static inline void to_event(const struct entry *x, struct flyt_event *ev)
{
    ev->t = key_time(x->key);
    ev->seq = (uint64_t)x->key;
    ev->kind = x->kind;
    ev->id = x->id;
    ev->tag = x->tag;
}

struct flyt_engine {
    struct entry *heap;
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

int flyt_engine_schedule(struct flyt_engine *e, double t, uint32_t kind, uint32_t id, uint32_t tag)
{
    if (e->n == e->cap) {
        size_t cap = e->cap * 2;
        struct entry *h = realloc(e->heap, cap * sizeof *h);
        if (!h)
            return -1;
        e->heap = h;
        e->cap = cap;
    }
    /* An event in the past would run before events already due; clamp it
     * to now so causality holds. */
    if (t < e->now)
        t = e->now;
    struct entry ev = { .key = make_key(t, e->next_seq++), .kind = kind, .id = id, .tag = tag };
    size_t i = e->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (ev.key >= e->heap[parent].key)
            break;
        e->heap[i] = e->heap[parent];
        i = parent;
    }
    e->heap[i] = ev;
    return 0;
}

/* Removes the root, bottom-up (Floyd): the hole at the top goes down the
 * path of smaller children to a leaf, one comparison per level and that one
 * without a branch, and the last element then rises from there, rarely more
 * than a level or two because it came from the bottom. */
static void pop_root(struct flyt_engine *e)
{
    size_t n = --e->n;
    if (n == 0)
        return;
    struct entry last = e->heap[n];
    struct entry *h = e->heap;
    size_t i = 0, c;
    while ((c = 2 * i + 2) < n) {
        c -= h[c - 1].key < h[c].key;
        h[i] = h[c];
        i = c;
    }
    if (c == n) { /* a lone left child */
        h[i] = h[c - 1];
        i = c - 1;
    }
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (last.key >= h[parent].key)
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = last;
}

int flyt_engine_pop(struct flyt_engine *e, struct flyt_event *ev)
{
    if (e->n == 0)
        return -1;
    to_event(&e->heap[0], ev);
    pop_root(e);
    e->now = ev->t;
    return 0;
}

uint64_t flyt_engine_run(struct flyt_engine *e, double t_end)
{
    uint64_t ran = 0;
    e->stopped = false;
    unsigned __int128 end = t_end > 0 ? make_key(t_end, 0) : 0;
    while (e->n > 0 && e->heap[0].key < end && !e->stopped) {
        struct flyt_event ev;
        to_event(&e->heap[0], &ev);
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
