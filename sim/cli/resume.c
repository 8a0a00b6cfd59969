#include "cli/resume.h"
#include "cli/cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Only finished replications are worth keeping: one cut short by a signal
 * is incomplete, and a runaway or a lack of memory is better run again. */
static void finished(void *ctx, unsigned rep, const struct flyt_result *r)
{
    struct flyt_cli_resume *k = ctx;
    if (!k->ck || k->failed || r->status != FLYT_RUN_OK)
        return;
    if (flyt_checkpoint_append(k->ck, k->scen, rep, r) != 0) {
        k->failed = true;
        fprintf(stderr,
                "flyt %s: warning: cannot append to '%s': %s; the run goes on, but an "
                "interrupted run will not be able to resume past this point\n",
                k->cmd, flyt_checkpoint_path(k->ck), strerror(errno));
    }
}

int flyt_cli_resume_open(struct flyt_cli_resume *k, const char *cmd, const char *out,
                         const struct flyt_scenario *const *s, size_t n, unsigned n_rep,
                         bool resume, struct flyt_result *const *res)
{
    memset(k, 0, sizeof *k);
    k->cmd = cmd;
    k->n_rep = n_rep;
    size_t len = strlen(out) + sizeof ".journal";
    char *path = malloc(len);
    if (!path || !(k->done = calloc(n * n_rep + 1, sizeof *k->done))) {
        free(path);
        fprintf(stderr, "flyt %s: error: out of memory\n", cmd);
        return EXIT_FAIL;
    }
    snprintf(path, len, "%s.journal", out);
    char err[1024];
    k->ck = flyt_checkpoint_open(path, flyt_checkpoint_hash(s, n, n_rep), (unsigned)n, n_rep,
                                 resume, res, k->done, &k->n_loaded, err, sizeof err);
    free(path);
    if (!k->ck) {
        fprintf(stderr, "flyt %s: error: %s\n", cmd, err);
        free(k->done);
        k->done = NULL;
        return EXIT_BAD_INPUT;
    }
    if (k->n_loaded)
        fprintf(stderr, "flyt %s: resuming: %zu of %zu replications already done (%s)\n", cmd,
                k->n_loaded, n * n_rep, flyt_checkpoint_path(k->ck));
    return -1;
}

const struct flyt_experiment_resume *flyt_cli_resume_hooks(struct flyt_cli_resume *k, unsigned i)
{
    k->scen = i;
    k->hooks = (struct flyt_experiment_resume){ k->done ? k->done + (size_t)i * k->n_rep : NULL,
                                                finished, k };
    return &k->hooks;
}

const char *flyt_cli_resume_path(const struct flyt_cli_resume *k)
{
    return flyt_checkpoint_path(k->ck);
}

size_t flyt_cli_resume_count(const struct flyt_cli_resume *k)
{
    return flyt_checkpoint_count(k->ck);
}

void flyt_cli_resume_close(struct flyt_cli_resume *k, bool remove)
{
    char path[4200];
    snprintf(path, sizeof path, "%s", flyt_checkpoint_path(k->ck));
    if (flyt_checkpoint_close(k->ck, remove) != 0 && remove)
        fprintf(stderr, "flyt %s: warning: cannot remove '%s': %s\n", k->cmd, path,
                strerror(errno));
    k->ck = NULL;
    free(k->done);
    k->done = NULL;
}
