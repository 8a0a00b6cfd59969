#include "flyt/result.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FLYT_FIELD_DEF(name, units, desc)      { #name, units, desc, FLYT_RANGE_REAL },
#define FLYT_KPI_DEF(name, units, range, desc) { #name, units, desc, FLYT_RANGE_##range },
const struct flyt_field_def flyt_kpi_defs[FLYT_N_KPI] = { FLYT_KPI_LIST(FLYT_KPI_DEF) };
const struct flyt_field_def flyt_series_defs[FLYT_N_SERIES] = { FLYT_SERIES_LIST(FLYT_FIELD_DEF) };
const struct flyt_field_def flyt_role_kpi_defs[FLYT_N_ROLE_KPI] = { FLYT_ROLE_KPI_LIST(
        FLYT_KPI_DEF) };
const struct flyt_field_def flyt_unit_kpi_defs[FLYT_N_UNIT_KPI] = { FLYT_UNIT_KPI_LIST(
        FLYT_KPI_DEF) };
const struct flyt_field_def flyt_unit_series_defs[FLYT_N_UNIT_SERIES] = { FLYT_UNIT_SERIES_LIST(
        FLYT_FIELD_DEF) };
#undef FLYT_KPI_DEF
#undef FLYT_FIELD_DEF

/* Which estimates lean on the episodes still open at the horizon: those
 * that count them (docs/kpis.md) and those still over closed ones only. */
int flyt_kpi_open_share(int k)
{
    switch (k) {
    case FLYT_KPI_ukp_wait_mean:
    case FLYT_KPI_ukp_wait_median:
    case FLYT_KPI_ukp_wait_p90:
    case FLYT_KPI_ukp_wait_max:
    case FLYT_KPI_ukp_wait_mean_home:
    case FLYT_KPI_ukp_wait_mean_complex:
    case FLYT_KPI_share_direct_home:
        return FLYT_KPI_ukp_open_share;
    default:
        return -1;
    }
}

int flyt_unit_kpi_open_share(int k)
{
    switch (k) {
    case FLYT_UNIT_KPI_los_mean:
    case FLYT_UNIT_KPI_los_median:
        return FLYT_UNIT_KPI_stays_open_share;
    case FLYT_UNIT_KPI_wait_mean:
    case FLYT_UNIT_KPI_wait_p90:
    case FLYT_UNIT_KPI_wait_mean_hospital:
    case FLYT_UNIT_KPI_wait_mean_bed:
    case FLYT_UNIT_KPI_wait_mean_home:
    case FLYT_UNIT_KPI_wait_within_target:
        return FLYT_UNIT_KPI_waits_open_share;
    default:
        return -1;
    }
}

void flyt_result_free(struct flyt_result *r)
{
    if (!r)
        return;
    for (int i = 0; i < FLYT_N_SERIES; i++) {
        free(r->series[i]);
        r->series[i] = NULL;
    }
    free(r->unit_kpi);
    free(r->unit_series);
    r->unit_kpi = r->unit_series = NULL;
    free(r->muni_kpi);
    free(r->site_ukp_days);
    r->muni_kpi = r->site_ukp_days = NULL;
}

/* Bit for bit (memcmp: a NaN equals itself, -0 differs from 0). */
static bool same_doubles(const double *a, const double *b, size_t n)
{
    if (n == 0)
        return true;
    if (!a || !b)
        return a == b;
    return memcmp(a, b, n * sizeof *a) == 0;
}

