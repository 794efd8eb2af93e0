/*
 * pass2 with a table of constants (kernels/arm/conv_s8.c includes this file after conv_pass.h,
 * whose groups' loop it shares): two pixels, every channel of a layer in pairs (c, c + 1), as
 * pass2_fast computes them, for the layers whose passes conv_pair.h's pair_passes() walks. The
 * requantisation constants of every pair are made once per call of the kernel (pass2t_table), so
 * that a pair reads its six with one LDM instead of deriving them from the multipliers and
 * shifts, and the state of the walk over the pairs (weights, bias, table and output pointers)
 * lives in the routine's frame, not in its arguments.
 *
 * Why: pass2_fast spends about 91 estimated cycles a pair of channels besides its groups (its
 * arguments read again at every pair, the constants derived, the output's address computed from
 * the channel); on ResNet-8's 16 -> 16 3x3 layers (36 groups, 684 cycles a pair) that was 0.16
 * cycles per MAC. Here about 76 (conv3x3_32x32x16to16: 1.510 -> 1.482 est. cycles per MAC).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS2T_H
#define NNOM_KERNELS_ARM_CONV_PASS2T_H

#include <stdint.h>

#include "kernels/arm/conv_pass.h"

/* What pass2_table reads (offsets are used by its assembly). */
typedef struct {
    const uint32_t *cols;  /*  0: the two columns, the end group in the last one's place */
    int32_t groups;        /*  4: groups in the columns before the end group: all but the last */
    const int32_t *table;  /*  8: PASS2T_WORDS words per pair of channels (pass2t_table) */
    int8_t *out;           /* 12: channel 0 of pixel 0 */
    int32_t out_c;         /* 16: every channel, an even count */
    const int32_t *bias;   /* 20: out_c biases */
    int32_t k;             /* 24: bytes of weights per channel, 4 (groups + 1) */
    const int8_t *w;       /* 28: channel 0's weights */
    uint32_t last[4];      /* 32: the last group's columns (the end group is in its place) */
} pass2t_args;

/* Words of the table per pair of channels (c, c + 1): m_c, m_c+1, e_c, e_c+1, c_c, c_c+1, with m
 * the multiplier, e = -shift in [1, NNOM_REQUANT32_MAX_E] and c = (2 zp + 1) 2^(e - 1) (the
 * constants of REQUANT_ZP / REQUANT_U); e_c with PASS2T_FORM_U set when the pair takes REQUANT_U
 * (a multiplier not above 2^30). ASR by a register shifts by its low byte only: the flag leaves
 * the shift as it is, and one test of its sign picks the form. */
#define PASS2T_WORDS 6
#define PASS2T_FORM_U 0x80000000u
#define PASS2T_ABOVE 0x40000000 /* multipliers above this take REQUANT_ZP */

/* The table of the out_c channels (an even count, every one of a fast form with a negative shift)
 * into t (3 out_c words). */
static void pass2t_table(int32_t *t, const int32_t *mult, const int32_t *shift, int32_t out_c, int32_t out_zp)
{
    const uint32_t zz = (uint32_t)(2 * out_zp + 1);
    for (int32_t c = 0; c < out_c; c += 2, t += PASS2T_WORDS) {
        for (int32_t j = 0; j < 2; j++) {
            const int32_t e = -shift[c + j];
            t[j] = mult[c + j];
            t[2 + j] = e;
            t[4 + j] = (int32_t)(zz << (e - 1));
        }
        if (mult[c] <= PASS2T_ABOVE || mult[c + 1] <= PASS2T_ABOVE) t[2] = (int32_t)((uint32_t)t[2] | PASS2T_FORM_U);
    }
}

/* The four sums requantised by RQ (REQUANT_ZP or REQUANT_U of conv_pass.h): r7 m0, r8 m1, r9 e0,
 * r10 e1, r11 c0, r12 c1 (the table's order, one LDM), r0 a temporary. */
#define PASS2T_RQ(RQ)                                                                      \
    RQ("r3", "r7", "r9", "r11", "r0") RQ("r4", "r7", "r9", "r11", "r0")                    \
    RQ("r5", "r8", "r10", "r12", "r0") RQ("r6", "r8", "r10", "r12", "r0")

