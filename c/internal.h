/*
 * internal.h: helpers shared by the files in c/, not part of the public API.
 */
#ifndef PIXELKIT_INTERNAL_H
#define PIXELKIT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "pixelkit.h"

/* Builds under AddressSanitizer: memory is never kept for reuse (c/image.c's
 * buffer cache, c/pipeline.c's per-thread spare), so that every overrun, use
 * after free and leak is seen, and nothing alive at exit looks like a leak. */
#if defined(__SANITIZE_ADDRESS__)
#define PK_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define PK_SANITIZED 1
#endif
#endif

/* Every _Thread_local of c/ is declared with PK_TLS_MODEL.  On ELF systems
 * that is the initial-exec model: a few bytes of the static TLS that glibc
 * reserves for libraries loaded later, reached without __tls_get_addr, so
 * the extension needs nothing from the dynamic loader (it links libc and
 * libm only; tools/check_installed_wheel.sh checks). */
#if defined(__ELF__) && (defined(__GNUC__) || defined(__clang__))
#define PK_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define PK_TLS_MODEL
#endif

/* a * b into *out; returns 0 when the product does not fit in size_t. */
static inline int pk_mul_size(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a)
        return 0;
    *out = a * b;
    return 1;
}

/* a + b into *out; returns 0 when the sum does not fit in size_t. */
static inline int pk_add_size(size_t a, size_t b, size_t *out)
{
    if (b > SIZE_MAX - a)
        return 0;
    *out = a + b;
    return 1;
}

/*
 * Checks a plane of `channels` bytes per pixel and reports the bytes it
 * spans, (height - 1) * stride + width * channels.  Shared by the pk_image
 * and pk_plane validators so both apply the same rules.
 */
pk_status pk_check_layout(const void *data, size_t width, size_t height,
                          size_t stride, size_t channels, size_t *span);

pk_status pk_plane_validate(const pk_plane *plane);

/*
 * Whether two regions share a byte: each is `rows` rows of `row` bytes,
 * `stride` bytes apart (the stride of a single row is not used).  Exact,
 * not by spans: side-by-side crops of one image, whose rows interleave,
 * share nothing.  The descriptors must have been validated.
 */
int pk_regions_overlap(const void *a, size_t a_row, size_t a_rows, size_t a_stride,
                       const void *b, size_t b_row, size_t b_rows, size_t b_stride);

/*
 * For an operation that may run in place: PK_OK when the two regions share
 * no byte or are identical (same start, row length, rows and stride),
 * PK_ERR_OVERLAP when they partially overlap.
 */
pk_status pk_check_alias(const void *src, size_t src_row, size_t src_rows, size_t src_stride,
                         const void *dst, size_t dst_row, size_t dst_rows, size_t dst_stride);

/* The bytes spanned by a validated descriptor. */
static inline size_t pk_image_span(const pk_image *image)
{
    return (image->height - 1) * image->stride + image->width * 3;
}

static inline size_t pk_plane_span(const pk_plane *plane)
{
    return (plane->height - 1) * plane->stride + plane->width;
}

/* What size an operation's dst must have, given src. */
typedef enum { PK_SAME_SIZE, PK_SWAPPED_SIZE, PK_ANY_SIZE } pk_size_rule;

/*
 * Validates src and dst of an RGB -> RGB operation: both descriptors, dst
 * writable, dst's size by `rule`, and no overlap, except dst == src (same
 * pixels and stride) when `in_place_ok`.
 */
pk_status pk_check_pair(const pk_image *src, const pk_image *dst, pk_size_rule rule, int in_place_ok);

/* The common case: same size. */
static inline pk_status pk_check_unary(const pk_image *src, const pk_image *dst, int in_place_ok)
{
    return pk_check_pair(src, dst, PK_SAME_SIZE, in_place_ok);
}

/* ---- filter.c: rows [begin, end) of a filter on the calling thread --------
 * For the pipeline: src and dst describe the whole images, but only the
 * source rows the window reaches from those output rows (reflected at the
 * image's edges) are read, and only output rows [begin, end) written. */
pk_status pk_box_blur_rows(const pk_image *src, size_t radius, const pk_image *dst, size_t begin, size_t end);
pk_status pk_gaussian_blur_rows(const pk_image *src, double sigma, const pk_image *dst, size_t begin, size_t end);
pk_status pk_convolve_rows(const pk_image *src, const int32_t *kernel, size_t kernel_width, size_t kernel_height,
                           int32_t scale, int32_t offset, const pk_image *dst, size_t begin, size_t end);

/* ---- resample.c: tiles of one resize, one after another ------------------
 * pk_resize_part, keeping the tables along x in *cache (NULL at first) for
 * the next tile with the same columns; release with pk_resize_cache_free. */
typedef struct pk_resize_cache pk_resize_cache;
pk_status pk_resize_part_cached(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile,
                                pk_resize_cache **cache);
void pk_resize_cache_free(pk_resize_cache *cache);

/* ---- parallel.c --------------------------------------------------------- */

/* Runs fn(ctx, begin, end) over [0, count) in bands on up to pk_num_threads()
 * threads; `work` (bytes touched) decides whether threads are worth it.
 * Bands are independent, so results do not depend on the thread count. */
typedef void (*pk_band_fn)(void *ctx, size_t begin, size_t end);
void pk_parallel_for(size_t count, size_t work, pk_band_fn fn, void *ctx);
/* The same in at most max_bands bands (at least one), for kernels whose bands
 * each need scratch memory: bands x scratch stays within a total; and, with
 * several threads, in `split` bands per thread, for kernels whose bands cost
 * little to start: a thread that the system runs late then leaves its share
 * to the others instead of holding up the call. */
void pk_parallel_for_bands(size_t count, size_t work, size_t max_bands, size_t split, pk_band_fn fn, void *ctx);
/* The same in many smaller bands that idle threads take one after another,
 * for loops whose bands cost nothing to start (memory-bound copies): a
 * thread that starts late or is preempted holds up the others for one
 * small band only. */
void pk_parallel_chunks(size_t count, size_t work, pk_band_fn fn, void *ctx);

/* Scratch memory for one band; NULL when out of memory. */
void *pk_scratch(size_t nbytes);
void pk_scratch_free(void *block);

#endif /* PIXELKIT_INTERNAL_H */
