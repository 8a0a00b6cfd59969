/* Internal to the flyt program: one function per command. */
#ifndef FLYT_CLI_H
#define FLYT_CLI_H

#include "flyt/result.h"

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_BAD_INPUT = 2 };

#define CLI_MAX_SETS 4096 /* more than any command line a shell passes in practice */

/* EXIT_BAD_INPUT (with a message) when flyt was started as several MPI
 * ranks and cmd cannot share its work across them; -1 to go on. */
int flyt_cli_refuse_ranks(const char *cmd);

int flyt_cmd_run(int argc, char **argv);
int flyt_cmd_compare(int argc, char **argv);
int flyt_cmd_calibrate(int argc, char **argv);
int flyt_cmd_fit(int argc, char **argv);
int flyt_cmd_optimise(int argc, char **argv);
int flyt_cmd_sweep(int argc, char **argv);
int flyt_cmd_merge(int argc, char **argv);
int flyt_cmd_validate(int argc, char **argv);
int flyt_cmd_bench(int argc, char **argv);
int flyt_cmd_forecast(int argc, char **argv);
int flyt_cmd_report(int argc, char **argv);
int flyt_cmd_export(int argc, char **argv);
int flyt_cmd_upgrade(int argc, char **argv);

/* The command line as one string, for provenance (static buffer). */
const char *flyt_cli_command_line(void);
void flyt_cli_set_command_line(int argc, char **argv);

/* Parses an unsigned number for option opt; prints an error and returns
 * false when it is not one (or is out of range). */
bool flyt_cli_parse_uint(const char *opt, const char *text, unsigned long long lo,
                         unsigned long long hi, unsigned long long *out);

/*
 * A command's arguments through getopt_long, in the order typed (the
 * optstring starts with '-', so positionals come back in place and
 * POSIXLY_CORRECT changes nothing), with flyt's own messages:
 *   flyt CMD: error: unknown option 'ARG' (see flyt CMD --help)
 *   flyt CMD: error: OPT needs a value (see flyt CMD --help)
 * Long options must be typed whole: getopt's unambiguous prefixes
 * (--out for --output) are refused as unknown, so that an option added
 * later cannot change what an old command line means. Every command takes
 * -h, --help ('h').
 */
struct flyt_cli_args {
    const char *cmd;
    int argc;
    char **argv;
    const char *arg;  /* the option's value, or the positional argument */
    const char *name; /* the option as typed, without =VALUE: "-o", "--output" */
    char name_buf[64];
    bool done; /* past the options ("--" or the end) */
    char shorts[64];
    struct option longs[48];
};

/* Option values of the shared long-only options; a command's own long-only
 * options use FLYT_OPTV_CMD and up. */
enum {
    FLYT_OPTV_POSITIONAL = 1, /* what getopt returns for a positional */
    FLYT_OPTV_SEED = 0x100,
    FLYT_OPTV_SET,
    FLYT_OPTV_FORMAT,
    FLYT_OPTV_PROGRESS,
    FLYT_OPTV_NO_PROGRESS,
    FLYT_OPTV_PRECISION,
    FLYT_OPTV_PRECISION_KPI,
    FLYT_OPTV_MAX_REPS,
    FLYT_OPTV_CMD = 0x200,
};

/* Sets up p for argv[1..argc): the shared options in the FLYT_OPT_ mask
 * `shared`, and own (terminated by a zero entry; NULL: none), whose short
 * forms are the entries with a letter as val. */
void flyt_cli_args_init(struct flyt_cli_args *p, const char *cmd, int argc, char **argv,
                        unsigned shared, const struct option *own);

/* The next argument: an option's val (p->arg its value, p->name as typed),
 * FLYT_OPTV_POSITIONAL (p->arg the argument), -1 at the end, or '?' after
 * printing why it is bad input. */
int flyt_cli_args_next(struct flyt_cli_args *p);

/* p->arg as a whole number in [lo, hi], or false with flyt_cli_parse_uint's
 * message naming p->name. */
bool flyt_cli_args_uint(const struct flyt_cli_args *p, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out);

/* The options several commands share; a command names those it takes. */
enum {
    FLYT_OPT_OUTPUT = 1u << 0,   /* -o, --output FILE */
    FLYT_OPT_REPS = 1u << 1,     /* -r, --replications N (1 to 1000000) */
    FLYT_OPT_SEED = 1u << 2,     /* --seed S (0 to 2^63-1) */
    FLYT_OPT_THREADS = 1u << 3,  /* -t, --threads N (1 to 1024) */
    FLYT_OPT_SET = 1u << 4,      /* --set KEY=VALUE, at most CLI_MAX_SETS */
    FLYT_OPT_FORMAT = 1u << 5,   /* --format table|json */
    FLYT_OPT_PROGRESS = 1u << 6, /* --progress, --no-progress */
    /* -r and --seed also as run.replications / run.seed overrides in sets,
     * one slot each where the option first appears (the last value counts) */
    FLYT_OPT_RUN_SETS = 1u << 7,
    /* -r auto's --precision P, --precision-kpi LIST, --max-replications N */
    FLYT_OPT_PRECISION = 1u << 8,
};

/* Everything flyt run and flyt compare take of them. */
#define FLYT_OPTS_RUN                                                                    \
    (FLYT_OPT_OUTPUT | FLYT_OPT_REPS | FLYT_OPT_SEED | FLYT_OPT_THREADS | FLYT_OPT_SET | \
     FLYT_OPT_FORMAT | FLYT_OPT_PROGRESS | FLYT_OPT_RUN_SETS | FLYT_OPT_PRECISION)

