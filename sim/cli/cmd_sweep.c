/* flyt sweep: run a base scenario at many parameter points, on threads,
 * as one shard of a Slurm job array, or over Open MPI ranks. The sweep
 * file and every point are checked before any work starts; finished tasks
 * go to a journal as they finish, so --resume loses at most the tasks in
 * flight. */
#include "cli/cli.h"
#include "flyt/outfile.h"
#include "flyt/sweep.h"

#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt sweep SWEEP.cfg [options]\n"
          "\n"
          "Runs the base scenario a sweep file names at every point of its design\n"
          "(grid, list, sobol, lhs), each with the sweep's replications (common random\n"
          "numbers: replication r sees the same patients at every point), and writes one\n"
          "HDF5 file: the points, every task's key figures, and per point the mean and\n"
          "95% CI. See docs/sweeps.md.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE   HDF5 output (default flyt-sweep.h5; with a shard,\n"
          "                      NAME.shard-I-of-N.h5, in FILE when FILE is a folder)\n"
          "  -t, --threads N     worker threads (default: one per CPU)\n"
          "      --shard I/N     run only shard I of N (tasks t with t mod N = I), into a\n"
          "                      shard file for flyt merge; default from SLURM_ARRAY_TASK_ID,\n"
          "                      SLURM_ARRAY_TASK_COUNT and SLURM_ARRAY_TASK_MIN when set\n"
          "      --no-slurm      ignore the SLURM_ARRAY_* variables\n"
          "      --resume        go on from FILE.journal, the tasks an interrupted run\n"
          "                      finished (safe when there is none)\n"
          "      --series        also keep every task's daily series (large)\n"
          "      --dry-run       print the points and the task count, run nothing\n"
          "      --progress, --no-progress\n"
          "                      the progress line on stderr (default: when a terminal)\n"
          "  -h, --help          this help\n"
          "\n"
          "Under mpirun (a build with -DFLYT_MPI=ON), rank 0 hands out tasks to all ranks\n"
          "and writes one complete file.\n"
          "\n"
          "Exit status: 0 ok, 1 a task stopped early or output failed, 2 bad input.\n",
          out);
}

struct sweep_opts {
    const char *file;
    struct flyt_cli_opts c; /* -o, -t, --progress */
    unsigned shard_index, shard_count;
    bool have_shard, no_slurm, resume, series, dry_run;
    int rank, size; /* MPI; 0 and 1 without */
};

#define SWEEP_OPTS (FLYT_OPT_OUTPUT | FLYT_OPT_THREADS | FLYT_OPT_PROGRESS)

