/* What the records say, sample by sample: the hospital's treatment times
 * and outcomes, the decision process, each unit's stays and routes, the
 * caseloads' hazards, and the daily admissions from the community. The
 * model's own semantics decide what is what (docs/scenario-reference.md,
 * Semantics): treatment ends when the patient becomes discharge-ready,
 * dies or goes home; the UKP wait is the discharge-ready period; a stay in
 * a unit runs until the place is freed, so it holds any blocking. */
#include "fit/fit_internal.h"
#include "flyt/date.h"
#include "flyt/scenario.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A stay with the ones after it in the same unit joined (a move between
 * two wards the map gives the same unit is one stay of that unit). */
struct stay {
    const struct flyt_rec_stay *first;
    double start, end;
    enum flyt_rec_place next;
    int next_unit;
    int unit, group; /* group -1: unknown CFS */
};

struct work {
    const struct flyt_records *rec;
    const struct flyt_scenario *s;
    struct flyt_fit *f;
    const struct flyt_fit_options *o;
    struct stay *st;
    size_t n_st;
    size_t *ready_lo, *ready_hi; /* per patient: [lo, hi) of rec->ready */
    size_t *stay_lo, *stay_hi;   /* per patient: [lo, hi) of st */
    size_t no_cfs, zero_hosp_to_unit;
};

static int group_of(const struct flyt_scenario *s, int cfs)
{
    if (s->n_groups == 1)
        return 0;
    return cfs >= 1 && cfs <= 9 ? s->group_of_cfs[cfs] : -1;
}

static int join_stays(struct work *w)
{
    const struct flyt_records *r = w->rec;
    w->st = calloc(r->n_stays ? r->n_stays : 1, sizeof *w->st);
    if (!w->st)
        return -1;
    for (size_t i = 0; i < r->n_stays; i++) {
        const struct flyt_rec_stay *x = &r->stays[i];
        struct stay *prev = w->n_st ? &w->st[w->n_st - 1] : NULL;
        if (prev && prev->first->patient == x->patient && prev->unit == x->unit &&
            prev->next == FLYT_REC_UNIT && prev->next_unit == x->unit) {
            prev->end = x->end;
            prev->next = x->next;
            prev->next_unit = x->next_unit;
            continue;
        }
        w->st[w->n_st++] = (struct stay){ .first = x,
                                          .start = x->start,
                                          .end = x->end,
                                          .next = x->next,
                                          .next_unit = x->next_unit,
                                          .unit = x->unit,
                                          .group = group_of(w->s, x->cfs) };
    }
    return 0;
}

static int index_patients(struct work *w)
{
    size_t np = w->rec->n_patients ? w->rec->n_patients : 1;
    w->ready_lo = calloc(np, sizeof(size_t));
    w->ready_hi = calloc(np, sizeof(size_t));
    w->stay_lo = calloc(np, sizeof(size_t));
    w->stay_hi = calloc(np, sizeof(size_t));
    if (!w->ready_lo || !w->ready_hi || !w->stay_lo || !w->stay_hi)
        return -1;
    for (size_t i = w->rec->n_ready; i-- > 0;)
        w->ready_lo[w->rec->ready[i].patient] = i;
    for (size_t i = 0; i < w->rec->n_ready; i++)
        w->ready_hi[w->rec->ready[i].patient] = i + 1;
    for (size_t i = w->n_st; i-- > 0;)
        w->stay_lo[w->st[i].first->patient] = i;
    for (size_t i = 0; i < w->n_st; i++)
        w->stay_hi[w->st[i].first->patient] = i + 1;
    return 0;
}

/* The discharge-ready period that began during hospital stay h, or NULL. */
static const struct flyt_rec_ready *ready_in(const struct work *w, const struct stay *h)
{
    uint32_t p = h->first->patient;
    double end = isnan(h->end) ? w->rec->until : h->end;
    for (size_t i = w->ready_lo[p]; i < w->ready_hi[p]; i++) {
        const struct flyt_rec_ready *r = &w->rec->ready[i];
        if (r->ready >= h->start && r->ready <= end)
            return r;
    }
    return NULL;
}

