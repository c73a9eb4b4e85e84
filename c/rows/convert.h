/* rows/convert.h: colour conversion loops. */
#include <stddef.h>
#include <stdint.h>

#if defined(__AVX2__) && !defined(__AVX512BW__)
#include <immintrin.h>

/*
 * The luma of 8 pixels, 4 in each 128-bit lane (bytes 0-11 of `v`), exactly
 * (19595 r + 38470 g + 7471 b + 32768) >> 16.  vpmaddwd multiplies signed
 * 16-bit values, and 38470 is not one: g is weighted 38470 - 65536 and the
 * missing 65536 g added back after the shift, as g itself.  The rounding
 * term comes from the pair (b, 2) weighted (7471, 16384).
 */
static inline __m256i gray8(__m256i v)
{
    const __m256i take_rg = _mm256_setr_epi8(0, -1, 1, -1, 3, -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1, 0, -1, 1, -1, 3,
                                             -1, 4, -1, 6, -1, 7, -1, 9, -1, 10, -1);
    const __m256i take_b = _mm256_setr_epi8(2, -1, -1, -1, 5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1, 2, -1, -1, -1,
                                            5, -1, -1, -1, 8, -1, -1, -1, 11, -1, -1, -1);
    const __m256i weights_rg = _mm256_set1_epi32((int)((uint32_t)(uint16_t)(38470 - 65536) << 16 | 19595u));
    const __m256i weights_b = _mm256_set1_epi32(16384 << 16 | 7471);
    const __m256i two = _mm256_set1_epi32(2 << 16);
    __m256i rg = _mm256_shuffle_epi8(v, take_rg);
    __m256i b2 = _mm256_or_si256(_mm256_shuffle_epi8(v, take_b), two);
    __m256i sum = _mm256_add_epi32(_mm256_madd_epi16(rg, weights_rg), _mm256_madd_epi16(b2, weights_b));
    return _mm256_add_epi32(_mm256_srai_epi32(sum, 16), _mm256_srli_epi32(rg, 16));
}
#endif

static void row_gray(const uint8_t *restrict src, uint8_t *restrict dst, size_t width)
{
    size_t x0 = 0;
#if defined(__AVX2__) && !defined(__AVX512BW__)
    /* 16 pixels per step (the AVX-512 build's compiler vectorises the plain loop well). */
    for (; x0 + 16 <= width && 3 * x0 + 52 <= 3 * width; x0 += 16) {
        const uint8_t *in = src + 3 * x0;
        if (x0 % 64 == 0) {
            PK_READ_AHEAD_LINE(in);
            PK_READ_AHEAD_LINE(in + 64);
            PK_READ_AHEAD_LINE(in + 128);
        }
        __m256i low = gray8(_mm256_loadu2_m128i((const __m128i *)(const void *)(in + 12), (const __m128i *)(const void *)in));
        __m256i high = gray8(
            _mm256_loadu2_m128i((const __m128i *)(const void *)(in + 36), (const __m128i *)(const void *)(in + 24)));
        /* Lanes: low = pixels 0-3 | 4-7, high = 8-11 | 12-15; packs works within lanes. */
        __m256i words = _mm256_packs_epi32(low, high); /* 0-3 8-11 | 4-7 12-15 */
        __m128i bytes = _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1));
        /* bytes: 0-3 8-11 4-7 12-15 */
        bytes = _mm_shuffle_epi32(bytes, _MM_SHUFFLE(3, 1, 2, 0));
        _mm_storeu_si128((__m128i *)(void *)(dst + x0), bytes);
    }
#endif
    /* In pieces of 64 pixels (3 source lines), each asking for the lines PK_READ_AHEAD on. */
    for (; x0 < width; x0 += 64) {
        size_t x1 = width - x0 < 64 ? width : x0 + 64;
        PK_READ_AHEAD_LINE(src + 3 * x0);
        PK_READ_AHEAD_LINE(src + 3 * x0 + 64);
        PK_READ_AHEAD_LINE(src + 3 * x0 + 128);
        for (size_t x = x0; x < x1; x++) {
            /* The weights sum to 65536, so the result always fits a byte. */
            uint32_t luma = 19595u * src[3 * x] + 38470u * src[3 * x + 1] + 7471u * src[3 * x + 2] + 0x8000u;
            dst[x] = (uint8_t)(luma >> 16);
        }
    }
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
#include <immintrin.h>

/* Store 16 floats, bypassing the cache when `stream` (p is then 64-aligned). */
static inline void tensor_store(float *p, __m512 v, int stream)
{
    if (stream)
        _mm512_stream_ps(p, v);
    else
        _mm512_storeu_ps(p, v);
}

/* 16 samples of channel `index` order from 16 pixels, as float x * scale + bias. */
static inline __m512 tensor_channel(__m512i pixels, __m512i order, __m512 scale, __m512 bias)
{
    __m128i bytes = _mm512_castsi512_si128(_mm512_permutexvar_epi8(order, pixels));
    __m512 x = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
    return _mm512_add_ps(_mm512_mul_ps(x, scale), bias);
}
#endif

