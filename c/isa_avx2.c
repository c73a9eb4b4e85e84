/* The kernels for CPUs with AVX2 (Haswell, Zen and later). */
#include "kernels.h"
#ifdef PK_HAVE_X86_KERNELS
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma,bmi2"))), apply_to = function)
#else
#pragma GCC target("avx2,fma,bmi2")
#endif
#define PK_KERNELS_NAME "avx2"
#define PK_KERNELS_TABLE pk_kernels_avx2
#include "rows/table.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
