/* rows/resample.h: loops of resize. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

/* Outputs first .. last - 1 of the horizontal linear pass, one by one, to dst[0 ..]. */
static inline void resize_h_linear_elements(const uint8_t *restrict src, int16_t *restrict dst,
                                            const pk_linear_h_plan *plan, size_t first, size_t last)
{
    const int32_t *restrict xofs = plan->xofs;
    const int16_t *restrict alpha = plan->alpha;
    size_t i = first;
    for (; i < last && i % 3 != 0; i++) {
        size_t x = i / 3, c = i % 3;
        dst[i - first] = (int16_t)((src[xofs[2 * x] + (int32_t)c] * alpha[2 * x]
                                    + src[xofs[2 * x + 1] + (int32_t)c] * alpha[2 * x + 1]) >> 4);
    }
#if defined(__AVX2__)
    /* A pixel whose two samples lie 3 bytes apart: one 8-byte load, its
     * (first, second) sample pairs by a byte shuffle, one multiply-add.
     * The fourth result stored is rewritten by the next pixel. */
    const __m128i pairs = _mm_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1);
    /* Two such pixels at a time, one in each 128-bit lane. */
    const __m256i pairs2 = _mm256_broadcastsi128_si256(pairs);
    const __m256i by_lane = _mm256_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1);
    for (; i + 7 <= last; i += 6) {
        size_t x = i / 3;
        int32_t o0 = xofs[2 * x], o1 = xofs[2 * x + 2];
        if (xofs[2 * x + 1] != o0 + 3 || xofs[2 * x + 3] != o1 + 3 || (size_t)o0 + 8 > plan->src_bytes
            || (size_t)o1 + 8 > plan->src_bytes)
            break;
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)(const void *)(src + o0))),
                                            _mm_loadl_epi64((const __m128i *)(const void *)(src + o1)), 1);
        /* alpha[2x .. 2x + 3]: the (first, second) weight pairs of both pixels, one per lane */
        __m256i w = _mm256_permutevar8x32_epi32(
            _mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)(const void *)(alpha + 2 * x))), by_lane);
        __m256i r = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v, pairs2), w), 4);
        r = _mm256_packs_epi32(r, r);
        _mm_storel_epi64((__m128i *)(void *)(dst + (i - first)), _mm256_castsi256_si128(r));
        _mm_storel_epi64((__m128i *)(void *)(dst + (i - first) + 3), _mm256_extracti128_si256(r, 1));
    }
    for (; i + 4 <= last; i += 3) {
        size_t x = i / 3;
        int32_t o0 = xofs[2 * x];
        if (xofs[2 * x + 1] != o0 + 3 || (size_t)o0 + 8 > plan->src_bytes)
            break;
        __m128i v = _mm_shuffle_epi8(_mm_loadl_epi64((const __m128i *)(const void *)(src + o0)), pairs);
        __m128i w = _mm_set1_epi32((int32_t)((uint32_t)(uint16_t)alpha[2 * x] | (uint32_t)(uint16_t)alpha[2 * x + 1] << 16));
        __m128i r = _mm_srai_epi32(_mm_madd_epi16(v, w), 4);
        _mm_storel_epi64((__m128i *)(void *)(dst + (i - first)), _mm_packs_epi32(r, r));
    }
