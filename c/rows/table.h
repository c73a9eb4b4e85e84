/*
 * rows/table.h: compiles every loop of rows/ into one pk_kernels table.
 * Included once by each isa_*.c after it has chosen the target; the file
 * defines PK_KERNELS_NAME and PK_KERNELS_TABLE first.
 */
#include "kernels.h"
#include "rows/point.h"
#include "rows/convert.h"
#include "rows/geometry.h"
#include "rows/resample.h"
#include "rows/filter.h"

const pk_kernels PK_KERNELS_TABLE = {
    .name = PK_KERNELS_NAME,
    .invert = row_invert,
    .lut1 = row_lut1,
    .lut3 = row_lut3,
    .swap_rb = row_swap_rb,
    .blend = row_blend,
    .gray = row_gray,
    .tensor_chw = row_tensor_chw,
    .tensor_hwc = row_tensor_hwc,
    .flip_row = row_flip,
    .remap_tiles = row_remap_tiles,
    .histogram = row_histogram,
    .resize_h_linear = row_resize_h_linear,
    .resize_v_linear = row_resize_v_linear,
    .resize_area_h = row_resize_area_h,
    .half = row_half,
    .double_h = row_double_h,
    .double_v = row_double_v,
    .area_sum_h = row_area_sum_h,
    .nearest_row = row_nearest,
    .axpy_f32 = row_axpy_f32,
    .round_f32 = row_round_f32,
    .add_u8 = row_add_u8,
    .slide_u8 = row_slide_u8,
    .box_h16 = row_box_h16,
    .box_h = row_box_h,
    .add_u32 = row_add_u32,
    .sub_u32 = row_sub_u32,
    .box_div = row_box_div,
    .box_div_large = row_box_div_large,
    .gauss_h = row_gauss_h,
    .gauss_v = row_gauss_v,
};
