/*
 * Regions (docs/region.md): municipalities around shared units.
 *
 *   superposition  municipalities that share nothing finite (an unlimited
 *                  hospital) give, bit for bit, the figures each gives run
 *                  alone as a region of one: streams are keyed by the
 *                  municipality's id, ties keep insertion order and open
 *                  episodes are summed in (home, patient key) order;
 *   conservation   per municipality and for the region, patients counted
 *                  in and out exactly, the region's totals the sums of its
 *                  municipalities';
 *   pooling        two M/M/c municipalities sharing 2c beds make M/M/2c
 *                  (Erlang C) and wait less than with c beds each; quotas
 *                  without lending are two M/M/c queues again, and with
 *                  lending the beds are work-conserving, so the mean wait
 *                  is M/M/2c's;
 *   bad input      what a region may not say, each reported at its file and
 *                  line with its key.
 *
 * Statistical tolerances are Student-t intervals over replications, which
 * are independent (streams keyed by seed and replication); the seeds are
 * fixed, so the test is deterministic, and every interval must also be
 * narrow for "theory inside" to say anything.
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

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define THREADS 2
#define MAX_REP 32

/* ---- text ---- */

struct text {
    char *s;
    size_t n, cap;
};

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void add(struct text *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    assert_true(k >= 0);
    if (t->n + (size_t)k + 1 > t->cap) {
        t->cap = 2 * (t->n + (size_t)k + 1);
        t->s = realloc(t->s, t->cap);
        assert_non_null(t->s);
    }
    va_start(ap, fmt);
    vsnprintf(t->s + t->n, (size_t)k + 1, fmt, ap);
    va_end(ap);
    t->n += (size_t)k;
}

/* text with the first occurrence of old replaced by new; caller frees. */
static char *edit(const char *text, const char *old, const char *new)
{
    const char *at = strstr(text, old);
    if (!at)
        fail_msg("\"%s\" is not in the text", old);
    size_t n = strlen(text) - strlen(old) + strlen(new) + 1;
    char *t = malloc(n);
    assert_non_null(t);
    snprintf(t, n, "%.*s%s%s", (int)(at - text), text, new, at + strlen(old));
    return t;
}

static bool same(double a, double b)
{
    return a == b || (isnan(a) && isnan(b));
}

/* ---- superposition ---- */

/* Everything the model can do to a municipality's patients without
 * touching another's: seasonal and weekday arrivals, growth, two groups,
 * complex placements, not-ready returns, readmissions to the (shared,
 * unlimited) hospital, harm while waiting, a working-days decision, and a
 * short-term, a nursing-home and a home-care unit per municipality. */
static const char *region_head =
        "name = \"superposition\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = 500.0; warmup_days = 100.0;\n"
        "       seed = 918273L; };\n"
        "population: {\n"
        "  growth_per_year = 0.03;\n"
        "  month_factor = [1.15, 1.12, 1.05, 1.0, 0.95, 0.9, 0.85, 0.88, 0.95, 1.0, 1.05, 1.1];\n"
        "  weekday_factor = [1.10, 1.05, 1.0, 1.0, 1.0, 0.90, 0.95];\n"
        "  cfs_mix = [0.05, 0.10, 0.12, 0.19, 0.20, 0.18, 0.10, 0.05, 0.01];\n"
        "  complex_share = 0.01;\n"
        "};\n"
        "groups = ( { name = \"fit\"; cfs = [1, 4]; }, { name = \"frail\"; cfs = [5, 9]; } );\n"
        "hospital: {\n"
        "  los_days = { fit = { dist = \"lognormal\"; mean = 4.0; sd = 3.0; };\n"
        "               frail = { dist = \"lognormal\"; mean = 8.0; sd = 6.0; }; };\n"
        "  ukp_probability = { fit = 0.3; frail = 0.6; };\n"
        "  death_probability = { fit = 0.02; frail = 0.08; };\n"
        "  not_ready_probability = 0.05;\n"
        "  not_ready_days = { dist = \"lognormal\"; mean = 3.0; sd = 2.0; };\n"
        "};\n"
        "harm: { death_waiting_per_day = 0.01; death_blocked_per_day = 0.005;\n"
        "        cfs_gain_per_day = 0.03; };\n"
        "report: { readmission_window_days = 30.0; };\n"
        "decision: {\n"
        "  delay_days = { dist = \"lognormal\"; mean = 1.2; sd = 0.8; };\n"
        "  working_days_only = true;\n"
        "  destination = {\n"
        "    fit = { home = 0.05; home_care = 0.65; short_term = 0.28; nursing_home = 0.02; };\n"
        "    frail = { home = 0.02; home_care = 0.45; short_term = 0.45; nursing_home = 0.08; };\n"
        "  };\n"
        "  complex_placement_days = { dist = \"lognormal\"; mean = 30.0; sd = 30.0; };\n"
        "};\n"
        "shared_units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; } );\n";

