/*
 * Statistical validation of the model against queueing theory, through
 * scenario files: the files in scenarios/validation, the Trondheim baseline and
 * the benchmark model PF1.
 *
 * Every tolerance is a confidence interval over independent replications
 * (Student t, 99 % unless said otherwise): the replications of one scenario
 * use streams keyed by (seed, replication), so they are independent, and the
 * fixed seeds in the files keep the test deterministic. Each check also
 * asserts that its interval is narrow (relative half-width bound), so that
 * "the theory lies inside the interval" is a statement with power.
 *
 * The oracles:
 *   M/M/c     short-term beds fed by a Poisson stream: Erlang C for the mean
 *             queueing time, P(wait) and Lq; lambda/mu busy beds;
 *   M/G/inf   hospital census: Poisson with mean lambda E[LOS]; with a
 *             seasonal rate, the exact integral of lambda(s) P(LOS > t - s);
 *   Little    L = lambda W for the UKP queue on every sample path: the
 *             census integral against the waits, open ones included
 *             (see below);
 *   counting  patients in = patients out + patients left, exactly;
 *   PF1       the event count and short-term stay that BENCHMARK-PF1.md
 *             describes;
 *   CRN       results independent of thread count and repeat runs; a
 *             capacity change leaves the arrivals untouched.
 */
#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/result.h"
#include "flyt/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCENARIOS FLYT_SOURCE_DIR "/scenarios/"
#define THREADS   2
#define MAX_REP   64

/* ---- scenario runs, made on first use and shared between the tests ---- */

struct run {
    const char *file;
    const char *sets[3];
    int n_sets;
    unsigned n_rep; /* 0: the file's run.replications */
    struct flyt_scenario *s;
    struct flyt_result *res;
    unsigned n;
};

enum {
    RUN_MMC070,
    RUN_MMC095,
    RUN_MGINF,
    RUN_MGINF_SEASONAL,
    RUN_BASELINE,
    RUN_PF1,
    RUN_PF1_SHORT,
    N_RUNS
};

static struct run runs[N_RUNS] = {
    [RUN_MMC070] = { .file = "validation/mmc-rho070.cfg" },
    [RUN_MMC095] = { .file = "validation/mmc-rho095.cfg" },
    [RUN_MGINF] = { .file = "validation/mginf.cfg" },
    [RUN_MGINF_SEASONAL] = { .file = "validation/mginf-seasonal.cfg" },
    /* the baseline as shipped: 120 days of warm-up, one measured year */
    [RUN_BASELINE] = { .file = "trondheim-baseline.cfg" },
    /* PF1 at its defaults (20 years, 5 warm-up, seed 1, K = 1), over
     * several replications (independent seeds) */
    [RUN_PF1] = { .file = "bench/pf1.cfg", .n_rep = 10 },
    [RUN_PF1_SHORT] = { .file = "bench/pf1.cfg",
                        .sets = { "run.horizon_days=3650", "run.warmup_days=1000" },
                        .n_sets = 2,
                        .n_rep = 6 },
};

static struct flyt_scenario *load(const char *file, const char *const *sets, int n_sets)
{
    char path[1024];
    snprintf(path, sizeof path, "%s%s", SCENARIOS, file);
    return flyt_test_load(path, sets, n_sets);
}

static const struct run *get_run(int k)
{
    struct run *r = &runs[k];
    if (!r->res) {
        if (!r->s)
            r->s = load(r->file, r->sets, r->n_sets);
        unsigned n = r->n_rep ? r->n_rep : r->s->replications;
        assert_true(n >= 2 && n <= MAX_REP);
        r->res = flyt_test_run_reps(r->s, n, THREADS);
        r->n = n;
    }
    return r;
}

static int free_runs(void **state)
{
    (void)state;
    for (int k = 0; k < N_RUNS; k++) {
        flyt_test_free_results(runs[k].res, runs[k].n);
        flyt_scenario_free(runs[k].s);
        runs[k].res = NULL;
        runs[k].s = NULL;
    }
    return 0;
}

/* ---- intervals ---- */

static void kpi_values(const struct run *r, int k, double *x)
{
    for (unsigned i = 0; i < r->n; i++)
        x[i] = r->res[i].kpi[k];
}

