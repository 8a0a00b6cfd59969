/* The procedure of flyt optimise on a set of configurations
 * (docs/optimise.md): sequential feasibility checks, then KN selection on
 * paired differences. Every decision is taken one replication at a time on
 * values that depend only on (configuration, seed, replication), so
 * running replications in batches, on any number of threads or processes
 * (remote.c), or reading them back from the journal only caches what the
 * procedure will read. */
#include "flyt/experiment.h"
#include "optimise/opt_internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Replications are run this many at a time (ahead of need), a fixed
 * number so that the count run, which the output records, does not depend
 * on the thread count. */
#define BATCH 8

int opt_fail(struct opt *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(o->rep->detail, sizeof o->rep->detail, fmt, ap);
    va_end(ap);
    return -1;
}

static bool finite_figures(const struct opt *o, const double *y, unsigned *bad)
{
    for (unsigned j = 0; j < o->width; j++)
        if (!isfinite(y[j])) {
            *bad = j;
            return false;
        }
    return true;
}

static double value(const struct opt *o, unsigned c, unsigned r, unsigned j)
{
    return o->data[c].y[(size_t)r * o->width + j];
}

/* A replication's figures, false when one has no value. */
static bool figures(const struct opt *o, const struct flyt_result *r, double *y, unsigned *bad)
{
    opt_figures(o->spec, r, y);
    return finite_figures(o, y, bad);
}

struct journal_ctx {
    struct opt *o;
    uint64_t index;
    bool failed;
};

/* Serialised by the experiment: each finished replication goes to the
 * journal as it finishes, so a kill loses only those in hand. */
static void finished(void *ctx, unsigned rep, const struct flyt_result *r)
{
    struct journal_ctx *k = ctx;
    double y[1 + FLYT_OPT_MAX_CONSTRAINTS];
    unsigned bad;
    if (k->failed || r->status != FLYT_RUN_OK || !figures(k->o, r, y, &bad))
        return;
    if (opt_journal_append(k->o->journal, k->index, rep, y) != 0) {
        k->failed = true;
        fprintf(stderr, "flyt optimise: warning: cannot append to the journal; the run goes on, "
                        "but it cannot be resumed past this point\n");
    }
}

/* The workers' shares of one configuration's missing replications. */
struct shares {
    unsigned n_proc; /* 1 + workers */
    unsigned *list;  /* the missing replications, in order */
    unsigned m;      /* how many */
    bool *asked;     /* [n_proc]: worker p was sent its share */
    int *status;     /* [m]: of the replications run elsewhere */
    char (*detail)[128];
    double *y; /* [m x width] */
};

/* Share p of n_proc: list[lo .. hi) (process 0 has the first). */
static void share(const struct shares *sh, unsigned p, unsigned *lo, unsigned *hi)
{
    *lo = (unsigned)((uint64_t)sh->m * p / sh->n_proc);
    *hi = (unsigned)((uint64_t)sh->m * (p + 1) / sh->n_proc);
}

static void shares_free(struct shares *sh)
{
    free(sh->list);
    free(sh->asked);
    free(sh->status);
    free(sh->detail);
    free(sh->y);
}

/* Sends each worker its share; local[r] marks the replications run here. */
static int ask_workers(struct opt *o, const struct flyt_opt_config *cf, struct shares *sh,
                       const bool *done, unsigned to, bool *local)
{
    const struct flyt_opt_transport *t = o->opts->transport;
    sh->n_proc = t && t->n_workers ? 1 + t->n_workers : 1;
    sh->list = calloc(to, sizeof *sh->list);
    sh->asked = calloc(sh->n_proc, sizeof *sh->asked);
    sh->status = calloc(to, sizeof *sh->status);
    sh->detail = calloc(to, sizeof *sh->detail);
    sh->y = calloc((size_t)to * o->width, sizeof *sh->y);
    if (!sh->list || !sh->asked || !sh->status || !sh->detail || !sh->y)
        return opt_fail(o, "out of memory");
    for (unsigned r = 0; r < to; r++)
        if (!done[r])
            sh->list[sh->m++] = r;
    unsigned lo, hi;
    share(sh, 0, &lo, &hi);
    for (unsigned i = lo; i < hi; i++)
        local[sh->list[i]] = true;
    for (unsigned p = 1; p < sh->n_proc; p++) {
        share(sh, p, &lo, &hi);
        if (hi == lo)
            continue;
        if (opt_remote_ask(o, p, cf->value, sh->list + lo, hi - lo) != 0)
            return opt_fail(o, "cannot send work to process %u", p);
        sh->asked[p] = true;
    }
    return 0;
}

