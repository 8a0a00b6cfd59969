/* flyt forecast: from today's census to the days ahead. Reads the census
 * (refusing rows it cannot use and columns that identify people), runs the
 * scenario from it with day 0 = the census date, prints a day-by-day table
 * and writes the HDF5 file. --dump-census goes the other way: a simulated
 * day of a scenario written as a census file. */
#include "cli/cli.h"
#include "flyt/date.h"
#include "flyt/forecast.h"
#include "flyt/outfile.h"
#include "flyt/output.h"

#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IGNORE 64

static void usage(FILE *out)
{
    fputs("Usage: flyt forecast [SCENARIO] --census FILE [options]\n"
          "       flyt forecast [SCENARIO] --dump-census FILE --day D [options]\n"
          "\n"
          "Runs SCENARIO (default: the embedded Trondheim baseline) from the patients in a\n"
          "census file, with day 0 = the census date, and reports for every day ahead the\n"
          "median, 50% and 90% bands of each unit's census and of the UKP queue, the\n"
          "probability that each unit is full, the UKP waiting days accrued, and the\n"
          "census's UKP patients most likely to still wait in a week. The census format\n"
          "is in docs/forecast.md.\n"
          "\n"
          "Options:\n"
          "      --census FILE        the census (CSV, one row per patient)\n"
          "      --date YYYY-MM-DD    the census date (default: the file's first line\n"
          "                           '# census_date: YYYY-MM-DD')\n"
          "      --days N             days ahead (default 28)\n"
          "  -r, --replications N     replications (default 500)\n"
          "      --seed S             random seed (overrides run.seed)\n"
          "  -t, --threads N          worker threads (default: one per CPU); results are\n"
          "                           identical for any N\n"
          "      --set KEY=VALUE      override a scalar of the scenario (repeatable)\n"
          "  -o, --output FILE        HDF5 output (default flyt-forecast.h5)\n"
          "      --ignore-column NAME skip a column of the census unread (repeatable); a\n"
          "                           column that looks like it identifies a person (name,\n"
          "                           fodselsnummer, date of birth, address, ...) is refused\n"
          "                           unless it is named here\n"
          "      --top N              UKP patients to list (default 10; all are in the file)\n"
          "      --progress, --no-progress\n"
          "                           the progress line on stderr (default: on a terminal)\n"
          "      --dump-census FILE   instead of forecasting, run replication --replication\n"
          "                           (default 0) of SCENARIO to 00:00 of day --day and write\n"
          "                           everyone in the system then as a census file\n"
          "      --day D              the day for --dump-census (1 or more)\n"
          "      --replication R      the replication for --dump-census\n"
          "  -h, --help               this help\n"
          "\n"
          "Exit status: 0 ok, 1 a replication stopped early or output failed, 2 bad input\n"
          "(a bad census row is reported as FILE:ROW: error: column NAME: what is wrong),\n"
          "130 stopped by SIGINT (Ctrl-C), 143 stopped by SIGTERM (nothing is written).\n",
          out);
}

struct fc_opts {
    const char *scenario, *census, *dump;
    struct flyt_cli_opts c; /* -o, -r, --seed, -t, --set, --progress */
    const char *ignore[MAX_IGNORE];
    int n_ignore;
    int census_day; /* INT32_MIN: from the file */
    unsigned long long days, top, day, replication;
    bool have_day;
};

#define FC_OPTS                                                                          \
    (FLYT_OPT_OUTPUT | FLYT_OPT_REPS | FLYT_OPT_SEED | FLYT_OPT_THREADS | FLYT_OPT_SET | \
     FLYT_OPT_PROGRESS)

