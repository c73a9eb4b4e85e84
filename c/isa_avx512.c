/* The kernels for CPUs with AVX-512 F, BW, VL, DQ and VBMI (Ice Lake, Zen 4 and later). */
#include "kernels.h"
#ifdef PK_HAVE_X86_KERNELS
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,bmi2"))), apply_to = function)
#else
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,avx512vbmi,avx2,fma,bmi2,prefer-vector-width=512")
#endif
#define PK_KERNELS_NAME "avx512"
#define PK_KERNELS_TABLE pk_kernels_avx512
#include "rows/table.h"
#if defined(__clang__)
#pragma clang attribute pop
#endif
#endif
