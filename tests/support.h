/* Helpers shared by the cmocka tests. Include after <cmocka.h>. */
#ifndef FLYT_TEST_SUPPORT_H
#define FLYT_TEST_SUPPORT_H

/* cmocka 1.1.5 has no assert_double_equal. */
#define assert_near(a, b, tol) \
    assert_true(flyt_test_near((a), (b), (tol), #a, #b, __FILE__, __LINE__))

int flyt_test_near(double a, double b, double tol, const char *sa, const char *sb, const char *file,
                   int line);

struct flyt_scenario;
struct flyt_result;
struct flyt_routes;

/* Loads a scenario (path NULL: the embedded default), printing the
 * diagnostics and failing the test when it does not load. */
struct flyt_scenario *flyt_test_load(const char *path, const char *const *sets, int n_sets);

/* Loads a scenario from text (name in messages), printing the diagnostics
 * and the text and failing the test when it does not load. */
struct flyt_scenario *flyt_test_load_text(const char *text, const char *name);

/* Student-t half-width at the given two-sided level (0.95, 0.99) of the
 * mean of x[0..n-1]; *mean gets the mean. */
double flyt_test_t_half(const double *x, int n, double level, double *mean);

/* Student-t 95 % half-width of the mean of x[0..n-1]; *mean gets the mean. */
double flyt_test_ci95(const double *x, int n, double *mean);

/* n replications of s on threads threads; a replication that stopped early
 * is printed with its reason and fails the test. */
struct flyt_result *flyt_test_run_reps(const struct flyt_scenario *s, unsigned n, unsigned threads);
void flyt_test_free_results(struct flyt_result *res, unsigned n);

/* The index of the unit with this id; the test fails without it. */
int flyt_test_unit_of(const struct flyt_scenario *s, const char *id);

/* Group g's share of the routes in r that lead to `to`. */
double flyt_test_route_p(const struct flyt_routes *r, int g, int to);

#endif