static void unit_kpi_values(const struct run *r, int u, int k, double *x)
{
    for (unsigned i = 0; i < r->n; i++)
        x[i] = flyt_result_unit_kpi(&r->res[i], (unsigned)u)[k];
}

/* Two-sided Student-t interval at the given level for the mean of x. */
static double t_half(const double *x, unsigned n, double level, double *mean)
{
    return flyt_test_t_half(x, (int)n, level, mean);
}

/* Prints the comparison and returns whether target lies in the interval.
 * scale > 0 also requires the half-width to be below max_rel * scale (the
 * interval must be narrow enough for the check to mean something). */
static bool in_ci(const char *what, const double *x, unsigned n, double level, double target,
                  double scale, double max_rel)
{
    double mean, half = t_half(x, n, level, &mean);
    bool inside = fabs(mean - target) <= half;
    printf("  %-44s %11.5f  %2.0f%% CI [%.5f, %.5f]  theory %.5f  %s", what, mean, 100 * level,
           mean - half, mean + half, target, inside ? "ok" : "OUTSIDE");
    if (scale > 0)
        printf("  (half-width %.2f%% of %.4g)", 100 * half / scale, scale);
    printf("\n");
    if (scale > 0 && !(half < max_rel * scale)) {
        printf("    the interval is too wide for a meaningful check\n");
        return false;
    }
    return inside;
}

/* ---- Erlang C ---- */

/* Probability that an arrival waits in M/M/c with offered load a = lambda/mu
 * (a < c), through the stable Erlang B recursion B(k) = a B(k-1) / (k + a
 * B(k-1)) and C = c B / (c - a (1 - B)). */
static double erlang_c(int c, double a)
{
    double b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b));
}

/* Mean queueing time Wq = C / (c mu - lambda). */
static double erlang_wq(int c, double lambda, double mu)
{
    return erlang_c(c, lambda / mu) / (c * mu - lambda);
}

/* BENCHMARK-PF1.md gives the values to 5 decimals: they must agree to half a
 * unit in the last place. */
static void erlang_c_reproduces_the_benchmark_values(void **state)
{
    (void)state;
    assert_near(erlang_wq(10, 9.0, 1.0), 0.66873, 0.5e-5);
    assert_near(erlang_c(10, 9.0), 0.66873, 0.5e-5);
    assert_near(erlang_wq(40, 36.0, 1.0), 0.10289, 0.5e-5);
    assert_near(erlang_c(40, 36.0), 0.41156, 0.5e-5);
    /* one server: C = rho, Wq = rho / (mu - lambda) */
    assert_near(erlang_c(1, 0.5), 0.5, 1e-15);
    assert_near(erlang_wq(1, 0.5, 1.0), 1.0, 1e-15);
}

/* ---- M/M/c through the short-term beds ---- */

/* The file must still describe the M/M/c model the oracle is for. */
static void assert_mmc_shape(const struct flyt_scenario *s)
{
    const struct flyt_group *g = &s->groups[0];
    int st = flyt_test_unit_of(s, "short_term");
    const struct flyt_unit *u = &s->units[st];
    assert_int_equal(s->n_groups, 1);
    for (int i = 0; i < 12; i++)
        assert_true(s->month_factor[i] == 1.0);
    for (int i = 0; i < 7; i++)
        assert_true(s->weekday_factor[i] == 1.0);
    assert_true(s->growth_per_year == 0.0 && s->n_growth_by_year == 0);
    assert_true(s->complex_share == 0.0);
    assert_int_equal(g->hosp_los.kind, FLYT_DIST_FIXED);
    assert_true(g->p_ukp == 1.0 && g->p_death_hosp == 0.0);
    assert_int_equal(s->decision_delay.kind, FLYT_DIST_FIXED);
    assert_true(s->decision_delay.mean == 0.0 && !s->working_days_only);
    assert_true(!u->weekdays_only && u->kind == FLYT_UNIT_BEDS && u->schedule.n_changes == 0 &&
                u->schedule.n_recurring == 0);
    assert_true(flyt_test_route_p(&s->destination, 0, st) == 1.0);
    assert_int_equal(u->los[0].kind, FLYT_DIST_EXPONENTIAL);
    assert_true(flyt_test_route_p(&u->outcome, 0, FLYT_ROUTE_HOME) == 1.0);
    assert_true(u->initial_occupancy == 0.0);
}

