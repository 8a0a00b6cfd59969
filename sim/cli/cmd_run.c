/* flyt run: load, validate, run the replications, print the summary and
 * write the HDF5 file. A bad scenario stops before anything is written. */
#include "cli/cli.h"
#include "cli/resume.h"
#include "flyt/experiment.h"
#include "flyt/log.h"
#include "flyt/mser.h"
#include "flyt/outfile.h"
#include "flyt/output.h"
#include "flyt/precision.h"
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
          "  -r, --replications N  number of replications (overrides run.replications), or\n"
          "                        auto with --precision: added in rounds (run.replications,\n"
          "                        at least 10, then + max(10, n/2)) until the 95% CI\n"
          "                        half-width of each --precision-kpi is within P of its\n"
          "                        mean; the figures equal those of -r <final count>\n"
          "      --precision P     relative half-width for -r auto, 0 < P < 1 (0.05: 5%)\n"
          "      --precision-kpi K[,K...]  the KPIs -r auto watches (default ukp_wait_mean;\n"
          "                        units.<id>.<kpi> too)\n"
          "      --max-replications N  where -r auto stops regardless (default 1000)\n"
          "      --seed S          random seed (overrides run.seed)\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N\n"
          "      --warmup DAYS     warm-up in days (overrides run.warmup_days), or auto:\n"
          "                        a pilot run from day 0 with the same seed picks it by\n"
          "                        MSER-5 on the replication-averaged daily series (the\n"
          "                        chosen days and each series' truncation are printed\n"
          "                        and kept in the file), then the run is made with it\n"
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
          "                        replications: mean, sd, min, max, n, quantiles p05 to\n"
          "                        p95; memory does not grow with -r) or auto (default: whole "
          "while they fit\n"
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