/* Every answer to ask_workers (all are read, whatever happened here). */
static int hear_workers(struct opt *o, unsigned c, struct shares *sh, int rc)
{
    for (unsigned p = 1; p < sh->n_proc; p++) {
        if (!sh->asked[p])
            continue;
        unsigned lo, hi;
        share(sh, p, &lo, &hi);
        char why[128];
        int a = opt_remote_answer(o, p, hi - lo, sh->status + lo, sh->detail + lo,
                                  sh->y + (size_t)lo * o->width, why, sizeof why);
        if (a == 0 || rc != 0)
            continue;
        rc = a == 1   ? opt_fail(o, "configuration %u: the scenario rejects it: %s", c + 1, why)
             : a == 2 ? opt_fail(o, "out of memory or a thread could not start")
             : a == 3 ? opt_fail(o, "stopped")
                      : opt_fail(o, "%s", why);
    }
    return rc;
}

/* Replications data[c].n .. to-1 of configuration c: those the journal
 * holds are read back; flyt_experiment's resume marks them and the earlier
 * ones done, so each replication keeps its own streams (CRN across
 * configurations) and is run once. With workers, the missing ones are
 * split into shares: the first is run here, the others on the workers. */
static int run_more(struct opt *o, unsigned c, unsigned to)
{
    struct opt_data *d = &o->data[c];
    const struct flyt_opt_config *cf = &o->rep->config[c];
    unsigned from = d->n;
    if (to <= from)
        return 0; /* never a 0-byte allocation below */
    if (to > d->cap) {
        double *y = realloc(d->y, (size_t)to * o->width * sizeof *y);
        if (!y)
            return opt_fail(o, "out of memory");
        d->y = y;
        d->cap = to;
    }
    bool *done = calloc(to, sizeof *done), *local = calloc(to, sizeof *local);
    if (!done || !local) {
        free(done);
        free(local);
        return opt_fail(o, "out of memory");
    }
    unsigned missing = 0;
    for (unsigned r = 0; r < to; r++) {
        done[r] = r < from || (o->journal && opt_journal_get(o->journal, cf->index, r,
                                                             d->y + (size_t)r * o->width));
        missing += !done[r];
    }
    o->rep->replications_resumed += to - from - missing;
    struct shares sh = { 0 };
    int rc = missing ? ask_workers(o, cf, &sh, done, to, local) : 0;
    unsigned n_local = 0;
    for (unsigned r = 0; r < to; r++)
        n_local += local[r];
    struct flyt_result *res = n_local && rc == 0 ? calloc(to, sizeof *res) : NULL;
    struct flyt_scenario *s = NULL;
    if (n_local && rc == 0 && res) {
        char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
        const char *sets[FLYT_OPT_MAX_ALL_SETS];
        int n = flyt_opt_sets(o->spec, cf->value, buf, sets);
        struct flyt_diag diag;
        flyt_diag_init(&diag);
        s = flyt_scenario_load(o->spec->scenario_path, sets, n, &diag);
        if (!s) {
            const char *t = diag.text ? diag.text : "cannot load the scenario\n";
            rc = opt_fail(o, "configuration %u: the scenario rejects it: %.*s", c + 1,
                          (int)strcspn(t, "\n"), t);
        }
        flyt_diag_free(&diag);
    } else if (n_local && rc == 0) {
        rc = opt_fail(o, "out of memory");
    }
    if (s) {
        s->series_off = true; /* KPIs only */
        /* the experiment runs only this process's share */
        for (unsigned r = 0; r < to; r++)
            local[r] = !local[r];
        struct journal_ctx jc = { o, cf->index, false };
        struct flyt_experiment_resume resume = { local, o->journal ? finished : NULL, &jc };
        rc = flyt_experiment_run_resume(s, to, o->opts->threads, res, NULL, NULL, NULL, &resume);
        for (unsigned r = 0; r < to; r++)
            local[r] = !local[r];
        if (rc == FLYT_EXPERIMENT_STOPPED || flyt_experiment_stop_requested())
            rc = opt_fail(o, "stopped");
        else if (rc < 0)
            rc = opt_fail(o, "out of memory or a thread could not start");
        else
            rc = 0; /* a replication that stopped early is named below */
    }
    if (missing && sh.asked)
        rc = hear_workers(o, c, &sh, rc);
    /* every missing replication, in order, wherever it ran */
    bool journal_failed = false;
    for (unsigned i = 0; i < sh.m && rc == 0; i++) {
        unsigned r = sh.list[i], bad = 0;
        double *y = d->y + (size_t)r * o->width;
        /* res is there whenever a replication ran here (rc is 0) */
        int status = local[r] ? (res ? res[r].status : FLYT_RUN_NOMEM) : sh.status[i];
        const char *detail =
                local[r] ? (res ? res[r].status_detail : "out of memory") : sh.detail[i];
        bool ok = status == FLYT_RUN_OK;
        if (ok && local[r] && res) {
            ok = figures(o, &res[r], y, &bad);
        } else if (ok) {
            memcpy(y, sh.y + (size_t)i * o->width, o->width * sizeof *y);
            ok = finite_figures(o, y, &bad);
            /* the local ones went to the journal as they finished */
            if (ok && o->journal && !journal_failed &&
                (journal_failed = opt_journal_append(o->journal, cf->index, r, y) != 0))
                fprintf(stderr, "flyt optimise: warning: cannot append to the journal; the run "
                                "goes on, but it cannot be resumed past this point\n");
        }
        if (status != FLYT_RUN_OK)
            rc = opt_fail(o, "configuration %u, replication %u stopped early: %s", c + 1, r,
                          detail);
        else if (!ok)
            rc = opt_fail(o,
                          "configuration %u, replication %u: KPI '%s' has no value (nothing "
                          "to measure)",
                          c + 1, r,
                          bad == 0 ? o->spec->objective.name
                                   : o->spec->constraints[bad - 1].kpi.name);
    }
    for (unsigned r = 0; res && r < to; r++)
        flyt_result_free(&res[r]);
    free(res);
    free(done);
    free(local);
    shares_free(&sh);
    flyt_scenario_free(s);
    if (rc != 0)
        return -1;
    d->n = to;
    o->rep->replications += to - from;
    return 0;
}