static bool parse_date_opt(const char *v, int *day)
{
    int y, m, d, n = 0, ry, rm, rd;
    if (sscanf(v, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && v[n] == '\0' && y >= 1900 && y <= 2200) {
        *day = flyt_days_from_civil(y, m, d);
        flyt_civil_from_days(*day, &ry, &rm, &rd);
        if (ry == y && rm == m && rd == d)
            return true;
    }
    fprintf(stderr, "flyt forecast: error: --date needs a real date YYYY-MM-DD, got '%s'\n", v);
    return false;
}

enum {
    OPT_CENSUS = FLYT_OPTV_CMD,
    OPT_DATE,
    OPT_DAYS,
    OPT_IGNORE_COLUMN,
    OPT_TOP,
    OPT_DUMP_CENSUS,
    OPT_DAY,
    OPT_REPLICATION,
};

/* Option c (p->arg its value); returns -1 to go on, or an exit status. */
static int option(const struct flyt_cli_args *p, int c, struct fc_opts *o)
{
    const char *x = p->arg;
    int rc = flyt_cli_args_take(p, FC_OPTS, c, &o->c, usage);
    if (rc >= 0)
        return rc; /* bad input or -h */
    if (rc == FLYT_CLI_TAKEN)
        return -1;
    switch (c) {
    case FLYT_OPTV_POSITIONAL:
        if (o->scenario) {
            fprintf(stderr, "flyt forecast: error: one scenario at a time, got '%s' and '%s'\n",
                    o->scenario, x);
            return EXIT_BAD_INPUT;
        }
        o->scenario = x;
        return -1;
    case OPT_CENSUS:
        o->census = x;
        return -1;
    case OPT_DUMP_CENSUS:
        o->dump = x;
        return -1;
    case OPT_DATE:
        return parse_date_opt(x, &o->census_day) ? -1 : EXIT_BAD_INPUT;
    case OPT_DAYS:
        return flyt_cli_args_uint(p, 1, 3650, &o->days) ? -1 : EXIT_BAD_INPUT;
    case OPT_TOP:
        return flyt_cli_args_uint(p, 0, 1000000, &o->top) ? -1 : EXIT_BAD_INPUT;
    case OPT_REPLICATION:
        return flyt_cli_args_uint(p, 0, 1000000, &o->replication) ? -1 : EXIT_BAD_INPUT;
    case OPT_DAY:
        o->have_day = true;
        return flyt_cli_args_uint(p, 1, 365000, &o->day) ? -1 : EXIT_BAD_INPUT;
    case OPT_IGNORE_COLUMN:
        if (o->n_ignore >= MAX_IGNORE) {
            fprintf(stderr, "flyt forecast: error: at most %d --ignore-column options\n",
                    MAX_IGNORE);
            return EXIT_BAD_INPUT;
        }
        o->ignore[o->n_ignore++] = x;
        return -1;
    default: /* '?': printed */
        return EXIT_BAD_INPUT;
    }
}

static int parse(int argc, char **argv, struct fc_opts *o)
{
    static const struct option own[] = {
        { "census", required_argument, NULL, OPT_CENSUS },
        { "date", required_argument, NULL, OPT_DATE },
        { "days", required_argument, NULL, OPT_DAYS },
        { "ignore-column", required_argument, NULL, OPT_IGNORE_COLUMN },
        { "top", required_argument, NULL, OPT_TOP },
        { "dump-census", required_argument, NULL, OPT_DUMP_CENSUS },
        { "day", required_argument, NULL, OPT_DAY },
        { "replication", required_argument, NULL, OPT_REPLICATION },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "forecast", argc, argv, FC_OPTS, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        int rc = option(&p, c, o);
        if (rc >= 0)
            return rc;
    }
    if (o->dump && o->census) {
        fputs("flyt forecast: error: --census and --dump-census go different ways: one at a "
              "time\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    if (o->dump && !o->have_day) {
        fputs("flyt forecast: error: --dump-census needs --day D\n", stderr);
        return EXIT_BAD_INPUT;
    }
    if (!o->dump && !o->census) {
        fputs("flyt forecast: error: --census FILE is required (see flyt forecast --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    if (o->c.have_seed) { /* after the --set options: --seed wins */
        snprintf(o->c.seed_set, sizeof o->c.seed_set, "run.seed=%llu", o->c.seed);
        o->c.sets[o->c.n_sets++] = o->c.seed_set;
    }
    return -1;
}

/* The user's overrides first, then what the forecast itself fixes. */
/* warn: print the plausibility warnings (once: the scenario as given) */
static struct flyt_scenario *load(const struct fc_opts *o, const char *const *extra, int n_extra,
                                  bool warn)
{
    const char *sets[CLI_MAX_SETS + 16];
    int n = 0;
    for (int i = 0; i < o->c.n_sets; i++)
        sets[n++] = o->c.sets[i];
    for (int i = 0; i < n_extra; i++)
        sets[n++] = extra[i];
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(o->scenario, sets, n, &diag);
    if (warn && diag.warnings)
        fputs(diag.warnings, stderr); /* never stop a forecast, as flyt run */
    if (!s)
        fputs(diag.text ? diag.text : "flyt forecast: error: cannot load the scenario\n", stderr);
    flyt_diag_free(&diag);
    if (s && s->n_munis > 0) {
        /* a census row has no home municipality: whose patient it is, and so
         * whose streams, payment and units follow, cannot be read from it */
        fprintf(stderr,
                "flyt forecast: error: '%s' is a region (municipalities): a census names no "
                "home municipality, so forecasts are for a file of one municipality; run "
                "each municipality's own scenario\n",
                o->scenario ? o->scenario : "<embedded>");
        flyt_scenario_free(s);
        return NULL;
    }
    return s;
}

static void date_text(int day, char *buf, size_t n)
{
    int y, m, d;
    flyt_civil_from_days(day, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}

/* Like every output: a temporary file, fsynced, renamed over path; on any
 * failure the old file stays as it was. */
struct census_arg {
    const struct flyt_census *c;
    const struct flyt_scenario *s;
    int day;
};

static int census_body(FILE *f, const void *arg)
{
    const struct census_arg *a = arg;
    return flyt_census_write_csv(f, a->c, a->s, a->day);
}

static int write_census(const char *path, const struct flyt_census *c,
                        const struct flyt_scenario *s, int day, char *err, size_t errlen)
{
    const struct census_arg a = { c, s, day };
    return flyt_out_write(path, FLYT_OUT_CENSUS, census_body, &a, err, errlen);
}

static int dump(const struct fc_opts *o)
{
    char h[64], w[64], rep[64];
    snprintf(h, sizeof h, "run.horizon_days=%llu", o->day + 1);
    snprintf(w, sizeof w, "run.warmup_days=0");
    snprintf(rep, sizeof rep, "run.replications=%llu", o->replication + 1);
    const char *extra[] = { h, w, rep };
    struct flyt_scenario *s = load(o, extra, 3, false);
    if (!s)
        return EXIT_BAD_INPUT;
    const char *inputs[] = { o->scenario };
    int claimed = flyt_cli_claim_output("forecast", o->dump, FLYT_OUT_CENSUS, inputs, 1);
    if (claimed >= 0) {
        flyt_scenario_free(s);
        return claimed;
    }
    struct flyt_census c = { 0 };
    int rc = flyt_model_census_at(s, (unsigned)o->replication, (double)o->day, &c);
    int status = EXIT_OK;
    if (rc != 0) {
        fprintf(stderr, "flyt forecast: error: replication %llu stopped before day %llu\n",
                o->replication, o->day);
        status = EXIT_FAIL;
    } else {
        int day0 = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
        char err[1024];
        if (write_census(o->dump, &c, s, day0 + (int)o->day, err, sizeof err) != 0) {
            fprintf(stderr, "flyt forecast: error: %s\n", err);
            status = EXIT_FAIL;
        }
        char date[32];
        date_text(day0 + (int)o->day, date, sizeof date);
        if (status == EXIT_OK)
            fprintf(stderr, "flyt forecast: wrote %zu patients (census date %s) to %s\n", c.n, date,
                    o->dump);
    }
    flyt_census_free(&c);
    flyt_scenario_free(s);
    return status;
}

/* Accepted, because a census above capacity is what a forecast is for;
 * said out loud, because the scenario's capacity may be what is wrong. */
static void capacity_warnings(const struct fc_opts *o, const struct flyt_scenario *s,
                              const struct flyt_census *c, const struct flyt_forecast *f)
{
    for (size_t i = 0; i < f->n_units && f->n_days > 0; i++) {
        const struct flyt_fc_unit *fu = &f->units[i];
        const struct flyt_unit *un = &s->units[fu->unit];
        double have = 0, cap = fu->capacity[0];
        if (un->kind == FLYT_UNIT_CASELOAD) {
            have = fu->fig[FLYT_FCU_hours].path[0];
        } else if (un->kind == FLYT_UNIT_BEDS) {
            for (size_t k = 0; k < c->n; k++)
                have += c->p[k].loc == fu->unit;
        } else {
            continue; /* unlimited */
        }
        if (have > cap + 1e-9)
            fprintf(stderr,
                    "%s: warning: the census needs %.0f %s of %s on the census date, above the "
                    "scenario's %.0f; accepted: nobody is moved out, admissions wait until "
                    "there is room\n",
                    o->census, have, un->kind == FLYT_UNIT_BEDS ? "beds" : "hours per week", un->id,
                    cap);
    }
}

static void band(char *buf, size_t n, const struct flyt_fc_figure *g, size_t d)
{
    snprintf(buf, n, "%.0f (%.0f-%.0f)", g->q[2][d], g->q[0][d], g->q[4][d]);
}

static const char *const weekday[7] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* One table per unit: its census and queue, how often it is full, what it
 * has open (capacity schedules change it), and a caseload's hours. */
static void print_unit(const struct flyt_scenario *s, const struct flyt_forecast *f,
                       const struct flyt_fc_unit *fu, int census_day)
{
    const struct flyt_unit *un = &s->units[fu->unit];
    bool hours = fu->fig[FLYT_FCU_hours].path != NULL, beds = un->kind == FLYT_UNIT_BEDS;
    printf("\n%s (%s, %s)\n", un->id, un->name ? un->name : un->id,
           beds    ? "beds"
           : hours ? "caseload: clients, hours per week"
                   : "unlimited: patients");
    printf("%3s %-10s %-3s  %-17s %5s  %-13s", "day", "date", "", beds ? "occupied" : "census",
           "full", "queue");
    if (hours)
        printf("  %-22s", "hours/week");
    printf(" %9s\n", beds ? "beds open" : hours ? "hours open" : "");
    for (size_t d = 0; d < f->n_days; d++) {
        char date[16], cen[48], q[48], h[64];
        date_text(census_day + (int)d, date, sizeof date);
        band(cen, sizeof cen, &fu->fig[FLYT_FCU_census], d);
        band(q, sizeof q, &fu->fig[FLYT_FCU_queue], d);
        printf("%3zu %-10s %-3s  %-17s %4.0f%%  %-13s", d, date,
               weekday[flyt_weekday(census_day + (int)d)], cen, 100 * fu->p_full[d], q);
        if (hours) {
            band(h, sizeof h, &fu->fig[FLYT_FCU_hours], d);
            printf("  %-22s", h);
        }
        if (isfinite(fu->capacity[d]))
            printf(" %9.0f\n", fu->capacity[d]);
        else
            printf(" %9s\n", "");
    }
}

static void print_table(const struct fc_opts *o, const struct flyt_scenario *s,
                        const struct flyt_forecast *f, int census_day)
{
    printf("%s from %s: %u replications; median (90%% band); full = share of replications\n"
           "with the unit full at 00:00 (beds: every bed occupied; caseload: a request waits\n"
           "for hours); 50%% bands and every figure per day are in the HDF5 file\n\n",
           s->name, o->census, f->n_rep);
    printf("%3s %-10s %-3s  %-15s %-14s %9s %9s\n", "day", "date", "", "in treatment",
           "UKP waiting", "UKP d/day", "UKP d cum");
    for (size_t d = 0; d < f->n_days; d++) {
        char date[16], t[48], u[48];
        date_text(census_day + (int)d, date, sizeof date);
        band(t, sizeof t, &f->fig[FLYT_FC_hospital_treatment], d);
        band(u, sizeof u, &f->fig[FLYT_FC_ukp_waiting], d);
        printf("%3zu %-10s %-3s  %-15s %-14s %9.1f %9.1f\n", d, date,
               weekday[flyt_weekday(census_day + (int)d)], t, u, f->fig[FLYT_FC_ukp_days].mean[d],
               f->fig[FLYT_FC_ukp_days_cum].mean[d]);
    }
    for (size_t i = 0; i < f->n_units; i++)
        print_unit(s, f, &f->units[i], census_day);
    size_t top = o->top < f->n_ukp ? (size_t)o->top : f->n_ukp;
    if (top == 0)
        return;
    char date[16];
    date_text(census_day + (int)f->check_day, date, sizeof date);
    printf("\nUKP patients of the census most likely to still wait on day %zu (%s):\n",
           f->check_day, date);
    for (size_t i = 0; i < top; i++)
        printf("  %s row %-6u %5.1f %%\n", o->census, f->ukp_row[i], 100 * f->p_still_ukp[i]);
}

/* As flyt run: bands from the replications that finished would pass for a
 * forecast, so nothing is written. */
static int report_interrupted(const struct flyt_forecast *f, const char *out)
{
    int sig = flyt_cli_signal_caught();
    fprintf(stderr,
            "flyt forecast: stopped by %s after %u of %u replications; no output written (%s "
            "left as it was)\n",
            sig == SIGTERM ? "SIGTERM" : "SIGINT", f->finished, f->n_rep, out);
    return 128 + (sig ? sig : SIGINT);
}

static int run_forecast(const struct fc_opts *o, const struct flyt_scenario *s,
                        const struct flyt_census *c, int census_day)
{
    const char *out = o->c.output ? o->c.output : "flyt-forecast.h5";
    const char *inputs[] = { o->scenario, o->census };
    int claimed = flyt_cli_claim_output("forecast", out, FLYT_OUT_HDF5, inputs, 2);
    if (claimed >= 0)
        return claimed;
    struct flyt_forecast f;
    struct flyt_progress prog;
    flyt_progress_init(&prog, o->c.progress, s->name);
    size_t n_days = (size_t)o->days + 1, check = o->days < 7 ? (size_t)o->days : 7;
    flyt_cli_signals_install();
    int rc = flyt_forecast_run(s, c, (unsigned)o->c.reps, o->c.threads, n_days, check, &f,
                               flyt_progress_update, &prog);
    flyt_progress_done(&prog);
    int status = EXIT_OK;
    if (rc == FLYT_EXPERIMENT_STOPPED || (rc == 0 && flyt_experiment_stop_requested())) {
        status = report_interrupted(&f, out);
    } else if (rc != 0) {
        fprintf(stderr, "flyt forecast: error: %s; no output written\n",
                rc > 0 ? "a replication stopped early (runaway guard: run.max_patients)"
                       : "out of memory");
        status = EXIT_FAIL;
    } else {
        capacity_warnings(o, s, c, &f);
        char date[16], err[512];
        date_text(census_day, date, sizeof date);
        struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(),
                                      o->c.threads ? o->c.threads
                                                   : flyt_experiment_default_threads(),
                                      f.wall_seconds };
        if (flyt_h5_write_forecast(out, s, c, date, &f, &meta, err, sizeof err) != 0) {
            fprintf(stderr, "flyt forecast: error: %s\n", err);
            status = EXIT_FAIL;
        }
        print_table(o, s, &f, census_day);
        if (status == EXIT_OK)
            fprintf(stderr, "flyt forecast: %u replications of %zu days in %.2f s; wrote %s\n",
                    f.n_rep, n_days - 1, f.wall_seconds, out);
    }
    flyt_forecast_free(&f);
    return status;
}

static int forecast(const struct fc_opts *o)
{
    /* The scenario is needed to read the census (its unit ids and age
     * bands), and the census to fix the scenario's start (its date): load
     * twice. Unit indices of the census hold for both loads: the second
     * differs only in run settings. */
    struct flyt_scenario *s0 = load(o, NULL, 0, true);
    if (!s0)
        return EXIT_BAD_INPUT;
    struct flyt_census c = { 0 };
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_census_read_opts ro = { o->ignore, o->n_ignore, s0, o->census_day, stderr };
    int census_day;
    int rc = flyt_census_read(o->census, &ro, &c, &census_day, &diag);
    flyt_scenario_free(s0);
    if (rc != 0) {
        fputs(diag.text ? diag.text : "flyt forecast: error: cannot read the census\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    char date[48], h[64], rep[64];
    char start[80];
    date_text(census_day, date, sizeof date);
    snprintf(start, sizeof start, "run.start_date=%s", date);
    snprintf(h, sizeof h, "run.horizon_days=%llu", o->days + 1);
    snprintf(rep, sizeof rep, "run.replications=%llu", o->c.reps);
    const char *extra[] = { start, h, "run.warmup_days=0", rep };
    struct flyt_scenario *s = load(o, extra, 4, false);
    int status = s ? run_forecast(o, s, &c, census_day) : EXIT_BAD_INPUT;
    flyt_scenario_free(s);
    flyt_census_free(&c);
    return status;
}

int flyt_cmd_forecast(int argc, char **argv)
{
    struct fc_opts o = {
        .c = { .progress = -1, .reps = 500 }, .census_day = INT32_MIN, .days = 28, .top = 10
    };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    return o.dump ? dump(&o) : forecast(&o);
}