struct muni_spec {
    const char *id;
    double admissions, st_beds, nh_beds, hc_hours, hc_clients;
    const char *extra; /* more members of the group */
};

/* Different sizes and loads: the short-term beds of the second are tight,
 * so that its queues (and harm while blocked) matter. */
static const struct muni_spec munis3[] = {
    { "big", 6.0, 20, 150, 2400, 330, "" },
    { "small", 1.0, 3, 25, 380, 55,
      "decision = { delay_days = { dist = \"exponential\"; mean = 2.0; }; };\n" },
    { "mid", 3.0, 10, 80, 1200, 165,
      "population = { admissions_per_day = 3.0; cfs_mix = [0.0, 0.05, 0.10, 0.15, 0.20, 0.20, "
      "0.15, 0.10, 0.05]; };\n" },
};
#define N_MUNIS3 ((int)(sizeof munis3 / sizeof munis3[0]))

static void add_muni(struct text *t, const struct muni_spec *m)
{
    add(t, "{ id = \"%s\";\n%s", m->id, m->extra);
    if (!strstr(m->extra, "population"))
        add(t, "population = { admissions_per_day = %g; };\n", m->admissions);
    add(t,
        "units = (\n"
        "  { id = \"short_term\"; kind = \"beds\"; capacity = %g; initial_occupancy = 0.7;\n"
        "    los_days = { fit = { dist = \"lognormal\"; mean = 11.0; sd = 8.0; };\n"
        "                 frail = { dist = \"lognormal\"; mean = 14.0; sd = 10.0; }; };\n"
        "    outcome = {\n"
        "      fit = { home = 0.10; home_care = 0.81; nursing_home = 0.02; hospital = 0.05;\n"
        "              death = 0.02; };\n"
        "      frail = { home = 0.05; home_care = 0.75; nursing_home = 0.07; hospital = 0.08;\n"
        "                death = 0.05; }; };\n"
        "    not_ready_returns = true; },\n"
        "  { id = \"nursing_home\"; kind = \"beds\"; capacity = %g; initial_occupancy = 0.95;\n"
        "    los_days = { dist = \"weibull\"; mean = 700.0; sd = 700.0; };\n"
        "    queue = \"priority\"; priority = [\"hospital\", \"short_term\", \"home_care\"];\n"
        "    outcome = \"death\"; },\n"
        "  { id = \"home_care\"; kind = \"caseload\"; capacity = %g; initial_clients = %g;\n"
        "    hours_per_client = { dist = \"gamma\"; mean = 6.0; sd = 5.0; };\n"
        "    queue = \"strict_fifo\";\n"
        "    rates_per_year = {\n"
        "      fit = { hospital = 0.6; nursing_home = 0.02; death = 0.05; home = 2.0; };\n"
        "      frail = { hospital = 1.0; nursing_home = 0.08; death = 0.2; home = 0.8; }; };\n"
        "    not_ready_returns = true; }\n"
        ");\n}",
        m->st_beds, m->nh_beds, m->hc_hours, m->hc_clients);
}

static char *region_text(const struct muni_spec *m, int n)
{
    struct text t = { 0 };
    add(&t, "%smunicipalities = (\n", region_head);
    for (int i = 0; i < n; i++) {
        add_muni(&t, &m[i]);
        add(&t, "%s\n", i + 1 < n ? "," : "");
    }
    add(&t, ");\n");
    return t.s;
}

#define SUP_REPS 4

static void kpi_name_diff(const char *what, const double *a, const double *b, int n,
                          const struct flyt_field_def *defs, bool *ok)
{
    for (int k = 0; k < n; k++)
        if (!same(a[k], b[k])) {
            printf("  %s: %s %.17g in the region, %.17g alone\n", what, defs[k].name, a[k], b[k]);
            *ok = false;
        }
}

/* Conservation in one replication: per municipality exactly, the region's
 * counts the sums of its municipalities'. */
