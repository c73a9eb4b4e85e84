/* rows/filter.h: loops of the box and gaussian blurs. */
#include <stddef.h>
#include <stdint.h>

/* dst[i] = sum of the 2 * radius + 1 samples of the same channel centred on
 * i, from a row padded with radius pixels on each side. */
static void row_box_h(const uint8_t *restrict padded, uint32_t *restrict dst, size_t width, size_t radius)
{
    size_t n = 3 * width, taps = 2 * radius + 1;
    if (radius == 1) {
        for (size_t i = 0; i < n; i++)
            dst[i] = (uint32_t)padded[i] + padded[i + 3] + padded[i + 6];
        return;
    }
    if (radius <= 8) {
        for (size_t i = 0; i < n; i++)
            dst[i] = padded[i];
        for (size_t k = 1; k < taps; k++) {
            const uint8_t *restrict p = padded + 3 * k;
            for (size_t i = 0; i < n; i++)
                dst[i] += p[i];
        }
        return;
    }
    for (size_t c = 0; c < 3; c++) {
        uint32_t sum = 0;
        for (size_t k = 0; k < taps; k++)
            sum += padded[c + 3 * k];
        dst[c] = sum;
    }
    for (size_t i = 3; i < n; i++)
        dst[i] = dst[i - 3] + padded[i - 3 + 3 * taps] - padded[i - 3];
}

static void row_add_u32(uint32_t *restrict acc, const uint32_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += src[i];
}

static void row_sub_u32(uint32_t *restrict acc, const uint32_t *restrict src, size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] -= src[i];
}

/* round(sum / area) = floor((2 sum + area) / (2 area)), by multiplying with
 * magic = ceil(2^32 / (2 area)); exact while 2 sum + area < 2^17. */
static void row_box_div(const uint32_t *restrict sum, uint8_t *restrict dst, size_t n, uint32_t area,
                        uint32_t magic)
{
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint8_t)(((uint64_t)(2u * sum[i] + area) * magic) >> 32);
}

/* The same for large areas, in double precision. */
static void row_box_div_large(const uint32_t *restrict sum, uint8_t *restrict dst, size_t n, uint32_t area)
{
    const double inverse = 1.0 / (2.0 * (double)area);
    for (size_t i = 0; i < n; i++) {
        double q = (2.0 * (double)sum[i] + (double)area) * inverse + 1e-9;
        dst[i] = (uint8_t)(q >= 255.0 ? 255 : (uint32_t)q);
    }
}

/* Horizontal gaussian: taps in Q8 (sum 256), result in Q8.  The kernel is
 * symmetric, so mirrored samples are added before one multiply.  16 bits
 * suffice: a paired tap is at most 128 (two of them fit in 256), so each
 * term is at most 510 * 128, and the sum never exceeds 255 * 256. */
static void row_gauss_h(const uint8_t *restrict padded, uint16_t *restrict dst, size_t width,
                        const uint16_t *restrict taps, size_t radius)
{
    size_t n = 3 * width;
    const uint8_t *restrict centre = padded + 3 * radius;
    uint16_t middle = taps[radius];
    for (size_t i = 0; i < n; i++)
        dst[i] = (uint16_t)(middle * centre[i]);
    for (size_t k = 0; k < radius; k++) {
        const uint8_t *restrict left = padded + 3 * k, *restrict right = padded + 3 * (2 * radius - k);
        uint16_t tap = taps[k];
        for (size_t i = 0; i < n; i++)
            dst[i] = (uint16_t)(dst[i] + tap * (uint16_t)(left[i] + right[i]));
    }
}

/* acc[i] += tap * row[i]: restrict parameters let the compiler vectorise
 * without run-time alias checks. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gauss_mac(uint32_t *restrict acc, const uint16_t *restrict row, size_t n, uint32_t tap)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += tap * row[i];
}

/* acc[i] += tap * (a[i] + b[i]): two mirrored rows, one multiply. */
#if defined(__GNUC__)
__attribute__((noinline))
#endif
static void gauss_mac2(uint32_t *restrict acc, const uint16_t *restrict a, const uint16_t *restrict b, size_t n,
                       uint32_t tap)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += tap * ((uint32_t)a[i] + b[i]);
}

/* Vertical gaussian over 2 * radius + 1 rows of Q8 samples: Q16 sum, rounded. */
static void row_gauss_v(const uint16_t *const *rows, uint8_t *restrict dst, size_t n,
                        const uint16_t *restrict taps, size_t radius)
{
    enum { CHUNK = 512 };
    uint32_t acc[CHUNK];
    for (size_t begin = 0; begin < n; begin += CHUNK) {
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

/* The window moves down one row: acc[i] += entering[i] - leaving[i]. */
static void row_slide_u8(uint16_t *restrict acc, const uint8_t *restrict entering, const uint8_t *restrict leaving,
                         size_t n)
{
    for (size_t i = 0; i < n; i++)
        acc[i] = (uint16_t)(acc[i] + entering[i] - leaving[i]);
}

/* Small boxes: horizontal sum of 2 radius + 1 column sums (padded row) and
 * the rounded division, round(s / area) = ((2 s + area) * magic) >> 24 with
 * magic = ceil(2^24 / (2 area)), exact for area <= 121. */
static void row_box_h16(const uint16_t *restrict padded, uint8_t *restrict dst, size_t width, size_t radius,
                        uint32_t area, uint32_t magic)
{
    size_t n = 3 * width;
    if (radius == 1) {
        for (size_t i = 0; i < n; i++) {
            uint32_t sum = (uint32_t)padded[i] + padded[i + 3] + padded[i + 6];
            dst[i] = (uint8_t)(((2 * sum + area) * magic) >> 24);
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        uint32_t sum = 0;
        for (size_t k = 0; k <= 2 * radius; k++)
            sum += padded[i + 3 * k];
        dst[i] = (uint8_t)(((2 * sum + area) * magic) >> 24);
    }
}
