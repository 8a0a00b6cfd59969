/* flyt optimise's procedure on cases with a known answer: an M/M/c bed
 * unit whose mean wait is Erlang C's and whose cost grows with c, and
 * configurations that are exactly the same. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/optimise.h"
#include "support.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MMC FLYT_SOURCE_DIR "/scenarios/validation/mmc-rho070.cfg"

/* The spec text in a temporary file; its path in path. */
static void write_spec(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/flyt-test-optimise-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static struct flyt_opt_spec *load(const char *text, struct flyt_diag *d)
{
    char path[64];
    write_spec(path, sizeof path, text);
    flyt_diag_init(d);
    struct flyt_opt_spec *spec = flyt_opt_spec_load(path, d);
    unlink(path);
    return spec;
}

/* Wq of M/M/c through the Erlang B recursion (as test_stat_queueing.c). */
static double erlang_wq(int c, double lambda, double mu)
{
    double a = lambda / mu, b = 1.0;
    for (int k = 1; k <= c; k++)
        b = a * b / (k + a * b);
    return c * b / (c - a * (1.0 - b)) / (c * mu - lambda);
}

/* lambda 7, mu 1; c from 8 to 14 with Wq 0.64, 0.19, 0.074, 0.030, ...
 * The limit 0.15 with tolerance 0.03 is clear of every c's wait, so the
 * answer is one: the smallest c with Wq <= 0.15. Each place costs 1000 a
 * year and each bed-day 10, so the cost is random (the occupancy is) but
 * its differences between c are nearly all in the places. */
static void picks_the_smallest_c_whose_erlang_wait_is_below_the_limit(void **state)
{
    (void)state;
    const double limit = 0.15, tol = 0.03;
    int expect = -1;
    for (int c = 8; c <= 14; c++) {
        double wq = erlang_wq(c, 7.0, 1.0);
        assert_true(fabs(wq - limit) > tol); /* the case has one right answer */
        if (expect < 0 && wq <= limit)
            expect = c;
    }
    assert_int_equal(expect, 10);
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=1100.0\", \"run.warmup_days=100.0\",\n"
                 "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
                 "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
                 "replications = 10;\nseed = 11;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 14; } );\n"
                 "objective_indifference = 200.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.15; tolerance = 0.03; } );\n",
                 &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.n_configs, 7);
    assert_true(rep.chosen >= 0);
    assert_int_equal(rep.config[rep.chosen].value[0], expect);
    for (unsigned c = 0; c < rep.n_configs; c++) {
        const struct flyt_opt_config *cf = &rep.config[c];
        if (cf->value[0] < expect) {
            assert_int_equal(cf->fate, FLYT_OPT_INFEASIBLE);
            assert_int_equal(cf->constraint, 0);
        } else if (cf->value[0] > expect) {
            assert_int_equal(cf->fate, FLYT_OPT_ELIMINATED);
            assert_true(cf->objective.mean > rep.config[rep.chosen].objective.mean);
        }
        assert_true(cf->n_run >= spec->n0);
    }
    assert_int_equal(rep.n_feasible, 5);
    assert_false(rep.capped);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* A variable the model never reads (overflow is never priced: a beds unit
 * without overflow never uses it) makes pairs of identical
 * configurations: both are reported, neither can be told from the other,
 * and the lower index is chosen. */
static void identical_configurations_are_not_distinguishable(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec = load(
            "scenario = \"" MMC "\";\n"
            "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\",\n"
            "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
            "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
            "replications = 8;\nseed = 3;\n"
            "variables = ( { key = \"units.short_term.capacity\"; min = 10; max = 11; },\n"
            "  { key = \"cost.units.short_term.overflow_bed_day_nok\"; min = 0; max = 1; } );\n"
            "objective_indifference = 100.0;\n"
            "constraints = ( { kpi = \"ukp_wait_mean\"; max = 1.0; tolerance = 0.05; } );\n",
            &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 1, NULL, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.n_configs, 4);
    assert_int_equal(rep.chosen, 0);
    assert_int_equal(rep.config[0].fate, FLYT_OPT_CHOSEN);
    assert_int_equal(rep.config[1].fate, FLYT_OPT_TIED);
    assert_int_equal(rep.config[1].by, 0);
    assert_true(rep.config[0].objective.mean == rep.config[1].objective.mean);
    assert_int_equal(rep.config[2].fate, FLYT_OPT_ELIMINATED);
    assert_int_equal(rep.config[3].fate, FLYT_OPT_ELIMINATED);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* A limit no configuration meets: every one infeasible, nothing chosen. */
static void reports_none_when_every_configuration_breaks_the_limit(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\" ];\n"
                 "replications = 8;\nseed = 3;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 9; } );\n"
                 "objective = \"occ_ukp\";\nobjective_indifference = 100.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.05; tolerance = 0.01; } );\n",
                 &d);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 1, NULL, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.chosen, -1);
    assert_int_equal(rep.n_feasible, 0);
    assert_int_equal(rep.config[0].fate, FLYT_OPT_INFEASIBLE);
    assert_int_equal(rep.config[1].fate, FLYT_OPT_INFEASIBLE);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* Every mistake at its line, all of them, before anything runs. */
static void rejects_bad_specs_at_their_lines(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "replications = 8;\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 12; max = 11; },\n"
                 "  { key = \"units.short_term.capacty\"; min = 1; max = 2; } );\n"
                 "objective_indifference = 100.0;\n"
                 "constraints = ( { kpi = \"ukp_wait_average\"; max = 0.05; tolerance = 0.01; } "
                 ");\n"
                 "colour = 3;\n",
                 &d);
    assert_null(spec);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, ":3: error: variables[0].max: empty range"));
    assert_non_null(strstr(d.text, ":4: error: variables[1]: at min = 1 the scenario rejects it"));
    assert_non_null(
            strstr(d.text, ":6: error: constraints[0].kpi: unknown KPI 'ukp_wait_average'"));
    assert_non_null(strstr(d.text, ":7: error: colour: unknown key"));
    flyt_diag_free(&d);
}

