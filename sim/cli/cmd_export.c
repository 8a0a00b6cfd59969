/* flyt export: a flyt output file's tables for spreadsheets, as one .xlsx
 * workbook or one CSV file per table (docs/export.md). */
#include "cli/cli.h"
#include "flyt/export.h"
#include "flyt/outfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_PATH 4096

static void usage(FILE *out)
{
    fputs("Usage: flyt export FILE.h5 [--format xlsx|csv] [--locale en|nb] [-o OUT]\n"
          "       flyt export RUN.h5 --records [--replication R] [-o STEM]\n"
          "\n"
          "Writes the tables of a flyt output file (run, compare, sweep, forecast) for\n"
          "spreadsheets: key figures with 95% intervals (per scenario, role, and unit or\n"
          "municipality where the file has them), every replication's key figures, the\n"
          "daily series' means, compare differences, sweep points, forecast bands, and\n"
          "the file's provenance. The numbers are the file's, as stored.\n"
          "\n"
          "Options:\n"
          "      --format FMT  xlsx (default; one sheet per table) or csv (one file per\n"
          "                    table); from OUT's suffix when only -o is given\n"
          "      --locale L    csv numbers: en (default: ',' between fields, '.' decimals)\n"
          "                    or nb (';' between fields, ',' decimals, as a Norwegian\n"
          "                    spreadsheet expects)\n"
          "  -o, --output OUT  xlsx: the workbook, default FILE with .xlsx for .h5;\n"
          "                    csv: OUT-TABLE.csv for each table (a trailing .csv dropped),\n"
          "                    or OUT/NAME-TABLE.csv when OUT is a folder; default FILE\n"
          "                    without .h5. Each file is written through a temporary\n"
          "                    file; an input, or a file flyt export did not write, is\n"
          "                    never replaced.\n"
          "      --records     instead: one replication's stays as the records a\n"
          "                    municipality exports (docs/records.md), for flyt fit:\n"
          "                    STEM-stays.csv, STEM-ready.csv and STEM-units.csv (STEM:\n"
          "                    -o, default FILE without .h5); needs a run file written\n"
          "                    with flyt run --patients --events\n"
          "      --replication R  the replication --records exports (default 0)\n"
          "  -h, --help        this help\n"
          "\n"
          "Environment:\n"
          "  FLYT_XLSXWRITER_LIB  the libxlsxwriter shared library to load for xlsx\n"
          "                    (default: the one flyt was built with)\n"
          "\n"
          "Exit status: 0 ok, 1 a flyt file that cannot be read in full, an output that\n"
          "cannot be written, or no libxlsxwriter for xlsx, 2 bad usage, a file that is\n"
          "not flyt output, or an output name that is refused.\n",
          out);
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* path without a trailing suffix (when it has it) into buf. */
static void strip(char *buf, size_t len, const char *path, const char *suffix)
{
    size_t n = strlen(path);
    if (ends_with(path, suffix) && n > strlen(suffix))
        n -= strlen(suffix);
    snprintf(buf, len, "%.*s", (int)n, path);
}

struct opts {
    const char *in, *out;
    bool csv, have_format;
    enum flyt_export_locale locale;
    bool have_locale;
    bool records, have_replication;
    unsigned replication;
};

static int parse(int argc, char **argv, struct opts *o)
{
    enum { OPT_FORMAT = FLYT_OPTV_CMD, OPT_LOCALE, OPT_RECORDS, OPT_REPLICATION };
    static const struct option own[] = { { "format", required_argument, NULL, OPT_FORMAT },
                                         { "locale", required_argument, NULL, OPT_LOCALE },
                                         { "records", no_argument, NULL, OPT_RECORDS },
                                         { "replication", required_argument, NULL,
                                           OPT_REPLICATION },
                                         { 0 } };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "export", argc, argv, FLYT_OPT_OUTPUT, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        const char *v = p.arg;
        if (c == 'h') {
            usage(stdout);
            return EXIT_OK;
        } else if (c == OPT_FORMAT) {
            if (strcmp(v, "xlsx") != 0 && strcmp(v, "csv") != 0) {
                fprintf(stderr, "flyt export: error: --format is xlsx or csv, got '%s'\n", v);
                return EXIT_BAD_INPUT;
            }
            o->csv = strcmp(v, "csv") == 0;
            o->have_format = true;
        } else if (c == OPT_LOCALE) {
            if (strcmp(v, "en") != 0 && strcmp(v, "nb") != 0) {
                fprintf(stderr,
                        "flyt export: error: --locale is en ('.' decimals) or nb (',' "
                        "decimals, ';' between fields), got '%s'\n",
                        v);
                return EXIT_BAD_INPUT;
            }
            o->locale = strcmp(v, "nb") == 0 ? FLYT_EXPORT_LOCALE_NB : FLYT_EXPORT_LOCALE_EN;
            o->have_locale = true;
        } else if (c == OPT_RECORDS) {
            o->records = true;
        } else if (c == OPT_REPLICATION) {
            char *end;
            unsigned long r = strtoul(v, &end, 10);
            if (!*v || *end || v[0] == '-' || r > 1000000000ul) {
                fprintf(stderr,
                        "flyt export: error: --replication is a replication number (0, 1, ...), "
                        "got '%s'\n",
                        v);
                return EXIT_BAD_INPUT;
            }
            o->replication = (unsigned)r;
            o->have_replication = true;
        } else if (c == 'o') {
            o->out = v;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!o->in) {
            o->in = v;
        } else {
            fprintf(stderr, "flyt export: error: one file at a time, got '%s' and '%s'\n", o->in,
                    v);
            return EXIT_BAD_INPUT;
        }
    }
    if (!o->in) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (o->records || o->have_replication) {
        if (!o->records || o->have_format || o->have_locale) {
            fputs("flyt export: error: --replication goes with --records, and --records takes "
                  "neither --format nor --locale (its files are CSV as docs/records.md says)\n",
                  stderr);
            return EXIT_BAD_INPUT;
        }
        return -1;
    }
    if (!o->have_format && o->out)
        o->csv = ends_with(o->out, ".csv") || ends_with(o->out, "/");
    if (o->out && o->csv && ends_with(o->out, ".xlsx")) {
        fprintf(stderr,
                "flyt export: error: -o '%s' names a workbook but --format is csv: "
                "name a .csv stem or a folder, or use --format xlsx\n",
                o->out);
        return EXIT_BAD_INPUT;
    }
    if (o->out && !o->csv && ends_with(o->out, ".csv")) {
        fprintf(stderr,
                "flyt export: error: -o '%s' names a .csv file but the format is xlsx: "
                "add --format csv, or name an .xlsx file\n",
                o->out);
        return EXIT_BAD_INPUT;
    }
    if (o->have_locale && !o->csv) {
        fputs("flyt export: error: --locale applies to --format csv; an .xlsx workbook stores "
              "numbers, and the spreadsheet shows them in its own locale\n",
              stderr);
        return EXIT_BAD_INPUT;
    }
    return -1;
}

