/*
 * resample.c: resizing with OpenCV's conventions, so that results match
 * cv2.resize: INTER_NEAREST exactly, INTER_LINEAR and INTER_AREA to within
 * one level, and unbiased (rounded as OpenCV rounds).
 *
 *  - nearest: source index floor(dst_index * (1 / (dst_size / src_size))),
 *    computed in double as OpenCV does.
 *  - bilinear: pixel centres aligned ((d + 0.5) * scale - 0.5), weights in
 *    11-bit fixed point, edges clamped.  Each needed source row is resampled
 *    along x once (to Q7, 16 bits), then rows are blended the way OpenCV's
 *    vector code does: high halves of the 16-bit products, rounded by 2 bits.
 *  - area, shrinking on both axes: each output is the mean of the source
 *    cell it covers (partial pixels weighted by coverage): rows first with
 *    fixed-point coverage (normalised by the sum of the rounded coverages),
 *    then along the row in float, rounded to nearest with ties to even as
 *    OpenCV's cvRound; whole-number factors take an exact integer path
 *    rounded half to even.
 *  - area, enlarging on some axis: linear with OpenCV's area-mode weights.
 *
 * Along x, the kernels gather with byte or float permutes from tables made
 * here once per call (see pk_linear_h_plan, pk_nearest_plan in kernels.h).
 */
#include "internal.h"
#include "kernels.h"

#include <math.h>
#include <stdint.h>
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
    pk_linear_h_plan hplan;
    pk_nearest_plan nplan;
    /* area: per-axis cells */
    int32_t *xstart, *xcount, *ystart, *ycount;
    float *xweights, *yscale;
    /* area, per output element i: first source element, weights of tap k at [k n + i] */
    int32_t *xelement;
    float *xelement_weights;
    uint32_t *ycover;
    size_t xtaps, ytaps;
    /* integer area */
    size_t fx, fy;
    /* where dst lies in the whole result, src in the whole source; whole source height */
    size_t dst_x, dst_y, src_x, src_y, whole_src_height;
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
    for (size_t y = begin; y < end; y++) {
        /* An output row from the same source row as the one above it is a copy of that row. */
        if (y > begin && job->yidx[y] == job->yidx[y - 1])
            memcpy(pk_dst_row(job, y), pk_dst_row(job, y - 1), 3 * job->dst->width);
        else
            job->kernels->nearest_row(pk_src_row(job, (size_t)job->yidx[y]), pk_dst_row(job, y), &job->nplan);
    }
}

/* The blocks of a nearest row (see pk_nearest_plan): as many pixels a
 * block (8 .. 21; sparser rows gather) as let every block's source bytes
 * fit 128. */
static pk_status pk_nearest_blocks(pk_nearest_plan *plan, void **memory)
{
    const int32_t *xofs = plan->xofs;
    size_t pixels = 21, blocks = 0;
    for (; pixels >= 8; pixels--) {
        blocks = plan->dst_width / pixels;
        size_t b = 0;
        while (b < blocks && xofs[pixels * b + pixels - 1] + 2 - xofs[pixels * b] < 128)
            b++;
        if (b == blocks)
            break;
    }
    if (pixels < 8)
        blocks = 0;
    uint8_t *all = pk_scratch((blocks ? blocks : 1) * (sizeof(int32_t) + 64));
    *memory = all;
    if (all == NULL)
        return PK_ERR_NO_MEMORY;
    int32_t *base = (int32_t *)(void *)all;
    uint8_t *index = all + blocks * sizeof(int32_t);
    for (size_t b = 0; b < blocks; b++) {
        base[b] = xofs[pixels * b];
        for (size_t j = 0; j < 64; j++) {
            size_t k = j / 3 < pixels ? j / 3 : pixels - 1;
            index[64 * b + j] = (uint8_t)(xofs[pixels * b + k] + (int32_t)(j % 3) - base[b]);
        }
    }
    plan->blocks = blocks;
    plan->block_pixels = pixels;
    plan->block_base = base;
    plan->block_index = index;
    return PK_OK;
}

/* Source index of outputs first .. first + n - 1 (of dst_size along the axis). */
static void pk_nearest_table(size_t src_size, size_t dst_size, size_t first, size_t n, int32_t *out)
{
    double inverse = (double)dst_size / (double)src_size;
    double step = 1.0 / inverse;
    for (size_t i = 0; i < n; i++) {
        size_t s = (size_t)floor((double)(first + i) * step);
        out[i] = (int32_t)(s < src_size ? s : src_size - 1);
    }
}

/* ---- linear -------------------------------------------------------------- */

/* Source indices (pairs) and 11-bit weights (pairs) of outputs first .. first + n - 1. */
/*
 * Along the rows (`vertical`), an output beyond the first or last source
 * row keeps its fractional weight and reads that edge row twice, as
 * OpenCV's INTER_LINEAR does (its two truncating products then differ from
 * the edge row alone); along a row, and for area, the edge pixel alone.
 */
