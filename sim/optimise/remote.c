/* flyt optimise over other processes (docs/optimise.md, "Open MPI"):
 * process 0 runs the procedure and, for the missing replications of one
 * configuration at a time, asks each worker for a share; a worker loads the
 * configuration's scenario (once per configuration), runs its replications
 * on threads and answers with the figures the procedure keeps. The
 * transport (flyt_opt_transport) moves bytes; the messages are
 *   request  i64 command (1 run, 0 stop), i64 n_vars, i64 n,
 *            f64 value[n_vars], i64 replication[n]
 *   answer   i64 rc (ANSWER_*), i64 n, i64 width, char detail[128], then
 *            per replication i64 status, char detail[128], f64 y[width]
 * The doubles travel as their bytes: the figures are the very values a
 * replication run here would give. */
#include "flyt/experiment.h"
#include "optimise/opt_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DETAIL        128
#define RECORD(width) (8 + DETAIL + 8 * (size_t)(width))
#define ANSWER_HEAD   (3 * 8 + DETAIL)

void opt_figures(const struct flyt_opt_spec *spec, const struct flyt_result *r, double *y)
{
    y[0] = flyt_opt_objective_value(spec, r);
    for (unsigned l = 0; l < (unsigned)spec->n_constraints; l++)
        y[1 + l] = flyt_kpi_value(r, spec->constraints[l].kpi.kpi);
}

static void put_i64(unsigned char **at, int64_t v)
{
    memcpy(*at, &v, 8);
    *at += 8;
}

static int64_t get_i64(const unsigned char **at)
{
    int64_t v;
    memcpy(&v, *at, 8);
    *at += 8;
    return v;
}

static int request(const struct flyt_opt_transport *t, int to, int64_t cmd, const double *value,
                   unsigned n_vars, const unsigned *reps, unsigned n)
{
    size_t len = 3 * 8 + 8 * (size_t)n_vars + 8 * (size_t)n;
    unsigned char *b = malloc(len), *at = b;
    if (!b)
        return -1;
    put_i64(&at, cmd);
    put_i64(&at, n_vars);
    put_i64(&at, n);
    memcpy(at, value, 8 * (size_t)n_vars);
    at += 8 * (size_t)n_vars;
    for (unsigned i = 0; i < n; i++)
        put_i64(&at, reps[i]);
    int rc = t->send(t->ctx, to, b, len);
    free(b);
    return rc;
}

int opt_remote_ask(struct opt *o, unsigned w, const double *value, const unsigned *reps, unsigned n)
{
    return request(o->opts->transport, (int)w, 1, value, (unsigned)o->spec->n_vars, reps, n);
}

void flyt_opt_stop_workers(const struct flyt_opt_transport *t)
{
    const double none = 0;
    for (unsigned w = 1; t && w <= t->n_workers; w++)
        request(t, (int)w, 0, &none, 0, NULL, 0);
}

int opt_remote_answer(struct opt *o, unsigned w, unsigned n, int *status, char (*detail)[128],
                      double *y, char *fail, size_t faillen)
{
    const struct flyt_opt_transport *t = o->opts->transport;
    size_t len = 0;
    unsigned char *b = t->recv(t->ctx, (int)w, &len);
    const unsigned char *at = b;
    snprintf(fail, faillen, "a malformed answer from process %u", w);
    if (!b || len < ANSWER_HEAD) {
        free(b);
        return -1;
    }
    int64_t rc = get_i64(&at), got = get_i64(&at), width = get_i64(&at);
    memcpy(fail, at, faillen < DETAIL ? faillen : DETAIL);
    fail[(faillen < DETAIL ? faillen : DETAIL) - 1] = '\0';
    at += DETAIL;
    if (rc != 0) {
        free(b);
        return rc > 0 && rc <= 3 ? (int)rc : -1;
    }
    if (got != n || width != o->width || len != ANSWER_HEAD + (size_t)n * RECORD(o->width)) {
        snprintf(fail, faillen, "a malformed answer from process %u", w);
        free(b);
        return -1;
    }
    for (unsigned i = 0; i < n; i++) {
        status[i] = (int)get_i64(&at);
        memcpy(detail[i], at, DETAIL);
        detail[i][DETAIL - 1] = '\0';
        at += DETAIL;
        memcpy(y + (size_t)i * o->width, at, 8 * (size_t)o->width);
        at += 8 * (size_t)o->width;
    }
    free(b);
    return 0;
}

/* The worker's cached scenario: the configuration last asked for. */
struct cache {
    struct flyt_scenario *s;
    double value[FLYT_OPT_MAX_VARS];
    char detail[DETAIL]; /* why it did not load, when s is NULL */
    bool tried;
};

