/*
 * sepiakit.h: kernels over pixelkit images that pixelkit itself does not have.
 *
 * The only place these functions are declared: pixelkit.build reads this
 * header for the Python bindings, and forces it into the compile of every
 * source, so a definition that disagrees with it does not build.
 */
#ifndef SEPIAKIT_H
#define SEPIAKIT_H

#include <pixelkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Sepia toning: each output channel is a fixed-point (Q7) mix of r, g, b,
 * `amount` of the way from the original colour (0) to full sepia (1):
 * (m0 r + m1 g + m2 b + 64) >> 7, clamped, with m = round(128 (amount S + (1 - amount) I)). */
pk_status sepia(const pk_image *src, float amount, const pk_image *dst);

/* Sobel gradient magnitude of the BT.601 grey of src, min(255, round(sqrt(gx^2 + gy^2))),
 * borders reflected as OpenCV's BORDER_REFLECT_101; rows split over pixelkit's threads. */
pk_status sobel(const pk_image *src, const pk_plane *dst);

/* 3x3 median of each channel (C++: std::nth_element), borders reflected. */
pk_status median3(const pk_image *src, const pk_image *dst);

/* Unsharp mask through pixelkit's own gaussian_blur: dst = src + amount * (src - blur(src, sigma)),
 * rounded and clamped; dst must not overlap src. */
pk_status unsharp(const pk_image *src, double sigma, float amount, const pk_image *dst);

#ifdef __cplusplus
}
#endif

#endif /* SEPIAKIT_H */
