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
    int32_t m[9]; /* Q10 */
} sepia_job;

static inline uint8_t clamp255(int32_t v)
{
    return (uint8_t)(v > 255 ? 255 : v);
}

static void sepia_row(const uint8_t *restrict in, uint8_t *restrict out, size_t width, const int32_t *m)
{
    const int32_t m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5], m6 = m[6], m7 = m[7], m8 = m[8];
    for (size_t x = 0; x < width; x++) {
        int32_t r = in[3 * x], g = in[3 * x + 1], b = in[3 * x + 2];
        out[3 * x] = clamp255((m0 * r + m1 * g + m2 * b + 512) >> 10);
        out[3 * x + 1] = clamp255((m3 * r + m4 * g + m5 * b + 512) >> 10);
        out[3 * x + 2] = clamp255((m6 * r + m7 * g + m8 * b + 512) >> 10);
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
            job.m[3 * i + j] = (int32_t)lroundf(1024.0f * (amount * SEPIA[i][j] + (i == j ? 1.0f - amount : 0.0f)));
    return pk_parallel_rows(src->height, 6 * src->width, sepia_rows, &job);
}
