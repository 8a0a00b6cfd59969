/* The one task runner (include/flyt/tasks.h): a shared counter under one
 * lock, which also serialises the hooks, so that callers need no lock of
 * their own for what the hooks touch. */
#include "flyt/engine.h"
#include "flyt/experiment.h"
#include "flyt/tasks.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct flyt_tasks_pool {
    struct flyt_tasks job;
    size_t next, ran;
    int error; /* the first negative return */
    bool soft; /* a task returned a positive number */
    pthread_mutex_t lock;
    pthread_t *tid;
    unsigned started;
};

unsigned flyt_tasks_default_threads(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (unsigned)n : 1;
}

/* Both flags: the experiment's is what a signal handler sets, the engine's
 * is what a test or a caller without the experiment module sets; either
 * means nobody wants more results. */
bool flyt_tasks_stop_requested(void)
{
    return flyt_engine_interrupted() || flyt_experiment_stop_requested();
}

/* Under the lock. A claimed task is run whatever happens next: claim may
 * have told someone else (an MPI rank) that it is taken. */
static bool take(struct flyt_tasks_pool *p, size_t *task)
{
    const struct flyt_tasks *j = &p->job;
    while (p->error == 0 && p->next < j->n && !flyt_tasks_stop_requested()) {
        size_t t = p->next++;
        if (!j->claim || j->claim(j->ctx, t)) {
            *task = t;
            return true;
        }
    }
    return false;
}

static void finished(struct flyt_tasks_pool *p, size_t t, int rc)
{
    const struct flyt_tasks *j = &p->job;
    if (rc < 0 && p->error == 0)
        p->error = rc;
    p->soft |= rc > 0;
    p->ran++;
    if (j->done)
        j->done(j->ctx, t, rc);
    if (j->progress)
        j->progress(j->already + p->ran, j->n, j->ctx);
}

static void *worker(void *arg)
{
    struct flyt_tasks_pool *p = arg;
    size_t t;
    pthread_mutex_lock(&p->lock);
    while (take(p, &t)) {
        pthread_mutex_unlock(&p->lock);
        int rc = p->job.run(p->job.ctx, t);
        pthread_mutex_lock(&p->lock);
        finished(p, t, rc);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

static unsigned thread_count(const struct flyt_tasks *job)
{
    unsigned t = job->threads ? job->threads : flyt_tasks_default_threads();
    if (t > job->n)
        t = job->n ? (unsigned)job->n : 1;
    return t;
}

static struct flyt_tasks_pool *pool_new(const struct flyt_tasks *job)
{
    struct flyt_tasks_pool *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->job = *job;
    if (pthread_mutex_init(&p->lock, NULL) != 0) {
        free(p);
        return NULL;
    }
    return p;
}

/* Threads that cannot start are not an error: fewer threads give the same
 * results, only later. */
static void spawn(struct flyt_tasks_pool *p, unsigned threads)
{
    p->tid = calloc(threads, sizeof *p->tid);
    while (p->tid && p->started < threads &&
           pthread_create(&p->tid[p->started], NULL, worker, p) == 0)
        p->started++;
}

static int finish(struct flyt_tasks_pool *p, struct flyt_tasks_report *rep)
{
    if (p->started == 0)
        worker(p); /* no thread could start: the caller does the work */
    for (unsigned i = 0; i < p->started; i++)
        pthread_join(p->tid[i], NULL);
    bool stopped = flyt_tasks_stop_requested();
    if (rep)
        *rep = (struct flyt_tasks_report){ p->ran, stopped };
    int rc = stopped ? FLYT_TASKS_STOPPED : p->error ? p->error : p->soft ? 1 : 0;
    free(p->tid);
    pthread_mutex_destroy(&p->lock);
    free(p);
    return rc;
}

struct flyt_tasks_pool *flyt_tasks_start(const struct flyt_tasks *job)
{
    struct flyt_tasks_pool *p = pool_new(job);
    if (p)
        spawn(p, thread_count(job));
    return p;
}

int flyt_tasks_wait(struct flyt_tasks_pool *p, struct flyt_tasks_report *rep)
{
    return finish(p, rep);
}

int flyt_tasks_run(const struct flyt_tasks *job, struct flyt_tasks_report *rep)
{
    struct flyt_tasks_pool *p = pool_new(job);
    if (!p) {
        if (rep)
            *rep = (struct flyt_tasks_report){ 0, flyt_tasks_stop_requested() };
        return -1;
    }
    unsigned threads = thread_count(job);
    if (threads > 1)
        spawn(p, threads);
    return finish(p, rep);
}