#endif
    for (; i + 3 <= last; i += 3) {
        size_t x = i / 3;
        const uint8_t *p0 = src + xofs[2 * x], *p1 = src + xofs[2 * x + 1];
        int32_t a0 = alpha[2 * x], a1 = alpha[2 * x + 1];
        dst[i - first] = (int16_t)((p0[0] * a0 + p1[0] * a1) >> 4);
        dst[i - first + 1] = (int16_t)((p0[1] * a0 + p1[1] * a1) >> 4);
        dst[i - first + 2] = (int16_t)((p0[2] * a0 + p1[2] * a1) >> 4);
    }
    for (; i < last; i++) {
        size_t x = i / 3, c = i % 3;
        dst[i - first] = (int16_t)((src[xofs[2 * x] + (int32_t)c] * alpha[2 * x]
                                    + src[xofs[2 * x + 1] + (int32_t)c] * alpha[2 * x + 1]) >> 4);
    }
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/* The 32 outputs of block b (not -2) of the horizontal linear pass. */
static inline __m512i resize_h_linear_block(const uint8_t *restrict src, const pk_linear_h_plan *plan, size_t b)
{
    const __mmask64 even = 0x5555555555555555ULL;
    int32_t base = plan->block_base[b];
    __m512i lo, hi;
    if (base == -1) {
        /* A block spans at most 12 pixels: 12 pieces of 8 bytes, loaded in pairs. */
        const int32_t *g = plan->block_gather + 16 * b;
        __m128i q[6];
        for (int j = 0; j < 6; j++) {
            __m128d low = _mm_castsi128_pd(_mm_loadl_epi64((const __m128i *)(const void *)(src + g[2 * j])));
            q[j] = _mm_castpd_si128(_mm_loadh_pd(low, (const double *)(const void *)(src + g[2 * j + 1])));
        }
        __m256i l0 = _mm256_inserti128_si256(_mm256_castsi128_si256(q[0]), q[1], 1);
        __m256i l1 = _mm256_inserti128_si256(_mm256_castsi128_si256(q[2]), q[3], 1);
        __m256i h0 = _mm256_inserti128_si256(_mm256_castsi128_si256(q[4]), q[5], 1);
        lo = _mm512_inserti64x4(_mm512_castsi256_si512(l0), l1, 1);
        hi = _mm512_zextsi256_si512(h0);
    } else {
        const uint8_t *p = src + base;
        size_t avail = plan->src_bytes - (size_t)base;
        if (avail >= 128) {
            lo = _mm512_loadu_si512((const void *)p);
            hi = _mm512_loadu_si512((const void *)(p + 64));
        } else {
            lo = _mm512_maskz_loadu_epi8(avail >= 64 ? ~0ULL : (1ULL << avail) - 1, p);
            hi = avail > 64 ? _mm512_maskz_loadu_epi8((1ULL << (avail - 64)) - 1, p + 64) : _mm512_setzero_si512();
        }
    }
    const uint8_t *ix = plan->block_index + 128 * b;
    const int16_t *w = plan->block_weight + 64 * b;
    __m512i x = _mm512_maskz_permutex2var_epi8(even, lo, _mm512_loadu_si512((const void *)ix), hi);
    __m512i y = _mm512_maskz_permutex2var_epi8(even, lo, _mm512_loadu_si512((const void *)(ix + 64)), hi);
    x = _mm512_srai_epi32(_mm512_madd_epi16(x, _mm512_loadu_si512((const void *)w)), 4);
    y = _mm512_srai_epi32(_mm512_madd_epi16(y, _mm512_loadu_si512((const void *)(w + 32))), 4);
    return _mm512_packs_epi32(x, y);
}

/* Prefetches the lines of `next` that block b reads, from the line after `*fetched` on (dense blocks). */
static inline void resize_h_linear_prefetch(const uint8_t *next, const pk_linear_h_plan *plan, size_t b,
                                            uintptr_t *fetched)
{
    if (plan->block_base[b] == -1) {
        /* Sparse blocks: each pixel's line. */
        const int32_t *g = plan->block_gather + 16 * b;
        for (int j = 0; j < 12; j += 2)
            _mm_prefetch((const char *)(next + g[j]), _MM_HINT_T0);
        return;
    }
    if (plan->block_base[b] < 0)
        return;
    uintptr_t from = (uintptr_t)(next + plan->xofs[2 * (32 * b / 3)]) & ~(uintptr_t)63;
    uintptr_t to = (uintptr_t)(next + plan->xofs[2 * ((32 * b + 31) / 3) + 1] + 2);
    for (uintptr_t line = from > *fetched ? from : *fetched + 64; line <= to; line += 64)
        _mm_prefetch((const char *)line, _MM_HINT_T0);
    *fetched = to & ~(uintptr_t)63;
}
#endif

