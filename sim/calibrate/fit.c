/* The fit: Nelder-Mead (GSL nmsimplex2) over the logit-mapped parameters,
 * each evaluation a full experiment with the same seed and replications. */
#include "flyt/calibrate.h"
#include "flyt/experiment.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <gsl/gsl_multimin.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What the minimiser sees once the budget is spent or a run failed: finite,
 * so GSL carries on to the end of its iteration, and worse than any real
 * point, so it never becomes the best. */
#define PENALTY 1e300

struct point {
    double x[FLYT_CALIB_MAX_PARAMS];
    double objective;
    struct flyt_stat st[FLYT_CALIB_MAX_TARGETS];
};

struct fit {
    const struct flyt_calib_spec *spec;
    const struct flyt_calib_options *opts;
    struct flyt_calib_report *rep;
    unsigned budget;
    unsigned n_rep;
    struct flyt_result *res;
    double *y;      /* n_rep x n_targets: the last evaluation, per replication */
    double *best_y; /* the same at the best point */
    struct point best;
    bool have_best, exhausted, failed;
    char err[256];
};

double flyt_calib_from_u(const struct flyt_calib_param *p, double u)
{
    return p->min + (p->max - p->min) / (1.0 + exp(-u));
}

double flyt_calib_to_u(const struct flyt_calib_param *p, double value)
{
    double s = (value - p->min) / (p->max - p->min);
    return log(s / (1.0 - s));
}

void flyt_calib_format_value(char *buf, size_t len, double value)
{
    snprintf(buf, len, "%.10g", value);
    /* a float literal, so a key the loader wants as an integer says so */
    if (!strpbrk(buf, ".eEni"))
        snprintf(buf + strlen(buf), len - strlen(buf), ".0");
}

/* The value as it is written into the scenario, so the point reported is
 * exactly the point evaluated. */
static double canonical(double value)
{
    char buf[48];
    flyt_calib_format_value(buf, sizeof buf, value);
    return strtod(buf, NULL);
}

int flyt_calib_sets(const struct flyt_calib_spec *spec, const double *x, bool with_run,
                    char (*buf)[FLYT_CALIB_SET_LEN], const char **out)
{
    int n = 0;
    for (int i = 0; i < spec->n_sets; i++)
        snprintf(buf[n++], FLYT_CALIB_SET_LEN, "%s", spec->sets[i]);
    if (with_run && spec->has_replications)
        snprintf(buf[n++], FLYT_CALIB_SET_LEN, "run.replications=%u", spec->replications);
    if (with_run && spec->has_seed)
        snprintf(buf[n++], FLYT_CALIB_SET_LEN, "run.seed=%llu", (unsigned long long)spec->seed);
    for (int i = 0; x && i < spec->n_params; i++) {
        const struct flyt_calib_param *p = &spec->params[i];
        for (int k = 0; k < p->n_keys && n < FLYT_CALIB_MAX_ALL_SETS; k++) {
            char v[48];
            flyt_calib_format_value(v, sizeof v,
                                    p->mode == FLYT_CALIB_SCALE ? p->base[k] * x[i] : x[i]);
            snprintf(buf[n++], FLYT_CALIB_SET_LEN, "%s=%s", p->keys[k], v);
        }
    }
    for (int i = 0; i < n; i++)
        out[i] = buf[i];
    return n;
}

static void set_err(struct fit *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct fit *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->err, sizeof f->err, fmt, ap);
    va_end(ap);
}

struct flyt_scenario *flyt_calib_load(const struct flyt_calib_spec *spec, const double *x,
                                      bool with_run, struct flyt_diag *d)
{
    char buf[FLYT_CALIB_MAX_ALL_SETS][FLYT_CALIB_SET_LEN];
    const char *sets[FLYT_CALIB_MAX_ALL_SETS];
    int n = flyt_calib_sets(spec, x, with_run, buf, sets);
    return flyt_scenario_load(spec->scenario_path, sets, n, d);
}