/* The M/M/c unit of the first test in a space too large for the grid: the
 * capacity from 8 to 40 and a variable the model never reads (overflow is
 * never priced here) from 0 to 20, 693 configurations against a cap of
 * 500, so the spec's default is the local search. The cheapest feasible
 * capacity is known (c = 10, Erlang C), and every configuration with it is
 * as cheap as any other: the search must end on c = 10. */
static const char LOCAL_SPEC[] =
        "scenario = \"" MMC "\";\n"
        "set = [ \"run.horizon_days=1100.0\", \"run.warmup_days=100.0\",\n"
        "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
        "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
        "replications = 10;\nseed = 11;\n"
        "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 40; },\n"
        "  { key = \"cost.units.short_term.overflow_bed_day_nok\"; min = 0; max = 20; } );\n"
        "objective_indifference = 200.0;\n"
        "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.15; tolerance = 0.03; } );\n";

static void local_search_finds_the_cheapest_feasible_capacity(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec = load(LOCAL_SPEC, &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    assert_int_equal(spec->search, FLYT_OPT_SEARCH_LOCAL);
    assert_true(spec->n_grid == 33 * 21);
    struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_int_equal(rep.search, FLYT_OPT_SEARCH_LOCAL);
    assert_true(rep.chosen >= 0);
    assert_false(rep.exhausted);
    assert_true(rep.config[rep.chosen].value[0] == 10);
    assert_true(rep.rounds >= 1);
    assert_true(rep.n_configs < 100); /* a search, not the grid */
    /* the local optimum: c = 9 was compared (a neighbour of c = 10) and
     * found infeasible */
    bool saw9 = false;
    for (unsigned c = 0; c < rep.n_configs; c++)
        if (rep.config[c].value[0] == 9) {
            saw9 = true;
            assert_int_equal(rep.config[c].fate, FLYT_OPT_INFEASIBLE);
        }
    assert_true(saw9);
    /* the same answer and the same replications on one thread */
    struct flyt_opt_report one;
    opts.threads = 1;
    assert_int_equal(flyt_optimise(spec, &opts, &one), 0);
    assert_int_equal(one.n_configs, rep.n_configs);
    assert_int_equal(one.chosen, rep.chosen);
    for (unsigned c = 0; c < rep.n_configs; c++) {
        assert_int_equal(one.config[c].n_run, rep.config[c].n_run);
        assert_true(one.config[c].objective.mean == rep.config[c].objective.mean);
    }
    flyt_opt_report_free(&one);
    /* a local search read back from its journal visits the same
     * configurations in the same order and decides the same */
    char jpath[64];
    write_spec(jpath, sizeof jpath, "");
    unlink(jpath);
    struct flyt_opt_journal jo = { jpath, false };
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &one), 0);
    flyt_opt_report_free(&one);
    jo.resume = true;
    opts.threads = 2;
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &one), 0);
    unlink(jpath);
    assert_int_equal(one.replications_resumed, rep.replications);
    assert_int_equal(one.n_configs, rep.n_configs);
    assert_int_equal(one.chosen, rep.chosen);
    for (unsigned c = 0; c < rep.n_configs; c++) {
        assert_true(one.config[c].index == rep.config[c].index);
        assert_int_equal(one.config[c].fate, rep.config[c].fate);
        assert_true(one.config[c].objective.mean == rep.config[c].objective.mean);
    }
    flyt_opt_report_free(&one);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
}

