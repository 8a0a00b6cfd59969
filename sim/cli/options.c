/* Option parsing the flyt commands share: getopt_long with flyt's own
 * messages, the options most commands take (-o, -r, --seed, -t, --set,
 * --format, --progress, -r auto's), the output-directory check before a
 * long run, and the report of replications the runaway guard stopped.
 * Every message names the command, so they read as before this was
 * shared. */
#include "cli/cli.h"
#include "flyt/precision.h"
#include "flyt/scenario.h"

#include <ctype.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEED_MAX 9223372036854775807ULL

/* The shared options as getopt_long sees them, each with the FLYT_OPT_
 * bit that brings it. */
static const struct {
    unsigned bit;
    struct option opt;
} shared_opts[] = {
    { FLYT_OPT_OUTPUT, { "output", required_argument, NULL, 'o' } },
    { FLYT_OPT_REPS, { "replications", required_argument, NULL, 'r' } },
    { FLYT_OPT_SEED, { "seed", required_argument, NULL, FLYT_OPTV_SEED } },
    { FLYT_OPT_THREADS, { "threads", required_argument, NULL, 't' } },
    { FLYT_OPT_SET, { "set", required_argument, NULL, FLYT_OPTV_SET } },
    { FLYT_OPT_FORMAT, { "format", required_argument, NULL, FLYT_OPTV_FORMAT } },
    { FLYT_OPT_PROGRESS, { "progress", no_argument, NULL, FLYT_OPTV_PROGRESS } },
    { FLYT_OPT_PROGRESS, { "no-progress", no_argument, NULL, FLYT_OPTV_NO_PROGRESS } },
    { FLYT_OPT_PRECISION, { "precision", required_argument, NULL, FLYT_OPTV_PRECISION } },
    { FLYT_OPT_PRECISION, { "precision-kpi", required_argument, NULL, FLYT_OPTV_PRECISION_KPI } },
    { FLYT_OPT_PRECISION, { "max-replications", required_argument, NULL, FLYT_OPTV_MAX_REPS } },
};

static void add_opt(struct flyt_cli_args *p, size_t *n, const struct option *o)
{
    const size_t max = sizeof p->longs / sizeof p->longs[0] - 1;
    if (*n >= max) /* a command's table is fixed at compile time: a bug */
        abort();
    p->longs[(*n)++] = *o;
    if (o->val > 0 && o->val < 128 && isalpha(o->val)) {
        size_t len = strlen(p->shorts);
        if (len + 3 >= sizeof p->shorts)
            abort();
        p->shorts[len] = (char)o->val;
        if (o->has_arg == required_argument)
            p->shorts[len + 1] = ':';
    }
}

void flyt_cli_args_init(struct flyt_cli_args *p, const char *cmd, int argc, char **argv,
                        unsigned shared, const struct option *own)
{
    memset(p, 0, sizeof *p);
    p->cmd = cmd;
    p->argc = argc;
    p->argv = argv;
    /* '-': positionals in place; ':': a missing value is told from an
     * unknown option */
    snprintf(p->shorts, sizeof p->shorts, "-:");
    size_t n = 0;
    add_opt(p, &n, &(struct option){ "help", no_argument, NULL, 'h' });
    for (size_t k = 0; k < sizeof shared_opts / sizeof shared_opts[0]; k++)
        if (shared & shared_opts[k].bit)
            add_opt(p, &n, &shared_opts[k].opt);
    for (; own && own->name; own++)
        add_opt(p, &n, own);
    opterr = 0;
    optind = 0; /* glibc: start afresh */
}

/* Whether the element names the long option whole (--name or --name=...). */
static bool whole_name(const char *elem, const char *name)
{
    size_t len = strlen(name);
    return strncmp(elem, "--", 2) == 0 && strncmp(elem + 2, name, len) == 0 &&
           (elem[2 + len] == '\0' || elem[2 + len] == '=');
}

static int unknown(struct flyt_cli_args *p, const char *elem)
{
    fprintf(stderr, "flyt %s: error: unknown option '%s' (see flyt %s --help)\n", p->cmd, elem,
            p->cmd);
    return '?';
}

