/* The bare reference of flyt bench: about the fastest an event loop of
 * flyt's kind can go on this machine. A binary heap of (time, id) in one
 * array, xoshiro256** and exponential draws written out here, and no
 * model: each popped event draws its successor's delay and schedules it,
 * so the pending count stays fixed. Nothing of the engine, the RNG module
 * or GSL is used, so the figure does not move when they change. */
#include "cli/bench.h"

#include <math.h>
#include <stdlib.h>
#include <time.h>

struct entry {
    double t;
    uint32_t id, kind;
};

struct heap {
    struct entry *a;
    size_t n;
};

static void push(struct heap *h, struct entry x)
{
    size_t i = h->n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (x.t >= h->a[parent].t)
            break;
        h->a[i] = h->a[parent];
        i = parent;
    }
    h->a[i] = x;
}

/* The textbook sift-down of the last element from the root. */
static struct entry pop(struct heap *h)
{
    struct entry top = h->a[0];
    size_t n = --h->n;
    struct entry last = h->a[n];
    size_t i = 0, c;
    while ((c = 2 * i + 1) < n) {
        if (c + 1 < n && h->a[c + 1].t < h->a[c].t)
            c++;
        if (last.t <= h->a[c].t)
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    h->a[i] = last;
    return top;
}

/* xoshiro256** as in sim/rng/streams.c, seeded by splitmix64. */
static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

static inline uint64_t next(uint64_t s[4])
{
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* u in (0, 1], so the logarithm is finite. */
static inline double exponential(uint64_t s[4], double mean)
{
    double u = (double)((next(s) >> 11) + 1) * 0x1.0p-53;
    return -mean * log(u);
}

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

int flyt_bench_bare(uint64_t n_events, size_t pending, uint64_t seed, struct bench_bare *out)
{
    if (pending == 0)
        pending = 1;
    struct heap h = { malloc((pending + 1) * sizeof *h.a), 0 };
    if (!h.a)
        return -1;
    uint64_t s[4];
    for (int i = 0; i < 4; i++)
        s[i] = splitmix64(&seed);
    /* Mean delay = pending: one event per unit of time, as in a steady state. */
    double mean = (double)pending;
    for (size_t i = 0; i < pending; i++)
        push(&h, (struct entry){ exponential(s, mean), (uint32_t)i, 0 });
    double now = 0.0;
    double t0 = seconds();
    for (uint64_t e = 0; e < n_events; e++) {
        struct entry x = pop(&h);
        now = x.t;
        x.t = now + exponential(s, mean);
        x.kind ^= 1;
        push(&h, x);
    }
    double wall = seconds() - t0;
    free(h.a);
    out->events = n_events;
    out->pending = pending;
    out->wall_s = wall;
    out->events_per_s = wall > 0 ? (double)n_events / wall : 0.0;
    out->t_end = now;
    return 0;
}