/* A local search that reaches max_configurations stops there with its
 * incumbent and says so: the pick is then no local optimum. */
static void local_search_stops_at_max_configurations(void **state)
{
    (void)state;
    char text[2048];
    snprintf(text, sizeof text, "%smax_configurations = 9;\n", LOCAL_SPEC);
    struct flyt_diag d;
    struct flyt_opt_spec *spec = load(text, &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
    struct flyt_opt_report rep;
    assert_int_equal(flyt_optimise(spec, &opts, &rep), 0);
    assert_true(rep.exhausted);
    assert_true(rep.n_configs <= 9);
    assert_true(rep.chosen >= 0);
    assert_int_equal(rep.config[rep.chosen].fate, FLYT_OPT_CHOSEN);
    flyt_opt_report_free(&rep);
    flyt_opt_spec_free(spec);
    /* a start larger than the cap is refused at its line */
    snprintf(text, sizeof text, "%smax_configurations = 9;\nstart_points = 9;\n", LOCAL_SPEC);
    assert_null(load(text, &d));
    assert_non_null(strstr(d.text, ":12: error: start_points: the local search starts from"));
    flyt_diag_free(&d);
}

/* A journal read back gives the same report as the run that wrote it, and
 * one cut mid-record (a kill mid-write) is read up to the cut; a journal
 * of another spec is refused (-2). */
static void a_resumed_run_matches_the_uninterrupted_one(void **state)
{
    (void)state;
    const char *text =
            "scenario = \"" MMC "\";\n"
            "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\",\n"
            "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
            "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
            "replications = 8;\nseed = 5;\n"
            "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 12; } );\n"
            "objective_indifference = 200.0;\n"
            "constraints = ( { kpi = \"ukp_wait_mean\"; max = 0.15; tolerance = 0.03; } );\n";
    struct flyt_diag d;
    struct flyt_opt_spec *spec = load(text, &d);
    assert_non_null(spec);
    flyt_diag_free(&d);
    char jpath[64];
    write_spec(jpath, sizeof jpath, "");
    unlink(jpath);
    struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
    struct flyt_opt_journal jo = { jpath, false };
    struct flyt_opt_report full, again, cut;
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &full), 0);
    assert_int_equal(full.replications_resumed, 0);
    /* without --resume an existing journal is refused */
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &again), -2);
    assert_non_null(strstr(again.detail, "--resume"));
    flyt_opt_report_free(&again);
    jo.resume = true;
    opts.threads = 1;
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &again), 0);
    assert_int_equal(again.replications_resumed, full.replications);
    struct stat st;
    assert_int_equal(stat(jpath, &st), 0);
    assert_int_equal(truncate(jpath, st.st_size / 2 + 3), 0);
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &cut), 0);
    assert_true(cut.replications_resumed > 0 && cut.replications_resumed < full.replications);
    const struct flyt_opt_report *r[2] = { &again, &cut };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(r[k]->chosen, full.chosen);
        assert_int_equal(r[k]->replications, full.replications);
        for (unsigned c = 0; c < full.n_configs; c++) {
            assert_int_equal(r[k]->config[c].fate, full.config[c].fate);
            assert_int_equal(r[k]->config[c].n_run, full.config[c].n_run);
            assert_memory_equal(&r[k]->config[c].objective.mean, &full.config[c].objective.mean,
                                5 * sizeof(double));
            assert_memory_equal(&r[k]->config[c].constraint_stat[0].mean,
                                &full.config[c].constraint_stat[0].mean, 5 * sizeof(double));
        }
    }
    flyt_opt_report_free(&full);
    flyt_opt_report_free(&again);
    flyt_opt_report_free(&cut);
    flyt_opt_spec_free(spec);
    /* another spec (another seed) finds this journal and refuses it */
    char *other = strdup(text);
    assert_non_null(other);
    memcpy(strstr(other, "seed = 5"), "seed = 6", 8);
    spec = load(other, &d);
    free(other);
    assert_non_null(spec);
    flyt_diag_free(&d);
    assert_int_equal(flyt_optimise_with(spec, &opts, &jo, &again), -2);
    assert_non_null(strstr(again.detail, "another optimisation spec"));
    flyt_opt_report_free(&again);
    flyt_opt_spec_free(spec);
    unlink(jpath);
}

