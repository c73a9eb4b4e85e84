/*
 * filter.c: box and gaussian blurs with reflect-101 borders
 * (OpenCV's BORDER_REFLECT_101: ... 2 1 | 0 1 2 ... n-1 | n-2 ...).
 *
 * Both are separable.  Output rows are split in bands; each band keeps what
 * its window needs (the box: column sums; the gaussian: horizontally
 * filtered source rows), so results do not depend on the number of bands.
 */
#include "internal.h"
#include "kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

/* Above this, a gaussian band's ring of filtered rows is split in column strips. */
#define PK_RING_BYTES ((size_t)32 << 20)
/* All the bands of one call together keep at most about this much scratch:
 * with many threads each band's ring gets a share (at least PK_RING_MIN),
 * and a call whose bands would still need more runs in fewer bands. */
#define PK_SCRATCH_TOTAL ((size_t)256 << 20)
#define PK_RING_MIN ((size_t)1 << 20)
/* Outputs of at least this many bytes are stored past the cache by the small
 * boxes: they would not stay there, and skipping the read-for-ownership of
 * each output line is what such boxes, bound by memory, gain most from. */
#define PK_STREAM_BYTES ((size_t)16 << 20)

/* The ring budget of one band when the call may run in pk_num_threads() bands. */
static size_t pk_ring_budget(void)
{
    size_t threads = (size_t)pk_num_threads(), share = PK_SCRATCH_TOTAL / (threads ? threads : 1);
    return share > PK_RING_BYTES ? PK_RING_BYTES : share < PK_RING_MIN ? PK_RING_MIN : share;
}

/* How many bands keep `per_band` bytes each within PK_SCRATCH_TOTAL. */
static size_t pk_band_limit(size_t per_band)
{
    size_t bands = PK_SCRATCH_TOTAL / (per_band ? per_band : 1);
    return bands ? bands : 1;
}

typedef struct {
    const pk_kernels *kernels;
    const pk_image *src, *dst;
    size_t radius;
    uint16_t taps[2 * 3 * PK_MAX_GAUSSIAN_SIGMA + 2];
    size_t strip; /* gaussian: output columns per strip */
    int stream;   /* box: store outputs past the cache (an output much larger than it) */
    atomic_int status;
} pk_filter_job;

static size_t pk_reflect101(long i, size_t n)
{
    if (n == 1)
        return 0;
    long period = 2 * (long)n - 2;
    i %= period;
    if (i < 0)
        i += period;
    return (size_t)(i < (long)n ? i : period - i);
}

/* Source row y, columns [x0 - r, x1 + r) with reflected borders, into padded. */
static void pk_pad_row(const pk_image *src, size_t y, size_t x0, size_t x1, size_t radius, uint8_t *padded)
{
    const uint8_t *row = (const uint8_t *)src->pixels + y * src->stride;
    long first = (long)x0 - (long)radius, last = (long)x1 + (long)radius; /* [first, last) */
    long inner_first = first < 0 ? 0 : first;
    long inner_last = last > (long)src->width ? (long)src->width : last;
    for (long i = first; i < inner_first; i++)
        memcpy(padded + 3 * (i - first), row + 3 * pk_reflect101(i, src->width), 3);
    if (inner_last > inner_first)
        memcpy(padded + 3 * (inner_first - first), row + 3 * inner_first, 3 * (size_t)(inner_last - inner_first));
    for (long i = inner_last > inner_first ? inner_last : inner_first; i < last; i++)
        memcpy(padded + 3 * (i - first), row + 3 * pk_reflect101(i, src->width), 3);
}

/* Asks for a source row a few rows before it is needed: at large sizes the
 * rows come from memory, and the window reaches them one short row at a time. */
static void pk_prefetch_row(const uint8_t *row, size_t n)
{
#if defined(__GNUC__)
    for (size_t i = 0; i < n; i += 64)
        __builtin_prefetch(row + i);
#else
    (void)row;
    (void)n;
#endif
}

/* The same for a row about to be written. */
static void pk_prefetch_out(uint8_t *row, size_t n)
{
#if defined(__GNUC__)
    for (size_t i = 0; i < n; i += 64)
        __builtin_prefetch(row + i, 1);
#else
    (void)row;
    (void)n;
#endif
}

