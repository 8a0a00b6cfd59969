/* flyt bench: speed on the benchmark model PF1 (scenarios/bench/pf1.cfg),
 * run from that scenario file compiled into the binary, on the default
 * Trondheim scenario, against a bare event loop (bench_bare.c), across
 * threads, and peak memory against the horizon. Prints figures; it is
 * never a pass/fail test. */
#include "cli/bench.h"
#include "cli/cli.h"
#include "flyt/experiment.h"
#include "flyt/model.h"
#include "flyt/scenario.h"
#include "flyt/version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const char flyt_pf1_scenario[];
extern const char flyt_pf1_network_scenario[];
extern const char flyt_default_scenario[];

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

enum {
    PART_PF1 = 1u << 0,
    PART_TRONDHEIM = 1u << 1,
    PART_BARE = 1u << 2,
    PART_THREADS = 1u << 3,
    PART_MEMORY = 1u << 4,
    PART_NETWORK = 1u << 5,
    PART_REGION = 1u << 6, /* reads files: only when asked for */
    PART_ALL = (1u << 6) - 1
};
static const char *const part_names[] = { "pf1",    "trondheim", "bare",  "threads",
                                          "memory", "network",   "region" };

#define MAX_REGIONS 6
/* From one municipality to the country (scenarios/region/, from the
 * repository's root). */
static const char *const default_regions[] = { "scenarios/region/trondheim.cfg",
                                               "scenarios/region/st-olavs.cfg",
                                               "scenarios/region/troms-ofoten.cfg",
                                               "scenarios/region/norway.cfg" };

#define TR_REPS         10 /* Trondheim replications, one after another */
#define MAX_THREAD_ROWS 8
static const double mem_years[2] = { 1.0, 100.0 };

static void usage(FILE *out)
{
    fputs("Usage: flyt bench [options]\n"
          "\n"
          "Speed figures, never a pass/fail test. Parts (all by default):\n"
          "  pf1        benchmark model PF1 single-threaded: model events per second (PF1's\n"
          "             definition: arrivals + discharge-ready + home-care, short-term and\n"
          "             nursing-home ends), ms per simulated year, peak memory, check figures;\n"
          "             S1 = K 1, 10 years; S2 = K 1, 20 years (PF1 default); S3 = K 10,\n"
          "             20 years; all with 5 years of warm-up\n"
          "  trondheim  the built-in default scenario, single thread: events per second and\n"
          "             ms per city-year\n"
          "  bare       a bare binary-heap loop with exponential draws and no model, as many\n"
          "             events as PF1 at S2 with PF1's mean number of patients pending; and\n"
          "             the ratio flyt/bare\n"
          "  threads    replications per second of the default scenario at 1, 2, 4, ...\n"
          "             threads up to the CPUs online, with the parallel efficiency\n"
          "  memory     peak resident memory of PF1 (K 1, no warm-up, no daily series)\n"
          "             at a 1- and a 100-year horizon, each in a child process of its own\n"
          "  network    PF1 as a network of 8 units (scenarios/bench/pf1-network.cfg:\n"
          "             finite hospital, rehabilitation, KAD, virtual ward, sheltered\n"
          "             housing): model events per second over 20 years, and peak\n"
          "             memory after 20 and 100 years without daily series\n"
          "  region     region scenarios (default: scenarios/region/trondheim, st-olavs,\n"
          "             troms-ofoten and norway .cfg, from the repository's root; or\n"
          "             --region FILE, repeatable): one simulated year on one thread,\n"
          "             model events per second against PF1 at S2 in the same run, mean\n"
          "             patients in the system and peak memory; a region of several\n"
          "             catchments also on one calendar (the same figures); not part\n"
          "             of 'all'\n"
          "\n"
          "Options:\n"
          "      --only LIST   parts to run, comma-separated (pf1,trondheim,bare,threads,memory,\n"
          "                    network)\n"
          "      --scale S     PF1 scales: S1, S2, S3, or all (default: all)\n"
          "      --mult K      custom city-size multiplier (with --years) instead of the scales\n"
          "      --years Y     custom horizon in years (default 20)\n"
          "      --warmup W    warm-up years for a custom run (default 5)\n"
          "      --seed S      random seed (default 1)\n"
          "      --repeat N    time each part N times, keep the fastest (default 5)\n"
          "      --json        machine-readable output\n"
          "  -h, --help        this help\n",
          out);
}

struct bench_row {
    struct scale sc;
    double wall, events_per_s, ms_per_year, rss_mb;
    struct flyt_result res;
};

struct trondheim_fig {
    unsigned reps;
    double horizon_years, wall, events_per_s, engine_events_per_s, ms_per_city_year;
    uint64_t model_events, engine_events;
};

/* PF1 as a network of 8 units: speed at S2 and the process's memory at
 * two horizons (no daily series: memory should follow patients, not units
 * x horizon). */
