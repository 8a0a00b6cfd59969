/* population.arrivals_table: a table of exactly the rates the factors give
 * runs bit for bit as the factors do; a step in the table shows in the
 * arrivals as Poisson counts should; every bad table fails at its file,
 * line and column; the resolved text records the rates and still finds
 * the table from another folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/date.h"
#include "flyt/outfile.h"
#include "flyt/result.h"
#include "flyt/scenario.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Line 4 names the population's rate: the factors or the table. */
#define SCENARIO                                                                    \
    "name = \"arrivals\";\n"                                                /* 1 */ \
    "run: { start_date = \"%s\"; horizon_days = %g; warmup_days = %g; };\n" /* 2 */ \
    "population: {\n"                                                       /* 3 */ \
    "  %s\n"                                                                /* 4 */ \
    "  cfs_mix = [0.2, 0.2, 0.1, 0.1, 0.1, 0.1, 0.1, 0.05, 0.05];\n"        /* 5 */ \
    "  %s\n"                                                                /* 6 */ \
    "};\n"                                                                  /* 7 */ \
    "hospital: { los_days = { dist = \"lognormal\"; mean = 5.0; sd = 4.0; };\n"     \
    "  ukp_probability = 0.4; };\n"                                                 \
    "decision: { destination = { home = 0.3; short_term = 0.7; }; };\n"             \
    "units = (\n"                                                                   \
    "  { id = \"hospital\"; kind = \"unlimited\"; hospital = true; },\n"            \
    "  { id = \"short_term\"; kind = \"beds\"; capacity = 12; los_days = 14.0;\n"   \
    "    initial_occupancy = 0.5; outcome = { home = 1.0; }; }\n"                   \
    ");\n"

static char dir[64];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/flyt-arrivals-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int remove_dir(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *name, const char *text)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* The scenario file name in dir, with the rate line and an extra line. */
static void put_scenario(const char *name, const char *start, double horizon, double warmup,
                         const char *rate_line, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text, SCENARIO, start, horizon, warmup, rate_line, extra);
    put(name, text);
}

static struct flyt_scenario *load(const char *name, struct flyt_diag *d)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    flyt_diag_init(d);
    return flyt_scenario_load(path, NULL, 0, d);
}

static struct flyt_scenario *load_ok(const char *name)
{
    struct flyt_diag d;
    struct flyt_scenario *s = load(name, &d);
    if (!s)
        fprintf(stderr, "%s", d.text ? d.text : "");
    assert_non_null(s);
    flyt_diag_free(&d);
    return s;
}

/* Loading fails, with want in the messages (after "DIR/"). */
static void expect_error(const char *name, const char *want)
{
    struct flyt_diag d;
    struct flyt_scenario *s = load(name, &d);
    char full[600];
    snprintf(full, sizeof full, "%s/%s", dir, want);
    if (s || !d.text || !strstr(d.text, full))
        fprintf(stderr, "wanted an error containing \"%s\", got:\n%s\n", full,
                d.text ? d.text : "(no error)");
    assert_null(s);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, full));
    flyt_diag_free(&d);
}

/* ---- the same rates, to the bit ---- */

static const double month_f[12] = { 1.13, 1.07, 1.02, 0.97, 0.93, 0.91,
                                    0.83, 0.89, 0.97, 1.01, 1.05, 1.19 };
static const double week_f[7] = { 1.21, 1.09, 1.03, 0.99, 1.02, 0.79, 0.87 };
#define ADM    5.37
#define GROWTH 0.0173

/* The formula of sim/model/plan.c, in its order, day by day. */
static void write_factor_table(const char *name, int day0, int from, int to)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("# made by the test from the factors\ndate,rate\n", f);
    int wd0 = flyt_weekday(day0);
    for (int d = from; d < to; d++) {
        int y, m, md;
        flyt_civil_from_days(day0 + d, &y, &m, &md);
        double growth = pow(1.0 + GROWTH, (double)d / 365.0);
        double rate = ADM * month_f[m - 1] * week_f[(wd0 + d % 7 + 7) % 7] * growth;
        fprintf(f, "%04d-%02d-%02d,%.17g\n", y, m, md, rate);
    }
    assert_int_equal(fclose(f), 0);
}

