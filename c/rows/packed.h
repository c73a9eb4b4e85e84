/*
 * rows/packed.h: packed RGB pixel formats <-> rgb24 (see pk_packed_to_rgb).
 *
 * Each function converts `rows` rows of `width` pixels, src and dst rows
 * src_stride and dst_stride bytes apart.  The loops are plain C (the
 * 16-bit formats vectorise as they are); with AVX-512 VBMI the other formats
 * go 64 pixels at a time through byte permutes, with AVX2 8 or 16 through
 * in-lane byte shuffles.  Every path computes each output byte with the
 * same integer formula, so all instruction sets give the same bytes.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "pixelkit.h"
#if defined(__AVX2__) || (defined(__AVX512VBMI__) && defined(__AVX512BW__))
#include <immintrin.h>
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PACKED_INLINE static inline __attribute__((always_inline))
#else
#define PACKED_INLINE static inline
#endif

/* ---- the formulas, one pixel or sample at a time ------------------------ */

/* 5 and 6 bits to 8 by bit replication; 8 to 5 and 6 by truncation. */
PACKED_INLINE uint8_t packed_from5(unsigned v) { return (uint8_t)((v << 3) | (v >> 2)); }
PACKED_INLINE uint8_t packed_from6(unsigned v) { return (uint8_t)((v << 2) | (v >> 4)); }

/* (v * 255 + 32767) / 65535, netpbm's rescaling to 8 bits, without the division:
 * (v * 65281 + 2^23) >> 24, that is ((v * 65281 >> 16) + 128) >> 8, in 16-bit
 * lanes (a high-half multiply); the same for every v in 0..65535. */
PACKED_INLINE uint8_t packed_from16(uint16_t v)
{
    uint16_t high = (uint16_t)((uint32_t)v * 65281u >> 16);
    return (uint8_t)((uint16_t)(high + 128u) >> 8);
}

/* Byte offsets of r, g, b in a pixel of the 3- and 4-byte formats (-1: alpha, set to 255). */
typedef struct {
    int bytes;
    int8_t r, g, b;
} packed_order;

PACKED_INLINE packed_order packed_order_of(int format)
{
    switch (format) {
    case PK_PACKED_BGR24: return (packed_order){3, 2, 1, 0};
    case PK_PACKED_RGBA: return (packed_order){4, 0, 1, 2};
    case PK_PACKED_BGRA: return (packed_order){4, 2, 1, 0};
    case PK_PACKED_ARGB: return (packed_order){4, 1, 2, 3};
    case PK_PACKED_ABGR: return (packed_order){4, 3, 2, 1};
    default: return (packed_order){3, 0, 1, 2};
    }
}

/* Pixels [x, width) of one row, 3 or 4 bytes -> rgb24 (inlined with constant offsets). */
PACKED_INLINE void packed_unpack_bytes(const uint8_t *restrict src, uint8_t *restrict dst, size_t x, size_t width,
                                       int bytes, int r, int g, int b)
{
    for (; x < width; x++) {
        const uint8_t *p = src + (size_t)bytes * x;
        dst[3 * x] = p[r];
        dst[3 * x + 1] = p[g];
        dst[3 * x + 2] = p[b];
    }
}

/* rgb24 -> 3 or 4 bytes, alpha (the byte no channel names) 255. */
PACKED_INLINE void packed_pack_bytes(const uint8_t *restrict src, uint8_t *restrict dst, size_t x, size_t width,
                                     int bytes, int r, int g, int b)
{
    int alpha = 6 - r - g - b; /* the offset left of 0..3, when bytes == 4 */
    for (; x < width; x++) {
        uint8_t *p = dst + (size_t)bytes * x;
        p[r] = src[3 * x];
        p[g] = src[3 * x + 1];
        p[b] = src[3 * x + 2];
        if (bytes == 4)
            p[alpha] = 255;
    }
}

/* Little-endian 5/6/5 -> rgb24; `top_red`: rgb565 (r in the top bits), else bgr565. */
PACKED_INLINE void packed_unpack_565(const uint8_t *restrict src, uint8_t *restrict dst, size_t x, size_t width,
                                     int top_red)
{
    for (; x < width; x++) {
        unsigned v = (unsigned)src[2 * x] | (unsigned)src[2 * x + 1] << 8;
        uint8_t high = packed_from5(v >> 11), middle = packed_from6((v >> 5) & 63), low = packed_from5(v & 31);
        dst[3 * x] = top_red ? high : low;
        dst[3 * x + 1] = middle;
        dst[3 * x + 2] = top_red ? low : high;
    }
}