static void pk_linear_table(size_t src_size, size_t dst_size, int area_mode, int vertical, size_t first, size_t n,
                            int32_t *index, int16_t *weight)
{
    double inverse = (double)dst_size / (double)src_size;
    double scale = 1.0 / inverse;
    for (size_t i = 0; i < n; i++) {
        size_t d = first + i;
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
        long last = (long)src_size - 1, s1 = s + 1;
        if (vertical && !area_mode && (s < 0 || s1 > last)) {
            s = s < 0 ? 0 : s > last ? last : s;
            s1 = s1 < 0 ? 0 : s1 > last ? last : s1;
        } else {
            if (s < 0) {
                f = 0.0f;
                s = 0;
            }
            if (s >= last) {
                f = 0.0f;
                s = last;
            }
            s1 = s + 1 < (long)src_size ? s + 1 : s;
        }
        index[2 * i] = (int32_t)s;
        index[2 * i + 1] = (int32_t)s1;
        weight[2 * i] = (int16_t)lrintf((1.0f - f) * PK_COEF_SCALE);
        weight[2 * i + 1] = (int16_t)lrintf(f * PK_COEF_SCALE);
    }
}

static void pk_linear_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width;
    int16_t *rows = pk_scratch(2 * n * sizeof *rows);
    int16_t *row[2] = {rows, rows + n};
    long cached[2] = {-1, -1};
    if (rows == NULL) {
        pk_band_failed(job);
        return;
    }
    for (size_t y = begin; y < end; y++) {
        long want[2] = {job->yidx[2 * y], job->yidx[2 * y + 1]};
        /* Reuse horizontally resampled rows that the previous output row used. */
        if (cached[0] != want[0] && cached[1] == want[0]) {
            int16_t *t = row[0];
            row[0] = row[1];
            row[1] = t;
            cached[0] = want[0];
            cached[1] = -1;
        }
        for (int k = 0; k < 2; k++) {
            if (cached[k] != want[k]) {
                /* The row computed after this one: the other of this pair, or the next output's last. */
                long after = k == 0 && want[1] != want[0] ? want[1] : y + 1 < end ? job->yidx[2 * y + 3] : -1;
                const uint8_t *next = after >= 0 && after != want[k] ? pk_src_row(job, (size_t)after) : NULL;
                job->kernels->resize_h_linear(pk_src_row(job, (size_t)want[k]), row[k], &job->hplan, next);
                cached[k] = want[k];
            }
        }
        job->kernels->resize_v_linear(row[0], row[1], pk_dst_row(job, y), n, job->beta[2 * y],
                                      job->beta[2 * y + 1]);
    }
    pk_scratch_free(rows);
}

/* Shrinking rows by 2 or more: no source row serves two output rows, so
 * each output row takes both passes at once. */
static void pk_linear_fused_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    for (size_t y = begin; y < end; y++) {
        const uint8_t *next0 = NULL, *next1 = NULL;
        if (y + 1 < end) {
            next0 = pk_src_row(job, (size_t)job->yidx[2 * y + 2]);
            next1 = pk_src_row(job, (size_t)job->yidx[2 * y + 3]);
        }
        job->kernels->resize_linear_fused(pk_src_row(job, (size_t)job->yidx[2 * y]),
                                          pk_src_row(job, (size_t)job->yidx[2 * y + 1]), pk_dst_row(job, y),
                                          &job->hplan, job->beta[2 * y], job->beta[2 * y + 1], next0, next1);
    }
}

/*
 * The shuffle blocks of the horizontal linear pass (see pk_linear_h_plan):
 * within a block, lane pair s of the first half holds output 8 (s / 4) +
 * s % 4, of the second half output 8 (s / 4) + 4 + s % 4, so that packing
 * the two halves' sums (per 128-bit lane) puts the outputs in order.
 */