int flyt_cli_args_next(struct flyt_cli_args *p)
{
    if (p->done) { /* after "--" everything is a positional */
        if (optind >= p->argc)
            return -1;
        p->arg = p->argv[optind++];
        p->name = NULL;
        return FLYT_OPTV_POSITIONAL;
    }
    /* Without permutation the element being read is argv[optind], also in
     * the middle of a cluster such as -th (optind moves past it at its end). */
    int at = optind == 0 ? 1 : optind, idx = -1;
    int c = getopt_long(p->argc, p->argv, p->shorts, p->longs, &idx);
    const char *elem = at < p->argc ? p->argv[at] : "";
    p->arg = optarg;
    p->name = NULL;
    if (c == -1) {
        p->done = true;
        return flyt_cli_args_next(p);
    }
    if (c == FLYT_OPTV_POSITIONAL)
        return c;
    if (idx >= 0 || strncmp(elem, "--", 2) == 0) {
        size_t len = strcspn(elem, "=");
        snprintf(p->name_buf, sizeof p->name_buf, "%.*s", (int)len, elem);
    } else {
        snprintf(p->name_buf, sizeof p->name_buf, "-%c", c == '?' || c == ':' ? optopt : c);
    }
    p->name = p->name_buf;
    if (c == '?' || (idx >= 0 && !whole_name(elem, p->longs[idx].name)))
        return unknown(p, elem);
    if (c == ':') {
        fprintf(stderr, "flyt %s: error: %s needs a value (see flyt %s --help)\n", p->cmd, p->name,
                p->cmd);
        return '?';
    }
    return c;
}

bool flyt_cli_args_uint(const struct flyt_cli_args *p, unsigned long long lo, unsigned long long hi,
                        unsigned long long *out)
{
    return flyt_cli_parse_uint(p->name, p->arg, lo, hi, out);
}

/* -r and --seed as overrides: one slot each, kept after every --set so
 * that "--set:N" in messages is the N-th --set as typed; given again, the
 * last value counts, and they win over a --set of the same key. */
static void slot(struct flyt_cli_opts *o, char *buf, size_t len, const char *key,
                 unsigned long long v)
{
    if (!buf[0])
        o->sets[o->n_sets++] = buf;
    snprintf(buf, len, "%s=%llu", key, v);
}

/* --set in the order typed, before the -r and --seed slots (see slot). */
static int add_set(const char *cmd, struct flyt_cli_opts *o, const char *v)
{
    if (o->n_sets >= CLI_MAX_SETS) {
        fprintf(stderr, "flyt %s: error: at most %d --set options\n", cmd, CLI_MAX_SETS);
        return -1;
    }
    int slots = (o->rep_set[0] != '\0') + (o->seed_set[0] != '\0');
    for (int k = o->n_sets; k > o->n_sets - slots; k--)
        o->sets[k] = o->sets[k - 1];
    o->sets[o->n_sets++ - slots] = v;
    return 1;
}

int flyt_cli_args_shared(const struct flyt_cli_args *p, unsigned which, int opt,
                         struct flyt_cli_opts *o)
{
    unsigned long long v;
    const char *a = p->arg;
    if ((which & FLYT_OPT_REPS) && opt == 'r') {
        if (!flyt_cli_args_uint(p, 1, 1000000, &v))
            return -1;
        o->reps = v;
        o->have_reps = true;
        if (which & FLYT_OPT_RUN_SETS)
            slot(o, o->rep_set, sizeof o->rep_set, "run.replications", v);
    } else if ((which & FLYT_OPT_SEED) && opt == FLYT_OPTV_SEED) {
        if (!flyt_cli_args_uint(p, 0, SEED_MAX, &v))
            return -1;
        o->seed = v;
        o->have_seed = true;
        if (which & FLYT_OPT_RUN_SETS)
            slot(o, o->seed_set, sizeof o->seed_set, "run.seed", v);
    } else if ((which & FLYT_OPT_THREADS) && opt == 't') {
        if (!flyt_cli_args_uint(p, 1, 1024, &v))
            return -1;
        o->threads = (unsigned)v;
    } else if ((which & FLYT_OPT_OUTPUT) && opt == 'o') {
        o->output = a;
    } else if ((which & FLYT_OPT_SET) && opt == FLYT_OPTV_SET) {
        return add_set(p->cmd, o, a);
    } else if ((which & FLYT_OPT_FORMAT) && opt == FLYT_OPTV_FORMAT) {
        if (strcmp(a, "json") != 0 && strcmp(a, "table") != 0) {
            fprintf(stderr, "flyt %s: error: --format is table or json, got '%s'\n", p->cmd, a);
            return -1;
        }
        o->json = strcmp(a, "json") == 0;
    } else if ((which & FLYT_OPT_PROGRESS) &&
               (opt == FLYT_OPTV_PROGRESS || opt == FLYT_OPTV_NO_PROGRESS)) {
        o->progress = opt == FLYT_OPTV_PROGRESS;
    } else {
        return 0;
    }
    return 1;
}