PACKED_INLINE void packed_pack_565(const uint8_t *restrict src, uint8_t *restrict dst, size_t x, size_t width,
                                   int top_red)
{
    for (; x < width; x++) {
        unsigned r = src[3 * x], g = src[3 * x + 1], b = src[3 * x + 2];
        unsigned high = top_red ? r : b, low = top_red ? b : r;
        unsigned v = (high >> 3) << 11 | (g >> 2) << 5 | low >> 3;
        dst[2 * x] = (uint8_t)v;
        dst[2 * x + 1] = (uint8_t)(v >> 8);
    }
}

/* 16-bit samples (n of them) -> 8 bits; `big`: big-endian samples. */
PACKED_INLINE void packed_unpack_48(const uint8_t *restrict src, uint8_t *restrict dst, size_t n, int big)
{
    for (size_t i = 0; i < n; i++) {
        uint16_t v; /* a plain 16-bit load (vectorised), swapped when the orders differ */
        memcpy(&v, src + 2 * i, 2);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        if (!big)
#else
        if (big)
#endif
            v = (uint16_t)(v << 8 | v >> 8);
        dst[i] = packed_from16(v);
    }
}

/* v * 257 in either byte order: both bytes are v. */
PACKED_INLINE void packed_pack_48(const uint8_t *restrict src, uint8_t *restrict dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        dst[2 * i] = src[i];
        dst[2 * i + 1] = src[i];
    }
}

/* ---- AVX-512 VBMI: 64 pixels per step through byte permutes -------------- */

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/*
 * Moves 64 pixels of in_bytes (3 or 4) bytes, in in_bytes vectors, into 64
 * pixels of out_bytes, in out_bytes vectors: output byte i is input byte
 * in_bytes * (i / out_bytes) + map[i % out_bytes], or 255 where map is -1
 * (alpha).
 * Each output vector's bytes come from two input vectors, base[k] and
 * base[k] + 1: one two-source permute.  That holds for 4 -> 3 and 3 -> 4
 * bytes (a pixel never straddles the window); 3 -> 3 (bgr24) is
 * row_swap_rb's.
 */
typedef struct {
    __m512i index[4];  /* 255 at the alpha bytes */
    __mmask64 keep[4]; /* the bytes that come from the input (the others keep their index, 255) */
    int base[4];
} packed_shuffle;

static void packed_shuffle_init(packed_shuffle *s, int in_bytes, int out_bytes, const int8_t *map)
{
    for (int k = 0; k < out_bytes; k++) {
        int source[64], low = 4 * 64;
        uint8_t index[64];
        __mmask64 keep = 0;
        for (int j = 0; j < 64; j++) {
            int i = 64 * k + j, m = map[i % out_bytes];
            source[j] = m < 0 ? -1 : in_bytes * (i / out_bytes) + m;
            if (m >= 0 && source[j] < low)
                low = source[j];
        }
        int base = low / 64;
        if (base > in_bytes - 2)
            base = in_bytes - 2;
        for (int j = 0; j < 64; j++) {
            index[j] = (uint8_t)(source[j] < 0 ? 255 : source[j] - 64 * base); /* < 128 */
            if (source[j] >= 0)
                keep |= (__mmask64)1 << j;
        }
        s->index[k] = _mm512_loadu_si512((const void *)index);
        s->keep[k] = keep;
        s->base[k] = base;
    }
}

PACKED_INLINE void packed_shuffle_store(const packed_shuffle *s, const __m512i *in, int out_bytes, uint8_t *dst)
{
    for (int k = 0; k < out_bytes; k++) {
        /* vpermi2b: bytes outside `keep` keep their index byte, 255 */
        __m512i v = _mm512_mask2_permutex2var_epi8(in[s->base[k]], s->index[k], s->keep[k], in[s->base[k] + 1]);
        _mm512_storeu_si512((void *)(dst + 64 * k), v);
    }
}

/* Pixels to convert one by one first so that the vector loads (of pixels of
 * `bytes` bytes at src) start on a cache line: a load across two lines costs
 * two (at 1080p, from the caches, aligning the loads rather than the stores
 * makes bgra -> rgb24 a fifth faster).  0 when no number of pixels aligns
 * them, or the row is short. */
PACKED_INLINE size_t packed_head(const uint8_t *src, int bytes, size_t width)
{
    size_t gap = (size_t)(64 - (uintptr_t)src % 64) % 64, head;
    if (bytes == 3)
        head = gap * 43 % 64; /* 3 * 43 = 1 (mod 64) */
    else if (gap % (size_t)bytes == 0)
        head = gap / (size_t)bytes;
    else
        head = 0;
    return width >= head + 256 ? head : 0;
}

