/*
 * packed.c: packed RGB pixel formats (bgra, rgb565le, rgb48be, ...) to
 * rgb24 images and back.  The loops are in rows/packed.h.
 */
#include "internal.h"
#include "kernels.h"

size_t pk_packed_pixel_bytes(int format)
{
    switch (format) {
    case PK_PACKED_RGB24:
    case PK_PACKED_BGR24: return 3;
    case PK_PACKED_RGBA:
    case PK_PACKED_BGRA:
    case PK_PACKED_ARGB:
    case PK_PACKED_ABGR: return 4;
    case PK_PACKED_RGB565LE:
    case PK_PACKED_BGR565LE: return 2;
    case PK_PACKED_RGB48LE:
    case PK_PACKED_RGB48BE: return 6;
    default: return 0;
    }
}

typedef struct {
    const pk_kernels *kernels;
    const uint8_t *src;
    uint8_t *dst;
    size_t src_stride, dst_stride, width;
    int format, to_rgb;
    int gapless; /* both sides' rows follow each other without gaps */
} pk_packed_job;

static void pk_packed_band(void *context, size_t begin, size_t end)
{
    const pk_packed_job *job = context;
    const uint8_t *src = job->src + begin * job->src_stride;
    uint8_t *dst = job->dst + begin * job->dst_stride;
    size_t width = job->width, rows = end - begin;
    if (job->gapless) {
        /* One long row: one call, one vector tail. */
        width *= rows;
        rows = 1;
    }
    if (job->to_rgb)
        job->kernels->packed_to_rgb(src, job->src_stride, dst, job->dst_stride, width, rows, job->format);
    else
        job->kernels->rgb_to_packed(src, job->src_stride, dst, job->dst_stride, width, rows, job->format);
}

/* Checks both sides and runs the conversion; `packed` is the packed buffer, `image` the rgb24 one. */
static pk_status pk_packed_run(const pk_image *image, const uint8_t *packed, size_t packed_stride, int format,
                               int to_rgb)
{
    pk_status status;
    size_t span, bytes = pk_packed_pixel_bytes(format);

    if ((status = pk_image_validate(image)) != PK_OK)
        return status;
    if (bytes == 0)
        return PK_ERR_ARGUMENT;
    if ((status = pk_check_layout(packed, image->width, image->height, packed_stride, bytes, &span)) != PK_OK)
        return status;
    if (to_rgb && !image->writable)
        return PK_ERR_READONLY;
    if (pk_regions_overlap(image->pixels, 3 * image->width, image->height, image->stride, packed,
                           bytes * image->width, image->height, packed_stride))
        return PK_ERR_OVERLAP;
    size_t height = image->height;
    int gapless = height == 1 || (image->stride == 3 * image->width && packed_stride == bytes * image->width);
    pk_packed_job job = {
        .kernels = pk_kernels_active(),
        .src = to_rgb ? packed : (const uint8_t *)image->pixels,
        .dst = to_rgb ? (uint8_t *)image->pixels : (uint8_t *)(uintptr_t)packed,
        .src_stride = to_rgb ? packed_stride : image->stride,
        .dst_stride = to_rgb ? image->stride : packed_stride,
        .width = image->width,
        .format = format,
        .to_rgb = to_rgb,
        .gapless = gapless,
    };
    /* Bytes read and written: memory-bound, threaded only for large frames. */
    pk_parallel_chunks(height, (bytes + 3) * image->width * height, pk_packed_band, &job);
    return PK_OK;
}

pk_status pk_packed_to_rgb(const uint8_t *src, size_t src_stride, int format, const pk_image *dst)
{
    return pk_packed_run(dst, src, src_stride, format, 1);
}

pk_status pk_rgb_to_packed(const pk_image *src, int format, uint8_t *dst, size_t dst_stride)
{
    return pk_packed_run(src, dst, dst_stride, format, 0);
}
