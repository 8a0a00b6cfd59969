#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/experiment.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    return flyt_test_t_half(x, n, 0.95, mean);
}

double flyt_test_t_half(const double *x, int n, double level, double *mean)
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
    return gsl_cdf_tdist_Pinv(0.5 + 0.5 * level, n - 1) * sqrt(ss / (n - 1) / n);
}

struct flyt_scenario *flyt_test_load(const char *path, const char *const *sets, int n_sets)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(path, sets, n_sets, &d);
    if (!s) {
        fprintf(stderr, "%s\n", d.text ? d.text : "(no message)");
        abort(); /* the test cannot go on without its scenario */
    }
    flyt_diag_free(&d);
    return s;
}

struct flyt_result *flyt_test_run_reps(const struct flyt_scenario *s, unsigned n, unsigned threads)
{
    struct flyt_result *res = calloc(n, sizeof *res);
    assert_non_null(res);
    int rc = flyt_experiment_run(s, n, threads, res, NULL, NULL);
    for (unsigned i = 0; i < n; i++)
        if (res[i].status != FLYT_RUN_OK)
            fprintf(stderr, "%s: replication %u: %s\n", s->name, i, res[i].status_detail);
    assert_int_equal(rc, 0);
    return res;
}

void flyt_test_free_results(struct flyt_result *res, unsigned n)
{
    for (unsigned i = 0; res && i < n; i++)
        flyt_result_free(&res[i]);
    free(res);
}

int flyt_test_unit_of(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return u;
    fail_msg("%s has no unit %s", s->name, id);
    return -1;
}

double flyt_test_route_p(const struct flyt_routes *r, int g, int to)
{
    double p = 0;
    for (int j = 0; j < r->n; j++)
        if (r->to[j] == to)
            p += flyt_routes_row(r, g)[j];
    return p;
}

struct flyt_scenario *flyt_test_load_text(const char *text, const char *name)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, name, NULL, NULL, 0, &d);
    if (!s)
        fprintf(stderr, "%s\n--- the scenario:\n%s\n", d.text ? d.text : "(no message)", text);
    flyt_diag_free(&d);
    assert_non_null(s);
    return s;
}