static void check_mmc(int which)
{
    const struct run *r = get_run(which);
    const struct flyt_scenario *s = r->s;
    assert_mmc_shape(s);
    int st = flyt_test_unit_of(s, "short_term");
    double lambda = s->admissions_per_day;
    double mu = 1.0 / flyt_dist_mean(&s->units[st].los[0]);
    int c = (int)s->units[st].capacity;
    double rho = lambda / (c * mu);
    double pw = erlang_c(c, lambda / mu);
    double wq = erlang_wq(c, lambda, mu);
    printf("%s: M/M/%d, lambda %g, mu %g, rho %.3f, %u replications of %g days\n", s->name, c,
           lambda, mu, rho, r->n, s->horizon_days - s->warmup_days);

    double x[MAX_REP];
    bool ok = true;
    /* Wq: the UKP wait is the queueing time, since the decision takes no
     * time and everyone goes to a short-term bed */
    kpi_values(r, FLYT_KPI_ukp_wait_mean, x);
    ok &= in_ci("mean UKP wait = Erlang-C Wq (days)", x, r->n, 0.99, wq, wq, 0.10);
    /* the unit's own wait, application to admission, is the same wait */
    unit_kpi_values(r, st, FLYT_UNIT_KPI_wait_mean, x);
    ok &= in_ci("short-term wait_mean = Erlang-C Wq (days)", x, r->n, 0.99, wq, wq, 0.10);
    /* Lq = lambda Wq, the time-average number waiting */
    kpi_values(r, FLYT_KPI_occ_ukp, x);
    ok &= in_ci("mean number waiting = Lq", x, r->n, 0.99, lambda * wq, lambda * wq, 0.10);
    /* P(wait) = P(all c beds busy) at a random time (PASTA); the 00:00
     * samples of the short-term series are such times */
    for (unsigned i = 0; i < r->n; i++) {
        const struct flyt_result *q = &r->res[i];
        size_t busy = 0;
        for (size_t d = 0; d < q->n_days; d++)
            busy += flyt_result_unit_series(q, (unsigned)st, FLYT_USERIES_census)[d] >= c;
        x[i] = (double)busy / (double)q->n_days;
    }
    ok &= in_ci("P(all beds busy at 00:00) = P(wait)", x, r->n, 0.99, pw, pw, 0.10);
    /* busy beds: Little's law for the servers, L = lambda / mu */
    unit_kpi_values(r, st, FLYT_UNIT_KPI_occupancy, x);
    ok &= in_ci("mean occupied beds = lambda / mu", x, r->n, 0.99, lambda / mu, lambda / mu, 0.02);
    unit_kpi_values(r, st, FLYT_UNIT_KPI_los_mean, x);
    ok &= in_ci("mean short-term stay = 1 / mu", x, r->n, 0.99, 1.0 / mu, 1.0 / mu, 0.02);
    assert_true(ok);
}

static void mmc_at_rho_070_matches_erlang_c(void **state)
{
    (void)state;
    check_mmc(RUN_MMC070);
}

static void mmc_at_rho_095_matches_erlang_c(void **state)
{
    (void)state;
    check_mmc(RUN_MMC095);
}

/* ---- M/G/infinity: the hospital census ---- */

/* Lognormal with mean m and sd v, through the parameters of the underlying
 * normal: partial moments E[L^k 1{L < x}] = exp(k mu + k^2 s^2 / 2)
 * Phi((ln x - mu - k s^2) / s). */
struct lognormal {
    double mu, s;
};

static struct lognormal lognormal_of(double mean, double sd)
{
    double s2 = log1p((sd / mean) * (sd / mean));
    return (struct lognormal){ log(mean) - 0.5 * s2, sqrt(s2) };
}

static double partial_moment(struct lognormal l, int k, double x)
{
    return exp(k * l.mu + 0.5 * k * k * l.s * l.s) *
           gsl_cdf_ugaussian_P((log(x) - l.mu - k * l.s * l.s) / l.s);
}