static bool conserved(const struct flyt_result *r, const char *name)
{
    bool ok = true;
    static const int summed[] = { FLYT_KPI_arrivals,
                                  FLYT_KPI_ukp_patients,
                                  FLYT_KPI_patients_initial,
                                  FLYT_KPI_patients_in,
                                  FLYT_KPI_patients_out,
                                  FLYT_KPI_patients_at_end,
                                  FLYT_KPI_ukp_paid_days_per_year,
                                  FLYT_KPI_ukp_payment_per_year,
                                  FLYT_KPI_ukp_days_per_year,
                                  FLYT_KPI_deaths };
    double sum[sizeof summed / sizeof summed[0]] = { 0 };
    for (unsigned i = 0; i < r->n_munis; i++) {
        const double *k = flyt_result_muni_kpi(r, i);
        /* counts are whole numbers far below 2^53: the sum is exact */
        if (k[FLYT_KPI_patients_initial] + k[FLYT_KPI_patients_in] !=
            k[FLYT_KPI_patients_out] + k[FLYT_KPI_patients_at_end]) {
            printf("  %s rep %u municipality %u: initial %g + in %g != out %g + at end %g\n", name,
                   r->replication, i, k[FLYT_KPI_patients_initial], k[FLYT_KPI_patients_in],
                   k[FLYT_KPI_patients_out], k[FLYT_KPI_patients_at_end]);
            ok = false;
        }
        for (size_t j = 0; j < sizeof summed / sizeof summed[0]; j++)
            sum[j] += k[summed[j]];
    }
    const double *k = r->kpi;
    if (k[FLYT_KPI_patients_initial] + k[FLYT_KPI_patients_in] !=
        k[FLYT_KPI_patients_out] + k[FLYT_KPI_patients_at_end]) {
        printf("  %s rep %u region: patients not conserved\n", name, r->replication);
        ok = false;
    }
    /* the sums of doubles in another order than the region's: a few ulps */
    for (size_t j = 0; j < sizeof summed / sizeof summed[0]; j++) {
        double want = k[summed[j]];
        if (!(fabs(sum[j] - want) <= 1e-9 * fmax(1.0, fabs(want)))) {
            printf("  %s rep %u: region %s %.17g, municipalities sum to %.17g\n", name,
                   r->replication, flyt_kpi_defs[summed[j]].name, want, sum[j]);
            ok = false;
        }
    }
    return ok;
}

static void municipalities_alone_give_their_figures_in_the_region(void **state)
{
    (void)state;
    char *text = region_text(munis3, N_MUNIS3);
    struct flyt_scenario *s = flyt_test_load_text(text, "region.cfg");
    assert_int_equal(s->n_munis, N_MUNIS3);
    struct flyt_result *res = flyt_test_run_reps(s, SUP_REPS, THREADS);
    bool ok = true;
    for (int i = 0; i < N_MUNIS3; i++) {
        char *one = region_text(&munis3[i], 1);
        struct flyt_scenario *a = flyt_test_load_text(one, "alone.cfg");
        struct flyt_result *alone = flyt_test_run_reps(a, SUP_REPS, THREADS);
        for (unsigned r = 0; r < SUP_REPS; r++) {
            assert_int_equal(alone[r].n_munis, 1);
            assert_int_equal(res[r].n_munis, N_MUNIS3);
            const double *in = flyt_result_muni_kpi(&res[r], (unsigned)i);
            const double *by = flyt_result_muni_kpi(&alone[r], 0);
            char what[160];
            snprintf(what, sizeof what, "%s rep %u", munis3[i].id, r);
            kpi_name_diff(what, in, by, FLYT_N_KPI, flyt_kpi_defs, &ok);
            /* the alone run's region is the municipality, but for the
             * hospital's costs, which a municipality's row leaves out
             * (docs/region.md, "Costs in a region") */
            double region_row[FLYT_N_KPI];
            memcpy(region_row, alone[r].kpi, sizeof region_row);
            region_row[FLYT_KPI_cost_hospital_per_year] = NAN;
            region_row[FLYT_KPI_cost_total_per_year] = NAN;
            kpi_name_diff(what, by, region_row, FLYT_N_KPI, flyt_kpi_defs, &ok);
            for (int u = s->munis[i].unit_lo; u < s->munis[i].unit_hi; u++) {
                int v = flyt_test_unit_of(a, s->units[u].id);
                snprintf(what, sizeof what, "%s rep %u", s->units[u].id, r);
                kpi_name_diff(what, flyt_result_unit_kpi(&res[r], (unsigned)u),
                              flyt_result_unit_kpi(&alone[r], (unsigned)v), FLYT_N_UNIT_KPI,
                              flyt_unit_kpi_defs, &ok);
            }
            /* the hospital's UKP bed-days held by this municipality's
             * residents */
            assert_int_equal(res[r].n_sites, 1);
            if (!same(res[r].site_ukp_days[i], alone[r].site_ukp_days[0])) {
                printf("  %s: site_ukp_days %.17g in the region, %.17g alone\n", what,
                       res[r].site_ukp_days[i], alone[r].site_ukp_days[0]);
                ok = false;
            }
            ok &= conserved(&alone[r], "alone");
        }
        /* something happened: a test of identical empty figures proves
         * nothing */
        assert_true(flyt_result_muni_kpi(&res[0], (unsigned)i)[FLYT_KPI_ukp_patients] > 10);
        flyt_test_free_results(alone, SUP_REPS);
        flyt_scenario_free(a);
        free(one);
    }
    for (unsigned r = 0; r < SUP_REPS; r++)
        ok &= conserved(&res[r], "region");
    flyt_test_free_results(res, SUP_REPS);
    flyt_scenario_free(s);
    free(text);
    assert_true(ok);
}

/* ---- pooling ---- */

/* Probability that an arrival waits in M/M/c with offered load a < c
 * (tests/test_stat_queueing.c checks it against published values): the
 * stable Erlang B recursion, then C = c B / (c - a (1 - B)). */
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