/*
 * 5/6/5 in 16-bit lanes, 64 pixels (two vectors) at a time.  Towards rgb24:
 * each lane becomes r | g << 8 (rg) and b (b, gathered into one vector of
 * 64 bytes with the even-byte index), and three permutes interleave them:
 * output vector 0 from rg[0] and b, 1 from rg[0], rg[1] and b (a two-source
 * permute and a masked one), 2 from rg[1] and b.  From rgb24: the lanes rg
 * and b of each half come out of the three input vectors by permutes.
 */
typedef struct {
    __m512i index[5];
    __mmask64 mask;
} packed_565_plan;

static void packed_565_init(packed_565_plan *s, int to_rgb)
{
    uint8_t index[5][64];
    __mmask64 mask = 0;
    for (int j = 0; j < 64; j++) {
        if (to_rgb) {
            int p0 = j / 3, c0 = j % 3, p1 = (64 + j) / 3, c1 = (64 + j) % 3, p2 = (128 + j) / 3, c2 = (128 + j) % 3;
            index[0][j] = (uint8_t)(c0 < 2 ? 2 * p0 + c0 : 64 + p0);
            index[1][j] = (uint8_t)(c1 < 2 ? 2 * p1 + c1 : 0);
            index[2][j] = (uint8_t)p1; /* the b bytes of vector 1 */
            if (c1 == 2)
                mask |= (__mmask64)1 << j;
            index[3][j] = (uint8_t)(c2 < 2 ? 2 * (p2 - 32) + c2 : 64 + p2);
            index[4][j] = (uint8_t)(2 * j % 128); /* even bytes of two vectors */
        } else {
            int p = j / 2, c = j % 2;
            index[0][j] = (uint8_t)(3 * p + c); /* rg of pixels 0..31 from vectors 0, 1 */
            index[1][j] = (uint8_t)(3 * p + 2); /* b of pixels 0..31 (odd bytes zeroed) */
            if (c == 0)
                mask |= (__mmask64)1 << j;
        }
    }
    for (int i = 0; i < 5; i++)
        s->index[i] = _mm512_loadu_si512((const void *)index[i]);
    s->mask = mask;
}

PACKED_INLINE void packed_565_unpack64(const packed_565_plan *s, const uint8_t *src, uint8_t *dst, int top_red)
{
    __m512i rg[2], b[2];
    for (int h = 0; h < 2; h++) {
        const __m512i v = _mm512_loadu_si512((const void *)(src + 64 * h));
        /* bit replication by high-half multiplies (see packed_565_unpack16) */
        __m512i high = _mm512_mulhi_epu16(_mm512_and_si512(v, _mm512_set1_epi16((short)0xF800)), _mm512_set1_epi16(264));
        __m512i middle = _mm512_mulhi_epu16(_mm512_and_si512(v, _mm512_set1_epi16(0x07E0)), _mm512_set1_epi16(8320));
        __m512i low = _mm512_mulhi_epu16(_mm512_slli_epi16(v, 11), _mm512_set1_epi16(264));
        rg[h] = _mm512_or_si512(top_red ? high : low, _mm512_slli_epi16(middle, 8));
        b[h] = top_red ? low : high;
    }
    __m512i blue = _mm512_permutex2var_epi8(b[0], s->index[4], b[1]);
    __m512i out1 = _mm512_permutex2var_epi8(rg[0], s->index[1], rg[1]);
    out1 = _mm512_mask_permutexvar_epi8(out1, s->mask, s->index[2], blue);
    _mm512_storeu_si512((void *)dst, _mm512_permutex2var_epi8(rg[0], s->index[0], blue));
    _mm512_storeu_si512((void *)(dst + 64), out1);
    _mm512_storeu_si512((void *)(dst + 128), _mm512_permutex2var_epi8(rg[1], s->index[3], blue));
}

