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
    int rc = 0;
    for (unsigned k = 0; k < repeat && rc == 0; k++) {
        struct flyt_result res;
        double t0 = flyt_cli_seconds();
        rc = flyt_model_run(s, 0, &res);
        double wall = flyt_cli_seconds() - t0;
        if (rc != 0)
            fprintf(stderr, "flyt bench: '%s' stopped: %s\n", path, res.status_detail);
        else if (k == 0 || wall < out->wall) {
            out->wall = wall;
            out->model_events = res.model_events;
            out->engine_events = res.engine_events;
            out->patients_mean = patients_mean(s, &res);
            out->arrivals = res.kpi[FLYT_KPI_arrivals];
        }
        flyt_result_free(&res);
    }
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