struct network_fig {
    unsigned units;
    double wall, events_per_s, ms_per_year;
    uint64_t model_events;
    long rss_kb[2]; /* peak resident memory after a 20- and a 100-year run */
};

struct thread_fig {
    unsigned threads, reps;
    double wall, reps_per_s, speedup, efficiency;
};

struct mem_fig {
    double years;
    long base_kb, peak_kb;
};

struct bench {
    unsigned parts;
    unsigned long long seed;
    unsigned repeat;
    bool json;
    struct bench_machine machine;
    struct bench_row rows[4];
    int n_rows;
    struct bench_row ref; /* PF1 at S2 for the bare loop, when not among rows */
    struct trondheim_fig tr;
    struct bench_bare bare;
    const struct bench_row *bare_vs; /* the PF1 S2 run it is compared with */
    double bare_pending_mean;
    struct thread_fig th[MAX_THREAD_ROWS];
    int n_th;
    struct mem_fig mem[2];
    struct network_fig net;
    const char *region_path[MAX_REGIONS];
    int n_regions;
    struct bench_region region[MAX_REGIONS];
    const struct bench_row *region_vs; /* PF1 at S2, run beside the regions */
};

static struct flyt_scenario *load_embedded(const char *text, const char *name,
                                           const char *const *sets, int n_sets)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load_string(text, name, NULL, sets, n_sets, &diag);
    if (!s)
        fprintf(stderr, "%sflyt bench: cannot load %s\n", diag.text ? diag.text : "", name);
    flyt_diag_free(&diag);
    return s;
}

/* Runs PF1 at one scale `repeat` times and keeps the fastest wall time;
 * the results are the same every time (same seed). series_off: without
 * daily series (the memory part). */
static int run_scale_series(const struct scale *sc, unsigned long long seed, unsigned repeat,
                            bool series_off, struct bench_row *row)
{
    char s_h[64], s_w[64], s_a[64], s_st[64], s_nh[64], s_hc[64], s_seed[64];
    snprintf(s_h, sizeof s_h, "run.horizon_days=%.17g", 365.0 * sc->years);
    snprintf(s_w, sizeof s_w, "run.warmup_days=%.17g", 365.0 * sc->warmup);
    snprintf(s_a, sizeof s_a, "population.admissions_per_day=%.17g", sc->mult * 10000.0 / 365.0);
    snprintf(s_st, sizeof s_st, "units.short_term.capacity=%.0f", 120.0 * sc->mult);
    snprintf(s_nh, sizeof s_nh, "units.nursing_home.capacity=%.0f", 1000.0 * sc->mult);
    snprintf(s_hc, sizeof s_hc, "units.home_care.capacity=%.17g", 200.0 * sc->mult);
    snprintf(s_seed, sizeof s_seed, "run.seed=%llu", seed);
    const char *sets[] = { s_h, s_w, s_a, s_st, s_nh, s_hc, s_seed };
    struct flyt_scenario *s = load_embedded(flyt_pf1_scenario, "<pf1>", sets, 7);
    if (!s)
        return EXIT_BAD_INPUT;
    s->series_off = series_off;
    row->sc = *sc;
    for (unsigned k = 0; k < repeat; k++) {
        struct flyt_result res;
        memset(&res, 0, sizeof res);
        double t0 = flyt_cli_seconds();
        int rc = flyt_model_run(s, 0, &res);
        double wall = flyt_cli_seconds() - t0;
        if (rc != 0) {
            fprintf(stderr, "flyt bench: %s stopped: %s\n", sc->name, res.status_detail);
            flyt_result_free(&res);
            flyt_scenario_free(s);
            return EXIT_FAIL;
        }
        if (k == 0 || wall < row->wall)
            row->wall = wall;
        if (k == 0)
            row->res = res;
        else
            flyt_result_free(&res);
    }
    flyt_scenario_free(s);
    row->events_per_s = (double)row->res.model_events / row->wall;
    row->ms_per_year = 1000.0 * row->wall / sc->years;
    row->rss_mb = (double)flyt_bench_peak_rss_kb() / 1024.0;
    return EXIT_OK;
}

static int run_scale(const struct scale *sc, unsigned long long seed, unsigned repeat,
                     struct bench_row *row)
{
    return run_scale_series(sc, seed, repeat, false, row);
}

/* PF1's mean number of patients in the system after warm-up: each has
 * about one event pending, except those blocked in a bed. */
static double pf1_patients_mean(const struct flyt_result *r)
{
    const double *k = r->kpi;
    double n = k[FLYT_KPI_occ_hospital_treatment] + k[FLYT_KPI_occ_ukp];
    for (unsigned u = 1; u < r->n_units; u++) /* unit 0 is the hospital, counted above */
        n += flyt_result_unit_kpi(r, u)[FLYT_UNIT_KPI_occupancy];
    return n;
}

