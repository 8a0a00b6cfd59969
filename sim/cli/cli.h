/* Internal to the flyt program: one function per command. */
#ifndef FLYT_CLI_H
#define FLYT_CLI_H

#include <stdbool.h>

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_BAD_INPUT = 2 };

#define CLI_MAX_SETS 64

int flyt_cmd_run(int argc, char **argv);
int flyt_cmd_compare(int argc, char **argv);
int flyt_cmd_validate(int argc, char **argv);
int flyt_cmd_bench(int argc, char **argv);

/* The command line as one string, for provenance (static buffer). */
const char *flyt_cli_command_line(void);
void flyt_cli_set_command_line(int argc, char **argv);

/* Parses an unsigned number for option opt; prints an error and returns
 * false when it is not one (or is out of range). */
bool flyt_cli_parse_uint(const char *opt, const char *text, unsigned long long lo,
                         unsigned long long hi, unsigned long long *out);

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

#endif
