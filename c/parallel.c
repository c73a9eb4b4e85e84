/*
 * parallel.c: a small pool of worker threads that run row bands.
 *
 * One job runs at a time: a caller that finds the pool busy (another
 * Python thread, or a kernel inside a kernel) runs its bands itself, so a
 * call never waits for another.  The caller always takes bands too.
 * Workers are started on first need and never stopped; after fork() the
 * child forgets them and any job (they do not exist there) and starts new
 * ones.
 */
#include "internal.h"

#include <stdatomic.h>

#if defined(__unix__) || defined(__APPLE__)
#include <pthread.h>
#include <sched.h>
#define PK_HAVE_PTHREADS 1
#endif

/* Below PK_MIN_BAND_WORK (pixelkit.h) bytes of work per band, threads cost
 * more than they give. */
_Static_assert(PK_MIN_BAND_WORK == 256 << 10, "the split threshold the docs state");
/*
 * pk_parallel_chunks: threads only from PK_CHUNKS_MIN_WORK bytes of work,
 * in bands of about PK_CHUNK_WORK, at most PK_MAX_CHUNKS.  A copy of a
 * 1080p frame (12 MB of traffic, in L3) takes one core about 0.1 ms; two
 * cores take 0.06 ms, each with its own share of the cache's bandwidth.
 * Below about 2 MB of work (a 640x360 frame) the wake-up of a worker costs
 * what its half of the copy saves.  Waiting threads yield their core (see
 * pk_relax): on 2 cores with another process busy on one, a waiting
 * caller that only spun kept the worker it waited for off that core and
 * doubled the time of a 1080p copy.
 */
#define PK_CHUNKS_MIN_WORK ((size_t)PK_MIN_COPY_WORK)
_Static_assert(PK_MIN_COPY_WORK == 2 << 20, "the copy threshold the docs state");
#define PK_CHUNK_WORK ((size_t)1 << 20)
#define PK_MAX_CHUNKS 64
/* How long a caller whose bands are done watches for the workers to finish
 * theirs before it sleeps (spins). */
#define PK_FINISH_SPIN_ROUNDS 2000

typedef struct {
    pk_band_fn fn;
    void *ctx;
    size_t count;
    size_t bands;
    atomic_size_t next;  /* next band to take */
    atomic_int helpers;  /* workers inside this job (changed under pk_lock) */
    int max_helpers;
    atomic_size_t worker_bands; /* bands the workers ran (pk_pool_stats) */
} pk_job;

/* pk_pool_stats' counters of the calling thread (PK_TLS_MODEL: internal.h). */
static _Thread_local pk_pool_counts pk_counts PK_TLS_MODEL;

/* Runs bands until none is left; returns how many this thread ran. */
static size_t pk_run_bands(pk_job *job)
{
    size_t band, ran = 0;
    while ((band = atomic_fetch_add(&job->next, 1)) < job->bands) {
        size_t begin = job->count * band / job->bands;
        size_t end = job->count * (band + 1) / job->bands;
        if (end > begin)
            job->fn(job->ctx, begin, end);
        ran++;
    }
    return ran;
}

pk_status pk_pool_stats(pk_pool_counts *out)
{
    if (out == NULL)
        return PK_ERR_NULL;
    *out = pk_counts;
    return PK_OK;
}

#ifdef PK_HAVE_PTHREADS
static pthread_mutex_t pk_busy = PTHREAD_MUTEX_INITIALIZER;  /* one job at a time */
static pthread_mutex_t pk_lock = PTHREAD_MUTEX_INITIALIZER;  /* guards what follows */
static pthread_cond_t pk_work = PTHREAD_COND_INITIALIZER;
static pthread_cond_t pk_idle = PTHREAD_COND_INITIALIZER;
static pk_job *pk_current;
static unsigned long pk_generation;
static int pk_workers;
static int pk_sleepers; /* workers blocked on pk_work */
static pthread_once_t pk_fork_once = PTHREAD_ONCE_INIT;
/* pk_generation, readable without the lock: idle workers watch it for a
 * while before they sleep, so back-to-back kernels skip the wake-up cost. */
