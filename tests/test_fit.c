/* flyt fit's own pieces: the scenario text edits (comments and layout kept,
 * keys added, removed, list elements by id), the pooling of small frailty
 * groups, and estimates from records built in memory, against the values
 * they were drawn from. The round trip through flyt run, export and fit is
 * tests/e2e_fit.sh. */
#include "fit/fit_internal.h"
#include "flyt/fit.h"
#include "flyt/scenario.h"
#include "flyt/scenario_edit.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

static char *edit1(const char *text, const char *path, const char *value, const char *comment,
                   char *err, size_t errlen)
{
    struct flyt_scenario_edit e = { path, value, comment };
    return flyt_scenario_edit_text(text, &e, 1, err, errlen);
}

static void edit_replace_keeps_the_rest(void **state)
{
    (void)state;
    char err[256];
    const char *in = "# head\na: {\n  x = 1; # old source\n  y = 2; # kept\n};\n";
    char *out = edit1(in, "a.x", "3", "new", err, sizeof err);
    assert_non_null(out);
    assert_string_equal(out, "# head\na: {\n  x = 3; # new\n  y = 2; # kept\n};\n");
    free(out);
    /* no comment given: the old one, which spoke of the old value, goes */
    out = edit1(in, "a.x", "4", NULL, err, sizeof err);
    assert_string_equal(out, "# head\na: {\n  x = 4;\n  y = 2; # kept\n};\n");
    free(out);
}

static void edit_multiline_value_indented(void **state)
{
    (void)state;
    char err[256];
    const char *in = "h: {\n    los = 1.0;\n};\n";
    char *out = edit1(in, "h.los", "{\n  fit = 2.0;\n}", "fitted", err, sizeof err);
    assert_non_null(out);
    assert_string_equal(out, "h: {\n    los = {\n      fit = 2.0;\n    }; # fitted\n};\n");
    free(out);
}

static void edit_adds_missing_keys_and_groups(void **state)
{
    (void)state;
    char err[256];
    const char *in = "a: {\n  x = 1;\n};\n";
    char *out = edit1(in, "a.b.c", "5", "made", err, sizeof err);
    assert_non_null(out);
    assert_non_null(strstr(out, "  x = 1;\n  b = {\n    c = 5; # made\n  };\n};"));
    free(out);
    out = edit1(in, "top", "\"v\"", NULL, err, sizeof err);
    assert_non_null(strstr(out, "top = \"v\";"));
    free(out);
}

static void edit_list_elements_by_id(void **state)
{
    (void)state;
    char err[256];
    const char *in = "units = (\n  { id = \"u\"; cap = 1; },\n  { id = \"v\"; cap = 2;\n"
                     "    los = 3.0; outcome = \"death\"; }\n);\n";
    char *out = edit1(in, "units.v.cap", "9", NULL, err, sizeof err);
    assert_non_null(out);
    assert_non_null(strstr(out, "{ id = \"u\"; cap = 1; }"));
    assert_non_null(strstr(out, "{ id = \"v\"; cap = 9;"));
    free(out);
    /* a key with more on its line gets its comment on a line above */
    out = edit1(in, "units.v.los", "4.0", "fitted", err, sizeof err);
    assert_non_null(strstr(out, "    # fitted\n    los = 4.0; outcome = \"death\"; }"));
    free(out);
    assert_null(edit1(in, "units.w.cap", "1", NULL, err, sizeof err));
    assert_non_null(strstr(err, "no element with id 'w'"));
}

static void edit_removes_keys(void **state)
{
    (void)state;
    char err[256];
    const char *in = "a: {\n  x = 1;\n  # about y\n  y = 2; # its source\n  z = 3;\n};\n";
    char *out = edit1(in, "a.y", NULL, NULL, err, sizeof err);
    assert_non_null(out);
    assert_string_equal(out, "a: {\n  x = 1;\n  z = 3;\n};\n");
    free(out);
    out = edit1(in, "a.q", NULL, NULL, err, sizeof err);
    assert_string_equal(out, in); /* removing what is not there changes nothing */
    free(out);
    assert_null(edit1(in, "a.x.deeper", "1", NULL, err, sizeof err));
    assert_non_null(strstr(err, "runs through a value"));
}

static struct flyt_scenario *load(const char *rel)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", FLYT_SOURCE_DIR, rel);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_scenario_load(rel ? path : NULL, NULL, 0, &d);
    flyt_diag_free(&d);
    assert_non_null(s);
    return s;
}

static void pooling_joins_small_groups_to_neighbours(void **state)
{
    (void)state;
    struct flyt_scenario *s = load(NULL); /* fit 1-4, frail 5-6, severe 7-9 */
    assert_int_equal(s->n_groups, 3);
    int cl[FLYT_MAX_GROUPS];
    double a[3] = { 100, 5, 40 };
    assert_int_equal(flyt__fit_pool(s, a, 30, cl), 2);
    assert_int_equal(cl[0], 0);
    assert_int_equal(cl[1], cl[2]); /* frail went to the smaller neighbour */
    double b[3] = { 10, 10, 10 };
    assert_int_equal(flyt__fit_pool(s, b, 30, cl), 1);
    double c[3] = { 30, 31, 32 };
    assert_int_equal(flyt__fit_pool(s, c, 30, cl), 3);
    double d[3] = { 0, 500, 0 };
    assert_int_equal(flyt__fit_pool(s, d, 30, cl), 1);
    flyt_scenario_free(s);
}

/* Records of n patients, one hospital stay each, drawn from known values:
 * exponential treatment of mean 6 days, 4 % die, 40 % of the survivors
 * discharge-ready, a window of 300 days with stays still open at its end. */
