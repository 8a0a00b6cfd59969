/*
 * flyt random streams.
 *
 * Randomness belongs to patients, not to the clock: every patient draws from
 * its own stream, keyed by (seed, replication, stream class, index). Two
 * scenarios run with the same seed therefore see the same patients, whatever
 * else differs, and the paired difference between them is tight (common
 * random numbers).
 *
 * A stream is the 256-bit state of xoshiro256** (Blackman & Vigna), filled
 * from the key by splitmix64. It is exposed to GSL as a gsl_rng_type of our
 * own, so every gsl_ran_* distribution draws from it: flyt_rng_bind points a
 * gsl_rng at a stream's state, with no copying.
 *
 * Scheme name and version are recorded in every output file.
 */
#ifndef FLYT_RNG_H
#define FLYT_RNG_H

#include <stdint.h>

#include <gsl/gsl_rng.h>

#define FLYT_RNG_SCHEME                                                                       \
    "xoshiro256** per patient, keyed by splitmix64(seed, replication, class, index); normal " \
    "and exponential by 256-layer ziggurat; v2"

struct flyt_stream {
    uint64_t s[4];
};

/* Stream classes keep patient numbers of different origins apart. */
enum flyt_stream_class {
    FLYT_STREAM_ARRIVALS = 1, /* the arrival process */
    FLYT_STREAM_PATIENT = 2,  /* a patient arriving from the community */
    FLYT_STREAM_INITIAL = 3,  /* a patient present at time 0 */
    FLYT_STREAM_MODEL = 4,    /* anything else the model needs */
    FLYT_STREAM_ROLE = 5,     /* a coordinator role's work times */
    FLYT_STREAM_LEVER = 6,    /* a patient's draws that exist only with a lever:
                                 kept off the patient's own stream, so adding a
                                 lever leaves the patient's other draws alone */
    FLYT_STREAM_HARM = 7      /* a patient's draws for the harm of waiting (death
                                 while waiting, deconditioning): likewise apart */
};

extern const gsl_rng_type flyt_rng_xoshiro_type;
extern const gsl_rng_type *flyt_rng_xoshiro; /* &flyt_rng_xoshiro_type */

void flyt_stream_seed(struct flyt_stream *st, uint64_t seed, uint64_t replication,
                      uint64_t stream_class, uint64_t index);

/* The key hash after (seed, replication, stream class): the same for every
 * stream of a class, so a model seeding one stream per patient hashes it
 * once. flyt_stream_seed_at(st, flyt_stream_prefix(s, r, c), i) gives the
 * very state of flyt_stream_seed(st, s, r, c, i). */
uint64_t flyt_stream_prefix(uint64_t seed, uint64_t replication, uint64_t stream_class);
void flyt_stream_seed_at(struct flyt_stream *st, uint64_t prefix, uint64_t index);
/* A prefix with one more key mixed in: a region keys each municipality's
 * streams by (seed, replication, class, municipality). */
uint64_t flyt_stream_prefix_key(uint64_t prefix, uint64_t key);

static inline uint64_t flyt_stream_next(struct flyt_stream *st)
{
    uint64_t *s = st->s;
    uint64_t x = s[1] * 5;
    uint64_t result = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return result;
}

/* Uniform on [0, 1): the top 53 bits, the very double gsl_rng_uniform gives
 * on a flyt stream, without GSL's two calls. */
static inline double flyt_stream_uniform(struct flyt_stream *st)
{
    return (double)(flyt_stream_next(st) >> 11) * 0x1.0p-53;
}

/* Standard normal and unit exponential (mean 1) by the ziggurat method
 * (ziggurat.c); one 64-bit output per draw almost always. */
double flyt_stream_normal(struct flyt_stream *st);
double flyt_stream_exponential(struct flyt_stream *st);

/* gsl_rng_uniform(r), drawn inline when r is a flyt stream. */
static inline double flyt_rng_uniform(const gsl_rng *r)
{
    if (r->type == &flyt_rng_xoshiro_type)
        return flyt_stream_uniform(r->state);
    return gsl_rng_uniform(r);
}

/* A gsl_rng whose state is owned by flyt (use flyt_rng_bind before drawing). */
gsl_rng *flyt_rng_new(void);
void flyt_rng_free(gsl_rng *r);

/* Makes r draw from st: later draws advance st itself. */
static inline void flyt_rng_bind(gsl_rng *r, struct flyt_stream *st)
{
    r->state = st;
}

uint64_t flyt_splitmix64(uint64_t *x);

#endif