static struct flyt_scenario *load_at(struct fit *f, const double *x)
{
    struct flyt_diag d;
    flyt_diag_init(&d);
    struct flyt_scenario *s = flyt_calib_load(f->spec, x, true, &d);
    if (!s) {
        const char *text = d.text ? d.text : "cannot load the scenario\n";
        set_err(f, "the scenario rejects this point: %.*s", (int)strcspn(text, "\n"), text);
    }
    flyt_diag_free(&d);
    if (s)
        s->series_off = true; /* the fit reads KPIs only: no daily series */
    return s;
}

static int run_point(struct fit *f, const struct flyt_scenario *s)
{
    const struct flyt_calib_spec *spec = f->spec;
    int rc = flyt_experiment_run(s, f->n_rep, f->opts->threads, f->res, NULL, NULL);
    if (rc < 0)
        set_err(f, "out of memory or a thread could not start");
    for (unsigned r = 0; rc > 0 && r < f->n_rep; r++)
        if (f->res[r].status != FLYT_RUN_OK) {
            set_err(f, "replication %u stopped early: %s", r, f->res[r].status_detail);
            break;
        }
    for (unsigned r = 0; r < f->n_rep; r++) {
        for (int t = 0; t < spec->n_targets; t++)
            f->y[r * (unsigned)spec->n_targets + (unsigned)t] =
                    flyt_kpi_value(&f->res[r], spec->targets[t].kpi);
        flyt_result_free(&f->res[r]);
    }
    return rc == 0 ? 0 : -1;
}

/* Runs the experiment at p->x and fills p's statistics and objective. */
static int evaluate(struct fit *f, struct point *p)
{
    const struct flyt_calib_spec *spec = f->spec;
    struct flyt_scenario *s = load_at(f, p->x);
    if (!s)
        return -1;
    int rc = run_point(f, s);
    flyt_scenario_free(s);
    if (rc != 0)
        return -1;
    double *x = malloc(f->n_rep * sizeof *x);
    if (!x) {
        set_err(f, "out of memory");
        return -1;
    }
    p->objective = 0;
    for (int t = 0; t < spec->n_targets; t++) {
        const struct flyt_calib_target *tg = &spec->targets[t];
        for (unsigned r = 0; r < f->n_rep; r++)
            x[r] = f->y[r * (unsigned)spec->n_targets + (unsigned)t];
        p->st[t] = flyt_stat_in(x, f->n_rep, flyt_kpi_def(tg->kpi)->range);
        double z = (p->st[t].mean - tg->value) / tg->scale;
        p->objective += tg->weight * z * z;
        if (p->st[t].n == 0) {
            set_err(f, "KPI '%s' had no value in any replication (nothing to measure)",
                    tg->kpi_name);
            rc = -1;
        }
    }
    free(x);
    return rc;
}

static void announce(struct fit *f, const struct point *p, unsigned index, bool slope)
{
    if (!f->opts->on_eval)
        return;
    double mean[FLYT_CALIB_MAX_TARGETS];
    for (int t = 0; t < f->spec->n_targets; t++)
        mean[t] = p->st[t].mean;
    struct flyt_calib_eval ev = { index, p->x, p->objective, mean, slope };
    f->opts->on_eval(&ev, f->opts->ctx);
}

static double objective(const gsl_vector *u, void *ctx)
{
    struct fit *f = ctx;
    if (f->failed || f->exhausted)
        return PENALTY;
    if (f->rep->evaluations >= f->budget) {
        f->exhausted = true;
        return PENALTY;
    }
    struct point p;
    for (int k = 0; k < f->spec->n_params; k++)
        p.x[k] = canonical(flyt_calib_from_u(&f->spec->params[k], gsl_vector_get(u, (size_t)k)));
    if (evaluate(f, &p) != 0) {
        f->failed = true;
        return PENALTY;
    }
    f->rep->evaluations++;
    if (!f->have_best || p.objective < f->best.objective) {
        f->best = p;
        f->have_best = true;
        memcpy(f->best_y, f->y, f->n_rep * (size_t)f->spec->n_targets * sizeof *f->y);
    }
    announce(f, &p, f->rep->evaluations, false);
    return p.objective;
}

/* A first step that moves each parameter by a tenth of its range, towards
 * the side with more room. */
static double initial_step(const struct flyt_calib_param *p)
{
    double s = (p->start - p->min) / (p->max - p->min);
    double s2 = s <= 0.5 ? s + 0.1 : s - 0.1;
    return log(s2 / (1 - s2)) - log(s / (1 - s));
}

