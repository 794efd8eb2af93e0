/*
 * nnom_move_down(dst, src, n): memmove(dst, src, n) for a destination at or below the source (a
 * tiled run's kept rows moved to their band's start, core/tiling.c's keep_rows).
 *
 * On Cortex-M cores with DSP, when both are word-aligned: blocks of NNOM_MOVE_BLOCK bytes in one LDM
 * and one STM of eight registers each (about 0.7 estimated Cortex-M4 cycles a byte, against 0.9 for
 * newlib's memmove), in ascending order: a block is read whole before it is written, and its
 * writes end at or below the end of what it read, so that no byte is written before it is read.
 * The last n % NNOM_MOVE_BLOCK bytes, and everything elsewhere, in memmove.
 */
#ifndef NNOM_KERNELS_MOVE_H
#define NNOM_KERNELS_MOVE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "kernels/arm/arm_dsp.h"

/* Bytes of one LDM / STM pair: eight registers (r4-r6, r8-r12: r7, the Thumb frame pointer, left alone). */
#define NNOM_MOVE_BLOCK 32

static inline void nnom_move_down(void *dst, const void *src, size_t n)
{
#if NNOM_USE_ARM_DSP
    if (n >= NNOM_MOVE_BLOCK && !(((uintptr_t)dst | (uintptr_t)src) & 3u)) {
        size_t blocks = n / NNOM_MOVE_BLOCK;
        uint8_t *d = (uint8_t *)dst;
        const uint8_t *s = (const uint8_t *)src;
        __asm__ volatile("1:\n\t"
                         "ldm    %[s]!, {r4-r6, r8-r12}\n\t"
                         "stm    %[d]!, {r4-r6, r8-r12}\n\t"
                         "subs   %[n], %[n], #1\n\t"
                         "bne    1b\n\t"
                         : [s] "+r"(s), [d] "+r"(d), [n] "+r"(blocks)
                         :
                         : "r4", "r5", "r6", "r8", "r9", "r10", "r11", "r12", "cc", "memory");
        memmove(d, s, n % NNOM_MOVE_BLOCK);
        return;
    }
#endif
    memmove(dst, src, n);
}

#endif /* NNOM_KERNELS_MOVE_H */
