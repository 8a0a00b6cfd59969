#include "flyt/engine.h"
#include "flyt/mem.h"

#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/*
 * The calendar in tiers. Events of the current tick (a slice of time, one
 * day to start with) are in a 4-ary heap; events of later ticks wait
 * unsorted in one bucket per tick (a ring of N_BUCKETS ticks); beyond that,
 * in one coarse bucket per block of N_BUCKETS / 2 ticks (a ring of
 * N_COARSE blocks, decades at any width); beyond that in an overflow list.
 * When the heap runs dry, the next tick's bucket moves into it; when half
 * the fine ring has passed, the next block's coarse bucket comes within
 * it, grouped by tick into a run (or, with few events, spread over the
 * fine buckets), and each tick's part of the run joins the heap with the
 * tick's bucket. The tick narrows or widens by halves as the run goes, so that a
 * bucket holds a handful of events whatever the size of the city.
 *
 * Why: most of what is pending is far off (a nursing-home stay ends in
 * years), and in a single heap every pop walks past all of it, so the cost
 * of an event grew with the beds in the city. Here an event is appended to
 * its tick's bucket (O(1)), pushed once into a heap that holds only one
 * tick's events, and popped from there: the cost per event stays about
 * the same however many are pending.
 *
 * Order: a heap key is one 128-bit unsigned integer, the bits of the time
 * (non-negative doubles order like their bits) above a 32-bit insertion
 * number above a 32-bit slot. Insertion numbers are unique among pending
 * events, so the slot never decides the order; it names where the event's
 * kind, id and tag wait. Every event of a tick is in the heap before any
 * of that tick pops, so events pop in exactly (time, insertion) order,
 * whatever the width of the ticks.
 *
 * The insertion number is 32 bits, and a long run schedules more events than
 * that. Before it would wrap, the pending events are numbered afresh 0, 1,
 * 2, ... in their present order: the order is unchanged, so nothing moves,
 * and the run pops exactly what it would have with 64-bit numbers.
 */

typedef unsigned __int128 key_t128;

#define NONE UINT32_MAX

/* A pending event. key is kept for events in buckets (the heap has its own
 * copy); next links a bucket's or the overflow's list. */
struct slot {
    key_t128 key;
    uint32_t kind, id, tag;
    uint32_t next;
};

/* Heap position 0 is the root; it lives at array index HEAP_OFFSET so that
 * the children of node i, 4i+1 .. 4i+4, start on a 64-byte boundary: four
 * 16-byte keys, one cache line. */
enum { ARITY = 4, HEAP_OFFSET = 3, LINE = 64 };

/* Buckets in the ring (a power of two), the ticks of a coarse block, and
 * coarse buckets in their ring (a power of two). Why a coarse ring: a
 * national region keeps some 100,000 events months ahead (nursing-home
 * stays, home-care hazards); in one overflow list they were all walked
 * each time the ring moved on (every 16 simulated days), 18 % of the run.
 * Now an event is filed at most three times: coarse, fine, heap. */
#define N_BUCKETS 8192u
#define BLOCK     4096u
_Static_assert(2 * BLOCK == N_BUCKETS, "a block is half the ring");
#define N_COARSE 1024u

/* A coarse bucket: its events' keys side by side (a key names its slot).
 * Should the array not grow (out of memory), the event is linked into the
 * block's list instead. */
struct block {
    key_t128 *key;
    uint32_t n, cap;
    uint32_t list;
};

/* A block come within the ring: its events grouped by tick, in tick order,
 * taken from at as their ticks come. Why: spread over the fine buckets,
 * each event was written into its slot and later read back from it,
 * chasing a list: two cache misses per event when a national region's
 * slots do not fit in the caches (a fifth of its run). Here the slots
 * are not touched until the event runs, and their addresses are known
 * ahead, so they are asked for before they are needed. The ring spans at
 * most three blocks, so four runs never meet. */
struct run {
    key_t128 *key;
    uint32_t n, at;
    uint32_t asked; /* slots asked for up to here */
};
#define N_RUNS 4u
_Static_assert(N_BUCKETS / BLOCK + 1 < N_RUNS, "the ring's blocks have runs of their own");
/* Fewer events than this in a block are spread over the fine buckets:
 * grouping costs a pass over BLOCK counters. */
#define RUN_MIN 64u

struct flyt_engine {
    double now;  /* first: read on every event */
    key_t128 *h; /* this tick's events; h[0] is the root (HEAP_OFFSET into alloc) */
    key_t128 *alloc;
    size_t n, cap;

