/*
 * rows/yuv.h: YUV <-> RGB loops.
 *
 * Coefficients (see yuv.c): coef[0..7] for YUV -> RGB, in units of 2**-13,
 *   R = (c0 Y + c1 V + c5) >> 13,  G = (c0 Y + c2 U + c3 V + c6) >> 13,
 *   B = (c0 Y + c4 U + c7) >> 13, clamped to 0..255 (>> rounds down);
 * and for RGB -> YUV, in units of 2**-15, three rows of four:
 *   Y = (k0 R + k1 G + k2 B + k3) >> 15, U with k4..k7, V with k8..k11, clamped.
 * The constants hold the offsets and the rounding.  All products and sums
 * fit int32, and the AVX2 and AVX-512 loops compute exactly the same
 * integers (16-bit pairs multiplied and summed into 32 bits by madd).
 */
#include <stddef.h>
#include <stdint.h>

/* x >> 13 rounded down, for any int32 x, without shifting a negative number. */
static inline int32_t yuv_floor13(int32_t x)
{
    return (int32_t)(((uint32_t)x + 0x80000000u) >> 13) - (int32_t)(0x80000000u >> 13);
}

static inline uint8_t yuv_clamp(int32_t x)
{
    return (uint8_t)(x < 0 ? 0 : x > 255 ? 255 : x);
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
#include <immintrin.h>

/*
 * Output vector k of 3 * 64 bytes of RGB from the 64 bytes of each channel
 * (in pixel order): its R and G bytes with one two-source permute (indices
 * >= 64 pick G), its B bytes (mask) with a second.
 */
static const uint8_t yuv_rgb_index[3][64] = {
    {  0,  64,   0,   1,  65,   0,   2,  66,   0,   3,  67,   0,   4,  68,   0,   5,
      69,   0,   6,  70,   0,   7,  71,   0,   8,  72,   0,   9,  73,   0,  10,  74,
       0,  11,  75,   0,  12,  76,   0,  13,  77,   0,  14,  78,   0,  15,  79,   0,
      16,  80,   0,  17,  81,   0,  18,  82,   0,  19,  83,   0,  20,  84,   0,  21},
    { 85,   0,  22,  86,   0,  23,  87,   0,  24,  88,   0,  25,  89,   0,  26,  90,
       0,  27,  91,   0,  28,  92,   0,  29,  93,   0,  30,  94,   0,  31,  95,   0,
      32,  96,   0,  33,  97,   0,  34,  98,   0,  35,  99,   0,  36, 100,   0,  37,
     101,   0,  38, 102,   0,  39, 103,   0,  40, 104,   0,  41, 105,   0,  42, 106},
    {  0,  43, 107,   0,  44, 108,   0,  45, 109,   0,  46, 110,   0,  47, 111,   0,
      48, 112,   0,  49, 113,   0,  50, 114,   0,  51, 115,   0,  52, 116,   0,  53,
     117,   0,  54, 118,   0,  55, 119,   0,  56, 120,   0,  57, 121,   0,  58, 122,
       0,  59, 123,   0,  60, 124,   0,  61, 125,   0,  62, 126,   0,  63, 127,   0}};
static const uint8_t yuv_b_index[3][64] = {
    {  0,   0,   0,   0,   0,   1,   0,   0,   2,   0,   0,   3,   0,   0,   4,   0,
       0,   5,   0,   0,   6,   0,   0,   7,   0,   0,   8,   0,   0,   9,   0,   0,
      10,   0,   0,  11,   0,   0,  12,   0,   0,  13,   0,   0,  14,   0,   0,  15,
       0,   0,  16,   0,   0,  17,   0,   0,  18,   0,   0,  19,   0,   0,  20,   0},
    {  0,  21,   0,   0,  22,   0,   0,  23,   0,   0,  24,   0,   0,  25,   0,   0,
      26,   0,   0,  27,   0,   0,  28,   0,   0,  29,   0,   0,  30,   0,   0,  31,
       0,   0,  32,   0,   0,  33,   0,   0,  34,   0,   0,  35,   0,   0,  36,   0,
       0,  37,   0,   0,  38,   0,   0,  39,   0,   0,  40,   0,   0,  41,   0,   0},
    { 42,   0,   0,  43,   0,   0,  44,   0,   0,  45,   0,   0,  46,   0,   0,  47,
       0,   0,  48,   0,   0,  49,   0,   0,  50,   0,   0,  51,   0,   0,  52,   0,
       0,  53,   0,   0,  54,   0,   0,  55,   0,   0,  56,   0,   0,  57,   0,   0,
      58,   0,   0,  59,   0,   0,  60,   0,   0,  61,   0,   0,  62,   0,   0,  63}};
static const uint64_t yuv_b_mask[3] = {0x4924924924924924u, 0x2492492492492492u, 0x9249249249249249u};

/*
 * R, G, B (int16, in pixel order) of 32 pixels from int16 Y, U and V per
 * pixel.  The pairs (Y, U) and (Y, V) are made once and each channel takes
 * one or two madds: c[0] = (c0, c1) times (Y, V) for R, c[1] = (c0, c2)
 * times (Y, U) plus c[2] = (0, c3) times (Y, V) for G, c[3] = (c0, c4)
 * times (Y, U) for B; c[4..6] are the constants of R, G and B.
 */
static inline void yuv_rgb16(__m512i y, __m512i u, __m512i v, const __m512i *c, __m512i *r, __m512i *g, __m512i *b)
{
    __m512i yu_lo = _mm512_unpacklo_epi16(y, u), yu_hi = _mm512_unpackhi_epi16(y, u);
    __m512i yv_lo = _mm512_unpacklo_epi16(y, v), yv_hi = _mm512_unpackhi_epi16(y, v);
    __m512i r_lo = _mm512_add_epi32(_mm512_madd_epi16(yv_lo, c[0]), c[4]);
    __m512i r_hi = _mm512_add_epi32(_mm512_madd_epi16(yv_hi, c[0]), c[4]);
    __m512i g_lo = _mm512_add_epi32(_mm512_madd_epi16(yu_lo, c[1]), _mm512_madd_epi16(yv_lo, c[2]));
    __m512i g_hi = _mm512_add_epi32(_mm512_madd_epi16(yu_hi, c[1]), _mm512_madd_epi16(yv_hi, c[2]));
    g_lo = _mm512_add_epi32(g_lo, c[5]);
    g_hi = _mm512_add_epi32(g_hi, c[5]);
    __m512i b_lo = _mm512_add_epi32(_mm512_madd_epi16(yu_lo, c[3]), c[6]);
    __m512i b_hi = _mm512_add_epi32(_mm512_madd_epi16(yu_hi, c[3]), c[6]);
    *r = _mm512_packs_epi32(_mm512_srai_epi32(r_lo, 13), _mm512_srai_epi32(r_hi, 13));
    *g = _mm512_packs_epi32(_mm512_srai_epi32(g_lo, 13), _mm512_srai_epi32(g_hi, 13));
    *b = _mm512_packs_epi32(_mm512_srai_epi32(b_lo, 13), _mm512_srai_epi32(b_hi, 13));
}

/* 64 bytes as int16: pixels 0-7, 16-23, 32-39, 48-55 and 8-15, 24-31, 40-47, 56-63. */
static inline void yuv_widen512(const uint8_t *p, __m512i *first, __m512i *second)
{
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    __m512i v = _mm512_permutexvar_epi64(order, _mm512_loadu_si512((const void *)p));
    *first = _mm512_cvtepu8_epi16(_mm512_castsi512_si256(v));
    *second = _mm512_cvtepu8_epi16(_mm512_extracti64x4_epi64(v, 1));
}

/* 32 chroma samples repeated twice each, for the pixels of yuv_widen512. */
static inline void yuv_dup512(const uint8_t *p, __m512i *first, __m512i *second)
{
    __m512i c = _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)p));
    *first = _mm512_unpacklo_epi16(c, c);
    *second = _mm512_unpackhi_epi16(c, c);
}

