/*
 * image.c: pixel layout, image size arithmetic and descriptor checks, and
 * the allocator behind every pixelkit-owned buffer.
 */
/* -std=c11 hides mmap's MAP_ANONYMOUS and madvise; ask for them. */
#define _DEFAULT_SOURCE 1
#define _DARWIN_C_SOURCE 1

#include "internal.h"

#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#include <unistd.h>
#if defined(MAP_ANONYMOUS)
#define PK_HAVE_MMAP 1
#endif
#include <pthread.h>
#include <signal.h>
#include <time.h>
#endif

const char *pk_status_message(pk_status status)
{
    switch (status) {
    case PK_OK: return "success";
    case PK_ERR_NULL: return "a required pointer is NULL";
    case PK_ERR_SIZE: return "width and height must be between 1 and PK_MAX_DIMENSION";
    case PK_ERR_STRIDE: return "the row stride is shorter than one row of pixels";
    case PK_ERR_OVERFLOW: return "the image is too large for the address space";
    case PK_ERR_NO_MEMORY: return "out of memory";
    case PK_ERR_SHAPE: return "the output size does not match the result";
    case PK_ERR_READONLY: return "the output is read-only";
    case PK_ERR_OVERLAP: return "the output partially overlaps an input";
    case PK_ERR_ARGUMENT: return "a parameter is out of range";
    case PK_ERR_SAMPLE_RANGE: return "a sample is larger than maxval";
    case PK_ERR_SYNTAX: return "expected a decimal sample";
    case PK_ERR_TRUNCATED: return "the data ends before the declared number of samples";
    }
    return "unknown status";
}

pk_status pk_pixel_layout(pk_layout *out)
{
    if (out == NULL)
        return PK_ERR_NULL;
    out->size = sizeof(pixel_t);
    out->align = alignof(pixel_t);
    out->offset_r = offsetof(pixel_t, r);
    out->offset_g = offsetof(pixel_t, g);
    out->offset_b = offsetof(pixel_t, b);
    return PK_OK;
}

pk_status pk_image_nbytes(size_t width, size_t height, size_t stride,
                          size_t *row_bytes, size_t *total)
{
    size_t row, bytes;

    if (row_bytes == NULL || total == NULL)
        return PK_ERR_NULL;
    if (width < 1 || width > PK_MAX_DIMENSION || height < 1 || height > PK_MAX_DIMENSION)
        return PK_ERR_SIZE;
    if (!pk_mul_size(width, 3, &row))
        return PK_ERR_OVERFLOW;
    if (stride == 0)
        stride = row;
    if (stride < row)
        return PK_ERR_STRIDE;
    if (!pk_mul_size(stride, height, &bytes) || bytes > (size_t)PTRDIFF_MAX)
        return PK_ERR_OVERFLOW;
    *row_bytes = row;
    *total = bytes;
    return PK_OK;
}

pk_status pk_check_layout(const void *data, size_t width, size_t height,
                          size_t stride, size_t channels, size_t *span)
{
    size_t row, rows_before_last, bytes;

    if (data == NULL)
        return PK_ERR_NULL;
    if (width < 1 || width > PK_MAX_DIMENSION || height < 1 || height > PK_MAX_DIMENSION)
        return PK_ERR_SIZE;
    if (!pk_mul_size(width, channels, &row))
        return PK_ERR_OVERFLOW;
    if (stride < row)
        return PK_ERR_STRIDE;
    if (!pk_mul_size(stride, height - 1, &rows_before_last)
        || !pk_add_size(rows_before_last, row, &bytes)
        || bytes > (size_t)PTRDIFF_MAX
        || (uintptr_t)data > UINTPTR_MAX - bytes)
        return PK_ERR_OVERFLOW;
    *span = bytes;
    return PK_OK;
}

