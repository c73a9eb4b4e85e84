/*
 * rows/bayer.h: one row of a Bayer demosaic.
 *
 * Output pixel x (1 <= x <= width - 2) of a row comes from the mosaic rows
 * above, at and below it.  A row holds green and one other colour ("own",
 * red or blue); the rows above and below hold green and the third colour
 * ("other").  With h = left + right, v = above + below and d = the sum of
 * the four diagonal neighbours:
 *   at a green sample: own = (h + 1) >> 1, green = the sample, other = (v + 1) >> 1;
 *   elsewhere:         own = the sample, other = (d + 2) >> 2, green = (h + v + 2) >> 2
 *                      (bilinear) or, edge-aware, (v + 1) >> 1 when
 *                      |left - right| > |above - below| and (h + 1) >> 1 otherwise.
 * Pixels 0 and width - 1 repeat pixels 1 and width - 2.  With AVX2 (also in
 * the AVX-512 table: on the CPUs measured the 256-bit byte shuffles beat
 * 512-bit permutes) 32 pixels go at a time, the same integer results.
 */
#include <stddef.h>
#include <stdint.h>

/* (a + b + c + d + 2) >> 2 */
static inline uint8_t bayer_mean4(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return (uint8_t)((a + b + c + d + 2) >> 2);
}

/* Output pixel x of the row `mid`, without vectors. */
static inline void bayer_pixel(const uint8_t *restrict up, const uint8_t *restrict mid,
                               const uint8_t *restrict down, uint8_t *restrict out, size_t x, size_t own,
                               int green_first, int edge_aware)
{
    size_t other = 2 - own;
    unsigned left = mid[x - 1], right = mid[x + 1], above = up[x], below = down[x];
    if (((x + (size_t)green_first) & 1) != 0) {
        out[own] = (uint8_t)((left + right + 1) >> 1);
        out[1] = mid[x];
        out[other] = (uint8_t)((above + below + 1) >> 1);
        return;
    }
    out[own] = mid[x];
    out[other] = bayer_mean4(up[x - 1], up[x + 1], down[x - 1], down[x + 1]);
    if (!edge_aware) {
        out[1] = bayer_mean4(left, right, above, below);
    } else {
        unsigned dh = left > right ? left - right : right - left;
        unsigned dv = above > below ? above - below : below - above;
        out[1] = (uint8_t)(dh > dv ? (above + below + 1) >> 1 : (left + right + 1) >> 1);
    }
}

/* Pixels handled at a time without vectors (even). */
#define BAYER_CHUNK 256

/*
 * Pixels x0 .. x0 + 2 pairs - 1 (x0 odd) into planes: plane[c][i] is channel
 * c of pixel x0 + i.  Specialised (the constant arguments) for each kind of
 * row, so that the compiler vectorises it; the caller interleaves the planes.
 */
static inline __attribute__((always_inline)) void
bayer_pairs(const uint8_t *restrict up, const uint8_t *restrict mid, const uint8_t *restrict down,
            uint8_t (*restrict plane)[BAYER_CHUNK], size_t x0, size_t pairs, const size_t own,
            const int green_first, const int edge_aware)
{
    uint8_t *restrict own_p = plane[own], *restrict green_p = plane[1], *restrict other_p = plane[2 - own];
    /* x0 is odd: its sample is green unless row[0] is. */
    const size_t g = green_first ? 1 : 0, c = 1 - g;
    for (size_t k = 0; k < pairs; k++) {
        size_t xg = x0 + 2 * k + g, xc = x0 + 2 * k + c, ig = 2 * k + g, ic = 2 * k + c;
        unsigned left = mid[xc - 1], right = mid[xc + 1], above = up[xc], below = down[xc];
        own_p[ig] = (uint8_t)((mid[xg - 1] + mid[xg + 1] + 1u) >> 1);
        green_p[ig] = mid[xg];
        other_p[ig] = (uint8_t)((up[xg] + down[xg] + 1u) >> 1);
        own_p[ic] = mid[xc];
        other_p[ic] = bayer_mean4(up[xc - 1], up[xc + 1], down[xc - 1], down[xc + 1]);
        if (edge_aware) {
            unsigned dh = left > right ? left - right : right - left;
            unsigned dv = above > below ? above - below : below - above;
            unsigned h = (left + right + 1) >> 1, v = (above + below + 1) >> 1;
            /* A select without a branch: on noisy images the comparison is a coin toss. */
            unsigned vertical = 0u - (unsigned)(dh > dv);
            green_p[ic] = (uint8_t)((v & vertical) | (h & ~vertical));
        } else {
            green_p[ic] = bayer_mean4(left, right, above, below);
        }
    }
}

