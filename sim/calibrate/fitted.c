/* The fitted scenario file: what the loader read, with the fitted values in
 * place, under a header that says what it was fitted to (written by
 * flyt_out_write_derived, which optimise's chosen file shares). */
#include "flyt/calibrate.h"
#include "flyt/outfile.h"

#include <math.h>
#include <stdio.h>

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

static void write_params(FILE *out, const struct flyt_calib_spec *spec,
                         const struct flyt_calib_report *rep)
{
    fputs("# Parameters: fitted value +- 95 % half-width from the KPIs' noise (start; range):\n",
          out);
    for (int k = 0; k < spec->n_params; k++) {
        const struct flyt_calib_param *p = &spec->params[k];
        fputs("#   ", out);
        flyt_out_comment(out, p->name);
        fprintf(out, "%s %.6g", p->mode == FLYT_CALIB_SCALE ? ": x" : " =", rep->fitted[k]);
        if (isfinite(rep->ci_half[k]))
            fprintf(out, " +- %.3g", rep->ci_half[k]);
        fprintf(out, " (start %g; %g to %g)\n", p->start, p->min, p->max);
        for (int j = 0; p->mode == FLYT_CALIB_SCALE && j < p->n_keys; j++) {
            fputs("#     ", out);
            flyt_out_comment(out, p->keys[j]);
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

struct fitted_ctx {
    const struct flyt_calib_spec *spec;
    const struct flyt_calib_report *rep;
};

/* calibrate's own header lines: the fit, the parameters, the targets */
static void write_body(FILE *out, const void *ctx)
{
    const struct fitted_ctx *c = ctx;
    fprintf(out, "# Fit: %s after %u evaluations (+%u for the intervals), objective %.4g.\n",
            status_word(c->rep->status), c->rep->evaluations, c->rep->slope_evaluations,
            c->rep->objective);
    write_params(out, c->spec, c->rep);
    write_targets(out, c->spec, c->rep);
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
        snprintf(err, errlen, "the fitted point does not load: %s", d.text ? d.text : "");
        flyt_diag_free(&d);
        return -1;
    }
    flyt_diag_free(&d);
    struct fitted_ctx ctx = { spec, rep };
    const struct flyt_derived_file df = { "Fitted by flyt calibrate",
                                          spec->path,
                                          command_line,
                                          spec->scenario_path,
                                          (const char *const *)spec->sets,
                                          spec->n_sets,
                                          "fitted values",
                                          write_body,
                                          &ctx,
                                          NULL };
    int rc = flyt_out_write_derived(path, FLYT_OUT_FITTED, s, &df, err, errlen);
    flyt_scenario_free(s);
    return rc;
}