/* Pixels [from, to) one by one, with the same arithmetic as the vector loops below. */
static void tensor_chw_pixels(const uint8_t *restrict src, size_t from, size_t to, float *restrict r,
                              float *restrict g, float *restrict b, const float *scale, const float *bias)
{
    const float s0 = scale[0], s1 = scale[1], s2 = scale[2];
    const float b0 = bias[0], b1 = bias[1], b2 = bias[2];
    for (size_t x = from; x < to; x++) {
        r[x] = (float)src[3 * x] * s0 + b0;
        g[x] = (float)src[3 * x + 1] * s1 + b1;
        b[x] = (float)src[3 * x + 2] * s2 + b2;
    }
}

static void tensor_hwc_pixels(const uint8_t *restrict src, size_t from, size_t to, float *restrict dst,
                              const float *scale, const float *bias)
{
    const float s0 = scale[0], s1 = scale[1], s2 = scale[2];
    const float b0 = bias[0], b1 = bias[1], b2 = bias[2];
    for (size_t x = from; x < to; x++) {
        dst[3 * x] = (float)src[3 * x] * s0 + b0;
        dst[3 * x + 1] = (float)src[3 * x + 1] * s1 + b1;
        dst[3 * x + 2] = (float)src[3 * x + 2] * s2 + b2;
    }
}

/*
 * How many pixels to convert one by one before the floats at `p` reach a
 * 64-byte boundary, when each pixel moves p on by `floats` (1 for a CHW
 * plane, 3 for HWC).  numpy's large arrays start 16 bytes past a boundary:
 * a vector store there straddles two cache lines, and a 1080p tensor written
 * that way measured 1.5-2x slower on an Intel Xeon.
 */
static inline size_t tensor_head(const float *p, size_t floats, size_t width)
{
    size_t lag = ((size_t)0 - (uintptr_t)p) % 64 / sizeof(float); /* floats to the boundary, 0-15 */
    /* With 3 floats a pixel, 11 pixels advance 33 = 1 (mod 16) floats. */
    size_t head = floats == 1 ? lag : 11 * lag % 16;
    return head < width ? head : width;
}

/*
 * dst = src * scale + bias per channel, in float32, multiply then add (no
 * fused multiply-add), so every instruction set gives the same bits.
 * `stream` asks for stores that bypass the cache: the caller sets it when
 * the output is too large to stay cached.
 */
static void row_tensor_chw(const uint8_t *restrict src, size_t width, float *restrict r, float *restrict g,
                           float *restrict b, const float *scale, const float *bias, int stream)
{
    size_t x = tensor_head(r, 1, width);
    tensor_chw_pixels(src, 0, x, r, g, b, scale, bias);
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    uint8_t order[3][64];
    for (int c = 0; c < 3; c++)
        for (int j = 0; j < 64; j++)
            order[c][j] = (uint8_t)(j < 16 ? 3 * j + c : 0);
    const __m512i red = _mm512_loadu_si512((const void *)order[0]);
    const __m512i green = _mm512_loadu_si512((const void *)order[1]);
    const __m512i blue = _mm512_loadu_si512((const void *)order[2]);
    const __m512 vs0 = _mm512_set1_ps(scale[0]), vs1 = _mm512_set1_ps(scale[1]), vs2 = _mm512_set1_ps(scale[2]);
    const __m512 vb0 = _mm512_set1_ps(bias[0]), vb1 = _mm512_set1_ps(bias[1]), vb2 = _mm512_set1_ps(bias[2]);
    const __mmask64 bytes48 = ((__mmask64)1 << 48) - 1;
    int aligned = stream && ((uintptr_t)(r + x) | (uintptr_t)(g + x) | (uintptr_t)(b + x)) % 64 == 0;
    for (; x + 16 <= width; x += 16) {
        __m512i pixels = _mm512_maskz_loadu_epi8(bytes48, src + 3 * x);
        tensor_store(r + x, tensor_channel(pixels, red, vs0, vb0), aligned);
        tensor_store(g + x, tensor_channel(pixels, green, vs1, vb1), aligned);
        tensor_store(b + x, tensor_channel(pixels, blue, vs2, vb2), aligned);
    }
    if (aligned)
        _mm_sfence();
#endif
    (void)stream;
    tensor_chw_pixels(src, x, width, r, g, b, scale, bias);
}

static void row_tensor_hwc(const uint8_t *restrict src, size_t width, float *restrict dst, const float *scale,
                           const float *bias, int stream)
{
    size_t x = tensor_head(dst, 3, width);
    tensor_hwc_pixels(src, 0, x, dst, scale, bias);
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* 16 pixels are 48 floats: three vectors whose lanes cycle r, g, b
     * starting at channel 0, 1 and 2. */
    float scales[48], biases[48];
    for (int k = 0; k < 48; k++) {
        scales[k] = scale[k % 3];
        biases[k] = bias[k % 3];
    }
    __m512 vs[3], vb[3];
    for (int q = 0; q < 3; q++) {
        vs[q] = _mm512_loadu_ps(scales + 16 * q);
        vb[q] = _mm512_loadu_ps(biases + 16 * q);
    }
    int aligned = stream && (uintptr_t)(dst + 3 * x) % 64 == 0;
    for (; x + 16 <= width; x += 16) {
        for (int q = 0; q < 3; q++) {
            __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)(src + 3 * x + 16 * q));
            __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes));
            tensor_store(dst + 3 * x + 16 * q, _mm512_add_ps(_mm512_mul_ps(v, vs[q]), vb[q]), aligned);
        }
    }
    if (aligned)
        _mm_sfence();
#endif
    (void)stream;
    tensor_hwc_pixels(src, x, width, dst, scale, bias);
}
