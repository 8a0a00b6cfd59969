#include "support.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdio.h>

int flyt_test_near(double a, double b, double tol, const char *sa, const char *sb, const char *file,
                   int line)
{
    if (fabs(a - b) <= tol)
        return 1;
    fprintf(stderr, "%s:%d: %s = %.10g and %s = %.10g differ by %.3g > %.3g\n", file, line, sa, a,
            sb, b, fabs(a - b), tol);
    return 0;
}

double flyt_test_ci95(const double *x, int n, double *mean)
{
    double m = 0, ss = 0;
    for (int i = 0; i < n; i++)
        m += x[i];
    m /= n;
    for (int i = 0; i < n; i++)
        ss += (x[i] - m) * (x[i] - m);
    *mean = m;
    if (n < 2)
        return INFINITY;
    return gsl_cdf_tdist_Pinv(0.975, n - 1) * sqrt(ss / (n - 1) / n);
}