/* The units of the embedded scenarios (scenarios/bench/pf1.cfg and the
 * Trondheim baseline list them in this order). */
enum { BENCH_SHORT_TERM = 1, BENCH_NURSING_HOME = 2, BENCH_HOME_CARE = 3 };

static double unit_kpi(const struct flyt_result *r, unsigned u, int k)
{
    return u < r->n_units && r->unit_kpi ? flyt_result_unit_kpi(r, u)[k] : NAN;
}

/* PF1 at S2 from the PF1 part, or run for the comparison. */
static const struct bench_row *pf1_s2(struct bench *b)
{
    for (int i = 0; i < b->n_rows && (b->parts & PART_PF1); i++)
        if (strcmp(b->rows[i].sc.name, "S2") == 0)
            return &b->rows[i];
    if (b->ref.wall > 0)
        return &b->ref;
    return run_scale(&scales[1], b->seed, b->repeat, &b->ref) == EXIT_OK ? &b->ref : NULL;
}

static int run_regions(struct bench *b)
{
    if (b->n_regions == 0)
        for (size_t i = 0; i < sizeof default_regions / sizeof default_regions[0]; i++)
            b->region_path[b->n_regions++] = default_regions[i];
    for (int i = 0; i < b->n_regions; i++)
        if (flyt_bench_region(b->region_path[i], b->seed, b->repeat, &b->region[i]) != 0)
            return EXIT_FAIL;
    b->region_vs = pf1_s2(b);
    return b->region_vs ? EXIT_OK : EXIT_FAIL;
}

static int run_bare(struct bench *b)
{
    b->bare_vs = pf1_s2(b);
    if (!b->bare_vs)
        return EXIT_FAIL;
    b->bare_pending_mean = pf1_patients_mean(&b->bare_vs->res);
    size_t pending = b->bare_pending_mean >= 1.0 ? (size_t)(b->bare_pending_mean + 0.5) : 1;
    for (unsigned k = 0; k < b->repeat; k++) {
        struct bench_bare one;
        if (flyt_bench_bare(b->bare_vs->res.model_events, pending, b->seed, &one) != 0) {
            fputs("flyt bench: error: out of memory\n", stderr);
            return EXIT_FAIL;
        }
        if (k == 0 || one.wall_s < b->bare.wall_s)
            b->bare = one;
    }
    return EXIT_OK;
}

static int run_trondheim(struct bench *b)
{
    struct flyt_scenario *s = load_embedded(flyt_default_scenario, "<default>", NULL, 0);
    if (!s)
        return EXIT_FAIL;
    struct trondheim_fig *f = &b->tr;
    f->reps = TR_REPS;
    f->horizon_years = s->horizon_days / 365.0;
    int rc = EXIT_OK;
    for (unsigned k = 0; k < b->repeat && rc == EXIT_OK; k++) {
        double wall = 0.0;
        uint64_t ev = 0, eng = 0;
        for (unsigned r = 0; r < TR_REPS && rc == EXIT_OK; r++) {
            struct flyt_result res;
            memset(&res, 0, sizeof res);
            double t0 = flyt_cli_seconds();
            if (flyt_model_run(s, r, &res) != 0) {
                fprintf(stderr, "flyt bench: default scenario stopped: %s\n", res.status_detail);
                rc = EXIT_FAIL;
            }
            wall += flyt_cli_seconds() - t0;
            ev += res.model_events;
            eng += res.engine_events;
            flyt_result_free(&res);
        }
        if (k == 0 || wall < f->wall) {
            f->wall = wall;
            f->model_events = ev;
            f->engine_events = eng;
        }
    }
    flyt_scenario_free(s);
    f->events_per_s = (double)f->model_events / f->wall;
    f->engine_events_per_s = (double)f->engine_events / f->wall;
    f->ms_per_city_year = 1000.0 * f->wall / (TR_REPS * f->horizon_years);
    return rc;
}

static int network_run(struct flyt_scenario *s, double years, double *wall, struct flyt_result *res)
{
    s->horizon_days = 365.0 * years;
    memset(res, 0, sizeof *res);
    double t0 = flyt_cli_seconds();
    int rc = flyt_model_run(s, 0, res);
    *wall = flyt_cli_seconds() - t0;
    if (rc != 0)
        fprintf(stderr, "flyt bench: the network stopped: %s\n", res->status_detail);
    return rc;
}

