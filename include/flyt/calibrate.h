/*
 * flyt calibrate: fits scenario parameters so that the mean KPIs over
 * replications hit target values.
 *
 * A calibration spec (a libconfig file, docs/calibration.md) names a
 * scenario, the parameters to fit (key paths with ranges) and the targets
 * (KPI = value with a tolerance and/or weight). Every evaluation runs the
 * scenario with the same seed and replications (common random numbers): each
 * patient keeps its random stream, so the mean KPIs move smoothly with the
 * parameters and Nelder-Mead (GSL's nmsimplex2) can follow them.
 *
 * Parameters are searched in an unbounded variable u with
 * value = min + (max - min) / (1 + exp(-u)), so every evaluated point lies
 * strictly inside [min, max].
 *
 * Objective: sum over targets of weight * ((mean KPI - value) / scale)^2,
 * where scale is the tolerance, or |value| (1 when value is 0) for a target
 * with a weight only. The fit has converged when the simplex is smaller
 * than size_tolerance (in u) and every target with a tolerance is within it.
 *
 * Errors in a spec are reported like scenario errors, "file:line: error:
 * key: message", all of them, before anything is simulated.
 */
#ifndef FLYT_CALIBRATE_H
#define FLYT_CALIBRATE_H

#include "flyt/result.h"
#include "flyt/scenario.h"

#include <stdbool.h>
#include <stdint.h>

#define FLYT_CALIB_MAX_PARAMS   8
#define FLYT_CALIB_MAX_KEYS     12 /* keys moved together by one parameter */
#define FLYT_CALIB_MAX_TARGETS  16
#define FLYT_CALIB_MAX_SETS     16 /* fixed `set` overrides in a spec */
#define FLYT_CALIB_MAX_ALL_KEYS 32 /* keys over all parameters */
#define FLYT_CALIB_KEY_LEN      160

enum flyt_calib_mode {
    FLYT_CALIB_VALUE, /* key = "...": the parameter is the key's value */
    FLYT_CALIB_SCALE  /* keys = [...]: the parameter multiplies each key's value */
};

struct flyt_calib_param {
    char name[FLYT_CALIB_KEY_LEN]; /* the key, or the name given to a keys list */
    enum flyt_calib_mode mode;
    int n_keys;
    char keys[FLYT_CALIB_MAX_KEYS][FLYT_CALIB_KEY_LEN];
    double base[FLYT_CALIB_MAX_KEYS]; /* scale mode: each key's value in the scenario */
    double min, max, start;           /* min < start < max */
    int line;                         /* of the parameter in the spec */
};

#define FLYT_CALIB_KPI_LEN 128

struct flyt_calib_target {
    /* flyt_kpi_lookup's handle: a global KPI (enum flyt_kpi) or a unit's,
     * "units.<id>.<kpi>", resolved against the scenario's units once it is
     * loaded (-1 until then, or when the name is unknown) */
    int kpi;
    char kpi_name[FLYT_CALIB_KPI_LEN];
    double value;
    double tolerance; /* 0: none, the target only pulls through its weight */
    double weight;    /* default 1 */
    double scale;     /* tolerance, or |value| (1 when 0) */
    int line;
};

struct flyt_calib_spec {
    char *path;          /* the spec file as given */
    char *scenario_path; /* relative to the working directory; NULL: embedded default */
    bool has_replications, has_seed;
    unsigned replications; /* when has_replications, replaces run.replications */
    uint64_t seed;         /* when has_seed, replaces run.seed */
    int n_sets;
    char *sets[FLYT_CALIB_MAX_SETS]; /* fixed key=value changes to the scenario */
    int n_params;
    struct flyt_calib_param params[FLYT_CALIB_MAX_PARAMS];
    int n_targets;
    struct flyt_calib_target targets[FLYT_CALIB_MAX_TARGETS];
    unsigned max_evaluations; /* default 200 */
    double size_tolerance;    /* simplex size in u; default 1e-2 */
    double slope_step;        /* fraction of the range for the slopes; default 0.02 */
};

/* Loads and checks a spec: its own keys, then every parameter against the
 * scenario (a trial load at min, start and max, so an unknown key path or a
 * range the scenario rejects is reported at the parameter's line).
 * Returns NULL with every problem in diag. */
struct flyt_calib_spec *flyt_calib_spec_load(const char *path, struct flyt_diag *diag);
void flyt_calib_spec_free(struct flyt_calib_spec *spec);

/* The scenario overrides ("key=value") for parameter values
 * x[0..n_params-1]: the spec's fixed sets, then (when with_run) its
 * replications and seed, then every key of every parameter; x NULL leaves
 * the parameters out. Written into buf[i]; out[i] points at buf[i].
 * Returns the count (at most FLYT_CALIB_MAX_ALL_SETS). */
