/* Helpers shared by the cmocka tests. Include after <cmocka.h>. */
#ifndef FLYT_TEST_SUPPORT_H
#define FLYT_TEST_SUPPORT_H

/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, tol) \
    assert_true(flyt_test_near((a), (b), (tol), #a, #b, __FILE__, __LINE__))

int flyt_test_near(double a, double b, double tol, const char *sa, const char *sb, const char *file,
                   int line);

struct flyt_scenario;

/* Loads a scenario (path NULL: the embedded default), printing the
 * diagnostics and failing the test when it does not load. */
struct flyt_scenario *flyt_test_load(const char *path, const char *const *sets, int n_sets);

/* Student-t half-width at the given two-sided level (0.95, 0.99) of the
 * mean of x[0..n-1]; *mean gets the mean. */
double flyt_test_t_half(const double *x, int n, double level, double *mean);

/* Student-t 95 % half-width of the mean of x[0..n-1]; *mean gets the mean. */
double flyt_test_ci95(const double *x, int n, double *mean);

#endif
