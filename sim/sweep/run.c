/*
 * Running a sweep's tasks on threads, splitting them into shards, and
 * summarising each point. The tasks go through the one task runner
 * (flyt/tasks.h): a task's result lands in res[task] whoever ran it, and
 * a stop (SIGINT/SIGTERM) lets no new task start.
 */
#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/sweep.h"
#include "flyt/tasks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct pool {
    const struct flyt_sweep *sw;
    struct flyt_scenario *const *scen; /* every point's, or NULL: loaded here */
    struct flyt_scenario **own;        /* [point], while its tasks run */
    size_t *left;                      /* [point]: its tasks still to finish */
    const bool *want;
    bool *done;
    struct flyt_result *res;
    bool keep_series;
    flyt_sweep_task_fn on_done;
    void *ctx;
};

/* What a task returns besides 0 (stored) and -1 (an error): cut short by a
 * signal, so neither stored nor journalled: --resume runs it again. */
enum { CUT_SHORT = 1 };

static void drop_series(struct flyt_result *r)
{
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        free(r->series[k]);
        r->series[k] = NULL;
    }
    r->n_days = 0;
}

static bool wanted(const struct pool *pl, size_t t)
{
    return (pl->want ? pl->want[t] : true) && !pl->done[t];
}

/* The point's scenario is loaded by its first task's claim (serialised by
 * the runner: one load at a time, and the loader needs no thread safety of
 * its own); NULL makes that task fail. */
static bool claim(void *ctx, size_t t)
{
    struct pool *pl = ctx;
    if (!wanted(pl, t))
        return false;
    size_t p = t / pl->sw->replications;
    if (pl->own && !pl->own[p]) {
        struct flyt_diag d;
        flyt_diag_init(&d);
        pl->own[p] = flyt_sweep_load_point(pl->sw, p, &d);
        flyt_diag_free(&d); /* every point loaded once already, at the start */
        if (pl->own[p])
            pl->own[p]->series_off = !pl->keep_series;
    }
    return true;
}

/* own[p] is only written by claims before this task's and freed after its
 * last task: reading it here needs no lock. */
static int task(void *ctx, size_t t)
{
    struct pool *pl = ctx;
    unsigned reps = pl->sw->replications;
    size_t p = t / reps;
    struct flyt_scenario *s = pl->scen ? pl->scen[p] : pl->own[p];
    if (!s)
        return -1;
    struct flyt_result r;
    memset(&r, 0, sizeof r);
    /* the replication number is the stream key: equal across points */
    int rc = flyt_model_run(s, (unsigned)(t % reps), &r);
    r.replication = (unsigned)(t % reps);
    r.wall_seconds = 0; /* timings are not results */
    if (!pl->keep_series)
        drop_series(&r);
    if (rc < 0 || r.status == FLYT_RUN_STOPPED) {
        flyt_result_free(&r);
        return rc < 0 ? -1 : CUT_SHORT;
    }
    flyt_result_free(&pl->res[t]);
    pl->res[t] = r;
    return 0; /* a task stopped by a guard (runaway, gridlock) is a result like any other */
}

/* A point's scenario goes with its last task. */
static void task_done(void *ctx, size_t t, int rc)
{
    struct pool *pl = ctx;
    size_t p = t / pl->sw->replications;
    if (rc == 0) {
        pl->done[t] = true;
        if (pl->on_done)
            pl->on_done(t, &pl->res[t], pl->ctx);
    }
    if (pl->own && --pl->left[p] == 0) {
        flyt_scenario_free(pl->own[p]);
        pl->own[p] = NULL;
    }
}

