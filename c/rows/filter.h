/* rows/filter.h: loops of the box and gaussian blurs. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include "pixelkit.h" /* PK_MAX_GAUSSIAN_SIGMA */
#if defined(__AVX512BW__) || defined(__AVX2__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Shared with the area resize: acc += src, and the rounded division of sums. */
static void row_add_u32(uint32_t *restrict acc, const uint32_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += src[i];
}

/* round(sum / area) = floor((2 sum + area) / (2 area)), by multiplying with
 * magic = ceil(2^32 / (2 area)); exact while 2 sum + area < 2^17. */
static void row_box_div(const uint32_t *restrict sum, uint8_t *restrict dst, size_t n, uint32_t area,
                        uint32_t magic)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(((uint64_t)(2u * sum[i] + area) * magic) >> 32);
}

/* Horizontal gaussian: taps in Q8 (sum 256), result in Q8.  The kernel is
 * symmetric, so mirrored samples are added before one multiply.  16 bits
 * suffice: a paired tap is at most 128 (two of them fit in 256), so each
 * term is at most 510 * 128, and the sum never exceeds 255 * 256.
 * The SIMD builds store each result less 32768 (GAUSS_BIAS, bit 15
 * flipped): their vertical pass multiplies signed 16-bit samples, and a
 * row is read by 2 radius + 1 of its outputs but written once. */
#if defined(__AVX512BW__) || defined(__AVX2__)
#define GAUSS_BIAS 0x8000u
#else
#define GAUSS_BIAS 0u
#endif
#if defined(__AVX512BW__) || defined(__AVX2__)
#if defined(__AVX512BW__)
#define GAUSS_LANES 32
#define GAUSS_WIDEN(ptr) _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(ptr)))
#define GAUSS_MUL16(a, b) _mm512_mullo_epi16(a, b)
#define GAUSS_ADD16(a, b) _mm512_add_epi16(a, b)
#define GAUSS_SET16(v) _mm512_set1_epi16((short)(v))
#define GAUSS_STORE(ptr, v) _mm512_storeu_si512((void *)(ptr), v)
#define GAUSS_LOAD(ptr) _mm512_loadu_si512((const void *)(ptr))
#define GAUSS_XOR(a, b) _mm512_xor_si512(a, b)
#define GAUSS_SET32(v) _mm512_set1_epi32((int)(v))
#define GAUSS_ADD32(a, b) _mm512_add_epi32(a, b)
#define GAUSS_MADD(a, b) _mm512_madd_epi16(a, b)
#define GAUSS_UNPACKLO(a, b) _mm512_unpacklo_epi16(a, b)
#define GAUSS_UNPACKHI(a, b) _mm512_unpackhi_epi16(a, b)
#define GAUSS_ZERO() _mm512_setzero_si512()
typedef __m512i gauss_vec;
#else
#define GAUSS_LANES 16
#define GAUSS_WIDEN(ptr) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(const void *)(ptr)))
#define GAUSS_MUL16(a, b) _mm256_mullo_epi16(a, b)
#define GAUSS_ADD16(a, b) _mm256_add_epi16(a, b)
#define GAUSS_SET16(v) _mm256_set1_epi16((short)(v))
#define GAUSS_STORE(ptr, v) _mm256_storeu_si256((__m256i *)(void *)(ptr), v)
#define GAUSS_LOAD(ptr) _mm256_loadu_si256((const __m256i *)(const void *)(ptr))
#define GAUSS_XOR(a, b) _mm256_xor_si256(a, b)
#define GAUSS_SET32(v) _mm256_set1_epi32((int)(v))
#define GAUSS_ADD32(a, b) _mm256_add_epi32(a, b)
#define GAUSS_MADD(a, b) _mm256_madd_epi16(a, b)
#define GAUSS_UNPACKLO(a, b) _mm256_unpacklo_epi16(a, b)
#define GAUSS_UNPACKHI(a, b) _mm256_unpackhi_epi16(a, b)
#define GAUSS_ZERO() _mm256_setzero_si256()
typedef __m256i gauss_vec;
#endif
/* Most radii a gaussian gets (sigma up to 2.5) are compiled with their tap
 * count known: the loops over taps unroll and their weights stay in
 * registers (a loop over a run-time count spent a third of its time on
 * itself).  Larger radii take the same code with a run-time count. */
#define GAUSS_UNROLLED_RADIUS 8

