/*
 * The points of a Sobol or Latin hypercube sweep: the one place a sweep
 * draws numbers, kept apart from reading the file (sim/sweep/spec.c), which
 * draws none. The same sweep text always gives the same points: Sobol has
 * no randomness at all, and the hypercube's generator is seeded from the
 * file.
 */
#include "sweep/design.h"

#include <gsl/gsl_qrng.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A float keeps a decimal point so that --set reads it back as a float,
 * as the sweep file wrote it (an integer key given 2.0 is an error there
 * too). The shortest of %.15g..%.17g that reads back as x. */
void flyt__sweep_format_float(char *buf, size_t len, double x)
{
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(buf, len, "%.*g", digits, x);
        if (strtod(buf, NULL) == x)
            break;
    }
    if (!strpbrk(buf, ".eEn"))
        snprintf(buf + strlen(buf), len - strlen(buf), ".0");
}

static char *strdup_or_null(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

bool flyt__sweep_set_value(struct flyt_sweep *sw, size_t point, size_t param, const char *text,
                           double num)
{
    size_t i = point * sw->n_params + param;
    sw->value_text[i] = strdup_or_null(text);
    sw->value[i] = num;
    return sw->value_text[i] != NULL;
}

/* u in [0, 1) to a value of the range; whole numbers get equal shares. */
static void range_value(const struct flyt_sweep_param *p, double u, char *buf, size_t len,
                        double *num)
{
    if (p->integer) {
        double v = floor(p->lo + u * (p->hi - p->lo + 1.0));
        *num = v > p->hi ? p->hi : v;
        snprintf(buf, len, "%lld", (long long)*num);
    } else {
        *num = p->lo + u * (p->hi - p->lo);
        flyt__sweep_format_float(buf, len, *num);
    }
}

static bool fill_unit(struct flyt_sweep *sw, const double *u /* [n_points x n_params] */)
{
    for (size_t pt = 0; pt < sw->n_points; pt++)
        for (size_t j = 0; j < sw->n_params; j++) {
            char text[64];
            double num;
            range_value(&sw->params[j], u[pt * sw->n_params + j], text, sizeof text, &num);
            if (!flyt__sweep_set_value(sw, pt, j, text, num))
                return false;
        }
    return true;
}

/* GSL's Sobol sequence from its first point (0.5, ..., 0.5): no skip, so
 * the design is the documented sequence and easy to reproduce elsewhere. */
static bool sobol_unit(size_t n, size_t d, double *u)
{
    gsl_qrng *q = gsl_qrng_alloc(gsl_qrng_sobol, (unsigned)d);
    if (!q)
        return false;
    for (size_t i = 0; i < n; i++)
        gsl_qrng_get(q, u + i * d);
    gsl_qrng_free(q);
    return true;
}

/* One random permutation of the n strata per dimension and a uniform
 * position inside each stratum, from MT19937 seeded by the sweep file:
 * the same file always gives the same design. */
static bool lhs_unit(size_t n, size_t d, uint64_t seed, double *u)
{
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    size_t *perm = malloc(n * sizeof *perm);
    if (!r || !perm) {
        gsl_rng_free(r);
        free(perm);
        return false;
    }
    gsl_rng_set(r, (unsigned long)seed);
    for (size_t j = 0; j < d; j++) {
        for (size_t i = 0; i < n; i++)
            perm[i] = i;
        gsl_ran_shuffle(r, perm, n, sizeof *perm);
        for (size_t i = 0; i < n; i++)
            u[i * d + j] = ((double)perm[i] + gsl_rng_uniform(r)) / (double)n;
    }
    free(perm);
    gsl_rng_free(r);
    return true;
}

bool flyt__sweep_design_fill(struct flyt_sweep *sw)
{
    size_t n = sw->n_points, d = sw->n_params;
    if (n == 0 || d == 0)
        return true; /* the reader refuses both; nothing to draw */
    double *u = malloc(n * d * sizeof *u);
    bool ok = u && (sw->design == FLYT_DESIGN_SOBOL ? sobol_unit(n, d, u)
                                                    : lhs_unit(n, d, sw->lhs_seed, u));
    ok = ok && fill_unit(sw, u);
    free(u);
    return ok;
}
