/* flyt calibrate: fit scenario parameters to target KPIs (issue 9). A bad
 * spec stops before anything is simulated (exit 2); a fit that does not
 * converge prints its best point and writes nothing (exit 1). */
#include "cli/cli.h"
#include "flyt/calibrate.h"
#include "flyt/outfile.h"
#include "output/print/print_util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt calibrate SPEC [options]\n"
          "\n"
          "Fits the parameters named in the calibration spec SPEC (a libconfig file: the\n"
          "scenario, parameters as key paths with ranges, target KPIs with tolerances;\n"
          "see docs/calibration.md) with Nelder-Mead on the mean KPIs over replications,\n"
          "every evaluation with the same seed and replications (common random numbers).\n"
          "Prints the fitted values and the KPIs achieved with 95% confidence intervals,\n"
          "and writes the fitted scenario.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE     fitted scenario (default flyt-fitted.cfg); written to\n"
          "                        FILE.partial.XXXXXX and renamed; only when the fit converged\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N\n"
          "      --max-evals N     evaluation budget (overrides the spec's max_evaluations)\n"
          "      --no-intervals    skip the fitted values' intervals (2 evaluations per\n"
          "                        parameter after the fit)\n"
          "      --format FMT      table (default) or json, on stdout\n"
          "      --progress        one line per evaluation on stderr (default: when stderr\n"
          "                        is a terminal)\n"
          "      --no-progress     never\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 converged and written, 1 not converged (the best point is printed)\n"
          "or a failure, 2 bad input (spec, scenario, option).\n",
          out);
}

struct cal_opts {
    const char *spec;
    struct flyt_cli_opts c; /* -o, -t, --format, --progress */
    unsigned max_evals;
    bool no_intervals;
};

