/* Networks of units against their exact stationary distributions: two bed
 * units in tandem with blocking after service, and a loop with a return
 * route to hospital. Each is a continuous-time Markov chain small enough to
 * solve directly: the chain's states are enumerated, the generator Q is
 * built from the model's rules (written here from the scenario's
 * description, not from flyt's code), and pi Q = 0 with sum(pi) = 1 is
 * solved with GSL's LU decomposition. flyt's time-averaged censuses and
 * mean waits must contain the exact values in their 99 % intervals across
 * replications. The queue before the first unit is unbounded and cut at a
 * length whose probability is checked to be negligible. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/experiment.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_linalg.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_vector.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENARIOS  FLYT_SOURCE_DIR "/scenarios/validation/"
#define MAX_STATES 4096
#define MAX_REP    64

/* ---- a small dense CTMC ---- */

/* A state is up to four small counters; the chain maps them to indices. */
struct state {
    int v[4];
};

struct ctmc {
    int n;
    struct state s[MAX_STATES];
    gsl_matrix *q; /* generator, q[i][j] = rate i -> j, rows sum to 0 */
};

static int find(const struct ctmc *c, struct state x)
{
    for (int i = 0; i < c->n; i++)
        if (memcmp(c->s[i].v, x.v, sizeof x.v) == 0)
            return i;
    return -1;
}

static void add_rate(struct ctmc *c, int from, struct state to, double rate)
{
    if (rate <= 0)
        return;
    int j = find(c, to);
    if (j < 0)
        fail_msg("transition to a state outside the chain (%d %d %d %d)", to.v[0], to.v[1], to.v[2],
                 to.v[3]);
    gsl_matrix_set(c->q, (size_t)from, (size_t)j,
                   gsl_matrix_get(c->q, (size_t)from, (size_t)j) + rate);
    gsl_matrix_set(c->q, (size_t)from, (size_t)from,
                   gsl_matrix_get(c->q, (size_t)from, (size_t)from) - rate);
}

/* pi Q = 0, sum pi = 1: Q's transpose with its last row replaced by ones. */
static double *stationary(const struct ctmc *c)
{
    size_t n = (size_t)c->n;
    gsl_matrix *a = gsl_matrix_alloc(n, n);
    gsl_vector *b = gsl_vector_calloc(n), *x = gsl_vector_alloc(n);
    gsl_permutation *p = gsl_permutation_alloc(n);
    assert_true(a && b && x && p);
    gsl_matrix_transpose_memcpy(a, c->q);
    for (size_t j = 0; j < n; j++)
        gsl_matrix_set(a, n - 1, j, 1.0);
    gsl_vector_set(b, n - 1, 1.0);
    int sign;
    assert_int_equal(gsl_linalg_LU_decomp(a, p, &sign), 0);
    assert_int_equal(gsl_linalg_LU_solve(a, p, b, x), 0);
    double *pi = malloc(n * sizeof *pi);
    assert_non_null(pi);
    for (size_t i = 0; i < n; i++) {
        pi[i] = gsl_vector_get(x, i);
        assert_true(pi[i] > -1e-12);
    }
    gsl_matrix_free(a);
    gsl_vector_free(b);
    gsl_vector_free(x);
    gsl_permutation_free(p);
    return pi;
}

static struct state st(int a, int b, int c, int d)
{
    struct state s = { { a, b, c, d } };
    return s;
}

/* ---- flyt's side ---- */

static struct flyt_result *run(struct flyt_scenario *s, unsigned n)
{
    struct flyt_result *res = calloc(n, sizeof *res);
    assert_non_null(res);
    assert_int_equal(flyt_experiment_run(s, n, 0, res, NULL, NULL), 0);
    return res;
}