pk_status pk_image_validate(const pk_image *image)
{
    size_t span;

    if (image == NULL)
        return PK_ERR_NULL;
    return pk_check_layout(image->pixels, image->width, image->height,
                           image->stride, 3, &span);
}

pk_status pk_plane_validate(const pk_plane *plane)
{
    size_t span;

    if (plane == NULL)
        return PK_ERR_NULL;
    return pk_check_layout(plane->data, plane->width, plane->height,
                           plane->stride, 1, &span);
}

/*
 * Region A is `a_rows` rows of `a_row` bytes, `a_stride` apart, from `a`;
 * likewise B.  A row of A meets B when the first row of B that ends after
 * the row's start begins before the row's end; only the rows of A inside
 * B's span are looked at.  A is the region with fewer rows, so at most
 * PK_MAX_DIMENSION rows are visited, each in a few operations.
 */
int pk_regions_overlap(const void *a, size_t a_row, size_t a_rows, size_t a_stride,
                       const void *b, size_t b_row, size_t b_rows, size_t b_stride)
{
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;

    if (a_rows > b_rows) {
        uintptr_t p = pa;
        size_t row = a_row, rows = a_rows, stride = a_stride;
        pa = pb, a_row = b_row, a_rows = b_rows, a_stride = b_stride;
        pb = p, b_row = row, b_rows = rows, b_stride = stride;
    }
    if (a_rows == 1)
        a_stride = a_row;
    if (b_rows == 1)
        b_stride = b_row;
    /* Validated descriptors: neither span wraps around the address space. */
    uintptr_t a_end = pa + (a_rows - 1) * a_stride + a_row;
    uintptr_t b_end = pb + (b_rows - 1) * b_stride + b_row;
    if (a_end <= pb || b_end <= pa)
        return 0;
    /* The rows of A that may meet B: from the first one ending after pb. */
    size_t first = pa + a_row > pb ? 0 : (pb - pa - a_row) / a_stride + 1;
    for (size_t i = first; i < a_rows; i++) {
        uintptr_t start = pa + i * a_stride, end = start + a_row;
        if (start >= b_end)
            break;
        /* The first row of B that ends after `start`. */
        size_t j = start < pb + b_row ? 0 : (start - pb - b_row) / b_stride + 1;
        if (j < b_rows && pb + j * b_stride < end)
            return 1;
    }
    return 0;
}

pk_status pk_check_alias(const void *src, size_t src_row, size_t src_rows, size_t src_stride,
                         const void *dst, size_t dst_row, size_t dst_rows, size_t dst_stride)
{
    if (src == dst && src_row == dst_row && src_rows == dst_rows && (src_rows == 1 || src_stride == dst_stride))
        return PK_OK;
    if (pk_regions_overlap(src, src_row, src_rows, src_stride, dst, dst_row, dst_rows, dst_stride))
        return PK_ERR_OVERLAP;
    return PK_OK;
}

pk_status pk_check_pair(const pk_image *src, const pk_image *dst, pk_size_rule rule, int in_place_ok)
{
    pk_status status;

    if ((status = pk_image_validate(src)) != PK_OK || (status = pk_image_validate(dst)) != PK_OK)
        return status;
    if (!dst->writable)
        return PK_ERR_READONLY;
    if ((rule == PK_SAME_SIZE && (src->width != dst->width || src->height != dst->height))
        || (rule == PK_SWAPPED_SIZE && (dst->width != src->height || dst->height != src->width)))
        return PK_ERR_SHAPE;
    if (!in_place_ok && src->pixels == dst->pixels)
        return PK_ERR_OVERLAP;
    return pk_check_alias(src->pixels, 3 * src->width, src->height, src->stride,
                          dst->pixels, 3 * dst->width, dst->height, dst->stride);
}

/* ---- allocation ------------------------------------------------------ */