/* The vectors of row_gauss_h; returns where the scalar tail starts. */
static inline __attribute__((always_inline)) size_t gauss_h_vectors(const uint8_t *restrict padded,
                                                                    uint16_t *restrict dst, size_t n,
                                                                    const uint16_t *restrict taps, size_t radius)
{
    const uint8_t *restrict centre = padded + 3 * radius;
    gauss_vec weight[GAUSS_UNROLLED_RADIUS + 1];
    size_t kept = radius < GAUSS_UNROLLED_RADIUS ? radius : GAUSS_UNROLLED_RADIUS;
    for (size_t k = 0; k < kept; k++)
        weight[k] = GAUSS_SET16(taps[k]);
    const gauss_vec mid = GAUSS_SET16(taps[radius]), bias = GAUSS_SET16(GAUSS_BIAS);
    size_t begin = 0;
    for (; begin + GAUSS_LANES <= n; begin += GAUSS_LANES) {
        gauss_vec acc = GAUSS_MUL16(mid, GAUSS_WIDEN(centre + begin));
        for (size_t k = 0; k < radius; k++) {
            gauss_vec pair = GAUSS_ADD16(GAUSS_WIDEN(padded + 3 * k + begin),
                                         GAUSS_WIDEN(padded + 3 * (2 * radius - k) + begin));
            gauss_vec w = k < GAUSS_UNROLLED_RADIUS ? weight[k] : GAUSS_SET16(taps[k]);
            acc = GAUSS_ADD16(acc, GAUSS_MUL16(w, pair));
        }
        GAUSS_STORE(dst + begin, GAUSS_XOR(acc, bias));
    }
    return begin;
}

/* The vectors of row_gauss_v (see there); returns where the scalar tail starts. */
static inline __attribute__((always_inline)) size_t gauss_v_vectors(const uint16_t *const *rows,
                                                                    uint8_t *restrict dst, size_t n,
                                                                    const uint32_t *restrict pairs, size_t count)
{
    enum { KEPT = GAUSS_UNROLLED_RADIUS + 1 };
    const uint16_t *row[2 * KEPT];
    gauss_vec weight[KEPT];
    for (size_t k = 0; k < count && k < 2 * KEPT; k++)
        row[k] = rows[k];
    for (size_t k = 0; k < (count + 1) / 2 && k < KEPT; k++)
        weight[k] = GAUSS_SET32(pairs[k]);
    const gauss_vec zero = GAUSS_ZERO(), bias = GAUSS_SET32((1 << 23) + (1 << 15));
    size_t begin = 0;
    for (; begin + GAUSS_LANES <= n; begin += GAUSS_LANES) {
        gauss_vec lo = bias, hi = bias;
        size_t k = 0;
        for (; k + 1 < count; k += 2) {
            const uint16_t *ra = k < 2 * KEPT ? row[k] : rows[k], *rb = k + 1 < 2 * KEPT ? row[k + 1] : rows[k + 1];
            gauss_vec a = GAUSS_LOAD(ra + begin), b = GAUSS_LOAD(rb + begin);
            gauss_vec w = k / 2 < KEPT ? weight[k / 2] : GAUSS_SET32(pairs[k / 2]);
            lo = GAUSS_ADD32(lo, GAUSS_MADD(GAUSS_UNPACKLO(a, b), w));
            hi = GAUSS_ADD32(hi, GAUSS_MADD(GAUSS_UNPACKHI(a, b), w));
        }
        gauss_vec a = GAUSS_LOAD((k < 2 * KEPT ? row[k] : rows[k]) + begin);
        gauss_vec w = k / 2 < KEPT ? weight[k / 2] : GAUSS_SET32(pairs[k / 2]);
        lo = GAUSS_ADD32(lo, GAUSS_MADD(GAUSS_UNPACKLO(a, zero), w));
        hi = GAUSS_ADD32(hi, GAUSS_MADD(GAUSS_UNPACKHI(a, zero), w));
#if defined(__AVX512BW__)
        __m512i words = _mm512_packus_epi32(_mm512_srli_epi32(lo, 16), _mm512_srli_epi32(hi, 16));
        _mm256_storeu_si256((__m256i *)(void *)(dst + begin), _mm512_cvtusepi16_epi8(words));
#else
        __m256i words = _mm256_packus_epi32(_mm256_srli_epi32(lo, 16), _mm256_srli_epi32(hi, 16));
        _mm_storeu_si128((__m128i *)(void *)(dst + begin),
                         _mm_packus_epi16(_mm256_castsi256_si128(words), _mm256_extracti128_si256(words, 1)));
#endif
    }
    return begin;
}
#endif

/* Each case compiles the vector loop with its tap count fixed. */
#define GAUSS_BY_RADIUS(call, radius)                                                                        \
    switch (radius) {                                                                                          \
    case 1: begin = call(1); break;                                                                            \
    case 2: begin = call(2); break;                                                                            \
    case 3: begin = call(3); break;                                                                            \
    case 4: begin = call(4); break;                                                                            \
    case 5: begin = call(5); break;                                                                            \
    case 6: begin = call(6); break;                                                                            \
    case 7: begin = call(7); break;                                                                            \
    case 8: begin = call(8); break;                                                                            \
    default: begin = call(radius); break;                                                                      \
    }

