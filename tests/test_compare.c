/*
 * Paired comparison (sim/stats/paired.c) and the comparison file
 * (sim/output/h5/h5_compare.c): figures against formulas worked by hand,
 * NaN handling, role pairing by name, and a scenario compared with itself,
 * whose differences must be exactly zero because both runs see the same
 * patients.
 */
#include "flyt/compare.h"
#include "flyt/experiment.h"
#include "flyt/output.h"
#include "flyt/scenario.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "support.h"

#include <gsl/gsl_cdf.h>
#include <hdf5.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* b = 10 12 9 11 13 (mean 11, squares 10, var 2.5)
 * v = 11 14 9 13 14 (mean 12.2, squares 18.8, var 4.7)
 * d =  1  2 0  2  1 (mean 1.2, squares 2.8, var 0.7) */
static const double B5[] = { 10, 12, 9, 11, 13 };
static const double V5[] = { 11, 14, 9, 13, 14 };

static void paired_figures_match_hand_computed_values(void **state)
{
    (void)state;
    double d[5];
    struct flyt_paired p = flyt_paired_of(B5, V5, 5, d);
    const double want_d[] = { 1, 2, 0, 2, 1 };
    for (int i = 0; i < 5; i++)
        assert_true(d[i] == want_d[i]);
    assert_int_equal(p.diff.n, 5);
    assert_near(p.diff.mean, 1.2, 1e-12);
    assert_near(p.diff.sd, sqrt(0.7), 1e-12);
    assert_near(p.diff.ci_half, 2.776445105197793 * sqrt(0.7 / 5), 1e-12);
    assert_near(p.base.mean, 11, 1e-12);
    assert_near(p.variant.mean, 12.2, 1e-12);
    assert_near(p.base.sd, sqrt(2.5), 1e-12);
    assert_near(p.variant.sd, sqrt(4.7), 1e-12);
    assert_near(p.variance_reduction, 1 - 0.7 / (2.5 + 4.7), 1e-12);
    /* Welch: se^2 = 2.5/5 + 4.7/5 = 1.44; dof = 1.44^2 / ((0.5^2 + 0.94^2) / 4). */
    double dof = 1.44 * 1.44 / ((0.25 + 0.94 * 0.94) / 4);
    assert_near(dof, 7.316866619618913, 1e-12);
    assert_near(p.unpaired_half, gsl_cdf_tdist_Pinv(0.975, dof) * 1.2, 1e-12);
    assert_true(p.unpaired_half > p.diff.ci_half);
    /* 1.2 +- 1.04: the interval is above 0. */
    assert_true(flyt_paired_excludes_zero(&p));
}

static void swapping_the_sides_negates_the_difference(void **state)
{
    (void)state;
    struct flyt_paired p = flyt_paired_of(B5, V5, 5, NULL);
    struct flyt_paired q = flyt_paired_of(V5, B5, 5, NULL);
    assert_near(q.diff.mean, -p.diff.mean, 1e-12);
    assert_near(q.diff.ci_half, p.diff.ci_half, 1e-12);
    assert_near(q.unpaired_half, p.unpaired_half, 1e-12);
    assert_near(q.variance_reduction, p.variance_reduction, 1e-12);
}

/* Pairs are the replications where both are finite: here 0, 1 and 3,
 * d = 1 2 2 (mean 5/3, squares 2/3, var 1/3); b = 10 12 11 (var 1),
 * v = 11 14 13 (var 7/3). Each side's own mean uses its own values. */
