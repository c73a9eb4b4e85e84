/*
 * pipeline.c: a chain of operations run band by band.
 *
 * Level 0 is the source, level i + 1 the result of stage i.  For a band
 * [a, b) of result rows, the rows each level must hold are found backwards
 * (a filter's window reaches `radius` rows beyond the band, a resize reads
 * what pk_resize_tile_source says, a vertical flip mirrors the band, a crop
 * shifts it); then each stage computes its rows of the next level from the
 * rows of its input, forwards.  Every stage computes exactly the rows the
 * whole-image function would (the filters' row functions read rows through
 * the same reflected indices, the resize tiles equal the whole resize), so
 * the result does not depend on the bands.
 *
 * Intermediate levels are scratch buffers of whole rows, one set per band
 * of threads, reused from band to band: a crop is a view of its input, and
 * a point operation whose input is scratch works in place.
 */
#include "internal.h"

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#if (defined(__unix__) || defined(__APPLE__)) && !defined(PK_SANITIZED)
#include <pthread.h>
#define PK_PIPE_SPARE 1
#endif

/* Scratch of one band, all levels together: about the per-core L2 cache and a share of L3
 * (smaller bands spend more of their time on the rows their windows share with the next). */
#define PK_PIPE_SCRATCH ((size_t)2048 << 10)
/* Bands of threads per thread: a thread the system runs late leaves its share to the others. */
#define PK_PIPE_SPLIT 4

typedef struct {
    size_t lo, hi; /* rows [lo, hi) */
} pk_span;

typedef struct {
    const pk_image *src;
    const pk_stage *stages;
    size_t count;
    size_t width[PK_MAX_STAGES + 1], height[PK_MAX_STAGES + 1];
    const pk_image *dst;
    const pk_plane *plane;
    const pk_tensor *tensor;
    size_t band; /* result rows per band */
    size_t bands;
    /* Levels held in a band's own buffer (not views, not worked on in place), their row
     * strides and the most bytes any band needs there; all of a band's buffers are one block. */
    int own[PK_MAX_STAGES + 1];
    size_t stride[PK_MAX_STAGES + 1];
    size_t level_bytes[PK_MAX_STAGES + 1];
    size_t scratch_bytes;
    _Atomic uint64_t counts[3 * 256];
    atomic_int status;
} pk_pipe_job;

static int pk_is_point(int kind)
{
    return kind == PK_STAGE_INVERT || kind == PK_STAGE_APPLY_LUT || kind == PK_STAGE_SWAP_RB
           || kind == PK_STAGE_BLEND || kind == PK_STAGE_FLIP_HORIZONTAL;
}

static int pk_is_terminal(int kind)
{
    return kind == PK_STAGE_TO_GRAY || kind == PK_STAGE_TO_TENSOR || kind == PK_STAGE_HISTOGRAM;
}

/* Rows of the filter's input that its window reaches from result rows [a, b). */
static pk_span pk_window(size_t a, size_t b, size_t reach, size_t height, int whole_when_short)
{
    pk_span s;
    /* A gaussian taller than the image filters every source row once. */
    if (whole_when_short && height < 2 * reach + 1) {
        s.lo = 0;
        s.hi = height;
        return s;
    }
    s.lo = a > reach ? a - reach : 0;
    s.hi = b + reach < height ? b + reach : height;
    return s;
}

