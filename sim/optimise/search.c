/* Which configurations flyt optimise compares (docs/optimise.md): the
 * whole grid in one set, or a local search: a Latin hypercube start, then
 * the neighbourhood of the incumbent, set after set, until the incumbent
 * wins its own neighbourhood. */
#include "optimise/opt_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int opt_search_grid(struct opt *o)
{
    const struct flyt_opt_spec *spec = o->spec;
    unsigned K = spec->n_configs, L = (unsigned)spec->n_constraints;
    o->rep->beta = L ? spec->alpha / 2 / ((double)K * L) : 0;
    o->rep->h2_feasibility = L ? opt_h2(o->rep->beta, spec->n0) : 0;
    unsigned *set = malloc((K + 1) * sizeof *set);
    if (!set)
        return opt_fail(o, "out of memory");
    int levels[FLYT_OPT_MAX_VARS];
    for (unsigned c = 0; c < K; c++) {
        flyt_opt_config_levels(spec, c, levels);
        int i = opt_visit(o, levels, 0, false);
        if (i < 0) {
            free(set);
            return -1;
        }
        set[c] = (unsigned)i;
    }
    int rc = opt_decide(o, set, K, &o->rep->chosen);
    free(set);
    return rc;
}

/* splitmix64: the start's points from the seed alone, the same on every
 * machine (no library generator whose stream might change). */
static uint64_t mix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static double unit(uint64_t *x)
{
    return (double)(mix(x) >> 11) * 0x1.0p-53;
}

/* m points of a Latin hypercube on the levels (one point in each of m
 * equal slices of every variable's range), then the corner with every
 * variable at its largest value: when more of each resource only helps
 * the constraints, the start has a feasible point whenever the space has. */
static int start_set(struct opt *o, unsigned *set, unsigned *k)
{
    const struct flyt_opt_spec *spec = o->spec;
    unsigned m = spec->start_points, V = (unsigned)spec->n_vars;
    uint64_t x = (spec->has_seed ? spec->seed : 0) ^ 0x6f7074696d697365ULL; /* "optimise" */
    unsigned perm[FLYT_OPT_MAX_VARS][64];
    for (unsigned i = 0; i < V; i++) {
        for (unsigned p = 0; p < m; p++)
            perm[i][p] = p;
        for (unsigned p = m; p > 1; p--) {
            unsigned q = (unsigned)(mix(&x) % p), t = perm[i][p - 1];
            perm[i][p - 1] = perm[i][q];
            perm[i][q] = t;
        }
    }
    *k = 0;
    int levels[FLYT_OPT_MAX_VARS];
    for (unsigned p = 0; p <= m; p++) {
        for (unsigned i = 0; i < V; i++) {
            int n = spec->vars[i].n_values;
            int l = p == m ? n - 1 : (int)floor((perm[i][p] + unit(&x)) / m * n);
            levels[i] = l < n ? l : n - 1;
        }
        unsigned before = o->rep->n_configs;
        int c = opt_visit(o, levels, 0, true);
        if (c < 0)
            return -1;
        if (o->rep->n_configs > before) /* the same point twice is compared once */
            set[(*k)++] = (unsigned)c;
    }
    return 0;
}

/* The incumbent and its neighbours (one step down or up in one variable);
 * how many are new, without visiting them, through *n_new. */
static unsigned neighbourhood(struct opt *o, unsigned inc, int (*lv)[FLYT_OPT_MAX_VARS],
                              unsigned *n_new)
{
    const struct flyt_opt_spec *spec = o->spec;
    int base[FLYT_OPT_MAX_VARS];
    flyt_opt_config_levels(spec, o->rep->config[inc].index, base);
    unsigned k = 0;
    *n_new = 0;
    memcpy(lv[k++], base, sizeof base);
    for (int i = 0; i < spec->n_vars; i++)
        for (int d = -1; d <= 1; d += 2) {
            int l = base[i] + d;
            if (l < 0 || l >= spec->vars[i].n_values)
                continue;
            memcpy(lv[k], base, sizeof base);
            lv[k][i] = l;
            uint64_t index = flyt_opt_grid_index(spec, lv[k]);
            bool seen = false;
            for (unsigned c = 0; c < o->rep->n_configs && !seen; c++)
                seen = o->rep->config[c].index == index;
            *n_new += !seen;
            k++;
        }
    return k;
}

int opt_search_local(struct opt *o)
{
    const struct flyt_opt_spec *spec = o->spec;
    struct flyt_opt_report *rep = o->rep;
    unsigned V = (unsigned)spec->n_vars, L = (unsigned)spec->n_constraints;
    unsigned largest = spec->start_points + 1 > 2 * V + 1 ? spec->start_points + 1 : 2 * V + 1;
    /* one beta for every check, the Bonferroni share of the largest set:
     * a configuration's feasibility is decided once and holds in every
     * set it is compared in */
    rep->beta = L ? spec->alpha / 2 / ((double)largest * L) : 0;
    rep->h2_feasibility = L ? opt_h2(rep->beta, spec->n0) : 0;
    unsigned set[2 * FLYT_OPT_MAX_VARS + 65], k = 0;
    int lv[2 * FLYT_OPT_MAX_VARS + 1][FLYT_OPT_MAX_VARS];
    int pick = -1;
    if (start_set(o, set, &k) != 0 || opt_decide(o, set, k, &pick) != 0)
        return -1;
    unsigned *trail = malloc((spec->max_configurations + 2) * sizeof *trail), n_trail = 0;
    if (!trail)
        return opt_fail(o, "out of memory");
    int rc = 0;
    while (pick >= 0) {
        unsigned inc = (unsigned)pick, n_new;
        trail[n_trail++] = inc;
        k = neighbourhood(o, inc, lv, &n_new);
        if (rep->n_configs + n_new > spec->max_configurations) {
            rep->exhausted = true;
            break;
        }
        rep->rounds++;
        for (unsigned i = 0; i < k; i++) {
            int c = opt_visit(o, lv[i], rep->rounds, true);
            if (c < 0) {
                rc = -1;
                break;
            }
            set[i] = (unsigned)c;
        }
        if (rc != 0 || (rc = opt_decide(o, set, k, &pick)) != 0)
            break;
        /* the incumbent wins its neighbourhood: a local optimum; a pick
         * that was an incumbent before would only lead round a cycle of
         * configurations KN cannot tell apart */
        bool again = false;
        for (unsigned t = 0; t < n_trail && !again; t++)
            again = trail[t] == (unsigned)pick;
        if (again)
            break;
    }
    free(trail);
    rep->chosen = pick;
    return rc;
}