static pk_status pk_linear_h_blocks(pk_linear_h_plan *plan, void **memory)
{
    size_t blocks = 3 * plan->dst_width / 32;
    /* per block: base, 16 gather offsets, 128 index bytes, 64 weights */
    size_t per_block = 17 * sizeof(int32_t) + 128 + 64 * sizeof(int16_t);
    uint8_t *all = pk_scratch((blocks ? blocks : 1) * per_block);
    *memory = all;
    if (all == NULL)
        return PK_ERR_NO_MEMORY;
    int32_t *base = (int32_t *)(void *)all;
    int32_t *gather = base + blocks;
    int16_t *weight = (int16_t *)(void *)(gather + 16 * blocks);
    uint8_t *index = (uint8_t *)(weight + 64 * blocks);
    for (size_t b = 0; b < blocks; b++) {
        int32_t lo = INT32_MAX, hi = INT32_MIN;
        size_t first_pixel = 32 * b / 3, last_pixel = (32 * b + 31) / 3;
        int gatherable = 1;
        for (size_t e = 0; e < 32; e++) {
            size_t i = 32 * b + e, x = i / 3;
            int32_t o0 = plan->xofs[2 * x] + (int32_t)(i % 3), o1 = plan->xofs[2 * x + 1] + (int32_t)(i % 3);
            lo = o0 < lo ? o0 : lo;
            lo = o1 < lo ? o1 : lo;
            hi = o0 > hi ? o0 : hi;
            hi = o1 > hi ? o1 : hi;
        }
        /* Gathering: 8 bytes from each pixel's first offset hold both of its samples. */
        for (size_t x = first_pixel; x <= last_pixel; x++) {
            int32_t o0 = plan->xofs[2 * x], o1 = plan->xofs[2 * x + 1];
            if (o1 < o0 || o1 > o0 + 3 || (size_t)o0 + 8 > plan->src_bytes)
                gatherable = 0;
            gather[16 * b + (x - first_pixel)] = o0;
        }
        for (size_t j = last_pixel - first_pixel + 1; j < 16; j++)
            gather[16 * b + j] = gather[16 * b];
        base[b] = hi - lo < 128 ? lo : gatherable ? -1 : -2;
        for (size_t half = 0; half < 2; half++) {
            for (size_t s = 0; s < 16; s++) {
                size_t e = 8 * (s / 4) + 4 * half + s % 4, i = 32 * b + e, x = i / 3;
                for (size_t tap = 0; tap < 2; tap++) {
                    size_t lane = 64 * half + 2 * (2 * s + tap);
                    int32_t o = plan->xofs[2 * x + tap] + (int32_t)(i % 3);
                    uint8_t at = 0;
                    if (base[b] >= 0)
                        at = (uint8_t)(o - lo);
                    else if (base[b] == -1)
                        at = (uint8_t)(8 * (x - first_pixel) + (size_t)(o - plan->xofs[2 * x]));
                    index[128 * b + lane] = at;
                    index[128 * b + lane + 1] = 0;
                    weight[64 * b + 32 * half + 2 * s + tap] = plan->alpha[2 * x + tap];
                }
            }
        }
    }
    plan->blocks = blocks;
    plan->block_base = base;
    plan->block_gather = gather;
    plan->block_index = index;
    plan->block_weight = weight;
    return PK_OK;
}

/* ---- area (shrinking) ------------------------------------------------------ */

/*
 * Cells along one axis: output d covers [d * scale, (d + 1) * scale) of the
 * source, each source pixel weighted by the part of it inside the cell.
 * For outputs first .. first + n - 1, returns the most pixels a cell
 * touches; fills the tables when `weights` is given (with `taps` at least
 * that many).
 */
static size_t pk_area_table(size_t src_size, size_t dst_size, size_t first_output, size_t n, int32_t *start,
                            int32_t *count, float *weights, size_t taps, double *cover, double *cell_sizes)
{
    double scale = (double)src_size / (double)dst_size;
    size_t most = 0;
    for (size_t i = 0; i < n; i++) {
        size_t d = first_output + i;
        double first = (double)d * scale, last = first + scale;
        double cell = scale < (double)src_size - first ? scale : (double)src_size - first;
        long s1 = (long)ceil(first), s2 = (long)floor(last);
        if (s2 > (long)src_size - 1)
            s2 = (long)src_size - 1;
        if (s1 > s2)
            s1 = s2;
        int head = (double)s1 - first > 1e-3, tail = last - (double)s2 > 1e-3;
        size_t cells = (size_t)head + (size_t)(s2 - s1) + (size_t)tail;
        if (cells == 0)
            cells = 1;
        if (cells > most)
            most = cells;
        if (weights == NULL)
            continue;
        float *w = weights + i * taps;
        double part[3];
        size_t k = 0, kept = 0;
        start[i] = (int32_t)(head ? s1 - 1 : s1);
        if (head)
            w[k++] = (float)((part[kept++] = (double)s1 - first) / cell);
        for (long s = s1; s < s2; s++) {
            w[k++] = (float)(1.0 / cell);
            if (cover != NULL)
                cover[i * taps + k - 1] = 1.0;
        }
        if (tail) {
            double p = last - (double)s2 < 1.0 ? last - (double)s2 : 1.0;
            p = p < cell ? p : cell;
            w[k++] = (float)(p / cell);
            part[kept++] = p;
        }
        if (k == 0) {
            w[k++] = 1.0f;
            part[kept++] = cell;
        }
        count[i] = (int32_t)k;
        if (cover != NULL) {
            /* The pixels' coverage (1 inside the cell), and the cell's size. */
            size_t used = 0;
            if (head)
                cover[i * taps] = part[used++];
            if (used < kept)
                cover[i * taps + k - 1] = part[used];
            cell_sizes[i] = cell;
        }
        for (; k < taps; k++) {
            w[k] = 0.0f;
            if (cover != NULL)
                cover[i * taps + k] = 0.0;
        }
    }
    return most;
}

/*
 * Shrinking on both axes, rows first: each output row's source rows are
 * summed with their coverage in fixed point (ycover, 1 << ybits for whole
 * pixels), then the sums are resampled along the row in float.
 */