PACKED_INLINE void packed_565_pack64(const packed_565_plan *s, const uint8_t *src, uint8_t *dst, int top_red)
{
    __m512i in[3];
    for (int v = 0; v < 3; v++)
        in[v] = _mm512_loadu_si512((const void *)(src + 64 * v));
    const __m512i shift = _mm512_set1_epi8(32); /* pixels 32..63 start at byte 96 = 64 + 32 */
    for (int h = 0; h < 2; h++) {
        __m512i rg_index = h ? _mm512_add_epi8(s->index[0], shift) : s->index[0];
        __m512i b_index = h ? _mm512_add_epi8(s->index[1], shift) : s->index[1];
        __m512i rg = _mm512_permutex2var_epi8(in[h], rg_index, in[h + 1]);
        __m512i b = _mm512_maskz_permutex2var_epi8(s->mask, in[h], b_index, in[h + 1]);
        __m512i green = _mm512_and_si512(_mm512_srli_epi16(rg, 5), _mm512_set1_epi16(0x7E0));
        __m512i value;
        if (top_red)
            value = _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(rg, _mm512_set1_epi16(0xF8)), 8),
                                    _mm512_or_si512(green, _mm512_srli_epi16(b, 3)));
        else
            value = _mm512_or_si512(_mm512_slli_epi16(_mm512_and_si512(b, _mm512_set1_epi16(0xF8)), 8),
                                    _mm512_or_si512(green, _mm512_and_si512(_mm512_srli_epi16(rg, 3),
                                                                             _mm512_set1_epi16(0x1F))));
        _mm512_storeu_si512((void *)(dst + 64 * h), value);
    }
}
#endif

#if defined(__AVX2__) && !(defined(__AVX512VBMI__) && defined(__AVX512BW__))
/*
 * AVX2: 8 pixels per step through an in-lane byte shuffle.  4 -> 3 bytes:
 * each 128-bit lane's 4 pixels become 12 bytes, joined into 24 by a dword
 * permute; the 32-byte store's last 8 bytes are rewritten by the next step
 * (the loop stops while they are still inside the row).  3 -> 4: each lane
 * gets 4 pixels (12 bytes) loaded from the row, spread to 16 bytes, alpha
 * or'ed in.
 */
typedef struct {
    __m256i shuffle;
    __m256i fill;
} packed_shuffle256;

static void packed_shuffle256_init(packed_shuffle256 *s, int to_rgb, const int8_t *map)
{
    uint8_t shuffle[32], fill[32];
    for (int j = 0; j < 32; j++) {
        int k = j % 16, m;
        if (to_rgb) {
            m = k < 12 ? map[k % 3] : -1;
            shuffle[j] = (uint8_t)(m < 0 ? 0x80 : 4 * (k / 3) + m);
            fill[j] = 0;
        } else {
            m = map[k % 4];
            shuffle[j] = (uint8_t)(m < 0 ? 0x80 : 3 * (k / 4) + m);
            fill[j] = m < 0 ? 255 : 0;
        }
    }
    s->shuffle = _mm256_loadu_si256((const __m256i *)(const void *)shuffle);
    s->fill = _mm256_loadu_si256((const __m256i *)(const void *)fill);
}

/*
 * 5/6/5 under AVX2, 16 pixels per step, each 128-bit lane on its own 8.
 * The fields widen with high-half multiplies: for a field f of n bits at
 * bit b, ((f << b) * m) >> 16 is f's bit replication when m puts it there
 * (5 bits at 11: m = 264, 6 bits at 5: m = 8320; (f << 3) | (f >> 2) is
 * f * 33 >> 2 and (f << 2) | (f >> 4) is f * 65 >> 4).  Lane pixel p's
 * r | g << 8 and b then go to bytes 3p .. 3p + 2 of the lane's 24 through
 * the shuffles below (0x80: zero); from rgb24 the other way, from the
 * lane's bytes 0..15 (first) and 8..23 (second).
 */
static const uint8_t packed_565_rg_low[32] = {0, 1, 128, 2, 3, 128, 4, 5, 128, 6, 7, 128, 8, 9, 128, 10,
                                              0, 1, 128, 2, 3, 128, 4, 5, 128, 6, 7, 128, 8, 9, 128, 10};
static const uint8_t packed_565_b_low[32] = {128, 128, 0, 128, 128, 2, 128, 128, 4, 128, 128, 6, 128, 128, 8, 128,
                                             128, 128, 0, 128, 128, 2, 128, 128, 4, 128, 128, 6, 128, 128, 8, 128};
static const uint8_t packed_565_rg_high[32] = {11, 128, 12, 13, 128, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128,
                                               11, 128, 12, 13, 128, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128};
static const uint8_t packed_565_b_high[32] = {128, 10, 128, 128, 12, 128, 128, 14, 128, 128, 128, 128, 128, 128, 128, 128,
                                              128, 10, 128, 128, 12, 128, 128, 14, 128, 128, 128, 128, 128, 128, 128, 128};
static const uint8_t packed_565_rg_first[32] = {0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 128, 128, 128, 128, 128,
                                                0, 1, 3, 4, 6, 7, 9, 10, 12, 13, 15, 128, 128, 128, 128, 128};
static const uint8_t packed_565_rg_second[32] = {128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 8, 10, 11, 13, 14,
                                                 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 8, 10, 11, 13, 14};