#define CAL_OPTS (FLYT_OPT_OUTPUT | FLYT_OPT_THREADS | FLYT_OPT_FORMAT | FLYT_OPT_PROGRESS)

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct cal_opts *o)
{
    unsigned long long v;
    enum { OPT_MAX_EVALS = FLYT_OPTV_CMD, OPT_NO_INTERVALS };
    static const struct option own[] = {
        { "max-evals", required_argument, NULL, OPT_MAX_EVALS },
        { "no-intervals", no_argument, NULL, OPT_NO_INTERVALS },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "calibrate", argc, argv, CAL_OPTS, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        int rc = flyt_cli_args_take(&p, CAL_OPTS, c, &o->c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        if (c == OPT_MAX_EVALS) {
            if (!flyt_cli_args_uint(&p, 1, 1000000, &v))
                return EXIT_BAD_INPUT;
            o->max_evals = (unsigned)v;
        } else if (c == OPT_NO_INTERVALS) {
            o->no_intervals = true;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!o->spec) {
            o->spec = p.arg;
        } else {
            fprintf(stderr, "flyt calibrate: error: one spec at a time, got '%s' and '%s'\n",
                    o->spec, p.arg);
            return EXIT_BAD_INPUT;
        }
    }
    if (!o->spec) {
        fputs("flyt calibrate: error: name a calibration spec (see flyt calibrate --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

struct progress_ctx {
    const struct flyt_calib_spec *spec;
    double t0;
};

static void on_eval(const struct flyt_calib_eval *ev, void *ctx)
{
    const struct progress_ctx *pc = ctx;
    const struct flyt_calib_spec *spec = pc->spec;
    fprintf(stderr, "calibrate %s%3u:", ev->slope ? "slope " : "eval ", ev->index);
    for (int k = 0; k < spec->n_params; k++)
        fprintf(stderr, " %s%s%.6g", spec->params[k].name,
                spec->params[k].mode == FLYT_CALIB_SCALE ? " x" : "=", ev->x[k]);
    fputs(" ->", stderr);
    for (int t = 0; t < spec->n_targets; t++)
        fprintf(stderr, " %s %.4g", spec->targets[t].kpi_name, ev->mean[t]);
    fprintf(stderr, "; objective %.4g (%.0f s)\n", ev->objective, flyt_cli_seconds() - pc->t0);
}

static const char *status_name(enum flyt_calib_status s)
{
    static const char *const names[] = { "converged", "max_evaluations", "missed_targets", "stuck",
                                         "run_failed" };
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "unknown";
}

static void print_params(FILE *out, const struct flyt_calib_spec *spec,
                         const struct flyt_calib_report *rep)
{
    int w = 9;
    for (int k = 0; k < spec->n_params; k++) {
        int len = (int)strlen(spec->params[k].name) + 2;
        for (int j = 0; spec->params[k].mode == FLYT_CALIB_SCALE && j < spec->params[k].n_keys; j++)
            if ((int)strlen(spec->params[k].keys[j]) + 4 > len)
                len = (int)strlen(spec->params[k].keys[j]) + 4;
        if (len > w)
            w = len;
    }
    fprintf(out, "%-*s  %10s  %10s  %-25s  %s\n", w, "parameter", "start", "fitted",
            "95% CI (from KPI noise)", "range");
    for (int k = 0; k < spec->n_params; k++) {
        const struct flyt_calib_param *p = &spec->params[k];
        char start[32], fitted[32], ci[80];
        fprintf(out, "%-*s  %10s  %10s  %-25s  %g to %g%s\n", w, p->name,
                flyt__fmt_num(start, sizeof start, p->start),
                flyt__fmt_num(fitted, sizeof fitted, rep->fitted[k]),
                flyt__fmt_ci(ci, sizeof ci, rep->fitted[k], rep->ci_half[k]), p->min, p->max,
                p->mode == FLYT_CALIB_SCALE ? " (a factor on the keys below)" : "");
        for (int j = 0; p->mode == FLYT_CALIB_SCALE && j < p->n_keys; j++) {
            char key[FLYT_CALIB_KEY_LEN + 8];
            snprintf(key, sizeof key, "    %s", p->keys[j]);
            fprintf(out, "%-*s  %10s  %10s  %-25s\n", w, key,
                    flyt__fmt_num(start, sizeof start, p->base[j] * p->start),
                    flyt__fmt_num(fitted, sizeof fitted, p->base[j] * rep->fitted[k]),
                    flyt__fmt_ci(ci, sizeof ci, p->base[j] * rep->fitted[k],
                                 p->base[j] * rep->ci_half[k]));
        }
    }
}

static void print_targets(FILE *out, const struct flyt_calib_spec *spec,
                          const struct flyt_calib_report *rep)
{
    fprintf(out, "\n%-26s  %-10s  %10s  %9s  %10s  %-25s  %s\n", "target KPI", "units", "target",
            "tolerance", "achieved", "95% CI", "within");
    for (int t = 0; t < spec->n_targets; t++) {
        const struct flyt_calib_target *tg = &spec->targets[t];
        const struct flyt_calib_target_result *r = &rep->target[t];
        char value[32], tol[32], mean[32], ci[80];
        if (tg->tolerance > 0)
            flyt__fmt_num(tol, sizeof tol, tg->tolerance);
        else
            snprintf(tol, sizeof tol, "w %g", tg->weight);
        fprintf(out, "%-26s  %-10s  %10s  %9s  %10s  %-25s  %s\n", tg->kpi_name,
                flyt_kpi_def(tg->kpi)->units, flyt__fmt_num(value, sizeof value, tg->value), tol,
                flyt__fmt_num(mean, sizeof mean, r->mean),
                flyt__fmt_interval(ci, sizeof ci, r->ci_low, r->ci_high),
                tg->tolerance > 0 ? (r->within ? "yes" : "NO") : "-");
    }
}

static void print_table(FILE *out, const struct flyt_calib_spec *spec,
                        const struct flyt_calib_report *rep, const char *scenario_name)
{
    fprintf(out, "calibration %s: scenario '%s', %u replications, seed %llu\n", spec->path,
            scenario_name, rep->replications, (unsigned long long)rep->seed);
    fprintf(out, "%s after %u evaluations (+%u for the intervals), objective %.4g\n\n",
            rep->status == FLYT_CALIB_CONVERGED ? "converged" : "NOT converged", rep->evaluations,
            rep->slope_evaluations, rep->objective);
    print_params(out, spec, rep);
    print_targets(out, spec, rep);
}

static void json_interval(FILE *out, double lo, double hi)
{
    bool ok = isfinite(lo) && isfinite(hi);
    fputc('[', out);
    flyt__json_num(out, ok ? lo : NAN);
    fputs(", ", out);
    flyt__json_num(out, ok ? hi : NAN);
    fputc(']', out);
}

/* a fitted parameter's interval: symmetric, from the slopes */
static void json_ci(FILE *out, double mean, double half)
{
    bool ok = isfinite(mean) && isfinite(half);
    json_interval(out, ok ? mean - half : NAN, ok ? mean + half : NAN);
}

static void json_param(FILE *out, const struct flyt_calib_param *p, double fitted, double half)
{
    fputs("  {\"name\": ", out);
    flyt__json_str(out, p->name);
    fprintf(out,
            ", \"mode\": \"%s\", \"start\": ", p->mode == FLYT_CALIB_SCALE ? "scale" : "value");
    flyt__json_num(out, p->start);
    fputs(", \"fitted\": ", out);
    flyt__json_num(out, fitted);
    fputs(", \"ci95\": ", out);
    json_ci(out, fitted, half);
    fputs(", \"min\": ", out);
    flyt__json_num(out, p->min);
    fputs(", \"max\": ", out);
    flyt__json_num(out, p->max);
    fputs(", \"values\": {", out);
    for (int j = 0; j < p->n_keys; j++) {
        fputs(j ? ", " : "", out);
        flyt__json_str(out, p->keys[j]);
        fputs(": ", out);
        flyt__json_num(out, p->mode == FLYT_CALIB_SCALE ? p->base[j] * fitted : fitted);
    }
    fputs("}}", out);
}

static void json_target(FILE *out, const struct flyt_calib_target *tg,
                        const struct flyt_calib_target_result *r)
{
    fputs("  {\"kpi\": ", out);
    flyt__json_str(out, tg->kpi_name);
    fputs(", \"units\": ", out);
    flyt__json_str(out, flyt_kpi_def(tg->kpi)->units);
    fputs(", \"value\": ", out);
    flyt__json_num(out, tg->value);
    fputs(", \"tolerance\": ", out);
    flyt__json_num(out, tg->tolerance > 0 ? tg->tolerance : NAN);
    fputs(", \"weight\": ", out);
    flyt__json_num(out, tg->weight);
    fputs(", \"mean\": ", out);
    flyt__json_num(out, r->mean);
    fputs(", \"ci95\": ", out);
    json_interval(out, r->ci_low, r->ci_high);
    fprintf(out, ", \"n\": %u, \"within\": %s}", r->n,
            tg->tolerance <= 0 ? "null"
            : r->within        ? "true"
                               : "false");
}

static void print_json(FILE *out, const struct flyt_calib_spec *spec,
                       const struct flyt_calib_report *rep, const char *scenario_name)
{
    fputs("{\"spec\": ", out);
    flyt__json_str(out, spec->path);
    fputs(", \"scenario\": ", out);
    flyt__json_str(out, scenario_name);
    fprintf(out, ", \"replications\": %u, \"seed\": %llu,\n \"status\": \"%s\", \"converged\": %s",
            rep->replications, (unsigned long long)rep->seed, status_name(rep->status),
            rep->status == FLYT_CALIB_CONVERGED ? "true" : "false");
    fputs(", \"detail\": ", out);
    flyt__json_str(out, rep->detail);
    fprintf(out,
            ",\n \"evaluations\": %u, \"slope_evaluations\": %u, \"objective\": ", rep->evaluations,
            rep->slope_evaluations);
    flyt__json_num(out, rep->objective);
    fputs(",\n \"parameters\": [\n", out);
    for (int k = 0; k < spec->n_params; k++) {
        json_param(out, &spec->params[k], rep->fitted[k], rep->ci_half[k]);
        fputs(k + 1 < spec->n_params ? ",\n" : "\n", out);
    }
    fputs(" ],\n \"targets\": [\n", out);
    for (int t = 0; t < spec->n_targets; t++) {
        json_target(out, &spec->targets[t], &rep->target[t]);
        fputs(t + 1 < spec->n_targets ? ",\n" : "\n", out);
    }
    fputs(" ]}\n", out);
}

/* The best point as overrides, so a planner can run it with flyt run. */
static void print_best_point(const struct flyt_calib_spec *spec,
                             const struct flyt_calib_report *rep)
{
    char buf[FLYT_CALIB_MAX_ALL_SETS][FLYT_CALIB_SET_LEN];
    const char *sets[FLYT_CALIB_MAX_ALL_SETS];
    int n = flyt_calib_sets(spec, rep->fitted, false, buf, sets);
    fputs("flyt calibrate: best point found:", stderr);
    for (int i = spec->n_sets; i < n; i++)
        fprintf(stderr, " --set %s", sets[i]);
    fputc('\n', stderr);
}

static const char *scenario_name(const struct flyt_calib_spec *spec, const double *x, char *buf,
                                 size_t len)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_calib_load(spec, x, false, &d);
    snprintf(buf, len, "%s", s ? s->name : "?");
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    return buf;
}

/* The scenario with the spec's fixed changes, as flyt run would warn of
 * it; the parameters' own values are the fit's to choose. */
static void print_warnings(const struct flyt_calib_spec *spec)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_calib_load(spec, NULL, true, &d);
    if (d.warnings)
        fputs(d.warnings, stderr);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static int execute(const struct cal_opts *o, const struct flyt_calib_spec *spec)
{
    const char *out = o->c.output ? o->c.output : "flyt-fitted.cfg";
    const char *inputs[] = { spec->path, spec->scenario_path };
    int claimed = flyt_cli_claim_output("calibrate", out, FLYT_OUT_FITTED, inputs, 2);
    if (claimed >= 0)
        return claimed;
    print_warnings(spec);
    struct progress_ctx pc = { spec, flyt_cli_seconds() };
    bool show = o->c.progress > 0 || (o->c.progress < 0 && isatty(STDERR_FILENO));
    struct flyt_calib_options opts = { o->c.threads, o->max_evals, o->no_intervals,
                                       show ? on_eval : NULL, &pc };
    struct flyt_calib_report rep;
    int rc = flyt_calibrate(spec, &opts, &rep);
    char name[FLYT_NAME_LEN + 8];
    scenario_name(spec, rep.fitted, name, sizeof name);
    if (rep.evaluations > 0) {
        if (o->c.json)
            print_json(stdout, spec, &rep, name);
        else
            print_table(stdout, spec, &rep, name);
        fflush(stdout);
    }
    if (rc != 0 || rep.status != FLYT_CALIB_CONVERGED) {
        fprintf(stderr, "flyt calibrate: error: %s\n", rep.detail);
        if (rep.evaluations > 0)
            print_best_point(spec, &rep);
        fputs("flyt calibrate: no fitted scenario written: the fit did not converge\n", stderr);
        return EXIT_FAIL;
    }
    char err[1024];
    if (flyt_calib_write_fitted(out, spec, &rep, flyt_cli_command_line(), err, sizeof err) != 0) {
        fprintf(stderr, "flyt calibrate: error: %s\n", err);
        return EXIT_FAIL;
    }
    fprintf(stderr, "flyt calibrate: %s after %u evaluations (+%u); wrote %s\n",
            status_name(rep.status), rep.evaluations, rep.slope_evaluations, out);
    return EXIT_OK;
}

int flyt_cmd_calibrate(int argc, char **argv)
{
    struct cal_opts o = { .c = { .progress = -1 } };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_calib_spec *spec = flyt_calib_spec_load(o.spec, &diag);
    if (!spec) {
        fputs(diag.text ? diag.text : "flyt calibrate: error: cannot load the spec\n", stderr);
        fprintf(stderr, "%s: %d error%s; nothing simulated\n", o.spec, diag.n_errors,
                diag.n_errors == 1 ? "" : "s");
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    rc = execute(&o, spec);
    flyt_calib_spec_free(spec);
    return rc;
}
