/* Census files and runs that start from them: bad rows are reported with
 * their row and column, identifying columns are refused, remaining stays
 * are drawn conditioned on the time already spent, and a census placed in
 * the model is the census the model reports at day 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/census.h"
#include "flyt/date.h"
#include "flyt/forecast.h"
#include "flyt/model.h"
#include "flyt/rng.h"
#include "flyt/scenario.h"
#include "support.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADER "location,since,destination,queued_since,cfs,age_band,complex,hours_per_week\n"

static char path[256];

static const char *write_file(const char *text)
{
    snprintf(path, sizeof path, "%s/census-test-%d.csv", FLYT_BINARY_DIR, (int)getpid());
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

struct read {
    int rc, day;
    struct flyt_census c;
    struct flyt_diag d;
};

/* Reads text as a census dated 2025-03-14 (unless the text dates itself),
 * against the embedded scenario's age bands. */
static void read_text(struct read *r, const char *text, const char *const *ignore, int n_ignore,
                      bool date_from_file)
{
    struct flyt_scenario *s = flyt_test_load(NULL, NULL, 0);
    memset(r, 0, sizeof *r);
    flyt_diag_init(&r->d);
    struct flyt_census_read_opts o = {
        ignore, n_ignore, s, date_from_file ? INT32_MIN : flyt_days_from_civil(2025, 3, 14), NULL
    };
    r->rc = flyt_census_read(write_file(text), &o, &r->c, &r->day, &r->d);
    flyt_scenario_free(s);
    unlink(path);
}

/* Unit index of id in the embedded scenario, as census rows name it. */
static int uidx(const char *id)
{
    struct flyt_scenario *s = flyt_test_load(NULL, NULL, 0);
    int u = -1;
    for (int i = 0; i < s->n_units; i++)
        if (strcmp(s->units[i].id, id) == 0)
            u = i;
    flyt_scenario_free(s);
    if (u < 0)
        fail_msg("no unit %s", id);
    return u;
}

static void done(struct read *r)
{
    flyt_census_free(&r->c);
    flyt_diag_free(&r->d);
}

/* The message "FILE:LINE: error: column COL: text..." is among the errors. */
static void has(const struct read *r, int line, const char *col, const char *text)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: error: column %s: %s", path, line, col, text);
    if (!r->d.text || !strstr(r->d.text, want)) {
        fprintf(stderr, "wanted: %s\ngot:\n%s\n", want, r->d.text ? r->d.text : "(nothing)");
        fail();
    }
}

static void reads_a_good_census(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              "# census_date: 2025-03-14\n" HEADER "hospital,2025-03-10,,,5,80-89,no,\n"
              "ukp,2025-03-12,nursing_home,2025-03-13,,,,\n"
              "short_term,2025-02-20,home_care,,7,,,6.5\n"
              "nursing_home,14.03.2022,,,,,ja,\n"
              "\n"
              "home_care,2024-01-01,nursing_home,2025-03-01,,,,\"3,5\"\n",
              NULL, 0, true);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.day, flyt_days_from_civil(2025, 3, 14));
    assert_int_equal(r.c.n, 5);
    assert_int_equal(r.c.p[0].row, 3);
    assert_int_equal(r.c.p[0].cfs, 5);
    assert_int_equal(r.c.p[0].age_band, 1);
    assert_near(r.c.p[0].elapsed_days, 3.5, 1e-12); /* entered at noon, on average */
    assert_int_equal(r.c.p[1].dest, uidx("nursing_home"));
    assert_near(r.c.p[1].queued_days, 0.5, 1e-12);
    assert_int_equal(r.c.p[2].dest, uidx("home_care"));
    assert_near(r.c.p[2].queued_days, r.c.p[2].elapsed_days, 1e-12);
    assert_near(r.c.p[2].hours, 6.5, 1e-12);
    assert_int_equal(r.c.p[3].complex, 1);
    assert_int_equal(r.c.p[3].cfs, 0);
    assert_int_equal(r.c.p[4].row, 8); /* the blank line counts */
    assert_near(r.c.p[4].hours, 3.5, 1e-12);
    done(&r);
}

static void semicolons_and_a_byte_order_mark_are_read(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, "\xEF\xBB\xBFlocation;since;cfs\nsykehjem;2025-01-01;4\nkorttid;2025-03-01;6\n",
              NULL, 0, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 2);
    assert_int_equal(r.c.p[0].loc, uidx("nursing_home"));
    assert_int_equal(r.c.p[1].loc, uidx("short_term"));
    assert_int_equal(r.c.p[1].cfs, 6);
    done(&r);
}