static int run_network(struct bench *b)
{
    char s_seed[64];
    snprintf(s_seed, sizeof s_seed, "run.seed=%llu", b->seed);
    const char *sets[] = { s_seed };
    struct flyt_scenario *s = load_embedded(flyt_pf1_network_scenario, "<pf1-network>", sets, 1);
    if (!s)
        return EXIT_FAIL;
    struct network_fig *f = &b->net;
    f->units = (unsigned)s->n_units;
    int rc = EXIT_OK;
    for (unsigned k = 0; k < b->repeat && rc == EXIT_OK; k++) {
        struct flyt_result res;
        double wall;
        if (network_run(s, 20.0, &wall, &res) != 0)
            rc = EXIT_FAIL;
        else if (k == 0 || wall < f->wall) {
            f->wall = wall;
            f->model_events = res.model_events;
        }
        flyt_result_free(&res);
    }
    /* memory: the peak after 20 years and after 100, series off */
    s->series_off = true;
    for (int i = 0; i < 2 && rc == EXIT_OK; i++) {
        struct flyt_result res;
        double wall;
        if (network_run(s, i ? 100.0 : 20.0, &wall, &res) != 0)
            rc = EXIT_FAIL;
        f->rss_kb[i] = flyt_bench_peak_rss_kb();
        flyt_result_free(&res);
    }
    flyt_scenario_free(s);
    f->events_per_s = (double)f->model_events / f->wall;
    f->ms_per_year = 1000.0 * f->wall / 20.0;
    return rc;
}

/* 1, 2, 4, ... threads up to the CPUs online, and that count itself. */
static int run_threads(struct bench *b)
{
    unsigned list[MAX_THREAD_ROWS], n = 0, cpus = b->machine.cpus;
    for (unsigned t = 1; n < MAX_THREAD_ROWS - 1 && (t <= 2 || t <= cpus); t *= 2)
        list[n++] = t;
    if (cpus > list[n - 1])
        list[n++] = cpus;
    unsigned reps = 12 * list[n - 1];
    struct flyt_scenario *s = load_embedded(flyt_default_scenario, "<default>", NULL, 0);
    struct flyt_result *res = calloc(reps, sizeof *res);
    int rc = s && res ? EXIT_OK : EXIT_FAIL;
    if (s && !res)
        fputs("flyt bench: error: out of memory\n", stderr);
    for (unsigned i = 0; i < n && rc == EXIT_OK; i++) {
        struct thread_fig *f = &b->th[b->n_th++];
        f->threads = list[i];
        f->reps = reps;
        for (unsigned k = 0; k < b->repeat && rc == EXIT_OK; k++) {
            double t0 = flyt_cli_seconds();
            if (flyt_experiment_run(s, reps, list[i], res, NULL, NULL) != 0) {
                fputs("flyt bench: the threads part stopped\n", stderr);
                rc = EXIT_FAIL;
            }
            double wall = flyt_cli_seconds() - t0;
            if (k == 0 || wall < f->wall)
                f->wall = wall;
            for (unsigned r = 0; r < reps; r++)
                flyt_result_free(&res[r]);
            memset(res, 0, reps * sizeof *res);
        }
        f->reps_per_s = reps / f->wall;
        f->speedup = f->reps_per_s / b->th[0].reps_per_s;
        f->efficiency = f->speedup / list[i];
    }
    free(res);
    flyt_scenario_free(s);
    return rc;
}

struct mem_arg {
    struct scale sc;
    unsigned long long seed;
};

static int mem_child(void *arg)
{
    const struct mem_arg *m = arg;
    struct bench_row row;
    memset(&row, 0, sizeof row);
    int rc = run_scale_series(&m->sc, m->seed, 1, true, &row);
    flyt_result_free(&row.res);
    return rc;
}

/* Runs first, while this process is still small: a forked child starts
 * with what it shares with its parent. */
static int run_memory(struct bench *b)
{
    for (int i = 0; i < 2; i++) {
        /* no per-patient output and no daily series: what is left should
         * not grow with the horizon (docs/performance.md, Memory) */
        struct mem_arg m = { { "memory", 1.0, mem_years[i], 0.0 }, b->seed };
        b->mem[i].years = mem_years[i];
        int rc = flyt_bench_in_child(mem_child, &m, &b->mem[i].base_kb, &b->mem[i].peak_kb);
        if (rc != EXIT_OK) {
            fprintf(stderr, "flyt bench: the %g-year memory run failed\n", mem_years[i]);
            return EXIT_FAIL;
        }
    }
    return EXIT_OK;
}

static void json_string(const char *key, const char *v, const char *sep)
{
    printf("\"%s\": \"", key);
    for (const char *c = v; *c; c++)
        if (*c == '"' || *c == '\\')
            printf("\\%c", *c);
        else if ((unsigned char)*c >= 0x20)
            putchar(*c);
    printf("\"%s", sep);
}

