/*
 * flyt sweep over Open MPI (compiled only with -DFLYT_MPI=ON).
 *
 * Rank 0 hands out tasks one at a time and collects their results; the
 * others run what they are given. One task at a time per rank keeps the
 * load balanced however uneven the points are (the messages are tiny
 * beside a task that runs for tenths of seconds). Rank 0 also runs tasks
 * itself, through the one task runner (flyt/tasks.h) started on a thread of
 * its own, so `mpirun -np 2` uses two cores: its main thread only polls for
 * messages (MPI_Iprobe and a short sleep) instead of a blocking receive,
 * which in Open MPI spins and would take a core from the runner's thread.
 * Only the main thread calls MPI (MPI_THREAD_FUNNELED).
 *
 * The exchange with the other ranks is not a thread pool and does not go
 * through the runner: a rank is another process, given one task number at
 * a time in a message and answering with the bytes of its result, and the
 * other ranks run the task they are given on their main thread (one at a
 * time is all the protocol has). The runner and the remote ranks draw from
 * one cursor over the tasks, the runner through its claim hook.
 *
 * A result travels as raw bytes: the same doubles the model produced, so
 * the merged file is bit-identical to one written by a single process.
 *   task message   int64 task number, or -1: no more work
 *   result message int64 task, int64 status, u64 model_events,
 *                  u64 engine_events, int64 n_days, int64 n_units,
 *                  char detail[128], f64 kpi[FLYT_N_KPI],
 *                  f64 unit_kpi[n_units][FLYT_N_UNIT_KPI],
 *                  f64 series[FLYT_N_SERIES][n_days] (the series only
 *                  with --series); a worker's first message is a result
 *                  with task -1 (ready) *
 * flyt optimise uses only flyt_mpi_send_bytes / flyt_mpi_recv_bytes (a
 * tag of their own): its messages are sim/optimise/remote.c's.
 */
#include "flyt/model.h"
#include "flyt/sweep.h"
#include "flyt/tasks.h"

#include <mpi.h>

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { TAG_TASK = 1, TAG_RESULT = 2, TAG_BYTES = 3 };
#define HEAD_WORDS 6
#define HEAD_BYTES (HEAD_WORDS * 8 + 128)

