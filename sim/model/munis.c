/* The municipalities of a run: per municipality its accounts (the figures
 * the scenario-wide KPIs come from), its arrival stream and prefixes, and
 * the region's per-site and per-quota tallies. A file without
 * municipalities is one, seen through the scenario's own fields. */
#include "model/model.h"

#include <stdlib.h>
#include <string.h>

/* A plain file's population and decision as a municipality (borrowed
 * pointers: nothing here is freed). */
static void plain_view(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    struct flyt_muni *mu = &m->plain;
    memset(mu, 0, sizeof *mu);
    snprintf(mu->id, sizeof mu->id, "all");
    mu->pop.admissions_per_day = s->admissions_per_day;
    mu->pop.growth_per_year = s->growth_per_year;
    mu->pop.n_growth_by_year = s->n_growth_by_year;
    mu->pop.growth_by_year = s->growth_by_year;
    mu->pop.arrivals = s->arrivals;
    memcpy(mu->pop.month_factor, s->month_factor, sizeof mu->pop.month_factor);
    memcpy(mu->pop.weekday_factor, s->weekday_factor, sizeof mu->pop.weekday_factor);
    memcpy(mu->pop.age_mix, s->age_mix, sizeof mu->pop.age_mix);
    memcpy(mu->pop.cfs_mix, s->cfs_mix, sizeof mu->pop.cfs_mix);
    mu->pop.complex_share = s->complex_share;
    mu->dec.delay = &s->decision_delay;
    mu->dec.working_days_only = s->working_days_only;
    mu->dec.destination = &s->destination;
    mu->dec.complex_wait = &s->complex_wait;
    mu->n_sites = 1;
    mu->site_unit[0] = s->hospital;
    mu->site_p[0] = 1.0;
    mu->unit_lo = 0;
    mu->unit_hi = s->n_units;
}

int flyt__munis_init(struct model *m)
{
    const struct flyt_scenario *s = m->s;
    m->n_acc = s->n_munis > 0 ? s->n_munis : 1;
    m->ms = calloc((size_t)m->n_acc, sizeof *m->ms);
    m->acct = calloc((size_t)m->n_acc, sizeof *m->acct);
    m->site_of = malloc(sizeof *m->site_of * (size_t)s->n_units);
    m->site_unit = malloc(sizeof *m->site_unit * (size_t)s->n_units);
    if (!m->ms || !m->acct || !m->site_of || !m->site_unit)
        return -1;
    if (s->n_munis == 0)
        plain_view(m);
    for (int a = 0; a < m->n_acc; a++) {
        struct muni_state *ms = &m->ms[a];
        ms->mu = s->n_munis > 0 ? &s->munis[a] : &m->plain;
        flyt__running_sums(ms->mu->pop.age_mix, s->n_age_bands, ms->age_cum);
        flyt__running_sums(ms->mu->pop.cfs_mix, 9, ms->cfs_cum);
        flyt__running_sums(ms->mu->site_p, ms->mu->n_sites, ms->site_cum);
    }
    m->n_sites = 0;
    for (int u = 0; u < s->n_units; u++) {
        m->site_of[u] = s->units[u].hospital ? m->n_sites : -1;
        if (s->units[u].hospital)
            m->site_unit[m->n_sites++] = u;
    }
    if (s->n_munis > 0) {
        /* a region has a site (the loader refuses one without) */
        size_t n = (size_t)m->n_acc * (size_t)(m->n_sites > 0 ? m->n_sites : 1);
        m->site_acc = calloc(n, sizeof *m->site_acc);
        if (!m->site_acc)
            return -1;
        bool quota = false;
        for (int u = 0; u < s->n_units; u++)
            quota |= s->units[u].quota != NULL;
        if (quota &&
            !(m->quota_n = calloc((size_t)s->n_units * (size_t)m->n_acc, sizeof *m->quota_n)))
            return -1;
    }
    return 0;
}

void flyt__munis_free(struct model *m)
{
    for (int a = 0; m->ms && a < m->n_acc; a++)
        free(m->ms[a].day_rate);
    for (int a = 0; m->acct && a < m->n_acc; a++) {
        flyt__quantile_free(&m->acct[a].ukp_waits);
        free(m->acct[a].fu);
    }
    free(m->ms);
    free(m->acct);
    free(m->site_of);
    free(m->site_unit);
    free(m->site_acc);
    free(m->quota_n);
}
