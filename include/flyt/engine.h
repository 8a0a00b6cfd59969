/*
 * flyt engine: a small discrete-event kernel.
 *
 * The clock is a double in days. Events are ordered by (time, insertion
 * sequence): two events at the same time pop in the order they were
 * scheduled, so a run is deterministic. Each event carries a kind (an index
 * into the handler table), an entity id and a tag; the kernel gives these no
 * meaning. The model uses the tag to recognise stale events (an entity whose
 * generation moved on), which makes cancelling O(1) without searching the heap.
 *
 * The calendar is a 4-ary heap of 16-byte keys for the current slice of
 * time, rings of buckets for later ones (sim/engine/calendar.c), the
 * events' kind, id and tag in slots beside them; after warm-up no event
 * allocates.
 */
#ifndef FLYT_ENGINE_H
#define FLYT_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flyt_event {
    double t;     /* days */
    uint64_t seq; /* insertion order, breaks ties; increases with insertion
                     among the events of one engine */
    uint32_t kind;
    uint32_t id;
    uint32_t tag;
};

struct flyt_engine;

/* A handler runs one event; ctx is the pointer given to flyt_engine_new. */
typedef void (*flyt_event_handler)(struct flyt_engine *e, const struct flyt_event *ev, void *ctx);

/* Returns NULL when out of memory. n_kinds handlers, all initially NULL. */
struct flyt_engine *flyt_engine_new(uint32_t n_kinds, size_t initial_capacity, void *ctx);
void flyt_engine_free(struct flyt_engine *e);
/* Forgets every pending event and starts the clock, the numbering, the
 * width and the counts again from the start, as flyt_engine_new left them,
 * keeping the memory, the handlers, the hooks and the budget: the next run
 * gives the events it is given the order a new engine would. For a model
 * that runs parts of a replication one after another (a region's
 * catchments) without mapping and clearing the calendar's memory again. */
void flyt_engine_reset(struct flyt_engine *e);

void flyt_engine_on(struct flyt_engine *e, uint32_t kind, flyt_event_handler h);

/* A prefetch hook: called with an event's id shortly before it runs (when
 * its slice of time comes up, a few events ahead), so that the model can
 * ask the CPU to bring in what the handler will read. It must not change
 * any state the run depends on; a run gives the same results with or
 * without it. Events scheduled into the current slice are not hinted. */
typedef void (*flyt_event_prefetch)(uint32_t id, void *ctx);
void flyt_engine_prefetch(struct flyt_engine *e, uint32_t kind, flyt_event_prefetch h);

/* Schedules an event at absolute time t (>= now). Returns 0, or -1 when the
 * calendar could not grow (out of memory). */
int flyt_engine_schedule(struct flyt_engine *e, double t, uint32_t kind, uint32_t id, uint32_t tag);

/* Pops the earliest event into *ev without running it. Returns 0, or -1 when
 * the calendar is empty. Advances the clock. */
int flyt_engine_pop(struct flyt_engine *e, struct flyt_event *ev);

/* Runs events with t < t_end in order, then sets the clock to t_end. Stops
 * early when a handler calls flyt_engine_stop. Returns the events run. */
uint64_t flyt_engine_run(struct flyt_engine *e, double t_end);

void flyt_engine_stop(struct flyt_engine *e);

/* Why the last flyt_engine_run returned. */
enum flyt_engine_end {
    FLYT_ENGINE_DONE,        /* reached t_end or ran out of events */
    FLYT_ENGINE_STOPPED,     /* a handler called flyt_engine_stop */
    FLYT_ENGINE_INTERRUPTED, /* flyt_engine_interrupt_all was called (a signal) */
    FLYT_ENGINE_STUCK,       /* the clock stood still while events kept coming */
    FLYT_ENGINE_BUDGET       /* ran the events flyt_engine_set_budget allowed */
};
/* At most about max_events (checked every 65,536) over the engine's life;
 * 0, the default, is no limit. For callers with a time budget (fuzzing). */
void flyt_engine_set_budget(struct flyt_engine *e, uint64_t max_events);
/* The caller's guess of events per simulated day, given before anything is
 * scheduled (ignored after): the first bucket width is chosen from it
 * rather than found by halving. The order events run in is the same
 * whatever the width; a national region otherwise started 512 times too
 * coarse and filed its 110,000 pending events again three times. */
void flyt_engine_expect(struct flyt_engine *e, double events_per_day);
/* Buckets per simulated day now (a power of two; the engine adapts it). */
double flyt_engine_ticks_per_day(const struct flyt_engine *e);
enum flyt_engine_end flyt_engine_end_reason(const struct flyt_engine *e);
/* With FLYT_ENGINE_STUCK: the kind of the event that was running. */
uint32_t flyt_engine_stuck_kind(const struct flyt_engine *e);

/* Asks every engine, on every thread, to stop within a few thousand
 * events. Async-signal-safe: it only sets a flag. Cleared by
 * flyt_engine_clear_interrupt. */
void flyt_engine_interrupt_all(void);
void flyt_engine_clear_interrupt(void);
bool flyt_engine_interrupted(void);
double flyt_engine_now(const struct flyt_engine *e);
size_t flyt_engine_pending(const struct flyt_engine *e);
uint64_t flyt_engine_events_run(const struct flyt_engine *e);

/* The calendar numbers events in 32 bits and renumbers the pending ones
 * before the number wraps; a test lowers the limit to make that happen
 * early. limit >= 2. */
void flyt_engine_set_seq_limit(struct flyt_engine *e, uint32_t limit);

#endif