/* Every bad row, with its row number and column: all of them at once. */
static void bad_rows_are_reported_with_row_and_column(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              HEADER "hospital,2025-03-10,,,5,,,\n"
                     "attic,2025-03-10,,,5,,,\n"
                     "hospital,2025-04-01,,,5,,,\n"
                     "hospital,2025-03-10,,,12,,,\n"
                     "hospital,10/03/2025,,,5,,,\n"
                     "ukp,2025-03-10,home,,,,,\n"
                     "hospital,2025-02-30,,,,,,\n"
                     "nursing_home,2025-03-10,,,,teen,,\n"
                     "home_care,2025-03-10,,,,,maybe,\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.c.n, 0);
    has(&r, 3, "location", "unknown location, got 'attic'");
    has(&r, 4, "since", "18 days after the census date");
    has(&r, 5, "cfs", "must be a whole number from 1 to 9 (Clinical Frailty Scale), got '12'");
    has(&r, 6, "since", "not a date YYYY-MM-DD");
    has(&r, 7, "destination", "home is not a place");
    has(&r, 8, "since", "not a date");
    has(&r, 9, "age_band", "not one of the scenario's age bands");
    has(&r, 10, "complex", "must be yes or no");
    assert_int_equal(r.d.n_errors, 8);
    done(&r);
}

static size_t count(const struct flyt_census *c, int loc, int dest);

/* Places are the scenario's units: old names and Norwegian aliases only
 * where it has a unit of that id, anything else refused with the ids it
 * has; destinations and hours where the network can hold them. */
static void places_are_the_scenarios_units(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              HEADER "Short_Term,2025-03-10,,,,,,\n"
                     "korttid,2025-03-10,sykehjem,,,,,\n"
                     "hjemmesykepleie,2025-03-10,langtid,,,,,2\n"
                     "innlagt,2025-03-10,,,,,,\n"
                     "utskrivningsklar,2025-03-10,hjemmetjenester,,,,,7\n"
                     "nursing_home,2025-03-10,home_care,,,,,3\n",
              NULL, 0, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 6);
    assert_int_equal(r.c.p[0].loc, uidx("short_term"));
    assert_int_equal(r.c.p[1].dest, uidx("nursing_home"));
    assert_int_equal(r.c.p[2].loc, uidx("home_care"));
    assert_near(r.c.p[2].hours, 2, 0);
    assert_int_equal(r.c.p[3].loc, FLYT_CENSUS_HOSPITAL);
    assert_int_equal(r.c.p[4].loc, FLYT_CENSUS_UKP);
    assert_int_equal(r.c.p[4].dest, uidx("home_care"));
    assert_int_equal(r.c.p[5].dest, uidx("home_care")); /* a bed blocked for home care */
    done(&r);
    read_text(&r,
              HEADER "rehabilitation,2025-03-10,,,,,,\n"
                     "ukp,2025-03-10,kad,,,,,\n"
                     "short_term,2025-03-10,short_term,,,,,\n"
                     "ukp,2025-03-10,hospital,,,,,\n"
                     "hospital,2025-03-10,nursing_home,,,,,\n"
                     "short_term,2025-03-10,nursing_home,,,,,4\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 2, "location",
        "unknown location, got 'rehabilitation'; expected hospital, ukp or a unit of the "
        "scenario (short_term, nursing_home, home_care)");
    has(&r, 3, "destination",
        "unknown destination, got 'kad'; expected a unit of the scenario (short_term, "
        "nursing_home, home_care), or empty");
    has(&r, 4, "destination", "a patient cannot wait for the unit it is in");
    has(&r, 5, "destination", "the hospital is not a place to wait for");
    has(&r, 6, "destination", "a patient in hospital treatment waits for no place");
    has(&r, 7, "hours_per_week",
        "only for clients of a caseload unit and patients waiting for one (home_care)");
    assert_int_equal(r.d.n_errors, 6);
    done(&r);
}

/* A census of a network with units beyond the first three is placed as
 * it says, taken back from a run by unit id, and reads back the same. */
