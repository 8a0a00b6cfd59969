/*
 * The file of flyt optimise: what was asked (the spec's text), every
 * configuration of the grid with the replications it used and what the
 * procedure decided about it, and the pick. The optimise module fills it;
 * the output module writes it (only it sees HDF5).
 */
#ifndef FLYT_OPTIMISE_FILE_H
#define FLYT_OPTIMISE_FILE_H

#include "flyt/output.h"

#include <stddef.h>
#include <stdint.h>

struct flyt_opt_file {
    const char *spec_path, *spec_text, *scenario_name, *procedure;
    size_t n_configs, n_vars, n_constraints;
    const char *const *var_keys;              /* [n_vars] */
    const double *values;                     /* [n_configs x n_vars] */
    const char *objective;                    /* its KPI name */
    const char *const *constraint_kpis;       /* [n_constraints], "kpi <= q" */
    const double *bound, *tolerance;          /* [n_constraints] */
    const int *upper;                         /* [n_constraints]: 1 max, 0 min */
    const int *n_run, *n_feasible, *n_select; /* [n_configs] */
    const char *const *decision;              /* [n_configs], a word */
    const int *constraint, *by;               /* [n_configs], -1: none */
    const double *objective_stat;             /* [n_configs x 3]: mean, ci_low, ci_high */
    const double *constraint_stat;            /* [n_configs x n_constraints x 3] */
    int chosen;                               /* -1: none feasible */
    double alpha, indifference, beta, h2_feasibility, h2_selection;
    unsigned n0, max_replications;
    uint64_t seed; /* of every configuration */
    int capped;
    const char *search;           /* "grid" or "local" */
    const int *round;             /* [n_configs]: the round that first ran it (0: start) */
    double n_space;               /* configurations in the whole grid */
    unsigned rounds;              /* local: neighbourhoods compared after the start */
    int exhausted;                /* local: stopped at max_configurations */
    size_t n_terms;               /* the objective's terms: 1 (weight 1) for one KPI */
    const char *const *term_kpis; /* [n_terms] */
    const double *weights;        /* [n_terms] */
};

/* Returns 0, or -1 with a message in err. Written atomically (flyt/outfile.h). */
int flyt_h5_write_optimise(const char *path, const struct flyt_opt_file *f,
                           const struct flyt_run_meta *meta, char *err, size_t errlen);

#endif
