/*
 * convert.c: colour conversions (grey, float tensors).
 */
#include "internal.h"
#include "kernels.h"

/* Outputs at least this large bypass the caches (they would not fit anyway). */
#define PK_STREAM_BYTES ((size_t)64 << 20)

typedef struct {
    const pk_kernels *kernels;
    const pk_image *src;
    const pk_plane *gray;
    const pk_tensor *tensor;
    const float *scale, *bias;
    int stream;
} pk_convert_job;

static void pk_gray_band(void *context, size_t begin, size_t end)
{
    const pk_convert_job *job = context;
    for (size_t y = begin; y < end; y++)
        job->kernels->gray((const uint8_t *)job->src->pixels + y * job->src->stride,
                           job->gray->data + y * job->gray->stride, job->src->width);
}

pk_status pk_to_gray(const pk_image *src, const pk_plane *dst)
{
    pk_status status;

    if ((status = pk_image_validate(src)) != PK_OK || (status = pk_plane_validate(dst)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    status = pk_check_alias(src->pixels, pk_image_span(src), src->stride,
                            dst->data, pk_plane_span(dst), dst->stride);
    if (status != PK_OK)
        return status;
    pk_convert_job job = {.kernels = pk_kernels_active(), .src = src, .gray = dst};
    pk_parallel_for(src->height, 4 * src->width * src->height, pk_gray_band, &job);
    return PK_OK;
}

static void pk_tensor_band(void *context, size_t begin, size_t end)
{
    const pk_convert_job *job = context;
    const pk_tensor *t = job->tensor;
    for (size_t y = begin; y < end; y++) {
        const uint8_t *in = (const uint8_t *)job->src->pixels + y * job->src->stride;
        float *row = t->data + y * t->row_stride;
        if (t->layout == PK_TENSOR_CHW)
            job->kernels->tensor_chw(in, t->width, row, row + t->channel_stride, row + 2 * t->channel_stride,
                                     job->scale, job->bias, job->stream);
        else
            job->kernels->tensor_hwc(in, t->width, row, job->scale, job->bias, job->stream);
    }
}

pk_status pk_to_tensor(const pk_image *src, const float *scale, const float *bias, const pk_tensor *dst)
{
    pk_status status;
    size_t span, last, extent;

    if ((status = pk_image_validate(src)) != PK_OK)
        return status;
    if (dst == NULL || scale == NULL || bias == NULL || dst->data == NULL)
        return PK_ERR_NULL;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (dst->width != src->width || dst->height != src->height)
        return PK_ERR_SHAPE;
    if (dst->layout == PK_TENSOR_CHW) {
        /* Rows within a plane, and the three planes, must not overlap. */
        size_t plane;
        if (dst->pixel_stride != 1 || dst->row_stride < dst->width)
            return PK_ERR_STRIDE;
        if (!pk_mul_size(dst->row_stride, dst->height - 1, &plane) || !pk_add_size(plane, dst->width, &plane))
            return PK_ERR_OVERFLOW;
        if (dst->channel_stride < plane)
            return PK_ERR_STRIDE;
    } else if (dst->layout == PK_TENSOR_HWC) {
        if (dst->pixel_stride != 3 || dst->channel_stride != 1 || dst->row_stride < 3 * dst->width)
            return PK_ERR_STRIDE;
    } else {
        return PK_ERR_ARGUMENT;
    }
    /* The last element must be addressable: 2 * cs + (h - 1) * rs + (w - 1) * ps floats. */
    if (!pk_mul_size(dst->row_stride, dst->height - 1, &last)
        || !pk_mul_size(dst->channel_stride, 2, &span)
        || !pk_add_size(last, span, &extent)
        || !pk_add_size(extent, (dst->width - 1) * dst->pixel_stride + 1, &extent)
        || extent > (size_t)PTRDIFF_MAX / sizeof(float))
        return PK_ERR_OVERFLOW;
    status = pk_check_alias(src->pixels, pk_image_span(src), src->stride,
                            dst->data, extent * sizeof(float), 0);
    if (status != PK_OK)
        return status;
    /* An output much larger than the caches is written around them. */
    pk_convert_job job = {.kernels = pk_kernels_active(), .src = src, .tensor = dst, .scale = scale, .bias = bias,
                          .stream = 12 * src->width * src->height >= PK_STREAM_BYTES};
    pk_parallel_for(src->height, 15 * src->width * src->height, pk_tensor_band, &job);
    return PK_OK;
}
