/*
 * The dot products of the Cortex-M DSP convolution's general path (kernels/arm/conv_s8.c,
 * which includes this file after its im2col; the fast passes are in conv_pass.h): channels
 * whose requantisation is not one of the 32-bit forms, passes with fewer pixels than the
 * shape's, and the chunked path. The columns' layout is conv_s8.c's: per group of four patch
 * elements two words of int16 pairs (e0, e2), (e1, e3) per pixel, the pass's pixels side by
 * side; the weights are read as words and widened with SXTB16 into the same pairing.
 */
#ifndef NNOM_KERNELS_ARM_CONV_DOT_H
#define NNOM_KERNELS_ARM_CONV_DOT_H

#include <stdint.h>

#include "kernels/arm/arm_dsp.h"
#include "kernels/arm/conv_shape.h"

/* The last 1-3 weights of a channel as a word, read byte by byte; the other lanes meet zero data. */
static inline uint32_t tail_weights(const int8_t *w, int32_t n)
{
    uint32_t v = (uint8_t)w[0];
    if (n > 1) v |= (uint32_t)(uint8_t)w[1] << 8;
    if (n > 2) v |= (uint32_t)(uint8_t)w[2] << 16;
    return v;
}

/* One group of 4 taps for the four columns at X (8 words: p0 lo hi, p1 ..., p3),
 * weights at W, sums S0..S3, temporaries WA WB D0 D1 (register names or
 * operands): one LDR of the weights (W += 4), two SXTB16, one LDRD and two
 * SMLAD per pixel (X += 32): 15 instructions for 16 multiply-accumulates. */
#define GROUP4(X, W, S0, S1, S2, S3, WA, WB, D0, D1)    \
    "ldr    " WA ", [" W "], #4\n\t"                     \
    "ldrd   " D0 ", " D1 ", [" X ", #8]\n\t"             \
    "sxtb16 " WB ", " WA ", ror #8\n\t"                  \
    "sxtb16 " WA ", " WA "\n\t"                          \
    "smlad  " S1 ", " D0 ", " WA ", " S1 "\n\t"          \
    "smlad  " S1 ", " D1 ", " WB ", " S1 "\n\t"          \
    "ldrd   " D0 ", " D1 ", [" X ", #16]\n\t"            \
    "smlad  " S2 ", " D0 ", " WA ", " S2 "\n\t"          \
    "smlad  " S2 ", " D1 ", " WB ", " S2 "\n\t"          \
    "ldrd   " D0 ", " D1 ", [" X ", #24]\n\t"            \
    "smlad  " S3 ", " D0 ", " WA ", " S3 "\n\t"          \
    "smlad  " S3 ", " D1 ", " WB ", " S3 "\n\t"          \
    "ldrd   " D0 ", " D1 ", [" X "], #32\n\t"            \
    "smlad  " S0 ", " D0 ", " WA ", " S0 "\n\t"          \
    "smlad  " S0 ", " D1 ", " WB ", " S0 "\n\t"

/* s0..s3 += n >= 1 groups of the four columns at x times the weights at w
 * (x, w and n are left past what was read); one group per loop pass (the
 * slow paths: conv_pass.h has the fast loops). */
#define DOT4(S0, S1, S2, S3, X, W, N)                                                          \
    do {                                                                                       \
        uint32_t wa_, wb_, d0_, d1_;                                                           \
        __asm__ volatile("1:\n\t" GROUP4("%[x]", "%[w]", "%[s0]", "%[s1]", "%[s2]", "%[s3]",   \
                                         "%[wa]", "%[wb]", "%[d0]", "%[d1]")                   \
                         "subs   %[n], %[n], #1\n\t"                                           \
                         "bne    1b\n\t"                                                       \
                         : [s0] "+r"(S0), [s1] "+r"(S1), [s2] "+r"(S2), [s3] "+r"(S3),         \
                           [x] "+r"(X), [w] "+r"(W), [n] "+r"(N), [wa] "=&r"(wa_),             \
                           [wb] "=&r"(wb_), [d0] "=&r"(d0_), [d1] "=&r"(d1_)                   \
                         :                                                                     \
                         : "cc", "memory");                                                    \
    } while (0)

/* s[0..3] += the patch of the four columns times the weights w; `careful`:
 * the last partial group is read byte by byte (the last channels). */
