/* The checkpoint journal of flyt run and compare (flyt/checkpoint.h) and
 * the experiment's resume hooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/checkpoint.h"
#include "flyt/experiment.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define N_REP 4

static char path[256];

static int setup(void **state)
{
    (void)state;
    snprintf(path, sizeof path, "%s/test_checkpoint.%ld.journal", FLYT_BINARY_DIR, (long)getpid());
    unlink(path);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    unlink(path);
    return 0;
}

static bool exists(void)
{
    struct stat st;
    return stat(path, &st) == 0;
}

/* A result with every field set, series 0 and 2 present, a role. */
static void fake(struct flyt_result *r, unsigned rep)
{
    memset(r, 0, sizeof *r);
    r->replication = rep;
    r->status = FLYT_RUN_OK;
    snprintf(r->status_detail, sizeof r->status_detail, "rep %u", rep);
    for (int k = 0; k < FLYT_N_KPI; k++)
        r->kpi[k] = rep + k / 7.0;
    r->kpi[3] = NAN;
    r->n_days = 5;
    for (int k = 0; k < FLYT_N_SERIES; k += 2) {
        r->series[k] = malloc(5 * sizeof(double));
        for (int d = 0; d < 5; d++)
            r->series[k][d] = rep * 100 + k + d / 3.0;
    }
    r->model_events = 1000 + rep;
    r->engine_events = 2000 + rep;
    r->wall_seconds = 0.5;
    r->n_roles = 2;
    r->role_kpi[1][FLYT_ROLE_KPI_utilisation] = 0.25 * rep;
}

static void assert_same(const struct flyt_result *a, const struct flyt_result *b)
{
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->status_detail, b->status_detail);
    assert_memory_equal(a->kpi, b->kpi, sizeof a->kpi);
    assert_memory_equal(a->role_kpi, b->role_kpi, sizeof a->role_kpi);
    assert_int_equal(a->n_days, b->n_days);
    assert_int_equal(a->n_roles, b->n_roles);
    assert_int_equal(a->model_events, b->model_events);
    assert_int_equal(a->engine_events, b->engine_events);
    for (int k = 0; k < FLYT_N_SERIES; k++) {
        assert_int_equal(a->series[k] != NULL, b->series[k] != NULL);
        if (a->series[k])
            assert_memory_equal(a->series[k], b->series[k], a->n_days * sizeof(double));
    }
}

static struct flyt_checkpoint *open_into(struct flyt_result *res, bool *done, bool resume,
                                         uint64_t hash, size_t *n)
{
    struct flyt_result *rows[2] = { res, res + N_REP };
    char err[512] = "";
    struct flyt_checkpoint *c =
            flyt_checkpoint_open(path, hash, 2, N_REP, resume, rows, done, n, err, sizeof err);
    if (!c)
        printf("# %s\n", err);
    return c;
}

static void free_all(struct flyt_result *res, size_t n)
{
    for (size_t i = 0; i < n; i++)
        flyt_result_free(&res[i]);
}

static void records_come_back_bit_for_bit(void **state)
{
    (void)state;
    struct flyt_result res[2 * N_REP] = { 0 }, in[2];
    bool done[2 * N_REP] = { 0 };
    size_t n;
    struct flyt_checkpoint *c = open_into(res, done, false, 42, &n);
    assert_non_null(c);
    assert_false(exists()); /* made on the first append only */
    fake(&in[0], 1);
    fake(&in[1], 3);
    assert_int_equal(flyt_checkpoint_append(c, 0, 1, &in[0]), 0);
    assert_int_equal(flyt_checkpoint_append(c, 1, 3, &in[1]), 0);
    assert_int_equal(flyt_checkpoint_count(c), 2);
    assert_int_equal(flyt_checkpoint_close(c, false), 0);

    c = open_into(res, done, true, 42, &n);
    assert_non_null(c);
    assert_int_equal(n, 2);
    assert_true(done[1] && done[N_REP + 3]);
    assert_false(done[0] || done[N_REP + 1]);
    assert_same(&in[0], &res[1]);
    assert_same(&in[1], &res[N_REP + 3]);
    assert_int_equal(flyt_checkpoint_close(c, true), 0);
    assert_false(exists());
    free_all(res, 2 * N_REP);
    free_all(in, 2);
}