static bool within_x(const char *what, const double *x, unsigned n, double exact)
{
    double mean, half = flyt_test_t_half(x, (int)n, 0.99, &mean);
    /* the interval must also be narrow enough for the check to mean something */
    bool ok = fabs(mean - exact) <= half && half < 0.1 * fabs(exact) + 1e-9;
    printf("  %-24s flyt %.5f, 99%% CI [%.5f, %.5f], exact %.5f  %s\n", what, mean, mean - half,
           mean + half, exact, ok ? "ok" : "OUTSIDE (or too wide)");
    return ok;
}

static bool within(const char *what, const struct flyt_result *res, unsigned n, int kpi,
                   double exact)
{
    double x[MAX_REP];
    for (unsigned i = 0; i < n; i++)
        x[i] = res[i].kpi[kpi];
    return within_x(what, x, n, exact);
}

/* The same for unit u's KPI k. */
static bool within_unit(const char *what, const struct flyt_result *res, unsigned n, int u, int k,
                        double exact)
{
    double x[MAX_REP];
    for (unsigned i = 0; i < n; i++)
        x[i] = flyt_result_unit_kpi(&res[i], (unsigned)u)[k];
    return within_x(what, x, n, exact);
}

/* ---- tandem with blocking after service ----
 * State (q, a, b, n): q ready patients waiting in hospital for a short-term
 * bed, a short-term stays running, b short-term patients whose stay is over
 * and who hold their bed waiting for a nursing-home bed, n nursing-home
 * residents. q > 0 only when the short-term beds are all held (a + b = c1),
 * b > 0 only when the nursing home is full (n = c2). */

struct tandem {
    double lambda, mu1, p, mu2;
    int c1, c2, qmax;
};

static void tandem_states(struct ctmc *c, const struct tandem *t)
{
    c->n = 0;
    for (int q = 0; q <= t->qmax; q++)
        for (int a = 0; a <= t->c1; a++)
            for (int b = 0; a + b <= t->c1; b++)
                for (int n = 0; n <= t->c2; n++) {
                    if ((q > 0 && a + b < t->c1) || (b > 0 && n < t->c2))
                        continue;
                    assert_true(c->n < MAX_STATES);
                    c->s[c->n++] = st(q, a, b, n);
                }
}

/* A short-term bed frees: the longest-waiting hospital patient takes it. */
static struct state st_bed_freed(struct state x)
{
    if (x.v[0] > 0) {
        x.v[0]--;
        x.v[1]++;
    }
    return x;
}

static void tandem_rates(struct ctmc *c, const struct tandem *t)
{
    for (int i = 0; i < c->n; i++) {
        struct state x = c->s[i];
        int q = x.v[0], a = x.v[1], b = x.v[2], n = x.v[3];
        if (a + b < t->c1)
            add_rate(c, i, st(q, a + 1, b, n), t->lambda);
        else if (q < t->qmax)
            add_rate(c, i, st(q + 1, a, b, n), t->lambda);
        /* a stay ends and the patient goes home */
        add_rate(c, i, st_bed_freed(st(q, a - 1, b, n)), a * t->mu1 * (1 - t->p));
        /* a stay ends and the patient needs a nursing-home bed */
        if (n < t->c2)
            add_rate(c, i, st_bed_freed(st(q, a - 1, b, n + 1)), a * t->mu1 * t->p);
        else
            add_rate(c, i, st(q, a - 1, b + 1, n), a * t->mu1 * t->p);
        /* a nursing-home stay ends; a blocked patient moves in */
        if (b > 0)
            add_rate(c, i, st_bed_freed(st(q, a, b - 1, n)), n * t->mu2);
        else
            add_rate(c, i, st(q, a, b, n - 1), n * t->mu2);
    }
}