static void pk_filter_failed(pk_filter_job *job)
{
    atomic_store(&job->status, PK_ERR_NO_MEMORY);
}

/* ---- box ---------------------------------------------------------------- */

/*
 * Running sums both ways, so the cost hardly depends on the radius.  Each
 * band keeps column sums of the window (the entering source row added, the
 * leaving one subtracted), 16-bit up to radius PK_SUMS_BOX and 32-bit
 * beyond, inside a row padded by radius reflected pixels.  Each output row
 * then takes horizontal window sums of them: added directly for radius 1 to
 * 3, else as the difference of two running sums along the row (16-bit while
 * a window sum fits, radius 7, else 32-bit).  The division rounds to
 * nearest, exactly: 16-bit sums with pk_box_magic, 32-bit ones in single
 * precision while 1 / (2 area) stays well above its rounding error (radius
 * 39, checked exhaustively for every sum), in double beyond.
 */
#define PK_DIRECT_BOX 3
#define PK_SUMS16_BOX 7
#define PK_FLOAT_BOX 39
#define PK_SUMS_BOX 127

/* half = (area - 1) / 2 and floor(t / area) = ((t * magic) >> 16) >> shift for
 * every t up to 255 area + half, area odd and at most 225: the largest shift
 * that keeps magic = ceil(2^(16 + shift) / area) within 16 bits (checked
 * exhaustively for every such area). */
static void pk_box_magic(uint32_t area, uint16_t *half, uint16_t *magic, unsigned *shift)
{
    unsigned s = 0;
    while ((((uint64_t)1 << (17 + s)) + area - 1) / area < 65536)
        s++;
    *half = (uint16_t)((area - 1) / 2);
    *magic = (uint16_t)((((uint64_t)1 << (16 + s)) + area - 1) / area);
    *shift = s;
}

