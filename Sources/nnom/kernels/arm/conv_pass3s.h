/*
 * pass3 with its columns on the stack (conv_pass3.h includes this file after pass3_fast, whose
 * layout, requantisation and arguments it shares): three pixels and two output channels at a
 * time, for patches of at most PASS3S_MAX_GROUPS groups (pointwise layers of up to 128 input
 * channels: DS-CNN's 64 -> 64, MobileNetV1-0.25's 128 -> 128), built for speed only (-O2; at -Os
 * pass3_fast runs them).
 *
 * pass3_fast reads both channels' weight words again in the second half of each group because
 * it has no register to keep them in: r0 points at the columns. Here the routine first copies
 * the columns (6 words a group, one LDM and one STM: about 18 estimated cycles a group once per
 * call) into its own stack frame, where every group is at a fixed offset from sp, and runs the
 * groups straight (no loop: PASS3S_MAX_GROUPS copies, entered at the one that leaves the
 * patch's groups); r0 is then a column word. Per group: the two weight words (channel c at r1,
 * post-incremented; channel c + 1 at r1 + r2) and the three lo column words in one run of five
 * loads (6 estimated cycles), each weight word widened in turn into r11 (SXTB16) for three
 * SMLAD; then the three hi column words (a run of three, 4 cycles) and the weights' other bytes
 * (SXTB16 ror #8): 24 instructions, 26 estimated cycles for 24 multiply-accumulates (1.08 a MAC,
 * against 26 instructions and 28 cycles in pass3_fast), and no loop bookkeeping.
 *
 * The pairs come from a list of their first channels (bytes), so that one call runs every fast
 * channel of a pass however the others (dead filters, other requantisations) cut them into runs
 * (conv_s8.c's three_list): a run of odd length ends on a pair that overlaps the one before, or
 * takes the channel after it, whose bytes the general path writes after. A pointwise layer of
 * at most PASS3R_MAX_GROUPS groups and PASS3R_MAX_PAIRS pairs, its inputs widened by the pass,
 * runs its passes in conv_pass3r.h's pass3_rec_run instead (records of the pairs made once).
 *
 * Registers in the groups: r1 channel c's weights, r2 k, r3-r5 channel c's sums (pixels 0-2),
 * r6-r8 channel c + 1's, r9, r10 the raw weight words, r11 one of them widened, r0, r12, lr the
 * column words. The columns from [sp, #PASS3S_COLS], group g of a patch of n groups at
 * PASS3S_COLS + 24 (MAX - n + g). Stack: 36 bytes of saved registers and PASS3S_FRAME bytes
 * (824 in all), below the depthwise kernel's (about 2.3 KB).
 */
#ifndef NNOM_KERNELS_ARM_CONV_PASS3S_H
#define NNOM_KERNELS_ARM_CONV_PASS3S_H

/* 1x1 windows on a multiple of 4 input channels take three-pixel passes from this patch length
 * (THREE_MIN_K for pass3_fast and the others): on the Cortex-M4 (-O2, est. cycles per MAC)
 * pw_24x24_32to32 1.89 -> 1.83, pw_12x12_32to64 1.83 -> 1.73 against pass8; at 16 pass8 stays
 * better (pw_24x24_16to32 2.32 against 2.44), and on 41 input channels (pw_6x6_41to33_mixed 2.10
 * against 2.19). */
#define PASS3S_MIN_K 32
/* ... and from this one when every channel takes the common fast form and the pairs' records
 * serve the layer (conv_pass3r.h; conv_list3.h's three_rec_takes): pw_24x24_16to32 2.32 ->
 * 1.78 against pass8 (from 16), pw_24x24_8to48 3.10 -> 2.37 (from 8; on 8 input channels 16 and
 * 32 output channels take conv_short.h, 2.32 against 2.51 here). */
#define PASS3R_MIN_K 8

/* The three pixels' inputs for pass3_stack to widen itself (a 1x1 window at stride 1 on in_c a
 * multiple of 4: pixel j's patch is the in_c bytes at in + j * in_c), in place of the columns. */
typedef struct {
    const int8_t *in; /* 0: pixel 0's inputs */
    int32_t in_c;     /* 4: = 4 * p->groups */
    uint32_t neg_zp;  /* 8: minus the input zero point in both int16 lanes */
} pass3_gather;

/* The longest patch, in groups of four: the straight copies of the group code (a pointwise layer
 * of 128 input channels, MobileNetV1-0.25's 6x6 ones). */
#define PASS3S_MAX_GROUPS 32

#if !NNOM_COMPACT_KERNELS
#define NNOM_CONV_PASS3S 1

#define PASS3S_COPIES "32" /* (the same, for the assembly) */
/* Stack offsets: five words of state, the columns after them, and the whole frame. */
#define PASS3S_COLS "20"
#define PASS3S_FRAME "788" /* 20 + 24 * PASS3S_MAX_GROUPS */

/* One half of a group at column offset OFF: the column words at H ("0" lo, "4" hi), the raw
 * weights widened with EXT (", ror #8" for the hi half). */
