/*
 * convert.c: colour conversions (grey, float tensors).
 */
#include "internal.h"
#include "kernels.h"

#include <stdalign.h>

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
    /* A grey row is shorter than its RGB row: it can never run in place. */
    if (pk_regions_overlap(src->pixels, 3 * src->width, src->height, src->stride,
                           dst->data, dst->width, dst->height, dst->stride))
        return PK_ERR_OVERLAP;
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
    /* A float * that is not float-aligned cannot be used at all in C. */
    if ((uintptr_t)dst->data % alignof(float) != 0)
        return PK_ERR_ARGUMENT;
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
        || extent > (size_t)PTRDIFF_MAX / sizeof(float)
        || (uintptr_t)dst->data > UINTPTR_MAX - extent * sizeof(float))
        return PK_ERR_OVERFLOW;
    /* The rows of floats (one plane, or each of three) must share no byte
     * with the pixels; rows side by side with the image's are fine. */
    size_t planes = dst->layout == PK_TENSOR_CHW ? 3 : 1;
    size_t row_bytes = (dst->layout == PK_TENSOR_CHW ? 1 : 3) * dst->width * sizeof(float);
    for (size_t c = 0; c < planes; c++)
        if (pk_regions_overlap(src->pixels, 3 * src->width, src->height, src->stride,
                               dst->data + c * dst->channel_stride, row_bytes, dst->height,
                               dst->row_stride * sizeof(float)))
            return PK_ERR_OVERLAP;
    /* scale and bias may lie inside dst (any float memory may): copied
     * first, so that no kernel reads one after writing over it. */
    float factors[6] = {scale[0], scale[1], scale[2], bias[0], bias[1], bias[2]};
    /* An output much larger than the caches is written around them; so is one from 4 MiB where
     * the caches beyond L2 are as slow as memory (pk_stream_output): a 1080p tensor into an
     * array the caches no longer hold took 3.4 ms with ordinary stores, 2.0 ms streamed. */
    pk_convert_job job = {.kernels = pk_kernels_active(), .src = src, .tensor = dst, .scale = factors,
                          .bias = factors + 3,
                          .stream = pk_stream_output(12 * src->width * src->height, PK_STREAM_BYTES)};
    pk_parallel_for(src->height, 15 * src->width * src->height, pk_tensor_band, &job);
    return PK_OK;
}