/* An in-process transport: a mailbox per (sender, receiver), workers on
 * threads of their own, as Open MPI ranks would be (flyt_opt_transport). */
#define N_PROC 3
struct mail {
    void *buf;
    size_t len;
    struct mail *next;
};
struct box {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct mail *head, *tail;
};
struct net {
    struct box box[N_PROC][N_PROC]; /* [from][to] */
    const struct flyt_opt_spec *spec;
};
struct proc {
    struct net *net;
    int self;
    struct flyt_opt_transport t;
    int rc;
};

static int net_send(void *ctx, int to, const void *buf, size_t len)
{
    struct proc *p = ctx;
    struct box *b = &p->net->box[p->self][to];
    struct mail *m = malloc(sizeof *m);
    assert_non_null(m);
    m->buf = malloc(len ? len : 1);
    assert_non_null(m->buf);
    memcpy(m->buf, buf, len);
    m->len = len;
    m->next = NULL;
    pthread_mutex_lock(&b->lock);
    if (b->tail)
        b->tail->next = m;
    else
        b->head = m;
    b->tail = m;
    pthread_cond_signal(&b->cond);
    pthread_mutex_unlock(&b->lock);
    return 0;
}

static void *net_recv(void *ctx, int from, size_t *len)
{
    struct proc *p = ctx;
    struct box *b = &p->net->box[from][p->self];
    pthread_mutex_lock(&b->lock);
    while (!b->head)
        pthread_cond_wait(&b->cond, &b->lock);
    struct mail *m = b->head;
    b->head = m->next;
    if (!b->head)
        b->tail = NULL;
    pthread_mutex_unlock(&b->lock);
    void *buf = m->buf;
    *len = m->len;
    free(m);
    return buf;
}

static void *serve(void *arg)
{
    struct proc *p = arg;
    p->rc = flyt_opt_serve(p->net->spec, 1, &p->t);
    return NULL;
}

#define SHARED_SPEC                                                            \
    "scenario = \"" MMC "\";\n"                                                \
    "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\",\n"         \
    "        \"cost.units.short_term.place_year_nok=1000.0\",\n"               \
    "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"                  \
    "replications = 8;\nseed = 5;\n%s"                                         \
    "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 12; " \
    "} );\n"                                                                   \
    "objective_indifference = 200.0;\n"                                        \
    "constraints = ( { kpi = \"ukp_wait_mean\"; max = %s; tolerance = %s; } "  \
    ");\n"

/* Replications shared with two workers give the very figures, decisions
 * and pick of one process: grid, local search, and nothing feasible. */
static void workers_give_the_same_report_as_one_process(void **state)
{
    (void)state;
    const char *cases[][3] = { { "", "0.15", "0.03" },
                               { "search = \"local\";\n", "0.15", "0.03" },
                               { "", "0.01", "0.005" } };
    for (int k = 0; k < 3; k++) {
        char text[2048];
        snprintf(text, sizeof text, SHARED_SPEC, cases[k][0], cases[k][1], cases[k][2]);
        struct flyt_diag d;
        struct flyt_opt_spec *spec = load(text, &d);
        assert_non_null(spec);
        flyt_diag_free(&d);
        struct flyt_opt_options one = { 2, NULL, NULL, NULL };
        struct flyt_opt_report a, b;
        assert_int_equal(flyt_optimise(spec, &one, &a), 0);

        struct net *net = calloc(1, sizeof *net);
        assert_non_null(net);
        net->spec = spec;
        for (int i = 0; i < N_PROC; i++)
            for (int j = 0; j < N_PROC; j++) {
                pthread_mutex_init(&net->box[i][j].lock, NULL);
                pthread_cond_init(&net->box[i][j].cond, NULL);
            }
        struct proc proc[N_PROC];
        pthread_t th[N_PROC];
        for (int i = 0; i < N_PROC; i++) {
            proc[i] = (struct proc){ net, i, { N_PROC - 1, net_send, net_recv, &proc[i] }, 0 };
            if (i > 0)
                assert_int_equal(pthread_create(&th[i], NULL, serve, &proc[i]), 0);
        }
        struct flyt_opt_options shared = { 1, NULL, NULL, &proc[0].t };
        int rc = flyt_optimise(spec, &shared, &b);
        flyt_opt_stop_workers(&proc[0].t);
        for (int i = 1; i < N_PROC; i++) {
            pthread_join(th[i], NULL);
            assert_int_equal(proc[i].rc, 0);
        }
        assert_int_equal(rc, 0);
        assert_int_equal(b.chosen, a.chosen);
        assert_int_equal(b.n_configs, a.n_configs);
        assert_int_equal(b.replications, a.replications);
        assert_int_equal(b.n_feasible, a.n_feasible);
        for (unsigned c = 0; c < a.n_configs; c++) {
            assert_int_equal(b.config[c].fate, a.config[c].fate);
            assert_int_equal(b.config[c].by, a.config[c].by);
            assert_int_equal(b.config[c].n_run, a.config[c].n_run);
            assert_memory_equal(&b.config[c].objective.mean, &a.config[c].objective.mean,
                                5 * sizeof(double));
            assert_memory_equal(&b.config[c].constraint_stat[0].mean,
                                &a.config[c].constraint_stat[0].mean, 5 * sizeof(double));
        }
        assert_int_equal(a.chosen >= 0, k < 2);
        for (int i = 0; i < N_PROC; i++)
            for (int j = 0; j < N_PROC; j++) {
                assert_null(net->box[i][j].head); /* every message was read */
                pthread_mutex_destroy(&net->box[i][j].lock);
                pthread_cond_destroy(&net->box[i][j].cond);
            }
        free(net);
        flyt_opt_report_free(&a);
        flyt_opt_report_free(&b);
        flyt_opt_spec_free(spec);
    }
}

