/* rows/geometry.h: loops of the geometric operations. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX512VBMI__) || defined(__AVX2__)
#include <immintrin.h>
#endif

/* dst pixel x = src pixel width - 1 - x; src and dst are distinct rows. */
static void row_flip(const uint8_t *restrict src, uint8_t *restrict dst, size_t width)
{
    size_t x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* 21 pixels (63 bytes) per step; one byte permute reverses their order.
     * Full 64-byte loads (starting one byte early, so never past the row)
     * and stores (whose last byte the next step rewrites): masked stores
     * are slow on some CPUs. */
    uint8_t order[64];
    for (int j = 0; j < 63; j++)
        order[j] = (uint8_t)(1 + 3 * (20 - j / 3) + j % 3);
    order[63] = 0;
    const __m512i index = _mm512_loadu_si512((const void *)order);
    for (; x + 22 <= width; x += 21) {
        __m512i v = _mm512_loadu_si512((const void *)(src + 3 * (width - x - 21) - 1));
        _mm512_storeu_si512((void *)(dst + 3 * x), _mm512_permutexvar_epi8(index, v));
    }
#elif defined(__AVX2__)
    /* 5 pixels per step from a 16-byte load that starts one byte early (so
     * it never reads past the row); the 16th byte stored is rewritten by
     * the next step or the tail. */
    const __m128i index = _mm_setr_epi8(13, 14, 15, 10, 11, 12, 7, 8, 9, 4, 5, 6, 1, 2, 3, (char)0x80);
    for (; x + 6 <= width; x += 5) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)(src + 3 * (width - x - 5) - 1));
        _mm_storeu_si128((__m128i *)(void *)(dst + 3 * x), _mm_shuffle_epi8(v, index));
    }
#endif
    const uint8_t *last = src + 3 * (width - 1);
    for (; x < width; x++) {
        dst[3 * x] = last[-3 * (ptrdiff_t)x];
        dst[3 * x + 1] = last[-3 * (ptrdiff_t)x + 1];
        dst[3 * x + 2] = last[-3 * (ptrdiff_t)x + 2];
    }
}

/* Four interleaved tables, so that runs of equal values do not serialise
 * on one counter. */
static void row_histogram(const uint8_t *restrict src, size_t width, uint32_t *restrict counts4)
{
    size_t x = 0;
    for (; x + 4 <= width; x += 4) {
        for (size_t k = 0; k < 4; k++) {
            const uint8_t *p = src + 3 * (x + k);
            uint32_t *table = counts4 + 768 * k;
            table[p[0]]++;
            table[256 + p[1]]++;
            table[512 + p[2]]++;
        }
    }
    for (; x < width; x++) {
        const uint8_t *p = src + 3 * x;
        counts4[p[0]]++;
        counts4[256 + p[1]]++;
        counts4[512 + p[2]]++;
    }
}

/* A row copy in vector registers: for rows of a few KiB, glibc's memcpy
 * switches to `rep movsb`, which some CPUs run at half the speed. */
static void row_copy(const uint8_t *restrict src, uint8_t *restrict dst, size_t n)
{
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512((void *)(dst + i), _mm512_loadu_si512((const void *)(src + i)));
#elif defined(__AVX2__)
    for (; i + 32 <= n; i += 32)
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_loadu_si256((const __m256i *)(const void *)(src + i)));
#endif
    if (i < n)
        memcpy(dst + i, src + i, n - i);
}