/* At least r replications of c, running ahead by a batch. */
static int need(struct opt *o, unsigned c, unsigned r)
{
    if (o->data[c].n >= r)
        return 0;
    unsigned to = o->data[c].n + BATCH > r ? o->data[c].n + BATCH : r;
    if (to > o->spec->max_replications)
        to = o->spec->max_replications;
    return run_more(o, c, to);
}

/* Two-pass sample variance over the first n values of f(i). */
static double variance(const struct opt *o, unsigned a, unsigned b, unsigned j, unsigned n)
{
    double m = 0, q = 0;
    for (unsigned r = 0; r < n; r++)
        m += value(o, a, r, j) - (b == a ? 0 : value(o, b, r, j));
    m /= n;
    for (unsigned r = 0; r < n; r++) {
        double e = value(o, a, r, j) - (b == a ? 0 : value(o, b, r, j)) - m;
        q += e * e;
    }
    return q / (n - 1);
}

/* h^2 for one pairwise or feasibility decision at error `err`, from the
 * first-stage n0 (Kim & Nelson 2001, c = 1): eta solves
 * 1/2 (1 + 2 eta)^(-(n0-1)/2) = err. */
double opt_h2(double err, unsigned n0)
{
    double eta = 0.5 * (pow(2.0 * err, -2.0 / (double)(n0 - 1)) - 1.0);
    return 2.0 * eta * (double)(n0 - 1);
}

