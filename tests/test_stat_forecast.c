/* Do the forecast's bands mean what they say? A long run of the Trondheim
 * 2025 scenario is stopped at day D and its state written as a census file
 * (dates rounded to days, as a real census has them); a forecast from that
 * file is compared with how the same run actually went on. Over many runs
 * the 90 % band must cover the realised census about 90 % of the time and
 * the 50 % band about 50 %.
 *
 * Tolerance: the days of one path are strongly correlated (a census moves
 * slowly), so the (run, day) pairs are not independent draws. Each path's
 * coverage over its days is a mean of Bernoulli variables with variance at
 * most p(1 - p), so the binomial is taken over paths, not pairs: n =
 * runs x figures, a 99.9 % interval around the nominal coverage. The
 * nominal coverage of a band read from R replications is that of the
 * order statistics it interpolates, (b - a) / (R + 1) for a continuous
 * figure; counts tie, which can only raise it, so the upper limit is the
 * larger of that and the level itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/census.h"
#include "flyt/date.h"
#include "flyt/forecast.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_errno.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RUNS     30 /* truth paths */
#define REPS     60 /* forecast replications per path */
#define DAYS     28
#define Z999     3.29 /* two-sided 99.9 % normal quantile */
#define SCENARIO FLYT_SOURCE_DIR "/scenarios/trondheim-2025.cfg"

/* Each forecast figure and the truth it is checked against: a global
 * series, or (series -1) the census of the unit with that id (the
 * forecast's census figure of that unit). */
static const struct {
    int fc, series;
    const char *unit;
} figures[] = {
    { FLYT_FC_hospital_treatment, FLYT_SERIES_hospital_treatment, NULL },
    { FLYT_FC_ukp_waiting, FLYT_SERIES_ukp_waiting, NULL },
    { -1, -1, "short_term" },
    { -1, -1, "nursing_home" },
    { -1, -1, "home_care" },
};
#define N_FIG (sizeof figures / sizeof *figures)

/* Growth restarts at a forecast's start date (the scenario's rate is read
 * as the rate on the census date); switched off here so that the truth and
 * the forecast run on the same demand. */
static struct flyt_scenario *truth_scenario(int day)
{
    char h[64], w[64];
    snprintf(h, sizeof h, "run.horizon_days=%d", day + DAYS + 1);
    snprintf(w, sizeof w, "run.warmup_days=%d", day);
    const char *sets[] = { h, w, "population.growth_per_year=0.0" };
    return flyt_test_load(SCENARIO, sets, 3);
}

static struct flyt_scenario *forecast_scenario(int census_day, int run)
{
    char start[64], h[64], seed[64];
    int y, m, d;
    flyt_civil_from_days(census_day, &y, &m, &d);
    snprintf(start, sizeof start, "run.start_date=%04d-%02d-%02d", y, m, d);
    snprintf(h, sizeof h, "run.horizon_days=%d", DAYS + 1);
    snprintf(seed, sizeof seed, "run.seed=%d", 77000 + run); /* independent of the truth */
    const char *sets[] = { start, h, "run.warmup_days=0", seed, "population.growth_per_year=0.0" };
    return flyt_test_load(SCENARIO, sets, 5);
}

static const double *truth_series(const struct flyt_scenario *s, const struct flyt_result *r,
                                  size_t k)
{
    if (figures[k].series >= 0)
        return r->series[figures[k].series];
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, figures[k].unit) == 0)
            return flyt_result_unit_series(r, (unsigned)u, FLYT_USERIES_census);
    fail_msg("no unit %s", figures[k].unit);
    return NULL;
}

static const struct flyt_fc_figure *forecast_figure(const struct flyt_scenario *s,
                                                    const struct flyt_forecast *f, size_t k)
{
    if (figures[k].fc >= 0)
        return &f->fig[figures[k].fc];
    for (size_t i = 0; i < f->n_units; i++)
        if (strcmp(s->units[f->units[i].unit].id, figures[k].unit) == 0)
            return &f->units[i].fig[FLYT_FCU_census];
    fail_msg("no forecast unit %s", figures[k].unit);
    return NULL;
}

/* The state at `day` through a census file and back, as a planner's
 * export would come in. */
