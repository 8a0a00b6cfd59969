/*
 * The comparison file (format "flyt", kind "compare"):
 *
 *   /                        provenance and the base's run attributes, plus
 *                            kind = "compare", base, n_scenarios
 *   /scenarios/<i>_<name>    what a run file holds for scenario i (0 = base):
 *                            its run attributes, replications, summary, series
 *   /differences/<i>_<name>  variant i minus the base:
 *       per_replication      double [replication x kpi], NaN where either is
 *                            not finite
 *       summary/             one row per KPI: kpi, units, description,
 *                            base_mean, variant_mean, mean, sd, ci_low,
 *                            ci_high, unpaired_half, variance_reduction, n
 *       roles/<role>/        the same for each coordinator role both have
 *       units/<id>/          the same for each unit both have, matched by id
 *
 * Group names carry the scenario's position so that two scenarios with the
 * same name stay apart; a '/' in a name becomes '_'.
 */
#include "flyt/compare.h"
#include "output/h5/h5_common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct compare_args {
    const struct flyt_compare_run *runs;
    size_t n_runs, n_rep;
    const struct flyt_compare *cmp;
    const struct flyt_run_meta *meta;
};

/* "<i>_<name>" (or just the name when i < 0), safe as an HDF5 link name. */
static void link_name(char *buf, size_t len, int i, const char *name)
{
    int at = i >= 0 ? snprintf(buf, len, "%d_", i) : 0;
    snprintf(buf + at, len - (size_t)at, "%s", name && name[0] ? name : "_");
    for (char *p = buf; *p; p++)
        if (*p == '/' || (p == buf && *p == '.'))
            *p = '_';
}

static void scenario_path(char *buf, size_t len, size_t i, const char *name)
{
    char link[128];
    link_name(link, sizeof link, (int)i, name);
    snprintf(buf, len, "/scenarios/%s", link);
}

/* A figure table: the defs name its rows, p[k] compares row k. */
struct table {
    const struct flyt_field_def *defs;
    size_t n_fields;
    const struct flyt_paired *p;
    const double *diff; /* [n_rep x n_fields] */
    size_t n_rep;
};

static int summary_strings(struct flyt__h5 *c, hid_t g, const struct table *t, const char **buf)
{
    size_t K = t->n_fields;
    for (size_t k = 0; k < K; k++)
        buf[k] = t->defs[k].name;
    if (flyt__h5_write_1d(c, g, "kpi", c->str, c->str, K, buf, "", "figure (row of this table)"))
        return -1;
    for (size_t k = 0; k < K; k++)
        buf[k] = t->defs[k].units;
    if (flyt__h5_write_1d(c, g, "units", c->str, c->str, K, buf, "", "units of the figure"))
        return -1;
    for (size_t k = 0; k < K; k++)
        buf[k] = t->defs[k].description;
    return flyt__h5_write_1d(c, g, "description", c->str, c->str, K, buf, "",
                             "what the figure measures");
}

/* One double column of the summary: which(p[k]) for every row k. */
static int summary_column(struct flyt__h5 *c, hid_t g, const struct table *t, double *col,
                          const char *name, int which, const char *units, const char *desc)
{
    for (size_t k = 0; k < t->n_fields; k++) {
        const struct flyt_paired *p = &t->p[k];
        double m = p->diff.mean, h = p->diff.ci_half;
        double ci = isfinite(m) && isfinite(h) ? h : NAN;
        const double v[] = { p->base.mean,     p->variant.mean,      m, p->diff.sd, m - ci, m + ci,
                             p->unpaired_half, p->variance_reduction };
        col[k] = v[which];
    }
    return flyt__h5_write_1d(c, g, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, t->n_fields, col, units,
                             desc);
}

