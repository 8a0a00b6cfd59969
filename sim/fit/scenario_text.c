/* The fitted scenario: the base's own text with each estimate written in
 * place of the value it replaces, commented with the records behind it and
 * its interval. The result is loaded again before it is written, so a file
 * flyt fit writes always validates. */
#include "fit/fit_internal.h"
#include "flyt/date.h"
#include "flyt/scenario.h"
#include "flyt/scenario_edit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct text {
    char *s;
    size_t len, cap;
    bool failed;
};

static void put(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *fmt, ...)
{
    if (t->failed)
        return;
    va_list ap;
    va_start(ap, fmt);
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) {
        t->failed = true;
        return;
    }
    size_t add = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    if (t->len + add + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        while (cap < t->len + add + 1)
            cap *= 2;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = true;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
    memcpy(t->s + t->len, buf, add);
    t->len += add;
    t->s[t->len] = '\0';
}

/* Shares rounded to millionths that sum to exactly 1 (largest remainder),
 * so the loader's sum check never meets a rounding error. */
static void round_shares(const double *share, int n, long *out)
{
    long sum = 0;
    double rem[FLYT_FIT_MAX_CATS] = { 0 };
    if (n <= 0)
        return;
    for (int j = 0; j < n; j++) {
        double v = isfinite(share[j]) && share[j] > 0 ? share[j] * 1e6 : 0;
        out[j] = (long)floor(v);
        rem[j] = v - (double)out[j];
        sum += out[j];
    }
    while (sum < 1000000) {
        int best = 0;
        for (int j = 1; j < n; j++)
            if (rem[j] > rem[best])
                best = j;
        out[best]++;
        rem[best] = -1;
        sum++;
    }
}

static void put_share(struct text *t, long millionths)
{
    put(t, "%ld.%06ld", millionths / 1000000, millionths % 1000000);
}

/* ---- distributions --------------------------------------------------- */

/* An empirical distribution of at most 100 values: the KM's jumps put in
 * bins of equal probability, each at its probability-weighted mean. */
static void put_empirical(struct text *t, const struct flyt_fit_dist *d)
{
    size_t n = d->n_emp, bins = n > 100 ? 100 : n;
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += d->emp_weights[i];
    put(t, "{ dist = \"empirical\"; values = [");
    double w = 0, wx = 0, edge = total / (double)bins;
    size_t k = 0;
    char weights[4096] = "";
    size_t wl = 0;
    for (size_t i = 0; i < n; i++) {
        w += d->emp_weights[i];
        wx += d->emp_weights[i] * d->emp_values[i];
        if (w >= edge * (double)(k + 1) - 1e-12 || i == n - 1) {
            put(t, "%s%.6g", k ? ", " : "", wx / w);
            int m = snprintf(weights + wl, sizeof weights - wl, "%s%.6g", k ? ", " : "", w / total);
            if (m > 0 && (size_t)m < sizeof weights - wl)
                wl += (size_t)m;
            k++;
            w = wx = 0;
        }
    }
    put(t, "]; weights = [%s]; }", weights);
}

/* The per-group values' printers (struct kind below) all take the
 * scenario and their own estimate, whether they need the scenario or not. */
static void put_dist(struct text *t, const struct flyt_scenario *s, const void *est)
{
    const struct flyt_fit_dist *d = est;
    (void)s;
    if (d->best < 0) {
        put_empirical(t, d);
        return;
    }
    const struct flyt_est_fit *x = &d->fits[d->best];
    if (x->family == FLYT_EST_EXPONENTIAL)
        put(t, "{ dist = \"exponential\"; mean = %.6g; }", x->mean);
    else
        put(t, "{ dist = \"%s\"; mean = %.6g; sd = %.6g; }", flyt_est_family_name(x->family),
            x->mean, x->sd);
}

static void put_dist_comment(struct text *t, const void *est)
{
    const struct flyt_fit_dist *d = est;
    put(t, "n = %zu (%zu still running)", d->n, d->n - d->n_events);
    if (d->best < 0) {
        put(t, "; no family fits (best p = ");
        double p = 0;
        for (int k = 0; k < FLYT_EST_N_FAMILY; k++)
            if (d->fits[k].ok && d->fits[k].gof_p > p)
                p = d->fits[k].gof_p;
        put(t, "%.3g): the Kaplan-Meier estimate", p);
        return;
    }
    const struct flyt_est_fit *x = &d->fits[d->best];
    int second = -1;
    for (int k = 0; k < FLYT_EST_N_FAMILY; k++)
        if (k != d->best && d->fits[k].ok && (second < 0 || d->fits[k].aic < d->fits[second].aic))
            second = k;
    put(t, "; %s by AIC", flyt_est_family_name(x->family));
    if (second >= 0)
        put(t, " (%s +%.1f)", flyt_est_family_name(d->fits[second].family),
            d->fits[second].aic - x->aic);
    put(t, "; 95 %% CI mean %.4g-%.4g", x->mean_lo, x->mean_hi);
    if (x->family != FLYT_EST_EXPONENTIAL)
        put(t, ", sd %.4g-%.4g", x->sd_lo, x->sd_hi);
    if (isfinite(x->gof_p))
        put(t, "; fit p = %.2g", x->gof_p);
}

