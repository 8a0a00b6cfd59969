/*
 * Sweeps (sim/sweep): point generation for every design, the split of
 * tasks over shards, the Slurm job-array mapping, file:line errors for bad
 * sweep files, the checkpoint journal (torn tails, foreign journals), and
 * a point's tasks giving the same results on 1 and 3 threads.
 */
#include "flyt/io.h"
#include "flyt/sweep.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct flyt_sweep *parse_ok(const char *text)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_parse(text, "t.cfg", &d);
    if (!sw)
        fprintf(stderr, "%s", d.text ? d.text : "(no message)\n");
    flyt_diag_free(&d);
    assert_non_null(sw);
    return sw;
}

/* Parses text that must fail, and checks that the messages contain want. */
static void parse_fails_with(const char *text, const char *want)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_parse(text, "t.cfg", &d);
    assert_null(sw);
    assert_true(d.n_errors > 0);
    if (!strstr(d.text, want))
        fprintf(stderr, "expected '%s' in:\n%s", want, d.text);
    assert_non_null(strstr(d.text, want));
    flyt_diag_free(&d);
}

static const char *value(const struct flyt_sweep *sw, size_t p, size_t j)
{
    return sw->value_text[p * sw->n_params + j];
}

static void grid_is_the_cartesian_product_last_key_fastest(void **state)
{
    (void)state;
    struct flyt_sweep *sw = parse_ok("base = \"b.cfg\"; design = \"grid\"; replications = 4;\n"
                                     "parameters = ( { key = \"a.x\"; values = [1, 2, 3]; },\n"
                                     "  { key = \"b.y\"; values = [0.5, 2.0]; } );\n");
    assert_int_equal(sw->n_points, 6);
    assert_int_equal(sw->n_params, 2);
    assert_int_equal(sw->replications, 4);
    static const char *const want[6][2] = { { "1", "0.5" }, { "1", "2.0" }, { "2", "0.5" },
                                            { "2", "2.0" }, { "3", "0.5" }, { "3", "2.0" } };
    for (size_t p = 0; p < 6; p++) {
        assert_string_equal(value(sw, p, 0), want[p][0]);
        assert_string_equal(value(sw, p, 1), want[p][1]);
    }
    assert_near(sw->value[5 * 2 + 1], 2.0, 0);
    assert_string_equal(sw->params[1].key, "b.y");
    assert_string_equal(sw->name, "t");
    flyt_sweep_free(sw);
}

static void list_keeps_order_and_value_types(void **state)
{
    (void)state;
    struct flyt_sweep *sw = parse_ok(
            "base = \"b.cfg\"; design = \"list\";\n"
            "parameters = ( { key = \"u.beds\"; }, { key = \"u.queue\"; }, { key = \"w.on\"; } );\n"
            "points = ( (110, \"fifo\", true), (125, \"priority\", false) );\n");
    assert_int_equal(sw->n_points, 2);
    assert_string_equal(value(sw, 1, 0), "125");
    assert_string_equal(value(sw, 1, 1), "\"priority\"");
    assert_string_equal(value(sw, 0, 2), "true");
    assert_true(sw->params[1].is_string);
    assert_false(sw->params[0].is_string);
    assert_true(isnan(sw->value[1]));
    assert_near(sw->value[2], 1.0, 0);
    flyt_sweep_free(sw);
}

static void sobol_follows_gsl_sequence_and_rounds_whole_ranges(void **state)
{
    (void)state;
    struct flyt_sweep *sw = parse_ok("base = \"b.cfg\"; design = \"sobol\"; n = 4;\n"
                                     "parameters = ( { key = \"a\"; min = 0.0; max = 1.0; },\n"
                                     "  { key = \"b\"; min = 100; max = 150; } );\n");
    assert_int_equal(sw->n_points, 4);
    /* GSL's Sobol sequence starts (0.5, 0.5), (0.75, 0.25), (0.25, 0.75) */
    assert_near(sw->value[0], 0.5, 0);
    assert_near(sw->value[2], 0.75, 0);
    assert_near(sw->value[4], 0.25, 0);
    assert_true(sw->params[1].integer);
    assert_false(sw->params[0].integer);
    /* whole numbers 100..150 in equal shares: u = 0.5 -> floor(100 + 0.5 * 51) */
    assert_string_equal(value(sw, 0, 1), "125");
    assert_string_equal(value(sw, 1, 1), "112");
    assert_string_equal(value(sw, 0, 0), "0.5");
    for (size_t p = 0; p < 4; p++)
        assert_true(sw->value[p * 2 + 1] >= 100 && sw->value[p * 2 + 1] <= 150);
    flyt_sweep_free(sw);
}