#define PASS3S_HALF(OFF, H, EXT)                                    \
    "ldr.w  r0, [sp, #" PASS3S_COLS " + " OFF " + " H "]\n\t"      \
    "ldr.w  r12, [sp, #" PASS3S_COLS " + " OFF " + " H " + 8]\n\t" \
    "ldr.w  lr, [sp, #" PASS3S_COLS " + " OFF " + " H " + 16]\n\t" \
    "sxtb16 r11, r9" EXT "\n\t"                                     \
    "smlad  r3, r0, r11, r3\n\t"                                    \
    "smlad  r4, r12, r11, r4\n\t"                                   \
    "smlad  r5, lr, r11, r5\n\t"                                    \
    "sxtb16 r11, r10" EXT "\n\t"                                    \
    "smlad  r6, r0, r11, r6\n\t"                                    \
    "smlad  r7, r12, r11, r7\n\t"                                   \
    "smlad  r8, lr, r11, r8\n\t"
#define PASS3S_GROUP(OFF)                   \
    "ldr.w  r10, [r1, r2]\n\t"              \
    "ldr.w  r9, [r1], #4\n\t"               \
    PASS3S_HALF(OFF, "0", "") PASS3S_HALF(OFF, "4", ", ror #8")
#define PASS3S_GROUP_BYTES "96" /* 24 instructions of 32 bits */
#define PASS3S_GROUPS8(B)                                                                              \
    PASS3S_GROUP(B " + 0") PASS3S_GROUP(B " + 24") PASS3S_GROUP(B " + 48") PASS3S_GROUP(B " + 72")     \
    PASS3S_GROUP(B " + 96") PASS3S_GROUP(B " + 120") PASS3S_GROUP(B " + 144") PASS3S_GROUP(B " + 168")
#define PASS3S_GROUPS PASS3S_GROUPS8("0") PASS3S_GROUPS8("192") PASS3S_GROUPS8("384") PASS3S_GROUPS8("576")

/*
 * The channel pairs (c, c + 1) for c in the bytes [list, end) (at least one; pairs may overlap:
 * a channel computed twice gets the same bytes), of three whole pixels, with pass3_fast's
 * contract otherwise (conv_pass3.h): p->groups in [1, PASS3S_MAX_GROUPS], every channel of a
 * pair of a fast form with a negative shift, or one whose bytes the caller writes again after
 * (they are then of no use; its weights must still be inside the array), clamped to the int8
 * range. The columns: p->cols, copied, or (g not NULL) widened from g's inputs into the frame
 * (per group three loads, six SXTAB16 and one STM of the six words: about 20 estimated cycles, in
 * place of im2col's pass and the copy). Stack frame: [sp] the entry into the copies, [sp, #4] p,
 * [sp, #8] the next pair start, [sp, #12] end, [sp, #16] c.
 */
__attribute__((naked, noinline)) static void pass3_stack(ARG const pass2_args *p, ARG const uint8_t *list,
                                                         ARG const uint8_t *end, ARG const pass3_gather *g)
{
    __asm__ volatile(
        "push   {r4-r11, lr}\n\t"
        "sub    sp, sp, #" PASS3S_FRAME "\n\t"
        "str    r0, [sp, #4]\n\t"
        "strd   r1, r2, [sp, #8]\n\t"
        "str    r3, [sp, #16]\n\t"         /* g, until c takes its place */
        "ldr    r2, [r0, #4]\n\t"           /* groups */
        "rsb    r3, r2, #" PASS3S_COPIES "\n\t" /* the copies skipped */
        "movs   r11, #" PASS3S_GROUP_BYTES "\n\t"
        "adr.w  r12, 1f\n\t"
        "mla    r10, r3, r11, r12\n\t"
        "orr    r10, r10, #1\n\t"           /* (a Thumb address) */
        "str    r10, [sp]\n\t"
        "add    r3, r3, r3, lsl #1\n\t"
        "add    r1, sp, #" PASS3S_COLS "\n\t"
        "add    r1, r1, r3, lsl #3\n\t"     /* where the first group goes: 24 bytes per copy skipped */
        "ldr    r3, [sp, #16]\n\t"          /* g */
        "cbnz   r3, 3f\n\t"
        "ldr    r0, [r0]\n"                 /* the columns */
        "2:\n\t"
        "ldm    r0!, {r3-r8}\n\t"
        "stm    r1!, {r3-r8}\n\t"
        "subs   r2, r2, #1\n\t"
        "bne    2b\n\t"
        "b      10f\n"
        "3:\n\t"                            /* widened from the inputs: r9 in_c, r10 -zp, r0 pixel 0 */
        "ldr    r9, [r3, #4]\n\t"
        "ldr    r10, [r3, #8]\n\t"
        "ldr    r0, [r3]\n"
        "4:\n\t"
        "ldr    r4, [r0]\n\t"
        "ldr    r6, [r0, r9]\n\t"
        "ldr    r8, [r0, r9, lsl #1]\n\t"
        "adds   r0, r0, #4\n\t"
        "sxtab16 r3, r10, r4\n\t"
        "sxtab16 r4, r10, r4, ror #8\n\t"
        "sxtab16 r5, r10, r6\n\t"
        "sxtab16 r6, r10, r6, ror #8\n\t"
        "sxtab16 r7, r10, r8\n\t"
        "sxtab16 r8, r10, r8, ror #8\n\t"
        "stm    r1!, {r3-r8}\n\t"
        "subs   r2, r2, #1\n\t"
        "bne    4b\n"
        PASS3_NEXT_PAIR("16")
        PASS3_START
        ".p2align 2\n"
        "1:\n\t" PASS3S_GROUPS
        PASS3_FINISH("16", PASS3S_FRAME));
}


#include "kernels/arm/conv_pass3r.h"

#else
#define NNOM_CONV_PASS3S 0
#endif

#endif