static void print_json(const struct bench *b)
{
    const struct bench_machine *m = &b->machine;
    printf("{\"benchmark\": \"PF1 v1\", \"flyt_version\": \"%s\", \"commit\": \"%s\", "
           "\"repeat\": %u,\n \"machine\": {",
           FLYT_VERSION, FLYT_GIT_COMMIT, b->repeat);
    json_string("cpu", m->cpu, ", ");
    printf("\"cpus\": %u, \"loadavg_1min\": %.2f, ", m->cpus, m->load1);
    json_string("compiler", m->compiler, ", ");
    json_string("build_type", m->build, ", ");
    json_string("c_flags", m->c_flags, ", ");
    json_string("build_type_flags", m->type_flags, ", ");
    printf("\"sanitize\": %s}", m->sanitize ? "true" : "false");
    if (b->parts & PART_PF1) {
        printf(",\n \"runs\": [");
        for (int i = 0; i < b->n_rows; i++) {
            const struct bench_row *r = &b->rows[i];
            const double *k = r->res.kpi;
            printf("%s\n  {\"scale\": \"%s\", \"mult\": %g, \"years\": %g, \"warmup_years\": %g, "
                   "\"model_events\": %llu, \"engine_events\": %llu, \"wall_s\": %.6f, "
                   "\"model_events_per_s\": %.0f, \"ms_per_simulated_year\": %.3f, "
                   "\"peak_rss_mb\": %.1f, \"patients_in_system_mean\": %.3f, \"n_ready\": %.0f, "
                   "\"mean_wait_all\": %.6f, \"mean_wait_hc\": %.6f, \"mean_wait_st\": %.6f, "
                   "\"mean_wait_nh\": %.6f, \"mean_los_st\": %.6f}",
                   i ? "," : "", r->sc.name, r->sc.mult, r->sc.years, r->sc.warmup,
                   (unsigned long long)r->res.model_events,
                   (unsigned long long)r->res.engine_events, r->wall, r->events_per_s,
                   r->ms_per_year, r->rss_mb, pf1_patients_mean(&r->res), k[FLYT_KPI_ukp_patients],
                   k[FLYT_KPI_ukp_wait_mean],
                   unit_kpi(&r->res, BENCH_HOME_CARE, FLYT_UNIT_KPI_ukp_wait_mean),
                   unit_kpi(&r->res, BENCH_SHORT_TERM, FLYT_UNIT_KPI_ukp_wait_mean),
                   unit_kpi(&r->res, BENCH_NURSING_HOME, FLYT_UNIT_KPI_ukp_wait_mean),
                   unit_kpi(&r->res, BENCH_SHORT_TERM, FLYT_UNIT_KPI_los_mean));
        }
        printf("\n ]");
    }
    if (b->parts & PART_NETWORK) {
        const struct network_fig *f = &b->net;
        printf(",\n \"network\": {\"scenario\": \"pf1-network (embedded)\", \"units\": %u, "
               "\"years\": 20, \"wall_s\": %.6f, \"model_events\": %llu, "
               "\"model_events_per_s\": %.0f, \"ms_per_simulated_year\": %.3f, "
               "\"peak_rss_mb_20y\": %.1f, \"peak_rss_mb_100y\": %.1f}",
               f->units, f->wall, (unsigned long long)f->model_events, f->events_per_s,
               f->ms_per_year, (double)f->rss_kb[0] / 1024.0, (double)f->rss_kb[1] / 1024.0);
    }
    if (b->parts & PART_REGION) {
        printf(",\n \"regions\": {\"pf1_s2_model_events_per_s\": %.0f, \"runs\": [",
               b->region_vs ? b->region_vs->events_per_s : NAN);
        for (int i = 0; i < b->n_regions; i++) {
            const struct bench_region *r = &b->region[i];
            printf("%s\n  {", i ? "," : "");
            json_string("scenario", r->name, ", ");
            json_string("file", r->path, ", ");
            printf("\"municipalities\": %d, \"units\": %d, \"years\": 1, \"arrivals\": %.0f, "
                   "\"model_events\": %llu, \"engine_events\": %llu, \"wall_s\": %.6f, "
                   "\"model_events_per_s\": %.0f, \"over_pf1_s2\": %.4f, "
                   "\"patients_in_system_mean\": %.1f, "
                   "\"peak_rss_mb\": %.1f, \"catchments\": %d",
                   r->munis, r->units, r->arrivals, (unsigned long long)r->model_events,
                   (unsigned long long)r->engine_events, r->wall, r->events_per_s,
                   b->region_vs ? r->events_per_s / b->region_vs->events_per_s : NAN,
                   r->patients_mean, (double)r->rss_kb / 1024.0, r->catchments);
            if (r->catchments > 1)
                printf(", \"one_calendar\": {\"wall_s\": %.6f, \"model_events\": %llu, "
                       "\"model_events_per_s\": %.0f}",
                       r->wall_one, (unsigned long long)r->model_events_one,
                       (double)r->model_events_one / r->wall_one);
            printf("}");
        }
        printf("\n ]}");
    }
    if (b->parts & PART_TRONDHEIM) {
        const struct trondheim_fig *f = &b->tr;
        printf(",\n \"trondheim\": {\"scenario\": \"default (embedded)\", \"replications\": %u, "
               "\"horizon_years\": %.6f, \"wall_s\": %.6f, \"model_events\": %llu, "
               "\"engine_events\": %llu, \"model_events_per_s\": %.0f, "
               "\"engine_events_per_s\": %.0f, \"ms_per_city_year\": %.3f}",
               f->reps, f->horizon_years, f->wall, (unsigned long long)f->model_events,
               (unsigned long long)f->engine_events, f->events_per_s, f->engine_events_per_s,
               f->ms_per_city_year);
    }
    if (b->parts & PART_BARE) {
        const struct bench_bare *x = &b->bare;
        double flyt = b->bare_vs->events_per_s;
        printf(",\n \"bare\": {\"events\": %llu, \"pending\": %zu, \"wall_s\": %.6f, "
               "\"events_per_s\": %.0f, \"t_end\": %.6g, \"flyt_scale\": \"S2\", "
               "\"flyt_events_per_s\": %.0f, \"flyt_over_bare\": %.4f, \"bare_over_flyt\": %.4f}",
               (unsigned long long)x->events, x->pending, x->wall_s, x->events_per_s, x->t_end,
               flyt, flyt / x->events_per_s, x->events_per_s / flyt);
    }
    if (b->parts & PART_THREADS) {
        printf(",\n \"threads\": [");
        for (int i = 0; i < b->n_th; i++) {
            const struct thread_fig *f = &b->th[i];
            printf("%s\n  {\"threads\": %u, \"replications\": %u, \"wall_s\": %.6f, "
                   "\"replications_per_s\": %.3f, \"speedup\": %.4f, \"efficiency\": %.4f}",
                   i ? "," : "", f->threads, f->reps, f->wall, f->reps_per_s, f->speedup,
                   f->efficiency);
        }
        printf("\n ]");
    }
    if (b->parts & PART_MEMORY) {
        printf(",\n \"memory\": {\"model\": \"PF1 K 1, no warm-up, no daily series\", "
               "\"horizons\": [");
        for (int i = 0; i < 2; i++)
            printf("%s{\"years\": %g, \"base_rss_mb\": %.1f, \"peak_rss_mb\": %.1f}", i ? ", " : "",
                   b->mem[i].years, b->mem[i].base_kb / 1024.0, b->mem[i].peak_kb / 1024.0);
        printf("], \"ratio_100y_over_1y\": %.4f}",
               b->mem[0].peak_kb > 0 ? (double)b->mem[1].peak_kb / b->mem[0].peak_kb : 0.0);
    }
    printf("\n}\n");
}

