/*
 * Firmware for test.sh: a loop of single loads and stores at known offsets
 * from a word-aligned buffer, between the benchmark markers and inside layer
 * slot 0, so that the plugin's unaligned=1 counts can be checked against the
 * hand count in test.sh. Each pass makes these halfword/word accesses:
 *
 *   LDRH  +1 (+1)   LDRH +2 (0)    LDRH +3 (+1)   LDRSH +5 (+1)
 *   LDR   +1 (+2)   LDR  +2 (+1)   LDR  +3 (+2)   LDR   +4 (0)
 *   STRH  +1 (+1)   STR  +2 (+1)   STR  +3 (+2)   STR   +8 (0)
 *   LDRB  +1 (byte: never penalised)   LDRD +0 (aligned; not instrumented)
 *
 * i.e. 9 unaligned accesses and 12 extra cycles per pass.
 */
#include <stdint.h>

#include "bench_markers.h"
#include "semihosting.h"

#define PASSES 10

static uint32_t buffer[8] __attribute__((aligned(8)));

static void accesses(uint8_t *p)
{
    uint32_t a, b;
    __asm__ volatile(
        "ldrh  %0, [%2, #1]\n\t"
        "ldrh  %0, [%2, #2]\n\t"
        "ldrh  %0, [%2, #3]\n\t"
        "ldrsh %0, [%2, #5]\n\t"
        "ldr   %0, [%2, #1]\n\t"
        "ldr   %0, [%2, #2]\n\t"
        "ldr   %0, [%2, #3]\n\t"
        "ldr   %0, [%2, #4]\n\t"
        "strh  %0, [%2, #1]\n\t"
        "str   %0, [%2, #2]\n\t"
        "str   %0, [%2, #3]\n\t"
        "str   %0, [%2, #8]\n\t"
        "ldrb  %0, [%2, #1]\n\t"
        "ldrd  %0, %1, [%2, #0]\n\t"
        : "=&r"(a), "=&r"(b)
        : "r"(p)
        : "memory");
}

int main(void)
{
    fw_bench_begin();
    fw_layer_timer(0);
    for (int i = 0; i < PASSES; i++) accesses((uint8_t *)buffer);
    fw_layer_timer(0);
    fw_bench_end();
    fw_print("unaligned_check done\n");
    fw_exit(0);
}
