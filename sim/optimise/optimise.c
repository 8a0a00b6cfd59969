/* flyt_optimise: the journal, the search the spec asks for, and each
 * visited configuration's summary over the replications it ran. */
#include "optimise/opt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void summarise(struct opt *o)
{
    const struct flyt_opt_spec *spec = o->spec;
    for (unsigned c = 0; c < o->rep->n_configs; c++) {
        struct flyt_opt_config *cf = &o->rep->config[c];
        unsigned n = o->data[c].n;
        cf->n_run = n;
        double *x = malloc((n + 1) * sizeof *x);
        for (unsigned j = 0; x && j < o->width; j++) {
            for (unsigned r = 0; r < n; r++)
                x[r] = o->data[c].y[(size_t)r * o->width + j];
            /* a weighted sum may have any sign */
            int kpi = j == 0 ? spec->objective.kpi : spec->constraints[j - 1].kpi.kpi;
            struct flyt_stat st =
                    flyt_stat_in(x, n, kpi >= 0 ? flyt_kpi_def(kpi)->range : FLYT_RANGE_REAL);
            if (j == 0)
                cf->objective = st;
            else
                cf->constraint_stat[j - 1] = st;
        }
        free(x);
    }
}

int flyt_optimise(const struct flyt_opt_spec *spec, const struct flyt_opt_options *opts,
                  struct flyt_opt_report *rep)
{
    return flyt_optimise_with(spec, opts, NULL, rep);
}

int flyt_optimise_with(const struct flyt_opt_spec *spec, const struct flyt_opt_options *opts,
                       const struct flyt_opt_journal *journal, struct flyt_opt_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->chosen = -1;
    rep->search = spec->search;
    struct opt o = { spec, opts, rep, NULL, 0, 1u + (unsigned)spec->n_constraints, NULL };
    int rc = journal ? opt_journal_open(&o, journal->path, journal->resume) : 0;
    if (rc == 0)
        rc = spec->search == FLYT_OPT_SEARCH_LOCAL ? opt_search_local(&o) : opt_search_grid(&o);
    summarise(&o);
    for (unsigned c = 0; c < rep->n_configs; c++)
        free(o.data[c].y);
    free(o.data);
    if (opt_journal_close(o.journal) != 0 && rc == 0)
        rc = opt_fail(&o, "cannot write the journal");
    return rc;
}

void flyt_opt_report_free(struct flyt_opt_report *rep)
{
    if (rep)
        free(rep->config);
}

char *flyt_opt_journal_path(const char *output)
{
    size_t len = strlen(output) + sizeof ".journal";
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s.journal", output);
    return p;
}

const char *flyt_opt_fate_name(enum flyt_opt_fate fate)
{
    static const char *const names[] = { "chosen",     "not distinguishable", "eliminated",
                                         "infeasible", "undecided",           "not reached" };
    return (unsigned)fate < sizeof names / sizeof names[0] ? names[fate] : "unknown";
}
