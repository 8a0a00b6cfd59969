/* Replications from a census, over threads (the one task runner,
 * flyt/tasks.h), and what they say per day.
 *
 * Replication r always lands in row r, and depends only on (scenario,
 * census, r): the bands are the same whatever the thread count. */
#include "flyt/forecast.h"
#include "flyt/model.h"
#include "flyt/tasks.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FC_DEF(name, units, desc) { #name, units, desc, FLYT_RANGE_REAL },
const struct flyt_field_def flyt_fc_series_defs[FLYT_FC_N_SERIES] = { FLYT_FC_SERIES_LIST(FC_DEF) };
const struct flyt_field_def flyt_fc_unit_series_defs[FLYT_FCU_N_SERIES] = {
    FLYT_FC_UNIT_SERIES_LIST(FC_DEF)
};
#undef FC_DEF

const double flyt_fc_quantiles[FLYT_FC_N_Q] = { 0.05, 0.25, 0.50, 0.75, 0.95 };

const char *flyt_fc_unit_series_units(const struct flyt_scenario *s, int u, int k)
{
    if (k == FLYT_FCU_census && s->units[u].kind == FLYT_UNIT_BEDS)
        return "beds";
    return flyt_fc_unit_series_defs[k].units;
}

/* The figures of a forecast unit, from the model's series of the unit. */
static const int unit_series_of[FLYT_FCU_N_SERIES] = {
    [FLYT_FCU_census] = FLYT_USERIES_census,
    [FLYT_FCU_queue] = FLYT_USERIES_queue,
    [FLYT_FCU_hours] = FLYT_USERIES_hours,
};

/* The replications of one forecast, as tasks of the runner. */
struct pool {
    const struct flyt_scenario *s;
    const struct flyt_census *c;
    struct flyt_forecast *f;
    uint8_t *still; /* n_rep x census size */
    flyt_progress_fn progress;
    void *ctx;
};

static double seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Full at 00:00 of day d: every bed taken (a capacity of NaN, unlimited,
 * is never reached), or, where hours are what is short, a request waiting. */
static double unit_full(const struct flyt_scenario *s, const struct flyt_result *res,
                        const uint8_t *queued, size_t n_days, int u, size_t d)
{
    if (s->units[u].kind == FLYT_UNIT_CASELOAD)
        return queued[(size_t)u * n_days + d];
    return flyt_result_unit_series(res, (unsigned)u, FLYT_USERIES_census)[d] >=
           flyt_result_unit_series(res, (unsigned)u, FLYT_USERIES_capacity)[d];
}

/* One replication into row r of every path. */
static int one(struct pool *pl, unsigned r)
{
    struct flyt_forecast *f = pl->f;
    const struct flyt_scenario *s = pl->s;
    size_t nd = f->n_days, off = (size_t)r * nd;
    uint8_t *queued = calloc((size_t)s->n_units * (nd ? nd : 1), 1);
    struct flyt_census_track tr = { nd, f->fig[FLYT_FC_ukp_days].path + off, queued, f->check_day,
                                    pl->still + (size_t)r * (pl->c->n ? pl->c->n : 1) };
    struct flyt_result res;
    if (!queued)
        return -1;
    int rc = flyt_model_run_census(s, pl->c, r, &res, &tr);
    if (rc == 0 && (res.n_days < nd || !res.unit_series))
        rc = -1; /* the scenario's horizon is shorter than the forecast */
    if (rc == 0) {
        double cum = 0;
        for (size_t d = 0; d < nd; d++) {
            f->fig[FLYT_FC_hospital_treatment].path[off + d] =
                    res.series[FLYT_SERIES_hospital_treatment][d];
            f->fig[FLYT_FC_ukp_waiting].path[off + d] = res.series[FLYT_SERIES_ukp_waiting][d];
            cum += f->fig[FLYT_FC_ukp_days].path[off + d];
            f->fig[FLYT_FC_ukp_days_cum].path[off + d] = cum;
        }
        for (size_t i = 0; i < f->n_units; i++) {
            struct flyt_fc_unit *fu = &f->units[i];
            int u = fu->unit;
            for (int k = 0; k < FLYT_FCU_N_SERIES; k++) {
                const double *x = flyt_result_unit_series(&res, (unsigned)u, unit_series_of[k]);
                if (fu->fig[k].path)
                    memcpy(fu->fig[k].path + off, x, nd * sizeof *x);
            }
            for (size_t d = 0; d < nd; d++)
                fu->full[off + d] = unit_full(s, &res, queued, nd, u, d);
            if (r == 0)
                memcpy(fu->capacity,
                       flyt_result_unit_series(&res, (unsigned)u, FLYT_USERIES_capacity),
                       nd * sizeof *fu->capacity);
        }
    }
    free(queued);
    flyt_result_free(&res);
    return rc;
}

