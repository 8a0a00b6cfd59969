/*
 * Paired comparison of two samples over the same replications. Sums are
 * two-pass (means first, then deviations), as in summary.c: costs near 1e7
 * differ by far less than their size, and the difference of two running
 * sums of squares would lose it.
 */
#include "flyt/compare.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Sample variances over the pairs; n is the number of pairs. */
struct pair_moments {
    size_t n;
    double mean_b, mean_v, mean_d;
    double var_b, var_v, var_d;
};

static int is_pair(const double *b, const double *v, size_t i)
{
    return isfinite(b[i]) && isfinite(v[i]);
}

static struct pair_moments moments(const double *b, const double *v, size_t n_x)
{
    struct pair_moments m = { 0 };
    double sb = 0, sv = 0, sd = 0;
    for (size_t i = 0; i < n_x; i++)
        if (is_pair(b, v, i)) {
            m.n++;
            sb += b[i];
            sv += v[i];
            sd += v[i] - b[i];
        }
    if (m.n == 0)
        return m;
    m.mean_b = sb / (double)m.n;
    m.mean_v = sv / (double)m.n;
    m.mean_d = sd / (double)m.n;
    if (m.n < 2)
        return m;
    double qb = 0, qv = 0, qd = 0;
    for (size_t i = 0; i < n_x; i++)
        if (is_pair(b, v, i)) {
            double eb = b[i] - m.mean_b, ev = v[i] - m.mean_v, ed = v[i] - b[i] - m.mean_d;
            qb += eb * eb;
            qv += ev * ev;
            qd += ed * ed;
        }
    m.var_b = qb / (double)(m.n - 1);
    m.var_v = qv / (double)(m.n - 1);
    m.var_d = qd / (double)(m.n - 1);
    return m;
}

/* Welch: each mean's own variance, degrees of freedom by
 * Welch-Satterthwaite. Two constant samples differ by exactly their means. */
static double welch_half(const struct pair_moments *m)
{
    double n = (double)m->n, ab = m->var_b / n, av = m->var_v / n;
    double se2 = ab + av;
    if (se2 == 0)
        return 0;
    double dof = se2 * se2 / ((ab * ab + av * av) / (n - 1));
    return gsl_cdf_tdist_Pinv(0.975, dof) * sqrt(se2);
}

/* Each side's own interval keeps to the KPI's range; the difference has
 * none (a variant can be better or worse), so its interval stays the
 * symmetric t-interval. */
static struct flyt_paired paired_in(const double *base, const double *variant, size_t n,
                                    enum flyt_range range, double *d)
{
    struct flyt_paired p;
    p.base = flyt_stat_in(base, n, range);
    p.variant = flyt_stat_in(variant, n, range);
    p.diff = (struct flyt_stat){ NAN, NAN, NAN, NAN, NAN, 0, NAN };
    p.unpaired_half = NAN;
    p.variance_reduction = NAN;
    if (d)
        for (size_t i = 0; i < n; i++)
            d[i] = is_pair(base, variant, i) ? variant[i] - base[i] : NAN;
    struct pair_moments m = moments(base, variant, n);
    p.diff.n = (unsigned)m.n;
    if (m.n == 0)
        return p;
    p.diff.mean = m.mean_d;
    if (m.n < 2)
        return p;
    p.diff.sd = sqrt(m.var_d);
    p.diff.ci_half = gsl_cdf_tdist_Pinv(0.975, (double)(m.n - 1)) * p.diff.sd / sqrt((double)m.n);
    p.diff.ci_low = p.diff.mean - p.diff.ci_half;
    p.diff.ci_high = p.diff.mean + p.diff.ci_half;
    p.unpaired_half = welch_half(&m);
    if (m.var_b + m.var_v > 0)
        p.variance_reduction = 1 - m.var_d / (m.var_b + m.var_v);
    return p;
}

struct flyt_paired flyt_paired_of(const double *base, const double *variant, size_t n, double *d)
{
    return paired_in(base, variant, n, FLYT_RANGE_REAL, d);
}

