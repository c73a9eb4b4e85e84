/* rows/point.h: per-sample loops (included by the isa_*.c files). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#if defined(__AVX2__) || defined(__AVX512BW__)
#include <immintrin.h>
#endif

/* No restrict on loops that may run in place (src == dst). */
static void row_invert(const uint8_t *src, uint8_t *dst, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)~src[i];
}

/*
 * The same with stores that bypass the cache, for outputs too large to stay
 * there (the caller decides): no read-for-ownership of each output line, a
 * third less memory traffic (36 MB inverted in 1.25 ms instead of 1.46).
 * The bytes stored are the same; without AVX2 these are the plain loops.
 * `invert == 0`: a copy (src and dst do not overlap).
 */
static void row_stream(const uint8_t *src, uint8_t *dst, size_t n, int invert)
{
#if defined(__AVX512BW__) || defined(__AVX2__)
#if defined(__AVX512BW__)
    enum { VECTOR = 64 };
#else
    enum { VECTOR = 32 };
#endif
    size_t head = (VECTOR - (uintptr_t)dst % VECTOR) % VECTOR;
    if (head > n)
        head = n;
    for (size_t i = 0; i < head; i++)
        dst[i] = invert ? (uint8_t)~src[i] : src[i];
    size_t i = head;
#if defined(__AVX512BW__)
    const __m512i flip = _mm512_set1_epi8(invert ? -1 : 0);
    for (; i + 64 <= n; i += 64) {
        PK_READ_AHEAD_LINE(src + i);
        _mm512_stream_si512((void *)(dst + i), _mm512_xor_si512(_mm512_loadu_si512((const void *)(src + i)), flip));
    }
#else
    const __m256i flip = _mm256_set1_epi8(invert ? -1 : 0);
    for (; i + 32 <= n; i += 32)
        _mm256_stream_si256((__m256i *)(void *)(dst + i),
                            _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(const void *)(src + i)), flip));
#endif
    /* Later plain stores (and other threads' reads after the pool's barrier) see these. */
    _mm_sfence();
    for (; i < n; i++)
        dst[i] = invert ? (uint8_t)~src[i] : src[i];
#else
    if (invert)
        row_invert(src, dst, n);
    else
        memcpy(dst, src, n);
#endif
}

#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
/* 64 lookups in a 256-byte table: two 128-entry permutes, picked by bit 7. */
static inline __m512i lut_lookup64(__m512i index, const __m512i table[4])
{
    __m512i low = _mm512_permutex2var_epi8(table[0], index, table[1]);
    __m512i high = _mm512_permutex2var_epi8(table[2], index, table[3]);
    return _mm512_mask_blend_epi8(_mm512_movepi8_mask(index), low, high);
}

static inline void lut_load(const uint8_t *lut, __m512i table[4])
{
    for (int i = 0; i < 4; i++)
        table[i] = _mm512_loadu_si512((const void *)(lut + 64 * i));
}
#endif

static void row_lut1(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *lut)
{
    size_t i = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    __m512i table[4];
    lut_load(lut, table);
    for (; i + 64 <= n; i += 64)
        _mm512_storeu_si512((void *)(dst + i), lut_lookup64(_mm512_loadu_si512((const void *)(src + i)), table));
#endif
    for (; i < n; i++)
        dst[i] = lut[src[i]];
}