static void row_gauss_h(const uint8_t *restrict padded, uint16_t *restrict dst, size_t width,
                        const uint16_t *restrict taps, size_t radius)
{
    size_t n = 3 * width, begin = 0;
    const uint8_t *restrict centre = padded + 3 * radius;
    uint16_t middle = taps[radius];
#if defined(__AVX512BW__) || defined(__AVX2__)
#define GAUSS_H_CALL(r) gauss_h_vectors(padded, dst, n, taps, r)
    GAUSS_BY_RADIUS(GAUSS_H_CALL, radius)
#undef GAUSS_H_CALL
#endif
    for (size_t i = begin; i < n; i++)
        dst[i] = (uint16_t)(middle * centre[i]);
    for (size_t k = 0; k < radius; k++) {
        const uint8_t *restrict left = padded + 3 * k, *restrict right = padded + 3 * (2 * radius - k);
        uint16_t tap = taps[k];
        for (size_t i = begin; i < n; i++)
            dst[i] = (uint16_t)(dst[i] + tap * (uint16_t)(left[i] + right[i]));
    }
    for (size_t i = begin; GAUSS_BIAS != 0 && i < n; i++)
        dst[i] ^= (uint16_t)GAUSS_BIAS;
}

/* acc[i] += tap * row[i]: restrict parameters let the compiler vectorise
 * without run-time alias checks. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gauss_mac(uint32_t *restrict acc, const uint16_t *restrict row, size_t n, uint32_t tap)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += tap * (uint32_t)(row[i] ^ GAUSS_BIAS);
}

/* acc[i] += tap * (a[i] + b[i]): two mirrored rows, one multiply. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gauss_mac2(uint32_t *restrict acc, const uint16_t *restrict a, const uint16_t *restrict b, size_t n,
                       uint32_t tap)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += tap * ((uint32_t)(a[i] ^ GAUSS_BIAS) + (uint32_t)(b[i] ^ GAUSS_BIAS));
}

/*
 * Vertical gaussian over 2 * radius + 1 rows of Q8 samples: Q16 sum, rounded.
 * SIMD: the samples less 32768 (as row_gauss_h stores them there) fit signed
 * 16 bits, so two rows at a time go through one multiply-add of interleaved
 * samples and tap pairs; the taps add up to 256, so the sum is off by exactly
 * 256 * 32768, added back with the rounding constant.  Exact integers either way.
 */
static void row_gauss_v(const uint16_t *const *rows, uint8_t *restrict dst, size_t n,
                        const uint16_t *restrict taps, size_t radius)
{
    size_t begin = 0;
#if defined(__AVX512BW__) || defined(__AVX2__)
    size_t count = 2 * radius + 1;
    uint32_t pairs[3 * PK_MAX_GAUSSIAN_SIGMA + 1];
    for (size_t k = 0; k < count; k += 2)
        pairs[k / 2] = taps[k] | (k + 1 < count ? (uint32_t)taps[k + 1] << 16 : 0u);
#define GAUSS_V_CALL(r) gauss_v_vectors(rows, dst, n, pairs, 2 * (r) + 1)
    GAUSS_BY_RADIUS(GAUSS_V_CALL, radius)
#undef GAUSS_V_CALL
#endif
    enum { CHUNK = 512 };
    uint32_t acc[CHUNK];
    for (; begin < n; begin += CHUNK) {
        size_t len = n - begin < CHUNK ? n - begin : CHUNK;
        for (size_t i = 0; i < len; i++)
            acc[i] = 1u << 15;
        gauss_mac(acc, rows[radius] + begin, len, taps[radius]);
        for (size_t k = 0; k < radius; k++)
            gauss_mac2(acc, rows[k] + begin, rows[2 * radius - k] + begin, len, taps[k]);
        for (size_t i = 0; i < len; i++) {
            uint32_t v = acc[i] >> 16;
            dst[begin + i] = (uint8_t)(v > 255 ? 255 : v);
        }
    }
}

/* acc[i] += row[i] and acc[i] -= row[i] on 16-bit running sums. */
static void row_add_u8(uint16_t *restrict acc, const uint8_t *restrict row, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (uint16_t)(acc[i] + row[i]);
}

/* The same on 32-bit sums (windows taller than 257 rows). */
static void row_add_u8w(uint32_t *restrict acc, const uint8_t *restrict row, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += row[i];
}

static void row_slide_u8w(uint32_t *restrict acc, const uint8_t *restrict entering, const uint8_t *restrict leaving,
                          size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = acc[i] + entering[i] - leaving[i];
}

/* The window moves down one row: acc[i] += entering[i] - leaving[i]. */
static void row_slide_u8(uint16_t *restrict acc, const uint8_t *restrict entering, const uint8_t *restrict leaving,
                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (uint16_t)(acc[i] + entering[i] - leaving[i]);
}

/* round(sum / area) for a 16-bit window sum (area odd, at most 225):
 * t = sum + (area - 1) / 2 and floor(t / area) = ((t * magic) >> 16) >> shift,
 * with the constants of pk_box_magic (exact for every t the box can make). */
static inline uint8_t box_round16(uint32_t sum, uint16_t half, uint16_t magic, unsigned shift)
{
    /* q >> shift as a second high multiply (shift is 3 to 7): the form the
     * compiler vectorises. */
    uint16_t t = (uint16_t)(sum + half), unshift = (uint16_t)(1u << (16 - shift));
    uint16_t q = (uint16_t)(((uint32_t)t * magic) >> 16);
    return (uint8_t)(((uint32_t)q * unshift) >> 16);
}

