/* flyt report: the summary of a flyt output file, read back from the file
 * (run, compare or sweep), without rerunning. */
#include "cli/cli.h"
#include "flyt/report.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt report FILE.h5 [--format table|markdown|json]\n"
          "\n"
          "Prints the summary tables of a flyt output file without rerunning anything:\n"
          "for a run file the key figures with their 95% intervals (and coordinator\n"
          "roles), for a compare file each variant's paired differences, for a sweep\n"
          "file the key figures at every point. Other kinds (forecast, sweep shards)\n"
          "print their root attributes and a note. The file's provenance comes first.\n"
          "The layout of every file is in docs/hdf5-layout.md.\n"
          "\n"
          "Options:\n"
          "      --format FMT  table (default), markdown or json, on stdout\n"
          "  -h, --help        this help\n"
          "\n"
          "Exit status: 0 ok, 1 a flyt file that cannot be read in full, 2 bad usage or\n"
          "a file that is not flyt output.\n",
          out);
}

static bool parse_format(const char *f, enum flyt_report_format *fmt)
{
    static const struct {
        const char *name;
        enum flyt_report_format fmt;
    } formats[] = { { "table", FLYT_REPORT_TABLE },
                    { "markdown", FLYT_REPORT_MARKDOWN },
                    { "json", FLYT_REPORT_JSON } };
    for (size_t i = 0; i < sizeof formats / sizeof formats[0]; i++)
        if (strcmp(f, formats[i].name) == 0) {
            *fmt = formats[i].fmt;
            return true;
        }
    fprintf(stderr, "flyt report: error: --format is table, markdown or json, got '%s'\n", f);
    return false;
}

int flyt_cmd_report(int argc, char **argv)
{
    const char *path = NULL;
    enum flyt_report_format fmt = FLYT_REPORT_TABLE;
    static const struct option own[] = { { "format", required_argument, NULL, FLYT_OPTV_CMD },
                                         { 0 } };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "report", argc, argv, 0, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        if (c == 'h') {
            usage(stdout);
            return EXIT_OK;
        } else if (c == FLYT_OPTV_CMD) {
            if (!parse_format(p.arg, &fmt))
                return EXIT_BAD_INPUT;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!path) {
            path = p.arg;
        } else {
            fprintf(stderr, "flyt report: error: one file at a time, got '%s' and '%s'\n", path,
                    p.arg);
            return EXIT_BAD_INPUT;
        }
    }
    if (!path) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    char err[512];
    int rc = flyt_report_print(stdout, path, fmt, err, sizeof err);
    if (rc != FLYT_REPORT_OK)
        fprintf(stderr, "flyt report: error: %s\n", err);
    return rc == FLYT_REPORT_NOT_FLYT ? EXIT_BAD_INPUT : rc == FLYT_REPORT_OK ? EXIT_OK : EXIT_FAIL;
}