static void lhs_has_one_point_per_stratum_and_depends_on_its_seed(void **state)
{
    (void)state;
#define LHS_TEXT(seed)                                                \
    "base = \"b.cfg\"; design = \"lhs\"; n = 10; seed = " #seed ";\n" \
    "parameters = ( { key = \"a\"; min = 0.0; max = 10.0; },\n"       \
    "  { key = \"b\"; min = 0.0; max = 1.0; } );\n"
    const char *text = LHS_TEXT(3);
    struct flyt_sweep *sw = parse_ok(text), *again = parse_ok(text);
    struct flyt_sweep *other = parse_ok(LHS_TEXT(4));
    int seen_a[10] = { 0 }, seen_b[10] = { 0 };
    for (size_t p = 0; p < 10; p++) {
        double a = sw->value[p * 2], b = sw->value[p * 2 + 1];
        assert_true(a >= 0 && a < 10 && b >= 0 && b < 1);
        seen_a[(int)floor(a)]++;
        seen_b[(int)floor(b * 10)]++;
        assert_string_equal(value(sw, p, 0), value(again, p, 0));
    }
    for (int i = 0; i < 10; i++) {
        assert_int_equal(seen_a[i], 1);
        assert_int_equal(seen_b[i], 1);
    }
    int differ = 0;
    for (size_t p = 0; p < 10; p++)
        differ += strcmp(value(sw, p, 0), value(other, p, 0)) != 0;
    assert_true(differ > 0);
    flyt_sweep_free(sw);
    flyt_sweep_free(again);
    flyt_sweep_free(other);
}

static void shards_cover_every_task_exactly_once(void **state)
{
    (void)state;
    for (unsigned count = 1; count <= 7; count++)
        for (size_t n_tasks = 0; n_tasks <= 23; n_tasks++) {
            size_t per[7] = { 0 };
            for (size_t t = 0; t < n_tasks; t++) {
                int owners = 0;
                for (unsigned i = 0; i < count; i++)
                    if (flyt_sweep_in_shard(t, i, count)) {
                        owners++;
                        per[i]++;
                    }
                assert_int_equal(owners, 1);
            }
            /* round robin: shares differ by at most one task */
            for (unsigned i = 0; i < count; i++)
                assert_true(per[i] + 1 >= n_tasks / count && per[i] <= n_tasks / count + 1);
        }
}

static void shard_text_and_slurm_variables(void **state)
{
    (void)state;
    unsigned i = 99, n = 99;
    assert_true(flyt_sweep_parse_shard("2/3", &i, &n));
    assert_int_equal(i, 2);
    assert_int_equal(n, 3);
    assert_false(flyt_sweep_parse_shard("3/3", &i, &n));
    assert_false(flyt_sweep_parse_shard("1/0", &i, &n));
    assert_false(flyt_sweep_parse_shard("-1/3", &i, &n));
    assert_false(flyt_sweep_parse_shard("1/3x", &i, &n));
    assert_false(flyt_sweep_parse_shard("13", &i, &n));
    char err[256];
    unsetenv("SLURM_ARRAY_TASK_ID");
    assert_int_equal(flyt_sweep_shard_from_env(&i, &n, err, sizeof err), 0);
    setenv("SLURM_ARRAY_TASK_ID", "5", 1);
    setenv("SLURM_ARRAY_TASK_COUNT", "8", 1);
    setenv("SLURM_ARRAY_TASK_MIN", "1", 1); /* --array=1-8 */
    assert_int_equal(flyt_sweep_shard_from_env(&i, &n, err, sizeof err), 1);
    assert_int_equal(i, 4);
    assert_int_equal(n, 8);
    unsetenv("SLURM_ARRAY_TASK_MIN");
    setenv("SLURM_ARRAY_TASK_ID", "8", 1);
    assert_int_equal(flyt_sweep_shard_from_env(&i, &n, err, sizeof err), -1);
    unsetenv("SLURM_ARRAY_TASK_ID");
    unsetenv("SLURM_ARRAY_TASK_COUNT");
}

