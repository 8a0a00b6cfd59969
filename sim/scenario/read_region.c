/* A region (docs/region.md): the shared units and the municipalities,
 * read into one table of units (shared first, then each municipality's
 * own, named <municipality>.<unit>) with per-municipality population,
 * decision, hospital sites and coordinators, and the checks that only a
 * region needs: who may use a shared unit, quotas, the sites' shares. */
#include "scenario/reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* FNV-1a: a municipality's streams are keyed by its id, so that where it
 * stands in the list (or which others the region has) changes nothing;
 * the stream hash mixes the key again (rng/streams.c). */
static uint64_t id_key(const char *id)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *c = (const unsigned char *)id; *c; c++) {
        h ^= *c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static config_setting_t *muni_elem(config_setting_t *root, int i)
{
    return config_setting_get_elem(config_setting_get_member(root, "municipalities"), (unsigned)i);
}

static int muni_index(const struct flyt_scenario *s, const char *id)
{
    for (int i = 0; i < s->n_munis; i++)
        if (strcmp(s->munis[i].id, id) == 0)
            return i;
    return -1;
}

static bool read_muni_ids(struct reader *rd, config_setting_t *ml, struct flyt_scenario *s)
{
    bool ok = true;
    for (int i = 0; i < s->n_munis; i++) {
        config_setting_t *e = config_setting_get_elem(ml, (unsigned)i);
        flyt__rd_mark(e);
        char key[300];
        flyt__rd_path(e, key, sizeof key);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, key,
                           "municipality %d: each is a group { id = \"...\"; population = "
                           "{ ... }; units = ( ... ); }",
                           i + 1);
            ok = false;
            continue;
        }
        struct flyt_muni *mu = &s->munis[i];
        const char *id = NULL, *name = NULL;
        if (!flyt__rd_str(rd, e, "id", true, &id) || !id) {
            ok = false;
            continue;
        }
        if (!flyt__rd_valid_id(id)) {
            flyt__rd_error(rd, config_setting_get_member(e, "id"), key,
                           "a municipality id has 1 to %d ASCII characters, a letter first, then "
                           "letters, digits or '_'; got \"%s\"",
                           FLYT_ID_LEN - 1, id);
            ok = false;
            continue;
        }
        int other = muni_index(s, id);
        if (other >= 0 && other < i) {
            flyt__rd_error(rd, config_setting_get_member(e, "id"), key,
                           "municipality id '%s' is used twice (municipality %d and %d of the "
                           "list)",
                           id, other + 1, i + 1);
            ok = false;
        }
        snprintf(mu->id, sizeof mu->id, "%s", id);
        flyt__rd_str(rd, e, "name", false, &name);
        mu->name = strdup(name ? name : id);
        mu->stream_key = id_key(id);
    }
    return ok;
}

/* Shares of admissions by hospital site; one site in the region needs none. */
static void read_sites(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                       struct flyt_muni *mu)
{
    config_setting_t *hs = flyt__rd_group(rd, e, "hospital_sites", false);
    char key[300];
    flyt__rd_member_path(e, "hospital_sites", key, sizeof key);
    int n_sites = 0, only = -1;
    for (int u = 0; u < rd->n_shared; u++)
        if (s->units[u].hospital) {
            n_sites++;
            only = only < 0 ? u : only;
        }
    if (!hs) {
        if (n_sites == 1) {
            mu->n_sites = 1;
            mu->site_unit[0] = only;
            mu->site_p[0] = 1.0;
        } else {
            flyt__rd_error(rd, e, key,
                           "the region has %d hospital sites: give municipality '%s' its shares, "
                           "e.g. hospital_sites = { %s = 1.0; }",
                           n_sites, mu->id, only >= 0 ? s->units[only].id : "site");
        }
        return;
    }
    flyt__rd_mark_tree(hs);
    int n = config_setting_length(hs);
    double sum = 0;
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(hs, (unsigned)i);
        const char *site = config_setting_name(m);
        char mkey[400];
        flyt__rd_path(m, mkey, sizeof mkey);
        int u = -1;
        for (int k = 0; k < rd->n_shared && u < 0; k++)
            if (s->units[k].hospital && strcmp(s->units[k].id, site) == 0)
                u = k;
        double v = 0;
        if (u < 0) {
            flyt__rd_error(rd, m, mkey,
                           "'%s' is not a hospital site (a shared unit with hospital "
                           "= true)",
                           site);
            continue;
        }
        if (!flyt__rd_value_number(rd, m, mkey, &v))
            continue;
        if (!(v >= 0 && v <= 1)) {
            flyt__rd_error(rd, m, mkey, "a share lies in [0, 1], got %g", v);
            continue;
        }
        if (mu->n_sites >= FLYT_MAX_SITES) {
            flyt__rd_error(rd, m, mkey, "at most %d sites", FLYT_MAX_SITES);
            return;
        }
        if (s->units[u].users && !s->units[u].users[mu - s->munis])
            flyt__rd_error(rd, m, mkey, "municipality '%s' is not among the users of '%s'", mu->id,
                           site);
        mu->site_unit[mu->n_sites] = u;
        mu->site_p[mu->n_sites++] = v;
        sum += v;
    }
    if (mu->n_sites > 0 && !(fabs(sum - 1.0) <= 1e-9))
        flyt__rd_error(rd, hs, key, "the sites' shares must sum to 1, they sum to %.12g", sum);
    else if (mu->n_sites == 0)
        flyt__rd_error(rd, hs, key, "give at least one site with its share");
}