static void load(const struct flyt_opt_spec *spec, struct cache *k, const double *value)
{
    if (k->tried && memcmp(k->value, value, 8 * (size_t)spec->n_vars) == 0)
        return;
    flyt_scenario_free(k->s);
    k->s = NULL;
    k->tried = true;
    memcpy(k->value, value, 8 * (size_t)spec->n_vars);
    char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(spec, value, buf, sets);
    struct flyt_diag diag;
    flyt_diag_init(&diag);
    k->s = flyt_scenario_load(spec->scenario_path, sets, n, &diag);
    const char *t = diag.text ? diag.text : "cannot load the scenario\n";
    snprintf(k->detail, DETAIL, "%.*s", (int)strcspn(t, "\n"), t);
    if (k->s)
        k->s->series_off = true; /* KPIs only */
    flyt_diag_free(&diag);
}

/* Runs reps[0..n-1] and writes the answer's body after its head. */
static int64_t run_share(const struct flyt_opt_spec *spec, const struct flyt_scenario *s,
                         unsigned threads, const unsigned *reps, unsigned n, unsigned width,
                         unsigned char *body)
{
    unsigned to = 0;
    for (unsigned i = 0; i < n; i++)
        to = reps[i] + 1 > to ? reps[i] + 1 : to;
    bool *done = malloc(to * sizeof *done);
    struct flyt_result *res = calloc(to, sizeof *res);
    int64_t rc = 2;
    if (done && res) {
        for (unsigned r = 0; r < to; r++)
            done[r] = true;
        for (unsigned i = 0; i < n; i++)
            done[reps[i]] = false;
        struct flyt_experiment_resume resume = { done, NULL, NULL };
        int run = flyt_experiment_run_resume(s, to, threads, res, NULL, NULL, NULL, &resume);
        rc = run == FLYT_EXPERIMENT_STOPPED || flyt_experiment_stop_requested() ? 3
             : run < 0                                                          ? 2
                                                                                : 0;
        unsigned char *at = body;
        for (unsigned i = 0; rc == 0 && i < n; i++) {
            const struct flyt_result *r = &res[reps[i]];
            double y[1 + FLYT_OPT_MAX_CONSTRAINTS];
            opt_figures(spec, r, y);
            put_i64(&at, r->status);
            memset(at, 0, DETAIL);
            snprintf((char *)at, DETAIL, "%s", r->status_detail);
            at += DETAIL;
            memcpy(at, y, 8 * (size_t)width);
            at += 8 * (size_t)width;
        }
        for (unsigned r = 0; r < to; r++)
            flyt_result_free(&res[r]);
    }
    free(res);
    free(done);
    return rc;
}

int flyt_opt_serve(const struct flyt_opt_spec *spec, unsigned threads,
                   const struct flyt_opt_transport *t)
{
    struct cache k = { 0 };
    int rc = 0;
    unsigned width = spec ? 1 + (unsigned)spec->n_constraints : 1;
    for (;;) {
        size_t len = 0;
        unsigned char *b = t->recv(t->ctx, 0, &len);
        const unsigned char *at = b;
        if (!b || len < 3 * 8) {
            free(b);
            rc = -1;
            break;
        }
        int64_t cmd = get_i64(&at), n_vars = get_i64(&at), n = get_i64(&at);
        if (cmd == 0) {
            free(b);
            break;
        }
        bool ok = spec && n_vars == spec->n_vars && n > 0 && n <= (1 << 24) &&
                  len == 3 * 8 + 8 * (size_t)n_vars + 8 * (size_t)n;
        double value[FLYT_OPT_MAX_VARS] = { 0 };
        unsigned *reps = ok ? malloc((size_t)n * sizeof *reps) : NULL;
        if (ok) {
            memcpy(value, at, 8 * (size_t)n_vars);
            at += 8 * (size_t)n_vars;
            for (int64_t i = 0; reps && i < n; i++) {
                int64_t r = get_i64(&at);
                ok = ok && r >= 0 && r < (1 << 24);
                reps[i] = (unsigned)r;
            }
        }
        free(b);
        size_t alen = ANSWER_HEAD + (ok && reps ? (size_t)n * RECORD(width) : 0);
        unsigned char *a = calloc(1, alen);
        int64_t arc = 2;
        const char *why = "out of memory";
        if (!ok) {
            arc = 2;
            why = spec ? "a malformed request" : "the spec did not load on a worker";
        } else if (reps && a) {
            load(spec, &k, value);
            if (!k.s) {
                arc = 1;
                why = k.detail;
            } else {
                arc = run_share(spec, k.s, threads, reps, (unsigned)n, width, a + ANSWER_HEAD);
                why = arc == 3 ? "stopped" : "out of memory or a thread could not start";
            }
        }
        free(reps);
        if (!a) {
            rc = -1;
            break;
        }
        if (arc != 0)
            alen = ANSWER_HEAD;
        unsigned char *h = a;
        put_i64(&h, arc);
        put_i64(&h, arc == 0 ? n : 0);
        put_i64(&h, width);
        snprintf((char *)h, DETAIL, "%s", arc == 0 ? "" : why);
        int sent = t->send(t->ctx, 0, a, alen);
        free(a);
        if (sent != 0) {
            rc = -1;
            break;
        }
    }
    flyt_scenario_free(k.s);
    return rc;
}