/* Horizontal linear pass (see pk_linear_h_plan): Q7 results. */
static void row_resize_h_linear(const uint8_t *restrict src, int16_t *restrict dst, const pk_linear_h_plan *plan,
                                const uint8_t *next)
{
    size_t n = 3 * plan->dst_width, b = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    uintptr_t fetched = 0;
    for (; b < plan->blocks; b++) {
        if (next != NULL)
            resize_h_linear_prefetch(next, plan, b, &fetched);
        if (plan->block_base[b] == -2)
            resize_h_linear_elements(src, dst + 32 * b, plan, 32 * b, 32 * b + 32);
        else
            _mm512_storeu_si512((void *)(dst + 32 * b), resize_h_linear_block(src, plan, b));
    }
#else
    (void)next;
#endif
    resize_h_linear_elements(src, dst + 32 * b, plan, 32 * b, n);
}

/* One output row of linear resize from source rows row0, row1 with
 * weights beta0, beta1: both passes at once (for shrinking, where no
 * source row serves two output rows).  next0, next1: the rows of the
 * following call, prefetched, or NULL. */
static void row_resize_linear_fused(const uint8_t *restrict row0, const uint8_t *restrict row1,
                                    uint8_t *restrict dst, const pk_linear_h_plan *plan, int16_t beta0,
                                    int16_t beta1, const uint8_t *next0, const uint8_t *next1)
{
    size_t n = 3 * plan->dst_width, b = 0;
    int16_t h0[32], h1[32];
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    uintptr_t fetched0 = 0, fetched1 = 0;
    const __m512i b0 = _mm512_set1_epi16(beta0), b1 = _mm512_set1_epi16(beta1), two = _mm512_set1_epi16(2);
    for (; b < plan->blocks; b++) {
        if (next0 != NULL)
            resize_h_linear_prefetch(next0, plan, b, &fetched0);
        if (next1 != NULL)
            resize_h_linear_prefetch(next1, plan, b, &fetched1);
        if (plan->block_base[b] == -2)
            break;
        __m512i a = _mm512_mulhi_epi16(resize_h_linear_block(row0, plan, b), b0);
        __m512i c = _mm512_mulhi_epi16(resize_h_linear_block(row1, plan, b), b1);
        __m512i v = _mm512_srai_epi16(_mm512_add_epi16(_mm512_add_epi16(a, c), two), 2);
        v = _mm512_max_epi16(v, _mm512_setzero_si512());
        _mm256_storeu_si256((__m256i *)(void *)(dst + 32 * b), _mm512_cvtusepi16_epi8(v));
    }
#else
    (void)next0;
    (void)next1;
#endif
    for (size_t i = 32 * b; i < n; i += 32) {
        size_t last = i + 32 < n ? i + 32 : n;
        resize_h_linear_elements(row0, h0, plan, i, last);
        resize_h_linear_elements(row1, h1, plan, i, last);
        size_t k = 0;
#if defined(__AVX2__) && !(defined(__AVX512VBMI__) && defined(__AVX512BW__))
        if (last - i == 32) { /* row_resize_v_linear's arithmetic on the two rows' 32 results */
            const __m256i b0 = _mm256_set1_epi16(beta0), b1 = _mm256_set1_epi16(beta1), two = _mm256_set1_epi16(2);
            __m256i v[2];
            for (int h = 0; h < 2; h++) {
                __m256i a = _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(h0 + 16 * h)), b0);
                __m256i c = _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(h1 + 16 * h)), b1);
                v[h] = _mm256_srai_epi16(_mm256_add_epi16(_mm256_add_epi16(a, c), two), 2);
            }
            __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(v[0], v[1]), 0xd8);
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), packed);
            k = 32;
        }
#endif
        for (; k < last - i; k++) {
            int16_t a = (int16_t)(((int32_t)h0[k] * beta0) >> 16);
            int16_t c = (int16_t)(((int32_t)h1[k] * beta1) >> 16);
            int16_t v = (int16_t)((a + c + 2) >> 2);
            dst[i + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
        }
    }
}

/* Vertical linear pass, as OpenCV's vector code computes it: each row's
 * Q7 value times its 11-bit weight keeps the high 16 bits, and the sum is
 * rounded by 2 bits. */
