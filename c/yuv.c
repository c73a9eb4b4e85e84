/*
 * yuv.c: YUV <-> RGB conversions of 8-bit video layouts (pixelkit.h).
 *
 * Rows are converted in segments of PK_YUV_SEGMENT pixels: layouts whose
 * samples are interleaved (nv12, yuyv, ...) are first split into planar
 * rows of a segment on the stack (or merged from them), so one planar loop
 * per direction does the arithmetic for every layout.
 */
#include "internal.h"
#include "kernels.h"

#include <math.h>

/* Pixels of a segment: even, and a multiple of the SIMD loops' 64. */
#define PK_YUV_SEGMENT 2048

/*
 * Bands per thread.  A band costs nothing to start (its scratch is on the
 * stack), so with 4 a thread that the system runs late leaves its share to
 * the others.  Threads from PK_MIN_BAND_WORK bytes of traffic a band: a
 * 1080p frame takes 0.2 ms on one core (AVX-512) and 0.12 ms on two.
 */
#define PK_YUV_SPLIT 4

/* Units of a plane's row and bytes per unit. */
typedef struct {
    size_t units, unit_bytes, rows;
} pk_yuv_geometry;

static int pk_yuv_known(int format)
{
    return format >= PK_YUV_I420 && format <= PK_YUV_I444;
}

int pk_yuv_planes(int format)
{
    switch (format) {
    case PK_YUV_I420:
    case PK_YUV_YV12:
    case PK_YUV_I422:
    case PK_YUV_I444: return 3;
    case PK_YUV_NV12:
    case PK_YUV_NV21: return 2;
    case PK_YUV_YUYV:
    case PK_YUV_UYVY: return 1;
    default: return 0;
    }
}

static int pk_yuv_packed(int format)
{
    return format == PK_YUV_YUYV || format == PK_YUV_UYVY;
}

/* Chroma subsampling: log2 of the horizontal and vertical factors. */
static int pk_yuv_shift_x(int format)
{
    return format == PK_YUV_I444 ? 0 : 1;
}

static int pk_yuv_shift_y(int format)
{
    return format == PK_YUV_I420 || format == PK_YUV_YV12 || format == PK_YUV_NV12 || format == PK_YUV_NV21;
}

static pk_status pk_yuv_geometry_of(int format, size_t width, size_t height, size_t plane, pk_yuv_geometry *out)
{
    if (!pk_yuv_known(format) || plane >= (size_t)pk_yuv_planes(format))
        return PK_ERR_ARGUMENT;
    if (width < 1 || width > PK_MAX_DIMENSION || height < 1 || height > PK_MAX_DIMENSION)
        return PK_ERR_SIZE;
    size_t cw = (width + (size_t)pk_yuv_shift_x(format)) >> pk_yuv_shift_x(format);
    size_t ch = (height + (size_t)pk_yuv_shift_y(format)) >> pk_yuv_shift_y(format);
    if (pk_yuv_packed(format)) {
        if (width % 2 != 0)
            return PK_ERR_ARGUMENT;
        *out = (pk_yuv_geometry){width / 2, 4, height};
    } else if (plane == 0) {
        *out = (pk_yuv_geometry){width, 1, height};
    } else if (format == PK_YUV_NV12 || format == PK_YUV_NV21) {
        *out = (pk_yuv_geometry){cw, 2, ch};
    } else {
        *out = (pk_yuv_geometry){cw, 1, ch};
    }
    return PK_OK;
}

pk_status pk_yuv_plane_size(int format, size_t width, size_t height, size_t plane, size_t *row_bytes, size_t *rows)
{
    pk_yuv_geometry g;
    pk_status status;

    if (row_bytes == NULL || rows == NULL)
        return PK_ERR_NULL;
    if ((status = pk_yuv_geometry_of(format, width, height, plane, &g)) != PK_OK)
        return status;
    *row_bytes = g.units * g.unit_bytes;
    *rows = g.rows;
    return PK_OK;
}

static pk_status pk_yuv_validate(const pk_yuv *yuv)
{
    pk_status status;

    if (yuv == NULL)
        return PK_ERR_NULL;
    if (!pk_yuv_known(yuv->format))
        return PK_ERR_ARGUMENT;
    for (size_t p = 0; p < (size_t)pk_yuv_planes(yuv->format); p++) {
        pk_yuv_geometry g;
        size_t span;
        if ((status = pk_yuv_geometry_of(yuv->format, yuv->width, yuv->height, p, &g)) != PK_OK)
            return status;
        if ((status = pk_check_layout(yuv->data[p], g.units, g.rows, yuv->stride[p], g.unit_bytes, &span)) != PK_OK)
            return status;
    }
    return PK_OK;
}