static void pk_box_sums_band(void *context, size_t begin, size_t end)
{
    pk_filter_job *job = context;
    const pk_kernels *k = job->kernels;
    size_t width = job->src->width, height = job->src->height, n = 3 * width, r = job->radius;
    size_t padded_n = 3 * (width + 2 * r), span = 3 * (2 * r + 1);
    uint32_t area = (uint32_t)((2 * r + 1) * (2 * r + 1));
    uint16_t half = 0, magic = 0;
    unsigned shift = 0;
    if (r <= PK_SUMS16_BOX)
        pk_box_magic(area, &half, &magic, &shift);
    float inverse = 1.0f / (float)area;
    int wide = r > PK_SUMS_BOX; /* 32-bit column sums */
    size_t sum_bytes = wide ? sizeof(uint32_t) : sizeof(uint16_t);
    size_t pre_bytes = r <= PK_DIRECT_BOX ? 0 : r <= PK_SUMS16_BOX ? sizeof(uint16_t) : sizeof(uint32_t);
    uint8_t *padded = pk_scratch(padded_n * sum_bytes);
    void *pre = pk_scratch((padded_n + 3) * pre_bytes);
    if (padded == NULL || pre == NULL) {
        pk_scratch_free(padded);
        pk_scratch_free(pre);
        pk_filter_failed(job);
        return;
    }
    if (pre_bytes != 0)
        memset(pre, 0, 3 * pre_bytes);
    uint8_t *sums = padded + 3 * r * sum_bytes; /* column 0 */
    uint16_t *sums16 = (uint16_t *)(void *)sums;
    uint32_t *sums32 = (uint32_t *)(void *)sums;
    const uint8_t *pixels = (const uint8_t *)job->src->pixels;
    size_t stride = job->src->stride;
    memset(sums, 0, n * sum_bytes);
    for (long t = -(long)r; t <= (long)r; t++) {
        const uint8_t *row = pixels + pk_reflect101((long)begin + t, height) * stride;
        if (wide)
            k->add_u8w(sums32, row, n);
        else
            k->add_u8(sums16, row, n);
    }
    for (size_t y = begin; y < end; y++) {
        for (size_t j = 1; j <= r; j++) {
            size_t left = pk_reflect101(-(long)j, width), right = pk_reflect101((long)(width - 1 + j), width);
            memcpy(sums - 3 * j * sum_bytes, sums + 3 * left * sum_bytes, 3 * sum_bytes);
            memcpy(sums + 3 * (width - 1 + j) * sum_bytes, sums + 3 * right * sum_bytes, 3 * sum_bytes);
        }
        uint8_t *out = (uint8_t *)job->dst->pixels + y * job->dst->stride;
        const uint8_t *entering = pixels + pk_reflect101((long)y + (long)r + 1, height) * stride;
        const uint8_t *leaving = pixels + pk_reflect101((long)y - (long)r, height) * stride;
        if (r <= PK_DIRECT_BOX && y + 1 < end) {
            /* The next row's column sums are made on the way. */
            k->box_h16_slide((uint16_t *)(void *)padded, out, width, r, half, magic, shift, job->stream, entering,
                             leaving);
            pk_prefetch_row(pixels + pk_reflect101((long)y + (long)r + 3, height) * stride, n);
            if (!job->stream && y + 3 < end)
                pk_prefetch_out((uint8_t *)job->dst->pixels + (y + 3) * job->dst->stride, n);
            continue;
        }
        if (r <= PK_DIRECT_BOX) {
            k->box_h16((const uint16_t *)(void *)padded, out, width, r, half, magic, shift, job->stream);
        } else if (r <= PK_SUMS16_BOX) {
            uint16_t *pre16 = pre;
            k->scan3_u16((const uint16_t *)(void *)padded, pre16 + 3, padded_n);
            k->box_diff16(pre16, out, n, span, half, magic, shift, job->stream);
        } else {
            uint32_t *pre32 = pre;
            if (wide)
                k->scan3_u32w((const uint32_t *)(void *)padded, pre32 + 3, padded_n);
            else
                k->scan3_u32((const uint16_t *)(void *)padded, pre32 + 3, padded_n);
            if (r <= PK_FLOAT_BOX)
                k->box_diff32(pre32, out, n, span, inverse);
            else
                k->box_diff32d(pre32, out, n, span, 1.0 / (double)area);
        }
        if (y + 1 == end)
            break;
        if (wide)
            k->slide_u8w(sums32, entering, leaving, n);
        else
            k->slide_u8(sums16, entering, leaving, n);
        pk_prefetch_row(pixels + pk_reflect101((long)y + (long)r + 3, height) * stride, n);
        if (!job->stream && y + 3 < end)
            pk_prefetch_out((uint8_t *)job->dst->pixels + (y + 3) * job->dst->stride, n);
    }
    pk_scratch_free(padded);
    pk_scratch_free(pre);
}

static void pk_copy_rows(const pk_image *src, const pk_image *dst)
{
    for (size_t y = 0; y < src->height; y++)
        memcpy((uint8_t *)dst->pixels + y * dst->stride, (const uint8_t *)src->pixels + y * src->stride,
               3 * src->width);
}

pk_status pk_box_blur_rows(const pk_image *src, size_t radius, const pk_image *dst, size_t begin, size_t end)
{
    if (radius == 0) {
        for (size_t y = begin; y < end; y++)
            memcpy((uint8_t *)dst->pixels + y * dst->stride, (const uint8_t *)src->pixels + y * src->stride,
                   3 * src->width);
        return PK_OK;
    }
    pk_filter_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst, .radius = radius};
    atomic_init(&job.status, PK_OK);
    if (begin < end)
        pk_box_sums_band(&job, begin, end);
    return (pk_status)atomic_load(&job.status);
}

pk_status pk_box_blur(const pk_image *src, size_t radius, const pk_image *dst)
{
    pk_status status = pk_check_pair(src, dst, PK_SAME_SIZE, 0);
    if (status != PK_OK)
        return status;
    if (radius > PK_MAX_BLUR_RADIUS)
        return PK_ERR_ARGUMENT;
    if (radius == 0) {
        pk_copy_rows(src, dst);
        return PK_OK;
    }
    pk_filter_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst, .radius = radius};
    job.stream = 3 * src->width * src->height >= PK_STREAM_BYTES;
    atomic_init(&job.status, PK_OK);
    /* Scratch of one band (the sizes fit: the image's rows already do, times a small factor). */
    size_t padded_n = 3 * (src->width + 2 * radius);
    size_t per_band = padded_n * (sizeof(uint32_t) + sizeof(uint32_t)) + 3 * sizeof(uint32_t);
    /* A band starts with 2 radius + 1 rows of column sums: small boxes split finer. */
    size_t split = radius <= PK_SUMS16_BOX ? 4 : 1;
    pk_parallel_for_bands(src->height, 8 * 3 * src->width * src->height, pk_band_limit(per_band), split,
                          pk_box_sums_band, &job);
    return (pk_status)atomic_load(&job.status);
}

