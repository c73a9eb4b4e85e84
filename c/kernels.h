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

typedef struct {
    const char *name;
    /* point */
    void (*invert)(const uint8_t *src, uint8_t *dst, size_t n);
    void (*lut1)(const uint8_t *src, uint8_t *dst, size_t n, const uint8_t *lut);
    void (*lut3)(const uint8_t *src, uint8_t *dst, size_t width, const uint8_t *lut);
    void (*swap_rb)(const uint8_t *src, uint8_t *dst, size_t width);
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
    /* histogram: adds one row to four interleaved tables of 3 * 256 counters */
    void (*histogram)(const uint8_t *src, size_t width, uint32_t *counts4);
    /* resample */
    void (*resize_h_linear)(const uint8_t *src, int32_t *dst, size_t dst_width,
                            const int32_t *xofs, const int16_t *alpha);
    void (*resize_v_linear)(const int32_t *row0, const int32_t *row1, uint8_t *dst,
                            size_t n, int32_t beta0, int32_t beta1);
    void (*resize_area_h)(const uint8_t *src, float *dst, size_t dst_width,
                          const int32_t *start, const int32_t *count, const float *weights,
                          size_t taps);
    void (*double_h)(const uint8_t *src, uint16_t *dst, size_t src_width);
    void (*double_v)(const uint16_t *a, const uint16_t *b, uint8_t *dst, size_t n, uint16_t w0, uint16_t w1);
    void (*half)(const uint8_t *row0, const uint8_t *row1, uint8_t *dst, size_t dst_width);
    void (*area_sum_h)(const uint8_t *src, uint32_t *dst, size_t dst_width, size_t factor);
    void (*nearest_row)(const uint8_t *src, uint8_t *dst, size_t dst_width, const int32_t *xofs,
                        size_t src_width);
    void (*axpy_f32)(const float *src, float *acc, size_t n, float weight);
    void (*round_f32)(const float *src, uint8_t *dst, size_t n);
    /* filter */
    void (*add_u8)(uint16_t *acc, const uint8_t *row, size_t n);
    void (*slide_u8)(uint16_t *acc, const uint8_t *entering, const uint8_t *leaving, size_t n);
    void (*box_h16)(const uint16_t *padded, uint8_t *dst, size_t width, size_t radius, uint32_t area,
                    uint32_t magic);
    void (*box_h)(const uint8_t *padded, uint32_t *dst, size_t width, size_t radius);
    void (*add_u32)(uint32_t *acc, const uint32_t *src, size_t n);
    void (*sub_u32)(uint32_t *acc, const uint32_t *src, size_t n);
    void (*box_div)(const uint32_t *sum, uint8_t *dst, size_t n, uint32_t area, uint32_t magic);
    void (*box_div_large)(const uint32_t *sum, uint8_t *dst, size_t n, uint32_t area);
    void (*gauss_h)(const uint8_t *padded, uint16_t *dst, size_t width, const uint16_t *taps,
                    size_t radius);
    void (*gauss_v)(const uint16_t *const *rows, uint8_t *dst, size_t n, const uint16_t *taps,
                    size_t radius);
} pk_kernels;

extern const pk_kernels pk_kernels_portable;
#if defined(__x86_64__) || defined(__i386__)
#define PK_HAVE_X86_KERNELS 1
extern const pk_kernels pk_kernels_avx2;
extern const pk_kernels pk_kernels_avx512;
#endif

/* The table chosen for this process (never NULL). */
const pk_kernels *pk_kernels_active(void);

#endif /* PIXELKIT_KERNELS_H */