/* users, sharing, quota, lend of shared unit u (element e). */
static void read_sharing(struct reader *rd, config_setting_t *e, struct flyt_scenario *s, int u)
{
    struct flyt_unit *x = &s->units[u];
    char key[300];
    flyt__rd_path(e, key, sizeof key);
    config_setting_t *us = flyt__rd_get(rd, e, "users", false);
    if (us) {
        flyt__rd_mark_tree(us);
        x->users = calloc((size_t)s->n_munis, sizeof *x->users);
        int n = config_setting_length(us);
        if (!config_setting_is_array(us) || n < 1)
            flyt__rd_error(rd, us, key, "users is a list of municipality ids, [\"a\", \"b\"]");
        for (int i = 0; i < n && x->users; i++) {
            const char *v = config_setting_get_string_elem(us, (unsigned)i);
            int m = v ? muni_index(s, v) : -1;
            if (m < 0)
                flyt__rd_error(rd, us, key, "users entry %d: '%s' is no municipality of the region",
                               i + 1, v ? v : "(not a string)");
            else
                x->users[m] = true;
        }
    }
    const char *sh = "pooled";
    config_setting_t *ss = config_setting_get_member(e, "sharing");
    if (flyt__rd_str(rd, e, "sharing", false, &sh) && sh) {
        if (strcmp(sh, "quota") == 0)
            x->sharing = FLYT_SHARE_QUOTA;
        else if (strcmp(sh, "pooled") != 0)
            flyt__rd_error(rd, ss, key, "sharing is \"pooled\" or \"quota\", got \"%s\"", sh);
    }
    config_setting_t *qs = flyt__rd_group(rd, e, "quota", false);
    config_setting_t *ls = config_setting_get_member(e, "lend");
    flyt__rd_bool(rd, e, "lend", false, &x->lend);
    if (x->sharing != FLYT_SHARE_QUOTA) {
        if (qs)
            flyt__rd_error(rd, qs, key, "quota needs sharing = \"quota\"");
        if (ls)
            flyt__rd_error(rd, ls, key, "lend needs sharing = \"quota\"");
        if (qs)
            flyt__rd_mark_tree(qs);
        return;
    }
    if (x->kind != FLYT_UNIT_BEDS || x->hospital) {
        flyt__rd_error(rd, ss, key,
                       "quotas are beds per municipality: sharing = \"quota\" needs kind = "
                       "\"beds\" (and not a hospital site)");
        if (qs)
            flyt__rd_mark_tree(qs);
        return;
    }
    if (!qs) {
        flyt__rd_error(rd, ss, key,
                       "sharing = \"quota\" needs quota = { <municipality> = beds; ... }");
        return;
    }
    flyt__rd_mark_tree(qs);
    x->quota = calloc((size_t)s->n_munis, sizeof *x->quota);
    if (!x->quota)
        return;
    long sum = 0;
    int n = config_setting_length(qs);
    for (int i = 0; i < n; i++) {
        config_setting_t *m = config_setting_get_elem(qs, (unsigned)i);
        char mkey[400];
        flyt__rd_path(m, mkey, sizeof mkey);
        int k = muni_index(s, config_setting_name(m));
        double v = -1;
        if (k < 0) {
            flyt__rd_error(rd, m, mkey, "'%s' is no municipality of the region",
                           config_setting_name(m));
            continue;
        }
        if (!flyt__rd_value_number(rd, m, mkey, &v))
            continue;
        if (!(v >= 0 && v <= 1e7) || v != floor(v)) {
            flyt__rd_error(rd, m, mkey, "a quota is a whole number of beds >= 0, got %g", v);
            continue;
        }
        if (x->users && !x->users[k])
            flyt__rd_error(rd, m, mkey, "'%s' has a quota but is not among the users",
                           config_setting_name(m));
        x->quota[k] = (int)v;
        sum += (long)v;
    }
    if ((double)sum > x->capacity)
        flyt__rd_error(rd, qs, key, "the quotas sum to %ld beds, more than the unit's %g", sum,
                       x->capacity);
}

