/* Internal to flyt bench: the parts that need no model (the bare reference
 * loop, machine information, peak memory of a child process). */
#ifndef FLYT_CLI_BENCH_H
#define FLYT_CLI_BENCH_H

#include <stddef.h>
#include <stdint.h>

/* The bare reference: n_events pops of a binary heap holding pending
 * events, each popped event drawing its successor's exponential delay. */
struct bench_bare {
    uint64_t events;
    size_t pending;
    double wall_s, events_per_s;
    double t_end; /* the clock at the end, so the loop cannot be optimised away */
};

/* Returns 0, or -1 when out of memory (pending must be >= 1). */
int flyt_bench_bare(uint64_t n_events, size_t pending, uint64_t seed, struct bench_bare *out);

struct bench_machine {
    char cpu[128];          /* "model name" of /proc/cpuinfo, or "unknown" */
    unsigned cpus;          /* online */
    double load1;           /* 1-minute load average at the start, -1 unknown */
    const char *compiler;   /* __VERSION__ */
    const char *build;      /* CMAKE_BUILD_TYPE */
    const char *c_flags;    /* CMAKE_C_FLAGS */
    const char *type_flags; /* CMAKE_C_FLAGS_<BUILD TYPE> */
    int sanitize;           /* built with FLYT_SANITIZE */
};

void flyt_bench_machine(struct bench_machine *m);

/* Peak resident memory of this process so far, in KiB. */
long flyt_bench_peak_rss_kb(void);

/* Runs fn(arg) in a forked child so that its peak memory is its own.
 * *base_kb is the child's resident memory before fn (what it inherited),
 * *peak_kb its peak after. Returns fn's value, or -1 when the child could
 * not be started or died. */
int flyt_bench_in_child(int (*fn)(void *arg), void *arg, long *base_kb, long *peak_kb);

/* A region scenario for one simulated year (no warm-up) on one thread,
 * the fastest of repeat runs, and its peak memory (series off) in a child
 * process. A region of several catchments (run one after another) is
 * timed on one calendar as well: wall_one and its event count (the same
 * events, so model_events_one must equal model_events). */
struct bench_region {
    const char *path;
    char name[64];
    int munis, units, catchments;
    double wall, events_per_s, arrivals, patients_mean;
    uint64_t model_events, engine_events;
    double wall_one;
    uint64_t model_events_one;
    long rss_kb;
};
int flyt_bench_region(const char *path, unsigned long long seed, unsigned repeat,
                      struct bench_region *out);

#endif
