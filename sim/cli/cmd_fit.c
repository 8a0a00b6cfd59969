/* flyt fit: a scenario estimated from stay records (issue 20,
 * docs/fit.md). The records are read against a base scenario (its units,
 * groups and capacities); bad records stop everything before a file is
 * touched (exit 2), and the fitted file is loaded again before it is
 * written, so what flyt fit writes always validates. */
#include "cli/cli.h"
#include "flyt/date.h"
#include "flyt/fit_file.h"
#include "flyt/outfile.h"
#include "flyt/records.h"
#include "flyt/scenario.h"
#include "flyt/version.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FIT_MAX_FILES  64
#define FIT_MAX_IGNORE 32

static void usage(FILE *out)
{
    fputs("Usage: flyt fit RECORDS... --units MAP.csv [options]\n"
          "\n"
          "Estimates a scenario from anonymised stay records (docs/records.md): arrivals\n"
          "(a Poisson regression of daily admissions: month, weekday, trend), stays\n"
          "(Kaplan-Meier and censored maximum likelihood of exponential, gamma,\n"
          "lognormal and Weibull, chosen by AIC and tested for fit), routes (shares with\n"
          "simultaneous intervals), caseload hazards (events per person-year) and the\n"
          "decision process. The base scenario gives the structure and every value the\n"
          "records cannot tell. See docs/fit.md.\n"
          "\n"
          "Options:\n"
          "      --units FILE        the map from the records' unit codes to the scenario's\n"
          "                          unit ids (CSV: code,unit); required\n"
          "  -s, --scenario FILE     the base scenario (default: the embedded default)\n"
          "  -o, --output FILE       the fitted scenario (default flyt-fit.cfg), written\n"
          "                          atomically; every fitted value carries a comment with\n"
          "                          its record count and interval\n"
          "      --estimates FILE    the estimates, fit statistics and survival curves in\n"
          "                          HDF5 (default: the output with .h5 for .cfg)\n"
          "      --min-records N     a frailty group with fewer records is pooled with its\n"
          "                          neighbour (default 30)\n"
          "      --from DATE         the window's first day (YYYY-MM-DD; default: the\n"
          "                          files' '# from:' line, or the earliest start)\n"
          "      --until DATE        the extraction time: open stays are censored here\n"
          "                          (default: the files' '# extracted:' line, or the latest\n"
          "                          time in them)\n"
          "      --ignore-column NAME  skip a records column unread (repeatable)\n"
          "      --arrivals MODE     profile (default): admissions_per_day with month and\n"
          "                          weekday factors and a trend; table: the records' daily\n"
          "                          admissions as population.arrivals_table (written beside\n"
          "                          the output as NAME-arrivals.csv), the run covering\n"
          "                          the records' window\n"
          "      --bootstrap N       replicates of the goodness-of-fit test (default 200)\n"
          "      --seed S            seed of that bootstrap (default 1)\n"
          "  -h, --help              this help\n"
          "\n"
          "Exit status: 0 written, 1 a failure (a file that cannot be read or written),\n"
          "2 bad input (records, map, scenario, option; nothing written).\n",
          out);
}

struct fit_cli {
    const char *files[FIT_MAX_FILES];
    int n_files;
    const char *map, *scenario, *output, *estimates, *from, *until;
    const char *ignore[FIT_MAX_IGNORE];
    int n_ignore;
    bool table; /* --arrivals table */
    char *table_path;
    struct flyt_fit_options fo;
};