static void progress(struct opt *o, const char *phase, unsigned c, unsigned decided, unsigned total)
{
    if (!o->opts->on_progress)
        return;
    struct flyt_opt_progress p = { phase, c, o->data[c].n, decided, total };
    o->opts->on_progress(&p, o->opts->ctx);
}

/* Batur & Kim's check for configuration c: per constraint the running sum
 * of (Y_r - q) (of (q - Y_r) for a min) against the triangle
 * +-max(0, h^2 S^2 / (2 eps) - eps r / 2). Infeasible as soon as one
 * constraint is; feasible once all are. */
static int check_feasible(struct opt *o, unsigned c)
{
    const struct flyt_opt_spec *spec = o->spec;
    struct flyt_opt_config *cf = &o->rep->config[c];
    unsigned n0 = spec->n0, L = (unsigned)spec->n_constraints;
    if (need(o, c, n0) != 0)
        return -1;
    o->data[c].feasibility_done = true;
    double s2[FLYT_OPT_MAX_CONSTRAINTS], sum[FLYT_OPT_MAX_CONSTRAINTS] = { 0 };
    bool open[FLYT_OPT_MAX_CONSTRAINTS];
    for (unsigned l = 0; l < L; l++) {
        s2[l] = variance(o, c, c, 1 + l, n0);
        open[l] = true;
    }
    unsigned n_open = L;
    for (unsigned r = 1; n_open > 0; r++) {
        if (r > spec->max_replications) {
            for (unsigned l = 0; l < L && cf->constraint < 0; l++)
                if (open[l])
                    cf->constraint = (int)l;
            cf->fate = FLYT_OPT_UNDECIDED;
            cf->n_feasible = spec->max_replications;
            o->rep->capped = true;
            return 0;
        }
        if (need(o, c, r) != 0)
            return -1;
        for (unsigned l = 0; l < L; l++) {
            const struct flyt_opt_constraint *k = &spec->constraints[l];
            double y = value(o, c, r - 1, 1 + l);
            sum[l] += k->upper ? y - k->bound : k->bound - y;
            if (!open[l] || r < n0)
                continue;
            double eps = k->tolerance;
            double R = fmax(0.0, o->rep->h2_feasibility * s2[l] / (2 * eps) - eps * r / 2);
            if (sum[l] <= -R) {
                open[l] = false;
                n_open--;
            } else if (sum[l] >= R) {
                cf->fate = FLYT_OPT_INFEASIBLE;
                cf->constraint = (int)l;
                cf->n_feasible = r;
                return 0;
            }
        }
        if (n_open == 0)
            cf->n_feasible = r;
    }
    if (L == 0)
        cf->n_feasible = n0;
    o->rep->n_feasible++;
    cf->fate = FLYT_OPT_TIED; /* feasible: the selection decides */
    return 0;
}

static bool feasible(const struct flyt_opt_config *cf)
{
    return cf->fate != FLYT_OPT_INFEASIBLE && cf->fate != FLYT_OPT_UNDECIDED &&
           cf->fate != FLYT_OPT_NOT_REACHED;
}

struct kn {
    unsigned k;    /* feasible configurations of the set */
    unsigned *idx; /* their indices */
    double h2;
    double *s2;  /* [k x k] variances of the differences over the first n0 */
    double *sum; /* [k] running sums of the objective */
    bool *alive;
    int *by;
};