/* The rows of stage i's input that computing its result rows `out` reads. */
static pk_status pk_stage_needs(const pk_pipe_job *job, size_t i, pk_span out, pk_span *in)
{
    const pk_stage *st = &job->stages[i];
    size_t h = job->height[i];
    switch (st->kind) {
    case PK_STAGE_FLIP_VERTICAL:
        in->lo = h - out.hi;
        in->hi = h - out.lo;
        return PK_OK;
    case PK_STAGE_CROP:
        in->lo = out.lo + st->y;
        in->hi = out.hi + st->y;
        return PK_OK;
    case PK_STAGE_RESIZE: {
        pk_resize_tile tile;
        memset(&tile, 0, sizeof tile);
        tile.src_width = job->width[i];
        tile.src_height = h;
        tile.dst_width = job->width[i + 1];
        tile.dst_height = job->height[i + 1];
        /* The rows read do not depend on the columns: a one-column strip is enough (and cheap). */
        tile.dst.x = 0;
        tile.dst.y = out.lo;
        tile.dst.width = 1;
        tile.dst.height = out.hi - out.lo;
        pk_status status = pk_resize_tile_source(&tile, st->method);
        if (status != PK_OK)
            return status;
        in->lo = tile.src.y;
        in->hi = tile.src.y + tile.src.height;
        return PK_OK;
    }
    case PK_STAGE_BOX_BLUR:
        *in = pk_window(out.lo, out.hi, st->radius, h, 0);
        return PK_OK;
    case PK_STAGE_GAUSSIAN_BLUR:
        *in = pk_window(out.lo, out.hi, pk_gaussian_radius(st->sigma), h, 1);
        return PK_OK;
    case PK_STAGE_CONVOLVE:
        *in = pk_window(out.lo, out.hi, st->kernel_height / 2, h, 0);
        return PK_OK;
    default:
        *in = out;
        return PK_OK;
    }
}

/* Rows [lo, hi) of a level held at `base` (row lo first), seen as the whole image. */
static pk_image pk_virtual(uint8_t *base, size_t lo, size_t width, size_t height, size_t stride)
{
    pk_image v;
    /* Only rows lo .. hi - 1 are ever addressed through it. */
    v.pixels = (pixel_t *)(void *)(uintptr_t)((uintptr_t)base - lo * stride);
    v.width = width;
    v.height = height;
    v.stride = stride;
    v.writable = 1;
    return v;
}

/* Rows [lo, hi) of a (virtual or real) whole image as an image of their own. */
static pk_image pk_rows_of(const pk_image *whole, size_t lo, size_t hi)
{
    pk_image part = *whole;
    part.pixels = (pixel_t *)(void *)((uint8_t *)whole->pixels + lo * whole->stride);
    part.height = hi - lo;
    part.writable = 1;
    return part;
}

/* ---- each thread's spare scratch ----------------------------------------
 * A thread keeps the scratch block of its last bands for the next pipeline
 * (a thread-specific value, freed when the thread ends): a new block of a
 * few MiB would cost a page fault per 4 KiB on every call.  Only that
 * thread ever reads or writes it. */
typedef struct {
    void *block;
    size_t bytes;
} pk_spare;

#ifdef PK_PIPE_SPARE
/* The spare lives in the thread's own storage (where leak checkers see it); the key only
 * runs pk_spare_release when the thread ends. */
static _Thread_local pk_spare pk_thread_spare PK_TLS_MODEL;
static pthread_key_t pk_spare_key;
static pthread_once_t pk_spare_once = PTHREAD_ONCE_INIT;
static int pk_spare_ready; /* written once, under pk_spare_once */

static void pk_spare_release(void *value)
{
    pk_spare *spare = value;
    pk_scratch_free(spare->block);
    spare->block = NULL;
}

static void pk_spare_init(void)
{
    pk_spare_ready = pthread_key_create(&pk_spare_key, pk_spare_release) == 0;
}

/* This thread's spare, NULL where a block kept there would not be released with the thread. */
static pk_spare *pk_spare_of_thread(int create)
{
    (void)pthread_once(&pk_spare_once, pk_spare_init);
    if (!pk_spare_ready)
        return NULL;
    if (pthread_getspecific(pk_spare_key) == NULL) {
        if (!create || pthread_setspecific(pk_spare_key, &pk_thread_spare) != 0)
            return NULL;
    }
    return &pk_thread_spare;
}
#else
static pk_spare *pk_spare_of_thread(int create)
{
    (void)create;
    return NULL;
}
#endif

/* A block of at least `bytes`: this thread's spare if large enough, else a new one. */
static void *pk_spare_take(size_t bytes, size_t *size)
{
    pk_spare *spare = pk_spare_of_thread(0);
    if (spare != NULL && spare->block != NULL && spare->bytes >= bytes) {
        void *block = spare->block;
        *size = spare->bytes;
        spare->block = NULL;
        return block;
    }
    *size = bytes;
    return pk_scratch(bytes);
}

