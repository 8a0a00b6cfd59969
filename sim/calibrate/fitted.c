/* The fitted scenario file: what the loader read, with the fitted values in
 * place, under a header that says what it was fitted to. libconfig can
 * write a tree but not keep a file's comments, so the header says the
 * original's comments are lost and names the original. */
#include "flyt/calibrate.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *status_word(enum flyt_calib_status s)
{
    switch (s) {
    case FLYT_CALIB_CONVERGED:
        return "converged";
    case FLYT_CALIB_MAX_EVALS:
        return "NOT converged (evaluation budget spent)";
    case FLYT_CALIB_MISSED_TARGETS:
        return "NOT converged (targets missed)";
    case FLYT_CALIB_STUCK:
        return "NOT converged (minimiser stopped)";
    default:
        return "failed";
    }
}

/* A line of a comment block must not carry a newline out of the comment. */
static void comment_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

static void write_params(FILE *out, const struct flyt_calib_spec *spec,
                         const struct flyt_calib_report *rep)
{
    fputs("# Parameters: fitted value +- 95 % half-width from the KPIs' noise (start; range):\n",
          out);
    for (int k = 0; k < spec->n_params; k++) {
        const struct flyt_calib_param *p = &spec->params[k];
        fputs("#   ", out);
        comment_text(out, p->name);
        fprintf(out, "%s %.6g", p->mode == FLYT_CALIB_SCALE ? ": x" : " =", rep->fitted[k]);
        if (isfinite(rep->ci_half[k]))
            fprintf(out, " +- %.3g", rep->ci_half[k]);
        fprintf(out, " (start %g; %g to %g)\n", p->start, p->min, p->max);
        for (int j = 0; p->mode == FLYT_CALIB_SCALE && j < p->n_keys; j++) {
            fputs("#     ", out);
            comment_text(out, p->keys[j]);
            fprintf(out, " = %g x %.6g = %.6g\n", p->base[j], rep->fitted[k],
                    p->base[j] * rep->fitted[k]);
        }
    }
}

static void write_targets(FILE *out, const struct flyt_calib_spec *spec,
                          const struct flyt_calib_report *rep)
{
    fprintf(out,
            "# Targets: value (+- tolerance): achieved mean [95 %% CI] over %u replications, "
            "seed %llu:\n",
            rep->replications, (unsigned long long)rep->seed);
    for (int t = 0; t < spec->n_targets; t++) {
        const struct flyt_calib_target *tg = &spec->targets[t];
        const struct flyt_calib_target_result *r = &rep->target[t];
        fprintf(out, "#   %s = %g", flyt_kpi_defs[tg->kpi].name, tg->value);
        if (tg->tolerance > 0)
            fprintf(out, " +- %g", tg->tolerance);
        if (tg->weight != 1.0)
            fprintf(out, " (weight %g)", tg->weight);
        fprintf(out, ": %.4g [%.4g, %.4g]\n", r->mean, r->mean - r->ci_half, r->mean + r->ci_half);
    }
}

static void write_header(FILE *out, const struct flyt_calib_spec *spec,
                         const struct flyt_calib_report *rep, const char *command_line,
                         const struct flyt_scenario *s)
{
    char when[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fputs("# Fitted by flyt calibrate ", out);
    comment_text(out, spec->path);
    fprintf(out, " on %s.\n", when);
    if (command_line && *command_line) {
        fputs("# Command: ", out);
        comment_text(out, command_line);
        fputc('\n', out);
    }
    fputs("# Scenario: ", out);
    comment_text(out, spec->scenario_path ? spec->scenario_path : "<embedded default>");
    fputs(" ('", out);
    comment_text(out, s->name);
    fputs("')", out);
    for (int i = 0; i < spec->n_sets; i++) {
        fputs(i ? ", " : " with ", out);
        comment_text(out, spec->sets[i]);
    }
    fprintf(out, ".\n# Fit: %s after %u evaluations (+%u for the intervals), objective %.4g.\n",
            status_word(rep->status), rep->evaluations, rep->slope_evaluations, rep->objective);
    write_params(out, spec, rep);
    write_targets(out, spec, rep);
    fputs("# Below is the scenario as flyt read it (after @include, the changes above and the\n"
          "# fitted values), in libconfig's own layout: the original file's comments and\n"
          "# layout are lost; see the original for the sources of every value.\n\n",
          out);
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int write_atomically(const char *path, const char *partial,
                            const struct flyt_calib_spec *spec, const struct flyt_calib_report *rep,
                            const char *command_line, const struct flyt_scenario *s, char *err,
                            size_t errlen)
{
    FILE *out = fopen(partial, "w");
    if (!out) {
        set_err(err, errlen, "cannot write '%s': %s", partial, strerror(errno));
        return -1;
    }
    write_header(out, spec, rep, command_line, s);
    fputs(s->resolved_text, out);
    bool ok = fflush(out) == 0 && fsync(fileno(out)) == 0;
    int saved = errno;
    ok = fclose(out) == 0 && ok;
    if (!ok || rename(partial, path) != 0) {
        set_err(err, errlen, "cannot write '%s': %s", path, strerror(ok ? errno : saved));
        remove(partial);
        return -1;
    }
    return 0;
}

int flyt_calib_write_fitted(const char *path, const struct flyt_calib_spec *spec,
                            const struct flyt_calib_report *rep, const char *command_line,
                            char *err, size_t errlen)
{
    char buf[FLYT_CALIB_MAX_ALL_SETS][FLYT_CALIB_SET_LEN];
    const char *sets[FLYT_CALIB_MAX_ALL_SETS];
    int n = flyt_calib_sets(spec, rep->fitted, false, buf, sets);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &d);
    if (!s) {
        set_err(err, errlen, "the fitted point does not load: %s", d.text ? d.text : "");
        flyt_diag_free(&d);
        return -1;
    }
    flyt_diag_free(&d);
    size_t len = strlen(path);
    char *partial = malloc(len + sizeof ".partial");
    int rc = -1;
    if (!partial)
        set_err(err, errlen, "out of memory");
    else {
        memcpy(partial, path, len);
        memcpy(partial + len, ".partial", sizeof ".partial");
        rc = write_atomically(path, partial, spec, rep, command_line, s, err, errlen);
    }
    free(partial);
    flyt_scenario_free(s);
    return rc;
}