/* The same on vectors (gcc does not find the 16-bit high multiply here by itself).
 * BOX16_STEP(i, sum) stores the 16-bit window sums `sum` of outputs i... as bytes. */
#if defined(__AVX512BW__)
#define BOX16_LANES 32
#define BOX16_SETUP                                                                                                  \
    const __m512i vhalf = _mm512_set1_epi16((short)half), vmagic = _mm512_set1_epi16((short)magic);             \
    const __m128i vshift = _mm_cvtsi32_si128((int)shift)
#define BOX16_LOAD(ptr) _mm512_loadu_si512(ptr)
#define BOX16_LOAD8(ptr) _mm512_cvtepu8_epi16(_mm256_loadu_si256((const __m256i *)(ptr)))
#define BOX16_STOREW(ptr, v) _mm512_storeu_si512(ptr, v)
#define BOX16_ADD(a, b) _mm512_add_epi16(a, b)
#define BOX16_SUB(a, b) _mm512_sub_epi16(a, b)
#define BOX16_BYTES(sum)                                                                                             \
    _mm512_cvtepi16_epi8(_mm512_srl_epi16(_mm512_mulhi_epu16(_mm512_add_epi16(sum, vhalf), vmagic), vshift))
#define BOX16_STORE(ptr, sum) _mm256_storeu_si256((__m256i *)(ptr), BOX16_BYTES(sum))
#define BOX16_STREAM(ptr, sum) _mm256_stream_si256((__m256i *)(ptr), BOX16_BYTES(sum))
#elif defined(__AVX2__)
#define BOX16_LANES 16
#define BOX16_SETUP                                                                                                  \
    const __m256i vhalf = _mm256_set1_epi16((short)half), vmagic = _mm256_set1_epi16((short)magic);             \
    const __m128i vshift = _mm_cvtsi32_si128((int)shift)
#define BOX16_LOAD(ptr) _mm256_loadu_si256((const __m256i *)(ptr))
#define BOX16_LOAD8(ptr) _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(ptr)))
#define BOX16_STOREW(ptr, v) _mm256_storeu_si256((__m256i *)(ptr), v)
#define BOX16_ADD(a, b) _mm256_add_epi16(a, b)
#define BOX16_SUB(a, b) _mm256_sub_epi16(a, b)
#define BOX16_BYTES(sum)                                                                                             \
    box16_bytes_avx2(_mm256_srl_epi16(_mm256_mulhi_epu16(_mm256_add_epi16(sum, vhalf), vmagic), vshift))
#define BOX16_STORE(ptr, sum) _mm_storeu_si128((__m128i *)(ptr), BOX16_BYTES(sum))
#define BOX16_STREAM(ptr, sum) _mm_stream_si128((__m128i *)(ptr), BOX16_BYTES(sum))
static inline __m128i box16_bytes_avx2(__m256i q)
{
    return _mm_packus_epi16(_mm256_castsi256_si128(q), _mm256_extracti128_si256(q, 1));
}
#endif

/* Small boxes: horizontal sum of 2 radius + 1 column sums of a row padded
 * by radius pixels, and the rounded division.  Radius 1 to 3.  `stream`
 * asks for stores that bypass the cache (outputs much larger than it). */
static inline uint8_t box_h16_one(const uint16_t *p, size_t radius, uint16_t half, uint16_t magic, unsigned shift)
{
    uint32_t sum = 0;
    for (size_t k = 0; k <= 2 * radius; k++)
        sum += p[3 * k];
    return box_round16(sum, half, magic, shift);
}

#define BOX16_SUM1(p, i) BOX16_ADD(BOX16_ADD(BOX16_LOAD(p + i), BOX16_LOAD(p + i + 3)), BOX16_LOAD(p + i + 6))
#define BOX16_SUM2(p, i)                                                                                             \
    BOX16_ADD(BOX16_ADD(BOX16_ADD(BOX16_LOAD(p + i), BOX16_LOAD(p + i + 3)),                                         \
                        BOX16_ADD(BOX16_LOAD(p + i + 6), BOX16_LOAD(p + i + 9))),                                    \
              BOX16_LOAD(p + i + 12))
#define BOX16_SUM3(p, i)                                                                                             \
    BOX16_ADD(BOX16_ADD(BOX16_ADD(BOX16_LOAD(p + i), BOX16_LOAD(p + i + 3)),                                         \
                        BOX16_ADD(BOX16_LOAD(p + i + 6), BOX16_LOAD(p + i + 9))),                                    \
              BOX16_ADD(BOX16_ADD(BOX16_LOAD(p + i + 12), BOX16_LOAD(p + i + 15)), BOX16_LOAD(p + i + 18)))
/* One vector loop per radius and store kind. */
#define BOX16_LOOP(SUM, STORE)                                                                                       \
    for (; i + BOX16_LANES <= n; i += BOX16_LANES)                                                                   \
        STORE(dst + i, SUM(p, i))