static void pairs_skip_replications_where_either_is_not_finite(void **state)
{
    (void)state;
    const double b[] = { 10, 12, NAN, 11, 13 };
    const double v[] = { 11, 14, 9, 13, INFINITY };
    double d[5];
    struct flyt_paired p = flyt_paired_of(b, v, 5, d);
    assert_true(isnan(d[2]) && isnan(d[4]));
    assert_true(d[0] == 1 && d[1] == 2 && d[3] == 2);
    assert_int_equal(p.diff.n, 3);
    assert_near(p.diff.mean, 5.0 / 3, 1e-12);
    assert_near(p.diff.sd, sqrt(1.0 / 3), 1e-12);
    /* With 2 degrees of freedom t(q) = (2q - 1) / sqrt(2 q (1 - q)). */
    double t2 = 0.95 / sqrt(2 * 0.975 * 0.025);
    assert_near(p.diff.ci_half, t2 * sqrt(1.0 / 9), 1e-12);
    assert_near(p.variance_reduction, 1 - (1.0 / 3) / (1 + 7.0 / 3), 1e-12);
    assert_int_equal(p.base.n, 4);
    assert_near(p.base.mean, 11.5, 1e-12);
    assert_int_equal(p.variant.n, 4);
    assert_near(p.variant.mean, 47.0 / 4, 1e-12);
}

static void too_few_pairs_leave_the_spread_undefined(void **state)
{
    (void)state;
    const double b[] = { 1, NAN, 3 }, v[] = { 4, 5, NAN };
    struct flyt_paired one = flyt_paired_of(b, v, 3, NULL);
    assert_int_equal(one.diff.n, 1);
    assert_true(one.diff.mean == 3);
    assert_true(isnan(one.diff.sd) && isnan(one.diff.ci_half));
    assert_true(isnan(one.unpaired_half) && isnan(one.variance_reduction));
    assert_false(flyt_paired_excludes_zero(&one));

    const double nb[] = { NAN, 2 }, nv[] = { 1, NAN };
    struct flyt_paired none = flyt_paired_of(nb, nv, 2, NULL);
    assert_int_equal(none.diff.n, 0);
    assert_true(isnan(none.diff.mean) && isnan(none.variance_reduction));
    struct flyt_paired empty = flyt_paired_of(NULL, NULL, 0, NULL);
    assert_int_equal(empty.diff.n, 0);
    assert_true(isnan(empty.base.mean) && isnan(empty.diff.mean));
}

/* Constant samples: the difference is exact (half-widths 0) and there is
 * no variance for pairing to reduce. */
static void constant_samples_give_an_exact_difference(void **state)
{
    (void)state;
    const double b[] = { 3, 3, 3 }, v[] = { 5, 5, 5 };
    struct flyt_paired p = flyt_paired_of(b, v, 3, NULL);
    assert_true(p.diff.mean == 2 && p.diff.sd == 0 && p.diff.ci_half == 0);
    assert_true(p.unpaired_half == 0);
    assert_true(isnan(p.variance_reduction));
    assert_true(flyt_paired_excludes_zero(&p));
    struct flyt_paired same = flyt_paired_of(b, b, 3, NULL);
    assert_false(flyt_paired_excludes_zero(&same));
}

/* Results whose KPI k in replication r is base + 10 r + k (+ shift), and
 * role i KPI k is 100 i + k + r (+ shift). */
static struct flyt_result *synthetic(size_t n, double shift)
{
    struct flyt_result *res = calloc(n, sizeof *res);
    assert_non_null(res);
    for (size_t r = 0; r < n; r++) {
        res[r].replication = (unsigned)r;
        for (int k = 0; k < FLYT_N_KPI; k++)
            res[r].kpi[k] = 10.0 * (double)r + k + shift * (double)(r % 2 + 1);
        res[r].n_roles = 2;
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < FLYT_N_ROLE_KPI; k++)
                res[r].role_kpi[i][k] = 100.0 * i + k + (double)r + shift;
    }
    return res;
}

