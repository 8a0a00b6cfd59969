/* A region's catchments: the municipalities joined by what their patients
 * can use (their own units, the shared units they are users of, their
 * hospital sites, every unit a route they can follow names, their
 * coordinators' units). Two catchments share no unit, queue or role, and
 * every stream is keyed by municipality, so a catchment's events are the
 * same, in the same order among themselves, whether the others are on the
 * calendar or not (the superposition of docs/region.md). The national
 * region has 18 of them; run one after another, each with its patients
 * and units in the caches, its year costs three quarters of the time on
 * one calendar (docs/region.md, "Scale"). */
#include "model/model.h"

#include "flyt/model.h"

#include <stdlib.h>
#include <string.h>

static int root(int *parent, int a)
{
    while (parent[a] != a) {
        parent[a] = parent[parent[a]];
        a = parent[a];
    }
    return a;
}

static void join(int *parent, int a, int b)
{
    a = root(parent, a);
    b = root(parent, b);
    if (a != b)
        parent[a < b ? b : a] = a < b ? a : b;
}

/* Marks the unit a route target leads municipality i to, if any (not
 * home or death). */
static void mark(const struct flyt_scenario *s, int i, int to, bool *seen, int *stack, int *top)
{
    if (to == FLYT_ROUTE_SITE)
        return; /* the patient's own site: marked with the sites */
    int u = flyt_route_resolve(s, to, i, 0);
    if (u < 0 || u >= s->n_units || seen[u])
        return;
    seen[u] = true;
    stack[(*top)++] = u;
}

static void mark_routes(const struct flyt_scenario *s, int i, const struct flyt_routes *r,
                        bool *seen, int *stack, int *top)
{
    for (int j = 0; r && j < r->n; j++)
        mark(s, i, r->to[j], seen, stack, top);
}

/* Every unit municipality i's patients can be in, joined to it. */
static void reach(const struct flyt_scenario *s, int i, int *parent, bool *seen, int *stack)
{
    const struct flyt_muni *mu = &s->munis[i];
    int top = 0;
    memset(seen, 0, (size_t)s->n_units * sizeof *seen);
    for (int u = mu->unit_lo; u < mu->unit_hi; u++)
        mark(s, i, u, seen, stack, &top);
    for (int k = 0; k < mu->n_sites; k++)
        mark(s, i, mu->site_unit[k], seen, stack, &top);
    mark_routes(s, i, mu->dec.destination, seen, stack, &top);
    for (int r = 0; r < s->n_roles; r++) {
        const struct flyt_role *ro = &s->roles[r];
        if (ro->muni != i)
            continue;
        if (ro->case_unit >= 0)
            mark(s, i, ro->case_unit, seen, stack, &top);
        if (ro->los_unit >= 0)
            mark(s, i, ro->los_unit, seen, stack, &top);
        if (ro->has_destination)
            mark_routes(s, i, &ro->destination, seen, stack, &top);
        if (ro->has_outcome)
            mark_routes(s, i, &ro->outcome, seen, stack, &top);
    }
    /* and on from each unit reached, by its outcomes and hazards */
    for (int k = 0; k < top; k++) {
        const struct flyt_unit *x = &s->units[stack[k]];
        mark_routes(s, i, &x->outcome, seen, stack, &top);
        mark_routes(s, i, &x->hazards, seen, stack, &top);
    }
    for (int k = 0; k < top; k++)
        join(parent, i, s->n_munis + stack[k]);
}

/* Whether a region can run catchment by catchment at all: a coordinator
 * of any municipality, or a shared unit open to all, joins everything. */
static bool may_split(const struct flyt_scenario *s)
{
    if (s->n_munis < 2 || s->one_calendar || s->max_events > 0)
        return false; /* an event budget counts the events of the whole run */
    for (int r = 0; r < s->n_roles; r++)
        if (s->roles[r].muni < 0)
            return false;
    for (int u = 0; u < s->n_units; u++)
        if (s->units[u].muni < 0 && !s->units[u].hospital && !s->units[u].users)
            return false;
    return true;
}