static void a_network_census_is_placed_and_taken(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=61", "run.warmup_days=0" };
    struct flyt_scenario *s =
            flyt_test_load(FLYT_SOURCE_DIR "/scenarios/trondheim-2025-network.cfg", sets, 2);
    struct flyt_census c = { 0 };
    assert_int_equal(flyt_model_census_at(s, 1, 60, &c), 0);
    int rehab = -1, kad = -1;
    for (int u = 0; u < s->n_units; u++) {
        rehab = strcmp(s->units[u].id, "rehabilitation") == 0 ? u : rehab;
        kad = strcmp(s->units[u].id, "kad") == 0 ? u : kad;
    }
    assert_true(rehab >= 0 && kad >= 0 && count(&c, rehab, -2) > 0);
    struct flyt_result res;
    assert_int_equal(flyt_model_run_census(s, &c, 0, &res, NULL), 0);
    for (int u = 0; u < s->n_units; u++)
        if (u != s->hospital)
            assert_near(flyt_result_unit_series(&res, (unsigned)u, FLYT_USERIES_census)[0],
                        count(&c, u, -2), 0);
    assert_near(res.series[FLYT_SERIES_hospital_treatment][0], count(&c, FLYT_CENSUS_HOSPITAL, -2),
                0);
    flyt_result_free(&res);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

static void a_census_needs_a_date_and_its_columns(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, HEADER "hospital,2025-03-10,,,5,,,\n", NULL, 0, true);
    assert_int_equal(r.rc, -1);
    assert_non_null(strstr(r.d.text, "no census date"));
    done(&r);
    read_text(&r, "location,cfs\nhospital,5\n", NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 1, "since", "missing from the header");
    done(&r);
}

static void identifying_headers_are_recognised(void **state)
{
    (void)state;
    static const char *const refused[] = {
        "Navn",    "etternavn",    "Patient name", "fødselsnummer",
        "FNR",     "personnummer", "Fødselsdato",  "date_of_birth",
        "DOB",     "Adresse",      "street",       "postnr",
        "telefon", "e-post",       "patient_id",   "national id number",
    };
    static const char *const accepted[] = { "nursing",     "ward",     "unit",  "cfs",
                                            "destination", "location", "since", "hours_per_week" };
    for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
        if (!flyt_census_identifying_header(refused[i], NULL)) {
            fprintf(stderr, "not refused: %s\n", refused[i]);
            fail();
        }
    for (size_t i = 0; i < sizeof accepted / sizeof *accepted; i++)
        if (flyt_census_identifying_header(accepted[i], NULL)) {
            fprintf(stderr, "refused: %s\n", accepted[i]);
            fail();
        }
    assert_true(flyt_census_looks_like_fnr("01019912345"));
    assert_true(flyt_census_looks_like_fnr("010199 12345"));
    assert_false(flyt_census_looks_like_fnr("0101991234"));
    assert_false(flyt_census_looks_like_fnr("2025-03-14"));
}

/* Refused unless ignored; and never quoted back. */
static void identifying_columns_are_refused_unless_ignored(void **state)
{
    (void)state;
    const char *text = "location,since,Fødselsnummer,navn,comment\n"
                       "hospital,2025-03-10,01019912345,Kari Nordmann,ok\n"
                       "hospital,2025-03-11,02029912345,Ola Nordmann,23 11 45 67890\n";
    struct read r;
    read_text(&r, text, NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 1, "Fødselsnummer", "looks like a national identity number");
    has(&r, 1, "navn", "looks like a name");
    has(&r, 3, "comment", "a value looks like a national identity");
    assert_null(strstr(r.d.text, "Nordmann"));
    assert_null(strstr(r.d.text, "12345"));
    assert_null(strstr(r.d.text, "67890"));
    done(&r);
    const char *ignore[] = { "fødselsnummer", "NAVN", "comment" };
    read_text(&r, text, ignore, 3, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 2);
    done(&r);
}

/* A value in a model column that is shaped like an identity number is not
 * quoted either. */
static void values_are_not_quoted_when_they_could_identify(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, "location,since,cfs\nhospital,2025-03-10,47110\nhospital,99999999999,3\n", NULL,
              0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 2, "cfs", "must be a whole number from 1 to 9");
    has(&r, 3, "since", "a value looks like a national identity number");
    assert_null(strstr(r.d.text, "47110"));
    assert_null(strstr(r.d.text, "99999"));
    done(&r);
}

/* A file without its header line: the first row's cells are data, and
 * are neither taken as column names in messages nor quoted. */
