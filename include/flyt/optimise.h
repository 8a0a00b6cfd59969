/*
 * flyt optimise: the cheapest configuration of integer capacities that keeps
 * stochastic constraints, with a statistical guarantee (docs/optimise.md).
 *
 * An optimisation spec (a libconfig file) names a scenario, integer decision
 * variables (key paths with min, max and step), the objective KPI to
 * minimise (default cost_total_per_year) with its indifference zone, and
 * constraints on mean KPIs (max or min, with a tolerance). Every
 * configuration of the grid runs with the same seed, so replication r of
 * every configuration sees the same patients (common random numbers).
 *
 * The procedure, in two phases with alpha split in halves:
 *  1. feasibility: for each configuration and constraint, a fully
 *     sequential check with a triangular continuation region (Batur & Kim
 *     2010; Andradottir & Kim 2010), one replication at a time from n0 up
 *     to max_replications, each check at error beta = (alpha/2) / (K L)
 *     (Bonferroni over K configurations and L constraints);
 *  2. selection among those declared feasible: KN (Kim & Nelson 2001) with
 *     the variances of paired differences, error alpha/2, indifference
 *     zone delta = objective_indifference.
 * Replication r of a configuration is a pure function of (scenario, seed,
 * r), and every decision is taken replication by replication, so the result
 * does not depend on the thread count or on how replications are batched.
 *
 * Errors in a spec are reported like scenario errors, "file:line: error:
 * key: message", all of them, before anything is simulated.
 */
#ifndef FLYT_OPTIMISE_H
#define FLYT_OPTIMISE_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLYT_OPT_MAX_VARS        8
#define FLYT_OPT_MAX_CONSTRAINTS 8
#define FLYT_OPT_MAX_SETS        16
#define FLYT_OPT_KEY_LEN         160
#define FLYT_OPT_KPI_LEN         128
#define FLYT_OPT_SET_LEN         (FLYT_OPT_KEY_LEN + 64) /* key=value, the value formatted in 63 */
#define FLYT_OPT_MAX_ALL_SETS    (FLYT_OPT_MAX_SETS + 1 + FLYT_OPT_MAX_VARS)

#define FLYT_OPT_MAX_TERMS 8

struct flyt_opt_var {
    char key[FLYT_OPT_KEY_LEN];
    /* values min + i step for i = 0 .. n_values - 1, each computed from i
     * (never accumulated), so a fractional step gives the same values on
     * every machine */
    double min, max, step;
    bool integer; /* min, max and step were integer literals: set as integers */
    int n_values;
    int line;
};

/* A KPI named in the spec: flyt_kpi_lookup's handle (-1 until resolved). */
struct flyt_opt_kpi {
    int kpi;
    char name[FLYT_OPT_KPI_LEN];
    int line;
};

/* One term of a weighted-sum objective: weight x the KPI's mean. */
struct flyt_opt_term {
    struct flyt_opt_kpi kpi;
    double weight;
};

enum flyt_opt_search {
    FLYT_OPT_SEARCH_GRID,  /* every configuration of the grid */
    FLYT_OPT_SEARCH_LOCAL, /* a space-filling start, then neighbourhoods of the incumbent */
};

struct flyt_opt_constraint {
    struct flyt_opt_kpi kpi;
    bool upper;       /* max = bound: mean <= bound; otherwise min: mean >= bound */
    double bound;     /* q */
    double tolerance; /* epsilon > 0 */
};