/* lut holds three tables of 256 (r, g, b); byte i of a row is channel i % 3. */
static void row_lut3(const uint8_t *src, uint8_t *dst, size_t width, const uint8_t *lut)
{
    size_t n = width * 3, i = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    __m512i tables[3][4];
    __mmask64 channel_mask[3][3]; /* [phase of the block][channel] */
    for (int c = 0; c < 3; c++)
        lut_load(lut + 256 * c, tables[c]);
    for (int phase = 0; phase < 3; phase++) {
        for (int c = 0; c < 3; c++) {
            __mmask64 mask = 0;
            for (int j = 0; j < 64; j++)
                if ((phase + j) % 3 == c)
                    mask |= (__mmask64)1 << j;
            channel_mask[phase][c] = mask;
        }
    }
    for (; i + 64 <= n; i += 64) {
        __m512i index = _mm512_loadu_si512((const void *)(src + i));
        int phase = (int)(i % 3);
        __m512i out = lut_lookup64(index, tables[0]);
        out = _mm512_mask_blend_epi8(channel_mask[phase][1], out, lut_lookup64(index, tables[1]));
        out = _mm512_mask_blend_epi8(channel_mask[phase][2], out, lut_lookup64(index, tables[2]));
        _mm512_storeu_si512((void *)(dst + i), out);
    }
#endif
    for (; i < n; i++)
        dst[i] = lut[256 * (i % 3) + src[i]];
}

#if defined(__AVX2__) && !(defined(__AVX512VBMI__) && defined(__AVX512BW__))
/*
 * row_swap_rb 32 bytes at a time; returns 0 (nothing written) for rows too
 * short.  Output byte p is source byte p + 2 - 2 * (p % 3): a 16-byte lane
 * of output from q takes its bytes 0-7 from the source from q - 2 and bytes
 * 8-15 from the source from q + 2, and one 32-byte load of each covers both
 * lanes.  Each step loads the next step's source before it stores, and the
 * source bytes the last stores overwrite are kept first, so src == dst works
 * (and no load waits on a store it partly overlaps).  With `stream` the
 * stores bypass the cache, from a 32-byte boundary of dst.
 */
static int swap_rb_avx2(const uint8_t *src, uint8_t *dst, size_t width, int stream)
{
    size_t n = 3 * width, p = 3; /* the first pixel (or more) is swapped on its own */
    while (stream && (uintptr_t)(dst + p) % 32 != 0)
        p += 3;
    if (p + 34 > n)
        return 0;
    __m256i below[3], above[3]; /* by p % 3 */
    for (int phase = 0; phase < 3; phase++) {
        uint8_t from_below[32], from_above[32];
        for (int j = 0; j < 32; j++) {
            int lane_byte = j % 16, shift = 2 - 2 * ((phase + j) % 3);
            from_below[j] = lane_byte < 8 ? (uint8_t)(lane_byte + shift + 2) : 0x80;
            from_above[j] = lane_byte < 8 ? 0x80 : (uint8_t)(lane_byte + shift - 2);
        }
        below[phase] = _mm256_loadu_si256((const __m256i *)(const void *)from_below);
        above[phase] = _mm256_loadu_si256((const __m256i *)(const void *)from_above);
    }
    __m256i low = _mm256_loadu_si256((const __m256i *)(const void *)(src + p - 2));
    __m256i high = _mm256_loadu_si256((const __m256i *)(const void *)(src + p + 2));
    for (size_t x = 0; x < p / 3; x++) {
        uint8_t r = src[3 * x];
        dst[3 * x] = src[3 * x + 2];
        dst[3 * x + 1] = src[3 * x + 1];
        dst[3 * x + 2] = r;
    }
    uint8_t rest[40]; /* the source from 2 bytes before the last store's end to the row's end */
    int phase = (int)(p % 3);
    /* Three steps at a time, their indices in registers (the phases repeat every 96 bytes). */
    const __m256i below0 = below[phase], above0 = above[phase];
    const __m256i below1 = below[(phase + 2) % 3], above1 = above[(phase + 2) % 3];
    const __m256i below2 = below[(phase + 1) % 3], above2 = above[(phase + 1) % 3];
#define SWAP_RB_STEP(b, a, at)                                                                                     \
    do {                                                                                                           \
        __m256i v = _mm256_or_si256(_mm256_shuffle_epi8(low, b), _mm256_shuffle_epi8(high, a));                    \
        low = _mm256_loadu_si256((const __m256i *)(const void *)(src + (at) + 30));                                \
        high = _mm256_loadu_si256((const __m256i *)(const void *)(src + (at) + 34));                               \
        if (stream)                                                                                                \
            _mm256_stream_si256((__m256i *)(void *)(dst + (at)), v);                                               \
        else                                                                                                       \
            _mm256_storeu_si256((__m256i *)(void *)(dst + (at)), v);                                               \
    } while (0)
    for (; p + 96 + 34 <= n; p += 96) {
        PK_READ_AHEAD_LINE(src + p);
        PK_READ_AHEAD_LINE(src + p + 64);
        SWAP_RB_STEP(below0, above0, p);
        SWAP_RB_STEP(below1, above1, p + 32);
        SWAP_RB_STEP(below2, above2, p + 64);
    }
#undef SWAP_RB_STEP
    for (int more = 1; more;) {
        __m256i v = _mm256_or_si256(_mm256_shuffle_epi8(low, below[phase]), _mm256_shuffle_epi8(high, above[phase]));
        size_t next = p + 32;
        more = next + 34 <= n;
        if (more) {
            PK_READ_AHEAD_LINE(src + next);
            low = _mm256_loadu_si256((const __m256i *)(const void *)(src + next - 2));
            high = _mm256_loadu_si256((const __m256i *)(const void *)(src + next + 2));
        } else {
            memcpy(rest, src + next - 2, n - (next - 2));
        }
        if (stream)
            _mm256_stream_si256((__m256i *)(void *)(dst + p), v);
        else
            _mm256_storeu_si256((__m256i *)(void *)(dst + p), v);
        p = next;
        phase = phase == 0 ? 2 : phase - 1; /* p grows by 32, 2 more than a multiple of 3 */
    }
    if (stream)
        _mm_sfence();
    for (size_t q = p; q < n; q++)
        dst[q] = rest[q + 2 - 2 * (q % 3) - (p - 2)];
    return 1;
}
#endif