static void assert_same_results(const struct flyt_result *a, const struct flyt_result *b,
                                unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        assert_int_equal(a[i].status, FLYT_RUN_OK);
        assert_int_equal(b[i].status, FLYT_RUN_OK);
        assert_memory_equal(a[i].kpi, b[i].kpi, sizeof a[i].kpi);
        assert_int_equal(a[i].n_days, b[i].n_days);
        for (int k = 0; k < FLYT_N_SERIES; k++)
            assert_memory_equal(a[i].series[k], b[i].series[k], a[i].n_days * sizeof(double));
        assert_int_equal(a[i].n_units, b[i].n_units);
        assert_memory_equal(a[i].unit_kpi, b[i].unit_kpi,
                            a[i].n_units * FLYT_N_UNIT_KPI * sizeof(double));
        assert_true(a[i].model_events == b[i].model_events);
    }
}

static void table_of_the_factors_runs_bit_identical(void **state)
{
    (void)state;
    /* a year end, a leap day and a shock inside the run */
    const char *shock = "shocks = ( { from = \"2024-01-10\"; to = \"2024-02-03\"; factor = 1.37; "
                        "} );";
    char factors[512];
    snprintf(factors, sizeof factors,
             "admissions_per_day = %.17g; growth_per_year = %.17g;\n"
             "  month_factor = [%g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g, %g];\n"
             "  weekday_factor = [%g, %g, %g, %g, %g, %g, %g];",
             ADM, GROWTH, month_f[0], month_f[1], month_f[2], month_f[3], month_f[4], month_f[5],
             month_f[6], month_f[7], month_f[8], month_f[9], month_f[10], month_f[11], week_f[0],
             week_f[1], week_f[2], week_f[3], week_f[4], week_f[5], week_f[6]);
    put_scenario("factors.cfg", "2023-11-20", 130.5, 20, factors, shock);
    int day0 = flyt_days_from_civil(2023, 11, 20);
    /* rows before and after the run are read, not used */
    write_factor_table("exact.csv", day0, -30, 200);
    put_scenario("table.cfg", "2023-11-20", 130.5, 20, "arrivals_table = \"exact.csv\";", shock);

    struct flyt_scenario *f = load_ok("factors.cfg"), *t = load_ok("table.cfg");
    assert_null(f->arrivals);
    assert_non_null(t->arrivals);
    assert_int_equal(t->arrivals->n_days, 131);
    enum { N = 3 };
    struct flyt_result *rf = flyt_test_run_reps(f, N, 2);
    struct flyt_result *rt = flyt_test_run_reps(t, N, 2);
    struct flyt_result *rt2 = flyt_test_run_reps(t, N, 1);
    assert_true(rf[0].kpi[FLYT_KPI_arrivals] > 0);
    assert_same_results(rf, rt, N);
    assert_same_results(rt, rt2, N);
    flyt_test_free_results(rf, N);
    flyt_test_free_results(rt, N);
    flyt_test_free_results(rt2, N);
    flyt_scenario_free(f);
    flyt_scenario_free(t);
}

/* ---- Poisson arrivals from a step ---- */