static int kn_setup(struct opt *o, struct kn *kn, const unsigned *set, unsigned n)
{
    unsigned k = 0;
    kn->idx = malloc((n + 1) * sizeof *kn->idx);
    for (unsigned i = 0; kn->idx && i < n; i++)
        if (feasible(&o->rep->config[set[i]]))
            kn->idx[k++] = set[i];
    kn->k = k;
    kn->s2 = calloc((size_t)k * k + 1, sizeof *kn->s2);
    kn->sum = calloc(k + 1, sizeof *kn->sum);
    kn->alive = calloc(k + 1, sizeof *kn->alive);
    kn->by = calloc(k + 1, sizeof *kn->by);
    if (!kn->idx || !kn->s2 || !kn->sum || !kn->alive || !kn->by)
        return opt_fail(o, "out of memory");
    for (unsigned a = 0; a < k; a++) {
        kn->alive[a] = true;
        kn->by[a] = -1;
        struct flyt_opt_config *cf = &o->rep->config[kn->idx[a]];
        cf->fate = FLYT_OPT_TIED;
        cf->by = -1;
        cf->n_select = 0;
        if (need(o, kn->idx[a], o->spec->n0) != 0)
            return -1;
    }
    for (unsigned a = 0; a < k; a++)
        for (unsigned b = 0; b < k; b++)
            kn->s2[a * k + b] = a == b ? 0 : variance(o, kn->idx[a], kn->idx[b], 0, o->spec->n0);
    return 0;
}

static void kn_free(struct kn *kn)
{
    free(kn->idx);
    free(kn->s2);
    free(kn->sum);
    free(kn->alive);
    free(kn->by);
}

/* One step of KN at r replications (minimising): a is eliminated when
 * sum_a - sum_b > max(0, h^2 S2_ab / (2 delta) - delta r / 2) for some b
 * alive at the start of the step. Returns the number alive after it; sets
 * *closed when every pair still alive has an empty continuation region
 * (the remaining ones are equal: exact ties). */
static unsigned kn_step(struct opt *o, struct kn *kn, unsigned r, bool *closed)
{
    double delta = o->spec->indifference, h2 = kn->h2;
    unsigned k = kn->k;
    bool *out = calloc(k + 1, sizeof *out);
    if (!out)
        return 0;
    for (unsigned a = 0; a < k; a++) {
        for (unsigned b = 0; kn->alive[a] && b < k; b++) {
            if (b == a || !kn->alive[b])
                continue;
            double R = fmax(0.0, h2 * kn->s2[a * k + b] / (2 * delta) - delta * r / 2);
            if (kn->sum[a] - kn->sum[b] > R &&
                (kn->by[a] < 0 || kn->sum[b] < kn->sum[(unsigned)kn->by[a]])) {
                out[a] = true;
                kn->by[a] = (int)b;
                /* Once the triangle has closed only the sign decides; a
                 * mean difference under delta is then inside the
                 * indifference zone, where the guarantee does not say
                 * which is better: not distinguishable. */
                o->rep->config[kn->idx[a]].fate = R == 0 && (kn->sum[a] - kn->sum[b]) / r < delta
                                                          ? FLYT_OPT_TIED
                                                          : FLYT_OPT_ELIMINATED;
            }
        }
    }
    unsigned alive = 0;
    *closed = true;
    for (unsigned a = 0; a < k; a++) {
        if (out[a]) {
            kn->alive[a] = false;
            o->rep->config[kn->idx[a]].n_select = r;
        }
        alive += kn->alive[a];
    }
    for (unsigned a = 0; a < k; a++)
        for (unsigned b = 0; b < k; b++)
            if (a != b && kn->alive[a] && kn->alive[b] &&
                h2 * kn->s2[a * k + b] / (delta * delta) > r)
                *closed = false;
    free(out);
    return alive;
}

/* Whether configuration a's mean objective, paired with the pick's over
 * the replications both ran, is less than delta above it. */
static bool within_zone(const struct opt *o, unsigned a, unsigned pick)
{
    unsigned n = o->data[a].n < o->data[pick].n ? o->data[a].n : o->data[pick].n;
    if (n == 0)
        return false;
    double d = 0;
    for (unsigned r = 0; r < n; r++)
        d += value(o, a, r, 0) - value(o, pick, r, 0);
    return d / n < o->spec->indifference;
}