/* ---- edits ----------------------------------------------------------- */

struct edits {
    struct flyt_scenario_edit *e;
    int n;
    char **owned;
    int n_owned;
    bool failed;
};

static char *keep(struct edits *ed, char *s)
{
    if (!s) {
        ed->failed = true;
        return NULL;
    }
    char **o = realloc(ed->owned, (size_t)(ed->n_owned + 1) * sizeof *o);
    if (!o) {
        free(s);
        ed->failed = true;
        return NULL;
    }
    ed->owned = o;
    o[ed->n_owned++] = s;
    return s;
}

static void add(struct edits *ed, const char *path, struct text *value, struct text *comment)
{
    if (value && value->failed)
        ed->failed = true;
    struct flyt_scenario_edit *e = realloc(ed->e, (size_t)(ed->n + 1) * sizeof *e);
    if (!e) {
        ed->failed = true;
        return;
    }
    ed->e = e;
    e[ed->n].path = keep(ed, strdup(path));
    e[ed->n].value = value ? keep(ed, value->s ? value->s : strdup("")) : NULL;
    e[ed->n].comment = comment && comment->s ? keep(ed, comment->s) : NULL;
    if (comment && !comment->s)
        e[ed->n].comment = NULL;
    ed->n++;
    if (value)
        memset(value, 0, sizeof *value);
    if (comment)
        memset(comment, 0, sizeof *comment);
}

static bool per_group(const struct flyt_scenario *s, const char *key)
{
    return s->n_groups > 1 && strcmp(key, "decision.delay_days") != 0 &&
           strcmp(key, "decision.complex_placement_days") != 0;
}

/* The base's routes for a key, or NULL. */
static const struct flyt_routes *base_routes(const struct flyt_scenario *s, const char *key)
{
    if (!s)
        return NULL;
    if (strcmp(key, "decision.destination") == 0)
        return &s->destination;
    for (int u = 0; u < s->n_units; u++) {
        size_t n = strlen(s->units[u].id);
        if (strncmp(key, "units.", 6) != 0 || strncmp(key + 6, s->units[u].id, n) != 0 ||
            key[6 + n] != '.')
            continue;
        if (strcmp(key + 7 + n, "outcome") == 0)
            return &s->units[u].outcome;
        if (strcmp(key + 7 + n, "rates_per_year") == 0)
            return &s->units[u].hazards;
    }
    return NULL;
}

/* Categories in the order the base writes its routes, new ones after:
 * shares are drawn in the table's order, so keeping it keeps each
 * patient's draw on the same route where the shares barely moved, and a
 * comparison of base and fitted scenario (common random numbers) shows
 * what the estimates changed, not a reshuffle of who goes where. */
static void route_order(const struct flyt_scenario *s, const char *key, int n_cat,
                        const char (*cat)[48], int *order)
{
    const struct flyt_routes *r = base_routes(s, key);
    int rank[FLYT_FIT_MAX_CATS] = { 0 };
    for (int j = 0; j < n_cat; j++) {
        int to = strcmp(cat[j], "home") == 0    ? FLYT_ROUTE_HOME
                 : strcmp(cat[j], "death") == 0 ? FLYT_ROUTE_DEATH
                                                : -100;
        for (int u = 0; to == -100 && u < s->n_units; u++)
            if (strcmp(cat[j], s->units[u].id) == 0)
                to = u;
        rank[j] = FLYT_FIT_MAX_CATS + j;
        for (int k = 0; r && k < r->n; k++)
            if (r->to[k] == to)
                rank[j] = k;
        order[j] = j;
    }
    for (int i = 1; i < n_cat; i++)
        for (int k = i; k > 0 && rank[order[k]] < rank[order[k - 1]]; k--) {
            int t = order[k];
            order[k] = order[k - 1];
            order[k - 1] = t;
        }
}