static int parse(int argc, char **argv, struct fit_cli *o)
{
    enum {
        OPT_UNITS = FLYT_OPTV_CMD,
        OPT_ESTIMATES,
        OPT_MIN,
        OPT_FROM,
        OPT_UNTIL,
        OPT_IGNORE,
        OPT_BOOT,
        OPT_SEED_FIT,
        OPT_ARRIVALS
    };
    static const struct option own[] = {
        { "units", required_argument, NULL, OPT_UNITS },
        { "scenario", required_argument, NULL, 's' },
        { "estimates", required_argument, NULL, OPT_ESTIMATES },
        { "min-records", required_argument, NULL, OPT_MIN },
        { "from", required_argument, NULL, OPT_FROM },
        { "until", required_argument, NULL, OPT_UNTIL },
        { "ignore-column", required_argument, NULL, OPT_IGNORE },
        { "bootstrap", required_argument, NULL, OPT_BOOT },
        { "seed", required_argument, NULL, OPT_SEED_FIT },
        { "arrivals", required_argument, NULL, OPT_ARRIVALS },
        { 0 },
    };
    struct flyt_cli_args p;
    struct flyt_cli_opts c = { .progress = -1 };
    unsigned long long v;
    flyt_cli_args_init(&p, "fit", argc, argv, FLYT_OPT_OUTPUT, own);
    for (int ch; (ch = flyt_cli_args_next(&p)) != -1;) {
        int rc = flyt_cli_args_take(&p, FLYT_OPT_OUTPUT, ch, &c, usage);
        if (rc >= 0)
            return rc; /* bad input or -h */
        if (rc == FLYT_CLI_TAKEN)
            continue;
        switch (ch) {
        case 's':
            o->scenario = p.arg;
            break;
        case OPT_UNITS:
            o->map = p.arg;
            break;
        case OPT_ESTIMATES:
            o->estimates = p.arg;
            break;
        case OPT_MIN:
            if (!flyt_cli_args_uint(&p, 1, 1000000, &v))
                return EXIT_BAD_INPUT;
            o->fo.min_records = (int)v;
            break;
        case OPT_FROM:
            o->from = p.arg;
            break;
        case OPT_UNTIL:
            o->until = p.arg;
            break;
        case OPT_IGNORE:
            if (o->n_ignore == FIT_MAX_IGNORE) {
                fprintf(stderr, "flyt fit: error: at most %d --ignore-column\n", FIT_MAX_IGNORE);
                return EXIT_BAD_INPUT;
            }
            o->ignore[o->n_ignore++] = p.arg;
            break;
        case OPT_BOOT:
            if (!flyt_cli_args_uint(&p, 0, 100000, &v))
                return EXIT_BAD_INPUT;
            o->fo.n_boot = (int)v;
            break;
        case OPT_SEED_FIT:
            if (!flyt_cli_args_uint(&p, 0, 0xffffffffULL, &v))
                return EXIT_BAD_INPUT;
            o->fo.seed = (unsigned long)v;
            break;
        case OPT_ARRIVALS:
            if (strcmp(p.arg, "profile") != 0 && strcmp(p.arg, "table") != 0) {
                fprintf(stderr,
                        "flyt fit: error: --arrivals: expected profile or table, got '%s'\n",
                        p.arg);
                return EXIT_BAD_INPUT;
            }
            o->table = strcmp(p.arg, "table") == 0;
            break;
        case FLYT_OPTV_POSITIONAL:
            if (o->n_files == FIT_MAX_FILES) {
                fprintf(stderr, "flyt fit: error: at most %d records files\n", FIT_MAX_FILES);
                return EXIT_BAD_INPUT;
            }
            o->files[o->n_files++] = p.arg;
            break;
        default:
            return EXIT_BAD_INPUT;
        }
    }
    o->output = c.output ? c.output : "flyt-fit.cfg";
    if (o->n_files == 0) {
        fputs("flyt fit: error: name the records files (see flyt fit --help)\n", stderr);
        return EXIT_BAD_INPUT;
    }
    if (!o->map) {
        fputs("flyt fit: error: --units MAP.csv is required: it maps the records' unit codes "
              "to the scenario's unit ids (docs/records.md)\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

/* FILE.cfg -> FILE<suffix>; anything else gets the suffix added. */
static char *beside(const char *out, const char *suffix)
{
    size_t n = strlen(out);
    char *p = malloc(n + strlen(suffix) + 1);
    if (!p)
        return NULL;
    memcpy(p, out, n + 1);
    if (n > 4 && strcmp(out + n - 4, ".cfg") == 0)
        p[n - 4] = '\0';
    strcat(p, suffix);
    return p;
}

/* The records' daily admissions as an arrivals table, into the temporary
 * file of path (committed with the rest). */
struct table_arg {
    const struct flyt_fit *f;
    const struct fit_cli *o;
};

static int table_body(FILE *out, const void *arg)
{
    const struct flyt_fit *f = ((const struct table_arg *)arg)->f;
    const struct fit_cli *o = ((const struct table_arg *)arg)->o;
    fputs("# Admissions per day from flyt fit of", out);
    for (int i = 0; i < o->n_files; i++) {
        fputc(' ', out);
        flyt_out_comment(out, o->files[i]);
    }
    fputs("\n# admissions from the community (readmissions apart) on each whole day of the "
          "records' window, as recorded\ndate,rate\n",
          out);
    for (size_t d = 0; d < f->n_days; d++) {
        int y, m, dd;
        flyt_civil_from_days(f->from_day + (int)d, &y, &m, &dd);
        fprintf(out, "%04d-%02d-%02d,%.0f\n", y, m, dd, f->day_count[d]);
    }
    return 0;
}

static int write_table(const char *path, const struct flyt_fit *f, const struct fit_cli *o,
                       const char **tmp, char *err, size_t errlen)
{
    const struct table_arg a = { f, o };
    return flyt_out_write_temp(path, FLYT_OUT_ARRIVALS, table_body, &a, tmp, err, errlen);
}

struct header_ctx {
    const struct flyt_fit *f;
    const struct fit_cli *o;
};

static void header(FILE *out, const void *vctx)
{
    const struct header_ctx *h = vctx;
    const struct flyt_fit *f = h->f;
    fputs("# Records:", out);
    for (int i = 0; i < h->o->n_files; i++) {
        fputc(' ', out);
        flyt_out_comment(out, h->o->files[i]);
    }
    fputs("; map ", out);
    flyt_out_comment(out, h->o->map);
    fprintf(out,
            ".\n# %zu stays and %zu discharge-ready periods of %zu patients; %zu stays began "
            "before the window (history only).\n",
            f->n_stays, f->n_ready, f->n_patients, f->n_truncated);
    for (size_t i = 0; i < f->n_notes; i++) {
        fputs("# Note: ", out);
        flyt_out_comment(out, f->notes[i]);
        fputc('\n', out);
    }
    fputs("# Not in records, so from the scenario above: units and capacities, frailty groups,\n"
          "# caseload hours per client, not-ready returns, coordinators, costs, harm.\n",
          out);
}

/* The base's own text where it has one file; the resolved tree where it
 * @includes others (their comments are then lost, as the header says). */
static const char *base_text(const struct flyt_scenario *s, const char *path)
{
    if (!path)
        return flyt_default_scenario;
    return strstr(s->text, "@include") ? s->resolved_text : s->text;
}

static int fit(const struct fit_cli *o, const struct flyt_scenario *base, const char *h5)
{
    struct flyt_records_options ro = { .map_path = o->map,
                                       .ignore_columns = o->ignore,
                                       .n_ignore = o->n_ignore,
                                       .from = o->from,
                                       .until = o->until };
    struct flyt_records rec;
    int rc = flyt_records_read(o->files, o->n_files, &ro, base, &rec, stderr);
    if (rc != 0) {
        fputs("flyt fit: nothing written\n", stderr);
        return rc == 2 ? EXIT_BAD_INPUT : EXIT_FAIL;
    }
    struct flyt_fit f;
    rc = flyt_fit_estimate(&rec, base, &o->fo, &f, stderr);
    flyt_records_free(&rec);
    if (rc != 0) {
        flyt_fit_free(&f);
        fputs("flyt fit: nothing written\n", stderr);
        return rc == 2 ? EXIT_BAD_INPUT : EXIT_FAIL;
    }
    char err[1024];
    const char *btext = base_text(base, o->scenario);
    char *text = NULL, *check_text = NULL, *dir_buf = NULL;
    const char *tmp = NULL;
    int status = EXIT_FAIL;
    if (o->table) {
        if (f.n_days == 0) {
            fputs("flyt fit: error: --arrivals table: the records cover no whole day\n", stderr);
            status = EXIT_BAD_INPUT;
            goto out;
        }
        char real[PATH_MAX + 1024], cwd[PATH_MAX];
        if (write_table(o->table_path, &f, o, &tmp, err, sizeof err) != 0) {
            fprintf(stderr, "flyt fit: error: %s\n", err);
            goto out;
        }
        if (tmp[0] == '/' || !getcwd(cwd, sizeof cwd))
            snprintf(real, sizeof real, "%s", tmp);
        else
            snprintf(real, sizeof real, "%s/%s", cwd, tmp);
        /* checked with the table where it is now; written with the name it
         * will have beside the scenario */
        check_text = flyt_fit_scenario_text(&f, btext, real, err, sizeof err);
        const char *slash = strrchr(o->table_path, '/');
        text = flyt_fit_scenario_text(&f, btext, slash ? slash + 1 : o->table_path, err,
                                      sizeof err);
    } else {
        text = flyt_fit_scenario_text(&f, btext, NULL, err, sizeof err);
    }
    if (!text || (o->table && !check_text)) {
        fprintf(stderr, "flyt fit: error: %s\n", err);
        goto out;
    }
    /* what flyt fit writes must load: checked with the base's folder for
     * any relative path in it */
    struct flyt_diag d;
    flyt_diag_init(&d);
    dir_buf = o->scenario ? strdup(o->scenario) : NULL;
    struct flyt_scenario *check =
            flyt_scenario_load_string(check_text ? check_text : text, o->output,
                                      dir_buf ? dirname(dir_buf) : NULL, NULL, 0, &d);
    if (!check) {
        /* every estimate is within the loader's ranges, so what is left is
         * the base's structure against the records' (a route into a unit
         * the base keeps closed, a cycle with no way out) */
        fprintf(stderr,
                "flyt fit: error: the estimates do not fit the base scenario's structure; "
                "the fitted scenario would be refused:\n%s"
                "flyt fit: change the base (or the unit map) so that the records' routes are "
                "possible in it; nothing written\n",
                d.text ? d.text : "");
        flyt_diag_free(&d);
        status = EXIT_BAD_INPUT;
        goto out;
    }
    flyt_diag_free(&d);
    flyt_scenario_free(check);
    struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(), 1, 0.0 };
    if (flyt_h5_write_fit(h5, &f, btext, text, o->files, o->n_files, &meta, err, sizeof err) != 0) {
        fprintf(stderr, "flyt fit: error: %s\n", err);
        goto out;
    }
    struct header_ctx hc = { &f, o };
    const struct flyt_derived_file df = { .what = "Fitted by flyt fit",
                                          .spec_path = o->files[0],
                                          .command_line = flyt_cli_command_line(),
                                          .scenario_path = o->scenario,
                                          .values = "estimates",
                                          .body = header,
                                          .ctx = &hc,
                                          .text = text };
    if (flyt_out_write_derived(o->output, FLYT_OUT_FITTED, base, &df, err, sizeof err) != 0 ||
        (o->table && flyt_out_commit(o->table_path, err, sizeof err) != 0)) {
        fprintf(stderr, "flyt fit: error: %s\n", err);
        goto out;
    }
    tmp = NULL;
    flyt_fit_print(stdout, &f);
    fprintf(stderr, "flyt fit: wrote %s, %s%s%s\n", o->output, h5, o->table ? " and " : "",
            o->table ? o->table_path : "");
    status = EXIT_OK;
out:
    if (tmp)
        flyt_out_discard(o->table_path);
    free(dir_buf);
    free(text);
    free(check_text);
    flyt_fit_free(&f);
    return status;
}

int flyt_cmd_fit(int argc, char **argv)
{
    struct fit_cli o = { .fo = { .min_records = 30, .n_boot = 200, .seed = 1, .gof_alpha = 0.01 } };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *base = flyt_scenario_load(o.scenario, NULL, 0, &diag);
    if (!base) {
        fputs(diag.text ? diag.text : "flyt fit: error: cannot load the scenario\n", stderr);
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    if (base->n_munis > 0) {
        fprintf(stderr,
                "flyt fit: error: %s is a region: records have no home municipality; "
                "fit one municipality's scenario at a time\n",
                o.scenario);
        flyt_scenario_free(base);
        return EXIT_BAD_INPUT;
    }
    char *h5 = o.estimates ? strdup(o.estimates) : beside(o.output, ".h5");
    o.table_path = o.table ? beside(o.output, "-arrivals.csv") : NULL;
    if (h5 && (strcmp(h5, o.output) == 0 || (o.table_path && (strcmp(o.table_path, o.output) == 0 ||
                                                              strcmp(o.table_path, h5) == 0)))) {
        fprintf(stderr,
                "flyt fit: error: the fitted scenario, the estimates%s must be "
                "different files ('%s')\n",
                o.table_path ? " and the arrivals table" : "", h5);
        free(h5);
        free(o.table_path);
        flyt_scenario_free(base);
        return EXIT_BAD_INPUT;
    }
    const char *inputs[FIT_MAX_FILES + 2];
    int n_in = 0;
    for (int i = 0; i < o.n_files; i++)
        inputs[n_in++] = o.files[i];
    inputs[n_in++] = o.map;
    inputs[n_in++] = o.scenario;
    rc = !h5 || (o.table && !o.table_path)
                 ? EXIT_FAIL
                 : flyt_cli_claim_output("fit", o.output, FLYT_OUT_FITTED, inputs, (size_t)n_in);
    if (rc < 0)
        rc = flyt_cli_claim_output("fit", h5, FLYT_OUT_HDF5, inputs, (size_t)n_in);
    if (rc < 0 && o.table)
        rc = flyt_cli_claim_output("fit", o.table_path, FLYT_OUT_ARRIVALS, inputs, (size_t)n_in);
    if (rc < 0)
        rc = fit(&o, base, h5);
    free(h5);
    free(o.table_path);
    flyt_scenario_free(base);
    return rc;
}
