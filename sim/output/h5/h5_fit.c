/* The file of flyt fit (docs/hdf5-layout.md, "Fit file"): under /fit the
 * estimates and their statistics as small tables, one survival group per
 * fitted duration (Kaplan-Meier with its interval and every family's
 * fitted survival at the same times), the daily arrivals, the notes, and
 * the base and fitted scenario texts. */
#include "flyt/date.h"
#include "flyt/fit_file.h"
#include "output/h5/h5_common.h"

#include <gsl/gsl_cdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

struct fit_args {
    const struct flyt_fit *f;
    const char *base_text, *fitted_text;
    const char *const *paths;
    int n_paths;
    const struct flyt_run_meta *meta;
};

#define N_STAT 10
static const char *const stat_names[N_STAT] = { "loglik", "aic",   "mean",  "mean_lo", "mean_hi",
                                                "sd",     "sd_lo", "sd_hi", "gof",     "gof_p" };

static double survival(const struct flyt_est_fit *x, double t)
{
    if (!x->ok)
        return NAN;
    switch (x->family) {
    case FLYT_EST_EXPONENTIAL:
        return exp(-x->par[0] * t);
    case FLYT_EST_GAMMA:
        return gsl_cdf_gamma_Q(t, x->par[0], x->par[1]);
    case FLYT_EST_LOGNORMAL:
        return gsl_cdf_lognormal_Q(t, x->par[0], x->par[1]);
    case FLYT_EST_WEIBULL:
        return gsl_cdf_weibull_Q(t, x->par[1], x->par[0]);
    default:
        return NAN;
    }
}

static int table(struct flyt__h5 *c, hid_t g, const char *name, size_t rows, size_t cols,
                 const double *x, const char *desc, const char *dimensions)
{
    if (rows == 0)
        return 0;
    hsize_t dims[2] = { rows, cols };
    hid_t dcpl = flyt__h5_dcpl_chunks(c, 2, dims, dims);
    if (dcpl < 0)
        return flyt__h5_fail(c, g, name);
    hid_t d = flyt__h5_dset_create(c, g, name, H5T_IEEE_F64LE, 2, dims, dcpl, "", desc);
    flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        return -1;
    int rc = flyt__h5_attr_str(c, d, "dimensions", dimensions) ||
             flyt__h5_write_rows(c, d, 0, rows, cols, x);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, name);
    return rc;
}

static int strings(struct flyt__h5 *c, hid_t g, const char *name, size_t n, const char **v,
                   const char *desc)
{
    return n ? flyt__h5_write_1d(c, g, name, c->str, c->str, n, v, "", desc) : 0;
}

static int one_survival(struct flyt__h5 *c, hid_t sg, size_t i, const struct flyt_fit_dist *d)
{
    char name[32];
    snprintf(name, sizeof name, "%zu", i);
    hid_t g = flyt__h5_group_create(c, sg, name);
    if (g < 0)
        return -1;
    size_t n = d->km.n;
    double *fitted = malloc((n ? n : 1) * FLYT_EST_N_FAMILY * sizeof(double));
    int rc = -1;
    if (!fitted) {
        flyt__h5_set_err(c, "out of memory");
        goto out;
    }
    for (size_t k = 0; k < n; k++)
        for (int fam = 0; fam < FLYT_EST_N_FAMILY; fam++)
            fitted[k * FLYT_EST_N_FAMILY + (size_t)fam] = survival(&d->fits[fam], d->km.t[k]);
    const char *fams[FLYT_EST_N_FAMILY];
    for (int fam = 0; fam < FLYT_EST_N_FAMILY; fam++)
        fams[fam] = flyt_est_family_name((enum flyt_est_family)fam);
    rc = flyt__h5_attr_str(c, g, "key", d->key) || flyt__h5_attr_str(c, g, "group", d->label) ||
         (n && (flyt__h5_write_1d(c, g, "t", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d->km.t, "days",
                                  "the event times") ||
                flyt__h5_write_1d(c, g, "km", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d->km.s,
                                  "fraction", "Kaplan-Meier survival just after each time") ||
                flyt__h5_write_1d(c, g, "km_lo", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d->km.lo,
                                  "fraction",
                                  "its pointwise 95 % interval, low (Greenwood, "
                                  "log-log)") ||
                flyt__h5_write_1d(c, g, "km_hi", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, d->km.hi,
                                  "fraction", "its pointwise 95 % interval, high") ||
                table(c, g, "fitted", n, FLYT_EST_N_FAMILY, fitted,
                      "each family's fitted survival at t (NaN: not fitted)", "t, family") ||
                flyt__h5_attr_strs(c, g, "families", fams, FLYT_EST_N_FAMILY)));
out:
    free(fitted);
    return flyt__h5_close_group(c, g, rc ? -1 : 0);
}