static int task(void *ctx, size_t r)
{
    return one(ctx, (unsigned)r);
}

static void task_done(void *ctx, size_t r, int rc)
{
    struct pool *pl = ctx;
    (void)r;
    pl->f->stopped += rc > 0;
}

static void report_progress(size_t done, size_t total, void *ctx)
{
    const struct pool *pl = ctx;
    pl->progress((unsigned)done, (unsigned)total, pl->ctx);
}

static int run_all(struct pool *pl, unsigned threads)
{
    struct flyt_tasks job = { .n = pl->f->n_rep,
                              .threads = threads,
                              .run = task,
                              .done = task_done,
                              .progress = pl->progress ? report_progress : NULL,
                              .ctx = pl };
    struct flyt_tasks_report rep;
    int rc = flyt_tasks_run(&job, &rep);
    pl->f->finished = (unsigned)rep.ran;
    return rc;
}

static int alloc_figure(struct flyt_fc_figure *g, size_t cells, size_t nd)
{
    int bad = !(g->path = calloc(cells ? cells : 1, sizeof(double)));
    bad |= !(g->mean = calloc(nd, sizeof(double)));
    for (int q = 0; q < FLYT_FC_N_Q; q++)
        bad |= !(g->q[q] = calloc(nd, sizeof(double)));
    return bad ? -1 : 0;
}

static void free_figure(struct flyt_fc_figure *g)
{
    free(g->path);
    free(g->mean);
    for (int q = 0; q < FLYT_FC_N_Q; q++)
        free(g->q[q]);
}

static int alloc(struct flyt_forecast *f, const struct flyt_scenario *s)
{
    size_t cells = (size_t)f->n_rep * f->n_days, nd = f->n_days ? f->n_days : 1;
    int bad = 0;
    for (int k = 0; k < FLYT_FC_N_SERIES; k++)
        bad |= alloc_figure(&f->fig[k], cells, nd);
    f->units = calloc(s->n_units ? (size_t)s->n_units : 1, sizeof *f->units);
    if (!f->units)
        return -1;
    for (int u = 0; u < s->n_units; u++) {
        if (u == s->hospital)
            continue;
        struct flyt_fc_unit *fu = &f->units[f->n_units++];
        fu->unit = u;
        for (int k = 0; k < FLYT_FCU_N_SERIES; k++)
            if (k != FLYT_FCU_hours || s->units[u].kind == FLYT_UNIT_CASELOAD)
                bad |= alloc_figure(&fu->fig[k], cells, nd);
        bad |= !(fu->full = calloc(cells ? cells : 1, sizeof(double)));
        bad |= !(fu->capacity = calloc(nd, sizeof(double)));
        bad |= !(fu->p_full = calloc(nd, sizeof(double)));
    }
    return bad ? -1 : 0;
}

static void bands(struct flyt_fc_figure *g, const struct flyt_forecast *f, size_t d, double *x)
{
    for (unsigned r = 0; r < f->n_rep; r++)
        x[r] = g->path[(size_t)r * f->n_days + d];
    gsl_sort(x, 1, f->n_rep);
    g->mean[d] = gsl_stats_mean(x, 1, f->n_rep);
    for (int q = 0; q < FLYT_FC_N_Q; q++)
        g->q[q][d] = gsl_stats_quantile_from_sorted_data(x, 1, f->n_rep, flyt_fc_quantiles[q]);
}