/* A weighted-sum objective is the weighted sum of the KPIs' values,
 * replication by replication: its mean is the same sum of their means. */
static void a_weighted_objective_is_the_sum_of_its_terms(void **state)
{
    (void)state;
    const char *head = "scenario = \"" MMC "\";\n"
                       "set = [ \"run.horizon_days=600.0\", \"run.warmup_days=100.0\",\n"
                       "        \"cost.units.short_term.place_year_nok=1000.0\",\n"
                       "        \"cost.units.short_term.bed_day_nok=10.0\" ];\n"
                       "replications = 8;\nseed = 3;\n"
                       "variables = ( { key = \"units.short_term.capacity\"; min = 10; max = 11; "
                       "} );\n"
                       "objective_indifference = 100.0;\n"
                       "constraints = ( { kpi = \"ukp_wait_mean\"; max = 1.0; tolerance = 0.05; "
                       "} );\n";
    char text[2048];
    struct flyt_diag d;
    struct flyt_opt_options opts = { 2, NULL, NULL, NULL };
    struct flyt_opt_report a, b;
    snprintf(text, sizeof text, "%s", head);
    struct flyt_opt_spec *sa = load(text, &d);
    assert_non_null(sa);
    flyt_diag_free(&d);
    snprintf(text, sizeof text,
             "%sobjective = ( { kpi = \"cost_total_per_year\"; weight = 2.0; },\n"
             "  { kpi = \"ukp_wait_mean\"; weight = -1000.0; } );\n",
             head);
    struct flyt_opt_spec *sb = load(text, &d);
    if (!sb)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(sb);
    flyt_diag_free(&d);
    assert_int_equal(sb->n_terms, 2);
    assert_int_equal(flyt_optimise(sa, &opts, &a), 0);
    assert_int_equal(flyt_optimise(sb, &opts, &b), 0);
    for (unsigned c = 0; c < 2; c++) {
        /* the same replications (CRN) in both runs for those compared */
        unsigned n = a.config[c].n_run < b.config[c].n_run ? a.config[c].n_run : b.config[c].n_run;
        assert_true(n >= 8);
        if (a.config[c].n_run != b.config[c].n_run)
            continue;
        double want =
                2.0 * a.config[c].objective.mean - 1000.0 * a.config[c].constraint_stat[0].mean;
        assert_true(fabs(b.config[c].objective.mean - want) <= 1e-9 * fabs(want));
    }
    flyt_opt_report_free(&a);
    flyt_opt_report_free(&b);
    flyt_opt_spec_free(sa);
    flyt_opt_spec_free(sb);
}

/* A fractional step gives every value from min to max, max included when
 * the steps reach it up to rounding (0 to 0.3 by 0.1: four values). */