static void row_box_h16(const uint16_t *restrict padded, uint8_t *restrict dst, size_t width, size_t radius,
                        uint16_t half, uint16_t magic, unsigned shift, int stream)
{
    size_t n = 3 * width, i = 0;
    const uint16_t *restrict p = padded;
#ifdef BOX16_LANES
    BOX16_SETUP;
    if (stream) {
        for (; i < n && (uintptr_t)(dst + i) % 32 != 0; i++)
            dst[i] = box_h16_one(p + i, radius, half, magic, shift);
        if (radius == 1)
            BOX16_LOOP(BOX16_SUM1, BOX16_STREAM);
        else if (radius == 2)
            BOX16_LOOP(BOX16_SUM2, BOX16_STREAM);
        else
            BOX16_LOOP(BOX16_SUM3, BOX16_STREAM);
        _mm_sfence();
    } else if (radius == 1) {
        BOX16_LOOP(BOX16_SUM1, BOX16_STORE);
    } else if (radius == 2) {
        BOX16_LOOP(BOX16_SUM2, BOX16_STORE);
    } else {
        BOX16_LOOP(BOX16_SUM3, BOX16_STORE);
    }
#else
    (void)stream;
#endif
    if (radius == 1) {
        for (; i < n; i++)
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6], half, magic, shift);
    } else if (radius == 2) {
        for (; i < n; i++)
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6] + p[i + 9] + p[i + 12], half, magic, shift);
    } else if (radius == 3) {
        for (; i < n; i++)
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6] + p[i + 9] + p[i + 12] + p[i + 15] + p[i + 18],
                                 half, magic, shift);
    } else {
        for (; i < n; i++)
            dst[i] = box_h16_one(p + i, radius, half, magic, shift);
    }
}

/*
 * row_box_h16, and the column sums moved down one row on the way (the next
 * row's entering source row added, its leaving one subtracted): once the
 * outputs before i are made, no later output of the row reads the column
 * sums before i.  The column sums of pixel x sit at padded[3 (radius + x)];
 * the padding (reflected copies) is left for the caller to refresh.
 */
#define BOX16_SLIDE_ONE(j) (p[j] = (uint16_t)(p[j] + entering[(j) - lead] - leaving[(j) - lead]))
#define BOX16_SLIDE_LOOP(SUM, STORE)                                                                                 \
    for (; i + BOX16_LANES <= n; i += BOX16_LANES) {                                                                 \
        __typeof__(BOX16_LOAD(p)) first_ = BOX16_LOAD(p + i);                                                        \
        STORE(dst + i, SUM(p, i));                                                                                   \
        BOX16_STOREW(p + i, BOX16_SUB(BOX16_ADD(first_, BOX16_LOAD8(entering + i - lead)),                           \
                                      BOX16_LOAD8(leaving + i - lead)));                                             \
    }

static void row_box_h16_slide(uint16_t *restrict padded, uint8_t *restrict dst, size_t width, size_t radius,
                              uint16_t half, uint16_t magic, unsigned shift, int stream,
                              const uint8_t *restrict entering, const uint8_t *restrict leaving)
{
    size_t n = 3 * width, lead = 3 * radius, i = 0;
    uint16_t *restrict p = padded;
    size_t first = lead < n ? lead : n; /* outputs before this move no column sum */
    for (; i < first; i++)
        dst[i] = box_h16_one(p + i, radius, half, magic, shift);
#ifdef BOX16_LANES
    BOX16_SETUP;
    if (stream) {
        for (; i < n && (uintptr_t)(dst + i) % 32 != 0; i++) {
            dst[i] = box_h16_one(p + i, radius, half, magic, shift);
            BOX16_SLIDE_ONE(i);
        }
        if (radius == 1)
            BOX16_SLIDE_LOOP(BOX16_SUM1, BOX16_STREAM)
        else if (radius == 2)
            BOX16_SLIDE_LOOP(BOX16_SUM2, BOX16_STREAM)
        else
            BOX16_SLIDE_LOOP(BOX16_SUM3, BOX16_STREAM)
        _mm_sfence();
    } else if (radius == 1) {
        BOX16_SLIDE_LOOP(BOX16_SUM1, BOX16_STORE)
    } else if (radius == 2) {
        BOX16_SLIDE_LOOP(BOX16_SUM2, BOX16_STORE)
    } else {
        BOX16_SLIDE_LOOP(BOX16_SUM3, BOX16_STORE)
    }
#else
    (void)stream;
    if (radius == 1) {
        for (; i < n; i++) {
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6], half, magic, shift);
            BOX16_SLIDE_ONE(i);
        }
    } else if (radius == 2) {
        for (; i < n; i++) {
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6] + p[i + 9] + p[i + 12], half, magic, shift);
            BOX16_SLIDE_ONE(i);
        }
    } else if (radius == 3) {
        for (; i < n; i++) {
            dst[i] = box_round16((uint32_t)p[i] + p[i + 3] + p[i + 6] + p[i + 9] + p[i + 12] + p[i + 15] + p[i + 18],
                                 half, magic, shift);
            BOX16_SLIDE_ONE(i);
        }
    }
