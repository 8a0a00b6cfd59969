/* Kaplan-Meier (1958) with Greenwood's variance, intervals on the
 * log(-log) scale (Kalbfleisch & Prentice; R's conf.type = "log-log"),
 * the median and the restricted mean. */
#include "estimate/est.h"

#include <gsl/gsl_math.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define Z95 1.959963984540054

/* qsort has no context argument in C11: the keys carry what the
 * comparison needs. */
struct key {
    double t;
    int censored; /* events first at a tie: those censored at t were at risk at t */
    size_t i;
};
static int cmp_key(const void *a, const void *b)
{
    const struct key *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->censored != y->censored)
        return x->censored - y->censored;
    return x->i < y->i ? -1 : x->i > y->i;
}

int flyt__est_order(const struct flyt_est_sample *x, size_t *order)
{
    struct key *k = malloc(x->n * sizeof *k);
    if (!k)
        return -1;
    for (size_t i = 0; i < x->n; i++)
        k[i] = (struct key){ x->t[i], !x->event[i], i };
    qsort(k, x->n, sizeof *k, cmp_key);
    for (size_t i = 0; i < x->n; i++)
        order[i] = k[i].i;
    free(k);
    return 0;
}

size_t flyt__est_ties(const struct flyt_est_sample *x, const size_t *order, size_t i, size_t *d,
                      size_t *c)
{
    double t = x->t[order[i]];
    *d = *c = 0;
    while (i < x->n && x->t[order[i]] == t) {
        if (x->event[order[i]])
            ++*d;
        else
            ++*c;
        i++;
    }
    return i;
}

void flyt_est_km_free(struct flyt_est_km *km)
{
    if (!km)
        return;
    free(km->t);
    free(km->s);
    free(km->lo);
    free(km->hi);
    free(km->at_risk);
    free(km->events);
    memset(km, 0, sizeof *km);
}

static int km_alloc(struct flyt_est_km *km, size_t n)
{
    km->t = malloc(n * sizeof *km->t);
    km->s = malloc(n * sizeof *km->s);
    km->lo = malloc(n * sizeof *km->lo);
    km->hi = malloc(n * sizeof *km->hi);
    km->at_risk = malloc(n * sizeof *km->at_risk);
    km->events = malloc(n * sizeof *km->events);
    if (km->t && km->s && km->lo && km->hi && km->at_risk && km->events)
        return 0;
    flyt_est_km_free(km);
    return -1;
}

/* The log(-log) interval: S^exp(+-z se) with se = sqrt(Greenwood) / |log S|.
 * At S = 0 (all at risk ended) there is no interval. */
static void loglog(double s, double gw, double *lo, double *hi)
{
    if (!(s > 0) || s >= 1) {
        *lo = *hi = GSL_NAN;
        return;
    }
    double se = sqrt(gw) / fabs(log(s));
    *lo = pow(s, exp(Z95 * se));
    *hi = pow(s, exp(-Z95 * se));
}

int flyt_est_km(const struct flyt_est_sample *x, struct flyt_est_km *out)
{
    memset(out, 0, sizeof *out);
    if (!x || x->n == 0)
        return -1;
    size_t n = x->n, *ord = malloc(n * sizeof *ord);
    if (!ord || km_alloc(out, n) != 0 || flyt__est_order(x, ord) != 0) {
        free(ord);
        flyt_est_km_free(out);
        return -1;
    }
    double s = 1, gw = 0, area = 0, prev_t = 0;
    size_t risk = n, rows = 0;
    out->median = GSL_NAN;
    for (size_t i = 0, next; i < n; i = next) {
        double t = x->t[ord[i]];
        size_t d, c;
        next = flyt__est_ties(x, ord, i, &d, &c);
        area += s * (t - prev_t);
        prev_t = t;
        if (d > 0) {
            s *= 1.0 - (double)d / (double)risk;
            gw += d < risk ? (double)d / ((double)risk * (double)(risk - d)) : 0;
            out->t[rows] = t;
            out->s[rows] = s;
            out->at_risk[rows] = risk;
            out->events[rows] = d;
            loglog(s, gw, &out->lo[rows], &out->hi[rows]);
            if (isnan(out->median) && s <= 0.5)
                out->median = t;
            rows++;
        }
        risk -= d + c;
    }
    free(ord);
    out->n = rows;
    out->rmean = area;
    return 0;
}

/* The sup is reached at a jump of the KM: compare the fitted S at each
 * event time with the KM just before and just after it. */
double flyt__est_ks(const struct flyt_est_sample *x, const struct flyt__est_family *fam,
                    const double par[2], size_t *order)
{
    if (flyt__est_order(x, order) != 0)
        return GSL_NAN;
    double s = 1, dmax = 0;
    size_t risk = x->n;
    for (size_t i = 0, next; i < x->n; i = next) {
        double t = x->t[order[i]];
        size_t d, c;
        next = flyt__est_ties(x, order, i, &d, &c);
        if (d > 0) {
            double f = fam->sf(par, t), after = s * (1.0 - (double)d / (double)risk);
            dmax = GSL_MAX(dmax, GSL_MAX(fabs(s - f), fabs(after - f)));
            s = after;
        }
        risk -= d + c;
    }
    return dmax;
}