static int distributions(struct flyt__h5 *c, hid_t fg, const struct flyt_fit *f)
{
    size_t n = f->n_dists;
    if (n == 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, fg, "distributions");
    if (g < 0)
        return -1;
    const char **key = calloc(n, sizeof *key), **grp = calloc(n, sizeof *grp),
               **chosen = calloc(n, sizeof *chosen);
    double *counts = calloc(n * 2, sizeof(double));
    double *st = calloc(n * FLYT_EST_N_FAMILY * N_STAT, sizeof(double));
    int rc = -1;
    if (!key || !grp || !chosen || !counts || !st) {
        flyt__h5_set_err(c, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct flyt_fit_dist *d = &f->dists[i];
        key[i] = d->key;
        grp[i] = d->label;
        chosen[i] = d->best >= 0 ? flyt_est_family_name(d->fits[d->best].family) : "empirical";
        counts[i * 2] = (double)d->n;
        counts[i * 2 + 1] = (double)d->n_events;
        for (int fam = 0; fam < FLYT_EST_N_FAMILY; fam++) {
            const struct flyt_est_fit *x = &d->fits[fam];
            double v[N_STAT] = { x->loglik, x->aic,   x->mean,  x->mean_lo, x->mean_hi,
                                 x->sd,     x->sd_lo, x->sd_hi, x->gof,     x->gof_p };
            for (int k = 0; k < N_STAT; k++)
                st[(i * FLYT_EST_N_FAMILY + (size_t)fam) * N_STAT + (size_t)k] = x->ok ? v[k] : NAN;
        }
    }
    hsize_t dims[3] = { n, FLYT_EST_N_FAMILY, N_STAT };
    const char *fams[FLYT_EST_N_FAMILY];
    for (int fam = 0; fam < FLYT_EST_N_FAMILY; fam++)
        fams[fam] = flyt_est_family_name((enum flyt_est_family)fam);
    hid_t dcpl = flyt__h5_dcpl_chunks(c, 3, dims, dims);
    hid_t d = dcpl < 0 ? -1
                       : flyt__h5_dset_create(c, g, "stats", H5T_IEEE_F64LE, 3, dims, dcpl, "",
                                              "per estimate and family: log-likelihood, AIC, "
                                              "mean with 95 % interval, sd with 95 % interval "
                                              "(days), goodness-of-fit statistic and p-value");
    if (dcpl >= 0)
        flyt__h5_dcpl_close(c, dcpl);
    if (d < 0)
        goto out;
    rc = flyt__h5_attr_str(c, d, "dimensions", "estimate, family, statistic") ||
         flyt__h5_attr_strs(c, d, "families", fams, FLYT_EST_N_FAMILY) ||
         flyt__h5_attr_strs(c, d, "statistics", stat_names, N_STAT) ||
         flyt__h5_write_rows(c, d, 0, n, FLYT_EST_N_FAMILY * N_STAT, st);
    if (H5Dclose(d) < 0 && rc == 0)
        rc = flyt__h5_fail(c, g, "stats");
    rc = rc || strings(c, g, "key", n, key, "the scenario key each estimate sets") ||
         strings(c, g, "group", n, grp, "the frailty groups it holds for ('+': pooled)") ||
         strings(c, g, "chosen", n, chosen,
                 "the family written to the scenario (smallest AIC), or empirical when none "
                 "fits") ||
         table(c, g, "counts", n, 2, counts, "durations and of them ended (not censored)",
               "estimate, (n, events)");
    if (rc == 0) {
        hid_t sg = flyt__h5_group_create(c, g, "survival");
        if (sg < 0)
            rc = -1;
        for (size_t i = 0; rc == 0 && i < n; i++)
            rc = one_survival(c, sg, i, &f->dists[i]);
        if (sg >= 0)
            rc = flyt__h5_close_group(c, sg, rc);
    }
out:
    free(key);
    free(grp);
    free(chosen);
    free(counts);
    free(st);
    return flyt__h5_close_group(c, g, rc ? -1 : 0);
}

/* Shares or hazards flattened: one row per estimate and category. */
static int categories(struct flyt__h5 *c, hid_t fg, const struct flyt_fit *f, bool hazards)
{
    size_t rows = 0, n = hazards ? f->n_rates : f->n_shares;
    for (size_t i = 0; i < n; i++)
        rows += (size_t)(hazards ? f->rates[i].n_cat : f->shares[i].n_cat);
    if (rows == 0)
        return 0;
    hid_t g = flyt__h5_group_create(c, fg, hazards ? "hazards" : "shares");
    if (g < 0)
        return -1;
    const char **key = calloc(rows, sizeof *key), **grp = calloc(rows, sizeof *grp),
               **cat = calloc(rows, sizeof *cat);
    double *v = calloc(rows * 5, sizeof(double));
    int rc = -1;
    if (!key || !grp || !cat || !v) {
        flyt__h5_set_err(c, "out of memory");
        goto out;
    }
    size_t r = 0;
    for (size_t i = 0; i < n; i++) {
        if (hazards) {
            const struct flyt_fit_rates *x = &f->rates[i];
            for (int j = 0; j < x->n_cat; j++, r++) {
                key[r] = x->key;
                grp[r] = x->label;
                cat[r] = x->cat[j];
                double row[5] = { x->events[j], x->exposure_years, x->rate[j], x->lo[j], x->hi[j] };
                for (int k = 0; k < 5; k++)
                    v[r * 5 + (size_t)k] = row[k];
            }
        } else {
            const struct flyt_fit_shares *x = &f->shares[i];
            for (int j = 0; j < x->n_cat; j++, r++) {
                key[r] = x->key;
                grp[r] = x->label;
                cat[r] = x->cat[j];
                double row[5] = { x->count[j], x->total, x->share[j], x->lo[j], x->hi[j] };
                for (int k = 0; k < 5; k++)
                    v[r * 5 + (size_t)k] = row[k];
            }
        }
    }
    rc = strings(c, g, "key", rows, key, "the scenario key") ||
         strings(c, g, "group", rows, grp, "the frailty groups ('+': pooled)") ||
         strings(c, g, "category", rows, cat,
                 hazards ? "the route (a unit id, home or death)"
                         : "the category (a route, a CFS level, ...)") ||
         table(c, g, "values", rows, 5, v,
               hazards ? "events, person-years at risk, rate per year, its exact 95 % interval"
                       : "count, total, share, its simultaneous 95 % interval",
               hazards ? "row, (events, exposure_years, rate, ci95_low, ci95_high)"
                       : "row, (count, total, share, ci95_low, ci95_high)");
out:
    free(key);
    free(grp);
    free(cat);
    free(v);
    return flyt__h5_close_group(c, g, rc ? -1 : 0);
}

static int arrivals(struct flyt__h5 *c, hid_t fg, const struct flyt_fit *f)
{
    if (f->n_days == 0)
        return 0;
    const struct flyt_est_rate_model *a = &f->arrivals;
    hid_t g = flyt__h5_group_create(c, fg, "arrivals");
    if (g < 0)
        return -1;
    double month[36], wday[21];
    for (int k = 0; k < 12; k++) {
        month[k * 3] = a->month_factor[k];
        month[k * 3 + 1] = a->month_lo[k];
        month[k * 3 + 2] = a->month_hi[k];
    }
    for (int k = 0; k < 7; k++) {
        wday[k * 3] = a->weekday_factor[k];
        wday[k * 3 + 1] = a->weekday_lo[k];
        wday[k * 3 + 2] = a->weekday_hi[k];
    }
    double base[3] = { a->base, a->base_lo, a->base_hi },
           growth[3] = { a->growth, a->growth_lo, a->growth_hi };
    int rc = flyt__h5_write_1d(c, g, "count", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days,
                               f->day_count, "patients/day",
                               "admissions from the community on each whole day of the window "
                               "(day 0 = attribute from_date)") ||
             flyt__h5_write_1d(c, g, "fitted", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, f->n_days,
                               f->day_fitted, "patients/day", "the fitted rate of each day") ||
             table(c, g, "month_factor", 12, 3, month,
                   "per month (January first): factor, 95 % "
                   "interval",
                   "month, (factor, ci95_low, ci95_high)") ||
             table(c, g, "weekday_factor", 7, 3, wday,
                   "per weekday (Monday first): factor, 95 % interval",
                   "weekday, (factor, ci95_low, ci95_high)") ||
             flyt__h5_write_1d(c, g, "admissions_per_day", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3,
                               base, "patients/day",
                               "the base rate at the window's start, 95 % interval") ||
             flyt__h5_write_1d(c, g, "growth_per_year", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, 3,
                               growth, "fraction/year", "the trend, 95 % interval") ||
             flyt__h5_attr_double(c, g, "dispersion", a->dispersion) ||
             flyt__h5_attr_double(c, g, "deviance", a->deviance) ||
             flyt__h5_attr_double(c, g, "arrivals", (double)f->n_arrivals) ||
             flyt__h5_attr_double(c, g, "readmissions", (double)f->n_readmissions) ||
             flyt__h5_attr_double(c, g, "month_fitted", f->month_fitted) ||
             flyt__h5_attr_double(c, g, "weekday_fitted", f->weekday_fitted) ||
             flyt__h5_attr_double(c, g, "trend_fitted", f->trend_fitted);
    return flyt__h5_close_group(c, g, rc ? -1 : 0);
}

static void iso(int day, char *buf, size_t len)
{
    int y, m, d;
    flyt_civil_from_days(day, &y, &m, &d);
    snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
}

static int fill_fit(struct flyt__h5 *c, hid_t file, const void *arg)
{
    const struct fit_args *a = arg;
    const struct flyt_fit *f = a->f;
    if (flyt__h5_provenance(c, file, a->meta) || flyt__h5_attr_str(c, file, "kind", "fit"))
        return -1;
    hid_t g = flyt__h5_group_create(c, file, "fit");
    if (g < 0)
        return -1;
    char from[16], until[16];
    iso(f->from_day, from, sizeof from);
    iso(f->until_day, until, sizeof until);
    const char *none[1] = { "" };
    int rc = flyt__h5_attr_str(c, g, "from_date", from) ||
             flyt__h5_attr_str(c, g, "until_date", until) ||
             flyt__h5_attr_double(c, g, "stays", (double)f->n_stays) ||
             flyt__h5_attr_double(c, g, "ready_periods", (double)f->n_ready) ||
             flyt__h5_attr_double(c, g, "patients", (double)f->n_patients) ||
             flyt__h5_attr_double(c, g, "stays_before_window", (double)f->n_truncated) ||
             flyt__h5_attr_strs(c, g, "records", (const char *const *)a->paths,
                                (size_t)a->n_paths) ||
             flyt__h5_attr_strs(c, g, "notes", f->n_notes ? (const char *const *)f->notes : none,
                                f->n_notes ? f->n_notes : 1) ||
             flyt__h5_attr_str(c, g, "base_text", a->base_text) ||
             flyt__h5_attr_str(c, g, "fitted_text", a->fitted_text) || arrivals(c, g, f) ||
             distributions(c, g, f) || categories(c, g, f, false) || categories(c, g, f, true);
    return flyt__h5_close_group(c, g, rc ? -1 : 0);
}

int flyt_h5_write_fit(const char *path, const struct flyt_fit *f, const char *base_text,
                      const char *fitted_text, const char *const *record_paths, int n_paths,
                      const struct flyt_run_meta *meta, char *err, size_t errlen)
{
    const struct fit_args a = { f, base_text, fitted_text, record_paths, n_paths, meta };
    return flyt__h5_write_file(path, fill_fit, &a, err, errlen);
}
