/*
 * point.c: operations that map each pixel on its own (fill, invert).
 */
#include "internal.h"

#include <string.h>

pk_status pk_fill(const pk_image *dst, uint8_t r, uint8_t g, uint8_t b)
{
    pk_status status = pk_image_validate(dst);

    if (status != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;

    /* Fill one row pixel by pixel, then copy it: rows are plain bytes. */
    unsigned char *first = (unsigned char *)dst->pixels;
    size_t row_bytes = dst->width * 3;
    for (size_t i = 0; i < row_bytes; i += 3) {
        first[i] = r;
        first[i + 1] = g;
        first[i + 2] = b;
    }
    for (size_t y = 1; y < dst->height; y++)
        memcpy(first + y * dst->stride, first, row_bytes);
    return PK_OK;
}

pk_status pk_invert(const pk_image *src, const pk_image *dst)
{
    pk_status status = pk_check_unary(src, dst, 1);

    if (status != PK_OK)
        return status;
    size_t row_bytes = src->width * 3;
    for (size_t y = 0; y < src->height; y++) {
        const unsigned char *in = (const unsigned char *)src->pixels + y * src->stride;
        unsigned char *out = (unsigned char *)dst->pixels + y * dst->stride;
        for (size_t i = 0; i < row_bytes; i++)
            out[i] = (unsigned char)~in[i];
    }
    return PK_OK;
}
