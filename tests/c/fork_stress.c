/*
 * fork_stress.c: fork() while other threads allocate, free and run kernels.
 *
 *   fork_stress [forks]
 *
 * Two threads loop pk_alloc(8 MiB) / pk_free (the mapped blocks and the
 * freed-block cache), a third runs a two-thread kernel (the pool), and the
 * main thread forks.  Each child allocates, frees and runs a kernel on the
 * pool once, then exits.  A child that has not exited after 10 s is hung (a
 * lock copied in its held state): it is killed, and no more forks follow.
 * Prints "forks N hung H failed F" and exits 1 when any child hung or
 * failed.
 */
#define _DEFAULT_SOURCE 1

#include <pixelkit.h>

#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#define BLOCK ((size_t)8 << 20)

static atomic_int stop;

static void *allocator(void *unused)
{
    (void)unused;
    while (!atomic_load(&stop)) {
        void *block;
        if (pk_alloc(BLOCK, 0, &block) == PK_OK)
            pk_free(block);
    }
    return NULL;
}

/* An image large enough for the pool to split it over two threads. */
static int run_kernel(void)
{
    enum { W = 1024, H = 1024 };
    void *pixels;
    if (pk_alloc((size_t)W * H * 3, 1, &pixels) != PK_OK)
        return 0;
    pk_image image = {.pixels = pixels, .width = W, .height = H, .stride = 3 * W, .writable = 1};
    int ok = pk_invert(&image, &image) == PK_OK;
    pk_free(pixels);
    return ok;
}

static void *kernels(void *unused)
{
    (void)unused;
    while (!atomic_load(&stop))
        if (!run_kernel())
            return (void *)1;
    return NULL;
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 200, hung = 0, failed = 0;
    pthread_t threads[3];

    if (pk_set_num_threads(2) != PK_OK)
        return 2;
    for (int i = 0; i < 2; i++)
        if (pthread_create(&threads[i], NULL, allocator, NULL) != 0)
            return 2;
    if (pthread_create(&threads[2], NULL, kernels, NULL) != 0)
        return 2;
    int i;
    for (i = 0; i < forks && !hung; i++) {
        pid_t child = fork();
        if (child < 0)
            return 2;
        if (child == 0) {
            void *block;
            int ok = pk_alloc(BLOCK, 0, &block) == PK_OK;
            if (ok)
                pk_free(block);
            ok = ok && run_kernel();
            _exit(ok ? 0 : 1);
        }
        int status = 0, waited = 0;
        pid_t done;
        while ((done = waitpid(child, &status, WNOHANG)) == 0 && waited < 10000) {
            pause_ms(5);
            waited += 5;
        }
        if (done == 0) {
            hung++;
            kill(child, SIGKILL);
            waitpid(child, &status, 0);
        } else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            failed++;
        }
    }
    atomic_store(&stop, 1);
    void *result = NULL;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(threads[i], &r);
        if (r != NULL)
            result = r;
    }
    printf("forks %d hung %d failed %d\n", i, hung, failed);
    return hung || failed || result != NULL;
}
