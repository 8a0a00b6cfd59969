/* flyt upgrade's text rewrite on small inputs: what moves, what is renamed,
 * and that everything else, comments first, stays as written. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/upgrade.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char hospital[] =
        "{ id = \"hospital\"; name = \"Hospital\"; kind = \"unlimited\"; hospital = true; }";

/* The conversion of text, which must succeed. */
static char *convert(const char *text, bool spec, unsigned *flags, char **notes)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_upgrade u;
    int rc = flyt_upgrade_text(text, "t.cfg", spec, &u, &d);
    if (rc != 0)
        fprintf(stderr, "%s", d.text ? d.text : "");
    assert_int_equal(rc, 0);
    flyt_diag_free(&d);
    if (flags)
        *flags = u.flags;
    if (notes)
        *notes = u.notes ? strdup(u.notes) : NULL;
    char *out = strdup(u.text);
    flyt_upgrade_free(&u);
    return out;
}

static void expect(const char *text, const char *want)
{
    char *got = convert(text, false, NULL, NULL);
    if (strcmp(got, want) != 0)
        fprintf(stderr, "got:\n%s\nwant:\n%s\n", got, want);
    assert_string_equal(got, want);
    free(got);
}

static void one_line_units_become_one_line_elements(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof want,
             "units = (\n  %s,\n  { id = \"short_term\"; name = \"Short-term beds\"; kind = "
             "\"beds\"; capacity = 5; los_days = 2.0; outcome = { home = 0.5; hospital = 0.5; }; "
             "not_ready_returns = true; }\n);\n",
             hospital);
    expect("units: { short_term: { beds = 5; los_days = 2.0; outcome = { hospital = 0.5; home = "
           "0.5; }; }; };\n",
           want);
}

static void comments_move_with_their_unit(void **state)
{
    (void)state;
    char want[2048];
    snprintf(want, sizeof want,
             "units = (  # the services\n"
             "  %s,\n"
             "  # beds at the health house\n"
             "  { id = \"short_term\"; name = \"Short-term beds\"; kind = \"beds\";\n"
             "    capacity = 10;      # ten\n"
             "    los_days = 3.0;\n"
             "    outcome = \"x\";\n"
             "    not_ready_returns = true;\n"
             "  },\n"
             "  # home care, written first\n"
             "  { id = \"home_care\"; name = \"Home care\"; kind = \"caseload\";   # staff\n"
             "    capacity = 100.0;\n"
             "    # per client\n"
             "    hours_per_client = 5.0;\n"
             "    rates_per_year = { hospital = 1.0; home = 2.0; };\n"
             "    not_ready_returns = true;\n"
             "  }   # end of home care\n"
             ");\n",
             hospital);
    expect("units: {  # the services\n"
           "  # home care, written first\n"
           "  home_care: {   # staff\n"
           "    hours_per_week = 100.0;\n"
           "    # per client\n"
           "    hours_per_user = 5.0;\n"
           "    rates_per_year = { end = 2.0; hospital = 1.0 };\n"
           "  };   # end of home care\n"
           "  # beds at the health house\n"
           "  short_term: {\n"
           "    beds = 10;          # ten\n"
           "    los_days = 3.0;\n"
           "    outcome = \"x\";\n"
           "  };\n"
           "};\n",
           want);
}

static void weekend_admissions_move_to_every_unit(void **state)
{
    (void)state;
    char want[1024];
    snprintf(want, sizeof want,
             "decision: {\n"
             "  delay_days = 0.0;\n"
             "  # closed at weekends\n"
             "  # no source\n"
             "  destination = { home = 0.5; nursing_home = 0.5; };\n"
             "};\n"
             "units = (\n"
             "  %s,\n"
             "  { id = \"nursing_home\"; name = \"Nursing homes\"; kind = \"beds\";\n"
             "    capacity = 3;\n"
             "    priority = [\"home_care\", \"hospital\", \"short_term\"];\n"
             "    outcome = \"death\";\n"
             "    admission_days = \"weekdays\";\n"
             "  }\n"
             ");\n",
             hospital);
    expect("decision: {\n"
           "  delay_days = 0.0;\n"
           "  # closed at weekends\n"
           "  admissions_on_weekends = false;  # no source\n"
           "  destination = { nursing_home = 0.5; home = 0.5; };\n"
           "};\n"
           "units: {\n"
           "  nursing_home: {\n"
           "    beds = 3;\n"
           "    priority = [\"home\", \"hospital\", \"short_term\"];\n"
           "  };\n"
           "};\n",
           want);
}

static void empty_units_get_the_hospital(void **state)
{
    (void)state;
    char want[512];
    snprintf(want, sizeof want, "name = \"x\";\nunits = (\n  %s\n);\n", hospital);
    expect("name = \"x\";\nunits: { };\n", want);
}

static void renames_outside_units(void **state)
{
    (void)state;
    expect("coordinators = ( { effects = { st_los_factor = 0.9; outcome = { death = 1.0 }; }; } "
           ");\n"
           "report: { nh_target_days = 42.0; };\n",
           "coordinators = ( { effects = { los_factor = 0.9; outcome = { death = 1.0 }; }; } );\n"
           "report: { wait_target_days = 42.0; };\n");
}

