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
 *
 * 8-bit rows go 32 pixels at a time with AVX2 (also in the AVX-512 table: on
 * the CPUs measured its 256-bit byte shuffles beat 512-bit permutes).  The
 * rest, and 16-bit rows, are computed as planes of BAYER_CHUNK pixels by
 * plain loops that the compiler vectorises, then interleaved.  Every path
 * computes the same integers.
 */
#include <stddef.h>
#include <stdint.h>

/* Pixels handled at a time as planes (even). */
#define BAYER_CHUNK 256

/* (a + b + c + d + 2) >> 2 */
static inline uint32_t bayer_mean4(uint32_t a, uint32_t b, uint32_t c, uint32_t d)
{
    return (a + b + c + d + 2) >> 2;
}

/*
 * v (<= 2^bits - 1) rounded to 8 bits, (v * 255 + m / 2) / m with
 * m = 2^bits - 1, for 9 <= bits <= 16: x / m is (x + (x >> bits) + 1) >> bits
 * for every x below 256 m (checked for every v and bits).
 */
static inline uint8_t bayer_round8(uint32_t v, unsigned bits)
{
    uint32_t x = v * 255u + (((uint32_t)1 << (bits - 1)) - 1);
    return (uint8_t)((x + (x >> bits) + 1) >> bits);
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

typedef struct {
    __m256i pick[3][3];
} bayer_shuffles;

static inline bayer_shuffles bayer_shuffles_load(void)
{
    bayer_shuffles s;
    for (int c = 0; c < 3; c++)
        for (int k = 0; k < 3; k++)
            s.pick[c][k] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)bayer_take[c][k]));
    return s;
}

/* 32 pixels of r, g and b to 96 bytes of RGB at out. */
static inline void bayer_store_rgb(const bayer_shuffles *s, __m256i r, __m256i g, __m256i b, uint8_t *out)
{
    __m256i piece[3];
    for (int k = 0; k < 3; k++)
        piece[k] = _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(r, s->pick[0][k]),
                                                   _mm256_shuffle_epi8(g, s->pick[1][k])),
                                   _mm256_shuffle_epi8(b, s->pick[2][k]));
    /* piece[k] holds bytes 16 k .. 16 k + 15 of pixels 0..15 (low half) and 16..31 (high half). */
    __m256i *o = (__m256i *)(void *)out;
    _mm256_storeu_si256(o, _mm256_permute2x128_si256(piece[0], piece[1], 0x20));
    _mm256_storeu_si256(o + 1, _mm256_permute2x128_si256(piece[2], piece[0], 0x30));
    _mm256_storeu_si256(o + 2, _mm256_permute2x128_si256(piece[1], piece[2], 0x31));
}
#endif

/* n pixels of three planes (red, green, blue) to RGB. */
static inline void bayer_interleave(uint8_t (*restrict plane)[BAYER_CHUNK], uint8_t *restrict out, size_t n)
{
    size_t i = 0;
#if defined(__AVX2__)
    bayer_shuffles s = bayer_shuffles_load();
    for (; i + 32 <= n; i += 32)
        bayer_store_rgb(&s, _mm256_loadu_si256((const __m256i *)(const void *)(plane[0] + i)),
                        _mm256_loadu_si256((const __m256i *)(const void *)(plane[1] + i)),
                        _mm256_loadu_si256((const __m256i *)(const void *)(plane[2] + i)), out + 3 * i);
#endif
    for (; i < n; i++) {
        out[3 * i] = plane[0][i];
        out[3 * i + 1] = plane[1][i];
        out[3 * i + 2] = plane[2][i];
    }
}

/*
 * Pixels x0 .. x0 + 2 pairs - 1 (x0 odd) into planes: plane[c][i] is channel
 * c of pixel x0 + i.  T is the sample type; `bits` (16-bit samples only)
 * rounds each result to 8 bits.  Specialised (the constant arguments) for
 * each kind of row, so that the compiler vectorises it.
 */