static void bad_sweep_files_give_file_line_errors(void **state)
{
    (void)state;
    parse_fails_with("base = \"b.cfg\";\ndesign = \"grdi\";\nparameters = ();\n",
                     "t.cfg:2: error: design: unknown design 'grdi'");
    parse_fails_with("base = \"b.cfg\"; design = \"grid\";\nparameters = (\n"
                     "  { key = \"a.b\"; values = []; } );\n",
                     "t.cfg:3: error: parameters[0]: values: empty list");
    parse_fails_with("base = \"b.cfg\"; design = \"sobol\"; n = 8;\nparameters = (\n"
                     "  { key = \"a.b\"; min = 5.0;\n max = 5.0; } );\n",
                     "t.cfg:4: error: parameters[0]: bad range: min (5) must be below max (5)");
    parse_fails_with("base = \"b.cfg\"; design = \"lhs\";\nn = 0;\n"
                     "parameters = ( { key = \"a\"; min = 0; max = 1; } );\n",
                     "t.cfg:2: error: n: must be between 1 and");
    parse_fails_with("base = \"b.cfg\"; design = \"sobol\";\n"
                     "parameters = ( { key = \"a\"; min = 0; max = 1; } );\n",
                     "t.cfg:1: error: n: required key is missing");
    parse_fails_with("base = \"b.cfg\"; design = \"list\";\n"
                     "parameters = ( { key = \"a\"; }, { key = \"b\"; } );\n"
                     "points = ( (1, 2),\n (3) );\n",
                     "t.cfg:4: error: points[1]: expected a list of 2 values");
    parse_fails_with("base = \"b.cfg\"; design = \"grid\";\n"
                     "parameters = ( { key = \"a\"; values = [1]; } );\nreplication = 3;\n",
                     "t.cfg:3: error: replication: unknown key 'replication'");
    parse_fails_with("design = \"grid\";\nparameters = ( { key = \"a\"; values = [1]; } );\n",
                     "t.cfg:1: error: base: required key is missing");
    parse_fails_with("base = \"b.cfg\"; design = \"grid\";\nparameters = (\n"
                     " { key = \"a..b\"; values = [1]; } );\n",
                     "t.cfg:3: error: parameters[0]: 'a..b' is not a key path");
    parse_fails_with("base = \"b.cfg\"; design = \"grid\";\nparameters = ( { key = } );\n",
                     "t.cfg:2: error: syntax");
}

/* Exactly one message, the one wanted: a limit or a refused list must not
 * bring a cascade of unknown-key messages about what it holds. */
static void parse_fails_once_with(const char *text, const char *want)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    assert_null(flyt_sweep_parse(text, "t.cfg", &d));
    if (d.n_errors != 1 || !strstr(d.text, want))
        fprintf(stderr, "expected only '%s' in:\n%s", want, d.text);
    assert_int_equal(d.n_errors, 1);
    assert_non_null(strstr(d.text, want));
    flyt_diag_free(&d);
}

static void a_limit_or_a_refused_list_gives_one_message(void **state)
{
    (void)state;
    char text[8192];
    int at = snprintf(text, sizeof text, "base = \"b.cfg\"; design = \"grid\";\nparameters = (\n");
    for (int i = 0; i < 41; i++)
        at += snprintf(text + at, sizeof text - (size_t)at, "%s { key = \"k%d\"; values = [1]; }\n",
                       i ? "," : "", i);
    snprintf(text + at, sizeof text - (size_t)at, ");\n");
    parse_fails_once_with(text, "t.cfg:2: error: parameters: 41 parameters, but a sweep varies 1 "
                                "to 40");
    parse_fails_once_with("base = \"b.cfg\"; design = \"grid\";\nparameters = { key = \"a\"; };\n",
                          "t.cfg:2: error: parameters: expected a list");
    parse_fails_once_with("base = \"b.cfg\"; design = \"grid\";\nparameters = (\n"
                          " { key = \"a\"; values = [1]; },\n { key = \"a\"; values = [2]; } );\n",
                          "t.cfg:4: error: parameters[1]: 'a' is varied twice");
    parse_fails_once_with("base = \"b.cfg\"; design = \"sobol\"; n = 4;\nparameters = (\n"
                          " { min = 1; max = 2; } );\n",
                          "t.cfg:3: error: parameters[0].key: required key is missing");
    parse_fails_once_with("base = \"b.cfg\"; design = \"grid\";\nparameters = (\n"
                          " { key = \"a\"; values = { x = 1; y = 2; }; } );\n",
                          "t.cfg:3: error: parameters[0]: values: expected a list");
    parse_fails_once_with("base = \"b.cfg\"; design = \"grid\";\nset = { x = 1; };\n"
                          "parameters = ( { key = \"a\"; values = [1]; } );\n",
                          "t.cfg:2: error: set: expected a list");
    parse_fails_once_with("base = \"b.cfg\"; design = \"list\";\n"
                          "parameters = ( { key = \"a\"; } );\npoints = { p = (1); };\n",
                          "t.cfg:3: error: points: expected a list of points");
    /* an unknown key beside a refused key is still reported */
    struct flyt_diag d;
    flyt_diag_init(&d);
    assert_null(flyt_sweep_parse("base = \"b.cfg\"; design = \"grid\";\nparameters = (\n"
                                 " { key = \"a..b\"; values = [1]; vlaues = [2]; } );\n",
                                 "t.cfg", &d));
    assert_int_equal(d.n_errors, 2);
    assert_non_null(strstr(d.text, "unknown key 'vlaues'"));
    flyt_diag_free(&d);
}