/* Two identical municipalities, each a Poisson stream of LAMBDA a day; the
 * hospital stay is exponential, so (M/M/inf's output being Poisson) the
 * stream of discharge-ready patients is Poisson too; all of them need a
 * bed at once (no decision delay, no deaths), stays are exponential with
 * mean 1 and everyone goes home. The UKP wait is then the queueing time.
 * rho = 0.8: waits long enough for pooling to matter, relaxation times
 * (about 1 / (c mu (1 - sqrt rho)^2) = 30 days at c = 3) short against
 * the horizon. */
#define C_EACH    3
#define LAMBDA    2.4
#define POOL_REPS 16
/* 16 x 20,000 days x 4.8 ready patients a day: 99 % intervals of 3 to 6 %
 * of the waits (required below 10 %), while the four set-ups run in about
 * 3 seconds */
#define POOL_DAYS 20000.0

enum setup { SEPARATE, POOLED, QUOTA, LEND, N_SETUPS };
static const char *const setup_name[N_SETUPS] = { "separate", "pooled", "quota", "quota+lend" };

static char *pool_text(enum setup k)
{
    struct text t = { 0 };
    add(&t,
        "name = \"pool-%s\";\n"
        "run: { start_date = \"2025-01-01\"; horizon_days = %.1f; warmup_days = 200.0;\n"
        "       seed = 5150L; };\n"
        "population: { cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; };\n"
        "hospital: { los_days = { dist = \"exponential\"; mean = 1.0; };\n"
        "            ukp_probability = 1.0; death_probability = 0.0; };\n"
        "decision: { delay_days = 0.0; destination = { %s = 1.0; }; };\n"
        "shared_units = (\n"
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; }",
        setup_name[k], 200.0 + POOL_DAYS, k == SEPARATE ? "short_term" : "pool");
    if (k != SEPARATE) {
        add(&t,
            ",\n  { id = \"pool\"; kind = \"beds\"; capacity = %d; initial_occupancy = 0.0;\n"
            "    los_days = { dist = \"exponential\"; mean = 1.0; };\n"
            "    outcome = { home = 1.0; };\n",
            2 * C_EACH);
        if (k == QUOTA || k == LEND)
            add(&t, "    sharing = \"quota\"; quota = { east = %d; west = %d; }; lend = %s;\n",
                C_EACH, C_EACH, k == LEND ? "true" : "false");
        add(&t, "  }");
    }
    add(&t, "\n);\nmunicipalities = (\n");
    for (int i = 0; i < 2; i++) {
        add(&t, "  { id = \"%s\"; population = { admissions_per_day = %g; };\n",
            i ? "west" : "east", LAMBDA);
        if (k == SEPARATE)
            add(&t,
                "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = %d;\n"
                "      initial_occupancy = 0.0;\n"
                "      los_days = { dist = \"exponential\"; mean = 1.0; };\n"
                "      outcome = { home = 1.0; }; } );\n",
                C_EACH);
        add(&t, "  }%s\n", i ? "" : ",");
    }
    add(&t, ");\n");
    return t.s;
}

struct pool_run {
    struct flyt_scenario *s;
    struct flyt_result *res;
};
static struct pool_run pool[N_SETUPS];

static const struct pool_run *pool_run(enum setup k)
{
    struct pool_run *p = &pool[k];
    if (!p->res) {
        char *text = pool_text(k);
        p->s = flyt_test_load_text(text, setup_name[k]);
        free(text);
        p->res = flyt_test_run_reps(p->s, POOL_REPS, THREADS);
    }
    return p;
}

static int free_pool(void **state)
{
    (void)state;
    for (int k = 0; k < N_SETUPS; k++) {
        flyt_test_free_results(pool[k].res, POOL_REPS);
        flyt_scenario_free(pool[k].s);
        pool[k] = (struct pool_run){ 0 };
    }
    return 0;
}

/* The model must still be the one the oracle is for. */
static void assert_mm_shape(const struct flyt_scenario *s)
{
    assert_int_equal(s->n_groups, 1);
    assert_int_equal(s->n_munis, 2);
    for (int i = 0; i < s->n_munis; i++) {
        const struct flyt_muni_population *p = &s->munis[i].pop;
        assert_true(p->admissions_per_day == LAMBDA && p->growth_per_year == 0.0 &&
                    p->n_growth_by_year == 0 && p->complex_share == 0.0);
        for (int j = 0; j < 12; j++)
            assert_true(p->month_factor[j] == 1.0);
        for (int j = 0; j < 7; j++)
            assert_true(p->weekday_factor[j] == 1.0);
    }
    assert_int_equal(s->groups[0].hosp_los.kind, FLYT_DIST_EXPONENTIAL);
    assert_true(s->groups[0].p_ukp == 1.0 && s->groups[0].p_death_hosp == 0.0);
    assert_true(s->decision_delay.kind == FLYT_DIST_FIXED && s->decision_delay.mean == 0.0);
}