/* Keeps `block` as this thread's spare (releasing the one it replaces). */
static void pk_spare_give(void *block, size_t size)
{
    if (block == NULL)
        return;
    pk_spare *spare = pk_spare_of_thread(1);
    if (spare == NULL) {
        pk_scratch_free(block);
        return;
    }
    pk_scratch_free(spare->block);
    spare->block = block;
    spare->bytes = size;
}

/* What one band of threads keeps from band to band. */
typedef struct {
    void *block; /* every level's buffer: the thread's spare, reused call after call */
    size_t block_size;
    uint8_t *buffer[PK_MAX_STAGES + 1];
    pk_span have[PK_MAX_STAGES + 1];         /* the rows each buffer holds, from the band before */
    pk_resize_cache *resize[PK_MAX_STAGES]; /* each resize stage's tables along x */
    uint64_t counts[3 * 256];
} pk_pipe_state;

static pk_status pk_run_stage(const pk_pipe_job *job, pk_pipe_state *state, size_t i, const pk_image *in,
                              pk_span in_rows, const pk_image *out, pk_span out_rows)
{
    const pk_stage *st = &job->stages[i];
    pk_image src_part = pk_rows_of(in, in_rows.lo, in_rows.hi);
    switch (st->kind) {
    case PK_STAGE_INVERT: {
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        return pk_invert(&src_part, &d);
    }
    case PK_STAGE_APPLY_LUT: {
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        return pk_apply_lut(&src_part, st->lut, st->lut_size, &d);
    }
    case PK_STAGE_SWAP_RB: {
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        return pk_swap_rb(&src_part, &d);
    }
    case PK_STAGE_FLIP_HORIZONTAL: {
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        return pk_flip_horizontal(&src_part, &d);
    }
    case PK_STAGE_BLEND: {
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        pk_image other = pk_rows_of(st->other, in_rows.lo, in_rows.hi);
        other.writable = st->other->writable;
        return pk_blend(&src_part, &other, st->alpha, &d);
    }
    case PK_STAGE_FLIP_VERTICAL:
    case PK_STAGE_CROP: {
        size_t shift = st->kind == PK_STAGE_CROP ? st->y * in->stride + 3 * st->x : 0;
        size_t n = 3 * job->width[i + 1], h = job->height[i];
        for (size_t y = out_rows.lo; y < out_rows.hi; y++) {
            size_t from = st->kind == PK_STAGE_CROP ? y : h - 1 - y;
            memcpy((uint8_t *)out->pixels + y * out->stride, (const uint8_t *)in->pixels + from * in->stride + shift,
                   n);
        }
        return PK_OK;
    }
    case PK_STAGE_RESIZE: {
        pk_resize_tile tile;
        memset(&tile, 0, sizeof tile);
        tile.src_width = job->width[i];
        tile.src_height = job->height[i];
        tile.dst_width = job->width[i + 1];
        tile.dst_height = job->height[i + 1];
        tile.src.y = in_rows.lo;
        tile.src.width = job->width[i];
        tile.src.height = in_rows.hi - in_rows.lo;
        tile.dst.y = out_rows.lo;
        tile.dst.width = job->width[i + 1];
        tile.dst.height = out_rows.hi - out_rows.lo;
        pk_image d = pk_rows_of(out, out_rows.lo, out_rows.hi);
        return pk_resize_part_cached(&src_part, &d, st->method, &tile, &state->resize[i]);
    }
    case PK_STAGE_BOX_BLUR:
        return pk_box_blur_rows(in, st->radius, out, out_rows.lo, out_rows.hi);
    case PK_STAGE_GAUSSIAN_BLUR:
        return pk_gaussian_blur_rows(in, st->sigma, out, out_rows.lo, out_rows.hi);
    case PK_STAGE_CONVOLVE:
        return pk_convolve_rows(in, st->kernel, st->kernel_width, st->kernel_height, st->scale, st->offset, out,
                                out_rows.lo, out_rows.hi);
    case PK_STAGE_TO_GRAY: {
        pk_plane d = *job->plane;
        d.data += out_rows.lo * d.stride;
        d.height = out_rows.hi - out_rows.lo;
        return pk_to_gray(&src_part, &d);
    }
    case PK_STAGE_TO_TENSOR: {
        pk_tensor d = *job->tensor;
        d.data += out_rows.lo * d.row_stride;
        d.height = out_rows.hi - out_rows.lo;
        return pk_to_tensor(&src_part, st->tensor_scale, st->tensor_bias, &d);
    }
    case PK_STAGE_HISTOGRAM: {
        uint64_t part[3 * 256];
        pk_status status = pk_histogram(&src_part, part);
        for (size_t v = 0; v < 3 * 256 && status == PK_OK; v++)
            state->counts[v] += part[v];
        return status;
    }
    default:
        return PK_ERR_ARGUMENT;
    }
}