static void fractional_steps_reach_max(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "variables = ( { key = \"cost.units.short_term.overflow_bed_day_nok\"; min = 0.0; "
                 "max = 0.3; step = 0.1; },\n"
                 "  { key = \"units.short_term.capacity\"; min = 10; max = 12; step = 2; } );\n"
                 "objective_indifference = 100.0;\n",
                 &d);
    if (!spec)
        fputs(d.text ? d.text : "", stderr);
    assert_non_null(spec);
    flyt_diag_free(&d);
    assert_int_equal(spec->vars[0].n_values, 4);
    assert_false(spec->vars[0].integer);
    assert_true(spec->vars[1].integer);
    assert_int_equal(spec->n_configs, 8);
    int lv[FLYT_OPT_MAX_VARS];
    double v[FLYT_OPT_MAX_VARS];
    flyt_opt_config_levels(spec, 7, lv);
    flyt_opt_level_values(spec, lv, v);
    assert_true(v[0] == 0.0 + 0.1 * 3 && v[1] == 12);
    assert_int_equal(flyt_opt_grid_index(spec, lv), 7);
    char buf[FLYT_OPT_MAX_ALL_SETS][FLYT_OPT_SET_LEN];
    const char *sets[FLYT_OPT_MAX_ALL_SETS];
    int n = flyt_opt_sets(spec, v, buf, sets);
    assert_int_equal(n, 2);
    assert_string_equal(sets[0], "cost.units.short_term.overflow_bed_day_nok=0.30000000000000004");
    assert_string_equal(sets[1], "units.short_term.capacity=12");
    v[0] = 2.0;
    flyt_opt_sets(spec, v, buf, sets);
    assert_string_equal(sets[0], "cost.units.short_term.overflow_bed_day_nok=2.0");
    flyt_opt_spec_free(spec);
}

/* The new keys' mistakes, each at its line. */
/* The default objective is a cost: a scenario that prices nothing would
 * make every configuration cost 0. */
static void a_cost_objective_needs_prices(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 9; } );\n"
                 "objective_indifference = 100.0;\n",
                 &d);
    assert_null(spec);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, "'cost_total_per_year' is a cost, but the scenario prices "
                                   "nothing"));
    flyt_diag_free(&d);
}

static void rejects_bad_search_steps_and_weights_at_their_lines(void **state)
{
    (void)state;
    struct flyt_diag d;
    struct flyt_opt_spec *spec =
            load("scenario = \"" MMC "\";\n"
                 "search = \"anneal\";\n"
                 "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 9; step = 0; "
                 "} );\n"
                 "objective = ( { kpi = \"cost_total_per_year\"; weight = 0.0; },\n"
                 "  { kpi = \"ukp_wait_avg\"; weight = 1.0; } );\n"
                 "objective_indifference = 100.0;\n",
                 &d);
    assert_null(spec);
    assert_non_null(d.text);
    assert_non_null(strstr(d.text, ":2: error: search: expected \"grid\""));
    assert_non_null(strstr(d.text, ":3: error: variables[0].step: must be > 0"));
    assert_non_null(strstr(d.text, ":4: error: objective[0].weight: must be a finite number"));
    assert_non_null(strstr(d.text, ":5: error: objective[1].kpi: unknown KPI 'ukp_wait_avg'"));
    flyt_diag_free(&d);
    spec = load("scenario = \"" MMC "\";\n"
                "search = \"grid\";\nmax_configurations = 10;\n"
                "variables = ( { key = \"units.short_term.capacity\"; min = 8; max = 30; } );\n"
                "objective_indifference = 100.0;\n",
                &d);
    assert_null(spec);
    assert_non_null(strstr(d.text, ":4: error: variables: the grid has 23 configurations, more "
                                   "than max_configurations (10)"));
    flyt_diag_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(picks_the_smallest_c_whose_erlang_wait_is_below_the_limit),
        cmocka_unit_test(identical_configurations_are_not_distinguishable),
        cmocka_unit_test(reports_none_when_every_configuration_breaks_the_limit),
        cmocka_unit_test(rejects_bad_specs_at_their_lines),
        cmocka_unit_test(local_search_finds_the_cheapest_feasible_capacity),
        cmocka_unit_test(local_search_stops_at_max_configurations),
        cmocka_unit_test(a_resumed_run_matches_the_uninterrupted_one),
        cmocka_unit_test(workers_give_the_same_report_as_one_process),
        cmocka_unit_test(a_weighted_objective_is_the_sum_of_its_terms),
        cmocka_unit_test(fractional_steps_reach_max),
        cmocka_unit_test(rejects_bad_search_steps_and_weights_at_their_lines),
        cmocka_unit_test(a_cost_objective_needs_prices),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