int flyt_paired_excludes_zero(const struct flyt_paired *p)
{
    double m = p->diff.mean, h = p->diff.ci_half;
    return isfinite(m) && isfinite(h) && (m - h > 0 || m + h < 0);
}

static struct flyt_paired one_sided(const double *x, size_t n, enum flyt_range range)
{
    struct flyt_stat none = { NAN, NAN, NAN, NAN, NAN, 0, NAN };
    struct flyt_paired p = { none, none, none, NAN, NAN };
    p.variant = flyt_stat_in(x, n, range);
    return p;
}

static int find_role(const struct flyt_compare_side *s, const char *name)
{
    for (unsigned i = 0; i < s->n_roles && i < FLYT_MAX_ROLES_RESULT; i++)
        if (s->role_name[i] && strcmp(s->role_name[i], name) == 0)
            return (int)i;
    return -1;
}

/* Role KPI k of side's role i, one value per replication, into x. */
static void role_column(double *x, const struct flyt_result *res, size_t n_rep, int i, int k)
{
    for (size_t r = 0; r < n_rep; r++)
        x[r] = res[r].role_kpi[i][k];
}

static int compare_role(struct flyt_compare_role *cr, const struct flyt_compare_side *base,
                        const struct flyt_compare_side *variant, size_t n_rep, double *xb,
                        double *xv, double *d)
{
    int both = cr->base_index >= 0 && cr->variant_index >= 0;
    if (both && !(cr->diff = malloc((n_rep ? n_rep : 1) * FLYT_N_ROLE_KPI * sizeof(double))))
        return -1;
    for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
        if (cr->base_index >= 0)
            role_column(xb, base->results, n_rep, cr->base_index, k);
        if (cr->variant_index >= 0)
            role_column(xv, variant->results, n_rep, cr->variant_index, k);
        if (!both) {
            /* The stat of the side that has the role goes where it belongs. */
            struct flyt_paired p =
                    one_sided(cr->variant_index >= 0 ? xv : xb, n_rep, flyt_role_kpi_defs[k].range);
            if (cr->variant_index < 0) {
                p.base = p.variant;
                p.variant = (struct flyt_stat){ NAN, NAN, NAN, NAN, NAN, 0, NAN };
            }
            cr->kpi[k] = p;
            continue;
        }
        cr->kpi[k] = paired_in(xb, xv, n_rep, flyt_role_kpi_defs[k].range, d);
        for (size_t r = 0; r < n_rep; r++)
            cr->diff[r * FLYT_N_ROLE_KPI + (size_t)k] = d[r];
    }
    return 0;
}

/* The variant's roles in its order, then the base's that it lacks. */
static void list_roles(struct flyt_compare *c, const struct flyt_compare_side *base,
                       const struct flyt_compare_side *variant)
{
    for (unsigned i = 0; i < variant->n_roles && i < FLYT_MAX_ROLES_RESULT; i++) {
        struct flyt_compare_role *cr = &c->role[c->n_roles++];
        cr->name = variant->role_name[i] ? variant->role_name[i] : "";
        cr->variant_index = (int)i;
        cr->base_index = find_role(base, cr->name);
    }
    for (unsigned i = 0; i < base->n_roles && i < FLYT_MAX_ROLES_RESULT; i++) {
        const char *name = base->role_name[i] ? base->role_name[i] : "";
        if (find_role(variant, name) >= 0)
            continue;
        struct flyt_compare_role *cr = &c->role[c->n_roles++];
        cr->name = name;
        cr->variant_index = -1;
        cr->base_index = (int)i;
    }
}

static int find_unit(const struct flyt_compare_side *s, const char *id)
{
    for (unsigned i = 0; i < s->n_units && s->unit_id; i++)
        if (s->unit_id[i] && strcmp(s->unit_id[i], id) == 0)
            return (int)i;
    return -1;
}

static void unit_column(double *x, const struct flyt_result *res, size_t n_rep, int u, int k)
{
    for (size_t r = 0; r < n_rep; r++)
        x[r] = res[r].unit_kpi && (unsigned)u < res[r].n_units
                       ? flyt_result_unit_kpi(&res[r], (unsigned)u)[k]
                       : NAN;
}

