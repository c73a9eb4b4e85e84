/* sepia.c: a colour matrix as a plain per-pixel loop (the builder vectorises it for each CPU),
 * rows split over pixelkit's threads. */
#include "sepiakit.h"

#include <math.h>

static const float SEPIA[3][3] = {
    {0.393f, 0.769f, 0.189f},
    {0.349f, 0.686f, 0.168f},
    {0.272f, 0.534f, 0.131f},
};

typedef struct {
    const pk_image *src, *dst;
    uint16_t m[9]; /* Q7 */
} sepia_job;

/* (a + b + c + 64) >> 7, clamped: 16 bits suffice (each weight is at most 128,
 * a row of weights sums to at most 173, so the sum stays below 2^16), which
 * lets the compiler work on 32 samples per AVX-512 register. */
static inline uint8_t mix(uint16_t a, uint16_t b, uint16_t c)
{
    uint16_t v = (uint16_t)((uint16_t)(a + b + c + 64) >> 7);
    return (uint8_t)(v > 255 ? 255 : v);
}

static void sepia_row(const uint8_t *restrict in, uint8_t *restrict out, size_t width, const uint16_t *m)
{
    const uint16_t m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7], m8 = m[8];
    for (size_t x = 0; x < width; x++) {
        uint16_t r = in[3 * x], g = in[3 * x + 1], b = in[3 * x + 2];
        out[3 * x] = mix((uint16_t)(m0 * r), (uint16_t)(m1 * g), (uint16_t)(m2 * b));
        out[3 * x + 1] = mix((uint16_t)(m3 * r), (uint16_t)(m4 * g), (uint16_t)(m5 * b));
        out[3 * x + 2] = mix((uint16_t)(m6 * r), (uint16_t)(m7 * g), (uint16_t)(m8 * b));
    }
}

static pk_status sepia_rows(void *context, size_t begin, size_t end)
{
    const sepia_job *job = (const sepia_job *)context;
    for (size_t y = begin; y < end; y++)
        sepia_row((const uint8_t *)job->src->pixels + y * job->src->stride,
                  (uint8_t *)job->dst->pixels + y * job->dst->stride, job->src->width, job->m);
    return PK_OK;
}

pk_status sepia(const pk_image *src, float amount, const pk_image *dst)
{
    pk_status status = pk_image_validate(src);
    if (status == PK_OK)
        status = pk_image_validate(dst);
    if (status != PK_OK)
        return status;
    if (!(amount >= 0.0f && amount <= 1.0f))
        return PK_ERR_ARGUMENT;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    if (!dst->writable)
        return PK_ERR_READONLY;
    /* Each pixel is read before it is written, so dst may be src itself. */
    sepia_job job = {src, dst, {0}};
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
            job.m[3 * i + j] = (uint16_t)lroundf(128.0f * (amount * SEPIA[i][j] + (i == j ? 1.0f - amount : 0.0f)));
    return pk_parallel_rows(src->height, 6 * src->width, sepia_rows, &job);
}