static const uint8_t packed_565_b_first[32] = {2, 128, 5, 128, 8, 128, 11, 128, 14, 128, 128, 128, 128, 128, 128, 128,
                                               2, 128, 5, 128, 8, 128, 11, 128, 14, 128, 128, 128, 128, 128, 128, 128};
static const uint8_t packed_565_b_second[32] = {128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 9, 128, 12, 128, 15, 128,
                                                128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 9, 128, 12, 128, 15, 128};
/* bgr24 <-> rgb24, 5 pixels per 16 bytes (byte 15, the next pixel's, is stored again by the next step) */
static const uint8_t packed_swap_bytes[16] = {2, 1, 0, 5, 4, 3, 8, 7, 6, 11, 10, 9, 14, 13, 12, 15};

PACKED_INLINE __m256i packed_load32(const uint8_t *table)
{
    return _mm256_loadu_si256((const __m256i *)(const void *)table);
}

PACKED_INLINE void packed_565_unpack16(const uint8_t *src, uint8_t *dst, int top_red)
{
    const __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)src);
    __m256i high = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi16((short)0xF800)), _mm256_set1_epi16(264));
    __m256i middle = _mm256_mulhi_epu16(_mm256_and_si256(v, _mm256_set1_epi16(0x07E0)), _mm256_set1_epi16(8320));
    __m256i low = _mm256_mulhi_epu16(_mm256_slli_epi16(v, 11), _mm256_set1_epi16(264));
    __m256i rg = _mm256_or_si256(top_red ? high : low, _mm256_slli_epi16(middle, 8));
    __m256i b = top_red ? low : high;
    __m256i first = _mm256_or_si256(_mm256_shuffle_epi8(rg, packed_load32(packed_565_rg_low)),
                                    _mm256_shuffle_epi8(b, packed_load32(packed_565_b_low)));
    __m256i second = _mm256_or_si256(_mm256_shuffle_epi8(rg, packed_load32(packed_565_rg_high)),
                                     _mm256_shuffle_epi8(b, packed_load32(packed_565_b_high)));
    _mm_storeu_si128((__m128i *)(void *)dst, _mm256_castsi256_si128(first));
    _mm_storel_epi64((__m128i *)(void *)(dst + 16), _mm256_castsi256_si128(second));
    _mm_storeu_si128((__m128i *)(void *)(dst + 24), _mm256_extracti128_si256(first, 1));
    _mm_storel_epi64((__m128i *)(void *)(dst + 40), _mm256_extracti128_si256(second, 1));
}

PACKED_INLINE void packed_565_pack16(const uint8_t *src, uint8_t *dst, int top_red)
{
    __m256i first = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)src)),
        _mm_loadu_si128((const __m128i *)(const void *)(src + 24)), 1);
    __m256i second = _mm256_inserti128_si256(
        _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(src + 8))),
        _mm_loadu_si128((const __m128i *)(const void *)(src + 32)), 1);
    __m256i rg = _mm256_or_si256(_mm256_shuffle_epi8(first, packed_load32(packed_565_rg_first)),
                                 _mm256_shuffle_epi8(second, packed_load32(packed_565_rg_second)));
    __m256i b = _mm256_or_si256(_mm256_shuffle_epi8(first, packed_load32(packed_565_b_first)),
                                _mm256_shuffle_epi8(second, packed_load32(packed_565_b_second)));
    __m256i green = _mm256_and_si256(_mm256_srli_epi16(rg, 5), _mm256_set1_epi16(0x7E0));
    __m256i value;
    if (top_red)
        value = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(rg, _mm256_set1_epi16(0xF8)), 8),
                                _mm256_or_si256(green, _mm256_srli_epi16(b, 3)));
    else
        value = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(b, _mm256_set1_epi16(0xF8)), 8),
                                _mm256_or_si256(green, _mm256_and_si256(_mm256_srli_epi16(rg, 3),
                                                                         _mm256_set1_epi16(0x1F))));
    _mm256_storeu_si256((__m256i *)(void *)dst, value);
}

/* bgr24 <-> rgb24 (src and dst apart). */
PACKED_INLINE void packed_swap(const uint8_t *restrict src, uint8_t *restrict dst, size_t width)
{
    const __m128i order = _mm_loadu_si128((const __m128i *)(const void *)packed_swap_bytes);
    size_t x = 0;
    for (; x + 6 <= width; x += 5)
        _mm_storeu_si128((__m128i *)(void *)(dst + 3 * x),
                         _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)(src + 3 * x)), order));
    packed_unpack_bytes(src, dst, x, width, 3, 2, 1, 0);
}
#endif

