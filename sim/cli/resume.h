/* Checkpoint and --resume for flyt run and flyt compare (flyt/checkpoint.h):
 * the journal beside the output, fed from the experiment's finished
 * callback. Internal to the flyt program. */
#ifndef FLYT_CLI_RESUME_H
#define FLYT_CLI_RESUME_H

#include "flyt/checkpoint.h"
#include "flyt/experiment.h"

#include <stdbool.h>
#include <stddef.h>

struct flyt_cli_resume {
    const char *cmd;
    struct flyt_checkpoint *ck;
    unsigned scen;  /* the scenario now running (compare) */
    unsigned n_rep; /* replications per scenario */
    bool *done;     /* n_scen x n_rep, from the journal */
    bool failed;    /* an append failed: warned once, no more appends */
    size_t n_loaded;
    struct flyt_experiment_resume hooks; /* for scenario scen */
};

/* Opens "<out>.journal" for s[0..n) with n_rep replications each, loading
 * it into res[i][r] with resume. Prints "flyt CMD: error: ..." and returns
 * an exit status, or -1 to go on. */
int flyt_cli_resume_open(struct flyt_cli_resume *k, const char *cmd, const char *out,
                         const struct flyt_scenario *const *s, size_t n, unsigned n_rep,
                         bool resume, struct flyt_result *const *res);

/* The hooks for running scenario i. */
const struct flyt_experiment_resume *flyt_cli_resume_hooks(struct flyt_cli_resume *k, unsigned i);

/* The journal's path and how many replications it holds. */
const char *flyt_cli_resume_path(const struct flyt_cli_resume *k);
size_t flyt_cli_resume_count(const struct flyt_cli_resume *k);

/* Closes the journal, deleting it with remove (the output is written). */
void flyt_cli_resume_close(struct flyt_cli_resume *k, bool remove);

#endif