static int summary_numbers(struct flyt__h5 *c, hid_t g, const struct table *t, double *col)
{
    static const struct {
        const char *name, *units, *desc;
    } cols[] = {
        { "base_mean", "per row: see units", "base: mean over its replications with a value" },
        { "variant_mean", "per row: see units",
          "variant: mean over its replications with a value" },
        { "mean", "per row: see units", "mean of the paired differences (variant - base)" },
        { "sd", "per row: see units", "sample standard deviation of the differences (n-1)" },
        { "ci_low", "per row: see units",
          "lower end of the paired 95 % Student-t interval of the mean difference" },
        { "ci_high", "per row: see units",
          "upper end of the paired 95 % Student-t interval of the mean difference" },
        { "unpaired_half", "per row: see units",
          "95 % half-width of the difference treating the samples as independent (Welch)" },
        { "variance_reduction", "fraction",
          "1 - var(difference) / (var(base) + var(variant)): variance removed by pairing" },
    };
    for (int i = 0; i < (int)(sizeof cols / sizeof cols[0]); i++)
        if (summary_column(c, g, t, col, cols[i].name, i, cols[i].units, cols[i].desc))
            return -1;
    unsigned *n = (unsigned *)col; /* col has room: a double per row */
    for (size_t k = 0; k < t->n_fields; k++)
        n[k] = t->p[k].diff.n;
    return flyt__h5_write_1d(c, g, "n", H5T_STD_U32LE, H5T_NATIVE_UINT, t->n_fields, n,
                             "replications", "replications where both values are finite (pairs)");
}

static int write_summary(struct flyt__h5 *c, hid_t loc, const struct table *t)
{
    void *buf = malloc((t->n_fields ? t->n_fields : 1) * sizeof(double));
    if (!buf)
        return flyt__h5_set_err(c, "cannot write '%s': out of memory", c->file_name);
    hid_t g = flyt__h5_group_create(c, loc, "summary");
    int rc = g < 0 ? -1
                   : flyt__h5_close_group(
                             c, g,
                             summary_strings(c, g, t, buf) || summary_numbers(c, g, t, buf) ? -1
                                                                                            : 0);
    free(buf);
    return rc;
}

static int write_per_replication(struct flyt__h5 *c, hid_t loc, const struct table *t)
{
    const char *name = "per_replication";
    hsize_t dims[2] = { t->n_rep, t->n_fields };
    hid_t dcpl = flyt__h5_dcpl_rows(c, t->n_rep, t->n_fields);
    if (dcpl < 0)
        return flyt__h5_fail(c, loc, name);
    hid_t d = flyt__h5_dset_create(
            c, loc, name, H5T_IEEE_F64LE, 2, dims, dcpl, "per column: see summary/units",
            "variant minus base in each replication (same patients); NaN where either is "
            "not finite; columns are the rows of summary/kpi");
    if (flyt__h5_dcpl_close(c, dcpl) < 0 && d >= 0) {
        H5Dclose(d);
        return flyt__h5_fail(c, loc, name);
    }
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", "replication, kpi");
    for (size_t r = 0; rc == 0 && t->n_fields > 0 && r < t->n_rep; r++)
        rc = flyt__h5_write_row(c, d, r, t->diff + r * t->n_fields, t->n_fields);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, loc, name);
    return rc;
}

static int write_table(struct flyt__h5 *c, hid_t g, const struct table *t)
{
    return write_per_replication(c, g, t) || write_summary(c, g, t) ? -1 : 0;
}