static void a_missing_header_does_not_leak_the_first_row(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, "hospital,2025-03-10,01019912345,Kari Nordmann,Storgata 7\n", NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 1, "#3", "the header holds a long number");
    has(&r, 1, "location", "missing from the header");
    assert_null(strstr(r.d.text, "12345"));
    assert_null(strstr(r.d.text, "Nordmann"));
    assert_null(strstr(r.d.text, "Storgata"));
    done(&r);
}

/* "FILE:LINE: error: text..." (no column) is among the errors. */
static void has_row(const struct read *r, int line, const char *text)
{
    char want[512];
    snprintf(want, sizeof want, "%s:%d: error: %s", path, line, text);
    if (!r->d.text || !strstr(r->d.text, want)) {
        fprintf(stderr, "wanted: %s\ngot:\n%s\n", want, r->d.text ? r->d.text : "(nothing)");
        fail();
    }
}

/* A quote left open in a column flyt does not use once swallowed the rest
 * of the file into that field: 320 rows read as 1 patient, exit 0. */
static void an_open_quote_is_refused_with_its_row(void **state)
{
    (void)state;
    size_t cap = 64 * 1024, len = 0;
    char *text = malloc(cap);
    assert_non_null(text);
    len += (size_t)snprintf(text + len, cap - len,
                            "# census_date: 2025-03-14\nlocation,since,note\n");
    for (int i = 0; i < 320; i++)
        len += (size_t)snprintf(text + len, cap - len, "hospital,2025-03-10,%s\n",
                                i == 2 ? "\"Kari said" : "fine");
    struct read r;
    read_text(&r, text, NULL, 0, true);
    free(text);
    assert_int_equal(r.rc, -1);
    assert_int_equal(r.c.n, 0);
    has(&r, 5, "note", "a quoted value is not closed on its line");
    assert_int_equal(r.d.n_errors, 1);
    assert_null(strstr(r.d.text, "Kari"));
    done(&r);
}

/* RFC 4180 quoting is read; a quote in the middle of a field or text after
 * a closing quote is refused with its row, not merged. */
static void quotes_inside_a_field_are_refused(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              "location,since,note\n"
              "\"hospital\",\"2025-03-10\",\"she said \"\"hello\"\", then left\"\n"
              "hospital,2025-03-10,ab\"c\n"
              "hospital,2025-03-10,\"ab\"c\n"
              "hospital,2025-03-10,ok\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 3, "note", "a quote inside a value");
    has(&r, 4, "note", "a quote inside a value");
    assert_int_equal(r.d.n_errors, 2);
    assert_null(strstr(r.d.text, "ab"));
    done(&r);
    read_text(&r,
              "location,since,note\n"
              "\"hospital\",\"2025-03-10\",\"she said \"\"hello\"\", then left\"\n",
              NULL, 0, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 1);
    done(&r);
}

/* A row with more or fewer fields than the header would shift or lose
 * values: refused with its row and the counts. */
static void every_row_has_the_header_fields(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              "location,since,cfs\n"
              "hospital,2025-03-10,5\n"
              "hospital,2025-03-10,5,\n"
              "hospital,2025-03-10\n"
              "hospital,2025-03-10,5,Kari,x\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has_row(&r, 3, "4 fields where the header has 3");
    has_row(&r, 4, "2 fields where the header has 3");
    has_row(&r, 5, "5 fields where the header has 3");
    assert_int_equal(r.d.n_errors, 3);
    assert_null(strstr(r.d.text, "Kari"));
    done(&r);
    /* A separator at the end of every line, the header's too: an unnamed
     * empty column, read. */
    read_text(&r, "location,since,cfs,\nhospital,2025-03-10,5,\nukp,2025-03-11,,\n", NULL, 0,
              false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 2);
    done(&r);
}

/* LF, CRLF and CR alone (old Mac) end lines alike; a byte-order mark
 * before the census-date comment is skipped. */