static void differences_are_stored_replication_by_kpi(void **state)
{
    (void)state;
    size_t n = 4;
    struct flyt_result *b = synthetic(n, 0), *v = synthetic(n, 0.5);
    struct flyt_compare_side sb = { b, 0, { NULL }, 0, NULL, 0, NULL },
                             sv = { v, 0, { NULL }, 0, NULL, 0, NULL };
    struct flyt_compare c;
    assert_int_equal(flyt_compare_compute(&c, &sb, &sv, n), 0);
    assert_int_equal(c.n_roles, 0);
    for (size_t r = 0; r < n; r++)
        for (int k = 0; k < FLYT_N_KPI; k++)
            assert_true(c.diff[r * FLYT_N_KPI + (size_t)k] == 0.5 * (double)(r % 2 + 1));
    /* d = 0.5 1 0.5 1: mean 0.75 */
    assert_near(c.kpi[FLYT_KPI_ukp_wait_mean].diff.mean, 0.75, 1e-12);
    flyt_compare_free(&c);
    flyt_compare_free(&c); /* a freed comparison is empty */
    free(b);
    free(v);
}

/* Base roles "a" "b", variant roles "b" "c": b is paired across different
 * indices, c is reported alone, a (only in the base) comes last. */
static void roles_pair_by_name(void **state)
{
    (void)state;
    size_t n = 5;
    struct flyt_result *b = synthetic(n, 0), *v = synthetic(n, 2);
    struct flyt_compare_side sb = { b, 2, { "a", "b" }, 0, NULL, 0, NULL },
                             sv = { v, 2, { "b", "c" }, 0, NULL, 0, NULL };
    struct flyt_compare c;
    assert_int_equal(flyt_compare_compute(&c, &sb, &sv, n), 0);
    assert_int_equal(c.n_roles, 3);

    const struct flyt_compare_role *rb = &c.role[0];
    assert_string_equal(rb->name, "b");
    assert_int_equal(rb->base_index, 1);
    assert_int_equal(rb->variant_index, 0);
    assert_non_null(rb->diff);
    /* variant role 0 minus base role 1: (k + r + 2) - (100 + k + r) = -98 */
    for (size_t r = 0; r < n; r++)
        for (int k = 0; k < FLYT_N_ROLE_KPI; k++)
            assert_true(rb->diff[r * FLYT_N_ROLE_KPI + (size_t)k] == -98);
    assert_true(rb->kpi[FLYT_ROLE_KPI_utilisation].diff.mean == -98);
    assert_int_equal(rb->kpi[FLYT_ROLE_KPI_utilisation].diff.n, 5);

    const struct flyt_compare_role *rc = &c.role[1];
    assert_string_equal(rc->name, "c");
    assert_int_equal(rc->base_index, -1);
    assert_null(rc->diff);
    /* variant role 1, KPI k: 100 + k + r + 2 over r = 0..4: mean 104 + k */
    const struct flyt_paired *pc = &rc->kpi[FLYT_ROLE_KPI_work_hours];
    assert_near(pc->variant.mean, 104 + FLYT_ROLE_KPI_work_hours, 1e-12);
    assert_near(pc->variant.ci_half, 2.776445105197793 * sqrt(2.5 / 5), 1e-12);
    assert_int_equal(pc->variant.n, 5);
    assert_true(isnan(pc->base.mean) && isnan(pc->diff.mean) && pc->diff.n == 0);
    assert_true(isnan(pc->unpaired_half) && isnan(pc->variance_reduction));

    const struct flyt_compare_role *ra = &c.role[2];
    assert_string_equal(ra->name, "a");
    assert_int_equal(ra->variant_index, -1);
    assert_near(ra->kpi[0].base.mean, 2, 1e-12);
    assert_true(isnan(ra->kpi[0].variant.mean) && isnan(ra->kpi[0].diff.mean));
    flyt_compare_free(&c);
    free(b);
    free(v);
}

/* --- a real scenario against itself ---------------------------------- */

#define SELF_REPS 4

struct self {
    struct flyt_scenario *s[2];
    struct flyt_result res[2][SELF_REPS];
    struct flyt_summary sum[2];
    struct flyt_compare cmp;
    char dir[64], path[128];
};

