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

#define FLYT_RNG_SCHEME \
    "xoshiro256** per patient, keyed by splitmix64(seed, replication, class, index); v1"

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
    FLYT_STREAM_LEVER = 6     /* a patient's draws that exist only with a lever:
                                 kept off the patient's own stream, so adding a
                                 lever leaves the patient's other draws alone */
};

extern const gsl_rng_type *flyt_rng_xoshiro;

void flyt_stream_seed(struct flyt_stream *st, uint64_t seed, uint64_t replication,
                      uint64_t stream_class, uint64_t index);

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