static bool within_all(const struct fit *f)
{
    for (int t = 0; t < f->spec->n_targets; t++) {
        const struct flyt_calib_target *tg = &f->spec->targets[t];
        if (tg->tolerance > 0 && !(fabs(f->best.st[t].mean - tg->value) <= tg->tolerance))
            return false;
    }
    return true;
}

static void describe_misses(const struct fit *f, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int t = 0; t < f->spec->n_targets && used < len; t++) {
        const struct flyt_calib_target *tg = &f->spec->targets[t];
        if (tg->tolerance > 0 && !(fabs(f->best.st[t].mean - tg->value) <= tg->tolerance))
            used += (size_t)snprintf(buf + used, len - used, "%s%s %.4g (target %g +- %g)",
                                     used ? ", " : "", tg->kpi_name, f->best.st[t].mean, tg->value,
                                     tg->tolerance);
    }
}

static int minimise(struct fit *f)
{
    const struct flyt_calib_spec *spec = f->spec;
    size_t n = (size_t)spec->n_params;
    gsl_multimin_fminimizer *m =
            gsl_multimin_fminimizer_alloc(gsl_multimin_fminimizer_nmsimplex2, n);
    gsl_vector *u0 = gsl_vector_alloc(n), *step = gsl_vector_alloc(n);
    if (!m || !u0 || !step) {
        gsl_multimin_fminimizer_free(m);
        gsl_vector_free(u0);
        gsl_vector_free(step);
        set_err(f, "out of memory");
        return -1;
    }
    for (size_t k = 0; k < n; k++) {
        gsl_vector_set(u0, k, flyt_calib_to_u(&spec->params[k], spec->params[k].start));
        gsl_vector_set(step, k, initial_step(&spec->params[k]));
    }
    gsl_multimin_function fn = { objective, n, f };
    int status = gsl_multimin_fminimizer_set(m, &fn, u0, step);
    bool settled = false;
    double size = INFINITY;
    while (status == GSL_SUCCESS && !f->failed && !f->exhausted) {
        size = gsl_multimin_fminimizer_size(m);
        if (size < spec->size_tolerance) {
            settled = true;
            break;
        }
        status = gsl_multimin_fminimizer_iterate(m);
    }
    f->rep->simplex_size = size;
    struct flyt_calib_report *rep = f->rep;
    char misses[200];
    if (f->failed) {
        rep->status = FLYT_CALIB_RUN_FAILED;
        snprintf(rep->detail, sizeof rep->detail, "%s", f->err);
    } else if (settled && within_all(f)) {
        rep->status = FLYT_CALIB_CONVERGED;
        snprintf(rep->detail, sizeof rep->detail,
                 "converged: simplex size %.3g < %g and every target within its tolerance", size,
                 spec->size_tolerance);
    } else if (settled) {
        rep->status = FLYT_CALIB_MISSED_TARGETS;
        describe_misses(f, misses, sizeof misses);
        snprintf(rep->detail, sizeof rep->detail,
                 "the simplex closed on a point outside the tolerance of %s", misses);
    } else if (f->exhausted) {
        rep->status = FLYT_CALIB_MAX_EVALS;
        describe_misses(f, misses, sizeof misses);
        snprintf(rep->detail, sizeof rep->detail,
                 "not converged in %u evaluations: simplex size %.3g (needs < %g)%s%.150s",
                 rep->evaluations, size, spec->size_tolerance,
                 *misses ? "; outside tolerance: " : "", misses);
    } else {
        rep->status = FLYT_CALIB_STUCK;
        snprintf(rep->detail, sizeof rep->detail, "the minimiser stopped: %s",
                 gsl_strerror(status));
    }
    gsl_multimin_fminimizer_free(m);
    gsl_vector_free(u0);
    gsl_vector_free(step);
    return 0;
}

/* Covariance of the target means at the best point, from the replications
 * where every target is defined. Returns the replications used. */
