/* The optimised scenario file (--write-scenario): the base scenario as the
 * loader read it, with the spec's fixed changes and the chosen
 * configuration's values in place, under a header that says what chose it.
 * Written by flyt_out_write_derived, as calibrate's fitted file is. */
#include "flyt/optimise.h"
#include "flyt/outfile.h"

#include <stdint.h>
#include <stdio.h>

struct chosen_ctx {
    const struct flyt_opt_spec *spec;
    const struct flyt_opt_report *rep;
    uint64_t seed;
};

/* optimise's own header lines: the procedure, the chosen values, the KPIs */
static void write_body(FILE *out, const void *ctx)
{
    const struct chosen_ctx *c = ctx;
    const struct flyt_opt_spec *spec = c->spec;
    const struct flyt_opt_report *rep = c->rep;
    const struct flyt_opt_config *cf = &rep->config[rep->chosen];
    fprintf(out,
            "# Procedure: %s search over %u configurations (%.0f in the space); "
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
        flyt_out_comment(out, spec->vars[i].key);
        fprintf(out, " = %s\n", v);
    }
    fputs("# Objective (minimised) ", out);
    flyt_out_comment(out, spec->objective.name);
    fprintf(out, ": %.6g [%.6g, %.6g] over %u replications, seed %llu.\n", cf->objective.mean,
            cf->objective.ci_low, cf->objective.ci_high, cf->n_run, (unsigned long long)c->seed);
    for (int l = 0; l < spec->n_constraints; l++) {
        const struct flyt_opt_constraint *k = &spec->constraints[l];
        fputs("# Constraint ", out);
        flyt_out_comment(out, k->kpi.name);
        fprintf(out, " %s %g (tolerance %g): %.6g [%.6g, %.6g]\n", k->upper ? "<=" : ">=", k->bound,
                k->tolerance, cf->constraint_stat[l].mean, cf->constraint_stat[l].ci_low,
                cf->constraint_stat[l].ci_high);
    }
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
    struct chosen_ctx ctx = { spec, rep, s->seed };
    const struct flyt_derived_file df = { "Chosen by flyt optimise",
                                          spec->path,
                                          command_line,
                                          spec->scenario_path,
                                          (const char *const *)spec->sets,
                                          spec->n_sets,
                                          "chosen values",
                                          write_body,
                                          &ctx,
                                          NULL };
    int rc = flyt_out_write_derived(path, FLYT_OUT_TEXT, s, &df, err, errlen);
    flyt_scenario_free(s);
    return rc;
}