static void pk_area_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t wide = 3 * job->src->width, n = 3 * job->dst->width, pad = 3 * job->xtaps + 64;
    uint32_t *acc = pk_scratch(wide * sizeof *acc);
    float *row = pk_scratch((wide + pad) * sizeof *row);
    float *sums = pk_scratch(n * sizeof *sums);
    if (acc == NULL || row == NULL || sums == NULL) {
        pk_scratch_free(acc);
        pk_scratch_free(row);
        pk_scratch_free(sums);
        pk_band_failed(job);
        return;
    }
    /* Taps past a cell's pixels have weight 0 and may read past the row: zeros there. */
    for (size_t i = wide; i < wide + pad; i++)
        row[i] = 0.0f;
    for (size_t y = begin; y < end; y++) {
        const uint32_t *cover = job->ycover + y * job->ytaps;
        for (int32_t k = 0; k < job->ycount[y]; k++)
            job->kernels->area_v_u32(pk_src_row(job, (size_t)(job->ystart[y] + k)), acc, wide, cover[k], k == 0);
        job->kernels->u32_to_f32(acc, row, wide);
        job->kernels->area_h_f32(row, pk_dst_row(job, y), n, job->xelement, job->xelement_weights, job->xtaps,
                                 job->yscale[y], sums);
    }
    pk_scratch_free(acc);
    pk_scratch_free(row);
    pk_scratch_free(sums);
}

/* Halving both sides: the 2x2 mean, which is what both the bilinear and
 * the area weights reduce to (1024/1024 per axis, (sum + 2) >> 2). */
static void pk_half_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t x = 3 * (2 * job->dst_x - job->src_x);
    for (size_t y = begin; y < end; y++) {
        size_t row = 2 * (job->dst_y + y) - job->src_y;
        job->kernels->half(pk_src_row(job, row) + x, pk_src_row(job, row + 1) + x, pk_dst_row(job, y),
                           job->dst->width);
    }
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
    size_t n = 3 * job->dst->width, sh = job->whole_src_height;
    uint16_t *rows = pk_scratch(2 * n * sizeof *rows);
    uint16_t *row[2] = {rows, rows + n};
    long cached[2] = {-1, -1};
    if (rows == NULL) {
        pk_band_failed(job);
        return;
    }
    for (size_t local = begin; local < end; local++) {
        /* Source rows (i, i + 1) and weights of output row y of the whole result. */
        size_t y = job->dst_y + local;
        size_t i = y == 0 ? 0 : (y - 1) / 2;
        uint16_t w0 = y % 2 ? 3 : 1, w1 = (uint16_t)(4 - w0);
        /* The first and last output rows blend the edge row with itself, 1 : 3, as OpenCV does. */
        int edge = y == 0 || y == 2 * sh - 1;
        if (edge) {
            i = y == 0 ? 0 : sh - 1;
            w0 = 1;
            w1 = 3;
        }
        long want[2] = {(long)(i - job->src_y), (long)((edge || i + 1 >= sh ? i : i + 1) - job->src_y)};
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
        job->kernels->double_v(row[0], row[1], pk_dst_row(job, local), n, w0, w1);
    }
    pk_scratch_free(rows);
}

/* Whole-number factors: exact integer means, rounded half to even.  Each
 * output row first sums its source rows (16-bit column sums), then sums
 * those along the row. */
static void pk_area_int_band(void *context, size_t begin, size_t end)
{
    pk_resize_job *job = context;
    size_t n = 3 * job->dst->width, wide = n * job->fx;
    uint16_t *columns = pk_scratch(wide * sizeof *columns);
    uint32_t *sums = pk_scratch(n * sizeof *sums);
    if (columns == NULL || sums == NULL) {
        pk_scratch_free(columns);
        pk_scratch_free(sums);
        pk_band_failed(job);
        return;
    }
    uint32_t area = (uint32_t)(job->fx * job->fy);
    uint32_t magic = (uint32_t)(((uint64_t)1 << 32) / (2u * area) + 1);
    size_t x = 3 * (job->dst_x * job->fx - job->src_x);
    for (size_t y = begin; y < end; y++) {
        size_t first = (job->dst_y + y) * job->fy - job->src_y;
        memset(columns, 0, wide * sizeof *columns);
        for (size_t k = 0; k < job->fy; k++)
            job->kernels->add_u8(columns, pk_src_row(job, first + k) + x, wide);
        job->kernels->area_sum_h16(columns, sums, job->dst->width, job->fx);
        job->kernels->area_div_even(sums, pk_dst_row(job, y), n, area, magic);
    }
    pk_scratch_free(columns);
    pk_scratch_free(sums);
}

/* ---- planning ----------------------------------------------------------- */

/* How the whole resize is computed; a tile always follows its whole image's plan. */
typedef enum {
    PK_PLAN_NEAREST,
    PK_PLAN_LINEAR,      /* bilinear, or area when enlarging on some axis */
    PK_PLAN_AREA,        /* area shrinking on both axes */
} pk_plan;

