/* flyt compare: runs a base scenario and its variants with the same seed and
 * replications (common random numbers), prints each variant's differences
 * from the base with paired intervals, and writes everything to one HDF5
 * file. Every scenario is loaded and checked before anything runs, and a
 * variant whose run settings differ from the base's is refused: its
 * differences would come from the settings as much as from the variant. */
#include "cli/cli.h"
#include "cli/resume.h"
#include "flyt/compare.h"
#include "flyt/experiment.h"
#include "flyt/outfile.h"
#include "flyt/output.h"
#include "flyt/precision.h"
#include "flyt/scenario.h"
#include "flyt/series.h"

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SCENARIOS  32
#define DEFAULT_OUTPUT "flyt-compare.h5"

static void usage(FILE *out)
{
    fputs("Usage: flyt compare BASE VARIANT [VARIANT...] [options]\n"
          "\n"
          "Runs BASE and each VARIANT (libconfig scenario files) with the same seed and\n"
          "replication count, so replication r of every scenario sees the same patients\n"
          "(common random numbers). A variant file whose run.horizon_days,\n"
          "run.warmup_days, run.start_date, run.replications or run.seed differs from the\n"
          "base's is refused (exit 2, each key named with both values): every figure\n"
          "would differ for that reason alone. -r, --seed and --set apply to every\n"
          "scenario alike. For each variant and key figure it prints the\n"
          "difference from the base with its paired 95% confidence interval, the interval\n"
          "an unpaired comparison would give, and the variance the pairing removed; then\n"
          "the same for coordinator roles (paired by name). Writes every scenario's\n"
          "results and the per-replication differences to an HDF5 file.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE     HDF5 output (default flyt-compare.h5); written to\n"
          "                        FILE.partial.XXXXXX and renamed when complete\n"
          "  -r, --replications N  number of replications for every scenario (default:\n"
          "                        the base's run.replications)\n"
          "      --seed S          random seed for every scenario (default: the base's)\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N\n"
          "      --set KEY=VALUE   override a scalar in every scenario (repeatable)\n"
          "      --format FMT      table (default) or json, on stdout\n"
          "      --series MODE     daily series in the file, as flyt run's: whole (every\n"
          "                        replication's), reduced (per day across replications:\n"
          "                        mean, sd, min, max, n, quantiles p05 to p95; memory\n"
          "                        does not grow with -r) or auto (default: whole while\n"
          "                        every scenario's together fit 512 MiB, or\n"
          "                        $FLYT_SERIES_BUDGET_MIB; reduced above)\n"
          "      --progress        always show the progress line (default: when stderr\n"
          "                        is a terminal)\n"
          "      --no-progress     never show it\n"
          "      --resume          go on from FILE.journal, the replications an\n"
          "                        interrupted compare finished\n"
          "      --allow-different-settings\n"
          "                        run each scenario with its own horizon, warm-up and\n"
          "                        start date (seed and replications stay the base's,\n"
          "                        which pairing needs); the table then lists the\n"
          "                        settings of each scenario and marks the variants\n"
          "                        whose settings differ\n"
          "  -r auto --precision P  replications added in rounds, as flyt run -r auto, until\n"
          "                        the paired 95% CI half-width of each --precision-kpi's\n"
          "                        difference (every variant) is within P of |mean\n"
          "                        difference|, or of |base mean| where that CI includes 0;\n"
          "                        the figures equal those of -r <final count>\n"
          "      --precision-kpi K[,K...]  default ukp_wait_mean\n"
          "      --max-replications N  where -r auto stops regardless (default 1000)\n"
          "  -h, --help            this help\n"
          "\n"
          "In the table, * marks a difference whose paired 95% CI excludes 0.\n"
          "Exit status: 0 ok, 1 a replication stopped early or output failed, 2 bad input,\n"
          "130 stopped by SIGINT, 143 stopped by SIGTERM (finished replications stay in\n"
          "FILE.journal for --resume; nothing else is written).\n",
          out);
}

