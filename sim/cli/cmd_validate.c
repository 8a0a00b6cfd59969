/* flyt validate: the loader alone, so a planner can check a file (and a
 * set of overrides) without running anything or touching any output. */
#include "cli/cli.h"
#include "flyt/model.h"
#include "flyt/scenario.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt validate [SCENARIO] [--set KEY=VALUE]... [--list-keys]\n"
          "\n"
          "Checks a scenario file (default: the embedded baseline) without running it.\n"
          "Every problem is reported as FILE:LINE: error: KEY: what is wrong. Values that\n"
          "load but are probably not meant (growth of 100 %, weeks typed as days, a\n"
          "decimal comma, a long-stay unit left empty at the start) are reported as\n"
          "FILE:LINE: warning: KEY: ... on stderr; they do not change the exit status.\n"
          "\n"
          "Options:\n"
          "      --set KEY=VALUE   apply an override first, as flyt run would\n"
          "      --list-keys       print every key the loader knows, one per line\n"
          "  -h, --help            this help\n"
          "\n"
          "Exit status: 0 valid, 2 invalid.\n",
          out);
}

int flyt_cmd_validate(int argc, char **argv)
{
    const char *path = NULL;
    /* as many --set as the command line holds: a planner may check a
     * long list of overrides at once */
    const char **sets = malloc(sizeof *sets * (size_t)(argc > 0 ? argc : 1));
    int n_sets = 0;
    if (!sets) {
        fprintf(stderr, "flyt validate: error: out of memory\n");
        return EXIT_FAIL;
    }
    enum { OPT_SET = FLYT_OPTV_CMD, OPT_LIST_KEYS };
    static const struct option own[] = { { "set", required_argument, NULL, OPT_SET },
                                         { "list-keys", no_argument, NULL, OPT_LIST_KEYS },
                                         { 0 } };
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "validate", argc, argv, 0, own);
    for (int c; (c = flyt_cli_args_next(&p)) != -1;) {
        int rc = -1;
        if (c == 'h') {
            usage(stdout);
            rc = EXIT_OK;
        } else if (c == OPT_LIST_KEYS) {
            flyt_scenario_print_keys(stdout);
            rc = EXIT_OK;
        } else if (c == OPT_SET) {
            sets[n_sets++] = p.arg;
        } else if (c != FLYT_OPTV_POSITIONAL) {
            rc = EXIT_BAD_INPUT;
        } else if (!path) {
            path = p.arg;
        } else {
            fprintf(stderr, "flyt validate: error: one scenario at a time\n");
            rc = EXIT_BAD_INPUT;
        }
        if (rc >= 0) {
            free(sets);
            return rc;
        }
    }
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    struct flyt_scenario *s = flyt_scenario_load(path, sets, n_sets, &diag);
    free(sets);
    if (diag.warnings)
        fputs(diag.warnings, stderr);
    if (!s) {
        fputs(diag.text ? diag.text : "flyt validate: error: cannot load the scenario\n", stderr);
        fprintf(stderr, "%s: %d error%s\n", path ? path : "<embedded>", diag.n_errors,
                diag.n_errors == 1 ? "" : "s");
        flyt_diag_free(&diag);
        return EXIT_BAD_INPUT;
    }
    printf("%s: ok: scenario '%s', %u replications, %g days (%g warm-up), %d frailty "
           "group%s",
           path ? path : "<embedded>", s->name, s->replications, s->horizon_days, s->warmup_days,
           s->n_groups, s->n_groups == 1 ? "" : "s");
    if (s->n_munis > 0) {
        /* how its replications run (docs/region.md, "Catchments") */
        int c = flyt_model_catchments(s);
        printf("; a region of %d municipalit%s", s->n_munis, s->n_munis == 1 ? "y" : "ies");
        if (c > 1)
            printf(" in %d catchments", c);
    }
    printf("\n");
    flyt_scenario_free(s);
    flyt_diag_free(&diag);
    return EXIT_OK;
}