/* What those options set. Start with { .progress = -1 } (auto). */
struct flyt_cli_opts {
    const char *output;                 /* NULL: the command's default */
    const char *sets[CLI_MAX_SETS + 2]; /* --set, then the two slots */
    int n_sets;
    unsigned long long reps, seed;
    bool have_reps, have_seed;
    unsigned threads; /* 0: one per CPU */
    bool json;
    int progress; /* -1 auto, 0 off, 1 on */
    char rep_set[64], seed_set[64];
    /* FLYT_OPT_PRECISION: -r auto, --precision (0: not given),
     * --precision-kpi, --max-replications (0: not given) */
    bool r_auto;
    double precision;
    const char *precision_kpi;
    unsigned max_reps;
};

/* Handles option opt (from flyt_cli_args_next) when it is one of those in
 * which (a FLYT_OPT_ mask). Returns 1 when handled, 0 when it is not one
 * of them, -1 on bad input (the message printed, as "flyt CMD: error:
 * ..."). */
int flyt_cli_args_shared(const struct flyt_cli_args *p, unsigned which, int opt,
                         struct flyt_cli_opts *o);

/* The first step of every command's option loop, for option opt: bad
 * input (printed; EXIT_BAD_INPUT), -h (usage on stdout; EXIT_OK), one of
 * the shared options in which, with FLYT_OPT_PRECISION also -r auto and
 * its options (FLYT_CLI_TAKEN), or none of those: the command's own
 * (FLYT_CLI_OWN). */
enum { FLYT_CLI_TAKEN = -2, FLYT_CLI_OWN = -1 };
int flyt_cli_args_take(const struct flyt_cli_args *p, unsigned which, int opt,
                       struct flyt_cli_opts *o, void (*usage)(FILE *out));

/* A long run should not end in "cannot write": true when the folder of
 * path can be written; otherwise prints "flyt CMD: error: cannot write
 * 'PATH': NOUN 'DIR' is missing or not writable" and returns false. */
bool flyt_cli_output_dir_ok(const char *cmd, const char *path, const char *noun);

/* Claims the output path before any work (flyt/outfile.h): refuses an empty
 * name, a folder, device, FIFO or socket, one of inputs[0..n_inputs), or an
 * existing file flyt did not write (EXIT_BAD_INPUT); a missing or read-only
 * folder, or another flyt writing the same file (EXIT_FAIL). Prints "flyt
 * CMD: error: ..." and returns that status, or -1 when claimed. kind is an
 * enum flyt_out_kind. */
int flyt_cli_claim_output(const char *cmd, const char *path, int kind, const char *const *inputs,
                          size_t n_inputs);

/* Names every replication of res[0..n) that did not end ok (with the
 * scenario's name unless it is NULL), says nothing was written, and
 * returns EXIT_FAIL. */
int flyt_cli_report_stopped(const char *cmd, const char *scenario, const struct flyt_result *res,
                            unsigned n);

/* --series MODE, shared by run and compare: the daily series whole (every
 * replication's), reduced across replications as they finish
 * (flyt/series.h), or auto. */
enum flyt_cli_series { FLYT_CLI_SERIES_AUTO, FLYT_CLI_SERIES_WHOLE, FLYT_CLI_SERIES_REDUCED };
/* --series MODE's value; -1 (printed) when it is none of the three. */
int flyt_cli_series_mode(const char *cmd, const char *v, enum flyt_cli_series *mode);
/* Whether series that whole would take `whole` bytes of memory are
 * reduced: always for REDUCED, never for WHOLE, for AUTO above 512 MiB
 * ($FLYT_SERIES_BUDGET_MIB, for small machines and tests, changes it). */
bool flyt_cli_series_reduce(enum flyt_cli_series mode, double whole);
/* Days after warm-up, as the model counts them (one value per day). */
struct flyt_scenario;
size_t flyt_cli_series_days(const struct flyt_scenario *s);

/* -r auto's options, shared by run and compare (FLYT_OPT_PRECISION).
 * Returns 1 when opt was one, 0 when not, -1 on bad input (printed). */
int flyt_cli_args_precision(const struct flyt_cli_args *p, int opt, double *precision,
                            const char **kpis, unsigned *max_reps);
/* -r auto needs --precision and they go together; -1 (printed) when not
 * so. */
int flyt_cli_precision_check(const char *cmd, bool r_auto, double precision, const char *kpis,
                             unsigned max_reps);
/* p's KPIs from the comma-separated list (NULL: the default), looked up
 * among s's units; -1 (printed) for a name that is no KPI. */
struct flyt_precision_report;
struct flyt_scenario;
int flyt_cli_precision_kpis(const char *cmd, const char *list, const struct flyt_scenario *s,
                            struct flyt_precision_report *p);
/* A watched KPI no replication measured (a unit's waits where nobody
 * waits) would run the rounds to the maximum for nothing: true, with a
 * warning, when there is one. */
bool flyt_cli_precision_nothing(const char *cmd, const struct flyt_precision_report *p);

/* Progress line on stderr: shown when stderr is a terminal (or forced),
 * and only once the run has taken more than about a second. */
struct flyt_progress {
    bool enabled;
    double t0;
    double last_print;
    bool printed;
    const char *label;
};
void flyt_progress_init(struct flyt_progress *p, int mode,
                        const char *label); /* -1 auto, 0 off, 1 on */
void flyt_progress_update(unsigned done, unsigned total, void *ctx);
void flyt_progress_done(struct flyt_progress *p);
double flyt_cli_seconds(void);

/* SIGINT/SIGTERM stop a run at the next replication boundary (see
 * signals.c); SIGXFSZ is ignored so a full disk is an error, not death. */
void flyt_cli_signals_install(void);
int flyt_cli_signal_caught(void); /* the signal number, or 0 */

#endif