const char *flyt_result_diff(const struct flyt_result *a, const struct flyt_result *b)
{
    if (a->status != b->status || strcmp(a->status_detail, b->status_detail) != 0)
        return "status";
    if (a->model_events != b->model_events || a->engine_events != b->engine_events)
        return "event counts";
    if (!same_doubles(a->kpi, b->kpi, FLYT_N_KPI))
        return "kpi";
    if (a->n_days != b->n_days)
        return "n_days";
    for (int k = 0; k < FLYT_N_SERIES; k++)
        if (!same_doubles(a->series[k], b->series[k], a->n_days))
            return flyt_series_defs[k].name;
    if (a->n_roles != b->n_roles ||
        !same_doubles(&a->role_kpi[0][0], &b->role_kpi[0][0], (size_t)a->n_roles * FLYT_N_ROLE_KPI))
        return "role_kpi";
    if (a->n_units != b->n_units ||
        !same_doubles(a->unit_kpi, b->unit_kpi, (size_t)a->n_units * FLYT_N_UNIT_KPI))
        return "unit_kpi";
    if (!same_doubles(a->unit_series, b->unit_series,
                      (size_t)a->n_units * FLYT_N_UNIT_SERIES * a->n_days))
        return "unit_series";
    if (a->n_munis != b->n_munis ||
        !same_doubles(a->muni_kpi, b->muni_kpi, (size_t)a->n_munis * FLYT_N_KPI))
        return "muni_kpi";
    if (a->n_sites != b->n_sites ||
        !same_doubles(a->site_ukp_days, b->site_ukp_days, (size_t)a->n_munis * a->n_sites))
        return "site_ukp_days";
    return NULL;
}

static int copy_doubles(double **dst, const double *src, size_t n)
{
    *dst = NULL;
    if (!src || n == 0)
        return 0;
    if (!(*dst = malloc(n * sizeof(double))))
        return -1;
    memcpy(*dst, src, n * sizeof(double));
    return 0;
}

int flyt_result_copy_units(struct flyt_result *dst, const struct flyt_result *src)
{
    dst->unit_kpi = NULL;
    dst->unit_series = NULL;
    size_t nk = (size_t)src->n_units * FLYT_N_UNIT_KPI;
    if (src->unit_kpi && nk) {
        if (!(dst->unit_kpi = malloc(nk * sizeof(double))))
            return -1;
        memcpy(dst->unit_kpi, src->unit_kpi, nk * sizeof(double));
    }
    size_t ns = nk / FLYT_N_UNIT_KPI * FLYT_N_UNIT_SERIES * src->n_days;
    if (src->unit_series && ns) {
        if (!(dst->unit_series = malloc(ns * sizeof(double))))
            return -1;
        memcpy(dst->unit_series, src->unit_series, ns * sizeof(double));
    }
    if (copy_doubles(&dst->muni_kpi, src->muni_kpi, (size_t)src->n_munis * FLYT_N_KPI) != 0 ||
        copy_doubles(&dst->site_ukp_days, src->site_ukp_days,
                     (size_t)src->n_munis * src->n_sites) != 0)
        return -1;
    return 0;
}

const char *flyt_kpi_description(int k, double readmission_window_days, char *buf, size_t len)
{
    if (k != FLYT_KPI_readmission_rate || !isfinite(readmission_window_days))
        return flyt_kpi_defs[k].description;
    snprintf(buf, len, "share of UKP discharges readmitted within %g days",
             readmission_window_days);
    return buf;
}

/* Handles: a global KPI is its index; a unit's KPI k of unit u is
 * FLYT_N_KPI + u * FLYT_N_UNIT_KPI + k; municipality m's KPI k is
 * FLYT_KPI_MUNI_BASE + m * FLYT_N_KPI + k. */

int flyt_kpi_lookup(const char *name, const char *const *ids, unsigned n_units)
{
    return flyt_kpi_lookup_region(name, ids, n_units, NULL, 0);
}

