/*
 * bayer.c: demosaicing of Bayer mosaics (8-bit, and 16-bit rounded to 8 bits at the end).
 */
#include "internal.h"
#include "kernels.h"

#include <stdatomic.h>

typedef struct {
    const pk_kernels *kernels;
    const uint8_t *src;
    size_t src_stride;
    const pk_image *dst;
    int even_red;   /* the non-green samples of even rows are red */
    int even_green; /* even rows start with a green sample */
    int edge_aware;
} pk_bayer_job;

static void pk_bayer_band(void *context, size_t begin, size_t end)
{
    const pk_bayer_job *job = context;
    size_t width = job->dst->width, height = job->dst->height;
    for (size_t y = begin; y < end; y++) {
        /* The first and last rows repeat their inner neighbours. */
        size_t row = y == 0 ? 1 : y == height - 1 ? height - 2 : y;
        const uint8_t *mid = job->src + row * job->src_stride;
        int odd = (int)(row & 1);
        job->kernels->demosaic(mid - job->src_stride, mid, mid + job->src_stride,
                               (uint8_t *)job->dst->pixels + y * job->dst->stride, width, job->even_red ^ odd,
                               job->even_green ^ odd, job->edge_aware);
    }
}

/* Checks what both entry points share: pattern, method and dst (of the mosaic's size). */
static pk_status pk_bayer_check(size_t width, size_t height, int pattern, int method, const pk_image *dst)
{
    pk_status status;

    if ((status = pk_image_validate(dst)) != PK_OK)
        return status;
    if (pattern < PK_BAYER_RGGB || pattern > PK_BAYER_GBRG || method < PK_DEMOSAIC_BILINEAR
        || method > PK_DEMOSAIC_EDGE_AWARE)
        return PK_ERR_ARGUMENT;
    if (width < 3 || height < 3)
        return PK_ERR_SIZE;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (dst->width != width || dst->height != height)
        return PK_ERR_SHAPE;
    return PK_OK;
}

static void pk_bayer_run(const uint8_t *src, size_t stride, int pattern, int method, const pk_image *dst)
{
    pk_bayer_job job = {
        .kernels = pk_kernels_active(),
        .src = src,
        .src_stride = stride,
        .dst = dst,
        .even_red = pattern == PK_BAYER_RGGB || pattern == PK_BAYER_GRBG,
        .even_green = pattern == PK_BAYER_GRBG || pattern == PK_BAYER_GBRG,
        .edge_aware = method == PK_DEMOSAIC_EDGE_AWARE,
    };
    /* Bands cost nothing to start: four per thread, so that a thread the system runs late leaves
     * its share to the others. */
    pk_parallel_for_bands(dst->height, 4 * dst->width * dst->height, SIZE_MAX, 4, pk_bayer_band, &job);
}

pk_status pk_demosaic(const pk_plane *src, int pattern, int method, const pk_image *dst)
{
    pk_status status;

    if ((status = pk_plane_validate(src)) != PK_OK)
        return status;
    if ((status = pk_bayer_check(src->width, src->height, pattern, method, dst)) != PK_OK)
        return status;
    if (pk_regions_overlap(src->data, src->width, src->height, src->stride, dst->pixels, 3 * dst->width,
                           dst->height, dst->stride))
        return PK_ERR_OVERLAP;
    pk_bayer_run(src->data, src->stride, pattern, method, dst);
    return PK_OK;
}

/* ---- 16-bit mosaics ---------------------------------------------------- */

typedef struct {
    const pk_kernels *kernels;
    const uint8_t *src;
    size_t stride;
    size_t width;
    const pk_image *dst;
    unsigned bits, maxval;
    int even_red, even_green, edge_aware;
    atomic_size_t bad; /* the smallest index of a sample above maxval (SIZE_MAX: none) */
} pk_bayer16_job;

static const uint16_t *pk_row16(const pk_bayer16_job *job, size_t y)
{
    return (const uint16_t *)(const void *)(job->src + y * job->stride);
}

/* Finds the first sample above maxval in rows [begin, end). */
static void pk_bayer16_check_band(void *context, size_t begin, size_t end)
{
    pk_bayer16_job *job = context;
    size_t width = job->width;
    for (size_t y = begin; y < end; y++) {
        const uint16_t *in = pk_row16(job, y);
        unsigned over = 0;
        for (size_t x = 0; x < width; x++)
            over |= in[x] > job->maxval;
        if (over) {
            size_t x = 0;
            while (in[x] <= job->maxval)
                x++;
            size_t index = y * width + x, seen = atomic_load(&job->bad);
            while (index < seen && !atomic_compare_exchange_weak(&job->bad, &seen, index)) {
            }
            return;
        }
    }
}

static void pk_bayer16_band(void *context, size_t begin, size_t end)
{
    const pk_bayer16_job *job = context;
    size_t width = job->dst->width, height = job->dst->height;
    for (size_t y = begin; y < end; y++) {
        size_t row = y == 0 ? 1 : y == height - 1 ? height - 2 : y;
        int odd = (int)(row & 1);
        job->kernels->demosaic_u16(pk_row16(job, row - 1), pk_row16(job, row), pk_row16(job, row + 1),
                                   (uint8_t *)job->dst->pixels + y * job->dst->stride, width,
                                   job->even_red ^ odd, job->even_green ^ odd, job->edge_aware, job->bits);
    }
}

pk_status pk_demosaic_u16(const uint16_t *src, size_t width, size_t height, size_t stride, unsigned bits,
                          int pattern, int method, const pk_image *dst, size_t *bad_index)
{
    pk_status status;
    size_t span, total;

    if ((status = pk_check_layout(src, width, height, stride, 2, &span)) != PK_OK)
        return status;
    if ((uintptr_t)src % 2 != 0 || stride % 2 != 0 || bits < 9 || bits > 16)
        return PK_ERR_ARGUMENT;
    if ((status = pk_bayer_check(width, height, pattern, method, dst)) != PK_OK)
        return status;
    if (pk_regions_overlap(src, 2 * width, height, stride, dst->pixels, 3 * dst->width, dst->height, dst->stride))
        return PK_ERR_OVERLAP;
    if (!pk_mul_size(width, height, &total))
        return PK_ERR_OVERFLOW;
    unsigned maxval = (1u << bits) - 1;
    pk_bayer16_job job = {
        .kernels = pk_kernels_active(),
        .src = (const uint8_t *)src,
        .stride = stride,
        .width = width,
        .dst = dst,
        .bits = bits,
        .maxval = maxval,
        .even_red = pattern == PK_BAYER_RGGB || pattern == PK_BAYER_GRBG,
        .even_green = pattern == PK_BAYER_GRBG || pattern == PK_BAYER_GBRG,
        .edge_aware = method == PK_DEMOSAIC_EDGE_AWARE,
    };
    atomic_init(&job.bad, SIZE_MAX);
    /* Every sample is checked before anything is written (the rounding assumes none above maxval). */
    if (maxval < UINT16_MAX)
        pk_parallel_for(height, 2 * total, pk_bayer16_check_band, &job);
    size_t bad = atomic_load(&job.bad);
    if (bad != SIZE_MAX) {
        if (bad_index != NULL)
            *bad_index = bad;
        return PK_ERR_SAMPLE_RANGE;
    }
    pk_parallel_for_bands(height, 5 * total, SIZE_MAX, 4, pk_bayer16_band, &job);
    return PK_OK;
}