    struct slot *slot;
    uint32_t *free_slot; /* slots of popped events, reused last-in first-out */
    size_t n_free;
    size_t slot_cap;
    uint32_t slot_hw; /* slots ever handed out */

    /* Time in ticks is t * scale (t in days); a bucket holds one tick. */
    double scale;         /* a power of two, so that t * scale is exact */
    uint64_t tick;        /* the heap holds every pending event before tick + 1 */
    uint64_t ring_end;    /* buckets hold ticks tick+1 .. ring_end-1; ring_end <= tick + N_BUCKETS,
                             a multiple of BLOCK */
    uint32_t *bucket;     /* N_BUCKETS list heads, by tick modulo N_BUCKETS */
    uint64_t coarse_end;  /* coarse buckets hold blocks ring_end / BLOCK .. coarse_end-1;
                             coarse_end <= ring_end / BLOCK + N_COARSE */
    struct block *coarse; /* N_COARSE blocks, by block modulo N_COARSE */
    struct run run[N_RUNS]; /* the blocks within the ring, by block modulo N_RUNS */
    uint32_t *count;        /* BLOCK + 1 counters for grouping a block by tick */
    uint32_t overflow;      /* events on or after block coarse_end */
    uint32_t walk;          /* the next tick's list, followed a step at each event taken
                               (NONE: at its end); see take_root */
    size_t n_bucketed, n_coarse, n_overflow;
    uint64_t passed, pushed; /* ticks passed and heap pushes since the width was last judged */
    uint64_t ties;           /* and pops at the time of the one before: no width parts them */
    bool judged;             /* the width was judged at least once */
    bool one_heap;           /* only absurd times were left: see next_tick */

    uint32_t next_seq;
    uint32_t seq_limit; /* renumber when next_seq reaches this */
    uint64_t epoch;     /* renumberings so far: the high half of an event's seq */
    uint64_t events_run;
    bool stopped;
    enum flyt_engine_end end; /* why the last flyt_engine_run returned */
    uint64_t budget;          /* events allowed over the engine's life; 0: no limit */
    uint32_t stuck_kind;
    void *ctx;
    uint32_t n_kinds;
    flyt_event_handler *handlers;
    flyt_event_prefetch *hints; /* by kind, may be NULL */
};

static inline key_t128 make_key(double t, uint32_t seq, uint32_t slot)
{
    uint64_t bits;
    t += 0.0; /* -0.0 would sort after every positive time */
    memcpy(&bits, &t, sizeof bits);
    return (key_t128)bits << 64 | (key_t128)seq << 32 | slot;
}

static inline double key_time(key_t128 key)
{
    uint64_t bits = (uint64_t)(key >> 64);
    double t;
    memcpy(&t, &bits, sizeof t);
    return t;
}

static inline uint32_t key_seq(key_t128 key)
{
    return (uint32_t)(key >> 32);
}

static inline uint32_t key_slot(key_t128 key)
{
    return (uint32_t)key;
}

/* Above every real key: a real key's slot is never NONE. Every heap
 * position from n on holds it, so that a node's four children can be
 * compared without asking how many of them are real. */
#define KEY_MAX (~(key_t128)0)

/* Room for cap keys in the heap and ARITY positions of KEY_MAX after them,
 * the root HEAP_OFFSET keys into a 64-byte aligned block; the old keys are
 * copied over. */
static int grow_heap(struct flyt_engine *e, size_t cap)
{
    size_t bytes = (cap + HEAP_OFFSET + ARITY) * sizeof(key_t128);
    bytes = (bytes + LINE - 1) / LINE * LINE; /* aligned_alloc wants a multiple */
    key_t128 *a = aligned_alloc(LINE, bytes);
    if (!a)
        return -1;
    if (e->n)
        memcpy(a + HEAP_OFFSET, e->h, e->n * sizeof *a);
    for (size_t k = e->n; k < cap + ARITY; k++)
        a[HEAP_OFFSET + k] = KEY_MAX;
    free(e->alloc);
    e->alloc = a;
    e->h = a + HEAP_OFFSET;
    e->cap = cap;
    return 0;
}

/* Slots for cap events; the heap grows with them, so that a tick's bucket
 * can always move into it. */
static int grow_slots(struct flyt_engine *e, size_t cap)
{
    if (cap > NONE) /* a slot number is 32 bits, NONE excluded */
        return -1;
    if (cap > e->cap && grow_heap(e, cap) != 0)
        return -1;
    struct slot *s = flyt_realloc_huge(e->slot, e->slot_cap * sizeof *s, cap * sizeof *s);
    if (!s)
        return -1;
    e->slot = s;
    uint32_t *f = realloc(e->free_slot, cap * sizeof *f);
    if (!f)
        return -1;
    e->free_slot = f;
    e->slot_cap = cap;
    return 0;
}