static int compare_unit(struct flyt_compare_unit *cu, const struct flyt_compare_side *base,
                        const struct flyt_compare_side *variant, size_t n_rep, double *xb,
                        double *xv, double *d)
{
    int both = cu->base_index >= 0 && cu->variant_index >= 0;
    if (both && !(cu->diff = malloc((n_rep ? n_rep : 1) * FLYT_N_UNIT_KPI * sizeof(double))))
        return -1;
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
        if (cu->base_index >= 0)
            unit_column(xb, base->results, n_rep, cu->base_index, k);
        if (cu->variant_index >= 0)
            unit_column(xv, variant->results, n_rep, cu->variant_index, k);
        if (!both) {
            struct flyt_paired p =
                    one_sided(cu->variant_index >= 0 ? xv : xb, n_rep, flyt_unit_kpi_defs[k].range);
            if (cu->variant_index < 0) {
                p.base = p.variant;
                p.variant = (struct flyt_stat){ NAN, NAN, NAN, NAN, NAN, 0, NAN };
            }
            cu->kpi[k] = p;
            continue;
        }
        cu->kpi[k] = paired_in(xb, xv, n_rep, flyt_unit_kpi_defs[k].range, d);
        for (size_t r = 0; r < n_rep; r++)
            cu->diff[r * FLYT_N_UNIT_KPI + (size_t)k] = d[r];
    }
    return 0;
}

static int list_units(struct flyt_compare *c, const struct flyt_compare_side *base,
                      const struct flyt_compare_side *variant)
{
    size_t most = (size_t)base->n_units + variant->n_units;
    c->unit = calloc(most ? most : 1, sizeof *c->unit);
    if (!c->unit)
        return -1;
    for (unsigned i = 0; i < variant->n_units && variant->unit_id; i++) {
        struct flyt_compare_unit *cu = &c->unit[c->n_units++];
        cu->id = variant->unit_id[i] ? variant->unit_id[i] : "";
        cu->variant_index = (int)i;
        cu->base_index = find_unit(base, cu->id);
    }
    for (unsigned i = 0; i < base->n_units && base->unit_id; i++) {
        const char *id = base->unit_id[i] ? base->unit_id[i] : "";
        if (find_unit(variant, id) >= 0)
            continue;
        struct flyt_compare_unit *cu = &c->unit[c->n_units++];
        cu->id = id;
        cu->variant_index = -1;
        cu->base_index = (int)i;
    }
    return 0;
}

static int find_muni(const struct flyt_compare_side *s, const char *id)
{
    for (unsigned i = 0; i < s->n_munis && s->muni_id; i++)
        if (s->muni_id[i] && strcmp(s->muni_id[i], id) == 0)
            return (int)i;
    return -1;
}

static void muni_column(double *x, const struct flyt_result *res, size_t n_rep, int m, int k)
{
    for (size_t r = 0; r < n_rep; r++)
        x[r] = res[r].muni_kpi && (unsigned)m < res[r].n_munis
                       ? flyt_result_muni_kpi(&res[r], (unsigned)m)[k]
                       : NAN;
}

static int compare_muni(struct flyt_compare_muni *cm, const struct flyt_compare_side *base,
                        const struct flyt_compare_side *variant, size_t n_rep, double *xb,
                        double *xv, double *d)
{
    int both = cm->base_index >= 0 && cm->variant_index >= 0;
    if (both && !(cm->diff = malloc((n_rep ? n_rep : 1) * FLYT_N_KPI * sizeof(double))))
        return -1;
    for (int k = 0; k < FLYT_N_KPI; k++) {
        if (cm->base_index >= 0)
            muni_column(xb, base->results, n_rep, cm->base_index, k);
        if (cm->variant_index >= 0)
            muni_column(xv, variant->results, n_rep, cm->variant_index, k);
        if (!both) {
            struct flyt_paired p =
                    one_sided(cm->variant_index >= 0 ? xv : xb, n_rep, flyt_kpi_defs[k].range);
            if (cm->variant_index < 0) {
                p.base = p.variant;
                p.variant = (struct flyt_stat){ NAN, NAN, NAN, NAN, NAN, 0, NAN };
            }
            cm->kpi[k] = p;
            continue;
        }
        cm->kpi[k] = paired_in(xb, xv, n_rep, flyt_kpi_defs[k].range, d);
        for (size_t r = 0; r < n_rep; r++)
            cm->diff[r * FLYT_N_KPI + (size_t)k] = d[r];
    }
    return 0;
}