static pk_plan pk_resize_plan(const pk_resize_tile *tile, int method)
{
    if (method == PK_RESIZE_NEAREST)
        return PK_PLAN_NEAREST;
    if (method == PK_RESIZE_AREA && tile->src_width >= tile->dst_width && tile->src_height >= tile->dst_height)
        return PK_PLAN_AREA;
    return PK_PLAN_LINEAR;
}

static int pk_whole_size_ok(size_t width, size_t height)
{
    return width >= 1 && height >= 1 && width <= PK_MAX_DIMENSION && height <= PK_MAX_DIMENSION;
}

static int pk_rect_inside(const pk_rect *rect, size_t width, size_t height)
{
    return rect->width >= 1 && rect->height >= 1 && rect->x <= width && rect->width <= width - rect->x
           && rect->y <= height && rect->height <= height - rect->y;
}

/*
 * The source indices that outputs first .. first + n - 1 read along one
 * axis: [*low, *high].  Uses the very tables the resize uses.
 */
static pk_status pk_axis_span(pk_plan plan, int method, int vertical, size_t src_size, size_t dst_size, size_t first,
                              size_t n, size_t *low, size_t *high)
{
    int32_t *index = pk_scratch(2 * n * sizeof *index);
    int32_t *count = NULL;
    int16_t *weight = NULL;
    pk_status status = PK_OK;
    size_t entries = 0;
    if (index == NULL)
        return PK_ERR_NO_MEMORY;
    if (plan == PK_PLAN_NEAREST) {
        pk_nearest_table(src_size, dst_size, first, n, index);
        entries = n;
    } else if (plan == PK_PLAN_LINEAR) {
        weight = pk_scratch(2 * n * sizeof *weight);
        if (weight != NULL) {
            pk_linear_table(src_size, dst_size, method == PK_RESIZE_AREA, vertical, first, n, index, weight);
            entries = 2 * n;
        } else {
            status = PK_ERR_NO_MEMORY;
        }
    } else {
        size_t taps = pk_area_table(src_size, dst_size, first, n, NULL, NULL, NULL, 0, NULL, NULL), cells;
        float *weights = pk_mul_size(n, taps, &cells) ? pk_scratch(cells * sizeof *weights) : NULL;
        count = pk_scratch(n * sizeof *count);
        if (weights != NULL && count != NULL) {
            pk_area_table(src_size, dst_size, first, n, index, count, weights, taps, NULL, NULL);
            /* Cell i reads index[i] .. index[i] + count[i] - 1: store both ends. */
            for (size_t i = n; i-- > 0;) {
                index[2 * i + 1] = index[i] + count[i] - 1;
                index[2 * i] = index[i];
            }
            entries = 2 * n;
        } else {
            status = PK_ERR_NO_MEMORY;
        }
        pk_scratch_free(weights);
    }
    if (status == PK_OK) {
        int32_t lo = index[0], hi = index[0];
        for (size_t i = 1; i < entries; i++) {
            lo = index[i] < lo ? index[i] : lo;
            hi = index[i] > hi ? index[i] : hi;
        }
        *low = (size_t)lo;
        *high = (size_t)hi;
    }
    pk_scratch_free(index);
    pk_scratch_free(count);
    pk_scratch_free(weight);
    return status;
}

static pk_status pk_check_tile(const pk_resize_tile *tile, int method)
{
    if (tile == NULL)
        return PK_ERR_NULL;
    if (method != PK_RESIZE_NEAREST && method != PK_RESIZE_BILINEAR && method != PK_RESIZE_AREA)
        return PK_ERR_ARGUMENT;
    if (!pk_whole_size_ok(tile->src_width, tile->src_height) || !pk_whole_size_ok(tile->dst_width, tile->dst_height))
        return PK_ERR_SIZE;
    if (!pk_rect_inside(&tile->dst, tile->dst_width, tile->dst_height))
        return PK_ERR_ARGUMENT;
    return PK_OK;
}

pk_status pk_resize_tile_source(pk_resize_tile *tile, int method)
{
    pk_status status = pk_check_tile(tile, method);
    size_t x0, x1, y0, y1;
    if (status != PK_OK)
        return status;
    pk_plan plan = pk_resize_plan(tile, method);
    status = pk_axis_span(plan, method, 0, tile->src_width, tile->dst_width, tile->dst.x, tile->dst.width, &x0, &x1);
    if (status == PK_OK)
        status = pk_axis_span(plan, method, 1, tile->src_height, tile->dst_height, tile->dst.y, tile->dst.height, &y0,
                              &y1);
    if (status != PK_OK)
        return status;
    tile->src.x = x0;
    tile->src.y = y0;
    tile->src.width = x1 - x0 + 1;
    tile->src.height = y1 - y0 + 1;
    return PK_OK;
}

/* ---- entry points ---------------------------------------------------------- */