/* ---- gaussian ---------------------------------------------------------------- */

/*
 * The kernel in 8-bit fixed point (sum exactly 256), as OpenCV builds it
 * for 8-bit images: weights exp(-x^2 / (2 sigma^2)) normalised, rounded
 * from the outside in while carrying each rounding error to the next tap,
 * and the centre takes what is left.
 */
static void pk_gaussian_taps(double sigma, size_t radius, uint16_t *taps)
{
    size_t count = 2 * radius + 1;
    double weights[2 * 3 * PK_MAX_GAUSSIAN_SIGMA + 2], sum = 0.0, error = 0.0;
    long total = 0;
    for (size_t i = 0; i < count; i++) {
        double x = (double)i - (double)radius;
        weights[i] = exp(-(x * x) / (2.0 * sigma * sigma));
        sum += weights[i];
    }
    for (size_t i = 0; i < radius; i++) {
        double exact = weights[i] / sum * 256.0 + error;
        long rounded = lrint(exact);
        error = exact - (double)rounded;
        taps[i] = taps[count - 1 - i] = (uint16_t)rounded;
        total += 2 * rounded;
    }
    taps[radius] = (uint16_t)(256 - total);
}

static void pk_gauss_band(void *context, size_t begin, size_t end)
{
    pk_filter_job *job = context;
    const pk_kernels *k = job->kernels;
    size_t width = job->src->width, height = job->src->height, r = job->radius, taps = 2 * r + 1;
    size_t strip = job->strip, n = 3 * strip;
    /* A window taller than the image sees each source row many times (reflected):
     * filter each source row once instead of once per window position. */
    int distinct = height < taps;
    size_t slots = distinct ? height : taps;
    uint8_t *padded = pk_scratch(3 * (strip + 2 * r));
    uint16_t *ring = pk_scratch(slots * n * sizeof *ring);
    const uint16_t **rows = pk_scratch(taps * sizeof *rows);
    if (padded == NULL || ring == NULL || rows == NULL) {
        pk_scratch_free(padded);
        pk_scratch_free(ring);
        pk_scratch_free((void *)rows);
        pk_filter_failed(job);
        return;
    }
    for (size_t x0 = 0; x0 < width; x0 += strip) {
        size_t x1 = x0 + strip < width ? x0 + strip : width, w = x1 - x0;
        if (distinct) {
            /* Slot s holds source row s. */
            for (size_t s = 0; s < height; s++) {
                pk_pad_row(job->src, s, x0, x1, r, padded);
                k->gauss_h(padded, ring + s * n, w, job->taps, r);
            }
            for (size_t y = begin; y < end; y++) {
                for (size_t t = 0; t < taps; t++)
                    rows[t] = ring + pk_reflect101((long)y - (long)r + (long)t, height) * n;
                k->gauss_v(rows, (uint8_t *)job->dst->pixels + y * job->dst->stride + 3 * x0, 3 * w, job->taps,
                           r);
            }
            continue;
        }
        /* Slot t of the ring holds the source row of window position t. */
        for (size_t t = 0; t < taps; t++) {
            pk_pad_row(job->src, pk_reflect101((long)begin - (long)r + (long)t, height), x0, x1, r, padded);
            k->gauss_h(padded, ring + t * n, w, job->taps, r);
        }
        size_t oldest = 0;
        for (size_t y = begin; y < end; y++) {
            for (size_t t = 0; t < taps; t++)
                rows[t] = ring + ((oldest + t) % taps) * n;
            k->gauss_v(rows, (uint8_t *)job->dst->pixels + y * job->dst->stride + 3 * x0, 3 * w, job->taps, r);
            if (y + 1 == end)
                break;
            pk_pad_row(job->src, pk_reflect101((long)y + (long)r + 1, height), x0, x1, r, padded);
            k->gauss_h(padded, ring + oldest * n, w, job->taps, r);
            oldest = (oldest + 1) % taps;
            pk_prefetch_row((const uint8_t *)job->src->pixels
                                + pk_reflect101((long)y + (long)r + 3, height) * job->src->stride + 3 * x0,
                            3 * w);
            if (y + 3 < end)
                pk_prefetch_out((uint8_t *)job->dst->pixels + (y + 3) * job->dst->stride + 3 * x0, 3 * w);
        }
    }
    pk_scratch_free(padded);
    pk_scratch_free(ring);
    pk_scratch_free((void *)rows);
}

