/* flyt bench: speed on the benchmark model PF1 (shared/BENCHMARK-PF1.md),
 * run from its scenario file compiled into the binary. Prints figures; it
 * is never a pass/fail test. */
#include "cli/cli.h"
#include "flyt/model.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

extern const char flyt_pf1_scenario[];

struct scale {
    const char *name;
    double mult, years, warmup;
};

/* S2 is PF1's default (K = 1, 20 years); S1 a short run of the same city;
 * S3 ten times the city (beds and arrivals). */
static const struct scale scales[] = {
    { "S1", 1.0, 10.0, 5.0 },
    { "S2", 1.0, 20.0, 5.0 },
    { "S3", 10.0, 20.0, 5.0 },
};

static void usage(FILE *out)
{
    fputs("Usage: flyt bench [options]\n"
          "\n"
          "Runs the benchmark model PF1 single-threaded and prints model events per\n"
          "second (PF1's definition: arrivals + discharge-ready + home-care, short-term\n"
          "and nursing-home ends), milliseconds per simulated year and PF1's check\n"
          "figures. Scales: S1 = K 1, 10 years; S2 = K 1, 20 years (PF1 default);\n"
          "S3 = K 10, 20 years; all with 5 years of warm-up.\n"
          "\n"
          "Options:\n"
          "      --scale S     S1, S2, S3, or all (default: S1 and S2)\n"
          "      --mult K      custom city-size multiplier (with --years)\n"
          "      --years Y     custom horizon in years (default 20)\n"
          "      --warmup W    warm-up years for a custom run (default 5)\n"
          "      --seed S      random seed (default 1)\n"
          "      --json        machine-readable output\n"
          "  -h, --help        this help\n",
          out);
}

struct bench_row {
    struct scale sc;
    double wall, events_per_s, ms_per_year, rss_mb;
    struct flyt_result res;
};