static void tandem_with_blocking_matches_its_markov_chain(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load(SCENARIOS "tandem-blocking.cfg", NULL, 0);
    /* the chain's rates, read back from the scenario so that the two agree */
    int stu = flyt_test_unit_of(s, "short_term"), nhu = flyt_test_unit_of(s, "nursing_home");
    const struct flyt_unit *u1 = &s->units[stu], *u2 = &s->units[nhu];
    assert_true(s->groups[0].hosp_los.kind == FLYT_DIST_FIXED);
    assert_true(u1->los[0].kind == FLYT_DIST_EXPONENTIAL);
    assert_true(u2->los[0].kind == FLYT_DIST_EXPONENTIAL);
    assert_true(flyt_test_route_p(&u1->outcome, 0, nhu) +
                        flyt_test_route_p(&u1->outcome, 0, FLYT_ROUTE_HOME) ==
                1.0);
    assert_true(flyt_test_route_p(&u2->outcome, 0, FLYT_ROUTE_DEATH) == 1.0);
    struct tandem t = { s->admissions_per_day,
                        1.0 / u1->los[0].mean,
                        flyt_test_route_p(&u1->outcome, 0, nhu),
                        1.0 / u2->los[0].mean,
                        (int)u1->capacity,
                        (int)u2->capacity,
                        120 };
    struct ctmc *c = calloc(1, sizeof *c);
    assert_non_null(c);
    tandem_states(c, &t);
    c->q = gsl_matrix_calloc((size_t)c->n, (size_t)c->n);
    tandem_rates(c, &t);
    double *pi = stationary(c);
    double eq = 0, ea = 0, eb = 0, en = 0, edge = 0;
    for (int i = 0; i < c->n; i++) {
        eq += pi[i] * c->s[i].v[0];
        ea += pi[i] * c->s[i].v[1];
        eb += pi[i] * c->s[i].v[2];
        en += pi[i] * c->s[i].v[3];
        if (c->s[i].v[0] == t.qmax)
            edge += pi[i];
    }
    printf("tandem: %d states, P(queue at the cut) %.2g, blocked %.4f of %d beds\n", c->n, edge, eb,
           t.c1);
    assert_true(edge < 1e-9);
    assert_true(eb > 0.05); /* blocking matters in this scenario */
    unsigned nrep = s->replications;
    assert_true(nrep <= MAX_REP);
    struct flyt_result *res = run(s, nrep);
    bool ok = within("occ_ukp", res, nrep, FLYT_KPI_occ_ukp, eq);
    ok &= within("ukp_wait_mean (Little)", res, nrep, FLYT_KPI_ukp_wait_mean, eq / t.lambda);
    ok &= within_unit("short_term occupancy", res, nrep, stu, FLYT_UNIT_KPI_occupancy, ea + eb);
    ok &= within_unit("short_term los_mean (Little)", res, nrep, stu, FLYT_UNIT_KPI_los_mean,
                      (ea + eb) / t.lambda);
    ok &= within_unit("short_term blocked_days", res, nrep, stu, FLYT_UNIT_KPI_blocked_days,
                      eb * (s->horizon_days - s->warmup_days));
    ok &= within_unit("nursing_home occupancy", res, nrep, nhu, FLYT_UNIT_KPI_occupancy, en);
    ok &= within_unit("nursing_home wait_mean (Little)", res, nrep, nhu, FLYT_UNIT_KPI_wait_mean,
                      eb / (t.lambda * t.p));
    flyt_test_free_results(res, nrep);
    free(pi);
    gsl_matrix_free(c->q);
    free(c);
    flyt_scenario_free(s);
    assert_true(ok);
}

/* ---- a loop with a return route ----
 * State (h, q, a): h patients in hospital treatment (no bed limit), q ready
 * patients waiting for a short-term bed, a short-term stays running. A
 * stay ends with a return to hospital (probability r) or home. */

struct loop {
    double lambda, mu_h, mu, r;
    int c, hmax, qmax;
};

static void loop_states(struct ctmc *c, const struct loop *l)
{
    c->n = 0;
    for (int h = 0; h <= l->hmax; h++)
        for (int q = 0; q <= l->qmax; q++)
            for (int a = 0; a <= l->c; a++) {
                if (q > 0 && a < l->c)
                    continue;
                assert_true(c->n < MAX_STATES);
                c->s[c->n++] = st(h, q, a, 0);
            }
}