static inline __m512i yuv_pair_coef(int32_t a, int32_t b)
{
    return _mm512_set1_epi32((int32_t)(((uint32_t)(uint16_t)(int16_t)b << 16) | (uint16_t)(int16_t)a));
}
#endif

#if defined(__AVX2__)
#include <immintrin.h>

static inline __m256i yuv_pair_coef256(int32_t a, int32_t b)
{
    return _mm256_set1_epi32((int32_t)(((uint32_t)(uint16_t)(int16_t)b << 16) | (uint16_t)(int16_t)a));
}

/* yuv_rgb16 for 16 pixels. */
static inline void yuv_rgb16_256(__m256i y, __m256i u, __m256i v, const __m256i *c, __m256i *r, __m256i *g,
                                 __m256i *b)
{
    __m256i yu_lo = _mm256_unpacklo_epi16(y, u), yu_hi = _mm256_unpackhi_epi16(y, u);
    __m256i yv_lo = _mm256_unpacklo_epi16(y, v), yv_hi = _mm256_unpackhi_epi16(y, v);
    __m256i r_lo = _mm256_add_epi32(_mm256_madd_epi16(yv_lo, c[0]), c[4]);
    __m256i r_hi = _mm256_add_epi32(_mm256_madd_epi16(yv_hi, c[0]), c[4]);
    __m256i g_lo = _mm256_add_epi32(_mm256_madd_epi16(yu_lo, c[1]), _mm256_madd_epi16(yv_lo, c[2]));
    __m256i g_hi = _mm256_add_epi32(_mm256_madd_epi16(yu_hi, c[1]), _mm256_madd_epi16(yv_hi, c[2]));
    g_lo = _mm256_add_epi32(g_lo, c[5]);
    g_hi = _mm256_add_epi32(g_hi, c[5]);
    __m256i b_lo = _mm256_add_epi32(_mm256_madd_epi16(yu_lo, c[3]), c[6]);
    __m256i b_hi = _mm256_add_epi32(_mm256_madd_epi16(yu_hi, c[3]), c[6]);
    *r = _mm256_packs_epi32(_mm256_srai_epi32(r_lo, 13), _mm256_srai_epi32(r_hi, 13));
    *g = _mm256_packs_epi32(_mm256_srai_epi32(g_lo, 13), _mm256_srai_epi32(g_hi, 13));
    *b = _mm256_packs_epi32(_mm256_srai_epi32(b_lo, 13), _mm256_srai_epi32(b_hi, 13));
}

/* 32 bytes as int16: pixels 0-7, 16-23 and pixels 8-15, 24-31 (packus of the two then gives 0-31 in order). */
static inline void yuv_widen256(const uint8_t *p, __m256i *first, __m256i *second)
{
    __m256i v = _mm256_permute4x64_epi64(_mm256_loadu_si256((const __m256i *)(const void *)p), 0xD8);
    *first = _mm256_cvtepu8_epi16(_mm256_castsi256_si128(v));
    *second = _mm256_cvtepu8_epi16(_mm256_extracti128_si256(v, 1));
}