/* A sweep file next to the tests' build, naming a real base scenario. */
static char *write_sweep(const char *name, const char *body)
{
    static char path[1024];
    snprintf(path, sizeof path, "%s/%s", FLYT_BINARY_DIR, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    if (strncmp(body, "base", 4) == 0)
        fprintf(f, "%s", body);
    else
        fprintf(f, "base = \"%s/scenarios/trondheim-2025.cfg\";\n%s", FLYT_SOURCE_DIR, body);
    fclose(f);
    return path;
}

static void load_fails_with(const char *file, const char *body, const char *want)
{
    char *path = write_sweep(file, body);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_load(path, NULL, &d);
    assert_null(sw);
    char full[1200];
    snprintf(full, sizeof full, "%s%s", path, want);
    if (!d.text || !strstr(d.text, full))
        fprintf(stderr, "expected '%s' in:\n%s", full, d.text ? d.text : "(nothing)");
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, full));
    flyt_diag_free(&d);
    unlink(path);
}

/* The shipped base with one more unit first, which nothing routes to:
 * its id can be varied without breaking the network. Returns its path. */
static const char *base_with_extra_unit(void)
{
    static char path[1024];
    char src[1024];
    snprintf(src, sizeof src, "%s/scenarios/trondheim-2025.cfg", FLYT_SOURCE_DIR);
    snprintf(path, sizeof path, "%s/sweep-base-extra.cfg", FLYT_BINARY_DIR);
    FILE *in = fopen(src, "rb"), *out = fopen(path, "wb");
    assert_non_null(in);
    assert_non_null(out);
    char line[4096];
    while (fgets(line, sizeof line, in)) {
        fputs(line, out);
        if (strcmp(line, "units = (\n") == 0)
            fputs("  { id = \"extra\"; kind = \"unlimited\"; initial_patients = 2;\n"
                  "    los_days = { dist = \"exponential\"; mean = 5.0; }; outcome = \"home\"; "
                  "},\n",
                  out);
    }
    fclose(in);
    fclose(out);
    return path;
}

static void a_point_with_other_units_is_refused(void **state)
{
    (void)state;
    const char *base = base_with_extra_unit();
    char body[2048];
    snprintf(body, sizeof body,
             "base = \"%s\";\ndesign = \"list\";\n"
             "parameters = ( { key = \"units.extra.id\"; } );\n"
             "points = ( (\"extra\"), (\"extra2\") );\n",
             base);
    load_fails_with(
            "sweep-other-units.cfg", body,
            ":3: error: parameters: point 1 (units.extra.id=\"extra2\") has the units "
            "[extra2, hospital, short_term, nursing_home, home_care], point 0 [extra, hospital,");
    /* the same value at every point keeps the list: accepted */
    snprintf(body, sizeof body,
             "base = \"%s\";\ndesign = \"list\";\n"
             "parameters = ( { key = \"units.extra.id\"; } );\npoints = ( (\"x\"), (\"x\") );\n",
             base);
    char *path = write_sweep("sweep-same-units.cfg", body);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_load(path, NULL, &d);
    if (!sw)
        fprintf(stderr, "%s", d.text);
    assert_non_null(sw);
    assert_int_equal(sw->n_units, 5);
    assert_string_equal(sw->unit_ids[0], "x");
    assert_string_equal(sw->unit_ids[1], "hospital");
    flyt_sweep_free(sw);
    flyt_diag_free(&d);
    unlink(path);
    unlink(base);
}