static void dot_4x1(const conv_shape *sh, const uint32_t *cols, const int8_t *w, int careful, int32_t s[4])
{
    int32_t s0 = s[0], s1 = s[1], s2 = s[2], s3 = s[3];
    const uint32_t *x = cols;
    const int32_t rem = sh->k & 3;
    uint32_t t = 0;
    int32_t n = sh->groups;
    if (careful && rem) { /* the whole groups, then the last one from t */
        n--;
        t = tail_weights(w + 4 * n, rem);
    }
    for (int32_t part = 0; part < 2; part++) {
        if (n) DOT4(s0, s1, s2, s3, x, w, n);
        w = (const int8_t *)&t;
        n = careful && rem ? 1 : 0;
    }
    s[0] = s0;
    s[1] = s1;
    s[2] = s2;
    s[3] = s3;
}

/* s[0..1] += the patch of the two columns (the two-pixel layout: p0 lo hi, p1 lo hi per group)
 * times the weights w; `careful`: the last partial group is read byte by byte (the last
 * channels). 10 instructions per group. */
static void dot_2x1(const conv_shape *sh, const uint32_t *cols, const int8_t *w, int careful, int32_t s[2])
{
    int32_t s0 = s[0], s1 = s[1];
    const uint32_t *x = cols;
    const int32_t rem = sh->k & 3;
    int32_t n = careful && rem ? sh->groups - 1 : sh->groups;
    if (n > 0) {
        /* (LDM fills its registers in ascending order: fixed ones; not r7, a frame pointer at
         * -O0, nor r9, a platform register in some ABIs) */
        register uint32_t d0 __asm__("r4"), d1 __asm__("r5"), d2 __asm__("r6"), d3 __asm__("r8");
        uint32_t wa, wb;
        __asm__ volatile("1:\n\t"
                         "ldr    %[wa], [%[w]], #4\n\t"
                         "ldm    %[x]!, {%[d0], %[d1], %[d2], %[d3]}\n\t"
                         "sxtb16 %[wb], %[wa], ror #8\n\t"
                         "sxtb16 %[wa], %[wa]\n\t"
                         "smlad  %[s0], %[d0], %[wa], %[s0]\n\t"
                         "smlad  %[s0], %[d1], %[wb], %[s0]\n\t"
                         "smlad  %[s1], %[d2], %[wa], %[s1]\n\t"
                         "smlad  %[s1], %[d3], %[wb], %[s1]\n\t"
                         "subs   %[n], %[n], #1\n\t"
                         "bne    1b\n\t"
                         : [s0] "+r"(s0), [s1] "+r"(s1), [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [wa] "=&r"(wa),
                           [wb] "=&r"(wb), [d0] "=&r"(d0), [d1] "=&r"(d1), [d2] "=&r"(d2), [d3] "=&r"(d3)
                         :
                         : "cc", "memory");
    }
    if (careful && rem) {
        const uint32_t word = tail_weights(w, rem);
        s0 = __smlad(x[0], nnom_arm_pairs_lo(word), s0);
        s0 = __smlad(x[1], nnom_arm_pairs_hi(word), s0);
        s1 = __smlad(x[2], nnom_arm_pairs_lo(word), s1);
        s1 = __smlad(x[3], nnom_arm_pairs_hi(word), s1);
    }
    s[0] = s0;
    s[1] = s1;
}

/* s + the patch of one pixel times the weights w: the column at x, its groups `stride` words
 * apart (9 instructions per group); `careful`: the last partial group is read byte by byte
 * (the last channels). */
static int32_t dot_1x1(const conv_shape *sh, const uint32_t *x, int32_t stride, const int8_t *w, int careful, int32_t s)
{
    const int32_t rem = sh->k & 3;
    int32_t n = sh->k >> 2;
    if (n) {
        uint32_t wa, wb, d0, d1;
        __asm__ volatile("1:\n\t"
                         "ldr    %[wa], [%[w]], #4\n\t"
                         "ldrd   %[d0], %[d1], [%[x]]\n\t"
                         "add    %[x], %[x], %[st]\n\t"
                         "sxtb16 %[wb], %[wa], ror #8\n\t"
                         "sxtb16 %[wa], %[wa]\n\t"
                         "smlad  %[s], %[d0], %[wa], %[s]\n\t"
                         "smlad  %[s], %[d1], %[wb], %[s]\n\t"
                         "subs   %[n], %[n], #1\n\t"
                         "bne    1b\n\t"
                         : [s] "+r"(s), [x] "+r"(x), [w] "+r"(w), [n] "+r"(n), [wa] "=&r"(wa), [wb] "=&r"(wb),
                           [d0] "=&r"(d0), [d1] "=&r"(d1)
                         : [st] "r"(stride * 4)
                         : "cc", "memory");
    }
    if (rem) {
        const uint32_t word = careful ? tail_weights(w, rem) : nnom_arm_load4(w);
        s = __smlad(x[0], nnom_arm_pairs_lo(word), s);
        s = __smlad(x[1], nnom_arm_pairs_hi(word), s);
    }
    return s;
}

#endif