/* 16 chroma samples repeated twice each, for the pixels of yuv_widen256. */
static inline void yuv_dup256(const uint8_t *p, __m256i *first, __m256i *second)
{
    __m256i c = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)p));
    *first = _mm256_unpacklo_epi16(c, c);
    *second = _mm256_unpackhi_epi16(c, c);
}
#endif

/*
 * One row of RGB from planar Y, U, V: pixel x takes chroma sample
 * x >> chroma_shift (0: 4:4:4, 1: 4:2:x).
 */
static void row_yuv_rgb(const uint8_t *restrict y, const uint8_t *restrict u, const uint8_t *restrict v,
                        uint8_t *restrict dst, size_t width, int chroma_shift, const int32_t *coef)
{
    size_t x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const __m512i c[7] = {yuv_pair_coef(coef[0], coef[1]), yuv_pair_coef(coef[0], coef[2]),
                          yuv_pair_coef(0, coef[3]),       yuv_pair_coef(coef[0], coef[4]),
                          _mm512_set1_epi32(coef[5]),      _mm512_set1_epi32(coef[6]),
                          _mm512_set1_epi32(coef[7])};
    __m512i rg_index[3], b_index[3];
    for (int k = 0; k < 3; k++) {
        rg_index[k] = _mm512_loadu_si512((const void *)yuv_rgb_index[k]);
        b_index[k] = _mm512_loadu_si512((const void *)yuv_b_index[k]);
    }
    for (; x + 64 <= width; x += 64) {
        /* Group 0: pixels 16 L .. 16 L + 7 of each 128-bit lane L, group 1: 16 L + 8 ..,
         * so that packus gives the 64 pixels in order. */
        __m512i y0, y1, u0, u1, v0, v1;
        yuv_widen512(y + x, &y0, &y1);
        if (chroma_shift) {
            yuv_dup512(u + x / 2, &u0, &u1);
            yuv_dup512(v + x / 2, &v0, &v1);
        } else {
            yuv_widen512(u + x, &u0, &u1);
            yuv_widen512(v + x, &v0, &v1);
        }
        __m512i r0, g0, b0, r1, g1, b1;
        yuv_rgb16(y0, u0, v0, c, &r0, &g0, &b0);
        yuv_rgb16(y1, u1, v1, c, &r1, &g1, &b1);
        __m512i r = _mm512_packus_epi16(r0, r1), g = _mm512_packus_epi16(g0, g1), b = _mm512_packus_epi16(b0, b1);
        uint8_t *out = dst + 3 * x;
        for (int k = 0; k < 3; k++) {
            __m512i rg = _mm512_permutex2var_epi8(r, rg_index[k], g);
            __m512i rgb = _mm512_mask_permutexvar_epi8(rg, (__mmask64)yuv_b_mask[k], b_index[k], b);
            _mm512_storeu_si512((void *)(out + 64 * k), rgb);
        }
    }
#endif
#if defined(__AVX2__)
    {
        const __m256i c[7] = {yuv_pair_coef256(coef[0], coef[1]), yuv_pair_coef256(coef[0], coef[2]),
                              yuv_pair_coef256(0, coef[3]),       yuv_pair_coef256(coef[0], coef[4]),
                              _mm256_set1_epi32(coef[5]),         _mm256_set1_epi32(coef[6]),
                              _mm256_set1_epi32(coef[7])};
        /* Byte j of 16-byte chunk k of 16 interleaved pixels: channel (16 k + j) % 3 of pixel (16 k + j) / 3. */
        uint8_t shuffle[3][3][32];
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 3; k++)
                for (int j = 0; j < 32; j++) {
                    int g = 16 * k + j % 16;
                    shuffle[c][k][j] = (uint8_t)(g % 3 == c ? g / 3 : 0x80);
                }
        __m256i masks[3][3];
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 3; k++)
                masks[c][k] = _mm256_loadu_si256((const __m256i *)(const void *)shuffle[c][k]);
        for (; x + 32 <= width; x += 32) {
            /* Group 0: pixels 0-7 and 16-23, group 1: 8-15 and 24-31, so that
             * packus gives lane 0 pixels 0-15, lane 1 pixels 16-31. */
            __m256i y0, y1, u0, u1, v0, v1;
            yuv_widen256(y + x, &y0, &y1);
            if (chroma_shift) {
                yuv_dup256(u + x / 2, &u0, &u1);
                yuv_dup256(v + x / 2, &v0, &v1);
            } else {
                yuv_widen256(u + x, &u0, &u1);
                yuv_widen256(v + x, &v0, &v1);
            }
            __m256i r0, g0, b0, r1, g1, b1, ch[3], out[3];
            yuv_rgb16_256(y0, u0, v0, c, &r0, &g0, &b0);
            yuv_rgb16_256(y1, u1, v1, c, &r1, &g1, &b1);
            ch[0] = _mm256_packus_epi16(r0, r1);
            ch[1] = _mm256_packus_epi16(g0, g1);
            ch[2] = _mm256_packus_epi16(b0, b1);
            for (int k = 0; k < 3; k++)
                out[k] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(ch[0], masks[0][k]),
                                                         _mm256_shuffle_epi8(ch[1], masks[1][k])),
                                         _mm256_shuffle_epi8(ch[2], masks[2][k]));
            /* out[k]: lane 0 bytes 16 k .. of pixels 0-15, lane 1 the same of pixels 16-31. */
            uint8_t *o = dst + 3 * x;
            _mm256_storeu_si256((__m256i *)(void *)o, _mm256_permute2x128_si256(out[0], out[1], 0x20));
            _mm256_storeu_si256((__m256i *)(void *)(o + 32), _mm256_permute2x128_si256(out[2], out[0], 0x30));
            _mm256_storeu_si256((__m256i *)(void *)(o + 64), _mm256_permute2x128_si256(out[1], out[2], 0x31));
        }
    }
