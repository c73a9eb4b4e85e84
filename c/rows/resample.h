/* rows/resample.h: loops of resize. */
#include <stddef.h>
#include <stdint.h>

/*
 * Horizontal linear pass: for output pixel x, xofs[2x] and xofs[2x + 1]
 * are the byte offsets of the two source pixels and alpha[2x], alpha[2x + 1]
 * their weights (sum ~2048).
 */
static void row_resize_h_linear(const uint8_t *restrict src, int32_t *restrict dst, size_t dst_width,
                                const int32_t *restrict xofs, const int16_t *restrict alpha)
{
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p0 = src + xofs[2 * x], *p1 = src + xofs[2 * x + 1];
        int32_t a0 = alpha[2 * x], a1 = alpha[2 * x + 1];
        dst[3 * x] = p0[0] * a0 + p1[0] * a1;
        dst[3 * x + 1] = p0[1] * a0 + p1[1] * a1;
        dst[3 * x + 2] = p0[2] * a0 + p1[2] * a1;
    }
}

static void row_resize_v_linear(const int32_t *restrict row0, const int32_t *restrict row1,
                                uint8_t *restrict dst, size_t n, int32_t beta0, int32_t beta1)
{
    for (size_t i = 0; i < n; i++) {
        int32_t v = (row0[i] * beta0 + row1[i] * beta1 + (1 << 21)) >> 22;
        dst[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
}

/* Horizontal area pass: output x sums `count[x]` source pixels from start[x]
 * with weights[x * taps + k]. */
static void row_resize_area_h(const uint8_t *restrict src, float *restrict dst, size_t dst_width,
                              const int32_t *restrict start, const int32_t *restrict count,
                              const float *restrict weights, size_t taps)
{
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p = src + 3 * (size_t)start[x];
        const float *w = weights + x * taps;
        float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f;
        for (int32_t k = 0; k < count[x]; k++) {
            s0 += (float)p[3 * k] * w[k];
            s1 += (float)p[3 * k + 1] * w[k];
            s2 += (float)p[3 * k + 2] * w[k];
        }
        dst[3 * x] = s0;
        dst[3 * x + 1] = s1;
        dst[3 * x + 2] = s2;
    }
}

static void row_axpy_f32(const float *restrict src, float *restrict acc, size_t n, float weight)
{
    for (size_t i = 0; i < n; i++)
        acc[i] += src[i] * weight;
}

static void row_round_f32(const float *restrict src, uint8_t *restrict dst, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float v = src[i] + 0.5f;
        dst[i] = (uint8_t)(v <= 0.0f ? 0 : v >= 255.0f ? 255 : (int32_t)v);
    }
}

/* Integer-factor area: sums of `factor` adjacent pixels, per channel. */
static void row_area_sum_h(const uint8_t *restrict src, uint32_t *restrict dst, size_t dst_width, size_t factor)
{
    if (factor == 2) {
        for (size_t x = 0; x < dst_width; x++)
            for (size_t c = 0; c < 3; c++)
                dst[3 * x + c] = (uint32_t)src[6 * x + c] + src[6 * x + 3 + c];
        return;
    }
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p = src + 3 * factor * x;
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

/* Nearest neighbour: output pixel x is the source pixel at byte offset xofs[x]. */
static void row_nearest(const uint8_t *restrict src, uint8_t *restrict dst, size_t dst_width,
                        const int32_t *restrict xofs)
{
    for (size_t x = 0; x < dst_width; x++) {
        const uint8_t *p = src + xofs[x];
        dst[3 * x] = p[0];
        dst[3 * x + 1] = p[1];
        dst[3 * x + 2] = p[2];
    }
}