static void row_resize_v_linear(const int16_t *restrict row0, const int16_t *restrict row1, uint8_t *restrict dst,
                                size_t n, int16_t beta0, int16_t beta1)
{
    size_t i = 0;
#if defined(__AVX512BW__)
    const __m512i b0 = _mm512_set1_epi16(beta0), b1 = _mm512_set1_epi16(beta1), two = _mm512_set1_epi16(2);
    const __m512i order = _mm512_setr_epi64(0, 2, 4, 6, 1, 3, 5, 7);
    for (; i + 64 <= n; i += 64) {
        __m512i v[2];
        for (int h = 0; h < 2; h++) {
            __m512i a = _mm512_mulhi_epi16(_mm512_loadu_si512((const void *)(row0 + i + 32 * h)), b0);
            __m512i c = _mm512_mulhi_epi16(_mm512_loadu_si512((const void *)(row1 + i + 32 * h)), b1);
            v[h] = _mm512_srai_epi16(_mm512_add_epi16(_mm512_add_epi16(a, c), two), 2);
        }
        _mm512_storeu_si512((void *)(dst + i), _mm512_permutexvar_epi64(order, _mm512_packus_epi16(v[0], v[1])));
    }
#elif defined(__AVX2__)
    const __m256i b0 = _mm256_set1_epi16(beta0), b1 = _mm256_set1_epi16(beta1), two = _mm256_set1_epi16(2);
    for (; i + 32 <= n; i += 32) {
        __m256i v[2];
        for (int h = 0; h < 2; h++) {
            __m256i a = _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(row0 + i + 16 * h)), b0);
            __m256i c = _mm256_mulhi_epi16(_mm256_loadu_si256((const __m256i *)(const void *)(row1 + i + 16 * h)), b1);
            v[h] = _mm256_srai_epi16(_mm256_add_epi16(_mm256_add_epi16(a, c), two), 2);
        }
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(v[0], v[1]), 0xd8);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), packed);
    }
#elif defined(__SSE2__)
    const __m128i b0 = _mm_set1_epi16(beta0), b1 = _mm_set1_epi16(beta1), two = _mm_set1_epi16(2);
    for (; i + 16 <= n; i += 16) {
        __m128i v[2];
        for (int h = 0; h < 2; h++) {
            __m128i a = _mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(const void *)(row0 + i + 8 * h)), b0);
            __m128i c = _mm_mulhi_epi16(_mm_loadu_si128((const __m128i *)(const void *)(row1 + i + 8 * h)), b1);
            v[h] = _mm_srai_epi16(_mm_add_epi16(_mm_add_epi16(a, c), two), 2);
        }
        _mm_storeu_si128((__m128i *)(void *)(dst + i), _mm_packus_epi16(v[0], v[1]));
    }
