/* flyt run: load, validate, run the replications, print the summary and
 * write the HDF5 file. A bad scenario stops before anything is written. */
#include "cli/cli.h"
#include "cli/resume.h"
#include "flyt/experiment.h"
#include "flyt/log.h"
#include "flyt/outfile.h"
#include "flyt/output.h"
#include "flyt/scenario.h"
#include "flyt/series.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
          "                        FILE.partial.XXXXXX and renamed when complete\n"
          "  -r, --replications N  number of replications (overrides run.replications)\n"
          "      --seed S          random seed (overrides run.seed)\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N\n"
          "      --set KEY=VALUE   override a scalar, e.g. --set units.short_term.capacity=140\n"
          "                        (repeatable; validated like the file)\n"
          "      --format FMT      table (default) or json, on stdout\n"
          "      --progress        always show the progress line (default: when stderr\n"
          "                        is a terminal)\n"
          "      --no-progress     never show it\n"
          "      --patients        also log every patient episode (/patients: attributes\n"
          "                        and the time of every move; docs/hdf5-layout.md)\n"
          "      --events          also log every patient event (/events)\n"
          "      --series MODE     daily series in the file: whole (every replication,\n"
          "                        [replication x day]), reduced (per day across\n"
          "                        replications: mean, sd, min, max, n; memory does not\n"
          "                        grow with -r) or auto (default: whole while they fit\n"
          "                        512 MiB, or $FLYT_SERIES_BUDGET_MIB; reduced above)\n"
          "      --resume          go on from FILE.journal, the replications an\n"
          "                        interrupted run finished (not with --patients/--events)\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 ok, 1 a replication stopped early or output failed, 2 bad input,\n"
          "130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM. A stopped run finishes\n"
          "the replications in hand, writes nothing and leaves an existing output file\n"
          "as it was; its finished replications stay in FILE.journal for --resume. A\n"
          "second Ctrl-C ends flyt at once.\n",
          out);
}

enum series_mode { SERIES_AUTO, SERIES_WHOLE, SERIES_REDUCED };

/* Whole series cost 8 bytes per replication, day and series: 38 GB for a
 * million replications of a year. Below this they are kept whole, as
 * readers have always had them. */
#define SERIES_WHOLE_BUDGET (512.0 * 1024 * 1024)

struct run_opts {
    const char *scenario;
    struct flyt_cli_opts c;
    bool patients, events; /* the logs, streamed into the output file */
    enum series_mode series;
    bool resume;
};