/* Heads of every unit, shared first; false when the table cannot be built. */
static bool read_heads(struct reader *rd, config_setting_t *root, config_setting_t *sl,
                       struct flyt_scenario *s)
{
    int n_shared = config_setting_length(sl), total = n_shared;
    for (int i = 0; i < s->n_munis; i++) {
        config_setting_t *ul = config_setting_get_member(muni_elem(root, i), "units");
        if (ul && !config_setting_is_list(ul)) {
            flyt__rd_mark_tree(ul);
            char key[300];
            flyt__rd_path(ul, key, sizeof key);
            flyt__rd_error(rd, ul, key, "a municipality's units are a list ( { id = ...; }, ... )");
            return false;
        }
        total += ul ? config_setting_length(ul) : 0;
    }
    if (total > FLYT_MAX_UNITS) {
        flyt__rd_error(rd, sl, "shared_units", "the region has %d units, more than %d", total,
                       FLYT_MAX_UNITS);
        return false;
    }
    s->units = calloc((size_t)total, sizeof *s->units);
    if (!s->units)
        return false;
    s->n_units = total;
    rd->n_shared = n_shared;
    bool ok = true;
    for (int j = 0; j < n_shared; j++) {
        config_setting_t *e = config_setting_get_elem(sl, (unsigned)j);
        flyt__rd_mark(e);
        if (!config_setting_is_group(e)) {
            flyt__rd_error(rd, e, "shared_units", "unit %d: each unit is a group { id = ...; }",
                           j + 1);
            ok = false;
            continue;
        }
        ok = flyt__rd_unit_head(rd, e, s, j, NULL) && ok;
    }
    int k = n_shared;
    for (int i = 0; i < s->n_munis; i++) {
        struct flyt_muni *mu = &s->munis[i];
        config_setting_t *ul = flyt__rd_get(rd, muni_elem(root, i), "units", false);
        mu->unit_lo = k;
        for (int j = 0; ul && j < config_setting_length(ul); j++, k++) {
            config_setting_t *e = config_setting_get_elem(ul, (unsigned)j);
            flyt__rd_mark(e);
            if (!config_setting_is_group(e)) {
                char key[300];
                flyt__rd_path(e, key, sizeof key);
                flyt__rd_error(rd, e, key, "each unit is a group { id = ...; kind = ...; }");
                ok = false;
                continue;
            }
            ok = flyt__rd_unit_head(rd, e, s, k, mu->id) && ok;
            s->units[k].muni = i;
            if (s->units[k].hospital) {
                char key[300];
                flyt__rd_path(e, key, sizeof key);
                flyt__rd_error(rd, config_setting_get_member(e, "hospital"), key,
                               "a hospital site serves the region: declare it in shared_units");
                ok = false;
            }
        }
        mu->unit_hi = k;
    }
    s->hospital = -1;
    for (int u = 0; u < n_shared && s->hospital < 0; u++)
        if (s->units[u].hospital)
            s->hospital = u;
    if (ok && s->hospital < 0) {
        flyt__rd_error(rd, sl, "shared_units",
                       "no shared unit is a hospital site: add { id = \"hospital\"; kind = "
                       "\"unlimited\"; hospital = true; }");
        ok = false;
    }
    return ok;
}

/* The municipal unit ids that shared routes may name, and each
 * municipality's unit of each. */
static bool build_local(struct flyt_scenario *s, int n_shared)
{
    s->local_ids = calloc((size_t)(s->n_units - n_shared) + 1, sizeof *s->local_ids);
    if (!s->local_ids)
        return false;
    for (int u = n_shared; u < s->n_units; u++) {
        const char *local = strchr(s->units[u].id, '.');
        local = local ? local + 1 : s->units[u].id;
        int k = 0;
        while (k < s->n_local && strcmp(s->local_ids[k], local) != 0)
            k++;
        if (k == s->n_local)
            snprintf(s->local_ids[s->n_local++], FLYT_ID_LEN, "%s", local);
    }
    s->local_unit = malloc(sizeof *s->local_unit * (size_t)s->n_munis *
                           (size_t)(s->n_local > 0 ? s->n_local : 1));
    if (!s->local_unit)
        return false;
    for (int i = 0; i < s->n_munis; i++)
        for (int k = 0; k < s->n_local; k++) {
            int *at = &s->local_unit[(size_t)i * (size_t)s->n_local + (size_t)k];
            *at = -1;
            size_t n = strlen(s->munis[i].id);
            for (int u = s->munis[i].unit_lo; u < s->munis[i].unit_hi; u++)
                if (strcmp(s->units[u].id + n + 1, s->local_ids[k]) == 0)
                    *at = u;
        }
    return true;
}