#define BAYER_PAIRS(name, T, ROUND)                                                                          \
    static inline __attribute__((always_inline)) void name(                                                 \
        const T *restrict up, const T *restrict mid, const T *restrict down, uint8_t (*restrict plane)[BAYER_CHUNK], \
        size_t x0, size_t pairs, const size_t own, const int green_first, const int edge_aware, unsigned bits) \
    {                                                                                                        \
        uint8_t *restrict own_p = plane[own], *restrict green_p = plane[1], *restrict other_p = plane[2 - own]; \
        /* x0 is odd: its sample is green unless row[0] is. */                                               \
        const size_t g = green_first ? 1 : 0, c = 1 - g;                                                     \
        (void)bits;                                                                                          \
        for (size_t k = 0; k < pairs; k++) {                                                                 \
            size_t xg = x0 + 2 * k + g, xc = x0 + 2 * k + c, ig = 2 * k + g, ic = 2 * k + c;                 \
            uint32_t left = mid[xc - 1], right = mid[xc + 1], above = up[xc], below = down[xc];              \
            own_p[ig] = ROUND(((uint32_t)mid[xg - 1] + mid[xg + 1] + 1) >> 1);                               \
            green_p[ig] = ROUND((uint32_t)mid[xg]);                                                          \
            other_p[ig] = ROUND(((uint32_t)up[xg] + down[xg] + 1) >> 1);                                     \
            own_p[ic] = ROUND((uint32_t)mid[xc]);                                                            \
            other_p[ic] = ROUND(bayer_mean4(up[xc - 1], up[xc + 1], down[xc - 1], down[xc + 1]));            \
            if (edge_aware) {                                                                                \
                uint32_t dh = left > right ? left - right : right - left;                                    \
                uint32_t dv = above > below ? above - below : below - above;                                 \
                uint32_t h = (left + right + 1) >> 1, v = (above + below + 1) >> 1;                          \
                /* A select without a branch: on noisy images the comparison is a coin toss. */             \
                uint32_t vertical = 0u - (uint32_t)(dh > dv);                                                \
                green_p[ic] = ROUND((v & vertical) | (h & ~vertical));                                       \
            } else {                                                                                         \
                green_p[ic] = ROUND(bayer_mean4(left, right, above, below));                                 \
            }                                                                                                \
        }                                                                                                    \
    }
#define BAYER_AS_BYTE(v) ((uint8_t)(v))
#define BAYER_ROUND8(v) bayer_round8((v), bits)
BAYER_PAIRS(bayer_pairs8, uint8_t, BAYER_AS_BYTE)
BAYER_PAIRS(bayer_pairs16, uint16_t, BAYER_ROUND8)

/*
 * Pixels x (odd) .. up to the last whole pair before width - 1, through
 * planes; returns the next x.  T_pairs is bayer_pairs8 or bayer_pairs16.
 */
#define BAYER_RUN(name, T, pairs_fn)                                                                         \
    static size_t name(const T *restrict up, const T *restrict mid, const T *restrict down,                  \
                       uint8_t *restrict dst, size_t x, size_t width, int own_red, int green_first,          \
                       int edge_aware, unsigned bits)                                                        \
    {                                                                                                        \
        uint8_t plane[3][BAYER_CHUNK];                                                                       \
        int kind = (own_red ? 4 : 0) | (green_first ? 2 : 0) | (edge_aware ? 1 : 0);                        \
        while (x + 2 < width) {                                                                              \
            size_t pairs = (width - 1 - x) / 2;                                                              \
            if (pairs > BAYER_CHUNK / 2)                                                                     \
                pairs = BAYER_CHUNK / 2;                                                                     \
            switch (kind) {                                                                                  \
            case 0: pairs_fn(up, mid, down, plane, x, pairs, 2, 0, 0, bits); break;                          \
            case 1: pairs_fn(up, mid, down, plane, x, pairs, 2, 0, 1, bits); break;                          \
            case 2: pairs_fn(up, mid, down, plane, x, pairs, 2, 1, 0, bits); break;                          \
            case 3: pairs_fn(up, mid, down, plane, x, pairs, 2, 1, 1, bits); break;                          \
            case 4: pairs_fn(up, mid, down, plane, x, pairs, 0, 0, 0, bits); break;                          \
            case 5: pairs_fn(up, mid, down, plane, x, pairs, 0, 0, 1, bits); break;                          \
            case 6: pairs_fn(up, mid, down, plane, x, pairs, 0, 1, 0, bits); break;                          \
            default: pairs_fn(up, mid, down, plane, x, pairs, 0, 1, 1, bits); break;                         \
            }                                                                                                \
            bayer_interleave(plane, dst + 3 * x, 2 * pairs);                                                 \
            x += 2 * pairs;                                                                                  \
        }                                                                                                    \
        return x;                                                                                            \
    }
