/*
 * netpbm.c: decoding of netpbm samples (rescaling to 8 bits, plain text).
 * The header is parsed in Python; the per-sample work is here.
 */
#include "internal.h"

static inline uint8_t pk_rescale(unsigned value, unsigned maxval)
{
    /* value <= maxval <= 65535, so value * 255 + maxval / 2 fits 32 bits. */
    return (uint8_t)((value * 255u + maxval / 2u) / maxval);
}

static pk_status pk_check_maxval(unsigned maxval)
{
    return (maxval >= 1 && maxval <= PK_NETPBM_MAX_MAXVAL) ? PK_OK : PK_ERR_ARGUMENT;
}

pk_status pk_netpbm_scale_u8(uint8_t *samples, size_t count, unsigned maxval,
                             size_t *bad_index)
{
    uint8_t table[256];

    if (samples == NULL || bad_index == NULL)
        return PK_ERR_NULL;
    if (pk_check_maxval(maxval) != PK_OK || maxval > 255)
        return PK_ERR_ARGUMENT;
    for (unsigned v = 0; v <= maxval; v++)
        table[v] = pk_rescale(v, maxval);
    for (size_t i = 0; i < count; i++) {
        if (samples[i] > maxval) {
            *bad_index = i;
            return PK_ERR_SAMPLE_RANGE;
        }
        samples[i] = table[samples[i]];
    }
    return PK_OK;
}

pk_status pk_netpbm_scale_u16be(const uint8_t *src, size_t count,
                                unsigned maxval, uint8_t *dst,
                                size_t *bad_index)
{
    if (src == NULL || dst == NULL || bad_index == NULL)
        return PK_ERR_NULL;
    if (pk_check_maxval(maxval) != PK_OK)
        return PK_ERR_ARGUMENT;
    for (size_t i = 0; i < count; i++) {
        unsigned value = (unsigned)src[2 * i] << 8 | src[2 * i + 1];
        if (value > maxval) {
            *bad_index = i;
            return PK_ERR_SAMPLE_RANGE;
        }
        dst[i] = pk_rescale(value, maxval);
    }
    return PK_OK;
}

static int pk_is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

pk_status pk_netpbm_parse_plain(const char *text, size_t length, size_t count,
                                unsigned maxval, uint8_t *dst,
                                size_t *position)
{
    size_t pos = 0;

    if (text == NULL || dst == NULL || position == NULL)
        return PK_ERR_NULL;
    if (pk_check_maxval(maxval) != PK_OK)
        return PK_ERR_ARGUMENT;

    for (size_t i = 0; i < count; i++) {
        /* Skip whitespace and comments (netpbm's own readers allow them here). */
        while (pos < length) {
            if (pk_is_space(text[pos])) {
                pos++;
            } else if (text[pos] == '#') {
                while (pos < length && text[pos] != '\n' && text[pos] != '\r')
                    pos++;
            } else {
                break;
            }
        }
        if (pos == length) {
            *position = pos;
            return PK_ERR_TRUNCATED;
        }
        size_t start = pos;
        unsigned value = 0;
        while (pos < length && text[pos] >= '0' && text[pos] <= '9') {
            value = value * 10u + (unsigned)(text[pos] - '0');
            pos++;
            if (value > maxval) {
                *position = start;
                return PK_ERR_SAMPLE_RANGE;
            }
        }
        if (pos == start || (pos < length && !pk_is_space(text[pos]) && text[pos] != '#')) {
            *position = pos;
            return PK_ERR_SYNTAX;
        }
        dst[i] = pk_rescale(value, maxval);
    }
    *position = pos;
    return PK_OK;
}