/*
 * Result rows [a, b) through every stage.  Bands follow each other down the
 * image, so a level's rows that the previous band also needed are still in
 * its buffer: they move to the front and only the rows below them are
 * computed (and a point operation in place works on those rows only).
 */
static pk_status pk_run_band(const pk_pipe_job *job, pk_pipe_state *state, size_t a, size_t b)
{
    size_t count = job->count;
    pk_span rows[PK_MAX_STAGES + 1];
    size_t fresh[PK_MAX_STAGES + 1]; /* the first row of each level computed in this band */
    pk_status status;
    rows[count].lo = a;
    rows[count].hi = b;
    for (size_t i = count; i-- > 0;)
        if ((status = pk_stage_needs(job, i, rows[i + 1], &rows[i])) != PK_OK)
            return status;
    fresh[0] = rows[0].lo;
    pk_image level = *job->src; /* level i as a whole image (rows[i] of it valid) */
    for (size_t i = 0; i < count; i++) {
        const pk_stage *st = &job->stages[i];
        size_t w = job->width[i + 1], h = job->height[i + 1];
        pk_span wanted = rows[i + 1];
        pk_image next;
        if (i + 1 == count && !pk_is_terminal(st->kind)) {
            next = *job->dst;
        } else if (pk_is_terminal(st->kind)) {
            next = level; /* unused */
        } else if (st->kind == PK_STAGE_CROP) {
            next = level;
            next.pixels = (pixel_t *)(void *)(uintptr_t)((uintptr_t)level.pixels + st->y * level.stride + 3 * st->x);
            next.width = w;
            next.height = h;
            level = next;
            fresh[i + 1] = fresh[i] > st->y + wanted.lo ? fresh[i] - st->y : wanted.lo;
            continue;
        } else if (!job->own[i + 1]) {
            next = level; /* a point operation on this band's own rows: in place, on the new ones */
            wanted.lo = fresh[i] > wanted.lo ? fresh[i] : wanted.lo;
        } else {
            size_t stride = job->stride[i + 1];
            pk_span had = state->have[i + 1];
            if ((wanted.hi - wanted.lo) * stride > job->level_bytes[i + 1])
                return PK_ERR_ARGUMENT; /* cannot happen: the sizes were worked out from these very bands */
            if (had.lo <= wanted.lo && wanted.lo < had.hi && had.hi <= wanted.hi) {
                uint8_t *buffer = state->buffer[i + 1];
                memmove(buffer, buffer + (wanted.lo - had.lo) * stride, (had.hi - wanted.lo) * stride);
                wanted.lo = had.hi;
            }
            state->have[i + 1] = rows[i + 1];
            next = pk_virtual(state->buffer[i + 1], rows[i + 1].lo, w, h, stride);
        }
        if (wanted.lo > wanted.hi)
            wanted.lo = wanted.hi;
        fresh[i + 1] = wanted.lo;
        if (wanted.lo < wanted.hi) {
            /* Point operations read exactly the rows they write; the others read what they need from rows[i]. */
            pk_span from = pk_is_point(st->kind) ? wanted : rows[i];
            if ((status = pk_run_stage(job, state, i, &level, from, &next, wanted)) != PK_OK)
                return status;
        }
        level = next;
    }
    return PK_OK;
}

