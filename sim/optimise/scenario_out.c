/* The optimised scenario file (--write-scenario): the base scenario as the
 * loader read it, with the spec's fixed changes and the chosen
 * configuration's values in place, under a header that says what chose it.
 * As with calibrate's fitted file (sim/calibrate/fitted.c), libconfig
 * writes the tree but not the original's comments, and the header says so. */
#include "flyt/optimise.h"
#include "flyt/outfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* A line of a comment block must not carry a newline out of the comment. */
static void comment_text(FILE *out, const char *s)
{
    for (; *s; s++)
        fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
}

static void write_header(FILE *out, const struct flyt_opt_spec *spec,
                         const struct flyt_opt_report *rep, const char *command_line,
                         const struct flyt_scenario *s)
{
    const struct flyt_opt_config *cf = &rep->config[rep->chosen];
    char when[64] = "";
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    fputs("# Chosen by flyt optimise ", out);
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
    fprintf(out,
            ".\n# Procedure: %s search over %u configurations (%.0f in the space); "
            "feasibility checks (Batur & Kim 2010) and KN selection (Kim & Nelson 2001), "
            "alpha %g (confidence %g %%%s), objective_indifference %g.\n",
            rep->search == FLYT_OPT_SEARCH_LOCAL ? "local" : "grid", rep->n_configs, spec->n_grid,
            spec->alpha, 100 * (1 - spec->alpha),
            rep->search == FLYT_OPT_SEARCH_LOCAL
                    ? " within each compared set; the pick is a local optimum only"
                    : "",
            spec->indifference);
    if (rep->capped || rep->exhausted)
        fprintf(out, "# Caveat: %s.\n",
                rep->exhausted ? "the search stopped at max_configurations, not at a local optimum"
                               : "some decisions reached max_replications (no guarantee for them)");
    fputs("# Chosen configuration:\n", out);
    for (int i = 0; i < spec->n_vars; i++) {
        char v[64];
        flyt_opt_format_value(&spec->vars[i], cf->value[i], v, sizeof v);
        fputs("#   ", out);
        comment_text(out, spec->vars[i].key);
        fprintf(out, " = %s\n", v);
    }
    fputs("# Objective (minimised) ", out);
    comment_text(out, spec->objective.name);
    fprintf(out, ": %.6g [%.6g, %.6g] over %u replications, seed %llu.\n", cf->objective.mean,
            cf->objective.ci_low, cf->objective.ci_high, cf->n_run, (unsigned long long)s->seed);
    for (int l = 0; l < spec->n_constraints; l++) {
        const struct flyt_opt_constraint *k = &spec->constraints[l];
        fputs("# Constraint ", out);
        comment_text(out, k->kpi.name);
        fprintf(out, " %s %g (tolerance %g): %.6g [%.6g, %.6g]\n", k->upper ? "<=" : ">=", k->bound,
                k->tolerance, cf->constraint_stat[l].mean, cf->constraint_stat[l].ci_low,
                cf->constraint_stat[l].ci_high);
    }
    fputs("# Below is the scenario as flyt read it (after @include, the changes above and the\n"
          "# chosen values), in libconfig's own layout: the original file's comments and\n"
          "# layout are lost; see the original for the sources of every value.\n\n",
          out);
}

int flyt_opt_write_scenario(const char *path, const struct flyt_opt_spec *spec,
                            const struct flyt_opt_report *rep, const char *command_line, char *err,
                            size_t errlen)
{
    if (rep->chosen < 0) {
        snprintf(err, errlen, "no configuration was chosen");
        return -1;
    }
    char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(spec, rep->config[rep->chosen].value, buf, sets);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &d);
    if (!s) {
        snprintf(err, errlen, "the chosen configuration does not load: %s", d.text ? d.text : "");
        flyt_diag_free(&d);
        return -1;
    }
    flyt_diag_free(&d);
    const char *tmp = NULL;
    int fd = flyt_out_temp(path, FLYT_OUT_TEXT, &tmp, err, errlen);
    if (fd < 0) {
        flyt_scenario_free(s);
        return -1;
    }
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
    flyt_scenario_free(s);
    if (!ok) {
        snprintf(err, errlen, "cannot write '%s': %s", tmp, saved ? strerror(saved) : "failed");
        flyt_out_discard(path);
        return -1;
    }
    return flyt_out_commit(path, err, errlen);
}