static int select_best(struct opt *o, const unsigned *set, unsigned n, int *pick)
{
    struct kn kn = { 0 };
    struct flyt_opt_report *rep = o->rep;
    int rc = kn_setup(o, &kn, set, n);
    unsigned alive, r = 1, n0 = o->spec->n0;
    if (kn.k > 1)
        rep->h2_selection = kn.h2 = opt_h2(o->spec->alpha / 2 / (kn.k - 1), n0);
    for (; rc == 0 && kn.k > 0; r++) {
        for (unsigned a = 0; a < kn.k; a++) {
            if (!kn.alive[a])
                continue;
            if ((rc = need(o, kn.idx[a], r)) != 0)
                break;
            kn.sum[a] += value(o, kn.idx[a], r - 1, 0);
        }
        if (rc != 0 || r < n0)
            continue;
        bool closed = false;
        alive = kn.k > 1 ? kn_step(o, &kn, r, &closed) : 1;
        if (alive == 0)
            rc = opt_fail(o, "out of memory");
        progress(o, "selection", kn.idx[0], kn.k - alive, kn.k);
        if (alive <= 1 || closed)
            break;
        if (r == o->spec->max_replications) {
            rep->capped = true;
            break;
        }
    }
    *pick = -1;
    if (rc == 0 && kn.k > 0) {
        int best = -1;
        for (unsigned a = 0; a < kn.k; a++)
            if (kn.alive[a] && (best < 0 || kn.sum[a] < kn.sum[best]))
                best = (int)a;
        /* kn_step never eliminates the last one standing */
        *pick = best >= 0 ? (int)kn.idx[best] : -1;
        for (unsigned a = 0; a < kn.k; a++) {
            struct flyt_opt_config *cf = &rep->config[kn.idx[a]];
            if (kn.alive[a]) {
                cf->n_select = r;
                cf->fate = (int)a == best ? FLYT_OPT_CHOSEN : FLYT_OPT_TIED;
                cf->by = (int)a == best ? -1 : (int)kn.idx[best];
            } else if (best >= 0 && within_zone(o, kn.idx[a], kn.idx[best])) {
                /* its cost is within delta of the pick's: the guarantee
                 * (the pick within delta of the best) cannot tell the two
                 * apart, whichever crossed the boundary first */
                cf->fate = FLYT_OPT_TIED;
                cf->by = (int)kn.idx[best];
            } else {
                cf->fate = FLYT_OPT_ELIMINATED;
                cf->by = (int)kn.idx[kn.by[a]];
            }
        }
    }
    kn_free(&kn);
    return rc;
}

int opt_decide(struct opt *o, const unsigned *set, unsigned k, int *pick)
{
    *pick = -1;
    unsigned n_decided = 0;
    for (unsigned i = 0; i < k; i++) {
        if (!o->data[set[i]].feasibility_done && check_feasible(o, set[i]) != 0)
            return -1;
        progress(o, "feasibility", set[i], ++n_decided, k);
    }
    bool any = false;
    for (unsigned i = 0; i < k; i++)
        any = any || feasible(&o->rep->config[set[i]]);
    return any ? select_best(o, set, k, pick) : 0;
}

int opt_visit(struct opt *o, const int *levels, unsigned round, bool seen_before)
{
    uint64_t index = flyt_opt_grid_index(o->spec, levels);
    struct flyt_opt_report *rep = o->rep;
    for (unsigned i = 0; seen_before && i < rep->n_configs; i++)
        if (rep->config[i].index == index)
            return (int)i;
    if (rep->n_configs == o->cap_configs) {
        unsigned cap = o->cap_configs ? 2 * o->cap_configs : 64;
        struct flyt_opt_config *c = realloc(rep->config, cap * sizeof *c);
        if (c)
            rep->config = c;
        struct opt_data *d = c ? realloc(o->data, cap * sizeof *d) : NULL;
        if (!d)
            return opt_fail(o, "out of memory");
        o->data = d;
        o->cap_configs = cap;
    }
    unsigned i = rep->n_configs++;
    struct flyt_opt_config *cf = &rep->config[i];
    memset(cf, 0, sizeof *cf);
    memset(&o->data[i], 0, sizeof o->data[i]);
    flyt_opt_level_values(o->spec, levels, cf->value);
    cf->index = index;
    cf->round = round;
    cf->fate = FLYT_OPT_NOT_REACHED;
    cf->constraint = -1;
    cf->by = -1;
    return (int)i;
}