/* Pixels x (odd) .. up to the last whole pair before width - 1; returns the next x. */
static size_t bayer_pairs_any(const uint8_t *restrict up, const uint8_t *restrict mid,
                              const uint8_t *restrict down, uint8_t *restrict dst, size_t x, size_t width,
                              int own_red, int green_first, int edge_aware)
{
    uint8_t plane[3][BAYER_CHUNK];
    int kind = (own_red ? 4 : 0) | (green_first ? 2 : 0) | (edge_aware ? 1 : 0);
    while (x + 2 < width) {
        size_t pairs = (width - 1 - x) / 2;
        if (pairs > BAYER_CHUNK / 2)
            pairs = BAYER_CHUNK / 2;
        switch (kind) {
        case 0: bayer_pairs(up, mid, down, plane, x, pairs, 2, 0, 0); break;
        case 1: bayer_pairs(up, mid, down, plane, x, pairs, 2, 0, 1); break;
        case 2: bayer_pairs(up, mid, down, plane, x, pairs, 2, 1, 0); break;
        case 3: bayer_pairs(up, mid, down, plane, x, pairs, 2, 1, 1); break;
        case 4: bayer_pairs(up, mid, down, plane, x, pairs, 0, 0, 0); break;
        case 5: bayer_pairs(up, mid, down, plane, x, pairs, 0, 0, 1); break;
        case 6: bayer_pairs(up, mid, down, plane, x, pairs, 0, 1, 0); break;
        default: bayer_pairs(up, mid, down, plane, x, pairs, 0, 1, 1); break;
        }
        uint8_t *restrict out = dst + 3 * x;
        for (size_t i = 0; i < 2 * pairs; i++) {
            out[3 * i] = plane[0][i];
            out[3 * i + 1] = plane[1][i];
            out[3 * i + 2] = plane[2][i];
        }
        x += 2 * pairs;
    }
    return x;
}

/*
 * A row of a 16-bit mosaic (every sample <= the last index of `lut`, which
 * the caller has checked): the same interpolation at 16 bits, each result
 * then rounded to 8 bits through `lut`.  Without vectors.
 */
static void row_demosaic_u16(const uint16_t *restrict up, const uint16_t *restrict mid,
                             const uint16_t *restrict down, uint8_t *restrict dst, size_t width, int own_red,
                             int green_first, int edge_aware, const uint8_t *restrict lut)
{
    const size_t own = own_red ? 0 : 2, other = 2 - own;
    for (size_t x = 1; x + 1 < width; x++) {
        uint8_t *out = dst + 3 * x;
        uint32_t left = mid[x - 1], right = mid[x + 1], above = up[x], below = down[x];
        if (((x + (size_t)green_first) & 1) != 0) {
            out[own] = lut[(left + right + 1) >> 1];
            out[1] = lut[mid[x]];
            out[other] = lut[(above + below + 1) >> 1];
            continue;
        }
        out[own] = lut[mid[x]];
        out[other] = lut[((uint32_t)up[x - 1] + up[x + 1] + down[x - 1] + down[x + 1] + 2) >> 2];
        if (edge_aware) {
            uint32_t dh = left > right ? left - right : right - left;
            uint32_t dv = above > below ? above - below : below - above;
            out[1] = lut[dh > dv ? (above + below + 1) >> 1 : (left + right + 1) >> 1];
        } else {
            out[1] = lut[(left + right + above + below + 2) >> 2];
        }
    }
    for (int c = 0; c < 3; c++) {
        dst[c] = dst[3 + c];
        dst[3 * (width - 1) + c] = dst[3 * (width - 2) + c];
    }
}

#if defined(__AVX2__)
#include <immintrin.h>

/* (a + b + c + d + 2) >> 2 per byte, from the rounded pair means: the mean
 * of the means, less one where both rounding steps rounded up. */
static inline __m256i bayer_mean4_256(__m256i a, __m256i b, __m256i c, __m256i d)
{
    __m256i ab = _mm256_avg_epu8(a, b), cd = _mm256_avg_epu8(c, d);
    __m256i odd = _mm256_or_si256(_mm256_xor_si256(a, b), _mm256_xor_si256(c, d));
    __m256i fix = _mm256_and_si256(_mm256_and_si256(odd, _mm256_xor_si256(ab, cd)), _mm256_set1_epi8(1));
    return _mm256_sub_epi8(_mm256_avg_epu8(ab, cd), fix);
}

static inline __m256i bayer_absdiff_256(__m256i a, __m256i b)
{
    return _mm256_sub_epi8(_mm256_max_epu8(a, b), _mm256_min_epu8(a, b));
}

/* Byte j of the k-th 16 bytes of 16 RGB pixels is channel (16 k + j) % 3 of
 * pixel (16 k + j) / 3: bayer_take[c][k][j] is that pixel where the channel
 * is c, and -1 (a zero from pshufb) elsewhere. */