/* The hospital stay during which ready period r began, or NULL. */
static const struct stay *stay_of(const struct work *w, const struct flyt_rec_ready *r)
{
    for (size_t i = w->stay_lo[r->patient]; i < w->stay_hi[r->patient]; i++) {
        const struct stay *h = &w->st[i];
        double end = isnan(h->end) ? w->rec->until : h->end;
        if (h->unit == w->s->hospital && r->ready >= h->start && r->ready <= end)
            return h;
    }
    return NULL;
}

/* A hospital stay is a readmission when the stay before it led to the
 * hospital; the first stay a patient has in the records is an arrival. */
static bool readmission(const struct work *w, size_t i)
{
    const struct stay *h = &w->st[i];
    if (i == w->stay_lo[h->first->patient])
        return false;
    const struct stay *p = &w->st[i - 1];
    return p->next == FLYT_REC_UNIT && p->next_unit == w->s->hospital;
}

/* ---- per-group estimates with pooling ------------------------------- */

static unsigned mask_of(const int *cluster, int n_groups, int k)
{
    unsigned m = 0;
    for (int g = 0; g < n_groups; g++)
        if (cluster[g] == k)
            m |= 1u << g;
    return m;
}

static int note_pooling(struct work *w, const char *key, const double *size, const int *cluster,
                        int nk)
{
    if (nk == w->s->n_groups)
        return 0;
    for (int k = 0; k < nk; k++) {
        unsigned m = mask_of(cluster, w->s->n_groups, k);
        if ((m & (m - 1)) == 0)
            continue;
        char label[FLYT_FIT_LABEL_LEN];
        flyt__fit_label(w->s, m, label, sizeof label);
        double n = 0;
        for (int g = 0; g < w->s->n_groups; g++)
            if (m & (1u << g))
                n += size[g];
        if (flyt__fit_note(w->f,
                           "%s: groups %s pooled (fewer than %d records in a group; %.0f together)",
                           key, label, w->o->min_records, n) != 0)
            return -1;
    }
    return 0;
}

/* One distribution per cluster of groups; 1 when the samples are too few
 * altogether (nothing estimated), 0 done, -1 memory. */
static int dists_by_group(struct work *w, const char *key, struct fit_sample *by_group)
{
    int G = w->s->n_groups, cluster[FLYT_MAX_GROUPS];
    double size[FLYT_MAX_GROUPS] = { 0 }, total = 0;
    for (int g = 0; g < G; g++)
        total += size[g] = (double)by_group[g].n_events;
    if (total < w->o->min_records)
        return 1;
    int nk = flyt__fit_pool(w->s, size, w->o->min_records, cluster);
    if (note_pooling(w, key, size, cluster, nk) != 0)
        return -1;
    for (int k = 0; k < nk; k++) {
        struct fit_sample joint = { 0 };
        for (int g = 0; g < G; g++)
            if (cluster[g] == k)
                for (size_t i = 0; i < by_group[g].n; i++)
                    if (flyt__fit_sample_add(&joint, by_group[g].t[i], by_group[g].ev[i]) != 0) {
                        flyt__fit_sample_free(&joint);
                        return -1;
                    }
        int rc = flyt__fit_dist(w->f, key, mask_of(cluster, G, k), &joint, w->o);
        flyt__fit_sample_free(&joint);
        if (rc != 0)
            return -1;
    }
    return 0;
}

static int shares_by_group(struct work *w, const char *key, int n_cat, const char (*cat)[48],
                           const struct fit_counts *by_group)
{
    int G = w->s->n_groups, cluster[FLYT_MAX_GROUPS];
    double size[FLYT_MAX_GROUPS] = { 0 }, total = 0;
    for (int g = 0; g < G; g++) {
        size[g] = 0;
        for (int j = 0; j < n_cat; j++)
            size[g] += by_group[g].c[j];
        total += size[g];
    }
    if (total < w->o->min_records)
        return 1;
    int nk = flyt__fit_pool(w->s, size, w->o->min_records, cluster);
    if (note_pooling(w, key, size, cluster, nk) != 0)
        return -1;
    for (int k = 0; k < nk; k++) {
        double c[FLYT_FIT_MAX_CATS] = { 0 };
        for (int g = 0; g < G; g++)
            if (cluster[g] == k)
                for (int j = 0; j < n_cat; j++)
                    c[j] += by_group[g].c[j];
        if (flyt__fit_shares(w->f, key, mask_of(cluster, G, k), n_cat, cat, c) != 0)
            return -1;
    }
    return 0;
}

