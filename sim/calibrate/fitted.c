/* The fitted scenario file: what the loader read, with the fitted values in
 * place, under a header that says what it was fitted to. libconfig can
 * write a tree but not keep a file's comments, so the header says the
 * original's comments are lost and names the original. */
#include "flyt/calibrate.h"
#include "flyt/outfile.h"

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
        fprintf(out, "#   %s = %g", tg->kpi_name, tg->value);
        if (tg->tolerance > 0)
            fprintf(out, " +- %g", tg->tolerance);
        if (tg->weight != 1.0)
            fprintf(out, " (weight %g)", tg->weight);
        fprintf(out, ": %.4g [%.4g, %.4g]\n", r->mean, r->ci_low, r->ci_high);
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

/* A temporary file of our own (flyt_out_temp), fsynced and renamed over
 * path; on any failure it goes and the old file stays as it was. */
static int write_atomically(const char *path, const struct flyt_calib_spec *spec,
                            const struct flyt_calib_report *rep, const char *command_line,
                            const struct flyt_scenario *s, char *err, size_t errlen)
{
    const char *tmp = NULL;
    int fd = flyt_out_temp(path, FLYT_OUT_FITTED, &tmp, err, errlen);
    if (fd < 0)
        return -1;
    FILE *out = fdopen(fd, "w");
    if (!out)
        close(fd);
    errno = 0;
    if (out) {
        write_header(out, spec, rep, command_line, s);
        fputs(s->resolved_text, out);
    }
    bool ok = out && !ferror(out) && fflush(out) == 0 && fsync(fileno(out)) == 0;
    int saved = errno;
    if (out && fclose(out) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        set_err(err, errlen, "cannot write '%s': %s", tmp,
                saved ? strerror(saved) : "write failed");
        flyt_out_discard(path);
        return -1;
    }
    return flyt_out_commit(path, err, errlen);
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
    int rc = write_atomically(path, spec, rep, command_line, s, err, errlen);
    flyt_scenario_free(s);
    return rc;
}