#endif
    const int32_t c0 = coef[0], c1 = coef[1], c2 = coef[2], c3 = coef[3], c4 = coef[4];
    const int32_t k0 = coef[5], k1 = coef[6], k2 = coef[7];
#if !defined(__AVX2__)
    /* Without the loops above: blocks of planar channels first, in loops the
     * compiler vectorises, then interleaved. */
    enum { block = 256 };
    for (; x + block <= width; x += block) {
        uint8_t cu[block], cv[block], r[block], g[block], b[block];
        const uint8_t *us = u + (x >> chroma_shift), *vs = v + (x >> chroma_shift);
        if (chroma_shift) {
            for (size_t i = 0; i < block / 2; i++) {
                cu[2 * i] = cu[2 * i + 1] = us[i];
                cv[2 * i] = cv[2 * i + 1] = vs[i];
            }
        } else {
            for (size_t i = 0; i < block; i++) {
                cu[i] = us[i];
                cv[i] = vs[i];
            }
        }
        const uint8_t *ys = y + x;
        for (size_t i = 0; i < block; i++) {
            int32_t luma = c0 * ys[i];
            r[i] = yuv_clamp(yuv_floor13(luma + c1 * cv[i] + k0));
            g[i] = yuv_clamp(yuv_floor13(luma + c2 * cu[i] + c3 * cv[i] + k1));
            b[i] = yuv_clamp(yuv_floor13(luma + c4 * cu[i] + k2));
        }
        uint8_t *out = dst + 3 * x;
        for (size_t i = 0; i < block; i++) {
            out[3 * i] = r[i];
            out[3 * i + 1] = g[i];
            out[3 * i + 2] = b[i];
        }
    }
#endif
    for (; x < width; x++) {
        size_t c = x >> chroma_shift;
        int32_t luma = c0 * y[x], cu = u[c], cv = v[c];
        dst[3 * x] = yuv_clamp(yuv_floor13(luma + c1 * cv + k0));
        dst[3 * x + 1] = yuv_clamp(yuv_floor13(luma + c2 * cu + c3 * cv + k1));
        dst[3 * x + 2] = yuv_clamp(yuv_floor13(luma + c4 * cu + k2));
    }
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/* Gathers of rgb_y: group j (pixels 16 j .. 16 j + 15) as int16 pairs (R, G)
 * and (B, 0), from the two vectors at byte 0 (j < 2) or 64 (j >= 2). */
static const uint8_t rgb_y_rg[4][64] = {
    {0,  0, 1,  0, 3,  0, 4,  0, 6,  0, 7,  0, 9,  0, 10, 0, 12, 0, 13, 0, 15, 0,
     16, 0, 18, 0, 19, 0, 21, 0, 22, 0, 24, 0, 25, 0, 27, 0, 28, 0, 30, 0, 31, 0,
     33, 0, 34, 0, 36, 0, 37, 0, 39, 0, 40, 0, 42, 0, 43, 0, 45, 0, 46, 0},
    {48, 0, 49, 0, 51, 0, 52, 0, 54, 0, 55, 0, 57, 0, 58, 0, 60, 0, 61, 0, 63, 0,
     64, 0, 66, 0, 67, 0, 69, 0, 70, 0, 72, 0, 73, 0, 75, 0, 76, 0, 78, 0, 79, 0,
     81, 0, 82, 0, 84, 0, 85, 0, 87, 0, 88, 0, 90, 0, 91, 0, 93, 0, 94, 0},
    {32, 0, 33, 0, 35, 0, 36, 0, 38, 0, 39, 0, 41, 0, 42, 0, 44, 0, 45, 0, 47, 0,
     48, 0, 50, 0, 51, 0, 53, 0, 54, 0, 56, 0, 57, 0, 59, 0, 60, 0, 62, 0, 63, 0,
     65, 0, 66, 0, 68, 0, 69, 0, 71, 0, 72, 0, 74, 0, 75, 0, 77, 0, 78, 0},
    {80,  0, 81,  0, 83,  0, 84,  0, 86,  0, 87,  0, 89,  0, 90,  0, 92,  0, 93,  0, 95,  0,
     96,  0, 98,  0, 99,  0, 101, 0, 102, 0, 104, 0, 105, 0, 107, 0, 108, 0, 110, 0, 111, 0,
     113, 0, 114, 0, 116, 0, 117, 0, 119, 0, 120, 0, 122, 0, 123, 0, 125, 0, 126, 0}};
static const uint8_t rgb_y_b[4][64] = {
    {2,  0, 0, 0, 5,  0, 0, 0, 8,  0, 0, 0, 11, 0, 0, 0, 14, 0, 0, 0, 17, 0,
     0,  0, 20, 0, 0, 0, 23, 0, 0, 0, 26, 0, 0, 0, 29, 0, 0, 0, 32, 0, 0, 0,
     35, 0, 0, 0, 38, 0, 0, 0, 41, 0, 0, 0, 44, 0, 0, 0, 47, 0, 0, 0},
    {50, 0, 0, 0, 53, 0, 0, 0, 56, 0, 0, 0, 59, 0, 0, 0, 62, 0, 0, 0, 65, 0,
     0,  0, 68, 0, 0, 0, 71, 0, 0, 0, 74, 0, 0, 0, 77, 0, 0, 0, 80, 0, 0, 0,
     83, 0, 0, 0, 86, 0, 0, 0, 89, 0, 0, 0, 92, 0, 0, 0, 95, 0, 0, 0},
    {34, 0, 0, 0, 37, 0, 0, 0, 40, 0, 0, 0, 43, 0, 0, 0, 46, 0, 0, 0, 49, 0,
     0,  0, 52, 0, 0, 0, 55, 0, 0, 0, 58, 0, 0, 0, 61, 0, 0, 0, 64, 0, 0, 0,
     67, 0, 0, 0, 70, 0, 0, 0, 73, 0, 0, 0, 76, 0, 0, 0, 79, 0, 0, 0},
    {82,  0, 0, 0, 85,  0, 0, 0, 88,  0, 0, 0, 91,  0, 0, 0, 94,  0, 0, 0, 97,  0,
     0,   0, 100, 0, 0, 0, 103, 0, 0, 0, 106, 0, 0, 0, 109, 0, 0, 0, 112, 0, 0, 0,
     115, 0, 0, 0, 118, 0, 0, 0, 121, 0, 0, 0, 124, 0, 0, 0, 127, 0, 0, 0}};
