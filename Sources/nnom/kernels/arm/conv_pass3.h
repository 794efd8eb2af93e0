/*
 * pass3 of the Cortex-M DSP convolution (kernels/arm/conv_s8.c, which includes
 * this file after conv_pass.h, whose file comment describes the passes and
 * whose requantisation macros it uses): three pixels and two output channels
 * at a time, register-blocked, for patches of at least THREE_MIN_K elements
 * (conv_shape.h; THREE_ONE_MIN_K on one input channel) whose channels all
 * take one of the 32-bit forms with a negative shift.
 *
 * The columns are the usual layout with three pixels side by side:
 *     cols: | g0: p0 lo hi, p1 lo hi, p2 lo hi | g1 ... |   (24 bytes a group)
 * Per group of four taps, six sums (two channels x three pixels) take 24
 * multiply-accumulates in two halves: the lo words ((e0, e2) pairs) of the
 * three pixels with the weights' (w0, w2), then the hi words with (w1, w3).
 * Each half loads both channels' weight words and the three column words in
 * one run of five single loads (6 estimated cycles: the first 2, the others
 * pipelined), widens the two weight words in place (two SXTB16) and runs six
 * SMLAD: 13 instructions, 14 cycles; a group 26 instructions (104 bytes),
 * 28 estimated cycles for 24 multiply-accumulates (1.17 a MAC, against 1.375
 * for pass8 and pass4, 1.19 for pass2). Loading the weight words twice (once
 * per half) instead of keeping them frees the registers: the two widened
 * weights, the three column words, the six sums and three pointers (columns,
 * channel c's weights, the byte offset k to channel c + 1's) are r0-r12 and lr.
 *
 * The groups run in a loop of sixteen copies (eight for size, -Os) entered at
 * the one that leaves a whole number of passes (copy i reads its group at
 * r0 + 24 i; the end of the columns on the stack: 7 estimated cycles per pass
 * of the loop). Per pair of
 * channels, besides the groups: the sums start at the bias, each channel's
 * constants are loaded and it picks its requantisation (nnom_arm_requant_zp()
 * for multipliers above 2^30, nnom_arm_requant() for the others), six outputs
 * requantised and stored: about 86 estimated cycles for six outputs (measured
 * on pw_25x5_64to64: 461 cycles a pair in the groups, 1.20 a MAC, and 86 besides;
 * the pairs from a list: about 3 more). Built for speed (-O2), patches of at most
 * PASS3S_MAX_GROUPS groups run in conv_pass3s.h's pass3_stack instead (pass3_pairs), and the
 * self-gathered passes of a pointwise layer of at most PASS3R_MAX_PAIRS pairs in conv_pass3r.h's
 * pass3_rec_run (conv_list3.h's three_rec_passes).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS3_H
#define NNOM_KERNELS_ARM_CONV_PASS3_H

#include <stddef.h>
#include <stdint.h>

/* pass3_fast reads a pass2_args (conv_pass.h) up to `out` (offset 48), with `groups` all of the
 * columns' groups (no end group, `last` unused) and channels always in pairs, which a list of
 * their first channels gives (pair_step and n_ch unused; pass3_run lists channels [0, n_ch)). */

/* One half of a group for copy OFF (its columns at r0 + OFF): the lo words (H "0") or the hi
 * words (H "4") of the three pixels, WA / WB the weight loads of channel c (r1) and c + 1
 * (r1 + r2), EXT the SXTB16 rotation (", ror #8" for the hi half). */
#define PASS3_HALF(OFF, H, WA, WB, EXT)                  \
    WA                                                   \
    WB                                                   \
    "ldr.w  r11, [r0, #" OFF " + " H "]\n\t"             \
    "ldr.w  r12, [r0, #" OFF " + " H " + 8]\n\t"         \
    "ldr.w  lr, [r0, #" OFF " + " H " + 16]\n\t"         \
    "sxtb16 r9, r9" EXT "\n\t"                           \
    "sxtb16 r10, r10" EXT "\n\t"                         \
    "smlad  r3, r11, r9, r3\n\t"                         \
    "smlad  r4, r12, r9, r4\n\t"                         \
    "smlad  r5, lr, r9, r5\n\t"                          \
    "smlad  r6, r11, r10, r6\n\t"                        \
    "smlad  r7, r12, r10, r7\n\t"                        \
    "smlad  r8, lr, r10, r8\n\t"