/* H(x) = integral over [0, x] of E[min(L, y)] dy
 *      = E[x L - L^2 / 2; L < x] + x^2 / 2 P(L >= x).
 * A patient arriving at s stays in [s, s + L), so the time it spends in a
 * window [a, b) is min(L, b - s) - min(L, a - s)+; integrating over s within
 * an arrival day gives differences of H. */
static double big_h(struct lognormal l, double x)
{
    if (x <= 0)
        return 0.0;
    return x * partial_moment(l, 1, x) - 0.5 * partial_moment(l, 2, x) +
           0.5 * x * x * gsl_cdf_ugaussian_Q((log(x) - l.mu) / l.s);
}

static int month_days(int y, int m)
{
    static const int md[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    return md[m] + (m == 1 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0));
}

/* Day of the week, Monday = 0 (Sakamoto's method). */
static int weekday_of(int y, int m, int d)
{
    static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
    if (m < 3)
        y -= 1;
    int sunday0 = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
    return (sunday0 + 6) % 7;
}

/* Arrival rate of each day from the calendar: base x month x weekday. */
static double *day_rates(const struct flyt_scenario *s, size_t n_days)
{
    double *rate = malloc(n_days * sizeof *rate);
    assert_non_null(rate);
    int y = s->start_year, m = s->start_month - 1, md = s->start_mday;
    int wd = weekday_of(s->start_year, s->start_month, s->start_mday);
    assert_int_equal(wd, s->start_weekday);
    for (size_t d = 0; d < n_days; d++) {
        rate[d] = s->admissions_per_day * s->month_factor[m] * s->weekday_factor[wd];
        wd = (wd + 1) % 7;
        if (++md > month_days(y, m)) {
            md = 1;
            if (++m == 12) {
                m = 0;
                y++;
            }
        }
    }
    return rate;
}

/* Expected time-average census over [a, b) for a system that starts empty
 * at 0, with a piecewise-constant (per day) Poisson arrival rate: the sum
 * over arrival days d of rate_d times the integral over s in [d, d+1) of
 * the time spent in the window. Exact up to rounding. */
static double expected_census(const double *rate, double a, double b, struct lognormal l)
{
    double area = 0;
    for (size_t d = 0; (double)d < b; d++) {
        double in_b = big_h(l, b - (double)d) - big_h(l, b - (double)d - 1);
        double in_a = big_h(l, a - (double)d) - big_h(l, a - (double)d - 1);
        area += rate[d] * (in_b - in_a);
    }
    return area / (b - a);
}

static void assert_mginf_shape(const struct flyt_scenario *s)
{
    assert_int_equal(s->n_groups, 1);
    assert_true(s->groups[0].p_ukp == 0.0);
    assert_true(s->growth_per_year == 0.0 && s->n_growth_by_year == 0);
    assert_int_equal(s->groups[0].hosp_los.kind, FLYT_DIST_LOGNORMAL);
}

static void hospital_census_is_m_g_infinity(void **state)
{
    (void)state;
    const struct run *r = get_run(RUN_MGINF);
    const struct flyt_scenario *s = r->s;
    assert_mginf_shape(s);
    for (int i = 0; i < 12; i++)
        assert_true(s->month_factor[i] == 1.0);
    for (int i = 0; i < 7; i++)
        assert_true(s->weekday_factor[i] == 1.0);
    double lambda = s->admissions_per_day;
    double los = flyt_dist_mean(&s->groups[0].hosp_los);
    double census = lambda * los;
    printf("%s: lambda %g, lognormal LOS mean %g sd %g, %u replications of %g days\n", s->name,
           lambda, los, s->groups[0].hosp_los.sd, r->n, s->horizon_days - s->warmup_days);

    double x[MAX_REP];
    bool ok = true;
    kpi_values(r, FLYT_KPI_occ_hospital_treatment, x);
    ok &= in_ci("mean census = lambda E[LOS]", x, r->n, 0.99, census, census, 0.01);
    /* The census is Poisson, so its variance equals its mean: the mean
     * square deviation of the 00:00 samples from the known mean estimates
     * the variance without bias. */
    for (unsigned i = 0; i < r->n; i++) {
        const struct flyt_result *q = &r->res[i];
        double ss = 0;
        for (size_t d = 0; d < q->n_days; d++) {
            double dev = q->series[FLYT_SERIES_hospital_treatment][d] - census;
            ss += dev * dev;
        }
        x[i] = ss / (double)q->n_days;
    }
    ok &= in_ci("census variance = mean (Poisson)", x, r->n, 0.99, census, census, 0.05);
    assert_true(ok);
}

