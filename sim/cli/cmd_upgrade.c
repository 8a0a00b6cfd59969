/* flyt upgrade: an old scenario in the network form (issue 14), comments
 * and spelling kept, so a planner's annotated file survives the change. */
#include "cli/cli.h"
#include "flyt/io.h"
#include "flyt/outfile.h"
#include "flyt/upgrade.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt upgrade OLD.cfg [-o NEW.cfg] [--no-check]\n"
          "       flyt upgrade --key KEY | --kpi NAME\n"
          "\n"
          "Rewrites a scenario in the old form (units as the three groups short_term,\n"
          "nursing_home and home_care) in the network form (units as a list, with the\n"
          "hospital as a unit of its own), on stdout or into NEW.cfg. Comments stay with\n"
          "the keys they annotate and values keep their spelling; only keys are renamed\n"
          "and tables put in the order the old loader drew them, so the new file gives\n"
          "the same results. The old file must be valid: its problems are reported as\n"
          "flyt validate reports them, and nothing is written.\n"
          "\n"
          "A sweep or calibration spec (a file with parameters or targets and no units)\n"
          "gets the new names of the scenario keys and KPIs it names. A file already in\n"
          "the network form is written out unchanged, with a note on stderr. Only the\n"
          "named file is rewritten: @include lines stay as they are, with a note.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE  write FILE (a new file: an existing one, or the input, is\n"
          "                     refused) instead of stdout\n"
          "      --no-check     check the syntax only, not the scenario: for test files\n"
          "                     that are wrong on purpose\n"
          "      --key KEY      print a scenario key path (as --set takes it) in the new\n"
          "                     form\n"
          "      --kpi NAME     print a KPI's name in the new form\n"
          "  -h, --help         this help\n"
          "\n"
          "Exit status: 0 converted (or already new), 1 cannot write the output, 2 bad\n"
          "input (an invalid scenario, or a key with no counterpart).\n"
          "See docs/scenario-reference.md, \"Converting an old scenario\".\n",
          out);
}

/* Through a temporary file renamed into place: a converted scenario is
 * either there whole or not at all. */
static int write_file(const char *path, const char *text)
{
    char err[1024];
    const char *tmp = NULL;
    int fd = flyt_out_temp(path, FLYT_OUT_TEXT, &tmp, err, sizeof err);
    if (fd < 0) {
        fprintf(stderr, "flyt upgrade: error: %s\n", err);
        return EXIT_FAIL;
    }
    bool ok = flyt_write_all(fd, text, strlen(text)) == 0 && fsync(fd) == 0;
    int saved = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        fprintf(stderr, "flyt upgrade: error: cannot write '%s': %s\n", tmp, strerror(saved));
        flyt_out_discard(path);
        return EXIT_FAIL;
    }
    if (flyt_out_commit(path, err, sizeof err) != 0) {
        fprintf(stderr, "flyt upgrade: error: %s\n", err);
        return EXIT_FAIL;
    }
    return EXIT_OK;
}

static int print_key(const char *key)
{
    char buf[1024];
    int rc = flyt_upgrade_key(key, buf, sizeof buf);
    if (rc < 0) {
        fprintf(stderr,
                "flyt upgrade: error: %s has no counterpart in the network form (each unit's "
                "admission_days)\n",
                key);
        return EXIT_BAD_INPUT;
    }
    puts(rc > 0 ? buf : key);
    return EXIT_OK;
}

static int print_kpi(const char *kpi)
{
    const char *k = flyt_upgrade_kpi(kpi);
    puts(k ? k : kpi);
    return EXIT_OK;
}

/* The hidden --dump-values: the libconfig tree as lines, for the tests
 * that compare an old file with its conversion. */
static int dump_values(const char *path)
{
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    char *out = NULL;
    int rc = flyt_upgrade_dump(path, &out, &diag);
    if (rc == 0)
        fputs(out, stdout);
    else
        fputs(diag.text ? diag.text : "flyt upgrade: error: cannot read the file\n", stderr);
    free(out);
    flyt_diag_free(&diag);
    return rc == 0 ? EXIT_OK : EXIT_BAD_INPUT;
}

static int convert(const char *path, const char *output, unsigned opts)
{
    if (output) {
        const char *inputs[] = { path };
        int refused = flyt_cli_claim_output("upgrade", output, FLYT_OUT_TEXT, inputs, 1);
        if (refused >= 0)
            return refused;
    }
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_upgrade up;
    if (flyt_upgrade_file(path, opts, &up, &diag) != 0) {
        /* the notes first: an error in what an @include brought in (old
         * units there, say) is explained by the note naming the @include */
        if (up.notes)
            fputs(up.notes, stderr);
        fputs(diag.text ? diag.text : "flyt upgrade: error: cannot convert the file\n", stderr);
        fprintf(stderr, "%s: %d error%s\n", path, diag.n_errors, diag.n_errors == 1 ? "" : "s");
        flyt_upgrade_free(&up);
        flyt_diag_free(&diag);
        if (output)
            flyt_out_release(output);
        return EXIT_BAD_INPUT;
    }
    flyt_diag_free(&diag);
    if (up.flags & FLYT_UPGRADE_ALREADY_NEW)
        fprintf(stderr,
                "%s: note: already in the network form (units is a list); copied as it is\n", path);
    if (up.notes)
        fputs(up.notes, stderr);
    int rc = EXIT_OK;
    if (output) {
        rc = write_file(output, up.text);
    } else if (fputs(up.text, stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "flyt upgrade: error: cannot write to stdout: %s\n", strerror(errno));
        rc = EXIT_FAIL;
    }
    flyt_upgrade_free(&up);
    return rc;
}

int flyt_cmd_upgrade(int argc, char **argv)
{
    const char *path = NULL, *output = NULL;
    unsigned opts = 0;
    enum { OPT_NO_CHECK = FLYT_OPTV_CMD, OPT_KEY, OPT_KPI, OPT_DUMP_VALUES };
    static const struct option own[] = {
        { "no-check", no_argument, NULL, OPT_NO_CHECK },
        { "key", required_argument, NULL, OPT_KEY },
        { "kpi", required_argument, NULL, OPT_KPI },
        { "dump-values", required_argument, NULL, OPT_DUMP_VALUES },
        { 0 },
    };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "upgrade", argc, argv, FLYT_OPT_OUTPUT, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        if (c == 'h') {
            usage(stdout);
            return EXIT_OK;
        } else if (c == 'o') {
            output = p.arg;
        } else if (c == OPT_NO_CHECK) {
            opts |= FLYT_UPGRADE_NO_CHECK;
        } else if (c == OPT_KEY) {
            return print_key(p.arg);
        } else if (c == OPT_KPI) {
            return print_kpi(p.arg);
        } else if (c == OPT_DUMP_VALUES) {
            return dump_values(p.arg);
        } else if (c != FLYT_OPTV_POSITIONAL) {
            return EXIT_BAD_INPUT;
        } else if (!path) {
            path = p.arg;
        } else {
            fprintf(stderr, "flyt upgrade: error: one file at a time, got '%s' and '%s'\n", path,
                    p.arg);
            return EXIT_BAD_INPUT;
        }
    }
    if (!path) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    return convert(path, output, opts);
}
