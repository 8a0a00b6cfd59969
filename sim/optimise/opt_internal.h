/* What the parts of flyt optimise share: the replication cache of every
 * configuration visited, the journal, and the two decisions (feasibility,
 * then KN selection) applied to a set of configurations. Not installed. */
#ifndef FLYT_OPT_INTERNAL_H
#define FLYT_OPT_INTERNAL_H

#include "flyt/optimise.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct opt_journal;

struct opt_data {
    double *y;  /* [cap x width]: objective, then the constraint KPIs */
    unsigned n; /* replications run (or read back) */
    unsigned cap;
    bool feasibility_done; /* decided once: the same beta for every set it is in */
};

struct opt {
    const struct flyt_opt_spec *spec;
    const struct flyt_opt_options *opts;
    struct flyt_opt_report *rep; /* rep->config[i] and data[i]: visited configuration i */
    struct opt_data *data;
    unsigned cap_configs;
    unsigned width; /* 1 + L */
    struct opt_journal *journal;
};

int opt_fail(struct opt *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The configuration at these levels: its index among those visited, added
 * (first run in `round`) when new; -1 when out of memory. seen_before
 * false: the caller knows it is new (the grid, whose K may be 100,000, is
 * not searched K times). */
int opt_visit(struct opt *o, const int *levels, unsigned round, bool seen_before);

/* The two phases on the configurations set[0..k-1]: feasibility for those
 * not decided yet, then KN among the feasible ones of the set. *pick is
 * the set's choice (an index among those visited) or -1 when none of them
 * is feasible. Returns 0 or -1 (o->rep->detail says why). */
int opt_decide(struct opt *o, const unsigned *set, unsigned k, int *pick);

/* h^2 of one decision at error err from a first stage of n0. */
double opt_h2(double err, unsigned n0);

/* The journal (journal.c): opened before anything runs; what it holds is
 * looked up by (grid index, replication) before a replication is run. */
int opt_journal_open(struct opt *o, const char *path, bool resume);
bool opt_journal_get(const struct opt_journal *j, uint64_t index, unsigned rep, double *y);
int opt_journal_append(struct opt_journal *j, uint64_t index, unsigned rep, const double *y);
size_t opt_journal_loaded(const struct opt_journal *j);
/* Syncs and closes; the file stays (the command removes it once the output
 * is written). */
int opt_journal_close(struct opt_journal *j);

/* A replication's figures: the objective, then each constraint's KPI. */
void opt_figures(const struct flyt_opt_spec *spec, const struct flyt_result *r, double *y);

/* Workers (remote.c, over o->opts->transport): process 0 asks worker w
 * (1..) for replications reps[0..n-1] of the configuration at value, then
 * reads its answer: for each of the n, the status, its detail and the
 * figures (y, n x width). The answer is 0, or the worker's failure: 1 the
 * scenario rejects the configuration, 2 out of memory or a thread could
 * not start, 3 stopped, -1 the transport failed (fail says why). */
int opt_remote_ask(struct opt *o, unsigned w, const double *value, const unsigned *reps,
                   unsigned n);
int opt_remote_answer(struct opt *o, unsigned w, unsigned n, int *status, char (*detail)[128],
                      double *y, char *fail, size_t faillen);

/* The search (search.c): grid or local. */
int opt_search_grid(struct opt *o);
int opt_search_local(struct opt *o);

#endif
