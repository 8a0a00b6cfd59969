/* The entries of a fit: one distribution, share table or hazard table per
 * key and cluster of groups, each with the counts behind it. */
#include "fit/fit_internal.h"
#include "flyt/date.h"
#include "flyt/dist.h"
#include "flyt/scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int flyt__fit_sample_add(struct fit_sample *s, double t, bool event)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        double *nt = realloc(s->t, cap * sizeof *nt);
        if (!nt)
            return -1;
        s->t = nt;
        unsigned char *ne = realloc(s->ev, cap);
        if (!ne)
            return -1;
        s->ev = ne;
        s->cap = cap;
    }
    /* a stay recorded to the minute can be 0 long; every family needs t > 0 */
    s->t[s->n] = t > 1.0 / 1440.0 ? t : 1.0 / 1440.0;
    s->ev[s->n++] = event;
    s->n_events += event;
    return 0;
}

void flyt__fit_sample_free(struct fit_sample *s)
{
    free(s->t);
    free(s->ev);
    memset(s, 0, sizeof *s);
}

static int by_cfs(const struct flyt_scenario *s, int *order)
{
    int n = s->n_groups;
    for (int i = 0; i < n; i++)
        order[i] = i;
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && s->groups[order[j]].cfs_lo < s->groups[order[j - 1]].cfs_lo; j--) {
            int t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    return n;
}

int flyt__fit_pool(const struct flyt_scenario *s, const double *size, double min, int *cluster)
{
    int order[FLYT_MAX_GROUPS], n = by_cfs(s, order);
    /* clusters are runs of groups in CFS order: start[k] .. start[k+1]-1 */
    int start[FLYT_MAX_GROUPS + 1] = { 0 }, nk = n;
    double sum[FLYT_MAX_GROUPS] = { 0 };
    for (int k = 0; k < n; k++) {
        start[k] = k;
        sum[k] = size[order[k]];
    }
    start[n] = n;
    for (;;) {
        int worst = -1;
        for (int k = 0; k < nk; k++)
            if (sum[k] < min && (worst < 0 || sum[k] < sum[worst]))
                worst = k;
        if (worst < 0 || nk == 1)
            break;
        int with = worst == 0                         ? 1
                   : worst == nk - 1                  ? nk - 2
                   : sum[worst - 1] <= sum[worst + 1] ? worst - 1
                                                      : worst + 1;
        int a = worst < with ? worst : with;
        sum[a] += sum[a + 1];
        for (int k = a + 1; k < nk - 1; k++) {
            sum[k] = sum[k + 1];
            start[k] = start[k + 1];
        }
        start[nk - 1] = start[nk];
        nk--;
    }
    for (int k = 0; k < nk; k++)
        for (int i = start[k]; i < start[k + 1]; i++)
            cluster[order[i]] = k;
    return nk;
}