/* Shifts source indices into the provided part (scaled to bytes by `scale`). */
static void pk_shift(int32_t *index, size_t n, size_t offset, int32_t scale)
{
    for (size_t i = 0; i < n; i++)
        index[i] = (index[i] - (int32_t)offset) * scale;
}

/* The tables along x of one kind of tile, kept by pk_resize_part_cached from tile to tile. */
struct pk_resize_cache {
    int kind; /* 0: empty, 1: linear, 2: nearest */
    int area_mode;
    size_t whole_src, whole_dst, dst_x, dst_width, src_x, src_width;
    int32_t *xofs;
    int16_t *alpha;
    void *blocks;
    pk_linear_h_plan hplan;
    pk_nearest_plan nplan;
};

void pk_resize_cache_free(pk_resize_cache *cache)
{
    if (cache == NULL)
        return;
    pk_scratch_free(cache->xofs);
    pk_scratch_free(cache->alpha);
    pk_scratch_free(cache->blocks);
    pk_scratch_free(cache);
}

static int pk_cache_hit(const pk_resize_cache *c, int kind, int area_mode, const pk_resize_tile *tile, size_t sw)
{
    return c != NULL && c->kind == kind && c->area_mode == area_mode && c->whole_src == tile->src_width
           && c->whole_dst == tile->dst_width && c->dst_x == tile->dst.x && c->dst_width == tile->dst.width
           && c->src_x == tile->src.x && c->src_width == sw;
}

/* Hands the x tables just built over to *cache (replacing what it held); they are then not freed here. */
static void pk_cache_keep(pk_resize_cache **cache, int kind, int area_mode, const pk_resize_tile *tile, size_t sw,
                          int32_t **xofs, int16_t **alpha, void **blocks, const pk_resize_job *job)
{
    if (cache == NULL)
        return;
    pk_resize_cache *c = *cache;
    if (c == NULL && (c = pk_scratch(sizeof *c)) == NULL)
        return;
    if (*cache != NULL) {
        pk_scratch_free(c->xofs);
        pk_scratch_free(c->alpha);
        pk_scratch_free(c->blocks);
    }
    c->kind = kind;
    c->area_mode = area_mode;
    c->whole_src = tile->src_width;
    c->whole_dst = tile->dst_width;
    c->dst_x = tile->dst.x;
    c->dst_width = tile->dst.width;
    c->src_x = tile->src.x;
    c->src_width = sw;
    c->xofs = *xofs;
    c->alpha = *alpha;
    c->blocks = *blocks;
    c->hplan = job->hplan;
    c->nplan = job->nplan;
    *xofs = NULL;
    *alpha = NULL;
    *blocks = NULL;
    *cache = c;
}

static pk_status pk_resize_tiled(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile,
                                 pk_resize_cache **cache);

pk_status pk_resize_part(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile)
{
    return pk_resize_tiled(src, dst, method, tile, NULL);
}

pk_status pk_resize_part_cached(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile,
                                pk_resize_cache **cache)
{
    return pk_resize_tiled(src, dst, method, tile, cache);
}