BAYER_RUN(bayer_run8, uint8_t, bayer_pairs8)
BAYER_RUN(bayer_run16, uint16_t, bayer_pairs16)

/*
 * The last pixel (width - 2) when the pairs leave it, and the two edge
 * columns.  x is where the pairs stopped.
 */
#define BAYER_FINISH(name, T, ROUND)                                                                         \
    static void name(const T *restrict up, const T *restrict mid, const T *restrict down,                    \
                     uint8_t *restrict dst, size_t x, size_t width, int own_red, int green_first,            \
                     int edge_aware, unsigned bits)                                                          \
    {                                                                                                        \
        (void)bits;                                                                                          \
        if (x + 1 < width) {                                                                                 \
            size_t own = own_red ? 0 : 2, other = 2 - own;                                                   \
            uint8_t *out = dst + 3 * x;                                                                      \
            uint32_t left = mid[x - 1], right = mid[x + 1], above = up[x], below = down[x];                  \
            if (((x + (size_t)green_first) & 1) != 0) {                                                      \
                out[own] = ROUND((left + right + 1) >> 1);                                                   \
                out[1] = ROUND((uint32_t)mid[x]);                                                            \
                out[other] = ROUND((above + below + 1) >> 1);                                                \
            } else {                                                                                         \
                uint32_t dh = left > right ? left - right : right - left;                                    \
                uint32_t dv = above > below ? above - below : below - above;                                 \
                out[own] = ROUND((uint32_t)mid[x]);                                                          \
                out[other] = ROUND(bayer_mean4(up[x - 1], up[x + 1], down[x - 1], down[x + 1]));             \
                out[1] = ROUND(!edge_aware ? bayer_mean4(left, right, above, below)                          \
                               : dh > dv   ? (above + below + 1) >> 1                                        \
                                           : (left + right + 1) >> 1);                                       \
            }                                                                                                \
        }                                                                                                    \
        for (int c = 0; c < 3; c++) {                                                                        \
            dst[c] = dst[3 + c];                                                                             \
            dst[3 * (width - 1) + c] = dst[3 * (width - 2) + c];                                             \
        }                                                                                                    \
    }
BAYER_FINISH(bayer_finish8, uint8_t, BAYER_AS_BYTE)
BAYER_FINISH(bayer_finish16, uint16_t, BAYER_ROUND8)

/*
 * The whole output row (width >= 3 pixels, 3 bytes each): `own_red` says
 * whether the row's non-green samples are red (else blue), green_first
 * whether mid[0] is green.
 */
static void row_demosaic(const uint8_t *restrict up, const uint8_t *restrict mid, const uint8_t *restrict down,
                         uint8_t *restrict dst, size_t width, int own_red, int green_first, int edge_aware)
{
    size_t x = 1;
#if defined(__AVX2__)
    {
        bayer_shuffles s = bayer_shuffles_load();
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
            bayer_store_rgb(&s, own_red ? own_v : other_v, green_v, own_red ? other_v : own_v, dst + 3 * x);
        }
    }
#endif
    x = bayer_run8(up, mid, down, dst, x, width, own_red, green_first, edge_aware, 8);
    bayer_finish8(up, mid, down, dst, x, width, own_red, green_first, edge_aware, 8);
}

/*
 * The same from a 16-bit mosaic of `bits`-bit samples (9..16, every sample
 * <= 2^bits - 1, which the caller has checked): the same interpolation at 16
 * bits, each result then rounded to 8 bits by bayer_round8.
 */
static void row_demosaic_u16(const uint16_t *restrict up, const uint16_t *restrict mid,
                             const uint16_t *restrict down, uint8_t *restrict dst, size_t width, int own_red,
                             int green_first, int edge_aware, unsigned bits)
{
    size_t x = bayer_run16(up, mid, down, dst, 1, width, own_red, green_first, edge_aware, bits);
    bayer_finish16(up, mid, down, dst, x, width, own_red, green_first, edge_aware, bits);
}