size_t pk_gaussian_radius(double sigma)
{
    if (!(sigma > 0.0 && sigma <= PK_MAX_GAUSSIAN_SIGMA)) /* also refuses NaN */
        return 0;
    /* OpenCV's size for 8-bit images: round(sigma * 3 * 2 + 1), made odd. */
    return ((size_t)lrint(sigma * 6.0 + 1.0) | 1) / 2;
}

pk_status pk_gaussian_blur_rows(const pk_image *src, double sigma, const pk_image *dst, size_t begin, size_t end)
{
    pk_filter_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst, .radius = pk_gaussian_radius(sigma)};
    atomic_init(&job.status, PK_OK);
    pk_gaussian_taps(sigma, job.radius, job.taps);
    job.strip = src->width;
    if (begin < end)
        pk_gauss_band(&job, begin, end);
    return (pk_status)atomic_load(&job.status);
}

pk_status pk_gaussian_blur(const pk_image *src, double sigma, const pk_image *dst)
{
    pk_status status = pk_check_pair(src, dst, PK_SAME_SIZE, 0);
    if (status != PK_OK)
        return status;
    if (!(sigma > 0.0 && sigma <= PK_MAX_GAUSSIAN_SIGMA)) /* also refuses NaN */
        return PK_ERR_ARGUMENT;
    pk_filter_job job = {.kernels = pk_kernels_active(), .src = src, .dst = dst, .radius = pk_gaussian_radius(sigma)};
    atomic_init(&job.status, PK_OK);
    pk_gaussian_taps(sigma, job.radius, job.taps);
    /* Column strips keep each band's ring of filtered rows within its budget. */
    size_t taps = 2 * job.radius + 1, per_column = taps * 3 * sizeof(uint16_t);
    job.strip = pk_ring_budget() / per_column;
    if (job.strip < 64)
        job.strip = 64;
    if (job.strip > src->width)
        job.strip = src->width;
    size_t slots = src->height < taps ? src->height : taps;
    size_t per_band = 3 * (job.strip + 2 * job.radius) + slots * 3 * job.strip * sizeof(uint16_t)
                      + taps * sizeof(const uint16_t *);
    pk_parallel_for_bands(src->height, (2 * job.radius + 2) * 3 * src->width * src->height,
                          pk_band_limit(per_band), 1, pk_gauss_band, &job);
    return (pk_status)atomic_load(&job.status);
}

/* ---- convolve ------------------------------------------------------------------- */

/*
 * A ring of kernel_height source rows padded by kernel_width / 2 reflected
 * pixels; each output row sums the kernel rows into 32-bit accumulators
 * (at most 49 * 255 * PK_MAX_KERNEL_WEIGHT in magnitude, below 2^31), then
 * divides, rounding half to even as OpenCV's float filter2D does at exact
 * ties, adds the offset and saturates.
 */
typedef struct {
    const pk_kernels *kernels;
    const pk_image *src, *dst;
    const int32_t *kernel;
    size_t kw, kh;
    int32_t scale, offset;
    unsigned shift;
    int pow2;
    atomic_int status;
} pk_conv_job;