static void per_group_tables_are_reordered_in_each_group(void **state)
{
    (void)state;
    expect("decision: { destination = {\n"
           "    fit = { short_term = 0.5; home = 0.5; };   # fit\n"
           "    frail = { nursing_home = 1.0; };\n"
           "  };\n"
           "};\n",
           "decision: { destination = {\n"
           "    fit = { home = 0.5; short_term = 0.5; };   # fit\n"
           "    frail = { nursing_home = 1.0; };\n"
           "  };\n"
           "};\n");
}

static void crlf_lines_stay_crlf(void **state)
{
    (void)state;
    char want[512];
    snprintf(want, sizeof want, "run: { };\r\nunits = (\r\n  %s\r\n);\r\n", hospital);
    expect("run: { };\r\nunits: {\r\n};\r\n", want);
}

static void a_new_file_is_left_alone(void **state)
{
    (void)state;
    const char *text =
            "units = ( { id = \"hospital\"; kind = \"unlimited\"; hospital = true; } );\n";
    unsigned flags = 0;
    char *got = convert(text, false, &flags, NULL);
    assert_string_equal(got, text);
    assert_true(flags & FLYT_UPGRADE_ALREADY_NEW);
    free(got);
}

static void specs_get_new_keys_and_kpis(void **state)
{
    (void)state;
    unsigned flags = 0;
    char *notes = NULL;
    char *got = convert("set = [ \"units.nursing_home.beds=900\", \"run.seed=1\" ];\n"
                        "parameters = ( { key = \"units.home_care.hours_per_week\"; },\n"
                        "  { keys = [\"units.home_care.hours_per_user.fit.mean\"]; },\n"
                        "  { key = \"decision.admissions_on_weekends\"; } );\n"
                        "targets = ( { kpi = \"nh_wait_mean\"; }, { kpi = \"arrivals\"; } );\n",
                        true, &flags, &notes);
    assert_string_equal(got, "set = [ \"units.nursing_home.capacity=900\", \"run.seed=1\" ];\n"
                             "parameters = ( { key = \"units.home_care.capacity\"; },\n"
                             "  { keys = [\"units.home_care.hours_per_client.fit.mean\"]; },\n"
                             "  { key = \"decision.admissions_on_weekends\"; } );\n"
                             "targets = ( { kpi = \"units.nursing_home.wait_mean\"; }, "
                             "{ kpi = \"arrivals\"; } );\n");
    assert_true(flags & FLYT_UPGRADE_SPEC);
    assert_non_null(notes);
    assert_non_null(strstr(notes, "t.cfg:4: note: decision.admissions_on_weekends has no "
                                  "counterpart"));
    free(notes);
    free(got);
}

static void include_lines_stay_with_a_note(void **state)
{
    (void)state;
    unsigned flags = 0;
    char *notes = NULL;
    char *got = convert("# x\n@include \"base.cfg\"\nreport: { nh_target_days = 1.0; };\n", false,
                        &flags, &notes);
    assert_string_equal(got, "# x\n@include \"base.cfg\"\nreport: { wait_target_days = 1.0; };\n");
    assert_true(flags & FLYT_UPGRADE_INCLUDE);
    assert_non_null(notes);
    assert_non_null(strstr(notes, "t.cfg:2: note: @include left as it is"));
    free(notes);
    free(got);
}

static void keys_and_kpis_map_by_whole_components(void **state)
{
    (void)state;
    char buf[128];
    assert_int_equal(flyt_upgrade_key("units.short_term.beds", buf, sizeof buf), 1);
    assert_string_equal(buf, "units.short_term.capacity");
    assert_int_equal(flyt_upgrade_key("units.short_term.bedsx", buf, sizeof buf), 0);
    assert_int_equal(flyt_upgrade_key("units.home_care.rates_per_year.end", buf, sizeof buf), 1);
    assert_string_equal(buf, "units.home_care.rates_per_year.home");
    assert_int_equal(flyt_upgrade_key("units.home_care.rates_per_year.fit.death", buf, sizeof buf),
                     0);
    assert_int_equal(flyt_upgrade_key("decision.admissions_on_weekends", buf, sizeof buf), -1);
    assert_int_equal(flyt_upgrade_key("units.short_term.beds", buf, 8), -1);
    assert_string_equal(flyt_upgrade_kpi("deaths_hospital"), "units.hospital.deaths");
    assert_string_equal(flyt_upgrade_kpi("st_los_mean"), "units.short_term.los_mean");
    assert_null(flyt_upgrade_kpi("ukp_wait_mean"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_line_units_become_one_line_elements),
        cmocka_unit_test(comments_move_with_their_unit),
        cmocka_unit_test(weekend_admissions_move_to_every_unit),
        cmocka_unit_test(empty_units_get_the_hospital),
        cmocka_unit_test(renames_outside_units),
        cmocka_unit_test(per_group_tables_are_reordered_in_each_group),
        cmocka_unit_test(crlf_lines_stay_crlf),
        cmocka_unit_test(a_new_file_is_left_alone),
        cmocka_unit_test(specs_get_new_keys_and_kpis),
        cmocka_unit_test(include_lines_stay_with_a_note),
        cmocka_unit_test(keys_and_kpis_map_by_whole_components),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