static void loop_rates(struct ctmc *c, const struct loop *l)
{
    for (int i = 0; i < c->n; i++) {
        int h = c->s[i].v[0], q = c->s[i].v[1], a = c->s[i].v[2];
        if (h < l->hmax)
            add_rate(c, i, st(h + 1, q, a, 0), l->lambda);
        /* treatment ends: ready, into a free bed or the queue */
        if (a < l->c)
            add_rate(c, i, st(h - 1, q, a + 1, 0), h * l->mu_h);
        else if (q < l->qmax)
            add_rate(c, i, st(h - 1, q + 1, a, 0), h * l->mu_h);
        /* a stay ends, home or back to hospital; the bed goes to the queue */
        int back = h < l->hmax;
        struct state home = q > 0 ? st(h, q - 1, a, 0) : st(h, q, a - 1, 0);
        add_rate(c, i, home, a * l->mu * (1 - l->r));
        if (back) {
            struct state ret = q > 0 ? st(h + 1, q - 1, a, 0) : st(h + 1, q, a - 1, 0);
            add_rate(c, i, ret, a * l->mu * l->r);
        }
    }
}

static void loop_with_return_matches_its_markov_chain(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load(SCENARIOS "loop-return.cfg", NULL, 0);
    int stu = flyt_test_unit_of(s, "short_term");
    const struct flyt_unit *u1 = &s->units[stu];
    assert_true(s->groups[0].hosp_los.kind == FLYT_DIST_EXPONENTIAL);
    assert_true(u1->los[0].kind == FLYT_DIST_EXPONENTIAL);
    assert_true(flyt_test_route_p(&u1->outcome, 0, s->hospital) +
                        flyt_test_route_p(&u1->outcome, 0, FLYT_ROUTE_HOME) ==
                1.0);
    struct loop l = { s->admissions_per_day,
                      1.0 / s->groups[0].hosp_los.mean,
                      1.0 / u1->los[0].mean,
                      flyt_test_route_p(&u1->outcome, 0, s->hospital),
                      (int)u1->capacity,
                      22,
                      70 };
    struct ctmc *c = calloc(1, sizeof *c);
    assert_non_null(c);
    loop_states(c, &l);
    c->q = gsl_matrix_calloc((size_t)c->n, (size_t)c->n);
    loop_rates(c, &l);
    double *pi = stationary(c);
    double eh = 0, eq = 0, ea = 0, edge = 0;
    for (int i = 0; i < c->n; i++) {
        eh += pi[i] * c->s[i].v[0];
        eq += pi[i] * c->s[i].v[1];
        ea += pi[i] * c->s[i].v[2];
        if (c->s[i].v[0] == l.hmax || c->s[i].v[1] == l.qmax)
            edge += pi[i];
    }
    double through = l.lambda / (1 - l.r); /* treatments (and stays) per day */
    printf("loop: %d states, P(at a cut) %.2g\n", c->n, edge);
    assert_true(edge < 1e-9);
    unsigned nrep = s->replications;
    assert_true(nrep <= MAX_REP);
    struct flyt_result *res = run(s, nrep);
    bool ok = within("occ_hospital_treatment", res, nrep, FLYT_KPI_occ_hospital_treatment, eh);
    ok &= within("occ_ukp", res, nrep, FLYT_KPI_occ_ukp, eq);
    ok &= within("ukp_wait_mean (Little)", res, nrep, FLYT_KPI_ukp_wait_mean, eq / through);
    ok &= within_unit("short_term occupancy", res, nrep, stu, FLYT_UNIT_KPI_occupancy, ea);
    /* the hospital unit's census is everyone there, in treatment or ready */
    ok &= within_unit("hospital occupancy", res, nrep, s->hospital, FLYT_UNIT_KPI_occupancy,
                      eh + eq);
    flyt_test_free_results(res, nrep);
    free(pi);
    gsl_matrix_free(c->q);
    free(c);
    flyt_scenario_free(s);
    assert_true(ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tandem_with_blocking_matches_its_markov_chain),
        cmocka_unit_test(loop_with_return_matches_its_markov_chain),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