/* A whole group: the lo half reads the weights in place, the hi half again and steps r1. */
#define PASS3_GROUP(OFF)                                                                           \
    PASS3_HALF(OFF, "0", "ldr.w  r9, [r1]\n\t", "ldr.w  r10, [r1, r2]\n\t", "")                   \
    PASS3_HALF(OFF, "4", "ldr.w  r10, [r1, r2]\n\t", "ldr.w  r9, [r1], #4\n\t", ", ror #8")
#define PASS3_GROUP_BYTES "104"
/* The loop's copies: eight for size (-Os), sixteen for speed (a patch of up to 64, DS-CNN's
 * pointwise layers, in one pass of the loop: 7 estimated cycles less per pair of channels). */
#define PASS3_GROUPS8                                                                       \
    PASS3_GROUP("0") PASS3_GROUP("24") PASS3_GROUP("48") PASS3_GROUP("72") PASS3_GROUP("96") \
    PASS3_GROUP("120") PASS3_GROUP("144") PASS3_GROUP("168")
#if NNOM_COMPACT_KERNELS
#define PASS3_COPIES "8"
#define PASS3_GROUPS PASS3_GROUPS8
#else
#define PASS3_COPIES "16"
#define PASS3_GROUPS                                                                        \
    PASS3_GROUPS8 PASS3_GROUP("192") PASS3_GROUP("216") PASS3_GROUP("240") PASS3_GROUP("264") \
    PASS3_GROUP("288") PASS3_GROUP("312") PASS3_GROUP("336") PASS3_GROUP("360")
#endif

/* The three outputs S0, S1, S2 of one channel: multiplier M, shift register E (-e in, e out),
 * constant C (from Z, 2 zp + 1), temporary T; its form picked by the multiplier (above 2^30:
 * REQUANT_ZP, else REQUANT_U at label UL, which jumps back to DONE). */
#define PASS3_CONSTS(M, E, C, Z)                          \
    "mvn    " C ", " E "\n\t"              /* e - 1 */      \
    "lsl    " C ", " Z ", " C "\n\t"       /* c = (2 zp + 1) << (e - 1) */ \
    "rsb    " E ", " E ", #0\n\t"                          \
    "cmp    " M ", #0x40000000\n\t"
#define PASS3_RQ3(RQ, S0, S1, S2, M, E, C, T) RQ(S0, M, E, C, T) RQ(S1, M, E, C, T) RQ(S2, M, E, C, T)

/* Label 10, the next pair: its first channel c from the list ([sp, #8], stepped) stored at C_AT on the
 * stack; lr p, r1 p->w, r2 p->k, r10 p->bias, r9 p->bias_step (what PASS3_START takes). */
#define PASS3_NEXT_PAIR(C_AT) \
        "10:\n\t"                           /* a pair of channels */ \
        "ldr    lr, [sp, #4]\n\t"           /* p */                  \
        "ldr    r9, [sp, #8]\n\t"                                    \
        "ldr    r1, [lr, #36]\n\t"          /* w */                  \
        "ldr    r2, [lr, #32]\n\t"          /* k */                  \
        "ldr    r10, [lr, #8]\n\t"          /* bias */               \
        "ldrb   r12, [r9], #1\n\t"          /* c */                  \
        "str    r9, [sp, #8]\n\t"                                    \
        "str    r12, [sp, #" C_AT "]\n\t"                            \
        "ldr    r9, [lr, #40]\n\t"          /* bias_step */

/* The start of pair c (r12; r1 the weights, r2 k, r10 the biases, r9 bias_step): channel c's
 * weights in r1, the six sums from the two biases, then into the groups through the entry at [sp]. */