static void put_routes(struct text *v, const struct flyt_scenario *s, const void *est)
{
    const struct flyt_fit_shares *sh = est;
    long r[FLYT_FIT_MAX_CATS] = { 0 };
    int order[FLYT_FIT_MAX_CATS] = { 0 };
    round_shares(sh->share, sh->n_cat, r);
    route_order(s, sh->key, sh->n_cat, (const char(*)[48])sh->cat, order);
    put(v, "{ ");
    for (int i = 0; i < sh->n_cat; i++) {
        int j = order[i];
        if (r[j] > 0) {
            put(v, "%s = ", sh->cat[j]);
            put_share(v, r[j]);
            put(v, "; ");
        }
    }
    put(v, "}");
}

static void put_routes_comment(struct text *c, const void *est)
{
    const struct flyt_fit_shares *sh = est;
    put(c, "n = %.0f;", sh->total);
    for (int j = 0; j < sh->n_cat; j++)
        if (sh->count[j] > 0)
            put(c, " %s %.3f-%.3f", sh->cat[j], sh->lo[j], sh->hi[j]);
}

/* A probability: the first category's share. */
static void put_probability(struct text *t, const struct flyt_scenario *s, const void *est)
{
    const struct flyt_fit_shares *sh = est;
    (void)s;
    put(t, "%.6f", sh->share[0]);
}

static void put_probability_comment(struct text *t, const void *est)
{
    const struct flyt_fit_shares *sh = est;
    put(t, "n = %.0f; 95 %% CI %.4f-%.4f", sh->total, sh->lo[0], sh->hi[0]);
}

/* One group's rates are the block's own lines (group_edit), so only a
 * table per group has braces of its own. */
static void put_rates(struct text *t, const struct flyt_scenario *s, const void *est)
{
    const struct flyt_fit_rates *r = est;
    int order[FLYT_FIT_MAX_CATS] = { 0 };
    route_order(s, r->key, r->n_cat, (const char(*)[48])r->cat, order);
    if (s->n_groups > 1)
        put(t, "{ ");
    for (int i = 0; i < r->n_cat; i++)
        if (r->events[order[i]] > 0)
            put(t, "%s = %.6g; ", r->cat[order[i]], r->rate[order[i]]);
    if (s->n_groups > 1)
        put(t, "}");
}

static void put_rates_comment(struct text *t, const void *est)
{
    const struct flyt_fit_rates *r = est;
    put(t, "%.1f person-years:", r->exposure_years);
    for (int j = 0; j < r->n_cat; j++)
        if (r->events[j] > 0)
            put(t, " %s %.0f (%.3g-%.3g)", r->cat[j], r->events[j], r->lo[j], r->hi[j]);
}

/* ---- per-group values ------------------------------------------------ */

/* An estimate as group_edit sees it: the kind's own, for its printers,
 * and the groups that share it. */
struct found {
    const void *est;
    unsigned group_mask;
    const char *label;
};

static struct found find_dist(const struct flyt_fit *f, const char *key, int g)
{
    for (size_t i = 0; i < f->n_dists; i++)
        if (strcmp(f->dists[i].key, key) == 0 && (f->dists[i].group_mask & (1u << g)))
            return (struct found){ &f->dists[i], f->dists[i].group_mask, f->dists[i].label };
    return (struct found){ 0 };
}

static struct found find_shares(const struct flyt_fit *f, const char *key, int g)
{
    for (size_t i = 0; i < f->n_shares; i++)
        if (strcmp(f->shares[i].key, key) == 0 && (f->shares[i].group_mask & (1u << g)))
            return (struct found){ &f->shares[i], f->shares[i].group_mask, f->shares[i].label };
    return (struct found){ 0 };
}

static struct found find_rates(const struct flyt_fit *f, const char *key, int g)
{
    for (size_t i = 0; i < f->n_rates; i++)
        if (strcmp(f->rates[i].key, key) == 0 && (f->rates[i].group_mask & (1u << g)))
            return (struct found){ &f->rates[i], f->rates[i].group_mask, f->rates[i].label };
    return (struct found){ 0 };
}

/* What a kind of per-group value has of its own; group_edit writes the
 * rest the same way for all. */
struct kind {
    struct found (*find)(const struct flyt_fit *f, const char *key, int g);
    void (*value)(struct text *t, const struct flyt_scenario *s, const void *est);
    void (*comment)(struct text *t, const void *est);
    bool always_block; /* a caseload's rates: a block even for one group */
    bool name_pool;    /* the long lines say which groups are pooled */
    const char *head;  /* after the table's "{" */
};

static const struct kind dist_kind = { .find = find_dist,
                                       .value = put_dist,
                                       .comment = put_dist_comment,
                                       .name_pool = true,
                                       .head = " # fitted per frailty group" };