/* bgr24 <-> rgb24: AVX-512 VBMI has row_swap_rb's byte permutes, AVX2 packed_swap's shuffles. */
#if defined(__AVX2__) && !(defined(__AVX512VBMI__) && defined(__AVX512BW__))
#define PACKED_SWAP packed_swap
#else
#define PACKED_SWAP row_swap_rb
#endif

/* 16-bit samples -> 8 bits as packed_from16, in vectors of 64 (AVX-512) or
 * 32 (AVX2) samples: the byte order fixed by a byte shuffle (big-endian),
 * the high-half multiply, + 128, and the high bytes gathered. */
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/* the high bytes of 64 16-bit lanes in two vectors */
static const uint8_t packed_odd_bytes[64] = {
    1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31, 33, 35, 37, 39, 41, 43, 45, 47, 49, 51, 53, 55, 57,
    59, 61, 63, 65, 67, 69, 71, 73, 75, 77, 79, 81, 83, 85, 87, 89, 91, 93, 95, 97, 99, 101, 103, 105, 107, 109,
    111, 113, 115, 117, 119, 121, 123, 125, 127};
#endif

PACKED_INLINE void packed_unpack_48_fast(const uint8_t *restrict src, uint8_t *restrict dst, size_t n, int big)
{
    size_t i = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const __m512i high_bytes = _mm512_loadu_si512((const void *)packed_odd_bytes);
    const __m512i swap = _mm512_set4_epi32(0x0e0f0c0d, 0x0a0b0809, 0x06070405, 0x02030001);
    const __m512i factor = _mm512_set1_epi16((short)65281), half = _mm512_set1_epi16(128);
    for (; i + 64 <= n; i += 64) {
        __m512i a = _mm512_loadu_si512((const void *)(src + 2 * i));
        __m512i b = _mm512_loadu_si512((const void *)(src + 2 * i + 64));
        if (big) {
            a = _mm512_shuffle_epi8(a, swap);
            b = _mm512_shuffle_epi8(b, swap);
        }
        a = _mm512_add_epi16(_mm512_mulhi_epu16(a, factor), half);
        b = _mm512_add_epi16(_mm512_mulhi_epu16(b, factor), half);
        _mm512_storeu_si512((void *)(dst + i), _mm512_permutex2var_epi8(a, high_bytes, b));
    }
#elif defined(__AVX2__)
    const __m256i swap = _mm256_setr_epi8(1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14,
                                          1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    const __m256i factor = _mm256_set1_epi16((short)65281), half = _mm256_set1_epi16(128);
    for (; i + 32 <= n; i += 32) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i));
        __m256i b = _mm256_loadu_si256((const __m256i *)(const void *)(src + 2 * i + 32));
        if (big) {
            a = _mm256_shuffle_epi8(a, swap);
            b = _mm256_shuffle_epi8(b, swap);
        }
        a = _mm256_srli_epi16(_mm256_add_epi16(_mm256_mulhi_epu16(a, factor), half), 8);
        b = _mm256_srli_epi16(_mm256_add_epi16(_mm256_mulhi_epu16(b, factor), half), 8);
        /* packus works per 128-bit lane: put the quarters back in order */
        __m256i packed = _mm256_permute4x64_epi64(_mm256_packus_epi16(a, b), 0xD8);
        _mm256_storeu_si256((__m256i *)(void *)(dst + i), packed);
    }
#endif
    packed_unpack_48(src + 2 * i, dst + i, n - i, big);
}

/* ---- one band of rows ---------------------------------------------------- */

