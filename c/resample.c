/*
 * resample.c: resizing with OpenCV's conventions, so that results match
 * cv2.resize: INTER_NEAREST exactly, INTER_LINEAR and INTER_AREA to within
 * one level.
 *
 *  - nearest: source index floor(dst_index * (1 / (dst_size / src_size))),
 *    computed in double as OpenCV does.
 *  - bilinear: pixel centres aligned ((d + 0.5) * scale - 0.5), weights in
 *    11-bit fixed point, edges clamped.
 *  - area, shrinking on both axes: each output is the mean of the source
 *    cell it covers (partial pixels weighted by coverage); whole-number
 *    factors take an exact integer path.
 *  - area, enlarging on some axis: linear with OpenCV's area-mode weights.
 */
#include "internal.h"
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define PK_COEF_BITS 11
#define PK_COEF_SCALE (1 << PK_COEF_BITS)

typedef struct {
    const pk_kernels *kernels;
    const pk_image *src, *dst;
    /* nearest: xofs byte offsets; yidx source rows */
    int32_t *xofs;
    int32_t *yidx;
    /* linear: xofs pairs, alpha pairs; yidx pairs, beta pairs */
    int16_t *alpha, *beta;
    /* area: per-axis cells */
    int32_t *xstart, *xcount, *ystart, *ycount;
    float *xweights, *yweights;
    size_t xtaps, ytaps;
    /* integer area */
    size_t fx, fy;
    atomic_int status;
} pk_resize_job;

static void pk_band_failed(pk_resize_job *job)
{
    atomic_store(&job->status, PK_ERR_NO_MEMORY);
}

static const uint8_t *pk_src_row(const pk_resize_job *job, size_t y)
{
    return (const uint8_t *)job->src->pixels + y * job->src->stride;
}

static uint8_t *pk_dst_row(const pk_resize_job *job, size_t y)
{
    return (uint8_t *)job->dst->pixels + y * job->dst->stride;
}

/* ---- nearest ----------------------------------------------------------- */

static void pk_nearest_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    for (size_t y = begin; y < end; y++)
        job->kernels->nearest_row(pk_src_row(job, (size_t)job->yidx[y]), pk_dst_row(job, y), job->dst->width,
                                  job->xofs, job->src->width);
}

static void pk_nearest_table(size_t src_size, size_t dst_size, int32_t *out, int32_t scale)
{
    double inverse = (double)dst_size / (double)src_size;
    double step = 1.0 / inverse;
    for (size_t d = 0; d < dst_size; d++) {
        size_t s = (size_t)floor((double)d * step);
        out[d] = (int32_t)(s < src_size ? s : src_size - 1) * scale;
    }
}

/* ---- linear -------------------------------------------------------------- */

/* Source indices (pairs) and 11-bit weights (pairs) along one axis. */
static void pk_linear_table(size_t src_size, size_t dst_size, int area_mode, int32_t *index, int16_t *weight)
{
    double inverse = (double)dst_size / (double)src_size;
    double scale = 1.0 / inverse;
    for (size_t d = 0; d < dst_size; d++) {
        float f;
        long s;
        if (!area_mode) {
            f = (float)(((double)d + 0.5) * scale - 0.5);
            s = (long)floorf(f);
            f -= (float)s;
        } else {
            s = (long)floor((double)d * scale);
            f = (float)((double)(d + 1) - (double)(s + 1) * inverse);
            f = f <= 0 ? 0.0f : f - floorf(f);
        }
        if (s < 0) {
            f = 0.0f;
            s = 0;
        }
        if (s >= (long)src_size - 1) {
            f = 0.0f;
            s = (long)src_size - 1;
        }
        index[2 * d] = (int32_t)s;
        index[2 * d + 1] = (int32_t)(s + 1 < (long)src_size ? s + 1 : s);
        weight[2 * d] = (int16_t)lrintf((1.0f - f) * PK_COEF_SCALE);
        weight[2 * d + 1] = (int16_t)lrintf(f * PK_COEF_SCALE);
    }
}