/*
 * Channels [0, p->out_c) of two whole pixels, as pass2_fast computes them (every channel of a fast
 * form with a negative shift; per pair the requantisation of nnom_arm_requant_zp() when both
 * multipliers are above 2^30, else that of nnom_arm_requant()), channel c's weights at p->w + c k,
 * its constants in p->table, channel c of pixel j to p->out[j out_c + c], clamped to the int8
 * range (the caller applies a narrower clamp). The groups' loop is pass2_fast's (PASS2_GROUPS,
 * entered at the copy that leaves whole passes, until the end group); after the last group r2,
 * the pair's second channel's weights stepped by 4 groups + 4 = k, points at the next pair's.
 * Registers in the loop as in pass2_fast. Frame: [sp] the entry into the loop, [sp, #4] the
 * columns as that copy finds them (PASS2_ENTRY_BASE), [sp, #8] the next pair's constants,
 * [sp, #12] its output, [sp, #16] out_c, [sp, #20] the output's end (p->out + out_c),
 * [sp, #24] the next pair's bias, [sp, #28] k, [sp, #32] p.
 * Per pair of channels, besides the groups: about 76 estimated cycles (pass2_fast: about 91).
 */
__attribute__((naked, noinline)) static void pass2_table(ARG const pass2t_args *p)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #36\n\t"
        "str    r0, [sp, #32]\n\t"
        "ldr    r9, [r0, #4]\n\t"           /* groups */
        "movw   r11, #" PASS2_RECIP_LO "\n\t"
        "movt   r11, #" PASS2_RECIP_HI "\n\t"
        "umull  r12, r11, r9, r11\n\t"     /* groups / copies (PASS2_RECIP) */
        "movs   r12, #" PASS2_COPIES "\n\t"
        "mls    r10, r11, r12, r9\n\t"     /* groups % copies */
        "cmp    r10, #0\n\t"
        "it     ne\n\t"
        "subne  r10, r12, r10\n\t"         /* (copies - groups % copies) % copies: the copy to enter at */
        "ldr    r11, [r0]\n\t"             /* columns */
        PASS2_ENTRY_BASE
        "str    r11, [sp, #4]\n\t"
        "movs   r11, #" PASS2_GROUP_BYTES "\n\t"
        "adr.w  r12, 1f\n\t"
        "mla    r10, r10, r11, r12\n\t"
        "orr    r10, r10, #1\n\t"           /* (a Thumb address) */
        "str    r10, [sp]\n\t"
        "add    r12, r0, #8\n\t"
        "ldm    r12, {r1, r2, r3, r5, r6, r7}\n\t" /* table, out, out_c, bias, k, w */
        "add    r4, r2, r3\n\t"             /* the output's end */
        "add    r12, sp, #8\n\t"
        "stm    r12, {r1, r2, r3, r4, r5, r6}\n\t"
        "mov    r1, r7\n"
        "10:\n\t"                           /* a pair of channels: r1 its first channel's weights */
        "ldr    r0, [sp, #4]\n\t"
        "ldr    r9, [sp, #24]\n\t"          /* bias */
        "ldr    r8, [sp, #28]\n\t"          /* k */
        "ldrd   r3, r5, [r9], #8\n\t"
        "add    r2, r1, r8\n\t"             /* the pair's other channel's weights */
        "str    r9, [sp, #24]\n\t"
        "mov    r4, r3\n\t"
        "mov    r6, r5\n\t"
        "ldr    pc, [sp]\n\t"
        ".p2align 2\n"
        "1:\n\t" PASS2_GROUPS
        "bne    1b\n\t"                     /* (not at the end group) */
        "ldr    r0, [sp, #32]\n\t"
        PASS2_GROUP("32")                   /* the last group, from p->last */
        "ldr    lr, [sp, #8]\n\t"
        "ldm    lr!, {r7-r12}\n\t"          /* the pair's constants */
        "str    lr, [sp, #8]\n\t"
        "cmp    r9, #0\n\t"
        "blt    30f\n\t"                   /* (PASS2T_FORM_U; both multipliers above 2^30, the common case, fall through) */
        PASS2T_RQ(REQUANT_ZP)
        "21:\n\t"
        "ldrd   r0, r1, [sp, #12]\n\t"      /* out, out_c */
        "ldr    lr, [sp, #20]\n\t"          /* the output's end */
        "strb   r3, [r0]\n\t"
        "strb   r5, [r0, #1]\n\t"
        "add    r7, r0, r1\n\t"
        "adds   r0, r0, #2\n\t"
        "strb   r4, [r7]\n\t"
        "strb   r6, [r7, #1]\n\t"
        "str    r0, [sp, #12]\n\t"
        "mov    r1, r2\n\t"                 /* the next pair's weights */
        "cmp    r0, lr\n\t"
        "bne    10b\n\t"
        "add    sp, sp, #36\n\t"
        "pop    {r4-r11, pc}\n"
        "30:\n\t"
        PASS2T_RQ(REQUANT_U)
        "b      21b\n\t");
}

#endif
