/* unsharp.c: pixelkit's own gaussian_blur, then a step of this module's own. */
#include "sepiakit.h"

#include <math.h>

pk_status unsharp(const pk_image *src, double sigma, float amount, const pk_image *dst)
{
    if (!(amount >= 0.0f && amount <= 16.0f))
        return PK_ERR_ARGUMENT;
    /* The blur goes straight into dst (it validates both images and refuses an overlap). */
    pk_status status = pk_gaussian_blur(src, sigma, dst);
    if (status != PK_OK)
        return status;
    for (size_t y = 0; y < src->height; y++) {
        const uint8_t *in = (const uint8_t *)src->pixels + y * src->stride;
        uint8_t *out = (uint8_t *)dst->pixels + y * dst->stride;
        for (size_t i = 0; i < 3 * src->width; i++) {
            float v = (float)in[i] + amount * (float)((int)in[i] - (int)out[i]);
            long rounded = lroundf(v);
            out[i] = (uint8_t)(rounded < 0 ? 0 : rounded > 255 ? 255 : rounded);
        }
    }
    return PK_OK;
}