static int self_setup(void **state)
{
    static const char *const sets[] = { "run.horizon_days=150", "run.warmup_days=30" };
    struct self *f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    for (int i = 0; i < 2; i++) {
        f->s[i] = flyt_test_load(NULL, sets, 2);
        if (flyt_experiment_run(f->s[i], SELF_REPS, 2, f->res[i], NULL, NULL) != 0)
            return -1;
        flyt_summary_compute(&f->sum[i], f->res[i], SELF_REPS);
    }
    struct flyt_compare_side b = { f->res[0], 0, { NULL }, 0, NULL, 0, NULL },
                             v = { f->res[1], 0, { NULL }, 0, NULL, 0, NULL };
    if (flyt_compare_compute(&f->cmp, &b, &v, SELF_REPS) != 0)
        return -1;
    snprintf(f->dir, sizeof f->dir, "/tmp/flyt_test_compare_XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof f->path, "%s/cmp.h5", f->dir);
    *state = f;
    return 0;
}

static int self_teardown(void **state)
{
    struct self *f = *state;
    char cmd[128];
    flyt_compare_free(&f->cmp);
    for (int i = 0; i < 2; i++) {
        for (int r = 0; r < SELF_REPS; r++)
            flyt_result_free(&f->res[i][r]);
        flyt_summary_free(&f->sum[i]);
        flyt_scenario_free(f->s[i]);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    int rc = system(cmd);
    free(f);
    return rc == 0 ? 0 : -1;
}

static void itself_differs_by_exactly_zero(void **state)
{
    struct self *f = *state;
    int finite = 0;
    for (int k = 0; k < FLYT_N_KPI; k++) {
        const struct flyt_paired *p = &f->cmp.kpi[k];
        for (int r = 0; r < SELF_REPS; r++) {
            double x = f->res[0][r].kpi[k], d = f->cmp.diff[r * FLYT_N_KPI + k];
            assert_true(isfinite(x) ? d == 0.0 : isnan(d));
            finite += isfinite(x);
        }
        if (p->diff.n == 0)
            continue;
        assert_true(p->diff.mean == 0.0);
        assert_true(p->diff.ci_half == 0.0);
        assert_false(flyt_paired_excludes_zero(p));
        /* Pairing removes all the variance there is, or there is none. */
        if (p->base.sd > 0)
            assert_true(p->variance_reduction == 1.0);
        else
            assert_true(isnan(p->variance_reduction));
    }
    assert_true(finite > FLYT_N_KPI); /* the check saw real figures */
    assert_true(f->cmp.kpi[FLYT_KPI_ukp_wait_mean].unpaired_half > 0);
}

static const struct flyt_compare_run *self_runs(struct self *f, struct flyt_compare_run *runs)
{
    for (int i = 0; i < 2; i++)
        runs[i] = (struct flyt_compare_run){ f->s[i], f->res[i], &f->sum[i], 0.5 };
    return runs;
}

static int write_self(struct self *f, char *err, size_t errlen)
{
    struct flyt_compare_run runs[2];
    const struct flyt_run_meta meta = { "test", "flyt compare --test", 2, 1.0 };
    return flyt_h5_write_compare(f->path, self_runs(f, runs), 2, SELF_REPS, &f->cmp, &meta, err,
                                 errlen);
}

static void read_doubles(hid_t file, const char *name, double *buf, size_t n)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d);
    assert_true(sp >= 0);
    assert_int_equal((size_t)H5Sget_simple_extent_npoints(sp), n);
    assert_true(H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Sclose(sp);
    H5Dclose(d);
}

/* The field `field` of the compound table `name` (a row per replication). */
static void read_field(hid_t file, const char *name, const char *field, double *buf, size_t n)
{
    hid_t d = H5Dopen2(file, name, H5P_DEFAULT);
    assert_true(d >= 0);
    hid_t sp = H5Dget_space(d), mt = H5Tcreate(H5T_COMPOUND, sizeof(double));
    assert_true(sp >= 0 && mt >= 0 && H5Tinsert(mt, field, 0, H5T_NATIVE_DOUBLE) >= 0);
    assert_int_equal((size_t)H5Sget_simple_extent_npoints(sp), n);
    assert_true(H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0);
    H5Tclose(mt);
    H5Sclose(sp);
    H5Dclose(d);
}

static void comparison_file_holds_both_scenarios_and_zero_differences(void **state)
{
    struct self *f = *state;
    char err[512] = "";
    int rc = write_self(f, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s\n", err);
    assert_int_equal(rc, 0);
    hid_t file = H5Fopen(f->path, H5F_ACC_RDONLY, H5P_DEFAULT);
    assert_true(file >= 0);
    const char *name = "/differences/1_trondheim-baseline/per_replication";
    double diff[SELF_REPS * FLYT_N_KPI], w[SELF_REPS];
    read_doubles(file, name, diff, SELF_REPS * FLYT_N_KPI);
    for (int i = 0; i < SELF_REPS * FLYT_N_KPI; i++)
        assert_true(diff[i] == 0.0 || (isnan(diff[i]) && isnan(f->cmp.diff[i])));
    double mean[FLYT_N_KPI];
    read_doubles(file, "/differences/1_trondheim-baseline/summary/mean", mean, FLYT_N_KPI);
    assert_true(mean[FLYT_KPI_ukp_wait_mean] == 0.0);
    for (int i = 0; i < 2; i++) {
        char path[128];
        snprintf(path, sizeof path, "/scenarios/%d_trondheim-baseline/replications", i);
        read_field(file, path, "ukp_wait_mean", w, SELF_REPS);
        for (int r = 0; r < SELF_REPS; r++)
            assert_true(w[r] == f->res[i][r].kpi[FLYT_KPI_ukp_wait_mean]);
    }
    assert_true(H5Aexists(file, "kind") > 0);
    assert_true(H5Fclose(file) >= 0);
}

static void failed_comparison_write_keeps_the_existing_file(void **state)
{
    struct self *f = *state;
    char partial[160], err[512] = "", buf[32] = "";
    FILE *fp = fopen(f->path, "w");
    assert_non_null(fp);
    fputs("precious", fp);
    fclose(fp);
    snprintf(partial, sizeof partial, "%s.partial", f->path);
    assert_int_equal(mkdir(partial, 0700), 0); /* something in the way */
    assert_int_equal(write_self(f, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a flyt output"));
    fp = fopen(f->path, "r");
    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof buf, fp));
    fclose(fp);
    assert_string_equal(buf, "precious");
    assert_int_equal(rmdir(partial), 0);
}

static void table_marks_resolved_differences_and_json_has_nulls(void **state)
{
    struct self *f = *state;
    struct flyt_compare_run runs[2];
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    assert_non_null(out);
    flyt_compare_print_table(out, self_runs(f, runs), 2, SELF_REPS, &f->cmp);
    fclose(out);
    assert_non_null(strstr(text, "paired 95% CI"));
    assert_null(strstr(text, "*  [")); /* nothing differs from itself */
    free(text);
    out = open_memstream(&text, &len);
    assert_non_null(out);
    flyt_compare_print_json(out, runs, 2, SELF_REPS, &f->cmp);
    fclose(out);
    assert_non_null(strstr(text, "\"diff_mean\": 0,"));
    assert_null(strstr(text, "nan"));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(paired_figures_match_hand_computed_values),
        cmocka_unit_test(swapping_the_sides_negates_the_difference),
        cmocka_unit_test(pairs_skip_replications_where_either_is_not_finite),
        cmocka_unit_test(too_few_pairs_leave_the_spread_undefined),
        cmocka_unit_test(constant_samples_give_an_exact_difference),
        cmocka_unit_test(differences_are_stored_replication_by_kpi),
        cmocka_unit_test(roles_pair_by_name),
        cmocka_unit_test_setup_teardown(itself_differs_by_exactly_zero, self_setup, self_teardown),
        cmocka_unit_test_setup_teardown(comparison_file_holds_both_scenarios_and_zero_differences,
                                        self_setup, self_teardown),
        cmocka_unit_test_setup_teardown(failed_comparison_write_keeps_the_existing_file, self_setup,
                                        self_teardown),
        cmocka_unit_test_setup_teardown(table_marks_resolved_differences_and_json_has_nulls,
                                        self_setup, self_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