#define FLYT_CALIB_MAX_ALL_SETS (FLYT_CALIB_MAX_SETS + 2 + FLYT_CALIB_MAX_ALL_KEYS)
#define FLYT_CALIB_SET_LEN      (FLYT_CALIB_KEY_LEN + 48)
int flyt_calib_sets(const struct flyt_calib_spec *spec, const double *x, bool with_run,
                    char (*buf)[FLYT_CALIB_SET_LEN], const char **out);

/* The scenario at x (flyt_calib_sets' changes applied); NULL with the
 * reasons in d, which the caller inits and frees (warnings too). */
struct flyt_scenario *flyt_calib_load(const struct flyt_calib_spec *spec, const double *x,
                                      bool with_run, struct flyt_diag *d);

/* Value of parameter k at the unbounded variable u, and back. */
double flyt_calib_from_u(const struct flyt_calib_param *p, double u);
double flyt_calib_to_u(const struct flyt_calib_param *p, double value);

/* A parameter value as written into a scenario: 10 significant digits and
 * always a float literal (a decimal point or exponent). */
void flyt_calib_format_value(char *buf, size_t len, double value);

/* One evaluation, as reported to the progress callback. */
struct flyt_calib_eval {
    unsigned index; /* 1-based */
    const double *x;
    double objective;
    const double *mean; /* per target */
    bool slope;         /* an evaluation for the slopes, after the fit */
};

typedef void (*flyt_calib_eval_fn)(const struct flyt_calib_eval *ev, void *ctx);

enum flyt_calib_status {
    FLYT_CALIB_CONVERGED = 0,
    FLYT_CALIB_MAX_EVALS,      /* the budget ran out first */
    FLYT_CALIB_MISSED_TARGETS, /* the simplex closed on a point outside some tolerance */
    FLYT_CALIB_STUCK,          /* the minimiser could not go on */
    FLYT_CALIB_RUN_FAILED      /* a replication stopped, or a KPI was never defined */
};

struct flyt_calib_target_result {
    /* over replications at the fitted point: ci_low, ci_high the KPI's 95 %
     * interval (inside its range: flyt_ci_in), ci_half the t half-width */
    double mean, ci_half, ci_low, ci_high;
    unsigned n;
    bool within; /* |mean - value| <= tolerance (true when no tolerance) */
};

struct flyt_calib_report {
    enum flyt_calib_status status;
    char detail[256];
    unsigned evaluations;       /* for the minimiser */
    unsigned slope_evaluations; /* for the fitted values' intervals */
    unsigned replications;
    uint64_t seed;
    double objective;
    double simplex_size;
    double start[FLYT_CALIB_MAX_PARAMS];
    double fitted[FLYT_CALIB_MAX_PARAMS];  /* the best point found */
    double ci_half[FLYT_CALIB_MAX_PARAMS]; /* 95 %, from the KPIs' noise; NaN if unknown */
    double slope[FLYT_CALIB_MAX_TARGETS][FLYT_CALIB_MAX_PARAMS]; /* d mean / d parameter */
    struct flyt_calib_target_result target[FLYT_CALIB_MAX_TARGETS];
};

struct flyt_calib_options {
    unsigned threads;         /* 0: one per CPU */
    unsigned max_evaluations; /* 0: the spec's */
    bool no_slopes;           /* skip the fitted values' intervals */
    flyt_calib_eval_fn on_eval;
    void *ctx;
};

/* Runs the fit. Returns 0 when it ran (report->status says whether it
 * converged), -1 when the scenario would not load or memory ran out
 * (report->detail says why). report->fitted holds the best point found in
 * every case where any evaluation finished.
 *
 * The fitted values' 95 % half-widths come from the delta method: the
 * slopes J of the target means (central differences, 2 evaluations per
 * parameter, slope_step of the range) and the covariance S of the target
 * means over replications at the fitted point give
 * Cov = A^-1 J'W S W J A^-1 with A = J'W J, W = diag(weight / scale^2). */
int flyt_calibrate(const struct flyt_calib_spec *spec, const struct flyt_calib_options *opts,
                   struct flyt_calib_report *report);

/* Writes the scenario with the fitted values to path (via path.partial,
 * fsync, rename): a header comment saying what it was fitted to and what it
 * achieved, then the resolved tree (comments of the original are lost).
 * Returns 0, or -1 with a message in err. */
int flyt_calib_write_fitted(const char *path, const struct flyt_calib_spec *spec,
                            const struct flyt_calib_report *report, const char *command_line,
                            char *err, size_t errlen);

#endif