PACKED_INLINE void packed_unpack_row(const uint8_t *restrict src, uint8_t *restrict dst, size_t width, int format,
                                     const void *plan)
{
    size_t x = 0;
    (void)plan;
    switch (format) {
    case PK_PACKED_RGB24: memcpy(dst, src, 3 * width); return;
    case PK_PACKED_BGR24: PACKED_SWAP(src, dst, width); return;
    case PK_PACKED_RGB565LE:
    case PK_PACKED_BGR565LE: {
        int top_red = format == PK_PACKED_RGB565LE;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
        const packed_565_plan *s = plan;
        x = packed_head(src, 2, width);
        if (top_red) {
            packed_unpack_565(src, dst, 0, x, 1);
            for (; x + 64 <= width; x += 64)
                packed_565_unpack64(s, src + 2 * x, dst + 3 * x, 1);
        } else {
            packed_unpack_565(src, dst, 0, x, 0);
            for (; x + 64 <= width; x += 64)
                packed_565_unpack64(s, src + 2 * x, dst + 3 * x, 0);
        }
#elif defined(__AVX2__)
        if (top_red) {
            for (; x + 16 <= width; x += 16)
                packed_565_unpack16(src + 2 * x, dst + 3 * x, 1);
        } else {
            for (; x + 16 <= width; x += 16)
                packed_565_unpack16(src + 2 * x, dst + 3 * x, 0);
        }
#endif
        if (top_red)
            packed_unpack_565(src, dst, x, width, 1);
        else
            packed_unpack_565(src, dst, x, width, 0);
        return;
    }
    case PK_PACKED_RGB48LE: packed_unpack_48_fast(src, dst, 3 * width, 0); return;
    case PK_PACKED_RGB48BE: packed_unpack_48_fast(src, dst, 3 * width, 1); return;
    default: break;
    }
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const packed_shuffle *s = plan;
    x = packed_head(src, 4, width);
    switch (format) {
    case PK_PACKED_RGBA: packed_unpack_bytes(src, dst, 0, x, 4, 0, 1, 2); break;
    case PK_PACKED_BGRA: packed_unpack_bytes(src, dst, 0, x, 4, 2, 1, 0); break;
    case PK_PACKED_ARGB: packed_unpack_bytes(src, dst, 0, x, 4, 1, 2, 3); break;
    case PK_PACKED_ABGR: packed_unpack_bytes(src, dst, 0, x, 4, 3, 2, 1); break;
    default: break;
    }
    for (; x + 64 <= width; x += 64) {
        __m512i in[4];
        for (int v = 0; v < 4; v++)
            in[v] = _mm512_loadu_si512((const void *)(src + 4 * x + 64 * v));
        packed_shuffle_store(s, in, 3, dst + 3 * x);
    }
#elif defined(__AVX2__)
    const packed_shuffle256 *s = plan;
    const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
    for (; x + 11 <= width; x += 8) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(src + 4 * x));
        v = _mm256_permutevar8x32_epi32(_mm256_shuffle_epi8(v, s->shuffle), join);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 3 * x), v);
    }
#endif
    switch (format) {
    case PK_PACKED_RGBA: packed_unpack_bytes(src, dst, x, width, 4, 0, 1, 2); break;
    case PK_PACKED_BGRA: packed_unpack_bytes(src, dst, x, width, 4, 2, 1, 0); break;
    case PK_PACKED_ARGB: packed_unpack_bytes(src, dst, x, width, 4, 1, 2, 3); break;
    case PK_PACKED_ABGR: packed_unpack_bytes(src, dst, x, width, 4, 3, 2, 1); break;
    default: break;
    }
}

PACKED_INLINE void packed_pack_row(const uint8_t *restrict src, uint8_t *restrict dst, size_t width, int format,
                                   const void *plan)
{
    size_t x = 0;
    (void)plan;
    switch (format) {
    case PK_PACKED_RGB24: memcpy(dst, src, 3 * width); return;
    case PK_PACKED_RGB565LE:
    case PK_PACKED_BGR565LE: {
        int top_red = format == PK_PACKED_RGB565LE;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
        const packed_565_plan *s = plan;
        x = packed_head(src, 3, width);
        if (top_red) {
            packed_pack_565(src, dst, 0, x, 1);
            for (; x + 64 <= width; x += 64)
                packed_565_pack64(s, src + 3 * x, dst + 2 * x, 1);
        } else {
            packed_pack_565(src, dst, 0, x, 0);
            for (; x + 64 <= width; x += 64)
                packed_565_pack64(s, src + 3 * x, dst + 2 * x, 0);
        }
#elif defined(__AVX2__)
        if (top_red) {
            for (; x + 16 <= width; x += 16)
                packed_565_pack16(src + 3 * x, dst + 2 * x, 1);
        } else {
            for (; x + 16 <= width; x += 16)
                packed_565_pack16(src + 3 * x, dst + 2 * x, 0);
        }
#endif
        if (top_red)
            packed_pack_565(src, dst, x, width, 1);
        else
            packed_pack_565(src, dst, x, width, 0);
        return;
    }
    case PK_PACKED_RGB48LE:
    case PK_PACKED_RGB48BE: packed_pack_48(src, dst, 3 * width); return;
    case PK_PACKED_BGR24: PACKED_SWAP(src, dst, width); return;
    default: break;
    }
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    const packed_shuffle *s = plan;
    x = packed_head(src, 3, width);
    switch (format) {
    case PK_PACKED_RGBA: packed_pack_bytes(src, dst, 0, x, 4, 0, 1, 2); break;
    case PK_PACKED_BGRA: packed_pack_bytes(src, dst, 0, x, 4, 2, 1, 0); break;
    case PK_PACKED_ARGB: packed_pack_bytes(src, dst, 0, x, 4, 1, 2, 3); break;
    case PK_PACKED_ABGR: packed_pack_bytes(src, dst, 0, x, 4, 3, 2, 1); break;
    default: break;
    }
    for (; x + 64 <= width; x += 64) {
        __m512i in[3];
        for (int v = 0; v < 3; v++)
            in[v] = _mm512_loadu_si512((const void *)(src + 3 * x + 64 * v));
        packed_shuffle_store(s, in, 4, dst + 4 * x);
    }
#elif defined(__AVX2__)
    const packed_shuffle256 *s = plan;
    for (; x + 10 <= width; x += 8) {
        __m128i low = _mm_loadu_si128((const __m128i *)(const void *)(src + 3 * x));
        __m128i high = _mm_loadu_si128((const __m128i *)(const void *)(src + 3 * x + 12));
        __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(low), high, 1);
        v = _mm256_or_si256(_mm256_shuffle_epi8(v, s->shuffle), s->fill);
        _mm256_storeu_si256((__m256i *)(void *)(dst + 4 * x), v);
    }