#endif
    for (; i < n; i++) {
        int16_t a = (int16_t)(((int32_t)row0[i] * beta0) >> 16);
        int16_t b = (int16_t)(((int32_t)row1[i] * beta1) >> 16);
        int16_t v = (int16_t)((a + b + 2) >> 2);
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* Area, rows: acc = (first ? 0 : acc) + row * weight. */
static void row_area_v_u32(const uint8_t *restrict row, uint32_t *restrict acc, size_t n, uint32_t weight, int first)
{
    if (first) {
        for (size_t i = 0; i < n; i++)
            acc[i] = row[i] * weight;
    } else {
        for (size_t i = 0; i < n; i++)
            acc[i] += row[i] * weight;
    }
}

/* Sums below 2^31 to float (a signed conversion on every instruction set). */
static void row_u32_to_f32(const uint32_t *restrict src, float *restrict dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (float)(int32_t)src[i];
}

/* Area, along the row: output element i sums row[element[i] + 3 k] *
 * weights[k n + i] over the taps k in order, times scale, rounded.  `row`
 * is readable 64 floats past the last element any tap reads. */
static void row_area_h_f32(const float *restrict row, uint8_t *restrict dst, size_t n,
                           const int32_t *restrict element, const float *restrict weights, size_t taps, float scale,
                           float *restrict sums)
{
    size_t first = 0;
#if defined(__AVX512F__)
    /* 16 outputs at a time whose taps all lie in a window of 64 floats: permutes instead of gathers. */
    const __m512 zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.0f);
    const __m512 factor = _mm512_set1_ps(scale);
    const int32_t reach = 3 * (int32_t)(taps - 1);
    for (; first + 16 <= n; first += 16) {
        int32_t base = element[first];
        if (element[first + 15] - base + reach >= 64)
            break;
        const float *p = row + base;
        __m512 r0 = _mm512_loadu_ps(p), r1 = _mm512_loadu_ps(p + 16);
        __m512 r2 = _mm512_loadu_ps(p + 32), r3 = _mm512_loadu_ps(p + 48);
        __m512i at = _mm512_sub_epi32(_mm512_loadu_si512((const void *)(element + first)), _mm512_set1_epi32(base));
        __m512 sum = zero;
        for (size_t k = 0; k < taps; k++) {
            __m512i j = _mm512_add_epi32(at, _mm512_set1_epi32(3 * (int32_t)k));
            __m512 low = _mm512_permutex2var_ps(r0, j, r1), high = _mm512_permutex2var_ps(r2, j, r3);
            __m512 v = _mm512_mask_blend_ps(_mm512_cmpge_epi32_mask(j, _mm512_set1_epi32(32)), low, high);
            __m512 product = _mm512_mul_ps(v, _mm512_loadu_ps(weights + k * n + first));
            sum = k == 0 ? product : _mm512_add_ps(sum, product);
        }
        __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_mul_ps(sum, factor), zero), top);
        /* Rounded to nearest, ties to even (the default MXCSR mode), as the scalar loop below. */
        _mm_storeu_si128((__m128i *)(void *)(dst + first), _mm512_cvtepi32_epi8(_mm512_cvtps_epi32(v)));
    }
#endif
    for (size_t i = first; i < n; i++)
        sums[i] = row[element[i]] * weights[i];
    for (size_t k = 1; k < taps; k++) {
        const float *restrict w = weights + k * n;
        const float *restrict r = row + 3 * k;
        for (size_t i = first; i < n; i++)
            sums[i] += r[element[i]] * w[i];
    }
    for (size_t i = first; i < n; i++) {
        float v = sums[i] * scale;
        v = v < 0.0f ? 0.0f : v;
        v = v > 255.0f ? 255.0f : v;
        /* Nearest, ties to even, as OpenCV's cvRound: rational factors (36 -> 22 is 18/11) make
         * exact halves common, and rounding them up biased the results by +0.04.  Adding and
         * taking away 1.5 * 2^23 rounds a float below 2^22 that way in plain arithmetic. */
        dst[i] = (uint8_t)(int32_t)((v + 0x1.8p23f) - 0x1.8p23f);
    }
}

/* Integer-factor area: sums of `factor` adjacent pixels of a row of column sums. */
static void row_area_sum_h16(const uint16_t *restrict src, uint32_t *restrict dst, size_t dst_width, size_t factor)
{
    if (factor == 1) {
        for (size_t i = 0; i < 3 * dst_width; i++)
            dst[i] = src[i];
        return;
    }
    if (factor == 2) {
        for (size_t x = 0; x < dst_width; x++)
            for (size_t c = 0; c < 3; c++)
                dst[3 * x + c] = (uint32_t)src[6 * x + c] + src[6 * x + 3 + c];
        return;
    }
    if (factor == 3) {
        for (size_t x = 0; x < dst_width; x++)
            for (size_t c = 0; c < 3; c++)
                dst[3 * x + c] = (uint32_t)src[9 * x + c] + src[9 * x + 3 + c] + src[9 * x + 6 + c];
        return;
    }
    for (size_t x = 0; x < dst_width; x++) {
        const uint16_t *p = src + 3 * factor * x;
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

/* sum / area rounded half to even (as OpenCV's float mean and cvRound give):
 * q = floor((2 sum + area) / (2 area)) by multiplying with magic =
 * ceil(2^32 / (2 area)), exact while 2 sum + area < 2^17; an exact tie
 * that rounded up to an odd value goes back down. */
static void row_area_div_even(const uint32_t *restrict sum, uint8_t *restrict dst, size_t n, uint32_t area,
                              uint32_t magic)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t t = 2u * sum[i] + area;
        uint32_t q = (uint32_t)(((uint64_t)t * magic) >> 32);
        q -= (uint32_t)(q * 2u * area == t) & q;
        dst[i] = (uint8_t)q;
    }
}