/* The CSV file of table name: see usage. False when the name is too long. */
static bool csv_path(char *buf, size_t len, const struct opts *o, const char *name)
{
    char stem[MAX_PATH];
    struct stat st;
    if (o->out && (ends_with(o->out, "/") || (stat(o->out, &st) == 0 && S_ISDIR(st.st_mode)))) {
        const char *base = strrchr(o->in, '/');
        char b[MAX_PATH];
        strip(b, sizeof b, base ? base + 1 : o->in, ".h5");
        if (snprintf(stem, sizeof stem, "%s%s%s", o->out, ends_with(o->out, "/") ? "" : "/", b) >=
            (int)sizeof stem)
            return false;
    } else if (o->out) {
        strip(stem, sizeof stem, o->out, ".csv");
    } else {
        strip(stem, sizeof stem, o->in, ".h5");
    }
    return snprintf(buf, len, "%s-%s.csv", stem, name) < (int)len;
}

static int write_csv(const struct opts *o, const struct flyt_export_book *book)
{
    char(*paths)[MAX_PATH] = calloc(book->n_tables + 1, sizeof *paths);
    if (!paths) {
        fputs("flyt export: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    const char *inputs[] = { o->in };
    int rc = -1;
    for (size_t k = 0; rc < 0 && k < book->n_tables; k++) {
        if (!csv_path(paths[k], sizeof paths[k], o, book->tables[k]->name)) {
            fputs("flyt export: error: the output file name is too long\n", stderr);
            rc = EXIT_BAD_INPUT;
            break;
        }
        rc = flyt_cli_claim_output("export", paths[k], FLYT_OUT_CSV, inputs, 1);
    }
    char err[1024];
    for (size_t k = 0; rc < 0 && k < book->n_tables; k++) {
        if (flyt_export_write_csv(book->tables[k], o->locale, paths[k], err, sizeof err) != 0) {
            fprintf(stderr, "flyt export: error: %s\n", err);
            rc = EXIT_FAIL;
        } else {
            printf("%s\n", paths[k]);
        }
    }
    for (size_t k = 0; k < book->n_tables; k++)
        if (paths[k][0])
            flyt_out_release(paths[k]);
    free(paths);
    return rc < 0 ? EXIT_OK : rc;
}

static int write_xlsx(const struct opts *o, const struct flyt_export_book *book)
{
    char path[MAX_PATH];
    if (o->out)
        snprintf(path, sizeof path, "%s", o->out);
    else {
        strip(path, sizeof path - 5, o->in, ".h5");
        strcat(path, ".xlsx");
    }
    const char *inputs[] = { o->in };
    int rc = flyt_cli_claim_output("export", path, FLYT_OUT_XLSX, inputs, 1);
    if (rc >= 0)
        return rc;
    char err[1024];
    if (flyt_export_write_xlsx(book, o->in, path, err, sizeof err) != 0) {
        fprintf(stderr, "flyt export: error: %s\n", err);
        flyt_out_release(path);
        return EXIT_FAIL;
    }
    printf("%s\n", path);
    return EXIT_OK;
}

/* --records: STEM-stays.csv, STEM-ready.csv, STEM-units.csv. */
static int write_records(const struct opts *o)
{
    static const char *const names[3] = { "stays", "ready", "units" };
    char stem[MAX_PATH], paths[3][MAX_PATH];
    const char *out[3] = { paths[0], paths[1], paths[2] };
    if (o->out)
        strip(stem, sizeof stem, o->out, ".csv");
    else
        strip(stem, sizeof stem, o->in, ".h5");
    const char *inputs[] = { o->in };
    int rc = -1;
    int claimed = 0;
    for (int k = 0; k < 3 && rc < 0; k++) {
        if (snprintf(paths[k], sizeof paths[k], "%.*s-%s.csv", MAX_PATH - 64, stem, names[k]) >=
            (int)sizeof paths[k]) {
            fputs("flyt export: error: the output file name is too long\n", stderr);
            rc = EXIT_BAD_INPUT;
            break;
        }
        rc = flyt_cli_claim_output("export", paths[k], FLYT_OUT_CSV, inputs, 1);
        claimed = k + 1;
    }
    if (rc < 0) {
        char err[4096];
        int x = flyt_export_records(o->in, o->replication, out, err, sizeof err);
        if (x != FLYT_EXPORT_OK) {
            fprintf(stderr, "flyt export: error: %s\n", err);
            rc = x == FLYT_EXPORT_NOT_FLYT ? EXIT_BAD_INPUT : EXIT_FAIL;
        } else {
            for (int k = 0; k < 3; k++)
                printf("%s\n", paths[k]);
            rc = EXIT_OK;
        }
    }
    for (int k = 0; k < claimed; k++)
        flyt_out_release(paths[k]);
    return rc;
}

int flyt_cmd_export(int argc, char **argv)
{
    struct opts o = { 0 };
    int rc = parse(argc, argv, &o);
    if (rc >= 0)
        return rc;
    if (strlen(o.in) > MAX_PATH - 64 || (o.out && strlen(o.out) > MAX_PATH - 64)) {
        fputs("flyt export: error: a file name is too long\n", stderr);
        return EXIT_BAD_INPUT;
    }
    if (o.records)
        return write_records(&o);
    struct flyt_export_book *book = NULL;
    char err[1024];
    /* a missing libxlsxwriter is known before a large file is read */
    if (!o.csv && flyt_export_xlsx_ready(err, sizeof err) != 0) {
        fprintf(stderr, "flyt export: error: %s\n", err);
        return EXIT_FAIL;
    }
    rc = flyt_export_read(o.in, &book, err, sizeof err);
    if (rc != FLYT_EXPORT_OK) {
        fprintf(stderr, "flyt export: error: %s\n", err);
        return rc == FLYT_EXPORT_NOT_FLYT ? EXIT_BAD_INPUT : EXIT_FAIL;
    }
    rc = o.csv ? write_csv(&o, book) : write_xlsx(&o, book);
    flyt_export_book_free(book);
    return rc;
}