static void pk_linear_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width;
    int32_t *rows = pk_scratch(2 * n * sizeof *rows);
    int32_t *row[2] = {rows, rows + n};
    long cached[2] = {-1, -1};
    if (rows == NULL) {
        pk_band_failed(job);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        long want[2] = {job->yidx[2 * y], job->yidx[2 * y + 1]};
        /* Reuse horizontally resampled rows that the previous output row used. */
        if (cached[0] != want[0] && cached[1] == want[0]) {
            int32_t *t = row[0];
            row[0] = row[1];
            row[1] = t;
            cached[0] = want[0];
            cached[1] = -1;
        }
        for (int k = 0; k < 2; k++) {
            if (cached[k] != want[k]) {
                job->kernels->resize_h_linear(pk_src_row(job, (size_t)want[k]), row[k], job->dst->width,
                                              job->xofs, job->alpha);
                cached[k] = want[k];
            }
        }
        job->kernels->resize_v_linear(row[0], row[1], pk_dst_row(job, y), n, job->beta[2 * y],
                                      job->beta[2 * y + 1]);
    }
    pk_scratch_free(rows);
}

/* ---- area (shrinking) ------------------------------------------------------ */

/*
 * Cells along one axis: output d covers [d * scale, (d + 1) * scale) of the
 * source, each source pixel weighted by the part of it inside the cell.
 * Returns the most pixels a cell touches; fills the tables when `weights`
 * is given (with `taps` at least that many).
 */
static size_t pk_area_table(size_t src_size, size_t dst_size, int32_t *start, int32_t *count, float *weights,
                            size_t taps)
{
    double scale = (double)src_size / (double)dst_size;
    size_t most = 0;
    for (size_t d = 0; d < dst_size; d++) {
        double first = (double)d * scale, last = first + scale;
        double cell = scale < (double)src_size - first ? scale : (double)src_size - first;
        long s1 = (long)ceil(first), s2 = (long)floor(last);
        if (s2 > (long)src_size - 1)
            s2 = (long)src_size - 1;
        if (s1 > s2)
            s1 = s2;
        int head = (double)s1 - first > 1e-3, tail = last - (double)s2 > 1e-3;
        size_t n = (size_t)head + (size_t)(s2 - s1) + (size_t)tail;
        if (n == 0)
            n = 1;
        if (n > most)
            most = n;
        if (weights == NULL)
            continue;
        float *w = weights + d * taps;
        size_t k = 0;
        start[d] = (int32_t)(head ? s1 - 1 : s1);
        if (head)
            w[k++] = (float)(((double)s1 - first) / cell);
        for (long s = s1; s < s2; s++)
            w[k++] = (float)(1.0 / cell);
        if (tail) {
            double part = last - (double)s2 < 1.0 ? last - (double)s2 : 1.0;
            w[k++] = (float)((part < cell ? part : cell) / cell);
        }
        if (k == 0)
            w[k++] = 1.0f;
        count[d] = (int32_t)k;
        for (; k < taps; k++)
            w[k] = 0.0f;
    }
    return most;
}

static void pk_area_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width;
    float *buffers = pk_scratch(2 * n * sizeof *buffers);
    if (buffers == NULL) {
        pk_band_failed(job);
        return;
    }
    float *acc = buffers, *row = buffers + n;
    for (size_t y = begin; y < end; y++) {
        memset(acc, 0, n * sizeof *acc);
        for (int32_t k = 0; k < job->ycount[y]; k++) {
            job->kernels->resize_area_h(pk_src_row(job, (size_t)(job->ystart[y] + k)), row, job->dst->width,
                                        job->xstart, job->xcount, job->xweights, job->xtaps);
            job->kernels->axpy_f32(row, acc, n, job->yweights[y * job->ytaps + (size_t)k]);
        }
        job->kernels->round_f32(acc, pk_dst_row(job, y), n);
    }
    pk_scratch_free(buffers);
}

/* Halving both sides: the 2x2 mean, which is what both the bilinear and
 * the area weights reduce to (1024/1024 per axis, (sum + 2) >> 2). */
