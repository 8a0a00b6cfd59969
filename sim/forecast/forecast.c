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

#define FC_DEF(name, units, desc) { #name, units, desc },
const struct flyt_field_def flyt_fc_series_defs[FLYT_FC_N_SERIES] = { FLYT_FC_SERIES_LIST(FC_DEF) };
#undef FC_DEF

const double flyt_fc_quantiles[FLYT_FC_N_Q] = { 0.05, 0.25, 0.50, 0.75, 0.95 };

/* The forecast still reports the three places of the census format; each
 * is the unit of that id in the scenario's network (NaN when it has none). */
static int unit_named(const struct flyt_scenario *s, const char *id)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return u;
    return -1;
}

static double useries(const struct flyt_scenario *s, const struct flyt_result *r, const char *id,
                      int k, size_t d)
{
    int u = unit_named(s, id);
    return u < 0 || !r->unit_series ? NAN : flyt_result_unit_series(r, (unsigned)u, k)[d];
}

static double nh_queue(const struct flyt_scenario *s, const struct flyt_result *r, size_t d)
{
    return useries(s, r, "nursing_home", FLYT_USERIES_queue, d);
}

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

/* One replication into row r of every path. */
static int one(struct pool *pl, unsigned r)
{
    struct flyt_forecast *f = pl->f;
    size_t nd = f->n_days, off = (size_t)r * nd;
    uint8_t *hc_full = calloc(nd ? nd : 1, 1);
    struct flyt_census_track tr = { nd, f->path[FLYT_FC_ukp_days] + off, hc_full, f->check_day,
                                    pl->still + (size_t)r * (pl->c->n ? pl->c->n : 1) };
    struct flyt_result res;
    if (!hc_full)
        return -1;
    int rc = flyt_model_run_census(pl->s, pl->c, r, &res, &tr);
    if (rc == 0 && res.n_days < nd)
        rc = -1; /* the scenario's horizon is shorter than the forecast */
    if (rc == 0) {
        double cum = 0;
        for (size_t d = 0; d < nd; d++) {
            const struct flyt_scenario *s = pl->s;
            f->path[FLYT_FC_hospital_treatment][off + d] =
                    res.series[FLYT_SERIES_hospital_treatment][d];
            f->path[FLYT_FC_ukp_waiting][off + d] = res.series[FLYT_SERIES_ukp_waiting][d];
            f->path[FLYT_FC_short_term][off + d] =
                    useries(s, &res, "short_term", FLYT_USERIES_census, d);
            f->path[FLYT_FC_nursing_home][off + d] =
                    useries(s, &res, "nursing_home", FLYT_USERIES_census, d);
            f->path[FLYT_FC_home_care_users][off + d] =
                    useries(s, &res, "home_care", FLYT_USERIES_census, d);
            f->path[FLYT_FC_home_care_hours][off + d] =
                    useries(s, &res, "home_care", FLYT_USERIES_hours, d);
            f->path[FLYT_FC_nh_queue][off + d] = nh_queue(s, &res, d);
            cum += f->path[FLYT_FC_ukp_days][off + d];
            f->path[FLYT_FC_ukp_days_cum][off + d] = cum;
            f->full[FLYT_FC_FULL_ST][off + d] =
                    useries(s, &res, "short_term", FLYT_USERIES_census, d) >=
                    useries(s, &res, "short_term", FLYT_USERIES_capacity, d);
            f->full[FLYT_FC_FULL_NH][off + d] =
                    useries(s, &res, "nursing_home", FLYT_USERIES_census, d) >=
                    useries(s, &res, "nursing_home", FLYT_USERIES_capacity, d);
            f->full[FLYT_FC_FULL_HC][off + d] = hc_full[d];
            if (r == 0) {
                f->capacity[FLYT_FC_FULL_ST][d] =
                        useries(s, &res, "short_term", FLYT_USERIES_capacity, d);
                f->capacity[FLYT_FC_FULL_NH][d] =
                        useries(s, &res, "nursing_home", FLYT_USERIES_capacity, d);
                f->capacity[FLYT_FC_FULL_HC][d] =
                        useries(s, &res, "home_care", FLYT_USERIES_capacity, d);
            }
        }
    }
    free(hc_full);
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

static int alloc(struct flyt_forecast *f)
{
    size_t cells = (size_t)f->n_rep * f->n_days, nd = f->n_days ? f->n_days : 1;
    int bad = 0;
    for (int k = 0; k < FLYT_FC_N_SERIES; k++) {
        bad |= !(f->path[k] = calloc(cells ? cells : 1, sizeof(double)));
        bad |= !(f->mean[k] = calloc(nd, sizeof(double)));
        for (int q = 0; q < FLYT_FC_N_Q; q++)
            bad |= !(f->q[k][q] = calloc(nd, sizeof(double)));
    }
    for (int u = 0; u < FLYT_FC_N_FULL; u++) {
        bad |= !(f->full[u] = calloc(cells ? cells : 1, sizeof(double)));
        bad |= !(f->capacity[u] = calloc(nd, sizeof(double)));
        bad |= !(f->p_full[u] = calloc(nd, sizeof(double)));
    }
    return bad ? -1 : 0;
}

/* Bands per day over the replications that completed. */
static int summarise(struct flyt_forecast *f)
{
    double *x = malloc((f->n_rep ? f->n_rep : 1) * sizeof *x);
    if (!x)
        return -1;
    for (size_t d = 0; d < f->n_days; d++) {
        for (int k = 0; k < FLYT_FC_N_SERIES; k++) {
            for (unsigned r = 0; r < f->n_rep; r++)
                x[r] = f->path[k][(size_t)r * f->n_days + d];
            gsl_sort(x, 1, f->n_rep);
            f->mean[k][d] = gsl_stats_mean(x, 1, f->n_rep);
            for (int q = 0; q < FLYT_FC_N_Q; q++)
                f->q[k][q][d] =
                        gsl_stats_quantile_from_sorted_data(x, 1, f->n_rep, flyt_fc_quantiles[q]);
        }
        for (int u = 0; u < FLYT_FC_N_FULL; u++) {
            double n = 0;
            for (unsigned r = 0; r < f->n_rep; r++)
                n += f->full[u][(size_t)r * f->n_days + d];
            f->p_full[u][d] = n / f->n_rep;
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
        n += c->p[k].loc == FLYT_LOC_UKP;
    struct still *s = malloc((n ? n : 1) * sizeof *s);
    f->ukp_row = malloc((n ? n : 1) * sizeof *f->ukp_row);
    f->p_still_ukp = malloc((n ? n : 1) * sizeof *f->p_still_ukp);
    if (!s || !f->ukp_row || !f->p_still_ukp) {
        free(s);
        return -1;
    }
    n = 0;
    for (size_t k = 0; k < c->n; k++) {
        if (c->p[k].loc != FLYT_LOC_UKP)
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
    if (!pl.still || alloc(out) != 0) {
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
    for (int k = 0; k < FLYT_FC_N_SERIES; k++) {
        free(f->path[k]);
        free(f->mean[k]);
        for (int q = 0; q < FLYT_FC_N_Q; q++)
            free(f->q[k][q]);
    }
    for (int u = 0; u < FLYT_FC_N_FULL; u++) {
        free(f->full[u]);
        free(f->capacity[u]);
        free(f->p_full[u]);
    }
    free(f->ukp_row);
    free(f->p_still_ukp);
    memset(f, 0, sizeof *f);
}