static atomic_ulong pk_posted;

/* How long an idle worker watches for a new job before sleeping (spins). */
#define PK_SPIN_ROUNDS 4000

/* One round of waiting.  Every 64th yields the core: the thread waited for
 * may be queued behind this one on the same core (the other core busy
 * with another process), and pause alone would keep it there. */
static inline void pk_relax(int round)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    if ((round & 63) == 63)
        sched_yield();
}

static void *pk_worker(void *unused)
{
    unsigned long seen = 0;
    (void)unused;
    pthread_mutex_lock(&pk_lock);
    for (;;) {
        while (pk_current == NULL || seen == pk_generation
               || pk_current->helpers >= pk_current->max_helpers) {
            /* A job this worker has not joined is over or has its helpers:
             * either way it is not ours.  (Not marking a finished job seen
             * made a late worker loop here without ever sleeping.) */
            seen = pk_generation;
            pthread_mutex_unlock(&pk_lock);
            for (int i = 0; i < PK_SPIN_ROUNDS && atomic_load_explicit(&pk_posted, memory_order_acquire) == seen; i++)
                pk_relax(i);
            pthread_mutex_lock(&pk_lock);
            if (pk_generation == seen) {
                pk_sleepers++;
                pthread_cond_wait(&pk_work, &pk_lock);
                pk_sleepers--;
            }
        }
        pk_job *job = pk_current;
        seen = pk_generation;
        atomic_fetch_add(&job->helpers, 1);
        pthread_mutex_unlock(&pk_lock);
        atomic_fetch_add(&job->worker_bands, pk_run_bands(job));
        pthread_mutex_lock(&pk_lock);
        /* The last access to the job: its caller may return once it sees 0. */
        if (atomic_fetch_sub(&job->helpers, 1) == 1)
            pthread_cond_broadcast(&pk_idle);
    }
    return NULL;
}

static void pk_after_fork_in_child(void)
{
    /* Only the forking thread exists in the child; a job another thread
     * ran (holding pk_busy, maybe pk_lock) is gone with it. */
    pthread_mutex_init(&pk_busy, NULL);
    pthread_mutex_init(&pk_lock, NULL);
    pthread_cond_init(&pk_work, NULL);
    pthread_cond_init(&pk_idle, NULL);
    pk_current = NULL;
    pk_workers = 0;
    pk_sleepers = 0;
}

static void pk_register_fork(void)
{
    (void)pthread_atfork(NULL, NULL, pk_after_fork_in_child);
}

/* Starts workers up to `wanted` (under pk_lock); returns how many run. */
static int pk_start_workers(int wanted)
{
    while (pk_workers < wanted) {
        pthread_t thread;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int failed = pthread_create(&thread, &attr, pk_worker, NULL);
        pthread_attr_destroy(&attr);
        if (failed)
            break;
        pk_workers++;
    }
    return pk_workers;
}
#endif