static void line_ends_and_a_byte_order_mark_are_read(void **state)
{
    (void)state;
    static const char *const texts[] = {
        "# census_date: 2025-03-14\nlocation,since\nhospital,2025-03-10\n\nukp,2025-03-11\n",
        "# census_date: 2025-03-14\r\nlocation,since\r\nhospital,2025-03-10\r\n\r\n"
        "ukp,2025-03-11\r\n",
        "# census_date: 2025-03-14\rlocation,since\rhospital,2025-03-10\r\rukp,2025-03-11\r",
        "\xEF\xBB\xBF# census_date: 2025-03-14\nlocation,since\nhospital,2025-03-10\n\n"
        "ukp,2025-03-11",
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        struct read r;
        read_text(&r, texts[i], NULL, 0, true);
        if (r.rc != 0)
            fprintf(stderr, "text %zu: %s\n", i, r.d.text);
        assert_int_equal(r.rc, 0);
        assert_int_equal(r.day, flyt_days_from_civil(2025, 3, 14));
        assert_int_equal(r.c.n, 2);
        assert_int_equal(r.c.p[0].row, 3);
        assert_int_equal(r.c.p[1].row, 5);
        assert_int_equal(r.c.p[1].loc, FLYT_CENSUS_UKP);
        done(&r);
    }
}

/* A NUL byte cut a field short without a word (UTF-16 files are full of
 * them). */
static void a_nul_byte_is_refused_with_its_row(void **state)
{
    (void)state;
    const char text[] = "location,since,note\nhospital,2025-03-10,a\0b\nukp,2025-03-11,x\n";
    snprintf(path, sizeof path, "%s/census-test-%d.csv", FLYT_BINARY_DIR, (int)getpid());
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fwrite(text, 1, sizeof text - 1, f);
    fclose(f);
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_census c = { 0 };
    int day;
    struct flyt_census_read_opts o = { NULL, 0, NULL, flyt_days_from_civil(2025, 3, 14), NULL };
    assert_int_equal(flyt_census_read(path, &o, &c, &day, &d), -1);
    struct read r = { .d = d };
    has_row(&r, 2, "a NUL byte");
    unlink(path);
    flyt_diag_free(&d);
}

/* Lines with nothing in them (blank, or only separators) hold no patient and
 * are skipped; a second header, a comment among the rows and a column
 * name used twice are refused. */
static void empty_rows_skipped_and_odd_lines_refused(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, "location,since,cfs\nhospital,2025-03-10,5\n,,\n  \n\"\",,\nukp,2025-03-11,\n",
              NULL, 0, false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 2);
    assert_int_equal(r.c.p[1].row, 6);
    done(&r);
    read_text(&r,
              "location,since,cfs\nhospital,2025-03-10,5\nLocation,Since,CFS\n"
              "# more rows\nukp,2025-03-11,\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has_row(&r, 3, "the header again");
    has_row(&r, 4, "a # comment after the header");
    assert_int_equal(r.d.n_errors, 2);
    done(&r);
    read_text(&r, "location,since,note,Note\nhospital,2025-03-10,a,b\n", NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has(&r, 1, "Note", "appears twice in the header");
    done(&r);
}

/* Text that is not UTF-8 (a spreadsheet's Windows-1252 export: "Tromsø"
 * as one byte 0xF8) is refused with its row: headers in it would escape
 * the check for identifying columns ("fødselsnummer"). */
static void text_that_is_not_utf8_is_refused_with_its_row(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              "location,since,note\nhospital,2025-03-10,Troms\xF8\nukp,2025-03-11,Troms\xC3\xB8\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has_row(&r, 2, "not UTF-8 text");
    assert_int_equal(r.d.n_errors, 1);
    done(&r);
}

/* Tab-separated exports are read like comma-separated ones. */
static void tabs_separate_fields_when_the_header_has_them(void **state)
{
    (void)state;
    struct read r;
    read_text(&r, "location\tsince\tcfs\nhospital\t2025-03-10\t5\nukp\t2025-03-11\t\n", NULL, 0,
              false);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.c.n, 2);
    assert_int_equal(r.c.p[0].cfs, 5);
    done(&r);
}

/* Two exports joined: the second's byte-order mark and header are found;
 * two different census dates are refused. */
static void a_joined_file_and_two_dates_are_refused(void **state)
{
    (void)state;
    struct read r;
    read_text(&r,
              "location,since\nhospital,2025-03-10\n\xEF\xBB\xBFlocation,since\nukp,2025-03-11\n",
              NULL, 0, false);
    assert_int_equal(r.rc, -1);
    has_row(&r, 3, "the header again");
    assert_int_equal(r.d.n_errors, 1);
    done(&r);
    read_text(&r, "# census_date: 2025-03-14\n# census_date: 2025-03-15\nlocation,since\n", NULL, 0,
              true);
    assert_int_equal(r.rc, -1);
    has(&r, 2, "census_date", "a second census date");
    done(&r);
}

/* ---- conditional remaining stays ---- */