bool flyt__rd_region(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                     const struct group_names *g)
{
    (void)g;
    config_setting_t *ml = config_setting_get_member(root, "municipalities");
    if (!ml) {
        config_setting_t *sh = config_setting_get_member(root, "shared_units");
        if (!sh)
            return false;
        flyt__rd_mark_tree(sh);
        flyt__rd_error(rd, sh, "shared_units",
                       "shared_units belong to a region: give municipalities too "
                       "(docs/region.md), or name the units 'units'");
        return true;
    }
    flyt__rd_mark(ml);
    int nm = config_setting_length(ml);
    if (!config_setting_is_list(ml) || nm < 1 || nm > FLYT_MAX_MUNIS) {
        flyt__rd_mark_tree(ml);
        flyt__rd_error(rd, ml, "municipalities",
                       "expected a list of 1 to %d municipalities ( { id = \"...\"; ... }, ... )",
                       FLYT_MAX_MUNIS);
        return true;
    }
    static const char *const not_here[] = { "units", "coordinators" };
    for (size_t i = 0; i < sizeof not_here / sizeof not_here[0]; i++) {
        config_setting_t *x = config_setting_get_member(root, not_here[i]);
        if (x) {
            flyt__rd_mark_tree(x);
            flyt__rd_error(rd, x, not_here[i],
                           "a region has shared_units and each municipality's own %s; a "
                           "top-level '%s' is for a file without municipalities",
                           not_here[i], not_here[i]);
        }
    }
    config_setting_t *sl = flyt__rd_get(rd, root, "shared_units", true);
    if (sl && (!config_setting_is_list(sl) || config_setting_length(sl) < 1)) {
        flyt__rd_error(rd, sl, "shared_units",
                       "expected a list of units, the hospital site(s) among them");
        sl = NULL;
    }
    s->munis = calloc((size_t)nm, sizeof *s->munis);
    if (!s->munis)
        return true;
    s->n_munis = nm;
    bool ok = read_muni_ids(rd, ml, s) && sl;
    if (ok)
        ok = read_heads(rd, root, sl, s);
    if (ok)
        ok = build_local(s, rd->n_shared);
    if (!ok) {
        flyt__rd_mark_tree(ml); /* the rest cannot be read without the table */
        if (sl)
            flyt__rd_mark_tree(sl);
        s->hospital = -1;
        return true;
    }
    rd->scope = RD_SCOPE_REGION;
    for (int u = 0; u < rd->n_shared; u++) {
        config_setting_t *e = config_setting_get_elem(sl, (unsigned)u);
        /* the body first: the quotas are checked against the capacity it
         * reads (before it, every quota passed the unit's 0 beds) */
        flyt__rd_unit_body(rd, e, s, &s->units[u]);
        read_sharing(rd, e, s, u);
    }
    for (int i = 0; i < nm; i++) {
        rd->scope = i;
        config_setting_t *ul = config_setting_get_member(muni_elem(root, i), "units");
        for (int u = s->munis[i].unit_lo; u < s->munis[i].unit_hi; u++)
            flyt__rd_unit_body(rd, config_setting_get_elem(ul, (unsigned)(u - s->munis[i].unit_lo)),
                               s, &s->units[u]);
    }
    rd->scope = RD_SCOPE_REGION;
    return true;
}

/* ---- per municipality, once the region's sections are read ---- */

