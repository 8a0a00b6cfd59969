/* flyt bench --only region: a region scenario file for one simulated year
 * on one thread (speed, and the mean number of patients in the system it
 * carries), and its peak memory in a child process of its own, so that a
 * run from one municipality to the whole country shows how each grows. */
#include "cli/bench.h"
#include "cli/cli.h"
#include "flyt/model.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <string.h>

static struct flyt_scenario *load_year(const char *path, unsigned long long seed, bool series_off)
{
    char s_seed[64];
    snprintf(s_seed, sizeof s_seed, "run.seed=%llu", seed);
    const char *sets[] = { "run.horizon_days=365", "run.warmup_days=0", s_seed };
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(path, sets, 3, &diag);
    if (!s)
        fprintf(stderr, "%sflyt bench: cannot load the region '%s'\n", diag.text ? diag.text : "",
                path);
    flyt_diag_free(&diag);
    if (s)
        s->series_off = series_off;
    return s;
}

/* Patients in the system, time-averaged: hospital (treatment and UKP) and
 * every other unit's census. */
static double patients_mean(const struct flyt_scenario *s, const struct flyt_result *r)
{
    double n = r->kpi[FLYT_KPI_occ_hospital_treatment] + r->kpi[FLYT_KPI_occ_ukp];
    for (int u = 0; u < s->n_units && r->unit_kpi; u++)
        if (!s->units[u].hospital)
            n += flyt_result_unit_kpi(r, (unsigned)u)[FLYT_UNIT_KPI_occupancy];
    return n;
}

struct child_arg {
    const char *path;
    unsigned long long seed;
};

static int child(void *arg)
{
    const struct child_arg *a = arg;
    struct flyt_scenario *s = load_year(a->path, a->seed, true);
    if (!s)
        return -1;
    struct flyt_result res;
    int rc = flyt_model_run(s, 0, &res);
    flyt_result_free(&res);
    flyt_scenario_free(s);
    return rc == 0 ? 0 : -1;
}

/* The fastest of repeat runs of s; -1 when one stops. */
static int fastest(const char *path, const struct flyt_scenario *s, unsigned repeat, double *wall,
                   struct flyt_result *keep)
{
    for (unsigned k = 0; k < repeat; k++) {
        struct flyt_result res;
        double t0 = flyt_cli_seconds();
        int rc = flyt_model_run(s, 0, &res);
        double w = flyt_cli_seconds() - t0;
        if (rc != 0) {
            fprintf(stderr, "flyt bench: '%s' stopped: %s\n", path, res.status_detail);
            flyt_result_free(&res);
            return -1;
        }
        if (k == 0 || w < *wall) {
            *wall = w;
            flyt_result_free(keep);
            *keep = res;
        } else {
            flyt_result_free(&res);
        }
    }
    return 0;
}

int flyt_bench_region(const char *path, unsigned long long seed, unsigned repeat,
                      struct bench_region *out)
{
    memset(out, 0, sizeof *out);
    out->path = path;
    struct flyt_scenario *s = load_year(path, seed, false);
    if (!s)
        return -1;
    snprintf(out->name, sizeof out->name, "%s", s->name ? s->name : path);
    out->munis = s->n_munis > 0 ? s->n_munis : 1;
    out->units = s->n_units;
    out->catchments = flyt_model_catchments(s);
    struct flyt_result res = { 0 }, one = { 0 };
    int rc = fastest(path, s, repeat, &out->wall, &res);
    if (rc == 0) {
        out->model_events = res.model_events;
        out->engine_events = res.engine_events;
        out->patients_mean = patients_mean(s, &res);
        out->arrivals = res.kpi[FLYT_KPI_arrivals];
    }
    if (rc == 0 && out->catchments > 1) {
        s->one_calendar = true;
        rc = fastest(path, s, repeat, &out->wall_one, &one);
        out->model_events_one = one.model_events;
    }
    flyt_result_free(&res);
    flyt_result_free(&one);
    flyt_scenario_free(s);
    if (rc != 0)
        return -1;
    out->events_per_s = (double)out->model_events / out->wall;
    struct child_arg a = { path, seed };
    long base = 0;
    if (flyt_bench_in_child(child, &a, &base, &out->rss_kb) != 0) {
        fprintf(stderr, "flyt bench: the memory run of '%s' failed\n", path);
        return -1;
    }
    return 0;
}