int flyt_cli_args_take(const struct flyt_cli_args *p, unsigned which, int opt,
                       struct flyt_cli_opts *o, void (*usage)(FILE *out))
{
    if (opt == '?')
        return EXIT_BAD_INPUT;
    if (opt == 'h') {
        usage(stdout);
        return EXIT_OK;
    }
    if ((which & FLYT_OPT_PRECISION) && opt == 'r' && strcmp(p->arg, "auto") == 0) {
        o->r_auto = true;
        return FLYT_CLI_TAKEN;
    }
    int rc = which & FLYT_OPT_PRECISION ? flyt_cli_args_precision(p, opt, &o->precision,
                                                                  &o->precision_kpi, &o->max_reps)
                                        : 0;
    if (rc == 0)
        rc = flyt_cli_args_shared(p, which, opt, o);
    return rc < 0 ? EXIT_BAD_INPUT : rc > 0 ? FLYT_CLI_TAKEN : FLYT_CLI_OWN;
}

int flyt_cli_args_precision(const struct flyt_cli_args *p, int opt, double *precision,
                            const char **kpis, unsigned *max_reps)
{
    const char *v = p->arg;
    if (opt == FLYT_OPTV_PRECISION_KPI) {
        *kpis = v;
        return 1;
    }
    if (opt == FLYT_OPTV_MAX_REPS) {
        unsigned long long m;
        if (!flyt_cli_args_uint(p, 2, 1000000, &m))
            return -1;
        *max_reps = (unsigned)m;
        return 1;
    }
    if (opt != FLYT_OPTV_PRECISION)
        return 0;
    char *end;
    double x = strtod(v, &end);
    if (end == v || *end || !(x > 0 && x < 1)) {
        fprintf(stderr,
                "flyt %s: error: --precision takes a fraction, 0 < P < 1 (0.05 for 5 %%), got "
                "'%s'\n",
                p->cmd, v);
        return -1;
    }
    *precision = x;
    return 1;
}

bool flyt_cli_output_dir_ok(const char *cmd, const char *path, const char *noun)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path);
    const char *dir = dirname(buf);
    if (access(dir, W_OK | X_OK) == 0)
        return true;
    fprintf(stderr, "flyt %s: error: cannot write '%s': %s '%s' is missing or not writable\n", cmd,
            path, noun, dir);
    return false;
}

/* One line per kind of stop (out of memory, runaway), naming the first
 * replication and counting the others: a million replications that all ran
 * out of memory are one message, not a million. */
int flyt_cli_report_stopped(const char *cmd, const char *scenario, const struct flyt_result *res,
                            unsigned n)
{
    for (unsigned r = 0; r < n; r++) {
        if (res[r].status == FLYT_RUN_OK)
            continue;
        bool seen = false;
        for (unsigned q = 0; q < r && !seen; q++)
            seen = res[q].status == res[r].status;
        if (seen)
            continue;
        unsigned more = 0;
        for (unsigned q = r + 1; q < n; q++)
            more += res[q].status == res[r].status;
        char others[96] = "";
        if (more > 0)
            snprintf(others, sizeof others, " (and %u more replication%s stopped the same way)",
                     more, more == 1 ? "" : "s");
        if (scenario)
            fprintf(stderr, "flyt %s: error: scenario '%s': replication %u stopped early: %s%s\n",
                    cmd, scenario, r, res[r].status_detail, others);
        else
            fprintf(stderr, "flyt %s: error: replication %u stopped early: %s%s\n", cmd, r,
                    res[r].status_detail, others);
    }
    fprintf(stderr, "flyt %s: no output written: a partial run is not a result\n", cmd);
    return EXIT_FAIL;
}