bool flyt_mpi_launched(void)
{
    /* Open MPI's mpirun, and PMI/PMIx launchers such as srun */
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

int flyt_mpi_init(int *rank, int *size)
{
    int provided = 0;
    if (MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return -1;
    MPI_Comm_rank(MPI_COMM_WORLD, rank);
    MPI_Comm_size(MPI_COMM_WORLD, size);
    return 0;
}

void flyt_mpi_finalize(void)
{
    MPI_Finalize();
}

int flyt_mpi_bcast_int(int v)
{
    MPI_Bcast(&v, 1, MPI_INT, 0, MPI_COMM_WORLD);
    return v;
}

int flyt_mpi_send_bytes(int to, const void *buf, size_t len)
{
    if (len > (size_t)INT32_MAX)
        return -1;
    return MPI_Send(buf, (int)len, MPI_BYTE, to, TAG_BYTES, MPI_COMM_WORLD) == MPI_SUCCESS ? 0 : -1;
}

void *flyt_mpi_recv_bytes(int from, size_t *len)
{
    const struct timespec nap = { 0, 200000 }; /* 0.2 ms */
    MPI_Status st;
    for (int flag = 0; !flag;) {
        if (MPI_Iprobe(from, TAG_BYTES, MPI_COMM_WORLD, &flag, &st) != MPI_SUCCESS)
            return NULL;
        if (!flag)
            nanosleep(&nap, NULL);
    }
    int n = 0;
    MPI_Get_count(&st, MPI_BYTE, &n);
    unsigned char *b = malloc(n > 0 ? (size_t)n : 1);
    if (!b)
        return NULL;
    if (MPI_Recv(b, n, MPI_BYTE, from, TAG_BYTES, MPI_COMM_WORLD, MPI_STATUS_IGNORE) !=
        MPI_SUCCESS) {
        free(b);
        return NULL;
    }
    *len = (size_t)n;
    return b;
}

static size_t message_bytes(size_t n_days, size_t n_units, bool series)
{
    return HEAD_BYTES + 8 * FLYT_N_KPI + 8 * FLYT_N_UNIT_KPI * n_units +
           (series ? 8 * FLYT_N_SERIES * n_days : 0);
}

static unsigned char *pack(int64_t task, const struct flyt_result *r, bool series, size_t *len)
{
    int64_t head[HEAD_WORDS] = { task,
                                 r ? r->status : 0,
                                 0,
                                 0,
                                 r && series ? (int64_t)r->n_days : 0,
                                 r && r->unit_kpi ? (int64_t)r->n_units : 0 };
    if (r) {
        memcpy(&head[2], &r->model_events, 8);
        memcpy(&head[3], &r->engine_events, 8);
    }
    *len = message_bytes((size_t)head[4], (size_t)head[5], series);
    unsigned char *b = calloc(1, *len);
    if (!b)
        return NULL;
    memcpy(b, head, sizeof head);
    if (r) {
        size_t unit_bytes = 8 * FLYT_N_UNIT_KPI * (size_t)head[5];
        unsigned char *series_at = b + HEAD_BYTES + 8 * FLYT_N_KPI + unit_bytes;
        memcpy(b + 8 * HEAD_WORDS, r->status_detail, 128);
        memcpy(b + HEAD_BYTES, r->kpi, 8 * FLYT_N_KPI);
        if (unit_bytes && r->unit_kpi)
            memcpy(b + HEAD_BYTES + 8 * FLYT_N_KPI, r->unit_kpi, unit_bytes);
        for (int k = 0; k < FLYT_N_SERIES && head[4] > 0; k++)
            if (r->series[k])
                memcpy(series_at + (size_t)k * 8 * (size_t)head[4], r->series[k],
                       8 * (size_t)head[4]);
    }
    return b;
}

/* Returns the task number, -1 for "ready", -2 on a malformed message (a
 * result of another network than n_units is one: its units would be
 * stored under the wrong ids). */
static int64_t unpack(const unsigned char *b, size_t len, bool series, size_t n_tasks,
                      unsigned n_units, struct flyt_result *res)
{
    int64_t head[HEAD_WORDS];
    if (len < HEAD_BYTES + 8 * FLYT_N_KPI)
        return -2;
    memcpy(head, b, sizeof head);
    if (head[0] == -1)
        return -1;
    if (head[0] < 0 || (uint64_t)head[0] >= n_tasks || head[4] < 0 || head[5] != n_units ||
        len != message_bytes((size_t)head[4], n_units, series))
        return -2;
    struct flyt_result *r = &res[head[0]];
    flyt_result_free(r);
    memset(r, 0, sizeof *r);
    r->status = (int)head[1];
    memcpy(&r->model_events, &head[2], 8);
    memcpy(&r->engine_events, &head[3], 8);
    memcpy(r->status_detail, b + 8 * HEAD_WORDS, 128);
    r->status_detail[127] = '\0';
    memcpy(r->kpi, b + HEAD_BYTES, 8 * FLYT_N_KPI);
    size_t unit_bytes = 8 * FLYT_N_UNIT_KPI * (size_t)n_units;
    r->n_units = n_units;
    if (unit_bytes) {
        if (!(r->unit_kpi = malloc(unit_bytes)))
            return -2;
        memcpy(r->unit_kpi, b + HEAD_BYTES + 8 * FLYT_N_KPI, unit_bytes);
    }
    const unsigned char *series_at = b + HEAD_BYTES + 8 * FLYT_N_KPI + unit_bytes;
    r->n_days = (size_t)head[4];
    for (int k = 0; k < FLYT_N_SERIES && r->n_days > 0; k++) {
        r->series[k] = malloc(8 * r->n_days);
        if (!r->series[k])
            return -2;
        memcpy(r->series[k], series_at + (size_t)k * 8 * r->n_days, 8 * r->n_days);
    }
    return head[0];
}

/* A run that ran out of memory before its unit KPIs existed is still a
 * result here: NaN ones give it the sweep's shape, which every message,
 * journal record and file row has. */
static void give_units(struct flyt_result *r, unsigned n_units)
{
    if (r->unit_kpi && r->n_units == n_units)
        return;
    free(r->unit_kpi);
    r->n_units = 0;
    r->unit_kpi = malloc((size_t)n_units * FLYT_N_UNIT_KPI * sizeof(double));
    for (size_t i = 0; r->unit_kpi && i < (size_t)n_units * FLYT_N_UNIT_KPI; i++)
        r->unit_kpi[i] = NAN;
    if (r->unit_kpi)
        r->n_units = n_units;
}

static void run_one(const struct flyt_sweep *sw, struct flyt_scenario *const *scen, size_t t,
                    bool keep_series, struct flyt_result *r)
{
    memset(r, 0, sizeof *r);
    unsigned reps = sw->replications;
    flyt_model_run(scen[t / reps], (unsigned)(t % reps), r);
    give_units(r, sw->n_units);
    r->replication = (unsigned)(t % reps);
    r->wall_seconds = 0;
    if (!keep_series) {
        for (int k = 0; k < FLYT_N_SERIES; k++) {
            free(r->series[k]);
            r->series[k] = NULL;
        }
        r->n_days = 0;
    }
}

/* Ranks 1..: ask, run, answer, until told to stop. */
static int worker(const struct flyt_sweep *sw, struct flyt_scenario *const *scen, bool series)
{
    size_t len;
    unsigned char *msg = pack(-1, NULL, series, &len);
    int rc = 0;
    for (;;) {
        if (!msg || MPI_Send(msg, (int)len, MPI_BYTE, 0, TAG_RESULT, MPI_COMM_WORLD)) {
            rc = -1;
            break;
        }
        free(msg);
        msg = NULL;
        int64_t t;
        MPI_Recv(&t, 1, MPI_INT64_T, 0, TAG_TASK, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        if (t < 0)
            break;
        struct flyt_result r;
        run_one(sw, scen, (size_t)t, series, &r);
        msg = pack(t, &r, series, &len);
        flyt_result_free(&r);
    }
    free(msg);
    return rc;
}

/* Rank 0's state, shared with its runner's thread. */
struct master {
    const struct flyt_sweep *sw;
    struct flyt_scenario *const *scen;
    bool *done, series;
    struct flyt_result *res;
    size_t n_tasks, next;
    flyt_sweep_task_fn on_done;
    void *ctx;
    pthread_mutex_t lock;
};

/* Under the lock: the cursor skips the tasks a resume found done. */
static void skip_done(struct master *m)
{
    while (m->next < m->n_tasks && m->done[m->next])
        m->next++;
}

static int64_t next_task(struct master *m)
{
    pthread_mutex_lock(&m->lock);
    skip_done(m);
    int64_t t = m->next < m->n_tasks ? (int64_t)m->next++ : -1;
    pthread_mutex_unlock(&m->lock);
    return t;
}

/* The runner offers tasks in increasing order and never ahead of the
 * cursor (each of its claims leaves the cursor past the task offered):
 * task t is rank 0's when the cursor stands on it, and was handed to
 * another rank, or found done, when the cursor has passed it. */
static bool claim(void *ctx, size_t t)
{
    struct master *m = ctx;
    pthread_mutex_lock(&m->lock);
    skip_done(m);
    bool mine = m->next == t;
    if (mine)
        m->next++;
    pthread_mutex_unlock(&m->lock);
    return mine;
}

/* Under the lock, as serve's results are: on_done sees one at a time. */
static void record(struct master *m, size_t t)
{
    m->done[t] = true;
    if (m->on_done)
        m->on_done(t, &m->res[t], m->ctx);
}

static int local_task(void *ctx, size_t t)
{
    struct master *m = ctx;
    struct flyt_result r;
    run_one(m->sw, m->scen, t, m->series, &r);
    pthread_mutex_lock(&m->lock);
    flyt_result_free(&m->res[t]);
    m->res[t] = r;
    record(m, t);
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/* One message from a worker: store its result, give it the next task. */
static int serve(struct master *m, const MPI_Status *st, int *stopped)
{
    int len = 0;
    MPI_Get_count(st, MPI_BYTE, &len);
    unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
    if (!b)
        return -1;
    MPI_Recv(b, len, MPI_BYTE, st->MPI_SOURCE, TAG_RESULT, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    pthread_mutex_lock(&m->lock);
    int64_t t = unpack(b, (size_t)len, m->series, m->n_tasks, m->sw->n_units, m->res);
    if (t >= 0)
        record(m, (size_t)t);
    pthread_mutex_unlock(&m->lock);
    free(b);
    int64_t next = next_task(m); /* answered even after a bad message: it waits */
    MPI_Send(&next, 1, MPI_INT64_T, st->MPI_SOURCE, TAG_TASK, MPI_COMM_WORLD);
    if (next < 0)
        (*stopped)++;
    return t == -2 ? -1 : 0;
}

static int master(struct master *m, int size)
{
    struct flyt_tasks job = {
        .n = m->n_tasks, .threads = 1, .run = local_task, .claim = claim, .ctx = m
    };
    struct flyt_tasks_pool *local = flyt_tasks_start(&job);
    int stopped = 0, rc = 0;
    const struct timespec nap = { 0, 200000 }; /* 0.2 ms */
    while (stopped < size - 1) {
        int flag = 0;
        MPI_Status st;
        MPI_Iprobe(MPI_ANY_SOURCE, TAG_RESULT, MPI_COMM_WORLD, &flag, &st);
        if (flag) {
            if (serve(m, &st, &stopped) != 0)
                rc = -1;
        } else {
            nanosleep(&nap, NULL);
        }
    }
    /* without a runner of its own (out of memory), rank 0 runs what is left here */
    int local_rc = local ? flyt_tasks_wait(local, NULL) : flyt_tasks_run(&job, NULL);
    return local_rc < 0 ? -1 : rc;
}

int flyt_mpi_run_tasks(const struct flyt_sweep *sw, struct flyt_scenario *const *scenarios,
                       bool *done, struct flyt_result *res, bool keep_series,
                       flyt_sweep_task_fn on_done, void *ctx)
{
    int rank = 0, size = 1;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    /* as in flyt_sweep_run_tasks: no series are made that would be dropped */
    for (size_t p = 0; p < sw->n_points; p++)
        scenarios[p]->series_off = !keep_series;
    int rc;
    if (rank != 0) {
        rc = worker(sw, scenarios, keep_series);
    } else {
        struct master m = { .sw = sw,
                            .scen = scenarios,
                            .done = done,
                            .series = keep_series,
                            .res = res,
                            .n_tasks = flyt_sweep_n_tasks(sw),
                            .on_done = on_done,
                            .ctx = ctx };
        pthread_mutex_init(&m.lock, NULL);
        rc = master(&m, size);
        pthread_mutex_destroy(&m.lock);
    }
    int all = 0;
    MPI_Allreduce(&rc, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all;
}