#define BAYER_TAKE(c, i) ((i) % 3 == (c) ? (i) / 3 : -1)
#define BAYER_TAKE4(c, i) BAYER_TAKE(c, i), BAYER_TAKE(c, (i) + 1), BAYER_TAKE(c, (i) + 2), BAYER_TAKE(c, (i) + 3)
#define BAYER_TAKE16(c, k) \
    {BAYER_TAKE4(c, 16 * (k)), BAYER_TAKE4(c, 16 * (k) + 4), BAYER_TAKE4(c, 16 * (k) + 8), \
     BAYER_TAKE4(c, 16 * (k) + 12)}
#define BAYER_TAKE48(c) {BAYER_TAKE16(c, 0), BAYER_TAKE16(c, 1), BAYER_TAKE16(c, 2)}
static const int8_t bayer_take[3][3][16] = {BAYER_TAKE48(0), BAYER_TAKE48(1), BAYER_TAKE48(2)};
#endif

/*
 * The whole output row (width >= 3 pixels, 3 bytes each): `own` is the
 * channel (0 red, 2 blue) of the row's non-green samples, green_first
 * whether mid[0] is green.
 */
static void row_demosaic(const uint8_t *restrict up, const uint8_t *restrict mid, const uint8_t *restrict down,
                         uint8_t *restrict dst, size_t width, int own_red, int green_first, int edge_aware)
{
    size_t own = own_red ? 0 : 2;
    size_t x = 1;
#if defined(__AVX2__)
    {
        __m256i pick[3][3];
        for (int c = 0; c < 3; c++)
            for (int k = 0; k < 3; k++)
                pick[c][k] = _mm256_broadcastsi128_si256(
                    _mm_loadu_si128((const __m128i *)(const void *)bayer_take[c][k]));
        /* 0xff in the lanes of green samples (lane j is pixel x + j, x odd). */
        const __m256i green = _mm256_set1_epi16(green_first ? (short)0xff00 : (short)0x00ff);
        for (; x + 32 < width; x += 32) {
            __m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(up + x));
            __m256i am = _mm256_loadu_si256((const __m256i *)(const void *)(up + x - 1));
            __m256i ap = _mm256_loadu_si256((const __m256i *)(const void *)(up + x + 1));
            __m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(mid + x));
            __m256i bm = _mm256_loadu_si256((const __m256i *)(const void *)(mid + x - 1));
            __m256i bp = _mm256_loadu_si256((const __m256i *)(const void *)(mid + x + 1));
            __m256i c0 = _mm256_loadu_si256((const __m256i *)(const void *)(down + x));
            __m256i cm = _mm256_loadu_si256((const __m256i *)(const void *)(down + x - 1));
            __m256i cp = _mm256_loadu_si256((const __m256i *)(const void *)(down + x + 1));
            __m256i h = _mm256_avg_epu8(bm, bp), v = _mm256_avg_epu8(a0, c0);
            __m256i diagonal = bayer_mean4_256(am, ap, cm, cp);
            __m256i g;
            if (edge_aware) {
                __m256i dv = bayer_absdiff_256(a0, c0);
                __m256i not_vertical = _mm256_cmpeq_epi8(_mm256_max_epu8(bayer_absdiff_256(bm, bp), dv), dv);
                g = _mm256_blendv_epi8(v, h, not_vertical);
            } else {
                g = bayer_mean4_256(bm, bp, a0, c0);
            }
            __m256i own_v = _mm256_blendv_epi8(b0, h, green);
            __m256i green_v = _mm256_blendv_epi8(g, b0, green);
            __m256i other_v = _mm256_blendv_epi8(diagonal, v, green);
            __m256i rgb[3] = {own_red ? own_v : other_v, green_v, own_red ? other_v : own_v};
            __m256i piece[3];
            for (int k = 0; k < 3; k++)
                piece[k] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(rgb[0], pick[0][k]),
                                                           _mm256_shuffle_epi8(rgb[1], pick[1][k])),
                                           _mm256_shuffle_epi8(rgb[2], pick[2][k]));
            /* piece[k] holds bytes 16 k .. 16 k + 15 of pixels 0..15 (low half) and 16..31 (high half). */
            __m256i *out = (__m256i *)(void *)(dst + 3 * x);
            _mm256_storeu_si256(out, _mm256_permute2x128_si256(piece[0], piece[1], 0x20));
            _mm256_storeu_si256(out + 1, _mm256_permute2x128_si256(piece[2], piece[0], 0x30));
            _mm256_storeu_si256(out + 2, _mm256_permute2x128_si256(piece[1], piece[2], 0x31));
        }
    }
#endif
    x = bayer_pairs_any(up, mid, down, dst, x, width, own_red, green_first, edge_aware);
    for (; x + 1 < width; x++)
        bayer_pixel(up, mid, down, dst + 3 * x, x, own, green_first, edge_aware);
    for (int c = 0; c < 3; c++) {
        dst[c] = dst[3 + c];
        dst[3 * (width - 1) + c] = dst[3 * (width - 2) + c];
    }
}