/*
 * Every block carries a small header just before the pointer handed out,
 * so that pk_free knows how the block was obtained.  Blocks of at least
 * PK_HUGE_THRESHOLD bytes come straight from mmap, aligned to 2 MiB and
 * advised for transparent huge pages: fresh 4 KiB pages cost more in page
 * faults than most kernels spend on the pixels.  mmap memory is already
 * zero, so large zeroed blocks cost nothing up front.
 */
#define PK_ALIGNMENT 64u
#define PK_HUGE_PAGE ((size_t)2 << 20)
#define PK_HUGE_THRESHOLD ((size_t)4 << 20)

typedef struct {
    void *base;       /* what malloc/mmap returned */
    size_t length;    /* mapped length, 0 for malloc blocks */
} pk_block_header;

_Static_assert(sizeof(pk_block_header) <= PK_ALIGNMENT, "header must fit the alignment gap");

static atomic_size_t pk_live_blocks;

/* Under AddressSanitizer (PK_SANITIZED, internal.h) every block is a plain
 * malloc of the exact size, so that it sees each overrun, use after free and
 * leak (the mapped, padded and reused blocks below would hide them). */

#ifndef PK_SANITIZED
static unsigned char *pk_align_up(unsigned char *p, size_t alignment)
{
    uintptr_t v = (uintptr_t)p;
    return p + ((alignment - v % alignment) % alignment);
}

#ifdef PK_HAVE_MMAP
/*
 * Recently freed large blocks, kept for reuse by requests that need no
 * zeroing: pages already faulted in cost nothing the second time, while a
 * fresh mapping pays a fault per page (glibc's malloc keeps freed memory
 * for the same reason).  But memory nobody reuses must go back to the
 * system, or every memory graph shows a leak:
 *  - a block above PK_BUFFER_CACHE_BLOCK_MAX (or above the whole limit) is
 *    unmapped at once;
 *  - at most PK_CACHE_SLOTS blocks and pk_cache_limit bytes are kept,
 *    oldest evicted first;
 *  - a block unused for PK_BUFFER_CACHE_IDLE_MS is unmapped by a reaper
 *    thread that sleeps on a condition variable: it waits without a
 *    timeout while the cache is empty and wakes only when the oldest
 *    block's time is up, so an idle process does no work at all.
 * All of it is guarded by one mutex, held for a few loads and stores
 * (never across munmap).
 */
#define PK_CACHE_SLOTS 8

typedef struct {
    void *base;
    size_t length;
    uint64_t freed_ns; /* CLOCK_MONOTONIC time of the pk_free that cached it */
} pk_cached_block;

static pk_cached_block pk_cache[PK_CACHE_SLOTS]; /* packed, oldest first */
static size_t pk_cache_used, pk_cache_total;
static size_t pk_cache_limit = PK_BUFFER_CACHE_DEFAULT;
static int pk_reaper_running, pk_reaper_waiting;
static pthread_mutex_t pk_cache_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pk_cache_wake;
static pthread_once_t pk_cache_once = PTHREAD_ONCE_INIT;

static uint64_t pk_monotonic_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void pk_cache_init_wake(void)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
#if defined(__linux__)
    /* Timed waits measure the monotonic clock the blocks are stamped with. */
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
#endif
    pthread_cond_init(&pk_cache_wake, &attr);
    pthread_condattr_destroy(&attr);
}

/*
 * fork() copies the mutex as it is: had another thread held it at that
 * moment, the child (where that thread does not exist) would block forever
 * on its first large allocation or free.  So fork waits for the mutex
 * (prepare) and both processes release it afterwards.  The reaper thread
 * does not exist in the child: the child's first cached block starts a
 * new one.
 */
static void pk_cache_before_fork(void) { pthread_mutex_lock(&pk_cache_mutex); }
static void pk_cache_after_fork_in_parent(void) { pthread_mutex_unlock(&pk_cache_mutex); }