static void pk_half_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    for (size_t y = begin; y < end; y++)
        job->kernels->half(pk_src_row(job, 2 * y), pk_src_row(job, 2 * y + 1), pk_dst_row(job, y), job->dst->width);
}

/*
 * Doubling both sides with bilinear weights: 0.75 / 0.25 (1536 / 512 in
 * 11 bits) on inner pixels, the edge pixel alone at the borders.  The
 * general formula reduces exactly to 16-bit integers: (sum + 8) >> 4 of
 * products with weights 3 and 1 per axis.
 */
static void pk_double_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width, sh = job->src->height;
    uint16_t *rows = pk_scratch(2 * n * sizeof *rows);
    uint16_t *row[2] = {rows, rows + n};
    long cached[2] = {-1, -1};
    if (rows == NULL) {
        pk_band_failed(job);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        /* Source rows (i, i + 1) and weights of output row y. */
        size_t i = y == 0 ? 0 : (y - 1) / 2;
        uint16_t w0 = y % 2 ? 3 : 1, w1 = (uint16_t)(4 - w0);
        if (y == 0 || y == 2 * sh - 1) {
            i = y == 0 ? 0 : sh - 1;
            w0 = 4;
            w1 = 0;
        }
        long want[2] = {(long)i, (long)(i + 1 < sh ? i + 1 : i)};
        if (cached[0] != want[0] && cached[1] == want[0]) {
            uint16_t *t = row[0];
            row[0] = row[1];
            row[1] = t;
            cached[0] = want[0];
            cached[1] = -1;
        }
        for (int k = 0; k < 2; k++) {
            if (cached[k] != want[k]) {
                job->kernels->double_h(pk_src_row(job, (size_t)want[k]), row[k], job->src->width);
                cached[k] = want[k];
            }
        }
        job->kernels->double_v(row[0], row[1], pk_dst_row(job, y), n, w0, w1);
    }
    pk_scratch_free(rows);
}

/* Whole-number factors: exact integer means, rounded half up. */
static void pk_area_int_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width;
    uint32_t *buffers = pk_scratch(2 * n * sizeof *buffers);
    if (buffers == NULL) {
        pk_band_failed(job);
        return;
    }
    uint32_t *acc = buffers, *row = buffers + n;
    uint32_t area = (uint32_t)(job->fx * job->fy);
    uint32_t magic = (uint32_t)(((uint64_t)1 << 32) / (2u * area) + 1);
    for (size_t y = begin; y < end; y++) {
        job->kernels->area_sum_h(pk_src_row(job, y * job->fy), acc, job->dst->width, job->fx);
        for (size_t k = 1; k < job->fy; k++) {
            job->kernels->area_sum_h(pk_src_row(job, y * job->fy + k), row, job->dst->width, job->fx);
            job->kernels->add_u32(acc, row, n);
        }
        job->kernels->box_div(acc, pk_dst_row(job, y), n, area, magic);
    }
    pk_scratch_free(buffers);
}

/* ---- entry point ----------------------------------------------------------- */