int flyt_sweep_run_tasks(const struct flyt_sweep *sw, struct flyt_scenario *const *scenarios,
                         const bool *want, bool *done, struct flyt_result *res, unsigned threads,
                         bool keep_series, flyt_sweep_task_fn on_done, void *ctx)
{
    struct pool pl = { .sw = sw,
                       .scen = scenarios,
                       .want = want,
                       .done = done,
                       .res = res,
                       .keep_series = keep_series,
                       .on_done = on_done,
                       .ctx = ctx };
    size_t n_tasks = flyt_sweep_n_tasks(sw);
    /* Without --series a task's daily series would only be dropped: the
     * model then never allocates them (memory no longer grows with the
     * horizon). The point scenarios are the sweep's own copies. */
    for (size_t p = 0; scenarios && p < sw->n_points; p++)
        scenarios[p]->series_off = !keep_series;
    if (!scenarios) {
        pl.own = calloc(sw->n_points, sizeof *pl.own);
        pl.left = calloc(sw->n_points, sizeof *pl.left);
        if (!pl.own || !pl.left) {
            free(pl.own);
            free(pl.left);
            return -1;
        }
        for (size_t t = 0; t < n_tasks; t++)
            pl.left[t / sw->replications] += wanted(&pl, t);
    }
    struct flyt_tasks job = {
        .n = n_tasks, .threads = threads, .run = task, .claim = claim, .done = task_done, .ctx = &pl
    };
    int rc = flyt_tasks_run(&job, NULL);
    /* points whose tasks a stop or an error left unfinished */
    flyt_sweep_free_scenarios(pl.own, pl.own ? sw->n_points : 0);
    free(pl.left);
    return rc < 0 ? -1 : 0;
}

void flyt_sweep_summarise(const struct flyt_sweep *sw, const struct flyt_result *res,
                          struct flyt_summary *sum)
{
    for (size_t p = 0; p < sw->n_points; p++)
        flyt_summary_compute(&sum[p], res + p * sw->replications, sw->replications);
}

bool flyt_sweep_parse_shard(const char *text, unsigned *index, unsigned *count)
{
    char *end;
    errno = 0;
    if (!text || *text < '0' || *text > '9')
        return false;
    unsigned long i = strtoul(text, &end, 10);
    if (errno || *end != '/' || end[1] < '0' || end[1] > '9')
        return false;
    unsigned long n = strtoul(end + 1, &end, 10);
    if (errno || *end || n < 1 || n > 1000000 || i >= n)
        return false;
    *index = (unsigned)i;
    *count = (unsigned)n;
    return true;
}

static bool env_number(const char *name, long *out)
{
    const char *v = getenv(name);
    char *end;
    if (!v || !*v)
        return false;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || *end)
        return false;
    *out = x;
    return true;
}

/* 1 when name holds a whole number, 0 when it is unset, -1 with a message
 * naming the variable when it is set but empty or not a number. */
static int env_whole(const char *name, long *out, char *err, size_t errlen)
{
    if (!getenv(name))
        return 0;
    if (env_number(name, out))
        return 1;
    snprintf(err, errlen, "%s='%.32s' is not a whole number; give --shard I/N, or --no-slurm", name,
             getenv(name));
    return -1;
}

int flyt_sweep_shard_from_env(unsigned *index, unsigned *count, char *err, size_t errlen)
{
    long id, n, min = 0;
    int has_id = env_whole("SLURM_ARRAY_TASK_ID", &id, err, errlen);
    int has_n = has_id < 0 ? -1 : env_whole("SLURM_ARRAY_TASK_COUNT", &n, err, errlen);
    int has_min = has_n < 0 ? -1 : env_whole("SLURM_ARRAY_TASK_MIN", &min, err, errlen);
    if (has_min < 0)
        return -1;
    if (!has_id && !has_n && !has_min)
        return 0;
    /* sbatch --array sets all three; a partial set is a hand-made
     * environment, and guessing the rest could run the wrong shard */
    if (!has_id || !has_n) {
        snprintf(err, errlen,
                 "%s is set but %s is missing (sbatch --array sets SLURM_ARRAY_TASK_ID, _COUNT "
                 "and _MIN); give --shard I/N, or --no-slurm to ignore the SLURM_ARRAY_* "
                 "variables",
                 has_id  ? "SLURM_ARRAY_TASK_ID"
                 : has_n ? "SLURM_ARRAY_TASK_COUNT"
                         : "SLURM_ARRAY_TASK_MIN",
                 !has_id ? "SLURM_ARRAY_TASK_ID" : "SLURM_ARRAY_TASK_COUNT");
        return -1;
    }
    /* an array such as --array=1-8 counts from its minimum; a sparse one
     * (--array=0,4,9) cannot be mapped onto shards */
    if (n < 1 || id - min < 0 || id - min >= n) {
        snprintf(err, errlen,
                 "SLURM_ARRAY_TASK_ID=%ld does not fit SLURM_ARRAY_TASK_MIN=%ld and "
                 "SLURM_ARRAY_TASK_COUNT=%ld (use a contiguous --array=0-%ld, or --shard I/N)",
                 id, min, n, n - 1);
        return -1;
    }
    *index = (unsigned)(id - min);
    *count = (unsigned)n;
    return 1;
}
