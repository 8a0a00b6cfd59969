/* A region's municipalities in a run file, as tables across them like
 * /units (docs/region.md, docs/hdf5-layout.md):
 *
 *   /municipalities                attributes: the KPI names (kpi,
 *                                  kpi_units, kpi_description)
 *   /municipalities/ids            municipality index i is ids[i]
 *   /municipalities/names          their names (UTF-8)
 *   /municipalities/kpis           [replication x municipality x kpi]
 *   /municipalities/summary        [municipality x kpi x statistic]
 *   /municipalities/site_ukp_days  [replication x municipality x site]
 *                                  (attribute sites: the hospital units)
 *
 * Tables rather than a group per municipality: the country has 357. */
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdlib.h>

struct munis_src {
    const struct flyt_result *res;
    const struct flyt_summary *sum;
    unsigned n, n_sites;
};

static void kpi_slab(const void *ctx, size_t i, double *out)
{
    const struct munis_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    for (unsigned m = 0; m < a->n; m++, out += FLYT_N_KPI)
        for (int k = 0; k < FLYT_N_KPI; k++)
            out[k] = r->muni_kpi && m < r->n_munis ? flyt_result_muni_kpi(r, m)[k] : NAN;
}

static void site_slab(const void *ctx, size_t i, double *out)
{
    const struct munis_src *a = ctx;
    const struct flyt_result *r = &a->res[i];
    for (unsigned m = 0; m < a->n; m++)
        for (unsigned j = 0; j < a->n_sites; j++)
            *out++ = r->site_ukp_days && m < r->n_munis && r->n_sites == a->n_sites
                             ? r->site_ukp_days[(size_t)m * a->n_sites + j]
                             : NAN;
}

static void summary_slab(const void *ctx, size_t m, double *out)
{
    const struct munis_src *a = ctx;
    bool have = a->sum->muni && m < a->sum->n_munis;
    flyt__h5_stat_row(have ? flyt_summary_muni(a->sum, (unsigned)m) : NULL, FLYT_N_KPI, out);
}

static int close_dset(struct flyt__h5 *c, hid_t d, int rc)
{
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, d, "");
    return rc;
}

int flyt__h5_write_munis(struct flyt__h5 *c, hid_t loc, const struct flyt_scenario *s,
                         const struct flyt_result *res, size_t n_res,
                         const struct flyt_summary *sum)
{
    if (s->n_munis <= 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, loc, "municipalities");
    if (g < 0)
        return -1;
    size_t n = (size_t)s->n_munis;
    const char **ids = malloc(2 * n * sizeof *ids);
    const char **sites = malloc(((size_t)s->n_units + 1) * sizeof *sites);
    if (!ids || !sites) {
        free(ids);
        free(sites);
        return flyt__h5_close_group(
                c, g, flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name));
    }
    for (size_t i = 0; i < n; i++) {
        ids[i] = s->munis[i].id;
        ids[n + i] = s->munis[i].name ? s->munis[i].name : s->munis[i].id;
    }
    unsigned n_sites = 0;
    for (int u = 0; u < s->n_units; u++)
        if (s->units[u].hospital)
            sites[n_sites++] = s->units[u].id;
    const char *name[FLYT_N_KPI], *units[FLYT_N_KPI], *desc[FLYT_N_KPI];
    for (int k = 0; k < FLYT_N_KPI; k++) {
        name[k] = flyt_kpi_defs[k].name;
        units[k] = flyt_kpi_defs[k].units;
        desc[k] = flyt_kpi_defs[k].description;
    }
    int rc = flyt__h5_write_1d(c, g, "ids", c->str, c->str, n, ids, "",
                               "municipality ids in the scenario's order: index i is ids[i]") ||
                             flyt__h5_write_1d(c, g, "names", c->str, c->str, n, ids + n, "",
                                               "municipality names, as ids") ||
                             flyt__h5_attr_strs(c, g, "kpi", name, FLYT_N_KPI) ||
                             flyt__h5_attr_strs(c, g, "kpi_units", units, FLYT_N_KPI) ||
                             flyt__h5_attr_strs(c, g, "kpi_description", desc, FLYT_N_KPI)
                     ? -1
                     : 0;
    struct munis_src a = { res, sum, (unsigned)n, n_sites };
    const struct flyt__h5_table kpis = {
        "kpis",
        "per kpi: see the attribute /municipalities@kpi_units",
        "every scenario KPI per municipality and replication (row i: "
        "/replications/replication[i]; municipality m: /municipalities/ids[m]; kpi k: "
        "/municipalities@kpi[k]); the region's own are /replications",
        "replication, municipality, kpi",
        n_res,
        n,
        FLYT_N_KPI,
        kpi_slab
    };
    const struct flyt__h5_table summary = {
        "summary",
        "per kpi: see the attribute /municipalities@kpi_units",
        "per municipality and KPI over the replications with a finite value: mean, sd (n-1), "
        "the 95 % interval (Student t, log or logit scale at a bound), n",
        "municipality, kpi, statistic",
        n,
        FLYT_N_KPI,
        FLYT__H5_N_STAT,
        summary_slab
    };
    const struct flyt__h5_table site = {
        "site_ukp_days",
        "days/year",
        "bed-days a year at each hospital site held by discharge-ready (UKP) patients, by home "
        "municipality (site j: the attribute sites[j])",
        "replication, municipality, site",
        n_res,
        n,
        n_sites,
        site_slab
    };
    hid_t d = -1;
    if (rc == 0)
        rc = flyt__h5_write_table(c, g, &kpis, &a, NULL);
    if (rc == 0) {
        rc = flyt__h5_write_table(c, g, &summary, &a, &d);
        if (d >= 0)
            rc = close_dset(c, d, rc || flyt__h5_attr_str(c, d, "columns", FLYT__H5_STAT_COLUMNS));
    }
    d = -1;
    if (rc == 0 && n_sites > 0) {
        rc = flyt__h5_write_table(c, g, &site, &a, &d);
        if (d >= 0)
            rc = close_dset(c, d, rc || flyt__h5_attr_strs(c, d, "sites", sites, n_sites));
    }
    free(ids);
    free(sites);
    return flyt__h5_close_group(c, g, rc);
}