#define PASS3_START \
        "mla    r1, r12, r2, r1\n\t"        /* the weights of channel c */ \
        "mla    r10, r12, r9, r10\n\t"                                     \
        "ldr    r3, [r10]\n\t"                                             \
        "ldr    r6, [r10, #4]\n\t"                                         \
        "mov    r4, r3\n\t"                                                \
        "mov    r5, r3\n\t"                                                \
        "mov    r7, r6\n\t"                                                \
        "mov    r8, r6\n\t"                                                \
        "ldr    pc, [sp]\n\t"

/* The end of a pair (channel c's sums in r3-r5 with r9 m, r10 e, r0 its constant; c + 1's in r6-r8
 * with r1 m, r11 e): requantise, store the six outputs, and go back to 10 while pairs are left, else
 * drop FRAME bytes of stack and return. C_AT: the stack offset of c; [sp, #4] p, [sp, #8] the next pair
 * start and [sp, #12] end, as both forms keep them. */
#define PASS3_FINISH(C_AT, FRAME) \
        "ldr    lr, [sp, #4]\n\t"           /* p */                                                       \
        "ldr    r12, [sp, #" C_AT "]\n\t"   /* c */                                                 \
        "ldr    r9, [lr, #12]\n\t"                                                                        \
        "ldr    r10, [lr, #16]\n\t"                                                                       \
        "ldr    r2, [lr, #20]\n\t"          /* 2 zp + 1 */                                                \
        "add    r9, r9, r12, lsl #2\n\t"                                                                  \
        "add    r10, r10, r12, lsl #2\n\t"                                                                \
        "ldr    r1, [r9, #4]\n\t"           /* multiplier of channel c + 1 */                             \
        "ldr    r11, [r10, #4]\n\t"         /* its shift = -e */                                          \
        "ldr    r9, [r9]\n\t"               /* multiplier of channel c */                                 \
        "ldr    r10, [r10]\n\t"             /* its shift */                                               \
        PASS3_CONSTS("r9", "r10", "r0", "r2")                                                             \
        "bls    30f\n\t"                    /* (multipliers above 2^30, the common case, fall through) */ \
        PASS3_RQ3(REQUANT_ZP, "r3", "r4", "r5", "r9", "r10", "r0", "r12")                                 \
        "20:\n\t"                                                                                         \
        PASS3_CONSTS("r1", "r11", "r0", "r2")                                                             \
        "bls    31f\n\t"                                                                                  \
        PASS3_RQ3(REQUANT_ZP, "r6", "r7", "r8", "r1", "r11", "r0", "r12")                                 \
        "21:\n\t"                                                                                         \
        "ldr    r12, [sp, #" C_AT "]\n\t"   /* c */                                                 \
        "ldr    r1, [lr, #48]\n\t"          /* out */                                                     \
        "ldr    r9, [lr, #24]\n\t"          /* out_c */                                                   \
        "ldr    r2, [sp, #8]\n\t"           /* the next pair start */                                     \
        "ldr    lr, [sp, #12]\n\t"          /* end (two loads in the run: an LDRD would not pipeline) */  \
        "add    r1, r1, r12\n\t"            /* pixel 0 */                                                 \
        "add    r0, r1, r9\n\t"             /* pixel 1 */                                                 \
        "add    r11, r0, r9\n\t"            /* pixel 2 */                                                 \
        "strb   r3, [r1]\n\t"                                                                             \
        "strb   r6, [r1, #1]\n\t"                                                                         \
        "strb   r4, [r0]\n\t"                                                                             \
        "strb   r7, [r0, #1]\n\t"                                                                         \
        "strb   r5, [r11]\n\t"                                                                            \
        "strb   r8, [r11, #1]\n\t"                                                                        \
        "cmp    r2, lr\n\t"                                                                               \
        "blo    10b\n\t"                                                                                  \
        "add    sp, sp, #" FRAME "\n\t"                                                                   \
        "pop    {r4-r11, pc}\n"                                                                           \
        "30:\n\t"                                                                                         \
        PASS3_RQ3(REQUANT_U, "r3", "r4", "r5", "r9", "r10", "r0", "r12")                                  \
        "b      20b\n"                                                                                    \
        "31:\n\t"                                                                                         \
        PASS3_RQ3(REQUANT_U, "r6", "r7", "r8", "r1", "r11", "r0", "r12")                                  \
        "b      21b\n\t"

