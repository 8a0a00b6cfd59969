/* Helpers shared by the cmocka tests. Include after <cmocka.h>. */
#ifndef FLYT_TEST_SUPPORT_H
#define FLYT_TEST_SUPPORT_H

/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, tol) \
    assert_true(flyt_test_near((a), (b), (tol), #a, #b, __FILE__, __LINE__))

int flyt_test_near(double a, double b, double tol, const char *sa, const char *sb, const char *file,
                   int line);

/* Student-t 95 % half-width of the mean of x[0..n-1]; *mean gets the mean. */
double flyt_test_ci95(const double *x, int n, double *mean);

#endif