#endif
    switch (format) {
    case PK_PACKED_RGBA: packed_pack_bytes(src, dst, x, width, 4, 0, 1, 2); break;
    case PK_PACKED_BGRA: packed_pack_bytes(src, dst, x, width, 4, 2, 1, 0); break;
    case PK_PACKED_ARGB: packed_pack_bytes(src, dst, x, width, 4, 1, 2, 3); break;
    case PK_PACKED_ABGR: packed_pack_bytes(src, dst, x, width, 4, 3, 2, 1); break;
    default: break;
    }
}

/* The permutes a format needs (AVX-512 VBMI, AVX2), made once per band. */
static void packed_plan(void *plan, int format, int to_rgb)
{
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    packed_shuffle *s = plan;
    if (format == PK_PACKED_RGB24 || format == PK_PACKED_BGR24 || format == PK_PACKED_RGB48LE
        || format == PK_PACKED_RGB48BE)
        return;
    if (format == PK_PACKED_RGB565LE || format == PK_PACKED_BGR565LE) {
        packed_565_init(plan, to_rgb);
        return;
    }
    packed_order order = packed_order_of(format);
    int8_t map[4];
    if (to_rgb) {
        map[0] = order.r;
        map[1] = order.g;
        map[2] = order.b;
        packed_shuffle_init(s, order.bytes, 3, map);
    } else {
        for (int c = 0; c < 4; c++)
            map[c] = -1;
        map[order.r] = 0;
        map[order.g] = 1;
        map[order.b] = 2;
        packed_shuffle_init(s, 3, order.bytes, map);
    }
#elif defined(__AVX2__)
    if (format < PK_PACKED_RGBA || format > PK_PACKED_ABGR)
        return;
    packed_order order = packed_order_of(format);
    int8_t map[4] = {-1, -1, -1, -1};
    if (to_rgb) {
        map[0] = order.r;
        map[1] = order.g;
        map[2] = order.b;
    } else {
        map[order.r] = 0;
        map[order.g] = 1;
        map[order.b] = 2;
    }
    packed_shuffle256_init(plan, to_rgb, map);
#else
    (void)plan;
    (void)format;
    (void)to_rgb;
#endif
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
typedef union {
    packed_shuffle shuffle;
    packed_565_plan rgb565;
} packed_plan_any;
#define PACKED_PLAN_TYPE packed_plan_any
#elif defined(__AVX2__)
#define PACKED_PLAN_TYPE packed_shuffle256
#else
#define PACKED_PLAN_TYPE char
#endif

static void row_packed_to_rgb(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride, size_t width,
                              size_t rows, int format)
{
    PACKED_PLAN_TYPE plan;
    memset(&plan, 0, sizeof plan);
    packed_plan(&plan, format, 1);
    for (size_t y = 0; y < rows; y++)
        packed_unpack_row(src + y * src_stride, dst + y * dst_stride, width, format, &plan);
}

static void row_rgb_to_packed(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride, size_t width,
                              size_t rows, int format)
{
    PACKED_PLAN_TYPE plan;
    memset(&plan, 0, sizeof plan);
    packed_plan(&plan, format, 0);
    for (size_t y = 0; y < rows; y++)
        packed_pack_row(src + y * src_stride, dst + y * dst_stride, width, format, &plan);
}

#undef PACKED_PLAN_TYPE