static void records(struct flyt_records *r, const struct flyt_scenario *s, size_t n,
                    unsigned long seed)
{
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, seed);
    memset(r, 0, sizeof *r);
    r->stays = calloc(n, sizeof *r->stays);
    r->ready = calloc(n, sizeof *r->ready);
    r->from = 20000.0;
    r->until = 20300.0;
    for (size_t i = 0; i < n; i++) {
        double start = r->from + 300.0 * (double)i / (double)n;
        double t = gsl_ran_exponential(g, 6.0);
        struct flyt_rec_stay *x = &r->stays[i];
        *x = (struct flyt_rec_stay){ .patient = (uint32_t)i,
                                     .row = (uint32_t)i + 2,
                                     .unit = 0,
                                     .start = start,
                                     .end = NAN,
                                     .next = FLYT_REC_OPEN,
                                     .next_unit = -1,
                                     .cfs = 3,
                                     .age_band = 0,
                                     .complex = 0 };
        if (start + t >= r->until)
            continue; /* still in treatment at the extraction */
        double u = gsl_rng_uniform(g);
        if (u < 0.04) {
            x->end = start + t;
            x->next = FLYT_REC_DEATH;
        } else if (gsl_rng_uniform(g) < 0.4) {
            r->ready[r->n_ready++] = (struct flyt_rec_ready){ .patient = (uint32_t)i,
                                                              .ready = start + t,
                                                              .decision = NAN,
                                                              .discharge = NAN,
                                                              .destination = FLYT_REC_OPEN,
                                                              .dest_unit = -1 };
        } else {
            x->end = start + t;
            x->next = FLYT_REC_HOME;
        }
    }
    r->n_stays = r->n_patients = n;
    r->n_files = 1;
    gsl_rng_free(g);
    (void)s;
}

static const struct flyt_fit_dist *dist(const struct flyt_fit *f, const char *key)
{
    for (size_t i = 0; i < f->n_dists; i++)
        if (strcmp(f->dists[i].key, key) == 0)
            return &f->dists[i];
    return NULL;
}

static const struct flyt_fit_shares *shares(const struct flyt_fit *f, const char *key)
{
    for (size_t i = 0; i < f->n_shares; i++)
        if (strcmp(f->shares[i].key, key) == 0)
            return &f->shares[i];
    return NULL;
}

/* Over 40 seeds the 95 % intervals of the treatment's mean and of the two
 * probabilities cover the values drawn from about as often as they claim:
 * at least 33 of 40 each (P(fewer) < 0.5 % for a true 95 % interval). */
static void estimates_cover_the_truth(void **state)
{
    (void)state;
    struct flyt_scenario *s = load("scenarios/validation/fit-roundtrip.cfg");
    s->n_groups = 1; /* one group: every record counts for it */
    for (int c = 1; c <= 9; c++)
        s->group_of_cfs[c] = 0;
    struct flyt_fit_options o = { .min_records = 30, .n_boot = 0, .seed = 1, .gof_alpha = 0.01 };
    int cover_mean = 0, cover_death = 0, cover_ukp = 0, n = 40;
    for (int k = 0; k < n; k++) {
        struct flyt_records r;
        records(&r, s, 1500, 1000u + (unsigned long)k);
        struct flyt_fit f;
        assert_int_equal(flyt_fit_estimate(&r, s, &o, &f, stderr), 0);
        const struct flyt_fit_dist *d = dist(&f, "hospital.los_days");
        assert_non_null(d);
        const struct flyt_est_fit *x = &d->fits[FLYT_EST_EXPONENTIAL];
        cover_mean += x->ok && x->mean_lo <= 6.0 && 6.0 <= x->mean_hi;
        const struct flyt_fit_shares *dp = shares(&f, "hospital.death_probability");
        const struct flyt_fit_shares *up = shares(&f, "hospital.ukp_probability");
        assert_non_null(dp);
        assert_non_null(up);
        cover_death += dp->lo[0] <= 0.04 && 0.04 <= dp->hi[0];
        cover_ukp += up->lo[0] <= 0.4 && 0.4 <= up->hi[0];
        flyt_fit_free(&f);
        free(r.stays);
        free(r.ready);
    }
    printf("coverage of 95 %% intervals over %d seeds: treatment mean %d, death %d, ukp %d\n", n,
           cover_mean, cover_death, cover_ukp);
    assert_true(cover_mean >= 33);
    assert_true(cover_death >= 33);
    assert_true(cover_ukp >= 33);
    flyt_scenario_free(s);
}

static void too_few_records_is_bad_input(void **state)
{
    (void)state;
    struct flyt_scenario *s = load("scenarios/validation/fit-roundtrip.cfg");
    struct flyt_fit_options o = { .min_records = 30, .n_boot = 0, .seed = 1, .gof_alpha = 0.01 };
    struct flyt_records r;
    records(&r, s, 20, 7);
    struct flyt_fit f;
    FILE *err = tmpfile();
    assert_int_equal(flyt_fit_estimate(&r, s, &o, &f, err), 2);
    rewind(err);
    char line[512] = "";
    assert_non_null(fgets(line, sizeof line, err));
    assert_non_null(strstr(line, "too few records for any fit"));
    fclose(err);
    flyt_fit_free(&f);
    free(r.stays);
    free(r.ready);
    flyt_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(edit_replace_keeps_the_rest),
        cmocka_unit_test(edit_multiline_value_indented),
        cmocka_unit_test(edit_adds_missing_keys_and_groups),
        cmocka_unit_test(edit_list_elements_by_id),
        cmocka_unit_test(edit_removes_keys),
        cmocka_unit_test(pooling_joins_small_groups_to_neighbours),
        cmocka_unit_test(estimates_cover_the_truth),
        cmocka_unit_test(too_few_records_is_bad_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