static int rates_by_group(struct work *w, const char *key, int n_cat, const char (*cat)[48],
                          const struct fit_counts *by_group)
{
    int G = w->s->n_groups, cluster[FLYT_MAX_GROUPS];
    double size[FLYT_MAX_GROUPS] = { 0 }, total = 0, exposure = 0;
    for (int g = 0; g < G; g++) {
        size[g] = 0;
        for (int j = 0; j < n_cat; j++)
            size[g] += by_group[g].c[j];
        total += size[g];
        exposure += by_group[g].exposure;
    }
    if (total < w->o->min_records || exposure <= 0)
        return 1;
    int nk = flyt__fit_pool(w->s, size, w->o->min_records, cluster);
    if (note_pooling(w, key, size, cluster, nk) != 0)
        return -1;
    for (int k = 0; k < nk; k++) {
        double c[FLYT_FIT_MAX_CATS] = { 0 }, e = 0;
        for (int g = 0; g < G; g++)
            if (cluster[g] == k) {
                for (int j = 0; j < n_cat; j++)
                    c[j] += by_group[g].c[j];
                e += by_group[g].exposure;
            }
        if (flyt__fit_rates(w->f, key, mask_of(cluster, G, k), n_cat, cat, c, e) != 0)
            return -1;
    }
    return 0;
}

static int kept(struct work *w, const char *key, int rc)
{
    if (rc == 1)
        return flyt__fit_note(w->f, "%s: too few records (fewer than %d); kept from the base", key,
                              w->o->min_records) == 0
                       ? 0
                       : -1;
    return rc;
}

/* ---- the hospital --------------------------------------------------- */

enum { H_DEATH, H_ALIVE };
enum { U_UKP, U_HOME };

static int hospital(struct work *w)
{
    const struct flyt_scenario *s = w->s;
    int G = s->n_groups, rc = -1;
    struct fit_sample los[FLYT_MAX_GROUPS] = { 0 };
    struct fit_counts death[FLYT_MAX_GROUPS] = { 0 }, ukp[FLYT_MAX_GROUPS] = { 0 };
    for (size_t i = 0; i < w->n_st; i++) {
        const struct stay *h = &w->st[i];
        if (h->unit != s->hospital || h->start < w->rec->from)
            continue;
        if (h->group < 0) {
            w->no_cfs++;
            continue;
        }
        const struct flyt_rec_ready *r = ready_in(w, h);
        double end = r ? r->ready : h->end;
        if (isnan(end)) {
            if (flyt__fit_sample_add(&los[h->group], w->rec->until - h->start, false) != 0)
                goto out;
            continue;
        }
        if (flyt__fit_sample_add(&los[h->group], end - h->start, true) != 0)
            goto out;
        if (r) {
            death[h->group].c[H_ALIVE]++;
            ukp[h->group].c[U_UKP]++;
        } else if (h->next == FLYT_REC_DEATH) {
            death[h->group].c[H_DEATH]++;
        } else if (h->next == FLYT_REC_HOME) {
            death[h->group].c[H_ALIVE]++;
            ukp[h->group].c[U_HOME]++;
        } else if (h->next == FLYT_REC_UNIT) {
            /* to a unit with no discharge-ready period: the model has no such
             * path, so it is read as discharge-ready with no wait */
            death[h->group].c[H_ALIVE]++;
            ukp[h->group].c[U_UKP]++;
            w->zero_hosp_to_unit++;
        }
    }
    int r1 = dists_by_group(w, "hospital.los_days", los);
    if (r1 == 1) {
        rc = 2; /* nothing to fit at all */
        goto out;
    }
    if (r1 < 0)
        goto out;
    static const char dcat[2][48] = { "death", "alive" }, ucat[2][48] = { "ukp", "home" };
    if (kept(w, "hospital.death_probability",
             shares_by_group(w, "hospital.death_probability", 2, dcat, death)) != 0 ||
        kept(w, "hospital.ukp_probability",
             shares_by_group(w, "hospital.ukp_probability", 2, ucat, ukp)) != 0)
        goto out;
    rc = 0;
out:
    for (int g = 0; g < G; g++)
        flyt__fit_sample_free(&los[g]);
    return rc;
}

/* ---- the decision ---------------------------------------------------- */

