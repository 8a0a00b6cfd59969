/* Stay records (flyt/records.h, docs/records.md): a good file reads back
 * with its times, censoring and order; every kind of bad input is reported
 * with its file, row and column, and no value of a record ever appears in a
 * message (a sentinel value is looked for in all the output).
 *
 * `test_records --read SCENARIO STEM` reads STEM-stays.csv and
 * STEM-ready.csv with the map STEM-units.csv instead (tests/e2e_records.sh
 * gives it what flyt export --records wrote) and prints the counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/date.h"
#include "flyt/records.h"
#include "flyt/scenario.h"
#include "support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SENTINEL "SECRETKEY"

static char paths[3][256];

static const char *put(int k, const char *name, const char *text)
{
    snprintf(paths[k], sizeof paths[k], "%s/rec-test-%d-%s.csv", FLYT_BINARY_DIR, (int)getpid(),
             name);
    FILE *f = fopen(paths[k], "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return paths[k];
}

struct rd {
    int rc;
    struct flyt_records r;
    char *msg;
    size_t len;
};

/* Reads the stays text (and the ready text, when given) with the map text
 * (NULL: no map: codes are unit ids) against the embedded scenario. */
static void rd_opts(struct rd *x, const char *stays, const char *ready, const char *map,
                    const struct flyt_records_options *base)
{
    struct flyt_scenario *s = flyt_test_load(NULL, NULL, 0);
    const char *files[2];
    int n = 0;
    files[n++] = put(0, "stays", stays);
    if (ready)
        files[n++] = put(1, "ready", ready);
    struct flyt_records_options o = { 0 };
    if (base)
        o = *base;
    if (map)
        o.map_path = put(2, "map", map);
    FILE *err = open_memstream(&x->msg, &x->len);
    assert_non_null(err);
    x->rc = flyt_records_read(files, n, &o, s, &x->r, err);
    fclose(err);
    flyt_scenario_free(s);
    for (int k = 0; k < 3; k++)
        if (paths[k][0])
            unlink(paths[k]);
    if (strstr(x->msg, SENTINEL) || strstr(x->msg, "12345678901")) {
        fprintf(stderr, "a record's value in a message:\n%s", x->msg);
        fail();
    }
}

static void rd(struct rd *x, const char *stays, const char *ready, const char *map)
{
    rd_opts(x, stays, ready, map, NULL);
}

static void done(struct rd *x)
{
    flyt_records_free(&x->r);
    free(x->msg);
}

/* "FILE:LINE: error: column COL: text" (col NULL: no column) is printed. */
static void has(const struct rd *x, int k, int line, const char *col, const char *text)
{
    char want[512];
    if (col)
        snprintf(want, sizeof want, "%s:%d: error: column %s: %s", paths[k], line, col, text);
    else
        snprintf(want, sizeof want, "%s:%d: error: %s", paths[k], line, text);
    if (!strstr(x->msg, want)) {
        fprintf(stderr, "wanted: %s\ngot:\n%s\n", want, x->msg);
        fail();
    }
}

static int uidx(const char *id)
{
    struct flyt_scenario *s = flyt_test_load(NULL, NULL, 0);
    int u = flyt_test_unit_of(s, id);
    flyt_scenario_free(s);
    return u;
}

static double at(int y, int m, int d, int hh, int mm)
{
    return flyt_days_from_civil(y, m, d) + (hh * 60 + mm) / 1440.0;
}

#define STAYS "patient,unit,start,end,next,cfs,age_band,complex\n"
#define READY "patient,ready,decision,discharge,destination\n"
#define MAP   "code,unit\nSH,hospital\nKT,short_term\nSYK,nursing_home\nHT,home_care\n"