static void a_torn_tail_is_cut_off(void **state)
{
    (void)state;
    struct flyt_result res[2 * N_REP] = { 0 }, in;
    bool done[2 * N_REP] = { 0 };
    size_t n;
    struct flyt_checkpoint *c = open_into(res, done, false, 7, &n);
    fake(&in, 2);
    assert_int_equal(flyt_checkpoint_append(c, 0, 2, &in), 0);
    assert_int_equal(flyt_checkpoint_append(c, 0, 3, &in), 0);
    flyt_checkpoint_close(c, false);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(truncate(path, st.st_size - 5), 0); /* the second record torn */

    c = open_into(res, done, true, 7, &n);
    assert_non_null(c);
    assert_int_equal(n, 1);
    assert_true(done[2]);
    assert_false(done[3]);
    /* appending after the cut gives a readable journal again */
    assert_int_equal(flyt_checkpoint_append(c, 0, 3, &in), 0);
    flyt_checkpoint_close(c, false);
    memset(done, 0, sizeof done);
    c = open_into(res, done, true, 7, &n);
    assert_int_equal(n, 2);
    flyt_checkpoint_close(c, true);
    free_all(res, 2 * N_REP);
    flyt_result_free(&in);
}

static void an_existing_journal_needs_resume_and_the_same_run(void **state)
{
    (void)state;
    struct flyt_result res[2 * N_REP] = { 0 }, in;
    bool done[2 * N_REP] = { 0 };
    size_t n;
    struct flyt_checkpoint *c = open_into(res, done, false, 9, &n);
    fake(&in, 0);
    flyt_checkpoint_append(c, 0, 0, &in);
    flyt_checkpoint_close(c, false);
    assert_null(open_into(res, done, false, 9, &n)); /* no --resume */
    assert_null(open_into(res, done, true, 10, &n)); /* another run */
    assert_true(exists());                           /* left alone */
    assert_non_null(c = open_into(res, done, true, 9, &n));
    flyt_checkpoint_close(c, true);
    free_all(res, 2 * N_REP);
    flyt_result_free(&in);
}

static void nothing_appended_leaves_no_file(void **state)
{
    (void)state;
    struct flyt_result res[2 * N_REP] = { 0 };
    bool done[2 * N_REP] = { 0 };
    size_t n;
    struct flyt_checkpoint *c = open_into(res, done, true, 1, &n);
    assert_non_null(c);
    assert_int_equal(n, 0);
    flyt_checkpoint_close(c, false);
    assert_false(exists());
}

static unsigned finished_calls;
static void on_finished(void *ctx, unsigned rep, const struct flyt_result *r)
{
    (void)ctx;
    (void)r;
    assert_true(rep != 1 && rep != 2);
    finished_calls++;
}

/* Replications marked done are not run (their results stay as given), the
 * others are, and the result is the one a full run gives. */
static void resume_skips_done_replications(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60", "run.warmup_days=10" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_result full[N_REP] = { 0 }, part[N_REP] = { 0 };
    assert_int_equal(flyt_experiment_run(s, N_REP, 2, full, NULL, NULL), 0);
    bool done[N_REP] = { false, true, true, false };
    part[1].kpi[0] = -1;
    part[2].kpi[0] = -2;
    struct flyt_experiment_resume rs = { done, on_finished, NULL };
    finished_calls = 0;
    assert_int_equal(flyt_experiment_run_resume(s, N_REP, 2, part, NULL, NULL, NULL, &rs), 0);
    assert_int_equal(finished_calls, 2);
    assert_true(part[1].kpi[0] == -1 && part[2].kpi[0] == -2);
    assert_memory_equal(part[0].kpi, full[0].kpi, sizeof full[0].kpi);
    assert_memory_equal(part[3].kpi, full[3].kpi, sizeof full[3].kpi);
    free_all(full, N_REP);
    free_all(part, N_REP);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(records_come_back_bit_for_bit, setup, teardown),
        cmocka_unit_test_setup_teardown(a_torn_tail_is_cut_off, setup, teardown),
        cmocka_unit_test_setup_teardown(an_existing_journal_needs_resume_and_the_same_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(nothing_appended_leaves_no_file, setup, teardown),
        cmocka_unit_test(resume_skips_done_replications),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
