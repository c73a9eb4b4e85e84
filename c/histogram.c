/*
 * histogram.c: per-channel histograms.
 */
#include "internal.h"
#include "kernels.h"

#include <stdatomic.h>
#include <string.h>

typedef struct {
    const pk_kernels *kernels;
    const pk_image *src;
    _Atomic uint64_t *totals; /* 3 * 256 */
    atomic_int status;
} pk_histogram_job;

/* Flush the 32-bit tables well before a counter could wrap. */
#define PK_FLUSH_PIXELS ((size_t)1 << 30)

static void pk_flush(uint32_t *counts, _Atomic uint64_t *totals)
{
    for (size_t i = 0; i < 768; i++) {
        if (counts[i])
            atomic_fetch_add_explicit(&totals[i], counts[i], memory_order_relaxed);
    }
    memset(counts, 0, 768 * sizeof *counts);
}

static void pk_histogram_band(void *context, size_t begin, size_t end)
{
    pk_histogram_job *job = context;
    uint32_t *counts = pk_scratch(768 * sizeof *counts);
    size_t pending = 0;
    if (counts == NULL) {
        atomic_store(&job->status, PK_ERR_NO_MEMORY);
        return;
    }
    memset(counts, 0, 768 * sizeof *counts);
    for (size_t y = begin; y < end; y++) {
        job->kernels->histogram((const uint8_t *)job->src->pixels + y * job->src->stride, job->src->width, counts);
        pending += job->src->width;
        if (pending >= PK_FLUSH_PIXELS) {
            pk_flush(counts, job->totals);
            pending = 0;
        }
    }
    pk_flush(counts, job->totals);
    pk_scratch_free(counts);
}

pk_status pk_histogram(const pk_image *src, uint64_t *counts)
{
    pk_status status = pk_image_validate(src);
    if (status != PK_OK)
        return status;
    if (counts == NULL)
        return PK_ERR_NULL;
    _Atomic uint64_t totals[768];
    for (size_t i = 0; i < 768; i++)
        atomic_init(&totals[i], 0);
    pk_histogram_job job = {.kernels = pk_kernels_active(), .src = src, .totals = totals};
    atomic_init(&job.status, PK_OK);
    pk_parallel_for(src->height, 3 * src->width * src->height, pk_histogram_band, &job);
    if (job.status != PK_OK)
        return (pk_status)atomic_load(&job.status);
    for (size_t i = 0; i < 768; i++)
        counts[i] = atomic_load(&totals[i]);
    return PK_OK;
}
