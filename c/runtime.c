/*
 * runtime.c: which kernel table runs (CPU dispatch) and how many threads
 * kernels may use.  Both are process-wide atomics, documented in
 * pixelkit.h; they are the only mutable globals besides the allocation
 * counter and the thread pool.
 */
#include "internal.h"
#include "kernels.h"

#include <stdatomic.h>

static _Atomic(const pk_kernels *) pk_active_table;
static atomic_int pk_active_level = -1;
static atomic_int pk_threads = 1;

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