int flyt_cli_series_mode(const char *cmd, const char *v, enum flyt_cli_series *mode)
{
    if (strcmp(v, "whole") == 0)
        *mode = FLYT_CLI_SERIES_WHOLE;
    else if (strcmp(v, "reduced") == 0)
        *mode = FLYT_CLI_SERIES_REDUCED;
    else if (strcmp(v, "auto") == 0)
        *mode = FLYT_CLI_SERIES_AUTO;
    else {
        fprintf(stderr, "flyt %s: error: --series takes whole, reduced or auto, got '%s'\n", cmd,
                v);
        return -1;
    }
    return 0;
}

/* Whole series cost 8 bytes per replication, day and series: 38 GB for a
 * million replications of a year. Below this they are kept whole, as
 * readers have always had them. */
#define SERIES_WHOLE_BUDGET (512.0 * 1024 * 1024)

bool flyt_cli_series_reduce(enum flyt_cli_series mode, double whole)
{
    double budget = SERIES_WHOLE_BUDGET;
    const char *env = getenv("FLYT_SERIES_BUDGET_MIB");
    if (env && *env && atof(env) >= 0)
        budget = atof(env) * 1024 * 1024;
    return mode == FLYT_CLI_SERIES_REDUCED || (mode == FLYT_CLI_SERIES_AUTO && whole > budget);
}

size_t flyt_cli_series_days(const struct flyt_scenario *s)
{
    size_t first = (size_t)ceil(s->warmup_days), last = (size_t)ceil(s->horizon_days);
    return s->series_off || last <= first ? 0 : last - first;
}

int flyt_cli_precision_check(const char *cmd, bool r_auto, double precision, const char *kpis,
                             unsigned max_reps)
{
    if (r_auto && !(precision > 0)) {
        fprintf(stderr, "flyt %s: error: -r auto needs --precision P (e.g. 0.05)\n", cmd);
        return -1;
    }
    if (!r_auto && (precision > 0 || kpis || max_reps)) {
        fprintf(stderr,
                "flyt %s: error: --precision, --precision-kpi and --max-replications go with "
                "-r auto\n",
                cmd);
        return -1;
    }
    return 0;
}

int flyt_cli_precision_kpis(const char *cmd, const char *list, const struct flyt_scenario *s,
                            struct flyt_precision_report *p)
{
    int rc = 0;
    p->n = 0;
    for (const char *a = list ? list : FLYT_PRECISION_DEFAULT_KPI; *a && rc == 0;) {
        size_t len = strcspn(a, ",");
        char name[96];
        snprintf(name, sizeof name, "%.*s", (int)len, a);
        int h = flyt_scenario_kpi_lookup(s, name);
        if (h < 0) {
            fprintf(stderr,
                    "flyt %s: error: --precision-kpi: no KPI '%s' (a key figure, or "
                    "units.<id>.<kpi>; docs/kpis.md)\n",
                    cmd, name);
            rc = -1;
        } else if (p->n == FLYT_PRECISION_MAX_KPI) {
            fprintf(stderr, "flyt %s: error: --precision-kpi: at most %d KPIs\n", cmd,
                    FLYT_PRECISION_MAX_KPI);
            rc = -1;
        } else {
            snprintf(p->kpi[p->n].name, sizeof p->kpi[p->n].name, "%s", name);
            p->kpi[p->n++].handle = h;
        }
        a += len + (a[len] == ',');
    }
    if (rc == 0 && p->n == 0) {
        fprintf(stderr, "flyt %s: error: --precision-kpi: no KPI named\n", cmd);
        rc = -1;
    }
    return rc;
}

bool flyt_cli_precision_nothing(const char *cmd, const struct flyt_precision_report *p)
{
    for (size_t k = 0; k < p->n; k++)
        if (p->kpi[k].n_finite == 0) {
            fprintf(stderr,
                    "flyt %s: warning: -r auto: '%s' had nothing to measure in any of the %u "
                    "replications so far (NaN): no more are added for it; name a KPI this "
                    "scenario measures with --precision-kpi\n",
                    cmd, p->kpi[k].name, p->replications);
            return true;
        }
    return false;
}