/* Pixel n of the packed result is at byte rgb_y_order[n] (also chroma n of U, 32 + n of V, in rgb_uv). */
static const uint8_t rgb_y_order[64] = {0,  1,  2,  3,  16, 17, 18, 19, 32, 33, 34, 35, 48, 49, 50, 51,
                                        4,  5,  6,  7,  20, 21, 22, 23, 36, 37, 38, 39, 52, 53, 54, 55,
                                        8,  9,  10, 11, 24, 25, 26, 27, 40, 41, 42, 43, 56, 57, 58, 59,
                                        12, 13, 14, 15, 28, 29, 30, 31, 44, 45, 46, 47, 60, 61, 62, 63};
/* rgb_uv: group j (chroma 16 j .., from pixels 32 j + 2 i) from the vectors at byte 64 j. */
static const uint8_t rgb_uv_rg[2][64] = {
    {0,  0, 1,  0, 6,  0, 7,  0, 12, 0, 13, 0, 18, 0, 19, 0, 24, 0, 25, 0, 30, 0,
     31, 0, 36, 0, 37, 0, 42, 0, 43, 0, 48, 0, 49, 0, 54, 0, 55, 0, 60, 0, 61, 0,
     66, 0, 67, 0, 72, 0, 73, 0, 78, 0, 79, 0, 84, 0, 85, 0, 90, 0, 91, 0},
    {32, 0, 33, 0, 38, 0, 39, 0, 44,  0, 45,  0, 50,  0, 51,  0, 56,  0, 57,  0, 62,  0,
     63, 0, 68, 0, 69, 0, 74, 0, 75,  0, 80,  0, 81,  0, 86,  0, 87,  0, 92,  0, 93,  0,
     98, 0, 99, 0, 104, 0, 105, 0, 110, 0, 111, 0, 116, 0, 117, 0, 122, 0, 123, 0}};
static const uint8_t rgb_uv_b[2][64] = {
    {2,  0, 0, 0, 8,  0, 0, 0, 14, 0, 0, 0, 20, 0, 0, 0, 26, 0, 0, 0, 32, 0,
     0,  0, 38, 0, 0, 0, 44, 0, 0, 0, 50, 0, 0, 0, 56, 0, 0, 0, 62, 0, 0, 0,
     68, 0, 0, 0, 74, 0, 0, 0, 80, 0, 0, 0, 86, 0, 0, 0, 92, 0, 0, 0},
    {34, 0, 0, 0, 40, 0, 0, 0, 46, 0, 0, 0, 52, 0, 0, 0, 58,  0, 0, 0, 64,  0,
     0,  0, 70, 0, 0, 0, 76, 0, 0, 0, 82, 0, 0, 0, 88, 0, 0, 0, 94,  0, 0, 0,
     100, 0, 0, 0, 106, 0, 0, 0, 112, 0, 0, 0, 118, 0, 0, 0, 124, 0, 0, 0}};

/* (k0 R + k1 G + k2 B + k3) >> 15 of 16 pixels given as pairs (R, G), (B, 0). */
static inline __m512i rgb_dot15(__m512i rg, __m512i b, __m512i c01, __m512i c2, __m512i k)
{
    __m512i sum = _mm512_add_epi32(_mm512_madd_epi16(rg, c01), _mm512_madd_epi16(b, c2));
    return _mm512_srai_epi32(_mm512_add_epi32(sum, k), 15);
}
#endif

#if defined(__AVX2__)
/*
 * 8 pixels from src (reads 32 bytes: 8 past the pixels) as int16 pairs
 * (R, G) and (B, 0), lane 0 pixels 0-3, lane 1 pixels 4-7.
 */
static inline void rgb_pairs256(const uint8_t *src, __m256i *rg, __m256i *b)
{
    const __m256i spread = _mm256_setr_epi32(0, 1, 2, 3, 3, 4, 5, 6);
    const __m256i rg_mask = _mm256_setr_epi8(0, -128, 1, -128, 3, -128, 4, -128, 6, -128, 7, -128, 9, -128, 10, -128,
                                             0, -128, 1, -128, 3, -128, 4, -128, 6, -128, 7, -128, 9, -128, 10, -128);
    const __m256i b_mask = _mm256_setr_epi8(2, -128, -128, -128, 5, -128, -128, -128, 8, -128, -128, -128, 11, -128,
                                            -128, -128, 2, -128, -128, -128, 5, -128, -128, -128, 8, -128, -128, -128,
                                            11, -128, -128, -128);
    __m256i v = _mm256_permutevar8x32_epi32(_mm256_loadu_si256((const __m256i *)(const void *)src), spread);
    *rg = _mm256_shuffle_epi8(v, rg_mask);
    *b = _mm256_shuffle_epi8(v, b_mask);
}