/* Only roles both scenarios have: a difference needs two sides. */
static int write_roles(struct flyt__h5 *c, hid_t loc, const struct flyt_compare *cmp)
{
    hid_t g = flyt__h5_group_create(c, loc, "roles");
    int rc = g < 0 ? -1 : 0;
    for (unsigned i = 0; rc == 0 && i < cmp->n_roles; i++) {
        const struct flyt_compare_role *cr = &cmp->role[i];
        if (!cr->diff)
            continue;
        char name[128];
        link_name(name, sizeof name, -1, cr->name);
        hid_t rg = flyt__h5_group_create(c, g, name);
        const struct table t = { flyt_role_kpi_defs, FLYT_N_ROLE_KPI, cr->kpi, cr->diff,
                                 cmp->n_rep };
        rc = rg < 0 ? -1 : flyt__h5_close_group(c, rg, write_table(c, rg, &t));
    }
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

/* Units matched by id; as roles, only those both scenarios have. */
static int write_units(struct flyt__h5 *c, hid_t loc, const struct flyt_compare *cmp)
{
    hid_t g = flyt__h5_group_create(c, loc, "units");
    int rc = g < 0 ? -1 : 0;
    for (unsigned i = 0; rc == 0 && i < cmp->n_units; i++) {
        const struct flyt_compare_unit *cu = &cmp->unit[i];
        if (!cu->diff)
            continue;
        hid_t ug = flyt__h5_group_create(c, g, cu->id);
        const struct table t = { flyt_unit_kpi_defs, FLYT_N_UNIT_KPI, cu->kpi, cu->diff,
                                 cmp->n_rep };
        rc = ug < 0 ? -1 : flyt__h5_close_group(c, ug, write_table(c, ug, &t));
    }
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

/* A region's municipalities matched by id, as units; none without any. */
static int write_munis(struct flyt__h5 *c, hid_t loc, const struct flyt_compare *cmp)
{
    if (cmp->n_munis == 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, loc, "municipalities");
    int rc = g < 0 ? -1 : 0;
    for (unsigned i = 0; rc == 0 && i < cmp->n_munis; i++) {
        const struct flyt_compare_muni *cm = &cmp->muni[i];
        if (!cm->diff)
            continue;
        hid_t mg = flyt__h5_group_create(c, g, cm->id);
        const struct table t = { flyt_kpi_defs, FLYT_N_KPI, cm->kpi, cm->diff, cmp->n_rep };
        rc = mg < 0 ? -1 : flyt__h5_close_group(c, mg, write_table(c, mg, &t));
    }
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

static int write_difference(struct flyt__h5 *c, hid_t loc, const struct compare_args *a, size_t i)
{
    char name[128], base_path[160], variant_path[160];
    link_name(name, sizeof name, (int)i, a->runs[i].scenario->name);
    scenario_path(base_path, sizeof base_path, 0, a->runs[0].scenario->name);
    scenario_path(variant_path, sizeof variant_path, i, a->runs[i].scenario->name);
    const struct flyt_compare *cmp = &a->cmp[i - 1];
    const struct table t = { flyt_kpi_defs, FLYT_N_KPI, cmp->kpi, cmp->diff, cmp->n_rep };
    hid_t g = flyt__h5_group_create(c, loc, name);
    if (g < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, g, "base", base_path) ||
                             flyt__h5_attr_str(c, g, "variant", variant_path) ||
                             flyt__h5_attr_str(c, g, "description",
                                               "variant minus base, replication by replication "
                                               "(common random numbers)") ||
                             write_table(c, g, &t) || write_roles(c, g, cmp) ||
                             write_units(c, g, cmp) || write_munis(c, g, cmp)
                     ? -1
                     : 0;
    return flyt__h5_close_group(c, g, rc);
}

static int write_scenarios(struct flyt__h5 *c, hid_t file, const struct compare_args *a)
{
    hid_t g = flyt__h5_group_create(c, file, "scenarios");
    int rc = g < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < a->n_runs; i++) {
        const struct flyt_compare_run *run = &a->runs[i];
        struct flyt_run_meta meta = *a->meta;
        meta.wall_seconds = run->wall_seconds;
        char name[128];
        link_name(name, sizeof name, (int)i, run->scenario->name);
        hid_t sg = flyt__h5_group_create(c, g, name);
        rc = sg < 0 ? -1
                    : flyt__h5_close_group(c, sg,
                                           flyt__h5_write_run_body(c, sg, run->scenario,
                                                                   run->results, a->n_rep,
                                                                   run->summary, &meta));
    }
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

static int write_differences(struct flyt__h5 *c, hid_t file, const struct compare_args *a)
{
    hid_t g = flyt__h5_group_create(c, file, "differences");
    int rc = g < 0 ? -1 : 0;
    for (size_t i = 1; rc == 0 && i < a->n_runs; i++)
        rc = write_difference(c, g, a, i);
    return g < 0 ? -1 : flyt__h5_close_group(c, g, rc);
}

static int fill_compare(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct compare_args *a = arg;
    char base_path[160];
    scenario_path(base_path, sizeof base_path, 0, a->runs[0].scenario->name);
    unsigned n = (unsigned)a->n_runs;
    return flyt__h5_provenance(c, file, a->meta) ||
                           flyt__h5_run_attrs(c, file, a->runs[0].scenario, a->meta) ||
                           flyt__h5_attr_str(c, file, "kind", "compare") ||
                           flyt__h5_attr_str(c, file, "base", base_path) ||
                           flyt__h5_attr_write(c, file, "n_scenarios", H5T_STD_U32LE,
                                               H5T_NATIVE_UINT, &n) ||
                           write_scenarios(c, file, a) || write_differences(c, file, a)
                   ? -1
                   : 0;
}

int flyt_h5_write_compare(const char *path, const struct flyt_compare_run *runs, size_t n_runs,
                          size_t n_rep, const struct flyt_compare *cmp,
                          const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    const struct flyt_run_meta none = { "", "", 0, NAN };
    const struct compare_args a = { runs, n_runs, n_rep, cmp, meta ? meta : &none };
    return flyt__h5_write_file(path, fill_compare, &a, err, errlen);
}
