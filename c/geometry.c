/*
 * geometry.c: flips, transposition, quarter turns and pasting.
 */
#include "internal.h"
#include "kernels.h"

#include <stdatomic.h>
#include <string.h>

typedef struct {
    const pk_kernels *kernels;
    const pk_image *src, *dst;
    /* remap: out(i, j) = *(base + i * step_i + j * step_j), 3 bytes each */
    const uint8_t *base;
    ptrdiff_t step_i, step_j;
    int in_place;
    int stream; /* copy rows past the cache (flip_vertical of a large image, not in place) */
    atomic_int status;
} pk_geometry_job;

/* Outputs of at least this many bytes are stored past the cache by flip_vertical (as by invert). */
#define PK_STREAM_OUTPUT_BYTES ((size_t)16 << 20)

static uint8_t *pk_row(const pk_image *image, size_t y)
{
    return (uint8_t *)image->pixels + y * image->stride;
}

static void pk_flip_h_band(void *context, size_t begin, size_t end)
{
    pk_geometry_job *job = context;
    size_t row_bytes = 3 * job->src->width;
    uint8_t *scratch = NULL;
    if (job->in_place && (scratch = pk_scratch(row_bytes)) == NULL) {
        atomic_store(&job->status, PK_ERR_NO_MEMORY);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        const uint8_t *in = pk_row(job->src, y);
        if (scratch != NULL) {
            memcpy(scratch, in, row_bytes);
            in = scratch;
        }
        job->kernels->flip_row(in, pk_row(job->dst, y), job->src->width);
    }
    pk_scratch_free(scratch);
}

pk_status pk_flip_horizontal(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);
    if (status != PK_OK)
        return status;
    pk_geometry_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst,
                           .in_place = src->pixels == dst->pixels};
    atomic_init(&job.status, PK_OK);
    pk_parallel_chunks(src->height, 2 * 3 * src->width * src->height, pk_flip_h_band, &job);
    return (pk_status)atomic_load(&job.status);
}

/* flip_vertical reads the bottom half's rows upwards; the cache's prefetcher
 * follows a stream within a row but not to the row above it, so each pair asks
 * for the first bytes of the next one (1080p, one thread: 1.10 of a plain copy
 * instead of 1.13-1.16). */
#define PK_FLIP_AHEAD 2048
/* Rows y and height - 1 - y, for y in the band (in place: swap pairs). */
static void pk_flip_v_band(void *context, size_t begin, size_t end)
{
    pk_geometry_job *job = context;
    size_t row_bytes = 3 * job->src->width, last = job->src->height - 1;
    uint8_t *scratch = NULL;
    if (job->in_place && (scratch = pk_scratch(row_bytes)) == NULL) {
        atomic_store(&job->status, PK_ERR_NO_MEMORY);
        return;
    }
    if (job->stream) {
        /* The band's top rows, then its bottom rows: one read and one write stream at a time. */
        for (size_t y = begin; y < end; y++)
            job->kernels->stream(pk_row(job->src, last - y), pk_row(job->dst, y), row_bytes, 0);
        for (size_t y = begin; y < end; y++)
            if (last - y != y)
                job->kernels->stream(pk_row(job->src, y), pk_row(job->dst, last - y), row_bytes, 0);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        if (scratch != NULL) {
            uint8_t *top = pk_row(job->dst, y), *bottom = pk_row(job->dst, last - y);
            memcpy(scratch, top, row_bytes);
            memcpy(top, bottom, row_bytes);
            memcpy(bottom, scratch, row_bytes);
        } else {
            /* Both rows of the pair: reads and writes advance from both ends.
             * (glibc's memcpy measured faster here than a plain vector loop.) */
#if defined(__GNUC__)
            if (last - y > y + 1) {
                const uint8_t *next = pk_row(job->src, last - y - 1);
                for (size_t i = 0; i < row_bytes && i < PK_FLIP_AHEAD; i += 64)
                    __builtin_prefetch(next + i);
            }
#endif
            memcpy(pk_row(job->dst, y), pk_row(job->src, last - y), row_bytes);
            if (last - y != y)
                memcpy(pk_row(job->dst, last - y), pk_row(job->src, y), row_bytes);
        }
    }
    pk_scratch_free(scratch);
}

