/*
 * runtime.c: which kernel table runs (CPU dispatch), how many threads
 * kernels may use, and whether this CPU's caches beyond L2 are slow for one
 * core (measured once).  All three are process-wide atomics, documented in
 * pixelkit.h; they are the only mutable globals besides the allocation
 * counter and the thread pool.
 */
#include "internal.h"
#include "kernels.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static _Atomic(const pk_kernels *) pk_active_table;
static atomic_int pk_active_level = -1;
static atomic_int pk_threads = 1;
/* -1 until measured: whether one core reads and writes beyond its L2 no faster than memory. */
static atomic_int pk_slow_outer_cache = -1;

int pk_cpu_isa(void)
{
#if defined(PK_HAVE_X86_KERNELS) && (defined(__GNUC__) || defined(__clang__))
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")
        && __builtin_cpu_supports("avx512vbmi"))
        return PK_ISA_AVX512;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && __builtin_cpu_supports("bmi2"))
        return PK_ISA_AVX2;
#endif
    return PK_ISA_PORTABLE;
}

static const pk_kernels *pk_table_for(int isa)
{
    switch (isa) {
#ifdef PK_HAVE_X86_KERNELS
    case PK_ISA_AVX512: return &pk_kernels_avx512;
    case PK_ISA_AVX2: return &pk_kernels_avx2;
#endif
    default: return &pk_kernels_portable;
    }
}

pk_status pk_set_isa(int isa)
{
    if (isa < PK_ISA_PORTABLE || isa > pk_cpu_isa())
        return PK_ERR_ARGUMENT;
    atomic_store(&pk_active_table, pk_table_for(isa));
    atomic_store(&pk_active_level, isa);
    return PK_OK;
}

int pk_active_isa(void)
{
    int level = atomic_load(&pk_active_level);
    if (level < 0) {
        pk_kernels_active();
        level = atomic_load(&pk_active_level);
    }
    return level;
}

const pk_kernels *pk_kernels_active(void)
{
    const pk_kernels *table = atomic_load_explicit(&pk_active_table, memory_order_acquire);
    if (table == NULL) {
        /* First use: the best the CPU has.  Racing first calls agree. */
        int level = pk_cpu_isa();
        const pk_kernels *expected = NULL;
        table = pk_table_for(level);
        if (atomic_compare_exchange_strong(&pk_active_table, &expected, table))
            atomic_store(&pk_active_level, level);
        else
            table = expected;
    }
    return table;
}

const char *pk_isa_name(int isa)
{
    switch (isa) {
    case PK_ISA_PORTABLE: return "portable";
    case PK_ISA_AVX2: return "avx2";
    case PK_ISA_AVX512: return "avx512";
    default: return "unknown";
    }
}

pk_status pk_set_num_threads(int count)
{
    if (count < 1 || count > PK_MAX_THREADS)
        return PK_ERR_ARGUMENT;
    atomic_store(&pk_threads, count);
    return PK_OK;
}

int pk_num_threads(void)
{
    return atomic_load(&pk_threads);
}

static double pk_seconds(void)
{
    struct timespec now;
    timespec_get(&now, TIME_UTC);
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}

/*
 * Times an invert of 2 MiB into another 2 MiB, with ordinary stores and with stores
 * past the cache, each repeated so that the buffers are wherever a loop over
 * them leaves them.  Where the last-level cache is fast for one core (AMD's
 * per-CCX L3: 4 MiB stays in it, 3-4x faster than memory) the ordinary stores
 * win by far; where it is not (Intel's server mesh: 20-25 GB/s beyond the
 * 2 MiB L2, as from memory) streaming wins by a third, because it skips
 * reading each output line before writing it.
 */
static int pk_measure_slow_outer_cache(void)
{
    int isa = pk_cpu_isa();
    if (isa == PK_ISA_PORTABLE)
        return 0; /* no stores past the cache to gain from */
    const pk_kernels *k = pk_table_for(isa);
    const size_t n = (size_t)2 << 20;
    uint8_t *src = aligned_alloc(64, n);
    uint8_t *dst = aligned_alloc(64, n);
    int slow = 0;
    if (src != NULL && dst != NULL) {
        memset(src, 0x5a, n);
        memset(dst, 0, n);
        double cached = 1e9, streamed = 1e9;
        for (int round = 0; round < 3; round++) {
            k->invert(src, dst, n);
            double t0 = pk_seconds();
            k->invert(src, dst, n);
            double t1 = pk_seconds();
            k->stream(src, dst, n, 1);
            double t2 = pk_seconds();
            k->stream(src, dst, n, 1);
            double t3 = pk_seconds();
            if (t1 - t0 < cached)
                cached = t1 - t0;
            if (t3 - t2 < streamed)
                streamed = t3 - t2;
        }
        slow = streamed < 0.9 * cached;
    }
    free(src);
    free(dst);
    return slow;
}

int pk_stream_output(size_t output_bytes, size_t large)
{
    if (output_bytes >= large)
        return 1;
    if (output_bytes < large / 16)
        return 0;
    int slow = atomic_load_explicit(&pk_slow_outer_cache, memory_order_relaxed);
    if (slow < 0) {
        /* First need, once per process; racing first calls each measure and agree closely enough. */
        slow = pk_measure_slow_outer_cache();
        atomic_store_explicit(&pk_slow_outer_cache, slow, memory_order_relaxed);
    }
    return slow;
}