static const struct kind routes_kind = {
    .find = find_shares,
    .value = put_routes,
    .comment = put_routes_comment,
    .name_pool = true,
    .head = " # shares per frailty group, with simultaneous 95 % intervals"
};
static const struct kind probability_kind = {
    .find = find_shares, .value = put_probability, .comment = put_probability_comment, .head = ""
};
static const struct kind rates_kind = {
    .find = find_rates,
    .value = put_rates,
    .comment = put_rates_comment,
    .always_block = true,
    .head = " # events per person-year at risk, with exact 95 % intervals"
};

/* One value with its comment where the scenario holds one, else a table
 * with a line per group, commented there. No estimate for group 0: the
 * records told nothing of the key, which keeps the base's value. */
static void group_edit(struct edits *ed, const struct flyt_fit *f, const char *key,
                       const struct kind *k)
{
    const struct flyt_scenario *s = f->base;
    struct text v = { 0 }, c = { 0 };
    struct found x = k->find(f, key, 0);
    if (!x.est)
        return;
    if (!k->always_block && !per_group(s, key)) {
        k->value(&v, s, x.est);
        k->comment(&c, x.est);
        add(ed, key, &v, &c);
        return;
    }
    put(&v, "{%s\n", k->head);
    for (int g = 0; g < s->n_groups; g++) {
        x = k->find(f, key, g);
        if (!x.est) { /* every group is in one of the key's clusters */
            ed->failed = true;
            free(v.s);
            return;
        }
        if (s->n_groups > 1)
            put(&v, "  %s = ", s->groups[g].name);
        else
            put(&v, "  ");
        k->value(&v, s, x.est);
        put(&v, s->n_groups > 1 ? "; # " : " # ");
        if (x.group_mask != (1u << g) && k->name_pool)
            put(&v, "pooled %s: ", x.label);
        else if (x.group_mask != (1u << g))
            put(&v, "pooled, ");
        k->comment(&v, x.est);
        put(&v, "\n");
    }
    put(&v, "}");
    put(&c, "fitted by flyt fit");
    add(ed, key, &v, &c);
}

static void array_edit(struct edits *ed, const char *key, const struct flyt_fit_shares *sh)
{
    struct text v = { 0 }, c = { 0 };
    long r[FLYT_FIT_MAX_CATS] = { 0 };
    round_shares(sh->share, sh->n_cat, r);
    put(&v, "[");
    for (int j = 0; j < sh->n_cat; j++) {
        put(&v, "%s", j ? ", " : "");
        put_share(&v, r[j]);
    }
    put(&v, "]");
    put(&c, "n = %.0f admissions from the community", sh->total);
    add(ed, key, &v, &c);
}

static void arrivals_edits(struct edits *ed, const struct flyt_fit *f)
{
    const struct flyt_est_rate_model *a = &f->arrivals;
    if (!a->ok || f->n_days == 0)
        return;
    struct text v = { 0 }, c = { 0 };
    /* the rate at the scenario's own start: the fit's base is the window's
     * first day's, moved by the fitted growth (none without a trend) */
    const struct flyt_scenario *s = f->base;
    int start = flyt_days_from_civil(s->start_year, s->start_month, s->start_mday);
    double g = f->trend_fitted ? a->growth : 0.0;
    double shift = pow(1.0 + g, (double)(start - f->from_day) / 365.0);
    int y, m, d;
    flyt_civil_from_days(start, &y, &m, &d);
    /* a table or a growth by year in the base would contradict the fit */
    add(ed, "population.arrivals_table", NULL, NULL);
    add(ed, "population.growth_by_year", NULL, NULL);
    put(&v, "%.6g", a->base * shift);
    put(&c,
        "%zu admissions from the community over %zu days (%zu readmissions apart); the rate "
        "on %04d-%02d-%02d, 95 %% CI %.4g-%.4g; Poisson regression, dispersion %.2f",
        f->n_arrivals, f->n_days, f->n_readmissions, y, m, d, a->base_lo * shift,
        a->base_hi * shift, a->dispersion);
    add(ed, "population.admissions_per_day", &v, &c);
    put(&v, "[");
    for (int k = 0; k < 12; k++)
        put(&v, "%s%.4f", k ? ", " : "", f->month_fitted ? a->month_factor[k] : 1.0);
    put(&v, "]");
    put(&c, f->month_fitted ? "fitted (mean 1)" : "not fitted: the records cover less than a year");
    add(ed, "population.month_factor", &v, &c);
    put(&v, "[");
    for (int k = 0; k < 7; k++)
        put(&v, "%s%.4f", k ? ", " : "", f->weekday_fitted ? a->weekday_factor[k] : 1.0);
    put(&v, "]");
    put(&c, f->weekday_fitted ? "fitted (mean 1), Monday first"
                              : "not fitted: the records cover less than four weeks");
    add(ed, "population.weekday_factor", &v, &c);
    put(&v, "%.6g", f->trend_fitted ? a->growth : 0.0);
    if (f->trend_fitted)
        put(&c, "95 %% CI %.4g-%.4g", a->growth_lo, a->growth_hi);
    else
        put(&c, "not fitted: a trend needs two years of records");
    add(ed, "population.growth_per_year", &v, &c);
}

