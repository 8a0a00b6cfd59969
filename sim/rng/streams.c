#include "flyt/rng.h"

#include <stdlib.h>

uint64_t flyt_splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Each key component is mixed in turn, so (1,2) and (2,1) give unrelated
 * streams; the four state words then come from splitmix64 of the hash, which
 * never yields the all-zero state xoshiro cannot leave. */
static uint64_t mix_in(uint64_t h, uint64_t key)
{
    h ^= flyt_splitmix64(&h) + key;
    (void)flyt_splitmix64(&h);
    return h;
}

uint64_t flyt_stream_prefix(uint64_t seed, uint64_t replication, uint64_t stream_class)
{
    return mix_in(mix_in(seed, replication), stream_class);
}

uint64_t flyt_stream_prefix_key(uint64_t prefix, uint64_t key)
{
    return mix_in(prefix, key);
}

void flyt_stream_seed_at(struct flyt_stream *st, uint64_t prefix, uint64_t index)
{
    uint64_t h = mix_in(prefix, index);
    for (int i = 0; i < 4; i++)
        st->s[i] = flyt_splitmix64(&h);
}

void flyt_stream_seed(struct flyt_stream *st, uint64_t seed, uint64_t replication,
                      uint64_t stream_class, uint64_t index)
{
    flyt_stream_seed_at(st, flyt_stream_prefix(seed, replication, stream_class), index);
}

static void xo_set(void *state, unsigned long seed)
{
    flyt_stream_seed(state, seed, 0, 0, 0);
}

/* GSL's integer interface is 32 bits wide here, so the type works the same
 * wherever unsigned long is 32 bits; doubles take the top 53 bits. */
static unsigned long xo_get(void *state)
{
    return (unsigned long)(flyt_stream_next(state) >> 32);
}

static double xo_get_double(void *state)
{
    return flyt_stream_uniform(state);
}

const gsl_rng_type flyt_rng_xoshiro_type = {
    "flyt-xoshiro256ss", 0xffffffffUL, 0, sizeof(struct flyt_stream), xo_set, xo_get, xo_get_double
};

const gsl_rng_type *flyt_rng_xoshiro = &flyt_rng_xoshiro_type;

/* gsl_rng_alloc would also allocate a state we never use, so the state
 * pointer is kept aside and restored before GSL frees it. */
struct owned_rng {
    gsl_rng r;
    struct flyt_stream own;
};

gsl_rng *flyt_rng_new(void)
{
    struct owned_rng *o = calloc(1, sizeof *o);
    if (!o)
        return NULL;
    o->r.type = flyt_rng_xoshiro;
    o->r.state = &o->own;
    xo_set(&o->own, 0);
    return &o->r;
}

void flyt_rng_free(gsl_rng *r)
{
    free(r); /* r is the first member of struct owned_rng */
}