void flyt__fit_label(const struct flyt_scenario *s, unsigned mask, char *buf, size_t len)
{
    size_t at = 0;
    buf[0] = '\0';
    for (int g = 0; g < s->n_groups; g++) {
        if (!(mask & (1u << g)))
            continue;
        int w = snprintf(buf + at, len - at, "%s%s", at ? "+" : "", s->groups[g].name);
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
}

int flyt__fit_note(struct flyt_fit *f, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **n = realloc(f->notes, (f->n_notes + 1) * sizeof *n);
    if (!n)
        return -1;
    f->notes = n;
    if (!(n[f->n_notes] = strdup(buf)))
        return -1;
    f->n_notes++;
    return 0;
}

/* A fit a scenario can hold: finite, positive, and (Weibull) a shape in
 * the range flyt_dist_prepare takes, written as it will be (%.6g). */
static bool writable(const struct flyt_est_fit *x)
{
    if (!x->ok || !isfinite(x->mean) || !(x->mean > 0) || x->mean > 1e9)
        return false;
    static const enum flyt_dist_kind kind[FLYT_EST_N_FAMILY] = {
        FLYT_DIST_EXPONENTIAL, FLYT_DIST_GAMMA, FLYT_DIST_LOGNORMAL, FLYT_DIST_WEIBULL
    };
    char buf[64];
    struct flyt_dist d = { .kind = kind[x->family] };
    snprintf(buf, sizeof buf, "%.6g", x->mean);
    d.mean = strtod(buf, NULL);
    if (x->family != FLYT_EST_EXPONENTIAL) {
        if (!isfinite(x->sd) || !(x->sd > 0) || x->sd > 1e9)
            return false;
        snprintf(buf, sizeof buf, "%.6g", x->sd);
        d.sd = strtod(buf, NULL);
    } else {
        d.sd = d.mean;
    }
    const char *why = NULL;
    bool ok = flyt_dist_prepare(&d, &why) == 0;
    flyt_dist_clear(&d);
    return ok;
}

/* The family with the next smallest AIC after `after` that a scenario
 * can hold, or -1. */
static int next_writable(const struct flyt_est_fit *fits, int after)
{
    int best = -1;
    for (int k = 0; k < FLYT_EST_N_FAMILY; k++)
        if (k != after && writable(&fits[k]) && (best < 0 || fits[k].aic < fits[best].aic))
            best = k;
    return best;
}

/* The KM's jumps as an empirical distribution; the mass left after the
 * last event (censored beyond it) goes to the largest time seen, so the
 * mean is the KM's restricted mean: a floor when many stays are open. */
static int empirical(struct flyt_fit_dist *d, const struct fit_sample *x)
{
    const struct flyt_est_km *km = &d->km;
    double tmax = 0;
    for (size_t i = 0; i < x->n; i++)
        if (x->t[i] > tmax)
            tmax = x->t[i];
    size_t n = km->n + 1;
    d->emp_values = malloc(n * sizeof(double));
    d->emp_weights = malloc(n * sizeof(double));
    if (!d->emp_values || !d->emp_weights)
        return -1;
    double prev = 1.0;
    size_t k = 0;
    for (size_t i = 0; i < km->n; i++) {
        double w = prev - km->s[i];
        prev = km->s[i];
        if (w > 0) {
            d->emp_values[k] = km->t[i];
            d->emp_weights[k++] = w;
        }
    }
    if (prev > 1e-12) {
        d->emp_values[k] = tmax;
        d->emp_weights[k++] = prev;
    }
    d->n_emp = k;
    return 0;
}

int flyt__fit_dist(struct flyt_fit *f, const char *key, unsigned mask, const struct fit_sample *x,
                   const struct flyt_fit_options *o)
{
    struct flyt_fit_dist *nd = realloc(f->dists, (f->n_dists + 1) * sizeof *nd);
    if (!nd)
        return -1;
    f->dists = nd;
    struct flyt_fit_dist *d = &nd[f->n_dists];
    memset(d, 0, sizeof *d);
    snprintf(d->key, sizeof d->key, "%s", key);
    flyt__fit_label(f->base, mask, d->label, sizeof d->label);
    d->group_mask = mask;
    d->n = x->n;
    d->n_events = x->n_events;
    struct flyt_est_sample es = { .t = x->t, .event = x->ev, .n = x->n };
    if (flyt_est_km(&es, &d->km) != 0)
        return -1;
    f->n_dists++;
    int best = -1;
    if (flyt_est_fit_best(&es, d->fits, &best, o->seed, o->n_boot) != 0)
        best = -1;
    if (best >= 0 && !writable(&d->fits[best]))
        best = next_writable(d->fits, best);
    d->best = best;
    if (best >= 0 && o->n_boot > 0 && !(d->fits[best].gof_p >= o->gof_alpha))
        d->best = -1; /* no family fits: the data's own distribution */
    if (d->best < 0)
        return empirical(d, x);
    return 0;
}

static struct flyt_fit_shares *new_shares(struct flyt_fit *f)
{
    struct flyt_fit_shares *ns = realloc(f->shares, (f->n_shares + 1) * sizeof *ns);
    if (!ns)
        return NULL;
    f->shares = ns;
    memset(&ns[f->n_shares], 0, sizeof *ns);
    return &ns[f->n_shares++];
}

int flyt__fit_shares(struct flyt_fit *f, const char *key, unsigned mask, int n_cat,
                     const char (*cat)[48], const double *count)
{
    struct flyt_fit_shares *sh = new_shares(f);
    if (!sh)
        return -1;
    snprintf(sh->key, sizeof sh->key, "%s", key);
    flyt__fit_label(f->base, mask, sh->label, sizeof sh->label);
    sh->group_mask = mask;
    sh->n_cat = n_cat;
    for (int j = 0; j < n_cat; j++) {
        memcpy(sh->cat[j], cat[j], 48);
        sh->count[j] = count[j];
        sh->total += count[j];
    }
    if (n_cat == 2) {
        /* a yes/no share: Wilson, the same interval for either side */
        flyt_est_proportion(count[0], sh->total, &sh->share[0], &sh->lo[0], &sh->hi[0]);
        sh->share[1] = 1.0 - sh->share[0];
        sh->lo[1] = 1.0 - sh->hi[0];
        sh->hi[1] = 1.0 - sh->lo[0];
        return 0;
    }
    if (flyt_est_shares(count, n_cat, sh->share, sh->lo, sh->hi) != 0)
        for (int j = 0; j < n_cat; j++)
            sh->share[j] = sh->lo[j] = sh->hi[j] = NAN;
    return 0;
}

int flyt__fit_rates(struct flyt_fit *f, const char *key, unsigned mask, int n_cat,
                    const char (*cat)[48], const double *events, double exposure_days)
{
    struct flyt_fit_rates *nr = realloc(f->rates, (f->n_rates + 1) * sizeof *nr);
    if (!nr)
        return -1;
    f->rates = nr;
    struct flyt_fit_rates *r = &nr[f->n_rates++];
    memset(r, 0, sizeof *r);
    snprintf(r->key, sizeof r->key, "%s", key);
    flyt__fit_label(f->base, mask, r->label, sizeof r->label);
    r->group_mask = mask;
    r->n_cat = n_cat;
    r->exposure_years = exposure_days / 365.0; /* the model's year (rates_per_year) */
    for (int j = 0; j < n_cat; j++) {
        memcpy(r->cat[j], cat[j], 48);
        r->events[j] = events[j];
        flyt_est_rate(events[j], r->exposure_years, &r->rate[j], &r->lo[j], &r->hi[j]);
    }
    return 0;
}

double flyt__fit_working_days(double a, double b)
{
    if (!(b > a))
        return 0.0;
    double sum = 0.0;
    for (long day = (long)floor(a); (double)day < b; day++) {
        if (flyt_weekday((int)day) >= 5)
            continue;
        double d = (double)day;
        double lo = a > d ? a : d, hi = b < d + 1.0 ? b : d + 1.0;
        if (hi > lo)
            sum += hi - lo;
    }
    return sum;
}
