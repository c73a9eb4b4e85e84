/* rows/convert.h: colour conversion loops. */
#include <stddef.h>
#include <stdint.h>

static void row_gray(const uint8_t *restrict src, uint8_t *restrict dst, size_t width)
{
    for (size_t x = 0; x < width; x++) {
        /* The weights sum to 65536, so the result always fits a byte. */
        uint32_t luma = 19595u * src[3 * x] + 38470u * src[3 * x + 1] + 7471u * src[3 * x + 2] + 0x8000u;
        dst[x] = (uint8_t)(luma >> 16);
    }
}

static void row_tensor_chw(const uint8_t *restrict src, size_t width, float *restrict r,
                           float *restrict g, float *restrict b, const float *scale, const float *bias)
{
    const float s0 = scale[0], s1 = scale[1], s2 = scale[2];
    const float b0 = bias[0], b1 = bias[1], b2 = bias[2];
    for (size_t x = 0; x < width; x++) {
        r[x] = (float)src[3 * x] * s0 + b0;
        g[x] = (float)src[3 * x + 1] * s1 + b1;
        b[x] = (float)src[3 * x + 2] * s2 + b2;
    }
}

static void row_tensor_hwc(const uint8_t *restrict src, size_t width, float *restrict dst,
                           const float *scale, const float *bias)
{
    const float s0 = scale[0], s1 = scale[1], s2 = scale[2];
    const float b0 = bias[0], b1 = bias[1], b2 = bias[2];
    for (size_t x = 0; x < width; x++) {
        dst[3 * x] = (float)src[3 * x] * s0 + b0;
        dst[3 * x + 1] = (float)src[3 * x + 1] * s1 + b1;
        dst[3 * x + 2] = (float)src[3 * x + 2] * s2 + b2;
    }
}