static bool decisions_are_dates(const struct flyt_records *rec)
{
    for (size_t i = 0; i < rec->n_ready; i++) {
        double d = rec->ready[i].decision;
        if (!isnan(d) && d != floor(d))
            return false;
    }
    return true;
}

/* A decision known only by its date happened between the later of the
 * ready time and that date's 00:00 and the end of the date: its middle. */
static double decision_time(double ready, double decision, bool dates)
{
    if (!dates)
        return decision;
    double lo = decision > ready ? decision : ready, hi = decision + 1.0;
    return hi > lo ? 0.5 * (lo + hi) : ready;
}

static int destination_index(const struct flyt_scenario *s, const struct flyt_rec_ready *r)
{
    if (r->destination == FLYT_REC_HOME)
        return 0;
    if (r->destination == FLYT_REC_UNIT && r->dest_unit >= 0 && r->dest_unit != s->hospital)
        return 1 + r->dest_unit;
    return -1;
}

static int decision(struct work *w)
{
    const struct flyt_scenario *s = w->s;
    const struct flyt_records *rec = w->rec;
    bool dates = decisions_are_dates(rec);
    struct fit_sample delay = { 0 }, complex = { 0 };
    int n_cat = 1 + s->n_units, rc = -1;
    char(*cat)[48] = calloc((size_t)n_cat, 48);
    struct fit_counts *dest = calloc((size_t)s->n_groups, sizeof *dest);
    if (!cat || !dest || n_cat > FLYT_FIT_MAX_CATS)
        goto out;
    snprintf(cat[0], 48, "home");
    for (int u = 0; u < s->n_units; u++)
        snprintf(cat[1 + u], 48, "%s", s->units[u].id);
    size_t odd = 0, orphans = 0;
    for (size_t i = 0; i < rec->n_ready; i++) {
        const struct flyt_rec_ready *r = &rec->ready[i];
        if (r->ready < rec->from)
            continue;
        const struct stay *h = stay_of(w, r);
        bool is_complex = h && h->first->complex == 1;
        if (is_complex) {
            bool ended = !isnan(r->discharge);
            double t = (ended ? r->discharge : rec->until) - r->ready;
            if (flyt__fit_sample_add(&complex, t, ended) != 0)
                goto out;
            continue;
        }
        if (!isnan(r->decision)) {
            double at = decision_time(r->ready, r->decision, dates);
            double t = s->working_days_only ? flyt__fit_working_days(r->ready, at) : at - r->ready;
            if (flyt__fit_sample_add(&delay, t, true) != 0)
                goto out;
        } else {
            /* undecided: censored when the patient left or the records end */
            double end = isnan(r->discharge) ? rec->until : r->discharge;
            double t =
                    s->working_days_only ? flyt__fit_working_days(r->ready, end) : end - r->ready;
            if (flyt__fit_sample_add(&delay, t, false) != 0)
                goto out;
        }
        int j = destination_index(s, r);
        if (j < 0) {
            odd += r->destination != FLYT_REC_OPEN;
            continue;
        }
        if (!h) {
            orphans++;
            continue;
        }
        if (h->group < 0) {
            w->no_cfs++;
            continue;
        }
        dest[h->group].c[j]++;
    }
    if (dates && flyt__fit_note(w->f, "decision.delay_days: decisions are dates; each is taken "
                                      "at the middle of its day (after the ready time)") != 0)
        goto out;
    if (orphans &&
        flyt__fit_note(w->f,
                       "decision: %zu discharge-ready periods begin in no hospital stay of the "
                       "records (their frailty group is unknown); used for the delay only",
                       orphans) != 0)
        goto out;
    if (odd && flyt__fit_note(w->f,
                              "decision.destination: %zu discharge-ready periods lead to a place "
                              "a decision cannot send to (death, the hospital); left out",
                              odd) != 0)
        goto out;
    if (delay.n_events < (size_t)w->o->min_records) {
        if (kept(w, "decision.delay_days", 1) != 0)
            goto out;
    } else if (flyt__fit_dist(w->f, "decision.delay_days", (1u << s->n_groups) - 1, &delay, w->o) !=
               0) {
        goto out;
    }
    if (complex.n_events >= (size_t)w->o->min_records) {
        if (flyt__fit_dist(w->f, "decision.complex_placement_days", (1u << s->n_groups) - 1,
                           &complex, w->o) != 0)
            goto out;
    } else if (complex.n > 0 && kept(w, "decision.complex_placement_days", 1) != 0) {
        goto out;
    }
    rc = kept(w, "decision.destination",
              shares_by_group(w, "decision.destination", n_cat, (const char(*)[48])cat, dest));
out:
    flyt__fit_sample_free(&delay);
    flyt__fit_sample_free(&complex);
    free(cat);
    free(dest);
    return rc;
}