pk_status pk_flip_vertical(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);
    if (status != PK_OK)
        return status;
    pk_geometry_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst,
                           .in_place = src->pixels == dst->pixels};
    /* Not from pk_stream_output's smaller size: pairs of rows streamed from both ends measured
     * slower than cached stores at 1080p even where a plain copy gains 20 % from streaming. */
    job.stream = !job.in_place && 3 * dst->width * dst->height >= PK_STREAM_OUTPUT_BYTES;
    atomic_init(&job.status, PK_OK);
    /* Each band takes pairs of rows y and height - 1 - y from the top half
     * (in place it swaps them; the middle row stays). */
    size_t rows = job.in_place ? src->height / 2 : (src->height + 1) / 2;
    pk_parallel_chunks(rows, 2 * 3 * src->width * src->height, pk_flip_v_band, &job);
    return (pk_status)atomic_load(&job.status);
}

/*
 * The pixels the tiles leave out, in blocks of PK_REMAP_BLOCK: for a
 * transpose, the source pixels of one output column of the block are
 * adjacent, so each source cache line is read once per block rather than
 * once per row.  Output rows [row_begin, row_end), columns [col_begin,
 * width).
 */
#define PK_REMAP_BLOCK 256

static void pk_remap_rest(const pk_geometry_job *job, size_t row_begin, size_t row_end, size_t col_begin)
{
    /* Locals, so that stores through uint8_t pointers cannot force reloads. */
    const size_t width = job->dst->width, stride = job->dst->stride;
    uint8_t *const out = (uint8_t *)job->dst->pixels;
    const uint8_t *const base = job->base;
    const ptrdiff_t step_i = job->step_i, step_j = job->step_j;
    /* A pixel is moved as one 4-byte load and store: the extra byte stored
     * is the next pixel's, rewritten right after; the extra byte loaded
     * must exist, which only the source's last pixel cannot promise. */
    const uint8_t *const src_last = (const uint8_t *)job->src->pixels + pk_image_span(job->src) - 3;
    for (size_t i0 = row_begin; i0 < row_end; i0 += PK_REMAP_BLOCK) {
        size_t rows = row_end - i0 < PK_REMAP_BLOCK ? row_end - i0 : PK_REMAP_BLOCK;
        for (size_t j0 = col_begin; j0 < width; j0 += PK_REMAP_BLOCK) {
            size_t cols = width - j0 < PK_REMAP_BLOCK ? width - j0 : PK_REMAP_BLOCK;
            /* The row's last pixel is stored with 3 bytes. */
            size_t wide = j0 + cols < width ? cols : cols - 1;
            for (size_t i = 0; i < rows; i++) {
                uint8_t *q = out + (i0 + i) * stride + 3 * j0;
                const uint8_t *p = base + (ptrdiff_t)(i0 + i) * step_i + (ptrdiff_t)j0 * step_j;
                for (size_t j = 0; j < cols; j++, p += step_j) {
                    uint32_t v;
                    if (p != src_last)
                        memcpy(&v, p, 4);
                    else
                        v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
                    if (j < wide) {
                        memcpy(q + 3 * j, &v, 4);
                    } else {
                        q[3 * j] = p[0];
                        q[3 * j + 1] = p[1];
                        q[3 * j + 2] = p[2];
                    }
                }
            }
        }
    }
}

/* Bands are counted in groups of PK_REMAP_ROWS output rows, a multiple of
 * every instruction set's tile, so that only the image's last group has
 * rows the tiles leave out. */
#define PK_REMAP_ROWS 16