static void step_in_the_table_shows_in_the_arrivals(void **state)
{
    (void)state;
    /* 3.1 a day until day 100, then 8.7: days 50-99 expect 155, days
     * 100-199 expect 870 per replication */
    int day0 = flyt_days_from_civil(2025, 3, 1);
    char *csv = malloc(200 * 32 + 64);
    assert_non_null(csv);
    size_t len = (size_t)sprintf(csv, "date;rate\r\n");
    for (int d = 0; d < 200; d++) {
        int y, m, md;
        flyt_civil_from_days(day0 + d, &y, &m, &md);
        len += (size_t)sprintf(csv + len, "%04d-%02d-%02d;%s\r\n", y, m, md,
                               d < 100 ? "3,1" : "8,7"); /* a decimal comma with ';' */
    }
    put("step.csv", csv);
    free(csv);
    put_scenario("step.cfg", "2025-03-01", 200, 50, "arrivals_table = \"step.csv\";", "");
    struct flyt_scenario *s = load_ok("step.cfg");
    assert_near(s->admissions_per_day, (3.1 + 8.7) / 2, 1e-12);
    enum { N = 16 };
    struct flyt_result *r = flyt_test_run_reps(s, N, 2);
    double before = 0, after = 0, total = 0;
    for (unsigned i = 0; i < N; i++) {
        assert_int_equal(r[i].n_days, 150);
        total += r[i].kpi[FLYT_KPI_arrivals];
        for (size_t d = 0; d < r[i].n_days; d++)
            *(d < 50 ? &before : &after) += r[i].series[FLYT_SERIES_arrivals][d];
    }
    /* each sum is Poisson: 4 standard deviations either side */
    double mb = N * 50 * 3.1, ma = N * 100 * 8.7;
    assert_true(fabs(before - mb) < 4 * sqrt(mb));
    assert_true(fabs(after - ma) < 4 * sqrt(ma));
    /* the KPI over the window is the table's sum over it, Poisson */
    assert_near(total, before + after, 0);
    assert_true(fabs(total - (mb + ma)) < 4 * sqrt(mb + ma));
    flyt_test_free_results(r, N);
    flyt_scenario_free(s);
}

/* ---- bad tables ---- */

static void put_days(const char *name, const char *header, int n, const char *tail)
{
    char buf[8192];
    int day0 = flyt_days_from_civil(2025, 1, 1);
    size_t len = (size_t)snprintf(buf, sizeof buf, "%s\n", header);
    for (int d = 0; d < n; d++) {
        int y, m, md;
        flyt_civil_from_days(day0 + d, &y, &m, &md);
        len += (size_t)snprintf(buf + len, sizeof buf - len, "%04d-%02d-%02d,4.5\n", y, m, md);
    }
    snprintf(buf + len, sizeof buf - len, "%s", tail);
    put(name, buf);
}

static void bad_scenario(const char *csv)
{
    char line[128];
    snprintf(line, sizeof line, "arrivals_table = \"%s\";", csv);
    put_scenario("bad.cfg", "2025-01-01", 10, 2, line, "");
}