int flyt_kpi_lookup_region(const char *name, const char *const *ids, unsigned n_units,
                           const char *const *munis, unsigned n_munis)
{
    if (strncmp(name, "municipalities.", 15) == 0) {
        const char *id = name + 15, *dot = strrchr(id, '.');
        for (unsigned m = 0; dot && m < n_munis; m++) {
            size_t n = strlen(munis[m]);
            if (n != (size_t)(dot - id) || strncmp(munis[m], id, n) != 0)
                continue;
            int k = flyt_kpi_lookup(dot + 1, NULL, 0);
            return k >= 0 ? FLYT_KPI_MUNI_BASE + (int)m * FLYT_N_KPI + k : -1;
        }
        return -1;
    }
    /* the name before the window became a setting's */
    if (strcmp(name, "readmission_30d") == 0)
        return FLYT_KPI_readmission_rate;
    for (int k = 0; k < FLYT_N_KPI; k++)
        if (strcmp(name, flyt_kpi_defs[k].name) == 0)
            return k;
    if (strncmp(name, "units.", 6) != 0)
        return -1;
    const char *id = name + 6, *dot = strrchr(id, '.');
    if (!dot)
        return -1;
    for (unsigned u = 0; u < n_units; u++) {
        size_t n = strlen(ids[u]);
        if (n != (size_t)(dot - id) || strncmp(ids[u], id, n) != 0)
            continue;
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
            if (strcmp(dot + 1, flyt_unit_kpi_defs[k].name) == 0)
                return FLYT_N_KPI + (int)u * FLYT_N_UNIT_KPI + k;
    }
    return -1;
}

bool flyt_kpi_name_scoped(const char *name)
{
    bool unit = strncmp(name, "units.", 6) == 0;
    size_t at = unit ? 6 : strncmp(name, "municipalities.", 15) == 0 ? 15 : 0;
    const char *dot = at ? strrchr(name + at, '.') : NULL;
    if (!dot || dot == name + at)
        return false;
    if (!unit)
        return flyt_kpi_lookup(dot + 1, NULL, 0) >= 0;
    for (int k = 0; k < FLYT_N_UNIT_KPI; k++)
        if (strcmp(dot + 1, flyt_unit_kpi_defs[k].name) == 0)
            return true;
    return false;
}

double flyt_kpi_value(const struct flyt_result *r, int handle)
{
    if (handle >= FLYT_KPI_MUNI_BASE) {
        unsigned m = (unsigned)(handle - FLYT_KPI_MUNI_BASE) / FLYT_N_KPI;
        if (m >= r->n_munis || !r->muni_kpi)
            return NAN;
        return flyt_result_muni_kpi(r, m)[(handle - FLYT_KPI_MUNI_BASE) % FLYT_N_KPI];
    }
    if (handle < FLYT_N_KPI)
        return handle >= 0 ? r->kpi[handle] : NAN;
    unsigned u = (unsigned)(handle - FLYT_N_KPI) / FLYT_N_UNIT_KPI;
    if (u >= r->n_units || !r->unit_kpi)
        return NAN;
    return flyt_result_unit_kpi(r, u)[(handle - FLYT_N_KPI) % FLYT_N_UNIT_KPI];
}

const struct flyt_field_def *flyt_kpi_def(int handle)
{
    if (handle >= FLYT_KPI_MUNI_BASE)
        return &flyt_kpi_defs[(handle - FLYT_KPI_MUNI_BASE) % FLYT_N_KPI];
    if (handle < FLYT_N_KPI)
        return &flyt_kpi_defs[handle < 0 ? 0 : handle];
    return &flyt_unit_kpi_defs[(handle - FLYT_N_KPI) % FLYT_N_UNIT_KPI];
}