static void values(const struct pool_run *p, int muni, double *x)
{
    for (unsigned r = 0; r < POOL_REPS; r++)
        x[r] = muni < 0 ? p->res[r].kpi[FLYT_KPI_ukp_wait_mean]
                        : flyt_result_muni_kpi(&p->res[r], (unsigned)muni)[FLYT_KPI_ukp_wait_mean];
}

/* Prints the comparison; whether target lies in the 99 % interval of the
 * mean of x, which must also be narrower than 10 % of the target. */
static bool in_ci(const char *what, const double *x, double target)
{
    double mean, half = flyt_test_t_half(x, POOL_REPS, 0.99, &mean);
    bool inside = fabs(mean - target) <= half, narrow = half < 0.10 * target;
    printf("  %-40s %.5f  99%% CI [%.5f, %.5f]  theory %.5f  %s%s\n", what, mean, mean - half,
           mean + half, target, inside ? "ok" : "OUTSIDE", narrow ? "" : " (too wide)");
    return inside && narrow;
}

/* The 99 % interval of the paired difference a - b (same seed and
 * replication: the same arrivals). */
static void diff_ci(const char *what, const double *a, const double *b, double *lo, double *hi)
{
    double d[MAX_REP], mean;
    for (int r = 0; r < POOL_REPS; r++)
        d[r] = a[r] - b[r];
    double half = flyt_test_t_half(d, POOL_REPS, 0.99, &mean);
    *lo = mean - half;
    *hi = mean + half;
    printf("  %-40s %+.5f  99%% CI [%+.5f, %+.5f]\n", what, mean, *lo, *hi);
}

static void pooled_beds_are_erlang_c_and_beat_separate_ones(void **state)
{
    (void)state;
    const struct pool_run *sep = pool_run(SEPARATE), *poo = pool_run(POOLED);
    assert_mm_shape(sep->s);
    assert_mm_shape(poo->s);
    double wq_c = erlang_wq(C_EACH, LAMBDA, 1.0), wq_2c = erlang_wq(2 * C_EACH, 2 * LAMBDA, 1.0);
    printf("M/M/%d at lambda %g: Wq %.5f; M/M/%d at %g: Wq %.5f\n", C_EACH, LAMBDA, wq_c,
           2 * C_EACH, 2 * LAMBDA, wq_2c);
    double x[MAX_REP], y[MAX_REP];
    bool ok = true;
    int pu = flyt_test_unit_of(poo->s, "pool");
    for (unsigned r = 0; r < POOL_REPS; r++)
        x[r] = flyt_result_unit_kpi(&poo->res[r], (unsigned)pu)[FLYT_UNIT_KPI_wait_mean];
    ok &= in_ci("pooled: pool wait_mean = M/M/2c Wq", x, wq_2c);
    values(poo, -1, x);
    ok &= in_ci("pooled: region ukp_wait_mean", x, wq_2c);
    /* pooling is fair between identical municipalities */
    for (int i = 0; i < 2; i++) {
        values(poo, i, y);
        ok &= in_ci(i ? "pooled: west ukp_wait_mean" : "pooled: east ukp_wait_mean", y, wq_2c);
    }
    for (int i = 0; i < 2; i++) {
        const char *id = i ? "west.short_term" : "east.short_term";
        int u = flyt_test_unit_of(sep->s, id);
        for (unsigned r = 0; r < POOL_REPS; r++)
            y[r] = flyt_result_unit_kpi(&sep->res[r], (unsigned)u)[FLYT_UNIT_KPI_wait_mean];
        char what[80];
        snprintf(what, sizeof what, "separate: %s wait_mean = M/M/c", id);
        ok &= in_ci(what, y, wq_c);
    }
    values(sep, -1, y);
    ok &= in_ci("separate: region ukp_wait_mean", y, wq_c);
    double lo, hi;
    diff_ci("separate - pooled", y, x, &lo, &hi);
    ok &= lo > 0;
    for (unsigned r = 0; r < POOL_REPS; r++) {
        ok &= conserved(&sep->res[r], "separate");
        ok &= conserved(&poo->res[r], "pooled");
    }
    assert_true(ok);
}

/* Quotas of c beds each without lending: each municipality an M/M/c queue
 * of its own, as with separate units: the same in distribution, which is
 * all the check asks (the queues are kept differently; at the time of
 * writing the figures even come out bit for bit, a paired difference of 0,
 * but nothing promises that). With lending a free bed never stays
 * empty while someone waits, and with identical exponential stays the
 * number in the system is M/M/2c's whatever the order of service: the
 * mean wait over all is pooled's, below separate's. */
