/* flyt run: load, validate, run the replications, print the summary and
 * write the HDF5 file. A bad scenario stops before anything is written. */
#include "cli/cli.h"
#include "flyt/experiment.h"
#include "flyt/output.h"
#include "flyt/scenario.h"

#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt run [SCENARIO] [options]\n"
          "\n"
          "Runs SCENARIO (a libconfig file; default: the embedded Trondheim baseline),\n"
          "prints the key figures with 95% confidence intervals across replications and\n"
          "writes every replication's figures and daily series to an HDF5 file.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE     HDF5 output (default flyt-out.h5); written to\n"
          "                        FILE.partial and renamed when complete\n"
          "  -r, --replications N  number of replications (overrides run.replications)\n"
          "      --seed S          random seed (overrides run.seed)\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N\n"
          "      --set KEY=VALUE   override a scalar, e.g. --set units.short_term.beds=140\n"
          "                        (repeatable; validated like the file)\n"
          "      --format FMT      table (default) or json, on stdout\n"
          "      --progress        always show the progress line (default: when stderr\n"
          "                        is a terminal)\n"
          "      --no-progress     never show it\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 ok, 1 a replication stopped early or output failed, 2 bad input.\n",
          out);
}

struct run_opts {
    const char *scenario;
    const char *output;
    const char *sets[CLI_MAX_SETS + 2];
    int n_sets;
    unsigned threads;
    bool json;
    int progress;
    char rep_set[64], seed_set[64];
};

static int need_arg(int argc, char **argv, int i)
{
    if (i + 1 >= argc) {
        fprintf(stderr, "flyt run: error: %s needs a value (see flyt run --help)\n", argv[i]);
        return 0;
    }
    return 1;
}

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct run_opts *o)
{
    unsigned long long v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) {
            if (!need_arg(argc, argv, i))
                return EXIT_BAD_INPUT;
            o->output = argv[++i];
        } else if (strcmp(a, "-r") == 0 || strcmp(a, "--replications") == 0) {
            if (!need_arg(argc, argv, i) || !flyt_cli_parse_uint(a, argv[++i], 1, 1000000, &v))
                return EXIT_BAD_INPUT;
            snprintf(o->rep_set, sizeof o->rep_set, "run.replications=%llu", v);
            o->sets[o->n_sets++] = o->rep_set;
        } else if (strcmp(a, "--seed") == 0) {
            if (!need_arg(argc, argv, i) ||
                !flyt_cli_parse_uint(a, argv[++i], 0, 9223372036854775807ULL, &v))
                return EXIT_BAD_INPUT;
            snprintf(o->seed_set, sizeof o->seed_set, "run.seed=%llu", v);
            o->sets[o->n_sets++] = o->seed_set;
        } else if (strcmp(a, "-t") == 0 || strcmp(a, "--threads") == 0) {
            if (!need_arg(argc, argv, i) || !flyt_cli_parse_uint(a, argv[++i], 1, 1024, &v))
                return EXIT_BAD_INPUT;
            o->threads = (unsigned)v;
        } else if (strcmp(a, "--set") == 0) {
            if (!need_arg(argc, argv, i))
                return EXIT_BAD_INPUT;
            if (o->n_sets >= CLI_MAX_SETS) {
                fprintf(stderr, "flyt run: error: at most %d --set options\n", CLI_MAX_SETS);
                return EXIT_BAD_INPUT;
            }
            o->sets[o->n_sets++] = argv[++i];
        } else if (strcmp(a, "--format") == 0) {
            if (!need_arg(argc, argv, i))
                return EXIT_BAD_INPUT;
            const char *f = argv[++i];
            if (strcmp(f, "json") != 0 && strcmp(f, "table") != 0) {
                fprintf(stderr, "flyt run: error: --format is table or json, got '%s'\n", f);
                return EXIT_BAD_INPUT;
            }
            o->json = strcmp(f, "json") == 0;
        } else if (strcmp(a, "--progress") == 0) {
            o->progress = 1;
        } else if (strcmp(a, "--no-progress") == 0) {
            o->progress = 0;
        } else if (a[0] == '-' && a[1] != '\0') {
            fprintf(stderr, "flyt run: error: unknown option '%s' (see flyt run --help)\n", a);
            return EXIT_BAD_INPUT;
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            fprintf(stderr, "flyt run: error: one scenario at a time, got '%s' and '%s'\n",
                    o->scenario, a);
            return EXIT_BAD_INPUT;
        }
    }
    return -1;
}

static int report_stopped(const struct flyt_result *res, unsigned n)
{
    for (unsigned r = 0; r < n; r++)
        if (res[r].status != FLYT_RUN_OK)
            fprintf(stderr, "flyt run: error: replication %u stopped early: %s\n", r,
                    res[r].status_detail);
    fputs("flyt run: no output written: a partial run is not a result\n", stderr);
    return EXIT_FAIL;
}

/* A long run should not end in "cannot write": check the target directory
 * before simulating. */
static bool output_dir_writable(const char *path)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    if (access(dir, W_OK | X_OK) == 0)
        return true;
    fprintf(stderr,
            "flyt run: error: cannot write '%s': directory '%s' is missing or not writable\n", path,
            dir);
    return false;
}

static int execute(const struct run_opts *o, const struct flyt_scenario *s)
{
    if (!output_dir_writable(o->output ? o->output : "flyt-out.h5"))
        return EXIT_FAIL;
    unsigned n = s->replications;
    struct flyt_result *res = calloc(n, sizeof *res);
    if (!res) {
        fputs("flyt run: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    struct flyt_progress prog;
    flyt_progress_init(&prog, o->progress, s->name);
    double t0 = flyt_cli_seconds();
    int rc = flyt_experiment_run(s, n, o->threads, res, flyt_progress_update, &prog);
    double wall = flyt_cli_seconds() - t0;
    flyt_progress_done(&prog);
    int status = EXIT_OK;
    if (rc != 0) {
        status = report_stopped(res, n);
    } else {
        struct flyt_summary sum;
        flyt_summary_compute(&sum, res, n);
        struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(),
                                      o->threads ? o->threads : flyt_experiment_default_threads(),
                                      wall };
        char err[512];
        const char *out = o->output ? o->output : "flyt-out.h5";
        if (flyt_h5_write_run(out, s, res, n, &sum, &meta, err, sizeof err) != 0) {
            fprintf(stderr, "flyt run: error: %s\n", err);
            status = EXIT_FAIL;
        }
        if (o->json)
            flyt_summary_print_json(stdout, s, &sum, n);
        else
            flyt_summary_print_table(stdout, s, &sum, n);
        if (status == EXIT_OK)
            fprintf(stderr, "flyt run: %u replications in %.2f s; wrote %s\n", n, wall, out);
    }
    for (unsigned r = 0; r < n; r++)
        flyt_result_free(&res[r]);
    free(res);
    return status;
}

int flyt_cmd_run(int argc, char **argv)
{
    struct run_opts o = { .progress = -1 };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(o.scenario, o.sets, o.n_sets, &diag);
    if (!s) {
        fputs(diag.text ? diag.text : "flyt run: error: cannot load the scenario\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    rc = execute(&o, s);
    flyt_scenario_free(s);
    return rc;
}
