/* SIGINT and SIGTERM during `flyt run` (compare, sweep, forecast): the
 * handler only records the signal and asks the task runner to stop (both
 * async-signal-safe); workers stop at the next task boundary and flyt
 * exits 128 + signal without writing output. The handler is one-shot (SA_RESETHAND), so a
 * second Ctrl-C kills at once when a replication is slow to finish. SIGXFSZ is ignored so that a
 * write past `ulimit -f` fails with EFBIG and is reported, instead of killing flyt with a .partial
 * file left behind. */
#include "cli/cli.h"
#include "flyt/experiment.h"
#include "flyt/outfile.h"

#include <signal.h>
#include <stddef.h>

static volatile sig_atomic_t caught;

/* The second signal ends flyt at once, as SA_RESETHAND did, but first
 * removes the temporary and lock files of the outputs it was making. */
static void on_stop(int sig)
{
    if (caught) {
        flyt_out_signal_cleanup();
        signal(sig, SIG_DFL);
        raise(sig);
        return;
    }
    caught = sig;
    flyt_experiment_request_stop();
}

void flyt_cli_signals_install(void)
{
    struct sigaction sa = { 0 };
    sa.sa_handler = on_stop;
    sa.sa_flags = SA_RESTART | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGXFSZ, SIG_IGN);
}

int flyt_cli_signal_caught(void)
{
    return caught;
}