/* Bands per day over the replications that completed. */
static int summarise(struct flyt_forecast *f)
{
    double *x = malloc((f->n_rep ? f->n_rep : 1) * sizeof *x);
    if (!x)
        return -1;
    for (size_t d = 0; d < f->n_days; d++) {
        for (int k = 0; k < FLYT_FC_N_SERIES; k++)
            bands(&f->fig[k], f, d, x);
        for (size_t i = 0; i < f->n_units; i++) {
            struct flyt_fc_unit *fu = &f->units[i];
            for (int k = 0; k < FLYT_FCU_N_SERIES; k++)
                if (fu->fig[k].path)
                    bands(&fu->fig[k], f, d, x);
            double n = 0;
            for (unsigned r = 0; r < f->n_rep; r++)
                n += fu->full[(size_t)r * f->n_days + d];
            fu->p_full[d] = n / f->n_rep;
        }
    }
    free(x);
    return 0;
}

struct still {
    double p;
    uint32_t row;
};

/* Most likely to still wait first; the census row breaks ties. */
static int by_p(const void *a, const void *b)
{
    const struct still *x = a, *y = b;
    if (x->p != y->p)
        return x->p > y->p ? -1 : 1;
    return x->row < y->row ? -1 : x->row > y->row;
}

static int still_waiting(struct flyt_forecast *f, const struct flyt_census *c, const uint8_t *st)
{
    size_t n = 0;
    for (size_t k = 0; k < c->n; k++)
        n += c->p[k].loc == FLYT_CENSUS_UKP;
    struct still *s = malloc((n ? n : 1) * sizeof *s);
    f->ukp_row = malloc((n ? n : 1) * sizeof *f->ukp_row);
    f->p_still_ukp = malloc((n ? n : 1) * sizeof *f->p_still_ukp);
    if (!s || !f->ukp_row || !f->p_still_ukp) {
        free(s);
        return -1;
    }
    n = 0;
    for (size_t k = 0; k < c->n; k++) {
        if (c->p[k].loc != FLYT_CENSUS_UKP)
            continue;
        double yes = 0;
        for (unsigned r = 0; r < f->n_rep; r++)
            yes += st[(size_t)r * c->n + k];
        s[n++] = (struct still){ yes / f->n_rep, c->p[k].row };
    }
    qsort(s, n, sizeof *s, by_p);
    for (size_t i = 0; i < n; i++) {
        f->ukp_row[i] = s[i].row;
        f->p_still_ukp[i] = s[i].p;
    }
    f->n_ukp = n;
    free(s);
    return 0;
}

int flyt_forecast_run(const struct flyt_scenario *s, const struct flyt_census *c, unsigned n_rep,
                      unsigned threads, size_t n_days, size_t check_day, struct flyt_forecast *out,
                      flyt_progress_fn progress, void *ctx)
{
    memset(out, 0, sizeof *out);
    out->n_rep = n_rep;
    out->n_days = n_days;
    out->check_day = check_day;
    double t0 = seconds();
    struct pool pl = { .s = s, .c = c, .f = out, .progress = progress, .ctx = ctx };
    pl.still = calloc((size_t)n_rep * (c->n ? c->n : 1), 1);
    if (!pl.still || alloc(out, s) != 0) {
        free(pl.still);
        return -1;
    }
    int rc = run_all(&pl, threads);
    /* bands from some replications would look like a forecast: none */
    if (rc >= 0 && rc != FLYT_EXPERIMENT_STOPPED &&
        (summarise(out) != 0 || still_waiting(out, c, pl.still) != 0))
        rc = -1;
    free(pl.still);
    out->wall_seconds = seconds() - t0;
    return rc;
}

void flyt_forecast_free(struct flyt_forecast *f)
{
    for (int k = 0; k < FLYT_FC_N_SERIES; k++)
        free_figure(&f->fig[k]);
    for (size_t i = 0; f->units && i < f->n_units; i++) {
        struct flyt_fc_unit *fu = &f->units[i];
        for (int k = 0; k < FLYT_FCU_N_SERIES; k++)
            free_figure(&fu->fig[k]);
        free(fu->full);
        free(fu->capacity);
        free(fu->p_full);
    }
    free(f->units);
    free(f->ukp_row);
    free(f->p_still_ukp);
    memset(f, 0, sizeof *f);
}