pk_status pk_resize(const pk_image *src, const pk_image *dst, int method)
{
    pk_status status;
    size_t sw, sh, dw, dh;

    if ((status = pk_check_pair(src, dst, PK_ANY_SIZE, 0)) != PK_OK)
        return status;
    if (method != PK_RESIZE_NEAREST && method != PK_RESIZE_BILINEAR && method != PK_RESIZE_AREA)
        return PK_ERR_ARGUMENT;
    sw = src->width, sh = src->height, dw = dst->width, dh = dst->height;

    pk_resize_job job;
    memset(&job, 0, sizeof job);
    job.kernels = pk_kernels_active();
    job.src = src;
    job.dst = dst;
    atomic_init(&job.status, PK_OK);
    size_t work = 3 * (dw * dh + (sw * sh < 4 * dw * dh ? sw * sh : 4 * dw * dh));

    if (method == PK_RESIZE_BILINEAR && dw == 2 * sw && dh == 2 * sh && sw > 1 && sh > 1) {
        pk_parallel_for(dh, work, pk_double_band, &job);
    } else if (method != PK_RESIZE_NEAREST && sw == 2 * dw && sh == 2 * dh) {
        pk_parallel_for(dh, work, pk_half_band, &job);
    } else if (method == PK_RESIZE_NEAREST) {
        job.xofs = pk_scratch(dw * sizeof *job.xofs);
        job.yidx = pk_scratch(dh * sizeof *job.yidx);
        if (job.xofs && job.yidx) {
            pk_nearest_table(sw, dw, job.xofs, 3);
            pk_nearest_table(sh, dh, job.yidx, 1);
            pk_parallel_for(dh, work, pk_nearest_band, &job);
        } else {
            pk_band_failed(&job);
        }
    } else if (method == PK_RESIZE_AREA && sw >= dw && sh >= dh && sw % dw == 0 && sh % dh == 0
               && (sw / dw) * (sh / dh) * 511 < ((size_t)1 << 17)) {
        /* Whole-number factors small enough for the exact integer path. */
        job.fx = sw / dw;
        job.fy = sh / dh;
        pk_parallel_for(dh, work, pk_area_int_band, &job);
    } else if (method == PK_RESIZE_AREA && sw >= dw && sh >= dh) {
        job.xtaps = pk_area_table(sw, dw, NULL, NULL, NULL, 0);
        job.ytaps = pk_area_table(sh, dh, NULL, NULL, NULL, 0);
        job.xstart = pk_scratch(dw * sizeof(int32_t));
        job.xcount = pk_scratch(dw * sizeof(int32_t));
        job.ystart = pk_scratch(dh * sizeof(int32_t));
        job.ycount = pk_scratch(dh * sizeof(int32_t));
        job.xweights = pk_mul_size(dw, job.xtaps, &work) ? pk_scratch(work * sizeof(float)) : NULL;
        job.yweights = pk_mul_size(dh, job.ytaps, &work) ? pk_scratch(work * sizeof(float)) : NULL;
        work = 3 * (dw * dh + sw * sh);
        if (job.xstart && job.xcount && job.ystart && job.ycount && job.xweights && job.yweights) {
            pk_area_table(sw, dw, job.xstart, job.xcount, job.xweights, job.xtaps);
            pk_area_table(sh, dh, job.ystart, job.ycount, job.yweights, job.ytaps);
            pk_parallel_for(dh, work, pk_area_band, &job);
        } else {
            pk_band_failed(&job);
        }
    } else {
        int area_mode = method == PK_RESIZE_AREA;
        int32_t *xidx = pk_scratch(2 * dw * sizeof *xidx);
        job.xofs = pk_scratch(2 * dw * sizeof *job.xofs);
        job.yidx = pk_scratch(2 * dh * sizeof *job.yidx);
        job.alpha = pk_scratch(2 * dw * sizeof *job.alpha);
        job.beta = pk_scratch(2 * dh * sizeof *job.beta);
        if (xidx && job.xofs && job.yidx && job.alpha && job.beta) {
            pk_linear_table(sw, dw, area_mode, xidx, job.alpha);
            for (size_t i = 0; i < 2 * dw; i++)
                job.xofs[i] = 3 * xidx[i];
            pk_linear_table(sh, dh, area_mode, job.yidx, job.beta);
            pk_parallel_for(dh, work, pk_linear_band, &job);
        } else {
            pk_band_failed(&job);
        }
        pk_scratch_free(xidx);
    }
    pk_scratch_free(job.xofs);
    pk_scratch_free(job.yidx);
    pk_scratch_free(job.alpha);
    pk_scratch_free(job.beta);
    pk_scratch_free(job.xstart);
    pk_scratch_free(job.xcount);
    pk_scratch_free(job.ystart);
    pk_scratch_free(job.ycount);
    pk_scratch_free(job.xweights);
    pk_scratch_free(job.yweights);
    return (pk_status)atomic_load(&job.status);
}