static void values_the_base_refuses_point_at_the_sweep_file(void **state)
{
    (void)state;
    load_fails_with("sweep-unknown-key.cfg",
                    "design = \"grid\";\nparameters = (\n"
                    "  { key = \"units.short_term.capacityz\"; values = [100]; } );\n",
                    ":4: error: units.short_term.capacityz: unknown key 'capacityz'");
    load_fails_with("sweep-bad-value.cfg",
                    "design = \"grid\";\nparameters = ( { key = \"units.short_term.capacity\";\n"
                    "  values = [100, -5]; } );\n",
                    ":3: error: units.short_term.capacity: must be");
    load_fails_with("sweep-bad-set.cfg",
                    "design = \"grid\";\nset = [\"run.horizon_days=abc\"];\n"
                    "parameters = ( { key = \"units.short_term.capacity\"; values = [100]; } );\n",
                    ":3: error: run.horizon_days");
    load_fails_with("sweep-no-base.cfg",
                    "base = \"/nonexistent/base.cfg\";\ndesign = \"grid\";\n"
                    "parameters = ( { key = \"units.short_term.capacity\"; values = [100]; } );\n",
                    ":1: error: base: cannot read the base scenario '/nonexistent/base.cfg'");
}

static void loads_every_point_with_base_seed_and_replications(void **state)
{
    (void)state;
    char *path = write_sweep("sweep-ok.cfg",
                             "design = \"grid\";\nset = [\"run.horizon_days=60\", "
                             "\"run.warmup_days=10\"];\nparameters = ( { key = "
                             "\"units.short_term.capacity\"; values = [100, 140]; } );\n");
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario **sc = NULL;
    struct flyt_sweep *sw = flyt_sweep_load(path, &sc, &d);
    if (!sw)
        fprintf(stderr, "%s", d.text);
    assert_non_null(sw);
    assert_int_equal(sw->replications, 20); /* the base's run.replications */
    assert_true(sw->seed == 20251231ULL);
    int st = sc[0]->n_units;
    for (int u = 0; u < sc[0]->n_units; u++)
        if (strcmp(sc[0]->units[u].id, "short_term") == 0)
            st = u;
    assert_true(st < sc[0]->n_units);
    assert_near(sc[0]->units[st].capacity, 100, 0);
    assert_near(sc[1]->units[st].capacity, 140, 0);
    assert_near(sc[1]->horizon_days, 60, 0);
    assert_true(sw->hash != 0);

    /* two threads or one: the same figures, bit for bit */
    sw->replications = 3;
    size_t n = flyt_sweep_n_tasks(sw);
    struct flyt_result *a = calloc(n, sizeof *a), *b = calloc(n, sizeof *b);
    bool *da = calloc(n, sizeof *da), *db = calloc(n, sizeof *db);
    assert_int_equal(flyt_sweep_run_tasks(sw, sc, NULL, da, a, 1, false, NULL, NULL), 0);
    assert_int_equal(flyt_sweep_run_tasks(sw, sc, NULL, db, b, 3, false, NULL, NULL), 0);
    for (size_t t = 0; t < n; t++) {
        assert_true(da[t] && db[t]);
        assert_memory_equal(a[t].kpi, b[t].kpi, sizeof a[t].kpi);
        assert_int_equal(a[t].n_units, sc[0]->n_units);
        assert_memory_equal(a[t].unit_kpi, b[t].unit_kpi,
                            a[t].n_units * FLYT_N_UNIT_KPI * sizeof(double));
    }
    /* common random numbers: the same arrivals at both points */
    assert_near(a[0].kpi[FLYT_KPI_arrivals], a[3].kpi[FLYT_KPI_arrivals], 0);
    /* points loaded as their tasks start, not held: the same figures too,
     * and a shard's want[] leaves the other tasks alone */
    bool want[6] = { true, false, true, true, false, true };
    for (size_t t = 0; t < n; t++) {
        flyt_result_free(&b[t]);
        db[t] = false;
    }
    assert_int_equal(flyt_sweep_run_tasks(sw, NULL, want, db, b, 2, false, NULL, NULL), 0);
    for (size_t t = 0; t < n; t++) {
        assert_true(db[t] == want[t]);
        if (want[t]) {
            assert_memory_equal(a[t].kpi, b[t].kpi, sizeof a[t].kpi);
            assert_memory_equal(a[t].unit_kpi, b[t].unit_kpi,
                                a[t].n_units * FLYT_N_UNIT_KPI * sizeof(double));
        }
    }
    /* fewer short-term beds, the same patients: the beds are the difference */
    assert_near(flyt_result_unit_kpi(&a[0], (unsigned)st)[FLYT_UNIT_KPI_capacity], 100, 1e-9);
    assert_near(flyt_result_unit_kpi(&a[3], (unsigned)st)[FLYT_UNIT_KPI_capacity], 140, 1e-9);
    for (size_t t = 0; t < n; t++) {
        flyt_result_free(&a[t]);
        flyt_result_free(&b[t]);
    }
    free(a);
    free(b);
    free(da);
    free(db);
    flyt_sweep_free_scenarios(sc, sw->n_points);
    flyt_sweep_free(sw);
    flyt_diag_free(&d);
    unlink(path);
}

