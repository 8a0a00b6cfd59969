#include "cli/cli.h"
#include "flyt/output.h"
#include "flyt/version.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_version.h>

#include <stdio.h>
#include <stdlib.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <string.h>

static void usage(FILE *out)
{
    fputs("flyt - discrete-event simulation of patient flow for frail elderly people\n"
          "       between hospital and municipality\n"
          "\n"
          "Usage: flyt <command> [options]\n"
          "\n"
          "Commands:\n"
          "  run [SCENARIO]      run a scenario (default: the embedded Trondheim baseline),\n"
          "                      print key figures with 95% confidence intervals, write HDF5\n"
          "  compare BASE VARIANT...\n"
          "                      run scenarios with the same patients (common random numbers)\n"
          "                      and show each variant's differences with paired 95% CIs\n"
          "  calibrate SPEC      fit scenario parameters to target KPIs (docs/calibration.md)\n"
          "  fit RECORDS... --units MAP.csv\n"
          "                      estimate a scenario from anonymised stay records: arrivals,\n"
          "                      stays, routes, hazards, with intervals (docs/fit.md)\n"
          "  optimise SPEC       the cheapest grid configuration of capacities that keeps\n"
          "                      constraints on mean KPIs, with a guarantee (docs/optimise.md)\n"
          "  sweep SWEEP.cfg     run a base scenario over a grid or design of parameter\n"
          "                      points (threads, Slurm array shards, or mpirun)\n"
          "  merge SHARD.h5...   join the shard files of a sweep into one file\n"
          "  validate SCENARIO   check a scenario file and report every problem as file:line\n"
          "  upgrade OLD.cfg     rewrite an old scenario (three named units) in the network\n"
          "                      form, comments kept; also sweep and calibration specs\n"
          "  forecast [SCENARIO] --census FILE\n"
          "                      the days ahead from today's census: bands of every unit's\n"
          "                      census, P(full), UKP waiting days (docs/forecast.md)\n"
          "  report FILE.h5      print the summary of any flyt output file without rerunning\n"
          "  export FILE.h5      a flyt file's tables for spreadsheets: .xlsx, or CSV\n"
          "                      (--locale nb for a decimal comma; docs/export.md)\n"
          "  bench               measure speed on the benchmark model PF1\n"
          "\n"
          "Options:\n"
          "  -h, --help          this help; `flyt <command> --help` for a command's options\n"
          "  -V, --version       version, git commit and library versions\n"
          "\n"
          "Exit status: 0 ok, 1 failure (run stopped, cannot write output), 2 bad input,\n"
          "130 / 143 stopped by SIGINT / SIGTERM (nothing written).\n"
          "Documentation: README.md and docs/scenario-reference.md.\n",
          out);
}

static void version(void)
{
    char h5v[32];
    flyt_h5_library_version(h5v, sizeof h5v);
    printf("flyt %s (commit %s)\nGSL %s, HDF5 %s, libconfig 1.5\n", FLYT_VERSION, FLYT_GIT_COMMIT,
           GSL_VERSION, h5v);
}

/* glibc serves blocks of 128 KiB or more with fresh mmap()s, each page of
 * which faults when first touched, and returns them at free(). A run opens
 * HDF5 files twice (the check of what it overwrites, then the output), and
 * each open clears a 0.5 MiB metadata cache: kept in the heap, the second
 * reuses the pages of the first. Start-up of a short run: 745 -> 616 page
 * faults, about 0.5 ms of CPU (docs/performance.md). Blocks above 1 MiB,
 * the simulation's large arrays, are still mapped and returned. */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    mallopt(M_MMAP_THRESHOLD, 1 << 20);
    mallopt(M_TRIM_THRESHOLD, 2 << 20);
#endif
}

int main(int argc, char **argv)
{
    tune_malloc();
    /* GSL's default handler aborts; flyt checks statuses itself. */
    gsl_set_error_handler_off();
    flyt_cli_set_command_line(argc, argv);
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    const char *cmd = argv[1];
    int refused = flyt_cli_refuse_ranks(cmd);
    if (refused >= 0)
        return refused;
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(cmd, "-V") == 0 || strcmp(cmd, "--version") == 0) {
        version();
        return EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0)
        return flyt_cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "compare") == 0)
        return flyt_cmd_compare(argc - 1, argv + 1);
    if (strcmp(cmd, "calibrate") == 0)
        return flyt_cmd_calibrate(argc - 1, argv + 1);
    if (strcmp(cmd, "fit") == 0)
        return flyt_cmd_fit(argc - 1, argv + 1);
    if (strcmp(cmd, "optimise") == 0)
        return flyt_cmd_optimise(argc - 1, argv + 1);
    if (strcmp(cmd, "sweep") == 0)
        return flyt_cmd_sweep(argc - 1, argv + 1);
    if (strcmp(cmd, "merge") == 0)
        return flyt_cmd_merge(argc - 1, argv + 1);
    if (strcmp(cmd, "validate") == 0)
        return flyt_cmd_validate(argc - 1, argv + 1);
    if (strcmp(cmd, "forecast") == 0)
        return flyt_cmd_forecast(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return flyt_cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "export") == 0)
        return flyt_cmd_export(argc - 1, argv + 1);
    if (strcmp(cmd, "upgrade") == 0)
        return flyt_cmd_upgrade(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return flyt_cmd_bench(argc - 1, argv + 1);
    fprintf(stderr, "flyt: error: unknown command '%s' (try flyt --help)\n", cmd);
    return EXIT_BAD_INPUT;
}