static void census_via_file(const struct flyt_scenario *s, unsigned run, int day, int census_day,
                            struct flyt_census *out)
{
    struct flyt_census c = { 0 };
    assert_int_equal(flyt_model_census_at(s, run, day, &c), 0);
    char path[256];
    snprintf(path, sizeof path, "%s/stat-forecast-%d.csv", FLYT_BINARY_DIR, (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(flyt_census_write_csv(f, &c, s, census_day), 0);
    fclose(f);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_census_read_opts o = { NULL, 0, s, INT32_MIN, NULL };
    int got;
    int rc = flyt_census_read(path, &o, out, &got, &d);
    if (rc != 0)
        fprintf(stderr, "%s", d.text);
    assert_int_equal(rc, 0);
    assert_int_equal(out->n, c.n);
    unlink(path);
    flyt_diag_free(&d);
    flyt_census_free(&c);
}

/* Expected coverage of [q_lo, q_hi] read (GSL's interpolation) from R
 * sorted draws, for a new draw from the same continuous distribution. */
static double order_coverage(double lo, double hi, int r)
{
    return ((hi - lo) * (r - 1)) / (r + 1);
}

static void bands_cover_the_realised_path_as_claimed(void **state)
{
    (void)state;
    long in90 = 0, in50 = 0, pairs = 0, fig90[N_FIG] = { 0 };
    double per_path90[RUNS * N_FIG];
    for (int run = 0; run < RUNS; run++) {
        int day = 120 + 5 * run; /* every weekday, May to September */
        struct flyt_scenario *ts = truth_scenario(day);
        int census_day =
                flyt_days_from_civil(ts->start_year, ts->start_month, ts->start_mday) + day;
        struct flyt_census c = { 0 };
        census_via_file(ts, (unsigned)run, day, census_day, &c);
        struct flyt_result truth;
        assert_int_equal(flyt_model_run(ts, (unsigned)run, &truth), 0);
        assert_true(truth.n_days == DAYS + 1);

        struct flyt_scenario *fs = forecast_scenario(census_day, run);
        struct flyt_forecast f;
        assert_int_equal(flyt_forecast_run(fs, &c, REPS, 2, DAYS + 1, 7, &f, NULL, NULL), 0);
        for (size_t k = 0; k < N_FIG; k++) {
            const struct flyt_fc_figure *g = forecast_figure(fs, &f, k);
            const double *sr = truth_series(ts, &truth, k);
            /* Day 0 is the census itself. */
            assert_near(g->q[2][0], sr[0], 0);
            long in = 0;
            for (size_t d = 1; d <= DAYS; d++) {
                double x = sr[d];
                in += x >= g->q[0][d] && x <= g->q[4][d];
                in50 += x >= g->q[1][d] && x <= g->q[3][d];
            }
            in90 += in;
            fig90[k] += in;
            pairs += DAYS;
            per_path90[run * N_FIG + k] = (double)in / DAYS;
        }
        flyt_forecast_free(&f);
        flyt_scenario_free(fs);
        flyt_result_free(&truth);
        flyt_census_free(&c);
        flyt_scenario_free(ts);
    }
    double n = RUNS * N_FIG;
    double p90 = order_coverage(0.05, 0.95, REPS), p50 = order_coverage(0.25, 0.75, REPS);
    double h90 = Z999 * sqrt(p90 * (1 - p90) / n), h50 = Z999 * sqrt(p50 * (1 - p50) / n);
    double c90 = (double)in90 / pairs, c50 = (double)in50 / pairs;
    double sd = 0, m = 0;
    for (int i = 0; i < RUNS * (int)N_FIG; i++)
        m += per_path90[i] / n;
    for (int i = 0; i < RUNS * (int)N_FIG; i++)
        sd += (per_path90[i] - m) * (per_path90[i] - m) / (n - 1);
    printf("coverage over %ld (path, day) pairs of %d paths x %zu figures:\n"
           "  90 %% band: %.3f (nominal %.3f, accepted %.3f-%.3f)\n"
           "  50 %% band: %.3f (nominal %.3f, accepted %.3f-%.3f)\n"
           "  sd of a path's 90 %% coverage: %.3f (binomial bound %.3f)\n",
           pairs, RUNS, N_FIG, c90, p90, p90 - h90, fmax(p90, 0.90) + h90, c50, p50, p50 - h50,
           fmax(p50, 0.50) + h50, sqrt(sd), sqrt(p90 * (1 - p90)));
    for (size_t k = 0; k < N_FIG; k++)
        printf("  90 %% band, %s: %.3f\n",
               figures[k].unit ? figures[k].unit : flyt_fc_series_defs[figures[k].fc].name,
               (double)fig90[k] / (RUNS * DAYS));
    assert_true(c90 >= p90 - h90 && c90 <= fmax(p90, 0.90) + h90);
    assert_true(c50 >= p50 - h50 && c50 <= fmax(p50, 0.50) + h50);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(bands_cover_the_realised_path_as_claimed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