struct compare_opts {
    const char *files[MAX_SCENARIOS];
    int n_files;
    struct flyt_cli_opts c;
    bool resume;
    enum flyt_cli_series series;
    bool allow_different;
};

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct compare_opts *o)
{
    enum { OPT_RESUME = FLYT_OPTV_CMD, OPT_ALLOW_DIFFERENT, OPT_SERIES };
    static const struct option own[] = {
        { "resume", no_argument, NULL, OPT_RESUME },
        { "series", required_argument, NULL, OPT_SERIES },
        { "allow-different-settings", no_argument, NULL, OPT_ALLOW_DIFFERENT },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "compare", argc, argv, FLYT_OPTS_RUN, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        int rc = flyt_cli_args_take(&p, FLYT_OPTS_RUN, c, &o->c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        if (c == OPT_RESUME) {
            o->resume = true;
        } else if (c == OPT_ALLOW_DIFFERENT) {
            o->allow_different = true;
        } else if (c == OPT_SERIES) {
            if (flyt_cli_series_mode("compare", p.arg, &o->series) < 0)
                return EXIT_BAD_INPUT;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (o->n_files >= MAX_SCENARIOS) {
            fprintf(stderr, "flyt compare: error: at most %d scenarios\n", MAX_SCENARIOS);
            return EXIT_BAD_INPUT;
        } else {
            o->files[o->n_files++] = p.arg;
        }
    }
    if (flyt_cli_precision_check("compare", o->c.r_auto, o->c.precision, o->c.precision_kpi,
                                 o->c.max_reps) < 0)
        return EXIT_BAD_INPUT;
    if (o->n_files < 2) {
        fputs("flyt compare: error: needs a base and at least one variant scenario "
              "(see flyt compare --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

/* Loads file; on failure *why gets the diagnostics (malloc'd, or NULL when
 * out of memory). *warnings, when asked for, gets the plausibility
 * warnings (malloc'd, or NULL when there are none). */
static struct flyt_scenario *load(const char *file, const char *const *sets, int n_sets, char **why,
                                  char **warnings)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(file, sets, n_sets, &diag);
    /* scenarios compared share their warm-up; a pilot per scenario could
     * choose different ones */
    if (s && s->warmup_auto) {
        flyt_diag_add(&diag, file ? file : "<embedded>", 0, "run.warmup_days",
                      "\"auto\" is for flyt run only: run the scenario there (flyt run --warmup "
                      "auto) and give the warm-up it chose in days");
        flyt_scenario_free(s);
        s = NULL;
    }
    *why = NULL;
    if (warnings) {
        *warnings = diag.warnings;
        diag.warnings = NULL;
    }
    if (!s && diag.text) {
        *why = diag.text;
        diag.text = NULL;
    } else if (!s) {
        size_t len = strlen(file ? file : "") + 64;
        if ((*why = malloc(len)))
            snprintf(*why, len, "flyt compare: error: cannot load '%s'\n", file ? file : "");
    }
    flyt_diag_free(&diag);
    return s;
}

/* The same text twice (a --set in every scenario, a file given twice)
 * prints once. */
static bool said_before(char *const *text, int i)
{
    for (int j = 0; j < i && text[i]; j++)
        if (text[j] && strcmp(text[i], text[j]) == 0)
            return true;
    return false;
}

/* Loads every scenario, reporting the problems of each, before any runs.
 * Plausibility warnings print as flyt run prints them. */
static int load_all(const struct compare_opts *o, int n, struct flyt_scenario **s)
{
    char *why[MAX_SCENARIOS] = { 0 }, *warn[MAX_SCENARIOS] = { 0 };
    int bad = 0;
    for (int i = 0; i < n; i++) {
        s[i] = load(o->files[i], o->c.sets, o->c.n_sets, &why[i], &warn[i]);
        if (warn[i] && !said_before(warn, i))
            fputs(warn[i], stderr);
        if (s[i])
            continue;
        bad++;
        if (!said_before(why, i))
            fputs(why[i] ? why[i] : "flyt compare: error: out of memory\n", stderr);
    }
    for (int i = 0; i < n; i++) {
        free(why[i]);
        free(warn[i]);
    }
    if (bad)
        fprintf(stderr, "flyt compare: %d of %d scenarios did not load; nothing was run\n", bad, n);
    return bad ? -1 : 0;
}

static bool differs(const struct flyt_scenario *a, const struct flyt_scenario *b)
{
    return a->seed != b->seed || a->replications != b->replications;
}

/* The run settings every scenario of a comparison must share unless told
 * otherwise. The start date is one: it moves the month and weekday factors,
 * dated shocks and schedules and the ISO weeks against the patients. */
enum { SET_HORIZON, SET_WARMUP, SET_START, SET_REPS, SET_SEED, N_SETTINGS };
static const char *const setting_key[N_SETTINGS] = { "run.horizon_days", "run.warmup_days",
                                                     "run.start_date", "run.replications",
                                                     "run.seed" };

static bool setting_differs(const struct flyt_scenario *a, const struct flyt_scenario *b, int k)
{
    switch (k) {
    case SET_HORIZON:
        return a->horizon_days != b->horizon_days;
    case SET_WARMUP:
        return a->warmup_days != b->warmup_days;
    case SET_START:
        return a->start_year != b->start_year || a->start_month != b->start_month ||
               a->start_mday != b->start_mday;
    case SET_REPS:
        return a->replications != b->replications;
    default:
        return a->seed != b->seed;
    }
}

static void setting_text(const struct flyt_scenario *s, int k, char *buf, size_t len)
{
    switch (k) {
    case SET_HORIZON:
        snprintf(buf, len, "%.10g", s->horizon_days);
        break;
    case SET_WARMUP:
        snprintf(buf, len, "%.10g", s->warmup_days);
        break;
    case SET_START:
        snprintf(buf, len, "\"%04d-%02d-%02d\"", s->start_year, s->start_month, s->start_mday);
        break;
    case SET_REPS:
        snprintf(buf, len, "%u", s->replications);
        break;
    default:
        snprintf(buf, len, "%" PRIu64, s->seed);
    }
}

/* One error line per differing key, at the variant's line for it (or the
 * file, when the value is the default), with the base's value and line. */
static void report_difference(const struct compare_opts *o, struct flyt_scenario **s, int i, int k)
{
    char here[600], there[600], vv[64], bv[64];
    setting_text(s[i], k, vv, sizeof vv);
    setting_text(s[0], k, bv, sizeof bv);
    bool set_here = flyt_scenario_where(o->files[i], setting_key[k], here, sizeof here);
    if (!set_here)
        snprintf(here, sizeof here, "%s", o->files[i]);
    char base_where[640] = "the default";
    if (flyt_scenario_where(o->files[0], setting_key[k], there, sizeof there))
        snprintf(base_where, sizeof base_where, "%s", there);
    fprintf(stderr, "%s: error: %s: %s here%s, but %s in the base (%s)\n", here, setting_key[k], vv,
            set_here ? "" : " (the default: the file does not set it)", bv, base_where);
}

/* Refuses variants whose run settings differ from the base's, naming every
 * key; -r, --seed and --set have already applied to all alike. With
 * --allow-different-settings only the seed and replications are aligned
 * (align_to_base), so nothing is refused here. */
static int refuse_different(const struct compare_opts *o, int n, struct flyt_scenario **s)
{
    if (o->allow_different)
        return 0;
    bool any[N_SETTINGS] = { false };
    int bad = 0;
    for (int i = 1; i < n; i++)
        for (int k = 0; k < N_SETTINGS; k++)
            if (setting_differs(s[i], s[0], k)) {
                report_difference(o, s, i, k);
                any[k] = true;
                bad++;
            }
    if (!bad)
        return 0;
    fputs("flyt compare: error: the variants must run with the base's settings (", stderr);
    for (int k = 0, first = 1; k < N_SETTINGS; k++)
        if (any[k]) {
            fprintf(stderr, "%s%s", first ? "" : ", ", setting_key[k]);
            first = 0;
        }
    fputs("): otherwise every difference in the table is partly theirs; give the variants "
          "the base's values, or --allow-different-settings to run each scenario with its own "
          "horizon, warm-up and start date; nothing was run\n",
          stderr);
    return -1;
}

/* One note for all variants that set their own seed or replications (only
 * with --allow-different-settings: otherwise they are refused). */
static void note_aligned(const struct compare_opts *o, int n, struct flyt_scenario **s)
{
    fputs("flyt compare: note:", stderr);
    for (int i = 1, first = 1; i < n; i++)
        if (differs(s[i], s[0])) {
            fprintf(stderr, "%s %s", first ? "" : ",", o->files[i]);
            first = 0;
        }
    fprintf(stderr,
            ": own seed or replications not used; every scenario runs with the base's "
            "(seed %" PRIu64 ", %u replications) so that they see the same patients\n",
            s[0]->seed, s[0]->replications);
}

/* Common random numbers need one seed and one set of replication numbers:
 * a variant that says otherwise is loaded again with the base's, so that
 * its resolved text in the output shows what ran. */
static int align_to_base(const struct compare_opts *o, int n, struct flyt_scenario **s)
{
    char seed[64], reps[64];
    const char *sets[CLI_MAX_SETS + 4];
    snprintf(seed, sizeof seed, "run.seed=%" PRIu64, s[0]->seed);
    snprintf(reps, sizeof reps, "run.replications=%u", s[0]->replications);
    memcpy(sets, o->c.sets, (size_t)o->c.n_sets * sizeof *sets);
    sets[o->c.n_sets] = seed;
    sets[o->c.n_sets + 1] = reps;
    bool noted = false;
    for (int i = 1; i < n; i++) {
        if (!differs(s[i], s[0]))
            continue;
        if (!noted)
            note_aligned(o, n, s);
        noted = true;
        flyt_scenario_free(s[i]);
        char *why;
        if (!(s[i] = load(o->files[i], sets, o->c.n_sets + 2, &why, NULL))) {
            fputs(why ? why : "flyt compare: error: out of memory\n", stderr);
            free(why);
            return -1;
        }
    }
    return 0;
}

/* Everything the runs produce, freed in one place. */
struct outcome {
    int n;
    unsigned n_rep;
    struct flyt_result *res[MAX_SCENARIOS];
    struct flyt_series_reduce *red[MAX_SCENARIOS]; /* NULL: the series stay whole */
    struct flyt_summary sum[MAX_SCENARIOS];
    struct flyt_compare *cmp; /* n - 1 */
    struct flyt_compare_run runs[MAX_SCENARIOS];
    const char **unit_id[MAX_SCENARIOS]; /* the sides' unit ids */
    double wall;
    struct flyt_cli_resume resume;
};

static void outcome_free(struct outcome *oc)
{
    for (int i = 0; i < oc->n; i++) {
        for (unsigned r = 0; oc->res[i] && r < oc->n_rep; r++)
            flyt_result_free(&oc->res[i][r]);
        free(oc->res[i]);
        flyt_series_reduce_free(oc->red[i]);
        flyt_summary_free(&oc->sum[i]);
        free(oc->unit_id[i]);
    }
    for (int i = 0; oc->cmp && i + 1 < oc->n; i++)
        flyt_compare_free(&oc->cmp[i]);
    free(oc->cmp);
}

/* A signal (Slurm's time limit is SIGTERM) keeps what finished. */
static int report_interrupted(struct outcome *oc)
{
    int sig = flyt_cli_signal_caught();
    size_t kept = flyt_cli_resume_count(&oc->resume);
    fprintf(stderr, "flyt compare: stopped by %s; no output written",
            sig == SIGTERM ? "SIGTERM" : "SIGINT");
    if (kept)
        fprintf(stderr,
                "; %zu of %u finished replications are kept in '%s': run the same command with "
                "--resume to go on\n",
                kept, oc->n * oc->n_rep, flyt_cli_resume_path(&oc->resume));
    else
        fputs("\n", stderr);
    return 128 + (sig ? sig : SIGINT);
}

/* Every scenario's series reduced, or none: a file holds one layout per
 * kind of figure, and auto weighs what all of them would take together.
 * -1 when out of memory (printed). */
static int make_reducers(const struct compare_opts *o, struct outcome *oc, struct flyt_scenario **s)
{
    double whole = 0;
    for (int i = 0; i < oc->n; i++)
        whole += flyt_series_whole_bytes_units(oc->n_rep, flyt_cli_series_days(s[i]),
                                               (unsigned)s[i]->n_units);
    if (!flyt_cli_series_reduce(o->series, whole))
        return 0;
    for (int i = 0; i < oc->n; i++) {
        oc->red[i] = flyt_series_reduce_new(flyt_cli_series_days(s[i]));
        if (!oc->red[i] || flyt_series_reduce_set_units(oc->red[i], (unsigned)s[i]->n_units) < 0) {
            fputs("flyt compare: error: out of memory\n", stderr);
            return -1;
        }
    }
    if (o->series == FLYT_CLI_SERIES_AUTO)
        fprintf(stderr,
                "flyt compare: note: the daily series are reduced across replications (mean, "
                "sd, min, max, quantiles per day): whole they would take %.1f GiB; --series "
                "whole keeps them\n",
                whole / (1024.0 * 1024 * 1024));
    return 0;
}

/* -r auto keeps the series whole through its rounds (the reducer cannot
 * tell a replication it already has) and folds them once the count is
 * known, as flyt run does. */
static int fold_series(const struct compare_opts *o, struct outcome *oc, struct flyt_scenario **s)
{
    if (make_reducers(o, oc, s) < 0)
        return -1;
    bool *done = oc->red[0] ? malloc(oc->n_rep * sizeof *done) : NULL;
    if (oc->red[0] && !done) {
        fputs("flyt compare: error: out of memory\n", stderr);
        return -1;
    }
    for (unsigned r = 0; done && r < oc->n_rep; r++)
        done[r] = true;
    struct flyt_experiment_resume rs = { done, NULL, NULL };
    int rc = 0;
    for (int i = 0; done && rc == 0 && i < oc->n; i++) {
        rc = flyt_experiment_run_with(s[i], oc->n_rep, o->c.threads, oc->res[i], NULL, NULL, NULL,
                                      oc->red[i], &rs);
        oc->sum[i].series = oc->red[i];
    }
    free(done);
    if (rc != 0)
        fputs("flyt compare: error: out of memory or cannot start threads\n", stderr);
    return rc != 0 ? -1 : 0;
}

static int run_one(const struct compare_opts *o, struct outcome *oc, int i,
                   const struct flyt_scenario *s)
{
    char label[160];
    snprintf(label, sizeof label, "%s (%d/%d)", s->name, i + 1, oc->n);
    struct flyt_progress prog;
    flyt_progress_init(&prog, o->c.progress, label);
    double t0 = flyt_cli_seconds();
    int rc = flyt_experiment_run_with(s, oc->n_rep, o->c.threads, oc->res[i], flyt_progress_update,
                                      &prog, NULL, oc->red[i],
                                      flyt_cli_resume_hooks(&oc->resume, (unsigned)i));
    oc->runs[i].wall_seconds = flyt_cli_seconds() - t0;
    flyt_progress_done(&prog);
    if (rc < 0) {
        fputs("flyt compare: error: out of memory or cannot start threads\n", stderr);
        return EXIT_FAIL;
    }
    if (rc == FLYT_EXPERIMENT_STOPPED || (rc == 0 && flyt_experiment_stop_requested()))
        return report_interrupted(oc);
    if (rc != 0)
        return flyt_cli_report_stopped("compare", s->name, oc->res[i], oc->n_rep);
    flyt_summary_compute(&oc->sum[i], oc->res[i], oc->n_rep);
    oc->sum[i].series = oc->red[i];
    oc->runs[i] = (struct flyt_compare_run){ s, oc->res[i], &oc->sum[i], oc->runs[i].wall_seconds };
    return EXIT_OK;
}

static int side_of(struct flyt_compare_side *side, const struct flyt_scenario *s,
                   const struct flyt_result *res, const char ***ids)
{
    memset(side, 0, sizeof *side);
    side->results = res;
    side->n_roles = s->n_roles > 0 ? (unsigned)s->n_roles : 0;
    for (unsigned r = 0; r < side->n_roles && r < FLYT_MAX_ROLES_RESULT; r++)
        side->role_name[r] = s->roles[r].name;
    size_t nu = s->n_units > 0 ? (size_t)s->n_units : 0;
    size_t nm = s->n_munis > 0 ? (size_t)s->n_munis : 0;
    if (!*ids && !(*ids = calloc(nu + nm ? nu + nm : 1, sizeof **ids)))
        return -1;
    for (size_t u = 0; u < nu; u++)
        (*ids)[u] = s->units[u].id;
    for (size_t i = 0; i < nm; i++)
        (*ids)[nu + i] = s->munis[i].id;
    side->n_units = (unsigned)nu;
    side->unit_id = *ids;
    side->n_munis = (unsigned)nm;
    side->muni_id = *ids + nu;
    return 0;
}

static int compare_all(struct outcome *oc, struct flyt_scenario **s)
{
    /* parse() asks for a base and at least one variant */
    if (!(oc->cmp = calloc(oc->n > 1 ? (size_t)oc->n - 1 : 1, sizeof *oc->cmp)))
        return -1;
    struct flyt_compare_side base, variant;
    if (side_of(&base, s[0], oc->res[0], &oc->unit_id[0]) != 0)
        return -1;
    for (int i = 1; i < oc->n; i++) {
        if (side_of(&variant, s[i], oc->res[i], &oc->unit_id[i]) != 0 ||
            flyt_compare_compute(&oc->cmp[i - 1], &base, &variant, oc->n_rep) != 0)
            return -1;
    }
    return 0;
}

static int report(const struct compare_opts *o, struct outcome *oc)
{
    const char *out = o->c.output ? o->c.output : DEFAULT_OUTPUT;
    struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(),
                                  o->c.threads ? o->c.threads : flyt_experiment_default_threads(),
                                  oc->wall };
    char err[512];
    int status = EXIT_OK;
    if (flyt_h5_write_compare(out, oc->runs, (size_t)oc->n, oc->n_rep, oc->cmp, &meta, err,
                              sizeof err) != 0) {
        fprintf(stderr, "flyt compare: error: %s\n", err);
        status = EXIT_FAIL;
    }
    if (o->c.json)
        flyt_compare_print_json(stdout, oc->runs, (size_t)oc->n, oc->n_rep, oc->cmp);
    else
        flyt_compare_print_table(stdout, oc->runs, (size_t)oc->n, oc->n_rep, oc->cmp);
    if (status == EXIT_OK)
        fprintf(stderr, "flyt compare: %d scenarios x %u replications in %.2f s; wrote %s\n", oc->n,
                oc->n_rep, oc->wall, out);
    return status;
}

/* -r auto: rounds of replications of every scenario until each watched
 * KPI's paired difference is precise enough (flyt/precision.h), as flyt
 * run's: replication r of every scenario draws the same numbers in any
 * round, so the result is a plain compare's with the final count. */
static int run_rounds(const struct compare_opts *o, struct outcome *oc, struct flyt_scenario **s,
                      struct flyt_precision_report *p)
{
    /* oc->res[i] hold p->max results each (the journal loads any of them) */
    unsigned have = 0, want = oc->n_rep, cap = p->max;
    bool *done = malloc(cap * sizeof *done);
    int status = EXIT_OK;
    if (!done) {
        fputs("flyt compare: error: out of memory\n", stderr);
        status = EXIT_FAIL;
    }
    for (; status == EXIT_OK;) {
        oc->n_rep = want;
        for (int i = 0; status == EXIT_OK && i < oc->n; i++) {
            const struct flyt_experiment_resume *j =
                    oc->resume.ck ? flyt_cli_resume_hooks(&oc->resume, (unsigned)i) : NULL;
            for (unsigned r = 0; r < want; r++)
                done[r] = r < have || (j && j->done && j->done[r]);
            struct flyt_experiment_resume rs = { done, j ? j->finished : NULL, j ? j->ctx : NULL };
            char label[160];
            snprintf(label, sizeof label, "%s (%d/%d)", s[i]->name, i + 1, oc->n);
            struct flyt_progress prog;
            flyt_progress_init(&prog, o->c.progress, label);
            double t0 = flyt_cli_seconds();
            int rc = flyt_experiment_run_resume(s[i], want, o->c.threads, oc->res[i],
                                                flyt_progress_update, &prog, NULL, &rs);
            oc->runs[i].wall_seconds += flyt_cli_seconds() - t0;
            flyt_progress_done(&prog);
            if (rc < 0) {
                fputs("flyt compare: error: out of memory or cannot start threads\n", stderr);
                status = EXIT_FAIL;
            } else if (rc == FLYT_EXPERIMENT_STOPPED ||
                       (rc == 0 && flyt_experiment_stop_requested())) {
                status = report_interrupted(oc);
            } else if (rc != 0) {
                status = flyt_cli_report_stopped("compare", s[i]->name, oc->res[i], want);
            }
        }
        have = want;
        p->batches++;
        p->replications = have;
        if (status != EXIT_OK)
            break;
        const struct flyt_result *v[MAX_SCENARIOS];
        for (int i = 1; i < oc->n; i++)
            v[i - 1] = oc->res[i];
        flyt_precision_assess_paired(p, oc->res[0], v, have);
        if (p->met || have >= p->max || flyt_cli_precision_nothing("compare", p))
            break;
        want = flyt_precision_next(have, p->max);
    }
    free(done);
    /* a journal from a compare with another --precision may hold more */
    for (int i = 0; i < oc->n; i++)
        for (unsigned r = oc->n_rep; r < cap; r++)
            flyt_result_free(&oc->res[i][r]);
    if (status != EXIT_OK)
        return status;
    for (int i = 0; i < oc->n; i++) {
        s[i]->replications = oc->n_rep;
        flyt_summary_compute(&oc->sum[i], oc->res[i], oc->n_rep);
        oc->runs[i] = (struct flyt_compare_run){ s[i], oc->res[i], &oc->sum[i],
                                                 oc->runs[i].wall_seconds };
    }
    oc->sum[0].precision = p;
    if (!p->met && oc->n_rep >= p->max)
        fprintf(stderr,
                "flyt compare: warning: -r auto: the maximum of %u replications was reached "
                "before every paired difference's 95%% CI half-width was within %g%% (see "
                "below the table); --max-replications raises it\n",
                p->max, 100 * p->target);
    return EXIT_OK;
}

/* The watched KPIs, once per variant. */
static int precision_pairs(const struct compare_opts *o, int n, struct flyt_scenario **s,
                           struct flyt_precision_report *p)
{
    struct flyt_precision_report one = { 0 };
    if (flyt_cli_precision_kpis("compare", o->c.precision_kpi, s[0], &one) < 0)
        return -1;
    if (one.n * (size_t)(n - 1) > FLYT_PRECISION_MAX_KPI) {
        fprintf(stderr, "flyt compare: error: --precision-kpi: at most %d KPIs x variants\n",
                FLYT_PRECISION_MAX_KPI);
        return -1;
    }
    p->n = 0;
    for (int v = 1; v < n; v++)
        for (size_t k = 0; k < one.n; k++) {
            struct flyt_precision_kpi *q = &p->kpi[p->n++];
            *q = one.kpi[k];
            q->variant = (unsigned)v;
            snprintf(q->name, sizeof q->name, "%.40s: %.50s", s[v]->name, one.kpi[k].name);
        }
    return 0;
}

static int execute(const struct compare_opts *o, int n, struct flyt_scenario **s)
{
    int claimed = flyt_cli_claim_output("compare", o->c.output ? o->c.output : DEFAULT_OUTPUT,
                                        FLYT_OUT_HDF5, o->files, (size_t)o->n_files);
    if (claimed >= 0)
        return claimed;
    struct outcome *oc = calloc(1, sizeof *oc);
    if (!oc) {
        fputs("flyt compare: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    oc->n = n;
    oc->n_rep = s[0]->replications;
    int status = EXIT_OK;
    struct flyt_precision_report prec = {
        .target = o->c.precision,
        .max = o->c.max_reps ? o->c.max_reps : FLYT_PRECISION_DEFAULT_MAX,
        .paired = true,
    };
    if (o->c.r_auto) {
        if (precision_pairs(o, n, s, &prec) < 0) {
            free(oc);
            return EXIT_BAD_INPUT;
        }
        oc->n_rep = oc->n_rep < FLYT_PRECISION_MIN_BATCH ? FLYT_PRECISION_MIN_BATCH : oc->n_rep;
        oc->n_rep = oc->n_rep > prec.max ? prec.max : oc->n_rep;
    }
    /* -r auto: room for the most replications the rounds may reach, and a
     * journal of as many, so that an interrupted compare resumes its rounds */
    unsigned cap = o->c.r_auto ? prec.max : oc->n_rep;
    for (int i = 0; status == EXIT_OK && i < n; i++)
        if (!(oc->res[i] = calloc(cap, sizeof *oc->res[i]))) {
            fputs("flyt compare: error: out of memory\n", stderr);
            status = EXIT_FAIL;
        }
    const char *out = o->c.output ? o->c.output : DEFAULT_OUTPUT;
    int opened = status != EXIT_OK ? status
                                   : flyt_cli_resume_open(&oc->resume, "compare", out,
                                                          (const struct flyt_scenario *const *)s,
                                                          (size_t)n, cap, o->resume, oc->res);
    if (opened >= 0)
        status = opened;
    if (!o->c.r_auto && status == EXIT_OK && make_reducers(o, oc, s) < 0)
        status = EXIT_FAIL;
    double t0 = flyt_cli_seconds();
    if (o->c.r_auto && status == EXIT_OK)
        status = run_rounds(o, oc, s, &prec);
    if (o->c.r_auto && status == EXIT_OK && fold_series(o, oc, s) < 0)
        status = EXIT_FAIL;
    for (int i = 0; !o->c.r_auto && status == EXIT_OK && i < n; i++)
        status = run_one(o, oc, i, s[i]);
    oc->wall = flyt_cli_seconds() - t0;
    if (status == EXIT_OK && compare_all(oc, s) != 0) {
        fputs("flyt compare: error: out of memory\n", stderr);
        status = EXIT_FAIL;
    }
    if (status == EXIT_OK)
        status = report(o, oc);
    flyt_cli_resume_close(&oc->resume, status == EXIT_OK); /* kept for --resume otherwise */
    outcome_free(oc);
    free(oc);
    return status;
}

int flyt_cmd_compare(int argc, char **argv)
{
    flyt_cli_signals_install();
    struct compare_opts o = { .c = { .progress = -1 } };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    /* read once: 2 to MAX_SCENARIOS (parse saw to it; said again for the
     * static analyser, which does not follow parse), and s[0..n) loaded or
     * NULL */
    const int n = o.n_files;
    if (n < 2 || n > MAX_SCENARIOS)
        return EXIT_BAD_INPUT;
    struct flyt_scenario *s[MAX_SCENARIOS] = { 0 };
    rc = load_all(&o, n, s) == 0 && refuse_different(&o, n, s) == 0 && align_to_base(&o, n, s) == 0
                 ? -1
                 : EXIT_BAD_INPUT;
    if (rc < 0)
        rc = execute(&o, n, s);
    for (int i = 0; i < n; i++)
        flyt_scenario_free(s[i]);
    return rc;
}