/* Returns -1 to go on, or an exit status. */
static int parse(int argc, char **argv, struct sweep_opts *o)
{
    enum { OPT_SHARD = FLYT_OPTV_CMD, OPT_NO_SLURM, OPT_RESUME, OPT_SERIES, OPT_DRY_RUN };
    static const struct option own[] = {
        { "shard", required_argument, NULL, OPT_SHARD },
        { "no-slurm", no_argument, NULL, OPT_NO_SLURM },
        { "resume", no_argument, NULL, OPT_RESUME },
        { "series", no_argument, NULL, OPT_SERIES },
        { "dry-run", no_argument, NULL, OPT_DRY_RUN },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "sweep", argc, argv, SWEEP_OPTS, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        const char *v = p.arg;
        int rc = flyt_cli_args_take(&p, SWEEP_OPTS, c, &o->c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        if (c == OPT_SHARD) {
            if (!flyt_sweep_parse_shard(v, &o->shard_index, &o->shard_count)) {
                fprintf(stderr, "flyt sweep: error: --shard wants I/N with 0 <= I < N, got '%s'\n",
                        v);
                return EXIT_BAD_INPUT;
            }
            o->have_shard = true;
        } else if (c == OPT_NO_SLURM) {
            o->no_slurm = true;
        } else if (c == OPT_RESUME) {
            o->resume = true;
        } else if (c == OPT_SERIES) {
            o->series = true;
        } else if (c == OPT_DRY_RUN) {
            o->dry_run = true;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!o->file) {
            o->file = v;
        } else {
            fprintf(stderr, "flyt sweep: error: one sweep file at a time, got '%s' and '%s'\n",
                    o->file, v);
            return EXIT_BAD_INPUT;
        }
    }
    if (!o->file) {
        fputs("flyt sweep: error: name a sweep file (see flyt sweep --help)\n", stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

/* An MPI run is one job that writes one complete file: shards make no
 * sense there, and a job array's variables would be a mistake. */
static int pick_shard(struct sweep_opts *o)
{
    if (o->have_shard || o->no_slurm || o->size > 1) {
        if (o->have_shard && o->size > 1) {
            if (o->rank == 0)
                fputs("flyt sweep: error: --shard and mpirun do not mix: MPI ranks share the tasks "
                      "of one file\n",
                      stderr);
            return EXIT_BAD_INPUT;
        }
        return -1;
    }
    char err[256];
    int rc = flyt_sweep_shard_from_env(&o->shard_index, &o->shard_count, err, sizeof err);
    if (rc < 0) {
        fprintf(stderr, "flyt sweep: error: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    o->have_shard = rc > 0;
    return -1;
}

static void print_points(const struct flyt_sweep *sw, size_t limit)
{
    printf("%-7s", "point");
    for (size_t j = 0; j < sw->n_params; j++)
        printf("  %s", sw->params[j].key);
    putchar('\n');
    for (size_t p = 0; p < sw->n_points && p < limit; p++) {
        printf("%-7zu", p);
        for (size_t j = 0; j < sw->n_params; j++)
            printf("  %*s", (int)strlen(sw->params[j].key), sw->value_text[p * sw->n_params + j]);
        putchar('\n');
    }
    if (sw->n_points > limit)
        printf("... %zu more points\n", sw->n_points - limit);
}

static size_t shard_tasks(const struct flyt_sweep *sw, const struct sweep_opts *o)
{
    size_t n = 0, all = flyt_sweep_n_tasks(sw);
    for (size_t t = 0; t < all; t++)
        n += flyt_sweep_in_shard(t, o->shard_index, o->have_shard ? o->shard_count : 1);
    return n;
}

static void dry_run(const struct flyt_sweep *sw, const struct sweep_opts *o)
{
    char hash[17];
    flyt_sweep_hash_hex(sw->hash, hash);
    printf("sweep '%s' (%s design): base %s, seed %llu, hash %s\n", sw->name,
           flyt_sweep_design_name(sw->design), sw->base_path, (unsigned long long)sw->seed, hash);
    for (size_t i = 0; i < sw->n_fixed; i++)
        printf("fixed: %s\n", sw->fixed[i]);
    print_points(sw, (size_t)-1);
    printf("%zu points x %u replications = %zu tasks\n", sw->n_points, sw->replications,
           flyt_sweep_n_tasks(sw));
    if (o->have_shard)
        printf("shard %u/%u: %zu tasks\n", o->shard_index, o->shard_count, shard_tasks(sw, o));
}

/* NAME.shard-I-of-N.h5, inside out when it is a folder. */
static char *output_path(const struct flyt_sweep *sw, const struct sweep_opts *o)
{
    struct stat st;
    bool dir = o->c.output && stat(o->c.output, &st) == 0 && S_ISDIR(st.st_mode);
    if (o->c.output && !dir)
        return strdup(o->c.output);
    char name[512];
    if (o->have_shard)
        snprintf(name, sizeof name, "%s.shard-%u-of-%u.h5", sw->name, o->shard_index,
                 o->shard_count);
    else
        snprintf(name, sizeof name, "flyt-sweep.h5");
    size_t len = (dir ? strlen(o->c.output) + 1 : 0) + strlen(name) + 1;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s%s%s", dir ? o->c.output : "", dir ? "/" : "", name);
    return p;
}

struct live {
    struct flyt_journal *journal;
    int journal_failed;
    size_t done, total;
    bool progress;
    double t0, last;
};

static void on_task(size_t task, const struct flyt_result *r, void *ctx)
{
    struct live *lv = ctx;
    if (lv->journal && !lv->journal_failed && flyt_journal_append(lv->journal, task, r) != 0)
        lv->journal_failed = 1;
    lv->done++;
    double t = flyt_cli_seconds();
    if (lv->progress && t - lv->t0 > 1.0 && (t - lv->last > 0.2 || lv->done == lv->total)) {
        lv->last = t;
        fprintf(stderr, "\rsweep: task %zu/%zu (%3.0f%%), %.1f s   ", lv->done, lv->total,
                100.0 * (double)lv->done / (double)(lv->total ? lv->total : 1), t - lv->t0);
    }
}

#define MAX_UNIT_COLUMNS 8

/* One unit KPI per point for the units where it means something (finite
 * at some point: a hospital has no utilisation, a caseload no bed wait),
 * so that the network's bottleneck shows beside the UKP figures. */
static void print_unit_kpi(const struct flyt_sweep *sw, const struct flyt_summary *sum, int k,
                           size_t limit)
{
    unsigned col[MAX_UNIT_COLUMNS], n_col = 0, more = 0;
    for (unsigned u = 0; u < sw->n_units; u++) {
        bool finite = false;
        for (size_t p = 0; p < sw->n_points && !finite; p++)
            finite = sum[p].unit && u < sum[p].n_units &&
                     isfinite(flyt_summary_unit(&sum[p], u)[k].mean);
        if (finite && n_col < MAX_UNIT_COLUMNS)
            col[n_col++] = u;
        else if (finite)
            more++;
    }
    if (n_col == 0)
        return;
    printf("\nunits.<id>.%s (%s)\n%-7s", flyt_unit_kpi_defs[k].name, flyt_unit_kpi_defs[k].units,
           "point");
    for (unsigned i = 0; i < n_col; i++)
        printf("  %-*s", i + 1 < n_col || more ? 20 : 0, sw->unit_ids[col[i]]);
    if (more)
        printf("  (%u more units in /units/<id>/summary)", more);
    putchar('\n');
    for (size_t p = 0; p < sw->n_points && p < limit; p++) {
        printf("%-7zu", p);
        for (unsigned i = 0; i < n_col; i++) {
            char cell[64] = "-";
            if (sum[p].unit && col[i] < sum[p].n_units) {
                const struct flyt_stat *st = &flyt_summary_unit(&sum[p], col[i])[k];
                snprintf(cell, sizeof cell, "%.4g [%.4g, %.4g]", st->mean, st->ci_low, st->ci_high);
            }
            printf("  %-*s", i + 1 < n_col ? 20 : 0, cell);
        }
        putchar('\n');
    }
}

/* A few key figures per point with their intervals. */
static void print_summary(const struct flyt_sweep *sw, const struct flyt_result *res)
{
    static const int k[] = { FLYT_KPI_ukp_wait_mean, FLYT_KPI_ukp_days_per_year, FLYT_KPI_occ_ukp };
    struct flyt_summary *sum = calloc(sw->n_points, sizeof *sum);
    if (!sum)
        return;
    flyt_sweep_summarise(sw, res, sum);
    size_t limit = 40;
    printf("%-7s", "point");
    for (int i = 0; i < 3; i++)
        printf("  %-26s", flyt_kpi_defs[k[i]].name);
    printf("  overrides\n");
    for (size_t p = 0; p < sw->n_points && p < limit; p++) {
        printf("%-7zu", p);
        for (int i = 0; i < 3; i++) {
            char cell[64];
            snprintf(cell, sizeof cell, "%.4g [%.4g, %.4g]", sum[p].mean[k[i]], sum[p].ci_low[k[i]],
                     sum[p].ci_high[k[i]]);
            printf("  %-26s", cell);
        }
        for (size_t j = 0; j < sw->n_params; j++)
            printf(" %s=%s", sw->params[j].key, sw->value_text[p * sw->n_params + j]);
        putchar('\n');
    }
    if (sw->n_points > limit)
        printf("... %zu more points in the HDF5 file (/summary)\n", sw->n_points - limit);
    print_unit_kpi(sw, sum, FLYT_UNIT_KPI_utilisation, limit);
    print_unit_kpi(sw, sum, FLYT_UNIT_KPI_wait_mean, limit);
    for (size_t p = 0; p < sw->n_points; p++)
        flyt_summary_free(&sum[p]);
    free(sum);
}

/* With --resume, an output that already holds this shard's tasks of this
 * sweep means a previous run finished: nothing to do. */
static bool already_done(const char *out, const struct flyt_sweep *sw, const struct sweep_opts *o)
{
    struct flyt_sweep_file f = { 0 };
    char err[512];
    bool done = false;
    if (access(out, F_OK) != 0)
        return false;
    if (flyt_h5_sweep_read_info(out, &f, err, sizeof err) != 0)
        /* a damaged output is never taken for a finished one */
        fprintf(stderr, "flyt sweep: %s: not trusted; its tasks run again and it is rewritten\n",
                err);
    else
        done = f.hash == sw->hash && f.series == o->series &&
               strcmp(f.kind, o->have_shard ? "sweep-shard" : "sweep") == 0 &&
               (!o->have_shard ||
                (f.shard_index == o->shard_index && f.shard_count == o->shard_count)) &&
               f.n_have == shard_tasks(sw, o);
    flyt_h5_sweep_file_free(&f);
    return done;
}

#define JOURNAL_PATH_LEN 4200

struct job {
    const struct sweep_opts *o;
    const struct flyt_sweep *sw;
    struct flyt_scenario **scen;
    char *out;
    char *journal_path; /* JOURNAL_PATH_LEN bytes, outside the job (see execute) */
    struct flyt_result *res;
    bool *want, *done;
    size_t n, n_loaded;
    struct live lv;
};

static int prepare(struct job *j)
{
    const struct sweep_opts *o = j->o;
    unsigned count = o->have_shard ? o->shard_count : 1;
    j->n = flyt_sweep_n_tasks(j->sw);
    j->res = calloc(j->n ? j->n : 1, sizeof *j->res);
    j->want = calloc(j->n ? j->n : 1, sizeof *j->want);
    j->done = calloc(j->n ? j->n : 1, sizeof *j->done);
    if (!j->res || !j->want || !j->done) {
        /* the limit a large sweep meets first: say which, and its size */
        fprintf(stderr,
                "flyt sweep: error: out of memory for the results of %zu tasks (%zu points x %u "
                "replications, %.1f GB); use fewer points or replications\n",
                j->n, j->sw->n_points, j->sw->replications,
                (double)j->n * (double)(sizeof *j->res + 2 * sizeof(bool)) / 1e9);
        return EXIT_FAIL;
    }
    for (size_t t = 0; t < j->n; t++) {
        j->want[t] = flyt_sweep_in_shard(t, o->shard_index, count);
        j->done[t] = !j->want[t]; /* other shards' tasks are not ours to run */
    }
    char err[1024];
    snprintf(j->journal_path, JOURNAL_PATH_LEN, "%s.journal", j->out);
    j->lv.journal = flyt_journal_open(j->journal_path, j->sw->hash, j->n, o->series, j->sw->n_units,
                                      o->resume, j->res, j->done, &j->n_loaded, err, sizeof err);
    if (!j->lv.journal) {
        fprintf(stderr, "flyt sweep: error: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (err[0])
        fprintf(stderr, "flyt sweep: warning: %s\n", err);
    j->lv.total = shard_tasks(j->sw, o);
    j->lv.done = j->n_loaded;
    if (j->n_loaded)
        fprintf(stderr, "flyt sweep: resuming: %zu of %zu tasks already done (%s)\n", j->n_loaded,
                j->lv.total, j->journal_path);
    j->lv.progress = o->c.progress > 0 || (o->c.progress < 0 && isatty(STDERR_FILENO));
    j->lv.t0 = flyt_cli_seconds();
    return -1;
}

static int finish(struct job *j, double wall)
{
    const struct sweep_opts *o = j->o;
    if (j->lv.progress && wall > 1.0)
        fputc('\n', stderr);
    if (j->lv.journal_failed) {
        fprintf(stderr, "flyt sweep: error: cannot append to '%s'\n", j->journal_path);
        return EXIT_FAIL;
    }
    int status = EXIT_OK;
    /* The first stopped task of each kind (runaway, out of memory, gridlock),
     * with a count of the others: thousands of tasks stopped the same way
     * are one line each kind, not thousands. */
    size_t first[4] = { SIZE_MAX, SIZE_MAX, SIZE_MAX, SIZE_MAX }, count[4] = { 0, 0, 0, 0 };
    for (size_t t = 0; t < j->n; t++)
        if (j->want[t] && j->res[t].status != FLYT_RUN_OK) {
            int k = j->res[t].status == FLYT_RUN_RUNAWAY    ? 1
                    : j->res[t].status == FLYT_RUN_NOMEM    ? 2
                    : j->res[t].status == FLYT_RUN_GRIDLOCK ? 3
                                                            : 0;
            if (count[k]++ == 0)
                first[k] = t;
            status = EXIT_FAIL;
        }
    for (int k = 0; k < 4; k++)
        if (count[k] > 0) {
            size_t t = first[k];
            fprintf(stderr,
                    "flyt sweep: warning: task %zu (point %zu, replication %zu) stopped "
                    "early: %s",
                    t, t / j->sw->replications, t % j->sw->replications, j->res[t].status_detail);
            if (count[k] > 1)
                fprintf(stderr, " (and %zu more tasks stopped the same way)", count[k] - 1);
            fputc('\n', stderr);
        }
    struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(),
                                  o->c.threads ? o->c.threads : 0, wall };
    char err[1024];
    if (flyt_h5_write_sweep(j->out, j->sw, j->res, j->want, o->shard_index,
                            o->have_shard ? o->shard_count : 0, o->series, &meta, err,
                            sizeof err) != 0) {
        fprintf(stderr, "flyt sweep: error: %s\n", err);
        return EXIT_FAIL; /* the journal stays: --resume writes the file again */
    }
    flyt_journal_close(j->lv.journal, true);
    j->lv.journal = NULL;
    if (!o->have_shard)
        print_summary(j->sw, j->res);
    size_t ran = j->lv.done - j->n_loaded;
    fprintf(stderr, "flyt sweep: %zu tasks (%zu run now) in %.2f s (%.1f tasks/s); wrote %s\n",
            j->lv.total, ran, wall, wall > 0 ? (double)ran / wall : 0.0, j->out);
    return status;
}

static void job_free(struct job *j)
{
    flyt_journal_close(j->lv.journal, false);
    for (size_t t = 0; j->res && t < j->n; t++)
        flyt_result_free(&j->res[t]);
    free(j->res);
    free(j->want);
    free(j->done);
    free(j->out);
}

static int run_tasks(struct job *j)
{
#ifdef FLYT_MPI
    if (j->o->size > 1)
        return flyt_mpi_run_tasks(j->sw, j->scen, j->done, j->res, j->o->series, on_task, &j->lv);
#endif
    return flyt_sweep_run_tasks(j->sw, j->scen, j->want, j->done, j->res, j->o->c.threads,
                                j->o->series, on_task, &j->lv);
}

/* Rank 0 (or the only process) decides; with MPI the other ranks follow
 * its decision, so nobody waits for a partner that has given up. */
static int execute(const struct sweep_opts *o, const struct flyt_sweep *sw,
                   struct flyt_scenario **scen)
{
    /* outside the job: writing it with snprintf must not touch j.out */
    char journal_path[JOURNAL_PATH_LEN] = { 0 };
    struct job j = { .o = o, .sw = sw, .scen = scen, .journal_path = journal_path };
    int rc = -1;
    if (o->rank == 0) {
        j.out = output_path(sw, o);
        const char *inputs[] = { o->file };
        if (!j.out || !flyt_cli_output_dir_ok("sweep", j.out, "folder"))
            rc = EXIT_FAIL;
        else
            rc = flyt_cli_claim_output("sweep", j.out, FLYT_OUT_HDF5, inputs, 1);
        if (rc >= 0)
            ; /* refused: the message is out */
        else if (o->resume && already_done(j.out, sw, o)) {
            fprintf(stderr, "flyt sweep: '%s' already holds every task: nothing to do\n", j.out);
            snprintf(j.journal_path, JOURNAL_PATH_LEN, "%s.journal", j.out);
            unlink(j.journal_path); /* left by a run killed after writing the file */
            rc = EXIT_OK;
        } else {
            rc = prepare(&j);
        }
    }
#ifdef FLYT_MPI
    if (o->size > 1)
        rc = flyt_mpi_bcast_int(rc);
#endif
    if (rc >= 0) {
        job_free(&j);
        return rc;
    }
    if (o->size <= 1)
        flyt_cli_signals_install(); /* mpirun's ranks keep the default: the journal covers */
    double t0 = flyt_cli_seconds();
    int run = run_tasks(&j);
    double wall = flyt_cli_seconds() - t0;
    int sig = o->size <= 1 ? flyt_cli_signal_caught() : 0;
    if (sig && o->rank == 0) {
        if (j.lv.progress)
            fputc('\n', stderr);
        fprintf(stderr,
                "flyt sweep: stopped by %s after %zu of %zu tasks; no output written: the "
                "finished tasks are in '%s', rerun the same command with --resume\n",
                sig == SIGINT ? "SIGINT" : "SIGTERM", j.lv.done, j.lv.total, j.journal_path);
        job_free(&j);
        return 128 + sig;
    }
    if (o->rank == 0)
        rc = run != 0 ? (fputs("flyt sweep: error: out of memory or a thread failed\n", stderr),
                         EXIT_FAIL)
                      : finish(&j, wall);
    else
        rc = run != 0 ? EXIT_FAIL : EXIT_OK;
    job_free(&j);
    return rc;
}

static int sweep_main(struct sweep_opts *o)
{
    int rc = pick_shard(o);
    if (rc >= 0)
        return rc;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario **scen = NULL;
    /* Only MPI ranks keep every point loaded (any rank may get any task);
     * threads load a point when its first task starts. */
    struct flyt_sweep *sw =
            flyt_sweep_load(o->file, o->dry_run || o->size <= 1 ? NULL : &scen, &diag);
    if (!sw) {
        if (o->rank == 0)
            fputs(diag.text ? diag.text : "flyt sweep: error: cannot load the sweep\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    if (o->rank == 0 && diag.warnings)
        fputs(diag.warnings, stderr);
    flyt_diag_free(&diag);
    if (o->dry_run) {
        if (o->rank == 0)
            dry_run(sw, o);
        rc = EXIT_OK;
    } else {
        rc = execute(o, sw, scen);
    }
    flyt_sweep_free_scenarios(scen, sw->n_points);
    flyt_sweep_free(sw);
    return rc;
}

int flyt_cmd_sweep(int argc, char **argv)
{
    struct sweep_opts o = { .c = { .progress = -1 }, .size = 1 };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
#ifdef FLYT_MPI
    bool mpi = flyt_mpi_launched();
    if (mpi && flyt_mpi_init(&o.rank, &o.size) != 0) {
        fputs("flyt sweep: error: MPI_Init failed\n", stderr);
        return EXIT_FAIL;
    }
    if (o.rank != 0)
        o.c.progress = 0;
    rc = sweep_main(&o);
    if (mpi)
        flyt_mpi_finalize();
    return rc;
#else
    return sweep_main(&o);
#endif
}