static void pk_remap_band(void *context, size_t begin, size_t end)
{
    const pk_geometry_job *job = context;
    const size_t height = job->dst->height, width = job->dst->width, stride = job->dst->stride;
    size_t first = begin * PK_REMAP_ROWS, last = end * PK_REMAP_ROWS < height ? end * PK_REMAP_ROWS : height;
    size_t tile = job->kernels->remap_tiles(job->base + (ptrdiff_t)first * job->step_i, job->step_i, job->step_j,
                                            (uint8_t *)job->dst->pixels + first * stride, stride, last - first,
                                            width);
    if (tile == 0) {
        pk_remap_rest(job, first, last, 0);
        return;
    }
    size_t tiled_rows = first + (last - first) / tile * tile, tiled_cols = width / tile * tile;
    if (tiled_cols < width)
        pk_remap_rest(job, first, tiled_rows, tiled_cols);
    if (tiled_rows < last)
        pk_remap_rest(job, tiled_rows, last, 0);
}

static pk_status pk_remap(const pk_image *src, const pk_image *dst, const uint8_t *base, ptrdiff_t step_i,
                          ptrdiff_t step_j)
{
    pk_geometry_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst, .base = base,
                           .step_i = step_i, .step_j = step_j};
    atomic_init(&job.status, PK_OK);
    size_t groups = dst->height / PK_REMAP_ROWS + (dst->height % PK_REMAP_ROWS != 0);
    pk_parallel_chunks(groups, 2 * 3 * dst->width * dst->height, pk_remap_band, &job);
    return (pk_status)atomic_load(&job.status);
}

pk_status pk_transpose(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_pair(src, dst, PK_SWAPPED_SIZE, 0);
    if (status != PK_OK)
        return status;
    return pk_remap(src, dst, (const uint8_t *)src->pixels, 3, (ptrdiff_t)src->stride);
}

/* The copy of k % 4 == 0, in a band. */
static void pk_copy_band(void *context, size_t begin, size_t end)
{
    const pk_geometry_job *job = context;
    size_t row_bytes = 3 * job->src->width;
    int gapless = job->src->stride == row_bytes && job->dst->stride == row_bytes;
    if (job->stream) {
        if (gapless)
            job->kernels->stream(pk_row(job->src, begin), pk_row(job->dst, begin), (end - begin) * row_bytes, 0);
        else
            for (size_t y = begin; y < end; y++)
                job->kernels->stream(pk_row(job->src, y), pk_row(job->dst, y), row_bytes, 0);
        return;
    }
    if (gapless) {
        /* Gapless rows: the band is one block. */
        memmove(pk_row(job->dst, begin), pk_row(job->src, begin), (end - begin) * row_bytes);
        return;
    }
    for (size_t y = begin; y < end; y++)
        memmove(pk_row(job->dst, y), pk_row(job->src, y), row_bytes);
}

/* A half turn, one pass: rows y and height - 1 - y, each mirrored, for y in
 * the band (in place through a copy of one row; the middle row is
 * mirrored through a copy of itself). */
static void pk_half_turn_band(void *context, size_t begin, size_t end)
{
    pk_geometry_job *job = context;
    size_t width = job->src->width, row_bytes = 3 * width, last = job->src->height - 1;
    uint8_t *scratch = NULL;
    if (job->in_place && (scratch = pk_scratch(row_bytes)) == NULL) {
        atomic_store(&job->status, PK_ERR_NO_MEMORY);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        const uint8_t *top = pk_row(job->src, y), *bottom = pk_row(job->src, last - y);
        if (scratch != NULL) {
            memcpy(scratch, top, row_bytes);
            top = scratch;
            if (last - y != y)
                job->kernels->flip_row(bottom, pk_row(job->dst, y), width);
        } else {
            job->kernels->flip_row(bottom, pk_row(job->dst, y), width);
        }
        if (last - y != y || scratch != NULL)
            job->kernels->flip_row(top, pk_row(job->dst, last - y), width);
    }
    pk_scratch_free(scratch);
}