struct surv {
    const struct flyt_dist *d;
};

static double survival(double x, void *p)
{
    const struct flyt_dist *d = ((struct surv *)p)->d;
    switch (d->kind) {
    case FLYT_DIST_LOGNORMAL:
        return 0.5 * erfc((log(x) - d->p1) / (d->p2 * M_SQRT2));
    case FLYT_DIST_WEIBULL:
        return exp(-pow(x / d->p1, d->p2));
    default:
        return exp(-x / d->mean);
    }
}

/* E[X - e | X > e] = integral of S from e to infinity / S(e). */
static double mean_residual_by_integration(const struct flyt_dist *d, double e)
{
    gsl_integration_workspace *w = gsl_integration_workspace_alloc(1000);
    struct surv p = { d };
    gsl_function f = { survival, &p };
    double v, abserr;
    assert_int_equal(gsl_integration_qagiu(&f, e, 1e-12, 1e-10, 1000, w, &v, &abserr), 0);
    gsl_integration_workspace_free(w);
    return v / survival(e, &p);
}

static struct flyt_dist make(enum flyt_dist_kind k, double mean, double sd)
{
    struct flyt_dist d = { .kind = k, .mean = mean, .sd = sd };
    const char *why;
    assert_int_equal(flyt_dist_prepare(&d, &why), 0);
    return d;
}

/* Mean of n residual draws and its 99.9 % half-width. */
static double residual_mean(const struct flyt_dist *d, double e, int n, double *half)
{
    gsl_rng *r = flyt_rng_new();
    struct flyt_stream st;
    flyt_stream_seed(&st, 20251231, 0, FLYT_STREAM_MODEL, (uint64_t)(e * 1000));
    flyt_rng_bind(r, &st);
    double *x = malloc((size_t)n * sizeof *x), m;
    for (int i = 0; i < n; i++) {
        x[i] = flyt_dist_sample_residual(d, e, r);
        assert_true(x[i] >= 0 && isfinite(x[i]));
    }
    *half = flyt_test_t_half(x, n, 0.999, &m);
    free(x);
    flyt_rng_free(r);
    return m;
}

static void exponential_residual_is_memoryless(void **state)
{
    (void)state;
    struct flyt_dist d = make(FLYT_DIST_EXPONENTIAL, 25.0, 0);
    for (double e = 0; e <= 200; e += 50) {
        double half, m = residual_mean(&d, e, 40000, &half);
        assert_near(m, 25.0, half);
    }
}

/* At the body and far in the tail (the 99.99th percentile of a lognormal
 * with mean 14 and sd 10 is about 110 days). */
static void lognormal_residual_matches_integration(void **state)
{
    (void)state;
    struct flyt_dist d = make(FLYT_DIST_LOGNORMAL, 14.0, 10.0);
    const double at[] = { 0.0, 3.0, 14.0, 40.0, 110.0 };
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        double half, m = residual_mean(&d, at[i], 40000, &half);
        double want = at[i] > 0 ? mean_residual_by_integration(&d, at[i]) : 14.0;
        assert_near(m, want, half);
    }
}

static void weibull_residual_matches_integration(void **state)
{
    (void)state;
    struct flyt_dist d = make(FLYT_DIST_WEIBULL, 640.0, 900.0); /* shape < 1: a long tail */
    const double at[] = { 30.0, 700.0, 3000.0 };
    for (size_t i = 0; i < sizeof at / sizeof *at; i++) {
        double half, m = residual_mean(&d, at[i], 40000, &half);
        assert_near(m, mean_residual_by_integration(&d, at[i]), half);
    }
}

/* Past the largest value a distribution takes, the stay is overdue and
 * ends within a day; a lognormal far past its tail stays finite. */
static void overdue_stays_end_soon(void **state)
{
    (void)state;
    struct flyt_dist fixed = make(FLYT_DIST_FIXED, 3.0, 0);
    struct flyt_dist ln = make(FLYT_DIST_LOGNORMAL, 1.2, 0.8);
    gsl_rng *r = flyt_rng_new();
    struct flyt_stream st;
    flyt_stream_seed(&st, 1, 0, FLYT_STREAM_MODEL, 0);
    flyt_rng_bind(r, &st);
    assert_near(flyt_dist_sample_residual(&fixed, 1.0, r), 2.0, 1e-12);
    for (int i = 0; i < 100; i++) {
        double x = flyt_dist_sample_residual(&fixed, 5.0, r);
        assert_true(x > 0 && x <= 1.0);
        x = flyt_dist_sample_residual(&ln, 1e4, r);
        assert_true(x >= 0 && isfinite(x) && x < 1e4);
    }
    flyt_rng_free(r);
}