void flyt_ci_in(double m, double sd, unsigned n, double lo, double hi, double *ci_low,
                double *ci_high)
{
    *ci_low = *ci_high = NAN;
    if (n < 2 || !isfinite(m) || !isfinite(sd))
        return;
    /* in the order flyt_stat_of has always used, so that an interval
     * inside the range is the t-interval to the last bit */
    double half = gsl_cdf_tdist_Pinv(0.975, n - 1) * sd / sqrt((double)n);
    double a = m - half, b = m + half;
    if (a >= lo && b <= hi) {
        *ci_low = a;
        *ci_high = b;
        return;
    }
    /* Every value lies in [lo, hi], so a mean at a bound means every value
     * is there: nothing varies, and the scales below have no slope. */
    if (m <= lo || m >= hi) {
        *ci_low = *ci_high = m <= lo ? lo : hi;
        return;
    }
    /* The delta method: g(mean) has standard error g'(mean) se, and the
     * interval for g(mean) maps back through g^-1 into (lo, hi). */
    if (!isfinite(hi)) {
        double d = m - lo, k = half / d;
        *ci_low = lo + d * exp(-k);
        *ci_high = lo + d * exp(k);
        return;
    }
    double w = hi - lo, p = (m - lo) / w;
    double z = log(p / (1 - p)), k = half / (w * p * (1 - p));
    *ci_low = lo + w / (1 + exp(-(z - k)));
    *ci_high = lo + w / (1 + exp(-(z + k)));
}

/* Two passes (mean, then squared deviations) rather than running sums: the
 * KPIs include costs near 1e7 whose spread is small next to their size. */
static struct flyt_stat stat_range(const double *x, size_t n_x, double lo, double hi)
{
    struct flyt_stat st = { NAN, NAN, NAN, NAN, NAN, 0, NAN };
    unsigned n = 0;
    double sum = 0, ss = 0;
    for (size_t i = 0; i < n_x; i++)
        if (isfinite(x[i])) {
            n++;
            sum += x[i];
        }
    st.n = n;
    if (n == 0)
        return st;
    st.mean = sum / n;
    if (n < 2)
        return st;
    for (size_t i = 0; i < n_x; i++)
        if (isfinite(x[i]))
            ss += (x[i] - st.mean) * (x[i] - st.mean);
    st.sd = sqrt(ss / (n - 1));
    if (n >= 3 && ss > 0) {
        double s3 = 0;
        for (size_t i = 0; i < n_x; i++)
            if (isfinite(x[i]))
                s3 += (x[i] - st.mean) * (x[i] - st.mean) * (x[i] - st.mean);
        double g1 = (s3 / n) / pow(ss / n, 1.5);
        st.skew = g1 * sqrt((double)n * (n - 1)) / (n - 2);
    }
    st.ci_half = gsl_cdf_tdist_Pinv(0.975, n - 1) * st.sd / sqrt((double)n);
    flyt_ci_in(st.mean, st.sd, n, lo, hi, &st.ci_low, &st.ci_high);
    return st;
}

bool flyt_stat_skewed(const struct flyt_stat *st, double *need)
{
    if (!(st->n >= 3) || !isfinite(st->skew))
        return false;
    double n = st->n;
    double se = sqrt(6 * n * (n - 1) / ((n - 2) * (n + 1) * (n + 3)));
    double g = fabs(st->skew) - 2 * se;
    if (need)
        *need = 25 * st->skew * st->skew;
    return g > 0 && n <= 25 * g * g;
}

struct flyt_stat flyt_stat_of(const double *x, size_t n)
{
    return stat_range(x, n, -INFINITY, INFINITY);
}

/* A load ratio's time-averages are integrals of the same census, so one
 * that stayed within capacity can still come out a rounding error above 1:
 * only a clear excess says the unit can be over capacity. */
#define FLYT__LOAD_SLACK 1e-9

struct flyt_stat flyt_stat_in(const double *x, size_t n, enum flyt_range range)
{
    double hi = range == FLYT_RANGE_SHARE ? 1.0 : INFINITY;
    if (range == FLYT_RANGE_LOAD) {
        hi = 1.0;
        for (size_t i = 0; i < n; i++)
            if (isfinite(x[i]) && x[i] > 1.0 + FLYT__LOAD_SLACK)
                hi = INFINITY;
    }
    return stat_range(x, n, range == FLYT_RANGE_REAL ? -INFINITY : 0.0, hi);
}