/* Which levels need a buffer of their own, and the most bytes any band puts there. */
static pk_status pk_plan_levels(pk_pipe_job *job)
{
    size_t count = job->count;
    int scratch = 0; /* whether level i lies in a band's own buffers */
    for (size_t i = 0; i < count; i++) {
        int kind = job->stages[i].kind;
        job->own[i + 1] = 0;
        if ((i + 1 == count && !pk_is_terminal(kind)) || pk_is_terminal(kind) || kind == PK_STAGE_CROP)
            continue; /* the output, nothing, or a view of level i */
        if (!(pk_is_point(kind) && scratch))
            job->own[i + 1] = 1;
        scratch = 1;
        job->stride[i + 1] = (3 * job->width[i + 1] + 63) & ~(size_t)63;
    }
    size_t rh = job->height[count];
    for (size_t k = 0; k < job->bands; k++) {
        pk_span rows[PK_MAX_STAGES + 1];
        rows[count].lo = k * job->band;
        rows[count].hi = rows[count].lo + job->band < rh ? rows[count].lo + job->band : rh;
        for (size_t i = count; i-- > 0;) {
            pk_status status = pk_stage_needs(job, i, rows[i + 1], &rows[i]);
            if (status != PK_OK)
                return status;
        }
        for (size_t i = 1; i < count; i++) {
            size_t bytes = 0;
            if (job->own[i] && !pk_mul_size(rows[i].hi - rows[i].lo, job->stride[i], &bytes))
                return PK_ERR_OVERFLOW;
            job->level_bytes[i] = bytes > job->level_bytes[i] ? bytes : job->level_bytes[i];
        }
    }
    job->scratch_bytes = 0;
    for (size_t i = 1; i < count; i++)
        if (!pk_add_size(job->scratch_bytes, job->level_bytes[i], &job->scratch_bytes))
            return PK_ERR_OVERFLOW;
    return PK_OK;
}

static void pk_pipe_bands(void *context, size_t begin, size_t end)
{
    pk_pipe_job *job = context;
    pk_pipe_state state;
    memset(&state, 0, sizeof state);
    pk_status status = PK_OK;
    size_t rows = job->height[job->count];
    if (job->scratch_bytes > 0) {
        state.block = pk_spare_take(job->scratch_bytes, &state.block_size);
        status = state.block != NULL ? PK_OK : PK_ERR_NO_MEMORY;
        uint8_t *at = state.block;
        for (size_t i = 1; i < job->count && status == PK_OK; i++) {
            state.buffer[i] = at;
            at += job->level_bytes[i];
        }
    }
    for (size_t k = begin; k < end && status == PK_OK; k++) {
        size_t a = k * job->band, b = a + job->band < rows ? a + job->band : rows;
        status = pk_run_band(job, &state, a, b);
    }
    if (status == PK_OK && job->stages[job->count - 1].kind == PK_STAGE_HISTOGRAM)
        for (size_t v = 0; v < 3 * 256; v++)
            atomic_fetch_add_explicit(&job->counts[v], state.counts[v], memory_order_relaxed);
    pk_spare_give(state.block, state.block_size);
    for (size_t i = 0; i < job->count; i++)
        pk_resize_cache_free(state.resize[i]);
    if (status != PK_OK) {
        int expected = PK_OK;
        atomic_compare_exchange_strong(&job->status, &expected, (int)status);
    }
}