/* The geometry of plane p of a validated descriptor. */
static pk_yuv_geometry pk_yuv_plane(const pk_yuv *yuv, size_t p)
{
    pk_yuv_geometry g = {0, 0, 0};
    (void)pk_yuv_geometry_of(yuv->format, yuv->width, yuv->height, p, &g);
    return g;
}

/* Whether a plane of yuv shares a byte with the image. */
static int pk_yuv_overlaps(const pk_yuv *yuv, const pk_image *image)
{
    for (size_t p = 0; p < (size_t)pk_yuv_planes(yuv->format); p++) {
        pk_yuv_geometry g = pk_yuv_plane(yuv, p);
        if (pk_regions_overlap(yuv->data[p], g.units * g.unit_bytes, g.rows, yuv->stride[p], image->pixels,
                               3 * image->width, image->height, image->stride))
            return 1;
    }
    return 0;
}

/* Bytes read and written by a conversion, the RGB image and the planes
 * (each of which fits the address space), saturated at SIZE_MAX. */
static size_t pk_yuv_traffic(const pk_yuv *yuv)
{
    size_t bytes = 3 * yuv->width * yuv->height;
    for (size_t p = 0; p < (size_t)pk_yuv_planes(yuv->format); p++) {
        pk_yuv_geometry g = pk_yuv_plane(yuv, p);
        if (!pk_add_size(bytes, g.units * g.unit_bytes * g.rows, &bytes))
            return SIZE_MAX;
    }
    return bytes;
}

static void pk_yuv_kr_kb(int matrix, double *kr, double *kb)
{
    switch (matrix) {
    case PK_YUV_BT709: *kr = 0.2126, *kb = 0.0722; break;
    case PK_YUV_BT2020: *kr = 0.2627, *kb = 0.0593; break;
    default: *kr = 0.299, *kb = 0.114; break;
    }
}

static int32_t pk_fixed(double value, double unit)
{
    return (int32_t)lround(value * unit);
}

/* The coefficients of rows/yuv.h's YUV -> RGB loops. */
static void pk_yuv_rgb_coefficients(int matrix, int range, int32_t coef[8])
{
    double kr, kb;
    pk_yuv_kr_kb(matrix, &kr, &kb);
    double kg = 1.0 - kr - kb;
    int full = range == PK_YUV_FULL;
    double ys = full ? 1.0 : 255.0 / 219.0, cs = full ? 1.0 : 255.0 / 224.0;
    int32_t y0 = full ? 0 : 16;
    const double unit = 8192.0;
    int32_t cy = pk_fixed(ys, unit);
    int32_t cvr = pk_fixed(cs * 2.0 * (1.0 - kr), unit);
    int32_t cug = -pk_fixed(cs * 2.0 * kb * (1.0 - kb) / kg, unit);
    int32_t cvg = -pk_fixed(cs * 2.0 * kr * (1.0 - kr) / kg, unit);
    int32_t cub = pk_fixed(cs * 2.0 * (1.0 - kb), unit);
    int32_t base = 4096 - cy * y0;
    coef[0] = cy;
    coef[1] = cvr;
    coef[2] = cug;
    coef[3] = cvg;
    coef[4] = cub;
    coef[5] = base - 128 * cvr;
    coef[6] = base - 128 * (cug + cvg);
    coef[7] = base - 128 * cub;
}

/* The coefficients of the RGB -> YUV loops. */
static void pk_rgb_yuv_coefficients(int matrix, int range, int32_t coef[12])
{
    double kr, kb;
    pk_yuv_kr_kb(matrix, &kr, &kb);
    int full = range == PK_YUV_FULL;
    double yk = full ? 1.0 : 219.0 / 255.0, ck = full ? 1.0 : 224.0 / 255.0;
    int32_t y0 = full ? 0 : 16;
    const double unit = 32768.0;
    /* Luma's weights sum to yk, chroma's to 0: grey stays grey exactly. */
    coef[0] = pk_fixed(yk * kr, unit);
    coef[2] = pk_fixed(yk * kb, unit);
    coef[1] = pk_fixed(yk, unit) - coef[0] - coef[2];
    coef[3] = (y0 << 15) + (1 << 14);
    coef[4] = -pk_fixed(ck * kr / (2.0 * (1.0 - kb)), unit);
    coef[6] = pk_fixed(ck * 0.5, unit);
    coef[5] = -coef[4] - coef[6];
    coef[7] = (128 << 15) + (1 << 14);
    coef[8] = pk_fixed(ck * 0.5, unit);
    coef[10] = -pk_fixed(ck * kb / (2.0 * (1.0 - kr)), unit);
    coef[9] = -coef[8] - coef[10];
    coef[11] = coef[7];
}