static void row_swap_rb(const uint8_t *src, uint8_t *dst, size_t width)
{
    size_t x = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    /* 21 pixels (63 bytes) per step, one byte permute.  Full 64-byte loads
     * and stores (masked stores are slow on some CPUs): byte 64 is the next
     * block's first byte, stored back unchanged, so src == dst works too. */
    uint8_t order[64];
    for (int j = 0; j < 63; j++)
        order[j] = (uint8_t)(3 * (j / 3) + 2 - j % 3);
    order[63] = 63;
    const __m512i index = _mm512_loadu_si512((const void *)order);
    for (; x + 22 <= width; x += 21) {
        __m512i v = _mm512_loadu_si512((const void *)(src + 3 * x));
        _mm512_storeu_si512((void *)(dst + 3 * x), _mm512_permutexvar_epi8(index, v));
    }
#elif defined(__AVX2__)
    if (swap_rb_avx2(src, dst, width, 0))
        return;
#endif
    for (; x < width; x++) {
        uint8_t r = src[3 * x], g = src[3 * x + 1], b = src[3 * x + 2];
        dst[3 * x] = b;
        dst[3 * x + 1] = g;
        dst[3 * x + 2] = r;
    }
}

/*
 * row_swap_rb for large outputs apart from src (the caller decides): whole
 * 64-byte lines stored past the cache, as row_stream does for invert.  Output
 * byte p is source byte p + 2 - 2 * (p % 3); the 64 bytes from p come from
 * the 128 source bytes from p - 32, so each store is one two-source permute,
 * its index one of three (p % 3 cycles as p steps by 64).
 */