static void pk_cache_after_fork_in_child(void)
{
    /* Only the forking thread exists here, and it took the mutex in prepare. */
    pk_reaper_running = 0;
    pk_reaper_waiting = 0;
    pk_cache_init_wake();
    pthread_mutex_unlock(&pk_cache_mutex);
}

static void pk_cache_setup(void)
{
    pk_cache_init_wake();
    /* Without the handlers (ENOMEM) a fork may still hang: nothing better to do. */
    (void)pthread_atfork(pk_cache_before_fork, pk_cache_after_fork_in_parent, pk_cache_after_fork_in_child);
}

static void pk_cache_lock(void)
{
    /* Before the first use of the mutex, so no fork can ever copy it held. */
    (void)pthread_once(&pk_cache_once, pk_cache_setup);
    pthread_mutex_lock(&pk_cache_mutex);
}

static void pk_cache_unlock(void) { pthread_mutex_unlock(&pk_cache_mutex); }

static void pk_cache_remove(size_t i)
{
    pk_cache_total -= pk_cache[i].length;
    memmove(&pk_cache[i], &pk_cache[i + 1], (pk_cache_used - 1 - i) * sizeof pk_cache[0]);
    pk_cache_used--;
    pk_cache[pk_cache_used].base = NULL;
}

/* Moves the oldest blocks into `out` until at most `keep_bytes` remain; returns how many. */
static size_t pk_cache_shrink(size_t keep_bytes, size_t keep_slots, pk_cached_block out[PK_CACHE_SLOTS])
{
    size_t n = 0;
    while (pk_cache_used > 0 && (pk_cache_total > keep_bytes || pk_cache_used > keep_slots)) {
        out[n++] = pk_cache[0];
        pk_cache_remove(0);
    }
    return n;
}

static size_t pk_unmap_all(const pk_cached_block *blocks, size_t n)
{
    size_t bytes = 0;
    for (size_t i = 0; i < n; i++) {
        munmap(blocks[i].base, blocks[i].length);
        bytes += blocks[i].length;
    }
    return bytes;
}

static void *pk_cache_reaper(void *unused)
{
    (void)unused;
    pk_cached_block expired[PK_CACHE_SLOTS];
    const uint64_t idle = (uint64_t)PK_BUFFER_CACHE_IDLE_MS * 1000000u;
    pthread_mutex_lock(&pk_cache_mutex);
    for (;;) {
        if (pk_cache_used == 0) {
            pk_reaper_waiting = 1;
            pthread_cond_wait(&pk_cache_wake, &pk_cache_mutex);
            pk_reaper_waiting = 0;
            continue;
        }
        uint64_t now = pk_monotonic_ns(), due = pk_cache[0].freed_ns + idle;
        if (now < due) {
            struct timespec until;
#if defined(__linux__)
            until.tv_sec = (time_t)(due / 1000000000u);
            until.tv_nsec = (long)(due % 1000000000u);
#else
            struct timespec wall;
            clock_gettime(CLOCK_REALTIME, &wall);
            uint64_t at = (uint64_t)wall.tv_sec * 1000000000u + (uint64_t)wall.tv_nsec + (due - now);
            until.tv_sec = (time_t)(at / 1000000000u);
            until.tv_nsec = (long)(at % 1000000000u);
#endif
            pthread_cond_timedwait(&pk_cache_wake, &pk_cache_mutex, &until);
            continue;
        }
        size_t n = 0;
        while (pk_cache_used > 0 && pk_cache[0].freed_ns + idle <= now) {
            expired[n++] = pk_cache[0];
            pk_cache_remove(0);
        }
        pthread_mutex_unlock(&pk_cache_mutex);
        pk_unmap_all(expired, n);
        pthread_mutex_lock(&pk_cache_mutex);
    }
    return NULL;
}