struct flyt_engine *flyt_engine_new(uint32_t n_kinds, size_t initial_capacity, void *ctx)
{
    struct flyt_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    size_t cap = initial_capacity ? initial_capacity : 64;
    e->handlers = calloc(n_kinds ? n_kinds : 1, sizeof *e->handlers);
    e->hints = calloc(n_kinds ? n_kinds : 1, sizeof *e->hints);
    e->bucket = malloc(N_BUCKETS * sizeof *e->bucket);
    e->coarse = calloc(N_COARSE, sizeof *e->coarse);
    e->count = malloc((BLOCK + 1) * sizeof *e->count);
    if (!e->handlers || !e->hints || !e->bucket || !e->coarse || !e->count ||
        grow_slots(e, cap) != 0) {
        flyt_engine_free(e);
        return NULL;
    }
    flyt_engine_reset(e); /* empty rings, width and numbering from the start */
    e->n_kinds = n_kinds;
    e->ctx = ctx;
    e->seq_limit = UINT32_MAX;
    return e;
}

void flyt_engine_reset(struct flyt_engine *e)
{
    e->now = 0;
    e->n = 0;
    e->n_free = 0;
    e->slot_hw = 0; /* slots are handed out from the first again */
    for (uint32_t b = 0; b < N_BUCKETS; b++)
        e->bucket[b] = NONE;
    for (uint32_t b = 0; b < N_COARSE; b++) {
        e->coarse[b].n = 0;
        e->coarse[b].list = NONE;
    }
    for (uint32_t r = 0; r < N_RUNS; r++)
        e->run[r].n = e->run[r].at = e->run[r].asked = 0;
    e->overflow = NONE;
    e->walk = NONE;
    e->n_bucketed = e->n_coarse = e->n_overflow = 0;
    e->passed = e->pushed = e->ties = 0;
    e->judged = false;
    e->one_heap = false;
    e->scale = 1.0;
    e->tick = 0;
    e->ring_end = N_BUCKETS;
    e->coarse_end = N_BUCKETS / BLOCK + N_COARSE;
    e->next_seq = 0;
    e->epoch = 0;
    e->events_run = 0;
    e->stopped = false;
    e->end = FLYT_ENGINE_DONE;
    e->stuck_kind = 0;
}

void flyt_engine_free(struct flyt_engine *e)
{
    if (!e)
        return;
    free(e->alloc);
    free(e->slot);
    free(e->free_slot);
    free(e->bucket);
    if (e->coarse)
        for (uint32_t b = 0; b < N_COARSE; b++)
            free(e->coarse[b].key);
    free(e->coarse);
    for (uint32_t r = 0; r < N_RUNS; r++)
        free(e->run[r].key);
    free(e->count);
    free(e->handlers);
    free(e->hints);
    free(e);
}

void flyt_engine_on(struct flyt_engine *e, uint32_t kind, flyt_event_handler h)
{
    if (kind < e->n_kinds)
        e->handlers[kind] = h;
}

void flyt_engine_prefetch(struct flyt_engine *e, uint32_t kind, flyt_event_prefetch h)
{
    if (kind < e->n_kinds)
        e->hints[kind] = h;
}

/* ---- the heap of this tick's events ---- */

/* The heap has room: it is as large as the slots. */
static void heap_push(struct flyt_engine *e, key_t128 key)
{
    key_t128 *h = e->h;
    size_t i = e->n++;
    e->pushed++;
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (key >= h[parent])
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = key;
}

/* Index of the smallest of the four keys from c on, without a branch. */
static inline size_t min_of_4(const key_t128 *h, size_t c)
{
    size_t a = c + (h[c + 1] < h[c]);
    size_t b = c + 2 + (h[c + 3] < h[c + 2]);
    return h[b] < h[a] ? b : a;
}

/* Removes the root, bottom-up (Floyd): the hole at the top goes down the
 * path of smallest children to a leaf, and the last key then rises from
 * there, rarely more than a level because it came from the bottom. The
 * KEY_MAX beyond the end stand in for missing children. */
