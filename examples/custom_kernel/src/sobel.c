/* sobel.c: a neighbourhood kernel whose rows are split over pixelkit's thread pool. */
#include "sepiakit.h"

#include <math.h>
#include <stdlib.h>

typedef struct {
    const pk_image *src;
    const pk_plane *dst;
} sobel_job;

static size_t reflect101(long i, size_t n)
{
    if (n == 1)
        return 0;
    if (i < 0)
        return (size_t)-i;
    if ((size_t)i >= n)
        return 2 * n - 2 - (size_t)i;
    return (size_t)i;
}

/* BT.601 luma of row y into grey[1 .. width], with the reflected neighbours in grey[0] and grey[width + 1]. */
static void grey_row(const pk_image *src, size_t y, int32_t *restrict grey)
{
    const uint8_t *restrict row = (const uint8_t *)src->pixels + y * src->stride;
    size_t w = src->width;
    for (size_t x = 0; x < w; x++)
        grey[x + 1] = (int32_t)((19595u * row[3 * x] + 38470u * row[3 * x + 1] + 7471u * row[3 * x + 2] + 0x8000u) >> 16);
    grey[0] = grey[1 + reflect101(-1, w)];
    grey[w + 1] = grey[1 + reflect101((long)w, w)];
}

/* One output row from the grey rows above, at and below it. */
static void sobel_row(const int32_t *restrict above, const int32_t *restrict middle, const int32_t *restrict below,
                      uint8_t *restrict out, size_t width)
{
    for (size_t x = 0; x < width; x++) {
        int32_t gx = (above[x + 2] - above[x]) + 2 * (middle[x + 2] - middle[x]) + (below[x + 2] - below[x]);
        int32_t gy = (below[x] + 2 * below[x + 1] + below[x + 2]) - (above[x] + 2 * above[x + 1] + above[x + 2]);
        int32_t v = (int32_t)(sqrtf((float)(gx * gx + gy * gy)) + 0.5f);
        out[x] = (uint8_t)(v > 255 ? 255 : v);
    }
}

static pk_status sobel_rows(void *context, size_t begin, size_t end)
{
    const sobel_job *job = (const sobel_job *)context;
    size_t w = job->src->width, h = job->src->height;
    /* Three grey rows that take turns: each source row is converted once per band. */
    int32_t *ring = (int32_t *)malloc(3 * (w + 2) * sizeof(int32_t));
    if (ring == NULL)
        return PK_ERR_NO_MEMORY;
    int32_t *rows[3] = {ring, ring + (w + 2), ring + 2 * (w + 2)};
    grey_row(job->src, reflect101((long)begin - 1, h), rows[0]);
    grey_row(job->src, begin, rows[1]);
    for (size_t y = begin; y < end; y++) {
        grey_row(job->src, reflect101((long)y + 1, h), rows[2]);
        sobel_row(rows[0], rows[1], rows[2], job->dst->data + y * job->dst->stride, w);
        int32_t *oldest = rows[0];
        rows[0] = rows[1];
        rows[1] = rows[2];
        rows[2] = oldest;
    }
    free(ring);
    return PK_OK;
}

pk_status sobel(const pk_image *src, const pk_plane *dst)
{
    pk_status status = pk_image_validate(src);
    if (status != PK_OK)
        return status;
    if (dst == NULL)
        return PK_ERR_NULL;
    if (dst->width != src->width || dst->height != src->height)
        return PK_ERR_SHAPE;
    if (!dst->writable)
        return PK_ERR_READONLY;
    sobel_job job = {src, dst};
    /* A row of input and one of output per row of work. */
    return pk_parallel_rows(src->height, 4 * src->width, sobel_rows, &job);
}
