/* See bench_markers.h. Each marker is a real, separate function (noinline,
 * with a body the compiler cannot drop), so that it has an address of its own
 * where a translated block starts. */
#include "bench_markers.h"


__attribute__((noinline)) void fw_bench_begin(void) { __asm__ volatile("" ::: "memory"); }

__attribute__((noinline)) void fw_bench_end(void) { __asm__ volatile("" ::: "memory"); }

static volatile uint32_t layer_ticks;

__attribute__((noinline)) uint32_t fw_layer_timer(void *ctx)
{
    (void)ctx;
    return layer_ticks++;
}