static long peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static int run_scale(const struct scale *sc, unsigned long long seed, struct bench_row *row)
{
    char s_h[64], s_w[64], s_a[64], s_st[64], s_nh[64], s_hc[64], s_seed[64];
    snprintf(s_h, sizeof s_h, "run.horizon_days=%.17g", 365.0 * sc->years);
    snprintf(s_w, sizeof s_w, "run.warmup_days=%.17g", 365.0 * sc->warmup);
    snprintf(s_a, sizeof s_a, "population.admissions_per_day=%.17g", sc->mult * 10000.0 / 365.0);
    snprintf(s_st, sizeof s_st, "units.short_term.beds=%.0f", 120.0 * sc->mult);
    snprintf(s_nh, sizeof s_nh, "units.nursing_home.beds=%.0f", 1000.0 * sc->mult);
    snprintf(s_hc, sizeof s_hc, "units.home_care.hours_per_week=%.17g", 200.0 * sc->mult);
    snprintf(s_seed, sizeof s_seed, "run.seed=%llu", seed);
    const char *sets[] = { s_h, s_w, s_a, s_st, s_nh, s_hc, s_seed };
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s =
            flyt_scenario_load_string(flyt_pf1_scenario, "<pf1>", NULL, sets, 7, &diag);
    if (!s) {
        fputs(diag.text ? diag.text : "flyt bench: cannot load PF1\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    row->sc = *sc;
    double t0 = flyt_cli_seconds();
    int rc = flyt_model_run(s, 0, &row->res);
    row->wall = flyt_cli_seconds() - t0;
    flyt_scenario_free(s);
    if (rc != 0) {
        fprintf(stderr, "flyt bench: %s stopped: %s\n", sc->name, row->res.status_detail);
        return EXIT_FAIL;
    }
    row->events_per_s = (double)row->res.model_events / row->wall;
    row->ms_per_year = 1000.0 * row->wall / sc->years;
    row->rss_mb = (double)peak_rss_kb() / 1024.0;
    return EXIT_OK;
}

static void print_rows(const struct bench_row *rows, int n, bool json)
{
    if (json) {
        printf("{\"benchmark\": \"PF1 v1\", \"flyt_version\": \"%s\", \"commit\": \"%s\", "
               "\"runs\": [",
               FLYT_VERSION, FLYT_GIT_COMMIT);
        for (int i = 0; i < n; i++) {
            const struct bench_row *r = &rows[i];
            const double *k = r->res.kpi;
            printf("%s\n  {\"scale\": \"%s\", \"mult\": %g, \"years\": %g, \"warmup_years\": %g, "
                   "\"model_events\": %llu, \"engine_events\": %llu, \"wall_s\": %.6f, "
                   "\"model_events_per_s\": %.0f, \"ms_per_simulated_year\": %.3f, "
                   "\"peak_rss_mb\": %.1f, \"n_ready\": %.0f, \"mean_wait_all\": %.6f, "
                   "\"mean_wait_hc\": %.6f, \"mean_wait_st\": %.6f, \"mean_wait_nh\": %.6f, "
                   "\"mean_los_st\": %.6f}",
                   i ? "," : "", r->sc.name, r->sc.mult, r->sc.years, r->sc.warmup,
                   (unsigned long long)r->res.model_events,
                   (unsigned long long)r->res.engine_events, r->wall, r->events_per_s,
                   r->ms_per_year, r->rss_mb, k[FLYT_KPI_ukp_patients], k[FLYT_KPI_ukp_wait_mean],
                   k[FLYT_KPI_ukp_wait_mean_home_care], k[FLYT_KPI_ukp_wait_mean_short_term],
                   k[FLYT_KPI_ukp_wait_mean_nursing_home], k[FLYT_KPI_st_los_mean]);
        }
        printf("\n]}\n");
        return;
    }
    printf("PF1 v1, single thread (flyt %s, commit %s)\n", FLYT_VERSION, FLYT_GIT_COMMIT);
    printf("%-5s %5s %6s %12s %9s %14s %11s %9s %10s %10s\n", "scale", "K", "years", "model_events",
           "wall_s", "events/s", "ms/sim-yr", "rss_MB", "los_st", "wait_all");
    for (int i = 0; i < n; i++) {
        const struct bench_row *r = &rows[i];
        printf("%-5s %5g %6g %12llu %9.3f %14.0f %11.2f %9.1f %10.3f %10.4f\n", r->sc.name,
               r->sc.mult, r->sc.years, (unsigned long long)r->res.model_events, r->wall,
               r->events_per_s, r->ms_per_year, r->rss_mb, r->res.kpi[FLYT_KPI_st_los_mean],
               r->res.kpi[FLYT_KPI_ukp_wait_mean]);
    }
}

int flyt_cmd_bench(int argc, char **argv)
{
    const char *which = NULL;
    struct scale custom = { "custom", 0, 20, 5 };
    unsigned long long seed = 1;
    bool json = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = true;
        } else if (strcmp(a, "--scale") == 0 && v) {
            which = argv[++i];
        } else if (strcmp(a, "--mult") == 0 && v && (custom.mult = atof(argv[++i])) > 0) {
        } else if (strcmp(a, "--years") == 0 && v && (custom.years = atof(argv[++i])) > 0) {
        } else if (strcmp(a, "--warmup") == 0 && v && (custom.warmup = atof(argv[++i])) >= 0) {
        } else if (strcmp(a, "--seed") == 0 && v) {
            if (!flyt_cli_parse_uint(a, argv[++i], 0, 9223372036854775807ULL, &seed))
                return EXIT_BAD_INPUT;
        } else {
            fprintf(stderr, "flyt bench: error: bad option '%s' (see flyt bench --help)\n", a);
            return EXIT_BAD_INPUT;
        }
    }
    struct scale list[4];
    int n = 0;
    if (custom.mult > 0) {
        if (custom.warmup >= custom.years) {
            fputs("flyt bench: error: --warmup must be shorter than --years\n", stderr);
            return EXIT_BAD_INPUT;
        }
        list[n++] = custom;
    } else {
        for (int i = 0; i < 3; i++)
            if ((!which && i < 2) ||
                (which && (strcmp(which, "all") == 0 || strcmp(which, scales[i].name) == 0)))
                list[n++] = scales[i];
        if (n == 0) {
            fprintf(stderr, "flyt bench: error: --scale is S1, S2, S3 or all, got '%s'\n", which);
            return EXIT_BAD_INPUT;
        }
    }
    struct bench_row rows[4];
    memset(rows, 0, sizeof rows);
    int rc = EXIT_OK;
    for (int i = 0; i < n && rc == EXIT_OK; i++)
        rc = run_scale(&list[i], seed, &rows[i]);
    if (rc == EXIT_OK)
        print_rows(rows, n, json);
    for (int i = 0; i < n; i++)
        flyt_result_free(&rows[i].res);
    return rc;
}