static void reads_a_good_file(void **state)
{
    (void)state;
    struct rd x;
    rd(&x,
       "# from: 2025-01-01\n# extracted: 2025-03-01T08:00\n" STAYS
       "b,SH,2025-01-10 10:00,2025-01-20 12:30,KT,6,80-89,no\n"
       "b,KT,2025-01-20 12:30,,,,,\n"
       "a,SH,2024-12-20 08:00,2025-01-02 09:15:30,home,,90+,ja\n"
       "a,SH,2025-02-01 00:00,2025-02-03 00:00,death,,,\n",
       "# extracted: 2025-03-01T08:00\n" READY "b,2025-01-15 09:00,2025-01-17,2025-01-20 12:30,KT\n"
       "a,2025-02-02 10:00,,,\n",
       MAP);
    assert_int_equal(x.rc, 0);
    assert_string_equal(x.msg, "");
    assert_int_equal(x.r.n_patients, 2);
    assert_int_equal(x.r.n_stays, 4);
    assert_int_equal(x.r.n_files, 2);
    assert_near(x.r.from, at(2025, 1, 1, 0, 0), 1e-9);
    assert_near(x.r.until, at(2025, 3, 1, 8, 0), 1e-9);
    /* patients by key (a, b), then by start */
    const struct flyt_rec_stay *st = x.r.stays;
    assert_int_equal(st[0].patient, 0);
    assert_int_equal(st[0].row, 6);
    assert_near(st[0].end, at(2025, 1, 2, 9, 15) + 30 / 86400.0, 1e-9);
    assert_int_equal(st[0].next, FLYT_REC_HOME);
    assert_int_equal(st[0].age_band, 2);
    assert_int_equal(st[0].complex, 1);
    assert_int_equal(st[1].next, FLYT_REC_DEATH);
    assert_int_equal(st[2].patient, 1);
    assert_int_equal(st[2].unit, uidx("hospital"));
    assert_int_equal(st[2].next, FLYT_REC_UNIT);
    assert_int_equal(st[2].next_unit, uidx("short_term"));
    assert_int_equal(st[2].cfs, 6);
    assert_int_equal(st[2].complex, 0);
    assert_int_equal(st[3].unit, uidx("short_term"));
    assert_true(isnan(st[3].end)); /* censored at the extraction */
    assert_int_equal(st[3].next, FLYT_REC_OPEN);
    assert_int_equal(st[3].next_unit, -1);
    assert_int_equal(st[3].cfs, 0);
    assert_int_equal(st[3].age_band, -1);
    assert_int_equal(st[3].complex, -1);
    assert_int_equal(x.r.n_ready, 2);
    assert_int_equal(x.r.ready[0].patient, 0);
    assert_true(isnan(x.r.ready[0].discharge));
    assert_true(isnan(x.r.ready[0].decision));
    assert_int_equal(x.r.ready[0].destination, FLYT_REC_OPEN);
    assert_int_equal(x.r.ready[1].file, 1);
    assert_near(x.r.ready[1].decision, at(2025, 1, 17, 0, 0), 1e-9);
    assert_int_equal(x.r.ready[1].dest_unit, uidx("short_term"));
    done(&x);
}

/* Without comments the window is the earliest start to the latest time;
 * options override the comments; without a map codes are unit ids. */
static void window_defaults_and_options(void **state)
{
    (void)state;
    struct rd x;
    rd(&x,
       STAYS "k,hospital,05.01.2025 10:00,07.01.2025 18:00,home,,,\n"
             "j,short_term,03.01.2025,,,,,\n",
       NULL, NULL);
    assert_int_equal(x.rc, 0);
    assert_near(x.r.from, at(2025, 1, 3, 0, 0), 1e-9);
    assert_near(x.r.until, at(2025, 1, 7, 18, 0), 1e-9);
    done(&x);
    struct flyt_records_options o = { .from = "2025-01-04", .until = "2025-02-01" };
    rd_opts(&x, "# from: 2025-01-01\n" STAYS "k,hospital,2025-01-05,,,,,\n", NULL, NULL, &o);
    assert_int_equal(x.rc, 0);
    assert_near(x.r.from, at(2025, 1, 4, 0, 0), 1e-9);
    assert_near(x.r.until, at(2025, 2, 1, 0, 0), 1e-9);
    done(&x);
}

static void refuses_unknown_units(void **state)
{
    (void)state;
    struct rd x;
    rd(&x,
       STAYS SENTINEL ",SECRETKEYUNIT,2025-01-05,,,,,\n" SENTINEL ",KT,2025-01-01,2025-01-02,"
                      "SECRETKEYNEXT,,,\n",
       NULL, MAP "XX,SECRETKEYWARD\n");
    assert_int_equal(x.rc, 2);
    has(&x, 2, 6, "unit", "not a unit of the scenario");
    done(&x);
    rd(&x,
       STAYS SENTINEL ",SECRETKEYUNIT,2025-01-05,,,,,\n" SENTINEL ",KT,2025-01-01,2025-01-02,"
                      "SECRETKEYNEXT,,,\n",
       NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, "unit", "an unknown unit: the code is not in the unit map");
    has(&x, 0, 3, "next", "an unknown place");
    assert_null(x.r.stays); /* nothing kept */
    assert_int_equal(x.r.n_stays, 0);
    done(&x);
}