struct flyt_opt_spec {
    char *path;
    char *text;          /* the spec file as read, for the output file */
    char *scenario_path; /* NULL: the embedded default */
    bool has_seed;
    uint64_t seed;
    unsigned n0;               /* replications: the first stage, >= 2 */
    unsigned max_replications; /* per configuration, >= n0 */
    int n_sets;
    char *sets[FLYT_OPT_MAX_SETS];
    int n_vars;
    struct flyt_opt_var vars[FLYT_OPT_MAX_VARS];
    struct flyt_opt_kpi objective; /* minimised; a weighted sum: kpi -1, name the sum */
    int n_terms;                   /* 0: the single KPI objective; else the weighted sum */
    struct flyt_opt_term terms[FLYT_OPT_MAX_TERMS];
    double indifference; /* delta, in the objective's units */
    int n_constraints;
    struct flyt_opt_constraint constraints[FLYT_OPT_MAX_CONSTRAINTS];
    double alpha;
    unsigned
            max_configurations; /* grid: the largest grid; local: the most configurations visited */
    double n_grid;              /* the grid's size (may be far beyond max_configurations) */
    unsigned n_configs;         /* grid search: the grid's size; local: 0 */
    enum flyt_opt_search search;
    bool explicit_search;  /* the spec named it (else: the grid when it fits) */
    unsigned start_points; /* local: the Latin hypercube's points */
};

/* Loads and checks a spec: its own keys, then every variable against the
 * scenario (trial loads at its min and max), so an unknown key path or a
 * value the scenario rejects is reported at the variable's line. Returns
 * NULL with every problem in diag. */
struct flyt_opt_spec *flyt_opt_spec_load(const char *path, struct flyt_diag *diag);
void flyt_opt_spec_free(struct flyt_opt_spec *spec);

/* Grid configuration c's level (0 .. n_values - 1) of every variable (the
 * first variable varies slowest), and the values of given levels. */
void flyt_opt_config_levels(const struct flyt_opt_spec *spec, uint64_t c, int *levels);
void flyt_opt_level_values(const struct flyt_opt_spec *spec, const int *levels, double *values);
/* The grid index of given levels (the inverse of flyt_opt_config_levels). */
uint64_t flyt_opt_grid_index(const struct flyt_opt_spec *spec, const int *levels);

/* The scenario overrides for a configuration's values (NULL: the spec's
 * fixed sets and seed only). Returns the count. */
int flyt_opt_sets(const struct flyt_opt_spec *spec, const double *values,
                  char (*buf)[FLYT_OPT_SET_LEN], const char **out);
/* A variable's value as --set takes it ("12" or "37.5"). */
void flyt_opt_format_value(const struct flyt_opt_var *v, double x, char *buf, size_t len);

/* The objective of one replication (the KPI, or the weighted sum); NaN
 * when a KPI has no value. */
double flyt_opt_objective_value(const struct flyt_opt_spec *spec, const struct flyt_result *r);

enum flyt_opt_fate {
    FLYT_OPT_CHOSEN,      /* the pick */
    FLYT_OPT_TIED,        /* not distinguishable from the pick */
    FLYT_OPT_ELIMINATED,  /* costlier than `by`, by more than the procedure's margin */
    FLYT_OPT_INFEASIBLE,  /* constraint `constraint` declared violated */
    FLYT_OPT_UNDECIDED,   /* feasibility not decided within max_replications */
    FLYT_OPT_NOT_REACHED, /* the run stopped before it was decided */
};

struct flyt_opt_config {
    double value[FLYT_OPT_MAX_VARS];
    uint64_t index; /* in the grid (flyt_opt_config_levels) */
    unsigned round; /* local search: the round that first ran it (0: the start); grid: 0 */
    enum flyt_opt_fate fate;
    int constraint;      /* INFEASIBLE, UNDECIDED: which constraint; else -1 */
    int by;              /* ELIMINATED, TIED: the configuration it lost to or tied with; else -1 */
    unsigned n_run;      /* replications run */
    unsigned n_feasible; /* replications when feasibility was decided */
    unsigned n_select;   /* replications when selection decided it; 0: not in the selection */
    /* over the n_run replications: the objective's and each constraint
     * KPI's mean and 95 % interval */
    struct flyt_stat objective;
    struct flyt_stat constraint_stat[FLYT_OPT_MAX_CONSTRAINTS];
};