/*
 * The channel pairs (c, c + 1) for c in the bytes [list, end) (at least one; pairs may overlap:
 * a channel computed twice gets the same bytes) of three whole pixels, every channel of a pair
 * of a fast form with a negative shift (FORM_ZP or FORM_U of conv_s8.c), or one whose bytes the
 * caller writes again after (its weights still inside the array); channel c's weights at p->w +
 * c * p->k, channel c of pixel j to p->out[j * out_c + c], clamped to the int8 range (the caller
 * applies a narrower clamp); p->bias_step 4, or 0 with p->bias two zeros (no bias).
 * Registers in the loop: r0 the columns, r1 channel c's weights, r2 k (channel c + 1's are at
 * r1 + r2), r3-r5 channel c's sums (pixels 0-2), r6-r8 channel c + 1's, r9, r10 the weights,
 * r11, r12, lr the column words. Stack: [sp] the entry into the loop, [sp, #4] p, [sp, #8] the
 * next pair start, [sp, #12] end, [sp, #16] the columns less 24 bytes per copy the entry skips,
 * [sp, #20] their end (the loop runs whole passes of its copies), [sp, #24] c.
 */
/* (naked: the body is the assembly alone; the arguments arrive in r0-r2) */
__attribute__((naked, noinline)) static void pass3_fast(ARG const pass2_args *p, ARG const uint8_t *list,
                                                        ARG const uint8_t *end)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #28\n\t"
        "str    r0, [sp, #4]\n\t"
        "strd   r1, r2, [sp, #8]\n\t"
        "ldr    r9, [r0, #4]\n\t"           /* groups */
        "rsb    r10, r9, #0\n\t"
        "and    r10, r10, #" PASS3_COPIES " - 1\n\t" /* the copy to enter at: (-groups) % copies */
        "ldr    r11, [r0]\n\t"              /* columns */
        "add    r12, r10, r10, lsl #1\n\t"
        "sub    r11, r11, r12, lsl #3\n\t"  /* as copy 0 would see them */
        "add    r12, r9, r10\n\t"
        "add    r12, r12, r12, lsl #1\n\t"
        "add    r12, r11, r12, lsl #3\n\t"  /* their end: 24 bytes per group and copy skipped */
        "strd   r11, r12, [sp, #16]\n\t"
        "movs   r11, #" PASS3_GROUP_BYTES "\n\t"
        "adr.w  r12, 1f\n\t"
        "mla    r10, r10, r11, r12\n\t"
        "orr    r10, r10, #1\n\t"           /* (a Thumb address) */
        "str    r10, [sp]\n"
        PASS3_NEXT_PAIR("24")
        "ldr    r0, [sp, #16]\n\t"          /* the columns, less 24 bytes per copy skipped */
        PASS3_START
        ".p2align 2\n"
        "1:\n\t" PASS3_GROUPS
        "ldr    r11, [sp, #20]\n\t"
        "add    r0, r0, #24 * " PASS3_COPIES "\n\t"
        "cmp    r0, r11\n\t"
        "bne    1b\n\t"
        PASS3_FINISH("24", "28"));
}

#include "kernels/arm/conv_pass3s.h"

/* The most channels a list of pairs reaches: pair starts are bytes. */
#define PASS3_LIST_CHANNELS 256

/* The pairs of [list, end) (pass3_fast's contract): in the stack form when built for it and the
 * patch fits (the form that takes g, the inputs to widen in place of p->cols: NULL otherwise). */