static void print_text(const struct bench *b)
{
    const struct bench_machine *m = &b->machine;
    printf("flyt bench (flyt %s, commit %s); fastest of %u where timed repeatedly\n", FLYT_VERSION,
           FLYT_GIT_COMMIT, b->repeat);
    printf("machine: %s, %u CPUs, load %.2f; compiler %s; %s build, flags \"%s%s%s\"%s\n", m->cpu,
           m->cpus, m->load1, m->compiler, m->build, m->c_flags,
           *m->c_flags && *m->type_flags ? " " : "", m->type_flags,
           m->sanitize ? ", sanitizers on" : "");
    if (b->parts & PART_PF1) {
        printf("\nPF1 v1, single thread (rss_MB: this process's peak so far)\n");
        printf("%-5s %5s %6s %12s %9s %14s %11s %9s %10s %10s\n", "scale", "K", "years",
               "model_events", "wall_s", "events/s", "ms/sim-yr", "rss_MB", "los_st", "wait_all");
        for (int i = 0; i < b->n_rows; i++) {
            const struct bench_row *r = &b->rows[i];
            printf("%-5s %5g %6g %12llu %9.3f %14.0f %11.2f %9.1f %10.3f %10.4f\n", r->sc.name,
                   r->sc.mult, r->sc.years, (unsigned long long)r->res.model_events, r->wall,
                   r->events_per_s, r->ms_per_year, r->rss_mb,
                   unit_kpi(&r->res, BENCH_SHORT_TERM, FLYT_UNIT_KPI_los_mean),
                   r->res.kpi[FLYT_KPI_ukp_wait_mean]);
        }
    }
    if (b->parts & PART_NETWORK) {
        const struct network_fig *f = &b->net;
        printf("\nPF1 as a network of %u units (scenarios/bench/pf1-network.cfg), single thread, "
               "20 years:\n  %.0f model events/s (%llu events, %.2f ms per simulated year); peak "
               "memory %.1f MB after 20 years, %.1f MB after 100 (no series)\n",
               f->units, f->events_per_s, (unsigned long long)f->model_events, f->ms_per_year,
               (double)f->rss_kb[0] / 1024.0, (double)f->rss_kb[1] / 1024.0);
    }
    if (b->parts & PART_REGION) {
        double pf1 = b->region_vs ? b->region_vs->events_per_s : NAN;
        printf("\nRegions, one simulated year (no warm-up), single thread; PF1 S2 in this run: "
               "%.0f "
               "model events/s\n",
               pf1);
        printf("%-14s %6s %6s %10s %12s %12s %9s %14s %8s %12s %9s %7s %9s\n", "region", "munis",
               "units", "arrivals", "model_events", "engine_evts", "wall_s", "events/s", "vs_PF1",
               "patients", "rss_MB", "catchm", "1cal_s");
        for (int i = 0; i < b->n_regions; i++) {
            const struct bench_region *r = &b->region[i];
            printf("%-14s %6d %6d %10.0f %12llu %12llu %9.3f %14.0f %8.3f %12.0f %9.1f %7d",
                   r->name, r->munis, r->units, r->arrivals, (unsigned long long)r->model_events,
                   (unsigned long long)r->engine_events, r->wall, r->events_per_s,
                   r->events_per_s / pf1, r->patients_mean, (double)r->rss_kb / 1024.0,
                   r->catchments);
            if (r->catchments > 1)
                printf(" %9.3f\n", r->wall_one);
            else
                printf(" %9s\n", "-");
        }
        printf("(catchm: catchments, run one after another; 1cal_s: the same year with them "
               "interleaved on one calendar, every figure the same)\n");
    }
    if (b->parts & PART_TRONDHEIM) {
        const struct trondheim_fig *f = &b->tr;
        printf("\nDefault Trondheim scenario, single thread, %u replications of %.2f years:\n"
               "  %.0f model events/s (%.0f engine events/s), %.2f ms per city-year\n",
               f->reps, f->horizon_years, f->events_per_s, f->engine_events_per_s,
               f->ms_per_city_year);
    }
    if (b->parts & PART_BARE) {
        const struct bench_bare *x = &b->bare;
        double flyt = b->bare_vs->events_per_s;
        printf("\nBare reference (binary heap, xoshiro256** exponential draws, no model), "
               "%llu events, %zu pending:\n  %.0f events/s; flyt PF1 S2 %.0f events/s = %.3f of "
               "bare (bare %.2fx faster)\n",
               (unsigned long long)x->events, x->pending, x->events_per_s, flyt,
               flyt / x->events_per_s, x->events_per_s / flyt);
    }
    if (b->parts & PART_THREADS) {
        printf("\nReplications per second, default scenario (%u replications each)\n",
               b->n_th ? b->th[0].reps : 0);
        printf("%7s %9s %12s %9s %11s\n", "threads", "wall_s", "reps/s", "speedup", "efficiency");
        for (int i = 0; i < b->n_th; i++) {
            const struct thread_fig *f = &b->th[i];
            printf("%7u %9.3f %12.2f %9.3f %11.3f\n", f->threads, f->wall, f->reps_per_s,
                   f->speedup, f->efficiency);
        }
    }
    if (b->parts & PART_MEMORY) {
        printf("\nPeak memory vs horizon, PF1 K 1, no warm-up, no daily series (a child "
               "process each):\n");
        printf("  %g year: %.1f MB   %g years: %.1f MB   (ratio %.2f; %.1f MB inherited)\n",
               b->mem[0].years, b->mem[0].peak_kb / 1024.0, b->mem[1].years,
               b->mem[1].peak_kb / 1024.0,
               b->mem[0].peak_kb > 0 ? (double)b->mem[1].peak_kb / b->mem[0].peak_kb : 0.0,
               b->mem[0].base_kb / 1024.0);
    }
}