struct flyt_opt_report {
    unsigned n_configs;
    struct flyt_opt_config *config; /* [n_configs], owned */
    int chosen;                     /* -1: none feasible */
    unsigned n_feasible;
    bool capped; /* some decision hit max_replications: the guarantee does not cover it */
    double beta; /* each feasibility check's error */
    double h2_feasibility, h2_selection; /* the triangles' constants */
    unsigned replications;               /* over all configurations */
    unsigned replications_resumed;       /* of those, read back from the journal */
    enum flyt_opt_search search;
    unsigned rounds;  /* local: neighbourhoods compared after the start */
    bool exhausted;   /* local: stopped at max_configurations, not at a local optimum */
    char detail[256]; /* why the run failed */
};

struct flyt_opt_progress {
    const char *phase; /* "feasibility" or "selection" */
    unsigned config;   /* 0-based */
    unsigned n_run;
    unsigned decided, total; /* configurations decided in this phase */
};

/* Other processes that run replications for flyt optimise (the CLI wires
 * it to Open MPI ranks; the optimise module itself knows nothing of MPI).
 * Processes are numbered 0 (the one running the procedure) and workers
 * 1..n_workers; messages are bytes, delivered in order between two of them. */
struct flyt_opt_transport {
    unsigned n_workers;
    int (*send)(void *ctx, int to, const void *buf, size_t len); /* 0 or -1 */
    /* the next message from `from`, malloc'd, its length in *len; NULL on failure */
    void *(*recv)(void *ctx, int from, size_t *len);
    void *ctx;
};

struct flyt_opt_options {
    unsigned threads; /* 0: one per CPU */
    void (*on_progress)(const struct flyt_opt_progress *p, void *ctx);
    void *ctx;
    /* NULL (or no workers): every replication runs here, on threads. Else
     * the missing replications of a configuration are split into
     * n_workers + 1 shares, run here and on the workers (flyt_opt_serve);
     * a replication's figures depend only on its configuration and number,
     * so the results are the same. */
    const struct flyt_opt_transport *transport;
};

/* A worker (process 1..n_workers): answers process 0's requests (some
 * replications of one configuration, run on `threads` threads) until it is
 * told to stop. spec NULL (it would not load here): answers each request
 * with an error. Returns 0, or -1 when the transport failed. */
int flyt_opt_serve(const struct flyt_opt_spec *spec, unsigned threads,
                   const struct flyt_opt_transport *t);
/* From process 0, once the procedure is over: every worker stops. */
void flyt_opt_stop_workers(const struct flyt_opt_transport *t);

/* The journal of a run (flyt_optimise_with): every finished replication is
 * appended to path as one checksummed record, so a killed run can go on. */
struct flyt_opt_journal {
    const char *path;
    bool resume; /* an existing journal is read back (without it, refused) */
};

/* Runs the procedure. Returns 0 when it ran to the end (report->chosen
 * says what it found), -2 when the journal cannot be used (another spec's,
 * damaged, or present without resume: report->detail says what to do),
 * -1 when a scenario would not load, a replication
 * stopped, a KPI had no value, memory ran out or a stop was requested
 * (report->detail says why). Free the report with flyt_opt_report_free. */
int flyt_optimise(const struct flyt_opt_spec *spec, const struct flyt_opt_options *opts,
                  struct flyt_opt_report *report);
/* flyt_optimise with a journal (NULL: none). */
int flyt_optimise_with(const struct flyt_opt_spec *spec, const struct flyt_opt_options *opts,
                       const struct flyt_opt_journal *journal, struct flyt_opt_report *report);
void flyt_opt_report_free(struct flyt_opt_report *report);

/* The journal's name next to the output: "FILE.journal", malloc'd. */
char *flyt_opt_journal_path(const char *output);

/* Writes the base scenario with the chosen configuration's values set to
 * path, under a header that says what chose it; atomically (flyt/outfile.h).
 * Returns 0, or -1 with a message in err. */
int flyt_opt_write_scenario(const char *path, const struct flyt_opt_spec *spec,
                            const struct flyt_opt_report *rep, const char *command_line, char *err,
                            size_t errlen);

/* A fate as a word for tables and files. */
const char *flyt_opt_fate_name(enum flyt_opt_fate fate);

#endif