/* With the mutex held: whether a reaper runs (starting it if needed). */
static int pk_cache_reaper_ready(void)
{
    if (pk_reaper_running)
        return 1;
    pthread_attr_t attr;
    pthread_t thread;
    if (pthread_attr_init(&attr) != 0)
        return 0;
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    /* It only loops over the slots: a small stack is plenty. */
    pthread_attr_setstacksize(&attr, (size_t)64 << 10);
    /* Signals belong to the interpreter's threads: block them all in the reaper. */
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pk_reaper_running = pthread_create(&thread, &attr, pk_cache_reaper, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attr);
    return pk_reaper_running;
}

/* A cached mapping of at least `length` bytes (and not much more), or NULL. */
static void *pk_cache_take(size_t length, size_t *taken)
{
    void *base = NULL;
    pk_cache_lock();
    /* Newest first: the block just freed is the one still in the caches. */
    for (size_t i = pk_cache_used; i-- > 0;) {
        if (pk_cache[i].length >= length && pk_cache[i].length - length <= length / 4) {
            base = pk_cache[i].base;
            *taken = pk_cache[i].length;
            pk_cache_remove(i);
            break;
        }
    }
    pk_cache_unlock();
    return base;
}

/*
 * Keeps a mapping for reuse, evicting the oldest ones to make room (the
 * recent sizes are the ones a loop asks for again).  Returns 0 when the
 * block is not to be cached: too large, the cache disabled, or no reaper
 * thread to give it back later.
 */
static int pk_cache_put(void *base, size_t length)
{
    pk_cached_block evicted[PK_CACHE_SLOTS];
    size_t evictions;

    if (length > PK_BUFFER_CACHE_BLOCK_MAX)
        return 0;
    pk_cache_lock();
    if (length > pk_cache_limit || !pk_cache_reaper_ready()) {
        pk_cache_unlock();
        return 0;
    }
    evictions = pk_cache_shrink(pk_cache_limit - length, PK_CACHE_SLOTS - 1, evicted);
    pk_cache[pk_cache_used].base = base;
    pk_cache[pk_cache_used].length = length;
    pk_cache[pk_cache_used].freed_ns = pk_monotonic_ns();
    pk_cache_used++;
    pk_cache_total += length;
    if (pk_reaper_waiting)
        pthread_cond_signal(&pk_cache_wake);
    pk_cache_unlock();
    pk_unmap_all(evicted, evictions);
    return 1;
}
#endif

#endif /* !PK_SANITIZED */

pk_status pk_alloc(size_t nbytes, int zeroed, void **out)
{
    pk_block_header header = {NULL, 0};
    unsigned char *data = NULL;
    size_t total;

    if (out == NULL)
        return PK_ERR_NULL;
    *out = NULL;
    if (nbytes == 0)
        return PK_ERR_ARGUMENT;
    if (nbytes > (size_t)PTRDIFF_MAX)
        return PK_ERR_OVERFLOW;

#ifdef PK_SANITIZED
    (void)header;
    (void)total;
    data = zeroed ? calloc(1, nbytes) : malloc(nbytes);
    if (data == NULL)
        return PK_ERR_NO_MEMORY;
    atomic_fetch_add_explicit(&pk_live_blocks, 1, memory_order_relaxed);
    *out = data;
    return PK_OK;
#else
#ifdef PK_HAVE_MMAP
    if (nbytes >= PK_HUGE_THRESHOLD) {
        if (!pk_add_size(nbytes, PK_ALIGNMENT + PK_HUGE_PAGE, &total))
            return PK_ERR_OVERFLOW;
        size_t length = total;
        void *base = zeroed ? NULL : pk_cache_take(total, &length);
        if (base == NULL) {
            base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (base == MAP_FAILED)
                return PK_ERR_NO_MEMORY;
            length = total;
            data = pk_align_up((unsigned char *)base + PK_ALIGNMENT, PK_HUGE_PAGE);
#ifdef MADV_HUGEPAGE
            /* Advice only: without THP support the block still works. */
            (void)madvise(data, nbytes - nbytes % PK_HUGE_PAGE, MADV_HUGEPAGE);
#endif
        } else {
            data = pk_align_up((unsigned char *)base + PK_ALIGNMENT, PK_HUGE_PAGE);
        }
        header.base = base;
        header.length = length;
    }
#endif
    if (data == NULL) {
        if (!pk_add_size(nbytes, 2 * PK_ALIGNMENT, &total))
            return PK_ERR_OVERFLOW;
        void *base = zeroed ? calloc(1, total) : malloc(total);
        if (base == NULL)
            return PK_ERR_NO_MEMORY;
        data = pk_align_up((unsigned char *)base + PK_ALIGNMENT, PK_ALIGNMENT);
        header.base = base;
    }
    memcpy(data - sizeof header, &header, sizeof header);
    atomic_fetch_add_explicit(&pk_live_blocks, 1, memory_order_relaxed);
    *out = data;
    return PK_OK;
#endif
}