void flyt_summary_compute(struct flyt_summary *s, const struct flyt_result *res, size_t n_res)
{
    double stack[256];
    double *x = n_res <= 256 ? stack : malloc(n_res * sizeof *x);
    if (!x)
        abort(); /* a few KB for a summary; nothing sensible to do without it */
    for (int k = 0; k < FLYT_N_KPI; k++) {
        for (size_t i = 0; i < n_res; i++)
            x[i] = res[i].kpi[k];
        struct flyt_stat st = flyt_stat_in(x, n_res, flyt_kpi_defs[k].range);
        s->mean[k] = st.mean;
        s->sd[k] = st.sd;
        s->ci_half[k] = st.ci_half;
        s->ci_low[k] = st.ci_low;
        s->ci_high[k] = st.ci_high;
        s->n[k] = st.n;
        s->skew[k] = st.skew;
    }
    s->series = NULL;
    s->warmup = NULL;
    s->precision = NULL;
    s->n_roles = n_res > 0 ? res[0].n_roles : 0;
    for (unsigned r = 0; r < s->n_roles; r++)
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++) {
            for (size_t i = 0; i < n_res; i++)
                x[i] = res[i].role_kpi[r][k];
            s->role[r][k] = flyt_stat_in(x, n_res, flyt_role_kpi_defs[k].range);
        }
    s->n_units = n_res > 0 && res[0].unit_kpi ? res[0].n_units : 0;
    s->unit = s->n_units ? calloc((size_t)s->n_units * FLYT_N_UNIT_KPI, sizeof *s->unit) : NULL;
    if (s->n_units && !s->unit)
        abort(); /* as above */
    for (unsigned u = 0; u < s->n_units; u++)
        for (int k = 0; k < FLYT_N_UNIT_KPI; k++) {
            for (size_t i = 0; i < n_res; i++)
                x[i] = res[i].unit_kpi && u < res[i].n_units ? flyt_result_unit_kpi(&res[i], u)[k]
                                                             : NAN;
            s->unit[(size_t)u * FLYT_N_UNIT_KPI + (size_t)k] =
                    flyt_stat_in(x, n_res, flyt_unit_kpi_defs[k].range);
        }
    s->n_munis = n_res > 0 && res[0].muni_kpi ? res[0].n_munis : 0;
    s->n_sites = s->n_munis ? res[0].n_sites : 0;
    s->muni = s->n_munis ? calloc((size_t)s->n_munis * FLYT_N_KPI, sizeof *s->muni) : NULL;
    s->site = s->n_munis && s->n_sites ? calloc((size_t)s->n_munis * s->n_sites, sizeof *s->site)
                                       : NULL;
    if ((s->n_munis && !s->muni) || (s->n_munis && s->n_sites && !s->site))
        abort(); /* as above */
    for (unsigned a = 0; a < s->n_munis; a++) {
        for (int k = 0; k < FLYT_N_KPI; k++) {
            for (size_t i = 0; i < n_res; i++)
                x[i] = res[i].muni_kpi && a < res[i].n_munis ? flyt_result_muni_kpi(&res[i], a)[k]
                                                             : NAN;
            s->muni[(size_t)a * FLYT_N_KPI + (size_t)k] =
                    flyt_stat_in(x, n_res, flyt_kpi_defs[k].range);
        }
        for (unsigned j = 0; j < s->n_sites; j++) {
            for (size_t i = 0; i < n_res; i++)
                x[i] = res[i].site_ukp_days && a < res[i].n_munis && j < res[i].n_sites
                               ? res[i].site_ukp_days[(size_t)a * res[i].n_sites + j]
                               : NAN;
            s->site[(size_t)a * s->n_sites + j] = flyt_stat_in(x, n_res, FLYT_RANGE_NONNEG);
        }
    }
    if (x != stack)
        free(x);
}

void flyt_summary_free(struct flyt_summary *s)
{
    if (!s)
        return;
    free(s->unit);
    s->unit = NULL;
    s->n_units = 0;
    free(s->muni);
    free(s->site);
    s->muni = s->site = NULL;
    s->n_munis = s->n_sites = 0;
}
