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
 * Pixels 0 and width - 1 repeat pixels 1 and width - 2.
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

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
#include <immintrin.h>

/* (a + b + c + d + 2) >> 2 per byte, from the rounded pair means: the mean
 * of the means, less one where both rounding steps rounded up. */
static inline __m512i bayer_mean4_512(__m512i a, __m512i b, __m512i c, __m512i d)
{
    __m512i ab = _mm512_avg_epu8(a, b), cd = _mm512_avg_epu8(c, d);
    __m512i odd = _mm512_or_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d));
    __m512i fix = _mm512_and_si512(_mm512_and_si512(odd, _mm512_xor_si512(ab, cd)), _mm512_set1_epi8(1));
    return _mm512_sub_epi8(_mm512_avg_epu8(ab, cd), fix);
}

static inline __m512i bayer_absdiff_512(__m512i a, __m512i b)
{
    return _mm512_sub_epi8(_mm512_max_epu8(a, b), _mm512_min_epu8(a, b));
}
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
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    {
        /* Byte j of output vector k is channel (64 k + j) % 3 of pixel (64 k + j) / 3. */
        uint8_t index_rg[3][64], index_b[3][64];
        uint64_t blue_mask[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++)
            for (int j = 0; j < 64; j++) {
                int i = 64 * k + j, pixel = i / 3, channel = i % 3;
                index_rg[k][j] = (uint8_t)(channel == 1 ? 64 + pixel : pixel);
                index_b[k][j] = (uint8_t)pixel;
                if (channel == 2)
                    blue_mask[k] |= (uint64_t)1 << j;
            }
        __m512i irg[3], ib[3];
        for (int k = 0; k < 3; k++) {
            irg[k] = _mm512_loadu_si512((const void *)index_rg[k]);
            ib[k] = _mm512_loadu_si512((const void *)index_b[k]);
        }
        /* Lanes of green samples (lane j is pixel x + j, x odd): even j when mid[0] is not green. */
        const __mmask64 green = green_first ? 0xaaaaaaaaaaaaaaaau : 0x5555555555555555u;
        for (; x + 64 < width; x += 64) {
            __m512i a0 = _mm512_loadu_si512((const void *)(up + x));
            __m512i am = _mm512_loadu_si512((const void *)(up + x - 1));
            __m512i ap = _mm512_loadu_si512((const void *)(up + x + 1));
            __m512i b0 = _mm512_loadu_si512((const void *)(mid + x));
            __m512i bm = _mm512_loadu_si512((const void *)(mid + x - 1));
            __m512i bp = _mm512_loadu_si512((const void *)(mid + x + 1));
            __m512i c0 = _mm512_loadu_si512((const void *)(down + x));
            __m512i cm = _mm512_loadu_si512((const void *)(down + x - 1));
            __m512i cp = _mm512_loadu_si512((const void *)(down + x + 1));
            __m512i h = _mm512_avg_epu8(bm, bp), v = _mm512_avg_epu8(a0, c0);
            __m512i diagonal = bayer_mean4_512(am, ap, cm, cp);
            __m512i g;
            if (edge_aware) {
                __mmask64 vertical = _mm512_cmpgt_epu8_mask(bayer_absdiff_512(bm, bp), bayer_absdiff_512(a0, c0));
                g = _mm512_mask_blend_epi8(vertical, h, v);
            } else {
                g = bayer_mean4_512(bm, bp, a0, c0);
            }
            __m512i own_v = _mm512_mask_blend_epi8(green, b0, h);
            __m512i green_v = _mm512_mask_blend_epi8(green, g, b0);
            __m512i other_v = _mm512_mask_blend_epi8(green, diagonal, v);
            __m512i r = own_red ? own_v : other_v, b = own_red ? other_v : own_v;
            uint8_t *out = dst + 3 * x;
            for (int k = 0; k < 3; k++) {
                __m512i rg = _mm512_permutex2var_epi8(r, irg[k], green_v);
                __m512i rgb = _mm512_mask_permutexvar_epi8(rg, (__mmask64)blue_mask[k], ib[k], b);
                _mm512_storeu_si512((void *)(out + 64 * k), rgb);
            }
        }
    }
#endif
    for (; x + 1 < width; x++)
        bayer_pixel(up, mid, down, dst + 3 * x, x, own, green_first, edge_aware);
    for (int c = 0; c < 3; c++) {
        dst[c] = dst[3 + c];
        dst[3 * (width - 1) + c] = dst[3 * (width - 2) + c];
    }
}
