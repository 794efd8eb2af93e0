/*
 * The requantisation constants of a layer's pairs of channels made once per call (kernels/arm/
 * conv_s8.c includes this file after conv_pass.h): the strips' two-pixel passes (conv_rows16.h,
 * conv_rows2.h) read a pair's six with one LDM instead of deriving them from the multipliers and
 * shifts at every pair (pass2_fast's way: with its other per-pair work about 91 estimated cycles a
 * pair of channels besides its groups; the strips' passes take about 60).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS2T_H
#define NNOM_KERNELS_ARM_CONV_PASS2T_H

#include <stdint.h>

#include "kernels/arm/conv_pass.h"

/* Words of the table per pair of channels (c, c + 1): m_c, m_c+1, e_c, e_c+1, c_c, c_c+1, with m
 * the multiplier, e = -shift in [1, NNOM_REQUANT32_MAX_E] and c = (2 zp + 1) 2^(e - 1) (the
 * constants of REQUANT_ZP / REQUANT_U); e_c with PASS2T_FORM_U set when the pair takes REQUANT_U
 * (a multiplier not above 2^30). ASR by a register shifts by its low byte only: the flag leaves
 * the shift as it is, and one test of its sign picks the form. */
#define PASS2T_WORDS 6
#define PASS2T_FORM_U 0x80000000u
#define PASS2T_ABOVE 0x40000000 /* multipliers above this take REQUANT_ZP */

/* One pair's six words into t from channels c, c + 1's multipliers m0, m1 and shifts s0, s1: computed
 * first, then stored in a row (consecutive stores pipeline; GCC otherwise put each store after its
 * value, about 50 estimated cycles a pair, here about 25). */
static inline __attribute__((always_inline)) void pass2t_pair(int32_t *t, int32_t m0, int32_t m1, int32_t s0, int32_t s1,
                                                              uint32_t zz)
{
    const int32_t e0 = -s0, e1 = -s1;
    const int32_t c0 = (int32_t)(zz << (e0 - 1)), c1 = (int32_t)(zz << (e1 - 1));
    const uint32_t u = m0 <= PASS2T_ABOVE || m1 <= PASS2T_ABOVE ? PASS2T_FORM_U : 0u;
    __asm__ volatile("" ::: "memory"); /* (the values first, then the stores) */
    t[0] = m0;
    t[1] = m1;
    t[2] = (int32_t)((uint32_t)e0 | u);
    t[3] = e1;
    t[4] = c0;
    t[5] = c1;
}

/* The table of the out_c channels (an even count, every one of a fast form with a negative shift)
 * into t (3 out_c words). */
static void pass2t_table(int32_t *t, const int32_t *mult, const int32_t *shift, int32_t out_c, int32_t out_zp)
{
    const uint32_t zz = (uint32_t)(2 * out_zp + 1);
    for (int32_t c = 0; c < out_c; c += 2, t += PASS2T_WORDS)
        pass2t_pair(t, mult[c], mult[c + 1], shift[c], shift[c + 1], zz);
}

/* The four sums requantised by RQ (REQUANT_ZP or REQUANT_U of conv_pass.h): r7 m0, r8 m1, r9 e0,
 * r10 e1, r11 c0, r12 c1 (the table's order, one LDM), r0 a temporary. */
#define PASS2T_RQ(RQ)                                                                      \
    RQ("r3", "r7", "r9", "r11", "r0") RQ("r4", "r7", "r9", "r11", "r0")                    \
    RQ("r5", "r8", "r10", "r12", "r0") RQ("r6", "r8", "r10", "r12", "r0")

/* The end of a strip routine's pair (conv_rows16.h, conv_rows2.h), from label 21, where the ZP form
 * (PASS2T_RQ(REQUANT_ZP), just before) joins: channel c's outputs r3 (pixel 0) and r4 (pixel 1),
 * c + 1's r5 and r6, stored at out and out + out_c ([sp, #OUT_AT], out_c after it); out moved on two
 * channels, the weights (r1) by WSTEP bytes; back to label 10 until out reaches the output's end
 * ([sp, #END_AT]), else FRAME bytes of stack dropped and return. Label 30: the U form, then 21. */
#define PASS2T_PAIR_END(OUT_AT, END_AT, WSTEP, FRAME) PASS2T_PAIR_END_N(OUT_AT, END_AT, WSTEP, FRAME, "")
/* The same with NEXT after the stores (the channel pairs' strips, conv_pairs_rows.h: the next pair's
 * biases into r3, r5). */
#define PASS2T_PAIR_END_N(OUT_AT, END_AT, WSTEP, FRAME, NEXT)                               \
    "21:\n\t"                                                                              \
    "ldrd   r7, r8, [sp, #" OUT_AT "]\n\t" /* out, out_c */                                 \
    "ldr    r10, [sp, #" END_AT "]\n\t"    /* the output's end */                           \
    "strb   r3, [r7]\n\t"                                                                  \
    "strb   r5, [r7, #1]\n\t"                                                              \
    "add    r9, r7, r8\n\t"                                                                \
    "strb   r4, [r9]\n\t"                                                                  \
    "strb   r6, [r9, #1]\n\t"                                                              \
    NEXT                                                                                    \
    "adds   r7, r7, #2\n\t"                                                                \
    "str    r7, [sp, #" OUT_AT "]\n\t"                                                      \
    "add    r1, r1, #" WSTEP "\n\t" /* the next pair's weights */                           \
    "cmp    r7, r10\n\t"                                                                   \
    "bne    10b\n\t"                                                                       \
    "add    sp, sp, #" FRAME "\n\t"                                                         \
    "pop    {r4-r11, pc}\n"                                                                 \
    "30:\n\t"                                                                              \
    PASS2T_RQ(REQUANT_U)                                                                    \
    "b      21b\n\t"

#endif
