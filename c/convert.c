/*
 * convert.c: colour conversions.
 */
#include "internal.h"

pk_status pk_to_gray(const pk_image *src, const pk_plane *dst)
{
    pk_status status;

    if ((status = pk_image_validate(src)) != PK_OK || (status = pk_plane_validate(dst)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    status = pk_check_alias(src->pixels, pk_image_span(src), src->stride,
                            dst->data, pk_plane_span(dst), dst->stride);
    if (status != PK_OK)
        return status;

    for (size_t y = 0; y < src->height; y++) {
        const unsigned char *in = (const unsigned char *)src->pixels + y * src->stride;
        uint8_t *out = dst->data + y * dst->stride;
        for (size_t x = 0; x < src->width; x++) {
            /* The weights sum to 65536, so the result always fits a byte. */
            uint32_t luma = 19595u * in[3 * x] + 38470u * in[3 * x + 1]
                            + 7471u * in[3 * x + 2] + 0x8000u;
            out[x] = (uint8_t)(luma >> 16);
        }
    }
    return PK_OK;
}