/* ---- the units ------------------------------------------------------- */

/* Where a stay led, as a route: 0 home, 1 death, 2 + unit; -1 unknown. */
static int route_index(const struct flyt_scenario *s, const struct stay *x)
{
    switch (x->next) {
    case FLYT_REC_HOME:
        return 0;
    case FLYT_REC_DEATH:
        return 1;
    case FLYT_REC_UNIT:
        return x->next_unit >= 0 && x->next_unit != x->unit && x->next_unit < s->n_units
                       ? 2 + x->next_unit
                       : -1;
    default:
        return -1;
    }
}

static int unit(struct work *w, int u, const char (*cat)[48], int n_cat)
{
    const struct flyt_scenario *s = w->s;
    const struct flyt_unit *x = &s->units[u];
    int G = s->n_groups, rc = -1;
    struct fit_sample los[FLYT_MAX_GROUPS] = { 0 };
    struct fit_counts *routes = calloc((size_t)G, sizeof *routes);
    size_t n = 0, unknown = 0;
    if (!routes)
        goto out;
    bool caseload = x->kind == FLYT_UNIT_CASELOAD;
    for (size_t i = 0; i < w->n_st; i++) {
        const struct stay *st = &w->st[i];
        if (st->unit != u || st->start < w->rec->from)
            continue;
        n++;
        if (st->group < 0) {
            w->no_cfs++;
            continue;
        }
        bool ended = !isnan(st->end);
        double t = (ended ? st->end : w->rec->until) - st->start;
        if (caseload) {
            routes[st->group].exposure += t > 0 ? t : 0;
        } else if (flyt__fit_sample_add(&los[st->group], t, ended) != 0) {
            goto out;
        }
        if (!ended)
            continue;
        int j = route_index(s, st);
        if (j < 0) {
            unknown++;
            continue;
        }
        routes[st->group].c[j]++;
    }
    char key[FLYT_FIT_KEY_LEN];
    if (n == 0) {
        rc = flyt__fit_note(w->f, "units.%s: no stays in the records; kept from the base", x->id);
        goto out;
    }
    if (unknown && flyt__fit_note(w->f,
                                  "units.%s: %zu ended stays with no next place; left out of "
                                  "its routes",
                                  x->id, unknown) != 0)
        goto out;
    if (caseload) {
        snprintf(key, sizeof key, "units.%s.rates_per_year", x->id);
        rc = kept(w, key, rates_by_group(w, key, n_cat, cat, routes));
        goto out;
    }
    snprintf(key, sizeof key, "units.%s.los_days", x->id);
    if (kept(w, key, dists_by_group(w, key, los)) != 0)
        goto out;
    snprintf(key, sizeof key, "units.%s.outcome", x->id);
    rc = kept(w, key, shares_by_group(w, key, n_cat, cat, routes));
out:
    for (int g = 0; g < G; g++)
        flyt__fit_sample_free(&los[g]);
    free(routes);
    return rc;
}

static int units(struct work *w)
{
    const struct flyt_scenario *s = w->s;
    int n_cat = 2 + s->n_units;
    if (n_cat > FLYT_FIT_MAX_CATS)
        return flyt__fit_note(w->f, "units: more than %d units; routes kept from the base",
                              FLYT_FIT_MAX_CATS - 2);
    char(*cat)[48] = calloc((size_t)n_cat, 48);
    if (!cat)
        return -1;
    snprintf(cat[0], 48, "home");
    snprintf(cat[1], 48, "death");
    for (int u = 0; u < s->n_units; u++)
        snprintf(cat[2 + u], 48, "%s", s->units[u].id);
    int rc = 0;
    for (int u = 0; u < s->n_units && rc == 0; u++)
        if (u != s->hospital)
            rc = unit(w, u, (const char(*)[48])cat, n_cat);
    free(cat);
    return rc;
}

/* ---- arrivals and who arrives ----------------------------------------- */