/* Nearest neighbour (see pk_nearest_plan).  Pixel by pixel, pixels move as
 * 4-byte words (the extra byte stored is rewritten by the next pixel); the
 * source row's last pixel, whose fourth byte may not exist, and the output
 * row's last pixel move as 3 bytes. */
static void row_nearest(const uint8_t *restrict src, uint8_t *restrict dst, const pk_nearest_plan *plan)
{
    const int32_t *restrict xofs = plan->xofs;
    size_t dst_width = plan->dst_width, x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    size_t b = 0, src_bytes = 3 * plan->src_width, pixels = plan->block_pixels;
    const __mmask64 bytes = (1ULL << (3 * pixels)) - 1;
    for (; b < plan->blocks; b++) {
        int32_t base = plan->block_base[b];
        const uint8_t *p = src + base;
        size_t avail = src_bytes - (size_t)base;
        __m512i lo, hi;
        if (avail >= 128) {
            lo = _mm512_loadu_si512((const void *)p);
            hi = _mm512_loadu_si512((const void *)(p + 64));
        } else {
            lo = _mm512_maskz_loadu_epi8(avail >= 64 ? ~0ULL : (1ULL << avail) - 1, p);
            hi = avail > 64 ? _mm512_maskz_loadu_epi8((1ULL << (avail - 64)) - 1, p + 64) : _mm512_setzero_si512();
        }
        __m512i ix = _mm512_loadu_si512((const void *)(plan->block_index + 64 * b));
        _mm512_mask_storeu_epi8(dst + 3 * pixels * b, bytes, _mm512_permutex2var_epi8(lo, ix, hi));
    }
    x = pixels * b;
#endif
    const int32_t last = (int32_t)(3 * (plan->src_width - 1));
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* Sparse rows: 16 pixels gathered as 4-byte words (all before the source's last
     * pixel, whose fourth byte may not exist), their 48 bytes packed by a permute. */
    uint8_t order[64];
    for (int j = 0; j < 64; j++)
        order[j] = (uint8_t)(j < 48 ? 4 * (j / 3) + j % 3 : 0);
    const __m512i compact = _mm512_loadu_si512((const void *)order);
    for (; x + 16 <= dst_width && xofs[x + 15] < last; x += 16) {
        __m512i words = _mm512_i32gather_epi32(_mm512_loadu_si512((const void *)(xofs + x)), (const void *)src, 1);
        _mm512_mask_storeu_epi8(dst + 3 * x, 0xffffffffffffULL, _mm512_permutexvar_epi8(compact, words));
    }
#endif
    for (; x + 1 < dst_width; x++) {
        int32_t offset = xofs[x];
        uint32_t word;
        if (offset != last)
            memcpy(&word, src + offset, 4);
        else
            word = (uint32_t)src[offset] | (uint32_t)src[offset + 1] << 8 | (uint32_t)src[offset + 2] << 16;
        memcpy(dst + 3 * x, &word, 4);
    }
    if (x < dst_width) {
        const uint8_t *p = src + xofs[x];
        dst[3 * x] = p[0];
        dst[3 * x + 1] = p[1];
        dst[3 * x + 2] = p[2];
    }
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
        /* 96 bytes of each row a round: both of their lines, well ahead (PK_READ_AHEAD). */
        PK_READ_AHEAD_LINE(p0);
        PK_READ_AHEAD_LINE(p1);
        PK_READ_AHEAD_LINE(p0 + 64);
        PK_READ_AHEAD_LINE(p1 + 64);
        __m512i low, high;
        half_sum16(_mm512_loadu_si512((const void *)p0), _mm512_maskz_loadu_epi8(bytes32, p0 + 64),
                   _mm512_loadu_si512((const void *)p1), _mm512_maskz_loadu_epi8(bytes32, p1 + 64), left, right,
                   &low, &high);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 3 * x), _mm512_cvtepi16_epi8(low));
        _mm_storeu_si128((__m128i *)(void *)(dst + 3 * x + 32), _mm256_castsi256_si128(_mm512_cvtepi16_epi8(high)));
    }
