/*
 * point.c: operations that map each sample on its own (fill, invert,
 * lookup tables, channel swap, blending).
 */
#include "internal.h"
#include "kernels.h"

#include <math.h>
#include <string.h>

enum { OP_INVERT, OP_LUT1, OP_LUT3, OP_SWAP_RB, OP_BLEND, OP_FILL };

typedef struct {
    int op;
    const pk_kernels *kernels;
    const pk_image *src, *src2, *dst;
    const uint8_t *lut;
    uint32_t weight;
    uint8_t color[3];
    int stream; /* store past the cache (invert or swap_rb of a large image) */
} pk_point_job;

/* Outputs of at least this many bytes are stored past the cache by invert and swap_rb: they would not stay
 * there, and skipping the read-for-ownership of each output line saves a third of the traffic. */
#define PK_STREAM_OUTPUT_BYTES ((size_t)16 << 20)

/* Whether the rows of an image follow each other without gaps. */
static int pk_contiguous(const pk_image *image)
{
    return image == NULL || image->stride == 3 * image->width || image->height == 1;
}

static void pk_point_band(void *context, size_t begin, size_t end)
{
    const pk_point_job *job = context;
    const pk_kernels *k = job->kernels;
    size_t width = job->dst->width;
    if (job->op != OP_FILL && job->op != OP_LUT3 && pk_contiguous(job->src) && pk_contiguous(job->src2)
        && pk_contiguous(job->dst)) {
        /* Gapless rows are one long row: one call, one vector tail. */
        width *= end - begin;
        end = begin + 1;
    }
    for (size_t y = begin; y < end; y++) {
        uint8_t *out = (uint8_t *)job->dst->pixels + y * job->dst->stride;
        const uint8_t *in = job->src ? (const uint8_t *)job->src->pixels + y * job->src->stride : NULL;
        switch (job->op) {
        case OP_INVERT:
            if (job->stream)
                k->stream(in, out, 3 * width, 1);
            else
                k->invert(in, out, 3 * width);
            break;
        case OP_LUT1: k->lut1(in, out, 3 * width, job->lut); break;
        case OP_LUT3: k->lut3(in, out, width, job->lut); break;
        case OP_SWAP_RB:
            if (job->stream)
                k->swap_rb_stream(in, out, width);
            else
                k->swap_rb(in, out, width);
            break;
        case OP_BLEND:
            k->blend(in, (const uint8_t *)job->src2->pixels + y * job->src2->stride, out, 3 * width, job->weight);
            break;
        case OP_FILL:
            if (y == begin) {
                for (size_t x = 0; x < width; x++)
                    memcpy(out + 3 * x, job->color, 3);
            } else {
                memcpy(out, (uint8_t *)job->dst->pixels + begin * job->dst->stride, 3 * width);
            }
            break;
        }
    }
}

static pk_status pk_point_run(pk_point_job *job)
{
    job->kernels = pk_kernels_active();
    size_t inputs = (job->src != NULL) + (job->src2 != NULL);
    pk_parallel_chunks(job->dst->height, (inputs + 1) * job->dst->width * 3 * job->dst->height, pk_point_band, job);
    return PK_OK;
}

pk_status pk_fill(const pk_image *dst, uint8_t r, uint8_t g, uint8_t b)
{
    pk_status status = pk_image_validate(dst);
    if (status != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    pk_point_job job = {.op = OP_FILL, .dst = dst, .color = {r, g, b}};
    return pk_point_run(&job);
}

pk_status pk_invert(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);
    if (status != PK_OK)
        return status;
    pk_point_job job = {.op = OP_INVERT, .src = src, .dst = dst,
                        .stream = pk_stream_output(3 * dst->width * dst->height, PK_STREAM_OUTPUT_BYTES)};
    return pk_point_run(&job);
}

pk_status pk_apply_lut(const pk_image *src, const uint8_t *lut, size_t lut_size, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);
    if (status != PK_OK)
        return status;
    if (lut == NULL)
        return PK_ERR_NULL;
    if (lut_size != 256 && lut_size != 768)
        return PK_ERR_ARGUMENT;
    /* The table may lie inside dst: copied first, so that every kernel
     * reads the table as it was (a kernel that reloads it per sample would
     * otherwise see its own output, one that loads it per row would not). */
    uint8_t table[768];
    memcpy(table, lut, lut_size);
    pk_point_job job = {.op = lut_size == 256 ? OP_LUT1 : OP_LUT3, .src = src, .dst = dst, .lut = table};
    return pk_point_run(&job);
}

pk_status pk_swap_rb(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);
    if (status != PK_OK)
        return status;
    /* In place, each store would overwrite bytes the next window still reads. */
    pk_point_job job = {.op = OP_SWAP_RB, .src = src, .dst = dst,
                        .stream = src->pixels != dst->pixels
                                  && pk_stream_output(3 * dst->width * dst->height, PK_STREAM_OUTPUT_BYTES)};
    return pk_point_run(&job);
}

pk_status pk_blend(const pk_image *a, const pk_image *b, double alpha, const pk_image *dst)
{
    pk_status status;
    if ((status = pk_check_unary(a, dst, 1)) != PK_OK || (status = pk_check_unary(b, dst, 1)) != PK_OK)
        return status;
    if (!(alpha >= 0.0 && alpha <= 1.0))  /* also refuses NaN */
        return PK_ERR_ARGUMENT;
    pk_point_job job = {.op = OP_BLEND, .src = a, .src2 = b, .dst = dst,
                        .weight = (uint32_t)lround(alpha * 32768.0)};
    return pk_point_run(&job);
}