static void refuses_times_out_of_order(void **state)
{
    (void)state;
    struct rd x;
    rd(&x,
       STAYS SENTINEL ",KT,2025-01-05 10:00,2025-01-05 09:59,home,,,\n" SENTINEL
                      ",SH,2025-01-01 00:00,2025-01-10 00:00,KT,,,\n" SENTINEL
                      ",KT,2025-01-09 00:00,,,,,\n",
       READY SENTINEL ",2025-01-05 10:00,2025-01-04,2025-01-06 00:00,home\n" SENTINEL
                      ",2025-01-05 10:00,,2025-01-05 09:00,home\n",
       MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, "end", "before start");
    has(&x, 1, 2, "decision", "before the day the patient became ready");
    has(&x, 1, 3, "discharge", "before ready");
    done(&x);
    /* the rows are fine one by one: the overlap names both */
    rd(&x,
       STAYS SENTINEL ",SH,2025-01-01 00:00,2025-01-10 00:00,KT,,,\n" SENTINEL
                      ",KT,2025-01-09 00:00,,,,,\n" SENTINEL ",SYK,2025-02-09 00:00,,,,,\n",
       NULL, MAP);
    assert_int_equal(x.rc, 2);
    char want[600];
    snprintf(want, sizeof want, "%s:3: error: this stay overlaps the patient's stay on %s:2",
             paths[0], paths[0]);
    assert_non_null(strstr(x.msg, want));
    snprintf(want, sizeof want, "%s:4: error: this stay overlaps the patient's stay on %s:3",
             paths[0], paths[0]);
    assert_non_null(strstr(x.msg, want));
    done(&x);
}

static void refuses_bad_dates_and_mixed_formats(void **state)
{
    (void)state;
    struct rd x;
    rd(&x,
       STAYS SENTINEL ",KT,2025-02-30 10:00,,,,,\n" SENTINEL ",KT,2025-01-05 25:00,,,,,\n" SENTINEL
                      ",KT,SECRETKEY,,,,,\n",
       NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, "start", "not a date-time");
    has(&x, 0, 3, "start", "not a date-time");
    has(&x, 0, 4, "start", "not a date-time");
    done(&x);
    /* a date alone goes with either date-time; two date-times may not mix */
    rd(&x,
       STAYS SENTINEL ",KT,2025-01-01,2025-01-02 10:00,home,,,\n" SENTINEL
                      ",KT,2025-01-03T10:00,,,,,\n" SENTINEL ",SYK,05.01.2025 10:00,,,,,\n",
       NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 3, "start",
        "written as YYYY-MM-DDTHH:MM, but line 2 writes dates as YYYY-MM-DD HH:MM");
    assert_null(strstr(x.msg, ":4:")); /* told once per file */
    done(&x);
}