struct run_opts {
    const char *scenario;
    struct flyt_cli_opts c;
    bool patients, events; /* the logs, streamed into the output file */
    enum flyt_cli_series series;
    bool resume;
    char warmup_set[80]; /* --warmup, as run.warmup_days=VALUE */
};

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct run_opts *o)
{
    enum { OPT_SERIES = FLYT_OPTV_CMD, OPT_WARMUP, OPT_PATIENTS, OPT_EVENTS, OPT_RESUME };
    static const struct option own[] = {
        { "series", required_argument, NULL, OPT_SERIES },
        { "warmup", required_argument, NULL, OPT_WARMUP },
        { "patients", no_argument, NULL, OPT_PATIENTS },
        { "events", no_argument, NULL, OPT_EVENTS },
        { "resume", no_argument, NULL, OPT_RESUME },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "run", argc, argv, FLYT_OPTS_RUN, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        const char *a = p.arg;
        int rc = flyt_cli_args_take(&p, FLYT_OPTS_RUN, c, &o->c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        if (c == OPT_SERIES) {
            if (flyt_cli_series_mode("run", a, &o->series) < 0)
                return EXIT_BAD_INPUT;
        } else if (c == OPT_WARMUP) {
            /* the loader checks it as it checks the file's, "--set:N" aside */
            snprintf(o->warmup_set, sizeof o->warmup_set, "run.warmup_days=%s", a);
        } else if (c == OPT_PATIENTS) {
            o->patients = true;
        } else if (c == OPT_EVENTS) {
            o->events = true;
        } else if (c == OPT_RESUME) {
            o->resume = true;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!o->scenario) {
            o->scenario = a;
        } else {
            fprintf(stderr, "flyt run: error: one scenario at a time, got '%s' and '%s'\n",
                    o->scenario, a);
            return EXIT_BAD_INPUT;
        }
    }
    if (flyt_cli_precision_check("run", o->c.r_auto, o->c.precision, o->c.precision_kpi,
                                 o->c.max_reps) < 0)
        return EXIT_BAD_INPUT;
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

/* NULL with *fail false: keep the series whole. */
static struct flyt_series_reduce *series_reducer(const struct run_opts *o,
                                                 const struct flyt_scenario *s, bool *fail)
{
    size_t n_days = flyt_cli_series_days(s);
    double whole = flyt_series_whole_bytes_units(s->replications, n_days, (unsigned)s->n_units);
    *fail = false;
    if (!flyt_cli_series_reduce(o->series, whole))
        return NULL;
    struct flyt_series_reduce *red = flyt_series_reduce_new(n_days);
    if (red && flyt_series_reduce_set_units(red, (unsigned)s->n_units) < 0) {
        flyt_series_reduce_free(red);
        red = NULL;
    }
    if (!red) {
        fputs("flyt run: error: out of memory\n", stderr);
        *fail = true;
    } else if (o->series == FLYT_CLI_SERIES_AUTO) {
        fprintf(stderr,
                "flyt run: note: the daily series are reduced across replications (mean, sd, "
                "min, max, quantiles per day): whole they would take %.1f GiB; --series whole "
                "keeps them\n",
                whole / (1024.0 * 1024 * 1024));
    }
    return red;
}

/* The series whose start-up decides the warm-up: the censuses and queues
 * that fill from an empty start; the daily counts (arrivals, discharges)
 * are too noisy to show a transient and follow the censuses anyway. */
static size_t key_series(const struct flyt_scenario *s)
{
    return 3 + 2 * (size_t)s->n_units;
}

/* out[0..n_days) = the key series i averaged over the replications, per
 * day; from the reducer when the series were folded. */
static void key_mean(const struct flyt_scenario *s, size_t i, const struct flyt_result *res,
                     unsigned n, const struct flyt_series_reduce *red, size_t n_days, double *out,
                     char *name, size_t len)
{
    static const enum flyt_series glob[3] = { FLYT_SERIES_hospital_treatment,
                                              FLYT_SERIES_ukp_waiting, FLYT_SERIES_coord_queue };
    unsigned u = i < 3 ? 0 : (unsigned)((i - 3) / 2);
    enum flyt_unit_series us = i < 3 || (i - 3) % 2 == 0 ? FLYT_USERIES_census : FLYT_USERIES_queue;
    if (i < 3)
        snprintf(name, len, "%s", flyt_series_defs[glob[i]].name);
    else
        snprintf(name, len, "units.%s.%s", s->units[u].id, flyt_unit_series_defs[us].name);
    if (red) {
        if (i < 3)
            flyt_series_reduce_get(red, glob[i], FLYT_SERIES_STAT_mean, out);
        else
            flyt_series_reduce_unit_get(red, u, us, FLYT_SERIES_STAT_mean, out);
        return;
    }
    for (size_t d = 0; d < n_days; d++) {
        double sum = 0;
        unsigned k = 0;
        for (unsigned r = 0; r < n; r++) {
            const struct flyt_result *x = &res[r];
            if (d >= x->n_days)
                continue;
            double v = i < 3            ? (x->series[glob[i]] ? x->series[glob[i]][d] : NAN)
                       : x->unit_series ? flyt_result_unit_series(x, u, (int)us)[d]
                                        : NAN;
            if (isfinite(v)) {
                sum += v;
                k++;
            }
        }
        out[d] = k ? sum / k : NAN;
    }
}

/* The highest over the lowest rate of an arrivals table (the file's or a
 * municipality's own; the widest) over days [from, n); 1 without one. */
static double table_band(const struct flyt_scenario *s, size_t from)
{
    double band = 1;
    for (int i = -1; i < s->n_munis; i++) {
        const struct flyt_arrivals *a = i < 0 ? s->arrivals : s->munis[i].pop.arrivals;
        double lo = INFINITY, hi = 0;
        for (size_t d = from; a && d < a->n_days; d++) {
            lo = a->rate[d] < lo ? a->rate[d] : lo;
            hi = a->rate[d] > hi ? a->rate[d] : hi;
        }
        double b = hi == 0 ? 1 : lo > 0 ? hi / lo : INFINITY;
        band = b > band ? b : band;
    }
    return band;
}

/* MSER-5 looks for the level a series settles to; one driven by the
 * calendar (growth, months, capacity changing on dates, a table of dated
 * rates) never settles, and its seasons read as transients. */
static bool calendar_driven(const struct flyt_scenario *s)
{
    if (s->growth_per_year != 0 || s->n_growth_by_year > 0 || table_band(s, 0) != 1)
        return true;
    for (int m = 0; m < 12; m++)
        if (s->month_factor[m] != 1)
            return true;
    for (int u = 0; u < s->n_units; u++)
        if (s->units[u].schedule.n_changes || s->units[u].schedule.n_recurring)
            return true;
    return false;
}

/* MSER-5 of every key series; -1 when out of memory. */
static int mser_check(const struct flyt_scenario *s, const struct flyt_result *res, unsigned n,
                      const struct flyt_series_reduce *red, size_t n_days,
                      struct flyt_warmup_check *w)
{
    size_t ns = key_series(s);
    double *x = malloc((n_days ? n_days : 1) * sizeof *x);
    w->series = calloc(ns, sizeof *w->series);
    if (!x || !w->series) {
        free(x);
        flyt_warmup_check_free(w);
        return -1;
    }
    w->n = ns;
    for (size_t i = 0; i < ns; i++) {
        key_mean(s, i, res, n, red, n_days, x, w->series[i].name, sizeof w->series[i].name);
        w->series[i].m = flyt_mser5(x, n_days);
    }
    free(x);
    return 0;
}

/* --warmup auto: the pilot is the same run from day 0 (same seed and
 * streams), its series folded across replications as they finish, so it
 * costs one run's time and a horizon's worth of memory. The real run is
 * made afresh with the chosen warm-up rather than cut from the pilot: the
 * KPIs count events in the window, which the series cannot give back.
 * Returns -1 to go on, or an exit status. */
static int choose_warmup(const struct run_opts *o, struct flyt_scenario *s,
                         struct flyt_warmup_check *w)
{
    s->warmup_days = 0;
    unsigned n = s->replications;
    size_t n_days = flyt_cli_series_days(s);
    struct flyt_series_reduce *red = flyt_series_reduce_new(n_days);
    struct flyt_result *res = calloc(n, sizeof *res);
    if (!red || !res || flyt_series_reduce_set_units(red, (unsigned)s->n_units) < 0) {
        fputs("flyt run: error: out of memory\n", stderr);
        flyt_series_reduce_free(red);
        free(res);
        return EXIT_FAIL;
    }
    struct flyt_progress prog;
    flyt_progress_init(&prog, o->c.progress, "warm-up pilot");
    int rc = flyt_experiment_run_with(s, n, o->c.threads, res, flyt_progress_update, &prog, NULL,
                                      red, NULL);
    flyt_progress_done(&prog);
    int status = -1;
    if (rc == FLYT_EXPERIMENT_STOPPED || (rc == 0 && flyt_experiment_stop_requested())) {
        int sig = flyt_cli_signal_caught();
        fprintf(stderr, "flyt run: stopped by %s in the warm-up pilot; no output written\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        status = 128 + (sig ? sig : SIGINT);
    } else if (rc != 0) {
        fputs("flyt run: the warm-up pilot (run.warmup_days = \"auto\") did not finish:\n", stderr);
        status = flyt_cli_report_stopped("run", NULL, res, n);
    } else if (mser_check(s, res, n, red, n_days, w) < 0) {
        fputs("flyt run: error: out of memory\n", stderr);
        status = EXIT_FAIL;
    } else {
        w->auto_chosen = true;
        w->pilot_days = (double)n_days;
        w->warmup_days = (double)flyt_warmup_check_max(w);
        s->warmup_days = w->warmup_days;
        for (size_t i = 0; i < w->n; i++)
            if (w->series[i].m.too_short)
                fprintf(stderr,
                        "flyt run: warning: warm-up auto: '%s' is lowest in the second half of "
                        "the horizon (MSER-5): it may not settle within %g days; the warm-up "
                        "takes its best point in the first half; a longer run.horizon_days "
                        "tells\n",
                        w->series[i].name, s->horizon_days);
        fprintf(stderr, "flyt run: warm-up auto: %g days (MSER-5 over %zu daily series)\n",
                s->warmup_days, w->n);
        if (calendar_driven(s))
            fputs("flyt run: note: warm-up auto: demand or capacity here follows the calendar "
                  "(growth, month factors or capacity schedules), so the series never settle "
                  "and MSER-5 may take a season for start-up; check the series\n",
                  stderr);
    }
    for (unsigned r = 0; r < n; r++)
        flyt_result_free(&res[r]);
    free(res);
    flyt_series_reduce_free(red);
    return status;
}

/* How far the calendar alone can move a census over the measured window,
 * as a ratio: the month factors' range times the growth over the window
 * (its largest year-on-year factors when given by year), times an
 * arrivals table's range over the window. A census that
 * follows demand moves at most this much; a start-up transient, such as
 * a long-stay unit filling from empty, moves more. */
static double calendar_band(const struct flyt_scenario *s)
{
    double lo = s->month_factor[0], hi = lo;
    for (int m = 1; m < 12; m++) {
        lo = s->month_factor[m] < lo ? s->month_factor[m] : lo;
        hi = s->month_factor[m] > hi ? s->month_factor[m] : hi;
    }
    double band = lo > 0 ? hi / lo : INFINITY;
    band *= table_band(s, (size_t)ceil(s->warmup_days));
    double years = (s->horizon_days - s->warmup_days) / 365.0;
    if (s->n_growth_by_year > 0) {
        double glo = s->growth_by_year[0], ghi = glo;
        for (size_t y = 1; y < s->n_growth_by_year; y++) {
            glo = s->growth_by_year[y] < glo ? s->growth_by_year[y] : glo;
            ghi = s->growth_by_year[y] > ghi ? s->growth_by_year[y] : ghi;
        }
        band *= glo > 0 ? ghi / glo : INFINITY;
    } else {
        band *= pow(1.0 + fabs(s->growth_per_year), years);
    }
    return band;
}

/* A given warm-up, checked on what was measured (20 batches at least, as
 * fewer tell little): a truncation MSER-5 puts well inside the window,
 * with the cut part's level clearly apart from the rest's, says the
 * series still trend after the warm-up. Silent otherwise: autocorrelated
 * but settled series give small truncations too. Where the calendar
 * drives demand, seasons read as trends: only censuses are checked there
 * (a queue magnifies a season without bound), not those of a unit whose
 * capacity is scheduled, and the shift must exceed what the calendar can
 * do (calendar_band). */
static void warn_short_warmup(const struct flyt_scenario *s, const struct flyt_result *res,
                              unsigned n, const struct flyt_series_reduce *red)
{
    size_t n_days = flyt_cli_series_days(s);
    struct flyt_warmup_check w = { 0 };
    if (n_days < 100 || mser_check(s, res, n, red, n_days, &w) < 0)
        return;
    bool calendar = calendar_driven(s);
    double band = calendar ? calendar_band(s) : 1;
    size_t worst = w.n, flagged = 0;
    for (size_t i = 0; i < w.n; i++) {
        const struct flyt_mser *m = &w.series[i].m;
        bool census = i == 0 || (i >= 3 && (i - 3) % 2 == 0);
        const struct flyt_unit *u = i >= 3 ? &s->units[(i - 3) / 2] : NULL;
        /* too_short, still moving half-way: a unit filling through the
         * window (a long-stay unit started empty); a queue, or the
         * hospital's census that holds one, may instead grow without end
         * (a unit closed or overloaded), which no warm-up cures */
        bool fills = m->too_short && census && u && !u->hospital;
        if (!m->shifted || (m->too_short && !fills) ||
            (!m->too_short && (double)m->days <= 0.1 * (double)n_days))
            continue;
        if (calendar) {
            if (!census || (u && (u->schedule.n_changes || u->schedule.n_recurring)))
                continue;
            double a = fabs(m->head), b = fabs(m->tail);
            double lo = a < b ? a : b, hi = a < b ? b : a;
            if (!(hi > band * lo))
                continue;
        }
        flagged++;
        if (worst == w.n || (m->too_short && !w.series[worst].m.too_short) ||
            (m->too_short == w.series[worst].m.too_short && m->days > w.series[worst].m.days))
            worst = i;
    }
    if (flagged && w.series[worst].m.too_short)
        fprintf(stderr,
                "flyt run: warning: warm-up may be too short: the daily series '%s' still "
                "trends through the measured window (MSER-5 finds no level it settles to in "
                "its first half%s); try --warmup auto with a longer run.horizon_days\n",
                w.series[worst].name, flagged > 1 ? "; other series too" : "");
    else if (flagged)
        fprintf(stderr,
                "flyt run: warning: warm-up may be too short: the daily series '%s' still "
                "trends for ~%zu days after it (MSER-5%s); try --warmup auto, or a warm-up of "
                "at least %g days\n",
                w.series[worst].name, w.series[worst].m.days,
                flagged > 1 ? ", and other series too" : "",
                s->warmup_days + (double)w.series[worst].m.days);
    flyt_warmup_check_free(&w);
}

/* -r auto: rounds of replications until every watched KPI is precise
 * enough. Replication r draws the same numbers in any round (streams keyed
 * by r), so the rounds before the last are the first replications of a
 * plain run with the final count, and its figures are that run's. The
 * series are kept whole through the rounds and folded (--series) once the
 * count is known, as the reducer cannot tell a replication it already has. */
static int run_sequential(const struct run_opts *o, struct flyt_scenario *s,
                          struct flyt_result **res, unsigned *n, struct flyt_series_reduce **red,
                          struct flyt_precision_report *p, struct flyt_progress *prog,
                          const struct flyt_experiment_resume *journal)
{
    /* res holds p->max results (the journal loads any of them) */
    unsigned have = 0, want = *n;
    bool *done = malloc(p->max * sizeof *done);
    int rc = 0;
    if (!done) {
        fputs("flyt run: error: out of memory\n", stderr);
        return -1;
    }
    for (;;) {
        *n = want;
        for (unsigned r = 0; r < want; r++)
            done[r] = r < have || (journal && journal->done && journal->done[r]);
        struct flyt_experiment_resume rs = { done, journal ? journal->finished : NULL,
                                             journal ? journal->ctx : NULL };
        rc = flyt_experiment_run_with(s, want, o->c.threads, *res, flyt_progress_update, prog, NULL,
                                      NULL, &rs);
        have = want;
        p->batches++;
        p->replications = have;
        if (rc != 0 || flyt_experiment_stop_requested())
            break;
        flyt_precision_assess(p, *res, have);
        if (p->met || have >= p->max || flyt_cli_precision_nothing("run", p))
            break;
        want = flyt_precision_next(have, p->max);
    }
    /* a journal from a run with another --precision may hold more */
    for (unsigned r = *n; r < p->max; r++)
        flyt_result_free(&(*res)[r]);
    p->replications = *n;
    s->replications = *n;
    if (rc == 0 && !flyt_experiment_stop_requested()) {
        bool fail;
        *red = series_reducer(o, s, &fail);
        if (fail) {
            rc = -1;
        } else if (*red) {
            for (unsigned r = 0; r < *n; r++)
                done[r] = true;
            struct flyt_experiment_resume rs = { done, NULL, NULL };
            rc = flyt_experiment_run_with(s, *n, o->c.threads, *res, NULL, NULL, NULL, *red, &rs);
        }
        if (!p->met && *n >= p->max)
            fprintf(stderr,
                    "flyt run: warning: -r auto: the maximum of %u replications was reached "
                    "before the 95%% CI half-width was within %g%% of the mean for every "
                    "--precision-kpi (see below the table); --max-replications raises it\n",
                    p->max, 100 * p->target);
    }
    free(done);
    return rc;
}

/* -r auto with --patients or --events: the logs' tables are sized by the
 * replication count, known only once the rounds are over, so the final
 * count is run again with the logs on. Replication r draws the same
 * numbers in any run, so the results are the rounds' own, bit for bit, at
 * the cost of a second pass. Returns the experiment's code, or EXIT_FAIL
 * when the log cannot be opened (said on stderr). */
static int rerun_with_logs(const struct run_opts *o, const struct flyt_scenario *s,
                           struct flyt_result *res, unsigned n, struct flyt_h5_log **log,
                           const char *out, struct flyt_progress *prog)
{
    char err[512];
    if (!(*log = flyt_h5_log_open(out, o->patients, o->events, n, err, sizeof err))) {
        fprintf(stderr, "flyt run: error: %s\n", err);
        return EXIT_FAIL;
    }
    for (unsigned r = 0; r < n; r++)
        flyt_result_free(&res[r]);
    memset(res, 0, n * sizeof *res);
    return flyt_experiment_run_with(s, n, o->c.threads, res, flyt_progress_update, prog,
                                    flyt_h5_log_hooks(*log), NULL, NULL);
}

static int execute(const struct run_opts *o, struct flyt_scenario *s,
                   const struct flyt_warmup_check *warmup)
{
    const char *out = o->c.output ? o->c.output : "flyt-out.h5";
    const char *inputs[] = { o->scenario };
    int claimed = flyt_cli_claim_output("run", out, FLYT_OUT_HDF5, inputs, 1);
    if (claimed >= 0)
        return claimed;
    unsigned n = s->replications;
    struct flyt_precision_report prec = { .target = o->c.precision,
                                          .max = o->c.max_reps ? o->c.max_reps
                                                               : FLYT_PRECISION_DEFAULT_MAX };
    if (o->c.r_auto) {
        if (flyt_cli_precision_kpis("run", o->c.precision_kpi, s, &prec) < 0)
            return EXIT_BAD_INPUT;
        n = n < FLYT_PRECISION_MIN_BATCH ? FLYT_PRECISION_MIN_BATCH : n;
        n = n > prec.max ? prec.max : n;
    }
    bool red_failed = false;
    struct flyt_series_reduce *red = o->c.r_auto ? NULL : series_reducer(o, s, &red_failed);
    if (red_failed)
        return EXIT_FAIL;
    /* -r auto: room for the most replications the rounds may reach, and a
     * journal of as many, so that an interrupted run resumes its rounds */
    unsigned cap = o->c.r_auto ? prec.max : n;
    struct flyt_result *res = calloc(cap, sizeof *res);
    if (!res) {
        fputs("flyt run: error: out of memory\n", stderr);
        flyt_series_reduce_free(red);
        return EXIT_FAIL;
    }
    char err[512];
    const struct flyt_scenario *cs = s;
    struct flyt_cli_resume k = { 0 };
    int opened = o->patients || o->events
                         ? -1
                         : flyt_cli_resume_open(&k, "run", out, &cs, 1, cap, o->resume, &res);
    if (opened >= 0) {
        for (unsigned r = 0; r < cap; r++)
            flyt_result_free(&res[r]);
        free(res);
        flyt_series_reduce_free(red);
        return opened;
    }
    struct flyt_h5_log *log = NULL;
    if ((o->patients || o->events) && !o->c.r_auto &&
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
    int rc = o->c.r_auto ? run_sequential(o, s, &res, &n, &red, &prec, &prog,
                                          k.ck ? flyt_cli_resume_hooks(&k, 0) : NULL)
                         : flyt_experiment_run_with(s, n, o->c.threads, res, flyt_progress_update,
                                                    &prog, log ? flyt_h5_log_hooks(log) : NULL, red,
                                                    log ? NULL : flyt_cli_resume_hooks(&k, 0));
    if (o->c.r_auto && (o->patients || o->events) && rc == 0 && !flyt_experiment_stop_requested()) {
        flyt_progress_done(&prog);
        flyt_progress_init(&prog, o->c.progress, "logs");
        rc = rerun_with_logs(o, s, res, n, &log, out, &prog);
        if (rc == EXIT_FAIL) {
            flyt_progress_done(&prog);
            for (unsigned r = 0; r < n; r++)
                flyt_result_free(&res[r]);
            free(res);
            flyt_series_reduce_free(red);
            return EXIT_FAIL;
        }
    }
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
        sum.warmup = warmup;
        sum.precision = o->c.r_auto ? &prec : NULL;
        if (!warmup)
            warn_short_warmup(s, res, n, red);
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
    /* --warmup after every --set, so that it wins as -r does */
    const char *sets[CLI_MAX_SETS + 3];
    int n_sets = 0;
    for (int i = 0; i < o.c.n_sets; i++)
        sets[n_sets++] = o.c.sets[i];
    if (o.warmup_set[0])
        sets[n_sets++] = o.warmup_set;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(o.scenario, sets, n_sets, &diag);
    if (diag.warnings)
        fputs(diag.warnings, stderr); /* never stop a run: the planner may mean it */
    if (!s) {
        fputs(diag.text ? diag.text : "flyt run: error: cannot load the scenario\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    struct flyt_warmup_check w = { 0 };
    rc = s->warmup_auto ? choose_warmup(&o, s, &w) : -1;
    if (rc < 0)
        rc = execute(&o, s, s->warmup_auto ? &w : NULL);
    flyt_warmup_check_free(&w);
    flyt_scenario_free(s);
    return rc;
}
