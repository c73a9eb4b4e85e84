/*
 * pixelkit.h: the public C API of pixelkit.
 *
 * This header is the single source of truth for the Python bindings:
 * pixelkit.build runs the C preprocessor over it with PIXELKIT_CDEF defined
 * and hands the result to cffi's cdef().  Everything cdef cannot parse
 * (#include, static assertions, extern "C") therefore sits inside
 * `#ifndef PIXELKIT_CDEF` blocks, and every integer constant is an
 * object-like `#define PK_...` so that the builder can re-declare it as
 * `#define PK_... ...` and let the C compiler supply its value.
 *
 * It compiles as C11 and as C++17.
 *
 * Conventions:
 *  - Functions that can fail return pk_status and write results through
 *    pointer arguments; pure queries return their value directly.
 *  - Images are described by pk_image (RGB) or pk_plane (8-bit grey):
 *    a pointer to the first row, the size in pixels and the row stride in
 *    bytes (>= the bytes of one row; rows never overlap).
 *  - No function calls into Python, none keeps global mutable state other
 *    than the documented atomics, allocator cache, thread pool and
 *    pk_pool_stats' thread-local counters, so all
 *    of them may run without the GIL and from several threads at once.
 *
 * Your own kernels: an extension module built with pixelkit.build
 * (`python -m pixelkit.build --module NAME header.h source.c`) includes
 * this header and may call every pk_* function declared here as usual.
 * Extension modules cannot link against each other's symbols, so the
 * builder defines each of them in the module as a call through a table of
 * function pointers that pixelkit hands the module when it is imported
 * (the way numpy's C API reaches other extensions): one pixelkit, one
 * thread pool and one set of settings per process.  The builder compiles
 * that code with PIXELKIT_EXTENSION defined.
 */
#ifndef PIXELKIT_H
#define PIXELKIT_H