/* k0 R + k1 G + k2 B of 8 pixels (int32, pixel order). */
static inline __m256i rgb_dot256(const uint8_t *src, __m256i c01, __m256i c2)
{
    __m256i rg, b;
    rgb_pairs256(src, &rg, &b);
    return _mm256_add_epi32(_mm256_madd_epi16(rg, c01), _mm256_madd_epi16(b, c2));
}

/*
 * U and V of 16 chroma samples from 32 pixels (reads 104 bytes): of even
 * pixels (mean = 0: (m + k) >> 15) or of pixel pairs (mean = 1: (m0 + m1 + 2 k) >> 16).
 */
static inline void rgb_chroma256(const uint8_t *src, int mean, const int32_t *coef, uint8_t *u, uint8_t *v)
{
    const __m256i u01 = yuv_pair_coef256(coef[4], coef[5]), u2 = yuv_pair_coef256(coef[6], 0);
    const __m256i v01 = yuv_pair_coef256(coef[8], coef[9]), v2 = yuv_pair_coef256(coef[10], 0);
    __m256i us[2], vs[2];
    for (int h = 0; h < 2; h++) {
        __m256i rg0, b0, rg1, b1;
        rgb_pairs256(src + 48 * h, &rg0, &b0);
        rgb_pairs256(src + 48 * h + 24, &rg1, &b1);
        __m256i mu0 = _mm256_add_epi32(_mm256_madd_epi16(rg0, u01), _mm256_madd_epi16(b0, u2));
        __m256i mu1 = _mm256_add_epi32(_mm256_madd_epi16(rg1, u01), _mm256_madd_epi16(b1, u2));
        __m256i mv0 = _mm256_add_epi32(_mm256_madd_epi16(rg0, v01), _mm256_madd_epi16(b0, v2));
        __m256i mv1 = _mm256_add_epi32(_mm256_madd_epi16(rg1, v01), _mm256_madd_epi16(b1, v2));
        /* Both leave the samples as lane 0: 0, 1, 4, 5, lane 1: 2, 3, 6, 7. */
        if (mean) {
            const __m256i ku = _mm256_set1_epi32(2 * coef[7]), kv = _mm256_set1_epi32(2 * coef[11]);
            us[h] = _mm256_srai_epi32(_mm256_add_epi32(_mm256_hadd_epi32(mu0, mu1), ku), 16);
            vs[h] = _mm256_srai_epi32(_mm256_add_epi32(_mm256_hadd_epi32(mv0, mv1), kv), 16);
        } else {
            const __m256i ku = _mm256_set1_epi32(coef[7]), kv = _mm256_set1_epi32(coef[11]);
            __m256i eu = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(mu0), _mm256_castsi256_ps(mu1),
                                                               _MM_SHUFFLE(2, 0, 2, 0)));
            __m256i ev = _mm256_castps_si256(_mm256_shuffle_ps(_mm256_castsi256_ps(mv0), _mm256_castsi256_ps(mv1),
                                                               _MM_SHUFFLE(2, 0, 2, 0)));
            us[h] = _mm256_srai_epi32(_mm256_add_epi32(eu, ku), 15);
            vs[h] = _mm256_srai_epi32(_mm256_add_epi32(ev, kv), 15);
        }
    }
    /* Bytes: lane 0 U 0 1 4 5 8 9 12 13, V the same; lane 1 U 2 3 6 7 10 11 14 15, V the same. */
    __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(us[0], us[1]), _mm256_packs_epi32(vs[0], vs[1]));
    __m128i lo = _mm256_castsi256_si128(packed), hi = _mm256_extracti128_si256(packed, 1);
    _mm_storeu_si128((__m128i *)(void *)u, _mm_unpacklo_epi16(lo, hi));
    _mm_storeu_si128((__m128i *)(void *)v, _mm_unpackhi_epi16(lo, hi));
}
#endif