/* ---- placing a census ---- */

static size_t count(const struct flyt_census *c, int loc, int dest)
{
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++)
        n += c->p[i].loc == loc && (dest == -2 || c->p[i].dest == dest);
    return n;
}

/* Unit id's series k in a result of scenario s. */
static const double *useries(const struct flyt_scenario *s, const struct flyt_result *r,
                             const char *id, int k)
{
    for (int u = 0; u < s->n_units; u++)
        if (strcmp(s->units[u].id, id) == 0)
            return flyt_result_unit_series(r, (unsigned)u, k);
    fail_msg("no unit %s", id);
    return NULL;
}

/* A model's state taken at day 200, placed back at day 0 of a fresh run,
 * is what that run reports at 00:00 of day 0 (queues included). */
static void a_placed_census_is_the_day_0_census(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=201", "run.warmup_days=0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_census c = { 0 };
    assert_int_equal(flyt_model_census_at(s, 2, 200, &c), 0);
    assert_true(c.n > 3000);
    struct flyt_result res;
    uint8_t queued[5 * 8];
    double ukp_days[5];
    struct flyt_census_track tr = { 5, ukp_days, queued, 99, NULL };
    assert_true(s->n_units <= 8);
    assert_int_equal(flyt_model_run_census(s, &c, 0, &res, &tr), 0);
    assert_near(res.series[FLYT_SERIES_hospital_treatment][0], count(&c, FLYT_CENSUS_HOSPITAL, -2),
                0);
    assert_near(res.series[FLYT_SERIES_ukp_waiting][0], count(&c, FLYT_CENSUS_UKP, -2), 0);
    assert_near(useries(s, &res, "short_term", FLYT_USERIES_census)[0],
                count(&c, uidx("short_term"), -2), 0);
    assert_near(useries(s, &res, "nursing_home", FLYT_USERIES_census)[0],
                count(&c, uidx("nursing_home"), -2), 0);
    assert_near(useries(s, &res, "home_care", FLYT_USERIES_census)[0],
                count(&c, uidx("home_care"), -2), 0);
    assert_near(useries(s, &res, "nursing_home", FLYT_USERIES_queue)[0],
                count(&c, FLYT_CENSUS_UKP, uidx("nursing_home")) +
                        count(&c, uidx("short_term"), uidx("nursing_home")) +
                        count(&c, uidx("home_care"), uidx("nursing_home")),
                0);
    assert_true(ukp_days[0] > 0 && ukp_days[0] <= count(&c, FLYT_CENSUS_UKP, -2) + 10);
    assert_near(res.kpi[FLYT_KPI_patients_initial], (double)c.n, 0);
    flyt_result_free(&res);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

/* The same census, scenario and replication give the same run. */
static void a_run_from_a_census_is_deterministic(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=60", "run.warmup_days=0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_census c = { 0 };
    assert_int_equal(flyt_model_census_at(s, 0, 50, &c), 0);
    struct flyt_result a, b;
    assert_int_equal(flyt_model_run_census(s, &c, 3, &a, NULL), 0);
    assert_int_equal(flyt_model_run_census(s, &c, 3, &b, NULL), 0);
    assert_memory_equal(a.kpi, b.kpi, sizeof a.kpi);
    assert_memory_equal(useries(s, &a, "short_term", FLYT_USERIES_census),
                        useries(s, &b, "short_term", FLYT_USERIES_census),
                        a.n_days * sizeof(double));
    assert_memory_equal(a.unit_kpi, b.unit_kpi, a.n_units * FLYT_N_UNIT_KPI * sizeof(double));
    flyt_result_free(&a);
    flyt_result_free(&b);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

/* Above capacity is accepted: nobody is moved out, nobody new comes in
 * until there is room. */
static void a_census_above_capacity_is_placed(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=3", "run.warmup_days=0",
                           "units.short_term.capacity=10" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 3);
    struct flyt_census c = { 0 };
    for (int i = 0; i < 40; i++) {
        struct flyt_census_patient p = { .row = (uint32_t)i + 2,
                                         .loc = uidx("short_term"),
                                         .dest = -1,
                                         .cfs = 0,
                                         .age_band = -1,
                                         .complex = -1,
                                         .elapsed_days = i,
                                         .queued_days = -1,
                                         .hours = -1 };
        assert_int_equal(flyt_census_add(&c, &p), 0);
    }
    struct flyt_result res;
    assert_int_equal(flyt_model_run_census(s, &c, 0, &res, NULL), 0);
    const double *st = useries(s, &res, "short_term", FLYT_USERIES_census);
    assert_near(st[0], 40, 0);
    assert_true(st[2] <= 40);
    flyt_result_free(&res);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

/* The written census reads back as the same places, attributes and
 * (to the day) times. */
static void a_dumped_census_reads_back(void **state)
{
    (void)state;
    const char *sets[] = { "run.horizon_days=101", "run.warmup_days=0" };
    struct flyt_scenario *s = flyt_test_load(NULL, sets, 2);
    struct flyt_census c = { 0 };
    assert_int_equal(flyt_model_census_at(s, 1, 100, &c), 0);
    int day = flyt_days_from_civil(2025, 4, 11);
    snprintf(path, sizeof path, "%s/census-dump-%d.csv", FLYT_BINARY_DIR, (int)getpid());
    FILE *f = fopen(path, "w");
    assert_int_equal(flyt_census_write_csv(f, &c, s, day), 0);
    fclose(f);
    struct flyt_census back = { 0 };
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_census_read_opts o = { NULL, 0, s, INT32_MIN, NULL };
    int got_day;
    int rc = flyt_census_read(path, &o, &back, &got_day, &d);
    if (rc != 0)
        fprintf(stderr, "%s", d.text);
    assert_int_equal(rc, 0);
    assert_int_equal(got_day, day);
    assert_int_equal(back.n, c.n);
    for (size_t i = 0; i < c.n; i++) {
        assert_int_equal(back.p[i].row, i + 3);
        assert_int_equal(back.p[i].loc, c.p[i].loc);
        assert_int_equal(back.p[i].dest, c.p[i].dest);
        assert_int_equal(back.p[i].cfs, c.p[i].cfs);
        assert_int_equal(back.p[i].age_band, c.p[i].age_band);
        assert_true(fabs(back.p[i].elapsed_days - c.p[i].elapsed_days) <= 1.0);
    }
    unlink(path);
    flyt_diag_free(&d);
    flyt_census_free(&back);
    flyt_census_free(&c);
    flyt_scenario_free(s);
}

int main(void)
{
    gsl_set_error_handler_off();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_a_good_census),
        cmocka_unit_test(semicolons_and_a_byte_order_mark_are_read),
        cmocka_unit_test(bad_rows_are_reported_with_row_and_column),
        cmocka_unit_test(places_are_the_scenarios_units),
        cmocka_unit_test(a_network_census_is_placed_and_taken),
        cmocka_unit_test(a_census_needs_a_date_and_its_columns),
        cmocka_unit_test(identifying_headers_are_recognised),
        cmocka_unit_test(identifying_columns_are_refused_unless_ignored),
        cmocka_unit_test(values_are_not_quoted_when_they_could_identify),
        cmocka_unit_test(a_missing_header_does_not_leak_the_first_row),
        cmocka_unit_test(an_open_quote_is_refused_with_its_row),
        cmocka_unit_test(quotes_inside_a_field_are_refused),
        cmocka_unit_test(every_row_has_the_header_fields),
        cmocka_unit_test(line_ends_and_a_byte_order_mark_are_read),
        cmocka_unit_test(a_nul_byte_is_refused_with_its_row),
        cmocka_unit_test(empty_rows_skipped_and_odd_lines_refused),
        cmocka_unit_test(text_that_is_not_utf8_is_refused_with_its_row),
        cmocka_unit_test(tabs_separate_fields_when_the_header_has_them),
        cmocka_unit_test(a_joined_file_and_two_dates_are_refused),
        cmocka_unit_test(exponential_residual_is_memoryless),
        cmocka_unit_test(lognormal_residual_matches_integration),
        cmocka_unit_test(weibull_residual_matches_integration),
        cmocka_unit_test(overdue_stays_end_soon),
        cmocka_unit_test(a_placed_census_is_the_day_0_census),
        cmocka_unit_test(a_run_from_a_census_is_deterministic),
        cmocka_unit_test(a_census_above_capacity_is_placed),
        cmocka_unit_test(a_dumped_census_reads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