/* Checks the stages and works out every level's size. */
static pk_status pk_check_stages(pk_pipe_job *job)
{
    for (size_t i = 0; i < job->count; i++) {
        const pk_stage *st = &job->stages[i];
        size_t w = job->width[i], h = job->height[i];
        pk_status status;
        if (pk_is_terminal(st->kind) && i + 1 != job->count)
            return PK_ERR_ARGUMENT;
        switch (st->kind) {
        case PK_STAGE_INVERT:
        case PK_STAGE_SWAP_RB:
        case PK_STAGE_FLIP_HORIZONTAL:
        case PK_STAGE_FLIP_VERTICAL:
        case PK_STAGE_TO_GRAY:
        case PK_STAGE_HISTOGRAM:
            break;
        case PK_STAGE_APPLY_LUT:
            if (st->lut == NULL)
                return PK_ERR_NULL;
            if (st->lut_size != 256 && st->lut_size != 3 * 256)
                return PK_ERR_ARGUMENT;
            break;
        case PK_STAGE_BLEND:
            if ((status = pk_image_validate(st->other)) != PK_OK)
                return status;
            if (st->other->width != w || st->other->height != h)
                return PK_ERR_SHAPE;
            if (!(st->alpha >= 0.0 && st->alpha <= 1.0))
                return PK_ERR_ARGUMENT;
            break;
        case PK_STAGE_CROP:
            if (st->width < 1 || st->height < 1 || st->x > w || st->y > h || st->width > w - st->x
                || st->height > h - st->y)
                return PK_ERR_ARGUMENT;
            w = st->width;
            h = st->height;
            break;
        case PK_STAGE_RESIZE:
            if (st->method != PK_RESIZE_NEAREST && st->method != PK_RESIZE_BILINEAR && st->method != PK_RESIZE_AREA)
                return PK_ERR_ARGUMENT;
            if (st->width < 1 || st->height < 1 || st->width > PK_MAX_DIMENSION || st->height > PK_MAX_DIMENSION)
                return PK_ERR_SIZE;
            w = st->width;
            h = st->height;
            break;
        case PK_STAGE_BOX_BLUR:
            if (st->radius > PK_MAX_BLUR_RADIUS)
                return PK_ERR_ARGUMENT;
            break;
        case PK_STAGE_GAUSSIAN_BLUR:
            if (!(st->sigma > 0.0 && st->sigma <= PK_MAX_GAUSSIAN_SIGMA))
                return PK_ERR_ARGUMENT;
            break;
        case PK_STAGE_CONVOLVE: {
            /* The same checks as pk_convolve's, on a one-pixel image. */
            pixel_t one = {0, 0, 0}, two = {0, 0, 0};
            pk_image a = {&one, 1, 1, 3, 1}, b = {&two, 1, 1, 3, 1};
            if ((status = pk_convolve(&a, st->kernel, st->kernel_width, st->kernel_height, st->scale, st->offset,
                                      &b))
                != PK_OK)
                return status;
            break;
        }
        case PK_STAGE_TO_TENSOR:
            if (st->tensor_scale == NULL || st->tensor_bias == NULL)
                return PK_ERR_NULL;
            break;
        default:
            return PK_ERR_ARGUMENT;
        }
        job->width[i + 1] = w;
        job->height[i + 1] = h;
    }
    return PK_OK;
}

/* Whether `image` shares a byte with the region of `row` bytes x `rows` at `data`. */
static int pk_touches(const pk_image *image, const void *data, size_t row, size_t rows, size_t stride)
{
    return pk_regions_overlap(image->pixels, 3 * image->width, image->height, image->stride, data, row, rows, stride);
}

static pk_status pk_check_output(const pk_pipe_job *job, const void *data, size_t row, size_t rows, size_t stride)
{
    if (pk_touches(job->src, data, row, rows, stride))
        return PK_ERR_OVERLAP;
    for (size_t i = 0; i < job->count; i++)
        if (job->stages[i].kind == PK_STAGE_BLEND && pk_touches(job->stages[i].other, data, row, rows, stride))
            return PK_ERR_OVERLAP;
    return PK_OK;
}