static unsigned mean_covariance(const struct fit *f, gsl_matrix *S)
{
    size_t nt = (size_t)f->spec->n_targets;
    double m[FLYT_CALIB_MAX_TARGETS] = { 0 };
    unsigned used = 0;
    for (unsigned r = 0; r < f->n_rep; r++) {
        const double *y = f->best_y + r * nt;
        bool ok = true;
        for (size_t t = 0; t < nt; t++)
            ok = ok && isfinite(y[t]);
        if (!ok)
            continue;
        used++;
        for (size_t t = 0; t < nt; t++)
            m[t] += y[t];
    }
    if (used < 2)
        return used;
    for (size_t t = 0; t < nt; t++)
        m[t] /= used;
    gsl_matrix_set_zero(S);
    for (unsigned r = 0; r < f->n_rep; r++) {
        const double *y = f->best_y + r * nt;
        bool ok = true;
        for (size_t t = 0; t < nt; t++)
            ok = ok && isfinite(y[t]);
        for (size_t i = 0; ok && i < nt; i++)
            for (size_t j = 0; j < nt; j++)
                *gsl_matrix_ptr(S, i, j) += (y[i] - m[i]) * (y[j] - m[j]) / (used - 1) / used;
    }
    return used;
}

/* Delta method: see flyt_calibrate in the header. */
static void parameter_intervals(struct fit *f, const gsl_matrix *J)
{
    const struct flyt_calib_spec *spec = f->spec;
    size_t np = (size_t)spec->n_params, nt = (size_t)spec->n_targets;
    gsl_matrix *S = gsl_matrix_alloc(nt, nt), *WJ = gsl_matrix_alloc(nt, np);
    gsl_matrix *A = gsl_matrix_alloc(np, np), *Ainv = gsl_matrix_alloc(np, np);
    gsl_matrix *SWJ = gsl_matrix_alloc(nt, np), *B = gsl_matrix_alloc(np, np);
    gsl_matrix *C = gsl_matrix_alloc(np, np), *tmp = gsl_matrix_alloc(np, np);
    gsl_permutation *perm = gsl_permutation_alloc(np);
    unsigned used = S ? mean_covariance(f, S) : 0;
    if (!WJ || !A || !Ainv || !SWJ || !B || !C || !tmp || !perm || used < 2)
        goto free_all;
    for (size_t t = 0; t < nt; t++)
        for (size_t k = 0; k < np; k++)
            gsl_matrix_set(WJ, t, k,
                           gsl_matrix_get(J, t, k) * spec->targets[t].weight /
                                   (spec->targets[t].scale * spec->targets[t].scale));
    int sign;
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, J, WJ, 0.0, A);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, S, WJ, 0.0, SWJ);
    gsl_blas_dgemm(CblasTrans, CblasNoTrans, 1.0, WJ, SWJ, 0.0, B);
    if (gsl_linalg_LU_decomp(A, perm, &sign) != GSL_SUCCESS || gsl_linalg_LU_det(A, sign) == 0 ||
        gsl_linalg_LU_invert(A, perm, Ainv) != GSL_SUCCESS)
        goto free_all; /* the targets do not pin every parameter down */
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, Ainv, B, 0.0, tmp);
    gsl_blas_dgemm(CblasNoTrans, CblasNoTrans, 1.0, tmp, Ainv, 0.0, C);
    double tq = gsl_cdf_tdist_Pinv(0.975, used - 1);
    for (size_t k = 0; k < np; k++) {
        double v = gsl_matrix_get(C, k, k);
        f->rep->ci_half[k] = isfinite(v) && v >= 0 ? tq * sqrt(v) : NAN;
    }
free_all:
    gsl_permutation_free(perm);
    gsl_matrix_free(tmp);
    gsl_matrix_free(C);
    gsl_matrix_free(B);
    gsl_matrix_free(SWJ);
    gsl_matrix_free(Ainv);
    gsl_matrix_free(A);
    gsl_matrix_free(WJ);
    gsl_matrix_free(S);
}

/* Central differences around the best point, one-sided where it lies
 * closer than a step to its range's edge. A failed run leaves the
 * intervals unknown; the fit itself stands. */
