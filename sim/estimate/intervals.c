/* Intervals for shares (Goodman 1965), Poisson rates (Garwood 1936) and
 * proportions (Wilson 1927). */
#include "flyt/estimate.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_math.h>

#include <math.h>

#define Z95 1.959963984540054

/* The score interval of a proportion x/n with critical value a = z^2:
 * the roots in p of (x - n p)^2 = a n p (1 - p). */
static void score(double x, double n, double a, double *lo, double *hi)
{
    double c = (2 * x + a) / (2 * (n + a));
    double h = sqrt(a * (a + 4 * x * (n - x) / n)) / (2 * (n + a));
    *lo = GSL_MAX(0.0, c - h);
    *hi = GSL_MIN(1.0, c + h);
    if (x <= 0)
        *lo = 0;
    if (x >= n)
        *hi = 1;
}

/* Goodman's simultaneous intervals: each share's score interval at the
 * Bonferroni level 0.05 / k, chi-square with one degree of freedom. */
int flyt_est_shares(const double *count, int k, double *share, double *lo, double *hi)
{
    double n = 0;
    for (int i = 0; i < k; i++) {
        if (!(count[i] >= 0))
            return -1;
        n += count[i];
    }
    if (k < 1 || !(n > 0))
        return -1;
    double a = gsl_cdf_chisq_Qinv(0.05 / k, 1);
    for (int i = 0; i < k; i++) {
        share[i] = count[i] / n;
        score(count[i], n, a, &lo[i], &hi[i]);
    }
    return 0;
}

void flyt_est_rate(double events, double exposure, double *rate, double *lo, double *hi)
{
    if (!(exposure > 0) || !(events >= 0)) {
        *rate = *lo = *hi = GSL_NAN;
        return;
    }
    *rate = events / exposure;
    *lo = events > 0 ? 0.5 * gsl_cdf_chisq_Pinv(0.025, 2 * events) / exposure : 0;
    *hi = 0.5 * gsl_cdf_chisq_Pinv(0.975, 2 * events + 2) / exposure;
}

void flyt_est_proportion(double successes, double n, double *p, double *lo, double *hi)
{
    if (!(n > 0) || !(successes >= 0) || successes > n) {
        *p = *lo = *hi = GSL_NAN;
        return;
    }
    *p = successes / n;
    score(successes, n, Z95 * Z95, lo, hi);
}