static inline void pass3_pairs(const pass2_args *p, const uint8_t *list, const uint8_t *end, const pass3_gather *g)
{
#if NNOM_CONV_PASS3S
    if (p->groups <= PASS3S_MAX_GROUPS) {
        pass3_stack(p, list, end, g);
        return;
    }
#endif
    (void)g;
    pass3_fast(p, list, end);
}

/* The pair starts 0, 2, 4, ... (pass3_run). */
static const uint8_t pass3_evens[PASS3_LIST_CHANNELS / 2] = {
    0,   2,   4,   6,   8,   10,  12,  14,  16,  18,  20,  22,  24,  26,  28,  30,  32,  34,  36,
    38,  40,  42,  44,  46,  48,  50,  52,  54,  56,  58,  60,  62,  64,  66,  68,  70,  72,  74,
    76,  78,  80,  82,  84,  86,  88,  90,  92,  94,  96,  98,  100, 102, 104, 106, 108, 110, 112,
    114, 116, 118, 120, 122, 124, 126, 128, 130, 132, 134, 136, 138, 140, 142, 144, 146, 148, 150,
    152, 154, 156, 158, 160, 162, 164, 166, 168, 170, 172, 174, 176, 178, 180, 182, 184, 186, 188,
    190, 192, 194, 196, 198, 200, 202, 204, 206, 208, 210, 212, 214, 216, 218, 220, 222, 224, 226,
    228, 230, 232, 234, 236, 238, 240, 242, 244, 246, 248, 250, 252, 254};

/* Channels [0, p->n_ch) (even, at least 2) in pairs (c, c + 1), PASS3_LIST_CHANNELS at a time
 * (p's parameters moved on for each block, then put back). */
static void pass3_run(pass2_args *p)
{
    const pass2_args keep = *p;
    for (int32_t c0 = 0; c0 < keep.n_ch; c0 += PASS3_LIST_CHANNELS) {
        const int32_t n = keep.n_ch - c0 < PASS3_LIST_CHANNELS ? keep.n_ch - c0 : PASS3_LIST_CHANNELS;
        p->bias = keep.bias + (keep.bias_step ? c0 : 0);
        p->mult = keep.mult + c0;
        p->shift = keep.shift + c0;
        p->w = keep.w + (ptrdiff_t)c0 * keep.k;
        p->out = keep.out + c0;
        pass3_pairs(p, pass3_evens, pass3_evens + n / 2, NULL);
    }
    *p = keep;
}

/* pass3 on channel c alone, the last of n = c + 1 (odd): as the pair (c - 1, c), the channel
 * before it computed again (the same bytes, clamped after by the caller); one channel alone (c 0)
 * as the pair (c, c) of copies of its parameters into a buffer of two channels, whose first one
 * is copied out. p as conv_s8.c's fast_channels() leaves it. */
__attribute__((noinline)) static void three_last(pass2_args *p, const int32_t *bias, const int32_t *mult,
                                                 const int32_t *shift, const int8_t *w, int32_t k, int8_t *out,
                                                 int32_t c)
{
    static const int32_t no_bias[2] = {0, 0};
    p->n_ch = 2;
    if (c > 0) {
        p->bias = bias ? bias + c - 1 : no_bias;
        p->mult = mult + c - 1;
        p->shift = shift + c - 1;
        p->w = w + (ptrdiff_t)(c - 1) * k;
        p->out = out + c - 1;
        pass3_run(p);
        return;
    }
    const int32_t b2[2] = {bias ? bias[0] : 0, bias ? bias[0] : 0}, m2[2] = {mult[0], mult[0]},
                  s2[2] = {shift[0], shift[0]};
    int8_t o[3 * 2];
    const int32_t out_c = p->out_c;
    p->bias = b2;
    p->bias_step = 4;
    p->mult = m2;
    p->shift = s2;
    p->w = w;
    p->k = 0;
    p->out = o;
    p->out_c = 2;
    pass3_run(p);
    p->out_c = out_c;
    for (int32_t j = 0; j < 3; j++) out[j * out_c] = o[2 * j];
}

#endif
