/* rows/geometry.h: loops of the geometric operations. */
#include <stddef.h>
#include <stdint.h>

/* dst pixel x = src pixel width - 1 - x; src and dst are distinct rows. */
static void row_flip(const uint8_t *restrict src, uint8_t *restrict dst, size_t width)
{
    const uint8_t *last = src + 3 * (width - 1);
    for (size_t x = 0; x < width; x++) {
        dst[3 * x] = last[-3 * (ptrdiff_t)x];
        dst[3 * x + 1] = last[-3 * (ptrdiff_t)x + 1];
        dst[3 * x + 2] = last[-3 * (ptrdiff_t)x + 2];
    }
}

/* Four interleaved tables, so that runs of equal values do not serialise
 * on one counter. */
static void row_histogram(const uint8_t *restrict src, size_t width, uint32_t *restrict counts4)
{
    size_t x = 0;
    for (; x + 4 <= width; x += 4) {
        for (size_t k = 0; k < 4; k++) {
            const uint8_t *p = src + 3 * (x + k);
            uint32_t *table = counts4 + 768 * k;
            table[p[0]]++;
            table[256 + p[1]]++;
            table[512 + p[2]]++;
        }
    }
    for (; x < width; x++) {
        const uint8_t *p = src + 3 * x;
        counts4[p[0]]++;
        counts4[256 + p[1]]++;
        counts4[512 + p[2]]++;
    }
}