static void read_muni_population(struct reader *rd, config_setting_t *e, config_setting_t *root,
                                 struct flyt_scenario *s, struct flyt_muni *mu)
{
    struct flyt_muni_population *p = &mu->pop;
    p->admissions_per_day = s->admissions_per_day;
    p->growth_per_year = s->growth_per_year;
    p->n_growth_by_year = s->n_growth_by_year;
    p->growth_by_year = s->growth_by_year;
    memcpy(p->month_factor, s->month_factor, sizeof p->month_factor);
    memcpy(p->weekday_factor, s->weekday_factor, sizeof p->weekday_factor);
    memcpy(p->age_mix, s->age_mix, sizeof p->age_mix);
    memcpy(p->cfs_mix, s->cfs_mix, sizeof p->cfs_mix);
    p->complex_share = s->complex_share;
    p->arrivals = s->arrivals; /* the region's table, unless the municipality has its own rate */
    config_setting_t *rp = config_setting_get_member(root, "population");
    bool region_rate = rp && (config_setting_get_member(rp, "admissions_per_day") ||
                              config_setting_get_member(rp, "arrivals_table"));
    config_setting_t *pop = flyt__rd_group(rd, e, "population", false);
    if (!pop) {
        if (!region_rate) {
            char key[300];
            flyt__rd_member_path(e, "population", key, sizeof key);
            flyt__rd_error(rd, e, key,
                           "municipality '%s' needs population = { admissions_per_day = ...; }",
                           mu->id);
        }
        return;
    }
    bool own_rate = config_setting_get_member(pop, "admissions_per_day") != NULL;
    bool own_table = config_setting_get_member(pop, "arrivals_table") != NULL;
    if (own_table) {
        p->arrivals = flyt__rd_arrivals(rd, pop, s);
        p->own_arrivals = p->arrivals != NULL;
    } else if (own_rate) {
        p->arrivals = NULL; /* its rate and the region's factors, as without a table */
    } else if (p->arrivals) {
        char where[300];
        config_setting_t *rt = config_setting_get_member(rp, "arrivals_table");
        flyt__rd_where(rd, rt, where, sizeof where);
        char named_by[400];
        snprintf(named_by, sizeof named_by, "the region's population.arrivals_table at %s", where);
        flyt__rd_arrivals_alone(rd, pop, named_by);
    }
    flyt__rd_num(rd, pop, "admissions_per_day", !region_rate && !own_table, 0.0, 1e6,
                 &p->admissions_per_day);
    if (p->arrivals)
        p->admissions_per_day = flyt__rd_arrivals_mean(p->arrivals);
    bool rate = config_setting_get_member(pop, "growth_per_year") != NULL;
    flyt__rd_num(rd, pop, "growth_per_year", false, -0.5, 1.0, &p->growth_per_year);
    double gy[200];
    int n_g = 0;
    config_setting_t *gby = config_setting_get_member(pop, "growth_by_year");
    if (flyt__rd_num_array(rd, pop, "growth_by_year", false, -1, 200, 0.0, 100.0, gy, &n_g) &&
        gby) {
        if (rate)
            flyt__rd_error(rd, gby, "population.growth_by_year",
                           "give growth_per_year or growth_by_year, not both");
        p->growth_by_year = malloc(sizeof(double) * (size_t)(n_g > 0 ? n_g : 1));
        if (p->growth_by_year) {
            memcpy(p->growth_by_year, gy, sizeof(double) * (size_t)n_g);
            p->n_growth_by_year = (size_t)n_g;
            p->own_growth = true;
        }
    } else if (rate) { /* the municipality's rate replaces the region's table */
        p->growth_by_year = NULL;
        p->n_growth_by_year = 0;
    }
    flyt__rd_num_array(rd, pop, "month_factor", false, 12, 12, 0.0, 100.0, p->month_factor, NULL);
    flyt__rd_num_array(rd, pop, "weekday_factor", false, 7, 7, 0.0, 100.0, p->weekday_factor, NULL);
    if (config_setting_get_member(pop, "age_mix") &&
        flyt__rd_num_array(rd, pop, "age_mix", false, s->n_age_bands, s->n_age_bands, 0, 1,
                           p->age_mix, NULL))
        flyt__rd_sums_to_one(rd, pop, "age_mix", p->age_mix, s->n_age_bands);
    if (config_setting_get_member(pop, "cfs_mix") &&
        flyt__rd_num_array(rd, pop, "cfs_mix", false, 9, 9, 0.0, 1.0, p->cfs_mix, NULL))
        flyt__rd_sums_to_one(rd, pop, "cfs_mix", p->cfs_mix, 9);
    flyt__rd_num(rd, pop, "complex_share", false, 0.0, 1.0, &p->complex_share);
}

static void read_muni_decision(struct reader *rd, config_setting_t *e, struct flyt_scenario *s,
                               const struct group_names *g, struct flyt_muni *mu)
{
    struct flyt_muni_decision *d = &mu->dec;
    d->delay = &s->decision_delay;
    d->working_days_only = s->working_days_only;
    d->destination = &s->destination;
    d->complex_wait = &s->complex_wait;
    config_setting_t *ds = flyt__rd_group(rd, e, "decision", false);
    if (!ds)
        return;
    if (config_setting_get_member(ds, "delay_days") &&
        flyt__rd_dist(rd, ds, "delay_days", false, &d->own_delay))
        d->delay = &d->own_delay;
    flyt__rd_bool(rd, ds, "working_days_only", false, &d->working_days_only);
    if (config_setting_get_member(ds, "complex_placement_days") &&
        flyt__rd_dist(rd, ds, "complex_placement_days", false, &d->own_complex))
        d->complex_wait = &d->own_complex;
    int idx[FLYT_MAX_GROUPS];
    for (int i = 0; i < g->n; i++)
        idx[i] = i;
    if (config_setting_get_member(ds, "destination") &&
        flyt__rd_routes(rd, ds, "destination", false, RD_ROUTE_SHARES, s, g, idx,
                        &d->own_destination)) {
        d->destination = &d->own_destination;
        for (int j = 0; j < d->own_destination.n; j++) {
            int to = d->own_destination.to[j];
            if (to == FLYT_ROUTE_DEATH || to == FLYT_ROUTE_SITE ||
                (to >= 0 && s->units[to].hospital)) {
                config_setting_t *x = config_setting_get_member(ds, "destination");
                char key[300];
                flyt__rd_path(x, key, sizeof key);
                flyt__rd_error(rd, x, key,
                               "a discharge-ready patient leaves the hospital: the destination "
                               "names other units or 'home'");
                break;
            }
        }
    }
}