/* Within what the loader takes (docs/scenario-reference.md, population):
 * a rate up to 1,000,000 a day, growth -0.5 to 1, factors 0 to 100. */
static bool arrivals_valid(const struct flyt_est_rate_model *a)
{
    bool ok = a->ok && isfinite(a->base) && a->base >= 0 && a->base <= 1e6 && isfinite(a->growth) &&
              a->growth >= -0.5 && a->growth <= 1.0;
    for (int k = 0; k < 12; k++)
        ok = ok && isfinite(a->month_factor[k]) && a->month_factor[k] >= 0 &&
             a->month_factor[k] <= 100;
    for (int k = 0; k < 7; k++)
        ok = ok && isfinite(a->weekday_factor[k]) && a->weekday_factor[k] >= 0 &&
             a->weekday_factor[k] <= 100;
    return ok;
}

static int population(struct work *w)
{
    const struct flyt_scenario *s = w->s;
    struct flyt_fit *f = w->f;
    f->n_days = (size_t)(f->until_day > f->from_day ? f->until_day - f->from_day : 0);
    if (f->n_days == 0)
        return flyt__fit_note(f, "population: the records cover no whole day; arrivals kept "
                                 "from the base");
    f->day_count = calloc(f->n_days, sizeof(double));
    f->day_fitted = calloc(f->n_days, sizeof(double));
    int *month = calloc(f->n_days, sizeof(int)), *wday = calloc(f->n_days, sizeof(int));
    double *years = calloc(f->n_days, sizeof(double));
    double cfs[9] = { 0 }, age[FLYT_MAX_AGE_BANDS] = { 0 }, cx[2] = { 0 };
    int rc = -1;
    if (!f->day_count || !f->day_fitted || !month || !wday || !years)
        goto out;
    for (size_t i = 0; i < w->n_st; i++) {
        const struct stay *h = &w->st[i];
        if (h->unit != s->hospital || h->start < w->rec->from)
            continue;
        if (readmission(w, i)) {
            f->n_readmissions++;
            continue;
        }
        f->n_arrivals++;
        long d = (long)floor(h->start) - f->from_day;
        if (d >= 0 && (size_t)d < f->n_days)
            f->day_count[d]++;
        const struct flyt_rec_stay *x = h->first;
        if (x->cfs >= 1 && x->cfs <= 9)
            cfs[x->cfs - 1]++;
        if (x->age_band >= 0 && x->age_band < s->n_age_bands)
            age[x->age_band]++;
        if (x->complex >= 0)
            cx[x->complex ? 0 : 1]++;
    }
    for (size_t d = 0; d < f->n_days; d++) {
        int y, m, md, day = f->from_day + (int)d;
        flyt_civil_from_days(day, &y, &m, &md);
        month[d] = m - 1;
        wday[d] = flyt_weekday(day);
        years[d] = (double)d / 365.0;
    }
    /* the terms the window can carry, dropped one by one (trend, then
     * month, then weekday) while the fit lands outside what a scenario
     * may hold: a month without a single admission has factor 0 */
    bool terms[3] = { f->n_days >= 730, f->n_days >= 365, f->n_days >= 28 };
    double month_total[12] = { 0 };
    for (size_t d = 0; d < f->n_days; d++)
        month_total[month[d]] += f->day_count[d];
    for (int k = 0; k < 12; k++)
        if (terms[1] && month_total[k] <= 0) {
            terms[1] = terms[0] = false;
            if (flyt__fit_note(f, "population: a month of the window has no admission at all; "
                                  "no month profile or trend fitted") != 0)
                goto out;
            break;
        }
    bool fitted = false;
    for (int drop = 0; drop <= 3 && !fitted; drop++) {
        if (drop > 0) {
            int k = 0;
            while (k < 3 && !terms[k])
                k++;
            if (k == 3)
                break;
            terms[k] = false;
        }
        struct flyt_est_days x = { .count = f->day_count,
                                   .month = month,
                                   .weekday = wday,
                                   .years = years,
                                   .n = f->n_days,
                                   .fit_month = terms[1],
                                   .fit_weekday = terms[2],
                                   .fit_trend = terms[0] };
        fitted = flyt_est_poisson_days(&x, &f->arrivals) == 0 && arrivals_valid(&f->arrivals);
    }
    f->trend_fitted = terms[0];
    f->month_fitted = terms[1];
    f->weekday_fitted = terms[2];
    if (!fitted) {
        f->arrivals.ok = false;
        if (flyt__fit_note(f, "population: no arrival model within a scenario's ranges; arrivals "
                              "kept from the base") != 0)
            goto out;
    } else {
        for (size_t d = 0; d < f->n_days; d++)
            f->day_fitted[d] = f->arrivals.base * f->arrivals.month_factor[month[d]] *
                               f->arrivals.weekday_factor[wday[d]] *
                               pow(1.0 + f->arrivals.growth, years[d]);
    }
    static const char cfs_cat[9][48] = { "1", "2", "3", "4", "5", "6", "7", "8", "9" };
    static const char cx_cat[2][48] = { "complex", "not_complex" };
    double n_cfs = 0, n_age = 0;
    for (int j = 0; j < 9; j++)
        n_cfs += cfs[j];
    for (int j = 0; j < s->n_age_bands; j++)
        n_age += age[j];
    if (n_cfs >= w->o->min_records) {
        if (flyt__fit_shares(f, "population.cfs_mix", (1u << s->n_groups) - 1, 9, cfs_cat, cfs) !=
            0)
            goto out;
    } else if (kept(w, "population.cfs_mix", 1) != 0) {
        goto out;
    }
    if (s->n_age_bands > 1 && n_age >= w->o->min_records) {
        if (flyt__fit_shares(f, "population.age_mix", (1u << s->n_groups) - 1, s->n_age_bands,
                             (const char(*)[48])s->age_band, age) != 0)
            goto out;
    }
    if (cx[0] + cx[1] >= w->o->min_records &&
        flyt__fit_shares(f, "population.complex_share", (1u << s->n_groups) - 1, 2, cx_cat, cx) !=
                0)
        goto out;
    rc = 0;
out:
    free(month);
    free(wday);
    free(years);
    return rc;
}