/* (k0 R + k1 G + k2 B + k3) >> 15, clamped: luma with coef, or 4:4:4 chroma with coef + 4, + 8. */
static void row_rgb_y(const uint8_t *restrict src, uint8_t *restrict dst, size_t width, const int32_t *coef)
{
    size_t x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const __m512i c01 = yuv_pair_coef(coef[0], coef[1]), c2 = yuv_pair_coef(coef[2], 0);
    const __m512i k = _mm512_set1_epi32(coef[3]);
    const __m512i order = _mm512_loadu_si512((const void *)rgb_y_order);
    __m512i rg_index[4], b_index[4];
    for (int j = 0; j < 4; j++) {
        rg_index[j] = _mm512_loadu_si512((const void *)rgb_y_rg[j]);
        b_index[j] = _mm512_loadu_si512((const void *)rgb_y_b[j]);
    }
    const __mmask64 even = 0x5555555555555555u, fourth = 0x1111111111111111u;
    for (; x + 64 <= width; x += 64) {
        const uint8_t *in = src + 3 * x;
        __m512i v0 = _mm512_loadu_si512((const void *)in), v1 = _mm512_loadu_si512((const void *)(in + 64));
        __m512i v2 = _mm512_loadu_si512((const void *)(in + 128));
        __m512i sums[4];
        for (int j = 0; j < 4; j++) {
            __m512i a = j < 2 ? v0 : v1, b = j < 2 ? v1 : v2;
            __m512i rg = _mm512_maskz_permutex2var_epi8(even, a, rg_index[j], b);
            __m512i bb = _mm512_maskz_permutex2var_epi8(fourth, a, b_index[j], b);
            sums[j] = rgb_dot15(rg, bb, c01, c2, k);
        }
        __m512i packed =
            _mm512_packus_epi16(_mm512_packs_epi32(sums[0], sums[1]), _mm512_packs_epi32(sums[2], sums[3]));
        _mm512_storeu_si512((void *)(dst + x), _mm512_permutexvar_epi8(order, packed));
    }
#endif
#if defined(__AVX2__)
    {
        const __m256i c01 = yuv_pair_coef256(coef[0], coef[1]), c2 = yuv_pair_coef256(coef[2], 0);
        const __m256i k = _mm256_set1_epi32(coef[3]), order = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
        /* 32 pixels read 104 bytes. */
        for (; x + 35 <= width; x += 32) {
            const uint8_t *in = src + 3 * x;
            __m256i s0 = _mm256_srai_epi32(_mm256_add_epi32(rgb_dot256(in, c01, c2), k), 15);
            __m256i s1 = _mm256_srai_epi32(_mm256_add_epi32(rgb_dot256(in + 24, c01, c2), k), 15);
            __m256i s2 = _mm256_srai_epi32(_mm256_add_epi32(rgb_dot256(in + 48, c01, c2), k), 15);
            __m256i s3 = _mm256_srai_epi32(_mm256_add_epi32(rgb_dot256(in + 72, c01, c2), k), 15);
            /* Bytes: lane 0 pixels 0-3, 8-11, 16-19, 24-27; lane 1 4-7, 12-15, 20-23, 28-31. */
            __m256i packed = _mm256_packus_epi16(_mm256_packs_epi32(s0, s1), _mm256_packs_epi32(s2, s3));
            _mm256_storeu_si256((__m256i *)(void *)(dst + x), _mm256_permutevar8x32_epi32(packed, order));
        }
    }
#endif
    for (; x < width; x++) {
        const uint8_t *p = src + 3 * x;
        int32_t sum = coef[0] * p[0] + coef[1] * p[1] + coef[2] * p[2] + coef[3];
        dst[x] = yuv_clamp(sum >> 15);
    }
}

/* Subsampled chroma: U and V sample c from pixel 2 c (the block's top-left), count samples. */
static void row_rgb_uv(const uint8_t *restrict src, uint8_t *restrict u, uint8_t *restrict v, size_t count,
                       const int32_t *coef)
{
    size_t c = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const __m512i u01 = yuv_pair_coef(coef[4], coef[5]), u2 = yuv_pair_coef(coef[6], 0);
    const __m512i v01 = yuv_pair_coef(coef[8], coef[9]), v2 = yuv_pair_coef(coef[10], 0);
    const __m512i ku = _mm512_set1_epi32(coef[7]), kv = _mm512_set1_epi32(coef[11]);
    const __m512i order = _mm512_loadu_si512((const void *)rgb_y_order);
    __m512i rg_index[2], b_index[2];
    for (int j = 0; j < 2; j++) {
        rg_index[j] = _mm512_loadu_si512((const void *)rgb_uv_rg[j]);
        b_index[j] = _mm512_loadu_si512((const void *)rgb_uv_b[j]);
    }
    const __mmask64 even = 0x5555555555555555u, fourth = 0x1111111111111111u;
    /* 32 samples read pixels 0 .. 62: 189 bytes, within 3 vectors; the last
     * vector may reach past the row by up to 3 bytes, so keep one sample spare. */
    for (; c + 33 <= count; c += 32) {
        const uint8_t *in = src + 6 * c;
        __m512i v0 = _mm512_loadu_si512((const void *)in), v1 = _mm512_loadu_si512((const void *)(in + 64));
        __m512i vv2 = _mm512_loadu_si512((const void *)(in + 128));
        __m512i us[2], vs[2];
        for (int j = 0; j < 2; j++) {
            __m512i a = j == 0 ? v0 : v1, b = j == 0 ? v1 : vv2;
            __m512i rg = _mm512_maskz_permutex2var_epi8(even, a, rg_index[j], b);
            __m512i bb = _mm512_maskz_permutex2var_epi8(fourth, a, b_index[j], b);
            us[j] = rgb_dot15(rg, bb, u01, u2, ku);
            vs[j] = rgb_dot15(rg, bb, v01, v2, kv);
        }
        __m512i packed = _mm512_packus_epi16(_mm512_packs_epi32(us[0], us[1]), _mm512_packs_epi32(vs[0], vs[1]));
        packed = _mm512_permutexvar_epi8(order, packed);
        _mm256_storeu_si256((__m256i *)(void *)(u + c), _mm512_castsi512_si256(packed));
        _mm256_storeu_si256((__m256i *)(void *)(v + c), _mm512_extracti64x4_epi64(packed, 1));
    }
#endif
#if defined(__AVX2__)
    /* 16 samples read pixels 2 c .. 2 c + 34 (104 bytes); the row has at least 2 count - 1 pixels. */
    for (; 2 * c + 36 <= 2 * count - 1; c += 16)
        rgb_chroma256(src + 6 * c, 0, coef, u + c, v + c);
#endif
    for (; c < count; c++) {
        const uint8_t *p = src + 6 * c;
        int32_t su = coef[4] * p[0] + coef[5] * p[1] + coef[6] * p[2] + coef[7];
        int32_t sv = coef[8] * p[0] + coef[9] * p[1] + coef[10] * p[2] + coef[11];
        u[c] = yuv_clamp(su >> 15);
        v[c] = yuv_clamp(sv >> 15);
    }
}

/*
 * 4:2:2 chroma: U and V sample c from the mean of pixels 2 c and 2 c + 1
 * (pixel 2 c alone counted twice when `width` is odd and c is the last):
 * (k4 (R0 + R1) + k5 (G0 + G1) + k6 (B0 + B1) + 2 k7) >> 16.
 */