static pk_status pk_yuv_check_settings(int matrix, int range)
{
    if (matrix < PK_YUV_BT601 || matrix > PK_YUV_BT2020 || range < PK_YUV_LIMITED || range > PK_YUV_FULL)
        return PK_ERR_ARGUMENT;
    return PK_OK;
}

typedef struct {
    const pk_kernels *kernels;
    const pk_yuv *yuv;
    const pk_image *image;
    int32_t coef[12];
} pk_yuv_job;

/* Row `row` of plane `plane`. */
static uint8_t *pk_yuv_row(const pk_yuv *yuv, size_t plane, size_t row)
{
    return yuv->data[plane] + row * yuv->stride[plane];
}

static void pk_yuv_rgb_band(void *context, size_t begin, size_t end)
{
    const pk_yuv_job *job = context;
    const pk_kernels *k = job->kernels;
    const pk_yuv *yuv = job->yuv;
    const int format = yuv->format, sx = pk_yuv_shift_x(format), sy = pk_yuv_shift_y(format);
    const size_t width = yuv->width;
    uint8_t ybuf[PK_YUV_SEGMENT], ubuf[PK_YUV_SEGMENT], vbuf[PK_YUV_SEGMENT];

    for (size_t row = begin; row < end; row++) {
        uint8_t *out = (uint8_t *)job->image->pixels + row * job->image->stride;
        size_t crow = row >> sy;
        if (pk_yuv_planes(format) == 3) {
            k->yuv_rgb(pk_yuv_row(yuv, 0, row), pk_yuv_row(yuv, 1, crow), pk_yuv_row(yuv, 2, crow), out, width, sx,
                       job->coef);
            continue;
        }
        for (size_t x = 0; x < width; x += PK_YUV_SEGMENT) {
            size_t n = width - x < PK_YUV_SEGMENT ? width - x : PK_YUV_SEGMENT;
            size_t pairs = (n + 1) / 2;
            if (format == PK_YUV_NV12 || format == PK_YUV_NV21) {
                const uint8_t *uv = pk_yuv_row(yuv, 1, crow) + x;
                if (format == PK_YUV_NV12)
                    k->split2(uv, ubuf, vbuf, pairs);
                else
                    k->split2(uv, vbuf, ubuf, pairs);
                k->yuv_rgb(pk_yuv_row(yuv, 0, row) + x, ubuf, vbuf, out + 3 * x, n, 1, job->coef);
            } else {
                k->split422(pk_yuv_row(yuv, 0, row) + 2 * x, ybuf, ubuf, vbuf, n / 2, format == PK_YUV_UYVY);
                k->yuv_rgb(ybuf, ubuf, vbuf, out + 3 * x, n, 1, job->coef);
            }
        }
    }
}