#elif defined(__AVX2__)
    /* 8 output pixels from 16 source pixels (48 bytes) of each row.  A 128-bit lane holds two
     * source pairs (12 bytes); a shuffle puts each channel's left and right samples side by
     * side and vpmaddubsw adds them.  Each 8-byte store has 6 result bytes: the 2 after them
     * are written again by the next store (the last one only where 2 more output bytes follow). */
    const __m256i pairs = _mm256_setr_epi8(0, 3, 1, 4, 2, 5, 6, 9, 7, 10, 8, 11, -1, -1, -1, -1, 0, 3, 1, 4, 2, 5, 6,
                                           9, 7, 10, 8, 11, -1, -1, -1, -1);
    const __m256i ones = _mm256_set1_epi8(1), two = _mm256_set1_epi16(2);
    for (; 6 * x + 52 <= 6 * dst_width; x += 8) { /* the loads reach 4 bytes past the 16 pixels */
        const uint8_t *p0 = row0 + 6 * x, *p1 = row1 + 6 * x;
        if (x % 16 == 0) {
            PK_READ_AHEAD_LINE(p0);
            PK_READ_AHEAD_LINE(p1);
            PK_READ_AHEAD_LINE(p0 + 64);
            PK_READ_AHEAD_LINE(p1 + 64);
        }
        __m256i sums[2];
        for (int k = 0; k < 2; k++) {
            const __m128i *a = (const __m128i *)(const void *)(p0 + 24 * k);
            const __m128i *b = (const __m128i *)(const void *)(p1 + 24 * k);
            __m256i top = _mm256_loadu2_m128i((const __m128i *)(const void *)(p0 + 24 * k + 12), a);
            __m256i bottom = _mm256_loadu2_m128i((const __m128i *)(const void *)(p1 + 24 * k + 12), b);
            __m256i sum = _mm256_add_epi16(_mm256_maddubs_epi16(_mm256_shuffle_epi8(top, pairs), ones),
                                           _mm256_maddubs_epi16(_mm256_shuffle_epi8(bottom, pairs), ones));
            sums[k] = _mm256_srli_epi16(_mm256_add_epi16(sum, two), 2);
        }
        /* Lanes of bytes: output pixels 0-1 | 2-3 and 4-5 | 6-7, 6 bytes each (of 8). */
        __m256i bytes = _mm256_packus_epi16(sums[0], sums[1]);
        uint8_t *out = dst + 3 * x;
        _mm_storel_epi64((__m128i *)(void *)out, _mm256_castsi256_si128(bytes));
        _mm_storel_epi64((__m128i *)(void *)(out + 6), _mm256_extracti128_si256(bytes, 1));
        _mm_storel_epi64((__m128i *)(void *)(out + 12), _mm_srli_si128(_mm256_castsi256_si128(bytes), 8));
        _mm_storel_epi64((__m128i *)(void *)(out + 18), _mm_srli_si128(_mm256_extracti128_si256(bytes, 1), 8));
    }
#endif
    for (; x < dst_width; x++) {
        if (x % 16 == 0) {
            PK_READ_AHEAD_LINE(row0 + 6 * x);
            PK_READ_AHEAD_LINE(row1 + 6 * x);
            PK_READ_AHEAD_LINE(row0 + 6 * x + 64);
            PK_READ_AHEAD_LINE(row1 + 6 * x + 64);
        }
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

/* Doubling, vertical pass: ((w0 * a) >> 2) + ((w1 * b) >> 2), rounded by
 * 2 bits, with w0 + w1 = 4: what row_resize_v_linear computes for these
 * weights (the Q7 values are 32 a, 32 b; 11-bit weights 512 w). */
static void row_double_v(const uint16_t *restrict a, const uint16_t *restrict b, uint8_t *restrict dst, size_t n,
                         uint16_t w0, uint16_t w1)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)((uint16_t)(((uint16_t)(w0 * a[i]) >> 2) + ((uint16_t)(w1 * b[i]) >> 2) + 2) >> 2);
}