static void seasonal_census_follows_the_calendar(void **state)
{
    (void)state;
    const struct run *r = get_run(RUN_MGINF_SEASONAL);
    const struct flyt_scenario *s = r->s;
    assert_mginf_shape(s);
    const struct flyt_dist *los = &s->groups[0].hosp_los;
    struct lognormal l = lognormal_of(los->mean, los->sd);
    double a = s->warmup_days, b = s->horizon_days, w = b - a;
    size_t n_days = (size_t)ceil(b);
    double *rate = day_rates(s, n_days);
    double expected = expected_census(rate, a, b, l);
    double arrivals = 0; /* expected arrivals in the window */
    for (size_t d = (size_t)a; d < n_days; d++)
        arrivals += rate[d];
    free(rate);
    printf("%s: %u replications of %g days; mean rate in the window %.4f/day\n", s->name, r->n, w,
           arrivals / w);

    double x[MAX_REP];
    bool ok = true;
    kpi_values(r, FLYT_KPI_arrivals, x);
    ok &= in_ci("arrivals in the window = sum of day rates", x, r->n, 0.99, arrivals, arrivals,
                0.01);
    kpi_values(r, FLYT_KPI_occ_hospital_treatment, x);
    ok &= in_ci("mean census = exact integral over the calendar", x, r->n, 0.99, expected, expected,
                0.01);
    /* Simpler: (arrivals / window days) x E[LOS], replication by replication.
     * This leaves out an edge term (rate at the start - rate at the end) x
     * E[LOS^2] / 2 / w, which is tiny here because the window is three whole
     * years (January at both ends, 0.05 x 40 x 49 / 1095 = 0.09 patients). */
    for (unsigned i = 0; i < r->n; i++)
        x[i] = r->res[i].kpi[FLYT_KPI_occ_hospital_treatment] -
               r->res[i].kpi[FLYT_KPI_arrivals] / w * los->mean;
    ok &= in_ci("census - (arrivals / days) E[LOS]", x, r->n, 0.99, 0.0, expected, 0.01);
    assert_true(ok);
}

/* ---- Little's law on the UKP queue ---- */

/* Over a window [a, T) the area under the number waiting, L w, and the
 * summed waits of the patients ready in the window and done before T
 * differ by two edge terms, each >= 0 on every sample path:
 *   E_start = waiting done in the window by patients ready before a,
 *   E_end   = waiting done by T by patients still waiting at T.
 * When a wait is open at T, ukp_wait_mean is Little's L / lambda itself
 * (docs/kpis.md, "Open at the horizon"): the closed waits, the open ones'
 * time so far and E_start over the waits begun in the window, so
 * (ukp_patients + ukp_waits_open) ukp_wait_mean = L w on the sample path,
 * up to rounding: the census integrated as it moves (stats.c) against the
 * episodes added up as they end, two separate books. With none open it is
 * the closed waits' mean, and L w exceeds it by E_start >= 0. (Before the
 * open waits counted, this test checked E[L - lambda W] = lambda E[W^2] /
 * w, the two edges' Brumelle mean; with E_end and E_start inside the
 * estimator there is nothing left to check it on.) */

/* Checks each replication; returns how many had an open wait. */
static unsigned check_little(const struct run *r)
{
    double w = r->s->horizon_days - r->s->warmup_days;
    unsigned open = 0;
    for (unsigned i = 0; i < r->n; i++) {
        const double *k = r->res[i].kpi;
        double area = k[FLYT_KPI_occ_ukp] * w;
        double e = area - (k[FLYT_KPI_ukp_patients] + k[FLYT_KPI_ukp_waits_open]) *
                                  k[FLYT_KPI_ukp_wait_mean];
        if (k[FLYT_KPI_ukp_waits_open] > 0) {
            open++;
            if (!(fabs(e) <= 1e-9 * area))
                fail_msg("%s replication %u: L w %.12g, (closed + open) W %.12g", r->s->name, i,
                         area, area - e);
        } else {
            assert_true(e >= -1e-9 * area);
        }
    }
    printf("%s: L = lambda W on the sample path in %u replications with open waits, L w >= "
           "lambda W w in %u without\n",
           r->s->name, open, r->n - open);
    return open;
}