static bool parse_only(const char *text, unsigned *parts)
{
    *parts = 0;
    const char *p = text;
    while (*p) {
        size_t len = strcspn(p, ",");
        bool found = len == 3 && strncmp(p, "all", 3) == 0;
        if (found)
            *parts |= PART_ALL;
        for (unsigned i = 0; i < sizeof part_names / sizeof part_names[0] && !found; i++)
            if (strlen(part_names[i]) == len && strncmp(p, part_names[i], len) == 0) {
                *parts |= 1u << i;
                found = true;
            }
        if (!found) {
            fprintf(stderr,
                    "flyt bench: error: --only takes pf1, trondheim, bare, threads, memory, "
                    "network, region or all, comma-separated; got '%.*s'\n",
                    (int)len, p);
            return false;
        }
        p += len + (p[len] == ',');
    }
    if (*parts == 0)
        fputs("flyt bench: error: --only needs at least one part\n", stderr);
    return *parts != 0;
}

static int select_scales(struct bench *b, const char *which, const struct scale *custom)
{
    if (custom->mult > 0) {
        if (custom->warmup >= custom->years) {
            fputs("flyt bench: error: --warmup must be shorter than --years\n", stderr);
            return EXIT_BAD_INPUT;
        }
        b->rows[b->n_rows++].sc = *custom;
        return EXIT_OK;
    }
    for (int i = 0; i < 3; i++)
        if (!which || strcmp(which, "all") == 0 || strcmp(which, scales[i].name) == 0)
            b->rows[b->n_rows++].sc = scales[i];
    if (b->n_rows == 0) {
        fprintf(stderr, "flyt bench: error: --scale is S1, S2, S3 or all, got '%s'\n", which);
        return EXIT_BAD_INPUT;
    }
    return EXIT_OK;
}

