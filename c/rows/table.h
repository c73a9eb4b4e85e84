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
#include "rows/packed.h"
#include "rows/bayer.h"
#include "rows/yuv.h"

const pk_kernels PK_KERNELS_TABLE = {
    .name = PK_KERNELS_NAME,
    .invert = row_invert,
    .stream = row_stream,
    .lut1 = row_lut1,
    .lut3 = row_lut3,
    .swap_rb = row_swap_rb,
    .swap_rb_stream = row_swap_rb_stream,
    .blend = row_blend,
    .gray = row_gray,
    .tensor_chw = row_tensor_chw,
    .tensor_hwc = row_tensor_hwc,
    .flip_row = row_flip,
    .remap_tiles = row_remap_tiles,
    .histogram = row_histogram,
    .resize_h_linear = row_resize_h_linear,
    .resize_linear_fused = row_resize_linear_fused,
    .resize_v_linear = row_resize_v_linear,
    .area_v_u32 = row_area_v_u32,
    .u32_to_f32 = row_u32_to_f32,
    .area_h_f32 = row_area_h_f32,
    .half = row_half,
    .double_h = row_double_h,
    .double_v = row_double_v,
    .area_sum_h16 = row_area_sum_h16,
    .area_div_even = row_area_div_even,
    .nearest_row = row_nearest,
    .add_u8 = row_add_u8,
    .slide_u8 = row_slide_u8,
    .box_h16 = row_box_h16,
    .box_h16_slide = row_box_h16_slide,
    .scan3_u16 = row_scan3_u16,
    .scan3_u32 = row_scan3_u32,
    .scan3_u32w = row_scan3_u32w,
    .add_u8w = row_add_u8w,
    .slide_u8w = row_slide_u8w,
    .box_diff16 = row_box_diff16,
    .box_diff32 = row_box_diff32,
    .box_diff32d = row_box_diff32d,
    .add_u32 = row_add_u32,
    .box_div = row_box_div,
    .gauss_h = row_gauss_h,
    .gauss_v = row_gauss_v,
    .conv_row = row_conv_row,
    .conv_store = row_conv_store,
    .packed_to_rgb = row_packed_to_rgb,
    .rgb_to_packed = row_rgb_to_packed,
    .demosaic = row_demosaic,
    .demosaic_u16 = row_demosaic_u16,
    .yuv_rgb = row_yuv_rgb,
    .rgb_y = row_rgb_y,
    .rgb_uv = row_rgb_uv,
    .rgb_uv_mean = row_rgb_uv_mean,
    .split2 = row_split2,
    .split422 = row_split422,
    .merge2 = row_merge2,
};
