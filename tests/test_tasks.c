/* The one task runner: results by task number whatever the thread count,
 * hooks serialised and called once per task, the stop flag and a failing
 * task both end the taking of new tasks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "flyt/engine.h"
#include "flyt/experiment.h"
#include "flyt/tasks.h"

#include <sched.h>
#include <stdbool.h>
#include <string.h>

#define N 200

struct job {
    uint64_t out[N];
    unsigned ran[N];  /* times run was called for the task */
    unsigned done[N]; /* times done was called for the task */
    int rc[N];        /* what done was told */
    size_t last_progress, n_progress;
    bool progress_backwards, progress_wrong_total;
    size_t fail_at;        /* this task returns -1 (N: none) */
    size_t soft_at;        /* this task returns 1 (N: none) */
    size_t stop_after;     /* progress raises the stop flag at this count (0: never) */
    size_t skip_multiple;  /* claim refuses multiples of this (0: claim all) */
    size_t claimed_last;   /* claims came in increasing order */
    bool claims_unordered; /* a claim came out of order */
    int failure_seen;      /* done has heard of fail_at's failure */
};

/* A few thousand steps of a 64-bit mixer: enough work per task for the
 * threads to interleave, and a value that depends only on the task. */
static uint64_t work(size_t task)
{
    uint64_t x = 0x9e3779b97f4a7c15ULL * (task + 1);
    for (int i = 0; i < 4000 + (int)(task % 7) * 500; i++) {
        x ^= x >> 31;
        x *= 0xbf58476d1ce4e5b9ULL;
        x ^= x >> 27;
    }
    return x;
}

static int run(void *ctx, size_t task)
{
    struct job *j = ctx;
    /* Tasks after the failing one end only once the runner knows of the
     * failure, so which tasks may run at all does not depend on timing. */
    while (j->fail_at < task && !__atomic_load_n(&j->failure_seen, __ATOMIC_ACQUIRE))
        sched_yield();
    j->out[task] = work(task);
    __atomic_fetch_add(&j->ran[task], 1, __ATOMIC_RELAXED);
    if (task == j->fail_at)
        return -1;
    return task == j->soft_at ? 1 : 0;
}

static bool claim(void *ctx, size_t task)
{
    struct job *j = ctx;
    if (j->claimed_last != SIZE_MAX && task <= j->claimed_last)
        j->claims_unordered = true;
    j->claimed_last = task;
    return !(j->skip_multiple && task % j->skip_multiple == 0);
}

static void done(void *ctx, size_t task, int rc)
{
    struct job *j = ctx;
    j->done[task]++;
    j->rc[task] = rc;
    if (rc < 0)
        __atomic_store_n(&j->failure_seen, 1, __ATOMIC_RELEASE);
}

static void progress(size_t finished, size_t n, void *ctx)
{
    struct job *j = ctx;
    if (finished <= j->last_progress)
        j->progress_backwards = true;
    if (n != N)
        j->progress_wrong_total = true;
    j->last_progress = finished;
    j->n_progress++;
    if (j->stop_after && finished == j->stop_after)
        flyt_engine_interrupt_all(); /* as a signal handler would */
}

static void job_init(struct job *j)
{
    memset(j, 0, sizeof *j);
    j->fail_at = j->soft_at = N;
    j->claimed_last = SIZE_MAX;
}

static int run_job(struct job *j, unsigned threads, struct flyt_tasks_report *rep)
{
    struct flyt_tasks t = { .n = N,
                            .threads = threads,
                            .run = run,
                            .claim = claim,
                            .done = done,
                            .progress = progress,
                            .ctx = j };
    return flyt_tasks_run(&t, rep);
}

static size_t count_ran(const struct job *j)
{
    size_t n = 0;
    for (size_t t = 0; t < N; t++) {
        assert_true(j->ran[t] <= 1);
        assert_int_equal(j->done[t], j->ran[t]);
        n += j->ran[t];
    }
    return n;
}

static void results_are_by_task_whatever_the_threads(void **state)
{
    (void)state;
    static struct job one, j;
    job_init(&one);
    struct flyt_tasks_report rep;
    assert_int_equal(run_job(&one, 1, &rep), 0);
    assert_int_equal(rep.ran, N);
    assert_false(rep.stopped);
    assert_int_equal(count_ran(&one), N);
    const unsigned threads[] = { 2, 7 };
    for (size_t k = 0; k < 2; k++) {
        job_init(&j);
        assert_int_equal(run_job(&j, threads[k], &rep), 0);
        assert_int_equal(rep.ran, N);
        assert_int_equal(count_ran(&j), N);
        assert_memory_equal(j.out, one.out, sizeof one.out);
        assert_int_equal(j.n_progress, N);
        assert_int_equal(j.last_progress, N);
        assert_false(j.progress_backwards);
        assert_false(j.progress_wrong_total);
        assert_false(j.claims_unordered);
    }
}

/* A resume: claim turns tasks away, and progress counts them as done. */
static void refused_claims_are_not_run_and_already_counts(void **state)
{
    (void)state;
    static struct job j;
    job_init(&j);
    j.skip_multiple = 4;
    struct flyt_tasks t = { .n = N,
                            .threads = 3,
                            .run = run,
                            .claim = claim,
                            .done = done,
                            .progress = progress,
                            .already = N / 4,
                            .ctx = &j };
    struct flyt_tasks_report rep;
    assert_int_equal(flyt_tasks_run(&t, &rep), 0);
    assert_int_equal(rep.ran, N - N / 4);
    for (size_t k = 0; k < N; k++)
        assert_int_equal(j.ran[k], k % 4 != 0);
    assert_int_equal(j.last_progress, N);
    assert_false(j.claims_unordered);
}