/* Whether municipality i may be sent to target `to` of a table read in
 * scope `scope`; reports at set (key) when not. */
static void check_target(struct reader *rd, const struct flyt_scenario *s, int i, int to,
                         config_setting_t *set, const char *what)
{
    const struct flyt_muni *mu = &s->munis[i];
    char key[300];
    flyt__rd_path(set, key, sizeof key);
    if (to <= FLYT_ROUTE_LOCAL0) {
        const char *local = s->local_ids[FLYT_ROUTE_LOCAL0 - to];
        if (flyt_route_resolve(s, to, i, 0) < 0)
            flyt__rd_error(rd, set, key,
                           "%s routes to '%s' (the patient's own), but municipality '%s' has no "
                           "unit '%s'",
                           what, local, mu->id, local);
        else
            to = flyt_route_resolve(s, to, i, 0);
    }
    if (to == FLYT_ROUTE_SITE || to < 0)
        return;
    const struct flyt_unit *x = &s->units[to];
    if (x->muni >= 0 && x->muni != i)
        flyt__rd_error(rd, set, key,
                       "%s of municipality '%s' routes to '%s', another "
                       "municipality's unit",
                       what, mu->id, x->id);
    else if (x->muni < 0 && x->users && !x->users[i])
        flyt__rd_error(rd, set, key,
                       "%s routes patients of municipality '%s' to '%s', which it may not use "
                       "(not among its users)",
                       what, mu->id, x->id);
    else if (x->muni < 0 && x->quota && !x->lend && x->quota[i] == 0)
        /* its patients would wait there for ever */
        flyt__rd_error(rd, set, key,
                       "%s routes patients of municipality '%s' to '%s', where it has no beds "
                       "(quota 0 and lend = false)",
                       what, mu->id, x->id);
}

static void check_routes(struct reader *rd, const struct flyt_scenario *s, int i,
                         const struct flyt_routes *r, config_setting_t *set, const char *what)
{
    if (!r || !set)
        return;
    for (int j = 0; j < r->n; j++)
        check_target(rd, s, i, r->to[j], set, what);
}

/* Every route a municipality's patients can follow goes where they may go. */
static void check_users(struct reader *rd, config_setting_t *root, const struct flyt_scenario *s)
{
    for (int i = 0; i < s->n_munis && rd->diag->n_errors == 0; i++) {
        const struct flyt_muni *mu = &s->munis[i];
        config_setting_t *me = muni_elem(root, i);
        config_setting_t *ds = config_setting_get_member(me, "decision");
        config_setting_t *dset = ds ? config_setting_get_member(ds, "destination") : NULL;
        if (!dset) {
            config_setting_t *rd_ = config_setting_get_member(root, "decision");
            dset = rd_ ? config_setting_get_member(rd_, "destination") : NULL;
        }
        check_routes(rd, s, i, mu->dec.destination, dset, "the decision");
        for (int u = 0; u < s->n_units; u++) {
            const struct flyt_unit *x = &s->units[u];
            bool reaches = x->muni == i || (x->muni < 0 && (!x->users || x->users[i]));
            if (!reaches || x->hospital)
                continue;
            config_setting_t *e = flyt__rd_unit_elem(root, s, u);
            bool load = x->kind == FLYT_UNIT_CASELOAD;
            check_routes(rd, s, i, load ? &x->hazards : &x->outcome,
                         config_setting_get_member(e, load ? "rates_per_year" : "outcome"),
                         "the unit");
        }
        for (int r = 0; r < s->n_roles; r++) {
            const struct flyt_role *ro = &s->roles[r];
            if (ro->muni != i)
                continue;
            if (ro->has_destination)
                check_routes(rd, s, i, &ro->destination, me, "a coordinator's destination");
            if (ro->has_outcome)
                check_routes(rd, s, i, &ro->outcome, me, "a coordinator's outcome");
        }
    }
}

/* ---- the network as each municipality's patients see it ---- */

/* The units municipality i's patients can be in: its own and the shared
 * ones it may use; idx[u] their place in that list, -1 for the rest. */
struct view {
    int i, n;
    int *unit, *idx;
};

