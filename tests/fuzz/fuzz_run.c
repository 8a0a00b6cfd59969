/* libFuzzer target: load arbitrary bytes as a scenario and, when they load,
 * run one short replication under a budget (60 days, 20,000 patients at
 * once, two million events). The loader's target cannot find what only a
 * run shows: handlers that loop at one instant, delays counted day by day,
 * fills that grow without bound. Whatever the input, the run must end with
 * a known status, and when it ends normally every patient is accounted
 * for: initial + arrivals = departures + present at the end, and a region
 * of several catchments gives the same result run catchment by catchment
 * (docs/region.md, "Catchments"). */
#include "fuzz.h"

#include "flyt/model.h"
#include "flyt/scenario.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void budget(struct flyt_scenario *s)
{
    if (s->horizon_days > 60.0) {
        s->horizon_days = 60.0;
        if (s->warmup_days >= s->horizon_days)
            s->warmup_days = 30.0;
    }
    if (s->max_patients > 20000)
        s->max_patients = 20000;
    s->replications = 1;
    s->max_events = 2000000;
}

/* The budget keeps a region on one calendar (it counts the whole run's
 * events). A region with several catchments that ended within it runs
 * again catchment by catchment, without the budget (the same events, and
 * a day's event per catchment), and must give the same result bit for
 * bit. */
static void catchments_as_one_calendar(struct flyt_scenario *s, const struct flyt_result *one)
{
    s->max_events = 0;
    if (flyt_model_catchments(s) < 2)
        return;
    struct flyt_result split;
    flyt_model_run(s, 0, &split);
    const char *d = flyt_result_diff(&split, one);
    if (d) {
        fprintf(stderr, "catchments differ from one calendar: %s\n", d);
        abort();
    }
    flyt_result_free(&split);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_text(data, size);
    if (!text)
        return 0;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s =
            flyt_scenario_load_string(text, "fuzz.cfg", FUZZ_INCLUDE_DIR, NULL, 0, &diag);
    flyt_diag_free(&diag);
    free(text);
    if (!s)
        return 0;
    budget(s);
    if (getenv("FUZZ_RUN_VERBOSE"))
        fprintf(stderr, "run: %s\n", s->name);
    struct flyt_result r;
    int rc = flyt_model_run(s, 0, &r);
    if (!flyt_run_status_kept(r.status))
        abort();
    if ((rc == 0) != (r.status == FLYT_RUN_OK))
        abort();
    if (r.status == FLYT_RUN_OK) {
        const double *k = r.kpi;
        double in = k[FLYT_KPI_patients_initial] + k[FLYT_KPI_patients_in];
        double out = k[FLYT_KPI_patients_out] + k[FLYT_KPI_patients_at_end];
        if (in != out)
            abort();
        catchments_as_one_calendar(s, &r);
    }
    flyt_result_free(&r);
    flyt_scenario_free(s);
    return 0;
}
