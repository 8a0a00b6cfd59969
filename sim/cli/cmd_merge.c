/* flyt merge: shard files of one sweep to one sweep file. */
#include "cli/cli.h"
#include "flyt/outfile.h"
#include "flyt/sweep.h"

#include <stdio.h>
#include <stdlib.h>

static void usage(FILE *out)
{
    fputs("Usage: flyt merge SHARD.h5... [-o FILE]\n"
          "\n"
          "Joins the shard files of a sweep (flyt sweep --shard I/N, or a Slurm job array)\n"
          "into one sweep file with the per-point summary. Every shard must come from the\n"
          "same sweep file (checked by its hash) and every task must be in exactly one\n"
          "file; missing shards are named, with the command that reruns them. A file\n"
          "whose SHA-256 seal fails (damaged on disk or in a copy) is refused likewise.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE   the merged file (default flyt-sweep.h5); written to\n"
          "                      FILE.partial.XXXXXX and renamed when complete\n"
          "  -h, --help          this help\n"
          "\n"
          "Exit status: 0 ok, 1 output failed, 2 bad input (missing, duplicate, foreign\n"
          "or damaged shards, files that are not shard files).\n",
          out);
}

int flyt_cmd_merge(int argc, char **argv)
{
    const char *out = "flyt-sweep.h5";
    const char **paths = calloc((size_t)argc, sizeof *paths);
    size_t n = 0;
    if (!paths) {
        fputs("flyt merge: error: out of memory\n", stderr);
        return EXIT_FAIL;
    }
    int rc = -1;
    struct flyt_cli_args p;
    flyt_cli_args_init(&p, "merge", argc, argv, FLYT_OPT_OUTPUT, NULL);
    for (int c; rc < 0 && (c = flyt_cli_args_next(&p)) != -1;) {
        if (c == 'h') {
            usage(stdout);
            rc = EXIT_OK;
        } else if (c == 'o') {
            out = p.arg;
        } else if (c == FLYT_OPTV_POSITIONAL) {
            paths[n++] = p.arg;
        } else {
            rc = EXIT_BAD_INPUT;
        }
    }
    if (rc < 0 && n == 0) {
        fputs("flyt merge: error: name the shard files (see flyt merge --help)\n", stderr);
        rc = EXIT_BAD_INPUT;
    }
    if (rc < 0)
        rc = flyt_cli_claim_output("merge", out, FLYT_OUT_HDF5, paths, n);
    if (rc < 0) {
        struct flyt_run_meta meta = { FLYT_VERSION, flyt_cli_command_line(), 0, 0 };
        double t0 = flyt_cli_seconds();
        rc = flyt_sweep_merge(paths, n, out, &meta, stderr);
        if (rc == 0)
            fprintf(stderr, "flyt merge: %zu files in %.2f s; wrote %s\n", n,
                    flyt_cli_seconds() - t0, out);
    }
    free(paths);
    return rc;
}