static void mark(const struct flyt_scenario *s, const struct view *v, const struct flyt_routes *r,
                 int g, bool *to, bool *out)
{
    if (!r->p)
        return;
    const double *row = flyt_routes_row(r, g);
    for (int j = 0; j < r->n; j++) {
        if (!(row[j] > 0))
            continue;
        int t = r->to[j];
        if (t == FLYT_ROUTE_SITE) { /* whichever of its sites the patient came from */
            for (int k = 0; k < s->munis[v->i].n_sites; k++)
                if (v->idx[s->munis[v->i].site_unit[k]] >= 0)
                    to[v->idx[s->munis[v->i].site_unit[k]]] = true;
            continue;
        }
        t = flyt_route_resolve(s, t, v->i, 0);
        if (t >= 0 && v->idx[t] >= 0)
            to[v->idx[t]] = true;
        else if (t < 0)
            *out = true;
    }
}

/* Where municipality i's patients of group g go from the k-th unit of v. */
static void view_edges(const struct flyt_scenario *s, const struct view *v, int k, int g, bool *to,
                       bool *out)
{
    int u = v->unit[k];
    const struct flyt_unit *x = &s->units[u];
    memset(to, 0, sizeof *to * (size_t)v->n);
    *out = false;
    if (x->hospital) {
        const struct flyt_group *gr = &s->groups[g];
        const struct flyt_muni *mu = &s->munis[v->i];
        *out = gr->p_ukp < 1 || gr->p_death_hosp > 0 || mu->pop.complex_share > 0;
        mark(s, v, mu->dec.destination, g, to, out);
        for (int r = 0; r < s->n_roles; r++)
            if (s->roles[r].muni == v->i && s->roles[r].has_destination)
                mark(s, v, &s->roles[r].destination, g, to, out);
        return;
    }
    mark(s, v, x->kind == FLYT_UNIT_CASELOAD ? &x->hazards : &x->outcome, g, to, out);
    for (int r = 0; r < s->n_roles; r++)
        if (s->roles[r].muni == v->i && s->roles[r].cases == FLYT_CASE_STAY &&
            s->roles[r].case_unit == u && s->roles[r].has_outcome)
            mark(s, v, &s->roles[r].outcome, g, to, out);
    if (x->not_ready_returns)
        for (int j = 0; j < s->munis[v->i].n_sites; j++)
            if (v->idx[s->munis[v->i].site_unit[j]] >= 0)
                to[v->idx[s->munis[v->i].site_unit[j]]] = true;
}

static bool ever_opens(const struct flyt_unit *x)
{
    if (x->kind == FLYT_UNIT_UNLIMITED || x->capacity > 0)
        return true;
    for (size_t i = 0; i < x->schedule.n_changes; i++)
        if (x->schedule.changes[i].level > 0)
            return true;
    for (size_t i = 0; i < x->schedule.n_recurring; i++)
        if (x->schedule.recurring[i].change > 0)
            return true;
    return false;
}

/* One municipality's network: no unit it sends patients to is closed for
 * good, and from every unit its patients reach there is a way out. */
static void check_view(struct reader *rd, config_setting_t *root, const struct flyt_scenario *s,
                       const struct view *v, bool *to, bool *out, bool *seen, bool *leaves,
                       int *stack)
{
    int n = v->n;
    const char *mid = s->munis[v->i].id;
    for (int g = 0; g < s->n_groups; g++) {
        for (int k = 0; k < n; k++)
            view_edges(s, v, k, g, to + (size_t)k * (size_t)n, &out[k]);
        memset(seen, 0, sizeof *seen * (size_t)n);
        int top = 0;
        for (int k = 0; k < n; k++) {
            const struct flyt_unit *x = &s->units[v->unit[k]];
            bool start = x->hospital || (x->muni == v->i &&
                                         ((x->kind == FLYT_UNIT_BEDS && x->initial_occupancy > 0) ||
                                          x->initial_count > 0));
            if (start && !seen[k]) {
                seen[k] = true;
                stack[top++] = k;
            }
        }
        while (top > 0) {
            int k = stack[--top];
            for (int j = 0; j < n; j++)
                if (to[(size_t)k * (size_t)n + (size_t)j] && !seen[j]) {
                    seen[j] = true;
                    stack[top++] = j;
                }
        }
        for (int k = 0; k < n; k++) {
            const struct flyt_unit *x = &s->units[v->unit[k]];
            if (seen[k] && !x->hospital && !ever_opens(x)) {
                char key[300];
                flyt__rd_unit_key(s, v->unit[k], "capacity", key, sizeof key);
                config_setting_t *e = flyt__rd_unit_elem(root, s, v->unit[k]);
                config_setting_t *c = e ? config_setting_get_member(e, "capacity") : NULL;
                flyt__rd_error(rd,
                               c   ? c
                               : e ? e
                                   : root,
                               key,
                               "patients of municipality '%s' are routed to '%s' but its capacity "
                               "is 0 and no schedule opens it; give capacity > 0",
                               mid, x->id);
                return;
            }
        }
        for (int k = 0; k < n; k++)
            leaves[k] = out[k];
        for (bool more = true; more;) {
            more = false;
            for (int k = 0; k < n; k++)
                for (int j = 0; j < n && !leaves[k]; j++)
                    if (to[(size_t)k * (size_t)n + (size_t)j] && leaves[j])
                        leaves[k] = more = true;
        }
        for (int k = 0; k < n; k++)
            if (seen[k] && !leaves[k]) {
                char key[300];
                flyt__rd_unit_key(s, v->unit[k], NULL, key, sizeof key);
                config_setting_t *e = flyt__rd_unit_elem(root, s, v->unit[k]);
                flyt__rd_error(rd, e ? e : root, key,
                               "patients of municipality '%s', group '%s', who reach '%s' can "
                               "never leave: no route from it leads to an exit (home or death)",
                               mid, s->groups[g].name, s->units[v->unit[k]].id);
                return;
            }
    }
}