/* Runs `bands` bands of [0, count) on up to `threads` threads. */
static void pk_parallel_run(size_t count, size_t bands, size_t threads, pk_band_fn fn, void *ctx)
{
    pk_job job;

    job.fn = fn;
    job.ctx = ctx;
    job.count = count;
    job.bands = bands;
    atomic_init(&job.helpers, 0);
    atomic_init(&job.next, 0);
    atomic_init(&job.worker_bands, 0);
    pk_counts.calls++;
    if (job.bands <= 1 || threads <= 1) {
        pk_counts.bands++;
        if (count > 0)
            fn(ctx, 0, count);
        return;
    }
    pk_counts.bands += job.bands;
#ifdef PK_HAVE_PTHREADS
    /* Registered before pk_busy is first taken, so that a fork at any
     * moment leaves the child a usable pool. */
    (void)pthread_once(&pk_fork_once, pk_register_fork);
    if (pthread_mutex_trylock(&pk_busy) == 0) {
        pthread_mutex_lock(&pk_lock);
        job.max_helpers = pk_start_workers((int)threads - 1);
        if (job.max_helpers > (int)threads - 1)
            job.max_helpers = (int)threads - 1;
        pk_current = &job;
        pk_generation++;
        atomic_store_explicit(&pk_posted, pk_generation, memory_order_release);
        if (pk_sleepers > 0)
            pthread_cond_broadcast(&pk_work);
        pthread_mutex_unlock(&pk_lock);

        pk_run_bands(&job);

        /* Every band is taken: no worker may join any more; wait for the
         * ones still inside, watching for a while before sleeping (a wake-up
         * costs more than the last band of a worker usually takes). */
        pthread_mutex_lock(&pk_lock);
        pk_current = NULL;
        pthread_mutex_unlock(&pk_lock);
        for (int i = 0; i < PK_FINISH_SPIN_ROUNDS && atomic_load(&job.helpers) > 0; i++)
            pk_relax(i);
        if (atomic_load(&job.helpers) > 0) {
            pthread_mutex_lock(&pk_lock);
            while (atomic_load(&job.helpers) > 0)
                pthread_cond_wait(&pk_idle, &pk_lock);
            pthread_mutex_unlock(&pk_lock);
        }
        pthread_mutex_unlock(&pk_busy);
        pk_counts.worker_bands += atomic_load(&job.worker_bands);
        return;
    }
#endif
    /* The pool is busy or absent: the same bands, on this thread. */
    pk_run_bands(&job);
}

void pk_parallel_for(size_t count, size_t work, pk_band_fn fn, void *ctx)
{
    pk_parallel_for_bands(count, work, SIZE_MAX, 1, fn, ctx);
}

void pk_parallel_for_bands(size_t count, size_t work, size_t max_bands, size_t split, pk_band_fn fn, void *ctx)
{
    size_t threads = (size_t)pk_num_threads();
    size_t useful = work / PK_MIN_BAND_WORK;
    size_t wanted = threads > 1 && split > 1 ? threads * split : threads;
    size_t bands = wanted < useful ? wanted : useful;
    if (bands > count)
        bands = count;
    if (bands > max_bands)
        bands = max_bands;
    pk_parallel_run(count, bands, threads, fn, ctx);
}

void pk_parallel_chunks(size_t count, size_t work, pk_band_fn fn, void *ctx)
{
    size_t threads = (size_t)pk_num_threads();
    size_t bands = 1;
    if (threads > 1 && work >= PK_CHUNKS_MIN_WORK) {
        bands = work / PK_CHUNK_WORK;
        if (bands < threads)
            bands = threads;
        if (bands > PK_MAX_CHUNKS)
            bands = PK_MAX_CHUNKS;
        if (bands > count)
            bands = count;
    }
    pk_parallel_run(count, bands, threads, fn, ctx);
}

/* ---- pk_parallel_rows: the pool for extension modules' own kernels ---- */

typedef struct {
    pk_rows_fn fn;
    void *context;
    atomic_int status; /* the first failure, or PK_OK */
} pk_rows_job;

static void pk_rows_band(void *ctx, size_t begin, size_t end)
{
    pk_rows_job *job = (pk_rows_job *)ctx;
    pk_status status = job->fn(job->context, begin, end);
    if (status != PK_OK) {
        int expected = PK_OK;
        atomic_compare_exchange_strong(&job->status, &expected, (int)status);
    }
}

pk_status pk_parallel_rows(size_t rows, size_t bytes_per_row, pk_rows_fn fn, void *context)
{
    if (fn == NULL)
        return PK_ERR_NULL;
    size_t work;
    if (!pk_mul_size(rows, bytes_per_row, &work))
        work = SIZE_MAX; /* more than enough work for every thread */
    pk_rows_job job;
    job.fn = fn;
    job.context = context;
    atomic_init(&job.status, PK_OK);
    pk_parallel_for(rows, work, pk_rows_band, &job);
    return (pk_status)atomic_load(&job.status);
}