int flyt__catchments_plan(const struct flyt_scenario *s, struct flyt__catchments *c)
{
    memset(c, 0, sizeof *c);
    c->n = 1;
    if (!may_split(s))
        return 1;
    int nm = s->n_munis, nu = s->n_units;
    if (nm < 2 || nu < 1)
        return 1;
    int *parent = calloc((size_t)nm + (size_t)nu, sizeof *parent);
    int *stack = malloc(sizeof *stack * (size_t)nu);
    bool *seen = malloc(sizeof *seen * (size_t)nu);
    c->of_muni = malloc(sizeof *c->of_muni * (size_t)nm);
    c->of_unit = malloc(sizeof *c->of_unit * (size_t)nu);
    if (!parent || !stack || !seen || !c->of_muni || !c->of_unit) {
        free(parent);
        free(stack);
        free(seen);
        flyt__catchments_free(c);
        return -1;
    }
    for (size_t a = 0; a < (size_t)nm + (size_t)nu; a++)
        parent[a] = (int)a;
    /* a shared unit's first patients are drawn among all its users */
    for (int u = 0; u < nu; u++) {
        const struct flyt_unit *x = &s->units[u];
        for (int i = 0; x->muni < 0 && !x->hospital && i < nm; i++)
            if (x->users[i])
                join(parent, i, nm + u);
    }
    for (int i = 0; i < nm; i++)
        reach(s, i, parent, seen, stack);
    /* numbered in the order of their first municipality; the roots are
     * the smallest members, so a catchment's root is one of its munis */
    int n = 0;
    for (int i = 0; i < nm; i++) {
        int r = root(parent, i);
        c->of_muni[i] = r == i ? n++ : c->of_muni[r];
    }
    /* a unit no municipality reaches (a site nobody is sent to) goes with
     * the first: its days are counted and its series written there */
    for (int u = 0; u < nu; u++) {
        int r = root(parent, nm + u);
        c->of_unit[u] = r < nm ? c->of_muni[r] : 0;
    }
    free(parent);
    free(stack);
    free(seen);
    c->n = n;
    return n;
}

void flyt__catchments_free(struct flyt__catchments *c)
{
    free(c->of_muni);
    free(c->of_unit);
    c->of_muni = c->of_unit = NULL;
}

void flyt__catchment_select(struct model *m, const struct flyt__catchments *c, int k)
{
    const struct flyt_scenario *s = m->s;
    /* NULL: every unit, municipality and role */
    const int *unit = k >= 0 && c && c->n > 1 ? c->of_unit : NULL;
    const int *muni = unit ? c->of_muni : NULL;
    m->n_cu = m->n_ca = m->n_cr = 0;
    for (int u = 0; u < s->n_units; u++)
        if (!unit || unit[u] == k)
            m->cu[m->n_cu++] = u;
    for (int a = 0; a < m->n_acc; a++)
        if (!muni || muni[a] == k)
            m->ca[m->n_ca++] = a;
    for (int r = 0; r < s->n_roles; r++)
        if (!muni || muni[s->roles[r].muni] == k)
            m->cr[m->n_cr++] = r;
}

int flyt__catchment_lists(struct model *m)
{
    m->cu = malloc(sizeof *m->cu * (size_t)(m->s->n_units > 0 ? m->s->n_units : 1));
    m->ca = malloc(sizeof *m->ca * (size_t)(m->n_acc > 0 ? m->n_acc : 1));
    if (!m->cu || !m->ca)
        return -1;
    flyt__catchment_select(m, NULL, -1);
    m->cap_patients = m->s->max_patients;
    return 0;
}

int flyt_model_catchments(const struct flyt_scenario *s)
{
    struct flyt__catchments c;
    int n = flyt__catchments_plan(s, &c);
    flyt__catchments_free(&c);
    return n;
}
