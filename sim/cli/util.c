#include "cli/cli.h"
#include "flyt/outfile.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static char command_line[4096];

void flyt_cli_set_command_line(int argc, char **argv)
{
    size_t used = 0;
    command_line[0] = '\0';
    for (int i = 0; i < argc && used < sizeof command_line; i++) {
        int w = snprintf(command_line + used, sizeof command_line - used, "%s%s", i ? " " : "",
                         argv[i]);
        if (w < 0)
            break;
        used += (size_t)w;
    }
}

const char *flyt_cli_command_line(void)
{
    return command_line;
}

bool flyt_cli_parse_uint(const char *opt, const char *text, unsigned long long lo,
                         unsigned long long hi, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!text || !*text || *text == '-') {
        fprintf(stderr, "flyt: error: %s needs a whole number from %llu to %llu\n", opt, lo, hi);
        return false;
    }
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || *end || v < lo || v > hi) {
        fprintf(stderr, "flyt: error: %s needs a whole number from %llu to %llu, got '%s'\n", opt,
                lo, hi, text);
        return false;
    }
    *out = v;
    return true;
}

/* A command that does not stop gracefully on a signal still removes its
 * temporary and lock files before the signal ends it. */
static void on_fatal(int sig)
{
    flyt_out_signal_cleanup();
    signal(sig, SIG_DFL);
    raise(sig);
}

static void cleanup_on_signals(void)
{
    static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        if (sigaction(sigs[i], NULL, &old) != 0 || old.sa_handler != SIG_DFL)
            continue; /* ignored, or the command's own handler */
        struct sigaction sa = { 0 };
        sa.sa_handler = on_fatal;
        sa.sa_flags = SA_NODEFER;
        sigemptyset(&sa.sa_mask);
        sigaction(sigs[i], &sa, NULL);
    }
    /* a file-size limit is a write error to report, not death */
    signal(SIGXFSZ, SIG_IGN);
}

int flyt_cli_claim_output(const char *cmd, const char *path, int kind, const char *const *inputs,
                          size_t n_inputs)
{
    char err[1024];
    cleanup_on_signals();
    int rc = flyt_out_claim(path, (enum flyt_out_kind)kind, inputs, n_inputs, err, sizeof err);
    if (rc == 0)
        return -1;
    fprintf(stderr, "flyt %s: error: %s\n", cmd, err);
    return rc == FLYT_OUT_REFUSED ? EXIT_BAD_INPUT : EXIT_FAIL;
}

double flyt_cli_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void flyt_progress_init(struct flyt_progress *p, int mode, const char *label)
{
    memset(p, 0, sizeof *p);
    p->enabled = mode > 0 || (mode < 0 && isatty(STDERR_FILENO));
    p->t0 = flyt_cli_seconds();
    p->label = label;
}

void flyt_progress_update(unsigned done, unsigned total, void *ctx)
{
    struct flyt_progress *p = ctx;
    if (!p || !p->enabled)
        return;
    double t = flyt_cli_seconds();
    double elapsed = t - p->t0;
    if (elapsed < 1.0 || (t - p->last_print < 0.2 && done < total))
        return;
    p->last_print = t;
    p->printed = true;
    double eta = done ? elapsed / done * (total - done) : 0;
    fprintf(stderr, "\r%s: replication %u/%u (%3.0f%%), %.1f s elapsed, ~%.0f s left   ", p->label,
            done, total, 100.0 * done / (total ? total : 1), elapsed, eta);
    fflush(stderr);
}

void flyt_progress_done(struct flyt_progress *p)
{
    if (p->enabled && p->printed)
        fputc('\n', stderr);
}