pk_status pk_rotate90(const pk_image *src, long k, const pk_image *dst)
{
    long turns = ((k % 4) + 4) % 4;
    pk_status status;

    if (turns == 0) {
        if ((status = pk_check_unary(src, dst, 1)) != PK_OK)
            return status;
        if (src->pixels == dst->pixels)
            return PK_OK;
        /* src and dst share no byte here (pk_check_unary refuses a partial overlap). */
        pk_geometry_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst,
                               .stream = pk_stream_output(3 * dst->width * dst->height, PK_STREAM_OUTPUT_BYTES)};
        pk_parallel_chunks(src->height, 2 * 3 * src->width * src->height, pk_copy_band, &job);
        return PK_OK;
    }
    if (turns == 2) {
        if ((status = pk_check_unary(src, dst, 1)) != PK_OK)
            return status;
        pk_geometry_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst,
                               .in_place = src->pixels == dst->pixels};
        atomic_init(&job.status, PK_OK);
        pk_parallel_chunks((src->height + 1) / 2, 2 * 3 * src->width * src->height, pk_half_turn_band, &job);
        return (pk_status)atomic_load(&job.status);
    }
    if ((status = pk_check_pair(src, dst, PK_SWAPPED_SIZE, 0)) != PK_OK)
        return status;
    const uint8_t *pixels = (const uint8_t *)src->pixels;
    if (turns == 1) /* out(i, j) = in(j, width - 1 - i) */
        return pk_remap(src, dst, pixels + 3 * (src->width - 1), -3, (ptrdiff_t)src->stride);
    /* turns == 3: out(i, j) = in(height - 1 - j, i) */
    return pk_remap(src, dst, pixels + (src->height - 1) * src->stride, 3, -(ptrdiff_t)src->stride);
}

pk_status pk_paste(const pk_image *dst, const pk_image *src, long x, long y)
{
    pk_status status;

    if ((status = pk_image_validate(src)) != PK_OK || (status = pk_image_validate(dst)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    /* Entirely outside: nothing to do (checked first so the sums below
     * cannot overflow; sizes are below 2^21). */
    if (x >= (long)dst->width || y >= (long)dst->height || x <= -(long)src->width || y <= -(long)src->height)
        return PK_OK;
    long left = x < 0 ? 0 : x, top = y < 0 ? 0 : y;
    long right = x + (long)src->width, bottom = y + (long)src->height;
    if (right > (long)dst->width)
        right = (long)dst->width;
    if (bottom > (long)dst->height)
        bottom = (long)dst->height;
    if (right <= left || bottom <= top)
        return PK_OK;
    size_t width = (size_t)(right - left), rows = (size_t)(bottom - top);
    const uint8_t *from = (const uint8_t *)src->pixels + (size_t)(top - y) * src->stride + 3 * (size_t)(left - x);
    uint8_t *to = (uint8_t *)dst->pixels + (size_t)top * dst->stride + 3 * (size_t)left;

    if (!pk_regions_overlap(from, 3 * width, rows, src->stride, to, 3 * width, rows, dst->stride)) {
        for (size_t r = 0; r < rows; r++)
            memcpy(to + r * dst->stride, from + r * src->stride, 3 * width);
        return PK_OK;
    }
    /* src and dst share memory: copy the region out first, as numpy does. */
    uint8_t *scratch = pk_scratch(3 * width * rows);
    if (scratch == NULL)
        return PK_ERR_NO_MEMORY;
    for (size_t r = 0; r < rows; r++)
        memcpy(scratch + r * 3 * width, from + r * src->stride, 3 * width);
    for (size_t r = 0; r < rows; r++)
        memcpy(to + r * dst->stride, scratch + r * 3 * width, 3 * width);
    pk_scratch_free(scratch);
    return PK_OK;
}