static void refuses_identifying_data(void **state)
{
    (void)state;
    struct rd x;
    rd(&x, STAYS "12345678901,KT,2025-01-01,,,,,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, "patient", "a value looks like a national identity number");
    done(&x);
    const char *navn = "patient,navn,unit,start,end,next\n" SENTINEL ",Ola,KT,2025-01-01,,\n";
    rd(&x, navn, NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 1, "navn", "looks like a name");
    done(&x);
    const char *ignore[] = { "navn" };
    struct flyt_records_options o = { .ignore_columns = ignore, .n_ignore = 1 };
    rd_opts(&x, navn, NULL, MAP, &o);
    assert_int_equal(x.rc, 0);
    assert_int_equal(x.r.n_stays, 1);
    done(&x);
}

static void refuses_broken_tables(void **state)
{
    (void)state;
    struct rd x;
    rd(&x, STAYS SENTINEL ",KT,2025-01-01,,\n" SENTINEL ",KT,2025-01-01,,,,,,,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, NULL, "5 fields where the header has 8");
    has(&x, 0, 3, NULL, "10 fields where the header has 8");
    done(&x);
    rd(&x, "patient,unit,start,end,next,Start\n" SENTINEL ",KT,2025-01-01,,,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 1, "start", "appears twice in the header");
    done(&x);
    rd(&x, "patient,unit,start,next\n" SENTINEL ",KT,2025-01-01,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 1, "end", "missing from the header");
    done(&x);
    rd(&x, "patient,ready,decision,destination\n" SENTINEL ",2025-01-01,,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 1, "discharge", "missing from the header"); /* a ready file by its header */
    done(&x);
    rd(&x, STAYS SENTINEL ",K\xE5,2025-01-01,,,,,\n", NULL, MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, NULL, "not UTF-8 text");
    done(&x);
}

/* Two files extracted at different times need the window from options;
 * nothing may happen after the extraction. */
static void refuses_conflicting_windows_and_late_times(void **state)
{
    (void)state;
    struct rd x;
    rd(&x, "# extracted: 2025-03-01T08:00\n" STAYS SENTINEL ",KT,2025-01-01,,,,,\n",
       "# extracted: 2025-03-02T08:00\n" READY SENTINEL ",2025-01-01 10:00,,,\n", MAP);
    assert_int_equal(x.rc, 2);
    has(&x, 1, 1, "extracted", "differs from the one on");
    done(&x);
    struct flyt_records_options o = { .until = "2025-02-01" };
    rd_opts(&x, STAYS SENTINEL ",KT,2025-01-01,2025-02-03,home,,,\n", NULL, MAP, &o);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 2, "end", "after the extraction time");
    done(&x);
    o.until = "SECRETKEY";
    rd_opts(&x, STAYS "a,KT,2025-01-01,,,,,\n", NULL, MAP, &o);
    assert_int_equal(x.rc, 2);
    assert_non_null(strstr(x.msg, "--until: error: not a date"));
    done(&x);
}

/* Columns flyt does not use: a warning that names the column, not a value;
 * the row is still read. */
static void warns_about_unused_columns(void **state)
{
    (void)state;
    struct rd x;
    rd(&x, "patient,unit,start,end,next,ward_note\na,KT,2025-01-01,,," SENTINEL "\n", NULL, MAP);
    assert_int_equal(x.rc, 0);
    assert_non_null(strstr(x.msg, "warning: column 'ward_note' is not used by flyt"));
    assert_int_equal(x.r.n_stays, 1);
    done(&x);
}

/* The first 50 errors in full, then a count. */
static void counts_errors_past_fifty(void **state)
{
    (void)state;
    size_t cap = 80 * 100;
    char *text = malloc(cap);
    assert_non_null(text);
    int n = snprintf(text, cap, STAYS);
    for (int i = 0; i < 60; i++)
        n += snprintf(text + n, cap - (size_t)n, SENTINEL ",NOPE,2025-01-01,,,,,\n");
    struct rd x;
    rd(&x, text, NULL, MAP);
    free(text);
    assert_int_equal(x.rc, 2);
    has(&x, 0, 51, "unit", "an unknown unit");
    assert_null(strstr(x.msg, ":52: error"));
    assert_non_null(strstr(x.msg, "10 more errors not shown"));
    done(&x);
}

static void unreadable_file_is_exit_1(void **state)
{
    (void)state;
    struct flyt_scenario *s = flyt_test_load(NULL, NULL, 0);
    const char *files[] = { "/nonexistent/stays.csv" };
    struct flyt_records r;
    struct flyt_records_options o = { 0 };
    FILE *null = fopen("/dev/null", "w");
    assert_int_equal(flyt_records_read(files, 1, &o, s, &r, null), 1);
    fclose(null);
    flyt_scenario_free(s);
}

/* --read SCENARIO STEM: what flyt export --records wrote. */
static int read_export(const char *scenario, const char *stem)
{
    char f[3][4096];
    snprintf(f[0], sizeof f[0], "%s-stays.csv", stem);
    snprintf(f[1], sizeof f[1], "%s-ready.csv", stem);
    snprintf(f[2], sizeof f[2], "%s-units.csv", stem);
    struct flyt_scenario *s = flyt_test_load(scenario, NULL, 0);
    if (!s)
        return 1;
    const char *files[] = { f[0], f[1] };
    struct flyt_records_options o = { .map_path = f[2] };
    struct flyt_records r;
    int rc = flyt_records_read(files, 2, &o, s, &r, stderr);
    if (rc == 0) {
        size_t open = 0;
        for (size_t i = 0; i < r.n_stays; i++)
            open += isnan(r.stays[i].end);
        printf("patients %zu stays %zu open %zu ready %zu from %.6f until %.6f\n", r.n_patients,
               r.n_stays, open, r.n_ready, r.from, r.until);
    }
    flyt_records_free(&r);
    flyt_scenario_free(s);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "--read") == 0)
        return read_export(argv[2], argv[3]);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_good_file),
        cmocka_unit_test(window_defaults_and_options),
        cmocka_unit_test(refuses_unknown_units),
        cmocka_unit_test(refuses_times_out_of_order),
        cmocka_unit_test(refuses_bad_dates_and_mixed_formats),
        cmocka_unit_test(refuses_identifying_data),
        cmocka_unit_test(refuses_broken_tables),
        cmocka_unit_test(refuses_conflicting_windows_and_late_times),
        cmocka_unit_test(warns_about_unused_columns),
        cmocka_unit_test(counts_errors_past_fifty),
        cmocka_unit_test(unreadable_file_is_exit_1),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
