/* flyt optimise: the cheapest configuration of integer capacities that
 * keeps constraints on mean KPIs, with a statistical guarantee (issue 19).
 * A bad spec stops before anything is simulated (exit 2); no feasible
 * configuration is exit 1, with the file still written to say why. */
#include "cli/cli.h"
#include "flyt/experiment.h"
#include "flyt/optimise.h"
#include "flyt/optimise_file.h"
#include "flyt/outfile.h"
#include "flyt/sweep.h"
#include "flyt/version.h"
#include "output/print/print_util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt optimise SPEC [options]\n"
          "\n"
          "Finds the cheapest configuration of the variables named in the optimisation\n"
          "spec SPEC (a libconfig file: the scenario, variables as key paths with min, max\n"
          "and step, the objective to minimise, constraints on mean KPIs with tolerances;\n"
          "see docs/optimise.md). Every configuration runs with the same seed (common\n"
          "random numbers); sequential feasibility checks (Batur & Kim 2010) and KN\n"
          "selection on paired differences (Kim & Nelson 2001) give the pick with\n"
          "probability at least 1 - alpha of being feasible within the tolerances and\n"
          "within objective_indifference of the cheapest of the set compared: the whole\n"
          "grid (search = \"grid\"), or each neighbourhood of a local search\n"
          "(search = \"local\", for spaces beyond max_configurations: a local optimum).\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE     HDF5 file (default flyt-optimise.h5): the configurations,\n"
          "                        replications used, decisions and the spec's text\n"
          "  -t, --threads N       worker threads (default: one per CPU); results are\n"
          "                        identical for any N; under mpirun (a build with\n"
          "                        -DFLYT_MPI=ON) rank 0 runs the procedure and shares\n"
          "                        each configuration's replications with the other\n"
          "                        ranks: identical for any number of ranks\n"
          "      --resume          go on from FILE.journal, the replications an\n"
          "                        interrupted run finished (the same file results)\n"
          "      --write-scenario FILE\n"
          "                        also write the base scenario with the chosen values set\n"
          "                        (nothing when none is chosen; never over an existing file)\n"
          "      --format FMT      table (default) or json, on stdout\n"
          "      --progress        a progress line on stderr (default: when stderr is a\n"
          "                        terminal)\n"
          "      --no-progress     never\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 a configuration was chosen, 1 none is feasible or a failure,\n"
          "2 bad input (spec, scenario, option, a journal of another spec), 130/143\n"
          "stopped by SIGINT/SIGTERM. Every finished replication goes to FILE.journal,\n"
          "removed once FILE is written; a stopped or killed run goes on with --resume.\n",
          out);
}

struct opt_opts {
    const char *spec;
    const char *scenario_out; /* --write-scenario */
    bool resume;
    struct flyt_cli_opts c;
};

#define OPT_OPTS (FLYT_OPT_OUTPUT | FLYT_OPT_THREADS | FLYT_OPT_FORMAT | FLYT_OPT_PROGRESS)