/* Two units, as the journals below are opened for. */
static struct flyt_result fake(size_t t)
{
    struct flyt_result r;
    memset(&r, 0, sizeof r);
    for (int k = 0; k < FLYT_N_KPI; k++)
        r.kpi[k] = (double)t + k / 64.0;
    r.model_events = t * 7;
    r.n_units = 2;
    r.unit_kpi = malloc(2 * FLYT_N_UNIT_KPI * sizeof *r.unit_kpi);
    assert_non_null(r.unit_kpi);
    for (int i = 0; i < 2 * FLYT_N_UNIT_KPI; i++)
        r.unit_kpi[i] = i == 3 ? NAN : (double)t * 100 + i / 8.0;
    return r;
}

static void journal_keeps_finished_tasks_and_cuts_a_torn_tail(void **state)
{
    (void)state;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/test_sweep.journal", FLYT_BINARY_DIR);
    unlink(path);
    struct flyt_result res[10];
    bool done[10] = { false };
    size_t loaded = 0;
    memset(res, 0, sizeof res);
    struct flyt_journal *j =
            flyt_journal_open(path, 42, 10, false, 2, false, res, done, &loaded, err, sizeof err);
    assert_non_null(j);
    for (size_t t = 2; t < 6; t++) {
        struct flyt_result r = fake(t);
        assert_int_equal(flyt_journal_append(j, t, &r), 0);
        flyt_result_free(&r);
    }
    /* a result of another network would come back under the wrong ids */
    struct flyt_result other = fake(6);
    other.n_units = 1;
    assert_int_equal(flyt_journal_append(j, 6, &other), -1);
    flyt_result_free(&other);
    assert_int_equal(flyt_journal_close(j, false), 0);
    FILE *f = fopen(path, "ab"); /* a record cut short by a kill */
    fwrite("\x46\x59\x54\x52\x00\x10", 1, 6, f);
    fclose(f);

    /* without --resume the work is not thrown away */
    assert_null(
            flyt_journal_open(path, 42, 10, false, 2, false, res, done, &loaded, err, sizeof err));
    assert_non_null(strstr(err, "--resume"));
    /* another sweep's journal is refused */
    assert_null(
            flyt_journal_open(path, 43, 10, false, 2, true, res, done, &loaded, err, sizeof err));
    assert_non_null(strstr(err, "another sweep"));

    j = flyt_journal_open(path, 42, 10, false, 2, true, res, done, &loaded, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(loaded, 4);
    for (size_t t = 0; t < 10; t++)
        assert_true(done[t] == (t >= 2 && t < 6));
    struct flyt_result want = fake(4);
    assert_memory_equal(res[4].kpi, want.kpi, sizeof want.kpi);
    assert_true(res[4].model_events == 28);
    /* the unit KPIs come back bit for bit, NaN included */
    assert_int_equal(res[4].n_units, 2);
    assert_non_null(res[4].unit_kpi);
    assert_memory_equal(res[4].unit_kpi, want.unit_kpi, 2 * FLYT_N_UNIT_KPI * sizeof(double));
    flyt_result_free(&want);
    struct flyt_result r = fake(7);
    assert_int_equal(flyt_journal_append(j, 7, &r), 0); /* lands after the cut */
    flyt_result_free(&r);
    assert_int_equal(flyt_journal_close(j, false), 0);
    /* a journal of another number of units is another sweep's */
    assert_null(
            flyt_journal_open(path, 42, 10, false, 3, true, res, done, &loaded, err, sizeof err));
    memset(done, 0, sizeof done);
    j = flyt_journal_open(path, 42, 10, false, 2, true, res, done, &loaded, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(loaded, 5);
    assert_true(done[7]);
    assert_int_equal(flyt_journal_close(j, true), 0);
    assert_int_not_equal(access(path, F_OK), 0);
    for (size_t t = 0; t < 10; t++)
        flyt_result_free(&res[t]);
}

static void journal_of_an_older_format_is_refused_by_name(void **state)
{
    (void)state;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/test_sweep_old.journal", FLYT_BINARY_DIR);
    /* format 1 kept no unit KPIs: its header alone is shorter than
     * today's, and a resume from it would lose them */
    unsigned char head[48] = "FLYTJRN1";
    uint64_t hash = 42, n = 10, sum;
    uint32_t f32[4] = { 0, FLYT_N_KPI, FLYT_N_SERIES, 0 };
    memcpy(head + 8, &hash, 8);
    memcpy(head + 16, &n, 8);
    memcpy(head + 24, f32, sizeof f32);
    sum = flyt_fnv1a(FLYT_FNV1A_INIT, head, 40);
    memcpy(head + 40, &sum, 8);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(head, 1, sizeof head, f), sizeof head);
    fclose(f);
    struct flyt_result res[10];
    bool done[10] = { false };
    size_t loaded = 0;
    memset(res, 0, sizeof res);
    assert_null(
            flyt_journal_open(path, 42, 10, false, 2, true, res, done, &loaded, err, sizeof err));
    if (!strstr(err, "journal format 1"))
        fprintf(stderr, "%s\n", err);
    assert_non_null(strstr(err, "another flyt version (journal format 1"));
    assert_non_null(strstr(err, "test_sweep_old.journal"));
    assert_int_equal(access(path, F_OK), 0); /* not ours to delete */
    unlink(path);
}

/* Shards written and read back, then merged: every task's unit KPIs
 * arrive bit for bit, under the sweep's unit ids. */
static void shards_and_merge_carry_unit_kpis(void **state)
{
    (void)state;
    char *path = write_sweep("sweep-units.cfg",
                             "design = \"grid\";\nreplications = 3;\nset = "
                             "[\"run.horizon_days=60\", \"run.warmup_days=10\"];\n"
                             "parameters = ( { key = \"units.short_term.capacity\"; values = "
                             "[100, 140]; } );\n");
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_sweep *sw = flyt_sweep_load(path, NULL, &d);
    assert_non_null(sw);
    assert_int_equal(sw->n_units, 4);
    assert_string_equal(sw->unit_ids[1], "short_term");
    size_t n = flyt_sweep_n_tasks(sw);
    struct flyt_result *res = calloc(n, sizeof *res), *back = calloc(n, sizeof *back);
    bool *done = calloc(n, sizeof *done), *have = calloc(n, sizeof *have);
    assert_int_equal(flyt_sweep_run_tasks(sw, NULL, NULL, done, res, 1, false, NULL, NULL), 0);
    char shard[2][1024], merged[1024], err[1024];
    for (unsigned i = 0; i < 2; i++) {
        snprintf(shard[i], sizeof shard[i], "%s/sweep-units.shard-%u-of-2.h5", FLYT_BINARY_DIR, i);
        for (size_t t = 0; t < n; t++)
            have[t] = flyt_sweep_in_shard(t, i, 2);
        if (flyt_h5_write_sweep(shard[i], sw, res, have, i, 2, false, NULL, err, sizeof err))
            fprintf(stderr, "%s\n", err);
        struct flyt_sweep_file f;
        assert_int_equal(flyt_h5_sweep_read_info(shard[i], &f, err, sizeof err), 0);
        assert_int_equal(f.n_units, 4);
        for (unsigned u = 0; u < 4; u++)
            assert_string_equal(f.unit_ids[u], sw->unit_ids[u]);
        assert_int_equal(flyt_h5_sweep_read_tasks(&f, back, err, sizeof err), 0);
        flyt_h5_sweep_file_free(&f);
    }
    for (size_t t = 0; t < n; t++) {
        assert_int_equal(back[t].n_units, 4);
        assert_memory_equal(back[t].unit_kpi, res[t].unit_kpi,
                            4 * FLYT_N_UNIT_KPI * sizeof(double));
        flyt_result_free(&back[t]);
    }
    snprintf(merged, sizeof merged, "%s/sweep-units-merged.h5", FLYT_BINARY_DIR);
    const char *paths[] = { shard[0], shard[1] };
    assert_int_equal(flyt_sweep_merge(paths, 2, merged, NULL, stderr), 0);
    struct flyt_sweep_file f;
    assert_int_equal(flyt_h5_sweep_read_info(merged, &f, err, sizeof err), 0);
    assert_string_equal(f.kind, "sweep");
    assert_int_equal(f.n_units, 4);
    assert_int_equal(flyt_h5_sweep_read_tasks(&f, back, err, sizeof err), 0);
    for (size_t t = 0; t < n; t++)
        assert_memory_equal(back[t].unit_kpi, res[t].unit_kpi,
                            4 * FLYT_N_UNIT_KPI * sizeof(double));
    flyt_h5_sweep_file_free(&f);
    for (size_t t = 0; t < n; t++) {
        flyt_result_free(&res[t]);
        flyt_result_free(&back[t]);
    }
    free(res);
    free(back);
    free(done);
    free(have);
    unlink(shard[0]);
    unlink(shard[1]);
    unlink(merged);
    flyt_sweep_free(sw);
    flyt_diag_free(&d);
    unlink(path);
}

static void flip_byte(const char *path, long at)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    int c = fgetc(f);
    assert_int_equal(fseek(f, at, SEEK_SET), 0);
    fputc(c ^ 0x10, f);
    fclose(f);
}