static void quotas_lie_between_separate_and_pooled(void **state)
{
    (void)state;
    const struct pool_run *sep = pool_run(SEPARATE), *poo = pool_run(POOLED);
    const struct pool_run *quo = pool_run(QUOTA), *len = pool_run(LEND);
    double wq_c = erlang_wq(C_EACH, LAMBDA, 1.0), wq_2c = erlang_wq(2 * C_EACH, 2 * LAMBDA, 1.0);
    double s[MAX_REP], p[MAX_REP], q[MAX_REP], l[MAX_REP], lo, hi;
    bool ok = true;
    values(sep, -1, s);
    values(poo, -1, p);
    values(quo, -1, q);
    values(len, -1, l);
    ok &= in_ci("quota: region ukp_wait_mean = M/M/c", q, wq_c);
    for (int i = 0; i < 2; i++) {
        double x[MAX_REP];
        values(quo, i, x);
        ok &= in_ci(i ? "quota: west = M/M/c" : "quota: east = M/M/c", x, wq_c);
    }
    diff_ci("quota - separate (0 inside)", q, s, &lo, &hi);
    ok &= lo <= 0 && 0 <= hi;
    ok &= in_ci("quota+lend: region ukp_wait_mean = M/M/2c", l, wq_2c);
    diff_ci("separate - quota+lend (> 0)", s, l, &lo, &hi);
    ok &= lo > 0;
    diff_ci("quota+lend - pooled (0 inside)", l, p, &lo, &hi);
    ok &= lo <= 0 && 0 <= hi;
    for (unsigned r = 0; r < POOL_REPS; r++) {
        ok &= conserved(&quo->res[r], "quota");
        ok &= conserved(&len->res[r], "quota+lend");
    }
    assert_true(ok);
}

/* ---- bad input ---- */

/* A small valid region; each case edits it. */
static const char *bad_base =
        "name = \"bad\";\n"
        "run: { horizon_days = 100.0; warmup_days = 10.0; };\n"
        "population: { cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; };\n"
        "hospital: { los_days = { dist = \"exponential\"; mean = 3.0; }; ukp_probability = 0.5; "
        "};\n"
        "decision: { delay_days = 0.0; destination = { short_term = 1.0; }; };\n"
        "shared_units = (\n"
        "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
        "  { id = \"kad\"; kind = \"beds\"; capacity = 4;\n"
        "    los_days = { dist = \"exponential\"; mean = 2.0; };\n"
        "    outcome = { home = 1.0; };\n"
        "    users = [\"east\"]; }\n"
        ");\n"
        "municipalities = (\n"
        "  { id = \"east\"; population = { admissions_per_day = 2.0; };\n"
        "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 3;\n"
        "      los_days = { dist = \"exponential\"; mean = 5.0; };\n"
        "      outcome = { home = 0.9; kad = 0.1; }; } ); },\n"
        "  { id = \"west\"; population = { admissions_per_day = 1.0; };\n"
        "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 2;\n"
        "      los_days = { dist = \"exponential\"; mean = 5.0; };\n"
        "      outcome = { home = 1.0; }; } ); }\n"
        ");\n";

/* The line of text on which `at` (which must be in it) begins. */
static int line_of(const char *text, const char *at)
{
    const char *p = strstr(text, at);
    if (!p)
        fail_msg("\"%s\" is not in the text", at);
    int line = 1;
    for (const char *c = text; c < p; c++)
        line += *c == '\n';
    return line;
}

/* Loading failed with an error at file:line naming key and saying what. */
static void expect_at(const char *file, int line, const char *key, const char *what,
                      struct flyt_diag *d, bool loaded)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: error: %s", file, line, key);
    bool ok = !loaded && d->n_errors >= 1 && d->text && strstr(d->text, want) &&
              strstr(d->text, what);
    if (!ok)
        fprintf(stderr, "wanted an error \"%s...\" saying \"%s\", got:\n%s\n", want, what,
                d->text ? d->text : "(no error)");
    assert_true(ok);
}