/* The run replays the records' window from a table of their daily
 * admissions: the factors and growth would contradict it. */
static void table_edits(struct edits *ed, const struct flyt_fit *f, const char *table)
{
    struct text v = { 0 }, c = { 0 };
    int y, m, d;
    flyt_civil_from_days(f->from_day, &y, &m, &d);
    put(&v, "\"%04d-%02d-%02d\"", y, m, d);
    put(&c, "the records' first whole day: the run replays their window");
    add(ed, "run.start_date", &v, &c);
    put(&v, "%zu.0", f->n_days);
    put(&c, "the records' whole days");
    add(ed, "run.horizon_days", &v, &c);
    if (!f->base->warmup_auto && f->base->warmup_days >= (double)f->n_days) {
        put(&v, "0.0");
        put(&c, "the base's warm-up is longer than the records' window");
        add(ed, "run.warmup_days", &v, &c);
    }
    static const char *const gone[] = { "population.admissions_per_day", "population.month_factor",
                                        "population.weekday_factor", "population.growth_per_year",
                                        "population.growth_by_year" };
    for (size_t i = 0; i < sizeof gone / sizeof gone[0]; i++)
        add(ed, gone[i], NULL, NULL);
    put(&v, "\"");
    for (const char *q = table; *q; q++)
        put(&v, "%s%c", *q == '"' || *q == '\\' ? "\\" : "", *q);
    put(&v, "\"");
    put(&c, "%zu admissions from the community on %zu days (%zu readmissions apart), as recorded",
        f->n_arrivals, f->n_days, f->n_readmissions);
    add(ed, "population.arrivals_table", &v, &c);
}

char *flyt_fit_scenario_text(const struct flyt_fit *f, const char *base_text,
                             const char *arrivals_table, char *err, size_t errlen)
{
    const struct flyt_scenario *s = f->base;
    struct edits ed = { 0 };
    if (arrivals_table)
        table_edits(&ed, f, arrivals_table);
    else
        arrivals_edits(&ed, f);
    for (size_t i = 0; i < f->n_shares; i++) {
        const struct flyt_fit_shares *sh = &f->shares[i];
        if (strcmp(sh->key, "population.cfs_mix") == 0 ||
            strcmp(sh->key, "population.age_mix") == 0)
            array_edit(&ed, sh->key, sh);
        if (strcmp(sh->key, "population.complex_share") == 0) {
            struct text v = { 0 }, c = { 0 };
            put_probability(&v, s, sh);
            put_probability_comment(&c, sh);
            add(&ed, sh->key, &v, &c);
        }
    }
    group_edit(&ed, f, "hospital.los_days", &dist_kind);
    group_edit(&ed, f, "hospital.death_probability", &probability_kind);
    group_edit(&ed, f, "hospital.ukp_probability", &probability_kind);
    group_edit(&ed, f, "decision.delay_days", &dist_kind);
    group_edit(&ed, f, "decision.complex_placement_days", &dist_kind);
    group_edit(&ed, f, "decision.destination", &routes_kind);
    for (int u = 0; u < s->n_units; u++) {
        char key[FLYT_FIT_KEY_LEN];
        snprintf(key, sizeof key, "units.%s.los_days", s->units[u].id);
        group_edit(&ed, f, key, &dist_kind);
        snprintf(key, sizeof key, "units.%s.outcome", s->units[u].id);
        group_edit(&ed, f, key, &routes_kind);
        snprintf(key, sizeof key, "units.%s.rates_per_year", s->units[u].id);
        group_edit(&ed, f, key, &rates_kind);
    }
    char *out = NULL;
    if (ed.failed)
        snprintf(err, errlen, "out of memory");
    else
        out = flyt_scenario_edit_text(base_text, ed.e, ed.n, err, errlen);
    for (int i = 0; i < ed.n_owned; i++)
        free(ed.owned[i]);
    free(ed.owned);
    free(ed.e);
    return out;
}