static void bad_tables_fail_at_their_line(void **state)
{
    (void)state;
    bad_scenario("missing.csv");
    expect_error("bad.cfg", "bad.cfg:4: error: population.arrivals_table: cannot read the "
                            "arrivals table \"missing.csv\"");

    bad_scenario(".");
    expect_error("bad.cfg", "bad.cfg:4: error: population.arrivals_table: cannot read the "
                            "arrivals table \".\" (looked for ");
    expect_error("bad.cfg", ".): a folder, not a file");

    /* line 1 header, the days 2025-01-01... on lines 2, 3, ... */
    put("gap.csv", "date,rate\n2025-01-01,1\n2025-01-02,1\n2025-01-04,1\n");
    bad_scenario("gap.csv");
    expect_error("bad.cfg", "gap.csv:4: error: column date: a gap: 2025-01-04 follows 2025-01-02 "
                            "(line 3); every day needs a row (population.arrivals_table at ");

    put("dup.csv", "date,rate\n2025-01-01,1\n2025-01-02,1\n2025-01-02,2\n");
    bad_scenario("dup.csv");
    expect_error("bad.cfg", "dup.csv:4: error: column date: 2025-01-02 again (also on line 3)");

    put("neg.csv", "# source: made up\ndate,rate\n2025-01-01,1\n2025-01-02,-0.5\n");
    bad_scenario("neg.csv");
    expect_error("bad.cfg", "neg.csv:4: error: column rate: -0.5 admissions per day: a rate is "
                            ">= 0");

    put_days("nan.csv", "date,rate", 3, "2025-01-04,many\n");
    bad_scenario("nan.csv");
    expect_error("bad.cfg", "nan.csv:5: error: column rate: expected a number of admissions per "
                            "day, got \"many\"");

    put_days("comma.csv", "date,rate", 3, "2025-01-04,\"4,5\"\n");
    bad_scenario("comma.csv");
    expect_error("bad.cfg", "comma.csv:5: error: column rate: expected a number of admissions "
                            "per day, got \"4,5\" (a decimal comma needs ';' between the fields)");

    put_days("date.csv", "date,rate", 0, "2025-01-01,1\n2025-02-30,1\n");
    bad_scenario("date.csv");
    expect_error("bad.cfg", "date.csv:3: error: column date: expected a date YYYY-MM-DD, got "
                            "\"2025-02-30\"");

    put_days("fmt.csv", "date,rate", 0, "2025-01-01,1\n02.01.2025,1\n");
    bad_scenario("fmt.csv");
    expect_error("bad.cfg", "fmt.csv:3: error: column date: expected a date YYYY-MM-DD, got "
                            "\"02.01.2025\"");

    put_days("short.csv", "date,rate", 9, "");
    bad_scenario("short.csv");
    expect_error("bad.cfg", "short.csv:10: error: column date: the table ends on 2025-01-09, "
                            "before the run's last day 2025-01-10");

    put("late.csv", "date,rate\n2025-01-02,1\n2025-01-03,1\n");
    bad_scenario("late.csv");
    expect_error("bad.cfg", "late.csv:2: error: column date: the table starts on 2025-01-02, "
                            "after the run's first day 2025-01-01 (run.start_date)");

    put("head.csv", "day,rate\n2025-01-01,1\n");
    bad_scenario("head.csv");
    expect_error("bad.cfg", "head.csv:1: error: column day: unknown column");

    put_days("ok.csv", "date,rate", 10, "");
    put_scenario("both.cfg", "2025-01-01", 10, 2, "arrivals_table = \"ok.csv\";",
                 "admissions_per_day = 4.0; weekday_factor = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, "
                 "1.0];");
    expect_error("both.cfg", "both.cfg:6: error: population.admissions_per_day: not together "
                             "with population.arrivals_table at ");
    expect_error("both.cfg", "both.cfg:6: error: population.weekday_factor: not together");
}

/* The table's own rules, which it keeps through the shared CSV layer
 * (csv_table's flags for tables of figures): # lines after the header,
 * rates of 11 digits and values as written are read; a tab between the
 * fields, a row of bare separators and a column other than date and rate
 * are not. */
static void table_rules_kept_through_the_csv_layer(void **state)
{
    (void)state;
    put_days("note.csv", "date,rate", 9, "# a note among the rows\n2025-01-10,12345678901\n");
    bad_scenario("note.csv");
    struct flyt_scenario *s = load_ok("bad.cfg");
    assert_true(s->arrivals->rate[9] == 12345678901.0);
    flyt_scenario_free(s);

    put("tab.csv", "date\trate\n2025-01-01\t1\n");
    bad_scenario("tab.csv");
    expect_error("bad.cfg", "tab.csv:1: error: column date\trate: unknown column");

    put_days("sep.csv", "date,rate", 10, ",\n");
    bad_scenario("sep.csv");
    expect_error("bad.cfg", "sep.csv:12: error: column date: expected a date YYYY-MM-DD, got \"\"");

    put_days("space.csv", "date,rate", 9, "2025-01-10,\"4.5 \"\n");
    bad_scenario("space.csv");
    expect_error("bad.cfg", "space.csv:11: error: column rate: expected a number of admissions "
                            "per day, got \"4.5 \"");

    put_days("name.csv", "date,rate,name", 0, "");
    bad_scenario("name.csv");
    expect_error("bad.cfg", "name.csv:1: error: column name: unknown column: the table has the "
                            "columns date and rate");
}

static void set_admissions_on_a_table_says_why(void **state)
{
    (void)state;
    put_days("ok.csv", "date,rate", 10, "");
    put_scenario("set.cfg", "2025-01-01", 10, 2, "arrivals_table = \"ok.csv\";", "");
    char path[256];
    snprintf(path, sizeof path, "%s/set.cfg", dir);
    const char *sets[] = { "population.admissions_per_day=3" };
    struct flyt_diag d;
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, sets, 1, &d));
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, "--set:1: error: population.admissions_per_day: not together "
                                   "with population.arrivals_table at "));
    flyt_diag_free(&d);
    /* a longer horizon than the table: said at the table's last row */
    const char *longer[] = { "run.horizon_days=11" };
    flyt_diag_init(&d);
    assert_null(flyt_scenario_load(path, longer, 1, &d));
    assert_non_null(strstr(d.text, "ok.csv:11: error: column date: the table ends on 2025-01-10"));
    flyt_diag_free(&d);
}