static void expect_edit(const char *old, const char *new, const char *at, const char *key,
                        const char *what)
{
    char *t = edit(bad_base, old, new);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(t, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(t, at), key, what, &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
}

static void the_base_of_the_bad_cases_loads(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load_text(bad_base, "bad.cfg");
    assert_int_equal(s->n_munis, 2);
    assert_int_equal(s->n_units, 4);
    flyt_scenario_free(s);
}

static void a_municipality_may_use_only_the_shared_units_it_is_a_user_of(void **state)
{
    (void)state;
    /* from its own unit's outcome */
    expect_edit("outcome = { home = 1.0; }; } ); }", "outcome = { home = 0.5; kad = 0.5; }; } ); }",
                "outcome = { home = 0.5; kad", "municipalities.west.units.short_term.outcome",
                "municipality 'west' to 'kad', which it may not use");
    /* from the region's decision */
    expect_edit("destination = { short_term = 1.0; }",
                "destination = { short_term = 0.5; kad = 0.5; }",
                "decision:", "decision.destination",
                "municipality 'west' to 'kad', which it may not use");
    /* from its own decision */
    expect_edit("{ id = \"west\"; population = { admissions_per_day = 1.0; };",
                "{ id = \"west\"; population = { admissions_per_day = 1.0; };\n"
                "    decision = { destination = { kad = 1.0; }; };",
                "decision = { destination = { kad", "municipalities.west.decision.destination",
                "municipality 'west' to 'kad', which it may not use");
}

/* The network checks of a plain file, as each municipality's patients
 * see it: a closed unit they are sent to, a unit with no way out. */
static void every_municipality_can_leave_what_it_reaches(void **state)
{
    (void)state;
    expect_edit("kind = \"beds\"; capacity = 4;", "kind = \"beds\"; capacity = 0;", "capacity = 0;",
                "shared_units.kad.capacity",
                "patients of municipality 'east' are routed to 'kad' but its capacity is 0");
    /* east's short-term beds and kad send patients only to each other */
    char *cycle = edit(bad_base, "outcome = { home = 1.0; };\n    users",
                       "outcome = { short_term = 1.0; };\n    users");
    char *t = edit(cycle, "outcome = { home = 0.9; kad = 0.1; }", "outcome = { kad = 1.0; }");
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(t, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(t, "{ id = \"kad\""), "shared_units.kad",
              "who reach 'kad' can never leave", &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(t);
    free(cycle);
}

static void quotas_may_not_pass_the_capacity(void **state)
{
    (void)state;
    /* a municipality sent to a unit where its quota is 0 and nobody lends */
    expect_edit("users = [\"east\"]; }", "sharing = \"quota\"; quota = { west = 2; }; }",
                "outcome = { home = 0.9; kad", "municipalities.east.units.short_term.outcome",
                "where it has no beds (quota 0 and lend = false)");
    expect_edit("users = [\"east\"]; }",
                "users = [\"east\"];\n    sharing = \"quota\"; quota = { east = 5; }; }",
                "quota = { east", "shared_units.kad",
                "the quotas sum to 5 beds, more than the unit's 4");
}

static void hospital_sites_shares_sum_to_one(void **state)
{
    (void)state;
    char *two = edit(bad_base, "{ id = \"hospital\"; kind = \"unlimited\"; hospital = true; },",
                     "{ id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"
                     "  { id = \"hospital2\"; kind = \"unlimited\"; hospital = true; },");
    char *t = edit(two, "{ id = \"west\"; population = { admissions_per_day = 1.0; };",
                   "{ id = \"west\"; population = { admissions_per_day = 1.0; };\n"
                   "    hospital_sites = { hospital2 = 1.0; };");
    char *u = edit(t, "{ id = \"east\"; population = { admissions_per_day = 2.0; };",
                   "{ id = \"east\"; population = { admissions_per_day = 2.0; };\n"
                   "    hospital_sites = { hospital = 0.5; hospital2 = 0.3; };");
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(u, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(u, "hospital_sites = { hospital = 0.5"),
              "municipalities.east.hospital_sites",
              "the sites' shares must sum to 1, they sum to 0.8", &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    /* with two sites, every municipality gives its shares */
    flyt_diag_init(&d);
    s = flyt_scenario_load_string(t, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(t, "{ id = \"east\""), "municipalities.east.hospital_sites",
              "the region has 2 hospital sites: give municipality 'east' its shares", &d,
              s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(u);
    free(t);
    free(two);
}

static void municipality_ids_are_unique(void **state)
{
    (void)state;
    expect_edit("{ id = \"west\";", "{ id = \"east\";",
                "{ id = \"east\"; population = { "
                "admissions_per_day = 1.0",
                "municipalities.east", "municipality id 'east' is used twice");
}

static void shared_routes_to_a_municipal_unit_need_it_in_every_user(void **state)
{
    (void)state;
    char *t = edit(bad_base, "outcome = { home = 0.9; kad = 0.1; }; } ); },",
                   "outcome = { home = 0.9; kad = 0.1; }; },\n"
                   "      { id = \"nursing_home\"; kind = \"beds\"; capacity = 5;\n"
                   "        los_days = { dist = \"exponential\"; mean = 50.0; };\n"
                   "        outcome = \"death\"; } ); },");
    /* from a shared unit: west is a user of kad but has no nursing_home */
    char *u = edit(t, "outcome = { home = 1.0; };\n    users = [\"east\"]; }",
                   "outcome = { home = 0.5; nursing_home = 0.5; };\n"
                   "    users = [\"east\", \"west\"]; }");
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(u, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(u, "outcome = { home = 0.5; nursing_home"),
              "shared_units.kad.outcome",
              "routes to 'nursing_home' (the patient's own), but municipality 'west' has no unit "
              "'nursing_home'",
              &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(u);
    /* from the region's decision */
    u = edit(t, "destination = { short_term = 1.0; }",
             "destination = { short_term = 0.5; nursing_home = 0.5; }");
    flyt_diag_init(&d);
    s = flyt_scenario_load_string(u, "bad.cfg", NULL, NULL, 0, &d);
    expect_at("bad.cfg", line_of(u, "decision:"), "decision.destination",
              "routes to 'nursing_home' (the patient's own), but municipality 'west' has no unit "
              "'nursing_home'",
              &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(u);
    free(t);
}

static void hospitals_and_units_are_where_a_region_puts_them(void **state)
{
    (void)state;
    /* a hospital site inside a municipality */
    expect_edit("units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 2;",
                "units = ( { id = \"ward\"; kind = \"unlimited\"; hospital = true; },\n"
                "      { id = \"short_term\"; kind = \"beds\"; capacity = 2;",
                "{ id = \"ward\"", "municipalities.west.units.ward",
                "a hospital site serves the region: declare it in shared_units");
    /* top-level units in a region */
    expect_edit("municipalities = (",
                "units = ( { id = \"x\"; kind = \"unlimited\"; hospital = true; } );\n"
                "municipalities = (",
                "units = ( { id = \"x\"", "units",
                "a top-level 'units' is for a file without municipalities");
}

static void shared_units_need_municipalities(void **state)
{
    (void)state;
    const char *text = "name = \"no-munis\";\n"
                       "run: { horizon_days = 100.0; };\n"
                       "decision: { delay_days = 0.0; destination = { home = 1.0; }; };\n"
                       "shared_units = (\n"
                       "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; } );\n";
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load_string(text, "plain.cfg", NULL, NULL, 0, &d);
    expect_at("plain.cfg", line_of(text, "shared_units"), "shared_units",
              "shared_units belong to a region: give municipalities too", &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

static void remove_file(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    unlink(path);
}

static void an_included_municipality_reports_its_own_file_and_line(void **state)
{
    (void)state;
    char dir[] = "/tmp/flyt-test-region-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *main_text = edit(bad_base,
                           "{ id = \"west\"; population = { admissions_per_day = 1.0; };\n"
                           "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 2;\n"
                           "      los_days = { dist = \"exponential\"; mean = 5.0; };\n"
                           "      outcome = { home = 1.0; }; } ); }",
                           "{ id = \"west\";\n    @include \"west.cfg\"\n  }");
    const char *west = "# the municipality of West\n"
                       "population = { admissions_per_day = 1.0; };\n"
                       "units = ( { id = \"short_term\"; kind = \"beds\";\n"
                       "  capacity = -2;\n"
                       "  los_days = { dist = \"exponential\"; mean = 5.0; };\n"
                       "  outcome = { home = 1.0; }; } );\n";
    write_file(dir, "main.cfg", main_text);
    char path[1024];
    snprintf(path, sizeof path, "%s/main.cfg", dir);

    /* the file as it should be loads */
    char *good = edit(west, "capacity = -2", "capacity = 2");
    write_file(dir, "west.cfg", good);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(path, NULL, 0, &d);
    if (!s)
        fprintf(stderr, "%s\n", d.text ? d.text : "");
    assert_non_null(s);
    assert_int_equal(s->n_munis, 2);
    flyt_scenario_free(s);
    flyt_diag_free(&d);

    write_file(dir, "west.cfg", west);
    flyt_diag_init(&d);
    s = flyt_scenario_load(path, NULL, 0, &d);
    expect_at("west.cfg", 4, "municipalities.west.units.short_term.capacity",
              "must be between 0 and 10000000, got -2", &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);

    /* a region's own check, made once every municipality is read: the
     * included unit routes to a shared unit West may not use */
    char *route = edit(good, "outcome = { home = 1.0; }", "outcome = { home = 0.5; kad = 0.5; }");
    write_file(dir, "west.cfg", route);
    flyt_diag_init(&d);
    s = flyt_scenario_load(path, NULL, 0, &d);
    expect_at("west.cfg", 6, "municipalities.west.units.short_term.outcome",
              "municipality 'west' to 'kad', which it may not use", &d, s != NULL);
    flyt_scenario_free(s);
    flyt_diag_free(&d);
    free(route);

    remove_file(dir, "west.cfg");
    remove_file(dir, "main.cfg");
    rmdir(dir);
    free(good);
    free(main_text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(the_base_of_the_bad_cases_loads),
        cmocka_unit_test(a_municipality_may_use_only_the_shared_units_it_is_a_user_of),
        cmocka_unit_test(every_municipality_can_leave_what_it_reaches),
        cmocka_unit_test(quotas_may_not_pass_the_capacity),
        cmocka_unit_test(hospital_sites_shares_sum_to_one),
        cmocka_unit_test(municipality_ids_are_unique),
        cmocka_unit_test(shared_routes_to_a_municipal_unit_need_it_in_every_user),
        cmocka_unit_test(hospitals_and_units_are_where_a_region_puts_them),
        cmocka_unit_test(shared_units_need_municipalities),
        cmocka_unit_test(an_included_municipality_reports_its_own_file_and_line),
        cmocka_unit_test(municipalities_alone_give_their_figures_in_the_region),
        cmocka_unit_test(pooled_beds_are_erlang_c_and_beat_separate_ones),
        cmocka_unit_test(quotas_lie_between_separate_and_pooled),
    };
    return cmocka_run_group_tests(tests, NULL, free_pool);
}