#ifndef PIXELKIT_CDEF
#include <stddef.h>
#include <stdint.h>
#ifdef __cplusplus
#define PK_STATIC_ASSERT(condition, message) static_assert(condition, message)
#define PK_ALIGNOF(type) alignof(type)
extern "C" {
#else
#define PK_STATIC_ASSERT(condition, message) _Static_assert(condition, message)
#define PK_ALIGNOF(type) _Alignof(type)
#endif
#endif

/* An extension module's cdef takes pixelkit's types from pixelkit itself
 * (cffi's ffi.include), so there only the module's own hooks remain. */
#if !(defined(PIXELKIT_CDEF) && defined(PIXELKIT_EXTENSION))

/* Largest width or height accepted anywhere, in pixels (2**20). */
#define PK_MAX_DIMENSION 1048576
/* Largest maxval of a netpbm file (the format's own limit). */
#define PK_NETPBM_MAX_MAXVAL 65535
/* Most worker threads a kernel may use. */
#define PK_MAX_THREADS 256
/* Largest blur radius (box) and sigma (gaussian) the filters accept. */
#define PK_MAX_BLUR_RADIUS 1024
#define PK_MAX_GAUSSIAN_SIGMA 256

/* Instruction sets a kernel can be dispatched to (pk_set_isa). */
#define PK_ISA_PORTABLE 0
#define PK_ISA_AVX2 1
#define PK_ISA_AVX512 2

/* Methods of pk_resize. */
#define PK_RESIZE_NEAREST 0
#define PK_RESIZE_BILINEAR 1
#define PK_RESIZE_AREA 2

/* Layouts of pk_tensor. */
#define PK_TENSOR_CHW 0
#define PK_TENSOR_HWC 1

/* One RGB pixel: three bytes, no padding, in the order r, g, b. */
typedef struct {
    unsigned char r, g, b;
} pixel_t;

#ifndef PIXELKIT_CDEF
PK_STATIC_ASSERT(sizeof(pixel_t) == 3, "pixel_t must be 3 bytes with no padding");
PK_STATIC_ASSERT(PK_ALIGNOF(pixel_t) == 1, "pixel_t must be byte-aligned");
PK_STATIC_ASSERT(offsetof(pixel_t, r) == 0, "pixel_t.r must be at offset 0");
PK_STATIC_ASSERT(offsetof(pixel_t, g) == 1, "pixel_t.g must be at offset 1");
PK_STATIC_ASSERT(offsetof(pixel_t, b) == 2, "pixel_t.b must be at offset 2");
#endif

typedef enum {
    PK_OK = 0,
    PK_ERR_NULL = 1,         /* a required pointer is NULL */
    PK_ERR_SIZE = 2,         /* width or height outside 1..PK_MAX_DIMENSION */
    PK_ERR_STRIDE = 3,       /* row stride shorter than one row of pixels */
    PK_ERR_OVERFLOW = 4,     /* a byte count does not fit the address space */
    PK_ERR_NO_MEMORY = 5,    /* the allocation failed */
    PK_ERR_SHAPE = 6,        /* output size differs from the result's size */
    PK_ERR_READONLY = 7,     /* the output is not writable */
    PK_ERR_OVERLAP = 8,      /* output partially overlaps an input */
    PK_ERR_ARGUMENT = 9,     /* a parameter is out of its range */
    PK_ERR_SAMPLE_RANGE = 10, /* a netpbm sample is larger than maxval */
    PK_ERR_SYNTAX = 11,      /* plain netpbm text is not a decimal number */
    PK_ERR_TRUNCATED = 12    /* fewer samples than the header declares */
} pk_status;

/* The layout of pixel_t as this compiler sees it. */
typedef struct {
    size_t size;
    size_t align;
    size_t offset_r;
    size_t offset_g;
    size_t offset_b;
} pk_layout;

/* An RGB image: `height` rows of `width` pixels, rows `stride` bytes apart. */
typedef struct {
    pixel_t *pixels;
    size_t width;
    size_t height;
    size_t stride;
    int writable;
} pk_image;

/* A single-channel 8-bit image (grey), laid out like pk_image. */
typedef struct {
    uint8_t *data;
    size_t width;
    size_t height;
    size_t stride;
    int writable;
} pk_plane;

/*
 * A float32 tensor of 3 channels: element (c, y, x) is at
 *   data + c * channel_stride + y * row_stride + x * pixel_stride
 * (strides in floats).  CHW needs pixel_stride 1; HWC needs
 * channel_stride 1 and pixel_stride 3.
 */
typedef struct {
    float *data;
    size_t width;
    size_t height;
    size_t channel_stride;
    size_t row_stride;
    size_t pixel_stride;
    int layout;
    int writable;
} pk_tensor;

/* A rectangle of pixels inside a larger image. */
typedef struct {
    size_t x;
    size_t y;
    size_t width;
    size_t height;
} pk_rect;

/*
 * One tile of a resize of a whole source image to a whole result image
 * (sizes in pixels), for images processed in pieces: `dst` is the part of
 * the result to compute, `src` the part of the source provided.
 */
typedef struct {
    size_t src_width;
    size_t src_height;
    size_t dst_width;
    size_t dst_height;
    pk_rect src;
    pk_rect dst;
} pk_resize_tile;

/*
 * Sizes, alignments and field offsets of the types shared across modules,
 * as one compiler laid them out (pk_module_layout).  pixelkit and every
 * extension module built against it must agree on each, or a descriptor
 * handed from one to the other would be read at the wrong places.
 */
typedef struct {
    size_t pixel_size, pixel_align, pixel_r, pixel_g, pixel_b;
    size_t image_size, image_align, image_pixels, image_width, image_height, image_stride, image_writable;
    size_t plane_size, plane_align, plane_data, plane_width, plane_height, plane_stride, plane_writable;
    size_t tensor_size, tensor_align, tensor_data, tensor_width, tensor_height;
    size_t tensor_channel_stride, tensor_row_stride, tensor_pixel_stride, tensor_layout, tensor_writable;
    size_t status_size;
} pk_abi_layout;

/*
 * The table of every pk_* function below, handed to extension modules at
 * import (see the top of this file).  Its layout is generated from this
 * header by pixelkit.build, for pixelkit and for each module alike, and
 * carries a fingerprint of that layout: a module built against a header
 * with other functions refuses to attach and asks to be rebuilt.
 */
typedef struct pk_api pk_api;

/*
 * A band of rows for pk_parallel_rows: process rows [begin, end) and
 * return PK_OK or the first error.
 */
typedef pk_status (*pk_rows_fn)(void *context, size_t begin, size_t end);

/* ---- image.c: layout, sizes, memory ---------------------------------- */

/* Static description of the status code (never NULL). */
const char *pk_status_message(pk_status status);

pk_status pk_pixel_layout(pk_layout *out);

/*
 * Bytes an image of this size occupies: `*row_bytes` = width * 3 and
 * `*total` = stride * height, overflow-checked.  stride 0 means width * 3.
 */
pk_status pk_image_nbytes(size_t width, size_t height, size_t stride,
                          size_t *row_bytes, size_t *total);

/* Checks every field of a descriptor (what each kernel does first). */
pk_status pk_image_validate(const pk_image *image);

/*
 * Allocates `nbytes` (>= 1) bytes aligned to 64, zeroed when `zeroed` is
 * non-zero.  Large blocks (4 MiB and more) are mapped with transparent
 * huge pages advised; freed ones go to the buffer cache below, for reuse by
 * later requests that need no zeroing.  Release with pk_free.
 */
pk_status pk_alloc(size_t nbytes, int zeroed, void **out);
/* Releases a block from pk_alloc; NULL is ignored. */
pk_status pk_free(void *block);
/* Blocks from pk_alloc not yet released (an atomic counter). */
size_t pk_live_allocations(void);

/*
 * The buffer cache: a documented, mutex-guarded global holding up to 8
 * recently freed large blocks, so that a loop over frames of one size does
 * not pay page faults for every result.  Memory nobody reuses goes back to
 * the system: a block larger than PK_BUFFER_CACHE_BLOCK_MAX (64 MiB) or than
 * the cache's limit is unmapped at once, and a cached block unused for
 * PK_BUFFER_CACHE_IDLE_MS (1 s) is unmapped by a thread that sleeps until
 * then (and without a timeout while the cache is empty).  The limit starts
 * at PK_BUFFER_CACHE_DEFAULT (256 MiB) bytes in all.  Builds under
 * AddressSanitizer have no cache (every block is a plain malloc).
 */
#define PK_BUFFER_CACHE_DEFAULT 268435456
#define PK_BUFFER_CACHE_BLOCK_MAX 67108864
#define PK_BUFFER_CACHE_IDLE_MS 1000
typedef struct {
    size_t max_bytes;     /* the limit (0: caching disabled; kept as set in builds without a cache) */
    size_t block_max;     /* the largest block ever cached (0: no cache in this build) */
    size_t cached_bytes;  /* held now */
    size_t cached_blocks;
} pk_buffer_cache_counts;
/* Sets the cache's limit in bytes (0 disables it), releasing blocks beyond it at once. */
pk_status pk_set_buffer_cache(size_t max_bytes);
pk_status pk_buffer_cache_stats(pk_buffer_cache_counts *out);
/* Returns every cached block to the system at once; `released` (may be NULL) gets the bytes. */
pk_status pk_release_memory(size_t *released);

/* ---- runtime.c: CPU dispatch and threads ------------------------------
 * The selected instruction set and the thread count are process-wide
 * settings held in atomics; kernels read them once per call.  Changing
 * them while kernels run elsewhere is safe: each call uses one setting
 * throughout, and every setting gives bit-identical results.  A third
 * atomic holds whether stores past the cache pay off for outputs of 1-16
 * MiB on this CPU (they do where one core reads everything beyond its L2 as
 * slowly as memory); the first kernel call with such an output measures it
 * once, in a few milliseconds.  It changes speed only, never results.
 */

/* The best PK_ISA_* this CPU (and this build) supports. */
int pk_cpu_isa(void);
/* Selects the kernels' instruction set; PK_ERR_ARGUMENT if unsupported. */
pk_status pk_set_isa(int isa);
int pk_active_isa(void);
/* A short name of an instruction set ("portable", "avx2", "avx512"). */
const char *pk_isa_name(int isa);
/* Threads a kernel may split a large image over (1..PK_MAX_THREADS). */
pk_status pk_set_num_threads(int count);
int pk_num_threads(void);
/*
 * Runs fn over rows [0, rows) split in bands on pixelkit's thread pool
 * (the calling thread takes bands too), using at most pk_num_threads()
 * threads; `bytes_per_row` (the work of one row, roughly) decides how many
 * bands are worth a thread: small jobs stay on the calling thread.  Bands
 * never overlap and cover every row once; fn must not depend on how rows
 * are banded, so results are the same for any thread count.  Returns the
 * first status other than PK_OK that a band returned (the other bands
 * still run), PK_ERR_NULL for a NULL fn.  May be called from any thread,
 * also from inside a band (that call runs on its own thread).
 */
pk_status pk_parallel_rows(size_t rows, size_t bytes_per_row, pk_rows_fn fn, void *context);

/* ---- parallel.c: how kernels were split ----------------------------------
 * Counters of the band splits made by kernels called from the calling
 * thread, cumulative since that thread's first kernel call.  They live in
 * thread-local storage, so each thread reads its own and none needs a lock.
 * `calls`: kernel passes over an image (a kernel makes one or more);
 * `bands`: the row bands those passes were cut into (a pass that stays on
 * one thread counts one band); `worker_bands`: how many of those bands a
 * pool worker ran rather than the calling thread.  Threads only split an
 * image when each band has at least PK_MIN_BAND_WORK bytes of work.
 */
#define PK_MIN_BAND_WORK 262144
/* Memory-bound kernels (point operations, flips, transposes, rotations,
 * copies) use threads only from this many bytes of work (2 MiB), in bands
 * of about 1 MiB: below it waking a second thread costs what its share of
 * the copy saves. */
#define PK_MIN_COPY_WORK 2097152
typedef struct {
    uint64_t calls;
    uint64_t bands;
    uint64_t worker_bands;
} pk_pool_counts;
pk_status pk_pool_stats(pk_pool_counts *out);

/* ---- point.c: per-pixel operations -----------------------------------
 * Unless said otherwise, dst may be src itself (same pixels and stride)
 * but must not partially overlap it; src and dst have the same size.
 */

pk_status pk_fill(const pk_image *dst, uint8_t r, uint8_t g, uint8_t b);
pk_status pk_invert(const pk_image *src, const pk_image *dst);
/* dst = lut[src]: `lut` has 256 entries, or 3 * 256 (one table per channel). */
pk_status pk_apply_lut(const pk_image *src, const uint8_t *lut, size_t lut_size,
                       const pk_image *dst);
/* RGB <-> BGR. */
pk_status pk_swap_rb(const pk_image *src, const pk_image *dst);
/*
 * dst = a * (1 - alpha) + b * alpha, alpha in [0, 1], computed in fixed
 * point: (a * (32768 - w) + b * w + 16384) >> 15 with w = round(alpha * 32768).
 * dst may be a or b.
 */
pk_status pk_blend(const pk_image *a, const pk_image *b, double alpha, const pk_image *dst);

/* ---- convert.c: colour conversion ------------------------------------ */

/* ITU-R BT.601 luma, (19595 R + 38470 G + 7471 B + 0x8000) >> 16. */
pk_status pk_to_gray(const pk_image *src, const pk_plane *dst);
/* dst[c] = src[c] * scale[c] + bias[c] in float32, without fused multiply-add. */
pk_status pk_to_tensor(const pk_image *src, const float *scale, const float *bias,
                       const pk_tensor *dst);

/* ---- yuv.c: YUV <-> RGB ----------------------------------------------- */

/*
 * Layouts of pk_yuv (ffmpeg's pix_fmt in brackets):
 *   I420: planes Y, U, V; chroma ceil(w/2) x ceil(h/2) (yuv420p)
 *   YV12: i420 with V stored before U; pk_yuv still lists Y, U, V
 *   NV12: planes Y and interleaved U V, ceil(w/2) pairs x ceil(h/2) (nv12)
 *   NV21: planes Y and interleaved V U (nv21)
 *   YUYV: one plane of Y0 U Y1 V, 2 w bytes a row, even w (yuyv422)
 *   UYVY: one plane of U Y0 V Y1 (uyvy422)
 *   I422: planes Y, U, V; chroma ceil(w/2) x h (yuv422p)
 *   I444: planes Y, U, V; chroma w x h (yuv444p)
 */
#define PK_YUV_I420 0
#define PK_YUV_YV12 1
#define PK_YUV_NV12 2
#define PK_YUV_NV21 3
#define PK_YUV_YUYV 4
#define PK_YUV_UYVY 5
#define PK_YUV_I422 6
#define PK_YUV_I444 7

/* Matrices, Kr and Kb: BT.601 0.299, 0.114; BT.709 0.2126, 0.0722; BT.2020
 * (non-constant luminance) 0.2627, 0.0593.  Ranges: limited (Y 16..235,
 * U and V 16..240) and full (all 0..255). */
#define PK_YUV_BT601 0
#define PK_YUV_BT709 1
#define PK_YUV_BT2020 2
#define PK_YUV_LIMITED 0
#define PK_YUV_FULL 1

/*
 * A YUV image of `format`: plane i (as many as the format has: 1, 2 or 3)
 * starts at data[i], its rows stride[i] bytes apart.  Planar layouts list
 * Y, U, V in that order whatever the order in memory (yv12).  The bytes
 * of one row of each plane are given by pk_yuv_plane_size.
 */
typedef struct {
    int format;
    size_t width;
    size_t height;
    uint8_t *data[3];
    size_t stride[3];
    int writable;
} pk_yuv;

/* The number of planes of `format` (0 for an unknown one). */
int pk_yuv_planes(int format);
/* Bytes of one row and number of rows of plane `plane` of a width x height
 * image of `format`; PK_ERR_ARGUMENT for an odd width of yuyv / uyvy. */
pk_status pk_yuv_plane_size(int format, size_t width, size_t height, size_t plane, size_t *row_bytes,
                            size_t *rows);
/*
 * YUV -> RGB: with kr, kb of `matrix`, ys = 255 / 219, cs = 255 / 224 and
 * y0 = 16 (limited) or ys = cs = 1 and y0 = 0 (full), u = U - 128, v = V - 128:
 *   R = ys (Y - y0) + cs 2 (1 - kr) v
 *   G = ys (Y - y0) - cs (2 kb (1 - kb) u + 2 kr (1 - kr) v) / (1 - kr - kb)
 *   B = ys (Y - y0) + cs 2 (1 - kb) u
 * in fixed point: each coefficient rounded to a multiple of 2**-13, the sum
 * plus 2**12 shifted right by 13 (floor), clamped to 0..255.  Subsampled
 * chroma is upsampled by repetition (each sample covers its 2x2 or 2x1 block).
 */
pk_status pk_yuv_to_rgb(const pk_yuv *src, int matrix, int range, const pk_image *dst);
/*
 * RGB -> YUV: Y = y0 + yk (kr R + kg G + kb B), U = 128 + ck (B - Y') / (2 (1 - kb)),
 * V = 128 + ck (R - Y') / (2 (1 - kr)) with Y' = kr R + kg G + kb B, yk = 219 / 255,
 * ck = 224 / 255 (limited) or 1 (full); coefficients rounded to multiples of
 * 2**-15 (those of U and V summing to 0), the sum plus 2**14 shifted right by 15,
 * clamped to 0..255.  4:2:0 chroma is that of the top-left pixel of each 2x2
 * block (as OpenCV's RGB2YUV_I420), 4:2:2 chroma that of the mean of the two
 * pixels of each 2x1 block (as OpenCV's RGB2YUV_YUYV): the sums of the two
 * pixels' R, G, B times the same coefficients, plus 2**15, shifted right by 16.
 */
pk_status pk_rgb_to_yuv(const pk_image *src, int matrix, int range, const pk_yuv *dst);

/* ---- geometry.c: flips, rotations, copies ----------------------------- */

/* Mirror left-right / top-bottom; in place allowed. */
pk_status pk_flip_horizontal(const pk_image *src, const pk_image *dst);
pk_status pk_flip_vertical(const pk_image *src, const pk_image *dst);
/* dst (width = src height) is src with x and y swapped; never in place. */
pk_status pk_transpose(const pk_image *src, const pk_image *dst);
/* k counter-clockwise quarter turns (any int); in place only for k % 4 in {0, 2}. */
pk_status pk_rotate90(const pk_image *src, long k, const pk_image *dst);
/* Copies src into dst with its top-left corner at (x, y), clipped to dst. */
pk_status pk_paste(const pk_image *dst, const pk_image *src, long x, long y);

/* ---- resample.c: resizing ------------------------------------------- */

/* Resizes src to dst's size with a PK_RESIZE_* method (as OpenCV's INTER_*). */
pk_status pk_resize(const pk_image *src, const pk_image *dst, int method);
/*
 * Sets tile->src to the smallest part of the whole source that computing
 * tile->dst reads (tile->dst must lie inside the whole result).
 */
pk_status pk_resize_tile_source(pk_resize_tile *tile, int method);
/*
 * Computes the part tile->dst of the whole resize into dst (of that part's
 * size) from src, which holds the part tile->src of the whole source and
 * must contain what pk_resize_tile_source asks for.  Every pixel equals
 * the whole-image pk_resize's pixel, wherever the tile lies.
 */
pk_status pk_resize_part(const pk_image *src, const pk_image *dst, int method, const pk_resize_tile *tile);

/* ---- filter.c: neighbourhood filters ---------------------------------
 * Borders are reflected without repeating the edge (OpenCV's
 * BORDER_REFLECT_101).  dst must not overlap src.
 */

/* Mean over the (2 * radius + 1)^2 square. */
pk_status pk_box_blur(const pk_image *src, size_t radius, const pk_image *dst);
/* Separable gaussian; kernel size round(6 * sigma + 1) | 1 as OpenCV picks it. */
pk_status pk_gaussian_blur(const pk_image *src, double sigma, const pk_image *dst);
/* How far the gaussian of `sigma` reaches (kernel size / 2); 0 if sigma is refused. */
size_t pk_gaussian_radius(double sigma);

/* Largest side of a pk_convolve kernel, magnitude of its weights, of its scale and offset. */
#define PK_MAX_KERNEL_SIZE 7
#define PK_MAX_KERNEL_WEIGHT 65535
#define PK_MAX_CONVOLVE_SCALE 16777216
/*
 * Correlation with a small integer kernel (OpenCV's filter2D): `kernel`
 * holds kernel_height rows of kernel_width weights (both odd, at most
 * PK_MAX_KERNEL_SIZE), centred on the pixel.  Each sample is
 *   clamp(round(sum(weight * sample) / scale) + offset, 0, 255)
 * with the division rounded half to even; 1 <= scale <= PK_MAX_CONVOLVE_SCALE,
 * |offset| <= PK_MAX_CONVOLVE_SCALE.
 */
pk_status pk_convolve(const pk_image *src, const int32_t *kernel, size_t kernel_width, size_t kernel_height,
                      int32_t scale, int32_t offset, const pk_image *dst);

/* ---- histogram.c ------------------------------------------------------ */

/* counts[c * 256 + v]: pixels whose channel c equals v. */
pk_status pk_histogram(const pk_image *src, uint64_t *counts);

/* ---- pipeline.c: chains of operations in one pass -----------------------
 * pk_pipeline runs `count` stages over src band by band: each thread
 * carries a band of rows through every stage in scratch buffers of about
 * 2 MiB in all (with the extra rows each filter's window and each resize
 * reads, kept from one band to the next), so no full-size intermediate
 * image is ever made.  The result is byte for byte that of calling the
 * stages' functions one after another.
 */

/* Kinds of pk_stage, each as the function of the same name. */
#define PK_STAGE_INVERT 0
#define PK_STAGE_APPLY_LUT 1
#define PK_STAGE_SWAP_RB 2
#define PK_STAGE_BLEND 3
#define PK_STAGE_FLIP_HORIZONTAL 4
#define PK_STAGE_FLIP_VERTICAL 5
#define PK_STAGE_CROP 6
#define PK_STAGE_RESIZE 7
#define PK_STAGE_BOX_BLUR 8
#define PK_STAGE_GAUSSIAN_BLUR 9
#define PK_STAGE_CONVOLVE 10
#define PK_STAGE_TO_GRAY 11
#define PK_STAGE_TO_TENSOR 12
#define PK_STAGE_HISTOGRAM 13
/* Most stages of one pipeline. */
#define PK_MAX_STAGES 64

/* One stage: `kind` and the parameters that kind uses (the others are ignored). */
typedef struct {
    int kind;
    int method;                /* resize: PK_RESIZE_* */
    size_t x, y;               /* crop: top-left corner in the stage's input */
    size_t width, height;      /* crop, resize: the size of the stage's result */
    size_t radius;             /* box blur */
    double sigma;              /* gaussian blur */
    double alpha;              /* blend: the weight of `other` */
    const pk_image *other;     /* blend: the second image, of the stage input's size */
    const uint8_t *lut;        /* apply_lut: 256 or 3 * 256 entries */
    size_t lut_size;
    const int32_t *kernel;     /* convolve: as pk_convolve */
    size_t kernel_width, kernel_height;
    int32_t scale, offset;
    const float *tensor_scale; /* to_tensor: three each, as pk_to_tensor */
    const float *tensor_bias;
} pk_stage;

/*
 * Runs the chain.  to_gray, to_tensor and histogram may only come last;
 * their result goes to `plane`, `tensor` or `counts` (3 * 256),
 * every other chain's (and an empty chain's, a copy) to `dst`; the
 * outputs not used may be NULL.  The output must not share memory with
 * src or with a blend stage's image (PK_ERR_OVERLAP).
 */
pk_status pk_pipeline(const pk_image *src, const pk_stage *stages, size_t count, const pk_image *dst,
                      const pk_plane *plane, const pk_tensor *tensor, uint64_t *counts);

/* ---- netpbm.c: sample decoding for netpbm files ---------------------- */

/*
 * Rescales `count` one-byte samples to 0..255 in place, rounding to
 * nearest: (v * 255 + maxval / 2) / maxval.  A sample above maxval stops
 * the work with PK_ERR_SAMPLE_RANGE and its index in `*bad_index`.
 */
pk_status pk_netpbm_scale_u8(uint8_t *samples, size_t count, unsigned maxval,
                             size_t *bad_index);

/* The same for two-byte big-endian samples (maxval > 255), src -> dst. */
pk_status pk_netpbm_scale_u16be(const uint8_t *src, size_t count,
                                unsigned maxval, uint8_t *dst,
                                size_t *bad_index);

/*
 * Parses `count` plain (ASCII decimal) samples from text[0..length),
 * skipping whitespace and `#` comments, checks each against maxval and
 * stores it rescaled to 0..255 in dst.  `*position` receives the offset
 * just after the last sample parsed, or of the offending byte on error.
 */
pk_status pk_netpbm_parse_plain(const char *text, size_t length, size_t count,
                                unsigned maxval, uint8_t *dst,
                                size_t *position);

/* ---- packed.c: packed RGB pixel formats ---------------------------------
 * Rows of packed pixels in another layout than pk_image's rgb24, named as
 * ffmpeg's pix_fmts.  A packed buffer is `height` rows of width * bytes
 * per pixel (pk_packed_pixel_bytes) bytes, `stride` bytes apart.  Alpha is
 * dropped on the way in and set to 255 on the way out; 5- and 6-bit fields
 * widen by bit replication ((v << 3) | (v >> 2), (v << 2) | (v >> 4)) and
 * narrow by truncation (v >> 3, v >> 2); 16-bit samples narrow as netpbm's
 * rescaling, (v * 255 + 32767) / 65535, and widen as v * 257.
 */
/* The formats, by ffmpeg's pix_fmt names, with their bytes in memory order:
 * rgb24 r, g, b; bgr24 b, g, r; rgba, bgra, argb, abgr as named (a: alpha);
 * rgb565le a little-endian 16-bit word of r in bits 15..11, g 10..5, b 4..0;
 * bgr565le the same with b in 15..11 and r in 4..0; rgb48le and rgb48be r,
 * g, b of 16 bits each, little- or big-endian.  PK_PACKED_FORMATS: how many. */
#define PK_PACKED_RGB24 0
#define PK_PACKED_BGR24 1
#define PK_PACKED_RGBA 2
#define PK_PACKED_BGRA 3
#define PK_PACKED_ARGB 4
#define PK_PACKED_ABGR 5
#define PK_PACKED_RGB565LE 6
#define PK_PACKED_BGR565LE 7
#define PK_PACKED_RGB48LE 8
#define PK_PACKED_RGB48BE 9
#define PK_PACKED_FORMATS 10

/* Bytes of one pixel of a PK_PACKED_* format; 0 for an unknown format. */
size_t pk_packed_pixel_bytes(int format);
/*
 * Converts the packed pixels at src (rows src_stride bytes apart) into dst,
 * of the same size.  src must not share a byte with dst's pixels.
 */
pk_status pk_packed_to_rgb(const uint8_t *src, size_t src_stride, int format, const pk_image *dst);
/*
 * Converts src into packed pixels at dst (rows dst_stride bytes apart,
 * writable), of the same size.  dst must not share a byte with src's pixels.
 */
pk_status pk_rgb_to_packed(const pk_image *src, int format, uint8_t *dst, size_t dst_stride);
/* ---- bayer.c: demosaicing of Bayer mosaics ---------------------------
 * A mosaic is one sample per pixel; the 2x2 block at its top-left corner
 * (pixel (0, 0) first, then (0, 1), (1, 0), (1, 1)) names the pattern.
 * Every output pixel x, y with 1 <= x <= width - 2 and 1 <= y <= height - 2
 * interpolates its missing colours from its 3x3 neighbourhood (see
 * c/rows/bayer.h); the outer rows and columns repeat their inner
 * neighbours (row 0 = row 1, column 0 = column 1, and so on), as OpenCV's
 * cvtColor(COLOR_Bayer*2RGB) and its _EA variant do.  Both sides must be
 * at least 3 pixels (PK_ERR_SIZE).  dst must not share memory with src.
 */
#define PK_BAYER_RGGB 0
#define PK_BAYER_BGGR 1
#define PK_BAYER_GRBG 2
#define PK_BAYER_GBRG 3
/* Methods: the missing green is the mean of the 4 neighbours, or of the 2
 * (left and right, or above and below) that differ less. */
#define PK_DEMOSAIC_BILINEAR 0
#define PK_DEMOSAIC_EDGE_AWARE 1

pk_status pk_demosaic(const pk_plane *src, int pattern, int method, const pk_image *dst);

/*
 * The same for a mosaic of 16-bit samples (native byte order; rows
 * `stride` bytes apart, stride even and >= 2 * width) holding values
 * 0 .. 2^bits - 1 (bits 9..16): the same interpolation at 16 bits (as
 * OpenCV's on 16-bit mosaics), each result then rounded to 8 bits,
 * (v * 255 + m / 2) / m with m = 2^bits - 1.  A sample above m returns
 * PK_ERR_SAMPLE_RANGE with its index (y * width + x) in `*bad_index`
 * (may be NULL) before dst is written.
 */
pk_status pk_demosaic_u16(const uint16_t *src, size_t width, size_t height, size_t stride, unsigned bits,
                          int pattern, int method, const pk_image *dst, size_t *bad_index);

#endif /* !(PIXELKIT_CDEF && PIXELKIT_EXTENSION) */

/* ---- hooks that pixelkit.build generates in every module -------------
 * Not part of pixelkit's library: the builder writes them into each
 * extension module (pixelkit's own included) from this header.
 */

/* This module's compiler's view of the shared types. */
pk_status pk_module_layout(pk_abi_layout *out);

#ifdef PIXELKIT_EXTENSION
/* Takes pixelkit's function table; PK_ERR_ARGUMENT if its fingerprint differs. */
pk_status pk_module_attach(const pk_api *api);
/* The module's functions and their parameters, as JSON, for the Python wrappers. */
const char *pk_module_manifest(void);
#else
/* pixelkit's function table, for pk_module_attach. */
const pk_api *pk_module_api(void);
#endif

#if defined(__cplusplus) && !defined(PIXELKIT_CDEF)
}
#endif

#endif /* PIXELKIT_H */