#endif
    for (; i < n; i++) {
        dst[i] = box_h16_one(p + i, radius, half, magic, shift);
        BOX16_SLIDE_ONE(i);
    }
    for (size_t j = n > lead ? n : lead; j < lead + n; j++)
        BOX16_SLIDE_ONE(j);
}

/*
 * Running sums along a row of interleaved RGB samples: p[i] = q[i] + p[i - 3]
 * (p[i] = q[i] for the first pixel), modulo 2^16 or 2^32.  A window sum is
 * then the difference of two of them, exact while it fits the type.  SIMD:
 * an in-register prefix over lanes 3, 6, 12 (and 24) apart, plus the last
 * pixel of the previous vector.
 */
static void row_scan3_u16(const uint16_t *restrict q, uint16_t *restrict p, size_t n)
{
    size_t i = 0;
#if defined(__AVX512BW__)
    if (n >= 32) {
        uint16_t idx[5][32];
        for (int l = 0; l < 32; l++) {
            idx[0][l] = (uint16_t)(l >= 3 ? l - 3 : 0);
            idx[1][l] = (uint16_t)(l >= 6 ? l - 6 : 0);
            idx[2][l] = (uint16_t)(l >= 12 ? l - 12 : 0);
            idx[3][l] = (uint16_t)(l >= 24 ? l - 24 : 0);
            idx[4][l] = (uint16_t)(29 + l % 3);
        }
        const __m512i s3 = _mm512_loadu_si512(idx[0]), s6 = _mm512_loadu_si512(idx[1]);
        const __m512i s12 = _mm512_loadu_si512(idx[2]), s24 = _mm512_loadu_si512(idx[3]);
        const __m512i last = _mm512_loadu_si512(idx[4]);
        __m512i prev = _mm512_setzero_si512();
        for (; i + 32 <= n; i += 32) {
            __m512i x = _mm512_loadu_si512(q + i);
            x = _mm512_add_epi16(x, _mm512_maskz_permutexvar_epi16(~(__mmask32)0 << 3, s3, x));
            x = _mm512_add_epi16(x, _mm512_maskz_permutexvar_epi16(~(__mmask32)0 << 6, s6, x));
            x = _mm512_add_epi16(x, _mm512_maskz_permutexvar_epi16(~(__mmask32)0 << 12, s12, x));
            x = _mm512_add_epi16(x, _mm512_maskz_permutexvar_epi16(~(__mmask32)0 << 24, s24, x));
            x = _mm512_add_epi16(x, _mm512_permutexvar_epi16(last, prev));
            _mm512_storeu_si512(p + i, x);
            prev = x;
        }
    }
#elif defined(__AVX2__)
    if (n >= 16) {
        /* Lane l takes element 5 + l % 3 of the upper half of the previous vector. */
        uint8_t pattern[32];
        for (int l = 0; l < 16; l++) {
            pattern[2 * l] = (uint8_t)(2 * (5 + l % 3));
            pattern[2 * l + 1] = (uint8_t)(2 * (5 + l % 3) + 1);
        }
        const __m256i last = _mm256_loadu_si256((const __m256i *)pattern);
        __m256i prev = _mm256_setzero_si256();
        for (; i + 16 <= n; i += 16) {
            __m256i x = _mm256_loadu_si256((const __m256i *)(q + i));
            __m256i low = _mm256_permute2x128_si256(x, x, 0x08); /* [0, lower half of x] */
            x = _mm256_add_epi16(x, _mm256_alignr_epi8(x, low, 10));
            low = _mm256_permute2x128_si256(x, x, 0x08);
            x = _mm256_add_epi16(x, _mm256_alignr_epi8(x, low, 4));
            low = _mm256_permute2x128_si256(x, x, 0x08);
            x = _mm256_add_epi16(x, _mm256_slli_si256(low, 8));
            __m256i upper = _mm256_permute2x128_si256(prev, prev, 0x11);
            x = _mm256_add_epi16(x, _mm256_shuffle_epi8(upper, last));
            _mm256_storeu_si256((__m256i *)(p + i), x);
            prev = x;
        }
    }
#elif defined(__SSE2__)
    if (n >= 8) {
        __m128i prev = _mm_setzero_si128();
        for (; i + 8 <= n; i += 8) {
            __m128i x = _mm_loadu_si128((const __m128i *)(q + i));
            x = _mm_add_epi16(x, _mm_slli_si128(x, 6));
            x = _mm_add_epi16(x, _mm_slli_si128(x, 12));
            /* Lane l takes lane 5 + l % 3 of the previous vector. */
            __m128i upper = _mm_unpackhi_epi64(prev, prev);
            upper = _mm_shufflelo_epi16(upper, _MM_SHUFFLE(1, 3, 2, 1));
            upper = _mm_shufflehi_epi16(upper, _MM_SHUFFLE(2, 1, 3, 2));
            x = _mm_add_epi16(x, upper);
            _mm_storeu_si128((__m128i *)(p + i), x);
            prev = x;
        }
    }
#endif
    for (; i < n; i++)
        p[i] = (uint16_t)(q[i] + (i >= 3 ? p[i - 3] : 0));
}