pk_status pk_free(void *block)
{
    pk_block_header header;

    if (block == NULL)
        return PK_OK;
#ifdef PK_SANITIZED
    (void)header;
    free(block);
#else
    memcpy(&header, (unsigned char *)block - sizeof header, sizeof header);
#ifdef PK_HAVE_MMAP
    if (header.length != 0) {
        if (!pk_cache_put(header.base, header.length))
            munmap(header.base, header.length);
    } else
#endif
        free(header.base);
#endif
    atomic_fetch_sub_explicit(&pk_live_blocks, 1, memory_order_relaxed);
    return PK_OK;
}

size_t pk_live_allocations(void)
{
    return atomic_load_explicit(&pk_live_blocks, memory_order_relaxed);
}

#if defined(PK_HAVE_MMAP) && !defined(PK_SANITIZED)
#define PK_HAVE_BUFFER_CACHE 1
#else
/* No cache to limit, but the setting still reads back as it was set. */
static atomic_size_t pk_cache_limit_setting = PK_BUFFER_CACHE_DEFAULT;
#endif

pk_status pk_set_buffer_cache(size_t max_bytes)
{
#ifdef PK_HAVE_BUFFER_CACHE
    pk_cached_block evicted[PK_CACHE_SLOTS];
    pk_cache_lock();
    pk_cache_limit = max_bytes;
    size_t n = pk_cache_shrink(max_bytes, PK_CACHE_SLOTS, evicted);
    pk_cache_unlock();
    pk_unmap_all(evicted, n);
#else
    atomic_store(&pk_cache_limit_setting, max_bytes);
#endif
    return PK_OK;
}

pk_status pk_buffer_cache_stats(pk_buffer_cache_counts *out)
{
    if (out == NULL)
        return PK_ERR_NULL;
    memset(out, 0, sizeof *out);
#ifdef PK_HAVE_BUFFER_CACHE
    pk_cache_lock();
    out->max_bytes = pk_cache_limit;
    out->cached_bytes = pk_cache_total;
    out->cached_blocks = pk_cache_used;
    pk_cache_unlock();
    out->block_max = PK_BUFFER_CACHE_BLOCK_MAX;
#else
    out->max_bytes = atomic_load(&pk_cache_limit_setting);
#endif
    return PK_OK;
}

pk_status pk_release_memory(size_t *released)
{
    size_t bytes = 0;
#ifdef PK_HAVE_BUFFER_CACHE
    pk_cached_block all[PK_CACHE_SLOTS];
    pk_cache_lock();
    size_t n = pk_cache_shrink(0, 0, all);
    pk_cache_unlock();
    bytes = pk_unmap_all(all, n);
#endif
    if (released != NULL)
        *released = bytes;
    return PK_OK;
}

/* ---- scratch memory for kernels --------------------------------------- */

void *pk_scratch(size_t nbytes)
{
    return malloc(nbytes ? nbytes : 1);
}

void pk_scratch_free(void *block)
{
    free(block);
}