static void row_swap_rb_stream(const uint8_t *src, uint8_t *dst, size_t width)
{
    size_t n = 3 * width, p = 0;
#if defined(__AVX512VBMI__) && defined(__AVX512BW__)
    size_t first = (64 - (uintptr_t)dst % 64) % 64;
    if (first < 32)
        first += 64; /* the first window starts 32 bytes before its output */
    if (first + 96 <= n) {
        for (; p < first; p++)
            dst[p] = src[p + 2 - 2 * (p % 3)];
        __m512i index[3];
        for (int phase = 0; phase < 3; phase++) {
            uint8_t order[64];
            for (int j = 0; j < 64; j++)
                order[j] = (uint8_t)(32 + j + 2 - 2 * ((phase + j) % 3));
            index[phase] = _mm512_loadu_si512((const void *)order);
        }
        int phase = (int)(p % 3);
        for (; p + 96 <= n; p += 64) {
            PK_READ_AHEAD_LINE(src + p);
            __m512i low = _mm512_loadu_si512((const void *)(src + p - 32));
            __m512i high = _mm512_loadu_si512((const void *)(src + p + 32));
            _mm512_stream_si512((void *)(dst + p), _mm512_permutex2var_epi8(low, index[phase], high));
            phase = phase == 2 ? 0 : phase + 1;
        }
        /* Later plain stores (and other threads' reads after the pool's barrier) see these. */
        _mm_sfence();
    }
#elif defined(__AVX2__)
    if (swap_rb_avx2(src, dst, width, 1))
        return;
    row_swap_rb(src, dst, width);
    return;
#else
    row_swap_rb(src, dst, width);
    return;
#endif
    for (; p < n; p++)
        dst[p] = src[p + 2 - 2 * (p % 3)];
}

static void row_blend(const uint8_t *a, const uint8_t *b, uint8_t *dst, size_t n, uint32_t weight_b)
{
    uint32_t weight_a = 32768u - weight_b;
#if defined(__AVX2__)
    /* a wa + b wb = (a - b) wa + 32768 b, so (a wa + b wb + 16384) >> 15 is exactly
     * b + (((a - b) wa + 16384) >> 15): vpmulhrsw's rounding, for a weight below 32768.
     * When wa is 32768, the same with a and b exchanged (and the weight wb = 0). */
    const uint8_t *base = weight_a < 32768u ? b : a, *toward = weight_a < 32768u ? a : b;
    const __m256i weight = _mm256_set1_epi16((short)(weight_a < 32768u ? weight_a : weight_b));
#endif
    /* In pieces of 256 bytes, each asking for both sources' lines PK_READ_AHEAD on. */
    for (size_t i0 = 0; i0 < n; i0 += 256) {
        size_t i1 = n - i0 < 256 ? n : i0 + 256;
        for (size_t line = i0; line < i1; line += 64) {
            PK_READ_AHEAD_LINE(a + line);
            PK_READ_AHEAD_LINE(b + line);
        }
        size_t i = i0;
#if defined(__AVX2__)
        for (; i + 32 <= i1; i += 32) {
            __m256i from = _mm256_loadu_si256((const __m256i *)(const void *)(base + i));
            __m256i to = _mm256_loadu_si256((const __m256i *)(const void *)(toward + i));
            __m256i halves[2];
            for (int h = 0; h < 2; h++) {
                __m256i f = _mm256_cvtepu8_epi16(h ? _mm256_extracti128_si256(from, 1) : _mm256_castsi256_si128(from));
                __m256i t = _mm256_cvtepu8_epi16(h ? _mm256_extracti128_si256(to, 1) : _mm256_castsi256_si128(to));
                halves[h] = _mm256_add_epi16(f, _mm256_mulhrs_epi16(_mm256_sub_epi16(t, f), weight));
            }
            /* packus works within lanes: bytes 0-7 16-23 | 8-15 24-31, put back in order. */
            __m256i packed = _mm256_packus_epi16(halves[0], halves[1]);
            _mm256_storeu_si256((__m256i *)(void *)(dst + i), _mm256_permute4x64_epi64(packed, _MM_SHUFFLE(3, 1, 2, 0)));
        }
#endif
        for (; i < i1; i++)
            dst[i] = (uint8_t)((a[i] * weight_a + b[i] * weight_b + 16384u) >> 15);
    }
}