static void pk_conv_band(void *context, size_t begin, size_t end)
{
    pk_conv_job *job = context;
    const pk_kernels *k = job->kernels;
    size_t width = job->src->width, height = job->src->height, n = 3 * width;
    size_t rx = job->kw / 2, ry = job->kh / 2, taps = job->kh, row_n = 3 * (width + 2 * rx);
    uint8_t *ring = pk_scratch(taps * row_n);
    int32_t *acc = pk_scratch(n * sizeof *acc);
    if (ring == NULL || acc == NULL) {
        pk_scratch_free(ring);
        pk_scratch_free(acc);
        atomic_store(&job->status, PK_ERR_NO_MEMORY);
        return;
    }
    /* Slot (oldest + t) % taps holds the source row of window position t. */
    for (size_t t = 0; t < taps; t++)
        pk_pad_row(job->src, pk_reflect101((long)begin - (long)ry + (long)t, height), 0, width, rx, ring + t * row_n);
    size_t oldest = 0;
    for (size_t y = begin; y < end; y++) {
        for (size_t t = 0; t < taps; t++)
            k->conv_row(ring + ((oldest + t) % taps) * row_n, acc, n, job->kernel + t * job->kw, job->kw, t == 0);
        k->conv_store(acc, (uint8_t *)job->dst->pixels + y * job->dst->stride, n, job->scale, job->shift, job->pow2,
                      job->offset);
        if (y + 1 == end)
            break;
        pk_pad_row(job->src, pk_reflect101((long)y + (long)ry + 1, height), 0, width, rx, ring + oldest * row_n);
        oldest = (oldest + 1) % taps;
    }
    pk_scratch_free(ring);
    pk_scratch_free(acc);
}

static pk_status pk_conv_setup(const int32_t *kernel, size_t kernel_width, size_t kernel_height, int32_t scale,
                               int32_t offset, pk_conv_job *job)
{
    if (kernel == NULL)
        return PK_ERR_NULL;
    if (kernel_width % 2 == 0 || kernel_height % 2 == 0 || kernel_width > PK_MAX_KERNEL_SIZE
        || kernel_height > PK_MAX_KERNEL_SIZE)
        return PK_ERR_ARGUMENT;
    if (scale < 1 || scale > PK_MAX_CONVOLVE_SCALE || offset < -PK_MAX_CONVOLVE_SCALE
        || offset > PK_MAX_CONVOLVE_SCALE)
        return PK_ERR_ARGUMENT;
    for (size_t i = 0; i < kernel_width * kernel_height; i++)
        if (kernel[i] < -PK_MAX_KERNEL_WEIGHT || kernel[i] > PK_MAX_KERNEL_WEIGHT)
            return PK_ERR_ARGUMENT;
    job->kernels = pk_kernels_active();
    job->kernel = kernel;
    job->kw = kernel_width;
    job->kh = kernel_height;
    job->scale = scale;
    job->offset = offset;
    job->shift = 0;
    while (job->shift < 31 && ((int32_t)1 << job->shift) < scale)
        job->shift++;
    job->pow2 = ((int32_t)1 << job->shift) == scale;
    atomic_init(&job->status, PK_OK);
    return PK_OK;
}

pk_status pk_convolve_rows(const pk_image *src, const int32_t *kernel, size_t kernel_width, size_t kernel_height,
                           int32_t scale, int32_t offset, const pk_image *dst, size_t begin, size_t end)
{
    pk_conv_job job;
    pk_status status = pk_conv_setup(kernel, kernel_width, kernel_height, scale, offset, &job);
    if (status != PK_OK)
        return status;
    job.src = src;
    job.dst = dst;
    if (begin < end)
        pk_conv_band(&job, begin, end);
    return (pk_status)atomic_load(&job.status);
}

pk_status pk_convolve(const pk_image *src, const int32_t *kernel, size_t kernel_width, size_t kernel_height,
                      int32_t scale, int32_t offset, const pk_image *dst)
{
    pk_status status = pk_check_pair(src, dst, PK_SAME_SIZE, 0);
    if (status != PK_OK)
        return status;
    pk_conv_job job;
    if ((status = pk_conv_setup(kernel, kernel_width, kernel_height, scale, offset, &job)) != PK_OK)
        return status;
    job.src = src;
    job.dst = dst;
    size_t per_band = kernel_height * 3 * (src->width + 2 * (kernel_width / 2)) + 3 * src->width * sizeof(int32_t);
    pk_parallel_for_bands(src->height, (kernel_height + 1) * 3 * src->width * src->height, pk_band_limit(per_band), 1,
                          pk_conv_band, &job);
    return (pk_status)atomic_load(&job.status);
}