static void slopes(struct fit *f)
{
    const struct flyt_calib_spec *spec = f->spec;
    size_t np = (size_t)spec->n_params, nt = (size_t)spec->n_targets;
    gsl_matrix *J = gsl_matrix_alloc(nt, np);
    if (!J)
        return;
    for (size_t k = 0; k < np; k++) {
        const struct flyt_calib_param *p = &spec->params[k];
        double h = spec->slope_step * (p->max - p->min), x0 = f->best.x[k];
        struct point side[2] = { f->best, f->best };
        side[0].x[k] = canonical(fmax(x0 - h, p->min));
        side[1].x[k] = canonical(fmin(x0 + h, p->max));
        for (int s = 0; s < 2; s++) {
            if (side[s].x[k] == x0)
                continue;
            if (evaluate(f, &side[s]) != 0)
                goto done;
            f->rep->slope_evaluations++;
            announce(f, &side[s], f->rep->evaluations + f->rep->slope_evaluations, true);
        }
        for (size_t t = 0; t < nt; t++) {
            double d = (side[1].st[t].mean - side[0].st[t].mean) / (side[1].x[k] - side[0].x[k]);
            gsl_matrix_set(J, t, k, d);
            f->rep->slope[t][k] = d;
        }
    }
    parameter_intervals(f, J);
done:
    gsl_matrix_free(J);
}

static void fill_targets(struct fit *f)
{
    for (int t = 0; t < f->spec->n_targets; t++) {
        const struct flyt_calib_target *tg = &f->spec->targets[t];
        struct flyt_calib_target_result *out = &f->rep->target[t];
        const struct flyt_stat *st = &f->best.st[t];
        out->mean = f->have_best ? st->mean : NAN;
        out->ci_half = f->have_best ? st->ci_half : NAN;
        out->ci_low = f->have_best ? st->ci_low : NAN;
        out->ci_high = f->have_best ? st->ci_high : NAN;
        out->n = f->have_best ? st->n : 0;
        out->within =
                f->have_best && (tg->tolerance <= 0 || fabs(st->mean - tg->value) <= tg->tolerance);
    }
    for (int k = 0; k < f->spec->n_params; k++)
        f->rep->fitted[k] = f->have_best ? f->best.x[k] : f->spec->params[k].start;
    f->rep->objective = f->have_best ? f->best.objective : NAN;
}

static int prepare(struct fit *f)
{
    double x[FLYT_CALIB_MAX_PARAMS] = { 0 }; /* the first n_params are read */
    for (int k = 0; k < f->spec->n_params; k++)
        x[k] = f->spec->params[k].start;
    struct flyt_scenario *s = load_at(f, x);
    if (!s)
        return -1;
    f->n_rep = s->replications;
    f->rep->replications = s->replications;
    f->rep->seed = s->seed;
    flyt_scenario_free(s);
    size_t ny = f->n_rep * (size_t)f->spec->n_targets;
    f->res = calloc(f->n_rep, sizeof *f->res);
    f->y = calloc(ny, sizeof *f->y);
    f->best_y = calloc(ny, sizeof *f->best_y);
    if (!f->res || !f->y || !f->best_y) {
        set_err(f, "out of memory");
        return -1;
    }
    return 0;
}

int flyt_calibrate(const struct flyt_calib_spec *spec, const struct flyt_calib_options *opts,
                   struct flyt_calib_report *report)
{
    static const struct flyt_calib_options defaults = { 0 };
    memset(report, 0, sizeof *report);
    struct fit f = { .spec = spec, .opts = opts ? opts : &defaults, .rep = report };
    f.budget = f.opts->max_evaluations ? f.opts->max_evaluations : spec->max_evaluations;
    for (int k = 0; k < spec->n_params; k++) {
        report->start[k] = spec->params[k].start;
        report->fitted[k] = spec->params[k].start;
        report->ci_half[k] = NAN;
    }
    int rc = prepare(&f) == 0 && minimise(&f) == 0 ? 0 : -1;
    if (rc != 0) {
        snprintf(report->detail, sizeof report->detail, "%s", f.err);
        report->status = FLYT_CALIB_RUN_FAILED;
    }
    fill_targets(&f);
    if (rc == 0 && f.have_best && report->status != FLYT_CALIB_RUN_FAILED && !f.opts->no_slopes)
        slopes(&f);
    free(f.res);
    free(f.y);
    free(f.best_y);
    return rc;
}