pk_status pk_pipeline(const pk_image *src, const pk_stage *stages, size_t count, const pk_image *dst,
                      const pk_plane *plane, const pk_tensor *tensor, uint64_t *counts)
{
    pk_status status;
    if ((status = pk_image_validate(src)) != PK_OK)
        return status;
    if (count > PK_MAX_STAGES)
        return PK_ERR_ARGUMENT;
    if (count > 0 && stages == NULL)
        return PK_ERR_NULL;
    pk_pipe_job *job = pk_scratch(sizeof *job);
    if (job == NULL)
        return PK_ERR_NO_MEMORY;
    memset(job, 0, sizeof *job);
    job->src = src;
    job->stages = stages;
    job->count = count;
    job->width[0] = src->width;
    job->height[0] = src->height;
    job->dst = dst;
    job->plane = plane;
    job->tensor = tensor;
    atomic_init(&job->status, PK_OK);
    for (size_t v = 0; v < 3 * 256; v++)
        atomic_init(&job->counts[v], 0);
    status = pk_check_stages(job);
    int last = count ? stages[count - 1].kind : -1;
    size_t rw = job->width[count], rh = job->height[count];
    /* The output the last stage writes: checked as its own function would. */
    if (status == PK_OK && last == PK_STAGE_TO_GRAY) {
        if ((status = pk_plane_validate(plane)) == PK_OK) {
            if (!plane->writable)
                status = PK_ERR_READONLY;
            else if (plane->width != rw || plane->height != rh)
                status = PK_ERR_SHAPE;
            else
                status = pk_check_output(job, plane->data, plane->width, plane->height, plane->stride);
        }
    } else if (status == PK_OK && last == PK_STAGE_TO_TENSOR) {
        if (tensor == NULL)
            status = PK_ERR_NULL;
        else if (tensor->width != rw || tensor->height != rh)
            status = PK_ERR_SHAPE;
        /* pk_to_tensor checks the rest on each band. */
    } else if (status == PK_OK && last == PK_STAGE_HISTOGRAM) {
        if (counts == NULL)
            status = PK_ERR_NULL;
    } else if (status == PK_OK) {
        if ((status = pk_image_validate(dst)) == PK_OK) {
            if (!dst->writable)
                status = PK_ERR_READONLY;
            else if (dst->width != rw || dst->height != rh)
                status = PK_ERR_SHAPE;
            else
                status = pk_check_output(job, dst->pixels, 3 * dst->width, dst->height, dst->stride);
        }
    }
    if (status == PK_OK && count == 0) {
        for (size_t y = 0; y < src->height; y++)
            memcpy((uint8_t *)dst->pixels + y * dst->stride, (const uint8_t *)src->pixels + y * src->stride,
                   3 * src->width);
    } else if (status == PK_OK) {
        /* Band height: double it while one band's levels fit PK_PIPE_SCRATCH. */
        size_t band = 1, work = 0;
        for (;;) {
            size_t next = 2 * band, bytes = 0;
            if (band >= rh)
                break;
            pk_span rows[PK_MAX_STAGES + 1];
            rows[count].lo = 0;
            rows[count].hi = next < rh ? next : rh;
            for (size_t i = count; i-- > 0 && status == PK_OK;) {
                status = pk_stage_needs(job, i, rows[i + 1], &rows[i]);
                size_t level;
                if (i > 0 && (!pk_mul_size(rows[i].hi - rows[i].lo, 3 * job->width[i], &level)
                              || !pk_add_size(bytes, level, &bytes)))
                    bytes = SIZE_MAX;
            }
            if (status != PK_OK || bytes > PK_PIPE_SCRATCH)
                break;
            band = next;
        }
        if (band > rh)
            band = rh;
        for (size_t i = 0; i <= count; i++) {
            size_t level; /* the work only decides the threads: saturate */
            if (!pk_mul_size(3 * job->width[i], job->height[i], &level) || !pk_add_size(work, level, &work))
                work = SIZE_MAX;
        }
        job->band = band;
        job->bands = (rh + band - 1) / band;
        if (status == PK_OK)
            status = pk_plan_levels(job);
        if (status == PK_OK) {
            pk_parallel_for_bands(job->bands, work, job->bands, PK_PIPE_SPLIT, pk_pipe_bands, job);
            status = (pk_status)atomic_load(&job->status);
        }
        if (status == PK_OK && last == PK_STAGE_HISTOGRAM)
            for (size_t v = 0; v < 3 * 256; v++)
                counts[v] = atomic_load(&job->counts[v]);
    }
    pk_scratch_free(job);
    return status;
}