static void journal_refuses_a_damaged_header_and_says_what_a_damaged_record_costs(void **state)
{
    (void)state;
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/test_sweep_damaged.journal", FLYT_BINARY_DIR);
    unlink(path);
    struct flyt_result res[10];
    bool done[10] = { false };
    size_t loaded = 0;
    memset(res, 0, sizeof res);
    struct flyt_journal *j =
            flyt_journal_open(path, 42, 10, false, 2, false, res, done, &loaded, err, sizeof err);
    assert_non_null(j);
    assert_string_equal(err, "");
    for (size_t t = 0; t < 6; t++) {
        struct flyt_result r = fake(t);
        assert_int_equal(flyt_journal_append(j, t, &r), 0);
        flyt_result_free(&r);
    }
    assert_int_equal(flyt_journal_close(j, false), 0);

    /* a bit of the second record's unit KPIs: the first is kept, the rest run again */
    long header = 56, record = (long)(8 + 8 + 4 + 4 + 8 + 8 + 128 + 8 * FLYT_N_KPI +
                                      2 * 8 * FLYT_N_UNIT_KPI + 8);
    flip_byte(path, header + record + 8 + 360);
    j = flyt_journal_open(path, 42, 10, false, 2, true, res, done, &loaded, err, sizeof err);
    assert_non_null(j);
    assert_int_equal(loaded, 1);
    assert_true(done[0] && !done[1] && !done[5]);
    assert_non_null(strstr(err, "damaged record"));
    assert_int_equal(flyt_journal_close(j, false), 0);

    /* the sweep hash in the header: another sweep's journal, or damage? the
     * header's own checksum tells, and a damaged one is not trusted */
    flip_byte(path, 9);
    memset(done, 0, sizeof done);
    assert_null(
            flyt_journal_open(path, 42, 10, false, 2, true, res, done, &loaded, err, sizeof err));
    assert_non_null(strstr(err, "damaged"));
    assert_non_null(strstr(err, "test_sweep_damaged.journal"));
    for (size_t t = 0; t < 10; t++)
        flyt_result_free(&res[t]);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(grid_is_the_cartesian_product_last_key_fastest),
        cmocka_unit_test(list_keeps_order_and_value_types),
        cmocka_unit_test(sobol_follows_gsl_sequence_and_rounds_whole_ranges),
        cmocka_unit_test(lhs_has_one_point_per_stratum_and_depends_on_its_seed),
        cmocka_unit_test(shards_cover_every_task_exactly_once),
        cmocka_unit_test(shard_text_and_slurm_variables),
        cmocka_unit_test(bad_sweep_files_give_file_line_errors),
        cmocka_unit_test(a_limit_or_a_refused_list_gives_one_message),
        cmocka_unit_test(values_the_base_refuses_point_at_the_sweep_file),
        cmocka_unit_test(a_point_with_other_units_is_refused),
        cmocka_unit_test(shards_and_merge_carry_unit_kpis),
        cmocka_unit_test(loads_every_point_with_base_seed_and_replications),
        cmocka_unit_test(journal_keeps_finished_tasks_and_cuts_a_torn_tail),
        cmocka_unit_test(journal_refuses_a_damaged_header_and_says_what_a_damaged_record_costs),
        cmocka_unit_test(journal_of_an_older_format_is_refused_by_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
