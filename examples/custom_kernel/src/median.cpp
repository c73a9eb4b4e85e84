// median.cpp: a C++17 kernel (templates, <algorithm>) behind the header's extern "C" declaration.
#include "sepiakit.h"

#include <algorithm>
#include <array>
#include <cstdint>

namespace {

std::size_t reflect101(long i, std::size_t n)
{
    if (n == 1)
        return 0;
    if (i < 0)
        return static_cast<std::size_t>(-i);
    if (static_cast<std::size_t>(i) >= n)
        return 2 * n - 2 - static_cast<std::size_t>(i);
    return static_cast<std::size_t>(i);
}

template <typename T, std::size_t N>
T median_of(std::array<T, N> values)
{
    auto middle = values.begin() + N / 2;
    std::nth_element(values.begin(), middle, values.end());
    return *middle;
}

}  // namespace

pk_status median3(const pk_image *src, const pk_image *dst)
{
    if (pk_image_validate(src) != PK_OK || pk_image_validate(dst) != PK_OK)
        return src == nullptr || dst == nullptr ? PK_ERR_NULL : PK_ERR_ARGUMENT;
    if (src->width != dst->width || src->height != dst->height)
        return PK_ERR_SHAPE;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if (src->pixels == dst->pixels)
        return PK_ERR_OVERLAP;
    const std::size_t w = src->width, h = src->height;
    for (std::size_t y = 0; y < h; y++) {
        auto *out = reinterpret_cast<std::uint8_t *>(dst->pixels) + y * dst->stride;
        for (std::size_t x = 0; x < w; x++) {
            for (std::size_t c = 0; c < 3; c++) {
                std::array<std::uint8_t, 9> window{};
                std::size_t k = 0;
                for (long dy = -1; dy <= 1; dy++) {
                    const auto *row = reinterpret_cast<const std::uint8_t *>(src->pixels)
                                      + reflect101(static_cast<long>(y) + dy, h) * src->stride;
                    for (long dx = -1; dx <= 1; dx++)
                        window[k++] = row[3 * reflect101(static_cast<long>(x) + dx, w) + c];
                }
                out[3 * x + c] = median_of(window);
            }
        }
    }
    return PK_OK;
}
