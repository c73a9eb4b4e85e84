/*
 * kernels.h: the inner loops that exist once per instruction set.
 *
 * The loops live in the rows/ headers as plain C.  isa_portable.c, isa_avx2.c and
 * isa_avx512.c each include them under a different `#pragma GCC target`,
 * so the compiler vectorises the same source for each instruction set,
 * and each file exports one pk_kernels table.  runtime.c picks the table
 * the CPU can run (or the one pk_set_isa asks for).  Every loop computes
 * each output with the same integer or float operations in the same
 * order whatever the table (no fused multiply-add: -ffp-contract=off), so
 * all tables give bit-identical results.
 */
#ifndef PIXELKIT_KERNELS_H
#define PIXELKIT_KERNELS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Loops that stream a large source from memory ask for it this many bytes
 * ahead of where they read (PK_READ_AHEAD_LINE).  One core's hardware
 * prefetcher alone kept fewer lines in flight: the 1/2 area resize of a
 * 12 MP frame read its 36 MB at 18 GB/s, and at 28 GB/s with this
 * (1.28-1.30 ms instead of 1.98-2.02; 1 KiB ahead gave 1.9-2.0, 8 KiB 1.5-1.6).
 */
#define PK_READ_AHEAD 4096
#if defined(__GNUC__)
#define PK_READ_AHEAD_LINE(p) __builtin_prefetch((const void *)((const uint8_t *)(p) + PK_READ_AHEAD))
#else
#define PK_READ_AHEAD_LINE(p) ((void)(p))
#endif

/*
 * Horizontal linear pass of resize: output element i (pixel x = i / 3,
 * channel i % 3) is (src[o0] * w0 + src[o1] * w1) >> 4 with the pixel's
 * offsets xofs[2x], xofs[2x + 1] (+ channel) and weights alpha[2x],
 * alpha[2x + 1].  The same outputs are also described in blocks of 32
 * elements for byte-shuffle gathers.  Block b reads a window of 128 bytes:
 * those from src + block_base[b]; or, when block_base[b] is -1, the pieces
 * of 8 bytes at src + block_gather[16 b + j] one after another; -2: the
 * block is computed element by element.  block_index[128 b ..] gives each
 * 16-bit lane its window byte (odd bytes are zero), block_weight[64 b ..]
 * each lane's weight; lane pairs summed, shifted by 4 and packed (per
 * 128-bit lane) give the block's 32 outputs in order.
 */
typedef struct {
    const int32_t *xofs;
    const int16_t *alpha;
    size_t dst_width;
    size_t src_bytes; /* readable bytes of a source row */
    size_t blocks;    /* whole blocks of 32 outputs */
    const int32_t *block_base;
    const int32_t *block_gather;
    const uint8_t *block_index;
    const int16_t *block_weight;
} pk_linear_h_plan;

/*
 * Nearest neighbour along a row: output pixel x is the source pixel at
 * byte offset xofs[x].  In blocks of block_pixels pixels: block b's
 * 3 block_pixels bytes are bytes block_index[64 b + j] of the 128 from
 * src + block_base[b]; the rest of the row goes pixel by pixel.
 */
typedef struct {
    const int32_t *xofs;
    size_t dst_width;
    size_t src_width;
    size_t blocks;       /* leading blocks, 0 when too sparse */
    size_t block_pixels; /* 8 .. 21 */
    const int32_t *block_base;
    const uint8_t *block_index;
} pk_nearest_plan;