static void check_region_network(struct reader *rd, config_setting_t *root,
                                 const struct flyt_scenario *s)
{
    int most = 0;
    for (int i = 0; i < s->n_munis; i++) {
        int k = rd->n_shared + s->munis[i].unit_hi - s->munis[i].unit_lo;
        most = k > most ? k : most;
    }
    most = most > 0 ? most : 1;
    struct view v = { 0, 0, malloc(sizeof(int) * (size_t)most), NULL };
    v.idx = malloc(sizeof(int) * (size_t)s->n_units);
    bool *to = calloc((size_t)most * (size_t)most, sizeof *to);
    bool *flags = calloc(3 * (size_t)most, sizeof *flags);
    int *stack = malloc(sizeof(int) * (size_t)most);
    if (v.unit && v.idx && to && flags && stack) {
        for (int u = 0; u < s->n_units; u++)
            v.idx[u] = -1;
        for (int i = 0; i < s->n_munis && rd->diag->n_errors == 0; i++) {
            v.i = i;
            v.n = 0;
            for (int u = 0; u < s->n_units; u++) {
                const struct flyt_unit *x = &s->units[u];
                bool in = x->muni == i || (x->muni < 0 && (!x->users || x->users[i]));
                v.idx[u] = in ? v.n : -1;
                if (in)
                    v.unit[v.n++] = u;
            }
            check_view(rd, root, s, &v, to, flags, flags + most, flags + 2 * most, stack);
        }
    }
    free(v.unit);
    free(v.idx);
    free(to);
    free(flags);
    free(stack);
}

void flyt__rd_region_munis(struct reader *rd, config_setting_t *root, struct flyt_scenario *s,
                           const struct group_names *g)
{
    if (s->n_munis == 0 || !s->local_unit)
        return;
    for (int i = 0; i < s->n_munis; i++) {
        config_setting_t *e = muni_elem(root, i);
        struct flyt_muni *mu = &s->munis[i];
        rd->scope = i;
        read_muni_population(rd, e, root, s, mu);
        read_muni_decision(rd, e, s, g, mu);
        read_sites(rd, e, s, mu);
        int first = s->n_roles;
        flyt__rd_coordinators(rd, e, s, g);
        for (int r = first; r < s->n_roles; r++) {
            char full[2 * FLYT_NAME_LEN];
            snprintf(full, sizeof full, "%s.%s", mu->id, s->roles[r].name);
            if (strlen(full) >= FLYT_NAME_LEN) {
                char key[300];
                flyt__rd_member_path(e, "coordinators", key, sizeof key);
                flyt__rd_error(rd, e, key, "'%s' is longer than %d characters", full,
                               FLYT_NAME_LEN - 1);
            }
            snprintf(s->roles[r].name, FLYT_NAME_LEN, "%.*s", FLYT_NAME_LEN - 1, full);
        }
    }
    rd->scope = RD_SCOPE_REGION;
    if (rd->diag->n_errors == 0)
        check_users(rd, root, s);
    if (rd->diag->n_errors == 0)
        check_region_network(rd, root, s);
}

void flyt__rd_region_free(struct flyt_scenario *s)
{
    for (int i = 0; i < s->n_munis; i++) {
        struct flyt_muni *mu = &s->munis[i];
        free(mu->name);
        if (mu->pop.own_growth)
            free(mu->pop.growth_by_year);
        if (mu->pop.own_arrivals)
            flyt__rd_arrivals_free(mu->pop.arrivals);
        flyt_dist_clear(&mu->dec.own_delay);
        flyt_dist_clear(&mu->dec.own_complex);
        flyt__rd_routes_free(&mu->dec.own_destination);
    }
    free(s->munis);
    s->munis = NULL;
    s->n_munis = 0;
    free(s->local_ids);
    s->local_ids = NULL;
    free(s->local_unit);
    s->local_unit = NULL;
    s->n_local = 0;
}