/* 32-bit running sums of 16-bit (LOAD16) or 32-bit (LOAD32) column sums. */
#if defined(__AVX512F__)
#define SCAN3_U32_BODY(LOAD)                                                                                         \
    if (n >= 16) {                                                                                                   \
        uint32_t idx[16];                                                                                            \
        for (int l = 0; l < 16; l++)                                                                                 \
            idx[l] = (uint32_t)(13 + l % 3);                                                                         \
        const __m512i last = _mm512_loadu_si512(idx), zero = _mm512_setzero_si512();                                \
        __m512i prev = zero;                                                                                         \
        for (; i + 16 <= n; i += 16) {                                                                               \
            __m512i x = LOAD(q + i);                                                                                 \
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 13));                                               \
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 10));                                               \
            x = _mm512_add_epi32(x, _mm512_alignr_epi32(x, zero, 4));                                                \
            x = _mm512_add_epi32(x, _mm512_permutexvar_epi32(last, prev));                                           \
            _mm512_storeu_si512(p + i, x);                                                                           \
            prev = x;                                                                                                \
        }                                                                                                            \
    }
#define SCAN3_LOAD16(ptr) _mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(ptr)))
#define SCAN3_LOAD32(ptr) _mm512_loadu_si512(ptr)
#elif defined(__AVX2__)
#define SCAN3_U32_BODY(LOAD)                                                                                         \
    if (n >= 8) {                                                                                                    \
        const __m256i s3 = _mm256_setr_epi32(0, 0, 0, 0, 1, 2, 3, 4), s6 = _mm256_setr_epi32(0, 0, 0, 0, 0, 0, 0, 1); \
        const __m256i last = _mm256_setr_epi32(5, 6, 7, 5, 6, 7, 5, 6);                                              \
        const __m256i zero = _mm256_setzero_si256();                                                                 \
        __m256i prev = zero;                                                                                         \
        for (; i + 8 <= n; i += 8) {                                                                                 \
            __m256i x = LOAD(q + i);                                                                                 \
            x = _mm256_add_epi32(x, _mm256_blend_epi32(_mm256_permutevar8x32_epi32(x, s3), zero, 0x07));             \
            x = _mm256_add_epi32(x, _mm256_blend_epi32(_mm256_permutevar8x32_epi32(x, s6), zero, 0x3f));             \
            x = _mm256_add_epi32(x, _mm256_permutevar8x32_epi32(prev, last));                                        \
            _mm256_storeu_si256((__m256i *)(p + i), x);                                                              \
            prev = x;                                                                                                \
        }                                                                                                            \
    }
#define SCAN3_LOAD16(ptr) _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)(ptr)))
#define SCAN3_LOAD32(ptr) _mm256_loadu_si256((const __m256i *)(ptr))
#else
#define SCAN3_U32_BODY(LOAD)
#endif

static void row_scan3_u32(const uint16_t *restrict q, uint32_t *restrict p, size_t n)
{
    size_t i = 0;
    SCAN3_U32_BODY(SCAN3_LOAD16)
    for (; i < n; i++)
        p[i] = q[i] + (i >= 3 ? p[i - 3] : 0);
}

static void row_scan3_u32w(const uint32_t *restrict q, uint32_t *restrict p, size_t n)
{
    size_t i = 0;
    SCAN3_U32_BODY(SCAN3_LOAD32)
    for (; i < n; i++)
        p[i] = q[i] + (i >= 3 ? p[i - 3] : 0);
}

/* Window sums from running sums (pre[3 + j] = p[j], pre[0..2] = 0):
 * sum = pre[i + span] - pre[i], then the rounded division. */
static void row_box_diff16(const uint16_t *restrict pre, uint8_t *restrict dst, size_t n, size_t span,
                           uint16_t half, uint16_t magic, unsigned shift, int stream)
{
    const uint16_t *restrict ahead = pre + span;
    size_t i = 0;
#ifdef BOX16_LANES
    BOX16_SETUP;
    if (stream) {
        for (; i < n && (uintptr_t)(dst + i) % 32 != 0; i++)
            dst[i] = box_round16((uint16_t)(ahead[i] - pre[i]), half, magic, shift);
        for (; i + BOX16_LANES <= n; i += BOX16_LANES)
            BOX16_STREAM(dst + i, BOX16_SUB(BOX16_LOAD(ahead + i), BOX16_LOAD(pre + i)));
        _mm_sfence();
    }
    for (; i + BOX16_LANES <= n; i += BOX16_LANES)
        BOX16_STORE(dst + i, BOX16_SUB(BOX16_LOAD(ahead + i), BOX16_LOAD(pre + i)));
#else
    (void)stream;
#endif
    for (; i < n; i++)
        dst[i] = box_round16((uint16_t)(ahead[i] - pre[i]), half, magic, shift);
}