static int list_munis(struct flyt_compare *c, const struct flyt_compare_side *base,
                      const struct flyt_compare_side *variant)
{
    size_t most = (size_t)base->n_munis + variant->n_munis;
    if (most == 0)
        return 0;
    if (!(c->muni = calloc(most, sizeof *c->muni)))
        return -1;
    for (unsigned i = 0; i < variant->n_munis && variant->muni_id; i++) {
        struct flyt_compare_muni *cm = &c->muni[c->n_munis++];
        cm->id = variant->muni_id[i] ? variant->muni_id[i] : "";
        cm->variant_index = (int)i;
        cm->base_index = find_muni(base, cm->id);
    }
    for (unsigned i = 0; i < base->n_munis && base->muni_id; i++) {
        const char *id = base->muni_id[i] ? base->muni_id[i] : "";
        if (find_muni(variant, id) >= 0)
            continue;
        struct flyt_compare_muni *cm = &c->muni[c->n_munis++];
        cm->id = id;
        cm->variant_index = -1;
        cm->base_index = (int)i;
    }
    return 0;
}

static int compare_kpis(struct flyt_compare *c, const struct flyt_compare_side *base,
                        const struct flyt_compare_side *variant, double *xb, double *xv, double *d)
{
    size_t n = c->n_rep;
    c->diff = malloc((n ? n : 1) * FLYT_N_KPI * sizeof(double));
    if (!c->diff)
        return -1;
    for (int k = 0; k < FLYT_N_KPI; k++) {
        for (size_t r = 0; r < n; r++) {
            xb[r] = base->results[r].kpi[k];
            xv[r] = variant->results[r].kpi[k];
        }
        c->kpi[k] = paired_in(xb, xv, n, flyt_kpi_defs[k].range, d);
        for (size_t r = 0; r < n; r++)
            c->diff[r * FLYT_N_KPI + (size_t)k] = d[r];
    }
    return 0;
}

int flyt_compare_compute(struct flyt_compare *c, const struct flyt_compare_side *base,
                         const struct flyt_compare_side *variant, size_t n_rep)
{
    memset(c, 0, sizeof *c);
    c->n_rep = n_rep;
    double *work = malloc(3 * (n_rep ? n_rep : 1) * sizeof *work);
    int rc = work ? compare_kpis(c, base, variant, work, work + n_rep, work + 2 * n_rep) : -1;
    if (rc == 0)
        list_roles(c, base, variant);
    for (unsigned i = 0; rc == 0 && i < c->n_roles; i++)
        rc = compare_role(&c->role[i], base, variant, n_rep, work, work + n_rep, work + 2 * n_rep);
    if (rc == 0)
        rc = list_units(c, base, variant);
    for (unsigned i = 0; rc == 0 && i < c->n_units; i++)
        rc = compare_unit(&c->unit[i], base, variant, n_rep, work, work + n_rep, work + 2 * n_rep);
    if (rc == 0)
        rc = list_munis(c, base, variant);
    for (unsigned i = 0; rc == 0 && i < c->n_munis; i++)
        rc = compare_muni(&c->muni[i], base, variant, n_rep, work, work + n_rep, work + 2 * n_rep);
    free(work);
    if (rc != 0)
        flyt_compare_free(c);
    return rc;
}

void flyt_compare_free(struct flyt_compare *c)
{
    free(c->diff);
    for (unsigned i = 0; i < c->n_roles; i++)
        free(c->role[i].diff);
    for (unsigned i = 0; c->unit && i < c->n_units; i++)
        free(c->unit[i].diff);
    free(c->unit);
    for (unsigned i = 0; c->muni && i < c->n_munis; i++)
        free(c->muni[i].diff);
    free(c->muni);
    memset(c, 0, sizeof *c);
}