typedef struct {
    const char *name;
    /* point */
    void (*invert)(const uint8_t *src, uint8_t *dst, size_t n);
    /* dst = ~src (invert != 0) or a copy (src and dst apart), stored past the cache */
    void (*stream)(const uint8_t *src, uint8_t *dst, size_t n, int invert);
    void (*lut1)(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *lut);
    void (*lut3)(const uint8_t *src, uint8_t *dst, size_t width, const uint8_t *lut);
    void (*swap_rb)(const uint8_t *src, uint8_t *dst, size_t width);
    /* the same for src and dst apart, stored past the cache */
    void (*swap_rb_stream)(const uint8_t *src, uint8_t *dst, size_t width);
    void (*blend)(const uint8_t *a, const uint8_t *b, uint8_t *dst, size_t n, uint32_t weight_b);
    /* convert */
    void (*gray)(const uint8_t *src, uint8_t *dst, size_t width);
    void (*tensor_chw)(const uint8_t *src, size_t width, float *r, float *g, float *b,
                       const float *scale, const float *bias, int stream);
    void (*tensor_hwc)(const uint8_t *src, size_t width, float *dst, const float *scale,
                       const float *bias, int stream);
    /* geometry */
    void (*flip_row)(const uint8_t *src, uint8_t *dst, size_t width);
    /* out(i, j) = pixel at base + i * step_i + j * step_j (step_i = +-3), whole tiles only;
     * returns the tile size (0: none, the caller copies everything) */
    size_t (*remap_tiles)(const uint8_t *base, ptrdiff_t step_i, ptrdiff_t step_j, uint8_t *dst,
                          size_t dst_stride, size_t rows, size_t cols);
    /* histogram: adds one row to 3 * 256 counters (r, g, b) */
    void (*histogram)(const uint8_t *src, size_t width, uint32_t *counts);
    /* resample */
    /* next: the source row the following call will read (prefetched), or NULL */
    void (*resize_h_linear)(const uint8_t *src, int16_t *dst, const pk_linear_h_plan *plan, const uint8_t *next);
    void (*resize_linear_fused)(const uint8_t *row0, const uint8_t *row1, uint8_t *dst,
                                const pk_linear_h_plan *plan, int16_t beta0, int16_t beta1,
                                const uint8_t *next0, const uint8_t *next1);
    void (*resize_v_linear)(const int16_t *row0, const int16_t *row1, uint8_t *dst,
                            size_t n, int16_t beta0, int16_t beta1);
    /* area: acc = (first ? 0 : acc) + row * weight; then output element i is
     * the sum over taps k of row[element[i] + 3 k] * weights[k n + i], times
     * scale, rounded (sums: scratch of n) */
    void (*area_v_u32)(const uint8_t *row, uint32_t *acc, size_t n, uint32_t weight, int first);
    void (*u32_to_f32)(const uint32_t *src, float *dst, size_t n);
    void (*area_h_f32)(const float *row, uint8_t *dst, size_t n, const int32_t *element, const float *weights,
                       size_t taps, float scale, float *sums);
    void (*double_h)(const uint8_t *src, uint16_t *dst, size_t src_width);
    void (*double_v)(const uint16_t *a, const uint16_t *b, uint8_t *dst, size_t n, uint16_t w0, uint16_t w1);
    void (*half)(const uint8_t *row0, const uint8_t *row1, uint8_t *dst, size_t dst_width);
    void (*nearest_row)(const uint8_t *src, uint8_t *dst, const pk_nearest_plan *plan);
    /* integer-factor area: sums of `factor` pixels of a row of column sums,
     * and their means rounded half to even */
    void (*area_sum_h16)(const uint16_t *src, uint32_t *dst, size_t dst_width, size_t factor);
    void (*area_div_even)(const uint32_t *sum, uint8_t *dst, size_t n, uint32_t area, uint32_t magic);
    /* filter */
    void (*add_u8)(uint16_t *acc, const uint8_t *row, size_t n);
    void (*slide_u8)(uint16_t *acc, const uint8_t *entering, const uint8_t *leaving, size_t n);
    void (*box_h16)(const uint16_t *padded, uint8_t *dst, size_t width, size_t radius, uint16_t half,
                    uint16_t magic, unsigned shift, int stream);
    void (*box_h16_slide)(uint16_t *padded, uint8_t *dst, size_t width, size_t radius, uint16_t half,
                          uint16_t magic, unsigned shift, int stream, const uint8_t *entering,
                          const uint8_t *leaving);
    void (*scan3_u16)(const uint16_t *q, uint16_t *p, size_t n);
    void (*scan3_u32)(const uint16_t *q, uint32_t *p, size_t n);
    void (*scan3_u32w)(const uint32_t *q, uint32_t *p, size_t n);
    void (*add_u8w)(uint32_t *acc, const uint8_t *row, size_t n);
    void (*slide_u8w)(uint32_t *acc, const uint8_t *entering, const uint8_t *leaving, size_t n);
    void (*box_diff16)(const uint16_t *pre, uint8_t *dst, size_t n, size_t span, uint16_t half, uint16_t magic,
                       unsigned shift, int stream);
    void (*box_diff32)(const uint32_t *pre, uint8_t *dst, size_t n, size_t span, float inverse);
    void (*box_diff32d)(const uint32_t *pre, uint8_t *dst, size_t n, size_t span, double inverse);
    void (*add_u32)(uint32_t *acc, const uint32_t *src, size_t n);
    void (*box_div)(const uint32_t *sum, uint8_t *dst, size_t n, uint32_t area, uint32_t magic);
    void (*gauss_h)(const uint8_t *padded, uint16_t *dst, size_t width, const uint16_t *taps,
                    size_t radius);
    void (*gauss_v)(const uint16_t *const *rows, uint8_t *dst, size_t n, const uint16_t *taps,
                    size_t radius);
    /* convolve: one kernel row of `taps` (odd, <= 7) weights into acc (set when first), and the
     * rounded, offset, saturated store (see pk_convolve) */
    void (*conv_row)(const uint8_t *padded, int32_t *acc, size_t n, const int32_t *weights, size_t taps,
                     int first);
    void (*conv_store)(const int32_t *acc, uint8_t *dst, size_t n, int32_t scale, unsigned shift, int pow2,
                       int32_t offset);
    /* packed formats (PK_PACKED_*): `rows` rows of `width` pixels to rgb24 and back */
    void (*packed_to_rgb)(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride, size_t width,
                          size_t rows, int format);
    void (*rgb_to_packed)(const uint8_t *src, size_t src_stride, uint8_t *dst, size_t dst_stride, size_t width,
                          size_t rows, int format);
    /* bayer: one output row of a demosaic from the mosaic rows above, at and below it (rows/bayer.h) */
    void (*demosaic)(const uint8_t *up, const uint8_t *mid, const uint8_t *down, uint8_t *dst, size_t width,
                     int own_red, int green_first, int edge_aware);
    /* the same from 16-bit rows of `bits`-bit samples, each result rounded to 8 bits */
    void (*demosaic_u16)(const uint16_t *up, const uint16_t *mid, const uint16_t *down, uint8_t *dst,
                         size_t width, int own_red, int green_first, int edge_aware, unsigned bits);
    /* yuv (rows/yuv.h): planar rows -> RGB, pixel x with chroma x >> chroma_shift */
    void (*yuv_rgb)(const uint8_t *y, const uint8_t *u, const uint8_t *v, uint8_t *dst, size_t width,
                    int chroma_shift, const int32_t *coef);
    /* one plane of RGB -> YUV (Y, or U / V of 4:4:4 with coef + 4, + 8) */
    void (*rgb_y)(const uint8_t *src, uint8_t *dst, size_t width, const int32_t *coef);
    /* U and V of `count` samples, sample c from pixel 2 c */
    void (*rgb_uv)(const uint8_t *src, uint8_t *u, uint8_t *v, size_t count, const int32_t *coef);
    /* U and V of a row of `width` pixels, sample c from the mean of pixels 2 c, 2 c + 1 */
    void (*rgb_uv_mean)(const uint8_t *src, uint8_t *u, uint8_t *v, size_t width, const int32_t *coef);
    void (*split2)(const uint8_t *src, uint8_t *a, uint8_t *b, size_t n);
    /* Y, U, V of packed 4:2:2 (yuyv, or uyvy when uyvy != 0), `pairs` pixel pairs */
    void (*split422)(const uint8_t *src, uint8_t *y, uint8_t *u, uint8_t *v, size_t pairs, int uyvy);
    void (*merge2)(const uint8_t *a, const uint8_t *b, uint8_t *dst, size_t n);
} pk_kernels;

extern const pk_kernels pk_kernels_portable;
#if defined(__x86_64__) || defined(__i386__)
#define PK_HAVE_X86_KERNELS 1
extern const pk_kernels pk_kernels_avx2;
extern const pk_kernels pk_kernels_avx512;
#endif

/* The table chosen for this process (never NULL). */
const pk_kernels *pk_kernels_active(void);

/*
 * Whether a kernel should store an output of `output_bytes` past the cache,
 * given `large`, the size from which that pays on a CPU whose last-level
 * cache is fast for one core (measured on AMD's L3).  Where one core finds
 * everything beyond its L2 as slow as memory (Intel's server mesh), it pays
 * from large / 16; which kind this CPU is gets measured once, on the first
 * call that asks about a size in between (a few ms; runtime.c).
 */
int pk_stream_output(size_t output_bytes, size_t large);

#endif /* PIXELKIT_KERNELS_H */