static void little_on_the_ukp_queue_of_mmc(void **state)
{
    (void)state;
    assert_mmc_shape(get_run(RUN_MMC070)->s);
    check_little(get_run(RUN_MMC070));
    assert_true(check_little(get_run(RUN_MMC095)) > 0); /* 15 waiting on average */
}

/* The baseline, with complex patients waiting 60 +- 80 days: every
 * replication ends with waits open. */
static void little_on_the_ukp_queue_in_the_baseline(void **state)
{
    (void)state;
    const struct run *r = get_run(RUN_BASELINE);
    assert_int_equal(check_little(r), r->n);
}

/* ---- conservation of patients ---- */

static void check_conservation(int which)
{
    const struct run *r = get_run(which);
    for (unsigned i = 0; i < r->n; i++) {
        const double *k = r->res[i].kpi;
        long long initial = (long long)k[FLYT_KPI_patients_initial];
        long long in = (long long)k[FLYT_KPI_patients_in];
        long long out = (long long)k[FLYT_KPI_patients_out];
        long long at_end = (long long)k[FLYT_KPI_patients_at_end];
        assert_true(in > 0);
        assert_int_equal(initial + in, out + at_end);
    }
}

static void patients_are_conserved(void **state)
{
    (void)state;
    check_conservation(RUN_BASELINE);
    check_conservation(RUN_PF1_SHORT);
    /* and in every other scenario that ran */
    for (int k = 0; k < N_RUNS; k++)
        if (runs[k].res)
            check_conservation(k);
}

/* ---- PF1 ---- */

static void pf1_event_count_and_short_term_stay(void **state)
{
    (void)state;
    const struct run *r = get_run(RUN_PF1);
    const struct flyt_scenario *s = r->s;
    int st = flyt_test_unit_of(s, "short_term"), nhu = flyt_test_unit_of(s, "nursing_home");
    /* PF1 at its defaults is replication 0 of seed 1 */
    assert_true(s->seed == 1 && s->horizon_days == 7300.0 && s->warmup_days == 1825.0);
    double events = (double)r->res[0].model_events;
    double mean_events = 0;
    for (unsigned i = 0; i < r->n; i++)
        mean_events += (double)r->res[i].model_events / r->n;
    printf("pf1: model_events %.0f (seed 1), mean over %u replications %.0f; "
           "BENCHMARK-PF1.md: about 482,000\n",
           events, r->n, mean_events);
    assert_true(fabs(events - 482000.0) <= 0.01 * 482000.0);

    /* A short-term stay is the stay itself plus, for the share p who need a
     * nursing home, the wait for it (in the short-term bed). The nursing-home
     * queue is one FIFO for all origins, so that wait has the mean of
     * the nursing home's wait_mean: the stay PF1 implies is E[ST LOS] + p E[NH wait]. */
    double st_los = flyt_dist_mean(&s->units[st].los[0]);
    double p = flyt_test_route_p(&s->units[st].outcome, 0, nhu);
    assert_true(p > 0);
    double x[MAX_REP], nh[MAX_REP], mean_nh;
    unit_kpi_values(r, nhu, FLYT_UNIT_KPI_wait_mean, nh);
    t_half(nh, r->n, 0.95, &mean_nh);
    unit_kpi_values(r, st, FLYT_UNIT_KPI_los_mean, x);
    printf("pf1: nursing-home wait %.4f days, so PF1 implies a short-term stay of %.4f days\n",
           mean_nh, st_los + p * mean_nh);
    bool ok = in_ci("short_term los_mean", x, r->n, 0.95, st_los + p * mean_nh, st_los, 0.01);
    for (unsigned i = 0; i < r->n; i++)
        x[i] -= p * nh[i];
    ok &= in_ci("short_term los_mean - p nursing_home wait_mean = E[ST LOS]", x, r->n, 0.95, st_los,
                st_los, 0.01);
    assert_true(ok);
}