static void heap_pop(struct flyt_engine *e)
{
    size_t n = --e->n;
    key_t128 *h = e->h;
    key_t128 last = h[n];
    h[n] = KEY_MAX;
    if (n == 0)
        return;
    size_t i = 0, c;
    while ((c = ARITY * i + 1) < n) {
        size_t m = min_of_4(h, c);
        h[i] = h[m];
        i = m;
    }
    while (i > 0) {
        size_t parent = (i - 1) / ARITY;
        if (last >= h[parent])
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = last;
}

/* ---- buckets of later ticks ---- */

static inline void link(uint32_t *head, struct slot *slot, uint32_t s)
{
    slot[s].next = *head;
    *head = s;
}

static void add_coarse(struct flyt_engine *e, struct block *b, uint32_t s, key_t128 key)
{
    if (b->n == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        key_t128 *k = cap > b->cap ? realloc(b->key, cap * sizeof *k) : NULL;
        if (!k) {
            e->slot[s].key = key;
            link(&b->list, e->slot, s);
            return;
        }
        b->key = k;
        b->cap = cap;
    }
    b->key[b->n++] = key;
}

static inline uint64_t key_tick(const struct flyt_engine *e, key_t128 key)
{
    return (uint64_t)(key_time(key) * e->scale);
}

/* Where an event at t belongs: -1 the heap, 0 a bucket, 1 a coarse
 * bucket, 2 the overflow. */
static inline int tier(const struct flyt_engine *e, double t)
{
    double k = t * e->scale;
    if (k < (double)(e->tick + 1) || e->one_heap)
        return -1;
    if (k < (double)e->ring_end)
        return 0;
    return k < (double)(e->coarse_end * BLOCK) ? 1 : 2;
}

/* Files a pending event (its slot s, key) where it belongs. */
static void place(struct flyt_engine *e, uint32_t s, key_t128 key)
{
    double t = key_time(key);
    switch (tier(e, t)) {
    case -1:
        heap_push(e, key);
        return;
    case 0:
        e->slot[s].key = key;
        link(&e->bucket[(uint64_t)(t * e->scale) & (N_BUCKETS - 1)], e->slot, s);
        e->n_bucketed++;
        return;
    case 1:
        add_coarse(e, &e->coarse[(uint64_t)(t * e->scale) / BLOCK & (N_COARSE - 1)], s, key);
        e->n_coarse++;
        return;
    default:
        e->slot[s].key = key;
        link(&e->overflow, e->slot, s);
        e->n_overflow++;
        return;
    }
}

/* Takes the overflow list off the calendar (to be placed again). */
static uint32_t take_overflow(struct flyt_engine *e)
{
    uint32_t list = e->overflow;
    e->overflow = NONE;
    e->n_overflow = 0;
    return list;
}

static void place_list(struct flyt_engine *e, uint32_t s)
{
    while (s != NONE) {
        uint32_t next = e->slot[s].next;
        place(e, s, e->slot[s].key);
        s = next;
    }
}

/* Files the events of one list again, in one walk (each step is a cache
 * miss on a slot), counting them out of *n as they go: those that stay in
 * the same tier are counted back in by place. */
static void place_bucket(struct flyt_engine *e, uint32_t *head, size_t *n)
{
    uint32_t s = *head;
    *head = NONE;
    while (s != NONE) {
        uint32_t next = e->slot[s].next;
        (*n)--;
        place(e, s, e->slot[s].key);
        s = next;
    }
}

/* Groups the keys of block `block` by tick into a run; the keys of ticks
 * already due go to the heap. False (and nothing done) when out of memory
 * or when the run's place is still taken. */
static bool make_run(struct flyt_engine *e, const struct block *b, uint64_t block)
{
    struct run *r = &e->run[block & (N_RUNS - 1)];
    if (r->at < r->n)
        return false;
    key_t128 *to = malloc(b->n * sizeof *to);
    if (!to)
        return false;
    uint64_t base = block * BLOCK;
    uint32_t *count = e->count;
    memset(count, 0, (BLOCK + 1) * sizeof *count);
    for (uint32_t i = 0; i < b->n; i++) {
        uint64_t off = key_tick(e, b->key[i]) - base;
        count[(off < BLOCK ? off : BLOCK - 1) + 1]++;
    }
    for (uint32_t d = 0; d < BLOCK; d++)
        count[d + 1] += count[d];
    for (uint32_t i = 0; i < b->n; i++) {
        uint64_t off = key_tick(e, b->key[i]) - base;
        to[count[off < BLOCK ? off : BLOCK - 1]++] = b->key[i];
    }
    free(r->key);
    *r = (struct run){ to, b->n, 0, 0 };
    while (r->at < r->n && key_tick(e, r->key[r->at]) <= e->tick)
        heap_push(e, r->key[r->at++]);
    e->n_bucketed += r->n - r->at;
    return true;
}

/* Files the events of a coarse bucket again: as a run, or spread over the
 * fine buckets when they are few (or memory is short). */
static void place_block(struct flyt_engine *e, struct block *b, uint64_t block)
{
    struct block taken = *b;
    *b = (struct block){ .list = NONE };
    e->n_coarse -= taken.n;
    if (taken.n < RUN_MIN || !make_run(e, &taken, block))
        for (uint32_t i = 0; i < taken.n; i++)
            place(e, key_slot(taken.key[i]), taken.key[i]);
    free(taken.key);
    place_bucket(e, &taken.list, &e->n_coarse);
}

/* Brings the run's events of this tick into the heap, asking for the
 * slots of the next ones. */
static void take_run(struct flyt_engine *e)
{
    enum { AHEAD = 16 };
    struct run *r = &e->run[e->tick / BLOCK & (N_RUNS - 1)];
    while (r->at < r->n && key_tick(e, r->key[r->at]) <= e->tick) {
        key_t128 k = r->key[r->at++];
        const struct slot *sl = &e->slot[key_slot(k)];
        heap_push(e, k);
        if (sl->kind < e->n_kinds && e->hints[sl->kind])
            e->hints[sl->kind](sl->id, e->ctx);
        e->n_bucketed--;
    }
    if (r->asked < r->at)
        r->asked = r->at;
    for (; r->asked < r->n && r->asked < r->at + AHEAD; r->asked++)
        __builtin_prefetch(&e->slot[key_slot(r->key[r->asked])]);
    if (r->at == r->n && r->key) {
        free(r->key);
        *r = (struct run){ 0 };
    }
}

/* Appends the list at *head to *all, leaving *head empty; returns its length. */
static size_t take_list(struct flyt_engine *e, uint32_t *head, uint32_t *all)
{
    size_t k = 0;
    for (uint32_t s = *head, next; s != NONE; s = next, k++) {
        next = e->slot[s].next;
        link(all, e->slot, s);
    }
    *head = NONE;
    return k;
}

/* The ring's end and the coarse ring's, for a heap that holds tick: as far
 * ahead as each reaches. */
static void set_rings(struct flyt_engine *e)
{
    e->ring_end = (e->tick + N_BUCKETS) / BLOCK * BLOCK;
    e->coarse_end = e->ring_end / BLOCK + N_COARSE;
}

/* Moves the fine ring on by whole blocks while there is room, spreading
 * each block's coarse bucket over the fine buckets (or the heap); when
 * half the coarse ring has come free, files the overflow again. */
static void advance_rings(struct flyt_engine *e)
{
    while (e->tick + N_BUCKETS >= e->ring_end + BLOCK) {
        uint64_t block = e->ring_end / BLOCK;
        e->ring_end += BLOCK;
        place_block(e, &e->coarse[block & (N_COARSE - 1)], block);
        if (e->ring_end / BLOCK + N_COARSE >= e->coarse_end + N_COARSE / 2) {
            e->coarse_end = e->ring_end / BLOCK + N_COARSE;
            place_list(e, take_overflow(e));
        }
    }
}

/* Changes the bucket width by 2^steps (finer when steps > 0) and files
 * every event outside the heap again. The heap keeps what it has and takes
 * what now falls before its new end. */
static void rescale(struct flyt_engine *e, int steps)
{
    uint32_t all = take_overflow(e);
    for (uint32_t b = 0; b < N_BUCKETS; b++)
        take_list(e, &e->bucket[b], &all);
    for (uint32_t b = 0; b < N_COARSE; b++) {
        struct block *c = &e->coarse[b];
        for (uint32_t i = 0; i < c->n; i++) {
            e->slot[key_slot(c->key[i])].key = c->key[i];
            link(&all, e->slot, key_slot(c->key[i]));
        }
        take_list(e, &c->list, &all);
        free(c->key);
        *c = (struct block){ .list = NONE };
    }
    for (uint32_t b = 0; b < N_RUNS; b++) {
        struct run *r = &e->run[b];
        for (uint32_t i = r->at; i < r->n; i++) {
            e->slot[key_slot(r->key[i])].key = r->key[i];
            link(&all, e->slot, key_slot(r->key[i]));
        }
        free(r->key);
        *r = (struct run){ 0 };
    }
    e->n_bucketed = e->n_coarse = 0;
    e->walk = NONE;
    double end = (double)(e->tick + 1) / e->scale; /* the heap's end, in days */
    e->scale = ldexp(e->scale, steps);
    e->tick = (uint64_t)ceil(end * e->scale) - 1;
    set_rings(e);
    place_list(e, all);
}

/* Beyond this the calendar is one heap: no tick count reaches it. */
#define FAR_TICK 0x1p62

/* Events per bucket the width aims at: enough that stepping over empty
 * buckets costs little, few enough that the heap stays shallow. */
enum { AIM_LOW = 2, AIM_HIGH = 16, ADAPT_TICKS = 64 };
#define SCALE_MIN 0x1p-6  /* buckets of 64 days at most */
#define SCALE_MAX 0x1p+16 /* and of 1/65536 day (1.3 s) at least */

/* The heap is empty: moves on to the next tick that has events and brings
 * them into the heap. */
static void next_tick(struct flyt_engine *e)
{
    while (e->n == 0 && e->n_bucketed + e->n_coarse + e->n_overflow > 0) {
        if (e->n_bucketed == 0 && e->n_coarse > 0) {
            /* jump to the first tick with an event, in the first coarse
             * bucket that has one; the blocks before it are empty */
            uint64_t block = e->ring_end / BLOCK;
            const struct block *c;
            while (c = &e->coarse[block & (N_COARSE - 1)], c->n == 0 && c->list == NONE)
                block++;
            double first = INFINITY;
            for (uint32_t i = 0; i < c->n; i++)
                first = fmin(first, key_time(c->key[i]) * e->scale);
            for (uint32_t s = c->list; s != NONE; s = e->slot[s].next)
                first = fmin(first, key_time(e->slot[s].key) * e->scale);
            e->tick = (uint64_t)first;
            advance_rings(e); /* the first tick's go to the heap */
            e->passed = e->pushed = e->ties = 0;
            continue;
        }
        if (e->n_bucketed == 0) {    /* jump to the first tick with an event */
            double first = INFINITY; /* fmin passes over NaN */
            for (uint32_t s = e->overflow; s != NONE; s = e->slot[s].next)
                first = fmin(first, key_time(e->slot[s].key) * e->scale);
            if (!(first < FAR_TICK)) {
                /* Only absurd times are left (infinite, NaN, beyond 2^62
                 * ticks): they all go to the heap, and so does every event
                 * scheduled from now on. */
                e->one_heap = true;
                for (uint32_t s = e->overflow; s != NONE; s = e->slot[s].next)
                    heap_push(e, e->slot[s].key);
                take_overflow(e);
                return;
            }
            e->tick = (uint64_t)first;
            set_rings(e);
            place_list(e, take_overflow(e)); /* the first tick's go to the heap */
            e->passed = e->pushed = e->ties = 0;
            continue;
        }
        e->tick++;
        e->passed++;
        uint32_t *head = &e->bucket[e->tick & (N_BUCKETS - 1)];
        for (uint32_t s = *head; s != NONE; s = e->slot[s].next) {
            const struct slot *sl = &e->slot[s];
            heap_push(e, sl->key);
            /* the tick's events run next: the model's data for them is
             * asked for now, and arrives while the first ones run (a
             * national region's patients do not fit in the caches) */
            if (sl->kind < e->n_kinds && e->hints[sl->kind])
                e->hints[sl->kind](sl->id, e->ctx);
            e->n_bucketed--;
        }
        *head = NONE;
        take_run(e);
        uint32_t ahead = e->bucket[(e->tick + 1) & (N_BUCKETS - 1)];
        e->walk = ahead;
        if (ahead != NONE)
            __builtin_prefetch(&e->slot[ahead]);
        /* judged every ADAPT_TICKS ticks, the first time sooner when they
         * are far too wide (a national region starts with thousands of
         * events a day); events at one instant (a unit's day starting in
         * every unit at midnight) count once, as no width parts them */
        if (e->passed >= ADAPT_TICKS ||
            (!e->judged && e->passed >= ADAPT_TICKS / 8 && e->pushed >= ADAPT_TICKS * AIM_HIGH)) {
            uint64_t apart = e->pushed > e->ties ? e->pushed - e->ties : 0;
            uint64_t per = apart / e->passed;
            e->passed = e->pushed = e->ties = 0;
            e->judged = true;
            if (per > AIM_HIGH && e->scale < SCALE_MAX) {
                /* as many halvings as bring a tick near AIM_HIGH / 2 events
                 * at once: every rescale files all pending events again,
                 * and a large region starts some hundred times too coarse */
                int steps = 1;
                while ((per >> steps) > AIM_HIGH / 2 && ldexp(e->scale, steps + 1) <= SCALE_MAX)
                    steps++;
                rescale(e, steps);
            } else if (per < AIM_LOW && e->scale > SCALE_MIN) {
                rescale(e, -1);
            }
        }
        /* a block of the ring has come free: make room for later ticks */
        advance_rings(e);
    }
}

/* ---- renumbering ---- */

struct rank {
    key_t128 key;
    key_t128 *where;
};

static int by_key(const void *a, const void *b)
{
    key_t128 x = ((const struct rank *)a)->key, y = ((const struct rank *)b)->key;
    return (x > y) - (x < y);
}

static void collect(struct flyt_engine *e, uint32_t s, struct rank *r, size_t *k)
{
    for (; s != NONE; s = e->slot[s].next, (*k)++)
        r[*k] = (struct rank){ e->slot[s].key, &e->slot[s].key };
}

/* Numbers the pending events 0 .. n-1 in the order they will pop. Each
 * key keeps its time and slot, and the relative order of all keys is
 * unchanged, so the heap stays a heap and the buckets stay as they are. */
static int renumber(struct flyt_engine *e)
{
    size_t total = e->n + e->n_bucketed + e->n_coarse + e->n_overflow, k = 0;
    struct rank *r = malloc((total ? total : 1) * sizeof *r);
    if (!r)
        return -1;
    for (size_t i = 0; i < e->n; i++)
        r[k++] = (struct rank){ e->h[i], &e->h[i] };
    for (uint32_t b = 0; b < N_BUCKETS; b++)
        collect(e, e->bucket[b], r, &k);
    for (uint32_t b = 0; b < N_COARSE; b++) {
        struct block *c = &e->coarse[b];
        for (uint32_t i = 0; i < c->n; i++, k++)
            r[k] = (struct rank){ c->key[i], &c->key[i] };
        collect(e, c->list, r, &k);
    }
    for (uint32_t b = 0; b < N_RUNS; b++)
        for (uint32_t i = e->run[b].at; i < e->run[b].n; i++, k++)
            r[k] = (struct rank){ e->run[b].key[i], &e->run[b].key[i] };
    collect(e, e->overflow, r, &k);
    qsort(r, k, sizeof *r, by_key);
    for (size_t i = 0; i < k; i++)
        *r[i].where = make_key(key_time(r[i].key), (uint32_t)i, key_slot(r[i].key));
    free(r);
    e->next_seq = (uint32_t)k;
    e->epoch++;
    return 0;
}

/* ---- the interface ---- */

int flyt_engine_schedule(struct flyt_engine *e, double t, uint32_t kind, uint32_t id, uint32_t tag)
{
    if (e->next_seq >= e->seq_limit && renumber(e) != 0)
        return -1;
    if (e->n_free == 0 && e->slot_hw == e->slot_cap && grow_slots(e, 2 * e->slot_cap) != 0)
        return -1;
    /* An event in the past would run before events already due; clamp it
     * to now so causality holds. */
    if (t < e->now)
        t = e->now;
    uint32_t s = e->n_free ? e->free_slot[--e->n_free] : e->slot_hw++;
    struct slot *sl = &e->slot[s];
    sl->kind = kind;
    sl->id = id;
    sl->tag = tag;
    key_t128 key = make_key(t, e->next_seq++, s);
    place(e, s, key);
    return 0;
}

/* Takes the earliest event off the calendar into *ev; the heap is not empty. */
static inline void take_root(struct flyt_engine *e, struct flyt_event *ev)
{
    key_t128 k = e->h[0];
    uint32_t s = key_slot(k);
    const struct slot *p = &e->slot[s];
    ev->t = key_time(k);
    ev->seq = e->epoch << 32 | key_seq(k);
    ev->kind = p->kind;
    ev->id = p->id;
    ev->tag = p->tag;
    e->free_slot[e->n_free++] = s;
    heap_pop(e);
    e->ties += ev->t == e->now;
    e->now = ev->t;
    /* A tick's list was a chase of cache misses, one slot at a time, when
     * the tick came (a national region files most events within the ring):
     * each event taken asks for the next slot of the coming tick's list,
     * whose own address the last step asked for. Should the walk have
     * fallen behind a list already taken, `next` still names a slot (or
     * NONE): only a useless prefetch. */
    if (e->walk != NONE) {
        e->walk = e->slot[e->walk].next;
        if (e->walk != NONE)
            __builtin_prefetch(&e->slot[e->walk]);
    }
}

/* Whether an event is pending, with the earliest one at the heap's root. */
static inline bool ready(struct flyt_engine *e)
{
    if (e->n == 0)
        next_tick(e);
    return e->n > 0;
}

int flyt_engine_pop(struct flyt_engine *e, struct flyt_event *ev)
{
    if (!ready(e))
        return -1;
    take_root(e, ev);
    return 0;
}

/* Set by a signal handler (through flyt_engine_interrupt_all) and read by
 * every engine on every thread: sig_atomic_t is what a handler may write,
 * volatile makes each check read it afresh. */
static volatile sig_atomic_t interrupt_flag;

void flyt_engine_interrupt_all(void)
{
    interrupt_flag = 1;
}

void flyt_engine_clear_interrupt(void)
{
    interrupt_flag = 0;
}

/* Checks made every CHECK_EVERY events, so that the loop itself pays one
 * mask test: a signal stops a replication in hand, and a clock that stands
 * still while events keep coming is a handler that reschedules itself at
 * the current time without progress. Legitimate same-time bursts are
 * bounded by the events already pending when the clock stopped moving
 * (each at most a few more), so the limit scales with those. */
#define CHECK_EVERY ((uint64_t)1 << 16)
#define STALL_SLACK ((uint64_t)1 << 22)

struct stall {
    double t;
    uint64_t events, limit;
};

static bool checkpoint(struct flyt_engine *e, struct stall *st, uint64_t ran, uint32_t kind)
{
    if (interrupt_flag) {
        e->end = FLYT_ENGINE_INTERRUPTED;
        return true;
    }
    if (e->budget && e->events_run + ran >= e->budget) {
        e->end = FLYT_ENGINE_BUDGET;
        return true;
    }
    if (e->now != st->t) {
        st->t = e->now;
        st->events = ran;
        st->limit = 4 * (uint64_t)flyt_engine_pending(e) + STALL_SLACK;
        return false;
    }
    if (ran - st->events > st->limit) {
        e->end = FLYT_ENGINE_STUCK;
        e->stuck_kind = kind;
        return true;
    }
    return false;
}

uint64_t flyt_engine_run(struct flyt_engine *e, double t_end)
{
    uint64_t ran = 0;
    e->stopped = false;
    e->end = FLYT_ENGINE_DONE;
    struct stall st = { -1.0, 0, 0 };
    /* Keys of events before t_end are below the key of (t_end, 0, 0). */
    key_t128 end = t_end > 0 ? make_key(t_end, 0, 0) : 0;
    while (!e->stopped && ready(e) && e->h[0] < end) {
        struct flyt_event ev;
        take_root(e, &ev);
        flyt_event_handler h = ev.kind < e->n_kinds ? e->handlers[ev.kind] : NULL;
        if (h)
            h(e, &ev, e->ctx);
        ran++;
        if ((ran & (CHECK_EVERY - 1)) == 0 && checkpoint(e, &st, ran, ev.kind))
            break;
    }
    if (e->end != FLYT_ENGINE_DONE)
        e->stopped = true;
    else if (e->stopped)
        e->end = FLYT_ENGINE_STOPPED;
    if (!e->stopped && t_end > e->now)
        e->now = t_end;
    e->events_run += ran;
    return ran;
}

void flyt_engine_expect(struct flyt_engine *e, double events_per_day)
{
    if (e->n + e->n_bucketed + e->n_coarse + e->n_overflow > 0 || e->now != 0 ||
        !(events_per_day > 0) || !isfinite(events_per_day))
        return;
    double scale = 1.0; /* a power of two: AIM_HIGH / 2 to AIM_HIGH events a tick */
    while (events_per_day / scale > AIM_HIGH && scale < SCALE_MAX)
        scale *= 2;
    while (events_per_day / scale < AIM_LOW && scale > SCALE_MIN)
        scale /= 2;
    e->scale = scale;
    e->tick = 0;
    set_rings(e);
}

double flyt_engine_ticks_per_day(const struct flyt_engine *e)
{
    return e->scale;
}

void flyt_engine_set_budget(struct flyt_engine *e, uint64_t max_events)
{
    e->budget = max_events;
}

enum flyt_engine_end flyt_engine_end_reason(const struct flyt_engine *e)
{
    return e->end;
}

uint32_t flyt_engine_stuck_kind(const struct flyt_engine *e)
{
    return e->stuck_kind;
}

bool flyt_engine_interrupted(void)
{
    return interrupt_flag != 0;
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
    return e->n + e->n_bucketed + e->n_coarse + e->n_overflow;
}

uint64_t flyt_engine_events_run(const struct flyt_engine *e)
{
    return e->events_run;
}

void flyt_engine_set_seq_limit(struct flyt_engine *e, uint32_t limit)
{
    e->seq_limit = limit > 1 ? limit : 2;
}