pk_status pk_yuv_to_rgb(const pk_yuv *src, int matrix, int range, const pk_image *dst)
{
    pk_status status;

    if ((status = pk_yuv_validate(src)) != PK_OK || (status = pk_image_validate(dst)) != PK_OK
        || (status = pk_yuv_check_settings(matrix, range)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    if (pk_yuv_overlaps(src, dst))
        return PK_ERR_OVERLAP;
    pk_yuv_job job = {.kernels = pk_kernels_active(), .yuv = src, .image = dst};
    pk_yuv_rgb_coefficients(matrix, range, job.coef);
    pk_parallel_for_bands(src->height, pk_yuv_traffic(src), SIZE_MAX, PK_YUV_SPLIT, pk_yuv_rgb_band, &job);
    return PK_OK;
}

/* RGB -> YUV over chroma rows [begin, end) (luma rows 2 begin .. for 4:2:0). */
static void pk_rgb_yuv_band(void *context, size_t begin, size_t end)
{
    const pk_yuv_job *job = context;
    const pk_kernels *k = job->kernels;
    const pk_yuv *yuv = job->yuv;
    const pk_image *image = job->image;
    const int format = yuv->format, sy = pk_yuv_shift_y(format);
    const size_t width = yuv->width, cw = (width + 1) / 2;
    const int32_t *coef = job->coef;
    uint8_t ybuf[PK_YUV_SEGMENT], ubuf[PK_YUV_SEGMENT], vbuf[PK_YUV_SEGMENT], uvbuf[PK_YUV_SEGMENT];

    for (size_t crow = begin; crow < end; crow++) {
        size_t first = crow << sy, last = first + ((size_t)1 << sy);
        if (last > yuv->height)
            last = yuv->height;
        const uint8_t *top = (const uint8_t *)image->pixels + first * image->stride;
        if (format == PK_YUV_I444) {
            k->rgb_y(top, pk_yuv_row(yuv, 0, crow), width, coef);
            k->rgb_y(top, pk_yuv_row(yuv, 1, crow), width, coef + 4);
            k->rgb_y(top, pk_yuv_row(yuv, 2, crow), width, coef + 8);
            continue;
        }
        if (format == PK_YUV_I422) {
            k->rgb_y(top, pk_yuv_row(yuv, 0, crow), width, coef);
            k->rgb_uv_mean(top, pk_yuv_row(yuv, 1, crow), pk_yuv_row(yuv, 2, crow), width, coef);
            continue;
        }
        if (pk_yuv_planes(format) == 3) {
            for (size_t row = first; row < last; row++)
                k->rgb_y((const uint8_t *)image->pixels + row * image->stride, pk_yuv_row(yuv, 0, row), width,
                         coef);
            k->rgb_uv(top, pk_yuv_row(yuv, 1, crow), pk_yuv_row(yuv, 2, crow), cw, coef);
            continue;
        }
        if (format == PK_YUV_NV12 || format == PK_YUV_NV21) {
            for (size_t row = first; row < last; row++)
                k->rgb_y((const uint8_t *)image->pixels + row * image->stride, pk_yuv_row(yuv, 0, row), width,
                         coef);
            uint8_t *uv = pk_yuv_row(yuv, 1, crow);
            for (size_t c = 0; c < cw; c += PK_YUV_SEGMENT) {
                size_t n = cw - c < PK_YUV_SEGMENT ? cw - c : PK_YUV_SEGMENT;
                k->rgb_uv(top + 6 * c, ubuf, vbuf, n, coef);
                if (format == PK_YUV_NV12)
                    k->merge2(ubuf, vbuf, uv + 2 * c, n);
                else
                    k->merge2(vbuf, ubuf, uv + 2 * c, n);
            }
            continue;
        }
        /* yuyv, uyvy: even width, one row per chroma row. */
        uint8_t *packed = pk_yuv_row(yuv, 0, crow);
        for (size_t x = 0; x < width; x += PK_YUV_SEGMENT) {
            size_t n = width - x < PK_YUV_SEGMENT ? width - x : PK_YUV_SEGMENT;
            k->rgb_y(top + 3 * x, ybuf, n, coef);
            k->rgb_uv_mean(top + 3 * x, ubuf, vbuf, n, coef);
            k->merge2(ubuf, vbuf, uvbuf, n / 2);
            if (format == PK_YUV_YUYV)
                k->merge2(ybuf, uvbuf, packed + 2 * x, n);
            else
                k->merge2(uvbuf, ybuf, packed + 2 * x, n);
        }
    }
}

pk_status pk_rgb_to_yuv(const pk_image *src, int matrix, int range, const pk_yuv *dst)
{
    pk_status status;

    if ((status = pk_image_validate(src)) != PK_OK || (status = pk_yuv_validate(dst)) != PK_OK
        || (status = pk_yuv_check_settings(matrix, range)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    if (pk_yuv_overlaps(dst, src))
        return PK_ERR_OVERLAP;
    /* The planes of dst must not share bytes either (each is written separately). */
    for (size_t p = 0; p < (size_t)pk_yuv_planes(dst->format); p++)
        for (size_t q = p + 1; q < (size_t)pk_yuv_planes(dst->format); q++) {
            pk_yuv_geometry a = pk_yuv_plane(dst, p), b = pk_yuv_plane(dst, q);
            if (pk_regions_overlap(dst->data[p], a.units * a.unit_bytes, a.rows, dst->stride[p], dst->data[q],
                                   b.units * b.unit_bytes, b.rows, dst->stride[q]))
                return PK_ERR_OVERLAP;
        }
    pk_yuv_job job = {.kernels = pk_kernels_active(), .yuv = dst, .image = src};
    pk_rgb_yuv_coefficients(matrix, range, job.coef);
    size_t chroma_rows = (dst->height + (size_t)pk_yuv_shift_y(dst->format)) >> pk_yuv_shift_y(dst->format);
    pk_parallel_for_bands(chroma_rows, pk_yuv_traffic(dst), SIZE_MAX, PK_YUV_SPLIT, pk_rgb_yuv_band, &job);
    return PK_OK;
}