/* --series MODE or --series=MODE; returns 1 when argv[*i] was it, -1 bad. */
static int series_option(int argc, char **argv, int *i, enum series_mode *mode)
{
    const char *a = argv[*i], *v;
    if (strncmp(a, "--series=", 9) == 0)
        v = a + 9;
    else if (strcmp(a, "--series") == 0 && *i + 1 < argc)
        v = argv[++*i];
    else if (strcmp(a, "--series") == 0)
        v = NULL;
    else
        return 0;
    if (v && strcmp(v, "whole") == 0)
        *mode = SERIES_WHOLE;
    else if (v && strcmp(v, "reduced") == 0)
        *mode = SERIES_REDUCED;
    else if (v && strcmp(v, "auto") == 0)
        *mode = SERIES_AUTO;
    else {
        fprintf(stderr, "flyt run: error: --series takes whole, reduced or auto%s%s%s\n",
                v ? ", got '" : "", v ? v : "", v ? "'" : "");
        return -1;
    }
    return 1;
}

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct run_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = flyt_cli_option("run", FLYT_OPTS_RUN, argc, argv, &i, &o->c);
        if (rc < 0)
            return EXIT_BAD_INPUT;
        if (rc > 0)
            continue;
        rc = series_option(argc, argv, &i, &o->series);
        if (rc < 0)
            return EXIT_BAD_INPUT;
        if (rc > 0)
            continue;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--patients") == 0) {
            o->patients = true;
        } else if (strcmp(a, "--events") == 0) {
            o->events = true;
        } else if (strcmp(a, "--resume") == 0) {
            o->resume = true;
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
    if (o->resume && (o->patients || o->events)) {
        fputs("flyt run: error: --resume cannot be used with --patients or --events: the logs "
              "are streamed into the output and cannot be continued; run again without --resume\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

static int report_interrupted(const struct flyt_result *res, unsigned n, const char *out,
                              const struct flyt_cli_resume *k)
{
    unsigned done = 0;
    for (unsigned r = 0; r < n; r++)
        done += res[r].wall_seconds > 0;
    int sig = flyt_cli_signal_caught();
    fprintf(stderr,
            "flyt run: stopped by %s after %u of %u replications; no output written (%s left "
            "as it was)\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", done, n, out);
    if (flyt_cli_resume_count(k))
        fprintf(stderr,
                "flyt run: %zu finished replications are kept in '%s': run the same command "
                "with --resume to go on\n",
                flyt_cli_resume_count(k), flyt_cli_resume_path(k));
    return 128 + (sig ? sig : SIGINT);
}

/* Days after warm-up, as the model counts them (one value per day). */
static size_t series_days(const struct flyt_scenario *s)
{
    size_t first = (size_t)ceil(s->warmup_days), last = (size_t)ceil(s->horizon_days);
    return s->series_off || last <= first ? 0 : last - first;
}

/* NULL with *fail false: keep the series whole. */
static struct flyt_series_reduce *series_reducer(const struct run_opts *o,
                                                 const struct flyt_scenario *s, bool *fail)
{
    size_t n_days = series_days(s);
    double whole = flyt_series_whole_bytes_units(s->replications, n_days, (unsigned)s->n_units);
    double budget = SERIES_WHOLE_BUDGET;
    const char *env = getenv("FLYT_SERIES_BUDGET_MIB"); /* for small machines, and tests */
    if (env && *env && atof(env) >= 0)
        budget = atof(env) * 1024 * 1024;
    *fail = false;
    if (o->series == SERIES_WHOLE || (o->series == SERIES_AUTO && whole <= budget))
        return NULL;
    struct flyt_series_reduce *red = flyt_series_reduce_new(n_days);
    if (red && flyt_series_reduce_set_units(red, (unsigned)s->n_units) < 0) {
        flyt_series_reduce_free(red);
        red = NULL;
    }
    if (!red) {
        fputs("flyt run: error: out of memory\n", stderr);
        *fail = true;
    } else if (o->series == SERIES_AUTO) {
        fprintf(stderr,
                "flyt run: note: the daily series are reduced across replications (mean, sd, "
                "min, max per day): whole they would take %.1f GiB; --series whole keeps them\n",
                whole / (1024.0 * 1024 * 1024));
    }
    return red;
}

static int execute(const struct run_opts *o, const struct flyt_scenario *s)
{
    const char *out = o->c.output ? o->c.output : "flyt-out.h5";
    const char *inputs[] = { o->scenario };
    int claimed = flyt_cli_claim_output("run", out, FLYT_OUT_HDF5, inputs, 1);
    if (claimed >= 0)
        return claimed;
    unsigned n = s->replications;
    bool red_failed;
    struct flyt_series_reduce *red = series_reducer(o, s, &red_failed);
    if (red_failed)
        return EXIT_FAIL;
    struct flyt_result *res = calloc(n, sizeof *res);
    if (!res) {
        fputs("flyt run: error: out of memory\n", stderr);
        flyt_series_reduce_free(red);
        return EXIT_FAIL;
    }
    char err[512];
    struct flyt_cli_resume k = { 0 };
    int opened = o->patients || o->events
                         ? -1
                         : flyt_cli_resume_open(&k, "run", out, &s, 1, n, o->resume, &res);
    if (opened >= 0) {
        for (unsigned r = 0; r < n; r++)
            flyt_result_free(&res[r]);
        free(res);
        flyt_series_reduce_free(red);
        return opened;
    }
    struct flyt_h5_log *log = NULL;
    if ((o->patients || o->events) &&
        !(log = flyt_h5_log_open(out, o->patients, o->events, n, err, sizeof err))) {
        fprintf(stderr, "flyt run: error: %s\n", err);
        flyt_cli_resume_close(&k, false);
        free(res);
        flyt_series_reduce_free(red);
        return EXIT_FAIL;
    }
    struct flyt_progress prog;
    flyt_progress_init(&prog, o->c.progress, s->name);
    double t0 = flyt_cli_seconds();
    int rc = flyt_experiment_run_with(s, n, o->c.threads, res, flyt_progress_update, &prog,
                                      log ? flyt_h5_log_hooks(log) : NULL, red,
                                      log ? NULL : flyt_cli_resume_hooks(&k, 0));
    double wall = flyt_cli_seconds() - t0;
    flyt_progress_done(&prog);
    int status = EXIT_OK;
    if (log && flyt_h5_log_error(log) && rc != FLYT_EXPERIMENT_STOPPED) {
        fprintf(stderr, "flyt run: error: %s\n", flyt_h5_log_error(log));
        status = EXIT_FAIL;
    } else if (rc == FLYT_EXPERIMENT_STOPPED || (rc == 0 && flyt_experiment_stop_requested())) {
        status = report_interrupted(res, n, out, &k);
    } else if (rc != 0) {
        status = flyt_cli_report_stopped("run", NULL, res, n);
    } else {
        struct flyt_summary sum;
        flyt_summary_compute(&sum, res, n);
        sum.series = red;
        struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(),
                                      o->c.threads ? o->c.threads
                                                   : flyt_experiment_default_threads(),
                                      wall };
        int wrc = log ? flyt_h5_log_finish(log, s, res, n, &sum, &meta, err, sizeof err)
                      : flyt_h5_write_run(out, s, res, n, &sum, &meta, err, sizeof err);
        log = NULL;
        if (wrc != 0) {
            fprintf(stderr, "flyt run: error: %s\n", err);
            status = EXIT_FAIL;
        }
        if (o->c.json)
            flyt_summary_print_json(stdout, s, &sum, n);
        else
            flyt_summary_print_table(stdout, s, &sum, n);
        if (status == EXIT_OK)
            fprintf(stderr, "flyt run: %u replications in %.2f s; wrote %s\n", n, wall, out);
        flyt_summary_free(&sum);
    }
    flyt_h5_log_abort(log); /* a run that wrote nothing leaves no partial file */
    flyt_cli_resume_close(&k, status == EXIT_OK); /* kept for --resume otherwise */
    for (unsigned r = 0; r < n; r++)
        flyt_result_free(&res[r]);
    free(res);
    flyt_series_reduce_free(red);
    return status;
}

int flyt_cmd_run(int argc, char **argv)
{
    flyt_cli_signals_install();
    struct run_opts o = { .c = { .progress = -1 } };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(o.scenario, o.c.sets, o.c.n_sets, &diag);
    if (diag.warnings)
        fputs(diag.warnings, stderr); /* never stop a run: the planner may mean it */
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