/* Returns -1 to continue, or an exit status. */
static int parse(int argc, char **argv, struct opt_opts *o)
{
    enum { OPT_RESUME = FLYT_OPTV_CMD, OPT_WRITE_SCENARIO };
    static const struct option own[] = {
        { "resume", no_argument, NULL, OPT_RESUME },
        { "write-scenario", required_argument, NULL, OPT_WRITE_SCENARIO },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "optimise", argc, argv, OPT_OPTS, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        int rc = flyt_cli_args_take(&p, OPT_OPTS, c, &o->c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        if (c == OPT_RESUME) {
            o->resume = true;
        } else if (c == OPT_WRITE_SCENARIO) {
            o->scenario_out = p.arg;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!o->spec) {
            o->spec = p.arg;
        } else {
            fprintf(stderr, "flyt optimise: error: one spec at a time, got '%s' and '%s'\n",
                    o->spec, p.arg);
            return EXIT_BAD_INPUT;
        }
    }
    if (!o->spec) {
        fputs("flyt optimise: error: name an optimisation spec (see flyt optimise --help)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

struct progress_ctx {
    double t0;
    bool newline;
};

static void on_progress(const struct flyt_opt_progress *p, void *ctx)
{
    struct progress_ctx *pc = ctx;
    fprintf(stderr, "\roptimise: %s %u/%u decided, configuration %u at %u replications (%.0f s) ",
            p->phase, p->decided, p->total, p->config + 1, p->n_run, flyt_cli_seconds() - pc->t0);
    pc->newline = true;
}

static void config_label(char *buf, size_t len, const struct flyt_opt_spec *spec,
                         const struct flyt_opt_config *cf)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < spec->n_vars && used < len; i++) {
        char v[64];
        flyt_opt_format_value(&spec->vars[i], cf->value[i], v, sizeof v);
        used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? " " : "", spec->vars[i].key,
                                 v);
    }
}

static void constraint_text(char *buf, size_t len, const struct flyt_opt_constraint *k)
{
    snprintf(buf, len, "%s %s %g (tolerance %g)", k->kpi.name, k->upper ? "<=" : ">=", k->bound,
             k->tolerance);
}

/* Why a configuration is where it is, in words. */
static void reason(char *buf, size_t len, const struct flyt_opt_spec *spec,
                   const struct flyt_opt_report *rep, const struct flyt_opt_config *cf)
{
    char more[64] = "";
    if (cf->by >= 0 && (unsigned)cf->by < rep->n_configs)
        flyt__fmt_num(more, sizeof more, cf->objective.mean - rep->config[cf->by].objective.mean);
    char k[FLYT_OPT_KPI_LEN + 48] = "";
    if (cf->constraint >= 0)
        constraint_text(k, sizeof k, &spec->constraints[cf->constraint]);
    switch (cf->fate) {
    case FLYT_OPT_CHOSEN:
        snprintf(buf, len, "chosen");
        break;
    case FLYT_OPT_TIED:
        snprintf(buf, len, "not distinguishable from #%d", cf->by + 1);
        break;
    case FLYT_OPT_ELIMINATED:
        snprintf(buf, len, "eliminated by #%d (mean objective %s higher)", cf->by + 1, more);
        break;
    case FLYT_OPT_INFEASIBLE:
        /* each check errs with probability at most beta (docs/optimise.md) */
        snprintf(buf, len, "infeasible: violates %s (P(wrong) <= %.2g)", k, rep->beta);
        break;
    case FLYT_OPT_UNDECIDED:
        snprintf(buf, len, "feasibility undecided at the cap: %s", k);
        break;
    default:
        snprintf(buf, len, "not reached");
    }
}

static void print_kpi_row(FILE *out, const char *name, const char *units,
                          const struct flyt_stat *st, const char *limit)
{
    char mean[32], ci[80];
    fprintf(out, "  %-34s  %-12s  %14s  %-32s  %s\n", name, units,
            flyt__fmt_num(mean, sizeof mean, st->mean),
            flyt__fmt_interval(ci, sizeof ci, st->ci_low, st->ci_high), limit);
}

/* How far configuration cf's constraint means are on the wrong side of
 * their bounds, relative to each bound (0: all kept); NaN without means. */
static double violation(const struct flyt_opt_spec *spec, const struct flyt_opt_config *cf)
{
    double worst = 0;
    for (int l = 0; l < spec->n_constraints; l++) {
        const struct flyt_opt_constraint *k = &spec->constraints[l];
        double m = cf->constraint_stat[l].mean;
        if (!isfinite(m))
            return NAN;
        double over = (k->upper ? m - k->bound : k->bound - m) /
                      (fabs(k->bound) > 0 ? fabs(k->bound) : 1.0);
        worst = over > worst ? over : worst;
    }
    return worst;
}

#define N_NEAREST 3
/* The configurations nearest to feasible, by violation (the lowest index
 * first among equals); their count. */
static unsigned nearest(const struct flyt_opt_spec *spec, const struct flyt_opt_report *rep,
                        unsigned *out)
{
    unsigned n = 0;
    for (unsigned c = 0; c < rep->n_configs; c++) {
        double v = violation(spec, &rep->config[c]);
        if (!isfinite(v))
            continue;
        unsigned at = n < N_NEAREST ? n++ : N_NEAREST;
        while (at > 0 && violation(spec, &rep->config[out[at - 1]]) > v) {
            if (at < N_NEAREST)
                out[at] = out[at - 1];
            at--;
        }
        if (at < N_NEAREST)
            out[at] = c;
    }
    return n;
}

static void print_table(FILE *out, const struct flyt_opt_spec *spec,
                        const struct flyt_opt_report *rep, const char *scenario)
{
    fprintf(out,
            "optimise %s: scenario '%s', %u configurations, first stage %u replications "
            "(at most %u), alpha %g\n",
            spec->path, scenario, rep->n_configs, spec->n0, spec->max_replications, spec->alpha);
    if (rep->search == FLYT_OPT_SEARCH_LOCAL)
        fprintf(out,
                "local search of %.0f configurations: %u start points, %u neighbourhoods; %s\n",
                spec->n_grid, spec->start_points, rep->rounds,
                rep->exhausted     ? "stopped at max_configurations (not a local optimum)"
                : rep->chosen >= 0 ? "the pick is a local optimum (no neighbour beats it)"
                                   : "no start point is feasible");
    fprintf(out, "%u feasible, %u replications in all%s\n\n", rep->n_feasible, rep->replications,
            rep->capped ? "; some decisions reached max_replications (no guarantee for them)" : "");
    char label[1024], lim[FLYT_OPT_KPI_LEN + 48], why[256];
    if (rep->chosen >= 0) {
        const struct flyt_opt_config *cf = &rep->config[rep->chosen];
        config_label(label, sizeof label, spec, cf);
        fprintf(out, "chosen: #%d %s (%u replications)\n", rep->chosen + 1, label, cf->n_run);
        fprintf(out, "  %-34s  %-12s  %14s  %-32s  %s\n", "KPI", "units", "mean", "95% CI",
                "limit");
        print_kpi_row(out, spec->objective.name,
                      spec->objective.kpi >= 0 ? flyt_kpi_def(spec->objective.kpi)->units
                                               : "weighted",
                      &cf->objective, "minimised");
        for (int l = 0; l < spec->n_constraints; l++) {
            constraint_text(lim, sizeof lim, &spec->constraints[l]);
            print_kpi_row(out, spec->constraints[l].kpi.name,
                          flyt_kpi_def(spec->constraints[l].kpi.kpi)->units,
                          &cf->constraint_stat[l], lim);
        }
        fputs("not distinguishable from it:", out);
        unsigned n_tied = 0;
        for (unsigned c = 0; c < rep->n_configs; c++)
            if (rep->config[c].fate == FLYT_OPT_TIED && rep->config[c].by == rep->chosen) {
                fprintf(out, " #%u", c + 1);
                n_tied++;
            }
        fputs(n_tied ? "\n\n" : " none\n\n", out);
    } else {
        fputs("no configuration is feasible; nearest (the constraint KPIs' means, 95% CI):\n", out);
        unsigned near[N_NEAREST], n_near = nearest(spec, rep, near);
        for (unsigned i = 0; i < n_near; i++) {
            const struct flyt_opt_config *cf = &rep->config[near[i]];
            config_label(label, sizeof label, spec, cf);
            fprintf(out, "  #%u %s:", near[i] + 1, label);
            for (int l = 0; l < spec->n_constraints; l++) {
                char mean[32], ci[80];
                fprintf(out, " %s %s %s (limit %g)", spec->constraints[l].kpi.name,
                        flyt__fmt_num(mean, sizeof mean, cf->constraint_stat[l].mean),
                        flyt__fmt_interval(ci, sizeof ci, cf->constraint_stat[l].ci_low,
                                           cf->constraint_stat[l].ci_high),
                        spec->constraints[l].bound);
            }
            fputc('\n', out);
        }
        fputc('\n', out);
    }
    int w = 13;
    for (unsigned c = 0; c < rep->n_configs; c++) {
        config_label(label, sizeof label, spec, &rep->config[c]);
        w = (int)strlen(label) > w ? (int)strlen(label) : w;
    }
    /* the constraints' means too: how close the infeasible ones came */
    int shown = spec->n_constraints < 3 ? spec->n_constraints : 3;
    fprintf(out, "%4s  %-*s  %6s  %14s", "#", w, "configuration", "reps",
            spec->n_terms ? "objective" : spec->objective.name);
    for (int l = 0; l < shown; l++)
        fprintf(out, "  %14.14s", spec->constraints[l].kpi.name);
    fputs("  decision\n", out);
    for (unsigned c = 0; c < rep->n_configs; c++) {
        const struct flyt_opt_config *cf = &rep->config[c];
        char mean[32];
        config_label(label, sizeof label, spec, cf);
        reason(why, sizeof why, spec, rep, cf);
        fprintf(out, "%4u  %-*s  %6u  %14s", c + 1, w, label, cf->n_run,
                flyt__fmt_num(mean, sizeof mean, cf->objective.mean));
        for (int l = 0; l < shown; l++)
            fprintf(out, "  %14s", flyt__fmt_num(mean, sizeof mean, cf->constraint_stat[l].mean));
        fprintf(out, "  %s\n", why);
    }
}

static void json_stat(FILE *out, const char *name, const struct flyt_stat *st)
{
    fputs("{\"kpi\": ", out);
    flyt__json_str(out, name);
    fputs(", \"mean\": ", out);
    flyt__json_num(out, st->mean);
    fputs(", \"ci95\": [", out);
    flyt__json_num(out, st->ci_low);
    fputs(", ", out);
    flyt__json_num(out, st->ci_high);
    fprintf(out, "], \"n\": %u}", st->n);
}

static void print_json(FILE *out, const struct flyt_opt_spec *spec,
                       const struct flyt_opt_report *rep, const char *scenario)
{
    fputs("{\"spec\": ", out);
    flyt__json_str(out, spec->path);
    fputs(", \"scenario\": ", out);
    flyt__json_str(out, scenario);
    fprintf(out,
            ", \"search\": \"%s\", \"rounds\": %u, \"exhausted\": %s, "
            "\"configurations\": %u, \"first_stage\": %u, \"max_replications\": %u, "
            "\"alpha\": ",
            rep->search == FLYT_OPT_SEARCH_LOCAL ? "local" : "grid", rep->rounds,
            rep->exhausted ? "true" : "false", rep->n_configs, spec->n0, spec->max_replications);
    flyt__json_num(out, spec->alpha);
    fputs(", \"objective_indifference\": ", out);
    flyt__json_num(out, spec->indifference);
    fprintf(out, ",\n \"feasible\": %u, \"replications\": %u, \"capped\": %s, \"chosen\": ",
            rep->n_feasible, rep->replications, rep->capped ? "true" : "false");
    if (rep->chosen >= 0)
        fprintf(out, "%d", rep->chosen + 1);
    else
        fputs("null", out);
    /* nothing feasible: the indices of those that came closest */
    unsigned near[N_NEAREST], n_near = rep->chosen >= 0 ? 0 : nearest(spec, rep, near);
    fputs(", \"nearest\": [", out);
    for (unsigned i = 0; i < n_near; i++)
        fprintf(out, "%s%u", i ? ", " : "", near[i] + 1);
    fputs("]", out);
    fputs(",\n \"list\": [\n", out);
    for (unsigned c = 0; c < rep->n_configs; c++) {
        const struct flyt_opt_config *cf = &rep->config[c];
        fprintf(out, "  {\"index\": %u, \"values\": {", c + 1);
        for (int i = 0; i < spec->n_vars; i++) {
            fputs(i ? ", " : "", out);
            flyt__json_str(out, spec->vars[i].key);
            fputs(": ", out);
            flyt__json_num(out, cf->value[i]);
        }
        fprintf(out, "}, \"round\": %u", cf->round);
        fprintf(out, ", \"decision\": \"%s\", \"constraint\": ", flyt_opt_fate_name(cf->fate));
        if (cf->constraint >= 0)
            flyt__json_str(out, spec->constraints[cf->constraint].kpi.name);
        else
            fputs("null", out);
        fputs(", \"by\": ", out);
        if (cf->by >= 0)
            fprintf(out, "%d", cf->by + 1);
        else
            fputs("null", out);
        fprintf(out,
                ", \"replications\": %u, \"replications_feasibility\": %u, "
                "\"replications_selection\": %u,\n   \"objective\": ",
                cf->n_run, cf->n_feasible, cf->n_select);
        json_stat(out, spec->objective.name, &cf->objective);
        fputs(", \"constraints\": [", out);
        for (int l = 0; l < spec->n_constraints; l++) {
            fputs(l ? ", " : "", out);
            json_stat(out, spec->constraints[l].kpi.name, &cf->constraint_stat[l]);
        }
        fprintf(out, "]}%s\n", c + 1 < rep->n_configs ? "," : "");
    }
    fputs(" ]}\n", out);
}

static const char PROCEDURE_GRID[] =
        "grid search; feasibility: fully sequential checks with triangular continuation regions "
        "(Batur & Kim 2010), each at error (alpha/2)/(K L) (Bonferroni over configurations and "
        "constraints); selection among the feasible: KN (Kim & Nelson 2001) on paired "
        "differences under common random numbers, error alpha/2";
static const char PROCEDURE_LOCAL[] =
        "local search (after Hong & Nelson 2006 COMPASS, simplified): a Latin hypercube start "
        "plus the all-max corner, then the neighbourhood (one step in one variable) of the "
        "incumbent until it wins its own; in each compared set: feasibility checks (Batur & "
        "Kim 2010) at error (alpha/2)/(S L), S the largest set, and KN (Kim & Nelson 2001) on "
        "paired differences, error alpha/2; the pick is a local optimum only";

/* The report as the output module's flat tables. */
static int write_file(const char *path, const struct flyt_opt_spec *spec,
                      const struct flyt_opt_report *rep, const char *scenario, uint64_t seed,
                      const struct flyt_run_meta *meta)
{
    size_t n = rep->n_configs, V = (size_t)spec->n_vars, L = (size_t)spec->n_constraints;
    double *values = calloc(n * V + 1, sizeof *values);
    double *ost = calloc(n * 3 + 1, sizeof *ost), *cst = calloc(n * L * 3 + 1, sizeof *cst);
    int *ints = calloc(6 * n + 1, sizeof *ints);
    const char **dec = calloc(n + 1, sizeof *dec);
    const char *keys[FLYT_OPT_MAX_VARS], *ck[FLYT_OPT_MAX_CONSTRAINTS];
    char ctext[FLYT_OPT_MAX_CONSTRAINTS][FLYT_OPT_KPI_LEN + 48];
    double bound[FLYT_OPT_MAX_CONSTRAINTS], tol[FLYT_OPT_MAX_CONSTRAINTS];
    int upper[FLYT_OPT_MAX_CONSTRAINTS];
    const char *term_kpis[FLYT_OPT_MAX_TERMS];
    double weights[FLYT_OPT_MAX_TERMS];
    /* a single KPI is the sum of one term of weight 1: the file has one form */
    size_t n_terms = spec->n_terms ? (size_t)spec->n_terms : 1;
    term_kpis[0] = spec->objective.name;
    weights[0] = 1.0;
    for (int t = 0; t < spec->n_terms; t++) {
        term_kpis[t] = spec->terms[t].kpi.name;
        weights[t] = spec->terms[t].weight;
    }
    int rc = -1;
    char err[1024] = "out of memory";
    if (values && ost && cst && ints && dec) {
        for (size_t i = 0; i < V; i++)
            keys[i] = spec->vars[i].key;
        for (size_t l = 0; l < L; l++) {
            constraint_text(ctext[l], sizeof ctext[l], &spec->constraints[l]);
            ck[l] = ctext[l];
            bound[l] = spec->constraints[l].bound;
            tol[l] = spec->constraints[l].tolerance;
            upper[l] = spec->constraints[l].upper;
        }
        for (size_t c = 0; c < n; c++) {
            const struct flyt_opt_config *cf = &rep->config[c];
            for (size_t i = 0; i < V; i++)
                values[c * V + i] = (double)cf->value[i];
            const struct flyt_stat *o = &cf->objective;
            ost[c * 3] = o->mean;
            ost[c * 3 + 1] = o->ci_low;
            ost[c * 3 + 2] = o->ci_high;
            for (size_t l = 0; l < L; l++) {
                const struct flyt_stat *s = &cf->constraint_stat[l];
                cst[(c * L + l) * 3] = s->mean;
                cst[(c * L + l) * 3 + 1] = s->ci_low;
                cst[(c * L + l) * 3 + 2] = s->ci_high;
            }
            ints[c] = (int)cf->n_run;
            ints[n + c] = (int)cf->n_feasible;
            ints[2 * n + c] = (int)cf->n_select;
            ints[3 * n + c] = cf->constraint;
            ints[4 * n + c] = cf->by;
            ints[5 * n + c] = (int)cf->round;
            dec[c] = flyt_opt_fate_name(cf->fate);
        }
        struct flyt_opt_file f = { spec->path,
                                   spec->text,
                                   scenario,
                                   rep->search == FLYT_OPT_SEARCH_LOCAL ? PROCEDURE_LOCAL
                                                                        : PROCEDURE_GRID,
                                   n,
                                   V,
                                   L,
                                   keys,
                                   values,
                                   spec->objective.name,
                                   ck,
                                   bound,
                                   tol,
                                   upper,
                                   ints,
                                   ints + n,
                                   ints + 2 * n,
                                   dec,
                                   ints + 3 * n,
                                   ints + 4 * n,
                                   ost,
                                   cst,
                                   rep->chosen,
                                   spec->alpha,
                                   spec->indifference,
                                   rep->beta,
                                   rep->h2_feasibility,
                                   rep->h2_selection,
                                   spec->n0,
                                   spec->max_replications,
                                   seed,
                                   rep->capped,
                                   rep->search == FLYT_OPT_SEARCH_LOCAL ? "local" : "grid",
                                   ints + 5 * n,
                                   spec->n_grid,
                                   rep->rounds,
                                   rep->exhausted,
                                   n_terms,
                                   term_kpis,
                                   weights };
        rc = flyt_h5_write_optimise(path, &f, meta, err, sizeof err);
    }
    if (rc != 0)
        fprintf(stderr, "flyt optimise: error: %s\n", err);
    free(values);
    free(ost);
    free(cst);
    free(ints);
    free(dec);
    return rc;
}

/* The scenario's name and the seed every configuration runs with. */
static uint64_t scenario_name(const struct flyt_opt_spec *spec, char *buf, size_t len)
{
    char sb[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(spec, NULL, sb, sets);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(spec->scenario_path, sets, n, &d);
    snprintf(buf, len, "%s", s ? s->name : "?");
    uint64_t seed = s ? s->seed : spec->seed;
    if (d.warnings)
        fputs(d.warnings, stderr);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    return seed;
}

/* Claims the output and the optimised scenario file before anything runs,
 * so a refusal costs nothing. */
static int claim(const struct opt_opts *o, const struct flyt_opt_spec *spec, const char *out)
{
    const char *inputs[] = { spec->path, spec->scenario_path };
    int claimed = flyt_cli_claim_output("optimise", out, FLYT_OUT_HDF5, inputs, 2);
    if (claimed < 0 && o->scenario_out && strcmp(o->scenario_out, out) == 0) {
        fputs("flyt optimise: error: --write-scenario names the output file itself\n", stderr);
        claimed = EXIT_BAD_INPUT;
    }
    if (claimed < 0 && o->scenario_out)
        claimed = flyt_cli_claim_output("optimise", o->scenario_out, FLYT_OUT_TEXT, inputs, 2);
    return claimed;
}

static int execute(const struct opt_opts *o, const struct flyt_opt_spec *spec,
                   const struct flyt_opt_transport *tr)
{
    const char *out = o->c.output ? o->c.output : "flyt-optimise.h5";
    int claimed = claim(o, spec, out);
    if (claimed >= 0)
        return claimed;
    char *journal = flyt_opt_journal_path(out);
    if (!journal) {
        fputs("flyt optimise: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    char name[FLYT_NAME_LEN + 8];
    uint64_t seed = scenario_name(spec, name, sizeof name);
    /* a stop finishes the replications in hand, which the journal keeps */
    if (!tr)
        flyt_cli_signals_install(); /* mpirun's ranks keep the default: the journal covers */
    struct progress_ctx pc = { flyt_cli_seconds(), false };
    bool show = o->c.progress > 0 || (o->c.progress < 0 && isatty(STDERR_FILENO));
    struct flyt_opt_options opts = { o->c.threads, show ? on_progress : NULL, &pc, tr };
    struct flyt_opt_journal jo = { journal, o->resume };
    struct flyt_opt_report rep;
    int rc = flyt_optimise_with(spec, &opts, &jo, &rep);
    if (pc.newline)
        fputc('\n', stderr);
    if (rep.replications_resumed)
        fprintf(stderr, "flyt optimise: resumed: %u of %u replications read back from %s\n",
                rep.replications_resumed, rep.replications, journal);
    if (rc != 0 && flyt_experiment_stop_requested()) {
        int sig = flyt_cli_signal_caught();
        fprintf(stderr,
                "flyt optimise: stopped by %s after %u replications; nothing written; the "
                "finished ones stay in %s: add --resume to go on\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT", rep.replications, journal);
        flyt_opt_report_free(&rep);
        free(journal);
        return 128 + (sig ? sig : SIGINT);
    }
    if (rc != 0) {
        fprintf(stderr, "flyt optimise: error: %s; nothing written%s%s%s\n", rep.detail,
                rc == -2 ? "" : " (the finished replications stay in ", rc == -2 ? "" : journal,
                rc == -2 ? "" : " for --resume)");
        flyt_opt_report_free(&rep);
        free(journal);
        return rc == -2 ? EXIT_BAD_INPUT : EXIT_FAIL;
    }
    if (o->c.json)
        print_json(stdout, spec, &rep, name);
    else
        print_table(stdout, spec, &rep, name);
    fflush(stdout);
    struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(), o->c.threads,
                                  flyt_cli_seconds() - pc.t0 };
    int wrc = write_file(out, spec, &rep, name, seed, &meta);
    char err[1024];
    if (wrc == 0 && o->scenario_out && rep.chosen >= 0 &&
        flyt_opt_write_scenario(o->scenario_out, spec, &rep, flyt_cli_command_line(), err,
                                sizeof err) != 0) {
        fprintf(stderr, "flyt optimise: error: %s\n", err);
        wrc = -1;
    }
    if (o->scenario_out && (wrc != 0 || rep.chosen < 0))
        flyt_out_release(o->scenario_out);
    int status = wrc != 0 || rep.chosen < 0 ? EXIT_FAIL : EXIT_OK;
    if (wrc == 0) {
        /* the file holds everything the journal did */
        if (unlink(journal) != 0)
            fprintf(stderr, "flyt optimise: warning: cannot remove '%s'\n", journal);
        fprintf(stderr, "flyt optimise: %s; wrote %s%s%s\n",
                rep.chosen >= 0 ? "chosen" : "no configuration is feasible", out,
                o->scenario_out && rep.chosen >= 0 ? " and " : "",
                o->scenario_out && rep.chosen >= 0 ? o->scenario_out : "");
    }
    flyt_opt_report_free(&rep);
    free(journal);
    return status;
}

#ifdef FLYT_MPI
static int mpi_send(void *ctx, int to, const void *buf, size_t len)
{
    (void)ctx;
    return flyt_mpi_send_bytes(to, buf, len);
}

static void *mpi_recv(void *ctx, int from, size_t *len)
{
    (void)ctx;
    return flyt_mpi_recv_bytes(from, len);
}
#endif

/* Under mpirun, rank 0 runs the procedure (and alone prints and writes);
 * the other ranks run the replications it sends them until it says stop,
 * then all exit with rank 0's status. */
static int optimise_main(struct opt_opts *o, int rank, const struct flyt_opt_transport *tr)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_opt_spec *spec = flyt_opt_spec_load(o->spec, &diag);
    int rc;
    if (rank != 0) {
        /* a spec that does not load here does not load on rank 0 either */
        rc = flyt_opt_serve(spec, o->c.threads, tr) == 0 ? EXIT_OK : EXIT_FAIL;
    } else if (!spec) {
        fputs(diag.text ? diag.text : "flyt optimise: error: cannot load the spec\n", stderr);
        fprintf(stderr, "%s: %d error%s; nothing simulated\n", o->spec, diag.n_errors,
                diag.n_errors == 1 ? "" : "s");
        rc = EXIT_BAD_INPUT;
    } else {
        rc = execute(o, spec, tr);
    }
    if (rank == 0)
        flyt_opt_stop_workers(tr);
    flyt_diag_free(&diag);
    flyt_opt_spec_free(spec);
    return rc;
}

int flyt_cmd_optimise(int argc, char **argv)
{
    struct opt_opts o = { .c = { .progress = -1 } };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
#ifdef FLYT_MPI
    int rank = 0, size = 1;
    bool mpi = flyt_mpi_launched();
    if (mpi && flyt_mpi_init(&rank, &size) != 0) {
        fputs("flyt optimise: error: MPI_Init failed\n", stderr);
        return EXIT_FAIL;
    }
    struct flyt_opt_transport tr = { (unsigned)(size - 1), mpi_send, mpi_recv, NULL };
    if (rank != 0)
        o.c.progress = 0;
    rc = optimise_main(&o, rank, size > 1 ? &tr : NULL);
    if (size > 1) {
        int worker_rc = rc;
        rc = flyt_mpi_bcast_int(rc);
        if (rank != 0 && worker_rc != EXIT_OK && rc == EXIT_OK)
            rc = worker_rc;
    }
    if (mpi)
        flyt_mpi_finalize();
    return rc;
#else
    return optimise_main(&o, 0, NULL);
#endif
}
