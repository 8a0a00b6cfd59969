/* Started as several MPI ranks (mpirun -np N, or srun with an MPI plugin),
 * every rank runs the whole command: a command that does not share its
 * work across ranks would run it N times, and every copy would write the
 * same output file. Such commands refuse before they read anything, and say
 * what to do instead. Only the launchers' own variables are read, so a
 * Slurm batch script that runs flyt once inside an allocation of many tasks
 * is not taken for N copies. */
#include "cli/cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const rank_vars[] = {
    "OMPI_COMM_WORLD_SIZE", /* Open MPI's mpirun */
    "PMI_SIZE",             /* MPICH / Hydra, srun --mpi=pmi2 */
};

/* Commands that shard their work over ranks in this build. */
static bool uses_ranks(const char *cmd)
{
#ifdef FLYT_MPI
    return strcmp(cmd, "sweep") == 0 || strcmp(cmd, "optimise") == 0;
#else
    (void)cmd;
    return false;
#endif
}

/* Commands that only read and print: N copies print N times, no harm. */
static bool harmless(const char *cmd)
{
    return strcmp(cmd, "validate") == 0 || strcmp(cmd, "report") == 0 ||
           strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0 ||
           strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0;
}

int flyt_cli_refuse_ranks(const char *cmd)
{
    if (uses_ranks(cmd) || harmless(cmd))
        return -1;
#ifndef FLYT_MPI
    const char *instead = strcmp(cmd, "sweep") == 0
                                  ? "; this flyt was built without MPI: rebuild with "
                                    "-DFLYT_MPI=ON, or run it as one process (threads: -t N) "
                                    "or as Slurm array shards (--shard)"
                          : strcmp(cmd, "optimise") == 0
                                  ? "; this flyt was built without MPI: rebuild with "
                                    "-DFLYT_MPI=ON, or run it as one process (threads: -t N)"
                                  : "; run it as one process (it uses threads: -t N), or use "
                                    "flyt sweep or flyt optimise from a build with -DFLYT_MPI=ON, "
                                    "which share their work across ranks";
#else
    const char *instead = "; run it as one process (it uses threads: -t N), or use flyt sweep "
                          "or flyt optimise, which share their work across ranks";
#endif
    for (size_t i = 0; i < sizeof rank_vars / sizeof rank_vars[0]; i++) {
        const char *v = getenv(rank_vars[i]);
        char *end;
        long n = v ? strtol(v, &end, 10) : 0;
        if (!v || *end || n <= 1)
            continue;
        fprintf(stderr,
                "flyt %s: error: started as %ld MPI ranks (%s=%s): every rank would do all of "
                "the work and write the same file%s\n",
                cmd, n, rank_vars[i], v, instead);
        return EXIT_BAD_INPUT;
    }
    return -1;
}