/* ---- provenance ---- */

static void resolved_text_records_the_rates_and_finds_the_table(void **state)
{
    (void)state;
    put("src.csv", "\xEF\xBB\xBF# SSB and the trust's admissions\r\ndate,rate\r\n"
                   "2025-01-01,5.2\r\n2025-01-02,0.1\r\n2025-01-03,7\r\n");
    put_scenario("p.cfg", "2025-01-01", 2.5, 1, "arrivals_table = \"src.csv\";", "");
    struct flyt_scenario *s = load_ok("p.cfg");
    assert_int_equal(s->arrivals->n_days, 3);
    assert_true(s->arrivals->path[0] == '/');
    assert_non_null(strstr(s->resolved_text, "arrivals_table = \"/"));
    assert_non_null(strstr(s->resolved_text, "#   2025-01-01 5.2 0.1 7\n"));

    /* a derived file in another folder, written as flyt calibrate and
     * optimise write theirs */
    char sub[128], path[256], err[512];
    snprintf(sub, sizeof sub, "%s/elsewhere", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(path, sizeof path, "%s/derived.cfg", sub);
    struct flyt_derived_file df = { .what = "Fitted by flyt calibrate",
                                    .spec_path = "calib.cfg",
                                    .scenario_path = "p.cfg",
                                    .values = "fitted values" };
    if (flyt_out_write_derived(path, FLYT_OUT_FITTED, s, &df, err, sizeof err) != 0)
        fail_msg("%s", err);
    struct flyt_scenario *t = load_ok("elsewhere/derived.cfg");
    assert_int_equal(t->arrivals->n_days, 3);
    assert_memory_equal(t->arrivals->rate, s->arrivals->rate, 3 * sizeof(double));
    assert_string_equal(t->resolved_text, s->resolved_text);
    flyt_scenario_free(t);
    /* the same table by another way: the same text */
    t = load_ok("elsewhere/.././p.cfg");
    assert_string_equal(t->resolved_text, s->resolved_text);
    flyt_scenario_free(t);
    flyt_scenario_free(s);
}

/* ---- a region: a municipality's own table ---- */

#define REGION                                                                                \
    "name = \"region\";\n"                                                                    \
    "run: { start_date = \"2025-01-01\"; horizon_days = 60.0; warmup_days = 10.0; };\n"       \
    "population: { cfs_mix = [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]; %s };\n"          \
    "hospital: { los_days = { dist = \"exponential\"; mean = 3.0; }; ukp_probability = 0.5; " \
    "};\n"                                                                                    \
    "decision: { delay_days = 0.0; destination = { short_term = 1.0; }; };\n"                 \
    "shared_units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; } );\n"     \
    "municipalities = (\n"                                                                    \
    "  { id = \"east\"; population = { %s };\n"                                               \
    "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 3;\n"                   \
    "      los_days = { dist = \"exponential\"; mean = 5.0; };\n"                             \
    "      outcome = { home = 1.0; }; } ); },\n"                                              \
    "  { id = \"west\"; population = { admissions_per_day = 1.0; };\n"                        \
    "    units = ( { id = \"short_term\"; kind = \"beds\"; capacity = 2;\n"                   \
    "      los_days = { dist = \"exponential\"; mean = 5.0; };\n"                             \
    "      outcome = { home = 1.0; }; } ); }\n"                                               \
    ");\n"

static void put_region(const char *name, const char *region_pop, const char *east_pop)
{
    char text[4096];
    snprintf(text, sizeof text, REGION, region_pop, east_pop);
    put(name, text);
}

static void municipality_table_runs_as_its_factors(void **state)
{
    (void)state;
    int day0 = flyt_days_from_civil(2025, 1, 1), wd0 = flyt_weekday(day0);
    char csv[4096];
    size_t len = (size_t)snprintf(csv, sizeof csv, "date,rate\n");
    for (int d = 0; d < 60; d++) {
        int y, m, md;
        flyt_civil_from_days(day0 + d, &y, &m, &md);
        double rate = 2.3 * 1.0 * week_f[(wd0 + d) % 7] * pow(1.0 + 0.0, (double)d / 365.0);
        len += (size_t)snprintf(csv + len, sizeof csv - len, "%04d-%02d-%02d,%.17g\n", y, m, md,
                                rate);
    }
    put("east.csv", csv);
    char factors[256];
    snprintf(factors, sizeof factors,
             "admissions_per_day = 2.3; weekday_factor = [%g, %g, %g, %g, %g, %g, %g];", week_f[0],
             week_f[1], week_f[2], week_f[3], week_f[4], week_f[5], week_f[6]);
    put_region("rf.cfg", "", factors);
    put_region("rt.cfg", "", "arrivals_table = \"east.csv\";");
    struct flyt_scenario *f = load_ok("rf.cfg"), *t = load_ok("rt.cfg");
    assert_non_null(t->munis[0].pop.arrivals);
    assert_true(t->munis[0].pop.own_arrivals);
    assert_null(t->munis[1].pop.arrivals);
    assert_non_null(strstr(t->resolved_text, "# municipalities.east.population.arrivals_table"));
    /* the region's table, which east takes and west, with a rate of its
     * own, does not */
    put_region("rg.cfg", "arrivals_table = \"east.csv\";", "");
    struct flyt_scenario *g = load_ok("rg.cfg");
    assert_true(g->munis[0].pop.arrivals == g->arrivals && !g->munis[0].pop.own_arrivals);
    assert_null(g->munis[1].pop.arrivals);
    enum { N = 2 };
    struct flyt_result *rf = flyt_test_run_reps(f, N, 2), *rt = flyt_test_run_reps(t, N, 2);
    struct flyt_result *rg = flyt_test_run_reps(g, N, 2);
    assert_same_results(rf, rt, N);
    assert_same_results(rf, rg, N);
    for (unsigned i = 0; i < N; i++) {
        assert_memory_equal(rf[i].muni_kpi, rt[i].muni_kpi, 2 * FLYT_N_KPI * sizeof(double));
        assert_memory_equal(rf[i].muni_kpi, rg[i].muni_kpi, 2 * FLYT_N_KPI * sizeof(double));
    }
    flyt_test_free_results(rf, N);
    flyt_test_free_results(rt, N);
    flyt_test_free_results(rg, N);
    flyt_scenario_free(f);
    flyt_scenario_free(t);
    flyt_scenario_free(g);

    /* the table beside the municipality's own rate; the region's table
     * beside a factor the municipality would have applied */
    put_region("rb.cfg", "", "arrivals_table = \"east.csv\"; admissions_per_day = 2.0;");
    expect_error("rb.cfg", "rb.cfg:8: error: municipalities.east.population.admissions_per_day: "
                           "not together with municipalities.east.population.arrivals_table at ");
    put_region("rr.cfg", "arrivals_table = \"east.csv\";",
               "month_factor = [1.0, 1.0, 1.0, "
               "1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.1];");
    expect_error("rr.cfg", "rr.cfg:8: error: municipalities.east.population.month_factor: not "
                           "together with the region's population.arrivals_table at ");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(table_of_the_factors_runs_bit_identical),
        cmocka_unit_test(step_in_the_table_shows_in_the_arrivals),
        cmocka_unit_test(bad_tables_fail_at_their_line),
        cmocka_unit_test(table_rules_kept_through_the_csv_layer),
        cmocka_unit_test(set_admissions_on_a_table_says_why),
        cmocka_unit_test(resolved_text_records_the_rates_and_finds_the_table),
        cmocka_unit_test(municipality_table_runs_as_its_factors),
    };
    return cmocka_run_group_tests(tests, make_dir, remove_dir);
}