static void row_rgb_uv_mean(const uint8_t *restrict src, uint8_t *restrict u, uint8_t *restrict v, size_t width,
                            const int32_t *coef)
{
    size_t count = (width + 1) / 2, c = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const __m512i u01 = yuv_pair_coef(coef[4], coef[5]), u2 = yuv_pair_coef(coef[6], 0);
    const __m512i v01 = yuv_pair_coef(coef[8], coef[9]), v2 = yuv_pair_coef(coef[10], 0);
    const __m512i ku = _mm512_set1_epi32(2 * coef[7]), kv = _mm512_set1_epi32(2 * coef[11]);
    const __m512i order = _mm512_loadu_si512((const void *)rgb_y_order), three = _mm512_set1_epi8(3);
    __m512i rg_index[2], b_index[2];
    for (int j = 0; j < 2; j++) {
        rg_index[j] = _mm512_loadu_si512((const void *)rgb_uv_rg[j]);
        b_index[j] = _mm512_loadu_si512((const void *)rgb_uv_b[j]);
    }
    const __mmask64 even = 0x5555555555555555u, fourth = 0x1111111111111111u;
    /* 32 samples read pixels 0 .. 63, 192 bytes. */
    for (; 2 * c + 64 <= width; c += 32) {
        const uint8_t *in = src + 6 * c;
        __m512i v0 = _mm512_loadu_si512((const void *)in), v1 = _mm512_loadu_si512((const void *)(in + 64));
        __m512i vv2 = _mm512_loadu_si512((const void *)(in + 128));
        __m512i us[2], vs[2];
        for (int j = 0; j < 2; j++) {
            __m512i a = j == 0 ? v0 : v1, b = j == 0 ? v1 : vv2;
            __m512i rg_next = _mm512_add_epi8(rg_index[j], three), b_next = _mm512_add_epi8(b_index[j], three);
            __m512i rg = _mm512_add_epi16(_mm512_maskz_permutex2var_epi8(even, a, rg_index[j], b),
                                          _mm512_maskz_permutex2var_epi8(even, a, rg_next, b));
            __m512i bb = _mm512_add_epi16(_mm512_maskz_permutex2var_epi8(fourth, a, b_index[j], b),
                                          _mm512_maskz_permutex2var_epi8(fourth, a, b_next, b));
            __m512i su = _mm512_add_epi32(_mm512_madd_epi16(rg, u01), _mm512_madd_epi16(bb, u2));
            __m512i sv = _mm512_add_epi32(_mm512_madd_epi16(rg, v01), _mm512_madd_epi16(bb, v2));
            us[j] = _mm512_srai_epi32(_mm512_add_epi32(su, ku), 16);
            vs[j] = _mm512_srai_epi32(_mm512_add_epi32(sv, kv), 16);
        }
        __m512i packed = _mm512_packus_epi16(_mm512_packs_epi32(us[0], us[1]), _mm512_packs_epi32(vs[0], vs[1]));
        packed = _mm512_permutexvar_epi8(order, packed);
        _mm256_storeu_si256((__m256i *)(void *)(u + c), _mm512_castsi512_si256(packed));
        _mm256_storeu_si256((__m256i *)(void *)(v + c), _mm512_extracti64x4_epi64(packed, 1));
    }
#endif
#if defined(__AVX2__)
    for (; 2 * c + 35 <= width; c += 16)
        rgb_chroma256(src + 6 * c, 1, coef, u + c, v + c);
#endif
    for (; c < count; c++) {
        const uint8_t *p = src + 6 * c, *q = 2 * c + 1 < width ? p + 3 : p;
        int32_t r = p[0] + q[0], g = p[1] + q[1], b = p[2] + q[2];
        int32_t su = coef[4] * r + coef[5] * g + coef[6] * b + 2 * coef[7];
        int32_t sv = coef[8] * r + coef[9] * g + coef[10] * b + 2 * coef[11];
        u[c] = yuv_clamp(su >> 16);
        v[c] = yuv_clamp(sv >> 16);
    }
}

/* Y, U and V of `pairs` pixel pairs of packed 4:2:2: bytes y0, u, y1, v of each
 * 4 (yuyv, uyvy = 0) or u, y0, v, y1 (uyvy). */
static void row_split422(const uint8_t *restrict src, uint8_t *restrict y, uint8_t *restrict u,
                         uint8_t *restrict v, size_t pairs, int uyvy)
{
    if (uyvy) {
        for (size_t i = 0; i < pairs; i++) {
            u[i] = src[4 * i];
            y[2 * i] = src[4 * i + 1];
            v[i] = src[4 * i + 2];
            y[2 * i + 1] = src[4 * i + 3];
        }
    } else {
        for (size_t i = 0; i < pairs; i++) {
            y[2 * i] = src[4 * i];
            u[i] = src[4 * i + 1];
            y[2 * i + 1] = src[4 * i + 2];
            v[i] = src[4 * i + 3];
        }
    }
}

/* a[i] = src[2 i], b[i] = src[2 i + 1]. */
static void row_split2(const uint8_t *restrict src, uint8_t *restrict a, uint8_t *restrict b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        a[i] = src[2 * i];
        b[i] = src[2 * i + 1];
    }
}

/* dst[2 i] = a[i], dst[2 i + 1] = b[i]. */
static void row_merge2(const uint8_t *restrict a, const uint8_t *restrict b, uint8_t *restrict dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = a[i];
        dst[2 * i + 1] = b[i];
    }
}
