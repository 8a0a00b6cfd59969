/* flyt bench: what it reports about the machine and the build, and peak
 * memory measured in a child process of its own. */
#include "cli/bench.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Set by CMake on this file; the fallbacks keep it building elsewhere. */
#ifndef FLYT_BUILD_TYPE
#define FLYT_BUILD_TYPE "unknown"
#endif
#ifndef FLYT_C_FLAGS
#define FLYT_C_FLAGS ""
#endif
#ifndef FLYT_C_FLAGS_BUILD
#define FLYT_C_FLAGS_BUILD ""
#endif
#if defined(__clang__)
#define COMPILER __VERSION__ /* "Debian Clang 14.0.6" and the like */
#elif defined(__GNUC__)
#define COMPILER "gcc " __VERSION__
#else
#define COMPILER __VERSION__
#endif
#ifndef FLYT_BUILD_SANITIZE
#define FLYT_BUILD_SANITIZE 0
#endif

static void cpu_model(char *buf, size_t size)
{
    snprintf(buf, size, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) != 0 || !colon)
            continue;
        colon += strspn(colon + 1, " \t") + 1;
        colon[strcspn(colon, "\n")] = '\0';
        snprintf(buf, size, "%s", colon);
        break;
    }
    fclose(f);
}

void flyt_bench_machine(struct bench_machine *m)
{
    memset(m, 0, sizeof *m);
    cpu_model(m->cpu, sizeof m->cpu);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    m->cpus = n > 0 ? (unsigned)n : 1;
    m->load1 = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf", &m->load1) != 1)
            m->load1 = -1.0;
        fclose(f);
    }
    m->compiler = COMPILER;
    m->build = FLYT_BUILD_TYPE;
    m->c_flags = FLYT_C_FLAGS;
    m->type_flags = FLYT_C_FLAGS_BUILD;
    m->sanitize = FLYT_BUILD_SANITIZE;
}

long flyt_bench_peak_rss_kb(void)
{
    struct rusage ru;
    return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : 0;
}

static long rss_kb(void)
{
    long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages, &resident) != 2)
        resident = 0;
    fclose(f);
    return resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* A forked child starts with a peak equal to what it shares with the
 * parent at that moment (not the parent's peak), so the parent should be
 * small when it forks; base_kb says how small it was. */
int flyt_bench_in_child(int (*fn)(void *arg), void *arg, long *base_kb, long *peak_kb)
{
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        close(fd[0]);
        long r[3] = { rss_kb(), 0, 0 };
        r[2] = fn(arg);
        r[1] = flyt_bench_peak_rss_kb();
        ssize_t w = write(fd[1], r, sizeof r);
        _exit(w == (ssize_t)sizeof r ? 0 : 1);
    }
    close(fd[1]);
    long r[3];
    size_t got = 0;
    while (got < sizeof r) {
        ssize_t k = read(fd[0], (char *)r + got, sizeof r - got);
        if (k <= 0)
            break;
        got += (size_t)k;
    }
    close(fd[0]);
    int st = 0;
    pid_t w;
    while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
        ;
    if (w < 0)
        return -1;
    if (got != sizeof r || !WIFEXITED(st) || WEXITSTATUS(st) != 0)
        return -1;
    *base_kb = r[0];
    *peak_kb = r[1];
    return (int)r[2];
}