/* ---- determinism and common random numbers ---- */

static void assert_same_results(const struct flyt_result *a, const struct flyt_result *b,
                                unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(a[i].replication, b[i].replication);
        assert_int_equal(a[i].status, b[i].status);
        assert_int_equal(a[i].model_events, b[i].model_events);
        assert_int_equal(a[i].engine_events, b[i].engine_events);
        assert_memory_equal(a[i].kpi, b[i].kpi, sizeof a[i].kpi);
        assert_int_equal(a[i].n_days, b[i].n_days);
        for (int k = 0; k < FLYT_N_SERIES; k++)
            assert_memory_equal(a[i].series[k], b[i].series[k], a[i].n_days * sizeof(double));
        assert_int_equal(a[i].n_units, b[i].n_units);
        assert_memory_equal(a[i].unit_kpi, b[i].unit_kpi,
                            a[i].n_units * FLYT_N_UNIT_KPI * sizeof(double));
        assert_memory_equal(a[i].unit_series, b[i].unit_series,
                            a[i].n_units * FLYT_N_UNIT_SERIES * a[i].n_days * sizeof(double));
    }
}

static void results_do_not_depend_on_threads_or_runs(void **state)
{
    (void)state;
    enum { N = 6 };
    struct flyt_scenario *s = load("trondheim-baseline.cfg", NULL, 0);
    struct flyt_result *one = flyt_test_run_reps(s, N, 1);
    struct flyt_result *three = flyt_test_run_reps(s, N, 3);
    struct flyt_result *again = flyt_test_run_reps(s, N, 1);
    assert_same_results(one, three, N);
    assert_same_results(one, again, N);
    /* and a replication run on its own */
    struct flyt_result solo;
    assert_int_equal(flyt_model_run(s, 4, &solo), 0);
    assert_same_results(&one[4], &solo, 1);
    flyt_result_free(&solo);
    flyt_test_free_results(three, N);
    flyt_test_free_results(again, N);

    /* More short-term beds change the flow but not who arrives. */
    const char *const sets[] = { "units.short_term.capacity=140" };
    struct flyt_scenario *more = load("trondheim-baseline.cfg", sets, 1);
    int st = flyt_test_unit_of(more, "short_term");
    assert_true(more->units[st].capacity == 140);
    struct flyt_result *alt = flyt_test_run_reps(more, N, 2);
    bool any_change = false;
    for (unsigned i = 0; i < N; i++) {
        assert_memory_equal(&one[i].kpi[FLYT_KPI_arrivals], &alt[i].kpi[FLYT_KPI_arrivals],
                            sizeof(double));
        assert_memory_equal(&one[i].kpi[FLYT_KPI_patients_in], &alt[i].kpi[FLYT_KPI_patients_in],
                            sizeof(double));
        assert_memory_equal(one[i].series[FLYT_SERIES_arrivals],
                            alt[i].series[FLYT_SERIES_arrivals], one[i].n_days * sizeof(double));
        any_change |= flyt_result_unit_kpi(&one[i], (unsigned)st)[FLYT_UNIT_KPI_occupancy] !=
                      flyt_result_unit_kpi(&alt[i], (unsigned)st)[FLYT_UNIT_KPI_occupancy];
    }
    assert_true(any_change);
    flyt_test_free_results(alt, N);
    flyt_test_free_results(one, N);
    flyt_scenario_free(more);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(erlang_c_reproduces_the_benchmark_values),
        cmocka_unit_test(mmc_at_rho_070_matches_erlang_c),
        cmocka_unit_test(mmc_at_rho_095_matches_erlang_c),
        cmocka_unit_test(hospital_census_is_m_g_infinity),
        cmocka_unit_test(seasonal_census_follows_the_calendar),
        cmocka_unit_test(little_on_the_ukp_queue_of_mmc),
        cmocka_unit_test(little_on_the_ukp_queue_in_the_baseline),
        cmocka_unit_test(pf1_event_count_and_short_term_stay),
        cmocka_unit_test(patients_are_conserved),
        cmocka_unit_test(results_do_not_depend_on_threads_or_runs),
    };
    return cmocka_run_group_tests(tests, NULL, free_runs);
}