int flyt_fit_estimate(const struct flyt_records *rec, const struct flyt_scenario *base,
                      const struct flyt_fit_options *o, struct flyt_fit *out, FILE *err)
{
    memset(out, 0, sizeof *out);
    out->base = base;
    out->from = rec->from;
    out->until = rec->until;
    out->from_day = (int)ceil(rec->from);
    out->until_day = (int)floor(rec->until);
    out->n_stays = rec->n_stays;
    out->n_ready = rec->n_ready;
    out->n_patients = rec->n_patients;
    for (size_t i = 0; i < rec->n_stays; i++)
        out->n_truncated += rec->stays[i].start < rec->from;
    struct work w = { .rec = rec, .s = base, .f = out, .o = o };
    int rc = 1;
    if (join_stays(&w) != 0 || index_patients(&w) != 0)
        goto out;
    int h = hospital(&w);
    if (h == 2) {
        fprintf(err,
                "flyt fit: too few records for any fit: fewer than %d ended hospital stays "
                "(with a known frailty level) begin in the window\n",
                o->min_records);
        rc = 2;
        goto out;
    }
    if (h != 0 || population(&w) != 0 || decision(&w) != 0 || units(&w) != 0)
        goto out;
    if (w.no_cfs && flyt__fit_note(out,
                                   "%zu stays and periods without a CFS level left out of the "
                                   "per-group estimates",
                                   w.no_cfs) != 0)
        goto out;
    if (w.zero_hosp_to_unit &&
        flyt__fit_note(out,
                       "%zu hospital stays lead to a unit with no discharge-ready period; "
                       "read as discharge-ready at discharge",
                       w.zero_hosp_to_unit) != 0)
        goto out;
    rc = 0;
out:
    free(w.st);
    free(w.ready_lo);
    free(w.ready_hi);
    free(w.stay_lo);
    free(w.stay_hi);
    if (rc == 1)
        fprintf(err, "flyt fit: out of memory\n");
    return rc;
}

void flyt_fit_free(struct flyt_fit *f)
{
    for (size_t i = 0; i < f->n_dists; i++) {
        flyt_est_km_free(&f->dists[i].km);
        free(f->dists[i].emp_values);
        free(f->dists[i].emp_weights);
    }
    free(f->dists);
    free(f->shares);
    free(f->rates);
    for (size_t i = 0; i < f->n_notes; i++)
        free(f->notes[i]);
    free(f->notes);
    free(f->day_count);
    free(f->day_fitted);
    memset(f, 0, sizeof *f);
}