static void a_stop_before_the_run_runs_nothing(void **state)
{
    (void)state;
    static struct job j;
    job_init(&j);
    flyt_engine_interrupt_all();
    struct flyt_tasks_report rep;
    assert_int_equal(run_job(&j, 4, &rep), FLYT_TASKS_STOPPED);
    flyt_engine_clear_interrupt();
    assert_int_equal(rep.ran, 0);
    assert_true(rep.stopped);
    assert_int_equal(count_ran(&j), 0);
}

/* Once the flag is up no task starts: at most the threads' other tasks in
 * hand finish after it. */
static void a_stop_during_the_run_ends_the_taking(void **state)
{
    (void)state;
    const unsigned threads[] = { 1, 2, 7 };
    for (size_t k = 0; k < 3; k++) {
        static struct job j;
        job_init(&j);
        j.stop_after = 5;
        struct flyt_tasks_report rep;
        assert_int_equal(run_job(&j, threads[k], &rep), FLYT_TASKS_STOPPED);
        flyt_engine_clear_interrupt();
        assert_true(rep.stopped);
        assert_int_equal(count_ran(&j), rep.ran);
        assert_true(rep.ran >= 5 && rep.ran <= 5 + threads[k] - 1);
        if (threads[k] == 1)
            assert_int_equal(rep.ran, 5);
    }
}

/* What SIGINT sets goes through to the runner too. */
static void the_experiment_stop_request_stops_the_runner(void **state)
{
    (void)state;
    static struct job j;
    job_init(&j);
    flyt_experiment_request_stop();
    struct flyt_tasks_report rep;
    assert_int_equal(run_job(&j, 2, &rep), FLYT_TASKS_STOPPED);
    flyt_experiment_clear_stop();
    assert_int_equal(rep.ran, 0);
    job_init(&j);
    assert_int_equal(run_job(&j, 2, &rep), 0);
    assert_int_equal(rep.ran, N);
}

static void a_failing_task_stops_the_rest(void **state)
{
    (void)state;
    const unsigned threads[] = { 1, 2, 7 };
    for (size_t k = 0; k < 3; k++) {
        static struct job j;
        job_init(&j);
        j.fail_at = 10;
        struct flyt_tasks_report rep;
        assert_int_equal(run_job(&j, threads[k], &rep), -1);
        assert_false(rep.stopped);
        assert_int_equal(count_ran(&j), rep.ran);
        assert_int_equal(j.ran[10], 1);
        assert_int_equal(j.rc[10], -1); /* done hears of the failure */
        /* each other thread may hold one later task when the failure is known */
        assert_true(rep.ran <= 11 + threads[k] - 1);
        if (threads[k] == 1)
            assert_int_equal(rep.ran, 11);
        for (size_t t = 11 + threads[k] - 1; t < N; t++)
            assert_int_equal(j.ran[t], 0);
    }
}

static void a_soft_failure_lets_the_others_run(void **state)
{
    (void)state;
    static struct job j;
    job_init(&j);
    j.soft_at = 3;
    struct flyt_tasks_report rep;
    assert_int_equal(run_job(&j, 3, &rep), 1);
    assert_int_equal(rep.ran, N);
    assert_int_equal(j.rc[3], 1);
}

static void no_tasks_is_nothing_to_do(void **state)
{
    (void)state;
    static struct job j;
    job_init(&j);
    struct flyt_tasks t = { .n = 0, .threads = 4, .run = run, .ctx = &j };
    struct flyt_tasks_report rep;
    assert_int_equal(flyt_tasks_run(&t, &rep), 0);
    assert_int_equal(rep.ran, 0);
    struct flyt_tasks_pool *p = flyt_tasks_start(&t);
    assert_non_null(p);
    assert_int_equal(flyt_tasks_wait(p, &rep), 0);
    assert_int_equal(rep.ran, 0);
}

/* What MPI rank 0 does: the runner on its own thread while the caller
 * goes on; the same results as a plain run. */
static void a_started_job_gives_the_same_results(void **state)
{
    (void)state;
    static struct job one, j;
    job_init(&one);
    assert_int_equal(run_job(&one, 1, NULL), 0);
    job_init(&j);
    struct flyt_tasks t = {
        .n = N, .threads = 1, .run = run, .claim = claim, .done = done, .ctx = &j
    };
    struct flyt_tasks_pool *p = flyt_tasks_start(&t);
    assert_non_null(p);
    struct flyt_tasks_report rep;
    assert_int_equal(flyt_tasks_wait(p, &rep), 0);
    assert_int_equal(rep.ran, N);
    assert_memory_equal(j.out, one.out, sizeof one.out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(results_are_by_task_whatever_the_threads),
        cmocka_unit_test(refused_claims_are_not_run_and_already_counts),
        cmocka_unit_test(a_stop_before_the_run_runs_nothing),
        cmocka_unit_test(a_stop_during_the_run_ends_the_taking),
        cmocka_unit_test(the_experiment_stop_request_stops_the_runner),
        cmocka_unit_test(a_failing_task_stops_the_rest),
        cmocka_unit_test(a_soft_failure_lets_the_others_run),
        cmocka_unit_test(no_tasks_is_nothing_to_do),
        cmocka_unit_test(a_started_job_gives_the_same_results),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