static pk_status pk_resize_tiled(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile,
                                 pk_resize_cache **cache)
{
    pk_status status;
    if ((status = pk_check_pair(src, dst, PK_ANY_SIZE, 0)) != PK_OK)
        return status;
    if ((status = pk_check_tile(tile, method)) != PK_OK)
        return status;
    if (!pk_rect_inside(&tile->src, tile->src_width, tile->src_height))
        return PK_ERR_ARGUMENT;
    if (src->width != tile->src.width || src->height != tile->src.height || dst->width != tile->dst.width
        || dst->height != tile->dst.height)
        return PK_ERR_SHAPE;
    /* The provided source part must hold everything the tile reads (the whole source always does). */
    int whole_source = tile->src.x == 0 && tile->src.y == 0 && tile->src.width == tile->src_width
                       && tile->src.height == tile->src_height;
    pk_resize_tile needed = *tile;
    if (!whole_source) {
        /* A source of whole rows (or whole columns) holds every column (row) any tile reads: only
         * the other axis needs its span worked out, for a one-pixel-wide strip of the tile (the
         * span along one axis does not depend on the tile's extent along the other). */
        int all_columns = tile->src.x == 0 && tile->src.width == tile->src_width;
        int all_rows = tile->src.y == 0 && tile->src.height == tile->src_height;
        if (all_columns)
            needed.dst.width = 1;
        else if (all_rows)
            needed.dst.height = 1;
        if ((status = pk_resize_tile_source(&needed, method)) != PK_OK)
            return status;
        if (all_columns) {
            needed.src.x = 0;
            needed.src.width = tile->src_width;
        } else if (all_rows) {
            needed.src.y = 0;
            needed.src.height = tile->src_height;
        }
    }
    if (needed.src.x < tile->src.x || needed.src.y < tile->src.y
        || needed.src.x + needed.src.width > tile->src.x + tile->src.width
        || needed.src.y + needed.src.height > tile->src.y + tile->src.height)
        return PK_ERR_ARGUMENT;

    size_t SW = tile->src_width, SH = tile->src_height, DW = tile->dst_width, DH = tile->dst_height;
    size_t dw = dst->width, dh = dst->height, sw = src->width, sh = src->height;
    pk_plan plan = pk_resize_plan(tile, method);
    int whole_rows = tile->dst.x == 0 && dw == DW && tile->src.x == 0 && sw == SW;

    pk_resize_job job;
    memset(&job, 0, sizeof job);
    job.kernels = pk_kernels_active();
    job.src = src;
    job.dst = dst;
    job.dst_x = tile->dst.x;
    job.dst_y = tile->dst.y;
    job.src_x = tile->src.x;
    job.src_y = tile->src.y;
    job.whole_src_height = SH;
    atomic_init(&job.status, PK_OK);
    size_t work = 3 * (dw * dh + (sw * sh < 4 * dw * dh ? sw * sh : 4 * dw * dh));

    /* The fast paths compute exactly what the general tables give. */
    if (plan == PK_PLAN_LINEAR && method == PK_RESIZE_BILINEAR && DW == 2 * SW && DH == 2 * SH && SW > 1 && SH > 1
        && whole_rows) {
        pk_parallel_for(dh, work, pk_double_band, &job);
    } else if (plan != PK_PLAN_NEAREST && SW == 2 * DW && SH == 2 * DH) {
        pk_parallel_for(dh, work, pk_half_band, &job);
    } else if (plan == PK_PLAN_NEAREST) {
        int hit = cache != NULL && pk_cache_hit(*cache, 2, 0, tile, sw);
        job.xofs = hit ? NULL : pk_scratch(dw * sizeof *job.xofs);
        job.yidx = pk_scratch(dh * sizeof *job.yidx);
        if ((hit || job.xofs) && job.yidx) {
            void *blocks = NULL;
            int ready = 1;
            if (hit) {
                job.nplan = (*cache)->nplan;
            } else {
                pk_nearest_table(SW, DW, tile->dst.x, dw, job.xofs);
                pk_shift(job.xofs, dw, tile->src.x, 3);
                job.nplan.xofs = job.xofs;
                job.nplan.dst_width = dw;
                job.nplan.src_width = sw;
                ready = pk_nearest_blocks(&job.nplan, &blocks) == PK_OK;
            }
            pk_nearest_table(SH, DH, tile->dst.y, dh, job.yidx);
            pk_shift(job.yidx, dh, tile->src.y, 1);
            /* Each output pixel is one small copy: count the output bytes only. */
            if (ready)
                pk_parallel_for(dh, 3 * dw * dh, pk_nearest_band, &job);
            else
                pk_band_failed(&job);
            if (ready && !hit) {
                int16_t *no_alpha = NULL;
                pk_cache_keep(cache, 2, 0, tile, sw, &job.xofs, &no_alpha, &blocks, &job);
            }
            pk_scratch_free(blocks);
        } else {
            pk_band_failed(&job);
        }
    } else if (plan == PK_PLAN_AREA && SW % DW == 0 && SH % DH == 0
               && (SW / DW) * (SH / DH) * 511 < ((size_t)1 << 17)) {
        /* Whole-number factors small enough for the exact integer path. */
        job.fx = SW / DW;
        job.fy = SH / DH;
        pk_parallel_for(dh, work, pk_area_int_band, &job);
    } else if (plan == PK_PLAN_AREA) {
        job.xtaps = pk_area_table(SW, DW, tile->dst.x, dw, NULL, NULL, NULL, 0, NULL, NULL);
        job.ytaps = pk_area_table(SH, DH, tile->dst.y, dh, NULL, NULL, NULL, 0, NULL, NULL);
        job.xstart = pk_scratch(dw * sizeof(int32_t));
        job.xcount = pk_scratch(dw * sizeof(int32_t));
        job.ystart = pk_scratch(dh * sizeof(int32_t));
        job.ycount = pk_scratch(dh * sizeof(int32_t));
        job.yscale = pk_scratch(dh * sizeof(float));
        double *ycells = pk_scratch(dh * sizeof(double));
        job.xweights = pk_mul_size(dw, job.xtaps, &work) ? pk_scratch(work * sizeof(float)) : NULL;
        job.xelement = pk_scratch(3 * dw * sizeof(int32_t));
        job.xelement_weights = pk_mul_size(3 * dw, job.xtaps, &work) ? pk_scratch(work * sizeof(float)) : NULL;
        float *yweights = pk_mul_size(dh, job.ytaps, &work) ? pk_scratch(work * sizeof(float)) : NULL;
        double *ycover = pk_mul_size(dh, job.ytaps, &work) ? pk_scratch(work * sizeof(double)) : NULL;
        job.ycover = pk_mul_size(dh, job.ytaps, &work) ? pk_scratch(work * sizeof(uint32_t)) : NULL;
        work = 3 * (dw * dh + sw * sh);
        if (job.xstart && job.xcount && job.ystart && job.ycount && job.xweights && yweights && ycover && ycells
            && job.xelement && job.xelement_weights
            && job.ycover && job.yscale) {
            pk_area_table(SW, DW, tile->dst.x, dw, job.xstart, job.xcount, job.xweights, job.xtaps, NULL, NULL);
            pk_shift(job.xstart, dw, tile->src.x, 1);
            for (size_t i = 0; i < 3 * dw; i++) {
                job.xelement[i] = 3 * job.xstart[i / 3] + (int32_t)(i % 3);
                for (size_t k = 0; k < job.xtaps; k++)
                    job.xelement_weights[k * 3 * dw + i] = job.xweights[(i / 3) * job.xtaps + k];
            }
            pk_area_table(SH, DH, tile->dst.y, dh, job.ystart, job.ycount, yweights, job.ytaps, ycover, ycells);
            pk_shift(job.ystart, dh, tile->src.y, 1);
            /* Fixed-point coverage: as many bits (up to 16) as keep 255 * the sum of a cell below 2^31. */
            int bits = 16;
            while (bits > 0 && 255.0 * (double)(job.ytaps + 1) * (double)(1u << bits) >= 2147483647.0)
                bits--;
            for (size_t i = 0; i < dh * job.ytaps; i++)
                job.ycover[i] = (uint32_t)lrint(ycover[i] * (double)(1u << bits));
            /* Divided by the sum of the rounded coverages, not by the cell: the weights then add up
             * to exactly 1, so the coverages' rounding (0.6 of a row is 39322 / 65536) shifts ties
             * either way instead of always up (a bias of +0.05 at 16 rows -> 10). */
            for (size_t i = 0; i < dh; i++) {
                double total = 0.0;
                for (int32_t k = 0; k < job.ycount[i]; k++)
                    total += (double)job.ycover[i * job.ytaps + (size_t)k];
                job.yscale[i] = (float)(1.0 / total);
            }
            pk_parallel_for(dh, work, pk_area_band, &job);
        } else {
            pk_band_failed(&job);
        }
        pk_scratch_free(yweights);
        pk_scratch_free(ycover);
        pk_scratch_free(ycells);
    } else {
        int area_mode = method == PK_RESIZE_AREA;
        int hit = cache != NULL && pk_cache_hit(*cache, 1, area_mode, tile, sw);
        job.xofs = hit ? NULL : pk_scratch(2 * dw * sizeof *job.xofs);
        job.yidx = pk_scratch(2 * dh * sizeof *job.yidx);
        job.alpha = hit ? NULL : pk_scratch(2 * dw * sizeof *job.alpha);
        job.beta = pk_scratch(2 * dh * sizeof *job.beta);
        void *blocks = NULL;
        if ((hit || (job.xofs && job.alpha)) && job.yidx && job.beta) {
            int ready = 1;
            if (hit) {
                job.hplan = (*cache)->hplan;
            } else {
                pk_linear_table(SW, DW, area_mode, 0, tile->dst.x, dw, job.xofs, job.alpha);
                pk_shift(job.xofs, 2 * dw, tile->src.x, 3);
                job.hplan.xofs = job.xofs;
                job.hplan.alpha = job.alpha;
                job.hplan.dst_width = dw;
                job.hplan.src_bytes = 3 * sw;
                ready = pk_linear_h_blocks(&job.hplan, &blocks) == PK_OK;
            }
            pk_linear_table(SH, DH, area_mode, 1, tile->dst.y, dh, job.yidx, job.beta);
            pk_shift(job.yidx, 2 * dh, tile->src.y, 1);
            if (!ready)
                pk_band_failed(&job);
            else if (SH >= 2 * DH) /* two short runs of source pixels per output pixel */
                pk_parallel_for(dh, 3 * 3 * dw * dh, pk_linear_fused_band, &job);
            else
                pk_parallel_for(dh, work, pk_linear_band, &job);
            if (ready && !hit)
                pk_cache_keep(cache, 1, area_mode, tile, sw, &job.xofs, &job.alpha, &blocks, &job);
        } else {
            pk_band_failed(&job);
        }
        pk_scratch_free(blocks);
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
    pk_scratch_free(job.xelement);
    pk_scratch_free(job.xelement_weights);
    pk_scratch_free(job.yscale);
    pk_scratch_free(job.ycover);
    return (pk_status)atomic_load(&job.status);
}

pk_status pk_resize(const pk_image *src, const pk_image *dst, int method)
{
    if (src == NULL || dst == NULL)
        return PK_ERR_NULL;
    pk_resize_tile whole = {
        .src_width = src->width,
        .src_height = src->height,
        .dst_width = dst->width,
        .dst_height = dst->height,
        .src = {0, 0, src->width, src->height},
        .dst = {0, 0, dst->width, dst->height},
    };
    return pk_resize_part(src, dst, method, &whole);
}