/* The same in double precision, for larger areas (sums below 2^32). */
static void row_box_diff32d(const uint32_t *restrict pre, uint8_t *restrict dst, size_t n, size_t span,
                            double inverse)
{
    const uint32_t *restrict ahead = pre + span;
    for (size_t i = 0; i < n; i++) {
        double q = (double)(ahead[i] - pre[i]) * inverse;
        dst[i] = (uint8_t)(int32_t)(q + 0.5);
    }
}

/* The same for 32-bit sums below 2^24: round(sum / area) = (int)(sum * (1 / area) + 0.5)
 * in single precision, exact for the areas it is used with (see filter.c). */
static void row_box_diff32(const uint32_t *restrict pre, uint8_t *restrict dst, size_t n, size_t span,
                           float inverse)
{
    const uint32_t *restrict ahead = pre + span;
    for (size_t i = 0; i < n; i++) {
        float q = (float)(int32_t)(ahead[i] - pre[i]) * inverse;
        dst[i] = (uint8_t)(int32_t)(q + 0.5f);
    }
}

/* ---- convolve ------------------------------------------------------------
 * One kernel row of a small integer convolution: acc[i] (set when `first`,
 * else added to) += sum over taps t < K of w[t] * padded[i + 3 t], where
 * padded is the source row with K / 2 reflected pixels on each side.  One
 * copy per odd width, so the taps unroll and the loop vectorises. */
#define PK_ROW_CONV(K)                                                                                         \
    static void row_conv##K(const uint8_t *restrict padded, int32_t *restrict acc, size_t n,                  \
                            const int32_t *restrict w, int first)                                             \
    {                                                                                                          \
        int32_t k[K];                                                                                          \
        for (size_t t = 0; t < (K); t++)                                                                       \
            k[t] = w[t];                                                                                       \
        if (first) {                                                                                           \
            for (size_t i = 0; i < n; i++) {                                                                   \
                int32_t s = 0;                                                                                 \
                for (size_t t = 0; t < (K); t++)                                                               \
                    s += k[t] * (int32_t)padded[i + 3 * t];                                                    \
                acc[i] = s;                                                                                    \
            }                                                                                                  \
        } else {                                                                                               \
            for (size_t i = 0; i < n; i++) {                                                                   \
                int32_t s = acc[i];                                                                            \
                for (size_t t = 0; t < (K); t++)                                                               \
                    s += k[t] * (int32_t)padded[i + 3 * t];                                                    \
                acc[i] = s;                                                                                    \
            }                                                                                                  \
        }                                                                                                      \
    }
PK_ROW_CONV(1)
PK_ROW_CONV(3)
PK_ROW_CONV(5)
PK_ROW_CONV(7)
#undef PK_ROW_CONV

static void row_conv_row(const uint8_t *restrict padded, int32_t *restrict acc, size_t n, const int32_t *restrict w,
                         size_t taps, int first)
{
    switch (taps) {
    case 1:
        row_conv1(padded, acc, n, w, first);
        break;
    case 3:
        row_conv3(padded, acc, n, w, first);
        break;
    case 5:
        row_conv5(padded, acc, n, w, first);
        break;
    default:
        row_conv7(padded, acc, n, w, first);
        break;
    }
}

/* dst[i] = clamp(round(acc[i] / scale) + offset, 0, 255), rounded half to even.
 * scale = 2^shift (pow2): floor((a + scale / 2 - 1 + (floor(a / scale) & 1)) / scale)
 * by arithmetic shifts.  Otherwise q = floor(a / scale) in double (exact once
 * corrected: |a| < 2^30), and the remainder decides the rounding. */
static void row_conv_store(const int32_t *restrict acc, uint8_t *restrict dst, size_t n, int32_t scale,
                           unsigned shift, int pow2, int32_t offset)
{
    if (pow2 && shift == 0) {
        for (size_t i = 0; i < n; i++) {
            int32_t v = acc[i] + offset;
            v = v < 0 ? 0 : v;
            v = v > 255 ? 255 : v;
            dst[i] = (uint8_t)v;
        }
    } else if (pow2) {
        int32_t bias = (scale >> 1) - 1;
        for (size_t i = 0; i < n; i++) {
            int32_t a = acc[i];
            int32_t v = ((a + bias + ((a >> shift) & 1)) >> shift) + offset;
            v = v < 0 ? 0 : v;
            v = v > 255 ? 255 : v;
            dst[i] = (uint8_t)v;
        }
    } else {
        double divisor = (double)scale;
        for (size_t i = 0; i < n; i++) {
            int32_t a = acc[i];
            int32_t q = (int32_t)floor((double)a / divisor);
            int32_t rem = a - q * scale;
            q += rem >= scale;
            rem -= rem >= scale ? scale : 0;
            q -= rem < 0;
            rem += rem < 0 ? scale : 0;
            q += (2 * rem > scale) | ((2 * rem == scale) & q & 1);
            int32_t v = q + offset;
            v = v < 0 ? 0 : v;
            v = v > 255 ? 255 : v;
            dst[i] = (uint8_t)v;
        }
    }
}
