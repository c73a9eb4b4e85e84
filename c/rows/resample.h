/* rows/resample.h: loops of resize. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * Horizontal linear pass: for output pixel x, xofs[2x] and xofs[2x + 1]
 * are the byte offsets of the two source pixels and alpha[2x], alpha[2x + 1]
 * their weights (sum ~2048).
 */
static void row_resize_h_linear(const uint8_t *restrict src, int32_t *restrict dst, size_t dst_width,
                                const int32_t *restrict xofs, const int16_t *restrict alpha)
{
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p0 = src + xofs[2 * x], *p1 = src + xofs[2 * x + 1];
        int32_t a0 = alpha[2 * x], a1 = alpha[2 * x + 1];
        dst[3 * x] = p0[0] * a0 + p1[0] * a1;
        dst[3 * x + 1] = p0[1] * a0 + p1[1] * a1;
        dst[3 * x + 2] = p0[2] * a0 + p1[2] * a1;
    }
}

static void row_resize_v_linear(const int32_t *restrict row0, const int32_t *restrict row1,
                                uint8_t *restrict dst, size_t n, int32_t beta0, int32_t beta1)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v = (row0[i] * beta0 + row1[i] * beta1 + (1 << 21)) >> 22;
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* Horizontal area pass: output x sums `count[x]` source pixels from start[x]
 * with weights[x * taps + k]. */
static void row_resize_area_h(const uint8_t *restrict src, float *restrict dst, size_t dst_width,
                              const int32_t *restrict start, const int32_t *restrict count,
                              const float *restrict weights, size_t taps)
{
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p = src + 3 * (size_t)start[x];
        const float *w = weights + x * taps;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f;
        for (int32_t k = 0; k < count[x]; k++) {
            s0 += (float)p[3 * k] * w[k];
            s1 += (float)p[3 * k + 1] * w[k];
            s2 += (float)p[3 * k + 2] * w[k];
        }
        dst[3 * x] = s0;
        dst[3 * x + 1] = s1;
        dst[3 * x + 2] = s2;
    }
}

static void row_axpy_f32(const float *restrict src, float *restrict acc, size_t n, float weight)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += src[i] * weight;
}

static void row_round_f32(const float *restrict src, uint8_t *restrict dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = src[i] + 0.5f;
        dst[i] = (uint8_t)(v <= 0.0f ? 0 : v >= 255.0f ? 255 : (int32_t)v);
    }
}

/* Integer-factor area: sums of `factor` adjacent pixels, per channel. */
static void row_area_sum_h(const uint8_t *restrict src, uint32_t *restrict dst, size_t dst_width, size_t factor)
{
    if (factor == 2) {
        for (size_t x = 0; x < dst_width; x++)
            for (size_t c = 0; c < 3; c++)
                dst[3 * x + c] = (uint32_t)src[6 * x + c] + src[6 * x + 3 + c];
        return;
    }
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p = src + 3 * factor * x;
        uint32_t s0 = 0, s1 = 0, s2 = 0;
        for (size_t k = 0; k < factor; k++) {
            s0 += p[3 * k];
            s1 += p[3 * k + 1];
            s2 += p[3 * k + 2];
        }
        dst[3 * x] = s0;
        dst[3 * x + 1] = s1;
        dst[3 * x + 2] = s2;
    }
}

/* Nearest neighbour: output pixel x is the source pixel at byte offset xofs[x].
 * Pixels move as 4-byte words (the extra byte stored is rewritten by the
 * next pixel); the source row's last pixel, whose fourth byte may not
 * exist, and the output row's last pixel move as 3 bytes. */