static int run_all(struct bench *b)
{
    int rc = EXIT_OK;
    if (b->parts & PART_MEMORY)
        rc = run_memory(b);
    for (int i = 0; i < b->n_rows && rc == EXIT_OK && (b->parts & PART_PF1); i++) {
        struct scale sc = b->rows[i].sc;
        rc = run_scale(&sc, b->seed, b->repeat, &b->rows[i]);
    }
    if (rc == EXIT_OK && (b->parts & PART_TRONDHEIM))
        rc = run_trondheim(b);
    if (rc == EXIT_OK && (b->parts & PART_BARE))
        rc = run_bare(b);
    if (rc == EXIT_OK && (b->parts & PART_THREADS))
        rc = run_threads(b);
    if (rc == EXIT_OK && (b->parts & PART_NETWORK))
        rc = run_network(b);
    if (rc == EXIT_OK && (b->parts & PART_REGION))
        rc = run_regions(b);
    return rc;
}

int flyt_cmd_bench(int argc, char **argv)
{
    const char *which = NULL;
    struct scale custom = { "custom", 0, 20, 5 };
    unsigned long long repeat = 5;
    struct bench *b = calloc(1, sizeof *b);
    if (!b) {
        fputs("flyt bench: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    b->parts = PART_ALL;
    b->seed = 1;
    int rc = EXIT_OK;
    enum {
        OPT_JSON = FLYT_OPTV_CMD,
        OPT_SCALE,
        OPT_ONLY,
        OPT_MULT,
        OPT_YEARS,
        OPT_WARMUP,
        OPT_SEED,
        OPT_REPEAT,
        OPT_REGION
    };
    static const struct option own[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "scale", required_argument, NULL, OPT_SCALE },
        { "only", required_argument, NULL, OPT_ONLY },
        { "mult", required_argument, NULL, OPT_MULT },
        { "years", required_argument, NULL, OPT_YEARS },
        { "warmup", required_argument, NULL, OPT_WARMUP },
        { "seed", required_argument, NULL, OPT_SEED },
        { "repeat", required_argument, NULL, OPT_REPEAT },
        { "region", required_argument, NULL, OPT_REGION },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "bench", argc, argv, 0, own);
    for (int c; rc == EXIT_OK && (c = flyt_cli_args_next(&p)) != -1;) {
        const char *v = p.arg;
        if (c == 'h') {
            usage(stdout);
            free(b);
            return EXIT_OK;
        } else if (c == OPT_JSON) {
            b->json = true;
        } else if (c == OPT_SCALE) {
            which = v;
        } else if (c == OPT_ONLY) {
            rc = parse_only(v, &b->parts) ? EXIT_OK : EXIT_BAD_INPUT;
        } else if (c == OPT_MULT && (custom.mult = atof(v)) > 0) {
        } else if (c == OPT_YEARS && (custom.years = atof(v)) > 0) {
        } else if (c == OPT_WARMUP && (custom.warmup = atof(v)) >= 0) {
        } else if (c == OPT_SEED) {
            if (!flyt_cli_args_uint(&p, 0, 9223372036854775807ULL, &b->seed))
                rc = EXIT_BAD_INPUT;
        } else if (c == OPT_REGION) {
            if (b->n_regions == MAX_REGIONS) {
                fprintf(stderr, "flyt bench: error: at most %d --region files\n", MAX_REGIONS);
                rc = EXIT_BAD_INPUT;
            } else {
                b->region_path[b->n_regions++] = v;
            }
        } else if (c == OPT_REPEAT) {
            if (!flyt_cli_args_uint(&p, 1, 1000, &repeat))
                rc = EXIT_BAD_INPUT;
        } else {
            /* '?' was printed; a positional or a bad number is named here */
            if (c != '?')
                fprintf(stderr, "flyt bench: error: bad option '%s' (see flyt bench --help)\n",
                        c == FLYT_OPTV_POSITIONAL ? v : p.name);
            rc = EXIT_BAD_INPUT;
        }
    }
    b->repeat = (unsigned)repeat;
    if (rc == EXIT_OK)
        rc = select_scales(b, which, &custom);
    if (rc == EXIT_OK) {
        flyt_bench_machine(&b->machine);
        rc = run_all(b);
    }
    if (rc == EXIT_OK) {
        if (b->json)
            print_json(b);
        else
            print_text(b);
    }
    for (int i = 0; i < b->n_rows; i++)
        flyt_result_free(&b->rows[i].res);
    flyt_result_free(&b->ref.res);
    free(b);
    return rc;
}