static void row_nearest(const uint8_t *restrict src, uint8_t *restrict dst, size_t dst_width,
                        const int32_t *restrict xofs, size_t src_width)
{
    const int32_t last = (int32_t)(3 * (src_width - 1));
    size_t x = 0;
    for (; x + 1 < dst_width; x++) {
        int32_t offset = xofs[x];
        uint32_t word;
        if (offset != last)
            memcpy(&word, src + offset, 4);
        else
            word = (uint32_t)src[offset] | (uint32_t)src[offset + 1] << 8 | (uint32_t)src[offset + 2] << 16;
        memcpy(dst + 3 * x, &word, 4);
    }
    const uint8_t *p = src + xofs[x];
    dst[3 * x] = p[0];
    dst[3 * x + 1] = p[1];
    dst[3 * x + 2] = p[2];
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
#include <immintrin.h>

/* The four samples of 16 output pixels, widened to 16 bits (32 + 16 lanes). */
static inline void half_sum16(__m512i a0, __m512i b0, __m512i a1, __m512i b1, __m512i left, __m512i right,
                              __m512i *low, __m512i *high)
{
    __m512i l0 = _mm512_permutex2var_epi8(a0, left, b0), r0 = _mm512_permutex2var_epi8(a0, right, b0);
    __m512i l1 = _mm512_permutex2var_epi8(a1, left, b1), r1 = _mm512_permutex2var_epi8(a1, right, b1);
    __m512i sums[2];
    for (int half = 0; half < 2; half++) {
        __m512i s = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(l0, 0));
        if (half) {
            s = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(l0, 1));
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(r0, 1)));
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(l1, 1)));
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(r1, 1)));
        } else {
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(r0, 0)));
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(l1, 0)));
            s = _mm512_add_epi16(s, _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(r1, 0)));
        }
        sums[half] = _mm512_srli_epi16(_mm512_add_epi16(s, _mm512_set1_epi16(2)), 2);
    }
    *low = sums[0];
    *high = sums[1];
}
#endif

/* 2x2 mean of two source rows, rounded half up: (a + b + c + d + 2) >> 2. */
static void row_half(const uint8_t *restrict row0, const uint8_t *restrict row1, uint8_t *restrict dst,
                     size_t dst_width)
{
    size_t x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* 16 output pixels (48 bytes) from 32 source pixels (96 bytes) per row:
     * byte permutes gather each pair's left and right pixel. */
    uint8_t left_order[64], right_order[64];
    for (int j = 0; j < 64; j++) {
        left_order[j] = (uint8_t)(j < 48 ? 6 * (j / 3) + j % 3 : 0);
        right_order[j] = (uint8_t)(j < 48 ? 6 * (j / 3) + j % 3 + 3 : 0);
    }
    const __m512i left = _mm512_loadu_si512((const void *)left_order);
    const __m512i right = _mm512_loadu_si512((const void *)right_order);
    const __mmask64 bytes32 = 0xffffffffULL;
    for (; x + 16 <= dst_width; x += 16) {
        const uint8_t *p0 = row0 + 6 * x, *p1 = row1 + 6 * x;
        __m512i low, high;
        half_sum16(_mm512_loadu_si512((const void *)p0), _mm512_maskz_loadu_epi8(bytes32, p0 + 64),
                   _mm512_loadu_si512((const void *)p1), _mm512_maskz_loadu_epi8(bytes32, p1 + 64), left, right,
                   &low, &high);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 3 * x), _mm512_cvtepi16_epi8(low));
        _mm_storeu_si128((__m128i *)(void *)(dst + 3 * x + 32), _mm256_castsi256_si128(_mm512_cvtepi16_epi8(high)));
    }
#endif
    for (; x < dst_width; x++) {
        for (size_t c = 0; c < 3; c++) {
            unsigned sum = (unsigned)row0[6 * x + c] + row0[6 * x + 3 + c] + row1[6 * x + c] + row1[6 * x + 3 + c];
            dst[3 * x + c] = (uint8_t)((sum + 2) >> 2);
        }
    }
}

/* Doubling, horizontal pass: weights of output pixel 2i + 1 are (3, 1) on
 * source pixels (i, i + 1), of 2i + 2 they are (1, 3); the first and last
 * output pixels copy the edge pixel (weight 4).  Q2 results. */
static void row_double_h(const uint8_t *restrict src, uint16_t *restrict dst, size_t src_width)
{
    for (size_t c = 0; c < 3; c++) {
        dst[c] = (uint16_t)(4 * src[c]);
        dst[3 * (2 * src_width - 1) + c] = (uint16_t)(4 * src[3 * (src_width - 1) + c]);
    }
    for (size_t i = 0; i + 1 < src_width; i++) {
        for (size_t c = 0; c < 3; c++) {
            uint16_t p = src[3 * i + c], q = src[3 * i + 3 + c];
            dst[3 * (2 * i + 1) + c] = (uint16_t)(3 * p + q);
            dst[3 * (2 * i + 2) + c] = (uint16_t)(p + 3 * q);
        }
    }
}

/* Doubling, vertical pass: (w0 * a + w1 * b + 8) >> 4 with w0 + w1 = 4. */
static void row_double_v(const uint16_t *restrict a, const uint16_t *restrict b, uint8_t *restrict dst, size_t n,
                         uint16_t w0, uint16_t w1)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)((uint16_t)(w0 * a[i] + w1 * b[i] + 8) >> 4);
}
